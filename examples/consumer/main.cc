// Runs the whole rqcheck conformance catalogue against --base-url with the default client
// (rqcheck::client::HttpClient). A C++ client author would set RunOptions::api to their own
// rqcheck::client::RequestQueueApi implementation to run the same checks through it.
//
//   rqcheck_consumer --base-url http://127.0.0.1:8080 --token t
#include <cstdlib>
#include <iostream>
#include <string>

#include "rqcheck/conformance/report.h"
#include "rqcheck/conformance/runner.h"

int main(int argc, char** argv) {
  rqcheck::conformance::RunOptions options;
  options.token = std::getenv("APIFY_TOKEN") ? std::getenv("APIFY_TOKEN") : "";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--base-url")
      options.base_url = argv[i + 1];
    else if (flag == "--token")
      options.token = argv[i + 1];
  }
  if (options.base_url.empty()) {
    std::cerr << "usage: rqcheck_consumer --base-url URL [--token TOKEN]\n";
    return 2;
  }
  options.target.large_bodies = false;  // keep the example quick
  auto report = rqcheck::conformance::run_checks(
      options, [](const rqcheck::conformance::CheckResult& r, std::size_t i, std::size_t n) {
        std::cout << rqcheck::conformance::progress_line(r, i, n, false) << "\n";
      });
  rqcheck::conformance::write_console_summary(std::cout, report, false);
  return report.exit_code();
}
