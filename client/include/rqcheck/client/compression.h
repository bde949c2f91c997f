// Request-body compression as the official clients do it (gzip, deflate, br), exposed so checks
// can build compressed bodies by hand (e.g. a gzip body labelled br).
//
//   auto gz = compress(body, BodyEncoding::kGzip);
//   if (!gz) return gz.error();
//   auto back = decompress(*gz, BodyEncoding::kGzip);   // == body
#pragma once

#include <string>
#include <string_view>

#include "rqcheck/client/exchange.h"
#include "rqcheck/core/result.h"

namespace rqcheck::client {

// kNone returns `data` unchanged. Errors are ApiError{0, "compression-error", ...}.
Result<std::string> compress(std::string_view data, BodyEncoding encoding);
// The inverse, for tests and evidence; output bounded by `max_bytes`.
Result<std::string> decompress(std::string_view data, BodyEncoding encoding,
                               std::size_t max_bytes = 64 * 1024 * 1024);

}  // namespace rqcheck::client
