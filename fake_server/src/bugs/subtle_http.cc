// The second set of named bugs (issue 12), the general conventions: the error envelope, the
// headers every route promises, timestamps and content encodings at the size limit (spec
// section 1, decisions 12, 16, 17, 37, 39).
#include <regex>

#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::fake::bugs {

using O = Operation;

namespace {
bool request_route(O op) {
  return op == O::kRequestGet || op == O::kRequestPut || op == O::kRequestDelete ||
         op == O::kRequestLockPut || op == O::kRequestLockDelete;
}
}  // namespace

std::vector<Bug> subtle_http_bugs() {
  return {
      {"RequestNotFoundWithoutBody",
       "a 404 on the routes of one request loses its body (the HTTP layer answers page-not-found)",
       "seed.errors.not_found, seed.errors.envelope, spec.4.10.get_request, decision 14: a 404 "
       "carries the error envelope",
       nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c && request_route(c->op) && r.status == 404) r.body.clear();
       }},
      {"RateLimitHeaderOnlyOnSuccess", "error answers leave out X-RateLimit-Limit",
       "spec.1.2.header: each response carries X-RateLimit-Limit", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status >= 400) r.remove_header("X-RateLimit-Limit");
       }},
      {"RateLimitHeaderMissingOn204", "204 answers leave out X-RateLimit-Limit",
       "spec.1.2.header: each response carries X-RateLimit-Limit", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status == 204) r.remove_header("X-RateLimit-Limit");
       }},
      {"ErrorsAsTextPlain", "error answers are labelled Content-Type: text/plain",
       "seed.errors.envelope: the envelope is JSON in UTF-8", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status >= 400) r.content_type = "text/plain; charset=utf-8";
       }},
      {"DeflateBodiesRefused", "a Content-Encoding: deflate body is refused with 415",
       "spec.1.compressed_bodies, decision 17: gzip, deflate and br", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest& http, Reply& r) {
         std::string enc = http.header_or("Content-Encoding");
         for (char& ch : enc) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
         if (enc == "deflate") set_error(r, errors::unsupported_content_encoding(enc));
       }},
      {"CompressedOverLimitIs400",
       "a compressed body over the limit after decoding answers 400 instead of 413",
       "spec.1.payload_limit, decision 16, decision 17: the decoded size counts", nullptr, nullptr,
       nullptr,
       [](const Call*, const HttpRequest& http, Reply& r) {
         if (r.status == 413 && !http.header_or("Content-Encoding").empty()) {
           set_error(r, errors::invalid_input("Invalid input: the body could not be decoded."));
         }
       }},
      {"BodyAtTheLimitRefused", "a body of exactly 9437184 decoded bytes is refused with 413",
       "spec.1.payload_limit, decision 16: over 9437184 bytes", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest& http, Reply& r) {
         if (http.body.size() == kMaxPayloadBytes && r.status < 400) {
           set_error(r, errors::request_too_large(http.body.size()));
         }
       }},
      {"TimestampsWrongOffset",
       "timestamps carry +01:00 after UTC digits (every instant an hour off)",
       "spec.1.dates, decision 39: ISO-8601 UTC", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         static const std::regex z("(\"[A-Za-z]*At\":\"[0-9T:.-]+)Z\"");
         if (!r.body.empty()) r.body = std::regex_replace(r.body, z, "$1+01:00\"");
       }},
  };
}

}  // namespace rqcheck::fake::bugs
