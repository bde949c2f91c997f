#include "rqcheck/conformance/replay.h"

#include <algorithm>
#include <cstdio>
#include <regex>
#include <set>
#include <sstream>

#include "rqcheck/client/compression.h"
#include "rqcheck/client/url.h"

namespace rqcheck::conformance {

namespace {

// Bodies up to this size are written into the script; larger ones go to a side file.
constexpr std::size_t kInlineBody = 64 * 1024;
// Shortest value worth capturing: ids are 15-17 characters, cursors longer.
constexpr std::size_t kMinCapture = 6;
// The response headers an answer is compared by, in this order (lower case).
constexpr const char* kComparedHeaders[] = {"location", "retry-after", "x-ratelimit-limit"};
// A timestamp more than this after the call is "in the future" (a lock expiry) and compared by
// its distance from the call, rounded to kFutureStepMs.
constexpr std::int64_t kFutureMs = 2000;
constexpr std::int64_t kFutureStepMs = 5000;
// This many identical calls in a row are sent as one burst.
constexpr std::size_t kMinBurst = 5;

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

void replace_all(std::string& s, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t p = s.find(from); p != std::string::npos; p = s.find(from, p + to.size())) {
    s.replace(p, from.size(), to);
  }
}

bool is_text(const std::string& s) {
  for (unsigned char c : s) {
    if (c == 0 || (c < 0x20 && c != '\n' && c != '\t' && c != '\r')) return false;
  }
  return true;
}

std::string base64(const std::string& in) {
  static const char* k = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  auto at = [&](std::size_t j) { return static_cast<unsigned>(static_cast<unsigned char>(in[j])); };
  for (; i + 2 < in.size(); i += 3) {
    unsigned v = at(i) << 16 | at(i + 1) << 8 | at(i + 2);
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], k[v & 63]};
  }
  if (i + 1 == in.size()) {
    unsigned v = at(i) << 16;
    out += {k[v >> 18], k[(v >> 12) & 63], '=', '='};
  } else if (i + 2 == in.size()) {
    unsigned v = at(i) << 16 | at(i + 1) << 8;
    out += {k[v >> 18], k[(v >> 12) & 63], k[(v >> 6) & 63], '='};
  }
  return out;
}

std::string one_line(std::string s) {
  for (char& c : s) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return s;
}

std::string trim(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  std::size_t e = s.find_last_not_of(" \t");
  return s.substr(b, e - b + 1);
}

// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm; the script does the same).
std::int64_t days_from_civil(std::int64_t y, std::int64_t m, std::int64_t d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const std::int64_t yoe = y - era * 400;
  const std::int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// A value the target handed out and a later call sends back: the script reads it from the
// replayed answer (the k-th "key":"..." string of call `call`) instead of sending the recorded one.
struct Capture {
  std::string var;    // V1, V2, ...
  std::string value;  // as recorded
  std::size_t call = 0;
  std::string key;
  std::size_t occurrence = 1;  // 1-based, among the "key":"..." strings of the answer
  bool queue = false;          // a queue the script created: deleted at the end
};

// The "key":"value" strings of a body, in order (the pattern the script's capture uses).
std::vector<std::pair<std::string, std::string>> keyed_strings(const std::string& body) {
  static const std::regex re("\"([A-Za-z0-9_]+)\"[ \t\r\n]*:[ \t\r\n]*\"([^\"]*)\"");
  std::vector<std::pair<std::string, std::string>> out;
  for (auto it = std::sregex_iterator(body.begin(), body.end(), re); it != std::sregex_iterator();
       ++it) {
    out.emplace_back((*it)[1].str(), (*it)[2].str());
  }
  return out;
}

std::string path_of(const std::string& target) { return target.substr(0, target.find('?')); }

// `text` as one shell word: literal parts single-quoted, each substitution "${VAR}".
std::string shell_word(const std::string& text,
                       const std::vector<std::pair<std::string, std::string>>& subs) {
  std::string out, literal;
  auto flush = [&] {
    if (!literal.empty()) out += shell_quote(literal);
    literal.clear();
  };
  std::size_t i = 0;
  while (i < text.size()) {
    const std::pair<std::string, std::string>* hit = nullptr;
    for (const auto& s : subs) {
      if (!s.first.empty() && text.compare(i, s.first.size(), s.first) == 0 &&
          (!hit || s.first.size() > hit->first.size())) {
        hit = &s;
      }
    }
    if (hit) {
      flush();
      out += "\"${" + hit->second + "}\"";
      i += hit->first.size();
    } else {
      literal += text[i++];
    }
  }
  flush();
  return out.empty() ? "''" : out;
}

// The bash half of the comparison; normalise_answer is the C++ half and must match it.
const char* kScriptFunctions = R"BASH(urlenc() {
  local s=$1 out= c i
  for ((i = 0; i < ${#s}; i++)); do
    c=${s:i:1}
    case $c in [A-Za-z0-9._~-]) out+=$c ;; *) printf -v c '%%%02X' "'$c"; out+=$c ;; esac
  done
  REPLY=$out
}
# epoch_ms TIMESTAMP: EPOCH = milliseconds since 1970 (UTC; a time without a zone is taken as UTC)
epoch_ms() {
  EPOCH=
  [[ $1 =~ ^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\.([0-9]+))?(Z|([+-])([0-9]{2}):?([0-9]{2}))?$ ]] || return 0
  local y=$((10#${BASH_REMATCH[1]})) m=$((10#${BASH_REMATCH[2]})) d=$((10#${BASH_REMATCH[3]}))
  local hh=$((10#${BASH_REMATCH[4]})) mm=$((10#${BASH_REMATCH[5]})) ss=$((10#${BASH_REMATCH[6]}))
  local frac=${BASH_REMATCH[8]}000 sign=${BASH_REMATCH[10]} oh=${BASH_REMATCH[11]:-0} om=${BASH_REMATCH[12]:-0}
  frac=$((10#${frac:0:3}))
  local off=$(((10#$oh * 60 + 10#$om) * 60))
  [ "$sign" = - ] && off=$((-off))
  y=$((y - (m <= 2)))
  local era=$(((y >= 0 ? y : y - 399) / 400))
  local yoe=$((y - era * 400))
  local doy=$(((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1))
  local doe=$((yoe * 365 + yoe / 4 - yoe / 100 + doy))
  local days=$((era * 146097 + doe - 719468))
  EPOCH=$(((((days * 24 + hh) * 60 + mm) * 60 + ss - off) * 1000 + frac))
}
# norm ANSWER SENT_MS: NORM = the compared headers and the body, with the captured values, the
# prefix and the timestamps replaced (see the comment at the top)
norm() {
  local s=$HEADERS$1 sent=$2 v out= whole zone tag
  for v in "${captured[@]}"; do [ -n "${!v}" ] && s=${s//"${!v}"/<$v>}; done
  s=${s//"$PREFIX"/<prefix>}
  local re='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})?'
  while [[ $s =~ $re ]]; do
    whole=${BASH_REMATCH[0]}
    zone=${BASH_REMATCH[2]}
    epoch_ms "$whole"
    tag='<time>'
    if [ -n "$EPOCH" ] && [ "$sent" -gt 0 ] && ((EPOCH - sent > FUTURE_MS)); then
      tag="<time+$(((EPOCH - sent + FUTURE_STEP_MS / 2) / FUTURE_STEP_MS * FUTURE_STEP_MS / 1000))s>"
    fi
    out+=${s%%"$whole"*}$tag$zone
    s=${s#*"$whole"}
  done
  NORM=$out$s
}
# HEADERS = the compared headers of the last reply, "name: value" lines
headers_of() {
  local line name value h
  local -A seen=()
  HEADERS=
  while IFS= read -r line || [ -n "$line" ]; do
    line=${line%$'\r'}
    if [[ $line == HTTP/* ]]; then seen=(); continue; fi  # the last response's block counts
    [[ $line == *:* ]] || continue
    name=${line%%:*}
    name=${name,,}
    value=${line#*:}
    value=${value#"${value%%[![:space:]]*}"}
    value=${value%"${value##*[![:space:]]}"}
    case $name in location | retry-after | x-ratelimit-limit) [ -n "${seen[$name]+x}" ] || seen[$name]=$value ;; esac
  done <"$work/$n.hdr"
  for h in location retry-after x-ratelimit-limit; do
    [ -n "${seen[$h]+x}" ] && HEADERS+="$h: ${seen[$h]}"$'\n'
  done
  return 0
}
short() { if [ ${#1} -le 300 ]; then printf '%s' "$1"; else printf '%s...' "${1:0:300}"; fi; }
n=0
status_differs=0
last_same=1
why=
# call METHOD TARGET AUTH BODY_FILE [HEADER...]: sends it; STATUS, ANSWER, HEADERS, SENT hold the reply
call() {
  local method=$1 target=$2 auth=$3 body=$4
  shift 4
  n=$((n + 1))
  local args=(-sS --max-time 120 -o "$work/$n.out" -D "$work/$n.hdr" -w '%{http_code}' -X "$method" -H 'Expect:')
  case $auth in
    token) args+=(-H "Authorization: Bearer $TOKEN") ;;
    second) args+=(-H "Authorization: Bearer $SECOND_TOKEN") ;;
  esac
  local h
  for h in "$@"; do args+=(-H "$h"); done
  [ -n "$body" ] && args+=(--data-binary "@$body")
  : >"$work/$n.out"
  : >"$work/$n.hdr"
  SENT=${EPOCHREALTIME/./}
  SENT=$((SENT / 1000))
  STATUS=$(curl "${args[@]}" "$BASE_URL$target" 2>"$work/$n.err")
  [ -n "$STATUS" ] || STATUS=000
  ANSWER=
  IFS= read -r -d '' ANSWER <"$work/$n.out" || true
  while [[ $ANSWER == *$'\n' ]]; do ANSWER=${ANSWER%$'\n'}; done
  headers_of
  echo "== $n. $method ${target//$TOKEN_Q/<token>}"
}
# burst COUNT METHOD TARGET AUTH [HEADER...]: the same call COUNT times on one connection, as fast
# as the failing run sent them (rate limits); STATUSES holds every status, the rest the last reply
burst() {
  local count=$1 method=$2 target=$3 auth=$4 i
  shift 4
  local args=(-sS --max-time 120 -X "$method" -H 'Expect:' -w '%{http_code}\n')
  case $auth in
    token) args+=(-H "Authorization: Bearer $TOKEN") ;;
    second) args+=(-H "Authorization: Bearer $SECOND_TOKEN") ;;
  esac
  local h
  for h in "$@"; do args+=(-H "$h"); done
  n=$((n + count))
  for ((i = 1; i < count; i++)); do args+=(-o /dev/null "$BASE_URL$target"); done
  args+=(-o "$work/$n.out" -D "$work/$n.hdr" "$BASE_URL$target")
  : >"$work/$n.out"
  : >"$work/$n.hdr"
  SENT=${EPOCHREALTIME/./}
  SENT=$((SENT / 1000))
  mapfile -t STATUSES < <(curl "${args[@]}" 2>"$work/$n.err")
  STATUS=${STATUSES[count - 1]:-000}
  ANSWER=
  IFS= read -r -d '' ANSWER <"$work/$n.out" || true
  while [[ $ANSWER == *$'\n' ]]; do ANSWER=${ANSWER%$'\n'}; done
  headers_of
  echo "== $((n - count + 1))-$n. $count x $method ${target//$TOKEN_Q/<token>}"
}
# expect_statuses 'S1 S2 ...': compares the statuses of a burst but its last with the failing run's
expect_statuses() {
  local want=($1) i
  for ((i = 0; i + 1 < ${#want[@]}; i++)); do
    if [ "${STATUSES[i]:-000}" != "${want[i]}" ]; then
      echo "   call $((n - ${#want[@]} + 1 + i)): ${STATUSES[i]:-000}, the failing run got ${want[i]}   <- differs"
      if [ $status_differs = 0 ]; then
        status_differs=1
        why="call $((n - ${#want[@]} + 1 + i)) answered ${STATUSES[i]:-000}, the failing run got ${want[i]}"
      fi
      return 0
    fi
  done
  return 0
}
# rate_burst 'S1 S2 ... 429' COUNT METHOD TARGET AUTH [HEADER...]: a burst that ran into a rate
# limit. Where in the burst the first 429 falls depends on where the limit's window turned over,
# so only the shape is compared (successes, then 429s); a burst that meets no 429 because a window
# turned over during it is sent again (at most twice).
rate_burst() {
  local count=$2 attempt i seen=0 bad=
  shift
  for attempt in 1 2 3; do
    burst "$@"
    [ "$STATUS" = 429 ] && break
    [ $attempt -lt 3 ] && echo "   no 429: a rate window turned over during the burst; again" && n=$((n - count))
  done
  for ((i = 0; i + 1 < count; i++)); do
    case ${STATUSES[i]:-000} in
      2??) [ $seen = 1 ] && bad=$i ;;
      429) seen=1 ;;
      *) bad=$i ;;
    esac
    [ -n "$bad" ] && break
  done
  if [ -n "$bad" ]; then
    echo "   call $((n - count + 1 + bad)): ${STATUSES[bad]:-000}, the failing run got successes, then 429s   <- differs"
    if [ $status_differs = 0 ]; then
      status_differs=1
      why="call $((n - count + 1 + bad)) answered ${STATUSES[bad]:-000} in a rate-limit burst"
    fi
  fi
  return 0
}
# expect RECORDED_STATUS RECORDED_ANSWER CUT: compares the last reply with the failing run's
expect() {
  local want_status=$1 want=$2 cut=$3
  norm "$ANSWER" "$SENT"
  printf '   failing run: %s ' "$want_status"
  short "$want"
  echo
  if [ "$STATUS" = "$want_status" ] && { [ "$cut" = 1 ] || [ "$NORM" = "$want" ]; }; then
    echo "   now:         the same"
    last_same=1
  else
    printf '   now:         %s ' "$STATUS"
    short "$NORM"
    echo "   <- differs"
    [ "$STATUS" = 000 ] && echo "   curl: $(<"$work/$n.err")"
    last_same=0
    if [ "$STATUS" != "$want_status" ] && [ $status_differs = 0 ]; then
      status_differs=1
      why="call $n answered $STATUS, the failing run got $want_status"
    fi
  fi
  return 0
}
# capture VAR KEY K: VAR = the K-th "KEY":"..." string of the last answer
capture() {
  local rest=$ANSWER k=0 v= re="\"$2\"[[:space:]]*:[[:space:]]*\"([^\"]*)\""
  while [[ $rest =~ $re ]]; do
    k=$((k + 1))
    if [ $k = "$3" ]; then
      v=${BASH_REMATCH[1]}
      break
    fi
    rest=${rest#*"${BASH_REMATCH[0]}"}
  done
  printf -v "$1" '%s' "$v"
  urlenc "$v"
  printf -v "$1_Q" '%s' "$REPLY"
  [ -n "$v" ] || echo "   (no \"$2\" number $3 in this answer: \$$1 stays empty)"
  return 0
}
advance() { # MS: moves rq-fake's virtual clock
  n=$((n + 1))
  echo "== $n. advance rq-fake's clock by $1 ms"
  curl -sS -o /dev/null -X POST -H 'Content-Type: application/json' --data-binary "{\"advanceMs\":$1}" "$BASE_URL/__admin/clock"
}
)BASH";

}  // namespace

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

std::string normalise_answer(const client::HeaderList& headers, std::string body,
                             const std::vector<std::pair<std::string, std::string>>& captured,
                             const std::string& prefix, std::int64_t sent_ms) {
  std::string s;
  for (const char* name : kComparedHeaders) {
    if (auto v = client::find_header(headers, name))
      s += std::string(name) + ": " + trim(*v) + "\n";
  }
  while (!body.empty() && body.back() == '\n') body.pop_back();
  s += body;
  for (const auto& [value, name] : captured) replace_all(s, value, "<" + name + ">");
  replace_all(s, prefix, "<prefix>");
  static const std::regex ts(
      "([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(\\.([0-9]+))?"
      "(Z|([+-])([0-9]{2}):?([0-9]{2}))?");
  std::string out;
  auto begin = s.cbegin();
  std::smatch m;
  while (std::regex_search(begin, s.cend(), m, ts)) {
    out.append(begin, m[0].first);
    auto num = [&](int i) { return m[i].matched ? std::stoll(m[i].str()) : 0LL; };
    std::string frac = (m[8].matched ? m[8].str() : std::string()) + "000";
    std::int64_t off = (num(11) * 60 + num(12)) * 60;
    if (m[10].matched && m[10].str() == "-") off = -off;
    std::int64_t epoch =
        (((days_from_civil(num(1), num(2), num(3)) * 24 + num(4)) * 60 + num(5)) * 60 + num(6) -
         off) *
            1000 +
        std::stoll(frac.substr(0, 3));
    std::string tag = "<time>";
    if (sent_ms > 0 && epoch - sent_ms > kFutureMs) {
      tag = "<time+" +
            std::to_string((epoch - sent_ms + kFutureStepMs / 2) / kFutureStepMs * kFutureStepMs /
                           1000) +
            "s>";
    }
    out += tag + (m[9].matched ? m[9].str() : std::string());
    begin = m[0].second;
  }
  out.append(begin, s.cend());
  return out;
}

ReplayCall replay_call(const client::Exchange& ex, ReplayCall::Auth auth) {
  ReplayCall c;
  c.method = ex.method;
  c.target = ex.target;
  c.auth = auth;
  c.status = ex.status;
  c.response = ex.response_body;
  c.response_headers = ex.response_headers;
  c.started_at_ms = ex.started_at;
  c.response_cut = ex.bodies_truncated && ex.response_body.size() >= 16 * 1024;
  bool has_body = ex.request_body_bytes > 0 || !ex.request_body.empty();
  bool has_content_type = false;
  for (const auto& [k, v] : ex.request_headers) {
    std::string l = lower(k);
    if (l == "authorization" || l == "host" || l == "content-length" || l == "user-agent" ||
        l == "connection" || l == "accept-encoding" || l == "expect") {
      continue;
    }
    has_content_type = has_content_type || l == "content-type";
    c.headers.emplace_back(k, v);
  }
  if (has_body) {
    std::string body = ex.request_body;
    c.body_cut = body.size() < ex.request_body_bytes;
    // The client compressed the body itself (the recorded body is the plain one) when the wire
    // size differs; a hand-made Content-Encoding header goes with the body as it is.
    if (!ex.content_encoding.empty() && ex.request_wire_bytes != ex.request_body_bytes &&
        !c.body_cut) {
      client::BodyEncoding enc = ex.content_encoding == "gzip"      ? client::BodyEncoding::kGzip
                                 : ex.content_encoding == "deflate" ? client::BodyEncoding::kDeflate
                                 : ex.content_encoding == "br"      ? client::BodyEncoding::kBrotli
                                                                    : client::BodyEncoding::kNone;
      if (auto z = client::compress(body, enc)) body = std::move(*z);
    }
    c.body = std::move(body);
    if (!has_content_type) c.headers.emplace_back("Content-Type", "");  // no curl default
  }
  return c;
}

ReplayScript replay_script(const ReplayPlan& plan) {
  ReplayScript out;
  const auto& calls = plan.calls;
  // Captures: a string the target handed out (not sent by any call so far) that a later call
  // sends, or the id of a queue the call created.
  std::vector<Capture> captures;
  std::vector<std::vector<Capture>> captures_after(calls.size());
  std::set<std::string> known;
  auto sent_in = [](const ReplayCall& c, const std::string& v, bool encoded_too) {
    if (c.target.find(v) != std::string::npos) return true;
    if (encoded_too && c.target.find(client::percent_encode(v)) != std::string::npos) return true;
    return c.body && c.body->find(v) != std::string::npos;
  };
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const ReplayCall& c = calls[i];
    if (c.advance_clock_ms || c.response.empty()) continue;
    std::map<std::string, std::size_t> seen_keys;
    const bool creates_queue = c.method == "POST" && path_of(c.target) == "/v2/request-queues" &&
                               c.status >= 200 && c.status < 300;
    for (const auto& [key, value] : keyed_strings(c.response)) {
      const std::size_t k = ++seen_keys[key];
      const bool queue = creates_queue && key == "id" && k == 1;
      if (value.size() < kMinCapture || known.count(value)) continue;
      static const std::regex timestamp("[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+.*");
      if (std::regex_match(value, timestamp)) continue;  // compared as <time>, never sent back
      if (!plan.run_prefix.empty() && value.find(plan.run_prefix) != std::string::npos) continue;
      if (!queue) {
        bool before = false, later = false;
        for (std::size_t j = 0; j <= i; ++j) before = before || sent_in(calls[j], value, false);
        for (std::size_t j = i + 1; j < calls.size(); ++j)
          later = later || sent_in(calls[j], value, true);
        if (before || !later) continue;
      }
      known.insert(value);
      Capture cap{"V" + std::to_string(captures.size() + 1), value, i, key, k, queue};
      captures.push_back(cap);
      captures_after[i].push_back(cap);
    }
  }
  // Substitutions, longest value first (a cursor may contain an id).
  std::vector<Capture> by_length = captures;
  std::stable_sort(by_length.begin(), by_length.end(), [](const Capture& a, const Capture& b) {
    return a.value.size() > b.value.size();
  });
  std::vector<std::pair<std::string, std::string>> target_subs, body_subs;
  for (const auto& cap : by_length) {
    std::string enc = client::percent_encode(cap.value);
    target_subs.emplace_back(cap.value, cap.var);
    if (enc != cap.value) target_subs.emplace_back(enc, cap.var + "_Q");
    body_subs.emplace_back(cap.value, cap.var);
  }
  if (!plan.run_prefix.empty()) {
    target_subs.emplace_back(plan.run_prefix, "PREFIX");
    body_subs.emplace_back(plan.run_prefix, "PREFIX");
  }
  target_subs.emplace_back("<redacted>", "TOKEN_Q");
  const bool second = std::any_of(calls.begin(), calls.end(), [](const ReplayCall& c) {
    return c.auth == ReplayCall::Auth::kSecondToken;
  });

  std::ostringstream s;
  s << "#!/usr/bin/env bash\n";
  for (const auto& line : plan.about) s << "# " << one_line(line) << "\n";
  s << "#\n# Target: BASE_URL";
  if (!plan.default_base_url.empty()) {
    s << " (default " << plan.default_base_url << ")";
  } else {
    s << " (default: a fresh rq-fake";
    for (const auto& a : plan.fake_args) s << " " << a;
    s << ", from RQ_FAKE or the PATH)";
  }
  s << "; token APIFY_TOKEN" << (second ? ", second user APIFY_SECOND_TOKEN" : "")
    << " (never printed).\n"
    << "# It creates its own queues, replays " << calls.size()
    << " calls with the ids the target hands out, compares each answer\n"
    << "# with the failing run's (ids, queue-name prefix and timestamps as placeholders) and "
       "deletes its queues.\n"
    << "# Exit 1: reproduced (every status and the last answer as in the failing run); 0: not "
       "reproduced;\n"
    << "# 2: could not run. Needs bash 5, curl.\n";
  if (plan.calls_omitted > 0) {
    s << "# The recording left out " << plan.calls_omitted
      << " calls in the middle: the replay may not reproduce.\n";
  }
  s << "set -uo pipefail\n"
    << "export LC_ALL=C\n"
    << "here=$(cd \"$(dirname \"${BASH_SOURCE[0]}\")\" && pwd)\n"
    << "command -v curl >/dev/null || { echo \"needs curl\"; exit 2; }\n"
    << "[ -n \"${EPOCHREALTIME:-}\" ] || { echo \"needs bash 5\"; exit 2; }\n"
    << "work=$(mktemp -d)\n"
    << "fake_pid=\n"
    << "created=()\n"
    << "captured=()\n"
    << "FUTURE_MS=" << kFutureMs << "\n"
    << "FUTURE_STEP_MS=" << kFutureStepMs << "\n"
    << "cleanup() {\n"
    << "  local q\n"
    << "  for q in \"${created[@]}\"; do\n"
    << "    [ -n \"$q\" ] && curl -sS -o /dev/null -X DELETE -H \"Authorization: Bearer $TOKEN\" "
       "\"$BASE_URL/v2/request-queues/$q\" 2>/dev/null\n"
    << "  done\n"
    << "  [ -n \"$fake_pid\" ] && kill \"$fake_pid\" 2>/dev/null\n"
    << "  rm -rf \"$work\"\n"
    << "}\n"
    << "trap cleanup EXIT\n"
    << "TOKEN=${APIFY_TOKEN:-}\n"
    << "SECOND_TOKEN=${APIFY_SECOND_TOKEN:-}\n"
    << "if [ -z \"${BASE_URL:-}\" ]; then\n";
  if (!plan.default_base_url.empty()) {
    s << "  BASE_URL=" << shell_quote(plan.default_base_url) << "\n";
  } else {
    s << "  RQ_FAKE=${RQ_FAKE:-rq-fake}\n"
      << "  command -v \"$RQ_FAKE\" >/dev/null || { echo \"no rq-fake: set "
         "RQ_FAKE=path/to/rq-fake, "
         "or BASE_URL and APIFY_TOKEN for another target\"; exit 2; }\n"
      << "  \"$RQ_FAKE\" --port 0";
    for (const auto& a : plan.fake_args) s << " " << shell_quote(a);
    s << " >\"$work/fake.log\" 2>&1 &\n"
      << "  fake_pid=$!\n"
      << "  for _ in $(seq 200); do grep -qs 'listening on' \"$work/fake.log\" && break; sleep "
         "0.05; "
         "done\n"
      << "  BASE_URL=$(sed -n 's/.*listening on //p' \"$work/fake.log\" | head -1)\n"
      << "  [ -n \"$BASE_URL\" ] || { echo \"rq-fake did not start:\"; cat \"$work/fake.log\"; "
         "exit "
         "2; }\n"
      << "  TOKEN=${TOKEN:-" << shell_quote(plan.fake_token) << "}\n"
      << "  SECOND_TOKEN=${SECOND_TOKEN:-" << shell_quote(plan.fake_second_token) << "}\n"
      << "  echo \"started $RQ_FAKE";
    for (const auto& a : plan.fake_args) s << " " << a;
    s << " at $BASE_URL\"\n";
  }
  s << "fi\n"
    << "BASE_URL=${BASE_URL%/}\n"
    << "[ -n \"$TOKEN\" ] || { echo \"set APIFY_TOKEN (it is never printed)\"; exit 2; }\n";
  if (second) {
    s << "[ -n \"$SECOND_TOKEN\" ] || { echo \"set APIFY_SECOND_TOKEN, a token of another user\"; "
         "exit 2; }\n";
  }
  s << kScriptFunctions << "urlenc \"$TOKEN\"\n"
    << "TOKEN_Q=$REPLY\n"
    << "PREFIX=\"rqr-$(printf '%04x' $RANDOM)$(date +%s | tail -c 5)\"\n"
    << "echo \"target $BASE_URL, queue names prefixed $PREFIX\"\n";

  std::string last_note;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    const ReplayCall& c = calls[i];
    if (!c.note.empty() && c.note != last_note) {
      s << "\n# " << one_line(c.note) << "\n";
      last_note = c.note;
    }
    if (c.pause_ms > 0) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.3f", static_cast<double>(c.pause_ms) / 1000.0);
      s << "sleep " << buf << "\n";
    }
    if (c.advance_clock_ms) {
      s << "advance " << *c.advance_clock_ms << "\n";
      continue;
    }
    std::string body_arg = "''";
    if (c.body) {
      std::string file = "\"$work/b" + std::to_string(i + 1) + "\"";
      bool encoded = false;
      for (const auto& [k, v] : c.headers) encoded = encoded || lower(k) == "content-encoding";
      if (c.body_cut) {
        s << "echo 'call " << i + 1 << ": the recording kept " << c.body->size()
          << " bytes of its body, not all of it; it cannot be replayed'\nexit 2\n";
      } else if (c.body->size() > kInlineBody) {
        std::string name = plan.side_file_stem + ".call" + std::to_string(i + 1) + ".body";
        out.side_files[name] = *c.body;
        s << "[ -f \"$here/" << name << "\" ] || { echo 'needs " << name
          << " beside the script'; exit 2; }\n"
          << "cp \"$here/" << name << "\" " << file << "\n";
      } else if (!encoded && is_text(*c.body)) {
        s << "printf '%s' " << shell_word(*c.body, body_subs) << " >" << file << "\n";
      } else {
        s << "printf '%s' " << shell_quote(base64(*c.body)) << " | base64 -d >" << file << "\n";
      }
      body_arg = file;
    }
    const char* auth = c.auth == ReplayCall::Auth::kNone          ? "none"
                       : c.auth == ReplayCall::Auth::kSecondToken ? "second"
                                                                  : "token";
    // A run of the same bodiless call sent without pauses (a rate-limit burst) goes out as one
    // curl on one connection: one process per call would be too slow to meet the same limits.
    std::size_t last = i;
    if (!c.body) {
      while (last + 1 < calls.size()) {
        const ReplayCall& nx = calls[last + 1];
        if (nx.advance_clock_ms || nx.body || nx.method != c.method || nx.target != c.target ||
            nx.auth != c.auth || nx.pause_ms > 0 || nx.note != c.note ||
            !captures_after[last].empty()) {
          break;
        }
        ++last;
      }
      if (last - i + 1 < kMinBurst) last = i;
    }
    if (last > i) {
      std::string statuses;
      bool rate_limited = calls[last].status == 429;
      for (std::size_t j = i; j <= last; ++j) {
        statuses += (j > i ? " " : "");
        statuses += calls[j].status == 0 ? std::string("000") : std::to_string(calls[j].status);
        if (calls[j].status != 429 && (calls[j].status < 200 || calls[j].status > 299)) {
          rate_limited = false;
        }
      }
      // A burst that ends in 429 met a rate limit: compared by shape (successes, then 429s).
      s << (rate_limited ? "rate_burst '" + statuses + "' " : std::string("burst ")) << last - i + 1
        << " " << c.method << " " << shell_word(c.target, target_subs) << " " << auth;
      for (const auto& [k, v] : c.headers) s << " " << shell_quote(k + ": " + v);
      s << "\n";
      if (!rate_limited) s << "expect_statuses '" << statuses << "'\n";
      i = last;
    } else {
      s << "call " << c.method << " " << shell_word(c.target, target_subs) << " " << auth << " "
        << body_arg;
      for (const auto& [k, v] : c.headers) s << " " << shell_quote(k + ": " + v);
      s << "\n";
    }
    const ReplayCall& lc = calls[i];
    for (const auto& cap : captures_after[i]) {
      s << "capture " << cap.var << " " << cap.key << " " << cap.occurrence << "\n";
      if (cap.queue) s << "created+=(\"$" << cap.var << "\")\n";
    }
    // The values captured so far, longest first (norm replaces them in this order).
    std::vector<std::pair<std::string, std::string>> normal;
    std::string names;
    for (const auto& cap : by_length) {
      if (cap.call > i) continue;
      normal.emplace_back(cap.value, cap.var);
      names += (names.empty() ? "" : " ") + cap.var;
    }
    if (!captures_after[i].empty()) s << "captured=(" << names << ")\n";
    std::string status = lc.status == 0 ? "000" : std::to_string(lc.status);
    s << "expect " << status << " "
      << shell_quote(normalise_answer(lc.response_headers, lc.response, normal, plan.run_prefix,
                                      lc.started_at_ms))
      << " " << (lc.response_cut ? 1 : 0) << "\n";
  }
  s << "\necho\n";
  if (!plan.expected.empty() || !plan.received.empty()) {
    s << "echo " << shell_quote("The failing run's verdict:") << "\n"
      << "echo " << shell_quote("  expected: " + one_line(plan.expected)) << "\n"
      << "echo " << shell_quote("  received: " + one_line(plan.received)) << "\n";
  }
  s << "if [ $status_differs = 0 ] && [ $last_same = 1 ]; then\n"
    << "  echo \"REPRODUCED: every status and the last answer are as in the failing run (exit "
       "1)\"\n"
    << "  exit 1\n"
    << "fi\n"
    << "[ -n \"$why\" ] || why=\"the last answer differs from the failing run's\"\n"
    << "echo \"NOT REPRODUCED: $why (exit 0)\"\n"
    << "exit 0\n";
  out.script = s.str();
  return out;
}

}  // namespace rqcheck::conformance
