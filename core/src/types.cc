#include "rqcheck/core/types.h"

#include <utility>

#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/time.h"

namespace rqcheck {

namespace {
ApiError mismatch(const std::string& what) { return ApiError{0, "schema-mismatch", what}; }

// Field readers: each returns false (and sets `err`) when the field is missing or mistyped.
struct Reader {
  const Json& j;
  std::string err;

  const Json* field(const char* key, bool required) {
    if (!j.is_object()) {
      if (err.empty()) err = "expected an object";
      return nullptr;
    }
    auto it = j.find(key);
    if (it == j.end() || (!required && it->is_null())) {
      if (required && err.empty()) err = std::string("missing field '") + key + "'";
      return nullptr;
    }
    return &*it;
  }
  void str(const char* key, std::string& out, bool required = true) {
    if (const Json* v = field(key, required)) {
      if (v->is_string())
        out = v->get<std::string>();
      else if (err.empty())
        err = std::string("field '") + key + "' is not a string";
    }
  }
  void opt_str(const char* key, std::optional<std::string>& out) {
    if (const Json* v = field(key, false)) {
      if (v->is_string())
        out = v->get<std::string>();
      else if (err.empty())
        err = std::string("field '") + key + "' is not a string";
    }
  }
  void integer(const char* key, std::int64_t& out, bool required = true) {
    if (const Json* v = field(key, required)) {
      if (v->is_number_integer())
        out = v->get<std::int64_t>();
      else if (v->is_number_float() && v->get<double>() == double(std::int64_t(v->get<double>())))
        out = std::int64_t(v->get<double>());
      else if (err.empty())
        err = std::string("field '") + key + "' is not an integer";
    }
  }
  void boolean(const char* key, bool& out, bool required = true) {
    if (const Json* v = field(key, required)) {
      if (v->is_boolean())
        out = v->get<bool>();
      else if (err.empty())
        err = std::string("field '") + key + "' is not a boolean";
    }
  }
  void time(const char* key, TimeMs& out, bool required = true) {
    if (const Json* v = field(key, required)) {
      auto t = v->is_string() ? parse_iso8601(v->get_ref<const std::string&>()) : std::nullopt;
      if (t)
        out = *t;
      else if (err.empty())
        err = std::string("field '") + key + "' is not a date-time with a timezone";
    }
  }
  const Json* array(const char* key) {
    const Json* v = field(key, true);
    if (v && !v->is_array()) {
      if (err.empty()) err = std::string("field '") + key + "' is not an array";
      return nullptr;
    }
    return v;
  }
};
}  // namespace

Json to_json(const RequestQueueInfo& q, bool short_form) {
  Json j = {{"id", q.id},
            {"name", q.name ? Json(*q.name) : Json(nullptr)},
            {"userId", q.user_id},
            {"createdAt", format_iso8601(q.created_at)},
            {"modifiedAt", format_iso8601(q.modified_at)},
            {"accessedAt", format_iso8601(q.accessed_at)},
            {"totalRequestCount", q.total_request_count},
            {"handledRequestCount", q.handled_request_count},
            {"pendingRequestCount", q.pending_request_count},
            {"hadMultipleClients", q.had_multiple_clients}};
  if (short_form) {
    j["username"] = q.username;
  } else {
    if (!q.console_url.empty()) j["consoleUrl"] = q.console_url;
    j["generalAccess"] = q.general_access;
    j["stats"] = {{"readCount", q.stats.read_count},
                  {"writeCount", q.stats.write_count},
                  {"deleteCount", q.stats.delete_count},
                  {"headItemReadCount", q.stats.head_item_read_count},
                  {"storageBytes", q.stats.storage_bytes}};
  }
  return j;
}

void append_queue_json(std::string& out, const RequestQueueInfo& q, bool short_form) {
  // Keys in nlohmann's (sorted) order, so both writers give the same bytes.
  auto key = [&out](const char* k) {
    out += '"';
    out += k;
    out += "\":";
  };
  auto number = [&out](std::int64_t v) { out += std::to_string(v); };
  auto date = [&](const char* k, TimeMs t) {
    key(k);
    out += '"';
    append_iso8601(out, t);
    out += '"';
  };
  out += '{';
  date("accessedAt", q.accessed_at);
  if (!short_form && !q.console_url.empty()) {
    out += ',';
    key("consoleUrl");
    append_json_string(out, q.console_url);
  }
  out += ',';
  date("createdAt", q.created_at);
  if (!short_form) {
    out += ',';
    key("generalAccess");
    append_json_string(out, q.general_access);
  }
  out +=
      q.had_multiple_clients ? ",\"hadMultipleClients\":true," : ",\"hadMultipleClients\":false,";
  key("handledRequestCount");
  number(q.handled_request_count);
  out += ',';
  key("id");
  append_json_string(out, q.id);
  out += ',';
  date("modifiedAt", q.modified_at);
  out += ',';
  key("name");
  if (q.name)
    append_json_string(out, *q.name);
  else
    out += "null";
  out += ',';
  key("pendingRequestCount");
  number(q.pending_request_count);
  if (!short_form) {
    out += ",\"stats\":{\"deleteCount\":";
    number(q.stats.delete_count);
    out += ",\"headItemReadCount\":";
    number(q.stats.head_item_read_count);
    out += ",\"readCount\":";
    number(q.stats.read_count);
    out += ",\"storageBytes\":";
    number(q.stats.storage_bytes);
    out += ",\"writeCount\":";
    number(q.stats.write_count);
    out += '}';
  }
  out += ',';
  key("totalRequestCount");
  number(q.total_request_count);
  out += ',';
  key("userId");
  append_json_string(out, q.user_id);
  if (short_form) {
    out += ',';
    key("username");
    append_json_string(out, q.username);
  }
  out += '}';
}

Json to_json(const AddResult& r) {
  return {{"requestId", r.request_id},
          {"wasAlreadyPresent", r.was_already_present},
          {"wasAlreadyHandled", r.was_already_handled}};
}

Json to_json(const BatchAddResult& r) {
  Json processed = Json::array(), unprocessed = Json::array();
  for (const auto& p : r.processed) {
    processed.push_back({{"requestId", p.request_id},
                         {"uniqueKey", p.unique_key},
                         {"wasAlreadyPresent", p.was_already_present},
                         {"wasAlreadyHandled", p.was_already_handled}});
  }
  for (const auto& u : r.unprocessed) {
    Json item = {{"uniqueKey", u.unique_key}, {"url", u.url}};
    if (u.method) item["method"] = *u.method;
    unprocessed.push_back(std::move(item));
  }
  return {{"processedRequests", processed}, {"unprocessedRequests", unprocessed}};
}

Json to_json(const BatchDeleteResult& r) {
  Json processed = Json::array();
  for (const auto& p : r.processed) {
    Json item = Json::object();
    if (p.id) item["id"] = *p.id;
    if (p.unique_key) item["uniqueKey"] = *p.unique_key;
    processed.push_back(std::move(item));
  }
  return {{"processedRequests", processed}, {"unprocessedRequests", r.unprocessed}};
}

Json to_json(const Head& h) {
  Json items = Json::array();
  for (const auto& it : h.items) {
    Json item = {{"id", it.id},
                 {"uniqueKey", it.unique_key},
                 {"url", it.url},
                 {"method", it.method},
                 {"retryCount", it.retry_count}};
    if (it.lock_expires_at) item["lockExpiresAt"] = format_iso8601(*it.lock_expires_at);
    items.push_back(std::move(item));
  }
  Json j = {{"limit", h.limit},
            {"queueModifiedAt", format_iso8601(h.queue_modified_at)},
            {"hadMultipleClients", h.had_multiple_clients},
            {"items", std::move(items)}};
  if (h.lock_secs) j["lockSecs"] = *h.lock_secs;
  if (h.queue_has_locked_requests) j["queueHasLockedRequests"] = *h.queue_has_locked_requests;
  if (h.client_key) j["clientKey"] = *h.client_key;
  return j;
}

void append_head_json(std::string& out, const Head& h) {
  // Keys in nlohmann's (sorted) order, so both writers give the same bytes.
  out += '{';
  if (h.client_key) {
    out += "\"clientKey\":";
    append_json_string(out, *h.client_key);
    out += ',';
  }
  out += h.had_multiple_clients ? "\"hadMultipleClients\":true,\"items\":["
                                : "\"hadMultipleClients\":false,\"items\":[";
  for (std::size_t i = 0; i < h.items.size(); ++i) {
    const HeadItem& it = h.items[i];
    out += i ? ",{\"id\":" : "{\"id\":";
    append_json_string(out, it.id);
    if (it.lock_expires_at) {
      out += ",\"lockExpiresAt\":\"";
      append_iso8601(out, *it.lock_expires_at);
      out += '"';
    }
    out += ",\"method\":";
    append_json_string(out, it.method);
    out += ",\"retryCount\":";
    out += std::to_string(it.retry_count);
    out += ",\"uniqueKey\":";
    append_json_string(out, it.unique_key);
    out += ",\"url\":";
    append_json_string(out, it.url);
    out += '}';
  }
  out += "],\"limit\":";
  out += std::to_string(h.limit);
  if (h.lock_secs) {
    out += ",\"lockSecs\":";
    out += std::to_string(*h.lock_secs);
  }
  if (h.queue_has_locked_requests) {
    out += *h.queue_has_locked_requests ? ",\"queueHasLockedRequests\":true"
                                        : ",\"queueHasLockedRequests\":false";
  }
  out += ",\"queueModifiedAt\":\"";
  append_iso8601(out, h.queue_modified_at);
  out += "\"}";
}

Result<RequestQueueInfo> parse_queue(const Json& j) {
  Reader r{j, {}};
  RequestQueueInfo q;
  r.str("id", q.id);
  r.opt_str("name", q.name);
  r.str("userId", q.user_id);
  r.str("username", q.username, false);
  r.time("createdAt", q.created_at);
  r.time("modifiedAt", q.modified_at);
  r.time("accessedAt", q.accessed_at);
  r.integer("totalRequestCount", q.total_request_count);
  r.integer("handledRequestCount", q.handled_request_count);
  r.integer("pendingRequestCount", q.pending_request_count);
  r.boolean("hadMultipleClients", q.had_multiple_clients);
  r.str("consoleUrl", q.console_url, false);
  r.str("generalAccess", q.general_access, false);
  if (!r.err.empty()) return mismatch("queue: " + r.err);
  return q;
}

Result<AddResult> parse_add_result(const Json& j) {
  Reader r{j, {}};
  AddResult a;
  r.str("requestId", a.request_id);
  r.boolean("wasAlreadyPresent", a.was_already_present);
  r.boolean("wasAlreadyHandled", a.was_already_handled);
  if (!r.err.empty()) return mismatch("add result: " + r.err);
  return a;
}

Result<BatchAddResult> parse_batch_add_result(const Json& j) {
  Reader r{j, {}};
  BatchAddResult out;
  const Json* processed = r.array("processedRequests");
  const Json* unprocessed = r.array("unprocessedRequests");
  if (!r.err.empty()) return mismatch("batch add result: " + r.err);
  for (const Json& item : *processed) {
    Reader ir{item, {}};
    ProcessedRequest p;
    ir.str("requestId", p.request_id);
    ir.str("uniqueKey", p.unique_key);
    ir.boolean("wasAlreadyPresent", p.was_already_present);
    ir.boolean("wasAlreadyHandled", p.was_already_handled);
    if (!ir.err.empty()) return mismatch("processedRequests item: " + ir.err);
    out.processed.push_back(std::move(p));
  }
  for (const Json& item : *unprocessed) {
    Reader ir{item, {}};
    UnprocessedRequest u;
    ir.str("uniqueKey", u.unique_key);
    ir.str("url", u.url);
    ir.opt_str("method", u.method);
    if (!ir.err.empty()) return mismatch("unprocessedRequests item: " + ir.err);
    out.unprocessed.push_back(std::move(u));
  }
  return out;
}

Result<BatchDeleteResult> parse_batch_delete_result(const Json& j) {
  Reader r{j, {}};
  BatchDeleteResult out;
  const Json* processed = r.array("processedRequests");
  const Json* unprocessed = r.array("unprocessedRequests");
  if (!r.err.empty()) return mismatch("batch delete result: " + r.err);
  for (const Json& item : *processed) {
    Reader ir{item, {}};
    DeletedRequest d;
    ir.opt_str("id", d.id);
    ir.opt_str("uniqueKey", d.unique_key);
    if (!ir.err.empty()) return mismatch("processedRequests item: " + ir.err);
    if (!d.id && !d.unique_key)
      return mismatch("processedRequests item has neither id nor uniqueKey");
    out.processed.push_back(std::move(d));
  }
  out.unprocessed.assign(unprocessed->begin(), unprocessed->end());
  return out;
}

Result<Head> parse_head(const Json& j) {
  Reader r{j, {}};
  Head h;
  r.integer("limit", h.limit);
  r.time("queueModifiedAt", h.queue_modified_at);
  r.boolean("hadMultipleClients", h.had_multiple_clients);
  if (const Json* v = r.field("lockSecs", false)) {
    if (v->is_number()) h.lock_secs = v->get<std::int64_t>();
  }
  if (const Json* v = r.field("queueHasLockedRequests", false)) {
    if (v->is_boolean()) h.queue_has_locked_requests = v->get<bool>();
  }
  r.opt_str("clientKey", h.client_key);
  const Json* items = r.array("items");
  if (!r.err.empty()) return mismatch("head: " + r.err);
  for (const Json& item : *items) {
    Reader ir{item, {}};
    HeadItem it;
    ir.str("id", it.id);
    ir.str("uniqueKey", it.unique_key);
    ir.str("url", it.url);
    ir.str("method", it.method, false);
    ir.integer("retryCount", it.retry_count, false);
    TimeMs exp = 0;
    if (ir.field("lockExpiresAt", false)) {
      ir.time("lockExpiresAt", exp);
      it.lock_expires_at = exp;
    }
    if (!ir.err.empty()) return mismatch("head item: " + ir.err);
    h.items.push_back(std::move(it));
  }
  return h;
}

Result<RequestsPage> parse_requests_page(const Json& j) {
  Reader r{j, {}};
  RequestsPage p;
  const Json* items = r.array("items");
  r.integer("limit", p.limit);
  r.opt_str("exclusiveStartId", p.exclusive_start_id);
  r.opt_str("cursor", p.cursor);
  r.opt_str("nextCursor", p.next_cursor);
  if (!r.err.empty()) return mismatch("list of requests: " + r.err);
  p.items.assign(items->begin(), items->end());
  return p;
}

Result<QueuesPage> parse_queues_page(const Json& j) {
  Reader r{j, {}};
  QueuesPage p;
  r.integer("total", p.total);
  r.integer("offset", p.offset);
  r.integer("limit", p.limit);
  r.integer("count", p.count);
  r.boolean("desc", p.desc);
  const Json* items = r.array("items");
  if (!r.err.empty()) return mismatch("list of queues: " + r.err);
  for (const Json& item : *items) {
    auto q = parse_queue(item);
    if (!q) return q.error();
    p.items.push_back(std::move(*q));
  }
  return p;
}

Result<TimeMs> parse_lock_expiry(const Json& j) {
  Reader r{j, {}};
  TimeMs t = 0;
  r.time("lockExpiresAt", t);
  if (!r.err.empty()) return mismatch("prolong lock: " + r.err);
  return t;
}

Result<std::int64_t> parse_unlocked_count(const Json& j) {
  Reader r{j, {}};
  std::int64_t n = 0;
  r.integer("unlockedCount", n);
  if (!r.err.empty()) return mismatch("unlock: " + r.err);
  return n;
}

std::string encode_cursor(std::string_view request_id) {
  std::string payload = "{\"requestId\":";
  append_json_string(payload, request_id);
  payload += '}';
  return base64url_unpadded(payload);
}

std::optional<std::string> decode_cursor(std::string_view cursor) {
  std::string raw;
  if (cursor.empty() || cursor.size() > 512 || !base64_decode(cursor, raw)) return std::nullopt;
  // parse_json, not Json::parse: nlohmann alone takes a NUL byte for the end of the input and
  // accepted a payload with bytes after the object (found by fuzz/targets/cursor.cc).
  auto parsed = parse_json(raw, JsonLimits{8, 512});
  if (!parsed || !parsed->is_object()) return std::nullopt;
  const Json& j = *parsed;
  auto it = j.find("requestId");
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

}  // namespace rqcheck
