#include "rqcheck/core/operations.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace rqcheck {
namespace {

TEST(OperationsTest, TableIsInEnumOrderAndLookupsAgree) {
  const auto& ops = all_operations();
  std::set<std::string_view> ids, aliases;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(ops[i].op), i);
    EXPECT_EQ(operation_from_id(ops[i].id), ops[i].op);
    EXPECT_EQ(operation_from_alias(ops[i].alias), ops[i].op);
    EXPECT_TRUE(ids.insert(ops[i].id).second) << ops[i].id;
    EXPECT_TRUE(aliases.insert(ops[i].alias).second) << ops[i].alias;
  }
  EXPECT_FALSE(operation_from_id("nope"));
  EXPECT_FALSE(operation_from_alias("nope"));
}

TEST(OperationsTest, RequestQueueRowsArePrefixOfTheTable) {
  const auto& rq = request_queue_operations();
  ASSERT_EQ(rq.size(), 17u);
  for (std::size_t i = 0; i < rq.size(); ++i) {
    EXPECT_EQ(rq[i].op, all_operations()[i].op);
    EXPECT_EQ(rq[i].storage, Storage::kRequestQueue);
  }
  for (std::size_t i = rq.size(); i < all_operations().size(); ++i) {
    EXPECT_NE(all_operations()[i].storage, Storage::kRequestQueue);
  }
}

// Every template routes back to its own operation, with its parameters.
TEST(OperationsTest, EveryPathTemplateRoutesToItsOperation) {
  for (const OperationInfo& info : all_operations()) {
    std::string path = build_path(info.op, "p1x", "p2y");
    RouteMatch m = match_route(info.method, path);
    ASSERT_EQ(m.kind, RouteMatch::kOperation) << info.id << " " << path;
    EXPECT_EQ(m.op, info.op) << info.id << " " << path;
    if (info.path.find("{") != std::string_view::npos) {
      EXPECT_EQ(m.params[0], "p1x") << info.id;
    }
  }
}

TEST(OperationsTest, LiteralSegmentsBeatParameters) {
  auto m = match_route("DELETE", "/v2/request-queues/q1/requests/batch");
  EXPECT_EQ(m.op, Operation::kRequestsBatchDelete);
  m = match_route("POST", "/v2/request-queues/q1/requests/unlock");
  EXPECT_EQ(m.op, Operation::kRequestsUnlockPost);
  m = match_route("GET", "/v2/users/me");
  EXPECT_EQ(m.op, Operation::kUserMeGet);
  m = match_route("GET", "/v2/users/abc");
  EXPECT_EQ(m.op, Operation::kUserGet);
  EXPECT_EQ(m.params[0], "abc");
}

TEST(OperationsTest, WrongMethodListsTheAllowedOnes) {
  auto m = match_route("PATCH", "/v2/request-queues");
  EXPECT_EQ(m.kind, RouteMatch::kMethodNotAllowed);
  EXPECT_EQ(m.allowed, "OPTIONS,GET,POST");
  m = match_route("GET", "/v2/request-queues/q/requests/batch");
  EXPECT_EQ(m.kind, RouteMatch::kMethodNotAllowed);
  EXPECT_EQ(m.allowed, "OPTIONS,POST,DELETE");
  m = match_route("PATCH", "/v2/key-value-stores/s/records/k");
  EXPECT_EQ(m.allowed, "OPTIONS,GET,HEAD,PUT,POST,DELETE");
}

TEST(OperationsTest, HeadFollowsGetUnlessTheTableHasAHeadOperation) {
  EXPECT_EQ(match_route("HEAD", "/v2/request-queues/q").op, Operation::kQueueGet);
  EXPECT_EQ(match_route("HEAD", "/v2/key-value-stores/s/records/k").op, Operation::kKvRecordHead);
  EXPECT_EQ(match_route("HEAD", "/v2/datasets/d/items").op, Operation::kDatasetItemsHead);
}

TEST(OperationsTest, UnknownAndNotEmulatedPaths) {
  EXPECT_EQ(match_route("GET", "/v1/request-queues").kind, RouteMatch::kNotFound);
  EXPECT_EQ(match_route("GET", "/v2/nothing").kind, RouteMatch::kNotFound);
  EXPECT_EQ(match_route("GET", "/v2/request-queues/q/nothing").kind, RouteMatch::kNotFound);
  EXPECT_EQ(match_route("GET", "/v2/actor-runs/r/request-queue").kind, RouteMatch::kNotImplemented);
  EXPECT_EQ(match_route("GET", "/v2/acts/a/runs").kind, RouteMatch::kNotImplemented);
  EXPECT_EQ(match_route("GET", "/v2/users/me/limits").kind, RouteMatch::kNotImplemented);
  EXPECT_EQ(match_route("GET", "/a/b/c/d/e/f/g/h/i/j").kind, RouteMatch::kNotFound);
}

TEST(OperationsTest, EmptySegmentsAndQueriesAreIgnored) {
  auto m = match_route("GET", "//v2//request-queues//q1/");
  EXPECT_EQ(m.op, Operation::kQueueGet);
  EXPECT_EQ(m.params[0], "q1");
  EXPECT_EQ(match_route("GET", "/v2/request-queues?x=1").op, Operation::kQueuesGet);
}

TEST(OperationsTest, ParametersArePercentEncodedAndDecoded) {
  std::string path = build_path(Operation::kKvRecordGet, "me~store", "a/b c%");
  EXPECT_EQ(path, "/v2/key-value-stores/me~store/records/a%2Fb%20c%25");
  auto m = match_route("GET", path);
  EXPECT_EQ(m.op, Operation::kKvRecordGet);
  EXPECT_EQ(m.params[0], "me~store");
  EXPECT_EQ(m.params[1], "a/b c%");
  // A '%' that starts no escape is kept.
  EXPECT_EQ(match_route("GET", "/v2/request-queues/a%zz").params[0], "a%zz");
  EXPECT_EQ(match_route("GET", "/v2/request-queues/a%4").params[0], "a%4");
}

// The documented query parameters (the OpenAPI description) and the names a client most likely
// meant when it sends another.
TEST(OperationsTest, DocumentedQueryParametersAndTheirClosestNames) {
  EXPECT_TRUE(is_documented_query_param(Operation::kHeadLockPost, "lockSecs"));
  EXPECT_TRUE(is_documented_query_param(Operation::kHeadLockPost, "clientKey"));
  EXPECT_TRUE(is_documented_query_param(Operation::kRequestGet, "token"));
  EXPECT_TRUE(is_documented_query_param(Operation::kRequestGet, "method"));
  EXPECT_FALSE(is_documented_query_param(Operation::kRequestGet, "clientKey"));
  EXPECT_FALSE(is_documented_query_param(Operation::kHeadLockPost, "lock_secs"));
  EXPECT_TRUE(is_documented_query_param(Operation::kDatasetItemsGet, "skipHidden"));
  // Every documented parameter is documented for its own operation and known to the API.
  for (const OperationInfo& info : all_operations()) {
    std::string_view list = info.query;
    while (!list.empty()) {
      auto comma = list.find(',');
      std::string_view p = list.substr(0, comma);
      EXPECT_TRUE(is_documented_query_param(info.op, p)) << info.id << " " << p;
      EXPECT_TRUE(is_api_query_param(p)) << p;
      EXPECT_FALSE(closest_query_param(info.op, p)) << p;
      list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    }
  }
  EXPECT_TRUE(is_api_query_param("clientKey"));
  EXPECT_FALSE(is_api_query_param("client_key"));
  // Case, '_' and '-': the same name.
  EXPECT_EQ(closest_query_param(Operation::kHeadLockPost, "lock_secs"), "lockSecs");
  EXPECT_EQ(closest_query_param(Operation::kHeadLockPost, "LOCKSECS"), "lockSecs");
  EXPECT_EQ(closest_query_param(Operation::kRequestsGet, "exclusive-start-id"), "exclusiveStartId");
  // Typos of at most two letters, transpositions included.
  EXPECT_EQ(closest_query_param(Operation::kRequestsGet, "cusror"), "cursor");
  EXPECT_EQ(closest_query_param(Operation::kRequestsGet, "limt"), "limit");
  EXPECT_EQ(closest_query_param(Operation::kHeadGet, "clientKye"), "clientKey");
  // Nothing close, or too short to guess from.
  EXPECT_FALSE(closest_query_param(Operation::kRequestsGet, "pageToken"));
  EXPECT_FALSE(closest_query_param(Operation::kRequestsGet, "xy"));
  EXPECT_FALSE(closest_query_param(Operation::kRequestsGet, std::string(100, 'c')));
  EXPECT_FALSE(closest_query_param(Operation::kRequestGet, "offset"));
}

}  // namespace
}  // namespace rqcheck
