// A small, obviously correct model of one request queue, written from scratch for the property
// tests (STYLE.md section 8): a map of requests keyed by id and a few lines per operation. It
// never includes the fake's store; it only borrows core's request-id function.
//
//   QueueModel m;
//   auto r = m.add("a", "https://a", /*handled=*/false, /*forefront=*/false);
//   m.lock_head("c1", 2, 60000);
//   m.advance(61000);                       // the lock expires: "a" is pending again
//   assert(m.head(100).front().unique_key == "a");
//
// Eventual consistency (rq-properties --consistency-lag, docs/consistency.md): with a bound of
// `lag` ms, a request that became new or reclaimed at time t may be missing from head and
// head/lock until t + lag (surely_visible() says when it must show), and the counters may trail:
// each may show any value it had within the last `lag` ms (counters_allowed()).
//
//   m.set_consistency_lag(300);
//   m.add("a", "https://a", false, false);  // at 0: head may omit it until 300
//   m.advance(300);                         // surely_visible(*m.find_key("a")) from here on
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace rqcheck::prop {

using Ms = std::int64_t;

struct ModelRequest {
  std::string id, unique_key, url;
  std::string tag;  // userData.tag of the stored body ("" when the body had no userData)
  bool handled = false;
  bool forefront = false;  // where it goes when it becomes available again
  // Still where its first add put it: never re-placed by a PUT, a lock release or expiry, nor
  // re-added with forefront (where those put it is a 'should', decisions 21, 23, 29).
  bool settled = true;
  Ms t = 0;  // queue position while pending and unlocked: (t, seq)
  std::int64_t seq = 0;
  std::optional<std::string> lock_owner;  // clientKey holding the lock
  Ms lock_expires = 0;
  std::int64_t lock_seq = 0;
  // When it last became new or reclaimed (added, upserted or replaced, its lock expired, deleted
  // or released), on the lag clock (QueueModel::lag_now): head and head/lock may leave it out
  // until since + the consistency lag.
  Ms since = 0;
  bool locked() const { return lock_owner.has_value(); }
  bool available() const { return !handled && !locked(); }
};

// {requestId, wasAlreadyPresent, wasAlreadyHandled} as the model predicts it.
struct ModelWrite {
  std::string id;
  bool was_already_present = false;
  bool was_already_handled = false;
};

enum class LockOutcome { kOk, kNotOwner, kNotLocked, kAbsent };

enum class ListFilter { kNone, kLocked, kPending, kBoth };
const char* filter_name(ListFilter f);

class QueueModel {
 public:
  // Time since the start of the run (the SUT's clock moves by the same amounts).
  Ms now() const { return now_; }
  // Moves time forward; expired locks make their requests pending again (decision 29).
  void advance(Ms ms);

  // (6) add / one item of (8) batch add: dedup by exact uniqueKey (decisions 20, 21).
  ModelWrite add(const std::string& unique_key, const std::string& url, bool handled,
                 bool forefront, const std::string& tag = {});
  // (11) PUT: upsert, replace; unhandled -> back of the queue (front with forefront), lock
  // cleared (decisions 4, 22, 23).
  ModelWrite put(const std::string& unique_key, const std::string& url, bool handled,
                 bool forefront, const std::string& tag = {});
  // (12), (9): removing an absent request is fine (decision 5).
  void remove_id(const std::string& id);
  void remove_key(const std::string& unique_key) { remove_id(id_of(unique_key)); }

  // (13) the first `limit` pending unlocked requests in queue order (decisions 24, 25).
  std::vector<ModelRequest> head(std::size_t limit) const;
  // Every pending unlocked request in queue order.
  std::vector<ModelRequest> queue_order() const;
  // (14) locks and returns the first `limit` available requests.
  std::vector<ModelRequest> lock_head(const std::string& client, std::size_t limit, Ms lock_ms);
  // (14) when the target may choose (a smaller limit than the available requests, order not
  // asserted): locks exactly `ids`, each available, for `lock_ms`.
  void lock_ids(const std::string& client, const std::vector<std::string>& ids, Ms lock_ms);
  // The expiry a target reported for a lock it prolonged (decision 27 allows more than one
  // rule), as time since the start of the run.
  void set_lock_expiry(const std::string& id, Ms expires);
  bool any_locked() const;
  // Marks a request as no longer where its add put it (see ModelRequest::settled).
  void unsettle(const std::string& id);
  // (15) only the owner prolongs: expiry = now + lock_ms.
  LockOutcome prolong(const std::string& client, const std::string& id, Ms lock_ms, bool forefront);
  // (16) only the owner deletes its lock; the request goes to the back (front with forefront).
  LockOutcome delete_lock(const std::string& client, const std::string& id, bool forefront);
  // (17) releases every lock of `client`; returns how many.
  std::int64_t unlock(const std::string& client);
  LockOutcome lock_state(const std::string& client, const std::string& id) const;

  // (7) requests matching `filter`, in id order.
  std::vector<ModelRequest> matching(ListFilter filter) const;
  static bool matches(const ModelRequest& r, ListFilter filter);

  const ModelRequest* find_id(const std::string& id) const;
  const ModelRequest* find_key(const std::string& unique_key) const;
  const std::map<std::string, ModelRequest>& requests() const { return by_id_; }
  std::int64_t total() const { return static_cast<std::int64_t>(by_id_.size()); }
  std::int64_t handled() const;
  std::int64_t pending() const { return total() - handled(); }

  static std::string id_of(const std::string& unique_key);

  // --- eventual consistency ---------------------------------------------------------------
  // The bound in ms (0, the default: every read is exact, the model of a strongly consistent
  // target).
  void set_consistency_lag(Ms bound) { lag_ = bound < 0 ? 0 : bound; }
  Ms consistency_lag() const { return lag_; }
  // The clock the lag is measured on: now() under a virtual clock. Against a real clock the
  // model's now() stands still (locks are long, AdvanceClock never runs), so the harness sets the
  // wall time since the case started here before each command.
  void set_wall(Ms since_start) { wall_ = since_start; }
  Ms lag_now() const { return now_ + wall_; }
  // Whether head and head/lock must show `r` now (when it is available): its lag has passed.
  // With a bound of 0 every request is.
  bool surely_visible(const ModelRequest& r) const { return r.since + lag_ <= lag_now(); }
  // The available requests in queue order that head must show now (a subsequence of
  // queue_order()).
  std::vector<ModelRequest> surely_visible_order() const;
  // The lag-clock time from which every request that is not handled is available and visible:
  // every lock has expired and every lag has passed, and the counters are exact (lag_now() when
  // that is already so). Without `with_locks`, locked requests are left out (against a real
  // clock their locks last minutes).
  Ms settle_time(bool with_locks = true) const;
  // Counters under the bound (the rule of docs/consistency.md): total = handled + pending, and
  // each of the three equals a value it had at some moment within the last `lag` ms (a value
  // that was replaced more than `lag` ms ago, or at a bound of 0 any value but the current one,
  // is refused). The fake publishes one snapshot of all three; this rule is weaker, so a target
  // that updates them one by one passes too.
  bool counters_allowed(std::int64_t total, std::int64_t handled, std::int64_t pending) const;
  // The values counters_allowed() takes, for messages: "total 3 = handled 1 + pending 2 (within
  // the last 300 ms also: total 2, handled 0, pending 2)".
  std::string counters_expected() const;

 private:
  void place(ModelRequest& r, bool forefront, Ms t);
  void expire();
  // Counters changed from (total, handled) before an operation: keeps the replaced values while
  // they are within the bound.
  void note_counters(std::int64_t total_before, std::int64_t handled_before);

  struct Replaced {
    Ms at;  // lag clock: when these values were replaced
    std::int64_t total, handled;
  };
  Ms lag_ = 0, wall_ = 0;
  std::vector<Replaced> replaced_;  // oldest first, only those within the bound

  Ms now_ = 0;
  std::int64_t seq_ = 0;
  std::int64_t lock_seq_ = 0;
  std::map<std::string, ModelRequest> by_id_;
};

}  // namespace rqcheck::prop
