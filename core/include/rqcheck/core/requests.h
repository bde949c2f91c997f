// Requests as clients send them, and the request rules of the contract, each in one place: the
// fake's wire layer refuses a call with the first fatal violation, and the compliance monitor
// reports every violation (fatal or not) of the same parse.
//
//   Violations v;
//   auto drafts = parse_batch_add_body(body_text, v);   // decisions 1, 2, 6, 7
//   if (!drafts) return drafts.error();                 // 400 with the documented type
//   for (const Violation& x : v) report(x.rule, x.error.message);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/limits.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"

namespace rqcheck {

// The request methods of RequestBase (spec section 2), as stored (an index into this list).
inline constexpr std::string_view kRequestMethods[] = {
    "GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
std::optional<std::uint8_t> request_method_index(std::string_view name);

// One request as sent to add, batch add or PUT (RequestWithoutId plus an optional id): the fields
// the API interprets, typed, and every other field kept as compact JSON text, in body order.
struct RequestDraft {
  std::string unique_key, url;
  std::optional<std::string> id;
  // The id derived from unique_key (request_id_for), set by the parsers that checked `id`
  // against it, so the store does not derive it again; empty: not derived yet.
  std::string derived_id;
  std::uint8_t method = 0;  // index into kRequestMethods; GET when absent
  std::int64_t retry_count = 0;
  std::optional<TimeMs> handled_at;
  // ,"key":value for each other field (userData, headers, payload, ...), ready to splice into an
  // object. lockExpiresAt and lockByClient are server-owned and dropped.
  std::string extra;
};

// One item of a batch delete: its id, its uniqueKey, or both.
struct RequestKey {
  std::optional<std::string> id, unique_key;
};

// A broken request rule. `rule` names it for the compliance report ("request.batch_size", see
// the fake's compliance_rules()); `fatal` violations are answered with `error`, the others are
// only reported (a clamped limit, a token in the query).
struct Violation {
  std::string_view rule;
  ApiError error;
  bool fatal = true;
};
using Violations = std::vector<Violation>;

// --- bodies (each scans the text once without building a document, bounded by kMaxPayloadBytes
// and kMaxJsonDepth; they accept exactly the texts parse_json accepts) ---
// An add or PUT body: one request object (decision 1: uniqueKey and url required).
Result<RequestDraft> parse_request_body(std::string_view text, Violations& v);
// A batch add body: an array of 1..25 request objects (decision 6) without duplicate uniqueKeys
// (decision 7); every id must be the one derived from its uniqueKey (decision 2).
Result<std::vector<RequestDraft>> parse_batch_add_body(std::string_view text, Violations& v);
// A batch delete body: an array of 1..25 objects with an id or a uniqueKey (spec 4 (9)).
Result<std::vector<RequestKey>> parse_batch_delete_body(std::string_view text, Violations& v);
// The same, from a parsed document (the store's tests and snapshots use these).
Result<RequestDraft> request_draft_from_json(const Json& j, std::string_view where, Violations& v);

// --- per-request rules ---
// Decision 2: an id in an add body, if any, must be the one derived from its uniqueKey; returns
// the derived id.
Result<std::string> check_derived_id(const RequestDraft& d);
// The draft's id derived from its uniqueKey, moved out of derived_id when a parser set it,
// derived here otherwise.
std::string take_request_id(RequestDraft& d);
// Decision 3: for PUT the body id (if any) must equal the path id, and the path id must be the id
// derived from the uniqueKey.
Status check_put_ids(const RequestDraft& d, std::string_view path_id);

// --- query parameters ---
// Decision 8: clientKey 1..32 characters.
Status check_client_key(const std::optional<std::string>& client_key);
// Decision 18: true, false, 1 and 0; anything else is 400 invalid-parameter.
Result<bool> parse_bool_param(std::string_view name, std::string_view value);
// A number in decimal notation ("10", "10.0", "2.5", "-1"); bounded, never throws.
std::optional<double> parse_number(std::string_view value);
// An integer parameter ("10" or "10.0"); 400 invalid-parameter otherwise.
Result<std::int64_t> parse_int_param(std::string_view name, std::string_view value);
// Decision 9: lockSecs required, a non-negative number of seconds (at most kMaxLockSecs).
Result<double> parse_lock_secs(const std::optional<std::string>& value);
// Decisions 10 and 11: `limit` absent gives the default; below `min` is 400; above the maximum
// it is clamped (a non-fatal "request.limit" violation), or 400 when `reject_over_max`.
Result<std::int64_t> parse_limit(const std::optional<std::string>& value, LimitRule rule,
                                 std::int64_t min, bool reject_over_max, Violations& v);
// Spec 1: a JSON body needs Content-Type application/json (parameters such as charset allowed,
// case-insensitive). Empty is tolerated and reported; batch delete declares it required.
bool is_json_content_type(std::string_view content_type);

}  // namespace rqcheck
