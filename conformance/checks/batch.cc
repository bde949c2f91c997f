// Checks of batch add and batch delete (spec section 3 rows 8 and 9): the 25-item limit,
// processed/unprocessed, dedup flags, forefront, delete by id and by uniqueKey.
#include "helpers.h"

namespace rqcheck::conformance {
namespace anchors {
void batch() {}
}  // namespace anchors

namespace {
using namespace helpers;
using O = Operation;

constexpr const char* kBatchAddLimit =
    "batch-add-requests.txt: \"The maximum requests in batch is limit to 25.\"; decision 6";
constexpr const char* kBatchDeleteBy =
    "batch-delete-requests.txt: \"Each request is identified by its ID or uniqueKey parameter. You "
    "can use either of them to identify the request.\"";

Json items(Context& ctx, const std::string& prefix, int n) {
  Json a = Json::array();
  for (int i = 0; i < n; ++i) a.push_back(ctx.request(prefix + std::to_string(i)));
  return a;
}

RQ_CHECK(batch_add_max,
         {.id = "rq.batch_add.max_25",
          .title = "A batch add of 26 requests is refused with 400 and stores nothing",
          .operation = O::kRequestsBatchPost,
          .level = Level::kMust,
          .source = kBatchAddLimit,
          .catches = "servers that accept oversized batches",
          .breaking_bug = "BatchLimitNotEnforced",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Response r = ctx.call(O::kRequestsBatchPost, "POST", "/" + q + "/requests/batch", {},
                        items(ctx, "big", 26).dump());
  expect_error(ctx, r, {400}, "a batch of 26");
  auto info = queue_info(ctx, q);
  ctx.expect(info.total_request_count == 0, "nothing stored", counters(info));
  return Outcome::pass();
}

RQ_CHECK(batch_add_25_ok, {.id = "rq.batch_add.accepts_25",
                           .title = "A batch add of exactly 25 requests is processed",
                           .operation = O::kRequestsBatchPost,
                           .level = Level::kMust,
                           .source = kBatchAddLimit,
                           .catches = "an off-by-one limit",
                           .breaking_bug = "BatchLimitOffByOne"}) {
  const std::string& q = ctx.queue();
  std::vector<Json> v;
  for (const auto& j : items(ctx, "ok", 25)) v.push_back(j);
  auto r = batch_add(ctx, q, v);
  ctx.expect(r.processed.size() + r.unprocessed.size() == 25, "25 items accounted for",
             std::to_string(r.processed.size() + r.unprocessed.size()));
  return Outcome::pass();
}

RQ_CHECK(
    batch_add_empty,
    {.id = "rq.batch_add.empty_400",
     .title = "An empty batch add is refused with 400",
     .operation = O::kRequestsBatchPost,
     .level = Level::kMust,
     .source = "decision 6: \"batch of more than 25 items, or an empty batch: 400 invalid-input\"",
     .catches = "servers that answer 201 to an empty array",
     .breaking_bug = "EmptyBatchAccepted",
     .needs = kNeedRawHttp}) {
  Response r =
      ctx.call(O::kRequestsBatchPost, "POST", "/" + ctx.queue() + "/requests/batch", {}, "[]");
  expect_error(ctx, r, {400}, "an empty batch");
  return Outcome::pass();
}

RQ_CHECK(
    batch_delete_empty,
    {.id = "rq.batch_delete.empty_400",
     .title = "An empty batch delete is refused with 400",
     .operation = O::kRequestsBatchDelete,
     .level = Level::kMust,
     .source = "decision 6: \"batch of more than 25 items, or an empty batch: 400 invalid-input\"",
     .catches = "servers that answer 200 with two empty lists to an empty array",
     .breaking_bug = "EmptyBatchAccepted",
     .needs = kNeedRawHttp}) {
  Response r =
      ctx.call(O::kRequestsBatchDelete, "DELETE", "/" + ctx.queue() + "/requests/batch", {}, "[]");
  expect_error(ctx, r, {400}, "an empty batch delete");
  return Outcome::pass();
}

RQ_CHECK(batch_add_type,
         {.id = "rq.batch_add.limit_error_type",
          .title = "An oversized batch add is refused with type invalid-input",
          .operation = O::kRequestsBatchPost,
          .level = Level::kShould,
          .source = "decision 6: \"400 invalid-input, nothing stored\" (the type is should)",
          .catches = "other error types for an oversized batch",
          .breaking_bug = "BatchErrorTypeWrong",
          .needs = kNeedRawHttp}) {
  Response r = ctx.call(O::kRequestsBatchPost, "POST", "/" + ctx.queue() + "/requests/batch", {},
                        items(ctx, "big", 26).dump());
  expect_error(ctx, r, {400}, "a batch of 26");
  ctx.expect(r.error_type() == "invalid-input", "type invalid-input", r.error_type());
  return Outcome::pass();
}

RQ_CHECK(
    batch_add_dedup,
    {.id = "rq.batch_add.dedup_existing",
     .title =
         "Batch add returns the existing id of a present uniqueKey with wasAlreadyPresent true",
     .operation = O::kRequestsBatchPost,
     .level = Level::kMust,
     .source = "batch-add-requests.txt: \"If a request with the same uniqueKey was already present "
               "in the queue, then it returns an ID of the existing request.\"",
     .catches = "batch adds that store duplicates",
     .breaking_bug = "IgnoreUniqueKey"}) {
  const std::string& q = ctx.queue();
  std::string existing = add(ctx, q, "old");
  auto r = batch_add(ctx, q, {ctx.request("old"), ctx.request("new")});
  ctx.expect(r.processed.size() == 2, "2 processed", std::to_string(r.processed.size()));
  for (const auto& p : r.processed) {
    if (p.unique_key == ctx.unique_key("old")) {
      ctx.expect(p.request_id == existing && p.was_already_present,
                 "old: id " + existing + ", wasAlreadyPresent true",
                 p.request_id + ", " + yes_no(p.was_already_present));
    } else {
      ctx.expect(p.unique_key == ctx.unique_key("new") && !p.was_already_present,
                 "new: wasAlreadyPresent false, uniqueKey echoed",
                 p.unique_key + ", " + yes_no(p.was_already_present));
    }
  }
  return Outcome::pass();
}

RQ_CHECK(
    batch_add_handled,
    {.id = "rq.batch_add.was_already_handled",
     .title = "Batch add reports wasAlreadyHandled true for a handled request",
     .operation = O::kRequestsBatchPost,
     .level = Level::kMust,
     .source =
         "decision 21: \"wasAlreadyHandled = its state\"; batch-add-requests.txt processedRequests",
     .catches = "wasAlreadyHandled that is always false",
     .breaking_bug = "WasAlreadyHandledAlwaysFalse"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "done");
  mark_handled(ctx, q, "done");
  auto r = batch_add(ctx, q, {ctx.request("done")});
  ctx.expect(
      r.processed.size() == 1 && r.processed[0].was_already_handled,
      "processed[0].wasAlreadyHandled true",
      r.processed.empty() ? "no processed item" : yes_no(r.processed[0].was_already_handled));
  return Outcome::pass();
}

RQ_CHECK(batch_add_dup_keys, {.id = "rq.batch_add.duplicate_keys_400",
                              .title = "Duplicate uniqueKeys inside one batch are refused with 400",
                              .operation = O::kRequestsBatchPost,
                              .level = Level::kShould,
                              .source = "decision 7: \"duplicate uniqueKeys inside one batch add: "
                                        "400 request-queue-duplicate-requests, nothing stored\"",
                              .catches = "servers that silently merge duplicates of one batch",
                              .breaking_bug = "DuplicateKeysInBatchAccepted",
                              .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Json body = Json::array({ctx.request("twice"), ctx.request("twice")});
  Response r =
      ctx.call(O::kRequestsBatchPost, "POST", "/" + q + "/requests/batch", {}, body.dump());
  expect_error(ctx, r, {400}, "a batch with a duplicate uniqueKey");
  ctx.expect(r.error_type() == "request-queue-duplicate-requests",
             "type request-queue-duplicate-requests", r.error_type());
  // The duplicates apart, with another request between them: any two items of the batch count.
  body = Json::array({ctx.request("apart"), ctx.request("between"), ctx.request("apart")});
  r = ctx.call(O::kRequestsBatchPost, "POST", "/" + q + "/requests/batch", {}, body.dump());
  expect_error(ctx, r, {400}, "a batch [apart, between, apart]");
  auto info = queue_info(ctx, q);
  ctx.expect(info.total_request_count == 0, "nothing stored by the refused batches",
             counters(info));
  return Outcome::pass();
}

RQ_CHECK(batch_add_accounted,
         {.id = "rq.batch_add.every_item_accounted",
          .title = "Every batch item comes back in processedRequests or unprocessedRequests",
          .operation = O::kRequestsBatchPost,
          .level = Level::kMust,
          .source = "batch-add-requests.txt: \"If any add operation fails because the request "
                    "queue rate limit is exceeded or an internal failure occurs, the failed "
                    "request is returned in the unprocessedRequests response parameter.\"",
          .catches = "batch adds that lose items without reporting them unprocessed",
          .breaking_bug = "BatchDropsItems"}) {
  const std::string& q = ctx.queue();
  std::vector<Json> v;
  for (const auto& j : items(ctx, "acc", 5)) v.push_back(j);
  auto r = ctx.ok(ctx.api().batch_add_requests(q, v), "the batch add");
  std::vector<std::string> seen;
  for (const auto& p : r.processed) seen.push_back(p.unique_key);
  for (const auto& u : r.unprocessed) seen.push_back(u.unique_key);
  std::vector<std::string> want;
  for (const auto& j : v) want.push_back(j["uniqueKey"].get<std::string>());
  ctx.expect(sorted(seen) == sorted(want), "processed + unprocessed = the 5 uniqueKeys sent",
             join(seen));
  return Outcome::pass();
}

RQ_CHECK(batch_add_forefront,
         {.id = "rq.batch_add.forefront",
          .title = "Batch add with forefront=true puts the requests before the others",
          .operation = O::kRequestsBatchPost,
          .level = Level::kMust,
          .source = "batch-add-requests.txt: \"forefront: Determines if request should be added to "
                    "the head of the queue or to the end.\"",
          .catches = "batch adds that ignore forefront",
          .breaking_bug = "ForefrontIgnored"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "back");
  WriteOptions o;
  o.forefront = true;
  batch_add(ctx, q, {ctx.request("ff")}, o);
  auto ids = head_ids_eventually(ctx, q, ids_of(ctx, {"ff", "back"}));
  ctx.expect(!ids.empty() && ids[0] == id_of(ctx, "ff"), "ff first", join(ids));
  return Outcome::pass();
}

RQ_CHECK(batch_delete_by_id, {.id = "rq.batch_delete.by_id",
                              .title = "Batch delete by id answers 200 and removes the request",
                              .operation = O::kRequestsBatchDelete,
                              .level = Level::kMust,
                              .source = kBatchDeleteBy,
                              .catches = "batch deletes that ignore ids",
                              .breaking_bug = "BatchDeleteByIdIgnored"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "x1");
  add(ctx, q, "x2");
  auto r = batch_delete(ctx, q, {Json{{"id", id_of(ctx, "x1")}}});
  ctx.expect(r.processed.size() == 1, "1 processed", std::to_string(r.processed.size()));
  auto got = ctx.api().get_request(q, id_of(ctx, "x1"));
  ctx.expect(!got, "x1 is gone (404)", "x1 still stored");
  ctx.ok(ctx.api().get_request(q, id_of(ctx, "x2")), "x2 still there");
  return Outcome::pass();
}

RQ_CHECK(batch_delete_by_key, {.id = "rq.batch_delete.by_unique_key",
                               .title = "Batch delete by uniqueKey removes the request",
                               .operation = O::kRequestsBatchDelete,
                               .level = Level::kMust,
                               .source = kBatchDeleteBy,
                               .catches = "batch deletes that only understand ids",
                               .breaking_bug = "BatchDeleteByUniqueKeyIgnored"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "k1");
  batch_delete(ctx, q, {Json{{"uniqueKey", ctx.unique_key("k1")}}});
  auto got = ctx.api().get_request(q, id_of(ctx, "k1"));
  ctx.expect(!got, "k1 is gone (404)", "k1 still stored");
  auto info = queue_info_counting(ctx, q, 0, 0);
  ctx.expect(info.total_request_count == 0, "totalRequestCount 0", counters(info));
  return Outcome::pass();
}

RQ_CHECK(batch_delete_status,
         {.id = "rq.batch_delete.status_200",
          .title = "Batch delete answers 200 with processedRequests and unprocessedRequests",
          .operation = O::kRequestsBatchDelete,
          .level = Level::kMust,
          .source = "batch-delete-requests.txt: \"Status 200\"; spec section 4 (9): \"Status 200 "
                    "(not 204/201)\"",
          .catches = "batch deletes answered with 204 or 201",
          .breaking_bug = "BatchDeleteAnswers204",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "s1");
  Response r = ctx.call(O::kRequestsBatchDelete, "DELETE", "/" + q + "/requests/batch", {},
                        Json::array({Json{{"id", id_of(ctx, "s1")}}}).dump());
  ctx.expect(r.status == 200, "status 200", r.summary());
  ctx.expect(r.json_ok && r.json["data"].contains("processedRequests") &&
                 r.json["data"].contains("unprocessedRequests"),
             "data.processedRequests and data.unprocessedRequests", r.summary());
  return Outcome::pass();
}

RQ_CHECK(
    batch_delete_max,
    {.id = "rq.batch_delete.max_25",
     .title = "A batch delete of 26 items is refused with 400",
     .operation = O::kRequestsBatchDelete,
     .level = Level::kMust,
     .source = "batch-delete-requests.txt: \"The number of requests in a batch is limited to 25.\"",
     .catches = "servers that accept oversized delete batches",
     .breaking_bug = "BatchLimitNotEnforced",
     .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "m0");
  Json body = Json::array();
  for (int i = 0; i < 26; ++i)
    body.push_back(Json{{"uniqueKey", ctx.unique_key("m" + std::to_string(i))}});
  Response r =
      ctx.call(O::kRequestsBatchDelete, "DELETE", "/" + q + "/requests/batch", {}, body.dump());
  expect_error(ctx, r, {400}, "a delete batch of 26");
  auto left = queue_info_counting(ctx, q, 1, 0);
  ctx.expect(left.total_request_count == 1, "m0 still stored", counters(left));
  return Outcome::pass();
}

RQ_CHECK(batch_delete_absent,
         {.id = "rq.batch_delete.absent_items",
          .title = "Batch delete of absent items answers 200 (processed or unprocessed)",
          .operation = O::kRequestsBatchDelete,
          .level = Level::kTolerate,
          .source = "decision 5: \"batch delete of absent items: absent items count as processed\" "
                    "(tolerate: processed or unprocessed)",
          .catches = "batch deletes that fail as a whole because one item is absent",
          .breaking_bug = "NotFoundIs500"}) {
  const std::string& q = ctx.queue();
  auto r = ctx.ok(ctx.api().batch_delete_requests(q, {Json{{"id", id_of(ctx, "ghost")}}}),
                  "batch delete of an absent id");
  ctx.expect(r.processed.size() + r.unprocessed.size() == 1, "the item in one of the two lists",
             std::to_string(r.processed.size() + r.unprocessed.size()) + " items");
  return Outcome::pass(r.processed.size() == 1 ? "absent items count as processed"
                                               : "absent items come back unprocessed");
}

}  // namespace
}  // namespace rqcheck::conformance
