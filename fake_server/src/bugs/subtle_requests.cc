// The second set of named bugs (issue 12), requests and batches: from spec sections 4 (6),
// (8)-(12), 6.1, 6.6 and decisions 3, 8, 20-23, 37.
#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::fake::bugs {

using O = Operation;

std::vector<Bug> subtle_request_bugs() {
  return {
      {"DedupIgnoresCase", "dedup compares uniqueKeys ignoring case",
       "seed.batch_add.unique_key_identical, spec.6.1.no_normalisation, decision 20", nullptr,
       [](StoreQuirks& q) { q.dedup_case_insensitive = true; }},
      {"DedupIgnoresTrailingSlash", "dedup treats uniqueKeys with and without a trailing / alike",
       "spec.6.1.no_normalisation, decision 20", nullptr,
       [](StoreQuirks& q) { q.dedup_trailing_slash = true; }},
      {"DuplicateAddWithForefrontMoves",
       "re-adding a present uniqueKey with forefront=true moves it to the front",
       "spec.4.6.duplicate_unchanged, decision 21: the position does not change, forefront "
       "included",
       nullptr, [](StoreQuirks& q) { q.duplicate_forefront_moves = true; }},
      {"UpdateMergesFields", "PUT keeps the stored userData/headers when the body leaves them out",
       "spec.4.11.replace: a replace, not a merge", nullptr,
       [](StoreQuirks& q) { q.update_merges = true; }},
      {"ReclaimKeepsPosition",
       "PUT without handledAt of a pending request keeps its place instead of going to the end",
       "spec.6.4.put_releases_lock, decision 23: moved to the end", nullptr,
       [](StoreQuirks& q) { q.reclaim_keeps_position = true; }},
      {"UpdateIgnoresForefront", "PUT ignores forefront=true (the request goes to the end)",
       "seed.update.forefront, decision 23: front with forefront",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestPut) c.args.write.forefront = false;
       }},
      {"PutRequiresBodyId", "PUT without id in the body is refused with 400",
       "decision 3: the body id is optional",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestPut || c.refusal) return;
         Json b = body_doc(c);
         if (b.is_object() && !b.contains("id")) {
           refuse(c, "request.schema", errors::invalid_input("Invalid input: id is required."));
         }
       }},
      {"AddRejectsUnknownFields", "an add with fields outside RequestBase is refused with 400",
       "spec.2.stored_as_given: extra keys are allowed and stored",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestsPost || c.refusal) return;
         static const char* known[] = {"uniqueKey", "url",           "method",    "retryCount",
                                       "loadedUrl", "payload",       "headers",   "userData",
                                       "noRetry",   "errorMessages", "handledAt", "id"};
         Json b = body_doc(c);
         if (!b.is_object()) return;
         for (auto it = b.begin(); it != b.end(); ++it) {
           bool ok = false;
           for (const char* k : known) ok = ok || it.key() == k;
           if (!ok) {
             refuse(c, "request.schema",
                    errors::invalid_input("Invalid input: unknown field " + it.key() + "."));
             return;
           }
         }
       }},
      {"BatchAddDropsUserData", "batch add stores its requests without userData, headers, payload",
       "spec.2.stored_as_given: batch items are stored as given",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestsBatchPost) return;
         for (auto& d : c.args.drafts) d.extra.clear();
       }},
      {"UnprocessedItemsStored",
       "batch items over the rate-limit budget are reported unprocessed but stored anyway",
       "spec.1.2.batch_unprocessed, seed.batch_add.unprocessed: unprocessed items are not stored",
       nullptr, [](StoreQuirks& q) { q.unprocessed_items_stored = true; }},
      {"BatchProcessedWithoutUniqueKey", "processedRequests items of a batch add omit uniqueKey",
       "seed.batch_add.processed_fields, spec.6.6.batch_not_atomic: processed entries carry the "
       "uniqueKey",
       nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kRequestsBatchPost || !ok(r.status)) return;
         edit_body(r, [](Json& doc) {
           if (!doc.contains("data") || !doc["data"].contains("processedRequests")) return;
           for (auto& p : doc["data"]["processedRequests"]) p.erase("uniqueKey");
         });
       }},
      {"ClientKeyOf32Refused", "a clientKey of exactly 32 characters is refused",
       "seed.batch_add.client_key, decision 8: 1..32 characters",
       [](Call& c, const Context&) {
         if (c.client_key && c.client_key->size() == kMaxClientKeyLength && !c.refusal) {
           refuse(c, "request.client_key_length",
                  ApiError{400, "invalid-client-key", "clientKey must have 1 to 31 characters."});
         }
       }},
  };
}

}  // namespace rqcheck::fake::bugs
