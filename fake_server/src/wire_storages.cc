// The wire layer for key-value stores, datasets and users: their query parameters and bodies
// become StorageArgs (once, every rule recorded as a violation), and their typed outcomes become
// the answer's bytes. docs/storages.md has every parameter and every choice made where the API
// docs are silent; the objects follow components/schemas/{key-value-stores,datasets,users}.
#include <algorithm>
#include <cctype>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/requests.h"
#include "wire.h"
#include "wire_items.h"
#include "zip.h"

namespace rqcheck::fake::wire {

namespace {

using O = Operation;

// An integer query parameter; nullopt when absent or invalid (refused).
std::optional<std::int64_t> int_param(const HttpRequest& http, std::string_view name, Call& call) {
  auto v = http.opt_param(name);
  if (!v) return std::nullopt;
  auto n = parse_int_param(name, *v);
  if (!n) {
    refuse(call, "request.integer_param", n.error());
    return std::nullopt;
  }
  return *n;
}

// "a, b,,c" -> {"a", "b", "c"} (fields, omit, outputFields: comma-separated names).
std::vector<std::string> name_list(std::string_view v) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= v.size()) {
    std::size_t j = std::min(v.find(',', i), v.size());
    std::string_view f = v.substr(i, j - i);
    while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
    while (!f.empty() && f.back() == ' ') f.remove_suffix(1);
    if (!f.empty()) out.emplace_back(f);
    i = j + 1;
  }
  return out;
}

// GET /v2/key-value-stores, GET /v2/datasets (paginationParameters; the Directory checks the
// ranges: negative offset or limit, an unknown ownership).
void parse_storage_list(const HttpRequest& http, Call& call) {
  StorageListQuery& q = call.args.storage.list;
  if (auto n = int_param(http, "offset", call)) q.offset = *n;
  if (auto n = int_param(http, "limit", call)) q.limit = *n;
  if (auto b = bool_param(http, "desc", call)) q.desc = *b;
  if (auto b = bool_param(http, "unnamed", call)) q.unnamed = *b;
  q.ownership = http.opt_param("ownership");
}

void parse_storage_update(const HttpRequest& http, Call& call) {
  parse_update_body(http, call);
  const QueueChanges& c = call.args.changes;
  StorageUpdate& u = call.args.storage.update;
  u.name = c.name;
  if (c.general_access) {
    u.general_access = parse_general_access(*c.general_access);
    if (!u.general_access) {
      refuse(call, "request.schema",
             errors::invalid_input(
                 "Invalid input: \"generalAccess\" must be one of ANYONE_WITH_ID_CAN_READ, "
                 "ANYONE_WITH_NAME_CAN_READ, FOLLOW_USER_SETTING, RESTRICTED."));
    }
  }
}

constexpr std::string_view kRefusedFormats[] = {"csv", "html", "xlsx", "xml", "rss"};

// GET/HEAD .../items: the page, its shape and its format (docs/storages.md, section 3).
void parse_items(const HttpRequest& http, Call& call) {
  StorageArgs& a = call.args.storage;
  if (auto n = int_param(http, "offset", call)) a.items.offset = *n;
  if (auto n = int_param(http, "limit", call)) a.items.limit = *n;
  if (auto b = bool_param(http, "desc", call)) a.items.desc = *b;
  ItemsView& v = a.view;
  if (auto b = bool_param(http, "clean", call); b && *b) v.skip_hidden = v.skip_empty = true;
  if (auto b = bool_param(http, "skipHidden", call); b && *b) v.skip_hidden = true;
  if (auto b = bool_param(http, "skipEmpty", call); b && *b) v.skip_empty = true;
  if (auto b = bool_param(http, "bom", call)) v.bom = *b;
  if (auto b = bool_param(http, "attachment", call)) v.attachment = *b;
  if (auto f = http.opt_param("fields")) {
    auto names = name_list(*f);
    if (!names.empty()) v.fields = std::move(names);
  }
  if (auto o = http.opt_param("omit")) v.omit = name_list(*o);
  if (auto o = http.opt_param("outputFields")) {
    v.output_fields = name_list(*o);
    if (!v.fields || v.fields->size() != v.output_fields.size()) {
      refuse(call, "request.output_fields",
             errors::invalid_parameter("Parameter \"outputFields\" must name as many fields as "
                                       "\"fields\" (it renames them positionally)."));
    }
  }
  if (auto f = http.opt_param("format")) {
    std::string format = *f;
    for (char& c : format) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (format == "json") {
      v.format = ItemsFormat::kJson;
    } else if (format == "jsonl") {
      v.format = ItemsFormat::kJsonl;
    } else if (std::find(std::begin(kRefusedFormats), std::end(kRefusedFormats), format) !=
               std::end(kRefusedFormats)) {
      refuse(call, "request.format",
             errors::invalid_parameter("Parameter \"format\": " + format +
                                       " is not supported by rq-fake (it serves json and jsonl)."));
    } else {
      refuse(call, "request.format",
             errors::invalid_parameter("Parameter \"format\" must be one of json, jsonl, csv, "
                                       "html, xlsx, xml, rss (got \"" +
                                       *f + "\")."));
    }
  }
  // Not emulated, loudly (docs/storages.md): reshaping features no crawler path uses.
  for (std::string_view name : {"unwind", "flatten", "view"}) {
    if (http.param(name)) {
      refuse(call, "request.not_emulated",
             errors::invalid_parameter("Parameter \"" + std::string(name) +
                                       "\" is not supported by rq-fake."));
    }
  }
  for (std::string_view name : {"simplified", "skipFailedPages"}) {
    if (auto b = bool_param(http, name, call); b && *b) {
      refuse(call, "request.not_emulated",
             errors::invalid_parameter("Parameter \"" + std::string(name) +
                                       "\" is not supported by rq-fake."));
    }
  }
}

void parse_push(const HttpRequest& http, Call& call) {
  if (!json_body_ok(http, call)) return;
  auto items = parse_push_body(http.body);
  if (!items) {
    refuse(call, "request.items", items.error());
    return;
  }
  call.args.storage.push = std::move(*items);
}

bool is_record_op(O op) {
  return op == O::kKvRecordGet || op == O::kKvRecordHead || op == O::kKvRecordPut ||
         op == O::kKvRecordPost || op == O::kKvRecordDelete;
}

// --- writers ---------------------------------------------------------------------------------

void key(std::string& out, std::string_view k) {
  out += '"';
  out += k;
  out += "\":";
}

void str(std::string& out, std::string_view k, std::string_view v) {
  key(out, k);
  append_json_string(out, v);
}

void opt_str(std::string& out, std::string_view k, const std::optional<std::string>& v) {
  key(out, k);
  if (v) {
    append_json_string(out, *v);
  } else {
    out += "null";
  }
}

void num(std::string& out, std::string_view k, std::int64_t v) {
  key(out, k);
  out += std::to_string(v);
}

void boolean(std::string& out, std::string_view k, bool v) {
  key(out, k);
  out += v ? "true" : "false";
}

void timestamp(std::string& out, std::string_view k, TimeMs t) {
  key(out, k);
  out += '"';
  append_iso8601(out, t);
  out += '"';
}

// id, name, userId, username and the three timestamps: every storage object starts so.
void append_meta(std::string& out, const StorageMeta& m) {
  str(out, "id", m.id);
  out += ',';
  opt_str(out, "name", m.name);
  out += ',';
  str(out, "userId", m.user_id);
  out += ',';
  str(out, "username", m.username);
  out += ',';
  timestamp(out, "createdAt", m.created_at);
  out += ',';
  timestamp(out, "modifiedAt", m.modified_at);
  out += ',';
  timestamp(out, "accessedAt", m.accessed_at);
  out += ",\"actId\":null,\"actRunId\":null,";
}

// KeyValueStore.yaml.
void append_kv_store(std::string& out, const KvStoreInfo& s, const std::string& base) {
  const std::string self = base + "/v2/key-value-stores/" + s.meta.id;
  out += '{';
  append_meta(out, s.meta);
  str(out, "consoleUrl", "https://console.apify.com/storage/key-value-stores/" + s.meta.id);
  out += ',';
  str(out, "keysPublicUrl", self + "/keys");
  out += ',';
  str(out, "recordsPublicUrl", self + "/records");
  out += ",\"urlSigningSecretKey\":null,";
  str(out, "generalAccess", to_string(s.meta.general_access));
  out += ",\"stats\":{";
  num(out, "readCount", s.stats.read_count);
  out += ',';
  num(out, "writeCount", s.stats.write_count);
  out += ',';
  num(out, "deleteCount", s.stats.delete_count);
  out += ',';
  num(out, "listCount", s.stats.list_count);
  out += ',';
  num(out, "storageBytes", s.stats.storage_bytes);
  out += "}}";
}

// Dataset.yaml, or DatasetListItem.yaml in a list.
void append_dataset(std::string& out, const DatasetInfo& d, const std::string& base,
                    bool list_item) {
  out += '{';
  append_meta(out, d.meta);
  num(out, "itemCount", d.item_count);
  out += ',';
  num(out, "cleanItemCount", d.clean_item_count);
  out += ',';
  if (!list_item) {
    out += "\"fields\":null,\"schema\":null,";
    str(out, "consoleUrl", "https://console.apify.com/storage/datasets/" + d.meta.id);
    out += ',';
    str(out, "itemsPublicUrl", base + "/v2/datasets/" + d.meta.id + "/items");
    out += ",\"urlSigningSecretKey\":null,";
  } else {
    out += "\"title\":null,";
  }
  str(out, "generalAccess", to_string(d.meta.general_access));
  out += ",\"stats\":{";
  num(out, "readCount", d.stats.read_count);
  out += ',';
  num(out, "writeCount", d.stats.write_count);
  out += ',';
  num(out, list_item ? "inflatedBytes" : "storageBytes", d.stats.storage_bytes);
  out += "}}";
}

// PaginationResponse.yaml plus `unnamed` (ListOfKeyValueStores, ListOfDatasets).
template <typename Page, typename Fn>
void append_storage_page(std::string& out, const Page& p, Fn&& item) {
  out += '{';
  num(out, "total", p.total);
  out += ',';
  num(out, "offset", p.offset);
  out += ',';
  num(out, "limit", p.limit);
  out += ',';
  num(out, "count", p.count);
  out += ',';
  boolean(out, "desc", p.desc);
  out += ',';
  boolean(out, "unnamed", p.unnamed);
  out += ",\"items\":[";
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    if (i) out += ',';
    item(out, p.items[i]);
  }
  out += "]}";
}

// ListOfKeys.yaml.
void append_keys(std::string& out, const KvKeysPage& p, const std::string& base) {
  const std::string records = base + "/v2/key-value-stores/" + p.store_id + "/records/";
  out += "{\"items\":[";
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    if (i) out += ',';
    out += '{';
    str(out, "key", p.items[i].key);
    out += ',';
    num(out, "size", p.items[i].size);
    out += ',';
    str(out, "recordPublicUrl", records + p.items[i].key);
    out += '}';
  }
  out += "],";
  num(out, "count", p.count);
  out += ',';
  num(out, "limit", p.limit);
  out += ',';
  opt_str(out, "exclusiveStartKey", p.exclusive_start_key);
  out += ',';
  boolean(out, "isTruncated", p.is_truncated);
  out += ',';
  opt_str(out, "nextExclusiveStartKey", p.next_exclusive_start_key);
  out += '}';
}

constexpr std::string_view kPlatformFeatures[] = {
    "ACTORS",
    "STORAGE",
    "SCHEDULER",
    "PROXY",
    "PROXY_EXTERNAL_ACCESS",
    "PROXY_RESIDENTIAL",
    "PROXY_SERPS",
    "WEBHOOKS",
    "ACTORS_PUBLIC_ALL",
    "ACTORS_PUBLIC_DEVELOPER",
};

// UserPrivateInfo.yaml (GET /v2/users/me) or UserPublicInfo.yaml (GET /v2/users/{userId}).
void append_user(std::string& out, const User& u, bool private_info) {
  out += '{';
  if (private_info) {
    str(out, "id", u.id);
    out += ',';
  }
  str(out, "username", u.username);
  out += ",\"profile\":{";
  str(out, "name", u.username);
  out += '}';
  if (private_info) {
    out += ',';
    str(out, "email", u.username + "@rq-fake.invalid");
    out += ",\"proxy\":{\"password\":\"\",\"groups\":[]}";
    out += ",\"plan\":{\"id\":\"FREE\",\"availableProxyGroups\":{}}";
    out += ",\"effectivePlatformFeatures\":{";
    for (std::size_t i = 0; i < std::size(kPlatformFeatures); ++i) {
      if (i) out += ',';
      key(out, kPlatformFeatures[i]);
      out +=
          "{\"isEnabled\":true,\"disabledReason\":null,\"disabledReasonType\":null,"
          "\"isTrial\":false,\"trialExpirationAt\":null}";
    }
    out += "},";
    timestamp(out, "createdAt", u.created_at);
    out += ",\"isPaying\":false";
  }
  out += '}';
}

Reply data_reply(int status) {
  Reply r;
  r.status = status;
  r.body = "{\"data\":";
  return r;
}

// Content-Disposition for a download named `name` (record keys and ids need no quoting: their
// characters are [a-zA-Z0-9!-_.'()]).
std::string attachment(std::string_view name) {
  return "attachment; filename=\"" + std::string(name) + "\"";
}

// A body whose Content-Type is the caller's or the format's, not the API's JSON. The header is
// also set explicitly, so an empty body (an empty record, HEAD) still declares it.
void set_content_type(Reply& r, std::string content_type) {
  r.set_header("Content-Type", content_type);
  r.content_type = std::move(content_type);
}

}  // namespace

std::string public_base(const HttpRequest& http) {
  std::string host = http.header_or("Host");
  bool ok =
      !host.empty() && host.size() <= 255 && std::all_of(host.begin(), host.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
               c == '[' || c == ']';
      });
  return "http://" + (ok ? host : std::string("127.0.0.1"));
}

void parse_storage_call(const HttpRequest& http, Call& call) {
  StorageArgs& a = call.args.storage;
  const O op = call.op;
  switch (op) {
    case O::kKvStoresGet:
    case O::kDatasetsGet:
      parse_storage_list(http, call);
      break;
    case O::kKvStoresPost:
    case O::kDatasetsPost:
      // The body is ignored: the SDK sends none, the JS client may send {schema} (not kept).
      call.args.name = http.opt_param("name");
      if (call.args.name && call.args.name->empty()) call.args.name.reset();
      break;
    case O::kKvStorePut:
    case O::kDatasetPut:
      parse_storage_update(http, call);
      break;
    case O::kKvKeysGet:
      a.keys.exclusive_start_key = http.opt_param("exclusiveStartKey");
      if (auto n = int_param(http, "limit", call)) a.keys.limit = *n;
      a.keys.prefix = http.opt_param("prefix");
      a.keys.collection = http.opt_param("collection");
      break;
    case O::kKvRecordsGet:
      a.prefix = http.opt_param("prefix");
      a.collection = http.opt_param("collection");
      break;
    case O::kKvRecordGet:
      if (auto b = bool_param(http, "attachment", call)) a.attachment = *b;
      break;
    case O::kKvRecordPut:
    case O::kKvRecordPost:
      // Any bytes of any content type (BodyKind::kBytes): the transport decoded the
      // Content-Encoding with the payload bound; nothing here requires JSON.
      a.content_type = http.header_or("Content-Type");
      break;
    case O::kDatasetItemsGet:
    case O::kDatasetItemsHead:
      parse_items(http, call);
      break;
    case O::kDatasetItemsPost:
      parse_push(http, call);
      break;
    default:
      break;
  }
  if (is_record_op(op)) call.item_keys.push_back(bound_key(call.params[1]));
}

namespace {

Reply storage_reply(const Call& call, Outcome& o) {
  Reply r;
  const std::string base = call.http ? public_base(*call.http) : "http://127.0.0.1";
  Outcome::Storage empty;
  Outcome::Storage& s = o.storage ? *o.storage : empty;
  switch (call.op) {
    case O::kKvStoresGet:
      r = data_reply(o.status);
      append_storage_page(r.body, s.kv_stores, [&](std::string& out, const KvStoreInfo& x) {
        append_kv_store(out, x, base);
      });
      break;
    case O::kKvStoresPost:
    case O::kKvStoreGet:
    case O::kKvStorePut:
      r = data_reply(o.status);
      append_kv_store(r.body, s.kv_store, base);
      if (call.op == O::kKvStoresPost && s.created) {
        r.headers.emplace_back("Location", base + "/v2/key-value-stores/" + s.kv_store.meta.id);
      }
      break;
    case O::kKvKeysGet:
      r = data_reply(o.status);
      append_keys(r.body, s.keys, base);
      break;
    case O::kKvRecordsGet: {
      std::vector<ZipFile> files;
      files.reserve(s.records.size());
      for (const KvRecord& rec : s.records) files.push_back({rec.key, rec.value});
      auto zip = zip_stored(files, call.arrival_ms);
      if (!zip) return Reply::of_error(zip.error());
      r.status = o.status;
      r.body = std::move(*zip);
      set_content_type(r, "application/zip");
      return r;
    }
    case O::kKvRecordGet:
      r.status = o.status;
      r.body = std::move(s.record.value);
      set_content_type(r, std::move(s.record.content_type));
      if (call.args.storage.attachment) {
        r.headers.emplace_back("Content-Disposition", attachment(s.record.key));
      }
      return r;
    case O::kKvRecordHead:
      r.status = o.status;
      set_content_type(r, s.record_head.content_type);
      r.headers.emplace_back("Content-Length", std::to_string(s.record_head.size));
      return r;
    case O::kKvRecordPut:
    case O::kKvRecordPost:
      r.status = o.status;
      r.body = "{}";
      r.headers.emplace_back("Location",
                             base + "/v2/key-value-stores/" + s.id + "/records/" + call.params[1]);
      return r;
    case O::kDatasetsGet:
      r = data_reply(o.status);
      append_storage_page(r.body, s.datasets, [&](std::string& out, const DatasetInfo& x) {
        append_dataset(out, x, base, true);
      });
      break;
    case O::kDatasetsPost:
    case O::kDatasetGet:
    case O::kDatasetPut:
      r = data_reply(o.status);
      append_dataset(r.body, s.dataset, base, false);
      if (call.op == O::kDatasetsPost && s.created) {
        r.headers.emplace_back("Location", base + "/v2/datasets/" + s.dataset.meta.id);
      }
      break;
    case O::kDatasetItemsGet:
    case O::kDatasetItemsHead: {
      const ItemsView& v = call.args.storage.view;
      std::size_t count = 0;
      r.status = o.status;
      if (call.op == O::kDatasetItemsGet) r.body = items_body(s.items.items, v, count);
      const bool lines = v.format == ItemsFormat::kJsonl;
      set_content_type(
          r, lines ? "application/jsonl; charset=utf-8" : "application/json; charset=utf-8");
      r.headers.emplace_back("X-Apify-Pagination-Offset", std::to_string(s.items.offset));
      r.headers.emplace_back("X-Apify-Pagination-Limit", std::to_string(s.items.limit));
      r.headers.emplace_back("X-Apify-Pagination-Count", std::to_string(count));
      r.headers.emplace_back("X-Apify-Pagination-Total", std::to_string(s.items.total));
      r.headers.emplace_back("X-Apify-Pagination-Desc", s.items.desc ? "true" : "false");
      if (v.attachment) {
        r.headers.emplace_back("Content-Disposition", attachment("dataset_" + s.items.dataset_id +
                                                                 (lines ? ".jsonl" : ".json")));
      }
      return r;
    }
    case O::kDatasetItemsPost:
      r.status = o.status;
      r.body = "{}";
      r.headers.emplace_back("Location", base + "/v2/datasets/" + s.id + "/items");
      return r;
    case O::kDatasetStatisticsGet:
      r = data_reply(o.status);
      r.body += "{\"fieldStatistics\":null}";
      break;
    case O::kUserMeGet:
    case O::kUserGet:
      r = data_reply(o.status);
      append_user(r.body, s.user, call.op == O::kUserMeGet);
      break;
    default:
      break;
  }
  if (o.no_body) {
    r = Reply::no_content();
    r.status = o.status;
  } else if (!r.body.empty()) {
    r.body += '}';  // the {"data": ...} wrapper
  }
  return r;
}

}  // namespace

Reply write_storage_outcome(const Call& call, Outcome& o) {
  Reply r = storage_reply(call, o);
  for (const auto& h : o.headers) r.headers.push_back(h);
  return r;
}

}  // namespace rqcheck::fake::wire
