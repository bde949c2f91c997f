// The request-body scanner (core/src/request_scan.h) must read every input as its DOM reference
// does (the same check as core/tests/request_scan_test.cc), and neither may crash, hang or trip
// ASan/UBSan. scripts/fuzz seeds it with request_scan_seeds (generated bodies and the fixtures).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "request_scan_diff.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const std::string d = rqcheck::scan_diff::scan_vs_dom(text);
  if (!d.empty()) {
    std::fprintf(stderr, "scanner and DOM differ: %s\nbody: %s\n", d.c_str(),
                 rqcheck::scan_diff::printable(text, 2000).c_str());
    std::abort();
  }
  return 0;
}
