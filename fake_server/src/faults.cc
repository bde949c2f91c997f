#include "rqcheck/fake_server/faults.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <utility>

#include "rqcheck/core/errors.h"

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

// The error type a status stands for when the rule names none (catalogued statuses only).
std::string_view default_error_type(int status) {
  switch (status) {
    case 400:
      return "invalid-input";
    case 401:
      return "token-not-provided";
    case 402:
      return "x402-payment-required";
    case 403:
      return "insufficient-permissions";
    case 404:
      return "record-not-found";
    case 405:
      return "method-not-allowed";
    case 408:
      return "operation-timed-out";
    case 413:
      return "request-too-large";
    case 415:
      return "unsupported-content-encoding";
    case 429:
      return "rate-limit-exceeded";
    case 500:
      return "internal-server-error";
    case 501:
      return "not-implemented";
    case 503:
      return "service-unavailable";
    default:
      return "";
  }
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

int rate_limit_for(std::optional<Operation> op) {
  if (!op) return 60;
  switch (operation_info(*op).rate_class) {
    case RateClass::kSingleRequest:
      return 400;
    case RateClass::kBatch:
      return 40;
    case RateClass::kOther:
      return 60;
  }
  return 60;
}

ApiError make_error(const FaultAction& a, std::optional<Operation> op) {
  if (!a.message.empty()) return ApiError{a.status, a.error_type, a.message};
  const std::string& t = a.error_type;
  ApiError e{a.status, t, ""};
  if (t == "rate-limit-exceeded")
    e.message = errors::rate_limit_exceeded(rate_limit_for(op)).message;
  else if (t == "invalid-input")
    e.message = "Invalid input: The request body contains invalid data.";
  else if (t == "token-not-provided")
    e.message = errors::token_not_provided().message;
  else if (t == "user-or-token-not-found")
    e.message = errors::user_or_token_not_found().message;
  else if (t == "record-not-found")
    e.message = errors::record_not_found().message;
  else if (t == "method-not-allowed") {
    e.message = errors::method_not_allowed(op ? operation_info(*op).method : "GET").message;
  } else if (t == "request-too-large") {
    e.message = errors::request_too_large(kMaxPayloadBytes + 1).message;
  } else if (t == "insufficient-permissions") {
    e.message =
        "Insufficient permissions for the request queue. Make sure you're passing a "
        "correct API token and that it has the required permissions.";
  } else if (t == "internal-server-error") {
    e.message = "Internal server error. Please try again later.";
  } else if (t == "service-unavailable") {
    e.message = "The service is temporarily unavailable. Please try again later.";
  } else if (t == "operation-timed-out") {
    e.message = "The operation timed out.";
  } else {
    e.message = "The request failed (" + t + ").";
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

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
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

std::optional<Operation> operation_from_alias(std::string_view name) {
  if (auto op = operation_from_id(name)) return op;
  using O = Operation;
  struct Alias {
    std::string_view name;
    O op;
  };
  static constexpr Alias kAliases[] = {
      {"list_queues", O::kQueuesGet},
      {"create_queue", O::kQueuesPost},
      {"get_queue", O::kQueueGet},
      {"update_queue", O::kQueuePut},
      {"delete_queue", O::kQueueDelete},
      {"add", O::kRequestsPost},
      {"list", O::kRequestsGet},
      {"batch_add", O::kRequestsBatchPost},
      {"batch_delete", O::kRequestsBatchDelete},
      {"get", O::kRequestGet},
      {"update", O::kRequestPut},
      {"delete", O::kRequestDelete},
      {"head", O::kHeadGet},
      {"lock", O::kHeadLockPost},
      {"prolong", O::kRequestLockPut},
      {"delete_lock", O::kRequestLockDelete},
      {"unlock", O::kRequestsUnlockPost},
  };
  for (const Alias& a : kAliases) {
    if (a.name == name) return a.op;
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

namespace {

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
