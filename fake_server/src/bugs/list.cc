// Named bugs of listing requests (row 7): limits, cursors, filters.
#include "registry.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::fake::bugs {

using O = Operation;

std::vector<Bug> list_bugs() {
  return {
      {"ListLimitIgnored", "list requests ignores limit", "spec 3 row 7: limit",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsGet) {
           c.args.list.limit = kListRequestsLimit.default_value;
           forgive(c, "request.limit");
         }
       }},
      {"CursorSkipsItem", "a page fetched with a cursor leaves out its first item", "decision 31",
       nullptr, [](StoreQuirks& q) { q.cursor_skips_first = true; }},
      {"NextCursorOnLastPage", "every non-empty page carries a nextCursor, the last one too",
       "decision 31", nullptr, [](StoreQuirks& q) { q.next_cursor_always = true; }},
      {"ExclusiveStartIdIgnored", "list requests ignores exclusiveStartId", "decision 33",
       [](Call& c, const Context&) {
         if (c.op != O::kRequestsGet || !c.args.exclusive_start_id) return;
         if (!c.args.cursor) c.args.list.after.reset();
         c.args.exclusive_start_id.reset();
         forgive(c, "request.exclusive_start_id");
       }},
      {"ExclusiveStartIdComboListsFromStart",
       "list requests given exclusiveStartId with cursor or filter ignores all three and lists "
       "from the start",
       "decision 33",
       [](Call& c, const Context&) {
         CallArgs& a = c.args;
         if (c.op != O::kRequestsGet || !a.exclusive_start_id) return;
         if (!a.cursor && !a.list.filter_locked && !a.list.filter_pending) return;
         a.exclusive_start_id.reset();
         a.cursor.reset();
         a.list.after.reset();
         a.list.filter_locked = a.list.filter_pending = false;
         forgive(c, "request.exclusive_start_id");
         forgive(c, "request.cursor");
       }},
      {"ListCountWrong", "list pages carry a count that is not the number of items", "decision 34",
       nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kRequestsGet || !ok(r.status)) return;
         edit_body(r, [](Json& d) {
           Json& data = d["data"];
           if (data["items"].is_array()) data["count"] = data["items"].size() + 1;
         });
       }},
      {"FilterIgnored", "list requests ignores filter", "decision 32",
       [](Call& c, const Context&) {
         if (c.op == O::kRequestsGet)
           c.args.list.filter_locked = c.args.list.filter_pending = false;
       }},
      {"FilterFirstOnly", "list requests applies only the first value of filter=a,b", "decision 32",
       [](Call& c, const Context&) {
         const std::string* v = c.http->param("filter");
         if (c.op != O::kRequestsGet || !v) return;
         std::string first = v->substr(0, v->find(','));
         c.args.list.filter_locked = first == "locked";
         c.args.list.filter_pending = first == "pending";
       }},
      {"WrongDefaultLimits", "list, head and head/lock default to limit 10", "decision 11",
       [](Call& c, const Context&) {
         if (c.http->param("limit")) return;
         if (c.op == O::kRequestsGet) c.args.list.limit = 10;
         if (c.op == O::kHeadGet || c.op == O::kHeadLockPost) c.args.limit = 10;
       }},
      {"LimitNotClamped",
       "list and head/lock echo a limit above the maximum that they do not apply", "decision 10",
       nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest& http, Reply& r) {
         if (!c || (c->op != O::kRequestsGet && c->op != O::kHeadLockPost) || !ok(r.status)) {
           return;
         }
         const std::string* v = http.param("limit");
         if (!v) return;
         long long n = std::atoll(v->c_str());
         edit_body(r, [&](Json& d) { d["data"]["limit"] = n; });
       }},
  };
}

}  // namespace rqcheck::fake::bugs
