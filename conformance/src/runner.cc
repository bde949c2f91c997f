#include "rqcheck/conformance/runner.h"

#include <cstdlib>
#include <exception>
#include <random>
#include <sstream>

#include "rqcheck/core/time.h"

namespace rqcheck::conformance {

bool glob_match(std::string_view g, std::string_view t) {
  // Iterative wildcard match with backtracking on the last '*'.
  std::size_t gi = 0, ti = 0, star = std::string_view::npos, mark = 0;
  while (ti < t.size()) {
    if (gi < g.size() && (g[gi] == '?' || g[gi] == t[ti])) {
      ++gi;
      ++ti;
    } else if (gi < g.size() && g[gi] == '*') {
      star = gi++;
      mark = ti;
    } else if (star != std::string_view::npos) {
      gi = star + 1;
      ti = ++mark;
    } else {
      return false;
    }
  }
  while (gi < g.size() && g[gi] == '*') ++gi;
  return gi == g.size();
}

static bool matches_any(const std::vector<std::string>& globs, std::string_view id) {
  for (const auto& g : globs) {
    if (glob_match(g, id)) return true;
  }
  return false;
}

std::vector<const Check*> select_checks(const Selection& s) {
  std::vector<const Check*> out;
  std::size_t index = 0;
  for (const auto& c : all_checks()) {
    if (!s.only.empty() && !matches_any(s.only, c.id)) continue;
    if (matches_any(s.skip, c.id)) continue;
    if (!s.levels.empty()) {
      bool keep = false;
      for (Level l : s.levels) keep = keep || l == c.level;
      if (!keep) continue;
    }
    if (s.total_shards > 1 && static_cast<int>(index++ % s.total_shards) != s.shard_index) continue;
    out.push_back(&c);
  }
  return out;
}

std::string selection_error(const Selection& s) {
  auto unmatched = [](const std::vector<std::string>& globs, const char* flag) -> std::string {
    for (const auto& g : globs) {
      bool hit = false;
      for (const auto& c : all_checks()) hit = hit || glob_match(g, c.id);
      if (!hit) {
        return std::string(flag) + " '" + g +
               "' matches no check (ids look like rq.batch_add.max_25; see --list)";
      }
    }
    return {};
  };
  if (auto e = unmatched(s.only, "--only"); !e.empty()) return e;
  if (auto e = unmatched(s.skip, "--skip"); !e.empty()) return e;
  Selection unsharded = s;
  unsharded.total_shards = 1;
  unsharded.shard_index = 0;
  if (select_checks(unsharded).empty()) {
    std::string what;
    for (const auto& g : s.only) what += " --only '" + g + "'";
    for (const auto& g : s.skip) what += " --skip '" + g + "'";
    for (Level l : s.levels) what += " --level " + std::string(level_name(l));
    return "the selection" + what + " matches no check";
  }
  return {};
}

std::string_view result_label(const CheckResult& r) {
  if (r.outcome.status == Verdict::kFail) return r.violation ? "fail" : "warn";
  return status_name(r.outcome.status);
}

bool apply_sharding_env(Selection& s, std::string* error) {
  const char* total = std::getenv("GTEST_TOTAL_SHARDS");
  const char* index = std::getenv("GTEST_SHARD_INDEX");
  if (!total && !index) return true;
  if (!total || !index) {
    if (error) *error = "GTEST_TOTAL_SHARDS and GTEST_SHARD_INDEX must be set together";
    return false;
  }
  char* end = nullptr;
  long t = std::strtol(total, &end, 10);
  bool ok_t = *end == '\0';
  long i = std::strtol(index, &end, 10);
  bool ok_i = *end == '\0';
  if (!ok_t || !ok_i || t < 1 || i < 0 || i >= t) {
    if (error) *error = "invalid GTEST_TOTAL_SHARDS/GTEST_SHARD_INDEX (need 0 <= index < total)";
    return false;
  }
  s.total_shards = static_cast<int>(t);
  s.shard_index = static_cast<int>(i);
  return true;
}

std::size_t RunReport::count(Verdict s) const {
  std::size_t n = 0;
  for (const auto& r : results) n += r.outcome.status == s;
  return n;
}
std::size_t RunReport::violations() const {
  std::size_t n = 0;
  for (const auto& r : results) n += r.violation;
  return n;
}
std::size_t RunReport::warnings() const {
  std::size_t n = 0;
  for (const auto& r : results) n += r.outcome.status == Verdict::kFail && !r.violation;
  return n;
}
int RunReport::exit_code() const {
  if (!harness_error.empty() || interrupted || count(Verdict::kError) > 0) return 2;
  return violations() > 0 || !schema_findings.empty() ? 1 : 0;
}

static void delete_tracked_queues(client::HttpClient& http, RunState& run,
                                  std::vector<std::string>* errors) {
  std::vector<std::string> ids;
  {
    std::lock_guard lock(run.created_mu);
    ids.swap(run.created_queues);
  }
  for (const auto& id : ids) {
    auto st = http.delete_queue(id);
    if (!st && st.error().status != 404 && errors) {
      errors->push_back(id + ": " + Context::describe(st.error()));
    }
  }
}

CheckResult run_one(const Check& check, client::RequestQueueApi& api, client::HttpClient& http,
                    client::HttpClient* second, const TargetInfo& target, RunState& run,
                    bool strict) {
  CheckResult result;
  result.check = &check;
  auto started = std::chrono::steady_clock::now();
  Context ctx(check, api, http, second, target, run);
  http.set_exchange_observer([&ctx](const client::Exchange& ex) { ctx.observe(ex, false); });
  if (second) {
    second->set_exchange_observer([&ctx](const client::Exchange& ex) { ctx.observe(ex, true); });
  }
  Outcome out;
  if ((check.needs & kNeedRateLimits) && !target.rate_limits) {
    out = Outcome::skip(
        "the target is not expected to enforce rate limits (an embedded fake with "
        "rate limits off); decision 37 cannot be observed");
  } else if ((check.needs & kNeedSecondToken) && !second) {
    out = Outcome::skip("needs a second token of another user (--second-token)");
  } else if ((check.needs & kNeedLargeBodies) && !target.large_bodies) {
    out = Outcome::skip("large bodies are switched off for this target");
  } else if (ctx.budget_exhausted()) {
    out = Outcome::skip("the request budget (--max-requests) is exhausted");
  } else {
    try {
      out = check.fn(ctx);
      if (out.status == Verdict::kPass && !ctx.note().empty()) {
        out.observed += (out.observed.empty() ? "" : "; ") + ctx.note();
      }
    } catch (const CheckFailure& f) {
      out = Outcome::fail(f.expected,
                          ctx.waits().empty() ? f.received : f.received + " (" + ctx.waits() + ")");
    } catch (const CheckSkip& s) {
      out = Outcome::skip(s.reason);
    } catch (const std::exception& e) {
      out = Outcome::error(std::string("harness error: ") + e.what());
    } catch (...) {
      out = Outcome::error("harness error: unknown exception");
    }
  }
  // The schema findings of the check's responses are the run's (RunReport::schema_findings);
  // the check is judged on its own assertions and only names them.
  result.schema_findings = ctx.schema_findings();
  ctx.take_evidence(out);
  http.set_exchange_observer(nullptr);
  if (second) second->set_exchange_observer(nullptr);
  delete_tracked_queues(http, run, nullptr);
  result.outcome = std::move(out);
  result.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  result.violation =
      result.outcome.status == Verdict::kFail && (check.level != Level::kShould || strict);
  return result;
}

static std::string random_prefix() {
  std::random_device rd;
  std::ostringstream s;
  s << "rqc-" << std::hex << (static_cast<std::uint32_t>(rd()) & 0xffffffu);
  return s.str();
}

RunReport run_checks(const RunOptions& o, const ProgressFn& progress) {
  RunReport report;
  report.base_url = o.base_url;
  report.strict = o.strict;
  SystemClock clock;
  report.started_at = format_iso8601(clock.now_ms());
  auto started = std::chrono::steady_clock::now();
  if (std::string e = selection_error(o.selection); !e.empty()) {
    report.harness_error = e;
    return report;
  }

  client::ClientConfig config;
  config.base_url = o.base_url;
  config.token = o.token;
  config.retry = client::RetryPolicy::none();
  config.pace_fraction = 0.8;  // no check trips the target's rate limits by itself
  config.short_timeout = std::chrono::seconds(15);
  config.medium_timeout = std::chrono::seconds(60);
  config.user_agent = "rq-conformance/0.1";
  client::HttpClient http(config);
  std::unique_ptr<client::HttpClient> second;
  if (o.second_token && !o.second_token->empty()) {
    client::ClientConfig c2 = config;
    c2.token = *o.second_token;
    second = std::make_unique<client::HttpClient>(c2);
  }
  RunState run;
  run.prefix = o.prefix.empty() ? random_prefix() : o.prefix;
  run.max_requests = o.max_requests;
  report.prefix = run.prefix;
  TargetInfo target = o.target;
  target.base_url = o.base_url;
  target.has_second_token = second != nullptr;
  report.target = target;

  if (http.config_error()) {
    report.harness_error = "invalid --base-url: " + http.config_error()->message;
    return report;
  }
  // Preflight: the target answers and accepts the token.
  {
    client::ListQueuesOptions lo;
    lo.limit = 1;
    auto pre = http.list_queues(lo);
    ++run.requests;
    if (!pre && (pre.error().status == 0 || pre.error().status == 401)) {
      report.harness_error =
          "preflight GET /v2/request-queues?limit=1 failed: " + Context::describe(pre.error());
      return report;
    }
  }
  client::RequestQueueApi& api = o.api ? *o.api : static_cast<client::RequestQueueApi&>(http);
  auto selected = select_checks(o.selection);
  std::size_t i = 0;
  for (const Check* c : selected) {
    if (o.interrupted && o.interrupted->load()) {
      report.interrupted = true;
      break;
    }
    CheckResult r = run_one(*c, api, http, second.get(), target, run, o.strict);
    ++i;
    if (progress) progress(r, i, selected.size());
    report.results.push_back(std::move(r));
  }
  delete_tracked_queues(http, run, &report.cleanup_errors);
  report.schema_findings = run.schema.snapshot();
  report.requests = run.requests.load();
  report.duration = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
  return report;
}

}  // namespace rqcheck::conformance
