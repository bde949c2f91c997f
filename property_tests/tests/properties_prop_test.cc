// Every property against an embedded rq-fake, one test each (ctest runs them in parallel).
#include <gtest/gtest.h>

#include "properties.h"

namespace rqcheck::prop {
namespace {

void expect_passes(const std::string& name) {
  PropertyOutcome r = run_property(name, RunOptions{});
  std::cout << name << ": " << r.cases << " cases, " << r.seconds << " s, seed " << r.seed << "\n";
  ASSERT_TRUE(r.passed) << r.message << "\nreplay script:\n" << r.replay_script;
}

TEST(PropertiesTest, Dedup) { expect_passes("dedup"); }
TEST(PropertiesTest, Pagination) { expect_passes("pagination"); }
TEST(PropertiesTest, Counters) { expect_passes("counters"); }
TEST(PropertiesTest, Locks) { expect_passes("locks"); }
TEST(PropertiesTest, Order) { expect_passes("order"); }
TEST(PropertiesTest, Retry) { expect_passes("retry"); }

}  // namespace
}  // namespace rqcheck::prop
