#include "rqcheck/soak/soak.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <functional>
#include <iomanip>
#include <limits>
#include <memory>
#include <random>
#include <set>
#include <sstream>
#include <thread>
#include <utility>

#include "rqcheck/client/http_client.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/server.h"

namespace rqcheck::soak {

namespace {

using client::HttpClient;

constexpr const char* kPresentOnce = "soak.writes.present_once";
constexpr const char* kNeverSent = "soak.writes.never_sent";
constexpr const char* kHandled = "soak.handled.last_update";
constexpr const char* kCounters = "soak.counters.match_list";
constexpr const char* kExclusive = "soak.locks.exclusive";
constexpr const char* kWalk = "soak.pagination.walk";
constexpr const char* kReadYourWrites = "soak.read_your_writes";
constexpr const char* kOwnerOnly = "soak.locks.owner_only";
constexpr const char* kQueues = "soak.queues";
constexpr const char* kCalls = "soak.calls";

constexpr std::size_t kKeptPerProperty = 5;  // violations kept with their evidence
// Our own events are timed in microseconds of the system clock (the target's lock expiries, in
// milliseconds of its clock, are converted): a millisecond holds several calls, and two events
// in the same tick have no known order. Comparisons between events are strict.
using Micros = std::int64_t;
constexpr Micros kForever = std::numeric_limits<Micros>::max();

Micros now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

// SplitMix64: the same draws on every platform for a seed.
struct Rng {
  std::uint64_t state;
  std::uint64_t next() {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  std::size_t below(std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(next() % n); }
  bool percent(int p) { return below(100) < static_cast<std::size_t>(p); }
};

// Checks and violations of one client (merged after the run).
struct Findings {
  std::map<std::string, std::int64_t> checks, violation_counts;
  std::vector<Violation> violations;

  // Counts one assertion of `property`; `detail` is built only when it fails.
  template <typename Detail>
  bool expect(const char* property, bool ok, Detail&& detail) {
    ++checks[property];
    if (!ok) fail(property, detail());
    return ok;
  }
  void fail(const char* property, std::string detail) {
    std::int64_t n = ++violation_counts[property];
    if (static_cast<std::size_t>(n) <= kKeptPerProperty)
      violations.push_back({property, std::move(detail)});
  }
  void merge(const Findings& o) {
    for (const auto& [k, v] : o.checks) checks[k] += v;
    for (const auto& v : o.violations) {
      if (static_cast<std::size_t>(violation_counts[v.property]) < kKeptPerProperty) {
        auto kept = std::count_if(violations.begin(), violations.end(),
                                  [&](const Violation& x) { return x.property == v.property; });
        if (static_cast<std::size_t>(kept) < kKeptPerProperty) violations.push_back(v);
      }
    }
    for (const auto& [k, v] : o.violation_counts) violation_counts[k] += v;
  }
};

std::string describe(const ApiError& e) {
  std::string s = e.status ? std::to_string(e.status) : std::string("transport");
  s += " " + e.type + ": " + e.message.substr(0, 200);
  return s;
}

// A write whose answer did not come (status 0 or >= 500) may or may not have been applied.
bool outcome_unknown(const ApiError& e) { return e.status == 0 || e.status >= 500; }

// ---- the write queue: each client owns its keys --------------------------------------------

// What one client knows of one of its own keys. Only its owner writes it, so while it is not
// `uncertain` the state is exact.
struct KeyState {
  std::string key, id;
  bool present = false;
  bool handled = false;
  std::string handled_at;  // the value sent, when handled
  int version = 0;         // userData.v of the stored request
  bool uncertain = false;  // a write got no answer
  std::set<int> sent_versions;
  // Intervals during which the key was surely present (creation acknowledged .. delete sent).
  std::optional<Micros> present_since;
  std::vector<std::pair<Micros, Micros>> present_intervals;
};

// One full cursor walk of a queue's requests.
struct Walk {
  int client = 0;
  Micros start = 0, end = 0;
  bool complete = false;
  std::set<std::string> ids;
};

// ---- the lock queue --------------------------------------------------------------------------

struct Grant {
  std::string id;
  int client = 0;
  Micros sent = 0, recv = 0;
  Micros expires = 0;  // the target's lockExpiresAt (latest after prolongs)
  std::optional<Micros> released_sent, released_recv;
  // Until when the lock was surely held by this grant.
  Micros surely_held_until(Micros margin) const {
    Micros end = expires - margin;
    if (released_sent) end = std::min(end, *released_sent);
    return end;
  }
  // From when this client surely holds it no more.
  Micros surely_gone_after(Micros margin) const {
    if (released_recv) return *released_recv;
    return expires + margin;
  }
};

struct HandledMark {
  std::string id;
  Micros sent = 0, recv = 0;
  bool acknowledged = false;
};

struct LockKey {
  std::string key, id;
  Micros added_recv = 0;
  bool acknowledged = false;
};

// ---- shared setup ----------------------------------------------------------------------------

struct Shared {
  std::string write_queue, lock_queue, prefix;
  std::vector<std::string> initial_lock_ids;             // known to every client
  std::map<std::string, std::string> initial_lock_keys;  // id -> uniqueKey
  Micros margin = 50000;
  Micros deadline = 0;
  std::atomic<std::int64_t> calls{0};
};

std::string url_for(const std::string& key) { return "http://soak.example/" + key; }

// ---- one client --------------------------------------------------------------------------------

class Worker {
 public:
  Worker(int index, const SoakOptions& o, const std::string& base_url, Shared& shared)
      : index_(index), shared_(shared) {
    client_key_ = "soak-c" + std::to_string(index);
    client::ClientConfig cfg;
    cfg.base_url = base_url;
    cfg.token = o.token;
    cfg.client_key = client_key_;
    // Only a 429 is retried: it changed nothing (decision 37). A retried write after a lost
    // answer could apply twice, which would blur what the bookkeeping knows.
    cfg.retry = client::RetryPolicy::none();
    cfg.retry.max_retries = 8;
    cfg.retry.min_delay = std::chrono::milliseconds(50);
    cfg.retry.retry_on_rate_limit = true;
    cfg.retry.retry_on_server_error = false;
    cfg.retry.retry_on_transport_error = false;
    cfg.retry.seed = o.seed + static_cast<std::uint64_t>(index);
    cfg.log_capacity = 4;
    cfg.log_body_limit = 1024;
    http_ = std::make_unique<HttpClient>(cfg);
    rng_.state = o.seed ^ (0x9e3779b97f4a7c15ULL * static_cast<std::uint64_t>(index + 1));
    mix_.state = rng_.next() ^ 0x5bd1e995ULL;
    keys_.resize(static_cast<std::size_t>(std::max(1, o.keys_per_client)));
    for (std::size_t k = 0; k < keys_.size(); ++k) {
      keys_[k].key = "c" + std::to_string(index) + "-" + std::to_string(k);
      keys_[k].id = request_id_for(keys_[k].key);
    }
  }

  void run() {
    while (now_us() < shared_.deadline) step();
    for (auto& k : keys_) {
      if (k.present_since) k.present_intervals.emplace_back(*k.present_since, kForever);
      k.present_since.reset();
    }
  }

  int index() const { return index_; }
  Findings& findings() { return findings_; }
  const std::map<std::string, OperationCount>& operations() const { return ops_; }
  const std::vector<KeyState>& keys() const { return keys_; }
  const std::vector<Walk>& walks() const { return walks_; }
  const std::vector<Grant>& grants() const { return grants_; }
  const std::vector<HandledMark>& handled_marks() const { return marks_; }
  const std::vector<LockKey>& lock_keys() const { return lock_keys_; }
  bool lock_uncertain() const { return lock_uncertain_; }

 private:
  // Counts a call of `op`; a failure the soak did not expect is a soak.calls violation.
  void count(const char* op, bool failed) {
    ++shared_.calls;
    auto& c = ops_[op];
    ++c.calls;
    if (failed) ++c.failed;
  }
  // Counts the call and returns whether it succeeded. A 429 (rate limited even after the
  // client's retries) changed nothing and is no violation; any other failure is one.
  template <typename T>
  bool expect_ok(const char* op, const Result<T>& r) {
    count(op, !r.ok());
    ++findings_.checks[kCalls];
    if (r.ok() || r.error().status == 429) return r.ok();
    findings_.fail(kCalls, std::string(op) + ": " + describe(r.error()));
    return false;
  }

  // ---- the op mix ----
  void step() {
    struct Choice {
      int weight;
      void (Worker::*fn)();
    };
    static const Choice kMix[] = {
        {12, &Worker::add},         {6, &Worker::batch_add},   {8, &Worker::get},
        {10, &Worker::update},      {5, &Worker::remove},      {3, &Worker::batch_delete},
        {2, &Worker::walk_writes},  {3, &Worker::head},        {3, &Worker::get_write_queue},
        {10, &Worker::head_lock},   {5, &Worker::prolong},     {4, &Worker::delete_lock},
        {6, &Worker::mark_handled}, {2, &Worker::unlock},      {3, &Worker::refill_locks},
        {1, &Worker::walk_locked},  {1, &Worker::queue_cycle},
    };
    int total = 0;
    for (const auto& c : kMix) total += c.weight;
    // The mix has its own draws, so the same seed gives each client the same sequence of
    // operations whatever the answers were.
    int pick = static_cast<int>(mix_.below(static_cast<std::size_t>(total)));
    for (const auto& c : kMix) {
      if (pick < c.weight) {
        (this->*c.fn)();
        return;
      }
      pick -= c.weight;
    }
  }

  KeyState& any_key() { return keys_[rng_.below(keys_.size())]; }

  Json body_for(KeyState& k, int version, const std::optional<std::string>& handled_at,
                bool with_id) {
    Json j = {{"uniqueKey", k.key},
              {"url", url_for(k.key)},
              {"userData", {{"c", index_}, {"v", version}}}};
    if (with_id) j["id"] = k.id;
    if (handled_at) j["handledAt"] = *handled_at;
    k.sent_versions.insert(version);
    return j;
  }

  std::optional<std::string> maybe_handled_at(int pct) {
    if (!rng_.percent(pct)) return std::nullopt;
    return format_iso8601(1700000000000 + static_cast<TimeMs>(rng_.below(1000000)) * 1000);
  }

  // The model after a write acknowledged at `recv` that leaves the key present.
  static void now_present(KeyState& k, Micros recv) {
    if (!k.present_since) k.present_since = recv;
  }
  static void now_absent(KeyState& k, Micros sent) {
    if (k.present_since) k.present_intervals.emplace_back(*k.present_since, sent);
    k.present_since.reset();
  }

  void check_add_flags(const KeyState& k, const std::string& request_id, bool was_present,
                       bool was_handled, const char* op) {
    findings_.expect(kReadYourWrites, request_id == k.id, [&] {
      return std::string(op) + " of " + k.key + " answered requestId " + request_id +
             ", expected " + k.id;
    });
    if (k.uncertain) return;
    findings_.expect(kReadYourWrites, was_present == k.present, [&] {
      return std::string(op) + " of " + k.key + " answered wasAlreadyPresent " +
             (was_present ? "true" : "false") + "; its only writer knows it is " +
             (k.present ? "present" : "absent");
    });
    bool expect_handled = k.present && k.handled;
    findings_.expect(kReadYourWrites, was_handled == expect_handled, [&] {
      return std::string(op) + " of " + k.key + " answered wasAlreadyHandled " +
             (was_handled ? "true" : "false") + ", expected " + (expect_handled ? "true" : "false");
    });
  }

  // A new request with this content, or nothing when it was present (decision 21).
  void apply_add(KeyState& k, int version, const std::optional<std::string>& handled_at,
                 bool was_present, Micros recv) {
    if (k.uncertain) {
      // The answer says whether it was there; its content stays unknown when it was.
      if (was_present) {
        now_present(k, recv);
        return;
      }
      k.uncertain = false;
    } else if (was_present) {
      return;
    }
    k.present = true;
    k.version = version;
    k.handled = handled_at.has_value();
    k.handled_at = handled_at.value_or("");
    now_present(k, recv);
  }

  void add() {
    KeyState& k = any_key();
    int v = ++version_;
    auto handled_at = maybe_handled_at(20);
    client::WriteOptions wo;
    if (rng_.percent(20)) wo.forefront = true;
    auto r = http_->add_request(shared_.write_queue, body_for(k, v, handled_at, false), wo);
    Micros recv = now_us();
    if (!expect_ok("requestQueue_requests_post", r)) {
      if (outcome_unknown(r.error())) k.uncertain = true;
      return;
    }
    check_add_flags(k, r->request_id, r->was_already_present, r->was_already_handled, "add");
    apply_add(k, v, handled_at, r->was_already_present, recv);
  }

  void batch_add() {
    std::size_t n = 1 + rng_.below(25);
    std::vector<std::size_t> picks;
    while (picks.size() < std::min(n, keys_.size())) {
      std::size_t i = rng_.below(keys_.size());
      if (std::find(picks.begin(), picks.end(), i) == picks.end()) picks.push_back(i);
    }
    std::vector<Json> items;
    std::vector<int> versions;
    std::vector<std::optional<std::string>> handled;
    for (std::size_t i : picks) {
      int v = ++version_;
      auto h = maybe_handled_at(20);
      items.push_back(body_for(keys_[i], v, h, false));
      versions.push_back(v);
      handled.push_back(h);
    }
    auto r = http_->batch_add_requests(shared_.write_queue, items);
    Micros recv = now_us();
    if (!expect_ok("requestQueue_requests_batch_post", r)) {
      if (outcome_unknown(r.error())) {
        for (std::size_t i : picks) keys_[i].uncertain = true;
      }
      return;
    }
    for (std::size_t p = 0; p < picks.size(); ++p) {
      KeyState& k = keys_[picks[p]];
      const ProcessedRequest* done = nullptr;
      for (const auto& pr : r->processed) {
        if (pr.unique_key == k.key) done = &pr;
      }
      bool refused =
          std::any_of(r->unprocessed.begin(), r->unprocessed.end(),
                      [&](const UnprocessedRequest& u) { return u.unique_key == k.key; });
      findings_.expect(kCalls, (done != nullptr) != refused, [&] {
        return "batch add: item " + k.key + " is in " +
               (done ? "both processedRequests and unprocessedRequests"
                     : "neither processedRequests nor unprocessedRequests");
      });
      if (!done) {
        if (!refused) k.uncertain = true;
        continue;
      }
      check_add_flags(k, done->request_id, done->was_already_present, done->was_already_handled,
                      "batch add");
      apply_add(k, versions[p], handled[p], done->was_already_present, recv);
    }
  }

  void get() {
    KeyState& k = any_key();
    auto r = http_->get_request(shared_.write_queue, k.id);
    Micros recv = now_us();
    if (!r.ok() && r.error().status == 404) {
      count("requestQueue_request_get", false);
      if (k.uncertain) {
        k.uncertain = false;  // now known: absent
        k.present = false;
        return;
      }
      findings_.expect(kReadYourWrites, !k.present, [&] {
        return "get " + k.key + ": 404, but its only writer knows it is present (version " +
               std::to_string(k.version) + ")";
      });
      return;
    }
    if (!expect_ok("requestQueue_request_get", r)) return;
    const Json& j = *r;
    int v = -1;
    if (j.contains("userData") && j["userData"].is_object() && j["userData"].contains("v") &&
        j["userData"]["v"].is_number_integer())
      v = j["userData"]["v"].get<int>();
    std::optional<std::string> handled_at;
    if (j.contains("handledAt") && j["handledAt"].is_string())
      handled_at = j["handledAt"].get<std::string>();
    findings_.expect(kNeverSent,
                     k.sent_versions.count(v) == 1 && j.value("url", "") == url_for(k.key),
                     [&] { return "get " + k.key + " returned content never sent: " + j.dump(); });
    if (k.uncertain) {  // resynchronised from what is stored
      k.uncertain = false;
      k.present = true;
      k.version = v;
      k.handled = handled_at.has_value();
      k.handled_at = handled_at.value_or("");
      now_present(k, recv);
      return;
    }
    findings_.expect(kReadYourWrites, k.present, [&] {
      return "get " + k.key + ": 200, but its only writer knows it is absent: " + j.dump();
    });
    if (!k.present) return;
    findings_.expect(kReadYourWrites, v == k.version, [&] {
      return "get " + k.key + ": userData.v " + std::to_string(v) + ", last write was " +
             std::to_string(k.version);
    });
    findings_.expect(kHandled, handled_at.value_or("") == k.handled_at, [&] {
      return "get " + k.key + ": handledAt " + handled_at.value_or("null") +
             ", the last acknowledged write set " + (k.handled ? k.handled_at : "null");
    });
  }

  void update() {
    KeyState& k = any_key();
    int v = ++version_;
    auto handled_at = maybe_handled_at(50);
    client::WriteOptions wo;
    if (rng_.percent(20)) wo.forefront = true;
    auto r = http_->update_request(shared_.write_queue, k.id,
                                   body_for(k, v, handled_at, rng_.percent(50)), wo);
    Micros recv = now_us();
    if (!expect_ok("requestQueue_request_put", r)) {
      if (outcome_unknown(r.error())) k.uncertain = true;
      return;
    }
    check_add_flags(k, r->request_id, r->was_already_present, r->was_already_handled, "update");
    k.uncertain = false;  // a replace (decision 4: an upsert when absent) fixes the content
    k.present = true;
    k.version = v;
    k.handled = handled_at.has_value();
    k.handled_at = handled_at.value_or("");
    now_present(k, recv);
  }

  void remove() {
    KeyState& k = any_key();
    Micros sent = now_us();
    auto r = http_->delete_request(shared_.write_queue, k.id);
    now_absent(k, sent);
    if (!expect_ok("requestQueue_request_delete", r)) {
      if (outcome_unknown(r.error())) k.uncertain = true;
      return;
    }
    k.uncertain = false;
    k.present = false;
  }

  void batch_delete() {
    std::size_t n = 1 + rng_.below(10);
    std::vector<std::size_t> picks;
    while (picks.size() < std::min(n, keys_.size())) {
      std::size_t i = rng_.below(keys_.size());
      if (std::find(picks.begin(), picks.end(), i) == picks.end()) picks.push_back(i);
    }
    std::vector<Json> items;
    std::vector<bool> by_id;
    for (std::size_t i : picks) {
      bool id = rng_.percent(50);
      items.push_back(id ? Json{{"id", keys_[i].id}} : Json{{"uniqueKey", keys_[i].key}});
      by_id.push_back(id);
    }
    Micros sent = now_us();
    auto r = http_->batch_delete_requests(shared_.write_queue, items);
    if (!expect_ok("requestQueue_requests_batch_delete", r)) {
      if (outcome_unknown(r.error())) {
        for (std::size_t i : picks) {
          now_absent(keys_[i], sent);
          keys_[i].uncertain = true;
        }
      }
      return;
    }
    for (std::size_t p = 0; p < picks.size(); ++p) {
      KeyState& k = keys_[picks[p]];
      auto matches = [&](const std::optional<std::string>& id,
                         const std::optional<std::string>& uk) {
        return (id && *id == k.id) || (uk && *uk == k.key);
      };
      bool done = std::any_of(r->processed.begin(), r->processed.end(),
                              [&](const DeletedRequest& d) { return matches(d.id, d.unique_key); });
      bool refused = std::any_of(r->unprocessed.begin(), r->unprocessed.end(), [&](const Json& u) {
        auto id = u.contains("id") && u["id"].is_string()
                      ? std::optional(u["id"].get<std::string>())
                      : std::nullopt;
        auto uk = u.contains("uniqueKey") && u["uniqueKey"].is_string()
                      ? std::optional(u["uniqueKey"].get<std::string>())
                      : std::nullopt;
        return matches(id, uk);
      });
      findings_.expect(kCalls, done != refused, [&] {
        return "batch delete: item " + k.key + " is in " +
               (done ? "both lists" : "neither processedRequests nor unprocessedRequests");
      });
      if (done) {
        now_absent(k, sent);
        k.uncertain = false;
        k.present = false;
      } else if (!refused) {
        now_absent(k, sent);
        k.uncertain = true;
      }
    }
  }

  // A full cursor walk, recorded for the check of soak.pagination.walk after the run.
  Walk walk(const std::string& queue, std::int64_t limit, const std::vector<std::string>& filter,
            const char* what) {
    Walk w;
    w.client = index_;
    w.start = now_us();
    std::optional<std::string> cursor;
    for (int page = 0; page < 2000; ++page) {
      client::ListRequestsOptions lo;
      lo.limit = limit;
      lo.cursor = cursor;
      lo.filter = filter;
      auto r = http_->list_requests(queue, lo);
      if (!expect_ok("requestQueue_requests_get", r)) return w;
      for (const auto& item : r->items) {
        std::string id = item.value("id", "");
        bool fresh = w.ids.insert(id).second;
        findings_.expect(kWalk, fresh, [&] {
          return std::string(what) + " walk (limit " + std::to_string(limit) + ") returned " + id +
                 " twice";
        });
      }
      if (!r->next_cursor) {
        w.complete = true;
        w.end = now_us();
        return w;
      }
      cursor = r->next_cursor;
    }
    findings_.fail(kWalk, std::string(what) + " walk did not end after 2000 pages");
    return w;
  }

  void walk_writes() {
    Walk w = walk(shared_.write_queue, static_cast<std::int64_t>(5 + rng_.below(96)), {}, "write");
    if (w.complete) walks_.push_back(std::move(w));
  }

  void walk_locked() {
    // Only duplicates are checked here: what is locked changes all the time.
    walk(shared_.lock_queue, static_cast<std::int64_t>(5 + rng_.below(46)), {"locked"}, "locked");
  }

  void head() {
    client::HeadOptions ho;
    ho.limit = 100;
    auto r = http_->list_head(shared_.write_queue, ho);
    if (!expect_ok("requestQueue_head_get", r)) return;
    for (const auto& item : r->items) {
      auto it = std::find_if(keys_.begin(), keys_.end(),
                             [&](const KeyState& k) { return k.id == item.id; });
      if (it == keys_.end() || it->uncertain) continue;  // another client's key, or unknown
      findings_.expect(kReadYourWrites, it->present && !it->handled, [&] {
        return "head lists " + it->key + ", which its only writer knows is " +
               (it->present ? "handled" : "absent");
      });
    }
  }

  void get_write_queue() {
    auto r = http_->get_queue(shared_.write_queue);
    if (!expect_ok("requestQueue_get", r)) return;
    findings_.expect(kCounters,
                     r->total_request_count == r->handled_request_count + r->pending_request_count,
                     [&] {
                       return "queue counters: total " + std::to_string(r->total_request_count) +
                              " != handled " + std::to_string(r->handled_request_count) +
                              " + pending " + std::to_string(r->pending_request_count);
                     });
  }

  // ---- locks ----

  // Drops from `held_` what may have expired.
  void forget_expiring() {
    Micros now = now_us();
    for (auto it = held_.begin(); it != held_.end();) {
      // Half a second of slack: a call made on it must reach the target before it expires.
      if (grants_[it->second].expires - shared_.margin <= now + 500000)
        it = held_.erase(it);
      else
        ++it;
    }
  }

  std::int64_t lock_secs() {
    static const std::int64_t kSecs[] = {1, 2, 5, 30};
    return kSecs[rng_.below(4)];
  }

  void head_lock() {
    forget_expiring();
    client::LockHeadOptions lo;
    lo.lock_secs = lock_secs();
    // Mostly a few at a time; sometimes crawlee's 25, which empties the pool of unlocked ones.
    lo.limit = held_.size() >= 8  ? 1
               : rng_.percent(20) ? 25
                                  : static_cast<std::int64_t>(1 + rng_.below(5));
    Micros sent = now_us();
    auto r = http_->list_and_lock_head(shared_.lock_queue, lo);
    Micros recv = now_us();
    if (!expect_ok("requestQueue_head_lock_post", r)) {
      if (outcome_unknown(r.error())) lock_uncertain_ = true;
      return;
    }
    for (const auto& item : r->items) {
      Grant g;
      g.id = item.id;
      g.client = index_;
      g.sent = sent;
      g.recv = recv;
      g.expires = item.lock_expires_at.value_or(0) * 1000;
      findings_.expect(kCalls, item.lock_expires_at.has_value(),
                       [&] { return "head/lock item " + item.id + " has no lockExpiresAt"; });
      grants_.push_back(g);
      held_[item.id] = grants_.size() - 1;
    }
  }

  // A request this client surely does not hold: one of the first ones, with no grant of ours
  // that may still be in force.
  std::optional<std::string> surely_not_mine() {
    if (shared_.initial_lock_ids.empty() || lock_uncertain_) return std::nullopt;
    const std::string& id = shared_.initial_lock_ids[rng_.below(shared_.initial_lock_ids.size())];
    Micros now = now_us();
    for (const auto& g : grants_) {
      if (g.id == id && g.surely_gone_after(shared_.margin) >= now) return std::nullopt;
    }
    return id;
  }

  // One of ours that is surely still held for a while, or nullopt.
  std::optional<std::size_t> pick_held() {
    forget_expiring();
    if (held_.empty()) return std::nullopt;
    auto it = held_.begin();
    std::advance(it, static_cast<long>(rng_.below(held_.size())));
    return it->second;
  }

  void prolong() {
    client::ProlongLockOptions po;
    po.lock_secs = lock_secs();
    if (auto gi = pick_held()) {
      Grant& g = grants_[*gi];
      auto r = http_->prolong_request_lock(shared_.lock_queue, g.id, po);
      Micros recv = now_us();
      if (!expect_ok("requestQueue_request_lock_put", r)) return;
      findings_.expect(kOwnerOnly, *r * 1000 >= recv + po.lock_secs * 1000000 - 5000000, [&] {
        return "prolong of " + g.id + " by " + std::to_string(po.lock_secs) +
               " s answered lockExpiresAt " + format_iso8601(*r);
      });
      g.expires = std::max(g.expires, *r * 1000);
      return;
    }
    auto id = surely_not_mine();
    if (!id) return;
    auto r = http_->prolong_request_lock(shared_.lock_queue, *id, po);
    count("requestQueue_request_lock_put", false);
    findings_.expect(kOwnerOnly, !r.ok() && (r.error().status == 400 || r.error().status == 403),
                     [&] {
                       return "prolong of " + *id + " by " + client_key_ +
                              ", which does not hold it, answered " +
                              (r.ok() ? std::string("success") : describe(r.error()));
                     });
  }

  void delete_lock() {
    if (auto gi = pick_held()) {
      Grant& g = grants_[*gi];
      Micros sent = now_us();
      auto r = http_->delete_request_lock(shared_.lock_queue, g.id);
      Micros recv = now_us();
      g.released_sent = sent;
      held_.erase(g.id);
      if (!expect_ok("requestQueue_request_lock_delete", r)) {
        if (outcome_unknown(r.error())) lock_uncertain_ = true;
        return;
      }
      g.released_recv = recv;
      return;
    }
    auto id = surely_not_mine();
    if (!id) return;
    auto r = http_->delete_request_lock(shared_.lock_queue, *id);
    count("requestQueue_request_lock_delete", false);
    findings_.expect(kOwnerOnly, !r.ok() && (r.error().status == 400 || r.error().status == 403),
                     [&] {
                       return "delete lock of " + *id + " by " + client_key_ +
                              ", which does not hold it, answered " +
                              (r.ok() ? std::string("success") : describe(r.error()));
                     });
  }

  void mark_handled() {
    auto gi = pick_held();
    if (!gi) return;
    Grant& g = grants_[*gi];
    std::string key;
    if (auto it = shared_.initial_lock_keys.find(g.id); it != shared_.initial_lock_keys.end())
      key = it->second;
    for (const auto& lk : lock_keys_) {
      if (lk.id == g.id) key = lk.key;
    }
    // The holder needs the request's uniqueKey: it fetches the request (as crawlee does).
    if (key.empty()) {
      auto got = http_->get_request(shared_.lock_queue, g.id);
      if (!expect_ok("requestQueue_request_get", got)) return;
      key = got->value("uniqueKey", "");
    }
    Json body = {{"id", g.id},
                 {"uniqueKey", key},
                 {"url", url_for(key)},
                 {"handledAt", format_iso8601(now_us() / 1000)}};
    HandledMark m{g.id, now_us(), 0, false};
    g.released_sent = m.sent;
    held_.erase(g.id);
    auto r = http_->update_request(shared_.lock_queue, g.id, body);
    m.recv = now_us();
    if (expect_ok("requestQueue_request_put", r)) {
      m.acknowledged = true;
      g.released_recv = m.recv;
      findings_.expect(kHandled, r->was_already_present && !r->was_already_handled, [&] {
        return "marking the locked request " + g.id + " handled answered wasAlreadyPresent " +
               (r->was_already_present ? "true" : "false") + ", wasAlreadyHandled " +
               (r->was_already_handled ? "true" : "false") + " (expected true, false)";
      });
    } else if (outcome_unknown(r.error())) {
      lock_uncertain_ = true;
    }
    marks_.push_back(m);
  }

  void unlock() {
    Micros sent = now_us();
    std::int64_t surely = 0, possibly = 0;
    for (auto& g : grants_) {
      if (g.released_sent) continue;
      if (g.surely_held_until(shared_.margin) > sent) ++surely;
      if (g.surely_gone_after(shared_.margin) > sent) ++possibly;
    }
    auto r = http_->unlock_requests(shared_.lock_queue);
    Micros recv = now_us();
    for (auto& g : grants_) {
      if (g.released_sent) continue;
      g.released_sent = sent;
      g.released_recv = recv;
    }
    held_.clear();
    if (!expect_ok("requestQueue_requests_unlock_post", r)) {
      if (outcome_unknown(r.error())) lock_uncertain_ = true;
      return;
    }
    if (lock_uncertain_) return;
    findings_.expect(kOwnerOnly, *r >= surely && *r <= possibly, [&] {
      return "unlock by " + client_key_ + " released " + std::to_string(*r) + "; it surely held " +
             std::to_string(surely) + " and at most " + std::to_string(possibly);
    });
  }

  void refill_locks() {
    std::vector<Json> items;
    std::vector<LockKey> added;
    for (int i = 0; i < 3; ++i) {
      LockKey lk;
      lk.key = "l-c" + std::to_string(index_) + "-" + std::to_string(lock_seq_++);
      lk.id = request_id_for(lk.key);
      items.push_back(Json{{"uniqueKey", lk.key}, {"url", url_for(lk.key)}});
      added.push_back(lk);
    }
    auto r = http_->batch_add_requests(shared_.lock_queue, items);
    Micros recv = now_us();
    bool ok = expect_ok("requestQueue_requests_batch_post", r);
    for (auto& lk : added) {
      if (ok) {
        lk.acknowledged =
            std::any_of(r->processed.begin(), r->processed.end(),
                        [&](const ProcessedRequest& p) { return p.unique_key == lk.key; });
        lk.added_recv = recv;
      }
      lock_keys_.push_back(lk);
    }
  }

  // get-or-create (twice), get, rename, list, delete and get again of a scratch queue.
  void queue_cycle() {
    std::string name =
        shared_.prefix + "-c" + std::to_string(index_) + "-" + std::to_string(scratch_seq_++);
    auto a = http_->get_or_create_queue(name);
    if (!expect_ok("requestQueues_post", a)) return;
    auto b = http_->get_or_create_queue(name);
    if (expect_ok("requestQueues_post", b)) {
      findings_.expect(kQueues, b->id == a->id, [&] {
        return "get-or-create of \"" + name + "\" gave " + a->id + ", then " + b->id;
      });
    }
    auto g = http_->get_queue(a->id);
    if (expect_ok("requestQueue_get", g)) {
      findings_.expect(kQueues, g->name && *g->name == name,
                       [&] { return "queue " + a->id + " is named " + g->name.value_or("null"); });
    }
    client::QueueUpdate up;
    up.name = name + "-r";
    auto u = http_->update_queue(a->id, up);
    if (expect_ok("requestQueue_put", u)) {
      findings_.expect(kQueues, u->name && *u->name == name + "-r", [&] {
        return "renamed queue " + a->id + " answered name " + u->name.value_or("null");
      });
    }
    auto l = http_->list_queues({});
    if (expect_ok("requestQueues_get", l) &&
        l->total <= static_cast<std::int64_t>(l->items.size())) {
      bool listed = std::any_of(l->items.begin(), l->items.end(),
                                [&](const RequestQueueInfo& q) { return q.id == a->id; });
      findings_.expect(kQueues, listed,
                       [&] { return "the named queue " + a->id + " is not in the queue list"; });
    }
    auto d = http_->delete_queue(a->id);
    if (!expect_ok("requestQueue_delete", d)) return;
    auto gone = http_->get_queue(a->id);
    count("requestQueue_get", false);
    findings_.expect(kQueues, !gone.ok() && gone.error().status == 404, [&] {
      return "queue " + a->id + " answered " +
             (gone.ok() ? std::string("200") : describe(gone.error())) + " after its delete";
    });
  }

  int index_;
  Shared& shared_;
  std::string client_key_;
  std::unique_ptr<HttpClient> http_;
  Rng rng_{0};  // arguments
  Rng mix_{0};  // which operation comes next
  Findings findings_;
  std::map<std::string, OperationCount> ops_;
  std::vector<KeyState> keys_;
  std::vector<Walk> walks_;
  std::vector<Grant> grants_;
  std::map<std::string, std::size_t> held_;  // id -> index in grants_
  std::vector<HandledMark> marks_;
  std::vector<LockKey> lock_keys_;
  bool lock_uncertain_ = false;
  int version_ = 0;
  int lock_seq_ = 0;
  int scratch_seq_ = 0;
};

// ---- reading everything back -------------------------------------------------------------------

struct Listing {
  std::vector<Json> items;
  bool ok = false;
  std::string error;
};

Listing read_all(HttpClient& http, const std::string& queue) {
  Listing out;
  std::optional<std::string> cursor;
  for (int page = 0; page < 100000; ++page) {
    client::ListRequestsOptions lo;
    lo.limit = 1000;
    lo.cursor = cursor;
    auto r = http.list_requests(queue, lo);
    if (!r) {
      out.error = describe(r.error());
      return out;
    }
    for (auto& it : r->items) out.items.push_back(it);
    if (!r->next_cursor) {
      out.ok = true;
      return out;
    }
    cursor = r->next_cursor;
  }
  out.error = "the list did not end";
  return out;
}

std::string interval_text(const KeyState& k) {
  std::string s;
  for (const auto& [a, b] : k.present_intervals) {
    if (!s.empty()) s += ", ";
    s += std::to_string(a) + ".." + (b == kForever ? std::string("end") : std::to_string(b));
  }
  return s;
}

void check_counters(Findings& f, HttpClient& http, const std::string& queue, const char* what,
                    const Listing& list) {
  auto q = http.get_queue(queue);
  if (!f.expect(kCalls, q.ok(),
                [&] { return std::string("get ") + what + " queue: " + describe(q.error()); }))
    return;
  std::int64_t total = static_cast<std::int64_t>(list.items.size());
  std::int64_t handled = std::count_if(list.items.begin(), list.items.end(), [](const Json& j) {
    return j.contains("handledAt") && !j["handledAt"].is_null();
  });
  f.expect(kCounters, q->total_request_count == total, [&] {
    return std::string(what) + " queue: totalRequestCount " +
           std::to_string(q->total_request_count) + ", the list shows " + std::to_string(total);
  });
  f.expect(kCounters, q->handled_request_count == handled, [&] {
    return std::string(what) + " queue: handledRequestCount " +
           std::to_string(q->handled_request_count) + ", the list shows " + std::to_string(handled);
  });
  f.expect(kCounters, q->pending_request_count == total - handled, [&] {
    return std::string(what) + " queue: pendingRequestCount " +
           std::to_string(q->pending_request_count) + ", the list shows " +
           std::to_string(total - handled);
  });
}

void final_checks(Findings& f, HttpClient& http, const Shared& shared,
                  const std::vector<std::unique_ptr<Worker>>& workers, SoakReport& report) {
  // The write queue: one listing after every client stopped.
  Listing w = read_all(http, shared.write_queue);
  if (!f.expect(kCalls, w.ok, [&] { return "reading the write queue back: " + w.error; })) return;
  std::map<std::string, int> seen_w;  // uniqueKey -> times listed
  std::map<std::string, const Json*> item_of;
  std::map<std::string, const KeyState*> model;
  for (const auto& wk : workers) {
    for (const auto& k : wk->keys()) model[k.key] = &k;
  }
  for (const auto& item : w.items) {
    std::string key = item.value("uniqueKey", "");
    ++seen_w[key];
    item_of[key] = &item;
    auto m = model.find(key);
    f.expect(kNeverSent, m != model.end(),
             [&] { return "the write queue holds " + item.dump() + ", which no client sent"; });
    if (m == model.end()) continue;
    const KeyState& k = *m->second;
    int v = -1;
    if (item.contains("userData") && item["userData"].is_object() &&
        item["userData"].contains("v") && item["userData"]["v"].is_number_integer())
      v = item["userData"]["v"].get<int>();
    f.expect(
        kNeverSent,
        item.value("id", "") == k.id && item.value("url", "") == url_for(key) &&
            k.sent_versions.count(v) == 1,
        [&] { return "the write queue holds content never sent for " + key + ": " + item.dump(); });
  }
  for (const auto& [key, kp] : model) {
    const KeyState& k = *kp;
    if (k.uncertain) {
      ++report.uncertain_keys;
      continue;
    }
    int times = seen_w.count(key) ? seen_w[key] : 0;
    f.expect(kPresentOnce, times == (k.present ? 1 : 0), [&] {
      return key + " is listed " + std::to_string(times) + " times; its last acknowledged write " +
             (k.present ? "left it present (version " + std::to_string(k.version) + ")"
                        : std::string("deleted it"));
    });
    if (!k.present || times == 0) continue;
    const Json& item = *item_of[key];
    std::string handled_at = item.contains("handledAt") && item["handledAt"].is_string()
                                 ? item["handledAt"].get<std::string>()
                                 : "";
    f.expect(kHandled, handled_at == k.handled_at, [&] {
      return key + ": handledAt \"" + handled_at + "\", the last acknowledged update set \"" +
             k.handled_at + "\"";
    });
    int v = item.contains("userData") && item["userData"].contains("v") &&
                    item["userData"]["v"].is_number_integer()
                ? item["userData"]["v"].get<int>()
                : -1;
    f.expect(kPresentOnce, v == k.version, [&] {
      return key + ": stored version " + std::to_string(v) + ", the last acknowledged write was " +
             std::to_string(k.version);
    });
  }
  check_counters(f, http, shared.write_queue, "write", w);

  // Walks during the writes: no key that was surely present throughout may be missing.
  for (const auto& wk : workers) {
    for (const auto& walk : wk->walks()) {
      for (const auto& [key, kp] : model) {
        bool throughout = std::any_of(
            kp->present_intervals.begin(), kp->present_intervals.end(),
            [&](const auto& iv) { return iv.first <= walk.start && walk.end <= iv.second; });
        if (!throughout) continue;
        f.expect(kWalk, walk.ids.count(kp->id) == 1, [&] {
          return "a walk by client " + std::to_string(walk.client) + " (" +
                 std::to_string(walk.start) + ".." + std::to_string(walk.end) + ") missed " + key +
                 ", surely present from " + interval_text(*kp) + "";
        });
      }
    }
  }

  // The lock queue.
  Listing l = read_all(http, shared.lock_queue);
  if (!f.expect(kCalls, l.ok, [&] { return "reading the lock queue back: " + l.error; })) return;
  std::map<std::string, int> seen_l;
  std::map<std::string, const Json*> l_item;
  for (const auto& item : l.items) {
    ++seen_l[item.value("id", "")];
    l_item[item.value("id", "")] = &item;
  }
  std::map<std::string, bool> l_known;  // id -> surely added
  for (const auto& id : shared.initial_lock_ids) l_known[id] = true;
  for (const auto& wk : workers) {
    for (const auto& lk : wk->lock_keys()) l_known[lk.id] = l_known[lk.id] || lk.acknowledged;
  }
  for (const auto& item : l.items) {
    std::string id = item.value("id", "");
    f.expect(kNeverSent, l_known.count(id) == 1,
             [&] { return "the lock queue holds " + item.dump() + ", which no client sent"; });
  }
  bool any_uncertain = false;
  std::map<std::string, Micros> handled_recv;  // id -> first acknowledged mark
  std::set<std::string> maybe_handled;
  for (const auto& wk : workers) {
    any_uncertain = any_uncertain || wk->lock_uncertain();
    for (const auto& m : wk->handled_marks()) {
      maybe_handled.insert(m.id);
      if (m.acknowledged) {
        auto it = handled_recv.find(m.id);
        if (it == handled_recv.end() || m.recv < it->second) handled_recv[m.id] = m.recv;
      }
    }
  }
  for (const auto& [id, surely] : l_known) {
    if (!surely) continue;
    int times = seen_l.count(id) ? seen_l[id] : 0;
    f.expect(kPresentOnce, times == 1, [&] {
      return "lock queue: " + id + " is listed " + std::to_string(times) + " times (added once)";
    });
    if (times == 0) continue;
    bool handled = l_item[id]->contains("handledAt") && !(*l_item[id])["handledAt"].is_null();
    if (handled_recv.count(id)) {
      f.expect(kHandled, handled, [&] {
        return "lock queue: " + id + " was marked handled (acknowledged) but is pending";
      });
    } else if (!maybe_handled.count(id) && !any_uncertain) {
      f.expect(kHandled, !handled,
               [&] { return "lock queue: " + id + " is handled, but no client marked it"; });
    }
  }
  check_counters(f, http, shared.lock_queue, "lock", l);

  // Lock exclusivity from the clients' own records: a grant whose whole round trip lies inside
  // another grant's surely-held window means the target handed one request to two holders.
  std::map<std::string, std::vector<const Grant*>> by_id;
  for (const auto& wk : workers) {
    for (const auto& g : wk->grants()) by_id[g.id].push_back(&g);
  }
  for (const auto& [id, grants] : by_id) {
    for (const Grant* a : grants) {
      Micros held_until = a->surely_held_until(shared.margin);
      for (const Grant* b : grants) {
        if (a == b) continue;
        bool inside = b->sent > a->recv && b->recv < held_until;
        f.expect(kExclusive, !inside, [&] {
          return id + " was granted to client " + std::to_string(b->client) + " (call " +
                 std::to_string(b->sent) + ".." + std::to_string(b->recv) + ") while client " +
                 std::to_string(a->client) + " surely held it (" + std::to_string(a->recv) + ".." +
                 std::to_string(held_until) + ", lockExpiresAt " +
                 format_iso8601(a->expires / 1000) + ")";
        });
      }
      auto h = handled_recv.find(id);
      if (h != handled_recv.end()) {
        f.expect(kExclusive, a->sent <= h->second, [&] {
          return id + " was handed out by head/lock to client " + std::to_string(a->client) +
                 " (call " + std::to_string(a->sent) + ".." + std::to_string(a->recv) +
                 ") after it was marked handled (acknowledged at " + std::to_string(h->second) +
                 ")";
        });
      }
    }
  }
}

std::uint64_t draw_seed() {
  std::random_device rd;
  std::uint64_t s = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  return s ? s : 1;
}

}  // namespace

const std::vector<std::pair<std::string, std::string>>& property_catalogue() {
  static const std::vector<std::pair<std::string, std::string>> kCatalogue = {
      {kPresentOnce, "every acknowledged write is present exactly once"},
      {kNeverSent, "no request, and no content, that was never sent"},
      {kHandled, "handled state equals the last acknowledged update"},
      {kCounters, "the queue's counters equal what the list shows"},
      {kExclusive, "no request locked by two clients at overlapping times"},
      {kWalk, "a walk during writes returns no item twice and misses none present throughout"},
      {kReadYourWrites, "each client reads back its own writes (flags, content, head)"},
      {kOwnerOnly, "only the holder prolongs or deletes a lock; unlock counts what was held"},
      {kQueues, "get-or-create, rename, list and delete of queues"},
      {kCalls, "every call answered as documented"},
  };
  return kCatalogue;
}

SoakReport run_soak(const SoakOptions& o) {
  SoakReport report;
  report.seed = o.seed ? o.seed : draw_seed();
  report.clients = std::max(1, o.clients);
  report.target = o.base_url ? *o.base_url : "an embedded rq-fake";
  SoakOptions opts = o;
  opts.seed = report.seed;

  std::unique_ptr<fake::FakeServer> fake;
  std::string base_url;
  if (o.base_url) {
    base_url = *o.base_url;
  } else {
    fake::FakeServerOptions fo;
    fo.store.rate_limits.enabled = o.rate_limits;
    fo.bugs = o.bugs;
    fo.journal_capacity = 1000;
    fake = std::make_unique<fake::FakeServer>(fo);
    auto st = fake->start();
    if (!st) {
      report.harness_error = "the embedded fake did not start: " + st.error().message;
      return report;
    }
    base_url = fake->base_url();
  }

  Shared shared;
  shared.margin = o.clock_margin_ms * 1000;
  std::ostringstream prefix;
  prefix << "rqsoak-" << std::hex << (report.seed & 0xffffffffULL);
  shared.prefix = prefix.str();
  client::ClientConfig cfg;
  cfg.base_url = base_url;
  cfg.token = o.token;
  cfg.client_key = "soak-main";
  cfg.log_capacity = 4;
  HttpClient http(cfg);
  auto wq = http.get_or_create_queue(shared.prefix + "-writes");
  auto lq = http.get_or_create_queue(shared.prefix + "-locks");
  if (!wq || !lq) {
    report.harness_error =
        "could not create the soak's queues: " + describe(wq ? lq.error() : wq.error());
    return report;
  }
  shared.write_queue = wq->id;
  shared.lock_queue = lq->id;
  // 25 requests to lock from the start; the clients add more as they go.
  for (int batch = 0; batch < 1; ++batch) {
    std::vector<Json> items;
    for (int i = 0; i < 25; ++i) {
      std::string key = "l-init-" + std::to_string(batch * 25 + i);
      items.push_back(Json{{"uniqueKey", key}, {"url", url_for(key)}});
    }
    auto r = http.batch_add_requests(shared.lock_queue, items);
    if (!r || !r->unprocessed.empty()) {
      report.harness_error = "could not fill the lock queue: " +
                             (r ? std::string("unprocessed items") : describe(r.error()));
      return report;
    }
    for (const auto& p : r->processed) {
      shared.initial_lock_ids.push_back(p.request_id);
      shared.initial_lock_keys[p.request_id] = p.unique_key;
    }
  }

  std::vector<std::unique_ptr<Worker>> workers;
  for (int i = 0; i < report.clients; ++i)
    workers.push_back(std::make_unique<Worker>(i, opts, base_url, shared));
  auto t0 = std::chrono::steady_clock::now();
  shared.deadline = now_us() + static_cast<Micros>(o.seconds * 1e6);
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&w] { w->run(); });
  if (o.progress) {
    while (now_us() < shared.deadline) {
      std::this_thread::sleep_for(std::chrono::seconds(1));
      *o.progress << "rq-soak: " << shared.calls.load() << " calls\n" << std::flush;
    }
  }
  for (auto& t : threads) t.join();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  report.calls = shared.calls.load();

  Findings all;
  for (auto& w : workers) {
    all.merge(w->findings());
    for (const auto& [op, c] : w->operations()) {
      report.operations[op].calls += c.calls;
      report.operations[op].failed += c.failed;
    }
  }
  final_checks(all, http, shared, workers, report);
  report.checks = all.checks;
  report.violation_counts = all.violation_counts;
  report.violations = all.violations;
  if (o.base_url) {  // keep a real account tidy
    (void)http.delete_queue(shared.write_queue);
    (void)http.delete_queue(shared.lock_queue);
  }
  return report;
}

std::string format_report(const SoakReport& r) {
  std::ostringstream out;
  out << "rq-soak: seed " << r.seed << ", " << r.clients << " clients against " << r.target << "\n";
  if (!r.harness_error.empty()) {
    out << "HARNESS ERROR: " << r.harness_error << "\n";
    return out.str();
  }
  out << std::fixed << std::setprecision(1) << r.calls << " calls in " << r.seconds << " s ("
      << std::setprecision(0) << r.calls_per_second() << " calls/s)\n\n";
  out << std::left << std::setw(40) << "operation" << std::right << std::setw(10) << "calls"
      << std::setw(10) << "failed"
      << "\n";
  for (const auto& [op, c] : r.operations) {
    out << std::left << std::setw(40) << op << std::right << std::setw(10) << c.calls
        << std::setw(10) << c.failed << "\n";
  }
  out << "\n"
      << std::left << std::setw(30) << "property" << std::right << std::setw(10) << "checks"
      << std::setw(12) << "violations"
      << "  \n";
  for (const auto& [name, title] : property_catalogue()) {
    auto c = r.checks.find(name);
    auto v = r.violation_counts.find(name);
    out << std::left << std::setw(30) << name << std::right << std::setw(10)
        << (c == r.checks.end() ? 0 : c->second) << std::setw(12)
        << (v == r.violation_counts.end() ? 0 : v->second) << "  " << title << "\n";
  }
  if (r.uncertain_keys)
    out << "\n" << r.uncertain_keys << " keys had a write without an answer: not asserted\n";
  if (!r.violations.empty()) {
    out << "\nviolations (the first " << kKeptPerProperty << " of each property):\n";
    for (const auto& v : r.violations) out << "  " << v.property << ": " << v.detail << "\n";
  }
  out << "\n" << (r.ok() ? "OK" : "FAILED") << " (seed " << r.seed << ")\n";
  return out.str();
}

}  // namespace rqcheck::soak
