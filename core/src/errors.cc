#include "rqcheck/core/errors.h"

#include <string>
#include <utility>

#include "rqcheck/core/json.h"

namespace rqcheck {

std::string error_body(const ApiError& e) {
  std::string out = "{\"error\":{\"type\":";
  append_json_string(out, e.type);
  out += ",\"message\":";
  append_json_string(out, e.message);
  out += "}}";
  return out;
}

namespace {
struct Entry {
  std::string_view type;
  int status;
};
// The types of spec section 1.1 that concern request queues.
constexpr Entry kCatalogue[] = {
    {"invalid-input", 400},
    {"invalid-parameter", 400},
    {"invalid-value", 400},
    {"invalid-request", 400},
    {"parameter-required", 400},
    {"param-not-one-of", 400},
    {"invalid-client-key", 400},
    {"request-id-invalid", 400},
    {"request-queue-duplicate-requests", 400},
    {"request-handled-or-locked", 400},
    {"id-does-not-match", 400},
    {"invalid-content-type-header", 400},
    {"invalid-token", 400},
    {"name-not-unique", 400},
    {"token-not-provided", 401},
    {"user-or-token-not-found", 401},
    {"x402-payment-required", 402},
    {"insufficient-permissions", 403},
    {"missing-api-token", 403},
    {"record-not-public", 403},
    {"record-not-found", 404},
    {"record-or-token-not-found", 404},
    {"page-not-found", 404},
    {"unexpected-route", 404},
    {"method-not-allowed", 405},
    {"operation-timed-out", 408},
    {"request-too-large", 413},
    {"unsupported-content-encoding", 415},
    {"rate-limit-exceeded", 429},
    {"too-many-requests", 429},
    {"internal-server-error", 500},
    {"not-implemented", 501},
    {"concurrent-update-detected", 503},
    {"query-timeout", 503},
    {"service-unavailable", 503},
};
}  // namespace

int documented_status(std::string_view type) {
  for (const Entry& e : kCatalogue) {
    if (e.type == type) return e.status;
  }
  return 0;
}

std::string_view default_error_type(int status) {
  switch (status) {
    case 400:
      return "invalid-input";
    case 401:
      return "token-not-provided";
    case 402:
      return "x402-payment-required";
    case 403:
      return "insufficient-permissions";
    case 404:
      return "record-not-found";
    case 405:
      return "method-not-allowed";
    case 408:
      return "operation-timed-out";
    case 413:
      return "request-too-large";
    case 415:
      return "unsupported-content-encoding";
    case 429:
      return "rate-limit-exceeded";
    case 500:
      return "internal-server-error";
    case 501:
      return "not-implemented";
    case 503:
      return "service-unavailable";
    default:
      return "";
  }
}

ApiError error_of_type(int status, std::string_view t) {
  ApiError e{status, std::string(t), ""};
  if (t == "rate-limit-exceeded")
    e.message = errors::rate_limit_exceeded(kRateOtherPerSec).message;
  else if (t == "invalid-input")
    e.message = "Invalid input: The request body contains invalid data.";
  else if (t == "token-not-provided")
    e.message = errors::token_not_provided().message;
  else if (t == "user-or-token-not-found")
    e.message = errors::user_or_token_not_found().message;
  else if (t == "record-not-found")
    e.message = errors::record_not_found().message;
  else if (t == "method-not-allowed")
    e.message = errors::method_not_allowed("OPTIONS,GET").message;
  else if (t == "request-too-large")
    e.message = errors::request_too_large(kMaxPayloadBytes + 1).message;
  else if (t == "insufficient-permissions")
    e.message =
        "Insufficient permissions for the request queue. Make sure you're passing a correct API "
        "token and that it has the required permissions.";
  else if (t == "internal-server-error")
    e.message = "Internal server error. Please try again later.";
  else if (t == "service-unavailable")
    e.message = "The service is temporarily unavailable. Please try again later.";
  else if (t == "operation-timed-out")
    e.message = "The operation timed out.";
  else
    e.message = "The request failed (" + std::string(t) + ").";
  return e;
}

namespace errors {
namespace {
ApiError make(int status, std::string_view type, std::string message) {
  return ApiError{status, std::string(type), std::move(message)};
}
}  // namespace

ApiError invalid_input(std::string m) { return make(400, "invalid-input", std::move(m)); }
ApiError invalid_parameter(std::string m) { return make(400, "invalid-parameter", std::move(m)); }
ApiError invalid_request(std::string m) { return make(400, "invalid-request", std::move(m)); }
ApiError invalid_client_key(std::string_view ck) {
  return make(400, "invalid-client-key",
              "clientKey must be 1 to 32 characters long (got " + std::to_string(ck.size()) + ").");
}
ApiError request_id_invalid(std::string m) { return make(400, "request-id-invalid", std::move(m)); }
ApiError duplicate_requests(std::string_view uk) {
  return make(400, "request-queue-duplicate-requests",
              "The batch contains the uniqueKey \"" + std::string(uk) + "\" more than once.");
}
ApiError request_handled_or_locked(std::string m) {
  return make(400, "request-handled-or-locked", std::move(m));
}
ApiError id_does_not_match(std::string m) { return make(400, "id-does-not-match", std::move(m)); }
ApiError invalid_content_type(std::string_view got) {
  return make(400, "invalid-content-type-header",
              "Content-Type must be application/json (got \"" + std::string(got) + "\").");
}
ApiError name_not_unique(std::string_view name) {
  return make(400, "name-not-unique",
              "A request queue named \"" + std::string(name) + "\" already exists.");
}
ApiError token_not_provided() {
  return make(401, "token-not-provided", "Authentication token was not provided");
}
ApiError user_or_token_not_found() {
  return make(401, "user-or-token-not-found",
              "User was not found or authentication token is not valid");
}
ApiError insufficient_permissions(std::string m) {
  return make(403, "insufficient-permissions", std::move(m));
}
ApiError record_not_found(std::string m) { return make(404, "record-not-found", std::move(m)); }
ApiError page_not_found(std::string_view path) {
  return make(
      404, "page-not-found",
      "We have bad news: there is no API endpoint at this URL (" + std::string(path) + ").");
}
ApiError method_not_allowed(std::string_view allowed) {
  return make(405, "method-not-allowed",
              "This API endpoint can only be accessed using the following HTTP methods: " +
                  std::string(allowed));
}
ApiError request_too_large(std::size_t actual) {
  return make(413, "request-too-large",
              "The POST payload is too large (limit: " + std::to_string(kMaxPayloadBytes) +
                  " bytes, actual length: " + std::to_string(actual) + " bytes).");
}
ApiError unsupported_content_encoding(std::string_view e) {
  return make(415, "unsupported-content-encoding",
              "Content-Encoding \"" + std::string(e) + "\" is not supported.");
}
ApiError rate_limit_exceeded(int limit) {
  return make(429, "rate-limit-exceeded",
              "You have exceeded the rate limit of " + std::to_string(limit) +
                  " requests per second. Please try again later.");
}
ApiError internal_server_error(std::string m) {
  return make(500, "internal-server-error", std::move(m));
}
ApiError service_unavailable(std::string m) {
  return make(503, "service-unavailable", std::move(m));
}
ApiError not_implemented(std::string m) { return make(501, "not-implemented", std::move(m)); }
}  // namespace errors

}  // namespace rqcheck
