// The one place that uses RapidCheck's internals (rc::detail): running a property body as a
// RapidCheck test with given parameters and reading its result. Everything else uses the public
// API (rc::gen, RC_ASSERT, rc::state).
//
//   RcParams p = rc_params(150, 100);           // RC_PARAMS, else these defaults
//   RcResult r = rc_check("rq-properties/dedup", body, p);
//   if (r.verdict == RcVerdict::kFailed) std::cerr << r.message;
#pragma once

#include <cstdint>
#include <functional>
#include <string>

namespace rqcheck::prop {

struct RcParams {
  std::uint64_t seed = 0;
  int max_success = 0;  // cases to pass
  int max_size = 0;     // size bound of the generated values
};

// RapidCheck's configuration (RC_PARAMS), with `max_success` and `max_size` when RC_PARAMS does
// not set them.
RcParams rc_params(int default_max_success, int default_max_size);

enum class RcVerdict { kPassed, kFailed, kGaveUp };

struct RcResult {
  RcVerdict verdict = RcVerdict::kPassed;
  int cases = 0;        // cases that ran and passed (skipped ones not counted)
  int skipped = 0;      // cases that `skip_case` stopped before they ran
  std::string message;  // RapidCheck's report (the shrunk counterexample on failure)
};

// Runs `body` as one RapidCheck property named `id` (shown in its report). When `skip_case`
// returns true at the start of a case, the case passes without running (a request budget).
RcResult rc_check(const std::string& id, const std::function<void()>& body, const RcParams& params,
                  const std::function<bool()>& skip_case = {});

}  // namespace rqcheck::prop
