// Fault injection end to end: an in-process FakeServer on 127.0.0.1 port 0, driven over real
// connections with httplib::Client. Each action (error, partial, latency, dribble, reset, close,
// truncate, malformed, failAfterCommit) is checked for what the client sees and for what was or
// was not stored; each schedule kind fires on the calls docs/faults.md section 1.3 names; the
// admin API manages rules; the same seed and calls give the same fault log; the journal records
// dropped connections; and the compliance report tells a careless client from a careful one.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/fake_server/server.h"
#include "test_server.h"

namespace rqcheck::fake {
namespace {

constexpr const char* kToken = "token-alice";

using SteadyClock = std::chrono::steady_clock;

std::int64_t MsSince(SteadyClock::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(SteadyClock::now() - t0).count();
}

using test_support::ExpectError;

class FakeServerFaultHttpTest : public test_support::FakeServerFixture {
 protected:
  static FakeServerOptions Options() {
    FakeServerOptions o = BaseOptions();  // rate limits off: only the injected faults act
    o.fault_seed = 7;
    return o;
  }

  void SetUp() override { Start(Options()); }

  void Start(FakeServerOptions o) { StartServer(std::move(o)); }

  httplib::Result Send(const std::string& method, const std::string& path,
                       const std::string& body = "",
                       const std::string& content_type = "application/json") {
    // A fresh client per call: no keep-alive, so a dropped connection never leaks into the
    // next call.
    auto c = MakeClient(false, 10);
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    if (path.rfind("/__admin", 0) != 0)
      req.headers.emplace("Authorization", std::string("Bearer ") + kToken);
    if (!body.empty()) req.headers.emplace("Content-Type", content_type);
    return c->send(req);
  }

  std::string CreateQueue(const std::string& name = "faults") {
    auto r = Send("POST", "/v2/request-queues?name=" + name);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 201) << r->body;
    return Body(r)["data"]["id"].get<std::string>();
  }

  static std::vector<std::string> Keys(const std::string& prefix, int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(prefix + std::to_string(i));
    return out;
  }

  // Adds rules through the admin API: a shorthand line (text/plain) or a JSON document.
  std::vector<std::string> AddFaults(const std::string& shorthand) {
    auto r = Send("POST", "/__admin/faults", shorthand, "text/plain");
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 201) << r->body;
    return Body(r)["data"]["ids"].get<std::vector<std::string>>();
  }
  std::vector<std::string> AddFaultsJson(const std::string& json) {
    auto r = Send("POST", "/__admin/faults", json);
    EXPECT_TRUE(r);
    if (!r) return {};
    EXPECT_EQ(r->status, 201) << r->body;
    return Body(r)["data"]["ids"].get<std::vector<std::string>>();
  }

  // 200: the request is stored; 404: it is not.
  int RequestStatus(const std::string& q, const std::string& unique_key) {
    auto r = Send("GET", Q(q, "/requests/" + request_id_for(unique_key)));
    EXPECT_TRUE(r) << httplib::to_string(r.error());
    return r ? r->status : -1;
  }

  std::int64_t TotalRequests(const std::string& q) {
    auto r = Send("GET", Q(q));
    EXPECT_TRUE(r);
    if (!r) return -1;
    EXPECT_EQ(r->status, 200) << r->body;
    return Body(r)["data"]["totalRequestCount"].get<std::int64_t>();
  }

  // Sends GET queue `n` times; the 1-based numbers of the calls that did not answer 200.
  std::vector<int> FailingQueueGets(const std::string& q, int n) {
    std::vector<int> out;
    for (int i = 1; i <= n; ++i) {
      auto r = Send("GET", Q(q));
      if (!r || r->status != 200) out.push_back(i);
    }
    return out;
  }

  Json AdminGet(const std::string& path) {
    auto r = Send("GET", path);
    EXPECT_TRUE(r);
    if (!r) return Json();
    EXPECT_EQ(r->status, 200) << r->body;
    return Body(r)["data"];
  }

  Json Journal(const std::string& query) {
    return AdminGet("/__admin/journal?" + query)["entries"];
  }
};

// ---- actions
// ---------------------------------------------------------------------------------------

TEST_F(FakeServerFaultHttpTest, Error429AnswersTheEnvelopeWithRetryAfterAndStoresNothing) {
  std::string q = CreateQueue();
  AddFaultsJson(R"({"id":"rl","match":{"operation":"add"},
                    "action":{"type":"error","status":429,"retryAfterSecs":3},
                    "schedule":{"nth":[1]}})");
  auto r = Send("POST", Q(q, "/requests"), AddBody("a"));
  ExpectError(r, 429, "rate-limit-exceeded");
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("400"), std::string::npos)
      << "a 429 on add names the single-request limit: " << r->body;
  EXPECT_EQ(r->get_header_value("Retry-After"), "3");
  EXPECT_EQ(r->get_header_value("X-RateLimit-Limit"), "400");
  EXPECT_EQ(RequestStatus(q, "a"), 404) << "an error answer comes before any work";
  EXPECT_EQ(TotalRequests(q), 0);
  // The retry (the rule's call 2) goes through and is the first write.
  r = Send("POST", Q(q, "/requests"), AddBody("a"));
  ASSERT_STATUS(r, 201);
  EXPECT_EQ(Body(r)["data"]["wasAlreadyPresent"], false);

  // Without retryAfterSecs there is no Retry-After; a batch 429 names the batch limit (40).
  AddFaults("429@nth=1:batch_add");
  r = Send("POST", Q(q, "/requests/batch"), BatchBody({"b", "c"}));
  ExpectError(r, 429, "rate-limit-exceeded");
  EXPECT_FALSE(r->has_header("Retry-After"));
  EXPECT_EQ(r->get_header_value("X-RateLimit-Limit"), "40");
  EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find("40 "), std::string::npos)
      << r->body;
  EXPECT_EQ(RequestStatus(q, "b"), 404);
  EXPECT_EQ(RequestStatus(q, "c"), 404);
  EXPECT_EQ(TotalRequests(q), 1);
}

TEST_F(FakeServerFaultHttpTest, Error5xxAnswersTheEnvelopeAndStoresNothing) {
  std::string q = CreateQueue();
  AddFaults("500@nth=1:add; 503@nth=2:add");
  AddFaultsJson(R"({"id":"gw","match":{"operation":"add"},
                    "action":{"type":"error","status":502,"errorType":"bad-gateway","message":"upstream"},
                    "schedule":{"nth":[3]}})");
  ExpectError(Send("POST", Q(q, "/requests"), AddBody("a")), 500, "internal-server-error");
  ExpectError(Send("POST", Q(q, "/requests"), AddBody("a")), 503, "service-unavailable");
  auto r = Send("POST", Q(q, "/requests"), AddBody("a"));
  ExpectError(r, 502, "bad-gateway");
  EXPECT_EQ(Body(r)["error"]["message"], "upstream");
  EXPECT_EQ(RequestStatus(q, "a"), 404);
  EXPECT_EQ(TotalRequests(q), 0);
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  EXPECT_EQ(RequestStatus(q, "a"), 200);
  // A 502 needs an errorType: the catalogue has none for it.
  auto bad = Send("POST", "/__admin/faults", R"({"action":{"type":"error","status":502}})");
  ExpectError(bad, 400, "invalid-input");
}

TEST_F(FakeServerFaultHttpTest, PartialBatchLeavesTheChosenItemsUnprocessedAndUnstored) {
  std::string q = CreateQueue();
  AddFaultsJson(R"({"id":"p","match":{"operation":"batch_add"},
                    "action":{"type":"partial","count":2,"pick":"first"},"schedule":{"nth":[1]}})");
  auto keys = Keys("k", 5);
  auto r = Send("POST", Q(q, "/requests/batch"), BatchBody(keys));
  ASSERT_STATUS(r, 201);  // the call still succeeds (spec 1.2, 6.6)
  Json data = Body(r)["data"];
  ASSERT_EQ(data["unprocessedRequests"].size(), 2u) << data.dump();
  ASSERT_EQ(data["processedRequests"].size(), 3u) << data.dump();
  EXPECT_EQ(data["unprocessedRequests"][0]["uniqueKey"], "k0");
  EXPECT_EQ(data["unprocessedRequests"][1]["uniqueKey"], "k1");
  EXPECT_EQ(data["unprocessedRequests"][0]["url"], "http://example.com/k0");
  std::set<std::string> processed;
  for (const auto& p : data["processedRequests"]) {
    processed.insert(p["uniqueKey"].get<std::string>());
    EXPECT_EQ(p["requestId"], request_id_for(p["uniqueKey"].get<std::string>()));
    EXPECT_EQ(p["wasAlreadyPresent"], false);
  }
  EXPECT_EQ(processed, (std::set<std::string>{"k2", "k3", "k4"}));
  EXPECT_EQ(RequestStatus(q, "k0"), 404);
  EXPECT_EQ(RequestStatus(q, "k1"), 404);
  for (const char* k : {"k2", "k3", "k4"}) EXPECT_EQ(RequestStatus(q, k), 200) << k;
  EXPECT_EQ(TotalRequests(q), 3);
  // Resending the unprocessed ones stores them.
  r = Send("POST", Q(q, "/requests/batch"), BatchBody({"k0", "k1"}));
  ASSERT_STATUS(r, 201);
  EXPECT_TRUE(Body(r)["data"]["unprocessedRequests"].empty());
  EXPECT_EQ(TotalRequests(q), 5);

  // partial=all on a batch delete: nothing is deleted, everything comes back.
  AddFaults("partial=all@nth=1:batch_delete");
  Json del = Json::array({Json{{"uniqueKey", "k2"}}, Json{{"uniqueKey", "k3"}}});
  r = Send("DELETE", Q(q, "/requests/batch"), del.dump());
  ASSERT_STATUS(r, 200);
  EXPECT_EQ(Body(r)["data"]["unprocessedRequests"].size(), 2u) << r->body;
  EXPECT_EQ(RequestStatus(q, "k2"), 200);
  EXPECT_EQ(TotalRequests(q), 5);
  // Random picks (the default) choose round(fraction * n) items, seeded.
  AddFaults("partial=40%@nth=2:batch_add");
  ASSERT_STATUS(Send("POST", Q(q, "/requests/batch"), BatchBody(Keys("x", 5))),
                201);  // rule call 1
  r = Send("POST", Q(q, "/requests/batch"), BatchBody(Keys("y", 5)));
  ASSERT_STATUS(r, 201);
  EXPECT_EQ(Body(r)["data"]["unprocessedRequests"].size(), 2u) << r->body;
  EXPECT_EQ(TotalRequests(q), 13);
}

TEST_F(FakeServerFaultHttpTest, LatencyDelaysTheAnswerByAtLeastTheFixedDelay) {
  std::string q = CreateQueue();
  AddFaults("latency=250ms@nth=1:get_queue");
  auto t0 = SteadyClock::now();
  ASSERT_STATUS(Send("GET", Q(q)), 200);
  EXPECT_GE(MsSince(t0), 250);
  // Latency combines with a primary action: both act, the journal says "error+latency".
  AddFaults("latency=100ms@nth=1:add; 503@nth=1:add");
  t0 = SteadyClock::now();
  ExpectError(Send("POST", Q(q, "/requests"), AddBody("a")), 503, "service-unavailable");
  EXPECT_GE(MsSince(t0), 100);
  Json faulted = Journal("faulted=true");
  ASSERT_EQ(faulted.size(), 2u) << faulted.dump();
  EXPECT_EQ(faulted[0]["fault"]["action"], "latency");
  EXPECT_EQ(faulted[0]["fault"]["rule"], "latency=250ms@nth=1:get_queue");
  EXPECT_EQ(faulted[1]["fault"]["action"], "error+latency");
  EXPECT_EQ(faulted[1]["fault"]["rule"], "503@nth=1:add");
  EXPECT_GE(faulted[0]["durationMs"].get<std::int64_t>(), 250);
}

TEST_F(FakeServerFaultHttpTest, DribbleDeliversTheWholeBodySlowly) {
  std::string q = CreateQueue();
  auto plain = Send("GET", Q(q));
  ASSERT_STATUS(plain, 200);
  AddFaults("dribble=64/40ms@nth=1:get_queue");
  auto t0 = SteadyClock::now();
  auto r = Send("GET", Q(q));
  auto elapsed = MsSince(t0);
  ASSERT_STATUS(r, 200);
  Json body = Body(r);
  ASSERT_TRUE(body.is_object());
  EXPECT_EQ(body["data"]["id"], q);
  EXPECT_EQ(r->body.size(), plain->body.size()) << "the dribbled body arrives intact";
  std::int64_t pauses = static_cast<std::int64_t>((r->body.size() + 63) / 64) - 1;
  ASSERT_GT(pauses, 2);
  EXPECT_GE(elapsed, pauses * 40) << r->body.size() << " bytes in 64-byte chunks";
}

// With one request computed at once (FakeServerOptions::running), a call that waits inside the
// fake (a latency fault, a dribbled answer) gives its turn up: another call is answered while the
// delayed one still waits, not after it.
TEST_F(FakeServerFaultHttpTest, ADelayedCallHoldsUpNoOtherWhenOneRequestRunsAtOnce) {
  FakeServerOptions o = Options();
  o.running = 1;
  Start(std::move(o));
  std::string q = CreateQueue();
  for (const char* rule : {"latency=1500ms@nth=1:get_queue", "dribble=48/120ms@nth=1:get_queue"}) {
    SCOPED_TRACE(rule);
    AddFaults(rule);
    std::atomic<bool> slow_done{false};
    std::int64_t slow_ms = -1;
    std::thread slow([&] {
      auto t0 = SteadyClock::now();
      auto r = Send("GET", Q(q));
      if (r && r->status == 200) slow_ms = MsSince(t0);
      slow_done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the slow call is waiting
    auto t0 = SteadyClock::now();
    auto fast = Send("GET", "/v2/request-queues");  // another operation: no fault matches it
    std::int64_t fast_ms = MsSince(t0);
    bool slow_was_done = slow_done;
    slow.join();
    ASSERT_STATUS(fast, 200);
    EXPECT_FALSE(slow_was_done) << "the other call waited for the delayed one";
    EXPECT_LT(fast_ms, 700);
    EXPECT_GE(slow_ms, 1000) << "the fault did not act";
  }
}

// Turns are first come, first served: a keep-alive client that sends its next request the moment
// it has the answer does not keep the one running worker while another connection waits.
TEST_F(FakeServerFaultHttpTest, ABusyKeepAliveClientDoesNotKeepTheOnlyTurn) {
  FakeServerOptions o = Options();
  o.running = 1;
  Start(std::move(o));
  std::string q = CreateQueue();
  std::atomic<bool> stop{false};
  std::atomic<int> busy_calls{0};
  std::thread busy([&] {
    auto c = MakeClient(true, 10);
    httplib::Headers h{{"Authorization", std::string("Bearer ") + kToken}};
    auto until = SteadyClock::now() + std::chrono::seconds(3);
    while (!stop && SteadyClock::now() < until) {
      auto r = c->Get(Q(q), h);
      if (r && r->status == 200) ++busy_calls;
    }
  });
  while (busy_calls < 50) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto t0 = SteadyClock::now();
  auto other = Send("GET", "/v2/request-queues");
  std::int64_t other_ms = MsSince(t0);
  stop = true;
  busy.join();
  ASSERT_STATUS(other, 200);
  EXPECT_LT(other_ms, 250) << "the other connection waited for the busy one to pause";
}

TEST_F(FakeServerFaultHttpTest, ResetAndCloseDropTheConnectionBeforeAnyAnswerAndStoreNothing) {
  std::string q = CreateQueue();
  AddFaults("reset@nth=1:add; close@nth=2:add; reset@nth=1:batch_add");
  auto r = Send("POST", Q(q, "/requests"), AddBody("a"));
  EXPECT_FALSE(r) << "a reset must not answer, got " << (r ? r->status : 0);
  r = Send("POST", Q(q, "/requests"), AddBody("a"));
  EXPECT_FALSE(r) << "a close must not answer, got " << (r ? r->status : 0);
  r = Send("POST", Q(q, "/requests/batch"), BatchBody({"b", "c"}));
  EXPECT_FALSE(r) << "a reset must not answer, got " << (r ? r->status : 0);
  EXPECT_EQ(RequestStatus(q, "a"), 404);
  EXPECT_EQ(RequestStatus(q, "b"), 404);
  EXPECT_EQ(TotalRequests(q), 0);
  // The server is fine afterwards.
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  EXPECT_EQ(TotalRequests(q), 1);
}

TEST_F(FakeServerFaultHttpTest, TruncatedAnswerFailsTheClientButTheWriteHappened) {
  std::string q = CreateQueue();
  AddFaults("truncate=10@nth=1:add; truncate=50%@nth=1:batch_add");
  auto r = Send("POST", Q(q, "/requests"), AddBody("a"));
  bool failed = !r || Json::parse(r->body, nullptr, false).is_discarded();
  EXPECT_TRUE(failed) << "a truncated body must not read as a whole answer";
  if (r) {
    EXPECT_LT(r->body.size(), 40u);
  }
  EXPECT_EQ(RequestStatus(q, "a"), 200) << "truncate is applied after the work";
  r = Send("POST", Q(q, "/requests/batch"), BatchBody({"b", "c"}));
  failed = !r || Json::parse(r->body, nullptr, false).is_discarded();
  EXPECT_TRUE(failed);
  EXPECT_EQ(RequestStatus(q, "b"), 200);
  EXPECT_EQ(RequestStatus(q, "c"), 200);
  EXPECT_EQ(TotalRequests(q), 3);
}

TEST_F(FakeServerFaultHttpTest, MalformedAnswerIs2xxWithAnUnparsableBodyButTheWriteHappened) {
  std::string q = CreateQueue();
  AddFaults("malformed@nth=1:add; malformed@nth=1:delete");
  auto r = Send("POST", Q(q, "/requests"), AddBody("a"));
  ASSERT_STATUS(r, 201);
  EXPECT_TRUE(Json::parse(r->body, nullptr, false).is_discarded()) << r->body;
  EXPECT_NE(r->body.find(request_id_for("a")), std::string::npos)
      << "it still looks like the answer";
  EXPECT_EQ(RequestStatus(q, "a"), 200);
  // A 204 becomes a 200 with a broken body; the delete happened.
  r = Send("DELETE", Q(q, "/requests/" + request_id_for("a")));
  ASSERT_STATUS(r, 200);
  EXPECT_TRUE(Json::parse(r->body, nullptr, false).is_discarded()) << r->body;
  EXPECT_EQ(RequestStatus(q, "a"), 404);
}

TEST_F(FakeServerFaultHttpTest, FailAfterCommitWith5xxStoresTheWriteAndTheRetryIsDeduplicated) {
  std::string q = CreateQueue();
  AddFaults("commit503@nth=1:add; commit@nth=1:batch_add");
  auto r = Send("POST", Q(q, "/requests"), AddBody("a"));
  ExpectError(r, 503, "service-unavailable");
  EXPECT_EQ(RequestStatus(q, "a"), 200) << "the work is done before the failure";
  r = Send("POST", Q(q, "/requests"), AddBody("a"));
  ASSERT_STATUS(r, 201);
  EXPECT_EQ(Body(r)["data"]["wasAlreadyPresent"], true);
  EXPECT_EQ(TotalRequests(q), 1);

  r = Send("POST", Q(q, "/requests/batch"), BatchBody({"b", "c"}));
  ExpectError(r, 500, "internal-server-error");
  EXPECT_EQ(TotalRequests(q), 3);
  r = Send("POST", Q(q, "/requests/batch"), BatchBody({"b", "c"}));
  ASSERT_STATUS(r, 201);
  Json again = Body(r)["data"]["processedRequests"];
  ASSERT_EQ(again.size(), 2u);
  for (const auto& p : again) EXPECT_EQ(p["wasAlreadyPresent"], true) << p.dump();
  EXPECT_EQ(TotalRequests(q), 3) << "the resend created no duplicate";
}

TEST_F(FakeServerFaultHttpTest, FailAfterCommitWithDropClosesTheConnectionAfterTheWrite) {
  std::string q = CreateQueue();
  AddFaults("commit=drop@nth=1:add");
  auto r = Send("POST", Q(q, "/requests"), AddBody("a"));
  EXPECT_FALSE(r) << "a dropped connection must not answer, got " << (r ? r->status : 0);
  EXPECT_EQ(RequestStatus(q, "a"), 200);
  r = Send("POST", Q(q, "/requests"), AddBody("a"));
  ASSERT_STATUS(r, 201);
  EXPECT_EQ(Body(r)["data"]["wasAlreadyPresent"], true);
  EXPECT_EQ(TotalRequests(q), 1);
  Json dropped = Journal("status=0");
  ASSERT_EQ(dropped.size(), 1u) << dropped.dump();
  EXPECT_EQ(dropped[0]["fault"]["action"], "failAfterCommit");
}

// docs/faults.md 1.2: failAfterCommit takes retryAfterSecs like an error action.
TEST_F(FakeServerFaultHttpTest, FailAfterCommitSendsRetryAfterWhenConfigured) {
  std::string q = CreateQueue();
  AddFaultsJson(R"({"id":"c","match":{"operation":"add"},
                    "action":{"type":"failAfterCommit","status":503,"retryAfterSecs":2},
                    "schedule":{"nth":[1]}})");
  auto r = Send("POST", Q(q, "/requests"), AddBody("a"));
  ExpectError(r, 503, "service-unavailable");
  EXPECT_EQ(r->get_header_value("Retry-After"), "2");
  EXPECT_EQ(RequestStatus(q, "a"), 200);
}

// ---- schedules
// --------------------------------------------------------------------------------------

TEST_F(FakeServerFaultHttpTest, NthScheduleFiresOnTheListedCalls) {
  std::string q = CreateQueue();
  AddFaults("503@nth=2,5:get_queue");
  EXPECT_EQ(FailingQueueGets(q, 7), (std::vector<int>{2, 5}));
}

TEST_F(FakeServerFaultHttpTest, EveryScheduleFiresOnEveryNthCall) {
  std::string q = CreateQueue();
  AddFaults("429@every=3:get_queue");
  EXPECT_EQ(FailingQueueGets(q, 10), (std::vector<int>{3, 6, 9}));
}

TEST_F(FakeServerFaultHttpTest, FirstScheduleFiresOnTheFirstCalls) {
  std::string q = CreateQueue();
  AddFaults("500@first=2:GET");  // a method target: every GET counts
  EXPECT_EQ(FailingQueueGets(q, 5), (std::vector<int>{1, 2}));
}

TEST_F(FakeServerFaultHttpTest, AfterScheduleAndMaxFiresBoundTheFiringCalls) {
  std::string q = CreateQueue();
  AddFaults("429@after=3&max=2:get_queue");
  EXPECT_EQ(FailingQueueGets(q, 8), (std::vector<int>{4, 5}));
  AddFaults("429@every=2&after=4:add");  // docs 1.3: calls 6, 8, 10, ...
  std::vector<int> failing;
  for (int i = 1; i <= 10; ++i) {
    auto r = Send("POST", Q(q, "/requests"), AddBody("k" + std::to_string(i)));
    if (!r || r->status != 201) failing.push_back(i);
  }
  EXPECT_EQ(failing, (std::vector<int>{6, 8, 10}));
}

TEST_F(FakeServerFaultHttpTest, ProbabilityScheduleIsSeeded) {
  std::string q = CreateQueue();
  AddFaults("503@p=0.5:get_queue");
  std::vector<int> first = FailingQueueGets(q, 40);
  EXPECT_GT(first.size(), 5u);
  EXPECT_LT(first.size(), 35u);
  Json rules = AdminGet("/__admin/faults")["rules"];
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]["calls"], 40);
  EXPECT_EQ(rules[0]["fires"], first.size());
  // The same seed on a new server: the same calls fail. Another seed: others.
  Start(Options());
  q = CreateQueue();
  AddFaults("503@p=0.5:get_queue");
  EXPECT_EQ(FailingQueueGets(q, 40), first);
  FakeServerOptions other = Options();
  other.fault_seed = 8;
  Start(other);
  q = CreateQueue();
  AddFaults("503@p=0.5:get_queue");
  EXPECT_NE(FailingQueueGets(q, 40), first);
}

TEST_F(FakeServerFaultHttpTest, WindowScheduleFollowsTheVirtualClock) {
  FakeServerOptions o = Options();
  o.virtual_clock = true;
  Start(o);
  std::string q = CreateQueue();
  AddFaults("503@window=10s-20s:get_queue");
  EXPECT_EQ(FailingQueueGets(q, 2), std::vector<int>{});
  server_->advance_clock(10000);  // t = 10 s: inside
  EXPECT_EQ(FailingQueueGets(q, 2), (std::vector<int>{1, 2}));
  server_->advance_clock(9999);  // t = 19.999 s: inside
  EXPECT_EQ(FailingQueueGets(q, 1), (std::vector<int>{1}));
  server_->advance_clock(1);  // t = 20 s: outside ([from, to))
  EXPECT_EQ(FailingQueueGets(q, 2), std::vector<int>{});
  // Calls outside the window are not counted.
  Json rules = AdminGet("/__admin/faults")["rules"];
  ASSERT_EQ(rules.size(), 1u);
  EXPECT_EQ(rules[0]["calls"], 3);
  EXPECT_EQ(rules[0]["fires"], 3);
  // The same through the clock admin API.
  AddFaults("429@window=30s-31s:get_queue");
  auto r = Send("POST", "/__admin/clock", R"({"advanceMs":10000})");
  ASSERT_STATUS(r, 200);
  auto g = Send("GET", Q(q));
  ASSERT_TRUE(g);
  EXPECT_EQ(g->status, 429);
}

TEST_F(FakeServerFaultHttpTest, BurstScheduleFiresInRuns) {
  std::string q = CreateQueue();
  AddFaults("429@burst=3/at=2:get_queue");
  EXPECT_EQ(FailingQueueGets(q, 7), (std::vector<int>{2, 3, 4}));
  // Random starts: every run of failures is made of whole bursts of 4 (one may be cut off by
  // the last call).
  Start(Options());
  q = CreateQueue();
  AddFaults("503@burst=4/15%:get_queue");
  const int n = 60;
  std::vector<int> failing = FailingQueueGets(q, n);
  ASSERT_FALSE(failing.empty()) << "seed 7 starts at least one burst in 60 calls";
  std::vector<int> runs;
  for (std::size_t i = 0; i < failing.size(); ++i) {
    if (i == 0 || failing[i] != failing[i - 1] + 1) runs.push_back(0);
    ++runs.back();
  }
  for (std::size_t i = 0; i < runs.size(); ++i) {
    bool last_reaches_end = i + 1 == runs.size() && failing.back() == n;
    if (!last_reaches_end) {
      EXPECT_EQ(runs[i] % 4, 0) << "run " << i << " of " << runs[i] << " calls";
    }
  }
}

// ---- admin API
// -------------------------------------------------------------------------------------

TEST_F(FakeServerFaultHttpTest, AdminApiAddsListsAndRemovesFaultRules) {
  std::string q = CreateQueue();
  auto ids = AddFaultsJson(R"({"rules":[
      {"id":"rl","match":{"operation":"batch_add"},"action":{"type":"error","status":429},
       "schedule":{"probability":0.3}},
      {"match":{"path":"/head$"},"action":{"type":"reset"}}]})");
  EXPECT_EQ(ids, (std::vector<std::string>{"rl", "rule-1"}));
  ids = AddFaults("latency=1ms:get_queue; 503@nth=1:add");
  EXPECT_EQ(ids, (std::vector<std::string>{"latency=1ms:get_queue", "503@nth=1:add"}));
  ids = AddFaultsJson(R"({"id":"one","action":{"type":"malformed"},"schedule":{"nth":5}})");
  EXPECT_EQ(ids, std::vector<std::string>{"one"});

  Json list = AdminGet("/__admin/faults");
  EXPECT_EQ(list["seed"], 7);
  ASSERT_EQ(list["rules"].size(), 5u);
  std::vector<std::string> listed;
  for (const auto& r : list["rules"]) {
    listed.push_back(r["id"]);
    EXPECT_TRUE(r.contains("action")) << r.dump();
    EXPECT_EQ(r["calls"], 0);
    EXPECT_EQ(r["fires"], 0);
  }
  EXPECT_EQ(listed, (std::vector<std::string>{"rl", "rule-1", "latency=1ms:get_queue",
                                              "503@nth=1:add", "one"}));
  EXPECT_EQ(list["rules"][0]["match"]["operation"], "batch_add");

  // Refusals: a duplicate id, a bad field (named), a bad shorthand; all or nothing.
  auto bad = Send("POST", "/__admin/faults", R"({"id":"rl","action":{"type":"reset"}})");
  ExpectError(bad, 400, "invalid-input");
  bad = Send("POST", "/__admin/faults", R"([{"id":"ok","action":{"type":"reset"}},
                                            {"id":"no","action":{"type":"error","status":302}}])");
  ExpectError(bad, 400, "invalid-input");
  EXPECT_NE(Body(bad)["error"]["message"].get<std::string>().find("action.status"),
            std::string::npos)
      << bad->body;
  bad = Send("POST", "/__admin/faults", "429@sometimes:add", "text/plain");
  ExpectError(bad, 400, "invalid-input");
  bad = Send("POST", "/__admin/faults", R"({"action":{"type":"reset"},"shedule":{}})");
  ExpectError(bad, 400, "invalid-input");
  EXPECT_EQ(AdminGet("/__admin/faults")["rules"].size(), 5u)
      << "nothing of a refused load was added";

  // DELETE one, an unknown one, then all.
  auto d = Send("DELETE", "/__admin/faults/rl");
  ASSERT_STATUS(d, 204);
  ExpectError(Send("DELETE", "/__admin/faults/rl"), 404, "record-not-found");
  list = AdminGet("/__admin/faults");
  ASSERT_EQ(list["rules"].size(), 4u);
  EXPECT_EQ(list["rules"][0]["id"], "rule-1");
  ASSERT_STATUS(Send("DELETE", "/__admin/faults"), 204);
  EXPECT_TRUE(AdminGet("/__admin/faults")["rules"].empty());
  // With no rules, nothing fires.
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  ASSERT_STATUS(Send("GET", Q(q, "/head")), 200);
}

TEST_F(FakeServerFaultHttpTest, FaultLogListsEveryFaultThatActed) {
  std::string q = CreateQueue();
  AddFaults("503@nth=2:get_queue; partial=1@nth=1:batch_add");
  ASSERT_STATUS(Send("GET", Q(q)), 200);
  ExpectError(Send("GET", Q(q)), 503, "service-unavailable");
  ASSERT_STATUS(Send("POST", Q(q, "/requests/batch"), BatchBody({"a", "b"})), 201);
  Json log = AdminGet("/__admin/faults/log");
  EXPECT_EQ(log["seed"], 7);
  EXPECT_EQ(log["dropped"], 0);
  Json entries = log["entries"];
  ASSERT_EQ(entries.size(), 2u) << log.dump();
  EXPECT_EQ(entries[0]["rule"], "503@nth=2:get_queue");
  EXPECT_EQ(entries[0]["ruleCall"], 2);
  EXPECT_EQ(entries[0]["action"], "error");
  EXPECT_EQ(entries[0]["method"], "GET");
  EXPECT_EQ(entries[0]["path"], Q(q));
  EXPECT_EQ(entries[0]["operation"], "requestQueue_get");
  EXPECT_EQ(entries[0]["call"], 2) << "the engine's global call number (the first GET was call 1)";
  EXPECT_EQ(entries[1]["rule"], "partial=1@nth=1:batch_add");
  EXPECT_EQ(entries[1]["action"], "partial");
  EXPECT_EQ(entries[1]["call"], 3);
  EXPECT_EQ(entries[1]["operation"], "requestQueue_requests_batch_post");
  EXPECT_TRUE(entries[1]["at"].is_string());
  // `seq` names the journal entry of the faulted call.
  for (const auto& e : entries) {
    Json j = Journal("since=" + std::to_string(e["seq"].get<std::uint64_t>() - 1) + "&limit=1");
    ASSERT_EQ(j.size(), 1u);
    EXPECT_EQ(j[0]["seq"], e["seq"]);
    EXPECT_EQ(j[0]["fault"]["rule"], e["rule"]);
  }
}

// ---- reproducibility ---------------------------------------------------------------------------

using LogRow = std::tuple<std::uint64_t, std::string, std::uint64_t, std::string>;

TEST_F(FakeServerFaultHttpTest, SameSeedAndCallsGiveIdenticalFaultLogsAndAnotherSeedDiffers) {
  auto run = [this](std::uint64_t seed) {
    FakeServerOptions o = Options();
    o.fault_seed = seed;
    Start(o);
    std::string q = CreateQueue("repro");
    AddFaults("429@30%; partial=40%@50%:batch_add; 503@p=0.2:get_queue; reset@p=0.1:add");
    std::vector<int> statuses;
    auto note = [&](const httplib::Result& r) { statuses.push_back(r ? r->status : 0); };
    for (int i = 0; i < 8; ++i) {
      note(
          Send("POST", Q(q, "/requests/batch"), BatchBody(Keys("b" + std::to_string(i) + "-", 5))));
      note(Send("GET", Q(q)));
      note(Send("POST", Q(q, "/requests"), AddBody("a" + std::to_string(i))));
    }
    std::vector<LogRow> rows;
    Json log = AdminGet("/__admin/faults/log")["entries"];
    for (const auto& e : log) {
      rows.emplace_back(e["call"].get<std::uint64_t>(), e["rule"].get<std::string>(),
                        e["ruleCall"].get<std::uint64_t>(), e["action"].get<std::string>());
    }
    // What the faults left in the store (listed with the rules gone).
    EXPECT_TRUE(Send("DELETE", "/__admin/faults"));
    auto list = Send("GET", Q(q, "/requests?limit=1000"));
    std::set<std::string> stored;
    EXPECT_TRUE(list && list->status == 200);
    if (list && list->status == 200) {
      Json items = Body(list)["data"]["items"];
      for (const auto& it : items) stored.insert(it["uniqueKey"].get<std::string>());
    }
    return std::make_tuple(rows, statuses, stored);
  };
  auto [log1, st1, stored1] = run(11);
  auto [log2, st2, stored2] = run(11);
  ASSERT_GT(log1.size(), 4u) << "the rules should have acted";
  std::set<std::string> actions;
  for (const auto& row : log1) actions.insert(std::get<3>(row));
  EXPECT_TRUE(actions.count("error")) << "expected some 429/503 faults";
  EXPECT_TRUE(actions.count("partial")) << "expected some partial batches";
  EXPECT_EQ(log1, log2);
  EXPECT_EQ(st1, st2);
  EXPECT_EQ(stored1, stored2);
  auto [log3, st3, stored3] = run(12);
  EXPECT_NE(log1, log3) << "another seed must meet other faults";
}

// ---- journal
// -----------------------------------------------------------------------------------------

TEST_F(FakeServerFaultHttpTest, JournalRecordsDroppedConnectionsAsStatusZeroWithTheFault) {
  std::string q = CreateQueue();
  AddFaults("reset@nth=1:add; close@nth=1:get_queue; 429@nth=1:batch_add");
  EXPECT_FALSE(Send("POST", Q(q, "/requests"), AddBody("a")));
  EXPECT_FALSE(Send("GET", Q(q)));
  ExpectError(Send("POST", Q(q, "/requests/batch"), BatchBody({"b"})), 429, "rate-limit-exceeded");
  Json dropped = Journal("status=0");
  ASSERT_EQ(dropped.size(), 2u) << dropped.dump();
  EXPECT_EQ(dropped[0]["operation"], "requestQueue_requests_post");
  EXPECT_EQ(dropped[0]["fault"]["rule"], "reset@nth=1:add");
  EXPECT_EQ(dropped[0]["fault"]["action"], "reset");
  EXPECT_EQ(dropped[0]["itemKeys"], Json::array({"a"}));
  EXPECT_EQ(dropped[1]["operation"], "requestQueue_get");
  EXPECT_EQ(dropped[1]["fault"]["action"], "close");
  Json limited = Journal("status=429");
  ASSERT_EQ(limited.size(), 1u);
  EXPECT_EQ(limited[0]["errorType"], "rate-limit-exceeded");
  EXPECT_EQ(limited[0]["fault"]["rule"], "429@nth=1:batch_add");
  EXPECT_EQ(limited[0]["fault"]["action"], "error");
  Json faulted = Journal("faulted=true");
  EXPECT_EQ(faulted.size(), 3u);
  // Unfaulted calls carry fault: null.
  Json all = Journal("operation=create_queue");
  ASSERT_EQ(all.size(), 1u);
  EXPECT_TRUE(all[0]["fault"].is_null());
}

// ---- compliance report
// -----------------------------------------------------------------------------

Json ClientEntry(const Json& report, const std::string& client_key) {
  for (const auto& c : report["clients"]) {
    if (c["clientKey"].is_string() && c["clientKey"] == client_key) return c;
  }
  return Json();
}

// A client that pages with a misspelt parameter gets page 1 again and again, and the API says
// nothing: the report names the parameter and the documented one it most likely meant. The
// call itself is served as the API serves it (the parameter ignored).
TEST_F(FakeServerFaultHttpTest, ReportNamesUndefinedQueryParametersWithTheirDocumentedNames) {
  Start(Options());
  std::string q = CreateQueue();
  ASSERT_STATUS(Send("POST", Q(q, "/requests?clientKey=snake"), AddBody("a")), 201);
  auto r = Send("GET", Q(q, "/requests?clientKey=snake&limit=1&exclusive_start_id=x"));
  ASSERT_STATUS(r, 200);
  EXPECT_EQ(Body(r)["data"]["items"].size(), 1u);  // ignored, as the API ignores it
  ASSERT_STATUS(Send("GET", Q(q, "/head?clientKey=snake&lmit=2")), 200);
  ASSERT_STATUS(Send("GET", Q(q, "/head?clientKey=exact")), 200);
  Json report = AdminGet("/__admin/report");
  Json snake = ClientEntry(report, "snake");
  ASSERT_TRUE(snake.is_object()) << report.dump(2);
  std::vector<std::string> messages;
  for (const auto& f : snake["findings"]) {
    if (f["rule"] == "request.unknown_parameter") messages.push_back(f["message"]);
  }
  ASSERT_EQ(messages.size(), 2u) << snake.dump(2);
  EXPECT_NE(messages[0].find("\"exclusive_start_id\" is not defined for requestQueue_requests_get"),
            std::string::npos)
      << messages[0];
  EXPECT_NE(messages[0].find("did you mean \"exclusiveStartId\""), std::string::npos)
      << messages[0];
  EXPECT_NE(messages[1].find("did you mean \"limit\""), std::string::npos) << messages[1];
  EXPECT_EQ(snake["findingCounts"]["request.unknown_parameter"], 2);
  EXPECT_TRUE(report["rules"].contains("request.unknown_parameter"));
  EXPECT_TRUE(ClientEntry(report, "exact")["findings"].empty()) << report.dump(2);
}

TEST_F(FakeServerFaultHttpTest, ReportFlagsACarelessClientAndClearsACarefulOne) {
  FakeServerOptions o = Options();
  o.virtual_clock = true;  // waits are moved by advance_clock, never slept
  Start(o);
  std::string q = CreateQueue();
  for (const char* ck : {"careless", "careful"}) {
    std::string c = ck;
    AddFaultsJson(R"({"rules":[
      {"id":"rl-)" +
                  c + R"(","match":{"operation":"batch_add","clientKey":")" + c + R"("},
       "action":{"type":"error","status":429},"schedule":{"nth":[1]}},
      {"id":"part-)" +
                  c + R"(","match":{"operation":"batch_add","clientKey":")" + c + R"("},
       "action":{"type":"partial","count":2,"pick":"first"},"schedule":{"nth":[2]}},
      {"id":"head-)" +
                  c + R"(","match":{"operation":"head","clientKey":")" + c + R"("},
       "action":{"type":"error","status":429},"schedule":{"nth":[1,2]}},
      {"id":"commit-)" +
                  c + R"(","match":{"operation":"add","clientKey":")" + c + R"("},
       "action":{"type":"failAfterCommit","status":500},"schedule":{"nth":[1]}}]})");
  }
  auto batch = [&](const std::string& ck, const std::vector<std::string>& keys) {
    return Send("POST", Q(q, "/requests/batch?clientKey=" + ck), BatchBody(keys));
  };
  auto head = [&](const std::string& ck) { return Send("GET", Q(q, "/head?clientKey=" + ck)); };
  auto add = [&](const std::string& ck, const std::string& key) {
    return Send("POST", Q(q, "/requests?clientKey=" + ck), AddBody(key));
  };

  // The careless client: retries a 429 at once, then resends the whole batch (processed items
  // too) at once after a partial answer, and retries a rate-limited head after 200 ms.
  auto keys = Keys("careless-", 5);
  ExpectError(batch("careless", keys), 429, "rate-limit-exceeded");
  auto r = batch("careless", keys);  // no wait
  ASSERT_STATUS(r, 201);
  ASSERT_EQ(Body(r)["data"]["unprocessedRequests"].size(), 2u);
  ASSERT_STATUS(batch("careless", keys), 201);  // everything again, no wait
  ExpectError(head("careless"), 429, "rate-limit-exceeded");
  server_->advance_clock(200);
  ExpectError(head("careless"), 429, "rate-limit-exceeded");
  server_->advance_clock(200);
  ASSERT_STATUS(head("careless"), 200);

  // The careful client: waits per policy (0.5-1 s, then twice as long), resends only the
  // unprocessed items, and resends a write that failed after its commit (absorbed by dedup).
  keys = Keys("careful-", 5);
  ExpectError(batch("careful", keys), 429, "rate-limit-exceeded");
  server_->advance_clock(700);
  r = batch("careful", keys);
  ASSERT_STATUS(r, 201);
  std::vector<std::string> unprocessed;
  Json left = Body(r)["data"]["unprocessedRequests"];
  for (const auto& u : left) unprocessed.push_back(u["uniqueKey"]);
  ASSERT_EQ(unprocessed.size(), 2u);
  server_->advance_clock(700);
  r = batch("careful", unprocessed);
  ASSERT_STATUS(r, 201);
  EXPECT_TRUE(Body(r)["data"]["unprocessedRequests"].empty());
  ExpectError(head("careful"), 429, "rate-limit-exceeded");
  server_->advance_clock(700);
  ExpectError(head("careful"), 429, "rate-limit-exceeded");
  server_->advance_clock(1400);
  ASSERT_STATUS(head("careful"), 200);
  ExpectError(add("careful", "careful-x"), 500, "internal-server-error");
  server_->advance_clock(700);
  r = add("careful", "careful-x");
  ASSERT_STATUS(r, 201);
  EXPECT_EQ(Body(r)["data"]["wasAlreadyPresent"], true);

  Json report = AdminGet("/__admin/report");
  Json careless = ClientEntry(report, "careless");
  ASSERT_TRUE(careless.is_object()) << report.dump(2);
  std::set<std::string> rules;
  for (const auto& f : careless["findings"]) rules.insert(f["rule"].get<std::string>());
  for (const char* want :
       {"client.retry_immediately", "client.resent_processed_items", "client.retry_too_soon"}) {
    EXPECT_TRUE(rules.count(want)) << want << " missing from " << careless.dump(2);
    EXPECT_TRUE(report["rules"].contains(want)) << want;
    EXPECT_TRUE(careless["findingCounts"].contains(want)) << want;
  }
  EXPECT_GT(careless["faultsMet"].get<int>(), 0);
  EXPECT_GT(careless["retries"].get<int>(), 0);
  // The retry_immediately finding points at the 429 and its retry in the journal.
  for (const auto& f : careless["findings"]) {
    if (f["rule"] != "client.retry_immediately") continue;
    ASSERT_GE(f["seqs"].size(), 2u) << f.dump();
    Json first =
        Journal("since=" + std::to_string(f["seqs"][0].get<std::uint64_t>() - 1) + "&limit=1");
    ASSERT_EQ(first.size(), 1u);
    EXPECT_EQ(first[0]["status"], 429) << first.dump();
    break;
  }
  EXPECT_GE(report["summary"]["errors"].get<int>(), 1);
  EXPECT_GE(report["summary"]["warnings"].get<int>(), 2);

  Json careful = ClientEntry(report, "careful");
  ASSERT_TRUE(careful.is_object()) << report.dump(2);
  EXPECT_EQ(careful["calls"], 8);
  EXPECT_EQ(careful["retries"].get<int>(), 5) << careful.dump(2);
  for (const auto& f : careful["findings"]) {
    EXPECT_EQ(f["severity"], "info") << "the careful client got " << f.dump();
  }
  EXPECT_TRUE(careful["findingCounts"].contains("client.write_resent_after_commit"))
      << careful.dump(2);
  // The report is also what the library API says.
  EXPECT_EQ(server_->compliance().report()["summary"], report["summary"]);
}

}  // namespace
}  // namespace rqcheck::fake
