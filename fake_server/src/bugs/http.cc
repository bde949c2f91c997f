// Named bugs of the general conventions (spec section 1): statuses, the error envelope, auth,
// rate-limit headers, bodies and their encodings.
#include <cctype>
#include <memory>
#include <string>

#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::fake::bugs {

using O = Operation;

std::vector<Bug> http_bugs() {
  return {
      {"DeleteAnswers200",
       "DELETE of a queue, request or lock answers 200 with a body instead of 204",
       "spec 3 rows 5, 12, 16: 204", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c && r.status == 204 &&
             (c->op == O::kQueueDelete || c->op == O::kRequestDelete ||
              c->op == O::kRequestLockDelete)) {
           r.status = 200;
           r.body = "{\"data\":{}}";
         }
       }},
      {"NotFoundIs500",
       "a missing queue or request (and deletes of absent requests) answer 500 instead of "
       "404/204",
       "decisions 14, 5", nullptr, [](StoreQuirks& q) { q.not_found_is_500 = true; }},
      {"ErrorEnvelopeMissing", "error answers have a plain-text body instead of the envelope",
       "spec 1: the error envelope", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status >= 400) {
           r.body = "Error " + std::to_string(r.status);
           r.content_type = "text/plain";
         }
       }},
      {"ClientKeyLengthNotChecked", "clientKey longer than 32 characters is cut instead of refused",
       "decision 8",
       [](Call& c, const Context&) {
         if (c.client_key && c.client_key->size() > kMaxClientKeyLength) {
           c.client_key->resize(kMaxClientKeyLength);
           forgive(c, "request.client_key_length");
         }
       }},
      {"RateLimitNotEnforced", "the per-queue rate limits are never charged", "decision 37",
       nullptr, [](StoreQuirks& q) { q.rate_limits_off = true; }},
      {"RetryAfterMalformed",
       "429 answers carry Retry-After: soon (neither seconds nor an HTTP-date)", "decision 38",
       nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status == 429) r.set_header("Retry-After", "soon");
       }},
      {"RateLimitHeaderMissing", "responses leave out X-RateLimit-Limit", "decision 37", nullptr,
       nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) { r.remove_header("X-RateLimit-Limit"); }},
      {"UnauthorizedIs403", "a missing or unknown token answers 403 instead of 401", "decision 12",
       nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status == 401)
           set_error(r, errors::insufficient_permissions("Insufficient permissions."));
       }},
      {"TokenQueryParamIgnored", "the ?token= query parameter is not accepted (only the header)",
       "spec 1: Bearer header or ?token=",
       [](Call& c, const Context&) {
         if (!c.token_in_query || c.http->header("Authorization")) return;
         c.token.reset();
         if (!operation_info(c.op).anonymous_read) {
           refuse(c, "request.token_missing", errors::token_not_provided());
         }
       }},
      {"MethodOverrideIgnored",
       "a GET with ?method=POST (or DELETE, ...) is served as the GET it was sent as",
       "spec 1: method override",
       [](Call& c, const Context& ctx) {
         const HttpRequest& h = *c.http;
         auto m = h.opt_param("method");
         if (!m || operation_info(c.op).method == "GET") return;
         std::string upper = *m;
         for (char& ch : upper)
           ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
         if (upper != h.method) return;  // not an override of a GET (the transport's rule)
         RouteMatch get = match_route("GET", h.path);
         if (get.kind != RouteMatch::kOperation) {
           refuse(c, "request.method", errors::method_not_allowed(get.allowed));
           return;
         }
         auto http = std::make_shared<HttpRequest>(h);
         http->method = "GET";
         Call fresh;
         fresh.seq = c.seq;
         fresh.arrival_ms = c.arrival_ms;
         wire::parse_call(*http, get, ctx.wire, fresh);
         fresh.rewritten = std::move(http);
         c = std::move(fresh);
       }},
      {"MethodNotAllowedIs404", "a wrong method on a known path answers 404 instead of 405",
       "decision 15", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest& http, Reply& r) {
         if (r.status == 405) {
           set_error(r, errors::page_not_found(http.path));
           r.remove_header("Allow");
         }
       }},
      {"PayloadLimitNotEnforced",
       "a body over 9437184 bytes answers 400 instead of 413 request-too-large", "decision 16",
       nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status == 413) {
           set_error(r, errors::invalid_input("Invalid input: the body could not be read."));
         }
       }},
      {"UnsupportedEncodingIs400", "an unknown Content-Encoding answers 400 instead of 415",
       "decision 17", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status == 415) {
           set_error(r, errors::invalid_input("Invalid input: the body could not be decoded."));
         }
       }},
      {"CompressedBodyRejected", "gzip, deflate and br request bodies are refused with 415",
       "decision 17", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest& http, Reply& r) {
         const std::string* enc = http.header("Content-Encoding");
         if (!enc || enc->empty() || r.status >= 400) return;
         std::string e = *enc;
         for (char& ch : e) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
         if (e != "identity") set_error(r, errors::unsupported_content_encoding(*enc));
       }},
  };
}

}  // namespace rqcheck::fake::bugs
