#include "rqcheck/core/operations.h"

namespace rqcheck {

namespace {
constexpr std::string_view kQ = "/v2/request-queues/{queueId}";
}  // namespace

const std::array<OperationInfo, kOperationCount>& all_operations() {
  using O = Operation;
  using R = RateClass;
  static const std::array<OperationInfo, kOperationCount> table = {{
      {O::kQueuesGet, "requestQueues_get", "GET", "/v2/request-queues", 200, false, R::kOther},
      {O::kQueuesPost, "requestQueues_post", "POST", "/v2/request-queues", 201, false, R::kOther},
      {O::kQueueGet, "requestQueue_get", "GET", kQ, 200, false, R::kOther},
      {O::kQueuePut, "requestQueue_put", "PUT", kQ, 200, true, R::kOther},
      {O::kQueueDelete, "requestQueue_delete", "DELETE", kQ, 204, false, R::kOther},
      {O::kRequestsPost, "requestQueue_requests_post", "POST",
       "/v2/request-queues/{queueId}/requests", 201, true, R::kSingleRequest},
      {O::kRequestsGet, "requestQueue_requests_get", "GET", "/v2/request-queues/{queueId}/requests",
       200, false, R::kOther},
      {O::kRequestsBatchPost, "requestQueue_requests_batch_post", "POST",
       "/v2/request-queues/{queueId}/requests/batch", 201, true, R::kBatch},
      {O::kRequestsBatchDelete, "requestQueue_requests_batch_delete", "DELETE",
       "/v2/request-queues/{queueId}/requests/batch", 200, true, R::kBatch},
      {O::kRequestGet, "requestQueue_request_get", "GET",
       "/v2/request-queues/{queueId}/requests/{requestId}", 200, false, R::kSingleRequest},
      {O::kRequestPut, "requestQueue_request_put", "PUT",
       "/v2/request-queues/{queueId}/requests/{requestId}", 200, true, R::kSingleRequest},
      {O::kRequestDelete, "requestQueue_request_delete", "DELETE",
       "/v2/request-queues/{queueId}/requests/{requestId}", 204, false, R::kSingleRequest},
      {O::kHeadGet, "requestQueue_head_get", "GET", "/v2/request-queues/{queueId}/head", 200, false,
       R::kOther},
      {O::kHeadLockPost, "requestQueue_head_lock_post", "POST",
       "/v2/request-queues/{queueId}/head/lock", 201, false, R::kBatch},
      {O::kRequestLockPut, "requestQueue_request_lock_put", "PUT",
       "/v2/request-queues/{queueId}/requests/{requestId}/lock", 200, false, R::kSingleRequest},
      {O::kRequestLockDelete, "requestQueue_request_lock_delete", "DELETE",
       "/v2/request-queues/{queueId}/requests/{requestId}/lock", 204, false, R::kSingleRequest},
      {O::kRequestsUnlockPost, "requestQueue_requests_unlock_post", "POST",
       "/v2/request-queues/{queueId}/requests/unlock", 200, false, R::kOther},
  }};
  return table;
}

const OperationInfo& operation_info(Operation op) {
  return all_operations()[static_cast<std::size_t>(op)];
}

std::optional<Operation> operation_from_id(std::string_view id) {
  for (const auto& info : all_operations()) {
    if (info.id == id) return info.op;
  }
  return std::nullopt;
}

}  // namespace rqcheck
