// The client's pacer (client/src/pacer.h): no 1000 ms holds more calls to one queue and rate
// class than its cap, and queues and classes are paced apart.
#include "../src/pacer.h"

#include <gtest/gtest.h>

#include <chrono>
#include <vector>

namespace rqcheck::client {
namespace {

using Clock = RatePacer::Clock;
using std::chrono::milliseconds;

long long ms_between(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration_cast<milliseconds>(b - a).count();
}

TEST(RatePacerTest, CapsFollowTheDocumentedLimits) {
  RatePacer p(0.8);
  EXPECT_EQ(p.cap_for(Operation::kHeadGet), 48);            // other: 60/s
  EXPECT_EQ(p.cap_for(Operation::kRequestsBatchPost), 32);  // batch: 40/s
  EXPECT_EQ(p.cap_for(Operation::kRequestGet), 320);        // single request: 400/s
}

TEST(RatePacerTest, NoSecondHoldsMoreThanTheCap) {
  RatePacer p(2.0 / 60);  // other: 2 per second
  const auto start = Clock::now();
  std::vector<Clock::time_point> at;
  for (int i = 0; i < 5; ++i) {
    p.acquire(Operation::kRequestsGet, "/v2/request-queues/q1/requests");
    at.push_back(Clock::now());
  }
  for (std::size_t i = 0; i + 2 < at.size(); ++i) {
    EXPECT_GE(ms_between(at[i], at[i + 2]), 995) << "calls " << i << " and " << i + 2;
  }
  EXPECT_LT(ms_between(start, at[1]), 200) << "the first two go at once";
  EXPECT_GE(ms_between(start, at[4]), 1990);
}

TEST(RatePacerTest, QueuesAndClassesArePacedApart) {
  RatePacer p(2.0 / 60);  // other 2/s, batch 1/s (40 * 2/60)
  for (int i = 0; i < 2; ++i) p.acquire(Operation::kHeadGet, "/v2/request-queues/q1/head");
  const auto start = Clock::now();
  p.acquire(Operation::kHeadGet, "/v2/request-queues/q2/head");
  p.acquire(Operation::kHeadLockPost, "/v2/request-queues/q1/head/lock");
  p.acquire(Operation::kRequestGet, "/v2/request-queues/q1/requests/abc");
  EXPECT_LT(ms_between(start, Clock::now()), 200);
  p.acquire(Operation::kHeadGet, "/v2/request-queues/q1/head");  // q1's third head waits
  EXPECT_GE(ms_between(start, Clock::now()), 800);
}

TEST(RatePacerTest, OtherStoragesAreNotPaced) {
  RatePacer p(1.0 / 60);
  EXPECT_EQ(p.cap_for(Operation::kDatasetGet), 0);
  const auto start = Clock::now();
  for (int i = 0; i < 5; ++i) p.acquire(Operation::kDatasetGet, "/v2/datasets/d1");
  EXPECT_LT(ms_between(start, Clock::now()), 200);
}

TEST(RatePacerTest, TheQueueIsReadFromThePath) {
  EXPECT_EQ(RatePacer::queue_of("/v2/request-queues/abc/requests?limit=1"), "abc");
  EXPECT_EQ(RatePacer::queue_of("/v2/request-queues/abc?method=DELETE"), "abc");
  EXPECT_EQ(RatePacer::queue_of("/v2/request-queues"), "");
  EXPECT_EQ(RatePacer::queue_of("/v2/request-queues?name=x"), "");
  EXPECT_EQ(RatePacer::queue_of("/prefix/v2/request-queues/user~name/head"), "user~name");
}

}  // namespace
}  // namespace rqcheck::client
