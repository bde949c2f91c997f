#include "rqcheck/client/exchange.h"

#include <algorithm>
#include <cctype>

namespace rqcheck::client {

namespace {
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

void cut(std::string& s, std::size_t limit, bool& truncated) {
  if (s.size() > limit) {
    s.resize(limit);
    truncated = true;
  }
}
}  // namespace

std::optional<std::string> find_header(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return std::nullopt;
}

std::string_view content_encoding_name(BodyEncoding e) {
  switch (e) {
    case BodyEncoding::kGzip:
      return "gzip";
    case BodyEncoding::kDeflate:
      return "deflate";
    case BodyEncoding::kBrotli:
      return "br";
    case BodyEncoding::kNone:
      break;
  }
  return "";
}

ExchangeLog::ExchangeLog(std::size_t capacity, std::size_t body_limit)
    : capacity_(capacity), body_limit_(body_limit) {}

void ExchangeLog::record(const Exchange& exchange) {
  Exchange copy = exchange;
  cut(copy.request_body, body_limit_, copy.bodies_truncated);
  cut(copy.response_body, body_limit_, copy.bodies_truncated);
  std::lock_guard<std::mutex> lock(mu_);
  ++total_;
  if (capacity_ == 0) return;
  items_.push_back(std::move(copy));
  while (items_.size() > capacity_) items_.pop_front();
}

std::vector<Exchange> ExchangeLog::snapshot() const {
  std::lock_guard<std::mutex> lock(mu_);
  return {items_.begin(), items_.end()};
}

std::vector<Exchange> ExchangeLog::since(std::uint64_t after) const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Exchange> out;
  for (const Exchange& e : items_)
    if (e.sequence > after) out.push_back(e);
  return out;
}

std::optional<Exchange> ExchangeLog::last() const {
  std::lock_guard<std::mutex> lock(mu_);
  if (items_.empty()) return std::nullopt;
  return items_.back();
}

std::size_t ExchangeLog::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return items_.size();
}

std::uint64_t ExchangeLog::total_recorded() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_;
}

void ExchangeLog::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  items_.clear();
}

void ExchangeLog::set_capacity(std::size_t capacity) {
  std::lock_guard<std::mutex> lock(mu_);
  capacity_ = capacity;
  while (items_.size() > capacity_) items_.pop_front();
}

std::string describe(const Exchange& e) {
  std::string out = e.method + " " + e.target + " -> ";
  if (e.has_response())
    out += std::to_string(e.status);
  else
    out += "transport error: " + e.transport_error;
  out += " (" + std::to_string(e.duration.count() / 1000) + " ms, attempt " +
         std::to_string(e.attempt) + ")";
  return out;
}

}  // namespace rqcheck::client
