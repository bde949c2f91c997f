#include "rqcheck/client/url.h"

#include <gtest/gtest.h>

namespace rqcheck::client {
namespace {

TEST(BaseUrlTest, ParsesSchemeHostPortAndPrefix) {
  auto b = parse_base_url("https://example.com:8443/api/");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->scheme, "https");
  EXPECT_EQ(b->host, "example.com");
  EXPECT_EQ(b->port, 8443);
  EXPECT_EQ(b->prefix, "/api");
  EXPECT_EQ(b->origin(), "https://example.com:8443");
}

TEST(BaseUrlTest, UsesTheSchemeDefaultPort) {
  auto https = parse_base_url("https://api.apify.com");
  ASSERT_TRUE(https) << https.error().message;
  EXPECT_EQ(https->port, 443);
  EXPECT_EQ(https->prefix, "");
  auto http = parse_base_url("HTTP://127.0.0.1");
  ASSERT_TRUE(http) << http.error().message;
  EXPECT_EQ(http->scheme, "http");
  EXPECT_EQ(http->port, 80);
}

TEST(BaseUrlTest, AcceptsIpv6Literals) {
  auto b = parse_base_url("http://[::1]:8080");
  ASSERT_TRUE(b) << b.error().message;
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->origin(), "http://[::1]:8080");
}

TEST(BaseUrlTest, RejectsWhatItCannotUse) {
  for (const char* bad : {"ftp://x", "example.com", "http://", "http://x:0", "http://x:99999",
                          "http://x:8a", "http://x/?q=1", "http://u@x"}) {
    auto b = parse_base_url(bad);
    ASSERT_FALSE(b) << bad;
    EXPECT_EQ(b.error().type, "invalid-config");
    EXPECT_EQ(b.error().status, 0);
  }
}

TEST(PercentEncodeTest, KeepsOnlyUnreservedCharacters) {
  EXPECT_EQ(percent_encode("aZ09-._~"), "aZ09-._~");
  EXPECT_EQ(percent_encode("a b/c?d&e=f,g+h%"), "a%20b%2Fc%3Fd%26e%3Df%2Cg%2Bh%25");
  EXPECT_EQ(percent_encode("\xc3\xa9"), "%C3%A9");
}

TEST(BuildQueryTest, EncodesKeysAndValues) {
  EXPECT_EQ(build_query({{"clientKey", "a b"}, {"filter", "locked,pending"}}),
            "clientKey=a%20b&filter=locked%2Cpending");
  EXPECT_EQ(build_query({}), "");
}

}  // namespace
}  // namespace rqcheck::client
