#include "request_scan.h"

#include <array>
#include <clocale>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "json_internal.h"

namespace rqcheck::detail {

namespace {

// Bytes a string may hold as they are: printable ASCII other than '"' and '\\'.
constexpr std::array<bool, 256> kPlainTable = [] {
  std::array<bool, 256> t{};
  for (int c = 0x20; c < 0x80; ++c) t[c] = c != '"' && c != '\\';
  return t;
}();

inline bool plain(char c) { return kPlainTable[static_cast<unsigned char>(c)]; }

// The high bit of each of 8 bytes (little-endian: byte k at bits 8k..8k+7) that is not plain:
// below 0x20, '"', '\\' or 0x80 and above (the "has less" and "has zero" tricks). A borrow can
// flag a plain byte above a special one, never below: the lowest flag is the first special byte.
inline std::uint64_t special_bytes(std::uint64_t x) {
  constexpr std::uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  const std::uint64_t q = x ^ (kOnes * '"'), b = x ^ (kOnes * '\\');
  return (((x - kOnes * 0x20) & ~x) | ((q - kOnes) & ~q) | ((b - kOnes) & ~b) | x) & kHigh;
}

inline bool is_digit(char c) { return c >= '0' && c <= '9'; }

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The code unit of \uXXXX whose hex digits start at s[i], or -1.
long hex4(std::string_view s, std::size_t i) {
  if (i + 4 > s.size()) return -1;
  long cp = 0;
  for (std::size_t k = 0; k < 4; ++k) {
    int d = hex_digit(s[i + k]);
    if (d < 0) return -1;
    cp = cp * 16 + d;
  }
  return cp;
}

// Length of the well-formed UTF-8 sequence at s[i] (s[i] >= 0x80), or 0. The ranges are
// nlohmann's (and RFC 3629's): no overlong forms, no surrogates, nothing above U+10FFFF.
std::size_t utf8_length(std::string_view s, std::size_t i) {
  auto at = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0u;
  };
  auto in = [](unsigned c, unsigned lo, unsigned hi) { return c >= lo && c <= hi; };
  const unsigned c = at(0);
  if (in(c, 0xC2, 0xDF)) return in(at(1), 0x80, 0xBF) ? 2 : 0;
  unsigned lo = 0x80, hi = 0xBF;
  std::size_t n;
  if (in(c, 0xE0, 0xEF)) {
    n = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (in(c, 0xF0, 0xF4)) {
    n = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (!in(at(1), lo, hi)) return 0;
  for (std::size_t k = 2; k < n; ++k) {
    if (!in(at(k), 0x80, 0xBF)) return 0;
  }
  return n;
}

void append_utf8(std::string& out, unsigned long cp) {
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// nlohmann reads a float (or an integer too long for 64 bits) with strtod, in the current
// locale's decimal point, and refuses it when the result is not finite.
bool strtod_is_finite(std::string_view token) {
  std::string t(token);
  const char* point = std::localeconv()->decimal_point;
  if (point && *point && *point != '.') {
    for (char& c : t) {
      if (c == '.') c = *point;
    }
  }
  return std::isfinite(std::strtod(t.c_str(), nullptr));
}

}  // namespace

void JsonScanner::start() {
  if (text_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  skip_ws();
}

bool JsonScanner::value() {
  switch (peek()) {
    case '{': {
      if (!open()) return false;
      std::string_view key;
      bool escaped;
      for (bool first = true; next_member(first, key, escaped);) {
        if (!value()) return false;
      }
      return !failed_;
    }
    case '[': {
      if (!open()) return false;
      for (bool first = true; next_item(first);) {
        if (!value()) return false;
      }
      return !failed_;
    }
    case '"': {
      std::string_view body;
      bool escaped;
      return string(body, escaped);
    }
    case 't':
      return literal("true");
    case 'f':
      return literal("false");
    case 'n':
      return literal("null");
    default:
      return number(nullptr);
  }
}

bool JsonScanner::value(ScannedValue& out) {
  const std::size_t from = pos_, ws = ws_runs_;
  bool ok;
  out = ScannedValue{};
  switch (peek()) {
    case '{':
    case '[':
      out.kind = peek() == '{' ? JsonKind::kObject : JsonKind::kArray;
      ok = value();
      break;
    case '"': {
      out.kind = JsonKind::kString;
      std::string_view body;
      ok = string(body, out.escaped);
      break;
    }
    case 't':
    case 'f':
      out.kind = JsonKind::kBoolean;
      ok = value();
      break;
    case 'n':
      out.kind = JsonKind::kNull;
      ok = value();
      break;
    default:
      ok = number(&out);
  }
  out.text = text_.substr(from, pos_ - from);
  out.has_whitespace = ws_runs_ != ws;
  return ok;
}

bool JsonScanner::string(std::string_view& body, bool& escaped) {
  const char* s = text_.data();
  const std::size_t n = text_.size();
  const std::size_t start = pos_ + 1;
  std::size_t i = start;
  escaped = false;
  for (;;) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    while (i + 8 <= n) {
      std::uint64_t x;
      std::memcpy(&x, s + i, 8);
      if (const std::uint64_t special = special_bytes(x)) {
        i += static_cast<std::size_t>(__builtin_ctzll(special)) / 8;
        break;
      }
      i += 8;
    }
#endif
    while (i < n && plain(s[i])) ++i;
    if (i >= n) return fail();
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '"') break;
    if (c == '\\') {
      escaped = true;
      if (i + 1 >= n) return fail();
      switch (s[i + 1]) {
        case '"':
        case '\\':
        case '/':
        case 'b':
        case 'f':
        case 'n':
        case 'r':
        case 't':
          i += 2;
          continue;
        case 'u':
          break;
        default:
          return fail();
      }
      const long cp = hex4(text_, i + 2);
      if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) return fail();  // a lone low surrogate
      i += 6;
      if (cp >= 0xD800 && cp <= 0xDBFF) {  // a high surrogate needs its low half
        if (i + 1 >= n || s[i] != '\\' || s[i + 1] != 'u') return fail();
        const long low = hex4(text_, i + 2);
        if (low < 0xDC00 || low > 0xDFFF) return fail();
        i += 6;
      }
      continue;
    }
    if (c < 0x80) return fail();  // a control character
    const std::size_t len = utf8_length(text_, i);
    if (len == 0) return fail();
    i += len;
  }
  body = text_.substr(start, i - start);
  pos_ = i + 1;
  return true;
}

bool JsonScanner::number(ScannedValue* out) {
  const char* s = text_.data();
  const std::size_t n = text_.size(), start = pos_;
  std::size_t i = pos_;
  const bool negative = i < n && s[i] == '-';
  if (negative) ++i;
  if (i >= n || !is_digit(s[i])) return fail();
  const std::size_t int_start = i;
  std::uint64_t magnitude = 0;
  bool overflow = false;
  if (s[i] == '0') {
    ++i;
  } else {
    for (; i < n && is_digit(s[i]); ++i) {
      const unsigned d = static_cast<unsigned>(s[i] - '0');
      if (magnitude > (std::numeric_limits<std::uint64_t>::max() - d) / 10) {
        overflow = true;
      } else {
        magnitude = magnitude * 10 + d;
      }
    }
  }
  const auto int_digits = static_cast<std::int64_t>(i - int_start);
  bool is_float = false;
  if (i < n && s[i] == '.') {
    ++i;
    if (i >= n || !is_digit(s[i])) return fail();
    while (i < n && is_digit(s[i])) ++i;
    is_float = true;
  }
  std::int64_t exponent = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool exp_negative = false;
    if (i < n && (s[i] == '+' || s[i] == '-')) exp_negative = s[i++] == '-';
    if (i >= n || !is_digit(s[i])) return fail();
    constexpr std::int64_t kCap = 1000000000;  // past any double; keeps the sum below in range
    for (; i < n && is_digit(s[i]); ++i) exponent = std::min(exponent * 10 + (s[i] - '0'), kCap);
    if (exp_negative) exponent = -exponent;
    is_float = true;
  }
  // nlohmann keeps an integer in 64 bits when strtoll (negative) or strtoull fits it, and reads
  // anything else with strtod.
  constexpr std::uint64_t kInt64MinMagnitude = std::uint64_t{1} << 63;
  const bool integer = !is_float && !overflow && (!negative || magnitude <= kInt64MinMagnitude);
  // The value is below 10^(int_digits + exponent): up to 10^300 it is surely finite; past that
  // strtod decides, as it does for nlohmann.
  if (!integer && int_digits + exponent > 300 &&
      !strtod_is_finite(text_.substr(start, i - start))) {
    return fail();
  }
  if (out) {
    out->kind = integer ? JsonKind::kInteger : JsonKind::kFloat;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (!integer) {
      out->integer = 0;
    } else if (negative) {
      out->integer = magnitude == kInt64MinMagnitude ? std::numeric_limits<std::int64_t>::min()
                                                     : -static_cast<std::int64_t>(magnitude);
    } else {
      out->integer = static_cast<std::int64_t>(std::min(magnitude, kMax));
    }
  }
  pos_ = i;
  return true;
}

bool JsonScanner::literal(std::string_view word) {
  if (text_.substr(pos_, word.size()) != word) return fail();
  pos_ += word.size();
  return true;
}

bool JsonScanner::open() {
  if (++depth_ > max_depth_) {
    too_deep_ = true;
    return fail();
  }
  ++pos_;
  return true;
}

// A closing bracket ends the container both right after the opening one and after a value; after
// a comma the caller scans a value, which a closing bracket is not.
bool JsonScanner::next_item(bool& first) {
  skip_ws();
  if (peek() == ']') {
    close();
    return false;
  }
  if (first) {
    first = false;
    return true;
  }
  if (peek() != ',') return fail();
  ++pos_;
  skip_ws();
  return true;
}

bool JsonScanner::next_member(bool& first, std::string_view& key_body, bool& key_escaped) {
  skip_ws();
  if (peek() == '}') {
    close();
    return false;
  }
  if (first) {
    first = false;
  } else {
    if (peek() != ',') return fail();
    ++pos_;
    skip_ws();
  }
  if (peek() != '"') return fail();
  if (!string(key_body, key_escaped)) return false;
  skip_ws();
  if (peek() != ':') return fail();
  ++pos_;
  skip_ws();
  return true;
}

bool JsonScanner::finish() {
  if (failed_) return false;
  skip_ws();
  if (pos_ == text_.size()) return true;
  // Anything after the value is refused, a NUL byte too (parse_json refuses it: nlohmann read
  // '\0' as the end of input and accepted '{}\0junk'; issue 17).
  return fail();
}

ApiError JsonScanner::error() const {
  if (too_deep_ || json_nesting_depth(text_, max_depth_) > max_depth_) {
    return json_too_deep(max_depth_);
  }
  return json_invalid();
}

void JsonScanner::decode_string(std::string_view body, std::string& out) {
  out.clear();
  out.reserve(body.size());
  std::size_t i = 0;
  while (i < body.size()) {
    const std::size_t esc = body.find('\\', i);
    if (esc == std::string_view::npos) {
      out.append(body.data() + i, body.size() - i);
      break;
    }
    out.append(body.data() + i, esc - i);
    const char e = body[esc + 1];
    i = esc + 2;
    switch (e) {
      case 'b':
        out.push_back('\b');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 't':
        out.push_back('\t');
        break;
      case 'u': {
        unsigned long cp = static_cast<unsigned long>(hex4(body, i));
        i += 4;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          const auto low = static_cast<unsigned long>(hex4(body, i + 2));
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
          i += 6;
        }
        append_utf8(out, cp);
        break;
      }
      default:  // '"', '\\', '/'
        out.push_back(e);
    }
  }
}

void JsonScanner::append_minified(std::string& out, std::string_view json) {
  std::size_t i = 0;
  const std::size_t n = json.size();
  while (i < n) {
    const char c = json[i];
    if (is_ws(c)) {
      ++i;
      continue;
    }
    if (c != '"') {
      std::size_t j = i + 1;
      while (j < n && !is_ws(json[j]) && json[j] != '"') ++j;
      out.append(json.data() + i, j - i);
      i = j;
      continue;
    }
    std::size_t j = i + 1;  // a string: copied as it is, up to its closing quote
    while (json[j] != '"') j += json[j] == '\\' ? 2 : 1;
    out.append(json.data() + i, j + 1 - i);
    i = j + 1;
  }
}

}  // namespace rqcheck::detail
