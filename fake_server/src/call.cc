#include "call.h"

#include "rqcheck/core/errors.h"

namespace rqcheck::fake {

namespace {

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

const std::string* HttpRequest::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return &v;
  }
  return nullptr;
}

std::string HttpRequest::header_or(std::string_view name, std::string_view fallback) const {
  const std::string* v = header(name);
  return v ? *v : std::string(fallback);
}

const std::string* HttpRequest::param(std::string_view name) const {
  auto it = query.find(std::string(name));
  return it == query.end() ? nullptr : &it->second;
}

std::optional<std::string> HttpRequest::opt_param(std::string_view name) const {
  const std::string* v = param(name);
  if (!v) return std::nullopt;
  return *v;
}

Reply Reply::of_error(ApiError e) {
  Reply r;
  r.status = e.status;
  r.body = error_body(e);
  r.error = std::move(e);
  return r;
}

void Reply::set_header(std::string name, std::string value) {
  remove_header(name);
  headers.emplace_back(std::move(name), std::move(value));
}

const std::string* Reply::header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (iequals(k, name)) return &v;
  }
  return nullptr;
}

void Reply::remove_header(std::string_view name) {
  for (std::size_t i = headers.size(); i-- > 0;) {
    if (iequals(headers[i].first, name)) headers.erase(headers.begin() + static_cast<long>(i));
  }
}

}  // namespace rqcheck::fake
