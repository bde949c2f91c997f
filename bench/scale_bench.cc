// rq-scale-bench: fills one queue of rq-fake (over HTTP, batch adds on 16 connections) with N
// requests of 100-byte URLs, and reports the fill time, the fake's resident memory per request
// (from /proc/PID/statm), and the time of a list page and a head/lock at the start and at the
// end of the queue.
//
//   rq-scale-bench --url http://127.0.0.1:PORT --pid PID --requests 1000000
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/types.h"

namespace {
using Clock = std::chrono::steady_clock;

long rss_bytes(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/statm");
  long size = 0, resident = 0;
  f >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

std::string url_for(long i) {
  std::string u = "https://example.com/scale/" + std::to_string(i) + "/";
  u.resize(100, 'x');  // 100-byte URLs, as the target says
  return u;
}

double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}
}  // namespace

int main(int argc, char** argv) {
  std::string base;
  long pid = 0, n = 1000000;
  int conns = 16;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--url")
      base = argv[i + 1];
    else if (a == "--pid")
      pid = std::atol(argv[i + 1]);
    else if (a == "--requests")
      n = std::atol(argv[i + 1]);
    else if (a == "--conns")
      conns = std::atoi(argv[i + 1]);
  }
  if (base.empty() || pid <= 0) {
    std::fprintf(stderr, "usage: rq-scale-bench --url URL --pid PID [--requests N] [--conns C]\n");
    return 2;
  }
  httplib::Headers auth = {{"Authorization", "Bearer scale"}};
  httplib::Client admin(base);
  admin.set_tcp_nodelay(true);
  auto created = admin.Post("/v2/request-queues?name=scale-" + std::to_string(::getpid()), auth, "",
                            "application/json");
  if (!created || created->status != 201) {
    std::fprintf(stderr, "could not create the queue\n");
    return 1;
  }
  std::string qid = rqcheck::Json::parse(created->body)["data"]["id"];
  std::string qp = "/v2/request-queues/" + qid;
  long rss_before = rss_bytes(pid);

  std::atomic<long> next{0}, failed{0};
  auto t0 = Clock::now();
  std::vector<std::thread> workers;
  for (int c = 0; c < conns; ++c) {
    workers.emplace_back([&] {
      httplib::Client cli(base);
      cli.set_tcp_nodelay(true);
      cli.set_keep_alive(true);
      for (;;) {
        long start = next.fetch_add(25);
        if (start >= n) break;
        std::string body = "[";
        for (long i = start; i < std::min(n, start + 25); ++i) {
          std::string u = url_for(i);
          if (i != start) body += ',';
          body += "{\"uniqueKey\":\"" + u + "\",\"url\":\"" + u + "\"}";
        }
        body += ']';
        auto r = cli.Post((qp + "/requests/batch").c_str(), auth, body, "application/json");
        if (!r || r->status != 201 ||
            r->body.find("\"unprocessedRequests\":[]") == std::string::npos)
          ++failed;
      }
    });
  }
  for (auto& w : workers) w.join();
  double fill_ms = ms_since(t0);
  long rss_after = rss_bytes(pid);

  auto timed = [&](const std::string& method, const std::string& path, int expect, int reps) {
    double best = 1e18;
    for (int i = 0; i < reps; ++i) {
      auto s = Clock::now();
      auto r = method == "GET" ? admin.Get(path.c_str(), auth)
                               : admin.Post(path.c_str(), auth, "", "application/json");
      double ms = ms_since(s);
      if (!r || r->status != expect) return -1.0;
      best = std::min(best, ms);
    }
    return best;
  };
  // The first page, and the last: a cursor just before the last id in id order.
  double first_page = timed("GET", qp + "/requests?limit=1000", 200, 5);
  std::vector<std::string> ids;
  ids.reserve(static_cast<std::size_t>(n));
  for (long i = 0; i < n; ++i) ids.push_back(rqcheck::request_id_for(url_for(i)));
  std::sort(ids.begin(), ids.end());
  std::string cursor = rqcheck::encode_cursor(ids[ids.size() > 1001 ? ids.size() - 1001 : 0]);
  double last_page = timed("GET", qp + "/requests?limit=1000&cursor=" + cursor, 200, 5);
  // Head/lock at the start of the queue, then at its end: once all but the last 25 requests are
  // locked for an hour, the next head/lock must find the last 25.
  double first_lock = timed("POST", qp + "/head/lock?lockSecs=0&limit=25", 201, 5);
  long to_lock = n - 25;
  auto tl = Clock::now();
  while (to_lock > 0) {
    auto r = admin.Post((qp + "/head/lock?lockSecs=3600&limit=25&clientKey=holder").c_str(), auth,
                        "", "application/json");
    if (!r || r->status != 201) break;
    to_lock -= 25;
  }
  double lock_all_ms = ms_since(tl);
  double last_lock = timed("POST", qp + "/head/lock?lockSecs=0&limit=25", 201, 5);

  std::printf(
      "{\"requests\":%ld,\"fill_ms\":%.0f,\"fill_failed_batches\":%ld,\"rss_before\":%ld,"
      "\"rss_after\":%ld,\"bytes_per_request\":%.1f,\"first_page_ms\":%.2f,\"last_page_ms\":%.2f,"
      "\"first_lock_ms\":%.2f,\"last_lock_ms\":%.2f,\"lock_walk_ms\":%.0f}\n",
      n, fill_ms, failed.load(), rss_before, rss_after,
      static_cast<double>(rss_after - rss_before) / static_cast<double>(n), first_page, last_page,
      first_lock, last_lock, lock_all_ms);
  return failed.load() == 0 ? 0 : 1;
}
