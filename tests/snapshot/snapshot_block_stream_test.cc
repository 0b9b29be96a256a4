// Copyright 2026 The Wayback Authors.
//
// SnapshotBlockStream: in-order delivery whatever the thread count and
// window, the prefix-then-error behaviour on a bad block, the digest check at
// the end, and early destruction.

#include "src/snapshot/snapshot_block_stream.h"

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "src/snapshot/snapshot_file.h"
#include "src/snapshot/snapshot_format.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "tests/testutil/fault_injection_storage.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

using testing::Pairs;

class SnapshotBlockStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pairs_ = testing::RandomPairs(21, 5000, 10, 50);
    SnapshotWriterOptions o;
    o.lsn = 3;
    o.block_size = 1024;
    auto info = testing::WritePairs(storage_.get(), o, pairs_);
    ASSERT_TRUE(info.ok());
    name_ = info->name;
    ASSERT_GT(info->block_count, 50u);
  }

  // Drains a stream; returns its final status.
  absl::Status Collect(const SnapshotFile* file,
                       const SnapshotBlockStreamOptions& options, Pairs* out,
                       size_t* blocks) {
    SnapshotBlockStream stream(file, options);
    *blocks = 0;
    while (const SnapshotBlock* b = stream.Next()) {
      EXPECT_EQ(*blocks, b->index());
      ++*blocks;
      auto it = b->pairs();
      std::string_view k, v;
      while (it.Next(&k, &v)) out->emplace_back(k, v);
    }
    EXPECT_EQ(nullptr, stream.Next());  // Stays at the end.
    return stream.status();
  }

  std::unique_ptr<Storage> storage_ = NewMemoryStorage();
  Pairs pairs_;
  std::string name_;
};

TEST_F(SnapshotBlockStreamTest, DeliversEveryBlockInOrder) {
  auto file = SnapshotFile::Open(storage_.get(), name_);
  ASSERT_TRUE(file.ok());
  for (int threads : {1, 2, 4}) {
    for (size_t window : {size_t{1}, size_t{3}, size_t{0}}) {
      Pairs got;
      size_t blocks = 0;
      absl::Status s =
          Collect(file->get(), {threads, window, true}, &got, &blocks);
      EXPECT_TRUE(s.ok()) << s;
      EXPECT_EQ((*file)->block_count(), blocks);
      EXPECT_TRUE(got == pairs_) << threads << " threads, window " << window;
    }
  }
}

TEST_F(SnapshotBlockStreamTest, EmptySnapshot) {
  SnapshotWriterOptions o;
  o.lsn = 99;
  auto info = testing::WritePairs(storage_.get(), o, {});
  ASSERT_TRUE(info.ok());
  auto file = SnapshotFile::Open(storage_.get(), info->name);
  ASSERT_TRUE(file.ok());
  Pairs got;
  size_t blocks = 0;
  EXPECT_TRUE(Collect(file->get(), {}, &got, &blocks).ok());
  EXPECT_EQ(0u, blocks);
}

TEST_F(SnapshotBlockStreamTest, DamagedBlockEndsTheStreamAfterTheGoodPrefix) {
  auto bytes = storage_->ReadAll(name_);
  ASSERT_TRUE(bytes.ok());
  auto file = SnapshotFile::Open(storage_.get(), name_);
  ASSERT_TRUE(file.ok());
  const size_t bad_block = 17;
  const auto& e = (*file)->block(bad_block);
  std::string bad = *bytes;
  bad[e.offset + snapshot_format::kBlockHeaderSize + 5] ^= 0x20;
  testing::Overwrite(storage_.get(), name_, bad);
  file = SnapshotFile::Open(storage_.get(), name_);
  ASSERT_TRUE(file.ok());
  size_t pairs_before = 0;
  for (size_t i = 0; i < bad_block; ++i)
    pairs_before += (*file)->block(i).pair_count;
  for (int threads : {1, 3}) {
    Pairs got;
    size_t blocks = 0;
    absl::Status s = Collect(file->get(), {threads, 0, true}, &got, &blocks);
    EXPECT_EQ(absl::StatusCode::kDataLoss, s.code()) << s;
    EXPECT_NE(std::string::npos,
              std::string(s.message()).find("block 17 checksum mismatch"));
    EXPECT_EQ(bad_block, blocks);
    ASSERT_EQ(pairs_before, got.size());
    EXPECT_TRUE(std::equal(got.begin(), got.end(), pairs_.begin()));
  }
}

TEST_F(SnapshotBlockStreamTest, DigestMismatchReportedAtTheEnd) {
  auto bytes = storage_->ReadAll(name_);
  ASSERT_TRUE(bytes.ok());
  std::string bad = *bytes;
  size_t f = bad.size() - snapshot_format::kFooterSize;
  testing::SetFixed64(&bad, f + 32, testing::Fixed64At(bad, f + 32) + 1);
  testing::FixFooterCrc(&bad);
  testing::Overwrite(storage_.get(), name_, bad);
  auto file = SnapshotFile::Open(storage_.get(), name_);
  ASSERT_TRUE(file.ok());
  Pairs got;
  size_t blocks = 0;
  absl::Status s = Collect(file->get(), {2, 0, true}, &got, &blocks);
  EXPECT_EQ(absl::StatusCode::kDataLoss, s.code()) << s;
  EXPECT_TRUE(got == pairs_);
  // Without the digest check the same stream ends OK.
  got.clear();
  EXPECT_TRUE(Collect(file->get(), {2, 0, false}, &got, &blocks).ok());
}

TEST_F(SnapshotBlockStreamTest, ReadErrorKeepsItsCode) {
  testing::FaultInjectionStorage fs(storage_.get());
  auto file = SnapshotFile::Open(&fs, name_);
  ASSERT_TRUE(file.ok());
  fs.FailNth(testing::FaultOp::kRead, 10, testing::FaultKind::kUnavailable);
  Pairs got;
  size_t blocks = 0;
  absl::Status s = Collect(file->get(), {1, 0, true}, &got, &blocks);
  EXPECT_EQ(absl::StatusCode::kUnavailable, s.code()) << s;
  EXPECT_EQ(9u, blocks);
}

TEST_F(SnapshotBlockStreamTest, EarlyDestructionStopsTheWorkers) {
  auto file = SnapshotFile::Open(storage_.get(), name_);
  ASSERT_TRUE(file.ok());
  for (int round = 0; round < 20; ++round) {
    SnapshotBlockStream stream(file->get(), {3, 2, true});
    for (int i = 0; i < round % 5; ++i) ASSERT_NE(nullptr, stream.Next());
  }  // Each destructor must return (no hang, no use after free).
}

}  // namespace
}  // namespace wayback
