// rq-fake --budget through the binary (docs/cost.md): a run over its budget writes a report
// whose status is "fail", with a cost.over_budget finding naming the metric, the budget and
// the actual, and exits 3; a run within it passes and exits 0; bad --budget syntax exits 2 with
// a message. Every run prints its one-line cost summary to stderr at exit.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "child_fake.h"
#include "rqcheck/core/json.h"

namespace rqcheck {
namespace {

namespace fs = std::filesystem;
using fake::test_support::ChildFake;

class RqFakeBudgetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rq-budget-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Starts rq-fake with `budget`, makes `adds` single adds (one write each) and stops it.
  int Run(const std::string& budget, int adds, ChildFake& child) {
    const std::string report = (dir_ / "report.json").string();
    EXPECT_TRUE(child.start({"--port", "0", "--report", report, "--budget", budget},
                            (dir_ / "stderr.txt").string()))
        << child.first_line << child.stderr_text();
    httplib::Client c("127.0.0.1", child.port);
    c.set_default_headers({{"Authorization", "Bearer budget-token"}});
    auto q = c.Post("/v2/request-queues", "", "application/json");
    EXPECT_TRUE(q && q->status == 201);
    if (!q || q->status != 201) return -1;
    std::string id = Json::parse(q->body)["data"]["id"].get<std::string>();
    for (int i = 0; i < adds; ++i) {
      Json body{{"uniqueKey", "k" + std::to_string(i)},
                {"url", "http://e.com/" + std::to_string(i)}};
      auto r = c.Post("/v2/request-queues/" + id + "/requests?clientKey=gate", body.dump(),
                      "application/json");
      EXPECT_TRUE(r && r->status == 201);
    }
    return child.stop();
  }
  Json Report() const {
    std::ifstream in(dir_ / "report.json");
    std::string text((std::istreambuf_iterator<char>(in)), {});
    Json j = Json::parse(text, nullptr, false);
    EXPECT_FALSE(j.is_discarded()) << text.substr(0, 300);
    return j;
  }
  fs::path dir_;
};

TEST_F(RqFakeBudgetTest, OverBudgetFailsTheReportAndTheExitCode) {
  ChildFake child;
  EXPECT_EQ(Run("writes=3,reads=100", 5, child), 3) << child.stderr_text();
  Json r = Report();
  EXPECT_EQ(r["status"], "fail");
  ASSERT_EQ(r["cost"]["findings"].size(), 1u) << r["cost"].dump();
  EXPECT_EQ(r["cost"]["findings"][0]["rule"], "cost.over_budget");
  EXPECT_EQ(r["cost"]["findings"][0]["message"],
            "the run made 5 writes, over the budget of 3 (--budget writes=3)");
  EXPECT_EQ(r["cost"]["total"]["writes"], 5);
  std::string err = child.stderr_text();
  EXPECT_NE(err.find("rq-fake: cost: 6 request-queue calls from 2 client(s): 0 reads, 5 writes"),
            std::string::npos)
      << err;
  EXPECT_NE(err.find("OVER BUDGET: writes 5 > 3"), std::string::npos) << err;
  std::ifstream txt(dir_ / "report.json.txt");
  std::string text((std::istreambuf_iterator<char>(txt)), {});
  EXPECT_NE(text.find("OVER BUDGET: the run made 5 writes"), std::string::npos) << text;
  EXPECT_NE(text.find("Status: fail"), std::string::npos) << text;
}

TEST_F(RqFakeBudgetTest, WithinBudgetPasses) {
  ChildFake child;
  EXPECT_EQ(Run("writes=5,refused=0", 5, child), 0) << child.stderr_text();
  Json r = Report();
  EXPECT_EQ(r["status"], "pass");
  EXPECT_TRUE(r["cost"]["withinBudget"].get<bool>());
  EXPECT_EQ(r["cost"]["budget"], (Json{{"writes", 5}, {"refused", 0}}));
  EXPECT_NE(child.stderr_text().find("within budget"), std::string::npos) << child.stderr_text();
}

TEST_F(RqFakeBudgetTest, BadBudgetSyntaxExitsTwoWithAMessage) {
  for (const std::vector<std::string>& args :
       {std::vector<std::string>{"--budget", "writes=lots"},
        std::vector<std::string>{"--budget", "bytes=5"}, std::vector<std::string>{"--budget"}}) {
    ChildFake child;
    std::vector<std::string> all = {"--port", "0"};
    all.insert(all.end(), args.begin(), args.end());
    EXPECT_FALSE(child.start(all, (dir_ / "stderr.txt").string()));
    EXPECT_EQ(child.wait_exit(), 2);
    std::string err = child.stderr_text();
    EXPECT_NE(err.find("rq-fake: "), std::string::npos) << err;
    EXPECT_NE(err.find("--budget"), std::string::npos) << err;
    if (args.size() == 2 && args[1] == "bytes=5") {
      EXPECT_NE(err.find("unknown metric 'bytes'"), std::string::npos) << err;
    }
    if (args.size() == 2 && args[1] == "writes=lots") {
      EXPECT_NE(err.find("whole number"), std::string::npos) << err;
    }
  }
}

}  // namespace
}  // namespace rqcheck
