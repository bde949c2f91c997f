// URL pieces: the base URL a client talks to, percent-encoding and query strings.
//
//   auto base = parse_base_url("https://example.com:8443/api");
//   // base->scheme == "https", host "example.com", port 8443, prefix "/api"
//   std::string q = build_query({{"clientKey", "a b"}, {"filter", "locked,pending"}});
//   // "clientKey=a%20b&filter=locked%2Cpending"
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rqcheck/core/percent.h"
#include "rqcheck/core/result.h"

namespace rqcheck::client {

struct BaseUrl {
  std::string scheme;  // "http" or "https"
  std::string host;    // without brackets for IPv6
  int port = 0;        // explicit or the scheme's default
  std::string prefix;  // path prefix without a trailing '/', "" for none

  // "scheme://host:port" (IPv6 hosts in brackets).
  std::string origin() const;
};

// Accepts http:// and https:// URLs with an optional port and path prefix; no query, fragment
// or user info. Errors are ApiError{0, "invalid-config", ...}.
Result<BaseUrl> parse_base_url(std::string_view url);

// Percent-encodes everything except RFC 3986 unreserved characters (A-Z a-z 0-9 - . _ ~).
using rqcheck::percent_encode;

// k=v pairs, both percent-encoded, joined with '&'.
std::string build_query(const std::vector<std::pair<std::string, std::string>>& params);

}  // namespace rqcheck::client
