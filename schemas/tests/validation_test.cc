// The validator's contract: pointers, readable reasons, selection by operation and status,
// date-time with a timezone, and thread safety.
#include "rqcheck/schemas/validation.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "rqcheck/schemas/messages.h"

namespace rqcheck::schemas {
namespace {

using nlohmann::json;

bool has(const ValidationResult& r, const std::string& pointer, const std::string& words) {
  for (const Violation& v : r.violations) {
    if (v.pointer == pointer && v.reason.find(words) != std::string::npos) return true;
  }
  return false;
}

// Why formats are rewritten: valijson 1.0's own date-time check does require a timezone, but it
// rejects null even where the type allows it (so a nullable handledAt would fail).
TEST(SchemaValidationTest, ValijsonDateTimeFormatNeedsTimezoneButRejectsNull) {
  json schema = {{"type", json::array({"string", "null"})}, {"format", "date-time"}};
  valijson::Schema s;
  valijson::SchemaParser parser;
  valijson::adapters::NlohmannJsonAdapter sa(schema);
  parser.populateSchema(sa, s);
  valijson::Validator v;
  auto check = [&](const json& doc) {
    valijson::adapters::NlohmannJsonAdapter a(doc);
    return v.validate(s, a, nullptr);
  };
  EXPECT_TRUE(check("2019-06-16T10:23:31.607Z"));
  EXPECT_TRUE(check("2019-06-16T10:23:31+02:00"));
  EXPECT_FALSE(check("2019-06-16T10:23:31.607"));
  EXPECT_FALSE(check(nullptr)) << "valijson fixed its null handling: the rewrite may go";
}

TEST(SchemaValidationTest, DateTimeNeedsATimezone) {
  auto body = [](const json& t) { return json{{"data", {{"lockExpiresAt", t}}}}; };
  const Operation op = Operation::kRequestLockPut;
  EXPECT_TRUE(validate_response(op, 200, body("2022-06-14T23:00:00.000Z")));
  EXPECT_TRUE(validate_response(op, 200, body("2022-06-14T23:00:00z")));
  EXPECT_TRUE(validate_response(op, 200, body("2022-06-15T01:00:00.5+02:00")));
  for (const char* naive :
       {"2022-06-14T23:00:00.000", "2022-06-14T23:00:00", "2022-06-14 23:00:00Z", "2022-06-14",
        "2022-13-14T23:00:00Z", "2022-02-30T23:00:00Z", "2022-06-14T23:00:00+0200",
        "2022-06-14T23:00:00-24:00"}) {
    const ValidationResult r = validate_response(op, 200, body(naive));
    EXPECT_TRUE(has(r, "/data/lockExpiresAt", "timezone")) << naive << ": " << r.summary();
  }
}

TEST(SchemaValidationTest, NullableTimestampsAcceptNull) {
  json req = {{"uniqueKey", "k"}, {"url", "http://example.com"}, {"handledAt", nullptr}};
  EXPECT_TRUE(validate_request(Operation::kRequestsPost, req));
  req["handledAt"] = 5;
  EXPECT_TRUE(has(validate_request(Operation::kRequestsPost, req), "/handledAt",
                  "expected string or null, got integer"));
}

// stats is optional (spec section 2): null or absent are both allowed (LEDGER L33); a stats
// object still holds integers.
TEST(SchemaValidationTest, QueueStatsMayBeNullOrAbsent) {
  json q = {{"id", "WkzbQMuFYuamGv3YF"},
            {"userId", "WkzbQMuFYuamGv3YG"},
            {"createdAt", "2019-06-16T10:23:31.607Z"},
            {"modifiedAt", "2019-06-16T10:23:31.607Z"},
            {"accessedAt", "2019-06-16T10:23:31.607Z"},
            {"totalRequestCount", 0},
            {"handledRequestCount", 0},
            {"pendingRequestCount", 0},
            {"hadMultipleClients", false},
            {"consoleUrl", "https://console.apify.com/storage/request-queues/WkzbQMuFYuamGv3YF"}};
  EXPECT_TRUE(validate_response(Operation::kQueueGet, 200, json{{"data", q}}));
  q["stats"] = nullptr;
  EXPECT_TRUE(validate_response(Operation::kQueueGet, 200, json{{"data", q}}))
      << validate_response(Operation::kQueueGet, 200, json{{"data", q}}).summary();
  q["stats"] = {{"readCount", 1}};
  EXPECT_TRUE(validate_response(Operation::kQueueGet, 200, json{{"data", q}}));
  q["stats"] = {{"readCount", "1"}};
  EXPECT_TRUE(has(validate_response(Operation::kQueueGet, 200, json{{"data", q}}),
                  "/data/stats/readCount", "integer"));
  q["stats"] = 3;
  EXPECT_FALSE(validate_response(Operation::kQueueGet, 200, json{{"data", q}}));
}

TEST(SchemaValidationTest, ReportsEveryViolationWithItsPointer) {
  json batch = json::array({{{"url", "http://a"}},
                            {{"uniqueKey", "b"}, {"url", 7}},
                            {{"uniqueKey", "c"}, {"url", "http://c"}, {"method", "FETCH"}}});
  const ValidationResult r = validate_request(Operation::kRequestsBatchPost, batch);
  ASSERT_FALSE(r);
  EXPECT_TRUE(has(r, "/0", "missing required property \"uniqueKey\"")) << r.summary();
  EXPECT_TRUE(has(r, "/1/url", "expected string, got integer")) << r.summary();
  EXPECT_TRUE(has(r, "/2/method", "\"FETCH\" is not one of")) << r.summary();
  EXPECT_EQ(r.violations.size(), 3u) << r.summary();
}

TEST(SchemaValidationTest, BatchBoundsAreOneToTwentyFive) {
  json item = {{"uniqueKey", "k"}, {"url", "u"}};
  EXPECT_TRUE(has(validate_request(Operation::kRequestsBatchPost, json::array()), "", "no fewer"));
  EXPECT_TRUE(validate_request(Operation::kRequestsBatchPost, json(std::vector<json>(25, item))));
  EXPECT_TRUE(
      has(validate_request(Operation::kRequestsBatchPost, json(std::vector<json>(26, item))), "",
          "no more than 25"));
  EXPECT_TRUE(has(validate_request(Operation::kRequestsBatchDelete, json::array({json::object()})),
                  "/0", "needs at least one of the properties \"id\" or \"uniqueKey\""));
}

TEST(SchemaValidationTest, PointersEscapeSlashAndTilde) {
  auto s = CompiledSchema::compile(
      {{"properties", {{"a/b", {{"properties", {{"c~d", {{"type", "integer"}}}}}}}}}});
  ASSERT_TRUE(s.has_value());
  const ValidationResult r = s->validate({{"a/b", {{"c~d", "x"}}}});
  EXPECT_TRUE(has(r, "/a~1b/c~0d", "expected integer, got string")) << r.summary();
}

TEST(SchemaValidationTest, BoundsReadWithoutDecimalNoise) {
  const ValidationResult r = validate_response(Operation::kHeadLockPost, 201,
                                               {{"data",
                                                 {{"limit", 26},
                                                  {"queueModifiedAt", "2024-01-02T03:04:05Z"},
                                                  {"hadMultipleClients", false},
                                                  {"lockSecs", 60},
                                                  {"items", json::array()}}}});
  EXPECT_TRUE(has(r, "/data/limit", "less than or equal to 25 (got 26)")) << r.summary();
}

TEST(SchemaValidationTest, StatusSelectsTheMessage) {
  const json err = {{"error", {{"type", "record-not-found"}, {"message", "gone"}}}};
  for (int s : {400, 401, 404, 409, 429, 500, 503}) {
    EXPECT_TRUE(validate_response(Operation::kQueueGet, s, err)) << s;
  }
  EXPECT_TRUE(has(validate_response(Operation::kQueueGet, 404, json::object()), "",
                  "missing required property \"error\""));
  EXPECT_TRUE(validate_response(Operation::kQueueDelete, 204, nullptr));
  EXPECT_TRUE(has(validate_response(Operation::kQueueDelete, 204, err), "", "has no body"));
  EXPECT_TRUE(has(validate_response(Operation::kQueueGet, 201, err), "", "not documented"));
  EXPECT_TRUE(validate_request(Operation::kHeadLockPost, nullptr));
  EXPECT_TRUE(
      has(validate_request(Operation::kHeadLockPost, json::object()), "", "takes no request body"));
  EXPECT_EQ(*request_message(Operation::kRequestsBatchPost),
            "requestQueue_requests_batch_post.request");
  EXPECT_EQ(*response_message(Operation::kQueuesPost, 200), "requestQueues_post.response.200");
}

TEST(SchemaValidationTest, UnknownMessageIsAViolation) {
  EXPECT_TRUE(has(validate("no-such-message", json::object()), "", "unknown message"));
}

TEST(SchemaValidationTest, CompileRejectsRemoteRefs) {
  std::string error;
  EXPECT_FALSE(CompiledSchema::compile({{"$ref", "http://example.com/x.json"}}, &error));
  EXPECT_FALSE(error.empty());
}

TEST(SchemaValidationTest, ConcurrentValidationAgrees) {
  json good = {{"data", {{"lockExpiresAt", "2022-06-14T23:00:00.000Z"}}}};
  json bad = {{"data", {{"lockExpiresAt", "2022-06-14T23:00:00.000"}}}};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        if (!validate_response(Operation::kRequestLockPut, 200, good)) ++wrong;
        if (validate_response(Operation::kRequestLockPut, 200, bad)) ++wrong;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace rqcheck::schemas
