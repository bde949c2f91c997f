// The official clients' retry policy (spec section 7.1): retry 429, >= 500 and transport errors
// with exponential backoff and jitter, a bounded number of times. The sleeper and the random seed
// are injectable, so tests run on a virtual clock and every run is reproducible.
//
//   RetryPolicy p;                                   // apify-client-js: 8 retries, 500 ms, x2
//   std::vector<std::chrono::milliseconds> slept;
//   p.sleeper = [&](std::chrono::milliseconds d) { slept.push_back(d); };
//   p.seed = 42;
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>

namespace rqcheck::client {

struct Exchange;

using Sleeper = std::function<void(std::chrono::milliseconds)>;

struct RetryPolicy {
  int max_retries = 8;  // attempts = 1 + max_retries (apify-client-js; the Python client uses 4)
  std::chrono::milliseconds min_delay{500};
  double factor = 2.0;
  bool jitter = true;  // delay i (0-based) = round(U[1,2) * min_delay * factor^i); else no U
  std::optional<std::chrono::milliseconds> max_delay;  // cap on each delay; none like the clients

  bool retry_on_rate_limit = true;         // 429
  bool retry_on_server_error = true;       // >= 500
  bool retry_on_transport_error = true;    // connection, read/write, timeout, TLS handshake
  bool retry_on_invalid_response = false;  // 2xx whose body is not valid JSON (the JS client does)

  // Use a Retry-After header of a retried response (delta-seconds) instead of the computed
  // delay, capped at max_retry_after. Off by default: neither official client reads it.
  bool honour_retry_after = false;
  std::chrono::milliseconds max_retry_after{std::chrono::minutes(2)};

  // The read/write timeout of attempt k (1-based) is min(max_timeout, timeout * 2^(k-1)), as in
  // the Python client. Off: every attempt uses the call's timeout.
  bool grow_timeouts = true;
  std::chrono::milliseconds max_timeout{std::chrono::seconds(360)};

  Sleeper sleeper;                    // empty: std::this_thread::sleep_for
  std::optional<std::uint64_t> seed;  // jitter seed; empty: std::random_device

  // One attempt, no retries.
  static RetryPolicy none();
  // apify-client-python 3.1.4: 4 retries, otherwise the same shape.
  static RetryPolicy python_client();
};

// The delay before retry `retry_index` (0-based) given a uniform draw `unit` in [0, 1).
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry_index, double unit);

// Whether an attempt that produced `exchange` should be retried under `policy` (the attempt
// bound is not considered here). `invalid_body` marks a 2xx whose body did not parse as JSON.
bool is_retryable(const RetryPolicy& policy, const Exchange& exchange, bool invalid_body = false);

// The Retry-After delta-seconds of a response, if present and valid.
std::optional<std::chrono::milliseconds> retry_after(const Exchange& exchange);

// A reproducible source of uniform doubles in [0, 1) (the same on every platform). Thread-safe.
class Jitter {
 public:
  explicit Jitter(std::optional<std::uint64_t> seed = std::nullopt);
  double next();
  std::uint64_t seed() const { return seed_; }

 private:
  std::mutex mu_;
  std::uint64_t seed_;
  std::uint64_t state_;
};

// Sleeps through `sleeper`, or really when it is empty.
void sleep_with(const Sleeper& sleeper, std::chrono::milliseconds d);

}  // namespace rqcheck::client
