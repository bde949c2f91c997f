#include "rqcheck/fake_server/journal.h"

#include <algorithm>
#include <cctype>
#include <mutex>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/fake_server/faults.h"

namespace rqcheck::fake {

namespace {

constexpr std::size_t kMaxHeaders = 64;
constexpr std::size_t kMaxHeaderValue = 512;
constexpr std::size_t kMaxKey = 256;
constexpr std::size_t kMaxKeys = 4 * 25;  // a batch is at most 25 items; keep some slack
constexpr std::size_t kMaxFindings = 32;

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

std::string hex(const std::uint8_t* p, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (std::size_t i = 0; i < n; ++i) {
    out += kHex[p[i] >> 4];
    out += kHex[p[i] & 15];
  }
  return out;
}

void push_key(std::vector<std::string>& keys, std::string_view k) {
  if (keys.size() < kMaxKeys) keys.push_back(bound_key(k));
}

}  // namespace

std::string redact_query(std::string_view query) {
  std::string out;
  std::size_t pos = 0;
  while (pos <= query.size()) {
    std::size_t amp = query.find('&', pos);
    if (amp == std::string_view::npos) amp = query.size();
    std::string_view part = query.substr(pos, amp - pos);
    if (!out.empty() || pos > 0) out += '&';
    std::size_t eq = part.find('=');
    std::string_view name = part.substr(0, eq);
    if (name == "token" && eq != std::string_view::npos) {
      out += "token=REDACTED";
    } else {
      out += part;
    }
    pos = amp + 1;
  }
  return out;
}

std::vector<Header> redact_headers(const std::vector<Header>& headers) {
  std::vector<Header> out;
  for (const auto& [name, value] : headers) {
    if (out.size() >= kMaxHeaders) break;
    std::string v = value;
    if (iequals(name, "Authorization") || iequals(name, "Proxy-Authorization")) {
      auto space = v.find(' ');
      v = space == std::string::npos ? "REDACTED" : v.substr(0, space) + " REDACTED";
    } else if (iequals(name, "Cookie")) {
      v = "REDACTED";
    }
    if (v.size() > kMaxHeaderValue) v = v.substr(0, kMaxHeaderValue) + "...";
    out.emplace_back(name, std::move(v));
  }
  return out;
}

std::string body_digest(std::string_view body) {
  if (body.empty()) return "";
  auto h = sha256(body);
  return hex(h.data(), 8);
}

std::string bound_key(std::string_view key) {
  if (key.size() <= kMaxKey) return std::string(key);
  auto h = sha256(key);
  return std::string(key.substr(0, kMaxKey - 20)) + "...#" + hex(h.data(), 8);
}

std::vector<std::string> item_keys_of(Operation op, const Json& body) {
  std::vector<std::string> keys;
  auto key_of = [&](const Json& item, bool id_first) {
    if (!item.is_object()) return;
    auto id = item.find("id");
    auto uk = item.find("uniqueKey");
    if (id_first && id != item.end() && id->is_string())
      push_key(keys, id->get_ref<const std::string&>());
    else if (uk != item.end() && uk->is_string())
      push_key(keys, uk->get_ref<const std::string&>());
  };
  switch (op) {
    case Operation::kRequestsPost:
    case Operation::kRequestPut:
      key_of(body, false);
      break;
    case Operation::kRequestsBatchPost:
    case Operation::kRequestsBatchDelete:
      if (body.is_array()) {
        for (const Json& item : body) key_of(item, op == Operation::kRequestsBatchDelete);
      }
      break;
    default:
      break;
  }
  return keys;
}

void note_response(JournalEntry& e, const Json& response) {
  if (!response.is_object()) return;
  if (auto err = response.find("error"); err != response.end() && err->is_object()) {
    if (auto t = err->find("type"); t != err->end() && t->is_string())
      e.error_type = t->get<std::string>();
    return;
  }
  auto data = response.find("data");
  if (data == response.end() || !data->is_object()) return;
  if (auto un = data->find("unprocessedRequests"); un != data->end() && un->is_array()) {
    for (const Json& item : *un) {
      if (!item.is_object()) continue;
      auto id = item.find("id");
      auto uk = item.find("uniqueKey");
      bool by_id = e.op == Operation::kRequestsBatchDelete && id != item.end() && id->is_string();
      if (by_id)
        push_key(e.unprocessed_keys, id->get_ref<const std::string&>());
      else if (uk != item.end() && uk->is_string())
        push_key(e.unprocessed_keys, uk->get_ref<const std::string&>());
    }
  }
  if (auto pr = data->find("processedRequests"); pr != data->end() && pr->is_array()) {
    for (const Json& item : *pr) {
      if (!item.is_object()) continue;
      auto present = item.find("wasAlreadyPresent");
      auto uk = item.find("uniqueKey");
      if (present != item.end() && present->is_boolean() && present->get<bool>() &&
          uk != item.end() && uk->is_string()) {
        push_key(e.already_present_keys, uk->get_ref<const std::string&>());
      }
    }
  }
  // Single add: the key is the one sent.
  if (auto present = data->find("wasAlreadyPresent");
      present != data->end() && present->is_boolean() && present->get<bool>() &&
      e.op == Operation::kRequestsPost && !e.item_keys.empty()) {
    e.already_present_keys.push_back(e.item_keys.front());
  }
}

Json to_json(const JournalEntry& e) {
  Json headers = Json::array();
  for (const auto& [k, v] : e.headers) headers.push_back(Json::array({k, v}));
  Json j{{"seq", e.seq},
         {"arrivedAt", format_iso8601(e.arrival_ms)},
         {"arrivalMs", e.arrival_ms},
         {"durationMs", e.duration_ms},
         {"method", e.method},
         {"path", e.path},
         {"query", e.query},
         {"headers", std::move(headers)},
         {"bodyBytes", e.body_bytes},
         {"bodyDigest", e.body_digest},
         {"status", e.status},
         {"operation", e.op ? Json(std::string(operation_info(*e.op).id)) : Json(nullptr)},
         {"queue", e.queue},
         {"clientKey", e.client_key ? Json(*e.client_key) : Json(nullptr)},
         {"user", e.user},
         {"userAgent", e.user_agent},
         {"findings", e.findings}};
  if (!e.error_type.empty()) j["errorType"] = e.error_type;
  if (e.retry_after_secs) j["retryAfterSecs"] = *e.retry_after_secs;
  if (!e.fault_rule.empty() || !e.fault_action.empty()) {
    j["fault"] = Json{{"rule", e.fault_rule}, {"action", e.fault_action}};
  } else {
    j["fault"] = nullptr;
  }
  if (!e.item_keys.empty()) j["itemKeys"] = e.item_keys;
  if (!e.unprocessed_keys.empty()) j["unprocessedKeys"] = e.unprocessed_keys;
  if (!e.already_present_keys.empty()) j["alreadyPresentKeys"] = e.already_present_keys;
  if (e.work_done) j["workDone"] = true;
  if (!e.request_id.empty()) j["requestId"] = e.request_id;
  if (e.handled_mark) j["handledMark"] = true;
  if (e.lock_expires_at) j["lockExpiresAt"] = format_iso8601(e.lock_expires_at);
  if (e.unlocked_count >= 0) j["unlockedCount"] = e.unlocked_count;
  if (!e.requests.empty()) {
    Json rs = Json::array();
    for (const RequestTouch& t : e.requests) {
      Json r{{"id", t.id}};
      if (t.lock_expires_at) r["lockExpiresAt"] = format_iso8601(t.lock_expires_at);
      if (t.was_present) r["wasAlreadyPresent"] = true;
      if (t.was_handled) r["wasAlreadyHandled"] = true;
      rs.push_back(std::move(r));
    }
    j["requests"] = std::move(rs);
  }
  if (!(e.cost == CostCharge{})) {
    j["cost"] = Json{{"reads", e.cost.reads},
                     {"writes", e.cost.writes},
                     {"deletes", e.cost.deletes},
                     {"headItems", e.cost.head_items}};
  }
  return j;
}

Result<JournalFilter> JournalFilter::from_query(const std::vector<Header>& params) {
  JournalFilter f;
  auto number = [](const std::string& v, std::uint64_t hi, std::uint64_t& out) {
    if (v.empty() || v.size() > 19) return false;
    std::uint64_t n = 0;
    for (char c : v) {
      if (c < '0' || c > '9') return false;
      n = n * 10 + static_cast<std::uint64_t>(c - '0');
    }
    if (n > hi) return false;
    out = n;
    return true;
  };
  auto boolean = [](const std::string& v, bool& out) {
    if (v == "true" || v == "1")
      out = true;
    else if (v == "false" || v == "0")
      out = false;
    else
      return false;
    return true;
  };
  for (const auto& [k, v] : params) {
    std::uint64_t n = 0;
    if (k == "method") {
      std::string m = v;
      for (char& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      f.method = m;
    } else if (k == "operation") {
      f.op = operation_from_alias(v);
      if (!f.op) return errors::invalid_parameter("Unknown operation \"" + v + "\".");
    } else if (k == "path") {
      f.path_contains = v;
    } else if (k == "status") {
      if (!number(v, 599, n))
        return errors::invalid_parameter("status must be 0 or an HTTP status.");
      f.status = static_cast<int>(n);
    } else if (k == "since") {
      if (!number(v, ~0ULL >> 1, n))
        return errors::invalid_parameter("since must be a sequence number.");
      f.since_seq = n;
    } else if (k == "clientKey") {
      f.client_key = v;
    } else if (k == "user") {
      f.user = v;
    } else if (k == "faulted") {
      if (!boolean(v, f.faulted_only))
        return errors::invalid_parameter("faulted must be true, false, 1 or 0.");
    } else if (k == "findings") {
      if (!boolean(v, f.with_findings_only)) {
        return errors::invalid_parameter("findings must be true, false, 1 or 0.");
      }
    } else if (k == "limit") {
      if (!number(v, 10000, n) || n == 0)
        return errors::invalid_parameter("limit must be 1 to 10000.");
      f.limit = static_cast<std::size_t>(n);
    } else if (k != "token") {
      return errors::invalid_parameter("Unknown journal filter \"" + k +
                                       "\" (method, operation, path, status, since, clientKey, "
                                       "user, faulted, findings, limit).");
    }
  }
  return f;
}

struct Journal::Slot {
  mutable std::mutex mu;
  std::unique_ptr<JournalEntry> entry;
};

Journal::Journal(std::size_t capacity)
    : capacity_(std::max<std::size_t>(1, capacity)), slots_(new Slot[capacity_]) {}
Journal::~Journal() = default;

void Journal::append(JournalEntry e) {
  if (e.seq == 0) e.seq = reserve_seq();
  if (e.findings.size() > kMaxFindings) e.findings.resize(kMaxFindings);
  if (e.headers.size() > kMaxHeaders) e.headers.resize(kMaxHeaders);
  if (e.requests.size() > kMaxKeys) e.requests.resize(kMaxKeys);
  auto fresh = std::make_unique<JournalEntry>(std::move(e));
  Slot& slot = slots_[fresh->seq % capacity_];
  std::unique_ptr<JournalEntry> old;  // freed after the slot is unlocked
  appended_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(slot.mu);
    if (slot.entry && slot.entry->seq > fresh->seq) {
      old = std::move(fresh);  // a newer entry already took the slot: this one is too old
    } else {
      old = std::move(slot.entry);
      slot.entry = std::move(fresh);
    }
  }
  if (old) dropped_.fetch_add(1, std::memory_order_relaxed);
}

namespace {
bool accepts(const JournalFilter& f, const JournalEntry& e) {
  if (e.seq <= f.since_seq) return false;
  if (f.method && *f.method != e.method) return false;
  if (f.op && (!e.op || *e.op != *f.op)) return false;
  if (f.path_contains && e.path.find(*f.path_contains) == std::string::npos) return false;
  if (f.status && *f.status != e.status) return false;
  if (f.client_key && (!e.client_key || *e.client_key != *f.client_key)) return false;
  if (f.user && *f.user != e.user) return false;
  if (f.faulted_only && e.fault_action.empty()) return false;
  if (f.with_findings_only && e.findings.empty()) return false;
  return true;
}
}  // namespace

std::vector<JournalEntry> Journal::query(const JournalFilter& f) const {
  std::vector<JournalEntry> out;
  if (f.limit == 0) return out;
  // First the seqs that match (one slot locked at a time), then copies of the chosen window only.
  std::vector<std::uint64_t> seqs;
  for (std::size_t i = 0; i < capacity_; ++i) {
    std::lock_guard<std::mutex> lock(slots_[i].mu);
    if (slots_[i].entry && accepts(f, *slots_[i].entry)) seqs.push_back(slots_[i].entry->seq);
  }
  std::sort(seqs.begin(), seqs.end());
  std::size_t n = std::min(f.limit, seqs.size());
  std::size_t from = f.since_seq > 0 ? 0 : seqs.size() - n;
  out.reserve(n);
  for (std::size_t k = from; k < from + n; ++k) {
    const Slot& slot = slots_[seqs[k] % capacity_];
    std::lock_guard<std::mutex> lock(slot.mu);
    if (slot.entry && slot.entry->seq == seqs[k])
      out.push_back(*slot.entry);  // else replaced meanwhile
  }
  return out;
}

std::optional<JournalEntry> Journal::get(std::uint64_t seq) const {
  const Slot& slot = slots_[seq % capacity_];
  std::lock_guard<std::mutex> lock(slot.mu);
  if (!slot.entry || slot.entry->seq != seq) return std::nullopt;
  return *slot.entry;
}

Json Journal::to_json(const JournalFilter& f) const {
  Json entries = Json::array();
  for (const auto& e : query(f)) entries.push_back(fake::to_json(e));
  return Json{{"entries", std::move(entries)},
              {"appended", appended_.load()},
              {"dropped", dropped_.load()},
              {"capacity", capacity_}};
}

void Journal::clear() {
  for (std::size_t i = 0; i < capacity_; ++i) {
    std::unique_ptr<JournalEntry> old;
    std::lock_guard<std::mutex> lock(slots_[i].mu);
    old = std::move(slots_[i].entry);
  }
}

std::size_t Journal::size() const {
  std::size_t n = 0;
  for (std::size_t i = 0; i < capacity_; ++i) {
    std::lock_guard<std::mutex> lock(slots_[i].mu);
    if (slots_[i].entry) ++n;
  }
  return n;
}

}  // namespace rqcheck::fake
