// Small helpers shared by the checks (private to the library).
#pragma once

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "rqcheck/conformance/check.h"
#include "rqcheck/conformance/context.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/time.h"

namespace rqcheck::conformance::helpers {

using client::ClientKeyOptions;
using client::HeadOptions;
using client::ListRequestsOptions;
using client::LockHeadOptions;
using client::WriteOptions;

inline std::string join(const std::vector<std::string>& v) {
  std::string s = "[";
  for (std::size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + v[i];
  return s + "]";
}

inline std::string yes_no(bool b) { return b ? "true" : "false"; }

// Adds `key` (see Context::request) and returns its id.
inline std::string add(Context& ctx, const std::string& q, const std::string& key,
                       WriteOptions o = {}) {
  return ctx.ok(ctx.api().add_request(q, ctx.request(key), o), "adding " + key).request_id;
}

// Marks a stored request handled with PUT (handledAt = now).
inline void mark_handled(Context& ctx, const std::string& q, const std::string& key) {
  Json body = ctx.request(key);
  body["id"] = request_id_for(ctx.unique_key(key));
  body["handledAt"] = format_iso8601(SystemClock().now_ms());
  ctx.ok(ctx.api().update_request(q, body["id"].get<std::string>(), body),
         "marking " + key + " handled");
}

// Batch add as the official clients do it (spec section 7.1, batch-add-requests.txt): the
// items that come back in unprocessedRequests (rate limit, internal failure) are sent again,
// up to 4 calls in all, with a pause between calls. The result merges every call's processed
// items; `unprocessed` holds what was still unprocessed after the last call. A server that
// legitimately defers items is not a failure; one that never accepts them is (the caller sees
// a non-empty `unprocessed`).
// `fresh`: none of the items is in the queue yet, so an unprocessed item that a read-back finds
// stored was stored although reported unprocessed (spec 1.2).
inline BatchAddResult batch_add(Context& ctx, const std::string& q, std::vector<Json> items,
                                WriteOptions o = {}, bool fresh = false) {
  BatchAddResult all;
  for (int attempt = 0; attempt < 4 && !items.empty(); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250 << (attempt - 1)));
    auto r = ctx.ok(ctx.api().batch_add_requests(q, items, o), "the batch add");
    for (auto& p : r.processed) all.processed.push_back(std::move(p));
    std::vector<Json> again;
    for (const auto& u : r.unprocessed) {
      for (const auto& it : items) {
        if (it.contains("uniqueKey") && it["uniqueKey"] == u.unique_key) again.push_back(it);
      }
      // An unprocessed item was not stored (spec 1.2): reading it back finds nothing. The id is
      // the derived one (decision 19); a server with other ids answers 404 here too.
      if (fresh) {
        auto stored = ctx.api().get_request(q, request_id_for(u.unique_key));
        ctx.expect(!stored, u.unique_key + " came back unprocessed and is not stored",
                   "GET finds it stored");
      }
    }
    all.unprocessed = std::move(r.unprocessed);
    if (again.size() != all.unprocessed.size()) break;  // unmatched items: report as they are
    items = std::move(again);
  }
  return all;
}

// Batch delete with the same retries: an unprocessed item (matched by id or uniqueKey) is sent
// again.
inline BatchDeleteResult batch_delete(Context& ctx, const std::string& q, std::vector<Json> items,
                                      ClientKeyOptions o = {}) {
  BatchDeleteResult all;
  for (int attempt = 0; attempt < 4 && !items.empty(); ++attempt) {
    if (attempt > 0) std::this_thread::sleep_for(std::chrono::milliseconds(250 << (attempt - 1)));
    auto r = ctx.ok(ctx.api().batch_delete_requests(q, items, o), "the batch delete");
    for (auto& p : r.processed) all.processed.push_back(std::move(p));
    std::vector<Json> again;
    for (const auto& u : r.unprocessed) {
      for (const auto& it : items) {
        bool same_id = u.contains("id") && it.contains("id") && u["id"] == it["id"];
        bool same_key = u.contains("uniqueKey") && it.contains("uniqueKey") &&
                        u["uniqueKey"] == it["uniqueKey"];
        if (same_id || same_key) {
          again.push_back(it);
          break;
        }
      }
    }
    all.unprocessed = std::move(r.unprocessed);
    if (again.size() != all.unprocessed.size()) break;
    items = std::move(again);
  }
  return all;
}

// Reads with `read` until `done(value)` holds or the target's consistency bound
// (TargetInfo::consistency_wait_ms) has passed, with backoff (50 ms doubling to 1 s), and returns
// the last value read; the caller then judges it as before, so a write that never shows within
// the bound still fails. The only place a check waits for eventual consistency: a read that
// needed more than one poll says so in the evidence ("<what> after 3 polls, 412 ms").
template <typename Read, typename Done>
auto eventually(Context& ctx, const std::string& what, Read read, Done done) -> decltype(read()) {
  using Clock = std::chrono::steady_clock;
  const auto start = Clock::now();
  const auto bound =
      std::chrono::milliseconds(std::max<std::int64_t>(0, ctx.target().consistency_wait_ms));
  auto value = read();
  int polls = 1;
  auto pause = std::chrono::milliseconds(50);
  bool ok = done(value);
  while (!ok) {
    auto elapsed = Clock::now() - start;
    if (elapsed >= bound) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(bound - elapsed);
    std::this_thread::sleep_for(std::min(pause, left));
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
    value = read();
    ++polls;
    ok = done(value);
  }
  if (polls > 1) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
    ctx.observe_wait(what + (ok ? " after " : " still not as expected after ") +
                     std::to_string(polls) + " polls, " + std::to_string(ms) + " ms");
  }
  return value;
}

inline std::vector<std::string> head_ids(Context& ctx, const std::string& q,
                                         std::optional<std::int64_t> limit = std::nullopt,
                                         std::optional<std::string> client_key = std::nullopt) {
  HeadOptions o;
  o.limit = limit;
  o.client_key = client_key;
  auto h = ctx.ok(ctx.api().list_head(q, o), "getting the head");
  std::vector<std::string> ids;
  for (const auto& it : h.items) ids.push_back(it.id);
  return ids;
}

inline std::vector<std::string> lock_ids(Context& ctx, const std::string& q,
                                         const std::string& client_key, std::int64_t limit,
                                         std::int64_t lock_secs = 60) {
  LockHeadOptions o;
  o.lock_secs = lock_secs;
  o.limit = limit;
  o.client_key = client_key;
  auto h = ctx.ok(ctx.api().list_and_lock_head(q, o), "locking the head");
  std::vector<std::string> ids;
  for (const auto& it : h.items) ids.push_back(it.id);
  return ids;
}

// GET head until `done(ids)` holds (eventually): for a head read after a write.
template <typename Done>
std::vector<std::string> head_ids_when(Context& ctx, const std::string& q, Done done,
                                       std::optional<std::int64_t> limit = std::nullopt,
                                       std::optional<std::string> client_key = std::nullopt) {
  return eventually(
      ctx, "the head", [&] { return head_ids(ctx, q, limit, client_key); }, done);
}

// GET head until it equals `want` (eventually).
inline std::vector<std::string> head_ids_eventually(
    Context& ctx, const std::string& q, const std::vector<std::string>& want,
    std::optional<std::int64_t> limit = std::nullopt,
    std::optional<std::string> client_key = std::nullopt) {
  return head_ids_when(
      ctx, q, [&](const std::vector<std::string>& ids) { return ids == want; }, limit, client_key);
}

// GET head until every id of `ids` is in it: before a head/lock that should take them.
inline void await_in_head(Context& ctx, const std::string& q, const std::vector<std::string>& ids,
                          std::optional<std::string> client_key = std::nullopt) {
  head_ids_when(
      ctx, q,
      [&](const std::vector<std::string>& got) {
        return std::all_of(ids.begin(), ids.end(), [&](const std::string& id) {
          return std::find(got.begin(), got.end(), id) != got.end();
        });
      },
      std::nullopt, client_key);
}

// A string field of an answer's data ("" when the answer has no such field).
inline std::string data_field(const Response& r, const char* key) {
  if (!r.json_ok || !r.json.is_object() || !r.json.contains("data")) return {};
  const Json& d = r.json["data"];
  if (!d.is_object() || !d.contains(key) || !d[key].is_string()) return {};
  return d[key].get<std::string>();
}

inline std::string id_of(Context& ctx, const std::string& key) {
  return request_id_for(ctx.unique_key(key));
}

inline std::vector<std::string> ids_of(Context& ctx, std::vector<std::string> keys) {
  for (auto& k : keys) k = id_of(ctx, k);
  return keys;
}

inline std::vector<std::string> page_ids(const RequestsPage& p) {
  std::vector<std::string> ids;
  for (const auto& it : p.items) {
    ids.push_back(it.contains("id") && it["id"].is_string() ? it["id"].get<std::string>() : "?");
  }
  return ids;
}

inline bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

inline std::vector<std::string> sorted(std::vector<std::string> v) {
  std::sort(v.begin(), v.end());
  return v;
}

inline RequestQueueInfo queue_info(Context& ctx, const std::string& q) {
  return ctx.ok(ctx.api().get_queue(q), "getting the queue");
}

// GET queue until `done(info)` holds (eventually): counters read after a write.
template <typename Done>
RequestQueueInfo queue_info_when(Context& ctx, const std::string& q, Done done) {
  return eventually(
      ctx, "the queue's counters", [&] { return queue_info(ctx, q); }, done);
}

// GET queue until total and handled are as given (pending = total - handled).
inline RequestQueueInfo queue_info_counting(Context& ctx, const std::string& q, std::int64_t total,
                                            std::int64_t handled) {
  return queue_info_when(ctx, q, [&](const RequestQueueInfo& i) {
    return i.total_request_count == total && i.handled_request_count == handled &&
           i.pending_request_count == total - handled;
  });
}

inline std::string counters(const RequestQueueInfo& i) {
  return "total " + std::to_string(i.total_request_count) + ", handled " +
         std::to_string(i.handled_request_count) + ", pending " +
         std::to_string(i.pending_request_count);
}

// Expects an error answer with the envelope and, when given, one of the statuses.
inline void expect_error(Context& ctx, const Response& r, std::vector<int> statuses,
                         const std::string& what) {
  bool status_ok = std::find(statuses.begin(), statuses.end(), r.status) != statuses.end();
  std::string want;
  for (int s : statuses) want += (want.empty() ? "" : " or ") + std::to_string(s);
  ctx.expect(status_ok && r.has_error_envelope(),
             what + ": " + want + " with {\"error\":{\"type\",\"message\"}}", r.summary());
}

}  // namespace rqcheck::conformance::helpers
