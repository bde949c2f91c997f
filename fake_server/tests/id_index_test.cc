// The queue's id index (src/id_index.h) against a std::map of the same operations: lookups,
// order, inserts and erases across growth and shrinking, ids in and outside the id alphabet.
#include "id_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <vector>

#include "rqcheck/core/request_id.h"

namespace rqcheck::fake {
namespace {

using Index = IdIndex<int>;

void expect_same(Index& ix, const std::map<std::string, int>& model) {
  ASSERT_EQ(ix.size(), model.size());
  auto it = ix.begin();
  for (const auto& [id, v] : model) {
    ASSERT_NE(it, ix.end());
    ASSERT_EQ(it->first, id);
    ASSERT_EQ(it->second, v);
    ++it;
  }
  EXPECT_EQ(it, ix.end());
  EXPECT_GE(ix.capacity(), 2 * ix.size());
}

// An id: mostly like the fake's (request_id_for), sometimes short, long, or with characters
// outside the alphabet, so the rank's fill rules are walked too.
std::string random_id(std::mt19937_64& rng) {
  switch (rng() % 6) {
    case 0:
      return std::string(1 + rng() % 3, static_cast<char>(' ' + rng() % 95));
    case 1: {
      std::string s = request_id_for(std::to_string(rng() % 5000));
      s[rng() % s.size()] = static_cast<char>(rng() % 256);
      return s;
    }
    default:
      return request_id_for(std::to_string(rng() % 5000));
  }
}

TEST(IdIndex, MatchesAnOrderedMapUnderRandomOperations) {
  std::mt19937_64 rng(20261204);
  Index ix;
  std::map<std::string, int> model;
  for (int step = 0; step < 40000; ++step) {
    const std::string id = random_id(rng);
    // Grow for the first half, then shrink: the table doubles and halves on the way.
    const bool grow = step < 20000 ? rng() % 4 != 0 : rng() % 4 == 0;
    if (grow) {
      auto [it, fresh] = ix.insert(Index::make_node(id, step));
      auto [mit, mfresh] = model.emplace(id, step);
      ASSERT_EQ(fresh, mfresh) << id;
      ASSERT_EQ(it->first, id);
      ASSERT_EQ(it->second, mit->second);
    } else {
      auto it = ix.lower_bound(id);
      auto mit = model.lower_bound(id);
      ASSERT_EQ(it == ix.end(), mit == model.end()) << id;
      if (mit != model.end()) {
        ASSERT_EQ(it->first, mit->first);
        ix.erase(it);
        model.erase(mit);
      }
    }
    if (step % 97 == 0) {
      const std::string probe = random_id(rng);
      auto f = ix.find(probe);
      ASSERT_EQ(f == ix.end(), model.find(probe) == model.end()) << probe;
      auto u = ix.upper_bound(probe);
      auto mu = model.upper_bound(probe);
      ASSERT_EQ(u == ix.end(), mu == model.end()) << probe;
      if (mu != model.end()) {
        ASSERT_EQ(u->first, mu->first) << probe;
      }
    }
    if (step % 2000 == 0) expect_same(ix, model);
  }
  expect_same(ix, model);
  EXPECT_LT(ix.capacity(), 1024u) << "the table shrank with the map";
}

TEST(IdIndex, IteratorsStayValidWhileOtherIdsComeAndGo) {
  std::mt19937_64 rng(7);
  Index ix;
  std::vector<Index::iterator> kept;
  for (int i = 0; i < 300; ++i) {
    auto [it, fresh] = ix.insert(Index::make_node(request_id_for("k" + std::to_string(i)), i));
    ASSERT_TRUE(fresh);
    if (i % 10 == 0) kept.push_back(it);
  }
  // Thousands of inserts and erases move the slots (and grow the table) under the kept ones.
  for (int i = 0; i < 5000; ++i) {
    auto [it, fresh] = ix.insert(Index::make_node(request_id_for("m" + std::to_string(i)), -1));
    ASSERT_TRUE(fresh);
    if (i % 3 == 0) ix.erase(it);
  }
  for (std::size_t j = 0; j < kept.size(); ++j) {
    const int i = static_cast<int>(j * 10);
    EXPECT_EQ(kept[j]->first, request_id_for("k" + std::to_string(i)));
    EXPECT_EQ(kept[j]->second, i);
    auto next = kept[j];
    ++next;  // a stale slot is found again from the node's id
    auto want = ix.upper_bound(kept[j]->first);
    EXPECT_EQ(next, want);
  }
}

TEST(IdIndex, ADuplicateIdLeavesTheNodeWithTheCaller) {
  Index ix;
  ASSERT_TRUE(ix.insert(Index::make_node("abc", 1)).second);
  auto again = Index::make_node("abc", 2);
  auto [it, fresh] = ix.insert(std::move(again));
  EXPECT_FALSE(fresh);
  EXPECT_EQ(it->second, 1);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->second, 2);
  EXPECT_EQ(ix.size(), 1u);
}

TEST(IdIndex, IdsSharingTheirRankStillKeepOrder) {
  // Ids the fake never makes: one rank for all (long runs, past the table's end too).
  Index ix;
  std::map<std::string, int> model;
  std::mt19937_64 rng(3);
  for (int i = 0; i < 3000; ++i) {
    const std::string id = (i % 2 ? "zzzzzzzz" : "00000000") + std::to_string(rng() % 100000);
    ASSERT_EQ(ix.insert(Index::make_node(id, i)).second, model.emplace(id, i).second) << id;
  }
  expect_same(ix, model);
  EXPECT_GT(ix.slot_count(), ix.capacity()) << "the last run spilled past the home slots";
  for (auto it = model.begin(); it != model.end();) {
    auto f = ix.find(it->first);
    ASSERT_NE(f, ix.end()) << it->first;
    ix.erase(f);
    it = model.erase(it);
    if (model.size() % 500 == 0) expect_same(ix, model);
  }
  EXPECT_TRUE(ix.empty());
  EXPECT_EQ(ix.begin(), ix.end());
}

TEST(IdIndex, RankFollowsByteOrder) {
  // Pairs in byte order, across the alphabet's edges and the fill rules.
  const std::vector<std::string> ordered = {
      "",  "\x01", "/", "0", "00", "09z", "9",  ":",        "@",         "A", "AZ",
      "Z", "[",    "`", "a", "az", "z",   "zz", "zzzzzzzz", "zzzzzzzzz", "{", "\xff"};
  for (std::size_t i = 0; i + 1 < ordered.size(); ++i) {
    ASSERT_LT(ordered[i], ordered[i + 1]);
    EXPECT_LE(Index::rank_of(ordered[i]), Index::rank_of(ordered[i + 1]))
        << "'" << ordered[i] << "' vs '" << ordered[i + 1] << "'";
  }
}

}  // namespace
}  // namespace rqcheck::fake
