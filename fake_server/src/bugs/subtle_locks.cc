// The second set of named bugs (issue 12), locks: from spec 4 (14)-(17), 6.4 and decisions 26-29.
#include <algorithm>
#include <cstdlib>

#include "registry.h"
#include "rqcheck/core/limits.h"

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
      {"HeadLockLimitFromHeadLimit",
       "head/lock clamps limit with GET head's maximum (1000) instead of 25",
       "spec.1.head_lock_limit: at most 25",
       [](Call& c, const Context&) {
         if (c.op != O::kHeadLockPost || c.refusal) return;
         auto v = c.http->opt_param("limit");
         if (!v) return;
         char* end = nullptr;
         long long n = std::strtoll(v->c_str(), &end, 10);
         if (end && *end == '\0' && n > kHeadLockLimit.max_value) {
           c.args.limit = std::min<long long>(n, kHeadLimit.max_value);
         }
       }},
      {"NegativeLockSecsAsZero", "a negative lockSecs is taken as 0 instead of a 400",
       "decision 9: negative lockSecs is 400 invalid-parameter",
       [](Call& c, const Context&) {
         if (c.op != O::kHeadLockPost && c.op != O::kRequestLockPut) return;
         auto v = c.http->opt_param("lockSecs");
         if (!v || v->empty() || (*v)[0] != '-') return;
         char* end = nullptr;
         double d = std::strtod(v->c_str(), &end);
         if (!end || *end != '\0' || !(d < 0)) return;
         c.args.lock_secs = 0;
         forgive(c, "request.lock_secs");
       }},
      {"HeadLockRehandsOwnLocks",
       "head/lock hands the caller's own locked requests out again (locks renewed)",
       "decision 26, spec.4.14.not_handed_to_others: a locked request is not handed out twice",
       nullptr, [](StoreQuirks& q) { q.head_lock_rehands_own = true; }},
      {"LocksExpireEarly", "a lock counts as expired one second before its lockExpiresAt",
       "spec.4.14.not_handed_to_others: locked until the lock expires", nullptr,
       [](StoreQuirks& q) { q.locks_expire_early = true; }},
      {"HeadHidesRetried", "GET head leaves out pending requests whose retryCount is above 0",
       "decision 25: every pending request not locked, in queue order", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op != O::kHeadGet || o.error) return;
         auto& v = o.head.items;
         v.erase(std::remove_if(v.begin(), v.end(),
                                [](const HeadItem& h) { return h.retry_count > 0; }),
                 v.end());
       }},
      {"HeadOmitsUrlEqualToKey",
       "head items leave out url when it equals the uniqueKey (the store keeps it once)",
       "spec.2.head_items: id, uniqueKey, url required", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || (c->op != O::kHeadGet && c->op != O::kHeadLockPost) || !ok(r.status)) return;
         edit_body(r, [](Json& doc) {
           if (!doc.contains("data") || !doc["data"].contains("items")) return;
           for (auto& it : doc["data"]["items"]) {
             if (it.contains("url") && it.contains("uniqueKey") && it["url"] == it["uniqueKey"])
               it.erase("url");
           }
         });
       }},
  };
}

}  // namespace rqcheck::fake::bugs
