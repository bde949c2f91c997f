// The catalogue of named, deliberately wrong behaviours (test-only switches). Each bug is a small
// set of hooks: `before` rewrites the call on its way to the store, `after` rewrites the answer,
// `reply` rewrites any final reply (answers given before the API hook, headers added after it).
// Every bug is caught by at least one conformance check (conformance/tests/registry_test.cc).
#include "bugs.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <functional>
#include <regex>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/time.h"
#include "rqcheck/core/types.h"

namespace rqcheck::fake {

namespace {

using O = Operation;
using BeforeFn = std::function<void(BugCall&)>;
using AfterFn = std::function<void(BugCall&, BugReply&)>;
using ReplyFn = std::function<void(const BugExchange&, BugReply&)>;

struct BugDef {
  BugInfo info;
  BeforeFn before;
  AfterFn after;
  ReplyFn reply;
};

// ---- helpers -----------------------------------------------------------------------------

bool is_add(O op) { return op == O::kRequestsPost || op == O::kRequestsBatchPost; }
bool returns_queue(O op) {
  return op == O::kQueuesPost || op == O::kQueueGet || op == O::kQueuePut;
}

std::optional<std::string> param(const Params& p, const std::string& k) {
  auto it = p.find(k);
  if (it == p.end()) return std::nullopt;
  return it->second;
}
void set_param(Params& p, const std::string& k, const std::string& v) {
  p.erase(k);
  p.emplace(k, v);
}

// Applies `fn` to each request object of an add (the object) or batch add (each item).
void each_item(BugCall& c, const std::function<void(Json&)>& fn) {
  auto doc = parse_json(c.body);
  if (!doc) return;
  if (doc->is_array()) {
    for (auto& it : *doc) {
      if (it.is_object()) fn(it);
    }
  } else if (doc->is_object()) {
    fn(*doc);
  }
  c.body = dump_json(*doc);
}

// Rewrites the JSON of a reply's body in place (no-op when it is not JSON).
void edit_reply(BugReply& r, const std::function<void(Json&)>& fn) {
  auto doc = parse_json(r.body);
  if (!doc) return;
  fn(*doc);
  r.body = dump_json(*doc);
}

void set_error(BugReply& r, const ApiError& e) {
  r.status = e.status;
  r.body = error_body(e);
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  for (std::size_t i = s.find(from); i != std::string::npos; i = s.find(from, i + to.size())) {
    s.replace(i, from.size(), to);
  }
}

bool ok(int status) { return status >= 200 && status < 300; }

std::string lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return s;
}

std::optional<std::string> header(const HeaderPairs& h, const std::string& name) {
  for (const auto& [k, v] : h) {
    if (lower(k) == lower(name)) return v;
  }
  return std::nullopt;
}

// Locked requests of the queue as head items (for bugs that leak them).
std::vector<Json> locked_items(BugCall& c) {
  ListOptions lo;
  lo.filter_locked = true;
  lo.limit = 1000;
  auto page = c.store.list_requests(c.user, QueueRef{c.queue}, lo);
  std::vector<Json> out;
  if (!page) return out;
  auto doc = parse_json(*page);
  if (!doc || !doc->contains("items")) return out;
  for (const auto& it : (*doc)["items"]) {
    out.push_back(Json{{"id", it.value("id", "")},
                       {"uniqueKey", it.value("uniqueKey", "")},
                       {"url", it.value("url", "")},
                       {"method", it.value("method", "GET")},
                       {"retryCount", it.value("retryCount", 0)}});
  }
  return out;
}

// Adds locked requests that are not yet in data.items (up to data.limit when `limited`).
void leak_locked(BugCall& c, BugReply& r, bool with_expiry) {
  if (!ok(r.status)) return;
  auto extra = locked_items(c);
  edit_reply(r, [&](Json& d) {
    Json& items = d["data"]["items"];
    std::int64_t limit = d["data"].value("limit", 1000);
    for (auto& e : extra) {
      bool present = false;
      for (const auto& it : items) present = present || it.value("id", "") == e["id"];
      if (present || static_cast<std::int64_t>(items.size()) >= limit) continue;
      if (with_expiry) e["lockExpiresAt"] = format_iso8601(SystemClock().now_ms() + 60000);
      items.push_back(e);
    }
  });
}

thread_local bool t_absent = false;  // NotFoundIs500: the call addressed an absent request
std::atomic<std::uint64_t> g_counter{0};

// ---- the catalogue -----------------------------------------------------------------------

const std::vector<BugDef>& defs() {
  static const std::vector<BugDef> kDefs = {
      // Queues.
      {{"WrongCreateStatus",
        "POST /v2/request-queues answers 200 for a new queue and 201 for an existing one"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op != O::kQueuesPost) return;
         if (r.status == 201)
           r.status = 200;
         else if (r.status == 200)
           r.status = 201;
       }},
      {{"MissingConsoleUrl", "queue objects leave out consoleUrl"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (returns_queue(c.op) && ok(r.status))
           edit_reply(r, [](Json& d) { d["data"].erase("consoleUrl"); });
       }},
      {{"NaiveTimestamps", "date-times are sent without the Z (naive, no timezone)"},
       nullptr,
       [](BugCall&, BugReply& r) {
         static const std::regex kIso(R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z)");
         if (ok(r.status)) r.body = std::regex_replace(r.body, kIso, "$1");
       }},
      {{"QueueRenameIgnored", "PUT queue answers 200 but ignores the body"},
       [](BugCall& c) {
         if (c.op == O::kQueuePut) c.body = "{}";
       },
       nullptr},
      {{"DeleteAnswers200",
        "DELETE of a queue, request or lock answers 200 with a body instead of 204"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if ((c.op == O::kQueueDelete || c.op == O::kRequestDelete ||
              c.op == O::kRequestLockDelete) &&
             r.status == 204) {
           r.status = 200;
           r.body = "{\"data\":{}}";
         }
       }},
      {{"NotFoundIs500",
        "a missing queue or request (and deletes of absent requests) answer 500 instead of "
        "404/204"},
       [](BugCall& c) {
         t_absent = false;
         if (!c.user) return;
         QueueRef ref{c.queue};
         if (c.op == O::kRequestDelete) {
           t_absent = !c.store.get_request(c.user, ref, c.request_id);
         } else if (c.op == O::kRequestsBatchDelete) {
           auto doc = parse_json(c.body);
           if (!doc || !doc->is_array()) return;
           for (const auto& it : *doc) {
             std::string id = it.value("id", "");
             if (id.empty() && it.contains("uniqueKey") && it["uniqueKey"].is_string()) {
               id = request_id_for(it["uniqueKey"].get<std::string>());
             }
             if (!id.empty() && !c.store.get_request(c.user, ref, id)) t_absent = true;
           }
         }
       },
       [](BugCall&, BugReply& r) {
         if (r.status == 404 || t_absent)
           set_error(r, errors::internal_server_error("Internal server error."));
         t_absent = false;
       }},
      {{"CounterNotUpdated", "handledRequestCount is never updated (always 0) in queue objects"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (!ok(r.status)) return;
         if (returns_queue(c.op))
           edit_reply(r, [](Json& d) { d["data"]["handledRequestCount"] = 0; });
         if (c.op == O::kQueuesGet) {
           edit_reply(r, [](Json& d) {
             for (auto& it : d["data"]["items"]) it["handledRequestCount"] = 0;
           });
         }
       }},
      {{"QueueListEmpty", "GET /v2/request-queues answers an empty items array"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op == O::kQueuesGet && ok(r.status)) {
           edit_reply(r, [](Json& d) {
             d["data"]["items"] = Json::array();
             d["data"]["count"] = 0;
           });
         }
       }},
      {{"UnnamedFlagIgnored", "the unnamed=1 parameter of the queue list is ignored"},
       [](BugCall& c) {
         if (c.op == O::kQueuesGet) c.params.erase("unnamed");
       },
       nullptr},
      {{"OtherUsersQueueWritable", "writes to another user's queue answer success instead of 403"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (r.status != 403) return;
         r.status = operation_info(c.op).success_status;
         r.body = c.op == O::kRequestsPost
                      ? "{\"data\":{\"requestId\":\"" + request_id_for("x") +
                            "\",\"wasAlreadyPresent\":false,\"wasAlreadyHandled\":false}}"
                      : "{\"data\":{}}";
       }},
      // Adding requests.
      {{"AddAnswers200", "adding a new request answers 200 instead of 201"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op == O::kRequestsPost && r.status == 201) r.status = 200;
       }},
      {{"IgnoreUniqueKey", "adds never deduplicate: each add stores a new request"},
       [](BugCall& c) {
         if (!is_add(c.op)) return;
         each_item(c, [](Json& it) {
           if (it.contains("uniqueKey") && it["uniqueKey"].is_string()) {
             it["uniqueKey"] =
                 it["uniqueKey"].get<std::string>() + "#" + std::to_string(++g_counter);
           }
         });
       },
       nullptr},
      {{"DedupByUrl", "adds deduplicate by url instead of uniqueKey"},
       [](BugCall& c) {
         if (!is_add(c.op)) return;
         each_item(c, [](Json& it) {
           if (it.contains("url")) it["uniqueKey"] = it["url"];
         });
       },
       nullptr},
      {{"WasAlreadyHandledAlwaysFalse", "add and batch add always answer wasAlreadyHandled false"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (is_add(c.op))
           replace_all(r.body, "\"wasAlreadyHandled\":true", "\"wasAlreadyHandled\":false");
       }},
      {{"DuplicateOverwrites", "adding an existing uniqueKey overwrites the stored request"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op != O::kRequestsPost || !ok(r.status) || !c.user) return;
         auto res = parse_json(r.body);
         auto body = parse_json(c.body);
         if (!res || !body || !(*res)["data"].value("wasAlreadyPresent", false)) return;
         std::string id = (*res)["data"].value("requestId", "");
         (*body)["id"] = id;
         (void)c.store.update_request(*c.user, QueueRef{c.queue}, id, *body, RequestOptions{});
       }},
      {{"UniqueKeyDefaultsToUrl",
        "a request without uniqueKey gets its url as uniqueKey instead of a 400"},
       [](BugCall& c) {
         if (!is_add(c.op)) return;
         each_item(c, [](Json& it) {
           if (!it.contains("uniqueKey") && it.contains("url")) it["uniqueKey"] = it["url"];
         });
       },
       nullptr},
      {{"RequestIdNotChecked",
        "an id in an add body is ignored instead of checked against uniqueKey"},
       [](BugCall& c) {
         if (is_add(c.op)) each_item(c, [](Json& it) { it.erase("id"); });
       },
       nullptr},
      {{"RequestIdNotDerived",
        "answers report request ids that depend on the queue, not only on uniqueKey"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (!(is_add(c.op) || c.op == O::kRequestPut) || !ok(r.status)) return;
         auto mangle = [&](const std::string& id) { return request_id_for(c.queue + "/" + id); };
         edit_reply(r, [&](Json& d) {
           Json& data = d["data"];
           if (data.contains("requestId"))
             data["requestId"] = mangle(data["requestId"].get<std::string>());
           if (data.contains("processedRequests")) {
             for (auto& p : data["processedRequests"])
               p["requestId"] = mangle(p.value("requestId", ""));
           }
         });
       }},
      {{"ForefrontIgnored", "the forefront parameter is ignored everywhere"},
       [](BugCall& c) { c.params.erase("forefront"); },
       nullptr},
      {{"NumericBoolRejected", "query booleans 1 and 0 are refused (only true/false accepted)"},
       [](BugCall& c) {
         for (const char* k : {"forefront", "desc", "unnamed"}) {
           auto v = param(c.params, k);
           if (v && (*v == "1" || *v == "0")) set_param(c.params, k, *v == "1" ? "yes" : "no");
         }
       },
       nullptr},
      {{"HandledAtIgnoredOnAdd", "handledAt in an added request is dropped (stored as pending)"},
       [](BugCall& c) {
         if (is_add(c.op)) each_item(c, [](Json& it) { it.erase("handledAt"); });
       },
       nullptr},
      {{"UserDataDropped", "userData is not stored"},
       [](BugCall& c) {
         if (is_add(c.op) || c.op == O::kRequestPut)
           each_item(c, [](Json& it) { it.erase("userData"); });
       },
       nullptr},
      // Updating requests.
      {{"HandledStaysInHead", "PUT with handledAt leaves the request pending (in the head)"},
       [](BugCall& c) {
         if (c.op == O::kRequestPut) each_item(c, [](Json& it) { it.erase("handledAt"); });
       },
       nullptr},
      {{"WasAlreadyHandledAfterUpdate",
        "PUT answers wasAlreadyHandled for the state after the update"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op != O::kRequestPut || !ok(r.status)) return;
         auto body = parse_json(c.body);
         bool handled = body && body->contains("handledAt") && !(*body)["handledAt"].is_null();
         edit_reply(r, [&](Json& d) { d["data"]["wasAlreadyHandled"] = handled; });
       }},
      {{"UpdateAnswers201", "PUT request answers 201 instead of 200"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op == O::kRequestPut && r.status == 200) r.status = 201;
       }},
      {{"UpsertRejected", "PUT on an absent request id answers 404 instead of inserting"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op != O::kRequestPut || !ok(r.status)) return;
         auto d = parse_json(r.body);
         if (d && !(*d)["data"].value("wasAlreadyPresent", true))
           set_error(r, errors::record_not_found());
       }},
      {{"ReclaimGoesToFront", "PUT without handledAt always moves the request to the front"},
       [](BugCall& c) {
         if (c.op != O::kRequestPut) return;
         auto body = parse_json(c.body);
         if (body && (!body->contains("handledAt") || (*body)["handledAt"].is_null())) {
           set_param(c.params, "forefront", "true");
         }
       },
       nullptr},
      {{"PathIdNotChecked", "a PUT body id that differs from the path id is silently replaced"},
       [](BugCall& c) {
         if (c.op != O::kRequestPut) return;
         each_item(c, [&](Json& it) {
           if (it.contains("id")) it["id"] = c.request_id;
         });
       },
       nullptr},
      // Batches.
      {{"BatchLimitNotEnforced", "batch add and batch delete accept more than 25 items"},
       [](BugCall& c) {
         if ((c.op != O::kRequestsBatchPost && c.op != O::kRequestsBatchDelete) || !c.user) return;
         auto doc = parse_json(c.body);
         if (!doc || !doc->is_array() || doc->size() <= kMaxBatch) return;
         Json head = Json::array(), rest = Json::array();
         for (std::size_t i = 0; i < doc->size(); ++i)
           (i < kMaxBatch ? head : rest).push_back((*doc)[i]);
         RequestOptions ro;
         ro.client_key = param(c.params, "clientKey");
         while (!rest.empty()) {
           Json chunk = Json::array();
           while (!rest.empty() && chunk.size() < kMaxBatch) {
             chunk.push_back(rest[0]);
             rest.erase(0);
           }
           if (c.op == O::kRequestsBatchPost)
             (void)c.store.batch_add(*c.user, QueueRef{c.queue}, chunk, ro);
           else
             (void)c.store.batch_delete(*c.user, QueueRef{c.queue}, chunk, ro);
         }
         c.body = dump_json(head);
       },
       nullptr},
      {{"BatchLimitOffByOne", "a batch of exactly 25 items is refused"},
       [](BugCall& c) {
         if (c.op != O::kRequestsBatchPost && c.op != O::kRequestsBatchDelete) return;
         auto doc = parse_json(c.body);
         if (!doc || !doc->is_array() || doc->size() != kMaxBatch) return;
         Json extra = (*doc)[0];
         if (extra.contains("uniqueKey"))
           extra["uniqueKey"] = extra["uniqueKey"].get<std::string>() + "#26";
         doc->push_back(extra);
         c.body = dump_json(*doc);
       },
       nullptr},
      {{"EmptyBatchAccepted", "an empty batch add answers 201 with empty lists"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         auto doc = parse_json(c.body);
         if (c.op == O::kRequestsBatchPost && doc && doc->is_array() && doc->empty() &&
             r.status == 400) {
           r.status = 201;
           r.body = "{\"data\":{\"processedRequests\":[],\"unprocessedRequests\":[]}}";
         }
       }},
      {{"BatchErrorTypeWrong",
        "batch validation errors use type invalid-value instead of invalid-input"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if ((c.op == O::kRequestsBatchPost || c.op == O::kRequestsBatchDelete) &&
             r.status == 400) {
           replace_all(r.body, "\"type\":\"invalid-input\"", "\"type\":\"invalid-value\"");
         }
       }},
      {{"DuplicateKeysInBatchAccepted",
        "duplicate uniqueKeys inside one batch add are merged instead of refused"},
       [](BugCall& c) {
         if (c.op != O::kRequestsBatchPost) return;
         auto doc = parse_json(c.body);
         if (!doc || !doc->is_array()) return;
         Json kept = Json::array();
         std::vector<Json> keys;
         for (const auto& it : *doc) {
           Json k = it.is_object() && it.contains("uniqueKey") ? it["uniqueKey"] : Json();
           if (!k.is_null() && std::find(keys.begin(), keys.end(), k) != keys.end()) continue;
           keys.push_back(k);
           kept.push_back(it);
         }
         c.body = dump_json(kept);
       },
       nullptr},
      {{"BatchDropsItems", "batch add silently drops its last item (in neither list)"},
       [](BugCall& c) {
         if (c.op != O::kRequestsBatchPost) return;
         auto doc = parse_json(c.body);
         if (!doc || !doc->is_array() || doc->size() < 2) return;
         doc->erase(doc->size() - 1);
         c.body = dump_json(*doc);
       },
       nullptr},
      {{"BatchDeleteByIdIgnored",
        "batch delete ignores items given by id (reports them processed)"},
       [](BugCall& c) {
         if (c.op != O::kRequestsBatchDelete) return;
         each_item(c, [](Json& it) {
           if (it.contains("id") && !it.contains("uniqueKey")) it["id"] = "zzzzzzzzzzzzzzz";
         });
       },
       nullptr},
      {{"BatchDeleteByUniqueKeyIgnored", "batch delete ignores items given by uniqueKey"},
       [](BugCall& c) {
         if (c.op != O::kRequestsBatchDelete) return;
         each_item(c, [](Json& it) {
           if (it.contains("uniqueKey") && !it.contains("id") && it["uniqueKey"].is_string()) {
             it["uniqueKey"] = it["uniqueKey"].get<std::string>() + "#ignored";
           }
         });
       },
       nullptr},
      {{"BatchDeleteAnswers204", "batch delete answers 204 without a body instead of 200"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op == O::kRequestsBatchDelete && r.status == 200) {
           r.status = 204;
           r.body.clear();
         }
       }},
      // Listing requests.
      {{"ListLimitIgnored", "list requests ignores limit"},
       [](BugCall& c) {
         if (c.op == O::kRequestsGet) c.params.erase("limit");
       },
       nullptr},
      {{"CursorSkipsItem", "a page fetched with a cursor leaves out its first item"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op != O::kRequestsGet || !ok(r.status) || !param(c.params, "cursor")) return;
         edit_reply(r, [](Json& d) {
           Json& items = d["data"]["items"];
           if (items.is_array() && !items.empty()) items.erase(0);
         });
       }},
      {{"NextCursorOnLastPage", "every non-empty page carries a nextCursor, the last one too"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op != O::kRequestsGet || !ok(r.status)) return;
         edit_reply(r, [](Json& d) {
           Json& data = d["data"];
           if (!data.contains("nextCursor") && data["items"].is_array() && !data["items"].empty()) {
             data["nextCursor"] = encode_cursor(data["items"].back().value("id", ""));
           }
         });
       }},
      {{"ExclusiveStartIdIgnored", "list requests ignores exclusiveStartId"},
       [](BugCall& c) {
         if (c.op == O::kRequestsGet) c.params.erase("exclusiveStartId");
       },
       nullptr},
      {{"ExclusiveStartIdComboListsFromStart",
        "list requests given exclusiveStartId with cursor or filter ignores all three and lists "
        "from the start"},
       [](BugCall& c) {
         if (c.op != O::kRequestsGet || !c.params.count("exclusiveStartId")) return;
         if (!c.params.count("cursor") && !c.params.count("filter")) return;
         c.params.erase("exclusiveStartId");
         c.params.erase("cursor");
         c.params.erase("filter");
       },
       nullptr},
      {{"ListCountWrong", "list pages carry a count that is not the number of items"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op != O::kRequestsGet || !ok(r.status)) return;
         edit_reply(r, [](Json& d) {
           Json& data = d["data"];
           if (data["items"].is_array()) data["count"] = data["items"].size() + 1;
         });
       }},
      {{"FilterIgnored", "list requests ignores filter"},
       [](BugCall& c) {
         if (c.op == O::kRequestsGet) c.params.erase("filter");
       },
       nullptr},
      {{"FilterFirstOnly", "list requests applies only the first value of filter=a,b"},
       [](BugCall& c) {
         if (c.op != O::kRequestsGet) return;
         auto v = param(c.params, "filter");
         if (v) set_param(c.params, "filter", v->substr(0, v->find(',')));
       },
       nullptr},
      {{"WrongDefaultLimits", "list, head and head/lock default to limit 10"},
       [](BugCall& c) {
         if ((c.op == O::kRequestsGet || c.op == O::kHeadGet || c.op == O::kHeadLockPost) &&
             !param(c.params, "limit")) {
           c.params.emplace("limit", "10");
         }
       },
       nullptr},
      {{"LimitNotClamped",
        "list and head/lock echo a limit above the maximum that they do not apply"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if ((c.op != O::kRequestsGet && c.op != O::kHeadLockPost) || !ok(r.status)) return;
         auto v = param(c.params, "limit");
         if (!v) return;
         long long n = std::atoll(v->c_str());
         edit_reply(r, [&](Json& d) { d["data"]["limit"] = n; });
       }},
      // Head and locks.
      {{"HeadOrderReversed", "GET head lists the requests in reverse queue order"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op != O::kHeadGet || !ok(r.status)) return;
         edit_reply(r, [](Json& d) {
           Json& items = d["data"]["items"];
           if (items.is_array()) std::reverse(items.begin(), items.end());
         });
       }},
      {{"HeadShowsLocked", "GET head also lists requests locked by other clients"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op == O::kHeadGet) leak_locked(c, r, false);
       }},
      {{"HadMultipleClientsNeverSet", "hadMultipleClients is always false"},
       nullptr,
       [](BugCall&, BugReply& r) {
         replace_all(r.body, "\"hadMultipleClients\":true", "\"hadMultipleClients\":false");
       }},
      {{"LockExpiryWrong", "head/lock reports lockExpiresAt one hour early"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op != O::kHeadLockPost || !ok(r.status)) return;
         edit_reply(r, [](Json& d) {
           for (auto& it : d["data"]["items"]) {
             auto t = parse_iso8601(it.value("lockExpiresAt", ""));
             if (t) it["lockExpiresAt"] = format_iso8601(*t - 3600000);
           }
         });
       }},
      {{"LockNotExclusive", "head/lock also hands out requests that are already locked"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op == O::kHeadLockPost) leak_locked(c, r, true);
       }},
      {{"LockSecsDefaulted", "a missing or invalid lockSecs defaults to 60 instead of a 400"},
       [](BugCall& c) {
         if (c.op != O::kHeadLockPost && c.op != O::kRequestLockPut) return;
         auto v = param(c.params, "lockSecs");
         bool valid = v && !v->empty() && std::all_of(v->begin(), v->end(), [](char ch) {
                        return std::isdigit(static_cast<unsigned char>(ch)) || ch == '.';
                      });
         if (!valid) set_param(c.params, "lockSecs", "60");
       },
       nullptr},
      {{"QueueHasLockedAlwaysFalse", "head/lock always answers queueHasLockedRequests false"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op == O::kHeadLockPost) {
           replace_all(r.body, "\"queueHasLockedRequests\":true",
                       "\"queueHasLockedRequests\":false");
         }
       }},
      {{"LockNeverExpires", "locks are taken for an hour whatever lockSecs says"},
       [](BugCall& c) {
         if (c.op == O::kHeadLockPost || c.op == O::kRequestLockPut)
           set_param(c.params, "lockSecs", "3600");
       },
       nullptr},
      {{"ProlongWrongExpiry", "prolonging a lock extends it by 1 second whatever lockSecs says"},
       [](BugCall& c) {
         if (c.op == O::kRequestLockPut) set_param(c.params, "lockSecs", "1");
       },
       nullptr},
      {{"ProlongByAnyone", "any client may prolong or delete another client's lock"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if ((c.op != O::kRequestLockPut && c.op != O::kRequestLockDelete) ||
             (r.status != 400 && r.status != 403)) {
           return;
         }
         if (r.body.find("request-handled-or-locked") == std::string::npos &&
             r.body.find("insufficient-permissions") == std::string::npos) {
           return;
         }
         if (c.op == O::kRequestLockDelete) {
           r.status = 204;
           r.body.clear();
           return;
         }
         double secs = std::atof(param(c.params, "lockSecs").value_or("60").c_str());
         r.status = 200;
         r.body = "{\"data\":{\"lockExpiresAt\":\"" +
                  format_iso8601(SystemClock().now_ms() + static_cast<TimeMs>(secs * 1000)) +
                  "\"}}";
       }},
      {{"DeleteLockIgnored", "deleting a lock answers 204 but keeps the lock"},
       [](BugCall& c) {
         if (c.op == O::kRequestLockDelete)
           set_param(c.params, "clientKey", "rqcheck-bug-not-owner");
       },
       [](BugCall& c, BugReply& r) {
         if (c.op == O::kRequestLockDelete && r.status >= 400) {
           r.status = 204;
           r.body.clear();
         }
       }},
      {{"UnlockCountWrong", "unlock answers unlockedCount 0 whatever it released"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (c.op == O::kRequestsUnlockPost && ok(r.status))
           r.body = "{\"data\":{\"unlockedCount\":0}}";
       }},
      // General conventions.
      {{"ErrorEnvelopeMissing", "error answers have a plain-text body instead of the envelope"},
       nullptr,
       [](BugCall&, BugReply& r) {
         if (r.status >= 400) r.body = "Error " + std::to_string(r.status);
       },
       [](const BugExchange&, BugReply& r) {
         if (r.status >= 400 && r.body.rfind("Error ", 0) != 0)
           r.body = "Error " + std::to_string(r.status);
       }},
      {{"ClientKeyLengthNotChecked",
        "clientKey longer than 32 characters is cut instead of refused"},
       [](BugCall& c) {
         auto v = param(c.params, "clientKey");
         if (v && v->size() > 32) set_param(c.params, "clientKey", v->substr(0, 32));
       },
       nullptr},
      {{"RateLimitNotEnforced", "the first API call switches the per-queue rate limits off"},
       [](BugCall& c) {
         RateLimits rl = c.store.rate_limits();
         if (rl.enabled) {
           rl.enabled = false;
           c.store.set_rate_limits(rl);
         }
       },
       nullptr},
      {{"RetryAfterMalformed",
        "429 answers carry Retry-After: soon (neither seconds nor an HTTP-date)"},
       nullptr,
       nullptr,
       [](const BugExchange&, BugReply& r) {
         if (r.status != 429) return;
         r.headers.erase(
             std::remove_if(r.headers.begin(), r.headers.end(),
                            [](const auto& h) { return lower(h.first) == "retry-after"; }),
             r.headers.end());
         r.headers.emplace_back("Retry-After", "soon");
       }},
      {{"RateLimitHeaderMissing", "responses leave out X-RateLimit-Limit"},
       nullptr,
       nullptr,
       [](const BugExchange&, BugReply& r) {
         r.headers.erase(
             std::remove_if(r.headers.begin(), r.headers.end(),
                            [](const auto& h) { return lower(h.first) == "x-ratelimit-limit"; }),
             r.headers.end());
       }},
      {{"UnauthorizedIs403", "a missing or unknown token answers 403 instead of 401"},
       nullptr,
       nullptr,
       [](const BugExchange&, BugReply& r) {
         if (r.status == 401)
           set_error(r, errors::insufficient_permissions("Insufficient permissions."));
       }},
      {{"TokenQueryParamIgnored", "the ?token= query parameter is not accepted (only the header)"},
       nullptr,
       nullptr,
       [](const BugExchange& ex, BugReply& r) {
         if (ex.params.count("token") && !header(ex.request_headers, "Authorization") &&
             r.status < 400) {
           set_error(r, errors::token_not_provided());
         }
       }},
      {{"MethodNotAllowedIs404", "a wrong method on a known path answers 404 instead of 405"},
       nullptr,
       nullptr,
       [](const BugExchange& ex, BugReply& r) {
         if (r.status == 405) {
           set_error(r, errors::page_not_found(ex.path));
           r.headers.erase(std::remove_if(r.headers.begin(), r.headers.end(),
                                          [](const auto& h) { return lower(h.first) == "allow"; }),
                           r.headers.end());
         }
       }},
      {{"PayloadLimitNotEnforced",
        "a body over 9437184 bytes answers 400 instead of 413 request-too-large"},
       nullptr,
       nullptr,
       [](const BugExchange&, BugReply& r) {
         if (r.status == 413)
           set_error(r, errors::invalid_input("Invalid input: the body could not be read."));
       }},
      {{"UnsupportedEncodingIs400", "an unknown Content-Encoding answers 400 instead of 415"},
       nullptr,
       nullptr,
       [](const BugExchange&, BugReply& r) {
         if (r.status == 415)
           set_error(r, errors::invalid_input("Invalid input: the body could not be decoded."));
       }},
      {{"CompressedBodyRejected", "gzip, deflate and br request bodies are refused with 415"},
       nullptr,
       nullptr,
       [](const BugExchange& ex, BugReply& r) {
         auto enc = header(ex.request_headers, "Content-Encoding");
         if (enc && !enc->empty() && lower(*enc) != "identity" && r.status < 400) {
           set_error(r, errors::unsupported_content_encoding(*enc));
         }
       }},
      // issue 13: exactly one wrong field that no check and no client parse reads, so only the
      // schema sees it (the conformance test of schema findings: one finding, every check passes).
      {{"StorageBytesAsString", "queue objects send stats.storageBytes as a string (\"0\")"},
       nullptr,
       [](BugCall& c, BugReply& r) {
         if (!returns_queue(c.op) || !ok(r.status)) return;
         edit_reply(r, [](Json& d) {
           Json& b = d["data"]["stats"]["storageBytes"];
           if (b.is_number()) b = b.dump();
         });
       }},
  };
  return kDefs;
}

class ActiveBugs final : public Bugs {
 public:
  explicit ActiveBugs(std::vector<const BugDef*> active) : active_(std::move(active)) {}
  bool empty() const override { return active_.empty(); }
  void before(BugCall& call) override {
    for (const BugDef* b : active_) {
      if (b->before) b->before(call);
    }
  }
  void after(BugCall& call, BugReply& reply) override {
    for (const BugDef* b : active_) {
      if (b->after) b->after(call, reply);
    }
  }
  void on_reply(const BugExchange& exchange, BugReply& reply) override {
    for (const BugDef* b : active_) {
      if (b->reply) b->reply(exchange, reply);
    }
  }

 private:
  std::vector<const BugDef*> active_;
};

}  // namespace

const std::vector<BugInfo>& Bugs::catalogue() {
  static const std::vector<BugInfo> kCatalogue = [] {
    std::vector<BugInfo> out;
    for (const auto& d : defs()) out.push_back(d.info);
    return out;
  }();
  return kCatalogue;
}

Result<std::shared_ptr<Bugs>> Bugs::make(const std::vector<std::string>& names) {
  std::vector<const BugDef*> active;
  for (const auto& n : names) {
    const BugDef* found = nullptr;
    for (const auto& d : defs()) {
      if (d.info.name == n) found = &d;
    }
    if (!found) return errors::invalid_parameter("Unknown bug \"" + n + "\".");
    if (std::find(active.begin(), active.end(), found) == active.end()) active.push_back(found);
  }
  return std::shared_ptr<Bugs>(std::make_shared<ActiveBugs>(std::move(active)));
}

}  // namespace rqcheck::fake
