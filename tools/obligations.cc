#include "obligations.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "rqcheck/core/contract.h"

namespace rqcheck::contract {

namespace {

// The seed pages and the spec, sentence by sentence (only what a server can break). The
// decisions of section 9 are appended from core's table (decisions()).
std::vector<Obligation> written() {
  return {
      // --- batch-add-requests.txt (POST .../requests/batch) ---
      {"seed.batch_add.max_25",
       "batch-add-requests.txt",
       "The maximum requests in batch is limit to 25.",
       6,
       {"maximum requests in batch"}},
      {"seed.batch_add.both_lists",
       "batch-add-requests.txt",
       "The response contains an array of unprocessed and processed requests.",
       0,
       {"unprocessed and processed requests", "spec section 4 (8)"},
       "requestQueue_requests_batch_post.response.201"},
      {"seed.batch_add.unprocessed",
       "batch-add-requests.txt",
       "If any add operation fails because the request queue rate limit is exceeded or an "
       "internal failure occurs, the failed request is returned in the unprocessedRequests "
       "response parameter.",
       37,
       {"If any add operation fails", "unprocessedRequests: resent"}},
      {"seed.batch_add.existing_id",
       "batch-add-requests.txt",
       "If a request with the same uniqueKey was already present in the queue, then it returns "
       "an ID of the existing request.",
       21,
       {"was already present in the queue", "ids stable per uniqueKey"}},
      {"seed.batch_add.client_key",
       "batch-add-requests.txt",
       "clientKey: It must be a string between 1 and 32 characters long.",
       8,
       {"between 1 and 32 characters"}},
      {"seed.batch_add.forefront",
       "batch-add-requests.txt",
       "forefront: Determines if request should be added to the head of the queue or to the end. "
       "Default value is false (end of queue).",
       24,
       {"Determines if request should be added to the head"}},
      {"seed.batch_add.unique_key_identical",
       "batch-add-requests.txt",
       "uniqueKey (required): Requests with the same unique key are considered identical.",
       20,
       {"exact string equality of uniqueKey"}},
      {"seed.batch_add.processed_fields",
       "batch-add-requests.txt",
       "processedRequests items carry requestId, uniqueKey, wasAlreadyPresent and "
       "wasAlreadyHandled (all required).",
       0,
       {"processed items carry"},
       "requestQueue_requests_batch_post.response.201"},
      {"seed.write.was_already_present",
       "batch-add-requests.txt, update-request.txt",
       "wasAlreadyPresent: Indicates whether a request with the same unique key already existed "
       "in the request queue. If true, no new request was created.",
       21,
       {"wasAlreadyPresent and wasAlreadyHandled", "wasAlreadyPresent: false",
        "add of an existing uniqueKey"}},
      {"seed.write.was_already_handled",
       "batch-add-requests.txt, update-request.txt",
       "wasAlreadyHandled: Indicates whether a request with the same unique key has already been "
       "processed by the request queue.",
       22,
       {"wasAlreadyHandled = its state", "wasAlreadyPresent and wasAlreadyHandled"}},
      {"seed.errors.envelope",
       "every seed page (Status 400, 401, 403, 404, 405, 413, 415, 429)",
       "An error answer is {\"error\": {\"type\", \"message\"}} (both required).",
       0,
       {"An error body is {"},
       "defs (error envelope)"},
      {"seed.auth.bearer",
       "every seed page (Authorization: http)",
       "Bearer token provided in the Authorization header; required when using named formats "
       "for IDs (username~queue-name).",
       12,
       {"Authorization: Bearer"}},
      // --- update-request.txt (PUT .../requests/{requestId}) ---
      {"seed.update.mark_handled",
       "update-request.txt",
       "Mark request as handled by setting request.handledAt = new Date().",
       0,
       {"If handledAt is set", "spec section 4 (11)"}},
      {"seed.update.handled_leaves_head",
       "update-request.txt",
       "If handledAt is set, the request will be removed from head of the queue (and unlocked, "
       "if applicable).",
       0,
       {"If handledAt is set, the request will be removed", "and unlocked, if applicable"}},
      {"seed.update.forefront",
       "update-request.txt",
       "forefront: Determines if request should be added to the head of the queue or to the end.",
       23,
       {"moved to the end (front with forefront)"}},
      {"seed.client_key.new_client",
       "update-request.txt, list-requests.txt, "
       "batch-delete-requests.txt",
       "If clientKey is not provided, the system considers this API call to come from a new "
       "client (see hadMultipleClients).",
       30,
       {"hadMultipleClients"}},
      {"seed.update.body_fields",
       "update-request.txt",
       "The body is a request (uniqueKey, url, method, retryCount, loadedUrl, payload, headers, "
       "userData with arbitrary fields, noRetry, errorMessages, handledAt); the stored request is "
       "the one sent.",
       0,
       {"stores the object as given", "spec section 2: stored as given"}},
      {"seed.update.status_200",
       "update-request.txt",
       "Status 200: {requestId, wasAlreadyPresent, wasAlreadyHandled}.",
       0,
       {"spec section 3 row 11"},
       "requestQueue_request_put.response.200"},
      // --- list-requests.txt (GET .../requests) ---
      {"seed.list.cursor_and_limit",
       "list-requests.txt",
       "This endpoint is paginated using cursor (pagination by exclusiveStartId is deprecated) "
       "and limit parameters.",
       31,
       {"returned in the previous response as nextCursor"}},
      {"seed.list.exclusive_start_id",
       "list-requests.txt",
       "exclusiveStartId: All requests up to this one (including) are skipped from the result.",
       33,
       {"All requests up to this one"}},
      {"seed.list.limit_max",
       "list-requests.txt",
       "limit: Maximum value is 10000.",
       10,
       {"list limit above 10000"}},
      {"seed.list.limit_respected",
       "list-requests.txt",
       "limit: the maximum number of requests returned in this response.",
       0,
       {"at most limit items", "a list walk returns every matching request"}},
      {"seed.list.cursor",
       "list-requests.txt",
       "cursor: A cursor string for pagination, returned in the previous response as nextCursor.",
       31,
       {"returned in the previous response as nextCursor"}},
      {"seed.list.filter",
       "list-requests.txt",
       "filter: Filter requests by their state. Possible values are locked and pending.",
       32,
       {"Filter requests by their state"}},
      {"seed.list.filter_not_with_exclusive_start_id",
       "list-requests.txt",
       "filter: (Is not compatible with deprecated exclusiveStartId parameter.)",
       33,
       {"together with cursor or filter"}},
      {"seed.list.item_fields",
       "list-requests.txt",
       "items are requests with id, uniqueKey and url (required); limit is required.",
       0,
       {"list page"},
       "requestQueue_requests_get.response.200"},
      {"seed.errors.not_found",
       "every seed page (Status 404)",
       "Not found: 404 {\"error\": {\"type\": \"record-not-found\"}}.",
       14,
       {"404 record-not-found"}},
      {"seed.errors.method_not_allowed",
       "list-requests.txt, batch-delete-requests.txt (405)",
       "Method not allowed: 405 method-not-allowed, \"...can only be accessed using the following "
       "HTTP methods: OPTIONS,GET\".",
       15,
       {"405 method-not-allowed"}},
      {"seed.errors.rate_limited",
       "list-requests.txt, batch-delete-requests.txt (429)",
       "Too many requests: 429 rate-limit-exceeded.",
       37,
       {"429 rate-limit-exceeded"}},
      // --- batch-delete-requests.txt / .plain.txt (DELETE .../requests/batch) ---
      {"seed.batch_delete.max_25",
       "batch-delete-requests.txt",
       "The number of requests in a batch is limited to 25.",
       6,
       {"number of requests in a batch is limited to 25"}},
      {"seed.batch_delete.unprocessed",
       "batch-delete-requests.txt",
       "If any delete operation fails because the request queue rate limit is exceeded or an "
       "internal failure occurs, the failed request is returned in the unprocessedRequests "
       "response parameter.",
       0,
       {"If any delete operation fails", "processed or unprocessed (decision 5)"}},
      {"seed.batch_delete.by_id_or_key",
       "batch-delete-requests.txt",
       "Each request is identified by its ID or uniqueKey parameter. You can use either of them "
       "to identify the request.",
       0,
       {"identified by its ID or uniqueKey"}},
      {"seed.batch_delete.status_200",
       "batch-delete-requests.txt",
       "Status 200 {processedRequests, unprocessedRequests}.",
       0,
       {"Status 200"},
       "requestQueue_requests_batch_delete.response.200"},
      {"seed.batch_delete.payload_413",
       "batch-delete-requests.txt (413)",
       "Payload too large: 413 request-too-large, \"The POST payload is too large (limit: "
       "9437184 bytes, actual length: N bytes).\"",
       16,
       {"413 request-too-large"}},
      {"seed.batch_delete.encoding_415",
       "batch-delete-requests.txt (415)",
       "Unsupported media type: 415 unsupported-content-encoding, \"Content-Encoding \\\"bla\\\" "
       "is not supported.\"",
       17,
       {"415 unsupported-content-encoding"}},

      // --- spec section 1: general conventions ---
      {"spec.1.data_envelope",
       "spec 1",
       "A successful body is {\"data\": ...}; 204 answers "
       "have no body.",
       0,
       {"spec section 3 row", "Delete request. 204"},
       "every response schema"},
      {"spec.1.token_query",
       "spec 1",
       "Authorization: Bearer <token> (recommended) or the ?token=<token> query param.",
       12,
       {"query param"}},
      {"spec.1.read_by_raw_id",
       "spec 1",
       "A GET by the raw 17-char id works without a token unless general access is RESTRICTED.",
       13,
       {"reads by raw id", "GET by the raw 17-char id"}},
      {"spec.1.tilde_name",
       "spec 1, spec 3",
       "queueId accepts ~queue-name: a storage of the token's owner.",
       0,
       {"~queue-name"}},
      {"spec.1.username_name",
       "spec 1, spec 3",
       "queueId accepts username~queue-name.",
       0,
       {"username~queue-name"}},
      {"spec.1.method_override",
       "spec 1",
       "Method override: the query param method=POST etc. on a GET.",
       0,
       {"method override"}},
      {"spec.1.compressed_bodies",
       "spec 1",
       "Request bodies may be compressed (br, gzip); an encoding the server does not support "
       "gives 415 unsupported-content-encoding.",
       17,
       {"Content-Encoding gzip"}},
      {"spec.1.queue_id_format",
       "spec 1",
       "Queue ids match ^[a-zA-Z0-9]{17}$.",
       0,
       {"queue id format"},
       "defs (queue id)"},
      {"spec.1.request_id_15",
       "spec 1, spec 6.1",
       "Request ids are 15 chars and derived from uniqueKey.",
       19,
       {"ids stable per uniqueKey"}},
      {"spec.1.queue_name_63",
       "spec 1",
       "Queue names: at most 63 characters.",
       0,
       {"queue name length"},
       "requestQueue_get.response.200 (name)"},
      {"spec.1.payload_limit",
       "spec 1",
       "Payload limit 9437184 bytes; over it 413 request-too-large with the message pattern.",
       16,
       {"413 request-too-large"}},
      {"spec.1.batch_limit",
       "spec 1",
       "Batch limit: 25 requests per batch add or batch delete.",
       6,
       {"maximum requests in batch", "number of requests in a batch is limited to 25"}},
      {"spec.1.head_lock_limit",
       "spec 1",
       "Head-and-lock limit is at most 25.",
       10,
       {"head/lock limit above 25"}},
      {"spec.1.list_queues_limit",
       "spec 1",
       "List queues: limit default and maximum 1000.",
       0,
       {"List queues: limit default and maximum"}},
      {"spec.1.dates",
       "spec 1",
       "Dates are ISO-8601 with milliseconds and Z; a server must emit the offset or Z.",
       39,
       {"timestamps: ISO-8601"}},
      {"spec.1.booleans",
       "spec 1",
       "Booleans in the query string: true, false, 1 and 0 must all be accepted.",
       18,
       {"booleans in the query"}},
      {"spec.1.1.status_types",
       "spec 1.1",
       "Each error status carries its type: 400 invalid-input/..., 401 token-not-provided or "
       "user-or-token-not-found, 403 insufficient-permissions, 404 record-not-found, 405 "
       "method-not-allowed, 413 request-too-large, 415 unsupported-content-encoding, 429 "
       "rate-limit-exceeded.",
       0,
       {"An error body is {", "404 record-not-found", "405 method-not-allowed"}},
      {"spec.1.1.payment_402",
       "spec 1.1",
       "402 x402-payment-required on reads of a paid "
       "resource.",
       0,
       {},
       "",
       "needs an account whose plan refuses the call; no request from outside can make a "
       "working account answer 402"},
      {"spec.1.1.server_errors",
       "spec 1.1",
       "408 operation-timed-out, 500 internal-server-error, 503 concurrent-update-detected / "
       "query-timeout (retried by the clients).",
       0,
       {},
       "",
       "these answers report the server's own failures (timeouts, internal errors, concurrent "
       "updates); no well-formed request makes a correct server give them"},
      // --- spec section 1.2: rate limits ---
      {"spec.1.2.global_limit",
       "spec 1.2",
       "Global: 250,000 requests/minute, per user when authenticated, per IP otherwise.",
       0,
       {},
       "",
       "reaching it takes 250,000 calls in a minute from one user (and, per IP, from one "
       "address): a load test against the real account, not a conformance test"},
      {"spec.1.2.per_queue_limits",
       "spec 1.2",
       "Per queue: 400 req/s single-request CRUD and lock ops, 40 req/s batch add, batch delete "
       "and head/lock, 60 req/s everything else.",
       37,
       {"default 60 req/s per queue"}},
      {"spec.1.2.header",
       "spec 1.2",
       "Each response carries X-RateLimit-Limit.",
       37,
       {"X-RateLimit-Limit"}},
      {"spec.1.2.batch_unprocessed",
       "spec 1.2",
       "Inside batch add/delete, the items that hit the queue's rate limit go into "
       "unprocessedRequests and the call still succeeds (201/200).",
       37,
       {"If any add operation fails", "unprocessedRequests: resent"}},
      // --- spec section 2: data model ---
      {"spec.2.queue_fields",
       "spec 2",
       "RequestQueue has id, userId, createdAt, modifiedAt, accessedAt, totalRequestCount, "
       "handledRequestCount, pendingRequestCount, hadMultipleClients, consoleUrl.",
       40,
       {"queue object"},
       "requestQueue_get.response.200"},
      {"spec.2.queue_short_fields",
       "spec 2",
       "RequestQueueShort (list items) has id, name, userId, username, createdAt, modifiedAt, "
       "accessedAt, the three counters and hadMultipleClients.",
       0,
       {"By default only named queues"},
       "requestQueues_get.response.200"},
      {"spec.2.stored_as_given",
       "spec 2",
       "The server stores the request object as given and returns it from GET (extra keys "
       "allowed).",
       0,
       {"stores the object as given", "spec section 2: stored as given"}},
      {"spec.2.head_items",
       "spec 2",
       "HeadRequest: id, uniqueKey, url required; LockedHeadRequest also lockExpiresAt.",
       0,
       {"Each item's lockExpiresAt"},
       "requestQueue_head_get.response.200"},
      // --- spec section 3 and 4: endpoints ---
      {"spec.4.1.list_named",
       "spec 4 (1)",
       "List queues: by default only named queues; unnamed=1 includes unnamed ones; sorted by "
       "createdAt ascending (desc=1 reverses).",
       35,
       {"By default only named queues"}},
      {"spec.4.2.create",
       "spec 3 row 2, spec 4 (2)",
       "Create: without name always a new unnamed queue; with name the existing queue of that "
       "name (200) or a new one (201 + Location).",
       0,
       {"spec section 3 row 2", "spec section 4 (2)"}},
      {"spec.4.3.get_queue",
       "spec 4 (3)",
       "GET queue: 200 RequestQueue; 404 when unknown.",
       14,
       {"unknown queue or request"}},
      {"spec.4.4.update_queue",
       "spec 4 (3)-(5)",
       "PUT queue changes name (null makes it unnamed) and generalAccess and returns the updated "
       "object.",
       0,
       {"PUT changes name", "spec section 4 (4)"}},
      {"spec.4.5.delete_queue",
       "spec 3 row 5, spec 4 (5)",
       "DELETE queue: 204; afterwards the queue and its requests are gone.",
       0,
       {"spec section 3 row 5", "spec section 4 (5)"}},
      {"spec.4.6.add_result",
       "spec 3 row 6, spec 4 (6)",
       "Add: 201 {requestId, wasAlreadyPresent, wasAlreadyHandled}.",
       0,
       {"spec section 3 row 6", "wasAlreadyPresent and wasAlreadyHandled"},
       "requestQueue_requests_post.response.201"},
      {"spec.4.6.duplicate_unchanged",
       "spec 4 (6)",
       "If the uniqueKey already exists, add returns the existing id and does not modify the "
       "stored request.",
       21,
       {"the stored request and its position do not change", "stored requests = distinct"}},
      {"spec.4.6.handled_on_add",
       "spec 4 (6)",
       "A new request whose body has handledAt is stored as handled and counted in "
       "handledRequestCount.",
       0,
       {"If the request is new but the body has handledAt", "spec section 6.2"}},
      {"spec.4.7.no_id_on_add",
       "spec 4 (6)",
       "Added requests can't have an ID (an id that does not match its uniqueKey is refused).",
       2,
       {"id in an add body"}},
      {"spec.4.9.batch_delete_result",
       "spec 4 (9)",
       "Batch delete: 200 {processedRequests: [{id?, uniqueKey?}], unprocessedRequests}.",
       0,
       {"spec section 4 (9)"},
       "requestQueue_requests_batch_delete.response.200"},
      {"spec.4.10.get_request",
       "spec 4 (10)",
       "Get request: the full stored Request (with id); 404 record-not-found if absent.",
       14,
       {"stores the object as given", "spec section 2: stored as given"}},
      {"spec.4.11.replace",
       "spec 4 (11)",
       "PUT replaces the stored request (not a merge); handledAt marks it handled, drops its "
       "lock and moves the counters; handledAt null makes it pending again.",
       0,
       {"spec section 4 (11)", "If handledAt is set"}},
      {"spec.4.11.upsert",
       "spec 4 (11)",
       "PUT on an id that does not exist inserts it.",
       4,
       {"upsert"}},
      {"spec.4.11.id_mismatch",
       "spec 4 (11)",
       "A body id that does not equal the id derived from uniqueKey: 400 request-id-invalid.",
       3,
       {"PUT body id"}},
      {"spec.4.12.delete_request",
       "spec 4 (12)",
       "Delete request: 204.",
       5,
       {"Delete request. 204", "DELETE of an absent request"}},
      {"spec.4.13.head",
       "spec 4 (13)",
       "Head: {limit, queueModifiedAt, hadMultipleClients, items}, the first limit pending "
       "requests in queue order.",
       25,
       {"GET head"},
       "requestQueue_head_get.response.200"},
      {"spec.4.14.head_lock",
       "spec 4 (14)",
       "Head/lock takes up to limit of the first pending requests that are not locked, locks "
       "them for lockSecs and returns 201 with lockSecs and each item's lockExpiresAt = now + "
       "lockSecs.",
       26,
       {"Each item's lockExpiresAt"},
       "requestQueue_head_lock_post.response.201"},
      {"spec.4.14.queue_has_locked",
       "spec 4 (14)",
       "queueHasLockedRequests says whether any client holds locks in the queue.",
       0,
       {"queueHasLockedRequests says whether"}},
      {"spec.4.14.not_handed_to_others",
       "spec 4 (14)",
       "Locked requests are not handed to other clients until the lock expires or is deleted.",
       26,
       {"does not hand out a request twice", "no request held by two clients"}},
      {"spec.4.15.prolong",
       "spec 4 (15)",
       "Prolong: 200 {lockExpiresAt}; only the owner (same clientKey); forefront says where the "
       "request goes when the lock expires.",
       27,
       {"prolong lock"},
       "requestQueue_request_lock_put.response.200"},
      {"spec.4.16.delete_lock",
       "spec 4 (16)",
       "Delete lock: 204, same owner rule; afterwards the request is pending again at the end, "
       "or the front with forefront=true.",
       28,
       {"spec section 4 (16)"}},
      {"spec.4.17.unlock",
       "spec 4 (17)",
       "Unlock releases every lock held by this clientKey: 200 {unlockedCount}.",
       0,
       {"spec section 4 (17)"}},
      {"spec.4.17.unlock_run",
       "spec 4 (17)",
       "Inside an Actor run, unlock also releases every lock held by that run.",
       0,
       {},
       "",
       "needs an Actor run on the platform; a client outside a run has no run identity to "
       "send"},
      {"spec.3.aliases",
       "spec 3",
       "The same operations under /v2/actor-runs/{runId}/request-queue, "
       "/v2/actors/{actorId}/runs/last/request-queue and "
       "/v2/actor-tasks/{actorTaskId}/runs/last/request-queue.",
       0,
       {},
       "",
       "needs an Actor run, Actor or task of the target's account; the suite creates queues "
       "only (rq-fake answers these routes 501, as the README says)"},
      // --- spec section 6: semantics ---
      {"spec.6.1.no_normalisation",
       "spec 6.1",
       "The server does not normalise uniqueKey: dedup is exact string equality per queue.",
       20,
       {"exact string equality of uniqueKey"}},
      {"spec.6.1.id_derivation",
       "spec 6.1",
       "Request id = first 15 chars of base64(SHA-256(uniqueKey)) without +/=: the same "
       "uniqueKey has the same id in any queue.",
       19,
       {"ids stable per uniqueKey"}},
      {"spec.6.2.counters",
       "spec 6.2",
       "totalRequestCount = handled + pending; adding, PUT pending<->handled and deleting move "
       "the counters; a duplicate add changes nothing.",
       36,
       {"total = handled + pending"}},
      {"spec.6.2.modified_at",
       "spec 6.2",
       "modifiedAt / queueModifiedAt change on adding, updating, removing, locking or unlocking "
       "requests.",
       0,
       {"spec section 6.2"}},
      {"spec.6.2.accessed_at",
       "spec 6.2",
       "accessedAt changes on any access.",
       0,
       {"accessedAt changes"}},
      {"spec.6.3.order",
       "spec 6.3",
       "Forefront requests come before all others, newest first; the others first in, first "
       "out.",
       24,
       {"forefront requests first"}},
      {"spec.6.4.expiry_order",
       "spec 6.4",
       "Once a lock expires the request is pending again, ordered by its expiry timestamp; the "
       "server does not change retryCount.",
       29,
       {"lock expiry"}},
      {"spec.6.4.put_releases_lock",
       "spec 6.4",
       "PUT with handledAt releases the lock; PUT without it re-positions the request.",
       23,
       {"and unlocked, if applicable", "a PUT drops the request's lock"}},
      {"spec.6.5.cursor",
       "spec 6.5",
       "With keyset cursors a request never appears twice; the server omits nextCursor once the "
       "scan is exhausted and sends it whenever it stopped on limit.",
       31,
       {"nextCursor present exactly", "each request exactly once"}},
      {"spec.6.6.batch_not_atomic",
       "spec 6.6",
       "A batch is not atomic; processed entries carry the uniqueKey, which is how clients "
       "match the retries.",
       0,
       {"processed items carry", "If any add operation fails"}},
  };
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

const std::vector<Obligation>& obligations() {
  static const std::vector<Obligation> all = [] {
    std::vector<Obligation> v = written();
    // Each decision of section 9 is an obligation too (the text is core's table).
    static std::vector<std::string> ids, texts;
    ids.reserve(kDecisionCount);
    texts.reserve(kDecisionCount);
    for (const Decision& d : decisions()) {
      ids.push_back("decision." + std::to_string(d.number));
      texts.push_back(std::string(d.topic) + ": " + std::string(d.fake_does) + " (" +
                      std::string(d.level) + ")");
    }
    for (std::size_t i = 0; i < decisions().size(); ++i) {
      const Decision& d = decisions()[i];
      v.push_back({ids[i], "spec 9", texts[i], d.number, {}, d.schemas});
    }
    return v;
  }();
  return all;
}

bool cites(const Obligation& o, std::string_view text) {
  if (o.decision > 0 && o.source == "spec 9") {
    auto n = cited_decisions(text);
    if (std::find(n.begin(), n.end(), o.decision) != n.end()) return true;
  }
  const std::string t = lower(text);
  if (t.find(lower(o.id)) != std::string::npos) return true;
  for (std::string_view r : o.refs) {
    if (!r.empty() && t.find(lower(r)) != std::string::npos) return true;
  }
  return false;
}

bool names(const Obligation& o, std::string_view text) {
  if (o.decision > 0 && o.source == "spec 9") {
    auto n = cited_decisions(text);
    if (std::find(n.begin(), n.end(), o.decision) != n.end()) return true;
  }
  auto id_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
  };
  for (std::size_t at = text.find(o.id); at != std::string_view::npos;
       at = text.find(o.id, at + 1)) {
    std::size_t end = at + o.id.size();
    bool whole = (at == 0 || !id_char(text[at - 1])) &&
                 (end == text.size() || !id_char(text[end]) ||
                  (text[end] == '.' && (end + 1 == text.size() || !id_char(text[end + 1]))));
    if (whole) return true;
  }
  return false;
}

}  // namespace rqcheck::contract
