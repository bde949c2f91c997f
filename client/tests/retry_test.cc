#include "rqcheck/client/retry.h"

#include <gtest/gtest.h>

#include "rqcheck/client/exchange.h"

namespace rqcheck::client {
namespace {

using std::chrono::milliseconds;

Exchange answered(int status, HeaderList headers = {}) {
  Exchange e;
  e.status = status;
  e.response_headers = std::move(headers);
  return e;
}

Exchange failed(std::string error) {
  Exchange e;
  e.transport_error = std::move(error);
  return e;
}

TEST(BackoffTest, DoublesFromTheMinimumDelay) {
  RetryPolicy p;
  p.jitter = false;
  EXPECT_EQ(backoff_delay(p, 0, 0.9), milliseconds(500));
  EXPECT_EQ(backoff_delay(p, 1, 0.9), milliseconds(1000));
  EXPECT_EQ(backoff_delay(p, 7, 0.9), milliseconds(64000));
}

TEST(BackoffTest, JitterMultipliesByOnePlusTheDraw) {
  RetryPolicy p;
  EXPECT_EQ(backoff_delay(p, 0, 0.0), milliseconds(500));
  EXPECT_EQ(backoff_delay(p, 0, 0.5), milliseconds(750));
  EXPECT_EQ(backoff_delay(p, 3, 0.25), milliseconds(5000));
  EXPECT_EQ(backoff_delay(p, 1, 0.9999), milliseconds(2000));  // round(), as the JS client
}

TEST(BackoffTest, CapsAtMaxDelay) {
  RetryPolicy p;
  p.max_delay = milliseconds(3000);
  EXPECT_EQ(backoff_delay(p, 6, 0.5), milliseconds(3000));
}

TEST(RetryPolicyTest, DefaultsMatchTheJsClient) {
  RetryPolicy p;
  EXPECT_EQ(p.max_retries, 8);
  EXPECT_EQ(p.min_delay, milliseconds(500));
  EXPECT_DOUBLE_EQ(p.factor, 2.0);
  EXPECT_FALSE(p.honour_retry_after);
  EXPECT_EQ(RetryPolicy::none().max_retries, 0);
  EXPECT_EQ(RetryPolicy::python_client().max_retries, 4);
}

TEST(JitterTest, IsReproducibleAndInRange) {
  Jitter a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    double x = a.next();
    EXPECT_EQ(x, b.next());
    EXPECT_GE(x, 0.0);
    EXPECT_LT(x, 1.0);
    differs |= x != c.next();
  }
  EXPECT_TRUE(differs);
  EXPECT_EQ(a.seed(), 42u);
}

TEST(IsRetryableTest, RetriesRateLimitsServerErrorsAndTransportErrors) {
  RetryPolicy p;
  EXPECT_TRUE(is_retryable(p, answered(429)));
  EXPECT_TRUE(is_retryable(p, answered(500)));
  EXPECT_TRUE(is_retryable(p, answered(503)));
  EXPECT_TRUE(is_retryable(p, failed("Connection: could not connect")));
  EXPECT_TRUE(is_retryable(p, failed("Read: timed out")));
  for (int s : {200, 201, 204, 301, 400, 401, 403, 404, 405, 413, 415})
    EXPECT_FALSE(is_retryable(p, answered(s))) << s;
  EXPECT_FALSE(is_retryable(p, failed("SSLServerVerification: rejected")));
  EXPECT_FALSE(is_retryable(p, answered(200), true));
  p.retry_on_invalid_response = true;
  EXPECT_TRUE(is_retryable(p, answered(200), true));
  p.retry_on_rate_limit = p.retry_on_server_error = p.retry_on_transport_error = false;
  EXPECT_FALSE(is_retryable(p, answered(429)));
  EXPECT_FALSE(is_retryable(p, answered(500)));
  EXPECT_FALSE(is_retryable(p, failed("Connection")));
}

TEST(RetryAfterTest, ReadsDeltaSeconds) {
  EXPECT_EQ(retry_after(answered(429, {{"retry-after", "3"}})), milliseconds(3000));
  EXPECT_EQ(retry_after(answered(429, {{"Retry-After", " 0.25 "}})), milliseconds(250));
  EXPECT_FALSE(retry_after(answered(429, {{"Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT"}})));
  EXPECT_FALSE(retry_after(answered(429, {{"Retry-After", "-1"}})));
  EXPECT_FALSE(retry_after(answered(429)));
}

TEST(SleepWithTest, UsesTheInjectedSleeper) {
  std::vector<milliseconds> slept;
  sleep_with([&](milliseconds d) { slept.push_back(d); }, milliseconds(123));
  ASSERT_EQ(slept.size(), 1u);
  EXPECT_EQ(slept[0], milliseconds(123));
}

}  // namespace
}  // namespace rqcheck::client
