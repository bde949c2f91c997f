#include "rqcheck/fake_server/compliance.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <thread>

#include "rqcheck/core/request_id.h"

namespace rqcheck::fake {
namespace {

constexpr TimeMs kStart = 1700000000000;
const std::string kQueue = "WkzbQMuFYuamGv3YF";

// Writes journal entries the way the server would, for one client at a time.
class Traffic {
 public:
  explicit Traffic(ComplianceMonitor& m) : monitor_(m) {}

  struct Call {
    Operation op = Operation::kRequestsPost;
    int status = 201;
    TimeMs at = 0;  // ms after kStart
    TimeMs duration = 5;
    std::string body = "{}";               // digested
    std::vector<std::string> keys;         // item_keys
    std::vector<std::string> unprocessed;  // unprocessed_keys
    std::vector<std::string> present;      // already_present_keys
    std::string fault;                     // fault_action
    std::optional<int> retry_after;
    std::string client_key = "ck1";
    std::string user_agent = "ApifyClient/2.25.1";
    std::string query;
    std::vector<std::string> findings;
    std::vector<Header> headers;
    std::string error_type;
  };

  std::uint64_t send(const Call& c) {
    JournalEntry e;
    e.seq = ++seq_;
    e.arrival_ms = kStart + c.at;
    e.duration_ms = c.duration;
    e.op = c.op;
    e.method = std::string(operation_info(c.op).method);
    e.path = c.op == Operation::kQueuesPost ? "/v2/request-queues"
                                            : "/v2/request-queues/" + kQueue +
                                                  std::string(operation_info(c.op).path.substr(29));
    e.query = c.query;
    e.queue = c.op == Operation::kQueuesPost ? "" : kQueue;
    e.status = c.status;
    e.body_bytes = c.body.size();
    e.body_digest = body_digest(c.body);
    e.item_keys = c.keys;
    e.unprocessed_keys = c.unprocessed;
    e.already_present_keys = c.present;
    e.fault_action = c.fault;
    e.fault_rule = c.fault.empty() ? "" : "r";
    e.retry_after_secs = c.retry_after;
    e.client_key = c.client_key;
    e.user = "UserUserUserUser1";
    e.user_agent = c.user_agent;
    e.findings = c.findings;
    e.headers = c.headers;
    e.error_type = c.error_type;
    monitor_.on_exchange(e);
    return e.seq;
  }

  // A call answered with `statuses` one after the other, retried after each `waits[i]` ms
  // (measured from the end of the previous answer). Returns the time the last answer ended.
  TimeMs retried(Call c, const std::vector<int>& statuses, const std::vector<TimeMs>& waits) {
    for (std::size_t i = 0; i < statuses.size(); ++i) {
      if (i > 0) c.at += c.duration + waits[i - 1];
      c.status = statuses[i];
      send(c);
    }
    return c.at + c.duration;
  }

 private:
  ComplianceMonitor& monitor_;
  std::uint64_t seq_ = 0;
};

std::set<std::string> rules_of(const std::vector<Finding>& findings) {
  std::set<std::string> out;
  for (const auto& f : findings) out.insert(f.rule);
  return out;
}

std::string describe(const std::vector<Finding>& findings) {
  std::string s;
  for (const auto& f : findings) s += f.rule + ": " + f.message + "\n";
  return s;
}

// Many clients at once, some sharing an identity, while reports and clears run: every call is
// counted exactly once (before the clear) and, under TSan, nothing races.
TEST(ComplianceMonitorTest, ConcurrentClientsAreCountedWithoutRaces) {
  ComplianceOptions o;
  o.max_clients = 6;  // 8 identities: two fold into "(other clients)"
  ComplianceMonitor m(o);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&m, t] {
      for (int i = 0; i < 300; ++i) {
        JournalEntry e;
        e.seq = static_cast<std::uint64_t>(t * 1000 + i + 1);
        e.method = "GET";
        e.op = Operation::kQueueGet;
        e.status = 200;
        e.arrival_ms = kStart + i;
        e.user = "u";
        e.client_key = "ck" + std::to_string(t % 4 == 3 ? t : t % 4);  // ck0..ck2 shared, ck3, ck7
        e.user_agent = "ua" + std::to_string(t);
        m.on_exchange(e);
      }
    });
  }
  std::thread reader([&m] {
    for (int i = 0; i < 20; ++i) (void)m.report();
  });
  for (auto& th : threads) th.join();
  reader.join();
  Json r = m.report();
  EXPECT_EQ(r["summary"]["calls"], 8 * 300);
  EXPECT_EQ(r["summary"]["clients"], 7u);  // 6 identities and "(other clients)"
  std::size_t calls = 0;
  for (const Json& c : r["clients"]) calls += c["calls"].get<std::size_t>();
  EXPECT_EQ(calls, 8u * 300u);
  m.clear();
  EXPECT_EQ(m.report()["summary"]["calls"], 0);

  // Clears racing new clients: a client inserted just before a clear must not be used after it
  // (the insert path re-checks under the shared lock).
  std::vector<std::thread> more;
  for (int t = 0; t < 4; ++t) {
    more.emplace_back([&m, t] {
      for (int i = 0; i < 200; ++i) {
        JournalEntry e;
        e.seq = static_cast<std::uint64_t>(i + 1);
        e.method = "GET";
        e.op = Operation::kQueueGet;
        e.status = 200;
        e.arrival_ms = kStart + i;
        e.user_agent = "ua" + std::to_string(t) + "-" + std::to_string(i % 20);
        m.on_exchange(e);
      }
    });
  }
  std::thread clearer([&m] {
    for (int i = 0; i < 50; ++i) m.clear();
  });
  for (auto& th : more) th.join();
  clearer.join();
  EXPECT_LE(m.report()["summary"]["calls"].get<std::size_t>(), 4u * 200u);
}

TEST(ComplianceMonitorTest, CarelessClientGetsFindings) {
  ComplianceMonitor m;
  Traffic t(m);
  Traffic::Call batch;
  batch.op = Operation::kRequestsBatchPost;
  batch.body = R"([a,b,c,d,e])";
  batch.keys = {"a", "b", "c", "d", "e"};
  batch.unprocessed = {"d", "e"};
  batch.fault = "partial";
  std::uint64_t partial_seq = t.send(batch);
  // Resends the whole batch at once: processed items again, and no wait.
  batch.at = 10;
  batch.unprocessed.clear();
  batch.fault.clear();
  std::uint64_t resend_seq = t.send(batch);

  // A 429 retried every 200 ms, a dozen times.
  Traffic::Call add;
  add.body = R"({"uniqueKey":"x"})";
  add.keys = {"x"};
  add.at = 1000;
  std::vector<int> statuses(12, 429);
  t.retried(add, statuses, std::vector<TimeMs>(11, 200));
  // A 503 retried immediately.
  Traffic::Call head;
  head.op = Operation::kHeadGet;
  head.body = "";
  head.at = 10000;
  t.retried(head, {503, 200}, {3});

  auto findings = m.findings();
  auto rules = rules_of(findings);
  for (const char* want :
       {"client.resent_processed_items", "client.retry_immediately", "client.retry_too_soon",
        "client.backoff_not_exponential", "client.too_many_attempts"}) {
    EXPECT_TRUE(rules.count(want)) << want << "\n" << describe(findings);
  }
  for (const auto& f : findings) {
    if (f.rule == "client.resent_processed_items") {
      EXPECT_EQ(f.seqs, (std::vector<std::uint64_t>{partial_seq, resend_seq}));
      EXPECT_NE(f.message.find("\"a\""), std::string::npos) << f.message;
      EXPECT_EQ(f.severity, "warning");
    }
    if (f.rule == "client.too_many_attempts") {
      EXPECT_EQ(f.seqs.size(), 10u);
    }
  }
  Json report = m.report();
  const Json& counts = report["clients"][0]["findingCounts"];
  EXPECT_EQ(counts["client.retry_immediately"], 2);  // the batch resend and the 503
  EXPECT_EQ(counts["client.backoff_not_exponential"], 10);
  EXPECT_EQ(report["summary"]["retries"], 1 + 11 + 1);
  EXPECT_EQ(report["summary"]["faultsMet"], 3);
}

TEST(ComplianceMonitorTest, WellBehavedClientGetsNoFindings) {
  ComplianceMonitor m;
  Traffic t(m);
  // A partial batch; only the unprocessed items are resent, 700 ms later.
  Traffic::Call batch;
  batch.op = Operation::kRequestsBatchPost;
  batch.body = R"([a,b,c,d,e])";
  batch.keys = {"a", "b", "c", "d", "e"};
  batch.unprocessed = {"d", "e"};
  t.send(batch);
  Traffic::Call resend = batch;
  resend.at = 705;
  resend.body = R"([d,e])";
  resend.keys = {"d", "e"};
  resend.unprocessed = {"e"};
  t.send(resend);
  resend.at = 705 + 5 + 1500;  // second resend: at least 1 s
  resend.body = R"([e])";
  resend.keys = {"e"};
  resend.unprocessed.clear();
  t.send(resend);

  // apify-client-js style waits: 0.5-1 s, 1-2 s, 2-4 s.
  Traffic::Call add;
  add.body = R"({"uniqueKey":"x"})";
  add.keys = {"x"};
  add.at = 5000;
  t.retried(add, {429, 429, 500, 201}, {600, 1100, 2100});
  // apify-client-python's worst case: U=2 then U=1, so the second wait equals the first.
  Traffic::Call get;
  get.op = Operation::kRequestGet;
  get.body = "";
  get.at = 20000;
  get.client_key = "";
  t.retried(get, {429, 429, 429, 200}, {1000, 1000, 2000});
  // Retry-After honoured.
  Traffic::Call lock;
  lock.op = Operation::kHeadLockPost;
  lock.body = "";
  lock.at = 40000;
  lock.retry_after = 3;
  t.retried(lock, {429, 201}, {3000});

  auto findings = m.findings();
  EXPECT_TRUE(findings.empty()) << describe(findings);
  Json report = m.report();
  EXPECT_EQ(report["summary"]["findings"], 0);
  EXPECT_EQ(report["summary"]["retries"], 2 + 3 + 3 + 1);
}

TEST(ComplianceMonitorTest, RetryAfterMustBeHonouredWhenSent) {
  ComplianceMonitor m;
  Traffic t(m);
  Traffic::Call c;
  c.op = Operation::kHeadGet;
  c.body = "";
  c.retry_after = 3;
  t.retried(c, {429, 200}, {1000});
  auto findings = m.findings();
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].rule, "client.retry_after_ignored");
  EXPECT_EQ(findings[0].seqs, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_NE(findings[0].message.find("Retry-After: 3"), std::string::npos) << findings[0].message;
}

// A 4xx that only the request causes, resent unchanged, is one finding however often it is
// resent; a changed body or Content-Type, a 4xx the queue's state can lift (404, 409), a resend
// after the window and a 4xx the fault injector made are none.
TEST(ComplianceMonitorTest, RejectedCallResentUnchangedIsOneFinding) {
  ComplianceMonitor m;
  Traffic t(m);
  Traffic::Call bad;
  bad.op = Operation::kRequestsBatchPost;
  bad.body = R"([{"url":"https://a.example"}])";
  bad.error_type = "invalid-input";
  bad.headers = {{"Content-Type", "application/json"}};
  t.retried(bad, {400, 400, 400}, {300, 600});
  auto findings = m.findings();
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].rule, "client.rejected_call_resent");
  EXPECT_EQ(findings[0].severity, "warning");
  EXPECT_EQ(findings[0].seqs, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_NE(findings[0].message.find("300 ms after it was refused with 400 invalid-input"),
            std::string::npos)
      << findings[0].message;

  ComplianceMonitor clean;
  Traffic u(clean);
  Traffic::Call c = bad;
  c.client_key = "ck2";
  u.send(c);  // 400
  c.body = R"([{"url":"https://a.example","uniqueKey":"a"}])";
  c.at = 100;
  c.status = 201;
  u.send(c);  // fixed body
  Traffic::Call typed = bad;
  typed.client_key = "ck3";
  typed.status = 415;
  typed.headers = {{"Content-Type", "text/plain"}};
  u.send(typed);
  typed.headers = {{"content-type", "application/json"}};
  typed.at = 100;
  typed.status = 201;
  u.send(typed);  // same body, fixed Content-Type
  Traffic::Call locked;
  locked.op = Operation::kRequestPut;
  locked.client_key = "ck4";
  locked.error_type = "request-handled-or-locked";
  t.retried(locked, {409, 409, 200}, {1000, 1000});
  u.retried(locked, {409, 409, 200}, {1000, 1000});
  Traffic::Call missing;
  missing.op = Operation::kRequestGet;
  missing.body = "";
  missing.client_key = "ck5";
  u.retried(missing, {404, 200}, {500});
  Traffic::Call late = bad;
  late.client_key = "ck6";
  u.retried(late, {400, 400}, {10001});
  Traffic::Call injected = bad;
  injected.client_key = "ck7";
  injected.fault = "status 400";
  u.send(injected);
  injected.fault.clear();
  injected.at = 50;
  injected.status = 201;
  u.send(injected);
  findings = clean.findings();
  EXPECT_TRUE(findings.empty()) << describe(findings);
  findings = m.findings();
  EXPECT_EQ(findings.size(), 1u) << describe(findings);  // the 409s of ck4 added none
}

TEST(ComplianceMonitorTest, WriteResentAfterCommitIsAbsorbedOrDuplicated) {
  ComplianceMonitor m;
  Traffic t(m);
  Traffic::Call add;
  add.body = R"({"uniqueKey":"x"})";
  add.keys = {"x"};
  add.fault = "failAfterCommit";
  add.status = 500;
  t.send(add);
  add.at = 700;
  add.fault.clear();
  add.status = 201;
  add.present = {"x"};
  t.send(add);

  Traffic::Call create;
  create.op = Operation::kQueuesPost;
  create.body = "";
  create.at = 2000;
  create.status = 0;  // dropped after the queue was created
  create.fault = "failAfterCommit";
  t.send(create);
  create.at = 2600;
  create.status = 201;
  create.fault.clear();
  t.send(create);

  auto findings = m.findings();
  ASSERT_EQ(findings.size(), 2u) << describe(findings);
  std::map<std::string, Finding> by_rule;
  for (const auto& f : findings) by_rule[f.rule] = f;
  ASSERT_TRUE(by_rule.count("client.write_resent_after_commit"));
  EXPECT_EQ(by_rule["client.write_resent_after_commit"].severity, "info");
  EXPECT_NE(by_rule["client.write_resent_after_commit"].message.find("wasAlreadyPresent"),
            std::string::npos);
  ASSERT_TRUE(by_rule.count("client.duplicate_write_after_commit"));
  EXPECT_EQ(by_rule["client.duplicate_write_after_commit"].severity, "error");
  EXPECT_EQ(by_rule["client.duplicate_write_after_commit"].seqs,
            (std::vector<std::uint64_t>{3, 4}));
}

TEST(ComplianceMonitorTest, TruncatedAnswerToAWriteCountsAsAfterCommit) {
  ComplianceMonitor m;
  Traffic t(m);
  Traffic::Call lock;
  lock.op = Operation::kHeadLockPost;
  lock.body = "";
  lock.fault = "truncate";
  t.send(lock);
  lock.at = 800;
  lock.fault.clear();
  t.send(lock);
  auto findings = m.findings();
  ASSERT_EQ(findings.size(), 1u) << describe(findings);
  EXPECT_EQ(findings[0].rule, "client.duplicate_write_after_commit");
  EXPECT_NE(findings[0].message.find("further requests were locked"), std::string::npos);
}

TEST(ComplianceMonitorTest, EndOfObservationFindsDroppedItemsAndUnretriedCalls) {
  ComplianceMonitor m;
  Traffic t(m);
  Traffic::Call batch;
  batch.op = Operation::kRequestsBatchDelete;
  batch.status = 200;
  batch.body = R"([{"id":"1"},{"id":"2"}])";
  batch.keys = {"AAAAAAAAAAAAAA1", "AAAAAAAAAAAAAA2"};
  batch.unprocessed = {"AAAAAAAAAAAAAA2"};
  t.send(batch);
  Traffic::Call head;
  head.op = Operation::kHeadGet;
  head.status = 429;
  head.body = "";
  head.at = 100;
  t.send(head);
  auto findings = m.findings();
  auto rules = rules_of(findings);
  EXPECT_EQ(rules, (std::set<std::string>{"client.unprocessed_dropped", "client.gave_up"}))
      << describe(findings);
  for (const auto& f : findings) {
    if (f.rule == "client.unprocessed_dropped") {
      EXPECT_NE(f.message.find("AAAAAAAAAAAAAA2"), std::string::npos);
      EXPECT_EQ(f.seqs, std::vector<std::uint64_t>{1});
    }
  }
}

TEST(ComplianceMonitorTest, ClientsAreTrackedApart) {
  ComplianceMonitor m;
  Traffic t(m);
  Traffic::Call a;
  a.op = Operation::kHeadGet;
  a.body = "";
  a.status = 429;
  t.send(a);
  Traffic::Call b = a;  // another client, same call, right away: not a retry of a's call
  b.client_key = "ck2";
  b.at = 6;
  b.status = 200;
  t.send(b);
  a.at = 700;
  a.status = 200;
  t.send(a);
  EXPECT_TRUE(m.findings().empty()) << describe(m.findings());
  Json report = m.report();
  ASSERT_EQ(report["clients"].size(), 2u);
  EXPECT_EQ(report["summary"]["retries"], 1);
}

TEST(ComplianceMonitorTest, ServerValidationFindingsAreReportedWithTheirRule) {
  ComplianceMonitor m;
  Traffic t(m);
  Traffic::Call c;
  c.op = Operation::kRequestsBatchPost;
  c.status = 400;
  c.findings = {"request.batch_size: the batch has 30 items (allowed: 1 to 25)", "free text"};
  t.send(c);
  auto findings = m.findings();
  ASSERT_EQ(findings.size(), 2u);
  std::map<std::string, Finding> by_rule;
  for (const auto& f : findings) by_rule[f.rule] = f;
  EXPECT_EQ(by_rule["request.batch_size"].severity, "error");
  EXPECT_EQ(by_rule["request.batch_size"].message,
            "requestQueue_requests_batch_post: the batch has 30 items (allowed: 1 to 25)");
  EXPECT_EQ(by_rule["request.batch_size"].seqs, std::vector<std::uint64_t>{1});
  EXPECT_TRUE(by_rule.count("request.invalid"));
}

TEST(ComplianceMonitorTest, KeepsExamplesBoundedAndCountsTheRest) {
  ComplianceOptions o;
  o.max_examples = 2;
  ComplianceMonitor m(o);
  Traffic t(m);
  Traffic::Call c;
  c.op = Operation::kRequestsPost;
  for (int i = 0; i < 5; ++i) {
    c.at = i * 10;
    c.findings = {"request.content_type: a JSON body without a Content-Type header"};
    t.send(c);
  }
  EXPECT_EQ(m.findings().size(), 2u);
  EXPECT_EQ(m.report()["clients"][0]["findingCounts"]["request.content_type"], 5);
  EXPECT_EQ(m.report()["summary"]["findings"], 5);
}

TEST(ComplianceMonitorTest, ReportAndSummaryNameRulesAndRequests) {
  ComplianceMonitor m;
  Traffic t(m);
  Traffic::Call c;
  c.op = Operation::kHeadGet;
  c.body = "";
  t.retried(c, {429, 429, 200}, {2, 3});
  Json r = m.report();
  EXPECT_EQ(r["summary"]["clients"], 1);
  EXPECT_EQ(r["summary"]["calls"], 3);
  EXPECT_EQ(r["summary"]["errors"], 2);
  const Json& client = r["clients"][0];
  EXPECT_EQ(client["userAgent"], "ApifyClient/2.25.1");
  EXPECT_EQ(client["clientKey"], "ck1");
  EXPECT_EQ(client["findings"][0]["rule"], "client.retry_immediately");
  EXPECT_EQ(client["findings"][0]["seqs"], Json::parse("[1,2]"));
  EXPECT_TRUE(r["rules"].contains("client.retry_immediately"));
  EXPECT_EQ(r["thresholds"]["minWaitMs"], 500);
  std::string s = m.summary();
  EXPECT_NE(s.find("1 client(s), 3 calls, 1 faults met, 2 retries; 2 finding(s) (2 errors"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("error client.retry_immediately x2"), std::string::npos) << s;
  EXPECT_NE(s.find("(seq 1, 2)"), std::string::npos) << s;
  m.clear();
  EXPECT_EQ(m.report()["summary"]["calls"], 0);
}

// ---- validate_request ------------------------------------------------------------------------

std::vector<std::string> rule_ids(const std::vector<std::string>& findings) {
  std::vector<std::string> out;
  for (const auto& f : findings) out.push_back(f.substr(0, f.find(':')));
  return out;
}

RequestFacts facts(Operation op, const Json* body,
                   std::vector<Header> query = {{"clientKey", "ck"}}) {
  RequestFacts f;
  f.op = op;
  f.body = body;
  f.has_body = body != nullptr;
  f.content_type = body ? "application/json; charset=utf-8" : "";
  f.query = std::move(query);
  f.authorization_header = true;
  return f;
}

TEST(ValidateRequestTest, AcceptsWhatTheOfficialClientsSend) {
  Json add = Json::parse(R"({"uniqueKey":"http://example.com","url":"http://example.com"})");
  EXPECT_TRUE(validate_request(facts(Operation::kRequestsPost, &add)).empty());
  Json batch =
      Json::parse(R"([{"uniqueKey":"a","url":"http://a"},{"uniqueKey":"b","url":"http://b"}])");
  EXPECT_TRUE(
      validate_request(facts(Operation::kRequestsBatchPost, &batch, {{"forefront", "0"}})).empty());
  Json del = Json::parse(R"([{"id":"8OamqXBCpPHxyH9"},{"uniqueKey":"b"}])");
  EXPECT_TRUE(validate_request(facts(Operation::kRequestsBatchDelete, &del)).empty());
  Json put = Json::parse(
      R"({"id":"8OamqXBCpPHxyH9","uniqueKey":"http://example.com","url":"http://example.com"})");
  RequestFacts pf = facts(Operation::kRequestPut, &put);
  pf.path_request_id = "8OamqXBCpPHxyH9";
  EXPECT_TRUE(validate_request(pf).empty());
  EXPECT_TRUE(validate_request(
                  facts(Operation::kHeadLockPost, nullptr, {{"lockSecs", "60"}, {"limit", "25"}}))
                  .empty());
  RequestFacts anonymous_read = facts(Operation::kRequestGet, nullptr, {});
  anonymous_read.authorization_header = false;
  EXPECT_TRUE(validate_request(anonymous_read).empty());
}

// A query parameter the operation does not define is ignored by the API: the report names it,
// with the documented name it most likely meant; one that other operations define is only noted.
TEST(ValidateRequestTest, UndefinedQueryParametersAreNamedWithTheirClosestDocumentedName) {
  using V = std::vector<std::string>;
  auto f = validate_request(
      facts(Operation::kHeadLockPost, nullptr, {{"lockSecs", "60"}, {"client_key", "ck"}}));
  ASSERT_EQ(rule_ids(f), V{"request.unknown_parameter"});
  EXPECT_NE(f[0].find("\"client_key\" is not defined for requestQueue_head_lock_post"),
            std::string::npos)
      << f[0];
  EXPECT_NE(f[0].find("did you mean \"clientKey\""), std::string::npos) << f[0];
  f = validate_request(facts(Operation::kRequestsGet, nullptr, {{"cursorId", "x"}}));
  ASSERT_EQ(rule_ids(f), V{"request.unknown_parameter"});
  EXPECT_NE(f[0].find("did you mean \"cursor\""), std::string::npos) << f[0];
  f = validate_request(facts(Operation::kRequestsGet, nullptr, {{"pageToken", "x"}}));
  ASSERT_EQ(rule_ids(f), V{"request.unknown_parameter"});
  EXPECT_EQ(f[0].find("did you mean"), std::string::npos) << f[0];
  // clientKey is a parameter of most queue operations, not of GET request.
  f = validate_request(facts(Operation::kRequestGet, nullptr, {{"clientKey", "ck"}}));
  EXPECT_EQ(rule_ids(f), V{"request.parameter_not_for_operation"});
  // token and method are every operation's (the token in the query is its own finding).
  EXPECT_EQ(rule_ids(validate_request(
                facts(Operation::kRequestGet, nullptr, {{"token", "t"}, {"method", "GET"}}))),
            V{"request.token_in_query"});
  for (const auto& rule : {"request.unknown_parameter", "request.parameter_not_for_operation"}) {
    bool listed = false;
    for (const auto& r : compliance_rules()) listed = listed || r.id == rule;
    EXPECT_TRUE(listed) << rule;
  }
}

// A request field RequestBase does not define: a near name is a warning naming the field meant,
// once per body however many batch items carry it; a misspelt required field is the missing
// field's finding; a field near none is only noted.
TEST(ValidateRequestTest, StrayRequestFieldsAreNamedOncePerBody) {
  using V = std::vector<std::string>;
  Json add = Json::parse(R"({"uniqueKey":"k","url":"u","userdata":{"a":1},"retry_count":2})");
  auto f = validate_request(facts(Operation::kRequestsPost, &add));
  ASSERT_EQ(rule_ids(f), (V{"request.unknown_field", "request.unknown_field"}));
  EXPECT_NE(f[0].find("field \"retry_count\" is not a field of a request"), std::string::npos)
      << f[0];
  EXPECT_NE(f[0].find("did you mean \"retryCount\""), std::string::npos) << f[0];
  EXPECT_NE(f[1].find("did you mean \"userData\""), std::string::npos) << f[1];

  Json batch = Json::array();
  for (int i = 0; i < 25; ++i) {
    batch.push_back(Json{{"uniqueKey", "k" + std::to_string(i)}, {"url", "u"}, {"noretry", true}});
  }
  f = validate_request(facts(Operation::kRequestsBatchPost, &batch));
  ASSERT_EQ(rule_ids(f), V{"request.unknown_field"}) << "one finding for 25 items";
  EXPECT_NE(f[0].find("item 0: field \"noretry\""), std::string::npos) << f[0];

  Json snake = Json::parse(R"({"unique_key":"k","url":"u"})");
  f = validate_request(facts(Operation::kRequestsPost, &snake));
  ASSERT_EQ(rule_ids(f), V{"request.unique_key_missing"});
  EXPECT_NE(f[0].find("is required (the body has \"unique_key\" instead)"), std::string::npos)
      << f[0];

  Json extra = Json::parse(R"({"uniqueKey":"k","url":"u","crawlSession":"s1"})");
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kRequestsPost, &extra))),
            V{"request.extra_field"});
  // What a client got from a head/lock and sends back is not stray.
  Json back =
      Json::parse(R"({"id":"x","uniqueKey":"k","url":"u","lockExpiresAt":"2026-01-01T00:00:00Z",)"
                  R"("lockByClient":"c","handledAt":null,"errorMessages":[],"loadedUrl":null})");
  for (const std::string& r : rule_ids(validate_request(facts(Operation::kRequestPut, &back)))) {
    EXPECT_NE(r, "request.unknown_field");
    EXPECT_NE(r, "request.extra_field");
  }
  for (const auto& rule : {"request.unknown_field", "request.extra_field"}) {
    bool listed = false;
    for (const auto& r : compliance_rules()) listed = listed || r.id == rule;
    EXPECT_TRUE(listed) << rule;
  }
}

TEST(ValidateRequestTest, FindsEachDocumentedRule) {
  using V = std::vector<std::string>;
  Json big = Json::array();
  for (int i = 0; i < 26; ++i)
    big.push_back(Json{{"uniqueKey", "k" + std::to_string(i)}, {"url", "u"}});
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kRequestsBatchPost, &big))),
            V{"request.batch_size"});
  Json empty = Json::array();
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kRequestsBatchDelete, &empty))),
            V{"request.batch_size"});
  Json dup = Json::parse(R"([{"uniqueKey":"a","url":"u"},{"uniqueKey":"a","url":"u"}])");
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kRequestsBatchPost, &dup))),
            V{"request.batch_duplicate_keys"});
  Json obj = Json::parse(R"({"uniqueKey":"a","url":"u"})");
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kRequestsBatchPost, &obj))),
            V{"request.batch_not_array"});
  Json no_key = Json::parse(R"({"url":"u"})");
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kRequestsPost, &no_key))),
            V{"request.unique_key_missing"});
  Json no_url = Json::parse(R"({"uniqueKey":"a"})");
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kRequestsPost, &no_url))),
            V{"request.url_missing"});
  Json wrong_id = Json::parse(R"({"id":"AAAAAAAAAAAAAAA","uniqueKey":"a","url":"u"})");
  auto f = validate_request(facts(Operation::kRequestsPost, &wrong_id));
  ASSERT_EQ(rule_ids(f), V{"request.id_mismatch"});
  EXPECT_NE(f[0].find(request_id_for("a")), std::string::npos) << f[0];
  Json put = Json::parse(R"({"uniqueKey":"a","url":"u"})");
  RequestFacts pf = facts(Operation::kRequestPut, &put);
  pf.path_request_id = "AAAAAAAAAAAAAAA";
  EXPECT_EQ(rule_ids(validate_request(pf)), V{"request.id_mismatch"});
  Json del = Json::parse(R"([{"url":"u"}])");
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kRequestsBatchDelete, &del))),
            V{"request.batch_item_invalid"});

  EXPECT_EQ(rule_ids(validate_request(
                facts(Operation::kHeadGet, nullptr, {{"clientKey", std::string(33, 'k')}}))),
            V{"request.client_key_length"});
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kHeadGet, nullptr, {{"clientKey", ""}}))),
            V{"request.client_key_length"});
  EXPECT_EQ(rule_ids(validate_request(facts(Operation::kHeadLockPost, nullptr, {}))),
            V{"request.lock_secs"});
  EXPECT_EQ(
      rule_ids(validate_request(facts(Operation::kRequestLockPut, nullptr, {{"lockSecs", "-1"}}))),
      V{"request.lock_secs"});
  EXPECT_EQ(rule_ids(validate_request(
                facts(Operation::kHeadLockPost, nullptr, {{"lockSecs", "60"}, {"limit", "100"}}))),
            V{"request.limit"});
  EXPECT_EQ(
      rule_ids(validate_request(facts(Operation::kRequestsPost, &obj, {{"forefront", "yes"}}))),
      V{"request.boolean_param"});

  RequestFacts no_ct = facts(Operation::kRequestsPost, &obj);
  no_ct.content_type = "text/plain";
  EXPECT_EQ(rule_ids(validate_request(no_ct)), V{"request.content_type"});
  RequestFacts not_json = facts(Operation::kRequestsPost, nullptr);
  not_json.has_body = true;
  not_json.content_type = "application/json";
  EXPECT_EQ(rule_ids(validate_request(not_json)), V{"request.body_not_json"});

  RequestFacts query_token = facts(Operation::kHeadGet, nullptr, {{"token", "t"}});
  query_token.authorization_header = false;
  EXPECT_EQ(rule_ids(validate_request(query_token)), V{"request.token_in_query"});
  RequestFacts no_token = facts(Operation::kRequestsPost, &obj);
  no_token.authorization_header = false;
  EXPECT_EQ(rule_ids(validate_request(no_token)), V{"request.token_missing"});
}

TEST(ComplianceRulesTest, EveryRuleHasASeverityAndASource) {
  std::set<std::string_view> ids;
  for (const auto& r : compliance_rules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_TRUE(r.severity == "error" || r.severity == "warning" || r.severity == "info") << r.id;
    EXPECT_FALSE(r.description.empty()) << r.id;
  }
}

}  // namespace
}  // namespace rqcheck::fake
