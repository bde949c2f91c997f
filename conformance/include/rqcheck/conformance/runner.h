// Runs a selection of checks against a target and collects their results.
//
//   RunOptions o;
//   o.base_url = "http://127.0.0.1:8080";
//   o.token = "t";
//   RunReport report = run_checks(o, [](const CheckResult& r, std::size_t i, std::size_t n) {
//     std::cout << i << "/" << n << " " << r.check->id << "\n";
//   });
//   return report.exit_code();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rqcheck/client/api.h"
#include "rqcheck/conformance/check.h"
#include "rqcheck/conformance/context.h"

namespace rqcheck::conformance {

struct Selection {
  std::vector<std::string> only;  // ids or globs (* and ?); empty = all
  std::vector<std::string> skip;  // ids or globs
  std::vector<Level> levels;      // empty = all
  // GTEST_TOTAL_SHARDS / GTEST_SHARD_INDEX: this process runs check i when i % total == index.
  int total_shards = 1, shard_index = 0;
};

// Matches `text` against a glob with * and ?.
bool glob_match(std::string_view glob, std::string_view text);
// The checks of the registry that the selection keeps, in id order.
std::vector<const Check*> select_checks(const Selection& selection);
// Why the selection cannot run: an --only or --skip pattern that matches no check of the
// registry (a typo would otherwise run nothing, or everything, and pass), or a selection that
// keeps no check at all (a shard of a non-empty selection may be empty). Empty when fine.
std::string selection_error(const Selection& selection);
// Reads the GoogleTest sharding variables into `selection`; false (and `error`) when invalid.
bool apply_sharding_env(Selection& selection, std::string* error);

struct RunOptions {
  std::string base_url;
  std::string token;  // never printed
  std::optional<std::string> second_token;
  Selection selection;
  bool strict = false;  // should-level failures count as violations
  std::optional<std::uint64_t> max_requests;
  std::string prefix;  // empty: "rqc-<random hex>"
  TargetInfo target;   // base_url is filled from `base_url`
  // A client under test; null: an HttpClient on base_url/token (the default implementation).
  client::RequestQueueApi* api = nullptr;
  // Set from a signal handler: stop after the current check (queues are still deleted).
  const std::atomic<bool>* interrupted = nullptr;
};

struct CheckResult {
  const Check* check = nullptr;
  Outcome outcome;
  std::chrono::milliseconds duration{0};
  // A failure that counts against conformance (must/tolerate always, should under --strict).
  bool violation = false;
  // The ids of the run's schema findings seen in this check's responses (not its verdict).
  std::vector<std::string> schema_findings;
};

// What a result amounts to, the same word in every report: "pass", "fail" (a violation),
// "warn" (a should-level failure outside --strict), "skip" or "error".
std::string_view result_label(const CheckResult& result);

struct RunReport {
  std::string base_url;
  TargetInfo target;  // what the run knew of the target (the reproducers use it)
  std::string prefix;
  bool strict = false;
  std::string started_at;  // ISO-8601
  std::chrono::milliseconds duration{0};
  std::vector<CheckResult> results;
  // Each distinct schema violation of the run's responses: must-level violations of their own.
  std::vector<SchemaFinding> schema_findings;
  std::uint64_t requests = 0;
  std::vector<std::string> cleanup_errors;  // queues that could not be deleted
  bool interrupted = false;
  std::string harness_error;  // a configuration problem that stopped the run

  std::size_t count(Verdict s) const;
  std::size_t violations() const;  // failed checks that count (schema findings not included)
  std::size_t warnings() const;    // should-level failures outside --strict
  // 0 conformant, 1 violations (failed checks or schema findings), 2 harness or configuration
  // error (also: interrupted, or a check ended in a harness error).
  int exit_code() const;
};

using ProgressFn = std::function<void(const CheckResult&, std::size_t index, std::size_t total)>;

// Runs one check with a fresh context (its queues deleted afterwards).
CheckResult run_one(const Check& check, client::RequestQueueApi& api, client::HttpClient& http,
                    client::HttpClient* second, const TargetInfo& target, RunState& run,
                    bool strict);

RunReport run_checks(const RunOptions& options, const ProgressFn& progress = {});

}  // namespace rqcheck::conformance
