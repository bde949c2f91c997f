// The dashboard's assets and JSON endpoints (admin_ui.h). The JSON here is the admin API's own
// (not the Apify API's): a request inside it is written by the wire layer, as the API shows it.
#include "admin_ui.h"

#include <charconv>
#include <cstring>
#include <string_view>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/types.h"
#include "snapshot.h"
#include "wire.h"

namespace rqcheck::fake {

namespace {

// No script, style, image or connection from anywhere but the fake itself; no inline script or
// style; no frames, no plugins, no <base>.
constexpr const char* kContentSecurityPolicy =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

constexpr std::int64_t kMaxPageLimit = 1000;
constexpr std::int64_t kDefaultPageLimit = 50;
constexpr std::size_t kMaxFilterBytes = 1024;
constexpr std::size_t kMaxCursorBytes = 512;
// uniqueKey and url in a list row are cut here (the request's own view shows them whole).
constexpr std::size_t kRowStringBytes = 1024;
// A dataset item in a page is cut here (a page of 1000 items stays under 64 MiB).
constexpr std::size_t kItemBytes = 64 * 1024;
// A record served to the dashboard may be any content type: never run as a page of the
// dashboard's origin (a text/html record opened in a tab cannot reach the admin token).
constexpr const char* kRecordContentSecurityPolicy = "default-src 'none'; sandbox";

void secure(Reply& r) {
  r.set_header("X-Content-Type-Options", "nosniff");
  r.set_header("Referrer-Policy", "no-referrer");
  r.set_header("Cache-Control", "no-store");
}

Reply json_reply(std::string body) {
  Reply r;
  r.status = 200;
  r.body = std::move(body);
  secure(r);
  return r;
}

Reply data(const Json& j) { return json_reply("{\"data\":" + dump_json(j) + "}"); }

Reply error(ApiError e) {
  Reply r = Reply::of_error(std::move(e));
  secure(r);
  return r;
}

const ui::Asset* find_asset(std::string_view name) {
  for (std::size_t i = 0; i < ui::kAssetCount; ++i) {
    if (name == ui::kAssets[i].name) return &ui::kAssets[i];
  }
  return nullptr;
}

// A whole string as a signed integer; nothing else accepted.
bool parse_int(std::string_view s, std::int64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::vector<std::string_view> split_dots(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t i = 0;
  for (;;) {
    std::size_t j = s.find('.', i);
    out.push_back(s.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
    if (j == std::string_view::npos) return out;
    i = j + 1;
  }
}

// "<t>.<seq>" of a state position.
std::string position_cursor(const StatePosition& p) {
  return std::to_string(p.t) + "." + std::to_string(p.seq);
}
std::optional<StatePosition> parse_position(std::string_view s) {
  auto parts = split_dots(s);
  StatePosition p;
  if (parts.size() != 2 || !parse_int(parts[0], p.t) || !parse_int(parts[1], p.seq)) {
    return std::nullopt;
  }
  return p;
}

// "<userId>.<createdAt>.<createdSeq>.<queueId>" of a queue in the per-user index.
std::string queue_cursor(const QueueScanPosition& p) {
  return p.user_id + "." + std::to_string(p.created_at) + "." + std::to_string(p.created_seq) +
         "." + p.queue_id;
}
std::optional<QueueScanPosition> parse_queue_cursor(std::string_view s) {
  auto parts = split_dots(s);
  QueueScanPosition p;
  if (parts.size() != 4 || parts[0].empty() || parts[3].empty() ||
      !parse_int(parts[1], p.created_at) || !parse_int(parts[2], p.created_seq)) {
    return std::nullopt;
  }
  p.user_id = std::string(parts[0]);
  p.queue_id = std::string(parts[3]);
  return p;
}

// Key-value stores and datasets page as queues do: "<userId>.<createdAt>.<createdSeq>.<id>".
std::string storage_cursor(const StorageMeta& m) {
  return queue_cursor(QueueScanPosition{m.user_id, m.created_at, m.created_seq, m.id});
}

const char* state_name(RequestState s) {
  switch (s) {
    case RequestState::kPending:
      return "pending";
    case RequestState::kLocked:
      return "locked";
    case RequestState::kHandled:
      return "handled";
  }
  return "pending";
}

// At most `max` bytes of `s`, cut before a UTF-8 continuation byte.
std::string_view clip(std::string_view s, std::size_t max, bool& clipped) {
  if (s.size() <= max) return s;
  clipped = true;
  std::size_t n = max;
  while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;
  return s.substr(0, n);
}

// The state, position and lock of a request (rows and the request's own view).
void append_state(std::string& out, const InspectedRequest& r) {
  out += "\"state\":\"";
  out += state_name(r.state);
  out += "\",\"position\":\"";
  out += position_cursor(r.position);
  out += '"';
  if (r.view.lock_expires_at) {
    out += ",\"lockExpiresAt\":\"";
    append_iso8601(out, *r.view.lock_expires_at);
    out += "\",\"lockClientKey\":";
    if (r.view.lock_client_key.empty()) {
      out += "null";
    } else {
      append_json_string(out, r.view.lock_client_key);
    }
  }
}

// One list row: the request's fields, without its other fields (userData, headers, ...: their
// size only) and with long strings cut.
void append_row(std::string& out, const InspectedRequest& r) {
  const RequestView& v = r.view;
  bool clipped = false;
  out += "{\"id\":";
  append_json_string(out, v.id);
  out += ",\"uniqueKey\":";
  append_json_string(out, clip(v.unique_key, kRowStringBytes, clipped));
  out += ",\"url\":";
  append_json_string(out, clip(v.url, kRowStringBytes, clipped));
  out += ",\"method\":\"";
  out += kRequestMethods[v.method];
  out += "\",\"retryCount\":";
  out += std::to_string(v.retry_count);
  if (v.handled_at) {
    out += ",\"handledAt\":\"";
    append_iso8601(out, *v.handled_at);
    out += '"';
  }
  out += ",\"otherFieldsBytes\":";
  out += std::to_string(v.extra.empty() ? 0 : v.extra.size() - 1);  // without the leading ','
  if (clipped) out += ",\"clipped\":true";
  out += ',';
  append_state(out, r);
  out += '}';
}

Json overview_json(const QueueOverview& o) {
  Json j = to_json(o.info, true);
  j["counts"] = Json{{"total", o.info.total_request_count},
                     {"pending", o.pending},
                     {"locked", o.locked},
                     {"handled", o.handled}};
  return j;
}

// Query parameters: each known at most once, no other.
struct Query {
  const HttpRequest& http;
  std::optional<ApiError> bad;

  Query(const HttpRequest& h, std::initializer_list<std::string_view> known) : http(h) {
    for (auto it = h.query.begin(); it != h.query.end(); ++it) {
      bool ok = false;
      for (std::string_view k : known) ok = ok || it->first == k;
      if (!ok) {
        std::string list;
        for (std::string_view k : known) list += (list.empty() ? "" : ", ") + std::string(k);
        bad = errors::invalid_parameter("Unknown parameter \"" + it->first + "\" (" +
                                        (list.empty() ? "none is known" : "known: " + list) + ").");
        return;
      }
      if (h.query.count(it->first) > 1) {
        bad = errors::invalid_parameter("Parameter \"" + it->first + "\" is given twice.");
        return;
      }
    }
  }
  const std::string* get(std::string_view k) const { return http.param(k); }
  // limit: 1..kMaxPageLimit, default kDefaultPageLimit.
  std::optional<std::int64_t> limit() {
    const std::string* v = get("limit");
    std::int64_t n = kDefaultPageLimit;
    if (v && (!parse_int(*v, n) || n < 1 || n > kMaxPageLimit)) {
      bad = errors::invalid_parameter("limit must be an integer from 1 to " +
                                      std::to_string(kMaxPageLimit) + ".");
      return std::nullopt;
    }
    return n;
  }
};

Reply overview(const AdminContext& ctx) {
  Json rules = ctx.faults.rules_json();
  TimeMs now = ctx.clock.now_ms();
  // The journal's operation filter takes these (operationId or alias).
  Json ops = Json::array();
  for (const OperationInfo& op : all_operations()) {
    ops.push_back(Json{{"id", op.id}, {"alias", op.alias}, {"method", op.method}});
  }
  return data(Json{{"now", format_iso8601(now)},
                   {"nowMs", now},
                   {"clock", ctx.manual_clock ? "virtual" : "system"},
                   {"users", ctx.store.user_count()},
                   {"storages", Json{{"requestQueues", ctx.store.queue_count()},
                                     {"keyValueStores", ctx.key_value_stores.count()},
                                     {"datasets", ctx.datasets.count()}}},
                   {"faultRules", rules.contains("rules") ? rules["rules"].size() : 0},
                   {"journalCapacity", ctx.journal.capacity()},
                   {"operations", std::move(ops)}});
}

Reply list_queues(const AdminContext& ctx, const HttpRequest& http) {
  Query q(http, {"user", "cursor", "limit"});
  if (q.bad) return error(*q.bad);
  QueueScan scan;
  auto limit = q.limit();
  if (!limit) return error(*q.bad);
  scan.limit = *limit;
  if (const std::string* c = q.get("cursor")) {
    auto pos = c->size() <= kMaxCursorBytes ? parse_queue_cursor(*c) : std::nullopt;
    if (!pos) return error(errors::invalid_parameter("cursor is not a cursor of this list."));
    scan.after = std::move(*pos);
  }
  QueueOverviewPage empty;
  Result<QueueOverviewPage> page = empty;
  std::optional<User> user;
  if (const std::string* u = q.get("user")) user = ctx.store.find_user(*u);
  if (q.get("user") && !user) {
    empty.total = static_cast<std::int64_t>(ctx.store.queue_count());
    page = empty;  // an unknown user owns nothing: an empty page, not an error
  } else {
    if (user) scan.user_id = user->id;
    page = ctx.store.inspect_queues(scan);
    if (!page) return error(page.error());
  }
  Json items = Json::array();
  for (const QueueOverview& o : page->items) items.push_back(overview_json(o));
  return data(Json{{"items", std::move(items)},
                   {"count", page->items.size()},
                   {"limit", scan.limit},
                   {"total", page->total},
                   {"users", ctx.store.user_count()},
                   {"nextCursor", page->next ? Json(queue_cursor(*page->next)) : Json(nullptr)}});
}

Reply get_queue(const AdminContext& ctx, const std::string& id) {
  auto o = ctx.store.inspect_queue(id);
  if (!o) return error(o.error());
  Json j = overview_json(*o);
  j["stats"] = to_json(o->info)["stats"];
  return data(j);
}

Reply list_requests(const AdminContext& ctx, const HttpRequest& http, const std::string& queue) {
  Query q(http, {"state", "cursor", "limit", "contains", "uniqueKey", "id"});
  if (q.bad) return error(*q.bad);
  auto limit = q.limit();
  if (!limit) return error(*q.bad);
  InspectQuery iq;
  iq.limit = *limit;
  std::string state = q.get("state") ? *q.get("state") : "pending";
  if (state == "pending") {
    iq.state = RequestState::kPending;
  } else if (state == "locked") {
    iq.state = RequestState::kLocked;
  } else if (state == "handled") {
    iq.state = RequestState::kHandled;
  } else if (state != "all") {
    return error(errors::invalid_parameter("state must be pending, locked, handled or all."));
  }
  if (const std::string* c = q.get("cursor")) {
    if (c->size() > kMaxCursorBytes) return error(errors::invalid_parameter("cursor is too long."));
    if (iq.state) {
      auto pos = parse_position(*c);
      if (!pos) return error(errors::invalid_parameter("cursor is not a cursor of this list."));
      iq.after = *pos;
    } else {
      iq.after_id = *c;
    }
  }
  if (const std::string* f = q.get("contains")) {
    if (f->size() > kMaxFilterBytes) {
      return error(errors::invalid_parameter("contains is longer than 1024 bytes."));
    }
    iq.contains = *f;
  }
  std::string out = "{\"data\":{\"items\":[";
  bool first = true;
  auto sink = [&](const InspectedRequest& r) {
    if (!first) out += ',';
    first = false;
    append_row(out, r);
  };
  // An exact lookup (by id, or by uniqueKey through its id): one request or none, O(log n).
  const std::string* by_id = q.get("id");
  const std::string* by_key = q.get("uniqueKey");
  if (by_id || by_key) {
    std::string rid = by_id ? *by_id : request_id_for(*by_key);
    std::size_t listed = 0;
    auto st = ctx.store.inspect_request(queue, rid, [&](const InspectedRequest& r) {
      bool in_state = !iq.state || *iq.state == r.state;
      bool same_key = !by_key || r.view.unique_key == *by_key;
      if (in_state && same_key) {
        sink(r);
        ++listed;
      }
    });
    if (!st && st.error().status == 404) {
      // No such request; the queue itself must exist.
      auto o = ctx.store.inspect_queue(queue);
      if (!o) return error(o.error());
    } else if (!st) {
      return error(st.error());
    }
    out += "],\"state\":\"" + state + "\",\"limit\":" + std::to_string(iq.limit) +
           ",\"count\":" + std::to_string(listed) + ",\"scanned\":" + std::to_string(listed) +
           ",\"nextCursor\":null}}";
    return json_reply(std::move(out));
  }
  auto page = ctx.store.inspect_requests(queue, iq, sink);
  if (!page) return error(page.error());
  out += "],\"state\":\"" + state + "\",\"limit\":" + std::to_string(iq.limit) +
         ",\"count\":" + std::to_string(page->listed) +
         ",\"scanned\":" + std::to_string(page->scanned) + ",\"nextCursor\":";
  if (page->next) {
    out += '"' + position_cursor(*page->next) + '"';
  } else if (page->next_id) {
    append_json_string(out, *page->next_id);
  } else {
    out += "null";
  }
  out += "}}";
  return json_reply(std::move(out));
}

Reply get_request(const AdminContext& ctx, const std::string& queue, const std::string& id) {
  std::string out;
  auto st = ctx.store.inspect_request(queue, id, [&](const InspectedRequest& r) {
    out = "{\"data\":{";
    append_state(out, r);
    out += ",\"request\":";
    wire::append_request_json(out, r.view);
    out += "}}";
  });
  if (!st) return error(st.error());
  return json_reply(std::move(out));
}

// --- key-value stores and datasets -------------------------------------------------------------

// What a storage list page shares: the scan's position, the user filter, the limit.
struct StorageScanArgs {
  std::optional<std::string> user_id;
  bool unknown_user = false;  // ?user= names nobody: an empty page, not an error
  std::size_t limit = 0;
  std::optional<QueueScanPosition> after;
};
Result<StorageScanArgs> storage_scan_args(const AdminContext& ctx, const HttpRequest& http) {
  Query q(http, {"user", "cursor", "limit"});
  if (q.bad) return *q.bad;
  auto limit = q.limit();
  if (!limit) return *q.bad;
  StorageScanArgs a;
  a.limit = static_cast<std::size_t>(*limit);
  if (const std::string* c = q.get("cursor")) {
    a.after = c->size() <= kMaxCursorBytes ? parse_queue_cursor(*c) : std::nullopt;
    if (!a.after) return errors::invalid_parameter("cursor is not a cursor of this list.");
  }
  if (const std::string* u = q.get("user")) {
    if (auto user = ctx.store.find_user(*u)) {
      a.user_id = user->id;
    } else {
      a.unknown_user = true;
    }
  }
  return a;
}

template <typename T>
std::optional<typename Directory<T>::ScanPosition> scan_after(const StorageScanArgs& a) {
  if (!a.after) return std::nullopt;
  return typename Directory<T>::ScanPosition{a.after->user_id, a.after->created_at,
                                             a.after->created_seq};
}

Json kv_store_json(const KvStoreInfo& s) {
  Json j = storage_meta_json(s.meta);
  j["recordCount"] = s.record_count;
  j["storageBytes"] = s.stats.storage_bytes;
  j["stats"] = Json{{"readCount", s.stats.read_count},
                    {"writeCount", s.stats.write_count},
                    {"deleteCount", s.stats.delete_count},
                    {"listCount", s.stats.list_count},
                    {"storageBytes", s.stats.storage_bytes}};
  return j;
}

Json dataset_json(const DatasetInfo& d) {
  Json j = storage_meta_json(d.meta);
  j["itemCount"] = d.item_count;
  j["cleanItemCount"] = d.clean_item_count;
  j["storageBytes"] = d.stats.storage_bytes;
  j["stats"] = Json{{"readCount", d.stats.read_count},
                    {"writeCount", d.stats.write_count},
                    {"storageBytes", d.stats.storage_bytes}};
  return j;
}

// The answer of a storage list, as /__admin/queues answers.
template <typename Scan, typename ToJson>
Reply storage_page(const AdminContext& ctx, const StorageScanArgs& a, const Scan& scan,
                   ToJson&& to_json_fn) {
  Json items = Json::array();
  for (const auto& s : scan.items) items.push_back(to_json_fn(s));
  Json next = nullptr;
  if (scan.more && !scan.items.empty()) next = storage_cursor(scan.items.back().meta);
  return data(Json{{"items", std::move(items)},
                   {"count", scan.items.size()},
                   {"limit", a.limit},
                   {"total", scan.total},
                   {"users", ctx.store.user_count()},
                   {"nextCursor", std::move(next)}});
}

Reply list_kv_stores(const AdminContext& ctx, const HttpRequest& http) {
  auto a = storage_scan_args(ctx, http);
  if (!a) return error(a.error());
  KvStoresScan scan;
  if (a->unknown_user) {
    scan.total = static_cast<std::int64_t>(ctx.key_value_stores.count());
  } else {
    scan = ctx.key_value_stores.inspect_stores(a->user_id, scan_after<KeyValueStore>(*a), a->limit);
  }
  return storage_page(ctx, *a, scan, kv_store_json);
}

Reply get_kv_store(const AdminContext& ctx, const HttpRequest& http, const std::string& id) {
  Query q(http, {});
  if (q.bad) return error(*q.bad);
  auto s = ctx.key_value_stores.inspect(id);
  if (!s) return error(s.error());
  return data(kv_store_json(*s));
}

Reply list_keys(const AdminContext& ctx, const HttpRequest& http, const std::string& id) {
  Query q(http, {"cursor", "limit", "prefix"});
  if (q.bad) return error(*q.bad);
  auto limit = q.limit();
  if (!limit) return error(*q.bad);
  std::optional<std::string> after;
  if (const std::string* c = q.get("cursor")) {
    if (c->empty() || c->size() > kMaxCursorBytes) {
      return error(errors::invalid_parameter("cursor is not a cursor of this list."));
    }
    after = *c;
  }
  std::string prefix;
  if (const std::string* p = q.get("prefix")) {
    if (p->size() > kMaxFilterBytes) {
      return error(errors::invalid_parameter("prefix is longer than 1024 bytes."));
    }
    prefix = *p;
  }
  auto page =
      ctx.key_value_stores.inspect_keys(id, after, prefix, static_cast<std::size_t>(*limit));
  if (!page) return error(page.error());
  Json items = Json::array();
  for (const KvInspectedKey& k : page->items) {
    items.push_back(Json{{"key", k.key}, {"size", k.size}, {"contentType", k.content_type}});
  }
  return data(Json{{"items", std::move(items)},
                   {"count", page->items.size()},
                   {"limit", *limit},
                   {"prefix", prefix},
                   {"nextCursor", page->next ? Json(*page->next) : Json(nullptr)}});
}

Reply get_record(const AdminContext& ctx, const HttpRequest& http, const std::string& id,
                 const std::string& key) {
  Query q(http, {"download"});
  if (q.bad) return error(*q.bad);
  bool download = false;
  if (const std::string* d = q.get("download")) {
    if (*d == "1" || *d == "true") {
      download = true;
    } else if (*d != "0" && *d != "false") {
      return error(errors::invalid_parameter("download must be 1 or 0."));
    }
  }
  if (auto ok = check_record_key(key); !ok) return error(ok.error());
  auto rec = ctx.key_value_stores.inspect_record(id, key);
  if (!rec) return error(rec.error());
  Reply r;
  r.status = 200;
  r.body = std::move(rec->value);
  r.content_type = rec->content_type;
  r.set_header("Content-Type", rec->content_type);
  secure(r);
  r.set_header("Content-Security-Policy", kRecordContentSecurityPolicy);
  // Record keys need no quoting: their characters are [a-zA-Z0-9!-_.'()].
  if (download) r.set_header("Content-Disposition", "attachment; filename=\"" + key + "\"");
  return r;
}

Reply list_datasets(const AdminContext& ctx, const HttpRequest& http) {
  auto a = storage_scan_args(ctx, http);
  if (!a) return error(a.error());
  DatasetsScan scan;
  if (a->unknown_user) {
    scan.total = static_cast<std::int64_t>(ctx.datasets.count());
  } else {
    scan = ctx.datasets.inspect_datasets(a->user_id, scan_after<Dataset>(*a), a->limit);
  }
  return storage_page(ctx, *a, scan, dataset_json);
}

Reply get_dataset(const AdminContext& ctx, const HttpRequest& http, const std::string& id) {
  Query q(http, {});
  if (q.bad) return error(*q.bad);
  auto d = ctx.datasets.inspect(id);
  if (!d) return error(d.error());
  return data(dataset_json(*d));
}

Reply list_items(const AdminContext& ctx, const HttpRequest& http, const std::string& id) {
  Query q(http, {"offset", "limit"});
  if (q.bad) return error(*q.bad);
  auto limit = q.limit();
  if (!limit) return error(*q.bad);
  std::int64_t offset = 0;
  if (const std::string* o = q.get("offset")) {
    if (!parse_int(*o, offset) || offset < 0) {
      return error(errors::invalid_parameter("offset must be a non-negative integer."));
    }
  }
  auto page = ctx.datasets.inspect_items(id, offset, static_cast<std::size_t>(*limit), kItemBytes);
  if (!page) return error(page.error());
  // Each item's text as a string: the page shows it as text (pretty-printed when it parses).
  Json items = Json::array();
  std::int64_t index = page->offset;
  for (const InspectedItem& it : page->items) {
    Json row{{"index", index++}, {"size", it.size}, {"json", it.json}};
    if (it.clipped) row["clipped"] = true;
    items.push_back(std::move(row));
  }
  const std::int64_t end = page->offset + static_cast<std::int64_t>(page->items.size());
  return data(Json{{"items", std::move(items)},
                   {"count", page->items.size()},
                   {"offset", page->offset},
                   {"limit", *limit},
                   {"total", page->total},
                   {"nextOffset", end < page->total ? Json(end) : Json(nullptr)}});
}

Reply journal_entry(const AdminContext& ctx, const std::string& seq_text) {
  std::int64_t seq = 0;
  if (!parse_int(seq_text, seq) || seq < 1) {
    return error(errors::invalid_parameter("A journal entry is named by its seq (1, 2, ...)."));
  }
  auto e = ctx.journal.get(static_cast<std::uint64_t>(seq));
  if (!e) {
    return error(errors::record_not_found("Journal entry " + seq_text +
                                          " is not in the journal (it keeps the newest " +
                                          std::to_string(ctx.journal.capacity()) + ")."));
  }
  return data(to_json(*e));
}

}  // namespace

std::optional<Reply> ui_asset(const HttpRequest& http, bool token_required) {
  std::string_view path = http.path;
  constexpr std::string_view kUi = "/__admin/ui";
  std::string_view name;
  if (path == "/" || path == kUi || path == "/__admin/ui/") {
    name = "index.html";
  } else if (path.size() > kUi.size() + 1 && path.substr(0, kUi.size() + 1) == "/__admin/ui/") {
    name = path.substr(kUi.size() + 1);
  } else {
    return std::nullopt;
  }
  if (http.method != "GET" && http.method != "HEAD") {
    Reply r = error(errors::method_not_allowed("GET,HEAD"));
    r.headers.emplace_back("Allow", "GET, HEAD");
    return r;
  }
  if (name == "session") return data(Json{{"tokenRequired", token_required}});
  const ui::Asset* asset = find_asset(name);
  if (!asset) return error(errors::page_not_found(http.path));
  Reply r;
  r.status = 200;
  r.body.assign(asset->body, asset->size);
  r.content_type = asset->content_type;
  r.set_header("Content-Security-Policy", kContentSecurityPolicy);
  r.set_header("X-Frame-Options", "DENY");
  secure(r);
  r.set_header("Cache-Control", "no-cache");
  return r;
}

std::optional<Reply> ui_api(const AdminContext& ctx, const HttpRequest& http,
                            const std::vector<std::string>& parts) {
  if (parts.size() < 2) return std::nullopt;
  const std::string& what = parts[1];
  const bool get = http.method == "GET" || http.method == "HEAD";
  if (what == "overview" && parts.size() == 2) {
    return get ? overview(ctx) : error(errors::method_not_allowed("GET"));
  }
  if (what == "queues" && parts.size() <= 5) {
    if (!get) return error(errors::method_not_allowed("GET"));
    if (parts.size() == 2) return list_queues(ctx, http);
    if (parts.size() == 3) return get_queue(ctx, parts[2]);
    if (parts[3] != "requests") return error(errors::page_not_found(http.path));
    if (parts.size() == 4) return list_requests(ctx, http, parts[2]);
    return get_request(ctx, parts[2], parts[4]);
  }
  if (what == "key-value-stores" && parts.size() <= 5) {
    if (!get) return error(errors::method_not_allowed("GET"));
    if (parts.size() == 2) return list_kv_stores(ctx, http);
    if (parts.size() == 3) return get_kv_store(ctx, http, parts[2]);
    if (parts.size() == 4 && parts[3] == "keys") return list_keys(ctx, http, parts[2]);
    if (parts.size() == 5 && parts[3] == "records") {
      return get_record(ctx, http, parts[2], parts[4]);
    }
    return error(errors::page_not_found(http.path));
  }
  if (what == "datasets" && parts.size() <= 4) {
    if (!get) return error(errors::method_not_allowed("GET"));
    if (parts.size() == 2) return list_datasets(ctx, http);
    if (parts.size() == 3) return get_dataset(ctx, http, parts[2]);
    if (parts[3] == "items") return list_items(ctx, http, parts[2]);
    return error(errors::page_not_found(http.path));
  }
  if (what == "journal" && parts.size() == 3) {
    return get ? journal_entry(ctx, parts[2]) : error(errors::method_not_allowed("GET"));
  }
  return std::nullopt;
}

}  // namespace rqcheck::fake
