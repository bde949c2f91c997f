// parse_iso8601 / format_iso8601 (core, decision 39): whatever parses formats to a string that
// parses back to the same instant (within years 0000..9999, where format_iso8601 does not clamp),
// and every instant in that range survives format then parse.
#include <cstring>

#include "../fuzz_check.h"
#include "rqcheck/core/time.h"

namespace {
constexpr rqcheck::TimeMs kFirst = -62167219200000;  // 0000-01-01T00:00:00.000Z
constexpr rqcheck::TimeMs kLast = 253402300799999;   // 9999-12-31T23:59:59.999Z

bool formatted_shape(const std::string& s) {
  if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' ||
      s[16] != ':' || s[19] != '.' || s[23] != 'Z')
    return false;
  for (std::size_t i : {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18, 20, 21, 22}) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  if (auto t = rqcheck::parse_iso8601(text)) {
    std::string f = rqcheck::format_iso8601(*t);
    RQ_FUZZ_CHECK_SHOW(formatted_shape(f), f);
    if (*t >= kFirst && *t <= kLast) {
      auto back = rqcheck::parse_iso8601(f);
      RQ_FUZZ_CHECK_SHOW(back && *back == *t, f);
    }
  }
  if (size >= 8) {
    std::int64_t raw;
    std::memcpy(&raw, data, 8);
    // Fold into the representable range.
    std::uint64_t span = static_cast<std::uint64_t>(kLast - kFirst) + 1;
    rqcheck::TimeMs t =
        kFirst + static_cast<rqcheck::TimeMs>(static_cast<std::uint64_t>(raw) % span);
    std::string f = rqcheck::format_iso8601(t);
    RQ_FUZZ_CHECK_SHOW(formatted_shape(f), f);
    auto back = rqcheck::parse_iso8601(f);
    RQ_FUZZ_CHECK_SHOW(back && *back == t, f);
  }
  return 0;
}
