// Every registered property against an embedded rq-fake (it must pass), and against the fake with
// the property's breaking bug (it must fail, with a replay script): one test each, registered at
// run time from the registry (ctest runs them in parallel). And the registry's own rules.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <regex>
#include <set>

#include "properties.h"
#include "rqcheck/fake_server/server.h"

namespace rqcheck::prop {
namespace {

bool fake_knows(const std::string& bug) {
  auto all = fake::bug_catalogue();
  return std::any_of(all.begin(), all.end(), [&](const auto& b) { return b.name == bug; });
}

class PassesAgainstFake : public testing::Test {
 public:
  explicit PassesAgainstFake(const Property* p) : p_(p) {}
  void TestBody() override {
    PropertyOutcome r = run_property(*p_, RunOptions{});
    std::cout << p_->id << ": " << r.cases << " cases, " << r.seconds << " s, seed " << r.seed
              << "\n";
    ASSERT_TRUE(r.passed) << r.message << "\nreplay script:\n" << r.replay_script;
    EXPECT_FALSE(r.gave_up);
    EXPECT_EQ(r.cases, r.max_success);
  }

 private:
  const Property* p_;
};

// The tester is tested (STYLE.md section 1): the property must find its breaking bug.
class FailsWithBreakingBug : public testing::Test {
 public:
  explicit FailsWithBreakingBug(const Property* p) : p_(p) {}
  void TestBody() override {
    RunOptions o;
    if (p_->client_side_bug) {
      ASSERT_EQ(p_->breaking_bug, "DropUnprocessed") << "unknown client-side bug";
      o.client_drops_unprocessed = true;
    } else {
      // A missing bug is a failure, not a skip: the property would be unguarded.
      ASSERT_TRUE(fake_knows(p_->breaking_bug))
          << "rq-fake has no bug named " << p_->breaking_bug << " (rq-fake --list-bugs)";
      o.bugs = {p_->breaking_bug};
    }
    o.max_success = 200;
    PropertyOutcome r = run_property(*p_, o);
    std::cout << p_->id << " with " << p_->breaking_bug << ": " << (r.passed ? "passed" : "caught")
              << " after " << r.cases << " cases, " << r.seconds << " s, seed " << r.seed << "\n"
              << r.message << "\n";
    ASSERT_FALSE(r.passed) << "property " << p_->id << " did not find bug " << p_->breaking_bug;
    EXPECT_FALSE(r.gave_up);
    EXPECT_NE(r.replay_script.find("curl"), std::string::npos);
    EXPECT_NE(r.rerun.find("--only " + p_->id), std::string::npos) << r.rerun;
  }

 private:
  const Property* p_;
};

// No false alarms: with each alternative answer of section 9 the fake can give (rq-fake
// --behave), every property still passes.
class PassesWithBenignVariant : public testing::Test {
 public:
  explicit PassesWithBenignVariant(std::string behaviour) : behaviour_(std::move(behaviour)) {}
  void TestBody() override {
    for (const Property& p : all_properties()) {
      RunOptions o;
      o.behaviours = {behaviour_};
      o.max_success = 60;
      PropertyOutcome r = run_property(p, o);
      std::cout << p.id << " with --behave " << behaviour_ << ": " << r.cases << " cases, "
                << r.seconds << " s\n";
      EXPECT_TRUE(r.passed) << p.id << " fails with --behave " << behaviour_ << "\n" << r.message;
    }
  }

 private:
  std::string behaviour_;
};

TEST(PropertyRegistryTest, EveryPropertyIsDescribedAndGuarded) {
  std::regex id_re("^[a-z][a-z_]*$");
  std::set<std::string> ids;
  ASSERT_GE(all_properties().size(), 6u);
  for (const auto& p : all_properties()) {
    EXPECT_TRUE(std::regex_match(p.id, id_re)) << p.id;
    EXPECT_TRUE(ids.insert(p.id).second) << "duplicate id " << p.id;
    EXPECT_FALSE(p.title.empty()) << p.id;
    EXPECT_TRUE(p.level == "must" || p.level == "should") << p.id << ": " << p.level;
    EXPECT_FALSE(p.guards.empty()) << p.id << " guards no decision";
    EXPECT_FALSE(p.breaking_bug.empty()) << p.id << " names no breaking bug";
    EXPECT_TRUE(p.body) << p.id;
    EXPECT_EQ(p.file.rfind("property_tests/properties/", 0), 0u) << p.file;
    EXPECT_GT(p.line, 0) << p.id;
    EXPECT_EQ(find_property(p.id), &p);
  }
  EXPECT_EQ(find_property("nosuch"), nullptr);
  EXPECT_TRUE(run_property("nosuch", RunOptions{}).unknown);
}

}  // namespace
}  // namespace rqcheck::prop

int main(int argc, char** argv) {
  using namespace rqcheck::prop;
  testing::InitGoogleTest(&argc, argv);
  for (const Property& p : all_properties()) {
    const Property* pp = &p;
    testing::RegisterTest("PropertiesPassAgainstFake", p.id.c_str(), nullptr, nullptr, __FILE__,
                          __LINE__, [pp]() -> testing::Test* { return new PassesAgainstFake(pp); });
    testing::RegisterTest("PropertiesFailWithBreakingBug", p.id.c_str(), nullptr,
                          p.breaking_bug.c_str(), __FILE__, __LINE__,
                          [pp]() -> testing::Test* { return new FailsWithBreakingBug(pp); });
  }
  for (const std::string& b : known_behaviours()) {
    // A test name without '-' (gtest filters read it as a negative pattern).
    static std::vector<std::string> names;
    names.push_back(b);
    std::replace(names.back().begin(), names.back().end(), '-', '_');
    testing::RegisterTest("PropertiesPassWithBenignVariant", names.back().c_str(), nullptr, nullptr,
                          __FILE__, __LINE__,
                          [b]() -> testing::Test* { return new PassesWithBenignVariant(b); });
  }
  return RUN_ALL_TESTS();
}
