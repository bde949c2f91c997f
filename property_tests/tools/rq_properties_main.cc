// rq-properties: runs the RapidCheck properties of property_tests/ against an embedded rq-fake
// (default) or any endpoint (--base-url/--token), prints each seed and result, and writes a
// replay script for every failure. RC_PARAMS is honoured (seed, max_success, max_size, ...).
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "../properties.h"

namespace {

int usage(const char* msg) {
  if (msg) std::cerr << "rq-properties: " << msg << "\n";
  std::cerr << "usage: rq-properties [--base-url URL] [--token TOKEN] [--only NAME[,NAME...]]\n"
               "                     [--bug NAME]... [--seed N] [--max-success N] [--max-size N]\n"
               "                     [--replay-dir DIR] [--strict] [--verbose] [--list]\n"
               "  RC_PARAMS=\"seed=N max_success=M\" is honoured as well.\n";
  return 2;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string part;
  while (std::getline(ss, part, ',')) {
    if (!part.empty()) out.push_back(part);
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rqcheck::prop;
  RunOptions opts;
  std::vector<std::string> only;
  std::string replay_dir = ".";
  bool strict = false, verbose = false;
  if (const char* t = std::getenv("RQCHECK_TOKEN")) opts.token = t;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&](std::string& v) {
      if (i + 1 >= argc) return false;
      v = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") return usage(nullptr), 0;
    if (a == "--list") {
      for (const auto& p : property_catalogue()) {
        std::cout << p.name << " (" << p.level << "): " << p.title << "\n";
      }
      return 0;
    } else if (a == "--base-url") {
      if (!value(v)) return usage("--base-url needs a value");
      opts.base_url = v;
    } else if (a == "--token") {
      if (!value(opts.token)) return usage("--token needs a value");
    } else if (a == "--only") {
      if (!value(v)) return usage("--only needs names");
      for (auto& n : split(v)) only.push_back(n);
    } else if (a == "--bug") {
      if (!value(v)) return usage("--bug needs a name");
      if (v == "DropUnprocessed")
        opts.client_drops_unprocessed = true;
      else
        opts.bugs.push_back(v);
    } else if (a == "--seed") {
      if (!value(v)) return usage("--seed needs a number");
      opts.seed = std::stoull(v);
    } else if (a == "--max-success") {
      if (!value(v)) return usage("--max-success needs a number");
      opts.max_success = std::stoi(v);
    } else if (a == "--max-size") {
      if (!value(v)) return usage("--max-size needs a number");
      opts.max_size = std::stoi(v);
    } else if (a == "--replay-dir") {
      if (!value(replay_dir)) return usage("--replay-dir needs a directory");
    } else if (a == "--strict") {
      strict = true;
    } else if (a == "--verbose") {
      verbose = true;  // RapidCheck's report (with the distribution of tags) for passes too
    } else {
      return usage(("unknown argument " + a).c_str());
    }
  }
  if (opts.base_url && !opts.bugs.empty()) return usage("--bug needs the embedded fake");
  std::cout << "rq-properties against " << (opts.base_url ? *opts.base_url : "an embedded rq-fake")
            << "\n";
  int failures = 0, warnings = 0;
  for (const auto& info : property_catalogue()) {
    if (!only.empty() && std::find(only.begin(), only.end(), info.name) == only.end()) continue;
    PropertyOutcome r = run_property(info.name, opts);
    if (r.skipped) {
      std::cout << "SKIP " << info.name << ": " << r.message << "\n";
      continue;
    }
    const char* verdict = r.passed ? "PASS" : (info.level == "should" && !strict ? "WARN" : "FAIL");
    std::cout << verdict << " " << info.name << " (" << info.level << ") " << r.cases << " cases, "
              << r.seconds << " s, seed " << r.seed << "\n";
    if (r.passed && verbose) std::cout << r.message << "\n";
    if (!r.passed) {
      std::cout << r.message << "\n";
      if (!r.replay_script.empty()) {
        std::string path = replay_dir + "/rq-properties-" + info.name + "-" +
                           std::to_string(r.seed) + ".replay.sh";
        std::ofstream(path) << r.replay_script;
        std::cout << "replay: bash " << path << "   (RQ_FAKE=path/to/rq-fake, or BASE_URL=...)\n"
                  << "re-run: RC_PARAMS=\"seed=" << r.seed << " max_success=" << r.max_success
                  << " max_size=" << r.max_size << "\" rq-properties --only " << info.name;
        for (const auto& b : opts.bugs) std::cout << " --bug " << b;
        if (opts.client_drops_unprocessed) std::cout << " --bug DropUnprocessed";
        std::cout << "\n";
      }
      if (std::string(verdict) == "FAIL")
        ++failures;
      else
        ++warnings;
    }
  }
  std::cout << (failures ? "FAILED" : "OK") << " (" << failures << " failed, " << warnings
            << " warnings)\n";
  return failures ? 1 : 0;
}
