// The operations of key-value stores, datasets and users: one small function per operationId,
// the typed call in, the typed outcome out, through KeyValueStores, Datasets and Users (which
// resolve, lock and charge once per call). No HTTP and no JSON here.
#include <array>

#include "operations.h"
#include "rqcheck/core/errors.h"

namespace rqcheck::fake {

namespace {

using O = Operation;
using Result_ = Outcome::Storage;

Outcome ok(int status) {
  Outcome o;
  o.status = status;
  return o;
}

Outcome no_content() {
  Outcome o = ok(204);
  o.no_body = true;
  return o;
}

// `status` with the value `r` holds put where `set` says; the error otherwise.
template <typename T, typename Set>
Outcome from(Result<T>&& r, int status, Set&& set) {
  if (!r) return Outcome::failure(r.error());
  Outcome o = ok(status);
  set(o.storage_result(), std::move(*r));
  return o;
}

Outcome done(Status&& st) { return st ? no_content() : Outcome::failure(st.error()); }

// The wire layer refused calls without a token where one is needed; these have one.
const User& owner(const Call& c) { return *c.user; }
const User* caller(const Call& c) { return c.user ? &*c.user : nullptr; }
const std::string& ref(const Call& c) { return c.params[0]; }
const std::string& record_key(const Call& c) { return c.params[1]; }

// --- key-value stores ------------------------------------------------------------------------

Outcome kv_stores_get(Storages& s, Call& c) {
  return from(s.key_value_stores.list(owner(c), c.args.storage.list), 200,
              [](Result_& r, KvStoresPage&& p) { r.kv_stores = std::move(p); });
}

Outcome kv_stores_post(Storages& s, Call& c) {
  auto created = s.key_value_stores.get_or_create(owner(c), c.args.name);
  if (!created) return Outcome::failure(created.error());
  Outcome o = ok(created->created ? 201 : 200);
  o.storage_result().created = created->created;
  o.storage->kv_store = std::move(created->info);
  return o;
}

Outcome kv_store_get(Storages& s, Call& c) {
  return from(s.key_value_stores.get(caller(c), ref(c)), 200,
              [](Result_& r, KvStoreInfo&& i) { r.kv_store = std::move(i); });
}

Outcome kv_store_put(Storages& s, Call& c) {
  return from(s.key_value_stores.update(owner(c), ref(c), c.args.storage.update), 200,
              [](Result_& r, KvStoreInfo&& i) { r.kv_store = std::move(i); });
}

Outcome kv_store_delete(Storages& s, Call& c) {
  return done(s.key_value_stores.remove(owner(c), ref(c)));
}

Outcome kv_keys_get(Storages& s, Call& c) {
  return from(s.key_value_stores.list_keys(caller(c), ref(c), c.args.storage.keys), 200,
              [](Result_& r, KvKeysPage&& p) { r.keys = std::move(p); });
}

Outcome kv_records_get(Storages& s, Call& c) {
  const StorageArgs& a = c.args.storage;
  return from(s.key_value_stores.records(caller(c), ref(c), a.prefix, a.collection), 200,
              [](Result_& r, std::vector<KvRecord>&& all) { r.records = std::move(all); });
}

Outcome kv_record_get(Storages& s, Call& c) {
  return from(s.key_value_stores.get_record(caller(c), ref(c), record_key(c)), 200,
              [](Result_& r, KvRecord&& rec) { r.record = std::move(rec); });
}

Outcome kv_record_head(Storages& s, Call& c) {
  return from(s.key_value_stores.head_record(caller(c), ref(c), record_key(c)), 200,
              [](Result_& r, KvRecordHead&& h) { r.record_head = std::move(h); });
}

// PUT and POST: the same (the spec's POST "is an alias for the PUT record method").
Outcome kv_record_put(Storages& s, Call& c) {
  return from(s.key_value_stores.put_record(owner(c), ref(c), record_key(c), c.http->body,
                                            c.args.storage.content_type),
              201, [](Result_& r, std::string&& id) { r.id = std::move(id); });
}

Outcome kv_record_delete(Storages& s, Call& c) {
  return done(s.key_value_stores.delete_record(owner(c), ref(c), record_key(c)));
}

// --- datasets --------------------------------------------------------------------------------

Outcome datasets_get(Storages& s, Call& c) {
  return from(s.datasets.list(owner(c), c.args.storage.list), 200,
              [](Result_& r, DatasetsPage&& p) { r.datasets = std::move(p); });
}

Outcome datasets_post(Storages& s, Call& c) {
  auto created = s.datasets.get_or_create(owner(c), c.args.name);
  if (!created) return Outcome::failure(created.error());
  Outcome o = ok(created->created ? 201 : 200);
  o.storage_result().created = created->created;
  o.storage->dataset = std::move(created->info);
  return o;
}

Outcome dataset_get(Storages& s, Call& c) {
  return from(s.datasets.get(caller(c), ref(c)), 200,
              [](Result_& r, DatasetInfo&& i) { r.dataset = std::move(i); });
}

Outcome dataset_put(Storages& s, Call& c) {
  return from(s.datasets.update(owner(c), ref(c), c.args.storage.update), 200,
              [](Result_& r, DatasetInfo&& i) { r.dataset = std::move(i); });
}

Outcome dataset_delete(Storages& s, Call& c) { return done(s.datasets.remove(owner(c), ref(c))); }

Outcome dataset_items_get(Storages& s, Call& c) {
  return from(s.datasets.list_items(caller(c), ref(c), c.args.storage.items, c.op), 200,
              [](Result_& r, ItemsPage&& p) { r.items = std::move(p); });
}

Outcome dataset_items_post(Storages& s, Call& c) {
  return from(s.datasets.push_items(owner(c), ref(c), std::move(c.args.storage.push)), 201,
              [](Result_& r, std::string&& id) { r.id = std::move(id); });
}

Outcome dataset_statistics_get(Storages& s, Call& c) {
  return from(s.datasets.statistics(caller(c), ref(c)), 200,
              [](Result_& r, DatasetInfo&& i) { r.dataset = std::move(i); });
}

// --- users -----------------------------------------------------------------------------------

// The token's user (authenticated before the operation), its budget charged like any call.
Outcome user_me_get(Storages& s, Call& c) {
  RateLimiter& limiter = s.queues.rate_limiter();
  if (auto st = limiter.charge_user(caller(c), c.arrival_ms); !st) {
    return Outcome::failure(st.error());
  }
  Outcome o = ok(200);
  o.storage_result().user = owner(c);
  return o;
}

// "User ID or username" of a user the fake knows; no token needed.
Outcome user_get(Storages& s, Call& c) {
  if (auto st = s.queues.rate_limiter().charge_user(caller(c), c.arrival_ms); !st) {
    return Outcome::failure(st.error());
  }
  return from(s.users.find(ref(c)), 200, [](Result_& r, User&& u) { r.user = std::move(u); });
}

using StorageFn = Outcome (*)(Storages&, Call&);

// Indexed by Operation minus the request-queue rows, in the table's order.
constexpr std::array<StorageFn, kAllOperationCount - kOperationCount> kStorageOps = {
    kv_stores_get,          kv_stores_post,    kv_store_get,      kv_store_put,
    kv_store_delete,        kv_keys_get,       kv_records_get,    kv_record_get,
    kv_record_head,         kv_record_put,     kv_record_put,     kv_record_delete,
    datasets_get,           datasets_post,     dataset_get,       dataset_put,
    dataset_delete,         dataset_items_get, dataset_items_get, dataset_items_post,
    dataset_statistics_get, user_me_get,       user_get,
};

static_assert(static_cast<std::size_t>(O::kKvStoresGet) == kOperationCount);
static_assert(static_cast<std::size_t>(O::kKvRecordPost) == kOperationCount + 10);
static_assert(static_cast<std::size_t>(O::kDatasetItemsHead) == kOperationCount + 18);
static_assert(static_cast<std::size_t>(O::kUserGet) == kAllOperationCount - 1);

}  // namespace

Outcome run_storage_operation(Storages& storages, Call& call) {
  auto i = static_cast<std::size_t>(call.op);
  if (i < kOperationCount || i >= kAllOperationCount) {
    return Outcome::failure(errors::internal_server_error("Unknown operation."));
  }
  return kStorageOps[i - kOperationCount](storages, call);
}

}  // namespace rqcheck::fake
