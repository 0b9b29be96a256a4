// Copyright 2026 The Wayback Authors.
//
// The staged state of one partition against a model: puts, overwrites that
// outgrow their block, deletes with and without something older to hide,
// spills to runs under a small bound, and the arena's reuse of its chunks.

#include "src/target/rocksdb/staging.h"

#include <deque>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/util/coding.h"
#include "tests/testutil/testutil.h"

namespace wayback::rocksdb_internal {
namespace {

using wayback::testing::TempDir;
// Not `Run` inside a test body, where that names testing::Test::Run().
using RunFile = Run;

// nullopt: a tombstone.
using Model = std::map<std::string, std::optional<std::string>>;

MutationView Put(std::string_view k, std::string_view v) {
  MutationView m;
  m.type = MutationType::kPut;
  m.key = k;
  m.value = v;
  return m;
}
MutationView Del(std::string_view k) {
  MutationView m;
  m.type = MutationType::kDelete;
  m.key = k;
  return m;
}

// What the partition holds, newest first: the table, then the runs from the
// newest; tombstones as nullopt.
Model Contents(const StagePartition& p) {
  Model m;
  for (const Entry* e : p.table) {
    m[std::string(e->key())] = (e->flags & kTombstone)
                                   ? std::nullopt
                                   : std::optional<std::string>(e->value());
  }
  for (auto r = p.runs.rbegin(); r != p.runs.rend(); ++r) {
    RunReader reader(&*r);
    EXPECT_TRUE(reader.SeekTo("").ok());
    for (;;) {
      bool has = false;
      EXPECT_TRUE(reader.Next(&has).ok());
      if (!has) break;
      m.emplace(std::string(reader.key()),
                (reader.flags() & kTombstone)
                    ? std::nullopt
                    : std::optional<std::string>(reader.value()));
    }
  }
  return m;
}

// Live pairs of a contents map.
std::map<std::string, std::string> Live(const Model& m) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : m) {
    if (v) out[k] = *v;
  }
  return out;
}

TEST(ArenaTest, AlignsCountsAndReusesChunksAfterRewind) {
  Arena a;
  a.set_chunk(4096);
  void* first = a.Allocate(3);
  void* second = a.Allocate(10);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(first) % 8, 0u);
  EXPECT_EQ(static_cast<char*>(second) - static_cast<char*>(first), 8);
  EXPECT_EQ(a.bytes(), 4096u);
  void* big = a.Allocate(10000);  // Larger than a chunk: a chunk of its own.
  EXPECT_NE(big, nullptr);
  EXPECT_EQ(a.bytes(), 4096u + 10000u);
  a.Rewind();
  EXPECT_EQ(a.bytes(), 0u);
  EXPECT_EQ(a.Allocate(3), first);  // The same chunk, filled again.
  std::vector<char*> chunks = a.TakeChunks();
  EXPECT_EQ(chunks.size(), 2u);
  EXPECT_EQ(a.bytes(), 0u);
  for (char* c : chunks) std::free(c);
}

// One partition with a large bound, and its scratch directory.
class StagePartitionTest : public ::testing::Test {
 protected:
  StagePartitionTest() : scratch_(dir_.path()) { p.limit = uint64_t{1} << 30; }
  TempDir dir_;
  ScratchDir scratch_;
  StagePartition p;
};

TEST_F(StagePartitionTest, KeepsTheLastValueOfEachKey) {
  ASSERT_TRUE(p.Stage(Put("a", "1"), true, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Put("b", "2"), true, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Put("a", std::string(1000, 'x')), true, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Put("b", ""), true, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Put("a", "3"), true, &scratch_).ok());  // Fits in place.
  Model want = {{"a", "3"}, {"b", ""}};
  EXPECT_EQ(Contents(p), want);
  EXPECT_TRUE(p.runs.empty());
  EXPECT_EQ(p.common, 0u);
}

TEST_F(StagePartitionTest, DeleteForgetsTheKeyWhenNothingOlderHoldsIt) {
  ASSERT_TRUE(p.Stage(Put("a", "1"), true, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Del("a"), true, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Del("never"), true, &scratch_).ok());
  EXPECT_TRUE(p.empty());
  // Its block is reused by the next entry of that size.
  ASSERT_TRUE(p.Stage(Put("b", "1"), true, &scratch_).ok());
  EXPECT_EQ(Contents(p), (Model{{"b", "1"}}));
}

TEST_F(StagePartitionTest, DeleteLeavesATombstoneOverAnOlderDatabase) {
  ASSERT_TRUE(p.Stage(Put("a", "1"), false, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Del("a"), false, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Del("b"), false, &scratch_).ok());
  EXPECT_EQ(Contents(p), (Model{{"a", std::nullopt}, {"b", std::nullopt}}));
}

TEST_F(StagePartitionTest, TracksTheSharedPrefix) {
  ASSERT_TRUE(p.Stage(Put("patient/0012", "v"), true, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Put("patient/0099", "v"), true, &scratch_).ok());
  EXPECT_EQ(p.first_key.substr(0, p.common), "patient/00");
}

TEST_F(StagePartitionTest, SpillsUnderASmallBoundAndLosesNothing) {
  p.limit = 16 << 10;
  p.arena.set_chunk(4 << 10);
  std::map<std::string, std::string> model;
  std::mt19937 rng(3);
  for (int i = 0; i < 5000; ++i) {
    const std::string k = "key" + std::to_string(rng() % 700);
    if (rng() % 4 == 0) {
      ASSERT_TRUE(p.Stage(Del(k), true, &scratch_).ok());
      model.erase(k);
    } else {
      const std::string v(rng() % 200, static_cast<char>('a' + i % 26));
      ASSERT_TRUE(p.Stage(Put(k, v), true, &scratch_).ok());
      model[k] = v;
    }
  }
  EXPECT_GT(p.runs.size(), 2u);
  EXPECT_LE(p.bytes, p.limit);
  EXPECT_EQ(Live(Contents(p)), model);
  // Reset removes the run files.
  std::vector<std::string> paths;
  for (const RunFile& r : p.runs) paths.push_back(r.path);
  p.Reset();
  for (const std::string& path : paths) {
    EXPECT_FALSE(std::filesystem::exists(path)) << path;
  }
  EXPECT_TRUE(p.empty());
}

TEST_F(StagePartitionTest, FirstSpillDropsTombstonesOverAnEmptyDatabase) {
  // Over a non-empty database, a tombstone is staged...
  ASSERT_TRUE(p.Stage(Del("gone"), false, &scratch_).ok());
  ASSERT_TRUE(p.Stage(Put("kept", "1"), false, &scratch_).ok());
  // ...and a first spill with base_empty drops it (nothing older to hide).
  ASSERT_TRUE(p.SpillRun(/*base_empty=*/true, &scratch_).ok());
  ASSERT_EQ(p.runs.size(), 1u);
  EXPECT_EQ(p.runs[0].entries, 1u);
  EXPECT_EQ(Contents(p), (Model{{"kept", "1"}}));
}

TEST(BackgroundReleaseTest, EmptiesThePartitions) {
  TempDir dir;
  ScratchDir scratch(dir.path());
  std::deque<StagePartition> parts(2);
  for (StagePartition& p : parts) {
    p.limit = 8 << 10;
    for (int i = 0; i < 500; ++i) {
      ASSERT_TRUE(
          p.Stage(Put(std::to_string(i), "value"), true, &scratch).ok());
    }
  }
  BackgroundRelease release;
  release.Release(&parts);
  for (const StagePartition& p : parts) EXPECT_TRUE(p.empty());
  release.Wait();
}

}  // namespace
}  // namespace wayback::rocksdb_internal
