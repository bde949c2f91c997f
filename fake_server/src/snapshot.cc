#include "snapshot.h"

#include "rqcheck/core/errors.h"
#include "rqcheck/core/requests.h"

namespace rqcheck::fake {

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

}  // namespace

Json snapshot_json(const std::vector<QueueImage>& queues) {
  Json out = Json::array();
  for (const QueueImage& img : queues) {
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
  return {{"format", kSnapshotFormat}, {"queues", std::move(out)}};
}

Result<std::vector<QueueImage>> parse_snapshot(const Json& doc_in) {
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
  return out;
}

}  // namespace rqcheck::fake
