// Keeps a client's calls under the documented per-queue rate limits (spec 1.2, decision 37;
// the numbers are core/limits.h): at most `fraction` of a class's limit in any 1000 ms, per
// queue and rate class. A sliding window, so the calls fit whatever second boundaries the
// server counts by; the margin absorbs the jitter between sending and arriving.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "rqcheck/core/operations.h"

namespace rqcheck::client {

class RatePacer {
 public:
  using Clock = std::chrono::steady_clock;

  explicit RatePacer(double fraction) : fraction_(fraction) {}

  // Waits until a call of `op` to `path` ("/v2/request-queues/{id}/...") fits, then counts it.
  // Calls of other storages are not paced.
  void acquire(Operation op, std::string_view path);

  // The calls allowed per second for `op`'s class at this pacer's fraction (0: not paced).
  int cap_for(Operation op) const;

  // The queue reference a path addresses: "" for the queue collection itself.
  static std::string_view queue_of(std::string_view path);

 private:
  double fraction_;
  std::mutex mu_;
  // The last slots granted, per (queue, rate class).
  std::map<std::pair<std::string, int>, std::deque<Clock::time_point>> sent_;
};

}  // namespace rqcheck::client
