// The second set of named bugs (issue 12), access and routing: tokens, the named forms of a
// queue id, the method override, the status types of the error catalogue, method-not-allowed
// and the rate-limit classes (spec sections 1, 1.1, 1.2; decisions 12, 13, 15, 37).
#include <cctype>

#include "registry.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"

namespace rqcheck::fake::bugs {

using O = Operation;

namespace {
bool request_queue_call(O op) {
  return operation_info(op).storage == Storage::kRequestQueue && op != O::kQueuesGet &&
         op != O::kQueuesPost;
}
bool on_requests(O op) {
  return request_queue_call(op) && op != O::kQueueGet && op != O::kQueuePut &&
         op != O::kQueueDelete;
}
bool lock_op(O op) {
  return op == O::kRequestLockPut || op == O::kRequestLockDelete || op == O::kHeadLockPost ||
         op == O::kRequestsUnlockPost;
}
// "username~name" (not "~name").
bool username_ref(const std::string& ref) {
  auto at = ref.find('~');
  return at != std::string::npos && at > 0;
}
}  // namespace

std::vector<Bug> subtle_access_bugs() {
  return {
      {"NamedRefWithoutTokenIs404",
       "a read of username~name without a token answers 404 (the name is looked up with no user)",
       "seed.auth.bearer, decision 12: a named id needs a token, 401 without one", nullptr, nullptr,
       nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c && !c->token && r.status == 401 && c->params[0].find('~') != std::string::npos)
           set_error(r, errors::record_not_found());
       }},
      {"TokenQueryParamOnlyOnGet",
       "?token= is read only on GET; writes that carry it that way answer 401",
       "spec.1.token_query: the token param works on every call",
       [](Call& c, const Context&) {
         if (!c.token_in_query || c.http->method == "GET" || c.http->header("Authorization"))
           return;
         c.token.reset();
         refuse(c, "request.token_missing", errors::token_not_provided());
       }},
      {"AnonymousReadsOnlyQueueObject",
       "without a token only GET queue works by raw id; its head, list and requests answer 401",
       "spec.1.read_by_raw_id: a GET by raw id works without a token",
       [](Call& c, const Context&) {
         if (c.token) return;
         if (c.op == O::kHeadGet || c.op == O::kRequestsGet || c.op == O::kRequestGet)
           refuse(c, "request.token_missing", errors::token_not_provided());
       }},
      {"TildeNameOnlyOnQueueRoutes",
       "~name works on the queue itself, but the routes below it answer 404 for it",
       "spec.1.tilde_name: queueId accepts ~queue-name",
       [](Call& c, const Context&) {
         if (on_requests(c.op) && !c.params[0].empty() && c.params[0][0] == '~')
           refuse(c, "request.queue_ref", errors::record_not_found());
       }},
      {"UsernameRefWritesNotFound", "username~name is found for reads, writes answer 404",
       "spec.1.username_name: queueId accepts username~queue-name",
       [](Call& c, const Context&) {
         if (request_queue_call(c.op) && c.http->method != "GET" && username_ref(c.params[0]))
           refuse(c, "request.queue_ref", errors::record_not_found());
       }},
      {"MethodOverrideDeleteServedAsGet",
       "GET ?method=DELETE is served as the GET (the override is honoured for POST and PUT only)",
       "spec.1.method_override: the method param overrides the GET",
       [](Call& c, const Context&) {
         const std::string* m = c.http->param("method");
         if (!m || *m != "DELETE") return;
         if (c.op == O::kQueueDelete) c.op = O::kQueueGet;
         if (c.op == O::kRequestDelete) c.op = O::kRequestGet;
       }},
      {"ForefrontZeroIsTrue", "forefront=0 is read as true (a value present counts)",
       "spec.1.booleans, decision 18: 0 is false",
       [](Call& c, const Context&) {
         const std::string* v = c.http->param("forefront");
         if (v && *v == "0" && request_queue_call(c.op)) c.args.write.forefront = true;
       }},
      {"RateLimitedTooManyRequests", "429 answers carry type too-many-requests",
       "seed.errors.rate_limited, spec.1.1.status_types: 429 rate-limit-exceeded", nullptr, nullptr,
       nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status == 429) {
           set_error(r, ApiError{429, "too-many-requests", "Too many requests, slow down."});
         }
       }},
      {"RetryAfterInMilliseconds", "429 answers carry Retry-After in milliseconds (1000)",
       "decision 38: Retry-After, when sent, in seconds", nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status == 429) r.set_header("Retry-After", "1000");
       }},
      {"ForbiddenTypedPermissionDenied", "403 answers carry type permission-denied",
       "spec.1.1.status_types, decision 13: 403 insufficient-permissions", nullptr, nullptr,
       nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status == 403) {
           set_error(r, ApiError{403, "permission-denied", "You cannot access this queue."});
         }
       }},
      {"UnauthorizedPlainOnCollection",
       "a 401 on /v2/request-queues itself is the bare text Unauthorized (no envelope)",
       "spec.1.1.status_types, decision 12: 401 with the error envelope", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || r.status != 401 || (c->op != O::kQueuesGet && c->op != O::kQueuesPost)) return;
         r.body = "Unauthorized";
         r.content_type = "text/plain; charset=utf-8";
       }},
      {"ProlongLockAnswerUnwrapped", "prolong lock answers {lockExpiresAt} without data",
       "spec.1.data_envelope: a successful body is {\"data\": ...}", nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (!c || c->op != O::kRequestLockPut || !ok(r.status)) return;
         edit_body(r, [](Json& doc) {
           if (doc.contains("data") && doc["data"].is_object()) doc = Json(doc["data"]);
         });
       }},
      {"MethodNotAllowedListsEveryMethod",
       "405 answers list every method of the API instead of the path's allowed ones",
       "seed.errors.method_not_allowed, decision 15: the message lists the allowed methods",
       nullptr, nullptr, nullptr,
       [](const Call*, const HttpRequest&, Reply& r) {
         if (r.status != 405) return;
         set_error(r, errors::method_not_allowed("OPTIONS,GET,HEAD,POST,PUT,DELETE"));
         r.remove_header("Allow");
         r.set_header("Allow", "OPTIONS,GET,HEAD,POST,PUT,DELETE");
       }},
      {"LockOpsLimitedAt60",
       "lock operations are put in the 60/s class (their X-RateLimit-Limit says 60, not 400)",
       "spec.1.2.per_queue_limits, decision 37: 400/s for single-request CRUD and lock ops",
       nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c && (c->op == O::kRequestLockPut || c->op == O::kRequestLockDelete) &&
             r.header("X-RateLimit-Limit")) {
           r.set_header("X-RateLimit-Limit", "60");
         }
       }},
      {"RateLimitHeaderShowsMinuteBudget",
       "X-RateLimit-Limit on queue routes shows the per-token minute budget (250000)",
       "decision 37, spec.1.2.per_queue_limits: the limit of the operation's class per second",
       nullptr, nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c && request_queue_call(c->op) && !lock_op(c->op) && r.header("X-RateLimit-Limit"))
           r.set_header("X-RateLimit-Limit", "250000");
       }},
      {"UnknownQueueIs403",
       "GET of an unknown queue id answers 403 (permissions are checked before existence)",
       "spec.4.3.get_queue, decision 14: an unknown queue is 404 record-not-found", nullptr,
       nullptr, nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c && c->op == O::kQueueGet && r.status == 404) {
           set_error(r, errors::insufficient_permissions("You cannot access this queue."));
         }
       }},
      {"PayloadTooLargeNamesMethod",
       "the 413 message names the call's method (\"The DELETE payload...\")",
       "seed.batch_delete.payload_413, decision 16: the documented message pattern", nullptr,
       nullptr, nullptr,
       [](const Call*, const HttpRequest& http, Reply& r) {
         if (r.status != 413 || http.method == "POST" || !r.error) return;
         ApiError e = *r.error;
         const std::string from = "POST payload";
         if (auto at = e.message.find(from); at != std::string::npos) {
           e.message.replace(at, from.size(), http.method + " payload");
           set_error(r, e);
         }
       }},
      {"UnknownEncodingOnDeleteIs400",
       "a batch delete with an unknown Content-Encoding answers 400 (its body read as JSON)",
       "seed.batch_delete.encoding_415, decision 17: anything else is 415", nullptr, nullptr,
       nullptr,
       [](const Call* c, const HttpRequest&, Reply& r) {
         if (c && c->op == O::kRequestsBatchDelete && r.status == 415)
           set_error(r, errors::invalid_input("Invalid input: the body is not valid JSON."));
       }},
  };
}

}  // namespace rqcheck::fake::bugs
