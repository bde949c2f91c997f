#include "rqcheck/client/exchange.h"

#include <gtest/gtest.h>

namespace rqcheck::client {
namespace {

Exchange make(std::uint64_t seq, std::string body = "{}") {
  Exchange e;
  e.sequence = seq;
  e.method = "GET";
  e.target = "/v2/request-queues";
  e.status = 200;
  e.response_body = std::move(body);
  return e;
}

TEST(FindHeaderTest, IgnoresCase) {
  HeaderList h{{"Content-Type", "application/json"}, {"X-RateLimit-Limit", "60"}};
  EXPECT_EQ(find_header(h, "content-type"), "application/json");
  EXPECT_EQ(find_header(h, "X-RATELIMIT-LIMIT"), "60");
  EXPECT_FALSE(find_header(h, "Retry-After"));
}

TEST(ExchangeLogTest, KeepsTheLastCapacityExchanges) {
  ExchangeLog log(3);
  for (std::uint64_t i = 1; i <= 5; ++i) log.record(make(i));
  EXPECT_EQ(log.size(), 3u);
  EXPECT_EQ(log.total_recorded(), 5u);
  auto all = log.snapshot();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all.front().sequence, 3u);
  EXPECT_EQ(log.last()->sequence, 5u);
  auto recent = log.since(4);
  ASSERT_EQ(recent.size(), 1u);
  EXPECT_EQ(recent[0].sequence, 5u);
  log.clear();
  EXPECT_EQ(log.size(), 0u);
  EXPECT_FALSE(log.last());
}

TEST(ExchangeLogTest, CutsBodiesToTheLimit) {
  ExchangeLog log(10, 4);
  log.record(make(1, "0123456789"));
  log.record(make(2, "abc"));
  auto all = log.snapshot();
  EXPECT_EQ(all[0].response_body, "0123");
  EXPECT_TRUE(all[0].bodies_truncated);
  EXPECT_EQ(all[1].response_body, "abc");
  EXPECT_FALSE(all[1].bodies_truncated);
}

TEST(DescribeTest, SummarisesOneLine) {
  Exchange e = make(1);
  e.attempt = 2;
  EXPECT_EQ(describe(e), "GET /v2/request-queues -> 200 (0 ms, attempt 2)");
  e.status = 0;
  e.transport_error = "Connection: could not connect";
  EXPECT_NE(describe(e).find("transport error: Connection"), std::string::npos);
}

}  // namespace
}  // namespace rqcheck::client
