// The second set of named bugs (issue 12), list requests and the head: from spec 4 (7), (13),
// 6.5 and decisions 11, 24, 25, 31-33.
#include "registry.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::fake::bugs {

using O = Operation;

namespace {
// The greatest string below `id` that an id could follow (the last character one lower, then
// the highest character): listing after it lists `id` itself again.
std::string just_before(std::string id) {
  if (id.empty()) return id;
  id.back() = static_cast<char>(id.back() - 1);
  return id + "\x7f";
}
}  // namespace

std::vector<Bug> subtle_list_bugs() {
  return {
      {"CursorRepeatsLastItem",
       "a page after a cursor starts at the cursor's own request (listed twice)",
       "seed.list.cursor, spec.6.5.cursor, decision 31", nullptr,
       [](StoreQuirks& q) { q.cursor_inclusive = true; }},
      {"NextCursorOnlyOnFullPages",
       "nextCursor only when the page holds `limit` matching requests (a filtered walk stops "
       "early)",
       "spec.6.5.cursor, decision 31, decision 32", nullptr,
       [](StoreQuirks& q) { q.next_cursor_on_full_matches = true; }},
      {"PendingFilterListsHandled", "filter=pending also lists handled requests",
       "seed.list.filter, decision 32", nullptr,
       [](StoreQuirks& q) { q.pending_filter_includes_handled = true; }},
      {"ListPageOneOverLimit", "a list page holds limit + 1 requests",
       "seed.list.limit_respected: spec 4 (7) limit", nullptr,
       [](StoreQuirks& q) { q.list_limit_plus_one = true; }},
      {"ExclusiveStartIdInclusive", "exclusiveStartId lists that request too",
       "seed.list.exclusive_start_id: skips everything up to and including that id",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsGet && c.args.exclusive_start_id && c.args.list.after) {
           c.args.list.after = just_before(*c.args.exclusive_start_id);
         }
       }},
      {"ListDefaultLimit100", "list requests defaults to 100 per page instead of 1000",
       "decision 11: list requests default 1000",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsGet && !c.http->param("limit")) c.args.list.limit = 100;
       }},
      {"HeadDefaultLimit25", "GET head without limit returns at most 25 instead of 100",
       "decision 11: head default 100",
       [](Call& c, const Context&) {
         if (c.op == O::kHeadGet && !c.http->param("limit")) c.args.limit = 25;
       }},
      {"HeadOneShort", "GET head returns limit - 1 requests when more are pending",
       "spec.4.13.head: the first limit pending requests", nullptr, nullptr,
       [](const Call& c, Outcome& o) {
         if (c.op == O::kHeadGet && o.head.limit > 1 &&
             std::int64_t(o.head.items.size()) == o.head.limit) {
           o.head.items.pop_back();
         }
       }},
      {"CursorIgnoredWithFilter", "with a filter, cursor is ignored: every page is the first",
       "seed.list.cursor_and_limit, decision 31: the walk ends",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsGet && c.args.cursor &&
             (c.args.list.filter_locked || c.args.list.filter_pending))
           c.args.list.after.reset();
       }},
      {"ListLimitCappedAt1000", "list requests caps limit at 1000 (the default) instead of 10000",
       "seed.list.limit_max: the maximum is 10000",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsGet && c.args.list.limit > kListRequestsLimit.default_value)
           c.args.list.limit = kListRequestsLimit.default_value;
       }},
      {"FilterDroppedWithExclusiveStartId",
       "filter together with exclusiveStartId: the filter is dropped (200, every request)",
       "seed.list.filter_not_with_exclusive_start_id, decision 33: 400 invalid-parameter",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestsGet || !c.args.exclusive_start_id || c.args.cursor) return;
         if (!c.args.list.filter_locked && !c.args.list.filter_pending) return;
         c.args.list.filter_locked = c.args.list.filter_pending = false;
         c.args.list.after = c.args.exclusive_start_id;
         forgive(c, "request.exclusive_start_id");
       }},
      {"ListLimitOnlyWhenSent", "a list page carries limit only when the client sent one",
       "seed.list.item_fields: limit is required", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest& http, Reply& r) {
         if (!c || c->op != O::kRequestsGet || !ok(r.status) || http.param("limit")) return;
         edit_body(r, [](Json& doc) {
           if (doc.contains("data") && doc["data"].is_object()) doc["data"].erase("limit");
         });
       }},
      {"ListCountIsLimit", "list pages carry count = limit instead of the number of items",
       "decision 34: count, when sent, counts the page's items", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kRequestsGet || !ok(r.status)) return;
         edit_body(r, [](Json& doc) {
           if (doc.contains("data") && doc["data"].is_object() && doc["data"].contains("limit"))
             doc["data"]["count"] = doc["data"]["limit"];
         });
       }},
      {"ListLimitEchoesAskedOverMax",
       "a list limit over 10000 is clamped, but the page's limit shows the value asked",
       "decision 10: the response limit shows the value used", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest& http, Reply& r) {
         if (!c || c->op != O::kRequestsGet || !ok(r.status)) return;
         const std::string* asked = http.param("limit");
         if (!asked || asked->size() > 9) return;
         long long n = 0;
         for (char ch : *asked) {
           if (ch < '0' || ch > '9') return;
           n = n * 10 + (ch - '0');
         }
         if (n <= kListRequestsLimit.max_value) return;
         edit_body(r, [n](Json& doc) {
           if (doc.contains("data") && doc["data"].is_object()) doc["data"]["limit"] = n;
         });
       }},
  };
}

}  // namespace rqcheck::fake::bugs
