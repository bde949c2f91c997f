// One queue of 1,000,000 requests through the Store API: the operations still work at the far end
// of the queue, their cost does not grow with the queue (store.h promises O(log n) per request
// operation and O(log n + page) per list page), and a stored request costs < 1024 bytes of
// resident memory (the requirement). Numbers are printed and recorded as test properties;
// the only timing assertion is a loose ratio.
#include <gtest/gtest.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "rqcheck/core/request_id.h"
#include "rqcheck/core/requests.h"
#include "rqcheck/core/time.h"
#include "rqcheck/core/types.h"
#include "rqcheck/fake_server/store.h"
#include "wire.h"

namespace rqcheck::fake {
namespace {

using Clock = std::chrono::steady_clock;

// CPU time of this thread: the machine may be shared, and preemption must not count as cost.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

std::size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

double MsSince(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

// A 100-byte URL, unique per index; it is also the uniqueKey (as crawlee's normalised URL is).
std::string Url(std::size_t i) {
  std::string u = "https://www.example.com/catalogue/products/item-" + std::to_string(i) + "?ref=";
  u.resize(100, 'x');
  return u;
}

RequestDraft Draft(std::string unique_key, std::string url) {
  RequestDraft d;
  d.unique_key = std::move(unique_key);
  d.url = std::move(url);
  return d;
}

// Fills the queue with n requests through batch add (25 per call).
void Fill(Store& store, const User& u, const QueueRef& q, std::size_t n) {
  std::vector<RequestDraft> batch;
  for (std::size_t i = 0; i < n; ++i) {
    std::string url = Url(i);
    batch.push_back(Draft(url, url));
    if (batch.size() == 25 || i + 1 == n) {
      const std::size_t size = batch.size();
      auto r = store.batch_add(Caller{&u, std::nullopt}, q, std::move(batch), WriteOptions{});
      ASSERT_TRUE(r) << r.error().message;
      ASSERT_EQ(r->processed.size(), size);
      ASSERT_TRUE(r->unprocessed.empty());
      batch.clear();
    }
  }
}

// A list page as the server writes it (the wire layer's writer), and how many items it had.
struct WrittenPage {
  std::string text;  // [item,item,...]
  Result<ListPage> page = ListPage{};
};

WrittenPage ListWritten(Store& store, const User& u, const QueueRef& q, const ListQuery& query) {
  WrittenPage out;
  out.text = "[";
  out.page =
      store.list_requests(Caller{&u, std::nullopt}, q, query,
                          wire::request_writer(out.text, static_cast<std::size_t>(query.limit)));
  out.text += ']';
  return out;
}

struct PerCall {
  double lock_us = 0, list_us = 0;
};

// Mean cost of a head/lock of 25 (then unlock) and of a 100-item list page starting at spread
// positions of the queue.
PerCall MeasurePerCall(Store& store, const User& u, const QueueRef& q, std::size_t n, int rounds) {
  PerCall out;
  std::vector<std::string> cursors;
  for (int i = 0; i < rounds; ++i) {
    cursors.push_back(encode_cursor(request_id_for(Url((static_cast<std::size_t>(i) * 7919) % n))));
  }
  double t0 = ThreadCpuMs();
  for (int i = 0; i < rounds; ++i) {
    auto h = store.head_and_lock(Caller{&u, "bench"}, q, 60, 25);
    EXPECT_TRUE(h && h->items.size() == 25u);
    auto un = store.unlock_requests(Caller{&u, "bench"}, q);
    EXPECT_TRUE(un && *un == 25);
  }
  out.lock_us = (ThreadCpuMs() - t0) * 1000.0 / rounds;
  t0 = ThreadCpuMs();
  std::size_t items = 0;
  for (int i = 0; i < rounds; ++i) {
    // What the server does per call: decode the cursor, walk the page, write it.
    ListQuery o;
    o.limit = 100;
    o.after = decode_cursor(cursors[static_cast<std::size_t>(i)]);
    EXPECT_TRUE(o.after);
    WrittenPage page = ListWritten(store, u, q, o);
    EXPECT_TRUE(page.page);
    if (page.page) items += static_cast<std::size_t>(page.page->listed);
  }
  out.list_us = (ThreadCpuMs() - t0) * 1000.0 / rounds;
  EXPECT_GT(items, 0u);
  return out;
}

// Mean cost of a dashboard page (the store's inspection, 100 requests written as JSON) of the
// pending state at spread positions of the queue, and of the locked state.
double MeasureInspect(Store& store, const std::string& queue, std::size_t n, int rounds,
                      TimeMs queued_at) {
  double t0 = ThreadCpuMs();
  std::size_t items = 0;
  for (int i = 0; i < rounds; ++i) {
    InspectQuery q;
    q.state = i % 4 == 3 ? RequestState::kLocked : RequestState::kPending;
    q.limit = 100;
    // Positions in queue order are (time queued, seq): the i-th spread point of the queue.
    if (q.state == RequestState::kPending) {
      q.after = StatePosition{queued_at, static_cast<std::int64_t>((i * 7919ull) % n)};
    }
    std::string out;
    auto page = store.inspect_requests(queue, q, [&out](const InspectedRequest& r) {
      wire::append_request_json(out, r.view);
      out += ',';
    });
    EXPECT_TRUE(page);
    if (page) items += static_cast<std::size_t>(page->listed);
  }
  EXPECT_GT(items, 0u);
  return (ThreadCpuMs() - t0) * 1000.0 / rounds;
}

TEST(FakeServerScaleTest, MillionRequestQueue) {
#ifdef RQCHECK_SANITIZE_BUILD
  GTEST_SKIP() << "SKIPPED UNDER SANITIZERS: the 1,000,000-request fill takes about 7 s of CPU "
                  "uninstrumented and several times that with sanitizers (over the 20 s budget), "
                  "and shadow memory makes the bytes-per-request figure meaningless. Run it in a "
                  "plain (RelWithDebInfo) build.";
#endif
  constexpr std::size_t kSmall = 1000, kLarge = 1'000'000;
  constexpr int kRounds = 400;
  ManualClock clock(1'700'000'000'000);
  StoreOptions opts;
  opts.rate_limits.enabled = false;
  Store store(opts, clock);
  User u = store.user_for_token("scale-token").value();

  // Baseline: 1k requests.
  const Caller me{&u, std::nullopt};
  QueueRef small = QueueRef::by_id(store.create_queue(me, std::nullopt)->info.id);
  Fill(store, u, small, kSmall);
  if (HasFatalFailure()) return;
  PerCall at_small = MeasurePerCall(store, u, small, kSmall, kRounds);
  ASSERT_TRUE(store.head_and_lock(Caller{&u, "holder"}, small, 600, 200));
  double inspect_small = MeasureInspect(store, small.text, kSmall, kRounds, clock.now_ms());

  // 1M requests: fill time and resident memory per request.
  QueueRef large = QueueRef::by_id(store.create_queue(me, std::nullopt)->info.id);
  std::size_t rss_before = ResidentBytes();
  auto t0 = Clock::now();
  double cpu0 = ThreadCpuMs();
  Fill(store, u, large, kLarge);
  if (HasFatalFailure()) return;
  double fill_ms = MsSince(t0), fill_cpu_ms = ThreadCpuMs() - cpu0;
  std::size_t rss_after = ResidentBytes();
  double bytes_per_request =
      static_cast<double>(rss_after - std::min(rss_after, rss_before)) / kLarge;

  auto info = store.get_queue(me, large);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->total_request_count, static_cast<std::int64_t>(kLarge));
  EXPECT_EQ(info->pending_request_count, static_cast<std::int64_t>(kLarge));

  // The far end of the queue works: the last page of the list, the last request by id, and a
  // head/lock that reaches a request added last (forefront) and the FIFO front.
  std::vector<std::string> ids;
  ids.reserve(kLarge);
  for (std::size_t i = 0; i < kLarge; ++i) ids.push_back(request_id_for(Url(i)));
  std::sort(ids.begin(), ids.end());
  ListQuery last;
  last.limit = 1000;
  last.after = decode_cursor(encode_cursor(ids[kLarge - 10]));
  double t1 = ThreadCpuMs();
  WrittenPage page = ListWritten(store, u, large, last);
  double last_page_us = (ThreadCpuMs() - t1) * 1000.0;
  ASSERT_TRUE(page.page) << page.page.error().message;
  Json pj = Json::parse(page.text);
  ASSERT_EQ(pj.size(), 9u);
  EXPECT_EQ(pj[8]["id"], ids.back());
  EXPECT_EQ(page.page->listed, 9);
  EXPECT_FALSE(page.page->next_after);  // no nextCursor
  ListQuery first;
  first.limit = 1000;
  t1 = ThreadCpuMs();
  WrittenPage first_page = ListWritten(store, u, large, first);
  double first_page_us = (ThreadCpuMs() - t1) * 1000.0;
  ASSERT_TRUE(first_page.page);
  EXPECT_EQ(Json::parse(first_page.text).size(), 1000u);
  EXPECT_TRUE(first_page.page->next_after);

  std::string got;
  ASSERT_TRUE(
      store.get_request(me, large, request_id_for(Url(kLarge - 1)),
                        [&got](const RequestView& r) { wire::append_request_json(got, r); }));
  EXPECT_EQ(Json::parse(got)["url"], Url(kLarge - 1));
  ASSERT_TRUE(
      store.add_request(me, large, Draft("last-forefront", "https://x"), WriteOptions{true}));
  t1 = ThreadCpuMs();
  auto lock = store.head_and_lock(Caller{&u, "end"}, large, 60, 25);
  double lock_us = (ThreadCpuMs() - t1) * 1000.0;
  ASSERT_TRUE(lock);
  ASSERT_EQ(lock->items.size(), 25u);
  EXPECT_EQ(lock->items[0].unique_key, "last-forefront");
  EXPECT_EQ(lock->items[1].unique_key, Url(0));
  EXPECT_EQ(lock->items[24].unique_key, Url(23));

  // Per-call cost at 1M (after the checks above: unlocking sends requests to the back).
  PerCall at_large = MeasurePerCall(store, u, large, kLarge, kRounds);
  ASSERT_TRUE(store.head_and_lock(Caller{&u, "holder"}, large, 600, 200));
  double inspect_large = MeasureInspect(store, large.text, kLarge, kRounds, clock.now_ms());

  std::printf(
      "scale: fill of %zu requests: %.0f ms wall, %.0f ms CPU (%.2f us CPU/request)\n"
      "scale: resident memory %.1f MB -> %.1f MB: %.0f bytes/request\n"
      "scale (CPU time): head/lock(25)+unlock: %.2f us at 1k, %.2f us at 1M (x%.2f)\n"
      "scale: list page(100):       %.2f us at 1k, %.2f us at 1M (x%.2f)\n"
      "scale: at 1M: first list page(1000) %.0f us, last list page %.0f us, head/lock after a "
      "forefront add %.0f us\n"
      "scale: dashboard page(100): %.2f us at 1k, %.2f us at 1M (x%.2f)\n",
      kLarge, fill_ms, fill_cpu_ms, fill_cpu_ms * 1000 / kLarge, rss_before / 1048576.0,
      rss_after / 1048576.0, bytes_per_request, at_small.lock_us, at_large.lock_us,
      at_large.lock_us / at_small.lock_us, at_small.list_us, at_large.list_us,
      at_large.list_us / at_small.list_us, first_page_us, last_page_us, lock_us, inspect_small,
      inspect_large, inspect_large / inspect_small);
  RecordProperty("fill_ms", static_cast<int>(fill_ms));
  RecordProperty("fill_cpu_ms", static_cast<int>(fill_cpu_ms));
  RecordProperty("bytes_per_request", static_cast<int>(bytes_per_request));
  RecordProperty("lock_us_1k", std::to_string(at_small.lock_us));
  RecordProperty("lock_us_1m", std::to_string(at_large.lock_us));
  RecordProperty("list_page_us_1k", std::to_string(at_small.list_us));
  RecordProperty("list_page_us_1m", std::to_string(at_large.list_us));

  EXPECT_LT(bytes_per_request, 1024.0)
      << "the issue requires < 1 KiB of resident memory per request";
  // A scan of the queue per call would cost about 1000x at 1M; cache misses alone (the 1M queue
  // does not fit in cache, the 1k queue does) cost 2-7x here, up to 18x on a loaded machine.
  // 100x separates the two.
  EXPECT_LT(at_large.lock_us, 100 * at_small.lock_us) << "head/lock cost grows with the queue size";
  EXPECT_LT(at_large.list_us, 100 * at_small.list_us) << "list page cost grows with the queue size";
  RecordProperty("dashboard_page_us_1k", std::to_string(inspect_small));
  RecordProperty("dashboard_page_us_1m", std::to_string(inspect_large));
  EXPECT_LT(inspect_large, 100 * inspect_small) << "dashboard page cost grows with the queue size";
}

}  // namespace
}  // namespace rqcheck::fake
