// The fake's seam from HTTP to the store: what the transport received (HttpRequest), the typed
// call the wire layer parses it into once (Call), what the operation did (Outcome), and what
// goes back (Reply). Every later stage (schema findings, the journal, the compliance monitor,
// fault matching, named bugs, the store) reads the Call instead of the raw request.
//
//   HttpRequest http = ...;                         // transport.cc: bounded, decoded body
//   Call call = wire::parse_call(http, route, opts);  // wire.cc: typed arguments, violations
//   Outcome out = run_operation(ctx, call);          // operations.cc: the store, typed
//   Reply reply = wire::write_outcome(call, out);    // wire.cc: the only JSON writer
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dataset_store.h"
#include "kv_store.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/requests.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/core/types.h"
#include "rqcheck/fake_server/faults.h"
#include "rqcheck/fake_server/journal.h"
#include "rqcheck/fake_server/store.h"
#include "rqcheck/fake_server/users.h"

namespace rqcheck::fake {

using Params = std::multimap<std::string, std::string>;

// One HTTP request as the transport received it.
struct HttpRequest {
  std::string method;                  // after the ?method= override of a GET (spec intro)
  std::string path;                    // without the query
  std::string target;                  // as sent, query included
  Params query;                        // decoded
  std::vector<Header> headers;         // as received
  std::string body;                    // decoded (gzip, deflate, br), at most kMaxPayloadBytes
  std::optional<ApiError> body_error;  // 413, 415, 400: the body could not be read or decoded
  std::size_t body_bytes = 0;          // as received, before decoding
  std::string remote_addr;
  int remote_port = 0;

  // A header's value (names compare case-insensitively); nullptr when absent.
  const std::string* header(std::string_view name) const;
  std::string header_or(std::string_view name, std::string_view fallback = {}) const;
  const std::string* param(std::string_view name) const;
  std::optional<std::string> opt_param(std::string_view name) const;
};

// What the server answers.
struct Reply {
  int status = 200;
  std::string body;  // empty for 204 and HEAD
  std::string content_type = "application/json; charset=utf-8";
  std::vector<Header> headers;
  std::optional<ApiError> error;  // an error answer, as a value (the journal reads its type)

  // The documented envelope {"error":{"type","message"}} with the error's status.
  static Reply of_error(ApiError e);
  static Reply no_content() { return Reply{204, {}, {}, {}, {}}; }
  void set_header(std::string name, std::string value);
  const std::string* header(std::string_view name) const;
  void remove_header(std::string_view name);
};

// GET/HEAD dataset items: how the page is shaped and written (wire_items.h applies it).
enum class ItemsFormat { kJson, kJsonl };
struct ItemsView {
  ItemsFormat format = ItemsFormat::kJson;
  std::optional<std::vector<std::string>> fields;  // only these top-level fields, in this order
  std::vector<std::string> output_fields;          // renames `fields` positionally
  std::vector<std::string> omit;                   // these top-level fields removed
  bool skip_hidden = false;                        // fields starting with '#' removed
  bool skip_empty = false;                         // items empty (after skip_hidden) left out
  bool bom = false;                                // the UTF-8 byte order mark first
  bool attachment = false;                         // Content-Disposition: attachment
};

// The typed arguments of the key-value store, dataset and user operations (wire_storages.cc).
struct StorageArgs {
  StorageListQuery list;                          // GET /v2/key-value-stores, GET /v2/datasets
  StorageUpdate update;                           // PUT a store or a dataset
  KvKeysQuery keys;                               // GET .../keys
  std::optional<std::string> prefix, collection;  // GET .../records (the ZIP)
  std::string content_type;                       // PUT/POST a record: as sent ("" when none)
  bool attachment = false;                        // GET a record
  ItemsQuery items;                               // GET/HEAD items: the page
  ItemsView view;                                 // GET/HEAD items: shape and format
  std::vector<DatasetItem> push;                  // POST items: each object's text, in order
};

// The typed arguments of every operation in one record. An operation reads the fields it takes
// (see wire.cc and wire_storages.cc); the others keep their defaults. Named bugs of the "call"
// seam change these values.
struct CallArgs {
  // Queues (1-5).
  QueueListOptions queues;
  std::optional<std::string> name;  // create
  QueueChanges changes;             // PUT queue
  // Requests (6-17).
  WriteOptions write;                                     // forefront
  std::vector<RequestDraft> drafts;                       // add and PUT (one), batch add (1..25)
  std::vector<RequestKey> keys;                           // batch delete
  ListQuery list;                                         // list requests
  std::optional<std::string> cursor, exclusive_start_id;  // as sent, echoed in the page
  std::int64_t limit = 0;  // head, head/lock (after default and clamp)
  double lock_secs = 0;    // head/lock, prolong
  // Key-value stores, datasets, users.
  StorageArgs storage;
};

// One API call, parsed once.
struct Call {
  std::uint64_t seq = 0;  // the journal's sequence number
  TimeMs arrival_ms = 0;
  const HttpRequest* http = nullptr;
  std::shared_ptr<const HttpRequest> rewritten;  // a named bug rewrote the request: `http` is it
  Operation op = Operation::kQueuesGet;
  std::array<std::string, 2> params;  // the path parameters: {queueId, requestId}, ...
  // Who calls (decision 12): the token's user once resolved, and the clientKey.
  std::optional<std::string> token;
  bool token_in_query = false;
  std::optional<User> user;
  std::optional<std::string> client_key;
  CallArgs args;
  // The request rules the call broke (all of them, for the compliance report); the first fatal
  // one, or an auth error, refuses the call before the store sees it.
  Violations violations;
  std::optional<ApiError> refusal;
  // The keys the call carries, for the journal and the compliance monitor (add, batch add, PUT:
  // the uniqueKeys; batch delete: each item's id, else its uniqueKey; a record operation: the
  // record key), bounded by bound_key.
  std::vector<std::string> item_keys;
  // The fault decided for this call (docs/faults.md).
  FaultDecision fault;
  // What the store charged the call (docs/cost.md), for the journal entry and the cost meter.
  CostCharge charge;

  Caller caller() { return Caller{user ? &*user : nullptr, client_key, &charge}; }
  QueueRef queue_ref() const { return QueueRef{params[0]}; }
};

// What an operation did, typed; the wire layer writes it. `error` set: the call failed.
struct Outcome {
  int status = 200;
  std::optional<ApiError> error;
  std::vector<Header> headers;      // e.g. Location of a created queue
  RequestQueueInfo queue;           // 2, 3, 4
  QueuesPage queues;                // 1
  AddResult add;                    // 6, 11
  BatchAddResult batch_add;         // 8
  BatchDeleteResult batch_delete;   // 9
  Head head;                        // 13, 14
  TimeMs lock_expires_at = 0;       // 15
  std::int64_t unlocked_count = 0;  // 17
  ListPage page;                    // 7
  // Key-value stores, datasets and users (allocated by the operations that use it, so the
  // request-queue calls do not carry it).
  struct Storage {
    bool created = false;  // POST a collection: 201 (else 200, an existing name)
    std::string id;        // the store or dataset a record put or a push went to (Location)
    KvStoreInfo kv_store;
    KvStoresPage kv_stores;
    KvKeysPage keys;
    KvRecord record;
    KvRecordHead record_head;
    std::vector<KvRecord> records;  // the ZIP download
    DatasetInfo dataset;
    DatasetsPage datasets;
    ItemsPage items;
    User user;
  };
  std::unique_ptr<Storage> storage;
  Storage& storage_result() {
    if (!storage) storage = std::make_unique<Storage>();
    return *storage;
  }
  // 7 and 10: the `data` JSON text, written by the wire layer's sink while the store held the
  // queue (so a page of a thousand requests is written once, without copies).
  std::string data_text;
  bool no_body = false;  // 204

  static Outcome failure(ApiError e) {
    Outcome o;
    o.status = e.status;
    o.error = std::move(e);
    return o;
  }
};

}  // namespace rqcheck::fake
