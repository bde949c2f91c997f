// The second set of named bugs (issue 12), locks: from spec 4 (14)-(17), 6.4 and decisions 26-29.
#include "registry.h"

namespace rqcheck::fake::bugs {

using O = Operation;

std::vector<Bug> subtle_lock_bugs() {
  return {
      {"ExpiredLockKeepsOldPlace",
       "an expired lock puts the request back at its old place, not by its expiry time",
       "spec.6.4.expiry_order, decision 29", nullptr,
       [](StoreQuirks& q) { q.expired_lock_keeps_position = true; }},
      {"LockExpiryFromQueueTime",
       "lockExpiresAt is computed from the time the request entered the queue, not from now",
       "spec.4.14.head_lock: lockExpiresAt = now + lockSecs", nullptr,
       [](StoreQuirks& q) { q.lock_expiry_from_order_time = true; }},
      {"LockSecsReadAsMillis", "head/lock reads lockSecs as milliseconds",
       "spec.4.14.head_lock: lockSecs in seconds",
       [](Call& c, const Context&) {
         if (c.op == O::kHeadLockPost) c.args.lock_secs /= 1000.0;
       }},
      {"ProlongNotStored", "prolong answers the new lockExpiresAt but keeps the old expiry",
       "spec.4.15.prolong, decision 27: the new expiry is stored", nullptr,
       [](StoreQuirks& q) { q.prolong_not_stored = true; }},
      {"ProlongIgnoresForefront",
       "prolong ignores forefront (the request goes to the end when the lock expires)",
       "spec.4.15.prolong: forefront = where the request goes when the lock expires",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestLockPut) c.args.write.forefront = false;
       }},
      {"DeleteLockIgnoresForefront", "deleting a lock with forefront=true sends it to the end",
       "spec.4.16.delete_lock: front with forefront",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestLockDelete) c.args.write.forefront = false;
       }},
      {"DeleteLockByOtherIsSilent",
       "deleting another client's lock answers 204 and leaves the lock in place",
       "spec.4.16.delete_lock, decision 28: same owner rule", nullptr,
       [](StoreQuirks& q) { q.delete_lock_by_other_noop = true; }},
      {"UnlockReleasesEveryClient", "POST unlock releases the locks of every client",
       "spec.4.17.unlock: the locks held by this clientKey", nullptr,
       [](StoreQuirks& q) { q.unlock_releases_all = true; }},
      {"HeadLockTakesOneMore", "head/lock locks limit + 1 requests and returns only limit",
       "spec.4.14.head_lock: locks up to limit", nullptr,
       [](StoreQuirks& q) { q.head_lock_takes_one_more = true; }},
      {"HasLockedCountsOwnLocksOnly", "queueHasLockedRequests only sees the caller's own locks",
       "spec.4.14.queue_has_locked: whether any client holds locks", nullptr,
       [](StoreQuirks& q) { q.has_locked_counts_own_only = true; }},
  };
}

}  // namespace rqcheck::fake::bugs
