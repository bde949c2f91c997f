// Cost of schema validation on the hot paths: the fake server validates every incoming batch-add
// body, the conformance suite every list page. Prints microseconds per validation; not a test.
//
//   build/bin/rqcheck-schemas-bench [iterations]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "rqcheck/core/operations.h"
#include "rqcheck/schemas/validation.h"

namespace {

using nlohmann::json;
using rqcheck::Operation;
namespace schemas = rqcheck::schemas;

// A request as crawlers send it: about 180 bytes of JSON.
json client_request(int i) {
  const std::string url = "https://example.com/products/item-" + std::to_string(i) + "?page=2";
  return {{"uniqueKey", url},
          {"url", url},
          {"method", "GET"},
          {"userData", {{"label", "DETAIL"}, {"depth", 2}}},
          {"headers", {{"accept", "text/html"}}}};
}

// A stored request as list pages return it: about 245 bytes.
json stored_request(int i) {
  json r = client_request(i);
  r["id"] = "aBcDeFgHiJkLm" + std::to_string(10 + i % 90);
  r["retryCount"] = 0;
  r["loadedUrl"] = nullptr;
  r["payload"] = nullptr;
  r["noRetry"] = false;
  r["errorMessages"] = json::array();
  r["handledAt"] = (i % 2 == 0) ? json("2024-01-02T03:04:05.678Z") : json(nullptr);
  return r;
}

template <typename F>
double micros_per_call(int iterations, F&& f) {
  f();  // compile the schema and warm the regex cache outside the timing
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < iterations; ++i) f();
  const auto end = std::chrono::steady_clock::now();
  return std::chrono::duration<double, std::micro>(end - start).count() / iterations;
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;

  json batch = json::array();
  for (int i = 0; i < 25; ++i) batch.push_back(client_request(i));
  json page = {
      {"data",
       {{"items", json::array()}, {"limit", 1000}, {"nextCursor", "eyJyZXF1ZXN0SWQiOiJ4In0"}}}};
  for (int i = 0; i < 1000; ++i) page["data"]["items"].push_back(stored_request(i));
  json bad_batch = batch;
  bad_batch[7]["handledAt"] = "2024-01-02T03:04:05";  // naive timestamp
  bad_batch[11].erase("uniqueKey");

  bool ok = true;
  const double batch_us = micros_per_call(iterations, [&] {
    ok &= schemas::validate_request(Operation::kRequestsBatchPost, batch).ok();
  });
  const double bad_batch_us = micros_per_call(iterations, [&] {
    ok &= !schemas::validate_request(Operation::kRequestsBatchPost, bad_batch).ok();
  });
  const int page_iterations = iterations / 20 > 10 ? iterations / 20 : 10;
  const double page_us = micros_per_call(page_iterations, [&] {
    ok &= schemas::validate_response(Operation::kRequestsGet, 200, page).ok();
  });

  // Side-by-side baselines (the machine is noisy: compare ratios, not absolute numbers).
  const std::string batch_text = batch.dump(), page_text = page.dump();
  std::size_t sink = 0;
  const double batch_parse_us =
      micros_per_call(iterations, [&] { sink += json::parse(batch_text).size(); });
  const double page_parse_us =
      micros_per_call(page_iterations, [&] { sink += json::parse(page_text).size(); });

  // Two threads at once (the machine has two cores): validation shares compiled schemas.
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < iterations; ++i) {
        if (!schemas::validate_request(Operation::kRequestsBatchPost, batch).ok()) std::abort();
      }
    });
  }
  for (auto& t : threads) t.join();
  const double wall_us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();

  std::printf("rqcheck-schemas-bench (%d iterations; %zu-byte batch body, %zu-byte list page)\n",
              iterations, batch.dump().size(), page.dump().size());
  std::printf("  batch add body, 25 requests, valid          %9.1f us/validation\n", batch_us);
  std::printf("  batch add body, 25 requests, 2 violations   %9.1f us/validation\n", bad_batch_us);
  std::printf("  list requests page, 1000 items, valid       %9.1f us/validation\n", page_us);
  std::printf("  (baseline) nlohmann parse of that batch body %9.1f us\n", batch_parse_us);
  std::printf("  (baseline) nlohmann parse of that list page  %9.1f us\n", page_parse_us);
  std::printf("  batch add body, 2 threads                   %9.0f validations/s in all\n",
              2.0 * iterations / (wall_us / 1e6));
  if (!ok || sink == 0) {
    std::printf("unexpected verdict\n");
    return 1;
  }
  return 0;
}
