// The obligations of the contract: each sentence of the seed pages (/work/shared/seeds/) and of
// the spec (request-queue-api.md sections 1-6) that a server can break, and each decision of
// spec section 9, as data. rq-contract-doc lists them in docs/contract.md with what tests each
// one, found in the registries (never by hand): the conformance checks whose `source` cites it,
// the properties whose `guards` cite it, and the schema files every answer of rq-conformance is
// validated against. An obligation nothing tests is a gap; a gap must say why it cannot be
// tested from outside (`untestable`) or, while it is still open, what would test it (`open`);
// a ctest (ContractDoc.GapsExplained) fails on a gap with neither, and on a reason or an open
// note left on an obligation that is tested after all.
//
//   for (const Obligation& o : obligations())
//     if (cites(o, check.source)) ...   // the check tests o
#pragma once

#include <string_view>
#include <vector>

namespace rqcheck::contract {

struct Obligation {
  std::string_view id;      // stable, e.g. "seed.batch_add.max_25"
  std::string_view source;  // where it is written: "batch-add-requests.txt", "spec 4 (14)", ...
  std::string_view text;    // the sentence (quoted or closely paraphrased from the source)
  int decision = 0;         // the section-9 row it is (or restates); 0 when none
  // Fragments (case-insensitive) whose presence in a check's source or a property's guard
  // means that check or property tests this obligation. The id itself always counts.
  std::vector<std::string_view> refs;
  // The schema files that encode it: every answer of rq-conformance is validated against them.
  std::string_view schemas;
  // Why it cannot be tested from outside ("" when it can).
  std::string_view untestable;
  // A gap that can be tested from outside but is not yet: what would test it. Listed as an
  // open gap in docs/contract.md; the ctest fails once something tests it and this is still
  // set (so the list shrinks as checks land), and on any gap with neither field.
  std::string_view open = {};
};

const std::vector<Obligation>& obligations();

// Whether `text` (a check's source, a property's guard) cites obligation `o`: its id, one of
// its refs, or "decision N" for its decision.
bool cites(const Obligation& o, std::string_view text);

// Whether `text` (a named bug's `breaks`) names obligation `o` exactly: its id as a whole token,
// or "decision N" for the decision it is. Stricter than cites(): the refs do not count, so a
// bug breaks only what it says it breaks.
bool names(const Obligation& o, std::string_view text);

}  // namespace rqcheck::contract
