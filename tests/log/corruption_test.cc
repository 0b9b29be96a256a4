// Copyright 2026 The Wayback Authors.
//
// Byte surgery on whole segments: flip every byte, cut at every offset, and
// compare what the reader (and the writer's recovery) does with an exact
// oracle computed from the undamaged segment's block boundaries.

#include <random>

#include "gtest/gtest.h"
#include "src/log/segment_format.h"
#include "tests/log/log_test_util.h"
#include "wayback/log.h"

namespace wayback {
namespace {

using testing::OwnedRecord;
using testing::ReadLog;

constexpr CommitTime kT0 = 1'700'000'000'000'000'000;

struct Fixture {
  std::string name;                  // The segment object.
  std::string bytes;                 // Its undamaged bytes.
  SegmentInfo info;                  // Its undamaged description.
  std::vector<OwnedRecord> records;  // Everything the log holds.
};

// A log of ~40 records in ~8 blocks, in one segment: sealed or live.
Fixture MakeFixture(bool sealed) {
  auto mem = NewMemoryStorage();
  ManualClock clock(kT0);
  LogWriterOptions o;
  o.durability = Durability::kBuffered;
  o.block_size = 160;
  o.segment_max_age = absl::InfiniteDuration();
  o.clock = &clock;
  Fixture f;
  {
    auto w = LogWriter::Open(mem.get(), o);
    EXPECT_TRUE(w.ok());
    std::mt19937_64 rng(11);
    for (int i = 0; i < 40; ++i) {
      clock.Advance(1000);
      Transaction t;
      t.txid = i;
      t.Put("key/" + std::to_string(i), testing::RandomBytes(rng, 20));
      if (i % 7 == 0) t.Delete("gone/" + std::to_string(i));
      EXPECT_TRUE((*w)->Append(t).ok());
    }
    EXPECT_TRUE((*w)->AppendRestorePoint("end").ok());
    if (sealed) {
      EXPECT_TRUE((*w)->Close().ok());
    } else {
      EXPECT_TRUE((*w)->Sync().ok());
    }
    f.name = SegmentObjectName(1, 1, sealed);
    f.bytes = *mem->ReadAll(f.name);
    // The writer is destroyed here and would seal a live segment: the bytes
    // were taken before.
  }
  auto copy = NewMemoryStorage();
  EXPECT_TRUE(copy->WriteAll(f.name, f.bytes).ok());
  f.info = *ReadSegmentInfo(copy.get(), f.name);
  f.records = ReadLog(copy.get())->records;
  EXPECT_EQ(f.records.size(), 41u);
  EXPECT_GE(f.info.blocks.size(), 6u);
  return f;
}

std::unique_ptr<Storage> StorageWith(const std::string& name,
                                     const std::string& bytes) {
  auto s = NewMemoryStorage();
  EXPECT_TRUE(s->WriteAll(name, bytes).ok());
  return s;
}

std::vector<OwnedRecord> RecordsBefore(const Fixture& f, Lsn lsn) {
  std::vector<OwnedRecord> out;
  for (const auto& r : f.records) {
    if (r.lsn < lsn) out.push_back(r);
  }
  return out;
}

TEST(CorruptionTest, EveryFlippedByteOfASealedSegmentIsDetected) {
  Fixture f = MakeFixture(true);
  int detected = 0;
  for (size_t i = 0; i < f.bytes.size(); ++i) {
    for (char mask : {'\x01', '\x80'}) {
      std::string b = f.bytes;
      b[i] ^= mask;
      auto s = StorageWith(f.name, b);
      auto got = ReadLog(s.get());
      if (got.ok()) {
        // Only acceptable if provably harmless: exactly the original log.
        ADD_FAILURE() << "flip at " << i << " not detected";
        EXPECT_EQ(got->records, f.records);
        continue;
      }
      ++detected;
      EXPECT_TRUE(absl::IsDataLoss(got.status())) << i << ": " << got.status();
      EXPECT_NE(got.status().message().find(f.name), absl::string_view::npos)
          << got.status();
    }
  }
  EXPECT_EQ(detected, static_cast<int>(2 * f.bytes.size()));
}

// In a live segment a damaged *last* block is indistinguishable from a torn
// write: the reader returns the blocks before it and reports the tail. Any
// other damage is an error.
TEST(CorruptionTest, EveryFlippedByteOfALiveSegment) {
  Fixture f = MakeFixture(false);
  ASSERT_FALSE(f.info.sealed);
  const BlockInfo& last = f.info.blocks.back();
  for (size_t i = 0; i < f.bytes.size(); ++i) {
    std::string b = f.bytes;
    b[i] ^= 0x04;
    auto s = StorageWith(f.name, b);
    auto got = ReadLog(s.get());
    if (i >= last.offset) {
      ASSERT_TRUE(got.ok()) << i << ": " << got.status();
      EXPECT_EQ(got->records, RecordsBefore(f, last.first_lsn)) << i;
      ASSERT_TRUE(got->torn) << i;
      EXPECT_EQ(got->torn->object, f.name);
      EXPECT_EQ(got->torn->offset, last.offset);
      EXPECT_EQ(got->torn->bytes, f.bytes.size() - last.offset);
    } else {
      ASSERT_FALSE(got.ok()) << "flip at " << i << " not detected";
      EXPECT_TRUE(absl::IsDataLoss(got.status())) << i << ": " << got.status();
      EXPECT_NE(got.status().message().find(f.name), absl::string_view::npos);
    }
    // The writer's recovery agrees: it refuses, or cuts exactly that tail.
    ManualClock clock(kT0 * 2);
    LogWriterOptions o;
    o.clock = &clock;
    o.segment_max_age = absl::InfiniteDuration();
    auto w = LogWriter::Open(s.get(), o);
    if (i >= last.offset) {
      ASSERT_TRUE(w.ok()) << i << ": " << w.status();
      EXPECT_EQ((*w)->open_report().last_lsn, last.first_lsn - 1);
      EXPECT_EQ((*w)->open_report().torn_offset, last.offset);
    } else {
      EXPECT_TRUE(absl::IsDataLoss(w.status())) << i << ": " << w.status();
    }
  }
}

TEST(CorruptionTest, LiveSegmentCutAtEveryOffset) {
  Fixture f = MakeFixture(false);
  for (size_t cut = 0; cut < f.bytes.size(); ++cut) {
    auto s = StorageWith(f.name, f.bytes.substr(0, cut));
    auto got = ReadLog(s.get());
    ASSERT_TRUE(got.ok()) << cut << ": " << got.status();
    // Oracle: the blocks that end at or before the cut.
    uint64_t valid_end = cut < log_format::kSegmentHeaderSize
                             ? 0
                             : log_format::kSegmentHeaderSize;
    Lsn next = 1;
    for (const BlockInfo& b : f.info.blocks) {
      if (b.offset + b.stored_size <= cut) {
        valid_end = b.offset + b.stored_size;
        next = b.last_lsn + 1;
      }
    }
    EXPECT_EQ(got->records, RecordsBefore(f, next)) << cut;
    if (cut == valid_end) {
      EXPECT_FALSE(got->torn) << cut;
    } else {
      ASSERT_TRUE(got->torn) << cut;
      EXPECT_EQ(got->torn->offset, valid_end) << cut;
      EXPECT_EQ(got->torn->bytes, cut - valid_end) << cut;
    }
  }
}

TEST(CorruptionTest, SealedSegmentCutAtEveryOffsetNamesTheExpectedSize) {
  Fixture f = MakeFixture(true);
  const uint64_t footer_start =
      f.info.blocks.back().offset + f.info.blocks.back().stored_size;
  for (size_t cut = 0; cut < f.bytes.size(); ++cut) {
    auto s = StorageWith(f.name, f.bytes.substr(0, cut));
    auto got = ReadLog(s.get());
    ASSERT_FALSE(got.ok()) << cut;
    EXPECT_TRUE(absl::IsDataLoss(got.status())) << cut << ": " << got.status();
    std::string msg(got.status().message());
    EXPECT_NE(msg.find(f.name), std::string::npos) << msg;
    if (cut >= log_format::kSegmentHeaderSize) {
      EXPECT_NE(msg.find("expected"), std::string::npos) << cut << ": " << msg;
    }
    if (cut >= footer_start + log_format::kFooterFixedSize) {
      EXPECT_NE(
          msg.find("expected " + std::to_string(f.bytes.size()) + " bytes"),
          std::string::npos)
          << cut << ": " << msg;
    }
    auto info = ReadSegmentInfo(s.get(), f.name);
    EXPECT_TRUE(absl::IsDataLoss(info.status())) << cut;
  }
}

TEST(CorruptionTest, GarbageAfterTheFooterOfASealedSegment) {
  Fixture f = MakeFixture(true);
  auto s = StorageWith(f.name, f.bytes + "xx");
  EXPECT_TRUE(absl::IsDataLoss(ReadLog(s.get()).status()));
}

TEST(CorruptionTest, TornLiveSegmentThenValidBlockIsNotATornTail) {
  // Damage in the middle of a live segment followed by intact blocks must
  // not be mistaken for a torn tail, even when the damage is in a header
  // (whose length cannot be trusted).
  Fixture f = MakeFixture(false);
  const BlockInfo& b = f.info.blocks[2];
  std::string bytes = f.bytes;
  for (size_t i = 0; i < log_format::kBlockHeaderSize; ++i)
    bytes[b.offset + i] = 0;
  auto s = StorageWith(f.name, bytes);
  auto got = ReadLog(s.get());
  EXPECT_TRUE(absl::IsDataLoss(got.status())) << got.status();
  EXPECT_NE(got.status().message().find("valid block follows"),
            absl::string_view::npos)
      << got.status();
  EXPECT_NE(got.status().message().find("offset " + std::to_string(b.offset)),
            absl::string_view::npos)
      << got.status();
}

}  // namespace
}  // namespace wayback
