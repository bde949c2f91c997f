// Key-value stores: the stores (CRUD through a Directory) and their records, as typed values.
// Private to the fake; no HTTP and no wire JSON here: the wire layer decodes bodies (gzip,
// deflate, br, bounded), maps these calls to routes and writes the answers. docs/storages.md
// lists the endpoints and every choice made where the API docs are silent.
//
//   KeyValueStores kvs(users, clock);
//   auto c = kvs.get_or_create(alice, "my-store");                 // {info, created}
//   kvs.put_record(alice, c->info.meta.id, "OUTPUT", "{\"a\":1}", "application/json");
//   auto r = kvs.get_record(nullptr, c->info.meta.id, "OUTPUT");  // the bytes exactly as put
//   auto page = kvs.list_keys(&alice, "~my-store", {.limit = 10});
//
// Records are kept by key in a std::map (UTF-8 binary order, the order the API lists keys in):
// get, put, delete and head are O(log n); a page of keys is O(log n + page). Every change of a
// store's contents goes through put_locked / erase_locked, so a persistence layer has two
// places to hook; the whole state is enumerable (snapshot) and restorable as plain data.
// With a RateLimiter every call charges the user's minute budget and the store's per-second
// bucket (200/s for record get/head/put/delete, 60/s for the rest), inside the call, once.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory.h"
#include "persist/changes.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/rate_limits.h"
#include "rqcheck/fake_server/users.h"

namespace rqcheck::fake {

// KeyValueStoreStats.yaml (s3StorageBytes is not kept: the fake has no S3).
struct KvStoreStats {
  std::int64_t read_count = 0;     // record reads (GET record)
  std::int64_t write_count = 0;    // record writes (PUT/POST record)
  std::int64_t delete_count = 0;   // records deleted (DELETE of an existing record)
  std::int64_t list_count = 0;     // key listings (GET keys)
  std::int64_t storage_bytes = 0;  // the bytes of all record values
};

// One store: the T of Directory<KeyValueStore>.
struct KeyValueStore {
  struct Record {
    std::string value;  // exactly the bytes put (after the wire layer's Content-Encoding decode)
    std::string content_type;
  };
  std::mutex mu;  // guards everything below
  StorageMeta meta;
  std::map<std::string, Record, std::less<>> records;
  KvStoreStats stats;
  RateBuckets rate;
  bool removed = false, lazy_queued = false;  // persistence (KeyValueStores::set_change_log)
};

// A store as the API describes it (KeyValueStore.yaml), copied out under the store's lock.
struct KvStoreInfo {
  StorageMeta meta;
  KvStoreStats stats;
  std::int64_t record_count = 0;
};

struct KvStoresPage {
  std::vector<KvStoreInfo> items;
  std::int64_t total = 0, offset = 0, limit = 0, count = 0;
  bool desc = false, unnamed = false;
};

struct KvCreated {
  KvStoreInfo info;
  bool created = false;  // 201 when true, 200 when a store of that name existed
};

struct KvRecord {
  std::string key, value, content_type;
};

// What HEAD answers (and GET before the body).
struct KvRecordHead {
  std::string key, content_type;
  std::int64_t size = 0;
};

// GET /v2/key-value-stores/{storeId}/keys (keyValueStoreParameters.yaml).
struct KvKeysQuery {
  std::optional<std::string> exclusive_start_key;  // keys up to and including it are skipped
  std::optional<std::int64_t> limit;               // 1..1000, default 1000; 0 means the default
  std::optional<std::string> prefix;               // only keys that start with it
  std::optional<std::string> collection;           // needs a store schema: refused (400)
};
inline constexpr std::int64_t kKeysMaxLimit = 1000;

struct KvKey {
  std::string key;
  std::int64_t size = 0;
};

// ListOfKeys.yaml.
struct KvKeysPage {
  std::string store_id;  // the store listed (a call may name it by username~name)
  std::vector<KvKey> items;
  std::int64_t count = 0, limit = 0;
  std::optional<std::string> exclusive_start_key;       // as asked, null on the first page
  bool is_truncated = false;                            // more keys after this page
  std::optional<std::string> next_exclusive_start_key;  // the last key, when truncated
};

struct KvLimits {
  // A record's value, after decoding (MAX_PAYLOAD_SIZE_BYTES: a record is one payload).
  std::size_t max_record_bytes = kMaxPayloadBytes;
  std::size_t max_content_type_bytes = 255;
};

struct KvStoreOptions {
  KvLimits limits;
  std::uint64_t seed = 2;  // store ids (queues use the store's seed; a different one here)
};

// The admin API's reads (the dashboard): a page of stores, a page of keys with their sizes and
// content types, one record. No rate limit is charged, no counter or timestamp changes.
using KvStoresScan = StoragesPage<KvStoreInfo>;
struct KvInspectedKey {
  std::string key;
  std::int64_t size = 0;
  std::string content_type;
};
struct KvInspectedKeys {
  std::vector<KvInspectedKey> items;  // by key
  std::optional<std::string> next;    // the last key listed, when keys are left after it
};

// Plain data of one store for snapshots and persistence.
struct KvStoreData {
  StorageMeta meta;
  KvStoreStats stats;
  std::vector<KvRecord> records;  // by key
};

// The record key rule (KEY_VALUE_STORE_KEY_REGEX of @apify/consts, also crawlee's):
// ^[a-zA-Z0-9!\-_.'()]{1,256}$. Otherwise 400 invalid-record-key (the API docs' error table:
// "Record key contains invalid character").
Status check_record_key(std::string_view key);

class KeyValueStores {
 public:
  // Without a limiter nothing is rate-limited.
  KeyValueStores(const Users& users, const Clock& clock, KvStoreOptions options = {},
                 RateLimiter* limiter = nullptr);
  KeyValueStores(const KeyValueStores&) = delete;
  KeyValueStores& operator=(const KeyValueStores&) = delete;

  // --- stores (keyValueStores_get/_post, keyValueStore_get/_put/_delete) ---
  Result<KvStoresPage> list(const User& u, const StorageListQuery& q) const;
  Result<KvCreated> get_or_create(const User& u, std::optional<std::string> name);
  // `u` is null for calls without a token (reads by raw id only).
  Result<KvStoreInfo> get(const User* u, std::string_view ref);
  Result<KvStoreInfo> update(const User& u, std::string_view ref, const StorageUpdate& update);
  Status remove(const User& u, std::string_view ref);

  // --- records (keyValueStore_keys_get, keyValueStore_record_get/_head/_put/_post/_delete) ---
  Result<KvKeysPage> list_keys(const User* u, std::string_view ref, const KvKeysQuery& q);
  // 404 record-not-found when the store or the record does not exist.
  Result<KvRecord> get_record(const User* u, std::string_view ref, std::string_view key);
  Result<KvRecordHead> head_record(const User* u, std::string_view ref, std::string_view key);
  // Stores `value` as given under `key` (creating or replacing the record). An empty
  // content_type is stored as application/octet-stream. 413 request-too-large over the record
  // limit; 400 invalid-content-type-header for a content type that cannot be sent back as a
  // header (too long, control characters). Returns the store's id (for the Location header).
  Result<std::string> put_record(const User& u, std::string_view ref, std::string_view key,
                                 std::string value, std::string content_type);
  // 204 whether or not the record existed (as decision 5 for requests).
  Status delete_record(const User& u, std::string_view ref, std::string_view key);
  // GET .../records (the ZIP download): every record, by key, whose key starts with `prefix`.
  // `collection` needs a store schema: refused (400) as for the keys.
  Result<std::vector<KvRecord>> records(const User* u, std::string_view ref,
                                        const std::optional<std::string>& prefix,
                                        const std::optional<std::string>& collection);

  // --- inspection (the admin API's dashboard reads; by raw id, no access rules) ---
  // A page of every store (or one user's), after `after`: O(log n + page).
  KvStoresScan inspect_stores(const std::optional<std::string>& user_id,
                              const std::optional<Directory<KeyValueStore>::ScanPosition>& after,
                              std::size_t limit) const;
  // One store with its record count and bytes (both kept as the records change): O(1).
  Result<KvStoreInfo> inspect(std::string_view id) const;
  // Up to `limit` keys starting with `prefix`, after `after` when given: O(log n + page).
  Result<KvInspectedKeys> inspect_keys(std::string_view id, const std::optional<std::string>& after,
                                       std::string_view prefix, std::size_t limit) const;
  // One record, whole: O(log n + its size). 404 record-not-found for the store or the key.
  Result<KvRecord> inspect_record(std::string_view id, std::string_view key) const;

  // --- admin and persistence ---
  std::vector<KvStoreData> snapshot() const;  // every store, by creation
  // Replaces everything with `stores` (all-or-nothing: on an error nothing changes).
  Status restore(std::vector<KvStoreData> stores);
  void clear();
  std::size_t count() const;
  const KvLimits& limits() const { return options_.limits; }
  // Checks a snapshot as restore() would, without changing anything.
  Status check_restore(const std::vector<KvStoreData>& stores) const;

  // --- persistence (rq-fake --data-dir; docs/persistence.md) ---
  // With a change log every write appends its rows under the store's lock; reads keep theirs
  // (accessedAt, read counters) until the next write or flush_lazy(). Set before serving.
  void set_change_log(persist::ChangeLog* log) { log_ = log; }
  void flush_lazy();
  void persist_all();  // every store and record as it is now
  Status load_store(persist::StorageRow row);
  Status load_record(persist::RecordRow row);
  void reseed_ids(std::uint64_t seed) { dir_.reseed(seed); }

 private:
  // A store entered by one call: resolved, locked and charged.
  struct Entered {
    std::shared_ptr<KeyValueStore> store;
    std::unique_lock<std::mutex> lock;
    TimeMs now = 0;
  };
  Result<Entered> enter(const User* u, std::string_view ref, Access access, Operation op);
  Status charge_user(const User* u, TimeMs now);
  Directory<KeyValueStore>::Check charge(Operation op, TimeMs now);
  static KvStoreInfo info_locked(const KeyValueStore& s);
  // The only two places a store's records change.
  static void put_locked(KeyValueStore& s, std::string_view key, KeyValueStore::Record record);
  static bool erase_locked(KeyValueStore& s, std::string_view key);
  Status check_content_type(std::string_view content_type) const;

  KvStoreOptions options_;
  const Users& users_;
  const Clock& clock_;
  RateLimiter* limiter_;
  Directory<KeyValueStore> dir_;
  // The store's row (and `change`) to the change log; the caller holds s.mu.
  void emit_locked(const KeyValueStore& s, std::optional<persist::Change> change = {});
  void keep_lazily(const std::shared_ptr<KeyValueStore>& s);  // the caller holds s->mu
  persist::ChangeLog* log_ = nullptr;
  std::mutex lazy_mu_;  // after a store's own mutex, never before
  std::vector<std::weak_ptr<KeyValueStore>> lazy_;
};

}  // namespace rqcheck::fake
