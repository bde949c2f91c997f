// Microbenchmark: microseconds to read the 25-request batch-add body of rq-load's
// "batch-add-new" scenario (bench/rq_load.cc, batch_body) with parse_batch_add_body (the
// scanner) and with its DOM reference (parse_json, then the document walked), and what the parts
// cost: nlohmann's parse alone, the 25 request ids that both derive. Times are the thread's CPU
// time (the host is shared: wall time counts the other processes' turns too). Prints numbers;
// asserts nothing. Usage: rqcheck-request-parse-bench [rounds (7)] [bodies per round (20000)]
#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <iomanip>
#include <iostream>
#include <string>
#include <vector>

#include "requests_internal.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/requests.h"

namespace {

// bench/rq_load.cc's bench_url and batch_body.
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

volatile std::size_t g_sink;

// The median over `rounds` of the mean time per body, in microseconds.
double time_it(int rounds, int per_round, const std::vector<std::string>& bodies,
               const std::function<std::size_t(const std::string&)>& f) {
  std::vector<double> us;
  for (int r = 0; r < rounds; ++r) {
    timespec t0{}, t1{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    std::size_t sink = 0;
    for (int i = 0; i < per_round; ++i) {
      sink += f(bodies[static_cast<std::size_t>(i) % bodies.size()]);
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    g_sink = sink;
    const double ns = static_cast<double>(t1.tv_sec - t0.tv_sec) * 1e9 +
                      static_cast<double>(t1.tv_nsec - t0.tv_nsec);
    us.push_back(ns / 1000 / per_round);
  }
  std::sort(us.begin(), us.end());
  return us[us.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  using namespace rqcheck;
  const int rounds = argc > 1 ? std::atoi(argv[1]) : 7;
  const int per_round = argc > 2 ? std::atoi(argv[2]) : 20000;
  std::vector<std::string> bodies;
  for (int c = 0; c < 16; ++c)
    bodies.push_back(batch_body("new-bench-" + std::to_string(c), c * 25L));
  {
    Violations a, b;
    auto x = parse_batch_add_body(bodies[0], a);
    auto y = detail::parse_batch_add_body_dom(bodies[0], b);
    if (!x || !y || x->size() != 25 || y->size() != 25) {
      std::cerr << "the body does not parse\n";
      return 1;
    }
  }
  const double dom = time_it(rounds, per_round, bodies, [](const std::string& s) {
    Violations v;
    auto r = detail::parse_batch_add_body_dom(s, v);
    return r ? r->size() : 0;
  });
  const double scan = time_it(rounds, per_round, bodies, [](const std::string& s) {
    Violations v;
    auto r = parse_batch_add_body(s, v);
    return r ? r->size() : 0;
  });
  const double nlohmann = time_it(rounds, per_round, bodies, [](const std::string& s) {
    auto r = parse_json(s);
    return r ? r->size() : 0;
  });
  const double ids = time_it(rounds, per_round, bodies, [](const std::string& s) {
    std::size_t n = 0;
    for (int k = 0; k < 25; ++k) n += request_id_for(std::string_view(s).substr(k * 4, 100)).size();
    return n;
  });
  std::cout << std::fixed << std::setprecision(2) << "batch-add body, 25 requests, "
            << bodies[0].size() << " bytes (median of " << rounds << " rounds of " << per_round
            << " bodies, thread CPU time)\n"
            << "  DOM path (parse_json + walk + rules)  " << std::setw(8) << dom << " us/body\n"
            << "  scanner  (parse_batch_add_body)       " << std::setw(8) << scan << " us/body  ("
            << std::setprecision(1) << dom / scan << "x faster)\n"
            << std::setprecision(2) << "  of which in both: 25 request ids     " << std::setw(8)
            << ids << " us/body\n"
            << "  nlohmann parse_json alone             " << std::setw(8) << nlohmann
            << " us/body\n";
}
