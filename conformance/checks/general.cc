// Checks of the general conventions (spec section 1, decisions 8, 12, 15-17, 37): auth, error
// envelope, method not allowed, clientKey, payload limit, compression, rate limits.
#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <regex>

#include "helpers.h"

namespace rqcheck::conformance {
namespace anchors {
void general() {}
}  // namespace anchors

namespace {
using namespace helpers;
using O = Operation;

RQ_CHECK(
    auth_missing,
    {.id = "rq.auth.missing_token_401",
     .title = "A write without a token is refused with 401 and the error envelope",
     .operation = O::kQueuesPost,
     .level = Level::kMust,
     .source =
         "decision 12: \"bad or missing token where one is needed: 401 with the error envelope\"",
     .catches = "servers that answer 403/500 or accept anonymous writes",
     .breaking_bug = "UnauthorizedIs403",
     .needs = kNeedRawHttp}) {
  client::RawRequest req;
  req.method = "POST";
  req.path = "/v2/request-queues";
  req.send_token = false;
  req.operation = O::kQueuesPost;
  Response r = ctx.send(req);
  if (r.status >= 200 && r.status < 300 && r.json_ok) {
    ctx.track_queue(r.json["data"].value("id", ""));
  }
  expect_error(ctx, r, {401}, "POST /v2/request-queues without a token");
  return Outcome::pass("type " + r.error_type());
}

RQ_CHECK(auth_query_token, {.id = "rq.auth.token_query_param",
                            .title = "The token is accepted as the ?token= query parameter",
                            .operation = O::kQueueGet,
                            .level = Level::kMust,
                            .source = "spec section 1: \"Authorization: Bearer <token> "
                                      "(recommended) or the ?token=<token> query param\"",
                            .catches = "servers that read only the Authorization header",
                            .breaking_bug = "TokenQueryParamIgnored",
                            .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  if (ctx.http().config().token.empty()) ctx.skip("no token configured");
  client::RawRequest req;
  req.method = "PUT";
  req.path = "/v2/request-queues/" + q;
  req.query = {{"token", ctx.http().config().token}};
  req.send_token = false;
  req.body = Json{{"generalAccess", "RESTRICTED"}}.dump();
  req.operation = O::kQueuePut;
  Response r = ctx.send(req);
  ctx.expect(r.status == 200, "200 for a PUT authenticated by ?token=", r.summary());
  return Outcome::pass();
}

RQ_CHECK(method_not_allowed,
         {.id = "rq.errors.method_not_allowed",
          .title = "A method not allowed on a known path answers 405 method-not-allowed",
          .operation = O::kQueueGet,
          .level = Level::kShould,
          .source = "decision 15: \"method not allowed on a known path: 405 method-not-allowed, "
                    "message lists the allowed methods\"",
          .catches = "404 or 500 for a wrong method",
          .breaking_bug = "MethodNotAllowedIs404",
          .needs = kNeedRawHttp}) {
  Response r = ctx.call(O::kQueueGet, "PATCH", "/" + ctx.queue(), {}, "{}");
  expect_error(ctx, r, {405}, "PATCH on a queue");
  ctx.expect(r.error_type() == "method-not-allowed", "type method-not-allowed", r.error_type());
  // The message lists the methods the path allows (GET, PUT, DELETE; OPTIONS and HEAD may be
  // added): none it does not allow.
  std::string message;
  if (r.json_ok && r.json.contains("error") && r.json["error"].is_object())
    message = r.json["error"].value("message", "");
  auto names = [&](const char* m) {
    for (std::size_t at = message.find(m); at != std::string::npos; at = message.find(m, at + 1)) {
      const std::size_t end = at + std::strlen(m);
      const bool starts = at == 0 || !std::isalpha(static_cast<unsigned char>(message[at - 1]));
      const bool ends =
          end == message.size() || !std::isalpha(static_cast<unsigned char>(message[end]));
      if (starts && ends) return true;
    }
    return false;
  };
  ctx.expect(names("GET") && names("PUT") && names("DELETE") && !names("POST") && !names("PATCH"),
             "a message listing GET, PUT and DELETE (and not POST or PATCH)", message);
  return Outcome::pass();
}

RQ_CHECK(
    method_override,
    {.id = "rq.general.method_override",
     .title = "A GET with ?method=POST creates a queue and locks the head; ?method=DELETE "
              "deletes a queue (read back after each)",
     .operation = O::kHeadLockPost,
     .level = Level::kMust,
     .source = "spec section 1 (Important Request Details): \"Method override: You can "
               "override the HTTP method ... to call a POST endpoint, append ?method=POST to the "
               "URL of your GET request\"",
     .catches = "servers that serve the GET itself (a list instead of a create, 405 on "
                "head/lock) or honour only some methods",
     .breaking_bug = "MethodOverrideIgnored",
     .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  auto info = queue_info(ctx, q);
  // A name of this run (the check's queue is "<prefix>-<n>"), so a replay renames it too.
  const std::string name = info.name.value_or("rqc-override") + "-mo";
  Response c = ctx.call(O::kQueuesPost, "GET", "", {{"method", "POST"}, {"name", name}});
  const std::string created = data_field(c, "id");
  if (!created.empty() && created != q) ctx.track_queue(created);
  ctx.expect(c.status == 201 && !created.empty(),
             "GET /v2/request-queues?method=POST&name=" + name + ": 201 with the new queue",
             c.summary());
  auto back = ctx.ok(ctx.api().get_queue(created), "reading the created queue back");
  ctx.expect(back.name == name, "the created queue is named " + name, back.name.value_or("null"));

  const std::string rid = add(ctx, q, "override");
  await_in_head(ctx, q, {rid});
  const std::string k = ctx.new_client_key();
  Response l = ctx.call(O::kHeadLockPost, "GET", "/" + q + "/head/lock",
                        {{"method", "POST"}, {"lockSecs", "60"}, {"clientKey", k}});
  bool locked = false;
  if (l.status == 201 && l.json_ok && l.json.contains("data") && l.json["data"].is_object() &&
      l.json["data"].contains("items") && l.json["data"]["items"].is_array()) {
    for (const auto& it : l.json["data"]["items"]) {
      locked = locked || (it.is_object() && it.value("id", "") == rid);
    }
  }
  ctx.expect(locked, "GET /" + q + "/head/lock?method=POST: 201 locking " + rid, l.summary());
  // Read back: the lock is held, so another client's head/lock gets nothing (decision 26).
  auto others = lock_ids(ctx, q, ctx.new_client_key(), 10);
  ctx.expect(!contains(others, rid), "another client's head/lock does not hand out " + rid,
             join(others));

  Response d = ctx.call(O::kQueueDelete, "GET", "/" + created, {{"method", "DELETE"}});
  ctx.expect(d.status == 204, "GET /" + created + "?method=DELETE: 204", d.summary());
  auto gone = ctx.api().get_queue(created);
  ctx.expect(!gone && gone.error().status == 404, "the deleted queue answers 404",
             gone ? "200: still there" : Context::describe(gone.error()));
  return Outcome::pass();
}

RQ_CHECK(
    error_envelope,
    {.id = "rq.errors.envelope",
     .title = "Error answers carry {\"error\":{\"type\",\"message\"}} with a JSON content type",
     .operation = O::kRequestGet,
     .level = Level::kMust,
     .source = "spec section 1: \"An error body is {\"error\": {\"type\": \"<kebab-case>\", "
               "\"message\": \"<text>\"}}\"",
     .catches = "plain-text or HTML errors the clients cannot parse",
     .breaking_bug = "ErrorEnvelopeMissing",
     .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Response r = ctx.call(O::kRequestGet, "GET", "/" + q + "/requests/" + id_of(ctx, "nothing"));
  ctx.expect(r.status >= 400 && r.has_error_envelope(), "an error with the envelope", r.summary());
  auto ct = r.header("Content-Type").value_or("");
  ctx.expect(ct.find("application/json") != std::string::npos, "Content-Type application/json", ct);
  return Outcome::pass();
}

RQ_CHECK(client_key_length,
         {.id = "rq.client_key.length",
          .title = "A clientKey longer than 32 characters is refused with 400 invalid-client-key; "
                   "1 and 32 characters are accepted",
          .operation = O::kHeadLockPost,
          .level = Level::kShould,
          .source = "decision 8: \"clientKey outside 1..32 characters: 400 invalid-client-key\"; "
                    "seed: \"It must be a string between 1 and 32 characters long\"",
          .catches = "servers that accept any clientKey",
          .breaking_bug = "ClientKeyLengthNotChecked",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Response r = ctx.call(O::kHeadLockPost, "POST", "/" + q + "/head/lock",
                        {{"lockSecs", "60"}, {"clientKey", std::string(33, 'k')}});
  expect_error(ctx, r, {400}, "a 33-character clientKey");
  ctx.expect(r.error_type() == "invalid-client-key", "type invalid-client-key", r.error_type());
  // The bounds themselves are allowed: 1 and 32 characters.
  for (std::size_t n : {std::size_t(1), std::size_t(32)}) {
    Response ok = ctx.call(O::kHeadLockPost, "POST", "/" + q + "/head/lock",
                           {{"lockSecs", "60"}, {"clientKey", std::string(n, 'k')}});
    ctx.expect(ok.status == 201, "a " + std::to_string(n) + "-character clientKey accepted (201)",
               ok.summary());
  }
  return Outcome::pass();
}

RQ_CHECK(payload_limit, {.id = "rq.errors.payload_too_large_413",
                         .title = "A body over 9437184 bytes is refused with 413 request-too-large",
                         .operation = O::kRequestsPost,
                         .level = Level::kMust,
                         .source = "decision 16: \"body over 9437184 bytes (after decoding): 413 "
                                   "request-too-large with the documented message pattern\"",
                         .catches = "servers without the payload limit",
                         .breaking_bug = "PayloadLimitNotEnforced",
                         .needs = kNeedRawHttp | kNeedLargeBodies}) {
  const std::string& q = ctx.queue();
  Json body = ctx.request("huge");
  body["payload"] = std::string(kMaxPayloadBytes + 1000, 'x');
  Response r = ctx.call(O::kRequestsPost, "POST", "/" + q + "/requests", {}, body.dump());
  expect_error(ctx, r, {413}, "a 9.4 MB body");
  ctx.expect(r.error_type() == "request-too-large", "type request-too-large", r.error_type());
  // The batch delete page documents the same answer, message included (it says POST there too).
  Json keys = Json::array({Json{{"uniqueKey", std::string(kMaxPayloadBytes + 1000, 'k')}}});
  Response d =
      ctx.call(O::kRequestsBatchDelete, "DELETE", "/" + q + "/requests/batch", {}, keys.dump());
  expect_error(ctx, d, {413}, "a 9.4 MB batch delete");
  std::string message;
  if (d.json_ok && d.json.contains("error") && d.json["error"].is_object())
    message = d.json["error"].value("message", "");
  static const std::regex kDocumented(
      R"(The POST payload is too large \(limit: 9437184 bytes, actual length: \d+ bytes\)\.)");
  ctx.expect(std::regex_match(message, kDocumented),
             "the documented message \"The POST payload is too large (limit: 9437184 bytes, "
             "actual length: N bytes).\"",
             message);
  return Outcome::pass();
}

RQ_CHECK(unsupported_encoding,
         {.id = "rq.errors.unsupported_encoding_415",
          .title = "An unknown Content-Encoding is refused with 415 unsupported-content-encoding",
          .operation = O::kRequestsPost,
          .level = Level::kMust,
          .source = "decision 17: \"anything else 415 unsupported-content-encoding\"",
          .catches = "servers that store undecoded bodies or answer 400/500",
          .breaking_bug = "UnsupportedEncodingIs400",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  Response r = ctx.call(O::kRequestsPost, "POST", "/" + q + "/requests", {},
                        ctx.request("enc").dump(), {{"Content-Encoding", "bla"}});
  expect_error(ctx, r, {415}, "Content-Encoding: bla");
  ctx.expect(r.error_type() == "unsupported-content-encoding", "type unsupported-content-encoding",
             r.error_type());
  // The batch delete page documents the same 415.
  Response d = ctx.call(O::kRequestsBatchDelete, "DELETE", "/" + q + "/requests/batch", {},
                        Json::array({Json{{"uniqueKey", ctx.unique_key("enc")}}}).dump(),
                        {{"Content-Encoding", "bla"}});
  expect_error(ctx, d, {415}, "a batch delete with Content-Encoding: bla");
  ctx.expect(d.error_type() == "unsupported-content-encoding",
             "batch delete: type unsupported-content-encoding", d.error_type());
  return Outcome::pass();
}

RQ_CHECK(compressed_bodies,
         {.id = "rq.errors.compressed_bodies_accepted",
          .title = "gzip, deflate and br request bodies are decoded",
          .operation = O::kRequestsBatchPost,
          .level = Level::kMust,
          .source = "decision 17: \"Content-Encoding gzip, deflate, br: decoded\"; spec section 1: "
                    "the clients compress bodies of 1024 bytes or more",
          .catches = "servers that reject the official clients' compressed batches",
          .breaking_bug = "CompressedBodyRejected",
          .needs = kNeedRawHttp}) {
  const std::string& q = ctx.queue();
  int n = 0;
  for (auto enc : {client::BodyEncoding::kGzip, client::BodyEncoding::kDeflate,
                   client::BodyEncoding::kBrotli}) {
    client::RawRequest req;
    req.method = "POST";
    req.path = "/v2/request-queues/" + q + "/requests/batch";
    Json body = Json::array();
    for (int i = 0; i < 10; ++i)
      body.push_back(ctx.request("z" + std::to_string(n) + "-" + std::to_string(i)));
    ++n;
    req.body = body.dump();
    req.encoding = enc;
    req.operation = O::kRequestsBatchPost;
    Response r = ctx.send(req);
    ctx.expect(r.status == 201,
               std::string(client::content_encoding_name(enc)) + " body accepted (201)",
               r.summary());
    // Items the server legitimately returned unprocessed are sent again, as clients do.
    std::vector<Json> again;
    if (r.json_ok && r.json.contains("data") && r.json["data"].contains("unprocessedRequests")) {
      for (const auto& u : r.json["data"]["unprocessedRequests"]) {
        if (u.contains("uniqueKey") && u["uniqueKey"].is_string())
          again.push_back(Json{{"uniqueKey", u["uniqueKey"]}, {"url", u["uniqueKey"]}});
      }
    }
    if (!again.empty()) {
      auto retried = batch_add(ctx, q, again);
      ctx.expect(retried.unprocessed.empty(), "the unprocessed items accepted on retry",
                 std::to_string(retried.unprocessed.size()) + " still unprocessed");
    }
  }
  auto info = queue_info_counting(ctx, q, 30, 0);
  ctx.expect(info.total_request_count == 30, "30 requests stored", counters(info));
  return Outcome::pass();
}

// Gets the queue up to 150 times as fast as it can and returns the first 429 (`calls` says
// after how many calls). Every answer before it must be 200. Without a 429: a violation when the
// calls were faster than 60/s, else the check is skipped with the reason.
Response first_429(Context& ctx, const std::string& q, int& calls) {
  auto start = std::chrono::steady_clock::now();
  for (calls = 1; calls <= 150; ++calls) {
    Response r = ctx.call(O::kQueueGet, "GET", "/" + q);
    if (r.status == 429) return r;
    ctx.expect(r.status == 200, "200 until limited", r.summary());
  }
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                  start);
  ctx.expect(ms.count() > 2500, "a 429 within 150 calls sent faster than 60/s",
             "150 calls in " + std::to_string(ms.count()) + " ms, none limited");
  ctx.skip("the calls were too slow to exceed 60/s (" + std::to_string(ms.count()) + " ms)");
}

RQ_CHECK(rate_limit,
         {.id = "rq.rate_limit.429_with_envelope",
          .title = "Over 60 calls per second to one queue get 429 rate-limit-exceeded",
          .operation = O::kQueueGet,
          .level = Level::kMust,
          .source = "decision 37: \"over the limit 429 rate-limit-exceeded\" (must: 429 + envelope "
                    "when limited); spec section 1.2: default 60 req/s per queue",
          .catches = "servers without per-queue rate limits (clients' backoff is never exercised)",
          .breaking_bug = "RateLimitNotEnforced",
          .needs = kNeedRawHttp | kNeedRateLimits}) {
  int calls = 0;
  Response r = first_429(ctx, ctx.queue(), calls);
  expect_error(ctx, r, {429}, "the limited answer");
  ctx.expect(r.error_type() == "rate-limit-exceeded", "type rate-limit-exceeded", r.error_type());
  return Outcome::pass("429 after " + std::to_string(calls) + " calls");
}

// RFC 9110 10.2.3: Retry-After = HTTP-date / delay-seconds.
bool valid_retry_after(const std::string& v) {
  if (!v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return true;
  // IMF-fixdate, e.g. "Sun, 06 Nov 1994 08:49:37 GMT".
  static const char* kDays[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
  if (v.size() != 29 || v.compare(25, 4, " GMT") != 0 || v[3] != ',') return false;
  return std::any_of(std::begin(kDays), std::end(kDays),
                     [&](const char* d) { return v.compare(0, 3, d) == 0; });
}

RQ_CHECK(retry_after,
         {.id = "rq.rate_limit.retry_after",
          .title = "A 429 sends no Retry-After, or a valid one (an HTTP-date, or at most 60 "
                   "seconds)",
          .operation = O::kQueueGet,
          .level = Level::kTolerate,
          .source = "decision 38: \"Retry-After: not sent by default (the platform sends none)\" "
                    "(tolerate); RFC 9110 10.2.3",
          .catches = "a Retry-After clients cannot parse (apify-client then waits its own backoff, "
                     "others may not wait at all)",
          .breaking_bug = "RetryAfterMalformed",
          .needs = kNeedRawHttp | kNeedRateLimits}) {
  int calls = 0;
  Response r = first_429(ctx, ctx.queue(), calls);
  auto ra = r.header("Retry-After");
  if (!ra) return Outcome::pass("429 without Retry-After (as the platform)");
  ctx.expect(valid_retry_after(*ra), "Retry-After in seconds or as an HTTP-date", *ra);
  // The longest window a limit of decision 37 counts over is a minute (the per-token budget):
  // a longer delay in seconds is most likely milliseconds, and a client honouring it stalls.
  if (ra->size() <= 9 &&
      std::all_of(ra->begin(), ra->end(), [](char c) { return c >= '0' && c <= '9'; })) {
    ctx.expect(std::stoll(*ra) <= 60,
               "a delay within the longest rate-limit window (60 s; decision 37)",
               *ra + " seconds");
  }
  return Outcome::pass("429 with Retry-After: " + *ra);
}

RQ_CHECK(rate_limit_header,
         {.id = "rq.rate_limit.header",
          .title = "Responses carry X-RateLimit-Limit",
          .operation = O::kQueueGet,
          .level = Level::kShould,
          .source = "spec section 1.2: \"Each response carries X-RateLimit-Limit.\"; decision 37",
          .catches = "servers that do not tell clients their limit",
          .breaking_bug = "RateLimitHeaderMissing",
          .needs = kNeedRawHttp}) {
  Response r = ctx.call(O::kQueueGet, "GET", "/" + ctx.queue());
  ctx.expect(r.header("X-RateLimit-Limit").has_value(), "an X-RateLimit-Limit header", "none");
  return Outcome::pass("X-RateLimit-Limit: " + *r.header("X-RateLimit-Limit"));
}

}  // namespace
}  // namespace rqcheck::conformance
