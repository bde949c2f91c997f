#include "rqcheck/core/time.h"

#include <gtest/gtest.h>

namespace rqcheck {
namespace {

TEST(Iso8601Test, FormatsUtcWithMilliseconds) {
  EXPECT_EQ(format_iso8601(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_iso8601(1560680611607), "2019-06-16T10:23:31.607Z");
  EXPECT_EQ(format_iso8601(951782400000), "2000-02-29T00:00:00.000Z");
}

TEST(Iso8601Test, ParsesWhatItFormats) {
  for (TimeMs t : {TimeMs(0), TimeMs(1560680611607), TimeMs(4102444799999), TimeMs(951782400001)}) {
    auto parsed = parse_iso8601(format_iso8601(t));
    ASSERT_TRUE(parsed) << t;
    EXPECT_EQ(*parsed, t);
  }
}

TEST(Iso8601Test, HonoursOffsetsAndFractions) {
  EXPECT_EQ(parse_iso8601("2019-06-16T12:23:31.607+02:00"), TimeMs(1560680611607));
  EXPECT_EQ(parse_iso8601("2019-06-16T10:23:31Z"), TimeMs(1560680611000));
  EXPECT_EQ(parse_iso8601("2019-06-16T10:23:31.6071234Z"), TimeMs(1560680611607));
}

TEST(Iso8601Test, RejectsNaiveAndMalformedTimes) {
  EXPECT_FALSE(parse_iso8601("2019-06-16T10:23:31.607"));  // no timezone
  EXPECT_FALSE(parse_iso8601("2019-06-16"));
  EXPECT_FALSE(parse_iso8601("2019-02-30T00:00:00Z"));
  EXPECT_FALSE(parse_iso8601("2019-06-16T10:23:31.Z"));
  EXPECT_FALSE(parse_iso8601("2019-06-16T10:23:31Zjunk"));
  EXPECT_FALSE(parse_iso8601(""));
}

TEST(ManualClockTest, MovesOnlyWhenTold) {
  ManualClock clock(1000);
  EXPECT_EQ(clock.now_ms(), 1000);
  clock.advance_ms(500);
  EXPECT_EQ(clock.now_ms(), 1500);
  clock.set_ms(10);
  EXPECT_EQ(clock.now_ms(), 10);
}

}  // namespace
}  // namespace rqcheck
