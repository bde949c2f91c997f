#include "cost_meter.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <sstream>

namespace rqcheck::fake {

// ---- The rules -----------------------------------------------------------------------------

namespace {

using O = Operation;
using B = CostBasis;

// Sources (docs/cost.md quotes them): the OpenAPI description's RequestQueueStats names the
// counters and says nothing of how they count; apify/crawlee#3120 (a maintainer: re-sending
// 250 links the queue already holds "will cost 250 unnecessary RQ writes"); apify-sdk-python
// PR 1062 (a maintainer: handing out a request from a batch lock "adds no API write", a prolong
// is one, and "shared mode stays at 3 writes per request": add, lock, handled mark);
// apify/crawlee#3416 (writes are billed one by one: 2500 for 90 pages).
constexpr std::string_view kNothing =
    "fake's choice: the platform publishes nothing; a call on the queue's metadata or the queue "
    "list is not counted in the queue's stats";
const std::vector<CostRule> kRules = {
    {O::kQueuesGet, B::kNone, B::kNone, B::kNone, B::kNone, "", kNothing},
    {O::kQueuesPost, B::kNone, B::kNone, B::kNone, B::kNone, "", kNothing},
    {O::kQueueGet, B::kNone, B::kNone, B::kNone, B::kNone, "", kNothing},
    {O::kQueuePut, B::kNone, B::kNone, B::kNone, B::kNone, "", kNothing},
    {O::kQueueDelete, B::kNone, B::kNone, B::kNone, B::kNone, "", kNothing},
    {O::kRequestsPost, B::kNone, B::kPerCall, B::kNone, B::kNone, "",
     "apify/crawlee#3120: an add is a write whether the request is new or already present"},
    {O::kRequestsGet, B::kPerItem, B::kNone, B::kNone, B::kNone, "each request listed",
     "fake's choice: the platform publishes nothing; one read per request the page returns"},
    {O::kRequestsBatchPost, B::kNone, B::kPerItem, B::kNone, B::kNone,
     "each item processed, new or already present (unprocessed items cost nothing)",
     "apify/crawlee#3120 (250 re-sent links cost 250 writes); unprocessed items: fake's choice"},
    {O::kRequestsBatchDelete, B::kNone, B::kNone, B::kPerItem, B::kNone,
     "each request deleted (absent or unprocessed items cost nothing)",
     "fake's choice: the platform publishes nothing; one delete per request removed"},
    {O::kRequestGet, B::kPerCall, B::kNone, B::kNone, B::kNone, "",
     "fake's choice: the platform publishes nothing; one read per request found"},
    {O::kRequestPut, B::kNone, B::kPerCall, B::kNone, B::kNone, "",
     "apify-sdk-python PR 1062: the handled mark is one of the 3 writes per request"},
    {O::kRequestDelete, B::kNone, B::kNone, B::kPerItem, B::kNone,
     "the request, when it existed (deleting an absent one costs nothing)",
     "fake's choice: the platform publishes nothing; one delete per request removed"},
    {O::kHeadGet, B::kNone, B::kNone, B::kNone, B::kPerItem, "each request returned",
     "OpenAPI RequestQueueStats.headItemReadCount (\"the number of times requests from the head "
     "were read\"): one per request returned; not a read"},
    {O::kHeadLockPost, B::kNone, B::kPerItem, B::kNone, B::kPerItem, "each request locked",
     "apify-sdk-python PR 1062: locking is one of the 3 writes per request; headItemReadCount "
     "as for head"},
    {O::kRequestLockPut, B::kNone, B::kPerCall, B::kNone, B::kNone, "",
     "apify-sdk-python PR 1062: a prolong is an API write"},
    {O::kRequestLockDelete, B::kNone, B::kPerCall, B::kNone, B::kNone, "",
     "fake's choice: the platform publishes nothing; a lock removed is a write, like a prolong"},
    {O::kRequestsUnlockPost, B::kNone, B::kPerItem, B::kNone, B::kNone, "each request unlocked",
     "fake's choice: the platform publishes nothing; one write per lock removed"},
};

std::int64_t units(CostBasis b, std::int64_t items) {
  switch (b) {
    case B::kNone:
      return 0;
    case B::kPerCall:
      return 1;
    case B::kPerItem:
      return items;
  }
  return 0;
}

const char* basis_name(CostBasis b) {
  switch (b) {
    case B::kNone:
      return "none";
    case B::kPerCall:
      return "per call";
    case B::kPerItem:
      return "per item";
  }
  return "none";
}

}  // namespace

const std::vector<CostRule>& cost_rules() { return kRules; }

const CostRule* cost_rule(Operation op) {
  auto i = static_cast<std::size_t>(op);
  return i < kRules.size() ? &kRules[i] : nullptr;
}

CostCharge cost_of(Operation op, std::int64_t items) {
  const CostRule* r = cost_rule(op);
  if (!r) return {};
  return CostCharge{units(r->reads, items), units(r->writes, items), units(r->deletes, items),
                    units(r->head_items, items)};
}

// ---- The budget ----------------------------------------------------------------------------

Result<CostBudget> parse_cost_budget(std::string_view text) {
  auto bad = [&](const std::string& why) -> Result<CostBudget> {
    return ApiError{400, "invalid-budget", "--budget '" + std::string(text) + "': " + why};
  };
  if (text.empty()) return bad("empty; give writes=N,reads=N,deletes=N,headItems=N,refused=N");
  CostBudget b;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string_view::npos) comma = text.size();
    std::string part(text.substr(pos, comma - pos));
    auto eq = part.find('=');
    if (part.empty()) return bad("an empty entry");
    if (eq == std::string::npos) return bad("'" + part + "' is not METRIC=N");
    std::string key = part.substr(0, eq), value = part.substr(eq + 1);
    std::optional<std::int64_t>* slot = key == "writes"      ? &b.writes
                                        : key == "reads"     ? &b.reads
                                        : key == "deletes"   ? &b.deletes
                                        : key == "headItems" ? &b.head_items
                                        : key == "refused"   ? &b.refused
                                                             : nullptr;
    if (!slot) {
      return bad("unknown metric '" + key +
                 "' (the metrics are writes, reads, deletes, headItems, refused)");
    }
    if (*slot) return bad("'" + key + "' given twice");
    bool digits =
        !value.empty() && value.size() <= 19 &&
        std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; });
    std::int64_t n = digits ? std::strtoll(value.c_str(), nullptr, 10) : -1;
    if (!digits || n < 0 || n > (std::int64_t{1} << 62)) {
      return bad("'" + key + "=" + value + "': N must be a whole number 0..2^62");
    }
    *slot = n;
    pos = comma + 1;
  }
  return b;
}

Json to_json(const CostBudget& b) {
  Json j = Json::object();
  if (b.writes) j["writes"] = *b.writes;
  if (b.reads) j["reads"] = *b.reads;
  if (b.deletes) j["deletes"] = *b.deletes;
  if (b.head_items) j["headItems"] = *b.head_items;
  if (b.refused) j["refused"] = *b.refused;
  return j;
}

// ---- The meter -----------------------------------------------------------------------------

struct CostMeter::Client {
  std::string client_key;
  bool has_client_key = false, other = false;
  std::atomic<std::int64_t> calls{0}, reads{0}, writes{0}, deletes{0}, head_items{0}, refused{0};
};

// One queue's one-second windows by operation class, or one user's minute window (w[0]).
struct CostMeter::Windows {
  RateBuckets::Window w[3];
  std::int64_t last_second = 0;  // the newest second a call of it arrived in
};

struct CostMeter::Shard {
  std::mutex mu;
  std::unordered_map<std::string, Windows> windows;
  std::int64_t swept_second = -1;  // a sweep freed nothing in this second: do not repeat it
};

namespace {

bool has_queue_param(Operation op) {
  return operation_info(op).path.find("{queueId}") != std::string_view::npos;
}

// The windows of `key` in `s` (s.mu held); nullptr when the shard is full of live windows.
// Windows whose newest second is before `stale_before` are dropped to make room.
template <typename W>
W* slot(std::unordered_map<std::string, W>& map, std::int64_t& swept_second, std::size_t cap,
        const std::string& key, std::int64_t second, std::int64_t stale_before) {
  auto it = map.find(key);
  if (it == map.end()) {
    if (map.size() >= cap) {
      if (swept_second == second) return nullptr;
      for (auto i = map.begin(); i != map.end();) {
        i = i->second.last_second < stale_before ? map.erase(i) : std::next(i);
      }
      if (map.size() >= cap) {
        swept_second = second;
        return nullptr;
      }
    }
    it = map.emplace(key, W{}).first;
  }
  it->second.last_second = second;
  return &it->second;
}

}  // namespace

CostMeter::CostMeter(CostMeterOptions options)
    : options_(options),
      queue_shards_(std::make_unique<std::array<Shard, kShards>>()),
      user_shards_(std::make_unique<std::array<Shard, kShards>>()) {}

CostMeter::~CostMeter() = default;

bool CostMeter::would_refuse(const JournalEntry& e) {
  const RateLimits& rl = options_.limits;
  const std::int64_t second = e.arrival_ms / 1000;
  const std::size_t cap = std::max<std::size_t>(1, options_.max_windows / kShards);
  // The user's minute budget first, then the queue's bucket: the order the platform's (and the
  // fake's) limiter charges them in, so a call the queue refuses still spent the user's budget.
  if (!e.user.empty() && rl.global_per_minute > 0) {
    Shard& s = (*user_shards_)[std::hash<std::string>{}(e.user) % kShards];
    std::lock_guard lock(s.mu);
    const std::int64_t minute = e.arrival_ms / 60000;
    Windows* w = slot(s.windows, s.swept_second, cap, e.user, second, minute * 60);
    if (!w) {
      unjudged_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    RateBuckets::Window& win = w->w[0];
    if (win.second != minute) win = RateBuckets::Window{minute, 0};
    if (win.count >= rl.global_per_minute) return true;
    ++win.count;
  }
  if (!has_queue_param(*e.op) || e.queue.empty()) return false;
  const int limit = limit_for(rl, *e.op);
  if (limit <= 0) return false;
  Shard& s = (*queue_shards_)[std::hash<std::string>{}(e.queue) % kShards];
  std::lock_guard lock(s.mu);
  Windows* w = slot(s.windows, s.swept_second, cap, e.queue, second, second);
  if (!w) {
    unjudged_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  RateBuckets::Window& win = w->w[bucket_of(*e.op)];
  if (win.second != second) win = RateBuckets::Window{second, 0};
  if (win.count >= limit) return true;
  ++win.count;
  return false;
}

void CostMeter::on_exchange(const JournalEntry& e) {
  if (!e.op || !cost_rule(*e.op)) return;  // only the request-queue operations are metered
  seen_[static_cast<std::size_t>(*e.op)].store(true, std::memory_order_relaxed);
  const bool refused = would_refuse(e);
  // The client map under a shared lock for the whole call (clear() cannot free a client in
  // use); only a new client takes it exclusively. A loop: a clear() may slip in before the
  // re-lock.
  std::string id = e.client_key ? "k" + *e.client_key : std::string("-");
  std::shared_lock lock(mu_);
  auto it = clients_.find(id);
  while (it == clients_.end()) {
    lock.unlock();
    {
      std::unique_lock insert(mu_);
      if (!clients_.count(id) && clients_.size() >= options_.max_clients) id = "~other";
      auto [slot, inserted] = clients_.try_emplace(id);
      if (inserted) {
        slot->second = std::make_unique<Client>();
        slot->second->other = id == "~other";
        slot->second->has_client_key = e.client_key.has_value() && !slot->second->other;
        if (slot->second->has_client_key) slot->second->client_key = *e.client_key;
      }
    }
    lock.lock();
    it = clients_.find(id);
  }
  Client& c = *it->second;
  c.calls.fetch_add(1, std::memory_order_relaxed);
  c.reads.fetch_add(e.cost.reads, std::memory_order_relaxed);
  c.writes.fetch_add(e.cost.writes, std::memory_order_relaxed);
  c.deletes.fetch_add(e.cost.deletes, std::memory_order_relaxed);
  c.head_items.fetch_add(e.cost.head_items, std::memory_order_relaxed);
  if (refused) c.refused.fetch_add(1, std::memory_order_relaxed);
}

std::vector<CostRow> CostMeter::rows() const {
  std::unique_lock lock(mu_);  // exclusive: every call's counts are complete
  std::vector<CostRow> out, tail;
  for (const auto& [id, c] : clients_) {
    CostRow r;
    r.client_key = c->other ? "(other clients)" : c->client_key;
    r.has_client_key = c->has_client_key;
    r.calls = c->calls.load();
    r.cost = CostCharge{c->reads.load(), c->writes.load(), c->deletes.load(), c->head_items.load()};
    r.refused = c->refused.load();
    (c->has_client_key ? out : tail).push_back(std::move(r));
  }
  out.insert(out.end(), tail.begin(), tail.end());  // no clientKey, then the folded ones
  return out;
}

CostRow CostMeter::total() const {
  CostRow t;
  t.client_key = "total";
  for (const CostRow& r : rows()) {
    t.calls += r.calls;
    t.cost += r.cost;
    t.refused += r.refused;
  }
  return t;
}

std::vector<CostMeter::Overrun> CostMeter::overruns(const CostBudget& b) const {
  std::vector<Overrun> out;
  if (!b.any()) return out;
  const CostRow t = total();
  auto check = [&](const char* metric, const std::optional<std::int64_t>& bound,
                   std::int64_t actual) {
    if (bound && actual > *bound) out.push_back({metric, *bound, actual});
  };
  check("writes", b.writes, t.cost.writes);
  check("reads", b.reads, t.cost.reads);
  check("deletes", b.deletes, t.cost.deletes);
  check("headItems", b.head_items, t.cost.head_items);
  check("refused", b.refused, t.refused);
  return out;
}

namespace {

Json row_json(const CostRow& r) {
  return Json{{"clientKey", r.has_client_key ? Json(r.client_key) : Json(nullptr)},
              {"calls", r.calls},
              {"reads", r.cost.reads},
              {"writes", r.cost.writes},
              {"deletes", r.cost.deletes},
              {"headItems", r.cost.head_items},
              {"refused", r.refused}};
}

std::string overrun_message(const CostMeter::Overrun& o) {
  return "the run made " + std::to_string(o.actual) + " " + o.metric + ", over the budget of " +
         std::to_string(o.budget) + " (--budget " + o.metric + "=" + std::to_string(o.budget) + ")";
}

}  // namespace

Json CostMeter::report(const CostBudget& budget) const {
  Json clients = Json::array();
  std::vector<CostRow> rs = rows();
  CostRow t;
  for (const CostRow& r : rs) {
    Json j = row_json(r);
    if (!r.has_client_key && r.client_key == "(other clients)") j["otherClients"] = true;
    clients.push_back(std::move(j));
    t.calls += r.calls;
    t.cost += r.cost;
    t.refused += r.refused;
  }
  Json total = row_json(t);
  total.erase("clientKey");
  Json rules = Json::object();
  for (const CostRule& r : kRules) {
    if (!seen_[static_cast<std::size_t>(r.op)].load(std::memory_order_relaxed)) continue;
    Json j{{"reads", basis_name(r.reads)},
           {"writes", basis_name(r.writes)},
           {"deletes", basis_name(r.deletes)},
           {"headItems", basis_name(r.head_items)},
           {"source", r.source}};
    if (!r.items.empty()) j["items"] = r.items;
    rules[std::string(operation_info(r.op).id)] = std::move(j);
  }
  Json over = Json::array();
  for (const Overrun& o : overruns(budget)) {
    over.push_back(Json{{"metric", o.metric}, {"budget", o.budget}, {"actual", o.actual}});
  }
  const RateLimits& rl = options_.limits;
  return Json{{"clients", std::move(clients)},
              {"total", std::move(total)},
              {"rules", std::move(rules)},
              {"limits",
               {{"singleRequestPerSec", rl.single_request_per_sec},
                {"batchPerSec", rl.batch_per_sec},
                {"otherPerSec", rl.other_per_sec},
                {"globalPerMinute", rl.global_per_minute}}},
              {"unjudged", unjudged_.load(std::memory_order_relaxed)},
              {"budget", budget.any() ? to_json(budget) : Json(nullptr)},
              {"withinBudget", over.empty()},
              {"overBudget", std::move(over)}};
}

std::vector<Finding> CostMeter::findings(const CostBudget& budget) const {
  std::vector<Finding> out;
  for (const Overrun& o : overruns(budget)) {
    out.push_back(Finding{"cost.over_budget", "error", overrun_message(o), {}});
  }
  return out;
}

std::string CostMeter::table(const CostBudget& budget) const {
  std::vector<CostRow> rs = rows();
  CostRow t;
  t.client_key = "total";
  t.has_client_key = true;
  for (const CostRow& r : rs) {
    t.calls += r.calls;
    t.cost += r.cost;
    t.refused += r.refused;
  }
  std::ostringstream out;
  out << "Cost (request-queue units, docs/cost.md; refused: calls over the documented rate "
         "limits):\n";
  char line[200];
  std::snprintf(line, sizeof line, "  %-34s %8s %8s %8s %8s %10s %8s\n", "clientKey", "calls",
                "reads", "writes", "deletes", "headItems", "refused");
  out << line;
  auto put = [&](const CostRow& r) {
    std::string name = r.has_client_key                    ? r.client_key
                       : r.client_key == "(other clients)" ? r.client_key
                                                           : std::string("(no clientKey)");
    if (name.size() > 34) name = name.substr(0, 31) + "...";
    std::snprintf(line, sizeof line, "  %-34s %8lld %8lld %8lld %8lld %10lld %8lld\n", name.c_str(),
                  static_cast<long long>(r.calls), static_cast<long long>(r.cost.reads),
                  static_cast<long long>(r.cost.writes), static_cast<long long>(r.cost.deletes),
                  static_cast<long long>(r.cost.head_items), static_cast<long long>(r.refused));
    out << line;
  };
  for (const CostRow& r : rs) put(r);
  put(t);
  if (budget.any()) {
    auto over = overruns(budget);
    if (over.empty()) {
      out << "  budget " << dump_json(to_json(budget)) << ": within budget\n";
    } else {
      for (const Overrun& o : over) out << "  OVER BUDGET: " << overrun_message(o) << "\n";
    }
  }
  return out.str();
}

std::string CostMeter::summary_line(const CostBudget& budget) const {
  std::vector<CostRow> rs = rows();
  CostRow t;
  for (const CostRow& r : rs) {
    t.calls += r.calls;
    t.cost += r.cost;
    t.refused += r.refused;
  }
  std::ostringstream out;
  out << "cost: " << t.calls << " request-queue calls from " << rs.size()
      << " client(s): " << t.cost.reads << " reads, " << t.cost.writes << " writes, "
      << t.cost.deletes << " deletes, " << t.cost.head_items << " head items read, " << t.refused
      << " calls over the documented rate limits";
  if (budget.any()) {
    auto over = overruns(budget);
    if (over.empty()) {
      out << "; within budget " << dump_json(to_json(budget));
    } else {
      out << "; OVER BUDGET:";
      for (std::size_t i = 0; i < over.size(); ++i) {
        out << (i ? "," : "") << " " << over[i].metric << " " << over[i].actual << " > "
            << over[i].budget;
      }
    }
  }
  return out.str();
}

void CostMeter::clear() {
  std::unique_lock lock(mu_);
  clients_.clear();
  for (auto* shards : {queue_shards_.get(), user_shards_.get()}) {
    for (Shard& s : *shards) {
      std::lock_guard l(s.mu);
      s.windows.clear();
      s.swept_second = -1;
    }
  }
  unjudged_.store(0);
  for (auto& s : seen_) s.store(false);
}

}  // namespace rqcheck::fake
