// Checks of the queue operations (spec section 3 rows 1-5): create, get-or-create, get, update,
// delete, list; the queue object's fields, timestamps and counters.
#include <utility>

#include "helpers.h"
#include "rqcheck/client/url.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::conformance {
namespace anchors {
void queues() {}
}  // namespace anchors

namespace {
using namespace helpers;
using O = Operation;

std::string fresh_name(Context& ctx, const std::string& what) {
  return ctx.new_client_key() + "-" + what + "-" +
         std::to_string(SystemClock().now_ms() % 100000000);
}

RQ_CHECK(queues_create_201,
         {.id = "rq.queues.create_new_201",
          .title = "Creating a new queue answers 201 with a Location header",
          .operation = O::kQueuesPost,
          .level = Level::kMust,
          .source = "spec section 3 row 2: \"201 + Location header (new), 200 (name exists)\"",
          .catches = "servers that answer 200 for a new queue or leave out Location",
          .breaking_bug = "WrongCreateStatus",
          .needs = kNeedRawHttp}) {
  Response r = ctx.call(O::kQueuesPost, "POST", "", {{"name", "rqc-" + fresh_name(ctx, "new")}});
  if (r.json_ok && r.json.contains("data") && r.json["data"].contains("id")) {
    ctx.track_queue(r.json["data"]["id"].get<std::string>());
  }
  ctx.expect(r.status == 201, "status 201 Created", r.summary());
  ctx.expect(r.header("Location").has_value(), "a Location header", "no Location header");
  // Spec section 1: names of at most 63 characters. 63 is created under exactly that name, 64
  // is refused.
  std::string name = "rqc-" + fresh_name(ctx, "long");
  name.resize(kMaxStorageNameLength, 'n');
  Response at = ctx.call(O::kQueuesPost, "POST", "", {{"name", name}});
  if (at.json_ok && at.json.contains("data") && at.json["data"].contains("id")) {
    ctx.track_queue(at.json["data"]["id"].get<std::string>());
  }
  ctx.expect(at.status == 201 && data_field(at, "name") == name,
             "a name of 63 characters: 201 with that name", at.summary());
  Response over = ctx.call(O::kQueuesPost, "POST", "", {{"name", name + "n"}});
  if (over.json_ok && over.json.contains("data") && over.json["data"].contains("id")) {
    ctx.track_queue(over.json["data"]["id"].get<std::string>());
  }
  expect_error(ctx, over, {400}, "a name of 64 characters");
  return Outcome::pass();
}

RQ_CHECK(
    queues_get_or_create,
    {.id = "rq.queues.get_or_create_existing_200",
     .title = "Creating a queue with an existing name returns that queue with 200",
     .operation = O::kQueuesPost,
     .level = Level::kShould,
     .source = "spec section 4 (2): \"With name: returns the existing queue of that name if there "
               "is one (200 in the current spec)\"",
     .catches =
         "servers that create a second queue of the same name, or answer 201 for an existing one",
     .breaking_bug = "WrongCreateStatus",
     .needs = kNeedRawHttp}) {
  std::string name = "rqc-" + fresh_name(ctx, "same");
  Response a = ctx.call(O::kQueuesPost, "POST", "", {{"name", name}});
  ctx.expect(a.status == 201 || a.status == 200, "the first create succeeds", a.summary());
  std::string id = a.json["data"]["id"].get<std::string>();
  ctx.track_queue(id);
  Response b = ctx.call(O::kQueuesPost, "POST", "", {{"name", name}});
  ctx.expect(b.status == 200, "status 200 for the existing queue", b.summary());
  std::string id2 = b.json["data"].value("id", "");
  if (id2 != id) ctx.track_queue(id2);
  ctx.expect(id2 == id, "the same queue id " + id, id2);
  return Outcome::pass();
}

RQ_CHECK(
    queue_required_fields,
    {.id = "rq.queue.required_fields",
     .title = "The queue object has every field the spec requires, consoleUrl included",
     .operation = O::kQueueGet,
     .level = Level::kMust,
     .source = "decision 40: \"queue object: all fields the spec requires, consoleUrl included\"",
     .catches = "queue objects without consoleUrl, counters or timestamps (the Python client "
                "rejects them)",
     .breaking_bug = "MissingConsoleUrl",
     .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Response r = ctx.call(O::kQueueGet, "GET", "/" + q);
  ctx.expect(r.status == 200 && r.json_ok, "200 with a JSON body", r.summary());
  const Json& d = r.json["data"];
  std::vector<std::string> missing;
  for (const char* f :
       {"id", "userId", "createdAt", "modifiedAt", "accessedAt", "totalRequestCount",
        "handledRequestCount", "pendingRequestCount", "hadMultipleClients", "consoleUrl"}) {
    if (!d.is_object() || !d.contains(f)) missing.push_back(f);
  }
  ctx.expect(missing.empty(), "data carries every required field", "missing " + join(missing));
  ctx.expect(d["id"] == q, "data.id = " + q, d["id"].dump());
  return Outcome::pass();
}

RQ_CHECK(queue_timestamps,
         {.id = "rq.queue.timestamps_utc",
          .title = "Queue timestamps are ISO-8601 date-times with a timezone",
          .operation = O::kQueueGet,
          .level = Level::kMust,
          .source = "decision 39: \"timestamps: ISO-8601 UTC with milliseconds and Z\" (must: a "
                    "timezone-aware date-time)",
          .catches = "naive timestamps, which break the Python client's AwareDatetime",
          .breaking_bug = "NaiveTimestamps",
          .needs = kNeedRawHttp}) {
  Response r = ctx.call(O::kQueueGet, "GET", "/" + ctx.queue());
  ctx.expect(r.status == 200 && r.json_ok, "200 with a JSON body", r.summary());
  for (const char* f : {"createdAt", "modifiedAt", "accessedAt"}) {
    const Json& v = r.json["data"][f];
    bool ok = v.is_string() && parse_iso8601(v.get<std::string>()).has_value();
    ctx.expect(ok, std::string(f) + " is a date-time with Z or an offset", v.dump());
  }
  return Outcome::pass();
}

RQ_CHECK(queue_update_name, {.id = "rq.queue.update_name",
                             .title = "PUT queue renames it and returns the updated object",
                             .operation = O::kQueuePut,
                             .level = Level::kMust,
                             .source = "spec section 4 (3)-(5): \"PUT changes name (null makes it "
                                       "unnamed) and generalAccess; returns the updated object\"",
                             .catches = "updates that are acknowledged but not applied",
                             .breaking_bug = "QueueRenameIgnored"}) {
  const std::string& q = ctx.queue();
  std::string name = "rqc-" + fresh_name(ctx, "renamed");
  client::QueueUpdate u;
  u.name = name;
  auto updated = ctx.ok(ctx.api().update_queue(q, u), "renaming the queue");
  ctx.expect(updated.name == name, "the answer's name = " + name, updated.name.value_or("null"));
  auto got = queue_info(ctx, q);
  ctx.expect(got.name == name, "GET shows name = " + name, got.name.value_or("null"));
  return Outcome::pass();
}

RQ_CHECK(queue_delete,
         {.id = "rq.queue.delete_204",
          .title = "DELETE queue answers 204 without a body and the queue is gone",
          .operation = O::kQueueDelete,
          .level = Level::kMust,
          .source = "spec section 3 row 5: \"DELETE /v2/request-queues/{queueId} -> 204\"",
          .catches = "deletes that answer 200 with a body or leave the queue behind",
          .breaking_bug = "DeleteAnswers200",
          .needs = kNeedRawHttp}) {
  std::string q = ctx.new_queue();
  Response r = ctx.call(O::kQueueDelete, "DELETE", "/" + q);
  ctx.expect(r.status == 204 && r.exchange.response_body.empty(), "204 with no body", r.summary());
  Response g = ctx.call(O::kQueueGet, "GET", "/" + q);
  ctx.expect(g.status == 404, "GET of the deleted queue answers 404", g.summary());
  return Outcome::pass();
}

RQ_CHECK(queue_not_found,
         {.id = "rq.queue.not_found_404",
          .title = "An unknown queue answers 404 record-not-found",
          .operation = O::kQueueGet,
          .level = Level::kMust,
          .source = "decision 14: \"unknown queue or request: 404 record-not-found\"",
          .catches = "servers that answer 500 or 400 for a missing queue (the clients treat only "
                     "404 as absent)",
          .breaking_bug = "NotFoundIs500",
          .needs = kNeedRawHttp}) {
  Response r = ctx.call(O::kQueueGet, "GET", "/Zz9rqcheckMissing");
  expect_error(ctx, r, {404}, "GET of an unknown queue");
  ctx.expect(r.error_type() == "record-not-found", "type record-not-found", r.error_type());
  return Outcome::pass();
}

RQ_CHECK(
    queue_counters,
    {.id = "rq.queue.counters",
     .title = "Queue counters follow adds, handling and deletes (total = handled + pending)",
     .operation = O::kQueueGet,
     .level = Level::kMust,
     .source =
         "decision 36: \"counters: total = handled + pending at all times; updated synchronously\"",
     .catches = "counters that are not updated when a request is handled or deleted",
     .breaking_bug = "CounterNotUpdated"}) {
  const std::string& q = ctx.queue();
  for (const char* k : {"c1", "c2", "c3"}) add(ctx, q, k);
  mark_handled(ctx, q, "c1");
  ctx.ok(ctx.api().delete_request(q, id_of(ctx, "c2")), "deleting c2");
  auto info = queue_info_counting(ctx, q, 2, 1);
  ctx.expect(info.total_request_count == 2 && info.handled_request_count == 1 &&
                 info.pending_request_count == 1,
             "total 2, handled 1, pending 1", counters(info));
  return Outcome::pass();
}

RQ_CHECK(queues_list, {.id = "rq.queues.list_named",
                       .title = "GET /v2/request-queues lists a new named queue (desc=1)",
                       .operation = O::kQueuesGet,
                       .level = Level::kMust,
                       .source = "spec section 4 (1): \"By default only named queues ... Sorted by "
                                 "createdAt ascending (desc=1 reverses).\"",
                       .catches = "queue lists that leave out the caller's queues",
                       .breaking_bug = "QueueListEmpty"}) {
  const std::string& q = ctx.queue();
  client::ListQueuesOptions o;
  o.desc = true;
  o.limit = 100;
  auto page = ctx.ok(ctx.api().list_queues(o), "listing queues");
  bool found = false;
  for (const auto& it : page.items) found = found || it.id == q;
  ctx.expect(found, "the new named queue " + q + " in the first 100 (desc=1)",
             std::to_string(page.items.size()) + " items without it");
  return Outcome::pass();
}

RQ_CHECK(queues_unnamed,
         {.id = "rq.queues.unnamed_listing",
          .title = "Unnamed queues have name null and are listed with unnamed=1",
          .operation = O::kQueuesGet,
          .level = Level::kTolerate,
          .source = "decision 35: \"unnamed queues: name: null, listed only with unnamed=1\"",
          .catches = "servers that never list unnamed queues, even with unnamed=1, or that take "
                     "unnamed=1 but not unnamed=true",
          .breaking_bug = "UnnamedFlagIgnored",
          .needs = kNeedRawHttp}) {
  auto created = ctx.ok(ctx.api().get_or_create_queue(std::nullopt), "creating an unnamed queue");
  ctx.track_queue(created.id);
  ctx.expect(!created.name.has_value(), "name null", created.name.value_or(""));
  client::ListQueuesOptions o;
  o.desc = true;
  o.limit = 100;
  o.unnamed = true;
  auto with = ctx.ok(ctx.api().list_queues(o), "listing with unnamed=1");
  bool found = false;
  for (const auto& it : with.items) found = found || it.id == created.id;
  ctx.expect(found, "the unnamed queue listed with unnamed=1", "not listed");
  // Decision 18: true and 1 are the same boolean (the Python client sends true).
  Response t =
      ctx.call(O::kQueuesGet, "GET", "", {{"unnamed", "true"}, {"desc", "true"}, {"limit", "100"}});
  bool found_true = false;
  if (t.status == 200 && t.json_ok && t.json.contains("data") && t.json["data"].is_object() &&
      t.json["data"].contains("items") && t.json["data"]["items"].is_array()) {
    for (const auto& it : t.json["data"]["items"])
      found_true = found_true || (it.is_object() && it.value("id", "") == created.id);
  }
  ctx.expect(found_true, "the unnamed queue listed with unnamed=true too (decision 18)",
             t.summary());
  o.unnamed.reset();
  auto without = ctx.ok(ctx.api().list_queues(o), "listing without unnamed");
  bool listed = false;
  for (const auto& it : without.items) listed = listed || it.id == created.id;
  return Outcome::pass(listed ? "unnamed queues are listed by default"
                              : "unnamed queues are listed only with unnamed=1");
}

RQ_CHECK(
    queue_other_user,
    {.id = "rq.queue.other_user_forbidden",
     .title = "Another user cannot add requests to a queue: 403 insufficient-permissions",
     .operation = O::kRequestsPost,
     .level = Level::kShould,
     .source = "decision 13: \"queue of another user: 403 insufficient-permissions for writes\"",
     .catches = "queues that anyone with the id can write to",
     .breaking_bug = "OtherUsersQueueWritable",
     .needs = kNeedRawHttp | kNeedSecondToken}) {
  const std::string& q = ctx.queue();
  client::RawRequest req;
  req.method = "POST";
  req.path = "/v2/request-queues/" + q + "/requests";
  req.body = ctx.request("intruder").dump();
  req.operation = O::kRequestsPost;
  Response r = ctx.send(req, &ctx.second());
  expect_error(ctx, r, {403}, "a write by another user");
  ctx.expect(r.error_type() == "insufficient-permissions", "type insufficient-permissions",
             r.error_type());
  return Outcome::pass();
}

// A GET of the queue API sent without a token, or with the second user's token.
Response read_as(Context& ctx, O op, const std::string& path, client::HttpClient* via) {
  client::RawRequest req;
  req.method = "GET";
  req.path = "/v2/request-queues" + path;
  req.send_token = via != nullptr;
  req.operation = op;
  return ctx.send(req, via);
}

void set_access(Context& ctx, const std::string& q, const std::string& access) {
  client::QueueUpdate u;
  u.general_access = access;
  auto r = ctx.ok(ctx.api().update_queue(q, u), "setting generalAccess " + access);
  ctx.expect(r.general_access == access, "the updated queue shows generalAccess " + access,
             r.general_access);
}

RQ_CHECK(
    queue_read_by_raw_id,
    {.id = "rq.queue.read_by_raw_id_without_token",
     .title = "A queue and its requests are read by raw id without a token; once RESTRICTED the "
              "same reads are refused",
     .operation = O::kQueueGet,
     .level = Level::kShould,
     .source = "spec section 1: \"A GET by the raw 17-char id works without a token unless "
               "general access is RESTRICTED\"; \"When a token is needed: always for writes, for "
               "username~name ids and for RESTRICTED resources\"",
     .catches = "servers that want a token for every read, or that let anyone read a RESTRICTED "
                "queue",
     .breaking_bug = "AnonymousReadsRefused",
     .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  const std::string rid = add(ctx, q, "public");
  // The queue's own setting, not the account's (FOLLOW_USER_SETTING depends on the account).
  set_access(ctx, q, "ANYONE_WITH_ID_CAN_READ");
  Response r = read_as(ctx, O::kQueueGet, "/" + q, nullptr);
  ctx.expect(r.status == 200 && data_field(r, "id") == q,
             "GET /" + q + " without a token (ANYONE_WITH_ID_CAN_READ): 200 with the queue",
             r.summary());
  Response g = read_as(ctx, O::kRequestGet, "/" + q + "/requests/" + rid, nullptr);
  ctx.expect(g.status == 200 && data_field(g, "uniqueKey") == ctx.unique_key("public"),
             "GET of its request " + rid + " without a token: 200 with the request", g.summary());
  set_access(ctx, q, "RESTRICTED");
  std::string seen;
  for (auto [op, path] : {std::pair{O::kQueueGet, "/" + q},
                          std::pair{O::kRequestGet, "/" + q + "/requests/" + rid}}) {
    Response x = read_as(ctx, op, path, nullptr);
    // 401 (a token is needed: decision 12); 403 and 404 record-or-token-not-found are the
    // other refusals the catalogue has for a resource the caller may not see (spec 1.1).
    bool refused = x.has_error_envelope() &&
                   (x.status == 401 || x.status == 403 ||
                    (x.status == 404 && x.error_type() == "record-or-token-not-found"));
    ctx.expect(refused,
               "GET " + path +
                   " without a token once RESTRICTED: refused (401, 403 or 404 "
                   "record-or-token-not-found, with the error envelope)",
               x.summary());
    if (seen.empty()) seen = std::to_string(x.status) + " " + x.error_type();
  }
  return Outcome::pass("RESTRICTED reads without a token: " + seen);
}

RQ_CHECK(
    queue_other_user_read,
    {.id = "rq.queue.other_user_read_by_raw_id",
     .title = "Another user reads a queue by its raw id; once RESTRICTED the read is 403 "
              "insufficient-permissions",
     .operation = O::kQueueGet,
     .level = Level::kShould,
     .source = "decision 13: \"queue of another user: 403 insufficient-permissions for writes and "
               "for RESTRICTED reads; reads by raw id are allowed (ANYONE_WITH_ID_CAN_READ)\"",
     .catches = "servers where generalAccess is stored but not enforced, or where only the owner "
                "can read",
     .breaking_bug = "RestrictedReadableById",
     .needs = kNeedRawHttp | kNeedSecondToken}) {
  const std::string& q = ctx.queue();
  const std::string rid = add(ctx, q, "shared");
  client::HttpClient* other = &ctx.second();
  set_access(ctx, q, "ANYONE_WITH_ID_CAN_READ");
  Response r = read_as(ctx, O::kQueueGet, "/" + q, other);
  ctx.expect(r.status == 200 && data_field(r, "id") == q,
             "GET /" + q + " by another user (ANYONE_WITH_ID_CAN_READ): 200 with the queue",
             r.summary());
  Response g = read_as(ctx, O::kRequestGet, "/" + q + "/requests/" + rid, other);
  ctx.expect(g.status == 200 && data_field(g, "uniqueKey") == ctx.unique_key("shared"),
             "GET of its request " + rid + " by another user: 200 with the request", g.summary());
  set_access(ctx, q, "RESTRICTED");
  Response x = read_as(ctx, O::kQueueGet, "/" + q, other);
  expect_error(ctx, x, {403}, "GET /" + q + " by another user once RESTRICTED");
  ctx.expect(x.error_type() == "insufficient-permissions", "type insufficient-permissions",
             x.error_type());
  return Outcome::pass();
}

RQ_CHECK(queue_by_username_name,
         {.id = "rq.queue.username_name",
          .title = "A queue is read and written as username~queue-name (the username of its list "
                   "item) and as ~queue-name",
          .operation = O::kQueueGet,
          .level = Level::kMust,
          .source = "spec section 3: \"queueId accepts an ID or username~queue-name (and "
                    "~queue-name per storage docs)\"",
          .catches = "servers that resolve only raw ids, or ~name of the token's owner but not "
                     "username~name",
          .breaking_bug = "UsernameQueueRefNotFound",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  auto info = queue_info(ctx, q);
  ctx.expect(info.name.has_value() && !info.name->empty(), "the check's queue is named", "no name");
  const std::string name = *info.name;
  // The username comes from the queue's list item (RequestQueueShort requires it); the newest
  // queues first, so it is on the first page.
  client::ListQueuesOptions lo;
  lo.desc = true;
  lo.limit = 1000;
  auto page = ctx.ok(ctx.api().list_queues(lo), "listing queues (desc=1)");
  std::string username;
  bool listed = false;
  for (const auto& it : page.items) {
    if (it.id != q) continue;
    listed = true;
    username = it.username;
  }
  ctx.expect(listed, "the queue " + q + " on the first page of the list (desc=1)", "not listed");
  ctx.expect(!username.empty(), "its list item carries username", "no username");
  const std::string by_user = percent_encode(username) + "~" + percent_encode(name);
  const std::string by_own = "~" + percent_encode(name);
  for (const std::string& ref : {by_user, by_own}) {
    Response r = ctx.call(O::kQueueGet, "GET", "/" + ref);
    ctx.expect(r.status == 200 && data_field(r, "id") == q,
               "GET /v2/request-queues/" + ref + ": 200 with the queue " + q, r.summary());
  }
  // Seed (Authorization): a token is required when using the named formats.
  Response anon = read_as(ctx, O::kQueueGet, "/" + by_user, nullptr);
  expect_error(ctx, anon, {401}, "GET /v2/request-queues/" + by_user + " without a token");
  // The routes below the queue take both named forms too: an add, then the head.
  for (const std::string& ref : {by_user, by_own}) {
    const std::string key = ref == by_user ? "by-name" : "by-own-name";
    Response a =
        ctx.call(O::kRequestsPost, "POST", "/" + ref + "/requests", {}, ctx.request(key).dump());
    ctx.expect(a.status == 201 && !data_field(a, "requestId").empty(),
               "POST /v2/request-queues/" + ref + "/requests: 201 with a requestId", a.summary());
    const std::string rid = data_field(a, "requestId");
    // Read back by raw id: the request went into this queue.
    auto stored = ctx.ok(ctx.api().get_request(q, rid), "reading " + rid + " back by raw id");
    ctx.expect(stored.is_object() && stored.value("uniqueKey", "") == ctx.unique_key(key),
               "the request added by name is in " + q, stored.dump());
    auto lists_rid = [&](const Response& h) {
      bool in_head = false;
      if (h.status == 200 && h.json_ok && h.json.contains("data") && h.json["data"].is_object() &&
          h.json["data"].contains("items") && h.json["data"]["items"].is_array()) {
        for (const auto& it : h.json["data"]["items"]) {
          in_head = in_head || (it.is_object() && it.value("id", "") == rid);
        }
      }
      return in_head;
    };
    Response h = eventually(
        ctx, "the head by name", [&] { return ctx.call(O::kHeadGet, "GET", "/" + ref + "/head"); },
        lists_rid);
    ctx.expect(lists_rid(h), "GET /v2/request-queues/" + ref + "/head lists " + rid, h.summary());
  }
  return Outcome::pass();
}

RQ_CHECK(queues_list_limit,
         {.id = "rq.queues.list_limit",
          .title = "The queue list's limit defaults to 1000 and is at most 1000 (limit=5000 "
                   "clamped, or refused with 400)",
          .operation = O::kQueuesGet,
          .level = Level::kShould,
          .source = "spec section 1: \"List queues: limit default and maximum 1000\"; spec "
                    "section 3, list queues: \"limit (<=1000, default 1000)\"",
          .catches = "queue lists with another default, or that take and show any limit",
          .breaking_bug = "QueueListLimitNotCapped"}) {
  ctx.queue();  // at least one queue to list
  const std::int64_t def = kListStoragesLimit.default_value, max = kListStoragesLimit.max_value;
  auto p = ctx.ok(ctx.api().list_queues(), "listing queues without a limit");
  ctx.expect(p.limit == def, "the response limit " + std::to_string(def) + " (the default)",
             std::to_string(p.limit));
  ctx.expect(static_cast<std::int64_t>(p.items.size()) <= p.limit,
             "at most limit items on the page", std::to_string(p.items.size()) + " items");
  client::ListQueuesOptions o;
  o.limit = max + 4000;
  auto over = ctx.api().list_queues(o);
  if (!over) {
    ctx.expect(over.error().status == 400, "200 with limit <= " + std::to_string(max) + ", or 400",
               Context::describe(over.error()));
    return Outcome::pass("400 for limit=" + std::to_string(*o.limit));
  }
  ctx.expect(over->limit <= max, "the response limit <= " + std::to_string(max),
             std::to_string(over->limit));
  ctx.expect(static_cast<std::int64_t>(over->items.size()) <= max,
             "at most " + std::to_string(max) + " items", std::to_string(over->items.size()));
  return Outcome::pass("limit=" + std::to_string(*o.limit) + " clamped to " +
                       std::to_string(over->limit));
}

}  // namespace
}  // namespace rqcheck::conformance
