#include "rqcheck/core/contract.h"

#include <gtest/gtest.h>

namespace rqcheck {
namespace {

TEST(ContractTest, DecisionsAreNumberedOneToForty) {
  for (std::size_t i = 0; i < decisions().size(); ++i) {
    EXPECT_EQ(decisions()[i].number, static_cast<int>(i) + 1);
    EXPECT_FALSE(decisions()[i].topic.empty());
    EXPECT_FALSE(decisions()[i].fake_does.empty());
    EXPECT_FALSE(decisions()[i].level.empty());
  }
  EXPECT_EQ(decision(0), nullptr);
  EXPECT_EQ(decision(41), nullptr);
  EXPECT_EQ(decision(31)->number, 31);
}

TEST(ContractTest, CitedDecisionsAreFoundInFreeText) {
  EXPECT_EQ(cited_decisions("decision 6: \"a batch\""), (std::vector<int>{6}));
  EXPECT_EQ(cited_decisions("spec 4 (11); decisions 2, 3 and 19"), (std::vector<int>{2, 3, 19}));
  EXPECT_EQ(cited_decisions("decision 31/32, decision 31 again"), (std::vector<int>{31, 32}));
  EXPECT_EQ(cited_decisions("decision 99 and decision x"), (std::vector<int>{}));
  EXPECT_EQ(cited_decisions("batch-add-requests.txt: \"25\""), (std::vector<int>{}));
}

}  // namespace
}  // namespace rqcheck
