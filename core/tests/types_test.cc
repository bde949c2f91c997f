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

// Found by fuzz/targets/cursor.cc (fuzz/corpus/cursor/crash-nul-after-object): the payload
// {"requestId":"..."} followed by a NUL byte was accepted.
TEST(CursorTest, RefusesBytesAfterThePayload) {
  EXPECT_FALSE(decode_cursor("eyJyZXF1ZXN0SWQiOiI0SVlLUWFXZ1FKUU1Ze0MifQC="));
  EXPECT_FALSE(decode_cursor(base64url_unpadded(std::string("{\"requestId\":\"a\"}\0x", 19))));
  EXPECT_FALSE(decode_cursor(base64url_unpadded("{\"requestId\":\"a\"} {}")));
  EXPECT_EQ(decode_cursor(base64url_unpadded(" {\"requestId\":\"a\"} ")), "a");
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

// The fake writes queue objects directly; the bytes must be those of the DOM writer for every
// shape (named or not, short or full form, escapes, large and negative numbers).
TEST(TypesTest, DirectQueueWriterMatchesTheDom) {
  RequestQueueInfo q;
  q.id = "WkzbQMuFYuamGv3";
  q.user_id = "wRsJZtadYvn4mBZmm";
  q.username = "jane \"the\" doe\n";
  q.created_at = 1576136054202;
  q.modified_at = 1576226173202;
  q.accessed_at = 0;
  q.total_request_count = 870;
  q.handled_request_count = 100;
  q.pending_request_count = 770;
  q.console_url = "https://console.apify.com/storage/request-queues/WkzbQMuFYuamGv3";
  q.stats = {1, 2, 3, 4, 9007199254740993};
  for (bool named : {false, true}) {
    for (bool multiple : {false, true}) {
      for (bool short_form : {false, true}) {
        q.name = named ? std::optional<std::string>("caf\u00e9/\t\x01") : std::nullopt;
        q.had_multiple_clients = multiple;
        std::string direct;
        append_queue_json(direct, q, short_form);
        EXPECT_EQ(direct, dump_json(to_json(q, short_form)))
            << "named=" << named << " multiple=" << multiple << " short=" << short_form;
      }
    }
  }
}

TEST(TypesTest, DirectHeadWriterMatchesTheDom) {
  Head h;
  h.limit = 100;
  h.queue_modified_at = 1576226173202;
  EXPECT_EQ(
      [&] {
        std::string s;
        append_head_json(s, h);
        return s;
      }(),
      dump_json(to_json(h)));
  h.items.push_back(
      {"8OamqXBCpPHxyH9", "https://a.example/\"x\"", "https://a.example/\"x\"", "GET", 0, {}});
  h.items.push_back({"9OamqXBCpPHxyH9", "k\u00e9", "https://b.example/", "POST", 7, 1576226173999});
  for (bool lock : {false, true}) {
    for (bool multiple : {false, true}) {
      h.had_multiple_clients = multiple;
      h.lock_secs = lock ? std::optional<std::int64_t>(60) : std::nullopt;
      h.queue_has_locked_requests = lock ? std::optional<bool>(multiple) : std::nullopt;
      h.client_key = lock ? std::optional<std::string>("crawler-\"1\"") : std::nullopt;
      std::string direct;
      append_head_json(direct, h);
      EXPECT_EQ(direct, dump_json(to_json(h))) << "lock=" << lock << " multiple=" << multiple;
    }
  }
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

}  // namespace
}  // namespace rqcheck
