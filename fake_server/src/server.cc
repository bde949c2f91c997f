#include "rqcheck/fake_server/server.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <utility>

#include "bugs.h"
#include "http_util.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/types.h"
#include "rqcheck/fake_server/compliance.h"
#include "rqcheck/fake_server/faults.h"
#include "rqcheck/fake_server/journal.h"
#include "rqcheck/schemas/validation.h"

namespace rqcheck::fake {

namespace {

constexpr const char* kJson = "application/json; charset=utf-8";

// Where a path leads. `op` is set when the path and method name an operation of section 3.
struct Route {
  enum Kind { kApi, kNotFound, kNotImplemented, kMethodNotAllowed } kind = kNotFound;
  std::optional<Operation> op;
  std::string queue, request_id;
  std::string allowed;  // for 405
};

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.push_back(path.substr(i, j - i));
    i = j;
  }
  return parts;
}

Route route(std::string_view path, std::string_view method) {
  using O = Operation;
  Route r;
  auto p = split_path(path);
  if (p.size() < 2 || p[0] != "v2") return r;
  // The run/actor/task aliases of section 3 are not emulated: say so loudly.
  if (p[1] == "actor-runs" || p[1] == "actors" || p[1] == "acts" || p[1] == "actor-tasks") {
    for (auto s : p) {
      if (s == "request-queue") {
        r.kind = Route::kNotImplemented;
        return r;
      }
    }
    return r;
  }
  if (p[1] != "request-queues") return r;
  struct Option {
    std::string_view method;
    O op;
  };
  // At most three methods share a path; a fixed array keeps routing free of allocations.
  std::array<Option, 3> options{};
  std::size_t count = 0;
  auto set = [&](std::initializer_list<Option> list) {
    for (const Option& o : list) options[count++] = o;
  };
  std::size_t n = p.size();
  if (n == 2) {
    set({{"GET", O::kQueuesGet}, {"POST", O::kQueuesPost}});
  } else {
    r.queue = std::string(p[2]);
    if (n == 3) {
      set({{"GET", O::kQueueGet}, {"PUT", O::kQueuePut}, {"DELETE", O::kQueueDelete}});
    } else if (p[3] == "requests") {
      if (n == 4) {
        set({{"GET", O::kRequestsGet}, {"POST", O::kRequestsPost}});
      } else if (n == 5 && p[4] == "batch") {
        set({{"POST", O::kRequestsBatchPost}, {"DELETE", O::kRequestsBatchDelete}});
      } else if (n == 5 && p[4] == "unlock") {
        set({{"POST", O::kRequestsUnlockPost}});
      } else if (n == 5) {
        r.request_id = std::string(p[4]);
        set({{"GET", O::kRequestGet}, {"PUT", O::kRequestPut}, {"DELETE", O::kRequestDelete}});
      } else if (n == 6 && p[5] == "lock") {
        r.request_id = std::string(p[4]);
        set({{"PUT", O::kRequestLockPut}, {"DELETE", O::kRequestLockDelete}});
      }
    } else if (p[3] == "head") {
      if (n == 4)
        set({{"GET", O::kHeadGet}});
      else if (n == 5 && p[4] == "lock")
        set({{"POST", O::kHeadLockPost}});
    }
  }
  if (count == 0) return r;
  for (std::size_t i = 0; i < count; ++i) {
    const Option& o = options[i];
    if (o.method == method || (method == "HEAD" && o.method == "GET")) {
      r.kind = Route::kApi;
      r.op = o.op;
      return r;
    }
  }
  r.kind = Route::kMethodNotAllowed;
  r.allowed = "OPTIONS";
  for (std::size_t i = 0; i < count; ++i) r.allowed += "," + std::string(options[i].method);
  return r;
}

std::string param(const Params& params, const char* key) {
  auto it = params.find(key);
  return it == params.end() ? std::string() : it->second;
}
std::optional<std::string> opt_param(const Params& params, const char* key) {
  auto it = params.find(key);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

// Everything a handler answers: status, JSON text, extra headers.
struct Reply {
  int status = 200;
  std::string body;  // empty for 204
  std::vector<std::pair<std::string, std::string>> headers;
};

std::size_t content_length(const httplib::Request& req) {
  std::size_t len = 0;
  for (char c : req.get_header_value("Content-Length")) {
    if (c < '0' || c > '9' || len > (std::size_t(1) << 50)) break;
    len = len * 10 + std::size_t(c - '0');
  }
  return len;
}

Reply error_reply(const ApiError& e) { return Reply{e.status, error_body(e), {}}; }

Reply data_reply(int status, const std::string& data_text) {
  std::string body;
  body.reserve(data_text.size() + 10);
  body += "{\"data\":";
  body += data_text;
  body += '}';
  return Reply{status, std::move(body), {}};
}

// {"data":<what `write` appends>}, written straight into the body: no DOM, no copy.
template <typename Write>
Reply written_data_reply(int status, std::size_t reserve, Write&& write) {
  std::string body;
  body.reserve(reserve);
  body += "{\"data\":";
  write(body);
  body += '}';
  return Reply{status, std::move(body), {}};
}

Reply queue_data_reply(int status, const RequestQueueInfo& q) {
  return written_data_reply(status, 640, [&q](std::string& out) { append_queue_json(out, q); });
}

Reply head_data_reply(int status, const Head& h) {
  return written_data_reply(status, 160 + h.items.size() * 256,
                            [&h](std::string& out) { append_head_json(out, h); });
}

std::string add_result_text(const AddResult& r) {
  std::string out = "{\"requestId\":";
  append_json_string(out, r.request_id);
  out += r.was_already_present ? ",\"wasAlreadyPresent\":true" : ",\"wasAlreadyPresent\":false";
  out += r.was_already_handled ? ",\"wasAlreadyHandled\":true}" : ",\"wasAlreadyHandled\":false}";
  return out;
}

std::string batch_add_text(const BatchAddResult& r) {
  std::string out = "{\"processedRequests\":[";
  for (std::size_t i = 0; i < r.processed.size(); ++i) {
    const auto& p = r.processed[i];
    if (i) out += ',';
    out += "{\"requestId\":";
    append_json_string(out, p.request_id);
    out += ",\"uniqueKey\":";
    append_json_string(out, p.unique_key);
    out += p.was_already_present ? ",\"wasAlreadyPresent\":true" : ",\"wasAlreadyPresent\":false";
    out += p.was_already_handled ? ",\"wasAlreadyHandled\":true}" : ",\"wasAlreadyHandled\":false}";
  }
  out += "],\"unprocessedRequests\":[";
  for (std::size_t i = 0; i < r.unprocessed.size(); ++i) {
    const auto& u = r.unprocessed[i];
    if (i) out += ',';
    out += "{\"uniqueKey\":";
    append_json_string(out, u.unique_key);
    out += ",\"url\":";
    append_json_string(out, u.url);
    if (u.method) {
      out += ",\"method\":";
      append_json_string(out, *u.method);
    }
    out += '}';
  }
  out += "]}";
  return out;
}

// What one API call did, for the journal, the compliance monitor and the transport faults.
struct CallTrace {
  JournalEntry entry;
  FaultDecision fault;
  std::optional<Result<Json>> parsed;  // the body, parsed once (ops with a JSON body)
  bool journal = false;                // an API call (not admin, not OPTIONS)
};

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

// ---------------------------------------------------------------------------------------------

struct FakeServer::Impl {
  FakeServerOptions options;
  SystemClock system_clock;
  ManualClock manual_clock;
  const Clock* clock;
  Store store;
  httplib::Server http;
  std::thread thread;
  std::atomic<bool> running{false};
  int port = -1;
  int listen_fd = -1;
  std::mutex state_mu;
  std::condition_variable stopped_cv;
  std::mutex log_mu;

  FaultEngine faults;
  Journal journal;
  ComplianceMonitor monitor;

  explicit Impl(FakeServerOptions o)
      : options(std::move(o)),
        manual_clock(options.virtual_clock_start),
        clock(options.virtual_clock ? static_cast<const Clock*>(&manual_clock) : &system_clock),
        store(options.store, *clock),
        faults(options.fault_seed ? *options.fault_seed : options.store.seed, *clock),
        journal(options.journal_capacity) {
    if (!options.users.empty()) store.set_fixed_users(options.users);
  }

  void install_handlers();
  void handle(const httplib::Request& req, httplib::Response& res,
              const httplib::ContentReader* reader);
  Reply dispatch(const httplib::Request& req, const std::string& method, const Route& r,
                 const std::string& body, const std::optional<ApiError>& body_error,
                 CallTrace& trace);
  void finish(const httplib::Request& req, httplib::Response& res, Reply& reply, CallTrace& trace);
  Reply admin(const httplib::Request& req, const std::string& method, const std::string& body);
  Reply api(const httplib::Request& req, const Params& params, const Route& r, const User* user,
            const std::string& body, CallTrace& trace);
  std::shared_ptr<Bugs> bugs;
  std::optional<ApiError> bug_error;  // an unknown bug name: start() fails with it
};

void FakeServer::Impl::install_handlers() {
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
  // One catch-all route per method: routing is ours (cheaper than a regex per endpoint, and it
  // lets unknown paths and methods get the documented envelope).
  auto with_body = [this](const httplib::Request& req, httplib::Response& res,
                          const httplib::ContentReader& reader) { handle(req, res, &reader); };
  auto without_body = [this](const httplib::Request& req, httplib::Response& res) {
    handle(req, res, nullptr);
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

void FakeServer::Impl::handle(const httplib::Request& req, httplib::Response& res,
                              const httplib::ContentReader* reader) {
  auto started = std::chrono::steady_clock::now();
  // Read the body first, bounded after decompression (decisions 16, 17): a compressed bomb stops
  // at the limit instead of being inflated into memory.
  std::string body;
  std::optional<ApiError> body_error;
  // A request with neither Content-Length nor chunked encoding has no body (RFC 9112 6.3);
  // httplib would wait for the connection to close instead.
  bool has_body =
      req.has_header("Transfer-Encoding") ||
      (req.has_header("Content-Length") && req.get_header_value("Content-Length") != "0");
  // Decision 17: gzip, deflate and br are decoded (by httplib, chunk by chunk); anything else
  // is refused before a byte of the body is read.
  std::string encoding = lower(req.get_header_value("Content-Encoding"));
  if (reader && has_body && !encoding.empty() && encoding != "gzip" && encoding != "deflate" &&
      encoding != "br" && encoding != "identity") {
    body_error = errors::unsupported_content_encoding(req.get_header_value("Content-Encoding"));
    res.set_header("Connection", "close");
  } else if (reader && has_body) {
    // Content codings are case-insensitive (RFC 9110 8.4.1), but httplib decodes only the
    // lowercase names and passes "GZIP" through undecoded: hand it the lowercase name.
    if (!encoding.empty() && req.get_header_value("Content-Encoding") != encoding) {
      auto& headers = const_cast<httplib::Request&>(req).headers;
      headers.erase("Content-Encoding");
      headers.emplace("Content-Encoding", encoding);
    }
    std::size_t total = 0;
    bool too_large = false;
    bool ok = (*reader)([&](const char* data, std::size_t n) {
      total += n;
      if (total > kMaxPayloadBytes) {
        too_large = true;
        return false;
      }
      body.append(data, n);
      return true;
    });
    if (!ok) {
      if (too_large)
        body_error = errors::request_too_large(total);
      else if (res.status == 415)
        body_error = errors::unsupported_content_encoding(req.get_header_value("Content-Encoding"));
      else if (res.status == 413)
        body_error = errors::request_too_large(content_length(req));
      else
        body_error =
            errors::invalid_input("Invalid input: the request body could not be read or decoded.");
      body.clear();
      res.set_header("Connection", "close");  // the rest of the body was not read
    }
  }
  std::string method = req.method;
  // Method override (spec intro): ?method=POST on a GET.
  if (method == "GET") {
    auto m = opt_param(req.params, "method");
    if (m && !m->empty()) {
      method = *m;
      for (char& c : method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  Reply reply;
  CallTrace trace;
  if (req.path.rfind("/__admin/", 0) == 0 || req.path == "/__admin") {
    reply = body_error ? error_reply(*body_error) : admin(req, method, body);
  } else {
    trace.journal = method != "OPTIONS";
    if (trace.journal) {
      JournalEntry& e = trace.entry;
      e.seq = journal.reserve_seq();
      e.arrival_ms = clock->now_ms();
      e.method = method;
      e.path = req.path;
      auto q = req.target.find('?');
      if (q != std::string::npos)
        e.query = redact_query(std::string_view(req.target).substr(q + 1));
      std::vector<Header> headers;
      for (const auto& h : req.headers) {
        // httplib files the connection's addresses among the headers; they were not sent.
        if (h.first == "LOCAL_ADDR" || h.first == "LOCAL_PORT" || h.first == "REMOTE_ADDR" ||
            h.first == "REMOTE_PORT") {
          continue;
        }
        headers.push_back(h);
      }
      e.headers = redact_headers(headers);
      e.user_agent = req.get_header_value("User-Agent");
      e.body_bytes = req.has_header("Content-Length") ? content_length(req) : body.size();
      if (!body.empty()) e.body_digest = body_digest(body);
    }
    reply = dispatch(req, method, route(req.path, method), body, body_error, trace);
    if (!bugs->empty()) {
      // Bugs that break what the server answers before the store is reached (auth, routing,
      // body decoding) or after it (headers) see the whole exchange here.
      HeaderPairs headers(req.headers.begin(), req.headers.end());
      BugExchange ex{method, req.path, req.params, headers};
      BugReply out{reply.status, reply.body, reply.headers};
      bugs->on_reply(ex, out);
    }
  }
  finish(req, res, reply, trace);
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

// Applies the faults that act on the answer itself, records the call and hands the answer to
// httplib.
void FakeServer::Impl::finish(const httplib::Request& req, httplib::Response& res, Reply& reply,
                              CallTrace& trace) {
  const FaultDecision& d = trace.fault;
  bool drop = false, reset = false;
  if (d.is(FaultKind::kReset) || d.is(FaultKind::kCloseBeforeResponse)) {
    drop = true;
    reset = d.is(FaultKind::kReset);
  } else if (d.is(FaultKind::kFailAfterCommit)) {
    if (d.drop_after_commit)
      drop = true;
    else if (d.error) {
      reply = error_reply(*d.error);
      if (d.retry_after_secs)
        reply.headers.emplace_back("Retry-After", std::to_string(*d.retry_after_secs));
      reply.headers.emplace_back(
          "X-RateLimit-Limit",
          std::to_string(trace.entry.op ? store.limit_for(*trace.entry.op) : 0));
    }
  } else if (d.is(FaultKind::kMalformedJson) && reply.status >= 200 && reply.status < 300) {
    if (reply.status == 204) reply.status = 200;
    reply.body = malform_json_body(reply.body);
  }
  if (trace.journal) {
    JournalEntry& e = trace.entry;
    e.status = drop ? 0 : reply.status;
    if (reply.status >= 400 && !drop) {
      Json err = Json::parse(reply.body, nullptr, false);
      if (err.is_object() && err.contains("error") && err["error"].is_object()) {
        e.error_type = err["error"].value("type", "");
      }
    }
    for (const auto& [k, v] : reply.headers) {
      if (k == "Retry-After") e.retry_after_secs = std::atoi(v.c_str());
    }
    e.fault_rule =
        d.rule_id.empty() && !d.latency_rules.empty() ? d.latency_rules.front() : d.rule_id;
    if (d.any()) e.fault_action = d.action_label();
    e.duration_ms = clock->now_ms() - e.arrival_ms;
    monitor.on_exchange(e);
    journal.append(std::move(e));
  }
  if (drop) {
    drop_connection(req, port, reset);
    res.status = 500;
    return;
  }
  res.status = reply.status;
  for (auto& [k, v] : reply.headers) res.set_header(k, v);
  if (reply.body.empty()) return;
  if (d.is(FaultKind::kTruncate) || d.is(FaultKind::kDribble)) {
    auto text = std::make_shared<std::string>(std::move(reply.body));
    std::size_t keep = d.is(FaultKind::kTruncate) ? d.truncate_at(text->size()) : text->size();
    std::size_t chunk =
        d.is(FaultKind::kDribble) ? std::max<std::size_t>(1, d.chunk_bytes) : text->size();
    std::int64_t delay = d.is(FaultKind::kDribble) ? d.chunk_delay_ms : 0;
    // The full Content-Length is declared; a truncated body stops early and the connection
    // is closed (the provider returns false), a dribbled one arrives a chunk at a time.
    res.set_content_provider(
        text->size(), kJson,
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
  res.set_content(std::move(reply.body), kJson);
}

Reply FakeServer::Impl::dispatch(const httplib::Request& req, const std::string& method,
                                 const Route& r, const std::string& body,
                                 const std::optional<ApiError>& body_error, CallTrace& trace) {
  if (method == "OPTIONS") {
    Reply rep{204, "", {}};
    rep.headers = {
        {"Access-Control-Allow-Origin", "*"},
        {"Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS"},
        {"Access-Control-Allow-Headers", "Authorization, Content-Type, Content-Encoding"}};
    return rep;
  }
  switch (r.kind) {
    case Route::kNotFound:
      return error_reply(errors::page_not_found(req.path));
    case Route::kNotImplemented:
      return error_reply(errors::not_implemented(
          "rq-fake does not emulate the run, actor and task aliases of the request-queue API; "
          "address the queue as /v2/request-queues/{queueId}."));
    case Route::kMethodNotAllowed: {
      Reply rep = error_reply(errors::method_not_allowed(r.allowed));
      rep.headers.emplace_back("Allow", r.allowed);
      return rep;
    }
    case Route::kApi:
      break;
  }
  JournalEntry& entry = trace.entry;
  entry.op = r.op;
  entry.queue = r.queue;
  entry.client_key = opt_param(req.params, "clientKey");
  if (body_error) return error_reply(*body_error);
  // Auth (decision 12): Bearer header or ?token=.
  std::string token;
  auto auth = req.get_header_value("Authorization");
  if (auth.size() > 7 && lower(auth.substr(0, 7)) == "bearer ")
    token = auth.substr(7);
  else
    token = param(req.params, "token");
  std::optional<User> user;
  if (!token.empty()) {
    auto u = store.user_for_token(token);
    if (!u) return error_reply(u.error());
    user = std::move(*u);
  } else {
    bool anonymous_read = *r.op == Operation::kQueueGet || *r.op == Operation::kRequestsGet ||
                          *r.op == Operation::kRequestGet || *r.op == Operation::kHeadGet;
    if (!anonymous_read) return error_reply(errors::token_not_provided());
  }
  if (user) entry.user = user->id;
  // The body, parsed once for the journal, request validation, faults and the operation.
  const OperationInfo& info = operation_info(*r.op);
  if (info.has_request_body && !body.empty()) {
    trace.parsed = parse_json(body, JsonLimits{128, kMaxPayloadBytes});
    if (*trace.parsed) entry.item_keys = item_keys_of(*r.op, **trace.parsed);
  }
  if (options.validate_requests) {
    std::vector<Header> query(req.params.begin(), req.params.end());
    const Json* doc = trace.parsed && *trace.parsed ? &**trace.parsed : nullptr;
    RequestFacts facts{r.op, std::move(query), req.get_header_value("Content-Type"), !body.empty(),
                       doc,  r.request_id,     req.has_header("Authorization")};
    entry.findings = validate_request(facts);
    if (doc && info.has_request_body) {
      auto v = schemas::validate_request(*r.op, *doc);
      for (const auto& violation : v.violations) {
        entry.findings.push_back("request.schema: " + violation.pointer + ": " + violation.reason);
      }
    }
  }
  // Faults (docs/faults.md): decided after auth, so rules can match users, and before the rate
  // limit and the work, so an injected error changes nothing.
  if (!faults.empty()) {
    CallContext ctx;
    ctx.op = r.op;
    ctx.method = method;
    ctx.path = req.path;
    ctx.queue_ref = r.queue;
    ctx.client_key = entry.client_key;
    if (user) {
      ctx.user_id = user->id;
      ctx.username = user->username;
    }
    if (trace.parsed && *trace.parsed && (**trace.parsed).is_array())
      ctx.batch_items = (**trace.parsed).size();
    ctx.seq = entry.seq;
    trace.fault = faults.decide(ctx);
    const FaultDecision& d = trace.fault;
    if (d.latency_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(d.latency_ms));
    if (d.is(FaultKind::kHttpError) && d.error) {
      Reply rep = error_reply(*d.error);
      if (d.retry_after_secs)
        rep.headers.emplace_back("Retry-After", std::to_string(*d.retry_after_secs));
      rep.headers.emplace_back("X-RateLimit-Limit", std::to_string(store.limit_for(*r.op)));
      return rep;
    }
    if (d.is(FaultKind::kReset) || d.is(FaultKind::kCloseBeforeResponse)) return Reply{0, "", {}};
  }
  // Rate limits (decision 37), charged before the work so a refused call changes nothing.
  QueueRef ref{r.queue};
  auto charged = store.charge(user ? &*user : nullptr, r.queue.empty() ? nullptr : &ref, *r.op);
  if (!charged) {
    Reply rep = error_reply(charged.error());
    rep.headers.emplace_back("X-RateLimit-Limit", std::to_string(store.limit_for(*r.op)));
    if (options.retry_after_secs)
      rep.headers.emplace_back("Retry-After", std::to_string(*options.retry_after_secs));
    return rep;
  }
  Reply rep;
  if (bugs->empty()) {
    rep = api(req, req.params, r, user ? &*user : nullptr, body, trace);
  } else {
    Params params = req.params;
    std::string patched = body;
    BugCall call{*r.op, r.queue, r.request_id, user ? &*user : nullptr, store, params, patched};
    bugs->before(call);
    if (patched != body) trace.parsed.reset();  // the bug rewrote the body: parse it again
    rep = api(req, params, r, call.user, patched, trace);
    BugReply out{rep.status, rep.body, rep.headers};
    bugs->after(call, out);
  }
  rep.headers.emplace_back("X-RateLimit-Limit", std::to_string(*charged));
  return rep;
}

Reply FakeServer::Impl::api(const httplib::Request& req, const Params& params, const Route& r,
                            const User* user, const std::string& body, CallTrace& trace) {
  using O = Operation;
  const OperationInfo& info = operation_info(*r.op);
  QueueRef ref{r.queue};
  // Query parameters shared by many operations.
  auto client_key = opt_param(params, "clientKey");
  bool forefront = false;
  if (auto f = opt_param(params, "forefront")) {
    auto b = parse_bool_param("forefront", *f);
    if (!b) return error_reply(b.error());
    forefront = *b;
  }
  RequestOptions ro{client_key, forefront};
  // JSON bodies.
  Json doc;
  if (info.has_request_body) {
    auto ct = req.get_header_value("Content-Type");
    if (!ct.empty() && !is_json_content_type(ct))
      return error_reply(errors::invalid_content_type(ct));
    if (ct.empty() && *r.op == O::kRequestsBatchDelete)
      return error_reply(errors::invalid_content_type(ct));
    if (body.empty())
      return error_reply(errors::invalid_input(
          "Invalid input: the request body is empty; this operation takes a JSON body."));
    if (!trace.parsed) trace.parsed = parse_json(body, JsonLimits{128, kMaxPayloadBytes});
    if (!*trace.parsed) return error_reply(trace.parsed->error());
    doc = std::move(**trace.parsed);
    trace.parsed.reset();
  }
  auto int_param = [&](const char* key) -> Result<std::optional<std::int64_t>> {
    auto v = opt_param(params, key);
    if (!v) return std::optional<std::int64_t>{};
    auto n = parse_int_param(key, *v);
    if (!n) return n.error();
    return std::optional<std::int64_t>{*n};
  };
  auto lock_secs = [&]() -> Result<double> {
    auto v = opt_param(params, "lockSecs");
    if (!v) return errors::invalid_parameter("Parameter \"lockSecs\" is required.");
    auto n = parse_number(*v);
    if (!n || *n < 0)
      return errors::invalid_parameter(
          "Parameter \"lockSecs\" must be a non-negative number (got \"" + *v + "\").");
    return *n;
  };
  auto queue_reply = [&](int status, const Result<RequestQueueInfo>& q) {
    if (!q) return error_reply(q.error());
    return queue_data_reply(status, *q);
  };

  switch (*r.op) {
    case O::kQueuesGet: {
      QueueListOptions o;
      auto offset = int_param("offset");
      if (!offset) return error_reply(offset.error());
      o.offset = offset->value_or(0);
      auto limit = int_param("limit");
      if (!limit) return error_reply(limit.error());
      o.limit = *limit;
      for (auto [key, dst] : {std::pair{"desc", &o.desc}, std::pair{"unnamed", &o.unnamed}}) {
        if (auto v = opt_param(params, key)) {
          auto b = parse_bool_param(key, *v);
          if (!b) return error_reply(b.error());
          *dst = *b;
        }
      }
      o.ownership = opt_param(params, "ownership");
      auto page = store.list_queues(*user, o);
      if (!page) return error_reply(page.error());
      Json items = Json::array();
      for (const auto& q : page->items) items.push_back(to_json(q, true));
      Json data = {{"total", page->total}, {"offset", page->offset}, {"limit", page->limit},
                   {"desc", page->desc},   {"count", page->count},   {"items", std::move(items)}};
      if (o.unnamed) data["unnamed"] = true;
      return data_reply(200, dump_json(data));
    }
    case O::kQueuesPost: {
      auto name = opt_param(params, "name");
      if (name && name->empty()) name.reset();
      auto created = store.create_queue(*user, name);
      if (!created) return error_reply(created.error());
      Reply rep = queue_data_reply(created->created ? 201 : 200, created->info);
      if (created->created) {
        rep.headers.emplace_back("Location",
                                 "https://api.apify.com/v2/request-queues/" + created->info.id);
      }
      return rep;
    }
    case O::kQueueGet:
      return queue_reply(200, store.get_queue(user, ref));
    case O::kQueuePut:
      return queue_reply(200, store.update_queue(*user, ref, doc));
    case O::kQueueDelete: {
      auto st = store.delete_queue(*user, ref);
      return st ? Reply{204, "", {}} : error_reply(st.error());
    }
    case O::kRequestsPost: {
      auto res = store.add_request(*user, ref, doc, ro);
      if (res && res->was_already_present) trace.entry.already_present_keys = trace.entry.item_keys;
      return res ? data_reply(201, add_result_text(*res)) : error_reply(res.error());
    }
    case O::kRequestsGet: {
      ListOptions o;
      o.client_key = client_key;
      auto limit = int_param("limit");
      if (!limit) return error_reply(limit.error());
      o.limit = *limit;
      o.cursor = opt_param(params, "cursor");
      o.exclusive_start_id = opt_param(params, "exclusiveStartId");
      for (auto it = params.lower_bound("filter"); it != params.end() && it->first == "filter";
           ++it) {
        std::string_view v = it->second;
        std::size_t i = 0;
        while (i <= v.size()) {
          std::size_t j = v.find(',', i);
          if (j == std::string_view::npos) j = v.size();
          std::string_view f = v.substr(i, j - i);
          if (f == "locked")
            o.filter_locked = true;
          else if (f == "pending")
            o.filter_pending = true;
          else if (!f.empty()) {
            return error_reply(errors::invalid_parameter(
                "Parameter \"filter\" takes locked and/or pending (got \"" + std::string(f) +
                "\")."));
          }
          i = j + 1;
        }
      }
      auto page = store.list_requests(user, ref, o, "{\"data\":");
      if (!page) return error_reply(page.error());
      *page += '}';
      return Reply{200, std::move(*page), {}};
    }
    case O::kRequestsBatchPost: {
      const FaultDecision& d = trace.fault;
      auto res = store.batch_add(*user, ref, doc, ro,
                                 d.is(FaultKind::kPartialBatch) ? &d.unprocessed : nullptr);
      if (res) {
        for (const auto& u : res->unprocessed)
          trace.entry.unprocessed_keys.push_back(bound_key(u.unique_key));
        for (const auto& p : res->processed) {
          if (p.was_already_present)
            trace.entry.already_present_keys.push_back(bound_key(p.unique_key));
        }
      }
      return res ? data_reply(201, batch_add_text(*res)) : error_reply(res.error());
    }
    case O::kRequestsBatchDelete: {
      const FaultDecision& d = trace.fault;
      auto res = store.batch_delete(*user, ref, doc, ro,
                                    d.is(FaultKind::kPartialBatch) ? &d.unprocessed : nullptr);
      if (res) {
        for (const auto& u : res->unprocessed) {
          std::string key = u.value("uniqueKey", u.value("id", ""));
          trace.entry.unprocessed_keys.push_back(bound_key(key));
        }
      }
      return res ? data_reply(200, dump_json(to_json(*res))) : error_reply(res.error());
    }
    case O::kRequestGet: {
      auto res = store.get_request(user, ref, r.request_id, "{\"data\":");
      if (!res) return error_reply(res.error());
      *res += '}';
      return Reply{200, std::move(*res), {}};
    }
    case O::kRequestPut: {
      auto res = store.update_request(*user, ref, r.request_id, doc, ro);
      return res ? data_reply(200, add_result_text(*res)) : error_reply(res.error());
    }
    case O::kRequestDelete: {
      auto st = store.delete_request(*user, ref, r.request_id, ro);
      return st ? Reply{204, "", {}} : error_reply(st.error());
    }
    case O::kHeadGet: {
      auto limit = int_param("limit");
      if (!limit) return error_reply(limit.error());
      auto h = store.head(user, ref, *limit, client_key);
      return h ? head_data_reply(200, *h) : error_reply(h.error());
    }
    case O::kHeadLockPost: {
      auto secs = lock_secs();
      if (!secs) return error_reply(secs.error());
      auto limit = int_param("limit");
      if (!limit) return error_reply(limit.error());
      auto h = store.head_and_lock(*user, ref, *secs, *limit, client_key);
      return h ? head_data_reply(201, *h) : error_reply(h.error());
    }
    case O::kRequestLockPut: {
      auto secs = lock_secs();
      if (!secs) return error_reply(secs.error());
      auto t = store.prolong_lock(*user, ref, r.request_id, *secs, ro);
      if (!t) return error_reply(t.error());
      return data_reply(200, "{\"lockExpiresAt\":\"" + format_iso8601(*t) + "\"}");
    }
    case O::kRequestLockDelete: {
      auto st = store.delete_lock(*user, ref, r.request_id, ro);
      return st ? Reply{204, "", {}} : error_reply(st.error());
    }
    case O::kRequestsUnlockPost: {
      auto n = store.unlock_requests(*user, ref, client_key);
      if (!n) return error_reply(n.error());
      return data_reply(200, "{\"unlockedCount\":" + std::to_string(*n) + "}");
    }
  }
  return error_reply(errors::internal_server_error("unrouted operation"));
}

Reply FakeServer::Impl::admin(const httplib::Request& req, const std::string& method,
                              const std::string& body) {
  if (!options.admin_token.empty()) {
    auto auth = req.get_header_value("Authorization");
    if (auth != "Bearer " + options.admin_token) {
      return error_reply(
          ApiError{401, "token-not-provided",
                   "The admin API needs the admin token (Authorization: Bearer <token>)."});
    }
  }
  auto parts = split_path(req.path);
  std::string what = parts.size() >= 2 ? std::string(parts[1]) : "";
  auto parse_body = [&]() -> Result<Json> {
    if (body.empty()) return Json::object();
    return parse_json(body, JsonLimits{128, kMaxPayloadBytes});
  };
  if (what == "health" && method == "GET") {
    Json j = {{"status", "ok"},
              {"queues", store.queue_count()},
              {"now", format_iso8601(clock->now_ms())},
              {"clock", options.virtual_clock ? "virtual" : "system"}};
    return data_reply(200, dump_json(j));
  }
  if (what == "reset" && method == "POST") {
    store.reset();
    faults.clear();
    journal.clear();
    monitor.clear();
    return Reply{204, "", {}};
  }
  if (what == "faults") {
    std::string sub = parts.size() >= 3 ? std::string(parts[2]) : "";
    if (sub == "log" && method == "GET") return data_reply(200, dump_json(faults.fault_log(1000)));
    if (!sub.empty() && method == "DELETE") {
      return faults.remove_rule(sub)
                 ? Reply{204, "", {}}
                 : error_reply(errors::record_not_found("No fault rule \"" + sub + "\"."));
    }
    if (sub.empty() && method == "GET") return data_reply(200, dump_json(faults.rules_json()));
    if (sub.empty() && method == "DELETE") {
      faults.clear();
      return Reply{204, "", {}};
    }
    if (sub.empty() && method == "POST") {
      Json rules;
      auto ct = req.get_header_value("Content-Type");
      if (ct.rfind("text/plain", 0) == 0) {
        auto parsed = parse_fault_shorthand(body);
        if (!parsed) return error_reply(parsed.error());
        rules = Json(*parsed);
      } else {
        auto doc = parse_body();
        if (!doc) return error_reply(doc.error());
        rules = std::move(*doc);
      }
      auto ids = faults.add_rules(rules);
      if (!ids) return error_reply(ids.error());
      return data_reply(201, dump_json(Json{{"ids", *ids}}));
    }
    return error_reply(errors::method_not_allowed("GET,POST,DELETE"));
  }
  if (what == "journal" && method == "GET") {
    std::vector<Header> query(req.params.begin(), req.params.end());
    auto filter = JournalFilter::from_query(query);
    if (!filter) return error_reply(filter.error());
    return data_reply(200, dump_json(journal.to_json(*filter)));
  }
  if (what == "report" && method == "GET") return data_reply(200, dump_json(monitor.report()));
  if (what == "store") {
    if (method == "GET") return data_reply(200, dump_json(store.snapshot()));
    if (method == "PUT" || method == "POST") {
      auto doc = parse_body();
      if (!doc) return error_reply(doc.error());
      auto st = store.restore(*doc);
      return st ? Reply{204, "", {}} : error_reply(st.error());
    }
  }
  if (what == "clock") {
    if (method == "POST" || method == "PUT") {
      if (!options.virtual_clock) {
        return error_reply(errors::invalid_request(
            "The clock can be moved only when rq-fake runs with --clock virtual."));
      }
      auto doc = parse_body();
      if (!doc) return error_reply(doc.error());
      if (doc->contains("advanceMs") && (*doc)["advanceMs"].is_number_integer() &&
          (*doc)["advanceMs"].get<std::int64_t>() >= 0) {
        manual_clock.advance_ms((*doc)["advanceMs"].get<std::int64_t>());
      } else if (doc->contains("now") && (*doc)["now"].is_string()) {
        auto t = parse_iso8601((*doc)["now"].get<std::string>());
        if (!t)
          return error_reply(errors::invalid_input(
              "Invalid input: \"now\" must be an ISO 8601 date-time with a timezone."));
        manual_clock.set_ms(*t);
      } else {
        return error_reply(
            errors::invalid_input("Invalid input: send {\"advanceMs\": <non-negative integer>} or "
                                  "{\"now\": \"<date-time>\"}."));
      }
    } else if (method != "GET") {
      return error_reply(errors::method_not_allowed("GET,POST"));
    }
    TimeMs now = clock->now_ms();
    return data_reply(200, dump_json(Json{{"now", format_iso8601(now)},
                                          {"nowMs", now},
                                          {"mode", options.virtual_clock ? "virtual" : "system"}}));
  }
  if (what == "rate-limits") {
    RateLimits rl = store.rate_limits();
    if (method == "PUT" || method == "POST") {
      auto doc = parse_body();
      if (!doc) return error_reply(doc.error());
      if (!doc->is_object())
        return error_reply(errors::invalid_input("Invalid input: expected an object."));
      for (auto it = doc->begin(); it != doc->end(); ++it) {
        const std::string& k = it.key();
        if (k == "enabled" && it->is_boolean())
          rl.enabled = it->get<bool>();
        else if (it->is_number_integer() && it->get<std::int64_t>() >= 0 &&
                 it->get<std::int64_t>() < (1LL << 31)) {
          int v = it->get<int>();
          if (k == "singleRequestPerSec")
            rl.single_request_per_sec = v;
          else if (k == "batchPerSec")
            rl.batch_per_sec = v;
          else if (k == "otherPerSec")
            rl.other_per_sec = v;
          else if (k == "batchItemsPerSec")
            rl.batch_items_per_sec = v;
          else if (k == "globalPerMinute")
            rl.global_per_minute = v;
          else
            return error_reply(
                errors::invalid_input("Invalid input: unknown rate-limit field \"" + k + "\"."));
        } else {
          return error_reply(errors::invalid_input("Invalid input: rate-limit field \"" + k +
                                                   "\" has the wrong type."));
        }
      }
      store.set_rate_limits(rl);
    }
    Json j = {{"enabled", rl.enabled},
              {"singleRequestPerSec", rl.single_request_per_sec},
              {"batchPerSec", rl.batch_per_sec},
              {"otherPerSec", rl.other_per_sec},
              {"batchItemsPerSec", rl.batch_items_per_sec},
              {"globalPerMinute", rl.global_per_minute}};
    return data_reply(200, dump_json(j));
  }
  return error_reply(errors::page_not_found(req.path));
}

// ---------------------------------------------------------------------------------------------

std::vector<BugDescription> bug_catalogue() {
  std::vector<BugDescription> out;
  for (const auto& b : Bugs::catalogue()) out.push_back({b.name, b.description});
  return out;
}

FakeServer::FakeServer(FakeServerOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {
  impl_->install_handlers();
  auto bugs = Bugs::make(impl_->options.bugs);
  if (bugs) {
    impl_->bugs = *bugs;
  } else {
    impl_->bug_error = bugs.error();
    impl_->bugs = *Bugs::make({});
  }
}

FakeServer::~FakeServer() { stop(); }

Status FakeServer::start() {
  if (impl_->running) return Ok{};
  Impl& s = *impl_;
  if (s.bug_error) return *s.bug_error;
  if (!s.options.fault_rules.empty()) {
    auto ids = s.faults.add_rules(Json(s.options.fault_rules));
    if (!ids) return ids.error();
  }
  int port = s.options.port == 0
                 ? s.http.bind_to_any_port(s.options.host)
                 : (s.http.bind_to_port(s.options.host, s.options.port) ? s.options.port : -1);
  if (port < 0) {
    return ApiError{
        0, "bind-failed",
        "rq-fake could not bind " + s.options.host + ":" + std::to_string(s.options.port)};
  }
  // httplib listens with a backlog of 5; bursts of connects overflow it (PERFORMANCE.md, trap 4).
  if (s.listen_fd >= 0 && s.options.listen_backlog > 0)
    ::listen(s.listen_fd, s.options.listen_backlog);
  s.port = port;
  s.running = true;
  s.thread = std::thread([&s] {
    s.http.listen_after_bind();
    std::lock_guard lock(s.state_mu);
    s.running = false;
    s.stopped_cv.notify_all();
  });
  // Wait until the accept loop runs, so a caller can connect as soon as start() returns.
  while (!s.http.is_running() && s.running)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  return Ok{};
}

void FakeServer::stop() {
  if (!impl_) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  impl_->running = false;
}

void FakeServer::wait() {
  std::unique_lock lock(impl_->state_mu);
  impl_->stopped_cv.wait(lock, [&] { return !impl_->running.load(); });
}

bool FakeServer::running() const { return impl_->running; }
int FakeServer::port() const { return impl_->port; }
std::string FakeServer::base_url() const {
  std::string host = impl_->options.host;
  if (host == "0.0.0.0") host = "127.0.0.1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return "http://" + host + ":" + std::to_string(impl_->port);
}
Store& FakeServer::store() { return impl_->store; }
const Clock& FakeServer::clock() const { return *impl_->clock; }
FaultEngine& FakeServer::faults() { return impl_->faults; }
Journal& FakeServer::journal() { return impl_->journal; }
ComplianceMonitor& FakeServer::compliance() { return impl_->monitor; }

void FakeServer::advance_clock(TimeMs ms) {
  if (impl_->options.virtual_clock) impl_->manual_clock.advance_ms(ms);
}
void FakeServer::set_clock(TimeMs t) {
  if (impl_->options.virtual_clock) impl_->manual_clock.set_ms(t);
}

}  // namespace rqcheck::fake
