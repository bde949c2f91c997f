#include "near_names.h"

#include <algorithm>
#include <cctype>
#include <utility>
#include <vector>

namespace rqcheck::detail {

std::string fold_name(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '_' || c == '-') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cap) {
  if ((a.size() > b.size() ? a.size() - b.size() : b.size() - a.size()) > cap) return cap + 1;
  std::vector<std::size_t> prev2(b.size() + 1), prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    std::size_t row_min = cur[0];
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        cur[j] = std::min(cur[j], prev2[j - 2] + 1);
      }
      row_min = std::min(row_min, cur[j]);
    }
    if (row_min > cap) return cap + 1;
    std::swap(prev2, prev);
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

NearName::NearName(std::string_view name) {
  constexpr std::size_t kMaxName = 64;  // longer names are no one's typo of a documented one
  guessable_ = !name.empty() && name.size() <= kMaxName;
  if (guessable_) folded_ = fold_name(name);
}

void NearName::offer(std::string_view candidate) {
  if (!guessable_) return;
  const std::string fc = fold_name(candidate);
  std::size_t d = fc == folded_ ? 0 : edit_distance(folded_, fc, 2);
  if (d > 0 && (folded_.size() < 4 || fc.size() < 4)) return;  // too short to guess from
  if (d < best_distance_) {
    best_distance_ = d;
    best_ = candidate;
  }
}

}  // namespace rqcheck::detail
