// The self-test of the catalogue: for every check, one test that runs it against the fake
// (it must pass, or skip with a reason where the fake cannot show the behaviour) and one test
// that runs it against the fake with the check's breaking bug on (it must fail). Tests are
// registered at run time, one per check (testing::RegisterTest).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "../tools/fake_target.h"
#include "rqcheck/conformance/reproducer.h"
#include "rqcheck/conformance/runner.h"

namespace {

using namespace rqcheck;
using namespace rqcheck::conformance;

std::string test_name(const std::string& id) {
  std::string s = id;
  for (char& c : s) {
    if (c == '.') c = '_';
  }
  return s;
}

std::string explain(const CheckResult& r) {
  std::string s = std::string(status_name(r.outcome.status));
  if (!r.outcome.expected.empty()) s += "\n  expected: " + r.outcome.expected;
  if (!r.outcome.received.empty()) s += "\n  received: " + r.outcome.received;
  if (!r.outcome.reason.empty()) s += "\n  reason: " + r.outcome.reason;
  for (const auto& ex : r.outcome.evidence) s += "\n  " + client::describe(ex);
  return s;
}

class PassesAgainstFake : public testing::Test {
 public:
  explicit PassesAgainstFake(const Check* c) : check_(c) {}
  void TestBody() override {
    RunState run;
    run.prefix = "rqc-selftest";
    CheckResult r = run_against_fake(*check_, {}, run);
    EXPECT_EQ(r.outcome.status, Verdict::kPass) << check_->id << ": " << explain(r);
    // The correct fake's answers match their schemas.
    for (const auto& f : run.schema.snapshot()) {
      ADD_FAILURE() << check_->id << ": schema finding " << f.id << " " << finding_title(f)
                    << " (e.g. " << f.example << ")";
    }
  }

 private:
  const Check* check_;
};

class FailsWithBreakingBug : public testing::Test {
 public:
  explicit FailsWithBreakingBug(const Check* c) : check_(c) {}
  void TestBody() override {
    ASSERT_FALSE(check_->breaking_bug.empty()) << check_->id << " names no breaking bug";
    RunState run;
    run.prefix = "rqc-selftest";
    CheckResult r = run_against_fake(*check_, {check_->breaking_bug}, run);
    EXPECT_EQ(r.outcome.status, Verdict::kFail)
        << check_->id << " did not fail with bug " << check_->breaking_bug << ": " << explain(r);
  }

 private:
  const Check* check_;
};

// Runs `command` with bash, returns its exit code and output.
int run_script(const std::string& command, std::string* output) {
  std::string cmd = command + " 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

// Bugs whose answers differ from one fake to the next, so no replay can meet the failing run's
// answers byte for byte: for them the script must print the mismatch, and still say NOT
// REPRODUCED against a correct fake.
const char* unrepeatable_reason(const std::string& bug) {
  if (bug == "RequestIdNotDerived") {
    return "makes request ids from the queue id, and each target hands out other queue ids";
  }
  return nullptr;
}

// The reproducer of a check's failure (with its breaking bug), run against a fresh fake with the
// bug (it must say REPRODUCED and exit 1) and against a correct fake (NOT REPRODUCED, exit 0).
class ReproducerReproduces : public testing::Test {
 public:
  explicit ReproducerReproduces(const Check* c) : check_(c) {}
  void TestBody() override {
    RunState run;
    run.prefix = "rqc-repro";
    std::string url;
    CheckResult r = run_against_fake(*check_, {check_->breaking_bug}, run, &url);
    ASSERT_EQ(r.outcome.status, Verdict::kFail) << explain(r);
    RunReport report;
    report.base_url = url;
    report.prefix = run.prefix;
    report.started_at = "2026-01-01T00:00:00.000Z";
    report.target.is_embedded_fake = true;
    report.target.fake_bugs = {check_->breaking_bug};
    report.target.fake_rate_limits = (check_->needs & kNeedRateLimits) != 0;
    std::string rel = reproducer_path(r);
    ASSERT_FALSE(rel.empty());
    ReplayScript script = reproducer(r, report);
    auto dir = std::filesystem::temp_directory_path() /
               ("rqcheck-repro-" + std::to_string(::getpid()) + "-" + test_name(check_->id));
    std::filesystem::create_directories(dir / "repro");
    std::string path = (dir / rel).string();
    std::ofstream(path) << script.script;
    for (const auto& [name, content] : script.side_files) {
      std::ofstream((dir / "repro" / name).string(), std::ios::binary) << content;
    }
    for (bool with_bug : {true, false}) {
      fake::FakeServerOptions fo;
      fo.threads = 8;
      fo.store.rate_limits.enabled = report.target.fake_rate_limits;
      if (with_bug) fo.bugs = {check_->breaking_bug};
      // Another seed: this target hands out other queue ids than the failing run's fake did,
      // so the script must use the ids it is given.
      fo.store.seed = 20261201;
      fake::FakeServer server(fo);
      ASSERT_TRUE(server.start());
      std::string out;
      int code = run_script("BASE_URL=" + server.base_url() + " APIFY_TOKEN=" + kFakeToken +
                                " APIFY_SECOND_TOKEN=" + kFakeSecondToken + " bash " + path,
                            &out);
      server.stop();
      if (with_bug && unrepeatable_reason(check_->breaking_bug)) {
        std::cout << check_->breaking_bug << ": " << unrepeatable_reason(check_->breaking_bug)
                  << "; the script shows the mismatch\n";
        EXPECT_EQ(code, 0) << out;
        EXPECT_NE(out.find("<- differs"), std::string::npos) << out;
        EXPECT_NE(out.find("  received: " + r.outcome.received.substr(0, 20)), std::string::npos)
            << out;
      } else if (with_bug) {
        EXPECT_EQ(code, 1) << "against a fake with " << check_->breaking_bug << ":\n" << out;
        EXPECT_NE(out.find("\nREPRODUCED"), std::string::npos) << out;
      } else {
        EXPECT_EQ(code, 0) << "against a correct fake:\n" << out;
        EXPECT_NE(out.find("NOT REPRODUCED"), std::string::npos) << out;
      }
    }
    std::filesystem::remove_all(dir);
  }

 private:
  const Check* check_;
};

}  // namespace

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  for (const Check& c : all_checks()) {
    const Check* p = &c;
    std::string name = test_name(c.id);
    testing::RegisterTest("ConformancePassesAgainstFake", name.c_str(), nullptr, c.id.c_str(),
                          __FILE__, __LINE__,
                          [p]() -> testing::Test* { return new PassesAgainstFake(p); });
    testing::RegisterTest("ConformanceFailsWithBreakingBug", name.c_str(), nullptr,
                          c.breaking_bug.c_str(), __FILE__, __LINE__,
                          [p]() -> testing::Test* { return new FailsWithBreakingBug(p); });
    testing::RegisterTest("ConformanceReproducer", name.c_str(), nullptr, c.breaking_bug.c_str(),
                          __FILE__, __LINE__,
                          [p]() -> testing::Test* { return new ReproducerReproduces(p); });
  }
  return RUN_ALL_TESTS();
}
