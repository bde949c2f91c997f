// A single-pass JSON scanner for untrusted request bodies: it accepts exactly the texts that
// parse_json accepts (nlohmann 3.11 behind the nesting pre-scan; json_internal.h) and refuses the
// others with the same error, without building a document and without exceptions. A body's reader
// walks the structure it expects, takes the few values it interprets and keeps the rest as source
// text (requests.cc reads add and batch bodies this way).
//
//   JsonScanner s(text, kMaxJsonDepth);
//   s.start();                                     // an optional BOM, whitespace
//   if (s.peek() != '[') ...                       // the first byte tells the kind
//   for (bool first = true; s.next_item(first);) s.value();   // after s.open()
//   if (s.failed() || !s.finish()) return s.error();           // same ApiError as parse_json
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "rqcheck/core/result.h"

namespace rqcheck::detail {

// The kinds nlohmann gives a parsed value (number_integer and number_unsigned are one kind).
enum class JsonKind : std::uint8_t { kNull, kBoolean, kInteger, kFloat, kString, kArray, kObject };

// One scanned value: its kind and where it is in the text.
struct ScannedValue {
  JsonKind kind = JsonKind::kNull;
  std::string_view text;        // the value's source text (a string with its quotes)
  bool escaped = false;         // a string with backslash escapes: decode_string() it
  bool has_whitespace = false;  // an array or object with whitespace between its tokens
  std::int64_t integer = 0;     // kInteger: the value, saturated to the int64 range
  // kString: the text between the quotes.
  std::string_view string_body() const { return text.substr(1, text.size() - 2); }
};

class JsonScanner {
 public:
  JsonScanner(std::string_view text, std::size_t max_depth) : text_(text), max_depth_(max_depth) {}

  // The document's start: a UTF-8 byte order mark (nlohmann skips one at byte 0), whitespace.
  void start();
  // Space, tab, LF and CR.
  void skip_ws() {
    const std::size_t from = pos_;
    while (pos_ < text_.size() && is_ws(text_[pos_])) ++pos_;
    if (pos_ != from) ++ws_runs_;
  }
  // The byte at the cursor, '\0' at the end.
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }

  // Any value at the cursor, validated to its end (nested values included).
  bool value();
  // The same, telling what it was.
  bool value(ScannedValue& out);
  // A string at the cursor (at its '"'); `body` is the text between the quotes.
  bool string(std::string_view& body, bool& escaped);

  // Arrays and objects: open() consumes the '[' or '{' at the cursor (one level deeper);
  // next_item / next_member then step through the contents, leaving the cursor at the next value,
  // until they return false: at the closing bracket (consumed) or on an error (failed()).
  bool open();
  bool next_item(bool& first);
  bool next_member(bool& first, std::string_view& key_body, bool& key_escaped);

  // After the top-level value: whitespace, then the end of the text. Like nlohmann, a NUL byte
  // there ends the document (the bytes after it are only counted by the nesting pre-scan).
  bool finish();

  bool failed() const { return failed_; }
  // Why the scan failed, as parse_json says it: nesting too deep, or not valid JSON.
  ApiError error() const;
  std::size_t pos() const { return pos_; }

  // Decodes the body of a valid string that has escapes (ScannedValue::escaped).
  static void decode_string(std::string_view body, std::string& out);
  // Appends valid JSON text without the whitespace between its tokens.
  static void append_minified(std::string& out, std::string_view json);

 private:
  static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
  bool fail() {
    failed_ = true;
    return false;
  }
  bool number(ScannedValue* out);
  bool literal(std::string_view word);
  void close() {
    --depth_;
    ++pos_;
  }

  std::string_view text_;
  std::size_t max_depth_;
  std::size_t pos_ = 0;
  std::size_t depth_ = 0;
  std::size_t ws_runs_ = 0;  // grows whenever whitespace is skipped (ScannedValue::has_whitespace)
  bool failed_ = false;
  bool too_deep_ = false;
};

}  // namespace rqcheck::detail
