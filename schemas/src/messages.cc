#include "rqcheck/schemas/messages.h"

#include <algorithm>
#include <string>

#include "embedded_schemas.h"

namespace rqcheck::schemas {

namespace {

struct OperationMessages {
  std::string request;                                 // "" when the operation takes no body
  std::vector<std::pair<int, std::string>> responses;  // status -> message ("" = no body)
};

// Built once from the operation table; the strings live as long as the program.
const std::vector<OperationMessages>& table() {
  static const std::vector<OperationMessages> t = [] {
    std::vector<OperationMessages> out;
    for (const OperationInfo& info : request_queue_operations()) {
      OperationMessages m;
      const std::string id(info.id);
      if (info.has_request_body()) m.request = id + ".request";
      std::vector<int> statuses{info.success_status};
      // requestQueues_post answers 201 for a new queue and 200 for an existing name (spec §4 (2)).
      if (info.op == Operation::kQueuesPost) statuses = {200, 201};
      for (int s : statuses) {
        m.responses.emplace_back(s,
                                 s == 204 ? std::string() : id + ".response." + std::to_string(s));
      }
      out.push_back(std::move(m));
    }
    return out;
  }();
  return t;
}

const OperationMessages& of(Operation op) { return table()[static_cast<std::size_t>(op)]; }

}  // namespace

const std::vector<int>& error_statuses() {
  static const std::vector<int> s{400, 401, 402, 403, 404, 405, 408, 413, 415, 429, 500, 503};
  return s;
}

std::vector<int> success_statuses(Operation op) {
  std::vector<int> out;
  for (const auto& [status, message] : of(op).responses) out.push_back(status);
  return out;
}

std::optional<std::string_view> request_message(Operation op) {
  const std::string& m = of(op).request;
  if (m.empty()) return std::nullopt;
  return std::string_view(m);
}

std::optional<std::string_view> response_message(Operation op, int status) {
  if (status >= 400) return kErrorMessage;
  for (const auto& [s, message] : of(op).responses) {
    if (s == status) {
      if (message.empty()) return std::nullopt;
      return std::string_view(message);
    }
  }
  return std::nullopt;
}

std::vector<std::string_view> message_names() {
  std::vector<std::string_view> out{kErrorMessage};
  for (const OperationMessages& m : table()) {
    if (!m.request.empty()) out.emplace_back(m.request);
    for (const auto& [s, message] : m.responses) {
      if (!message.empty()) out.emplace_back(message);
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string_view> schema_files() {
  std::vector<std::string_view> out;
  for (std::size_t i = 0; i < detail::kEmbeddedFileCount; ++i) {
    out.push_back(detail::kEmbeddedFiles[i].name);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::optional<std::string_view> schema_text(std::string_view file_name) {
  for (std::size_t i = 0; i < detail::kEmbeddedFileCount; ++i) {
    if (detail::kEmbeddedFiles[i].name == file_name) return detail::kEmbeddedFiles[i].text;
  }
  return std::nullopt;
}

}  // namespace rqcheck::schemas
