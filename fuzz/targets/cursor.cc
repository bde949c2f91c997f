// decode_cursor / encode_cursor (core, decision 31): a decoded cursor is the unpadded base64url
// of strict JSON {"requestId": string}; decode(encode(id)) == id for every UTF-8 id; cursors are
// bounded (512 characters).
#include "../fuzz_check.h"
#include "rqcheck/core/request_id.h"
#include "rqcheck/core/types.h"

using rqcheck::fuzz::StrictJson;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto id = rqcheck::decode_cursor(text);
  if (id) {
    RQ_FUZZ_CHECK_SHOW(!text.empty() && text.size() <= 512, text);
    std::string raw;
    RQ_FUZZ_CHECK_SHOW(rqcheck::base64_decode(text, raw), text);
    RQ_FUZZ_CHECK_SHOW(StrictJson::check(raw).valid, raw);  // the payload is JSON, nothing after it
    RQ_FUZZ_CHECK_SHOW(rqcheck::fuzz::valid_utf8(*id), *id);
    std::string again = rqcheck::encode_cursor(*id);
    auto back = rqcheck::decode_cursor(again);
    if (again.size() <= 512) RQ_FUZZ_CHECK_SHOW(back && *back == *id, again);
  }
  // Any UTF-8 text as an id.
  if (rqcheck::fuzz::valid_utf8(text)) {
    std::string c = rqcheck::encode_cursor(text);
    for (char ch : c) {
      bool url_safe = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
      RQ_FUZZ_CHECK_SHOW(url_safe, c);
    }
    auto back = rqcheck::decode_cursor(c);
    if (c.size() <= 512) {
      RQ_FUZZ_CHECK_SHOW(back.has_value(), c);
      RQ_FUZZ_CHECK_SHOW(*back == text, c);
    } else {
      RQ_FUZZ_CHECK_SHOW(!back.has_value(), c);
    }
  }
  return 0;
}
