// The fake as hostile clients meet it (issue 17): raw POSIX sockets against an in-process
// FakeServer on 127.0.0.1 port 0, one fixed user, rate limits off. Each test sends one framing a
// strict HTTP/1.1 server must refuse (RFC 9110, RFC 9112), or one load that must not starve a
// normal client, and asserts the documented answer:
// - ambiguous framing: 400 with the error envelope {"error":{"type","message"}}, then the
//   connection closed (the rest of the bytes cannot be trusted to start a request);
// - unknown methods: 405 or 501 with the envelope;
// - a non-JSON body where JSON is required: 415, never a 500;
// - pipelined requests: answered in order, or the first answered with "Connection: close" and
//   the connection closed; never a lost or a wrong answer;
// - every read has a deadline (kDeadline): a hang is a failure of the test, not a stuck test.
// Only the public API (rqcheck/fake_server/server.h) and sockets: the tests hold for any
// transport behind it. docs/http-hardening.md maps each case to where cpp-httplib 0.11.4 handles
// it and how the transport fixes it.
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/tcp.h>  // TCP_INFO with tcpi_data_segs_in (glibc's netinet/tcp.h lacks it)
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/fake_server/server.h"

namespace rqcheck::fake {
namespace {

using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// Every read waits at most this long. The failures seen before the fix took 5 s (keep-alive
// timeout), 10 s and 30 s (read timeout); a correct answer takes well under 100 ms.
constexpr milliseconds kDeadline{3000};
// A normal call among hostile sockets must be answered within this bound. The target
// is 100 ms, measured by a bench row; the test only separates "served" from "starved" (5 s and
// more on the transport of before), with room for a loaded 2-core machine and sanitizers.
constexpr milliseconds kServedBound{1500};

constexpr const char* kToken = "hardening-token";

// ---- a raw HTTP/1.1 connection -------------------------------------------------------------

struct RawResponse {
  int status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased
  std::string body;

  std::optional<std::string> header(std::string_view name) const {
    for (const auto& [k, v] : headers) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
  bool says_close() const {
    auto c = header("connection");
    if (!c) return false;
    std::string v = *c;
    for (char& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    return v.find("close") != std::string::npos;
  }
};

enum class Read { kResponse, kClosed, kReset, kTimeout, kMalformed };

const char* to_string(Read r) {
  switch (r) {
    case Read::kResponse:
      return "a response";
    case Read::kClosed:
      return "the connection closed (EOF)";
    case Read::kReset:
      return "the connection reset";
    case Read::kTimeout:
      return "no answer before the deadline (a hang)";
    case Read::kMalformed:
      return "bytes that are not an HTTP response";
  }
  return "?";
}

// So that gtest prints the outcome by name.
void PrintTo(Read r, std::ostream* os) { *os << to_string(r); }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

// Parses a decimal without sign; nullopt for anything else.
std::optional<std::size_t> parse_size(std::string_view s, int base = 10) {
  if (s.empty() || s.size() > 15) return std::nullopt;
  std::size_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9')
      d = c - '0';
    else if (base == 16 && c >= 'a' && c <= 'f')
      d = c - 'a' + 10;
    else if (base == 16 && c >= 'A' && c <= 'F')
      d = c - 'A' + 10;
    else
      return std::nullopt;
    v = v * static_cast<std::size_t>(base) + static_cast<std::size_t>(d);
  }
  return v;
}

class RawConn {
 public:
  explicit RawConn(int port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return;
    int yes = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &yes, sizeof(yes));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    // Blocking connect: the listen backlog accepts it at once even when no thread serves it.
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd_);
      fd_ = -1;
    }
  }
  ~RawConn() { Close(); }
  RawConn(const RawConn&) = delete;
  RawConn& operator=(const RawConn&) = delete;

  bool ok() const { return fd_ >= 0; }
  void Close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  bool Send(std::string_view bytes) {
    std::size_t off = 0;
    auto until = SteadyClock::now() + kDeadline;
    while (off < bytes.size()) {
      ssize_t n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n > 0) {
        off += static_cast<std::size_t>(n);
        continue;
      }
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
        if (!WaitFor(POLLOUT, until)) return false;
        continue;
      }
      return false;
    }
    return true;
  }

  // Reads one response (1xx interim answers are skipped), waiting at most `deadline`.
  Read ReadResponse(RawResponse& out, milliseconds deadline = kDeadline) {
    return Read1(out, SteadyClock::now() + deadline, true);
  }

  // Reads one response's head only: the answer to a HEAD request, whose Content-Length
  // announces a body that is not sent.
  Read ReadHead(RawResponse& out, milliseconds deadline = kDeadline) {
    return Read1(out, SteadyClock::now() + deadline, false);
  }

  // After an answer: what the connection does next within `deadline`. kClosed or kReset when
  // the server ended it; kResponse when more bytes came (a second answer: the server read the
  // rest of the refused message as a request); kTimeout when it stayed open.
  Read WaitClosed(std::string* extra, milliseconds deadline = kDeadline) {
    auto until = SteadyClock::now() + deadline;
    if (!buf_.empty()) {
      if (extra) *extra = buf_;
      return Read::kResponse;
    }
    Read r = Fill(until);
    if (r == Read::kResponse && extra) *extra = buf_;
    return r;
  }

  // Segments with data this socket has received so far (TCP_INFO), nullopt when unknown.
  std::optional<std::uint32_t> DataSegmentsIn() const {
    tcp_info info{};
    socklen_t len = sizeof(info);
    if (::getsockopt(fd_, IPPROTO_TCP, TCP_INFO, &info, &len) != 0 ||
        len < offsetof(tcp_info, tcpi_data_segs_in) + sizeof(info.tcpi_data_segs_in)) {
      return std::nullopt;
    }
    return info.tcpi_data_segs_in;
  }

 private:
  Read Read1(RawResponse& out, SteadyClock::time_point until, bool with_body) {
    for (;;) {
      out = RawResponse{};
      std::size_t head_end;
      for (;;) {
        head_end = buf_.find("\r\n\r\n");
        if (head_end != std::string::npos) break;
        if (buf_.size() > 65536) return Read::kMalformed;
        Read r = Fill(until);
        if (r == Read::kTimeout || buf_.empty()) return r;
        if (r != Read::kResponse) return Read::kMalformed;  // ended inside a response head
      }
      std::string head = buf_.substr(0, head_end);
      buf_.erase(0, head_end + 4);
      std::size_t line_end = head.find("\r\n");
      std::string status_line = head.substr(0, line_end);
      if (status_line.rfind("HTTP/1.", 0) != 0 || status_line.size() < 12) return Read::kMalformed;
      auto code = parse_size(std::string_view(status_line).substr(9, 3));
      if (!code) return Read::kMalformed;
      out.status = static_cast<int>(*code);
      std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        std::size_t e = head.find("\r\n", pos);
        if (e == std::string::npos) e = head.size();
        std::string line = head.substr(pos, e - pos);
        pos = e + 2;
        auto colon = line.find(':');
        if (colon == std::string::npos) return Read::kMalformed;
        out.headers.emplace_back(lower(line.substr(0, colon)), trim(line.substr(colon + 1)));
      }
      if (out.status >= 100 && out.status < 200) continue;  // 100 Continue and friends
      if (!with_body || out.status == 204 || out.status == 304) return Read::kResponse;
      if (auto te = out.header("transfer-encoding"); te && lower(*te) == "chunked") {
        return ReadChunked(out, until);
      }
      if (auto cl = out.header("content-length")) {
        auto len = parse_size(*cl);
        if (!len) return Read::kMalformed;
        while (buf_.size() < *len) {
          Read r = Fill(until);
          if (r != Read::kResponse) return r;
        }
        out.body = buf_.substr(0, *len);
        buf_.erase(0, *len);
        return Read::kResponse;
      }
      // No length: the body runs to the end of the connection.
      for (;;) {
        Read r = Fill(until);
        if (r == Read::kClosed || r == Read::kReset) break;
        if (r != Read::kResponse) return r;
      }
      out.body = std::move(buf_);
      buf_.clear();
      return Read::kResponse;
    }
  }

  bool WaitFor(short events, SteadyClock::time_point until) {
    auto left = std::chrono::duration_cast<milliseconds>(until - SteadyClock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, events, 0};
    int n = ::poll(&p, 1, static_cast<int>(left));
    return n > 0;
  }

  // Appends what arrives before `until`: kResponse when bytes came.
  Read Fill(SteadyClock::time_point until) {
    for (;;) {
      if (!WaitFor(POLLIN, until)) return Read::kTimeout;
      char tmp[16384];
      ssize_t n = ::recv(fd_, tmp, sizeof tmp, 0);
      if (n > 0) {
        buf_.append(tmp, static_cast<std::size_t>(n));
        return Read::kResponse;
      }
      if (n == 0) return Read::kClosed;
      if (errno == EINTR || errno == EAGAIN) continue;
      return Read::kReset;
    }
  }

  Read ReadChunked(RawResponse& out, SteadyClock::time_point until) {
    for (;;) {
      std::size_t e;
      while ((e = buf_.find("\r\n")) == std::string::npos) {
        Read r = Fill(until);
        if (r != Read::kResponse) return r;
      }
      std::string size_line = buf_.substr(0, e);
      auto semi = size_line.find(';');
      auto len = parse_size(size_line.substr(0, semi), 16);
      if (!len) return Read::kMalformed;
      buf_.erase(0, e + 2);
      while (buf_.size() < *len + 2) {
        Read r = Fill(until);
        if (r != Read::kResponse) return r;
      }
      out.body += buf_.substr(0, *len);
      buf_.erase(0, *len + 2);
      if (*len == 0) return Read::kResponse;  // no trailers are sent by the fake
    }
  }

  int fd_ = -1;
  std::string buf_;
};

// ---- request builders ------------------------------------------------------------------------

// A request with Host and the token; `headers` are raw header lines, each ending in "\r\n".
std::string Http(std::string_view method, std::string_view target, std::string_view headers = "",
                 std::string_view body = "") {
  std::string s;
  s += method;
  s += ' ';
  s += target;
  s += " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ";
  s += kToken;
  s += "\r\n";
  s += headers;
  s += "\r\n";
  s += body;
  return s;
}

std::string AddBody(std::string_view key) {
  return Json{{"uniqueKey", std::string(key)}, {"url", "http://example.com/" + std::string(key)}}
      .dump();
}

std::string Gzip(const std::string& in, int window_bits) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  std::string out(deflateBound(&zs, static_cast<uLong>(in.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

// ---- the fixture -------------------------------------------------------------------------------

class FakeServerHardeningTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // 500 + 500 client sockets and as many on the server side: lift the descriptor limit.
    rlimit rl{};
    if (::getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
      rl.rlim_cur = rl.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &rl);
    }
    FakeServerOptions o;  // the shipped transport settings: threads, timeouts, backlog
    o.store.rate_limits.enabled = false;
    o.users = {User{"HardeningUser0001", "hardening", kToken}};
    server_ = std::make_unique<FakeServer>(std::move(o));
    auto st = server_->start();
    ASSERT_TRUE(st) << st.error().message;
    port_ = server_->port();
    RawConn c(port_);
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE(c.Send(Http("POST", "/v2/request-queues?name=hardening", "Content-Length: 0\r\n")));
    RawResponse r;
    ASSERT_EQ(c.ReadResponse(r), Read::kResponse);
    ASSERT_EQ(r.status, 201) << r.body;
    Json j = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object() && j.contains("data") && j["data"].contains("id")) << r.body;
    queue_ = j["data"]["id"].get<std::string>();
  }

  void TearDown() override {
    if (server_) server_->stop();
  }

  std::string Requests() const { return "/v2/request-queues/" + queue_ + "/requests"; }

  // Sends `bytes` on a new connection and reads the answer; fails the test on anything but an
  // answer before the deadline.
  std::unique_ptr<RawConn> SendAndRead(const std::string& bytes, RawResponse& out) {
    auto c = std::make_unique<RawConn>(port_);
    EXPECT_TRUE(c->ok());
    EXPECT_TRUE(c->Send(bytes));
    Read r = c->ReadResponse(out);
    EXPECT_EQ(r, Read::kResponse) << "expected an answer, got " << to_string(r);
    return c;
  }

  // The error envelope: {"error":{"type","message"}} with non-empty strings, JSON content type.
  static void ExpectEnvelope(const RawResponse& r) {
    auto ct = r.header("content-type");
    ASSERT_TRUE(ct.has_value()) << "no Content-Type; body: " << r.body.substr(0, 300);
    EXPECT_EQ(lower(*ct).rfind("application/json", 0), 0u) << *ct;
    Json j = Json::parse(r.body, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "body is not a JSON object: " << r.body.substr(0, 300);
    ASSERT_TRUE(j.contains("error") && j["error"].is_object()) << r.body.substr(0, 300);
    ASSERT_TRUE(j["error"].contains("type") && j["error"]["type"].is_string()) << r.body;
    ASSERT_TRUE(j["error"].contains("message") && j["error"]["message"].is_string()) << r.body;
    EXPECT_FALSE(j["error"]["type"].get<std::string>().empty());
    EXPECT_FALSE(j["error"]["message"].get<std::string>().empty());
  }

  // The answer to an ambiguous framing: `status` with the envelope, then the connection ends
  // without a second answer. The server must close gracefully (shutdown for writing, drain what
  // the client still sends, then close): a close with unread bytes sends an RST that can destroy
  // the answer before this client reads it.
  void ExpectRefusedAndClosed(const std::string& bytes, int status = 400) {
    RawResponse r;
    auto c = SendAndRead(bytes, r);
    if (r.status == 0) return;  // no answer: already reported
    EXPECT_EQ(r.status, status) << "body: " << r.body.substr(0, 300);
    ExpectEnvelope(r);
    std::string extra;
    Read next = c->WaitClosed(&extra);
    EXPECT_TRUE(next == Read::kClosed || next == Read::kReset)
        << "after the " << r.status << " the connection should end; got " << to_string(next)
        << (extra.empty() ? "" : ": " + extra.substr(0, 200));
  }

  // Sends a request that must be refused with one of `statuses` and the envelope.
  RawResponse ExpectRefused(const std::string& bytes, std::initializer_list<int> statuses) {
    RawResponse r;
    auto c = SendAndRead(bytes, r);
    if (r.status == 0) return r;
    EXPECT_NE(std::find(statuses.begin(), statuses.end(), r.status), statuses.end())
        << "status " << r.status << ", body: " << r.body.substr(0, 300);
    ExpectEnvelope(r);
    return r;
  }

  // A well-formed add on a new connection must still work (the server survived the case).
  void ExpectServerStillServes() {
    RawResponse r;
    std::string body = AddBody("still-serving");
    SendAndRead(Http("POST", Requests(),
                     "Content-Type: application/json\r\nContent-Length: " +
                         std::to_string(body.size()) + "\r\n",
                     body),
                r);
    EXPECT_TRUE(r.status == 201) << r.status << " " << r.body.substr(0, 300);
  }

  std::unique_ptr<FakeServer> server_;
  int port_ = 0;
  std::string queue_;
};

std::string JsonHeaders(std::string_view content_length_lines) {
  return "Content-Type: application/json\r\n" + std::string(content_length_lines);
}

// ---- Content-Length ------------------------------------------------------------------------

// RFC 9112 6.3: different Content-Length values make the framing unknowable; a proxy in front
// may pick the other one (request smuggling).
TEST_F(FakeServerHardeningTest, TwoDifferentContentLengthsAreRefused) {
  std::string body = AddBody("cl-two");
  std::string cl = std::to_string(body.size());
  ExpectRefusedAndClosed(Http("POST", Requests(),
                              JsonHeaders("Content-Length: " + cl + "\r\nContent-Length: 5\r\n"),
                              body));
}

// The family: equal duplicates. RFC 9112 6.3 lets a recipient either refuse them or collapse
// them; the fake refuses (one rule for every repeated framing header, and no proxy disagrees
// with a refusal).
TEST_F(FakeServerHardeningTest, TwoEqualContentLengthsAreRefused) {
  std::string body = AddBody("cl-equal");
  std::string cl = std::to_string(body.size());
  ExpectRefusedAndClosed(
      Http("POST", Requests(),
           JsonHeaders("Content-Length: " + cl + "\r\nContent-Length: " + cl + "\r\n"), body));
}

// A list in one field ("44, 44") is the same case in one line.
TEST_F(FakeServerHardeningTest, ContentLengthListIsRefused) {
  std::string body = AddBody("cl-list");
  std::string cl = std::to_string(body.size());
  ExpectRefusedAndClosed(
      Http("POST", Requests(), JsonHeaders("Content-Length: " + cl + ", " + cl + "\r\n"), body));
}

// Content-Length = 1*DIGIT (RFC 9110 8.6): no sign.
TEST_F(FakeServerHardeningTest, ContentLengthWithPlusSignIsRefused) {
  std::string body = AddBody("cl-plus");
  ExpectRefusedAndClosed(
      Http("POST", Requests(),
           JsonHeaders("Content-Length: +" + std::to_string(body.size()) + "\r\n"), body));
}

// Leading zeros are digits, but parsers disagree on them (some read octal, some refuse): the
// fake refuses rather than guess what a proxy in front decided.
TEST_F(FakeServerHardeningTest, ContentLengthWithLeadingZerosIsRefused) {
  std::string body = AddBody("cl-zeros");
  ExpectRefusedAndClosed(
      Http("POST", Requests(),
           JsonHeaders("Content-Length: 00" + std::to_string(body.size()) + "\r\n"), body));
}

// Before the fix: no answer at all (the server waited for 2^64-1 bytes until its read timeout).
TEST_F(FakeServerHardeningTest, NegativeContentLengthIsRefusedAtOnce) {
  ExpectRefusedAndClosed(Http("POST", Requests(), JsonHeaders("Content-Length: -1\r\n"), "{}"));
}

TEST_F(FakeServerHardeningTest, NonNumericContentLengthIsRefused) {
  for (const char* value : {"abc", "12abc", "1 2", "0x10", "1.5"}) {
    SCOPED_TRACE(value);
    ExpectRefusedAndClosed(Http(
        "POST", Requests(), JsonHeaders(std::string("Content-Length: ") + value + "\r\n"), "{}"));
  }
}

TEST_F(FakeServerHardeningTest, EmptyContentLengthIsRefused) {
  ExpectRefusedAndClosed(Http("POST", Requests(), JsonHeaders("Content-Length:\r\n"), "{}"));
}

// A length no body can have: 413 (the payload limit, decision 16) with the envelope, at once,
// and the connection closed because the body is not read.
TEST_F(FakeServerHardeningTest, OverflowingContentLengthIsRefusedAtOnce) {
  ExpectRefusedAndClosed(
      Http("POST", Requests(), JsonHeaders("Content-Length: 99999999999999999999999\r\n"), "{}"),
      413);
}

// ---- Transfer-Encoding -----------------------------------------------------------------------

// RFC 9112 6.1: a request with both is a smuggling signature; a server may refuse it, and the
// fake does.
TEST_F(FakeServerHardeningTest, ContentLengthWithTransferEncodingIsRefused) {
  ExpectRefusedAndClosed(Http("POST", Requests(),
                              JsonHeaders("Content-Length: 5\r\nTransfer-Encoding: chunked\r\n"),
                              "0\r\n\r\n"));
}

// Before the fix: no answer for 10 s and more (httplib compares the whole field with "chunked",
// so it read the body "until the connection closes"). A coding the fake does not implement:
// 501 (RFC 9112 6.1 SHOULD) or 400, with the envelope, and the connection closed.
TEST_F(FakeServerHardeningTest, GzipChunkedTransferEncodingIsRefusedAtOnce) {
  RawResponse r;
  auto c = SendAndRead(
      Http("POST", Requests(), JsonHeaders("Transfer-Encoding: gzip, chunked\r\n"), "0\r\n\r\n"),
      r);
  if (r.status == 0) return;
  EXPECT_TRUE(r.status == 400 || r.status == 501) << r.status << " " << r.body.substr(0, 300);
  ExpectEnvelope(r);
  Read next = c->WaitClosed(nullptr);
  EXPECT_TRUE(next == Read::kClosed || next == Read::kReset) << to_string(next);
}

TEST_F(FakeServerHardeningTest, UnknownTransferEncodingIsRefusedAtOnce) {
  for (const char* te : {"identity", "foo", "chunked, chunked", "chunked;q=1"}) {
    SCOPED_TRACE(te);
    RawResponse r;
    auto c = SendAndRead(
        Http("POST", Requests(), JsonHeaders(std::string("Transfer-Encoding: ") + te + "\r\n"),
             "0\r\n\r\n"),
        r);
    if (r.status == 0) continue;
    EXPECT_TRUE(r.status == 400 || r.status == 501) << r.status << " " << r.body.substr(0, 300);
    ExpectEnvelope(r);
    Read next = c->WaitClosed(nullptr);
    EXPECT_TRUE(next == Read::kClosed || next == Read::kReset) << to_string(next);
  }
}

TEST_F(FakeServerHardeningTest, TwoTransferEncodingFieldsAreRefused) {
  ExpectRefusedAndClosed(Http(
      "POST", Requests(),
      JsonHeaders("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"), "0\r\n\r\n"));
}

// A well-formed chunked body (with a chunk extension) is accepted: the strictness must not
// refuse valid framing.
TEST_F(FakeServerHardeningTest, ValidChunkedBodyIsAccepted) {
  std::string body = AddBody("chunked-ok");
  std::string a = body.substr(0, 10), b = body.substr(10);
  char sa[16], sb[16];
  std::snprintf(sa, sizeof sa, "%zx", a.size());
  std::snprintf(sb, sizeof sb, "%zx", b.size());
  std::string framed =
      std::string(sa) + ";ext=1\r\n" + a + "\r\n" + sb + "\r\n" + b + "\r\n0\r\n\r\n";
  RawResponse r;
  SendAndRead(Http("POST", Requests(), JsonHeaders("Transfer-Encoding: chunked\r\n"), framed), r);
  EXPECT_EQ(r.status, 201) << r.body.substr(0, 300);
}

// chunk-size = 1*HEXDIG (RFC 9112 7.1): no sign, no "0x", no garbage, no overflow.
TEST_F(FakeServerHardeningTest, ChunkedBodyWithBadSizeIsRefused) {
  for (const char* size : {"zz", "-5", "+5", "0x5", "ffffffffffffffffffff", " 5", ""}) {
    SCOPED_TRACE(std::string("chunk size \"") + size + "\"");
    ExpectRefusedAndClosed(Http("POST", Requests(), JsonHeaders("Transfer-Encoding: chunked\r\n"),
                                std::string(size) + "\r\n{}\r\n0\r\n\r\n"));
  }
}

// Chunk data longer than its size: the bytes after it are not a CRLF. Before the fix httplib
// stopped reading, took "hello" as the body and left the rest for the next "request".
TEST_F(FakeServerHardeningTest, ChunkDataLongerThanItsSizeIsRefused) {
  ExpectRefusedAndClosed(Http("POST", Requests(), JsonHeaders("Transfer-Encoding: chunked\r\n"),
                              "2\r\n{}EXTRA\r\n0\r\n\r\n"));
}

// ---- header lines ------------------------------------------------------------------------------

// RFC 9112 5: field-line = field-name ":" OWS field-value OWS. Before the fix httplib skipped the
// line without a word.
TEST_F(FakeServerHardeningTest, HeaderLineWithoutColonIsRefused) {
  std::string body = AddBody("no-colon");
  ExpectRefusedAndClosed(Http("POST", Requests(),
                              JsonHeaders("X-Broken header line\r\nContent-Length: " +
                                          std::to_string(body.size()) + "\r\n"),
                              body));
}

// RFC 9112 5.1: "A server MUST reject, with a response status code of 400, any received request
// message that contains whitespace between a header field name and colon."
TEST_F(FakeServerHardeningTest, SpaceBeforeColonIsRefused) {
  std::string body = AddBody("space-colon");
  ExpectRefusedAndClosed(Http(
      "POST", Requests(),
      "Content-Type: application/json\r\nContent-Length : " + std::to_string(body.size()) + "\r\n",
      body));
}

// RFC 9112 5.2: obs-fold in a request: reject with 400 (or unfold; the fake rejects).
TEST_F(FakeServerHardeningTest, ObsFoldIsRefused) {
  std::string body = AddBody("obs-fold");
  ExpectRefusedAndClosed(Http("POST", Requests(),
                              JsonHeaders("X-Folded: first\r\n  second\r\nContent-Length: " +
                                          std::to_string(body.size()) + "\r\n"),
                              body));
}

// RFC 9110 5.5: NUL, CR and LF are never allowed in a field value.
TEST_F(FakeServerHardeningTest, NulInHeaderValueIsRefused) {
  std::string line = std::string("X-Nul: a") + '\0' + "b\r\n";
  ExpectRefusedAndClosed(Http("GET", "/v2/request-queues/" + queue_, line));
}

TEST_F(FakeServerHardeningTest, BareCarriageReturnInHeaderValueIsRefused) {
  ExpectRefusedAndClosed(Http("GET", "/v2/request-queues/" + queue_, "X-Cr: a\rb\r\n"));
}

// field-name = token (RFC 9110 5.1): no NUL, no space, no separators.
TEST_F(FakeServerHardeningTest, NulInHeaderNameIsRefused) {
  std::string line = std::string("X-N") + '\0' + "ul: a\r\n";
  ExpectRefusedAndClosed(Http("GET", "/v2/request-queues/" + queue_, line));
}

TEST_F(FakeServerHardeningTest, SeparatorInHeaderNameIsRefused) {
  ExpectRefusedAndClosed(Http("GET", "/v2/request-queues/" + queue_, "X(Bad): a\r\n"));
}

// The method is a token too.
TEST_F(FakeServerHardeningTest, NulInMethodIsRefused) {
  ExpectRefusedAndClosed(Http(std::string("GE") + '\0' + "T", "/v2/request-queues/" + queue_));
}

// A bare LF as the line end: RFC 9112 2.2 lets a server accept it, but only if it does so for
// the whole message; httplib skipped such lines as "invalid". Either every line counts (200) or
// the request is refused (400): never a request answered with a header silently dropped.
TEST_F(FakeServerHardeningTest, BareLfLineEndIsNotSilentlyDropped) {
  std::string req = "GET /v2/request-queues/" + queue_ +
                    " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + kToken +
                    "\r\nX-Lf: a\nContent-Length: 0\r\n\r\n";
  RawResponse r;
  SendAndRead(req, r);
  EXPECT_EQ(r.status, 400) << r.body.substr(0, 300);
  if (r.status >= 400) ExpectEnvelope(r);
}

// ---- the request line ---------------------------------------------------------------------------

// origin-form starts with "/" (RFC 9112 3.2.1). Before the fix "v2/request-queues/..." was
// routed as if it had one.
TEST_F(FakeServerHardeningTest, TargetWithoutLeadingSlashIsRefused) {
  ExpectRefusedAndClosed(Http("GET", "v2/request-queues/" + queue_));
}

TEST_F(FakeServerHardeningTest, UnsupportedHttpVersionIsRefused) {
  for (const char* version : {"HTTP/2.0", "HTTP/1.2", "HTTP/1", "http/1.1"}) {
    SCOPED_TRACE(version);
    std::string req = "GET /v2/request-queues/" + queue_ + " " + version +
                      "\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + kToken + "\r\n\r\n";
    RawResponse r;
    auto c = SendAndRead(req, r);
    if (r.status == 0) continue;
    EXPECT_TRUE(r.status == 400 || r.status == 505) << r.status;
    ExpectEnvelope(r);
  }
}

// The request line and the head are bounded, and the bound is applied as bytes arrive: httplib
// read a line of any length into memory (its 8192-byte URI limit was checked only after the
// line ended), so a client could send an endless line.
TEST_F(FakeServerHardeningTest, EndlessRequestLineIsRefusedAtOnce) {
  RawResponse r;
  auto c = SendAndRead("GET /v2/request-queues/" + std::string(64 * 1024, 'a'), r);
  if (r.status == 0) return;
  EXPECT_TRUE(r.status == 414 || r.status == 400 || r.status == 431) << r.status;
  ExpectEnvelope(r);
  Read next = c->WaitClosed(nullptr);
  EXPECT_TRUE(next == Read::kClosed || next == Read::kReset) << to_string(next);
}

TEST_F(FakeServerHardeningTest, EndlessHeaderLineIsRefusedAtOnce) {
  RawResponse r;
  auto c = SendAndRead("GET /v2/request-queues/" + queue_ +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Long: " + std::string(64 * 1024, 'a'),
                       r);
  if (r.status == 0) return;
  EXPECT_TRUE(r.status == 431 || r.status == 400) << r.status;
  ExpectEnvelope(r);
  Read next = c->WaitClosed(nullptr);
  EXPECT_TRUE(next == Read::kClosed || next == Read::kReset) << to_string(next);
}

// httplib kept any number of header lines (each up to 8192 bytes): 10,000 of them is a 200 KB
// head held in memory per connection. 431 (RFC 6585) or 400, with the envelope.
TEST_F(FakeServerHardeningTest, HugeHeaderSectionIsRefused) {
  std::string headers;
  for (int i = 0; i < 10000; ++i) headers += "X-H" + std::to_string(i) + ": v\r\n";
  RawResponse r = ExpectRefused(Http("GET", "/v2/request-queues/" + queue_, headers), {400, 431});
}

// ---- methods ------------------------------------------------------------------------------------

// Before the fix: 400 invalid-request. TRACE is a method the fake does not serve on any path:
// 405 (with Allow) or 501, with the envelope.
TEST_F(FakeServerHardeningTest, TraceIsAnswered405Or501) {
  RawResponse r = ExpectRefused(Http("TRACE", "/v2/request-queues/" + queue_), {405, 501});
  if (r.status == 405) {
    EXPECT_TRUE(r.header("allow").has_value());
  }
}

TEST_F(FakeServerHardeningTest, ConnectIsAnswered405Or501) {
  ExpectRefused(Http("CONNECT", "/v2/request-queues/" + queue_), {405, 501});
}

// A method httplib does not know at all (its request-line parser refused it): 501 with the
// envelope (RFC 9110 9.1: an unrecognized method SHOULD be 501).
TEST_F(FakeServerHardeningTest, UnknownMethodIsAnswered501) {
  for (const char* m : {"FOO", "PROPFIND", "get"}) {
    SCOPED_TRACE(m);
    ExpectRefused(Http(m, "/v2/request-queues/" + queue_), {405, 501});
  }
}

// ---- bodies ------------------------------------------------------------------------------------

// Content-Encoding: deflate means the zlib format (RFC 9110 8.4.1.2); a gzip stream under that
// label is mislabelled. Before the fix zlib's auto-detection accepted it.
TEST_F(FakeServerHardeningTest, DeflateLabelOnGzipBodyIsRefused) {
  std::string gz = Gzip(AddBody("deflate-label"), 31);
  RawResponse r = ExpectRefused(Http("POST", Requests(),
                                     JsonHeaders("Content-Encoding: deflate\r\nContent-Length: " +
                                                 std::to_string(gz.size()) + "\r\n"),
                                     gz),
                                {400});
}

// The honest labels still work.
TEST_F(FakeServerHardeningTest, DeflateAndGzipLabelsOnTheirFormatsAreAccepted) {
  std::string z = Gzip(AddBody("deflate-ok"), 15);
  RawResponse r;
  SendAndRead(Http("POST", Requests(),
                   JsonHeaders("Content-Encoding: deflate\r\nContent-Length: " +
                               std::to_string(z.size()) + "\r\n"),
                   z),
              r);
  EXPECT_EQ(r.status, 201) << r.body.substr(0, 300);
  std::string gz = Gzip(AddBody("gzip-ok"), 31);
  SendAndRead(Http("POST", Requests(),
                   JsonHeaders("Content-Encoding: gzip\r\nContent-Length: " +
                               std::to_string(gz.size()) + "\r\n"),
                   gz),
              r);
  EXPECT_EQ(r.status, 201) << r.body.substr(0, 300);
}

// JSON text ends at its last token (RFC 8259): a NUL after it is not whitespace.
TEST_F(FakeServerHardeningTest, JsonFollowedByNulIsRefused) {
  std::string body = AddBody("json-nul") + std::string(1, '\0');
  RawResponse r = ExpectRefused(
      Http("POST", Requests(),
           JsonHeaders("Content-Length: " + std::to_string(body.size()) + "\r\n"), body),
      {400});
}

// Before the fix: 500 internal-server-error (httplib's multipart reader called an empty
// std::function). A body that is not JSON where JSON is required is the documented
// 400 invalid-content-type-header (spec 1), whatever the non-JSON type; nothing is stored.
TEST_F(FakeServerHardeningTest, MultipartBodyIsAnsweredInvalidContentType) {
  std::string body =
      "--b0undary\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--b0undary--\r\n";
  RawResponse r = ExpectRefused(
      Http("POST", Requests(),
           "Content-Type: multipart/form-data; boundary=b0undary\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n",
           body),
      {400});
  EXPECT_NE(r.body.find("invalid-content-type-header"), std::string::npos) << r.body;
  ExpectServerStillServes();
}

// A multipart type without a boundary is the same case, not a 500 or a hang.
TEST_F(FakeServerHardeningTest, MultipartBodyWithoutBoundaryIsAnsweredInvalidContentType) {
  std::string body = "a=1";
  RawResponse r = ExpectRefused(Http("POST", Requests(),
                                     "Content-Type: multipart/form-data\r\nContent-Length: " +
                                         std::to_string(body.size()) + "\r\n",
                                     body),
                                {400});
  EXPECT_NE(r.body.find("invalid-content-type-header"), std::string::npos) << r.body;
}

// A form body: never parsed into query parameters, never a 500; the same 400.
TEST_F(FakeServerHardeningTest, FormUrlencodedBodyIsRefused) {
  std::string body = "uniqueKey=a&url=http%3A%2F%2Fexample.com";
  RawResponse r =
      ExpectRefused(Http("POST", Requests(),
                         "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                             std::to_string(body.size()) + "\r\n",
                         body),
                    {400});
  EXPECT_NE(r.body.find("invalid-content-type-header"), std::string::npos) << r.body;
}

// ---- pipelining ----------------------------------------------------------------------------

// Reads the answers to `n` pipelined requests whose paths are "/v2/pipelined-<i>" (each answers
// 404 naming its path). Either all n come back in order, or an answer says
// "Connection: close" and the connection ends after it; anything else fails.
void ExpectPipelinedAnswers(RawConn& c, int n) {
  int answered = 0;
  for (int i = 0; i < n; ++i) {
    RawResponse r;
    Read got = c.ReadResponse(r);
    ASSERT_EQ(got, Read::kResponse) << "answer " << i + 1 << " of " << n << ": " << to_string(got)
                                    << " after " << answered << " answers";
    ASSERT_EQ(r.status, 404) << "answer " << i + 1 << ": " << r.body.substr(0, 300);
    std::string path = "/v2/pipelined-" + std::to_string(i);
    ASSERT_NE(r.body.find("(" + path + ")"), std::string::npos)
        << "answer " << i + 1 << " is not the answer to " << path << ": " << r.body.substr(0, 300);
    ++answered;
    if (r.says_close()) {
      Read next = c.WaitClosed(nullptr);
      EXPECT_TRUE(next == Read::kClosed || next == Read::kReset)
          << "answer " << i + 1 << " said Connection: close, then " << to_string(next);
      return;
    }
  }
}

std::string PipelinedGets(int n) {
  std::string all;
  for (int i = 0; i < n; ++i) all += Http("GET", "/v2/pipelined-" + std::to_string(i));
  return all;
}

// A small answer leaves in one send: its head waits for the body's first bytes, so the client
// gets one segment and one wake-up per answer, not two (issue 11: a third of a small call's
// cost at 16 connections). A HEAD answer (a head and no body) is sent when the call ends.
TEST_F(FakeServerHardeningTest, EachSmallAnswerArrivesInOneSegment) {
  RawConn c(port_);
  ASSERT_TRUE(c.ok());
  const std::string queue = "/v2/request-queues/" + queue_;
  RawResponse r;
  ASSERT_TRUE(c.Send(Http("GET", queue)));  // the first answer may come after a pure ACK
  ASSERT_EQ(c.ReadResponse(r), Read::kResponse);
  auto before = c.DataSegmentsIn();
  ASSERT_TRUE(before.has_value()) << "TCP_INFO: " << std::strerror(errno);
  constexpr int kAnswers = 20;
  for (int i = 0; i < kAnswers; ++i) {
    const bool head = i % 2 == 1;
    ASSERT_TRUE(c.Send(Http(head ? "HEAD" : "GET", queue)));
    if (head) {
      // No body follows a HEAD answer's Content-Length: read up to the blank line only.
      r = RawResponse{};
      ASSERT_EQ(c.ReadHead(r), Read::kResponse) << "HEAD answer " << i;
    } else {
      ASSERT_EQ(c.ReadResponse(r), Read::kResponse) << "GET answer " << i;
      ASSERT_NE(r.body.find(queue_), std::string::npos) << r.body.substr(0, 300);
    }
    ASSERT_EQ(r.status, 200) << (head ? "HEAD " : "GET ") << i;
  }
  auto after = c.DataSegmentsIn();
  ASSERT_TRUE(after.has_value());
  EXPECT_EQ(*after - *before, static_cast<std::uint32_t>(kAnswers))
      << "segments with data for " << kAnswers
      << " answers (an answer whose head and body are sent "
      << "apart arrives in two)";
}

// Before the fix: one answer, then the connection closed after the keep-alive timeout.
TEST_F(FakeServerHardeningTest, ThreePipelinedGetsAreAnsweredInOrder) {
  RawConn c(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(PipelinedGets(3)));
  ExpectPipelinedAnswers(c, 3);
}

// Before the fix: the second of 100 answered 400 (its first bytes had been read ahead and lost).
TEST_F(FakeServerHardeningTest, HundredPipelinedGetsAreAnsweredInOrder) {
  RawConn c(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(PipelinedGets(100)));
  ExpectPipelinedAnswers(c, 100);
}

// A pipelined POST with a body between two GETs: the body is not taken for a request.
TEST_F(FakeServerHardeningTest, PipelinedPostBodyIsNotReadAsARequest) {
  std::string body = AddBody("pipelined-post");
  std::string bytes =
      Http("GET", "/v2/pipelined-0") +
      Http("POST", Requests(),
           JsonHeaders("Content-Length: " + std::to_string(body.size()) + "\r\n"), body) +
      Http("GET", "/v2/pipelined-2");
  RawConn c(port_);
  ASSERT_TRUE(c.ok());
  ASSERT_TRUE(c.Send(bytes));
  const int want[] = {404, 201, 404};
  for (int i = 0; i < 3; ++i) {
    RawResponse r;
    Read got = c.ReadResponse(r);
    ASSERT_EQ(got, Read::kResponse) << "answer " << i + 1 << ": " << to_string(got);
    ASSERT_EQ(r.status, want[i]) << "answer " << i + 1 << ": " << r.body.substr(0, 300);
    if (r.says_close()) {
      Read next = c.WaitClosed(nullptr);
      EXPECT_TRUE(next == Read::kClosed || next == Read::kReset) << to_string(next);
      return;
    }
  }
}

// ---- starvation ------------------------------------------------------------------------------

// Opens `n` connections; each sends `bytes` (possibly nothing) and stays open.
std::vector<std::unique_ptr<RawConn>> OpenMany(int port, int n, const std::string& bytes) {
  std::vector<std::unique_ptr<RawConn>> conns;
  conns.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) {
    auto c = std::make_unique<RawConn>(port);
    if (!c->ok()) {
      ADD_FAILURE() << "connection " << i << " failed: " << std::strerror(errno);
      break;
    }
    if (!bytes.empty() && !c->Send(bytes)) {
      ADD_FAILURE() << "send on connection " << i << " failed";
      break;
    }
    conns.push_back(std::move(c));
  }
  return conns;
}

// One normal GET on a new connection; returns how long its answer took (nullopt: none in time).
std::optional<milliseconds> TimedGet(int port, const std::string& queue, int* status) {
  auto t0 = SteadyClock::now();
  RawConn c(port);
  if (!c.ok()) return std::nullopt;
  if (!c.Send(Http("GET", "/v2/request-queues/" + queue))) return std::nullopt;
  RawResponse r;
  if (c.ReadResponse(r) != Read::kResponse) return std::nullopt;
  *status = r.status;
  return std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t0);
}

// Before the fix: 5 s (every one of the 256 threads waited out an idle connection's keep-alive
// timeout).
TEST_F(FakeServerHardeningTest, IdleKeepAliveConnectionsDoNotStarveANewClient) {
  auto idle = OpenMany(port_, 500, Http("GET", "/__admin/health"));
  // Let the server take them in (those it answers become idle keep-alive connections).
  std::this_thread::sleep_for(milliseconds(300));
  int status = 0;
  auto took = TimedGet(port_, queue_, &status);
  ASSERT_TRUE(took.has_value()) << "no answer within " << kDeadline.count() << " ms";
  EXPECT_EQ(status, 200);
  EXPECT_LT(took->count(), kServedBound.count()) << "the GET waited " << took->count() << " ms";
  idle.clear();  // closes them, so stopping the server does not wait for them
}

// Before the fix: no answer within 10 s (each unfinished head held a thread for the 30 s read
// timeout).
TEST_F(FakeServerHardeningTest, UnfinishedRequestHeadsDoNotStarveANewClient) {
  auto slow =
      OpenMany(port_, 500, "GET /v2/request-queues HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ");
  std::this_thread::sleep_for(milliseconds(300));
  int status = 0;
  auto took = TimedGet(port_, queue_, &status);
  ASSERT_TRUE(took.has_value()) << "no answer within " << kDeadline.count() << " ms";
  EXPECT_EQ(status, 200);
  EXPECT_LT(took->count(), kServedBound.count()) << "the GET waited " << took->count() << " ms";
  slow.clear();
}

// Connections that never send a byte are the same attack one step earlier.
TEST_F(FakeServerHardeningTest, SilentConnectionsDoNotStarveANewClient) {
  auto silent = OpenMany(port_, 500, "");
  std::this_thread::sleep_for(milliseconds(300));
  int status = 0;
  auto took = TimedGet(port_, queue_, &status);
  ASSERT_TRUE(took.has_value()) << "no answer within " << kDeadline.count() << " ms";
  EXPECT_EQ(status, 200);
  EXPECT_LT(took->count(), kServedBound.count()) << "the GET waited " << took->count() << " ms";
  silent.clear();
}

// ---- the connection cap and the timeouts --------------------------------------------------------

std::unique_ptr<FakeServer> SmallServer(int max_connections, int head_timeout_ms) {
  FakeServerOptions o;
  o.store.rate_limits.enabled = false;
  o.users = {User{"HardeningUser0001", "hardening", kToken}};
  o.max_connections = max_connections;
  o.head_timeout_ms = head_timeout_ms;
  auto s = std::make_unique<FakeServer>(std::move(o));
  EXPECT_TRUE(s->start());
  return s;
}

TEST_F(FakeServerHardeningTest, ConnectionBeyondTheCapIsAnswered503WithRetryAfter) {
  auto small = SmallServer(3, 10000);
  const int port = small->port();
  std::vector<std::unique_ptr<RawConn>> held;
  for (int i = 0; i < 3; ++i) {  // three keep-alive connections, each answered once
    RawResponse r;
    held.push_back(std::make_unique<RawConn>(port));
    ASSERT_TRUE(held.back()->Send(Http("GET", "/__admin/health")));
    ASSERT_EQ(held.back()->ReadResponse(r), Read::kResponse);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  RawConn extra(port);
  ASSERT_TRUE(extra.Send(Http("GET", "/__admin/health")));
  RawResponse r;
  ASSERT_EQ(extra.ReadResponse(r), Read::kResponse);
  EXPECT_EQ(r.status, 503) << r.body;
  ExpectEnvelope(r);
  EXPECT_EQ(r.header("retry-after").value_or(""), "1");
  EXPECT_TRUE(r.says_close());
  Read next = extra.WaitClosed(nullptr);
  EXPECT_TRUE(next == Read::kClosed || next == Read::kReset) << to_string(next);
  // One of the three leaves: a new client is served again.
  held.pop_back();
  int status = 0;
  for (int attempt = 0; attempt < 100 && status != 200; ++attempt) {
    std::this_thread::sleep_for(milliseconds(10));
    RawConn again(port);
    RawResponse a;
    if (again.Send(Http("GET", "/__admin/health")) && again.ReadResponse(a) == Read::kResponse) {
      status = a.status;
    }
  }
  EXPECT_EQ(status, 200);
}

TEST_F(FakeServerHardeningTest, UnfinishedHeadIsAnswered408AfterTheHeadTimeout) {
  auto small = SmallServer(100, 200);
  RawConn c(small->port());
  auto t0 = SteadyClock::now();
  ASSERT_TRUE(c.Send("GET /__admin/health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
  RawResponse r;
  ASSERT_EQ(c.ReadResponse(r), Read::kResponse);
  auto took = std::chrono::duration_cast<milliseconds>(SteadyClock::now() - t0);
  EXPECT_EQ(r.status, 408) << r.body;
  ExpectEnvelope(r);
  EXPECT_GE(took.count(), 150);
  EXPECT_LT(took.count(), 2000);
  Read next = c.WaitClosed(nullptr);
  EXPECT_TRUE(next == Read::kClosed || next == Read::kReset) << to_string(next);
}

}  // namespace
}  // namespace rqcheck::fake
