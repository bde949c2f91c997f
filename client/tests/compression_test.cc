#include "rqcheck/client/compression.h"

#include <gtest/gtest.h>

#include <string>

namespace rqcheck::client {
namespace {

std::string sample() {
  std::string s;
  for (int i = 0; i < 200; ++i) s += R"({"url":"http://example.com/)" + std::to_string(i) + "\"},";
  return s;
}

class CompressionTest : public ::testing::TestWithParam<BodyEncoding> {};

TEST_P(CompressionTest, RoundTrips) {
  const std::string body = sample();
  auto packed = compress(body, GetParam());
  ASSERT_TRUE(packed) << packed.error().message;
  EXPECT_LT(packed->size(), body.size());
  auto back = decompress(*packed, GetParam());
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(*back, body);
}

TEST_P(CompressionTest, RejectsGarbageAndTruncation) {
  auto packed = compress(sample(), GetParam());
  ASSERT_TRUE(packed) << packed.error().message;
  EXPECT_FALSE(decompress(packed->substr(0, packed->size() / 2), GetParam()));
  EXPECT_FALSE(decompress("definitely not compressed", GetParam()));
}

TEST_P(CompressionTest, BoundsTheOutput) {
  auto packed = compress(std::string(100000, 'a'), GetParam());
  ASSERT_TRUE(packed) << packed.error().message;
  EXPECT_FALSE(decompress(*packed, GetParam(), 1000));
}

INSTANTIATE_TEST_SUITE_P(Encodings, CompressionTest,
                         ::testing::Values(BodyEncoding::kGzip, BodyEncoding::kDeflate,
                                           BodyEncoding::kBrotli));

TEST(CompressionNoneTest, PassesThrough) {
  auto same = compress("abc", BodyEncoding::kNone);
  ASSERT_TRUE(same);
  EXPECT_EQ(*same, "abc");
  EXPECT_EQ(content_encoding_name(BodyEncoding::kBrotli), "br");
  EXPECT_EQ(content_encoding_name(BodyEncoding::kNone), "");
}

}  // namespace
}  // namespace rqcheck::client
