// Percent-encoding (RFC 3986) for path segments and query strings, shared by the client's URL
// building and the fake's routing.
//
//   percent_encode("a b/c") == "a%20b%2Fc"
//   percent_decode("a%20b") == "a b"
#pragma once

#include <string>
#include <string_view>

namespace rqcheck {

// Encodes everything except the unreserved characters A-Z a-z 0-9 - . _ ~.
std::string percent_encode(std::string_view s);
void append_percent_encoded(std::string& out, std::string_view s);
// Decodes %XX sequences; a '%' that does not start one is kept as it is. Never fails.
std::string percent_decode(std::string_view s);

}  // namespace rqcheck
