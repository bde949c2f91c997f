// Pieces of parse_json that the request-body scanner (request_scan.h) must share with it, so
// both refuse the same texts with the same messages.
#pragma once

#include <cstddef>
#include <string_view>

#include "rqcheck/core/result.h"

namespace rqcheck::detail {

// Deepest nesting of arrays and objects outside strings, counted over the raw text whether or
// not it is valid JSON; stops counting once over `limit`. parse_json refuses a text deeper than
// its limit with json_too_deep() before it parses anything.
std::size_t json_nesting_depth(std::string_view text, std::size_t limit);
ApiError json_too_deep(std::size_t limit);
// Any other malformed text (syntax, invalid UTF-8, a number out of double's range, empty).
ApiError json_invalid();

}  // namespace rqcheck::detail
