// base64_decode / base64 / base64url_unpadded (core): decoding what was encoded gives the bytes
// back; whatever decodes re-encodes to text that decodes to the same bytes; a decode reads 6 bits
// per character before the padding.
#include "../fuzz_check.h"
#include "rqcheck/core/request_id.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  std::string out;
  std::string padded = rqcheck::base64(bytes);
  RQ_FUZZ_CHECK_SHOW(padded.size() % 4 == 0 && padded.size() == (size + 2) / 3 * 4, padded);
  RQ_FUZZ_CHECK_SHOW(rqcheck::base64_decode(padded, out) && out == bytes, padded);
  std::string url = rqcheck::base64url_unpadded(bytes);
  RQ_FUZZ_CHECK_SHOW(url.find_first_of("+/=") == std::string::npos, url);
  RQ_FUZZ_CHECK_SHOW(rqcheck::base64_decode(url, out) && out == bytes, url);
  if (rqcheck::base64_decode(bytes, out)) {
    std::size_t symbols = bytes.find('=');
    if (symbols == std::string_view::npos) symbols = bytes.size();
    RQ_FUZZ_CHECK_SHOW(out.size() == symbols * 6 / 8, bytes);
    std::string again;
    RQ_FUZZ_CHECK_SHOW(rqcheck::base64_decode(rqcheck::base64(out), again) && again == out, bytes);
  }
  return 0;
}
