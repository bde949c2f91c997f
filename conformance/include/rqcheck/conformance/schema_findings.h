// Schema findings: every response of a run is validated against the schema of its operation and
// status, and each distinct violation is one finding, reported once for the whole run with a
// count and the calls it was seen on. A finding is not the failure of the check whose call saw
// it: checks are judged on their own assertions, and name the findings of their responses.
//
//   SchemaFindings findings;                                  // one per run, thread-safe
//   auto ids = findings.record("rq.queue.counters", exchange); // {"S1"} or {}
//   for (const SchemaFinding& f : findings.snapshot()) std::cout << f.id << " " << f.rule;
#pragma once

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "rqcheck/client/exchange.h"
#include "rqcheck/core/operations.h"

namespace rqcheck::conformance {

// One way in which one response breaks its schema.
struct SchemaIssue {
  Operation operation;
  int status = 0;
  std::string path;    // JSON pointer into the body, array indices as "*": "/data/items/*/id"
  std::string rule;    // the broken rule without the offending value: "missing required
                       // property \"consoleUrl\"", "does not match the pattern ^[a-zA-Z0-9]{15}$"
  std::string reason;  // the validator's full sentence, value included
  // The field the rule is about: the missing property, else the last named token of the path
  // ("" for the whole body).
  std::string field;
};

// The schema issues of one exchange (none when it has no operation or no response).
std::vector<SchemaIssue> schema_issues(const client::Exchange& exchange);
// Array indices of a JSON pointer replaced by "*".
std::string generalise_pointer(std::string_view pointer);
// A validator reason without the instance value it quotes.
std::string rule_of(std::string_view reason);

// One root cause: a field that breaks one rule, in whichever messages it appears (a queue id
// that is a UUID is one finding, whether seen in a queue object or a queue list), with each
// (operation, status, JSON path) it was seen at.
struct SchemaFinding {
  std::string id;     // "S1", "S2", ... in the order of first sighting
  std::string field;  // see SchemaIssue::field
  std::string rule;
  std::string example;  // the first full reason, with the offending value
  std::size_t responses = 0;
  struct Where {
    Operation operation;
    int status = 0;
    std::string path;
    std::size_t count = 0;
  };
  std::vector<Where> where;  // in order of first sighting
  struct Call {
    std::string check_id;
    std::string call;  // client::describe of the exchange
  };
  std::vector<Call> calls;          // the first kMaxCalls calls it was seen on
  std::vector<std::string> checks;  // the checks whose responses showed it, in order
  static constexpr std::size_t kMaxCalls = 5;
};

// "missing required property \"consoleUrl\"", "id: does not match the pattern ...".
std::string finding_title(const SchemaFinding& finding);

// Thread-safe collector of a run's findings.
class SchemaFindings {
 public:
  // Validates the response of `exchange` and records each issue; returns the ids of the
  // findings it showed (empty when it matches its schema).
  std::vector<std::string> record(const std::string& check_id, const client::Exchange& exchange);
  std::vector<SchemaFinding> snapshot() const;
  bool empty() const;

 private:
  mutable std::mutex mu_;
  std::vector<SchemaFinding> findings_;
  std::map<std::pair<std::string, std::string>, std::size_t> index_;  // (field, rule) -> slot
};

}  // namespace rqcheck::conformance
