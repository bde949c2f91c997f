// The fake's users, shared by every kind of storage (request queues, key-value stores, datasets):
// who a token belongs to, and lookups by username (for `username~name` refs) and by id (for
// GET /v2/users/{userId}). Private to the fake; no HTTP and no JSON here.
//
//   Users users;
//   auto u = users.for_token("t1");           // without fixed users every token is a user
//   users.set_fixed({{"", "alice", "secret"}}); // now only "secret" is accepted
//   users.for_token("t1").error().type == "user-or-token-not-found"
//
// Semantics copied from today's Store::set_fixed_users / Store::user_for_token (store.cc at
// commit 5441780): a new token's user has the id derived from SHA-256(token) and the username
// "user-" + the first 8 characters of that id in lower case; a fixed user without an id gets one
// derived from the username. Thread-safe: a shared_mutex over the maps. Ids and usernames of
// auto users are stable across runs (they depend on the token only).
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rqcheck/core/result.h"

namespace rqcheck::fake {

// One account. NOTE for the integration: include/rqcheck/fake_server/store.h still declares the
// same struct; a translation unit can include only one of the two until store.h's goes.
struct User {
  std::string id;  // 17 alphanumeric characters
  std::string username;
  std::string token;
};

// The 17-character alphanumeric id of two 64-bit words: the first 9 characters from `a`, the
// other 8 from `b`, each the next base-62 digit (today's store.cc id_from_hash).
std::string apify_id_from(std::uint64_t a, std::uint64_t b);

// A seeded sequence of ids (splitmix64, two words per id): the same seed gives the same ids in
// the same order, so runs are reproducible. Not thread-safe on its own; callers lock.
class IdSequence {
 public:
  explicit IdSequence(std::uint64_t seed) : state_(seed) {}
  std::string next();

 private:
  std::uint64_t state_;
};

class Users {
 public:
  Users() = default;
  Users(const Users&) = delete;
  Users& operator=(const Users&) = delete;

  // Fixes the set of users (the --user NAME:TOKEN of rq-fake); afterwards an unknown token gets
  // 401 user-or-token-not-found. A user given without an id gets the one derived from its
  // username. Replaces every user known before.
  void set_fixed(std::vector<User> users);
  bool fixed() const;

  // The user a token belongs to. Empty token: 401 token-not-provided. Without fixed users every
  // non-empty token is a user of its own, remembered from its first call on.
  Result<User> for_token(std::string_view token);

  // Users known so far (fixed, or seen through for_token, or restored), by username or by id.
  std::optional<User> by_username(std::string_view username) const;
  std::optional<User> by_id(std::string_view id) const;
  // GET /v2/users/{userId}: "User ID or username" (the wire layer maps "me" to the caller).
  // 404 record-not-found when neither matches.
  Result<User> find(std::string_view id_or_username) const;

  // Every known user, ordered by id: for snapshots and persistence.
  std::vector<User> all() const;
  // Adds users from a snapshot (kept alongside the ones known now; a token or username already
  // known keeps its current user).
  void restore(const std::vector<User>& users);

  // The user an auto (non-fixed) token gets, without remembering it.
  static User derive(std::string_view token);

 private:
  void insert_locked(const User& u);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, User> by_token_;
  std::unordered_map<std::string, User> by_name_;  // the first user seen with a username wins
  std::unordered_map<std::string, User> by_id_;
  bool fixed_ = false;
};

}  // namespace rqcheck::fake
