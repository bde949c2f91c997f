// Checks of list requests (spec section 3 row 7): limit, cursor/nextCursor, filter,
// exclusiveStartId, defaults and the maximum.
#include <algorithm>

#include "helpers.h"

namespace rqcheck::conformance {
namespace anchors {
void list() {}
}  // namespace anchors

namespace {
using namespace helpers;
using O = Operation;

constexpr const char* kCursorSeed =
    "list-requests.txt: \"cursor: A cursor string for pagination, returned in the previous "
    "response "
    "as nextCursor.\"; decision 31";
constexpr const char* kFilterSeed =
    "list-requests.txt: \"filter: Filter requests by their state. Possible values are locked and "
    "pending.\"";

void fill(Context& ctx, const std::string& q, const std::string& prefix, int n) {
  std::vector<Json> v;
  for (int i = 0; i < n; ++i) v.push_back(ctx.request(prefix + std::to_string(i)));
  auto r = batch_add(ctx, q, v, {}, /*fresh=*/true);
  ctx.expect(r.unprocessed.empty(), "all " + std::to_string(n) + " processed (after retries)",
             std::to_string(r.unprocessed.size()) + " still unprocessed");
}

// Walks the list with `limit`; fails after 100 pages.
std::vector<std::string> walk(Context& ctx, const std::string& q, std::int64_t limit,
                              std::vector<std::string> filter = {}) {
  std::vector<std::string> seen;
  ListRequestsOptions o;
  o.limit = limit;
  o.filter = std::move(filter);
  for (int page = 0; page < 100; ++page) {
    auto p = ctx.ok(ctx.api().list_requests(q, o), "listing page " + std::to_string(page + 1));
    for (auto& id : page_ids(p)) seen.push_back(id);
    if (!p.next_cursor) return seen;
    o.cursor = p.next_cursor;
  }
  ctx.fail_with("the walk ends", "100 pages and still a nextCursor");
}

RQ_CHECK(
    list_limit,
    {.id = "rq.list.limit",
     .title = "List requests returns at most limit items and a nextCursor when it stopped on limit",
     .operation = O::kRequestsGet,
     .level = Level::kMust,
     .source =
         "list-requests.txt: \"This endpoint is paginated using cursor ... and limit parameters.\"",
     .catches = "servers that ignore limit",
     .breaking_bug = "ListLimitIgnored"}) {
  const std::string& q = ctx.queue();
  fill(ctx, q, "l", 5);
  ListRequestsOptions o;
  o.limit = 2;
  auto p = ctx.ok(ctx.api().list_requests(q, o), "listing with limit=2");
  ctx.expect(p.items.size() == 2, "2 items", std::to_string(p.items.size()));
  ctx.expect(p.next_cursor.has_value(), "a nextCursor", "none");
  // Any limit up to the maximum (10000) is taken as asked; the page shows the value used.
  o.limit = 5000;
  auto big = ctx.ok(ctx.api().list_requests(q, o), "listing with limit=5000");
  ctx.expect(big.limit == 5000 && big.items.size() == 5 && !big.next_cursor,
             "limit=5000: limit 5000, the 5 items, no nextCursor",
             "limit " + std::to_string(big.limit) + ", " + std::to_string(big.items.size()) +
                 " items" + (big.next_cursor ? ", a nextCursor" : ""));
  return Outcome::pass();
}

RQ_CHECK(list_walk, {.id = "rq.list.cursor_walk_complete",
                     .title = "Following nextCursor lists every request exactly once and ends",
                     .operation = O::kRequestsGet,
                     .level = Level::kMust,
                     .source = kCursorSeed,
                     .catches = "cursors that skip or repeat items",
                     .breaking_bug = "CursorSkipsItem"}) {
  const std::string& q = ctx.queue();
  fill(ctx, q, "w", 7);
  auto seen = walk(ctx, q, 2);
  std::vector<std::string> want;
  for (int i = 0; i < 7; ++i) want.push_back(id_of(ctx, "w" + std::to_string(i)));
  ctx.expect(sorted(seen) == sorted(want), "each of the 7 ids exactly once", join(seen));
  return Outcome::pass();
}

RQ_CHECK(list_last_page, {.id = "rq.list.no_next_cursor_at_end",
                          .title = "A page that did not stop on limit has no nextCursor",
                          .operation = O::kRequestsGet,
                          .level = Level::kShould,
                          .source = "decision 31: \"nextCursor present exactly when the page "
                                    "stopped on limit\"; spec section 6.5",
                          .catches = "a nextCursor on the last page (the Python client then loops)",
                          .breaking_bug = "NextCursorOnLastPage"}) {
  const std::string& q = ctx.queue();
  fill(ctx, q, "n", 3);
  ListRequestsOptions o;
  o.limit = 10;
  auto p = ctx.ok(ctx.api().list_requests(q, o), "listing with limit=10");
  ctx.expect(p.items.size() == 3, "3 items", std::to_string(p.items.size()));
  ctx.expect(!p.next_cursor.has_value(), "no nextCursor", p.next_cursor.value_or(""));
  return Outcome::pass();
}

RQ_CHECK(list_exclusive_start,
         {.id = "rq.list.exclusive_start_id",
          .title = "exclusiveStartId skips every request up to and including that id",
          .operation = O::kRequestsGet,
          .level = Level::kShould,
          .source = "list-requests.txt: \"exclusiveStartId: All requests up to this one "
                    "(including) are skipped from the result.\"; decision 33",
          .catches = "servers that ignore the deprecated exclusiveStartId",
          .breaking_bug = "ExclusiveStartIdIgnored"}) {
  const std::string& q = ctx.queue();
  fill(ctx, q, "x", 4);
  auto all = walk(ctx, q, 100);
  ctx.expect(all.size() == 4, "4 requests", join(all));
  ListRequestsOptions o;
  o.exclusive_start_id = all[1];
  auto p = ctx.ok(ctx.api().list_requests(q, o), "listing after " + all[1]);
  auto ids = page_ids(p);
  std::vector<std::string> want(all.begin() + 2, all.end());
  ctx.expect(ids == want, "items " + join(want), join(ids));
  return Outcome::pass();
}

RQ_CHECK(list_exclusive_start_combined,
         {.id = "rq.list.exclusive_start_id_combined",
          .title = "exclusiveStartId with cursor or filter is refused with 400, or honoured",
          .operation = O::kRequestsGet,
          .level = Level::kTolerate,
          .source = "decision 33: \"exclusiveStartId ... together with cursor or filter: 400 "
                    "invalid-parameter\" (tolerate)",
          .catches = "servers that drop every position parameter when they meet the combination "
                     "and list from the start",
          .breaking_bug = "ExclusiveStartIdComboListsFromStart"}) {
  const std::string& q = ctx.queue();
  fill(ctx, q, "c", 3);
  auto all = walk(ctx, q, 100);
  ctx.expect(all.size() == 3, "3 requests", join(all));
  // The last by id is handled: a filter=pending that is honoured leaves it out.
  for (int i = 0; i < 3; ++i) {
    if (id_of(ctx, "c" + std::to_string(i)) == all[2])
      mark_handled(ctx, q, "c" + std::to_string(i));
  }
  ListRequestsOptions first;
  first.limit = 1;
  auto p1 = ctx.ok(ctx.api().list_requests(q, first), "listing with limit=1");
  ctx.expect(p1.next_cursor.has_value(), "a nextCursor after the first of 3", "none");
  std::vector<std::string> answers;
  // Both position parameters point past all[0]; a filter of pending keeps all three.
  for (int variant = 0; variant < 2; ++variant) {
    ListRequestsOptions o;
    o.exclusive_start_id = all[0];
    std::string what;
    if (variant == 0) {
      o.cursor = p1.next_cursor;
      what = "exclusiveStartId with cursor";
    } else {
      o.filter = {"pending"};
      what = "exclusiveStartId with filter=pending";
    }
    auto p = ctx.api().list_requests(q, o);
    if (!p) {
      ctx.expect(p.error().status == 400, what + ": 400, or a page after " + all[0],
                 Context::describe(p.error()));
      answers.push_back(what + ": 400 " + p.error().type);
      continue;
    }
    auto ids = page_ids(*p);
    ctx.expect(std::find(ids.begin(), ids.end(), all[0]) == ids.end(),
               what + ": a page without " + all[0] + " (it was excluded), or 400", join(ids));
    if (variant == 1) {
      ctx.expect(ids == std::vector<std::string>{all[1]},
                 what + ": [" + all[1] + "] (after " + all[0] + ", pending), or 400", join(ids));
    }
    answers.push_back(what + ": 200 honoured");
  }
  std::string summary;
  for (const auto& a : answers) summary += (summary.empty() ? "" : "; ") + a;
  return Outcome::pass(summary);
}

RQ_CHECK(
    list_count,
    {.id = "rq.list.count_field",
     .title = "A list page sends no count, or one equal to the number of items",
     .operation = O::kRequestsGet,
     .level = Level::kTolerate,
     .source = "decision 34: \"count in list responses: not sent\" (tolerate); ListOfRequests in "
               "the spec has no count",
     .catches = "a count that disagrees with the items (clients that trust it stop early or loop)",
     .breaking_bug = "ListCountWrong",
     .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  fill(ctx, q, "n", 3);
  // A last page shorter than limit: a count that echoes limit shows.
  Response r = ctx.call(O::kRequestsGet, "GET", "/" + q + "/requests?limit=5");
  ctx.expect(r.status == 200 && r.json_ok, "200 with a JSON page", r.summary());
  const Json& data = r.json["data"];
  ctx.expect(data.is_object() && data["items"].is_array(), "data.items", r.summary());
  if (!data.contains("count")) return Outcome::pass("no count (as the fake)");
  ctx.expect(data["count"].is_number_integer() && data["count"] == data["items"].size(),
             "count equal to the " + std::to_string(data["items"].size()) + " items",
             data["count"].dump());
  return Outcome::pass("count sent and equal to the items");
}

// Three requests: one locked, one pending, one handled.
void three_states(Context& ctx, const std::string& q) {
  fill(ctx, q, "s", 3);  // s0 s1 s2 in queue order
  mark_handled(ctx, q, "s2");
  await_in_head(ctx, q, ids_of(ctx, {"s0"}));
  auto locked = lock_ids(ctx, q, ctx.new_client_key(), 1);
  ctx.expect(locked == ids_of(ctx, {"s0"}), "s0 locked", join(locked));
}

RQ_CHECK(list_filter_pending,
         {.id = "rq.list.filter_pending",
          .title = "filter=pending lists only pending (unhandled, unlocked) requests",
          .operation = O::kRequestsGet,
          .level = Level::kMust,
          .source = kFilterSeed,
          .catches = "servers that ignore filter",
          .breaking_bug = "FilterIgnored"}) {
  const std::string& q = ctx.queue();
  three_states(ctx, q);
  auto ids = walk(ctx, q, 100, {"pending"});
  ctx.expect(ids == ids_of(ctx, {"s1"}), "only s1 " + id_of(ctx, "s1"), join(ids));
  return Outcome::pass();
}

RQ_CHECK(list_filter_locked, {.id = "rq.list.filter_locked",
                              .title = "filter=locked lists only locked requests",
                              .operation = O::kRequestsGet,
                              .level = Level::kMust,
                              .source = kFilterSeed,
                              .catches = "servers that ignore filter=locked",
                              .breaking_bug = "FilterIgnored"}) {
  const std::string& q = ctx.queue();
  three_states(ctx, q);
  auto ids = walk(ctx, q, 100, {"locked"});
  ctx.expect(ids == ids_of(ctx, {"s0"}), "only s0 " + id_of(ctx, "s0"), join(ids));
  return Outcome::pass();
}

RQ_CHECK(list_filter_union,
         {.id = "rq.list.filter_union",
          .title = "filter=locked,pending lists the union and leaves out handled requests",
          .operation = O::kRequestsGet,
          .level = Level::kMust,
          .source = "decision 32: \"filter=locked,pending: union of the states\"",
          .catches = "filters that intersect the states or only read the first",
          .breaking_bug = "FilterFirstOnly"}) {
  const std::string& q = ctx.queue();
  three_states(ctx, q);
  auto ids = walk(ctx, q, 100, {"locked", "pending"});
  ctx.expect(sorted(ids) == sorted(ids_of(ctx, {"s0", "s1"})), "s0 and s1", join(ids));
  return Outcome::pass();
}

RQ_CHECK(list_default_limit,
         {.id = "rq.list.default_limits",
          .title = "Default limits: list 1000, head 100, head/lock 25",
          .operation = O::kRequestsGet,
          .level = Level::kShould,
          .source = "decision 11: \"default limit: list requests 1000, head 100, head/lock 25\"",
          .catches = "other defaults (clients that rely on them fetch too few)",
          .breaking_bug = "WrongDefaultLimits"}) {
  const std::string& q = ctx.queue();
  auto p = ctx.ok(ctx.api().list_requests(q), "listing without limit");
  ctx.expect(p.limit == 1000, "list limit 1000", std::to_string(p.limit));
  auto h = ctx.ok(ctx.api().list_head(q), "head without limit");
  ctx.expect(h.limit == 100, "head limit 100", std::to_string(h.limit));
  LockHeadOptions lo;
  lo.client_key = ctx.new_client_key();
  auto l = ctx.ok(ctx.api().list_and_lock_head(q, lo), "head/lock without limit");
  ctx.expect(l.limit == 25, "head/lock limit 25", std::to_string(l.limit));
  return Outcome::pass();
}

RQ_CHECK(
    list_over_max,
    {.id = "rq.list.limit_over_max",
     .title = "List limit above 10000 is clamped (limit shows the value used) or refused with 400",
     .operation = O::kRequestsGet,
     .level = Level::kTolerate,
     .source = "decision 10: \"list limit above 10000 ... clamped to the maximum; the response "
               "limit shows the value used\" (tolerate: clamp or 400)",
     .catches = "servers that echo a limit they do not apply",
     .breaking_bug = "LimitNotClamped"}) {
  const std::string& q = ctx.queue();
  ListRequestsOptions o;
  o.limit = 20000;
  auto p = ctx.api().list_requests(q, o);
  if (!p) {
    ctx.expect(p.error().status == 400, "200 with limit <= 10000, or 400",
               Context::describe(p.error()));
    return Outcome::pass("400 for limit=20000");
  }
  ctx.expect(p->limit <= 10000, "the response limit <= 10000", std::to_string(p->limit));
  return Outcome::pass("clamped to " + std::to_string(p->limit));
}

}  // namespace
}  // namespace rqcheck::conformance
