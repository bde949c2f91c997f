// The request-queue API as an abstract C++ interface: one virtual method per operation (spec
// section 3, rows 1-17). Checks are written against this interface; rqcheck::client::HttpClient
// is the default implementation, and a C++ client author can plug in their own.
//
//   ClientConfig config;
//   config.base_url = "http://127.0.0.1:8080";
//   HttpClient http(config);
//   RequestQueueApi& api = http;
//   auto added = api.add_request(queue_id, Json{{"url", u}, {"uniqueKey", u}});
//   if (!added) std::cerr << added.error().status << " " << added.error().type;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/core/types.h"

namespace rqcheck::client {

// ApiError types the client produces itself (the API's own types are kebab-case too).
// status 0: the exchange never produced an HTTP response (connection, TLS, timeout, ...).
inline constexpr std::string_view kTransportError = "transport-error";
// status = the HTTP status: the body is not JSON, not an error envelope, or not the expected shape.
inline constexpr std::string_view kInvalidResponse = "invalid-response";
// status 0: the client is misconfigured (e.g. an unparseable base URL); nothing was sent.
inline constexpr std::string_view kInvalidConfig = "invalid-config";

// (1) GET /v2/request-queues.
struct ListQueuesOptions {
  std::optional<std::int64_t> offset;
  std::optional<std::int64_t> limit;
  std::optional<bool> desc;
  std::optional<bool> unnamed;
  std::optional<std::string> ownership;  // "ownedByMe" or "sharedWithMe"
};

// (4) PUT /v2/request-queues/{queueId}: only the fields that are set are sent.
struct QueueUpdate {
  std::optional<std::string> name;
  bool clear_name = false;  // send "name": null (makes the queue unnamed); wins over `name`
  std::optional<std::string> general_access;
};

// (6) add, (8) batch add, (11) update request.
struct WriteOptions {
  std::optional<bool> forefront;
  std::optional<std::string> client_key;  // nullopt: the implementation's default clientKey, if any
};

// (9) batch delete, (12) delete request, (17) unlock.
struct ClientKeyOptions {
  std::optional<std::string> client_key;
};

// (7) GET .../requests.
struct ListRequestsOptions {
  std::optional<std::int64_t> limit;
  std::optional<std::string> cursor;
  std::optional<std::string> exclusive_start_id;  // deprecated by the API
  std::vector<std::string> filter;                // "locked", "pending"; sent comma-joined
  std::optional<std::string> client_key;
};

// (13) GET .../head.
struct HeadOptions {
  std::optional<std::int64_t> limit;
  std::optional<std::string> client_key;
};

// (14) POST .../head/lock: lockSecs is required by the API.
struct LockHeadOptions {
  std::int64_t lock_secs = 60;
  std::optional<std::int64_t> limit;
  std::optional<std::string> client_key;
};

// (15) PUT .../requests/{requestId}/lock.
struct ProlongLockOptions {
  std::int64_t lock_secs = 60;
  std::optional<bool> forefront;  // where the request goes when the lock expires
  std::optional<std::string> client_key;
};

// (16) DELETE .../requests/{requestId}/lock.
struct DeleteLockOptions {
  std::optional<bool> forefront;
  std::optional<std::string> client_key;
};

// Every method returns the parsed `data` of a 2xx answer, or an ApiError: the HTTP status with
// the parsed {error:{type,message}}, or one of the client's own types above. Never throws.
// `queue_id` is a queue id or `username~name` / `~name`; implementations percent-encode it.
class RequestQueueApi {
 public:
  virtual ~RequestQueueApi() = default;

  // (1) requestQueues_get
  virtual Result<QueuesPage> list_queues(const ListQueuesOptions& options = {}) = 0;
  // (2) requestQueues_post: with a name, returns the existing queue of that name or creates it.
  virtual Result<RequestQueueInfo> get_or_create_queue(
      const std::optional<std::string>& name = std::nullopt) = 0;
  // (3) requestQueue_get
  virtual Result<RequestQueueInfo> get_queue(std::string_view queue_id) = 0;
  // (4) requestQueue_put
  virtual Result<RequestQueueInfo> update_queue(std::string_view queue_id,
                                                const QueueUpdate& update) = 0;
  // (5) requestQueue_delete
  virtual Status delete_queue(std::string_view queue_id) = 0;

  // (6) requestQueue_requests_post: `request` is a RequestWithoutId object, sent as given.
  virtual Result<AddResult> add_request(std::string_view queue_id, const Json& request,
                                        const WriteOptions& options = {}) = 0;
  // (7) requestQueue_requests_get
  virtual Result<RequestsPage> list_requests(std::string_view queue_id,
                                             const ListRequestsOptions& options = {}) = 0;
  // (8) requestQueue_requests_batch_post: one call, sent as given (no chunking; see batch_add.h).
  virtual Result<BatchAddResult> batch_add_requests(std::string_view queue_id,
                                                    const std::vector<Json>& requests,
                                                    const WriteOptions& options = {}) = 0;
  // (9) requestQueue_requests_batch_delete: items carry `id` and/or `uniqueKey`.
  virtual Result<BatchDeleteResult> batch_delete_requests(std::string_view queue_id,
                                                          const std::vector<Json>& requests,
                                                          const ClientKeyOptions& options = {}) = 0;

  // (10) requestQueue_request_get: the stored Request object (the API sends no clientKey here).
  virtual Result<Json> get_request(std::string_view queue_id, std::string_view request_id) = 0;
  // (11) requestQueue_request_put: `request` is the full request object, sent as given.
  virtual Result<AddResult> update_request(std::string_view queue_id, std::string_view request_id,
                                           const Json& request,
                                           const WriteOptions& options = {}) = 0;
  // (12) requestQueue_request_delete
  virtual Status delete_request(std::string_view queue_id, std::string_view request_id,
                                const ClientKeyOptions& options = {}) = 0;

  // (13) requestQueue_head_get
  virtual Result<Head> list_head(std::string_view queue_id, const HeadOptions& options = {}) = 0;
  // (14) requestQueue_head_lock_post
  virtual Result<Head> list_and_lock_head(std::string_view queue_id,
                                          const LockHeadOptions& options) = 0;
  // (15) requestQueue_request_lock_put: the new lockExpiresAt.
  virtual Result<TimeMs> prolong_request_lock(std::string_view queue_id,
                                              std::string_view request_id,
                                              const ProlongLockOptions& options) = 0;
  // (16) requestQueue_request_lock_delete
  virtual Status delete_request_lock(std::string_view queue_id, std::string_view request_id,
                                     const DeleteLockOptions& options = {}) = 0;
  // (17) requestQueue_requests_unlock_post: unlockedCount.
  virtual Result<std::int64_t> unlock_requests(std::string_view queue_id,
                                               const ClientKeyOptions& options = {}) = 0;
};

// The JSON body update_queue sends: {"name"?: string|null, "generalAccess"?: string}.
Json to_json(const QueueUpdate& update);

}  // namespace rqcheck::client
