// Key-value stores, datasets and users over HTTP (issue 18): every endpoint of docs/storages.md
// through the fake's seam, with its success status and shape, the choices the docs leave open,
// and bad input (wrong content types, malformed JSON, oversized bodies, unknown stores, another
// user's store, odd keys). Besides: the journal, fault rules, rate limits, the admin API and
// concurrent use reach these storages like the queues.
#include <arpa/inet.h>
#include <brotli/encode.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include <zlib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/fake_server/server.h"
#include "test_server.h"

namespace rqcheck::fake {
namespace {

using test_support::ExpectError;

constexpr const char* kAlice = "token-alice";
constexpr const char* kBob = "token-bob";
constexpr std::size_t kLimit = 9437184;

std::string Gzip(const std::string& in, int window_bits = 31) {
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

std::string Brotli(const std::string& in) {
  std::size_t size = BrotliEncoderMaxCompressedSize(in.size());
  std::string out(size, '\0');
  EXPECT_TRUE(BrotliEncoderCompress(
      BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW, BROTLI_MODE_GENERIC, in.size(),
      reinterpret_cast<const uint8_t*>(in.data()), &size, reinterpret_cast<uint8_t*>(out.data())));
  out.resize(size);
  return out;
}

// Every byte value, twice: no text encoding survives this unless the bytes are kept as bytes.
std::string AllBytes() {
  std::string s;
  for (int round = 0; round < 2; ++round) {
    for (int b = 0; b < 256; ++b) s += static_cast<char>(b);
  }
  return s;
}

std::uint32_t Le32(const std::string& s, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 8 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 2])) << 16 |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 3])) << 24;
}
std::uint32_t Le16(const std::string& s, std::size_t at) {
  return static_cast<std::uint32_t>(static_cast<unsigned char>(s[at])) |
         static_cast<std::uint32_t>(static_cast<unsigned char>(s[at + 1])) << 8;
}

struct ZipEntryRead {
  std::string name, data;
};

// Reads a ZIP of stored files as an unzip tool would: the end record, the central directory,
// then each local header; checks the CRCs with zlib's crc32.
std::vector<ZipEntryRead> ReadZip(const std::string& zip) {
  std::vector<ZipEntryRead> out;
  EXPECT_GE(zip.size(), 22u);
  if (zip.size() < 22) return out;
  std::size_t end = zip.size() - 22;
  EXPECT_EQ(Le32(zip, end), 0x06054b50u) << "end of central directory";
  std::uint32_t n = Le16(zip, end + 10), cd_size = Le32(zip, end + 12), cd = Le32(zip, end + 16);
  EXPECT_EQ(cd + cd_size, end);
  std::size_t at = cd;
  for (std::uint32_t i = 0; i < n; ++i) {
    EXPECT_EQ(Le32(zip, at), 0x02014b50u) << "central directory header " << i;
    std::uint32_t method = Le16(zip, at + 10), crc = Le32(zip, at + 16);
    std::uint32_t size = Le32(zip, at + 20), name_len = Le16(zip, at + 28);
    std::uint32_t extra = Le16(zip, at + 30), comment = Le16(zip, at + 32);
    std::uint32_t local = Le32(zip, at + 42);
    EXPECT_EQ(method, 0u) << "stored";
    ZipEntryRead e;
    e.name = zip.substr(at + 46, name_len);
    EXPECT_EQ(Le32(zip, local), 0x04034b50u) << "local header of " << e.name;
    std::uint32_t lname = Le16(zip, local + 26), lextra = Le16(zip, local + 28);
    EXPECT_EQ(zip.substr(local + 30, lname), e.name);
    e.data = zip.substr(local + 30 + lname + lextra, size);
    EXPECT_EQ(crc32(0, reinterpret_cast<const Bytef*>(e.data.data()), e.data.size()), crc)
        << "CRC of " << e.name;
    out.push_back(std::move(e));
    at += 46 + name_len + extra + comment;
  }
  return out;
}

struct RawResponse {
  int status = 0;
  std::string head, body;
};

// One exchange over a plain socket, for requests httplib's client would change.
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
  ::send(fd, request.data(), request.size(), MSG_NOSIGNAL);
  std::string raw;
  char buf[4096];
  for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;) {
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

class StorageHttpTest : public test_support::FakeServerFixture {
 protected:
  void SetUp() override { Start(BaseOptions()); }
  void TearDown() override {
    client_.reset();
    StopServer();
  }

  void Start(FakeServerOptions o) {
    client_.reset();
    StartServer(std::move(o));
    client_ = MakeClient(true, 60);
  }

  // One call; `token` empty: anonymous. `content_type` empty: none is sent (httplib sends
  // none for an empty one either).
  httplib::Result Send(const std::string& method, const std::string& path,
                       const std::string& body = "", const std::string& content_type = "",
                       const std::string& token = kAlice, httplib::Headers headers = {}) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    req.headers = std::move(headers);
    req.body = body;
    if (!token.empty()) req.headers.emplace("Authorization", "Bearer " + token);
    if (!content_type.empty()) req.headers.emplace("Content-Type", content_type);
    return client_->send(req);
  }
  httplib::Result SendJson(const std::string& method, const std::string& path,
                           const std::string& body, const std::string& token = kAlice) {
    return Send(method, path, body, "application/json", token);
  }

  static std::string K(const std::string& id, const std::string& rest = "") {
    return "/v2/key-value-stores/" + id + rest;
  }
  static std::string D(const std::string& id, const std::string& rest = "") {
    return "/v2/datasets/" + id + rest;
  }

  std::string Create(const std::string& kind, const std::string& name = "",
                     const std::string& token = kAlice) {
    auto r = Send("POST", "/v2/" + kind + (name.empty() ? "" : "?name=" + name), "", "", token);
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 201) << r->body;
    return Body(r)["data"]["id"].get<std::string>();
  }
  std::string Store(const std::string& name = "", const std::string& token = kAlice) {
    return Create("key-value-stores", name, token);
  }
  std::string Dataset(const std::string& name = "", const std::string& token = kAlice) {
    return Create("datasets", name, token);
  }

  void Put(const std::string& store, const std::string& key, const std::string& value,
           const std::string& content_type) {
    ASSERT_STATUS(Send("PUT", K(store, "/records/" + key), value, content_type), 201);
  }

  std::string Items(const std::string& ds, const std::string& query = "") {
    auto r = Send("GET", D(ds, "/items" + query));
    EXPECT_TRUE(r);
    if (!r) return "";
    EXPECT_EQ(r->status, 200) << r->body;
    return r->body;
  }

  std::unique_ptr<httplib::Client> client_;
};

// ---- key-value stores ---------------------------------------------------------------------

void ExpectStoreShape(const Json& s) {
  for (const char* k :
       {"id", "name", "userId", "username", "createdAt", "modifiedAt", "accessedAt", "consoleUrl",
        "keysPublicUrl", "recordsPublicUrl", "generalAccess", "stats"}) {
    EXPECT_TRUE(s.contains(k)) << "missing " << k << " in " << s.dump();
  }
  EXPECT_TRUE(is_apify_id(s.value("id", ""))) << s.dump();
  for (const char* k : {"readCount", "writeCount", "deleteCount", "listCount", "storageBytes"}) {
    EXPECT_TRUE(s["stats"][k].is_number_integer()) << k << " in " << s.dump();
  }
}

TEST_F(StorageHttpTest, KvStoreCollectionCreatesOnceByNameAndLists) {
  auto created = Send("POST", "/v2/key-value-stores?name=results");
  ASSERT_STATUS(created, 201);
  Json s = Body(created)["data"];
  ExpectStoreShape(s);
  std::string id = s["id"];
  EXPECT_EQ(s["name"], "results");
  EXPECT_EQ(s["generalAccess"], "FOLLOW_USER_SETTING");
  std::string location = created->get_header_value("Location");
  EXPECT_EQ(location,
            "http://127.0.0.1:" + std::to_string(server_->port()) + "/v2/key-value-stores/" + id);
  EXPECT_EQ(created->get_header_value("X-RateLimit-Limit"), "60");
  auto again = Send("POST", "/v2/key-value-stores?name=results");
  ASSERT_STATUS(again, 200);
  EXPECT_EQ(Body(again)["data"]["id"], id);
  EXPECT_FALSE(again->has_header("Location"));
  std::string unnamed = Store();
  std::string other = Store("other");

  Json named = Body(Send("GET", "/v2/key-value-stores"))["data"];
  EXPECT_EQ(named["total"], 2);
  EXPECT_EQ(named["unnamed"], false);
  ASSERT_EQ(named["items"].size(), 2u);
  EXPECT_EQ(named["items"][0]["id"], id);
  EXPECT_EQ(named["items"][1]["id"], other);
  Json all = Body(Send("GET", "/v2/key-value-stores?unnamed=1&desc=true&limit=2&offset=0"))["data"];
  EXPECT_EQ(all["total"], 3);
  EXPECT_EQ(all["desc"], true);
  EXPECT_EQ(all["limit"], 2);
  EXPECT_EQ(all["count"], 2);
  ASSERT_EQ(all["items"].size(), 2u);
  EXPECT_EQ(all["items"][0]["id"], other);
  EXPECT_EQ(all["items"][1]["id"], unnamed);
  EXPECT_EQ(Body(Send("GET", "/v2/key-value-stores?limit=0"))["data"]["limit"], 1000)
      << "limit=0 means the default";
  EXPECT_EQ(Body(Send("GET", "/v2/key-value-stores?limit=5000"))["data"]["limit"], 1000);
  EXPECT_TRUE(
      Body(Send("GET", "/v2/key-value-stores?ownership=sharedWithMe"))["data"]["items"].empty());
  // Bob sees none of Alice's stores.
  EXPECT_EQ(Body(Send("GET", "/v2/key-value-stores?unnamed=1", "", "", kBob))["data"]["total"], 0);

  ExpectError(Send("GET", "/v2/key-value-stores?offset=-1"), 400, "invalid-parameter");
  ExpectError(Send("GET", "/v2/key-value-stores?limit=-3"), 400, "invalid-parameter");
  ExpectError(Send("GET", "/v2/key-value-stores?limit=ten"), 400, "invalid-parameter");
  ExpectError(Send("GET", "/v2/key-value-stores?desc=maybe"), 400, "invalid-parameter");
  ExpectError(Send("GET", "/v2/key-value-stores?ownership=everyone"), 400, "invalid-parameter");
  ExpectError(Send("POST", "/v2/key-value-stores?name=bad%20name"), 400, "invalid-parameter");
  ExpectError(Send("POST", "/v2/key-value-stores?name=-dash"), 400, "invalid-parameter");
  ExpectError(Send("POST", "/v2/key-value-stores?name=" + std::string(64, 'a')), 400,
              "invalid-parameter");
  ExpectError(Send("GET", "/v2/key-value-stores", "", "", ""), 401, "token-not-provided");
  ExpectError(Send("POST", "/v2/key-value-stores", "", "", ""), 401, "token-not-provided");
}

TEST_F(StorageHttpTest, KvStoreGetUpdateDeleteByIdAndByName) {
  std::string id = Store("mine");
  auto got = Send("GET", K(id));
  ASSERT_STATUS(got, 200);
  ExpectStoreShape(Body(got)["data"]);
  std::string username = Body(got)["data"]["username"];
  EXPECT_EQ(Body(Send("GET", K(username + "~mine")))["data"]["id"], id);
  EXPECT_EQ(Body(Send("GET", K("~mine")))["data"]["id"], id);
  ExpectError(Send("GET", K("mine")), 404, "record-not-found");  // a bare name is not an id
  ExpectError(Send("GET", K("~mine"), "", "", ""), 401, "token-not-provided");

  auto renamed = SendJson("PUT", K(id), R"({"name":"renamed","title":"ignored"})");
  ASSERT_STATUS(renamed, 200);
  EXPECT_EQ(Body(renamed)["data"]["name"], "renamed");
  EXPECT_EQ(Body(Send("GET", K("~renamed")))["data"]["id"], id);
  ExpectError(Send("GET", K("~mine")), 404, "record-not-found");
  Store("taken");
  auto clash = SendJson("PUT", K(id), R"({"name":"taken"})");
  ExpectError(clash, 400, "name-not-unique");
  EXPECT_NE(Body(clash)["error"]["message"].get<std::string>().find("key-value store"),
            std::string::npos)
      << "the message names the kind: " << clash->body;
  ExpectError(SendJson("PUT", K(id), R"({"generalAccess":"EVERYONE"})"), 400, "invalid-input");
  ExpectError(SendJson("PUT", K(id), R"({"name":"bad name"})"), 400, "invalid-parameter");
  ExpectError(SendJson("PUT", K(id), R"({"name":)"), 400, "invalid-input");
  ExpectError(SendJson("PUT", K(id), R"(["name"])"), 400, "invalid-input");
  ExpectError(Send("PUT", K(id), R"({"name":"x"})", "text/plain"), 400,
              "invalid-content-type-header");
  auto unnamed = SendJson("PUT", K(id), R"({"name":null})");
  ASSERT_STATUS(unnamed, 200);
  EXPECT_TRUE(Body(unnamed)["data"]["name"].is_null());

  ASSERT_STATUS(Send("DELETE", K(id)), 204);
  auto gone = Send("GET", K(id));
  ExpectError(gone, 404, "record-not-found");
  EXPECT_EQ(Body(gone)["error"]["message"], "Key-value store was not found.");
  ExpectError(Send("DELETE", K(id)), 404, "record-not-found");
  ExpectError(Send("PATCH", K(id), "{}", "application/json"), 405, "method-not-allowed");
}

TEST_F(StorageHttpTest, KvStoreOwnershipAndGeneralAccess) {
  std::string id = Store("shared");
  Put(id, "k", "v", "text/plain");
  // A raw id is readable by anyone, without a token too; writes are the owner's.
  ASSERT_STATUS(Send("GET", K(id, "/records/k"), "", "", kBob), 200);
  ASSERT_STATUS(Send("GET", K(id, "/records/k"), "", "", ""), 200);
  ASSERT_STATUS(Send("GET", K(id, "/keys"), "", "", ""), 200);
  ExpectError(Send("PUT", K(id, "/records/k"), "x", "text/plain", kBob), 403,
              "insufficient-permissions");
  ExpectError(Send("DELETE", K(id, "/records/k"), "", "", kBob), 403, "insufficient-permissions");
  ExpectError(SendJson("PUT", K(id), R"({"name":"stolen"})", kBob), 403,
              "insufficient-permissions");
  ExpectError(Send("DELETE", K(id), "", "", kBob), 403, "insufficient-permissions");
  ExpectError(Send("PUT", K(id, "/records/k"), "x", "text/plain", ""), 401, "token-not-provided");
  // By name, others need ANYONE_WITH_NAME_CAN_READ.
  std::string alice = Body(Send("GET", K(id)))["data"]["username"];
  ExpectError(Send("GET", K(alice + "~shared"), "", "", kBob), 403, "insufficient-permissions");
  ASSERT_STATUS(SendJson("PUT", K(id), R"({"generalAccess":"ANYONE_WITH_NAME_CAN_READ"})"), 200);
  ASSERT_STATUS(Send("GET", K(alice + "~shared", "/records/k"), "", "", kBob), 200);
  ASSERT_STATUS(SendJson("PUT", K(id), R"({"generalAccess":"RESTRICTED"})"), 200);
  ExpectError(Send("GET", K(id, "/records/k"), "", "", kBob), 403, "insufficient-permissions");
  ExpectError(Send("GET", K(id), "", "", ""), 401, "token-not-provided");
  ASSERT_STATUS(Send("GET", K(id, "/records/k")), 200);  // the owner still reads it
  // Unknown stores: 404 for reads and writes alike.
  ExpectError(Send("GET", K("AAAAAAAAAAAAAAAAA", "/records/k")), 404, "record-not-found");
  ExpectError(Send("PUT", K("AAAAAAAAAAAAAAAAA", "/records/k"), "v", "text/plain"), 404,
              "record-not-found");
  ExpectError(Send("GET", K("nobody~store")), 404, "record-not-found");
}

TEST_F(StorageHttpTest, KvRecordsKeepTheirBytesAndContentTypeExactly) {
  std::string id = Store();
  const std::string bytes = AllBytes();
  auto put = Send("PUT", K(id, "/records/image.png"), bytes, "image/png");
  ASSERT_STATUS(put, 201);
  EXPECT_EQ(put->body, "{}");
  EXPECT_EQ(put->get_header_value("X-RateLimit-Limit"), "200");
  std::string location = put->get_header_value("Location");
  EXPECT_NE(location.find("/v2/key-value-stores/" + id + "/records/image.png"), std::string::npos)
      << location;
  auto got = Send("GET", K(id, "/records/image.png"));
  ASSERT_STATUS(got, 200);
  EXPECT_EQ(got->body, bytes);
  EXPECT_EQ(got->get_header_value("Content-Type"), "image/png");
  EXPECT_FALSE(got->has_header("Content-Disposition"));

  const std::string json = "{\n  \"b\": 1.50,\n  \"a\": \"\\u00e9\"\n}";
  Put(id, "OUTPUT", json, "application/json; charset=utf-8");
  auto j = Send("GET", K(id, "/records/OUTPUT"));
  EXPECT_EQ(j->body, json) << "a JSON record is not re-serialized";
  EXPECT_EQ(j->get_header_value("Content-Type"), "application/json; charset=utf-8");
  // Not validated against its content type: "JSON" that is not JSON is kept as it is.
  Put(id, "not-json", "{oops", "application/json");
  EXPECT_EQ(Send("GET", K(id, "/records/not-json"))->body, "{oops");
  // POST is PUT's alias; an empty value and a missing Content-Type.
  ASSERT_STATUS(Send("POST", K(id, "/records/empty"), "", "text/plain"), 201);
  auto empty = Send("GET", K(id, "/records/empty"));
  ASSERT_STATUS(empty, 200);
  EXPECT_EQ(empty->body, "");
  EXPECT_EQ(empty->get_header_value("Content-Type"), "text/plain");
  // Without a Content-Type (httplib's client would add text/plain: a raw request).
  RawResponse raw = RawExchange(
      server_->port(), "PUT " + K(id, "/records/raw") +
                           " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + kAlice +
                           "\r\nContent-Length: 9\r\nConnection: close\r\n\r\nraw bytes");
  EXPECT_EQ(raw.status, 201) << raw.head;
  auto untyped = Send("GET", K(id, "/records/raw"));
  EXPECT_EQ(untyped->body, "raw bytes");
  EXPECT_EQ(untyped->get_header_value("Content-Type"), "application/octet-stream");
  // A multipart content type is a content type like any other (httplib would parse it).
  const std::string multipart = "multipart/form-data; boundary=xyz";
  Put(id, "form", "--xyz\r\nnot really\r\n--xyz--\r\n", multipart);
  auto form = Send("GET", K(id, "/records/form"));
  EXPECT_EQ(form->body, "--xyz\r\nnot really\r\n--xyz--\r\n");
  EXPECT_EQ(form->get_header_value("Content-Type"), multipart);
  // Replacing a record replaces bytes and type.
  Put(id, "image.png", "now text", "text/plain; charset=utf-8");
  auto replaced = Send("GET", K(id, "/records/image.png?attachment=true"));
  EXPECT_EQ(replaced->body, "now text");
  EXPECT_EQ(replaced->get_header_value("Content-Type"), "text/plain; charset=utf-8");
  EXPECT_EQ(replaced->get_header_value("Content-Disposition"),
            "attachment; filename=\"image.png\"");

  // HEAD: the headers, no body; 404 for an absent record.
  auto head = Send("HEAD", K(id, "/records/OUTPUT"));
  ASSERT_STATUS(head, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->get_header_value("Content-Length"), std::to_string(json.size()));
  EXPECT_EQ(head->get_header_value("Content-Type"), "application/json; charset=utf-8");
  auto absent_head = Send("HEAD", K(id, "/records/absent"));
  ASSERT_TRUE(absent_head);
  EXPECT_EQ(absent_head->status, 404);
  ExpectError(Send("GET", K(id, "/records/absent")), 404, "record-not-found");
  ExpectError(Send("GET", K(id, "/records/absent?attachment=perhaps")), 400, "invalid-parameter");

  // DELETE: 204, and 204 again for the absent record.
  ASSERT_STATUS(Send("DELETE", K(id, "/records/OUTPUT")), 204);
  ASSERT_STATUS(Send("DELETE", K(id, "/records/OUTPUT")), 204);
  ExpectError(Send("GET", K(id, "/records/OUTPUT")), 404, "record-not-found");
  Json stats = Body(Send("GET", K(id)))["data"]["stats"];
  EXPECT_EQ(stats["writeCount"], 7);
  EXPECT_EQ(stats["deleteCount"], 1);
  EXPECT_EQ(stats["storageBytes"],
            8 + 5 + 0 + 9 + std::string("--xyz\r\nnot really\r\n--xyz--\r\n").size());
}

TEST_F(StorageHttpTest, KvRecordBodiesAreDecodedFromGzipDeflateAndBrotli) {
  std::string id = Store();
  std::string value = AllBytes() + std::string(5000, 'x');
  auto put = [&](const std::string& key, const std::string& body, const std::string& coding) {
    ASSERT_STATUS(Send("PUT", K(id, "/records/" + key), body, "application/octet-stream", kAlice,
                       {{"Content-Encoding", coding}}),
                  201);
    EXPECT_EQ(Send("GET", K(id, "/records/" + key))->body, value) << coding;
  };
  put("gz", Gzip(value), "gzip");
  put("zlib", Gzip(value, 15), "deflate");
  put("br", Brotli(value), "br");
  put("upper", Gzip(value), "GZIP");
  ExpectError(Send("PUT", K(id, "/records/zz"), "abc", "text/plain", kAlice,
                   {{"Content-Encoding", "compress"}}),
              415, "unsupported-content-encoding");
  ExpectError(Send("PUT", K(id, "/records/zz"), "not gzip at all", "text/plain", kAlice,
                   {{"Content-Encoding", "gzip"}}),
              400, "invalid-input");
  ExpectError(Send("GET", K(id, "/records/zz")), 404, "record-not-found");
}

TEST_F(StorageHttpTest, KvRecordKeysOutsideTheAllowedCharactersAreRefused) {
  std::string id = Store();
  Put(id, "a-Z_0.9!'()", "ok", "text/plain");
  EXPECT_EQ(Send("GET", K(id, "/records/a-Z_0.9!'()"))->body, "ok");
  Put(id, std::string(256, 'k'), "long", "text/plain");
  for (const std::string& bad :
       {std::string("a%20b"), std::string("~x"), std::string("%25"), std::string("%C3%A9"),
        std::string(257, 'k'), std::string("a%00b"), std::string("a*b")}) {
    ExpectError(Send("PUT", K(id, "/records/" + bad), "v", "text/plain"), 400,
                "invalid-record-key");
    ExpectError(Send("GET", K(id, "/records/" + bad)), 400, "invalid-record-key");
    ExpectError(Send("DELETE", K(id, "/records/" + bad)), 400, "invalid-record-key");
    auto head = Send("HEAD", K(id, "/records/" + bad));
    ASSERT_TRUE(head);
    EXPECT_EQ(head->status, 400) << bad;
  }
  // A '/' makes another path, also percent-encoded (the transport decodes the path before it
  // is routed): no such route.
  ExpectError(Send("PUT", K(id, "/records/a/b"), "v", "text/plain"), 404, "page-not-found");
  ExpectError(Send("PUT", K(id, "/records/a%2Fb"), "v", "text/plain"), 404, "page-not-found");
  // Content types that cannot go back out as a header.
  ExpectError(Send("PUT", K(id, "/records/ct"), "v", std::string(256, 'a')), 400,
              "invalid-content-type-header");
  EXPECT_EQ(Body(Send("GET", K(id, "/keys")))["data"]["count"], 2);
}

TEST_F(StorageHttpTest, KvRecordOverThePayloadLimitIs413AndStoresNothing) {
  std::string id = Store();
  ExpectError(Send("PUT", K(id, "/records/huge"), std::string(kLimit + 1, 'x'), "text/plain"), 413,
              "request-too-large");
  // A small gzip body that inflates past the limit is stopped at the limit.
  std::string bomb = Gzip(std::string(kLimit + 4096, '\0'));
  ASSERT_LT(bomb.size(), 100000u);
  ExpectError(Send("PUT", K(id, "/records/bomb"), bomb, "application/octet-stream", kAlice,
                   {{"Content-Encoding", "gzip"}}),
              413, "request-too-large");
  Put(id, "exact", std::string(kLimit, 'y'), "text/plain");
  EXPECT_EQ(Send("GET", K(id, "/records/exact"))->body.size(), kLimit);
  Json keys = Body(Send("GET", K(id, "/keys")))["data"]["items"];
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0]["key"], "exact");
  EXPECT_EQ(keys[0]["size"], kLimit);
}

TEST_F(StorageHttpTest, KvKeysPageInByteOrderWithCursorsAndPrefix) {
  std::string id = Store();
  std::vector<std::string> keys;
  for (int i = 0; i < 25; ++i)
    keys.push_back("key-" + std::string(i < 10 ? "0" : "") + std::to_string(i));
  for (std::size_t i = 0; i < keys.size(); ++i)
    Put(id, keys[i], std::string(i + 1, 'x'), "text/plain");
  Put(id, "Zed", "z", "text/plain");  // 'Z' sorts before 'k' in byte order
  auto first = Send("GET", K(id, "/keys?limit=10"));
  ASSERT_STATUS(first, 200);
  Json p = Body(first)["data"];
  ASSERT_EQ(p["items"].size(), 10u);
  EXPECT_EQ(p["items"][0]["key"], "Zed");
  EXPECT_EQ(p["items"][1]["key"], "key-00");
  EXPECT_EQ(p["items"][1]["size"], 1);
  EXPECT_EQ(p["isTruncated"], true);
  EXPECT_EQ(p["nextExclusiveStartKey"], "key-08");
  EXPECT_TRUE(p["exclusiveStartKey"].is_null());
  EXPECT_EQ(p["count"], 10);
  EXPECT_EQ(p["limit"], 10);
  std::string url = p["items"][1]["recordPublicUrl"];
  EXPECT_NE(url.find("/v2/key-value-stores/" + id + "/records/key-00"), std::string::npos) << url;
  Json next = Body(Send("GET", K(id, "/keys?limit=10&exclusiveStartKey=key-08")))["data"];
  EXPECT_EQ(next["exclusiveStartKey"], "key-08");
  EXPECT_EQ(next["items"][0]["key"], "key-09");
  // A start key that is not a stored key is an upper bound too.
  Json between = Body(Send("GET", K(id, "/keys?exclusiveStartKey=key-105")))["data"];
  EXPECT_EQ(between["items"][0]["key"], "key-11");
  Json last = Body(Send("GET", K(id, "/keys?exclusiveStartKey=key-20")))["data"];
  EXPECT_EQ(last["items"].size(), 4u);
  EXPECT_EQ(last["isTruncated"], false);
  EXPECT_TRUE(last["nextExclusiveStartKey"].is_null());
  Json prefixed = Body(Send("GET", K(id, "/keys?prefix=key-1&limit=5")))["data"];
  ASSERT_EQ(prefixed["items"].size(), 5u);
  EXPECT_EQ(prefixed["items"][0]["key"], "key-10");
  EXPECT_EQ(prefixed["isTruncated"], true);
  Json tail = Body(Send("GET", K(id, "/keys?prefix=key-1&exclusiveStartKey=key-17")))["data"];
  EXPECT_EQ(tail["items"].size(), 2u);
  EXPECT_EQ(tail["isTruncated"], false);
  EXPECT_EQ(Body(Send("GET", K(id, "/keys?limit=0")))["data"]["limit"], 1000);
  EXPECT_EQ(Body(Send("GET", K(id, "/keys?limit=100000")))["data"]["limit"], 1000);
  ExpectError(Send("GET", K(id, "/keys?limit=-1")), 400, "invalid-parameter");
  ExpectError(Send("GET", K(id, "/keys?collection=images")), 400, "invalid-parameter");
  ExpectError(Send("GET", K("AAAAAAAAAAAAAAAAA", "/keys")), 404, "record-not-found");
  // Eight listings went through; the refused ones were not counted.
  EXPECT_EQ(Body(Send("GET", K(id)))["data"]["stats"]["listCount"], 8);
}

TEST_F(StorageHttpTest, KvRecordsDownloadIsAZipOfStoredFiles) {
  std::string id = Store();
  const std::string bytes = AllBytes();
  Put(id, "b.bin", bytes, "application/octet-stream");
  Put(id, "a.json", R"({"a":1})", "application/json");
  Put(id, "c-empty", "", "text/plain");
  Put(id, "other", "o", "text/plain");
  auto zip = Send("GET", K(id, "/records"), "", "", "");
  ASSERT_STATUS(zip, 200);
  EXPECT_EQ(zip->get_header_value("Content-Type"), "application/zip");
  auto files = ReadZip(zip->body);
  ASSERT_EQ(files.size(), 4u);
  EXPECT_EQ(files[0].name, "a.json");
  EXPECT_EQ(files[0].data, R"({"a":1})");
  EXPECT_EQ(files[1].name, "b.bin");
  EXPECT_EQ(files[1].data, bytes);
  EXPECT_EQ(files[2].name, "c-empty");
  EXPECT_EQ(files[2].data, "");
  auto some = ReadZip(Send("GET", K(id, "/records?prefix=b"))->body);
  ASSERT_EQ(some.size(), 1u);
  EXPECT_EQ(some[0].name, "b.bin");
  EXPECT_TRUE(ReadZip(Send("GET", K(id, "/records?prefix=zzz"))->body).empty());
  ExpectError(Send("GET", K(id, "/records?collection=x")), 400, "invalid-parameter");
  ExpectError(Send("GET", K("AAAAAAAAAAAAAAAAA", "/records")), 404, "record-not-found");
}

// ---- datasets -----------------------------------------------------------------------------

void ExpectDatasetShape(const Json& d) {
  for (const char* k :
       {"id", "name", "userId", "username", "createdAt", "modifiedAt", "accessedAt", "itemCount",
        "cleanItemCount", "consoleUrl", "itemsPublicUrl", "generalAccess", "stats"}) {
    EXPECT_TRUE(d.contains(k)) << "missing " << k << " in " << d.dump();
  }
  EXPECT_TRUE(is_apify_id(d.value("id", ""))) << d.dump();
}

TEST_F(StorageHttpTest, DatasetCollectionCreatesOnceByNameAndLists) {
  auto created = Send("POST", "/v2/datasets?name=items");
  ASSERT_STATUS(created, 201);
  Json d = Body(created)["data"];
  ExpectDatasetShape(d);
  EXPECT_EQ(d["itemCount"], 0);
  EXPECT_NE(
      created->get_header_value("Location").find("/v2/datasets/" + d["id"].get<std::string>()),
      std::string::npos);
  // The SDK's create: no body but a form content type.
  auto again = Send("POST", "/v2/datasets?name=items", "", "application/x-www-form-urlencoded");
  ASSERT_STATUS(again, 200);
  EXPECT_EQ(Body(again)["data"]["id"], d["id"]);
  std::string unnamed = Dataset();
  Json list = Body(Send("GET", "/v2/datasets"))["data"];
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["id"], d["id"]);
  EXPECT_TRUE(list["items"][0]["stats"].contains("inflatedBytes"));
  Json all = Body(Send("GET", "/v2/datasets?unnamed=true&desc=1"))["data"];
  ASSERT_EQ(all["items"].size(), 2u);
  EXPECT_EQ(all["items"][0]["id"], unnamed);
  ExpectError(Send("GET", "/v2/datasets?offset=x"), 400, "invalid-parameter");
  ExpectError(Send("POST", "/v2/datasets?name=a_b"), 400, "invalid-parameter");
  std::string id = d["id"];
  ASSERT_STATUS(SendJson("PUT", D(id), R"({"name":"renamed"})"), 200);
  Dataset("other");
  auto clash = SendJson("PUT", D(id), R"({"name":"other"})");
  ExpectError(clash, 400, "name-not-unique");
  EXPECT_EQ(Body(clash)["error"]["message"], "A dataset named \"other\" already exists.");
  ASSERT_STATUS(Send("DELETE", D(id)), 204);
  auto gone = Send("GET", D(id));
  ExpectError(gone, 404, "record-not-found");
  EXPECT_EQ(Body(gone)["error"]["message"], "Dataset was not found.");
}

TEST_F(StorageHttpTest, DatasetItemsKeepTheirTextAndOrderAndPage) {
  std::string id = Dataset();
  // One object, an array, pretty-printed text: each item's members stay in their order and
  // numbers and escapes come back as sent (minified).
  auto pushed = SendJson("POST", D(id, "/items"), R"({"b": 2, "a": 1.50, "s": "\u00e9\n"})");
  ASSERT_STATUS(pushed, 201);
  EXPECT_EQ(pushed->body, "{}");
  EXPECT_EQ(pushed->get_header_value("X-RateLimit-Limit"), "400");
  EXPECT_NE(pushed->get_header_value("Location").find("/v2/datasets/" + id + "/items"),
            std::string::npos);
  ASSERT_STATUS(SendJson("POST", D(id, "/items"), "[\n  {\"z\": [1, {\"y\": null}]},\n  {}\n]"),
                201);
  ASSERT_STATUS(SendJson("POST", D(id, "/items"), "[]"), 201);
  auto page = Send("GET", D(id, "/items"));
  ASSERT_STATUS(page, 200);
  EXPECT_EQ(page->body, R"([{"b":2,"a":1.50,"s":"\u00e9\n"},{"z":[1,{"y":null}]},{}])");
  EXPECT_EQ(page->get_header_value("Content-Type"), "application/json; charset=utf-8");
  EXPECT_EQ(page->get_header_value("X-Apify-Pagination-Total"), "3");
  EXPECT_EQ(page->get_header_value("X-Apify-Pagination-Offset"), "0");
  EXPECT_EQ(page->get_header_value("X-Apify-Pagination-Limit"), "999999999999");
  EXPECT_EQ(page->get_header_value("X-Apify-Pagination-Count"), "3");
  EXPECT_EQ(page->get_header_value("X-Apify-Pagination-Desc"), "false");

  std::string many = "[";
  for (int i = 3; i < 10; ++i)
    many += std::string(i > 3 ? "," : "") + "{\"i\":" + std::to_string(i) + "}";
  ASSERT_STATUS(SendJson("POST", D(id, "/items"), many + "]"), 201);
  EXPECT_EQ(Items(id, "?offset=3&limit=2"), R"([{"i":3},{"i":4}])");
  EXPECT_EQ(Items(id, "?offset=2&limit=3&desc=true"), R"([{"i":7},{"i":6},{"i":5}])");
  EXPECT_EQ(Items(id, "?offset=100"), "[]");
  EXPECT_EQ(Items(id, "?limit=0&offset=8"), R"([{"i":8},{"i":9}])") << "limit=0: no limit";
  auto desc = Send("GET", D(id, "/items?desc=1&limit=1"));
  EXPECT_EQ(desc->get_header_value("X-Apify-Pagination-Desc"), "true");
  EXPECT_EQ(desc->get_header_value("X-Apify-Pagination-Limit"), "1");
  ExpectError(Send("GET", D(id, "/items?offset=-1")), 400, "invalid-parameter");
  ExpectError(Send("GET", D(id, "/items?limit=-1")), 400, "invalid-parameter");
  ExpectError(Send("GET", D(id, "/items?limit=lots")), 400, "invalid-parameter");

  // HEAD: the same headers, no body.
  auto head = Send("HEAD", D(id, "/items?offset=1"));
  ASSERT_STATUS(head, 200);
  EXPECT_EQ(head->body, "");
  EXPECT_EQ(head->get_header_value("X-Apify-Pagination-Total"), "10");
  EXPECT_EQ(head->get_header_value("X-Apify-Pagination-Offset"), "1");

  Json info = Body(Send("GET", D(id)))["data"];
  ExpectDatasetShape(info);
  EXPECT_EQ(info["itemCount"], 10);
  EXPECT_EQ(info["cleanItemCount"], 9) << "{} is not clean";
  EXPECT_EQ(info["stats"]["writeCount"], 3) << "the empty push wrote nothing";
  auto stats = Send("GET", D(id, "/statistics"));
  ASSERT_STATUS(stats, 200);
  EXPECT_EQ(Body(stats), Json::parse(R"({"data":{"fieldStatistics":null}})"));
}

TEST_F(StorageHttpTest, DatasetItemsFieldsOmitHiddenEmptyAndFormats) {
  std::string id = Dataset();
  ASSERT_STATUS(SendJson("POST", D(id, "/items"),
                         R"([{"b":2,"a":1,"#debug":"x","c":{"d":4}},{"#only":"hidden"},{},)"
                         R"({"a":10,"b":20}])"),
                201);
  EXPECT_EQ(Items(id, "?fields=c,a"), R"([{"c":{"d":4},"a":1},{},{},{"a":10}])");
  EXPECT_EQ(Items(id, "?fields=c,%20a&outputFields=see,ay"),
            R"([{"see":{"d":4},"ay":1},{},{},{"ay":10}])");
  EXPECT_EQ(Items(id, "?omit=b,%23debug"),
            R"([{"a":1,"c":{"d":4}},{"#only":"hidden"},{},{"a":10}])");
  EXPECT_EQ(Items(id, "?skipHidden=1"), R"([{"b":2,"a":1,"c":{"d":4}},{},{},{"a":10,"b":20}])");
  EXPECT_EQ(Items(id, "?skipEmpty=true"),
            R"([{"b":2,"a":1,"#debug":"x","c":{"d":4}},{"#only":"hidden"},{"a":10,"b":20}])");
  auto clean = Send("GET", D(id, "/items?clean=1"));
  EXPECT_EQ(clean->body, R"([{"b":2,"a":1,"c":{"d":4}},{"a":10,"b":20}])");
  EXPECT_EQ(clean->get_header_value("X-Apify-Pagination-Count"), "2");
  EXPECT_EQ(clean->get_header_value("X-Apify-Pagination-Total"), "4");
  // Paging is by item; filters apply after it.
  EXPECT_EQ(Items(id, "?clean=1&limit=2"), R"([{"b":2,"a":1,"c":{"d":4}}])");
  auto lines = Send("GET", D(id, "/items?format=jsonl&clean=true&attachment=1"));
  ASSERT_STATUS(lines, 200);
  EXPECT_EQ(lines->body, "{\"b\":2,\"a\":1,\"c\":{\"d\":4}}\n{\"a\":10,\"b\":20}\n");
  EXPECT_EQ(lines->get_header_value("Content-Type"), "application/jsonl; charset=utf-8");
  EXPECT_EQ(lines->get_header_value("Content-Disposition"),
            "attachment; filename=\"dataset_" + id + ".jsonl\"");
  EXPECT_EQ(Items(id, "?format=JSON&bom=1&limit=1&fields=a"), "\xEF\xBB\xBF[{\"a\":1}]");
  for (const char* format : {"csv", "html", "xlsx", "xml", "rss", "yaml"}) {
    auto r = Send("GET", D(id, std::string("/items?format=") + format));
    ExpectError(r, 400, "invalid-parameter");
    EXPECT_NE(r->body.find("format"), std::string::npos) << r->body;
  }
  for (const char* q :
       {"?unwind=c", "?flatten=c", "?view=overview", "?simplified=1", "?skipFailedPages=true",
        "?outputFields=x", "?fields=a&outputFields=x,y", "?clean=yes"}) {
    ExpectError(Send("GET", D(id, std::string("/items") + q)), 400, "invalid-parameter");
  }
  EXPECT_EQ(Items(id, "?simplified=0&limit=1&fields=a"), R"([{"a":1}])");
  EXPECT_EQ(Body(Send("GET", D(id)))["data"]["cleanItemCount"], 2);
}

TEST_F(StorageHttpTest, DatasetPushOfInvalidItemsStoresNothing) {
  std::string id = Dataset();
  ASSERT_STATUS(SendJson("POST", D(id, "/items"), R"({"ok":1})"), 201);
  for (const char* bad :
       {R"([{"ok":2},3])", R"([{"ok":2},[{"nested":"array"}]])", R"([{"ok":2},null])",
        R"({"broken": )", R"("a string")", "42", "", "[{\"bad utf8\":\"\xff\"}]"}) {
    ExpectError(SendJson("POST", D(id, "/items"), bad), 400, "invalid-input");
  }
  auto named = SendJson("POST", D(id, "/items"), R"([{"a":1},{"b":2},"third"])");
  EXPECT_NE(Body(named)["error"]["message"].get<std::string>().find("index 2"), std::string::npos)
      << named->body;
  ExpectError(Send("POST", D(id, "/items"), R"({"ok":3})", "text/plain"), 400,
              "invalid-content-type-header");
  std::string huge = "[{\"blob\":\"" + std::string(kLimit, 'x') + "\"}]";
  ExpectError(SendJson("POST", D(id, "/items"), huge), 413, "request-too-large");
  EXPECT_EQ(Body(Send("GET", D(id)))["data"]["itemCount"], 1);
  EXPECT_EQ(Items(id), R"([{"ok":1}])");
  // Gzip bodies are decoded like the queues'.
  ASSERT_STATUS(Send("POST", D(id, "/items"), Gzip(R"([{"gz":true}])"), "application/json", kAlice,
                     {{"Content-Encoding", "gzip"}}),
                201);
  EXPECT_EQ(Items(id), R"([{"ok":1},{"gz":true}])");
}

// The JS client's pushItems takes the JSON text of an object as well as the object, alone or in
// an array, and sends such strings as they are: each is stored as the object it holds.
TEST_F(StorageHttpTest, DatasetPushTakesItemsAsTheJsonTextOfAnObject) {
  std::string id = Dataset();
  ASSERT_STATUS(SendJson("POST", D(id, "/items"), R"("{\"z\":1,\"a\":2}")"), 201);
  ASSERT_STATUS(SendJson("POST", D(id, "/items"), R"(["{\"b\": 3}", {"c":4}])"), 201);
  EXPECT_EQ(Items(id), R"([{"z":1,"a":2},{"b":3},{"c":4}])");
  for (const char* bad : {R"("[{\"a\":1}]")", R"(["{\"a\":1}", "[1]"])", R"(["{broken"])",
                          R"(["\"nested string\""])"}) {
    ExpectError(SendJson("POST", D(id, "/items"), bad), 400, "invalid-input");
  }
  auto named = SendJson("POST", D(id, "/items"), R"(["{\"a\":1}", "{\"b\":2}", "3"])");
  EXPECT_NE(Body(named)["error"]["message"].get<std::string>().find("index 2"), std::string::npos)
      << named->body;
  EXPECT_EQ(Body(Send("GET", D(id)))["data"]["itemCount"], 3);
}

TEST_F(StorageHttpTest, DatasetOwnershipAndUnknownDatasets) {
  std::string id = Dataset("mine");
  ASSERT_STATUS(SendJson("POST", D(id, "/items"), R"({"a":1})"), 201);
  EXPECT_EQ(Send("GET", D(id, "/items"), "", "", kBob)->body, R"([{"a":1}])");
  EXPECT_EQ(Send("GET", D(id, "/items"), "", "", "")->body, R"([{"a":1}])");
  ExpectError(SendJson("POST", D(id, "/items"), R"({"evil":1})", kBob), 403,
              "insufficient-permissions");
  ExpectError(SendJson("POST", D(id, "/items"), R"({"evil":1})", ""), 401, "token-not-provided");
  ExpectError(SendJson("POST", D("AAAAAAAAAAAAAAAAA", "/items"), R"({"a":1})"), 404,
              "record-not-found");
  ExpectError(Send("GET", D("AAAAAAAAAAAAAAAAA", "/items")), 404, "record-not-found");
  ExpectError(Send("GET", D("AAAAAAAAAAAAAAAAA", "/statistics")), 404, "record-not-found");
  EXPECT_EQ(Items(id, "").size(), 9u);
  EXPECT_EQ(Send("GET", D("~mine", "/items"))->body, R"([{"a":1}])");
  ASSERT_STATUS(SendJson("PUT", D(id), R"({"generalAccess":"RESTRICTED"})"), 200);
  ExpectError(Send("GET", D(id, "/items"), "", "", kBob), 403, "insufficient-permissions");
  ExpectError(Send("DELETE", D(id), "", "", kBob), 403, "insufficient-permissions");
}

// ---- users --------------------------------------------------------------------------------

TEST_F(StorageHttpTest, UsersMeAnswersTheTokensUserAndUserIdItsPublicData) {
  auto me = Send("GET", "/v2/users/me");
  ASSERT_STATUS(me, 200);
  Json u = Body(me)["data"];
  EXPECT_TRUE(is_apify_id(u.value("id", "")));
  std::string username = u["username"];
  EXPECT_EQ(u["profile"]["name"], username);
  EXPECT_EQ(u["email"], username + "@rq-fake.invalid");
  EXPECT_EQ(u["plan"]["availableProxyGroups"], Json::object());
  EXPECT_EQ(u["isPaying"], false);
  for (const char* f :
       {"ACTORS", "STORAGE", "SCHEDULER", "PROXY", "PROXY_EXTERNAL_ACCESS", "PROXY_RESIDENTIAL",
        "PROXY_SERPS", "WEBHOOKS", "ACTORS_PUBLIC_ALL", "ACTORS_PUBLIC_DEVELOPER"}) {
    EXPECT_EQ(u["effectivePlatformFeatures"][f]["isEnabled"], true) << f;
  }
  EXPECT_TRUE(u["createdAt"].is_string());
  // The same user owns the storages the token makes.
  std::string store = Store();
  EXPECT_EQ(Body(Send("GET", K(store)))["data"]["userId"], u["id"]);

  for (const std::string& ref : {u["id"].get<std::string>(), username}) {
    auto pub = Send("GET", "/v2/users/" + ref, "", "", "");
    ASSERT_STATUS(pub, 200);
    EXPECT_EQ(Body(pub)["data"], Json({{"username", username}, {"profile", {{"name", username}}}}));
  }
  ExpectError(Send("GET", "/v2/users/nobody", "", "", ""), 404, "record-not-found");
  ExpectError(Send("GET", "/v2/users/me", "", "", ""), 401, "token-not-provided");
  ExpectError(Send("GET", "/v2/users/me/limits"), 501, "not-implemented");
  ExpectError(Send("GET", "/v2/users/me/usage/monthly"), 501, "not-implemented");
  ExpectError(Send("PUT", "/v2/users/me/limits", "{}", "application/json"), 501, "not-implemented");

  FakeServerOptions fixed = BaseOptions();
  fixed.users = {User{"", "carol", "carol-token"}};
  Start(fixed);
  EXPECT_EQ(Body(Send("GET", "/v2/users/me", "", "", "carol-token"))["data"]["username"], "carol");
  ExpectError(Send("GET", "/v2/users/me", "", "", kAlice), 401, "user-or-token-not-found");
  ExpectError(Send("GET", K("AAAAAAAAAAAAAAAAA"), "", "", kAlice), 401, "user-or-token-not-found");
  EXPECT_EQ(Body(Send("GET", "/v2/users/carol", "", "", ""))["data"]["username"], "carol");
}

// ---- what the queues have: journal, faults, rate limits, admin, concurrency ----------------

TEST_F(StorageHttpTest, StorageCallsAreJournaledWithTheirOperationAndKeys) {
  std::string id = Store();
  Put(id, "OUTPUT", "v", "text/plain");
  ExpectError(Send("GET", K(id, "/records/missing")), 404, "record-not-found");
  auto j = Send("GET", "/__admin/journal?operation=kv_put");
  ASSERT_STATUS(j, 200);
  Json entries = Body(j)["data"]["entries"];
  ASSERT_EQ(entries.size(), 1u);
  EXPECT_EQ(entries[0]["operation"], "keyValueStore_record_put");
  EXPECT_EQ(entries[0]["status"], 201);
  EXPECT_EQ(entries[0]["queue"], id);
  EXPECT_EQ(entries[0]["itemKeys"], Json::array({"OUTPUT"}));
  Json missed = Body(Send("GET", "/__admin/journal?operation=keyValueStore_record_get"))["data"];
  ASSERT_EQ(missed["entries"].size(), 1u);
  EXPECT_EQ(missed["entries"][0]["errorType"], "record-not-found");
}

TEST_F(StorageHttpTest, FaultRulesMatchStorageOperationsByAliasAndShorthand) {
  std::string store = Store();
  std::string ds = Dataset();
  auto added =
      Send("POST", "/__admin/faults", "503@100%:kv_put; 429@first=1:push_items", "text/plain");
  ASSERT_STATUS(added, 201);
  ExpectError(Send("PUT", K(store, "/records/k"), "v", "text/plain"), 503, "service-unavailable");
  ExpectError(Send("GET", K(store, "/records/k")), 404,
              "record-not-found");  // an injected error changes nothing
  auto limited = SendJson("POST", D(ds, "/items"), R"({"a":1})");
  ExpectError(limited, 429, "rate-limit-exceeded");
  EXPECT_NE(Body(limited)["error"]["message"].get<std::string>().find("400"), std::string::npos)
      << "the documented push limit: " << limited->body;
  ASSERT_STATUS(SendJson("POST", D(ds, "/items"), R"({"a":1})"), 201);  // first=1 only
  ASSERT_STATUS(Send("DELETE", "/__admin/faults"), 204);
  ASSERT_STATUS(Send("POST", "/__admin/faults",
                     R"({"match":{"operation":"keyValueStore_record_get","queue":")" + store +
                         R"("},"action":{"type":"error","status":500}})",
                     "application/json"),
                201);
  ExpectError(Send("GET", K(store, "/records/k")), 500, "internal-server-error");
  auto log = Body(Send("GET", "/__admin/journal?faulted=true"))["data"]["entries"];
  EXPECT_EQ(log.size(), 3u);
}

TEST_F(StorageHttpTest, RateLimitsPerStorageAndOperationClass) {
  FakeServerOptions o = BaseOptions();
  o.store.rate_limits.enabled = true;
  o.virtual_clock = true;  // time stands still: every call falls in one second
  Start(o);
  std::string store = Store();
  std::string other = Store();
  for (int n = 0; n < 60; ++n) ASSERT_STATUS(Send("GET", K(store)), 200);
  auto over = Send("GET", K(store));
  ExpectError(over, 429, "rate-limit-exceeded");
  EXPECT_EQ(over->get_header_value("X-RateLimit-Limit"), "60");
  ASSERT_STATUS(Send("GET", K(other)), 200);  // per storage
  // Record CRUD has a bucket of its own, 200 per second.
  for (int i = 0; i < 200; ++i) {
    ASSERT_STATUS(Send("PUT", K(store, "/records/k" + std::to_string(i)), "v", "text/plain"), 201);
  }
  ExpectError(Send("GET", K(store, "/records/k1")), 429, "rate-limit-exceeded");
  ExpectError(Send("PUT", K(store, "/records/late"), "v", "text/plain"), 429,
              "rate-limit-exceeded");
  server_->advance_clock(1000);
  ASSERT_STATUS(Send("GET", K(store, "/records/k1")), 200);
  ExpectError(Send("GET", K(store, "/records/late")), 404,
              "record-not-found");  // a refused write stored nothing
  auto limits = Body(Send("GET", "/__admin/rate-limits"))["data"];
  EXPECT_EQ(limits["kvRecordPerSec"], 200);
  EXPECT_EQ(limits["datasetPushPerSec"], 400);
  ASSERT_STATUS(Send("PUT", "/__admin/rate-limits", R"({"kvRecordPerSec":1})", "application/json"),
                200);
  server_->advance_clock(1000);
  ASSERT_STATUS(Send("GET", K(store, "/records/k1")), 200);
  ExpectError(Send("GET", K(store, "/records/k2")), 429, "rate-limit-exceeded");
}

TEST_F(StorageHttpTest, AdminResetClearsEveryStorageAndHealthCountsThem) {
  std::string store = Store("s");
  std::string ds = Dataset("d");
  Put(store, "k", "v", "text/plain");
  auto health = Body(Send("GET", "/__admin/health"))["data"];
  EXPECT_EQ(health["keyValueStores"], 1);
  EXPECT_EQ(health["datasets"], 1);
  EXPECT_EQ(health["queues"], 0);
  EXPECT_GE(health["users"], 1);
  ASSERT_STATUS(Send("POST", "/__admin/reset"), 204);
  health = Body(Send("GET", "/__admin/health"))["data"];
  EXPECT_EQ(health["keyValueStores"], 0);
  EXPECT_EQ(health["datasets"], 0);
  ExpectError(Send("GET", K(store, "/records/k")), 404, "record-not-found");
  ExpectError(Send("GET", D(ds)), 404, "record-not-found");
  EXPECT_NE(Store("s"), store) << "a new store after the reset";
}

TEST_F(StorageHttpTest, AdminStoreImportRefusesBadStoragesAndChangesNothing) {
  std::string store = Store("s");
  Put(store, "k", "v", "text/plain");
  Json snap = Body(Send("GET", "/__admin/store"))["data"];
  ASSERT_EQ(snap["keyValueStores"].size(), 1u);
  EXPECT_EQ(snap["keyValueStores"][0]["records"][0]["value"], "v");
  for (auto edit : std::vector<std::function<void(Json&)>>{
           [](Json& s) { s["keyValueStores"][0]["records"][0]["key"] = "bad key"; },
           [](Json& s) { s["keyValueStores"][0]["records"][0]["valueBase64"] = "!!"; },
           [](Json& s) {
             s["datasets"] = Json::array({{{"id", "x"}, {"userId", "u"}}});
           },
           [](Json& s) {
             s["datasets"] = Json::array(
                 {{{"id", "AAAAAAAAAAAAAAAAA"}, {"userId", "u"}, {"items", Json::array({"[1]"})}}});
           },
           [](Json& s) {
             s["users"] = Json::array({{{"id", 1}}});
           },
       }) {
    Json bad = snap;
    edit(bad);
    auto refused = Send("PUT", "/__admin/store", bad.dump(), "application/json");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << refused->body;
    EXPECT_EQ(Send("GET", K(store, "/records/k"))->body, "v") << bad.dump();
  }
}

TEST_F(StorageHttpTest, ConcurrentWritersOfOneStoreAndOneDatasetLoseNothing) {
  std::string store = Store();
  std::string ds = Dataset();
  constexpr int kThreads = 8, kEach = 40;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto c = MakeClient(true, 30);
      httplib::Headers auth{{"Authorization", std::string("Bearer ") + kAlice}};
      for (int i = 0; i < kEach; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        auto put = c->Put(K(store, "/records/" + key), auth, key, "text/plain");
        auto push = c->Post(D(ds, "/items"), auth, "{\"k\":\"" + key + "\"}", "application/json");
        auto get = c->Get(K(store, "/keys?limit=5"), auth);
        if (!put || put->status != 201 || !push || push->status != 201 || !get ||
            get->status != 200) {
          ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Body(Send("GET", K(store, "/keys")))["data"]["count"], kThreads * kEach);
  Json items = Json::parse(Items(ds));
  ASSERT_EQ(items.size(), static_cast<std::size_t>(kThreads * kEach));
  std::set<std::string> keys;
  for (const auto& it : items) keys.insert(it["k"].get<std::string>());
  EXPECT_EQ(keys.size(), static_cast<std::size_t>(kThreads * kEach));
}

}  // namespace
}  // namespace rqcheck::fake
