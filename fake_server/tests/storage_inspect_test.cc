// The inspection reads of key-value stores and datasets (kv_store.h, dataset_store.h,
// "inspection"), what the dashboard reads: stores and datasets paged by user and creation,
// keys paged by cursor and prefix with their sizes and content types, one record as stored,
// items paged by offset and cut to a bound, reads that change nothing and charge no rate limit,
// and the cost of a page at 1k and at 100k keys or items (printed, not timed).
#include <gtest/gtest.h>
#include <time.h>

#include <cstdio>
#include <set>
#include <string>
#include <vector>

#include "dataset_store.h"
#include "kv_store.h"
#include "rqcheck/core/time.h"

namespace rqcheck::fake {
namespace {

// CPU time of this thread: the machine may be shared, and preemption must not count as cost.
double ThreadCpuMs() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

std::string Key(int i) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key-%07d", i);
  return buf;
}

class StorageInspectTest : public ::testing::Test {
 protected:
  StorageInspectTest()
      : clock_(1'700'000'000'000),
        limiter_(RateLimits{}),
        kvs_(users_, clock_, {}, &limiter_),
        datasets_(users_, clock_, {}, &limiter_) {
    alice_ = users_.for_token("alice-token").value();
    bob_ = users_.for_token("bob-token").value();
  }
  std::string Store(const User& u, const std::string& name) {
    return kvs_.get_or_create(u, name)->info.meta.id;
  }
  std::string Dataset(const User& u, const std::string& name) {
    return datasets_.get_or_create(u, name)->info.meta.id;
  }
  void Push(const std::string& id, int from, int n) {
    std::vector<DatasetItem> items;
    for (int i = from; i < from + n; ++i) {
      items.push_back(DatasetItem{"{\"n\":" + std::to_string(i) + "}", true});
    }
    ASSERT_TRUE(datasets_.push_items(alice_, id, std::move(items)));
  }
  std::vector<std::string> WalkKeys(const std::string& id, std::string_view prefix,
                                    std::size_t limit, int* pages = nullptr) {
    std::vector<std::string> out;
    std::optional<std::string> after;
    for (int n = 1;; ++n) {
      auto page = kvs_.inspect_keys(id, after, prefix, limit);
      EXPECT_TRUE(page) << page.error().message;
      if (!page) break;
      EXPECT_LE(page->items.size(), limit);
      for (const auto& k : page->items) out.push_back(k.key);
      if (pages) *pages = n;
      if (!page->next) break;
      EXPECT_EQ(*page->next, page->items.back().key);
      after = page->next;
      if (n > 100000) {
        ADD_FAILURE() << "the walk does not end";
        break;
      }
    }
    return out;
  }

  Users users_;
  ManualClock clock_;
  RateLimiter limiter_;
  KeyValueStores kvs_;
  Datasets datasets_;
  User alice_, bob_;
};

TEST_F(StorageInspectTest, StoresAndDatasetsPageByUserAndCreation) {
  std::string a1 = Store(alice_, "a1");
  clock_.advance_ms(1);
  std::string b1 = Store(bob_, "b1");
  clock_.advance_ms(1);
  std::string a2 = Store(alice_, "a2");
  std::string a3 = kvs_.get_or_create(alice_, std::nullopt)->info.meta.id;  // unnamed: listed too
  std::vector<std::string> seen;
  std::optional<Directory<KeyValueStore>::ScanPosition> after;
  for (int n = 0; n < 10; ++n) {
    KvStoresScan page = kvs_.inspect_stores(std::nullopt, after, 2);
    EXPECT_EQ(page.total, 4);
    EXPECT_LE(page.items.size(), 2u);
    for (const auto& s : page.items) seen.push_back(s.meta.id);
    if (!page.more) break;
    const StorageMeta& m = page.items.back().meta;
    after = Directory<KeyValueStore>::ScanPosition{m.user_id, m.created_at, m.created_seq};
  }
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 4u);
  // Grouped by user: alice's three in creation order are together.
  KvStoresScan mine = kvs_.inspect_stores(alice_.id, std::nullopt, 10);
  ASSERT_EQ(mine.items.size(), 3u);
  EXPECT_EQ(mine.items[0].meta.id, a1);
  EXPECT_EQ(mine.items[1].meta.id, a2);
  EXPECT_EQ(mine.items[2].meta.id, a3);
  EXPECT_FALSE(mine.more);
  EXPECT_EQ(kvs_.inspect_stores(bob_.id, std::nullopt, 10).items.at(0).meta.id, b1);
  EXPECT_TRUE(kvs_.inspect_stores(std::string("nobody"), std::nullopt, 10).items.empty());

  std::string d1 = Dataset(alice_, "d1");
  std::string d2 = Dataset(bob_, "d2");
  Push(d1, 0, 5);
  DatasetsScan ds = datasets_.inspect_datasets(std::nullopt, std::nullopt, 1);
  EXPECT_EQ(ds.total, 2);
  ASSERT_EQ(ds.items.size(), 1u);
  EXPECT_TRUE(ds.more);
  DatasetsScan bobs = datasets_.inspect_datasets(bob_.id, std::nullopt, 5);
  ASSERT_EQ(bobs.items.size(), 1u);
  EXPECT_EQ(bobs.items[0].meta.id, d2);
  auto one = datasets_.inspect(d1);
  ASSERT_TRUE(one);
  EXPECT_EQ(one->item_count, 5);
  EXPECT_EQ(one->stats.storage_bytes, 5 * 7);  // {"n":0} is 7 bytes
}

TEST_F(StorageInspectTest, KeysPageByCursorAndPrefixWithSizesAndTypes) {
  std::string s = Store(alice_, "keys");
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(kvs_.put_record(alice_, s, Key(i), std::string(static_cast<std::size_t>(i), 'v'),
                                i % 2 ? "text/plain" : "application/json"));
  }
  ASSERT_TRUE(kvs_.put_record(alice_, s, "other", "x", ""));
  int pages = 0;
  std::vector<std::string> all = WalkKeys(s, "", 7, &pages);
  ASSERT_EQ(all.size(), 31u);
  EXPECT_EQ(pages, 5);
  EXPECT_TRUE(std::is_sorted(all.begin(), all.end()));
  EXPECT_EQ(std::set<std::string>(all.begin(), all.end()).size(), 31u);
  // A page that ends exactly at the last key says nothing is left.
  EXPECT_EQ(WalkKeys(s, "key-", 10, &pages).size(), 30u);
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(WalkKeys(s, "key-000001", 100),
            (std::vector<std::string>{Key(10), Key(11), Key(12), Key(13), Key(14), Key(15), Key(16),
                                      Key(17), Key(18), Key(19)}));
  EXPECT_TRUE(WalkKeys(s, "zzz", 10).empty());
  // A cursor before the prefix starts at the prefix; one past it lists nothing.
  auto from_a = kvs_.inspect_keys(s, std::string("a"), "key-0000029", 10);
  ASSERT_TRUE(from_a);
  ASSERT_EQ(from_a->items.size(), 1u);
  EXPECT_EQ(from_a->items[0].key, Key(29));
  EXPECT_EQ(from_a->items[0].size, 29);
  EXPECT_EQ(from_a->items[0].content_type, "text/plain");
  EXPECT_TRUE(kvs_.inspect_keys(s, std::string("zz"), "key-", 10)->items.empty());
  auto other = kvs_.inspect_keys(s, std::nullopt, "other", 10);
  ASSERT_TRUE(other);
  EXPECT_EQ(other->items.at(0).content_type, "application/octet-stream");

  auto rec = kvs_.inspect_record(s, Key(3));
  ASSERT_TRUE(rec);
  EXPECT_EQ(rec->value, "vvv");
  EXPECT_EQ(rec->content_type, "text/plain");
  auto info = kvs_.inspect(s);
  ASSERT_TRUE(info);
  EXPECT_EQ(info->record_count, 31);
  EXPECT_EQ(info->stats.storage_bytes, 29 * 30 / 2 + 1);
  EXPECT_EQ(kvs_.inspect_record(s, "missing").error().status, 404);
  EXPECT_EQ(kvs_.inspect_record("AAAAAAAAAAAAAAAAA", "k").error().type, "record-not-found");
  EXPECT_EQ(kvs_.inspect_keys("AAAAAAAAAAAAAAAAA", std::nullopt, "", 1).error().status, 404);
  EXPECT_EQ(kvs_.inspect("AAAAAAAAAAAAAAAAA").error().status, 404);
}

TEST_F(StorageInspectTest, ItemsPageByOffsetAndAreCutAtAUtf8Boundary) {
  std::string d = Dataset(alice_, "items");
  Push(d, 0, 25);
  auto page = datasets_.inspect_items(d, 20, 10, 1000);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->total, 25);
  EXPECT_EQ(page->offset, 20);
  ASSERT_EQ(page->items.size(), 5u);
  EXPECT_EQ(page->items[0].json, "{\"n\":20}");
  EXPECT_EQ(page->items[4].json, "{\"n\":24}");
  EXPECT_FALSE(page->items[0].clipped);
  EXPECT_TRUE(datasets_.inspect_items(d, 25, 10, 1000)->items.empty());
  EXPECT_TRUE(datasets_.inspect_items(d, 1'000'000'000, 10, 1000)->items.empty());
  EXPECT_EQ(datasets_.inspect_items(d, -1, 10, 1000).error().type, "invalid-parameter");
  EXPECT_EQ(datasets_.inspect_items("AAAAAAAAAAAAAAAAA", 0, 1, 10).error().status, 404);
  // "é" is two bytes (the first at 6 and 7): a cut at 7 would fall inside it and is moved
  // before it.
  std::vector<DatasetItem> wide{{"{\"s\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}", true}};
  ASSERT_TRUE(datasets_.push_items(alice_, d, std::move(wide)));
  auto cut = datasets_.inspect_items(d, 25, 1, 7);
  ASSERT_TRUE(cut);
  ASSERT_EQ(cut->items.size(), 1u);
  EXPECT_TRUE(cut->items[0].clipped);
  EXPECT_EQ(cut->items[0].size, 14);
  EXPECT_EQ(cut->items[0].json, "{\"s\":\"");
  EXPECT_EQ(datasets_.inspect_items(d, 25, 1, 8)->items.at(0).json, "{\"s\":\"\xc3\xa9");
}

TEST_F(StorageInspectTest, ReadsChangeNothingAndChargeNoRateLimit) {
  std::string s = Store(alice_, "quiet");
  std::string d = Dataset(alice_, "quiet");
  ASSERT_TRUE(kvs_.put_record(alice_, s, "k", "v", "text/plain"));
  Push(d, 0, 3);
  clock_.advance_ms(5000);
  auto kv_before = kvs_.inspect(s);
  auto ds_before = datasets_.inspect(d);
  ASSERT_TRUE(kv_before && ds_before);
  // One call a second per storage: a single charged inspection would refuse the next call.
  RateLimits rl;
  rl.other_per_sec = 1;
  rl.kv_record_per_sec = 1;
  limiter_.set(rl);
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(kvs_.inspect_keys(s, std::nullopt, "", 10));
    ASSERT_TRUE(kvs_.inspect_record(s, "k"));
    ASSERT_TRUE(kvs_.inspect(s));
    ASSERT_TRUE(datasets_.inspect_items(d, 0, 10, 100));
    ASSERT_TRUE(datasets_.inspect(d));
    kvs_.inspect_stores(std::nullopt, std::nullopt, 10);
    datasets_.inspect_datasets(std::nullopt, std::nullopt, 10);
  }
  auto kv_after = kvs_.inspect(s);
  auto ds_after = datasets_.inspect(d);
  EXPECT_EQ(kv_after->stats.read_count, kv_before->stats.read_count);
  EXPECT_EQ(kv_after->stats.list_count, kv_before->stats.list_count);
  EXPECT_EQ(kv_after->meta.accessed_at, kv_before->meta.accessed_at);
  EXPECT_EQ(ds_after->stats.read_count, ds_before->stats.read_count);
  EXPECT_EQ(ds_after->meta.accessed_at, ds_before->meta.accessed_at);
  EXPECT_TRUE(kvs_.get_record(&alice_, s, "k")) << "an inspection spent the record budget";
  EXPECT_TRUE(datasets_.list_items(&alice_, d, ItemsQuery{})) << "an inspection spent budget";
}

// A benchmark, not a timed test: the mean CPU cost of a 100-row page of keys and of items at
// spread positions, in a store of 1k and of 100k records and a dataset of 1k and 100k items.
// What it asserts is what the pages hold at the far end, not how long they took.
TEST_F(StorageInspectTest, PagesCostAboutTheSameAt1kAnd100k) {
  constexpr int kSmall = 1000, kLarge = 100'000, kRounds = 300;
  RateLimits off;
  off.enabled = false;
  limiter_.set(off);
  struct Cost {
    double keys_us = 0, items_us = 0;
  };
  auto measure = [&](int n, const std::string& tag) {
    std::string s = Store(alice_, "bench-" + tag);
    std::string d = Dataset(alice_, "bench-" + tag);
    for (int i = 0; i < n; ++i) {
      EXPECT_TRUE(kvs_.put_record(alice_, s, Key(i), std::string(100, 'r'), "text/plain"));
    }
    for (int i = 0; i < n; i += 1000) Push(d, i, std::min(1000, n - i));
    Cost c;
    std::size_t listed = 0;
    double t0 = ThreadCpuMs();
    for (int r = 0; r < kRounds; ++r) {
      int at = static_cast<int>((r * 7919ull) % static_cast<unsigned>(n - 100));
      auto page = kvs_.inspect_keys(s, Key(at), "", 100);
      listed += page ? page->items.size() : 0;
    }
    c.keys_us = (ThreadCpuMs() - t0) * 1000.0 / kRounds;
    t0 = ThreadCpuMs();
    for (int r = 0; r < kRounds; ++r) {
      int at = static_cast<int>((r * 7919ull) % static_cast<unsigned>(n - 100));
      auto page = datasets_.inspect_items(d, at, 100, 64 * 1024);
      listed += page ? page->items.size() : 0;
    }
    c.items_us = (ThreadCpuMs() - t0) * 1000.0 / kRounds;
    EXPECT_EQ(listed, 2u * 100 * kRounds);
    // The far end holds what it should.
    auto last_keys = kvs_.inspect_keys(s, Key(n - 3), "", 100);
    EXPECT_EQ(last_keys->items.size(), 2u);
    EXPECT_EQ(last_keys->items.back().key, Key(n - 1));
    EXPECT_FALSE(last_keys->next);
    auto last_items = datasets_.inspect_items(d, n - 1, 100, 64 * 1024);
    EXPECT_EQ(last_items->items.at(0).json, "{\"n\":" + std::to_string(n - 1) + "}");
    return c;
  };
  Cost small = measure(kSmall, "1k");
  Cost large = measure(kLarge, "100k");
  std::printf(
      "storage inspect (CPU time, 100-row page): keys %.2f us at 1k, %.2f us at 100k (x%.2f); "
      "items %.2f us at 1k, %.2f us at 100k (x%.2f)\n",
      small.keys_us, large.keys_us, large.keys_us / small.keys_us, small.items_us, large.items_us,
      large.items_us / small.items_us);
  RecordProperty("keys_page_us_1k", std::to_string(small.keys_us));
  RecordProperty("keys_page_us_100k", std::to_string(large.keys_us));
  RecordProperty("items_page_us_1k", std::to_string(small.items_us));
  RecordProperty("items_page_us_100k", std::to_string(large.items_us));
}

}  // namespace
}  // namespace rqcheck::fake
