// The wire layer: the only code of the fake that reads or writes API JSON. A request becomes a
// typed Call (query parameters and bodies parsed once, every request rule of core/requests.h
// applied, each broken rule recorded); a typed Outcome becomes the bytes of the answer.
//
//   Call call;
//   wire::parse_call(http, route, wire_options, call);   // call.refusal: the 400 to send
//   ...
//   Reply reply = wire::write_outcome(call, outcome);
#pragma once

#include <string>

#include "call.h"
#include "rqcheck/core/operations.h"

namespace rqcheck::fake::wire {

struct WireOptions {
  bool reject_over_max_limit = false;  // decision 10: 400 instead of clamping
};

// Fills `call` from the request: operation, path parameters, token, clientKey, typed arguments
// and violations. Sets call.refusal to the first fatal violation.
void parse_call(const HttpRequest& http, const RouteMatch& route, const WireOptions& options,
                Call& call);

// Sets call.refusal to the first fatal violation (after a change of the violations).
void settle(Call& call);

// The answer of a successful or failed operation.
// Moves out.data_text (list pages, single requests) into the reply; the rest of `out` stays.
Reply write_outcome(const Call& call, Outcome& out);

// List requests (7) and get request (10) are written while the store holds the queue, straight
// into the answer's buffer: `{"data":{"items":[`, the items through request_writer, then the
// page's tail.
void begin_list_page(std::string& out);
void finish_list_page(std::string& out, const Call& call, const ListPage& page);

// A sink for the store that writes each request it is handed as a JSON object into `out`
// (items separated by commas). The first item sizes the buffer for `expected` items.
RequestSink request_writer(std::string& out, std::size_t expected);
// Appends one stored request as JSON (the Request object of spec section 2).
void append_request_json(std::string& out, const RequestView& r);

}  // namespace rqcheck::fake::wire
