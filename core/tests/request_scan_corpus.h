// Bodies for the differential check of the request-body scanner (request_scan_diff.h): hand-made
// cases for each branch of the scanner and of nlohmann's grammar, and a seeded generator of
// request-shaped JSON with odd but valid forms (escapes, numbers, whitespace, duplicate keys,
// deep nesting) and of its mutations (truncations, byte flips and inserts, bad UTF-8, NUL bytes).
//
//   for (const std::string& body : hand_made_bodies()) check(body);
//   BodyGenerator gen(seed);
//   for (int i = 0; i < 1000; ++i) check(gen.body());
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace rqcheck::scan_corpus {

using namespace std::string_literals;

// One case per branch: each is read by all three body functions.
inline std::vector<std::string> hand_made_bodies() {
  std::vector<std::string> b = {
      // Requests as clients send them.
      R"({"uniqueKey":"http://example.com","url":"http://example.com"})",
      R"([{"uniqueKey":"a","url":"http://a"},{"uniqueKey":"b","url":"http://b"}])",
      R"({"uniqueKey":"a","url":"u","method":"POST","retryCount":3,"handledAt":"2023-11-14T22:16:20.000Z","userData":{"label":"DETAIL","depth":1},"headers":{"x":"y"},"payload":"p","noRetry":true,"errorMessages":["e"],"loadedUrl":"l"})",
      R"({"uniqueKey":"a","url":"u","id":"V4jh8B6yvWqgH3B","lockExpiresAt":"x","lockByClient":"c"})",
      R"({"uniqueKey":"a","url":"u","id":null,"handledAt":null,"userData":null,"payload":{"k":1}})",
      // Whitespace everywhere, inside extras too (they are minified).
      " \t\r\n{ \"uniqueKey\" : \"a\" ,\n\"url\":\"u\", \"userData\" : { \"a\" : [ 1 , 2 , { } , [ "
      "] ] "
      ", \"s\" : \" x \" } } \n",
      "[ ]",
      "[]",
      "{}",
      " [ { } ] ",
      "[[]]",
      "[1]",
      "[\"x\"]",
      "[null]",
      // Wrong types for every interpreted field.
      R"({"uniqueKey":1,"url":2,"id":3,"method":4,"retryCount":"5","handledAt":6})",
      R"({"uniqueKey":null,"url":false,"id":[],"method":"get","retryCount":-1,"handledAt":"2023-11-14"})",
      R"({"uniqueKey":"a","url":"u","userData":1,"headers":[],"noRetry":"x","errorMessages":{},"loadedUrl":2,"payload":3})",
      R"({"url":"u"})",
      R"({"uniqueKey":"a"})",
      R"({"id":"x"})",
      // retryCount: nlohmann's integers and floats.
      R"({"uniqueKey":"a","url":"u","retryCount":0})",
      R"({"uniqueKey":"a","url":"u","retryCount":-0})",
      R"({"uniqueKey":"a","url":"u","retryCount":1.0})",
      R"({"uniqueKey":"a","url":"u","retryCount":1e2})",
      R"({"uniqueKey":"a","url":"u","retryCount":1E+2})",
      R"({"uniqueKey":"a","url":"u","retryCount":-0.0})",
      R"({"uniqueKey":"a","url":"u","retryCount":2147483647})",
      R"({"uniqueKey":"a","url":"u","retryCount":2147483648})",
      R"({"uniqueKey":"a","url":"u","retryCount":9223372036854775807})",
      R"({"uniqueKey":"a","url":"u","retryCount":9223372036854775808})",
      R"({"uniqueKey":"a","url":"u","retryCount":18446744073709551615})",
      R"({"uniqueKey":"a","url":"u","retryCount":18446744073709551616})",
      R"({"uniqueKey":"a","url":"u","retryCount":-9223372036854775808})",
      R"({"uniqueKey":"a","url":"u","retryCount":-9223372036854775809})",
      R"({"uniqueKey":"a","url":"u","retryCount":123456789012345678901234567890})",
      // Numbers anywhere: finite or not (nlohmann refuses a float that overflows).
      R"({"uniqueKey":"a","url":"u","x":1e308})",
      R"({"uniqueKey":"a","url":"u","x":1e309})",
      R"({"uniqueKey":"a","url":"u","x":-1e400})",
      R"({"uniqueKey":"a","url":"u","x":1e-400})",
      R"({"uniqueKey":"a","url":"u","x":0e99999999999999999999})",
      R"({"uniqueKey":"a","url":"u","x":1.7976931348623157e308})",
      R"({"uniqueKey":"a","url":"u","x":1.7976931348623159e308})",
      R"({"uniqueKey":"a","url":"u","x":0.00000000000000000000001e330})",
      R"({"uniqueKey":"a","url":"u","x":[1e300,2e300,1e-300,-1.5E-3,0.5]})",
      "[" + std::string(309, '9') + "]",
      "[" + std::string(308, '9') + "]",
      "[" + std::string(400, '9') + "e-100]",
      "[" + std::string(400, '9') + ".5]",
      "[0." + std::string(400, '0') + "1e700]",
      // Malformed numbers.
      "[01]",
      "[-]",
      "[1.]",
      "[.5]",
      "[+1]",
      "[1e]",
      "[1e+]",
      "[-01]",
      "[1.e2]",
      "[0x10]",
      "[1 2]",
      "[--1]",
      "[1.5.5]",
      "[Infinity]",
      "[NaN]",
      "[-a]",
      // Literals.
      "[true,false,null]",
      "[tru]",
      "[nul]",
      "[falsy]",
      "[True]",
      "[nulll]",
      // Strings: escapes, \u, surrogates, control bytes, UTF-8.
      R"({"uniqueKey":"\"\\\/\b\f\n\r\t","url":"\u0041\u00e9\u20AC\uD83D\uDE00"})",
      R"({"uniqueKey":"a\u0000b","url":"u"})",
      R"({"uniqueKey":"\uD800","url":"u"})",
      R"({"uniqueKey":"\uDC00","url":"u"})",
      R"({"uniqueKey":"\uD800\u0041","url":"u"})",
      R"({"uniqueKey":"\uD800x","url":"u"})",
      R"({"uniqueKey":"\uDBFF\uDFFF","url":"u"})",
      R"({"uniqueKey":"\uD800\uDBFF","url":"u"})",
      R"({"uniqueKey":"\u12","url":"u"})",
      R"({"uniqueKey":"\u12G4","url":"u"})",
      R"({"uniqueKey":"\x","url":"u"})",
      R"({"uniqueKey":"\'","url":"u"})",
      "{\"uniqueKey\":\"a\x01\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"a\x1f\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"a\x7f\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"a\tb\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xc3\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xc0\x80\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xc1\xbf\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xe0\x9f\xbf\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xed\xa0\x80\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xed\x9f\xbf\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xef\xbf\xbf\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xf0\x8f\xbf\xbf\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xf4\x8f\xbf\xbf\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xf4\x90\x80\x80\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xf5\x80\x80\x80\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xff\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\x80\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"\xe2\x82\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"a\",\"url\":\"u\",\"userData\":{\"k\":\"\xff\"}}",
      "{\"uniqueKey\":\"a\",\"url\":\"u\",\"userData\":{\"\xc3\":1}}",
      "{\"uniqueKey\":\"abcdefghijklmnop\xc3\xa9qrstuvwxyz0123456789\",\"url\":\"u\"}",
      "{\"uniqueKey\":\"abcdefgh\"",
      "{\"uniqueKey\":\"abcdefghijklmnopq\\",
      // Keys: escaped, duplicate (the last wins), not strings.
      R"({"\u0075niqueKey":"a","url":"u"})",
      R"({"uniqueKey":"a","url":"u","uniqueKey":"b"})",
      R"({"uniqueKey":1,"url":"u","uniqueKey":"b"})",
      R"({"uniqueKey":"b","url":"u","uniqueKey":1})",
      R"({"uniqueKey":"a","url":"u","x":1,"x":2,"y":{"a":1,"a":2}})",
      R"({"uniqueKey":"a","url":"u","userData":1,"userData":{}})",
      R"({"b":1,"a":2,"B":3,"":4,"uniqueKey":"a","url":"u","\u00e9":5,"e":6,"\u0000":7})",
      R"({"uniqueKey":"a","url":"u","zz":1,"aa":2,"mm":[3],"lockExpiresAt":null})",
      R"({1:2})",
      R"({"a" 1})",
      R"({"a":})",
      R"({"a":1,})",
      R"({,})",
      R"({"a":1 "b":2})",
      R"({"a"::1})",
      R"({'a':1})",
      R"({a:1})",
      // Arrays.
      "[1,]",
      "[,1]",
      "[1,,2]",
      "[",
      "]",
      "[}",
      "{]",
      "[1}",
      "{\"a\":1]",
      // Batches: sizes, duplicates, derived ids, items that are not objects.
      R"([{"uniqueKey":"a","url":"u"},{"uniqueKey":"a","url":"v"}])",
      R"([{"uniqueKey":"a","url":"u","id":"wrong"}])",
      R"([{"uniqueKey":"http://example.com","url":"u","id":"8OamqXBCpPHxyH9"}])",
      R"([1,"x",null,[],{"uniqueKey":"a","url":"u"}])",
      R"([{"id":"8OamqXBCpPHxyH9"},{"uniqueKey":"x"},{"id":"a","uniqueKey":"b"},{"id":1},{"uniqueKey":[]},{},{"id":null,"uniqueKey":null}])",
      R"([{"id":"8OamqXBCpPHxyH9","uniqueKey":"http://example.com"}])",
      R"([{"id":1,"uniqueKey":2}])",
      R"([{"\u0069d":"abc","id":"def"}])",
      // Leading and trailing bytes: BOM, NUL (nlohmann stops at a NUL after the value).
      "\xEF\xBB\xBF[1]",
      "\xEF\xBB\xBF{\"uniqueKey\":\"a\",\"url\":\"u\"}",
      " \xEF\xBB\xBF[1]",
      "\xEF\xBB[1]",
      "\xEF\xBB\xBF",
      "\xEF\xBB\xBF\xEF\xBB\xBF[1]",
      "\xEF[1]",
      "[1]\0garbage"s,
      "[1] \0 \xff{"s,
      "1\0x"s,
      "\0"s,
      "[1,\0]"s,
      "\0[1]"s,
      "{\"uniqueKey\":\"a\",\"url\":\"u\"}\0"s,
      "{\"uniqueKey\":\"a\0\",\"url\":\"u\"}"s,
      "[1] [2]",
      "[1]x",
      "[1]]",
      "{} {}",
      "1",
      "\"s\"",
      "null",
      "true",
      "-5",
      "  ",
      "\t",
      "\f[1]",
      "\v[1]",
      "[1]\f",
      "[1]\xff",
      // Nesting at the limit (128) and past it, also where the pre-scan sees it and nlohmann
      // does not (inside a string, after a NUL, in invalid text).
      std::string(128, '[') + std::string(128, ']'),
      std::string(129, '[') + std::string(129, ']'),
      "[{\"uniqueKey\":\"a\",\"url\":\"u\",\"userData\":{\"a\":" + std::string(125, '[') +
          std::string(125, ']') + "}}]",
      "[{\"uniqueKey\":\"a\",\"url\":\"u\",\"userData\":{\"a\":" + std::string(126, '[') +
          std::string(126, ']') + "}}]",
      "[\"" + std::string(200, '[') + "\"]",
      "[1]\0"s + std::string(129, '['),
      "[1]\0"s + std::string(128, '['),
      "[1] x" + std::string(129, '['),
      "[\"\\\"" + std::string(129, '[') + "\"]",
      std::string(129, '[') + "\"",
      "[\"\xff\"," + std::string(129, '[') + "]",
      std::string(100000, '['),
  };
  // 1000 items are examined, the rest only parsed; a bad item past 1000 adds no finding.
  auto many = [](int n, int bad_at) {
    std::string s = "[";
    for (int i = 0; i < n; ++i) {
      if (i) s += ',';
      s += i == bad_at ? "{\"url\":1}"
                       : "{\"uniqueKey\":\"k" + std::to_string(i) + "\",\"url\":\"u\"}";
    }
    return s + "]";
  };
  const std::pair<int, int> kSizes[] = {{25, -1},     {26, -1},     {999, 998}, {1000, 999},
                                        {1001, 1000}, {1500, 1200}, {1200, 5}};
  for (auto [n, bad] : kSizes) b.push_back(many(n, bad));
  // Wide objects: the reader indexes members past 16; duplicates across the index's growth.
  auto wide = [](int n, int mod, bool escaped) {
    std::string s = "{\"uniqueKey\":\"a\",\"url\":\"u\"";
    for (int i = 0; i < n; ++i) {
      const std::string k = std::to_string(i % mod);
      s += ",\"" + (escaped && i % 3 == 0 ? "\\u006b" : std::string("k")) + k +
           "\":" + std::to_string(i);
    }
    return s + ",\"uniqueKey\":\"b\"}";
  };
  for (int n : {14, 15, 16, 17, 40, 100, 1000, 5000}) {
    b.push_back(wide(n, n, false));
    b.push_back(wide(n, 7, true));
    b.push_back(wide(n, n / 2 + 1, true));
    b.push_back("[" + wide(n, 13, false) + "," + wide(n, n, true) + "]");
  }
  return b;
}

// Request-shaped JSON text with odd but valid forms, and mutations of it. One seed gives one
// sequence on every platform (the engine is specified; the distributions are not used).
class BodyGenerator {
 public:
  explicit BodyGenerator(std::uint64_t seed) : rng_(seed) {}

  // A body: most are valid JSON, about a third are mutated.
  std::string body() {
    std::string s;
    switch (below(10)) {
      case 0:
        s = request();
        break;
      case 1:
        value(s, 0);
        break;
      case 2:
        s = deep();
        break;
      default:
        s = batch();
    }
    if (below(3) == 0) mutate(s);
    return s;
  }

 private:
  std::uint64_t next() { return rng_(); }
  std::size_t below(std::size_t n) { return static_cast<std::size_t>(next() % n); }
  bool chance(int percent) { return static_cast<int>(below(100)) < percent; }

  void ws(std::string& s) {
    if (!chance(15)) return;
    static const char kWs[] = {' ', '\t', '\n', '\r'};
    for (std::size_t n = 1 + below(3); n > 0; --n) s.push_back(kWs[below(4)]);
  }

  // A string literal: plain text, escapes, \u forms (surrogate pairs too) and raw UTF-8.
  void string(std::string& s, std::size_t max_len = 12) {
    static const char* kPieces[] = {"a",
                                    "b",
                                    "k",
                                    "http://x/",
                                    "0",
                                    " ",
                                    "\\\"",
                                    "\\\\",
                                    "\\/",
                                    "\\b",
                                    "\\f",
                                    "\\n",
                                    "\\r",
                                    "\\t",
                                    "\\u0041",
                                    "\\u00e9",
                                    "\\u20AC",
                                    "\\uD83D\\uDE00",
                                    "\\u0000",
                                    "\xc3\xa9",
                                    "\xe2\x82\xac",
                                    "\xf0\x9f\x98\x80",
                                    "\x7f",
                                    "\\uFFFF",
                                    "\\u0075"};
    s.push_back('"');
    for (std::size_t n = below(max_len); n > 0; --n) s += kPieces[below(std::size(kPieces))];
    s.push_back('"');
  }

  void number(std::string& s) {
    static const char* kNumbers[] = {"0",
                                     "-0",
                                     "1",
                                     "3",
                                     "-1",
                                     "1.0",
                                     "1e2",
                                     "1E+2",
                                     "1e-2",
                                     "-0.0",
                                     "0.5",
                                     "2147483647",
                                     "2147483648",
                                     "9223372036854775807",
                                     "9223372036854775808",
                                     "18446744073709551615",
                                     "18446744073709551616",
                                     "-9223372036854775808",
                                     "-9223372036854775809",
                                     "1e308",
                                     "1e309",
                                     "-1e309",
                                     "1e-400",
                                     "123456789e-5",
                                     "1.7976931348623157e308",
                                     "1.7976931348623159e308",
                                     "4.9e-324",
                                     "0e0",
                                     "10"};
    if (chance(30)) {
      s += std::to_string(below(100000));
    } else {
      s += kNumbers[below(std::size(kNumbers))];
    }
  }

  void value(std::string& s, int depth) {
    const std::size_t kinds = depth > 4 ? 5 : 7;
    switch (below(kinds)) {
      case 0:
        s += below(2) ? "true" : "false";
        break;
      case 1:
        s += "null";
        break;
      case 2:
      case 3:
        number(s);
        break;
      case 4:
        string(s);
        break;
      case 5: {
        s.push_back('[');
        ws(s);
        for (std::size_t n = below(4), i = 0; i < n; ++i) {
          if (i) s.push_back(',');
          ws(s);
          value(s, depth + 1);
          ws(s);
        }
        s.push_back(']');
        break;
      }
      default: {
        s.push_back('{');
        ws(s);
        for (std::size_t n = below(4), i = 0; i < n; ++i) {
          if (i) s.push_back(',');
          ws(s);
          string(s, 3);
          ws(s);
          s.push_back(':');
          ws(s);
          value(s, depth + 1);
          ws(s);
        }
        s.push_back('}');
      }
    }
  }

  // A request object: keys from the request fields (sometimes escaped, duplicated, of the wrong
  // type) and others; uniqueKeys from a tiny alphabet so batches hold duplicates.
  std::string request() {
    static const char* kKeys[] = {"uniqueKey",
                                  "url",
                                  "id",
                                  "method",
                                  "retryCount",
                                  "handledAt",
                                  "userData",
                                  "headers",
                                  "payload",
                                  "noRetry",
                                  "errorMessages",
                                  "loadedUrl",
                                  "lockExpiresAt",
                                  "lockByClient",
                                  "x",
                                  "zz",
                                  "A",
                                  "\\u0075niqueKey",
                                  "ur\\u006c",
                                  "\\u00e9"};
    static const char* kMethods[] = {"\"GET\"", "\"POST\"", "\"PATCH\"",
                                     "\"get\"", "\"\"",     "\"TRACE\""};
    static const char* kDates[] = {"\"2023-11-14T22:16:20.000Z\"",
                                   "\"2023-11-14T22:16:20Z\"",
                                   "\"2023-11-14T22:16:20+02:00\"",
                                   "\"2023-11-14T22:16:20\"",
                                   "\"yesterday\"",
                                   "null"};
    static const char* kUniqueKeys[] = {"\"a\"", "\"b\"", "\"\\u0061\"", "\"http://example.com\"",
                                        "\"\""};
    std::vector<std::string> members;
    if (chance(92)) members.push_back("\"uniqueKey\":" + std::string(kUniqueKeys[below(5)]));
    if (chance(92))
      members.push_back("\"url\":\"http://example.com/" + std::to_string(below(9)) + "\"");
    // Now and then many members (past the reader's 16, where it indexes them by hash).
    for (std::size_t n = below(10) == 0 ? 10 + below(60) : below(5); n > 0; --n) {
      const std::string key = below(3) == 0 ? "k" + std::to_string(below(40))
                                            : std::string(kKeys[below(std::size(kKeys))]);
      std::string m = "\"" + key + "\"";
      ws(m);
      m += ':';
      ws(m);
      if (chance(70) && key == "method") {
        m += kMethods[below(std::size(kMethods))];
      } else if (chance(70) && key == "handledAt") {
        m += kDates[below(std::size(kDates))];
      } else if (chance(50) && key == "id") {
        m += below(2) ? "\"8OamqXBCpPHxyH9\"" : "\"ca978112ca1bbdc\"";
      } else if (chance(50) && (key == "userData" || key == "headers" || key == "payload")) {
        m += "{\"label\":\"DETAIL\",\"depth\":1}";
      } else {
        value(m, 1);
      }
      members.push_back(m);
    }
    // Shuffle (Fisher-Yates with our engine), then join with optional whitespace.
    for (std::size_t i = members.size(); i > 1; --i) std::swap(members[i - 1], members[below(i)]);
    std::string s = "{";
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i) s.push_back(',');
      ws(s);
      s += members[i];
      ws(s);
    }
    return s + "}";
  }

  std::string batch() {
    std::size_t n = below(8) == 0 ? 20 + below(10) : below(6);
    std::string s = "[";
    ws(s);
    for (std::size_t i = 0; i < n; ++i) {
      if (i) s.push_back(',');
      ws(s);
      if (chance(8)) {
        value(s, 1);
      } else {
        s += request();
      }
      ws(s);
    }
    return s + "]";
  }

  // Nesting around the limit of 128, inside a request's extra or as the whole body.
  std::string deep() {
    const std::size_t levels = 120 + below(12);
    std::string inner(levels, '[');
    inner += below(2) ? "1" : "";
    inner += std::string(levels, ']');
    if (below(2)) return inner;
    return "[{\"uniqueKey\":\"a\",\"url\":\"u\",\"userData\":{\"k\":" + inner + "}}]";
  }

  void mutate(std::string& s) {
    static const char kBytes[] = {'\0',   '"',    '\\',   '{',    '}',    '[',    ']',
                                  ',',    ':',    ' ',    '0',    '-',    'e',    '.',
                                  'u',    '\x01', '\x7f', '\x80', '\xbf', '\xc3', '\xe2',
                                  '\xed', '\xf0', '\xf4', '\xff'};
    for (std::size_t n = 1 + below(2); n > 0; --n) {
      const std::size_t at = s.empty() ? 0 : below(s.size() + 1);
      switch (below(8)) {
        case 0:
          s.resize(at);  // truncation
          break;
        case 1:
          if (at < s.size()) s[at] = static_cast<char>(s[at] ^ (1 << below(8)));
          break;
        case 2:
          s.insert(s.begin() + static_cast<std::ptrdiff_t>(at), kBytes[below(std::size(kBytes))]);
          break;
        case 3:
          if (at < s.size()) s.erase(at, 1);
          break;
        case 4:
          if (at < s.size()) s.insert(at, s.substr(at, below(16)));  // a duplicated slice
          break;
        case 5:
          s = (below(2) ? "\xEF\xBB\xBF" : "") + s + (below(2) ? "\0"s : "") +
              (below(2) ? std::string(below(140), '[') : "x");
          break;
        case 6:
          s.insert(at, below(2) ? "\xed\xa0\x80" : "\xc0\xaf");  // invalid UTF-8
          break;
        default:
          if (at < s.size()) s[at] = kBytes[below(std::size(kBytes))];
      }
    }
  }

  std::mt19937_64 rng_;
};

}  // namespace rqcheck::scan_corpus
