// rq-fake as a library: a local stand-in for the Apify request-queue API that a test starts
// in-process on a free port.
//
//   rqcheck::fake::FakeServerOptions opts;          // 127.0.0.1, port 0, rate limits on
//   opts.store.rate_limits.enabled = false;
//   rqcheck::fake::FakeServer server(opts);
//   if (auto st = server.start(); !st) { /* st.error().message */ }
//   std::string base = server.base_url();           // "http://127.0.0.1:43121"
//   ...                                             // talk to base + "/v2/request-queues"
//   server.stop();                                  // also done by the destructor
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/compliance.h"
#include "rqcheck/fake_server/faults.h"
#include "rqcheck/fake_server/journal.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {

struct FakeServerOptions {
  std::string host = "127.0.0.1";
  int port = 0;  // 0: any free port
  // Workers at most, started on demand: requests in progress at once. A connection that is idle or
  // still sending its request holds no worker (docs/http-hardening.md).
  int threads = 256;
  // Requests computed at once; 0: four per core. The rest wait their turn, first come first
  // served; a request that waits (a latency fault, a slow reader, a durable commit) gives its
  // place up meanwhile, so 64 busy connections do not mean 64 threads sharing 2 cores.
  int running = 0;
  int keep_alive_timeout_secs = 5;  // an idle keep-alive connection is closed after this
  int listen_backlog = 1024;
  // Open connections at most (lowered to fit the descriptor limit); one more is answered 503
  // with Retry-After: 1 and closed.
  int max_connections = 10000;
  int head_timeout_ms = 10000;  // a request head must arrive within this of its first byte: 408
  int body_timeout_ms = 30000;  // and its body within this of the head: 408
  StoreOptions store;
  std::vector<User> users;     // non-empty: only these tokens are accepted
  bool virtual_clock = false;  // time moves only through advance_clock()/set_clock()
  TimeMs virtual_clock_start = 1700000000000;  // 2023-11-14T22:13:20.000Z
  std::string admin_token;              // non-empty: /__admin/ needs "Authorization: Bearer <it>"
  std::ostream* request_log = nullptr;  // one line per request when set
  // "Retry-After" on 429 answers (decision 38: off by default); seconds.
  std::optional<int> retry_after_secs;
  // Fault rules in force from the start (docs/faults.md), and the seed of their random draws
  // (default: store.seed).
  std::vector<Json> fault_rules;
  std::optional<std::uint64_t> fault_seed;
  // Check every incoming request against the request schemas and documented rules; the
  // findings go to the journal and the compliance report. Never changes an answer.
  bool validate_requests = true;
  // The cost budget of the run (docs/cost.md): over it, the compliance report's status is
  // "fail" with a cost.over_budget finding per metric. None by default.
  CostBudget cost_budget;
  std::size_t journal_capacity = 10000;  // entries kept in memory (oldest dropped first)
  // Test-only: names of deliberately wrong behaviours to switch on (see `rq-fake --list-bugs`).
  std::vector<std::string> bugs;
  // Non-empty: every storage lives in this directory too (docs/persistence.md): loaded by
  // start() before the fake listens, every write durable before its 2xx. Empty: memory only.
  std::string data_dir;
  bool sync_full = false;  // fsync every commit (survives power loss; slower)
};

struct BugDescription {
  std::string name, description;
  std::string breaks;  // the rule it breaks: "decision 31", "spec 4 (8)", ...
  std::string seam;    // where: call, store, outcome or reply
  std::string set;     // "first" (written beside the checks) or "second" (from the contract)
};
// Every deliberately wrong behaviour the fake can be switched to.
std::vector<BugDescription> bug_catalogue();

class FakeServer {
 public:
  explicit FakeServer(FakeServerOptions options = {});
  ~FakeServer();
  FakeServer(const FakeServer&) = delete;
  FakeServer& operator=(const FakeServer&) = delete;

  // Binds and starts serving on a background thread. Fails when the address cannot be bound.
  Status start();
  // Stops accepting, finishes in-flight requests and joins the thread. Idempotent.
  void stop();
  // Blocks until stop() is called from another thread (or a signal handler path).
  void wait();
  bool running() const;

  int port() const;
  std::string base_url() const;  // "http://HOST:PORT", no trailing slash

  Store& store();
  // With options.data_dir: blocks until every change made so far (through the API or through
  // store() directly) is committed to the data directory. Without one: Ok at once.
  Status sync();
  FaultEngine& faults();            // add or remove rules at run time
  Journal& journal();               // every API call, with the fault applied and the findings
  ComplianceMonitor& compliance();  // what clients did after faults: report() and summary()
  const Clock& clock() const;
  // Virtual clock only (options.virtual_clock); ignored otherwise.
  void advance_clock(TimeMs ms);
  void set_clock(TimeMs t);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace rqcheck::fake
