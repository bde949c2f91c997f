// The registry's own rules: stable well-formed ids, metadata, every operation covered, and
// every check tied to a bug of the fake's catalogue (and every bug caught by some check).
#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "rqcheck/conformance/check.h"
#include "rqcheck/conformance/runner.h"
#include "rqcheck/fake_server/server.h"

namespace {

using namespace rqcheck;
using namespace rqcheck::conformance;

TEST(RegistryTest, IdsAreWellFormedAndUnique) {
  std::regex id_re("^rq\\.[a-z_]+\\.[a-z0-9_]+$");
  std::set<std::string> seen;
  ASSERT_GE(all_checks().size(), 40u);
  for (const auto& c : all_checks()) {
    EXPECT_TRUE(std::regex_match(c.id, id_re)) << c.id;
    EXPECT_TRUE(seen.insert(c.id).second) << "duplicate id " << c.id;
    EXPECT_FALSE(c.title.empty()) << c.id;
    EXPECT_FALSE(c.source.empty()) << c.id;
    EXPECT_FALSE(c.catches.empty()) << c.id;
    EXPECT_TRUE(c.fn) << c.id;
  }
}

TEST(RegistryTest, EveryCheckHasABreakingBugOfTheFake) {
  std::set<std::string> bugs;
  for (const auto& b : fake::bug_catalogue()) bugs.insert(b.name);
  for (const auto& c : all_checks()) {
    EXPECT_FALSE(c.breaking_bug.empty()) << c.id << " names no breaking bug";
    EXPECT_TRUE(bugs.count(c.breaking_bug))
        << c.id << ": bug " << c.breaking_bug << " is not in the fake's catalogue";
  }
}

// Bugs that only the schema validation of every response catches (one wrong field that no
// check reads): SchemaFindingsTest proves that each gives a schema finding.
const std::set<std::string> kCaughtBySchema = {"StorageBytesAsString"};

TEST(RegistryTest, EveryBugOfTheFakeIsCaughtBySomeCheck) {
  std::set<std::string> used;
  for (const auto& c : all_checks()) used.insert(c.breaking_bug);
  for (const auto& b : fake::bug_catalogue()) {
    // The second set is written from the contract, not for a check: suite_selftest.cc proves
    // that the whole suite catches each of them.
    if (b.set == "second") continue;
    if (kCaughtBySchema.count(b.name)) {
      EXPECT_FALSE(used.count(b.name)) << b.name << " is named by a check: not schema-only";
    } else {
      EXPECT_TRUE(used.count(b.name)) << "no check names bug " << b.name;
    }
    EXPECT_FALSE(b.description.empty()) << b.name;
  }
}

TEST(RegistryTest, EveryOperationHasAMustCheck) {
  for (const auto& op : request_queue_operations()) {
    bool covered = false;
    for (const auto& c : all_checks()) covered = covered || c.operation == op.op;
    EXPECT_TRUE(covered) << op.id << " has no check";
  }
}

TEST(SelectionTest, GlobsLevelsAndShards) {
  EXPECT_TRUE(glob_match("rq.batch_*", "rq.batch_add.max_25"));
  EXPECT_TRUE(glob_match("rq.*.max_2?", "rq.batch_add.max_25"));
  EXPECT_FALSE(glob_match("rq.list.*", "rq.batch_add.max_25"));
  Selection s;
  s.only = {"rq.batch_add.*"};
  s.skip = {"rq.batch_add.max_25"};
  for (const Check* c : select_checks(s)) {
    EXPECT_EQ(c->id.rfind("rq.batch_add.", 0), 0u);
    EXPECT_NE(c->id, "rq.batch_add.max_25");
  }
  Selection all;
  std::size_t total = select_checks(all).size();
  std::size_t sum = 0;
  for (int i = 0; i < 3; ++i) {
    Selection shard;
    shard.total_shards = 3;
    shard.shard_index = i;
    sum += select_checks(shard).size();
  }
  EXPECT_EQ(sum, total);
  Selection must;
  must.levels = {Level::kMust};
  for (const Check* c : select_checks(must)) EXPECT_EQ(c->level, Level::kMust);
}

}  // namespace
