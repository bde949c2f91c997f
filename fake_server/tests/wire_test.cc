// The fake's wire layer (wire::parse_call) on HttpRequests built by hand: the request rules of
// core/requests.h as the server applies them to every call (the first fatal violation refuses the
// call before the store sees it; non-fatal ones are only reported), and the list page's wire form
// (limit, cursor, nextCursor, exclusiveStartId). `Serve` runs a call the way server.cc does but
// without a socket: parse, authenticate, the operation, the writer. Decisions of spec section 9
// are named where a test pins one (DECISIONS.md).
#include "wire.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "operations.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/requests.h"
#include "rqcheck/core/time.h"
#include "rqcheck/core/types.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {
namespace {

constexpr const char* kAlice = "token-alice";
constexpr TimeMs kT0 = 1'700'000'000'000;

Json Body(const std::string& unique_key, const std::string& url = "") {
  return Json{{"uniqueKey", unique_key}, {"url", url.empty() ? unique_key : url}};
}

RequestDraft Req(const std::string& unique_key) {
  RequestDraft d;
  d.unique_key = d.url = unique_key;
  return d;
}

// The violation of `rule` the parse recorded, if any.
const Violation* Find(const Violations& v, std::string_view rule) {
  for (const Violation& x : v) {
    if (x.rule == rule) return &x;
  }
  return nullptr;
}

// An answer of Serve: status and body.
struct Answer {
  int status = 0;
  Json body;
  const Call* call = nullptr;
};

void ExpectError(const Answer& a, int status, const std::string& type, const std::string& what) {
  EXPECT_EQ(a.status, status) << what << ": " << a.body.dump();
  EXPECT_EQ(a.body["error"]["type"], type) << what << ": " << a.body.dump();
  EXPECT_TRUE(a.body["error"]["message"].is_string()) << what;
}

class WireTest : public ::testing::Test {
 protected:
  WireTest() : store_(Options(), clock_) {
    alice_ = store_.user_for_token(kAlice).value();
    auto q = store_.create_queue(Me(), std::nullopt);
    EXPECT_TRUE(q);
    q_ = q ? q->info.id : "";
  }

  static StoreOptions Options() {
    StoreOptions o;
    o.rate_limits.enabled = false;
    return o;
  }

  Caller Me() const { return Caller{&alice_, std::nullopt}; }
  QueueRef Queue() const { return QueueRef::by_id(q_); }

  std::string Q(const std::string& rest = "") const { return "/v2/request-queues/" + q_ + rest; }

  // A request as the transport hands it over: decoded query, Alice's token, a JSON body.
  static HttpRequest Http(std::string method, std::string path, Params query = {},
                          std::string body = "", std::string content_type = "application/json") {
    HttpRequest h;
    h.method = std::move(method);
    h.path = std::move(path);
    h.target = h.path;
    h.query = std::move(query);
    h.headers.emplace_back("Authorization", std::string("Bearer ") + kAlice);
    if (!body.empty() && !content_type.empty())
      h.headers.emplace_back("Content-Type", content_type);
    h.body = std::move(body);
    h.body_bytes = h.body.size();
    h.remote_addr = "127.0.0.1";
    return h;
  }

  // wire::parse_call on the request (kept alive: a Call points at its HttpRequest).
  Call& Parse(HttpRequest http, wire::WireOptions o = {}) {
    auto& ex = exchanges_.emplace_back(std::make_unique<Exchange>());
    ex->http = std::move(http);
    RouteMatch route = match_route(ex->http.method, ex->http.path);
    EXPECT_EQ(route.kind, RouteMatch::kOperation) << ex->http.method << " " << ex->http.path;
    if (route.kind == RouteMatch::kOperation) wire::parse_call(ex->http, route, o, ex->call);
    return ex->call;
  }

  // The call the whole way through the fake but the socket, as server.cc runs it.
  Answer Serve(HttpRequest http, wire::WireOptions o = {}) {
    Call& call = Parse(std::move(http), o);
    if (call.token) {
      auto u = store_.user_for_token(*call.token);
      EXPECT_TRUE(u);
      if (u) call.user = *u;
    }
    Reply reply;
    if (call.refusal) {
      reply = Reply::of_error(*call.refusal);
    } else {
      Outcome out = run_operation(store_, call);
      reply = wire::write_outcome(call, out);
    }
    Answer a;
    a.status = reply.status;
    a.call = &call;
    if (!reply.body.empty()) {
      a.body = Json::parse(reply.body, nullptr, false);
      EXPECT_FALSE(a.body.is_discarded()) << reply.body.substr(0, 300);
    }
    return a;
  }

  void AddAll(int n, const std::string& prefix = "k") {
    std::vector<RequestDraft> batch;
    for (int i = 0; i < n; ++i) {
      batch.push_back(Req(prefix + std::to_string(i)));
      if (batch.size() == kMaxBatch || i + 1 == n) {
        ASSERT_TRUE(store_.batch_add(Me(), Queue(), std::move(batch), WriteOptions{}));
        batch.clear();
      }
    }
  }

  std::int64_t Total() {
    auto i = store_.get_queue(Me(), Queue());
    EXPECT_TRUE(i);
    return i ? i->total_request_count : -1;
  }

  std::vector<std::string> HeadKeys() {
    auto h = store_.head(Me(), Queue(), 1000);
    EXPECT_TRUE(h);
    std::vector<std::string> out;
    if (h) {
      for (const auto& item : h->items) out.push_back(item.unique_key);
    }
    return out;
  }

  static std::vector<std::string> Ids(const Answer& page) {
    std::vector<std::string> out;
    for (const auto& item : page.body["data"]["items"]) out.push_back(item["id"]);
    return out;
  }

  struct Exchange {
    HttpRequest http;
    Call call;
  };

  ManualClock clock_{kT0};
  Store store_;
  User alice_;
  std::string q_;
  std::deque<std::unique_ptr<Exchange>> exchanges_;
};

// ---- decisions 1, 6, 7: bodies that break the rules never reach the store
// ------------------------

TEST_F(WireTest, BodiesThatBreakTheRequestRulesAreRefusedAndStoreNothing) {
  struct Case {
    const char* what;
    const char* method;
    std::string path, body, type;
  };
  Json batch26 = Json::array(), del26 = Json::array();
  for (int i = 0; i < 26; ++i) {
    batch26.push_back(Body("b" + std::to_string(i)));
    del26.push_back(Json{{"uniqueKey", "k" + std::to_string(i)}});
  }
  AddAll(26);
  const std::vector<Case> cases = {
      {"add without uniqueKey", "POST", Q("/requests"), R"({"url":"http://a.example"})",
       "invalid-input"},
      {"add with a wrong type", "POST", Q("/requests"), R"({"uniqueKey":5,"url":"u"})",
       "invalid-input"},
      {"add of an array", "POST", Q("/requests"), "[]", "invalid-input"},
      {"add of broken JSON", "POST", Q("/requests"), R"({"uniqueKey":)", "invalid-input"},
      {"batch of 26", "POST", Q("/requests/batch"), batch26.dump(), "invalid-input"},
      {"empty batch", "POST", Q("/requests/batch"), "[]", "invalid-input"},
      {"batch item without uniqueKey", "POST", Q("/requests/batch"),
       Json::array({Body("x1"), Json{{"url", "http://no-key.example"}}}).dump(), "invalid-input"},
      {"duplicates in a batch", "POST", Q("/requests/batch"),
       Json::array({Body("a"), Body("b"), Body("a", "http://other.example")}).dump(),
       "request-queue-duplicate-requests"},
      {"batch delete of 26", "DELETE", Q("/requests/batch"), del26.dump(), "invalid-input"},
      {"empty batch delete", "DELETE", Q("/requests/batch"), "[]", "invalid-input"},
      {"PUT without url", "PUT", Q("/requests/" + request_id_for("k0")), R"({"uniqueKey":"k0"})",
       "invalid-input"},
  };
  for (const Case& c : cases) {
    Call& call = Parse(Http(c.method, c.path, {}, c.body));
    ASSERT_TRUE(call.refusal) << c.what;
    EXPECT_EQ(call.refusal->status, 400) << c.what;
    EXPECT_EQ(call.refusal->type, c.type) << c.what;
    ExpectError(Serve(Http(c.method, c.path, {}, c.body)), 400, c.type, c.what);
  }
  EXPECT_EQ(Total(), 26);
  EXPECT_EQ(HeadKeys().size(), 26u);
  // The rule names the compliance report uses.
  EXPECT_TRUE(Find(Parse(Http("POST", Q("/requests/batch"), {}, batch26.dump())).violations,
                   "request.batch_size"));
  EXPECT_TRUE(Find(Parse(Http("POST", Q("/requests/batch"), {}, cases[7].body)).violations,
                   "request.batch_duplicate_keys"));
  // Exactly 25 is fine.
  batch26.erase(batch26.size() - 1);
  Answer ok = Serve(Http("POST", Q("/requests/batch"), {}, batch26.dump()));
  EXPECT_EQ(ok.status, 201) << ok.body.dump();
  EXPECT_EQ(ok.body["data"]["processedRequests"].size(), 25u);
  EXPECT_EQ(Total(), 51);
}

// ---- decision 2: id in an add body ------------------------------------------------------------

TEST_F(WireTest, AddBodyIdNotDerivedFromUniqueKeyIsRequestIdInvalid) {
  Json body = Body("http://example.com");
  body["id"] = request_id_for("http://example.com/other");
  Call& call = Parse(Http("POST", Q("/requests"), {}, body.dump()));
  ASSERT_TRUE(call.refusal);
  EXPECT_EQ(call.refusal->type, "request-id-invalid");
  const Violation* v = Find(call.violations, "request.id_mismatch");
  ASSERT_TRUE(v);
  EXPECT_TRUE(v->fatal);
  ExpectError(Serve(Http("POST", Q("/requests"), {}, body.dump())), 400, "request-id-invalid",
              "add");
  ExpectError(Serve(Http("POST", Q("/requests/batch"), {}, Json::array({Body("ok"), body}).dump())),
              400, "request-id-invalid", "batch add");
  EXPECT_EQ(Total(), 0);
  // The derived id itself is accepted.
  body["id"] = request_id_for("http://example.com");
  Answer ok = Serve(Http("POST", Q("/requests"), {}, body.dump()));
  EXPECT_EQ(ok.status, 201) << ok.body.dump();
  EXPECT_EQ(ok.body["data"]["requestId"], body["id"]);
  EXPECT_EQ(Total(), 1);
}

// ---- decision 3: PUT body id ------------------------------------------------------------------

TEST_F(WireTest, UpdateBodyIdIsOptionalButMustMatchPathAndDerivedId) {
  ASSERT_TRUE(store_.add_request(Me(), Queue(), Req("k1"), WriteOptions{}));
  const std::string id = request_id_for("k1");
  auto put = [&](const std::string& path_id, const Json& body) {
    return Serve(Http("PUT", Q("/requests/" + path_id), {}, body.dump()));
  };
  auto url = [&]() {
    Json out;
    EXPECT_TRUE(store_.get_request(Me(), Queue(), id,
                                   [&out](const RequestView& r) { out = std::string(r.url); }));
    return out;
  };
  // Without id: fine.
  EXPECT_EQ(put(id, Body("k1", "http://new.example")).status, 200);
  EXPECT_EQ(url(), "http://new.example");
  // Body id equal to both: fine.
  Json with_id = Body("k1", "http://newer.example");
  with_id["id"] = id;
  EXPECT_EQ(put(id, with_id).status, 200);
  EXPECT_EQ(url(), "http://newer.example");
  // Body id different from the path id.
  Json other = Body("k1", "http://bad.example");
  other["id"] = request_id_for("k2");
  ExpectError(put(id, other), 400, "request-id-invalid", "body id differs from the path id");
  // Path id that is not derived from the body's uniqueKey.
  ExpectError(put(request_id_for("k2"), Body("k1", "http://bad.example")), 400,
              "request-id-invalid", "path id not derived from the uniqueKey");
  EXPECT_EQ(url(), "http://newer.example");
  EXPECT_EQ(Total(), 1);
}

// ---- decision 8: clientKey length -------------------------------------------------------------

TEST_F(WireTest, ClientKeyOutsideOneToThirtyTwoCharactersIsInvalidClientKey) {
  ASSERT_TRUE(store_.add_request(Me(), Queue(), Req("k"), WriteOptions{}));
  for (const std::string& bad : {std::string(), std::string(33, 'c')}) {
    SCOPED_TRACE("clientKey of " + std::to_string(bad.size()) + " characters");
    const Params ck{{"clientKey", bad}};
    Params lock = ck;
    lock.emplace("lockSecs", "60");
    ExpectError(Serve(Http("POST", Q("/requests"), ck, Body("new").dump())), 400,
                "invalid-client-key", "add");
    ExpectError(Serve(Http("POST", Q("/head/lock"), lock)), 400, "invalid-client-key", "lock");
    ExpectError(Serve(Http("GET", Q("/head"), ck)), 400, "invalid-client-key", "head");
    ExpectError(Serve(Http("GET", Q("/requests"), ck)), 400, "invalid-client-key", "list");
    ExpectError(Serve(Http("POST", Q("/requests/unlock"), ck)), 400, "invalid-client-key",
                "unlock");
    ExpectError(Serve(Http("PUT", Q("/requests/" + request_id_for("k") + "/lock"), lock)), 400,
                "invalid-client-key", "prolong");
    // GET request takes no clientKey: the bad one is reported, not refused.
    Call& get = Parse(Http("GET", Q("/requests/" + request_id_for("k")), ck));
    EXPECT_FALSE(get.refusal);
    const Violation* v = Find(get.violations, "request.client_key_length");
    ASSERT_TRUE(v);
    EXPECT_FALSE(v->fatal);
  }
  EXPECT_EQ(Total(), 1);
  EXPECT_EQ(HeadKeys(), std::vector<std::string>{"k"});  // nothing got locked
  EXPECT_EQ(
      Serve(Http("POST", Q("/requests"), {{"clientKey", std::string(32, 'c')}}, Body("k32").dump()))
          .status,
      201);
  EXPECT_EQ(Serve(Http("POST", Q("/requests"), {{"clientKey", "c"}}, Body("k1").dump())).status,
            201);
  EXPECT_EQ(Total(), 3);
}

// ---- decision 9: lockSecs ---------------------------------------------------------------------

TEST_F(WireTest, NegativeOrNonFiniteLockSecsIsInvalidParameter) {
  ASSERT_TRUE(store_.add_request(Me(), Queue(), Req("k"), WriteOptions{}));
  for (std::optional<std::string> bad :
       {std::optional<std::string>(), std::optional<std::string>("-1"),
        std::optional<std::string>("-0.5"), std::optional<std::string>("nan"),
        std::optional<std::string>("NaN"), std::optional<std::string>("inf"),
        std::optional<std::string>("Infinity"), std::optional<std::string>("sixty"),
        std::optional<std::string>("")}) {
    Params p{{"clientKey", "c1"}};
    if (bad) p.emplace("lockSecs", *bad);
    const std::string what = bad ? "lockSecs=" + *bad : "no lockSecs";
    Call& call = Parse(Http("POST", Q("/head/lock"), p));
    ASSERT_TRUE(call.refusal) << what;
    EXPECT_TRUE(Find(call.violations, "request.lock_secs")) << what;
    ExpectError(Serve(Http("POST", Q("/head/lock"), p)), 400, "invalid-parameter", what);
  }
  EXPECT_EQ(HeadKeys(), std::vector<std::string>{"k"});  // nothing got locked
  Answer locked = Serve(Http("POST", Q("/head/lock"), {{"lockSecs", "60"}, {"clientKey", "c1"}}));
  ASSERT_EQ(locked.status, 201) << locked.body.dump();
  ASSERT_EQ(locked.body["data"]["items"].size(), 1u);
  const std::string lock_path = Q("/requests/" + request_id_for("k") + "/lock");
  ExpectError(Serve(Http("PUT", lock_path, {{"lockSecs", "-5"}, {"clientKey", "c1"}})), 400,
              "invalid-parameter", "prolong by -5");
  ExpectError(Serve(Http("PUT", lock_path, {{"clientKey", "c1"}})), 400, "invalid-parameter",
              "prolong without lockSecs");
  Answer prolonged = Serve(Http("PUT", lock_path, {{"lockSecs", "2.5"}, {"clientKey", "c1"}}));
  ASSERT_EQ(prolonged.status, 200) << prolonged.body.dump();
  EXPECT_EQ(prolonged.body["data"]["lockExpiresAt"], format_iso8601(kT0 + 2'500));
}

// ---- decision 10: limits above the maximum ----------------------------------------------------

TEST_F(WireTest, LimitsAboveTheMaximumAreClampedAndReported) {
  AddAll(30);
  Answer page = Serve(Http("GET", Q("/requests"), {{"limit", "20000"}}));
  ASSERT_EQ(page.status, 200) << page.body.dump();
  EXPECT_EQ(page.body["data"]["limit"], 10000);
  EXPECT_EQ(page.body["data"]["items"].size(), 30u);
  EXPECT_FALSE(page.call->refusal);
  const Violation* clamped = Find(page.call->violations, "request.limit");
  ASSERT_TRUE(clamped);
  EXPECT_FALSE(clamped->fatal);
  Answer lock = Serve(
      Http("POST", Q("/head/lock"), {{"lockSecs", "60"}, {"limit", "100"}, {"clientKey", "c1"}}));
  ASSERT_EQ(lock.status, 201) << lock.body.dump();
  EXPECT_EQ(lock.body["data"]["limit"], 25);
  EXPECT_EQ(lock.body["data"]["items"].size(), 25u);
  Answer head = Serve(Http("GET", Q("/head"), {{"limit", "5000"}}));
  ASSERT_EQ(head.status, 200) << head.body.dump();
  EXPECT_EQ(head.body["data"]["limit"], 1000);
  EXPECT_EQ(head.body["data"]["items"].size(), 5u);
  // Below the minimum, or not an integer: 400.
  ExpectError(Serve(Http("GET", Q("/requests"), {{"limit", "0"}})), 400, "invalid-parameter",
              "list limit 0");
  ExpectError(Serve(Http("GET", Q("/head"), {{"limit", "-1"}})), 400, "invalid-parameter",
              "head limit -1");
  ExpectError(Serve(Http("GET", Q("/requests"), {{"limit", "2.5"}})), 400, "invalid-parameter",
              "list limit 2.5");
}

TEST_F(WireTest, RejectOverMaxLimitSwitchAnswersInvalidParameter) {
  ASSERT_TRUE(store_.add_request(Me(), Queue(), Req("k"), WriteOptions{}));
  wire::WireOptions reject;
  reject.reject_over_max_limit = true;
  ExpectError(Serve(Http("GET", Q("/requests"), {{"limit", "10001"}}), reject), 400,
              "invalid-parameter", "list 10001");
  ExpectError(Serve(Http("POST", Q("/head/lock"),
                         {{"lockSecs", "60"}, {"limit", "26"}, {"clientKey", "c1"}}),
                    reject),
              400, "invalid-parameter", "lock 26");
  ExpectError(Serve(Http("GET", Q("/head"), {{"limit", "1001"}}), reject), 400, "invalid-parameter",
              "head 1001");
  EXPECT_EQ(HeadKeys(), std::vector<std::string>{"k"});
  EXPECT_EQ(Serve(Http("GET", Q("/requests"), {{"limit", "10000"}}), reject).status, 200);
  Answer ok = Serve(
      Http("POST", Q("/head/lock"), {{"lockSecs", "60"}, {"limit", "25"}, {"clientKey", "c1"}}),
      reject);
  ASSERT_EQ(ok.status, 201) << ok.body.dump();
  EXPECT_EQ(ok.body["data"]["items"].size(), 1u);
}

// ---- decision 11: default limits --------------------------------------------------------------

TEST_F(WireTest, DefaultLimitsAreThousandForListHundredForHeadTwentyFiveForLock) {
  AddAll(1001);
  Answer page = Serve(Http("GET", Q("/requests")));
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.body["data"]["limit"], 1000);
  EXPECT_EQ(page.body["data"]["items"].size(), 1000u);
  EXPECT_TRUE(page.body["data"].contains("nextCursor"));
  Answer head = Serve(Http("GET", Q("/head")));
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.body["data"]["limit"], 100);
  EXPECT_EQ(head.body["data"]["items"].size(), 100u);
  Answer lock = Serve(Http("POST", Q("/head/lock"), {{"lockSecs", "60"}, {"clientKey", "c1"}}));
  ASSERT_EQ(lock.status, 201);
  EXPECT_EQ(lock.body["data"]["limit"], 25);
  EXPECT_EQ(lock.body["data"]["items"].size(), 25u);
}

// ---- decisions 31 and 34: cursor and page -----------------------------------------------------

TEST_F(WireTest, CursorIsBase64UrlOfTheLastListedRequestId) {
  AddAll(5);
  Answer page = Serve(Http("GET", Q("/requests"), {{"limit", "2"}}));
  ASSERT_EQ(page.status, 200) << page.body.dump();
  const Json& data = page.body["data"];
  ASSERT_TRUE(data.contains("nextCursor"));
  EXPECT_EQ(data["limit"], 2);
  EXPECT_FALSE(data.contains("count"));  // decision 34
  EXPECT_FALSE(data.contains("cursor"));
  std::string raw;
  std::string cursor = data["nextCursor"];
  EXPECT_EQ(cursor.find_first_of("+/="), std::string::npos);
  ASSERT_TRUE(base64_decode(cursor, raw));
  EXPECT_EQ(Json::parse(raw), (Json{{"requestId", data["items"][1]["id"]}}));
  Call& parsed = Parse(Http("GET", Q("/requests"), {{"limit", "2"}, {"cursor", cursor}}));
  EXPECT_EQ(parsed.args.list.after, data["items"][1]["id"].get<std::string>());
  Answer next = Serve(Http("GET", Q("/requests"), {{"limit", "2"}, {"cursor", cursor}}));
  ASSERT_EQ(next.status, 200) << next.body.dump();
  EXPECT_EQ(next.body["data"]["cursor"], cursor);
  ASSERT_EQ(next.body["data"]["items"].size(), 2u);
  EXPECT_GT(next.body["data"]["items"][0]["id"].get<std::string>(),
            data["items"][1]["id"].get<std::string>());
  // The last page has no nextCursor.
  Answer last = Serve(
      Http("GET", Q("/requests"), {{"limit", "2"}, {"cursor", next.body["data"]["nextCursor"]}}));
  ASSERT_EQ(last.status, 200) << last.body.dump();
  EXPECT_EQ(last.body["data"]["items"].size(), 1u);
  EXPECT_FALSE(last.body["data"].contains("nextCursor"));
  // A cursor that does not decode, or decodes to something else, is a 400.
  for (const std::string& bad :
       {std::string("%%%"), base64url_unpadded(R"({"id":"x"})"), base64url_unpadded("not json")}) {
    Call& call = Parse(Http("GET", Q("/requests"), {{"cursor", bad}}));
    EXPECT_TRUE(Find(call.violations, "request.cursor")) << bad;
    ExpectError(Serve(Http("GET", Q("/requests"), {{"cursor", bad}})), 400, "invalid-parameter",
                "cursor " + bad);
  }
}

// ---- decision 32: filter values ---------------------------------------------------------------

TEST_F(WireTest, FilterTakesLockedAndPendingAndRefusesOtherValues) {
  auto parse = [&](Params p) -> Call& { return Parse(Http("GET", Q("/requests"), std::move(p))); };
  Call& both = parse({{"filter", "locked,pending"}});
  EXPECT_FALSE(both.refusal);
  EXPECT_TRUE(both.args.list.filter_locked);
  EXPECT_TRUE(both.args.list.filter_pending);
  Call& repeated = parse({{"filter", "locked"}, {"filter", "pending"}});
  EXPECT_TRUE(repeated.args.list.filter_locked);
  EXPECT_TRUE(repeated.args.list.filter_pending);
  Call& locked = parse({{"filter", "locked"}});
  EXPECT_TRUE(locked.args.list.filter_locked);
  EXPECT_FALSE(locked.args.list.filter_pending);
  Call& none = parse({{"filter", ""}});
  EXPECT_FALSE(none.refusal);
  EXPECT_FALSE(none.args.list.filter_locked || none.args.list.filter_pending);
  for (const char* bad : {"handled", "locked,handled", "LOCKED"}) {
    Call& c = parse({{"filter", bad}});
    ASSERT_TRUE(c.refusal) << bad;
    EXPECT_EQ(c.refusal->type, "invalid-parameter") << bad;
    EXPECT_TRUE(Find(c.violations, "request.filter")) << bad;
  }
  // Through the store: the union of the states asked for.
  AddAll(3);
  ASSERT_TRUE(store_.head_and_lock(Caller{&alice_, "c1"}, Queue(), 60, 1));
  EXPECT_EQ(Serve(Http("GET", Q("/requests"), {{"filter", "locked"}})).body["data"]["items"].size(),
            1u);
  EXPECT_EQ(
      Serve(Http("GET", Q("/requests"), {{"filter", "pending"}})).body["data"]["items"].size(), 2u);
  EXPECT_EQ(Serve(Http("GET", Q("/requests"), {{"filter", "locked,pending"}}))
                .body["data"]["items"]
                .size(),
            3u);
}

// ---- decision 33: exclusiveStartId ------------------------------------------------------------

TEST_F(WireTest, ExclusiveStartIdSkipsThroughThatIdAndRefusesCursorOrFilter) {
  std::vector<std::string> ids;
  for (int i = 0; i < 6; ++i) ids.push_back(request_id_for("k" + std::to_string(i)));
  AddAll(6);
  std::sort(ids.begin(), ids.end());
  Answer page = Serve(Http("GET", Q("/requests"), {{"exclusiveStartId", ids[2]}}));
  ASSERT_EQ(page.status, 200) << page.body.dump();
  EXPECT_EQ(Ids(page), std::vector<std::string>(ids.begin() + 3, ids.end()));
  EXPECT_EQ(page.body["data"]["exclusiveStartId"], ids[2]);
  EXPECT_FALSE(page.body["data"].contains("cursor"));
  const std::vector<std::pair<std::string, std::string>> others = {
      {"cursor", encode_cursor(ids[0])}, {"filter", "pending"}, {"filter", "locked"}};
  for (const auto& [name, value] : others) {
    const Params p{{"exclusiveStartId", ids[2]}, {name, value}};
    Call& c = Parse(Http("GET", Q("/requests"), p));
    EXPECT_TRUE(Find(c.violations, "request.exclusive_start_id")) << name;
    ExpectError(Serve(Http("GET", Q("/requests"), p)), 400, "invalid-parameter",
                "exclusiveStartId with " + name);
  }
}

// ---- spec 1: Content-Type ---------------------------------------------------------------------

// One rule for JSON bodies: application/json, with parameters, in any case. Other types, +json
// ones included, are refused (the rewrite made this one rule; the earlier fake also took +json).
TEST_F(WireTest, JsonBodiesNeedContentTypeApplicationJson) {
  const std::string body = Body("a").dump();
  for (const char* ok :
       {"application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8"}) {
    Call& c = Parse(Http("POST", Q("/requests"), {}, body, ok));
    EXPECT_FALSE(c.refusal) << ok;
  }
  for (const char* bad : {"text/plain", "application/vnd.api+json",
                          "application/x-www-form-urlencoded", "application/jsonp"}) {
    Call& c = Parse(Http("POST", Q("/requests"), {}, body, bad));
    ASSERT_TRUE(c.refusal) << bad;
    EXPECT_EQ(c.refusal->type, "invalid-content-type-header") << bad;
  }
  // Without a Content-Type: reported; refused only for batch delete, which declares it required.
  Call& add = Parse(Http("POST", Q("/requests"), {}, body, ""));
  EXPECT_FALSE(add.refusal);
  EXPECT_TRUE(Find(add.violations, "request.content_type"));
  Call& del = Parse(Http("DELETE", Q("/requests/batch"), {}, R"([{"uniqueKey":"a"}])", ""));
  ASSERT_TRUE(del.refusal);
  EXPECT_EQ(del.refusal->type, "invalid-content-type-header");
  EXPECT_EQ(Total(), 0);
}

}  // namespace
}  // namespace rqcheck::fake
