// rq-conformance: runs the check catalogue against a request-queue API endpoint (default: an
// embedded rq-fake on a free port) and writes console, JUnit XML, JSON and HTML reports.
// Exit codes: 0 conformant, 1 violations, 2 harness or configuration error.
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "rqcheck/conformance/report.h"
#include "rqcheck/conformance/runner.h"
#include "rqcheck/fake_server/server.h"

namespace {

using namespace rqcheck;
using namespace rqcheck::conformance;

std::atomic<bool> g_interrupted{false};

void on_signal(int) { g_interrupted.store(true); }

const char* kUsage = R"(usage: rq-conformance [options]

Runs the request-queue API conformance catalogue against an endpoint.

target
  --base-url URL        endpoint to check (default: $APIFY_API_BASE_URL, else an embedded fake
                        on a free port)
  --token TOKEN         API token (default: $APIFY_TOKEN); never printed
  --second-token TOKEN  a token of another user, for the permission checks
  --max-requests N      stop running checks once N requests were sent (a budget for real endpoints)
  --no-large-bodies     skip the checks that send ~9.4 MB bodies
  --fake-bug NAME       (embedded fake only) switch on a named bug of the fake; repeatable
  --fake-no-rate-limits (embedded fake only) turn its rate limits off
selection
  --only ID|GLOB        run only matching checks (comma-separated or repeated)
  --skip ID|GLOB        leave matching checks out
  --level LEVEL         run only checks of this level (must, should, tolerate; repeatable)
  --strict              should-level failures count as violations
  GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX split the selection across processes
reports
  --report-dir DIR      write DIR/report.json, DIR/junit.xml and DIR/report.html
  --json FILE  --junit FILE  --html FILE
  --quiet               no live progress, only the summary
  --no-color
catalogue
  --list [--format text|markdown|json]   print the catalogue and exit
exit codes: 0 conformant, 1 violations, 2 harness or configuration error
)";

std::vector<std::string> split_commas(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  std::string part;
  while (std::getline(in, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

bool write_file(const std::string& path, const std::string& text) {
  std::error_code ec;
  auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty()) std::filesystem::create_directories(parent, ec);
  std::ofstream f(path, std::ios::binary);
  f << text;
  return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
  RunOptions o;
  std::optional<std::string> base_url, token;
  std::string format = "text", report_dir, json_path, junit_path, html_path;
  bool list = false, quiet = false, color = ::isatty(1);
  std::vector<std::string> fake_bugs;
  bool fake_rate_limits = true;
  auto need = [&](int& i, const std::string& flag) -> std::string {
    if (i + 1 >= argc) {
      std::cerr << "rq-conformance: " << flag << " needs a value\n";
      std::exit(2);
    }
    return argv[++i];
  };
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--base-url")
      base_url = need(i, a);
    else if (a == "--token")
      token = need(i, a);
    else if (a == "--second-token")
      o.second_token = need(i, a);
    else if (a == "--max-requests") {
      std::string v = need(i, a);
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n == 0) {
        std::cerr << "rq-conformance: --max-requests takes a positive integer\n";
        return 2;
      }
      o.max_requests = n;
    } else if (a == "--no-large-bodies")
      o.target.large_bodies = false;
    else if (a == "--fake-bug")
      fake_bugs.push_back(need(i, a));
    else if (a == "--fake-no-rate-limits")
      fake_rate_limits = false;
    else if (a == "--only")
      for (auto& g : split_commas(need(i, a))) o.selection.only.push_back(g);
    else if (a == "--skip")
      for (auto& g : split_commas(need(i, a))) o.selection.skip.push_back(g);
    else if (a == "--level") {
      for (auto& l : split_commas(need(i, a))) {
        Level level;
        if (!parse_level(l, &level)) {
          std::cerr << "rq-conformance: --level takes must, should or tolerate (got " << l << ")\n";
          return 2;
        }
        o.selection.levels.push_back(level);
      }
    } else if (a == "--strict")
      o.strict = true;
    else if (a == "--report-dir")
      report_dir = need(i, a);
    else if (a == "--json")
      json_path = need(i, a);
    else if (a == "--junit")
      junit_path = need(i, a);
    else if (a == "--html")
      html_path = need(i, a);
    else if (a == "--quiet")
      quiet = true;
    else if (a == "--no-color")
      color = false;
    else if (a == "--list")
      list = true;
    else if (a == "--format")
      format = need(i, a);
    else {
      std::cerr << "rq-conformance: unknown option " << a << "\n" << kUsage;
      return 2;
    }
  }
  if (list) {
    if (format != "text" && format != "markdown" && format != "json") {
      std::cerr << "rq-conformance: --format takes text, markdown or json\n";
      return 2;
    }
    std::cout << catalogue(format);
    return 0;
  }
  std::string shard_error;
  if (!apply_sharding_env(o.selection, &shard_error)) {
    std::cerr << "rq-conformance: " << shard_error << "\n";
    return 2;
  }
  if (!base_url) {
    if (const char* env = std::getenv("APIFY_API_BASE_URL"); env && *env) base_url = env;
  }
  if (!token) {
    if (const char* env = std::getenv("APIFY_TOKEN"); env && *env) token = env;
  }
  std::unique_ptr<fake::FakeServer> fake;
  if (!base_url) {
    fake::FakeServerOptions fo;
    fo.threads = 16;
    fo.store.rate_limits.enabled = fake_rate_limits;
    fo.bugs = fake_bugs;
    fake = std::make_unique<fake::FakeServer>(fo);
    if (auto st = fake->start(); !st) {
      std::cerr << "rq-conformance: cannot start the embedded fake: " << st.error().message << "\n";
      return 2;
    }
    base_url = fake->base_url();
    if (!token) token = "rqcheck-conformance";
    if (!o.second_token) o.second_token = "rqcheck-conformance-second";
    o.target.is_embedded_fake = true;
    o.target.rate_limits = fake_rate_limits;
    std::cout << "rq-conformance: embedded fake at " << *base_url
              << (fake_bugs.empty() ? "" : " with bugs on") << "\n";
  } else if (!fake_bugs.empty() || !fake_rate_limits) {
    std::cerr << "rq-conformance: --fake-bug and --fake-no-rate-limits need the embedded fake "
                 "(no --base-url)\n";
    return 2;
  }
  if (!token || token->empty()) {
    std::cerr << "rq-conformance: no token: pass --token or set APIFY_TOKEN\n";
    return 2;
  }
  o.base_url = *base_url;
  o.token = *token;
  o.interrupted = &g_interrupted;
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);

  if (!quiet) {
    std::cout << "rq-conformance: checking " << o.base_url << " ("
              << select_checks(o.selection).size() << " checks)\n";
  }
  RunReport report = run_checks(o, [&](const CheckResult& r, std::size_t i, std::size_t n) {
    if (!quiet || r.outcome.status == Verdict::kFail || r.outcome.status == Verdict::kError) {
      std::cout << progress_line(r, i, n, color) << std::endl;
    }
  });
  write_console_summary(std::cout, report, color);
  if (!report_dir.empty()) {
    if (json_path.empty()) json_path = report_dir + "/report.json";
    if (junit_path.empty()) junit_path = report_dir + "/junit.xml";
    if (html_path.empty()) html_path = report_dir + "/report.html";
  }
  bool ok = true;
  if (!json_path.empty()) ok = write_file(json_path, json_report(report)) && ok;
  if (!junit_path.empty()) ok = write_file(junit_path, junit_report(report)) && ok;
  if (!html_path.empty()) ok = write_file(html_path, html_report(report)) && ok;
  for (const auto& p : {json_path, junit_path, html_path}) {
    if (!p.empty()) std::cout << "report: " << p << "\n";
  }
  if (fake) fake->stop();
  if (!ok) {
    std::cerr << "rq-conformance: could not write a report file\n";
    return 2;
  }
  return report.exit_code();
}
