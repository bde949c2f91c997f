// The request-body scanner (core/src/request_scan.h, used by parse_request_body,
// parse_batch_add_body and parse_batch_delete_body) reads every body as the DOM reference does
// (parse_json, then the document walked): same ok or error, same drafts or keys, same violations
// in the same order, `extra` with the same members. Hand-made cases, the fixtures of the request
// operations, generated bodies and the fuzzer's findings; then the choices it makes, spelled out.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "request_scan_corpus.h"
#include "request_scan_diff.h"
#include "requests_internal.h"
#include "rqcheck/core/requests.h"

namespace rqcheck {
namespace {

namespace fs = std::filesystem;
using scan_diff::printable;
using scan_diff::scan_vs_dom;
using namespace std::string_literals;

TEST(RequestScanTest, HandMadeBodiesReadAsTheDomReadsThem) {
  const auto bodies = scan_corpus::hand_made_bodies();
  ASSERT_GT(bodies.size(), 180u);
  for (const std::string& body : bodies) {
    EXPECT_EQ(scan_vs_dom(body), "") << printable(body);
  }
}

// Every fixture of the four operations that take a request body: its payload compact and
// indented, each item of a batch payload alone, and the fixture file itself as a body.
TEST(RequestScanTest, FixtureBodiesReadAsTheDomReadsThem) {
  std::size_t files = 0, bodies = 0;
  for (const char* op :
       {"requestQueue_requests_post", "requestQueue_request_put",
        "requestQueue_requests_batch_post", "requestQueue_requests_batch_delete"}) {
    for (const auto& f : fs::directory_iterator(fs::path(RQCHECK_FIXTURES_DIR) / op)) {
      if (f.path().extension() != ".json") continue;
      std::ifstream in(f.path(), std::ios::binary);
      std::stringstream text;
      text << in.rdbuf();
      std::vector<std::string> cases = {text.str()};
      Json doc = Json::parse(text.str(), nullptr, false);
      ASSERT_TRUE(doc.is_object() && doc.contains("payload")) << f.path();
      const Json& payload = doc["payload"];
      cases.push_back(payload.dump());
      cases.push_back(payload.dump(2));
      if (payload.is_array()) {
        for (const Json& item : payload) cases.push_back(item.dump());
      }
      ++files;
      for (const std::string& body : cases) {
        ++bodies;
        EXPECT_EQ(scan_vs_dom(body), "") << f.path() << "\n" << printable(body);
      }
    }
  }
  EXPECT_GE(files, 60u);
  std::cout << "[ fixtures ] " << files << " files, " << bodies << " bodies\n";
}

// RQCHECK_SCAN_SEED and RQCHECK_SCAN_BODIES replay or widen a run.
TEST(RequestScanTest, GeneratedBodiesReadAsTheDomReadsThem) {
  std::uint64_t seed = 20240611;
  if (const char* s = std::getenv("RQCHECK_SCAN_SEED")) seed = std::strtoull(s, nullptr, 10);
  long count = 20000;
  if (const char* s = std::getenv("RQCHECK_SCAN_BODIES")) count = std::strtol(s, nullptr, 10);
  std::cout << "[ generator ] seed " << seed << " (RQCHECK_SCAN_SEED), " << count << " bodies\n";
  scan_corpus::BodyGenerator gen(seed);
  long valid = 0, failures = 0;
  for (long i = 0; i < count && failures < 10; ++i) {
    const std::string body = gen.body();
    if (parse_json(body, JsonLimits{kMaxJsonDepth, kMaxPayloadBytes})) ++valid;
    const std::string d = scan_vs_dom(body);
    if (!d.empty()) {
      ++failures;
      ADD_FAILURE() << "body " << i << " of seed " << seed << ": " << d << "\n" << printable(body);
    }
  }
  // Both halves must be well represented, or the comparison says little.
  EXPECT_GT(valid, count / 3);
  EXPECT_LT(valid, count - count / 5);
  std::cout << "[ generator ] " << valid << " valid JSON, " << count - valid << " not\n";
}

// --- The choices, spelled out. ---

std::string bench_body() {  // bench/rq_load.cc's batch_body("x", 0)
  std::string b = "[";
  for (int k = 0; k < 25; ++k) {
    if (k) b += ',';
    std::string u = "https://example.com/x/" + std::to_string(k) + "/";
    u.resize(100, 'a');
    b += "{\"uniqueKey\":\"" + u + "\",\"url\":\"" + u +
         "\",\"userData\":{\"label\":\"DETAIL\",\"depth\":1}}";
  }
  return b + "]";
}

TEST(RequestScanTest, ReadsTheBenchmarksBatchBody) {
  Violations v;
  auto d = parse_batch_add_body(bench_body(), v);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_TRUE(v.empty());
  ASSERT_EQ(d->size(), 25u);
  EXPECT_EQ((*d)[7].unique_key.substr(0, 25), "https://example.com/x/7/a");
  EXPECT_EQ((*d)[7].unique_key.size(), 100u);
  EXPECT_EQ((*d)[7].url, (*d)[7].unique_key);
  EXPECT_EQ((*d)[7].extra, R"(,"userData":{"label":"DETAIL","depth":1})");
  EXPECT_EQ((*d)[7].method, 0);
  EXPECT_FALSE((*d)[7].id);
}

// `extra` keeps each value's source text without the whitespace between tokens (no
// re-serialisation: escapes and number forms stay as sent), members in key order, the last of
// duplicate keys.
TEST(RequestScanTest, KeepsExtraValuesAsTheirSourceTextMinified) {
  Violations v;
  auto d = parse_request_body(
      "{\"z\":1, \"uniqueKey\":\"a\",\"url\":\"u\", \"userData\" : { \"n\" : 1E2 , \"s\" : "
      "\"\\u00e9 \\/ x\" , \"n\":-0.0 }, \"z\":[ true ,null ] }",
      v);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->extra, R"(,"userData":{"n":1E2,"s":"\u00e9 \/ x","n":-0.0},"z":[true,null])");
  Violations w;
  auto ref = detail::parse_request_body_dom(
      "{\"z\":1, \"uniqueKey\":\"a\",\"url\":\"u\", \"userData\" : { \"n\" : 1E2 , \"s\" : "
      "\"\\u00e9 \\/ x\" , \"n\":-0.0 }, \"z\":[ true ,null ] }",
      w);
  ASSERT_TRUE(ref);
  EXPECT_EQ(ref->extra, R"(,"userData":{"n":-0.0,"s":"é / x"},"z":[true,null])");
}

TEST(RequestScanTest, DecodesStringsAsNlohmannDoes) {
  Violations v;
  auto d = parse_request_body(
      R"({"uniqueKey":"\uD83D\uDE00\u0000\"\\\/\b\f\n\r\t\u00E9","url":"\u0041"})", v);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->unique_key, "\xF0\x9F\x98\x80\0\"\\/\b\f\n\r\t\xC3\xA9"s);
  EXPECT_EQ(d->url, "A");
  for (const char* lone :
       {R"({"uniqueKey":"\uD800","url":"u"})", R"({"uniqueKey":"\uDFFF","url":"u"})",
        R"({"uniqueKey":"\uD800\u0041","url":"u"})"}) {
    Violations w;
    auto r = parse_request_body(lone, w);
    ASSERT_FALSE(r) << lone;
    EXPECT_EQ(w.at(0).rule, "request.body_not_json");
  }
}

// A NUL byte after the value is refused like any other byte there (nlohmann's lexer read '\0' as
// the end of input; parse_json, the scanner's reference, refuses it since issue 17).
TEST(RequestScanTest, NulByteAfterTheValueIsRefused) {
  for (const std::string& body : {"[{\"uniqueKey\":\"a\",\"url\":\"u\"}]\0\xff junk"s,
                                  "[{\"uniqueKey\":\"a\",\"url\":\"u\"}]\0"s}) {
    Violations v;
    auto d = parse_batch_add_body(body, v);
    ASSERT_FALSE(d) << body.size();
    EXPECT_EQ(d.error().status, 400);
    Violations w;
    auto ref = detail::parse_batch_add_body_dom(body, w);
    ASSERT_FALSE(ref);
  }
}

TEST(RequestScanTest, NestingLimitIsThePreScans) {
  auto body = [](std::size_t levels) {
    return "[{\"uniqueKey\":\"a\",\"url\":\"u\",\"userData\":{\"k\":" + std::string(levels, '[') +
           std::string(levels, ']') + "}}]";
  };
  Violations v;
  EXPECT_TRUE(parse_batch_add_body(body(125), v));  // 3 + 125 = 128 levels
  auto r = parse_batch_add_body(body(126), v);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "Invalid input: JSON nesting is deeper than 128 levels.");
  // Brackets in a string are not nesting; in a text that is not JSON they are, for the pre-scan.
  EXPECT_TRUE(parse_batch_delete_body("[{\"id\":\"" + std::string(300, '[') + "\"}]", v));
  auto bad = parse_batch_add_body("[x" + std::string(200, '['), v);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "Invalid input: JSON nesting is deeper than 128 levels.");
}

TEST(RequestScanTest, RetryCountFollowsNlohmannsIntegers) {
  auto retry = [](const std::string& n) -> std::optional<std::int64_t> {
    Violations v;
    auto d = parse_request_body(R"({"uniqueKey":"a","url":"u","retryCount":)" + n + "}", v);
    if (!d) return std::nullopt;
    return d->retry_count;
  };
  EXPECT_EQ(retry("7"), 7);
  EXPECT_EQ(retry("-0"), 0);  // an integer for nlohmann
  EXPECT_EQ(retry("2147483647"), 2147483647);
  for (const char* bad : {"1.0", "1e2", "-1", "2147483648", "18446744073709551615",
                          "18446744073709551616", "\"1\""}) {
    EXPECT_EQ(retry(bad), std::nullopt) << bad;
  }
}

TEST(RequestScanTest, ExaminesTheFirst1000ItemsOnly) {
  std::string body = "[";
  for (int i = 0; i < 1500; ++i) {
    body += i ? "," : "";
    body +=
        i == 1200 ? "{\"url\":1}" : "{\"uniqueKey\":\"k" + std::to_string(i) + "\",\"url\":\"u\"}";
  }
  body += "]";
  Violations v;
  auto r = parse_batch_add_body(body, v);
  ASSERT_FALSE(r);
  ASSERT_EQ(v.size(), 1u);
  EXPECT_EQ(v[0].rule, "request.batch_size");
  EXPECT_EQ(v[0].error.message, "Invalid input: a batch must contain 1 to 25 requests (got 1500).");
}

}  // namespace
}  // namespace rqcheck
