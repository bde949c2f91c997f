// The contract decisions of the project (spec section 9): for each row, what the fake does, the
// level the suite holds a target to, and the schemas that carry it. Checks, named bugs and
// properties cite these numbers ("decision 31"); docs/contract.md is generated from this table
// and the registries that cite it (tools/contract_doc.cc), and a ctest keeps it in sync.
//
//   for (const Decision& d : decisions()) std::cout << d.number << " " << d.topic;
#pragma once

#include <array>
#include <string_view>
#include <vector>

namespace rqcheck {

struct Decision {
  int number;
  std::string_view topic;      // what the row is about
  std::string_view fake_does;  // the first answer of the row: what rq-fake answers
  std::string_view level;      // the suite's level: must / should / tolerate, as the row says
  std::string_view schemas;    // the schema files that encode it ("" when none does)
};

inline constexpr std::size_t kDecisionCount = 40;
const std::array<Decision, kDecisionCount>& decisions();
// Decision `n` (1-based); nullptr outside 1..40.
const Decision* decision(int n);
// Every "decision N" cited in a text (e.g. a check's source), in order, without repeats.
std::vector<int> cited_decisions(std::string_view text);

}  // namespace rqcheck
