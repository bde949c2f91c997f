// The JSON form of a store snapshot (GET and PUT /__admin/store): every queue with its requests,
// their locks and the queue's counters; every key-value store with its records (bytes exactly,
// with their content types); every dataset with its items (each item's JSON text as pushed,
// member order kept); and the users the fake knows (id, username, createdAt: never a token). As
// plain data: what GET returns, PUT accepts unchanged (the {"data": ...} wrapper included), so
// GET, PUT, GET gives equal output.
//
//   Json snap = snapshot_json(data);                // SnapshotData of all storages
//   auto back = parse_snapshot(snap);               // 400 invalid-input naming what is wrong
#pragma once

#include <vector>

#include "dataset_store.h"
#include "kv_store.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/result.h"
#include "rqcheck/fake_server/store.h"
#include "rqcheck/fake_server/users.h"

namespace rqcheck::fake {

// A storage's metadata (id, name, owner, access, times) as the snapshot writes it; the dashboard
// shows the same object.
Json storage_meta_json(const StorageMeta& m);

inline constexpr std::string_view kSnapshotFormat = "rqcheck-store-snapshot/2";

struct SnapshotData {
  std::vector<QueueImage> queues;
  std::vector<KvStoreData> key_value_stores;
  std::vector<DatasetData> datasets;
  std::vector<User> users;  // tokens are not exported
};

Json snapshot_json(const SnapshotData& data);
// Accepts format 2 (with or without keyValueStores, datasets and users: the ones missing are
// empty), format 1 (no locks, no stats) and either wrapped in {"data": ...} or bare.
Result<SnapshotData> parse_snapshot(const Json& doc);

}  // namespace rqcheck::fake
