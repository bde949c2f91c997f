// Datasets (fake_server/src/dataset_store.h): dataset CRUD, pushes kept in order and all or
// nothing, item pages by offset/limit/desc, counters and timestamps, ownership, snapshots and
// concurrent pushers.
#include "dataset_store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace rqcheck::fake {
namespace {

void expect_error(const ApiError& e, int status, const std::string& type) {
  EXPECT_EQ(e.status, status) << e.type << ": " << e.message;
  EXPECT_EQ(e.type, type) << e.message;
  EXPECT_FALSE(e.message.empty());
}

DatasetItem item(int i, bool clean = true) {
  return DatasetItem{"{\"i\":" + std::to_string(i) + "}", clean};
}

std::vector<std::string> texts(const ItemsPage& p) {
  std::vector<std::string> out;
  for (const auto& it : p.items) out.push_back(it.json);
  return out;
}

std::vector<std::string> expected(std::initializer_list<int> is) {
  std::vector<std::string> out;
  for (int i : is) out.push_back(item(i).json);
  return out;
}

class DatasetStoreTest : public ::testing::Test {
 protected:
  DatasetStoreTest() : clock_(1'700'000'000'000), ds_(users_, clock_) {
    alice_ = users_.for_token("alice-token").value();
    bob_ = users_.for_token("bob-token").value();
    id_ = ds_.get_or_create(alice_, "results")->info.meta.id;
  }
  void push_range(int from, int to) {
    std::vector<DatasetItem> items;
    for (int i = from; i < to; ++i) items.push_back(item(i));
    ASSERT_TRUE(ds_.push_items(alice_, id_, std::move(items)).ok());
  }

  Users users_;
  ManualClock clock_;
  Datasets ds_;
  User alice_, bob_;
  std::string id_;
};

TEST_F(DatasetStoreTest, DatasetCrudByIdAndName) {
  auto again = ds_.get_or_create(alice_, "results");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->info.meta.id, id_);
  auto fresh = ds_.get_or_create(alice_, std::nullopt);
  ASSERT_TRUE(fresh.ok());
  EXPECT_TRUE(fresh->created);
  EXPECT_EQ(fresh->info.item_count, 0);
  EXPECT_EQ(ds_.get(&alice_, "~results")->meta.id, id_);
  EXPECT_EQ(ds_.get(&alice_, alice_.username + "~results")->meta.id, id_);
  EXPECT_TRUE(ds_.get(nullptr, id_).ok());
  // A bare name is not an id.
  expect_error(ds_.get(&alice_, "results").error(), 404, "record-not-found");
  EXPECT_EQ(ds_.get(&alice_, "AAAAAAAAAAAAAAAAA").error().message, "Dataset was not found.");

  StorageUpdate u;
  u.name = std::optional<std::string>("renamed");
  ASSERT_TRUE(ds_.update(alice_, id_, u).ok());
  StorageListQuery q;
  EXPECT_EQ(ds_.list(alice_, q)->count, 1);
  q.unnamed = true;
  EXPECT_EQ(ds_.list(alice_, q)->count, 2);
  expect_error(ds_.update(bob_, id_, u).error(), 403, "insufficient-permissions");
  expect_error(ds_.remove(bob_, id_).error(), 403, "insufficient-permissions");
  ASSERT_TRUE(ds_.remove(alice_, id_).ok());
  expect_error(ds_.get(&alice_, id_).error(), 404, "record-not-found");
  EXPECT_EQ(ds_.count(), 1u);
}

TEST_F(DatasetStoreTest, PushesAppendInOrderAndCountItems) {
  push_range(0, 3);
  ASSERT_TRUE(ds_.push_items(alice_, "~results", {item(3, false), item(4)}).ok());
  auto info = ds_.get(&alice_, id_).value();
  EXPECT_EQ(info.item_count, 5);
  EXPECT_EQ(info.clean_item_count, 4) << "one item was empty without its hidden fields";
  EXPECT_EQ(info.stats.write_count, 2);
  EXPECT_EQ(info.stats.storage_bytes, 5 * 7);
  auto page = ds_.list_items(nullptr, id_, {});
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(texts(*page), expected({0, 1, 2, 3, 4}));
  EXPECT_EQ(page->total, 5);
  EXPECT_EQ(page->offset, 0);
  EXPECT_EQ(page->limit, kItemsNoLimit);
  EXPECT_FALSE(page->items[3].clean);
  // The bytes come back exactly as pushed (spacing, order of fields, unicode escapes).
  const std::string odd = "  {\"b\" : [1, 2],\n \"a\":\"\\u00e9\xc3\xa9\"}\t";
  ASSERT_TRUE(ds_.push_items(alice_, id_, {{odd, true}}).ok());
  ItemsQuery last;
  last.offset = 5;
  EXPECT_EQ(ds_.list_items(&alice_, id_, last)->items.at(0).json, odd);
}

TEST_F(DatasetStoreTest, ABadPushStoresNothing) {
  push_range(0, 2);
  for (const std::string& bad :
       {std::string(""), std::string("[1]"), std::string("1"), std::string("\"{}\""),
        std::string("null"), std::string("{"), std::string("   ")}) {
    auto r = ds_.push_items(alice_, id_, {item(10), {bad, true}, item(11)});
    ASSERT_FALSE(r.ok()) << bad;
    expect_error(r.error(), 400, "invalid-input");
    EXPECT_NE(r.error().message.find("index 1"), std::string::npos) << r.error().message;
  }
  EXPECT_EQ(ds_.get(&alice_, id_)->item_count, 2);
  EXPECT_EQ(ds_.get(&alice_, id_)->stats.write_count, 1);
  // An empty push succeeds and changes nothing.
  const TimeMs before = ds_.get(&alice_, id_)->meta.modified_at;
  clock_.advance_ms(100);
  ASSERT_TRUE(ds_.push_items(alice_, id_, {}).ok());
  auto info = ds_.get(&alice_, id_).value();
  EXPECT_EQ(info.item_count, 2);
  EXPECT_EQ(info.stats.write_count, 1);
  EXPECT_EQ(info.meta.modified_at, before);
}

TEST_F(DatasetStoreTest, PushLimitsAreBytesAndCounts) {
  DatasetOptions o;
  o.limits.max_item_bytes = 20;
  o.limits.max_push_bytes = 50;
  o.limits.max_items_per_push = 4;
  Datasets small(users_, clock_, o);
  auto d = small.get_or_create(alice_, std::nullopt)->info.meta.id;
  auto big = small.push_items(alice_, d, {{"{\"x\":\"" + std::string(14, 'y') + "\"}", true}});
  expect_error(big.error(), 413, "request-too-large");
  std::vector<DatasetItem> many(5, item(1));
  expect_error(small.push_items(alice_, d, many).error(), 400, "invalid-input");
  std::vector<DatasetItem> heavy(4, DatasetItem{"{\"x\":\"" + std::string(10, 'y') + "\"}", true});
  expect_error(small.push_items(alice_, d, heavy).error(), 413, "request-too-large");
  EXPECT_EQ(small.get(&alice_, d)->item_count, 0);
  ASSERT_TRUE(small.push_items(alice_, d, std::vector<DatasetItem>(4, item(1))).ok());
  EXPECT_EQ(small.get(&alice_, d)->item_count, 4);
  // The defaults: the payload limit, and what a body of that size can hold.
  EXPECT_EQ(ds_.limits().max_push_bytes, 9437184u);
  EXPECT_EQ(ds_.limits().max_item_bytes, 9437184u);
  EXPECT_EQ(ds_.limits().max_items_per_push, 9437184u / 3);
}

TEST_F(DatasetStoreTest, PagesByOffsetAndLimitBothWays) {
  push_range(0, 10);
  ItemsQuery q;
  q.offset = 2;
  q.limit = 3;
  auto p = ds_.list_items(&alice_, id_, q);
  EXPECT_EQ(texts(*p), expected({2, 3, 4}));
  EXPECT_EQ(p->limit, 3);
  EXPECT_EQ(p->offset, 2);
  EXPECT_EQ(p->total, 10);
  q.desc = true;
  p = ds_.list_items(&alice_, id_, q);
  EXPECT_TRUE(p->desc);
  EXPECT_EQ(texts(*p), expected({7, 6, 5})) << "desc: the offset skips the newest items";
  q.offset = 8;
  EXPECT_EQ(texts(*ds_.list_items(&alice_, id_, q)), expected({1, 0}));
  q.offset = 10;
  EXPECT_TRUE(ds_.list_items(&alice_, id_, q)->items.empty());
  q.offset = 1'000'000'000;
  q.desc = false;
  EXPECT_TRUE(ds_.list_items(&alice_, id_, q)->items.empty());
  ItemsQuery none;
  none.limit = 0;
  auto all = ds_.list_items(&alice_, id_, none);
  EXPECT_EQ(all->items.size(), 10u) << "limit 0 means no limit";
  EXPECT_EQ(all->limit, kItemsNoLimit);
  none.desc = true;
  EXPECT_EQ(texts(*ds_.list_items(&alice_, id_, none)), expected({9, 8, 7, 6, 5, 4, 3, 2, 1, 0}));
  ItemsQuery bad;
  bad.offset = -1;
  expect_error(ds_.list_items(&alice_, id_, bad).error(), 400, "invalid-parameter");
  bad.offset = 0;
  bad.limit = -5;
  expect_error(ds_.list_items(&alice_, id_, bad).error(), 400, "invalid-parameter");
  EXPECT_EQ(ds_.get(&alice_, id_)->stats.read_count, 7);
}

TEST_F(DatasetStoreTest, OwnershipOfItems) {
  push_range(0, 1);
  expect_error(ds_.push_items(bob_, id_, {item(1)}).error(), 403, "insufficient-permissions");
  EXPECT_EQ(ds_.list_items(&bob_, id_, {})->items.size(), 1u) << "raw id: readable";
  expect_error(ds_.list_items(&bob_, alice_.username + "~results", {}).error(), 403,
               "insufficient-permissions");
  StorageUpdate u;
  u.general_access = GeneralAccess::kRestricted;
  ASSERT_TRUE(ds_.update(alice_, id_, u).ok());
  expect_error(ds_.list_items(nullptr, id_, {}).error(), 401, "token-not-provided");
  expect_error(ds_.list_items(&bob_, id_, {}).error(), 403, "insufficient-permissions");
  expect_error(ds_.push_items(alice_, "BPWDBd7Z9c746JAnF", {item(1)}).error(), 404,
               "record-not-found");
}

TEST_F(DatasetStoreTest, TimestampsFollowPushesAndReads) {
  const TimeMs t0 = clock_.now_ms();
  clock_.advance_ms(5);
  push_range(0, 1);
  clock_.advance_ms(5);
  ASSERT_TRUE(ds_.list_items(&alice_, id_, {}).ok());
  auto info = ds_.get(&alice_, id_).value();
  EXPECT_EQ(info.meta.created_at, t0);
  EXPECT_EQ(info.meta.modified_at, t0 + 5);
  EXPECT_EQ(info.meta.accessed_at, t0 + 10);
}

TEST_F(DatasetStoreTest, SnapshotRestoresItemsInOrderOrNothing) {
  push_range(0, 3);
  ASSERT_TRUE(ds_.push_items(alice_, id_, {item(3, false)}).ok());
  auto snap = ds_.snapshot();
  ASSERT_EQ(snap.size(), 1u);
  Datasets copy(users_, clock_);
  ASSERT_TRUE(copy.restore(snap).ok());
  auto info = copy.get(&alice_, "~results").value();
  EXPECT_EQ(info.meta.id, id_);
  EXPECT_EQ(info.item_count, 4);
  EXPECT_EQ(info.clean_item_count, 3);
  EXPECT_EQ(info.stats.write_count, 2);
  EXPECT_EQ(texts(*copy.list_items(&alice_, id_, {})), expected({0, 1, 2, 3}));
  auto bad = snap;
  bad[0].items.push_back({"not json", true});
  expect_error(copy.restore(bad).error(), 400, "invalid-input");
  EXPECT_EQ(copy.get(&alice_, id_)->item_count, 4) << "unchanged";
  auto bad_id = snap;
  bad_id[0].meta.id = "x";
  expect_error(copy.restore(bad_id).error(), 400, "invalid-input");
  copy.clear();
  EXPECT_EQ(copy.count(), 0u);
}

TEST_F(DatasetStoreTest, ConcurrentPushersKeepEveryPushContiguous) {
  constexpr int kThreads = 6, kPushes = 100, kPerPush = 5;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int p = 0; p < kPushes; ++p) {
        std::vector<DatasetItem> items;
        for (int k = 0; k < kPerPush; ++k) items.push_back(item(t * 100000 + p * 10 + k));
        if (!ds_.push_items(alice_, id_, std::move(items)).ok()) ++failures;
        ItemsQuery q;
        q.offset = p;
        q.limit = 7;
        q.desc = (p % 2) == 0;
        if (!ds_.list_items(&bob_, id_, q).ok()) ++failures;
        ds_.get(nullptr, id_);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto all = ds_.list_items(&alice_, id_, {}).value();
  ASSERT_EQ(all.items.size(), static_cast<std::size_t>(kThreads * kPushes * kPerPush));
  EXPECT_EQ(ds_.get(&alice_, id_)->stats.write_count, kThreads * kPushes);
  // One push is never interleaved with another: its items sit next to each other in order.
  for (std::size_t i = 0; i < all.items.size(); i += kPerPush) {
    std::string first = all.items[i].json;
    int base = std::stoi(first.substr(5));
    for (int k = 0; k < kPerPush; ++k) {
      EXPECT_EQ(all.items[i + k].json, item(base + k).json) << "at " << i + k;
    }
  }
}

}  // namespace
}  // namespace rqcheck::fake
