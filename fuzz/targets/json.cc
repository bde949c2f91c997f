// parse_json (core): never accepts what strict JSON (RFC 8259) refuses, never refuses valid JSON
// within its limits, round-trips through dump_json; append_json_string always writes a valid
// literal that reads back as the input (when the input is UTF-8).
#include "rqcheck/core/json.h"

#include "../fuzz_check.h"

using rqcheck::fuzz::StrictJson;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  StrictJson::Verdict v = StrictJson::check(text);
  // The API's depth limit and a small one, so both sides of the depth check are reached.
  for (std::size_t max_depth : {std::size_t(64), std::size_t(3)}) {
    rqcheck::JsonLimits limits{max_depth, 1 << 20};
    auto doc = rqcheck::parse_json(text, limits);
    if (doc) {
      RQ_FUZZ_CHECK_SHOW(v.valid && !v.too_deep, text);  // accepted something that is not JSON
      RQ_FUZZ_CHECK_SHOW(v.depth <= max_depth, text);
      std::string again = rqcheck::dump_json(*doc);
      auto reread = rqcheck::parse_json(again, limits);
      RQ_FUZZ_CHECK_SHOW(reread.ok(), again);
      RQ_FUZZ_CHECK_SHOW(*reread == *doc, again);
    } else {
      RQ_FUZZ_CHECK(doc.error().status == 400 || doc.error().status == 413);
      RQ_FUZZ_CHECK(!doc.error().message.empty());
      // Refused valid JSON: only over a limit.
      RQ_FUZZ_CHECK_SHOW(!v.valid || v.depth > max_depth || v.huge_number, text);
    }
  }
  std::string literal;
  rqcheck::append_json_string(literal, text);
  RQ_FUZZ_CHECK_SHOW(StrictJson::check(literal).valid, literal);
  auto back = rqcheck::parse_json(literal);
  RQ_FUZZ_CHECK_SHOW(back.ok() && back->is_string(), literal);
  if (rqcheck::fuzz::valid_utf8(text))
    RQ_FUZZ_CHECK_SHOW(back->get<std::string>() == text, literal);
  if (rqcheck::json_string_is_plain(text)) {
    RQ_FUZZ_CHECK_SHOW(literal == "\"" + std::string(text) + "\"", literal);
  }
  return 0;
}
