#include "rqcheck/fake_server/journal.h"

#include <gtest/gtest.h>

#include <thread>

#include "rqcheck/core/request_id.h"

namespace rqcheck::fake {
namespace {

JournalEntry entry(std::string method, std::string path, int status,
                   std::optional<Operation> op = std::nullopt) {
  JournalEntry e;
  e.method = std::move(method);
  e.path = std::move(path);
  e.status = status;
  e.op = op;
  e.arrival_ms = 1700000000000;
  return e;
}

TEST(JournalTest, IsBoundedAndDropsTheOldest) {
  Journal j(3);
  for (int i = 0; i < 5; ++i)
    j.append(entry("GET", "/v2/request-queues/" + std::to_string(i), 200));
  EXPECT_EQ(j.size(), 3u);
  auto all = j.query(JournalFilter{});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].seq, 3u);
  EXPECT_EQ(all[2].seq, 5u);
  Json page = j.to_json(JournalFilter{});
  EXPECT_EQ(page["appended"], 5);
  EXPECT_EQ(page["dropped"], 2);
  EXPECT_EQ(page["capacity"], 3);
  j.clear();
  EXPECT_EQ(j.size(), 0u);
}

TEST(JournalTest, ReservedSeqsAreKept) {
  Journal j(10);
  std::uint64_t a = j.reserve_seq(), b = j.reserve_seq();
  JournalEntry eb = entry("GET", "/b", 200);
  eb.seq = b;
  j.append(eb);  // completes first
  JournalEntry ea = entry("GET", "/a", 200);
  ea.seq = a;
  j.append(ea);
  j.append(entry("GET", "/c", 200));
  // Listed in seq (arrival) order, whatever the order the calls completed in.
  auto all = j.query(JournalFilter{});
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].seq, a);
  EXPECT_EQ(all[0].path, "/a");
  EXPECT_EQ(all[1].seq, b);
  EXPECT_EQ(all[2].seq, 3u);
}

// An entry whose call outlived `capacity` newer calls finds its slot taken and is dropped, not
// put back over a newer one.
TEST(JournalTest, AnEntryOlderThanItsSlotIsDropped) {
  Journal j(2);
  std::uint64_t slow = j.reserve_seq();  // 1
  j.append(entry("GET", "/2", 200));     // seq 2
  j.append(entry("GET", "/3", 200));     // seq 3, slot of seq 1
  JournalEntry late = entry("GET", "/1", 200);
  late.seq = slow;
  j.append(late);
  auto all = j.query(JournalFilter{});
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].path, "/2");
  EXPECT_EQ(all[1].path, "/3");
  Json page = j.to_json(JournalFilter{});
  EXPECT_EQ(page["appended"], 3);
  EXPECT_EQ(page["dropped"], 1);
}

TEST(JournalTest, FiltersOnEachField) {
  Journal j(100);
  JournalEntry batch =
      entry("POST", "/v2/request-queues/q1/requests/batch", 201, Operation::kRequestsBatchPost);
  batch.client_key = "ck";
  batch.user = "u1";
  batch.fault_rule = "part";
  batch.fault_action = "partial";
  j.append(batch);
  JournalEntry limited =
      entry("POST", "/v2/request-queues/q1/requests/batch", 429, Operation::kRequestsBatchPost);
  limited.findings = {"request.batch_size: the batch has 26 items (allowed: 1 to 25)"};
  j.append(limited);
  j.append(entry("GET", "/v2/request-queues/q2/head", 200, Operation::kHeadGet));
  j.append(entry("GET", "/v2/request-queues/q2/head", 0, Operation::kHeadGet));

  auto count = [&](auto set) {
    JournalFilter f;
    set(f);
    return j.query(f).size();
  };
  EXPECT_EQ(count([](JournalFilter& f) { f.method = "POST"; }), 2u);
  EXPECT_EQ(count([](JournalFilter& f) { f.op = Operation::kHeadGet; }), 2u);
  EXPECT_EQ(count([](JournalFilter& f) { f.path_contains = "q2"; }), 2u);
  EXPECT_EQ(count([](JournalFilter& f) { f.status = 429; }), 1u);
  EXPECT_EQ(count([](JournalFilter& f) { f.status = 0; }), 1u);
  EXPECT_EQ(count([](JournalFilter& f) { f.client_key = "ck"; }), 1u);
  EXPECT_EQ(count([](JournalFilter& f) { f.user = "u1"; }), 1u);
  EXPECT_EQ(count([](JournalFilter& f) { f.faulted_only = true; }), 1u);
  EXPECT_EQ(count([](JournalFilter& f) { f.with_findings_only = true; }), 1u);
  EXPECT_EQ(count([](JournalFilter& f) { f.since_seq = 2; }), 2u);
  EXPECT_EQ(count([](JournalFilter& f) {
              f.method = "POST";
              f.status = 201;
            }),
            1u);
}

TEST(JournalTest, LimitTakesTheNewestOrPagesForwardFromSince) {
  Journal j(100);
  for (int i = 0; i < 10; ++i) j.append(entry("GET", "/p", 200));
  JournalFilter newest;
  newest.limit = 3;
  auto n = j.query(newest);
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[0].seq, 8u);
  EXPECT_EQ(n[2].seq, 10u);
  JournalFilter page;
  page.limit = 3;
  page.since_seq = 2;
  auto p = j.query(page);
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].seq, 3u);
  EXPECT_EQ(p[2].seq, 5u);
}

TEST(JournalTest, RedactsSecrets) {
  EXPECT_EQ(redact_query("token=abc&clientKey=k"), "token=REDACTED&clientKey=k");
  EXPECT_EQ(redact_query("clientKey=k&token=abc"), "clientKey=k&token=REDACTED");
  EXPECT_EQ(redact_query("mytoken=abc&token"), "mytoken=abc&token");
  EXPECT_EQ(redact_query(""), "");
  auto h = redact_headers({{"authorization", "Bearer s3cr3t"},
                           {"Cookie", "session=1"},
                           {"Proxy-Authorization", "Basic xyz"},
                           {"User-Agent", "ApifyClient/2.25.1"},
                           {"X-Long", std::string(2000, 'a')}});
  ASSERT_EQ(h.size(), 5u);
  EXPECT_EQ(h[0].second, "Bearer REDACTED");
  EXPECT_EQ(h[1].second, "REDACTED");
  EXPECT_EQ(h[2].second, "Basic REDACTED");
  EXPECT_EQ(h[3].second, "ApifyClient/2.25.1");
  EXPECT_LT(h[4].second.size(), 600u);
  std::vector<Header> many(100, {"X", "y"});
  EXPECT_EQ(redact_headers(many).size(), 64u);
}

TEST(JournalTest, DigestsBodiesAndBoundsKeys) {
  EXPECT_EQ(body_digest(""), "");
  EXPECT_EQ(body_digest("abc"), "ba7816bf8f01cfea");  // SHA-256("abc")
  EXPECT_EQ(bound_key("http://example.com"), "http://example.com");
  std::string long_key(1000, 'k');
  std::string bounded = bound_key(long_key);
  EXPECT_LE(bounded.size(), 256u);
  EXPECT_EQ(bounded, bound_key(long_key));
  EXPECT_NE(bounded, bound_key(long_key + "x"));
}

TEST(JournalTest, ExtractsItemKeysAndResponseOutcome) {
  Json add = Json::parse(R"({"uniqueKey":"a","url":"http://a"})");
  EXPECT_EQ(item_keys_of(Operation::kRequestsPost, add), std::vector<std::string>{"a"});
  Json batch =
      Json::parse(R"([{"uniqueKey":"a","url":"u"},{"uniqueKey":"b","url":"u"},{"url":"u"}])");
  EXPECT_EQ(item_keys_of(Operation::kRequestsBatchPost, batch),
            (std::vector<std::string>{"a", "b"}));
  Json del = Json::parse(R"([{"id":"AAAAAAAAAAAAAAA","uniqueKey":"x"},{"uniqueKey":"b"}])");
  EXPECT_EQ(item_keys_of(Operation::kRequestsBatchDelete, del),
            (std::vector<std::string>{"AAAAAAAAAAAAAAA", "b"}));
  EXPECT_TRUE(item_keys_of(Operation::kHeadGet, add).empty());

  JournalEntry e = entry("POST", "/b", 201, Operation::kRequestsBatchPost);
  e.item_keys = {"a", "b"};
  note_response(e, Json::parse(R"({"data":{
      "processedRequests":[{"requestId":"x","uniqueKey":"a","wasAlreadyPresent":true,"wasAlreadyHandled":false}],
      "unprocessedRequests":[{"uniqueKey":"b","url":"u","method":"GET"}]}})"));
  EXPECT_EQ(e.unprocessed_keys, std::vector<std::string>{"b"});
  EXPECT_EQ(e.already_present_keys, std::vector<std::string>{"a"});

  JournalEntry single = entry("POST", "/r", 201, Operation::kRequestsPost);
  single.item_keys = {"a"};
  note_response(
      single,
      Json::parse(
          R"({"data":{"requestId":"x","wasAlreadyPresent":true,"wasAlreadyHandled":false}})"));
  EXPECT_EQ(single.already_present_keys, std::vector<std::string>{"a"});

  JournalEntry err = entry("POST", "/r", 429, Operation::kRequestsPost);
  note_response(err, Json::parse(R"({"error":{"type":"rate-limit-exceeded","message":"m"}})"));
  EXPECT_EQ(err.error_type, "rate-limit-exceeded");
}

TEST(JournalTest, SerialisesEntries) {
  JournalEntry e =
      entry("POST", "/v2/request-queues/q/requests/batch", 201, Operation::kRequestsBatchPost);
  e.seq = 7;
  e.query = redact_query("token=t&clientKey=ck");
  e.headers = redact_headers({{"Authorization", "Bearer t"}});
  e.client_key = "ck";
  e.fault_rule = "p";
  e.fault_action = "partial";
  e.item_keys = {"a"};
  e.unprocessed_keys = {"a"};
  Json j = to_json(e);
  EXPECT_EQ(j["seq"], 7);
  EXPECT_EQ(j["arrivedAt"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(j["operation"], "requestQueue_requests_batch_post");
  EXPECT_EQ(j["query"], "token=REDACTED&clientKey=ck");
  EXPECT_EQ(j["headers"][0][1], "Bearer REDACTED");
  EXPECT_EQ(j["fault"], Json::parse(R"({"rule":"p","action":"partial"})"));
  EXPECT_EQ(j["unprocessedKeys"], Json::parse(R"(["a"])"));
  EXPECT_EQ(j["clientKey"], "ck");
  EXPECT_TRUE(to_json(entry("GET", "/", 200))["fault"].is_null());
}

TEST(JournalFilterTest, ReadsQueryParameters) {
  auto f = JournalFilter::from_query({{"method", "post"},
                                      {"operation", "batch_add"},
                                      {"path", "/batch"},
                                      {"status", "429"},
                                      {"since", "12"},
                                      {"clientKey", "ck"},
                                      {"user", "u"},
                                      {"faulted", "1"},
                                      {"findings", "false"},
                                      {"limit", "50"},
                                      {"token", "admin"}});
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->method, "POST");
  EXPECT_EQ(f->op, Operation::kRequestsBatchPost);
  EXPECT_EQ(f->path_contains, "/batch");
  EXPECT_EQ(f->status, 429);
  EXPECT_EQ(f->since_seq, 12u);
  EXPECT_EQ(f->client_key, "ck");
  EXPECT_EQ(f->user, "u");
  EXPECT_TRUE(f->faulted_only);
  EXPECT_FALSE(f->with_findings_only);
  EXPECT_EQ(f->limit, 50u);
  for (Header bad :
       {Header{"limit", "0"}, Header{"limit", "20000"}, Header{"status", "abc"},
        Header{"operation", "nope"}, Header{"faulted", "yes"}, Header{"colour", "red"}}) {
    auto r = JournalFilter::from_query({bad});
    ASSERT_FALSE(r) << bad.first << "=" << bad.second;
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().type, "invalid-parameter");
  }
}

TEST(JournalTest, ConcurrentAppendsKeepEveryEntryUpToCapacity) {
  Journal j(1000);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 400; ++i) j.append(entry("GET", "/p", 200));
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(j.size(), 1000u);
  EXPECT_EQ(j.to_json(JournalFilter{})["appended"], 1600);
}

}  // namespace
}  // namespace rqcheck::fake
