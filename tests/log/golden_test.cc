// Copyright 2026 The Wayback Authors.
//
// The committed golden segments (formats v1 and v2) must read back, in every
// later version, as exactly the records of golden.h; the v2 worked example
// must be the bytes of segment_format.md, V2.14.

#include "tests/log/golden.h"

#include <fstream>
#include <sstream>

#include "gtest/gtest.h"
#include "src/log/segment_format.h"
#include "src/storage/repository_format.h"
#include "src/util/coding.h"
#include "tests/testutil/testutil.h"
#include "wayback/log.h"
#include "wayback/repository_identity.h"

namespace wayback::testing {
namespace {

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The golden segments of format `version` (v2: with the identity object of
// the repository they were written in).
std::unique_ptr<Storage> GoldenStorage(bool with_live, int version = 1) {
  auto s = NewMemoryStorage();
  if (version == 2) {
    RepositoryIdentity id;
    id.id = kGoldenRepositoryId;
    id.created = kGoldenT0;
    id.source = "golden";
    EXPECT_TRUE(
        s->WriteAll(kIdentityObjectName, repository_format::Encode(id)).ok());
  }
  const std::string prefix =
      TestDataDir() + "/golden_v" + std::to_string(version);
  EXPECT_TRUE(
      s->WriteAll(GoldenSealedName(), ReadFile(prefix + "_sealed.seg")).ok());
  if (with_live) {
    EXPECT_TRUE(
        s->WriteAll(GoldenLiveName(), ReadFile(prefix + "_live.seg")).ok());
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

TEST(GoldenV2Test, SealedAndLiveSegmentsReadExactly) {
  auto s = GoldenStorage(true, 2);
  auto got = ReadLog(s.get());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_FALSE(got->torn);
  EXPECT_EQ(got->records, GoldenV2Records());
}

TEST(GoldenV2Test, EverySegmentAndBlockField) {
  auto s = GoldenStorage(true, 2);
  const auto want = GoldenV2Records();
  for (bool sealed : {true, false}) {
    SCOPED_TRACE(sealed);
    auto info = ReadSegmentInfo(s.get(),
                                sealed ? GoldenSealedName() : GoldenLiveName());
    ASSERT_TRUE(info.ok()) << info.status();
    const Lsn first = sealed ? 1 : kGoldenSealedLast + 1;
    const Lsn last = sealed ? kGoldenSealedLast : kGoldenLast;
    EXPECT_EQ(info->format_version, 2u);
    EXPECT_EQ(info->sealed, sealed);
    EXPECT_EQ(info->timeline, 1u);
    EXPECT_EQ(info->first_lsn, first);
    EXPECT_EQ(info->last_lsn, last);
    EXPECT_EQ(info->record_count, last - first + 1);
    EXPECT_EQ(info->torn_bytes, 0u);
    EXPECT_EQ(info->first_commit_time, want[first - 1].commit_time);
    EXPECT_EQ(info->last_commit_time, want[last - 1].commit_time);
    EXPECT_EQ(info->min_commit_time, want[first - 1].commit_time);
    EXPECT_EQ(info->max_commit_time, want[last - 1].commit_time);
    std::optional<uint64_t> first_pos, last_pos;
    uint64_t txns = 0, mutations = 0;
    for (Lsn l = first; l <= last; ++l) {
      const OwnedRecord& r = want[l - 1];
      if (r.source_position) {
        if (!first_pos) first_pos = r.source_position;
        last_pos = r.source_position;
      }
      txns += r.type == RecordType::kTransaction;
      mutations += r.mutations.size();
    }
    // A live segment's first position needs its records decoded.
    EXPECT_EQ(info->first_source_position, sealed ? first_pos : std::nullopt);
    EXPECT_EQ(info->last_source_position, last_pos);
    if (sealed) {
      EXPECT_EQ(info->transaction_count, txns);
      EXPECT_EQ(info->mutation_count, mutations);
    }
    ASSERT_GT(info->blocks.size(), 2u);
    uint64_t offset = log_format::kSegmentHeaderSizeV2;
    Lsn next = first;
    for (const BlockInfo& b : info->blocks) {
      EXPECT_EQ(b.format_version, 2u);
      EXPECT_EQ(b.offset, offset);
      EXPECT_EQ(b.first_lsn, next);
      EXPECT_EQ(b.record_count, b.last_lsn - b.first_lsn + 1);
      EXPECT_EQ(b.first_commit_time, want[b.first_lsn - 1].commit_time);
      EXPECT_EQ(b.last_commit_time, want[b.last_lsn - 1].commit_time);
      EXPECT_EQ(b.min_commit_time, b.first_commit_time);
      EXPECT_EQ(b.max_commit_time, b.last_commit_time);
      std::optional<uint64_t> block_pos;
      for (Lsn l = b.first_lsn; l <= b.last_lsn; ++l) {
        if (want[l - 1].source_position)
          block_pos = want[l - 1].source_position;
      }
      EXPECT_EQ(b.last_source_position, block_pos);
      offset += b.stored_size;
      next = b.last_lsn + 1;
    }
    EXPECT_EQ(next, last + 1);
  }
  // Every position is found, and no other.
  for (const OwnedRecord& r : want) {
    if (!r.source_position) continue;
    auto found = FindBySourcePosition(s.get(), 1, *r.source_position);
    ASSERT_TRUE(found.ok() && found->has_value()) << r.lsn;
    EXPECT_EQ((*found)->lsn, r.lsn);
    auto absent = FindBySourcePosition(s.get(), 1, *r.source_position + 1);
    ASSERT_TRUE(absent.ok());
    EXPECT_EQ(*absent, std::nullopt);
  }
}

TEST(GoldenV2Test, WriterResumesAtTheGoldenPosition) {
  auto s = GoldenStorage(true, 2);
  ManualClock clock(kGoldenT0 + 1'000'000'000'000);
  LogWriterOptions o;
  o.format_version = 2;
  o.clock = &clock;
  o.segment_max_age = absl::InfiniteDuration();
  auto w = LogWriter::Open(s.get(), o);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->open_report().last_lsn, kGoldenLast);
  EXPECT_EQ((*w)->open_report().last_source_position,
            GoldenV2Records()[kGoldenLast - 1].source_position);
}

// The worked example of segment_format.md V2.14, which an independent script
// computed from the specification: the checksums printed there must be the
// ones this code writes.
TEST(GoldenV2Test, WorkedExampleIsTheSpecification) {
  const std::string data = ReadFile(TestDataDir() + "/golden_v2_example.seg");
  ASSERT_EQ(data.size(), 531u);
  auto u32 = [&](size_t at) { return DecodeFixed32(data.data() + at); };
  auto u64 = [&](size_t at) { return DecodeFixed64(data.data() + at); };
  EXPECT_EQ(data.substr(0, 8), "WBKLOGHD");
  EXPECT_EQ(u32(8), 2u);
  EXPECT_EQ(u32(12), 160u);
  EXPECT_EQ(u64(40), 0x18867251edfa0000u);
  EXPECT_EQ(u32(92), 0xd05ac4b5u);   // b5c4 5ad0
  EXPECT_EQ(u32(156), 0xd17a1d44u);  // 441d 7ad1
  EXPECT_EQ(u32(160), 0x7339e143u);  // 43e1 3973: block header_crc
  EXPECT_EQ(u32(164), 0x1d473148u);  // 4831 471d: payload_crc
  EXPECT_EQ(data.substr(256, 19),
            std::string("\x01\x00\x00\x03\x07\x80\x20\x02\x0a\x01\x01"
                        "k\x01v\x02\x03old",
                        19));
  EXPECT_EQ(data.substr(275, 8), "WBKLOGIX");
  EXPECT_EQ(u32(275 + 12), 1u);  // footer_flags HAS_SOURCE_POSITION
  EXPECT_EQ(u64(275 + 120), 4096u);
  EXPECT_EQ(u64(275 + 128), 4096u);
  EXPECT_EQ(u64(435), 160u);         // index[0] offset
  EXPECT_EQ(u32(435 + 8), 115u);     // stored size
  EXPECT_EQ(u64(435 + 64), 4096u);   // position
  EXPECT_EQ(data[435 + 72], 4);      // frame flags
  EXPECT_EQ(u32(515), 240u);         // footer_length
  EXPECT_EQ(u32(519), 0x17126d7fu);  // 7f6d 1217
  EXPECT_EQ(data.substr(523), "WBKLOGND");
  // And it reads back as the example's transaction.
  auto s = NewMemoryStorage();
  RepositoryIdentity id;
  id.id = kGoldenRepositoryId;
  ASSERT_TRUE(
      s->WriteAll(kIdentityObjectName, repository_format::Encode(id)).ok());
  ASSERT_TRUE(s->WriteAll(SegmentObjectName(1, 1, true), data).ok());
  auto got = ReadLog(s.get());
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->records.size(), 1u);
  EXPECT_EQ(got->records[0].txid, 7u);
  EXPECT_EQ(got->records[0].source_position, 4096u);
  EXPECT_EQ(got->records[0].commit_time, 1'767'225'600'000'000'000);
}

}  // namespace
}  // namespace wayback::testing
