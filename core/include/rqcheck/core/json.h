// Bounded, exception-free JSON parsing for untrusted input, and small helpers for writing JSON
// text directly (the fast path for large responses).
//
//   auto doc = parse_json(body);              // Result<nlohmann::json>
//   if (!doc) return doc.error();             // 400 invalid-input with the reason
#pragma once

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "rqcheck/core/result.h"

namespace rqcheck {

using Json = nlohmann::json;

struct JsonLimits {
  std::size_t max_depth = 64;       // nesting of arrays and objects
  std::size_t max_bytes = 9437184;  // the API's payload limit
};

// Parses `text` without throwing. Malformed JSON, invalid UTF-8, too deep nesting or too many
// bytes give 400 invalid-input with a message naming the problem.
Result<Json> parse_json(std::string_view text, const JsonLimits& limits = {});

// Appends `s` as a JSON string literal (quotes included). Invalid UTF-8 is replaced by U+FFFD.
void append_json_string(std::string& out, std::string_view s);
// True when `s` is printable ASCII without '"' or '\\': its JSON literal is `s` in quotes, so a
// writer that knows this can copy it without scanning (the fake's list pages do).
bool json_string_is_plain(std::string_view s);
// Serializes without throwing (invalid UTF-8 in strings is replaced).
std::string dump_json(const Json& j);

}  // namespace rqcheck
