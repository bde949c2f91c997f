#include "rqcheck/core/contract.h"

#include <algorithm>

namespace rqcheck {

const std::array<Decision, kDecisionCount>& decisions() {
  // Section 9 of spec/request-queue-api.md, in our words; the fake answers the first alternative
  // and can switch to the others (`rq-fake --behave`).
  static const std::array<Decision, kDecisionCount> table = {{
      {1, "`uniqueKey` missing on add / batch add", "400 `invalid-input`", "must (spec: required)",
       "requestQueue_requests_post.request, requestQueue_requests_batch_post.request"},
      {2, "`id` in an add body",
       "accepted if it equals the id derived from uniqueKey, else 400 `request-id-invalid`",
       "should", ""},
      {3, "PUT body `id`",
       "optional; if given it must equal the path id and the derived id, else 400", "should",
       "requestQueue_request_put.request"},
      {4, "PUT on an id that does not exist", "upsert, `wasAlreadyPresent: false`", "should", ""},
      {5, "DELETE of an absent request; batch delete of absent items",
       "204; absent items count as processed (switch: 404)",
       "tolerate (204 or 404; processed or unprocessed)", ""},
      {6, "batch of more than 25 items, or an empty batch", "400 `invalid-input`, nothing stored",
       "must (status 400 + error envelope); the type is should",
       "requestQueue_requests_batch_post.request, requestQueue_requests_batch_delete.request"},
      {7, "duplicate uniqueKeys inside one batch add",
       "400 `request-queue-duplicate-requests`, nothing stored", "should", ""},
      {8, "`clientKey` outside 1..32 characters", "400 `invalid-client-key`", "should", ""},
      {9, "`lockSecs` missing, negative or not a number", "400 `invalid-parameter`",
       "must (status), should (type)", ""},
      {10, "list `limit` above 10000, head/lock `limit` above 25",
       "clamped to the maximum; the response `limit` shows the value used (switch: 400)",
       "tolerate (clamp or 400)", ""},
      {11, "default `limit`", "list requests 1000, head 100, head/lock 25", "should", ""},
      {12, "bad or missing token where one is needed",
       "401 with the error envelope: `token-not-provided` (missing) or "
       "`user-or-token-not-found` (unknown)",
       "must (401 + envelope), tolerate (type)", "error"},
      {13, "queue of another user",
       "403 `insufficient-permissions` for writes and RESTRICTED reads; reads by raw id allowed",
       "should", "error"},
      {14, "unknown queue or request", "404 `record-not-found`", "must", "error"},
      {15, "method not allowed on a known path",
       "405 `method-not-allowed`, the message lists the allowed methods", "should", "error"},
      {16, "body over 9437184 bytes (after decoding)",
       "413 `request-too-large` with the documented message", "must", "error"},
      {17, "`Content-Encoding` gzip, deflate, br",
       "decoded (the decoded size counts against the limit); anything else 415 "
       "`unsupported-content-encoding`",
       "must", "error"},
      {18, "booleans in the query",
       "`true`, `false`, `1`, `0` accepted; anything else 400 `invalid-parameter`",
       "must (the four), tolerate (others)", ""},
      {19, "request id",
       "first 15 characters of base64(SHA-256(uniqueKey)) without `+/=`: stable per uniqueKey",
       "should (stable per uniqueKey: must)", "defs (requestId)"},
      {20, "dedup", "exact string equality of uniqueKey per queue; no URL normalisation", "must",
       ""},
      {21, "add of an existing uniqueKey",
       "the existing id, `wasAlreadyPresent: true`, `wasAlreadyHandled` = its state; the stored "
       "request and its position do not change, `forefront` included",
       "must (flags), should (no move)",
       "requestQueue_requests_post.response.201, requestQueue_requests_batch_post.response.201"},
      {22, "PUT `wasAlreadyHandled`", "the state before the update", "should",
       "requestQueue_request_put.response.200"},
      {23, "PUT without `handledAt` on a pending or handled request",
       "pending, moved to the end (front with `forefront`)", "should", ""},
      {24, "queue order",
       "forefront requests first, newest forefront first; the others first in, first out",
       "must (forefront before the rest), should (exact order)", ""},
      {25, "GET head", "pending requests not locked by anyone, in queue order", "should",
       "requestQueue_head_get.response.200"},
      {26, "head/lock by a client that already holds locks",
       "does not hand out a request twice while locked", "must",
       "requestQueue_head_lock_post.response.201"},
      {27, "prolong lock",
       "new expiry = now + lockSecs; only the owner; others 403 `insufficient-permissions` "
       "(switches: expiry + lockSecs; 400)",
       "should (expiry), tolerate (the error for others: 400 or 403)",
       "requestQueue_request_lock_put.response.200"},
      {28, "delete lock of a request that is not locked, or locked by another client",
       "400 `request-handled-or-locked`", "tolerate", ""},
      {29, "lock expiry", "pending again, ordered by its expiry time; `retryCount` unchanged",
       "should", ""},
      {30, "`hadMultipleClients`",
       "true once two different clients touched the queue; each call without `clientKey` "
       "counts as a new client",
       "should", "requestQueue_get.response.200"},
      {31, "list order and cursor",
       "ordered by request id; `cursor`/`nextCursor` are unpadded base64url of "
       "`{\"requestId\":\"<id>\"}`; `nextCursor` exactly when the page stopped on `limit`; a "
       "request is never listed twice in one walk; requests present for the whole walk are all "
       "listed",
       "must (each request exactly once; walk ends), tolerate (order, cursor format)",
       "requestQueue_requests_get.response.200"},
      {32, "`filter=locked,pending`",
       "the union of the states; a filtered page may be empty while `nextCursor` is present",
       "must (union), tolerate (empty pages)", ""},
      {33, "`exclusiveStartId`",
       "supported (deprecated); with `cursor` or `filter`: 400 `invalid-parameter`", "tolerate",
       ""},
      {34, "`count` in list responses", "not sent", "tolerate",
       "requestQueue_requests_get.response.200"},
      {35, "unnamed queues", "`name: null`, listed only with `unnamed=1`", "tolerate",
       "requestQueues_get.response.200"},
      {36, "counters", "total = handled + pending at all times; updated synchronously",
       "must (identity after the writes settle), tolerate (a short lag)",
       "requestQueue_get.response.200"},
      {37, "rate limits",
       "per queue and class (400/s single-request CRUD and lock ops, 40/s batch and head/lock, "
       "60/s the rest, 250000/min per token), `X-RateLimit-Limit` on every response, 429 "
       "`rate-limit-exceeded`, batch items over the limit in `unprocessedRequests`",
       "must (429 + envelope when limited), should (the numbers)", "error"},
      {38, "`Retry-After`", "not sent by default; can be switched on for client tests", "tolerate",
       ""},
      {39, "timestamps", "ISO-8601 UTC with milliseconds and `Z`",
       "must (a timezone-aware date-time)", "defs (dateTime)"},
      {40, "queue object", "every field the spec requires, `consoleUrl` included", "must",
       "requestQueue_get.response.200, requestQueues_post.response.201"},
  }};
  return table;
}

const Decision* decision(int n) {
  if (n < 1 || n > static_cast<int>(kDecisionCount)) return nullptr;
  return &decisions()[static_cast<std::size_t>(n - 1)];
}

std::vector<int> cited_decisions(std::string_view text) {
  std::vector<int> out;
  static constexpr std::string_view kWord = "decision";
  for (std::size_t i = text.find(kWord); i != std::string_view::npos; i = text.find(kWord, i + 1)) {
    std::size_t j = i + kWord.size();
    if (j < text.size() && text[j] == 's') ++j;  // "decisions 2, 3"
    // One or more numbers, separated by ", ", " and " or "/".
    for (;;) {
      while (j < text.size() && (text[j] == ' ' || text[j] == ',' || text[j] == '/')) ++j;
      if (text.compare(j, 4, "and ") == 0) j += 4;
      int n = 0;
      std::size_t digits = 0;
      while (j < text.size() && text[j] >= '0' && text[j] <= '9' && digits < 3) {
        n = n * 10 + (text[j] - '0');
        ++j;
        ++digits;
      }
      if (digits == 0) break;
      if (decision(n) && std::find(out.begin(), out.end(), n) == out.end()) out.push_back(n);
    }
  }
  return out;
}

}  // namespace rqcheck
