// Copyright 2026 The Wayback Authors.
//
// I/O failures through the fault-injecting storage (an error is reported with
// its own code, never as corruption or as the end of the snapshot, and a
// failed write publishes nothing), and concurrent use of one reader.

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "src/snapshot/snapshot_file.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "tests/testutil/fault_injection_storage.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

using testing::Drain;
using testing::FaultInjectionStorage;
using testing::FaultKind;
using testing::FaultOp;
using testing::Pairs;
using testing::RandomPairs;
using testing::WritePairs;

SnapshotWriterOptions SmallBlocks(Lsn lsn) {
  SnapshotWriterOptions o;
  o.lsn = lsn;
  o.block_size = 512;
  return o;
}

class SnapshotIoTest : public ::testing::Test {
 protected:
  std::unique_ptr<Storage> mem_ = NewMemoryStorage();
  FaultInjectionStorage fs_{mem_.get()};
  Pairs pairs_ = RandomPairs(11, 2000, 12, 40);
};

TEST_F(SnapshotIoTest, FailedBlockWriteStopsTheWriterAndPublishesNothing) {
  fs_.FailNth(FaultOp::kWrite, 3, FaultKind::kEio);
  auto w = SnapshotWriter::Create(&fs_, SmallBlocks(4));
  ASSERT_TRUE(w.ok());
  absl::Status first;
  for (const auto& [k, v] : pairs_) {
    first = (*w)->Add(k, v);
    if (!first.ok()) break;
  }
  EXPECT_EQ(absl::StatusCode::kInternal, first.code()) << first;
  EXPECT_NE(std::string::npos,
            std::string(first.message()).find(SnapshotObjectName(1, 4)));
  // Sticky: the writer refuses to go on after losing bytes.
  EXPECT_EQ(absl::StatusCode::kInternal, (*w)->Add("\xff\xff", "").code());
  EXPECT_EQ(absl::StatusCode::kInternal, (*w)->Finish().status().code());
  w->reset();
  EXPECT_EQ(absl::StatusCode::kNotFound,
            mem_->Stat(SnapshotObjectName(1, 4)).status().code());
}

TEST_F(SnapshotIoTest, FailedCloseIsReportedAndPublishesNothing) {
  fs_.FailNth(FaultOp::kClose, 1, FaultKind::kUnavailable);
  auto info = WritePairs(&fs_, SmallBlocks(5), pairs_);
  EXPECT_EQ(absl::StatusCode::kUnavailable, info.status().code())
      << info.status();
  EXPECT_EQ(absl::StatusCode::kNotFound,
            mem_->Stat(SnapshotObjectName(1, 5)).status().code());
}

TEST_F(SnapshotIoTest, WriteSnapshotPropagatesAnUnsortedSource) {
  Pairs bad = {{"b", "1"}, {"a", "2"}};
  auto info = WritePairs(&fs_, SmallBlocks(6), bad);
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, info.status().code());
  EXPECT_EQ(absl::StatusCode::kNotFound,
            mem_->Stat(SnapshotObjectName(1, 6)).status().code());
}

TEST_F(SnapshotIoTest, ReadErrorMidIterationIsNotTheEnd) {
  ASSERT_TRUE(WritePairs(&fs_, SmallBlocks(7), pairs_).ok());
  auto reader = SnapshotReader::Open(&fs_, SnapshotObjectName(1, 7));
  ASSERT_TRUE(reader.ok());
  ASSERT_GT((*reader)->info().block_count, 10u);
  fs_.FailNth(FaultOp::kRead, 5, FaultKind::kUnavailable);
  Pairs got;
  auto it = (*reader)->NewIterator();
  absl::Status s = Drain(it.get(), &got);
  EXPECT_EQ(absl::StatusCode::kUnavailable, s.code()) << s;
  ASSERT_LT(got.size(), pairs_.size());
  EXPECT_TRUE(std::equal(got.begin(), got.end(), pairs_.begin()));
  // The error stays: Next() does not resume past the failed block.
  std::string_view k, v;
  EXPECT_FALSE(it->Next(&k, &v));
  EXPECT_EQ(absl::StatusCode::kUnavailable, it->status().code());
}

TEST_F(SnapshotIoTest, ReadErrorInGetAndVerify) {
  ASSERT_TRUE(WritePairs(&fs_, SmallBlocks(8), pairs_).ok());
  auto reader = SnapshotReader::Open(&fs_, SnapshotObjectName(1, 8));
  ASSERT_TRUE(reader.ok());
  fs_.FailNth(FaultOp::kRead, 1, FaultKind::kEio);
  EXPECT_EQ(absl::StatusCode::kInternal,
            (*reader)->Get(pairs_[100].first).status().code());
  fs_.FailNth(FaultOp::kRead, 3, FaultKind::kUnavailable);
  EXPECT_EQ(absl::StatusCode::kUnavailable, (*reader)->Verify().code());
  // And with the faults gone, the same reader answers correctly.
  auto got = (*reader)->Get(pairs_[100].first);
  ASSERT_TRUE(got.ok() && got->has_value());
  EXPECT_EQ(pairs_[100].second, **got);
}

TEST_F(SnapshotIoTest, ConcurrentReadersOfOneSnapshot) {
  ASSERT_TRUE(WritePairs(mem_.get(), SmallBlocks(9), pairs_).ok());
  auto opened = SnapshotFile::Open(mem_.get(), SnapshotObjectName(1, 9));
  ASSERT_TRUE(opened.ok());
  SnapshotFile* file = opened->get();
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      // Two threads iterate, two look up; all share the reader.
      if (t % 2 == 0) {
        Pairs got;
        if (!Drain(file->NewIterator().get(), &got).ok() || got != pairs_) {
          ++failures;
        }
      } else {
        for (size_t i = t; i < pairs_.size(); i += 7) {
          auto g = file->Get(pairs_[i].first);
          if (!g.ok() || !g->has_value() || **g != pairs_[i].second) ++failures;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(0, failures.load());
}

TEST_F(SnapshotIoTest, BlocksReadInParallelReassembleTheSnapshot) {
  ASSERT_TRUE(WritePairs(mem_.get(), SmallBlocks(10), pairs_).ok());
  auto opened = SnapshotFile::Open(mem_.get(), SnapshotObjectName(1, 10));
  ASSERT_TRUE(opened.ok());
  SnapshotFile* file = opened->get();
  const size_t n = file->block_count();
  std::vector<Pairs> per_block(n);
  std::atomic<size_t> next{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&] {
      SnapshotBlock block;
      for (size_t i; (i = next++) < n;) {
        if (!file->ReadBlock(i, &block).ok()) {
          ++failures;
          continue;
        }
        auto it = block.pairs();
        std::string_view k, v;
        while (it.Next(&k, &v)) per_block[i].emplace_back(k, v);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(0, failures.load());
  Pairs all;
  for (const Pairs& p : per_block) all.insert(all.end(), p.begin(), p.end());
  EXPECT_TRUE(all == pairs_);
}

}  // namespace
}  // namespace wayback
