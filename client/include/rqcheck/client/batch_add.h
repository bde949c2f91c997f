// Adding any number of requests the way apify-client-js `batchAddRequests` does (spec section
// 7.1): chunks of at most 25 requests (and 9436240 bytes of JSON); each chunk is sent up to
// 1 + 3 times, resending only the requests whose uniqueKey is not yet processed, with backoff
// between calls. Written on RequestQueueApi, so it runs over any implementation.
//
//   BatchAddAllResult r = batch_add_all(api, queue_id, requests);
//   for (const auto& u : r.result.unprocessed) std::cerr << "not added: " << u.unique_key;
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "rqcheck/client/api.h"
#include "rqcheck/client/retry.h"

namespace rqcheck::client {

struct BatchAddAllOptions {
  WriteOptions write;                        // forefront, clientKey of every call
  int max_unprocessed_retries = 3;           // calls per chunk = 1 + this
  std::chrono::milliseconds min_delay{500};  // delay after call i: floor((1 + U) * 2^i * min_delay)
  std::size_t chunk_size = 25;
  std::size_t max_chunk_bytes = 9436240;  // 9437184 - ceil(9437184 * 0.0001)
  Sleeper sleeper;                        // empty: really sleep
  std::optional<std::uint64_t> seed;      // jitter seed; empty: random
};

struct BatchAddAllResult {
  // processed: every processed entry the server returned, in call order. unprocessed: every
  // input request whose uniqueKey was never processed, as {uniqueKey, url, method}, input order.
  BatchAddResult result;
  std::size_t calls = 0;         // batch-add calls made (each may be several HTTP attempts)
  std::vector<ApiError> errors;  // calls that failed (after the implementation's own retries)
};

// Never fails as a whole: requests that could not be added come back in `unprocessed` (a call
// error leaves its chunk's remaining requests there, like the JS client, and is kept in
// `errors`). A 4xx other than 429 stops that chunk's retries; other errors are retried like
// unprocessed items. A request larger than max_chunk_bytes on its own is never sent.
// Unlike the JS client it does not sleep after a chunk's last call, and chunks run one by one.
BatchAddAllResult batch_add_all(RequestQueueApi& api, std::string_view queue_id,
                                const std::vector<Json>& requests,
                                const BatchAddAllOptions& options = {});

}  // namespace rqcheck::client
