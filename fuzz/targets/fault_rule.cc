// parse_fault_rule (fake_server, docs/faults.md): any JSON is parsed without a crash or an
// exception; a rule that parses has a normalised source that parses again to the same source;
// the engine accepts what the parser accepts.
#include "../fuzz_check.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/faults.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto doc = rqcheck::parse_json(text, rqcheck::JsonLimits{32, 1 << 16});
  if (!doc) return 0;
  auto rule = rqcheck::fake::parse_fault_rule(*doc);
  if (!rule) {
    RQ_FUZZ_CHECK_SHOW(rule.error().status == 400, rule.error().message);
    RQ_FUZZ_CHECK(!rule.error().message.empty());
    return 0;
  }
  auto again = rqcheck::fake::parse_fault_rule(rule->source);
  RQ_FUZZ_CHECK_SHOW(again.ok(), rqcheck::dump_json(rule->source));
  RQ_FUZZ_CHECK_SHOW(again->source == rule->source, rqcheck::dump_json(again->source));
  rqcheck::ManualClock clock(1700000000000);
  rqcheck::fake::FaultEngine engine(1, clock, 16);
  auto id = engine.add_rule(*doc);
  RQ_FUZZ_CHECK_SHOW(id.ok(), id.ok() ? std::string() : id.error().message);
  // A decision for a plain call is made without a crash.
  rqcheck::fake::CallContext call;
  call.op = rqcheck::Operation::kRequestsPost;
  call.method = "POST";
  call.path = "/v2/request-queues/q/requests";
  (void)engine.decide(call);
  return 0;
}
