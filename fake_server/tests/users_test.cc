// Users: tokens to users, fixed users, lookups by username and id (fake_server/src/users.h).
// The expected ids and usernames were produced by today's Store::user_for_token and
// Store::set_fixed_users (store.cc at commit 5441780), so the new Users keeps every id a user
// of rq-fake has seen so far.
#include "rqcheck/fake_server/users.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace rqcheck::fake {
namespace {

TEST(UsersTest, EveryTokenIsAUserOfItsOwnWithTodaysIds) {
  Users users;
  auto t1 = users.for_token("t1");
  ASSERT_TRUE(t1.ok());
  EXPECT_EQ(t1->id, "iaz6x6J8hd0L5Qufd");
  EXPECT_EQ(t1->username, "user-iaz6x6j8");
  EXPECT_EQ(t1->token, "t1");
  auto interop = users.for_token("interop-token");
  ASSERT_TRUE(interop.ok());
  EXPECT_EQ(interop->id, "VFCX4WYOVpEgJKmrJ");
  EXPECT_EQ(interop->username, "user-vfcx4wyo");
  // The same token is the same user on every call, and another token another user.
  EXPECT_EQ(users.for_token("t1")->id, t1->id);
  EXPECT_NE(users.for_token("secret")->id, t1->id);
  EXPECT_EQ(users.for_token("secret")->id, "j6FmBoTUs6srXTEWb");
  EXPECT_FALSE(users.fixed());
}

TEST(UsersTest, AnEmptyTokenIsNotProvided) {
  Users users;
  auto r = users.for_token("");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().status, 401);
  EXPECT_EQ(r.error().type, "token-not-provided");
}

TEST(UsersTest, FixedUsersTakeOnlyTheirTokensAndGetIdsFromTheirNames) {
  Users users;
  auto before = users.for_token("t1");
  ASSERT_TRUE(before.ok());
  users.set_fixed({User{"", "alice", "tok-a"}, User{"", "bob", "tok-b"},
                   User{"BPWDBd7Z9c746JAnF", "carol", "tok-c"}});
  EXPECT_TRUE(users.fixed());
  auto a = users.for_token("tok-a");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->id, "eqiUr6umj4SKAAAAA");
  EXPECT_EQ(a->username, "alice");
  EXPECT_EQ(users.for_token("tok-b")->id, "oQq9vVmfOcLGAAAAA");
  EXPECT_EQ(users.for_token("tok-c")->id, "BPWDBd7Z9c746JAnF") << "a given id is kept";
  // A token outside the fixed set, even one seen before, is unknown now.
  for (const char* t : {"t1", "nobody"}) {
    auto r = users.for_token(t);
    ASSERT_FALSE(r.ok()) << t;
    EXPECT_EQ(r.error().status, 401);
    EXPECT_EQ(r.error().type, "user-or-token-not-found");
  }
  EXPECT_FALSE(users.by_username(before->username).has_value());
  EXPECT_EQ(users.for_token("").error().type, "token-not-provided");
}

TEST(UsersTest, LooksUpByUsernameAndByIdOnlyUsersItKnows) {
  Users users;
  EXPECT_FALSE(users.by_username("user-iaz6x6j8").has_value()) << "not seen yet";
  auto u = users.for_token("t1").value();
  ASSERT_TRUE(users.by_username(u.username).has_value());
  EXPECT_EQ(users.by_username(u.username)->token, "t1");
  ASSERT_TRUE(users.by_id(u.id).has_value());
  EXPECT_EQ(users.by_id(u.id)->username, u.username);
  EXPECT_EQ(users.find(u.id)->username, u.username);
  EXPECT_EQ(users.find(u.username)->id, u.id);
  for (const char* odd : {"", "me", "user-", "~", "iaz6x6J8hd0L5Quf", "IAZ6X6J8HD0L5QUFD"}) {
    auto r = users.find(odd);
    ASSERT_FALSE(r.ok()) << odd;
    EXPECT_EQ(r.error().status, 404);
    EXPECT_EQ(r.error().type, "record-not-found");
  }
}

TEST(UsersTest, AllAndRestoreCarryUsersAcrossInstances) {
  Users a;
  a.for_token("t1");
  a.for_token("t2");
  auto all = a.all();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_LT(all[0].id, all[1].id) << "ordered by id";
  Users b;
  b.restore(all);
  EXPECT_EQ(b.by_username(all[0].username)->id, all[0].id);
  EXPECT_EQ(b.for_token("t2")->id, a.for_token("t2")->id);
  // Entries without an id are skipped; a known token keeps its user. An entry without a token
  // (snapshots do not export tokens) is known by id and username, and authenticates nobody.
  b.restore({User{"", "ghost", "tok"}, User{"AAAAAAAAAAAAAAAAA", "x", ""},
             User{"BBBBBBBBBBBBBBBBB", "other", "t1"}});
  EXPECT_FALSE(b.by_username("ghost").has_value());
  EXPECT_EQ(b.by_username("x")->id, "AAAAAAAAAAAAAAAAA");
  EXPECT_EQ(b.by_id("AAAAAAAAAAAAAAAAA")->username, "x");
  EXPECT_EQ(b.for_token("t1")->id, a.for_token("t1")->id);
  EXPECT_EQ(b.all().size(), 3u);

  // Tokens are not part of a snapshot: a user restored without one is found again, with its
  // createdAt, when its token calls.
  ManualClock clock(5000);
  Users c(&clock);
  User t3 = Users::derive("t3");
  t3.token.clear();
  t3.created_at = 1234;
  c.restore({t3});
  EXPECT_EQ(c.by_username(t3.username)->id, t3.id);
  auto back = c.for_token("t3");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->id, t3.id);
  EXPECT_EQ(back->created_at, 1234);
  EXPECT_EQ(c.all().size(), 1u);
  EXPECT_EQ(c.for_token("t4")->created_at, 5000) << "a new user is created now";
}

TEST(UsersTest, IdSequenceIsTodaysQueueIdSequence) {
  // Today's Store draws queue ids from splitmix64 seeded with StoreOptions::seed (1).
  IdSequence ids(1);
  EXPECT_EQ(ids.next(), "zvlZ6MRqCXMUnxuYU");
  EXPECT_EQ(ids.next(), "yy6NHVpZKpNb6I3CQ");
  EXPECT_EQ(ids.next(), "XbuQmS7QYgQSdmO6G");
  IdSequence other(2);
  EXPECT_NE(other.next(), "zvlZ6MRqCXMUnxuYU");
  EXPECT_EQ(apify_id_from(0, 0), "AAAAAAAAAAAAAAAAA");
}

TEST(UsersTest, ConcurrentFirstCallsOfOneTokenAgreeOnOneUser) {
  Users users;
  constexpr int kThreads = 8;
  std::vector<std::string> seen(kThreads * 50);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string token = "tok-" + std::to_string(i);
        auto u = users.for_token(token);
        seen[t * 50 + i] = u.ok() ? u->id : "error";
        users.by_username(u.ok() ? u->username : "");
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int i = 0; i < 50; ++i) {
    std::set<std::string> ids;
    for (int t = 0; t < kThreads; ++t) ids.insert(seen[t * 50 + i]);
    EXPECT_EQ(ids.size(), 1u) << "token tok-" << i;
    EXPECT_NE(*ids.begin(), "error");
  }
  EXPECT_EQ(users.all().size(), 50u);
}

}  // namespace
}  // namespace rqcheck::fake
