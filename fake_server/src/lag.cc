// The lag syntax and the draws of rqcheck/fake_server/lag.h (docs/consistency.md).
#include "rqcheck/fake_server/lag.h"

#include <algorithm>
#include <cmath>

namespace rqcheck::fake {

namespace {

// A duration: digits then "ms" or "s" (a bare 0 is allowed). nullopt when malformed or over
// kMaxLagMs.
std::optional<TimeMs> parse_duration(std::string_view s) {
  std::size_t i = 0;
  TimeMs v = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
    if (i >= 9) return std::nullopt;  // more digits than any bounded lag needs
    v = v * 10 + (s[i] - '0');
    ++i;
  }
  if (i == 0) return std::nullopt;
  std::string_view unit = s.substr(i);
  if (unit == "ms") {
  } else if (unit == "s") {
    v *= 1000;
  } else if (!(unit.empty() && v == 0)) {
    return std::nullopt;
  }
  if (v > kMaxLagMs) return std::nullopt;
  return v;
}

Result<LagDistribution> parse_distribution(std::string_view s) {
  LagDistribution d;
  auto bad = [&](const std::string& why) -> Result<LagDistribution> {
    return ApiError{400, "invalid-lag", "'" + std::string(s) + "': " + why};
  };
  if (s == "off") return d;
  if (s.substr(0, 4) == "exp:") {
    std::string_view rest = s.substr(4);
    std::string_view mean = rest, max;
    if (auto comma = rest.find(','); comma != std::string_view::npos) {
      mean = rest.substr(0, comma);
      std::string_view opt = rest.substr(comma + 1);
      if (opt.substr(0, 4) != "max=") return bad("after the mean only max=DUR may follow");
      max = opt.substr(4);
    }
    auto m = parse_duration(mean);
    if (!m || *m == 0) return bad("the mean must be a duration over 0, e.g. 200ms (at most 600s)");
    d.kind = LagDistribution::Kind::kExponential;
    d.mean_ms = *m;
    d.max_ms = std::min<TimeMs>(kMaxLagMs, 10 * *m);
    if (!max.empty()) {
      auto x = parse_duration(max);
      if (!x || *x < *m) return bad("max must be a duration at least the mean (at most 600s)");
      d.max_ms = *x;
    }
    return d;
  }
  std::string_view lo = s, hi = s;
  if (auto dash = s.find('-'); dash != std::string_view::npos) {
    lo = s.substr(0, dash);
    hi = s.substr(dash + 1);
  }
  // "100-400ms": a low end without a unit takes the high end's.
  std::string lo_text(lo);
  if (lo.size() != s.size() && !lo.empty() &&
      lo.find_first_not_of("0123456789") == std::string_view::npos) {
    std::size_t u = hi.find_first_not_of("0123456789");
    if (u != std::string_view::npos) lo_text += std::string(hi.substr(u));
  }
  auto a = parse_duration(lo_text), b = parse_duration(hi);
  if (!a || !b) {
    return bad(
        "not a lag; give DUR, DUR-DUR or exp:DUR[,max=DUR] with DUR like 500ms or 2s "
        "(at most 600s)");
  }
  if (*a > *b) return bad("the range's low end is above its high end");
  d.kind = LagDistribution::Kind::kUniform;
  d.min_ms = *a;
  d.max_ms = *b;
  return d;
}

}  // namespace

TimeMs LagDistribution::draw(std::uint64_t hash) const {
  switch (kind) {
    case Kind::kNone:
      return 0;
    case Kind::kUniform: {
      std::uint64_t span = static_cast<std::uint64_t>(max_ms - min_ms) + 1;
      return min_ms + static_cast<TimeMs>(hash % span);
    }
    case Kind::kExponential: {
      // u in (0, 1]: the top 53 bits, never 0, so the log is finite.
      double u = (static_cast<double>(hash >> 11) + 1.0) / 9007199254740992.0;
      double v = -static_cast<double>(mean_ms) * std::log(u);
      if (!(v < static_cast<double>(max_ms))) return max_ms;
      return static_cast<TimeMs>(v);
    }
  }
  return 0;
}

std::string LagDistribution::describe() const {
  switch (kind) {
    case Kind::kNone:
      return "off";
    case Kind::kUniform:
      if (min_ms == max_ms) return std::to_string(min_ms) + "ms";
      return std::to_string(min_ms) + "-" + std::to_string(max_ms) + "ms";
    case Kind::kExponential:
      return "exp:" + std::to_string(mean_ms) + "ms,max=" + std::to_string(max_ms) + "ms";
  }
  return "off";
}

std::string LagOptions::describe() const {
  return "head=" + head.describe() + ";counters=" + counters.describe();
}

Result<LagOptions> parse_lag(std::string_view text) {
  LagOptions out;
  auto bad = [&](const std::string& why) -> Result<LagOptions> {
    return ApiError{400, "invalid-lag", "--lag '" + std::string(text) + "': " + why};
  };
  if (text.empty()) return bad("empty; give e.g. head=0-800ms;counters=0-500ms");
  if (text.size() > 200) return bad("longer than 200 characters");
  bool seen_head = false, seen_counters = false;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t semi = text.find(';', pos);
    if (semi == std::string_view::npos) semi = text.size();
    std::string_view part = text.substr(pos, semi - pos);
    pos = semi + 1;
    if (part.empty()) return bad("an empty part");
    auto eq = part.find('=');
    if (eq == std::string_view::npos) {
      return bad("'" + std::string(part) + "' is not head=DIST or counters=DIST");
    }
    std::string_view key = part.substr(0, eq);
    LagDistribution* slot = nullptr;
    bool* seen = nullptr;
    if (key == "head") {
      slot = &out.head;
      seen = &seen_head;
    } else if (key == "counters") {
      slot = &out.counters;
      seen = &seen_counters;
    } else {
      return bad("unknown part '" + std::string(key) + "' (the parts are head and counters)");
    }
    if (*seen) return bad("'" + std::string(key) + "' given twice");
    *seen = true;
    auto d = parse_distribution(part.substr(eq + 1));
    if (!d) return bad("part '" + std::string(part) + "': " + d.error().message);
    *slot = *d;
  }
  return out;
}

std::uint64_t lag_hash(std::uint64_t seed, std::string_view queue_id, std::string_view key,
                       std::uint64_t event) {
  std::uint64_t h = 1469598103934665603ull;
  auto mix_byte = [&](unsigned char c) {
    h ^= c;
    h *= 1099511628211ull;
  };
  auto mix_u64 = [&](std::uint64_t v) {
    for (int i = 0; i < 8; ++i) mix_byte(static_cast<unsigned char>(v >> (8 * i)));
  };
  mix_u64(seed);
  for (char c : queue_id) mix_byte(static_cast<unsigned char>(c));
  mix_byte(0);
  for (char c : key) mix_byte(static_cast<unsigned char>(c));
  mix_byte(0);
  mix_u64(event);
  // splitmix64's finish: every input bit reaches every output bit.
  h += 0x9e3779b97f4a7c15ull;
  h = (h ^ (h >> 30)) * 0xbf58476d1ce4e5b9ull;
  h = (h ^ (h >> 27)) * 0x94d049bb133111ebull;
  return h ^ (h >> 31);
}

}  // namespace rqcheck::fake
