#include "rqcheck/fake_server/users.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <mutex>
#include <utility>

#include "persist/changes.h"
#include "rqcheck/core/errors.h"
#include "rqcheck/core/request_id.h"

namespace rqcheck::fake {

namespace {
std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
}  // namespace

std::string apify_id_from(std::uint64_t a, std::uint64_t b) {
  static constexpr char kAlnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string id(kQueueIdLength, 'A');
  for (std::size_t i = 0; i < kQueueIdLength; ++i) {
    std::uint64_t& src = i < 9 ? a : b;
    id[i] = kAlnum[src % 62];
    src /= 62;
  }
  return id;
}

std::string IdSequence::next() {
  std::uint64_t a = splitmix64(state_);
  std::uint64_t b = splitmix64(state_);
  return apify_id_from(a, b);
}

User Users::derive(std::string_view token) {
  auto digest = sha256(token);
  std::uint64_t a = 0, b = 0;
  for (int i = 0; i < 8; ++i) {
    a = (a << 8) | digest[i];
    b = (b << 8) | digest[8 + i];
  }
  User u;
  u.id = apify_id_from(a, b);
  u.username = "user-" + u.id.substr(0, 8);
  for (char& c : u.username) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  u.token = std::string(token);
  return u;
}

void Users::insert_locked(const User& u) {
  if (!u.token.empty()) by_token_.emplace(u.token, u);
  by_name_.emplace(u.username, u);
  by_id_.emplace(u.id, u);
}

void Users::set_fixed(std::vector<User> users) {
  std::unique_lock lock(mu_);
  fixed_ = true;
  by_token_.clear();
  by_name_.clear();
  by_id_.clear();
  const TimeMs t = now();
  for (User& u : users) {
    if (u.created_at == 0) u.created_at = t;
    if (u.id.empty()) {
      u.id = apify_id_from(std::hash<std::string>{}(u.username), u.username.size() * 7919 + 17);
    }
    // As today: a later entry with the same token or username replaces the earlier one.
    by_name_[u.username] = u;
    by_id_[u.id] = u;
    by_token_[u.token] = std::move(u);
  }
}

bool Users::fixed() const {
  std::shared_lock lock(mu_);
  return fixed_;
}

Result<User> Users::for_token(std::string_view token) {
  if (token.empty()) return errors::token_not_provided();
  {
    std::shared_lock lock(mu_);
    auto it = by_token_.find(std::string(token));
    if (it != by_token_.end()) return it->second;
    if (fixed_) return errors::user_or_token_not_found();
  }
  User u = derive(token);
  u.created_at = now();
  std::unique_lock lock(mu_);
  if (fixed_) return errors::user_or_token_not_found();  // fixed in between
  auto it = by_token_.find(u.token);
  if (it != by_token_.end()) return it->second;
  // Known from a snapshot (without its token): the same user, seen since then.
  if (auto known = by_id_.find(u.id); known != by_id_.end()) {
    u.created_at = known->second.created_at;
    known->second.token = u.token;
  }
  if (auto known = by_name_.find(u.username); known != by_name_.end() && known->second.id == u.id) {
    known->second.token = u.token;
  }
  insert_locked(u);
  if (log_) {
    User row = u;
    row.token.clear();
    std::vector<persist::Change> out;
    out.push_back(persist::PutUser{std::move(row)});
    log_->append(std::move(out));
  }
  return u;
}

void Users::persist_all() const {
  if (!log_) return;
  std::vector<persist::Change> out;
  for (User u : all()) {
    u.token.clear();
    out.push_back(persist::PutUser{std::move(u)});
  }
  log_->append(std::move(out));
}

std::optional<User> Users::by_username(std::string_view username) const {
  std::shared_lock lock(mu_);
  auto it = by_name_.find(std::string(username));
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::optional<User> Users::by_id(std::string_view id) const {
  std::shared_lock lock(mu_);
  auto it = by_id_.find(std::string(id));
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

Result<User> Users::find(std::string_view id_or_username) const {
  if (auto u = by_id(id_or_username)) return *u;
  if (auto u = by_username(id_or_username)) return *u;
  return errors::record_not_found("User was not found.");
}

std::size_t Users::count() const {
  std::shared_lock lock(mu_);
  return by_id_.size();
}

std::vector<User> Users::all() const {
  std::vector<User> out;
  {
    std::shared_lock lock(mu_);
    out.reserve(by_id_.size());
    for (const auto& [id, u] : by_id_) out.push_back(u);
  }
  std::sort(out.begin(), out.end(), [](const User& a, const User& b) {
    return a.id != b.id ? a.id < b.id : a.token < b.token;
  });
  return out;
}

void Users::restore(const std::vector<User>& users) {
  std::unique_lock lock(mu_);
  for (const User& u : users) {
    if (u.id.empty() || u.username.empty() || by_id_.count(u.id)) continue;
    if (!u.token.empty() && by_token_.count(u.token)) continue;
    insert_locked(u);
  }
}

}  // namespace rqcheck::fake
