// Copyright 2026 The Wayback Authors.

#include "src/bench/bench_util.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"

namespace wayback::bench_internal {
namespace {

TEST(PercentileTest, NearestRank) {
  std::vector<double> v = {5, 1, 4, 2, 3, 10, 9, 8, 7, 6};
  EXPECT_EQ(Percentile(&v, 0.5), 5);  // ceil(0.5 * 10) = 5th smallest.
  EXPECT_EQ(Percentile(&v, 0.9), 9);
  EXPECT_EQ(Percentile(&v, 0.99), 10);
  EXPECT_EQ(Percentile(&v, 1.0), 10);
  EXPECT_EQ(Percentile(&v, 0.0), 1);
}

TEST(PercentileTest, EmptyIsZero) {
  std::vector<double> v;
  EXPECT_EQ(Percentile(&v, 0.99), 0);
}

TEST(RatioTest, ZeroDivisorGivesZero) {
  EXPECT_EQ(Ratio(3, 0), 0);
  EXPECT_EQ(Ratio(3, -1), 0);
  EXPECT_DOUBLE_EQ(Ratio(3, 2), 1.5);
}

TEST(ScratchDirTest, CreatedUnderParentAndRemovedWithContents) {
  wayback::testing::TempDir parent;
  std::string path;
  {
    auto dir = ScratchDir::Create(parent.path());
    ASSERT_TRUE(dir.ok()) << dir.status();
    path = (*dir)->path();
    EXPECT_EQ(std::filesystem::path(path).parent_path(),
              std::filesystem::path(parent.path()));
    std::filesystem::create_directories((*dir)->Sub("a/b"));
    std::ofstream((*dir)->Sub("a/b/f")) << "x";
    EXPECT_TRUE(std::filesystem::exists((*dir)->Sub("a/b/f")));
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace wayback::bench_internal
