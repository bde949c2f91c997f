#include "rqcheck/client/batch_add.h"

#include <cmath>
#include <string>
#include <unordered_set>

namespace rqcheck::client {

namespace {
// The key the JS client matches retries by. A non-string uniqueKey is matched by its JSON text.
std::string key_of(const Json& request) {
  if (!request.is_object()) return {};
  auto it = request.find("uniqueKey");
  if (it == request.end()) return {};
  return it->is_string() ? it->get<std::string>() : dump_json(*it);
}

std::optional<std::string> string_field(const Json& request, const char* name) {
  if (!request.is_object()) return std::nullopt;
  auto it = request.find(name);
  if (it == request.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

// Any 4xx but 429 means the chunk itself is refused: resending it cannot help.
bool is_final(const ApiError& e) { return e.status >= 400 && e.status < 500 && e.status != 429; }
}  // namespace

BatchAddAllResult batch_add_all(RequestQueueApi& api, std::string_view queue_id,
                                const std::vector<Json>& requests,
                                const BatchAddAllOptions& options) {
  BatchAddAllResult out;
  Jitter jitter(options.seed);
  const std::size_t chunk_size = options.chunk_size == 0 ? 1 : options.chunk_size;

  // Chunks by count and by bytes of the JSON array ("[" + items joined by "," + "]").
  std::vector<std::vector<const Json*>> chunks;
  std::vector<const Json*> current;
  std::size_t current_bytes = 2;
  for (const Json& r : requests) {
    std::size_t bytes = dump_json(r).size();
    if (bytes + 2 > options.max_chunk_bytes) {
      out.errors.push_back(ApiError{0, "request-too-large",
                                    "request '" + key_of(r) + "' is " + std::to_string(bytes) +
                                        " bytes of JSON, more than a batch may carry"});
      continue;  // never sent; reported in unprocessed below
    }
    std::size_t added = current.empty() ? bytes : bytes + 1;
    if (!current.empty() &&
        (current.size() >= chunk_size || current_bytes + added > options.max_chunk_bytes)) {
      chunks.push_back(std::move(current));
      current.clear();
      current_bytes = 2;
      added = bytes;
    }
    current.push_back(&r);
    current_bytes += added;
  }
  if (!current.empty()) chunks.push_back(std::move(current));

  std::unordered_set<std::string> processed_keys;
  for (const auto& chunk : chunks) {
    std::vector<const Json*> remaining = chunk;
    for (int i = 0; i <= options.max_unprocessed_retries; ++i) {
      std::vector<Json> body;
      body.reserve(remaining.size());
      for (const Json* r : remaining) body.push_back(*r);
      auto res = api.batch_add_requests(queue_id, body, options.write);
      ++out.calls;
      if (res) {
        for (const ProcessedRequest& p : res->processed) {
          processed_keys.insert(p.unique_key);
          out.result.processed.push_back(p);
        }
        std::vector<const Json*> still;
        for (const Json* r : remaining)
          if (!processed_keys.count(key_of(*r))) still.push_back(r);
        remaining = std::move(still);
        if (remaining.empty()) break;
      } else {
        out.errors.push_back(res.error());
        if (is_final(res.error())) break;
      }
      if (i < options.max_unprocessed_retries) {
        // floor((1 + U[0,1)) * 2^i * min_delay), as apify-client-js.
        double ms = (1.0 + jitter.next()) * std::ldexp(1.0, i) * double(options.min_delay.count());
        sleep_with(options.sleeper, std::chrono::milliseconds(static_cast<long long>(ms)));
      }
    }
  }

  for (const Json& r : requests) {
    std::string key = key_of(r);
    if (processed_keys.count(key)) continue;
    UnprocessedRequest u;
    u.unique_key = key;
    u.url = string_field(r, "url").value_or("");
    u.method = string_field(r, "method");
    out.result.unprocessed.push_back(std::move(u));
  }
  return out;
}

}  // namespace rqcheck::client
