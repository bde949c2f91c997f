#include "rqcheck/client/retry.h"

#include <cmath>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <thread>

#include "rqcheck/client/exchange.h"

namespace rqcheck::client {

RetryPolicy RetryPolicy::none() {
  RetryPolicy p;
  p.max_retries = 0;
  return p;
}

RetryPolicy RetryPolicy::python_client() {
  RetryPolicy p;
  p.max_retries = 4;
  return p;
}

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int retry_index, double unit) {
  double ms = double(policy.min_delay.count()) * std::pow(policy.factor, retry_index);
  if (policy.jitter) ms *= 1.0 + unit;
  if (!std::isfinite(ms) || ms > 1e15) ms = 1e15;
  auto d = std::chrono::milliseconds(std::llround(ms));
  if (policy.max_delay && d > *policy.max_delay) d = *policy.max_delay;
  return d;
}

namespace {
// Transport failures that another attempt cannot fix: configuration, certificates, our own
// encoding failures.
bool is_permanent_transport_error(std::string_view error) {
  for (std::string_view kind :
       {"SSLLoadingCerts", "SSLServerVerification", "Compression",
        "UnsupportedMultipartBoundaryChars", "Canceled", "InvalidRequest", "InvalidConfig"}) {
    if (error.substr(0, kind.size()) == kind) return true;
  }
  return false;
}
}  // namespace

bool is_retryable(const RetryPolicy& policy, const Exchange& exchange, bool invalid_body) {
  if (!exchange.has_response())
    return policy.retry_on_transport_error &&
           !is_permanent_transport_error(exchange.transport_error);
  if (exchange.status == 429) return policy.retry_on_rate_limit;
  if (exchange.status >= 500) return policy.retry_on_server_error;
  if (exchange.status >= 200 && exchange.status < 300 && invalid_body)
    return policy.retry_on_invalid_response;
  return false;
}

std::optional<std::chrono::milliseconds> retry_after(const Exchange& exchange) {
  auto v = find_header(exchange.response_headers, "Retry-After");
  if (!v) return std::nullopt;
  std::string s = *v;
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  std::size_t i = s.find_first_not_of(" \t");
  if (i == std::string::npos) return std::nullopt;
  s = s.substr(i);
  char* end = nullptr;
  double secs = std::strtod(s.c_str(), &end);
  if (end == s.c_str() || *end != '\0' || !std::isfinite(secs) || secs < 0 || secs > 1e9)
    return std::nullopt;  // HTTP-dates are not supported
  return std::chrono::milliseconds(std::llround(secs * 1000));
}

namespace {
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (std::uint64_t(rd()) << 32) ^ rd();
}
}  // namespace

Jitter::Jitter(std::optional<std::uint64_t> seed)
    : seed_(seed ? *seed : random_seed()), state_(seed_) {}

double Jitter::next() {
  std::lock_guard<std::mutex> lock(mu_);
  return double(splitmix64(state_) >> 11) * 0x1.0p-53;
}

void sleep_with(const Sleeper& sleeper, std::chrono::milliseconds d) {
  if (sleeper)
    sleeper(d);
  else if (d.count() > 0)
    std::this_thread::sleep_for(d);
}

}  // namespace rqcheck::client
