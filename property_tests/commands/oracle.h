// The oracle state machine: every request-queue operation (rows 2-17 of spec section 3: add,
// batch add, get, update with and without handledAt, delete, batch delete, head, list with
// filters and cursor pages, head/lock, prolong, delete lock, unlock, queue get/put/delete) with
// three clientKeys and the fake's virtual clock (POST /__admin/clock), so locks expire. Every
// answer is compared with the model, and after every write the state is read back (each touched
// request, the counters, the queue's name and timestamps, the locked set).
//
// Unlike commands.h, the model lives in the Sut and follows the run: where the contract lets
// the target choose (which requests a head/lock with a small limit takes, the new expiry of a
// prolonged lock, 204 or 404, processed or unprocessed), the command checks that the choice is
// allowed and the model adopts it. Generation needs no model state, so nothing is guessed.
//
// A failure names the call, the answer and what the model expected, like a conformance check:
//
//   LockHead(c2, limit 3, 5 s): head/lock handed out a request that c1 holds
//     call:     POST /v2/request-queues/<q>/head/lock?lockSecs=5&limit=3&clientKey=c2 -> 201
//     answer:   {"data":{"items":[{"id":"...","uniqueKey":"a",...}],...}}
//     expected: items among the available requests [b, c] (decision 26)
//     received: a (locked by c1 until +5000 ms)
//
// In the lag-tolerant mode (QueueModel::set_consistency_lag) head and head/lock may leave out
// requests still within the bound, the counters and modifiedAt may trail by it, and the case
// ends by waiting it out (settle, consistency.h); everything else stays exact.
#pragma once

#include <rapidcheck.h>
#include <rapidcheck/state.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <optional>
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
#include "rqcheck/core/time.h"

namespace rqcheck::prop::oracle {

struct State {
  bool virtual_clock = true;
};

struct Sut {
  Target& target;
  client::RequestQueueApi& api;
  std::string queue;
  bool exact = false;  // 'should' rules too: exact queue order, prolong expiry = now + lockSecs
  bool virtual_clock = true;
  TimeMs t0 = 0;  // the fake's clock when the case started (virtual clock only)
  QueueModel m;
  std::set<std::string> clients;  // clientKeys that touched the current queue
  std::optional<std::string> name;
  Ms changed = 0;  // model time of the last change of the queue's requests or name
  // Every change since the queue was created (at changed_base): under the lag, GET queue's
  // modifiedAt must show those made at least the bound ago.
  std::vector<Ms> changes;
  Ms changed_base = 0;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  int generation = 0;
  std::string command;      // the command being run (for failure messages)
  std::size_t mark = 0;     // transcript steps before the current command
  std::string name_prefix;  // queue names of this case: unique per run
};

using Cmd = rc::state::Command<State, Sut>;

inline const char* kHandledAt = "2023-11-14T22:13:20.000Z";

// uniqueKeys: short ones and look-alike URLs (dedup is exact string equality, decision 20).
inline rc::Gen<std::string> gen_key() {
  return rc::gen::element<std::string>("a", "b", "c", "https://x.test/p", "https://x.test/p/",
                                       "https://X.test/p");
}
inline rc::Gen<std::string> gen_url() {
  return rc::gen::element<std::string>("https://x.test/1", "https://x.test/2", "https://x.test/3");
}
inline rc::Gen<std::string> gen_client() { return rc::gen::element<std::string>("c1", "c2", "c3"); }
inline rc::Gen<std::string> gen_tag() { return rc::gen::element<std::string>("t1", "t2", "t3"); }

inline Json body_of(const std::string& key, const std::string& url, bool handled,
                    const std::string& tag) {
  Json j{{"uniqueKey", key}, {"url", url}, {"userData", Json{{"tag", tag}}}};
  if (handled) j["handledAt"] = kHandledAt;
  return j;
}

inline std::string show_key(const std::string& k) { return k; }
inline std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : ", ") + x;
  return "[" + s + "]";
}
inline std::string clip(const std::string& s, std::size_t n = 600) {
  return s.size() <= n ? s : s.substr(0, n) + "... (" + std::to_string(s.size()) + " bytes)";
}
inline std::string key_of_id(const Sut& sut, const std::string& id);

// Fails the case with the command, the HTTP calls it made so far (the last three, with their
// answers), what the model expected and what the target did.
[[noreturn]] inline void mismatch(Sut& sut, const std::string& what, const std::string& expected,
                                  const std::string& received) {
  std::ostringstream os;
  os << sut.command << ": " << what << "\n";
  auto steps = sut.target.transcript_since(sut.mark);
  std::size_t from = steps.size() > 3 ? steps.size() - 3 : 0;
  if (from > 0) os << "  (" << from << " earlier calls of this command left out)\n";
  for (std::size_t i = from; i < steps.size(); ++i) {
    const auto& s = steps[i];
    if (s.advance_ms) {
      os << "  clock:    +" << *s.advance_ms << " ms\n";
      continue;
    }
    if (!s.exchange) continue;
    const client::Exchange& ex = *s.exchange;
    os << "  call:     " << ex.method << " " << ex.target << " -> " << ex.status << "\n";
    if (!ex.response_body.empty()) os << "  answer:   " << clip(ex.response_body) << "\n";
  }
  os << "  expected: " << expected << "\n"
     << "  received: " << received;
  RC_FAIL(os.str());
}

inline std::string err_text(const ApiError& e) {
  return std::to_string(e.status) + " " + e.type + ": " + e.message;
}

template <typename R>
void need_ok(Sut& sut, const R& r, const std::string& what, const std::string& expected) {
  if (!r.ok()) mismatch(sut, what, expected, err_text(r.error()));
}

// An error whose status is one of `statuses`.
template <typename R>
void need_error(Sut& sut, const R& r, std::initializer_list<int> statuses, const std::string& what,
                const std::string& expected) {
  if (r.ok()) mismatch(sut, what, expected, "success");
  for (int st : statuses) {
    if (r.error().status == st) return;
  }
  mismatch(sut, what, expected, err_text(r.error()));
}

// The status of the command's last call (a success's status is part of the answer: spec
// section 3).
inline void expect_status(Sut& sut, const std::string& what, int want) {
  auto steps = sut.target.transcript_since(sut.mark);
  for (auto it = steps.rbegin(); it != steps.rend(); ++it) {
    if (!it->exchange) continue;
    if (it->exchange->status != want) {
      mismatch(sut, what + " answered the wrong status (spec section 3)", std::to_string(want),
               std::to_string(it->exchange->status));
    }
    return;
  }
}

inline std::string key_of_id(const Sut& sut, const std::string& id) {
  const ModelRequest* m = sut.m.find_id(id);
  return m ? m->unique_key : "id " + id;
}
inline std::vector<std::string> keys_of(const Sut& sut, const std::vector<std::string>& ids) {
  std::vector<std::string> out;
  for (const auto& id : ids) out.push_back(key_of_id(sut, id));
  return out;
}

inline std::string describe(const ModelRequest& r, Ms now) {
  std::ostringstream os;
  os << r.unique_key << " (" << r.url << ", " << (r.handled ? "handled" : "pending");
  if (r.locked()) os << ", locked by " << *r.lock_owner << " for " << r.lock_expires - now << " ms";
  if (!r.tag.empty()) os << ", userData.tag " << r.tag;
  os << ")";
  return os.str();
}

// A stored request as the target returns it (get, list items) against the model's.
inline void compare_request(Sut& sut, const Json& got, const ModelRequest& want,
                            const std::string& what) {
  auto str = [&](const char* k) {
    auto it = got.find(k);
    return it != got.end() && it->is_string() ? it->get<std::string>() : std::string("<none>");
  };
  const bool handled = got.contains("handledAt") && !got["handledAt"].is_null();
  std::string tag = "<none>";
  if (auto u = got.find("userData"); u != got.end() && u->is_object()) {
    if (auto t = u->find("tag"); t != u->end() && t->is_string()) tag = t->get<std::string>();
  }
  bool same = str("id") == want.id && str("uniqueKey") == want.unique_key &&
              str("url") == want.url && handled == want.handled && (tag == want.tag);
  if (same && want.handled) {
    // Stored as given (spec section 2): the same instant, whatever the fraction digits.
    auto t = parse_iso8601(str("handledAt"));
    same = t && t == parse_iso8601(kHandledAt);
  }
  if (!same) {
    mismatch(sut, what, describe(want, sut.m.now()) + " id " + want.id,
             str("uniqueKey") + " (" + str("url") + ", " + (handled ? "handled" : "pending") +
                 ", userData.tag " + tag + ", handledAt " + str("handledAt") + ") id " + str("id"));
  }
}

// Read-back of one request: what the target holds now.
inline void read_back(Sut& sut, const std::string& key, const std::string& after) {
  const ModelRequest* m = sut.m.find_key(key);
  auto r = sut.api.get_request(sut.queue, QueueModel::id_of(key));
  if (!m) {
    if (r.ok()) {
      mismatch(sut, "read-back after " + after + ": GET of " + key,
               "404 (the request " + key + " is not in the queue)", "200 " + clip(dump_json(*r)));
    }
    if (r.error().status != 404) {
      mismatch(sut, "read-back after " + after + ": GET of " + key, "404 record-not-found",
               err_text(r.error()));
    }
    return;
  }
  need_ok(sut, r, "read-back after " + after + ": GET of " + key, describe(*m, sut.m.now()));
  compare_request(sut, *r, *m, "read-back after " + after + ": GET of " + key);
}

// Read-back of the queue: counters (decision 36), name, modifiedAt after the last change and
// accessedAt after the last call (spec 6.2); with Sut::exact also hadMultipleClients once two
// clientKeys touched it (decision 30, a 'should').
inline void read_back_queue(Sut& sut, const std::string& after) {
  auto q = sut.api.get_queue(sut.queue);
  const std::string what = "read-back after " + after + ": GET queue";
  need_ok(sut, q, what, "200 with the queue");
  std::ostringstream want, got;
  want << sut.m.counters_expected();
  got << "total " << q->total_request_count << ", handled " << q->handled_request_count
      << ", pending " << q->pending_request_count;
  if (!sut.m.counters_allowed(q->total_request_count, q->handled_request_count,
                              q->pending_request_count)) {
    mismatch(sut, what + " (counters, decision 36)", want.str(), got.str());
  }
  if (q->name != sut.name) {
    mismatch(sut, what + " (name)", sut.name ? "name " + *sut.name : "name null",
             q->name ? "name " + *q->name : "name null");
  }
  if (sut.exact && sut.clients.size() >= 2 && !q->had_multiple_clients) {
    mismatch(sut, what + " (hadMultipleClients, decision 30)",
             "true: clients " + join({sut.clients.begin(), sut.clients.end()}) + " touched it",
             "false");
  }
  if (sut.virtual_clock && q->accessed_at < sut.t0 + sut.m.now()) {
    mismatch(sut, what + " (accessedAt, spec 6.2: changes on any access)",
             "at or after " + format_iso8601(sut.t0 + sut.m.now()) + " (the calls just made)",
             format_iso8601(q->accessed_at));
  }
  // Under the lag, the changes of the last bound ms may not be published yet.
  Ms shown = sut.changed;
  std::string which = "the last change";
  if (const Ms bound = sut.m.consistency_lag(); bound > 0) {
    shown = sut.changed_base;
    for (Ms c : sut.changes) {
      if (c + bound <= sut.m.now()) shown = std::max(shown, c);
    }
    which = "the last change at least " + std::to_string(bound) + " ms ago";
  }
  if (sut.virtual_clock && q->modified_at < sut.t0 + shown) {
    mismatch(sut, what + " (modifiedAt, spec 6.2)",
             "at or after " + format_iso8601(sut.t0 + shown) + " (" + which + ")",
             format_iso8601(q->modified_at));
  }
}

// Head and head/lock (decisions 24, 25, 26): `ids` are the requests the target returned.
// Must: none twice; head/lock hands out only available requests (decision 26), as many as
// min(limit, available); head lists only pending ones, at least min(limit, available) and at
// most min(limit, pending) of them (whether requests locked by others show up is decision 25, a
// 'should'); and no request still where its add put it comes before a forefront one that is
// too (decision 24, must: forefront before the rest). Exact: the model's queue order, and head
// shows no locked request. Under the consistency lag requests within their lag may be left out
// (head_lag_violation): the lower bound counts only those that must show, and order is judged
// among what was listed.
// `limit` nullopt: the call sent none, and the default is not asserted.
inline void check_head(Sut& sut, const std::vector<std::string>& ids,
                       std::optional<std::int64_t> limit, bool locking, const std::string& what) {
  auto order = sut.m.queue_order();
  std::vector<std::string> avail_keys;
  for (const auto& r : order) avail_keys.push_back(r.unique_key);
  const bool strict = locking || sut.exact;
  const bool lagged = sut.m.consistency_lag() > 0;
  const std::size_t cap = limit ? static_cast<std::size_t>(*limit) : ids.size();
  const std::size_t low =
      std::min(lagged ? sut.m.surely_visible_order().size() : order.size(), cap);
  const std::size_t high = strict ? std::min(order.size(), cap)
                                  : std::min(static_cast<std::size_t>(sut.m.pending()), cap);
  std::set<std::string> seen;
  for (const auto& id : ids) {
    const ModelRequest* m = sut.m.find_id(id);
    if (!m || m->handled || (strict && !m->available())) {
      mismatch(sut,
               what + " returned a request that is not " +
                   (strict ? "available (decisions 25, 26)" : "pending"),
               "items among the " + std::string(strict ? "available" : "pending") +
                   " requests (available: " + join(avail_keys) + ")",
               m ? describe(*m, sut.m.now()) : "id " + id + " (not in the queue)");
    }
    if (!seen.insert(id).second) {
      mismatch(sut, what + " returned a request twice", "each request once", m->unique_key);
    }
  }
  if (ids.size() < low || ids.size() > high) {
    mismatch(
        sut, what + " returned the wrong number of items",
        (low == high ? std::to_string(low) : std::to_string(low) + " to " + std::to_string(high)) +
            " (available: " + join(avail_keys) + ")",
        std::to_string(ids.size()) + ": " + join(keys_of(sut, ids)));
  }
  std::vector<std::string> want_ids;
  for (std::size_t i = 0; i < std::min(order.size(), cap); ++i) want_ids.push_back(order[i].id);
  if (lagged) {
    const std::string why = head_lag_violation(sut.m, ids, cap, sut.exact);
    if (!why.empty()) {
      mismatch(sut, what + " under the consistency lag: " + why,
               "a page of the available requests " + join(avail_keys) +
                   " in which only those within their lag may be missing",
               join(keys_of(sut, ids)));
    }
    if (sut.exact) return;
  }
  if (sut.exact) {
    if (ids != want_ids) {
      mismatch(sut,
               what +
                   " is not in queue order (decision 24: forefront newest first, then "
                   "first in first out; expired locks by expiry)",
               join(keys_of(sut, want_ids)), join(keys_of(sut, ids)));
    }
    return;
  }
  bool skipped_forefront = false;
  for (const auto& r : order) {
    if (r.forefront && r.settled && !seen.count(r.id) && sut.m.surely_visible(r)) {
      skipped_forefront = true;
    }
  }
  for (const auto& id : ids) {
    const ModelRequest* m = sut.m.find_id(id);
    if (skipped_forefront && m->available() && m->settled && !m->forefront) {
      mismatch(sut, what + " put a request before an available forefront one (decision 24)",
               "the forefront requests first: " + join(keys_of(sut, want_ids)),
               join(keys_of(sut, ids)));
    }
  }
}

// After a lock change: the locked set as list ?filter=locked shows it, one page.
inline void read_back_locked(Sut& sut, const std::string& after) {
  client::ListRequestsOptions o;
  o.filter = {"locked"};
  o.limit = 1000;
  auto r = sut.api.list_requests(sut.queue, o);
  const std::string what = "read-back after " + after + ": list ?filter=locked";
  need_ok(sut, r, what, "200 with the locked requests");
  std::vector<std::string> got, want;
  for (const auto& i : r->items) got.push_back(key_of_id(sut, i.value("id", "")));
  for (const auto& m : sut.m.matching(ListFilter::kLocked)) want.push_back(m.unique_key);
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  if (got != want) mismatch(sut, what + " (decision 32)", join(want), join(got));
}

inline void touch(Sut& sut, const std::string& client) { sut.clients.insert(client); }
inline void mark_changed(Sut& sut) {
  sut.changed = sut.m.now();
  if (sut.m.consistency_lag() > 0) sut.changes.push_back(sut.changed);
}

template <typename C>
void begin(const C& cmd, Sut& sut) {
  std::ostringstream os;
  cmd.show(os);
  sut.command = os.str();
  sut.target.note(sut.command);
  sut.mark = sut.target.transcript_size();
  sync_wall(sut.m, sut.virtual_clock, sut.started);
}

inline void show_write(std::ostream& os, const char* name, const std::string& key,
                       const std::string& url, bool handled, bool forefront,
                       const std::string& client, const std::string& tag) {
  os << name << "(" << key << ", " << url << (handled ? ", handled" : "")
     << (forefront ? ", forefront" : "") << ", tag " << tag << ", " << client << ")";
}

inline void expect_write(Sut& sut, const Result<AddResult>& r, const ModelWrite& want,
                         const std::string& what) {
  std::ostringstream w;
  w << "requestId " << want.id << ", wasAlreadyPresent " << want.was_already_present
    << ", wasAlreadyHandled " << want.was_already_handled;
  need_ok(sut, r, what, w.str());
  if (r->request_id != want.id || r->was_already_present != want.was_already_present ||
      r->was_already_handled != want.was_already_handled) {
    std::ostringstream g;
    g << "requestId " << r->request_id << ", wasAlreadyPresent " << r->was_already_present
      << ", wasAlreadyHandled " << r->was_already_handled;
    mismatch(sut, what + " (decisions 19-22)", w.str(), g.str());
  }
}

// (6) add one request.
struct Add : Cmd {
  std::string key = *gen_key(), url = *gen_url(), client = *gen_client(), tag = *gen_tag();
  bool handled = *rc::gen::weightedElement<bool>({{4, false}, {1, true}});
  bool forefront = *rc::gen::arbitrary<bool>();
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    const bool fresh = sut.m.find_key(key) == nullptr;
    ModelWrite want = sut.m.add(key, url, handled, forefront, tag);
    if (!fresh && forefront) sut.m.unsettle(want.id);  // whether it moves: a 'should' (21)
    auto r = sut.api.add_request(sut.queue, body_of(key, url, handled, tag),
                                 client::WriteOptions{forefront, client});
    expect_write(sut, r, want, "add");
    expect_status(sut, "add", 201);
    touch(sut, client);
    if (fresh) mark_changed(sut);
    read_back(sut, key, "add");
    read_back_queue(sut, "add");
  }
  void show(std::ostream& os) const override {
    show_write(os, "Add", key, url, handled, forefront, client, tag);
  }
};

// (8) batch add of distinct keys (decision 7); items handed back as unprocessed are resent, as
// the official clients do (a server may do that under load: spec 1.2).
struct BatchAdd : Cmd {
  std::vector<std::string> keys =
      *rc::gen::resize(6, rc::gen::unique<std::vector<std::string>>(gen_key()));
  std::vector<std::string> urls = *rc::gen::container<std::vector<std::string>>(6, gen_url());
  std::vector<bool> handled = *rc::gen::container<std::vector<bool>>(
      6, rc::gen::weightedElement<bool>({{4, false}, {1, true}}));
  bool forefront = *rc::gen::arbitrary<bool>();
  std::string client = *gen_client(), tag = *gen_tag();

  void checkPreconditions(const State&) const override { RC_PRE(!keys.empty()); }
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    std::map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < keys.size(); ++i) index[keys[i]] = i;
    std::vector<std::size_t> todo(keys.size());
    for (std::size_t i = 0; i < keys.size(); ++i) todo[i] = i;
    std::set<std::string> done;
    for (int call = 0; call < 4 && !todo.empty(); ++call) {
      std::vector<Json> body;
      for (std::size_t i : todo) body.push_back(body_of(keys[i], urls[i], handled[i], tag));
      auto r = sut.api.batch_add_requests(sut.queue, body, client::WriteOptions{forefront, client});
      need_ok(sut, r, "batch add", "201 with every item processed or unprocessed");
      expect_status(sut, "batch add", 201);
      touch(sut, client);
      std::set<std::string> unprocessed;
      for (const auto& u : r->unprocessed) unprocessed.insert(u.unique_key);
      // The model applies the processed items in the order they were sent.
      std::vector<std::size_t> next;
      for (std::size_t i : todo) {
        const std::string& k = keys[i];
        auto p = std::find_if(r->processed.begin(), r->processed.end(),
                              [&](const ProcessedRequest& x) { return x.unique_key == k; });
        const bool in_p = p != r->processed.end(), in_u = unprocessed.count(k) > 0;
        if (in_p == in_u) {
          mismatch(sut, "batch add item " + k,
                   "in exactly one of processedRequests and unprocessedRequests (spec 4 (8))",
                   in_p ? "in both" : "in neither");
        }
        if (in_u) {
          next.push_back(i);
          continue;
        }
        const bool fresh = sut.m.find_key(k) == nullptr;
        ModelWrite w = sut.m.add(k, urls[i], handled[i], forefront, tag);
        if (!fresh && forefront) sut.m.unsettle(w.id);
        if (fresh) mark_changed(sut);
        if (p->request_id != w.id || p->was_already_present != w.was_already_present ||
            p->was_already_handled != w.was_already_handled) {
          std::ostringstream want, got;
          want << "requestId " << w.id << ", wasAlreadyPresent " << w.was_already_present
               << ", wasAlreadyHandled " << w.was_already_handled;
          got << "requestId " << p->request_id << ", wasAlreadyPresent " << p->was_already_present
              << ", wasAlreadyHandled " << p->was_already_handled;
          mismatch(sut, "batch add item " + k + " (decisions 19-21)", want.str(), got.str());
        }
        done.insert(k);
      }
      for (const auto& p : r->processed) {
        if (!index.count(p.unique_key)) {
          mismatch(sut, "batch add", "processed items among the batch's keys " + join(keys),
                   p.unique_key);
        }
      }
      todo = std::move(next);
    }
    for (const auto& k : keys) read_back(sut, k, "batch add");
    read_back_queue(sut, "batch add");
  }
  void show(std::ostream& os) const override {
    os << "BatchAdd([";
    for (std::size_t i = 0; i < keys.size(); ++i) {
      os << (i ? ", " : "") << keys[i] << " " << urls[i] << (handled[i] ? " handled" : "");
    }
    os << "]" << (forefront ? ", forefront" : "") << ", tag " << tag << ", " << client << ")";
  }
};

// (10) get one request.
struct Get : Cmd {
  std::string key = *gen_key();
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    read_back(sut, key, "nothing");
  }
  void show(std::ostream& os) const override { os << "Get(" << key << ")"; }
};

// (11) PUT: replace, upsert, handled or back to pending (decisions 4, 22, 23).
struct Update : Cmd {
  std::string key = *gen_key(), url = *gen_url(), client = *gen_client(), tag = *gen_tag();
  bool handled = *rc::gen::arbitrary<bool>();
  bool forefront = *rc::gen::arbitrary<bool>();
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    const bool present = sut.m.find_key(key) != nullptr;
    const std::string id = QueueModel::id_of(key);
    Json body = body_of(key, url, handled, tag);
    body["id"] = id;
    auto r = sut.api.update_request(sut.queue, id, body, client::WriteOptions{forefront, client});
    touch(sut, client);
    // Upsert (decision 4) and wasAlreadyHandled before the update (decision 22) are 'should's:
    // without Sut::exact a 404 for an absent id passes, and wasAlreadyHandled is not compared.
    if (!present && !sut.exact && !r.ok() && r.error().status == 404) {
      read_back(sut, key, "update (refused upsert)");
      return;
    }
    ModelWrite want = sut.m.put(key, url, handled, forefront, tag);
    if (!sut.exact && r.ok()) want.was_already_handled = r->was_already_handled;
    expect_write(sut, r, want, "update");
    expect_status(sut, "update", 200);
    mark_changed(sut);
    read_back(sut, key, "update");
    read_back_queue(sut, "update");
    read_back_locked(sut, "update");  // a PUT drops the request's lock (spec 6.4)
  }
  void show(std::ostream& os) const override {
    show_write(os, "Update", key, url, handled, forefront, client, tag);
  }
};

// (12) delete one request (absent: 204 or 404, decision 5).
struct Delete : Cmd {
  std::string key = *gen_key(), client = *gen_client();
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    const bool present = sut.m.find_key(key) != nullptr;
    auto r =
        sut.api.delete_request(sut.queue, QueueModel::id_of(key), client::ClientKeyOptions{client});
    if (present) {
      need_ok(sut, r, "delete of a stored request", "204");
      expect_status(sut, "delete", 204);
    } else if (!r.ok() && r.error().status != 404) {
      mismatch(sut, "delete of an absent request", "204 or 404 (decision 5)", err_text(r.error()));
    }
    touch(sut, client);
    sut.m.remove_key(key);
    if (present) mark_changed(sut);
    read_back(sut, key, "delete");
    read_back_queue(sut, "delete");
  }
  void show(std::ostream& os) const override { os << "Delete(" << key << ", " << client << ")"; }
};

// (9) batch delete by id or by uniqueKey; absent items processed or unprocessed (decision 5);
// a stored item handed back as unprocessed stays stored.
struct BatchDelete : Cmd {
  std::vector<std::string> keys =
      *rc::gen::resize(6, rc::gen::unique<std::vector<std::string>>(gen_key()));
  bool by_id = *rc::gen::arbitrary<bool>();
  std::string client = *gen_client();

  void checkPreconditions(const State&) const override { RC_PRE(!keys.empty()); }
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    std::vector<Json> body;
    for (const auto& k : keys) {
      body.push_back(by_id ? Json{{"id", QueueModel::id_of(k)}} : Json{{"uniqueKey", k}});
    }
    auto r = sut.api.batch_delete_requests(sut.queue, body, client::ClientKeyOptions{client});
    need_ok(sut, r, "batch delete", "200 with processedRequests and unprocessedRequests");
    expect_status(sut, "batch delete", 200);
    touch(sut, client);
    auto key_of = [&](const std::optional<std::string>& id,
                      const std::optional<std::string>& uk) -> std::string {
      for (const auto& k : keys) {
        if ((uk && *uk == k) || (id && *id == QueueModel::id_of(k))) return k;
      }
      return "";
    };
    std::set<std::string> processed, unprocessed;
    for (const auto& p : r->processed) {
      std::string k = key_of(p.id, p.unique_key);
      if (k.empty()) {
        mismatch(
            sut, "batch delete", "processed items among " + join(keys),
            "id " + p.id.value_or("<none>") + ", uniqueKey " + p.unique_key.value_or("<none>"));
      }
      processed.insert(k);
    }
    for (const auto& u : r->unprocessed) {
      std::optional<std::string> id, uk;
      if (u.contains("id") && u["id"].is_string()) id = u["id"].get<std::string>();
      if (u.contains("uniqueKey") && u["uniqueKey"].is_string())
        uk = u["uniqueKey"].get<std::string>();
      std::string k = key_of(id, uk);
      if (!k.empty()) unprocessed.insert(k);
    }
    for (const auto& k : keys) {
      const bool present = sut.m.find_key(k) != nullptr;
      if (present && !processed.count(k) && !unprocessed.count(k)) {
        mismatch(sut, "batch delete item " + k,
                 "in processedRequests (or unprocessedRequests, to be resent)", "in neither");
      }
      if (processed.count(k)) {
        if (present) mark_changed(sut);
        sut.m.remove_key(k);
      }
    }
    for (const auto& k : keys) read_back(sut, k, "batch delete");
    read_back_queue(sut, "batch delete");
  }
  void show(std::ostream& os) const override {
    os << "BatchDelete(" << (by_id ? "by id" : "by uniqueKey") << ", " << join(keys) << ", "
       << client << ")";
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

// (7) a cursor walk under a filter, optionally deleting a request between pages: no request
// twice, each request that matches for the whole walk exactly once with the model's content,
// nothing that did not match, and the walk ends (decisions 31, 32).
struct ListWalk : Cmd {
  std::int64_t limit = *rc::gen::inRange<std::int64_t>(1, 5);
  ListFilter filter = *rc::gen::element(ListFilter::kNone, ListFilter::kLocked,
                                        ListFilter::kPending, ListFilter::kBoth);
  std::vector<std::string> deletes =
      *rc::gen::resize(3, rc::gen::container<std::vector<std::string>>(gen_key()));
  std::string client = *gen_client();

  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    std::set<std::string> matching_at_start, throughout;
    for (const auto& m : sut.m.matching(filter)) matching_at_start.insert(m.id);
    throughout = matching_at_start;
    std::vector<std::string> seen;
    std::optional<std::string> cursor;
    const std::int64_t max_pages = sut.m.total() / limit + 3;
    std::size_t next_delete = 0;
    bool ended = false;
    for (std::int64_t page = 0; page < max_pages; ++page) {
      client::ListRequestsOptions o;
      o.limit = limit;
      o.cursor = cursor;
      o.filter = filter_params(filter);
      o.client_key = client;
      auto r = sut.api.list_requests(sut.queue, o);
      need_ok(sut, r, "list page " + std::to_string(page + 1), "200 with a page");
      touch(sut, client);
      if (static_cast<std::int64_t>(r->items.size()) > limit) {
        mismatch(sut, "list page " + std::to_string(page + 1),
                 "at most limit " + std::to_string(limit) + " items",
                 std::to_string(r->items.size()) + " items");
      }
      for (const auto& item : r->items) {
        std::string id = item.value("id", "");
        if (!matching_at_start.count(id)) {
          mismatch(sut,
                   "list page " + std::to_string(page + 1) + " under filter " + filter_name(filter),
                   "only requests that match: " +
                       join(keys_of(sut, {matching_at_start.begin(), matching_at_start.end()})),
                   key_of_id(sut, id));
        }
        if (std::count(seen.begin(), seen.end(), id)) {
          mismatch(sut, "list walk", "each request once (decision 31)",
                   key_of_id(sut, id) + " twice, on page " + std::to_string(page + 1));
        }
        seen.push_back(id);
        if (const ModelRequest* m = sut.m.find_id(id)) {
          compare_request(sut, item, *m, "list page " + std::to_string(page + 1) + " item");
        }
      }
      // Decision 31 ('should'): without a filter, a page with fewer items than limit is the
      // last one (no nextCursor). A full last page may carry one or not (spec 6.5: the scan
      // may not know it is exhausted); a missing one on a full page that is not the last is
      // the must rule above (every request listed).
      if (sut.exact && filter == ListFilter::kNone &&
          static_cast<std::int64_t>(r->items.size()) < limit && r->next_cursor) {
        mismatch(sut, "list page " + std::to_string(page + 1) + " nextCursor (decision 31)",
                 "no nextCursor: the page has fewer items than limit, the walk is over",
                 "nextCursor " + *r->next_cursor);
      }
      if (!r->next_cursor) {
        ended = true;
        break;
      }
      cursor = r->next_cursor;
      if (next_delete < deletes.size()) {
        const std::string& k = deletes[next_delete++];
        std::string id = QueueModel::id_of(k);
        auto d = sut.api.delete_request(sut.queue, id, client::ClientKeyOptions{client});
        const bool present = sut.m.find_id(id) != nullptr;
        if (present) need_ok(sut, d, "delete between pages", "204");
        if (present) mark_changed(sut);
        sut.m.remove_id(id);
        throughout.erase(id);
      }
    }
    if (!ended) {
      mismatch(sut, "list walk", "the walk ends within " + std::to_string(max_pages) + " pages",
               "nextCursor still present");
    }
    for (const auto& id : throughout) {
      if (!std::count(seen.begin(), seen.end(), id)) {
        mismatch(sut, "list walk under filter " + std::string(filter_name(filter)),
                 "every request that matched for the whole walk (decision 31): " +
                     join(keys_of(sut, {throughout.begin(), throughout.end()})),
                 "missing " + key_of_id(sut, id) + "; listed " + join(keys_of(sut, seen)));
      }
    }
    if (next_delete > 0) read_back_queue(sut, "deletes between pages");
  }
  void show(std::ostream& os) const override {
    os << "ListWalk(limit " << limit << ", filter " << filter_name(filter) << ", " << client;
    if (!deletes.empty()) os << ", deleting " << join(deletes) << " between pages";
    os << ")";
  }
};

// (13) head.
struct Head : Cmd {
  std::int64_t limit = *rc::gen::inRange<std::int64_t>(0, 8);
  std::string client = *gen_client();
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    // No limit: the default, 100 (decision 11), asserted only with Sut::exact.
    std::optional<std::int64_t> sent;
    if (limit > 0) sent = limit;
    auto r = sut.api.list_head(sut.queue, client::HeadOptions{sent, client});
    std::optional<std::int64_t> assumed = sent;
    if (!sent && sut.exact) assumed = 100;
    need_ok(sut, r, "head", "200 with the head");
    touch(sut, client);
    std::vector<std::string> ids;
    for (const auto& i : r->items) ids.push_back(i.id);
    check_head(sut, ids, assumed, false, "head");
    for (const auto& i : r->items) {
      const ModelRequest* m = sut.m.find_id(i.id);
      if (i.unique_key != m->unique_key || i.url != m->url) {
        mismatch(sut, "head item", describe(*m, sut.m.now()), i.unique_key + " (" + i.url + ")");
      }
    }
    if (sut.virtual_clock && r->queue_modified_at < sut.t0 + sut.changed) {
      mismatch(sut, "head queueModifiedAt (spec 6.2)",
               "at or after " + format_iso8601(sut.t0 + sut.changed) + " (the last change)",
               format_iso8601(r->queue_modified_at));
    }
  }
  void show(std::ostream& os) const override {
    os << "Head(" << (limit ? "limit " + std::to_string(limit) : std::string("no limit")) << ", "
       << client << ")";
  }
};

// (14) head/lock: any allowed choice of requests, which the model then holds as locked.
struct LockHead : Cmd {
  std::string client = *gen_client();
  std::int64_t limit = *rc::gen::inRange<std::int64_t>(1, 6);
  std::int64_t lock_secs = *rc::gen::element<std::int64_t>(1, 2, 5);

  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    const std::int64_t ms = lock_secs * 1000 * (sut.virtual_clock ? 1 : 120);
    client::LockHeadOptions o;
    o.lock_secs = ms / 1000;
    o.limit = limit;
    o.client_key = client;
    auto r = sut.api.list_and_lock_head(sut.queue, o);
    need_ok(sut, r, "head/lock", "201 with the locked head");
    expect_status(sut, "head/lock", 201);
    touch(sut, client);
    std::vector<std::string> ids;
    for (const auto& i : r->items) ids.push_back(i.id);
    check_head(sut, ids, limit, true, "head/lock");
    const TimeMs want_exp = sut.t0 + sut.m.now() + ms;
    for (const auto& i : r->items) {
      // spec 4 (14): lockExpiresAt = now + lockSecs (virtual clock: exactly, give or take 1 s).
      if (sut.virtual_clock && (!i.lock_expires_at || *i.lock_expires_at < want_exp - 1000 ||
                                *i.lock_expires_at > want_exp + 1000)) {
        mismatch(sut, "head/lock item " + i.unique_key + " lockExpiresAt (spec 4 (14))",
                 format_iso8601(want_exp) + " (now + lockSecs)",
                 i.lock_expires_at ? format_iso8601(*i.lock_expires_at) : "<none>");
      }
    }
    sut.m.lock_ids(client, ids, ms);
    if (!ids.empty()) mark_changed(sut);
    if (r->queue_has_locked_requests && *r->queue_has_locked_requests != sut.m.any_locked()) {
      mismatch(sut, "head/lock queueHasLockedRequests (spec 4 (14))",
               sut.m.any_locked() ? "true" : "false",
               *r->queue_has_locked_requests ? "true" : "false");
    }
    read_back_locked(sut, "head/lock");
    read_back_queue(sut, "head/lock");
  }
  void show(std::ostream& os) const override {
    os << "LockHead(" << client << ", limit " << limit << ", " << lock_secs << " s)";
  }
};

// Prolong and delete lock act on a lock somebody holds two times in three (`pick`: the n-th
// locked request in id order, by its owner), else on a random key by a random client.
struct LockTarget {
  int pick = *rc::gen::weightedElement<int>({{1, -1}, {2, 0}}) < 0
                 ? -1
                 : *rc::gen::inRange(0, 4);  // -1: the random key and client below
  std::string client = *gen_client(), key = *gen_key();

  // The key and client to use, as the model stands now; the command's label says which.
  std::pair<std::string, std::string> resolve(Sut& sut) const {
    if (pick >= 0) {
      auto locked = sut.m.matching(ListFilter::kLocked);
      if (!locked.empty()) {
        const ModelRequest& r = locked[static_cast<std::size_t>(pick) % locked.size()];
        sut.command += " -> " + r.unique_key + " by its owner " + *r.lock_owner;
        sut.target.note(sut.command);
        return {r.unique_key, *r.lock_owner};
      }
    }
    return {key, client};
  }
  void show(std::ostream& os) const {
    if (pick >= 0)
      os << "held lock #" << pick;
    else
      os << key << " by " << client;
  }
};

// (15) prolong: the owner gets a new expiry of at least now + lockSecs (decision 27: exactly
// that is a 'should'; the model adopts the answer); anyone else, or a request nobody holds, an
// error (400 or 403; 404 when absent).
struct Prolong : Cmd {
  LockTarget on;
  std::int64_t lock_secs = *rc::gen::element<std::int64_t>(1, 2, 5);
  bool forefront = *rc::gen::arbitrary<bool>();
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    const auto [key, client] = on.resolve(sut);
    const std::string id = QueueModel::id_of(key);
    const LockOutcome o = sut.m.lock_state(client, id);
    const std::int64_t ms = lock_secs * 1000 * (sut.virtual_clock ? 1 : 120);
    client::ProlongLockOptions opt;
    opt.lock_secs = ms / 1000;
    opt.forefront = forefront;
    opt.client_key = client;
    auto r = sut.api.prolong_request_lock(sut.queue, id, opt);
    touch(sut, client);
    const ModelRequest* m = sut.m.find_id(id);
    if (o == LockOutcome::kOk) {
      need_ok(sut, r, "prolong by the owner", "200 {lockExpiresAt}");
      expect_status(sut, "prolong", 200);
      const TimeMs now = sut.t0 + sut.m.now();
      // Decision 27 ('should'): now + lockSecs, or the alternative spec 4 (15) reports (the
      // current expiry + lockSecs, rq-fake --behave prolong-from-expiry). Otherwise any expiry
      // after now. The model takes the target's.
      const TimeMs from_expiry = sut.t0 + sut.m.find_id(id)->lock_expires + ms;
      auto near = [&](TimeMs t) { return *r >= t - 1000 && *r <= t + 1000; };
      if (sut.virtual_clock &&
          ((sut.exact && !near(now + ms) && !near(from_expiry)) || *r <= now)) {
        mismatch(sut, "prolong lockExpiresAt (decision 27, spec 4 (15))",
                 sut.exact ? format_iso8601(now + ms) + " (now + lockSecs) or " +
                                 format_iso8601(from_expiry) + " (expiry + lockSecs)"
                           : "a time after now (" + format_iso8601(now) + ")",
                 format_iso8601(*r));
      }
      sut.m.prolong(client, id, ms, forefront);
      if (sut.virtual_clock) sut.m.set_lock_expiry(id, *r - sut.t0);
    } else if (o == LockOutcome::kAbsent) {
      need_error(sut, r, {404}, "prolong of an absent request", "404 record-not-found");
    } else {
      need_error(sut, r, {400, 403}, std::string("prolong of ") + key + " by " + client,
                 (o == LockOutcome::kNotOwner
                      ? "400 or 403: " + describe(*m, sut.m.now())
                      : "400 or 403: the request is not locked " + describe(*m, sut.m.now())) +
                     " (decision 27)");
    }
    read_back_locked(sut, "prolong");
  }
  void show(std::ostream& os) const override {
    os << "Prolong(";
    on.show(os);
    os << ", " << lock_secs << " s" << (forefront ? ", forefront" : "") << ")";
  }
};

// (16) delete lock: only the owner; the request is available again (end, or front with
// forefront); anyone else or an unlocked request: 400 or 403 (decision 28).
struct DeleteLock : Cmd {
  LockTarget on;
  bool forefront = *rc::gen::arbitrary<bool>();
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    const auto [key, client] = on.resolve(sut);
    const std::string id = QueueModel::id_of(key);
    const LockOutcome o = sut.m.lock_state(client, id);
    auto r =
        sut.api.delete_request_lock(sut.queue, id, client::DeleteLockOptions{forefront, client});
    touch(sut, client);
    if (o == LockOutcome::kOk) {
      need_ok(sut, r, "delete lock by the owner", "204");
      expect_status(sut, "delete lock", 204);
      sut.m.delete_lock(client, id, forefront);
      mark_changed(sut);
    } else if (o == LockOutcome::kAbsent) {
      need_error(sut, r, {404}, "delete lock of an absent request", "404 record-not-found");
    } else {
      need_error(sut, r, {400, 403}, std::string("delete lock of ") + key + " by " + client,
                 "400 or 403: " + describe(*sut.m.find_id(id), sut.m.now()) + " (decision 28)");
    }
    read_back_locked(sut, "delete lock");
  }
  void show(std::ostream& os) const override {
    os << "DeleteLock(";
    on.show(os);
    os << (forefront ? ", forefront" : "") << ")";
  }
};

// (17) unlock: releases exactly this client's locks and says how many.
struct Unlock : Cmd {
  std::string client = *gen_client();
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    auto r = sut.api.unlock_requests(sut.queue, client::ClientKeyOptions{client});
    touch(sut, client);
    const std::int64_t want = sut.m.unlock(client);
    need_ok(sut, r, "unlock", "200 {unlockedCount: " + std::to_string(want) + "}");
    expect_status(sut, "unlock", 200);
    if (*r != want) {
      mismatch(sut, "unlock (spec 4 (17))", "unlockedCount " + std::to_string(want),
               "unlockedCount " + std::to_string(*r));
    }
    if (want > 0) mark_changed(sut);
    read_back_locked(sut, "unlock");
  }
  void show(std::ostream& os) const override { os << "Unlock(" << client << ")"; }
};

// (3) get the queue.
struct GetQueue : Cmd {
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    read_back_queue(sut, "nothing");
  }
  void show(std::ostream& os) const override { os << "GetQueue()"; }
};

// (4) rename the queue, or make it unnamed (name null).
struct UpdateQueue : Cmd {
  std::optional<std::string> name = *rc::gen::element<std::optional<std::string>>(
      std::string("a"), std::string("b"), std::nullopt);
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    client::QueueUpdate u;
    std::optional<std::string> full;
    if (name) {
      full = sut.name_prefix + "-" + std::to_string(sut.generation) + "-" + *name;
      u.name = full;
    } else {
      u.clear_name = true;
    }
    auto r = sut.api.update_queue(sut.queue, u);
    need_ok(sut, r, "update queue", "200 with the renamed queue");
    expect_status(sut, "update queue", 200);
    if (r->name != full) {
      mismatch(sut, "update queue answer (spec 4 (4))", full ? "name " + *full : "name null",
               r->name ? "name " + *r->name : "name null");
    }
    sut.name = full;
    read_back_queue(sut, "update queue");
    if (full) {
      // The queue by its name (spec section 1: "~queue-name" is a storage of the token's owner).
      auto by_name = sut.api.get_queue("~" + *full);
      need_ok(sut, by_name, "GET queue ~" + *full, "200 with the queue " + sut.queue);
      if (by_name->id != sut.queue) {
        mismatch(sut, "GET queue ~" + *full + " (spec section 1: ~queue-name)", "id " + sut.queue,
                 "id " + by_name->id);
      }
    }
  }
  void show(std::ostream& os) const override {
    os << "UpdateQueue(" << (name ? "name " + *name : std::string("name null")) << ")";
  }
};

// (5) delete the queue: afterwards the queue and its requests are 404 (decision 14); the case
// goes on with a new queue.
struct DeleteQueue : Cmd {
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    auto r = sut.api.delete_queue(sut.queue);
    need_ok(sut, r, "delete queue", "204");
    expect_status(sut, "delete queue", 204);
    auto q = sut.api.get_queue(sut.queue);
    need_error(sut, q, {404}, "GET of the deleted queue", "404 record-not-found (decision 14)");
    if (!sut.m.requests().empty()) {
      const std::string id = sut.m.requests().begin()->first;
      auto g = sut.api.get_request(sut.queue, id);
      need_error(sut, g, {404}, "GET of a request of the deleted queue",
                 "404 record-not-found (decision 14)");
    }
    auto a = sut.api.add_request(sut.queue, body_of("a", "https://x.test/1", false, "t1"),
                                 client::WriteOptions{std::nullopt, std::string("c1")});
    need_error(sut, a, {404}, "add to the deleted queue", "404 record-not-found (decision 14)");
    auto h = sut.api.list_head(sut.queue, client::HeadOptions{10, std::string("c1")});
    need_error(sut, h, {404}, "head of the deleted queue", "404 record-not-found (decision 14)");
    auto fresh = sut.api.get_or_create_queue();
    need_ok(sut, fresh, "creating the next queue", "201 with a new queue");
    expect_status(sut, "creating an unnamed queue", 201);
    sut.queue = fresh->id;
    const Ms now = sut.m.now();
    QueueModel next;
    next.set_consistency_lag(sut.m.consistency_lag());
    next.advance(now);
    sut.m = std::move(next);
    sut.clients.clear();
    sut.name.reset();
    sut.changed = now;
    sut.changes.clear();
    sut.changed_base = now;
    ++sut.generation;
  }
  void show(std::ostream& os) const override { os << "DeleteQueue()"; }
};

// Calls the contract refuses, and a read-back that nothing changed. Must: no uniqueKey (decision
// 1), a batch of 26 or of 0 (decision 6), head/lock without lockSecs (decision 9): 400. Only
// with Sut::exact (the rows are 'should'): duplicate keys in one batch (decision 7), an add body
// id that is not the derived one (decision 2), a PUT body id that is not the path's (decision
// 3), a clientKey of 33 characters (decision 8).
struct Refused : Cmd {
  enum Kind {
    kNoUniqueKey,
    kBatch26,
    kBatchEmpty,
    kNoLockSecs,
    kBatchDuplicates,
    kAddWrongId,
    kPutIdMismatch,
    kLongClientKey
  };
  Kind kind = *rc::gen::element(kNoUniqueKey, kBatch26, kBatchEmpty, kNoLockSecs, kBatchDuplicates,
                                kAddWrongId, kPutIdMismatch, kLongClientKey);
  std::string key = *gen_key(), other = *gen_key(), url = *gen_url();

  static const char* name(Kind k) {
    switch (k) {
      case kNoUniqueKey:
        return "add without uniqueKey";
      case kBatch26:
        return "batch add of 26";
      case kBatchEmpty:
        return "empty batch add";
      case kNoLockSecs:
        return "head/lock without lockSecs";
      case kBatchDuplicates:
        return "batch add with a duplicate uniqueKey";
      case kAddWrongId:
        return "add whose body id is not derived from its uniqueKey";
      case kPutIdMismatch:
        return "PUT whose body id is not the path's";
      case kLongClientKey:
        return "add with a 33-character clientKey";
    }
    return "?";
  }
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    const bool should = kind >= kBatchDuplicates;
    if (should && !sut.exact) return;  // a 'should': only the should variant asserts it
    const std::string what = std::string(name(kind)) + " must be refused";
    std::vector<std::string> keys;  // what must not have been stored
    auto refuse = [&](auto&& r, const char* rule) {
      need_error(sut, r, {400}, what, std::string("400 with the error envelope (") + rule + ")");
    };
    const client::WriteOptions wo{std::nullopt, std::string("c1")};
    switch (kind) {
      case kNoUniqueKey: {
        refuse(sut.api.add_request(sut.queue, Json{{"url", url}}, wo), "decision 1");
        // A server that took the url as uniqueKey stored it under that key.
        keys = {url};
        break;
      }
      case kBatch26: {
        std::vector<Json> b;
        for (int i = 0; i < 26; ++i) {
          b.push_back(body_of("n" + std::to_string(i), url, false, "t1"));
          keys.push_back("n" + std::to_string(i));
        }
        refuse(sut.api.batch_add_requests(sut.queue, b, wo), "decision 6");
        break;
      }
      case kBatchEmpty:
        refuse(sut.api.batch_add_requests(sut.queue, {}, wo), "decision 6");
        break;
      case kNoLockSecs: {
        client::RawRequest req;
        req.method = "POST";
        req.path = "/v2/request-queues/" + sut.queue + "/head/lock";
        req.query = {{"limit", "25"}, {"clientKey", "c1"}};
        req.retry = !sut.target.embedded();
        auto ex = sut.target.http().send(req);
        if (ex.status != 400) {
          mismatch(sut, what, "400 (decision 9: lockSecs is required)",
                   std::to_string(ex.status) + " " + clip(ex.response_body));
        }
        break;
      }
      case kBatchDuplicates: {
        const std::string k = "dup-" + key;
        refuse(sut.api.batch_add_requests(
                   sut.queue,
                   {body_of(k, url, false, "t1"), body_of(k, "https://x.test/2", false, "t2")}, wo),
               "decision 7");
        keys = {k};
        break;
      }
      case kAddWrongId: {
        if (sut.m.find_key(key)) return;  // an existing key may answer its id (dedup first)
        Json b = body_of(key, url, false, "t1");
        b["id"] = QueueModel::id_of(key + "x");
        refuse(sut.api.add_request(sut.queue, b, wo), "decision 2");
        keys = {key};
        break;
      }
      case kPutIdMismatch: {
        if (key == other) return;
        Json b = body_of(key, url, false, "t1");
        b["id"] = QueueModel::id_of(other);
        refuse(sut.api.update_request(sut.queue, QueueModel::id_of(key), b, wo), "decision 3");
        break;
      }
      case kLongClientKey: {
        if (sut.m.find_key(key)) return;
        refuse(sut.api.add_request(sut.queue, body_of(key, url, false, "t1"),
                                   client::WriteOptions{std::nullopt, std::string(33, 'k')}),
               "decision 8");
        keys = {key};
        break;
      }
    }
    for (const auto& k : keys) {
      if (!sut.m.find_key(k)) read_back(sut, k, std::string("the refused ") + name(kind));
    }
    if (kind == kPutIdMismatch) {
      read_back(sut, key, "the refused PUT");
      read_back(sut, other, "the refused PUT");
    }
    read_back_queue(sut, std::string("the refused ") + name(kind));
  }
  void show(std::ostream& os) const override {
    os << "Refused(" << name(kind);
    if (kind == kNoUniqueKey) os << ", url " << url;
    if (kind == kAddWrongId || kind == kLongClientKey) os << ", " << key;
    if (kind == kPutIdMismatch) os << ", path " << key << ", body id of " << other;
    if (kind == kBatchDuplicates) os << ", dup-" << key << " twice";
    os << ")";
  }
};

// Moves the fake's virtual clock with POST /__admin/clock: locks expire (decision 29).
struct AdvanceClock : Cmd {
  std::int64_t ms = *rc::gen::element<std::int64_t>(500, 1000, 2500, 6000);
  void checkPreconditions(const State& s) const override { RC_PRE(s.virtual_clock); }
  void run(const State&, Sut& sut) const override {
    begin(*this, sut);
    auto ex = sut.target.admin("POST", "/__admin/clock", Json{{"advanceMs", ms}});
    if (ex.status != 200) {
      mismatch(sut, "POST /__admin/clock", "200 (rq-fake with a virtual clock)",
               std::to_string(ex.status) + " " + clip(ex.response_body));
    }
    sut.m.advance(ms);
    read_back_locked(sut, "the clock moved");
  }
  void show(std::ostream& os) const override { os << "AdvanceClock(" << ms << " ms)"; }
};

}  // namespace rqcheck::prop::oracle
