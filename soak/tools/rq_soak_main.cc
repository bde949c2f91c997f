// rq-soak: concurrent clients run a seeded mix of every request-queue operation for a bounded
// time against an embedded rq-fake (default) or any endpoint (--base-url/--token); then the soak
// reads everything back and checks its properties (soak/include/rqcheck/soak/soak.h).
// Exit codes: 0 every property held, 1 violations, 2 usage or harness error.
#include <cstdlib>
#include <iostream>
#include <string>

#include "rqcheck/soak/soak.h"

namespace {

int usage(const char* msg) {
  if (msg) std::cerr << "rq-soak: " << msg << "\n";
  std::cerr
      << "usage: rq-soak [--base-url URL] [--token TOKEN] [--seconds S] [--clients N]\n"
         "               [--seed N] [--keys N] [--bug NAME]... [--rate-limits]\n"
         "               [--clock-margin-ms MS] [--quiet] [--list]\n"
         "  --base-url URL       the endpoint to soak (default: an embedded rq-fake);\n"
         "                       APIFY_API_BASE_URL and APIFY_TOKEN are honoured too\n"
         "  --seconds S          how long the clients run (default 10)\n"
         "  --clients N          concurrent clients, one thread and clientKey each (default 8)\n"
         "  --seed N             the seed of the operation mix (default: random, printed)\n"
         "  --keys N             keys each client writes in the write queue (default 40)\n"
         "  --bug NAME           embedded fake only: switch on a named bug (rq-fake --list-bugs)\n"
         "  --rate-limits        embedded fake only: keep its rate-limit emulation on\n"
         "  --clock-margin-ms    how far the target's clock may be from ours (default 50;\n"
         "                       use about 1000 for a remote endpoint)\n"
         "  --list               list the properties and exit\n";
  return 2;
}

bool number(const std::string& s, double& out) {
  char* end = nullptr;
  out = std::strtod(s.c_str(), &end);
  return !s.empty() && end && *end == '\0';
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rqcheck::soak;
  SoakOptions o;
  bool quiet = false;
  if (const char* u = std::getenv("APIFY_API_BASE_URL"); u && *u) o.base_url = u;
  if (const char* t = std::getenv("APIFY_TOKEN"); t && *t) o.token = t;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string v;
    auto value = [&]() {
      if (i + 1 >= argc) return false;
      v = argv[++i];
      return true;
    };
    double d = 0;
    if (a == "--help" || a == "-h") {
      usage(nullptr);
      return 0;
    } else if (a == "--list") {
      for (const auto& [name, title] : property_catalogue())
        std::cout << name << ": " << title << "\n";
      return 0;
    } else if (a == "--base-url") {
      if (!value()) return usage("--base-url needs a value");
      o.base_url = v;
    } else if (a == "--token") {
      if (!value()) return usage("--token needs a value");
      o.token = v;
    } else if (a == "--seconds") {
      if (!value() || !number(v, d) || d <= 0) return usage("--seconds needs a positive number");
      o.seconds = d;
    } else if (a == "--clients") {
      if (!value() || !number(v, d) || d < 1 || d > 256) return usage("--clients needs 1..256");
      o.clients = static_cast<int>(d);
    } else if (a == "--seed") {
      if (!value() || v.empty() || v.find_first_not_of("0123456789") != std::string::npos)
        return usage("--seed needs a non-negative integer");
      o.seed = std::strtoull(v.c_str(), nullptr, 10);
    } else if (a == "--keys") {
      if (!value() || !number(v, d) || d < 1 || d > 100000) return usage("--keys needs 1..100000");
      o.keys_per_client = static_cast<int>(d);
    } else if (a == "--bug") {
      if (!value()) return usage("--bug needs a name");
      o.bugs.push_back(v);
    } else if (a == "--rate-limits") {
      o.rate_limits = true;
    } else if (a == "--clock-margin-ms") {
      if (!value() || !number(v, d) || d < 0) return usage("--clock-margin-ms needs a number");
      o.clock_margin_ms = static_cast<std::int64_t>(d);
    } else if (a == "--quiet") {
      quiet = true;
    } else {
      return usage(("unknown argument " + a).c_str());
    }
  }
  if (o.base_url && !o.bugs.empty()) return usage("--bug needs the embedded fake");
  if (!quiet) o.progress = &std::cerr;
  SoakReport r = run_soak(o);
  std::cout << format_report(r);
  if (!r.harness_error.empty()) return 2;
  return r.ok() ? 0 : 1;
}
