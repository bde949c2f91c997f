// The properties of rq-properties, runnable from the CLI and from GoogleTest: each runs a
// RapidCheck property against a target and returns its outcome (seed, time, the shrunk
// counterexample and, on failure, a replay script).
//
//   RunOptions o;                          // embedded fake, RC_PARAMS or the defaults below
//   PropertyOutcome r = run_property("dedup", o);
//   if (!r.passed) std::cerr << r.message << r.replay_script;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/target.h"

namespace rqcheck::prop {

struct PropertyInfo {
  std::string name;
  std::string level;  // "must" or "should"
  std::string title;
};
const std::vector<PropertyInfo>& property_catalogue();

struct RunOptions {
  std::optional<std::string> base_url;  // nullopt: an embedded rq-fake
  std::string token = "rqcheck-properties";
  std::vector<std::string> bugs;          // named wrong behaviours of the embedded fake
  bool client_drops_unprocessed = false;  // the client-side bug DropUnprocessed (retry)
  std::optional<std::uint64_t> seed;      // else RC_PARAMS' seed, else random
  std::optional<int> max_success;         // else RC_PARAMS' max_success, else the default
  std::optional<int> max_size;
  bool quiet = false;  // no RapidCheck output on stderr
};

struct PropertyOutcome {
  std::string name;
  bool passed = false;
  bool gave_up = false;
  bool skipped = false;  // not applicable to this target (reason in message)
  std::uint64_t seed = 0;
  int max_success = 0, max_size = 0;
  int cases = 0;
  double seconds = 0;
  std::string message;        // RapidCheck's report (the shrunk command sequence on failure)
  std::string replay_script;  // on failure: bash + curl against a fresh rq-fake
};

// Default test sizes: command sequences of 1..101 commands (a quarter of the cases over 40),
// and every property together well under 60 s on a 2-core machine (about 10 s).
inline constexpr int kDefaultMaxSuccess = 150;
inline constexpr int kDefaultMaxSize = 100;

PropertyOutcome run_property(const std::string& name, const RunOptions& options);

}  // namespace rqcheck::prop
