// The error catalogue: the documented error types of the request-queue API (spec section 1.1)
// with their statuses, constructors for the ones rqcheck produces, and the JSON envelope.
//
//   ApiError e = errors::record_not_found();            // 404 record-not-found
//   std::string body = error_body(e);                   // {"error":{"type":...,"message":...}}
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "rqcheck/core/limits.h"
#include "rqcheck/core/result.h"

namespace rqcheck {

// The envelope, serialized: {"error":{"type":"...","message":"..."}}.
std::string error_body(const ApiError& e);

// The status the catalogue documents for an error type; 0 when the type is not catalogued.
int documented_status(std::string_view type);
// The documented type a bare status stands for (400 invalid-input, 429 rate-limit-exceeded, ...);
// "" when the catalogue has none.
std::string_view default_error_type(int status);
// An error of `type` sent with `status`, with the catalogue's standard message for that type
// (fault injection sends these).
ApiError error_of_type(int status, std::string_view type);

namespace errors {
ApiError invalid_input(std::string message);               // 400
ApiError invalid_parameter(std::string message);           // 400
ApiError invalid_request(std::string message);             // 400 (body is not what the op takes)
ApiError invalid_client_key(std::string_view client_key);  // 400
ApiError request_id_invalid(std::string message);          // 400
ApiError duplicate_requests(std::string_view unique_key);  // 400 request-queue-duplicate-requests
ApiError request_handled_or_locked(std::string message);   // 400
ApiError id_does_not_match(std::string message);           // 400
ApiError invalid_content_type(std::string_view got);       // 400 invalid-content-type-header
ApiError name_not_unique(std::string_view name);           // 400
ApiError token_not_provided();                             // 401
ApiError user_or_token_not_found();                        // 401
ApiError insufficient_permissions(std::string message);    // 403
ApiError record_not_found(std::string message = "The requested resource was not found.");  // 404
ApiError page_not_found(std::string_view path);             // 404 (unknown route)
ApiError method_not_allowed(std::string_view allowed);      // 405, message lists `allowed`
ApiError request_too_large(std::size_t actual_bytes);       // 413, documented message pattern
ApiError unsupported_content_encoding(std::string_view e);  // 415
ApiError rate_limit_exceeded(int limit_per_sec);            // 429
ApiError internal_server_error(std::string message);        // 500
ApiError service_unavailable(std::string message);          // 503
ApiError not_implemented(std::string message);  // 501 (an endpoint rqcheck does not emulate)
}  // namespace errors

}  // namespace rqcheck
