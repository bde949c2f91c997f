#include "rqcheck/client/url.h"

#include <cctype>

#include "rqcheck/client/api.h"

namespace rqcheck::client {

namespace {
ApiError bad(std::string message) {
  return ApiError{0, std::string(kInvalidConfig), std::move(message)};
}

}  // namespace

std::string BaseUrl::origin() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return scheme + "://" + h + ":" + std::to_string(port);
}

Result<BaseUrl> parse_base_url(std::string_view url) {
  BaseUrl b;
  auto sep = url.find("://");
  if (sep == std::string_view::npos)
    return bad("base URL has no scheme: '" + std::string(url) + "'");
  for (char c : url.substr(0, sep)) b.scheme += char(std::tolower(static_cast<unsigned char>(c)));
  if (b.scheme != "http" && b.scheme != "https")
    return bad("base URL scheme must be http or https, not '" + b.scheme + "'");
  std::string_view rest = url.substr(sep + 3);
  if (rest.find_first_of("?#") != std::string_view::npos)
    return bad("base URL must not have a query or fragment");
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? std::string_view{} : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) return bad("base URL must not hold user info");
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return bad("base URL has an unclosed IPv6 literal");
    b.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("base URL has junk after the IPv6 literal");
      port_text = after.substr(1);
    }
  } else {
    auto colon = authority.rfind(':');
    b.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (b.host.empty()) return bad("base URL has no host");
  if (port_text.empty()) {
    b.port = b.scheme == "https" ? 443 : 80;
  } else {
    long p = 0;
    for (char c : port_text) {
      if (!std::isdigit(static_cast<unsigned char>(c)) || p > 65535)
        return bad("base URL has a bad port");
      p = p * 10 + (c - '0');
    }
    if (p < 1 || p > 65535) return bad("base URL has a bad port");
    b.port = int(p);
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  b.prefix = std::string(path);
  return b;
}

std::string build_query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [k, v] : params) {
    if (!out.empty()) out += '&';
    out += percent_encode(k);
    out += '=';
    out += percent_encode(v);
  }
  return out;
}

}  // namespace rqcheck::client
