// The operations of the API that rqcheck knows, named by their OpenAPI operationIds: the
// request-queue API (spec section 3, rows 1-17) first, then the key-value store, dataset and user
// operations the fake serves. Every layer names operations through this table: the fake routes
// with it (match_route), the client builds its URLs with it (build_path), schemas select
// messages by it, checks, faults and reports are labelled with it.
//
//   for (const OperationInfo& op : request_queue_operations()) std::cout << op.id << op.method;
//   RouteMatch m = match_route("POST", "/v2/request-queues/abc/requests/batch");
//   // m.op == Operation::kRequestsBatchPost, m.params[0] == "abc"
//   build_path(Operation::kRequestGet, "abc", "r1") == "/v2/request-queues/abc/requests/r1"
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace rqcheck {

enum class Operation {
  // Request queues (spec section 3, rows 1-17).
  kQueuesGet,            // 1  GET    /v2/request-queues
  kQueuesPost,           // 2  POST   /v2/request-queues
  kQueueGet,             // 3  GET    /v2/request-queues/{queueId}
  kQueuePut,             // 4  PUT    /v2/request-queues/{queueId}
  kQueueDelete,          // 5  DELETE /v2/request-queues/{queueId}
  kRequestsPost,         // 6  POST   /v2/request-queues/{queueId}/requests
  kRequestsGet,          // 7  GET    /v2/request-queues/{queueId}/requests
  kRequestsBatchPost,    // 8  POST   /v2/request-queues/{queueId}/requests/batch
  kRequestsBatchDelete,  // 9  DELETE /v2/request-queues/{queueId}/requests/batch
  kRequestGet,           // 10 GET    /v2/request-queues/{queueId}/requests/{requestId}
  kRequestPut,           // 11 PUT    /v2/request-queues/{queueId}/requests/{requestId}
  kRequestDelete,        // 12 DELETE /v2/request-queues/{queueId}/requests/{requestId}
  kHeadGet,              // 13 GET    /v2/request-queues/{queueId}/head
  kHeadLockPost,         // 14 POST   /v2/request-queues/{queueId}/head/lock
  kRequestLockPut,       // 15 PUT    /v2/request-queues/{queueId}/requests/{requestId}/lock
  kRequestLockDelete,    // 16 DELETE /v2/request-queues/{queueId}/requests/{requestId}/lock
  kRequestsUnlockPost,   // 17 POST   /v2/request-queues/{queueId}/requests/unlock
  // Key-value stores.
  kKvStoresGet,     // GET    /v2/key-value-stores
  kKvStoresPost,    // POST   /v2/key-value-stores
  kKvStoreGet,      // GET    /v2/key-value-stores/{storeId}
  kKvStorePut,      // PUT    /v2/key-value-stores/{storeId}
  kKvStoreDelete,   // DELETE /v2/key-value-stores/{storeId}
  kKvKeysGet,       // GET    /v2/key-value-stores/{storeId}/keys
  kKvRecordsGet,    // GET    /v2/key-value-stores/{storeId}/records (a ZIP of the records)
  kKvRecordGet,     // GET    /v2/key-value-stores/{storeId}/records/{recordKey}
  kKvRecordHead,    // HEAD   /v2/key-value-stores/{storeId}/records/{recordKey}
  kKvRecordPut,     // PUT    /v2/key-value-stores/{storeId}/records/{recordKey}
  kKvRecordPost,    // POST   /v2/key-value-stores/{storeId}/records/{recordKey}
  kKvRecordDelete,  // DELETE /v2/key-value-stores/{storeId}/records/{recordKey}
  // Datasets.
  kDatasetsGet,           // GET    /v2/datasets
  kDatasetsPost,          // POST   /v2/datasets
  kDatasetGet,            // GET    /v2/datasets/{datasetId}
  kDatasetPut,            // PUT    /v2/datasets/{datasetId}
  kDatasetDelete,         // DELETE /v2/datasets/{datasetId}
  kDatasetItemsGet,       // GET    /v2/datasets/{datasetId}/items
  kDatasetItemsHead,      // HEAD   /v2/datasets/{datasetId}/items
  kDatasetItemsPost,      // POST   /v2/datasets/{datasetId}/items
  kDatasetStatisticsGet,  // GET    /v2/datasets/{datasetId}/statistics
  // Users.
  kUserMeGet,  // GET /v2/users/me
  kUserGet,    // GET /v2/users/{userId}
};

// Rows 1-17: the request-queue API, the centre of the suite.
inline constexpr std::size_t kOperationCount = 17;
// Every operation of the table.
inline constexpr std::size_t kAllOperationCount = 40;

// Which storage an operation belongs to.
enum class Storage { kRequestQueue, kKeyValueStore, kDataset, kUser };

// Which per-storage rate-limit bucket an operation falls in (spec section 1.2, decision 37).
enum class RateClass { kSingleRequest, kBatch, kOther };

// What an operation's request body is.
enum class BodyKind {
  kNone,   // no body
  kJson,   // a JSON document (Content-Type: application/json)
  kBytes,  // any bytes of any content type (key-value store records)
};

struct OperationInfo {
  Operation op;
  std::string_view id;      // OpenAPI operationId, e.g. "requestQueue_requests_batch_post"
  std::string_view alias;   // short name for fault rules and reports, e.g. "batch_add"
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // template, e.g. "/v2/request-queues/{queueId}/requests/batch"
  int success_status;       // 200, 201 or 204
  BodyKind body;
  RateClass rate_class;
  Storage storage;
  // A call without a token may read by raw storage id (spec 1: reads by the hard-to-guess id
  // work without a token unless access is RESTRICTED). Every other operation needs a token.
  bool anonymous_read;
  // The query parameters the OpenAPI description defines for the operation, comma-separated
  // ("clientKey,forefront"). `token` (every operation) and `method` (the override, spec 1) are
  // documented for all operations and not repeated here.
  std::string_view query;
  // A JSON (or bytes) body is sent: PUT queue, add, batch add/delete, PUT request, ...
  bool has_request_body() const { return body != BodyKind::kNone; }
  // Writes change state: they need a token and the owner's permission (decision 13).
  bool is_write() const { return method != "GET" && method != "HEAD"; }
};

// The 17 request-queue operations in spec order (rows 1-17).
const std::array<OperationInfo, kOperationCount>& request_queue_operations();
// Every operation: the request-queue ones first, then key-value stores, datasets and users.
const std::array<OperationInfo, kAllOperationCount>& all_operations();
const OperationInfo& operation_info(Operation op);
// Looks an operation up by its operationId; nullopt when unknown.
std::optional<Operation> operation_from_id(std::string_view id);
// By operationId or by alias ("add", "batch_add", "kv_put", ...); nullopt when unknown.
std::optional<Operation> operation_from_alias(std::string_view name);

// Query parameters (spec 1, the OpenAPI description): whether `name` is one the operation
// defines (or `token` / `method`, which every operation takes). A server ignores the others, so a
// client that sends `client_key` or `clientkey` gets no error and no effect.
bool is_documented_query_param(Operation op, std::string_view name);
// Whether some operation of the table defines `name` (clientKey on GET request is no typo, only
// not a parameter of that operation).
bool is_api_query_param(std::string_view name);
// For a parameter the operation does not define: the documented one it most likely meant, when
// one is close (the same letters ignoring case, '_' and '-', or an edit distance of at most 2 for
// names of 4 or more characters); nullopt when none is.
std::optional<std::string_view> closest_query_param(Operation op, std::string_view name);

// Where a method and path lead.
struct RouteMatch {
  enum Kind {
    kOperation,         // `op` is set; `params` holds the decoded path parameters in order
    kNotFound,          // not a path of the API
    kMethodNotAllowed,  // a path of the API, another method: `allowed` lists the methods
    kNotImplemented,    // a path of the Apify API that rqcheck does not emulate (501)
  };
  Kind kind = kNotFound;
  std::optional<Operation> op;
  std::array<std::string, 2> params;  // e.g. {queueId, requestId}, percent-decoded
  std::string allowed;                // "OPTIONS,GET,POST" (405)
};
// Routes by the table. Empty segments are skipped ("/v2//request-queues/" is the queues path);
// HEAD on a GET path is that GET, unless the table has a HEAD operation there. Allocation-free
// for paths of the API except for the parameters.
RouteMatch match_route(std::string_view method, std::string_view path);

// The path of `op` with its parameters percent-encoded into the template (RFC 3986 unreserved
// characters kept).
std::string build_path(Operation op, std::string_view p1 = {}, std::string_view p2 = {});

}  // namespace rqcheck
