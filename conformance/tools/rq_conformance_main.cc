// rq-conformance: runs the check catalogue against a request-queue API endpoint (default: an
// embedded rq-fake on a free port) and writes console, JUnit XML, JSON and HTML reports and a
// reproducer script per failed check.
// Exit codes: 0 conformant, 1 violations, 2 harness or configuration error.
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "fake_target.h"
#include "rqcheck/conformance/report.h"
#include "rqcheck/conformance/reproducer.h"
#include "rqcheck/conformance/runner.h"
#include "rqcheck/fake_server/server.h"

namespace {

using namespace rqcheck;
using namespace rqcheck::conformance;

std::atomic<bool> g_interrupted{false};

void on_signal(int) { g_interrupted.store(true); }

const char* kUsage = R"(usage: rq-conformance [options]

Runs the request-queue API conformance catalogue against an endpoint: every check, and every
response validated against its JSON Schema.

target
  --base-url URL        endpoint to check (default: $APIFY_API_BASE_URL, else an embedded rq-fake
                        on a free port, which needs no token)
  --token TOKEN         API token (default: $APIFY_TOKEN; required with --base-url); never printed
  --second-token TOKEN  a token of another user, for the permission checks (default:
                        $APIFY_SECOND_TOKEN; without one those checks are skipped)
  --max-requests N      stop running checks once N requests were sent (default: no budget)
  --no-large-bodies     skip the checks that send ~9.4 MB bodies
  --consistency-wait-ms MS
                        how long a read after a write may wait for it to show: the platform
                        is eventually consistent (head, head/lock, counters), so such reads
                        poll with backoff up to MS and say in their evidence how long they
                        waited (default 10000, as Apify's own integration tests; 0 with the
                        embedded fake, which never lags, unless given)
  --bug NAME            (embedded fake only) switch on a named bug of the fake (rq-fake
                        --list-bugs); repeatable. --fake-bug is a deprecated alias.
  --fake-no-rate-limits (embedded fake only) turn its rate limits off (default: on)
selection (every pattern must match some check, or the run stops with exit 2)
  --only ID|GLOB        run only matching checks (comma-separated or repeated; default: all)
  --skip ID|GLOB        leave matching checks out
  --level LEVEL         run only checks of this level (must, should, tolerate; repeatable)
  --strict              should-level failures count as violations (default: they are warnings)
  GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX split the selection across processes
reports (default: the console only)
  --report-dir DIR      write DIR/report.json, DIR/junit.xml, DIR/report.html and, for each
                        failed check, DIR/repro/<check id>.sh (bash + curl; exit 1 when the
                        failure reproduces, 0 when not)
  --json FILE  --junit FILE  --html FILE   one report each (reproducers go to the first
                        file's directory, under repro/)
  --quiet               no live progress, only failures and the summary
  --no-color            (default: color when stdout is a terminal)
catalogue
  --list [--format text|markdown|json]   print the catalogue and exit (markdown is
                        docs/checks.md: it runs each check against the fake with its breaking bug
                        for the sample failure)
exit codes
  0  conformant: no violation and no schema finding (warnings allowed unless --strict)
  1  violations: a failed must/tolerate check, a should check under --strict, or a schema finding
  2  harness or configuration error: bad option, a pattern that matches nothing, no token, the
     target unreachable or refusing the token, an interrupted run, a check's harness error
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

// The text of a failure with what changes from run to run replaced: ids, timestamps, ports,
// durations, numbers made of the clock.
std::string stable(std::string s) {
  // Also a timestamp cut short by a summary ("2026-12-01T22:48:...").
  static const std::regex ts("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+(Z|[+-][0-9]{2}:?[0-9]{2})?");
  static const std::regex id("\\b(?=[A-Za-z]*[0-9])(?=[0-9]*[A-Za-z])[A-Za-z0-9]{15}\\b");
  static const std::regex port("127\\.0\\.0\\.1:[0-9]+");
  static const std::regex ms("[0-9]+(\\.[0-9]+)? ms\\b");
  static const std::regex clock("[0-9]{6,}");
  s = std::regex_replace(s, ts, "<time>");
  s = std::regex_replace(s, id, "<id>");
  s = std::regex_replace(s, port, "127.0.0.1:<port>");
  s = std::regex_replace(s, ms, "<n> ms");
  s = std::regex_replace(s, clock, "<n>");
  return s;
}

// Each check against a fresh fake with its breaking bug: the sample failure of docs/checks.md.
SampleFailures sample_failures() {
  SampleFailures out;
  for (const Check& c : all_checks()) {
    RunState run;
    run.prefix = "rqc-docs";
    CheckResult r = run_against_fake(c, {c.breaking_bug}, run);
    std::string text;
    if (r.outcome.status == Verdict::kFail) {
      text = "expected: " + r.outcome.expected + "\nreceived: " + r.outcome.received;
    } else {
      text = "(did not fail: " + std::string(status_name(r.outcome.status)) + " " +
             r.outcome.reason + ")";
    }
    out[c.id] = stable(text);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  RunOptions o;
  std::optional<std::string> base_url, token;
  std::string format = "text", report_dir, json_path, junit_path, html_path;
  bool list = false, quiet = false, color = ::isatty(1);
  std::vector<std::string> fake_bugs;
  bool fake_rate_limits = true;
  std::optional<std::int64_t> consistency_wait_ms;
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
    } else if (a == "--consistency-wait-ms") {
      std::string v = need(i, a);
      char* end = nullptr;
      unsigned long long n = std::strtoull(v.c_str(), &end, 10);
      if (v.empty() || *end != '\0' || n > 600000 || v[0] == '-') {
        std::cerr << "rq-conformance: --consistency-wait-ms takes milliseconds 0-600000\n";
        return 2;
      }
      consistency_wait_ms = static_cast<std::int64_t>(n);
    } else if (a == "--no-large-bodies")
      o.target.large_bodies = false;
    else if (a == "--bug")
      fake_bugs.push_back(need(i, a));
    else if (a == "--fake-bug") {
      std::cerr << "rq-conformance: --fake-bug is deprecated; use --bug (the flag rq-fake and "
                   "rq-properties take)\n";
      fake_bugs.push_back(need(i, a));
    } else if (a == "--fake-no-rate-limits")
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
    std::cout << catalogue(format, format == "markdown" ? sample_failures() : SampleFailures{});
    return 0;
  }
  std::string shard_error;
  if (!apply_sharding_env(o.selection, &shard_error)) {
    std::cerr << "rq-conformance: " << shard_error << "\n";
    return 2;
  }
  if (std::string e = selection_error(o.selection); !e.empty()) {
    std::cerr << "rq-conformance: " << e << "\n";
    return 2;
  }
  if (!base_url) {
    if (const char* env = std::getenv("APIFY_API_BASE_URL"); env && *env) base_url = env;
  }
  if (!token) {
    if (const char* env = std::getenv("APIFY_TOKEN"); env && *env) token = env;
  }
  if (!o.second_token) {
    if (const char* env = std::getenv("APIFY_SECOND_TOKEN"); env && *env) o.second_token = env;
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
    if (!token) token = kFakeToken;
    if (!o.second_token) o.second_token = kFakeSecondToken;
    o.target.is_embedded_fake = true;
    o.target.consistency_wait_ms = 0;  // it never lags
    o.target.rate_limits = fake_rate_limits;
    o.target.fake_bugs = fake_bugs;
    o.target.fake_rate_limits = fake_rate_limits;
    std::cout << "rq-conformance: embedded fake at " << *base_url
              << (fake_bugs.empty() ? "" : " with bugs on") << "\n";
  } else if (!fake_bugs.empty() || !fake_rate_limits) {
    std::cerr << "rq-conformance: --bug and --fake-no-rate-limits need the embedded fake "
                 "(no --base-url)\n";
    return 2;
  }
  if (!token || token->empty()) {
    std::cerr << "rq-conformance: no token for " << *base_url
              << ": pass --token or set APIFY_TOKEN (any non-empty token works on rq-fake)\n";
    return 2;
  }
  if (consistency_wait_ms) o.target.consistency_wait_ms = *consistency_wait_ms;
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
  // Reproducers beside the reports.
  std::string repro_dir = report_dir;
  for (const auto& p : {json_path, junit_path, html_path}) {
    if (repro_dir.empty() && !p.empty()) {
      repro_dir = std::filesystem::path(p).parent_path().string();
      if (repro_dir.empty()) repro_dir = ".";
    }
  }
  if (!repro_dir.empty()) {
    std::size_t written = 0;
    for (const auto& r : report.results) {
      std::string rel = reproducer_path(r);
      if (rel.empty()) continue;
      ReplayScript script = reproducer(r, report);
      std::string path = repro_dir + "/" + rel;
      ok = write_file(path, script.script) && ok;
      ::chmod(path.c_str(), 0755);
      for (const auto& [name, content] : script.side_files) {
        ok = write_file(std::filesystem::path(path).parent_path().string() + "/" + name, content) &&
             ok;
      }
      ++written;
    }
    if (written > 0) {
      std::cout << "reproducers: " << written << " in " << repro_dir
                << "/repro/ (bash FILE; APIFY_TOKEN for the target, or RQ_FAKE for an embedded "
                   "fake's run)\n";
    }
  }
  if (fake) fake->stop();
  if (!ok) {
    std::cerr << "rq-conformance: could not write a report file\n";
    return 2;
  }
  return report.exit_code();
}
