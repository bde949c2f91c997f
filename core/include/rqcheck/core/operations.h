// The operations of the request-queue API (spec section 3, rows 1-17), named by their OpenAPI
// operationIds. Every layer names operations through this table: schemas select messages by it,
// the fake routes to it, checks and reports are labelled with it.
//
//   for (const OperationInfo& op : all_operations()) std::cout << op.id << " " << op.method;
//   const OperationInfo& info = operation_info(Operation::kRequestsBatchPost);
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace rqcheck {

enum class Operation {
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
};

inline constexpr std::size_t kOperationCount = 17;

// Which per-queue rate-limit bucket an operation falls in (spec section 1.2, decision 37).
enum class RateClass { kSingleRequest, kBatch, kOther };

struct OperationInfo {
  Operation op;
  std::string_view id;      // OpenAPI operationId, e.g. "requestQueue_requests_batch_post"
  std::string_view method;  // "GET", "POST", ...
  std::string_view path;    // template, e.g. "/v2/request-queues/{queueId}/requests/batch"
  int success_status;       // 200, 201 or 204
  bool has_request_body;    // a JSON body is sent (PUT queue, add, batch add/delete, PUT request)
  RateClass rate_class;
};

// All 17 operations in spec order.
const std::array<OperationInfo, kOperationCount>& all_operations();
const OperationInfo& operation_info(Operation op);
// Looks an operation up by its operationId; nullopt when unknown.
std::optional<Operation> operation_from_id(std::string_view id);

}  // namespace rqcheck
