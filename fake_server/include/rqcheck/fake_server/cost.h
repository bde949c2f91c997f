// What request-queue calls cost (issue 16 point 3, docs/cost.md): the units a queue's `stats`
// object counts (readCount, writeCount, deleteCount, headItemReadCount) and that the platform
// bills, one rule per operation in one table (cost_rules). The store charges a call with
// cost_of() when it does the work, into the queue's stats and into the call's CostCharge; the
// journal entry carries the charge to the cost meter (src/cost_meter.h), which adds it up per
// client and per run. A CostBudget (rq-fake --budget) makes the report fail when a run spends
// more than it allows.
//
//   CostCharge c = cost_of(Operation::kHeadLockPost, 25);  // {writes 25, head_items 25}
//   auto budget = parse_cost_budget("writes=100,refused=0");
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/result.h"

namespace rqcheck::fake {

// The units of one call, or of many added up.
struct CostCharge {
  std::int64_t reads = 0, writes = 0, deletes = 0, head_items = 0;

  CostCharge& operator+=(const CostCharge& o) {
    reads += o.reads;
    writes += o.writes;
    deletes += o.deletes;
    head_items += o.head_items;
    return *this;
  }
  bool operator==(const CostCharge& o) const {
    return reads == o.reads && writes == o.writes && deletes == o.deletes &&
           head_items == o.head_items;
  }
};

// How an operation counts a unit: not at all, once per successful call, or once per item the
// call touched (what an item is for the operation: CostRule::items).
enum class CostBasis : std::uint8_t { kNone, kPerCall, kPerItem };

struct CostRule {
  Operation op;
  CostBasis reads, writes, deletes, head_items;
  std::string_view items;   // what the store counts as an item, "" when no unit is per item
  std::string_view source;  // where the rule comes from, or "fake's choice: ..." (docs/cost.md)
};

// One rule per request-queue operation (rows 1-17), in spec order.
const std::vector<CostRule>& cost_rules();
// The rule of `op`; nullptr for the other storages' operations (they are not metered).
const CostRule* cost_rule(Operation op);
// What one successful call of `op` costs when it touched `items` items (see CostRule::items).
CostCharge cost_of(Operation op, std::int64_t items);

// Upper bounds for one run (since start or the last admin reset); unset ones are not checked.
struct CostBudget {
  std::optional<std::int64_t> writes, reads, deletes, head_items, refused;
  bool any() const { return writes || reads || deletes || head_items || refused; }
};
// "writes=N,reads=N,deletes=N,headItems=N,refused=N", any non-empty subset, each at most once,
// N a whole number 0..2^62. The error names the part that is wrong.
Result<CostBudget> parse_cost_budget(std::string_view text);
// {"writes":N, ...} with only the bounds set.
Json to_json(const CostBudget& budget);

}  // namespace rqcheck::fake
