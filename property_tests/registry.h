// The property registry, like the conformance check registry: each property is registered
// beside its definition with an id, a title, its level, the contract decisions and obligations
// it guards, and the named bug that proves it can fail (the self-test runs it with that bug and
// expects a failure). A property's body is one RapidCheck test case.
//
//   RQ_PROPERTY(dedup, {.id = "dedup", .title = "ids stable per uniqueKey ...",
//                       .level = "must", .guards = {"decision 20", "decision 21"},
//                       .breaking_bug = "DedupByUrl"}) {
//     run_machine(env, ...);   // RC_ASSERT / RC_FAIL inside
//   }
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/target.h"

namespace rqcheck::prop {

struct RunOptions;

// What a test case of a property works with.
struct CaseEnv {
  Target& target;
  const RunOptions& options;
  // The transcript of the last failing case (during shrinking, RapidCheck's final
  // counterexample is the last case that failed), for the replay script.
  std::vector<TranscriptStep>& failed_steps;
  std::uint64_t case_no = 0;  // 1-based, over the cases of this run of the property
  // The lag-tolerant mode's bound in ms (consistency_bound()); 0: the exact model.
  std::int64_t consistency_lag_ms = 0;
};

using PropertyBody = std::function<void(CaseEnv&)>;

struct Property {
  std::string id;                   // lower case, stable: rq-properties --only ID
  std::string title;                // one line
  std::string level = "must";       // "must" or "should" (a warning unless --strict)
  std::vector<std::string> guards;  // "decision 20", "spec 7.1", ... (spec section 9 and 7)
  // The named bug that makes it fail: one of the fake's (rq-fake --list-bugs), or a client-side
  // bug of the harness (client_side_bug).
  std::string breaking_bug;
  bool client_side_bug = false;
  bool needs_embedded_fake = false;  // uses the fake's fault engine, journal, virtual clock
  PropertyBody body;
  std::string file;  // where RQ_PROPERTY defined it, relative to the repository
  int line = 0;
};

// The registry, in registration order of the files (dedup, pagination, ...).
const std::vector<Property>& all_properties();
const Property* find_property(std::string_view id);

namespace detail {
struct PropertyRegistrar {
  PropertyRegistrar(Property p, PropertyBody body, const char* file, int line);
};
}  // namespace detail

}  // namespace rqcheck::prop

// Defines `void name(CaseEnv& env)` and registers it with the metadata `...` (a Property
// designated initialiser without .body).
#define RQ_PROPERTY(name, ...)                                                          \
  static void rq_property_##name(::rqcheck::prop::CaseEnv&);                            \
  static const ::rqcheck::prop::detail::PropertyRegistrar rq_property_registrar_##name( \
      ::rqcheck::prop::Property __VA_ARGS__, &rq_property_##name, __FILE__, __LINE__);  \
  static void rq_property_##name([[maybe_unused]] ::rqcheck::prop::CaseEnv& env)
