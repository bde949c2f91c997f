#include "rqcheck/conformance/reproducer.h"

#include "rqcheck/client/exchange.h"

namespace rqcheck::conformance {

namespace {
// Gaps between calls shorter than this are not worth a sleep in the script.
constexpr std::int64_t kMinPauseMs = 200;
}  // namespace

std::string reproducer_path(const CheckResult& r) {
  if (r.check == nullptr || r.outcome.status != Verdict::kFail || r.outcome.evidence.empty()) {
    return {};
  }
  return "repro/" + r.check->id + ".sh";
}

ReplayScript reproducer(const CheckResult& r, const RunReport& report) {
  const Check& c = *r.check;
  const Outcome& o = r.outcome;
  ReplayPlan plan;
  plan.about = {
      "Reproduces rq-conformance check " + c.id + " (" + std::string(level_name(c.level)) +
          "): " + c.title,
      "Source: " + c.source,
      "The failing run: " + report.started_at + ", target " + report.base_url,
  };
  if (report.target.is_embedded_fake) {
    std::string fake = "an embedded rq-fake";
    if (!report.target.fake_rate_limits) {
      fake += " --no-rate-limit";
      plan.fake_args.push_back("--no-rate-limit");
    }
    for (const auto& b : report.target.fake_bugs) {
      fake += " --bug " + b;
      plan.fake_args.push_back("--bug");
      plan.fake_args.push_back(b);
    }
    plan.about.back() += " (" + fake + ", gone now: the script starts a fresh one)";
    plan.fake_token = "rqcheck-conformance";
    plan.fake_second_token = "rqcheck-conformance-second";
  } else {
    plan.default_base_url = report.base_url;
  }
  plan.about.push_back("Usage: bash " + c.id + ".sh");
  plan.run_prefix = report.prefix;
  plan.expected = o.expected;
  plan.received = o.received;
  plan.calls_omitted = o.evidence_omitted;
  plan.side_file_stem = c.id;
  for (std::size_t i = 0; i < o.evidence.size(); ++i) {
    const client::Exchange& ex = o.evidence[i];
    bool second = i < o.evidence_second_user.size() && o.evidence_second_user[i];
    bool has_auth = client::find_header(ex.request_headers, "Authorization").has_value();
    ReplayCall call = replay_call(ex, !has_auth ? ReplayCall::Auth::kNone
                                      : second  ? ReplayCall::Auth::kSecondToken
                                                : ReplayCall::Auth::kToken);
    if (i > 0) {
      const client::Exchange& prev = o.evidence[i - 1];
      std::int64_t prev_end =
          prev.started_at +
          std::chrono::duration_cast<std::chrono::milliseconds>(prev.duration).count();
      std::int64_t gap = ex.started_at - prev_end;
      if (gap >= kMinPauseMs) call.pause_ms = gap;
    }
    plan.calls.push_back(std::move(call));
  }
  return replay_script(plan);
}

}  // namespace rqcheck::conformance
