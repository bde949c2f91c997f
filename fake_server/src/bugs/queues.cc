// Named bugs of the queue operations (rows 1-5) and the queue object.
#include <regex>

#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/requests.h"

namespace rqcheck::fake::bugs {

using O = Operation;

std::vector<Bug> queue_bugs() {
  return {
      {"WrongCreateStatus",
       "POST /v2/request-queues answers 200 for a new queue and 201 for an existing one",
       "spec 4 (2): 201 created, 200 existing", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kQueuesPost && !o.error) o.status = o.status == 201 ? 200 : 201;
       }},
      {"MissingConsoleUrl", "queue objects leave out consoleUrl", "decision 40", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (returns_queue(c.op)) o.queue.console_url.clear();  // an empty url is not written
       }},
      {"NaiveTimestamps", "date-times are sent without the Z (naive, no timezone)", "decision 39",
       nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         static const std::regex kIso(R"((\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3})Z)");
         if (ok(r.status)) r.body = std::regex_replace(r.body, kIso, "$1");
       }},
      {"QueueRenameIgnored", "PUT queue answers 200 but ignores the body",
       "spec 4 (3)-(5): PUT changes name and generalAccess",
       [](Call& c, const Context&) {
         if (c.op == O::kQueuePut) c.args.changes = QueueChanges{};
       }},
      {"CounterNotUpdated", "handledRequestCount is never updated (always 0) in queue objects",
       "decision 36", nullptr, [](StoreQuirks& q) { q.handled_count_frozen = true; }},
      {"QueueListEmpty", "GET /v2/request-queues answers an empty items array",
       "spec 4 (1): the list holds the user's queues", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kQueuesGet && !o.error) {
           o.queues.items.clear();
           o.queues.count = 0;
         }
       }},
      {"UnnamedFlagIgnored", "the unnamed=1 parameter of the queue list is ignored", "decision 35",
       [](Call& c, const Context&) {
         if (c.op == O::kQueuesGet) c.args.queues.unnamed = false;
       }},
      {"OtherUsersQueueWritable", "writes to another user's queue answer success instead of 403",
       "decision 13", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (!o.error || o.error->status != 403) return;
         o.error.reset();
         o.status = operation_info(c.op).success_status;
         o.no_body = o.status == 204;
         o.add = AddResult{request_id_for("x"), false, false};
       }},
      {"AnonymousReadsRefused",
       "every call without a token is refused with 401, reads by raw id included",
       "spec 1: a GET by the raw id works without a token unless RESTRICTED",
       [](Call& c, const Context&) {
         if (!c.token && operation_info(c.op).anonymous_read) {
           refuse(c, "request.token_missing", errors::token_not_provided());
         }
       }},
      {"RestrictedReadableById",
       "generalAccess RESTRICTED is stored but reads by raw id ignore it (anyone may read)",
       "spec 1, decision 13: RESTRICTED reads need the owner", nullptr,
       [](StoreQuirks& q) { q.restricted_ignored = true; }},
      {"UsernameQueueRefNotFound",
       "a queueId of the form username~queue-name answers 404 (only ~queue-name is resolved)",
       "spec 1, spec 3: queueId accepts username~queue-name",
       [](Call& c, const Context&) {
         if (operation_info(c.op).storage != Storage::kRequestQueue) return;
         auto tilde = c.params[0].find('~');
         if (tilde != std::string::npos && tilde > 0) {
           refuse(c, "request.queue_ref", errors::record_not_found());
         }
       }},
      {"QueueListLimitNotCapped",
       "the queue list takes any limit (limit=5000 is used and shown as 5000)",
       "spec 1, spec 3 row 1: list queues limit at most 1000",
       [](Call& c, const Context&) {
         if (c.op != O::kQueuesGet) return;
         auto v = c.http->opt_param("limit");
         if (!v) return;
         auto n = parse_int_param("limit", *v);
         if (n && *n > kListStoragesLimit.max_value) c.args.queues.limit = *n;
       },
       nullptr,
       // The store's directory clamps every listing to 1000; the page shows the limit asked for.
       [](const Call& c, Outcome& o) {
         if (c.op == O::kQueuesGet && c.args.queues.limit > kListStoragesLimit.max_value) {
           o.queues.limit = c.args.queues.limit;
         }
       }},
      {"HadMultipleClientsNeverSet", "hadMultipleClients is always false", "decision 30", nullptr,
       nullptr,
       [](const Call&, Outcome& o) {
         o.queue.had_multiple_clients = false;
         o.head.had_multiple_clients = false;
         for (auto& q : o.queues.items) q.had_multiple_clients = false;
       }},
      // Exactly one wrong field that no check and no client parse reads, so only the schema
      // sees it: the conformance test of schema findings (one finding, every check passes).
      {"StorageBytesAsString", "queue objects send stats.storageBytes as a string (\"0\")",
       "schema: stats.storageBytes is an integer", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c == nullptr || !returns_queue(c->op) || !ok(r.status)) return;
         edit_body(r, [](Json& d) {
           if (!d.contains("data") || !d["data"].contains("stats")) return;
           Json& b = d["data"]["stats"]["storageBytes"];
           if (b.is_number()) b = b.dump();
         });
       }},
  };
}

}  // namespace rqcheck::fake::bugs
