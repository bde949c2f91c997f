#include "kv_store.h"

#include <algorithm>
#include <set>
#include <utility>

namespace rqcheck::fake {

namespace {
constexpr std::size_t kMaxKeyLength = 256;
constexpr const char* kDefaultContentType = "application/octet-stream";

bool key_char_ok(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '!' ||
         c == '-' || c == '_' || c == '.' || c == '\'' || c == '(' || c == ')';
}

ApiError record_not_found(std::string_view key) {
  return errors::record_not_found("Record \"" + std::string(key) + "\" was not found.");
}
}  // namespace

Status check_record_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength) {
    return errors::invalid_record_key("Record key must be 1 to 256 characters long (got " +
                                      std::to_string(key.size()) + ").");
  }
  if (!std::all_of(key.begin(), key.end(), key_char_ok)) {
    return errors::invalid_record_key(
        "Record key contains invalid character: only a-z, A-Z, 0-9 and !-_.'() are allowed "
        "(got \"" +
        std::string(key) + "\").");
  }
  return Ok{};
}

KeyValueStores::KeyValueStores(const Users& users, const Clock& clock, KvStoreOptions options,
                               RateLimiter* limiter)
    : options_(std::move(options)),
      users_(users),
      clock_(clock),
      limiter_(limiter),
      dir_(key_value_store_kind(), users_, clock_, options_.seed) {}

KvStoreInfo KeyValueStores::info_locked(const KeyValueStore& s) {
  return KvStoreInfo{s.meta, s.stats, static_cast<std::int64_t>(s.records.size())};
}

void KeyValueStores::put_locked(KeyValueStore& s, std::string_view key,
                                KeyValueStore::Record record) {
  auto it = s.records.find(key);
  if (it == s.records.end()) {
    s.stats.storage_bytes += static_cast<std::int64_t>(record.value.size());
    s.records.emplace(std::string(key), std::move(record));
  } else {
    s.stats.storage_bytes += static_cast<std::int64_t>(record.value.size()) -
                             static_cast<std::int64_t>(it->second.value.size());
    it->second = std::move(record);
  }
}

bool KeyValueStores::erase_locked(KeyValueStore& s, std::string_view key) {
  auto it = s.records.find(key);
  if (it == s.records.end()) return false;
  s.stats.storage_bytes -= static_cast<std::int64_t>(it->second.value.size());
  s.records.erase(it);
  return true;
}

Status KeyValueStores::check_content_type(std::string_view ct) const {
  if (ct.size() > options_.limits.max_content_type_bytes) {
    return ApiError{400, "invalid-content-type-header",
                    "Content-Type is too long (" + std::to_string(ct.size()) + " bytes; at most " +
                        std::to_string(options_.limits.max_content_type_bytes) + ")."};
  }
  for (char c : ct) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return ApiError{400, "invalid-content-type-header",
                      "Content-Type must not contain control characters."};
    }
  }
  return Ok{};
}

Status KeyValueStores::charge_user(const User* u, TimeMs now) {
  return limiter_ ? limiter_->charge_user(u, now) : Status(Ok{});
}

Directory<KeyValueStore>::Check KeyValueStores::charge(Operation op, TimeMs now) {
  if (!limiter_) return {};
  return [this, op, now](KeyValueStore& s) { return limiter_->charge(s.rate, op, now); };
}

Result<KeyValueStores::Entered> KeyValueStores::enter(const User* u, std::string_view ref,
                                                      Access access, Operation op) {
  const TimeMs now = clock_.now_ms();
  if (auto st = charge_user(u, now); !st) return st.error();
  auto s = dir_.resolve(u, ref, access);
  if (!s) return s.error();
  Entered e{std::move(*s), {}, now};
  e.lock = std::unique_lock(e.store->mu);
  if (limiter_) {
    if (auto st = limiter_->charge(e.store->rate, op, now); !st) return st.error();
  }
  if (access == Access::kRead) keep_lazily(e.store);
  return Result<Entered>(std::move(e));
}

// --- stores ----------------------------------------------------------------------------------

Result<KvStoresPage> KeyValueStores::list(const User& u, const StorageListQuery& q) const {
  if (limiter_) {
    if (auto st = limiter_->charge_user(&u, clock_.now_ms()); !st) return st.error();
  }
  auto page = dir_.list(u, q);
  if (!page) return page.error();
  auto out = answer_page<KvStoresPage>(*page, &info_locked);
  out.unnamed = page->unnamed;
  return out;
}

Result<KvCreated> KeyValueStores::get_or_create(const User& u, std::optional<std::string> name) {
  if (name) {
    if (auto ok = check_storage_name(dir_.kind(), *name); !ok) return ok.error();
  }
  if (auto st = charge_user(&u, clock_.now_ms()); !st) return st.error();
  auto c = dir_.get_or_create(u, std::move(name));
  if (!c) return c.error();
  std::lock_guard sl(c->storage->mu);
  emit_locked(*c->storage);
  return KvCreated{info_locked(*c->storage), c->created};
}

Result<KvStoreInfo> KeyValueStores::get(const User* u, std::string_view ref) {
  auto e = enter(u, ref, Access::kRead, Operation::kKvStoreGet);
  if (!e) return e.error();
  e->store->meta.touch(e->now, false);
  return info_locked(*e->store);
}

Result<KvStoreInfo> KeyValueStores::update(const User& u, std::string_view ref,
                                           const StorageUpdate& update) {
  const TimeMs now = clock_.now_ms();
  if (auto st = charge_user(&u, now); !st) return st.error();
  auto s = dir_.update(u, ref, update, charge(Operation::kKvStorePut, now));
  if (!s) return s.error();
  std::lock_guard sl((*s)->mu);
  emit_locked(**s);
  return info_locked(**s);
}

Status KeyValueStores::remove(const User& u, std::string_view ref) {
  const TimeMs now = clock_.now_ms();
  if (auto st = charge_user(&u, now); !st) return st.error();
  auto check = charge(Operation::kKvStoreDelete, now);
  auto s = dir_.erase(u, ref, [&](KeyValueStore& store) -> Status {
    if (check) {
      if (auto st = check(store); !st) return st;
    }
    store.removed = true;  // under its lock: after every change of it appended before
    if (log_) {
      std::vector<persist::Change> out;
      out.push_back(persist::DropStorage{persist::Kind::kKeyValueStore, store.meta.id});
      log_->append(std::move(out));
    }
    return Ok{};
  });
  if (!s) return s.error();
  return Ok{};
}

// --- records ---------------------------------------------------------------------------------

Result<KvKeysPage> KeyValueStores::list_keys(const User* u, std::string_view ref,
                                             const KvKeysQuery& q) {
  if (q.limit && *q.limit < 0) {
    return errors::invalid_parameter("Parameter \"limit\" must be a non-negative integer.");
  }
  if (q.collection) {
    return errors::invalid_parameter(
        "Parameter \"collection\" needs a key-value store schema; rq-fake keeps no schemas.");
  }
  auto e = enter(u, ref, Access::kRead, Operation::kKvKeysGet);
  if (!e) return e.error();
  KvKeysPage page;
  page.store_id = e->store->meta.id;
  page.limit = q.limit && *q.limit > 0 ? std::min(*q.limit, kKeysMaxLimit) : kKeysMaxLimit;
  page.exclusive_start_key = q.exclusive_start_key;
  const std::string prefix = q.prefix.value_or("");
  KeyValueStore& store = *e->store;
  auto it = store.records.lower_bound(prefix);
  if (q.exclusive_start_key) {
    auto after = store.records.upper_bound(*q.exclusive_start_key);
    // Both bounds apply; the later one (end counting as the last) is where the page starts.
    if (after == store.records.end() || (it != store.records.end() && it->first < after->first)) {
      it = after;
    }
  }
  auto matches = [&](const std::string& key) { return key.compare(0, prefix.size(), prefix) == 0; };
  for (; it != store.records.end() && matches(it->first); ++it) {
    if (static_cast<std::int64_t>(page.items.size()) == page.limit) {
      page.is_truncated = true;
      break;
    }
    page.items.push_back(KvKey{it->first, static_cast<std::int64_t>(it->second.value.size())});
  }
  if (page.is_truncated) page.next_exclusive_start_key = page.items.back().key;
  page.count = static_cast<std::int64_t>(page.items.size());
  ++store.stats.list_count;
  store.meta.touch(e->now, false);
  return page;
}

Result<KvRecord> KeyValueStores::get_record(const User* u, std::string_view ref,
                                            std::string_view key) {
  if (auto ok = check_record_key(key); !ok) return ok.error();
  auto e = enter(u, ref, Access::kRead, Operation::kKvRecordGet);
  if (!e) return e.error();
  KeyValueStore& store = *e->store;
  store.meta.touch(e->now, false);
  auto it = store.records.find(key);
  if (it == store.records.end()) return record_not_found(key);
  ++store.stats.read_count;
  return KvRecord{it->first, it->second.value, it->second.content_type};
}

Result<KvRecordHead> KeyValueStores::head_record(const User* u, std::string_view ref,
                                                 std::string_view key) {
  if (auto ok = check_record_key(key); !ok) return ok.error();
  auto e = enter(u, ref, Access::kRead, Operation::kKvRecordHead);
  if (!e) return e.error();
  KeyValueStore& store = *e->store;
  store.meta.touch(e->now, false);
  auto it = store.records.find(key);
  if (it == store.records.end()) return record_not_found(key);
  return KvRecordHead{it->first, it->second.content_type,
                      static_cast<std::int64_t>(it->second.value.size())};
}

Result<std::string> KeyValueStores::put_record(const User& u, std::string_view ref,
                                               std::string_view key, std::string value,
                                               std::string content_type) {
  if (auto ok = check_record_key(key); !ok) return ok.error();
  if (value.size() > options_.limits.max_record_bytes) {
    return errors::request_too_large(value.size());
  }
  if (auto ok = check_content_type(content_type); !ok) return ok.error();
  if (content_type.empty()) content_type = kDefaultContentType;
  auto e = enter(&u, ref, Access::kWrite, Operation::kKvRecordPut);
  if (!e) return e.error();
  KeyValueStore& store = *e->store;
  put_locked(store, key, KeyValueStore::Record{std::move(value), std::move(content_type)});
  ++store.stats.write_count;
  store.meta.touch(e->now, true);
  if (log_) {
    auto it = store.records.find(key);
    emit_locked(store, persist::PutRecord{persist::RecordRow{
                           store.meta.id, it->first, it->second.value, it->second.content_type}});
  }
  return store.meta.id;
}

Status KeyValueStores::delete_record(const User& u, std::string_view ref, std::string_view key) {
  if (auto ok = check_record_key(key); !ok) return ok.error();
  auto e = enter(&u, ref, Access::kWrite, Operation::kKvRecordDelete);
  if (!e) return e.error();
  KeyValueStore& store = *e->store;
  bool erased = erase_locked(store, key);
  if (erased) ++store.stats.delete_count;
  store.meta.touch(e->now, erased);
  if (erased) {
    emit_locked(store, persist::DropRecord{store.meta.id, std::string(key)});
  } else {
    emit_locked(store);
  }
  return Ok{};
}

Result<std::vector<KvRecord>> KeyValueStores::records(
    const User* u, std::string_view ref, const std::optional<std::string>& prefix,
    const std::optional<std::string>& collection) {
  if (collection) {
    return errors::invalid_parameter(
        "Parameter \"collection\" needs a key-value store schema; rq-fake keeps no schemas.");
  }
  auto e = enter(u, ref, Access::kRead, Operation::kKvRecordsGet);
  if (!e) return e.error();
  KeyValueStore& store = *e->store;
  const std::string p = prefix.value_or("");
  std::vector<KvRecord> out;
  for (auto it = store.records.lower_bound(p);
       it != store.records.end() && it->first.compare(0, p.size(), p) == 0; ++it) {
    out.push_back(KvRecord{it->first, it->second.value, it->second.content_type});
  }
  store.stats.read_count += static_cast<std::int64_t>(out.size());
  store.meta.touch(e->now, false);
  return out;
}

// --- inspection ------------------------------------------------------------------------------

KvStoresScan KeyValueStores::inspect_stores(
    const std::optional<std::string>& user_id,
    const std::optional<Directory<KeyValueStore>::ScanPosition>& after, std::size_t limit) const {
  return dir_.template scan_infos<KvStoreInfo>(user_id, after, limit, &info_locked);
}

Result<KvStoreInfo> KeyValueStores::inspect(std::string_view id) const {
  auto s = dir_.find(id);
  if (!s) return errors::record_not_found(dir_.kind().not_found);
  std::lock_guard sl(s->mu);
  return info_locked(*s);
}

Result<KvInspectedKeys> KeyValueStores::inspect_keys(std::string_view id,
                                                     const std::optional<std::string>& after,
                                                     std::string_view prefix,
                                                     std::size_t limit) const {
  auto s = dir_.find(id);
  if (!s) return errors::record_not_found(dir_.kind().not_found);
  std::lock_guard sl(s->mu);
  const auto& records = s->records;
  auto it = records.lower_bound(prefix);
  if (after) {
    auto past = records.upper_bound(*after);
    if (past == records.end() || (it != records.end() && it->first < past->first)) it = past;
  }
  KvInspectedKeys out;
  for (; it != records.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
    if (out.items.size() == limit) {
      if (!out.items.empty()) out.next = out.items.back().key;
      break;
    }
    out.items.push_back(KvInspectedKey{
        it->first, static_cast<std::int64_t>(it->second.value.size()), it->second.content_type});
  }
  return out;
}

Result<KvRecord> KeyValueStores::inspect_record(std::string_view id, std::string_view key) const {
  auto s = dir_.find(id);
  if (!s) return errors::record_not_found(dir_.kind().not_found);
  std::lock_guard sl(s->mu);
  auto it = s->records.find(key);
  if (it == s->records.end()) return record_not_found(key);
  return KvRecord{it->first, it->second.value, it->second.content_type};
}

// --- admin -----------------------------------------------------------------------------------

std::vector<KvStoreData> KeyValueStores::snapshot() const {
  std::vector<KvStoreData> out;
  for (const auto& s : dir_.all()) {
    std::lock_guard sl(s->mu);
    KvStoreData d{s->meta, s->stats, {}};
    d.records.reserve(s->records.size());
    for (const auto& [key, r] : s->records) d.records.push_back({key, r.value, r.content_type});
    out.push_back(std::move(d));
  }
  return out;
}

Status KeyValueStores::restore(std::vector<KvStoreData> stores) {
  // Check everything first, so a bad snapshot changes nothing.
  if (auto st = check_restore(stores); !st) return st.error();
  dir_.clear();
  for (KvStoreData& d : stores) {
    auto s = std::make_shared<KeyValueStore>();
    s->meta = std::move(d.meta);
    for (KvRecord& r : d.records) {
      std::string ct = r.content_type.empty() ? kDefaultContentType : std::move(r.content_type);
      put_locked(*s, r.key, KeyValueStore::Record{std::move(r.value), std::move(ct)});
    }
    // Counters as recorded; storage_bytes follows from the records themselves.
    std::int64_t bytes = s->stats.storage_bytes;
    s->stats = d.stats;
    s->stats.storage_bytes = bytes;
    if (auto ok = dir_.restore(std::move(s)); !ok) return ok.error();  // checked above
  }
  return Ok{};
}

Status KeyValueStores::check_restore(const std::vector<KvStoreData>& stores) const {
  std::set<std::string> ids;
  std::set<std::pair<std::string, std::string>> names;
  for (const KvStoreData& d : stores) {
    if (!is_apify_id(d.meta.id) || !ids.insert(d.meta.id).second || d.meta.user_id.empty()) {
      return errors::invalid_input(
          "Invalid input: every key-value store needs a unique "
          "17-character id and a userId (got \"" +
          d.meta.id + "\").");
    }
    if (d.meta.name) {
      if (auto ok = check_storage_name(dir_.kind(), *d.meta.name); !ok) return ok.error();
      if (!names.insert({d.meta.user_id, *d.meta.name}).second) {
        return errors::name_not_unique(*d.meta.name, "key-value store");
      }
    }
    for (const KvRecord& r : d.records) {
      if (auto ok = check_record_key(r.key); !ok) return ok.error();
      if (r.value.size() > options_.limits.max_record_bytes) {
        return errors::request_too_large(r.value.size());
      }
      if (auto ok = check_content_type(r.content_type); !ok) return ok.error();
    }
  }
  return Ok{};
}

void KeyValueStores::clear() {
  for (const auto& s : dir_.all()) {
    std::lock_guard sl(s->mu);
    s->removed = true;
  }
  dir_.clear();
}

// --- persistence -----------------------------------------------------------------------------

namespace {

persist::StorageRow kv_row(const KeyValueStore& s) {
  return persist::StorageRow{
      persist::Kind::kKeyValueStore,
      s.meta,
      {s.stats.read_count, s.stats.write_count, s.stats.delete_count, s.stats.list_count},
      std::nullopt};
}

}  // namespace

void KeyValueStores::emit_locked(const KeyValueStore& s, std::optional<persist::Change> change) {
  if (!log_ || s.removed) return;
  std::vector<persist::Change> out;
  out.push_back(persist::PutStorage{kv_row(s)});
  if (change) out.push_back(std::move(*change));
  log_->append(std::move(out));
}

void KeyValueStores::keep_lazily(const std::shared_ptr<KeyValueStore>& s) {
  if (!log_ || s->lazy_queued) return;
  s->lazy_queued = true;
  std::lock_guard l(lazy_mu_);
  lazy_.push_back(s);
}

void KeyValueStores::flush_lazy() {
  std::vector<std::weak_ptr<KeyValueStore>> stores;
  {
    std::lock_guard l(lazy_mu_);
    stores.swap(lazy_);
  }
  for (auto& w : stores) {
    auto s = w.lock();
    if (!s) continue;
    std::lock_guard sl(s->mu);
    s->lazy_queued = false;
    emit_locked(*s);
  }
}

void KeyValueStores::persist_all() {
  if (!log_) return;
  for (const auto& s : dir_.all()) {
    std::lock_guard sl(s->mu);
    std::vector<persist::Change> out;
    out.push_back(persist::PutStorage{kv_row(*s)});
    for (const auto& [key, r] : s->records) {
      out.push_back(
          persist::PutRecord{persist::RecordRow{s->meta.id, key, r.value, r.content_type}});
    }
    log_->append(std::move(out));
  }
}

Status KeyValueStores::load_store(persist::StorageRow row) {
  if (row.counters.size() != 4) {
    return errors::invalid_input("key-value store \"" + row.meta.id + "\" has " +
                                 std::to_string(row.counters.size()) + " counters, not 4");
  }
  auto s = std::make_shared<KeyValueStore>();
  s->meta = std::move(row.meta);
  s->stats.read_count = row.counters[0];
  s->stats.write_count = row.counters[1];
  s->stats.delete_count = row.counters[2];
  s->stats.list_count = row.counters[3];
  return dir_.restore(std::move(s));
}

Status KeyValueStores::load_record(persist::RecordRow row) {
  auto s = dir_.find(row.store_id);
  if (!s) return errors::invalid_input("a record of an unknown key-value store");
  if (auto ok = check_record_key(row.key); !ok) return ok.error();
  std::lock_guard sl(s->mu);
  put_locked(*s, row.key, KeyValueStore::Record{std::move(row.value), std::move(row.content_type)});
  return Ok{};
}

std::size_t KeyValueStores::count() const { return dir_.count(); }

}  // namespace rqcheck::fake
