// Copyright 2026 The Wayback Authors.
//
// The staged state into SST files: over an empty database and over one that
// holds older values (tombstones written, the digest delta subtracting what
// is replaced), with several partitions, spilled runs and many key ranges;
// the database and the folded digest must equal a model.

#include "src/target/rocksdb/staged_write.h"

#include <deque>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/target/rocksdb/db_contents.h"
#include "tests/testutil/testutil.h"
#include "wayback/state_target.h"

namespace wayback::rocksdb_internal {
namespace {

using Model = std::map<std::string, std::string>;

StateDigest DigestOf(const Model& m) {
  StateDigest d;
  for (const auto& [k, v] : m) d.Add(k, v);
  return d;
}

class StagedWriteTest : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    path_ = dir_.path() + "/db";
    options_.create_if_missing = true;
    ASSERT_TRUE(rocksdb::DB::Open(options_, path_, &db_).ok());
    scratch_ = std::make_unique<ScratchDir>(path_);
    sink_ = std::make_unique<SstSink>(db_, db_->DefaultColumnFamily(), options_,
                                      8 << 10, false, scratch_.get(), path_);
  }
  void TearDown() override {
    sink_.reset();
    delete db_;
  }
  Model Contents() { return DbContents(db_); }

  wayback::testing::TempDir dir_;
  std::string path_;
  rocksdb::Options options_;
  rocksdb::DB* db_ = nullptr;
  std::unique_ptr<ScratchDir> scratch_;
  std::unique_ptr<SstSink> sink_;
};

// GetParam(): whether the database holds older values first.
TEST_P(StagedWriteTest, DatabaseAndDigestEqualTheModel) {
  const bool base = GetParam();
  Model model;
  if (base) {
    for (int i = 0; i < 3000; i += 2) {
      const std::string k = "patient/" + std::to_string(i);
      ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), k, "old").ok());
      model[k] = "old";
    }
  }
  const StateDigest before = DigestOf(model);
  std::deque<StagePartition> stage(3);
  for (StagePartition& p : stage) {
    // Small enough to spill a few runs (chunks of an eighth, as the target
    // sizes them).
    p.limit = 64 << 10;
    p.arena.set_chunk(8 << 10);
  }
  std::mt19937 rng(11);
  for (int i = 0; i < 20000; ++i) {
    const std::string k = "patient/" + std::to_string(rng() % 3000);
    MutationView m;
    m.key = k;
    std::string v;
    if (rng() % 5 == 0) {
      m.type = MutationType::kDelete;
      model.erase(k);
    } else {
      v = std::string(rng() % 64, static_cast<char>('a' + i % 26));
      m.type = MutationType::kPut;
      m.value = v;
      model[k] = v;
    }
    ASSERT_TRUE(stage[PartitionOf(k, 3)].Stage(m, !base, scratch_.get()).ok());
  }
  size_t runs = 0;
  for (const StagePartition& p : stage) runs += p.runs.size();
  EXPECT_GT(runs, 0u);
  EXPECT_LT(runs, 100u);

  StagedWriteOptions o;
  o.ranges = 16;
  o.writers = 4;
  o.keep_tombstones = base;
  if (base) {
    o.base = db_;
    o.base_cf = db_->DefaultColumnFamily();
  }
  auto digests = WriteStagedState(stage, o, sink_.get());
  ASSERT_TRUE(digests.ok()) << digests.status();
  EXPECT_GT(digests->size(), 1u);  // Cut into ranges.
  StateDigest after = before;
  for (const StateDigest& d : *digests) after.Merge(d);
  EXPECT_EQ(Contents(), model);
  EXPECT_EQ(after, DigestOf(model));
}

INSTANTIATE_TEST_SUITE_P(EmptyOrNot, StagedWriteTest, ::testing::Bool());

}  // namespace
}  // namespace wayback::rocksdb_internal
