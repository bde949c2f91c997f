// Reports of a run: console progress and summary table, JUnit XML, JSON, a self-contained HTML
// page, and the Markdown catalogue (docs/checks.md). Tokens never appear: exchanges are recorded
// redacted and curl commands use $APIFY_TOKEN.
//
//   write_console_summary(std::cout, report);
//   std::ofstream("report.html") << html_report(report);
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "rqcheck/client/exchange.h"
#include "rqcheck/conformance/runner.h"

namespace rqcheck::conformance {

// "[ 3/52] PASS  rq.add.dedup ... (must, 12 ms)" plus the failure detail on the next lines.
std::string progress_line(const CheckResult& r, std::size_t index, std::size_t total, bool color);
// The per-operation table and the totals.
void write_console_summary(std::ostream& out, const RunReport& report, bool color);

std::string json_report(const RunReport& report);
std::string junit_report(const RunReport& report);
std::string html_report(const RunReport& report);

// A curl command that repeats the exchange (token as $APIFY_TOKEN).
std::string curl_command(const client::Exchange& exchange);

// The catalogue: "markdown" (docs/checks.md), "text" or "json".
std::string catalogue(const std::string& format);

}  // namespace rqcheck::conformance
