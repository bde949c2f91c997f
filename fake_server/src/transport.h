// The transport layer of the fake: cpp-httplib set up for speed (PERFORMANCE.md: TCP_NODELAY,
// keep-alive, a thread pool, a deep listen backlog), request bodies read and decoded with a
// bound after decoding, and the faults that act on the connection (reset, close, a truncated or
// dribbled body). It knows nothing of the API: it hands each request to a handler and delivers
// what the handler answers. httplib stays in transport.cc.
//
//   Transport t(options, [](HttpRequest& req) { return Delivery{Reply::no_content()}; });
//   if (auto st = t.start(); !st) ...;
//   int port = t.port();
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>

#include "call.h"
#include "rqcheck/core/result.h"

namespace rqcheck::fake {

// A reply and how to deliver it.
struct Delivery {
  Reply reply;
  enum class Drop { kNone, kReset, kClose };
  Drop drop = Drop::kNone;                 // end the connection instead of answering
  std::optional<std::size_t> truncate_at;  // send only this many body bytes, then close
  std::size_t chunk_bytes = 0;             // > 0: send the body in chunks of this size ...
  std::int64_t chunk_delay_ms = 0;         // ... with this pause between them
  bool close_after = false;                // close the connection after the answer
};

// How connections are served (docs/http-hardening.md): one reactor thread holds every connection
// that is idle or still sending its request, so those cost a descriptor, never a thread; a
// request reaches a worker only when its head and body have arrived and passed the strict
// framing checks (framing.h). Workers are started on demand up to `threads`. Beyond
// `max_connections` open connections a new one is answered 503 with Retry-After and closed.
struct TransportOptions {
  std::string host = "127.0.0.1";
  int port = 0;                // 0: any free port
  int threads = 256;           // workers at most (started on demand): requests in progress
  int idle_timeout_ms = 5000;  // a keep-alive connection with no request open is closed after it
  int listen_backlog = 1024;
  std::ostream* request_log = nullptr;  // one line per request when set
  int max_connections = 10000;          // open connections at most (also bounded by RLIMIT_NOFILE)
  int head_timeout_ms = 10000;  // a request head must be complete this long after its 1st byte
  int body_timeout_ms = 30000;  // and its body this long after the head
  int retry_after_secs = 1;     // on the 503 beyond max_connections
  // Requests computed at once (wait_room.h); 0: four per core. Workers beyond it wait their turn;
  // one that waits inside a request (a latency fault, a slow reader, a durable commit) gives its
  // place up meanwhile.
  int running = 0;
};

class Transport {
 public:
  using Handler = std::function<Delivery(HttpRequest&)>;
  Transport(TransportOptions options, Handler handler);
  ~Transport();
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  // Binds and serves on a background thread; fails when the address cannot be bound.
  Status start();
  // Stops accepting, finishes in-flight requests and joins the thread. Idempotent.
  void stop();
  // Blocks until stop() is called from another thread.
  void wait();
  bool running() const;
  int port() const;
  // The connection cap in force (max_connections, lowered to fit the descriptor limit).
  int connection_cap() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace rqcheck::fake
