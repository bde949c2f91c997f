// Evidence of HTTP traffic: one Exchange per attempt (request as sent, response as received),
// the raw request a conformance check can send (malformed bodies, odd headers, compression), and
// a bounded, thread-safe in-memory log of exchanges.
//
//   RawRequest req;
//   req.method = "POST";
//   req.path = "/v2/request-queues/" + queue_id + "/requests/batch";
//   req.body = "[not json";
//   Exchange ex = http.send(req);              // one attempt unless req.retry
//   if (ex.status == 400) ... find_header(ex.response_headers, "content-type") ...
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rqcheck/core/operations.h"
#include "rqcheck/core/time.h"

namespace rqcheck::client {

// Header fields in the order they were sent or received; names compare case-insensitively.
using HeaderList = std::vector<std::pair<std::string, std::string>>;

// The first value of header `name` (case-insensitive); nullopt when absent.
std::optional<std::string> find_header(const HeaderList& headers, std::string_view name);

// How a request body is compressed before it is sent (the matching Content-Encoding is set).
enum class BodyEncoding { kNone, kGzip, kDeflate, kBrotli };

// "", "gzip", "deflate", "br".
std::string_view content_encoding_name(BodyEncoding e);

// An arbitrary request, sent relative to the client's base URL (its path prefix is prepended).
struct RawRequest {
  std::string method = "GET";
  // Sent as given (no encoding), so it may hold odd characters or an already encoded "?a=b".
  std::string path;
  // Appended percent-encoded as ?k=v&k2=v2 (after any query already in `path`).
  std::vector<std::pair<std::string, std::string>> query;
  // Extra headers. A Content-Type given here is sent as is; otherwise a non-empty body gets
  // application/json. An Authorization given here replaces the client's token.
  HeaderList headers;
  std::optional<std::string> body;  // nullopt: no body
  BodyEncoding encoding = BodyEncoding::kNone;
  bool send_token = true;  // add `Authorization: Bearer <token>` when the client has a token
  bool retry = false;      // apply the client's RetryPolicy (else exactly one attempt)
  std::optional<std::chrono::milliseconds> timeout;  // read/write timeout; default: medium
  std::optional<Operation> operation;                // label for evidence and schema selection
  bool paced = true;  // waits for the client's pacer, if it has one (ClientConfig::pace_fraction)
};

// One attempt of one HTTP call.
struct Exchange {
  std::uint64_t sequence = 0;  // per client, increasing, starting at 1
  std::optional<Operation> operation;
  int attempt = 1;  // 1-based attempt number within its call
  std::string method;
  std::string url;             // scheme://host:port + target, with any token query value redacted
  std::string target;          // path + query as sent, token redacted
  HeaderList request_headers;  // as sent; Authorization value redacted
  std::string request_body;    // before compression (ExchangeLog copies are cut, see below)
  std::size_t request_body_bytes = 0;  // full uncompressed size
  std::size_t request_wire_bytes = 0;  // size on the wire (after compression)
  std::string content_encoding;        // "", "gzip", "deflate" or "br"
  int status = 0;                      // 0: no HTTP response (see transport_error)
  HeaderList response_headers;
  std::string response_body;      // decoded (httplib undoes Content-Encoding)
  bool bodies_truncated = false;  // only ever true in ExchangeLog copies
  std::string transport_error;    // empty when a response arrived
  TimeMs started_at = 0;          // wall clock
  std::chrono::microseconds duration{0};

  bool has_response() const { return transport_error.empty() && status != 0; }
};

// Called once per attempt, on the calling thread, before the call returns. It must be
// thread-safe when the client is used from several threads.
using ExchangeObserver = std::function<void(const Exchange&)>;

// The last `capacity` exchanges, bodies cut to `body_limit` bytes. Thread-safe.
class ExchangeLog {
 public:
  explicit ExchangeLog(std::size_t capacity = 1000, std::size_t body_limit = 64 * 1024);

  void record(const Exchange& exchange);
  std::vector<Exchange> snapshot() const;
  // Exchanges with sequence > `after`, oldest first (those still held).
  std::vector<Exchange> since(std::uint64_t after) const;
  std::optional<Exchange> last() const;
  std::size_t size() const;
  std::uint64_t total_recorded() const;  // including those evicted
  void clear();
  void set_capacity(std::size_t capacity);

 private:
  mutable std::mutex mu_;
  std::deque<Exchange> items_;
  std::size_t capacity_;
  std::size_t body_limit_;
  std::uint64_t total_ = 0;
};

// A one-line summary for reports: "POST /v2/...?.. -> 201 (12 ms, attempt 1)".
std::string describe(const Exchange& exchange);

}  // namespace rqcheck::client
