// The lag-tolerant mode's clock and its end-of-case check (rq-properties --consistency-lag MS,
// docs/consistency.md), shared by the state machines (commands.h) and the oracle (oracle.h).
// While a case runs, the model (QueueModel::surely_visible, counters_allowed) lets head,
// head/lock and the counters trail the writes by the bound; at the end of the case the bound is
// waited out and every read must be exact again:
//
//   if (auto f = settle(io)) RC_FAIL(f->what + ": expected " + f->expected + ", got " + ...);
//
// Under the embedded fake's virtual clock the wait is a clock move to QueueModel::settle_time()
// (every lock expired, every lag passed), so the check is deterministic; against a real clock it
// polls (50 ms doubling to 1 s) until the model's bound plus kRealClockSlackMs has passed.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "../harness/target.h"
#include "../model/queue_model.h"
#include "rqcheck/client/api.h"

namespace rqcheck::prop {

// Against a real clock the model measures the lag from before a write's call to before a read's
// call: the calls' own latency comes on top of the target's lag, and the bound gets this much
// more there.
inline constexpr std::int64_t kRealClockSlackMs = 2000;

// The model's bound for a run: the user's, plus the slack against a real clock (0 stays 0: the
// exact model).
inline std::int64_t model_bound(std::int64_t bound, bool virtual_clock) {
  return bound == 0 || virtual_clock ? bound : bound + kRealClockSlackMs;
}

// Against a real clock, the lag clock is the wall time since the case started.
inline void sync_wall(QueueModel& m, bool virtual_clock,
                      std::chrono::steady_clock::time_point started) {
  if (virtual_clock) return;
  m.set_wall(std::chrono::duration_cast<std::chrono::milliseconds>(
                 std::chrono::steady_clock::now() - started)
                 .count());
}

inline std::string keys_list(const std::vector<std::string>& keys) {
  std::string s;
  for (const auto& k : keys) s += (s.empty() ? "" : ", ") + k;
  return "[" + s + "]";
}

// The lag rules of a head or head/lock answer `ids` with at most `cap` items (the caller checks
// that each item may be listed at all): a request whose lag has passed (surely_visible) is left
// out only when the page is full, and with `ordered` the available items follow the queue order
// and none that must show is skipped before the last one listed. "" when the answer is allowed.
inline std::string head_lag_violation(const QueueModel& m, const std::vector<std::string>& ids,
                                      std::size_t cap, bool ordered) {
  auto key = [&](const std::string& id) {
    const ModelRequest* r = m.find_id(id);
    return r ? r->unique_key : "id " + id;
  };
  if (ids.size() > cap) {
    return std::to_string(ids.size()) + " items, over the limit " + std::to_string(cap);
  }
  const auto order = m.queue_order();
  std::set<std::string> listed(ids.begin(), ids.end());
  if (ids.size() < cap) {
    std::vector<std::string> missing;
    for (const auto& r : order) {
      if (m.surely_visible(r) && !listed.count(r.id)) missing.push_back(r.unique_key);
    }
    if (!missing.empty()) {
      return "left out " + keys_list(missing) + ", whose lag of at most " +
             std::to_string(m.consistency_lag()) + " ms has passed, on a page that was not full";
    }
  }
  if (!ordered) return "";
  std::size_t next = 0;  // the position in `order` after the last listed item
  for (const auto& id : ids) {
    auto it = std::find_if(order.begin() + static_cast<std::ptrdiff_t>(next), order.end(),
                           [&](const ModelRequest& r) { return r.id == id; });
    if (it == order.end()) return key(id) + " out of queue order (decision 24)";
    for (auto s = order.begin() + static_cast<std::ptrdiff_t>(next); s != it; ++s) {
      if (m.surely_visible(*s)) {
        return "skipped " + s->unique_key + " (its lag has passed) before " + key(id) +
               " (decision 24)";
      }
    }
    next = static_cast<std::size_t>(it - order.begin()) + 1;
  }
  return "";
}

struct SettleIo {
  Target& target;
  client::RequestQueueApi& api;
  const std::string& queue;
  QueueModel& m;
  bool virtual_clock = true;
  bool exact_order = false;  // the final head and head/lock in queue order too (a 'should')
  std::chrono::steady_clock::time_point started;
  std::int64_t bound = 0;  // the user's bound, for messages
};

struct SettleFailure {
  std::string what, expected, received;
};

namespace settle_detail {

inline std::string key_of(const QueueModel& m, const std::string& id) {
  const ModelRequest* r = m.find_id(id);
  return r ? r->unique_key : "id " + id;
}

inline std::vector<std::string> keys_of(const QueueModel& m, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) out.push_back(key_of(m, id));
  return out;
}

// "" when `ids` (a head or head/lock answer after the bound) holds exactly the available
// requests (in queue order with `ordered`; `locked_ok`: pending requests locked by others may be
// listed too, decision 25 being a 'should'), else what is wrong.
inline std::string judge_all(const QueueModel& m, const std::vector<std::string>& ids, bool ordered,
                             bool locked_ok) {
  const auto order = m.queue_order();
  std::vector<std::string> want, got_avail;
  for (const auto& r : order) want.push_back(r.id);
  std::set<std::string> seen;
  for (const auto& id : ids) {
    const ModelRequest* r = m.find_id(id);
    if (!r || r->handled || (!locked_ok && !r->available())) {
      return "returned " + key_of(m, id) + ", which is not " +
             (r ? (r->handled ? "pending" : "available") : "in the queue");
    }
    if (!seen.insert(id).second) return "returned " + r->unique_key + " twice";
    if (r->available()) got_avail.push_back(id);
  }
  std::vector<std::string> missing;
  for (const auto& id : want) {
    if (!seen.count(id)) missing.push_back(key_of(m, id));
  }
  if (!missing.empty()) return "left out " + keys_list(missing) + " (never returned)";
  if (ordered && got_avail != want) {
    return "not in queue order: " + keys_list(keys_of(m, got_avail)) + " (decision 24)";
  }
  return "";
}

}  // namespace settle_detail

// Waits the bound out and checks that nothing was lost: head lists every pending unlocked
// request, head/lock (client "c1") hands every one of them out (the model then holds them as
// locked), and the counters are exact. nullopt when all holds.
inline std::optional<SettleFailure> settle(SettleIo io) {
  using namespace settle_detail;
  using Clock = std::chrono::steady_clock;
  QueueModel& m = io.m;
  sync_wall(m, io.virtual_clock, io.started);
  const std::string after = "after the consistency bound (" + std::to_string(io.bound) + " ms)";
  if (io.virtual_clock) {
    const Ms wait = m.settle_time() - m.lag_now();
    if (wait > 0) {
      io.target.note("settle: the clock moves " + std::to_string(wait) +
                     " ms, past every lock and lag");
      io.target.advance_clock(wait);
      m.advance(wait);
    }
  }
  // Against a real clock: poll until the model's bound has passed for everything it still waits
  // for (locks are minutes long there and stay held).
  const Ms deadline = m.settle_time(io.virtual_clock);
  Ms delay = 50;
  auto retry = [&]() {
    if (io.virtual_clock) return false;
    sync_wall(m, false, io.started);
    if (m.lag_now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(std::min(delay, deadline - m.lag_now())));
    delay = std::min<Ms>(delay * 2, 1000);
    sync_wall(m, false, io.started);
    return true;
  };
  const auto t_start = Clock::now();
  auto waited = [&]() {
    if (io.virtual_clock) return std::string();
    return ", polled " +
           std::to_string(
               std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t_start)
                   .count()) +
           " ms";
  };
  const auto avail = [&]() {
    std::vector<std::string> keys;
    for (const auto& r : m.queue_order()) keys.push_back(r.unique_key);
    return keys;
  };

  // 1. head lists every pending unlocked request.
  io.target.note("settle: head must list every available request " + keys_list(avail()));
  for (;;) {
    const std::int64_t limit = static_cast<std::int64_t>(m.queue_order().size()) + 1;
    auto h = io.api.list_head(io.queue, client::HeadOptions{limit, std::string("c1")});
    if (!h) {
      return SettleFailure{"head " + after, "200 with the head",
                           std::to_string(h.error().status) + " " + h.error().message};
    }
    std::vector<std::string> ids;
    for (const auto& i : h->items) ids.push_back(i.id);
    std::string why = judge_all(m, ids, io.exact_order, true);
    if (why.empty()) break;
    if (retry()) continue;
    return SettleFailure{"head " + after + waited() + " " + why,
                         "every available request: " + keys_list(avail()),
                         keys_list(keys_of(m, ids))};
  }

  // 2. head/lock hands every one of them out.
  io.target.note("settle: head/lock must hand out every available request " + keys_list(avail()));
  std::vector<std::string> taken;
  const std::int64_t lock_secs = io.virtual_clock ? 60 : 600;
  for (;;) {
    const auto before = m.queue_order();
    if (before.empty()) break;
    client::LockHeadOptions o;
    o.lock_secs = lock_secs;
    o.limit = static_cast<std::int64_t>(before.size()) + 1;
    o.client_key = "c1";
    auto r = io.api.list_and_lock_head(io.queue, o);
    if (!r) {
      return SettleFailure{"head/lock " + after, "201 with the locked head",
                           std::to_string(r.error().status) + " " + r.error().message};
    }
    std::vector<std::string> ids;
    for (const auto& i : r->items) ids.push_back(i.id);
    std::string why = judge_all(m, ids, io.exact_order, false);
    if (!why.empty() && why.rfind("left out", 0) != 0) {
      return SettleFailure{"head/lock " + after + " " + why,
                           "every available request: " + keys_list(avail()),
                           keys_list(keys_of(m, ids))};
    }
    m.lock_ids("c1", ids, lock_secs * 1000);
    taken.insert(taken.end(), ids.begin(), ids.end());
    if (why.empty()) break;
    if (retry()) continue;
    return SettleFailure{"head/lock " + after + waited() + " " + why,
                         "every available request: " + keys_list(avail()),
                         "took " + keys_list(keys_of(m, taken))};
  }

  // 3. the counters are exact.
  io.target.note("settle: the counters must be exact");
  for (;;) {
    auto q = io.api.get_queue(io.queue);
    if (!q) {
      return SettleFailure{"GET queue " + after, "200 with the queue",
                           std::to_string(q.error().status) + " " + q.error().message};
    }
    if (q->total_request_count == m.total() && q->handled_request_count == m.handled() &&
        q->pending_request_count == m.pending()) {
      break;
    }
    if (retry()) continue;
    return SettleFailure{"GET queue " + after + waited() + " (counters, decision 36)",
                         "total " + std::to_string(m.total()) + " = handled " +
                             std::to_string(m.handled()) + " + pending " +
                             std::to_string(m.pending()),
                         "total " + std::to_string(q->total_request_count) + ", handled " +
                             std::to_string(q->handled_request_count) + ", pending " +
                             std::to_string(q->pending_request_count)};
  }
  return std::nullopt;
}

}  // namespace rqcheck::prop
