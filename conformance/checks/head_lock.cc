// Checks of the head and the locks (spec section 3 rows 13-17): order, locked requests,
// hadMultipleClients, head/lock, prolong, delete lock, unlock.
#include <chrono>
#include <cstdlib>
#include <thread>

#include "helpers.h"

namespace rqcheck::conformance {
namespace anchors {
void head_lock() {}
}  // namespace anchors

namespace {
using namespace helpers;
using O = Operation;

TimeMs now_ms() { return SystemClock().now_ms(); }

RQ_CHECK(head_order,
         {.id = "rq.head.queue_order",
          .title = "The head lists pending requests in queue order (FIFO; forefront newest first)",
          .operation = O::kHeadGet,
          .level = Level::kShould,
          .source = "decision 24: \"forefront requests first, newest forefront first; the others "
                    "first in, first out\" (should: exact order)",
          .catches = "heads in the wrong order (breadth-first and depth-first crawls break)",
          .breaking_bug = "HeadOrderReversed"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "a");
  // A request that failed before (retryCount 2) is pending like any other.
  Json retried = ctx.request("b");
  retried["retryCount"] = 2;
  ctx.ok(ctx.api().add_request(q, retried), "adding b with retryCount 2");
  WriteOptions f;
  f.forefront = true;
  add(ctx, q, "f1", f);
  add(ctx, q, "f2", f);
  auto want = ids_of(ctx, {"f2", "f1", "a", "b"});
  auto ids = head_ids_eventually(ctx, q, want);
  ctx.expect(ids == want, "head " + join(want), join(ids));
  return Outcome::pass();
}

RQ_CHECK(
    head_hides_locked,
    {.id = "rq.head.excludes_locked",
     .title = "GET head does not list requests locked by another client",
     .operation = O::kHeadGet,
     .level = Level::kShould,
     .source = "decision 25: \"GET head: pending requests not locked by anyone, in queue order\"",
     .catches = "heads that show locked requests",
     .breaking_bug = "HeadShowsLocked"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "l1");
  add(ctx, q, "l2");
  await_in_head(ctx, q, ids_of(ctx, {"l1", "l2"}));
  lock_ids(ctx, q, ctx.new_client_key(), 1);
  auto ids = head_ids_eventually(ctx, q, ids_of(ctx, {"l2"}), std::nullopt, ctx.new_client_key());
  ctx.expect(ids == ids_of(ctx, {"l2"}), "only l2", join(ids));
  return Outcome::pass();
}

RQ_CHECK(head_multiple_clients,
         {.id = "rq.head.had_multiple_clients",
          .title = "hadMultipleClients turns true once a second clientKey touched the queue",
          .operation = O::kHeadGet,
          .level = Level::kShould,
          .source = "decision 30: \"hadMultipleClients: true once two different clients touched "
                    "the queue\"; seed clientKey description",
          .catches = "a flag that never changes (crawlee uses it to trust the head)",
          .breaking_bug = "HadMultipleClientsNeverSet"}) {
  const std::string& q = ctx.queue();
  WriteOptions a;
  a.client_key = "rqc-client-a";
  ctx.ok(ctx.api().add_request(q, ctx.request("m1"), a), "adding as client a");
  HeadOptions h;
  h.client_key = "rqc-client-a";
  auto first = ctx.ok(ctx.api().list_head(q, h), "head as client a");
  ctx.expect(!first.had_multiple_clients, "false after one client", "true");
  WriteOptions b;
  b.client_key = "rqc-client-b";
  ctx.ok(ctx.api().add_request(q, ctx.request("m2"), b), "adding as client b");
  auto second = ctx.ok(ctx.api().list_head(q, h), "head as client a again");
  ctx.expect(second.had_multiple_clients, "true after a second client", "false");
  return Outcome::pass();
}

RQ_CHECK(lock_fields,
         {.id = "rq.lock.head_lock_201",
          .title = "head/lock answers 201 with lockSecs and lockExpiresAt of about now + lockSecs",
          .operation = O::kHeadLockPost,
          .level = Level::kMust,
          .source = "spec section 4 (14): \"returns 201 ... lockSecs (int) ... Each item's "
                    "lockExpiresAt = now + lockSecs\"",
          .catches = "wrong status or lock expiries",
          .breaking_bug = "LockExpiryWrong",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "k");
  await_in_head(ctx, q, ids_of(ctx, {"k"}));
  TimeMs before = now_ms();
  Response r = ctx.call(O::kHeadLockPost, "POST", "/" + q + "/head/lock",
                        {{"lockSecs", "120"}, {"limit", "1"}, {"clientKey", ctx.new_client_key()}});
  ctx.expect(r.status == 201, "status 201", r.summary());
  const Json& d = r.json["data"];
  ctx.expect(d.value("lockSecs", -1) == 120, "lockSecs 120", d.value("lockSecs", Json()).dump());
  ctx.expect(d["items"].is_array() && d["items"].size() == 1, "one item", d["items"].dump());
  auto exp = parse_iso8601(d["items"][0].value("lockExpiresAt", ""));
  ctx.expect(exp && std::llabs(*exp - (before + 120000)) < 30000,
             "lockExpiresAt within 30 s of now + 120 s",
             d["items"][0].value("lockExpiresAt", "none"));
  return Outcome::pass();
}

RQ_CHECK(lock_exclusive,
         {.id = "rq.lock.exclusive",
          .title = "A locked request is not handed to another client (nor again to its holder)",
          .operation = O::kHeadLockPost,
          .level = Level::kMust,
          .source = "decision 26: \"head/lock by a client that already holds locks: does not hand "
                    "out a request twice while locked\"",
          .catches = "locks that are not exclusive (two workers process one request)",
          .breaking_bug = "LockNotExclusive"}) {
  const std::string& q = ctx.queue();
  for (const char* k : {"x1", "x2", "x3"}) add(ctx, q, k);
  await_in_head(ctx, q, ids_of(ctx, {"x1", "x2", "x3"}));
  std::string a = ctx.new_client_key(), b = ctx.new_client_key();
  auto la = lock_ids(ctx, q, a, 2);
  auto lb = lock_ids(ctx, q, b, 25);
  auto la2 = lock_ids(ctx, q, a, 25);
  ctx.expect(la == ids_of(ctx, {"x1", "x2"}), "client a gets x1, x2", join(la));
  ctx.expect(lb == ids_of(ctx, {"x3"}), "client b gets only x3", join(lb));
  ctx.expect(la2.empty(), "client a then gets nothing", join(la2));
  return Outcome::pass();
}

RQ_CHECK(lock_secs_required, {.id = "rq.lock.lock_secs_required",
                              .title = "head/lock without a valid lockSecs is refused with 400",
                              .operation = O::kHeadLockPost,
                              .level = Level::kMust,
                              .source = "decision 9: \"lockSecs missing, negative or not a number: "
                                        "400 invalid-parameter\" (must: status)",
                              .catches = "servers that default lockSecs",
                              .breaking_bug = "LockSecsDefaulted",
                              .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "r");
  std::vector<std::vector<std::pair<std::string, std::string>>> cases = {
      {}, {{"lockSecs", "-5"}}, {{"lockSecs", "abc"}}};
  for (const auto& query : cases) {
    Response r = ctx.call(O::kHeadLockPost, "POST", "/" + q + "/head/lock", query);
    expect_error(
        ctx, r, {400},
        "head/lock with lockSecs " + (query.empty() ? std::string("missing") : query[0].second));
  }
  return Outcome::pass();
}

RQ_CHECK(lock_has_locked, {.id = "rq.lock.queue_has_locked_requests",
                           .title = "queueHasLockedRequests is true while requests are locked",
                           .operation = O::kHeadLockPost,
                           .level = Level::kShould,
                           .source = "spec section 4 (14): \"queueHasLockedRequests says whether "
                                     "any client holds locks in the queue; crawlee v2 uses it\"",
                           .catches = "a flag that lets crawlee finish a queue early",
                           .breaking_bug = "QueueHasLockedAlwaysFalse"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "o");
  await_in_head(ctx, q, ids_of(ctx, {"o"}));
  lock_ids(ctx, q, ctx.new_client_key(), 1);
  LockHeadOptions o;
  o.client_key = ctx.new_client_key();
  auto h = ctx.ok(ctx.api().list_and_lock_head(q, o), "head/lock by another client");
  ctx.expect(h.queue_has_locked_requests.value_or(false), "queueHasLockedRequests true",
             h.queue_has_locked_requests ? "false" : "absent");
  return Outcome::pass();
}

RQ_CHECK(lock_expiry,
         {.id = "rq.lock.expiry_returns_pending",
          .title = "An expired lock makes the request available again, retryCount unchanged",
          .operation = O::kHeadLockPost,
          .level = Level::kShould,
          .source = "decision 29: \"lock expiry: the request becomes pending again ...; retryCount "
                    "unchanged\"",
          .catches = "locks that never expire (crashed workers lose requests)",
          .breaking_bug = "LockNeverExpires"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "e");
  await_in_head(ctx, q, ids_of(ctx, {"e"}));
  lock_ids(ctx, q, ctx.new_client_key(), 1, 1);
  add(ctx, q, "f");  // added before e's lock expires: e goes behind it
  std::this_thread::sleep_for(std::chrono::milliseconds(1300));
  // A reclaimed request may show a moment after its expiry (eventual consistency).
  auto order =
      head_ids_eventually(ctx, q, ids_of(ctx, {"f", "e"}), std::nullopt, ctx.new_client_key());
  ctx.expect(order == ids_of(ctx, {"f", "e"}),
             "head [f, e]: the expired e is ordered by its expiry time, after f", join(order));
  LockHeadOptions o;
  o.client_key = ctx.new_client_key();
  auto h = ctx.ok(ctx.api().list_and_lock_head(q, o), "head/lock after the expiry");
  ctx.expect(h.items.size() == 2 && h.items[1].id == id_of(ctx, "e"), "f, then e again",
             std::to_string(h.items.size()) + " items");
  ctx.expect(h.items[1].retry_count == 0, "retryCount 0", std::to_string(h.items[1].retry_count));
  return Outcome::pass();
}

RQ_CHECK(lock_limit_max,
         {.id = "rq.lock.limit_over_max",
          .title = "head/lock limit above 25 is clamped to 25 or refused with 400",
          .operation = O::kHeadLockPost,
          .level = Level::kTolerate,
          .source = "decision 10: \"head/lock limit above 25: clamped to the maximum; the response "
                    "limit shows the value used\" (tolerate: clamp or 400)",
          .catches = "servers that lock more than 25 at once",
          .breaking_bug = "LimitNotClamped"}) {
  const std::string& q = ctx.queue();
  std::vector<Json> v;
  for (int i = 0; i < 25; ++i) v.push_back(ctx.request("c" + std::to_string(i)));
  batch_add(ctx, q, v);
  v.clear();
  for (int i = 25; i < 30; ++i) v.push_back(ctx.request("c" + std::to_string(i)));
  batch_add(ctx, q, v);
  LockHeadOptions o;
  o.limit = 30;
  o.client_key = ctx.new_client_key();
  auto h = ctx.api().list_and_lock_head(q, o);
  if (!h) {
    ctx.expect(h.error().status == 400, "201 with at most 25 items, or 400",
               Context::describe(h.error()));
    return Outcome::pass("400 for limit=30");
  }
  ctx.expect(h->items.size() <= 25 && h->limit <= 25, "at most 25 items and limit <= 25",
             std::to_string(h->items.size()) + " items, limit " + std::to_string(h->limit));
  return Outcome::pass("clamped to " + std::to_string(h->limit));
}

RQ_CHECK(prolong_expiry, {.id = "rq.prolong.new_expiry",
                          .title = "Prolonging a lock sets lockExpiresAt to about now + lockSecs",
                          .operation = O::kRequestLockPut,
                          .level = Level::kShould,
                          .source = "decision 27: \"prolong lock: new expiry = now + lockSecs; "
                                    "only the owner\" (should: expiry)",
                          .catches = "prolongs that do not extend the lock",
                          .breaking_bug = "ProlongWrongExpiry"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "p");
  await_in_head(ctx, q, ids_of(ctx, {"p"}));
  std::string ck = ctx.new_client_key();
  lock_ids(ctx, q, ck, 1, 10);
  client::ProlongLockOptions o;
  o.lock_secs = 600;
  o.client_key = ck;
  TimeMs before = now_ms();
  TimeMs t = ctx.ok(ctx.api().prolong_request_lock(q, id_of(ctx, "p"), o), "prolonging");
  ctx.expect(std::llabs(t - (before + 600000)) < 30000, "lockExpiresAt within 30 s of now + 600 s",
             format_iso8601(t));
  return Outcome::pass();
}

RQ_CHECK(prolong_owner, {.id = "rq.prolong.only_owner",
                         .title = "Another client cannot prolong a lock (400 or 403)",
                         .operation = O::kRequestLockPut,
                         .level = Level::kTolerate,
                         .source = "decision 27: \"only the owner (same clientKey); others get 403 "
                                   "insufficient-permissions\" (tolerate: 400 or 403)",
                         .catches = "locks that anyone can take over",
                         .breaking_bug = "ProlongByAnyone",
                         .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "own");
  await_in_head(ctx, q, ids_of(ctx, {"own"}));
  lock_ids(ctx, q, ctx.new_client_key(), 1);
  Response r =
      ctx.call(O::kRequestLockPut, "PUT", "/" + q + "/requests/" + id_of(ctx, "own") + "/lock",
               {{"lockSecs", "60"}, {"clientKey", "rqc-intruder"}});
  expect_error(ctx, r, {400, 403}, "a prolong by another client");
  return Outcome::pass(std::to_string(r.status) + " " + r.error_type());
}

RQ_CHECK(delete_lock_releases,
         {.id = "rq.delete_lock.releases",
          .title = "Deleting a lock answers 204 and another client can lock the request",
          .operation = O::kRequestLockDelete,
          .level = Level::kMust,
          .source = "spec section 4 (16): \"Delete lock. 204. Same owner rule. Afterwards the "
                    "request is pending again\"",
          .catches = "lock deletes that keep the lock",
          .breaking_bug = "DeleteLockIgnored"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "dl");
  await_in_head(ctx, q, ids_of(ctx, {"dl"}));
  std::string ck = ctx.new_client_key();
  lock_ids(ctx, q, ck, 1);
  client::DeleteLockOptions o;
  o.client_key = ck;
  ctx.ok(ctx.api().delete_request_lock(q, id_of(ctx, "dl"), o), "deleting the lock");
  await_in_head(ctx, q, ids_of(ctx, {"dl"}));  // a released request may take a while to show
  auto other = lock_ids(ctx, q, ctx.new_client_key(), 1);
  ctx.expect(other == ids_of(ctx, {"dl"}), "another client locks dl", join(other));
  return Outcome::pass();
}

RQ_CHECK(delete_lock_others,
         {.id = "rq.delete_lock.others_refused",
          .title = "Deleting another client's lock is refused (400 or 403)",
          .operation = O::kRequestLockDelete,
          .level = Level::kTolerate,
          .source = "decision 28: \"delete lock of a request that is not locked, or locked by "
                    "another client: 400 request-handled-or-locked\" (tolerate)",
          .catches = "lock deletes by anyone",
          .breaking_bug = "ProlongByAnyone",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "mine");
  await_in_head(ctx, q, ids_of(ctx, {"mine"}));
  lock_ids(ctx, q, ctx.new_client_key(), 1);
  Response r = ctx.call(O::kRequestLockDelete, "DELETE",
                        "/" + q + "/requests/" + id_of(ctx, "mine") + "/lock",
                        {{"clientKey", "rqc-intruder"}});
  expect_error(ctx, r, {400, 403}, "a lock delete by another client");
  return Outcome::pass(std::to_string(r.status) + " " + r.error_type());
}

RQ_CHECK(unlock_own, {.id = "rq.unlock.releases_own_locks",
                      .title = "Unlock releases this client's locks only and reports unlockedCount",
                      .operation = O::kRequestsUnlockPost,
                      .level = Level::kMust,
                      .source = "spec section 4 (17): \"Releases every lock held by this clientKey "
                                "... 200 {unlockedCount: int}\"",
                      .catches = "wrong unlockedCount, or unlocks of other clients' locks",
                      .breaking_bug = "UnlockCountWrong"}) {
  const std::string& q = ctx.queue();
  for (const char* k : {"u1", "u2", "u3"}) add(ctx, q, k);
  await_in_head(ctx, q, ids_of(ctx, {"u1", "u2", "u3"}));
  std::string a = ctx.new_client_key(), b = ctx.new_client_key();
  lock_ids(ctx, q, a, 2);
  lock_ids(ctx, q, b, 1);
  ClientKeyOptions o;
  o.client_key = a;
  auto n = ctx.ok(ctx.api().unlock_requests(q, o), "unlocking client a");
  ctx.expect(n == 2, "unlockedCount 2", std::to_string(n));
  ListRequestsOptions lo;
  lo.filter = {"locked"};
  auto page = ctx.ok(ctx.api().list_requests(q, lo), "listing locked");
  ctx.expect(page_ids(page) == ids_of(ctx, {"u3"}), "u3 still locked (client b)",
             join(page_ids(page)));
  return Outcome::pass();
}

}  // namespace
}  // namespace rqcheck::conformance
