// Datasets: the datasets (CRUD through a Directory) and their items, as typed values. Private
// to the fake; no HTTP and no wire JSON: the wire layer parses a push body, checks that every
// item is a JSON object, serializes each and hands the texts over; to this store an item is
// opaque bytes plus one flag (is it empty once hidden fields are dropped, for cleanItemCount).
// The wire layer also applies fields/omit/skipHidden/skipEmpty to a page: they never change
// which items a page covers (the API pages by item, then filters). docs/storages.md has the
// endpoints and every choice made where the API docs are silent.
//
//   Datasets ds(users, clock);
//   auto c = ds.get_or_create(alice, "results");                       // {info, created}
//   ds.push_items(alice, c->info.meta.id, {{"{\"url\":\"a\"}", true}});  // appended in order
//   auto page = ds.list_items(nullptr, c->info.meta.id, {.offset = 0, .limit = 10});
//
// Items are kept in a std::deque in push order: a push is O(items), a page O(page) wherever it
// starts (random access), never a scan. Every change of the items goes through append_locked;
// the state is enumerable (snapshot) and restorable as plain data. With a RateLimiter every
// call charges the user's minute budget and the dataset's per-second bucket (400/s for push
// items, 60/s for the rest), inside the call, once.
#pragma once

#include <cstdint>
#include <deque>
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

// DatasetStats.yaml (inflatedBytes is the list endpoint's name for the same bytes).
struct DatasetStats {
  std::int64_t read_count = 0;     // item listings (GET items)
  std::int64_t write_count = 0;    // pushes that stored at least one item
  std::int64_t storage_bytes = 0;  // the bytes of all item texts
};

// One item as pushed: its JSON object text, and whether it has a field not starting with '#'
// (a "clean" item, counted in cleanItemCount; skipEmpty/clean drop the others).
struct DatasetItem {
  std::string json;
  bool clean = true;
};

// One dataset: the T of Directory<Dataset>.
struct Dataset {
  std::mutex mu;  // guards everything below
  StorageMeta meta;
  std::deque<DatasetItem> items;
  std::int64_t clean_item_count = 0;
  DatasetStats stats;
  RateBuckets rate;
  bool removed = false, lazy_queued = false;  // persistence (Datasets::set_change_log)
};

// Dataset.yaml / DatasetListItem.yaml, copied out under the dataset's lock.
struct DatasetInfo {
  StorageMeta meta;
  std::int64_t item_count = 0, clean_item_count = 0;
  DatasetStats stats;
};

struct DatasetsPage {
  std::vector<DatasetInfo> items;
  std::int64_t total = 0, offset = 0, limit = 0, count = 0;
  bool desc = false, unnamed = false;
};

struct DatasetCreated {
  DatasetInfo info;
  bool created = false;  // 201 when true, 200 when a dataset of that name existed
};

// GET /v2/datasets/{datasetId}/items: the paging part (datasetParameters.yaml). The API pages
// by item: offset items are skipped (from the newest with desc), then up to limit are taken.
struct ItemsQuery {
  std::int64_t offset = 0;
  std::optional<std::int64_t> limit;  // "By default there is no limit"; 0 means none as well
  bool desc = false;
};
// What X-Apify-Pagination-Limit says when no limit was asked (the JS client: "API returns
// 999999999999 when no limit is used").
inline constexpr std::int64_t kItemsNoLimit = 999999999999;

struct ItemsPage {
  std::string dataset_id;          // the dataset listed (a call may name it by username~name)
  std::vector<DatasetItem> items;  // in the order asked (newest first with desc)
  std::int64_t total = 0;          // itemCount: X-Apify-Pagination-Total
  std::int64_t offset = 0;
  std::int64_t limit = kItemsNoLimit;  // as asked, or kItemsNoLimit
  bool desc = false;
};

struct DatasetLimits {
  // One push body and one item (MAX_PAYLOAD_SIZE_BYTES; crawlee splits pushes to fit it).
  std::size_t max_push_bytes = kMaxPayloadBytes;
  std::size_t max_item_bytes = kMaxPayloadBytes;
  // The most items a 9437184-byte body can hold ("{}" and a comma each): a push of more can
  // only come from a caller that skipped the body limit.
  std::size_t max_items_per_push = kMaxPayloadBytes / 3;
};

struct DatasetOptions {
  DatasetLimits limits;
  std::uint64_t seed = 3;  // dataset ids
};

// The admin API's reads (the dashboard): a page of datasets, a page of items by offset. No rate
// limit is charged, no counter or timestamp changes.
using DatasetsScan = StoragesPage<DatasetInfo>;
struct InspectedItem {
  std::string json;       // the item's text, or its first max_item_bytes when clipped
  std::int64_t size = 0;  // the item's whole size in bytes
  bool clipped = false;
};
struct InspectedItems {
  std::vector<InspectedItem> items;  // in push order, from offset
  std::int64_t total = 0, offset = 0;
};

// Plain data of one dataset for snapshots and persistence.
struct DatasetData {
  StorageMeta meta;
  DatasetStats stats;
  std::vector<DatasetItem> items;  // in push order
};

class Datasets {
 public:
  // Without a limiter nothing is rate-limited.
  Datasets(const Users& users, const Clock& clock, DatasetOptions options = {},
           RateLimiter* limiter = nullptr);
  Datasets(const Datasets&) = delete;
  Datasets& operator=(const Datasets&) = delete;

  // --- datasets (datasets_get/_post, dataset_get/_put/_delete) ---
  Result<DatasetsPage> list(const User& u, const StorageListQuery& q) const;
  Result<DatasetCreated> get_or_create(const User& u, std::optional<std::string> name);
  // `u` is null for calls without a token (reads by raw id only).
  Result<DatasetInfo> get(const User* u, std::string_view ref);
  Result<DatasetInfo> update(const User& u, std::string_view ref, const StorageUpdate& update);
  Status remove(const User& u, std::string_view ref);

  // --- items (dataset_items_post, dataset_items_get/_head) ---
  // Appends the items in order, all or none: an item that is empty or not an object text
  // (the wire layer checked; this is the store's own guard), over the item limit, or a push over
  // the push limits stores nothing (400 invalid-input / 413 request-too-large). An empty push
  // succeeds and changes nothing. Returns the dataset's id (for the Location header).
  Result<std::string> push_items(const User& u, std::string_view ref,
                                 std::vector<DatasetItem> items);
  // `op` is kDatasetItemsGet or kDatasetItemsHead (the same page; HEAD sends no body).
  Result<ItemsPage> list_items(const User* u, std::string_view ref, const ItemsQuery& q,
                               Operation op = Operation::kDatasetItemsGet);
  // GET .../statistics: the dataset as the call found it (the fake keeps no field statistics).
  Result<DatasetInfo> statistics(const User* u, std::string_view ref);

  // --- inspection (the admin API's dashboard reads; by raw id, no access rules) ---
  // A page of every dataset (or one user's), after `after`: O(log n + page).
  DatasetsScan inspect_datasets(const std::optional<std::string>& user_id,
                                const std::optional<Directory<Dataset>::ScanPosition>& after,
                                std::size_t limit) const;
  Result<DatasetInfo> inspect(std::string_view id) const;  // O(1)
  // Up to `limit` items from `offset` (random access: O(page) wherever the page starts), each
  // cut to `max_item_bytes` (at a UTF-8 boundary) so a page stays bounded.
  Result<InspectedItems> inspect_items(std::string_view id, std::int64_t offset, std::size_t limit,
                                       std::size_t max_item_bytes) const;

  // --- admin and persistence ---
  std::vector<DatasetData> snapshot() const;  // every dataset, by creation
  // Replaces everything with `datasets` (all-or-nothing: on an error nothing changes).
  Status restore(std::vector<DatasetData> datasets);
  void clear();
  std::size_t count() const;
  const DatasetLimits& limits() const { return options_.limits; }
  // Checks a snapshot as restore() would, without changing anything.
  Status check_restore(const std::vector<DatasetData>& datasets) const;

  // --- persistence (rq-fake --data-dir; docs/persistence.md) ---
  // With a change log every write appends its rows under the dataset's lock; reads keep theirs
  // (accessedAt, read counters) until the next write or flush_lazy(). Set before serving.
  void set_change_log(persist::ChangeLog* log) { log_ = log; }
  void flush_lazy();
  void persist_all();  // every dataset and item as it is now
  Status load_dataset(persist::StorageRow row);
  Status load_item(persist::ItemRow row);  // in push order
  void reseed_ids(std::uint64_t seed) { dir_.reseed(seed); }

 private:
  struct Entered {
    std::shared_ptr<Dataset> dataset;
    std::unique_lock<std::mutex> lock;
    TimeMs now = 0;
  };
  // Resolves, locks and charges the dataset of one call.
  Result<Entered> enter(const User* u, std::string_view ref, Access access, Operation op);
  Status charge_user(const User* u, TimeMs now) const;
  Directory<Dataset>::Check charge(Operation op, TimeMs now);
  static DatasetInfo info_locked(const Dataset& d);
  // The only place a dataset's items change.
  static void append_locked(Dataset& d, DatasetItem item);
  Status check_items(const std::vector<DatasetItem>& items) const;

  DatasetOptions options_;
  const Users& users_;
  const Clock& clock_;
  RateLimiter* limiter_;
  Directory<Dataset> dir_;
  // The dataset's row (and `changes`) to the change log; the caller holds d.mu.
  void emit_locked(const Dataset& d, std::vector<persist::Change> changes = {});
  void keep_lazily(const std::shared_ptr<Dataset>& d);  // the caller holds d->mu
  persist::ChangeLog* log_ = nullptr;
  std::mutex lazy_mu_;  // after a dataset's own mutex, never before
  std::vector<std::weak_ptr<Dataset>> lazy_;
};

}  // namespace rqcheck::fake
