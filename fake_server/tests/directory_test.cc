// Directory<T>: ids, names, the access rules of decisions 13 and 14 (spec section 9), the
// per-user listing and restore (fake_server/src/directory.h), on a minimal storage type.
#include "directory.h"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace rqcheck::fake {
namespace {

struct Box {
  std::mutex mu;
  StorageMeta meta;
};

class DirectoryTest : public ::testing::Test {
 protected:
  DirectoryTest()
      : clock_(1'700'000'000'000), dir_(key_value_store_kind(), users_, clock_, /*seed=*/1) {
    alice_ = users_.for_token("alice-token").value();
    bob_ = users_.for_token("bob-token").value();
  }

  std::shared_ptr<Box> make(const User& u, std::optional<std::string> name) {
    auto c = dir_.get_or_create(u, std::move(name));
    EXPECT_TRUE(c.ok()) << (c.ok() ? "" : c.error().message);
    return c.ok() ? c->storage : nullptr;
  }
  std::vector<std::string> ids(const StoragePage<Box>& page) {
    std::vector<std::string> out;
    for (const auto& s : page.items) out.push_back(s->meta.id);
    return out;
  }

  Users users_;
  ManualClock clock_;
  Directory<Box> dir_;
  User alice_, bob_;
};

void expect_error(const ApiError& e, int status, const std::string& type) {
  EXPECT_EQ(e.status, status) << e.type << ": " << e.message;
  EXPECT_EQ(e.type, type) << e.message;
  EXPECT_FALSE(e.message.empty());
}

TEST_F(DirectoryTest, NamedCreateIsOncePerOwnerThenFound) {
  auto first = dir_.get_or_create(alice_, "my-store");
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(first->created);
  const StorageMeta& m = first->storage->meta;
  EXPECT_TRUE(is_apify_id(m.id));
  EXPECT_EQ(m.name, "my-store");
  EXPECT_EQ(m.user_id, alice_.id);
  EXPECT_EQ(m.username, alice_.username);
  EXPECT_EQ(m.created_at, clock_.now_ms());
  EXPECT_EQ(m.modified_at, m.created_at);
  EXPECT_EQ(m.accessed_at, m.created_at);
  EXPECT_EQ(m.general_access, GeneralAccess::kFollowUserSetting);

  clock_.advance_ms(5000);
  auto again = dir_.get_or_create(alice_, "my-store");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->storage, first->storage);
  EXPECT_EQ(m.accessed_at, clock_.now_ms()) << "found again: accessedAt moves";
  EXPECT_EQ(m.modified_at, m.created_at) << "... modifiedAt does not";

  auto bobs = dir_.get_or_create(bob_, "my-store");
  ASSERT_TRUE(bobs.ok());
  EXPECT_TRUE(bobs->created) << "names are per user";
  EXPECT_NE(bobs->storage->meta.id, m.id);
  EXPECT_EQ(dir_.count(), 2u);
}

TEST_F(DirectoryTest, UnnamedCreatesANewStorageEveryTime) {
  auto a = make(alice_, std::nullopt);
  auto b = make(alice_, std::nullopt);
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->meta.id, b->meta.id);
  EXPECT_FALSE(a->meta.name.has_value());
  EXPECT_EQ(dir_.count(), 2u);
}

TEST_F(DirectoryTest, IdsFollowTheSeedLikeTodaysQueues) {
  EXPECT_EQ(make(alice_, std::nullopt)->meta.id, "zvlZ6MRqCXMUnxuYU");
  EXPECT_EQ(make(alice_, "x")->meta.id, "yy6NHVpZKpNb6I3CQ");
}

TEST_F(DirectoryTest, NamesAreCheckedAsTodaysQueueNames) {
  std::string longest(63, 'a');
  for (const std::string& good : {std::string("a"), std::string("A-1-b"), longest,
                                  std::string("default"), std::string("0")}) {
    EXPECT_TRUE(dir_.get_or_create(alice_, good).ok()) << good;
  }
  for (const std::string& bad :
       {std::string(""), std::string(64, 'a'), std::string("-a"), std::string("a-"),
        std::string("a_b"), std::string("a b"), std::string("a~b"), std::string("a/b"),
        std::string("\xc3\xbc"), std::string("a\0b", 3)}) {
    auto r = dir_.get_or_create(alice_, bad);
    ASSERT_FALSE(r.ok()) << bad;
    expect_error(r.error(), 400, "invalid-parameter");
    EXPECT_NE(r.error().message.find("Key-value store name"), std::string::npos)
        << r.error().message;
  }
  EXPECT_EQ(dir_.count(), 5u) << "nothing was created by a bad name";
}

TEST_F(DirectoryTest, OwnerReachesByIdByTildeNameAndByUsernameTildeName) {
  auto s = make(alice_, "mine");
  for (const std::string& ref : {s->meta.id, std::string("~mine"), alice_.username + "~mine"}) {
    for (Access a : {Access::kRead, Access::kWrite}) {
      auto r = dir_.resolve(&alice_, ref, a);
      ASSERT_TRUE(r.ok()) << ref << ": " << r.error().message;
      EXPECT_EQ(*r, s);
    }
  }
}

TEST_F(DirectoryTest, OthersReadByRawIdButNeverWrite) {
  auto s = make(alice_, "mine");
  // Decision 13: a raw id is readable by anyone (FOLLOW_USER_SETTING acts as ID_CAN_READ) ...
  EXPECT_TRUE(dir_.resolve(&bob_, s->meta.id, Access::kRead).ok());
  EXPECT_TRUE(dir_.resolve(nullptr, s->meta.id, Access::kRead).ok()) << "even without a token";
  // ... but only the owner writes.
  auto w = dir_.resolve(&bob_, s->meta.id, Access::kWrite);
  ASSERT_FALSE(w.ok());
  expect_error(w.error(), 403, "insufficient-permissions");
  EXPECT_NE(w.error().message.find("this key-value store"), std::string::npos);
  auto anon = dir_.resolve(nullptr, s->meta.id, Access::kWrite);
  ASSERT_FALSE(anon.ok());
  expect_error(anon.error(), 401, "token-not-provided");
}

TEST_F(DirectoryTest, ByNameOthersNeedAnyoneWithNameCanRead) {
  auto s = make(alice_, "mine");
  std::string ref = alice_.username + "~mine";
  auto r = dir_.resolve(&bob_, ref, Access::kRead);
  ASSERT_FALSE(r.ok());
  expect_error(r.error(), 403, "insufficient-permissions");
  auto anon = dir_.resolve(nullptr, ref, Access::kRead);
  ASSERT_FALSE(anon.ok());
  expect_error(anon.error(), 401, "token-not-provided");
  ASSERT_TRUE(
      dir_.update(alice_, s->meta.id, {std::nullopt, GeneralAccess::kAnyoneWithNameCanRead}).ok());
  EXPECT_TRUE(dir_.resolve(&bob_, ref, Access::kRead).ok());
  expect_error(dir_.resolve(&bob_, ref, Access::kWrite).error(), 403, "insufficient-permissions");
  // "~mine" is always the caller's own: bob has none.
  expect_error(dir_.resolve(&bob_, "~mine", Access::kRead).error(), 404, "record-not-found");
}

TEST_F(DirectoryTest, RestrictedIsReadOnlyByTheOwner) {
  auto s = make(alice_, "mine");
  ASSERT_TRUE(dir_.update(alice_, "~mine", {std::nullopt, GeneralAccess::kRestricted}).ok());
  EXPECT_TRUE(dir_.resolve(&alice_, s->meta.id, Access::kRead).ok());
  expect_error(dir_.resolve(&bob_, s->meta.id, Access::kRead).error(), 403,
               "insufficient-permissions");
  expect_error(dir_.resolve(nullptr, s->meta.id, Access::kRead).error(), 401, "token-not-provided");
  ASSERT_TRUE(
      dir_.update(alice_, "~mine", {std::nullopt, GeneralAccess::kAnyoneWithIdCanRead}).ok());
  EXPECT_TRUE(dir_.resolve(nullptr, s->meta.id, Access::kRead).ok());
}

TEST_F(DirectoryTest, UnknownStoragesAndOwnersAre404AndNamesWithoutTokenAre401) {
  make(alice_, "mine");
  for (const std::string& ref :
       {std::string("AAAAAAAAAAAAAAAAA"), std::string("mine"), std::string(""),
        std::string("~other"), alice_.username + "~other", std::string("nobody~mine"),
        std::string("~"), alice_.username + "~", std::string(300, 'x')}) {
    auto r = dir_.resolve(&alice_, ref, Access::kRead);
    ASSERT_FALSE(r.ok()) << ref;
    expect_error(r.error(), 404, "record-not-found");
    EXPECT_EQ(r.error().message, "Key-value store was not found.");
  }
  // A ref with a tilde needs a token before anything is looked up.
  expect_error(dir_.resolve(nullptr, "nobody~mine", Access::kRead).error(), 401,
               "token-not-provided");
  expect_error(dir_.resolve(nullptr, "~mine", Access::kRead).error(), 401, "token-not-provided");
}

TEST_F(DirectoryTest, RenameMovesTheNameAndRefusesATakenOne) {
  auto s = make(alice_, "old");
  auto other = make(alice_, "taken");
  clock_.advance_ms(10);
  auto r = dir_.update(alice_, "~old", {std::optional<std::string>("new"), std::nullopt});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(s->meta.name, "new");
  EXPECT_EQ(s->meta.modified_at, clock_.now_ms());
  expect_error(dir_.resolve(&alice_, "~old", Access::kRead).error(), 404, "record-not-found");
  EXPECT_EQ(*dir_.resolve(&alice_, "~new", Access::kRead), s);
  // The old name is free again.
  auto fresh = dir_.get_or_create(alice_, "old");
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->created);

  auto clash = dir_.update(alice_, "~new", {std::optional<std::string>("taken"), std::nullopt});
  ASSERT_FALSE(clash.ok());
  expect_error(clash.error(), 400, "name-not-unique");
  EXPECT_NE(clash.error().message.find("key-value store named \"taken\""), std::string::npos);
  EXPECT_EQ(s->meta.name, "new") << "a refused rename changes nothing";
  // Renaming to its own name is no clash; a bad name is refused before anything else.
  EXPECT_TRUE(dir_.update(alice_, "~new", {std::optional<std::string>("new"), std::nullopt}).ok());
  expect_error(
      dir_.update(alice_, "~new", {std::optional<std::string>("bad name"), std::nullopt}).error(),
      400, "invalid-parameter");
  expect_error(
      dir_.update(bob_, s->meta.id, {std::optional<std::string>("bobs"), std::nullopt}).error(),
      403, "insufficient-permissions");
  (void)other;
}

TEST_F(DirectoryTest, ClearingTheNameDropsItFromTheDefaultListing) {
  auto s = make(alice_, "named");
  ASSERT_EQ(dir_.list(alice_, {})->total, 1);
  ASSERT_TRUE(dir_.update(alice_, s->meta.id, {std::optional<std::string>{}, std::nullopt}).ok());
  EXPECT_FALSE(s->meta.name.has_value());
  EXPECT_EQ(dir_.list(alice_, {})->total, 0);
  StorageListQuery all;
  all.unnamed = true;
  EXPECT_EQ(dir_.list(alice_, all)->total, 1);
  // Named again: listed again.
  ASSERT_TRUE(
      dir_.update(alice_, s->meta.id, {std::optional<std::string>("again"), std::nullopt}).ok());
  EXPECT_EQ(ids(*dir_.list(alice_, {})), std::vector<std::string>{s->meta.id});
}

TEST_F(DirectoryTest, EraseMakesAStorageUnreachableAndOnlyTheOwnerMayErase) {
  auto s = make(alice_, "gone");
  expect_error(dir_.erase(bob_, s->meta.id).error(), 403, "insufficient-permissions");
  auto e = dir_.erase(alice_, "~gone");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, s);
  EXPECT_EQ(dir_.count(), 0u);
  expect_error(dir_.resolve(&alice_, s->meta.id, Access::kRead).error(), 404, "record-not-found");
  expect_error(dir_.erase(alice_, s->meta.id).error(), 404, "record-not-found");
  expect_error(dir_.update(alice_, s->meta.id, {}).error(), 404, "record-not-found");
  EXPECT_EQ(dir_.list(alice_, {})->total, 0);
  EXPECT_TRUE(dir_.get_or_create(alice_, "gone")->created) << "its name is free";
}

TEST_F(DirectoryTest, ListPagesInCreationOrderBothWays) {
  // 12 storages: some in the same millisecond (ordered by creation), bob's in between.
  std::vector<std::string> mine;
  for (int i = 0; i < 12; ++i) {
    if (i % 3 == 0) clock_.advance_ms(1);
    mine.push_back(make(alice_, "s" + std::to_string(i))->meta.id);
    make(bob_, "b" + std::to_string(i));
  }
  auto page = dir_.list(alice_, {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->total, 12);
  EXPECT_EQ(page->limit, 1000);
  EXPECT_EQ(page->count, 12);
  EXPECT_FALSE(page->desc);
  EXPECT_EQ(ids(*page), mine);

  StorageListQuery q;
  q.offset = 3;
  q.limit = 4;
  EXPECT_EQ(ids(*dir_.list(alice_, q)),
            (std::vector<std::string>{mine[3], mine[4], mine[5], mine[6]}));
  q.desc = true;
  auto d = dir_.list(alice_, q);
  EXPECT_TRUE(d->desc);
  EXPECT_EQ(ids(*d), (std::vector<std::string>{mine[8], mine[7], mine[6], mine[5]}))
      << "with desc the offset counts from the newest";
  q.offset = 10;
  EXPECT_EQ(ids(*dir_.list(alice_, q)), (std::vector<std::string>{mine[1], mine[0]}));
  q.offset = 12;
  EXPECT_EQ(dir_.list(alice_, q)->count, 0);
  EXPECT_EQ(dir_.list(alice_, q)->total, 12);
  q.offset = 1'000'000;
  q.desc = false;
  EXPECT_EQ(dir_.list(alice_, q)->count, 0);
}

TEST_F(DirectoryTest, ListLimitAndParameterEdges) {
  for (int i = 0; i < 3; ++i) make(alice_, "n" + std::to_string(i));
  make(alice_, std::nullopt);
  StorageListQuery q;
  q.limit = 0;
  EXPECT_EQ(dir_.list(alice_, q)->limit, 1000) << "0 means the default (the JS client's note)";
  EXPECT_EQ(dir_.list(alice_, q)->count, 3);
  q.limit = 5000;
  EXPECT_EQ(dir_.list(alice_, q)->limit, 1000) << "clamped to the maximum (decision 10)";
  q.limit = 2;
  EXPECT_EQ(dir_.list(alice_, q)->count, 2);
  q.limit = -1;
  expect_error(dir_.list(alice_, q).error(), 400, "invalid-parameter");
  q = {};
  q.offset = -1;
  expect_error(dir_.list(alice_, q).error(), 400, "invalid-parameter");
  q = {};
  q.ownership = "everything";
  expect_error(dir_.list(alice_, q).error(), 400, "invalid-parameter");
  q.ownership = "sharedWithMe";
  EXPECT_EQ(dir_.list(alice_, q)->total, 0) << "no sharing in the fake";
  q.ownership = "ownedByMe";
  EXPECT_EQ(dir_.list(alice_, q)->total, 3);
  q.unnamed = true;
  auto all = dir_.list(alice_, q);
  EXPECT_EQ(all->total, 4);
  EXPECT_TRUE(all->unnamed);
  EXPECT_EQ(dir_.list(bob_, q)->total, 0) << "bob has none";
}

TEST_F(DirectoryTest, AllEnumeratesInCreationOrderAndClearDropsEverything) {
  auto a = make(alice_, "a");
  clock_.advance_ms(1);
  auto b = make(bob_, std::nullopt);
  auto c = make(alice_, std::nullopt);
  auto all = dir_.all();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0], a);
  EXPECT_EQ(all[1], b);
  EXPECT_EQ(all[2], c);
  dir_.clear();
  EXPECT_EQ(dir_.count(), 0u);
  EXPECT_TRUE(dir_.all().empty());
  expect_error(dir_.resolve(&alice_, a->meta.id, Access::kRead).error(), 404, "record-not-found");
  EXPECT_TRUE(dir_.get_or_create(alice_, "a")->created);
}

TEST_F(DirectoryTest, RestoreKeepsTheGivenMetaAndRefusesClashes) {
  auto s = std::make_shared<Box>();
  s->meta.id = "WkzbQMuFYuamGv3YF";
  s->meta.name = "restored";
  s->meta.user_id = alice_.id;
  s->meta.username = alice_.username;
  s->meta.general_access = GeneralAccess::kRestricted;
  s->meta.created_at = 1000;
  s->meta.modified_at = 2000;
  s->meta.accessed_at = 3000;
  s->meta.created_seq = 41;
  ASSERT_TRUE(dir_.restore(s).ok());
  auto r = dir_.resolve(&alice_, "~restored", Access::kRead);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)->meta.modified_at, 2000);
  expect_error(dir_.resolve(&bob_, s->meta.id, Access::kRead).error(), 403,
               "insufficient-permissions");
  // A storage created now sorts after it and draws a later sequence number.
  auto fresh = make(alice_, "fresh");
  EXPECT_EQ(fresh->meta.created_seq, 42);
  EXPECT_EQ(ids(*dir_.list(alice_, {})), (std::vector<std::string>{s->meta.id, fresh->meta.id}));

  auto dup_id = std::make_shared<Box>();
  dup_id->meta = s->meta;
  dup_id->meta.name = "other";
  expect_error(dir_.restore(dup_id).error(), 400, "invalid-input");
  auto dup_name = std::make_shared<Box>();
  dup_name->meta = s->meta;
  dup_name->meta.id = "BPWDBd7Z9c746JAnF";
  expect_error(dir_.restore(dup_name).error(), 400, "name-not-unique");
  auto bad_id = std::make_shared<Box>();
  bad_id->meta = s->meta;
  bad_id->meta.id = "short";
  bad_id->meta.name.reset();
  expect_error(dir_.restore(bad_id).error(), 400, "invalid-input");
  auto no_owner = std::make_shared<Box>();
  no_owner->meta.id = "CCCCCCCCCCCCCCCCC";
  expect_error(dir_.restore(no_owner).error(), 400, "invalid-input");
  auto bad_name = std::make_shared<Box>();
  bad_name->meta = s->meta;
  bad_name->meta.id = "DDDDDDDDDDDDDDDDD";
  bad_name->meta.name = "-bad";
  expect_error(dir_.restore(bad_name).error(), 400, "invalid-parameter");
  EXPECT_EQ(dir_.count(), 2u);
}

TEST_F(DirectoryTest, ConcurrentCreatesRenamesErasesAndListsKeepTheIndexesConsistent) {
  constexpr int kThreads = 6, kRounds = 300;
  std::vector<User> owners;
  for (int i = 0; i < 3; ++i) owners.push_back(users_.for_token("u" + std::to_string(i)).value());
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const User& me = owners[t % owners.size()];
      for (int i = 0; i < kRounds; ++i) {
        std::string name = "n" + std::to_string((t * 7 + i) % 40);
        auto c = dir_.get_or_create(me, name);
        if (!c.ok()) {
          ++errors;
          continue;
        }
        std::string id = c->storage->meta.id;
        switch (i % 5) {
          case 0:
            dir_.update(me, id, {std::optional<std::string>(name + "-r"), std::nullopt});
            break;
          case 1:
            dir_.erase(me, id);
            break;
          case 2:
            dir_.update(me, id, {std::nullopt, GeneralAccess::kRestricted});
            break;
          default:
            break;
        }
        dir_.resolve(&owners[(t + 1) % owners.size()], id, Access::kRead);
        StorageListQuery q;
        q.unnamed = (i % 2) == 0;
        q.desc = (i % 3) == 0;
        q.offset = i % 7;
        q.limit = 5;
        auto page = dir_.list(me, q);
        if (!page.ok() || page->count > 5) ++errors;
        for (const auto& s : page->items) {
          if (s->meta.user_id != me.id) ++errors;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(errors.load(), 0);
  // Every storage is listed by its owner exactly once, and every named one is reachable by name.
  std::size_t listed = 0;
  std::set<std::string> seen;
  for (const User& u : owners) {
    StorageListQuery q;
    q.unnamed = true;
    auto page = dir_.list(u, q);
    ASSERT_TRUE(page.ok());
    listed += static_cast<std::size_t>(page->total);
    for (const auto& s : page->items) {
      EXPECT_TRUE(seen.insert(s->meta.id).second);
      std::optional<std::string> name;
      {
        std::lock_guard sl(s->mu);
        name = s->meta.name;
      }
      if (name) {
        auto r = dir_.resolve(&u, "~" + *name, Access::kRead);
        EXPECT_TRUE(r.ok() && *r == s) << *name;
      }
    }
  }
  EXPECT_EQ(listed, dir_.count());
  EXPECT_EQ(dir_.all().size(), dir_.count());
}

}  // namespace
}  // namespace rqcheck::fake
