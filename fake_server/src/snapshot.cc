#include "snapshot.h"

#include <initializer_list>
#include <utility>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/requests.h"
#include "wire_items.h"

namespace rqcheck::fake {

// A storage's metadata as the snapshot (and the dashboard) writes it.
Json storage_meta_json(const StorageMeta& m) {
  return {{"id", m.id},
          {"name", m.name ? Json(*m.name) : Json(nullptr)},
          {"userId", m.user_id},
          {"username", m.username},
          {"generalAccess", std::string(to_string(m.general_access))},
          {"createdAt", format_iso8601(m.created_at)},
          {"modifiedAt", format_iso8601(m.modified_at)},
          {"accessedAt", format_iso8601(m.accessed_at)}};
}

namespace {

ApiError bad(const std::string& what) {
  return errors::invalid_input("Invalid input: snapshot: " + what + ".");
}

Json request_json(const StoredRequest& r) {
  Json j = {{"id", r.id},
            {"uniqueKey", r.draft.unique_key},
            {"url", r.draft.url},
            {"method", kRequestMethods[r.draft.method]},
            {"retryCount", r.draft.retry_count}};
  if (!r.draft.extra.empty()) {
    // extra is ,"k":v... : parse it as the members of an object.
    Json more = Json::parse("{" + r.draft.extra.substr(1) + "}", nullptr, false);
    if (more.is_object()) {
      for (auto it = more.begin(); it != more.end(); ++it) j[it.key()] = it.value();
    }
  }
  if (r.draft.handled_at) j["handledAt"] = format_iso8601(*r.draft.handled_at);
  if (r.forefront) j["__forefront"] = true;
  if (r.lock_expires_at) {
    j["__lockExpiresAt"] = format_iso8601(*r.lock_expires_at);
    j["__lockClientKey"] = r.lock_client_key ? Json(*r.lock_client_key) : Json(nullptr);
  }
  return j;
}

Result<TimeMs> time_field(const Json& j, const char* key, TimeMs fallback) {
  auto it = j.find(key);
  if (it == j.end()) return fallback;
  std::optional<TimeMs> t;
  if (it->is_string()) t = parse_iso8601(it->get_ref<const std::string&>());
  if (!t) return bad(std::string("\"") + key + "\" must be an ISO 8601 date-time");
  return *t;
}

Result<std::int64_t> count_field(const Json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end()) return std::int64_t{0};
  if (!it->is_number_integer() || it->get<std::int64_t>() < 0) {
    return bad(std::string("\"") + key + "\" must be a non-negative integer");
  }
  return it->get<std::int64_t>();
}

// Whether `s` is valid UTF-8 (then a record's value is written as text, else as base64).
bool is_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;  // continuation bytes
    std::uint32_t cp = c, min = 0;
    if (c < 0x80) {
      n = 0;
    } else if ((c & 0xe0) == 0xc0) {
      n = 1, cp = c & 0x1f, min = 0x80;
    } else if ((c & 0xf0) == 0xe0) {
      n = 2, cp = c & 0x0f, min = 0x800;
    } else if ((c & 0xf8) == 0xf0) {
      n = 3, cp = c & 0x07, min = 0x10000;
    } else {
      return false;
    }
    if (n > s.size() - i - 1) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xc0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3f);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += n + 1;
  }
  return true;
}

// The members every storage of a snapshot has; `what` names it in errors.
Result<StorageMeta> parse_meta(const Json& j, const std::string& what, std::int64_t seq) {
  StorageMeta m;
  auto str = [&](const char* key, std::string& dst, bool required) -> Status {
    auto it = j.find(key);
    if (it == j.end() && !required) return Ok{};
    if (it == j.end() || !it->is_string()) {
      return bad("every " + what + " needs a string \"" + key + "\"");
    }
    dst = it->get<std::string>();
    return Ok{};
  };
  if (auto st = str("id", m.id, true); !st) return st.error();
  if (auto st = str("userId", m.user_id, true); !st) return st.error();
  if (auto st = str("username", m.username, false); !st) return st.error();
  if (auto it = j.find("name"); it != j.end() && !it->is_null()) {
    if (!it->is_string()) return bad("\"name\" of a " + what + " must be a string or null");
    m.name = it->get<std::string>();
  }
  if (auto it = j.find("generalAccess"); it != j.end()) {
    auto a = it->is_string() ? parse_general_access(it->get<std::string>()) : std::nullopt;
    if (!a) return bad("\"generalAccess\" of a " + what + " is not a GeneralAccess value");
    m.general_access = *a;
  }
  auto created = time_field(j, "createdAt", 0);
  if (!created) return created.error();
  m.created_at = *created;
  auto modified = time_field(j, "modifiedAt", m.created_at);
  if (!modified) return modified.error();
  m.modified_at = *modified;
  auto accessed = time_field(j, "accessedAt", m.modified_at);
  if (!accessed) return accessed.error();
  m.accessed_at = *accessed;
  m.created_seq = seq;  // the snapshot's order among storages created in the same millisecond
  return m;
}

Json kv_store_json(const KvStoreData& d) {
  Json j = storage_meta_json(d.meta);
  j["stats"] = {{"readCount", d.stats.read_count},
                {"writeCount", d.stats.write_count},
                {"deleteCount", d.stats.delete_count},
                {"listCount", d.stats.list_count}};
  Json records = Json::array();
  for (const KvRecord& r : d.records) {
    Json jr = {{"key", r.key}, {"contentType", r.content_type}};
    if (is_utf8(r.value)) {
      jr["value"] = r.value;
    } else {
      jr["valueBase64"] = base64(r.value);
    }
    records.push_back(std::move(jr));
  }
  j["records"] = std::move(records);
  return j;
}

Json dataset_json(const DatasetData& d) {
  Json j = storage_meta_json(d.meta);
  j["stats"] = {{"readCount", d.stats.read_count}, {"writeCount", d.stats.write_count}};
  Json items = Json::array();
  for (const DatasetItem& item : d.items) items.push_back(item.json);  // the text, not a DOM
  j["items"] = std::move(items);
  return j;
}

// "stats" of a storage: the named counters (an absent object or counter is 0).
Status parse_stats(const Json& js,
                   std::initializer_list<std::pair<const char*, std::int64_t*>> counters) {
  auto it = js.find("stats");
  if (it == js.end()) return Ok{};
  if (!it->is_object()) return bad("\"stats\" must be an object");
  for (const auto& [key, dst] : counters) {
    auto v = count_field(*it, key);
    if (!v) return v.error();
    *dst = *v;
  }
  return Ok{};
}

// The array doc[key] of storages, each an object with the members parse_meta reads; rest(js, d)
// reads the members of its kind into d.
template <typename Data, typename Rest>
Result<std::vector<Data>> parse_storages(const Json& doc, const char* key, const std::string& what,
                                         Rest&& rest) {
  std::vector<Data> out;
  auto arr = doc.find(key);
  if (arr == doc.end()) return out;
  if (!arr->is_array()) return bad(std::string("\"") + key + "\" must be an array");
  for (const Json& js : *arr) {
    if (!js.is_object()) return bad("every " + what + " must be an object");
    Data d;
    auto meta = parse_meta(js, what, static_cast<std::int64_t>(out.size()));
    if (!meta) return meta.error();
    d.meta = std::move(*meta);
    if (auto st = rest(js, d); !st) return st.error();
    out.push_back(std::move(d));
  }
  return out;
}

Status parse_records(const Json& js, KvStoreData& d) {
  auto recs = js.find("records");
  if (recs == js.end()) return Ok{};
  if (!recs->is_array()) return bad("\"records\" must be an array");
  for (const Json& jr : *recs) {
    if (!jr.is_object() || !jr.contains("key") || !jr["key"].is_string()) {
      return bad("every record needs a string \"key\"");
    }
    KvRecord r;
    r.key = jr["key"].get<std::string>();
    if (auto ct = jr.find("contentType"); ct != jr.end()) {
      if (!ct->is_string()) return bad("\"contentType\" of a record must be a string");
      r.content_type = ct->get<std::string>();
    }
    auto text = jr.find("value");
    auto b64 = jr.find("valueBase64");
    if (text != jr.end() && text->is_string() && b64 == jr.end()) {
      r.value = text->get<std::string>();
    } else if (b64 != jr.end() && b64->is_string() && text == jr.end()) {
      if (!base64_decode(b64->get<std::string>(), r.value)) {
        return bad("\"valueBase64\" of record \"" + r.key + "\" is not base64");
      }
    } else {
      return bad("record \"" + r.key +
                 "\" needs exactly one of a string \"value\" or \"valueBase64\"");
    }
    d.records.push_back(std::move(r));
  }
  return Ok{};
}

Status parse_items(const Json& js, DatasetData& d) {
  auto items = js.find("items");
  if (items == js.end()) return Ok{};
  if (!items->is_array()) return bad("\"items\" must be an array");
  for (const Json& ji : *items) {
    if (!ji.is_string()) return bad("every dataset item is the JSON text of an object");
    auto item = wire::item_from_text(ji.get_ref<const std::string&>());
    if (!item) return bad("an item of dataset \"" + d.meta.id + "\": " + item.error().message);
    d.items.push_back(std::move(*item));
  }
  return Ok{};
}

Result<std::vector<KvStoreData>> parse_kv_stores(const Json& doc) {
  return parse_storages<KvStoreData>(
      doc, "keyValueStores", "key-value store", [](const Json& js, KvStoreData& d) -> Status {
        auto& s = d.stats;
        if (auto st = parse_stats(js, {{"readCount", &s.read_count},
                                       {"writeCount", &s.write_count},
                                       {"deleteCount", &s.delete_count},
                                       {"listCount", &s.list_count}});
            !st) {
          return st;
        }
        return parse_records(js, d);
      });
}

Result<std::vector<DatasetData>> parse_datasets(const Json& doc) {
  return parse_storages<DatasetData>(
      doc, "datasets", "dataset", [](const Json& js, DatasetData& d) -> Status {
        auto& s = d.stats;
        if (auto st =
                parse_stats(js, {{"readCount", &s.read_count}, {"writeCount", &s.write_count}});
            !st) {
          return st;
        }
        return parse_items(js, d);
      });
}

Result<std::vector<User>> parse_users(const Json& doc) {
  std::vector<User> out;
  auto arr = doc.find("users");
  if (arr == doc.end()) return out;
  if (!arr->is_array()) return bad("\"users\" must be an array");
  for (const Json& ju : *arr) {
    if (!ju.is_object() || !ju.contains("id") || !ju["id"].is_string() ||
        !ju.contains("username") || !ju["username"].is_string()) {
      return bad("every user needs a string \"id\" and \"username\"");
    }
    User u;
    u.id = ju["id"].get<std::string>();
    u.username = ju["username"].get<std::string>();
    if (!is_apify_id(u.id)) return bad("user id \"" + u.id + "\" is not a 17-character id");
    auto created = time_field(ju, "createdAt", 0);
    if (!created) return created.error();
    u.created_at = *created;
    out.push_back(std::move(u));
  }
  return out;
}

}  // namespace

Json snapshot_json(const SnapshotData& data) {
  Json out = Json::array();
  for (const QueueImage& img : data.queues) {
    const RequestQueueInfo& q = img.info;
    Json jq = {{"id", q.id},
               {"name", q.name ? Json(*q.name) : Json(nullptr)},
               {"userId", q.user_id},
               {"username", q.username},
               {"generalAccess", q.general_access},
               {"createdAt", format_iso8601(q.created_at)},
               {"modifiedAt", format_iso8601(q.modified_at)},
               {"accessedAt", format_iso8601(q.accessed_at)},
               {"hadMultipleClients", q.had_multiple_clients},
               {"stats",
                {{"readCount", q.stats.read_count},
                 {"writeCount", q.stats.write_count},
                 {"deleteCount", q.stats.delete_count},
                 {"headItemReadCount", q.stats.head_item_read_count}}}};
    Json reqs = Json::array();
    for (const StoredRequest& r : img.requests) reqs.push_back(request_json(r));
    jq["requests"] = std::move(reqs);
    out.push_back(std::move(jq));
  }
  Json stores = Json::array(), datasets = Json::array(), users = Json::array();
  for (const KvStoreData& d : data.key_value_stores) stores.push_back(kv_store_json(d));
  for (const DatasetData& d : data.datasets) datasets.push_back(dataset_json(d));
  for (const User& u : data.users) {
    users.push_back(
        {{"id", u.id}, {"username", u.username}, {"createdAt", format_iso8601(u.created_at)}});
  }
  return {{"format", kSnapshotFormat},
          {"queues", std::move(out)},
          {"keyValueStores", std::move(stores)},
          {"datasets", std::move(datasets)},
          {"users", std::move(users)}};
}

Result<SnapshotData> parse_snapshot(const Json& doc_in) {
  const Json* doc = &doc_in;
  if (doc->is_object() && doc->size() == 1 && doc->contains("data")) doc = &(*doc)["data"];
  if (!doc->is_object() || !doc->contains("format") || !(*doc)["format"].is_string()) {
    return bad("not an rqcheck store snapshot (it needs \"format\": \"" +
               std::string(kSnapshotFormat) + "\")");
  }
  const std::string format = (*doc)["format"].get<std::string>();
  if (format != kSnapshotFormat && format != "rqcheck-store-snapshot/1") {
    return bad("unknown format \"" + format + "\" (this rq-fake reads " +
               std::string(kSnapshotFormat) + " and rqcheck-store-snapshot/1)");
  }
  auto qs = doc->find("queues");
  if (qs == doc->end() || !qs->is_array()) return bad("\"queues\" must be an array");
  std::vector<QueueImage> out;
  out.reserve(qs->size());
  for (const Json& jq : *qs) {
    if (!jq.is_object()) return bad("every queue must be an object");
    QueueImage img;
    RequestQueueInfo& q = img.info;
    auto str = [&](const char* key, std::string& dst, bool required) -> Status {
      auto it = jq.find(key);
      if (it == jq.end() && !required) return Ok{};
      if (it == jq.end() || !it->is_string()) {
        return bad(std::string("every queue needs a string \"") + key + "\"");
      }
      dst = it->get<std::string>();
      return Ok{};
    };
    if (auto st = str("id", q.id, true); !st) return st.error();
    if (auto st = str("userId", q.user_id, true); !st) return st.error();
    if (auto st = str("username", q.username, false); !st) return st.error();
    q.general_access = "FOLLOW_USER_SETTING";
    if (auto st = str("generalAccess", q.general_access, false); !st) return st.error();
    if (auto it = jq.find("name"); it != jq.end() && !it->is_null()) {
      if (!it->is_string()) return bad("\"name\" must be a string or null");
      q.name = it->get<std::string>();
    }
    auto created = time_field(jq, "createdAt", 0);
    if (!created) return created.error();
    q.created_at = *created;
    auto modified = time_field(jq, "modifiedAt", q.created_at);
    if (!modified) return modified.error();
    q.modified_at = *modified;
    auto accessed = time_field(jq, "accessedAt", q.modified_at);
    if (!accessed) return accessed.error();
    q.accessed_at = *accessed;
    if (auto it = jq.find("hadMultipleClients"); it != jq.end()) {
      if (!it->is_boolean()) return bad("\"hadMultipleClients\" must be a boolean");
      q.had_multiple_clients = it->get<bool>();
    }
    if (auto it = jq.find("stats"); it != jq.end()) {
      if (!it->is_object()) return bad("\"stats\" must be an object");
      auto r = count_field(*it, "readCount");
      auto w = count_field(*it, "writeCount");
      auto d = count_field(*it, "deleteCount");
      auto h = count_field(*it, "headItemReadCount");
      for (auto* x : {&r, &w, &d, &h}) {
        if (!*x) return x->error();
      }
      q.stats.read_count = *r;
      q.stats.write_count = *w;
      q.stats.delete_count = *d;
      q.stats.head_item_read_count = *h;
    }
    if (auto reqs = jq.find("requests"); reqs != jq.end()) {
      if (!reqs->is_array()) return bad("\"requests\" must be an array");
      for (const Json& jr : *reqs) {
        if (!jr.is_object()) return bad("every request must be an object");
        Json body = jr;
        StoredRequest r;
        if (auto it = body.find("__forefront"); it != body.end()) {
          if (!it->is_boolean()) return bad("\"__forefront\" must be a boolean");
          r.forefront = it->get<bool>();
          body.erase("__forefront");
        }
        if (auto it = body.find("__lockExpiresAt"); it != body.end()) {
          auto t = time_field(body, "__lockExpiresAt", 0);
          if (!t) return t.error();
          r.lock_expires_at = *t;
          body.erase("__lockExpiresAt");
        }
        if (auto it = body.find("__lockClientKey"); it != body.end()) {
          if (!it->is_null() && !it->is_string()) {
            return bad("\"__lockClientKey\" must be a string or null");
          }
          if (it->is_string()) r.lock_client_key = it->get<std::string>();
          body.erase("__lockClientKey");
        }
        Violations v;
        auto d = request_draft_from_json(body, "snapshot request: ", v);
        if (!d) return d.error();
        auto rid = check_derived_id(*d);
        if (!rid) return rid.error();
        r.id = *rid;
        r.draft = std::move(*d);
        r.draft.id.reset();
        img.requests.push_back(std::move(r));
      }
    }
    out.push_back(std::move(img));
  }
  SnapshotData data;
  data.queues = std::move(out);
  auto stores = parse_kv_stores(*doc);
  if (!stores) return stores.error();
  data.key_value_stores = std::move(*stores);
  auto datasets = parse_datasets(*doc);
  if (!datasets) return datasets.error();
  data.datasets = std::move(*datasets);
  auto users = parse_users(*doc);
  if (!users) return users.error();
  data.users = std::move(*users);
  return data;
}

}  // namespace rqcheck::fake
