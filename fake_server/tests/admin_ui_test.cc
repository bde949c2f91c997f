// The dashboard over HTTP (admin_ui.h): the page at / and /__admin/ui/ with a strict CSP and no
// token, the JSON endpoints behind --admin-token, pages of each state with cursors, bounded and
// validated parameters, and a journal entry by seq. The browser tests (tests/ui/) drive the page.
#include <gtest/gtest.h>
#include <httplib.h>

#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/request_id.h"
#include "test_server.h"

namespace rqcheck::fake {
namespace {

using test_support::ExpectError;

class AdminUiTest : public test_support::FakeServerFixture {
 protected:
  void SetUp() override {
    FakeServerOptions o = BaseOptions();
    o.virtual_clock = true;
    StartServer(o);
  }

  httplib::Result Get(const std::string& path, const std::string& token = "") {
    auto c = MakeClient(false, 10);
    httplib::Headers h;
    if (!token.empty()) h.emplace("Authorization", "Bearer " + token);
    return c->Get(path, h);
  }
  httplib::Result Send(const std::string& method, const std::string& path,
                       const std::string& body = "") {
    auto c = MakeClient(false, 10);
    httplib::Headers h{{"Authorization", "Bearer t"}};
    if (method == "POST") return c->Post(path, h, body, "application/json");
    if (method == "PUT") return c->Put(path, h, body, "application/json");
    return c->Delete(path, h);
  }
  // A record put with its own content type (the body as is).
  void PutRecord(const std::string& store, const std::string& key, const std::string& body,
                 const std::string& content_type) {
    auto r = MakeClient(false, 10)->Put("/v2/key-value-stores/" + store + "/records/" + key,
                                        httplib::Headers{{"Authorization", "Bearer t"}}, body,
                                        content_type);
    ASSERT_STATUS(r, 201);
  }
  std::string CreateStorage(const std::string& kind, const std::string& name) {
    auto r = Send("POST", "/v2/" + kind + "?name=" + name);
    EXPECT_TRUE(r && r->status == 201);
    return Body(r)["data"]["id"];
  }
  std::string CreateQueue(const std::string& name) {
    auto r = Send("POST", "/v2/request-queues?name=" + name);
    EXPECT_TRUE(r && r->status == 201);
    return Body(r)["data"]["id"];
  }
  Json Data(const std::string& path, const std::string& token = "") {
    auto r = Get(path, token);
    EXPECT_TRUE(r);
    if (!r) return Json();
    EXPECT_EQ(r->status, 200) << path << ": " << r->body.substr(0, 400);
    return Body(r)["data"];
  }
};

TEST_F(AdminUiTest, PageIsServedAtRootAndUnderAdminUiWithAStrictCsp) {
  for (const char* path : {"/", "/__admin/ui", "/__admin/ui/", "/__admin/ui/index.html"}) {
    auto r = Get(path);
    ASSERT_STATUS(r, 200);
    EXPECT_EQ(r->get_header_value("Content-Type"), "text/html; charset=utf-8") << path;
    EXPECT_NE(r->body.find("<script src=\"/__admin/ui/app.js\""), std::string::npos);
    const std::string csp = r->get_header_value("Content-Security-Policy");
    EXPECT_NE(csp.find("default-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe"), std::string::npos) << csp;
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_EQ(r->get_header_value("X-Frame-Options"), "DENY");
  }
  // No inline script: every <script> of the page has a src.
  std::string html = Get("/")->body;
  for (std::size_t at = html.find("<script"); at != std::string::npos;
       at = html.find("<script", at + 1)) {
    EXPECT_EQ(html.compare(at, 13, "<script src=\""), 0) << html.substr(at, 60);
  }
  auto js = Get("/__admin/ui/app.js");
  ASSERT_STATUS(js, 200);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js->body.find("textContent"), std::string::npos);
  EXPECT_EQ(js->body.find("innerHTML"), std::string::npos) << "the page never parses data as HTML";
  EXPECT_EQ(Get("/__admin/ui/app.css")->get_header_value("Content-Type"),
            "text/css; charset=utf-8");
  ExpectError(Get("/__admin/ui/nothing.js"), 404, "page-not-found");
  ExpectError(Send("POST", "/__admin/ui/"), 405, "method-not-allowed");
  // Only GET and HEAD of / are the page; the rest of / is the API's (nothing there).
  ExpectError(Send("POST", "/"), 404, "page-not-found");
  // The dashboard is not a client: none of this is journaled.
  Data("/__admin/overview");
  EXPECT_EQ(server_->journal().size(), 1u);  // the POST / above
}

TEST_F(AdminUiTest, PageNeedsNoTokenTheDataDoes) {
  FakeServerOptions o = BaseOptions();
  o.admin_token = "admin-secret";
  StartServer(o);
  ASSERT_STATUS(Get("/"), 200);
  ASSERT_STATUS(Get("/__admin/ui/app.js"), 200);
  EXPECT_EQ(Data("/__admin/ui/session")["tokenRequired"], true);
  for (const char* path : {"/__admin/overview", "/__admin/queues", "/__admin/journal/1"}) {
    ExpectError(Get(path), 401, "token-not-provided");
    ExpectError(Get(path, "wrong"), 401, "token-not-provided");
  }
  EXPECT_TRUE(Data("/__admin/queues", "admin-secret")["items"].is_array());
  StartServer(BaseOptions());
  EXPECT_EQ(Data("/__admin/ui/session")["tokenRequired"], false);
}

TEST_F(AdminUiTest, RequestPagesOfEachStateWithCursors) {
  std::string q = CreateQueue("states");
  Json batch = Json::array();
  for (int i = 0; i < 10; ++i) {
    std::string k = "k" + std::to_string(i);
    batch.push_back(Json{{"uniqueKey", k}, {"url", "https://example.com/" + k}});
  }
  ASSERT_STATUS(Send("POST", Q(q, "/requests/batch"), batch.dump()), 201);
  ASSERT_STATUS(Send("POST", Q(q, "/head/lock?limit=3&lockSecs=60&clientKey=worker-1")), 201);
  ASSERT_STATUS(Send("POST", Q(q, "/head/lock?limit=1&lockSecs=60")), 201);  // no clientKey
  std::string handled_id = request_id_for("k9");
  ASSERT_STATUS(Send("PUT", Q(q, "/requests/" + handled_id),
                     Json{{"id", handled_id},
                          {"uniqueKey", "k9"},
                          {"url", "https://example.com/k9"},
                          {"handledAt", "2023-11-14T22:13:20.000Z"}}
                         .dump()),
                200);
  Json queue = Data("/__admin/queues/" + q);
  EXPECT_EQ(queue["name"], "states");
  EXPECT_EQ(queue["counts"], (Json{{"total", 10}, {"pending", 5}, {"locked", 4}, {"handled", 1}}));
  EXPECT_TRUE(queue["stats"].is_object());

  // Pending, in queue order, two a page.
  std::vector<std::string> keys;
  std::string cursor;
  int pages = 0;
  do {
    Json page = Data("/__admin/queues/" + q + "/requests?state=pending&limit=2" +
                     (cursor.empty() ? "" : "&cursor=" + cursor));
    ++pages;
    for (const Json& item : page["items"]) {
      EXPECT_EQ(item["state"], "pending");
      EXPECT_FALSE(item.contains("lockExpiresAt"));
      keys.push_back(item["uniqueKey"]);
    }
    cursor = page["nextCursor"].is_string() ? page["nextCursor"].get<std::string>() : "";
  } while (!cursor.empty() && pages < 10);
  EXPECT_EQ(keys, (std::vector<std::string>{"k4", "k5", "k6", "k7", "k8"}));
  EXPECT_EQ(pages, 3);

  Json locked = Data("/__admin/queues/" + q + "/requests?state=locked");
  ASSERT_EQ(locked["items"].size(), 4u);
  EXPECT_EQ(locked["items"][0]["lockClientKey"], "worker-1");
  EXPECT_EQ(locked["items"][0]["lockExpiresAt"], "2023-11-14T22:14:20.000Z");  // virtual clock
  EXPECT_TRUE(locked["items"][3]["lockClientKey"].is_null());  // locked without a clientKey
  Json handled = Data("/__admin/queues/" + q + "/requests?state=handled");
  ASSERT_EQ(handled["items"].size(), 1u);
  EXPECT_EQ(handled["items"][0]["handledAt"], "2023-11-14T22:13:20.000Z");
  Json all = Data("/__admin/queues/" + q + "/requests?state=all&limit=4");
  EXPECT_EQ(all["items"].size(), 4u);
  ASSERT_TRUE(all["nextCursor"].is_string());
  Json rest = Data("/__admin/queues/" + q +
                   "/requests?state=all&limit=10&cursor=" + all["nextCursor"].get<std::string>());
  EXPECT_EQ(rest["items"].size(), 6u);
  EXPECT_TRUE(rest["nextCursor"].is_null());

  // The locks expire on the virtual clock: the next read shows them pending.
  server_->advance_clock(60'001);
  EXPECT_EQ(Data("/__admin/queues/" + q)["counts"]["locked"], 0);
  // Exact lookups by uniqueKey and by id, O(log n); a state that does not match is no row.
  Json by_key = Data("/__admin/queues/" + q + "/requests?state=all&uniqueKey=k3");
  ASSERT_EQ(by_key["items"].size(), 1u);
  EXPECT_EQ(by_key["items"][0]["id"], request_id_for("k3"));
  EXPECT_EQ(
      Data("/__admin/queues/" + q + "/requests?state=handled&id=" + request_id_for("k3"))["items"]
          .size(),
      0u);
  EXPECT_EQ(Data("/__admin/queues/" + q + "/requests?contains=example.com/k1")["items"].size(), 1u);
}

TEST_F(AdminUiTest, RequestViewIsTheFullJsonAndRowsAreBounded) {
  std::string q = CreateQueue("full");
  // A two-byte character across the 1024-byte cut is left out whole, not split.
  std::string long_key = std::string(1023, 'x') + "\xc3\xa9" + std::string(2000, 'y');
  Json req{{"uniqueKey", long_key},
           {"url", "https://example.com/?q=<img src=x onerror=alert(1)>"},
           {"userData", {{"html", "<script>alert(1)</script>"}, {"n", 7}}},
           {"headers", {{"X-A", "b"}}}};
  auto added = Send("POST", Q(q, "/requests"), req.dump());
  ASSERT_STATUS(added, 201);
  std::string id = Body(added)["data"]["requestId"];
  Json rows = Data("/__admin/queues/" + q + "/requests");
  ASSERT_EQ(rows["items"].size(), 1u);
  const Json& row = rows["items"][0];
  EXPECT_EQ(row["uniqueKey"].get<std::string>(), std::string(1023, 'x'));
  EXPECT_EQ(row["clipped"], true);
  EXPECT_EQ(row["url"], req["url"]);  // markup is data: the JSON carries it as it is
  EXPECT_FALSE(row.contains("userData")) << "rows carry no userData, only its size";
  EXPECT_GT(row["otherFieldsBytes"].get<int>(), 40);
  Json full = Data("/__admin/queues/" + q + "/requests/" + id);
  EXPECT_EQ(full["state"], "pending");
  EXPECT_EQ(full["request"]["uniqueKey"], long_key);
  EXPECT_EQ(full["request"]["userData"], req["userData"]);
  EXPECT_EQ(full["request"]["headers"], req["headers"]);
  ExpectError(Get("/__admin/queues/" + q + "/requests/nope"), 404, "record-not-found");
}

TEST_F(AdminUiTest, BadParametersAreFourHundredsNeverFiveHundreds) {
  std::string q = CreateQueue("bad");
  const std::string base = "/__admin/queues/" + q + "/requests?";
  for (const std::string& query : std::vector<std::string>{
           "state=done", "cursor=abc", "cursor=1.2.3", "cursor=99999999999999999999999.1",
           "cursor=1.", "limit=0", "limit=1001", "limit=ten", "limit=5&limit=6", "colour=red",
           "contains=" + std::string(1025, 'a'), "cursor=" + std::string(600, '1')}) {
    ExpectError(Get(base + query), 400, "invalid-parameter");
  }
  EXPECT_EQ(Data(base + "state=all&cursor=anything-at-all")["items"].size(), 0u);
  ExpectError(Get("/__admin/queues?cursor=x.y"), 400, "invalid-parameter");
  ExpectError(Get("/__admin/queues?cursor=a.1.2"), 400, "invalid-parameter");
  ExpectError(Get("/__admin/queues/AAAAAAAAAAAAAAAAA"), 404, "record-not-found");
  ExpectError(Get("/__admin/queues/AAAAAAAAAAAAAAAAA/requests"), 404, "record-not-found");
  ExpectError(Get("/__admin/queues/AAAAAAAAAAAAAAAAA/requests?uniqueKey=a"), 404,
              "record-not-found");
  ExpectError(Get("/__admin/queues/" + q + "/other"), 404, "page-not-found");
  ExpectError(Get("/__admin/journal/0"), 400, "invalid-parameter");
  ExpectError(Get("/__admin/journal/x1"), 400, "invalid-parameter");
  ExpectError(Get("/__admin/journal/99999"), 404, "record-not-found");
  ExpectError(Send("DELETE", "/__admin/queues/" + q), 405, "method-not-allowed");
}

TEST_F(AdminUiTest, QueuesByUserOverviewAndJournalEntries) {
  std::string a = CreateQueue("first");
  std::string b = CreateQueue("second");
  auto other = MakeClient(false, 10)->Post("/v2/request-queues?name=elsewhere",
                                           httplib::Headers{{"Authorization", "Bearer other"}}, "",
                                           "application/json");
  ASSERT_STATUS(other, 201);
  Json overview = Data("/__admin/overview");
  EXPECT_EQ(overview["storages"]["requestQueues"], 3);
  EXPECT_EQ(overview["users"], 2);
  EXPECT_EQ(overview["clock"], "virtual");
  EXPECT_GE(overview["operations"].size(), 17u);
  Json page = Data("/__admin/queues?limit=2");
  EXPECT_EQ(page["total"], 3);
  ASSERT_EQ(page["items"].size(), 2u);
  ASSERT_TRUE(page["nextCursor"].is_string());
  Json page2 = Data("/__admin/queues?limit=2&cursor=" + page["nextCursor"].get<std::string>());
  ASSERT_EQ(page2["items"].size(), 1u);
  EXPECT_TRUE(page2["nextCursor"].is_null());
  std::set<std::string> ids;
  for (const Json* p : {&page, &page2}) {
    for (const Json& item : (*p)["items"]) ids.insert(item["id"].get<std::string>());
  }
  EXPECT_EQ(ids.size(), 3u);
  // By user (id or username).
  std::string user = Data("/__admin/queues/" + a)["userId"];
  std::string username = Data("/__admin/queues/" + a)["username"];
  for (const std::string& who : {user, username}) {
    Json mine = Data("/__admin/queues?user=" + who);
    ASSERT_EQ(mine["items"].size(), 2u);
    EXPECT_EQ(mine["items"][0]["id"], a);
    EXPECT_EQ(mine["items"][1]["id"], b);
  }
  EXPECT_EQ(Data("/__admin/queues?user=nobody")["items"].size(), 0u);
  // A journal entry by its seq, as the list shows it.
  Json tail = Data("/__admin/journal?limit=1");
  ASSERT_EQ(tail["entries"].size(), 1u);
  std::uint64_t seq = tail["entries"][0]["seq"];
  EXPECT_EQ(Data("/__admin/journal/" + std::to_string(seq)), tail["entries"][0]);
}

TEST_F(AdminUiTest, KeyValueStoresTheirKeysPagedAndRecordsAsStored) {
  std::string a = CreateStorage("key-value-stores", "first-store");
  std::string b = CreateStorage("key-value-stores", "second-store");
  const std::string json = "{\"a\":[1,2,3],\"html\":\"<b>x</b>\"}";
  const std::string markup = "<img src=x onerror=alert(1)>";
  const std::string binary("\x00\xff\x89PNG\r\n\x1a\n\x00", 10);
  PutRecord(a, "OUTPUT", json, "application/json; charset=utf-8");
  PutRecord(a, "page.html", markup, "text/html");
  PutRecord(a, "shot.png", binary, "image/png");
  for (int i = 0; i < 12; ++i) PutRecord(b, "item-" + std::to_string(100 + i), "x", "text/plain");

  Json overview = Data("/__admin/overview");
  EXPECT_EQ(overview["storages"]["keyValueStores"], 2);
  EXPECT_EQ(overview["storages"]["datasets"], 0);
  // The stores, paged by user and creation, as /__admin/queues.
  Json page = Data("/__admin/key-value-stores?limit=1");
  EXPECT_EQ(page["total"], 2);
  ASSERT_EQ(page["items"].size(), 1u);
  EXPECT_EQ(page["items"][0]["id"], a);
  EXPECT_EQ(page["items"][0]["recordCount"], 3);
  EXPECT_EQ(page["items"][0]["storageBytes"], json.size() + markup.size() + binary.size());
  ASSERT_TRUE(page["nextCursor"].is_string());
  Json page2 =
      Data("/__admin/key-value-stores?limit=1&cursor=" + page["nextCursor"].get<std::string>());
  ASSERT_EQ(page2["items"].size(), 1u);
  EXPECT_EQ(page2["items"][0]["id"], b);
  EXPECT_TRUE(page2["nextCursor"].is_null());
  std::string username = page["items"][0]["username"];
  EXPECT_EQ(Data("/__admin/key-value-stores?user=" + username)["items"].size(), 2u);
  EXPECT_EQ(Data("/__admin/key-value-stores?user=nobody")["items"].size(), 0u);
  Json one = Data("/__admin/key-value-stores/" + b);
  EXPECT_EQ(one["name"], "second-store");
  EXPECT_EQ(one["recordCount"], 12);
  EXPECT_EQ(one["storageBytes"], 12);

  // Keys with size and content type, in key order; a cursor walks them once; a prefix bounds.
  Json keys = Data("/__admin/key-value-stores/" + a + "/keys");
  ASSERT_EQ(keys["items"].size(), 3u);
  EXPECT_EQ(keys["items"][0], (Json{{"key", "OUTPUT"},
                                    {"size", json.size()},
                                    {"contentType", "application/json; charset=utf-8"}}));
  EXPECT_EQ(keys["items"][1]["key"], "page.html");
  EXPECT_EQ(keys["items"][2]["contentType"], "image/png");
  EXPECT_EQ(keys["items"][2]["size"], 10);
  EXPECT_TRUE(keys["nextCursor"].is_null());
  std::vector<std::string> walked;
  std::string cursor;
  for (int n = 0; n < 10; ++n) {
    Json p = Data("/__admin/key-value-stores/" + b + "/keys?limit=5" +
                  (cursor.empty() ? "" : "&cursor=" + cursor));
    EXPECT_LE(p["items"].size(), 5u);
    for (const Json& k : p["items"]) walked.push_back(k["key"]);
    if (p["nextCursor"].is_null()) break;
    cursor = p["nextCursor"];
  }
  ASSERT_EQ(walked.size(), 12u);
  EXPECT_EQ(walked.front(), "item-100");
  EXPECT_EQ(walked.back(), "item-111");
  EXPECT_EQ(std::set<std::string>(walked.begin(), walked.end()).size(), 12u);
  Json prefixed = Data("/__admin/key-value-stores/" + b + "/keys?prefix=item-11");
  ASSERT_EQ(prefixed["items"].size(), 2u);
  EXPECT_EQ(prefixed["items"][0]["key"], "item-110");

  // A record as stored, with its content type; never run as a page of this origin.
  for (const auto& [key, body, type] :
       std::vector<std::tuple<std::string, std::string, std::string>>{
           {"OUTPUT", json, "application/json; charset=utf-8"},
           {"page.html", markup, "text/html"},
           {"shot.png", binary, "image/png"}}) {
    auto r = Get("/__admin/key-value-stores/" + a + "/records/" + key);
    ASSERT_STATUS(r, 200);
    EXPECT_EQ(r->body, body) << key;
    EXPECT_EQ(r->get_header_value("Content-Type"), type);
    EXPECT_EQ(r->get_header_value("X-Content-Type-Options"), "nosniff");
    EXPECT_NE(r->get_header_value("Content-Security-Policy").find("sandbox"), std::string::npos);
    EXPECT_FALSE(r->has_header("Content-Disposition")) << key;
  }
  auto download = Get("/__admin/key-value-stores/" + a + "/records/shot.png?download=1");
  ASSERT_STATUS(download, 200);
  EXPECT_EQ(download->body, binary);
  EXPECT_EQ(download->get_header_value("Content-Disposition"), "attachment; filename=\"shot.png\"");

  // The reads charge nothing and count nothing: the store's own counters are as before.
  Json after = Data("/__admin/key-value-stores/" + a);
  EXPECT_EQ(after["stats"]["readCount"], 0);
  EXPECT_EQ(after["stats"]["listCount"], 0);

  const std::string base = "/__admin/key-value-stores/";
  ExpectError(Get(base + "AAAAAAAAAAAAAAAAA"), 404, "record-not-found");
  ExpectError(Get(base + "AAAAAAAAAAAAAAAAA/keys"), 404, "record-not-found");
  ExpectError(Get(base + "AAAAAAAAAAAAAAAAA/records/OUTPUT"), 404, "record-not-found");
  ExpectError(Get(base + a + "/records/missing"), 404, "record-not-found");
  ExpectError(Get(base + a + "/records/bad%20key"), 400, "invalid-record-key");
  ExpectError(Get(base + a + "/records/" + std::string(300, 'k')), 400, "invalid-record-key");
  ExpectError(Get(base + a + "/records/OUTPUT?download=yes"), 400, "invalid-parameter");
  ExpectError(Get(base + a + "/records/OUTPUT?raw=1"), 400, "invalid-parameter");
  for (const std::string& query : std::vector<std::string>{
           "limit=0", "limit=1001", "limit=x", "cursor=", "cursor=" + std::string(600, 'c'),
           "prefix=" + std::string(1025, 'p'), "colour=red", "limit=1&limit=2"}) {
    ExpectError(Get(base + a + "/keys?" + query), 400, "invalid-parameter");
  }
  ExpectError(Get(base + "?cursor=x.y"), 400, "invalid-parameter");
  ExpectError(Get(base + a + "?limit=1"), 400, "invalid-parameter");
  ExpectError(Get(base + a + "/other"), 404, "page-not-found");
  ExpectError(Get(base + a + "/records"), 404, "page-not-found");
  ExpectError(Send("DELETE", base + a), 405, "method-not-allowed");
  ExpectError(Send("PUT", base + a + "/records/OUTPUT", "{}"), 405, "method-not-allowed");
}

TEST_F(AdminUiTest, DatasetsAndTheirItemsPagedByOffset) {
  std::string d = CreateStorage("datasets", "results");
  Json items = Json::array();
  for (int i = 0; i < 120; ++i)
    items.push_back(Json{{"n", i}, {"html", "<i>" + std::to_string(i)}});
  ASSERT_STATUS(Send("POST", "/v2/datasets/" + d + "/items", items.dump()), 201);
  // One item over the 64 KiB a row shows: cut, and its size told.
  Json big{{"big", std::string(70000, 'b')}};
  ASSERT_STATUS(Send("POST", "/v2/datasets/" + d + "/items", big.dump()), 201);

  EXPECT_EQ(Data("/__admin/overview")["storages"]["datasets"], 1);
  Json list = Data("/__admin/datasets");
  EXPECT_EQ(list["total"], 1);
  ASSERT_EQ(list["items"].size(), 1u);
  EXPECT_EQ(list["items"][0]["id"], d);
  EXPECT_EQ(list["items"][0]["itemCount"], 121);
  EXPECT_TRUE(list["nextCursor"].is_null());
  Json one = Data("/__admin/datasets/" + d);
  EXPECT_EQ(one["name"], "results");
  EXPECT_EQ(one["itemCount"], 121);

  Json first = Data("/__admin/datasets/" + d + "/items?limit=50");
  EXPECT_EQ(first["total"], 121);
  EXPECT_EQ(first["offset"], 0);
  ASSERT_EQ(first["items"].size(), 50u);
  EXPECT_EQ(first["items"][0]["index"], 0);
  EXPECT_EQ(parse_json(first["items"][0]["json"].get<std::string>()).value(), items[0]);
  EXPECT_EQ(first["nextOffset"], 50);
  Json middle = Data("/__admin/datasets/" + d + "/items?offset=100&limit=50");
  ASSERT_EQ(middle["items"].size(), 21u);
  EXPECT_EQ(middle["items"][0]["index"], 100);
  EXPECT_EQ(parse_json(middle["items"][19]["json"].get<std::string>()).value(), items[119]);
  const Json& cut = middle["items"][20];
  EXPECT_EQ(cut["clipped"], true);
  EXPECT_EQ(cut["size"], big.dump().size());
  EXPECT_EQ(cut["json"].get<std::string>().size(), 64u * 1024);
  EXPECT_TRUE(middle["nextOffset"].is_null());
  Json past = Data("/__admin/datasets/" + d + "/items?offset=500");
  EXPECT_EQ(past["items"].size(), 0u);
  EXPECT_EQ(past["total"], 121);
  EXPECT_EQ(Data("/__admin/datasets/" + d)["stats"]["readCount"], 0) << "the reads count nothing";

  const std::string base = "/__admin/datasets/";
  ExpectError(Get(base + "AAAAAAAAAAAAAAAAA"), 404, "record-not-found");
  ExpectError(Get(base + "AAAAAAAAAAAAAAAAA/items"), 404, "record-not-found");
  for (const std::string& query :
       std::vector<std::string>{"offset=-1", "offset=x", "offset=99999999999999999999999",
                                "limit=0", "limit=1001", "desc=1", "offset=1&offset=2"}) {
    ExpectError(Get(base + d + "/items?" + query), 400, "invalid-parameter");
  }
  ExpectError(Get(base + "?cursor=a.1.2"), 400, "invalid-parameter");
  ExpectError(Get(base + d + "/other"), 404, "page-not-found");
  ExpectError(Send("POST", base + d + "/items", "[]"), 405, "method-not-allowed");
}

TEST_F(AdminUiTest, StorageReadsNeedTheAdminToken) {
  FakeServerOptions o = BaseOptions();
  o.admin_token = "admin-secret";
  StartServer(o);
  std::string kvs = CreateStorage("key-value-stores", "s");
  std::string ds = CreateStorage("datasets", "d");
  PutRecord(kvs, "k", "v", "text/plain");
  for (const std::string& path : std::vector<std::string>{
           "/__admin/key-value-stores", "/__admin/key-value-stores/" + kvs,
           "/__admin/key-value-stores/" + kvs + "/keys",
           "/__admin/key-value-stores/" + kvs + "/records/k", "/__admin/datasets",
           "/__admin/datasets/" + ds, "/__admin/datasets/" + ds + "/items"}) {
    ExpectError(Get(path), 401, "token-not-provided");
    auto r = Get(path, "admin-secret");
    ASSERT_STATUS(r, 200);
  }
}

}  // namespace
}  // namespace rqcheck::fake
