// The state machine: one struct per API action (STYLE.md section 8), each with
// checkPreconditions (RC_PRE), apply (the model), run (the target, RC_ASSERT only) and show.
// Keys come from a six-letter alphabet and URLs from a three-letter one, so duplicates, the
// dedup path and distinct keys with one URL are all frequent; clients are c1, c2, c3.
//
// The generation state (State::q) decides what is generated; each run() checks the target
// against Sut::m, the same model applied as the commands run. Without a consistency lag the two
// are equal. With one (rq-properties --consistency-lag) a head/lock may take fewer requests
// than the generation state assumed: Sut::m takes the target's allowed choice and the following
// commands are judged by it.
//
//   rc::state::check(State{}, sut, rc::state::gen::execOneOfWithArgs<AddRequest, GetQueue>());
#pragma once

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <chrono>
#include <initializer_list>
#include <ostream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "../harness/target.h"
#include "../model/queue_model.h"
#include "consistency.h"
#include "rqcheck/client/api.h"
#include "rqcheck/client/batch_add.h"

namespace rqcheck::prop {

// What the run asserts besides each operation's own answer.
struct Checks {
  bool counters = false;     // get the queue after every step: total = handled + pending = model
  bool exact_order = false;  // head and head/lock follow the model's queue order (a 'should')
};

struct State {
  QueueModel q;
  bool virtual_clock = true;
  bool exact_order = false;  // without it, head/lock only runs when it takes every available one
};

struct Sut {
  Target& target;
  client::RequestQueueApi& api;
  std::string queue;
  Checks checks;
  // The model as the run goes (see the top of this file); set_consistency_lag() on it is the
  // lag-tolerant mode.
  QueueModel m;
  std::int64_t t0 = 0;  // the embedded fake's clock when the case started (virtual clock)
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

using Cmd = rc::state::Command<State, Sut>;

inline const char* kHandledAt = "2023-11-14T22:13:20.000Z";

inline rc::Gen<std::string> gen_key() {
  return rc::gen::element<std::string>("a", "b", "c", "d", "e", "f");
}
inline rc::Gen<std::string> gen_url() {
  return rc::gen::element<std::string>("https://x.test/1", "https://x.test/2", "https://x.test/3");
}
inline rc::Gen<std::string> gen_client() { return rc::gen::element<std::string>("c1", "c2", "c3"); }

inline Json request_body(const std::string& key, const std::string& url, bool handled) {
  Json j{{"uniqueKey", key}, {"url", url}};
  if (handled) j["handledAt"] = kHandledAt;
  return j;
}

inline std::string err_text(const ApiError& e) {
  return std::to_string(e.status) + " " + e.type + ": " + e.message;
}

// Fails the case with the API error (status, type and message) when `r` is an error.
template <typename R>
void require_ok(const R& r, const std::string& what) {
  if (!r.ok()) RC_FAIL(what + " failed: " + err_text(r.error()));
}
// Success, or an error with status `status`.
template <typename R>
void require_ok_or(const R& r, int status, const std::string& what) {
  if (!r.ok() && r.error().status != status) {
    RC_FAIL(what + ": success or " + std::to_string(status) + " expected, got " +
            err_text(r.error()));
  }
}
// An error with one of `statuses`.
template <typename R>
void require_error(const R& r, std::initializer_list<int> statuses, const std::string& what) {
  std::string want;
  for (int st : statuses) want += (want.empty() ? "" : " or ") + std::to_string(st);
  if (r.ok()) RC_FAIL(what + ": " + want + " expected, got success");
  for (int st : statuses) {
    if (r.error().status == st) return;
  }
  RC_FAIL(what + ": " + want + " expected, got " + err_text(r.error()));
}

// Against a target on a real clock (no AdvanceClock), locks are long enough never to expire
// during a case, however slow its calls (retries of 429s included); the model's clock stands
// still there.
inline constexpr std::int64_t kRealClockLockFactor = 120;
inline std::int64_t lock_ms(std::int64_t lock_secs, bool virtual_clock) {
  return lock_secs * 1000 * (virtual_clock ? 1 : kRealClockLockFactor);
}

// Counters (decision 36): total = handled + pending, each the model's (under the consistency
// lag: each a value it had within the bound, QueueModel::counters_allowed).
inline void expect_counters(Sut& sut, const char* what) {
  auto q = sut.api.get_queue(sut.queue);
  require_ok(q, what);
  if (!sut.m.counters_allowed(q->total_request_count, q->handled_request_count,
                              q->pending_request_count)) {
    RC_FAIL(std::string(what) + " (decision 36): expected " + sut.m.counters_expected() +
            ", got total " + std::to_string(q->total_request_count) + ", handled " +
            std::to_string(q->handled_request_count) + ", pending " +
            std::to_string(q->pending_request_count));
  }
}

// After every step when Checks::counters is on.
inline void check_counters(Sut& sut) {
  if (sut.checks.counters) expect_counters(sut, "get_queue (counters)");
}

// Add (6) and update (11) answer {requestId, wasAlreadyPresent, wasAlreadyHandled}: as the model
// says.
template <typename R, typename W>
void expect_write(const R& r, const W& want) {
  require_ok(r, "the write");
  RC_ASSERT(r->request_id == want.id);
  RC_ASSERT(r->was_already_present == want.was_already_present);
  RC_ASSERT(r->was_already_handled == want.was_already_handled);
}

inline void show_write(std::ostream& os, const char* name, const std::string& key,
                       const std::string& url, bool handled, bool forefront,
                       const std::string& client) {
  os << name << "(" << key << ", " << url << (handled ? ", handled" : "")
     << (forefront ? ", forefront" : "") << ", " << client << ")";
}

template <typename C>
void announce(const C& cmd, Sut& sut) {
  std::ostringstream os;
  cmd.show(os);
  sut.target.note(os.str());
  sync_wall(sut.m, sut.target.virtual_clock(), sut.started);
}

// (6) add one request.
struct AddRequest : Cmd {
  std::string key = *gen_key(), url = *gen_url(), client = *gen_client();
  bool handled = *rc::gen::weightedElement<bool>({{4, false}, {1, true}});
  bool forefront = *rc::gen::arbitrary<bool>();

  void apply(State& s) const override { s.q.add(key, url, handled, forefront); }
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    ModelWrite want = sut.m.add(key, url, handled, forefront);
    auto r = sut.api.add_request(sut.queue, request_body(key, url, handled),
                                 client::WriteOptions{forefront, client});
    expect_write(r, want);
    check_counters(sut);
  }
  void show(std::ostream& os) const override {
    show_write(os, "AddRequest", key, url, handled, forefront, client);
  }
};

// (8) batch add: distinct keys (decision 7 forbids duplicates inside one batch).
struct BatchAdd : Cmd {
  std::vector<std::string> keys =
      *rc::gen::resize(6, rc::gen::unique<std::vector<std::string>>(gen_key()));
  std::vector<std::string> urls = *rc::gen::container<std::vector<std::string>>(6, gen_url());
  std::vector<bool> handled = *rc::gen::container<std::vector<bool>>(
      6, rc::gen::weightedElement<bool>({{4, false}, {1, true}}));
  bool forefront = *rc::gen::arbitrary<bool>();
  std::string client = *gen_client();

  void checkPreconditions(const State&) const override { RC_PRE(!keys.empty()); }
  void apply(State& s) const override {
    for (std::size_t i = 0; i < keys.size(); ++i) s.q.add(keys[i], urls[i], handled[i], forefront);
  }
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    std::vector<Json> body;
    std::vector<ModelWrite> want;
    for (std::size_t i = 0; i < keys.size(); ++i) {
      body.push_back(request_body(keys[i], urls[i], handled[i]));
      want.push_back(sut.m.add(keys[i], urls[i], handled[i], forefront));
    }
    BatchAddResult got;
    const client::WriteOptions wo{forefront, client};
    if (sut.target.embedded()) {
      auto r = sut.api.batch_add_requests(sut.queue, body, wo);
      require_ok(r, "batch_add_requests");
      got = *r;
    } else {
      // Over a rate limit a server hands items back in unprocessedRequests: resend them, as the
      // official clients do.
      client::BatchAddAllOptions o;
      o.write = wo;
      auto all = client::batch_add_all(sut.api, sut.queue, body, o);
      if (!all.errors.empty()) {
        RC_FAIL("batch_add_requests failed: " + err_text(all.errors.back()));
      }
      got = std::move(all.result);
    }
    RC_ASSERT(got.unprocessed.empty());
    RC_ASSERT(got.processed.size() == keys.size());
    for (const auto& p : got.processed) {
      auto it = std::find(keys.begin(), keys.end(), p.unique_key);
      RC_ASSERT(it != keys.end());
      const ModelWrite& w = want[static_cast<std::size_t>(it - keys.begin())];
      RC_ASSERT(p.request_id == w.id);
      RC_ASSERT(p.was_already_present == w.was_already_present);
      RC_ASSERT(p.was_already_handled == w.was_already_handled);
    }
    check_counters(sut);
  }
  void show(std::ostream& os) const override {
    os << "BatchAdd([";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      os << (i ? ", " : "") << keys[i] << " " << urls[i] << (handled[i] ? " handled" : "");
    }
    os << "]" << (forefront ? ", forefront" : "") << ", " << client << ")";
  }
};

// (10) get one request.
struct GetRequest : Cmd {
  std::string key = *gen_key();
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    const ModelRequest* m = sut.m.find_key(key);
    auto r = sut.api.get_request(sut.queue, QueueModel::id_of(key));
    if (!m) {
      require_error(r, {404}, "get_request of an absent request");
      return;
    }
    require_ok(r, "get_request");
    RC_ASSERT(r->value("uniqueKey", "") == key);
    RC_ASSERT(r->value("url", "") == m->url);
    RC_ASSERT(r->value("id", "") == m->id);
    bool handled = r->contains("handledAt") && !(*r)["handledAt"].is_null();
    RC_ASSERT(handled == m->handled);
  }
  void show(std::ostream& os) const override { os << "GetRequest(" << key << ")"; }
};

// (11) PUT, with and without handledAt and forefront.
struct UpdateRequest : Cmd {
  std::string key = *gen_key(), url = *gen_url(), client = *gen_client();
  bool handled = *rc::gen::arbitrary<bool>();
  bool forefront = *rc::gen::arbitrary<bool>();

  void apply(State& s) const override { s.q.put(key, url, handled, forefront); }
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    ModelWrite want = sut.m.put(key, url, handled, forefront);
    auto r = sut.api.update_request(sut.queue, want.id, request_body(key, url, handled),
                                    client::WriteOptions{forefront, client});
    expect_write(r, want);
    check_counters(sut);
  }
  void show(std::ostream& os) const override {
    show_write(os, "UpdateRequest", key, url, handled, forefront, client);
  }
};

// (12) delete one request (absent: 204, decision 5 tolerates 404).
struct DeleteRequest : Cmd {
  std::string key = *gen_key(), client = *gen_client();
  void apply(State& s) const override { s.q.remove_key(key); }
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    auto r =
        sut.api.delete_request(sut.queue, QueueModel::id_of(key), client::ClientKeyOptions{client});
    if (sut.m.find_key(key))
      require_ok(r, "delete_request");
    else
      require_ok_or(r, 404, "delete_request of an absent request");
    sut.m.remove_key(key);
    check_counters(sut);
  }
  void show(std::ostream& os) const override {
    os << "DeleteRequest(" << key << ", " << client << ")";
  }
};

// (9) batch delete by id or by uniqueKey.
struct BatchDelete : Cmd {
  std::vector<std::string> keys =
      *rc::gen::resize(6, rc::gen::unique<std::vector<std::string>>(gen_key()));
  bool by_id = *rc::gen::arbitrary<bool>();
  std::string client = *gen_client();

  void checkPreconditions(const State&) const override { RC_PRE(!keys.empty()); }
  void apply(State& s) const override {
    for (const auto& k : keys) s.q.remove_key(k);
  }
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    std::vector<Json> body;
    for (const auto& k : keys) {
      body.push_back(by_id ? Json{{"id", QueueModel::id_of(k)}} : Json{{"uniqueKey", k}});
    }
    auto r = sut.api.batch_delete_requests(sut.queue, body, client::ClientKeyOptions{client});
    require_ok(r, "batch_delete_requests");
    std::size_t present = 0;
    for (const auto& k : keys) present += sut.m.find_key(k) ? 1 : 0;
    // Every present item is processed; absent ones are processed or unprocessed (decision 5).
    RC_ASSERT(r->processed.size() >= present);
    RC_ASSERT(r->processed.size() + r->unprocessed.size() == keys.size());
    for (const auto& k : keys) sut.m.remove_key(k);
    check_counters(sut);
  }
  void show(std::ostream& os) const override {
    os << "BatchDelete(" << (by_id ? "by id" : "by uniqueKey") << ", [";
    for (std::size_t i = 0; i < keys.size(); ++i) os << (i ? ", " : "") << keys[i];
    os << "], " << client << ")";
  }
};

inline std::vector<std::string> filter_params(ListFilter f) {
  switch (f) {
    case ListFilter::kNone:
      return {};
    case ListFilter::kLocked:
      return {"locked"};
    case ListFilter::kPending:
      return {"pending"};
    case ListFilter::kBoth:
      return {"locked", "pending"};
  }
  return {};
}

// (7) a whole list walk: every matching request exactly once, and the walk ends (decision 31).
struct ListWalk : Cmd {
  std::int64_t limit = *rc::gen::inRange<std::int64_t>(1, 9);
  ListFilter filter = *rc::gen::element(ListFilter::kNone, ListFilter::kLocked,
                                        ListFilter::kPending, ListFilter::kBoth);
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    const std::int64_t max_pages = sut.m.total() / limit + 3;
    bool ended = false;
    for (std::int64_t page = 0; page < max_pages; ++page) {
      client::ListRequestsOptions o;
      o.limit = limit;
      o.cursor = cursor;
      o.filter = filter_params(filter);
      auto r = sut.api.list_requests(sut.queue, o);
      require_ok(r, "list_requests");
      RC_ASSERT(static_cast<std::int64_t>(r->items.size()) <= limit);
      for (const auto& item : r->items) seen.push_back(item.value("id", ""));
      if (!r->next_cursor) {
        ended = true;
        break;
      }
      cursor = r->next_cursor;
    }
    RC_ASSERT(ended);  // the walk ends
    std::vector<std::string> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    RC_ASSERT(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());  // once
    std::vector<std::string> want;
    for (const auto& m : sut.m.matching(filter)) want.push_back(m.id);
    RC_ASSERT(sorted == want);  // every matching request, nothing else
  }
  void show(std::ostream& os) const override {
    os << "ListWalk(limit " << limit << ", filter " << filter_name(filter) << ")";
  }
};

// (7) a walk with adds and deletes between pages: no request twice; every request present for
// the whole walk appears; nothing that never existed appears.
struct ListWalkWithChurn : Cmd {
  struct Change {
    bool add;
    std::string key;
  };
  std::int64_t limit = *rc::gen::inRange<std::int64_t>(1, 4);
  std::vector<Change> changes =
      *rc::gen::resize(12, rc::gen::container<std::vector<Change>>(
                               rc::gen::construct<Change>(rc::gen::arbitrary<bool>(), gen_key())));

  void apply(State& s) const override {
    for (const auto& c : changes) {
      if (c.add)
        s.q.add(c.key, "https://x.test/1", false, false);
      else
        s.q.remove_key(c.key);
    }
  }
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    std::set<std::string> ever, throughout;
    for (const auto& [id, r] : sut.m.requests()) ever.insert(id), throughout.insert(id);
    std::size_t next_change = 0;
    auto change = [&]() {
      const Change& c = changes[next_change++];
      std::string id = QueueModel::id_of(c.key);
      if (c.add) {
        auto r = sut.api.add_request(sut.queue, request_body(c.key, "https://x.test/1", false),
                                     client::WriteOptions{false, std::string("c1")});
        require_ok(r, "add_request between pages");
        sut.m.add(c.key, "https://x.test/1", false, false);
        ever.insert(id);
      } else {
        auto r = sut.api.delete_request(sut.queue, id, client::ClientKeyOptions{"c1"});
        require_ok_or(r, 404, "delete_request of an absent request");
        sut.m.remove_key(c.key);
        throughout.erase(id);
      }
    };
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    const std::int64_t max_pages =
        (sut.m.total() + static_cast<std::int64_t>(changes.size())) / limit + 3;
    bool ended = false;
    for (std::int64_t page = 0; page < max_pages; ++page) {
      client::ListRequestsOptions o;
      o.limit = limit;
      o.cursor = cursor;
      auto r = sut.api.list_requests(sut.queue, o);
      require_ok(r, "list_requests");
      for (const auto& item : r->items) seen.push_back(item.value("id", ""));
      if (!r->next_cursor) {
        ended = true;
        break;
      }
      cursor = r->next_cursor;
      if (next_change < changes.size()) change();
    }
    while (next_change < changes.size()) change();
    RC_ASSERT(ended);
    std::vector<std::string> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    RC_ASSERT(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end());
    for (const auto& id : throughout) RC_ASSERT(std::count(seen.begin(), seen.end(), id) == 1);
    for (const auto& id : seen) RC_ASSERT(ever.count(id) == 1);
  }
  void show(std::ostream& os) const override {
    os << "ListWalkWithChurn(limit " << limit << ", between pages: [";
    for (std::size_t i = 0; i < changes.size(); ++i) {
      os << (i ? ", " : "") << (changes[i].add ? "+" : "-") << changes[i].key;
    }
    os << "])";
  }
};

// A head or head/lock answer under the consistency lag (head_lag_violation).
inline void expect_lagged_head(const Sut& sut, const std::vector<std::string>& got,
                               std::int64_t limit, const char* what) {
  const std::string why =
      head_lag_violation(sut.m, got, static_cast<std::size_t>(limit), sut.checks.exact_order);
  if (!why.empty()) RC_FAIL(std::string(what) + " " + why);
}

// (13) head: pending requests not locked by anyone (decision 25); exact order only with
// Checks::exact_order (decision 24 'should').
struct Head : Cmd {
  std::int64_t limit = *rc::gen::inRange<std::int64_t>(1, 8);
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    auto r = sut.api.list_head(sut.queue, client::HeadOptions{limit, std::string("c1")});
    require_ok(r, "list_head");
    auto available = sut.m.queue_order();
    std::vector<std::string> got, want;
    for (const auto& i : r->items) got.push_back(i.id);
    if (sut.m.consistency_lag() > 0) {
      // Under the lag: only available requests, each once, none that must show left out.
      std::set<std::string> once;
      for (const auto& id : got) {
        const ModelRequest* m = sut.m.find_id(id);
        RC_ASSERT(m != nullptr);
        RC_ASSERT(m->available());
        RC_ASSERT(once.insert(id).second);
      }
      expect_lagged_head(sut, got, limit, "list_head");
      return;
    }
    std::size_t want_n = std::min<std::size_t>(available.size(), static_cast<std::size_t>(limit));
    RC_ASSERT(r->items.size() == want_n);
    for (std::size_t i = 0; i < want_n; ++i) want.push_back(available[i].id);
    if (sut.checks.exact_order) {
      RC_ASSERT(got == want);
    } else {
      for (const auto& id : got) {
        const ModelRequest* m = sut.m.find_id(id);
        RC_ASSERT(m != nullptr);
        RC_ASSERT(m->available());
      }
    }
  }
  void show(std::ostream& os) const override { os << "Head(limit " << limit << ")"; }
};

// (14) head/lock: hands out only requests nobody holds (decision 26).
struct LockHead : Cmd {
  std::string client = *gen_client();
  std::int64_t limit = *rc::gen::inRange<std::int64_t>(1, 8);
  std::int64_t lock_secs = *rc::gen::element<std::int64_t>(1, 2, 5);

  void checkPreconditions(const State& s) const override {
    // Without exact order the model cannot tell which requests a smaller limit takes.
    RC_PRE(s.exact_order || static_cast<std::size_t>(limit) >= s.q.queue_order().size());
  }
  void apply(State& s) const override {
    s.q.lock_head(client, static_cast<std::size_t>(limit), lock_ms(lock_secs, s.virtual_clock));
  }
  void run(const State& s0, Sut& sut) const override {
    announce(*this, sut);
    const std::int64_t ms = lock_ms(lock_secs, s0.virtual_clock);
    client::LockHeadOptions o;
    o.lock_secs = ms / 1000;
    o.limit = limit;
    o.client_key = client;
    auto r = sut.api.list_and_lock_head(sut.queue, o);
    require_ok(r, "list_and_lock_head");
    std::vector<std::string> got, want_ids;
    std::set<std::string> once;
    for (const auto& i : r->items) {
      got.push_back(i.id);
      // Never a request that another client holds, nor a handled one, nor one twice.
      const ModelRequest* m = sut.m.find_id(i.id);
      RC_ASSERT(m != nullptr);
      RC_ASSERT(!m->handled);
      RC_ASSERT(!m->locked());
      RC_ASSERT(once.insert(i.id).second);
    }
    if (sut.m.consistency_lag() > 0) {
      // Under the lag the target chooses among the allowed answers; the model takes its choice.
      expect_lagged_head(sut, got, limit, "list_and_lock_head");
      sut.m.lock_ids(client, got, ms);
      check_counters(sut);
      return;
    }
    for (const auto& m : sut.m.lock_head(client, static_cast<std::size_t>(limit), ms)) {
      want_ids.push_back(m.id);
    }
    if (!sut.checks.exact_order) {
      std::sort(got.begin(), got.end());
      std::sort(want_ids.begin(), want_ids.end());
    }
    RC_ASSERT(got == want_ids);
    check_counters(sut);
  }
  void show(std::ostream& os) const override {
    os << "LockHead(" << client << ", limit " << limit << ", " << lock_secs << " s)";
  }
};

// (15) prolong: only the owner (decision 27); others get 403 (or 400, tolerated).
struct ProlongLock : Cmd {
  std::string client = *gen_client(), key = *gen_key();
  std::int64_t lock_secs = *rc::gen::element<std::int64_t>(1, 2, 5);
  bool forefront = *rc::gen::arbitrary<bool>();

  void checkPreconditions(const State& s) const override {
    const ModelRequest* m = s.q.find_key(key);
    RC_PRE((m != nullptr && m->locked() && !m->handled));
    // Only by a client that does not hold it: the owner's new expiry has two allowed answers
    // (decision 27, spec 4 (15): now + lockSecs or expiry + lockSecs), which this model, fixed
    // at generation, cannot follow. The oracle properties (oracle.h) prolong as the owner and
    // adopt the target's answer.
    RC_PRE(*m->lock_owner != client);
  }
  void apply(State& s) const override {
    s.q.prolong(client, QueueModel::id_of(key), lock_ms(lock_secs, s.virtual_clock), forefront);
  }
  void run(const State& s0, Sut& sut) const override {
    announce(*this, sut);
    const std::string id = QueueModel::id_of(key);
    // Under the consistency lag Sut::m may hold the lock as this client's (the generation state
    // had another head/lock take it): then this is the owner's prolong, and the model takes the
    // target's new expiry (decision 27 allows more than one).
    LockOutcome o = sut.m.lock_state(client, id);
    const std::int64_t ms = lock_ms(lock_secs, s0.virtual_clock);
    client::ProlongLockOptions opt;
    opt.lock_secs = ms / 1000;
    opt.forefront = forefront;
    opt.client_key = client;
    auto r = sut.api.prolong_request_lock(sut.queue, id, opt);
    sut.m.prolong(client, id, ms, forefront);
    if (o == LockOutcome::kOk) {
      require_ok(r, "prolong_request_lock");
      if (s0.virtual_clock) sut.m.set_lock_expiry(id, *r - sut.t0);
    } else {
      require_error(r, {403, 400}, "prolong_request_lock by a client that does not hold it");
    }
  }
  void show(std::ostream& os) const override {
    os << "ProlongLock(" << client << ", " << key << ", " << lock_secs << " s"
       << (forefront ? ", forefront" : "") << ")";
  }
};

// (16) delete lock: only the owner; others, or an unlocked request, 400 (decision 28).
struct DeleteLock : Cmd {
  std::string client = *gen_client(), key = *gen_key();
  bool forefront = *rc::gen::arbitrary<bool>();

  void checkPreconditions(const State& s) const override {
    const ModelRequest* m = s.q.find_key(key);
    RC_PRE((m != nullptr && !m->handled));
  }
  void apply(State& s) const override {
    s.q.delete_lock(client, QueueModel::id_of(key), forefront);
  }
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    LockOutcome o = sut.m.lock_state(client, QueueModel::id_of(key));
    auto r = sut.api.delete_request_lock(sut.queue, QueueModel::id_of(key),
                                         client::DeleteLockOptions{forefront, client});
    sut.m.delete_lock(client, QueueModel::id_of(key), forefront);
    if (o == LockOutcome::kOk) {
      require_ok(r, "delete_request_lock");
    } else {
      require_error(r, {400, 403}, "delete_request_lock by a client that does not hold it");
    }
  }
  void show(std::ostream& os) const override {
    os << "DeleteLock(" << client << ", " << key << (forefront ? ", forefront" : "") << ")";
  }
};

// (17) unlock: releases exactly this client's locks.
struct Unlock : Cmd {
  std::string client = *gen_client();
  void apply(State& s) const override { s.q.unlock(client); }
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    std::int64_t want = sut.m.unlock(client);
    auto r = sut.api.unlock_requests(sut.queue, client::ClientKeyOptions{client});
    require_ok(r, "unlock_requests");
    RC_ASSERT(*r == want);
  }
  void show(std::ostream& os) const override { os << "Unlock(" << client << ")"; }
};

// (3) get the queue: counters (decision 36).
struct GetQueue : Cmd {
  void run(const State&, Sut& sut) const override {
    announce(*this, sut);
    expect_counters(sut, "get_queue");
  }
  void show(std::ostream& os) const override { os << "GetQueue()"; }
};

// Moves the embedded fake's virtual clock: locks expire (decision 29).
struct AdvanceClock : Cmd {
  std::int64_t ms = *rc::gen::element<std::int64_t>(500, 1000, 2500, 6000);
  void checkPreconditions(const State& s) const override { RC_PRE(s.virtual_clock); }
  void apply(State& s) const override { s.q.advance(ms); }
  void run(const State&, Sut& sut) const override {
    sut.target.advance_clock(ms);
    sut.m.advance(ms);
  }
  void show(std::ostream& os) const override { os << "AdvanceClock(" << ms << " ms)"; }
};

}  // namespace rqcheck::prop
