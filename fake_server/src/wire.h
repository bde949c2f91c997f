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

// --- wire_storages.cc: key-value stores, datasets and users ---
// The typed arguments of a key-value store, dataset or user operation (parse_call calls it).
void parse_storage_call(const HttpRequest& http, Call& call);
// The answer of a key-value store, dataset or user operation (write_outcome calls it).
Reply write_storage_outcome(const Call& call, Outcome& out);
// "http://HOST" from the request's Host header (Location headers, public URLs).
std::string public_base(const HttpRequest& http);

// --- the request rules both files apply ---
// A fatal violation of `rule`.
void refuse(Call& call, std::string_view rule, ApiError e);
// A true/false/1/0 query parameter (decision 18): nullopt when absent or invalid (refused).
std::optional<bool> bool_param(const HttpRequest& http, std::string_view name, Call& call);
// Spec 1: a JSON body needs Content-Type application/json. False (refused) when the body is not
// to be parsed.
bool json_body_ok(const HttpRequest& http, Call& call);
// PUT a queue, a store or a dataset: {"name": string|null, "generalAccess": string} into
// call.args.changes.
void parse_update_body(const HttpRequest& http, Call& call);

// A sink for the store that writes each request it is handed as a JSON object into `out`
// (items separated by commas). The first item sizes the buffer for `expected` items.
RequestSink request_writer(std::string& out, std::size_t expected);
// Appends one stored request as JSON (the Request object of spec section 2).
void append_request_json(std::string& out, const RequestView& r);

}  // namespace rqcheck::fake::wire
