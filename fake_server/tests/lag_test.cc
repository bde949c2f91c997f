// Seeded eventual consistency (rqcheck/fake_server/lag.h, docs/consistency.md) on the store with
// a ManualClock: the --lag syntax; a new request is absent from head and head/lock one
// millisecond before its lag has passed and present at it; a reclaimed one likewise (lock
// expired, lock deleted, unlocked, put back unhandled); the same seed gives the same lags and
// another seed others, whatever the order the requests came in; the counters and modifiedAt
// lag and catch up; get request and list requests are not lagged; off by default nothing lags.
// And rq-fake itself: bad --lag syntax exits 2 naming the part, and /__admin/health shows the
// lag in force.
#include "rqcheck/fake_server/lag.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_fake.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {
namespace {

constexpr TimeMs kT0 = 1'700'000'000'000;

RequestDraft Req(const std::string& unique_key) {
  RequestDraft d;
  d.unique_key = d.url = unique_key;
  return d;
}

LagOptions Lag(const std::string& spec, std::optional<std::uint64_t> seed = std::nullopt) {
  auto l = parse_lag(spec);
  EXPECT_TRUE(l) << spec << ": " << (l ? "" : l.error().message);
  LagOptions out = l ? *l : LagOptions{};
  out.seed = seed;
  return out;
}

// A store with a lag, one user and one queue; helpers read head, head/lock and GET queue.
class LagTest : public ::testing::Test {
 protected:
  ManualClock clock_{kT0};
  std::unique_ptr<Store> store_;
  User alice_;
  QueueRef q_;

  void Make(const LagOptions& lag, std::uint64_t seed = 1) {
    StoreOptions o;
    o.rate_limits.enabled = false;
    o.seed = seed;
    o.lag = lag;
    store_ = std::make_unique<Store>(o, clock_);
    alice_ = store_->user_for_token("token-alice").value();
    auto c = store_->create_queue(Me(), "lagged");
    ASSERT_TRUE(c) << c.error().message;
    q_ = QueueRef::by_id(c->info.id);
  }
  Caller Me(std::optional<std::string> key = std::nullopt) const {
    return Caller{&alice_, std::move(key)};
  }
  std::string Add(const std::string& uk) {
    auto r = store_->add_request(Me(), q_, Req(uk), {});
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->request_id : "";
  }
  std::vector<std::string> HeadIds(std::int64_t limit = 100) {
    auto h = store_->head(Me(), q_, limit);
    EXPECT_TRUE(h) << h.error().message;
    std::vector<std::string> ids;
    if (h) {
      for (const auto& i : h->items) ids.push_back(i.id);
    }
    return ids;
  }
  bool InHead(const std::string& id) {
    auto ids = HeadIds();
    return std::find(ids.begin(), ids.end(), id) != ids.end();
  }
  std::vector<std::string> Lock(const std::string& key, double secs, std::int64_t limit = 100) {
    auto h = store_->head_and_lock(Me(key), q_, secs, limit);
    EXPECT_TRUE(h) << h.error().message;
    std::vector<std::string> ids;
    if (h) {
      for (const auto& i : h->items) ids.push_back(i.id);
    }
    return ids;
  }
  RequestQueueInfo Info() {
    auto r = store_->get_queue(Me(), q_);
    EXPECT_TRUE(r) << r.error().message;
    return r ? *r : RequestQueueInfo{};
  }
  // The head lag of a request's n-th event, as the docs define it.
  TimeMs HeadLag(const std::string& rid, std::uint64_t event) {
    return store_->lag().head.draw(lag_hash(store_->lag_seed(), q_.text, rid, event));
  }
  // Steps the clock 1 ms at a time from kT0 until `rid` shows in head: the observed lag.
  TimeMs Observed(const std::string& rid, TimeMs bound = 2000) {
    for (TimeMs d = 0; d <= bound; ++d) {
      clock_.set_ms(kT0 + d);
      if (InHead(rid)) return d;
    }
    return -1;
  }
};

TEST(LagParseTest, AcceptsTheDocumentedForms) {
  auto a = parse_lag("head=0-800ms;counters=0-500ms");
  ASSERT_TRUE(a) << a.error().message;
  EXPECT_EQ(a->head.kind, LagDistribution::Kind::kUniform);
  EXPECT_EQ(a->head.min_ms, 0);
  EXPECT_EQ(a->head.max_ms, 800);
  EXPECT_EQ(a->counters.max_ms, 500);
  EXPECT_EQ(a->describe(), "head=0-800ms;counters=0-500ms");
  auto b = parse_lag("head=exp:200ms,max=2s");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->head.kind, LagDistribution::Kind::kExponential);
  EXPECT_EQ(b->head.mean_ms, 200);
  EXPECT_EQ(b->head.max_ms, 2000);
  EXPECT_FALSE(b->counters.on());
  auto c = parse_lag("counters=1s");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->counters.min_ms, 1000);
  EXPECT_EQ(c->counters.max_ms, 1000);
  auto d = parse_lag("head=exp:50ms");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->head.max_ms, 500);  // 10x the mean by default
  EXPECT_FALSE(LagOptions{}.enabled());
}

TEST(LagParseTest, RejectsBadSyntaxNamingThePart) {
  struct Case {
    const char* spec;
    const char* names;
  };
  for (const Case& c :
       {Case{"", "empty"}, Case{"head", "'head' is not"}, Case{"tail=5ms", "unknown part 'tail'"},
        Case{"head=5ms;head=6ms", "'head' given twice"},
        Case{"head=5ms;;counters=1s", "an empty part"}, Case{"head=800-0ms", "head=800-0ms"},
        Case{"head=5", "head=5"}, Case{"head=5h", "head=5h"}, Case{"head=601s", "head=601s"},
        Case{"counters=exp:0ms", "counters=exp:0ms"},
        Case{"head=exp:100ms,max=50ms", "max must be"},
        Case{"head=exp:100ms,min=5ms", "only max=DUR"},
        Case{"head=99999999999999999999ms", "head=9999"}}) {
    auto r = parse_lag(c.spec);
    ASSERT_FALSE(r) << c.spec;
    EXPECT_EQ(r.error().status, 400);
    EXPECT_NE(r.error().message.find(c.names), std::string::npos)
        << c.spec << ": " << r.error().message;
  }
}

TEST(LagParseTest, DrawsStayInTheirRange) {
  auto u = parse_lag("head=100-300ms;counters=exp:20ms,max=90ms");
  ASSERT_TRUE(u);
  TimeMs lo = 1 << 30, hi = -1;
  for (std::uint64_t i = 0; i < 5000; ++i) {
    TimeMs h = u->head.draw(lag_hash(3, "q", std::to_string(i), 1));
    TimeMs c = u->counters.draw(lag_hash(3, "q", std::to_string(i), 1));
    lo = std::min(lo, h);
    hi = std::max(hi, h);
    EXPECT_GE(c, 0);
    EXPECT_LE(c, 90);
  }
  EXPECT_GE(lo, 100);
  EXPECT_LE(hi, 300);
  EXPECT_LT(lo, 110);  // the range is covered, not one value
  EXPECT_GT(hi, 290);
}

TEST_F(LagTest, NewRequestAbsentOneMsBeforeItsLagAndPresentAtIt) {
  Make(Lag("head=100-400ms"));
  std::string rid = Add("https://example.com/a");
  TimeMs lag = HeadLag(rid, 1);
  ASSERT_GE(lag, 100);
  clock_.set_ms(kT0 + lag - 1);
  EXPECT_FALSE(InHead(rid));
  EXPECT_TRUE(Lock("c1", 60).empty());  // head/lock does not hand it out either
  clock_.set_ms(kT0 + lag);
  EXPECT_TRUE(InHead(rid));
  EXPECT_EQ(Lock("c1", 60), std::vector<std::string>{rid});
}

TEST_F(LagTest, BatchAddAndUpsertAreLaggedToo) {
  Make(Lag("head=300ms"));
  auto b = store_->batch_add(Me(), q_, {Req("https://e.com/1"), Req("https://e.com/2")}, {});
  ASSERT_TRUE(b);
  std::string put_id = request_id_for("https://e.com/3");
  ASSERT_TRUE(store_->update_request(Me(), q_, put_id, Req("https://e.com/3"), {}));
  clock_.set_ms(kT0 + 299);
  EXPECT_TRUE(HeadIds().empty());
  clock_.set_ms(kT0 + 300);
  EXPECT_EQ(HeadIds().size(), 3u);
}

TEST_F(LagTest, StrongReadsAreNotLagged) {
  Make(Lag("head=500ms"));
  std::string rid = Add("https://example.com/a");
  EXPECT_TRUE(HeadIds().empty());
  int seen = 0;
  EXPECT_TRUE(store_->get_request(Me(), q_, rid, [&](const RequestView&) { ++seen; }));
  ListQuery lq;
  auto page = store_->list_requests(Me(), q_, lq, [&](const RequestView&) { ++seen; });
  ASSERT_TRUE(page);
  EXPECT_EQ(seen, 2);
  auto again = store_->add_request(Me(), q_, Req("https://example.com/a"), {});
  ASSERT_TRUE(again);
  EXPECT_TRUE(again->was_already_present);  // dedup is exact at once
}

TEST_F(LagTest, ExpiredLockReclaimedAfterItsLag) {
  Make(Lag("head=0-400ms"));
  std::string rid = Add("https://example.com/a");
  clock_.set_ms(kT0 + 400);
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{rid});
  const TimeMs expiry = kT0 + 400 + 1000;
  TimeMs lag = HeadLag(rid, 2);  // its second event: reclaimed
  clock_.set_ms(expiry + lag - 1);
  EXPECT_FALSE(InHead(rid));
  EXPECT_TRUE(Lock("c2", 60).empty());
  clock_.set_ms(expiry + lag);
  EXPECT_TRUE(InHead(rid));
  EXPECT_EQ(Lock("c2", 60), std::vector<std::string>{rid});
}

TEST_F(LagTest, DeletedLockUnlockAndPutBackAreReclaimedAfterTheirLag) {
  Make(Lag("head=50-250ms"));
  std::string a = Add("https://example.com/a"), b = Add("https://example.com/b"),
              c = Add("https://example.com/c");
  TimeMs t = kT0 + 250;
  clock_.set_ms(t);
  ASSERT_EQ(Lock("c1", 60).size(), 3u);
  // a: lock deleted; b: released by unlock; c: put back unhandled by PUT. Each is event 2.
  ASSERT_TRUE(store_->delete_lock(Me("c1"), q_, a, {}));
  ASSERT_TRUE(store_->update_request(Me("c1"), q_, c, Req("https://example.com/c"), {}));
  auto n = store_->unlock_requests(Me("c1"), q_);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 1);
  for (const std::string& rid : {a, b, c}) {
    TimeMs lag = HeadLag(rid, 2);
    clock_.set_ms(t + lag - 1);
    EXPECT_FALSE(InHead(rid)) << rid << " lag " << lag;
    clock_.set_ms(t + lag);
    EXPECT_TRUE(InHead(rid)) << rid << " lag " << lag;
  }
}

TEST_F(LagTest, SameSeedSameLagsOtherSeedOthersWhateverTheOrder) {
  std::vector<std::string> keys;
  for (int i = 0; i < 12; ++i) keys.push_back("https://example.com/" + std::to_string(i));
  auto run = [&](std::uint64_t lag_seed, bool reversed) {
    clock_.set_ms(kT0);
    Make(Lag("head=0-1000ms", lag_seed));
    std::vector<std::string> order = keys;
    if (reversed) std::reverse(order.begin(), order.end());
    for (const auto& k : order) Add(k);
    std::vector<TimeMs> lags;
    for (const auto& k : keys) {
      clock_.set_ms(kT0);
      lags.push_back(Observed(request_id_for(k)));
    }
    return lags;
  };
  auto first = run(7, false), again = run(7, false), reversed = run(7, true), other = run(8, false);
  EXPECT_EQ(first, again);
  EXPECT_EQ(first, reversed);  // a lag is not drawn from a shared sequence
  EXPECT_NE(first, other);
  EXPECT_EQ(std::count(first.begin(), first.end(), -1), 0);
  std::vector<TimeMs> sorted = first;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_GT(std::unique(sorted.begin(), sorted.end()) - sorted.begin(), 6);  // spread, not one
}

TEST_F(LagTest, LagSeedDefaultsToTheStoreSeed) {
  Make(Lag("head=0-1000ms"), 42);
  EXPECT_EQ(store_->lag_seed(), 42u);
  Make(Lag("head=0-1000ms", 5), 42);
  EXPECT_EQ(store_->lag_seed(), 5u);
}

TEST_F(LagTest, CountersAndModifiedAtLagThenCatchUp) {
  Make(Lag("counters=300ms"));
  const TimeMs created = Info().modified_at;
  clock_.set_ms(kT0 + 10);
  Add("https://example.com/a");
  clock_.set_ms(kT0 + 20);
  Add("https://example.com/b");  // joins the publication due at kT0 + 10 + 300
  RequestQueueInfo before = Info();
  EXPECT_EQ(before.total_request_count, 0);
  EXPECT_EQ(before.pending_request_count, 0);
  EXPECT_EQ(before.modified_at, created);
  clock_.set_ms(kT0 + 309);
  EXPECT_EQ(Info().total_request_count, 0);
  clock_.set_ms(kT0 + 310);
  RequestQueueInfo after = Info();
  EXPECT_EQ(after.total_request_count, 2);
  EXPECT_EQ(after.pending_request_count, 2);
  EXPECT_EQ(after.modified_at, kT0 + 20);
  // The queue list shows the same.
  QueueListOptions lo;
  auto list = store_->list_queues(Me(), lo);
  ASSERT_TRUE(list);
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(list->items[0].total_request_count, 2);
  // A handled mark lags too: handledRequestCount stays at 0 until the next publication.
  clock_.set_ms(kT0 + 1000);
  RequestDraft done = Req("https://example.com/a");
  done.handled_at = kT0 + 1000;
  ASSERT_TRUE(store_->update_request(Me(), q_, request_id_for("https://example.com/a"),
                                     std::move(done), {}));
  EXPECT_EQ(Info().handled_request_count, 0);
  clock_.set_ms(kT0 + 1300);
  EXPECT_EQ(Info().handled_request_count, 1);
  EXPECT_EQ(Info().pending_request_count, 1);
}

TEST_F(LagTest, OffByDefaultNothingLags) {
  Make(LagOptions{});
  EXPECT_FALSE(store_->lag().enabled());
  std::string rid = Add("https://example.com/a");
  EXPECT_TRUE(InHead(rid));
  EXPECT_EQ(Info().total_request_count, 1);
  ASSERT_EQ(Lock("c1", 1), std::vector<std::string>{rid});
  clock_.set_ms(kT0 + 1000);
  EXPECT_TRUE(InHead(rid));  // reclaimed at its expiry, at once
}

TEST_F(LagTest, HeadPassesOverLaggingRequestsToLaterOnes) {
  Make(Lag("head=200ms"));
  std::string early = Add("https://example.com/early");
  clock_.set_ms(kT0 + 200);
  std::string late = Add("https://example.com/late");
  // `early` is visible; a forefront request still in its window does not hide it.
  ASSERT_TRUE(store_->add_request(Me(), q_, Req("https://example.com/front"), WriteOptions{true}));
  EXPECT_EQ(HeadIds(), std::vector<std::string>{early});
  EXPECT_EQ(Lock("c1", 60, 1), std::vector<std::string>{early});
  clock_.set_ms(kT0 + 400);
  auto ids = HeadIds();
  ASSERT_EQ(ids.size(), 2u);
  EXPECT_EQ(ids[1], late);
}

// --- rq-fake -------------------------------------------------------------------------------

// Runs rq-fake with `args`; returns its exit status and stderr.
int RunFake(const std::vector<std::string>& args, std::string& err) {
  return test_support::run_fake_to_exit(args, ::testing::TempDir() + "/lag_test_err.txt", err);
}

TEST(RqFakeLagTest, BadLagSyntaxExitsTwoNamingThePart) {
  std::string err;
  EXPECT_EQ(RunFake({"--port", "0", "--lag", "head=0-800ms;tail=5ms"}, err), 2);
  EXPECT_NE(err.find("unknown part 'tail'"), std::string::npos) << err;
  EXPECT_EQ(RunFake({"--port", "0", "--lag", "head=fast"}, err), 2);
  EXPECT_NE(err.find("head=fast"), std::string::npos) << err;
  EXPECT_EQ(RunFake({"--port", "0", "--lag-seed", "x"}, err), 2);
  EXPECT_NE(err.find("--lag-seed"), std::string::npos) << err;
}

TEST(RqFakeLagTest, HealthShowsTheLagInForce) {
  test_support::ChildFake fake;
  ASSERT_TRUE(
      fake.start({"--port", "0", "--lag", "head=0-800ms;counters=exp:100ms", "--lag-seed", "9"},
                 ::testing::TempDir() + "/lag_test_health_err.txt"))
      << fake.first_line << fake.stderr_text();
  httplib::Client cli("127.0.0.1", fake.port);
  auto res = cli.Get("/__admin/health");
  fake.stop();
  ASSERT_TRUE(res);
  Json j = Json::parse(res->body, nullptr, false);
  ASSERT_TRUE(j.contains("data")) << res->body;
  const Json& lag = j["data"]["lag"];
  EXPECT_EQ(lag["spec"], "head=0-800ms;counters=exp:100ms,max=1000ms") << res->body;
  EXPECT_EQ(lag["seed"], 9);
  EXPECT_EQ(lag["headMaxMs"], 800);
}

}  // namespace
}  // namespace rqcheck::fake
