// The request journal of rq-fake: one entry per HTTP exchange (arrival time, method, path,
// query, headers with secrets redacted, body size and digest, status, the fault applied, request
// validation findings, the items of a batch and which came back unprocessed), kept in a bounded
// ring buffer and served, filtered, at GET /__admin/journal.
//
//   Journal journal(10000);
//   JournalEntry e;
//   e.seq = journal.reserve_seq();          // before decide(), so the fault log can name it
//   e.method = "POST"; e.path = "/v2/request-queues/q/requests/batch"; ...
//   journal.append(std::move(e));
//   JournalFilter f;
//   f.op = Operation::kRequestsBatchPost;
//   Json page = journal.to_json(f);
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rqcheck/core/json.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/cost.h"

namespace rqcheck::fake {

using Header = std::pair<std::string, std::string>;

// One request an answer named, for the consumer oracle (docs/oracle.md): a head/lock item with
// the expiry it was given, an added request with its wasAlreadyPresent/wasAlreadyHandled, or an
// id a batch delete processed.
struct RequestTouch {
  std::string id;
  TimeMs lock_expires_at = 0;                     // head/lock items
  bool was_present = false, was_handled = false;  // add, batch add
};

struct JournalEntry {
  std::uint64_t seq = 0;  // 0: Journal::append assigns the next one
  TimeMs arrival_ms = 0;
  TimeMs duration_ms = 0;  // until the answer was handed off or the line dropped
  std::string method, path;
  std::string query;            // raw query string, `token` redacted (redact_query)
  std::vector<Header> headers;  // redacted and bounded (redact_headers)
  std::string user_agent;
  std::size_t body_bytes = 0;           // as received (before decoding)
  std::string body_digest;              // body_digest(body); "" without a body
  int status = 0;                       // 0: no HTTP answer (reset, close, dropped after commit)
  std::string error_type;               // error.type of an error answer
  std::optional<int> retry_after_secs;  // Retry-After sent with the answer
  std::optional<Operation> op;
  std::string queue;  // the queue id when resolved, else the reference as sent
  std::optional<std::string> client_key;
  std::string user;                   // the token owner's user id; "" when anonymous
  std::string fault_rule;             // the rule that acted; "" when none
  std::string fault_action;           // FaultDecision::action_label(); "" when none
  std::vector<std::string> findings;  // request-validation findings, "rule.id: message"
  // Add, batch add, PUT request: the uniqueKeys sent; batch delete: each item's id, else its
  // uniqueKey. Keys over 256 bytes are shortened to a prefix plus a digest (bound_key).
  std::vector<std::string> item_keys;
  std::vector<std::string> unprocessed_keys;      // batch: the keys in unprocessedRequests
  std::vector<std::string> already_present_keys;  // add/batch add: wasAlreadyPresent == true
  // What the consumer oracle follows (docs/oracle.md), from the call and its answer:
  bool work_done = false;      // the store did the call's work (even if a fault hid the answer)
  std::string request_id;      // ops 10-12, 15, 16: the {requestId} path parameter
  bool handled_mark = false;   // PUT request: the body sets handledAt
  TimeMs lock_expires_at = 0;  // prolong (2xx): the new expiry the answer gave
  std::int64_t unlocked_count = -1;  // unlock (2xx): unlockedCount
  // 2xx head/lock: the items locked; add and batch add: the processed requests; batch delete:
  // the ids deleted. At most 100.
  std::vector<RequestTouch> requests;
  CostCharge cost;  // what the store charged the call (docs/cost.md); zero when it did no work
};

// `token=...` in a query string becomes `token=REDACTED`; everything else is kept verbatim.
std::string redact_query(std::string_view query);
// Authorization, Proxy-Authorization and Cookie values are redacted (the scheme word is kept:
// "Bearer REDACTED"). At most 64 headers, values cut at 512 bytes.
std::vector<Header> redact_headers(const std::vector<Header>& headers);
// The first 16 hex characters of SHA-256(body); "" for an empty body.
std::string body_digest(std::string_view body);
// A key as stored in the journal: itself when at most 256 bytes, else a prefix plus a digest.
std::string bound_key(std::string_view key);
// The keys of a request body (see JournalEntry::item_keys); empty for other operations.
std::vector<std::string> item_keys_of(Operation op, const Json& body);
// Fills error_type, unprocessed_keys and already_present_keys from a JSON answer.
void note_response(JournalEntry& entry, const Json& response);

Json to_json(const JournalEntry& e);

struct JournalFilter {
  std::optional<std::string> method;
  std::optional<Operation> op;
  std::optional<std::string> path_contains;
  std::optional<int> status;    // exact status; 0 selects dropped connections
  std::uint64_t since_seq = 0;  // only entries with seq > since_seq
  std::optional<std::string> client_key;
  std::optional<std::string> user;
  bool faulted_only = false;        // only entries a fault acted on
  bool with_findings_only = false;  // only entries with validation findings
  std::size_t limit = 100;

  // From query parameters: method, operation (operationId or alias), path, status, since,
  // clientKey, user, faulted, findings (true/false/1/0), limit (1..10000). Unknown keys are 400.
  static Result<JournalFilter> from_query(const std::vector<Header>& params);
};

// A bounded, thread-safe ring of entries, indexed by seq: entry `seq` lives in slot
// seq % capacity, each slot with its own mutex, so concurrent calls never wait on one lock
// (issue 7: no global lock on the hot path). It keeps the `capacity` newest seqs.
class Journal {
 public:
  explicit Journal(std::size_t capacity = 10000);
  ~Journal();

  // A sequence number for an entry that will be appended later (unique, increasing).
  std::uint64_t reserve_seq() { return next_seq_.fetch_add(1, std::memory_order_relaxed); }
  // Stores the entry (assigning a seq when it has none). It replaces the entry `capacity` seqs
  // older in its slot; an entry that arrives after a newer one took its slot is dropped.
  void append(JournalEntry entry);
  // Matching entries in seq (arrival) order: the first `limit` after since_seq when since_seq
  // is set, else the newest `limit`.
  std::vector<JournalEntry> query(const JournalFilter& filter) const;
  // The entry `seq`, while the ring still holds it (O(1): one slot).
  std::optional<JournalEntry> get(std::uint64_t seq) const;
  // {"entries":[...], "appended":n, "dropped":n, "capacity":n}.
  Json to_json(const JournalFilter& filter) const;
  void clear();
  std::size_t size() const;
  std::size_t capacity() const { return capacity_; }

 private:
  struct Slot;
  const std::size_t capacity_;
  std::atomic<std::uint64_t> next_seq_{1};
  std::unique_ptr<Slot[]> slots_;
  std::atomic<std::uint64_t> appended_{0}, dropped_{0};
};

}  // namespace rqcheck::fake
