// rq-load: a small closed-loop HTTP/1.1 load generator for rqcheck's benchmarks. One thread
// per keep-alive connection, raw sockets, pre-built requests; it reports throughput, p50, p99
// and checks that every connection was served (cpp-httplib starves connections beyond its
// thread count, and a load tool that only counts totals hides that).
//
//   rq-load --url http://127.0.0.1:8080 --scenario get-queue --conns 16 --seconds 3
//   -> {"scenario":"get-queue","conns":16,"rps":31250.4,"p50_us":480,"p99_us":1900,...}
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "rqcheck/core/request_id.h"

namespace {

using Clock = std::chrono::steady_clock;

struct Url {
  std::string host;
  int port = 80;
};

bool parse_url(const std::string& url, Url& out) {
  const std::string prefix = "http://";
  if (url.rfind(prefix, 0) != 0) return false;
  std::string rest = url.substr(prefix.size());
  auto slash = rest.find('/');
  if (slash != std::string::npos) rest = rest.substr(0, slash);
  auto colon = rest.rfind(':');
  if (colon == std::string::npos) return false;
  out.host = rest.substr(0, colon);
  out.port = std::atoi(rest.c_str() + colon + 1);
  return out.port > 0;
}

int connect_to(const Url& u) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(u.port));
  if (::inet_pton(AF_INET, u.host == "localhost" ? "127.0.0.1" : u.host.c_str(), &addr.sin_addr) !=
          1 ||
      ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    ::close(fd);
    return -1;
  }
  int one = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  return fd;
}

// Sends one request and reads one response; returns the status or -1.
int round_trip(int fd, const std::string& req, std::string& buf) {
  std::size_t off = 0;
  while (off < req.size()) {
    ssize_t n = ::send(fd, req.data() + off, req.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return -1;
    off += static_cast<std::size_t>(n);
  }
  buf.clear();
  std::size_t header_end = std::string::npos, need = 0;
  char tmp[65536];
  for (;;) {
    ssize_t n = ::recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return -1;
    buf.append(tmp, static_cast<std::size_t>(n));
    if (header_end == std::string::npos) {
      header_end = buf.find("\r\n\r\n");
      if (header_end == std::string::npos) continue;
      std::size_t cl = 0;
      const char* key = "content-length:";
      std::string lower_headers = buf.substr(0, header_end);
      for (char& c : lower_headers)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      auto p = lower_headers.find(key);
      if (p != std::string::npos)
        cl = std::strtoul(lower_headers.c_str() + p + std::strlen(key), nullptr, 10);
      need = header_end + 4 + cl;
    }
    if (buf.size() >= need) break;
  }
  if (buf.size() < 12) return -1;
  return std::atoi(buf.c_str() + 9);
}

std::string build_request(const Url& u, const std::string& method, const std::string& target,
                          const std::string& token, const std::string& body) {
  std::string r = method + " " + target + " HTTP/1.1\r\nHost: " + u.host + ":" +
                  std::to_string(u.port) + "\r\nConnection: keep-alive\r\n";
  if (!token.empty()) r += "Authorization: Bearer " + token + "\r\n";
  if (!body.empty() || method == "POST" || method == "PUT") {
    r +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  }
  r += "\r\n" + body;
  return r;
}

// A scenario makes the i-th request of connection c; `setup` prepares the queue once.
struct Scenario {
  std::string method;
  std::function<std::string(int conn, long i)> target;
  std::function<std::string(int conn, long i)> body;
};

// A 100-byte URL, also the uniqueKey.
std::string bench_url(const std::string& prefix, long n) {
  std::string u = "https://example.com/" + prefix + "/" + std::to_string(n) + "/";
  u.resize(100, 'a');
  return u;
}

std::string batch_body(const std::string& prefix, long n0) {
  std::string b = "[";
  for (int k = 0; k < 25; ++k) {
    if (k) b += ',';
    std::string u = bench_url(prefix, n0 + k);
    b += "{\"uniqueKey\":\"" + u + "\",\"url\":\"" + u +
         "\",\"userData\":{\"label\":\"DETAIL\",\"depth\":1}}";
  }
  return b + "]";
}

int usage() {
  std::cerr << "usage: rq-load --url URL --scenario NAME [--conns N] [--seconds S] [--queue ID] "
               "[--token T] [--path P]\n"
               "scenarios: get (GET --path), get-queue, get-request, batch-add-new, batch-add-dup, "
               "list-1000, head-100, lock-25, update-handled, post-batch (POST a 25-item body to "
               "--path)\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::string url_s, scenario_name, queue, token = "bench", path = "/";
  int conns = 16;
  double seconds = 3;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--url")
      url_s = next();
    else if (a == "--scenario")
      scenario_name = next();
    else if (a == "--conns")
      conns = std::atoi(next().c_str());
    else if (a == "--seconds")
      seconds = std::atof(next().c_str());
    else if (a == "--queue")
      queue = next();
    else if (a == "--token")
      token = next();
    else if (a == "--path")
      path = next();
    else
      return usage();
  }
  Url url;
  if (!parse_url(url_s, url) || scenario_name.empty() || conns < 1) return usage();
  std::string qp = "/v2/request-queues/" + queue;
  const std::string run_tag =
      std::to_string(std::chrono::system_clock::now().time_since_epoch().count());
  Scenario s;
  auto fixed = [](std::string v) { return [v](int, long) { return v; }; };
  if (scenario_name == "get")
    s = {"GET", fixed(path), fixed("")};
  else if (scenario_name == "post-batch")
    s = {"POST", fixed(path), fixed(batch_body("stub", 0))};
  else if (scenario_name == "get-queue")
    s = {"GET", fixed(qp), fixed("")};
  else if (scenario_name == "get-request")
    s = {"GET", fixed(qp + "/requests/" + rqcheck::request_id_for(bench_url("seed", 0))),
         fixed("")};
  else if (scenario_name == "batch-add-new") {
    s = {"POST", fixed(qp + "/requests/batch"), [&](int c, long i) {
           return batch_body("new-" + run_tag + "-" + std::to_string(c), i * 25);
         }};
  } else if (scenario_name == "batch-add-dup")
    s = {"POST", fixed(qp + "/requests/batch"), fixed(batch_body("seed", 0))};
  else if (scenario_name == "list-1000")
    s = {"GET", fixed(qp + "/requests?limit=1000"), fixed("")};
  else if (scenario_name == "head-100")
    s = {"GET", fixed(qp + "/head?limit=100"), fixed("")};
  else if (scenario_name == "lock-25") {
    // Zero-second locks hand the requests out without holding them, so the head never empties.
    s = {"POST",
         [&](int c, long) {
           return qp + "/head/lock?lockSecs=0&limit=25&clientKey=c" + std::to_string(c);
         },
         fixed("")};
  } else if (scenario_name == "update-handled") {
    s = {"PUT",
         [&](int c, long i) {
           std::string uk = "https://example.com/upd-" + run_tag + "-" + std::to_string(c) + "-" +
                            std::to_string(i);
           return qp + "/requests/" + rqcheck::request_id_for(uk);
         },
         [&](int c, long i) {
           std::string uk = "https://example.com/upd-" + run_tag + "-" + std::to_string(c) + "-" +
                            std::to_string(i);
           return "{\"uniqueKey\":\"" + uk + "\",\"url\":\"" + uk +
                  "\",\"handledAt\":\"2026-01-01T00:00:00.000Z\"}";
         }};
  } else {
    return usage();
  }

  std::atomic<bool> stop{false};
  std::vector<std::vector<std::uint32_t>> lat(static_cast<std::size_t>(conns));
  std::vector<long> served(static_cast<std::size_t>(conns), 0),
      errors(static_cast<std::size_t>(conns), 0);
  std::vector<std::thread> threads;
  auto start = Clock::now();
  for (int c = 0; c < conns; ++c) {
    threads.emplace_back([&, c] {
      int fd = connect_to(url);
      std::string buf;
      for (long i = 0; !stop.load(std::memory_order_relaxed); ++i) {
        if (fd < 0) {
          ++errors[c];
          std::this_thread::sleep_for(std::chrono::milliseconds(10));
          fd = connect_to(url);
          continue;
        }
        std::string req = build_request(url, s.method, s.target(c, i), token, s.body(c, i));
        auto t0 = Clock::now();
        int status = round_trip(fd, req, buf);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t0).count();
        if (status < 200 || status >= 300) {
          ++errors[c];
          if (status < 0) {
            ::close(fd);
            fd = connect_to(url);
          }
          continue;
        }
        ++served[c];
        lat[c].push_back(static_cast<std::uint32_t>(std::min<long long>(us, UINT32_MAX)));
      }
      if (fd >= 0) ::close(fd);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  std::vector<std::uint32_t> all;
  long total = 0, errs = 0;
  int conns_served = 0;
  for (int c = 0; c < conns; ++c) {
    all.insert(all.end(), lat[c].begin(), lat[c].end());
    total += served[c];
    errs += errors[c];
    if (served[c] > 0) ++conns_served;
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) -> std::uint32_t {
    if (all.empty()) return 0;
    return all[std::min(all.size() - 1,
                        static_cast<std::size_t>(p * static_cast<double>(all.size())))];
  };
  std::printf(
      "{\"scenario\":\"%s\",\"conns\":%d,\"rps\":%.1f,\"p50_us\":%u,\"p99_us\":%u,"
      "\"requests\":%ld,\"errors\":%ld,\"conns_served\":%d}\n",
      scenario_name.c_str(), conns, static_cast<double>(total) / elapsed, pct(0.50), pct(0.99),
      total, errs, conns_served);
  return conns_served == conns && errs == 0 ? 0 : 1;
}
