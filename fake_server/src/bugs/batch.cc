// Named bugs of batch add and batch delete (rows 8, 9).
#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::fake::bugs {

using O = Operation;

namespace {
bool is_batch(O op) { return op == O::kRequestsBatchPost || op == O::kRequestsBatchDelete; }
}  // namespace

std::vector<Bug> batch_bugs() {
  return {
      {"BatchLimitNotEnforced", "batch add and batch delete accept more than 25 items",
       "decision 6",
       [](Call& c, const Context&) {
         if (is_batch(c.op) && batch_size(c) > kMaxBatch) forgive(c, "request.batch_size");
       }},
      {"BatchLimitOffByOne", "a batch of exactly 25 items is refused", "decision 6",
       [](Call& c, const Context&) {
         if (is_batch(c.op) && batch_size(c) == kMaxBatch) {
           refuse(c, "request.batch_size",
                  errors::invalid_input("Invalid input: a batch must contain 1 to 24 requests."));
         }
       }},
      {"EmptyBatchAccepted", "an empty batch add or delete answers 2xx with empty lists",
       "decision 6",
       [](Call& c, const Context&) {
         if ((c.op == O::kRequestsBatchPost || c.op == O::kRequestsBatchDelete) &&
             body_doc(c) == Json::array()) {
           forgive(c, "request.batch_size");
         }
       }},
      {"BatchErrorTypeWrong",
       "batch validation errors use type invalid-value instead of invalid-input",
       "decision 6 (the type)", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c && is_batch(c->op) && r.error && r.error->type == "invalid-input") {
           ApiError e = *r.error;
           e.type = "invalid-value";
           set_error(r, e);
         }
       }},
      {"DuplicateKeysInBatchAccepted",
       "duplicate uniqueKeys inside one batch add are merged instead of refused", "decision 7",
       [](Call& c, const Context&) {
         // The parser kept the first of each uniqueKey; storing those merges the duplicates.
         if (c.op == O::kRequestsBatchPost) forgive(c, "request.batch_duplicate_keys");
       }},
      {"BatchDropsItems", "batch add silently drops its last item (in neither list)",
       "spec 4 (8): every item is processed or unprocessed",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsBatchPost && c.args.drafts.size() >= 2) c.args.drafts.pop_back();
       }},
      {"BatchDeleteByIdIgnored", "batch delete ignores items given by id (reports them processed)",
       "spec 4 (9): items by id",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestsBatchDelete) return;
         for (RequestKey& k : c.args.keys) {
           if (k.id && !k.unique_key) k.id = "zzzzzzzzzzzzzzz";
         }
       }},
      {"BatchDeleteByUniqueKeyIgnored", "batch delete ignores items given by uniqueKey",
       "spec 4 (9): items by uniqueKey",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestsBatchDelete) return;
         for (RequestKey& k : c.args.keys) {
           if (k.unique_key && !k.id) *k.unique_key += "#ignored";
         }
       }},
      {"BatchDeleteAnswers204", "batch delete answers 204 without a body instead of 200",
       "spec 3 row 9: 200", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kRequestsBatchDelete && o.status == 200) {
           o.status = 204;
           o.no_body = true;
         }
       }},
  };
}

}  // namespace rqcheck::fake::bugs
