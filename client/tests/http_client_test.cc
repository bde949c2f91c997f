#include "rqcheck/client/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <thread>

#include "rqcheck/client/compression.h"
#include "rqcheck/client/url.h"
#include "scripted_server.h"

namespace rqcheck::client {
namespace {

using std::chrono::milliseconds;
using testing::Scripted;
using testing::ScriptedServer;

constexpr const char* kQueue = "WkzbQMuFYuamGv3YF";
constexpr const char* kToken = "secret-token-123";

const char* kQueueBody =
    R"({"data":{"id":"WkzbQMuFYuamGv3YF","name":"q","userId":"u","username":"n",
  "createdAt":"2019-06-16T10:23:31.607Z","modifiedAt":"2019-06-16T10:23:31.607Z",
  "accessedAt":"2019-06-16T10:23:31.607Z","totalRequestCount":3,"handledRequestCount":1,
  "pendingRequestCount":2,"hadMultipleClients":false,"consoleUrl":"https://console.apify.com/x"}})";
const char* kAddBody =
    R"({"data":{"requestId":"8OamqXBCpPHxyH9","wasAlreadyPresent":true,"wasAlreadyHandled":false}})";

class HttpClientTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.start(); }
  void TearDown() override { server_.stop(); }

  // A client whose sleeps are recorded instead of slept.
  ClientConfig config() {
    ClientConfig c;
    c.base_url = server_.base_url();
    c.token = kToken;
    c.retry.seed = 7;
    c.retry.sleeper = [this](milliseconds d) { slept_.push_back(d); };
    return c;
  }

  ScriptedServer server_;
  std::vector<milliseconds> slept_;
};

TEST_F(HttpClientTest, QueueOperationsFormRequestsAndParseAnswers) {
  HttpClient http(config());
  server_.push(200,
               R"({"data":{"total":1,"offset":0,"limit":10,"count":1,"desc":true,"items":[]}})");
  ListQueuesOptions lo;
  lo.limit = 10;
  lo.desc = true;
  lo.unnamed = false;
  auto page = http.list_queues(lo);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->total, 1);
  auto r = server_.last();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/v2/request-queues");
  EXPECT_EQ(r.param("limit"), "10");
  EXPECT_EQ(r.param("desc"), "1");
  EXPECT_EQ(r.param("unnamed"), "0");
  EXPECT_FALSE(r.has_param("offset"));
  EXPECT_EQ(r.header("Authorization"), std::string("Bearer ") + kToken);

  server_.push(Scripted{201, kQueueBody, {{"Location", "x"}}});
  auto q = http.get_or_create_queue("my queue");
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(q->id, kQueue);
  EXPECT_EQ(q->pending_request_count, 2);
  r = server_.last();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.param("name"), "my queue");
  EXPECT_EQ(r.body, "");

  server_.push(200, kQueueBody);
  ASSERT_TRUE(http.get_queue("user~my-queue"));
  r = server_.last();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, "/v2/request-queues/user~my-queue");

  server_.push(200, kQueueBody);
  QueueUpdate up;
  up.clear_name = true;
  up.general_access = "RESTRICTED";
  ASSERT_TRUE(http.update_queue(kQueue, up));
  r = server_.last();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"({"name":null,"generalAccess":"RESTRICTED"})"));
  EXPECT_EQ(r.header("Content-Type"), "application/json");

  server_.push(Scripted{204, ""});
  auto del = http.delete_queue(kQueue);
  ASSERT_TRUE(del) << del.error().message;
  EXPECT_EQ(server_.last().method, "DELETE");
  EXPECT_EQ(server_.last().path, std::string("/v2/request-queues/") + kQueue);
}

TEST_F(HttpClientTest, RequestOperationsFormRequestsAndParseAnswers) {
  ClientConfig c = config();
  c.client_key = "default-key";
  HttpClient http(c);
  const std::string base = std::string("/v2/request-queues/") + kQueue;
  const Json req = {{"url", "http://example.com"}, {"uniqueKey", "http://example.com"}};

  server_.push(201, kAddBody);
  WriteOptions front;
  front.forefront = true;
  auto added = http.add_request(kQueue, req, front);
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(added->request_id, "8OamqXBCpPHxyH9");
  EXPECT_TRUE(added->was_already_present);
  auto r = server_.last();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, base + "/requests");
  EXPECT_EQ(r.param("forefront"), "1");
  EXPECT_EQ(r.param("clientKey"), "default-key");
  EXPECT_EQ(Json::parse(r.body), req);

  server_.push(
      200,
      R"({"data":{"items":[{"id":"a","url":"u","uniqueKey":"k"}],"limit":2,"nextCursor":"c2"}})");
  ListRequestsOptions lo;
  lo.limit = 2;
  lo.cursor = "c1";
  lo.filter = {"locked", "pending"};
  lo.client_key = "other";
  auto page = http.list_requests(kQueue, lo);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->next_cursor, "c2");
  r = server_.last();
  EXPECT_EQ(r.path, base + "/requests");
  EXPECT_EQ(r.param("cursor"), "c1");
  EXPECT_EQ(r.param("filter"), "locked,pending");
  EXPECT_NE(r.target.find("filter=locked%2Cpending"), std::string::npos) << r.target;
  EXPECT_EQ(r.param("clientKey"), "other");

  server_.push(201, R"({"data":{"processedRequests":[{"requestId":"8OamqXBCpPHxyH9",
      "uniqueKey":"http://example.com","wasAlreadyPresent":false,"wasAlreadyHandled":false}],
      "unprocessedRequests":[{"uniqueKey":"b","url":"http://b","method":"GET"}]}})");
  auto batch = http.batch_add_requests(kQueue, {req, req});
  ASSERT_TRUE(batch) << batch.error().message;
  EXPECT_EQ(batch->processed.size(), 1u);
  EXPECT_EQ(batch->unprocessed.at(0).unique_key, "b");
  r = server_.last();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, base + "/requests/batch");
  EXPECT_EQ(Json::parse(r.body), Json::array({req, req}));
  EXPECT_FALSE(r.has_param("forefront"));

  server_.push(
      200, R"({"data":{"processedRequests":[{"id":"8OamqXBCpPHxyH9"}],"unprocessedRequests":[]}})");
  auto deleted = http.batch_delete_requests(kQueue, {Json{{"id", "8OamqXBCpPHxyH9"}}});
  ASSERT_TRUE(deleted) << deleted.error().message;
  EXPECT_EQ(deleted->processed.at(0).id, "8OamqXBCpPHxyH9");
  r = server_.last();
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.path, base + "/requests/batch");
  EXPECT_EQ(r.header("Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(r.body), Json::parse(R"([{"id":"8OamqXBCpPHxyH9"}])"));

  server_.push(
      200,
      R"({"data":{"id":"8OamqXBCpPHxyH9","url":"http://example.com","uniqueKey":"u","userData":{"a":1}}})");
  auto got = http.get_request(kQueue, "8OamqXBCpPHxyH9");
  ASSERT_TRUE(got) << got.error().message;
  EXPECT_EQ((*got)["userData"]["a"], 1);
  r = server_.last();
  EXPECT_EQ(r.path, base + "/requests/8OamqXBCpPHxyH9");
  EXPECT_FALSE(r.has_param("clientKey"));  // the API takes none here

  server_.push(200, kAddBody);
  Json updated = req;
  updated["id"] = "8OamqXBCpPHxyH9";
  updated["handledAt"] = "2024-01-01T00:00:00.000Z";
  auto up = http.update_request(kQueue, "8OamqXBCpPHxyH9", updated);
  ASSERT_TRUE(up) << up.error().message;
  r = server_.last();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.path, base + "/requests/8OamqXBCpPHxyH9");
  EXPECT_EQ(Json::parse(r.body), updated);

  server_.push(Scripted{204, ""});
  ASSERT_TRUE(http.delete_request(kQueue, "8OamqXBCpPHxyH9"));
  r = server_.last();
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.path, base + "/requests/8OamqXBCpPHxyH9");
  EXPECT_EQ(r.param("clientKey"), "default-key");
}

TEST_F(HttpClientTest, HeadAndLockOperationsFormRequestsAndParseAnswers) {
  HttpClient http(config());
  const std::string base = std::string("/v2/request-queues/") + kQueue;

  server_.push(200, R"({"data":{"limit":5,"queueModifiedAt":"2019-06-16T10:23:31.607Z",
      "hadMultipleClients":true,"items":[{"id":"a","uniqueKey":"k","url":"u","method":"GET","retryCount":0}]}})");
  HeadOptions ho;
  ho.limit = 5;
  auto head = http.list_head(kQueue, ho);
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->items.size(), 1u);
  EXPECT_TRUE(head->had_multiple_clients);
  auto r = server_.last();
  EXPECT_EQ(r.method, "GET");
  EXPECT_EQ(r.path, base + "/head");
  EXPECT_EQ(r.param("limit"), "5");
  EXPECT_FALSE(r.has_param("clientKey"));

  server_.push(201, R"({"data":{"limit":2,"queueModifiedAt":"2019-06-16T10:23:31.607Z",
      "hadMultipleClients":false,"lockSecs":60,"queueHasLockedRequests":true,"clientKey":"ck",
      "items":[{"id":"a","uniqueKey":"k","url":"u","lockExpiresAt":"2019-06-16T10:24:31.607Z"}]}})");
  LockHeadOptions lo;
  lo.lock_secs = 60;
  lo.limit = 2;
  lo.client_key = "ck";
  auto locked = http.list_and_lock_head(kQueue, lo);
  ASSERT_TRUE(locked) << locked.error().message;
  EXPECT_EQ(locked->lock_secs, 60);
  EXPECT_EQ(locked->items.at(0).lock_expires_at, 1560680671607);
  r = server_.last();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, base + "/head/lock");
  EXPECT_EQ(r.param("lockSecs"), "60");
  EXPECT_EQ(r.param("limit"), "2");
  EXPECT_EQ(r.param("clientKey"), "ck");

  server_.push(200, R"({"data":{"lockExpiresAt":"2019-06-16T10:24:31.607Z"}})");
  ProlongLockOptions po;
  po.lock_secs = 30;
  po.forefront = false;
  auto expiry = http.prolong_request_lock(kQueue, "a", po);
  ASSERT_TRUE(expiry) << expiry.error().message;
  EXPECT_EQ(*expiry, 1560680671607);
  r = server_.last();
  EXPECT_EQ(r.method, "PUT");
  EXPECT_EQ(r.path, base + "/requests/a/lock");
  EXPECT_EQ(r.param("lockSecs"), "30");
  EXPECT_EQ(r.param("forefront"), "0");

  server_.push(Scripted{204, ""});
  DeleteLockOptions dl;
  dl.forefront = true;
  ASSERT_TRUE(http.delete_request_lock(kQueue, "a", dl));
  r = server_.last();
  EXPECT_EQ(r.method, "DELETE");
  EXPECT_EQ(r.path, base + "/requests/a/lock");
  EXPECT_EQ(r.param("forefront"), "1");

  server_.push(200, R"({"data":{"unlockedCount":3}})");
  ClientKeyOptions ck;
  ck.client_key = "ck";
  auto unlocked = http.unlock_requests(kQueue, ck);
  ASSERT_TRUE(unlocked) << unlocked.error().message;
  EXPECT_EQ(*unlocked, 3);
  r = server_.last();
  EXPECT_EQ(r.method, "POST");
  EXPECT_EQ(r.path, base + "/requests/unlock");
  EXPECT_EQ(r.param("clientKey"), "ck");
}

TEST_F(HttpClientTest, EncodesBooleansAsTrueFalseWhenConfigured) {
  ClientConfig c = config();
  c.bool_encoding = BoolEncoding::kTrueFalse;
  HttpClient http(c);
  server_.push(201, kAddBody);
  WriteOptions o;
  o.forefront = true;
  ASSERT_TRUE(http.add_request(kQueue, Json{{"url", "u"}, {"uniqueKey", "u"}}, o));
  EXPECT_EQ(server_.last().param("forefront"), "true");
  server_.push(200,
               R"({"data":{"total":0,"offset":0,"limit":1,"count":0,"desc":false,"items":[]}})");
  ListQueuesOptions lo;
  lo.desc = false;
  ASSERT_TRUE(http.list_queues(lo));
  EXPECT_EQ(server_.last().param("desc"), "false");
}

TEST_F(HttpClientTest, HonoursThePathPrefixAndEncodesIds) {
  ClientConfig c = config();
  c.base_url = server_.base_url() + "/proxy/api/";
  HttpClient http(c);
  server_.push(200, kQueueBody);
  ASSERT_TRUE(http.get_queue("a/b c"));
  EXPECT_EQ(server_.last().target, "/proxy/api/v2/request-queues/a%2Fb%20c");
}

TEST_F(HttpClientTest, ParsesTheErrorEnvelope) {
  HttpClient http(config());
  server_.push(404,
               R"({"error":{"type":"record-not-found","message":"Request Queue was not found"}})");
  auto q = http.get_queue(kQueue);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().status, 404);
  EXPECT_EQ(q.error().type, "record-not-found");
  EXPECT_EQ(q.error().message, "Request Queue was not found");
  EXPECT_TRUE(slept_.empty());
}

TEST_F(HttpClientTest, ReportsBodiesThatAreNotTheExpectedShape) {
  HttpClient http(config());
  server_.push(Scripted{400, "<html>bad</html>", {}, "text/html"});
  auto e1 = http.get_queue(kQueue);
  ASSERT_FALSE(e1);
  EXPECT_EQ(e1.error().status, 400);
  EXPECT_EQ(e1.error().type, kInvalidResponse);

  server_.push(200, "{not json");
  auto e2 = http.get_queue(kQueue);
  ASSERT_FALSE(e2);
  EXPECT_EQ(e2.error().status, 200);
  EXPECT_EQ(e2.error().type, kInvalidResponse);

  server_.push(200, R"({"items":[]})");
  auto e3 = http.get_queue(kQueue);
  ASSERT_FALSE(e3);
  EXPECT_EQ(e3.error().type, kInvalidResponse);

  server_.push(201, R"({"data":{"requestId":"x","wasAlreadyPresent":"no"}})");
  auto e4 = http.add_request(kQueue, Json{{"url", "u"}, {"uniqueKey", "u"}});
  ASSERT_FALSE(e4);
  EXPECT_EQ(e4.error().status, 201);
  EXPECT_EQ(e4.error().type, kInvalidResponse);
  EXPECT_NE(e4.error().message.find("wasAlreadyPresent"), std::string::npos);
  EXPECT_TRUE(slept_.empty());
}

TEST_F(HttpClientTest, RetriesRateLimitsAndServerErrorsWithBackoff) {
  HttpClient http(config());
  server_.push(429, R"({"error":{"type":"rate-limit-exceeded","message":"slow down"}})");
  server_.push(429, R"({"error":{"type":"rate-limit-exceeded","message":"slow down"}})");
  server_.push(500, R"({"error":{"type":"internal-server-error","message":"oops"}})");
  server_.push(503, "");
  server_.push(200, kQueueBody);
  auto q = http.get_queue(kQueue);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(server_.received().size(), 5u);

  // The same seed gives the same draws: round(U[1,2) * 500 * 2^i).
  Jitter jitter(7);
  RetryPolicy p;
  std::vector<milliseconds> expected;
  for (int i = 0; i < 4; ++i) expected.push_back(backoff_delay(p, i, jitter.next()));
  EXPECT_EQ(slept_, expected);
  for (int i = 0; i < 4; ++i) {
    EXPECT_GE(slept_[i], milliseconds(500 << i));
    EXPECT_LE(slept_[i], milliseconds(1000 << i));
  }

  auto attempts = http.log().snapshot();
  ASSERT_EQ(attempts.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(attempts[i].attempt, i + 1);
    EXPECT_EQ(attempts[i].operation, Operation::kQueueGet);
  }
  EXPECT_EQ(attempts[0].status, 429);
  EXPECT_EQ(attempts[4].status, 200);
}

TEST_F(HttpClientTest, DoesNotRetryClientErrors) {
  HttpClient http(config());
  server_.push(400, R"({"error":{"type":"invalid-input","message":"bad"}})");
  auto r = http.add_request(kQueue, Json{{"url", "u"}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().type, "invalid-input");
  server_.push(404, R"({"error":{"type":"record-not-found","message":"nope"}})");
  ASSERT_FALSE(http.get_request(kQueue, "abc"));
  EXPECT_EQ(server_.received().size(), 2u);
  EXPECT_TRUE(slept_.empty());
}

TEST_F(HttpClientTest, StopsAfterTheLastAttemptWithTheLastError) {
  ClientConfig c = config();
  c.retry.max_retries = 3;
  HttpClient http(c);
  server_.set_default(
      Scripted{503, R"({"error":{"type":"service-unavailable","message":"later"}})"});
  auto r = http.list_head(kQueue);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 503);
  EXPECT_EQ(r.error().type, "service-unavailable");
  EXPECT_EQ(server_.received().size(), 4u);
  EXPECT_EQ(slept_.size(), 3u);
  EXPECT_EQ(http.log().last()->attempt, 4);
}

TEST_F(HttpClientTest, DefaultPolicyMakesNineAttempts) {
  HttpClient http(config());
  server_.set_default(Scripted{500, R"({"error":{"type":"internal-server-error","message":"x"}})"});
  ASSERT_FALSE(http.delete_queue(kQueue));
  EXPECT_EQ(server_.received().size(), 9u);
  ASSERT_EQ(slept_.size(), 8u);
  EXPECT_GE(slept_.back(), milliseconds(64000));
  EXPECT_LT(slept_.back(), milliseconds(128001));
}

TEST_F(HttpClientTest, HonoursRetryAfterOnlyWhenEnabled) {
  server_.push(Scripted{429, "{}", {{"Retry-After", "3"}}});
  server_.push(200, kQueueBody);
  {
    HttpClient http(config());
    ASSERT_TRUE(http.get_queue(kQueue));
  }
  ASSERT_EQ(slept_.size(), 1u);
  EXPECT_LT(slept_[0], milliseconds(1001));  // ignored, like both official clients

  slept_.clear();
  ClientConfig c = config();
  c.retry.honour_retry_after = true;
  c.retry.max_retry_after = milliseconds(10000);
  HttpClient http(c);
  server_.push(Scripted{429, "{}", {{"Retry-After", "3"}}});
  server_.push(Scripted{503, "{}", {{"Retry-After", "3600"}}});
  server_.push(200, kQueueBody);
  ASSERT_TRUE(http.get_queue(kQueue));
  EXPECT_EQ(slept_, (std::vector<milliseconds>{milliseconds(3000), milliseconds(10000)}));
}

TEST_F(HttpClientTest, RetriesTransportErrorsUpToTheBound) {
  // A port with nothing listening: every attempt is refused.
  ScriptedServer gone;
  gone.start();
  std::string url = gone.base_url();
  gone.stop();
  ClientConfig c = config();
  c.base_url = url;
  c.retry.max_retries = 2;
  HttpClient http(c);
  auto r = http.get_queue(kQueue);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 0);
  EXPECT_EQ(r.error().type, kTransportError);
  EXPECT_EQ(r.error().message.rfind("Connection", 0), 0u) << r.error().message;
  EXPECT_EQ(slept_.size(), 2u);
  auto attempts = http.log().snapshot();
  ASSERT_EQ(attempts.size(), 3u);
  EXPECT_FALSE(attempts[2].has_response());
  EXPECT_EQ(attempts[2].attempt, 3);
}

TEST_F(HttpClientTest, RetriesATimedOutAttemptAndSucceeds) {
  ClientConfig c = config();
  c.short_timeout = milliseconds(200);
  c.retry.grow_timeouts = false;
  HttpClient http(c);
  server_.push(Scripted{200, kQueueBody, {}, "application/json", milliseconds(700)});
  server_.push(200, kQueueBody);
  auto q = http.get_queue(kQueue);
  ASSERT_TRUE(q) << q.error().message;
  auto attempts = http.log().snapshot();
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[0].transport_error.rfind("Read", 0), 0u) << attempts[0].transport_error;
  EXPECT_EQ(attempts[1].status, 200);
  EXPECT_EQ(slept_.size(), 1u);
}

TEST_F(HttpClientTest, GrowsTheTimeoutOnEachAttempt) {
  ClientConfig c = config();
  c.short_timeout = milliseconds(200);  // attempts get 200, 400, 800 ms
  HttpClient http(c);
  for (int i = 0; i < 3; ++i)
    server_.push(Scripted{200, kQueueBody, {}, "application/json", milliseconds(600)});
  auto q = http.get_queue(kQueue);
  ASSERT_TRUE(q) << q.error().message;
  EXPECT_EQ(http.log().size(), 3u);
  EXPECT_EQ(http.log().last()->attempt, 3);
}

TEST(HttpClientKeepAliveTest, ReconnectsAfterTheServerClosedAnIdleConnection) {
  testing::ScriptedServer server;
  server.start(/*keep_alive_secs=*/1);
  server.set_default(Scripted{200, "{}"});
  ClientConfig c;
  c.base_url = server.base_url();
  HttpClient http(c);
  RawRequest raw{"GET", "/v2/request-queues"};  // one attempt only
  EXPECT_EQ(http.send(raw).status, 200);
  EXPECT_EQ(http.send(raw).status, 200);
  std::this_thread::sleep_for(milliseconds(2200));
  Exchange ex = http.send(raw);
  EXPECT_EQ(ex.status, 200) << ex.transport_error;
  server.stop();
}

TEST_F(HttpClientTest, RecordsExchangesWithTheTokenRedacted) {
  HttpClient http(config());
  std::vector<Exchange> observed;
  http.set_exchange_observer([&](const Exchange& ex) { observed.push_back(ex); });
  server_.push(Scripted{201, kAddBody, {{"X-RateLimit-Limit", "400"}}});
  ASSERT_TRUE(http.add_request(kQueue, Json{{"url", "u"}, {"uniqueKey", "u"}}));
  EXPECT_EQ(server_.last().header("Authorization"), std::string("Bearer ") + kToken);

  ASSERT_EQ(observed.size(), 1u);
  const Exchange& ex = observed[0];
  EXPECT_EQ(ex.sequence, 1u);
  EXPECT_EQ(ex.operation, Operation::kRequestsPost);
  EXPECT_EQ(ex.method, "POST");
  EXPECT_EQ(ex.target, std::string("/v2/request-queues/") + kQueue + "/requests");
  EXPECT_EQ(ex.url, "http://127.0.0.1:" + std::to_string(server_.port()) + ex.target);
  EXPECT_EQ(find_header(ex.request_headers, "authorization"), "Bearer <redacted>");
  EXPECT_EQ(find_header(ex.request_headers, "Content-Type"), "application/json");
  EXPECT_EQ(find_header(ex.request_headers, "User-Agent"), "rqcheck-client/0.1");
  EXPECT_TRUE(find_header(ex.request_headers, "Host"));  // headers as httplib sent them
  EXPECT_TRUE(find_header(ex.request_headers, "Content-Length"));
  EXPECT_EQ(Json::parse(ex.request_body), Json::parse(R"({"url":"u","uniqueKey":"u"})"));
  EXPECT_EQ(ex.status, 201);
  EXPECT_EQ(find_header(ex.response_headers, "x-ratelimit-limit"), "400");
  EXPECT_EQ(ex.response_body, kAddBody);
  EXPECT_EQ(ex.attempt, 1);
  EXPECT_GT(ex.started_at, 0);

  // A token in the query of a raw request is redacted as well.
  server_.push(200, "{}");
  RawRequest raw;
  raw.path = "/v2/request-queues?token=" + std::string(kToken) + "&limit=1";
  raw.send_token = false;
  Exchange sent = http.send(raw);
  EXPECT_EQ(sent.target, "/v2/request-queues?token=<redacted>&limit=1");
  EXPECT_FALSE(find_header(sent.request_headers, "Authorization"));
  EXPECT_EQ(server_.last().param("token"), kToken);
  for (const Exchange& e : http.log().snapshot()) {
    EXPECT_EQ(e.url.find(kToken), std::string::npos);
    for (const auto& [k, v] : e.request_headers) EXPECT_EQ(v.find(kToken), std::string::npos) << k;
  }
  EXPECT_EQ(observed.size(), 2u);
}

TEST_F(HttpClientTest, SendsRawRequestsAsGiven) {
  HttpClient http(config());
  server_.push(Scripted{400, R"({"error":{"type":"invalid-input","message":"bad json"}})"});
  RawRequest raw;
  raw.method = "POST";
  raw.path = std::string("/v2/request-queues/") + kQueue + "/requests/batch";
  raw.query = {{"clientKey", "a b"}};
  raw.headers = {{"Content-Type", "text/plain"}, {"X-Extra", "1"}};
  raw.body = "[not json";
  raw.operation = Operation::kRequestsBatchPost;
  Exchange ex = http.send(raw);
  EXPECT_EQ(ex.status, 400);
  EXPECT_EQ(error_from_exchange(ex).type, "invalid-input");
  auto r = server_.last();
  EXPECT_EQ(r.body, "[not json");
  EXPECT_EQ(r.header("Content-Type"), "text/plain");
  EXPECT_EQ(r.header("X-Extra"), "1");
  EXPECT_EQ(r.param("clientKey"), "a b");
  EXPECT_EQ(ex.target, raw.path + "?clientKey=a%20b");

  // Raw requests are sent once unless asked to retry.
  server_.push(429, "{}");
  EXPECT_EQ(http.send(RawRequest{"GET", "/v2/request-queues"}).status, 429);
  server_.push(429, "{}");
  server_.push(200, "{}");
  RawRequest retried{"GET", "/v2/request-queues"};
  retried.retry = true;
  auto attempts = http.send_all_attempts(retried);
  ASSERT_EQ(attempts.size(), 2u);
  EXPECT_EQ(attempts[1].status, 200);
}

class HttpClientCompressionTest : public HttpClientTest,
                                  public ::testing::WithParamInterface<BodyEncoding> {};

TEST_P(HttpClientCompressionTest, CompressesLargeBodiesTheServerCanDecode) {
  ClientConfig c = config();
  c.compression = GetParam();
  HttpClient http(c);
  std::vector<Json> items;
  for (int i = 0; i < 25; ++i) {
    std::string u = "http://example.com/page/" + std::to_string(i);
    items.push_back(Json{{"url", u}, {"uniqueKey", u}, {"userData", {{"label", "DETAIL"}}}});
  }
  server_.set_default(
      Scripted{201, R"({"data":{"processedRequests":[],"unprocessedRequests":[]}})"});
  ASSERT_TRUE(http.batch_add_requests(kQueue, items));
  auto r = server_.last();
  const std::string name(content_encoding_name(GetParam()));
  EXPECT_EQ(r.header("Content-Encoding"), name);
  EXPECT_EQ(Json::parse(r.body), Json(items));  // httplib's server decoded it
  EXPECT_LT(std::stoul(r.header("Content-Length")), r.body.size());
  auto ex = http.log().last();
  ASSERT_TRUE(ex);
  EXPECT_EQ(ex->content_encoding, name);
  EXPECT_EQ(ex->request_body_bytes, r.body.size());
  EXPECT_LT(ex->request_wire_bytes, ex->request_body_bytes);

  // Below the threshold bodies go out as they are.
  ASSERT_TRUE(http.batch_add_requests(kQueue, {items[0]}));
  EXPECT_EQ(server_.last().header("Content-Encoding"), "<absent>");
}

TEST_P(HttpClientCompressionTest, RawRequestsCompressOnRequest) {
  HttpClient http(config());
  server_.set_default(Scripted{201, "{}"});
  RawRequest raw{"POST", std::string("/v2/request-queues/") + kQueue + "/requests"};
  raw.body = R"({"url":"u","uniqueKey":"u"})";
  raw.encoding = GetParam();
  http.send(raw);
  EXPECT_EQ(server_.last().body, *raw.body);
  EXPECT_EQ(server_.last().header("Content-Encoding"), content_encoding_name(GetParam()));
}

INSTANTIATE_TEST_SUITE_P(Encodings, HttpClientCompressionTest,
                         ::testing::Values(BodyEncoding::kGzip, BodyEncoding::kDeflate,
                                           BodyEncoding::kBrotli));

TEST_F(HttpClientTest, FailsWithoutSendingWhenTheBaseUrlIsInvalid) {
  ClientConfig c = config();
  c.base_url = "ftp://example.com";
  HttpClient http(c);
  ASSERT_TRUE(http.config_error());
  auto q = http.get_queue(kQueue);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().type, kInvalidConfig);
  EXPECT_EQ(http.send(RawRequest{"GET", "/v2"}).transport_error.rfind("InvalidConfig", 0), 0u);
  EXPECT_EQ(http.log().size(), 0u);
}

TEST_F(HttpClientTest, SpeaksTlsForHttpsUrls) {
  // A TLS handshake against a plain HTTP server fails: proof the https path is compiled in.
  ClientConfig c = config();
  c.base_url = "https://127.0.0.1:" + std::to_string(server_.port());
  c.retry = RetryPolicy::none();
  HttpClient http(c);
  auto q = http.get_queue(kQueue);
  ASSERT_FALSE(q);
  EXPECT_EQ(q.error().status, 0);
  EXPECT_EQ(q.error().type, kTransportError);
  EXPECT_NE(q.error().message.find("SSL"), std::string::npos) << q.error().message;
}

TEST_F(HttpClientTest, ServesSeveralThreadsAtOnce) {
  HttpClient http(config());
  server_.set_default(Scripted{201, kAddBody});
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        std::string u = "http://x/" + std::to_string(t) + "/" + std::to_string(i);
        if (http.add_request(kQueue, Json{{"url", u}, {"uniqueKey", u}})) ++ok;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_EQ(http.log().total_recorded(), 100u);
  auto all = http.log().snapshot();
  std::set<std::uint64_t> seqs;
  for (const auto& e : all) seqs.insert(e.sequence);
  EXPECT_EQ(seqs.size(), 100u);
}

}  // namespace
}  // namespace rqcheck::client
