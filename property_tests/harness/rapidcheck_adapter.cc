#include "rapidcheck_adapter.h"

#include <rapidcheck.h>

#include <cstdlib>
#include <exception>
#include <sstream>
#include <utility>

namespace rqcheck::prop {

namespace {
constexpr const char* kRerunPassedNote =
    "\n\n(This shrunk case passed when RapidCheck ran it once more to report it: the target's "
    "answers depend on time or on other clients. The failure above is the one it showed while "
    "it was shrunk.)";
}  // namespace

RcParams rc_params(int default_max_success, int default_max_size) {
  const rc::detail::TestParams& p = rc::detail::configuration().testParams;
  const char* env = std::getenv("RC_PARAMS");
  const std::string rc_env = env ? env : "";
  RcParams out;
  out.seed = p.seed;
  out.max_success =
      rc_env.find("max_success") == std::string::npos ? default_max_success : p.maxSuccess;
  out.max_size = rc_env.find("max_size") == std::string::npos ? default_max_size : p.maxSize;
  return out;
}

RcResult rc_check(const std::string& id, const std::function<void()>& body, const RcParams& params,
                  const std::function<bool()>& skip_case) {
  rc::detail::TestParams tp = rc::detail::configuration().testParams;
  tp.seed = params.seed;
  tp.maxSuccess = params.max_success;
  tp.maxSize = params.max_size;
  rc::detail::TestMetadata meta;
  meta.id = id;
  meta.description = id;
  bool failed = false;  // after the first failure RapidCheck shrinks: skips no longer count
  int skipped = 0;
  // The description of the last case that failed: while shrinking, the counterexample is the
  // last case that failed.
  std::string last_failure;
  bool last_run_failed = false;
  auto note_failure = [&](std::string description) {
    failed = last_run_failed = true;
    last_failure = std::move(description);
  };
  auto wrapped = [&] {
    last_run_failed = false;
    if (skip_case && skip_case()) {
      if (!failed) ++skipped;
      RC_SUCCEED("skipped");
    }
    try {
      body();
    } catch (const rc::detail::CaseResult& r) {
      if (r.type == rc::detail::CaseResult::Type::Failure) note_failure(r.description);
      throw;
    } catch (const std::exception& e) {
      note_failure(std::string("Exception thrown with message:\n") + e.what());
      throw;
    } catch (...) {
      note_failure("Unknown object thrown");
      throw;
    }
  };
  auto result = rc::detail::checkTestable(wrapped, meta, tp);
  if (result.template is<rc::detail::FailureResult>()) {
    // RapidCheck runs the shrunk case once more to describe it. Against a target whose answers
    // depend on the clock (a lag) that run may pass, and the report would say only "no
    // exceptions thrown": keep the failure the case showed while it was shrunk.
    auto& f = result.template get<rc::detail::FailureResult>();
    if (!last_run_failed && !last_failure.empty()) {
      f.description = last_failure + kRerunPassedNote;
    }
  }
  std::ostringstream msg;
  rc::detail::printResultMessage(result, msg);
  RcResult out;
  out.message = msg.str();
  out.skipped = skipped;
  if (result.template is<rc::detail::SuccessResult>()) {
    out.verdict = RcVerdict::kPassed;
    out.cases = result.template get<rc::detail::SuccessResult>().numSuccess - skipped;
  } else if (result.template is<rc::detail::FailureResult>()) {
    out.verdict = RcVerdict::kFailed;
    out.cases = result.template get<rc::detail::FailureResult>().numSuccess - skipped;
  } else {
    out.verdict = RcVerdict::kGaveUp;
    if (result.template is<rc::detail::GaveUpResult>())
      out.cases = result.template get<rc::detail::GaveUpResult>().numSuccess - skipped;
  }
  return out;
}

}  // namespace rqcheck::prop
