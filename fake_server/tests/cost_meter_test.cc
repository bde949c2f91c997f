// The cost meter (docs/cost.md): the rule table, the budget syntax, a scripted call sequence
// whose units are computed by hand (per client, in the run's totals and in the queue's stats),
// the calls the documented rate limits would have refused in a burst that the fake lets
// through (--no-rate-limit), and the meter under concurrent calls (TSan).
#include "cost_meter.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <string>
#include <thread>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/fake_server/compliance.h"
#include "rqcheck/fake_server/cost.h"
#include "test_server.h"

namespace rqcheck::fake {
namespace {

using test_support::FakeServerFixture;

// ---- The rules and the budget --------------------------------------------------------------

TEST(CostRulesTest, OneRulePerRequestQueueOperationInSpecOrder) {
  const auto& rules = cost_rules();
  ASSERT_EQ(rules.size(), request_queue_operations().size());
  for (std::size_t i = 0; i < rules.size(); ++i) {
    EXPECT_EQ(rules[i].op, static_cast<Operation>(i)) << "rule " << i << " is out of place";
    EXPECT_EQ(cost_rule(rules[i].op), &rules[i]);
    EXPECT_FALSE(rules[i].source.empty()) << operation_info(rules[i].op).id;
    bool per_item =
        rules[i].reads == CostBasis::kPerItem || rules[i].writes == CostBasis::kPerItem ||
        rules[i].deletes == CostBasis::kPerItem || rules[i].head_items == CostBasis::kPerItem;
    EXPECT_EQ(per_item, !rules[i].items.empty())
        << operation_info(rules[i].op).id << ": a per-item rule says what an item is";
  }
  EXPECT_EQ(cost_rule(Operation::kKvRecordPut), nullptr);  // other storages are not metered
}

TEST(CostRulesTest, ChargesFollowTheTable) {
  EXPECT_EQ(cost_of(Operation::kRequestsBatchPost, 25), (CostCharge{0, 25, 0, 0}));
  EXPECT_EQ(cost_of(Operation::kRequestsPost, 7), (CostCharge{0, 1, 0, 0}));  // per call
  EXPECT_EQ(cost_of(Operation::kHeadGet, 100), (CostCharge{0, 0, 0, 100}));
  EXPECT_EQ(cost_of(Operation::kHeadLockPost, 25), (CostCharge{0, 25, 0, 25}));
  EXPECT_EQ(cost_of(Operation::kRequestsGet, 3), (CostCharge{3, 0, 0, 0}));
  EXPECT_EQ(cost_of(Operation::kRequestDelete, 0), (CostCharge{}));
  EXPECT_EQ(cost_of(Operation::kQueueGet, 1), (CostCharge{}));
  EXPECT_EQ(cost_of(Operation::kKvRecordPut, 1), (CostCharge{}));
}

TEST(CostBudgetTest, ParsesAnySubsetOfTheMetrics) {
  auto all = parse_cost_budget("writes=10,reads=20,deletes=0,headItems=40,refused=5");
  ASSERT_TRUE(all) << all.error().message;
  EXPECT_EQ(all->writes, 10);
  EXPECT_EQ(all->reads, 20);
  EXPECT_EQ(all->deletes, 0);
  EXPECT_EQ(all->head_items, 40);
  EXPECT_EQ(all->refused, 5);
  auto one = parse_cost_budget("refused=0");
  ASSERT_TRUE(one);
  EXPECT_FALSE(one->writes);
  EXPECT_EQ(one->refused, 0);
  EXPECT_TRUE(one->any());
  EXPECT_EQ(to_json(*one), (Json{{"refused", 0}}));
}

TEST(CostBudgetTest, BadSyntaxIsAnErrorNamingThePart) {
  struct Case {
    const char* text;
    const char* names;
  };
  for (const Case& c : {Case{"", "empty"}, Case{"writes", "'writes' is not METRIC=N"},
                        Case{"writes=", "whole number"}, Case{"writes=-1", "whole number"},
                        Case{"writes=1.5", "whole number"}, Case{"writes=12x", "whole number"},
                        Case{"write=5", "unknown metric 'write'"},
                        Case{"head_items=5", "unknown metric 'head_items'"},
                        Case{"writes=1,writes=2", "given twice"}, Case{"writes=1,", "empty entry"},
                        Case{"writes=99999999999999999999", "whole number"}}) {
    auto b = parse_cost_budget(c.text);
    ASSERT_FALSE(b) << c.text;
    EXPECT_NE(b.error().message.find(c.names), std::string::npos)
        << c.text << ": " << b.error().message;
  }
}

// ---- The meter alone -----------------------------------------------------------------------

JournalEntry Entry(Operation op, std::optional<std::string> key, TimeMs at, CostCharge cost = {},
                   std::string queue = "q1", std::string user = "u1") {
  JournalEntry e;
  e.op = op;
  e.client_key = std::move(key);
  e.arrival_ms = at;
  e.cost = cost;
  e.queue = std::move(queue);
  e.user = std::move(user);
  e.status = 200;
  return e;
}

TEST(CostMeterTest, UsersMinuteBudgetIsJudgedToo) {
  CostMeterOptions o;
  o.limits.global_per_minute = 3;
  CostMeter m(o);
  // Four calls in one minute, each on its own queue: only the user's budget refuses the fourth.
  for (int i = 0; i < 4; ++i)
    m.on_exchange(Entry(Operation::kRequestGet, "a", 1000 + i, {}, "q" + std::to_string(i)));
  m.on_exchange(Entry(Operation::kRequestGet, "a", 60000, {}, "q9"));  // the next minute
  EXPECT_EQ(m.total().refused, 1);
  EXPECT_EQ(m.total().calls, 5);
}

TEST(CostMeterTest, ClientsBeyondTheCapAreFoldedAndWindowsBeyondItUnjudged) {
  CostMeterOptions o;
  o.max_clients = 2;
  o.max_windows = 32;  // one live queue per shard
  CostMeter m(o);
  for (int i = 0; i < 5; ++i) {
    m.on_exchange(Entry(Operation::kRequestsPost, "c" + std::to_string(i), 1000, {0, 1, 0, 0},
                        "queue-" + std::to_string(i * 7919)));
  }
  auto rows = m.rows();
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows.back().client_key, "(other clients)");
  EXPECT_EQ(rows.back().calls, 3);
  EXPECT_EQ(m.total().cost.writes, 5);
  // 40 queues in one second cannot all have live windows in 32 slots: some go unjudged.
  for (int i = 0; i < 40; ++i) {
    m.on_exchange(Entry(Operation::kRequestGet, "c0", 2000, {}, "many-" + std::to_string(i)));
  }
  EXPECT_GT(m.report({})["unjudged"].get<std::int64_t>(), 0);
  // A second later the stale windows make room again.
  std::int64_t before = m.report({})["unjudged"].get<std::int64_t>();
  m.on_exchange(Entry(Operation::kRequestGet, "c0", 3000, {}, "late"));
  EXPECT_EQ(m.report({})["unjudged"].get<std::int64_t>(), before);
}

TEST(CostMeterTest, ConcurrentCallsAreCountedWithoutRaces) {
  CostMeter m;
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 500; ++i) {
        m.on_exchange(Entry(Operation::kRequestsBatchPost, "k" + std::to_string(t % 3),
                            1000 * i + t, {0, 2, 0, 0}, "q" + std::to_string(i % 5)));
        if (i % 100 == 0) (void)m.report({});
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(m.total().calls, 8 * 500);
  EXPECT_EQ(m.total().cost.writes, 8 * 500 * 2);
  EXPECT_EQ(m.rows().size(), 3u);
}

// ---- Through the fake ----------------------------------------------------------------------

class CostMeterHttpTest : public FakeServerFixture {
 protected:
  httplib::Result Send(const std::string& method, const std::string& path,
                       const std::string& body = "", const std::string& token = "cost-token") {
    if (!client_) client_ = MakeClient(true, 10);
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.body = body;
    if (!body.empty()) req.set_header("Content-Type", "application/json");
    if (!token.empty()) req.set_header("Authorization", "Bearer " + token);
    return client_->send(req);
  }
  Json Report() {
    auto r = Send("GET", "/__admin/report", "", "");
    EXPECT_TRUE(r && r->status == 200);
    return Body(r)["data"];  // the admin API's envelope
  }
  static Json Row(const Json& report, const Json& client_key) {
    for (const Json& c : report["cost"]["clients"]) {
      if (c["clientKey"] == client_key) return c;
    }
    ADD_FAILURE() << "no cost row for clientKey " << client_key.dump();
    return Json();
  }
  static Json Units(std::int64_t calls, std::int64_t reads, std::int64_t writes,
                    std::int64_t deletes, std::int64_t head_items, std::int64_t refused) {
    return Json{{"calls", calls},     {"reads", reads},          {"writes", writes},
                {"deletes", deletes}, {"headItems", head_items}, {"refused", refused}};
  }
  static Json Without(Json row, const char* field) {
    row.erase(field);
    return row;
  }
  std::unique_ptr<httplib::Client> client_;
};

// The hand count is in the comments, call by call; docs/cost.md has the rules.
TEST_F(CostMeterHttpTest, ScriptedSequenceCostsTheHandComputedUnits) {
  StartServer(BaseOptions());
  // (none) create: nothing.
  auto created = Send("POST", "/v2/request-queues?name=costs");
  ASSERT_STATUS(created, 201);
  const std::string q = Body(created)["data"]["id"].get<std::string>();
  // (a) add k1: 1 write.
  ASSERT_STATUS(Send("POST", Q(q, "/requests?clientKey=a"), AddBody("k1")), 201);
  // (a) batch add k1 (already present), k2, k3, k4: 4 writes, the duplicate included.
  auto batch =
      Send("POST", Q(q, "/requests/batch?clientKey=a"), BatchBody({"k1", "k2", "k3", "k4"}));
  ASSERT_STATUS(batch, 201);
  EXPECT_EQ(Body(batch)["data"]["processedRequests"].size(), 4u);
  // (a) head of 100: the 4 pending requests, 4 head items.
  auto head = Send("GET", Q(q, "/head?limit=100&clientKey=a"));
  ASSERT_STATUS(head, 200);
  EXPECT_EQ(Body(head)["data"]["items"].size(), 4u);
  // (b) head/lock of 2: k1, k2 locked: 2 writes, 2 head items.
  auto locked = Send("POST", Q(q, "/head/lock?limit=2&lockSecs=60&clientKey=b"));
  ASSERT_STATUS(locked, 201);
  Json items = Body(locked)["data"]["items"];
  ASSERT_EQ(items.size(), 2u);
  const std::string k1 = request_id_for("k1"), k2 = request_id_for("k2");
  ASSERT_EQ(items[0]["id"], k1);
  ASSERT_EQ(items[1]["id"], k2);
  // (b) k1 marked handled: 1 write.
  Json handled{{"id", k1},
               {"uniqueKey", "k1"},
               {"url", "http://example.com/k1"},
               {"handledAt", "2026-01-01T00:00:00.000Z"}};
  ASSERT_STATUS(Send("PUT", Q(q, "/requests/" + k1 + "?clientKey=b"), handled.dump()), 200);
  // (b) prolong k2: 1 write; release k2: 1 write.
  ASSERT_STATUS(Send("PUT", Q(q, "/requests/" + k2 + "/lock?lockSecs=30&clientKey=b")), 200);
  ASSERT_STATUS(Send("DELETE", Q(q, "/requests/" + k2 + "/lock?clientKey=b")), 204);
  // (a) delete k4: 1 delete; delete an absent request: nothing.
  ASSERT_STATUS(Send("DELETE", Q(q, "/requests/" + request_id_for("k4") + "?clientKey=a")), 204);
  ASSERT_STATUS(Send("DELETE", Q(q, "/requests/" + request_id_for("absent") + "?clientKey=a")),
                204);
  // (a) list: k1, k2, k3 remain: 3 reads.
  auto list = Send("GET", Q(q, "/requests?limit=10&clientKey=a"));
  ASSERT_STATUS(list, 200);
  EXPECT_EQ(Body(list)["data"]["items"].size(), 3u);
  // (none) get k1: 1 read.
  ASSERT_STATUS(Send("GET", Q(q, "/requests/" + k1)), 200);
  // (a) batch delete k2 and an absent one: 1 delete.
  Json del = Json::array({Json{{"uniqueKey", "k2"}}, Json{{"uniqueKey", "absent"}}});
  ASSERT_STATUS(Send("DELETE", Q(q, "/requests/batch?clientKey=a"), del.dump()), 200);
  // (b) unlock: b holds no lock any more: nothing.
  auto unlock = Send("POST", Q(q, "/requests/unlock?clientKey=b"));
  ASSERT_STATUS(unlock, 200);
  EXPECT_EQ(Body(unlock)["data"]["unlockedCount"], 0);
  // (none) get the queue: nothing; its stats are the queue's totals so far.
  auto info = Send("GET", Q(q));
  ASSERT_STATUS(info, 200);
  Json stats = Body(info)["data"]["stats"];
  EXPECT_EQ(stats["readCount"], 4);
  EXPECT_EQ(stats["writeCount"], 10);
  EXPECT_EQ(stats["deleteCount"], 2);
  EXPECT_EQ(stats["headItemReadCount"], 6);

  Json report = Report();
  //                                 calls reads writes deletes head refused
  EXPECT_EQ(Without(Row(report, "a"), "clientKey"), Units(7, 3, 5, 2, 4, 0));
  EXPECT_EQ(Without(Row(report, "b"), "clientKey"), Units(5, 0, 5, 0, 2, 0));
  EXPECT_EQ(Without(Row(report, nullptr), "clientKey"), Units(3, 1, 0, 0, 0, 0));
  EXPECT_EQ(report["cost"]["total"], Units(15, 4, 10, 2, 6, 0));
  EXPECT_EQ(report["status"], "pass");
  EXPECT_TRUE(report["cost"]["budget"].is_null());
  // The rules of the operations seen travel with the report.
  EXPECT_EQ(report["cost"]["rules"]["requestQueue_head_lock_post"]["writes"], "per item");
  // The journal entry carries each call's charge.
  auto journal = Send("GET", "/__admin/journal?operation=lock", "", "");
  ASSERT_STATUS(journal, 200);
  EXPECT_EQ(Body(journal)["data"]["entries"][0]["cost"],
            (Json{{"reads", 0}, {"writes", 2}, {"deletes", 0}, {"headItems", 2}}));
  // The text summary has the table.
  std::string text = server_->compliance().summary();
  EXPECT_NE(text.find("Cost (request-queue units"), std::string::npos) << text;
  EXPECT_NE(text.find("(no clientKey)"), std::string::npos) << text;
  // An admin reset starts a new run.
  ASSERT_STATUS(Send("POST", "/__admin/reset", "", ""), 204);
  EXPECT_EQ(Report()["cost"]["total"], Units(0, 0, 0, 0, 0, 0));
}

TEST_F(CostMeterHttpTest, BudgetFailsTheReportNamingMetricBudgetAndActual) {
  FakeServerOptions o = BaseOptions();
  o.cost_budget = *parse_cost_budget("writes=2,deletes=5");
  StartServer(o);
  auto created = Send("POST", "/v2/request-queues");
  ASSERT_STATUS(created, 201);
  const std::string q = Body(created)["data"]["id"].get<std::string>();
  ASSERT_STATUS(Send("POST", Q(q, "/requests/batch"), BatchBody({"a", "b"})), 201);
  Json within = Report();
  EXPECT_EQ(within["status"], "pass");
  EXPECT_TRUE(within["cost"]["withinBudget"].get<bool>());
  EXPECT_FALSE(server_->compliance().over_budget());
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("c")), 201);
  Json over = Report();
  EXPECT_EQ(over["status"], "fail");
  EXPECT_EQ(over["cost"]["overBudget"],
            Json::array({Json{{"metric", "writes"}, {"budget", 2}, {"actual", 3}}}));
  ASSERT_EQ(over["cost"]["findings"].size(), 1u);
  const Json& f = over["cost"]["findings"][0];
  EXPECT_EQ(f["rule"], "cost.over_budget");
  EXPECT_EQ(f["severity"], "error");
  EXPECT_EQ(f["message"], "the run made 3 writes, over the budget of 2 (--budget writes=2)");
  EXPECT_EQ(over["summary"]["errors"], 1);
  EXPECT_TRUE(over["rules"].contains("cost.over_budget"));
  EXPECT_TRUE(server_->compliance().over_budget());
  EXPECT_NE(server_->compliance().cost_summary().find("OVER BUDGET: writes 3 > 2"),
            std::string::npos)
      << server_->compliance().cost_summary();
  EXPECT_NE(server_->compliance().summary().find("Status: fail"), std::string::npos);
}

// 50 head/locks and 70 heads on one queue within one (virtual) second, with the fake's own rate
// limits off: the documented limits (40/s for head/lock, 60/s for head) would have refused 10
// of each; another queue's calls and the next second are not refused.
TEST_F(CostMeterHttpTest, BurstOverTheDocumentedLimitsIsCountedWithNoRateLimit) {
  FakeServerOptions o = BaseOptions();  // rate limits off
  o.virtual_clock = true;
  StartServer(o);
  auto created = Send("POST", "/v2/request-queues");
  ASSERT_STATUS(created, 201);
  const std::string q = Body(created)["data"]["id"].get<std::string>();
  auto other = Send("POST", "/v2/request-queues?name=other");
  ASSERT_STATUS(other, 201);
  const std::string q2 = Body(other)["data"]["id"].get<std::string>();
  server_->advance_clock(1000);  // a fresh second
  for (int i = 0; i < 50; ++i)
    ASSERT_STATUS(Send("POST", Q(q, "/head/lock?lockSecs=60&clientKey=burst")), 201);
  for (int i = 0; i < 70; ++i) ASSERT_STATUS(Send("GET", Q(q, "/head?clientKey=burst")), 200);
  for (int i = 0; i < 30; ++i) ASSERT_STATUS(Send("GET", Q(q2, "/head?clientKey=calm")), 200);
  Json report = Report();
  EXPECT_EQ(Row(report, "burst")["refused"], 20);
  EXPECT_EQ(Row(report, "burst")["calls"], 120);
  EXPECT_EQ(Row(report, "calm")["refused"], 0);
  server_->advance_clock(1000);
  ASSERT_STATUS(Send("GET", Q(q, "/head?clientKey=burst")), 200);
  EXPECT_EQ(Row(Report(), "burst")["refused"], 20);
  EXPECT_EQ(Report()["cost"]["limits"]["batchPerSec"], 40);
}

// With the fake's rate limits on (the documented defaults), the calls the meter counts as
// refused are exactly the fake's 429 answers.
TEST_F(CostMeterHttpTest, RefusedCountMatchesTheFakesOwn429sWhenLimitsAreOn) {
  FakeServerOptions o = BaseOptions();
  o.store.rate_limits.enabled = true;
  o.virtual_clock = true;
  StartServer(o);
  auto created = Send("POST", "/v2/request-queues");
  ASSERT_STATUS(created, 201);
  const std::string q = Body(created)["data"]["id"].get<std::string>();
  server_->advance_clock(1000);
  int too_many = 0;
  for (int i = 0; i < 45; ++i) {
    auto r = Send("POST", Q(q, "/head/lock?lockSecs=60&clientKey=x"));
    ASSERT_TRUE(r);
    if (r->status == 429) ++too_many;
  }
  EXPECT_EQ(too_many, 5);
  EXPECT_EQ(Row(Report(), "x")["refused"], too_many);
}

}  // namespace
}  // namespace rqcheck::fake
