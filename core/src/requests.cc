#include "rqcheck/core/requests.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck {

namespace {

ApiError field_error(std::string_view where, std::string_view field, std::string_view what) {
  return errors::invalid_input("Invalid input: " + std::string(where) + "field \"" +
                               std::string(field) + "\" " + std::string(what) + ".");
}

std::string q(std::string_view s) {
  std::string out = "\"";
  out += s.size() > 80 ? std::string(s.substr(0, 77)) + "..." : std::string(s);
  return out + "\"";
}

// Records a violation; returns its error so a caller can answer with it.
ApiError add(Violations& v, std::string_view rule, ApiError e, bool fatal = true) {
  v.push_back({rule, e, fatal});
  return e;
}

// The first fatal violation recorded since `from`, if any.
const Violation* first_fatal(const Violations& v, std::size_t from) {
  for (std::size_t i = from; i < v.size(); ++i) {
    if (v[i].fatal) return &v[i];
  }
  return nullptr;
}

Result<Json> parse_body(std::string_view text, Violations& v) {
  if (text.empty()) {
    return add(v, "request.body_not_json",
               errors::invalid_input(
                   "Invalid input: the request body is empty; this operation takes a JSON body."));
  }
  auto doc = parse_json(text, JsonLimits{kMaxJsonDepth, kMaxPayloadBytes});
  if (!doc) return add(v, "request.body_not_json", doc.error());
  return doc;
}

bool is_type_ok(std::string_view k, const Json& val) {
  if (k == "userData" || k == "headers") return val.is_object() || val.is_null();
  if (k == "noRetry") return val.is_boolean() || val.is_null();
  if (k == "errorMessages") return val.is_array() || val.is_null();
  if (k == "loadedUrl") return val.is_string() || val.is_null();
  if (k == "payload") return val.is_string() || val.is_object() || val.is_null();
  return true;
}

}  // namespace

std::optional<std::uint8_t> request_method_index(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kRequestMethods); ++i) {
    if (kRequestMethods[i] == name) return static_cast<std::uint8_t>(i);
  }
  return std::nullopt;
}

// Decision 1 (uniqueKey required) and the RequestBase types of section 2. Every broken field is
// recorded; the result is the first.
Result<RequestDraft> request_draft_from_json(const Json& body, std::string_view where,
                                             Violations& v) {
  const std::size_t from = v.size();
  if (!body.is_object()) {
    return add(v, "request.body_not_object",
               errors::invalid_input("Invalid input: " + std::string(where) +
                                     "the request must be a JSON object."));
  }
  RequestDraft d;
  bool has_uk = false, has_url = false;
  for (auto it = body.begin(); it != body.end(); ++it) {
    const std::string& k = it.key();
    const Json& val = it.value();
    if (k == "uniqueKey") {
      if (!val.is_string()) {
        add(v, "request.unique_key_missing", field_error(where, k, "must be a string"));
        continue;
      }
      d.unique_key = val.get<std::string>();
      has_uk = true;
    } else if (k == "url") {
      if (!val.is_string()) {
        add(v, "request.url_missing", field_error(where, k, "must be a string"));
        continue;
      }
      d.url = val.get<std::string>();
      has_url = true;
    } else if (k == "id") {
      if (val.is_null()) continue;
      if (!val.is_string()) {
        add(v, "request.id_mismatch", field_error(where, k, "must be a string"));
        continue;
      }
      d.id = val.get<std::string>();
    } else if (k == "method") {
      std::optional<std::uint8_t> m;
      if (val.is_string()) m = request_method_index(val.get_ref<const std::string&>());
      if (!m) {
        add(v, "request.schema",
            field_error(where, k,
                        "must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, "
                        "PATCH"));
        continue;
      }
      d.method = *m;
    } else if (k == "retryCount") {
      if (!val.is_number_integer() || val.get<std::int64_t>() < 0 ||
          val.get<std::int64_t>() > std::numeric_limits<std::int32_t>::max()) {
        add(v, "request.schema", field_error(where, k, "must be a non-negative integer"));
        continue;
      }
      d.retry_count = val.get<std::int64_t>();
    } else if (k == "handledAt") {
      if (val.is_null()) continue;
      std::optional<TimeMs> t;
      if (val.is_string()) t = parse_iso8601(val.get_ref<const std::string&>());
      if (!t) {
        add(v, "request.schema",
            field_error(where, k, "must be null or an ISO 8601 date-time with a timezone"));
        continue;
      }
      d.handled_at = t;
    } else if (k == "lockExpiresAt" || k == "lockByClient") {
      continue;  // server-owned, not stored
    } else {
      if (!is_type_ok(k, val)) {
        add(v, "request.schema", field_error(where, k, "has the wrong type"));
        continue;
      }
      d.extra += ',';
      append_json_string(d.extra, k);
      d.extra += ':';
      d.extra += dump_json(val);
    }
  }
  if (!has_uk && !body.contains("uniqueKey")) {
    add(v, "request.unique_key_missing", field_error(where, "uniqueKey", "is required"));
  }
  if (!has_url && !body.contains("url")) {
    add(v, "request.url_missing", field_error(where, "url", "is required"));
  }
  if (const Violation* f = first_fatal(v, from)) return f->error;
  return d;
}

Result<std::string> check_derived_id(const RequestDraft& d) {
  std::string rid = request_id_for(d.unique_key);
  if (d.id && *d.id != rid) {
    return errors::request_id_invalid("Request ID does not correspond to uniqueKey (expected \"" +
                                      rid + "\" for this uniqueKey, got \"" + *d.id + "\").");
  }
  return rid;
}

Status check_put_ids(const RequestDraft& d, std::string_view path_id) {
  if (d.id && *d.id != path_id) {
    return errors::request_id_invalid("The request ID in the body (\"" + *d.id +
                                      "\") differs from the one in the URL (\"" +
                                      std::string(path_id) + "\").");
  }
  std::string rid = request_id_for(d.unique_key);
  if (rid != path_id) {
    return errors::request_id_invalid("Request ID does not correspond to uniqueKey (expected \"" +
                                      rid + "\" for this uniqueKey, got \"" + std::string(path_id) +
                                      "\").");
  }
  return Ok{};
}

Result<RequestDraft> parse_request_body(std::string_view text, Violations& v) {
  auto doc = parse_body(text, v);
  if (!doc) return doc.error();
  return request_draft_from_json(*doc, "", v);
}

Result<std::vector<RequestDraft>> parse_batch_add_body(std::string_view text, Violations& v) {
  auto doc = parse_body(text, v);
  if (!doc) return doc.error();
  const std::size_t from = v.size();
  // Decision 6: an array of 1..25 items, else 400 and nothing stored.
  if (!doc->is_array()) {
    return add(v, "request.batch_not_array",
               errors::invalid_input("Invalid input: the body must be a JSON array of requests."));
  }
  if (doc->empty() || doc->size() > kMaxBatch) {
    add(v, "request.batch_size",
        errors::invalid_input("Invalid input: a batch must contain 1 to 25 requests (got " +
                              std::to_string(doc->size()) + ")."));
  }
  std::vector<RequestDraft> items;
  std::vector<std::string> ids;
  const std::size_t n = std::min<std::size_t>(doc->size(), 1000);  // bound the findings
  items.reserve(n);
  ids.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    std::string where = "item " + std::to_string(i) + ": ";
    auto d = request_draft_from_json((*doc)[i], where, v);
    if (!d) continue;
    auto rid = check_derived_id(*d);
    if (!rid) {
      add(v, "request.id_mismatch", rid.error());
      continue;
    }
    // Decision 7: duplicate uniqueKeys inside one batch.
    bool dup = false;
    for (std::size_t j = 0; j < items.size() && !dup; ++j) {
      dup = ids[j] == *rid && items[j].unique_key == d->unique_key;
    }
    if (dup) {
      add(v, "request.batch_duplicate_keys", errors::duplicate_requests(d->unique_key));
      continue;
    }
    ids.push_back(std::move(*rid));
    items.push_back(std::move(*d));
  }
  if (const Violation* f = first_fatal(v, from)) return f->error;
  return items;
}

Result<std::vector<RequestKey>> parse_batch_delete_body(std::string_view text, Violations& v) {
  auto doc = parse_body(text, v);
  if (!doc) return doc.error();
  const std::size_t from = v.size();
  if (!doc->is_array()) {
    return add(v, "request.batch_not_array",
               errors::invalid_input("Invalid input: the body must be a JSON array."));
  }
  if (doc->empty() || doc->size() > kMaxBatch) {
    add(v, "request.batch_size",
        errors::invalid_input("Invalid input: a batch must contain 1 to 25 requests (got " +
                              std::to_string(doc->size()) + ")."));
  }
  std::vector<RequestKey> items;
  const std::size_t n = std::min<std::size_t>(doc->size(), 1000);
  for (std::size_t i = 0; i < n; ++i) {
    const Json& b = (*doc)[i];
    const std::string item = "item " + std::to_string(i);
    if (!b.is_object()) {
      add(v, "request.batch_item_invalid",
          errors::invalid_input("Invalid input: " + item + " must be an object."));
      continue;
    }
    RequestKey key;
    bool bad = false;
    if (auto it = b.find("id"); it != b.end() && !it->is_null()) {
      if (!it->is_string()) {
        add(v, "request.batch_item_invalid",
            errors::invalid_input("Invalid input: " + item + ": \"id\" must be a string."));
        bad = true;
      } else {
        key.id = it->get<std::string>();
      }
    }
    if (auto it = b.find("uniqueKey"); it != b.end() && !it->is_null()) {
      if (!it->is_string()) {
        add(v, "request.batch_item_invalid",
            errors::invalid_input("Invalid input: " + item + ": \"uniqueKey\" must be a string."));
        bad = true;
      } else {
        key.unique_key = it->get<std::string>();
      }
    }
    if (bad) continue;
    if (!key.id && !key.unique_key) {
      add(v, "request.batch_item_invalid",
          errors::invalid_input("Invalid input: " + item + " needs an \"id\" or a \"uniqueKey\"."));
      continue;
    }
    if (key.id && key.unique_key && *key.id != request_id_for(*key.unique_key)) {
      add(v, "request.id_mismatch",
          errors::request_id_invalid("Request ID does not correspond to uniqueKey (" + item +
                                     ")."));
      continue;
    }
    items.push_back(std::move(key));
  }
  if (const Violation* f = first_fatal(v, from)) return f->error;
  return items;
}

Status check_client_key(const std::optional<std::string>& ck) {
  if (ck && (ck->size() < kMinClientKeyLength || ck->size() > kMaxClientKeyLength)) {
    return errors::invalid_client_key(*ck);
  }
  return Ok{};
}

Result<bool> parse_bool_param(std::string_view name, std::string_view v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return errors::invalid_parameter("Parameter \"" + std::string(name) +
                                   "\" must be true, false, 1 or 0 (got \"" + std::string(v) +
                                   "\").");
}

std::optional<double> parse_number(std::string_view v) {
  if (v.empty() || v.size() > 32) return std::nullopt;
  double whole = 0, frac = 0, scale = 1;
  std::size_t i = 0;
  bool neg = false;
  if (v[0] == '-' || v[0] == '+') {
    neg = v[0] == '-';
    ++i;
  }
  bool digits = false, dot = false;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (c >= '0' && c <= '9') {
      digits = true;
      if (dot) {
        scale /= 10;
        frac += (c - '0') * scale;
      } else {
        whole = whole * 10 + (c - '0');
      }
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  double r = whole + frac;
  return neg ? -r : r;
}

Result<std::int64_t> parse_int_param(std::string_view name, std::string_view v) {
  auto n = parse_number(v);
  if (!n || *n != static_cast<double>(static_cast<std::int64_t>(*n)) || *n > 9e15 || *n < -9e15) {
    return errors::invalid_parameter("Parameter \"" + std::string(name) +
                                     "\" must be an integer (got \"" + std::string(v) + "\").");
  }
  return static_cast<std::int64_t>(*n);
}

Result<double> parse_lock_secs(const std::optional<std::string>& v) {
  if (!v) return errors::invalid_parameter("Parameter \"lockSecs\" is required.");
  auto n = parse_number(*v);
  if (!n || *n < 0 || !std::isfinite(*n) || *n > kMaxLockSecs) {
    return errors::invalid_parameter(
        "Parameter \"lockSecs\" must be a non-negative number (got \"" + *v + "\").");
  }
  return *n;
}

Result<std::int64_t> parse_limit(const std::optional<std::string>& value, LimitRule rule,
                                 std::int64_t min, bool reject_over_max, Violations& v) {
  if (!value) return rule.default_value;
  auto n = parse_int_param("limit", *value);
  if (!n) return add(v, "request.limit", n.error());
  if (*n < min) {
    return add(v, "request.limit",
               errors::invalid_parameter(min > 0 ? "Parameter \"limit\" must be a positive integer."
                                                 : "Parameter \"limit\" must be a non-negative "
                                                   "integer."));
  }
  if (*n > rule.max_value) {
    ApiError e = errors::invalid_parameter("Parameter \"limit\" must be at most " +
                                           std::to_string(rule.max_value) + ".");
    if (reject_over_max) return add(v, "request.limit", e);
    e.message = "limit " + *value + " is above the maximum " + std::to_string(rule.max_value) +
                " (clamped)";
    add(v, "request.limit", e, false);
    return rule.max_value;  // decision 10
  }
  return *n;
}

bool is_json_content_type(std::string_view ct) {
  std::string_view t = ct.substr(0, ct.find(';'));
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  static constexpr std::string_view kJson = "application/json";
  if (t.size() != kJson.size()) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char c = t[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kJson[i]) return false;
  }
  return true;
}

}  // namespace rqcheck
