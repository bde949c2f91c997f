// The operations layer: one small function per operation of the API, from a typed Call to a typed
// Outcome through the store. No HTTP and no JSON here (list pages and single requests are handed
// to the wire layer's writer while the store holds the queue).
//
//   Outcome out = run_operation(store, call);   // call parsed by wire::parse_call, not refused
#pragma once

#include "call.h"
#include "rqcheck/fake_server/store.h"

namespace rqcheck::fake {

Outcome run_operation(Store& store, Call& call);

}  // namespace rqcheck::fake
