// The request parsers of every request-queue operation (fake_server wire::parse_call: query
// parameters, cursors, bodies) and the operation behind them. The first byte picks one of the
// 17 operations; the bytes up to the first newline are the query string, the rest the body.
// Invariants: a refusal is a 4xx with a documented-looking envelope; an accepted call runs
// against a store holding a queue with requests, and its answer is never a 5xx, and its body
// (when it has one) is JSON that core's bounded parser accepts.
#include <string>
#include <string_view>

#include "../fuzz_check.h"
#include "call.h"
#include "operations.h"
#include "rqcheck/core/json.h"
#include "rqcheck/core/operations.h"
#include "rqcheck/core/percent.h"
#include "rqcheck/core/time.h"
#include "rqcheck/fake_server/store.h"
#include "wire.h"

namespace {

using namespace rqcheck;
using namespace rqcheck::fake;

Params parse_query(std::string_view q) {
  Params out;
  while (!q.empty()) {
    auto amp = q.find('&');
    std::string_view part = q.substr(0, amp);
    auto eq = part.find('=');
    std::string key = percent_decode(part.substr(0, eq));
    std::string value = eq == std::string_view::npos ? "" : percent_decode(part.substr(eq + 1));
    out.emplace(std::move(key), std::move(value));
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto& ops = request_queue_operations();
  const OperationInfo& info = ops[data[0] % ops.size()];
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  auto nl = rest.find('\n');
  std::string_view query = rest.substr(0, nl);
  std::string_view body = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);

  ManualClock clock(1700000000000);
  StoreOptions options;
  options.rate_limits.enabled = false;
  Store store(options, clock);
  User user{"FuzzUserAAAAAAAAA", "fuzz", "fuzz-token"};
  store.set_fixed_users({user});
  Caller me{&user, std::string("fuzz-client")};
  auto q = store.create_queue(me, std::string("fuzz"));
  RQ_FUZZ_CHECK(q.ok());
  const std::string queue_id = q->info.id;
  std::string request_id;
  for (const char* key : {"a", "b", "c"}) {
    RequestDraft d;
    d.unique_key = d.url = std::string("https://example.com/") + key;
    auto added = store.add_request(me, QueueRef::by_id(queue_id), std::move(d), WriteOptions{});
    RQ_FUZZ_CHECK(added.ok());
    if (request_id.empty()) request_id = added->request_id;
  }

  HttpRequest http;
  http.method = std::string(info.method);
  http.path = build_path(info.op, queue_id, request_id);
  http.target = http.path + "?" + std::string(query);
  http.query = parse_query(query);
  http.headers = {{"Authorization", "Bearer fuzz-token"}, {"Content-Type", "application/json"}};
  http.body.assign(body);
  http.body_bytes = body.size();

  RouteMatch route = match_route(http.method, http.path);
  RQ_FUZZ_CHECK_SHOW(route.kind == RouteMatch::kOperation && route.op && *route.op == info.op,
                     http.path);
  Call call;
  call.http = &http;
  wire::parse_call(http, route, wire::WireOptions{}, call);
  if (call.refusal) {
    RQ_FUZZ_CHECK_SHOW(call.refusal->status >= 400 && call.refusal->status < 500,
                       call.refusal->message);
    RQ_FUZZ_CHECK(!call.refusal->type.empty() && !call.refusal->message.empty());
    return 0;
  }
  call.user = user;
  Outcome out = run_operation(store, call);
  Reply reply = wire::write_outcome(call, out);
  RQ_FUZZ_CHECK_SHOW(reply.status < 500, std::string(info.id) + ": " + reply.body);
  if (!reply.body.empty()) {
    auto doc = parse_json(reply.body, JsonLimits{256, 64 << 20});
    RQ_FUZZ_CHECK_SHOW(doc.ok(), std::string(info.id) + ": " + reply.body);
  }
  return 0;
}
