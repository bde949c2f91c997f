// Checks of the single-request operations (spec section 3 rows 6, 10, 11, 12): add, get,
// update (PUT) and delete; dedup, request ids, handledAt, forefront.
#include <algorithm>
#include <cctype>

#include "helpers.h"

namespace rqcheck::conformance {
namespace anchors {
void requests() {}
}  // namespace anchors

namespace {
using namespace helpers;
using O = Operation;

constexpr const char* kUpdateSeed =
    "update-request.txt: \"If handledAt is set, the request will be removed from head of the queue "
    "(and unlocked, if applicable).\"";

RQ_CHECK(
    add_new,
    {.id = "rq.add.new_request_201",
     .title = "Adding a new request answers 201 with requestId and both flags false",
     .operation = O::kRequestsPost,
     .level = Level::kMust,
     .source = "spec section 3 row 6: \"201 {requestId, wasAlreadyPresent, wasAlreadyHandled}\"",
     .catches = "wrong success status or flags on a first add",
     .breaking_bug = "AddAnswers200",
     .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Response r =
      ctx.call(O::kRequestsPost, "POST", "/" + q + "/requests", {}, ctx.request("new").dump());
  ctx.expect(r.status == 201, "status 201", r.summary());
  const Json& d = r.json["data"];
  ctx.expect(
      d.value("wasAlreadyPresent", true) == false && d.value("wasAlreadyHandled", true) == false,
      "wasAlreadyPresent false, wasAlreadyHandled false", d.dump());
  return Outcome::pass();
}

RQ_CHECK(
    add_dedup,
    {.id = "rq.add.dedup_same_unique_key",
     .title = "Adding an existing uniqueKey returns the existing id with wasAlreadyPresent true",
     .operation = O::kRequestsPost,
     .level = Level::kMust,
     .source = "batch-add-requests.txt: \"If a request with the same uniqueKey was already present "
               "in the queue, then it returns an ID of the existing request.\"; decision 21",
     .catches = "servers that store duplicates instead of deduplicating by uniqueKey",
     .breaking_bug = "IgnoreUniqueKey"}) {
  const std::string& q = ctx.queue();
  auto first = ctx.ok(ctx.api().add_request(q, ctx.request("dup")), "the first add");
  Json again = ctx.request("dup");
  again["url"] = "https://example.com/other-url";
  auto second = ctx.ok(ctx.api().add_request(q, again), "the second add");
  ctx.expect(second.request_id == first.request_id, "the same requestId " + first.request_id,
             second.request_id);
  ctx.expect(second.was_already_present, "wasAlreadyPresent true", "false");
  auto info = queue_info_counting(ctx, q, 1, 0);
  ctx.expect(info.total_request_count == 1, "totalRequestCount 1", counters(info));
  return Outcome::pass();
}

RQ_CHECK(add_dedup_exact,
         {.id = "rq.add.dedup_exact_unique_key",
          .title = "Dedup compares uniqueKey exactly: the same URL under two keys is two requests",
          .operation = O::kRequestsPost,
          .level = Level::kMust,
          .source = "decision 20: \"dedup: exact string equality of uniqueKey per queue; no URL "
                    "normalisation on the server\"",
          .catches = "servers that deduplicate by URL or normalise uniqueKey",
          .breaking_bug = "DedupByUrl"}) {
  const std::string& q = ctx.queue();
  std::string url = "https://example.com/Same/";
  auto a = ctx.ok(ctx.api().add_request(q, Json{{"uniqueKey", url}, {"url", url}}), "adding key 1");
  auto b = ctx.ok(
      ctx.api().add_request(q, Json{{"uniqueKey", "https://example.com/same"}, {"url", url}}),
      "adding key 2");
  ctx.expect(a.request_id != b.request_id && !b.was_already_present,
             "two requests (different ids, wasAlreadyPresent false)",
             "ids " + a.request_id + " / " + b.request_id + ", wasAlreadyPresent " +
                 yes_no(b.was_already_present));
  return Outcome::pass();
}

RQ_CHECK(
    add_was_handled,
    {.id = "rq.add.was_already_handled",
     .title = "Re-adding a handled request answers wasAlreadyHandled true",
     .operation = O::kRequestsPost,
     .level = Level::kMust,
     .source = "decision 21: \"add of an existing uniqueKey: ... wasAlreadyHandled = its state\"",
     .catches = "wasAlreadyHandled that ignores the stored state (crawlers re-crawl handled pages)",
     .breaking_bug = "WasAlreadyHandledAlwaysFalse"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "h");
  mark_handled(ctx, q, "h");
  auto again = ctx.ok(ctx.api().add_request(q, ctx.request("h")), "re-adding the handled request");
  ctx.expect(again.was_already_present && again.was_already_handled,
             "wasAlreadyPresent true, wasAlreadyHandled true",
             yes_no(again.was_already_present) + ", " + yes_no(again.was_already_handled));
  return Outcome::pass();
}

RQ_CHECK(add_dup_unchanged,
         {.id = "rq.add.duplicate_not_modified",
          .title = "Re-adding an existing uniqueKey does not change the stored request",
          .operation = O::kRequestsPost,
          .level = Level::kShould,
          .source = "decision 21: \"the stored request and its position do not change\"",
          .catches = "adds that overwrite the stored request of a duplicate",
          .breaking_bug = "DuplicateOverwrites"}) {
  const std::string& q = ctx.queue();
  Json first = ctx.request("keep");
  first["userData"] = {{"label", "FIRST"}};
  auto a = ctx.ok(ctx.api().add_request(q, first), "the first add");
  Json second = first;
  second["userData"] = {{"label", "SECOND"}};
  ctx.ok(ctx.api().add_request(q, second), "the duplicate add");
  Json stored = ctx.ok(ctx.api().get_request(q, a.request_id), "getting the request");
  ctx.expect(stored["userData"] == first["userData"], "userData {\"label\":\"FIRST\"}",
             stored["userData"].dump());
  return Outcome::pass();
}

RQ_CHECK(
    add_missing_key,
    {.id = "rq.add.unique_key_required",
     .title = "An add without uniqueKey is refused with 400 invalid-input",
     .operation = O::kRequestsPost,
     .level = Level::kMust,
     .source =
         "decision 1: \"uniqueKey missing on add / batch add: 400 invalid-input\" (spec: required)",
     .catches = "servers that default uniqueKey to the URL",
     .breaking_bug = "UniqueKeyDefaultsToUrl",
     .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Response r = ctx.call(O::kRequestsPost, "POST", "/" + q + "/requests", {},
                        Json{{"url", "https://example.com/no-key"}}.dump());
  expect_error(ctx, r, {400}, "an add without uniqueKey");
  ctx.expect(r.error_type() == "invalid-input", "type invalid-input", r.error_type());
  return Outcome::pass();
}

RQ_CHECK(add_id_mismatch,
         {.id = "rq.add.id_must_match_unique_key",
          .title = "An add whose id does not match its uniqueKey is refused with 400",
          .operation = O::kRequestsPost,
          .level = Level::kShould,
          .source = "decision 2: \"id in an add body: accepted if it equals the id derived from "
                    "uniqueKey, else 400 request-id-invalid\"",
          .catches = "servers that store requests under an id unrelated to their uniqueKey",
          .breaking_bug = "RequestIdNotChecked",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Json body = ctx.request("with-id");
  body["id"] = "AAAAAAAAAAAAAAA";
  Response r = ctx.call(O::kRequestsPost, "POST", "/" + q + "/requests", {}, body.dump());
  expect_error(ctx, r, {400}, "an add with a wrong id");
  ctx.expect(r.error_type() == "request-id-invalid", "type request-id-invalid", r.error_type());
  // Ids are case-sensitive: the derived id with one letter's case flipped is another id.
  std::string flipped = id_of(ctx, "with-id");
  auto letter = std::find_if(flipped.begin(), flipped.end(),
                             [](unsigned char ch) { return std::isalpha(ch) != 0; });
  if (letter != flipped.end()) {
    const auto ch = static_cast<unsigned char>(*letter);
    *letter = static_cast<char>(std::islower(ch) ? std::toupper(ch) : std::tolower(ch));
    body["id"] = flipped;
    r = ctx.call(O::kRequestsPost, "POST", "/" + q + "/requests", {}, body.dump());
    expect_error(ctx, r, {400},
                 "an add whose id is the derived one in another case (" + flipped + ")");
  }
  // In a batch the wrong id is refused too: the whole batch with 400, or the item unprocessed.
  Json item = ctx.request("batch-with-id");
  item["id"] = "AAAAAAAAAAAAAAA";
  r = ctx.call(O::kRequestsBatchPost, "POST", "/" + q + "/requests/batch", {},
               Json::array({item}).dump());
  const bool refused = r.status == 400;
  const bool deferred = r.status == 201 && r.json_ok && r.json.contains("data") &&
                        r.json["data"].value("processedRequests", Json::array()).empty();
  ctx.expect(refused || deferred,
             "a batch item with a wrong id: 400, or the item in unprocessedRequests", r.summary());
  auto info = queue_info(ctx, q);
  ctx.expect(info.total_request_count == 0, "nothing stored under a wrong id", counters(info));
  return Outcome::pass();
}

RQ_CHECK(
    add_id_derived,
    {.id = "rq.add.request_id_derived",
     .title = "requestId is derived from uniqueKey (base64 SHA-256, 15 characters)",
     .operation = O::kRequestsPost,
     .level = Level::kShould,
     .source =
         "decision 19: \"request id: first 15 chars of base64(SHA-256(uniqueKey)) without +/=\"",
     .catches = "random or per-queue request ids (crawlee computes ids locally)",
     .breaking_bug = "RequestIdNotDerived"}) {
  const std::string& q = ctx.queue();
  auto r = ctx.ok(ctx.api().add_request(q, ctx.request("derived")), "adding");
  ctx.expect(r.request_id == id_of(ctx, "derived"), "requestId " + id_of(ctx, "derived"),
             r.request_id);
  return Outcome::pass();
}

RQ_CHECK(add_id_stable,
         {.id = "rq.add.request_id_stable",
          .title = "The same uniqueKey gets the same request id in two queues",
          .operation = O::kRequestsPost,
          .level = Level::kMust,
          .source = "decision 19: \"the suite checks that ids are stable per uniqueKey: must\"",
          .catches = "ids that depend on the queue or on time",
          .breaking_bug = "RequestIdNotDerived"}) {
  std::string q1 = ctx.queue(), q2 = ctx.new_queue();
  auto a = ctx.ok(ctx.api().add_request(q1, ctx.request("stable")), "adding to queue 1");
  auto b = ctx.ok(ctx.api().add_request(q2, ctx.request("stable")), "adding to queue 2");
  ctx.expect(a.request_id == b.request_id, "equal ids", a.request_id + " vs " + b.request_id);
  return Outcome::pass();
}

RQ_CHECK(add_forefront,
         {.id = "rq.add.forefront_first",
          .title = "A request added with forefront=true comes first in the head",
          .operation = O::kRequestsPost,
          .level = Level::kMust,
          .source = "decision 24: \"forefront requests first, newest forefront first\" (must: "
                    "forefront before the rest); seed: \"forefront: Determines if request should "
                    "be added to the head of the queue\"",
          .catches = "servers that ignore forefront",
          .breaking_bug = "ForefrontIgnored"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "f1");
  add(ctx, q, "f2");
  WriteOptions o;
  o.forefront = true;
  add(ctx, q, "front", o);
  auto ids = head_ids_when(ctx, q, [&](const std::vector<std::string>& got) {
    return !got.empty() && got[0] == id_of(ctx, "front");
  });
  ctx.expect(!ids.empty() && ids[0] == id_of(ctx, "front"),
             "head starts with " + id_of(ctx, "front"), join(ids));
  return Outcome::pass();
}

RQ_CHECK(
    add_bool_encodings,
    {.id = "rq.add.query_booleans",
     .title = "Query booleans accept true, false, 1 and 0",
     .operation = O::kRequestsPost,
     .level = Level::kMust,
     .source = "decision 18: \"booleans in the query: true, false, 1, 0 all accepted\"",
     .catches = "servers that accept only one client's encoding (JS sends 1/0, Python true/false)",
     .breaking_bug = "NumericBoolRejected",
     .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  int n = 0;
  for (const char* v : {"true", "false", "1", "0"}) {
    Response r = ctx.call(O::kRequestsPost, "POST", "/" + q + "/requests", {{"forefront", v}},
                          ctx.request("bool-" + std::to_string(n++)).dump());
    ctx.expect(r.status == 201, std::string("forefront=") + v + " accepted (201)", r.summary());
  }
  auto ids = head_ids_when(ctx, q, [&](const std::vector<std::string>& got) {
    return got.size() == 4 && got[0] == id_of(ctx, "bool-2");
  });
  ctx.expect(ids.size() == 4 && ids[0] == id_of(ctx, "bool-2"),
             "forefront=1 honoured (bool-2 first)", join(ids));
  return Outcome::pass();
}

RQ_CHECK(add_handled_at,
         {.id = "rq.add.handled_at_counts_handled",
          .title = "A new request added with handledAt is stored as handled",
          .operation = O::kRequestsPost,
          .level = Level::kShould,
          .source = "spec section 4 (6): \"If the request is new but the body has handledAt, it is "
                    "stored as handled and counted in handledRequestCount\"",
          .catches = "adds that drop handledAt",
          .breaking_bug = "HandledAtIgnoredOnAdd"}) {
  const std::string& q = ctx.queue();
  Json body = ctx.request("pre-handled");
  body["handledAt"] = format_iso8601(SystemClock().now_ms());
  ctx.ok(ctx.api().add_request(q, body), "adding a handled request");
  auto info = queue_info_counting(ctx, q, 1, 1);
  ctx.expect(info.handled_request_count == 1 && info.pending_request_count == 0,
             "handled 1, pending 0", counters(info));
  ctx.expect(head_ids(ctx, q).empty(), "an empty head", "the request in the head");
  return Outcome::pass();
}

RQ_CHECK(
    get_stored,
    {.id = "rq.request.get_returns_stored",
     .title = "GET request returns the stored object as given, with its id",
     .operation = O::kRequestGet,
     .level = Level::kMust,
     .source = "spec section 2: \"The server stores the object as given and returns it from GET.\"",
     .catches = "servers that drop userData, headers, payload or method",
     .breaking_bug = "UserDataDropped"}) {
  const std::string& q = ctx.queue();
  Json body = ctx.request("full");
  body["method"] = "POST";
  body["payload"] = "a=1";
  body["headers"] = {{"X-Test", "1"}};
  body["userData"] = {{"label", "DETAIL"}, {"depth", 2}};
  auto added = ctx.ok(ctx.api().add_request(q, body), "adding");
  Json got = ctx.ok(ctx.api().get_request(q, added.request_id), "getting it back");
  ctx.expect(got.value("id", "") == added.request_id, "id " + added.request_id,
             got.value("id", ""));
  for (const char* f : {"uniqueKey", "url", "method", "payload", "headers", "userData"}) {
    ctx.expect(got.contains(f) && got[f] == body[f], std::string(f) + " = " + body[f].dump(),
               got.contains(f) ? got[f].dump() : "missing");
  }
  return Outcome::pass();
}

RQ_CHECK(get_absent, {.id = "rq.request.not_found_404",
                      .title = "GET of an unknown request id answers 404 record-not-found",
                      .operation = O::kRequestGet,
                      .level = Level::kMust,
                      .source = "decision 14: \"unknown queue or request: 404 record-not-found\"",
                      .catches = "servers that answer 200 with null or 500 for a missing request",
                      .breaking_bug = "NotFoundIs500",
                      .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Response r = ctx.call(O::kRequestGet, "GET", "/" + q + "/requests/" + id_of(ctx, "absent"));
  expect_error(ctx, r, {404}, "GET of an absent request");
  ctx.expect(r.error_type() == "record-not-found", "type record-not-found", r.error_type());
  return Outcome::pass();
}

RQ_CHECK(update_handled,
         {.id = "rq.update.handled_leaves_head",
          .title = "PUT with handledAt removes the request from the head and unlocks it",
          .operation = O::kRequestPut,
          .level = Level::kMust,
          .source = kUpdateSeed,
          .catches = "handled requests that are handed out again",
          .breaking_bug = "HandledStaysInHead"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "u1");
  add(ctx, q, "u2");
  await_in_head(ctx, q, ids_of(ctx, {"u1", "u2"}));
  std::string ck = ctx.new_client_key();
  auto locked = lock_ids(ctx, q, ck, 1);
  ctx.expect(locked.size() == 1, "one locked request", join(locked));
  Json body = ctx.request("u1");
  body["id"] = id_of(ctx, "u1");
  body["handledAt"] = format_iso8601(SystemClock().now_ms());
  WriteOptions o;
  o.client_key = ck;
  ctx.ok(ctx.api().update_request(q, id_of(ctx, "u1"), body, o), "marking u1 handled");
  auto ids = head_ids(ctx, q);
  ctx.expect(!contains(ids, id_of(ctx, "u1")), "u1 not in the head", join(ids));
  ListRequestsOptions lo;
  lo.filter = {"locked"};
  auto page = ctx.ok(ctx.api().list_requests(q, lo), "listing locked requests");
  ctx.expect(page.items.empty(), "no locked request left", join(page_ids(page)));
  // forefront=true places a pending request; a handled one leaves the head all the same.
  body = ctx.request("u2");
  body["id"] = id_of(ctx, "u2");
  body["handledAt"] = format_iso8601(SystemClock().now_ms());
  WriteOptions ff;
  ff.forefront = true;
  ctx.ok(ctx.api().update_request(q, id_of(ctx, "u2"), body, ff),
         "marking u2 handled with forefront=true");
  ids = head_ids_when(ctx, q, [](const std::vector<std::string>& got) { return got.empty(); });
  ctx.expect(ids.empty(), "an empty head (u1 and u2 handled)", join(ids));
  auto info = queue_info_counting(ctx, q, 2, 2);
  ctx.expect(info.handled_request_count == 2, "handledRequestCount 2", counters(info));
  return Outcome::pass();
}

RQ_CHECK(update_was_handled,
         {.id = "rq.update.was_already_handled_before",
          .title = "PUT answers wasAlreadyHandled for the state before the update",
          .operation = O::kRequestPut,
          .level = Level::kShould,
          .source = "decision 22: \"PUT wasAlreadyHandled: the state before the update\"",
          .catches = "wasAlreadyHandled computed after the update",
          .breaking_bug = "WasAlreadyHandledAfterUpdate"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "w");
  Json body = ctx.request("w");
  body["id"] = id_of(ctx, "w");
  body["handledAt"] = format_iso8601(SystemClock().now_ms());
  auto first = ctx.ok(ctx.api().update_request(q, id_of(ctx, "w"), body), "the first PUT");
  ctx.expect(first.was_already_present && !first.was_already_handled,
             "first PUT: wasAlreadyPresent true, wasAlreadyHandled false",
             yes_no(first.was_already_present) + ", " + yes_no(first.was_already_handled));
  auto second = ctx.ok(ctx.api().update_request(q, id_of(ctx, "w"), body), "the second PUT");
  ctx.expect(second.was_already_handled, "second PUT: wasAlreadyHandled true", "false");
  return Outcome::pass();
}

RQ_CHECK(update_status, {.id = "rq.update.status_200",
                         .title = "PUT request answers 200 (not 201)",
                         .operation = O::kRequestPut,
                         .level = Level::kMust,
                         .source = "spec section 3 row 11: \"PUT .../requests/{requestId} -> 200 "
                                   "{requestId, wasAlreadyPresent, wasAlreadyHandled}\"",
                         .catches = "updates answered like adds",
                         .breaking_bug = "UpdateAnswers201",
                         .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "s");
  Json body = ctx.request("s");
  body["id"] = id_of(ctx, "s");
  Response r =
      ctx.call(O::kRequestPut, "PUT", "/" + q + "/requests/" + id_of(ctx, "s"), {}, body.dump());
  ctx.expect(r.status == 200, "status 200", r.summary());
  return Outcome::pass();
}

RQ_CHECK(
    update_upsert,
    {.id = "rq.update.upsert",
     .title = "PUT on an absent id inserts the request with wasAlreadyPresent false",
     .operation = O::kRequestPut,
     .level = Level::kShould,
     .source = "decision 4: \"PUT on an id that does not exist: upsert, wasAlreadyPresent: false\"",
     .catches = "servers that refuse the upsert that apify-sdk-python relies on",
     .breaking_bug = "UpsertRejected"}) {
  const std::string& q = ctx.queue();
  Json body = ctx.request("upsert");
  body["id"] = id_of(ctx, "upsert");
  auto r = ctx.ok(ctx.api().update_request(q, id_of(ctx, "upsert"), body), "PUT of an absent id");
  ctx.expect(!r.was_already_present, "wasAlreadyPresent false", "true");
  ctx.ok(ctx.api().get_request(q, id_of(ctx, "upsert")), "getting the upserted request");
  return Outcome::pass();
}

RQ_CHECK(update_forefront,
         {.id = "rq.update.forefront_moves_to_front",
          .title = "PUT without handledAt and forefront=true moves the request to the front",
          .operation = O::kRequestPut,
          .level = Level::kShould,
          .source = "decision 23: \"PUT without handledAt on a pending or handled request: "
                    "pending, moved to the end (front with forefront)\"",
          .catches = "reclaimed requests that keep their old position (crawlee's reclaimRequest)",
          .breaking_bug = "ForefrontIgnored"}) {
  const std::string& q = ctx.queue();
  for (const char* k : {"r1", "r2", "r3"}) add(ctx, q, k);
  Json body = ctx.request("r3");
  body["id"] = id_of(ctx, "r3");
  WriteOptions o;
  o.forefront = true;
  ctx.ok(ctx.api().update_request(q, id_of(ctx, "r3"), body, o), "reclaiming r3 to the front");
  auto ids = head_ids_when(ctx, q, [&](const std::vector<std::string>& got) {
    return !got.empty() && got[0] == id_of(ctx, "r3");
  });
  ctx.expect(!ids.empty() && ids[0] == id_of(ctx, "r3"), "r3 first", join(ids));
  return Outcome::pass();
}

RQ_CHECK(update_reclaim_end,
         {.id = "rq.update.reclaim_to_end",
          .title = "PUT without handledAt (no forefront) moves a pending request to the end",
          .operation = O::kRequestPut,
          .level = Level::kShould,
          .source = "decision 23: \"pending, moved to the end (front with forefront)\"",
          .catches = "reclaimed requests that jump the queue",
          .breaking_bug = "ReclaimGoesToFront"}) {
  const std::string& q = ctx.queue();
  for (const char* k : {"e1", "e2", "e3"}) add(ctx, q, k);
  Json body = ctx.request("e1");
  body["id"] = id_of(ctx, "e1");
  ctx.ok(ctx.api().update_request(q, id_of(ctx, "e1"), body), "reclaiming e1");
  auto ids = head_ids_eventually(ctx, q, ids_of(ctx, {"e2", "e3", "e1"}));
  ctx.expect(ids == ids_of(ctx, {"e2", "e3", "e1"}),
             "head " + join(ids_of(ctx, {"e2", "e3", "e1"})), join(ids));
  return Outcome::pass();
}

RQ_CHECK(update_path_id, {.id = "rq.update.body_id_must_match_path",
                          .title = "PUT whose body id differs from the path id is refused with 400",
                          .operation = O::kRequestPut,
                          .level = Level::kShould,
                          .source = "decision 3: \"PUT body id: optional; if given it must equal "
                                    "the path id and the derived id, else 400\"",
                          .catches = "updates that write a request under another id",
                          .breaking_bug = "PathIdNotChecked",
                          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "p");
  Json body = ctx.request("p");
  body["id"] = "BBBBBBBBBBBBBBB";
  Response r =
      ctx.call(O::kRequestPut, "PUT", "/" + q + "/requests/" + id_of(ctx, "p"), {}, body.dump());
  expect_error(ctx, r, {400}, "a PUT with a mismatching body id");
  // Path id and body id agree, but neither is the id of the body's uniqueKey.
  body = ctx.request("not-p");
  body["id"] = id_of(ctx, "p");
  r = ctx.call(O::kRequestPut, "PUT", "/" + q + "/requests/" + id_of(ctx, "p"), {}, body.dump());
  expect_error(ctx, r, {400}, "a PUT whose id is not the id of its uniqueKey");
  ctx.expect(r.error_type() == "request-id-invalid",
             "type request-id-invalid (spec section 4 (11))", r.error_type());
  auto got = ctx.ok(ctx.api().get_request(q, id_of(ctx, "p")), "getting p");
  ctx.expect(got.value("uniqueKey", "") == ctx.unique_key("p"), "p unchanged",
             got.value("uniqueKey", "?"));
  return Outcome::pass();
}

RQ_CHECK(delete_request, {.id = "rq.request.delete_204",
                          .title = "DELETE request answers 204 and the request is gone",
                          .operation = O::kRequestDelete,
                          .level = Level::kMust,
                          .source = "spec section 4 (12): \"Delete request. 204.\"",
                          .catches = "deletes that answer 200 with a body or keep the request",
                          .breaking_bug = "DeleteAnswers200",
                          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "d");
  Response r = ctx.call(O::kRequestDelete, "DELETE", "/" + q + "/requests/" + id_of(ctx, "d"));
  ctx.expect(r.status == 204 && r.exchange.response_body.empty(), "204 with no body", r.summary());
  auto got = ctx.api().get_request(q, id_of(ctx, "d"));
  ctx.expect(!got && got.error().status == 404, "GET afterwards answers 404",
             got ? "200" : Context::describe(got.error()));
  return Outcome::pass();
}

RQ_CHECK(delete_absent,
         {.id = "rq.request.delete_absent",
          .title = "DELETE of an absent request answers 204 or 404",
          .operation = O::kRequestDelete,
          .level = Level::kTolerate,
          .source = "decision 5: \"DELETE of an absent request: 204\" (tolerate: 204 or 404)",
          .catches = "servers that fail (5xx) on an idempotent delete",
          .breaking_bug = "NotFoundIs500",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Response r = ctx.call(O::kRequestDelete, "DELETE", "/" + q + "/requests/" + id_of(ctx, "never"));
  ctx.expect(r.status == 204 || (r.status == 404 && r.has_error_envelope()),
             "204, or 404 with the error envelope", r.summary());
  return Outcome::pass(r.status == 204 ? "204 (idempotent delete)" : "404 record-not-found");
}

}  // namespace
}  // namespace rqcheck::conformance
