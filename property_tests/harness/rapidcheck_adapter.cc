#include "rapidcheck_adapter.h"

#include <rapidcheck.h>

#include <cstdlib>
#include <sstream>

namespace rqcheck::prop {

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
  auto wrapped = [&] {
    if (skip_case && skip_case()) {
      if (!failed) ++skipped;
      RC_SUCCEED("skipped");
    }
    try {
      body();
    } catch (const rc::detail::CaseResult& r) {
      if (r.type == rc::detail::CaseResult::Type::Failure) failed = true;
      throw;
    } catch (...) {
      failed = true;
      throw;
    }
  };
  auto result = rc::detail::checkTestable(wrapped, meta, tp);
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
