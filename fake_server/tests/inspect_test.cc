// The store's inspection functions (store.h, "inspection"), what the dashboard reads: each state
// in its own order (pending in queue order, locked by expiry, handled newest first), cursors
// that walk every request of a state exactly once, a bounded `contains` scan, expired locks shown
// as pending, the queue list by user, and reads that change nothing.
#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "rqcheck/core/request_id.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {
namespace {

RequestDraft Draft(const std::string& key) {
  RequestDraft d;
  d.unique_key = key;
  d.url = "https://example.com/" + key;
  return d;
}

class InspectTest : public ::testing::Test {
 protected:
  InspectTest() : clock_(1'700'000'000'000), store_(Options(), clock_) {
    user_ = store_.user_for_token("inspect-token").value();
    queue_ = store_.create_queue(Me(), std::string("inspected"))->info.id;
  }
  static StoreOptions Options() {
    StoreOptions o;
    o.rate_limits.enabled = false;
    return o;
  }
  Caller Me(std::optional<std::string> ck = std::nullopt) const { return Caller{&user_, ck}; }
  QueueRef Ref() const { return QueueRef::by_id(queue_); }

  void Add(const std::string& key, bool front = false) {
    ASSERT_TRUE(store_.add_request(Me(), Ref(), Draft(key), WriteOptions{front}));
  }
  void Handle(const std::string& key, TimeMs at) {
    RequestDraft d = Draft(key);
    d.handled_at = at;
    ASSERT_TRUE(store_.update_request(Me(), Ref(), request_id_for(key), d, WriteOptions{}));
  }

  struct Row {
    std::string unique_key;
    RequestState state;
    StatePosition pos;
    std::string lock_client;
  };
  // One page; `next` gets the page's cursor.
  std::vector<Row> Page(const InspectQuery& q, InspectPage* out = nullptr) {
    std::vector<Row> rows;
    auto page = store_.inspect_requests(queue_, q, [&](const InspectedRequest& r) {
      rows.push_back({std::string(r.view.unique_key), r.state, r.position,
                      std::string(r.view.lock_client_key)});
    });
    EXPECT_TRUE(page) << page.error().message;
    if (page && out) *out = *page;
    return rows;
  }
  // Every page of a state, walked through the cursors.
  std::vector<std::string> Walk(std::optional<RequestState> state, std::int64_t limit,
                                int* pages = nullptr) {
    std::vector<std::string> keys;
    InspectQuery q;
    q.state = state;
    q.limit = limit;
    for (int n = 1;; ++n) {
      InspectPage page;
      for (const Row& r : Page(q, &page)) keys.push_back(r.unique_key);
      EXPECT_LE(page.listed, limit);
      if (pages) *pages = n;
      if (state ? !page.next : !page.next_id) break;
      if (state)
        q.after = page.next;
      else
        q.after_id = page.next_id;
      if (n > 100000) {
        ADD_FAILURE() << "the walk does not end";
        break;
      }
    }
    return keys;
  }
  static std::vector<std::string> Keys(const std::vector<Row>& rows) {
    std::vector<std::string> out;
    for (const Row& r : rows) out.push_back(r.unique_key);
    return out;
  }

  ManualClock clock_;
  Store store_;
  User user_;
  std::string queue_;
};

TEST_F(InspectTest, EachStateInItsOwnOrder) {
  for (int i = 0; i < 6; ++i) Add("p" + std::to_string(i));
  Add("front", true);
  // Locks of different lengths: listed by expiry, not by when they were taken.
  ASSERT_EQ(store_.head_and_lock(Me("long"), Ref(), 600, 2)->items.size(), 2u);  // front, p0
  ASSERT_EQ(store_.head_and_lock(Me("short"), Ref(), 60, 1)->items.size(), 1u);  // p1
  Handle("p4", clock_.now_ms() + 10);
  Handle("p2", clock_.now_ms() + 20);

  InspectQuery q;
  q.state = RequestState::kPending;
  EXPECT_EQ(Keys(Page(q)), (std::vector<std::string>{"p3", "p5"}));
  // The pending order is the head's order.
  auto head = store_.head(Me(), Ref(), 100);
  ASSERT_TRUE(head);
  ASSERT_EQ(head->items.size(), 2u);
  EXPECT_EQ(head->items[0].unique_key, "p3");
  q.state = RequestState::kLocked;
  auto locked = Page(q);
  EXPECT_EQ(Keys(locked), (std::vector<std::string>{"p1", "front", "p0"}));
  EXPECT_EQ(locked[0].lock_client, "short");
  EXPECT_EQ(locked[1].lock_client, "long");
  EXPECT_EQ(locked[0].pos.t, clock_.now_ms() + 60000);  // the position is the expiry
  q.state = RequestState::kHandled;
  EXPECT_EQ(Keys(Page(q)), (std::vector<std::string>{"p2", "p4"}));  // newest first
  // Every request in id order, each with its state.
  q.state.reset();
  auto all = Page(q);
  ASSERT_EQ(all.size(), 7u);
  std::vector<std::string> ids;
  for (const Row& r : all) ids.push_back(request_id_for(r.unique_key));
  EXPECT_TRUE(std::is_sorted(ids.begin(), ids.end()));
  for (const Row& r : all) {
    RequestState want = r.unique_key == "p2" || r.unique_key == "p4" ? RequestState::kHandled
                        : r.unique_key == "p0" || r.unique_key == "p1" || r.unique_key == "front"
                            ? RequestState::kLocked
                            : RequestState::kPending;
    EXPECT_EQ(r.state, want) << r.unique_key;
  }
  auto o = store_.inspect_queue(queue_);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->pending, 2);
  EXPECT_EQ(o->locked, 3);
  EXPECT_EQ(o->handled, 2);
  EXPECT_EQ(o->info.total_request_count, 7);
}

TEST_F(InspectTest, CursorsWalkEveryRequestOfAStateOnce) {
  constexpr int kN = 600;
  for (int i = 0; i < kN; ++i) Add("r" + std::to_string(i), i % 7 == 0);
  ASSERT_EQ(store_.head_and_lock(Me("w"), Ref(), 120, 25)->items.size(), 25u);
  clock_.advance_ms(5);
  ASSERT_EQ(store_.head_and_lock(Me("w"), Ref(), 120, 25)->items.size(), 25u);
  for (int i = 1; i < kN; i += 3) {
    clock_.advance_ms(1);
    Handle("r" + std::to_string(i), clock_.now_ms());
  }
  auto o = store_.inspect_queue(queue_);
  ASSERT_TRUE(o);
  for (auto state :
       {std::optional<RequestState>(RequestState::kPending),
        std::optional<RequestState>(RequestState::kLocked),
        std::optional<RequestState>(RequestState::kHandled), std::optional<RequestState>()}) {
    InspectQuery one;
    one.state = state;
    one.limit = 100000;
    const std::vector<std::string> whole = Keys(Page(one));
    std::int64_t expected = !state                             ? kN
                            : *state == RequestState::kPending ? o->pending
                            : *state == RequestState::kLocked  ? o->locked
                                                               : o->handled;
    ASSERT_EQ(static_cast<std::int64_t>(whole.size()), expected);
    for (std::int64_t limit : {1, 7, 100, 1000}) {
      int pages = 0;
      std::vector<std::string> walked = Walk(state, limit, &pages);
      EXPECT_EQ(walked, whole) << "limit " << limit;
      EXPECT_EQ(std::set<std::string>(walked.begin(), walked.end()).size(), walked.size());
      EXPECT_EQ(pages, std::max<int>(1, static_cast<int>((whole.size() + limit - 1) / limit)))
          << "a full last page has no next cursor (limit " << limit << ")";
    }
  }
}

TEST_F(InspectTest, ContainsLooksAtNoMoreThanMaxScanPerPage) {
  for (int i = 0; i < 1000; ++i) Add("plain-" + std::to_string(i));
  Add("needle-here");
  InspectQuery q;
  q.state = RequestState::kPending;
  q.contains = "needle";
  q.max_scan = 100;
  q.limit = 10;
  int pages = 0;
  std::vector<std::string> found;
  for (;;) {
    ++pages;
    InspectPage page;
    auto rows = Page(q, &page);
    EXPECT_LE(page.scanned, 100);
    for (const Row& r : rows) found.push_back(r.unique_key);
    if (!page.next) break;
    q.after = page.next;
  }
  EXPECT_EQ(found, std::vector<std::string>{"needle-here"});
  EXPECT_EQ(pages, 11);  // 1001 requests, 100 looked at per page
  // The url and the id are searched too.
  q = InspectQuery{};
  q.contains = "example.com/plain-99";
  q.state = RequestState::kPending;
  EXPECT_EQ(Keys(Page(q)).size(), 11u);  // plain-99 and plain-990..999
  q.contains = request_id_for("plain-5");
  EXPECT_EQ(Keys(Page(q)), std::vector<std::string>{"plain-5"});
}

TEST_F(InspectTest, ExpiredLocksShowAsPendingInTheOrderTheNextCallSees) {
  for (int i = 0; i < 4; ++i) Add("e" + std::to_string(i));
  ASSERT_EQ(store_.head_and_lock(Me("gone"), Ref(), 10, 2)->items.size(), 2u);
  auto before = store_.inspect_queue(queue_);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->locked, 2);
  clock_.advance_ms(10'001);
  auto o = store_.inspect_queue(queue_);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->locked, 0);
  EXPECT_EQ(o->pending, 4);
  InspectQuery q;
  q.state = RequestState::kPending;
  std::vector<std::string> shown = Keys(Page(q));
  auto head = store_.head(Me(), Ref(), 10);
  ASSERT_TRUE(head);
  std::vector<std::string> headed;
  for (const auto& h : head->items) headed.push_back(h.unique_key);
  EXPECT_EQ(shown, headed);
}

TEST_F(InspectTest, ReadsChangeNothingAndChargeNoRateLimit) {
  for (int i = 0; i < 3; ++i) Add("s" + std::to_string(i));
  // Two calls a second per queue and two a minute per user: the two get_queue calls below take
  // them all, so a single charged inspection would make the second one fail.
  RateLimits rl = store_.rate_limits();
  rl.enabled = true;
  rl.other_per_sec = 2;
  rl.global_per_minute = 2;
  store_.set_rate_limits(rl);
  auto before = store_.get_queue(Me("only-client"), Ref());
  ASSERT_TRUE(before);
  for (int i = 0; i < 50; ++i) {
    InspectQuery q;
    q.contains = "s";
    ASSERT_EQ(Page(q).size(), 3u);
    ASSERT_TRUE(store_.inspect_queue(queue_));
    ASSERT_TRUE(store_.inspect_request(queue_, request_id_for("s1"), [](const auto&) {}));
    ASSERT_TRUE(store_.inspect_queues(QueueScan{}));
  }
  auto after = store_.get_queue(Me("only-client"), Ref());
  ASSERT_TRUE(after) << "an inspection spent rate-limit budget: " << after.error().message;
  EXPECT_EQ(after->stats.read_count, before->stats.read_count);
  EXPECT_EQ(after->stats.write_count, before->stats.write_count);
  EXPECT_EQ(after->stats.head_item_read_count, before->stats.head_item_read_count);
  EXPECT_EQ(after->modified_at, before->modified_at);
  EXPECT_EQ(after->had_multiple_clients, before->had_multiple_clients);
}

TEST_F(InspectTest, HandledIndexFollowsUpdatesDeletesAndOldDates) {
  Add("h1");
  Add("h2");
  Handle("h1", clock_.now_ms());
  // Back to pending (PUT without handledAt), then deleted while handled.
  ASSERT_TRUE(store_.update_request(Me(), Ref(), request_id_for("h1"), Draft("h1"), {}));
  Handle("h2", clock_.now_ms());
  InspectQuery q;
  q.state = RequestState::kHandled;
  EXPECT_EQ(Keys(Page(q)), std::vector<std::string>{"h2"});
  ASSERT_TRUE(store_.delete_request(Me(), Ref(), request_id_for("h2")));
  EXPECT_TRUE(Page(q).empty());
  // A handledAt before 1970 is still a handledAt.
  auto t = parse_iso8601("1969-07-20T20:17:00.000Z");
  ASSERT_TRUE(t);
  ASSERT_LT(*t, 0);
  Handle("h1", *t);
  auto rows = Page(q);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].pos.t, *t);
  auto o = store_.inspect_queue(queue_);
  ASSERT_TRUE(o);
  EXPECT_EQ(o->handled, 1);
  EXPECT_EQ(o->info.handled_request_count, 1);
  EXPECT_EQ(o->pending, 0);
  ASSERT_TRUE(store_.delete_request(Me(), Ref(), request_id_for("h1")));
  EXPECT_EQ(store_.inspect_queue(queue_)->handled, 0);
}

TEST_F(InspectTest, QueuesPageByUserAndCreation) {
  User bob = store_.user_for_token("bob-token").value();
  Caller b{&bob, std::nullopt};
  for (int i = 0; i < 2; ++i) {
    clock_.advance_ms(1);
    ASSERT_TRUE(store_.create_queue(Me(), "mine-" + std::to_string(i)));
    ASSERT_TRUE(store_.create_queue(b, "bobs-" + std::to_string(i)));
  }
  ASSERT_TRUE(store_.create_queue(b, std::nullopt));  // unnamed queues are listed too
  std::vector<std::string> names;
  QueueScan scan;
  scan.limit = 2;
  int pages = 0;
  for (;;) {
    auto page = store_.inspect_queues(scan);
    ASSERT_TRUE(page);
    EXPECT_EQ(page->total, 6);
    ++pages;
    for (const auto& o : page->items) names.push_back(o.info.name.value_or("(unnamed)"));
    if (!page->next) break;
    scan.after = page->next;
  }
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(names.size(), 6u);
  // Grouped by user, each user's in creation order.
  const bool me_first = user_.id < bob.id;
  std::vector<std::string> mine{"inspected", "mine-0", "mine-1"};
  std::vector<std::string> bobs{"bobs-0", "bobs-1", "(unnamed)"};
  std::vector<std::string> want = me_first ? mine : bobs;
  for (const auto& n : me_first ? bobs : mine) want.push_back(n);
  EXPECT_EQ(names, want);
  // One user's queues only, even after a cursor of the other's.
  QueueScan only;
  only.user_id = bob.id;
  only.limit = 10;
  auto page = store_.inspect_queues(only);
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 3u);
  EXPECT_FALSE(page->next);
  auto mine_page = store_.inspect_queues(QueueScan{user_.id, std::nullopt, 1});
  ASSERT_TRUE(mine_page && mine_page->next);
  only.after = mine_page->next;  // a cursor inside another user's range
  page = store_.inspect_queues(only);
  ASSERT_TRUE(page);
  if (me_first) {
    EXPECT_EQ(page->items.size(), 3u);  // before bob's range: all of bob's
  } else {
    EXPECT_EQ(page->items.size(), 0u);  // past bob's range: nothing
  }
  for (const auto& o : page->items) EXPECT_EQ(o.info.user_id, bob.id);
  EXPECT_EQ(store_.find_user(bob.username)->id, bob.id);
  EXPECT_EQ(store_.find_user(bob.id)->username, bob.username);
  EXPECT_FALSE(store_.find_user("nobody"));
}

TEST_F(InspectTest, UnknownQueueOrRequestIsNotFound) {
  EXPECT_EQ(store_.inspect_queue("AAAAAAAAAAAAAAAAA").error().status, 404);
  EXPECT_EQ(store_.inspect_requests("AAAAAAAAAAAAAAAAA", {}, [](const auto&) {}).error().status,
            404);
  EXPECT_EQ(store_.inspect_request(queue_, "nope", [](const auto&) {}).error().status, 404);
}

}  // namespace
}  // namespace rqcheck::fake
