#include "queue_model.h"

#include <algorithm>
#include <set>
#include <sstream>
#include <tuple>

#include "rqcheck/core/request_id.h"

namespace rqcheck::prop {

const char* filter_name(ListFilter f) {
  switch (f) {
    case ListFilter::kNone:
      return "none";
    case ListFilter::kLocked:
      return "locked";
    case ListFilter::kPending:
      return "pending";
    case ListFilter::kBoth:
      return "locked,pending";
  }
  return "?";
}

std::string QueueModel::id_of(const std::string& unique_key) { return request_id_for(unique_key); }

void QueueModel::place(ModelRequest& r, bool forefront, Ms t) {
  if (r.seq != 0) r.settled = false;  // placed before: this is a move
  r.forefront = forefront;
  r.t = t;
  r.seq = ++seq_;
  r.since = t + wall_;  // new or reclaimed at t: head may leave it out for the lag
}

void QueueModel::note_counters(std::int64_t total_before, std::int64_t handled_before) {
  if (lag_ == 0) return;
  const Ms now = lag_now();
  replaced_.erase(std::remove_if(replaced_.begin(), replaced_.end(),
                                 [&](const Replaced& r) { return r.at + lag_ <= now; }),
                  replaced_.end());
  if (total_before != total() || handled_before != handled()) {
    replaced_.push_back({now, total_before, handled_before});
  }
}

std::vector<ModelRequest> QueueModel::surely_visible_order() const {
  std::vector<ModelRequest> out;
  for (auto& r : queue_order()) {
    if (surely_visible(r)) out.push_back(std::move(r));
  }
  return out;
}

Ms QueueModel::settle_time(bool with_locks) const {
  Ms t = lag_now();
  for (const auto& [id, r] : by_id_) {
    if (r.handled || (r.locked() && !with_locks)) continue;
    t = std::max(t, r.locked() ? r.lock_expires + wall_ + lag_ : r.since + lag_);
  }
  for (const auto& x : replaced_) t = std::max(t, x.at + lag_);
  return t;
}

bool QueueModel::counters_allowed(std::int64_t total, std::int64_t handled,
                                  std::int64_t pending) const {
  if (total != handled + pending) return false;
  bool t = total == this->total(), h = handled == this->handled(), p = pending == this->pending();
  const Ms now = lag_now();
  for (const auto& x : replaced_) {
    if (x.at + lag_ <= now) continue;  // replaced longer ago than the bound
    t = t || total == x.total;
    h = h || handled == x.handled;
    p = p || pending == x.total - x.handled;
  }
  return t && h && p;
}

std::string QueueModel::counters_expected() const {
  std::ostringstream os;
  os << "total " << total() << " = handled " << handled() << " + pending " << pending();
  std::set<std::int64_t> t, h, p;
  const Ms now = lag_now();
  for (const auto& x : replaced_) {
    if (x.at + lag_ <= now) continue;
    t.insert(x.total);
    h.insert(x.handled);
    p.insert(x.total - x.handled);
  }
  if (!t.empty()) {
    auto list = [](const std::set<std::int64_t>& v) {
      std::string s;
      for (auto n : v) s += (s.empty() ? "" : " or ") + std::to_string(n);
      return s;
    };
    os << " (within the last " << lag_ << " ms also total " << list(t) << ", handled " << list(h)
       << ", pending " << list(p) << ", with total = handled + pending)";
  }
  return os.str();
}

void QueueModel::expire() {
  std::vector<ModelRequest*> due;
  for (auto& [id, r] : by_id_) {
    if (r.locked() && r.lock_expires <= now_) due.push_back(&r);
  }
  std::sort(due.begin(), due.end(), [](const ModelRequest* a, const ModelRequest* b) {
    return std::tie(a->lock_expires, a->lock_seq) < std::tie(b->lock_expires, b->lock_seq);
  });
  for (ModelRequest* r : due) {
    r->lock_owner.reset();
    place(*r, r->forefront, r->lock_expires);  // ordered by its expiry time (decision 29)
  }
}

void QueueModel::advance(Ms ms) {
  now_ += ms;
  expire();
}

ModelWrite QueueModel::add(const std::string& unique_key, const std::string& url, bool handled,
                           bool forefront, const std::string& tag) {
  std::string id = id_of(unique_key);
  auto it = by_id_.find(id);
  if (it != by_id_.end()) return {id, true, it->second.handled};
  const std::int64_t t0 = total(), h0 = lag_ ? this->handled() : 0;
  ModelRequest r;
  r.id = id;
  r.unique_key = unique_key;
  r.url = url;
  r.tag = tag;
  r.handled = handled;
  place(r, forefront, now_);
  by_id_.emplace(id, std::move(r));
  note_counters(t0, h0);
  return {id, false, false};
}

ModelWrite QueueModel::put(const std::string& unique_key, const std::string& url, bool handled,
                           bool forefront, const std::string& tag) {
  std::string id = id_of(unique_key);
  ModelWrite w{id, false, false};
  const std::int64_t t0 = total(), h0 = lag_ ? this->handled() : 0;
  auto it = by_id_.find(id);
  if (it == by_id_.end()) {
    it = by_id_.emplace(id, ModelRequest{}).first;
    it->second.id = id;
    it->second.unique_key = unique_key;
  } else {
    w.was_already_present = true;
    w.was_already_handled = it->second.handled;
  }
  ModelRequest& r = it->second;
  r.url = url;
  r.tag = tag;
  r.handled = handled;
  r.lock_owner.reset();
  place(r, forefront, now_);
  note_counters(t0, h0);
  return w;
}

void QueueModel::remove_id(const std::string& id) {
  const std::int64_t t0 = total(), h0 = lag_ ? handled() : 0;
  by_id_.erase(id);
  note_counters(t0, h0);
}

std::vector<ModelRequest> QueueModel::queue_order() const {
  std::vector<ModelRequest> out;
  for (const auto& [id, r] : by_id_) {
    if (r.available()) out.push_back(r);
  }
  // Forefront first, newest first; then the rest first in, first out (decision 24).
  std::sort(out.begin(), out.end(), [](const ModelRequest& a, const ModelRequest& b) {
    if (a.forefront != b.forefront) return a.forefront;
    if (a.forefront) return std::tie(b.t, b.seq) < std::tie(a.t, a.seq);
    return std::tie(a.t, a.seq) < std::tie(b.t, b.seq);
  });
  return out;
}

std::vector<ModelRequest> QueueModel::head(std::size_t limit) const {
  auto all = queue_order();
  if (all.size() > limit) all.resize(limit);
  return all;
}

std::vector<ModelRequest> QueueModel::lock_head(const std::string& client, std::size_t limit,
                                                Ms lock_ms) {
  auto taken = head(limit);
  for (auto& t : taken) {
    ModelRequest& r = by_id_.at(t.id);
    r.lock_owner = client;
    r.lock_expires = now_ + lock_ms;
    r.lock_seq = ++lock_seq_;
  }
  return taken;
}

void QueueModel::lock_ids(const std::string& client, const std::vector<std::string>& ids,
                          Ms lock_ms) {
  for (const auto& id : ids) {
    auto it = by_id_.find(id);
    if (it == by_id_.end() || !it->second.available()) continue;
    ModelRequest& r = it->second;
    r.lock_owner = client;
    r.lock_expires = now_ + lock_ms;
    r.lock_seq = ++lock_seq_;
  }
}

void QueueModel::set_lock_expiry(const std::string& id, Ms expires) {
  auto it = by_id_.find(id);
  if (it == by_id_.end() || !it->second.locked()) return;
  it->second.lock_expires = expires;
  expire();
}

void QueueModel::unsettle(const std::string& id) {
  auto it = by_id_.find(id);
  if (it != by_id_.end()) it->second.settled = false;
}

bool QueueModel::any_locked() const {
  for (const auto& [id, r] : by_id_) {
    if (r.locked()) return true;
  }
  return false;
}

LockOutcome QueueModel::lock_state(const std::string& client, const std::string& id) const {
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return LockOutcome::kAbsent;
  if (!it->second.locked()) return LockOutcome::kNotLocked;
  return *it->second.lock_owner == client ? LockOutcome::kOk : LockOutcome::kNotOwner;
}

LockOutcome QueueModel::prolong(const std::string& client, const std::string& id, Ms lock_ms,
                                bool forefront) {
  LockOutcome o = lock_state(client, id);
  if (o != LockOutcome::kOk) return o;
  ModelRequest& r = by_id_.at(id);
  r.lock_expires = now_ + lock_ms;
  // A renewed lock counts as the newest: among locks that expire in the same millisecond it
  // expires last (the tie is not documented; decision 29 orders by expiry time only).
  r.lock_seq = ++lock_seq_;
  r.forefront = forefront;
  return o;
}

LockOutcome QueueModel::delete_lock(const std::string& client, const std::string& id,
                                    bool forefront) {
  LockOutcome o = lock_state(client, id);
  if (o != LockOutcome::kOk) return o;
  ModelRequest& r = by_id_.at(id);
  r.lock_owner.reset();
  place(r, forefront, now_);
  return o;
}

std::int64_t QueueModel::unlock(const std::string& client) {
  std::vector<ModelRequest*> mine;
  for (auto& [id, r] : by_id_) {
    if (r.locked() && *r.lock_owner == client) mine.push_back(&r);
  }
  std::sort(mine.begin(), mine.end(), [](const ModelRequest* a, const ModelRequest* b) {
    return std::tie(a->lock_expires, a->lock_seq) < std::tie(b->lock_expires, b->lock_seq);
  });
  for (ModelRequest* r : mine) {
    r->lock_owner.reset();
    place(*r, r->forefront, now_);
  }
  return static_cast<std::int64_t>(mine.size());
}

bool QueueModel::matches(const ModelRequest& r, ListFilter filter) {
  switch (filter) {
    case ListFilter::kNone:
      return true;
    case ListFilter::kLocked:
      return !r.handled && r.locked();
    case ListFilter::kPending:
      return r.available();
    case ListFilter::kBoth:
      return !r.handled;
  }
  return false;
}

std::vector<ModelRequest> QueueModel::matching(ListFilter filter) const {
  std::vector<ModelRequest> out;
  for (const auto& [id, r] : by_id_) {
    if (matches(r, filter)) out.push_back(r);
  }
  return out;
}

const ModelRequest* QueueModel::find_id(const std::string& id) const {
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : &it->second;
}

const ModelRequest* QueueModel::find_key(const std::string& unique_key) const {
  return find_id(id_of(unique_key));
}

std::int64_t QueueModel::handled() const {
  std::int64_t n = 0;
  for (const auto& [id, r] : by_id_) n += r.handled ? 1 : 0;
  return n;
}

}  // namespace rqcheck::prop
