#include "pacer.h"

#include <algorithm>
#include <thread>

#include "rqcheck/core/limits.h"

namespace rqcheck::client {

std::string_view RatePacer::queue_of(std::string_view path) {
  constexpr std::string_view kPrefix = "/v2/request-queues";
  auto at = path.find(kPrefix);
  if (at == std::string_view::npos) return {};
  std::string_view rest = path.substr(at + kPrefix.size());
  if (rest.empty() || rest[0] != '/') return {};
  rest.remove_prefix(1);
  return rest.substr(0, rest.find_first_of("/?"));
}

int RatePacer::cap_for(Operation op) const {
  const OperationInfo& info = operation_info(op);
  if (info.storage != Storage::kRequestQueue) return 0;
  int limit = kRateOtherPerSec;
  if (info.rate_class == RateClass::kSingleRequest) limit = kRateSingleRequestPerSec;
  if (info.rate_class == RateClass::kBatch) limit = kRateBatchPerSec;
  return std::max(1, static_cast<int>(limit * fraction_));
}

void RatePacer::acquire(Operation op, std::string_view path) {
  const int cap = cap_for(op);
  if (cap <= 0) return;
  const auto window = std::chrono::milliseconds(1000);
  Clock::time_point slot = Clock::now();
  {
    std::lock_guard lock(mu_);
    auto& sent =
        sent_[{std::string(queue_of(path)), static_cast<int>(operation_info(op).rate_class)}];
    // `sent` holds the last `cap` slots granted, in order (slots of threads still waiting for
    // theirs count too). A new slot lies a second after the cap-th slot before it, so no
    // 1000 ms ever holds more than `cap`.
    if (static_cast<int>(sent.size()) >= cap) {
      slot = std::max(slot, sent[sent.size() - static_cast<std::size_t>(cap)] + window);
    }
    if (!sent.empty()) slot = std::max(slot, sent.back());
    sent.push_back(slot);
    while (static_cast<int>(sent.size()) > cap) sent.pop_front();
  }
  std::this_thread::sleep_until(slot);
}

}  // namespace rqcheck::client
