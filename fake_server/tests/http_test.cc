// FakeServer over HTTP: an in-process server on 127.0.0.1 port 0, driven with httplib::Client (and
// a raw socket where httplib would fix up the request). Covers the 17 endpoints' statuses and
// shapes, auth, the error envelope, body decoding and limits, rate-limit emulation, the admin API
// and concurrent use. Decisions of spec section 9 are named where a test pins one (DECISIONS.md).
#include <arpa/inet.h>
#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/server.h"
#include "test_server.h"

namespace rqcheck::fake {
namespace {

constexpr const char* kAlice = "token-alice";
constexpr const char* kBob = "token-bob";
constexpr std::size_t kLimit = 9437184;

const std::regex kIsoMillisZ(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");

// ---- compression helpers (the client side of decision 17) --------------------------------------

// zlib's deflate: window_bits 31 = gzip framing, 15 = zlib framing ("Content-Encoding: deflate").
std::string Deflate(const std::string& in, int window_bits) {
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

// gzip of `n` zero bytes without holding them in memory.
std::string GzipZeros(std::size_t n) {
  z_stream zs{};
  EXPECT_EQ(deflateInit2(&zs, Z_BEST_COMPRESSION, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY), Z_OK);
  static const std::string zeros(1 << 16, '\0');
  std::string out;
  char buf[1 << 16];
  std::size_t fed = 0;
  int flush = Z_NO_FLUSH;
  do {
    if (zs.avail_in == 0 && fed < n) {
      std::size_t chunk = std::min(zeros.size(), n - fed);
      zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(zeros.data()));
      zs.avail_in = static_cast<uInt>(chunk);
      fed += chunk;
    }
    flush = fed == n && zs.avail_in == 0 ? Z_FINISH : Z_NO_FLUSH;
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    deflate(&zs, flush);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (!(flush == Z_FINISH && zs.avail_out != 0));
  deflateEnd(&zs);
  return out;
}

std::string Brotli(const std::string& in) {
  std::size_t size = BrotliEncoderMaxCompressedSize(in.size());
  std::string out(size, '\0');
  EXPECT_TRUE(BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_TEXT,
                                    in.size(), reinterpret_cast<const uint8_t*>(in.data()), &size,
                                    reinterpret_cast<uint8_t*>(out.data())));
  out.resize(size);
  return out;
}

std::size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  std::size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<std::size_t>(sysconf(_SC_PAGESIZE));
}

// ---- a raw HTTP exchange, for requests httplib would "fix" (it adds a Content-Type)
// ----------------

struct RawResponse {
  int status = 0;
  std::string head, body;
};

RawResponse RawExchange(int port, const std::string& request) {
  RawResponse out;
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return out;
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<std::uint16_t>(port));
  ::inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return out;
  }
  std::size_t sent = 0;
  while (sent < request.size()) {
    ssize_t n = ::send(fd, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  std::string raw;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    raw.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  auto split = raw.find("\r\n\r\n");
  if (split == std::string::npos || raw.size() < 12) return out;
  out.head = raw.substr(0, split);
  out.body = raw.substr(split + 4);
  out.status = std::atoi(raw.substr(9, 3).c_str());
  return out;
}

// ---- the fixture
// -----------------------------------------------------------------------------------

using test_support::ExpectError;

class FakeServerHttpTest : public test_support::FakeServerFixture {
 protected:
  static FakeServerOptions Options() { return BaseOptions(); }

  void SetUp() override { Start(Options()); }

  void TearDown() override {
    client_.reset();
    StopServer();
  }

  void Start(FakeServerOptions o) {
    client_.reset();
    StartServer(std::move(o));
    client_ = NewClient();
  }

  std::unique_ptr<httplib::Client> NewClient() const { return MakeClient(true, 60); }

  // One call. `token` empty: no Authorization header. A body gets Content-Type application/json
  // unless `headers` name one.
  httplib::Result Send(const std::string& method, const std::string& path,
                       const std::string& body = "", httplib::Headers headers = {},
                       const std::string& token = kAlice, httplib::Client* client = nullptr) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = std::move(headers);
    req.body = body;
    if (!token.empty()) req.headers.emplace("Authorization", std::string("Bearer ") + token);
    if (!body.empty() && !req.has_header("Content-Type")) {
      req.headers.emplace("Content-Type", "application/json");
    }
    return (client ? client : client_.get())->send(req);
  }

  std::string CreateQueue(const std::string& token = kAlice, const std::string& name = "") {
    auto r =
        Send("POST", "/v2/request-queues" + (name.empty() ? "" : "?name=" + name), "", {}, token);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 201) << r->body;
    return Body(r)["data"]["id"].get<std::string>();
  }

  // The uniqueKeys of GET head.
  std::vector<std::string> HeadKeys(const std::string& q) {
    auto r = Send("GET", Q(q, "/head?limit=1000"));
    std::vector<std::string> out;
    EXPECT_TRUE(r);
    if (!r) return out;
    EXPECT_EQ(r->status, 200) << r->body;
    Json items = Body(r)["data"]["items"];
    for (const auto& item : items) out.push_back(item["uniqueKey"]);
    return out;
  }

  Json GetQueue(const std::string& q) {
    auto r = Send("GET", Q(q));
    EXPECT_TRUE(r);
    if (!r) return Json();
    EXPECT_EQ(r->status, 200) << r->body;
    return Body(r)["data"];
  }

  std::unique_ptr<httplib::Client> client_;
};

void ExpectIsoDate(const Json& v, const char* what) {
  ASSERT_TRUE(v.is_string()) << what << ": " << v.dump();
  EXPECT_TRUE(std::regex_match(v.get<std::string>(), kIsoMillisZ)) << what << ": " << v;
}

// The RequestQueue object (decision 40: every required field, consoleUrl included).
void ExpectQueueShape(const Json& q) {
  for (const char* k :
       {"id", "userId", "createdAt", "modifiedAt", "accessedAt", "totalRequestCount",
        "handledRequestCount", "pendingRequestCount", "hadMultipleClients", "consoleUrl"}) {
    EXPECT_TRUE(q.contains(k)) << "missing " << k << " in " << q.dump();
  }
  EXPECT_TRUE(is_apify_id(q.value("id", ""))) << q.dump();
  EXPECT_TRUE(is_apify_id(q.value("userId", ""))) << q.dump();
  for (const char* k : {"createdAt", "modifiedAt", "accessedAt"}) ExpectIsoDate(q[k], k);
  EXPECT_TRUE(q["hadMultipleClients"].is_boolean());
  EXPECT_EQ(
      q["totalRequestCount"].get<std::int64_t>(),
      q["handledRequestCount"].get<std::int64_t>() + q["pendingRequestCount"].get<std::int64_t>());
  EXPECT_NE(q["consoleUrl"].get<std::string>().find(q["id"].get<std::string>()), std::string::npos);
}

// ---- the 17 endpoints: status and shape
// -------------------------------------------------------------

TEST_F(FakeServerHttpTest, QueueEndpointsAnswerTheirSuccessStatusAndShape) {
  // (2) create: 201 + Location; the same name again: 200, the same queue.
  auto created = Send("POST", "/v2/request-queues?name=orders");
  ASSERT_STATUS(created, 201);
  Json q = Body(created)["data"];
  ExpectQueueShape(q);
  EXPECT_EQ(q["name"], "orders");
  std::string id = q["id"];
  EXPECT_EQ(created->get_header_value("Location"), "https://api.apify.com/v2/request-queues/" + id);
  EXPECT_FALSE(created->get_header_value("X-RateLimit-Limit").empty());
  auto again = Send("POST", "/v2/request-queues?name=orders");
  ASSERT_STATUS(again, 200);
  EXPECT_EQ(Body(again)["data"]["id"], id);
  auto unnamed = Send("POST", "/v2/request-queues");
  ASSERT_STATUS(unnamed, 201);
  EXPECT_TRUE(Body(unnamed)["data"]["name"].is_null());
  EXPECT_NE(Body(unnamed)["data"]["id"], id);
  // (1) list: named only by default, unnamed with unnamed=1.
  auto list = Send("GET", "/v2/request-queues");
  ASSERT_STATUS(list, 200);
  Json page = Body(list)["data"];
  for (const char* k : {"total", "offset", "limit", "desc", "count", "items"})
    EXPECT_TRUE(page.contains(k)) << k;
  EXPECT_EQ(page["total"], 1);
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["id"], id);
  EXPECT_TRUE(page["items"][0]["username"].is_string());
  auto all = Send("GET", "/v2/request-queues?unnamed=1&desc=true");
  ASSERT_STATUS(all, 200);
  EXPECT_EQ(Body(all)["data"]["total"], 2);
  EXPECT_EQ(Body(all)["data"]["items"][1]["id"], id);  // desc: the first created comes last
  // (3) get.
  auto got = Send("GET", Q(id));
  ASSERT_STATUS(got, 200);
  ExpectQueueShape(Body(got)["data"]);
  EXPECT_EQ(Body(got)["data"]["id"], id);
  // (4) update.
  auto put = Send("PUT", Q(id), R"({"name":"renamed","generalAccess":"ANYONE_WITH_ID_CAN_READ"})");
  ASSERT_STATUS(put, 200);
  EXPECT_EQ(Body(put)["data"]["name"], "renamed");
  EXPECT_EQ(Body(put)["data"]["generalAccess"], "ANYONE_WITH_ID_CAN_READ");
  ExpectQueueShape(Body(put)["data"]);
  // (5) delete: 204, empty body; then 404.
  auto del = Send("DELETE", Q(id));
  ASSERT_STATUS(del, 204);
  EXPECT_TRUE(del->body.empty());
  ExpectError(Send("GET", Q(id)), 404, "record-not-found");
}

TEST_F(FakeServerHttpTest, RequestEndpointsAnswerTheirSuccessStatusAndShape) {
  std::string q = CreateQueue();
  // (6) add: 201 {requestId, wasAlreadyPresent, wasAlreadyHandled}.
  auto add = Send("POST", Q(q, "/requests"), AddBody("a"));
  ASSERT_STATUS(add, 201);
  Json a = Body(add)["data"];
  EXPECT_EQ(a, (Json{{"requestId", request_id_for("a")},
                     {"wasAlreadyPresent", false},
                     {"wasAlreadyHandled", false}}));
  auto dup = Send("POST", Q(q, "/requests"), AddBody("a"));
  ASSERT_STATUS(dup, 201);
  EXPECT_EQ(Body(dup)["data"]["wasAlreadyPresent"], true);
  // (8) batch add: 201 {processedRequests, unprocessedRequests}.
  Json batch = Json::array(
      {Json::parse(AddBody("b")), Json::parse(AddBody("c")), Json::parse(AddBody("a"))});
  auto badd = Send("POST", Q(q, "/requests/batch"), batch.dump());
  ASSERT_STATUS(badd, 201);
  Json bd = Body(badd)["data"];
  ASSERT_EQ(bd["processedRequests"].size(), 3u);
  EXPECT_TRUE(bd["unprocessedRequests"].is_array());
  EXPECT_TRUE(bd["unprocessedRequests"].empty());
  EXPECT_EQ(bd["processedRequests"][0], (Json{{"requestId", request_id_for("b")},
                                              {"uniqueKey", "b"},
                                              {"wasAlreadyPresent", false},
                                              {"wasAlreadyHandled", false}}));
  EXPECT_EQ(bd["processedRequests"][2]["wasAlreadyPresent"], true);
  // (7) list: 200 {items, limit}, no count.
  auto list = Send("GET", Q(q, "/requests?limit=2"));
  ASSERT_STATUS(list, 200);
  Json page = Body(list)["data"];
  EXPECT_EQ(page["limit"], 2);
  EXPECT_EQ(page["items"].size(), 2u);
  EXPECT_TRUE(page.contains("nextCursor"));
  EXPECT_FALSE(page.contains("count"));
  auto next =
      Send("GET", Q(q, "/requests?limit=2&cursor=" + page["nextCursor"].get<std::string>()));
  ASSERT_STATUS(next, 200);
  EXPECT_EQ(Body(next)["data"]["items"].size(), 1u);
  EXPECT_FALSE(Body(next)["data"].contains("nextCursor"));
  // (10) get request: the full stored object.
  auto get = Send("GET", Q(q, "/requests/" + request_id_for("b")));
  ASSERT_STATUS(get, 200);
  Json rb = Body(get)["data"];
  EXPECT_EQ(rb["id"], request_id_for("b"));
  EXPECT_EQ(rb["uniqueKey"], "b");
  EXPECT_EQ(rb["url"], "http://example.com/b");
  // (11) PUT: 200 {requestId, wasAlreadyPresent, wasAlreadyHandled}.
  Json upd = Json::parse(AddBody("b"));
  upd["id"] = request_id_for("b");
  upd["handledAt"] = "2024-01-01T00:00:00.000Z";
  auto put = Send("PUT", Q(q, "/requests/" + request_id_for("b")), upd.dump());
  ASSERT_STATUS(put, 200);
  EXPECT_EQ(Body(put)["data"], (Json{{"requestId", request_id_for("b")},
                                     {"wasAlreadyPresent", true},
                                     {"wasAlreadyHandled", false}}));
  Json qi = GetQueue(q);
  EXPECT_EQ(qi["handledRequestCount"], 1);
  EXPECT_EQ(qi["totalRequestCount"], 3);
  auto get_handled = Send("GET", Q(q, "/requests/" + request_id_for("b")));
  ASSERT_STATUS(get_handled, 200);
  ExpectIsoDate(Body(get_handled)["data"]["handledAt"], "handledAt");
  // (12) delete: 204, empty body.
  auto del = Send("DELETE", Q(q, "/requests/" + request_id_for("c")));
  ASSERT_STATUS(del, 204);
  EXPECT_TRUE(del->body.empty());
  ExpectError(Send("GET", Q(q, "/requests/" + request_id_for("c"))), 404, "record-not-found");
  // (9) batch delete: 200.
  auto bdel = Send("DELETE", Q(q, "/requests/batch"),
                   R"([{"uniqueKey":"a"},{"id":")" + request_id_for("b") + R"("}])");
  ASSERT_STATUS(bdel, 200);
  Json bdd = Body(bdel)["data"];
  ASSERT_EQ(bdd["processedRequests"].size(), 2u);
  EXPECT_EQ(bdd["processedRequests"][0]["uniqueKey"], "a");
  EXPECT_EQ(bdd["processedRequests"][1]["id"], request_id_for("b"));
  EXPECT_TRUE(bdd["unprocessedRequests"].empty());
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 0);
}

TEST_F(FakeServerHttpTest, HeadAndLockEndpointsAnswerTheirSuccessStatusAndShape) {
  std::string q = CreateQueue();
  for (const char* k : {"a", "b", "c"})
    ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody(k)), 201);
  // (13) head: 200.
  auto head = Send("GET", Q(q, "/head?limit=2"));
  ASSERT_STATUS(head, 200);
  Json h = Body(head)["data"];
  EXPECT_EQ(h["limit"], 2);
  ExpectIsoDate(h["queueModifiedAt"], "queueModifiedAt");
  EXPECT_TRUE(h["hadMultipleClients"].is_boolean());
  ASSERT_EQ(h["items"].size(), 2u);
  EXPECT_EQ(h["items"][0]["uniqueKey"], "a");
  EXPECT_EQ(h["items"][0]["id"], request_id_for("a"));
  EXPECT_EQ(h["items"][0]["url"], "http://example.com/a");
  EXPECT_EQ(h["items"][0]["method"], "GET");
  EXPECT_EQ(h["items"][0]["retryCount"], 0);
  EXPECT_FALSE(h["items"][0].contains("lockExpiresAt"));
  // (14) head/lock: 201.
  auto lock = Send("POST", Q(q, "/head/lock?lockSecs=60&limit=2&clientKey=c1"));
  ASSERT_STATUS(lock, 201);
  Json l = Body(lock)["data"];
  EXPECT_EQ(l["lockSecs"], 60);
  EXPECT_EQ(l["clientKey"], "c1");
  EXPECT_EQ(l["queueHasLockedRequests"], true);
  ASSERT_EQ(l["items"].size(), 2u);
  ExpectIsoDate(l["items"][0]["lockExpiresAt"], "lockExpiresAt");
  auto expires = parse_iso8601(l["items"][0]["lockExpiresAt"].get<std::string>());
  ASSERT_TRUE(expires);
  TimeMs now = server_->clock().now_ms();
  EXPECT_NEAR(static_cast<double>(*expires - now), 60'000.0, 5'000.0);
  // (15) prolong: 200 {lockExpiresAt}.
  std::string a = request_id_for("a");
  auto prolong = Send("PUT", Q(q, "/requests/" + a + "/lock?lockSecs=120&clientKey=c1"));
  ASSERT_STATUS(prolong, 200);
  Json p = Body(prolong)["data"];
  ExpectIsoDate(p["lockExpiresAt"], "lockExpiresAt");
  auto prolonged = parse_iso8601(p["lockExpiresAt"].get<std::string>());
  ASSERT_TRUE(prolonged);
  EXPECT_NEAR(static_cast<double>(*prolonged - server_->clock().now_ms()), 120'000.0, 5'000.0);
  // (16) delete lock: 204, empty body; the request is pending again.
  auto dl = Send("DELETE", Q(q, "/requests/" + a + "/lock?clientKey=c1"));
  ASSERT_STATUS(dl, 204);
  EXPECT_TRUE(dl->body.empty());
  EXPECT_EQ(HeadKeys(q), (std::vector<std::string>{"c", "a"}));
  // (17) unlock: 200 {unlockedCount}.
  auto un = Send("POST", Q(q, "/requests/unlock?clientKey=c1"));
  ASSERT_STATUS(un, 200);
  EXPECT_EQ(Body(un)["data"], (Json{{"unlockedCount", 1}}));
  EXPECT_EQ(HeadKeys(q).size(), 3u);
}

TEST_F(FakeServerHttpTest, SuccessAndErrorResponsesCarryXRateLimitLimit) {
  // Decision 37: X-RateLimit-Limit on every response, also with the emulation off.
  std::string q = CreateQueue();
  auto add = Send("POST", Q(q, "/requests"), AddBody("a"));
  ASSERT_STATUS(add, 201);
  EXPECT_EQ(add->get_header_value("X-RateLimit-Limit"), "400");
  auto lock = Send("POST", Q(q, "/head/lock?lockSecs=1"));
  ASSERT_STATUS(lock, 201);
  EXPECT_EQ(lock->get_header_value("X-RateLimit-Limit"), "40");
  auto get = Send("GET", Q(q));
  ASSERT_STATUS(get, 200);
  EXPECT_EQ(get->get_header_value("X-RateLimit-Limit"), "60");
  auto missing = Send("GET", Q(q, "/requests/" + request_id_for("zzz")));
  ExpectError(missing, 404, "record-not-found");
  EXPECT_EQ(missing->get_header_value("X-RateLimit-Limit"), "400");
}

// ---- auth (decisions 12, 13)
// ------------------------------------------------------------------------

TEST_F(FakeServerHttpTest, BearerHeaderAndTokenQueryParamIdentifyTheSameUser) {
  auto created = Send("POST", std::string("/v2/request-queues?token=") + kAlice, "", {}, "");
  ASSERT_STATUS(created, 201);
  std::string q = Body(created)["data"]["id"];
  // The header and the query param are the same user: both may write.
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("via-header")), 201);
  ASSERT_STATUS(
      Send("POST", Q(q, std::string("/requests?token=") + kAlice), AddBody("via-query"), {}, ""),
      201);
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 2);
  EXPECT_EQ(GetQueue(q)["userId"], Body(created)["data"]["userId"]);
}

TEST_F(FakeServerHttpTest, WritesWithoutTokenAreTokenNotProvided) {
  std::string q = CreateQueue();
  ExpectError(Send("POST", "/v2/request-queues", "", {}, ""), 401, "token-not-provided");
  ExpectError(Send("POST", Q(q, "/requests"), AddBody("a"), {}, ""), 401, "token-not-provided");
  ExpectError(Send("POST", Q(q, "/head/lock?lockSecs=60"), "", {}, ""), 401, "token-not-provided");
  ExpectError(Send("DELETE", Q(q), "", {}, ""), 401, "token-not-provided");
  ExpectError(Send("GET", "/v2/request-queues", "", {}, ""), 401, "token-not-provided");
  ExpectError(Send("GET", "/v2/request-queues/~mine", "", {}, ""), 401, "token-not-provided");
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 0);
}

TEST_F(FakeServerHttpTest, ReadsByRawIdWorkWithoutToken) {
  std::string q = CreateQueue();
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  auto get = Send("GET", Q(q), "", {}, "");
  ASSERT_STATUS(get, 200);
  EXPECT_EQ(Body(get)["data"]["totalRequestCount"], 1);
  auto list = Send("GET", Q(q, "/requests"), "", {}, "");
  ASSERT_STATUS(list, 200);
  EXPECT_EQ(Body(list)["data"]["items"].size(), 1u);
  auto req = Send("GET", Q(q, "/requests/" + request_id_for("a")), "", {}, "");
  ASSERT_STATUS(req, 200);
  EXPECT_EQ(Body(req)["data"]["uniqueKey"], "a");
  auto head = Send("GET", Q(q, "/head"), "", {}, "");
  ASSERT_STATUS(head, 200);
  EXPECT_EQ(Body(head)["data"]["items"].size(), 1u);
}

TEST_F(FakeServerHttpTest, FixedUsersRefuseUnknownTokensWithUserOrTokenNotFound) {
  FakeServerOptions o = Options();
  o.users = {User{"", "alice", "tok-a"}, User{"", "bob", "tok-b"}};
  Start(o);
  ExpectError(Send("POST", "/v2/request-queues", "", {}, "tok-unknown"), 401,
              "user-or-token-not-found");
  ExpectError(Send("GET", "/v2/request-queues?token=tok-unknown", "", {}, ""), 401,
              "user-or-token-not-found");
  auto created = Send("POST", "/v2/request-queues?name=shop", "", {}, "tok-a");
  ASSERT_STATUS(created, 201);
  // username~name addressing with the fixed username.
  auto by_name = Send("GET", "/v2/request-queues/alice~shop", "", {}, "tok-a");
  ASSERT_STATUS(by_name, 200);
  EXPECT_EQ(Body(by_name)["data"]["id"], Body(created)["data"]["id"]);
  auto by_own = Send("POST", "/v2/request-queues/~shop/requests", AddBody("x"), {}, "tok-a");
  ASSERT_STATUS(by_own, 201);
  ExpectError(Send("POST", "/v2/request-queues/alice~shop/requests", AddBody("y"), {}, "tok-b"),
              403, "insufficient-permissions");
}

TEST_F(FakeServerHttpTest, TwoTokensAreTwoUsersAndAnotherUsersQueueIsReadOnly) {
  std::string q = CreateQueue(kAlice);
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  ExpectError(Send("POST", Q(q, "/requests"), AddBody("bob"), {}, kBob), 403,
              "insufficient-permissions");
  ExpectError(Send("PUT", Q(q), R"({"name":"stolen"})", {}, kBob), 403, "insufficient-permissions");
  ExpectError(Send("DELETE", Q(q), "", {}, kBob), 403, "insufficient-permissions");
  ExpectError(Send("POST", Q(q, "/head/lock?lockSecs=60"), "", {}, kBob), 403,
              "insufficient-permissions");
  auto read = Send("GET", Q(q), "", {}, kBob);
  ASSERT_STATUS(read, 200);
  EXPECT_EQ(Body(read)["data"]["totalRequestCount"], 1);
  EXPECT_NE(Body(read)["data"]["userId"],
            Body(Send("POST", "/v2/request-queues", "", {}, kBob))["data"]["userId"]);
  // Bob's list of queues does not show Alice's queue.
  auto bobs = Send("GET", "/v2/request-queues?unnamed=1", "", {}, kBob);
  ASSERT_STATUS(bobs, 200);
  Json bobs_items = Body(bobs)["data"]["items"];
  for (const auto& item : bobs_items) EXPECT_NE(item["id"], q);
  // RESTRICTED: Bob's reads are refused too.
  ASSERT_STATUS(Send("PUT", Q(q), R"({"generalAccess":"RESTRICTED"})"), 200);
  ExpectError(Send("GET", Q(q), "", {}, kBob), 403, "insufficient-permissions");
  ExpectError(Send("GET", Q(q, "/requests"), "", {}, kBob), 403, "insufficient-permissions");
}

// ---- the error envelope
// ---------------------------------------------------------------------------

TEST_F(FakeServerHttpTest, UnknownRoutesArePageNotFound) {
  std::string q = CreateQueue();
  ExpectError(Send("GET", "/v2/nothing-here"), 404, "page-not-found");
  ExpectError(Send("POST", "/"), 404, "page-not-found");  // GET / is the dashboard (admin_ui_test)
  ExpectError(Send("GET", "/index.html"), 404, "page-not-found");
  ExpectError(Send("GET", Q(q, "/bogus")), 404, "page-not-found");
  ExpectError(Send("POST", Q(q, "/requests/a/b/c")), 404, "page-not-found");
  ExpectError(Send("GET", "/v1/request-queues"), 404, "page-not-found");
}

TEST_F(FakeServerHttpTest, WrongMethodIs405WithAllowListingTheMethods) {
  std::string q = CreateQueue();
  auto r = Send("PATCH", Q(q), "{}");
  ExpectError(r, 405, "method-not-allowed");
  std::string allow = r->get_header_value("Allow");
  for (const char* m : {"GET", "PUT", "DELETE"}) {
    EXPECT_NE(allow.find(m), std::string::npos) << allow;
    EXPECT_NE(Body(r)["error"]["message"].get<std::string>().find(m), std::string::npos);
  }
  EXPECT_EQ(allow.find("POST"), std::string::npos) << allow;
  auto head_post = Send("POST", Q(q, "/head"));
  ExpectError(head_post, 405, "method-not-allowed");
  EXPECT_NE(head_post->get_header_value("Allow").find("GET"), std::string::npos);
  auto unlock_get = Send("GET", Q(q, "/requests/unlock"));
  ExpectError(unlock_get, 405, "method-not-allowed");
  EXPECT_NE(unlock_get->get_header_value("Allow").find("POST"), std::string::npos);
  auto root_delete = Send("DELETE", "/v2/request-queues");
  ExpectError(root_delete, 405, "method-not-allowed");
  EXPECT_NE(root_delete->get_header_value("Allow").find("POST"), std::string::npos);
  EXPECT_EQ(server_->store().queue_count(), 1u);
}

TEST_F(FakeServerHttpTest, ActorRunAliasesAre501NotImplemented) {
  for (const char* path :
       {"/v2/actor-runs/abcdefghijklmnopq/request-queue",
        "/v2/actor-runs/abcdefghijklmnopq/request-queue/requests",
        "/v2/actors/abc/runs/last/request-queue/head", "/v2/acts/abc/runs/last/request-queue",
        "/v2/actor-tasks/abc/runs/last/request-queue/requests/unlock"}) {
    SCOPED_TRACE(path);
    ExpectError(Send("GET", path), 501, "not-implemented");
  }
}

TEST_F(FakeServerHttpTest, MethodOverrideQueryParamActsAsThatMethod) {
  auto r = Send("GET", "/v2/request-queues?method=POST&name=overridden");
  ASSERT_STATUS(r, 201);
  EXPECT_EQ(Body(r)["data"]["name"], "overridden");
}

TEST_F(FakeServerHttpTest, MalformedBodiesAre400InvalidInput) {
  std::string q = CreateQueue();
  const std::string add = Q(q, "/requests");
  ExpectError(Send("POST", add, R"({"uniqueKey":)"), 400, "invalid-input");
  ExpectError(Send("POST", add, R"({"uniqueKey":"a","url":"u"} trailing)"), 400, "invalid-input");
  ExpectError(Send("POST", add, R"({"uniqueKey":5,"url":"u"})"), 400, "invalid-input");
  ExpectError(Send("POST", add, R"({"uniqueKey":"a","url":["u"]})"), 400, "invalid-input");
  ExpectError(Send("POST", add, R"({"url":"u"})"), 400, "invalid-input");  // decision 1
  ExpectError(Send("POST", add, R"(["not","an","object"])"), 400, "invalid-input");
  ExpectError(Send("POST", add, "{\"uniqueKey\":\"\xff\xfe\",\"url\":\"u\"}"), 400,
              "invalid-input");
  ExpectError(Send("POST", add, std::string(100000, '[')), 400, "invalid-input");
  ExpectError(Send("POST", add, R"({"uniqueKey":"a","url":"u","retryCount":1e400})"), 400,
              "invalid-input");
  ExpectError(
      Send("POST", add, R"({"uniqueKey":"a","url":"u","retryCount":99999999999999999999999})"), 400,
      "invalid-input");
  ExpectError(Send("POST", Q(q, "/requests/batch"), R"({"uniqueKey":"a","url":"u"})"), 400,
              "invalid-input");
  ExpectError(Send("PUT", Q(q), "[]"), 400, "invalid-input");
  // A huge number where any JSON is allowed: either refused or stored and served as valid JSON.
  auto huge =
      Send("POST", add,
           R"({"uniqueKey":"h","url":"u","userData":{"n":123456789012345678901234567890}})");
  ASSERT_TRUE(huge);
  if (huge->status == 201) {
    auto got = Send("GET", Q(q, "/requests/" + request_id_for("h")));
    ASSERT_STATUS(got, 200);
    EXPECT_TRUE(Body(got)["data"]["userData"]["n"].is_number());
  } else {
    ExpectError(huge, 400, "invalid-input");
  }
  // Nothing else was stored, and the server still answers.
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], huge->status == 201 ? 1 : 0);
  ASSERT_STATUS(Send("GET", "/__admin/health"), 200);
}

TEST_F(FakeServerHttpTest, EmptyBodyIs400) {
  std::string q = CreateQueue();
  ExpectError(Send("POST", Q(q, "/requests"), "", {{"Content-Type", "application/json"}}), 400,
              "invalid-input");
  ExpectError(Send("POST", Q(q, "/requests/batch"), "", {{"Content-Type", "application/json"}}),
              400, "invalid-input");
  ExpectError(Send("PUT", Q(q, "/requests/" + request_id_for("a")), "",
                   {{"Content-Type", "application/json"}}),
              400, "invalid-input");
}

TEST_F(FakeServerHttpTest, WrongContentTypeIs400) {
  std::string q = CreateQueue();
  ExpectError(Send("POST", Q(q, "/requests"), AddBody("a"), {{"Content-Type", "text/plain"}}), 400,
              "invalid-content-type-header");
  ExpectError(Send("POST", Q(q, "/requests/batch"), "[" + AddBody("a") + "]",
                   {{"Content-Type", "application/x-www-form-urlencoded"}}),
              400, "invalid-content-type-header");
  // Parameters are fine (+json types are not: WireTest.JsonBodiesNeedContentTypeApplicationJson).
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("b"),
                     {{"Content-Type", "application/json; charset=utf-8"}}),
                201);
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 1);
}

TEST_F(FakeServerHttpTest, BatchDeleteWithoutContentTypeIs400) {
  std::string q = CreateQueue();
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  std::string body = R"([{"uniqueKey":"a"}])";
  // httplib's client adds a Content-Type to every body, so this one goes out by hand.
  RawResponse raw = RawExchange(server_->port(),
                                "DELETE " + Q(q, "/requests/batch") +
                                    " HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                    "Authorization: Bearer " +
                                    kAlice + "\r\nContent-Length: " + std::to_string(body.size()) +
                                    "\r\nConnection: close\r\n\r\n" + body);
  EXPECT_EQ(raw.status, 400) << raw.head << "\n" << raw.body;
  Json j = Json::parse(raw.body, nullptr, false);
  ASSERT_TRUE(j.is_object()) << raw.body;
  EXPECT_EQ(j["error"]["type"], "invalid-content-type-header");
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 1);
  // With the header it works.
  ASSERT_STATUS(Send("DELETE", Q(q, "/requests/batch"), body), 200);
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 0);
}

TEST_F(FakeServerHttpTest, BatchSizeDuplicatesAndAbsentDeletesOverHttp) {
  std::string q = CreateQueue();
  Json big = Json::array();
  for (int i = 0; i < 26; ++i) big.push_back(Json::parse(AddBody("k" + std::to_string(i))));
  ExpectError(Send("POST", Q(q, "/requests/batch"), big.dump()), 400,
              "invalid-input");  // decision 6
  ExpectError(Send("POST", Q(q, "/requests/batch"), "[]"), 400, "invalid-input");
  ExpectError(Send("DELETE", Q(q, "/requests/batch"), "[]"), 400, "invalid-input");
  Json dup = Json::array({Json::parse(AddBody("d")), Json::parse(AddBody("d"))});
  ExpectError(Send("POST", Q(q, "/requests/batch"), dup.dump()), 400,
              "request-queue-duplicate-requests");  // 7
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 0);
  big.erase(big.size() - 1);
  auto ok = Send("POST", Q(q, "/requests/batch"), big.dump());
  ASSERT_STATUS(ok, 201);
  EXPECT_EQ(Body(ok)["data"]["processedRequests"].size(), 25u);
  // Decision 5: deleting an absent request is a 204; absent batch items are processed.
  auto del = Send("DELETE", Q(q, "/requests/" + request_id_for("absent")));
  ASSERT_STATUS(del, 204);
  EXPECT_TRUE(del->body.empty());
  auto bdel =
      Send("DELETE", Q(q, "/requests/batch"), R"([{"uniqueKey":"absent"},{"uniqueKey":"k0"}])");
  ASSERT_STATUS(bdel, 200);
  EXPECT_EQ(Body(bdel)["data"]["processedRequests"].size(), 2u);
  EXPECT_TRUE(Body(bdel)["data"]["unprocessedRequests"].empty());
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 24);
}

// ---- query parameters (decisions 9, 18)
// --------------------------------------------------------------

TEST_F(FakeServerHttpTest, BooleansAcceptTrueFalseOneZeroAndRefuseOthers) {
  std::string q = CreateQueue();
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  ASSERT_STATUS(Send("POST", Q(q, "/requests?forefront=1"), AddBody("b")), 201);
  ASSERT_STATUS(Send("POST", Q(q, "/requests?forefront=true"), AddBody("c")), 201);
  ASSERT_STATUS(Send("POST", Q(q, "/requests?forefront=0"), AddBody("d")), 201);
  ASSERT_STATUS(Send("POST", Q(q, "/requests?forefront=false"), AddBody("e")), 201);
  EXPECT_EQ(HeadKeys(q), (std::vector<std::string>{"c", "b", "a", "d", "e"}));
  for (const char* bad : {"yes", "TRUE", "2", ""}) {
    ExpectError(Send("POST", Q(q, std::string("/requests?forefront=") + bad), AddBody("z")), 400,
                "invalid-parameter");
  }
  ExpectError(Send("GET", "/v2/request-queues?unnamed=maybe"), 400, "invalid-parameter");
  ExpectError(Send("GET", "/v2/request-queues?desc=no"), 400, "invalid-parameter");
  auto named_only = Send("GET", "/v2/request-queues?unnamed=0");
  ASSERT_STATUS(named_only, 200);
  EXPECT_EQ(Body(named_only)["data"]["total"], 0);
  auto with_unnamed = Send("GET", "/v2/request-queues?unnamed=true");
  ASSERT_STATUS(with_unnamed, 200);
  EXPECT_EQ(Body(with_unnamed)["data"]["total"], 1);
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 5);
}

TEST_F(FakeServerHttpTest, LockSecsMissingNegativeOrNotANumberIs400) {
  std::string q = CreateQueue();
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  for (const char* params :
       {"", "?lockSecs=-1", "?lockSecs=abc", "?lockSecs=", "?lockSecs=1e999x"}) {
    ExpectError(Send("POST", Q(q, std::string("/head/lock") + params)), 400, "invalid-parameter");
  }
  EXPECT_EQ(HeadKeys(q), std::vector<std::string>{"a"});  // nothing got locked
  ASSERT_STATUS(Send("POST", Q(q, "/head/lock?lockSecs=60&clientKey=c")), 201);
  std::string a = request_id_for("a");
  for (const char* params :
       {"?clientKey=c", "?clientKey=c&lockSecs=-5", "?clientKey=c&lockSecs=ten"}) {
    ExpectError(Send("PUT", Q(q, "/requests/" + a + "/lock" + params)), 400, "invalid-parameter");
  }
  // Fractions are fine.
  ASSERT_STATUS(Send("PUT", Q(q, "/requests/" + a + "/lock?clientKey=c&lockSecs=2.5")), 200);
}

TEST_F(FakeServerHttpTest, LimitsAndClientKeyAreValidated) {
  std::string q = CreateQueue();
  ExpectError(Send("GET", Q(q, "/requests?limit=abc")), 400, "invalid-parameter");
  ExpectError(Send("GET", Q(q, "/head?limit=-1")), 400, "invalid-parameter");
  ExpectError(Send("GET", Q(q, "/requests?filter=handled")), 400, "invalid-parameter");
  ExpectError(Send("POST", Q(q, "/requests?clientKey=" + std::string(33, 'k')), AddBody("a")), 400,
              "invalid-client-key");
  auto clamped = Send("GET", Q(q, "/requests?limit=50000"));
  ASSERT_STATUS(clamped, 200);
  EXPECT_EQ(Body(clamped)["data"]["limit"], 10000);  // decision 10
  auto lock = Send("POST", Q(q, "/head/lock?lockSecs=10&limit=100"));
  ASSERT_STATUS(lock, 201);
  EXPECT_EQ(Body(lock)["data"]["limit"], 25);
}

// ---- bodies: encodings and size (decisions 16, 17)
// --------------------------------------------------

TEST_F(FakeServerHttpTest, GzipDeflateAndBrotliBodiesAreDecoded) {
  std::string q = CreateQueue();
  struct Case {
    const char* encoding;
    std::string (*encode)(const std::string&);
  };
  const Case cases[] = {
      {"gzip", [](const std::string& s) { return Deflate(s, 31); }},
      {"deflate", [](const std::string& s) { return Deflate(s, 15); }},
      {"br", [](const std::string& s) { return Brotli(s); }},
      {"GZIP", [](const std::string& s) { return Deflate(s, 31); }},
  };
  int n = 0;
  for (const Case& c : cases) {
    std::string uk = std::string("enc-") + c.encoding;
    Json body = {{"uniqueKey", uk},
                 {"url", "http://example.com/" + uk},
                 {"userData", {{"pad", std::string(4000, 'x')}}}};
    std::string encoded = c.encode(body.dump());
    ASSERT_LT(encoded.size(), body.dump().size()) << c.encoding;
    auto r = Send("POST", Q(q, "/requests"), encoded, {{"Content-Encoding", c.encoding}});
    SCOPED_TRACE(std::string("Content-Encoding: ") + c.encoding);
    ASSERT_STATUS(r, 201);
    EXPECT_EQ(Body(r)["data"]["requestId"], request_id_for(uk));
    ++n;
    auto got = Send("GET", Q(q, "/requests/" + request_id_for(uk)));
    ASSERT_STATUS(got, 200);
    EXPECT_EQ(Body(got)["data"]["userData"]["pad"].get<std::string>().size(), 4000u) << c.encoding;
  }
  // A compressed batch too.
  Json batch = Json::array();
  for (int i = 0; i < 25; ++i) batch.push_back(Json::parse(AddBody("batch-" + std::to_string(i))));
  auto b =
      Send("POST", Q(q, "/requests/batch"), Brotli(batch.dump()), {{"Content-Encoding", "br"}});
  ASSERT_STATUS(b, 201);
  EXPECT_EQ(Body(b)["data"]["processedRequests"].size(), 25u);
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], n + 25);
}

TEST_F(FakeServerHttpTest, UnsupportedContentEncodingIs415) {
  std::string q = CreateQueue();
  for (const char* enc : {"bla", "compress", "zstd"}) {
    auto r = Send("POST", Q(q, "/requests"), AddBody("a"), {{"Content-Encoding", enc}});
    ExpectError(r, 415, "unsupported-content-encoding");
    EXPECT_EQ(Body(r)["error"]["message"],
              std::string("Content-Encoding \"") + enc + "\" is not supported.");
    client_ = NewClient();  // the server closes a connection whose body it did not read
  }
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 0);
}

TEST_F(FakeServerHttpTest, BodyOverTheLimitIs413WithTheDocumentedMessage) {
  std::string q = CreateQueue();
  // Exactly at the limit: accepted (padding with JSON whitespace).
  std::string at = AddBody("at-limit");
  at += std::string(kLimit - at.size(), ' ');
  ASSERT_EQ(at.size(), kLimit);
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), at), 201);
  // One byte over: 413 with the documented message.
  std::string over = AddBody("over-limit");
  over += std::string(kLimit + 1 - over.size(), ' ');
  auto r = Send("POST", Q(q, "/requests"), over);
  ExpectError(r, 413, "request-too-large");
  EXPECT_EQ(Body(r)["error"]["message"],
            "The POST payload is too large (limit: 9437184 bytes, actual length: 9437185 bytes).");
  client_ = NewClient();
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 1);
}

TEST_F(FakeServerHttpTest, GzipBombIs413AndMemoryStaysBounded) {
  std::string q = CreateQueue();
  constexpr std::size_t kBomb = 100u << 20;  // 100 MiB of zeros
  std::string bomb = GzipZeros(kBomb);
  ASSERT_LT(bomb.size(), 1u << 20);
  std::size_t before = ResidentBytes();
  auto r = Send("POST", Q(q, "/requests"), bomb, {{"Content-Encoding", "gzip"}});
  ExpectError(r, 413, "request-too-large");
  std::smatch m;
  std::string message = Body(r)["error"]["message"];
  ASSERT_TRUE(std::regex_match(
      message, m,
      std::regex(
          R"(^The POST payload is too large \(limit: 9437184 bytes, actual length: (\d+) bytes\)\.$)")))
      << message;
  EXPECT_GT(std::stoull(m[1].str()), kLimit);
  std::size_t after = ResidentBytes();
  std::printf("gzip bomb: %zu compressed bytes of %zu; resident %zu -> %zu MB\n", bomb.size(),
              kBomb, before >> 20, after >> 20);
  RecordProperty("bomb_rss_growth_mb",
                 static_cast<int>((after > before ? after - before : 0) >> 20));
  EXPECT_LT(after, before + (48u << 20)) << "the bomb was inflated into memory";
  // A decoded size over the limit from a modest body: 413 as well (the decoded size counts).
  std::string big = AddBody("big");
  big += std::string(kLimit, ' ');
  ExpectError(Send("POST", Q(q, "/requests"), Deflate(big, 31), {{"Content-Encoding", "gzip"}}),
              413, "request-too-large");
  client_ = NewClient();
  // Still responsive, nothing stored.
  ASSERT_STATUS(Send("GET", "/__admin/health"), 200);
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 0);
}

// ---- rate-limit emulation (decisions 37, 38)
// ----------------------------------------------------------

TEST_F(FakeServerHttpTest, SixthCallInOneSecondIs429WithXRateLimitLimit) {
  FakeServerOptions o = Options();
  o.virtual_clock = true;
  o.store.rate_limits.enabled = true;
  o.store.rate_limits.other_per_sec = 5;
  Start(o);
  std::string q = CreateQueue();
  for (int i = 0; i < 5; ++i) {
    auto r = Send("GET", Q(q));
    ASSERT_STATUS(r, 200);
    EXPECT_EQ(r->get_header_value("X-RateLimit-Limit"), "5");
  }
  auto limited = Send("GET", Q(q));
  ExpectError(limited, 429, "rate-limit-exceeded");
  EXPECT_EQ(limited->get_header_value("X-RateLimit-Limit"), "5");
  EXPECT_FALSE(limited->has_header("Retry-After"));  // decision 38: off by default
  // Other classes have their own budget; another queue too.
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  std::string q2 = CreateQueue();
  ASSERT_STATUS(Send("GET", Q(q2)), 200);
  // The next second: allowed again.
  server_->advance_clock(1000);
  ASSERT_STATUS(Send("GET", Q(q)), 200);
}

TEST_F(FakeServerHttpTest, RetryAfterIsSentOnlyWhenConfigured) {
  FakeServerOptions o = Options();
  o.virtual_clock = true;
  o.store.rate_limits.enabled = true;
  o.store.rate_limits.other_per_sec = 1;
  o.retry_after_secs = 7;
  Start(o);
  std::string q = CreateQueue();
  ASSERT_STATUS(Send("GET", Q(q)), 200);
  auto limited = Send("GET", Q(q));
  ExpectError(limited, 429, "rate-limit-exceeded");
  EXPECT_EQ(limited->get_header_value("Retry-After"), "7");
}

TEST_F(FakeServerHttpTest, BatchItemsOverTheBudgetComeBackUnprocessed) {
  FakeServerOptions o = Options();
  o.virtual_clock = true;
  o.store.rate_limits.enabled = true;
  o.store.rate_limits.batch_items_per_sec = 3;
  Start(o);
  std::string q = CreateQueue();
  Json batch = Json::array();
  for (int i = 0; i < 5; ++i) batch.push_back(Json::parse(AddBody("k" + std::to_string(i))));
  auto r = Send("POST", Q(q, "/requests/batch"), batch.dump());
  ASSERT_STATUS(r, 201);
  Json d = Body(r)["data"];
  EXPECT_EQ(d["processedRequests"].size(), 3u);
  ASSERT_EQ(d["unprocessedRequests"].size(), 2u);
  EXPECT_EQ(d["unprocessedRequests"][0]["uniqueKey"], "k3");
  EXPECT_EQ(d["unprocessedRequests"][0]["url"], "http://example.com/k3");
  EXPECT_EQ(r->get_header_value("X-RateLimit-Limit"), "40");
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 3);
  server_->advance_clock(1000);
  auto retry = Send("POST", Q(q, "/requests/batch"), Json::array({batch[3], batch[4]}).dump());
  ASSERT_STATUS(retry, 201);
  EXPECT_EQ(Body(retry)["data"]["processedRequests"].size(), 2u);
  EXPECT_TRUE(Body(retry)["data"]["unprocessedRequests"].empty());
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 5);
}

// ---- the admin API
// --------------------------------------------------------------------------------

TEST_F(FakeServerHttpTest, AdminHealthAndReset) {
  std::string q = CreateQueue();
  auto h = Send("GET", "/__admin/health");
  ASSERT_STATUS(h, 200);
  EXPECT_EQ(Body(h)["data"]["status"], "ok");
  EXPECT_EQ(Body(h)["data"]["queues"], 1);
  ExpectIsoDate(Body(h)["data"]["now"], "now");
  auto reset = Send("POST", "/__admin/reset");
  ASSERT_STATUS(reset, 204);
  EXPECT_EQ(server_->store().queue_count(), 0u);
  ExpectError(Send("GET", Q(q)), 404, "record-not-found");
  ExpectError(Send("GET", "/__admin/nothing"), 404, "page-not-found");
}

TEST_F(FakeServerHttpTest, AdminStoreExportImportRoundTrip) {
  std::string q = CreateQueue(kAlice, "kept");
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  ASSERT_STATUS(Send("POST", Q(q, "/requests?forefront=true"), AddBody("f")), 201);
  Json h = Json::parse(AddBody("h"));
  h["handledAt"] = "2024-01-01T00:00:00.000Z";
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), h.dump()), 201);
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("b")), 201);
  auto head_before = HeadKeys(q);
  auto list_before = Body(Send("GET", Q(q, "/requests")))["data"]["items"];
  auto exported = Send("GET", "/__admin/store");
  ASSERT_STATUS(exported, 200);
  Json snap = Body(exported)["data"];
  EXPECT_EQ(snap["format"], "rqcheck-store-snapshot/2");
  ASSERT_STATUS(Send("POST", "/__admin/reset"), 204);
  ExpectError(Send("GET", Q(q)), 404, "record-not-found");
  ASSERT_STATUS(Send("PUT", "/__admin/store", snap.dump()), 204);
  Json info = GetQueue(q);
  EXPECT_EQ(info["name"], "kept");
  EXPECT_EQ(info["totalRequestCount"], 4);
  EXPECT_EQ(info["handledRequestCount"], 1);
  EXPECT_EQ(HeadKeys(q), head_before);
  EXPECT_EQ(HeadKeys(q), (std::vector<std::string>{"f", "a", "b"}));
  EXPECT_EQ(Body(Send("GET", Q(q, "/requests")))["data"]["items"], list_before);
  auto by_name = Send("GET", "/v2/request-queues/~kept");
  ASSERT_STATUS(by_name, 200);
  EXPECT_EQ(Body(by_name)["data"]["id"], q);
  // A bad snapshot: 400, and the store is unchanged.
  ExpectError(Send("PUT", "/__admin/store", R"({"format":"nope"})"), 400, "invalid-input");
  EXPECT_EQ(GetQueue(q)["totalRequestCount"], 4);
}

// What GET /__admin/store answers, PUT takes as it is ({"data": ...} included): GET, PUT, GET
// gives equal output, locks and counters included.
TEST_F(FakeServerHttpTest, AdminStoreGetPutGetIsEqual) {
  FakeServerOptions o = Options();
  o.virtual_clock = true;
  Start(o);
  std::string q = CreateQueue(kAlice, "round");
  for (const char* k : {"a", "b", "c"})
    ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody(k)), 201);
  ASSERT_STATUS(Send("POST", Q(q, "/head/lock?lockSecs=60&limit=1&clientKey=c1")), 201);
  ASSERT_STATUS(Send("GET", Q(q, "/head?clientKey=c2")), 200);
  auto first = Send("GET", "/__admin/store");
  ASSERT_STATUS(first, 200);
  ASSERT_STATUS(Send("POST", "/__admin/reset"), 204);
  ASSERT_STATUS(Send("PUT", "/__admin/store", first->body), 204);
  auto second = Send("GET", "/__admin/store");
  ASSERT_STATUS(second, 200);
  EXPECT_EQ(Body(first), Body(second));
  // The lock came back with its owner and expiry: another client does not get the request.
  auto other = Send("POST", Q(q, "/head/lock?lockSecs=60&clientKey=c3"));
  ASSERT_STATUS(other, 201);
  EXPECT_EQ(Body(other)["data"]["items"].size(), 2u);
  EXPECT_TRUE(GetQueue(q)["hadMultipleClients"].get<bool>());
}

TEST_F(FakeServerHttpTest, AdminClockMovesTheVirtualClockAndExpiresLocks) {
  FakeServerOptions o = Options();
  o.virtual_clock = true;
  Start(o);
  auto c = Send("GET", "/__admin/clock");
  ASSERT_STATUS(c, 200);
  EXPECT_EQ(Body(c)["data"]["nowMs"], 1700000000000);
  EXPECT_EQ(Body(c)["data"]["now"], "2023-11-14T22:13:20.000Z");
  EXPECT_EQ(Body(c)["data"]["mode"], "virtual");
  std::string q = CreateQueue();
  ASSERT_STATUS(Send("POST", Q(q, "/requests"), AddBody("a")), 201);
  auto lock = Send("POST", Q(q, "/head/lock?lockSecs=10&clientKey=c1"));
  ASSERT_STATUS(lock, 201);
  EXPECT_EQ(Body(lock)["data"]["items"][0]["lockExpiresAt"], "2023-11-14T22:13:30.000Z");
  auto adv = Send("POST", "/__admin/clock", R"({"advanceMs":9999})");
  ASSERT_STATUS(adv, 200);
  EXPECT_EQ(Body(adv)["data"]["nowMs"], 1700000009999);
  EXPECT_TRUE(HeadKeys(q).empty());
  ASSERT_STATUS(Send("POST", "/__admin/clock", R"({"advanceMs":1})"), 200);
  EXPECT_EQ(HeadKeys(q), std::vector<std::string>{"a"});
  auto set = Send("PUT", "/__admin/clock", R"({"now":"2030-01-01T00:00:00Z"})");
  ASSERT_STATUS(set, 200);
  EXPECT_EQ(Body(set)["data"]["now"], "2030-01-01T00:00:00.000Z");
  EXPECT_EQ(server_->clock().now_ms(), *parse_iso8601("2030-01-01T00:00:00Z"));
  ExpectError(Send("POST", "/__admin/clock", R"({"advanceMs":-5})"), 400, "invalid-input");
}

TEST_F(FakeServerHttpTest, AdminClockRefusesToMoveTheSystemClock) {
  auto r = Send("POST", "/__admin/clock", R"({"advanceMs":1000})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400) << r->body;
  auto g = Send("GET", "/__admin/clock");
  ASSERT_STATUS(g, 200);
  EXPECT_EQ(Body(g)["data"]["mode"], "system");
}

TEST_F(FakeServerHttpTest, AdminRateLimitsReadAndChangeTheLimits) {
  FakeServerOptions o = Options();
  o.virtual_clock = true;
  Start(o);
  auto g = Send("GET", "/__admin/rate-limits");
  ASSERT_STATUS(g, 200);
  Json rl = Body(g)["data"];
  EXPECT_EQ(rl["enabled"], false);
  EXPECT_EQ(rl["singleRequestPerSec"], 400);
  EXPECT_EQ(rl["batchPerSec"], 40);
  EXPECT_EQ(rl["otherPerSec"], 60);
  EXPECT_EQ(rl["globalPerMinute"], 250000);
  std::string q = CreateQueue();
  auto put = Send("PUT", "/__admin/rate-limits", R"({"enabled":true,"otherPerSec":2})");
  ASSERT_STATUS(put, 200);
  EXPECT_EQ(Body(put)["data"]["otherPerSec"], 2);
  EXPECT_EQ(Body(put)["data"]["enabled"], true);
  ASSERT_STATUS(Send("GET", Q(q)), 200);
  ASSERT_STATUS(Send("GET", Q(q)), 200);
  auto limited = Send("GET", Q(q));
  ExpectError(limited, 429, "rate-limit-exceeded");
  EXPECT_EQ(limited->get_header_value("X-RateLimit-Limit"), "2");
  ExpectError(Send("PUT", "/__admin/rate-limits", R"({"bogus":1})"), 400, "invalid-input");
  ExpectError(Send("PUT", "/__admin/rate-limits", R"({"otherPerSec":"many"})"), 400,
              "invalid-input");
  ASSERT_STATUS(Send("PUT", "/__admin/rate-limits", R"({"enabled":false})"), 200);
  ASSERT_STATUS(Send("GET", Q(q)), 200);
}

TEST_F(FakeServerHttpTest, AdminTokenProtectsTheAdminApi) {
  FakeServerOptions o = Options();
  o.admin_token = "admin-secret";
  Start(o);
  auto r = Send("GET", "/__admin/health", "", {}, "");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 401);
  ASSERT_STATUS(Send("GET", "/__admin/health", "", {}, "admin-secret"), 200);
}

// ---- concurrency
// ----------------------------------------------------------------------------------

TEST_F(FakeServerHttpTest, ConcurrentAddsHeadsAndLocksLoseNothingAndLockNothingTwice) {
  std::string q = CreateQueue();
  constexpr int kThreads = 8, kPerThread = 200, kShared = 20;
  std::vector<std::vector<std::string>> locked(kThreads);
  std::atomic<int> failures{0}, shared_new{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = NewClient();
      std::string ck = "client-" + std::to_string(t);
      auto fail = [&](const httplib::Result& r, int want) {
        if (!r || r->status != want) {
          if (failures++ < 5)
            std::fprintf(stderr, "thread %d: %d %s\n", t, r ? r->status : -1,
                         r ? r->body.c_str() : "transport");
          return true;
        }
        return false;
      };
      for (int i = 0; i < kPerThread; ++i) {
        auto add =
            Send("POST", Q(q, "/requests?clientKey=" + ck),
                 AddBody("t" + std::to_string(t) + "-" + std::to_string(i)), {}, kAlice, c.get());
        fail(add, 201);
        if (i % 10 == 0) {
          auto shared = Send("POST", Q(q, "/requests?clientKey=" + ck),
                             AddBody("shared-" + std::to_string(i / 10)), {}, kAlice, c.get());
          if (!fail(shared, 201) && Body(shared)["data"]["wasAlreadyPresent"] == false)
            ++shared_new;
        }
        if (i % 4 == 0)
          fail(Send("GET", Q(q, "/head?limit=5&clientKey=" + ck), "", {}, kAlice, c.get()), 200);
        if (i % 2 == 1) {
          auto lock = Send("POST", Q(q, "/head/lock?lockSecs=600&limit=2&clientKey=" + ck), "", {},
                           kAlice, c.get());
          if (!fail(lock, 201)) {
            Json items = Body(lock)["data"]["items"];
            for (const auto& item : items) locked[t].push_back(item["id"]);
          }
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(shared_new.load(), kShared) << "each shared uniqueKey must be new exactly once";
  const std::int64_t total = kThreads * kPerThread + kShared;
  Json info = GetQueue(q);
  EXPECT_EQ(info["totalRequestCount"], total);
  EXPECT_EQ(info["pendingRequestCount"], total);
  EXPECT_EQ(info["hadMultipleClients"], true);
  // No request locked by two clients.
  std::map<std::string, int> owner;
  std::size_t n_locked = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (const auto& id : locked[t]) {
      ++n_locked;
      auto [it, inserted] = owner.emplace(id, t);
      EXPECT_TRUE(inserted) << id << " locked by client " << it->second << " and client " << t;
    }
  }
  EXPECT_GT(n_locked, 0u);
  // Every request is listed exactly once.
  std::set<std::string> listed;
  std::string cursor;
  for (int pages = 0; pages < 100; ++pages) {
    auto page =
        Send("GET", Q(q, "/requests?limit=500" + (cursor.empty() ? "" : "&cursor=" + cursor)));
    ASSERT_STATUS(page, 200);
    Json d = Body(page)["data"];
    for (const auto& item : d["items"])
      EXPECT_TRUE(listed.insert(item["id"]).second) << item["id"] << " twice";
    if (!d.contains("nextCursor")) break;
    cursor = d["nextCursor"];
  }
  EXPECT_EQ(static_cast<std::int64_t>(listed.size()), total);
  // What is not locked can be locked now, once; then nothing is left.
  std::size_t rest = 0;
  for (;;) {
    auto lock = Send("POST", Q(q, "/head/lock?lockSecs=600&limit=25&clientKey=drain"));
    ASSERT_STATUS(lock, 201);
    Json items = Body(lock)["data"]["items"];
    if (items.empty()) break;
    for (const auto& item : items) {
      EXPECT_TRUE(owner.emplace(item["id"], -1).second) << item["id"] << " handed out twice";
      ++rest;
    }
  }
  EXPECT_EQ(static_cast<std::int64_t>(n_locked + rest), total);
}

}  // namespace
}  // namespace rqcheck::fake
