// The consumer oracle (docs/oracle.md): scripted journal entries straight into ConsumerOracle,
// then the same stories through the fake over HTTP with the virtual clock.
#include "oracle.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "rqcheck/fake_server/compliance.h"
#include "test_server.h"

namespace rqcheck::fake {
namespace {

constexpr TimeMs kStart = 1700000000000;
const std::string kQueue = "WkzbQMuFYuamGv3YF";

// Journal entries the way the server writes them (server.cc note_requests), one call at a time.
class Script {
 public:
  explicit Script(ConsumerOracle& o, std::string queue = kQueue)
      : oracle_(o), queue_(std::move(queue)) {}

  JournalEntry entry(Operation op, const std::string& client, TimeMs at, int status) {
    JournalEntry e;
    e.seq = ++seq_;
    e.arrival_ms = kStart + at;
    e.duration_ms = 2;
    e.op = op;
    e.method = std::string(operation_info(op).method);
    e.queue = queue_;
    e.status = status;
    e.work_done = status >= 200 && status < 300;
    if (!client.empty()) e.client_key = client;
    return e;
  }
  std::uint64_t feed(JournalEntry e) {
    std::uint64_t s = e.seq;
    oracle_.on_exchange(e);
    return s;
  }

  std::uint64_t add(const std::vector<std::string>& ids, TimeMs at, std::string client = "P") {
    JournalEntry e = entry(Operation::kRequestsBatchPost, client, at, 201);
    for (const auto& id : ids) e.requests.push_back({id});
    return feed(std::move(e));
  }
  // head/lock handing out `ids`, each locked for `secs`.
  std::uint64_t lock(const std::string& client, const std::vector<std::string>& ids, TimeMs at,
                     TimeMs secs) {
    JournalEntry e = entry(Operation::kHeadLockPost, client, at, 201);
    for (const auto& id : ids) e.requests.push_back({id, kStart + at + secs * 1000});
    return feed(std::move(e));
  }
  std::uint64_t handled(const std::string& client, const std::string& id, TimeMs at) {
    JournalEntry e = entry(Operation::kRequestPut, client, at, 200);
    e.request_id = id;
    e.handled_mark = true;
    e.requests.push_back({id, 0, true, false});
    return feed(std::move(e));
  }
  std::uint64_t prolong(const std::string& client, const std::string& id, TimeMs at, int status,
                        TimeMs secs = 60) {
    JournalEntry e = entry(Operation::kRequestLockPut, client, at, status);
    e.request_id = id;
    if (e.work_done) e.lock_expires_at = kStart + at + secs * 1000;
    return feed(std::move(e));
  }
  std::uint64_t release(const std::string& client, const std::string& id, TimeMs at, int status) {
    JournalEntry e = entry(Operation::kRequestLockDelete, client, at, status);
    e.request_id = id;
    return feed(std::move(e));
  }
  std::uint64_t head(const std::string& client, TimeMs at) {
    return feed(entry(Operation::kHeadGet, client, at, 200));
  }

 private:
  ConsumerOracle& oracle_;
  std::string queue_;
  std::uint64_t seq_ = 0;
};

std::vector<Json> findings_of(const Json& report, const std::string& rule) {
  std::vector<Json> out;
  for (const Json& f : report["findings"]) {
    if (f["rule"] == rule) out.push_back(f);
  }
  return out;
}

const Json& end_state(const Json& report, const std::string& queue = kQueue) {
  for (const Json& q : report["endState"]) {
    if (q["queue"] == queue) return q;
  }
  static const Json none;
  ADD_FAILURE() << "no end state for queue " << queue;
  return none;
}

TEST(ConsumerOracleTest, ExpiredLockTakenByAnotherThenMarkedHandledIsProcessedTwice) {
  ConsumerOracle oracle;
  Script s(oracle);
  s.add({"r1", "r2"}, 0);
  std::uint64_t a_lock = s.lock("A", {"r1"}, 100, 10);  // until +10.1 s
  s.prolong("A", "r1", 5000, 200, 10);                  // until +15 s
  std::uint64_t b_lock = s.lock("B", {"r1", "r2"}, 16000, 60);
  std::uint64_t a_done = s.handled("A", "r1", 20000);  // A's handler came back late
  s.handled("B", "r1", 21000);
  s.handled("B", "r2", 21500);
  Json r = oracle.report(kStart + 22000, false);
  ASSERT_EQ(r["summary"]["findings"], 1) << r.dump(2);
  auto twice = findings_of(r, "oracle.processed_twice");
  ASSERT_EQ(twice.size(), 1u) << r.dump(2);
  const Json& f = twice[0];
  EXPECT_EQ(f["requestId"], "r1");
  EXPECT_EQ(f["queue"], kQueue);
  EXPECT_EQ(f["severity"], "error");
  EXPECT_EQ(f["clientKeys"], Json::array({"A", "B"}));
  EXPECT_EQ(f["seqs"], Json::array({a_lock, b_lock, a_done}));
  EXPECT_EQ(f["at"], format_iso8601(kStart + 20000));
  EXPECT_EQ(f["atMs"], 20000);
  // The story, in time order: A locked (until the prolonged expiry), it expired, B locked, A
  // marked it handled.
  ASSERT_EQ(f["events"].size(), 4u);
  EXPECT_EQ(f["events"][0]["what"], "locked");
  EXPECT_EQ(f["events"][0]["clientKey"], "A");
  EXPECT_EQ(f["events"][0]["lockExpiresAt"], format_iso8601(kStart + 15000));
  EXPECT_EQ(f["events"][1]["what"], "lock expired");
  EXPECT_EQ(f["events"][1]["atMs"], 15000);
  EXPECT_EQ(f["events"][2]["clientKey"], "B");
  EXPECT_EQ(f["events"][2]["atMs"], 16000);
  EXPECT_EQ(f["events"][3]["what"], "marked it handled");
  EXPECT_EQ(f["events"][3]["status"], 200);
  // The expired lock is the same root cause: not reported on its own.
  EXPECT_EQ(r["summary"]["lockExpiredWhileWorking"], 0);
  EXPECT_EQ(end_state(r)["handled"], 2);
  EXPECT_EQ(end_state(r)["pending"], 0);
}

TEST(ConsumerOracleTest, OneFindingPerRequestHoweverOftenTheLateOwnerCalls) {
  ConsumerOracle oracle;
  Script s(oracle);
  s.add({"r1"}, 0);
  s.lock("A", {"r1"}, 0, 5);
  s.lock("B", {"r1"}, 6000, 60);
  s.prolong("A", "r1", 7000, 403);  // A still works on it: locked by another client
  s.release("A", "r1", 8000, 400);  // A gives up... too late
  s.handled("A", "r1", 9000);
  s.handled("A", "r1", 9500);
  Json r = oracle.report(kStart + 10000, false);
  EXPECT_EQ(r["summary"]["processedTwice"], 1) << r.dump(2);
  EXPECT_EQ(r["summary"]["lockExpiredWhileWorking"], 0) << r.dump(2);
  EXPECT_EQ(r["summary"]["findings"], 1);
  EXPECT_EQ(findings_of(r, "oracle.processed_twice").at(0)["events"].back()["what"],
            "released its lock");
}

TEST(ConsumerOracleTest, ACorrectSequenceHasNoFinding) {
  ConsumerOracle oracle;
  Script s(oracle);
  s.add({"r1", "r2", "r3"}, 0);
  s.lock("A", {"r1", "r2"}, 100, 10);
  s.lock("B", {"r3"}, 200, 10);
  s.prolong("A", "r2", 9000, 200, 10);  // prolonged in time
  s.handled("A", "r1", 9500);
  s.handled("B", "r3", 9600);
  s.release("A", "r2", 15000, 204);  // before its prolonged expiry
  s.lock("B", {"r2"}, 15100, 10);
  s.handled("B", "r2", 16000);
  s.lock("A", {}, 16100, 10);
  s.lock("B", {}, 16200, 10);
  for (bool final : {false, true}) {
    Json r = oracle.report(kStart + 120000, final);
    EXPECT_EQ(r["summary"]["findings"], 0) << r.dump(2);
    EXPECT_EQ(r["findings"].size(), 0u);
    EXPECT_EQ(end_state(r)["handled"], 3);
    EXPECT_EQ(end_state(r)["pending"], 0);
    EXPECT_EQ(end_state(r)["locked"], 0);
  }
}

TEST(ConsumerOracleTest, TouchAfterOwnExpiryIsALockExpiredWhileWorking) {
  ConsumerOracle oracle;
  Script s(oracle);
  s.add({"r1", "r2"}, 0);
  s.lock("A", {"r1", "r2"}, 0, 10);
  s.prolong("A", "r1", 12000, 400);  // expired, nobody took it: "not locked"
  s.handled("A", "r1", 13000);       // the same request again: one finding
  s.handled("A", "r2", 9000);        // in time
  Json r = oracle.report(kStart + 14000, false);
  auto expired = findings_of(r, "oracle.lock_expired_while_working");
  ASSERT_EQ(expired.size(), 1u) << r.dump(2);
  EXPECT_EQ(expired[0]["requestId"], "r1");
  EXPECT_EQ(expired[0]["severity"], "warning");
  EXPECT_EQ(expired[0]["clientKeys"], Json::array({"A"}));
  EXPECT_EQ(expired[0]["events"].back()["what"], "prolonged its lock");
  EXPECT_EQ(expired[0]["events"].back()["status"], 400);
  EXPECT_EQ(r["summary"]["processedTwice"], 0);
  EXPECT_EQ(r["summary"]["findings"], 1);
}

TEST(ConsumerOracleTest, ALateFinishThatReachesTheOracleFirstIsStillProcessedTwice) {
  // Concurrent calls: the server served B's head/lock before A's handled mark, but A's entry was
  // fed first. A handled request is never handed out, so the order is clear.
  ConsumerOracle oracle;
  Script s(oracle);
  s.add({"r1"}, 0);
  s.lock("A", {"r1"}, 0, 5);
  JournalEntry late = s.entry(Operation::kRequestPut, "A", 7000, 200);
  late.request_id = "r1";
  late.handled_mark = true;
  JournalEntry b = s.entry(Operation::kHeadLockPost, "B", 6999, 201);
  b.requests.push_back({"r1", kStart + 66999});
  s.feed(late);
  s.feed(b);
  Json r = oracle.report(kStart + 8000, false);
  auto twice = findings_of(r, "oracle.processed_twice");
  ASSERT_EQ(twice.size(), 1u) << r.dump(2);
  EXPECT_EQ(twice[0]["clientKeys"], Json::array({"A", "B"}));
  EXPECT_EQ(r["summary"]["lockExpiredWhileWorking"], 0) << r.dump(2);
}

TEST(ConsumerOracleTest, LocksOfAQuietOwnerAreLeft) {
  ConsumerOracle oracle(OracleOptions{30000});
  Script s(oracle);
  s.add({"r1", "r2", "r3"}, 0);
  s.lock("A", {"r1", "r2"}, 1000, 120);  // A then goes quiet (a restarted run: crawlee 2870)
  s.lock("B", {"r3"}, 2000, 120);
  s.handled("B", "r3", 3000);
  s.head("B", 20000);
  // 20 s after A's last call: not quiet yet.
  Json early = oracle.report(kStart + 21000, false);
  EXPECT_EQ(early["summary"]["locksLeftByQuietOwner"], 0) << early.dump(2);
  // 31 s after: both locks are left (one finding each), the run goes on.
  Json r = oracle.report(kStart + 31000, false);
  auto left = findings_of(r, "oracle.lock_left_by_quiet_owner");
  ASSERT_EQ(left.size(), 2u) << r.dump(2);
  EXPECT_EQ(left[0]["clientKeys"], Json::array({"A"}));
  EXPECT_EQ(left[0]["requestId"], "r1");
  EXPECT_EQ(left[1]["requestId"], "r2");
  EXPECT_NE(left[0]["message"].get<std::string>().find("30000 ms before the report"),
            std::string::npos)
      << left[0]["message"];
  EXPECT_EQ(end_state(r)["locked"], 2);
  EXPECT_EQ(end_state(r)["locks"].size(), 2u);
  EXPECT_EQ(end_state(r)["locks"][0]["clientKey"], "A");
  // The locks expire and B takes them over: still left by A (B waited for the expiry).
  s.lock("B", {"r1", "r2"}, 122000, 60);
  s.handled("B", "r1", 123000);
  s.handled("B", "r2", 123500);
  Json later = oracle.report(kStart + 124000, false);
  auto still = findings_of(later, "oracle.lock_left_by_quiet_owner");
  ASSERT_EQ(still.size(), 2u) << later.dump(2);
  EXPECT_EQ(still[0]["clientKeys"], Json::array({"A", "B"}));
  EXPECT_EQ(later["summary"]["processedTwice"], 0);
  EXPECT_EQ(end_state(later)["handled"], 3);
}

TEST(ConsumerOracleTest, AConsumerThatStopsWithWorkLeftFinishedEarly) {
  ConsumerOracle oracle(OracleOptions{30000});
  Script s(oracle);
  s.add({"r1", "r2", "r3", "r4", "r5"}, 0);
  s.lock("A", {"r1", "r2"}, 100, 60);
  s.lock("B", {"r3"}, 150, 5);  // B's lock is about to expire when A stops
  s.handled("A", "r1", 1000);
  s.handled("A", "r2", 1100);  // A's last call: r4, r5 pending, r3 about to be unlocked
  Json live = oracle.report(kStart + 6000, false);
  EXPECT_EQ(live["summary"]["earlyFinish"], 0) << "A was silent for 4.9 s only";
  Json r = oracle.report(kStart + 6000, true);  // the run is over; B's lock expired at +5.15 s
  auto early = findings_of(r, "oracle.early_finish");
  ASSERT_EQ(early.size(), 2u) << r.dump(2);  // A, and B (silent since its lock)
  const Json& a = early[0]["clientKeys"][0] == "A" ? early[0] : early[1];
  EXPECT_EQ(a["requestsLeft"], 3);
  EXPECT_EQ(a["requestIds"].size(), 3u);
  EXPECT_EQ(a["events"][0]["what"], "last call");
  EXPECT_EQ(a["events"][0]["atMs"], 1100);
  EXPECT_EQ(a["severity"], "warning");
  // B left its lock too.
  EXPECT_EQ(r["summary"]["locksLeftByQuietOwner"], 1);
  EXPECT_EQ(end_state(r)["pending"], 3);
  EXPECT_EQ(end_state(r)["pendingAfterExpiredLock"], 1);
}

TEST(ConsumerOracleTest, NoEarlyFinishWhenAnotherConsumerDidTheWork) {
  ConsumerOracle oracle(OracleOptions{30000});
  Script s(oracle);
  s.add({"r1", "r2", "r3"}, 0);
  s.lock("A", {"r1"}, 100, 60);
  s.handled("A", "r1", 200);  // A stops with r2, r3 pending...
  s.lock("B", {"r2", "r3"}, 300, 60);
  s.handled("B", "r2", 400);
  s.handled("B", "r3", 500);  // ... but B handled them
  s.lock("B", {}, 600, 60);
  Json r = oracle.report(kStart + 60000, true);
  EXPECT_EQ(r["summary"]["findings"], 0) << r.dump(2);
  // A producer that never consumed is never judged.
  ConsumerOracle other;
  Script p(other);
  p.add({"x"}, 0, "producer");
  EXPECT_EQ(other.report(kStart + 60000, true)["summary"]["earlyFinish"], 0);
}

TEST(ConsumerOracleTest, MemoryIsBoundedAndTheOverflowCounted) {
  OracleOptions o;
  o.max_requests = 10;
  o.max_findings = 1;
  ConsumerOracle oracle(o);
  Script s(oracle);
  std::vector<std::string> ids;
  for (int i = 0; i < 25; ++i) ids.push_back("r" + std::to_string(i));
  s.add(ids, 0);
  s.lock("A", ids, 100, 5);
  s.lock("B", ids, 6000, 60);
  for (int i = 0; i < 3; ++i) s.handled("A", ids[i], 7000 + i);
  Json r = oracle.report(kStart + 8000, false);
  EXPECT_EQ(r["summary"]["requestsFollowed"], 10);
  EXPECT_EQ(r["summary"]["requestsNotFollowed"], 15 + 15 + 15);  // the add and the two locks
  EXPECT_EQ(r["summary"]["processedTwice"], 3);                  // counted exactly...
  EXPECT_EQ(r["findings"].size(), 1u);                           // ... listed up to the cap
  EXPECT_EQ(r["findingsNotListed"], 2);
  oracle.clear();
  EXPECT_EQ(oracle.report(kStart, false)["summary"]["requestsFollowed"], 0);
}

TEST(ConsumerOracleTest, ADeletedQueueIsForgotten) {
  ConsumerOracle oracle;
  Script s(oracle);
  s.add({"r1", "r2"}, 0);
  s.lock("A", {"r1"}, 0, 60);
  s.feed(s.entry(Operation::kQueueDelete, "A", 100, 204));
  Json r = oracle.report(kStart + 1000, true);
  EXPECT_EQ(r["summary"]["requestsFollowed"], 0);
  EXPECT_EQ(r["endState"].size(), 0u);
  EXPECT_EQ(r["summary"]["findings"], 0) << r.dump(2);
}

TEST(ConsumerOracleTest, UnlockReleasesOnlyTheCallersLocks) {
  ConsumerOracle oracle;
  Script s(oracle);
  s.add({"r1", "r2", "r3"}, 0);
  s.lock("A", {"r1", "r2"}, 0, 60);
  s.lock("B", {"r3"}, 10, 60);
  JournalEntry u = s.entry(Operation::kRequestsUnlockPost, "A", 100, 200);
  u.unlocked_count = 2;
  s.feed(u);
  Json r = oracle.report(kStart + 200, false);
  EXPECT_EQ(end_state(r)["pending"], 2);
  EXPECT_EQ(end_state(r)["locked"], 1);
  EXPECT_EQ(end_state(r)["locks"][0]["clientKey"], "B");
  EXPECT_EQ(r["summary"]["findings"], 0);
}

TEST(ConsumerOracleTest, ConcurrentCallsAndReports) {
  // Many queues and clients at once, a report now and then (TSan checks the locking).
  ConsumerOracle oracle;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&oracle, t] {
      Script s(oracle, "queue" + std::to_string(t % 2));
      for (int i = 0; i < 200; ++i) {
        std::string id = "t" + std::to_string(t) + "r" + std::to_string(i);
        s.add({id}, i * 10);
        s.lock("c" + std::to_string(t), {id}, i * 10 + 1, 60);
        s.handled("c" + std::to_string(t), id, i * 10 + 2);
      }
    });
  }
  threads.emplace_back([&oracle] {
    for (int i = 0; i < 20; ++i) oracle.report(kStart + 5000, false);
  });
  for (auto& th : threads) th.join();
  Json r = oracle.report(kStart + 5000, true);
  EXPECT_EQ(r["summary"]["findings"], 0) << r.dump(2);
  EXPECT_EQ(r["summary"]["requestsFollowed"], 800);
  std::size_t handled = 0;
  for (const Json& q : r["endState"]) handled += q["handled"].get<std::size_t>();
  EXPECT_EQ(handled, 800u);
}

TEST(ConsumerOracleTest, TheRulesAreTheComplianceRules) {
  ConsumerOracle oracle;
  Json rules = oracle.report(kStart, false)["rules"];
  for (const char* id : {"oracle.processed_twice", "oracle.lock_expired_while_working",
                         "oracle.lock_left_by_quiet_owner", "oracle.early_finish"}) {
    bool listed = false;
    for (const auto& r : compliance_rules()) listed = listed || r.id == id;
    EXPECT_TRUE(listed) << id;
    EXPECT_TRUE(rules.contains(id)) << id;
  }
}

// ---- Through the fake ----------------------------------------------------------------------

class ConsumerOracleHttpTest : public test_support::FakeServerFixture {
 protected:
  void SetUp() override {
    FakeServerOptions o = BaseOptions();
    o.virtual_clock = true;
    StartServer(o);
    client_ = MakeClient(true, 30);
    auto r = Call("POST", "/v2/request-queues?name=oracle");
    ASSERT_STATUS(r, 201);
    queue_ = Body(r)["data"]["id"].get<std::string>();
  }
  void TearDown() override {
    client_.reset();
    StopServer();
  }

  httplib::Result Call(const std::string& method, const std::string& path,
                       const std::string& body = "") {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    req.headers.emplace("Authorization", "Bearer token-oracle");
    if (!body.empty()) req.headers.emplace("Content-Type", "application/json");
    return client_->send(req);
  }

  std::vector<std::string> Lock(const std::string& client, int secs, int limit = 25) {
    auto r = Call("POST", Q(queue_, "/head/lock?lockSecs=" + std::to_string(secs) + "&limit=" +
                                        std::to_string(limit) + "&clientKey=" + client));
    std::vector<std::string> ids;
    EXPECT_TRUE(r && r->status == 201) << (r ? r->body : "no answer");
    if (!r) return ids;
    Json body = Body(r);
    for (const Json& item : body["data"]["items"]) ids.push_back(item["id"]);
    return ids;
  }

  int MarkHandled(const std::string& client, const std::string& id) {
    auto got = Call("GET", Q(queue_, "/requests/" + id));
    EXPECT_TRUE(got && got->status == 200);
    if (!got) return 0;
    Json req = Body(got)["data"];
    req["handledAt"] = format_iso8601(server_->clock().now_ms());
    auto r = Call("PUT", Q(queue_, "/requests/" + id + "?clientKey=" + client), req.dump());
    return r ? r->status : 0;
  }

  Json Report(bool final = false) {
    auto r = Call("GET", std::string("/__admin/report") + (final ? "?final=true" : ""));
    EXPECT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
    return r ? Body(r)["data"] : Json();
  }

  std::unique_ptr<httplib::Client> client_;
  std::string queue_;
};

TEST_F(ConsumerOracleHttpTest, LockExpiredTakenByAnotherThenHandledIsReportedOnce) {
  ASSERT_STATUS(Call("POST", Q(queue_, "/requests/batch"), BatchBody({"a", "b"})), 201);
  auto a_ids = Lock("clientA", 10, 1);
  ASSERT_EQ(a_ids.size(), 1u);
  server_->advance_clock(11000);  // A's handler is slower than its lock
  auto b_ids = Lock("clientB", 60);
  ASSERT_EQ(b_ids.size(), 2u) << "B gets the expired request and the other one";
  EXPECT_EQ(MarkHandled("clientB", a_ids[0]), 200);
  EXPECT_EQ(MarkHandled("clientA", a_ids[0]), 200);  // the fake takes a late handled mark
  const std::string other = b_ids[0] == a_ids[0] ? b_ids[1] : b_ids[0];
  EXPECT_EQ(MarkHandled("clientB", other), 200);
  Json oracle = Report()["consumerOracle"];
  ASSERT_TRUE(oracle.is_object());
  auto twice = findings_of(oracle, "oracle.processed_twice");
  ASSERT_EQ(twice.size(), 1u) << oracle.dump(2);
  EXPECT_EQ(twice[0]["requestId"], a_ids[0]);
  EXPECT_EQ(twice[0]["queue"], queue_);
  EXPECT_EQ(twice[0]["clientKeys"], Json::array({"clientA", "clientB"}));
  EXPECT_EQ(oracle["summary"]["findings"], 1) << oracle.dump(2);
  EXPECT_EQ(end_state(oracle, queue_)["handled"], 2) << oracle.dump(2);
  // The rule is explained where the report's rules live, and the text says it too.
  EXPECT_TRUE(oracle["rules"].contains("oracle.processed_twice"));
  std::string text = server_->compliance().summary();
  EXPECT_NE(text.find("error oracle.processed_twice"), std::string::npos) << text;
  EXPECT_NE(text.find("clientA marked it handled"), std::string::npos) << text;
  // A reset forgets it.
  ASSERT_STATUS(Call("POST", "/__admin/reset"), 204);
  EXPECT_EQ(Report()["consumerOracle"]["summary"]["findings"], 0);
}

TEST_F(ConsumerOracleHttpTest, ACorrectConsumerIsClean) {
  ASSERT_STATUS(Call("POST", Q(queue_, "/requests/batch"), BatchBody({"a", "b", "c"})), 201);
  auto a_ids = Lock("clientA", 10, 2);
  auto b_ids = Lock("clientB", 10, 2);
  ASSERT_EQ(a_ids.size(), 2u);
  ASSERT_EQ(b_ids.size(), 1u);
  server_->advance_clock(5000);
  ASSERT_STATUS(
      Call("PUT", Q(queue_, "/requests/" + a_ids[1] + "/lock?lockSecs=10&clientKey=clientA")), 200);
  EXPECT_EQ(MarkHandled("clientA", a_ids[0]), 200);
  EXPECT_EQ(MarkHandled("clientB", b_ids[0]), 200);
  server_->advance_clock(6000);  // A's first lock would have expired now; it was handled before
  EXPECT_EQ(MarkHandled("clientA", a_ids[1]), 200);
  EXPECT_TRUE(Lock("clientA", 10).empty());
  EXPECT_TRUE(Lock("clientB", 10).empty());
  server_->advance_clock(60000);
  Json oracle = Report(true)["consumerOracle"];
  EXPECT_EQ(oracle["summary"]["findings"], 0) << oracle.dump(2);
  EXPECT_EQ(oracle["summary"]["final"], true);
  const Json& q = end_state(oracle, queue_);
  EXPECT_EQ(q["handled"], 3);
  EXPECT_EQ(q["pending"], 0);
  EXPECT_EQ(q["locked"], 0);
}

TEST_F(ConsumerOracleHttpTest, QuietOwnerEarlyFinishAndTheEndState) {
  ASSERT_STATUS(Call("POST", Q(queue_, "/requests/batch"), BatchBody({"a", "b", "c", "d"})), 201);
  auto a_ids = Lock("clientA", 300, 2);  // A crashes holding two locks
  ASSERT_EQ(a_ids.size(), 2u);
  auto b_ids = Lock("clientB", 300, 1);
  ASSERT_EQ(b_ids.size(), 1u);
  EXPECT_EQ(MarkHandled("clientB", b_ids[0]), 200);  // B stops after one of the two it could do
  Json now = Report()["consumerOracle"];
  EXPECT_EQ(now["summary"]["findings"], 0) << "nobody has been quiet for 30 s: " << now.dump(2);
  server_->advance_clock(31000);
  Json r = Report()["consumerOracle"];
  auto left = findings_of(r, "oracle.lock_left_by_quiet_owner");
  ASSERT_EQ(left.size(), 2u) << r.dump(2);
  for (const Json& f : left) EXPECT_EQ(f["clientKeys"], Json::array({"clientA"}));
  // Both stopped while the fourth request was pending: A (it crashed) and B (it quit).
  auto early = findings_of(r, "oracle.early_finish");
  ASSERT_EQ(early.size(), 2u) << r.dump(2);
  EXPECT_EQ(early[0]["clientKeys"], Json::array({"clientA"}));
  EXPECT_EQ(early[1]["clientKeys"], Json::array({"clientB"}));
  for (const Json& f : early) {
    EXPECT_EQ(f["requestsLeft"], 1);
    EXPECT_EQ(f["requestIds"].size(), 1u);
  }
  const Json& q = end_state(r, queue_);
  EXPECT_EQ(q["pending"], 1);
  EXPECT_EQ(q["locked"], 2);
  EXPECT_EQ(q["handled"], 1);
  EXPECT_EQ(q["locks"].size(), 2u);
  // The journal carries what the oracle read: the ids and expiries head/lock handed out.
  auto j = Call("GET", "/__admin/journal?operation=lock&since=0");
  ASSERT_STATUS(j, 200);
  Json first = Body(j)["data"]["entries"][0];
  ASSERT_EQ(first["requests"].size(), 2u) << first.dump(2);
  EXPECT_EQ(first["requests"][0]["id"], a_ids[0]);
  EXPECT_TRUE(first["requests"][0]["lockExpiresAt"].is_string());
  // A bad final flag is a 400, not a guess.
  auto bad = Call("GET", "/__admin/report?final=maybe");
  test_support::ExpectError(bad, 400, "invalid-parameter");
}

}  // namespace
}  // namespace rqcheck::fake
