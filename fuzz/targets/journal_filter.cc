// JournalFilter::from_query (fake_server, GET /__admin/journal): any query parameters give a
// filter or a 400, and a filter runs over a journal without a crash and within its limit.
#include "../fuzz_check.h"
#include "rqcheck/fake_server/journal.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // key=value pairs separated by '&' (raw: the server has already percent-decoded them).
  std::vector<rqcheck::fake::Header> params;
  std::size_t i = 0;
  while (i <= text.size() && params.size() < 64) {
    std::size_t j = text.find('&', i);
    if (j == std::string_view::npos) j = text.size();
    std::string_view pair = text.substr(i, j - i);
    std::size_t eq = pair.find('=');
    params.emplace_back(std::string(pair.substr(0, eq)), eq == std::string_view::npos
                                                             ? std::string()
                                                             : std::string(pair.substr(eq + 1)));
    i = j + 1;
  }
  auto filter = rqcheck::fake::JournalFilter::from_query(params);
  if (!filter) {
    RQ_FUZZ_CHECK_SHOW(filter.error().status == 400, filter.error().message);
    return 0;
  }
  RQ_FUZZ_CHECK(filter->limit >= 1 && filter->limit <= 10000);
  rqcheck::fake::Journal journal(8);
  for (int k = 0; k < 12; ++k) {
    rqcheck::fake::JournalEntry e;
    e.method = k % 2 ? "GET" : "POST";
    e.path = "/v2/request-queues/q/requests";
    e.op = k % 2 ? rqcheck::Operation::kRequestsGet : rqcheck::Operation::kRequestsPost;
    e.status = k % 3 ? 200 : 429;
    e.client_key = k % 4 ? std::optional<std::string>("ck") : std::nullopt;
    journal.append(std::move(e));
  }
  rqcheck::Json out = journal.to_json(*filter);
  RQ_FUZZ_CHECK(out.is_object() || out.is_array());
  return 0;
}
