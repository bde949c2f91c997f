// The second set of named bugs (issue 12), queues and counters: written from the contract's
// obligations (spec sections 2, 4 (1)-(5), 6.2; decisions 30, 35, 36, 39, 40), each a mistake an
// emulator of this API could really ship, without looking at which check would see it.
#include "registry.h"

namespace rqcheck::fake::bugs {

using O = Operation;

std::vector<Bug> subtle_queue_bugs() {
  return {
      {"QueueListOffsetIgnored", "the queue list ignores offset (always from the first queue)",
       "spec.4.1.list_named: offset",
       [](Call& c, const Context&) {
         if (c.op == O::kQueuesGet) c.args.queues.offset = 0;
       }},
      {"QueueListDescIgnored", "the queue list ignores desc=1 (always oldest first)",
       "spec.4.1.list_named: desc reverses",
       [](Call& c, const Context&) {
         if (c.op == O::kQueuesGet) c.args.queues.desc = false;
       }},
      {"RenameToNullIgnored", "PUT queue with name null keeps the old name",
       "spec.4.4.update_queue: null makes it unnamed",
       [](Call& c, const Context&) {
         if (c.op == O::kQueuePut && c.args.changes.name && !*c.args.changes.name) {
           c.args.changes.name.reset();
         }
       }},
      {"GeneralAccessNotStored", "PUT queue answers the new generalAccess but does not store it",
       "spec.4.4.update_queue: PUT changes generalAccess",
       [](Call& c, const Context&) {
         if (c.op == O::kQueuePut) c.args.changes.general_access.reset();
       },
       nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op != O::kQueuePut || o.error) return;
         Json body = body_doc(c);
         if (body.is_object() && body.contains("generalAccess") &&
             body["generalAccess"].is_string()) {
           o.queue.general_access = body["generalAccess"].get<std::string>();
         }
       }},
      {"SoftDeletedQueueStillAnswers",
       "a deleted queue leaves the list and its name, but still answers by id",
       "spec.4.5.delete_queue, decision 14: a deleted queue is gone", nullptr,
       [](StoreQuirks& q) { q.soft_delete_queue = true; }},
      {"UnnamedQueueNameEmptyString", "unnamed queues carry name \"\" instead of null",
       "decision 35: name null", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (returns_queue(c.op) && !o.queue.name) o.queue.name = "";
         if (c.op == O::kQueuesGet) {
           for (auto& q : o.queues.items) {
             if (!q.name) q.name = "";
           }
         }
       }},
      {"AccessedAtOnlyOnWrites", "accessedAt moves only on writes (reads leave it behind)",
       "spec.6.2.accessed_at: accessedAt changes on any access", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kQueueGet) o.queue.accessed_at = o.queue.modified_at;
       }},
      {"ModifiedAtFrozen", "the queue object's modifiedAt stays at createdAt",
       "spec.6.2.modified_at: modifiedAt changes on writes", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (returns_queue(c.op)) o.queue.modified_at = o.queue.created_at;
       }},
      {"LockDoesNotTouchModifiedAt", "head/lock leaves modifiedAt as it was",
       "spec.6.2.modified_at: modifiedAt changes on locking", nullptr,
       [](StoreQuirks& q) { q.lock_keeps_modified_at = true; }},
      {"HadMultipleClientsOnSameKey",
       "hadMultipleClients turns true on the second call, even with the same clientKey",
       "decision 30: two different clients", nullptr,
       [](StoreQuirks& q) { q.every_call_a_new_client = true; }},
      {"KeylessCallsAreOneClient",
       "calls without a clientKey all count as one client (hadMultipleClients stays false)",
       "seed.client_key.new_client, decision 30: each call without clientKey counts as a new "
       "client",
       nullptr, [](StoreQuirks& q) { q.keyless_calls_one_client = true; }},
      {"DeleteOfHandledKeepsHandledCount",
       "deleting a handled request (one or in a batch) decrements pending instead of handled",
       "spec.6.2.counters, decision 36: deleting decrements the matching counter", nullptr,
       [](StoreQuirks& q) { q.delete_keeps_handled_count = true; }},
      {"HandledUpdateKeepsPending",
       "marking a request handled (PUT) increments handled but leaves pending as it was",
       "spec.6.2.counters, decision 36: PUT pending -> handled", nullptr,
       [](StoreQuirks& q) { q.handled_update_keeps_pending = true; }},
      {"DuplicateAddCountsTotal",
       "an add of a present uniqueKey increments totalRequestCount and pendingRequestCount",
       "spec.6.2.counters, decision 36: adding a duplicate changes nothing", nullptr,
       [](StoreQuirks& q) { q.duplicate_counts_total = true; }},
  };
}

}  // namespace rqcheck::fake::bugs
