// The second set of named bugs (issue 12), list requests and the head: from spec 4 (7), (13),
// 6.5 and decisions 11, 24, 25, 31-33.
#include "registry.h"

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
  };
}

}  // namespace rqcheck::fake::bugs
