// The documented name a misspelt one most likely meant: the same letters ignoring case, '_' and
// '-' ("client_key", "ClientKey" -> "clientKey"), or a typo of at most two letters ("cusror" ->
// "cursor"). Used for query parameters (operations.cc) and request fields (requests.cc).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rqcheck::detail {

// Lowercase, without '_' and '-': "client_key", "ClientKey" and "client-key" are one name.
std::string fold_name(std::string_view s);

// Optimal string alignment distance (Damerau-Levenshtein with adjacent transpositions), stopping
// early above `cap` (then cap + 1).
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cap);

// Collects the best candidate for one misspelt name: offer() each documented name, then best().
// A name longer than 64 characters, or under 4 after folding when it is not the same letters,
// has no guess.
class NearName {
 public:
  explicit NearName(std::string_view name);
  void offer(std::string_view candidate);
  std::optional<std::string_view> best() const { return best_; }

 private:
  std::string folded_;
  bool guessable_ = true;
  std::size_t best_distance_ = 3;
  std::optional<std::string_view> best_;
};

}  // namespace rqcheck::detail
