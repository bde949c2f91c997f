#include <chrono>
#include <sstream>

#include "harness/rapidcheck_adapter.h"
#include "properties.h"

namespace rqcheck::prop {

namespace {

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

// The rq-properties line that re-runs `p` with the same seed and sizes against the same target
// (the token as $APIFY_TOKEN: never printed).
std::string rerun_line(const Property& p, const RunOptions& o, const PropertyOutcome& r) {
  std::ostringstream s;
  s << "RC_PARAMS=\"seed=" << r.seed << " max_success=" << r.max_success
    << " max_size=" << r.max_size << "\" rq-properties --only " << p.id;
  if (o.base_url) s << " --base-url " << shell_quote(*o.base_url) << " --token \"$APIFY_TOKEN\"";
  for (const auto& b : o.bugs) s << " --bug " << b;
  for (const auto& b : o.behaviours) s << " --behave " << b;
  if (o.client_drops_unprocessed) s << " --bug DropUnprocessed";
  if (o.retries) s << " --retries " << *o.retries;
  if (o.lag) s << " --lag " << shell_quote(*o.lag);
  if (o.lag_seed) s << " --lag-seed " << *o.lag_seed;
  if (o.consistency_lag_ms) s << " --consistency-lag " << *o.consistency_lag_ms;
  return s.str();
}

}  // namespace

std::int64_t consistency_bound(const RunOptions& options) {
  if (options.consistency_lag_ms) return *options.consistency_lag_ms;
  if (options.lag) {
    auto b = lag_spec_bound(*options.lag);
    if (b) return *b;
  }
  return 0;
}

PropertyOutcome run_property(const std::string& id, const RunOptions& options) {
  if (const Property* p = find_property(id)) return run_property(*p, options);
  PropertyOutcome out;
  out.name = id;
  out.unknown = true;
  out.message = "no property named \"" + id + "\" (rq-properties --list)";
  return out;
}

PropertyOutcome run_property(const Property& property, const RunOptions& options) {
  PropertyOutcome out;
  out.name = property.id;
  if (property.needs_embedded_fake && options.base_url) {
    out.skipped = true;
    out.passed = true;
    out.message = "needs the embedded fake (its fault engine, journal and virtual clock)";
    return out;
  }
  TargetConfig tc;
  tc.base_url = options.base_url;
  tc.token = options.base_url ? options.token : std::string(kEmbeddedToken);
  tc.bugs = options.bugs;
  tc.behaviours = options.behaviours;
  if (!options.base_url) {
    tc.lag = options.lag;
    tc.lag_seed = options.lag_seed;
  }
  if (options.retries) {
    client::RetryPolicy retry;
    retry.max_retries = *options.retries;
    tc.retry = retry;
  }
  Target target(tc);

  RcParams params = rc_params(kDefaultMaxSuccess, kDefaultMaxSize);
  if (options.max_success) params.max_success = *options.max_success;
  if (options.max_size) params.max_size = *options.max_size;
  if (options.seed) params.seed = *options.seed;
  out.seed = params.seed;
  out.max_success = params.max_success;
  out.max_size = params.max_size;

  std::vector<TranscriptStep> failed_steps;
  std::uint64_t case_no = 0;
  const std::int64_t bound = consistency_bound(options);
  auto body = [&] {
    CaseEnv env{target, options, failed_steps, ++case_no, bound};
    property.body(env);
  };
  auto over_budget = [&] {
    return options.max_requests && target.stats().requests >= *options.max_requests;
  };
  auto t0 = std::chrono::steady_clock::now();
  RcResult result = rc_check("rq-properties/" + property.id, body, params, over_budget);
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  out.message = result.message;
  out.cases = result.cases;
  out.budget_reached = result.skipped > 0;
  out.stats = target.stats();
  switch (result.verdict) {
    case RcVerdict::kPassed:
      out.passed = true;
      break;
    case RcVerdict::kFailed: {
      out.rerun = rerun_line(property, options, out);
      ReplayInfo info;
      info.property = property.id;
      info.seed = out.seed;
      info.bugs = options.bugs;
      info.behaviours = options.behaviours;
      if (options.base_url) info.base_url = *options.base_url;
      info.rerun = out.rerun;
      if (options.client_drops_unprocessed) info.client_side_bug = "DropUnprocessed";
      if (options.lag && !options.base_url) info.lag = *options.lag;
      info.lag_seed = options.lag_seed;
      out.replay_script = replay_script(info, failed_steps);
      break;
    }
    case RcVerdict::kGaveUp:
      out.gave_up = true;
      break;
  }
  return out;
}

}  // namespace rqcheck::prop
