// The operations layer: one small function per operation of the API, from a typed Call to a typed
// Outcome through the storages. No HTTP and no JSON here (list pages and single requests are
// handed to the wire layer's writer while the store holds the queue).
//
//   Storages storages{store, key_value_stores, datasets, users};
//   Outcome out = run_operation(storages, call);   // call parsed by wire::parse_call, not refused
#pragma once

#include "call.h"
#include "dataset_store.h"
#include "kv_store.h"
#include "rqcheck/fake_server/store.h"
#include "rqcheck/fake_server/users.h"

namespace rqcheck::fake {

// Everything the operations reach: the three storages and the users they share.
struct Storages {
  Store& queues;
  KeyValueStores& key_value_stores;
  Datasets& datasets;
  Users& users;
};

Outcome run_operation(Storages& storages, Call& call);

// operations_storages.cc: the key-value store, dataset and user operations.
Outcome run_storage_operation(Storages& storages, Call& call);

}  // namespace rqcheck::fake
