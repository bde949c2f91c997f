// Checks of the queue operations (spec section 3 rows 1-5): create, get-or-create, get, update,
// delete, list; the queue object's fields, timestamps and counters.
#include "helpers.h"

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
  auto info = queue_info(ctx, q);
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
          .catches = "servers that never list unnamed queues, even with unnamed=1",
          .breaking_bug = "UnnamedFlagIgnored"}) {
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

}  // namespace
}  // namespace rqcheck::conformance
