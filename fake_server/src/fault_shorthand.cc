// The one-line fault shorthand of `rq-fake --fault` and POST /__admin/faults (text/plain):
// ACTION[@SCHEDULE[&SCHEDULE...]][:TARGET] rules separated by ';', turned into the JSON rules
// that parse_fault_rule reads (docs/faults.md).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

#include "rqcheck/core/errors.h"
#include "rqcheck/fake_server/faults.h"

namespace rqcheck::fake {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

ApiError bad_short(std::string_view rule, const std::string& what) {
  return errors::invalid_input("Invalid fault shorthand \"" + std::string(rule) + "\": " + what);
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 15) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

bool parse_num(std::string_view s, double& out) {
  if (s.empty() || s.size() > 20) return false;
  std::size_t dot = s.find('.');
  std::uint64_t whole = 0, frac = 0;
  if (!parse_u64(s.substr(0, dot), whole) && !(dot == 0)) return false;
  double v = static_cast<double>(whole);
  if (dot != std::string_view::npos) {
    std::string_view f = s.substr(dot + 1);
    if (!parse_u64(f, frac)) return false;
    v += static_cast<double>(frac) / std::pow(10.0, static_cast<double>(f.size()));
  }
  out = v;
  return true;
}

// "20ms", "1.5s", "300" (ms) -> milliseconds.
bool parse_duration(std::string_view s, std::int64_t& ms) {
  double scale = 1;
  if (s.size() > 2 && s.substr(s.size() - 2) == "ms") {
    s.remove_suffix(2);
  } else if (!s.empty() && s.back() == 's') {
    s.remove_suffix(1);
    scale = 1000;
  }
  double v = 0;
  if (!parse_num(s, v)) return false;
  ms = std::llround(v * scale);
  return true;
}

// "A-B" with units on either or both ends ("20-80ms", "1s-3s").
bool parse_duration_range(std::string_view s, std::int64_t& lo, std::int64_t& hi) {
  auto dash = s.find('-');
  if (dash == std::string_view::npos) return false;
  std::string_view a = s.substr(0, dash), b = s.substr(dash + 1);
  std::string_view unit = "";
  if (b.size() > 2 && b.substr(b.size() - 2) == "ms")
    unit = "ms";
  else if (!b.empty() && b.back() == 's')
    unit = "s";
  std::string a_full(a);
  if (!a.empty() && std::isdigit(static_cast<unsigned char>(a.back()))) a_full += unit;
  return parse_duration(a_full, lo) && parse_duration(b, hi) && lo <= hi;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  while (true) {
    std::size_t next = s.find(sep, pos);
    out.push_back(
        s.substr(pos, next == std::string_view::npos ? std::string_view::npos : next - pos));
    if (next == std::string_view::npos) break;
    pos = next + 1;
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// A percentage "30%" or a probability "0.3" -> [0, 1].
bool parse_probability(std::string_view s, double& p) {
  if (!s.empty() && s.back() == '%') {
    if (!parse_num(s.substr(0, s.size() - 1), p) || p > 100) return false;
    p /= 100;
    return true;
  }
  return parse_num(s, p) && p <= 1;
}

std::optional<ApiError> parse_short_action(std::string_view rule, std::string_view text, Json& a) {
  std::string_view name = text, arg;
  bool has_arg = false;
  if (auto eq = text.find('='); eq != std::string_view::npos) {
    name = text.substr(0, eq);
    arg = text.substr(eq + 1);
    has_arg = true;
  }
  std::uint64_t n = 0;
  double p = 0;
  // "429", "503+retry=2"
  if (name.size() >= 3 && std::isdigit(static_cast<unsigned char>(name[0]))) {
    std::string_view status = text.substr(0, 3);
    std::string_view rest = text.substr(3);
    if (!parse_u64(status, n) || n < 400 || n > 599) {
      return bad_short(rule, "an error action is a status from 400 to 599");
    }
    a = Json{{"type", "error"}, {"status", n}};
    if (!rest.empty()) {
      std::uint64_t secs = 0;
      if (rest.substr(0, 7) != "+retry=" || !parse_u64(rest.substr(7), secs)) {
        return bad_short(rule, "after the status only \"+retry=SECONDS\" may follow");
      }
      a["retryAfterSecs"] = secs;
    }
    return std::nullopt;
  }
  if (name == "partial") {
    a = Json{{"type", "partial"}};
    if (!has_arg) return std::nullopt;
    if (arg == "all")
      a["pick"] = "all";
    else if (!arg.empty() && arg.back() == '%' && parse_probability(arg, p) && p > 0)
      a["fraction"] = p;
    else if (parse_u64(arg, n) && n > 0)
      a["count"] = n;
    else
      return bad_short(rule, "partial takes =N%, =COUNT or =all");
    return std::nullopt;
  }
  if (name == "latency") {
    if (!has_arg)
      return bad_short(rule, "latency needs =MS, =MIN-MAX(ms|s), =tail:P50-P99 or =pareto:P50-P99");
    std::int64_t lo = 0, hi = 0;
    std::string_view dist;
    if (arg.substr(0, 5) == "tail:")
      dist = "lognormal", arg.remove_prefix(5);
    else if (arg.substr(0, 7) == "pareto:")
      dist = "pareto", arg.remove_prefix(7);
    if (!dist.empty()) {
      if (!parse_duration_range(arg, lo, hi) || lo == 0 || lo >= hi) {
        return bad_short(rule,
                         "a long-tailed latency needs P50-P99 with P50 < P99, e.g. tail:20-2000ms");
      }
      a = Json{{"type", "latency"}, {"dist", dist}, {"p50Ms", lo}, {"p99Ms", hi}};
    } else if (parse_duration_range(arg, lo, hi)) {
      a = Json{{"type", "latency"}, {"minMs", lo}, {"maxMs", hi}};
    } else if (parse_duration(arg, lo)) {
      a = Json{{"type", "latency"}, {"ms", lo}};
    } else {
      return bad_short(rule, "cannot read the latency \"" + std::string(arg) + "\"");
    }
    return std::nullopt;
  }
  if (name == "dribble") {
    a = Json{{"type", "dribble"}};
    if (has_arg) {
      auto slash = arg.find('/');
      std::int64_t delay = 0;
      std::string_view bytes = arg.substr(0, slash);
      if (!bytes.empty() && bytes.back() == 'b') bytes.remove_suffix(1);
      if (slash == std::string_view::npos || !parse_u64(bytes, n) || n == 0 ||
          !parse_duration(arg.substr(slash + 1), delay)) {
        return bad_short(rule, "dribble takes =BYTES/DELAY, e.g. dribble=16/100ms");
      }
      a["chunkBytes"] = n;
      a["delayMs"] = delay;
    }
    return std::nullopt;
  }
  if (name == "truncate") {
    a = Json{{"type", "truncate"}};
    if (has_arg) {
      if (!arg.empty() && arg.back() == '%' && parse_probability(arg, p) && p < 1)
        a["keepFraction"] = p;
      else if (parse_u64(arg, n))
        a["keepBytes"] = n;
      else
        return bad_short(rule, "truncate takes =BYTES or =N% (the part kept)");
    }
    return std::nullopt;
  }
  if (!has_arg && (name == "reset" || name == "close" || name == "malformed")) {
    a = Json{{"type", name}};
    return std::nullopt;
  }
  if (name == "commit" || name.substr(0, 6) == "commit") {
    // "commit", "commit500", "commit=503", "commit=drop"
    a = Json{{"type", "failAfterCommit"}};
    std::string_view v = has_arg ? arg : name.substr(6);
    if (v == "drop")
      a["drop"] = true;
    else if (!v.empty() && parse_u64(v, n) && n >= 500 && n <= 599)
      a["status"] = n;
    else if (!v.empty())
      return bad_short(rule, "commit takes a 5xx status or =drop");
    return std::nullopt;
  }
  return bad_short(rule, "unknown action \"" + std::string(text) +
                             "\" (STATUS, partial, latency, dribble, reset, close, truncate, "
                             "malformed, commit)");
}

std::optional<ApiError> parse_short_schedule(std::string_view rule, std::string_view text,
                                             Json& s) {
  double p = 0;
  std::uint64_t n = 0;
  auto eq = text.find('=');
  std::string_view key = eq == std::string_view::npos ? text : text.substr(0, eq);
  std::string_view val = eq == std::string_view::npos ? std::string_view() : text.substr(eq + 1);
  if (eq == std::string_view::npos) {
    if (!text.empty() && text.back() == '%' && parse_probability(text, p)) {
      s["probability"] = p;
      return std::nullopt;
    }
    return bad_short(rule, "unknown schedule \"" + std::string(text) + "\"");
  }
  if (key == "p") {
    if (!parse_probability(val, p)) return bad_short(rule, "p takes a probability or N%");
    s["probability"] = p;
  } else if (key == "nth") {
    Json list = Json::array();
    for (auto part : split(val, ',')) {
      if (!parse_u64(part, n) || n == 0)
        return bad_short(rule, "nth takes call numbers >= 1, e.g. nth=3,4");
      list.push_back(n);
    }
    s["nth"] = list;
  } else if (key == "every" || key == "first" || key == "after" || key == "max") {
    if (!parse_u64(val, n) || (n == 0 && key != "after")) {
      return bad_short(rule, std::string(key) + " takes a positive count");
    }
    s[key == "max" ? "maxFires" : std::string(key)] = n;
  } else if (key == "window") {
    std::int64_t lo = 0, hi = 0;
    if (!parse_duration_range(val, lo, hi) || lo >= hi) {
      return bad_short(rule, "window takes FROM-TO since the server started, e.g. window=10s-20s");
    }
    s["window"] = Json{{"fromMs", lo}, {"toMs", hi}};
  } else if (key == "burst") {
    // burst=LEN/P% (start anywhere with probability P) or burst=LEN/at=N
    auto slash = val.find('/');
    if (slash == std::string_view::npos || !parse_u64(val.substr(0, slash), n) || n == 0) {
      return bad_short(rule, "burst takes LEN/P% or LEN/at=N, e.g. burst=5/10% or burst=3/at=7");
    }
    Json b{{"length", n}};
    std::string_view rest = val.substr(slash + 1);
    std::uint64_t at = 0;
    if (rest.substr(0, 3) == "at=" && parse_u64(rest.substr(3), at) && at > 0)
      b["start"] = at;
    else if (parse_probability(rest, p))
      b["probability"] = p;
    else
      return bad_short(rule, "burst takes LEN/P% or LEN/at=N, e.g. burst=5/10% or burst=3/at=7");
    s["burst"] = b;
  } else {
    return bad_short(rule, "unknown schedule \"" + std::string(key) +
                               "\" (N%, p, nth, every, first, after, window, burst, max)");
  }
  return std::nullopt;
}

}  // namespace

Result<std::vector<Json>> parse_fault_shorthand(std::string_view text) {
  std::vector<Json> rules;
  for (std::string_view part : split(text, ';')) {
    part = trim(part);
    if (part.empty()) continue;
    std::string_view body = part, target;
    if (auto colon = part.rfind(':'); colon != std::string_view::npos) {
      // "latency=tail:20-2000ms" has a ':' inside the action; a target never contains '=' or '%'.
      std::string_view after = part.substr(colon + 1);
      if (after.find_first_of("=%-") == std::string_view::npos) {
        body = part.substr(0, colon);
        target = after;
      }
    }
    std::string_view action = body, schedule;
    if (auto at = body.find('@'); at != std::string_view::npos) {
      action = body.substr(0, at);
      schedule = body.substr(at + 1);
    }
    Json rule{{"id", std::string(part)}};
    Json a;
    if (auto e = parse_short_action(part, trim(action), a)) return *e;
    rule["action"] = a;
    if (!schedule.empty()) {
      Json s = Json::object();
      for (auto cond : split(schedule, '&')) {
        if (auto e = parse_short_schedule(part, trim(cond), s)) return *e;
      }
      rule["schedule"] = s;
    }
    if (!target.empty()) {
      std::string t = lower(target);
      std::string upper(target);
      for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (upper == std::string(target) &&
          (upper == "GET" || upper == "POST" || upper == "PUT" || upper == "DELETE")) {
        rule["match"] = Json{{"method", upper}};
      } else if (operation_from_alias(target)) {
        rule["match"] = Json{{"operation", std::string(target)}};
      } else {
        return bad_short(
            part, "unknown target \"" + std::string(target) +
                      "\" (an operationId, an alias such as batch_add, or GET/POST/PUT/DELETE)");
      }
    }
    // Check the whole rule now, so a bad shorthand fails where it was written.
    auto checked = parse_fault_rule(rule);
    if (!checked) return bad_short(part, checked.error().message);
    rules.push_back(std::move(rule));
  }
  if (rules.empty()) return errors::invalid_input("Invalid fault shorthand: no rule given");
  return rules;
}

}  // namespace rqcheck::fake
