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
