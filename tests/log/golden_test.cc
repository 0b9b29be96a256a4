// Copyright 2026 The Wayback Authors.
//
// The committed golden segments (format v1) must read back, in every later
// version, as exactly the records of golden.h.

#include "tests/log/golden.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"
#include "wayback/log.h"

namespace wayback::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::unique_ptr<Storage> GoldenStorage(bool with_live) {
  auto s = NewMemoryStorage();
  EXPECT_TRUE(s->WriteAll(GoldenSealedName(),
                          ReadFile(TestDataDir() + "/golden_v1_sealed.seg"))
                  .ok());
  if (with_live) {
    EXPECT_TRUE(s->WriteAll(GoldenLiveName(),
                            ReadFile(TestDataDir() + "/golden_v1_live.seg"))
                    .ok());
  }
  return s;
}

TEST(GoldenTest, SealedAndLiveSegmentsReadExactly) {
  auto s = GoldenStorage(true);
  auto got = ReadLog(s.get());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->torn);
  EXPECT_EQ(got->records, GoldenRecords());
}

TEST(GoldenTest, SealedSegmentInfo) {
  auto s = GoldenStorage(false);
  auto info = ReadSegmentInfo(s.get(), GoldenSealedName());
  ASSERT_TRUE(info.ok()) << info.status();
  auto want = GoldenRecords();
  EXPECT_TRUE(info->sealed);
  EXPECT_EQ(info->timeline, 1u);
  EXPECT_EQ(info->first_lsn, 1u);
  EXPECT_EQ(info->last_lsn, kGoldenSealedLast);
  EXPECT_EQ(info->first_commit_time, want[0].commit_time);
  EXPECT_EQ(info->last_commit_time, want[kGoldenSealedLast - 1].commit_time);
  EXPECT_EQ(info->record_count, kGoldenSealedLast);
  uint64_t txns = 0, mutations = 0;
  for (Lsn l = 1; l <= kGoldenSealedLast; ++l) {
    txns += want[l - 1].type == RecordType::kTransaction;
    mutations += want[l - 1].mutations.size();
  }
  EXPECT_EQ(info->transaction_count, txns);
  EXPECT_EQ(info->mutation_count, mutations);
  EXPECT_GT(info->blocks.size(), 2u);
}

TEST(GoldenTest, SeekInGoldenLog) {
  auto s = GoldenStorage(true);
  auto want = GoldenRecords();
  for (Lsn start : {Lsn{1}, Lsn{17}, Lsn{30}, Lsn{31}, Lsn{40}}) {
    LogReaderOptions o;
    o.start_lsn = start;
    auto got = ReadLog(s.get(), o);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->records,
              std::vector<OwnedRecord>(want.begin() + (start - 1), want.end()));
  }
  // A tie: the first record at that time.
  LogReaderOptions o;
  o.start_time = want[4].commit_time;
  auto got = ReadLog(s.get(), o);
  ASSERT_TRUE(got.ok());
  ASSERT_FALSE(got->records.empty());
  EXPECT_EQ(got->records.front().commit_time, want[4].commit_time);
  EXPECT_LT(want[got->records.front().lsn - 2].commit_time,
            want[4].commit_time);
}

TEST(GoldenTest, WriterContinuesAGoldenLog) {
  auto s = GoldenStorage(true);
  ManualClock clock(kGoldenT0 + 1'000'000'000'000);
  LogWriterOptions o;
  o.clock = &clock;
  o.segment_max_age = absl::InfiniteDuration();
  auto w = LogWriter::Open(s.get(), o);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->open_report().last_lsn, kGoldenLast);
  EXPECT_TRUE((*w)->open_report().torn_object.empty());
  Transaction t;
  t.Put("after", "golden");
  auto lsn = (*w)->Append(t);
  ASSERT_TRUE(lsn.ok());
  EXPECT_EQ(*lsn, kGoldenLast + 1);
  ASSERT_TRUE((*w)->Close().ok());
  auto got = ReadLog(s.get());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->records.size(), kGoldenLast + 1);
}

}  // namespace
}  // namespace wayback::testing
