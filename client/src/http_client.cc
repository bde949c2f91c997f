#include "rqcheck/client/http_client.h"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <mutex>
#include <utility>

#include "pacer.h"
#include "rqcheck/client/compression.h"
#include "rqcheck/client/url.h"
#include "rqcheck/core/operations.h"

namespace rqcheck::client {

namespace {

using Query = std::vector<std::pair<std::string, std::string>>;
using std::chrono::milliseconds;

constexpr std::size_t kMaxIdleConnections = 32;

std::string transport_error_text(httplib::Error e) {
  std::string kind = httplib::to_string(e);
  switch (e) {
    case httplib::Error::Connection:
      return kind + ": could not connect";
    case httplib::Error::Read:
      return kind + ": failed or timed out reading the response";
    case httplib::Error::Write:
      return kind + ": failed or timed out writing the request";
    case httplib::Error::ConnectionTimeout:
      return kind + ": connect timed out";
    case httplib::Error::SSLConnection:
      return kind + ": TLS handshake failed";
    case httplib::Error::SSLLoadingCerts:
      return kind + ": could not load CA certificates";
    case httplib::Error::SSLServerVerification:
      return kind + ": server certificate rejected";
    default:
      return kind;
  }
}

// Replaces the value of every `token` query parameter in `target` with "<redacted>".
std::string redact_token_param(std::string target) {
  auto q = target.find('?');
  if (q == std::string::npos) return target;
  std::size_t pos = q + 1;
  while (pos < target.size()) {
    auto amp = target.find('&', pos);
    std::size_t end = amp == std::string::npos ? target.size() : amp;
    if (target.compare(pos, 6, "token=") == 0 && end - pos > 6) {
      target.replace(pos + 6, end - pos - 6, "<redacted>");
      end = pos + 6 + 10;
    }
    if (amp == std::string::npos) break;
    pos = end + 1;
  }
  return target;
}

std::string redact_authorization(const std::string& value) {
  if (value.compare(0, 7, "Bearer ") == 0) return "Bearer <redacted>";
  return "<redacted>";
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

bool is_2xx(int status) { return status >= 200 && status < 300; }

bool has_header(const HeaderList& h, std::string_view name) {
  return find_header(h, name).has_value();
}

// Builds the query string of a typed call.
class QueryBuilder {
 public:
  explicit QueryBuilder(const ClientConfig& config) : config_(config) {}
  QueryBuilder& str(const char* key, const std::optional<std::string>& v) {
    if (v) q_.emplace_back(key, *v);
    return *this;
  }
  QueryBuilder& boolean(const char* key, const std::optional<bool>& v) {
    if (v) {
      bool one_zero = config_.bool_encoding == BoolEncoding::kOneZero;
      q_.emplace_back(key, *v ? (one_zero ? "1" : "true") : (one_zero ? "0" : "false"));
    }
    return *this;
  }
  QueryBuilder& integer(const char* key, const std::optional<std::int64_t>& v) {
    if (v) q_.emplace_back(key, std::to_string(*v));
    return *this;
  }
  QueryBuilder& client_key(const std::optional<std::string>& v) {
    return str("clientKey", v ? v : config_.client_key);
  }
  Query take() { return std::move(q_); }

 private:
  const ClientConfig& config_;
  Query q_;
};

std::string batch_body(const std::vector<Json>& items) {
  Json arr = Json::array();
  for (const Json& j : items) arr.push_back(j);
  return dump_json(arr);
}

// A core parse error (status 0, schema-mismatch) re-labelled as an invalid response.
ApiError invalid_shape(int status, const ApiError& e) {
  return ApiError{status, std::string(kInvalidResponse),
                  "response data does not have the expected shape: " + e.message};
}

std::string snippet(const std::string& body) {
  constexpr std::size_t kMax = 200;
  return body.size() <= kMax ? body : body.substr(0, kMax) + "...";
}

}  // namespace

ApiError error_from_exchange(const Exchange& ex) {
  if (!ex.has_response()) {
    return ApiError{0, std::string(kTransportError),
                    ex.transport_error.empty() ? "no response" : ex.transport_error};
  }
  auto doc = parse_json(ex.response_body);
  if (doc && doc->is_object()) {
    auto it = doc->find("error");
    if (it != doc->end() && it->is_object()) {
      auto type = it->find("type");
      auto message = it->find("message");
      if (type != it->end() && type->is_string()) {
        return ApiError{ex.status, type->get<std::string>(),
                        message != it->end() && message->is_string() ? message->get<std::string>()
                                                                     : std::string()};
      }
    }
  }
  return ApiError{ex.status, std::string(kInvalidResponse),
                  "HTTP " + std::to_string(ex.status) +
                      " without an error envelope: " + snippet(ex.response_body)};
}

class HttpClient::Impl {
 public:
  explicit Impl(ClientConfig cfg)
      : config(std::move(cfg)),
        log(config.log_capacity, config.log_body_limit),
        jitter(config.retry.seed) {
    if (config.pace_fraction > 0) pacer = std::make_unique<RatePacer>(config.pace_fraction);
    auto parsed = parse_base_url(config.base_url);
    if (parsed)
      base = *parsed;
    else
      config_error = parsed.error();
  }

  ClientConfig config;
  BaseUrl base;
  std::optional<ApiError> config_error;
  ExchangeLog log;
  Jitter jitter;
  std::unique_ptr<RatePacer> pacer;
  std::atomic<std::uint64_t> sequence{0};

  std::mutex observer_mu;
  std::shared_ptr<const ExchangeObserver> observer;

  std::mutex pool_mu;
  std::vector<std::unique_ptr<httplib::Client>> idle;

  std::unique_ptr<httplib::Client> acquire() {
    {
      std::lock_guard<std::mutex> lock(pool_mu);
      if (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        return c;
      }
    }
    auto c = std::make_unique<httplib::Client>(base.origin());
    c->set_tcp_nodelay(true);  // PERFORMANCE.md trap 1: without it every call waits ~40 ms
    c->set_keep_alive(true);
    c->set_url_encode(false);  // targets are encoded here, raw requests go out as given
    c->set_follow_location(false);
    c->set_decompress(true);
    c->set_connection_timeout(config.connect_timeout);
    if (base.scheme == "https") {
      c->enable_server_certificate_verification(config.verify_tls);
      if (!config.ca_cert_path.empty()) c->set_ca_cert_path(config.ca_cert_path);
    }
    return c;
  }

  void release(std::unique_ptr<httplib::Client> c) {
    std::lock_guard<std::mutex> lock(pool_mu);
    if (idle.size() < kMaxIdleConnections) idle.push_back(std::move(c));
  }

  void publish(const Exchange& ex) {
    log.record(ex);
    std::shared_ptr<const ExchangeObserver> obs;
    {
      std::lock_guard<std::mutex> lock(observer_mu);
      obs = observer;
    }
    if (obs && *obs) (*obs)(ex);
  }

  std::string target_of(const RawRequest& r) const {
    std::string t = base.prefix + r.path;
    if (!r.query.empty()) {
      t += t.find('?') == std::string::npos ? '?' : '&';
      t += build_query(r.query);
    }
    return t;
  }

  milliseconds timeout_for(const RawRequest& r, int attempt) const {
    const milliseconds base_timeout = r.timeout ? *r.timeout : config.medium_timeout;
    milliseconds t = base_timeout;
    if (config.retry.grow_timeouts && r.retry) {
      for (int k = 1; k < attempt; ++k)
        t = std::max(base_timeout, std::min(t * 2, config.retry.max_timeout));
    }
    return t;
  }

  // One attempt; `wire_body` is the (possibly compressed) body.
  Exchange attempt(const RawRequest& r, const std::string& target, const std::string* wire_body,
                   int attempt_no) {
    Exchange ex;
    ex.sequence = ++sequence;
    ex.operation = r.operation;
    ex.attempt = attempt_no;
    ex.method = r.method;
    ex.target = redact_token_param(target);
    ex.url = base.origin() + ex.target;
    if (r.body) ex.request_body = *r.body;
    ex.request_body_bytes = r.body ? r.body->size() : 0;
    ex.request_wire_bytes = wire_body ? wire_body->size() : 0;

    httplib::Request req;
    req.method = r.method;
    req.path = target;
    bool has_ua = has_header(r.headers, "User-Agent");
    if (!has_ua) req.headers.emplace("User-Agent", config.user_agent);
    if (r.send_token && !config.token.empty() && !has_header(r.headers, "Authorization"))
      req.headers.emplace("Authorization", "Bearer " + config.token);
    if (r.body && !has_header(r.headers, "Content-Type"))
      req.headers.emplace("Content-Type", "application/json");
    if (r.encoding != BodyEncoding::kNone && r.body && !has_header(r.headers, "Content-Encoding")) {
      ex.content_encoding = std::string(content_encoding_name(r.encoding));
      req.headers.emplace("Content-Encoding", ex.content_encoding);
    } else if (auto ce = find_header(r.headers, "Content-Encoding")) {
      ex.content_encoding = *ce;
    }
    for (const auto& [k, v] : r.headers) req.headers.emplace(k, v);
    if (wire_body) req.body = *wire_body;

    ex.started_at = SystemClock().now_ms();
    auto t0 = std::chrono::steady_clock::now();
    auto client = acquire();
    milliseconds timeout = timeout_for(r, attempt_no);
    client->set_read_timeout(timeout);
    client->set_write_timeout(timeout);
    httplib::Response res;
    httplib::Error error = httplib::Error::Success;
    bool ok = client->send(req, res, error);
    ex.duration = std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - t0);

    for (const auto& [k, v] : req.headers) {
      if (iequals(k, "Authorization"))
        ex.request_headers.emplace_back(k, redact_authorization(v));
      else
        ex.request_headers.emplace_back(k, v);
    }
    if (ok && res.status > 0) {
      ex.status = res.status;
      ex.response_headers.assign(res.headers.begin(), res.headers.end());
      ex.response_body = std::move(res.body);
      release(std::move(client));
    } else {
      ex.transport_error = transport_error_text(ok ? httplib::Error::Unknown : error);
      // The connection's state is unknown: drop it rather than pool it.
    }
    return ex;
  }

  Exchange unsent(const RawRequest& r, std::string error) {
    Exchange ex;
    ex.operation = r.operation;
    ex.method = r.method;
    ex.target = redact_token_param(target_of(r));
    ex.url = base.origin() + ex.target;
    if (r.body) ex.request_body = *r.body;
    ex.request_body_bytes = r.body ? r.body->size() : 0;
    ex.transport_error = std::move(error);
    ex.started_at = SystemClock().now_ms();
    return ex;
  }

  std::vector<Exchange> run(const RawRequest& r) {
    std::vector<Exchange> out;
    if (config_error) {
      out.push_back(unsent(r, "InvalidConfig: " + config_error->message));
      return out;
    }
    std::optional<std::string> wire;
    if (r.body) {
      auto c = compress(*r.body, r.encoding);
      if (!c) {
        out.push_back(unsent(r, "InvalidRequest: " + c.error().message));
        return out;
      }
      wire = std::move(*c);
    }
    const std::string target = target_of(r);
    const RetryPolicy& policy = config.retry;
    int max_attempts = r.retry ? 1 + std::max(0, policy.max_retries) : 1;
    for (int attempt_no = 1;; ++attempt_no) {
      if (pacer && r.paced && r.operation) pacer->acquire(*r.operation, r.path);
      out.push_back(attempt(r, target, wire ? &*wire : nullptr, attempt_no));
      const Exchange& ex = out.back();
      publish(ex);
      if (attempt_no >= max_attempts) break;
      bool invalid_body = false;
      if (policy.retry_on_invalid_response && is_2xx(ex.status) && ex.status != 204)
        invalid_body = !parse_json(ex.response_body).ok();
      if (!is_retryable(policy, ex, invalid_body)) break;
      milliseconds delay = backoff_delay(policy, attempt_no - 1, jitter.next());
      if (policy.honour_retry_after && ex.has_response()) {
        if (auto ra = retry_after(ex)) delay = std::min(*ra, policy.max_retry_after);
      }
      sleep_with(policy.sleeper, delay);
    }
    return out;
  }

  struct Reply {
    int status = 0;
    Json data;  // null for calls answered without a body
  };

  struct Call {
    // The path comes from core's operation table (build_path), like the fake's routes.
    Call(Operation o, std::string_view p1 = {}, std::string_view p2 = {})
        : op(o), path(build_path(o, p1, p2)) {}
    Operation op;
    std::string path;
    Query query;
    std::optional<std::string> body;
    bool short_timeout = false;
    bool expect_data = true;
  };

  Result<Reply> call(Call c) {
    if (config_error) return *config_error;
    RawRequest r;
    r.method = std::string(operation_info(c.op).method);
    r.path = std::move(c.path);
    r.query = std::move(c.query);
    r.body = std::move(c.body);
    if (r.body && config.compression != BodyEncoding::kNone &&
        r.body->size() >= config.compression_threshold)
      r.encoding = config.compression;
    r.retry = true;
    r.timeout = c.short_timeout ? config.short_timeout : config.medium_timeout;
    r.operation = c.op;
    std::vector<Exchange> attempts = run(r);
    const Exchange& ex = attempts.back();
    if (!ex.has_response() || !is_2xx(ex.status)) return error_from_exchange(ex);
    Reply reply;
    reply.status = ex.status;
    if (!c.expect_data) return reply;
    auto doc = parse_json(ex.response_body);
    if (!doc) {
      return ApiError{
          ex.status, std::string(kInvalidResponse),
          "response body is not JSON (" + doc.error().message + "): " + snippet(ex.response_body)};
    }
    if (!doc->is_object() || !doc->contains("data")) {
      return ApiError{ex.status, std::string(kInvalidResponse),
                      "response body has no \"data\": " + snippet(ex.response_body)};
    }
    reply.data = std::move((*doc)["data"]);
    return reply;
  }

  template <typename T, typename Parse>
  Result<T> typed(Call c, Parse parse) {
    auto reply = call(std::move(c));
    if (!reply) return reply.error();
    Result<T> parsed = parse(reply->data);
    if (!parsed) return invalid_shape(reply->status, parsed.error());
    return parsed;
  }

  Status no_content(Call c) {
    c.expect_data = false;
    auto reply = call(std::move(c));
    if (!reply) return reply.error();
    return Ok{};
  }

  QueryBuilder query() const { return QueryBuilder(config); }
};

HttpClient::HttpClient(ClientConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {}
HttpClient::~HttpClient() = default;

const ClientConfig& HttpClient::config() const { return impl_->config; }
const std::optional<ApiError>& HttpClient::config_error() const { return impl_->config_error; }

Exchange HttpClient::send(const RawRequest& request) { return impl_->run(request).back(); }
std::vector<Exchange> HttpClient::send_all_attempts(const RawRequest& request) {
  return impl_->run(request);
}

void HttpClient::set_exchange_observer(ExchangeObserver observer) {
  auto p = std::make_shared<const ExchangeObserver>(std::move(observer));
  std::lock_guard<std::mutex> lock(impl_->observer_mu);
  impl_->observer = std::move(p);
}

ExchangeLog& HttpClient::log() { return impl_->log; }
const ExchangeLog& HttpClient::log() const { return impl_->log; }
std::uint64_t HttpClient::jitter_seed() const { return impl_->jitter.seed(); }

// (1)
Result<QueuesPage> HttpClient::list_queues(const ListQueuesOptions& o) {
  Impl::Call c{Operation::kQueuesGet};
  c.query = impl_->query()
                .integer("offset", o.offset)
                .integer("limit", o.limit)
                .boolean("desc", o.desc)
                .boolean("unnamed", o.unnamed)
                .str("ownership", o.ownership)
                .take();
  return impl_->typed<QueuesPage>(std::move(c), parse_queues_page);
}

// (2)
Result<RequestQueueInfo> HttpClient::get_or_create_queue(const std::optional<std::string>& name) {
  Impl::Call c{Operation::kQueuesPost};
  c.query = impl_->query().str("name", name).take();
  return impl_->typed<RequestQueueInfo>(std::move(c), parse_queue);
}

// (3)
Result<RequestQueueInfo> HttpClient::get_queue(std::string_view queue_id) {
  Impl::Call c{Operation::kQueueGet, queue_id};
  c.short_timeout = true;
  return impl_->typed<RequestQueueInfo>(std::move(c), parse_queue);
}

// (4)
Result<RequestQueueInfo> HttpClient::update_queue(std::string_view queue_id,
                                                  const QueueUpdate& update) {
  Impl::Call c{Operation::kQueuePut, queue_id};
  c.body = dump_json(to_json(update));
  c.short_timeout = true;
  return impl_->typed<RequestQueueInfo>(std::move(c), parse_queue);
}

// (5)
Status HttpClient::delete_queue(std::string_view queue_id) {
  Impl::Call c{Operation::kQueueDelete, queue_id};
  c.short_timeout = true;
  return impl_->no_content(std::move(c));
}

// (6)
Result<AddResult> HttpClient::add_request(std::string_view queue_id, const Json& request,
                                          const WriteOptions& o) {
  Impl::Call c{Operation::kRequestsPost, queue_id};
  c.query = impl_->query().boolean("forefront", o.forefront).client_key(o.client_key).take();
  c.body = dump_json(request);
  c.short_timeout = true;
  return impl_->typed<AddResult>(std::move(c), parse_add_result);
}

// (7)
Result<RequestsPage> HttpClient::list_requests(std::string_view queue_id,
                                               const ListRequestsOptions& o) {
  Impl::Call c{Operation::kRequestsGet, queue_id};
  std::optional<std::string> filter;
  for (const std::string& f : o.filter) filter = filter ? *filter + "," + f : f;
  c.query = impl_->query()
                .integer("limit", o.limit)
                .str("exclusiveStartId", o.exclusive_start_id)
                .str("cursor", o.cursor)
                .str("filter", filter)
                .client_key(o.client_key)
                .take();
  return impl_->typed<RequestsPage>(std::move(c), parse_requests_page);
}

// (8)
Result<BatchAddResult> HttpClient::batch_add_requests(std::string_view queue_id,
                                                      const std::vector<Json>& requests,
                                                      const WriteOptions& o) {
  Impl::Call c{Operation::kRequestsBatchPost, queue_id};
  c.query = impl_->query().boolean("forefront", o.forefront).client_key(o.client_key).take();
  c.body = batch_body(requests);
  return impl_->typed<BatchAddResult>(std::move(c), parse_batch_add_result);
}

// (9)
Result<BatchDeleteResult> HttpClient::batch_delete_requests(std::string_view queue_id,
                                                            const std::vector<Json>& requests,
                                                            const ClientKeyOptions& o) {
  Impl::Call c{Operation::kRequestsBatchDelete, queue_id};
  c.query = impl_->query().client_key(o.client_key).take();
  c.body = batch_body(requests);
  c.short_timeout = true;
  return impl_->typed<BatchDeleteResult>(std::move(c), parse_batch_delete_result);
}

// (10)
Result<Json> HttpClient::get_request(std::string_view queue_id, std::string_view request_id) {
  Impl::Call c{Operation::kRequestGet, queue_id, request_id};
  c.short_timeout = true;
  return impl_->typed<Json>(std::move(c), [](const Json& data) -> Result<Json> {
    if (!data.is_object()) return ApiError{0, "schema-mismatch", "expected an object"};
    return data;
  });
}

// (11)
Result<AddResult> HttpClient::update_request(std::string_view queue_id, std::string_view request_id,
                                             const Json& request, const WriteOptions& o) {
  Impl::Call c{Operation::kRequestPut, queue_id, request_id};
  c.query = impl_->query().boolean("forefront", o.forefront).client_key(o.client_key).take();
  c.body = dump_json(request);
  return impl_->typed<AddResult>(std::move(c), parse_add_result);
}

// (12)
Status HttpClient::delete_request(std::string_view queue_id, std::string_view request_id,
                                  const ClientKeyOptions& o) {
  Impl::Call c{Operation::kRequestDelete, queue_id, request_id};
  c.query = impl_->query().client_key(o.client_key).take();
  c.short_timeout = true;
  return impl_->no_content(std::move(c));
}

// (13)
Result<Head> HttpClient::list_head(std::string_view queue_id, const HeadOptions& o) {
  Impl::Call c{Operation::kHeadGet, queue_id};
  c.query = impl_->query().integer("limit", o.limit).client_key(o.client_key).take();
  c.short_timeout = true;
  return impl_->typed<Head>(std::move(c), parse_head);
}

// (14)
Result<Head> HttpClient::list_and_lock_head(std::string_view queue_id, const LockHeadOptions& o) {
  Impl::Call c{Operation::kHeadLockPost, queue_id};
  c.query = impl_->query()
                .integer("lockSecs", o.lock_secs)
                .integer("limit", o.limit)
                .client_key(o.client_key)
                .take();
  return impl_->typed<Head>(std::move(c), parse_head);
}

// (15)
Result<TimeMs> HttpClient::prolong_request_lock(std::string_view queue_id,
                                                std::string_view request_id,
                                                const ProlongLockOptions& o) {
  Impl::Call c{Operation::kRequestLockPut, queue_id, request_id};
  c.query = impl_->query()
                .integer("lockSecs", o.lock_secs)
                .boolean("forefront", o.forefront)
                .client_key(o.client_key)
                .take();
  return impl_->typed<TimeMs>(std::move(c), parse_lock_expiry);
}

// (16)
Status HttpClient::delete_request_lock(std::string_view queue_id, std::string_view request_id,
                                       const DeleteLockOptions& o) {
  Impl::Call c{Operation::kRequestLockDelete, queue_id, request_id};
  c.query = impl_->query().boolean("forefront", o.forefront).client_key(o.client_key).take();
  c.short_timeout = true;
  return impl_->no_content(std::move(c));
}

// (17)
Result<std::int64_t> HttpClient::unlock_requests(std::string_view queue_id,
                                                 const ClientKeyOptions& o) {
  Impl::Call c{Operation::kRequestsUnlockPost, queue_id};
  c.query = impl_->query().client_key(o.client_key).take();
  return impl_->typed<std::int64_t>(std::move(c), parse_unlocked_count);
}

}  // namespace rqcheck::client
