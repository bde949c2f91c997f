// What the stores tell the persistence layer, as plain data: rows to upsert or delete (no SQL
// here, no file, no thread). Every mutation of a store builds its change records while it holds
// the storage's lock and appends them, in order, to one ChangeLog; the thread that appends gets
// a durability ticket (current_ticket()), which the pipeline waits for before a 2xx leaves
// (server.cc). Start-up replays the rows through a Loader. docs/persistence.md has the rules.
//
//   std::vector<persist::Change> out;
//   out.push_back(persist::PutStorage{row});         // the storage's own row (meta, counters)
//   out.push_back(persist::DropRequest{queue_id, id});
//   log->append(std::move(out));                     // current_ticket() is now its ticket
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "../directory.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/users.h"

namespace rqcheck::fake::persist {

enum class Kind : std::uint8_t { kQueue = 0, kKeyValueStore = 1, kDataset = 2 };

// One storage: its meta and its counters (which ones depends on the kind: the store that writes
// them reads them back). `client`: a queue's first clientKey (decision 30), when it has one.
struct StorageRow {
  Kind kind = Kind::kQueue;
  StorageMeta meta;
  std::vector<std::int64_t> counters;
  std::optional<std::string> client;
};

// One request of a queue, with its place in the queue's indexes (so order comes back exactly).
struct RequestRow {
  // The request's row on disk: new rows get increasing numbers, so inserts append (request ids
  // are hashes: a table keyed by them would rewrite a random page per insert).
  std::int64_t row = 0;
  std::string queue_id, id, unique_key;
  std::optional<std::string> url;  // nullopt: equal to unique_key
  std::uint8_t method = 0;
  std::int32_t retry_count = 0;
  std::string extra;
  std::optional<TimeMs> handled_at;
  std::int64_t order_t = 0, order_seq = 0;  // available: queue order; handled: (handledAt, seq)
  bool forefront = false;
  std::optional<TimeMs> lock_expires;  // set: locked until then (also when already past)
  std::int64_t lock_seq = 0;
  std::string lock_client;  // "" : locked without a clientKey
};

struct RecordRow {
  std::string store_id, key, value, content_type;
};

struct ItemRow {
  std::string dataset_id;
  std::int64_t index = 0;  // 0-based push order
  std::string json;
  bool clean = true;
};

struct PutStorage {
  StorageRow row;
};
struct DropStorage {  // the storage and everything in it
  Kind kind = Kind::kQueue;
  std::string id;
};
struct PutRequest {
  RequestRow row;
};
struct DropRequest {
  std::int64_t row = 0;
};
struct PutRecord {
  RecordRow row;
};
struct DropRecord {
  std::string store_id, key;
};
struct PutItem {
  ItemRow row;
};
struct PutUser {
  User user;  // written without its token
};
struct DropAll {};  // every storage and user (admin reset, before a snapshot is put)

using Change = std::variant<PutStorage, DropStorage, PutRequest, DropRequest, PutRecord, DropRecord,
                            PutItem, PutUser, DropAll>;

// Where the stores send their changes. append() is called under the storage's lock and must not
// block on disk: it queues and returns.
class ChangeLog {
 public:
  virtual ~ChangeLog() = default;
  // Queues `changes` after everything appended before; the calling thread's current_ticket()
  // becomes the ticket that is durable once they are.
  virtual void append(std::vector<Change> changes) = 0;
};

// The durability ticket of the calling thread's current call: the last append's (0: none).
// The pipeline sets it to 0 when a call starts and waits for it before answering.
std::uint64_t& current_ticket();

// What start-up replays: every row of the database, storages before their contents.
class Loader {
 public:
  virtual ~Loader() = default;
  virtual Status user(User u) = 0;
  virtual Status storage(StorageRow row) = 0;
  virtual Status request(RequestRow row) = 0;  // by row (any order of queues and ids)
  virtual Status record(RecordRow row) = 0;    // by (store id, key)
  virtual Status item(ItemRow row) = 0;        // by (dataset id, index)
  virtual Status done() = 0;
};

}  // namespace rqcheck::fake::persist
