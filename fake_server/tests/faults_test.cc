#include "rqcheck/fake_server/faults.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <set>
#include <thread>

#include "rqcheck/core/json.h"

namespace rqcheck::fake {
namespace {

constexpr TimeMs kStart = 1700000000000;

CallContext batch_add(std::size_t items = 10, std::string client_key = "ck1") {
  CallContext c;
  c.op = Operation::kRequestsBatchPost;
  c.method = "POST";
  c.path = "/v2/request-queues/WkzbQMuFYuamGv3YF/requests/batch";
  c.queue_id = "WkzbQMuFYuamGv3YF";
  c.queue_ref = "WkzbQMuFYuamGv3YF";
  c.client_key = std::move(client_key);
  c.user_id = "UserUserUserUser1";
  c.username = "alice";
  c.batch_items = items;
  return c;
}

CallContext head() {
  CallContext c;
  c.op = Operation::kHeadGet;
  c.method = "GET";
  c.path = "/v2/request-queues/WkzbQMuFYuamGv3YF/head";
  c.queue_id = "WkzbQMuFYuamGv3YF";
  c.queue_ref = "alice~crawl";
  return c;
}

Json rule(const char* text) { return Json::parse(text); }

// Which of `n` calls of `ctx` the engine acts on (1-based call numbers).
std::vector<int> fired_calls(FaultEngine& engine, const CallContext& ctx, int n) {
  std::vector<int> out;
  for (int i = 1; i <= n; ++i) {
    if (engine.decide(ctx).kind) out.push_back(i);
  }
  return out;
}

class FaultEngineTest : public ::testing::Test {
 protected:
  ManualClock clock_{kStart};
  FaultEngine engine_{42, clock_};

  void add(const char* text) {
    auto id = engine_.add_rule(rule(text));
    ASSERT_TRUE(id) << id.error().message;
  }
};

TEST_F(FaultEngineTest, EmptyEngineDecidesNothing) {
  EXPECT_TRUE(engine_.empty());
  FaultDecision d = engine_.decide(batch_add());
  EXPECT_FALSE(d.any());
  EXPECT_EQ(d.action_label(), "");
}

TEST_F(FaultEngineTest, HttpErrorDefaultsToRateLimitWithTheOperationsLimit) {
  add(R"({"id":"rl","match":{"operation":"requestQueue_requests_batch_post"},"action":{"type":"error"}})");
  EXPECT_FALSE(engine_.empty());
  FaultDecision d = engine_.decide(batch_add());
  ASSERT_TRUE(d.is(FaultKind::kHttpError));
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.rule_id, "rl");
  EXPECT_EQ(d.error->status, 429);
  EXPECT_EQ(d.error->type, "rate-limit-exceeded");
  EXPECT_NE(d.error->message.find("rate limit of 40 requests per second"), std::string::npos)
      << d.error->message;
  EXPECT_FALSE(d.retry_after_secs);
  EXPECT_FALSE(engine_.decide(head()).kind);  // match on the operation
}

TEST_F(FaultEngineTest, HttpErrorTakesCatalogueTypesAndRetryAfter) {
  add(R"({"action":{"type":"error","status":503,"retryAfterSecs":2}})");
  FaultDecision d = engine_.decide(head());
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->status, 503);
  EXPECT_EQ(d.error->type, "service-unavailable");
  EXPECT_EQ(d.retry_after_secs, 2);
  EXPECT_EQ(d.rule_id, "rule-1");

  FaultEngine other(1, clock_);
  ASSERT_TRUE(
      other.add_rule(rule(R"({"action":{"type":"error","errorType":"record-not-found"}})")));
  FaultDecision e = other.decide(head());
  ASSERT_TRUE(e.error);
  EXPECT_EQ(e.error->status, 404);
  EXPECT_EQ(e.error->message, "The requested resource was not found.");

  FaultEngine custom(1, clock_);
  ASSERT_TRUE(custom.add_rule(rule(
      R"({"action":{"type":"error","status":502,"errorType":"bad-gateway","message":"upstream"}})")));
  FaultDecision f = custom.decide(head());
  ASSERT_TRUE(f.error);
  EXPECT_EQ(*f.error, (ApiError{502, "bad-gateway", "upstream"}));
}

TEST_F(FaultEngineTest, RejectsInvalidRulesWithPreciseMessages) {
  struct Case {
    const char* rule;
    const char* message_part;
  };
  const Case cases[] = {
      {R"([1])", "must be a JSON object"},
      {R"({"match":{}})", "\"action\" is required"},
      {R"({"action":{"type":"boom"}})", "action.type \"boom\" is unknown"},
      {R"({"action":{"type":"error","status":302}})",
       "action.status must be an integer from 400 to 599"},
      {R"({"action":{"type":"error","status":502}})", "status 502 has no documented error type"},
      {R"({"action":{"type":"error","status":500,"errorType":"rate-limit-exceeded"}})",
       "documented with status 429, not 500"},
      {R"({"action":{"type":"error","statu":429}})", "unknown key \"statu\" in action"},
      {R"({"match":{"operation":"frobnicate"},"action":{"type":"reset"}})",
       "match.operation \"frobnicate\""},
      {R"({"match":{"path":"(["},"action":{"type":"reset"}})", "not a valid regular expression"},
      // Found by fuzz/targets/fault_rule.cc: libstdc++ overflowed parsing the back-reference.
      {R"({"match":{"path":"/h\\77777777777777777777"},"action":{"type":"reset"}})",
       "must not use back-references"},
      {R"({"match":{"path":"(a)\\1"},"action":{"type":"reset"}})", "must not use back-references"},
      {R"({"match":{"operation":"head"},"action":{"type":"partial"}})",
       "applies only to batch add or batch delete"},
      {R"({"action":{"type":"partial","fraction":1.5}})",
       "action.fraction must be a number in (0, 1]"},
      {R"({"action":{"type":"latency"}})", "a latency needs"},
      {R"({"action":{"type":"latency","minMs":80,"maxMs":20}})", "minMs <= maxMs"},
      {R"({"action":{"type":"latency","dist":"pareto","p50Ms":100,"p99Ms":50}})", "p50Ms < p99Ms"},
      {R"({"action":{"type":"reset"},"schedule":{"probability":2}})", "schedule.probability"},
      {R"({"action":{"type":"reset"},"schedule":{"nth":[0]}})", "schedule.nth"},
      {R"({"action":{"type":"reset"},"schedule":{"window":{"fromMs":5,"toMs":5}}})",
       "fromMs < toMs"},
      {R"({"action":{"type":"reset"},"schedule":{"burst":{"length":3}}})", "exactly one of start"},
      {R"({"action":{"type":"reset"},"schedule":{"every":2,"burst":{"length":3,"start":1}}})",
       "cannot be combined"},
      {R"({"action":{"type":"failAfterCommit","status":429}})", "from 500 to 599"},
  };
  for (const Case& c : cases) {
    auto r = engine_.add_rule(rule(c.rule));
    ASSERT_FALSE(r) << c.rule;
    EXPECT_EQ(r.error().status, 400) << c.rule;
    EXPECT_EQ(r.error().type, "invalid-input") << c.rule;
    EXPECT_NE(r.error().message.find(c.message_part), std::string::npos)
        << c.rule << " -> " << r.error().message;
  }
  EXPECT_TRUE(engine_.empty());
}

TEST_F(FaultEngineTest, DuplicateIdsAreRejectedAndAddRulesIsAllOrNothing) {
  add(R"({"id":"a","action":{"type":"reset"}})");
  auto dup = engine_.add_rule(rule(R"({"id":"a","action":{"type":"close"}})"));
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("exists already"), std::string::npos);
  auto batch = engine_.add_rules(rule(
      R"({"rules":[{"id":"b","action":{"type":"reset"}},{"id":"c","action":{"type":"nope"}}]})"));
  ASSERT_FALSE(batch);
  EXPECT_NE(batch.error().message.find("(rule 2)"), std::string::npos) << batch.error().message;
  EXPECT_EQ(engine_.rules_json()["rules"].size(), 1u);
  auto ok = engine_.add_rules(rule(R"([{"action":{"type":"reset"}},{"action":{"type":"close"}}])"));
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(*ok, (std::vector<std::string>{"rule-1", "rule-2"}));
}

TEST_F(FaultEngineTest, MatchFiltersOnEveryField) {
  add(R"({"id":"m","match":{"operation":"batch_add","method":"post","path":"/requests/batch$",
          "queue":"WkzbQMuFYuamGv3YF","clientKey":"ck1","user":"alice"},"action":{"type":"reset"}})");
  EXPECT_TRUE(engine_.decide(batch_add()).is(FaultKind::kReset));
  CallContext c = batch_add();
  c.client_key = "other";
  EXPECT_FALSE(engine_.decide(c).kind);
  c = batch_add();
  c.client_key.reset();
  EXPECT_FALSE(engine_.decide(c).kind);
  c = batch_add();
  c.username = "bob";
  c.user_id = "x";
  EXPECT_FALSE(engine_.decide(c).kind);
  c = batch_add();
  c.queue_id = "Other0000000000000";
  c.queue_ref = "alice~other";
  EXPECT_FALSE(engine_.decide(c).kind);
  c = batch_add();
  c.path += "/x";
  EXPECT_FALSE(engine_.decide(c).kind);

  FaultEngine by_ref(1, clock_);
  ASSERT_TRUE(
      by_ref.add_rule(rule(R"({"match":{"queue":"alice~crawl"},"action":{"type":"close"}})")));
  EXPECT_TRUE(by_ref.decide(head()).is(FaultKind::kCloseBeforeResponse));
  EXPECT_FALSE(by_ref.decide(batch_add()).kind);
}

TEST_F(FaultEngineTest, PartialBatchMarksTheChosenItems) {
  struct Case {
    const char* action;
    std::vector<bool> want;  // for a batch of 5 (empty: check only the count)
    std::size_t count;
  };
  const Case cases[] = {
      {R"({"type":"partial","count":2,"pick":"first"})", {true, true, false, false, false}, 2},
      {R"({"type":"partial","count":2,"pick":"last"})", {false, false, false, true, true}, 2},
      {R"({"type":"partial","pick":"all"})", {true, true, true, true, true}, 5},
      {R"({"type":"partial","count":99,"pick":"first"})", {true, true, true, true, true}, 5},
      {R"({"type":"partial","fraction":0.01})", {}, 1},  // at least one item
      {R"({"type":"partial","fraction":0.6})", {}, 3},
      {R"({"type":"partial"})", {}, 3},  // default: half (rounded) at random
  };
  for (const Case& c : cases) {
    FaultEngine e(7, clock_);
    Json r = Json::object();
    r["action"] = Json::parse(c.action);
    ASSERT_TRUE(e.add_rule(r)) << c.action;
    FaultDecision d = e.decide(batch_add(5));
    ASSERT_TRUE(d.is(FaultKind::kPartialBatch)) << c.action;
    ASSERT_EQ(d.unprocessed.size(), 5u);
    EXPECT_EQ(
        static_cast<std::size_t>(std::count(d.unprocessed.begin(), d.unprocessed.end(), true)),
        c.count)
        << c.action;
    if (!c.want.empty()) {
      EXPECT_EQ(d.unprocessed, c.want) << c.action;
    }
  }
}

TEST_F(FaultEngineTest, PartialRandomPickVariesByCallButNotByRun) {
  const char* r = R"({"id":"p","action":{"type":"partial","count":3}})";
  FaultEngine a(9, clock_), b(9, clock_);
  ASSERT_TRUE(a.add_rule(rule(r)));
  ASSERT_TRUE(b.add_rule(rule(r)));
  std::set<std::vector<bool>> masks;
  for (int i = 0; i < 20; ++i) {
    auto da = a.decide(batch_add(25)), db = b.decide(batch_add(25));
    EXPECT_EQ(da.unprocessed, db.unprocessed);
    masks.insert(da.unprocessed);
  }
  EXPECT_GT(masks.size(), 10u);
}

TEST_F(FaultEngineTest, PartialRulesIgnoreCallsWithoutBatchItems) {
  add(R"({"id":"p","action":{"type":"partial"},"schedule":{"nth":[2]}})");
  CallContext no_items = batch_add();
  no_items.batch_items.reset();
  EXPECT_FALSE(engine_.decide(no_items).kind);  // does not count as call 1
  EXPECT_FALSE(engine_.decide(head()).kind);
  EXPECT_FALSE(engine_.decide(batch_add()).kind);                         // call 1
  EXPECT_TRUE(engine_.decide(batch_add()).is(FaultKind::kPartialBatch));  // call 2
}

TEST_F(FaultEngineTest, LatencyFixedAndUniform) {
  add(R"({"id":"fixed","action":{"type":"latency","ms":25}})");
  FaultDecision d = engine_.decide(head());
  EXPECT_FALSE(d.kind);
  EXPECT_TRUE(d.any());
  EXPECT_EQ(d.latency_ms, 25);
  EXPECT_EQ(d.latency_rules, std::vector<std::string>{"fixed"});
  EXPECT_EQ(d.action_label(), "latency");

  FaultEngine u(3, clock_);
  ASSERT_TRUE(u.add_rule(rule(R"({"action":{"type":"latency","minMs":20,"maxMs":80}})")));
  TimeMs lo = 1000, hi = 0;
  for (int i = 0; i < 2000; ++i) {
    TimeMs ms = u.decide(head()).latency_ms;
    lo = std::min(lo, ms);
    hi = std::max(hi, ms);
  }
  EXPECT_GE(lo, 20);
  EXPECT_LE(hi, 80);
  EXPECT_LE(lo, 22);
  EXPECT_GE(hi, 78);
}

TEST_F(FaultEngineTest, LongTailedLatencyHitsItsPercentiles) {
  for (const char* dist : {"lognormal", "pareto"}) {
    FaultEngine e(11, clock_);
    Json r = rule(R"({"action":{"type":"latency","p50Ms":50,"p99Ms":2000,"capMs":100000}})");
    r["action"]["dist"] = dist;
    ASSERT_TRUE(e.add_rule(r));
    std::vector<TimeMs> v;
    for (int i = 0; i < 20000; ++i) v.push_back(e.decide(head()).latency_ms);
    std::sort(v.begin(), v.end());
    TimeMs p50 = v[v.size() / 2], p99 = v[v.size() * 99 / 100];
    EXPECT_NEAR(p50, 50, 5) << dist;
    EXPECT_NEAR(p99, 2000, 400) << dist;
  }
  FaultEngine capped(11, clock_);
  ASSERT_TRUE(capped.add_rule(rule(
      R"({"action":{"type":"latency","dist":"pareto","p50Ms":50,"p99Ms":2000,"capMs":300}})")));
  for (int i = 0; i < 2000; ++i) EXPECT_LE(capped.decide(head()).latency_ms, 300);
}

TEST_F(FaultEngineTest, LatencyAddsUpAndCombinesWithTheFirstPrimaryAction) {
  add(R"({"id":"slow","action":{"type":"latency","ms":10}})");
  add(R"({"id":"err","action":{"type":"error","status":500}})");
  add(R"({"id":"slower","action":{"type":"latency","ms":5}})");
  add(R"({"id":"shadowed","action":{"type":"reset"}})");
  FaultDecision d = engine_.decide(head());
  EXPECT_EQ(d.rule_id, "err");
  EXPECT_TRUE(d.is(FaultKind::kHttpError));
  EXPECT_EQ(d.latency_ms, 15);
  EXPECT_EQ(d.latency_rules, (std::vector<std::string>{"slow", "slower"}));
  EXPECT_EQ(d.action_label(), "error+latency");
  Json log = engine_.fault_log();
  ASSERT_EQ(log["entries"].size(), 3u);  // the shadowed rule is not logged
  Json rules = engine_.rules_json()["rules"];
  EXPECT_EQ(rules[3]["calls"], 1);  // but it counted the call
  EXPECT_EQ(rules[3]["fires"], 0);
}

TEST_F(FaultEngineTest, EarlierRuleWinsAndLaterRulesKeepTheirOwnCount) {
  add(R"({"id":"a","action":{"type":"reset"},"schedule":{"first":1}})");
  add(R"({"id":"b","action":{"type":"close"},"schedule":{"nth":[2]}})");
  EXPECT_EQ(engine_.decide(head()).rule_id, "a");
  EXPECT_EQ(engine_.decide(head()).rule_id, "b");  // b's 2nd matching call, though a took the 1st
  EXPECT_FALSE(engine_.decide(head()).kind);
}

TEST_F(FaultEngineTest, BodyShapingActionsCarryTheirParameters) {
  add(R"({"id":"d","match":{"operation":"head"},"action":{"type":"dribble","chunkBytes":4,"delayMs":30}})");
  add(R"({"id":"t","match":{"operation":"lock"},"action":{"type":"truncate","keepBytes":10}})");
  add(R"({"id":"tf","match":{"operation":"list"},"action":{"type":"truncate","keepFraction":0.25}})");
  add(R"({"id":"m","match":{"operation":"get"},"action":{"type":"malformed"}})");
  FaultDecision d = engine_.decide(head());
  ASSERT_TRUE(d.is(FaultKind::kDribble));
  EXPECT_EQ(d.chunk_bytes, 4u);
  EXPECT_EQ(d.chunk_delay_ms, 30);
  CallContext lock = head();
  lock.op = Operation::kHeadLockPost;
  FaultDecision t = engine_.decide(lock);
  ASSERT_TRUE(t.is(FaultKind::kTruncate));
  EXPECT_EQ(t.truncate_at(100), 10u);
  EXPECT_EQ(t.truncate_at(5), 4u);  // never the whole body
  EXPECT_EQ(t.truncate_at(0), 0u);
  CallContext list = head();
  list.op = Operation::kRequestsGet;
  EXPECT_EQ(engine_.decide(list).truncate_at(100), 25u);
  CallContext get = head();
  get.op = Operation::kRequestGet;
  EXPECT_TRUE(engine_.decide(get).is(FaultKind::kMalformedJson));
}

TEST(MalformJsonBodyTest, NoParserAcceptsTheResult) {
  for (std::string body : {R"({"data":{"id":"x"}})", "", "[]", "42"}) {
    std::string bad = malform_json_body(body);
    EXPECT_FALSE(parse_json(bad)) << body << " -> " << bad;
    EXPECT_TRUE(Json::parse(bad, nullptr, false).is_discarded()) << bad;
  }
}

TEST_F(FaultEngineTest, FailAfterCommitAnswersAStatusOrDrops) {
  add(R"({"id":"c","match":{"operation":"add"},"action":{"type":"failAfterCommit"}})");
  add(R"({"id":"c2","match":{"operation":"batch_add"},"action":{"type":"failAfterCommit","drop":true}})");
  CallContext add_call = batch_add();
  add_call.op = Operation::kRequestsPost;
  add_call.batch_items.reset();
  FaultDecision d = engine_.decide(add_call);
  ASSERT_TRUE(d.is(FaultKind::kFailAfterCommit));
  ASSERT_TRUE(d.error);
  EXPECT_EQ(d.error->status, 500);
  EXPECT_EQ(d.error->type, "internal-server-error");
  EXPECT_FALSE(d.drop_after_commit);
  FaultDecision e = engine_.decide(batch_add());
  ASSERT_TRUE(e.is(FaultKind::kFailAfterCommit));
  EXPECT_TRUE(e.drop_after_commit);
  EXPECT_FALSE(e.error);
}

// ---- Schedules -------------------------------------------------------------------------------

class FaultScheduleTest : public ::testing::Test {
 protected:
  ManualClock clock_{kStart};

  std::vector<int> fired(const char* schedule, int n, std::uint64_t seed = 5) {
    FaultEngine e(seed, clock_);
    Json r = rule(R"({"id":"s","action":{"type":"reset"}})");
    r["schedule"] = Json::parse(schedule);
    auto id = e.add_rule(r);
    EXPECT_TRUE(id) << id.error().message;
    return fired_calls(e, head(), n);
  }
};

TEST_F(FaultScheduleTest, NthEveryFirstAfterAndMax) {
  EXPECT_EQ(fired(R"({"nth":[3,4]})", 10), (std::vector<int>{3, 4}));
  EXPECT_EQ(fired(R"({"nth":2})", 10), (std::vector<int>{2}));
  EXPECT_EQ(fired(R"({"every":3})", 10), (std::vector<int>{3, 6, 9}));
  EXPECT_EQ(fired(R"({"first":2})", 10), (std::vector<int>{1, 2}));
  EXPECT_EQ(fired(R"({"after":8})", 10), (std::vector<int>{9, 10}));
  EXPECT_EQ(fired(R"({})", 3), (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(fired(R"({"every":2,"after":4})", 10), (std::vector<int>{6, 8, 10}));
  EXPECT_EQ(fired(R"({"maxFires":2})", 10), (std::vector<int>{1, 2}));
}

TEST_F(FaultScheduleTest, ProbabilityFiresAboutThatOften) {
  auto v = fired(R"({"probability":0.3})", 10000);
  EXPECT_NEAR(static_cast<double>(v.size()) / 10000, 0.3, 0.02);
  EXPECT_TRUE(fired(R"({"probability":0})", 100).empty());
  EXPECT_EQ(fired(R"({"probability":1})", 100).size(), 100u);
}

TEST_F(FaultScheduleTest, WindowIsRelativeToStartOrAbsolute) {
  FaultEngine e(1, clock_);
  ASSERT_TRUE(e.add_rule(rule(
      R"({"id":"w","action":{"type":"reset"},"schedule":{"window":{"fromMs":1000,"toMs":2000}}})")));
  EXPECT_FALSE(e.decide(head()).kind);
  clock_.advance_ms(1000);
  EXPECT_TRUE(e.decide(head()).kind);
  clock_.advance_ms(999);
  EXPECT_TRUE(e.decide(head()).kind);
  clock_.advance_ms(1);
  EXPECT_FALSE(e.decide(head()).kind);
  // Calls outside the window are not counted.
  EXPECT_EQ(e.rules_json()["rules"][0]["calls"], 2);

  Json abs = rule(R"({"action":{"type":"reset"},"schedule":{"window":{"absolute":true}}})");
  abs["schedule"]["window"]["fromMs"] = kStart + 5000;
  FaultEngine a(1, clock_);
  ASSERT_TRUE(a.add_rule(abs));
  EXPECT_FALSE(a.decide(head()).kind);
  clock_.set_ms(kStart + 5000);
  EXPECT_TRUE(a.decide(head()).kind);
}

TEST_F(FaultScheduleTest, BurstAtAStartCall) {
  EXPECT_EQ(fired(R"({"burst":{"length":3,"start":4}})", 12), (std::vector<int>{4, 5, 6}));
}

TEST_F(FaultScheduleTest, ProbabilisticBurstsComeInRunsOfTheirLength) {
  auto v = fired(R"({"burst":{"length":4,"probability":0.05}})", 5000);
  ASSERT_FALSE(v.empty());
  // Split into runs of consecutive calls; each run is a multiple of 4 long (bursts may touch),
  // except possibly one cut off at the end.
  std::vector<int> runs;
  int len = 1;
  for (std::size_t i = 1; i <= v.size(); ++i) {
    if (i < v.size() && v[i] == v[i - 1] + 1) {
      ++len;
    } else {
      if (v[i - 1] != 5000) runs.push_back(len);
      len = 1;
    }
  }
  for (int r : runs) EXPECT_EQ(r % 4, 0) << r;
  EXPECT_GT(runs.size(), 50u);
}

TEST_F(FaultScheduleTest, SameSeedSameCallsSameFaults) {
  const char* rules = R"([
    {"id":"rl","match":{"operation":"batch_add"},"action":{"type":"error","status":429},
     "schedule":{"probability":0.3}},
    {"id":"part","match":{"operation":"batch_add"},"action":{"type":"partial"},
     "schedule":{"probability":0.3}},
    {"id":"slow","action":{"type":"latency","dist":"lognormal","p50Ms":20,"p99Ms":500}}])";
  auto run = [&](std::uint64_t seed) {
    ManualClock clock(kStart);
    FaultEngine e(seed, clock);
    EXPECT_TRUE(e.add_rules(Json::parse(rules)));
    std::vector<std::string> outcomes;
    for (int i = 0; i < 300; ++i) {
      clock.advance_ms(7);
      FaultDecision d = e.decide(i % 3 == 0 ? head() : batch_add(10));
      std::string o = d.rule_id + "/" + std::to_string(d.latency_ms) + "/";
      for (bool b : d.unprocessed) o += b ? '1' : '0';
      outcomes.push_back(o);
    }
    return std::make_pair(outcomes, e.fault_log(100000));
  };
  auto a = run(1234), b = run(1234), c = run(1235);
  EXPECT_EQ(a.first, b.first);
  EXPECT_EQ(a.second, b.second);
  EXPECT_NE(a.first, c.first);
}

TEST_F(FaultScheduleTest, ARulesFaultsDoNotDependOnOtherTraffic) {
  const char* r = R"({"id":"rl","match":{"operation":"batch_add"},"action":{"type":"error"},
                      "schedule":{"probability":0.5}})";
  auto pattern = [&](bool interleave) {
    FaultEngine e(77, clock_);
    EXPECT_TRUE(e.add_rule(rule(r)));
    EXPECT_TRUE(e.add_rule(rule(R"({"match":{"operation":"head"},"action":{"type":"close"},
                                   "schedule":{"probability":0.5}})")));
    std::vector<bool> out;
    for (int i = 0; i < 200; ++i) {
      if (interleave && i % 2) e.decide(head());
      out.push_back(e.decide(batch_add()).kind.has_value());
    }
    return out;
  };
  EXPECT_EQ(pattern(false), pattern(true));
}

TEST_F(FaultEngineTest, FaultLogNamesRuleCallAndOperation) {
  add(R"({"id":"rl","match":{"operation":"batch_add"},"action":{"type":"error"},"schedule":{"every":2}})");
  for (int i = 0; i < 4; ++i) {
    CallContext c = batch_add();
    c.seq = 100 + i;
    engine_.decide(c);
    clock_.advance_ms(10);
  }
  Json log = engine_.fault_log();
  EXPECT_EQ(log["seed"], 42);
  ASSERT_EQ(log["entries"].size(), 2u);
  const Json& e = log["entries"][1];
  EXPECT_EQ(e["rule"], "rl");
  EXPECT_EQ(e["call"], 4);
  EXPECT_EQ(e["ruleCall"], 4);
  EXPECT_EQ(e["seq"], 103);
  EXPECT_EQ(e["operation"], "requestQueue_requests_batch_post");
  EXPECT_EQ(e["action"], "error");
  EXPECT_EQ(e["at"], format_iso8601(kStart + 30));
  EXPECT_EQ(engine_.fault_log(1)["entries"].size(), 1u);
}

TEST(FaultLogTest, IsBounded) {
  ManualClock clock(kStart);
  FaultEngine e(1, clock, 5);
  ASSERT_TRUE(e.add_rule(Json::parse(R"({"action":{"type":"reset"}})")));
  for (int i = 0; i < 12; ++i) e.decide(head());
  Json log = e.fault_log();
  EXPECT_EQ(log["entries"].size(), 5u);
  EXPECT_EQ(log["dropped"], 7);
  EXPECT_EQ(log["entries"][0]["call"], 8);
}

TEST_F(FaultEngineTest, RemoveAndClearRules) {
  add(R"({"id":"a","action":{"type":"reset"}})");
  add(R"({"id":"b","action":{"type":"close"}})");
  EXPECT_TRUE(engine_.remove_rule("a"));
  EXPECT_FALSE(engine_.remove_rule("a"));
  EXPECT_EQ(engine_.decide(head()).rule_id, "b");
  Json rules = engine_.rules_json();
  ASSERT_EQ(rules["rules"].size(), 1u);
  EXPECT_EQ(rules["rules"][0]["id"], "b");
  EXPECT_EQ(rules["rules"][0]["action"]["type"], "close");
  engine_.clear();
  EXPECT_TRUE(engine_.empty());
  EXPECT_FALSE(engine_.decide(head()).any());
}

TEST_F(FaultEngineTest, ConcurrentDecisionsCountEveryCall) {
  add(R"({"id":"e","action":{"type":"reset"},"schedule":{"every":2}})");
  std::atomic<int> fires{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (engine_.decide(head()).kind) ++fires;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(fires.load(), 1000);
  EXPECT_EQ(engine_.rules_json()["rules"][0]["calls"], 2000);
}

// ---- Shorthand -------------------------------------------------------------------------------

TEST(FaultShorthandTest, ParsesTheCommonForms) {
  auto r = parse_fault_shorthand(
      "429@30%:requestQueue_requests_batch_post; partial@50%:batch_add; latency=20-80ms;"
      "reset@nth=3,4; 500@first=2; 429+retry=2@every=5:head; commit=drop@nth=1:add;"
      "latency=tail:20-2000ms:lock; truncate=50%@after=10&max=3; dribble=8/50ms@burst=3/at=2;"
      "close@window=1s-2s:POST; malformed@p=0.1");
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ(r->size(), 12u);
  const auto& v = *r;
  EXPECT_EQ(v[0]["id"], "429@30%:requestQueue_requests_batch_post");
  EXPECT_EQ(v[0]["action"], Json::parse(R"({"type":"error","status":429})"));
  EXPECT_EQ(v[0]["schedule"]["probability"], 0.3);
  EXPECT_EQ(v[0]["match"]["operation"], "requestQueue_requests_batch_post");
  EXPECT_EQ(v[1]["action"]["type"], "partial");
  EXPECT_EQ(v[1]["match"]["operation"], "batch_add");
  EXPECT_EQ(v[2]["action"], Json::parse(R"({"type":"latency","minMs":20,"maxMs":80})"));
  EXPECT_FALSE(v[2].contains("match"));
  EXPECT_EQ(v[3]["action"]["type"], "reset");
  EXPECT_EQ(v[3]["schedule"]["nth"], Json::parse("[3,4]"));
  EXPECT_EQ(v[4]["action"]["status"], 500);
  EXPECT_EQ(v[4]["schedule"]["first"], 2);
  EXPECT_EQ(v[5]["action"]["retryAfterSecs"], 2);
  EXPECT_EQ(v[5]["schedule"]["every"], 5);
  EXPECT_EQ(v[5]["match"]["operation"], "head");
  EXPECT_EQ(v[6]["action"], Json::parse(R"({"type":"failAfterCommit","drop":true})"));
  EXPECT_EQ(v[7]["action"],
            Json::parse(R"({"type":"latency","dist":"lognormal","p50Ms":20,"p99Ms":2000})"));
  EXPECT_EQ(v[7]["match"]["operation"], "lock");
  EXPECT_EQ(v[8]["action"]["keepFraction"], 0.5);
  EXPECT_EQ(v[8]["schedule"], Json::parse(R"({"after":10,"maxFires":3})"));
  EXPECT_EQ(v[9]["action"], Json::parse(R"({"type":"dribble","chunkBytes":8,"delayMs":50})"));
  EXPECT_EQ(v[9]["schedule"]["burst"], Json::parse(R"({"length":3,"start":2})"));
  EXPECT_EQ(v[10]["schedule"]["window"], Json::parse(R"({"fromMs":1000,"toMs":2000})"));
  EXPECT_EQ(v[10]["match"]["method"], "POST");
  EXPECT_EQ(v[11]["schedule"]["probability"], 0.1);

  ManualClock clock(kStart);
  FaultEngine e(1, clock);
  auto ids = e.add_rules(Json(*r));
  ASSERT_TRUE(ids) << ids.error().message;
  EXPECT_EQ(ids->size(), 12u);
}

TEST(FaultShorthandTest, RejectsWhatItCannotRead) {
  for (const char* bad :
       {"", "  ;  ", "boom", "429@sometimes", "429:nosuchop", "302", "latency", "latency=fast",
        "partial=0", "reset@nth=0", "429+retry=x", "dribble=8", "commit=404", "502"}) {
    auto r = parse_fault_shorthand(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().status, 400) << bad;
    EXPECT_EQ(r.error().type, "invalid-input") << bad;
  }
  auto r = parse_fault_shorthand("429@30%:batch_add;reset@nth=zero");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("reset@nth=zero"), std::string::npos) << r.error().message;
}

TEST(OperationAliasTest, KnowsIdsAndAliases) {
  EXPECT_EQ(operation_from_alias("batch_add"), Operation::kRequestsBatchPost);
  EXPECT_EQ(operation_from_alias("batch_delete"), Operation::kRequestsBatchDelete);
  EXPECT_EQ(operation_from_alias("add"), Operation::kRequestsPost);
  EXPECT_EQ(operation_from_alias("head"), Operation::kHeadGet);
  EXPECT_EQ(operation_from_alias("lock"), Operation::kHeadLockPost);
  EXPECT_EQ(operation_from_alias("requestQueue_request_lock_put"), Operation::kRequestLockPut);
  EXPECT_FALSE(operation_from_alias("nope"));
  for (FaultKind k :
       {FaultKind::kHttpError, FaultKind::kPartialBatch, FaultKind::kLatency, FaultKind::kDribble,
        FaultKind::kReset, FaultKind::kCloseBeforeResponse, FaultKind::kTruncate,
        FaultKind::kMalformedJson, FaultKind::kFailAfterCommit}) {
    EXPECT_EQ(fault_kind_from_name(fault_kind_name(k)), k);
  }
}

}  // namespace
}  // namespace rqcheck::fake
