// The second set of named bugs (issue 12), queues and counters: written from the contract's
// obligations (spec sections 2, 4 (1)-(5), 6.2; decisions 30, 35, 36, 39, 40), each a mistake an
// emulator of this API could really ship, without looking at which check would see it.
#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"

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
      {"QueueIds18Chars", "queue ids have 18 characters (the generator's length is off by one)",
       "spec.1.queue_id_format: ^[a-zA-Z0-9]{17}$",
       [](Call& c, const Context&) {
         // The router takes the 18-character ids it hands out.
         std::string& id = c.params[0];
         if (operation_info(c.op).storage == Storage::kRequestQueue && id.size() == 18 &&
             id.find('~') == std::string::npos)
           id.pop_back();
       },
       nullptr,
       [](const Call& c, Outcome& o) {
         if (o.error) return;
         if (returns_queue(c.op)) o.queue.id += "0";
         if (c.op == O::kQueuesGet) {
           for (auto& q : o.queues.items) q.id += "0";
         }
         for (Header& h : o.headers) {
           if (h.first == "Location") h.second += "0";
         }
       }},
      {"QueueName63Refused", "a queue name of exactly 63 characters is refused (limit 62)",
       "spec.1.queue_name_63: at most 63 characters",
       [](Call& c, const Context&) {
         if (c.op == O::kQueuesPost && c.args.name &&
             c.args.name->size() == kMaxStorageNameLength) {
           refuse(c, "request.name",
                  errors::invalid_parameter("Request queue name must be 1 to 62 characters long."));
         }
       }},
      {"QueueNameTruncatedTo63", "a 64-character queue name is cut to 63 and the queue created",
       "spec.1.queue_name_63: a longer name is refused",
       [](Call& c, const Context&) {
         if (c.op == O::kQueuesPost && c.args.name &&
             c.args.name->size() == kMaxStorageNameLength + 1)
           c.args.name->pop_back();
       }},
      {"QueueListDefaultLimit100", "the queue list defaults to 100 queues instead of 1000",
       "spec.1.list_queues_limit: default 1000",
       [](Call& c, const Context&) {
         if (c.op == O::kQueuesGet && !c.http->param("limit")) c.args.queues.limit = 100;
       }},
      {"UnnamedTrueIgnored", "the queue list takes unnamed=1 but ignores unnamed=true",
       "spec.1.booleans, decision 18: true and 1 alike",
       [](Call& c, const Context&) {
         const std::string* v = c.http->param("unnamed");
         if (c.op == O::kQueuesGet && v && *v == "true") c.args.queues.unnamed = false;
       }},
      {"NewQueueAccessedAtNull", "a created queue answers accessedAt null (never read yet)",
       "spec.2.queue_fields: accessedAt is a date-time", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kQueuesPost || r.status != 201) return;
         edit_body(r, [](Json& doc) {
           if (doc.contains("data") && doc["data"].is_object()) doc["data"]["accessedAt"] = nullptr;
         });
       }},
      {"UpdateQueueAnswerWithoutCounters",
       "PUT queue answers the queue without its three request counters",
       "spec.2.queue_fields, spec.4.4.update_queue: the answer is the RequestQueue", nullptr,
       nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kQueuePut || !ok(r.status)) return;
         edit_body(r, [](Json& doc) {
           if (!doc.contains("data") || !doc["data"].is_object()) return;
           for (const char* f : {"totalRequestCount", "handledRequestCount", "pendingRequestCount"})
             doc["data"].erase(f);
         });
       }},
      {"QueueListItemsWithoutUsername", "queue list items leave out username",
       "spec.2.queue_short_fields: username", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kQueuesGet || !ok(r.status)) return;
         edit_body(r, [](Json& doc) {
           if (!doc.contains("data") || !doc["data"].contains("items")) return;
           for (auto& it : doc["data"]["items"]) {
             if (it.is_object()) it.erase("username");
           }
         });
       }},
      {"CreatedQueueWithoutLocation", "a created queue's 201 answer has no Location header",
       "spec.4.2.create: 201 + Location", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c && c->op == O::kQueuesPost && r.status == 201) r.remove_header("Location");
       }},
      {"CreatedQueueWithoutConsoleUrl", "the queue object of a create leaves out consoleUrl",
       "decision 40: every field the spec requires, consoleUrl included", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kQueuesPost || !ok(r.status)) return;
         edit_body(r, [](Json& doc) {
           if (doc.contains("data") && doc["data"].is_object()) doc["data"].erase("consoleUrl");
         });
       }},
  };
}

}  // namespace rqcheck::fake::bugs
