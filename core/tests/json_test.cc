#include "rqcheck/core/json.h"

#include <gtest/gtest.h>

#include "rqcheck/core/errors.h"

namespace rqcheck {
namespace {

TEST(ParseJsonTest, ParsesValidDocuments) {
  auto r = parse_json(R"({"a":[1,2,{"b":"c"}]})");
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)["a"][2]["b"], "c");
}

TEST(ParseJsonTest, RejectsMalformedEmptyAndInvalidUtf8WithInvalidInput) {
  for (std::string bad : {std::string("{"), std::string(""), std::string("{\"a\":1,}"),
                          std::string("\"\xff\""), std::string("[1] [2]")}) {
    auto r = parse_json(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().type, "invalid-input");
  }
}

// Found by fuzz/targets/json.cc (corpus entry fuzz/corpus/json/crash-nul-after-value): nlohmann
// stops at a NUL byte as if the input ended there.
TEST(ParseJsonTest, RejectsANulByteAnywhere) {
  for (std::string bad :
       {std::string(" 3\t\0\0fain ", 11), std::string("{}\0", 3), std::string("[1]\0[2]", 7),
        std::string("\0", 1), std::string("[\"a\0b\"]", 7)}) {
    auto r = parse_json(bad);
    ASSERT_FALSE(r) << "accepted " << bad.size() << " bytes";
    EXPECT_EQ(r.error().status, 400);
    EXPECT_EQ(r.error().type, "invalid-input");
  }
  EXPECT_TRUE(parse_json("[\"a\\u0000b\"]"));  // an escaped NUL inside a string is fine
}

TEST(ParseJsonTest, BoundsNestingDepth) {
  std::string deep(100000, '[');
  auto r = parse_json(deep + std::string(100000, ']'));
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nesting"), std::string::npos);
  std::string ok(10, '[');
  EXPECT_TRUE(parse_json(ok + std::string(10, ']')));
  // Brackets inside strings do not count.
  EXPECT_TRUE(parse_json("\"" + std::string(1000, '[') + "\""));
}

TEST(ParseJsonTest, BoundsSize) {
  JsonLimits limits;
  limits.max_bytes = 8;
  auto r = parse_json("[1,2,3,4,5]", limits);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 413);
}

TEST(ParseJsonTest, SurvivesHugeNumbers) {
  // An integer beyond 64 bits degrades to a double; a double beyond its range is invalid input.
  auto r = parse_json("[123456789012345678901234567890]");
  ASSERT_TRUE(r);
  EXPECT_TRUE((*r)[0].is_number_float());
  auto overflow = parse_json("[1e999999]");
  ASSERT_FALSE(overflow);
  EXPECT_EQ(overflow.error().type, "invalid-input");
}

TEST(AppendJsonStringTest, EscapesAndRepairsUtf8) {
  std::string out;
  append_json_string(out, "a\"b\\c\n\x01 \xc3\xa9 \xff");
  EXPECT_EQ(out, "\"a\\\"b\\\\c\\n\\u0001 \xc3\xa9 \xEF\xBF\xBD\"");
  EXPECT_TRUE(parse_json(out));
}

TEST(ErrorBodyTest, IsTheDocumentedEnvelope) {
  auto j = Json::parse(error_body(errors::record_not_found()));
  EXPECT_EQ(j["error"]["type"], "record-not-found");
  EXPECT_EQ(j["error"]["message"], "The requested resource was not found.");
  EXPECT_EQ(documented_status("record-not-found"), 404);
  EXPECT_EQ(errors::request_too_large(10000000).message,
            "The POST payload is too large (limit: 9437184 bytes, actual length: 10000000 bytes).");
}

}  // namespace
}  // namespace rqcheck
