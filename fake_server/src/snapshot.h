// The JSON form of a store snapshot (GET and PUT /__admin/store): every queue with its requests,
// their locks and the queue's counters, as plain data. What GET returns, PUT accepts unchanged
// (the {"data": ...} wrapper included), so GET, PUT, GET gives equal output.
//
//   Json snap = snapshot_json(store.export_queues());
//   auto images = parse_snapshot(snap);            // 400 invalid-input naming what is wrong
//   if (images) store.import_queues(std::move(*images));
#pragma once

#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/result.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {

inline constexpr std::string_view kSnapshotFormat = "rqcheck-store-snapshot/2";

Json snapshot_json(const std::vector<QueueImage>& queues);
// Accepts format 2, format 1 (no locks, no stats) and either wrapped in {"data": ...} or bare.
Result<std::vector<QueueImage>> parse_snapshot(const Json& doc);

}  // namespace rqcheck::fake
