// The request rules of core/requests.h, each where it lives: bodies (decisions 1, 2, 6, 7 and the
// RequestBase types of spec section 2), PUT ids (3), clientKey (8), lockSecs (9), limits (10, 11),
// booleans (18), timestamps (39) and the JSON content type (spec 1). The fake's wire layer refuses
// a call with the first fatal violation (fake_server/tests/wire_test.cc); these tests pin the
// rules themselves, their error types and the rule names the compliance report uses.
#include "rqcheck/core/requests.h"

#include <gtest/gtest.h>

#include <cmath>
#include <optional>
#include <string>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/limits.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/time.h"

namespace rqcheck {
namespace {

Json Body(const std::string& unique_key, const std::string& url = "") {
  return Json{{"uniqueKey", unique_key}, {"url", url.empty() ? unique_key : url}};
}

bool HasRule(const Violations& v, std::string_view rule) {
  for (const Violation& x : v) {
    if (x.rule == rule) return true;
  }
  return false;
}

void ExpectRefused(const ApiError& e, int status, const std::string& type,
                   const std::string& what) {
  EXPECT_EQ(e.status, status) << what << ": " << e.message;
  EXPECT_EQ(e.type, type) << what << ": " << e.message;
  EXPECT_FALSE(e.message.empty()) << what;
}

// ---- decision 1: uniqueKey required; the RequestBase types ------------------------------------

TEST(RequestsTest, AddWithoutUniqueKeyIsInvalidInput) {
  Violations v;
  auto r = parse_request_body(R"({"url":"http://a.example"})", v);
  ASSERT_FALSE(r);
  ExpectRefused(r.error(), 400, "invalid-input", "no uniqueKey");
  EXPECT_NE(r.error().message.find("uniqueKey"), std::string::npos) << r.error().message;
  EXPECT_TRUE(HasRule(v, "request.unique_key_missing"));
  // uniqueKey and url present: a draft, GET by default.
  Violations ok;
  auto d = parse_request_body(Body("k", "http://k.example").dump(), ok);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->unique_key, "k");
  EXPECT_EQ(d->url, "http://k.example");
  EXPECT_EQ(kRequestMethods[d->method], "GET");
  EXPECT_EQ(d->retry_count, 0);
  EXPECT_FALSE(d->handled_at);
  EXPECT_FALSE(d->id);
  EXPECT_TRUE(ok.empty());
}

TEST(RequestsTest, BatchItemWithoutUniqueKeyIsRejected) {
  Violations v;
  Json batch = Json::array({Body("k1"), Json{{"url", "http://no-key.example"}}, Body("k3")});
  auto r = parse_batch_add_body(batch.dump(), v);
  ASSERT_FALSE(r);
  ExpectRefused(r.error(), 400, "invalid-input", "batch item without uniqueKey");
  EXPECT_NE(r.error().message.find("item 1"), std::string::npos) << r.error().message;
  EXPECT_TRUE(HasRule(v, "request.unique_key_missing"));
}

TEST(RequestsTest, WrongFieldTypesInAddBodyAreInvalidInput) {
  for (const Json& body :
       {Json{{"uniqueKey", 5}, {"url", "u"}}, Json{{"uniqueKey", "k"}, {"url", 5}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"method", "FETCH"}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"method", "get"}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"retryCount", -1}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"retryCount", 1.5}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"retryCount", 4294967296LL}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"userData", "x"}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"headers", Json::array()}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"noRetry", "yes"}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"errorMessages", "boom"}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"payload", 5}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"handledAt", "yesterday"}},
        Json{{"uniqueKey", "k"}, {"url", "u"}, {"id", 5}}, Json{{"uniqueKey", "k"}}, Json::array(),
        Json("text")}) {
    Violations v;
    auto r = parse_request_body(body.dump(), v);
    ASSERT_FALSE(r) << body.dump();
    ExpectRefused(r.error(), 400, "invalid-input", body.dump());
    ASSERT_FALSE(v.empty()) << body.dump();
    EXPECT_TRUE(v.front().fatal) << body.dump();
  }
  // Not JSON at all, or empty.
  for (const char* text : {"", "{", "{\"uniqueKey\":\"k\",}", "nul"}) {
    Violations v;
    auto r = parse_request_body(text, v);
    ASSERT_FALSE(r) << text;
    ExpectRefused(r.error(), 400, "invalid-input", text);
    EXPECT_TRUE(HasRule(v, "request.body_not_json")) << text;
  }
  // Nesting deeper than kMaxJsonDepth is refused, not a stack overflow.
  std::string deep = R"({"uniqueKey":"k","url":"u","userData":)";
  for (std::size_t i = 0; i < kMaxJsonDepth + 10; ++i) deep += "{\"a\":";
  deep += "1";
  for (std::size_t i = 0; i < kMaxJsonDepth + 10; ++i) deep += "}";
  deep += "}";
  Violations v;
  auto r = parse_request_body(deep, v);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().status, 400);
}

// The fields the API does not interpret are kept as compact JSON to splice into the stored
// request; the server-owned lock fields are dropped.
TEST(RequestsTest, OtherFieldsAreKeptAndServerOwnedOnesDropped) {
  Json body = Body("k", "http://k.example");
  body["method"] = "POST";
  body["retryCount"] = 3;
  body["userData"] = Json{{"label", "L"}, {"n", 1}};
  body["headers"] = Json{{"x", "y"}};
  body["payload"] = "p";
  body["noRetry"] = true;
  body["lockExpiresAt"] = "2024-01-01T00:00:00.000Z";
  body["lockByClient"] = "c1";
  body["id"] = nullptr;
  body["handledAt"] = nullptr;
  Violations v;
  auto d = parse_request_body(body.dump(), v);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(kRequestMethods[d->method], "POST");
  EXPECT_EQ(request_method_index("POST"), d->method);
  EXPECT_EQ(d->retry_count, 3);
  EXPECT_FALSE(d->id);
  EXPECT_FALSE(d->handled_at);
  ASSERT_FALSE(d->extra.empty());
  EXPECT_EQ(d->extra.front(), ',');
  Json extra = Json::parse("{" + d->extra.substr(1) + "}", nullptr, false);
  ASSERT_TRUE(extra.is_object()) << d->extra;
  EXPECT_EQ(extra, (Json{{"userData", body["userData"]},
                         {"headers", body["headers"]},
                         {"payload", "p"},
                         {"noRetry", true}}));
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(request_method_index("FETCH"));
}

// ---- decision 2: id in an add body ------------------------------------------------------------

TEST(RequestsTest, AddBodyIdEqualToDerivedIdIsAccepted) {
  Json body = Body("http://example.com");
  body["id"] = request_id_for("http://example.com");
  Violations v;
  auto d = parse_request_body(body.dump(), v);
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->id, body["id"].get<std::string>());
  auto rid = check_derived_id(*d);
  ASSERT_TRUE(rid) << rid.error().message;
  EXPECT_EQ(*rid, request_id_for("http://example.com"));
  // Without an id: the derived id.
  d->id.reset();
  EXPECT_EQ(check_derived_id(*d).value(), request_id_for("http://example.com"));
}

TEST(RequestsTest, AddBodyIdNotDerivedFromUniqueKeyIsRequestIdInvalid) {
  Json body = Body("http://example.com");
  body["id"] = request_id_for("http://example.com/other");
  Violations v;
  auto d = parse_request_body(body.dump(), v);
  ASSERT_TRUE(d);  // the shape is fine; the id rule is its own check
  auto rid = check_derived_id(*d);
  ASSERT_FALSE(rid);
  ExpectRefused(rid.error(), 400, "request-id-invalid", "add");
  // A batch checks every item's id.
  Violations bv;
  auto b = parse_batch_add_body(Json::array({Body("ok"), body}).dump(), bv);
  ASSERT_FALSE(b);
  ExpectRefused(b.error(), 400, "request-id-invalid", "batch add");
  EXPECT_TRUE(HasRule(bv, "request.id_mismatch"));
}

TEST(RequestsTest, BatchItemsCarryTheIdDerivedFromTheirUniqueKey) {
  // The store trusts derived_id instead of hashing each key again, so it must be exact.
  Json with_id = Body("http://example.com/b");
  with_id["id"] = request_id_for("http://example.com/b");
  Violations v;
  auto b = parse_batch_add_body(Json::array({Body("http://example.com/a"), with_id}).dump(), v);
  ASSERT_TRUE(b) << b.error().message;
  ASSERT_EQ(b->size(), 2u);
  EXPECT_EQ((*b)[0].derived_id, request_id_for("http://example.com/a"));
  EXPECT_EQ((*b)[1].derived_id, request_id_for("http://example.com/b"));
}

TEST(RequestsTest, TakeRequestIdUsesTheCarriedIdOnceAndDerivesOtherwise) {
  RequestDraft d;
  d.unique_key = "http://example.com/c";
  d.derived_id = "carried";  // not the real derivation, so the test sees which branch ran
  EXPECT_EQ(take_request_id(d), "carried");
  EXPECT_TRUE(d.derived_id.empty());
  EXPECT_EQ(take_request_id(d), request_id_for("http://example.com/c"));
}

// ---- decision 3: PUT body id ------------------------------------------------------------------

TEST(RequestsTest, UpdateBodyIdIsOptionalButMustMatchPathAndDerivedId) {
  const std::string id = request_id_for("k1");
  RequestDraft d;
  d.unique_key = d.url = "k1";
  EXPECT_TRUE(check_put_ids(d, id));  // without id: fine
  d.id = id;
  EXPECT_TRUE(check_put_ids(d, id));  // body id equal to both: fine
  d.id = request_id_for("k2");        // body id different from the path id
  auto r1 = check_put_ids(d, id);
  ASSERT_FALSE(r1);
  ExpectRefused(r1.error(), 400, "request-id-invalid", "body id differs from the path id");
  d.id.reset();  // path id not derived from the body's uniqueKey
  auto r2 = check_put_ids(d, request_id_for("k2"));
  ASSERT_FALSE(r2);
  ExpectRefused(r2.error(), 400, "request-id-invalid", "path id not derived from the uniqueKey");
  d.id = request_id_for("k2");  // body and path agree, but neither is k1's
  EXPECT_FALSE(check_put_ids(d, request_id_for("k2")));
}

// ---- decision 6: batch size -------------------------------------------------------------------

TEST(RequestsTest, BatchOverTwentyFiveItemsIsRejected) {
  Json batch = Json::array();
  for (int i = 0; i < 26; ++i) batch.push_back(Body("k" + std::to_string(i)));
  Violations v;
  auto r = parse_batch_add_body(batch.dump(), v);
  ASSERT_FALSE(r);
  ExpectRefused(r.error(), 400, "invalid-input", "26 items");
  EXPECT_TRUE(HasRule(v, "request.batch_size"));
  // Exactly 25 is fine.
  batch.erase(batch.size() - 1);
  Violations ok;
  auto d = parse_batch_add_body(batch.dump(), ok);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_EQ(d->size(), kMaxBatch);
  EXPECT_EQ((*d)[24].unique_key, "k24");
  EXPECT_TRUE(ok.empty());
}

TEST(RequestsTest, EmptyBatchIsRejected) {
  Violations v;
  auto r = parse_batch_add_body("[]", v);
  ASSERT_FALSE(r);
  ExpectRefused(r.error(), 400, "invalid-input", "empty batch add");
  auto d = parse_batch_delete_body("[]", v);
  ASSERT_FALSE(d);
  ExpectRefused(d.error(), 400, "invalid-input", "empty batch delete");
  // Not an array at all.
  auto o = parse_batch_add_body(Body("k").dump(), v);
  ASSERT_FALSE(o);
  ExpectRefused(o.error(), 400, "invalid-input", "batch of an object");
  EXPECT_TRUE(HasRule(v, "request.batch_not_array"));
}

TEST(RequestsTest, BatchDeleteOverTwentyFiveItemsIsRejected) {
  Json del = Json::array();
  for (int i = 0; i < 26; ++i) del.push_back(Json{{"uniqueKey", "k" + std::to_string(i)}});
  Violations v;
  auto r = parse_batch_delete_body(del.dump(), v);
  ASSERT_FALSE(r);
  ExpectRefused(r.error(), 400, "invalid-input", "26 items");
  del.erase(del.size() - 1);
  Violations ok;
  auto keys = parse_batch_delete_body(del.dump(), ok);
  ASSERT_TRUE(keys) << keys.error().message;
  EXPECT_EQ(keys->size(), 25u);
}

// Spec 4 (9): each item has an id, a uniqueKey, or both that agree.
TEST(RequestsTest, BatchDeleteItemsNeedAnIdOrAUniqueKeyThatAgree) {
  Violations v;
  auto keys = parse_batch_delete_body(
      Json::array({Json{{"uniqueKey", "a"}}, Json{{"id", request_id_for("b")}},
                   Json{{"id", request_id_for("c")}, {"uniqueKey", "c"}}})
          .dump(),
      v);
  ASSERT_TRUE(keys) << keys.error().message;
  ASSERT_EQ(keys->size(), 3u);
  EXPECT_EQ((*keys)[0].unique_key, "a");
  EXPECT_FALSE((*keys)[0].id);
  EXPECT_EQ((*keys)[1].id, request_id_for("b"));
  EXPECT_EQ((*keys)[2].id, request_id_for("c"));
  for (const auto& [item, type] : std::vector<std::pair<Json, std::string>>{
           {Json::object(), "invalid-input"},
           {Json{{"url", "http://a"}}, "invalid-input"},
           {Json("a"), "invalid-input"},
           {Json{{"id", 5}}, "invalid-input"},
           {Json{{"uniqueKey", Json::array()}}, "invalid-input"},
           {Json{{"id", request_id_for("x")}, {"uniqueKey", "y"}}, "request-id-invalid"}}) {
    Violations bv;
    auto r = parse_batch_delete_body(Json::array({Json{{"uniqueKey", "ok"}}, item}).dump(), bv);
    ASSERT_FALSE(r) << item.dump();
    ExpectRefused(r.error(), 400, type, item.dump());
  }
}

// ---- decision 7: duplicates inside one batch --------------------------------------------------

TEST(RequestsTest, DuplicateUniqueKeysInOneBatchAreRejected) {
  Violations v;
  auto r = parse_batch_add_body(
      Json::array({Body("a"), Body("b"), Body("a", "http://other.example")}).dump(), v);
  ASSERT_FALSE(r);
  ExpectRefused(r.error(), 400, "request-queue-duplicate-requests", "a twice");
  EXPECT_TRUE(HasRule(v, "request.batch_duplicate_keys"));
  // Keys that differ only in case or a trailing slash are different keys (decision 20).
  Violations ok;
  EXPECT_TRUE(parse_batch_add_body(
      Json::array({Body("http://a.example"), Body("http://a.example/"), Body("HTTP://a.example")})
          .dump(),
      ok));
}

// ---- decision 8: clientKey length -------------------------------------------------------------

TEST(RequestsTest, ClientKeyOutsideOneToThirtyTwoCharactersIsInvalidClientKey) {
  for (const std::string& bad : {std::string(), std::string(33, 'c'), std::string(1000, 'c')}) {
    auto st = check_client_key(bad);
    ASSERT_FALSE(st) << bad.size();
    ExpectRefused(st.error(), 400, "invalid-client-key", std::to_string(bad.size()) + " chars");
  }
  EXPECT_TRUE(check_client_key(std::nullopt));  // no clientKey: fine
  EXPECT_TRUE(check_client_key(std::string("c")));
  EXPECT_TRUE(check_client_key(std::string(32, 'c')));
}

// ---- decision 9: lockSecs ---------------------------------------------------------------------

TEST(RequestsTest, NegativeOrNonFiniteLockSecsIsInvalidParameter) {
  for (std::optional<std::string> bad :
       {std::optional<std::string>(), std::optional<std::string>(""),
        std::optional<std::string>("-1"), std::optional<std::string>("-0.5"),
        std::optional<std::string>("nan"), std::optional<std::string>("inf"),
        std::optional<std::string>("Infinity"), std::optional<std::string>("1e400"),
        std::optional<std::string>("60s"), std::optional<std::string>("1.2.3"),
        std::optional<std::string>("2000000000"),
        std::optional<std::string>(std::string(40, '9'))}) {
    auto r = parse_lock_secs(bad);
    ASSERT_FALSE(r) << bad.value_or("(absent)");
    ExpectRefused(r.error(), 400, "invalid-parameter", bad.value_or("(absent)"));
  }
  EXPECT_EQ(parse_lock_secs(std::string("60")).value(), 60);
  EXPECT_EQ(parse_lock_secs(std::string("0")).value(), 0);
  EXPECT_EQ(parse_lock_secs(std::string("2.5")).value(), 2.5);
  EXPECT_EQ(parse_lock_secs(std::string("1000000000")).value(), kMaxLockSecs);
}

// ---- decisions 10 and 11: limits --------------------------------------------------------------

TEST(RequestsTest, LimitsAboveTheMaximumAreClampedAndReported) {
  struct Case {
    LimitRule rule;
    const char* asked;
    std::int64_t clamped;
  };
  for (const Case& c : {Case{kListRequestsLimit, "20000", 10000}, Case{kHeadLockLimit, "100", 25},
                        Case{kHeadLimit, "5000", 1000}}) {
    Violations v;
    auto r = parse_limit(std::string(c.asked), c.rule, 0, false, v);
    ASSERT_TRUE(r) << c.asked;
    EXPECT_EQ(*r, c.clamped) << c.asked;
    ASSERT_EQ(v.size(), 1u) << c.asked;
    EXPECT_EQ(v[0].rule, "request.limit");
    EXPECT_FALSE(v[0].fatal);  // reported, not refused
    EXPECT_EQ(clamp_limit(std::stoll(c.asked), c.rule), c.clamped);
  }
  // At the maximum and below: as asked, nothing reported.
  Violations v;
  EXPECT_EQ(parse_limit(std::string("10000"), kListRequestsLimit, 1, false, v).value(), 10000);
  EXPECT_EQ(parse_limit(std::string("7"), kListRequestsLimit, 1, false, v).value(), 7);
  EXPECT_EQ(parse_limit(std::string("7.0"), kListRequestsLimit, 1, false, v).value(), 7);
  EXPECT_TRUE(v.empty());
  // Below the minimum or not an integer: 400.
  for (const char* bad : {"0", "-1", "2.5", "ten", "", "1e3"}) {
    Violations bv;
    auto r = parse_limit(std::string(bad), kListRequestsLimit, 1, false, bv);
    ASSERT_FALSE(r) << bad;
    ExpectRefused(r.error(), 400, "invalid-parameter", bad);
    ASSERT_FALSE(bv.empty()) << bad;
    EXPECT_TRUE(bv.back().fatal) << bad;
  }
  Violations zero;
  EXPECT_EQ(parse_limit(std::string("0"), kHeadLimit, 0, false, zero).value(), 0);
}

TEST(RequestsTest, RejectOverMaxLimitSwitchAnswersInvalidParameter) {
  Violations v;
  auto r = parse_limit(std::string("10001"), kListRequestsLimit, 1, true, v);
  ASSERT_FALSE(r);
  ExpectRefused(r.error(), 400, "invalid-parameter", "10001");
  ASSERT_EQ(v.size(), 1u);
  EXPECT_TRUE(v[0].fatal);
  auto lock = parse_limit(std::string("26"), kHeadLockLimit, 0, true, v);
  ASSERT_FALSE(lock);
  ExpectRefused(lock.error(), 400, "invalid-parameter", "26");
  EXPECT_EQ(parse_limit(std::string("25"), kHeadLockLimit, 0, true, v).value(), 25);
}

TEST(RequestsTest, DefaultLimitsAreThousandForListHundredForHeadTwentyFiveForLock) {
  Violations v;
  EXPECT_EQ(parse_limit(std::nullopt, kListRequestsLimit, 1, false, v).value(), 1000);
  EXPECT_EQ(parse_limit(std::nullopt, kHeadLimit, 0, false, v).value(), 100);
  EXPECT_EQ(parse_limit(std::nullopt, kHeadLockLimit, 0, false, v).value(), 25);
  EXPECT_EQ(parse_limit(std::nullopt, kListStoragesLimit, 0, false, v).value(), 1000);
  EXPECT_TRUE(v.empty());
}

// ---- decision 18: booleans --------------------------------------------------------------------

TEST(RequestsTest, BooleanParamsAreTrueFalseOneOrZero) {
  EXPECT_EQ(parse_bool_param("forefront", "true").value(), true);
  EXPECT_EQ(parse_bool_param("forefront", "1").value(), true);
  EXPECT_EQ(parse_bool_param("forefront", "false").value(), false);
  EXPECT_EQ(parse_bool_param("forefront", "0").value(), false);
  for (const char* bad : {"", "yes", "TRUE", "True", "2", "on", "true "}) {
    auto r = parse_bool_param("forefront", bad);
    ASSERT_FALSE(r) << bad;
    ExpectRefused(r.error(), 400, "invalid-parameter", bad);
    EXPECT_NE(r.error().message.find("forefront"), std::string::npos);
  }
}

// ---- decision 39: timestamps ------------------------------------------------------------------

TEST(RequestsTest, HandledAtNeedsATimezoneAndIsReadAsUtc) {
  Json h = Body("h");
  h["handledAt"] = "2024-05-06T07:08:09.1+02:00";
  Violations v;
  auto d = parse_request_body(h.dump(), v);
  ASSERT_TRUE(d) << d.error().message;
  ASSERT_TRUE(d->handled_at);
  EXPECT_EQ(format_iso8601(*d->handled_at), "2024-05-06T05:08:09.100Z");
  // A date-time without a timezone is refused.
  Json naive = Body("n");
  naive["handledAt"] = "2024-05-06T07:08:09";
  auto r = parse_request_body(naive.dump(), v);
  ASSERT_FALSE(r);
  ExpectRefused(r.error(), 400, "invalid-input", "no timezone");
}

// ---- spec 1: the JSON content type and query numbers ------------------------------------------

TEST(RequestsTest, JsonContentTypeIsApplicationJsonWithOptionalParameters) {
  for (const char* ok : {"application/json", "application/json; charset=utf-8", "APPLICATION/JSON",
                         " application/json ;charset=UTF-8"}) {
    EXPECT_TRUE(is_json_content_type(ok)) << ok;
  }
  for (const char* bad : {"", "text/json", "text/plain", "application/vnd.api+json",
                          "application/problem+json", "application/jsonx", "application/js"}) {
    EXPECT_FALSE(is_json_content_type(bad)) << bad;
  }
}

TEST(RequestsTest, QueryNumbersAreDecimalAndBounded) {
  EXPECT_EQ(parse_number("10"), 10.0);
  EXPECT_EQ(parse_number("10.0"), 10.0);
  EXPECT_EQ(parse_number("2.5"), 2.5);
  EXPECT_EQ(parse_number("-1"), -1.0);
  EXPECT_EQ(parse_number("+3"), 3.0);
  for (const char* bad : {"", "-", ".", "1e3", "0x10", "1,5", "1.2.3", " 1", "nan",
                          "123456789012345678901234567890123"}) {
    EXPECT_FALSE(parse_number(bad)) << bad;
  }
  EXPECT_EQ(parse_int_param("offset", "10.0").value(), 10);
  auto frac = parse_int_param("offset", "10.5");
  ASSERT_FALSE(frac);
  ExpectRefused(frac.error(), 400, "invalid-parameter", "10.5");
  EXPECT_FALSE(parse_int_param("offset", "99999999999999999999"));
  // Out of int64_t range: refused before any cast (the cast was undefined behaviour; wire_call
  // fuzz target, UBSan).
  EXPECT_FALSE(parse_int_param("limit", "0444444444444444444444"));
  EXPECT_FALSE(parse_int_param("limit", "-0444444444444444444444"));
}

}  // namespace
}  // namespace rqcheck
