// The request-queue API's messages as C++ types, with their JSON mapping. Parsing never throws:
// a document of the wrong shape gives an ApiError (status 0, type "schema-mismatch") naming the
// field. Requests themselves stay JSON (`Json`): the API stores them as given.
//
//   Result<AddResult> r = parse_add_result(json_body["data"]);
//   if (r && r->was_already_present) ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"

namespace rqcheck {

struct QueueStats {
  std::int64_t read_count = 0, write_count = 0, delete_count = 0, head_item_read_count = 0,
               storage_bytes = 0;
};

// RequestQueue (GET/PUT queue, create) and, with `username`, RequestQueueShort (list items).
struct RequestQueueInfo {
  std::string id;
  std::optional<std::string> name;
  std::string user_id;
  std::string username;
  TimeMs created_at = 0, modified_at = 0, accessed_at = 0;
  std::int64_t total_request_count = 0, handled_request_count = 0, pending_request_count = 0;
  bool had_multiple_clients = false;
  std::string console_url;  // required by the spec; left out of the JSON only when empty
  std::string general_access = "FOLLOW_USER_SETTING";
  QueueStats stats;
};

// {requestId, wasAlreadyPresent, wasAlreadyHandled}: add (6) and update (11).
struct AddResult {
  std::string request_id;
  bool was_already_present = false;
  bool was_already_handled = false;
};

struct ProcessedRequest {
  std::string request_id;
  std::string unique_key;
  bool was_already_present = false;
  bool was_already_handled = false;
};

struct UnprocessedRequest {
  std::string unique_key;
  std::string url;
  std::optional<std::string> method;
};

struct BatchAddResult {
  std::vector<ProcessedRequest> processed;
  std::vector<UnprocessedRequest> unprocessed;
};

struct DeletedRequest {
  std::optional<std::string> id;
  std::optional<std::string> unique_key;
};

struct BatchDeleteResult {
  std::vector<DeletedRequest> processed;
  std::vector<Json> unprocessed;
};

struct HeadItem {
  std::string id, unique_key, url, method;
  std::int64_t retry_count = 0;
  std::optional<TimeMs> lock_expires_at;  // head/lock only
};

// RequestQueueHead (13) and LockedRequestQueueHead (14).
struct Head {
  std::int64_t limit = 0;
  TimeMs queue_modified_at = 0;
  bool had_multiple_clients = false;
  std::optional<std::int64_t> lock_secs;
  std::optional<bool> queue_has_locked_requests;
  std::optional<std::string> client_key;
  std::vector<HeadItem> items;
};

// ListOfRequests (7).
struct RequestsPage {
  std::vector<Json> items;
  std::int64_t limit = 0;
  std::optional<std::string> exclusive_start_id, cursor, next_cursor;
};

// ListOfRequestQueues (1).
struct QueuesPage {
  std::int64_t total = 0, offset = 0, limit = 0, count = 0;
  bool desc = false;
  std::vector<RequestQueueInfo> items;
};

Json to_json(const RequestQueueInfo& q, bool short_form = false);
// Appends exactly dump_json(to_json(q, short_form)) without building a DOM: the fake answers
// every queue call with it.
void append_queue_json(std::string& out, const RequestQueueInfo& q, bool short_form = false);
Json to_json(const AddResult& r);
Json to_json(const BatchAddResult& r);
Json to_json(const BatchDeleteResult& r);
Json to_json(const Head& h);
// Appends exactly dump_json(to_json(h)) without building a DOM (head and head/lock answers).
void append_head_json(std::string& out, const Head& h);

// Each takes the object under "data".
Result<RequestQueueInfo> parse_queue(const Json& j);
Result<AddResult> parse_add_result(const Json& j);
Result<BatchAddResult> parse_batch_add_result(const Json& j);
Result<BatchDeleteResult> parse_batch_delete_result(const Json& j);
Result<Head> parse_head(const Json& j);
Result<RequestsPage> parse_requests_page(const Json& j);
Result<QueuesPage> parse_queues_page(const Json& j);
// {"lockExpiresAt": "..."} (15).
Result<TimeMs> parse_lock_expiry(const Json& j);
// {"unlockedCount": n} (17).
Result<std::int64_t> parse_unlocked_count(const Json& j);

// List cursors (decision 31): unpadded base64url of {"requestId":"<id>"}.
std::string encode_cursor(std::string_view request_id);
std::optional<std::string> decode_cursor(std::string_view cursor);

}  // namespace rqcheck
