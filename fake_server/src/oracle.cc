#include "oracle.h"

#include <algorithm>
#include <optional>
#include <sstream>
#include <unordered_map>
#include <utility>

#include "rqcheck/core/operations.h"
#include "rqcheck/fake_server/compliance.h"

namespace rqcheck::fake {

namespace {

constexpr std::string_view kProcessedTwice = "oracle.processed_twice";
constexpr std::string_view kExpiredWhileWorking = "oracle.lock_expired_while_working";
constexpr std::string_view kLeftByQuietOwner = "oracle.lock_left_by_quiet_owner";
constexpr std::string_view kEarlyFinish = "oracle.early_finish";
constexpr std::size_t kMaxStale = 4;  // earlier, taken-over locks remembered per request

std::string_view severity_of(std::string_view rule) {
  for (const auto& r : compliance_rules()) {
    if (r.id == rule) return r.severity;
  }
  return "warning";
}

// One lock as the answers told it: who, from when, until when.
struct Episode {
  std::uint32_t owner = 0;
  TimeMs granted_at = 0, expires_at = 0;
  std::uint64_t seq = 0;  // the head/lock (or prolong) that gave it
  // Set when another client locked the request after this lock ended unfinished.
  std::uint32_t taken_by = 0;
  TimeMs taken_at = 0;
  std::uint64_t taken_seq = 0;
  bool touched_after = false;  // the owner touched the request after the lock had expired
};

// A finish (handled mark, update, delete) that came after its owner's lock had expired. Kept so a
// head/lock of another client that reaches the oracle later, though the server served it first
// (concurrent calls), is still seen as taking the request before the finish.
struct LateFinish {
  std::uint32_t by = 0;
  TimeMs at = 0;
  std::uint64_t seq = 0;
  int status = 0;
  const char* what = "";  // a literal
  Episode lock;
};

enum class State : std::uint8_t { kPending, kLocked, kHandled, kDeleted };

struct Req {
  State state = State::kPending;
  bool lock_open = false;  // `lock` is not finished by its owner: held, or expired untouched
  bool reported_twice = false, reported_expired = false;
  std::int32_t expired_finding = -1;  // the lock_expired_while_working finding; -2: counted only
  Episode lock;                       // the latest lock
  std::pair<TimeMs, std::uint64_t> lock_key{0, 0};  // its key in Queue::locks while held
  TimeMs pending_since = 0;
  std::vector<Episode> stale;  // earlier locks of other clients, ended unfinished, taken over
  std::optional<LateFinish> late;
};

struct Event {
  std::string what;
  std::uint32_t client = 0;
  TimeMs at = 0;
  std::uint64_t seq = 0;
  TimeMs lock_expires_at = 0;
  int status = -1;
};

struct ClientRec {
  std::string key;
  bool has_key = false;
  TimeMs last_call = 0;
  std::uint64_t last_seq = 0;
  bool consumed = false;  // read the head or took locks here
};

}  // namespace

struct ConsumerOracle::Finding {
  std::string rule, queue, request_id;
  std::vector<std::string> clients;
  std::string message;  // without times: those are in `events`
  std::vector<Event> events;
  std::vector<std::string> event_clients;  // the names of events[i].client
  TimeMs at = 0;
  std::size_t count = 1;         // early finish: the requests it left
  std::vector<std::string> ids;  // early finish: some of them
  bool superseded = false;
};

struct ConsumerOracle::Queue {
  std::mutex mu;
  bool deleted = false;
  std::unordered_map<std::string, Req> reqs;  // node-based: pointers stay valid
  std::map<std::pair<TimeMs, std::uint64_t>, std::pair<const std::string, Req>*> locks;
  std::uint64_t lock_counter = 0;
  std::vector<ClientRec> clients;
  std::unordered_map<std::string, std::uint32_t> client_index;

  std::string client_name(std::uint32_t i) const {
    return clients[i].has_key ? clients[i].key : std::string("(no clientKey)");
  }
};

ConsumerOracle::ConsumerOracle(OracleOptions options) : options_(options) {}
ConsumerOracle::~ConsumerOracle() = default;

void ConsumerOracle::add_finding(Finding f, std::int32_t* index) {
  std::lock_guard lock(findings_mu_);
  ++finding_counts_[f.rule];
  if (findings_.size() < options_.max_findings) {
    if (index) *index = static_cast<std::int32_t>(findings_.size());
    findings_.push_back(std::move(f));
  } else if (index) {
    *index = -2;
  }
}

// A finding replaced by a graver one with the same root cause (processed twice supersedes the
// expired lock of the same request and owner).
void ConsumerOracle::drop_finding(std::int32_t index, const std::string& rule) {
  std::lock_guard lock(findings_mu_);
  auto c = finding_counts_.find(rule);
  if (c != finding_counts_.end() && c->second > 0) --c->second;
  if (index >= 0 && static_cast<std::size_t>(index) < findings_.size())
    findings_[index].superseded = true;
}

namespace {

bool is_queue_op(const JournalEntry& e) {
  return e.op && static_cast<std::size_t>(*e.op) < kOperationCount && !e.queue.empty() &&
         *e.op != Operation::kQueuesGet && *e.op != Operation::kQueuesPost;
}

}  // namespace

void ConsumerOracle::on_exchange(const JournalEntry& e) {
  if (!is_queue_op(e)) return;
  const TimeMs t = e.arrival_ms, end = e.arrival_ms + e.duration_ms;
  for (TimeMs cur = run_start_.load(); cur == 0 || t < cur;) {
    if (run_start_.compare_exchange_weak(cur, t)) break;
  }
  for (TimeMs cur = last_seen_.load(); end > cur;) {
    if (last_seen_.compare_exchange_weak(cur, end)) break;
  }
  // The queue: found under the shared lock (held for the whole call, so clear() and report()
  // wait for it); a new one is added under the exclusive lock.
  std::shared_lock map_lock(mu_);
  auto qit = queues_.find(e.queue);
  while (qit == queues_.end()) {
    map_lock.unlock();
    {
      std::unique_lock insert_lock(mu_);
      if (!queues_.count(e.queue)) {
        if (queues_.size() >= options_.max_queues) {
          calls_not_followed_.fetch_add(1, std::memory_order_relaxed);
          return;
        }
        queues_.emplace(e.queue, std::make_unique<Queue>());
      }
    }
    map_lock.lock();
    qit = queues_.find(e.queue);
  }
  Queue& q = *qit->second;
  std::lock_guard queue_lock(q.mu);
  if (q.deleted) {
    if (!e.work_done) return;
    q.deleted = false;  // a queue of that name again
  }

  // The caller.
  const std::string key = e.client_key.value_or("");
  auto ci = q.client_index.find(key);
  if (ci == q.client_index.end()) {
    if (q.clients.size() >= options_.max_clients_per_queue) {
      calls_not_followed_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    ci = q.client_index.emplace(key, static_cast<std::uint32_t>(q.clients.size())).first;
    q.clients.push_back(ClientRec{key, e.client_key.has_value()});
  }
  const std::uint32_t me = ci->second;
  ClientRec& client = q.clients[me];
  client.last_call = std::max(client.last_call, t);
  client.last_seq = std::max(client.last_seq, e.seq);

  // Locks that expired before this call: the request is pending again (decision 29); the lock
  // stays open (unfinished) so its owner's later calls can be judged.
  while (!q.locks.empty() && q.locks.begin()->first.first <= t) {
    auto* node = q.locks.begin()->second;
    node->second.state = State::kPending;
    node->second.pending_since = node->second.lock.expires_at;
    node->second.lock_key = {0, 0};
    q.locks.erase(q.locks.begin());
  }

  auto unlock_index = [&](Req& r) {
    if (r.lock_key.second) q.locks.erase(r.lock_key);
    r.lock_key = {0, 0};
  };
  auto hold = [&](std::pair<const std::string, Req>& node) {
    Req& r = node.second;
    unlock_index(r);
    if (r.lock.expires_at > t) {
      r.state = State::kLocked;
      r.lock_key = {r.lock.expires_at, ++q.lock_counter};
      q.locks.emplace(r.lock_key, &node);
    } else {  // a lock of 0 s hands the request out without holding it
      r.state = State::kPending;
      r.pending_since = t;
    }
  };
  // A request the queue does not follow yet (nullptr once max_requests are followed).
  auto add = [&](const std::string& id) -> std::pair<const std::string, Req>* {
    if (followed_.load(std::memory_order_relaxed) >= options_.max_requests) {
      not_followed_.fetch_add(1, std::memory_order_relaxed);
      return nullptr;
    }
    followed_.fetch_add(1, std::memory_order_relaxed);
    auto& node = *q.reqs.emplace(id, Req{}).first;
    node.second.pending_since = t;
    return &node;
  };
  auto find = [&](const std::string& id, bool create) -> std::pair<const std::string, Req>* {
    auto it = q.reqs.find(id);
    if (it != q.reqs.end()) return &*it;
    return create ? add(id) : nullptr;
  };
  auto erase = [&](std::pair<const std::string, Req>* node) {
    unlock_index(node->second);
    q.reqs.erase(node->first);
    followed_.fetch_sub(1, std::memory_order_relaxed);
  };
  auto op_word = [&]() -> const char* {
    switch (*e.op) {
      case Operation::kRequestLockPut:
        return "prolonged its lock";
      case Operation::kRequestLockDelete:
        return "released its lock";
      case Operation::kRequestPut:
        return e.handled_mark ? "marked it handled" : "updated it";
      default:
        return "deleted it";
    }
  };
  auto lock_event = [&](const char* what, const Episode& ep) {
    return Event{what, ep.owner, ep.granted_at, ep.seq, ep.expires_at, -1};
  };
  auto this_event = [&](const char* what) {
    return Event{what, me, t, e.seq, e.lock_expires_at, e.status};
  };
  auto raise = [&](std::string_view rule, const std::string& id, std::vector<Event> events,
                   std::string message, std::int32_t* index) {
    Finding f;
    f.rule = std::string(rule);
    f.queue = e.queue;
    f.request_id = id;
    for (const Event& ev : events) {
      std::string n = q.client_name(ev.client);
      f.event_clients.push_back(n);
      if (std::find(f.clients.begin(), f.clients.end(), n) == f.clients.end())
        f.clients.push_back(n);
    }
    f.events = std::move(events);
    f.message = std::move(message);
    f.at = t;
    add_finding(std::move(f), index);
  };
  auto processed_twice = [&](const std::string& id, Req& r, const Episode& mine,
                             std::uint32_t other, TimeMs other_at, std::uint64_t other_seq,
                             const Event& finish) {
    if (r.reported_twice) return;
    r.reported_twice = true;
    if (r.reported_expired) {
      drop_finding(r.expired_finding, std::string(kExpiredWhileWorking));
      r.expired_finding = -1;
    }
    std::vector<Event> events{lock_event("locked", mine),
                              Event{"lock expired", mine.owner, mine.expires_at, 0, 0, -1},
                              Event{"locked", other, other_at, other_seq, 0, -1}, finish};
    std::stable_sort(events.begin(), events.end(),
                     [](const Event& a, const Event& b) { return a.at < b.at; });
    raise(kProcessedTwice, id, std::move(events),
          "request " + id + ": client " + q.client_name(mine.owner) + " " + finish.what +
              " after its lock had expired and client " + q.client_name(other) +
              " had locked the request: both worked on it",
          nullptr);
  };

  const Operation op = *e.op;
  switch (op) {
    case Operation::kQueueDelete:
      if (e.work_done) {
        followed_.fetch_sub(q.reqs.size(), std::memory_order_relaxed);
        q.reqs.clear();
        q.locks.clear();
        q.clients.clear();
        q.client_index.clear();
        q.deleted = true;
      }
      return;
    case Operation::kHeadGet:
      client.consumed = true;
      return;
    case Operation::kHeadLockPost: {
      client.consumed = true;
      if (!e.work_done) return;
      for (const RequestTouch& item : e.requests) {
        auto* node = find(item.id, true);
        if (!node) continue;
        Req& r = node->second;
        if (r.lock_open && r.lock.owner != me) {
          // The previous holder never finished it: its lock expired (or, on a server that hands
          // out locked requests, did not even expire). Remember it to judge its later calls.
          Episode ep = r.lock;
          ep.taken_by = me;
          ep.taken_at = t;
          ep.taken_seq = e.seq;
          if (r.stale.size() >= kMaxStale) r.stale.erase(r.stale.begin());
          r.stale.push_back(ep);
        } else if (r.late && r.late->by != me &&
                   (r.state == State::kHandled || r.state == State::kDeleted)) {
          // The late finish reached the oracle first, but the server handed the request out
          // before it (a handled request is never handed out).
          Event finish{r.late->what, r.late->by, r.late->at, r.late->seq, 0, r.late->status};
          processed_twice(node->first, r, r.late->lock, me, t, e.seq, finish);
        }
        r.late.reset();
        r.lock = Episode{me, t, item.lock_expires_at, e.seq};
        r.lock_open = true;
        hold(*node);
      }
      return;
    }
    case Operation::kRequestLockPut:
    case Operation::kRequestLockDelete:
    case Operation::kRequestPut:
    case Operation::kRequestDelete: {
      auto* node = find(e.request_id, op == Operation::kRequestPut && e.work_done);
      if (!node) return;
      Req& r = node->second;
      const bool finish = op != Operation::kRequestLockPut;
      const Event touch = this_event(op_word());
      // 1. An earlier lock of this client that another client took over.
      for (auto it = r.stale.begin(); it != r.stale.end();) {
        if (it->owner != me) {
          ++it;
          continue;
        }
        if (finish) {
          processed_twice(node->first, r, *it, it->taken_by, it->taken_at, it->taken_seq, touch);
          it = r.stale.erase(it);
          continue;
        }
        if (!it->touched_after && !r.reported_twice && !r.reported_expired) {
          r.reported_expired = true;
          raise(kExpiredWhileWorking, node->first,
                {lock_event("locked", *it), Event{"lock expired", me, it->expires_at, 0, 0, -1},
                 Event{"locked", it->taken_by, it->taken_at, it->taken_seq, 0, -1}, touch},
                "request " + node->first + ": client " + q.client_name(me) + " " + touch.what +
                    " after its lock had expired and client " + q.client_name(it->taken_by) +
                    " had locked the request",
                &r.expired_finding);
        }
        it->touched_after = true;
        ++it;
      }
      // 2. This client's own lock, expired before the call.
      bool late = false;
      if (r.lock_open && r.lock.owner == me && r.lock.expires_at <= t) {
        late = true;
        if (!r.reported_twice && !r.reported_expired) {
          r.reported_expired = true;
          raise(kExpiredWhileWorking, node->first,
                {lock_event("locked", r.lock),
                 Event{"lock expired", me, r.lock.expires_at, 0, 0, -1}, touch},
                "request " + node->first + ": client " + q.client_name(me) + " " + touch.what +
                    " after its lock had expired (no other client had locked it yet)",
                &r.expired_finding);
        }
        r.lock.touched_after = true;
      }
      if (!e.work_done) return;
      switch (op) {
        case Operation::kRequestLockPut:
          if (!(r.lock_open && r.lock.owner == me)) r.lock = Episode{me, t, 0, e.seq};
          r.lock.expires_at = e.lock_expires_at;
          r.lock_open = true;
          hold(*node);
          return;
        case Operation::kRequestLockDelete:
          unlock_index(r);
          r.lock_open = false;
          r.state = State::kPending;
          r.pending_since = t;
          return;
        default:
          break;
      }
      if (late) {
        r.late = LateFinish{me, t, e.seq, e.status, op_word(), r.lock};
      } else {
        r.late.reset();
      }
      unlock_index(r);
      r.lock_open = false;
      if (op == Operation::kRequestDelete) {
        if (r.late) {
          r.state = State::kDeleted;  // a tombstone, for the late finish
        } else {
          erase(node);
        }
      } else if (e.handled_mark) {
        r.state = State::kHandled;
      } else {
        r.state = State::kPending;  // spec 6.4: a PUT without handledAt clears the lock
        r.pending_since = t;
      }
      return;
    }
    case Operation::kRequestsUnlockPost: {
      if (!e.work_done) return;
      std::vector<std::pair<const std::string, Req>*> mine;
      for (const auto& [k, node] : q.locks) {
        if (node->second.lock.owner == me) mine.push_back(node);
      }
      for (auto* node : mine) {
        unlock_index(node->second);
        node->second.lock_open = false;
        node->second.state = State::kPending;
        node->second.pending_since = t;
      }
      return;
    }
    case Operation::kRequestsPost:
    case Operation::kRequestsBatchPost:
      if (!e.work_done) return;
      for (const RequestTouch& item : e.requests) {
        auto* known = find(item.id, false);
        if (known && item.was_present && known->second.state != State::kDeleted) continue;
        if (known) erase(known);    // a tombstone, added again
        auto* node = add(item.id);  // not there now: no second lookup
        if (!node) continue;
        if (item.was_handled) node->second.state = State::kHandled;
      }
      return;
    case Operation::kRequestsBatchDelete:
      if (!e.work_done) return;
      for (const RequestTouch& item : e.requests) {
        if (auto* node = find(item.id, false)) erase(node);
      }
      return;
    default:
      return;
  }
}

// ---- The report ----------------------------------------------------------------------------

namespace {

Json event_json(const Event& ev, const std::string& client, TimeMs start) {
  Json j{{"what", ev.what},
         {"clientKey", client},
         {"at", format_iso8601(ev.at)},
         {"atMs", ev.at - start}};
  if (ev.seq) j["seq"] = ev.seq;
  if (ev.lock_expires_at) j["lockExpiresAt"] = format_iso8601(ev.lock_expires_at);
  if (ev.status >= 0) j["status"] = ev.status;
  return j;
}

}  // namespace

Json ConsumerOracle::report(TimeMs now, bool final) const {
  std::unique_lock lock(mu_);  // exclusive: no call is being followed meanwhile
  return report_locked(now, final);
}

Json ConsumerOracle::report_locked(TimeMs now, bool final) const {
  const OracleOptions& o = options_;
  const TimeMs start = run_start_.load() ? run_start_.load() : now;
  std::vector<Finding> findings;
  std::map<std::string, std::size_t> counts;
  {
    std::lock_guard fl(findings_mu_);
    for (const Finding& f : findings_) {
      if (!f.superseded) findings.push_back(f);
    }
    counts = finding_counts_;
  }
  std::size_t listed_raised = findings.size();
  std::size_t not_listed = 0;
  for (const auto& [rule, n] : counts) not_listed += n;
  not_listed -= std::min(not_listed, listed_raised);

  auto add = [&](Finding f) {
    ++counts[f.rule];
    if (findings.size() < o.max_findings) {
      findings.push_back(std::move(f));
    } else {
      ++not_listed;
    }
  };

  Json end_state = Json::array();
  std::size_t clients = 0;
  for (const auto& [qid, qp] : queues_) {
    const Queue& q = *qp;
    // A deleted queue is forgotten; one that names no request (a queue addressed by name for
    // its own reads, say) has nothing to report.
    if (q.deleted || q.reqs.empty()) continue;
    clients += q.clients.size();
    auto stopped = [&](std::uint32_t c) {
      return final || now - q.clients[c].last_call >= o.quiet_ms;
    };
    auto quiet_text = [&](std::uint32_t c) {
      return final ? std::string("the run ended")
                   : "its last call on the queue was " +
                         std::to_string(now - q.clients[c].last_call) + " ms before the report";
    };
    std::size_t pending = 0, locked = 0, handled = 0, expired = 0;
    Json pending_ids = Json::array();
    Json locks = Json::array();
    // Early finish: per stopped consumer, the requests left that it could have taken.
    std::vector<std::size_t> left(q.clients.size(), 0);
    std::vector<std::vector<std::string>> left_ids(q.clients.size());
    for (const auto& [id, r] : q.reqs) {
      const bool held = r.state == State::kLocked && r.lock.expires_at > now;
      const bool waiting = r.state == State::kPending || (r.state == State::kLocked && !held);
      if (r.state == State::kHandled) ++handled;
      if (held) {
        ++locked;
        if (locks.size() < o.max_listed) {
          locks.push_back(Json{{"requestId", id},
                               {"clientKey", q.client_name(r.lock.owner)},
                               {"lockedAt", format_iso8601(r.lock.granted_at)},
                               {"lockExpiresAt", format_iso8601(r.lock.expires_at)}});
        }
      }
      if (waiting) {
        ++pending;
        if (r.lock_open) ++expired;
        if (pending_ids.size() < o.max_listed) pending_ids.push_back(id);
        const TimeMs since = r.state == State::kLocked ? r.lock.expires_at : r.pending_since;
        for (std::uint32_t c = 0; c < q.clients.size(); ++c) {
          if (!q.clients[c].consumed || !stopped(c)) continue;
          const TimeMs last = q.clients[c].last_call;
          // Pending when the client last called, or locked by another client then and
          // unlocked by expiry since.
          bool could = since <= last;
          if (!could && r.lock_open && r.lock.owner != c && r.lock.granted_at <= last &&
              r.lock.expires_at > last) {
            could = true;
          }
          if (could) {
            ++left[c];
            if (left_ids[c].size() < o.max_listed) left_ids[c].push_back(id);
          }
        }
      }
      // Locks left by a quiet owner: the latest lock, open, its owner stopped.
      if (r.lock_open && r.state != State::kHandled && stopped(r.lock.owner) &&
          !r.lock.touched_after) {
        Finding f;
        f.rule = std::string(kLeftByQuietOwner);
        f.queue = qid;
        f.request_id = id;
        f.clients = {q.client_name(r.lock.owner)};
        f.events = {
            Event{"locked", r.lock.owner, r.lock.granted_at, r.lock.seq, r.lock.expires_at, -1},
            Event{"last call", r.lock.owner, q.clients[r.lock.owner].last_call,
                  q.clients[r.lock.owner].last_seq, 0, -1}};
        f.event_clients = {f.clients[0], f.clients[0]};
        f.message = "request " + id + ": client " + f.clients[0] +
                    " locked it and never released or finished it; " + quiet_text(r.lock.owner) +
                    "; the lock " + (r.lock.expires_at <= now ? "expired" : "still holds");
        f.at = r.lock.granted_at;
        add(std::move(f));
      }
      // ... and earlier locks that another client took over after they expired.
      for (const Episode& ep : r.stale) {
        if (ep.touched_after || !stopped(ep.owner)) continue;
        Finding f;
        f.rule = std::string(kLeftByQuietOwner);
        f.queue = qid;
        f.request_id = id;
        f.clients = {q.client_name(ep.owner), q.client_name(ep.taken_by)};
        f.events = {Event{"locked", ep.owner, ep.granted_at, ep.seq, ep.expires_at, -1},
                    Event{"last call", ep.owner, q.clients[ep.owner].last_call,
                          q.clients[ep.owner].last_seq, 0, -1},
                    Event{"locked", ep.taken_by, ep.taken_at, ep.taken_seq, 0, -1}};
        f.event_clients = {f.clients[0], f.clients[0], f.clients[1]};
        f.message = "request " + id + ": client " + f.clients[0] +
                    " locked it and never released or finished it; " + quiet_text(ep.owner) +
                    "; client " + f.clients[1] + " could lock it only after the lock expired";
        f.at = ep.granted_at;
        add(std::move(f));
      }
    }
    for (std::uint32_t c = 0; c < q.clients.size(); ++c) {
      if (!left[c]) continue;
      Finding f;
      f.rule = std::string(kEarlyFinish);
      f.queue = qid;
      f.clients = {q.client_name(c)};
      f.events = {Event{"last call", c, q.clients[c].last_call, q.clients[c].last_seq, 0, -1}};
      f.event_clients = {f.clients[0]};
      f.count = left[c];
      f.ids = left_ids[c];
      f.message = "client " + f.clients[0] + " stopped (" + quiet_text(c) + ") while " +
                  std::to_string(left[c]) +
                  " request(s) it could have taken were pending or about to be unlocked; they "
                  "are still unhandled";
      f.at = q.clients[c].last_call;
      add(std::move(f));
    }
    end_state.push_back(Json{{"queue", qid},
                             {"pending", pending},
                             {"pendingAfterExpiredLock", expired},
                             {"locked", locked},
                             {"handled", handled},
                             {"pendingIds", std::move(pending_ids)},
                             {"locks", std::move(locks)}});
  }

  const std::size_t queues_listed = end_state.size();
  std::sort(findings.begin(), findings.end(), [](const Finding& a, const Finding& b) {
    return a.at != b.at ? a.at < b.at : a.request_id < b.request_id;
  });
  Json list = Json::array();
  for (const Finding& f : findings) {
    Json events = Json::array();
    std::vector<std::uint64_t> seqs;
    for (std::size_t i = 0; i < f.events.size(); ++i) {
      events.push_back(event_json(f.events[i], f.event_clients[i], start));
      if (f.events[i].seq) seqs.push_back(f.events[i].seq);
    }
    std::sort(seqs.begin(), seqs.end());
    seqs.erase(std::unique(seqs.begin(), seqs.end()), seqs.end());
    Json j{{"rule", f.rule},         {"severity", std::string(severity_of(f.rule))},
           {"queue", f.queue},       {"clientKeys", f.clients},
           {"message", f.message},   {"at", format_iso8601(f.at)},
           {"atMs", f.at - start},   {"events", std::move(events)},
           {"seqs", std::move(seqs)}};
    if (!f.request_id.empty()) j["requestId"] = f.request_id;
    if (f.rule == kEarlyFinish) {
      j["requestsLeft"] = f.count;
      j["requestIds"] = f.ids;
    }
    list.push_back(std::move(j));
  }
  std::size_t total = 0;
  for (const auto& [rule, n] : counts) total += n;
  Json rules = Json::object();
  for (const auto& r : compliance_rules()) {
    if (r.id.rfind("oracle.", 0) == 0) {
      rules[std::string(r.id)] = Json{{"severity", r.severity}, {"description", r.description}};
    }
  }
  auto count_of = [&](std::string_view rule) {
    auto it = counts.find(std::string(rule));
    return it == counts.end() ? std::size_t{0} : it->second;
  };
  return Json{{"summary",
               {{"runStartedAt", format_iso8601(start)},
                {"reportAt", format_iso8601(now)},
                {"reportAtMs", now - start},
                {"final", final},
                {"queues", queues_listed},
                {"clients", clients},
                {"requestsFollowed", followed_.load()},
                {"requestsNotFollowed", not_followed_.load()},
                {"callsNotFollowed", calls_not_followed_.load()},
                {"findings", total},
                {"processedTwice", count_of(kProcessedTwice)},
                {"lockExpiredWhileWorking", count_of(kExpiredWhileWorking)},
                {"locksLeftByQuietOwner", count_of(kLeftByQuietOwner)},
                {"earlyFinish", count_of(kEarlyFinish)}}},
              {"findings", std::move(list)},
              {"findingsNotListed", not_listed},
              {"endState", std::move(end_state)},
              {"rules", std::move(rules)},
              {"thresholds",
               {{"quietMs", o.quiet_ms},
                {"maxRequests", o.max_requests},
                {"maxQueues", o.max_queues},
                {"maxClientsPerQueue", o.max_clients_per_queue},
                {"maxFindings", o.max_findings},
                {"maxListed", o.max_listed}}}};
}

std::string ConsumerOracle::summary(TimeMs now, bool final) const {
  return oracle_text(report(now, final));
}

std::string oracle_text(const Json& r) {
  const Json& s = r["summary"];
  const bool final = s["final"].get<bool>();
  std::ostringstream out;
  out << "Consumer oracle (" << (final ? "final" : "live") << ", at "
      << s["reportAt"].get<std::string>() << ", +" << s["reportAtMs"].get<TimeMs>()
      << " ms): " << s["queues"].get<std::size_t>() << " queue(s), "
      << s["requestsFollowed"].get<std::size_t>() << " request(s) followed";
  if (s["requestsNotFollowed"].get<std::size_t>() || s["callsNotFollowed"].get<std::size_t>()) {
    out << " (" << s["requestsNotFollowed"].get<std::size_t>() << " requests and "
        << s["callsNotFollowed"].get<std::size_t>() << " calls not followed: caps reached)";
  }
  out << "; " << s["findings"].get<std::size_t>() << " finding(s): processed twice "
      << s["processedTwice"].get<std::size_t>() << ", lock expired while working "
      << s["lockExpiredWhileWorking"].get<std::size_t>() << ", locks left by quiet owners "
      << s["locksLeftByQuietOwner"].get<std::size_t>() << ", early finish "
      << s["earlyFinish"].get<std::size_t>() << ".\n";
  for (const Json& f : r["findings"]) {
    out << "    " << f["severity"].get<std::string>() << ' ' << f["rule"].get<std::string>()
        << " [queue " << f["queue"].get<std::string>() << "]: " << f["message"].get<std::string>()
        << "\n";
    for (const Json& ev : f["events"]) {
      out << "        " << ev["at"].get<std::string>() << " (+" << ev["atMs"].get<TimeMs>()
          << " ms) " << ev["clientKey"].get<std::string>() << ' ' << ev["what"].get<std::string>();
      if (ev.contains("lockExpiresAt")) out << " until " << ev["lockExpiresAt"].get<std::string>();
      if (ev.contains("seq")) out << " (seq " << ev["seq"].get<std::uint64_t>() << ")";
      if (ev.contains("status")) out << " -> " << ev["status"].get<int>();
      out << "\n";
    }
  }
  if (r["findingsNotListed"].get<std::size_t>()) {
    out << "    ... and " << r["findingsNotListed"].get<std::size_t>() << " more (not listed)\n";
  }
  for (const Json& q : r["endState"]) {
    out << "  queue " << q["queue"].get<std::string>()
        << " at the report: " << q["pending"].get<std::size_t>() << " pending ("
        << q["pendingAfterExpiredLock"].get<std::size_t>() << " after an expired lock), "
        << q["locked"].get<std::size_t>() << " locked, " << q["handled"].get<std::size_t>()
        << " handled\n";
  }
  return out.str();
}

void ConsumerOracle::clear() {
  std::unique_lock lock(mu_);
  queues_.clear();
  std::lock_guard fl(findings_mu_);
  findings_.clear();
  finding_counts_.clear();
  followed_ = 0;
  not_followed_ = 0;
  calls_not_followed_ = 0;
  run_start_ = 0;
  last_seen_ = 0;
}

}  // namespace rqcheck::fake
