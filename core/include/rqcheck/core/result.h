// Errors as values: an ApiError is the documented error envelope plus its HTTP status, and
// Result<T> holds either a T or an ApiError.
//
//   Result<int> parse_limit(std::string_view s);
//   auto r = parse_limit("10");
//   if (!r) return r.error();          // ApiError{400, "invalid-parameter", "..."}
//   int limit = *r;
#pragma once

#include <string>
#include <utility>
#include <variant>

namespace rqcheck {

// One error of the API: {"error":{"type":type,"message":message}} sent with `status`.
struct ApiError {
  int status = 500;
  std::string type;
  std::string message;

  bool operator==(const ApiError& o) const {
    return status == o.status && type == o.type && message == o.message;
  }
};

template <typename T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT: implicit by design
  Result(ApiError error) : v_(std::move(error)) {}  // NOLINT: implicit by design

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const ApiError& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, ApiError> v_;
};

// For operations with nothing to return but success.
struct Ok {};
using Status = Result<Ok>;

}  // namespace rqcheck
