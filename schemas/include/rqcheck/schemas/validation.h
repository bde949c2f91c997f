// JSON Schema validation of request-queue API messages against the schemas in
// schemas/*.schema.json, which are embedded into the library at build time (no data path at run
// time).
//
//   using namespace rqcheck;
//   schemas::ValidationResult r = schemas::validate_request(Operation::kRequestsBatchPost, body);
//   if (!r) for (const auto& v : r.violations) std::cerr << v.pointer << ": " << v.reason << "\n";
//   auto resp = schemas::validate_response(Operation::kHeadGet, 200, response_json);
//
// Every function here is thread-safe. Each schema is compiled once, on first use.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/core/operations.h"

namespace rqcheck::schemas {

namespace detail {
struct EngineAccess;  // tests compare the two validation engines through it
}  // namespace detail

// One way in which a document breaks its schema: where (an RFC 6901 JSON pointer into the
// validated document, "" = the whole document) and why, in words.
struct Violation {
  std::string pointer;
  std::string reason;
};

// Every violation found; empty when the document is valid.
struct ValidationResult {
  std::vector<Violation> violations;

  bool ok() const noexcept { return violations.empty(); }
  explicit operator bool() const noexcept { return ok(); }
  // "<pointer>: <reason>" lines joined by "; " (pointer "" shown as "/"), for logs and evidence.
  std::string summary() const;
};

// Validates `doc` against the named message schema (see messages.h: message names are the schema
// file names without ".schema.json", e.g. "requestQueue_requests_batch_post.request", "error").
// An unknown name gives one violation at "" saying so.
ValidationResult validate(std::string_view message, const nlohmann::json& doc);

// Validates the body a client sends for `op`. For an operation without a request body
// (OperationInfo::has_request_body false) `body` must be null (no body).
ValidationResult validate_request(Operation op, const nlohmann::json& body);

// Validates the body a server answers `op` with `status`: any status >= 400 selects the error
// envelope; a documented success status selects its message; a documented status without a body
// (204) requires `body` to be null; any other status is itself a violation.
ValidationResult validate_response(Operation op, int status, const nlohmann::json& body);

// A draft-7 schema compiled the way the embedded ones are: formats "date-time" (RFC 3339, a
// timezone required) and "uri" (absolute) are checked, other formats are annotations; $ref must be
// local to the document. For tests (the JSON Schema test suite) and ad-hoc checks.
class CompiledSchema {
 public:
  // nullopt (and `*error` set when given) when `schema` is not a schema valijson can compile.
  static std::optional<CompiledSchema> compile(const nlohmann::json& schema,
                                               std::string* error = nullptr);
  ValidationResult validate(const nlohmann::json& doc) const;

  struct Impl;

 private:
  friend struct detail::EngineAccess;
  explicit CompiledSchema(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace rqcheck::schemas
