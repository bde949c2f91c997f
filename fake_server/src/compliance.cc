#include "rqcheck/fake_server/compliance.h"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <set>
#include <sstream>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "cost_meter.h"
#include "oracle.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"
#include "wire.h"

namespace rqcheck::fake {

// ---- The rules -----------------------------------------------------------------------------

const std::vector<ComplianceRuleInfo>& compliance_rules() {
  static const std::vector<ComplianceRuleInfo> rules = {
      {"request.content_type", "error",
       "A JSON body without Content-Type: application/json (spec 1: requests with a JSON body "
       "must send it; declared required on batch DELETE)."},
      {"request.body_not_json", "error", "The body of an operation that takes JSON is not JSON."},
      {"request.body_not_object", "error", "An add or update body that is not a JSON object."},
      {"request.batch_not_array", "error", "A batch add or delete body that is not a JSON array."},
      {"request.batch_size", "error",
       "A batch of 0 or more than 25 items (spec 1: 25 per batch; decision 6)."},
      {"request.batch_duplicate_keys", "error",
       "The same uniqueKey twice in one batch add (spec 4 (8), decision 7)."},
      {"request.batch_item_invalid", "error",
       "A batch delete item with neither id nor uniqueKey (spec 4 (9))."},
      {"request.unique_key_missing", "error",
       "An added request without a string uniqueKey (RequestWithoutId requires it; decision 1)."},
      {"request.url_missing", "error",
       "An added request without a string url (RequestWithoutId requires it)."},
      {"request.id_mismatch", "error",
       "An id that is not the one derived from uniqueKey, or a PUT body id that differs from the "
       "path (spec 6.1; decisions 2, 3, 19)."},
      {"request.client_key_length", "error", "A clientKey outside 1..32 characters (decision 8)."},
      {"request.token_missing", "error",
       "A write without a token (spec 1: a token is always needed for writes; decision 12)."},
      {"request.token_in_query", "info",
       "The token travels in ?token= (allowed, but it leaks into logs; both official clients send "
       "Authorization: Bearer, spec 7.1)."},
      {"request.lock_secs", "error",
       "lockSecs missing, negative or not a number on head/lock or prolong (spec 3 rows 14-15; "
       "decision 9)."},
      {"request.boolean_param", "error",
       "A boolean query parameter that is not true, false, 1 or 0 (spec 1; decision 18)."},
      {"request.schema", "error",
       "A request field of the wrong type or value (spec 2: RequestBase; schemas/)."},
      {"request.filter", "error", "A list filter other than locked and pending (decision 32)."},
      {"request.cursor", "error", "A list cursor the server did not hand out (decision 31)."},
      {"request.exclusive_start_id", "error",
       "exclusiveStartId together with cursor or filter (decision 33)."},
      {"request.offset", "error", "A negative or non-integer offset (spec 3 row 1)."},
      {"request.ownership", "error",
       "An ownership other than ownedByMe or sharedWithMe (spec 3 row 1)."},
      {"request.token_unknown", "error",
       "A token the server does not know (decision 12: 401 user-or-token-not-found)."},
      {"request.body", "error",
       "A body that could not be read: over 9437184 bytes after decoding, or in an unsupported "
       "Content-Encoding (decisions 16, 17)."},
      {"request.unknown_parameter", "warning",
       "A query parameter no operation of the API defines (the OpenAPI description's parameters, "
       "plus token and method on every operation): the API ignores it, so the client does not "
       "get what it asked for. The message names the documented parameter it most likely meant "
       "(the same letters ignoring case, '_' and '-', or a typo of at most two letters)."},
      {"request.unknown_field", "warning",
       "A request field RequestBase does not define whose name is close to one it does "
       "(\"userdata\", \"retry_count\", \"noretry\"): the API does not read it, so what the "
       "client meant is lost. Named once per body; a misspelt required field is reported as the "
       "missing one (request.unique_key_missing names the stray)."},
      {"request.extra_field", "info",
       "A request field RequestBase does not define and that is near none of its fields: the "
       "fake keeps it and returns it as sent; what the API does with it is not documented."},
      {"request.parameter_not_for_operation", "info",
       "A query parameter that other operations define but this one does not (clientKey on GET "
       "request, say): the API ignores it here; harmless, noted so a client author can see it."},
      {"request.limit", "info",
       "A limit above the documented maximum (25 for head/lock, 10000 for list requests; "
       "decision 10: the fake clamps)."},
      {"client.retry_immediately", "error",
       "A call that met a 429, a 5xx or a dropped connection was retried within 100 ms (spec 1.2: "
       "wait a random time in [DELAY, 2 DELAY] starting at 500 ms)."},
      {"client.retry_too_soon", "warning",
       "The first retry came sooner than 500 ms (less the jitter tolerance) after the fault "
       "(spec 1.2; 7.1 minDelayBetweenRetriesMillis = 500; 7.2 0.5-1 s)."},
      {"client.backoff_not_exponential", "warning",
       "Retry k waited less than 500 ms x 2^(k-1) (less the tolerance), or less than 1.5 times the "
       "wait two retries before: the waits do not double (spec 1.2 'double DELAY'; 7.1, 7.2)."},
      {"client.retry_after_ignored", "warning",
       "The fault answer carried Retry-After and the retry came sooner (decision 38: the fake "
       "sends it only when asked; the official clients ignore it)."},
      {"client.too_many_attempts", "error",
       "One call was sent more than max_attempts times (9 = apify-client-js's 1 + 8 retries, "
       "spec 7.1) or a batch item came back unprocessed more often."},
      {"client.resent_processed_items", "warning",
       "After a partial batch the client resent items that had been processed (spec 6.6, 7.1: "
       "resend only those not in processedRequests)."},
      {"client.unprocessed_dropped", "warning",
       "Items returned in unprocessedRequests were never resent (spec 4 (8): the client is "
       "expected to resend them with backoff; apify-client-python leaves that to the caller)."},
      {"client.gave_up", "info", "A call that met a retryable fault was never retried."},
      {"client.rejected_call_resent", "warning",
       "A call answered with a 4xx that only the request itself causes (400, 401, 405, 413, 414, "
       "415, 422) was sent again unchanged (same method, path, query, body, Content-Type and "
       "Content-Encoding, same token) within 10 s: the answer cannot change, so the resend is "
       "wasted work and billed calls (spec 7.1, 7.2: the official clients retry only 429, 5xx "
       "and network errors). 404, 403, 408 and 409 are left out: their answer can change with "
       "the queue's state (a lock expiring, a storage appearing on an eventually consistent "
       "platform)."},
      {"client.write_resent_after_commit", "info",
       "A write that failed after its commit was resent, and the API's dedup or idempotence "
       "absorbed it (spec 6.1 dedup; decision 21)."},
      {"client.duplicate_write_after_commit", "error",
       "A write that failed after its commit was resent and was not absorbed: it created a "
       "second queue, or locked further requests."},
      // The consumer oracle (docs/oracle.md): one finding per request and rule (early finish:
      // per client and queue); times are arrival times by the fake's clock.
      {"oracle.processed_twice", "error",
       "A client marked a request handled, updated it, released its lock or deleted it after its "
       "own lock on it had expired and another client had locked it meanwhile: two consumers "
       "worked on one request (crawlee issue 2849; apify-sdk-python PR 1062: double charges, "
       "duplicate dataset items)."},
      {"oracle.lock_expired_while_working", "warning",
       "A client touched a request it had locked (prolong, update, handled mark, release, "
       "delete) after that lock had expired: it was still working on it, and the request was "
       "free for anyone to take (crawlee 3961). Superseded by oracle.processed_twice when another "
       "client did take it and the owner then finished it."},
      {"oracle.lock_left_by_quiet_owner", "warning",
       "A lock its owner never released or finished, and never touched again, while the owner "
       "made no call on the queue for at least the quiet time (30 s) before the report, or the "
       "run ended: the request stayed locked until the lock expired (crawlee 2870: a restarted "
       "run gets a new clientKey and its old locks block the queue)."},
      {"oracle.early_finish", "warning",
       "A client that read the head or took locks stopped (no call on the queue for the quiet "
       "time, or the run ended) while requests it could have taken, still unhandled at the "
       "report, were pending at its last call or locked by another client then and unlocked by "
       "expiry since (apify-sdk-js 668: a crawler finished with requests pending)."},
      {"cost.over_budget", "error",
       "The run spent more reads, writes, deletes, head items or rate-limit refusals than the "
       "cost budget allows (rq-fake --budget; docs/cost.md counts each call the way the "
       "platform bills it)."},
  };
  return rules;
}

namespace {

std::string_view severity_of(std::string_view rule) {
  for (const auto& r : compliance_rules()) {
    if (r.id == rule) return r.severity;
  }
  return "warning";
}

std::string q(std::string_view s) {
  std::string out = "\"";
  out += s.size() > 80 ? std::string(s.substr(0, 77)) + "..." : std::string(s);
  return out + "\"";
}

}  // namespace

// ---- validate_request ----------------------------------------------------------------------

// The same parse the server runs on every call (wire::parse_call): each request rule lives once,
// in core/requests.h and the wire layer, and its violations are the findings.
std::vector<std::string> validate_request(const RequestFacts& f) {
  std::vector<std::string> out;
  if (!f.op) return out;
  HttpRequest http;
  const OperationInfo& info = operation_info(*f.op);
  http.method = std::string(info.method);
  for (const auto& [k, v] : f.query) http.query.emplace(k, v);
  if (!f.content_type.empty()) http.headers.emplace_back("Content-Type", f.content_type);
  if (f.authorization_header) http.headers.emplace_back("Authorization", "Bearer REDACTED");
  if (f.body) {
    http.body = dump_json(*f.body);
  } else if (f.has_body) {
    http.body = "\x01 not JSON";
  }
  RouteMatch route;
  route.kind = RouteMatch::kOperation;
  route.op = f.op;
  route.params = {"queue", f.path_request_id};
  Call call;
  wire::parse_call(http, route, wire::WireOptions{}, call);
  for (const Violation& v : call.violations) {
    out.push_back(std::string(v.rule) + ": " + v.error.message);
  }
  return out;
}

// ---- ComplianceMonitor ---------------------------------------------------------------------

namespace {

struct Tally {
  std::size_t count = 0;
  std::vector<Finding> examples;
};

// A call that met a fault, waiting for (or in the middle of) its retries.
struct Chain {
  Operation op = Operation::kQueuesGet;
  bool has_op = false;
  std::uint64_t order = 0;          // for eviction
  std::vector<std::uint64_t> seqs;  // every attempt
  std::vector<TimeMs> waits;        // before each retry
  TimeMs last_end = 0;
  int attempts = 1;
  std::optional<int> retry_after;
  bool after_commit = false;
  bool flagged_too_many = false;
  std::string last_fault;  // "429", "reset", ... of the last attempt
};

// A call answered with a 4xx the request itself caused, remembered to catch it sent again.
struct Rejected {
  std::uint64_t order = 0;  // for eviction
  std::vector<std::uint64_t> seqs;
  TimeMs last_end = 0;
  int status = 0;
  std::string error_type;
  bool flagged = false;  // one finding per call, however often it is resent
};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// 4xx answers that no change of the queue's state can turn into another answer to the same call.
bool request_caused_4xx(int status) {
  switch (status) {
    case 400:
    case 401:
    case 405:
    case 413:
    case 414:
    case 415:
    case 422:
      return true;
    default:
      return false;
  }
}

// An item that came back in unprocessedRequests.
struct Pending {
  std::uint64_t seq = 0;
  TimeMs end = 0;
  int times = 0;  // how often it came back unprocessed
};

struct Client {
  std::mutex mu;  // one client's calls are checked one at a time; other clients run in parallel
  std::string user, client_key, user_agent;
  bool has_client_key = false;
  std::size_t calls = 0, faults = 0, retries = 0;
  std::map<std::string, Chain> chains;                   // by call signature
  std::map<std::string, Rejected> rejected;              // by call signature
  std::unordered_map<std::string, Pending> unprocessed;  // queue path + '\n' + key
  std::unordered_map<std::string, std::uint64_t> processed_in_partial;
  std::map<std::string, Tally> tallies;  // by rule
};

bool is_fault(const JournalEntry& e) {
  if (e.fault_action.find("truncate") != std::string::npos ||
      e.fault_action.find("malformed") != std::string::npos) {
    return true;
  }
  return e.status == 0 || e.status == 429 || e.status >= 500;
}

// The call's work was done although the client saw a failure: failAfterCommit, or a write whose
// answer was truncated or malformed (those are applied to the answer, after the work).
bool after_commit(const JournalEntry& e) {
  if (e.fault_action.rfind("failAfterCommit", 0) == 0) return true;
  bool broken_answer =
      e.fault_action.rfind("truncate", 0) == 0 || e.fault_action.rfind("malformed", 0) == 0;
  return broken_answer && e.method != "GET";
}

std::string fault_label(const JournalEntry& e) {
  if (e.status == 0) {
    return e.fault_action.empty() ? "a dropped connection"
                                  : "a dropped connection (" + e.fault_action + ")";
  }
  if (e.status == 429 || e.status >= 500) return "a " + std::to_string(e.status);
  return "a " + e.fault_action + " answer";
}

std::string keys_text(const std::vector<std::string>& keys) {
  std::string s;
  for (std::size_t i = 0; i < keys.size() && i < 5; ++i) s += (i ? ", " : "") + q(keys[i]);
  if (keys.size() > 5) s += " and " + std::to_string(keys.size() - 5) + " more";
  return s;
}

std::string waits_text(const std::vector<TimeMs>& waits) {
  std::string s;
  for (std::size_t i = 0; i < waits.size(); ++i)
    s += (i ? ", " : "") + std::to_string(waits[i]) + " ms";
  return s;
}

// The queue part of a path: ".../request-queues/{id}".
std::string queue_of(const JournalEntry& e) {
  if (!e.queue.empty()) return e.queue;
  return e.path;
}

}  // namespace

struct ComplianceMonitor::State {
  std::map<std::string, Client> clients;  // by identity; nodes never move, so Client& is stable
  std::atomic<std::uint64_t> chain_order{0};
};

ComplianceMonitor::ComplianceMonitor(ComplianceOptions options, const Clock* clock)
    : options_(options),
      clock_(clock),
      oracle_(std::make_unique<ConsumerOracle>(
          OracleOptions{options.oracle_quiet_ms, options.oracle_max_requests})),
      state_(std::make_unique<State>()),
      cost_(std::make_unique<CostMeter>()) {}
ComplianceMonitor::~ComplianceMonitor() = default;

namespace {

void add_finding(Client& c, std::size_t max_examples, std::string_view rule, std::string message,
                 std::vector<std::uint64_t> seqs) {
  Tally& t = c.tallies[std::string(rule)];
  ++t.count;
  if (t.examples.size() < max_examples) {
    t.examples.push_back(Finding{std::string(rule), std::string(severity_of(rule)),
                                 std::move(message), std::move(seqs)});
  }
}

// Checks one wait before retry number `k` (1-based) against the backoff the docs describe.
void check_wait(Client& c, const ComplianceOptions& o, int k, TimeMs wait,
                const std::vector<TimeMs>& earlier, std::optional<int> retry_after,
                const std::string& what, const std::vector<std::uint64_t>& seqs) {
  if (retry_after) {
    TimeMs want = static_cast<TimeMs>(*retry_after) * 1000;
    if (wait + o.retry_after_slack_ms < want) {
      add_finding(c, o.max_examples, "client.retry_after_ignored",
                  what + " was retried " + std::to_string(wait) +
                      " ms later, though the answer said "
                      "Retry-After: " +
                      std::to_string(*retry_after),
                  seqs);
    }
    return;
  }
  if (wait < o.immediate_ms) {
    add_finding(c, o.max_examples, "client.retry_immediately",
                what + " was retried after " + std::to_string(wait) + " ms (retry " +
                    std::to_string(k) + ")",
                seqs);
    return;
  }
  double expected = static_cast<double>(o.min_wait_ms) * std::pow(2.0, k - 1);
  expected = std::min(expected, static_cast<double>(o.backoff_cap_ms)) * (1.0 - o.jitter_tolerance);
  if (static_cast<double>(wait) < expected) {
    add_finding(c, o.max_examples,
                k == 1 ? "client.retry_too_soon" : "client.backoff_not_exponential",
                what + ": retry " + std::to_string(k) + " waited " + std::to_string(wait) +
                    " ms, expected at least " + std::to_string(std::llround(expected)) +
                    " ms (waits so far: " + waits_text(earlier) + (earlier.empty() ? "" : ", ") +
                    std::to_string(wait) + " ms)",
                seqs);
    return;
  }
  // With jitter in [1, 2] a wait is at least twice the one two retries before.
  if (k >= 3 && earlier.size() >= 2 &&
      static_cast<double>(wait) < 1.5 * static_cast<double>(earlier[earlier.size() - 2]) &&
      static_cast<double>(wait) <
          static_cast<double>(o.backoff_cap_ms) * (1.0 - o.jitter_tolerance)) {
    add_finding(c, o.max_examples, "client.backoff_not_exponential",
                what + ": waits " + waits_text(earlier) + ", " + std::to_string(wait) +
                    " ms do not grow (retry " + std::to_string(k) +
                    " waited less than 1.5x retry " + std::to_string(k - 2) + ")",
                seqs);
  }
}

// Whether the resend of a committed write was absorbed, and how.
std::optional<std::string> absorbed(const JournalEntry& retry) {
  if (!retry.op) return "not an API operation";
  switch (*retry.op) {
    case Operation::kRequestsPost:
    case Operation::kRequestsBatchPost: {
      if (retry.status < 200 || retry.status >= 300) return "the resend failed";
      std::unordered_set<std::string> present(retry.already_present_keys.begin(),
                                              retry.already_present_keys.end());
      for (const auto& k : retry.item_keys) {
        if (!present.count(k)) return std::nullopt;
      }
      return "the server answered wasAlreadyPresent for every item";
    }
    case Operation::kQueuesPost:
      if (retry.query.find("name=") != std::string::npos) return "get-or-create by name";
      return std::nullopt;
    case Operation::kHeadLockPost:
      return std::nullopt;
    default:
      return "the operation is idempotent";
  }
}

}  // namespace

void ComplianceMonitor::on_exchange(const JournalEntry& e) {
  oracle_->on_exchange(e);  // the consumer oracle (docs/oracle.md) follows every call too
  cost_->on_exchange(e);    // its own locks, none of the client map's
  const ComplianceOptions& o = options_;
  // No lock across clients on the hot path: the client map is read under a shared lock (held
  // for the whole call, so clear() cannot free a client in use) and only a new client takes it
  // exclusively; each client's state has its own mutex.
  std::shared_lock map_lock(mu_);
  std::string id =
      e.user + '\n' + (e.client_key ? *e.client_key : std::string("\x01")) + '\n' + e.user_agent;
  auto it = state_->clients.find(id);
  while (it == state_->clients.end()) {  // a loop: a clear() may slip in before the re-lock
    map_lock.unlock();
    {
      std::unique_lock insert_lock(mu_);
      if (!state_->clients.count(id) && state_->clients.size() >= o.max_clients)
        id = "(other clients)";
      auto [slot, inserted] = state_->clients.try_emplace(id);
      if (inserted && id != "(other clients)") {
        slot->second.user = e.user;
        slot->second.client_key = e.client_key.value_or("");
        slot->second.has_client_key = e.client_key.has_value();
        slot->second.user_agent = e.user_agent;
      } else if (id == "(other clients)") {
        slot->second.user_agent = "(other clients)";
      }
    }
    map_lock.lock();
    it = state_->clients.find(id);
  }
  Client& c = it->second;
  std::lock_guard client_lock(c.mu);
  ++c.calls;
  const TimeMs end = e.arrival_ms + e.duration_ms;

  // 1. What the server found wrong with the request itself.
  for (const std::string& f : e.findings) {
    auto colon = f.find(": ");
    std::string rule = colon == std::string::npos ? "request.invalid" : f.substr(0, colon);
    std::string msg = colon == std::string::npos ? f : f.substr(colon + 2);
    std::string op = e.op ? std::string(operation_info(*e.op).id) : e.method + " " + e.path;
    add_finding(c, o.max_examples, rule, op + ": " + msg, {e.seq});
  }

  const bool fault = is_fault(e);
  const std::string op_name =
      e.op ? std::string(operation_info(*e.op).id) : e.method + " " + e.path;

  // 2. Retries of the same call: same method, path, query and body.
  const std::string sig = e.method + ' ' + e.path + '?' + e.query + '#' + e.body_digest;
  if (auto ch = c.chains.find(sig); ch != c.chains.end()) {
    Chain& chain = ch->second;
    const int k = chain.attempts;  // this is retry k
    const TimeMs wait = e.arrival_ms - chain.last_end;
    ++c.retries;
    std::vector<std::uint64_t> seqs = chain.seqs;
    seqs.push_back(e.seq);
    check_wait(c, o, k, wait, chain.waits, chain.retry_after,
               op_name + " after " + chain.last_fault, seqs);
    if (chain.after_commit) {
      if (auto how = absorbed(e)) {
        add_finding(c, o.max_examples, "client.write_resent_after_commit",
                    op_name + " was resent after a failure that came after its commit; " + *how,
                    seqs);
      } else {
        add_finding(c, o.max_examples, "client.duplicate_write_after_commit",
                    op_name + " was resent after a failure that came after its commit, and the " +
                        "resend was not absorbed (" +
                        (e.op == Operation::kQueuesPost     ? "a second queue was created"
                         : e.op == Operation::kHeadLockPost ? "further requests were locked"
                                                            : "new items were stored") +
                        ")",
                    seqs);
      }
    }
    chain.waits.push_back(wait);
    chain.seqs.push_back(e.seq);
    ++chain.attempts;
    if (chain.attempts > o.max_attempts && !chain.flagged_too_many) {
      chain.flagged_too_many = true;
      add_finding(c, o.max_examples, "client.too_many_attempts",
                  op_name + " was sent " + std::to_string(chain.attempts) + " times (at most " +
                      std::to_string(o.max_attempts) + " expected)",
                  chain.seqs);
    }
    if (fault) {
      chain.last_end = end;
      chain.retry_after = e.retry_after_secs;
      chain.after_commit = after_commit(e);
      chain.last_fault = fault_label(e);
    } else {
      c.chains.erase(ch);
    }
  } else if (fault) {
    ++c.faults;
    if (c.chains.size() >= o.max_tracked) {
      auto oldest = std::min_element(
          c.chains.begin(), c.chains.end(),
          [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
      c.chains.erase(oldest);
    }
    Chain chain;
    chain.has_op = e.op.has_value();
    if (e.op) chain.op = *e.op;
    chain.order = ++state_->chain_order;
    chain.seqs = {e.seq};
    chain.last_end = end;
    chain.retry_after = e.retry_after_secs;
    chain.after_commit = after_commit(e);
    chain.last_fault = fault_label(e);
    c.chains.emplace(sig, std::move(chain));
  }

  // 3. A call the server refused for what it is, sent again unchanged: one finding per call.
  // The body's headers are part of "unchanged" (a 415 or 400 fixed by a Content-Type or
  // Content-Encoding is a changed call); the token is too, through the client's identity.
  // Most calls are neither refused nor a resend of a refused one: no key is built for them.
  if (!c.rejected.empty() || request_caused_4xx(e.status)) {
    std::string rejected_key = sig;
    for (const auto& [name, value] : e.headers) {
      if (iequals(name, "content-type") || iequals(name, "content-encoding"))
        rejected_key += '\n' + name + ':' + value;
    }
    if (auto r = c.rejected.find(rejected_key); r != c.rejected.end()) {
      Rejected& rej = r->second;
      const TimeMs gap = e.arrival_ms - rej.last_end;
      // One finding, with the refused call and its first resend; later resends add nothing (a
      // client looping on a 400 must not grow this without bound).
      if (gap <= o.rejected_resend_window_ms && !rej.flagged) {
        rej.flagged = true;
        rej.seqs.push_back(e.seq);
        add_finding(c, o.max_examples, "client.rejected_call_resent",
                    op_name + " was sent again unchanged " + std::to_string(gap) +
                        " ms after it was refused with " + std::to_string(rej.status) +
                        (rej.error_type.empty() ? "" : " " + rej.error_type) +
                        ": only a changed request can get another answer",
                    rej.seqs);
      }
      if (request_caused_4xx(e.status)) {
        rej.last_end = end;
      } else {
        c.rejected.erase(r);
      }
    } else if (request_caused_4xx(e.status) && e.fault_action.empty()) {
      if (c.rejected.size() >= o.max_tracked) {
        auto oldest = std::min_element(
            c.rejected.begin(), c.rejected.end(),
            [](const auto& a, const auto& b) { return a.second.order < b.second.order; });
        c.rejected.erase(oldest);
      }
      Rejected rej;
      rej.order = ++state_->chain_order;
      rej.seqs = {e.seq};
      rej.last_end = end;
      rej.status = e.status;
      rej.error_type = e.error_type;
      c.rejected.emplace(rejected_key, std::move(rej));
    }
  }

  // 4. Partial batches: resend exactly the unprocessed items, with backoff.
  const bool batch =
      e.op == Operation::kRequestsBatchPost || e.op == Operation::kRequestsBatchDelete;
  if (!batch) return;
  const std::string qprefix = std::string(operation_info(*e.op).id) + '\n' + queue_of(e) + '\n';
  std::vector<std::string> resent_processed;
  std::vector<std::uint64_t> processed_seqs;
  std::unordered_map<std::string, int> resent_times;
  std::vector<std::uint64_t> partial_seqs;
  TimeMs last_partial_end = 0;
  int k = 0;
  for (const std::string& key : e.item_keys) {
    const std::string full = qprefix + key;
    if (auto p = c.processed_in_partial.find(full); p != c.processed_in_partial.end()) {
      resent_processed.push_back(key);
      processed_seqs.push_back(p->second);
    }
    if (auto u = c.unprocessed.find(full); u != c.unprocessed.end()) {
      resent_times[key] = u->second.times;
      k = std::max(k, u->second.times);
      last_partial_end = std::max(last_partial_end, u->second.end);
      if (std::find(partial_seqs.begin(), partial_seqs.end(), u->second.seq) ==
          partial_seqs.end()) {
        partial_seqs.push_back(u->second.seq);
      }
      c.unprocessed.erase(u);
    }
  }
  if (!resent_processed.empty()) {
    std::sort(processed_seqs.begin(), processed_seqs.end());
    processed_seqs.erase(std::unique(processed_seqs.begin(), processed_seqs.end()),
                         processed_seqs.end());
    processed_seqs.push_back(e.seq);
    add_finding(c, o.max_examples, "client.resent_processed_items",
                op_name + " resent " + std::to_string(resent_processed.size()) +
                    " item(s) already processed in an earlier partial batch: " +
                    keys_text(resent_processed),
                processed_seqs);
  }
  if (!resent_times.empty()) {
    ++c.retries;
    std::vector<std::uint64_t> seqs = partial_seqs;
    seqs.push_back(e.seq);
    check_wait(c, o, k, e.arrival_ms - last_partial_end, {}, std::nullopt,
               op_name + " resending unprocessed items", seqs);
  }
  if (e.status >= 200 && e.status < 300 && !e.unprocessed_keys.empty()) {
    ++c.faults;
    std::unordered_set<std::string> unprocessed(e.unprocessed_keys.begin(),
                                                e.unprocessed_keys.end());
    for (const std::string& key : e.unprocessed_keys) {
      if (c.unprocessed.size() >= o.max_tracked) break;
      int times = 1;
      if (auto t = resent_times.find(key); t != resent_times.end()) times = t->second + 1;
      c.unprocessed[qprefix + key] = Pending{e.seq, end, times};
      if (times > o.max_attempts) {
        add_finding(c, o.max_examples, "client.too_many_attempts",
                    op_name + ": item " + q(key) + " came back unprocessed " +
                        std::to_string(times) + " times (at most " +
                        std::to_string(o.max_attempts) + " attempts expected)",
                    {e.seq});
      }
    }
    for (const std::string& key : e.item_keys) {
      if (!unprocessed.count(key) && c.processed_in_partial.size() < o.max_tracked) {
        c.processed_in_partial[qprefix + key] = e.seq;
      }
    }
  }
}

namespace {

// Findings that only the end of the observation decides: items never resent, calls never retried.
std::vector<Finding> final_findings(const Client& c) {
  std::vector<Finding> out;
  if (!c.unprocessed.empty()) {
    std::vector<std::string> keys;
    std::set<std::uint64_t> seqs;
    for (const auto& [full, p] : c.unprocessed) {
      keys.push_back(full.substr(full.rfind('\n') + 1));
      seqs.insert(p.seq);
    }
    std::sort(keys.begin(), keys.end());
    out.push_back(Finding{
        "client.unprocessed_dropped", "warning",
        std::to_string(keys.size()) +
            " item(s) returned in unprocessedRequests were never resent: " + keys_text(keys),
        std::vector<std::uint64_t>(seqs.begin(), seqs.end())});
  }
  for (const auto& [sig, chain] : c.chains) {
    if (chain.attempts > 1) continue;  // it retried and gave up after a retry: within its rights
    std::string op =
        chain.has_op ? std::string(operation_info(chain.op).id) : sig.substr(0, sig.find('?'));
    out.push_back(Finding{"client.gave_up", "info",
                          op + " met " + chain.last_fault + " and was never retried", chain.seqs});
  }
  return out;
}

}  // namespace

std::vector<Finding> ComplianceMonitor::findings() const {
  std::unique_lock lock(mu_);  // exclusive: no client is being checked meanwhile
  std::vector<Finding> out;
  for (const auto& [id, c] : state_->clients) {
    for (const auto& [rule, t] : c.tallies)
      out.insert(out.end(), t.examples.begin(), t.examples.end());
    for (auto& f : final_findings(c)) out.push_back(std::move(f));
  }
  for (auto& f : cost_->findings(cost_budget())) out.push_back(std::move(f));
  return out;
}

Json ComplianceMonitor::report(bool final) const {
  Json oracle = oracle_->report(clock_ ? clock_->now_ms() : oracle_->last_seen(), final);
  std::unique_lock lock(mu_);  // exclusive: no client is being checked meanwhile
  Json clients = Json::array();
  std::size_t calls = 0, faults = 0, retries = 0, total = 0;
  std::map<std::string, std::size_t> by_severity{{"error", 0}, {"warning", 0}, {"info", 0}};
  std::set<std::string> rules_seen;
  for (const auto& [id, c] : state_->clients) {
    Json counts = Json::object();
    Json list = Json::array();
    auto put = [&](const Finding& f, std::size_t count) {
      list.push_back(Json{
          {"rule", f.rule}, {"severity", f.severity}, {"message", f.message}, {"seqs", f.seqs}});
      (void)count;
    };
    for (const auto& [rule, t] : c.tallies) {
      counts[rule] = t.count;
      total += t.count;
      by_severity[std::string(severity_of(rule))] += t.count;
      rules_seen.insert(rule);
      for (const auto& f : t.examples) put(f, t.count);
    }
    for (const auto& f : final_findings(c)) {
      counts[f.rule] = counts.value(f.rule, 0) + 1;
      ++total;
      ++by_severity[f.severity];
      rules_seen.insert(f.rule);
      put(f, 1);
    }
    calls += c.calls;
    faults += c.faults;
    retries += c.retries;
    clients.push_back(Json{{"user", c.user},
                           {"clientKey", c.has_client_key ? Json(c.client_key) : Json(nullptr)},
                           {"userAgent", c.user_agent},
                           {"calls", c.calls},
                           {"faultsMet", c.faults},
                           {"retries", c.retries},
                           {"findingCounts", std::move(counts)},
                           {"findings", std::move(list)}});
  }
  const CostBudget budget = cost_budget();
  std::vector<Finding> cost_findings = cost_->findings(budget);
  Json cost = cost_->report(budget);
  Json cost_list = Json::array();
  for (const Finding& f : cost_findings) {
    cost_list.push_back(
        Json{{"rule", f.rule}, {"severity", f.severity}, {"message", f.message}, {"seqs", f.seqs}});
    ++total;
    ++by_severity[f.severity];
    rules_seen.insert(f.rule);
  }
  cost["findings"] = std::move(cost_list);
  Json rules = Json::object();
  for (const auto& r : compliance_rules()) {
    if (rules_seen.count(std::string(r.id))) {
      rules[std::string(r.id)] = Json{{"severity", r.severity}, {"description", r.description}};
    }
  }
  const ComplianceOptions& o = options_;
  return Json{{"summary",
               {{"clients", state_->clients.size()},
                {"calls", calls},
                {"faultsMet", faults},
                {"retries", retries},
                {"findings", total},
                {"errors", by_severity["error"]},
                {"warnings", by_severity["warning"]},
                {"infos", by_severity["info"]}}},
              {"clients", std::move(clients)},
              {"rules", std::move(rules)},
              {"thresholds",
               {{"immediateMs", o.immediate_ms},
                {"minWaitMs", o.min_wait_ms},
                {"jitterTolerance", o.jitter_tolerance},
                {"backoffCapMs", o.backoff_cap_ms},
                {"maxAttempts", o.max_attempts},
                {"retryAfterSlackMs", o.retry_after_slack_ms},
                {"rejectedResendWindowMs", o.rejected_resend_window_ms}}},
              {"consumerOracle", std::move(oracle)},
              {"cost", std::move(cost)},
              {"status", cost_findings.empty() ? "pass" : "fail"}};
}

std::string ComplianceMonitor::summary(bool final) const {
  Json r = report(final);
  const Json& s = r["summary"];
  std::ostringstream out;
  out << "Client compliance: " << s["clients"].get<std::size_t>() << " client(s), "
      << s["calls"].get<std::size_t>() << " calls, " << s["faultsMet"].get<std::size_t>()
      << " faults met, " << s["retries"].get<std::size_t>() << " retries; "
      << s["findings"].get<std::size_t>() << " finding(s) (" << s["errors"].get<std::size_t>()
      << " errors, " << s["warnings"].get<std::size_t>() << " warnings, "
      << s["infos"].get<std::size_t>() << " info).\n";
  for (const Json& c : r["clients"]) {
    std::string name = c["userAgent"].get<std::string>();
    if (name.empty()) name = "(no User-Agent)";
    out << "- " << name << " [user "
        << (c["user"].get<std::string>().empty() ? "-" : c["user"].get<std::string>())
        << ", clientKey " << (c["clientKey"].is_null() ? "-" : c["clientKey"].get<std::string>())
        << "]: " << c["calls"].get<std::size_t>() << " calls, " << c["faultsMet"].get<std::size_t>()
        << " faults, " << c["retries"].get<std::size_t>() << " retries\n";
    std::set<std::string> shown_rules;
    for (const Json& f : c["findings"]) {
      std::string rule = f["rule"].get<std::string>();
      if (!shown_rules.insert(rule).second) continue;  // one line per rule; the JSON has them all
      std::size_t n = c["findingCounts"].value(rule, std::size_t{1});
      out << "    " << f["severity"].get<std::string>() << ' ' << rule;
      if (n > 1) out << " x" << n;
      out << ": " << f["message"].get<std::string>() << " (seq";
      std::size_t i = 0;
      for (const Json& q : f["seqs"]) out << (i++ ? ", " : " ") << q.get<std::uint64_t>();
      out << ")\n";
    }
  }
  out << oracle_text(r["consumerOracle"]);
  out << cost_->table(cost_budget());
  out << "Status: " << r["status"].get<std::string>() << "\n";
  return out.str();
}

void ComplianceMonitor::clear() {
  oracle_->clear();
  {
    std::unique_lock lock(mu_);
    state_ = std::make_unique<State>();
  }
  cost_->clear();
}

void ComplianceMonitor::set_cost_budget(const CostBudget& budget) {
  std::lock_guard lock(budget_mu_);
  budget_ = budget;
}

CostBudget ComplianceMonitor::cost_budget() const {
  std::lock_guard lock(budget_mu_);
  return budget_;
}

bool ComplianceMonitor::over_budget() const { return !cost_->overruns(cost_budget()).empty(); }

std::string ComplianceMonitor::cost_summary() const { return cost_->summary_line(cost_budget()); }

}  // namespace rqcheck::fake
