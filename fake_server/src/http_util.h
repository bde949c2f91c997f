// Parsing of the untrusted parts of an HTTP call (query parameters, headers) into typed values,
// without exceptions. Private to the fake server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "rqcheck/core/errors.h"
#include "rqcheck/core/result.h"

namespace rqcheck::fake {

// Decision 18: true, false, 1 and 0; anything else is 400 invalid-parameter.
inline Result<bool> parse_bool_param(std::string_view name, std::string_view v) {
  if (v == "true" || v == "1") return true;
  if (v == "false" || v == "0") return false;
  return errors::invalid_parameter("Parameter \"" + std::string(name) +
                                   "\" must be true, false, 1 or 0 (got \"" + std::string(v) +
                                   "\").");
}

// A number in decimal notation ("10", "10.0", "2.5"); bounded, never throws.
inline std::optional<double> parse_number(std::string_view v) {
  if (v.empty() || v.size() > 32) return std::nullopt;
  double whole = 0, frac = 0, scale = 1;
  std::size_t i = 0;
  bool neg = false;
  if (v[0] == '-' || v[0] == '+') {
    neg = v[0] == '-';
    ++i;
  }
  bool digits = false, dot = false;
  for (; i < v.size(); ++i) {
    char c = v[i];
    if (c >= '0' && c <= '9') {
      digits = true;
      if (dot) {
        scale /= 10;
        frac += (c - '0') * scale;
      } else {
        whole = whole * 10 + (c - '0');
      }
    } else if (c == '.' && !dot) {
      dot = true;
    } else {
      return std::nullopt;
    }
  }
  if (!digits) return std::nullopt;
  double r = whole + frac;
  return neg ? -r : r;
}

inline Result<std::int64_t> parse_int_param(std::string_view name, std::string_view v) {
  auto n = parse_number(v);
  if (!n || *n != static_cast<double>(static_cast<std::int64_t>(*n)) || *n > 9e15 || *n < -9e15) {
    return errors::invalid_parameter("Parameter \"" + std::string(name) +
                                     "\" must be an integer (got \"" + std::string(v) + "\").");
  }
  return static_cast<std::int64_t>(*n);
}

inline std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// application/json, or any +json type, parameters (charset) ignored.
inline bool is_json_content_type(std::string_view ct) {
  std::string t = lower(ct.substr(0, ct.find(';')));
  while (!t.empty() && t.back() == ' ') t.pop_back();
  return t == "application/json" || (t.size() > 5 && t.compare(t.size() - 5, 5, "+json") == 0);
}

}  // namespace rqcheck::fake
