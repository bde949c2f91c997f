// parse_fault_shorthand (fake_server, `rq-fake --fault`): any text is parsed without a crash; every
// rule it produces is a rule parse_fault_rule and the engine accept.
#include "../fuzz_check.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/faults.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto rules = rqcheck::fake::parse_fault_shorthand(text);
  if (!rules) {
    RQ_FUZZ_CHECK_SHOW(rules.error().status == 400, rules.error().message);
    return 0;
  }
  rqcheck::ManualClock clock(1700000000000);
  rqcheck::fake::FaultEngine engine(1, clock, 16);
  for (const auto& r : *rules) {
    auto parsed = rqcheck::fake::parse_fault_rule(r);
    RQ_FUZZ_CHECK_SHOW(parsed.ok(), rqcheck::dump_json(r) + " -> " +
                                        (parsed.ok() ? std::string() : parsed.error().message));
  }
  auto ids = engine.add_rules(rqcheck::Json(*rules));
  RQ_FUZZ_CHECK_SHOW(ids.ok() || rules->size() > 1,  // several rules may share an id (their text)
                     ids.ok() ? std::string() : ids.error().message);
  return 0;
}
