// Named bugs of the head and of locks (rows 13-17).
#include "registry.h"

namespace rqcheck::fake::bugs {

using O = Operation;

std::vector<Bug> lock_bugs() {
  return {
      {"HeadOrderReversed", "GET head lists the requests in reverse queue order", "decision 24",
       nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kHeadGet) std::reverse(o.head.items.begin(), o.head.items.end());
       }},
      {"HeadShowsLocked", "GET head also lists requests locked by other clients", "decision 25",
       nullptr, [](StoreQuirks& q) { q.head_shows_locked = true; }},
      {"LockExpiryWrong", "head/lock reports lockExpiresAt one hour early", "spec 4 (14)", nullptr,
       nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op != O::kHeadLockPost) return;
         for (auto& it : o.head.items) {
           if (it.lock_expires_at) *it.lock_expires_at -= 3600000;
         }
       }},
      {"LockNotExclusive", "head/lock also hands out requests that are already locked",
       "decision 26", nullptr, [](StoreQuirks& q) { q.lock_not_exclusive = true; }},
      {"LockSecsDefaulted", "a missing or invalid lockSecs defaults to 60 instead of a 400",
       "decision 9",
       [](Call& c, const Context&) {
         if (c.op != O::kHeadLockPost && c.op != O::kRequestLockPut) return;
         for (const Violation& v : c.violations) {
           if (v.rule == "request.lock_secs") {
             c.args.lock_secs = 60;
             forgive(c, "request.lock_secs");
             return;
           }
         }
       }},
      {"QueueHasLockedAlwaysFalse", "head/lock always answers queueHasLockedRequests false",
       "spec 4 (14)", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kHeadLockPost && o.head.queue_has_locked_requests) {
           o.head.queue_has_locked_requests = false;
         }
       }},
      {"LockNeverExpires", "locks are taken for an hour whatever lockSecs says",
       "spec 4 (14), decision 29",
       [](Call& c, const Context&) {
         if (c.op == O::kHeadLockPost || c.op == O::kRequestLockPut) c.args.lock_secs = 3600;
       }},
      {"ProlongWrongExpiry", "prolonging a lock extends it by 1 second whatever lockSecs says",
       "decision 27",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestLockPut) c.args.lock_secs = 1;
       }},
      {"ProlongByAnyone", "any client may prolong or delete another client's lock",
       "decisions 27, 28", nullptr, [](StoreQuirks& q) { q.lock_owner_ignored = true; }},
      {"DeleteLockIgnored", "deleting a lock answers 204 but keeps the lock", "spec 4 (16)",
       nullptr, [](StoreQuirks& q) { q.delete_lock_ignored = true; }},
      {"UnlockCountWrong", "unlock answers unlockedCount 0 whatever it released", "spec 4 (17)",
       nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kRequestsUnlockPost) o.unlocked_count = 0;
       }},
  };
}

}  // namespace rqcheck::fake::bugs
