#include "transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "framing.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"
#include "wait_room.h"

namespace rqcheck::fake {

namespace {

constexpr const char* kJson = "application/json; charset=utf-8";

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::size_t content_length(const httplib::Request& req) {
  std::size_t len = 0;
  for (char c : req.get_header_value("Content-Length")) {
    if (c < '0' || c > '9' || len > (std::size_t(1) << 50)) break;
    len = len * 10 + std::size_t(c - '0');
  }
  return len;
}

using SteadyClock = std::chrono::steady_clock;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             SteadyClock::now().time_since_epoch())
      .count();
}

void address_of(const sockaddr_storage& a, std::string& ip, int& port) {
  char host[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &v4->sin_addr, host, sizeof(host));
    port = ntohs(v4->sin_port);
  } else if (a.ss_family == AF_INET6) {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &v6->sin6_addr, host, sizeof(host));
    port = ntohs(v6->sin6_port);
  }
  ip = host;
}

// One client connection. Owned by the reactor while it waits in epoll (`armed`), by exactly one
// worker while a request of it is served; the hand-over goes through Engine::mu.
struct Conn {
  int fd = -1;
  std::string remote_ip, local_ip;
  int remote_port = 0, local_port = 0;
  std::string in;  // received, not yet consumed: the current request from its first byte
  HeadParser head;
  ChunkedDecoder chunked;
  std::string body;               // the current request's body, de-chunked
  std::size_t message_bytes = 0;  // of `in`, when the request is complete
  enum class Stage { kHead, kBody, kDraining } stage = Stage::kHead;
  std::int64_t request_started_ms = 0;  // the first byte of the current request
  std::int64_t head_done_ms = 0;
  bool continue_sent = false;
  bool peer_closed = false;  // EOF after a complete request: answer it, then close
  bool registered = false;   // added to epoll
  bool armed = false;
  bool counted = true;  // counts against the connection cap (draining ones do not)
  std::int64_t deadline = 0;
  // Set while a request is served (the handler reaches them through tl_conn).
  bool close_after = false;
  Delivery::Drop drop = Delivery::Drop::kNone;
};

thread_local Conn* tl_conn = nullptr;

// How long a worker waits for a keep-alive client's next request before it hands the
// connection back to the reactor.
constexpr int kLingerMs = 2;

// The bytes of one complete request (its rebuilt head and its body) for httplib's parser; the
// answer goes to the socket. httplib writes an answer's head and its body in two calls: the head
// is held and leaves with the body's first bytes in one send, so the client gets one segment and
// one wake-up per answer, not two; flush() sends a head that no body followed (HEAD, 204).
class MessageStream : public httplib::Stream {
 public:
  MessageStream(Conn& c, std::string head, const std::string& body, int write_timeout_ms)
      : c_(c), head_(std::move(head)), body_(body), write_timeout_ms_(write_timeout_ms) {}
  bool is_readable() const override { return off_ < head_.size() + body_.size(); }
  bool is_writable() const override { return !failed_; }
  ssize_t read(char* ptr, size_t size) override {
    std::size_t n = 0;
    while (n < size && off_ < head_.size() + body_.size()) {
      const std::string& part = off_ < head_.size() ? head_ : body_;
      std::size_t at = off_ < head_.size() ? off_ : off_ - head_.size();
      std::size_t k = std::min(size - n, part.size() - at);
      std::memcpy(ptr + n, part.data() + at, k);
      n += k;
      off_ += k;
    }
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (c_.drop != Delivery::Drop::kNone) return static_cast<ssize_t>(size);  // dropped
    if (failed_) return -1;
    if (!wrote_ && held_.empty() && size <= kHoldBytes) {
      held_.assign(ptr, size);  // the answer's head: it waits for the body's first bytes
      return static_cast<ssize_t>(size);
    }
    if (!send_all(ptr, size)) return -1;
    return static_cast<ssize_t>(size);
  }
  // Sends what is held; false when the client cannot be written to.
  bool flush() {
    if (held_.empty() || c_.drop != Delivery::Drop::kNone) return !failed_;
    return send_all(nullptr, 0);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.remote_ip;
    port = c_.remote_port;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = c_.local_ip;
    port = c_.local_port;
  }
  socket_t socket() const override { return c_.fd; }
  bool failed() const { return failed_; }

 private:
  static constexpr std::size_t kHoldBytes = 8192;

  // Writes the held bytes, then [ptr, ptr + size), in as few sends as the socket takes.
  bool send_all(const char* ptr, std::size_t size) {
    iovec parts[2] = {{held_.data(), held_.size()}, {const_cast<char*>(ptr), size}};
    std::size_t first = held_.empty() ? 1 : 0;
    while (first < 2) {
      msghdr m{};
      m.msg_iov = parts + first;
      m.msg_iovlen = 2 - first;
      ssize_t n = ::sendmsg(c_.fd, &m, MSG_NOSIGNAL);
      if (n > 0) {
        wrote_ = true;
        auto left = static_cast<std::size_t>(n);
        while (first < 2 && left >= parts[first].iov_len) {
          left -= parts[first].iov_len;
          ++first;
        }
        if (first < 2) {
          parts[first].iov_base = static_cast<char*>(parts[first].iov_base) + left;
          parts[first].iov_len -= left;
        }
        continue;
      }
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        WaitingRoom waiting;  // a client slow to read holds up no other request
        pollfd p{c_.fd, POLLOUT, 0};
        if (::poll(&p, 1, write_timeout_ms_) > 0) continue;
      }
      failed_ = true;
      held_.clear();
      return false;
    }
    held_.clear();
    return true;
  }

  Conn& c_;
  std::string head_;
  const std::string& body_;
  int write_timeout_ms_;
  std::size_t off_ = 0;
  std::string held_;    // an answer's head, not yet sent
  bool wrote_ = false;  // something of the answer was sent
  bool failed_ = false;
};

// httplib's server with its connection loop replaced (docs/http-hardening.md, "the override"):
// every accepted socket goes to the engine; httplib still parses each complete request, routes
// it and writes the answer, through MessageStream.
class HardServer : public httplib::Server {
 public:
  std::function<void(socket_t)> on_socket;
  bool serve_message(httplib::Stream& s, bool close, bool& closed) {
    static const std::function<void(httplib::Request&)> no_setup;
    return process_request(s, close, closed, no_setup);
  }

 private:
  bool process_and_close_socket(socket_t sock) override {
    on_socket(sock);
    return true;
  }
};

// Runs each task on the calling thread: the accept loop's task only registers the socket.
class InlineQueue : public httplib::TaskQueue {
 public:
  void enqueue(std::function<void()> fn) override { fn(); }
  void shutdown() override {}
};

// TransportOptions::running, 0 meaning four per core.
int running_limit(int asked) {
  if (asked > 0) return asked;
  unsigned cores = std::thread::hardware_concurrency();
  return 4 * static_cast<int>(cores == 0 ? 1 : cores);
}

// The connections whose next request is complete, in arrival order. Guarded by the pool's mutex;
// whether any wait can be read without it (a worker gives its connection up when others wait).
class ReadyList {
 public:
  bool empty() const { return list_.empty(); }
  bool others_wait() const { return size_.load(std::memory_order_relaxed) > 0; }
  void push(Conn* c) {
    list_.push_back(c);
    size_.store(static_cast<int>(list_.size()), std::memory_order_relaxed);
  }
  Conn* pop() {
    Conn* c = list_.front();
    list_.pop_front();
    size_.store(static_cast<int>(list_.size()), std::memory_order_relaxed);
    return c;
  }

 private:
  std::deque<Conn*> list_;
  std::atomic<int> size_{0};
};

// The reactor (one epoll thread for every waiting connection) and the workers.
class Engine : private WaitHooks {
 public:
  Engine(TransportOptions options, HardServer& server)
      : o_(std::move(options)), server_(server), running_(running_limit(o_.running)) {}
  ~Engine() { stop(); }

  Status start();
  void stop();
  void add(int fd);
  int cap() const { return cap_; }

 private:
  void reactor_loop();
  void worker_loop();
  void on_readable(Conn* c);
  bool read_some(Conn* c, bool& eof);
  void on_timeout(Conn* c);
  void serve(Conn* c);
  Parse advance(Conn& c, ApiError& err);
  void consume(Conn& c);
  void arm(Conn* c);
  void refuse(Conn* c, const ApiError& e);
  void drain(Conn* c);
  void close_now(Conn* c, bool reset = false);
  void dispatch(Conn* c);
  void send_small(Conn& c, const std::string& bytes);

  TransportOptions o_;
  HardServer& server_;
  FramingLimits limits_;
  int cap_ = 0;
  int epfd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::thread reactor_;

  std::mutex mu_;  // conns_, deadlines_, Conn::armed/deadline, epoll registration
  std::unordered_map<Conn*, std::unique_ptr<Conn>> conns_;
  std::set<std::pair<std::int64_t, Conn*>> deadlines_;
  int counted_ = 0;   // open connections that count against the cap
  int draining_ = 0;  // refused or finished connections being drained

  void wait_begins() override;
  void wait_ends() override;
  // Workers serving a request and not in a WaitingRoom (wait_room.h); at most running_ take a
  // request from ready_.
  int busy() const { return static_cast<int>(workers_.size()) - idle_workers_ - waiting_workers_; }
  void start_worker();

  const int running_;
  std::mutex pool_mu_;
  std::condition_variable pool_cv_;
  ReadyList ready_;
  std::vector<std::thread> workers_;
  int idle_workers_ = 0;
  int waiting_workers_ = 0;
  bool pool_stopping_ = false;
};

Status Engine::start() {
  rlimit rl{};
  cap_ = o_.max_connections > 0 ? o_.max_connections : 10000;
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
    // Room for the listening socket, the store's files, the tests' own client sockets.
    long room = static_cast<long>(rl.rlim_cur) - 64;
    room = room / 2 > 16 ? room / 2 : 16;
    if (cap_ > room) cap_ = static_cast<int>(room);
  }
  epfd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (epfd_ < 0 || wake_fd_ < 0) {
    return ApiError{0, "transport-failed", "rq-fake could not create its epoll reactor"};
  }
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  ::epoll_ctl(epfd_, EPOLL_CTL_ADD, wake_fd_, &ev);
  reactor_ = std::thread([this] { reactor_loop(); });
  return Ok{};
}

void Engine::stop() {
  if (stopping_.exchange(true)) return;
  if (wake_fd_ >= 0) {
    std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
  }
  if (reactor_.joinable()) reactor_.join();
  {
    // Unblock workers that wait on a client that does not read.
    std::lock_guard lock(mu_);
    for (auto& [p, c] : conns_) ::shutdown(c->fd, SHUT_RDWR);
  }
  {
    std::lock_guard lock(pool_mu_);
    pool_stopping_ = true;
  }
  pool_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
  std::lock_guard lock(mu_);
  for (auto& [p, c] : conns_) ::close(c->fd);
  conns_.clear();
  deadlines_.clear();
  if (epfd_ >= 0) ::close(epfd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  epfd_ = wake_fd_ = -1;
}

void Engine::send_small(Conn& c, const std::string& bytes) {
  // An answer of a few hundred bytes to a socket the fake wrote nothing else to fits its send
  // buffer; what does not (a client that reads nothing) is dropped.
  std::size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::send(c.fd, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<std::size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else {
      return;
    }
  }
}

void Engine::add(int fd) {
  if (stopping_) {
    ::close(fd);
    return;
  }
  int flags = ::fcntl(fd, F_GETFL, 0);
  ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
  int yes = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  auto owned = std::make_unique<Conn>();
  Conn* c = owned.get();
  c->fd = fd;
  c->head = HeadParser(limits_);
  c->chunked = ChunkedDecoder(limits_);
  sockaddr_storage peer{}, local{};
  socklen_t plen = sizeof(peer), llen = sizeof(local);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0) {
    address_of(peer, c->remote_ip, c->remote_port);
  }
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) == 0) {
    address_of(local, c->local_ip, c->local_port);
  }
  bool over = false;
  {
    std::lock_guard lock(mu_);
    over = counted_ >= cap_;
    if (over && draining_ >= 1024) {
      ::close(fd);  // a flood: 1024 refused connections are still draining, close at once
      return;
    }
    c->counted = !over;
    ++(over ? draining_ : counted_);
    conns_.emplace(c, std::move(owned));
  }
  if (over) {
    // Beyond the cap: say so, never silence (issue 17).
    send_small(*c, error_response(
                       errors::service_unavailable("rq-fake has " + std::to_string(cap_) +
                                                   " open connections, its limit; retry later."),
                       true, o_.retry_after_secs));
    ::shutdown(fd, SHUT_WR);
    c->stage = Conn::Stage::kDraining;
    c->deadline = now_ms() + 1000;
    arm(c);
    return;
  }
  arm(c);
}

void Engine::arm(Conn* c) {
  std::int64_t now = now_ms();
  std::int64_t deadline;
  if (c->stage == Conn::Stage::kDraining) {
    deadline = c->deadline;
  } else if (c->stage == Conn::Stage::kBody) {
    deadline = c->head_done_ms + o_.body_timeout_ms;
  } else if (c->in.empty()) {
    deadline = now + o_.idle_timeout_ms;
  } else {
    deadline = c->request_started_ms + o_.head_timeout_ms;
  }
  std::lock_guard lock(mu_);
  c->deadline = deadline;
  c->armed = true;
  deadlines_.emplace(deadline, c);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT;
  ev.data.ptr = c;
  ::epoll_ctl(epfd_, c->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev);
  c->registered = true;
}

void Engine::close_now(Conn* c, bool reset) {
  std::unique_ptr<Conn> owned;
  {
    std::lock_guard lock(mu_);
    if (c->armed) deadlines_.erase({c->deadline, c});
    c->armed = false;
    if (c->registered) ::epoll_ctl(epfd_, EPOLL_CTL_DEL, c->fd, nullptr);
    if (c->counted) {
      --counted_;
    } else {
      --draining_;
    }
    auto it = conns_.find(c);
    if (it != conns_.end()) {
      owned = std::move(it->second);
      conns_.erase(it);
    }
  }
  if (reset) {
    linger lg{1, 0};
    ::setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  }
  ::close(c->fd);
}

// A graceful close: no more answers, read what the client still sends for a moment, then
// close; a close with unread bytes would send an RST that can destroy the last answer.
void Engine::drain(Conn* c) {
  ::shutdown(c->fd, SHUT_WR);
  c->stage = Conn::Stage::kDraining;
  c->deadline = now_ms() + 1000;
  c->in.clear();
  c->in.shrink_to_fit();
  c->body.clear();
  c->body.shrink_to_fit();
  {
    std::lock_guard lock(mu_);
    if (c->counted) {
      c->counted = false;
      --counted_;
      ++draining_;
    }
  }
  arm(c);
}

void Engine::refuse(Conn* c, const ApiError& e) {
  send_small(*c, error_response(e, true));
  drain(c);
}

Parse Engine::advance(Conn& c, ApiError& err) {
  if (c.stage == Conn::Stage::kHead) {
    if (c.in.empty()) return Parse::kNeedMore;
    Parse p = c.head.feed(c.in, err);
    if (p != Parse::kDone) return p;
    c.stage = Conn::Stage::kBody;
    c.head_done_ms = now_ms();
    c.body.clear();
    c.chunked = ChunkedDecoder(limits_);
  }
  const RequestHead& h = c.head.head();
  std::string_view rest = std::string_view(c.in).substr(h.head_bytes);
  if (h.too_large) {  // answered 413 without reading the body, then closed
    c.message_bytes = h.head_bytes;
    return Parse::kDone;
  }
  switch (h.body) {
    case RequestHead::Body::kNone:
      c.message_bytes = h.head_bytes;
      return Parse::kDone;
    case RequestHead::Body::kLength:
      if (rest.size() < h.content_length) return Parse::kNeedMore;
      c.body.assign(rest.substr(0, h.content_length));
      c.message_bytes = h.head_bytes + h.content_length;
      return Parse::kDone;
    case RequestHead::Body::kChunked: {
      Parse p = c.chunked.feed(rest, c.body, err);
      if (p == Parse::kDone) c.message_bytes = h.head_bytes + c.chunked.consumed();
      return p;
    }
  }
  return Parse::kNeedMore;
}

void Engine::consume(Conn& c) {
  c.in.erase(0, c.message_bytes);
  c.message_bytes = 0;
  c.head.reset();
  c.body.clear();
  c.stage = Conn::Stage::kHead;
  c.continue_sent = false;
  c.request_started_ms = now_ms();
}

void Engine::dispatch(Conn* c) {
  std::lock_guard lock(pool_mu_);
  ready_.push(c);
  start_worker();
}

// With pool_mu_ held: a request is ready; wake an idle worker, or start one if fewer than
// running_ compute and the pool may grow. Otherwise a worker takes it when it is done.
void Engine::start_worker() {
  if (pool_stopping_) return;  // stop() joins the workers it has
  int max = o_.threads > 0 ? o_.threads : 256;
  if (idle_workers_ > 0) {
    pool_cv_.notify_one();
  } else if (busy() < running_ && static_cast<int>(workers_.size()) < max) {
    workers_.emplace_back([this] {
      set_thread_wait_hooks(this);
      worker_loop();
    });
  }
}

void Engine::wait_begins() {
  std::lock_guard lock(pool_mu_);
  ++waiting_workers_;
  if (!ready_.empty()) start_worker();
}

void Engine::wait_ends() {
  std::lock_guard lock(pool_mu_);
  --waiting_workers_;  // never waits: busy() may pass running_ until this request is done
}

void Engine::reactor_loop() {
  std::vector<epoll_event> events(256);
  while (!stopping_) {
    int timeout = 1000;
    {
      std::lock_guard lock(mu_);
      if (!deadlines_.empty()) {
        std::int64_t left = deadlines_.begin()->first - now_ms();
        timeout = static_cast<int>(std::clamp<std::int64_t>(left, 0, 1000));
      }
    }
    int n = ::epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout);
    for (int i = 0; i < n; ++i) {
      auto* c = static_cast<Conn*>(events[static_cast<std::size_t>(i)].data.ptr);
      if (!c) {
        std::uint64_t v;
        [[maybe_unused]] auto r = ::read(wake_fd_, &v, sizeof v);
        continue;
      }
      {
        std::lock_guard lock(mu_);
        if (!c->armed) continue;
        deadlines_.erase({c->deadline, c});
        c->armed = false;
      }
      on_readable(c);
    }
    std::vector<Conn*> expired;
    {
      std::lock_guard lock(mu_);
      std::int64_t now = now_ms();
      while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
        Conn* c = deadlines_.begin()->second;
        deadlines_.erase(deadlines_.begin());
        c->armed = false;
        expired.push_back(c);
      }
    }
    for (Conn* c : expired) on_timeout(c);
  }
}

void Engine::on_timeout(Conn* c) {
  if (c->stage == Conn::Stage::kDraining || c->in.empty()) {
    close_now(c);  // drained, or idle past the keep-alive timeout
    return;
  }
  int ms = c->stage == Conn::Stage::kBody ? o_.body_timeout_ms : o_.head_timeout_ms;
  refuse(c,
         ApiError{408, "operation-timed-out",
                  std::string("The request ") + (c->stage == Conn::Stage::kBody ? "body" : "head") +
                      " did not arrive within " + std::to_string(ms) + " ms."});
}

// Reads what the socket has now into the connection's buffer (a draining one discards it);
// false when the connection was reset.
bool Engine::read_some(Conn* c, bool& eof) {
  char buf[65536];
  std::size_t got = 0;
  for (;;) {
    ssize_t n = ::recv(c->fd, buf, sizeof buf, 0);
    if (n > 0) {
      if (c->stage != Conn::Stage::kDraining) {
        if (c->in.empty()) c->request_started_ms = now_ms();
        c->in.append(buf, static_cast<std::size_t>(n));
      }
      got += static_cast<std::size_t>(n);
      if (got >= (1u << 20)) return true;  // fairness: come back after the others
      // A short read took all the socket had: asking again would only return EAGAIN (one
      // syscall per request saved). What arrives later wakes epoll or the linger's poll.
      if (static_cast<std::size_t>(n) < sizeof buf) return true;
      continue;
    }
    if (n == 0) {
      eof = true;
      return true;
    }
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

void Engine::on_readable(Conn* c) {
  bool eof = false;
  if (!read_some(c, eof)) {
    close_now(c);  // reset by the peer
    return;
  }
  if (c->stage == Conn::Stage::kDraining) {
    if (eof) {
      close_now(c);
    } else {
      arm(c);
    }
    return;
  }
  ApiError err;
  Parse p = advance(*c, err);
  if (p == Parse::kDone) {
    c->peer_closed = eof;
    dispatch(c);
    return;
  }
  if (p == Parse::kError) {
    refuse(c, err);
    return;
  }
  if (eof) {
    close_now(c);  // the client left before its request was complete
    return;
  }
  if (c->stage == Conn::Stage::kBody && c->head.head().expect_continue && !c->continue_sent) {
    c->continue_sent = true;
    send_small(*c, "HTTP/1.1 100 Continue\r\n\r\n");
  }
  arm(c);
}

void Engine::worker_loop() {
  for (;;) {
    Conn* c = nullptr;
    {
      std::unique_lock lock(pool_mu_);
      ++idle_workers_;
      pool_cv_.wait(lock, [&] { return pool_stopping_ || (!ready_.empty() && busy() < running_); });
      --idle_workers_;
      if (ready_.empty()) return;
      c = ready_.pop();
    }
    serve(c);
  }
}

void Engine::serve(Conn* c) {
  for (;;) {
    const RequestHead& h = c->head.head();
    bool close = h.close || h.too_large || c->peer_closed || stopping_;
    MessageStream strm(*c, rebuild_head(h, c->body.size()), c->body, 30000);
    c->close_after = false;
    c->drop = Delivery::Drop::kNone;
    bool closed = false;
    tl_conn = c;
    bool ok = server_.serve_message(strm, close, closed);
    ok = strm.flush() && ok;
    tl_conn = nullptr;
    if (c->drop != Delivery::Drop::kNone) {
      if (c->drop == Delivery::Drop::kClose) ::shutdown(c->fd, SHUT_RDWR);
      close_now(c, c->drop == Delivery::Drop::kReset);
      return;
    }
    consume(*c);
    if (!ok || strm.failed()) {
      close_now(c);
      return;
    }
    if (close || closed || c->close_after) {
      drain(c);
      return;
    }
    ApiError err;
    Parse p = advance(*c, err);
    // Other connections wait for a turn: this one goes to the back of the line (a pipelined
    // request already read) or back to the reactor, so a busy client cannot keep a worker.
    const bool others_wait = ready_.others_wait();
    if (p == Parse::kDone && others_wait) {
      dispatch(c);
      return;
    }
    if (p == Parse::kDone) continue;  // a pipelined request, answered in order
    if (p == Parse::kError) {
      refuse(c, err);
      return;
    }
    // A keep-alive client usually sends its next request right after it read the answer: wait
    // for it a moment here rather than hand the connection to the reactor and back (two
    // wake-ups per call).
    pollfd pf{c->fd, POLLIN, 0};
    if (c->stage == Conn::Stage::kHead && !others_wait && ::poll(&pf, 1, kLingerMs) > 0) {
      bool eof = false;
      if (!read_some(c, eof)) {
        close_now(c);
        return;
      }
      p = advance(*c, err);
      if (p == Parse::kDone) {
        c->peer_closed = eof;
        continue;
      }
      if (p == Parse::kError) {
        refuse(c, err);
        return;
      }
      if (eof) {
        close_now(c);
        return;
      }
    }
    if (c->stage == Conn::Stage::kBody && c->head.head().expect_continue && !c->continue_sent) {
      c->continue_sent = true;
      send_small(*c, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    arm(c);
    return;
  }
}

// Content codings checked against the body's first bytes: httplib inflates "deflate" with
// automatic format detection, so a gzip body labelled deflate would pass.
bool body_matches_encoding(std::string_view encoding, std::string_view body) {
  if (body.empty()) return true;
  auto b0 = static_cast<unsigned char>(body[0]);
  if (encoding == "gzip") {
    return body.size() >= 2 && b0 == 0x1f && static_cast<unsigned char>(body[1]) == 0x8b;
  }
  if (encoding == "deflate") {  // the zlib format (RFC 9110 8.4.1.2, RFC 1950)
    if (body.size() < 2) return false;
    auto b1 = static_cast<unsigned char>(body[1]);
    return (b0 & 0x0F) == 8 && (b0 >> 4) <= 7 && ((b0 << 8) | b1) % 31 == 0;
  }
  return true;
}

}  // namespace

struct Transport::Impl {
  TransportOptions options;
  Handler handler;
  HardServer http;
  std::unique_ptr<Engine> engine;
  std::thread thread;
  std::atomic<bool> running{false};
  int port = -1;
  int listen_fd = -1;
  std::mutex state_mu;
  std::condition_variable stopped_cv;
  std::mutex log_mu;

  void install();
  void serve(const httplib::Request& req, httplib::Response& res,
             const httplib::ContentReader* reader);
  void read_body(const httplib::Request& req, httplib::Response& res,
                 const httplib::ContentReader& reader, HttpRequest& out);
  void deliver(const httplib::Request& req, httplib::Response& res, Delivery& d);
};

void Transport::Impl::install() {
  http.set_payload_max_length(kMaxPayloadBytes);
  // The connection loop is the engine's: httplib's accept loop hands each socket over at once.
  engine = std::make_unique<Engine>(options, http);
  http.new_task_queue = [] { return new InlineQueue; };
  http.on_socket = [this](socket_t sock) { engine->add(sock); };
  http.set_socket_options([this](socket_t sock) {
    int yes = 1;
    ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd = sock;
  });
  // One catch-all route per method: routing is ours (the router, from core's operation table),
  // so unknown paths and methods get the documented envelope.
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) { serve(req, res, &reader); };
  auto without_body = [this](const httplib::Request& req, httplib::Response& res) {
    serve(req, res, nullptr);
  };
  http.Get(".*", without_body);
  http.Options(".*", without_body);
  http.Post(".*", with_body);
  http.Put(".*", with_body);
  http.Patch(".*", with_body);
  http.Delete(".*", with_body);
  // What httplib refuses itself (malformed request line, unknown method, URI too long, a
  // Content-Length over the limit) still gets the envelope.
  http.set_error_handler(httplib::Server::HandlerWithResponse([](const httplib::Request& req,
                                                                 httplib::Response& res) {
    // httplib calls this for every status >= 400 with an empty body, ours too: an answer that
    // goes out through a content provider (a truncating or chunking fault) is already complete.
    if (!res.body.empty() || res.content_provider_) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    ApiError e;
    switch (res.status) {
      case 413:
        e = errors::request_too_large(content_length(req));
        break;
      case 414:
        e = ApiError{414, "request-uri-too-long", "The request URI is too long."};
        break;
      case 415:
        e = errors::unsupported_content_encoding(req.get_header_value("Content-Encoding"));
        break;
      case 404:
        e = errors::page_not_found(req.path);
        break;
      case 405:
        e = errors::method_not_allowed("OPTIONS,GET,POST,PUT,DELETE");
        break;
      case 400:
        e = errors::invalid_request("The HTTP request is malformed or uses an unsupported method.");
        break;
      default:
        e = ApiError{res.status, "internal-server-error", "The request could not be served."};
    }
    res.set_content(error_body(e), kJson);
    return httplib::Server::HandlerResponse::Handled;
  }));
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                std::exception_ptr) {
    res.status = 500;
    res.set_content(
        error_body(errors::internal_server_error("The fake server hit an internal error.")), kJson);
  });
}

// Decisions 16 and 17: gzip, deflate and br are decoded by httplib chunk by chunk, and the
// receiver stops at kMaxPayloadBytes of decoded bytes, so a compressed bomb is never inflated
// into memory; any other coding is refused before a byte of the body is read.
void Transport::Impl::read_body(const httplib::Request& req, httplib::Response& res,
                                const httplib::ContentReader& reader, HttpRequest& out) {
  // The engine framed the whole body already, so an unread body never desyncs the connection.
  std::string encoding = lower(req.get_header_value("Content-Encoding"));
  if (!encoding.empty() && encoding != "gzip" && encoding != "deflate" && encoding != "br" &&
      encoding != "identity") {
    out.body_error = errors::unsupported_content_encoding(req.get_header_value("Content-Encoding"));
    return;
  }
  if (tl_conn && !body_matches_encoding(encoding, tl_conn->body)) {
    out.body_error = errors::invalid_input("Invalid input: the request body is not in the " +
                                           encoding + " format its Content-Encoding names.");
    return;
  }
  // Content codings are case-insensitive (RFC 9110 8.4.1), but httplib decodes only the
  // lowercase names and passes "GZIP" through undecoded: hand it the lowercase name.
  if (!encoding.empty() && req.get_header_value("Content-Encoding") != encoding) {
    auto& headers = const_cast<httplib::Request&>(req).headers;
    headers.erase("Content-Encoding");
    headers.emplace("Content-Encoding", encoding);
  }
  // httplib parses multipart/form-data bodies itself and calls a multipart receiver this reader
  // has not got; a record may be of any content type, so the body is read as plain bytes. The
  // handler has the headers as sent (copied before this), so a JSON operation still answers a
  // multipart body with 400 invalid-content-type-header, as it does any other non-JSON type.
  if (req.is_multipart_form_data()) {
    auto& headers = const_cast<httplib::Request&>(req).headers;
    headers.erase("Content-Type");
    headers.emplace("Content-Type", "application/octet-stream");
  }
  std::size_t total = 0;
  bool too_large = false;
  bool ok = reader([&](const char* data, std::size_t n) {
    total += n;
    if (total > kMaxPayloadBytes) {
      too_large = true;
      return false;
    }
    out.body.append(data, n);
    return true;
  });
  if (!ok) {
    if (too_large) {
      out.body_error = errors::request_too_large(total);
    } else if (res.status == 415) {
      out.body_error =
          errors::unsupported_content_encoding(req.get_header_value("Content-Encoding"));
    } else if (res.status == 413) {
      out.body_error = errors::request_too_large(content_length(req));
    } else {
      out.body_error =
          errors::invalid_input("Invalid input: the request body could not be read or decoded.");
    }
    out.body.clear();
  }
}

void Transport::Impl::serve(const httplib::Request& req, httplib::Response& res,
                            const httplib::ContentReader* reader) {
  auto started = std::chrono::steady_clock::now();
  HttpRequest in;
  in.method = req.method;
  // Method override (spec intro): ?method=POST on a GET.
  if (in.method == "GET") {
    auto m = req.params.find("method");
    if (m != req.params.end() && !m->second.empty()) {
      in.method = m->second;
      for (char& c : in.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  in.path = req.path;
  in.target = req.target;
  in.query = Params(req.params.begin(), req.params.end());
  in.headers.reserve(req.headers.size());
  for (const auto& h : req.headers) {
    // httplib files the connection's addresses among the headers; they were not sent.
    if (h.first == "LOCAL_ADDR" || h.first == "LOCAL_PORT" || h.first == "REMOTE_ADDR" ||
        h.first == "REMOTE_PORT") {
      continue;
    }
    in.headers.push_back(h);
  }
  in.remote_addr = req.remote_addr;
  in.remote_port = req.remote_port;
  // A request with neither Content-Length nor chunked encoding has no body (RFC 9112 6.3);
  // httplib would wait for the connection to close instead.
  bool has_body =
      req.has_header("Transfer-Encoding") ||
      (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
  const RequestHead* head = tl_conn ? &tl_conn->head.head() : nullptr;
  if (head && head->too_large) {
    // The engine did not read a body over the limit (decision 16: 413 request-too-large).
    in.body_error = errors::request_too_large(head->content_length);
    in.body_bytes = head->content_length;
  } else {
    if (reader && has_body) read_body(req, res, *reader, in);
    in.body_bytes = req.has_header("Content-Length") ? content_length(req) : in.body.size();
  }
  Delivery d = handler(in);
  deliver(req, res, d);
  if (options.request_log) {
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - started)
                  .count();
    std::lock_guard lock(log_mu);
    *options.request_log << req.method << ' ' << req.target << " -> " << res.status << " ("
                         << us / 1000.0 << " ms)\n";
    options.request_log->flush();
  }
}

void Transport::Impl::deliver(const httplib::Request&, httplib::Response& res, Delivery& d) {
  if (d.drop != Delivery::Drop::kNone) {
    // The engine ends the connection after this request instead of answering.
    if (tl_conn) tl_conn->drop = d.drop;
    res.status = 500;
    return;
  }
  Reply& reply = d.reply;
  res.status = reply.status;
  for (auto& [k, v] : reply.headers) res.set_header(k, v);
  if (reply.body.empty()) return;
  if (d.truncate_at || d.chunk_bytes > 0) {
    auto text = std::make_shared<std::string>(std::move(reply.body));
    std::size_t keep = d.truncate_at ? std::min(*d.truncate_at, text->size()) : text->size();
    std::size_t chunk = d.chunk_bytes > 0 ? d.chunk_bytes : text->size();
    std::int64_t delay = d.chunk_bytes > 0 ? d.chunk_delay_ms : 0;
    // The full Content-Length is declared; a truncated body stops early and the connection
    // is closed (the provider returns false), a dribbled one arrives a chunk at a time.
    res.set_content_provider(
        text->size(), reply.content_type.c_str(),
        [text, keep, chunk, delay](std::size_t offset, std::size_t, httplib::DataSink& sink) {
          if (offset >= keep) return false;
          if (offset > 0 && delay > 0) {
            WaitingRoom waiting;
            std::this_thread::sleep_for(std::chrono::milliseconds(delay));
          }
          std::size_t n = std::min(chunk, keep - offset);
          sink.write(text->data() + offset, n);
          return true;
        });
    return;
  }
  res.set_content(std::move(reply.body), reply.content_type.c_str());
}

Transport::Transport(TransportOptions options, Handler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  impl_->install();
}

Transport::~Transport() { stop(); }

Status Transport::start() {
  Impl& s = *impl_;
  if (s.running) return Ok{};
  if (auto st = s.engine->start(); !st) return st;
  int port = s.options.port == 0
                 ? s.http.bind_to_any_port(s.options.host)
                 : (s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1);
  if (port < 0) {
    return ApiError{
        0, "bind-failed",
        "rq-fake could not bind " + s.options.host + ":" + std::to_string(s.options.port)};
  }
  // httplib listens with a backlog of 5; bursts of connects overflow it (PERFORMANCE.md, trap 4).
  if (s.listen_fd >= 0 && s.options.listen_backlog > 0) {
    ::listen(s.listen_fd, s.options.listen_backlog);
  }
  s.port = port;
  s.running = true;
  s.thread = std::thread([&s] {
    s.http.listen_after_bind();
    std::lock_guard lock(s.state_mu);
    s.running = false;
    s.stopped_cv.notify_all();
  });
  // Wait until the accept loop runs, so a caller can connect as soon as start() returns.
  while (!s.http.is_running() && s.running) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return Ok{};
}

void Transport::stop() {
  if (!impl_) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->engine->stop();
  impl_->running = false;
}

void Transport::wait() {
  std::unique_lock lock(impl_->state_mu);
  impl_->stopped_cv.wait(lock, [&] { return !impl_->running.load(); });
}

bool Transport::running() const { return impl_->running; }
int Transport::port() const { return impl_->port; }
int Transport::connection_cap() const { return impl_->engine->cap(); }

}  // namespace rqcheck::fake
