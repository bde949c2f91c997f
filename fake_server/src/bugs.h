// Named, deliberately wrong behaviours of the fake (test-only switches, `rq-fake --bug NAME`):
// each makes the fake break one rule of the contract so the self-tests can prove that the
// conformance check or property that guards the rule catches it. Private to the fake server.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "rqcheck/core/operations.h"
#include "rqcheck/core/result.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {

using Params = std::multimap<std::string, std::string>;
using HeaderPairs = std::vector<std::pair<std::string, std::string>>;

// One API call on its way through the server; a bug may rewrite `params` and `body` before the
// store sees them, and `status`, `body_out` and `headers` of the answer afterwards.
struct BugCall {
  Operation op;
  std::string queue;       // as addressed in the path (id or name form)
  std::string request_id;  // for /requests/{requestId}[/lock]
  const User* user;        // null without a token
  Store& store;
  Params& params;
  std::string& body;
};

struct BugReply {
  int& status;
  std::string& body;
  HeaderPairs& headers;
};

// The whole exchange as the client sees it, for bugs that act on answers the server gives before
// the API hook (auth, routing, body decoding, rate limits) or on headers added after it.
struct BugExchange {
  const std::string& method;
  const std::string& path;
  const Params& params;                // the query
  const HeaderPairs& request_headers;  // as received
};

struct BugInfo {
  std::string name;         // PascalCase, e.g. "CursorSkipsItem"
  std::string description;  // what it breaks, one line
};

class Bugs {
 public:
  virtual ~Bugs() = default;
  // The catalogue of every bug the fake knows.
  static const std::vector<BugInfo>& catalogue();
  // The active set for these names; an unknown name is an error naming it.
  static Result<std::shared_ptr<Bugs>> make(const std::vector<std::string>& names);

  virtual bool empty() const = 0;
  virtual void before(BugCall& call) = 0;
  virtual void after(BugCall& call, BugReply& reply) = 0;
  // Called for every reply of a /v2 path just before it is sent (whatever produced it).
  virtual void on_reply(const BugExchange& exchange, BugReply& reply) {
    (void)exchange;
    (void)reply;
  }
};

}  // namespace rqcheck::fake
