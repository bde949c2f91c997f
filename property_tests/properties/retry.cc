// The retry property: adds and batch adds through the retrying client under generated fault
// schedules of the embedded fake, and DropUnprocessed, the client-side bug that proves it fails.
#include <rapidcheck.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include "../commands/commands.h"
#include "../properties.h"
#include "../registry.h"
#include "rqcheck/client/batch_add.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/server.h"

namespace rqcheck::prop {
namespace anchors {
void retry() {}
}  // namespace anchors

namespace {

// The client-side bug DropUnprocessed: a batch add that silently drops its unprocessedRequests
// (it reports them as processed), so the batch helper above it never resends them and tells its
// caller they were stored. Test-only: the retry property must catch it.
class DroppingApi final : public client::RequestQueueApi {
 public:
  explicit DroppingApi(client::RequestQueueApi& inner) : in_(inner) {}
  Result<QueuesPage> list_queues(const client::ListQueuesOptions& o) override {
    return in_.list_queues(o);
  }
  Result<RequestQueueInfo> get_or_create_queue(const std::optional<std::string>& n) override {
    return in_.get_or_create_queue(n);
  }
  Result<RequestQueueInfo> get_queue(std::string_view q) override { return in_.get_queue(q); }
  Result<RequestQueueInfo> update_queue(std::string_view q, const client::QueueUpdate& u) override {
    return in_.update_queue(q, u);
  }
  Status delete_queue(std::string_view q) override { return in_.delete_queue(q); }
  Result<AddResult> add_request(std::string_view q, const Json& r,
                                const client::WriteOptions& o) override {
    return in_.add_request(q, r, o);
  }
  Result<RequestsPage> list_requests(std::string_view q,
                                     const client::ListRequestsOptions& o) override {
    return in_.list_requests(q, o);
  }
  Result<BatchAddResult> batch_add_requests(std::string_view q, const std::vector<Json>& r,
                                            const client::WriteOptions& o) override {
    auto res = in_.batch_add_requests(q, r, o);
    if (res.ok()) {  // the bug
      for (const auto& u : res->unprocessed) {
        res->processed.push_back(
            ProcessedRequest{request_id_for(u.unique_key), u.unique_key, false, false});
      }
      res->unprocessed.clear();
    }
    return res;
  }
  Result<BatchDeleteResult> batch_delete_requests(std::string_view q, const std::vector<Json>& r,
                                                  const client::ClientKeyOptions& o) override {
    return in_.batch_delete_requests(q, r, o);
  }
  Result<Json> get_request(std::string_view q, std::string_view id) override {
    return in_.get_request(q, id);
  }
  Result<AddResult> update_request(std::string_view q, std::string_view id, const Json& r,
                                   const client::WriteOptions& o) override {
    return in_.update_request(q, id, r, o);
  }
  Status delete_request(std::string_view q, std::string_view id,
                        const client::ClientKeyOptions& o) override {
    return in_.delete_request(q, id, o);
  }
  Result<rqcheck::Head> list_head(std::string_view q, const client::HeadOptions& o) override {
    return in_.list_head(q, o);
  }
  Result<rqcheck::Head> list_and_lock_head(std::string_view q,
                                           const client::LockHeadOptions& o) override {
    return in_.list_and_lock_head(q, o);
  }
  Result<TimeMs> prolong_request_lock(std::string_view q, std::string_view id,
                                      const client::ProlongLockOptions& o) override {
    return in_.prolong_request_lock(q, id, o);
  }
  Status delete_request_lock(std::string_view q, std::string_view id,
                             const client::DeleteLockOptions& o) override {
    return in_.delete_request_lock(q, id, o);
  }
  Result<std::int64_t> unlock_requests(std::string_view q,
                                       const client::ClientKeyOptions& o) override {
    return in_.unlock_requests(q, o);
  }

 private:
  client::RequestQueueApi& in_;
};

// ---- the retry property ---------------------------------------------------------------------
//
// A generated fault schedule (rules of the fake's fault engine, docs/faults.md, and optionally
// its rate-limit emulation) acts on every add and batch add of a sequence sent through the
// retrying client (HTTP retries) and batch_add_all (resends of unprocessed items). The fake's
// clock is virtual and moved only by the client's sleepers, so the fake's journal shows the
// delays the client waited: arrival(attempt k+1) - arrival(attempt k).

struct RetryOp {
  bool batch = false;
  std::vector<std::string> keys;
};

void showValue(const RetryOp& op, std::ostream& os) {
  os << (op.batch ? "batch_add_all[" : "add_request each[");
  for (std::size_t i = 0; i < op.keys.size(); ++i) os << (i ? " " : "") << op.keys[i];
  os << "]";
}

struct Burst {
  int length = 1;      // consecutive faulted calls
  int start_pct = 10;  // chance that a call outside a burst starts one
  int status = 429;
};
struct Partial {
  int pct = 50;  // chance that a batch add loses items
  std::string pick = "random";
  int fraction_pct = 50;  // of the batch's items (at least one)
};
struct Limits {
  int single = 2, batch = 2, items = 5;  // per second, per queue
};

struct FaultPlan {
  int p429_pct = 0;  // each add / batch add attempt answers 429 with this chance (0..50 %)
  std::optional<Burst> burst;
  std::optional<Partial> partial;
  std::optional<Limits> rate_limits;
  int max_retries = 8;       // the client's HTTP retries (attempts = 1 + this)
  std::uint32_t salt = 0;    // in the rule ids: the fake's draws depend on them
  std::uint64_t jitter = 0;  // the clients' jitter seed
};

void showValue(const FaultPlan& p, std::ostream& os) {
  os << "429 " << p.p429_pct << "%";
  if (p.burst) {
    os << ", bursts of " << p.burst->length << " x " << p.burst->status << " (start "
       << p.burst->start_pct << "%)";
  }
  if (p.partial) {
    os << ", partial batches " << p.partial->pct << "% (" << p.partial->fraction_pct << "% of "
       << "items, " << p.partial->pick << ")";
  }
  if (p.rate_limits) {
    os << ", rate limits single " << p.rate_limits->single << "/s batch " << p.rate_limits->batch
       << "/s items " << p.rate_limits->items << "/s";
  }
  os << ", max_retries " << p.max_retries << ", salt " << p.salt << ", jitter seed " << p.jitter;
}

rc::Gen<FaultPlan> gen_fault_plan() {
  return rc::gen::apply(
      [](int p429, bool has_burst, Burst burst, bool has_partial, Partial partial, bool has_limits,
         Limits limits, int max_retries, std::uint32_t salt, std::uint64_t jitter) {
        FaultPlan p;
        p.p429_pct = p429;
        if (has_burst) p.burst = burst;
        if (has_partial) p.partial = partial;
        if (has_limits) p.rate_limits = limits;
        p.max_retries = max_retries;
        p.salt = salt;
        p.jitter = jitter;
        return p;
      },
      rc::gen::inRange(0, 51), rc::gen::weightedElement<bool>({{2, false}, {1, true}}),
      rc::gen::construct<Burst>(rc::gen::inRange(1, 11), rc::gen::inRange(1, 31),
                                rc::gen::weightedElement<int>({{3, 429}, {1, 503}})),
      rc::gen::weightedElement<bool>({{1, false}, {2, true}}),
      rc::gen::construct<Partial>(rc::gen::inRange(10, 101),
                                  rc::gen::element<std::string>("random", "first", "last", "all"),
                                  rc::gen::inRange(1, 101)),
      rc::gen::weightedElement<bool>({{3, false}, {1, true}}),
      rc::gen::construct<Limits>(rc::gen::inRange(1, 5), rc::gen::inRange(1, 4),
                                 rc::gen::inRange(1, 11)),
      rc::gen::weightedElement<int>({{3, 8}, {1, 4}, {1, 2}}),
      rc::gen::inRange<std::uint32_t>(0, 1000), rc::gen::arbitrary<std::uint64_t>());
}

// The fault rules of a plan. Every rule matches both adds and batch adds (POST .../requests and
// .../requests/batch), so one schedule counts the calls of both.
Json fault_rules(const FaultPlan& p) {
  const std::string salt = std::to_string(p.salt);
  const Json writes = {{"method", "POST"}, {"path", "/requests(/batch)?$"}};
  Json rules = Json::array();
  if (p.burst) {
    rules.push_back(
        {{"id", "burst-" + salt},
         {"match", writes},
         {"action", {{"type", "error"}, {"status", p.burst->status}}},
         {"schedule",
          {{"burst",
            {{"length", p.burst->length}, {"probability", p.burst->start_pct / 100.0}}}}}});
  }
  if (p.p429_pct > 0) {
    rules.push_back({{"id", "p429-" + salt},
                     {"match", writes},
                     {"action", {{"type", "error"}, {"status", 429}}},
                     {"schedule", {{"probability", p.p429_pct / 100.0}}}});
  }
  if (p.partial) {
    rules.push_back({{"id", "partial-" + salt},
                     {"match", {{"operation", "batch_add"}}},
                     {"action",
                      {{"type", "partial"},
                       {"fraction", p.partial->fraction_pct / 100.0},
                       {"pick", p.partial->pick}}},
                     {"schedule", {{"probability", p.partial->pct / 100.0}}}});
  }
  return rules;
}

// One HTTP attempt as the client saw it, and what it belonged to.
struct Attempt {
  client::Exchange ex;
  std::size_t op = 0;    // index into the op sequence
  std::size_t call = 0;  // API call number within the op (0-based)
};

constexpr std::int64_t kRetryEpoch = 1700000000000;  // 2023-11-14T22:13:20.000Z

bool is_2xx(int status) { return status >= 200 && status < 300; }

void retry_case(CaseEnv& env) {
  Target& target = env.target;
  const RunOptions& options = env.options;
  fake::FakeServer* fake = target.fake();
  RC_PRE(fake != nullptr);  // needs the embedded fake's fault engine, journal and virtual clock
  const FaultPlan plan = *gen_fault_plan();
  auto key_gen = rc::gen::element<std::string>("a", "b", "c", "d", "e", "f", "g", "h", "i", "j",
                                               "k", "l", "m", "n", "o", "p");
  // Up to size/4 operations of 1..16 distinct keys (one batch chunk).
  const auto ops = *rc::gen::scale(
      0.25, rc::gen::nonEmpty(rc::gen::container<std::vector<RetryOp>>(rc::gen::construct<RetryOp>(
                rc::gen::arbitrary<bool>(),
                rc::gen::resize(
                    16, rc::gen::nonEmpty(rc::gen::unique<std::vector<std::string>>(key_gen)))))));
  const Json rules = fault_rules(plan);
  RC_LOG() << "fault rules: " << dump_json(rules) << "\n";

  // A clean fake (earlier cases may have stopped half way), then a fresh queue and transcript.
  fake->faults().clear();
  fake::RateLimits off;
  off.enabled = false;
  fake->store().set_rate_limits(off);
  auto q = target.fresh_queue();
  require_ok(q, "creating the case's queue");
  const std::string client_key = "retry-" + std::to_string(env.case_no);

  try {
    // The setup, through the admin API so that the replay script repeats it.
    // A fixed start time: the rate-limit windows (whole seconds) then fall the same way in
    // every run of this case, in its shrinks and in the replay.
    target.note("setup: clock, rate limits, fault rules");
    auto clock = target.admin("POST", "/__admin/clock", Json{{"now", format_iso8601(kRetryEpoch)}});
    RC_ASSERT(clock.status == 200);
    if (plan.rate_limits) {
      auto rl = target.admin("PUT", "/__admin/rate-limits",
                             Json{{"enabled", true},
                                  {"singleRequestPerSec", plan.rate_limits->single},
                                  {"batchPerSec", plan.rate_limits->batch},
                                  {"batchItemsPerSec", plan.rate_limits->items},
                                  {"otherPerSec", 1000},
                                  // every case restarts the clock: no per-minute budget
                                  {"globalPerMinute", 1000000000}});
      RC_ASSERT(rl.status == 200);
      target.advance_clock(1000);  // a fresh rate-limit window
    }
    if (!rules.empty()) {
      auto fr = target.admin("POST", "/__admin/faults", rules);
      RC_LOG() << "POST /__admin/faults -> " << fr.status << " " << fr.response_body << "\n";
      RC_ASSERT(fr.status == 201);
    }

    std::vector<Attempt> attempts;
    std::size_t cur_op = 0, cur_call = 0;
    client::ClientConfig cc;
    cc.base_url = fake->base_url();
    cc.token = kEmbeddedToken;
    cc.retry = client::RetryPolicy{};
    cc.retry.max_retries = plan.max_retries;
    cc.retry.seed = plan.jitter;
    cc.retry.sleeper = [&](std::chrono::milliseconds d) { target.advance_clock(d.count()); };
    cc.log_capacity = 4;
    client::HttpClient http(cc);
    http.set_exchange_observer([&](const client::Exchange& ex) {
      if (ex.attempt == 1 && !attempts.empty() && attempts.back().op == cur_op) ++cur_call;
      attempts.push_back(Attempt{ex, cur_op, cur_call});
      target.record(ex, /*collapse_retries=*/false);  // the replayed fake repeats the faults
    });
    DroppingApi dropping(http);
    client::RequestQueueApi& api = options.client_drops_unprocessed
                                       ? static_cast<client::RequestQueueApi&>(dropping)
                                       : static_cast<client::RequestQueueApi&>(http);
    client::BatchAddAllOptions bo;
    bo.write.client_key = client_key;
    bo.seed = plan.jitter ^ 0x9e3779b97f4a7c15ULL;
    bo.sleeper = [&](std::chrono::milliseconds d) { target.advance_clock(d.count()); };

    // The model: a request is in the queue once the caller was told it was added.
    QueueModel model;
    std::vector<std::string> all_keys;
    for (const auto& op : ops) all_keys.insert(all_keys.end(), op.keys.begin(), op.keys.end());
    std::vector<std::size_t> failed_calls(ops.size(), 0);  // calls that returned an error
    for (std::size_t oi = 0; oi < ops.size(); ++oi) {
      const RetryOp& op = ops[oi];
      cur_op = oi;
      cur_call = 0;
      std::ostringstream label;
      showValue(op, label);
      target.note(label.str());
      if (op.batch) {
        std::vector<Json> reqs;
        for (const auto& k : op.keys) reqs.push_back(request_body(k, "https://x.test/" + k, false));
        auto r = client::batch_add_all(api, *q, reqs, bo);
        // Within the helper's bound: 1 + max_unprocessed_retries calls (one chunk: <= 16 keys).
        RC_ASSERT(r.calls >= 1u);
        RC_ASSERT(r.calls <= static_cast<std::size_t>(1 + bo.max_unprocessed_retries));
        failed_calls[oi] = r.errors.size();
        std::set<std::string> lost;
        for (const auto& u : r.result.unprocessed) lost.insert(u.unique_key);
        for (const auto& p : r.result.processed) {
          RC_ASSERT(lost.count(p.unique_key) == 0u);
          RC_ASSERT(std::find(op.keys.begin(), op.keys.end(), p.unique_key) != op.keys.end());
          ModelWrite want = model.add(p.unique_key, "https://x.test/" + p.unique_key, false, false);
          RC_ASSERT(p.request_id == want.id);
          RC_ASSERT(p.was_already_present == want.was_already_present);
        }
        // Every key is accounted for: processed or handed back as unprocessed, not both.
        std::multiset<std::string> done_keys;
        for (const auto& p : r.result.processed) done_keys.insert(p.unique_key);
        for (const auto& k : op.keys) RC_ASSERT(done_keys.count(k) + lost.count(k) == 1u);
      } else {
        for (const auto& k : op.keys) {
          auto r = api.add_request(*q, request_body(k, "https://x.test/" + k, false),
                                   client::WriteOptions{std::nullopt, client_key});
          if (!r.ok()) {
            ++failed_calls[oi];
            RC_ASSERT((r.error().status == 429 || r.error().status >= 500));
            continue;
          }
          ModelWrite want = model.add(k, "https://x.test/" + k, false, false);
          RC_ASSERT(r->request_id == want.id);
          RC_ASSERT(r->was_already_present == want.was_already_present);
        }
      }
    }

    // The final state, read without faults.
    target.note("final state");
    RC_ASSERT(target.admin("DELETE", "/__admin/faults", Json()).status == 204);
    RC_ASSERT(target.admin("PUT", "/__admin/rate-limits", Json{{"enabled", false}}).status == 200);
    client::ListRequestsOptions lo;
    lo.limit = 1000;
    auto page = target.http().list_requests(*q, lo);
    require_ok(page, "list_requests (the final state)");
    std::multiset<std::string> stored;
    for (const auto& it : page->items) stored.insert(it.value("uniqueKey", ""));
    std::multiset<std::string> want;
    for (const auto& [id, m] : model.requests()) want.insert(m.unique_key);
    // Exactly the model's state: nothing the caller was told was added is missing, nothing is
    // stored twice, nothing the caller was told was not added is there.
    RC_ASSERT(stored == want);

    // Every attempt, as the fake's journal recorded it (1:1 with the client's exchanges).
    fake::JournalFilter jf;
    jf.client_key = client_key;
    jf.limit = 10000;
    const auto journal = fake->journal().query(jf);
    RC_ASSERT(journal.size() == attempts.size());
    std::map<std::pair<std::size_t, std::size_t>, std::vector<std::size_t>> calls;
    for (std::size_t i = 0; i < attempts.size(); ++i) {
      const client::Exchange& ex = attempts[i].ex;
      const fake::JournalEntry& e = journal[i];
      RC_ASSERT(e.method == ex.method);
      RC_ASSERT(ex.target.rfind(e.path, 0) == 0u);
      RC_ASSERT(e.body_digest == fake::body_digest(ex.request_body));
      RC_ASSERT(e.status == ex.status);
      calls[{attempts[i].op, attempts[i].call}].push_back(i);
      if (i == 0) continue;
      const std::int64_t gap = e.arrival_ms - journal[i - 1].arrival_ms;
      if (ex.attempt >= 2) {
        // HTTP retry k = attempt - 1 waited round(U[1,2) * 500 * 2^(k-1)) ms (spec 7.1).
        const int k = ex.attempt - 2;
        RC_ASSERT(gap >= (500LL << k));
        RC_ASSERT(gap <= (1000LL << k));
      } else if (attempts[i].op == attempts[i - 1].op && ops[attempts[i].op].batch) {
        // The helper's resend after call c: floor((1 + U[0,1)) * 2^c * 500) ms.
        const auto c = static_cast<int>(attempts[i].call) - 1;
        RC_ASSERT(gap >= (500LL << c));
        RC_ASSERT(gap < (1000LL << c));
      } else {
        RC_ASSERT(gap == 0);  // a new call is sent at once
      }
    }
    // Every call within the retry bound; a call fails only after all its attempts, and then
    // the caller sees the error.
    std::vector<std::size_t> journal_failed(ops.size(), 0);
    bool exhausted = false;
    for (const auto& [key, idx] : calls) {
      RC_ASSERT(idx.size() <= static_cast<std::size_t>(1 + plan.max_retries));
      for (std::size_t j = 0; j + 1 < idx.size(); ++j) {
        RC_ASSERT(!is_2xx(journal[idx[j]].status));
        RC_ASSERT(attempts[idx[j]].ex.attempt == static_cast<int>(j) + 1);
      }
      if (!is_2xx(journal[idx.back()].status)) {
        RC_ASSERT(idx.size() == static_cast<std::size_t>(1 + plan.max_retries));
        ++journal_failed[key.first];
        exhausted = true;
      }
    }
    RC_ASSERT(journal_failed == failed_calls);

    std::size_t faulted = 0, unprocessed = 0;
    for (const auto& e : journal) {
      faulted += e.status == 429 || e.status >= 500;
      unprocessed += e.unprocessed_keys.empty() ? 0 : 1;
    }
    RC_TAG(exhausted ? "retries exhausted" : "retries sufficed");
    RC_CLASSIFY(faulted > 0, "HTTP retries");
    RC_CLASSIFY(unprocessed > 0, "unprocessed items resent");
    RC_CLASSIFY(attempts.size() >= 20, ">= 20 attempts");
    RC_CLASSIFY(stored.size() < std::set<std::string>(all_keys.begin(), all_keys.end()).size(),
                "caller told of requests not added");
  } catch (...) {
    env.failed_steps = target.transcript();
    throw;
  }
}

}  // namespace

RQ_PROPERTY(retry, {.id = "retry",
                    .title = "adds and batch adds through the retrying client under injected "
                             "429s and partial batch failures end in the model's state; bounded "
                             "retries; exhausted retries surface an error",
                    .level = "must",
                    .guards = {"spec 7.1 (the official clients' retries)",
                               "decision 37 (unprocessedRequests)", "decision 20",
                               "unprocessedRequests: resent; a request is stored iff it was "
                               "reported added (spec section 1.2)"},
                    .breaking_bug = "DropUnprocessed",
                    .client_side_bug = true,
                    .needs_embedded_fake = true}) {
  retry_case(env);
}

}  // namespace rqcheck::prop
