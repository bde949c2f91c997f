// What the fuzz targets share: an invariant check that stops the run with a message (libFuzzer
// then saves the input as a crash), and a strict RFC 8259 validator used as the JSON oracle.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace rqcheck::fuzz {

[[noreturn]] inline void fail(const char* what, std::string_view detail = {}) {
  std::string shown;
  for (char c : detail.substr(0, 400)) {
    auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      shown += c;
    } else {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02x", u);
      shown += hex;
    }
  }
  std::fprintf(stderr, "fuzz invariant broken: %s\n  %s\n", what, shown.c_str());
  std::abort();
}

// RQ_FUZZ_CHECK(cond): abort when cond is false. RQ_FUZZ_CHECK_SHOW(cond, detail): the same,
// printing `detail` (evaluated only then).
#define RQ_FUZZ_CHECK(cond)                    \
  do {                                         \
    if (!(cond)) ::rqcheck::fuzz::fail(#cond); \
  } while (0)
#define RQ_FUZZ_CHECK_SHOW(cond, detail)                 \
  do {                                                   \
    if (!(cond)) ::rqcheck::fuzz::fail(#cond, (detail)); \
  } while (0)

// Length of the well-formed UTF-8 sequence of `s` at `at` (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF), 0 when ill-formed.
inline std::size_t utf8_length(std::string_view s, std::size_t at) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[at + k]); };
  unsigned char c = b(0);
  if (c < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2;
    cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3;
    cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4;
    cp = c & 0x07;
  } else {
    return 0;
  }
  if (at + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(k) & 0x3F);
  }
  if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
      cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return n;
}

inline bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    std::size_t n = utf8_length(s, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

// Strict JSON (RFC 8259): one value, surrounded by optional whitespace, UTF-8 throughout
// (surrogates and overlong forms refused), an optional leading byte order mark (8.1 lets a
// parser ignore it). `depth` is the deepest nesting of arrays and objects seen.
class StrictJson {
 public:
  struct Verdict {
    bool valid = false;
    std::size_t depth = 0;     // deepest nesting of arrays and objects
    bool huge_number = false;  // a number a double cannot hold
    bool too_deep = false;     // nested deeper than the validator follows (no verdict)
  };
  static Verdict check(std::string_view text) {
    StrictJson p(text);
    if (p.s_.size() >= 3 && p.s_.substr(0, 3) == "\xEF\xBB\xBF") p.i_ = 3;
    p.ws();
    Verdict v;
    if (!p.value(0)) {
      v.too_deep = p.too_deep_;
      return v;
    }
    p.ws();
    v.valid = p.i_ == p.s_.size();
    v.depth = p.max_depth_;
    v.huge_number = p.huge_number_;
    return v;
  }

 private:
  explicit StrictJson(std::string_view s) : s_(s) {}

  bool eof() const { return i_ >= s_.size(); }
  unsigned char peek() const { return eof() ? 0 : static_cast<unsigned char>(s_[i_]); }
  void ws() {
    while (!eof() && (peek() == ' ' || peek() == '\t' || peek() == '\n' || peek() == '\r')) ++i_;
  }
  bool lit(std::string_view w) {
    if (s_.substr(i_, w.size()) != w) return false;
    i_ += w.size();
    return true;
  }
  bool value(std::size_t depth) {
    if (eof()) return false;
    switch (peek()) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        return lit("true");
      case 'f':
        return lit("false");
      case 'n':
        return lit("null");
      default:
        return number();
    }
  }
  bool object(std::size_t depth) {
    if (depth > max_depth_) max_depth_ = depth;
    if (depth > kMaxDepth) return too_deep_ = true, false;
    ++i_;
    ws();
    if (peek() == '}') return ++i_, true;
    for (;;) {
      ws();
      if (peek() != '"' || !string()) return false;
      ws();
      if (peek() != ':') return false;
      ++i_;
      ws();
      if (!value(depth)) return false;
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() == '}') return ++i_, true;
      return false;
    }
  }
  bool array(std::size_t depth) {
    if (depth > max_depth_) max_depth_ = depth;
    if (depth > kMaxDepth) return too_deep_ = true, false;
    ++i_;
    ws();
    if (peek() == ']') return ++i_, true;
    for (;;) {
      ws();
      if (!value(depth)) return false;
      ws();
      if (peek() == ',') {
        ++i_;
        continue;
      }
      if (peek() == ']') return ++i_, true;
      return false;
    }
  }
  static bool hex(unsigned char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
  }
  unsigned hex4(std::size_t at) const {
    unsigned v = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      unsigned char c = static_cast<unsigned char>(s_[at + k]);
      v = v * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
  }
  bool string() {
    ++i_;  // the quote
    for (;;) {
      if (eof()) return false;
      unsigned char c = peek();
      if (c == '"') return ++i_, true;
      if (c < 0x20) return false;
      if (c == '\\') {
        ++i_;
        if (eof()) return false;
        unsigned char e = peek();
        if (e == 'u') {
          if (s_.size() - i_ < 5) return false;
          for (std::size_t k = 1; k <= 4; ++k) {
            if (!hex(static_cast<unsigned char>(s_[i_ + k]))) return false;
          }
          unsigned u = hex4(i_ + 1);
          i_ += 5;
          // A lone or reversed surrogate escape is not a Unicode scalar value: UTF-8 cannot hold
          // it, so the text cannot be decoded to valid UTF-8.
          if (u >= 0xDC00 && u <= 0xDFFF) return false;
          if (u >= 0xD800 && u <= 0xDBFF) {
            if (s_.size() - i_ < 6 || s_[i_] != '\\' || s_[i_ + 1] != 'u') return false;
            for (std::size_t k = 2; k <= 5; ++k) {
              if (!hex(static_cast<unsigned char>(s_[i_ + k]))) return false;
            }
            unsigned lo = hex4(i_ + 2);
            if (lo < 0xDC00 || lo > 0xDFFF) return false;
            i_ += 6;
          }
          continue;
        }
        if (e == '"' || e == '\\' || e == '/' || e == 'b' || e == 'f' || e == 'n' || e == 'r' ||
            e == 't') {
          ++i_;
          continue;
        }
        return false;
      }
      if (c < 0x80) {
        ++i_;
        continue;
      }
      std::size_t n = utf8(i_);
      if (n == 0) return false;
      i_ += n;
    }
  }
  std::size_t utf8(std::size_t at) const { return utf8_length(s_, at); }
  bool number() {
    std::size_t start = i_;
    if (peek() == '-') ++i_;
    if (peek() == '0') {
      ++i_;
    } else if (peek() >= '1' && peek() <= '9') {
      while (peek() >= '0' && peek() <= '9') ++i_;
    } else {
      return false;
    }
    if (peek() == '.') {
      ++i_;
      if (!(peek() >= '0' && peek() <= '9')) return false;
      while (peek() >= '0' && peek() <= '9') ++i_;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!(peek() >= '0' && peek() <= '9')) return false;
      while (peek() >= '0' && peek() <= '9') ++i_;
    }
    // A number beyond the range of a double is valid text but over an implementation limit
    // (RFC 8259 section 6 allows one).
    std::string token(s_.substr(start, i_ - start));
    if (std::isinf(std::strtod(token.c_str(), nullptr))) huge_number_ = true;
    return true;
  }

  std::string_view s_;
  std::size_t i_ = 0;
  std::size_t max_depth_ = 0;
  bool huge_number_ = false;
  bool too_deep_ = false;
  static constexpr std::size_t kMaxDepth = 2000;
};

}  // namespace rqcheck::fuzz
