// Which message schema describes which body: the mapping from the operation table
// (rqcheck/core/operations.h) and HTTP status to the files in schemas/*.schema.json.
//
//   auto m = schemas::response_message(Operation::kQueuesPost, 201);
//   // *m == "requestQueues_post.response.201"
//   for (std::string_view f : schemas::schema_files()) std::cout << f << "\n";
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "rqcheck/core/operations.h"

namespace rqcheck::schemas {

// The message of every status >= 400 (schemas/error.schema.json).
inline constexpr std::string_view kErrorMessage = "error";
// Shared definitions (schemas/defs.schema.json): referenced with $ref, not a message.
inline constexpr std::string_view kDefinitionsFile = "defs.schema.json";

// The statuses the error envelope is documented for (spec section 1.1).
const std::vector<int>& error_statuses();
// The documented success statuses of `op` (requestQueues_post: 200 and 201; others one).
std::vector<int> success_statuses(Operation op);

// The message of the body a client sends for `op`: "<operationId>.request", or nullopt when the
// operation takes no body.
std::optional<std::string_view> request_message(Operation op);
// The message of the body answered with `status`: "<operationId>.response.<status>" for a
// documented success status, kErrorMessage for any status >= 400, nullopt for a documented status
// without a body (204) or a status not documented for `op`.
std::optional<std::string_view> response_message(Operation op, int status);

// Every message that has a schema (request, success responses, error), sorted.
std::vector<std::string_view> message_names();
// Every embedded schema file name ("<message>.schema.json" plus kDefinitionsFile), sorted.
std::vector<std::string_view> schema_files();
// The embedded text of a schema file, or nullopt when there is no such file.
std::optional<std::string_view> schema_text(std::string_view file_name);

}  // namespace rqcheck::schemas
