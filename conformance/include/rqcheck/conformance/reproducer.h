// Reproducers: for each failed check (violation or warning) a standalone bash script that
// replays the check's calls against the target (see replay.h) and says whether the failure
// reproduces. rq-conformance writes them into the report dir; the HTML report shows them.
//
//   for (const auto& r : report.results)
//     if (auto path = reproducer_path(r); !path.empty())
//       write(dir + "/" + path, reproducer(r, report).script);
#pragma once

#include <string>

#include "rqcheck/conformance/replay.h"
#include "rqcheck/conformance/runner.h"

namespace rqcheck::conformance {

// "repro/<check id>.sh" for a failed check with recorded calls, "" otherwise.
std::string reproducer_path(const CheckResult& result);
// The script (and the side files of bodies too large to inline, named relative to the script).
ReplayScript reproducer(const CheckResult& result, const RunReport& report);

}  // namespace rqcheck::conformance
