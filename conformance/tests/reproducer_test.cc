// The reproducers from the tool's side: rq-conformance writes one per failed check into the
// report dir, the HTML shows it, and a script of an embedded fake's run starts its own rq-fake
// with the run's bugs (RQ_FAKE) when no BASE_URL is given. (Every check's reproducer is run
// against a fake with its bug and a correct fake by the ConformanceReproducer tests.)
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "rqcheck/conformance/replay.h"

namespace {

using namespace rqcheck::conformance;

int run(const std::string& command, std::string* output) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return -1;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) output->append(buf, n);
  int st = ::pclose(p);
  return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

std::string slurp(const std::filesystem::path& p) {
  std::ifstream f(p);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

class ReproducerToolTest : public testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("rqcheck-repro-tool-" + std::to_string(::getpid()) + "-" +
            testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(ReproducerToolTest, WrittenShownAndStartsItsOwnFake) {
  std::string out;
  int code = run(std::string(RQCHECK_RQ_CONFORMANCE) +
                     " --no-color --bug CursorSkipsItem --only rq.list.cursor_walk_complete "
                     "--report-dir " +
                     dir_.string(),
                 &out);
  ASSERT_EQ(code, 1) << out;
  auto script = dir_ / "repro" / "rq.list.cursor_walk_complete.sh";
  ASSERT_TRUE(std::filesystem::exists(script)) << out;
  EXPECT_NE(out.find("reproducers: 1 in"), std::string::npos) << out;
  // The HTML shows the script; JUnit and JSON point at it; no report hard-codes a queue id
  // in a curl line any more.
  std::string html = slurp(dir_ / "report.html");
  EXPECT_NE(html.find("bash repro/rq.list.cursor_walk_complete.sh"), std::string::npos);
  EXPECT_NE(html.find("REPRODUCED: every status"), std::string::npos);
  EXPECT_EQ(html.find("curl -sS -X"), std::string::npos);
  EXPECT_NE(slurp(dir_ / "junit.xml").find("Reproduce: bash repro/rq.list.cursor_walk_complete.sh"),
            std::string::npos);
  EXPECT_NE(
      slurp(dir_ / "report.json").find("\"reproducer\":\"repro/rq.list.cursor_walk_complete.sh\""),
      std::string::npos);
  // No BASE_URL: the script starts rq-fake --bug CursorSkipsItem itself.
  std::string replay;
  code = run("env -u BASE_URL -u APIFY_TOKEN RQ_FAKE=" + std::string(RQCHECK_RQ_FAKE) + " bash " +
                 script.string(),
             &replay);
  EXPECT_EQ(code, 1) << replay;
  EXPECT_NE(replay.find("--bug CursorSkipsItem at http://127.0.0.1:"), std::string::npos) << replay;
  EXPECT_NE(replay.find("\nREPRODUCED"), std::string::npos) << replay;
  // Without rq-fake and without a target it says so and exits 2, never replaying elsewhere.
  std::string none;
  code = run("env -u BASE_URL RQ_FAKE=/nonexistent/rq-fake bash " + script.string(), &none);
  EXPECT_EQ(code, 2) << none;
  EXPECT_NE(none.find("no rq-fake"), std::string::npos) << none;
}

TEST_F(ReproducerToolTest, ACorrectRunWritesNoReproducer) {
  std::string out;
  int code =
      run(std::string(RQCHECK_RQ_CONFORMANCE) +
              " --no-color --only rq.list.cursor_walk_complete --report-dir " + dir_.string(),
          &out);
  ASSERT_EQ(code, 0) << out;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "repro")) << out;
}

TEST(ReplayTest, AnswersAreNormalisedLikeTheScriptDoes) {
  // A lock an hour early is not a lock a minute ahead; the clock moving on is no difference.
  const std::int64_t sent = 1700000000000;  // 2023-11-14T22:13:20.000Z
  std::string body =
      "{\"id\":\"abcdefghijklmno\",\"createdAt\":\"2023-11-14T22:13:19.000Z\","
      "\"lockExpiresAt\":\"2023-11-14T22:14:20.004Z\",\"wrong\":\"2023-11-14T21:14:20.000Z\","
      "\"naive\":\"2023-11-14T22:13:20.000\",\"q\":\"rqc-1234-3\"}\n";
  std::string n = normalise_answer({{"Location", " https://x/v2/request-queues/abcdefghijklmno "}},
                                   body, {{"abcdefghijklmno", "V1"}}, "rqc-1234", sent);
  EXPECT_EQ(n,
            "location: https://x/v2/request-queues/<V1>\n"
            "{\"id\":\"<V1>\",\"createdAt\":\"<time>Z\",\"lockExpiresAt\":\"<time+60s>Z\","
            "\"wrong\":\"<time>Z\",\"naive\":\"<time>\",\"q\":\"<prefix>-3\"}");
}

}  // namespace
