// HttpClient: the default RequestQueueApi, over HTTP or HTTPS (cpp-httplib with OpenSSL, kept
// private). Applies the RetryPolicy, records every attempt as an Exchange (token redacted), hands
// each one to an optional observer, and sends raw requests for checks that need to misbehave.
//
//   ClientConfig config;
//   config.base_url = "http://127.0.0.1:" + std::to_string(port);
//   config.token = token;                       // sent as Authorization: Bearer, never recorded
//   HttpClient http(config);
//   http.set_exchange_observer([&](const Exchange& ex) { validator.check(ex); });
//   auto q = http.get_or_create_queue("my-queue");
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/client/api.h"
#include "rqcheck/client/exchange.h"
#include "rqcheck/client/retry.h"

namespace rqcheck::client {

// How booleans are written in query strings: apify-client-js sends 1/0, the Python client
// true/false. Servers must accept both (decision 18).
enum class BoolEncoding { kOneZero, kTrueFalse };

struct ClientConfig {
  std::string base_url = "https://api.apify.com";  // http(s)://host[:port][/prefix]
  std::string token;                               // empty: no Authorization header
  std::optional<std::string> client_key;  // default clientKey for calls that leave it unset
  RetryPolicy retry;
  BoolEncoding bool_encoding = BoolEncoding::kOneZero;

  // Typed calls compress JSON bodies of at least `compression_threshold` bytes (the official
  // clients: 1024 bytes, br or gzip).
  BodyEncoding compression = BodyEncoding::kNone;
  std::size_t compression_threshold = 1024;

  // Per-call read/write timeouts (apify-client-js: SMALL 5 s, MEDIUM 30 s).
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  std::chrono::milliseconds short_timeout{std::chrono::seconds(5)};
  std::chrono::milliseconds medium_timeout{std::chrono::seconds(30)};

  std::string user_agent = "rqcheck-client/0.1";
  bool verify_tls = true;
  std::string ca_cert_path;  // empty: the system store

  // Paces the calls to one queue under its documented rate limits (spec 1.2, decision 37; the
  // numbers are core/limits.h), at this fraction of each class's limit in any 1000 ms; 0: off.
  // rq-conformance uses 0.8, so that a check never trips the target's limits by itself. A
  // RawRequest with `paced = false` is sent at once (the rate-limit checks).
  double pace_fraction = 0;

  // Evidence kept in memory (the observer always sees full bodies).
  std::size_t log_capacity = 1000;
  std::size_t log_body_limit = 64 * 1024;
};

// Thread-safe: calls from several threads use separate pooled connections (keep-alive,
// TCP_NODELAY). Configuration is fixed at construction; the observer may be replaced any time.
class HttpClient final : public RequestQueueApi {
 public:
  explicit HttpClient(ClientConfig config);
  ~HttpClient() override;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  const ClientConfig& config() const;
  // The base URL's parse error, if any; every call then fails with it and sends nothing.
  const std::optional<ApiError>& config_error() const;

  // Sends one raw request (retried only when `request.retry`); returns the last attempt.
  Exchange send(const RawRequest& request);
  // Every attempt of the call, in order.
  std::vector<Exchange> send_all_attempts(const RawRequest& request);

  void set_exchange_observer(ExchangeObserver observer);
  ExchangeLog& log();
  const ExchangeLog& log() const;
  // The seed the jitter uses (printed by reproducible runs).
  std::uint64_t jitter_seed() const;

  // RequestQueueApi.
  Result<QueuesPage> list_queues(const ListQueuesOptions& options = {}) override;
  Result<RequestQueueInfo> get_or_create_queue(
      const std::optional<std::string>& name = std::nullopt) override;
  Result<RequestQueueInfo> get_queue(std::string_view queue_id) override;
  Result<RequestQueueInfo> update_queue(std::string_view queue_id,
                                        const QueueUpdate& update) override;
  Status delete_queue(std::string_view queue_id) override;
  Result<AddResult> add_request(std::string_view queue_id, const Json& request,
                                const WriteOptions& options = {}) override;
  Result<RequestsPage> list_requests(std::string_view queue_id,
                                     const ListRequestsOptions& options = {}) override;
  Result<BatchAddResult> batch_add_requests(std::string_view queue_id,
                                            const std::vector<Json>& requests,
                                            const WriteOptions& options = {}) override;
  Result<BatchDeleteResult> batch_delete_requests(std::string_view queue_id,
                                                  const std::vector<Json>& requests,
                                                  const ClientKeyOptions& options = {}) override;
  Result<Json> get_request(std::string_view queue_id, std::string_view request_id) override;
  Result<AddResult> update_request(std::string_view queue_id, std::string_view request_id,
                                   const Json& request, const WriteOptions& options = {}) override;
  Status delete_request(std::string_view queue_id, std::string_view request_id,
                        const ClientKeyOptions& options = {}) override;
  Result<Head> list_head(std::string_view queue_id, const HeadOptions& options = {}) override;
  Result<Head> list_and_lock_head(std::string_view queue_id,
                                  const LockHeadOptions& options) override;
  Result<TimeMs> prolong_request_lock(std::string_view queue_id, std::string_view request_id,
                                      const ProlongLockOptions& options) override;
  Status delete_request_lock(std::string_view queue_id, std::string_view request_id,
                             const DeleteLockOptions& options = {}) override;
  Result<std::int64_t> unlock_requests(std::string_view queue_id,
                                       const ClientKeyOptions& options = {}) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// The error an exchange amounts to when it is not a 2xx: the transport error (status 0), the
// parsed envelope, or kInvalidResponse when the body is not an envelope.
ApiError error_from_exchange(const Exchange& exchange);

}  // namespace rqcheck::client
