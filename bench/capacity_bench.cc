// rq-capacity: the fake's connection capacity (issue 17), measured against a running server.
// Prints one JSON line per scenario; scripts/bench (run_bench.py) prints them as table rows.
//
//   rq-capacity --url http://127.0.0.1:PORT --queue ID --idle 1000 --active 16 --seconds 3
//     1,000 keep-alive connections, each answered once and then left idle, while 16 clients
//     call GET queue on their own keep-alive connections: the active calls' p50/p99.
//   rq-capacity --url ... --queue ID --slowloris 500 --calls 200
//     500 sockets that sent an unfinished request head, then 200 normal calls, each on a new
//     connection (connect included): their p50/p99/max.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using SteadyClock = std::chrono::steady_clock;

struct Target {
  std::string host = "127.0.0.1";
  int port = 0;
};

int connect_to(const Target& t) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int yes = 1;
  ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<std::uint16_t>(t.port));
  ::inet_pton(AF_INET, t.host.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

bool send_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

// Reads one response (head + Content-Length body) within 5 s; its status, or 0.
int read_response(int fd, std::string& buf) {
  auto until = SteadyClock::now() + std::chrono::seconds(5);
  for (;;) {
    auto he = buf.find("\r\n\r\n");
    if (he != std::string::npos) {
      std::size_t len = 0;
      auto cl = buf.find("Content-Length: ");
      if (cl != std::string::npos && cl < he)
        len = std::strtoul(buf.c_str() + cl + 16, nullptr, 10);
      if (buf.size() >= he + 4 + len) {
        int status = buf.size() > 12 ? std::atoi(buf.c_str() + 9) : 0;
        buf.erase(0, he + 4 + len);
        return status;
      }
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - SteadyClock::now());
    if (left.count() <= 0) return 0;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return 0;
    char tmp[16384];
    ssize_t n = ::recv(fd, tmp, sizeof tmp, 0);
    if (n <= 0) return 0;
    buf.append(tmp, static_cast<std::size_t>(n));
  }
}

std::string get(const std::string& path) {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer bench\r\n\r\n";
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  std::size_t i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

}  // namespace

int main(int argc, char** argv) {
  Target t;
  std::string queue;
  int idle = 0, active = 16, slowloris = 0, calls = 200;
  double seconds = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i], v = argv[i + 1];
    if (a == "--url") {
      auto colon = v.rfind(':');
      t.port = std::atoi(v.c_str() + colon + 1);
    } else if (a == "--queue") {
      queue = v;
    } else if (a == "--idle") {
      idle = std::atoi(v.c_str());
    } else if (a == "--active") {
      active = std::atoi(v.c_str());
    } else if (a == "--slowloris") {
      slowloris = std::atoi(v.c_str());
    } else if (a == "--calls") {
      calls = std::atoi(v.c_str());
    } else if (a == "--seconds") {
      seconds = std::atof(v.c_str());
    }
  }
  if (t.port <= 0 || queue.empty()) {
    std::fprintf(stderr, "usage: rq-capacity --url http://127.0.0.1:PORT --queue ID ...\n");
    return 2;
  }
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
  }
  const std::string path = "/v2/request-queues/" + queue;
  std::vector<int> held;
  int held_ok = 0;
  // The hostile (or idle) sockets first; how long they took to set up (an idle socket must be
  // answered once: a server with a thread per connection answers the ones beyond its threads
  // only when earlier ones time out).
  auto setup0 = SteadyClock::now();
  for (int i = 0; i < idle; ++i) {
    int fd = connect_to(t);
    if (fd < 0) break;
    std::string buf;
    if (send_all(fd, get("/__admin/health")) && read_response(fd, buf) == 200) ++held_ok;
    held.push_back(fd);
  }
  for (int i = 0; i < slowloris; ++i) {
    int fd = connect_to(t);
    if (fd < 0) break;
    if (send_all(fd, "GET /v2/request-queues HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")) ++held_ok;
    held.push_back(fd);
  }
  double setup_ms = std::chrono::duration<double, std::milli>(SteadyClock::now() - setup0).count();
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::vector<double> lat;
  int errors = 0;
  double rps = 0;
  if (slowloris > 0) {
    for (int i = 0; i < calls; ++i) {
      auto t0 = SteadyClock::now();
      int fd = connect_to(t);
      std::string buf;
      int st = fd >= 0 && send_all(fd, get(path)) ? read_response(fd, buf) : 0;
      lat.push_back(std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
      if (st != 200) ++errors;
      if (fd >= 0) ::close(fd);
    }
  } else {
    std::vector<std::vector<double>> per(static_cast<std::size_t>(active));
    std::atomic<int> errs{0};
    std::vector<std::thread> threads;
    auto until = SteadyClock::now() + std::chrono::duration<double>(seconds);
    for (int a = 0; a < active; ++a) {
      threads.emplace_back([&, a] {
        int fd = connect_to(t);
        std::string buf;
        while (fd >= 0 && SteadyClock::now() < until) {
          auto t0 = SteadyClock::now();
          int st = send_all(fd, get(path)) ? read_response(fd, buf) : 0;
          per[static_cast<std::size_t>(a)].push_back(
              std::chrono::duration<double, std::milli>(SteadyClock::now() - t0).count());
          if (st != 200) {
            ++errs;
            ::close(fd);
            fd = connect_to(t);
            buf.clear();
          }
        }
        if (fd >= 0) ::close(fd);
      });
    }
    for (auto& th : threads) th.join();
    for (auto& v : per) lat.insert(lat.end(), v.begin(), v.end());
    errors = errs;
    rps = static_cast<double>(lat.size()) / seconds;
  }
  // Are the held sockets still open (an idle keep-alive one must not have been cut)?
  int still_open = 0;
  for (int fd : held) {
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, 0) == 0) ++still_open;
    ::close(fd);
  }
  double mx = lat.empty() ? 0 : *std::max_element(lat.begin(), lat.end());
  std::printf(
      "{\"idle\":%d,\"slowloris\":%d,\"held_ok\":%d,\"setup_ms\":%.0f,\"still_open\":%d,"
      "\"calls\":%zu,\"errors\":%d,\"rps\":%.0f,\"p50_ms\":%.3f,\"p99_ms\":%.3f,"
      "\"max_ms\":%.3f}\n",
      idle, slowloris, held_ok, setup_ms, still_open, lat.size(), errors, rps, pct(lat, 0.5),
      pct(lat, 0.99), mx);
  return 0;
}
