#include "rqcheck/fake_server/faults.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>

#include "rqcheck/core/errors.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {

namespace {

// ---- Deterministic draws ------------------------------------------------------------------
// Counter-based: a draw is a pure function of (seed, rule, the rule's call index, purpose), so
// no rule's faults depend on how calls to other rules interleave across threads.

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

std::uint64_t fnv1a64(std::string_view s) {
  std::uint64_t h = 0xCBF29CE484222325ULL;
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001B3ULL;
  }
  return h;
}

// Purposes of a draw, so that two draws for the same call are independent.
enum Salt : std::uint64_t {
  kSaltProbability = 1,
  kSaltBurst = 2,
  kSaltLatencyA = 3,
  kSaltLatencyB = 4,
  kSaltPartialBase = 100,
};

std::uint64_t draw(std::uint64_t seed, std::uint64_t rule_hash, std::uint64_t k,
                   std::uint64_t salt) {
  std::uint64_t x = splitmix64(seed ^ splitmix64(rule_hash));
  x = splitmix64(x ^ splitmix64(k));
  return splitmix64(x ^ splitmix64(salt + 0x5851F42D4C957F2DULL));
}

constexpr double kPi = 3.14159265358979323846;

// Uniform in [0, 1).
double unit(std::uint64_t x) { return static_cast<double>(x >> 11) * 0x1.0p-53; }

// ---- JSON rule parsing ---------------------------------------------------------------------

ApiError bad(const std::string& what) {
  return errors::invalid_input("Invalid fault rule: " + what);
}

std::string shown(const Json& v) {
  std::string s = dump_json(v);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

// Rejects keys outside `allowed`, so a typo never silently disables part of a rule.
std::optional<ApiError> only_keys(const Json& obj, const std::string& where,
                                  std::initializer_list<std::string_view> allowed) {
  for (auto it = obj.begin(); it != obj.end(); ++it) {
    if (std::find(allowed.begin(), allowed.end(), it.key()) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return bad("unknown key \"" + it.key() + "\" in " + where + " (allowed: " + list + ")");
    }
  }
  return std::nullopt;
}

std::optional<ApiError> get_int(const Json& obj, const char* key, const std::string& where,
                                std::int64_t lo, std::int64_t hi,
                                std::optional<std::int64_t>& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  bool ok = false;
  std::int64_t v = 0;
  if (it->is_number_integer()) {
    v = it->get<std::int64_t>();
    ok = true;
  } else if (it->is_number_float()) {
    double d = it->get<double>();
    if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) {
      v = static_cast<std::int64_t>(d);
      ok = true;
    }
  }
  if (!ok || v < lo || v > hi) {
    return bad(where + "." + key + " must be an integer from " + std::to_string(lo) + " to " +
               std::to_string(hi) + " (got " + shown(*it) + ")");
  }
  out = v;
  return std::nullopt;
}

std::string num_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

std::optional<ApiError> get_double(const Json& obj, const char* key, const std::string& where,
                                   double lo, double hi, bool lo_open, std::optional<double>& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_number() || !std::isfinite(it->get<double>()) || it->get<double>() > hi ||
      it->get<double>() < lo || (lo_open && it->get<double>() == lo)) {
    return bad(where + "." + key + " must be a number in " + (lo_open ? "(" : "[") + num_text(lo) +
               ", " + num_text(hi) + "] (got " + shown(*it) + ")");
  }
  out = it->get<double>();
  return std::nullopt;
}

std::optional<ApiError> get_string(const Json& obj, const char* key, const std::string& where,
                                   std::optional<std::string>& out, bool allow_empty = false) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_string() || (!allow_empty && it->get_ref<const std::string&>().empty())) {
    return bad(where + "." + key + " must be a non-empty string (got " + shown(*it) + ")");
  }
  out = it->get<std::string>();
  return std::nullopt;
}

std::optional<ApiError> get_bool(const Json& obj, const char* key, const std::string& where,
                                 bool& out) {
  auto it = obj.find(key);
  if (it == obj.end()) return std::nullopt;
  if (!it->is_boolean())
    return bad(where + "." + key + " must be true or false (got " + shown(*it) + ")");
  out = it->get<bool>();
  return std::nullopt;
}

#define RQ_TRY(expr)                  \
  do {                                \
    if (auto e_ = (expr)) return *e_; \
  } while (0)

std::optional<ApiError> parse_match(const Json& m, FaultMatch& out) {
  if (!m.is_object()) return bad("\"match\" must be an object (got " + shown(m) + ")");
  RQ_TRY(only_keys(m, "match", {"operation", "method", "path", "queue", "clientKey", "user"}));
  std::optional<std::string> op;
  RQ_TRY(get_string(m, "operation", "match", op));
  if (op) {
    out.op = operation_from_alias(*op);
    if (!out.op) {
      return bad("match.operation \"" + *op +
                 "\" is neither an operationId of the request-queue API nor a known alias "
                 "(add, batch_add, batch_delete, head, lock, list, get, update, delete, prolong, "
                 "delete_lock, unlock, list_queues, create_queue, get_queue, update_queue, "
                 "delete_queue)");
    }
  }
  RQ_TRY(get_string(m, "method", "match", out.method));
  if (out.method) {
    for (char& c : *out.method) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    static constexpr std::string_view kMethods[] = {"GET",   "POST", "PUT",    "DELETE",
                                                    "PATCH", "HEAD", "OPTIONS"};
    if (std::find(std::begin(kMethods), std::end(kMethods), *out.method) == std::end(kMethods)) {
      return bad("match.method \"" + *out.method + "\" is not an HTTP method the API uses");
    }
  }
  RQ_TRY(get_string(m, "path", "match", out.path));
  if (out.path) {
    if (out.path->size() > 1000) return bad("match.path is longer than 1000 characters");
    // libstdc++ reads a back-reference number without a bound (signed overflow on "\\7777...",
    // found by fuzz/targets/fault_rule.cc); a path pattern has no use for one.
    for (std::size_t i = 0; i + 1 < out.path->size(); ++i) {
      if ((*out.path)[i] == '\\') {
        char next = (*out.path)[i + 1];
        if (next >= '0' && next <= '9')
          return bad("match.path must not use back-references or \\<digit> escapes");
        ++i;  // the escaped character
      }
    }
    try {
      out.path_re = std::make_shared<const std::regex>(*out.path, std::regex::ECMAScript);
    } catch (const std::regex_error& e) {
      return bad("match.path \"" + *out.path + "\" is not a valid regular expression (" + e.what() +
                 ")");
    }
  }
  RQ_TRY(get_string(m, "queue", "match", out.queue));
  RQ_TRY(get_string(m, "clientKey", "match", out.client_key));
  RQ_TRY(get_string(m, "user", "match", out.user));
  return std::nullopt;
}

std::optional<ApiError> parse_error_fields(const Json& a, const std::string& kind, int lo, int hi,
                                           int default_status, FaultAction& out) {
  std::optional<std::int64_t> status, retry;
  std::optional<std::string> type, message;
  RQ_TRY(get_int(a, "status", "action", lo, hi, status));
  RQ_TRY(get_string(a, "errorType", "action", type));
  RQ_TRY(get_string(a, "message", "action", message, true));
  RQ_TRY(get_int(a, "retryAfterSecs", "action", 0, 86400, retry));
  if (type) {
    int documented = documented_status(*type);
    if (!status) {
      if (documented == 0) {
        return bad("action.errorType \"" + *type + "\" is not in the error catalogue; give " +
                   "action.status too");
      }
      if (documented < lo || documented > hi) {
        return bad("action.errorType \"" + *type + "\" is documented with status " +
                   std::to_string(documented) + ", which a " + kind + " action cannot send");
      }
      status = documented;
    } else if (documented != 0 && documented != *status) {
      return bad("action.errorType \"" + *type + "\" is documented with status " +
                 std::to_string(documented) + ", not " + std::to_string(*status));
    }
  }
  out.status = static_cast<int>(status.value_or(default_status));
  if (type) {
    out.error_type = *type;
  } else {
    out.error_type = std::string(default_error_type(out.status));
    if (out.error_type.empty()) {
      return bad("status " + std::to_string(out.status) +
                 " has no documented error type; give action.errorType");
    }
  }
  if (message) out.message = *message;
  if (retry) out.retry_after_secs = static_cast<int>(*retry);
  return std::nullopt;
}

std::optional<ApiError> parse_action(const Json& a, FaultAction& out) {
  if (!a.is_object()) return bad("\"action\" must be an object (got " + shown(a) + ")");
  std::optional<std::string> type;
  RQ_TRY(get_string(a, "type", "action", type));
  if (!type) {
    return bad(
        "action.type is required (error, partial, latency, dribble, reset, close, "
        "truncate, malformed, failAfterCommit)");
  }
  auto kind = fault_kind_from_name(*type);
  if (!kind) {
    return bad("action.type \"" + *type +
               "\" is unknown (error, partial, latency, dribble, "
               "reset, close, truncate, malformed, failAfterCommit)");
  }
  out.kind = *kind;
  switch (*kind) {
    case FaultKind::kHttpError:
      RQ_TRY(only_keys(a, "action", {"type", "status", "errorType", "message", "retryAfterSecs"}));
      return parse_error_fields(a, "error", 400, 599, 429, out);
    case FaultKind::kFailAfterCommit: {
      RQ_TRY(only_keys(a, "action",
                       {"type", "status", "errorType", "message", "retryAfterSecs", "drop"}));
      RQ_TRY(get_bool(a, "drop", "action", out.drop));
      return parse_error_fields(a, "failAfterCommit", 500, 599, 500, out);
    }
    case FaultKind::kPartialBatch: {
      RQ_TRY(only_keys(a, "action", {"type", "count", "fraction", "pick"}));
      std::optional<std::int64_t> count;
      std::optional<double> fraction;
      std::optional<std::string> pick;
      RQ_TRY(get_int(a, "count", "action", 1, 1000000, count));
      RQ_TRY(get_double(a, "fraction", "action", 0, 1, true, fraction));
      RQ_TRY(get_string(a, "pick", "action", pick));
      if (count && fraction) return bad("action: give either count or fraction, not both");
      if (count) out.count = static_cast<int>(*count);
      if (fraction) out.fraction = *fraction;
      if (pick) {
        if (*pick == "random")
          out.pick = PartialPick::kRandom;
        else if (*pick == "first")
          out.pick = PartialPick::kFirst;
        else if (*pick == "last")
          out.pick = PartialPick::kLast;
        else if (*pick == "all")
          out.pick = PartialPick::kAll;
        else
          return bad("action.pick must be random, first, last or all (got \"" + *pick + "\")");
      }
      return std::nullopt;
    }
    case FaultKind::kLatency: {
      RQ_TRY(only_keys(a, "action",
                       {"type", "ms", "minMs", "maxMs", "dist", "p50Ms", "p99Ms", "capMs"}));
      std::optional<std::int64_t> ms, lo, hi, p50, p99, cap;
      std::optional<std::string> dist;
      constexpr std::int64_t kMax = 3600000;
      RQ_TRY(get_int(a, "ms", "action", 0, kMax, ms));
      RQ_TRY(get_int(a, "minMs", "action", 0, kMax, lo));
      RQ_TRY(get_int(a, "maxMs", "action", 0, kMax, hi));
      RQ_TRY(get_int(a, "p50Ms", "action", 1, kMax, p50));
      RQ_TRY(get_int(a, "p99Ms", "action", 1, kMax, p99));
      RQ_TRY(get_int(a, "capMs", "action", 1, kMax, cap));
      RQ_TRY(get_string(a, "dist", "action", dist));
      if (cap) out.cap_ms = *cap;
      std::string d = dist.value_or(ms             ? "fixed"
                                    : (lo || hi)   ? "uniform"
                                    : (p50 || p99) ? "lognormal"
                                                   : "");
      if (d == "fixed") {
        if (!ms) return bad("action: a fixed latency needs \"ms\"");
        out.dist = LatencyDist::kFixed;
        out.ms = *ms;
      } else if (d == "uniform") {
        if (!lo || !hi || *lo > *hi) return bad("action: a uniform latency needs minMs <= maxMs");
        out.dist = LatencyDist::kUniform;
        out.min_ms = *lo;
        out.max_ms = *hi;
      } else if (d == "lognormal" || d == "pareto") {
        if (!p50 || !p99 || *p50 >= *p99) {
          return bad("action: a " + d + " latency needs p50Ms < p99Ms");
        }
        out.dist = d == "lognormal" ? LatencyDist::kLogNormal : LatencyDist::kPareto;
        out.p50_ms = *p50;
        out.p99_ms = *p99;
      } else if (d.empty()) {
        return bad("action: a latency needs ms, minMs and maxMs, or p50Ms and p99Ms");
      } else {
        return bad("action.dist must be fixed, uniform, lognormal or pareto (got \"" + d + "\")");
      }
      return std::nullopt;
    }
    case FaultKind::kDribble: {
      RQ_TRY(only_keys(a, "action", {"type", "chunkBytes", "delayMs"}));
      std::optional<std::int64_t> chunk, delay;
      RQ_TRY(get_int(a, "chunkBytes", "action", 1, 1 << 20, chunk));
      RQ_TRY(get_int(a, "delayMs", "action", 0, 600000, delay));
      if (chunk) out.chunk_bytes = static_cast<std::size_t>(*chunk);
      if (delay) out.chunk_delay_ms = *delay;
      return std::nullopt;
    }
    case FaultKind::kTruncate: {
      RQ_TRY(only_keys(a, "action", {"type", "keepBytes", "keepFraction"}));
      std::optional<std::int64_t> keep;
      std::optional<double> fraction;
      RQ_TRY(get_int(a, "keepBytes", "action", 0, 1LL << 40, keep));
      RQ_TRY(get_double(a, "keepFraction", "action", 0, 1, false, fraction));
      if (keep && fraction) return bad("action: give either keepBytes or keepFraction, not both");
      if (fraction && *fraction >= 1) return bad("action.keepFraction must be below 1");
      if (keep) out.keep_bytes = static_cast<std::size_t>(*keep);
      if (fraction) out.keep_fraction = *fraction;
      return std::nullopt;
    }
    case FaultKind::kReset:
    case FaultKind::kCloseBeforeResponse:
    case FaultKind::kMalformedJson:
      RQ_TRY(only_keys(a, "action", {"type"}));
      return std::nullopt;
  }
  return std::nullopt;
}

std::optional<ApiError> parse_schedule(const Json& s, FaultSchedule& out) {
  if (!s.is_object()) return bad("\"schedule\" must be an object (got " + shown(s) + ")");
  RQ_TRY(
      only_keys(s, "schedule",
                {"probability", "nth", "every", "first", "after", "window", "burst", "maxFires"}));
  constexpr std::int64_t kBig = 1LL << 53;
  RQ_TRY(get_double(s, "probability", "schedule", 0, 1, false, out.probability));
  std::optional<std::int64_t> v;
  if (auto it = s.find("nth"); it != s.end()) {
    Json list = it->is_array() ? *it : Json::array({*it});
    if (list.empty()) return bad("schedule.nth must list at least one call number");
    for (const Json& n : list) {
      if (!n.is_number_unsigned() || n.get<std::uint64_t>() < 1) {
        return bad("schedule.nth must be call numbers >= 1 (got " + shown(*it) + ")");
      }
      out.nth.push_back(n.get<std::uint64_t>());
    }
  }
  RQ_TRY(get_int(s, "every", "schedule", 1, kBig, v));
  if (v) out.every = static_cast<std::uint64_t>(*v);
  v.reset();
  RQ_TRY(get_int(s, "first", "schedule", 1, kBig, v));
  if (v) out.first = static_cast<std::uint64_t>(*v);
  v.reset();
  RQ_TRY(get_int(s, "after", "schedule", 0, kBig, v));
  if (v) out.after = static_cast<std::uint64_t>(*v);
  v.reset();
  RQ_TRY(get_int(s, "maxFires", "schedule", 1, kBig, v));
  if (v) out.max_fires = static_cast<std::uint64_t>(*v);
  if (auto it = s.find("window"); it != s.end()) {
    if (!it->is_object()) return bad("schedule.window must be an object {fromMs, toMs, absolute}");
    RQ_TRY(only_keys(*it, "schedule.window", {"fromMs", "toMs", "absolute"}));
    std::optional<std::int64_t> from, to;
    RQ_TRY(get_int(*it, "fromMs", "schedule.window", 0, kBig, from));
    RQ_TRY(get_int(*it, "toMs", "schedule.window", 0, kBig, to));
    RQ_TRY(get_bool(*it, "absolute", "schedule.window", out.absolute));
    if (!from && !to) return bad("schedule.window needs fromMs, toMs or both");
    if (from && to && *from >= *to) return bad("schedule.window needs fromMs < toMs");
    out.from_ms = from;
    out.to_ms = to;
  }
  if (auto it = s.find("burst"); it != s.end()) {
    if (!it->is_object())
      return bad("schedule.burst must be an object {length, start|probability}");
    RQ_TRY(only_keys(*it, "schedule.burst", {"length", "start", "probability"}));
    std::optional<std::int64_t> len, start;
    std::optional<double> p;
    RQ_TRY(get_int(*it, "length", "schedule.burst", 1, kBig, len));
    RQ_TRY(get_int(*it, "start", "schedule.burst", 1, kBig, start));
    RQ_TRY(get_double(*it, "probability", "schedule.burst", 0, 1, false, p));
    if (!len) return bad("schedule.burst.length is required");
    if (start.has_value() == p.has_value()) {
      return bad("schedule.burst needs exactly one of start (a call number) or probability");
    }
    if (out.probability || !out.nth.empty() || out.every || out.first || out.after) {
      return bad(
          "schedule.burst cannot be combined with probability, nth, every, first or "
          "after (window and maxFires are fine)");
    }
    out.burst_length = static_cast<std::uint64_t>(*len);
    if (start) out.burst_start = static_cast<std::uint64_t>(*start);
    out.burst_probability = p;
  }
  return std::nullopt;
}

#undef RQ_TRY

bool matches(const FaultMatch& m, const CallContext& c) {
  if (m.op && (!c.op || *m.op != *c.op)) return false;
  if (m.method && *m.method != c.method) return false;
  if (m.queue && *m.queue != c.queue_id && *m.queue != c.queue_ref) return false;
  if (m.client_key && (!c.client_key || *m.client_key != *c.client_key)) return false;
  if (m.user && (c.user_id.empty() && c.username.empty())) return false;
  if (m.user && *m.user != c.user_id && *m.user != c.username) return false;
  if (m.path_re && !std::regex_search(c.path, *m.path_re)) return false;
  return true;
}

// The catalogue's error, with the limit and method of the operation where its message names them.
ApiError make_error(const FaultAction& a, std::optional<Operation> op) {
  if (!a.message.empty()) return ApiError{a.status, a.error_type, a.message};
  ApiError e = error_of_type(a.status, a.error_type);
  if (a.error_type == "rate-limit-exceeded") {
    RateLimits defaults;
    e.message =
        errors::rate_limit_exceeded(op ? limit_for(defaults, *op) : kRateOtherPerSec).message;
  } else if (a.error_type == "method-not-allowed" && op) {
    e.message = errors::method_not_allowed(operation_info(*op).method).message;
  }
  return e;
}

std::int64_t sample_latency(const FaultAction& a, std::uint64_t u1, std::uint64_t u2) {
  double ms = 0;
  switch (a.dist) {
    case LatencyDist::kFixed:
      return a.ms;
    case LatencyDist::kUniform:
      return a.min_ms +
             static_cast<std::int64_t>(unit(u1) * static_cast<double>(a.max_ms - a.min_ms + 1));
    case LatencyDist::kLogNormal: {
      // mu = ln p50; sigma from the 99th percentile: z(0.99) = 2.326348.
      double mu = std::log(static_cast<double>(a.p50_ms));
      double sigma = (std::log(static_cast<double>(a.p99_ms)) - mu) / 2.326348;
      double r1 = std::max(unit(u1), 0x1.0p-53);
      double z = std::sqrt(-2.0 * std::log(r1)) * std::cos(2.0 * kPi * unit(u2));
      ms = std::exp(mu + sigma * z);
      break;
    }
    case LatencyDist::kPareto: {
      // Quantile q = xm (1-q)^(-1/alpha); p99/p50 = 50^(1/alpha).
      double alpha = std::log(50.0) / std::log(static_cast<double>(a.p99_ms) / a.p50_ms);
      double xm = a.p50_ms / std::pow(2.0, 1.0 / alpha);
      double r = std::max(1.0 - unit(u1), 0x1.0p-53);
      ms = xm * std::pow(r, -1.0 / alpha);
      break;
    }
  }
  if (!std::isfinite(ms) || ms > static_cast<double>(a.cap_ms)) return a.cap_ms;
  return std::max<std::int64_t>(0, std::llround(ms));
}

}  // namespace

// ---- Names ---------------------------------------------------------------------------------

std::string_view fault_kind_name(FaultKind kind) {
  switch (kind) {
    case FaultKind::kHttpError:
      return "error";
    case FaultKind::kPartialBatch:
      return "partial";
    case FaultKind::kLatency:
      return "latency";
    case FaultKind::kDribble:
      return "dribble";
    case FaultKind::kReset:
      return "reset";
    case FaultKind::kCloseBeforeResponse:
      return "close";
    case FaultKind::kTruncate:
      return "truncate";
    case FaultKind::kMalformedJson:
      return "malformed";
    case FaultKind::kFailAfterCommit:
      return "failAfterCommit";
  }
  return "?";
}

std::optional<FaultKind> fault_kind_from_name(std::string_view name) {
  for (FaultKind k :
       {FaultKind::kHttpError, FaultKind::kPartialBatch, FaultKind::kLatency, FaultKind::kDribble,
        FaultKind::kReset, FaultKind::kCloseBeforeResponse, FaultKind::kTruncate,
        FaultKind::kMalformedJson, FaultKind::kFailAfterCommit}) {
    if (fault_kind_name(k) == name) return k;
  }
  return std::nullopt;
}

Result<FaultRule> parse_fault_rule(const Json& j) {
  if (!j.is_object()) return bad("a rule must be a JSON object (got " + shown(j) + ")");
  if (auto e = only_keys(j, "the rule", {"id", "match", "action", "schedule"})) return *e;
  FaultRule r;
  std::optional<std::string> id;
  if (auto e = get_string(j, "id", "rule", id)) return *e;
  if (id) {
    if (id->size() > 200) return bad("rule.id is longer than 200 characters");
    r.id = *id;
  }
  if (auto it = j.find("match"); it != j.end()) {
    if (auto e = parse_match(*it, r.match)) return *e;
  }
  auto act = j.find("action");
  if (act == j.end()) return bad("\"action\" is required");
  if (auto e = parse_action(*act, r.action)) return *e;
  if (auto it = j.find("schedule"); it != j.end()) {
    if (auto e = parse_schedule(*it, r.schedule)) return *e;
  }
  if (r.action.kind == FaultKind::kPartialBatch && r.match.op &&
      *r.match.op != Operation::kRequestsBatchPost &&
      *r.match.op != Operation::kRequestsBatchDelete) {
    return bad("a partial action applies only to batch add or batch delete, not to " +
               std::string(operation_info(*r.match.op).id));
  }
  r.source = j;
  return r;
}

// ---- FaultDecision -------------------------------------------------------------------------

std::size_t FaultDecision::truncate_at(std::size_t size) const {
  if (size == 0) return 0;
  std::size_t keep =
      keep_bytes ? *keep_bytes : static_cast<std::size_t>(std::floor(keep_fraction * double(size)));
  return std::min(keep, size - 1);
}

std::string FaultDecision::action_label() const {
  std::string s = kind ? std::string(fault_kind_name(*kind)) : "";
  if (latency_ms > 0) s += s.empty() ? "latency" : "+latency";
  return s;
}

std::string malform_json_body(std::string_view body) {
  // Replace the first ':' so the text still looks like the answer but no parser accepts it;
  // a body without one (empty, a bare value) becomes an unterminated object.
  std::string out(body);
  auto colon = out.find(':');
  if (colon == std::string::npos) return "{\"data\":";
  out[colon] = ' ';
  return out;
}

// ---- FaultEngine ---------------------------------------------------------------------------

FaultEngine::FaultEngine(std::uint64_t seed, const Clock& clock, std::size_t log_capacity)
    : seed_(seed),
      clock_(clock),
      start_ms_(clock.now_ms()),
      log_capacity_(std::max<std::size_t>(1, log_capacity)) {}

Result<std::string> FaultEngine::add_rule(const Json& rule) {
  if (!rule.is_object()) return bad("a rule must be a JSON object (got " + shown(rule) + ")");
  auto ids = add_rules(Json::array({rule}));
  if (!ids) return ids.error();
  return std::move(ids->front());
}

Result<std::vector<std::string>> FaultEngine::add_rules(const Json& doc) {
  const Json* list = &doc;
  Json wrapped;
  if (doc.is_object() && doc.contains("rules")) {
    if (doc.size() != 1 && !(doc.size() == 2 && doc.contains("seed"))) {
      return bad("a rules file has only \"rules\" (and optionally \"seed\")");
    }
    list = &doc["rules"];
  } else if (doc.is_object()) {
    wrapped = Json::array({doc});
    list = &wrapped;
  }
  if (!list->is_array())
    return bad("expected a rule object, an array of rules or {\"rules\":[...]}");
  std::vector<FaultRule> parsed;
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto r = parse_fault_rule((*list)[i]);
    if (!r) {
      ApiError e = r.error();
      if (list->size() > 1) e.message += " (rule " + std::to_string(i + 1) + ")";
      return e;
    }
    parsed.push_back(std::move(*r));
  }
  std::lock_guard<std::mutex> lock(mu_);
  auto taken = [&](const std::string& id) {
    for (const auto& st : rules_) {
      if (st->rule.id == id) return true;
    }
    for (const auto& p : parsed) {
      if (&p.id != &id && p.id == id) return true;
    }
    return false;
  };
  for (auto& r : parsed) {
    if (r.id.empty()) {
      do {
        r.id = "rule-" + std::to_string(next_auto_id_++);
      } while (taken(r.id));
    } else if (taken(r.id)) {
      return bad("a rule with id \"" + r.id + "\" exists already; remove it first");
    }
    r.source["id"] = r.id;
  }
  std::vector<std::string> ids;
  for (auto& r : parsed) {
    auto st = std::make_unique<RuleState>();
    st->rule_hash = fnv1a64(r.id);
    ids.push_back(r.id);
    st->rule = std::move(r);
    rules_.push_back(std::move(st));
  }
  rule_count_.store(rules_.size(), std::memory_order_release);
  return ids;
}

bool FaultEngine::remove_rule(std::string_view id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it =
      std::find_if(rules_.begin(), rules_.end(), [&](const auto& st) { return st->rule.id == id; });
  if (it == rules_.end()) return false;
  rules_.erase(it);
  rule_count_.store(rules_.size(), std::memory_order_release);
  return true;
}

void FaultEngine::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  rules_.clear();
  rule_count_.store(0, std::memory_order_release);
}

Json FaultEngine::rules_json() const {
  std::lock_guard<std::mutex> lock(mu_);
  Json rules = Json::array();
  for (const auto& st : rules_) {
    Json r = st->rule.source;
    r["calls"] = st->calls;
    r["fires"] = st->fires;
    rules.push_back(std::move(r));
  }
  return Json{{"seed", seed_}, {"rules", std::move(rules)}};
}

bool FaultEngine::fires(RuleState& st, std::uint64_t k, TimeMs /*now*/) {
  const FaultSchedule& s = st.rule.schedule;
  if (s.burst_length) {
    // State advances on every counted call, acted on or shadowed, so it depends only on k.
    if (st.burst_left > 0) {
      --st.burst_left;
      return true;
    }
    bool start = s.burst_start
                     ? k == *s.burst_start
                     : unit(draw(seed_, st.rule_hash, k, kSaltBurst)) < *s.burst_probability;
    if (start) st.burst_left = *s.burst_length - 1;
    return start;
  }
  if (!s.nth.empty() && std::find(s.nth.begin(), s.nth.end(), k) == s.nth.end()) return false;
  if (s.every && k % *s.every != 0) return false;
  if (s.first && k > *s.first) return false;
  if (s.after && k <= *s.after) return false;
  if (s.probability && !(unit(draw(seed_, st.rule_hash, k, kSaltProbability)) < *s.probability)) {
    return false;
  }
  return true;
}

void FaultEngine::apply(const RuleState& st, std::uint64_t k, const CallContext& call,
                        FaultDecision& d) {
  const FaultAction& a = st.rule.action;
  if (a.kind == FaultKind::kLatency) {
    d.latency_ms += sample_latency(a, draw(seed_, st.rule_hash, k, kSaltLatencyA),
                                   draw(seed_, st.rule_hash, k, kSaltLatencyB));
    d.latency_rules.push_back(st.rule.id);
    return;
  }
  d.kind = a.kind;
  d.rule_id = st.rule.id;
  switch (a.kind) {
    case FaultKind::kHttpError:
      d.error = make_error(a, call.op);
      d.retry_after_secs = a.retry_after_secs;
      break;
    case FaultKind::kFailAfterCommit:
      d.drop_after_commit = a.drop;
      if (!a.drop) {
        d.error = make_error(a, call.op);
        d.retry_after_secs = a.retry_after_secs;
      }
      break;
    case FaultKind::kPartialBatch: {
      std::size_t n = call.batch_items.value_or(0);
      std::size_t m = n;
      if (a.pick != PartialPick::kAll) {
        m = a.count ? std::min<std::size_t>(static_cast<std::size_t>(*a.count), n)
                    : std::clamp<std::size_t>(
                          static_cast<std::size_t>(std::llround(a.fraction * double(n))), 1, n);
      }
      d.unprocessed.assign(n, false);
      if (a.pick == PartialPick::kLast) {
        for (std::size_t i = n - m; i < n; ++i) d.unprocessed[i] = true;
      } else if (a.pick == PartialPick::kRandom) {
        // Partial Fisher-Yates over the item indices, one draw per position.
        std::vector<std::size_t> idx(n);
        std::iota(idx.begin(), idx.end(), 0);
        for (std::size_t i = 0; i < m; ++i) {
          std::uint64_t r = draw(seed_, st.rule_hash, k, kSaltPartialBase + i);
          std::size_t j = i + static_cast<std::size_t>(r % (n - i));
          std::swap(idx[i], idx[j]);
          d.unprocessed[idx[i]] = true;
        }
      } else {
        for (std::size_t i = 0; i < m; ++i) d.unprocessed[i] = true;
      }
      break;
    }
    case FaultKind::kDribble:
      d.chunk_bytes = a.chunk_bytes;
      d.chunk_delay_ms = a.chunk_delay_ms;
      break;
    case FaultKind::kTruncate:
      d.keep_bytes = a.keep_bytes;
      d.keep_fraction = a.keep_fraction;
      break;
    case FaultKind::kReset:
    case FaultKind::kCloseBeforeResponse:
    case FaultKind::kMalformedJson:
    case FaultKind::kLatency:
      break;
  }
}

FaultDecision FaultEngine::decide(const CallContext& call) {
  FaultDecision d;
  std::lock_guard<std::mutex> lock(mu_);
  d.call = ++calls_;
  if (rules_.empty()) return d;
  const TimeMs now = clock_.now_ms();
  for (auto& holder : rules_) {
    RuleState& st = *holder;
    const FaultRule& r = st.rule;
    if (!matches(r.match, call)) continue;
    if (r.action.kind == FaultKind::kPartialBatch &&
        (!call.batch_items || *call.batch_items == 0)) {
      continue;
    }
    const FaultSchedule& s = r.schedule;
    TimeMs t = s.absolute ? now : now - start_ms_;
    if ((s.from_ms && t < *s.from_ms) || (s.to_ms && t >= *s.to_ms)) continue;
    const std::uint64_t k = ++st.calls;
    bool primary = r.action.kind != FaultKind::kLatency;
    bool fired = fires(st, k, now);
    if (!fired || (primary && d.kind)) continue;  // not its turn, or shadowed by an earlier rule
    if (s.max_fires && st.fires >= *s.max_fires) continue;
    ++st.fires;
    apply(st, k, call, d);
    if (log_.size() >= log_capacity_) {
      log_.pop_front();
      ++log_dropped_;
    }
    log_.push_back(LogEntry{d.call, call.seq, k, r.id, std::string(fault_kind_name(r.action.kind)),
                            call.method, call.path, call.op, now});
  }
  return d;
}

Json FaultEngine::fault_log(std::size_t max) const {
  std::lock_guard<std::mutex> lock(mu_);
  Json entries = Json::array();
  std::size_t begin = log_.size() > max ? log_.size() - max : 0;
  for (std::size_t i = begin; i < log_.size(); ++i) {
    const LogEntry& e = log_[i];
    Json j{
        {"call", e.call},     {"rule", e.rule}, {"ruleCall", e.rule_call},   {"action", e.action},
        {"method", e.method}, {"path", e.path}, {"at", format_iso8601(e.at)}};
    if (e.seq) j["seq"] = e.seq;
    j["operation"] = e.op ? Json(std::string(operation_info(*e.op).id)) : Json(nullptr);
    entries.push_back(std::move(j));
  }
  return Json{{"seed", seed_}, {"dropped", log_dropped_}, {"entries", std::move(entries)}};
}

// ---- Shorthand -----------------------------------------------------------------------------

}  // namespace rqcheck::fake
