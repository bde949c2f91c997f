// The reference for the request-body scanner: the body functions of requests.h on nlohmann's DOM
// (parse_json, then the document walked), applying the same rules. core/tests/request_scan_test.cc
// and fuzz/targets/request_scan.cc hold the scanner to them on every input they try;
// bench/request_parse_bench.cc times both.
#pragma once

#include <string_view>
#include <vector>

#include "rqcheck/core/requests.h"

namespace rqcheck::detail {

Result<RequestDraft> parse_request_body_dom(std::string_view text, Violations& v);
Result<std::vector<RequestDraft>> parse_batch_add_body_dom(std::string_view text, Violations& v);
Result<std::vector<RequestKey>> parse_batch_delete_body_dom(std::string_view text, Violations& v);

}  // namespace rqcheck::detail
