// Copyright 2026 The Wayback Authors.
//
// Segment format version 2 (src/log/segment_format.md, "Version 2"): round
// trips with and without source positions, resume (last_source_position on
// open, after a close and after a torn tail), logs mixing v1 and v2
// segments, the writer's refusals, the reader's refusal of what this build
// does not implement, byte surgery on every v2 field, and
// FindBySourcePosition.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "src/log/segment.h"
#include "src/log/segment_format.h"
#include "src/storage/repository_format.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "tests/log/log_test_util.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/repository_identity.h"
#include "wayback/storage.h"

namespace wayback::testing {
namespace {

using ::testing::HasSubstr;
namespace lf = log_format;

constexpr char kRepoId[] = "00112233445566778899aabbccddeeff";
constexpr CommitTime kT0 = 1'767'225'600'000'000'000;

void WriteIdentity(Storage* s, const std::string& id = kRepoId) {
  RepositoryIdentity identity;
  identity.id = id;
  identity.created = kT0;
  identity.source = "test";
  ASSERT_TRUE(
      s->WriteAll(kIdentityObjectName, repository_format::Encode(identity))
          .ok());
}

class FormatV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    mem_ = NewMemoryStorage();
    WriteIdentity(mem_.get());
  }

  LogWriterOptions Options(uint32_t version = 2) {
    LogWriterOptions o;
    o.format_version = version;
    o.durability = Durability::kBuffered;
    o.segment_max_age = absl::InfiniteDuration();
    o.clock = &clock_;
    o.block_size = 200;  // Several records per block, many blocks.
    return o;
  }

  std::unique_ptr<LogWriter> Open(uint32_t version = 2) {
    auto w = LogWriter::Open(mem_.get(), Options(version));
    EXPECT_TRUE(w.ok()) << w.status();
    return w.ok() ? std::move(*w) : nullptr;
  }

  // Appends a transaction with `pos` (or none) and remembers it.
  Lsn Append(LogWriter* w, std::optional<uint64_t> pos) {
    Transaction t = RandomTxn(rng_);
    t.commit_time = clock_.NowNanos();
    t.source_position = pos;
    clock_.Advance(1000);
    auto lsn = w->Append(t);
    EXPECT_TRUE(lsn.ok()) << lsn.status();
    if (!lsn.ok()) return kNoLsn;
    expected_.push_back(FromTxn(*lsn, *t.commit_time, t));
    return *lsn;
  }
  Lsn AppendRestorePoint(LogWriter* w, std::optional<uint64_t> pos) {
    const CommitTime t = clock_.NowNanos();
    clock_.Advance(1000);
    const std::string name = "rp-" + std::to_string(expected_.size());
    auto lsn = w->AppendRestorePoint(name, t, pos);
    EXPECT_TRUE(lsn.ok()) << lsn.status();
    if (!lsn.ok()) return kNoLsn;
    OwnedRecord r;
    r.type = RecordType::kRestorePoint;
    r.lsn = *lsn;
    r.commit_time = t;
    r.source_position = pos;
    r.restore_point_name = name;
    expected_.push_back(r);
    return *lsn;
  }

  void ExpectLogIsExpected() {
    auto got = ReadLog(mem_.get());
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_EQ(got->records, expected_);
  }

  // Replaces mem_ with what a crash of its writer would leave: a copy of
  // every object (the memory storage keeps what was appended), without the
  // writer's lock. The original lives on for the writers still using it.
  void Crash() {
    auto copy = NewMemoryStorage();
    auto list = mem_->List("");
    EXPECT_TRUE(list.ok());
    for (const ObjectInfo& o : *list) {
      if (o.name == lf::kLockName) continue;
      EXPECT_TRUE(copy->WriteAll(o.name, Read(o.name)).ok());
    }
    crashed_.push_back(std::move(mem_));
    mem_ = std::move(copy);
  }

  std::string Read(const std::string& name) {
    auto d = mem_->ReadAll(name);
    EXPECT_TRUE(d.ok()) << d.status();
    return d.ok() ? *d : std::string();
  }

  std::vector<std::unique_ptr<Storage>> crashed_;
  std::unique_ptr<Storage> mem_;
  ManualClock clock_{kT0};
  std::mt19937_64 rng_{17};
  std::vector<OwnedRecord> expected_;
};

TEST_F(FormatV2Test, RoundTripWithAndWithoutPositions) {
  auto w = Open();
  uint64_t pos = 100;
  for (int i = 0; i < 60; ++i) {
    const bool with = i % 3 != 1;
    if (i % 7 == 3) {
      AppendRestorePoint(w.get(), with ? std::optional(pos) : std::nullopt);
    } else {
      Append(w.get(), with ? std::optional(pos) : std::nullopt);
    }
    if (with) pos += 1 + i % 4;
    if (i == 25) {
      ASSERT_TRUE(w->Roll().ok());
    }
  }
  EXPECT_EQ(w->last_source_position(), pos - 1 - 59 % 4);
  ASSERT_TRUE(w->Close().ok());
  ExpectLogIsExpected();
  // Every segment is version 2 with the repository's id, and its footer's
  // summary says what the records say.
  for (const std::string& name : SegmentNames(mem_.get())) {
    auto info = ReadSegmentInfo(mem_.get(), name);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->format_version, 2u);
    EXPECT_TRUE(info->sealed);
    EXPECT_EQ(info->min_commit_time, info->first_commit_time);
    EXPECT_EQ(info->max_commit_time, info->last_commit_time);
    std::optional<uint64_t> first, last;
    for (const OwnedRecord& r : expected_) {
      if (r.lsn < info->first_lsn || r.lsn > info->last_lsn ||
          !r.source_position) {
        continue;
      }
      if (!first) first = r.source_position;
      last = r.source_position;
    }
    EXPECT_EQ(info->first_source_position, first);
    EXPECT_EQ(info->last_source_position, last);
    for (const BlockInfo& b : info->blocks) {
      EXPECT_EQ(b.format_version, 2u);
      std::optional<uint64_t> block_last;
      for (const OwnedRecord& r : expected_) {
        if (r.lsn >= b.first_lsn && r.lsn <= b.last_lsn && r.source_position) {
          block_last = r.source_position;
        }
      }
      EXPECT_EQ(b.last_source_position, block_last);
    }
    std::string data = Read(name);
    EXPECT_EQ(data.substr(lf::kHdrRepositoryId, lf::kRepositoryIdSize),
              *lf::RepositoryIdFromHex(kRepoId));
  }
}

TEST_F(FormatV2Test, VersionTwoNeedsTheRepositoryIdentity) {
  auto bare = NewMemoryStorage();
  auto w = LogWriter::Open(bare.get(), Options());
  ASSERT_FALSE(w.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(w.status())) << w.status();
  EXPECT_THAT(w.status().message(), HasSubstr(bare->uri()));
  EXPECT_THAT(w.status().message(), HasSubstr("wayback.repository"));
  // A damaged identity object is no identity either.
  ASSERT_TRUE(bare->WriteAll(kIdentityObjectName, "garbage").ok());
  w = LogWriter::Open(bare.get(), Options());
  EXPECT_TRUE(absl::IsFailedPrecondition(w.status())) << w.status();
  // Version 1 needs none, and unknown versions are refused.
  EXPECT_TRUE(LogWriter::Open(bare.get(), Options(1)).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(
      LogWriter::Open(mem_.get(), Options(3)).status()));
}

TEST_F(FormatV2Test, PositionsMustStrictlyIncrease) {
  auto w = Open();
  Append(w.get(), 10);
  Transaction t;
  t.Put("k", "v");
  t.source_position = 10;
  auto r = w->Append(t);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status())) << r.status();
  EXPECT_THAT(r.status().message(), HasSubstr("10"));
  t.source_position = 9;
  r = w->Append(t);
  EXPECT_TRUE(absl::IsInvalidArgument(r.status()));
  EXPECT_THAT(r.status().message(), HasSubstr("source position 9"));
  EXPECT_THAT(r.status().message(), HasSubstr(", 10 "));
  EXPECT_TRUE(absl::IsInvalidArgument(
      w->AppendRestorePoint("rp", {}, uint64_t{5}).status()));
  // A refused append assigns no LSN.
  EXPECT_EQ(Append(w.get(), 11), 2u);
  ASSERT_TRUE(w->Close().ok());
  // After a reopen, the last position found on open is the bar.
  w = Open();
  EXPECT_EQ(w->open_report().last_source_position, 11u);
  t.source_position = 11;
  EXPECT_TRUE(absl::IsInvalidArgument(w->Append(t).status()));
  Append(w.get(), 12);
  ASSERT_TRUE(w->Close().ok());
  ExpectLogIsExpected();
}

TEST_F(FormatV2Test, VersionOneRefusesPositions) {
  auto w = Open(1);
  Transaction t;
  t.source_position = 1;
  EXPECT_TRUE(absl::IsInvalidArgument(w->Append(t).status()));
}

TEST_F(FormatV2Test, LastPositionOnOpenFromFootersAndLiveBlocks) {
  {
    auto w = Open();
    EXPECT_EQ(w->open_report().last_source_position, std::nullopt);
    Append(w.get(), 5);
    Append(w.get(), 7);
    ASSERT_TRUE(w->Close().ok());  // Sealed: the footer says 7.
  }
  {
    auto w = Open();
    EXPECT_EQ(w->open_report().last_source_position, 7u);
    EXPECT_EQ(w->last_source_position(), 7u);
    // Newer segments without positions: the search goes back.
    Append(w.get(), std::nullopt);
    ASSERT_TRUE(w->Roll().ok());
    Append(w.get(), std::nullopt);
    ASSERT_TRUE(w->Close().ok());
  }
  auto w = Open();
  EXPECT_EQ(w->open_report().last_source_position, 7u);
  Append(w.get(), 9);
  Append(w.get(), std::nullopt);
  ASSERT_TRUE(w->Sync().ok());
  // Crash: the live segment stays live; its block headers say 9.
  Crash();
  w = Open();
  EXPECT_EQ(w->open_report().last_source_position, 9u);
  ASSERT_TRUE(w->Close().ok());
  ExpectLogIsExpected();
}

// A live segment cut at every byte of its last block: the position on open is
// exactly that of the last intact block, and the writer continues after it.
TEST_F(FormatV2Test, TornTailAtEveryOffsetOfTheLastBlock) {
  auto o = Options();
  o.durability = Durability::kSync;  // One block per append.
  auto w = LogWriter::Open(mem_.get(), o);
  ASSERT_TRUE(w.ok());
  Append(w->get(), 3);
  Append(w->get(), std::nullopt);
  Append(w->get(), 8);  // The last block.
  const std::string live_name = SegmentObjectName(1, 1, false);
  auto info = ReadSegmentInfo(mem_.get(), live_name);
  ASSERT_TRUE(info.ok());
  ASSERT_EQ(info->blocks.size(), 3u);
  const uint64_t start = info->blocks[2].offset;
  const std::string live = Read(live_name);
  ASSERT_EQ(live.size(), start + info->blocks[2].stored_size);
  for (uint64_t cut = start; cut <= live.size(); ++cut) {
    SCOPED_TRACE(cut);
    auto fresh = NewMemoryStorage();
    WriteIdentity(fresh.get());
    ASSERT_TRUE(fresh->WriteAll(live_name, live.substr(0, cut)).ok());
    auto reopened = LogWriter::Open(fresh.get(), o);
    ASSERT_TRUE(reopened.ok()) << reopened.status();
    const LogOpenReport& report = (*reopened)->open_report();
    const bool whole = cut == live.size();
    EXPECT_EQ(report.last_source_position, whole ? 8u : 3u);
    EXPECT_EQ(report.last_lsn, whole ? 3u : 2u);
    EXPECT_EQ(report.torn_bytes, cut - (whole ? cut : start));
    Transaction t;
    t.source_position = whole ? 8 : 3;
    EXPECT_TRUE(absl::IsInvalidArgument((*reopened)->Append(t).status()));
    t.source_position = 9;
    EXPECT_EQ(*(*reopened)->Append(t), whole ? 4u : 3u);
    ASSERT_TRUE((*reopened)->Close().ok());
  }
}

TEST_F(FormatV2Test, MixedVersionOneThenTwo) {
  {
    auto w = Open(1);
    for (int i = 0; i < 5; ++i) Append(w.get(), std::nullopt);
    ASSERT_TRUE(w->Roll().ok());
    for (int i = 0; i < 3; ++i) Append(w.get(), std::nullopt);
    ASSERT_TRUE(w->Sync().ok());
    Crash();  // Leaves a v1 live segment.
  }
  {
    auto w = Open(2);
    ASSERT_NE(w, nullptr);
    EXPECT_EQ(w->open_report().last_source_position, std::nullopt);
    EXPECT_EQ(w->open_report().last_lsn, 8u);
    // The v1 live segment was sealed as it was: no segment mixes versions.
    for (int i = 0; i < 4; ++i) Append(w.get(), 20 + i);
    ASSERT_TRUE(w->Close().ok());
  }
  std::map<std::string, uint32_t> versions;
  for (const std::string& name : SegmentNames(mem_.get())) {
    auto info = ReadSegmentInfo(mem_.get(), name);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_TRUE(info->sealed) << name;
    versions[name] = info->format_version;
  }
  EXPECT_EQ(versions, (std::map<std::string, uint32_t>{
                          {SegmentObjectName(1, 1, true), 1},
                          {SegmentObjectName(1, 6, true), 1},
                          {SegmentObjectName(1, 9, true), 2}}));
  ExpectLogIsExpected();
  // A version 1 writer does not continue a version 2 log.
  auto w1 = LogWriter::Open(mem_.get(), Options(1));
  ASSERT_FALSE(w1.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(w1.status())) << w1.status();
  EXPECT_THAT(w1.status().message(), HasSubstr("format_version 2"));
  // A version 2 writer continues, and finds the position.
  auto w2 = Open(2);
  EXPECT_EQ(w2->open_report().last_source_position, 23u);
}

// Rewrites the header of `name` with `edit` applied and both CRCs fixed.
void EditHeader(Storage* s, const std::string& name,
                const std::function<void(char*)>& edit) {
  std::string data = *s->ReadAll(name);
  edit(data.data());
  EncodeFixed32(data.data() + lf::kHdrCrc,
                crc32c::Mask(crc32c::Value(data.data(), lf::kHdrCrc)));
  EncodeFixed32(data.data() + lf::kHdrCrcV2,
                crc32c::Mask(crc32c::Value(data.data(), lf::kHdrCrcV2)));
  ASSERT_TRUE(Overwrite(s, name, data).ok());
}

TEST_F(FormatV2Test, UnimplementedPartsAreRefusedClearly) {
  {
    auto w = Open();
    Append(w.get(), 1);
    ASSERT_TRUE(w->Close().ok());
  }
  const std::string name = SegmentObjectName(1, 1, true);
  const std::string good = Read(name);
  struct Case {
    const char* what;
    std::function<void(char*)> edit;
    const char* says;
  };
  const std::vector<Case> cases = {
      {"encrypted", [](char* p) { EncodeFixed32(p + lf::kHdrFlags, 1); },
       "ENCRYPTED"},
      {"chained", [](char* p) { EncodeFixed32(p + lf::kHdrFlags, 2); },
       "CHAINED"},
      {"fence", [](char* p) { EncodeFixed32(p + lf::kHdrFlags, 4); }, "FENCE"},
      {"unordered", [](char* p) { EncodeFixed32(p + lf::kHdrFlags, 8); },
       "TIMES_UNORDERED"},
      {"unknown flag", [](char* p) { EncodeFixed32(p + lf::kHdrFlags, 16); },
       "unknown segment flags 16"},
      {"key id", [](char* p) { EncodeFixed32(p + lf::kHdrKeyId, 1); },
       "key id 1"},
      {"key salt", [](char* p) { p[lf::kHdrKeySalt + 3] = 1; }, "key salt"},
      {"chain hash", [](char* p) { p[lf::kHdrPrevChainHash] = 1; },
       "chain hash"},
      {"generation", [](char* p) { EncodeFixed32(p + lf::kHdrGeneration, 1); },
       "generation 1"},
      {"zero id", [](char* p) { std::memset(p + lf::kHdrRepositoryId, 0, 16); },
       "repository id is zero"},
      {"reserved", [](char* p) { p[lf::kHdrReservedV2 + 5] = 1; }, "reserved"},
      {"version 3", [](char* p) { EncodeFixed32(p + lf::kHdrVersion, 3); },
       "unsupported segment format version 3"},
      {"header size",
       [](char* p) { EncodeFixed32(p + lf::kHdrHeaderSize, 96); },
       "bad header size"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    ASSERT_TRUE(Overwrite(mem_.get(), name, good).ok());
    EditHeader(mem_.get(), name, c.edit);
    auto got = ReadLog(mem_.get());
    ASSERT_FALSE(got.ok());
    EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
    EXPECT_THAT(got.status().message(), HasSubstr(c.says));
    EXPECT_THAT(got.status().message(), HasSubstr(name));
  }
  // A frame flag this build does not implement (ENCRYPTED) or know.
  for (uint8_t flag : {uint8_t{1}, uint8_t{2}, uint8_t{8}}) {
    SCOPED_TRACE(flag);
    std::string data = good;
    const size_t b = lf::kSegmentHeaderSizeV2;
    data[b + frame::kFlags] = static_cast<char>(data[b + frame::kFlags] | flag);
    frame::SealFrameHeader(data.data() + b, lf::kBlockHeaderSizeV2);
    ASSERT_TRUE(Overwrite(mem_.get(), name, data).ok());
    auto got = ReadLog(mem_.get());
    EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  }
  // A replacement segment's name over a generation-0 header (V2.11 rule 4):
  // damage, so it is not used, and readers read the segment it would
  // replace (the catalog names it: recovery's format_v2_recovery_test).
  ASSERT_TRUE(Overwrite(mem_.get(), name, good).ok());
  const std::string replacement = "log/00000001-0000000000000001-00000001.seg";
  ASSERT_TRUE(mem_->WriteAll(replacement, good).ok());
  auto loaded = ReadSegmentInfo(mem_.get(), replacement);
  EXPECT_TRUE(absl::IsDataLoss(loaded.status())) << loaded.status();
  EXPECT_THAT(loaded.status().message(),
              HasSubstr("header says generation 0, but the object name says "
                        "generation 1"));
  auto got = ReadLog(mem_.get());
  EXPECT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(LogWriter::Open(mem_.get(), Options()).ok());
  EXPECT_TRUE(FindBySourcePosition(mem_.get(), 1, 1).ok());
}

TEST_F(FormatV2Test, SegmentOfAnotherRepositoryIsDataLoss) {
  {
    auto w = Open();
    Append(w.get(), 1);
    ASSERT_TRUE(w->Close().ok());
  }
  ASSERT_TRUE(mem_->Delete(std::string(kIdentityObjectName)).ok());
  WriteIdentity(mem_.get(), "ffeeddccbbaa99887766554433221100");
  auto got = ReadLog(mem_.get());
  ASSERT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  EXPECT_THAT(got.status().message(), HasSubstr(kRepoId));
  EXPECT_THAT(got.status().message(),
              HasSubstr("ffeeddccbbaa99887766554433221100"));
  auto w = LogWriter::Open(mem_.get(), Options());
  EXPECT_TRUE(absl::IsDataLoss(w.status())) << w.status();
}

// Every byte of a sealed v2 segment is covered by a checksum: flipping any
// one of them is kDataLoss, never a wrong answer.
TEST_F(FormatV2Test, EveryByteFlipOfASealedSegmentIsCaught) {
  {
    auto w = Open();
    for (int i = 0; i < 12; ++i) {
      Append(w.get(), i % 4 == 2 ? std::nullopt : std::optional<uint64_t>(i));
    }
    ASSERT_TRUE(w->Close().ok());
  }
  const std::string name = SegmentObjectName(1, 1, true);
  const std::string good = Read(name);
  for (size_t i = 0; i < good.size(); ++i) {
    for (uint8_t mask : {uint8_t{0x01}, uint8_t{0x80}}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ mask);
      ASSERT_TRUE(Overwrite(mem_.get(), name, bad).ok());
      auto got = ReadLog(mem_.get());
      ASSERT_FALSE(got.ok()) << "byte " << i << " mask " << int{mask};
      EXPECT_TRUE(absl::IsDataLoss(got.status()))
          << "byte " << i << ": " << got.status();
      EXPECT_FALSE(FindBySourcePosition(mem_.get(), 1, 5).ok() &&
                   FindBySourcePosition(mem_.get(), 1, 5)->has_value() &&
                   (*FindBySourcePosition(mem_.get(), 1, 5))->lsn != 6)
          << "byte " << i;
    }
  }
}

// A live v2 segment with one byte flipped anywhere: a torn tail if the flip
// is in the last block (the records before it are read, nothing else), and
// kDataLoss anywhere else (a valid block follows, or the header was synced);
// never a wrong record.
TEST_F(FormatV2Test, EveryByteFlipOfALiveSegmentIsDataLossOrATornTail) {
  auto o = Options();
  o.durability = Durability::kSync;  // One block per append.
  auto w = LogWriter::Open(mem_.get(), o);
  ASSERT_TRUE(w.ok());
  for (uint64_t i = 0; i < 4; ++i) Append(w->get(), 10 + i);
  const std::string name = SegmentObjectName(1, 1, false);
  const std::string good = Read(name);
  auto info = ReadSegmentInfo(mem_.get(), name);
  ASSERT_TRUE(info.ok());
  const uint64_t last_block = info->blocks.back().offset;
  auto fresh = NewMemoryStorage();
  WriteIdentity(fresh.get());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] = static_cast<char>(bad[i] ^ 0x10);
    ASSERT_TRUE(Overwrite(fresh.get(), name, bad).ok());
    auto got = ReadLog(fresh.get());
    if (i < last_block) {
      ASSERT_FALSE(got.ok()) << "byte " << i;
      EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
    } else {
      ASSERT_TRUE(got.ok()) << "byte " << i << ": " << got.status();
      ASSERT_TRUE(got->torn.has_value()) << "byte " << i;
      EXPECT_EQ(got->records, std::vector<OwnedRecord>(expected_.begin(),
                                                       expected_.end() - 1));
    }
  }
}

TEST_F(FormatV2Test, FindBySourcePositionEverywhere) {
  // Several segments: some without positions, gaps between positions,
  // restore points with positions, a live segment at the end.
  std::map<uint64_t, OwnedRecord> by_pos;
  {
    auto w = Open();
    uint64_t pos = 1000;
    for (int i = 0; i < 150; ++i) {
      const bool with = !(i >= 40 && i < 70) && i % 5 != 4;
      std::optional<uint64_t> p;
      if (with) p = pos;
      if (i % 9 == 0) {
        AppendRestorePoint(w.get(), p);
      } else {
        Append(w.get(), p);
      }
      if (with) {
        by_pos[pos] = expected_.back();
        pos += 1 + (i % 3) * 2;  // Gaps of 0, 2 and 4 missing positions.
      }
      if (i % 30 == 29 && i < 140) {
        ASSERT_TRUE(w->Roll().ok());
      }
    }
    ASSERT_TRUE(w->Sync().ok());
    // Leave the last segment live.
    auto names = SegmentNames(mem_.get());
    ASSERT_EQ(names.size(), 5u);
    for (uint64_t p = 990; p <= pos + 5; ++p) {
      SCOPED_TRACE(p);
      auto found = FindBySourcePosition(mem_.get(), 1, p);
      ASSERT_TRUE(found.ok()) << found.status();
      auto it = by_pos.find(p);
      if (it == by_pos.end()) {
        EXPECT_EQ(*found, std::nullopt);
        continue;
      }
      ASSERT_TRUE(found->has_value());
      const ArchivedRecord& r = **found;
      EXPECT_EQ(r.lsn, it->second.lsn);
      EXPECT_EQ(r.type, it->second.type);
      EXPECT_EQ(r.transaction.source_position, p);
      EXPECT_EQ(r.transaction.commit_time, it->second.commit_time);
      EXPECT_EQ(r.transaction.txid, it->second.txid);
      EXPECT_EQ(r.transaction.mutations, it->second.mutations);
      EXPECT_EQ(r.restore_point_name, it->second.restore_point_name);
    }
    EXPECT_EQ(*FindBySourcePosition(mem_.get(), 2, 1000), std::nullopt);
    ASSERT_TRUE(w->Close().ok());
  }
  ExpectLogIsExpected();
}

TEST_F(FormatV2Test, FindBySourcePositionInALogWithoutPositions) {
  auto w = Open(1);
  Append(w.get(), std::nullopt);
  ASSERT_TRUE(w->Close().ok());
  auto found = FindBySourcePosition(mem_.get(), 1, 0);
  ASSERT_TRUE(found.ok());
  EXPECT_EQ(*found, std::nullopt);
}

TEST_F(FormatV2Test, PositionZeroIsAPosition) {
  auto w = Open();
  Append(w.get(), 0);
  ASSERT_TRUE(w->Close().ok());
  w = Open();
  EXPECT_EQ(w->open_report().last_source_position, 0u);
  Transaction t;
  t.source_position = 0;
  EXPECT_TRUE(absl::IsInvalidArgument(w->Append(t).status()));
  ASSERT_TRUE(w->Close().ok());
  auto found = FindBySourcePosition(mem_.get(), 1, 0);
  ASSERT_TRUE(found.ok() && found->has_value());
  EXPECT_EQ((*found)->lsn, 1u);
}

}  // namespace
}  // namespace wayback::testing
