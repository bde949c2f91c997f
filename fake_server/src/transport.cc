#include "transport.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/limits.h"

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

// The server-side socket of a connection, found by its peer address: httplib 0.11.4 does not
// hand a handler its socket, and the transport faults need it. Faults are rare, so a walk over
// this process's descriptors is fine.
int find_socket(const std::string& peer_addr, int peer_port, int local_port) {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return -1;
  int found = -1;
  while (dirent* d = ::readdir(dir)) {
    int fd = std::atoi(d->d_name);
    if (fd <= 2) continue;
    sockaddr_storage peer{}, local{};
    socklen_t plen = sizeof(peer), llen = sizeof(local);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &llen) != 0) {
      continue;
    }
    char host[INET6_ADDRSTRLEN] = {};
    int pport = 0, lport = 0;
    if (peer.ss_family == AF_INET) {
      auto* a = reinterpret_cast<sockaddr_in*>(&peer);
      ::inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
      pport = ntohs(a->sin_port);
      lport = ntohs(reinterpret_cast<sockaddr_in*>(&local)->sin_port);
    } else if (peer.ss_family == AF_INET6) {
      auto* a = reinterpret_cast<sockaddr_in6*>(&peer);
      ::inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
      pport = ntohs(a->sin6_port);
      lport = ntohs(reinterpret_cast<sockaddr_in6*>(&local)->sin6_port);
    } else {
      continue;
    }
    if (pport == peer_port && lport == local_port && peer_addr == host) {
      found = fd;
      break;
    }
  }
  ::closedir(dir);
  return found;
}

// Ends a connection without an answer: an RST when `reset`, else an orderly FIN. The socket is
// replaced by /dev/null under the same descriptor, so httplib's later writes and its close stay
// harmless.
void drop_connection(const httplib::Request& req, int local_port, bool reset) {
  int fd = find_socket(req.remote_addr, req.remote_port, local_port);
  if (fd < 0) return;
  if (reset) {
    linger lg{1, 0};
    ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
  } else {
    ::shutdown(fd, SHUT_RDWR);
  }
  int devnull = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull >= 0) {
    ::dup2(devnull, fd);  // closes the socket (RST with linger 0) and keeps the descriptor busy
    ::close(devnull);
  }
}

}  // namespace

struct Transport::Impl {
  TransportOptions options;
  Handler handler;
  httplib::Server http;
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
  http.set_tcp_nodelay(true);
  http.set_keep_alive_max_count(1000000);
  http.set_keep_alive_timeout(options.keep_alive_timeout_secs);
  http.set_read_timeout(30, 0);
  http.set_write_timeout(30, 0);
  http.set_payload_max_length(kMaxPayloadBytes);
  int threads = options.threads > 0 ? options.threads : 256;
  http.new_task_queue = [threads] {
    return new httplib::ThreadPool(static_cast<std::size_t>(threads));
  };
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
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
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
  std::string encoding = lower(req.get_header_value("Content-Encoding"));
  if (!encoding.empty() && encoding != "gzip" && encoding != "deflate" && encoding != "br" &&
      encoding != "identity") {
    out.body_error = errors::unsupported_content_encoding(req.get_header_value("Content-Encoding"));
    res.set_header("Connection", "close");  // the body was not read
    return;
  }
  // Content codings are case-insensitive (RFC 9110 8.4.1), but httplib decodes only the
  // lowercase names and passes "GZIP" through undecoded: hand it the lowercase name.
  if (!encoding.empty() && req.get_header_value("Content-Encoding") != encoding) {
    auto& headers = const_cast<httplib::Request&>(req).headers;
    headers.erase("Content-Encoding");
    headers.emplace("Content-Encoding", encoding);
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
    res.set_header("Connection", "close");  // the rest of the body was not read
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
  if (reader && has_body) read_body(req, res, *reader, in);
  in.body_bytes = req.has_header("Content-Length") ? content_length(req) : in.body.size();
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

void Transport::Impl::deliver(const httplib::Request& req, httplib::Response& res, Delivery& d) {
  if (d.drop != Delivery::Drop::kNone) {
    drop_connection(req, port, d.drop == Delivery::Drop::kReset);
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
          if (offset > 0 && delay > 0)
            std::this_thread::sleep_for(std::chrono::milliseconds(delay));
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
  impl_->running = false;
}

void Transport::wait() {
  std::unique_lock lock(impl_->state_mu);
  impl_->stopped_cv.wait(lock, [&] { return !impl_->running.load(); });
}

bool Transport::running() const { return impl_->running; }
int Transport::port() const { return impl_->port; }

}  // namespace rqcheck::fake
