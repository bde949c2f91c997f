#include "rqcheck/core/request_id.h"

#include <gtest/gtest.h>

#include <string>

namespace rqcheck {
namespace {

std::string hex(const std::array<std::uint8_t, 32>& d) {
  static const char* k = "0123456789abcdef";
  std::string s;
  for (auto b : d) {
    s += k[b >> 4];
    s += k[b & 15];
  }
  return s;
}

TEST(Sha256Test, MatchesFipsVectors) {
  EXPECT_EQ(hex(sha256("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(hex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // 56 bytes: the padding spills into a second block.
  EXPECT_EQ(hex(sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(hex(sha256(std::string(1000000, 'a'))),
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256Test, PortableFallbackAgreesWithOpenSsl) {
  for (std::size_t n : {0u, 1u, 55u, 56u, 63u, 64u, 65u, 119u, 1000u}) {
    std::string data(n, 'x');
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<char>(i * 7 + 3);
    EXPECT_EQ(hex(sha256(data)), hex(sha256_portable(data))) << n;
  }
  EXPECT_EQ(hex(sha256_portable("abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// The vectors of spec section 6.1.
TEST(RequestIdTest, MatchesTheSpecVectors) {
  EXPECT_EQ(request_id_for("http://example.com"), "8OamqXBCpPHxyH9");
  EXPECT_EQ(request_id_for("http://example.com/a/b"), "ZJAoqlRijenMQIn");
  EXPECT_EQ(request_id_for("http://example.com/c/d"), "hAhkwyk5oOBHKQC");
  EXPECT_EQ(request_id_for("https://apify.com"), "fvwscO2UJLdr10B");
  EXPECT_EQ(request_id_for("http://www.example.com/something"), "FETphjUNLcRvlwO");
  EXPECT_EQ(request_id_for("http://example.com/2"), "Yoe6MPU05ATmg1Y");
  EXPECT_EQ(request_id_for(""), "47DEQpj8HBSaTIm");
}

// The definition written out (spec section 6.1): base64 of the digest, '+', '/' and '=' removed,
// the first 15 characters; request_id_for derives it without building the text.
TEST(RequestIdTest, IsTheFilteredBase64OfTheDigest) {
  int with_dropped = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string key = "https://example.com/" + std::to_string(i * 7919) + "?q=" + std::to_string(i);
    auto d = sha256(key);
    std::string b64 = base64(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
    std::string want;
    for (char c : b64) {
      if (c != '+' && c != '/' && c != '=' && want.size() < 15) want.push_back(c);
    }
    if (b64.substr(0, 15) != want) ++with_dropped;
    ASSERT_EQ(request_id_for(key), want) << key;
  }
  EXPECT_GT(with_dropped, 1000);  // ids whose first 15 characters held a '+' or '/' were among them
}

TEST(RequestIdTest, IsCaseSensitiveAndHas15AlnumChars) {
  std::string a = request_id_for("http://EXAMPLE.com"), b = request_id_for("http://example.com");
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_request_id(a));
  EXPECT_FALSE(is_request_id("abc"));
  EXPECT_FALSE(is_request_id("8OamqXBCpPHxy+9"));
}

TEST(ApifyIdTest, AcceptsSeventeenAlnumOnly) {
  EXPECT_TRUE(is_apify_id("WkzbQMuFYuamGv3YF"));
  EXPECT_FALSE(is_apify_id("WkzbQMuFYuamGv3Y"));
  EXPECT_FALSE(is_apify_id("WkzbQMuFYuamGv3Y~"));
}

TEST(Base64Test, RoundTripsBothAlphabets) {
  std::string bytes = "\xfb\xff\x00 any bytes";
  std::string out;
  ASSERT_TRUE(base64_decode(base64(bytes), out));
  EXPECT_EQ(out, bytes);
  ASSERT_TRUE(base64_decode(base64url_unpadded(bytes), out));
  EXPECT_EQ(out, bytes);
  EXPECT_EQ(base64("ab"), "YWI=");
  EXPECT_FALSE(base64_decode("YW*I", out));
}

}  // namespace
}  // namespace rqcheck
