// The model's own invariants (RapidCheck's GoogleTest bridge), so a model bug shows up here and
// not as a false alarm against a target.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "model/queue_model.h"

namespace rqcheck::prop {
namespace {

TEST(QueueModelTest, AddTwiceIsAlreadyPresent) {
  QueueModel m;
  EXPECT_FALSE(m.add("a", "u", false, false).was_already_present);
  auto again = m.add("a", "v", true, true);
  EXPECT_TRUE(again.was_already_present);
  EXPECT_FALSE(again.was_already_handled);
  EXPECT_EQ(m.find_key("a")->url, "u");
  EXPECT_EQ(m.total(), 1);
}

TEST(QueueModelTest, ForefrontNewestFirstThenFifo) {
  QueueModel m;
  m.add("a", "u", false, false);
  m.add("b", "u", false, true);
  m.add("c", "u", false, true);
  m.add("d", "u", false, false);
  auto order = m.queue_order();
  ASSERT_EQ(order.size(), 4u);
  EXPECT_EQ(order[0].unique_key, "c");
  EXPECT_EQ(order[1].unique_key, "b");
  EXPECT_EQ(order[2].unique_key, "a");
  EXPECT_EQ(order[3].unique_key, "d");
}

TEST(QueueModelTest, ExpiredLockReturnsToHead) {
  QueueModel m;
  m.add("a", "u", false, false);
  EXPECT_EQ(m.lock_head("c1", 5, 1000).size(), 1u);
  EXPECT_TRUE(m.head(5).empty());
  EXPECT_EQ(m.prolong("c2", m.id_of("a"), 1000, false), LockOutcome::kNotOwner);
  m.advance(1000);
  EXPECT_EQ(m.head(5).size(), 1u);
}

// The lag-tolerant mode's window (--consistency-lag): a request that became new at t may be
// left out of head until t + bound - 1 and must show from t + bound on; so must one whose lock
// expired at t, counted from its expiry.
TEST(QueueModelTest, LagWindowEndsAtTheBound) {
  QueueModel m;
  m.set_consistency_lag(300);
  m.advance(1000);
  m.add("a", "u", false, false);  // new at 1000
  const std::string a = m.id_of("a");
  m.advance(299);  // 1299 = t + MS - 1
  EXPECT_FALSE(m.surely_visible(*m.find_id(a)));
  EXPECT_TRUE(m.surely_visible_order().empty());
  EXPECT_EQ(m.queue_order().size(), 1u);  // still available: head may show it
  m.advance(1);                           // 1300 = t + MS
  EXPECT_TRUE(m.surely_visible(*m.find_id(a)));
  ASSERT_EQ(m.surely_visible_order().size(), 1u);

  // Reclaimed: locked at 1300 for 1000 ms, expired at 2300; visible from 2600 on, even though the
  // model only learns of the expiry later.
  ASSERT_EQ(m.lock_head("c1", 1, 1000).size(), 1u);
  EXPECT_EQ(m.settle_time(), 2300 + 300);
  m.advance(1299);  // 2599
  EXPECT_FALSE(m.surely_visible(*m.find_id(a)));
  m.advance(1);  // 2600
  EXPECT_TRUE(m.surely_visible(*m.find_id(a)));
  EXPECT_EQ(m.settle_time(), m.lag_now());

  // Released by unlock at 2600 after a new lock: visible from 2900.
  m.lock_head("c2", 1, 60000);
  EXPECT_EQ(m.unlock("c2"), 1);
  m.advance(299);
  EXPECT_FALSE(m.surely_visible(*m.find_id(a)));
  m.advance(1);
  EXPECT_TRUE(m.surely_visible(*m.find_id(a)));
}

TEST(QueueModelTest, WithoutABoundEveryRequestIsVisibleAtOnce) {
  QueueModel m;
  m.add("a", "u", false, false);
  EXPECT_TRUE(m.surely_visible(*m.find_key("a")));
  EXPECT_FALSE(m.counters_allowed(0, 0, 0));  // the value of before the add: refused
  EXPECT_TRUE(m.counters_allowed(1, 0, 1));
}

// Against a real clock the lag is measured on the wall time the harness sets.
TEST(QueueModelTest, LagCountsOnTheWallClock) {
  QueueModel m;
  m.set_consistency_lag(500);
  m.set_wall(100);
  m.add("a", "u", false, false);
  m.set_wall(599);
  EXPECT_FALSE(m.surely_visible(*m.find_key("a")));
  m.set_wall(600);
  EXPECT_TRUE(m.surely_visible(*m.find_key("a")));
  EXPECT_EQ(m.now(), 0);  // the lock clock stands still
}

// Counters may show any value each had within the bound (with total = handled + pending), and
// only the current ones from t + bound on.
TEST(QueueModelTest, CountersTrailWithinTheBound) {
  QueueModel m;
  m.set_consistency_lag(200);
  m.add("a", "u", false, false);  // at 0: (0, 0, 0) -> (1, 0, 1)
  m.advance(50);
  m.put("a", "u", true, false);  // at 50: -> (1, 1, 0)
  EXPECT_TRUE(m.counters_allowed(1, 1, 0));
  EXPECT_TRUE(m.counters_allowed(1, 0, 1));
  EXPECT_TRUE(m.counters_allowed(0, 0, 0));
  EXPECT_FALSE(m.counters_allowed(1, 1, 1));  // total != handled + pending
  EXPECT_FALSE(m.counters_allowed(2, 1, 1));  // never had total 2
  m.advance(149);                             // 199: the values replaced at 0 are still allowed
  EXPECT_TRUE(m.counters_allowed(0, 0, 0));
  m.advance(1);  // 200 = 0 + bound
  EXPECT_FALSE(m.counters_allowed(0, 0, 0));
  EXPECT_TRUE(m.counters_allowed(1, 0, 1));  // replaced at 50
  EXPECT_EQ(m.settle_time(), 250);
  m.advance(50);  // 250
  EXPECT_FALSE(m.counters_allowed(1, 0, 1));
  EXPECT_TRUE(m.counters_allowed(1, 1, 0));
  EXPECT_EQ(m.counters_expected(), "total 1 = handled 1 + pending 0");
}

RC_GTEST_PROP(QueueModelTest, CountersAddUp, (std::vector<std::pair<std::string, bool>> ops)) {
  QueueModel m;
  for (const auto& [k, handled] : ops) {
    if (k.size() % 3 == 0)
      m.put(k, k, handled, false);
    else
      m.add(k, k, handled, false);
  }
  RC_ASSERT(m.total() == m.handled() + m.pending());
  RC_ASSERT(m.matching(ListFilter::kPending).size() == static_cast<std::size_t>(m.pending()));
}

}  // namespace
}  // namespace rqcheck::prop
