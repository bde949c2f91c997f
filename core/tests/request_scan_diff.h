// The differential check of the request-body scanner: each body function of requests.h against
// its DOM reference (requests_internal.h) on one text. Shared by request_scan_test.cc and
// fuzz/targets/request_scan.cc.
//
//   std::string d = scan_vs_dom(body);   // "" when both read `body` the same way
//   ASSERT_EQ(d, "") << printable(body);
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "requests_internal.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/requests.h"

namespace rqcheck::scan_diff {

inline std::string show(const ApiError& e) {
  return std::to_string(e.status) + " " + e.type + ": " + e.message;
}

// `s` with control bytes, quotes and non-ASCII bytes escaped, cut at `max` bytes.
inline std::string printable(std::string_view s, std::size_t max = 400) {
  std::string out;
  for (std::size_t i = 0; i < s.size() && i < max; ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > max) out += "...(" + std::to_string(s.size()) + " bytes)";
  return out;
}

// Whether `json` has whitespace outside its strings.
inline bool has_whitespace_between_tokens(std::string_view json) {
  bool in_string = false;
  for (std::size_t i = 0; i < json.size(); ++i) {
    const char c = json[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      return true;
    }
  }
  return false;
}

// The scanner's `extra` (`got`) must hold the same members as the reference's (`want`): both
// parse as the members of one object, to equal values, and `got` is compact.
inline std::string diff_extra(const std::string& got, const std::string& want) {
  if (got.empty() != want.empty()) return "extra \"" + got + "\" vs \"" + want + "\"";
  if (got.empty()) return "";
  if (got[0] != ',' || has_whitespace_between_tokens(got)) return "extra not compact: " + got;
  auto a = Json::parse("{" + got.substr(1) + "}", nullptr, false);
  auto b = Json::parse("{" + want.substr(1) + "}", nullptr, false);
  if (a.is_discarded()) return "extra is not JSON members: " + printable(got);
  if (a != b) return "extra " + printable(got) + " vs " + printable(want);
  return "";
}

inline std::string diff_draft(const RequestDraft& a, const RequestDraft& b) {
  if (a.unique_key != b.unique_key) return "uniqueKey " + printable(a.unique_key);
  if (a.url != b.url) return "url " + printable(a.url);
  if (a.id != b.id) return "id " + printable(a.id.value_or("(none)"));
  if (a.method != b.method) return "method " + std::to_string(a.method);
  if (a.retry_count != b.retry_count) return "retryCount " + std::to_string(a.retry_count);
  if (a.handled_at != b.handled_at) return "handledAt";
  return diff_extra(a.extra, b.extra);
}

inline std::string diff_key(const RequestKey& a, const RequestKey& b) {
  if (a.id != b.id) return "id " + printable(a.id.value_or("(none)"));
  if (a.unique_key != b.unique_key)
    return "uniqueKey " + printable(a.unique_key.value_or("(none)"));
  return "";
}

inline std::string diff_item(const RequestDraft& a, const RequestDraft& b) {
  return diff_draft(a, b);
}
inline std::string diff_item(const RequestKey& a, const RequestKey& b) { return diff_key(a, b); }
template <typename T>
std::string diff_item(const std::vector<T>& a, const std::vector<T>& b) {
  if (a.size() != b.size()) {
    return std::to_string(a.size()) + " items vs " + std::to_string(b.size());
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    std::string d = diff_item(a[i], b[i]);
    if (!d.empty()) return "item " + std::to_string(i) + ": " + d;
  }
  return "";
}

template <typename T>
std::string diff_result(const Result<T>& got, const Violations& got_v, const Result<T>& want,
                        const Violations& want_v) {
  if (got.ok() != want.ok()) {
    return std::string("scanner ") +
           (got.ok() ? "accepts" : "refuses (" + show(got.error()) + ")") + ", DOM " +
           (want.ok() ? "accepts" : "refuses (" + show(want.error()) + ")");
  }
  if (!got.ok() && !(got.error() == want.error())) {
    return "error " + show(got.error()) + " vs " + show(want.error());
  }
  if (got_v.size() != want_v.size()) {
    std::string d =
        std::to_string(got_v.size()) + " violations vs " + std::to_string(want_v.size()) + ":";
    for (const Violation& x : got_v)
      d += "\n  scanner " + std::string(x.rule) + " " + show(x.error);
    for (const Violation& x : want_v)
      d += "\n  DOM     " + std::string(x.rule) + " " + show(x.error);
    return d;
  }
  for (std::size_t i = 0; i < got_v.size(); ++i) {
    const Violation &a = got_v[i], &b = want_v[i];
    if (a.rule != b.rule || !(a.error == b.error) || a.fatal != b.fatal) {
      return "violation " + std::to_string(i) + ": " + std::string(a.rule) + " " + show(a.error) +
             " vs " + std::string(b.rule) + " " + show(b.error);
    }
  }
  return got.ok() ? diff_item(*got, *want) : "";
}

// The three body functions on `text`; "" when each agrees with its reference.
inline std::string scan_vs_dom(std::string_view text) {
  {
    Violations a, b;
    auto got = parse_request_body(text, a);
    auto want = detail::parse_request_body_dom(text, b);
    if (std::string d = diff_result(got, a, want, b); !d.empty()) return "add/PUT body: " + d;
  }
  {
    Violations a, b;
    auto got = parse_batch_add_body(text, a);
    auto want = detail::parse_batch_add_body_dom(text, b);
    if (std::string d = diff_result(got, a, want, b); !d.empty()) return "batch add body: " + d;
  }
  {
    Violations a, b;
    auto got = parse_batch_delete_body(text, a);
    auto want = detail::parse_batch_delete_body_dom(text, b);
    if (std::string d = diff_result(got, a, want, b); !d.empty()) return "batch delete body: " + d;
  }
  return "";
}

}  // namespace rqcheck::scan_diff
