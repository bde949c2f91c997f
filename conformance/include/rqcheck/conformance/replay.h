// Standalone bash + curl scripts that replay recorded HTTP calls against a target and say whether
// a failure reproduces. Used for rq-conformance's reproducers and rq-properties' replay scripts.
//
// The script creates its own queues (names get a fresh prefix), captures the ids and cursors the
// target hands out and uses them in the later calls, compares every answer with the recorded one,
// prints expected vs received, and deletes the queues it created. Exit 1: reproduced (every
// status, and the last answer, as recorded); 0: not reproduced; 2: could not run.
//
// An answer is compared as its Location, Retry-After and X-RateLimit-Limit headers and its body,
// with captured values and the prefix replaced by placeholders and each timestamp by <time>, or
// by <time+Ns> when it lies more than 2 s after the call was sent (N: the distance rounded to
// 5 s), so a lock that expires an hour early or a second late is a difference while the clock
// moving on is not.
//
//   ReplayPlan plan;
//   plan.about = {"Reproduces check rq.list.limit"};
//   plan.run_prefix = "rqc-1a2b3c";
//   for (const auto& ex : evidence) plan.calls.push_back(replay_call(ex,
//   ReplayCall::Auth::kToken)); std::string script = replay_script(plan).script;
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "rqcheck/client/exchange.h"

namespace rqcheck::conformance {

struct ReplayCall {
  enum class Auth { kNone, kToken, kSecondToken };
  std::string method = "GET";
  std::string target;  // path + query as recorded; "token=<redacted>" gets the token again
  std::optional<std::string> body;  // the bytes to send (already compressed for Content-Encoding)
  client::HeaderList headers;       // sent as they are (no Authorization, Host, Content-Length)
  Auth auth = Auth::kToken;
  int status = 0;                       // the recorded answer; 0: none (a transport error)
  std::string response;                 // the recorded body
  client::HeaderList response_headers;  // the recorded headers (the compared ones are picked)
  std::int64_t started_at_ms = 0;       // when the recorded call was sent (wall clock); 0: unknown
  bool response_cut = false;            // the recorded body is incomplete: compare the status only
  bool body_cut = false;      // the recorded request body is incomplete: cannot replay exactly
  std::int64_t pause_ms = 0;  // wait this long before the call (lock expiry, rate windows)
  std::string note;           // a comment above the call
  // Instead of an HTTP call: move rq-fake's virtual clock (POST /__admin/clock).
  std::optional<std::int64_t> advance_clock_ms;
};

// A call as an exchange recorded it (compressed bodies are compressed again).
ReplayCall replay_call(const client::Exchange& exchange, ReplayCall::Auth auth);

struct ReplayPlan {
  std::vector<std::string> about;  // comment lines at the top (what failed, how to run it)
  // When BASE_URL is unset: this target, or (empty) a fresh rq-fake started with `fake_args`.
  std::string default_base_url;
  std::vector<std::string> fake_args;  // e.g. {"--no-rate-limit", "--bug", "CursorSkipsItem"}
  // Tokens for a started rq-fake (which takes any token); other targets need APIFY_TOKEN (and
  // APIFY_SECOND_TOKEN for calls of the second user).
  std::string fake_token = "rqcheck-replay", fake_second_token = "rqcheck-replay-second";
  std::string run_prefix;  // replaced by a fresh prefix in every target and body
  std::vector<ReplayCall> calls;
  std::size_t calls_omitted = 0;   // calls the recording left out (said in the script)
  std::string expected, received;  // the failing run's verdict, printed at the end
  std::string side_file_stem;      // large bodies go to "<stem>.call<N>.body" beside the script
};

struct ReplayScript {
  std::string script;
  std::map<std::string, std::string> side_files;  // file name -> content (large bodies)
};

ReplayScript replay_script(const ReplayPlan& plan);

// The normalisation both sides of the comparison use (see above), here for a recorded answer:
// `captured` maps values to names (longest first); `sent_ms` is when the call was sent (0: no
// timestamp is taken as in the future).
std::string normalise_answer(const client::HeaderList& headers, std::string body,
                             const std::vector<std::pair<std::string, std::string>>& captured,
                             const std::string& prefix, std::int64_t sent_ms);

std::string shell_quote(const std::string& s);

}  // namespace rqcheck::conformance
