// Named, deliberately wrong behaviours of the fake (test-only switches, `rq-fake --bug NAME`):
// each makes the fake break one rule of the contract so the self-tests can prove that the
// conformance check or property guarding that rule catches it. Each bug is declared beside the
// seam it breaks, in one file per group (queues.cc, requests.cc, batch.cc, list.cc, locks.cc,
// http.cc), as a small change at exactly one seam:
//   call     a typed value of the parsed call, before the store sees it (wire.h parse_call)
//   store    a decision of the store (StoreQuirks in store.h)
//   outcome  a typed value of the operation's result, before it is written
//   reply    the HTTP answer itself (status, headers, bytes): rules about the wire format
// Private to the fake server.
//
//   auto bugs = ActiveBugs::make({"CursorSkipsItem"});   // 400-style error for unknown names
//   store.set_quirks(bugs->quirks());
//   bugs->on_call(call, ctx); ... bugs->on_outcome(call, out); ... bugs->on_reply(&call, http, r);
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "../call.h"
#include "../wire.h"
#include "rqcheck/core/result.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake::bugs {

struct Context {
  const wire::WireOptions& wire;
};

struct Bug {
  std::string_view name;         // PascalCase, e.g. "CursorSkipsItem"
  std::string_view description;  // what it breaks, one line
  std::string_view breaks;       // the rule: "decision 31", "spec 4 (8)", ...
  void (*call)(Call&, const Context&) = nullptr;
  void (*store)(StoreQuirks&) = nullptr;
  void (*outcome)(const Call&, Outcome&) = nullptr;
  // `call` is null for answers given before a call was parsed (unknown path, 405, 501).
  void (*reply)(const Call*, const HttpRequest&, Reply&) = nullptr;
  // "first": the bugs written beside the checks they break; "second": the set written from the
  // contract's obligations alone (subtle_*.cc, issue 12), which measures what the suite catches.
  std::string_view set = "first";
};

// The groups, one per file.
std::vector<Bug> queue_bugs();
std::vector<Bug> request_bugs();
std::vector<Bug> batch_bugs();
std::vector<Bug> list_bugs();
std::vector<Bug> lock_bugs();
std::vector<Bug> http_bugs();
// The second set (issue 12), one file per area: subtle_queues.cc, subtle_requests.cc,
// subtle_list.cc, subtle_locks.cc, subtle_http.cc, subtle_batch.cc, subtle_access.cc.
std::vector<Bug> subtle_queue_bugs();
std::vector<Bug> subtle_request_bugs();
std::vector<Bug> subtle_list_bugs();
std::vector<Bug> subtle_lock_bugs();
std::vector<Bug> subtle_http_bugs();
std::vector<Bug> subtle_batch_bugs();
std::vector<Bug> subtle_access_bugs();

// Every bug, sorted by name.
const std::vector<Bug>& catalogue();
const Bug* find_bug(std::string_view name);

// The bugs switched on for one server.
class ActiveBugs {
 public:
  // An unknown name is 400 invalid-input naming it.
  static Result<ActiveBugs> make(const std::vector<std::string>& names);
  bool empty() const { return active_.empty(); }
  StoreQuirks quirks() const;
  void on_call(Call& call, const Context& ctx) const;
  void on_outcome(const Call& call, Outcome& out) const;
  void on_reply(const Call* call, const HttpRequest& http, Reply& reply) const;

 private:
  std::vector<const Bug*> active_;
};

// --- helpers for the bug files ---
bool is_add(Operation op);
bool returns_queue(Operation op);
bool ok(int status);
// Re-parses the call from a rewritten body (request-shape bugs), keeping its seq and arrival.
void reparse(Call& call, const Context& ctx, std::string body);
// The call's body as a document (null when it is not JSON).
Json body_doc(const Call& call);
// The number of items of an array body (0 when the body is not a JSON array).
std::size_t batch_size(const Call& call);
// Drops the violations of `rule` and settles the call's refusal again.
void forgive(Call& call, std::string_view rule);
// Adds a fatal violation and settles the refusal.
void refuse(Call& call, std::string_view rule, ApiError e);
// Whether the call broke `rule`.
bool has_violation(const Call& call, std::string_view rule);
// Removes `key` from a draft's extra fields (,"k":v...).
void drop_extra_field(RequestDraft& d, const std::string& key);
// Rewrites an error answer from its typed error.
void set_error(Reply& r, const ApiError& e);
// Edits the JSON body of a reply in place (no-op when it is not JSON).
template <typename Fn>
void edit_body(Reply& r, Fn&& fn) {
  auto doc = parse_json(r.body);
  if (!doc) return;
  fn(*doc);
  r.body = dump_json(*doc);
}

}  // namespace rqcheck::fake::bugs
