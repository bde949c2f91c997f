// Named bugs of adding, getting and updating requests (rows 6, 10, 11) and of request ids.
#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck::fake::bugs {

using O = Operation;

namespace {

// Rewrites every request object of an add or batch add body and parses the call again.
template <typename Fn>
void rewrite_items(Call& c, const Context& ctx, Fn&& fn) {
  Json doc = body_doc(c);
  if (doc.is_array()) {
    for (auto& it : doc) {
      if (it.is_object()) fn(it);
    }
  } else if (doc.is_object()) {
    fn(doc);
  } else {
    return;
  }
  reparse(c, ctx, dump_json(doc));
}

}  // namespace

std::vector<Bug> request_bugs() {
  return {
      {"AddAnswers200", "adding a new request answers 200 instead of 201", "spec 3 row 6: 201",
       nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kRequestsPost && o.status == 201) o.status = 200;
       }},
      {"IgnoreUniqueKey", "adds never deduplicate: each add stores a new request", "decision 20",
       nullptr, [](StoreQuirks& q) { q.never_dedup = true; }},
      {"DedupByUrl", "adds deduplicate by url instead of uniqueKey", "decision 20", nullptr,
       [](StoreQuirks& q) { q.dedup_by_url = true; }},
      {"WasAlreadyHandledAlwaysFalse", "add and batch add always answer wasAlreadyHandled false",
       "decision 21", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (!is_add(c.op)) return;
         o.add.was_already_handled = false;
         for (auto& p : o.batch_add.processed) p.was_already_handled = false;
       }},
      {"DuplicateOverwrites", "adding an existing uniqueKey overwrites the stored request",
       "decision 21", nullptr, [](StoreQuirks& q) { q.duplicate_overwrites = true; }},
      {"UniqueKeyDefaultsToUrl",
       "a request without uniqueKey gets its url as uniqueKey instead of a 400", "decision 1",
       [](Call& c, const Context& ctx) {
         if (!is_add(c.op)) return;
         rewrite_items(c, ctx, [](Json& it) {
           if (!it.contains("uniqueKey") && it.contains("url")) it["uniqueKey"] = it["url"];
         });
       }},
      {"RequestIdNotChecked",
       "an id in an add body is ignored instead of checked against uniqueKey", "decision 2",
       [](Call& c, const Context& ctx) {
         if (is_add(c.op)) rewrite_items(c, ctx, [](Json& it) { it.erase("id"); });
       }},
      {"RequestIdNotDerived",
       "answers report request ids that depend on the queue, not only on uniqueKey", "decision 19",
       nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (!(is_add(c.op) || c.op == O::kRequestPut) || o.error) return;
         auto mangle = [&](const std::string& id) {
           return request_id_for(c.params[0] + "/" + id);
         };
         if (!o.add.request_id.empty()) o.add.request_id = mangle(o.add.request_id);
         for (auto& p : o.batch_add.processed) p.request_id = mangle(p.request_id);
       }},
      {"ForefrontIgnored", "the forefront parameter is ignored everywhere", "decision 24",
       [](Call& c, const Context&) { c.args.write.forefront = false; }},
      {"NumericBoolRejected", "query booleans 1 and 0 are refused (only true/false accepted)",
       "decision 18",
       [](Call& c, const Context&) {
         for (const char* k : {"forefront", "desc", "unnamed"}) {
           const std::string* v = c.http->param(k);
           if (v && (*v == "1" || *v == "0")) {
             refuse(c, "request.boolean_param",
                    errors::invalid_parameter("Parameter \"" + std::string(k) +
                                              "\" must be true or false (got \"" + *v + "\")."));
           }
         }
       }},
      {"HandledAtIgnoredOnAdd", "handledAt in an added request is dropped (stored as pending)",
       "spec 4 (6): a new request with handledAt is stored handled",
       [](Call& c, const Context&) {
         if (!is_add(c.op)) return;
         for (RequestDraft& d : c.args.drafts) d.handled_at.reset();
       }},
      {"UserDataDropped", "userData is not stored", "spec 2: the server stores the object as given",
       [](Call& c, const Context&) {
         if (!is_add(c.op) && c.op != O::kRequestPut) return;
         for (RequestDraft& d : c.args.drafts) drop_extra_field(d, "userData");
       }},
      {"HandledStaysInHead", "PUT with handledAt leaves the request pending (in the head)",
       "spec 4 (11): setting handledAt marks it handled",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestPut) return;
         for (RequestDraft& d : c.args.drafts) d.handled_at.reset();
       }},
      {"WasAlreadyHandledAfterUpdate",
       "PUT answers wasAlreadyHandled for the state after the update", "decision 22", nullptr,
       nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op != O::kRequestPut || o.error || c.args.drafts.empty()) return;
         o.add.was_already_handled = c.args.drafts[0].handled_at.has_value();
       }},
      {"UpdateAnswers201", "PUT request answers 201 instead of 200", "spec 3 row 11: 200", nullptr,
       nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kRequestPut && o.status == 200) o.status = 201;
       }},
      {"UpsertRejected", "PUT on an absent request id answers 404 instead of inserting",
       "decision 4", nullptr, [](StoreQuirks& q) { q.upsert_rejected = true; }},
      {"ReclaimGoesToFront", "PUT without handledAt always moves the request to the front",
       "decision 23",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestPut && !c.args.drafts.empty() && !c.args.drafts[0].handled_at) {
           c.args.write.forefront = true;
         }
       }},
      {"PathIdNotChecked", "a PUT body id that differs from the path id is silently replaced",
       "decision 3",
       [](Call& c, const Context& ctx) {
         if (c.op != O::kRequestPut) return;
         Json doc = body_doc(c);
         if (!doc.is_object() || !doc.contains("id")) return;
         doc["id"] = c.params[1];
         reparse(c, ctx, dump_json(doc));
       }},
  };
}

}  // namespace rqcheck::fake::bugs
