// A small, obviously correct model of one request queue, written from scratch for the property
// tests (STYLE.md section 8): a map of requests keyed by id and a few lines per operation. It
// never includes the fake's store; it only borrows core's request-id function.
//
//   QueueModel m;
//   auto r = m.add("a", "https://a", /*handled=*/false, /*forefront=*/false);
//   m.lock_head("c1", 2, 60000);
//   m.advance(61000);                       // the lock expires: "a" is pending again
//   assert(m.head(100).front().unique_key == "a");
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

 private:
  void place(ModelRequest& r, bool forefront, Ms t);
  void expire();

  Ms now_ = 0;
  std::int64_t seq_ = 0;
  std::int64_t lock_seq_ = 0;
  std::map<std::string, ModelRequest> by_id_;
};

}  // namespace rqcheck::prop
