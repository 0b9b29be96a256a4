// Copyright 2026 The Wayback Authors.
//
// The slice sort against std::sort of the same keys (keys sharing long
// prefixes, keys that are prefixes of others, empty keys, 0x00 and 0xff
// bytes), and the merge of entries and runs.

#include "src/target/rocksdb/sort_merge.h"

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"

namespace wayback::rocksdb_internal {
namespace {

// A table that frees its entries.
struct OwnedTable {
  Table table;
  ~OwnedTable() { internal::FreeAll(&table); }
  void Add(std::string_view key, std::string_view value = "v",
           uint8_t flags = 0) {
    Entry* e = Entry::New(key, value);
    e->flags = flags;
    ASSERT_TRUE(table.insert(e).second) << key;
  }
};

std::vector<std::string> Keys(const std::vector<SortItem>& items) {
  std::vector<std::string> v;
  for (const SortItem& it : items) v.emplace_back(it.e->key());
  return v;
}

// Awkward keys over a shared prefix of `prefix` bytes.
std::vector<std::string> AwkwardKeys(const std::string& prefix) {
  std::mt19937 rng(7);
  std::vector<std::string> keys;
  const std::string long40(40, 'x');
  for (int i = 0; i < 2000; ++i) {
    std::string k = prefix;
    switch (i % 6) {
      case 0:  // Random bytes, any value.
        for (int j = rng() % 90; j > 0; --j) k.push_back(char(rng() % 256));
        break;
      case 1:  // Agree on more than one slice, differ after it.
        k += long40 + long40 + std::to_string(rng() % 1000);
        break;
      case 2:  // A prefix of case 1's keys, or of each other.
        k += long40.substr(0, rng() % 41);
        break;
      case 3:  // Zero bytes, which the slices' zero padding must not hide.
        k += std::string(rng() % 50, '\0');
        break;
      case 4:
        k += std::string(rng() % 50, '\xff');
        break;
      default:
        k += std::to_string(rng());
    }
    keys.push_back(std::move(k));
  }
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  std::shuffle(keys.begin(), keys.end(), rng);
  return keys;
}

TEST(SortMergeTest, SortsLikeStdSort) {
  for (const std::string& prefix : {std::string(), std::string("patient/00")}) {
    OwnedTable t;
    std::vector<std::string> keys = AwkwardKeys(prefix);
    for (const std::string& k : keys) t.Add(k);
    std::sort(keys.begin(), keys.end());
    EXPECT_EQ(Keys(SortedEntries(t.table, prefix.size())), keys);
    // Skipping fewer bytes than are shared is correct too.
    EXPECT_EQ(Keys(SortedEntries(t.table, 0)), keys);
  }
}

TEST(SortMergeTest, EmptyKeySortsFirst) {
  OwnedTable t;
  t.Add("b");
  t.Add("");
  t.Add("a");
  EXPECT_EQ(Keys(SortedEntries(t.table, 0)),
            (std::vector<std::string>{"", "a", "b"}));
}

TEST(SortMergeTest, ByAddressIsAPermutation) {
  OwnedTable t;
  for (int i = 0; i < 1000; ++i) t.Add(std::to_string(i));
  std::vector<const Entry*> got = ByAddress(t.table);
  std::vector<const Entry*> want(t.table.begin(), t.table.end());
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
}

TEST(SortMergeTest, CommonPrefix) {
  EXPECT_EQ(CommonPrefix("patient/1", "patient/2"), 8u);
  EXPECT_EQ(CommonPrefix("abc", "abc"), 3u);
  EXPECT_EQ(CommonPrefix("ab", "abc"), 2u);
  EXPECT_EQ(CommonPrefix("", "abc"), 0u);
  EXPECT_EQ(CommonPrefix(std::string("a\0b", 3), std::string("a\0c", 3)), 2u);
}

TEST(SortMergeTest, EntrySourceYieldsItsSlice) {
  OwnedTable t;
  t.Add("a", "1");
  t.Add("b", "2", kTombstone);
  t.Add("c", "3");
  std::vector<SortItem> items = SortedEntries(t.table, 0);
  MergeSource s(items.data() + 1, items.data() + 3);
  ASSERT_TRUE(s.Advance().ok());
  ASSERT_TRUE(s.valid());
  EXPECT_EQ(s.key(), "b");
  EXPECT_EQ(s.flags(), kTombstone);
  ASSERT_TRUE(s.Advance().ok());
  ASSERT_TRUE(s.valid());
  EXPECT_EQ(s.key(), "c");
  EXPECT_EQ(s.value(), "3");
  ASSERT_TRUE(s.Advance().ok());
  EXPECT_FALSE(s.valid());
}

TEST(SortMergeTest, RunSourceStopsAtTheLimit) {
  wayback::testing::TempDir dir;
  RunWriter w;
  ASSERT_TRUE(w.Open(dir.path() + "/0.run").ok());
  for (const char* k : {"a", "b", "c", "d"}) ASSERT_TRUE(w.Add(0, k, k).ok());
  auto run = w.Close();
  ASSERT_TRUE(run.ok());
  auto reader = std::make_unique<RunReader>(&*run);
  ASSERT_TRUE(reader->SeekTo("b").ok());
  MergeSource s(std::move(reader), std::string("d"));
  std::vector<std::string> got;
  ASSERT_TRUE(s.Advance().ok());
  while (s.valid()) {
    got.emplace_back(s.key());
    ASSERT_TRUE(s.Advance().ok());
  }
  EXPECT_EQ(got, (std::vector<std::string>{"b", "c"}));
}

}  // namespace
}  // namespace wayback::rocksdb_internal
