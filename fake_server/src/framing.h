// Strict HTTP/1.1 request framing (RFC 9110, RFC 9112) for the transport: the request head read
// line by line as it arrives, and a chunked body decoded as it arrives. Pure functions of bytes:
// no sockets, no httplib (the transport feeds them; fuzz/targets/http_framing.cc fuzzes them).
// Everything a strict server must refuse is refused with the error envelope's ApiError:
// 400 for ambiguous or malformed framing (the transport then closes the connection), 413 for a
// chunked body over kMaxPayloadBytes (a Content-Length over it is flagged `too_large` instead),
// 414 for a request line over 8 KiB, 431 for a head over 64 KiB or
// 256 fields, 501 for an unknown method or transfer coding, 505 for an HTTP version other than
// 1.0 and 1.1. docs/http-hardening.md lists each case.
//
//   HeadParser hp;
//   ApiError err;
//   switch (hp.feed(buffer, err)) {   // call again with the grown buffer on kNeedMore
//     case Parse::kDone:  hp.head().head_bytes ... hp.head().body ...
//     case Parse::kError: answer err, close
//     case Parse::kNeedMore: read more
//   }
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rqcheck/core/limits.h"
#include "rqcheck/core/result.h"

namespace rqcheck::fake {

struct FramingLimits {
  std::size_t request_line = 8192;      // 414 beyond
  std::size_t field_line = 8192;        // 431 beyond
  std::size_t head = 65536;             // 431 beyond
  std::size_t fields = 256;             // 431 beyond
  std::size_t body = kMaxPayloadBytes;  // 413 beyond (as sent, and after de-chunking)
};

enum class Parse { kNeedMore, kDone, kError };

struct RequestHead {
  std::string method, target, version;
  std::vector<std::pair<std::string, std::string>> fields;  // as sent, value without OWS
  enum class Body { kNone, kLength, kChunked };
  Body body = Body::kNone;
  std::size_t content_length = 0;  // kLength
  // kLength over FramingLimits::body (or over 15 digits): the head is complete, the body is not
  // read; the transport answers 413 through the handler (so the reply seam sees it) and closes.
  bool too_large = false;
  bool expect_continue = false;  // "Expect: 100-continue"
  bool close = false;            // "Connection: close", or HTTP/1.0 without keep-alive
  std::size_t head_bytes = 0;    // the head's length, the blank line included
};

// The methods the fake serves; any other token is 501.
bool is_served_method(std::string_view method);

class HeadParser {
 public:
  explicit HeadParser(FramingLimits limits = {}) : limits_(limits) {}
  // Reads the complete lines of `in` (the connection's bytes from the start of this request)
  // that the last call did not read. `in` must start with the bytes of the earlier calls.
  Parse feed(std::string_view in, ApiError& err);
  const RequestHead& head() const { return head_; }
  void reset() { *this = HeadParser(limits_); }

 private:
  Parse line(std::string_view l, ApiError& err);
  Parse finish(ApiError& err);
  FramingLimits limits_;
  RequestHead head_;
  std::size_t pos_ = 0;  // bytes of `in` read so far
  bool have_request_line_ = false;
};

// A chunked body (RFC 9112 7.1): 1*HEXDIG sizes (at most 15 digits), chunk extensions skipped,
// CRLF after each chunk's data, trailer fields checked like header fields and dropped.
class ChunkedDecoder {
 public:
  explicit ChunkedDecoder(FramingLimits limits = {}) : limits_(limits) {}
  // Decodes from `in` (the bytes after the head; the same prefix on every call) into `body`.
  // kDone: consumed() bytes of `in` were the whole chunked body.
  Parse feed(std::string_view in, std::string& body, ApiError& err);
  std::size_t consumed() const { return pos_; }

 private:
  enum class State { kSize, kData, kDataEnd, kTrailer, kDone };
  FramingLimits limits_;
  State state_ = State::kSize;
  std::size_t pos_ = 0;
  std::size_t left_ = 0;  // data bytes left in this chunk
  std::size_t trailers_ = 0;
};

// The head as httplib should see it: the request line and the fields, without Transfer-Encoding
// and Expect, with "Content-Length:body_bytes" when the request has a body; never longer than the
// head received.
std::string rebuild_head(const RequestHead& h, std::size_t body_bytes);

// A whole response with the error envelope, for answers the transport writes itself.
std::string error_response(const ApiError& e, bool close, int retry_after_secs = 0);

}  // namespace rqcheck::fake
