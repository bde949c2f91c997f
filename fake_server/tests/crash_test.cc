// A child rq-fake --data-dir under concurrent writes from several clients is killed with SIGKILL
// at seeded random moments, restarted on the same directory, and every acknowledged write must be
// there (docs/persistence.md). Each client writes its own queue (adds, batch adds, PUTs with
// handledAt, locks, deletes), its own key-value record and its own items of a shared dataset, and
// keeps a model: the state its acknowledged writes left, plus the one write whose answer never
// came (which may or may not have happened). After each restart the admin snapshot is compared
// with every model. Also: the process-level refusals (exit 2) of a locked or corrupt directory.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "child_fake.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
using fake::test_support::ChildFake;

std::unique_ptr<httplib::Client> Client(int port) {
  auto c = std::make_unique<httplib::Client>("127.0.0.1", port);
  c->set_tcp_nodelay(true);
  c->set_keep_alive(true);
  c->set_connection_timeout(5, 0);
  c->set_read_timeout(10, 0);
  c->set_write_timeout(10, 0);
  c->set_default_headers({{"Authorization", "Bearer crash-token"}});
  return c;
}

enum class St { kAbsent, kPending, kLocked, kHandled };
const char* Name(St s) {
  switch (s) {
    case St::kAbsent:
      return "absent";
    case St::kPending:
      return "pending";
    case St::kLocked:
      return "locked";
    case St::kHandled:
      return "handled";
  }
  return "?";
}

// What one client knows: the state its acknowledged writes left, and its write in flight.
struct Model {
  int index = 0;
  std::string queue_id;
  std::map<std::string, St> keys;                  // by uniqueKey
  std::map<std::string, St> in_flight;             // what the unanswered write would have done
  bool in_flight_locks = false;                    // an unanswered head/lock: any pending key
  std::optional<std::string> kv_acked, kv_flight;  // the record "c<i>"
  std::set<int> items_acked;
  std::optional<int> item_flight;
  int next = 0;         // counter for new keys, values, items
  long long acked = 0;  // acknowledged writes (all rounds)
  bool failed = false;  // its last call had no answer: it stopped
};

// One client's writes until a call goes unanswered (the kill) or `stop`.
void RunClient(Model& m, int port, std::uint32_t seed, const std::string& kv_id,
               const std::string& ds_id, const std::atomic<bool>& stop) {
  std::mt19937 rng(seed);
  auto c = Client(port);
  const std::string q = "/v2/request-queues/" + m.queue_id;
  const std::string ck = "client" + std::to_string(m.index);
  auto pick = [&](bool pending_only) -> std::optional<std::string> {
    std::vector<std::string> v;
    for (auto& [k, s] : m.keys) {
      if (s == St::kAbsent) continue;
      if (pending_only && s != St::kPending) continue;
      v.push_back(k);
    }
    if (v.empty()) return std::nullopt;
    return v[rng() % v.size()];
  };
  while (!stop.load()) {
    m.in_flight.clear();
    m.in_flight_locks = false;
    m.kv_flight.reset();
    m.item_flight.reset();
    int op = static_cast<int>(rng() % 100);
    std::optional<httplib::Result> res;
    int want = 0;
    std::function<void(const Json&)> on_ack;
    if (op < 20) {  // add one
      std::string k = "c" + std::to_string(m.index) + "-" + std::to_string(m.next++);
      m.in_flight[k] = St::kPending;
      Json body{{"uniqueKey", k}, {"url", "https://example.com/" + k}};
      want = 201;
      res.emplace(c->Post(q + "/requests?clientKey=" + ck, body.dump(), "application/json"));
    } else if (op < 40) {  // batch of 25 new
      Json arr = Json::array();
      for (int i = 0; i < 25; ++i) {
        std::string k = "c" + std::to_string(m.index) + "-" + std::to_string(m.next++);
        m.in_flight[k] = St::kPending;
        arr.push_back({{"uniqueKey", k}, {"url", "https://example.com/" + k}});
      }
      want = 201;
      res.emplace(c->Post(q + "/requests/batch?clientKey=" + ck, arr.dump(), "application/json"));
    } else if (op < 55) {  // PUT with handledAt
      auto k = pick(false);
      if (!k) continue;
      m.in_flight[*k] = St::kHandled;
      Json body{{"id", request_id_for(*k)},
                {"uniqueKey", *k},
                {"url", "https://example.com/" + *k},
                {"handledAt", "2025-01-01T00:00:00.000Z"}};
      want = 200;
      res.emplace(c->Put(q + "/requests/" + request_id_for(*k) + "?clientKey=" + ck, body.dump(),
                         "application/json"));
    } else if (op < 65) {  // delete
      auto k = pick(false);
      if (!k) continue;
      m.in_flight[*k] = St::kAbsent;
      want = 204;
      res.emplace(c->Delete(q + "/requests/" + request_id_for(*k) + "?clientKey=" + ck));
    } else if (op < 78) {  // head and lock
      m.in_flight_locks = true;
      want = 201;
      res.emplace(
          c->Post(q + "/head/lock?lockSecs=3600&limit=3&clientKey=" + ck, "", "application/json"));
      on_ack = [&](const Json& j) {
        for (const auto& it : j["data"]["items"]) m.keys[it["uniqueKey"]] = St::kLocked;
      };
    } else if (op < 89) {  // key-value record
      std::string v = "v" + std::to_string(m.next++);
      m.kv_flight = v;
      want = 201;
      res.emplace(c->Put("/v2/key-value-stores/" + kv_id + "/records/c" + std::to_string(m.index),
                         v, "text/plain"));
      on_ack = [&, v](const Json&) { m.kv_acked = v; };
    } else {  // dataset item
      int n = m.next++;
      m.item_flight = n;
      want = 201;
      Json item{{"c", m.index}, {"n", n}};
      res.emplace(c->Post("/v2/datasets/" + ds_id + "/items", item.dump(), "application/json"));
      on_ack = [&, n](const Json&) { m.items_acked.insert(n); };
    }
    httplib::Result& r = *res;
    if (!r) {
      m.failed = true;  // no answer: the write in flight may or may not have happened
      return;
    }
    if (r->status == 200 && want == 201 && op >= 65 && op < 78) want = 200;
    if (r->status != want) {
      ADD_FAILURE() << "client " << m.index << ": status " << r->status << ": " << r->body;
      m.failed = true;
      return;
    }
    for (auto& [k, s] : m.in_flight) m.keys[k] = s;
    if (on_ack) on_ack(Json::parse(r->body.empty() ? "{}" : r->body, nullptr, false));
    m.in_flight.clear();
    m.in_flight_locks = false;
    m.kv_flight.reset();
    m.item_flight.reset();
    ++m.acked;
  }
}

// Compares the snapshot with a model; adopts what the snapshot shows for the write in flight.
void Check(Model& m, const Json& snap, const std::string& kv_id, const std::string& ds_id,
           int round) {
  std::map<std::string, St> seen;
  for (const auto& q : snap["queues"]) {
    if (q["id"] != m.queue_id) continue;
    for (const auto& r : q["requests"]) {
      St s = r.contains("handledAt")         ? St::kHandled
             : r.contains("__lockExpiresAt") ? St::kLocked
                                             : St::kPending;
      seen[r["uniqueKey"].get<std::string>()] = s;
    }
  }
  std::set<std::string> all;
  for (auto& [k, s] : m.keys) all.insert(k);
  for (auto& [k, s] : m.in_flight) all.insert(k);
  for (auto& [k, s] : seen) all.insert(k);
  for (const std::string& k : all) {
    St got = seen.count(k) ? seen[k] : St::kAbsent;
    St acked = m.keys.count(k) ? m.keys[k] : St::kAbsent;
    bool ok = got == acked;
    if (!ok && m.in_flight.count(k) && m.in_flight[k] == got) ok = true;
    if (!ok && m.in_flight_locks && acked == St::kPending && got == St::kLocked) ok = true;
    EXPECT_TRUE(ok) << "round " << round << ", client " << m.index << ", " << k << ": " << Name(got)
                    << " after the restart, acknowledged " << Name(acked);
    if (got == St::kAbsent)
      m.keys.erase(k);
    else
      m.keys[k] = got;
  }
  std::optional<std::string> value;
  for (const auto& s : snap["keyValueStores"]) {
    if (s["id"] != kv_id) continue;
    for (const auto& r : s["records"]) {
      if (r["key"] == "c" + std::to_string(m.index)) value = r.value("value", "");
    }
  }
  EXPECT_TRUE(value == m.kv_acked || (m.kv_flight && value == m.kv_flight))
      << "round " << round << ", client " << m.index << ": record " << value.value_or("(none)")
      << ", acknowledged " << m.kv_acked.value_or("(none)");
  m.kv_acked = value;
  std::set<int> items;
  for (const auto& d : snap["datasets"]) {
    if (d["id"] != ds_id) continue;
    for (const auto& text : d["items"]) {
      Json it = Json::parse(text.get<std::string>(), nullptr, false);
      if (it.is_object() && it["c"] == m.index) items.insert(it["n"].get<int>());
    }
  }
  for (int n : m.items_acked) {
    EXPECT_TRUE(items.count(n)) << "round " << round << ", client " << m.index
                                << ": acknowledged item " << n << " is gone";
  }
  for (int n : items) {
    EXPECT_TRUE(m.items_acked.count(n) || m.item_flight == n)
        << "round " << round << ", client " << m.index << ": item " << n << " never pushed";
  }
  m.items_acked = items;
  m.in_flight.clear();
  m.in_flight_locks = false;
  m.kv_flight.reset();
  m.item_flight.reset();
  m.failed = false;
}

Json Snapshot(int port) {
  auto c = Client(port);
  auto r = c->Get("/__admin/store");
  if (!r || r->status != 200) return Json();
  Json j = Json::parse(r->body, nullptr, false);
  return j.contains("data") ? j["data"] : j;
}

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("rqcheck-crash-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::vector<std::string> Args(const std::vector<std::string>& extra = {}) const {
    std::vector<std::string> a{"--port", "0", "--no-rate-limit", "--data-dir",
                               (dir_ / "data").string()};
    a.insert(a.end(), extra.begin(), extra.end());
    return a;
  }
  std::string Err() const { return (dir_ / "stderr.txt").string(); }
  fs::path dir_;
};

TEST_F(CrashTest, AcknowledgedWritesSurviveSigkill) {
  const std::uint32_t seed = 20261202;
  const int kClients = 4, kRounds = 6;
  std::mt19937 rng(seed);
  std::vector<Model> models(kClients);
  std::string kv_id, ds_id;
  {
    ChildFake setup;
    ASSERT_TRUE(setup.start(Args(), Err())) << setup.first_line << setup.stderr_text();
    auto c = Client(setup.port);
    for (int i = 0; i < kClients; ++i) {
      auto r =
          c->Post("/v2/request-queues?name=crash-" + std::to_string(i), "", "application/json");
      ASSERT_TRUE(r && r->status == 201);
      models[i].index = i;
      models[i].queue_id = Json::parse(r->body)["data"]["id"];
    }
    auto kv = c->Post("/v2/key-value-stores?name=crash", "", "application/json");
    auto ds = c->Post("/v2/datasets?name=crash", "", "application/json");
    ASSERT_TRUE(kv && kv->status == 201 && ds && ds->status == 201);
    kv_id = Json::parse(kv->body)["data"]["id"];
    ds_id = Json::parse(ds->body)["data"]["id"];
    setup.kill9();  // even the set-up was acknowledged: it must be there
    setup.wait_exit();
  }
  int kills = 0;
  long long checked_before = 0;
  for (int round = 0; round < kRounds; ++round) {
    ChildFake fake;
    auto t0 = Clock::now();
    ASSERT_TRUE(fake.start(Args(), Err())) << fake.first_line << fake.stderr_text();
    double startup_ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    Json snap = Snapshot(fake.port);
    ASSERT_TRUE(snap.is_object()) << "no snapshot after restart " << round;
    for (auto& m : models) Check(m, snap, kv_id, ds_id, round);
    if (::testing::Test::HasFailure()) return;
    std::atomic<bool> stop{false};
    std::vector<std::thread> threads;
    for (int i = 0; i < kClients; ++i) {
      threads.emplace_back(RunClient, std::ref(models[i]), fake.port, seed + 1000 * round + i,
                           kv_id, ds_id, std::cref(stop));
    }
    int after_ms = 150 + static_cast<int>(rng() % 900);
    std::this_thread::sleep_for(std::chrono::milliseconds(after_ms));
    fake.kill9();
    int status = fake.wait_exit();
    ++kills;
    stop = true;
    for (auto& t : threads) t.join();
    long long acked = 0;
    for (auto& m : models) acked += m.acked;
    std::printf(
        "round %d: killed after %d ms (status %d), start-up %.0f ms, %lld writes "
        "acknowledged in this round\n",
        round, after_ms, status, startup_ms, acked - checked_before);
    checked_before = acked;
    EXPECT_EQ(status, 128 + SIGKILL);
  }
  // The last restart: everything of the last round must be there too.
  ChildFake fake;
  ASSERT_TRUE(fake.start(Args(), Err())) << fake.first_line << fake.stderr_text();
  Json snap = Snapshot(fake.port);
  for (auto& m : models) Check(m, snap, kv_id, ds_id, kRounds);
  long long acked = 0;
  std::size_t keys = 0;
  for (auto& m : models) {
    acked += m.acked;
    keys += m.keys.size();
  }
  std::printf("kills survived: %d; acknowledged writes checked: %lld; requests at the end: %zu\n",
              kills, acked, keys);
  RecordProperty("kills_survived", kills);
  RecordProperty("acknowledged_writes", static_cast<int>(acked));
  EXPECT_EQ(kills, kRounds);
  EXPECT_GT(acked, 100) << "too few writes to mean anything";
  fake.kill9();
}

// A second rq-fake on the same directory exits 2 with a clear message; the first keeps serving.
TEST_F(CrashTest, SecondProcessOnTheSameDirectoryExits2) {
  ChildFake first;
  ASSERT_TRUE(first.start(Args(), Err())) << first.first_line;
  ChildFake second;
  EXPECT_FALSE(second.start(Args(), (dir_ / "second.txt").string()));
  EXPECT_EQ(second.wait_exit(), 2);
  EXPECT_NE(second.stderr_text().find("in use by another rq-fake"), std::string::npos)
      << second.stderr_text();
  auto r = Client(first.port)->Get("/__admin/health");
  EXPECT_TRUE(r && r->status == 200);
}

// A corrupt database and one of an unknown format: exit 2, a message naming the file, no port.
TEST_F(CrashTest, CorruptDatabaseExits2) {
  fs::create_directories(dir_ / "data");
  std::ofstream(dir_ / "data" / "rq-fake.db") << "this is not a database, it is a shopping list";
  ChildFake fake;
  EXPECT_FALSE(fake.start(Args(), Err()));
  EXPECT_EQ(fake.wait_exit(), 2);
  std::string err = fake.stderr_text();
  EXPECT_NE(err.find("rq-fake.db"), std::string::npos) << err;
  EXPECT_NE(err.find("will not start"), std::string::npos) << err;
}

}  // namespace
}  // namespace rqcheck
