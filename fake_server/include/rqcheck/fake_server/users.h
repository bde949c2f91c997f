// The fake's users, shared by every kind of storage (request queues, key-value stores, datasets):
// who a token belongs to, and lookups by username (for `username~name` refs) and by id (for
// GET /v2/users/{userId}). One Users serves the whole fake (FakeServer owns it; the queue Store,
// the key-value stores and the datasets resolve owners through it). No HTTP and no JSON here.
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
// auto users are stable across runs (they depend on the token only). With a clock, a user's
// createdAt is when the fake first saw it (GET /v2/users/me answers it).
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "rqcheck/core/result.h"
#include "rqcheck/core/time.h"

namespace rqcheck::fake {

namespace persist {
class ChangeLog;  // fake_server/src/persist/changes.h
}

// One account.
struct User {
  std::string id;  // 17 alphanumeric characters
  std::string username;
  std::string token;      // "" for a user known from a snapshot only (its token not exported)
  TimeMs created_at = 0;  // when the fake first saw the user (0 without a clock)
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
  explicit Users(const Clock* clock = nullptr) : clock_(clock) {}
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

  // Every known user (fixed, seen, or restored without a token), ordered by id: for snapshots
  // and persistence.
  std::vector<User> all() const;
  std::size_t count() const;
  // Adds users from a snapshot (kept alongside the ones known now; a token, id or username
  // already known keeps its current user). A user without a token is known by id and username
  // only (for `username~name` and GET /v2/users/{userId}); its token, when it calls, derives
  // the same user again.
  void restore(const std::vector<User>& users);

  // The user an auto (non-fixed) token gets, without remembering it.
  static User derive(std::string_view token);

  // Persistence (rq-fake --data-dir): every user seen from now on is appended to `log` (without
  // its token: the token derives the same user again). Set before serving.
  void set_change_log(persist::ChangeLog* log) { log_ = log; }
  void persist_all() const;  // every known user, as it is now

 private:
  void insert_locked(const User& u);
  TimeMs now() const { return clock_ ? clock_->now_ms() : 0; }

  const Clock* clock_;
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, User> by_token_;
  std::unordered_map<std::string, User> by_name_;  // the first user seen with a username wins
  std::unordered_map<std::string, User> by_id_;    // every known user, with or without a token
  bool fixed_ = false;
  persist::ChangeLog* log_ = nullptr;
};

}  // namespace rqcheck::fake
