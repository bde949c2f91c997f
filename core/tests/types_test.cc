#include "rqcheck/core/types.h"

#include <gtest/gtest.h>

#include "rqcheck/core/operations.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck {
namespace {

TEST(CursorTest, MatchesTheSpecExample) {
  EXPECT_EQ(decode_cursor("eyJyZXF1ZXN0SWQiOiI0SVlLUWFXZ2FKUUlWNlMifQ"), "4IYKQaWgaJQIV6S");
  EXPECT_EQ(encode_cursor("4IYKQaWgaJQIV6S"), "eyJyZXF1ZXN0SWQiOiI0SVlLUWFXZ2FKUUlWNlMifQ");
  EXPECT_FALSE(decode_cursor("not a cursor"));
  EXPECT_FALSE(decode_cursor(base64url_unpadded("{\"x\":1}")));
}

TEST(TypesTest, BatchAddResultRoundTrips) {
  BatchAddResult r;
  r.processed.push_back({"8OamqXBCpPHxyH9", "http://example.com", true, false});
  r.unprocessed.push_back({"http://example.com/2", "http://example.com/2", std::string("GET")});
  auto back = parse_batch_add_result(to_json(r));
  ASSERT_TRUE(back) << back.error().message;
  ASSERT_EQ(back->processed.size(), 1u);
  EXPECT_TRUE(back->processed[0].was_already_present);
  EXPECT_EQ(back->unprocessed[0].method, "GET");
}

TEST(TypesTest, ParseReportsTheOffendingField) {
  auto r = parse_add_result(Json{{"requestId", "x"}, {"wasAlreadyPresent", "yes"}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("wasAlreadyPresent"), std::string::npos);
  auto q = parse_queue(Json{{"id", "x"}, {"createdAt", "2019-06-16T10:23:31.607"}});
  ASSERT_FALSE(q);
}

TEST(TypesTest, HeadRoundTripsWithLocks) {
  Head h;
  h.limit = 25;
  h.queue_modified_at = 1560680611607;
  h.lock_secs = 60;
  h.items.push_back({"a", "k", "u", "GET", 2, TimeMs(1560680671607)});
  auto back = parse_head(to_json(h));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->items[0].lock_expires_at, TimeMs(1560680671607));
  EXPECT_EQ(back->lock_secs, 60);
}

TEST(OperationsTest, TableIsInSpecOrderAndLookupsAgree) {
  const auto& ops = all_operations();
  for (std::size_t i = 0; i < ops.size(); ++i) {
    EXPECT_EQ(static_cast<std::size_t>(ops[i].op), i);
    EXPECT_EQ(operation_from_id(ops[i].id), ops[i].op);
  }
  EXPECT_FALSE(operation_from_id("nope"));
}

}  // namespace
}  // namespace rqcheck
