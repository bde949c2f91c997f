// Checks that read back what the server holds after each write (issue 12 point 2): the stored
// request, its place in the head, the counters, the timestamps, the lock and its owner, the
// list under each filter and across cursor pages; with several clients, expired and prolonged
// locks, deletes between pages, look-alike uniqueKeys, deleted queues, every content encoding
// at the size limit and every route for the headers and errors the contract promises.
#include <algorithm>
#include <functional>
#include <map>
#include <set>

#include "helpers.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::conformance {
namespace anchors {
void readback() {}
}  // namespace anchors

namespace {
using namespace helpers;
using O = Operation;
using client::DeleteLockOptions;
using client::ProlongLockOptions;

// The counters as expected. The platform's counters may lag a write (decision 36 tolerates a
// lag): a mismatch is read again, with backoff, up to the consistency bound before it fails.
void expect_counters(Context& ctx, const std::string& q, std::int64_t total, std::int64_t handled,
                     const std::string& after) {
  RequestQueueInfo info = queue_info_counting(ctx, q, total, handled);
  if (info.total_request_count == total && info.handled_request_count == handled &&
      info.pending_request_count == total - handled)
    return;
  ctx.fail_with("after " + after + ": total " + std::to_string(total) + ", handled " +
                    std::to_string(handled) + ", pending " + std::to_string(total - handled),
                counters(info));
}

Json request_with_key(const std::string& key) { return Json{{"uniqueKey", key}, {"url", key}}; }

void put_handled(Context& ctx, const std::string& q, const std::string& key, bool handled) {
  Json body = ctx.request(key);
  body["id"] = id_of(ctx, key);
  if (handled) body["handledAt"] = format_iso8601(SystemClock().now_ms());
  ctx.ok(ctx.api().update_request(q, id_of(ctx, key), body),
         std::string(handled ? "marking " : "reclaiming ") + key);
}

RQ_CHECK(counters_each_write,
         {.id = "rq.readback.counters_each_write",
          .title = "After every kind of write the counters say what the queue now holds",
          .operation = O::kQueueGet,
          .level = Level::kMust,
          .source = "decision 36: \"total = handled + pending at all times\"; spec section 6.2: "
                    "\"deleting -> decrement the matching counter (total -1). Adding a duplicate "
                    "changes nothing.\"",
          .catches = "counters kept apart from the requests that drift on duplicates, handling, "
                     "reclaims and deletes of handled requests",
          .breaking_bug = "DeleteOfHandledKeepsHandledCount"}) {
  const std::string& q = ctx.queue();
  for (const char* k : {"a", "b", "c"}) add(ctx, q, k);
  expect_counters(ctx, q, 3, 0, "adding a, b, c");
  add(ctx, q, "a");
  expect_counters(ctx, q, 3, 0, "adding a again");
  auto r = batch_add(ctx, q, {ctx.request("b"), ctx.request("d")});
  ctx.expect(r.unprocessed.empty(), "the batch processed", "unprocessed items");
  expect_counters(ctx, q, 4, 0, "batch adding b (present) and d");
  put_handled(ctx, q, "a", true);
  expect_counters(ctx, q, 4, 1, "marking a handled");
  put_handled(ctx, q, "a", true);
  expect_counters(ctx, q, 4, 1, "marking a handled again");
  put_handled(ctx, q, "a", false);
  expect_counters(ctx, q, 4, 0, "reclaiming a (PUT without handledAt)");
  put_handled(ctx, q, "a", true);
  ctx.ok(ctx.api().delete_request(q, id_of(ctx, "a")), "deleting the handled a");
  expect_counters(ctx, q, 3, 0, "deleting the handled a");
  put_handled(ctx, q, "b", true);
  auto d = batch_delete(ctx, q, {Json{{"id", id_of(ctx, "b")}}});
  ctx.expect(d.unprocessed.empty(), "the batch delete processed", "unprocessed items");
  expect_counters(ctx, q, 2, 0, "batch deleting the handled b");
  ctx.ok(ctx.api().delete_request(q, id_of(ctx, "c")), "deleting the pending c");
  expect_counters(ctx, q, 1, 0, "deleting the pending c");
  Json handled = ctx.request("h");
  handled["handledAt"] = format_iso8601(SystemClock().now_ms());
  ctx.ok(ctx.api().add_request(q, handled), "adding h with handledAt");
  expect_counters(ctx, q, 2, 1, "adding a new request with handledAt");
  return Outcome::pass();
}

RQ_CHECK(dedup_look_alikes,
         {.id = "rq.readback.dedup_look_alikes",
          .title = "uniqueKeys that differ only in case, a trailing slash, query order or a "
                   "fragment are distinct requests",
          .operation = O::kRequestsPost,
          .level = Level::kMust,
          .source = "decision 20: \"dedup: exact string equality of uniqueKey per queue; no URL "
                    "normalisation on the server\"",
          .catches = "servers that normalise uniqueKeys (case, slashes, query order, fragments) "
                     "before comparing them",
          .breaking_bug = "DedupIgnoresCase"}) {
  const std::string& q = ctx.queue();
  const std::string base = ctx.unique_key("Look");
  std::vector<std::string> keys = {base,
                                   base + "/",
                                   ctx.unique_key("look"),
                                   "HTTPS://EXAMPLE.COM/" + base.substr(base.rfind('/') + 1),
                                   base + "?a=1&b=2",
                                   base + "?b=2&a=1",
                                   base + "#top",
                                   base + " "};
  std::set<std::string> ids;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto r = ctx.ok(ctx.api().add_request(q, request_with_key(keys[i])), "adding " + keys[i]);
    ctx.expect(!r.was_already_present, keys[i] + ": wasAlreadyPresent false",
               "true (the id of " + r.request_id + ")");
    ids.insert(r.request_id);
  }
  ctx.expect(ids.size() == keys.size(), std::to_string(keys.size()) + " distinct ids",
             std::to_string(ids.size()));
  // The same look-alikes in one batch, in a second queue.
  std::string q2 = ctx.new_queue();
  std::vector<Json> batch;
  for (const auto& k : keys) batch.push_back(request_with_key(k));
  auto b = batch_add(ctx, q2, batch, {}, true);
  for (const auto& p : b.processed) {
    ctx.expect(!p.was_already_present, p.unique_key + ": wasAlreadyPresent false in a batch",
               "true");
  }
  expect_counters(ctx, q, std::int64_t(keys.size()), 0, "adding the look-alikes");
  expect_counters(ctx, q2, std::int64_t(keys.size()), 0, "batch adding the look-alikes");
  for (const auto& k : keys) {
    auto got = ctx.ok(ctx.api().get_request(q, request_id_for(k)), "getting " + k);
    ctx.expect(got.value("uniqueKey", "") == k, "uniqueKey " + k + " stored as sent",
               got.value("uniqueKey", "?"));
  }
  return Outcome::pass();
}

RQ_CHECK(duplicate_forefront_keeps_place,
         {.id = "rq.readback.duplicate_keeps_place",
          .title = "Re-adding a present uniqueKey with forefront=true does not move it",
          .operation = O::kRequestsPost,
          .level = Level::kShould,
          .source = "decision 21: \"the stored request and its position do not change, forefront "
                    "included\"",
          .catches = "duplicates that jump the queue",
          .breaking_bug = "DuplicateAddWithForefrontMoves"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "first");
  add(ctx, q, "second");
  WriteOptions o;
  o.forefront = true;
  auto r = ctx.ok(ctx.api().add_request(q, ctx.request("second"), o), "re-adding second");
  ctx.expect(r.was_already_present, "wasAlreadyPresent true", "false");
  auto b = batch_add(ctx, q, {ctx.request("second")}, o);
  auto ids = head_ids_eventually(ctx, q, ids_of(ctx, {"first", "second"}));
  ctx.expect(ids == ids_of(ctx, {"first", "second"}), "head [first, second]", join(ids));
  return Outcome::pass();
}

RQ_CHECK(update_replaces,
         {.id = "rq.readback.update_replaces",
          .title = "PUT replaces the stored request: fields left out of the body are gone",
          .operation = O::kRequestPut,
          .level = Level::kShould,
          .source = "spec section 4 (11): \"It replaces the stored request (not a merge)\"",
          .catches = "updates that merge the body into the stored request",
          .breaking_bug = "UpdateMergesFields"}) {
  const std::string& q = ctx.queue();
  Json first = ctx.request("r");
  first["userData"] = Json{{"label", "OLD"}, {"keep", 1}};
  first["headers"] = Json{{"X-Old", "1"}};
  ctx.ok(ctx.api().add_request(q, first), "adding r");
  Json second = ctx.request("r");
  second["id"] = id_of(ctx, "r");
  second["userData"] = Json{{"label", "NEW"}};
  ctx.ok(ctx.api().update_request(q, id_of(ctx, "r"), second), "PUT with new userData");
  auto got = ctx.ok(ctx.api().get_request(q, id_of(ctx, "r")), "getting r");
  ctx.expect(got.contains("userData") && got["userData"] == second["userData"],
             "userData {\"label\":\"NEW\"}", got.value("userData", Json()).dump());
  ctx.expect(!got.contains("headers") || got["headers"].is_null() || got["headers"].empty(),
             "no headers (the PUT body had none)", got.value("headers", Json()).dump());
  Json third = ctx.request("r");
  third["id"] = id_of(ctx, "r");
  ctx.ok(ctx.api().update_request(q, id_of(ctx, "r"), third), "PUT without userData");
  got = ctx.ok(ctx.api().get_request(q, id_of(ctx, "r")), "getting r again");
  const Json ud = got.value("userData", Json());
  ctx.expect(ud.is_null() || ud.empty(), "no userData (the PUT body had none)", ud.dump());
  return Outcome::pass();
}

RQ_CHECK(fields_stored_as_given,
         {.id = "rq.readback.fields_stored_as_given",
          .title = "Add, batch add and PUT store every field of the body, unknown ones included",
          .operation = O::kRequestGet,
          .level = Level::kMust,
          .source = "spec section 2: \"Extra keys are allowed (no additionalProperties:false). The "
                    "server stores the object as given and returns it from GET.\"",
          .catches = "servers that refuse or drop userData, headers, payload or unknown fields",
          .breaking_bug = "BatchAddDropsUserData"}) {
  const std::string& q = ctx.queue();
  auto full = [&](const std::string& key) {
    Json r = ctx.request(key);
    r["method"] = "POST";
    r["payload"] = "p=" + key;
    r["headers"] = Json{{"X-Key", key}};
    r["userData"] = Json{{"label", key}, {"depth", 2}};
    r["errorMessages"] = Json::array({"first try of " + key + " failed"});
    r["rqcheckCustom"] = Json{{"n", 7}};
    return r;
  };
  ctx.ok(ctx.api().add_request(q, full("one")), "adding one with every field");
  auto b = batch_add(ctx, q, {full("two"), full("three")}, {}, true);
  ctx.expect(b.unprocessed.empty(), "the batch processed", "unprocessed items");
  Json put = full("four");
  ctx.ok(ctx.api().update_request(q, id_of(ctx, "four"), put), "PUT four without a body id");
  // A handledAt sent is the handledAt stored (crawlers send the time they finished), here an
  // hour ago so that no server clock can be mistaken for it.
  const TimeMs handled_at = SystemClock().now_ms() - 3600 * 1000;
  Json five = full("five");
  five["id"] = id_of(ctx, "five");
  five["handledAt"] = format_iso8601(handled_at);
  ctx.ok(ctx.api().add_request(q, ctx.request("five")), "adding five");
  ctx.ok(ctx.api().update_request(q, id_of(ctx, "five"), five), "PUT five with every field");
  for (const char* k : {"one", "two", "three", "four", "five"}) {
    auto got = ctx.ok(ctx.api().get_request(q, id_of(ctx, k)), std::string("getting ") + k);
    Json want = full(k);
    for (const char* f :
         {"method", "payload", "headers", "userData", "errorMessages", "rqcheckCustom"}) {
      ctx.expect(got.contains(f) && got[f] == want[f],
                 std::string(k) + "." + f + " = " + want[f].dump(),
                 got.contains(f) ? got[f].dump() : "absent");
    }
    if (k == std::string("five")) {
      const std::string stored = got.value("handledAt", Json()).is_string()
                                     ? got["handledAt"].get<std::string>()
                                     : got.value("handledAt", Json()).dump();
      auto at = parse_iso8601(stored);
      // Within a second: a server may keep fewer fraction digits (timestamps, decision 39).
      ctx.expect(at && *at > handled_at - 1000 && *at < handled_at + 1000,
                 "five.handledAt = " + format_iso8601(handled_at), stored);
    }
  }
  return Outcome::pass();
}

RQ_CHECK(lock_state,
         {.id = "rq.readback.lock_state",
          .title = "After head/lock, the head, the filtered lists and unlock agree on who holds "
                   "what",
          .operation = O::kHeadLockPost,
          .level = Level::kMust,
          .source = "spec section 4 (14): \"Takes up to limit of the first pending requests that "
                    "are not locked, locks them\"; (17): \"Releases every lock held by this "
                    "clientKey\"; decision 26",
          .catches = "locks taken beyond the limit, unlocks that release other clients' locks, "
                     "queueHasLockedRequests blind to other clients",
          .breaking_bug = "HeadLockTakesOneMore"}) {
  const std::string& q = ctx.queue();
  for (int i = 0; i < 6; ++i) add(ctx, q, "l" + std::to_string(i));  // one by one: in order
  await_in_head(ctx, q, ids_of(ctx, {"l0", "l1", "l2", "l3", "l4", "l5"}));
  std::string k1 = ctx.new_client_key(), k2 = ctx.new_client_key(), k3 = ctx.new_client_key();
  auto got1 = lock_ids(ctx, q, k1, 2);
  ctx.expect(got1 == ids_of(ctx, {"l0", "l1"}), "k1 locks [l0, l1]", join(got1));
  // A locked request is present but not handled, whoever adds it again.
  auto again = ctx.ok(ctx.api().add_request(q, ctx.request("l0")), "re-adding the locked l0");
  ctx.expect(again.was_already_present && !again.was_already_handled,
             "l0 (locked): wasAlreadyPresent true, wasAlreadyHandled false",
             yes_no(again.was_already_present) + ", " + yes_no(again.was_already_handled));
  auto again_b = batch_add(ctx, q, {ctx.request("l1")});
  for (const auto& p : again_b.processed) {
    ctx.expect(p.was_already_present && !p.was_already_handled,
               "l1 (locked) in a batch: wasAlreadyPresent true, wasAlreadyHandled false",
               yes_no(p.was_already_present) + ", " + yes_no(p.was_already_handled));
  }
  auto rest = head_ids(ctx, q, std::nullopt, k3);
  ctx.expect(rest == ids_of(ctx, {"l2", "l3", "l4", "l5"}), "head [l2..l5] for another client",
             join(rest));
  ListRequestsOptions lo;
  lo.filter = {"locked"};
  auto locked = page_ids(ctx.ok(ctx.api().list_requests(q, lo), "listing filter=locked"));
  ctx.expect(sorted(locked) == sorted(ids_of(ctx, {"l0", "l1"})), "filter=locked: l0, l1",
             join(locked));
  LockHeadOptions o2;
  o2.client_key = k2;
  o2.limit = 1;
  auto h2 = ctx.ok(ctx.api().list_and_lock_head(q, o2), "k2 locks one");
  ctx.expect(h2.items.size() == 1 && h2.items[0].id == id_of(ctx, "l2"), "k2 gets l2",
             std::to_string(h2.items.size()) + " items");
  if (h2.queue_has_locked_requests) {
    ctx.expect(*h2.queue_has_locked_requests, "queueHasLockedRequests true", "false");
  }
  auto n = ctx.ok(ctx.api().unlock_requests(q, ClientKeyOptions{k1}), "k1 unlocks");
  ctx.expect(n == 2, "unlockedCount 2", std::to_string(n));
  // l0 and l1 are reclaimed: they may show a moment later (eventual consistency).
  auto after = head_ids_when(
      ctx, q, [](const std::vector<std::string>& got) { return got.size() >= 5; }, std::nullopt,
      k3);
  ctx.expect(!contains(after, id_of(ctx, "l2")), "l2 still locked by k2 after k1's unlock",
             join(after));
  ctx.expect(after.size() == 5, "5 in the head (l0, l1 released; l2 held)", join(after));
  locked = page_ids(ctx.ok(ctx.api().list_requests(q, lo), "listing filter=locked again"));
  ctx.expect(locked == ids_of(ctx, {"l2"}), "filter=locked: l2", join(locked));
  return Outcome::pass();
}

RQ_CHECK(delete_lock_places,
         {.id = "rq.readback.delete_lock_places",
          .title = "Deleting a lock puts the request at the end, or the front with forefront",
          .operation = O::kRequestLockDelete,
          .level = Level::kMust,
          .source = "spec section 4 (16): \"Afterwards the request is pending again and goes to "
                    "the end of the queue, or the front with forefront=true\"",
          .catches = "lock deletes that ignore forefront or keep the old place",
          .breaking_bug = "DeleteLockIgnoresForefront"}) {
  const std::string& q = ctx.queue();
  for (const char* k : {"a", "b", "c"}) add(ctx, q, k);
  await_in_head(ctx, q, ids_of(ctx, {"a", "b", "c"}));
  std::string k1 = ctx.new_client_key();
  auto got = lock_ids(ctx, q, k1, 1);
  ctx.expect(got == ids_of(ctx, {"a"}), "a locked", join(got));
  DeleteLockOptions front;
  front.client_key = k1;
  front.forefront = true;
  ctx.ok(ctx.api().delete_request_lock(q, id_of(ctx, "a"), front), "deleting a's lock, forefront");
  auto ids = head_ids_eventually(ctx, q, ids_of(ctx, {"a", "b", "c"}));
  ctx.expect(ids == ids_of(ctx, {"a", "b", "c"}), "head [a, b, c]", join(ids));
  got = lock_ids(ctx, q, k1, 1);
  ctx.expect(got == ids_of(ctx, {"a"}), "a locked again", join(got));
  DeleteLockOptions back;
  back.client_key = k1;
  ctx.ok(ctx.api().delete_request_lock(q, id_of(ctx, "a"), back), "deleting a's lock");
  ids = head_ids_eventually(ctx, q, ids_of(ctx, {"b", "c", "a"}));
  ctx.expect(ids == ids_of(ctx, {"b", "c", "a"}), "head [b, c, a]", join(ids));
  return Outcome::pass();
}

RQ_CHECK(others_lock_stays,
         {.id = "rq.readback.others_lock_stays",
          .title = "Another client's attempt to delete, prolong or unlock a lock leaves it held",
          .operation = O::kRequestLockDelete,
          .level = Level::kMust,
          .source = "spec section 4 (15)-(17): \"Only the owner may do this\"; \"Same owner "
                    "rule\"; unlock releases the locks \"held by this clientKey\"",
          .catches = "lock operations by others that answer success and do nothing, or release "
                     "the lock",
          .breaking_bug = "DeleteLockByOtherIsSilent"}) {
  const std::string& q = ctx.queue();
  add(ctx, q, "held");
  add(ctx, q, "free");
  await_in_head(ctx, q, ids_of(ctx, {"held", "free"}));
  std::string owner = ctx.new_client_key(), other = ctx.new_client_key();
  lock_ids(ctx, q, owner, 1);
  DeleteLockOptions d;
  d.client_key = other;
  auto del = ctx.api().delete_request_lock(q, id_of(ctx, "held"), d);
  ProlongLockOptions p;
  p.client_key = other;
  p.lock_secs = 1;
  auto pro = ctx.api().prolong_request_lock(q, id_of(ctx, "held"), p);
  ctx.ok(ctx.api().unlock_requests(q, ClientKeyOptions{other}), "unlock by the other client");
  // free is in the head already (awaited above). Against a lagging target a wrongly released
  // held may show only later, so there this read can miss the bug; it never fails falsely.
  auto ids = head_ids(ctx, q, std::nullopt, ctx.new_client_key());
  ctx.expect(ids == ids_of(ctx, {"free"}), "head [free]: held is still locked by its owner",
             join(ids) + (del ? " (the other's delete answered 204)" : ""));
  ctx.expect(!del, "the other client's lock delete refused", "204 (and the lock stayed)");
  ctx.expect(!pro, "the other client's prolong refused", "200");
  return Outcome::pass();
}

// Walks the list with `limit` under `filter`; `between` runs after the first page. Fails on a
// page over the limit, a request listed twice, or a walk of more than 200 pages.
std::vector<std::string> walk_list(Context& ctx, const std::string& q, std::int64_t limit,
                                   std::vector<std::string> filter,
                                   const std::function<void()>& between = {}) {
  std::vector<std::string> seen;
  ListRequestsOptions o;
  o.limit = limit;
  o.filter = filter;
  std::string what = "a walk with limit " + std::to_string(limit) +
                     (filter.empty() ? "" : " filter=" + join(filter));
  for (int page = 0; page < 200; ++page) {
    auto p = ctx.ok(ctx.api().list_requests(q, o), "listing a page of " + what);
    ctx.expect(std::int64_t(p.items.size()) <= limit,
               "at most " + std::to_string(limit) + " items a page (" + what + ")",
               std::to_string(p.items.size()));
    for (const auto& id : page_ids(p)) {
      ctx.expect(!contains(seen, id), "each request once in " + what, id + " listed twice");
      seen.push_back(id);
    }
    if (page == 0 && between) between();
    if (!p.next_cursor) return seen;
    o.cursor = p.next_cursor;
  }
  ctx.fail_with(what + " ends", "200 pages and still a nextCursor");
}

RQ_CHECK(filtered_walks,
         {.id = "rq.readback.filtered_walks",
          .title = "Cursor walks under each filter list exactly the requests in that state, "
                   "deletes between pages included",
          .operation = O::kRequestsGet,
          .level = Level::kMust,
          .source = "decision 31: \"a request is never listed twice in one walk; requests present "
                    "for the whole walk are all listed\"; decision 32: \"union of the states; a "
                    "filtered page may be empty while nextCursor is present\"",
          .catches = "walks that stop early under a filter, filters that let handled requests "
                     "through, pages over the limit, deleted requests still listed",
          .breaking_bug = "NextCursorOnlyOnFullPages"}) {
  const std::string& q = ctx.queue();
  std::vector<Json> v;
  std::vector<std::string> all;
  for (int i = 0; i < 14; ++i) {
    v.push_back(ctx.request("w" + std::to_string(i)));
    all.push_back(id_of(ctx, "w" + std::to_string(i)));
  }
  ctx.expect(batch_add(ctx, q, {v.begin(), v.begin() + 7}, {}, true).unprocessed.empty() &&
                 batch_add(ctx, q, {v.begin() + 7, v.end()}, {}, true).unprocessed.empty(),
             "14 added", "unprocessed items");
  await_in_head(ctx, q, all);
  auto locked = lock_ids(ctx, q, ctx.new_client_key(), 3);
  std::vector<std::string> handled;
  for (int i = 0; i < 14 && handled.size() < 3; ++i) {
    const std::string k = "w" + std::to_string(i);
    if (contains(locked, id_of(ctx, k))) continue;
    put_handled(ctx, q, k, true);
    handled.push_back(id_of(ctx, k));
  }
  std::vector<std::string> pending;
  for (const auto& id : all) {
    if (!contains(locked, id) && !contains(handled, id)) pending.push_back(id);
  }
  for (std::int64_t limit : {1, 2, 5}) {
    auto l = walk_list(ctx, q, limit, {"locked"});
    ctx.expect(sorted(l) == sorted(locked),
               "filter=locked, limit " + std::to_string(limit) + ": the 3 locked", join(l));
    auto p = walk_list(ctx, q, limit, {"pending"});
    ctx.expect(sorted(p) == sorted(pending),
               "filter=pending, limit " + std::to_string(limit) + ": the 8 pending", join(p));
  }
  auto u = walk_list(ctx, q, 4, {"locked", "pending"});
  std::vector<std::string> want = locked;
  want.insert(want.end(), pending.begin(), pending.end());
  ctx.expect(sorted(u) == sorted(want), "filter=locked,pending: the 11 not handled", join(u));
  // Deletes between pages: one request already listed and one not yet listed go away after the
  // first page; every other request is listed once, the deleted unlisted one never.
  std::vector<std::string> first_page;
  std::string gone;
  auto walked = walk_list(ctx, q, 4, {}, [&] {
    auto p = ctx.ok(ctx.api().list_requests(q, ListRequestsOptions{4, {}, {}, {}, {}}),
                    "re-reading the first page");
    first_page = page_ids(p);
    for (const auto& id : all) {
      if (!contains(first_page, id)) gone = id;
    }
    ctx.ok(ctx.api().delete_request(q, first_page.front()), "deleting a listed request");
    ctx.ok(ctx.api().delete_request(q, gone), "deleting a request not listed yet");
  });
  for (const auto& id : all) {
    if (id == gone) {
      ctx.expect(!contains(walked, id), "the request deleted before its page is not listed",
                 id + " listed after its delete");
    } else {
      ctx.expect(contains(walked, id), "every request present for the whole walk listed",
                 id + " missing: " + join(walked));
    }
  }
  return Outcome::pass();
}

RQ_CHECK(head_limit_exact,
         {.id = "rq.readback.head_limit",
          .title = "GET head returns the first `limit` pending requests, no fewer",
          .operation = O::kHeadGet,
          .level = Level::kMust,
          .source = "spec section 4 (13): \"Returns the first limit pending (unhandled) requests "
                    "in queue order\"",
          .catches = "heads that come back one short, or cut at another limit",
          .breaking_bug = "HeadOneShort"}) {
  const std::string& q = ctx.queue();
  for (int i = 0; i < 6; ++i) add(ctx, q, "h" + std::to_string(i));  // one by one: in order
  std::vector<std::string> all;
  for (int i = 0; i < 6; ++i) all.push_back(id_of(ctx, "h" + std::to_string(i)));
  head_ids_eventually(ctx, q, all);
  for (std::int64_t limit : {1, 3, 6}) {
    auto ids = head_ids(ctx, q, limit);
    std::vector<std::string> want;
    for (std::int64_t i = 0; i < limit; ++i) want.push_back(id_of(ctx, "h" + std::to_string(i)));
    ctx.expect(ids == want, "limit " + std::to_string(limit) + ": " + join(want), join(ids));
  }
  auto ids = head_ids(ctx, q, 10);
  ctx.expect(ids.size() == 6, "limit 10: all 6", join(ids));
  return Outcome::pass();
}

RQ_CHECK(queue_lifecycle,
         {.id = "rq.readback.queue_lifecycle",
          .title = "A queue's changes read back, and a deleted queue is gone from every route",
          .operation = O::kQueueDelete,
          .level = Level::kMust,
          .source = "spec section 4 (3)-(5): \"PUT changes name (null makes it unnamed) and "
                    "generalAccess; returns the updated object\"; \"DELETE -> 204\"; decision 14",
          .catches = "updates that are answered but not stored, and soft-deleted queues that "
                     "still answer",
          .breaking_bug = "SoftDeletedQueueStillAnswers"}) {
  const std::string qid = ctx.new_queue();
  auto created = queue_info(ctx, qid);
  ctx.expect(created.name.has_value(), "the new queue is named", "name null");
  const std::string name = created.name.value_or("");
  client::QueueUpdate up;
  up.general_access = "ANYONE_WITH_NAME_CAN_READ";
  ctx.ok(ctx.api().update_queue(created.id, up), "changing generalAccess");
  auto got = queue_info(ctx, created.id);
  ctx.expect(got.general_access == "ANYONE_WITH_NAME_CAN_READ",
             "GET shows generalAccess ANYONE_WITH_NAME_CAN_READ", got.general_access);
  client::QueueUpdate unname;
  unname.clear_name = true;
  auto un = ctx.ok(ctx.api().update_queue(created.id, unname), "PUT name null");
  ctx.expect(!un.name, "the answer's name null", un.name.value_or(""));
  got = queue_info(ctx, created.id);
  ctx.expect(!got.name, "GET shows name null", "\"" + got.name.value_or("") + "\"");
  client::QueueUpdate rename;
  rename.name = name;
  ctx.ok(ctx.api().update_queue(created.id, rename), "naming it again");
  add(ctx, created.id, "in");
  ctx.ok(ctx.api().delete_queue(created.id), "deleting the queue");
  auto g = ctx.api().get_queue(created.id);
  ctx.expect(!g && g.error().status == 404, "GET queue after the delete: 404",
             g ? "200" : Context::describe(g.error()));
  auto a = ctx.api().add_request(created.id, ctx.request("late"));
  ctx.expect(!a && a.error().status == 404, "add to the deleted queue: 404",
             a ? "201" : Context::describe(a.error()));
  auto l = ctx.api().list_requests(created.id);
  ctx.expect(!l && l.error().status == 404, "list of the deleted queue: 404",
             l ? "200" : Context::describe(l.error()));
  auto h = ctx.api().list_head(created.id);
  ctx.expect(!h && h.error().status == 404, "head of the deleted queue: 404",
             h ? "200" : Context::describe(h.error()));
  auto r = ctx.api().get_request(created.id, id_of(ctx, "in"));
  ctx.expect(!r && r.error().status == 404, "a request of the deleted queue: 404",
             r ? "200" : Context::describe(r.error()));
  auto again = ctx.ok(ctx.api().get_or_create_queue(name), "creating " + name + " again");
  ctx.track_queue(again.id);
  ctx.expect(again.id != created.id && again.total_request_count == 0,
             "a new, empty queue under the freed name", again.id + ", " + counters(again));
  return Outcome::pass();
}

RQ_CHECK(queue_list_paging,
         {.id = "rq.readback.queue_list_paging",
          .title = "The queue list honours offset, limit and desc",
          .operation = O::kQueuesGet,
          .level = Level::kMust,
          .source = "spec section 3 row 1: offset, limit, desc; section 4 (1): \"Sorted by "
                    "createdAt ascending (desc=1 reverses)\"",
          .catches = "queue lists that ignore offset or desc",
          .breaking_bug = "QueueListOffsetIgnored"}) {
  std::vector<std::string> mine;
  for (int i = 0; i < 3; ++i) {
    mine.push_back(ctx.new_queue());
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  auto ids_of_page = [](const QueuesPage& p) {
    std::vector<std::string> ids;
    for (const auto& it : p.items) ids.push_back(it.id);
    return ids;
  };
  auto only_mine = [&](const std::vector<std::string>& ids) {
    std::vector<std::string> out;
    for (const auto& id : ids) {
      if (contains(mine, id)) out.push_back(id);
    }
    return out;
  };
  client::ListQueuesOptions o;
  auto all = ids_of_page(ctx.ok(ctx.api().list_queues(o), "listing queues"));
  ctx.expect(only_mine(all) == mine, "the 3 new queues in creation order", join(only_mine(all)));
  o.desc = true;
  auto desc = ids_of_page(ctx.ok(ctx.api().list_queues(o), "listing queues desc=1"));
  std::vector<std::string> reversed(mine.rbegin(), mine.rend());
  ctx.expect(only_mine(desc) == reversed, "desc=1: the 3 in reverse order", join(only_mine(desc)));
  o.desc = false;
  o.offset = 1;
  auto off = ids_of_page(ctx.ok(ctx.api().list_queues(o), "listing queues offset=1"));
  std::vector<std::string> tail(all.begin() + (all.empty() ? 0 : 1), all.end());
  ctx.expect(off == tail, "offset=1: the list without its first queue", join(off));
  o.offset = std::int64_t(all.size()) - 1;
  o.limit = 1;
  auto last = ids_of_page(ctx.ok(ctx.api().list_queues(o), "listing the last queue"));
  ctx.expect(!all.empty() && last == std::vector<std::string>{all.back()},
             "offset=n-1, limit=1: the last queue", join(last));
  return Outcome::pass();
}

RQ_CHECK(clients_counted,
         {.id = "rq.readback.clients_counted",
          .title = "hadMultipleClients stays false for one clientKey and turns true for a second "
                   "one or for keyless calls",
          .operation = O::kHeadGet,
          .level = Level::kShould,
          .source = "decision 30: \"true once two different clients touched the queue; each call "
                    "without clientKey counts as a new client\"",
          .catches = "servers that count calls instead of clients, or all keyless calls as one",
          .breaking_bug = "HadMultipleClientsOnSameKey"}) {
  const std::string& q = ctx.queue();
  std::string k1 = ctx.new_client_key();
  WriteOptions w;
  w.client_key = k1;
  ctx.ok(ctx.api().add_request(q, ctx.request("a"), w), "adding a as k1");
  ctx.ok(ctx.api().add_request(q, ctx.request("b"), w), "adding b as k1");
  HeadOptions h;
  h.client_key = k1;
  auto head = ctx.ok(ctx.api().list_head(q, h), "the head as k1");
  ctx.expect(!head.had_multiple_clients, "hadMultipleClients false (one clientKey)", "true");
  w.client_key = ctx.new_client_key();
  ctx.ok(ctx.api().add_request(q, ctx.request("c"), w), "adding c as k2");
  head = ctx.ok(ctx.api().list_head(q, h), "the head as k1 again");
  ctx.expect(head.had_multiple_clients, "hadMultipleClients true (two clientKeys)", "false");
  std::string q2 = ctx.new_queue();
  ctx.ok(ctx.api().add_request(q2, ctx.request("a")), "adding without a clientKey");
  ctx.ok(ctx.api().add_request(q2, ctx.request("b")), "adding again without a clientKey");
  head = ctx.ok(ctx.api().list_head(q2), "the head without a clientKey");
  ctx.expect(head.had_multiple_clients, "hadMultipleClients true (keyless calls)", "false");
  return Outcome::pass();
}

// Every route of one request, of a queue, and of an unknown queue: the answers the contract
// promises on each (the error envelope in JSON on a 404, X-RateLimit-Limit on every answer).
// `judge` sees each answer as soon as it arrives, so a failing check ends at the answer it failed
// on: its evidence (and its reproducer, which compares the last answer) stops there.
using RouteJudge = std::function<void(const std::string& what, const Response& r)>;

void every_route(Context& ctx, const std::string& q, const RouteJudge& judge) {
  const std::string absent_q = "zzzzzzzzzzzzzzzzz";
  const std::string rid = id_of(ctx, "there"), absent = id_of(ctx, "absent");
  add(ctx, q, "there");
  await_in_head(ctx, q, {rid});  // the head/lock below takes it
  const std::string k = ctx.new_client_key();
  auto call = [&](O op, const std::string& method, const std::string& path,
                  std::vector<std::pair<std::string, std::string>> query = {},
                  std::optional<std::string> body = std::nullopt) {
    judge(method + " " + path, ctx.call(op, method, path, std::move(query), body));
  };
  const std::string one = Json::array({ctx.request("b1")}).dump();
  const std::string del = Json::array({Json{{"id", absent}}}).dump();
  // Success answers: 200, 201, 204.
  call(O::kQueuesGet, "GET", "");
  call(O::kQueueGet, "GET", "/" + q);
  call(O::kQueuePut, "PUT", "/" + q, {}, Json{{"generalAccess", "FOLLOW_USER_SETTING"}}.dump());
  call(O::kRequestsPost, "POST", "/" + q + "/requests", {{"clientKey", k}},
       ctx.request("more").dump());
  call(O::kRequestsGet, "GET", "/" + q + "/requests");
  call(O::kRequestsBatchPost, "POST", "/" + q + "/requests/batch", {}, one);
  call(O::kRequestsBatchDelete, "DELETE", "/" + q + "/requests/batch", {}, del);
  call(O::kRequestGet, "GET", "/" + q + "/requests/" + rid);
  call(O::kHeadGet, "GET", "/" + q + "/head");
  call(O::kHeadLockPost, "POST", "/" + q + "/head/lock",
       {{"lockSecs", "60"}, {"limit", "1"}, {"clientKey", k}});
  call(O::kRequestLockPut, "PUT", "/" + q + "/requests/" + rid + "/lock",
       {{"lockSecs", "60"}, {"clientKey", k}});
  call(O::kRequestLockDelete, "DELETE", "/" + q + "/requests/" + rid + "/lock", {{"clientKey", k}});
  call(O::kRequestsUnlockPost, "POST", "/" + q + "/requests/unlock", {{"clientKey", k}});
  call(O::kRequestDelete, "DELETE", "/" + q + "/requests/" + id_of(ctx, "more"));
  // 404s: an absent request of a queue, and every route of an absent queue.
  call(O::kRequestGet, "GET", "/" + q + "/requests/" + absent);
  call(O::kRequestLockPut, "PUT", "/" + q + "/requests/" + absent + "/lock",
       {{"lockSecs", "60"}, {"clientKey", k}});
  call(O::kRequestLockDelete, "DELETE", "/" + q + "/requests/" + absent + "/lock",
       {{"clientKey", k}});
  call(O::kQueueGet, "GET", "/" + absent_q);
  call(O::kQueuePut, "PUT", "/" + absent_q, {}, Json{{"generalAccess", "RESTRICTED"}}.dump());
  call(O::kQueueDelete, "DELETE", "/" + absent_q);
  call(O::kRequestsPost, "POST", "/" + absent_q + "/requests", {}, ctx.request("x").dump());
  call(O::kRequestsGet, "GET", "/" + absent_q + "/requests");
  call(O::kRequestsBatchPost, "POST", "/" + absent_q + "/requests/batch", {}, one);
  call(O::kRequestsBatchDelete, "DELETE", "/" + absent_q + "/requests/batch", {}, del);
  call(O::kRequestGet, "GET", "/" + absent_q + "/requests/" + rid);
  call(O::kRequestPut, "PUT", "/" + absent_q + "/requests/" + rid, {}, [&] {
    Json b = ctx.request("there");
    b["id"] = rid;
    return b.dump();
  }());
  call(O::kRequestDelete, "DELETE", "/" + absent_q + "/requests/" + rid);
  call(O::kHeadGet, "GET", "/" + absent_q + "/head");
  call(O::kHeadLockPost, "POST", "/" + absent_q + "/head/lock", {{"lockSecs", "60"}});
  call(O::kRequestsUnlockPost, "POST", "/" + absent_q + "/requests/unlock");
}

RQ_CHECK(not_found_every_route,
         {.id = "rq.errors.not_found_every_route",
          .title = "Every route answers an absent queue or request with 404 and the JSON error "
                   "envelope",
          .operation = O::kRequestGet,
          .level = Level::kMust,
          .source = "decision 14: \"unknown queue or request: 404 record-not-found\"; spec section "
                    "1: \"An error body is {\\\"error\\\": {\\\"type\\\", \\\"message\\\"}}\"",
          .catches = "routes whose 404 has no body, another status, or a non-JSON content type",
          .breaking_bug = "RequestNotFoundWithoutBody",
          .needs = kNeedRawHttp}) {
  every_route(ctx, ctx.queue(), [&](const std::string& what, const Response& r) {
    if (r.status < 400) return;
    expect_error(ctx, r, {404}, what);
    // The official clients treat only these two as "absent" (spec section 1.1).
    ctx.expect(
        r.error_type() == "record-not-found" || r.error_type() == "record-or-token-not-found",
        what + ": type record-not-found", r.summary());
    auto ct = r.header("Content-Type");
    ctx.expect(ct && ct->find("application/json") != std::string::npos,
               what + ": Content-Type application/json", ct.value_or("none"));
  });
  return Outcome::pass();
}

RQ_CHECK(rate_limit_header_every_route,
         {.id = "rq.rate_limit.header_every_route",
          .title = "Every answer of every route carries X-RateLimit-Limit (2xx, 204 and errors), "
                   "one value per operation class",
          .operation = O::kRequestDelete,
          .level = Level::kShould,
          .source = "spec section 1.2: \"Each response carries X-RateLimit-Limit.\"; decision 37",
          .catches = "servers that set the header on some routes or statuses only, or put "
                     "operations in the wrong rate-limit class",
          .breaking_bug = "RateLimitHeaderOnlyOnSuccess",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  every_route(ctx, q, [&](const std::string& what, const Response& r) {
    ctx.expect(r.header("X-RateLimit-Limit").has_value(),
               what + " (" + std::to_string(r.status) + "): X-RateLimit-Limit", "none");
  });
  // The header is the limit of the operation's class (spec section 1.2): one value per class,
  // single-request CRUD and lock operations highest, batch operations and head/lock lowest.
  std::map<RateClass, std::set<std::int64_t>> by_class;
  std::string seen;
  auto note = [&](O op, const Response& r) {
    auto v = r.header("X-RateLimit-Limit");
    if (!v || v->empty() || v->size() > 12 ||
        !std::all_of(v->begin(), v->end(), [](char c) { return c >= '0' && c <= '9'; }))
      return;
    by_class[operation_info(op).rate_class].insert(std::stoll(*v));
    seen += (seen.empty() ? "" : ", ") + std::string(operation_info(op).alias) + " " + *v;
  };
  const std::string rid = add(ctx, q, "classes");
  await_in_head(ctx, q, {rid});
  const std::string k = ctx.new_client_key();
  note(O::kQueueGet, ctx.call(O::kQueueGet, "GET", "/" + q));
  note(O::kRequestsGet, ctx.call(O::kRequestsGet, "GET", "/" + q + "/requests"));
  note(O::kHeadGet, ctx.call(O::kHeadGet, "GET", "/" + q + "/head"));
  note(O::kHeadLockPost, ctx.call(O::kHeadLockPost, "POST", "/" + q + "/head/lock",
                                  {{"lockSecs", "60"}, {"limit", "25"}, {"clientKey", k}}));
  note(O::kRequestsBatchPost, ctx.call(O::kRequestsBatchPost, "POST", "/" + q + "/requests/batch",
                                       {}, Json::array({ctx.request("classes-b")}).dump()));
  note(O::kRequestGet, ctx.call(O::kRequestGet, "GET", "/" + q + "/requests/" + rid));
  note(O::kRequestLockPut,
       ctx.call(O::kRequestLockPut, "PUT", "/" + q + "/requests/" + rid + "/lock",
                {{"lockSecs", "60"}, {"clientKey", k}}));
  note(O::kRequestLockDelete, ctx.call(O::kRequestLockDelete, "DELETE",
                                       "/" + q + "/requests/" + rid + "/lock", {{"clientKey", k}}));
  note(O::kRequestsPost, ctx.call(O::kRequestsPost, "POST", "/" + q + "/requests", {},
                                  ctx.request("classes-a").dump()));
  for (const auto& [cls, values] : by_class) {
    ctx.expect(values.size() == 1, "one X-RateLimit-Limit per operation class", seen);
  }
  const auto one = [&](RateClass c) {
    return by_class.count(c) ? *by_class[c].begin() : std::int64_t{-1};
  };
  const std::int64_t single = one(RateClass::kSingleRequest), batch = one(RateClass::kBatch),
                     other = one(RateClass::kOther);
  if (single >= 0 && batch >= 0 && other >= 0) {
    ctx.expect(single > other && other > batch,
               "single-request and lock operations > the rest > batch and head/lock (400, 60 "
               "and 40 per second)",
               seen);
  }
  return Outcome::pass();
}

// A request body of exactly `bytes` bytes of JSON.
std::string body_of_size(Context& ctx, const std::string& key, std::size_t bytes) {
  Json r = ctx.request(key);
  r["userData"] = Json{{"pad", ""}};
  std::string base = r.dump();
  r["userData"]["pad"] = std::string(bytes - base.size(), 'x');
  return r.dump();
}

RQ_CHECK(encodings_at_limit,
         {.id = "rq.errors.encodings_at_limit",
          .title = "A gzip body of exactly 9437184 decoded bytes is accepted; one byte more after "
                   "decoding is 413 (gzip and deflate)",
          .operation = O::kRequestsPost,
          .level = Level::kMust,
          .source = "decision 16: \"body over 9437184 bytes (after decoding): 413 "
                    "request-too-large\"; decision 17: \"gzip, deflate, br: decoded (the decoded "
                    "size counts against the 9437184 limit)\"",
          .catches = "limits checked on the compressed size, off by one, or compressed bodies "
                     "over the limit answered with another status",
          .breaking_bug = "CompressedOverLimitIs400",
          .needs = kNeedRawHttp | kNeedLargeBodies}) {
  const std::string& q = ctx.queue();
  auto send = [&](const std::string& body, client::BodyEncoding enc) {
    client::RawRequest req;
    req.method = "POST";
    req.path = "/v2/request-queues/" + q + "/requests";
    req.body = body;
    req.encoding = enc;
    req.operation = O::kRequestsPost;
    return ctx.send(req);
  };
  using E = client::BodyEncoding;
  // brotli is left out here: compressing 9 MB takes the client seconds at its quality; that br
  // bodies are decoded at all is rq.errors.compressed_bodies_accepted, and the plain body over
  // the limit is rq.errors.payload_too_large_413.
  int n = 0;
  for (E enc : {E::kGzip, E::kDeflate}) {
    std::string name =
        enc == E::kNone ? "identity" : std::string(client::content_encoding_name(enc));
    if (enc == E::kGzip) {  // one accepted 9 MB body: storing it costs a server about a second
      Response ok = send(body_of_size(ctx, "limit" + std::to_string(n), kMaxPayloadBytes), enc);
      ctx.expect(ok.status == 201, name + ": a body of exactly 9437184 bytes accepted (201)",
                 ok.summary());
    }
    Response over = send(body_of_size(ctx, "over" + std::to_string(n), kMaxPayloadBytes + 1), enc);
    expect_error(ctx, over, {413}, name + ": a body of 9437185 decoded bytes");
    ++n;
  }
  return Outcome::pass();
}

RQ_CHECK(lock_timeline,
         {.id = "rq.readback.lock_timeline",
          .title = "A prolonged lock holds past its first expiry and frees the request at its "
                   "new one (front with forefront); expiries and timestamps follow the clock",
          .operation = O::kRequestLockPut,
          .level = Level::kMust,
          .source = "spec section 4 (14): \"lockExpiresAt ~ now + lockSecs\"; (15): \"forefront = "
                    "where the request goes when the lock expires\"; section 6.2: modifiedAt "
                    "changes on locking, accessedAt on any access; decision 39",
          .catches = "prolongs that are answered but not stored, expiries computed from another "
                     "clock, timestamps that do not move or sit in another time zone",
          .breaking_bug = "ProlongNotStored"}) {
  const TimeMs t0 = SystemClock().now_ms();
  const std::string& q = ctx.queue();
  auto created = queue_info(ctx, q);
  ctx.expect(std::llabs(created.created_at - t0) < 10 * 60 * 1000,
             "createdAt within 10 minutes of this machine's clock",
             format_iso8601(created.created_at) + " vs " + format_iso8601(t0));
  add(ctx, q, "p");
  add(ctx, q, "z");
  // Both in the head before the lock: the calls between the prolong and the head read below are
  // then only those of q2 (a reproducer replays them all inside that window).
  await_in_head(ctx, q, ids_of(ctx, {"p", "z"}));
  std::string owner = ctx.new_client_key();
  LockHeadOptions lo;
  lo.lock_secs = 1;
  lo.limit = 1;
  lo.client_key = owner;
  auto locked = ctx.ok(ctx.api().list_and_lock_head(q, lo), "locking p for 1 s");
  ctx.expect(locked.items.size() == 1 && locked.items[0].lock_expires_at, "p locked",
             std::to_string(locked.items.size()) + " items");
  const TimeMs first_expiry = *locked.items[0].lock_expires_at;
  const TimeMs locked_at = SystemClock().now_ms();  // the first lock expires ~1 s after this
  ProlongLockOptions po;
  po.lock_secs = 2;
  po.forefront = true;
  po.client_key = owner;
  const TimeMs prolong_sent = SystemClock().now_ms();  // the new lock holds ~2 s after this
  const TimeMs new_expiry =
      ctx.ok(ctx.api().prolong_request_lock(q, id_of(ctx, "p"), po), "prolonging p by 2 s");
  ctx.expect(new_expiry > first_expiry, "the new lockExpiresAt after the first",
             format_iso8601(new_expiry) + " vs " + format_iso8601(first_expiry));
  const std::string q2 = ctx.new_queue();
  add(ctx, q2, "old");
  // modifiedAt may lag (counters); a stale first read only makes the later comparison easier.
  const TimeMs q2_modified = queue_info(ctx, q2).modified_at;

  // Read the head 1.3 s after the first lock, past its first expiry and (by this machine's clock)
  // at least 300 ms before the prolonged one. A slow target or machine can spend that window on
  // the calls above: then the read proves nothing either way and is only noted, never failed.
  const TimeMs read_at = locked_at + 1300;
  if (TimeMs now = SystemClock().now_ms(); now < read_at) {
    std::this_thread::sleep_for(std::chrono::milliseconds(read_at - now));
  }
  const TimeMs read_sent = SystemClock().now_ms();
  auto ids = head_ids(ctx, q, std::nullopt, ctx.new_client_key());
  if (read_sent + 300 <= prolong_sent + 2000) {
    ctx.expect(ids == ids_of(ctx, {"z"}), "1.3 s in: head [z] (p's lock was prolonged)", join(ids));
  } else {
    ctx.observe_note("the head read between the two expiries was not judged: it was sent " +
                     std::to_string(read_sent - prolong_sent) +
                     " ms after the 2 s prolong (the calls between took too long)");
  }
  // Two requests locked by one call, one waiting 1.3 s longer: one expiry, from now.
  add(ctx, q2, "new");
  await_in_head(ctx, q2, ids_of(ctx, {"old", "new"}));
  LockHeadOptions l2;
  l2.lock_secs = 60;
  l2.limit = 2;
  l2.client_key = ctx.new_client_key();
  auto both = ctx.ok(ctx.api().list_and_lock_head(q2, l2), "locking old and new together");
  ctx.expect(both.items.size() == 2, "2 locked", std::to_string(both.items.size()));
  if (both.items.size() == 2 && both.items[0].lock_expires_at && both.items[1].lock_expires_at) {
    ctx.expect(std::llabs(*both.items[0].lock_expires_at - *both.items[1].lock_expires_at) < 250,
               "the same lockExpiresAt for both (now + 60 s)",
               format_iso8601(*both.items[0].lock_expires_at) + " / " +
                   format_iso8601(*both.items[1].lock_expires_at));
  }
  auto q2_after = queue_info_when(
      ctx, q2, [&](const RequestQueueInfo& i) { return i.modified_at > q2_modified; });
  ctx.expect(q2_after.modified_at > q2_modified, "q2's modifiedAt moved with the add and lock",
             format_iso8601(q2_after.modified_at) + " (was " + format_iso8601(q2_modified) + ")");
  ctx.expect(q2_after.modified_at > q2_after.created_at, "q2's modifiedAt after its createdAt",
             format_iso8601(q2_after.modified_at));

  // p comes back at its new expiry, in front (forefront). Wait for it from this machine's view:
  // the prolong added new_expiry - first_expiry to the first expiry.
  // A reclaimed request may lag into the head: the target's consistency bound is added.
  const TimeMs until =
      t0 + 1000 + (new_expiry - first_expiry) + 2500 + ctx.target().consistency_wait_ms;
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(150));
    ids = head_ids(ctx, q, std::nullopt, ctx.new_client_key());
    if (contains(ids, id_of(ctx, "p")) || SystemClock().now_ms() > until) break;
  }
  ctx.expect(ids == ids_of(ctx, {"p", "z"}), "after the new expiry: head [p, z] (forefront)",
             join(ids));
  auto before_lock = queue_info(ctx, q);
  // Only reads since the add of z over a second ago: accessedAt is past modifiedAt.
  ctx.expect(before_lock.accessed_at > before_lock.modified_at,
             "accessedAt moved with the reads of the last seconds, past modifiedAt",
             format_iso8601(before_lock.accessed_at) + " (modifiedAt " +
                 format_iso8601(before_lock.modified_at) + ")");
  lock_ids(ctx, q, ctx.new_client_key(), 1);
  auto after_lock = queue_info_when(
      ctx, q, [&](const RequestQueueInfo& i) { return i.modified_at > before_lock.modified_at; });
  ctx.expect(after_lock.modified_at > before_lock.modified_at, "head/lock moved modifiedAt",
             format_iso8601(after_lock.modified_at) + " (was " +
                 format_iso8601(before_lock.modified_at) + ")");
  return Outcome::pass();
}

}  // namespace
}  // namespace rqcheck::conformance
