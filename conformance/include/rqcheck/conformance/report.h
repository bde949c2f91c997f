// Reports of a run: console progress and summary, JUnit XML, JSON, a self-contained HTML page,
// and the Markdown catalogue (docs/checks.md). Every format says the same: the same result word
// per check (result_label), schema findings once per root cause (not as failures of the checks
// that read them), and the same exit code. Tokens never appear: exchanges are recorded redacted
// and the reproducers read the token from the environment.
//
//   write_console_summary(std::cout, report, /*color=*/false);
//   std::ofstream("report.html") << html_report(report);
#pragma once

#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "rqcheck/client/exchange.h"
#include "rqcheck/conformance/runner.h"

namespace rqcheck::conformance {

// "[ 3/52] PASS  rq.add.dedup ... (must, 12 ms)" plus the failure detail on the next lines.
std::string progress_line(const CheckResult& r, std::size_t index, std::size_t total, bool color);
// The per-operation table, the schema findings and the totals.
void write_console_summary(std::ostream& out, const RunReport& report, bool color);

std::string json_report(const RunReport& report);
// A should-level failure outside --strict is a passed test case with the warning in
// <system-out>: JUnit has no warnings, and a <failure> would make CI red while the exit code is 0.
std::string junit_report(const RunReport& report);
// Shows each failed check's reproducer script (reproducer.h) inline.
std::string html_report(const RunReport& report);

// What a check looked like when it failed, for the catalogue: check id -> "expected ... /
// received ..." (docs/checks.md shows it as the sample failure).
using SampleFailures = std::map<std::string, std::string>;

// The catalogue: "markdown" (docs/checks.md, with each check's file and line and, when given,
// its sample failure), "text" or "json".
std::string catalogue(const std::string& format, const SampleFailures& samples = {});

}  // namespace rqcheck::conformance
