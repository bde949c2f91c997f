// The strict request framing of the transport (framing.h), without sockets: a head and a chunked
// body read whole or a byte at a time give the same result, and each refusal has its status.
#include "framing.h"

#include <gtest/gtest.h>

#include <string>

namespace rqcheck::fake {
namespace {

struct HeadResult {
  Parse parse = Parse::kNeedMore;
  ApiError err;
  RequestHead head;
};

HeadResult ParseHead(const std::string& bytes, bool byte_at_a_time) {
  HeadParser hp;
  HeadResult r;
  if (!byte_at_a_time) {
    r.parse = hp.feed(bytes, r.err);
  } else {
    for (std::size_t n = 1; n <= bytes.size(); ++n) {
      r.parse = hp.feed(std::string_view(bytes).substr(0, n), r.err);
      if (r.parse != Parse::kNeedMore) break;
    }
  }
  r.head = hp.head();
  return r;
}

TEST(FramingTest, HeadReadWholeOrByteByByteIsTheSame) {
  const std::string bytes =
      "POST /v2/request-queues/q/requests?x=1 HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n"
      "X-Tab:\tv a l\t \r\nConnection: keep-alive, close\r\n\r\n{\"rest\":1}";
  for (bool slow : {false, true}) {
    SCOPED_TRACE(slow);
    HeadResult r = ParseHead(bytes, slow);
    ASSERT_EQ(r.parse, Parse::kDone) << r.err.message;
    EXPECT_EQ(r.head.method, "POST");
    EXPECT_EQ(r.head.target, "/v2/request-queues/q/requests?x=1");
    EXPECT_EQ(r.head.body, RequestHead::Body::kLength);
    EXPECT_EQ(r.head.content_length, 12u);
    EXPECT_TRUE(r.head.close);
    EXPECT_EQ(r.head.head_bytes, bytes.find("\r\n\r\n") + 4);
    ASSERT_EQ(r.head.fields.size(), 4u);
    EXPECT_EQ(r.head.fields[2].second, "v a l");
  }
}

TEST(FramingTest, EachBadHeadHasItsStatus) {
  const std::string ok_line = "GET / HTTP/1.1\r\n";
  struct Case {
    std::string bytes;
    int status;
  } cases[] = {
      {ok_line + "Content-Length: 1\r\nContent-Length: 1\r\n\r\n", 400},
      {ok_line + "Content-Length: +1\r\n\r\n", 400},
      {ok_line + "Content-Length: 01\r\n\r\n", 400},
      {ok_line + "Content-Length:\r\n\r\n", 400},
      {ok_line + "Transfer-Encoding: gzip, chunked\r\n\r\n", 501},
      {ok_line + "Transfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400},
      {ok_line + "No colon\r\n\r\n", 400},
      {ok_line + "Name : v\r\n\r\n", 400},
      {ok_line + "A: b\r\n c\r\n\r\n", 400},
      {ok_line + std::string("A: b\0c\r\n\r\n", 10), 400},
      {ok_line + "A: b\rc\r\n\r\n", 400},
      {ok_line + "A: b\n\r\n", 400},
      {ok_line + "Host: a\r\nHost: b\r\n\r\n", 400},
      {"GET v2 HTTP/1.1\r\n\r\n", 400},
      {"GET / HTTP/2.0\r\n\r\n", 505},
      {"GET / http/1.1\r\n\r\n", 400},
      {"TRACE / HTTP/1.1\r\n\r\n", 501},
      {"get / HTTP/1.1\r\n\r\n", 501},
      {"GET  / HTTP/1.1\r\n\r\n", 400},
      {"GET /" + std::string(9000, 'a'), 414},
      {ok_line + "X: " + std::string(9000, 'a'), 431},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.bytes.substr(0, 80));
    for (bool slow : {false, true}) {
      HeadResult r = ParseHead(c.bytes, slow);
      ASSERT_EQ(r.parse, Parse::kError);
      EXPECT_EQ(r.err.status, c.status) << r.err.message;
      EXPECT_FALSE(r.err.type.empty());
    }
  }
}

TEST(FramingTest, ContentLengthOverTheLimitIsFlaggedNotRead) {
  for (const char* cl : {"9437185", "1234567890123456", "99999999999999999999999"}) {
    SCOPED_TRACE(cl);
    HeadResult r =
        ParseHead(std::string("POST / HTTP/1.1\r\nContent-Length: ") + cl + "\r\n\r\n", false);
    ASSERT_EQ(r.parse, Parse::kDone);
    EXPECT_TRUE(r.head.too_large);
  }
  HeadResult ok = ParseHead("POST / HTTP/1.1\r\nContent-Length: 9437184\r\n\r\n", false);
  ASSERT_EQ(ok.parse, Parse::kDone);
  EXPECT_FALSE(ok.head.too_large);
  EXPECT_EQ(ok.head.content_length, 9437184u);
}

TEST(FramingTest, TooManyFieldsAre431) {
  std::string bytes = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 300; ++i) bytes += "X-" + std::to_string(i) + ": v\r\n";
  bytes += "\r\n";
  HeadResult r = ParseHead(bytes, false);
  ASSERT_EQ(r.parse, Parse::kError);
  EXPECT_EQ(r.err.status, 431);
}

TEST(FramingTest, ChunkedBodyWholeOrByteByByteIsTheSame) {
  const std::string bytes =
      "5;ext=1\r\nhello\r\nA \t;x\r\n0123456789\r\n0\r\nTrailer: t\r\n\r\nNEXT";
  for (bool slow : {false, true}) {
    SCOPED_TRACE(slow);
    ChunkedDecoder d;
    std::string body;
    ApiError err;
    Parse p = Parse::kNeedMore;
    if (!slow) {
      p = d.feed(bytes, body, err);
    } else {
      for (std::size_t n = 1; n <= bytes.size() && p == Parse::kNeedMore; ++n) {
        p = d.feed(std::string_view(bytes).substr(0, n), body, err);
      }
    }
    ASSERT_EQ(p, Parse::kDone) << err.message;
    EXPECT_EQ(body, "hello0123456789");
    EXPECT_EQ(d.consumed(), bytes.size() - 4);
  }
}

TEST(FramingTest, BadChunksAreRefused) {
  for (const std::string& bytes :
       {std::string("zz\r\n{}\r\n0\r\n\r\n"), std::string("-5\r\n"), std::string("+5\r\n"),
        std::string("0x5\r\n"), std::string("ffffffffffffffff\r\n"), std::string(" 5\r\n"),
        std::string("\r\n"), std::string("2\r\n{}EXTRA\r\n0\r\n\r\n"), std::string("2\n{}\r\n"),
        std::string("0\r\nbad trailer\r\n\r\n")}) {
    SCOPED_TRACE(bytes);
    ChunkedDecoder d;
    std::string body;
    ApiError err;
    EXPECT_EQ(d.feed(bytes, body, err), Parse::kError);
    EXPECT_EQ(err.status, 400) << err.message;
  }
  ChunkedDecoder d;
  std::string body;
  ApiError err;
  EXPECT_EQ(d.feed("900001\r\n", body, err), Parse::kError);  // over kMaxPayloadBytes
  EXPECT_EQ(err.status, 413);
}

TEST(FramingTest, RebuiltHeadHasOneContentLengthAndNoTransferEncoding) {
  HeadResult r = ParseHead(
      "POST /x HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nExpect: 100-continue\r\n\r\n",
      false);
  ASSERT_EQ(r.parse, Parse::kDone);
  EXPECT_TRUE(r.head.expect_continue);
  EXPECT_EQ(rebuild_head(r.head, 7), "POST /x HTTP/1.1\r\nHost:h\r\nContent-Length:7\r\n\r\n");
}

TEST(FramingTest, ErrorResponseCarriesTheEnvelope) {
  std::string r = error_response(ApiError{503, "service-unavailable", "busy"}, true, 1);
  EXPECT_EQ(r.rfind("HTTP/1.1 503 Service Unavailable\r\n", 0), 0u) << r;
  EXPECT_NE(r.find("\r\nRetry-After: 1\r\n"), std::string::npos);
  EXPECT_NE(r.find("\r\nConnection: close\r\n"), std::string::npos);
  EXPECT_NE(r.find("{\"error\":{\"type\":\"service-unavailable\",\"message\":\"busy\"}}"),
            std::string::npos);
}

}  // namespace
}  // namespace rqcheck::fake
