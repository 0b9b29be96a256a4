// Copyright 2026 The Wayback Authors.
//
// Damage by byte surgery: every flipped byte and every truncation is reported
// as kDataLoss naming the object, the offset and the LSN (or is provably
// harmless), and no damaged snapshot ever yields a wrong pair. Then one short
// test per check behind the checksums (reached by fixing the CRC after the
// edit).

#include <memory>
#include <random>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/snapshot/snapshot_file.h"
#include "src/snapshot/snapshot_format.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "wayback/snapshot.h"
#include "wayback/status.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

namespace sf = snapshot_format;
using testing::Drain;
using testing::FixBlockCrc;
using testing::FixFooterCrc;
using testing::FixHeaderCrc;
using testing::Pairs;
using testing::SetFixed32;
using testing::SetFixed64;
using testing::WritePairs;

constexpr Lsn kLsn = 0x51;

class SnapshotCorruptionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    pairs_ = {{"apple", "red"},   {"banana", "yellow"}, {"cherry", ""},
              {"date", "brown"},  {"elder", "black"},   {"fig", "purple"},
              {"grape", "green"}, {"kiwi", "fuzzy"}};
    SnapshotWriterOptions o;
    o.timeline = 2;
    o.lsn = kLsn;
    o.commit_time = 12345;
    o.block_size = 24;  // Three or four blocks.
    auto info = WritePairs(storage_.get(), o, pairs_);
    ASSERT_TRUE(info.ok()) << info.status();
    ASSERT_GE(info->block_count, 3u);
    name_ = info->name;
    auto bytes = storage_->ReadAll(name_);
    ASSERT_TRUE(bytes.ok());
    good_ = *bytes;
  }

  // Everything a reader can be asked, on the object's current bytes. Returns
  // the first error; on success every answer must equal the model. With
  // `forged` (checksums recomputed after the damage), pairs returned before
  // an error may be wrong (only the digest can tell), but a full iteration
  // that ends OK must have returned exactly the model.
  absl::Status ReadEverything(bool forged = false) {
    auto reader = SnapshotReader::Open(storage_.get(), name_);
    if (!reader.ok()) return reader.status();
    Pairs got;
    auto it = (*reader)->NewIterator();
    absl::Status s = Drain(it.get(), &got);
    // Pairs returned before an error must still be right: a prefix of the
    // model, never a wrong pair.
    if (!forged) {
      EXPECT_LE(got.size(), pairs_.size());
      for (size_t i = 0; i < got.size() && i < pairs_.size(); ++i) {
        EXPECT_EQ(pairs_[i], got[i]) << "pair " << i;
      }
    }
    if (!s.ok()) return s;
    EXPECT_TRUE(got == pairs_);
    for (const auto& [k, v] : pairs_) {
      auto g = (*reader)->Get(k);
      if (!g.ok()) return g.status();
      EXPECT_TRUE(g->has_value() && **g == v) << k;
    }
    EXPECT_EQ(testing::IndependentDigest(pairs_), (*reader)->info().digest);
    EXPECT_EQ(kLsn, (*reader)->info().lsn);
    return (*reader)->Verify();
  }

  // Expects kDataLoss naming the object, an offset and the LSN.
  void ExpectCorruption(const absl::Status& s, std::string_view what = "") {
    EXPECT_EQ(absl::StatusCode::kDataLoss, s.code()) << s;
    EXPECT_NE(std::string::npos, std::string(s.message()).find(name_)) << s;
    EXPECT_NE(std::string::npos, std::string(s.message()).find(" at offset "))
        << s;
    EXPECT_NE(std::string::npos, std::string(s.message()).find("(lsn 81)"))
        << s;
    if (!what.empty()) {
      EXPECT_NE(std::string::npos, std::string(s.message()).find(what)) << s;
    }
  }

  void Put(const std::string& bytes) {
    testing::Overwrite(storage_.get(), name_, bytes);
  }

  std::unique_ptr<Storage> storage_;
  Pairs pairs_;
  std::string name_;
  std::string good_;
};

TEST_F(SnapshotCorruptionTest, IntactSnapshotReadsBack) {
  EXPECT_TRUE(ReadEverything().ok());
}

TEST_F(SnapshotCorruptionTest, EveryFlippedByteIsDetected) {
  int detected = 0, harmless = 0;
  for (size_t off = 0; off < good_.size(); ++off) {
    for (unsigned char mask : {0x01, 0x80, 0xff}) {
      std::string bad = good_;
      bad[off] = static_cast<char>(bad[off] ^ mask);
      Put(bad);
      absl::Status s = ReadEverything();
      if (s.ok()) {
        ++harmless;  // ReadEverything() checked every answer equals the model.
      } else {
        ++detected;
        ExpectCorruption(s);
      }
      if (::testing::Test::HasFailure()) {
        FAIL() << "offset " << off << " mask " << int{mask} << ": " << s;
      }
    }
  }
  // Every byte of v1 is under a CRC or a magic: nothing is harmless.
  EXPECT_EQ(0, harmless);
  EXPECT_EQ(static_cast<int>(3 * good_.size()), detected);
}

TEST_F(SnapshotCorruptionTest, EveryTruncationIsDetected) {
  for (size_t len = 0; len < good_.size(); ++len) {
    Put(good_.substr(0, len));
    absl::Status s = ReadEverything();
    ExpectCorruption(s);
    // The message states the object's actual size.
    EXPECT_NE(std::string::npos,
              std::string(s.message()).find(absl::StrCat(len, " bytes")))
        << s;
    if (::testing::Test::HasFailure()) FAIL() << "length " << len;
  }
}

TEST_F(SnapshotCorruptionTest, TooShortNamesTheMinimumSize) {
  Put(good_.substr(0, 50));
  absl::Status s = ReadEverything();
  ExpectCorruption(s, "at least 200");
}

TEST_F(SnapshotCorruptionTest, TrailingGarbageIsDetected) {
  Put(good_ + "garbage");
  ExpectCorruption(ReadEverything(), "footer magic");
}

TEST_F(SnapshotCorruptionTest, DigestMismatchFoundByVerify) {
  std::string bad = good_;
  size_t f = bad.size() - sf::kFooterSize;
  SetFixed64(&bad, f + 32, testing::Fixed64At(bad, f + 32) + 1);
  FixFooterCrc(&bad);
  Put(bad);
  auto reader = SnapshotReader::Open(storage_.get(), name_);
  ASSERT_TRUE(reader.ok()) << reader.status();  // Structure is intact.
  ExpectCorruption((*reader)->Verify(), "state digest mismatch");
}

TEST_F(SnapshotCorruptionTest, DigestMismatchFoundAtTheEndOfAFullScan) {
  std::string bad = good_;
  size_t f = bad.size() - sf::kFooterSize;
  SetFixed64(&bad, f + 40, testing::Fixed64At(bad, f + 40) ^ 1);
  FixFooterCrc(&bad);
  Put(bad);
  auto reader = SnapshotReader::Open(storage_.get(), name_);
  ASSERT_TRUE(reader.ok()) << reader.status();
  Pairs got;
  auto it = (*reader)->NewIterator();
  ExpectCorruption(Drain(it.get(), &got), "state digest mismatch");
  EXPECT_TRUE(got == pairs_);  // The pairs came; the verdict comes last.
  // A range scan has no digest to check.
  got.clear();
  EXPECT_TRUE(Drain((*reader)->NewRangeIterator("a", "").get(), &got).ok());
}

TEST_F(SnapshotCorruptionTest, PairCountMismatchFoundByOpen) {
  std::string bad = good_;
  size_t f = bad.size() - sf::kFooterSize;
  SetFixed64(&bad, f + 24, pairs_.size() + 1);
  FixFooterCrc(&bad);
  Put(bad);
  ExpectCorruption(ReadEverything(), "the index adds up to");
}

TEST_F(SnapshotCorruptionTest, BadHeaderMagic) {
  std::string bad = good_;
  bad[1] = 'X';
  Put(bad);
  ExpectCorruption(ReadEverything(), "header magic");
}

TEST_F(SnapshotCorruptionTest, HeaderChecksumMismatch) {
  std::string bad = good_;
  bad[40] ^= 1;  // Inside the reserved encryption key id.
  Put(bad);
  ExpectCorruption(ReadEverything(), "header checksum");
}

TEST_F(SnapshotCorruptionTest, NewerVersionRefused) {
  std::string bad = good_;
  SetFixed32(&bad, 8, 3);
  FixHeaderCrc(&bad);
  Put(bad);
  ExpectCorruption(ReadEverything(), "unsupported snapshot format version 3");
}

TEST_F(SnapshotCorruptionTest, UnknownFlagRefused) {
  std::string bad = good_;
  bad[25] = static_cast<char>(sf::kFlagEncrypted);
  FixHeaderCrc(&bad);
  Put(bad);
  ExpectCorruption(ReadEverything(), "flags");
}

TEST_F(SnapshotCorruptionTest, UnknownCodecRefused) {
  std::string bad = good_;
  bad[24] = 0;
  FixHeaderCrc(&bad);
  Put(bad);
  ExpectCorruption(ReadEverything(), "codec");
}

TEST_F(SnapshotCorruptionTest, NonZeroReservedHeaderBytesRefused) {
  std::string bad = good_;
  bad[60] = 1;  // Chain hash: reserved in v1.
  FixHeaderCrc(&bad);
  Put(bad);
  ExpectCorruption(ReadEverything(), "reserved header bytes");
}

TEST_F(SnapshotCorruptionTest, HeaderLsnDisagreesWithName) {
  std::string bad = good_;
  SetFixed64(&bad, 16, kLsn + 1);
  FixHeaderCrc(&bad);
  Put(bad);
  // The header's LSN is the one reported once the header is read.
  absl::Status s = ReadEverything();
  EXPECT_EQ(absl::StatusCode::kDataLoss, s.code());
  EXPECT_NE(std::string::npos,
            std::string(s.message()).find("but the name says"))
      << s;
}

TEST_F(SnapshotCorruptionTest, SnapshotUnderAnotherNameRefused) {
  std::string other = SnapshotObjectName(2, kLsn + 5);
  ASSERT_TRUE(storage_->WriteAll(other, good_).ok());
  auto reader = SnapshotReader::Open(storage_.get(), other);
  EXPECT_EQ(absl::StatusCode::kDataLoss, reader.status().code());
}

TEST_F(SnapshotCorruptionTest, FooterLsnDisagreesWithHeader) {
  std::string bad = good_;
  size_t f = bad.size() - sf::kFooterSize;
  SetFixed64(&bad, f, kLsn + 1);
  FixFooterCrc(&bad);
  Put(bad);
  ExpectCorruption(ReadEverything(), "but the header says");
}

TEST_F(SnapshotCorruptionTest, FooterChecksumMismatch) {
  std::string bad = good_;
  bad[bad.size() - sf::kFooterSize + 8] ^= 1;  // Commit time.
  Put(bad);
  ExpectCorruption(ReadEverything(), "footer checksum");
}

TEST_F(SnapshotCorruptionTest, IndexPlacementNamesExpectedSize) {
  std::string bad = good_;
  size_t f = bad.size() - sf::kFooterSize;
  uint64_t index_size = testing::Fixed64At(bad, f + 64);
  SetFixed64(&bad, f + 64, index_size + 10);
  FixFooterCrc(&bad);
  Put(bad);
  ExpectCorruption(ReadEverything(),
                   absl::StrCat("the object should be ", good_.size() + 10,
                                " bytes; it is ", good_.size()));
}

TEST_F(SnapshotCorruptionTest, IndexChecksumMismatch) {
  std::string bad = good_;
  size_t f = bad.size() - sf::kFooterSize;
  uint64_t index_offset = testing::Fixed64At(bad, f + 56);
  bad[index_offset] ^= 1;
  Put(bad);
  ExpectCorruption(ReadEverything(), "index checksum");
}

TEST_F(SnapshotCorruptionTest, BlockChecksumMismatch) {
  std::string bad = good_;
  bad[sf::kHeaderSize + sf::kBlockHeaderSize + 2] ^= 1;  // Block 0 payload.
  Put(bad);
  absl::Status s = ReadEverything();
  ExpectCorruption(s, "block 0 checksum mismatch");
  EXPECT_NE(std::string::npos,
            std::string(s.message())
                .find(absl::StrCat("at offset ", sf::kHeaderSize)))
      << s;
}

TEST_F(SnapshotCorruptionTest, BlockHeaderDisagreesWithIndex) {
  std::string bad = good_;
  size_t off = sf::kHeaderSize;
  SetFixed32(&bad, off + 12, testing::Fixed32At(bad, off + 12) + 1);
  FixBlockCrc(&bad, off);
  Put(bad);
  ExpectCorruption(ReadEverything(), "disagrees with its index entry");
}

TEST_F(SnapshotCorruptionTest, BadZstdPayloadBehindAGoodChecksum) {
  std::string bad = good_;
  size_t off = sf::kHeaderSize;
  bad[off + sf::kBlockHeaderSize] ^= 0x55;  // The zstd magic.
  FixBlockCrc(&bad, off);
  Put(bad);
  ExpectCorruption(ReadEverything(), "block 0");
}

TEST_F(SnapshotCorruptionTest, IoErrorIsNotCorruption) {
  // A storage whose reads fail retryably: the reader must pass the code on.
  class FlakyStorage : public StorageWrapper {
   public:
    using StorageWrapper::StorageWrapper;
    absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
        std::string_view name) override {
      class Flaky : public ReadableObject {
       public:
        explicit Flaky(uint64_t size) : size_(size) {}
        uint64_t size() const override { return size_; }
        absl::StatusOr<std::string_view> ReadAt(uint64_t, size_t,
                                                char*) const override {
          return absl::UnavailableError("503 slow down");
        }

       private:
        uint64_t size_;
      };
      WAYBACK_ASSIGN_OR_RETURN(auto real, target()->OpenForRead(name));
      return std::unique_ptr<ReadableObject>(new Flaky(real->size()));
    }
  };
  FlakyStorage flaky(storage_.get());
  auto reader = SnapshotReader::Open(&flaky, name_);
  EXPECT_EQ(absl::StatusCode::kUnavailable, reader.status().code())
      << reader.status();
  EXPECT_NE(std::string::npos,
            std::string(reader.status().message()).find(name_));
}

// Random damage behind valid checksums: every CRC is recomputed after the
// edit, so only the structural checks stand between the damage and the
// caller. No crash, no unbounded allocation, and a reader that reports
// success everywhere (Verify included) has returned exactly the model.
TEST_F(SnapshotCorruptionTest, RandomDamageBehindValidChecksums) {
  // The layout of the intact object, to re-checksum the same ranges.
  auto reader = SnapshotFile::Open(storage_.get(), name_);
  ASSERT_TRUE(reader.ok());
  struct Range {
    size_t offset, size;
  };
  std::vector<Range> blocks;
  for (size_t i = 0; i < (*reader)->block_count(); ++i) {
    const auto& e = (*reader)->block(i);
    blocks.push_back({e.offset, sf::kBlockHeaderSize + e.compressed_size});
  }
  const size_t footer = good_.size() - sf::kFooterSize;
  const Range index{testing::Fixed64At(good_, footer + 56),
                    testing::Fixed64At(good_, footer + 64)};
  std::mt19937_64 rng(99);
  int survived = 0;
  const int kTrials = 3000;
  for (int trial = 0; trial < kTrials; ++trial) {
    std::string bad = good_;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      size_t off = rng() % bad.size();
      // Bias towards lengths and counts: set a whole byte, often to 0 or
      // 0xff, which makes sizes huge or zero.
      switch (rng() % 3) {
        case 0:
          bad[off] = 0;
          break;
        case 1:
          bad[off] = static_cast<char>(0xff);
          break;
        default:
          bad[off] = static_cast<char>(rng());
          break;
      }
    }
    FixHeaderCrc(&bad);
    for (const Range& b : blocks) {
      uint32_t crc = crc32c::Value(bad.data() + b.offset + 4, b.size - 4);
      SetFixed32(&bad, b.offset, crc32c::Mask(crc));
    }
    SetFixed32(
        &bad, footer + 72,
        crc32c::Mask(crc32c::Value(bad.data() + index.offset, index.size)));
    FixFooterCrc(&bad);
    Put(bad);
    absl::Status s = ReadEverything(/*forged=*/true);
    if (s.ok()) {
      ++survived;  // Damage in a reserved-free spot that changed nothing?
    } else {
      EXPECT_EQ(absl::StatusCode::kDataLoss, s.code()) << s;
    }
    if (::testing::Test::HasFailure()) FAIL() << "trial " << trial;
  }
  // An edit can rewrite a byte with its own value; those trials survive.
  EXPECT_LT(survived, kTrials / 10);
}

TEST_F(SnapshotCorruptionTest, MissingSnapshotIsNotFound) {
  auto reader = SnapshotReader::Open(storage_.get(), SnapshotObjectName(2, 1));
  EXPECT_EQ(absl::StatusCode::kNotFound, reader.status().code());
}

}  // namespace
}  // namespace wayback
