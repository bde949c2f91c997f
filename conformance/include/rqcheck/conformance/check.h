// The check catalogue: one function per contract rule, registered beside its definition with a
// stable id, a title, the operation it covers, the source it enforces (seed sentence or spec
// section-9 decision), a level and the named bug of the fake that proves it can fail.
//
//   RQ_CHECK(batch_add_max_25, {
//       .id = "rq.batch_add.max_25", .title = "A batch of 26 requests is refused with 400",
//       .operation = Operation::kRequestsBatchPost, .level = Level::kMust,
//       .source = "batch-add-requests.txt: \"The maximum requests in batch is limit to 25.\"",
//       .catches = "servers that store oversized batches", .breaking_bug =
//       "BatchLimitNotEnforced"}) {
//     ...; return Outcome::pass();
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/client/exchange.h"
#include "rqcheck/core/operations.h"

namespace rqcheck::conformance {

class Context;

// Spec section 9: must = written rule (a failure is a violation); should = platform behaviour the
// clients rely on (a warning, a violation under --strict); tolerate = the sources disagree, every
// listed answer passes and the check reports which one it saw.
enum class Level { kMust, kShould, kTolerate };
std::string_view level_name(Level level);
bool parse_level(std::string_view text, Level* out);

// What a check needs from the run; the runner skips the check (with the reason) when absent.
enum Need : std::uint32_t {
  kNeedNothing = 0,
  kNeedRawHttp = 1u << 0,      // sends hand-made requests (malformed bodies, odd headers)
  kNeedRateLimits = 1u << 1,   // the target is expected to enforce rate limits (decision 37)
  kNeedSecondToken = 1u << 2,  // a token of a different user
  kNeedLargeBodies = 1u << 3,  // sends a body of about 9.4 MB
};

enum class Verdict { kPass, kFail, kSkip, kError };
std::string_view status_name(Verdict status);

// The result of one check. Evidence (the exchanges of the check) is attached by the runner.
struct Outcome {
  Verdict status = Verdict::kPass;
  std::string expected;  // kFail
  std::string received;  // kFail
  std::string reason;    // kSkip / kError
  std::string observed;  // kPass of a tolerate check: which accepted answer the target gave
  std::vector<client::Exchange> evidence;
  std::vector<bool> evidence_second_user;  // per evidence entry: sent with the second token
  std::size_t evidence_omitted = 0;        // exchanges left out between the first and last ones

  static Outcome pass(std::string observed = {});
  static Outcome fail(std::string expected, std::string received);
  static Outcome skip(std::string reason);
  static Outcome error(std::string reason);
};

using CheckFn = std::function<Outcome(Context&)>;

struct Check {
  std::string id;       // rq.<area>.<rule>: stable, never renamed or reused
  std::string title;    // one line
  Operation operation;  // the operation the rule is about
  Level level = Level::kMust;
  std::string source;        // "<seed file>: \"<quoted sentence>\"" or "decision N: <row>"
  std::string catches;       // what kind of broken server fails it
  std::string breaking_bug;  // the fake's named bug that makes this check fail
  std::uint32_t needs = kNeedNothing;
  CheckFn fn;
  // Where RQ_CHECK defined it, relative to the repository ("conformance/checks/batch.cc").
  std::string file;
  int line = 0;
};

// The registry, sorted by id. Registration happens in static initialisers (RQ_CHECK).
const std::vector<Check>& all_checks();
const Check* find_check(std::string_view id);
void register_check(Check check);

namespace detail {
struct Registrar {
  Registrar(Check check, CheckFn fn, const char* file, int line);
};
}  // namespace detail

}  // namespace rqcheck::conformance

// Defines `Outcome name(Context& ctx)` and registers it with the metadata `...` (a Check
// designated initialiser without .fn).
#define RQ_CHECK(name, ...)                                                                 \
  static ::rqcheck::conformance::Outcome rq_check_##name(::rqcheck::conformance::Context&); \
  static const ::rqcheck::conformance::detail::Registrar rq_registrar_##name(               \
      ::rqcheck::conformance::Check __VA_ARGS__, &rq_check_##name, __FILE__, __LINE__);     \
  static ::rqcheck::conformance::Outcome rq_check_##name(                                   \
      [[maybe_unused]] ::rqcheck::conformance::Context& ctx)
