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

#include "rqcheck/core/json.h"

#ifndef RQ_FAKE_BIN
#error "RQ_FAKE_BIN must name the rq-fake binary"
#endif

namespace rqcheck {
namespace {

namespace fs = std::filesystem;

// A child rq-fake: stdout on a pipe (its first line names the port), stderr in a file.
struct Child {
  pid_t pid = -1;
  int port = 0;
  std::string first_line, err_file;

  bool start(const std::vector<std::string>& args, const std::string& err_path) {
    int out[2];
    if (::pipe(out) != 0) return false;
    err_file = err_path;
    pid = ::fork();
    if (pid == 0) {
      ::dup2(out[1], 1);
      int e = ::open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
      if (e >= 0) ::dup2(e, 2);
      ::close(out[0]);
      std::vector<char*> argv;
      static std::string bin = RQ_FAKE_BIN;
      argv.push_back(bin.data());
      std::vector<std::string> copy = args;
      for (auto& a : copy) argv.push_back(a.data());
      argv.push_back(nullptr);
      ::execv(bin.c_str(), argv.data());
      ::_exit(127);
    }
    ::close(out[1]);
    std::string line;
    char c;
    while (::read(out[0], &c, 1) == 1 && c != '\n') line += c;
    ::close(out[0]);
    first_line = line;
    auto colon = line.rfind(':');
    if (line.rfind("rq-fake listening on ", 0) != 0 || colon == std::string::npos) return false;
    port = std::atoi(line.c_str() + colon + 1);
    return port > 0;
  }
  int wait_exit() {
    int st = 0;
    if (pid <= 0 || ::waitpid(pid, &st, 0) != pid) return -1;
    pid = -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  }
  int stop() {
    if (pid > 0) ::kill(pid, SIGTERM);
    return wait_exit();
  }
  std::string stderr_text() const {
    std::ifstream in(err_file);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  ~Child() {
    if (pid > 0) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, nullptr, 0);
    }
  }
};

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
  int Run(const std::string& budget, int adds, Child& child) {
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
  Child child;
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
  Child child;
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
    Child child;
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
