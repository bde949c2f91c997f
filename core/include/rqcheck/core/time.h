// Time: milliseconds since the Unix epoch, ISO-8601 UTC text with milliseconds and 'Z'
// (decision 39), and an injectable clock so tests can move time by hand.
//
//   ManualClock clock(1'700'000'000'000);
//   clock.advance_ms(180'000);
//   format_iso8601(clock.now_ms()) == "2023-11-14T22:16:20.000Z"
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rqcheck {

using TimeMs = std::int64_t;

// "YYYY-MM-DDTHH:MM:SS.mmmZ".
std::string format_iso8601(TimeMs t);
void append_iso8601(std::string& out, TimeMs t);
// Parses RFC 3339 date-times: a timezone ('Z' or ±HH:MM) is required, fractions optional.
std::optional<TimeMs> parse_iso8601(std::string_view s);

class Clock {
 public:
  virtual ~Clock() = default;
  virtual TimeMs now_ms() const = 0;
};

// Wall-clock time.
class SystemClock final : public Clock {
 public:
  TimeMs now_ms() const override;
};

// Time that moves only when told; thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(TimeMs start) : now_(start) {}
  TimeMs now_ms() const override { return now_.load(std::memory_order_acquire); }
  void set_ms(TimeMs t) { now_.store(t, std::memory_order_release); }
  void advance_ms(TimeMs d) { now_.fetch_add(d, std::memory_order_acq_rel); }

 private:
  std::atomic<TimeMs> now_;
};

}  // namespace rqcheck
