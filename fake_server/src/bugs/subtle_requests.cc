// The second set of named bugs (issue 12), requests and batches: from spec sections 4 (6),
// (8)-(12), 6.1, 6.6 and decisions 3, 8, 20-23, 37.
#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck::fake::bugs {

using O = Operation;

namespace {

// An id made the way an emulator might: base64url (- and _ kept), or cut to 15 before +/= go.
std::string url_safe_id(const std::string& unique_key) {
  auto digest = sha256(unique_key);
  std::string b64 =
      base64(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  std::string id;
  for (char ch : b64) {
    if (ch == '=') continue;
    id.push_back(ch == '+' ? '-' : ch == '/' ? '_' : ch);
    if (id.size() == kRequestIdLength) break;
  }
  return id;
}
std::string cut_then_filtered_id(const std::string& unique_key) {
  auto digest = sha256(unique_key);
  std::string b64 =
      base64(std::string_view(reinterpret_cast<const char*>(digest.data()), digest.size()));
  std::string id;
  for (char ch : b64.substr(0, kRequestIdLength)) {
    if (ch != '+' && ch != '/' && ch != '=') id.push_back(ch);
  }
  return id;
}

template <typename Fn>
void remap_ids(const Call& c, Outcome& o, Fn&& fn) {
  if (o.error) return;
  if (c.op == O::kRequestsPost || c.op == O::kRequestPut) {
    if (!c.args.drafts.empty() && !o.add.request_id.empty()) {
      o.add.request_id = fn(c.args.drafts[0].unique_key);
    }
  } else if (c.op == O::kRequestsBatchPost) {
    for (auto& p : o.batch_add.processed) p.request_id = fn(p.unique_key);
  }
}

}  // namespace

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
      {"RequestIdUrlSafeAlphabet",
       "request ids are cut from base64url (+ and / become - and _) instead of dropping +/=",
       "spec.6.1.id_derivation, decision 19: +/= are dropped", nullptr, nullptr,
       [](const Call& c, Outcome& o) { remap_ids(c, o, url_safe_id); }},
      {"RequestIdCutBeforeFilter",
       "request ids are cut to 15 characters before +/= are dropped (so some are shorter)",
       "spec.1.request_id_15, spec.6.1.id_derivation, decision 19: 15 characters", nullptr, nullptr,
       [](const Call& c, Outcome& o) { remap_ids(c, o, cut_then_filtered_id); }},
      {"AddIdComparedIgnoringCase",
       "an id in an add body is accepted when it matches the derived id ignoring case",
       "spec.4.7.no_id_on_add, decision 2: an id that differs is 400 request-id-invalid",
       [](Call& c, const Context& ctx) {
         if (c.op != O::kRequestsPost || !has_violation(c, "request.id_mismatch")) return;
         Json b = body_doc(c);
         if (!b.is_object() || !b.contains("id") || !b["id"].is_string() ||
             !b.contains("uniqueKey") || !b["uniqueKey"].is_string())
           return;
         std::string given = b["id"].get<std::string>();
         std::string want = request_id_for(b["uniqueKey"].get<std::string>());
         if (given.size() != want.size()) return;
         for (std::size_t i = 0; i < given.size(); ++i) {
           if (std::tolower(static_cast<unsigned char>(given[i])) !=
               std::tolower(static_cast<unsigned char>(want[i])))
             return;
         }
         b.erase("id");
         reparse(c, ctx, dump_json(b));
       }},
      {"PutIdMismatchInvalidInput",
       "PUT with a body id that does not match its uniqueKey answers 400 invalid-input",
       "spec.4.11.id_mismatch: 400 request-id-invalid",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestPut) return;
         for (Violation& v : c.violations) {
           if (v.rule == "request.id_mismatch") v.error.type = "invalid-input";
         }
         wire::settle(c);
       }},
      {"MissingUniqueKeyAnswers500",
       "an add without uniqueKey fails with 500 (the id is derived from undefined)",
       "decision 1: missing uniqueKey is 400 invalid-input",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestsPost) return;
         for (Violation& v : c.violations) {
           if (v.rule == "request.unique_key_missing") {
             v.error = errors::internal_server_error("Cannot read properties of undefined.");
           }
         }
         wire::settle(c);
       }},
      {"AddHandledFlagCountsLocked",
       "add answers wasAlreadyHandled true for a present request that is only locked",
       "seed.write.was_already_handled: true only when already handled", nullptr,
       [](StoreQuirks& q) { q.add_handled_flag_counts_locked = true; }},
      {"AddOmitsFalseWasAlreadyHandled",
       "add leaves wasAlreadyHandled out of its answer when it is false",
       "spec.4.6.add_result: 201 {requestId, wasAlreadyPresent, wasAlreadyHandled}", nullptr,
       nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kRequestsPost || !ok(r.status)) return;
         edit_body(r, [](Json& doc) {
           if (doc.contains("data") && doc["data"].is_object() &&
               doc["data"].value("wasAlreadyHandled", true) == false) {
             doc["data"].erase("wasAlreadyHandled");
           }
         });
       }},
      {"HandledOnAddNotCounted",
       "a new request added with handledAt is stored handled but counted pending",
       "spec.4.6.handled_on_add: counted in handledRequestCount", nullptr,
       [](StoreQuirks& q) { q.handled_add_not_counted = true; }},
      {"UpdateStampsHandledAtNow",
       "PUT with handledAt stores the server's time instead of the handledAt sent",
       "seed.update.body_fields, seed.update.mark_handled: the stored request is the one sent",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestPut) return;
         for (RequestDraft& d : c.args.drafts) {
           if (d.handled_at) d.handled_at = c.arrival_ms;
         }
       }},
      {"HandledForefrontStaysInHead",
       "PUT with handledAt and forefront=true keeps the request pending at the head",
       "seed.update.handled_leaves_head, seed.update.mark_handled: handled leaves the head",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestPut || !c.args.write.forefront) return;
         for (RequestDraft& d : c.args.drafts) d.handled_at.reset();
       }},
      {"UpdateDropsErrorMessages", "PUT does not store errorMessages",
       "seed.update.body_fields: the stored request is the one sent",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestPut) return;
         for (RequestDraft& d : c.args.drafts) drop_extra_field(d, "errorMessages");
       }},
      {"UpsertAnswers201", "PUT of an absent id inserts it and answers 201",
       "seed.update.status_200, spec.4.11.upsert: 200", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kRequestPut && !o.error && o.status == 200 && !o.add.was_already_present)
           o.status = 201;
       }},
      {"UpsertReportsPresent", "PUT of an absent id answers wasAlreadyPresent true",
       "decision 4, spec.4.11.upsert: wasAlreadyPresent false", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kRequestPut && !o.error) o.add.was_already_present = true;
       }},
      {"PutWasAlreadyHandledFalse", "PUT always answers wasAlreadyHandled false",
       "decision 22, seed.update.status_200: the state before the update", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kRequestPut && !o.error) o.add.was_already_handled = false;
       }},
      {"ForefrontOldestFirst",
       "forefront requests come before the others, but oldest first among themselves",
       "spec.6.3.order, decision 24: newest forefront first", nullptr,
       [](StoreQuirks& q) { q.forefront_fifo = true; }},
      {"DeleteRequestAnswers200", "DELETE request answers 200 with an empty body instead of 204",
       "spec.4.12.delete_request: 204", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kRequestDelete && o.status == 204) o.status = 200;
       }},
  };
}

}  // namespace rqcheck::fake::bugs
