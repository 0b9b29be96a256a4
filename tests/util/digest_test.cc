// Copyright 2026 The Wayback Authors.

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
  for (int i = 0; i < 1000; ++i) pairs.push_back({"k" + std::to_string(i), std::string(i % 50, 'v')});
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
