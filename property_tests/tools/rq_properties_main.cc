// rq-properties: runs the registered RapidCheck properties (property_tests/registry.h) against an
// embedded rq-fake (default) or any endpoint (--base-url/--token), prints each seed and result,
// and writes a replay script for every failure. RC_PARAMS is honoured (seed, max_success, ...).
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../properties.h"
#include "rqcheck/client/http_client.h"
#include "rqcheck/conformance/runner.h"

namespace {

using namespace rqcheck;
using namespace rqcheck::prop;

const char* kUsage = R"(usage: rq-properties [options]

Runs RapidCheck state-machine properties of the request-queue API against a target and compares
every answer with a model written from scratch.

target
  --base-url URL      endpoint to test (default: $APIFY_API_BASE_URL, else an embedded rq-fake
                      with a virtual clock and rate limits off)
  --token TOKEN       its API token (default: $APIFY_TOKEN; required with --base-url); never
                      printed: re-run lines and replay scripts read $APIFY_TOKEN
  --retries N         HTTP retries of every call on 429, 5xx and transport errors, backoff
                      500 ms doubling with jitter like apify-client-js (default: 8 with
                      --base-url, 0 against the embedded fake, which has nothing to retry)
  --max-requests N    request budget of the whole run, shared by the properties; a property
                      stops starting cases once its share is used (default: 50000 with
                      --base-url, none against the embedded fake)
  --bug NAME          (embedded fake only) switch on a named bug of the fake (rq-fake
                      --list-bugs), or DropUnprocessed (a client-side bug of the retry
                      property); repeatable
  --behave NAME       (embedded fake only) switch a section-9 answer of the fake to the
                      alternative a deployment may give (rq-fake --behave): delete-absent-404,
                      reject-over-max-limit, prolong-from-expiry, prolong-by-other-400;
                      repeatable. Every property must still pass.
  --lag SPEC          (embedded fake only) start it with rq-fake's seeded eventual consistency
                      (docs/consistency.md), e.g. 'head=0-300ms;counters=0-200ms': new and
                      reclaimed requests show in head and head/lock only after a lag, the
                      counters trail. Without --consistency-lag the bound is the spec's
                      longest lag
  --lag-seed N        (embedded fake only) the seed of the lags (default: the fake's)
consistency
  --consistency-lag MS
                      the lag-tolerant mode: a request that became new or reclaimed (added,
                      upserted, its lock expired, deleted or released) may be missing from head
                      and head/lock for up to MS ms, and each counter (total, handled, pending;
                      modifiedAt) may show any value it had within the last MS ms, with total =
                      handled + pending. Everything else stays exact: dedup, ids, GET request,
                      list requests, lock exclusivity, prolong, delete lock; head and
                      head/lock never list a handled request or one twice, head/lock never one
                      another client holds, and a page that is not full holds every request
                      whose lag has passed. Each case ends by waiting MS out (the virtual clock
                      moves; a real one is polled, with 2 s more for the calls' latency), then
                      head must list every pending unlocked request, head/lock must hand them
                      out and the counters must be exact: a request never returned after the
                      bound fails (no loss).
                      Default: 0, the exact model (strongly consistent target); with --lag, the
                      spec's longest lag. Against api.apify.com, e.g. --consistency-lag 10000
selection
  --only ID|GLOB      run only matching properties (comma-separated or repeated; each pattern
                      must match one, or the run stops with exit 2)
  --strict            should-level failures (order) count as failures (default: warnings)
  --list              print the properties (id, level, guarded decisions, breaking bug) and exit
sizes (RC_PARAMS="seed=N max_success=M max_size=S" is honoured too)
  --seed N            the seed of every property (default: RapidCheck's, random, printed)
  --max-success N     cases per property (default: 150)
  --max-size N        size bound: command sequences of up to N+1 commands (default: 100)
output
  --replay-dir DIR    where replay scripts go (default: .):
                      DIR/rq-properties-<id>-<seed>.replay.sh, one per failed property
  --verbose           RapidCheck's report for passes too (the distribution of tags)
exit codes
  0  every property passed (warnings allowed unless --strict)
  1  a property failed (its seed, shrunk case, re-run line and replay script are printed)
  2  harness or configuration error: bad option, a pattern that matches nothing, no token, the
     target unreachable or refusing the token, a property that gave up
)";

int usage_error(const std::string& msg) {
  std::cerr << "rq-properties: " << msg << "\n(rq-properties --help lists the options)\n";
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

bool parse_u64(const std::string& v, std::uint64_t* out) {
  if (v.empty() || v.find_first_not_of("0123456789") != std::string::npos || v.size() > 19)
    return false;
  *out = std::strtoull(v.c_str(), nullptr, 10);
  return true;
}

std::string seconds(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, s < 10 ? "%.1f s" : "%.0f s", s);
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  RunOptions opts;
  std::vector<std::string> only;
  std::string replay_dir = ".";
  bool strict = false, verbose = false;
  std::optional<std::string> token;
  std::optional<std::uint64_t> max_requests;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    std::string v;
    auto value = [&]() {
      if (i + 1 >= argc) return false;
      v = argv[++i];
      return true;
    };
    auto number = [&](std::uint64_t* n) { return value() && parse_u64(v, n); };
    std::uint64_t n = 0;
    if (a == "--help" || a == "-h") {
      std::cout << kUsage;
      return 0;
    } else if (a == "--list") {
      for (const auto& p : all_properties()) {
        std::cout << p.id << " (" << p.level << "): " << p.title << "\n  guards:";
        for (const auto& g : p.guards) std::cout << " " << g << ";";
        std::cout << "\n  breaking bug: " << p.breaking_bug
                  << (p.client_side_bug ? " (client-side)" : "") << "\n  defined in: " << p.file
                  << ":" << p.line << "\n";
      }
      return 0;
    } else if (a == "--base-url") {
      if (!value()) return usage_error("--base-url needs a value");
      opts.base_url = v;
    } else if (a == "--token") {
      if (!value()) return usage_error("--token needs a value");
      token = v;
    } else if (a == "--only") {
      if (!value()) return usage_error("--only needs names");
      for (auto& g : split(v)) only.push_back(g);
    } else if (a == "--bug") {
      if (!value()) return usage_error("--bug needs a name");
      if (v == "DropUnprocessed")
        opts.client_drops_unprocessed = true;
      else
        opts.bugs.push_back(v);
    } else if (a == "--behave") {
      if (!value()) return usage_error("--behave needs a name");
      const auto& known = rqcheck::prop::known_behaviours();
      if (std::find(known.begin(), known.end(), v) == known.end())
        return usage_error("unknown --behave '" + v + "'");
      opts.behaviours.push_back(v);
    } else if (a == "--lag") {
      if (!value()) return usage_error("--lag needs a spec, e.g. 'head=0-300ms;counters=0-200ms'");
      if (auto b = lag_spec_bound(v); !b) return usage_error(b.error().message);
      opts.lag = v;
    } else if (a == "--lag-seed") {
      if (!number(&n)) return usage_error("--lag-seed takes a number");
      opts.lag_seed = n;
    } else if (a == "--consistency-lag") {
      if (!number(&n) || n > 600000) {
        return usage_error("--consistency-lag takes a number of ms, 0..600000");
      }
      opts.consistency_lag_ms = static_cast<std::int64_t>(n);
    } else if (a == "--seed") {
      if (!number(&n)) return usage_error("--seed takes a number");
      opts.seed = n;
    } else if (a == "--max-success") {
      if (!number(&n) || n == 0 || n > 1000000) return usage_error("--max-success takes 1..1e6");
      opts.max_success = static_cast<int>(n);
    } else if (a == "--max-size") {
      if (!number(&n) || n > 100000) return usage_error("--max-size takes 0..100000");
      opts.max_size = static_cast<int>(n);
    } else if (a == "--retries") {
      if (!number(&n) || n > 20) return usage_error("--retries takes 0..20");
      opts.retries = static_cast<int>(n);
    } else if (a == "--max-requests") {
      if (!number(&n) || n == 0) return usage_error("--max-requests takes a positive number");
      max_requests = n;
    } else if (a == "--replay-dir") {
      if (!value()) return usage_error("--replay-dir needs a directory");
      replay_dir = v;
    } else if (a == "--strict") {
      strict = true;
    } else if (a == "--verbose") {
      verbose = true;
    } else {
      return usage_error("unknown argument " + a);
    }
  }
  if (!opts.base_url) {
    if (const char* env = std::getenv("APIFY_API_BASE_URL"); env && *env) opts.base_url = env;
  }
  if (opts.base_url) {
    if (!opts.bugs.empty()) return usage_error("--bug needs the embedded fake (no --base-url)");
    if (!opts.behaviours.empty())
      return usage_error("--behave needs the embedded fake (no --base-url)");
    if (opts.lag || opts.lag_seed) {
      return usage_error(
          "--lag and --lag-seed need the embedded fake (start rq-fake --lag for another "
          "target and pass --consistency-lag)");
    }
    if (!token) {
      if (const char* env = std::getenv("APIFY_TOKEN"); env && *env) token = env;
    }
    if (!token || token->empty()) {
      return usage_error("no token for " + *opts.base_url +
                         ": pass --token or set APIFY_TOKEN (any non-empty token works on "
                         "rq-fake)");
    }
    opts.token = *token;
    if (!max_requests) max_requests = 50000;
  }
  // The selection: every pattern must match a property.
  std::vector<const Property*> selected;
  for (const auto& g : only) {
    bool hit = false;
    for (const auto& p : all_properties()) hit = hit || conformance::glob_match(g, p.id);
    if (!hit) return usage_error("--only '" + g + "' matches no property (see --list)");
  }
  for (const auto& p : all_properties()) {
    bool keep = only.empty();
    for (const auto& g : only) keep = keep || conformance::glob_match(g, p.id);
    if (keep) selected.push_back(&p);
  }
  // A remote target must answer and take the token before anything is generated.
  if (opts.base_url) {
    client::ClientConfig cc;
    cc.base_url = *opts.base_url;
    cc.token = opts.token;
    cc.retry.max_retries = opts.retries.value_or(kRemoteRetries);
    client::HttpClient http(cc);
    client::ListQueuesOptions lo;
    lo.limit = 1;
    auto pre = http.list_queues(lo);
    if (!pre && (pre.error().status == 0 || pre.error().status == 401)) {
      std::cerr << "rq-properties: GET " << *opts.base_url
                << "/v2/request-queues?limit=1 failed: " << pre.error().status << " "
                << pre.error().type << ": " << pre.error().message << "\n";
      return 2;
    }
  }
  std::cout << "rq-properties against "
            << (opts.base_url ? *opts.base_url : std::string("an embedded rq-fake"));
  if (opts.base_url) {
    std::cout << " (" << opts.retries.value_or(kRemoteRetries) << " retries per call, budget "
              << *max_requests << " requests)";
  }
  if (opts.lag) std::cout << " with --lag '" << *opts.lag << "'";
  if (const std::int64_t bound = consistency_bound(opts); bound > 0) {
    std::cout << "; lag-tolerant: head, head/lock and counters may trail by up to " << bound
              << " ms";
  }
  std::cout << "\n";
  int failures = 0, warnings = 0, harness = 0;
  std::uint64_t used = 0;
  for (std::size_t k = 0; k < selected.size(); ++k) {
    const Property& p = *selected[k];
    RunOptions o = opts;
    if (max_requests) {
      // An equal share of what is left.
      std::uint64_t left = *max_requests > used ? *max_requests - used : 0;
      o.max_requests = std::max<std::uint64_t>(1, left / (selected.size() - k));
    }
    PropertyOutcome r = run_property(p, o);
    used += r.stats.requests;
    if (r.skipped) {
      std::cout << "SKIP " << p.id << ": " << r.message << "\n";
      continue;
    }
    const char* verdict = r.passed    ? "PASS"
                          : r.gave_up ? "GAVE UP"
                                      : (p.level == "should" && !strict ? "WARN" : "FAIL");
    std::cout << verdict << " " << p.id << " (" << p.level << ") " << r.cases << " cases";
    if (r.budget_reached) std::cout << " (request budget reached; " << r.max_success << " wanted)";
    std::cout << ", " << seconds(r.seconds) << ", seed " << r.seed;
    if (opts.base_url || r.stats.retried > 0) {
      std::cout << ", " << r.stats.requests << " requests (" << r.stats.retried
                << " retries: " << r.stats.rate_limited << " x 429, " << r.stats.server_errors
                << " x 5xx)";
    }
    std::cout << "\n";
    if (r.passed && verbose) std::cout << r.message << "\n";
    if (r.gave_up) {
      std::cout << r.message << "\n";
      ++harness;
      continue;
    }
    if (!r.passed) {
      std::cout << r.message << "\n";
      if (!r.replay_script.empty()) {
        std::string path =
            replay_dir + "/rq-properties-" + p.id + "-" + std::to_string(r.seed) + ".replay.sh";
        std::ofstream(path) << r.replay_script;
        std::cout << "replay: bash " << path << "   ("
                  << (opts.base_url ? "APIFY_TOKEN=...; against " + *opts.base_url
                                    : std::string("RQ_FAKE=path/to/rq-fake"))
                  << "; exit 1: reproduced, 0: not)\n";
      }
      std::cout << "re-run: " << r.rerun << "\n";
      if (std::string(verdict) == "FAIL")
        ++failures;
      else
        ++warnings;
    }
  }
  std::cout << (failures  ? "FAILED"
                : harness ? "HARNESS ERROR"
                          : "OK")
            << " (" << failures << " failed, " << warnings << " warnings"
            << (harness ? ", 1+ gave up" : "") << ")\n";
  return failures ? 1 : harness ? 2 : 0;
}
