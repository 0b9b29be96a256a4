// Copyright 2026 The Wayback Authors.

#include "src/util/digest.h"

#include <xxhash.h>

#include <algorithm>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "wayback/types.h"

namespace wayback {
namespace {

TEST(DigestTest, OrderIndependent) {
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 1000; ++i)
    pairs.push_back({"k" + std::to_string(i), std::string(i % 50, 'v')});
  StateDigest a;
  for (auto& [k, v] : pairs) a.Add(k, v);
  std::mt19937 rng(1);
  std::shuffle(pairs.begin(), pairs.end(), rng);
  StateDigest b;
  for (auto& [k, v] : pairs) b.Add(k, v);
  EXPECT_EQ(a, b);
  EXPECT_EQ(1000u, a.count);
}

TEST(DigestTest, RemoveUndoesAdd) {
  StateDigest a;
  a.Add("x", "1");
  StateDigest b = a;
  b.Add("y", "2");
  EXPECT_NE(a, b);
  b.Remove("y", "2");
  EXPECT_EQ(a, b);
}

TEST(DigestTest, KeyValueBoundaryMatters) {
  // ("ab","c") and ("a","bc") must differ: the key length is hashed too.
  StateDigest a, b;
  a.Add("ab", "c");
  b.Add("a", "bc");
  EXPECT_NE(a, b);
}

TEST(DigestTest, LargePairsUseStreamingPathConsistently) {
  std::string big(100000, 'z');
  StateDigest a, b;
  a.Add("k", big);
  b.Add("k", big);
  EXPECT_EQ(a, b);
  StateDigest c;
  c.Add("k", big.substr(1));
  EXPECT_NE(a, c);
}

TEST(DigestTest, MergeEqualsSequential) {
  StateDigest a, b, all;
  for (int i = 0; i < 100; ++i) {
    std::string k = std::to_string(i);
    (i % 2 ? a : b).Add(k, k);
    all.Add(k, k);
  }
  a.Merge(b);
  EXPECT_EQ(all, a);
}

TEST(DigestTest, ToStringIsStable) {
  StateDigest empty;
  EXPECT_EQ("00000000000000000000000000000000:0", empty.ToString());
  StateDigest a;
  a.Add("patient/1", "{}");
  EXPECT_EQ(32u + 2u, a.ToString().size());
  EXPECT_EQ(":1", a.ToString().substr(32));
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

// PairDigestTerm against XXH3-128 of the concatenation built independently,
// at sizes around the one-shot/streaming boundary (4 KiB in total).
TEST(DigestTest, PairTermMatchesTheSpecOnBothPaths) {
  std::mt19937_64 rng(3);
  for (size_t total : {0, 1, 200, 511, 512, 513, 4094, 4095, 4096, 4097, 4098,
                       10000, 300000}) {
    for (size_t key_size : {0, 1, 127, 128, 300}) {
      if (key_size > total) continue;
      std::string key(key_size, '\0'), value(total - key_size, '\0');
      for (char& c : key) c = static_cast<char>(rng());
      for (char& c : value) c = static_cast<char>(rng());
      std::string whole;
      uint64_t n = key.size();
      do {  // varint64, written out here rather than with the library's.
        whole.push_back(static_cast<char>((n & 0x7f) | (n >= 0x80 ? 0x80 : 0)));
        n >>= 7;
      } while (n != 0);
      whole += key;
      whole += value;
      const XXH128_hash_t want = XXH3_128bits(whole.data(), whole.size());
      const DigestTerm got = PairDigestTerm(key, value);
      EXPECT_EQ(got.low, want.low64) << total << " " << key_size;
      EXPECT_EQ(got.high, want.high64) << total << " " << key_size;
      StateDigest d;
      d.Add(key, value);
      EXPECT_EQ(d.sum_low, want.low64);
      EXPECT_EQ(d.sum_high, want.high64);
    }
  }
}

}  // namespace
}  // namespace wayback
