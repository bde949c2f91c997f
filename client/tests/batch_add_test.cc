#include "rqcheck/client/batch_add.h"

#include <gtest/gtest.h>

#include <functional>
#include <set>

#include "rqcheck/client/http_client.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"
#include "scripted_server.h"

namespace rqcheck::client {
namespace {

using std::chrono::milliseconds;

// A RequestQueueApi written in the test: only batch add is scripted, so the helper is shown to
// work over any implementation of the interface.
class ScriptedBatchApi : public RequestQueueApi {
 public:
  // Decides, per call, which of the sent requests are processed (or the call fails).
  std::function<Result<BatchAddResult>(int call, const std::vector<Json>&)> answer;
  std::vector<std::vector<Json>> calls;
  std::vector<WriteOptions> options;

  Result<BatchAddResult> batch_add_requests(std::string_view, const std::vector<Json>& requests,
                                            const WriteOptions& o) override {
    calls.push_back(requests);
    options.push_back(o);
    return answer(int(calls.size()), requests);
  }

  static ApiError unused() { return errors::not_implemented("not scripted"); }
  Result<QueuesPage> list_queues(const ListQueuesOptions&) override { return unused(); }
  Result<RequestQueueInfo> get_or_create_queue(const std::optional<std::string>&) override {
    return unused();
  }
  Result<RequestQueueInfo> get_queue(std::string_view) override { return unused(); }
  Result<RequestQueueInfo> update_queue(std::string_view, const QueueUpdate&) override {
    return unused();
  }
  Status delete_queue(std::string_view) override { return unused(); }
  Result<AddResult> add_request(std::string_view, const Json&, const WriteOptions&) override {
    return unused();
  }
  Result<RequestsPage> list_requests(std::string_view, const ListRequestsOptions&) override {
    return unused();
  }
  Result<BatchDeleteResult> batch_delete_requests(std::string_view, const std::vector<Json>&,
                                                  const ClientKeyOptions&) override {
    return unused();
  }
  Result<Json> get_request(std::string_view, std::string_view) override { return unused(); }
  Result<AddResult> update_request(std::string_view, std::string_view, const Json&,
                                   const WriteOptions&) override {
    return unused();
  }
  Status delete_request(std::string_view, std::string_view, const ClientKeyOptions&) override {
    return unused();
  }
  Result<Head> list_head(std::string_view, const HeadOptions&) override { return unused(); }
  Result<Head> list_and_lock_head(std::string_view, const LockHeadOptions&) override {
    return unused();
  }
  Result<TimeMs> prolong_request_lock(std::string_view, std::string_view,
                                      const ProlongLockOptions&) override {
    return unused();
  }
  Status delete_request_lock(std::string_view, std::string_view,
                             const DeleteLockOptions&) override {
    return unused();
  }
  Result<std::int64_t> unlock_requests(std::string_view, const ClientKeyOptions&) override {
    return unused();
  }
};

std::vector<Json> make_requests(int n) {
  std::vector<Json> out;
  for (int i = 0; i < n; ++i) {
    std::string u = "http://example.com/" + std::to_string(i);
    out.push_back(Json{{"url", u}, {"uniqueKey", u}, {"method", "GET"}});
  }
  return out;
}

ProcessedRequest processed(const Json& r) {
  std::string key = r["uniqueKey"];
  return ProcessedRequest{request_id_for(key), key, false, false};
}

UnprocessedRequest unprocessed(const Json& r) {
  return UnprocessedRequest{r["uniqueKey"], r["url"], std::string("GET")};
}

// Processes only the first `n` requests of every call.
Result<BatchAddResult> first_n(const std::vector<Json>& sent, std::size_t n) {
  BatchAddResult res;
  for (std::size_t i = 0; i < sent.size(); ++i) {
    if (i < n)
      res.processed.push_back(processed(sent[i]));
    else
      res.unprocessed.push_back(unprocessed(sent[i]));
  }
  return res;
}

class BatchAddAllTest : public ::testing::Test {
 protected:
  BatchAddAllOptions options() {
    BatchAddAllOptions o;
    o.seed = 3;
    o.sleeper = [this](milliseconds d) { slept_.push_back(d); };
    return o;
  }
  ScriptedBatchApi api_;
  std::vector<milliseconds> slept_;
};

TEST_F(BatchAddAllTest, ResendsOnlyTheUnprocessedRequests) {
  api_.answer = [](int, const std::vector<Json>& sent) { return first_n(sent, 2); };
  auto reqs = make_requests(5);
  BatchAddAllResult r = batch_add_all(api_, "q", reqs, options());
  EXPECT_EQ(r.calls, 3u);
  ASSERT_EQ(api_.calls.size(), 3u);
  EXPECT_EQ(api_.calls[0].size(), 5u);
  EXPECT_EQ(api_.calls[1], (std::vector<Json>{reqs[2], reqs[3], reqs[4]}));
  EXPECT_EQ(api_.calls[2], (std::vector<Json>{reqs[4]}));
  EXPECT_EQ(r.result.processed.size(), 5u);
  EXPECT_TRUE(r.result.unprocessed.empty());
  EXPECT_TRUE(r.errors.empty());
  EXPECT_EQ(slept_.size(), 2u);  // between calls only
}

TEST_F(BatchAddAllTest, GivesUpAfterOnePlusThreeCallsWithBackoff) {
  api_.answer = [](int, const std::vector<Json>& sent) { return first_n(sent, 0); };
  auto reqs = make_requests(3);
  BatchAddAllResult r = batch_add_all(api_, "q", reqs, options());
  EXPECT_EQ(r.calls, 4u);
  EXPECT_TRUE(r.result.processed.empty());
  ASSERT_EQ(r.result.unprocessed.size(), 3u);
  EXPECT_EQ(r.result.unprocessed[1].unique_key, "http://example.com/1");
  EXPECT_EQ(r.result.unprocessed[1].method, "GET");
  // floor((1 + U) * 2^i * 500 ms), reproducible from the seed.
  Jitter jitter(3);
  ASSERT_EQ(slept_.size(), 3u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(slept_[i].count(), static_cast<long long>((1.0 + jitter.next()) * (500 << i)));
    EXPECT_GE(slept_[i], milliseconds(500 << i));
    EXPECT_LT(slept_[i], milliseconds(1000 << i));
  }
}

TEST_F(BatchAddAllTest, SplitsIntoChunksOfTwentyFive) {
  api_.answer = [](int, const std::vector<Json>& sent) { return first_n(sent, sent.size()); };
  BatchAddAllOptions o = options();
  o.write.forefront = true;
  o.write.client_key = "ck";
  BatchAddAllResult r = batch_add_all(api_, "q", make_requests(60), o);
  ASSERT_EQ(api_.calls.size(), 3u);
  EXPECT_EQ(api_.calls[0].size(), 25u);
  EXPECT_EQ(api_.calls[1].size(), 25u);
  EXPECT_EQ(api_.calls[2].size(), 10u);
  EXPECT_EQ(r.result.processed.size(), 60u);
  EXPECT_EQ(api_.options[2].forefront, true);
  EXPECT_EQ(api_.options[2].client_key, "ck");
  EXPECT_TRUE(slept_.empty());
}

TEST_F(BatchAddAllTest, SplitsByBytesAndSkipsOversizedRequests) {
  api_.answer = [](int, const std::vector<Json>& sent) { return first_n(sent, sent.size()); };
  BatchAddAllOptions o = options();
  o.max_chunk_bytes = 200;
  auto reqs = make_requests(4);  // about 80 bytes each
  reqs.push_back(Json{{"url", "u"}, {"uniqueKey", "big"}, {"payload", std::string(300, 'x')}});
  BatchAddAllResult r = batch_add_all(api_, "q", reqs, o);
  ASSERT_EQ(api_.calls.size(), 2u);
  EXPECT_EQ(api_.calls[0].size(), 2u);
  EXPECT_EQ(api_.calls[1].size(), 2u);
  ASSERT_EQ(r.result.unprocessed.size(), 1u);
  EXPECT_EQ(r.result.unprocessed[0].unique_key, "big");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].type, "request-too-large");
}

TEST_F(BatchAddAllTest, KeepsGoingAfterServerErrorsButStopsOnClientErrors) {
  api_.answer = [](int call, const std::vector<Json>& sent) -> Result<BatchAddResult> {
    if (call == 1) return errors::internal_server_error("boom");
    return first_n(sent, sent.size());
  };
  BatchAddAllResult r = batch_add_all(api_, "q", make_requests(2), options());
  EXPECT_EQ(r.calls, 2u);
  EXPECT_EQ(r.result.processed.size(), 2u);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].status, 500);

  ScriptedBatchApi refusing;
  refusing.answer = [](int, const std::vector<Json>&) -> Result<BatchAddResult> {
    return errors::duplicate_requests("k");
  };
  r = batch_add_all(refusing, "q", make_requests(2), options());
  EXPECT_EQ(r.calls, 1u);
  EXPECT_EQ(r.result.unprocessed.size(), 2u);
  EXPECT_EQ(r.errors.at(0).status, 400);
}

TEST_F(BatchAddAllTest, DoesNotLoseRequestsTheServerDropsSilently) {
  // The server reports neither processed nor unprocessed for the last request.
  api_.answer = [](int, const std::vector<Json>& sent) {
    BatchAddResult res;
    for (std::size_t i = 0; i + 1 < sent.size(); ++i) res.processed.push_back(processed(sent[i]));
    return Result<BatchAddResult>(res);
  };
  auto reqs = make_requests(3);
  BatchAddAllResult r = batch_add_all(api_, "q", reqs, options());
  EXPECT_EQ(r.calls, 4u);
  EXPECT_EQ(api_.calls[1], (std::vector<Json>{reqs[2]}));
  ASSERT_EQ(r.result.unprocessed.size(), 1u);
  EXPECT_EQ(r.result.unprocessed[0].unique_key, "http://example.com/2");
}

TEST_F(BatchAddAllTest, MakesNoCallForNoRequests) {
  api_.answer = [](int, const std::vector<Json>& sent) { return first_n(sent, 0); };
  BatchAddAllResult r = batch_add_all(api_, "q", {}, options());
  EXPECT_EQ(r.calls, 0u);
  EXPECT_TRUE(api_.calls.empty());
}

class BatchAddAllOverHttpTest : public ::testing::Test {
 protected:
  void SetUp() override { server_.start(); }
  void TearDown() override { server_.stop(); }
  testing::ScriptedServer server_;
};

TEST_F(BatchAddAllOverHttpTest, ResendsUnprocessedThroughHttpClient) {
  auto reqs = make_requests(2);
  server_.push(201, dump_json(Json{{"data", to_json(*first_n(reqs, 1))}}));
  server_.push(201, dump_json(Json{{"data", to_json(*first_n({reqs[1]}, 1))}}));
  ClientConfig c;
  c.base_url = server_.base_url();
  HttpClient http(c);
  BatchAddAllOptions o;
  o.sleeper = [](milliseconds) {};
  BatchAddAllResult r = batch_add_all(http, "q", reqs, o);
  EXPECT_EQ(r.calls, 2u);
  EXPECT_EQ(r.result.processed.size(), 2u);
  EXPECT_TRUE(r.result.unprocessed.empty());
  auto got = server_.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(Json::parse(got[1].body), Json::array({reqs[1]}));
}

}  // namespace
}  // namespace rqcheck::client
