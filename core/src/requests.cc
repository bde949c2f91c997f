#include "rqcheck/core/requests.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "near_names.h"
#include "request_scan.h"
#include "requests_internal.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck {

namespace {

using detail::JsonKind;
using detail::JsonScanner;
using detail::ScannedValue;

ApiError field_error(std::string_view where, std::string_view field, std::string_view what) {
  return errors::invalid_input("Invalid input: " + std::string(where) + "field \"" +
                               std::string(field) + "\" " + std::string(what) + ".");
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

// --- The rules. Both readers of a body (the scanner for bodies, the DOM for snapshots and as the
// scanner's reference) hand them the same typed values, in the same order. ---

// One member's value as the rules look at it.
struct Field {
  JsonKind kind = JsonKind::kNull;
  std::string_view str;      // kString: the decoded string
  std::int64_t integer = 0;  // kInteger: the value, saturated to the int64 range
};

// An empty body, or one over the payload limit (what parse_json checks before the text).
const Violation* refuse_body(std::string_view text, Violations& v) {
  if (text.empty()) {
    add(v, "request.body_not_json",
        errors::invalid_input(
            "Invalid input: the request body is empty; this operation takes a JSON body."));
  } else if (text.size() > kMaxPayloadBytes) {
    add(v, "request.body_not_json", errors::request_too_large(text.size()));
  } else {
    return nullptr;
  }
  return &v.back();
}

ApiError not_json(const ApiError& e, Violations& v) { return add(v, "request.body_not_json", e); }

ApiError not_an_object(std::string_view where, Violations& v) {
  return add(v, "request.body_not_object",
             errors::invalid_input("Invalid input: " + std::string(where) +
                                   "the request must be a JSON object."));
}

bool is_type_ok(std::string_view k, JsonKind kind) {
  const bool null = kind == JsonKind::kNull;
  if (k == "userData" || k == "headers") return kind == JsonKind::kObject || null;
  if (k == "noRetry") return kind == JsonKind::kBoolean || null;
  if (k == "errorMessages") return kind == JsonKind::kArray || null;
  if (k == "loadedUrl") return kind == JsonKind::kString || null;
  if (k == "payload") return kind == JsonKind::kString || kind == JsonKind::kObject || null;
  return true;
}

// A request's fields: RequestBase.yaml's properties and Request.yaml's id, plus the two that
// a head/lock answer adds (a client that sends a request back as it got it sends them too).
constexpr std::string_view kRequestFields[] = {"id",
                                               "uniqueKey",
                                               "url",
                                               "method",
                                               "retryCount",
                                               "loadedUrl",
                                               "payload",
                                               "headers",
                                               "userData",
                                               "noRetry",
                                               "errorMessages",
                                               "handledAt",
                                               "lockExpiresAt",
                                               "lockByClient"};

// The fields of one body that are not request fields, each reported once per body (a batch of
// 25 items with the same stray field is one finding, not 25). Bounded.
struct StrayFields {
  static constexpr std::size_t kMax = 16;
  std::vector<std::string> reported;
  bool first_time(std::string_view k) {
    for (const auto& r : reported) {
      if (r == k) return false;
    }
    if (reported.size() >= kMax) return false;
    reported.emplace_back(k);
    return true;
  }
};

// Decision 1 (uniqueKey required) and the RequestBase types of section 2, one request object at
// a time: field() for each member in key order (nlohmann's std::map order, one member per key,
// the last of duplicates), then finish(). Every broken field is recorded; the result is the first.
class DraftRules {
 public:
  DraftRules(std::string_view where, Violations& v, StrayFields* strays = nullptr)
      : where_(where), v_(v), from_(v.size()), strays_(strays) {}

  // True when `key` is one of the other fields: `,"key":` is in draft().extra and the caller
  // appends the value as compact JSON.
  bool field(std::string_view k, const Field& f) {
    if (k == "uniqueKey") {
      seen_unique_key_ = true;
      if (f.kind != JsonKind::kString) return broken("request.unique_key_missing", k, kString);
      d_.unique_key = f.str;
    } else if (k == "url") {
      seen_url_ = true;
      if (f.kind != JsonKind::kString) return broken("request.url_missing", k, kString);
      d_.url = f.str;
    } else if (k == "id") {
      if (f.kind == JsonKind::kNull) return false;
      if (f.kind != JsonKind::kString) return broken("request.id_mismatch", k, kString);
      d_.id = std::string(f.str);
    } else if (k == "method") {
      std::optional<std::uint8_t> m;
      if (f.kind == JsonKind::kString) m = request_method_index(f.str);
      if (!m) {
        return broken(
            "request.schema", k,
            "must be one of GET, HEAD, POST, PUT, DELETE, CONNECT, OPTIONS, TRACE, PATCH");
      }
      d_.method = *m;
    } else if (k == "retryCount") {
      if (f.kind != JsonKind::kInteger || f.integer < 0 ||
          f.integer > std::numeric_limits<std::int32_t>::max()) {
        return broken("request.schema", k, "must be a non-negative integer");
      }
      d_.retry_count = f.integer;
    } else if (k == "handledAt") {
      if (f.kind == JsonKind::kNull) return false;
      std::optional<TimeMs> t;
      if (f.kind == JsonKind::kString) t = parse_iso8601(f.str);
      if (!t) {
        return broken("request.schema", k, "must be null or an ISO 8601 date-time with a timezone");
      }
      d_.handled_at = t;
    } else if (k == "lockExpiresAt" || k == "lockByClient") {
      return false;  // server-owned, not stored
    } else {
      if (!is_type_ok(k, f.kind)) return broken("request.schema", k, "has the wrong type");
      if (strays_) stray(k);
      d_.extra += ',';
      append_json_string(d_.extra, k);
      d_.extra += ':';
      return true;
    }
    return false;
  }

  RequestDraft& draft() { return d_; }

  Result<RequestDraft> finish() {
    // A missing required field that a stray one misspells is one finding: the missing field,
    // naming the stray ("unique_key" for uniqueKey).
    auto required = [&](std::string_view name) {
      std::string what = "is required";
      for (auto it = near_.begin(); it != near_.end(); ++it) {
        if (it->second != name) continue;
        what += " (the body has \"" + it->first + "\" instead)";
        near_.erase(it);
        break;
      }
      return what;
    };
    if (!seen_unique_key_) {
      add(v_, "request.unique_key_missing",
          field_error(where_, "uniqueKey", required("uniqueKey")));
    }
    if (!seen_url_) add(v_, "request.url_missing", field_error(where_, "url", required("url")));
    for (const auto& [k, near] : near_) {
      add(v_, "request.unknown_field",
          field_error(where_, k,
                      "is not a field of a request (RequestBase); did you mean \"" +
                          std::string(near) + "\"? The API does not read it"),
          false);
    }
    if (const Violation* f = first_fatal(v_, from_)) return f->error;
    return std::move(d_);
  }

 private:
  static constexpr std::string_view kString = "must be a string";

  // A field RequestBase does not define: with a close request-field name a finding at finish()
  // (where a missing required field can absorb it), else a note now.
  void stray(std::string_view k) {
    for (std::string_view known : kRequestFields) {
      if (known == k) return;
    }
    if (!strays_->first_time(k)) return;
    detail::NearName near(k);
    for (std::string_view known : kRequestFields) near.offer(known);
    if (auto best = near.best()) {
      near_.emplace_back(std::string(k), *best);
      return;
    }
    add(v_, "request.extra_field",
        field_error(where_, k,
                    "is not a field of a request (RequestBase): the fake keeps it and returns "
                    "it as sent; what the API does with it is not documented"),
        false);
  }

  bool broken(std::string_view rule, std::string_view k, std::string_view what) {
    add(v_, rule, field_error(where_, k, what));
    return false;
  }

  std::string_view where_;
  Violations& v_;
  std::size_t from_;
  RequestDraft d_;
  bool seen_unique_key_ = false, seen_url_ = false;
  StrayFields* strays_;
  std::vector<std::pair<std::string, std::string_view>> near_;  // stray field, the field meant
};

// Decision 6: an array of 1..25 items, else 400 and nothing stored.
void check_batch_size(std::size_t n, Violations& v) {
  if (n == 0 || n > kMaxBatch) {
    add(v, "request.batch_size",
        errors::invalid_input("Invalid input: a batch must contain 1 to 25 requests (got " +
                              std::to_string(n) + ")."));
  }
}

// Items of a batch add, in order: decision 2 (the id derived from the uniqueKey) and decision 7
// (no duplicate uniqueKeys inside one batch).
class BatchAddRules {
 public:
  explicit BatchAddRules(Violations& v) : v_(v) { items_.reserve(kMaxBatch); }
  void item(Result<RequestDraft> d) {
    if (!d) return;
    auto rid = check_derived_id(*d);
    if (!rid) {
      add(v_, "request.id_mismatch", rid.error());
      return;
    }
    bool dup = false;
    for (std::size_t j = 0; j < items_.size() && !dup; ++j) {
      dup = items_[j].derived_id == *rid && items_[j].unique_key == d->unique_key;
    }
    if (dup) {
      add(v_, "request.batch_duplicate_keys", errors::duplicate_requests(d->unique_key));
      return;
    }
    d->derived_id = std::move(*rid);
    items_.push_back(std::move(*d));
  }
  std::vector<RequestDraft>& items() { return items_; }

 private:
  Violations& v_;
  std::vector<RequestDraft> items_;
};

// One item of a batch delete (spec 4 (9)): `id` and `unique_key` are its members of those names,
// if any (the last of duplicates).
void batch_delete_item(std::size_t i, const Field* id, const Field* unique_key,
                       std::vector<RequestKey>& items, Violations& v) {
  const std::string item = "item " + std::to_string(i);
  RequestKey key;
  bool bad = false;
  auto take = [&](const Field* f, std::string_view name, std::optional<std::string>& out) {
    if (!f || f->kind == JsonKind::kNull) return;
    if (f->kind != JsonKind::kString) {
      add(v, "request.batch_item_invalid",
          errors::invalid_input("Invalid input: " + item + ": \"" + std::string(name) +
                                "\" must be a string."));
      bad = true;
    } else {
      out = std::string(f->str);
    }
  };
  take(id, "id", key.id);
  take(unique_key, "uniqueKey", key.unique_key);
  if (bad) return;
  if (!key.id && !key.unique_key) {
    add(v, "request.batch_item_invalid",
        errors::invalid_input("Invalid input: " + item + " needs an \"id\" or a \"uniqueKey\"."));
    return;
  }
  if (key.id && key.unique_key && *key.id != request_id_for(*key.unique_key)) {
    add(v, "request.id_mismatch",
        errors::request_id_invalid("Request ID does not correspond to uniqueKey (" + item + ")."));
    return;
  }
  items.push_back(std::move(key));
}

void batch_delete_not_object(std::size_t i, Violations& v) {
  add(v, "request.batch_item_invalid",
      errors::invalid_input("Invalid input: item " + std::to_string(i) + " must be an object."));
}

ApiError batch_not_array(std::string_view what, Violations& v) {
  return add(v, "request.batch_not_array",
             errors::invalid_input("Invalid input: the body must be a JSON array" +
                                   std::string(what) + "."));
}

// Items past this many are parsed but not examined: a body's findings stay bounded.
constexpr std::size_t kMaxExaminedItems = 1000;

// --- The DOM reader. ---

Field field_of(const Json& j) {
  Field f;
  switch (j.type()) {
    case Json::value_t::boolean:
      f.kind = JsonKind::kBoolean;
      break;
    case Json::value_t::number_integer:
      f.kind = JsonKind::kInteger;
      f.integer = j.get<std::int64_t>();
      break;
    case Json::value_t::number_unsigned: {
      f.kind = JsonKind::kInteger;
      constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
      f.integer = static_cast<std::int64_t>(std::min(j.get<std::uint64_t>(), kMax));
      break;
    }
    case Json::value_t::number_float:
      f.kind = JsonKind::kFloat;
      break;
    case Json::value_t::string:
      f.kind = JsonKind::kString;
      f.str = j.get_ref<const std::string&>();
      break;
    case Json::value_t::array:
      f.kind = JsonKind::kArray;
      break;
    case Json::value_t::object:
      f.kind = JsonKind::kObject;
      break;
    default:
      f.kind = JsonKind::kNull;
  }
  return f;
}

Result<Json> parse_body_dom(std::string_view text, Violations& v) {
  if (const Violation* r = refuse_body(text, v)) return r->error;
  auto doc = parse_json(text, JsonLimits{kMaxJsonDepth, kMaxPayloadBytes});
  if (!doc) return not_json(doc.error(), v);
  return doc;
}

// --- The scanner's reader: one pass over the text, no document. ---

// The members of one object as scanned, then put in the rules' order: sorted by key, the last of
// duplicates only (what nlohmann's std::map keeps).
class ObjectReader {
 public:
  struct Member {
    std::string_view key;  // decoded: a view of the text, or of a string in decoded_
    ScannedValue value;
  };

  // Reads the object at the cursor; false on a JSON error (see the scanner).
  bool read(JsonScanner& s) {
    members_.clear();
    decoded_.clear();
    index_.clear();
    if (!s.open()) return false;
    std::string_view key;
    bool escaped;
    for (bool first = true; s.next_member(first, key, escaped);) {
      if (!s.value(slot(escaped ? decode(key) : key).value)) return false;
    }
    return !s.failed();
  }

  // A member's value for the rules (a string with escapes decoded).
  Field field(const Member& m) {
    Field f{m.value.kind, {}, m.value.integer};
    if (m.value.kind == JsonKind::kString) {
      f.str = m.value.escaped ? decode(m.value.string_body()) : m.value.string_body();
    }
    return f;
  }

  // The members in key order (one per key: see slot()).
  template <typename F>
  void for_each_sorted(F&& f) {
    order_.resize(members_.size());
    for (std::size_t i = 0; i < order_.size(); ++i) order_[i] = i;
    auto less = [&](std::size_t a, std::size_t b) { return members_[a].key < members_[b].key; };
    if (order_.size() <= 16) {  // insertion sort: the fastest for a request's few keys
      for (std::size_t i = 1; i < order_.size(); ++i) {
        const std::size_t x = order_[i];
        std::size_t j = i;
        for (; j > 0 && less(x, order_[j - 1]); --j) order_[j] = order_[j - 1];
        order_[j] = x;
      }
    } else {
      std::sort(order_.begin(), order_.end(), less);
    }
    for (std::size_t i : order_) f(members_[i]);
  }

  // The member named `key`, if any.
  Member* find(std::string_view key) {
    for (std::size_t i = members_.size(); i-- > 0;) {
      if (members_[i].key == key) return &members_[i];
    }
    return nullptr;
  }

 private:
  // The member named `key`: a new one, or the earlier one of that name, whose value the caller
  // overwrites (the last of duplicates wins). A few keys are compared one by one; past that an
  // open-addressing index keeps an object of many members (or of one key repeated a million
  // times) linear in time and in the distinct keys' memory.
  Member& slot(std::string_view key) {
    constexpr std::size_t kLinear = 16;
    if (members_.size() < kLinear) {
      for (Member& m : members_) {
        if (m.key == key) return m;
      }
      return add_member(key);
    }
    if (index_.size() < 2 * (members_.size() + 1)) rehash(4 * (members_.size() + 1));
    const std::size_t hash = std::hash<std::string_view>{}(key), mask = index_.size() - 1;
    const auto tag = static_cast<std::uint32_t>(hash >> 32);
    for (std::size_t h = hash & mask;; h = (h + 1) & mask) {
      Slot& e = index_[h];
      if (e.member == 0) {
        e = {static_cast<std::uint32_t>(members_.size() + 1), tag};
        return add_member(key);
      }
      if (e.tag == tag && members_[e.member - 1].key == key) return members_[e.member - 1];
    }
  }

  Member& add_member(std::string_view key) {
    Member& m = members_.emplace_back();
    m.key = key;
    return m;
  }

  // Grows the index to the power of two at or above `want` and puts every member in it.
  void rehash(std::size_t want) {
    std::size_t size = 64;
    while (size < want) size *= 2;
    index_.assign(size, Slot{});
    for (std::size_t i = 0; i < members_.size(); ++i) {
      const std::size_t hash = std::hash<std::string_view>{}(members_[i].key);
      std::size_t h = hash & (size - 1);
      while (index_[h].member != 0) h = (h + 1) & (size - 1);
      index_[h] = {static_cast<std::uint32_t>(i + 1), static_cast<std::uint32_t>(hash >> 32)};
    }
  }

  std::string_view decode(std::string_view body) {
    JsonScanner::decode_string(body, decoded_.emplace_back());
    return decoded_.back();
  }

  std::vector<Member> members_;
  std::vector<std::size_t> order_;
  std::deque<std::string> decoded_;  // stable addresses: members keep views of them
  struct Slot {
    std::uint32_t member = 0;  // index + 1 into members_, 0 when free
    std::uint32_t tag = 0;     // the high half of the key's hash
  };
  std::vector<Slot> index_;  // by key hash, once an object has more than kLinear members
};

// The request object at the cursor, through the rules. False on a JSON error.
bool scan_request(JsonScanner& s, ObjectReader& reader, DraftRules& rules) {
  if (!reader.read(s)) return false;
  reader.for_each_sorted([&](const ObjectReader::Member& m) {
    if (!rules.field(m.key, reader.field(m))) return;
    std::string& extra = rules.draft().extra;
    if (m.value.has_whitespace) {
      JsonScanner::append_minified(extra, m.value.text);
    } else {
      extra.append(m.value.text);
    }
  });
  return true;
}

// Appends the violations of a body found to be valid JSON after them.
void append(Violations& v, Violations& more) {
  for (Violation& x : more) v.push_back(std::move(x));
}

}  // namespace

std::optional<std::uint8_t> request_method_index(std::string_view name) {
  for (std::size_t i = 0; i < std::size(kRequestMethods); ++i) {
    if (kRequestMethods[i] == name) return static_cast<std::uint8_t>(i);
  }
  return std::nullopt;
}

namespace {

// The DOM walk of one request object; `strays` as in the scanner (null: stray fields are not
// findings, as for a snapshot's requests).
Result<RequestDraft> draft_from_dom(const Json& body, std::string_view where, Violations& v,
                                    StrayFields* strays) {
  if (!body.is_object()) return not_an_object(where, v);
  DraftRules rules(where, v, strays);
  for (auto it = body.begin(); it != body.end(); ++it) {
    if (rules.field(it.key(), field_of(it.value()))) {
      rules.draft().extra += dump_json(it.value());
    }
  }
  return rules.finish();
}

}  // namespace

Result<RequestDraft> request_draft_from_json(const Json& body, std::string_view where,
                                             Violations& v) {
  return draft_from_dom(body, where, v, nullptr);
}

Result<std::string> check_derived_id(const RequestDraft& d) {
  std::string rid = request_id_for(d.unique_key);
  if (d.id && *d.id != rid) {
    return errors::request_id_invalid("Request ID does not correspond to uniqueKey (expected \"" +
                                      rid + "\" for this uniqueKey, got \"" + *d.id + "\").");
  }
  return rid;
}

std::string take_request_id(RequestDraft& d) {
  if (d.derived_id.empty()) return request_id_for(d.unique_key);
  return std::exchange(d.derived_id, std::string());
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

// The body functions scan the text once (request_scan.h). Until the text has been read to its
// end, findings go to a local list: a body that turns out not to be JSON has only that finding.

Result<RequestDraft> parse_request_body(std::string_view text, Violations& v) {
  if (const Violation* r = refuse_body(text, v)) return r->error;
  JsonScanner s(text, kMaxJsonDepth);
  s.start();
  Violations found;
  std::optional<Result<RequestDraft>> out;
  if (s.peek() == '{') {
    ObjectReader reader;
    StrayFields strays;
    DraftRules rules("", found, &strays);
    if (!scan_request(s, reader, rules)) return not_json(s.error(), v);
    out = rules.finish();
  } else {
    if (!s.value()) return not_json(s.error(), v);
    out = not_an_object("", found);
  }
  if (!s.finish()) return not_json(s.error(), v);
  append(v, found);
  return std::move(*out);
}

Result<std::vector<RequestDraft>> parse_batch_add_body(std::string_view text, Violations& v) {
  if (const Violation* r = refuse_body(text, v)) return r->error;
  JsonScanner s(text, kMaxJsonDepth);
  s.start();
  if (s.peek() != '[') {
    if (!s.value() || !s.finish()) return not_json(s.error(), v);
    return batch_not_array(" of requests", v);
  }
  Violations found;
  BatchAddRules batch(found);
  StrayFields strays;
  ObjectReader reader;
  std::size_t n = 0;
  if (!s.open()) return not_json(s.error(), v);
  for (bool first = true; s.next_item(first); ++n) {
    if (n >= kMaxExaminedItems) {
      if (!s.value()) break;
      continue;
    }
    const std::string where = "item " + std::to_string(n) + ": ";
    if (s.peek() == '{') {
      DraftRules rules(where, found, &strays);
      if (!scan_request(s, reader, rules)) break;
      batch.item(rules.finish());
    } else {
      if (!s.value()) break;
      batch.item(not_an_object(where, found));
    }
  }
  if (s.failed() || !s.finish()) return not_json(s.error(), v);
  const std::size_t from = v.size();
  check_batch_size(n, v);
  append(v, found);
  if (const Violation* f = first_fatal(v, from)) return f->error;
  return std::move(batch.items());
}

Result<std::vector<RequestKey>> parse_batch_delete_body(std::string_view text, Violations& v) {
  if (const Violation* r = refuse_body(text, v)) return r->error;
  JsonScanner s(text, kMaxJsonDepth);
  s.start();
  if (s.peek() != '[') {
    if (!s.value() || !s.finish()) return not_json(s.error(), v);
    return batch_not_array("", v);
  }
  Violations found;
  std::vector<RequestKey> items;
  ObjectReader reader;
  std::size_t n = 0;
  if (!s.open()) return not_json(s.error(), v);
  for (bool first = true; s.next_item(first); ++n) {
    if (n >= kMaxExaminedItems || s.peek() != '{') {
      if (!s.value()) break;
      if (n < kMaxExaminedItems) batch_delete_not_object(n, found);
      continue;
    }
    if (!reader.read(s)) break;
    auto* id = reader.find("id");
    auto* unique_key = reader.find("uniqueKey");
    Field id_field, unique_key_field;
    if (id) id_field = reader.field(*id);
    if (unique_key) unique_key_field = reader.field(*unique_key);
    batch_delete_item(n, id ? &id_field : nullptr, unique_key ? &unique_key_field : nullptr, items,
                      found);
  }
  if (s.failed() || !s.finish()) return not_json(s.error(), v);
  const std::size_t from = v.size();
  check_batch_size(n, v);
  append(v, found);
  if (const Violation* f = first_fatal(v, from)) return f->error;
  return items;
}

// The reference: parse_json's document, walked.

Result<RequestDraft> detail::parse_request_body_dom(std::string_view text, Violations& v) {
  auto doc = parse_body_dom(text, v);
  if (!doc) return doc.error();
  StrayFields strays;
  return draft_from_dom(*doc, "", v, &strays);
}

Result<std::vector<RequestDraft>> detail::parse_batch_add_body_dom(std::string_view text,
                                                                   Violations& v) {
  auto doc = parse_body_dom(text, v);
  if (!doc) return doc.error();
  const std::size_t from = v.size();
  if (!doc->is_array()) return batch_not_array(" of requests", v);
  check_batch_size(doc->size(), v);
  BatchAddRules batch(v);
  StrayFields strays;
  const std::size_t n = std::min(doc->size(), kMaxExaminedItems);
  for (std::size_t i = 0; i < n; ++i) {
    batch.item(draft_from_dom((*doc)[i], "item " + std::to_string(i) + ": ", v, &strays));
  }
  if (const Violation* f = first_fatal(v, from)) return f->error;
  return std::move(batch.items());
}

Result<std::vector<RequestKey>> detail::parse_batch_delete_body_dom(std::string_view text,
                                                                    Violations& v) {
  auto doc = parse_body_dom(text, v);
  if (!doc) return doc.error();
  const std::size_t from = v.size();
  if (!doc->is_array()) return batch_not_array("", v);
  check_batch_size(doc->size(), v);
  std::vector<RequestKey> items;
  const std::size_t n = std::min(doc->size(), kMaxExaminedItems);
  for (std::size_t i = 0; i < n; ++i) {
    const Json& b = (*doc)[i];
    if (!b.is_object()) {
      batch_delete_not_object(i, v);
      continue;
    }
    auto id = b.find("id");
    auto unique_key = b.find("uniqueKey");
    Field id_field, unique_key_field;
    if (id != b.end()) id_field = field_of(*id);
    if (unique_key != b.end()) unique_key_field = field_of(*unique_key);
    batch_delete_item(i, id != b.end() ? &id_field : nullptr,
                      unique_key != b.end() ? &unique_key_field : nullptr, items, v);
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
  // The range first: casting a double outside int64_t's range is undefined behaviour (found by
  // the wire_call fuzz target with limit=0444444444444444444444).
  if (!n || *n > 9e15 || *n < -9e15 || *n != static_cast<double>(static_cast<std::int64_t>(*n))) {
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
