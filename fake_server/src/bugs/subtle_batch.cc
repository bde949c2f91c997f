// The second set of named bugs (issue 12), batch add and batch delete: from the seed's batch
// rows, spec 1 (batch limit), 4 (8), 4 (9) and decisions 5-7.
#include <algorithm>

#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck::fake::bugs {

using O = Operation;

std::vector<Bug> subtle_batch_bugs() {
  return {
      {"BatchDeleteAccepts26",
       "batch delete accepts 26 items (its limit check is `> 26`, batch add's is right)",
       "seed.batch_delete.max_25, spec.1.batch_limit, decision 6: 26 items are refused",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsBatchDelete && batch_size(c) == kMaxBatch + 1) {
           forgive(c, "request.batch_size");
         }
       }},
      {"BatchAddTruncatesTo25",
       "a batch add of more than 25 requests stores the first 25 and answers 201",
       "seed.batch_add.max_25, decision 6: over 25 is 400 and nothing stored",
       [](Call& c, const Context& ctx) {
         if (c.op != O::kRequestsBatchPost) return;
         Json doc = body_doc(c);
         if (!doc.is_array() || doc.size() <= kMaxBatch) return;
         doc.erase(doc.begin() + kMaxBatch, doc.end());
         reparse(c, ctx, dump_json(doc));
       }},
      {"EmptyBatchDeleteAccepted", "an empty batch delete answers 200 with empty lists",
       "decision 6: an empty batch is 400 invalid-input",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsBatchDelete && body_doc(c) == Json::array()) {
           forgive(c, "request.batch_size");
         }
       }},
      {"BatchAddOmitsEmptyUnprocessed", "batch add leaves out unprocessedRequests when it is empty",
       "seed.batch_add.both_lists: both arrays are in the answer", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kRequestsBatchPost || !ok(r.status)) return;
         edit_body(r, [](Json& doc) {
           if (!doc.contains("data") || !doc["data"].is_object()) return;
           auto& d = doc["data"];
           if (d.contains("unprocessedRequests") && d["unprocessedRequests"].empty()) {
             d.erase("unprocessedRequests");
           }
         });
       }},
      {"BatchExistingGetsNewId",
       "batch add answers a freshly made requestId for a uniqueKey already in the queue",
       "seed.batch_add.existing_id: the id of the existing request", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op != O::kRequestsBatchPost || o.error) return;
         for (auto& p : o.batch_add.processed) {
           if (p.was_already_present) p.request_id = request_id_for(p.unique_key + "#dup");
         }
       }},
      {"BatchWasAlreadyPresentFalse",
       "batch add answers wasAlreadyPresent false for requests already in the queue",
       "seed.write.was_already_present: true when the uniqueKey existed", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op != O::kRequestsBatchPost || o.error) return;
         for (auto& p : o.batch_add.processed) p.was_already_present = false;
       }},
      {"BatchAddIgnoresForefront", "batch add ignores forefront=true (single add honours it)",
       "seed.batch_add.forefront, decision 24: forefront puts them at the head",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsBatchPost) c.args.write.forefront = false;
       }},
      {"BatchDuplicateCheckAdjacentOnly",
       "duplicate uniqueKeys in one batch add are refused only when they are next to each other",
       "decision 7: any duplicate uniqueKeys in one batch: 400, nothing stored",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestsBatchPost || c.refusal == std::nullopt) return;
         if (!has_violation(c, "request.batch_duplicate_keys")) return;
         Json doc = body_doc(c);
         if (!doc.is_array()) return;
         for (std::size_t i = 1; i < doc.size(); ++i) {
           if (doc[i].is_object() && doc[i - 1].is_object() && doc[i].contains("uniqueKey") &&
               doc[i - 1].contains("uniqueKey") && doc[i]["uniqueKey"] == doc[i - 1]["uniqueKey"]) {
             return;
           }
         }
         forgive(c, "request.batch_duplicate_keys");
       }},
      {"BatchAddIdNotChecked",
       "batch add items with an id that does not match their uniqueKey are stored (add checks it)",
       "spec.4.7.no_id_on_add, decision 2: a wrong id is 400 request-id-invalid",
       [](Call& c, const Context& ctx) {
         if (c.op != O::kRequestsBatchPost) return;
         if (!has_violation(c, "request.id_mismatch")) return;
         Json doc = body_doc(c);
         if (!doc.is_array()) return;
         for (auto& it : doc) {
           if (it.is_object()) it.erase("id");
         }
         reparse(c, ctx, dump_json(doc));
       }},
      {"BatchDeleteOverBudgetProcessed",
       "batch delete items over the rate-limit budget are reported processed but not deleted",
       "seed.batch_delete.unprocessed: failed items are in unprocessedRequests", nullptr,
       [](StoreQuirks& q) { q.batch_delete_over_budget_processed = true; }},
      {"BatchDeleteIdLowercased",
       "batch delete lowercases the ids it is given (ids taken as case-insensitive)",
       "seed.batch_delete.by_id_or_key: an item by id deletes that request",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestsBatchDelete) return;
         for (RequestKey& k : c.args.keys) {
           if (k.id && !k.unique_key) {
             std::transform(k.id->begin(), k.id->end(), k.id->begin(),
                            [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
           }
         }
       }},
      {"BatchDeleteAnswers201", "batch delete answers 201 (as batch add does) instead of 200",
       "seed.batch_delete.status_200, spec.4.9.batch_delete_result: 200", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kRequestsBatchDelete && o.status == 200) o.status = 201;
       }},
      {"BatchDeleteDropsAbsent",
       "batch delete leaves items whose request is absent out of both lists",
       "decision 5: an absent item is processed (or unprocessed), never missing", nullptr,
       [](StoreQuirks& q) { q.batch_delete_absent_dropped = true; }},
  };
}

}  // namespace rqcheck::fake::bugs
