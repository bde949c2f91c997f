// Key-value stores (fake_server/src/kv_store.h): store CRUD, records kept byte for byte, the
// key rule, the record limit, key listing with exclusiveStartKey/limit/prefix, counters and
// timestamps, ownership, snapshots, and concurrent writers.
#include "kv_store.h"

#include <gtest/gtest.h>

#include <set>
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

class KvStoreTest : public ::testing::Test {
 protected:
  KvStoreTest() : clock_(1'700'000'000'000), kvs_(users_, clock_) {
    alice_ = users_.for_token("alice-token").value();
    bob_ = users_.for_token("bob-token").value();
    store_ = kvs_.get_or_create(alice_, "store")->info.meta.id;
  }
  std::vector<std::string> keys(const KvKeysPage& page) {
    std::vector<std::string> out;
    for (const auto& k : page.items) out.push_back(k.key);
    return out;
  }

  Users users_;
  ManualClock clock_;
  KeyValueStores kvs_;
  User alice_, bob_;
  std::string store_;
};

TEST_F(KvStoreTest, StoreCrudByIdAndName) {
  auto again = kvs_.get_or_create(alice_, "store");
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->info.meta.id, store_);
  auto got = kvs_.get(&alice_, "~store");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->meta.id, store_);
  EXPECT_EQ(got->record_count, 0);
  EXPECT_TRUE(kvs_.get(nullptr, store_).ok()) << "raw id: readable without a token";

  StorageUpdate u;
  u.name = std::optional<std::string>("renamed");
  u.general_access = GeneralAccess::kRestricted;
  auto up = kvs_.update(alice_, store_, u);
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->meta.name, "renamed");
  EXPECT_EQ(up->meta.general_access, GeneralAccess::kRestricted);
  expect_error(kvs_.get(nullptr, store_).error(), 401, "token-not-provided");
  expect_error(kvs_.get(&bob_, store_).error(), 403, "insufficient-permissions");

  auto list = kvs_.list(alice_, {});
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->count, 1);
  EXPECT_EQ(list->items[0].meta.name, "renamed");

  expect_error(kvs_.remove(bob_, store_).error(), 403, "insufficient-permissions");
  ASSERT_TRUE(kvs_.remove(alice_, "~renamed").ok());
  expect_error(kvs_.get(&alice_, store_).error(), 404, "record-not-found");
  EXPECT_EQ(kvs_.count(), 0u);
}

TEST_F(KvStoreTest, RecordsKeepTheirBytesAndContentTypeExactly) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  binary += std::string("\0\0\xff", 3);
  const std::string json = "{\n  \"a\": 1\n}";
  const std::string text = "h\xc3\xa9llo\r\nw\x00rld";
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "bin", binary, "image/png").ok());
  ASSERT_TRUE(
      kvs_.put_record(alice_, store_, "json", json, "application/json; charset=utf-8").ok());
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "text", text, "text/plain; charset=utf-8").ok());
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "empty", "", "").ok());
  auto b = kvs_.get_record(nullptr, store_, "bin");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->value, binary);
  EXPECT_EQ(b->content_type, "image/png");
  EXPECT_EQ(kvs_.get_record(&alice_, store_, "json")->value, json);
  EXPECT_EQ(kvs_.get_record(&alice_, store_, "json")->content_type,
            "application/json; charset=utf-8");
  EXPECT_EQ(kvs_.get_record(&alice_, store_, "text")->value, text);
  auto e = kvs_.get_record(&alice_, store_, "empty");
  EXPECT_EQ(e->value, "");
  EXPECT_EQ(e->content_type, "application/octet-stream") << "no Content-Type: octet-stream";
  auto h = kvs_.head_record(&bob_, store_, "bin");
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->size, static_cast<std::int64_t>(binary.size()));
  EXPECT_EQ(h->content_type, "image/png");

  // Replacing keeps one record with the new bytes and type.
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "bin", "x", "text/plain").ok());
  EXPECT_EQ(kvs_.get_record(&alice_, store_, "bin")->value, "x");
  auto info = kvs_.get(&alice_, store_);
  EXPECT_EQ(info->record_count, 4);
  EXPECT_EQ(info->stats.storage_bytes, static_cast<std::int64_t>(1 + json.size() + text.size()));
}

TEST_F(KvStoreTest, MissingRecordsAndStoresAre404AndDeleteIsIdempotent) {
  expect_error(kvs_.get_record(&alice_, store_, "nope").error(), 404, "record-not-found");
  expect_error(kvs_.head_record(&alice_, store_, "nope").error(), 404, "record-not-found");
  for (const char* ref : {"AAAAAAAAAAAAAAAAA", "~nostore", "nouser~store"}) {
    expect_error(kvs_.get_record(&alice_, ref, "k").error(), 404, "record-not-found");
    expect_error(kvs_.put_record(alice_, ref, "k", "v", "text/plain").error(), 404,
                 "record-not-found");
    expect_error(kvs_.list_keys(&alice_, ref, {}).error(), 404, "record-not-found");
  }
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "k", "v", "text/plain").ok());
  EXPECT_TRUE(kvs_.delete_record(alice_, store_, "k").ok());
  EXPECT_TRUE(kvs_.delete_record(alice_, store_, "k").ok()) << "absent: still 204";
  expect_error(kvs_.get_record(&alice_, store_, "k").error(), 404, "record-not-found");
  EXPECT_EQ(kvs_.get(&alice_, store_)->stats.delete_count, 1);
}

TEST_F(KvStoreTest, OddKeysAreInvalidRecordKeys) {
  std::string longest(256, 'k');
  for (const std::string& good :
       {std::string("a"), std::string("INPUT"), longest, std::string("SDK_SESSION_POOL_STATE"),
        std::string("a!-_.'()Z9")}) {
    EXPECT_TRUE(kvs_.put_record(alice_, store_, good, "v", "text/plain").ok()) << good;
  }
  for (const std::string& bad :
       {std::string(""), std::string(257, 'k'), std::string("a/b"), std::string("a b"),
        std::string("a?b"), std::string("a%2Fb"), std::string("a~b"), std::string("\xc3\xbc"),
        std::string("a\0b", 3), std::string("a\nb"), std::string("a*b"), std::string("a+b")}) {
    expect_error(kvs_.put_record(alice_, store_, bad, "v", "text/plain").error(), 400,
                 "invalid-record-key");
    expect_error(kvs_.get_record(&alice_, store_, bad).error(), 400, "invalid-record-key");
    expect_error(kvs_.head_record(&alice_, store_, bad).error(), 400, "invalid-record-key");
    expect_error(kvs_.delete_record(alice_, store_, bad).error(), 400, "invalid-record-key");
  }
  EXPECT_EQ(kvs_.get(&alice_, store_)->record_count, 5);
}

TEST_F(KvStoreTest, RecordLimitAndContentTypeBounds) {
  const std::size_t limit = kvs_.limits().max_record_bytes;
  EXPECT_EQ(limit, 9437184u);
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "max", std::string(limit, 'x'), "text/plain").ok());
  auto over = kvs_.put_record(alice_, store_, "over", std::string(limit + 1, 'x'), "text/plain");
  ASSERT_FALSE(over.ok());
  expect_error(over.error(), 413, "request-too-large");
  EXPECT_NE(over.error().message.find("9437185"), std::string::npos) << over.error().message;
  expect_error(kvs_.get_record(&alice_, store_, "over").error(), 404, "record-not-found");

  expect_error(kvs_.put_record(alice_, store_, "ct", "v", std::string(256, 'a')).error(), 400,
               "invalid-content-type-header");
  expect_error(kvs_.put_record(alice_, store_, "ct", "v", "text/plain\r\nX-Evil: 1").error(), 400,
               "invalid-content-type-header");
  EXPECT_TRUE(kvs_.put_record(alice_, store_, "ct", "v", std::string(255, 'a')).ok());
}

TEST_F(KvStoreTest, OnlyTheOwnerWritesRecords) {
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "k", "v", "text/plain").ok());
  expect_error(kvs_.put_record(bob_, store_, "k", "evil", "text/plain").error(), 403,
               "insufficient-permissions");
  expect_error(kvs_.delete_record(bob_, store_, "k").error(), 403, "insufficient-permissions");
  // "~store" is bob's own, which does not exist.
  expect_error(kvs_.put_record(bob_, "~store", "k", "v", "text/plain").error(), 404,
               "record-not-found");
  EXPECT_EQ(kvs_.get_record(&bob_, store_, "k")->value, "v") << "reads by raw id are allowed";
  expect_error(kvs_.get_record(&bob_, alice_.username + "~store", "k").error(), 403,
               "insufficient-permissions");
}

TEST_F(KvStoreTest, ListKeysPagesInByteOrderWithExclusiveStartKey) {
  std::vector<std::string> all = {"A", "B", "a", "a-1", "a.2", "ab", "b", "c(1)", "z"};
  for (const auto& k : all) {
    ASSERT_TRUE(kvs_.put_record(alice_, store_, k, std::string(k.size() * 3, 'v'), "").ok());
  }
  auto page = kvs_.list_keys(&alice_, store_, {});
  ASSERT_TRUE(page.ok());
  // UTF-8 binary order: '(' < '-' < '.' < digits < upper < lower.
  EXPECT_EQ(keys(*page),
            (std::vector<std::string>{"A", "B", "a", "a-1", "a.2", "ab", "b", "c(1)", "z"}));
  EXPECT_EQ(page->count, 9);
  EXPECT_EQ(page->limit, 1000);
  EXPECT_FALSE(page->is_truncated);
  EXPECT_FALSE(page->next_exclusive_start_key.has_value());
  EXPECT_FALSE(page->exclusive_start_key.has_value());
  EXPECT_EQ(page->items[3].size, 9);

  // Walk with limit 4: every key once, the last page not truncated.
  std::vector<std::string> walked;
  std::optional<std::string> start;
  int pages = 0;
  while (true) {
    KvKeysQuery q;
    q.limit = 4;
    q.exclusive_start_key = start;
    auto p = kvs_.list_keys(&alice_, store_, q);
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->exclusive_start_key, start);
    for (auto& k : keys(*p)) walked.push_back(k);
    ++pages;
    if (!p->is_truncated) {
      EXPECT_FALSE(p->next_exclusive_start_key.has_value());
      break;
    }
    EXPECT_EQ(p->next_exclusive_start_key, p->items.back().key);
    start = p->next_exclusive_start_key;
  }
  EXPECT_EQ(walked, all);
  EXPECT_EQ(pages, 3);

  // An exact page is not truncated; a start key that is not stored still skips what sorts
  // before it (the docs: "all keys up to this one (including) are skipped").
  KvKeysQuery q;
  q.limit = 9;
  EXPECT_FALSE(kvs_.list_keys(&alice_, store_, q)->is_truncated);
  q.limit = std::nullopt;
  q.exclusive_start_key = "a0";
  EXPECT_EQ(keys(*kvs_.list_keys(&alice_, store_, q)),
            (std::vector<std::string>{"ab", "b", "c(1)", "z"}));
  q.exclusive_start_key = "z";
  EXPECT_EQ(kvs_.list_keys(&alice_, store_, q)->count, 0);
  q.exclusive_start_key = "";
  EXPECT_EQ(kvs_.list_keys(&alice_, store_, q)->count, 9);
}

TEST_F(KvStoreTest, ListKeysPrefixLimitAndCollection) {
  for (const char* k : {"img-1", "img-2", "img-3", "imh", "im", "x"}) {
    ASSERT_TRUE(kvs_.put_record(alice_, store_, k, "v", "").ok());
  }
  KvKeysQuery q;
  q.prefix = "img-";
  EXPECT_EQ(keys(*kvs_.list_keys(&alice_, store_, q)),
            (std::vector<std::string>{"img-1", "img-2", "img-3"}));
  q.limit = 2;
  auto p = kvs_.list_keys(&alice_, store_, q);
  EXPECT_TRUE(p->is_truncated);
  EXPECT_EQ(p->next_exclusive_start_key, "img-2");
  q.exclusive_start_key = "img-2";
  p = kvs_.list_keys(&alice_, store_, q);
  EXPECT_EQ(keys(*p), std::vector<std::string>{"img-3"});
  EXPECT_FALSE(p->is_truncated) << "imh follows but does not match the prefix";
  q.exclusive_start_key = "a";  // before the prefix: the prefix bound wins
  q.limit = std::nullopt;
  EXPECT_EQ(kvs_.list_keys(&alice_, store_, q)->count, 3);
  q.exclusive_start_key = "zzz";  // after the prefix: nothing
  EXPECT_EQ(kvs_.list_keys(&alice_, store_, q)->count, 0);

  KvKeysQuery lim;
  lim.limit = 0;
  EXPECT_EQ(kvs_.list_keys(&alice_, store_, lim)->limit, 1000) << "0 means the default";
  lim.limit = 5000;
  EXPECT_EQ(kvs_.list_keys(&alice_, store_, lim)->limit, 1000) << "clamped";
  lim.limit = 1;
  EXPECT_EQ(kvs_.list_keys(&alice_, store_, lim)->count, 1);
  lim.limit = -1;
  expect_error(kvs_.list_keys(&alice_, store_, lim).error(), 400, "invalid-parameter");
  KvKeysQuery coll;
  coll.collection = "images";
  expect_error(kvs_.list_keys(&alice_, store_, coll).error(), 400, "invalid-parameter");
}

TEST_F(KvStoreTest, CountersAndTimestampsFollowReadsAndWrites) {
  const TimeMs t0 = clock_.now_ms();
  clock_.advance_ms(10);
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "k", "v", "").ok());
  auto i1 = kvs_.get(&alice_, store_).value();
  EXPECT_EQ(i1.meta.modified_at, t0 + 10);
  EXPECT_EQ(i1.stats.write_count, 1);
  clock_.advance_ms(10);
  ASSERT_TRUE(kvs_.get_record(&alice_, store_, "k").ok());
  ASSERT_TRUE(kvs_.list_keys(&alice_, store_, {}).ok());
  auto i2 = kvs_.get(&alice_, store_).value();
  EXPECT_EQ(i2.meta.modified_at, t0 + 10) << "reads do not modify";
  EXPECT_EQ(i2.meta.accessed_at, t0 + 20);
  EXPECT_EQ(i2.stats.read_count, 1);
  EXPECT_EQ(i2.stats.list_count, 1);
  clock_.advance_ms(10);
  ASSERT_TRUE(kvs_.delete_record(alice_, store_, "absent").ok());
  EXPECT_EQ(kvs_.get(&alice_, store_)->meta.modified_at, t0 + 10) << "deleting nothing";
  ASSERT_TRUE(kvs_.delete_record(alice_, store_, "k").ok());
  EXPECT_EQ(kvs_.get(&alice_, store_)->meta.modified_at, t0 + 30);
  EXPECT_EQ(kvs_.get(&alice_, store_)->stats.storage_bytes, 0);
}

TEST_F(KvStoreTest, SnapshotRestoresEverythingOrNothing) {
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "a", std::string("\0\x01", 2), "image/gif").ok());
  ASSERT_TRUE(kvs_.put_record(alice_, store_, "b", "text", "text/plain").ok());
  auto other = kvs_.get_or_create(bob_, std::nullopt)->info.meta.id;
  ASSERT_TRUE(kvs_.put_record(bob_, other, "c", "{}", "application/json").ok());
  auto snap = kvs_.snapshot();
  ASSERT_EQ(snap.size(), 2u);
  EXPECT_EQ(snap[0].meta.id, store_);
  ASSERT_EQ(snap[0].records.size(), 2u);
  EXPECT_EQ(snap[0].records[0].value, std::string("\0\x01", 2));

  KeyValueStores copy(users_, clock_);
  ASSERT_TRUE(copy.restore(snap).ok());
  EXPECT_EQ(copy.count(), 2u);
  auto r = copy.get_record(&alice_, "~store", "a");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->value, std::string("\0\x01", 2));
  EXPECT_EQ(r->content_type, "image/gif");
  EXPECT_EQ(copy.get(&bob_, other)->stats.write_count, 1);
  EXPECT_EQ(copy.get(&alice_, store_)->stats.storage_bytes, 6);

  auto bad = snap;
  bad[1].records.push_back({"bad key", "v", "text/plain"});
  expect_error(copy.restore(bad).error(), 400, "invalid-record-key");
  EXPECT_EQ(copy.count(), 2u) << "a refused snapshot changes nothing";
  EXPECT_TRUE(copy.get_record(&alice_, "~store", "a").ok());
  auto dup = snap;
  dup[1].meta.id = dup[0].meta.id;
  expect_error(copy.restore(dup).error(), 400, "invalid-input");
  auto names = snap;
  names[1].meta.user_id = alice_.id;
  names[1].meta.name = "store";
  expect_error(copy.restore(names).error(), 400, "name-not-unique");
  ASSERT_TRUE(copy.restore({}).ok());
  EXPECT_EQ(copy.count(), 0u);
  kvs_.clear();
  EXPECT_EQ(kvs_.count(), 0u);
}

TEST_F(KvStoreTest, ConcurrentWritersAndReadersOfOneStore) {
  constexpr int kThreads = 6, kKeys = 200;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kKeys; ++i) {
        std::string key = "t" + std::to_string(t) + "-" + std::to_string(i);
        if (!kvs_.put_record(alice_, store_, key, key + key, "text/plain").ok()) ++failures;
        auto r = kvs_.get_record(&bob_, store_, key);
        if (!r.ok() || r->value != key + key) ++failures;
        if (i % 10 == 0) {
          KvKeysQuery q;
          q.prefix = "t" + std::to_string(t) + "-";
          auto p = kvs_.list_keys(&alice_, store_, q);
          if (!p.ok()) ++failures;
        }
        if (i % 4 == 0 && !kvs_.delete_record(alice_, store_, key).ok()) ++failures;
        kvs_.get(nullptr, store_);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  auto info = kvs_.get(&alice_, store_).value();
  EXPECT_EQ(info.record_count, kThreads * (kKeys - kKeys / 4));
  EXPECT_EQ(info.stats.write_count, kThreads * kKeys);
  EXPECT_EQ(info.stats.delete_count, kThreads * kKeys / 4);
  std::size_t walked = 0;
  std::optional<std::string> start;
  do {
    KvKeysQuery q;
    q.exclusive_start_key = start;
    q.limit = 333;
    auto p = kvs_.list_keys(&alice_, store_, q).value();
    walked += p.items.size();
    start = p.next_exclusive_start_key;
  } while (start);
  EXPECT_EQ(walked, static_cast<std::size_t>(info.record_count));
}

}  // namespace
}  // namespace rqcheck::fake
