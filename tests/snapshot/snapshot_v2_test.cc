// Copyright 2026 The Wayback Authors.
//
// Snapshot format version 2 (snapshot_format.md, "Version 2"): names, the
// writer (full and delta, the version fence), round trips, and one short
// test per check of V2.10 reached by byte surgery (checksums recomputed
// after the edit where the check sits behind them).

#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "src/snapshot/snapshot_block_stream.h"
#include "src/snapshot/snapshot_file.h"
#include "src/snapshot/snapshot_format.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/snapshot.h"
#include "wayback/status.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

namespace sf = snapshot_format;
using testing::Drain;
using testing::Fixed32At;
using testing::Fixed64At;
using testing::FixFooterCrcV2;
using testing::FixFrameCrcs;
using testing::FixHeaderCrcsV2;
using testing::IndependentDigest;
using testing::IndexOffsetV2;
using testing::Pairs;
using testing::SetFixed32;
using testing::SetFixed64;

// One delta entry: a put (value) or a delete (nullopt).
using Edits = std::vector<std::pair<std::string, std::optional<std::string>>>;

std::string ReadGolden(const std::string& file) {
  std::ifstream f(testing::TestDataDir() + "/" + file, std::ios::binary);
  EXPECT_TRUE(f.good()) << "missing " << file;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// ---- Names ----

TEST(SnapshotNameTest, EveryFormRoundTrips) {
  const std::vector<std::pair<SnapshotName, std::string>> cases = {
      {{1, 5, SnapshotKind::kFull, 0}, "snap/00000001-0000000000000005.snap"},
      {{2, 0xab, SnapshotKind::kFull, 3},
       "snap/00000002-00000000000000ab-00000003.snap"},
      {{1, 5, SnapshotKind::kDelta, 0}, "snap/00000001-0000000000000005.delta"},
      {{0xffffffff, 7, SnapshotKind::kDelta, 0xfedcba98},
       "snap/ffffffff-0000000000000007-fedcba98.delta"},
      {{4, kSnapshotFenceLsn, SnapshotKind::kFull, 0},
       "snap/00000004-ffffffffffffffff.snap"},
  };
  for (const auto& [name, text] : cases) {
    EXPECT_EQ(text, SnapshotObjectName(name));
    std::optional<SnapshotName> parsed = ParseSnapshotName(text);
    ASSERT_TRUE(parsed.has_value()) << text;
    EXPECT_EQ(name, *parsed) << text;
  }
  EXPECT_TRUE(ParseSnapshotName(SnapshotFenceName(4))->fence());
  EXPECT_FALSE(ParseSnapshotName(cases[0].second)->fence());
  EXPECT_FALSE(ParseSnapshotName("snap/00000001-ffffffffffffffff-00000001.snap")
                   ->fence());
}

TEST(SnapshotNameTest, RefusesEveryOtherForm) {
  for (const char* bad : {
           "snap/00000001-0000000000000005-00000000.snap",  // Generation 0.
           "snap/00000001-0000000000000005-0000001.snap",   // Short.
           "snap/00000001-0000000000000005_00000001.snap",
           "snap/00000001-0000000000000005-0000000A.delta",  // Uppercase.
           "snap/00000000-0000000000000005.delta",           // Timeline 0.
           "snap/00000001-0000000000000005.Delta",
           "snap/00000001-0000000000000005.deltas",
           "snap/00000001-0000000000000005",
           "snap/00000001-000000000000005.delta",
           "log/00000001-0000000000000005.delta",
       }) {
    EXPECT_FALSE(ParseSnapshotName(bad).has_value()) << bad;
  }
}

TEST(SnapshotNameTest, VersionOneParserKeepsItsAnswers) {
  TimelineId t;
  Lsn l;
  // A delta and a generation >= 1 are not names version 1 knows...
  EXPECT_FALSE(
      ParseSnapshotObjectName("snap/00000001-0000000000000005.delta", &t, &l));
  EXPECT_FALSE(ParseSnapshotObjectName(
      "snap/00000001-0000000000000005-00000002.snap", &t, &l));
  // ...and the fence's name has the version-1 form.
  ASSERT_TRUE(ParseSnapshotObjectName(SnapshotFenceName(3), &t, &l));
  EXPECT_EQ(3u, t);
  EXPECT_EQ(kSnapshotFenceLsn, l);
}

// ---- Writer and reader ----

class SnapshotV2Test : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    testing::WriteIdentity(storage_.get());
  }

  SnapshotWriterOptions Options(Lsn lsn) const {
    SnapshotWriterOptions o;
    o.format_version = 2;
    o.timeline = 2;
    o.lsn = lsn;
    o.commit_time = 1000 + static_cast<CommitTime>(lsn);
    o.block_size = 64;
    return o;
  }

  absl::StatusOr<SnapshotInfo> WriteFull(Lsn lsn, const Pairs& pairs) {
    return testing::WritePairs(storage_.get(), Options(lsn), pairs);
  }

  absl::StatusOr<SnapshotInfo> WriteDelta(SnapshotReader* base, Lsn lsn,
                                          const Edits& edits,
                                          uint32_t generation = 0) {
    SnapshotWriterOptions o = Options(lsn);
    o.kind = SnapshotKind::kDelta;
    o.base = base;
    o.generation = generation;
    WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotWriter> w,
                             SnapshotWriter::Create(storage_.get(), o));
    for (const auto& [k, v] : edits) {
      WAYBACK_RETURN_IF_ERROR(v ? w->Add(k, *v) : w->AddDelete(k));
    }
    return w->Finish();
  }

  std::string Bytes(const std::string& name) {
    auto b = storage_->ReadAll(name);
    EXPECT_TRUE(b.ok()) << b.status();
    return b.ok() ? *b : std::string();
  }

  void Put(const std::string& name, const std::string& bytes) {
    testing::Overwrite(storage_.get(), name, bytes);
  }

  // Opens and reads all of `name`; the first error.
  absl::Status ReadAll(const std::string& name) {
    auto r = SnapshotReader::Open(storage_.get(), name);
    if (!r.ok()) return r.status();
    Pairs got;
    WAYBACK_RETURN_IF_ERROR(Drain((*r)->NewIterator().get(), &got));
    return (*r)->Verify();
  }

  // kDataLoss in the uniform form, naming `name`, `lsn` and `what`.
  static void ExpectCorruption(const absl::Status& s, const std::string& name,
                               Lsn lsn, std::string_view what) {
    EXPECT_EQ(absl::StatusCode::kDataLoss, s.code()) << s;
    const std::string m(s.message());
    EXPECT_EQ(0u, m.find(name + " at offset ")) << s;
    EXPECT_NE(std::string::npos, m.find(absl::StrCat("(lsn ", lsn, "): ")))
        << s;
    EXPECT_NE(std::string::npos, m.find(what)) << s;
  }

  std::unique_ptr<Storage> storage_;
};

TEST_F(SnapshotV2Test, FullRoundTrip) {
  const Pairs pairs = testing::RandomPairs(7, 300, 12, 30);
  auto written = WriteFull(0x40, pairs);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ("snap/00000002-0000000000000040.snap", written->name);
  EXPECT_GT(written->block_count, 10u);
  auto r = SnapshotReader::Open(storage_.get(), written->name);
  ASSERT_TRUE(r.ok()) << r.status();
  const SnapshotInfo& info = (*r)->info();
  EXPECT_EQ(2u, info.format_version);
  EXPECT_EQ(SnapshotKind::kFull, info.kind);
  EXPECT_EQ(0u, info.generation);
  EXPECT_EQ(0u, info.chain_depth);
  EXPECT_FALSE(info.base.has_value());
  EXPECT_EQ(pairs.size(), info.pair_count);
  EXPECT_EQ(pairs.size(), info.entry_count);
  EXPECT_EQ(0u, info.delete_count);
  EXPECT_EQ(1000 + 0x40, info.commit_time);
  EXPECT_EQ(1000 + 0x40, info.max_commit_time);
  EXPECT_FALSE(info.last_source_position.has_value());
  EXPECT_EQ(IndependentDigest(pairs), info.digest);
  EXPECT_EQ(written->digest, info.digest);
  EXPECT_EQ(written->size, info.size);
  EXPECT_EQ(written->raw_bytes, info.raw_bytes);
  EXPECT_EQ(written->block_count, info.block_count);
  EXPECT_FALSE(info.fence);
  Pairs got;
  ASSERT_TRUE(Drain((*r)->NewIterator().get(), &got).ok());
  EXPECT_TRUE(got == pairs);
  Pairs range;
  ASSERT_TRUE(
      Drain((*r)->NewRangeIterator(pairs[50].first, pairs[120].first).get(),
            &range)
          .ok());
  EXPECT_TRUE(range == Pairs(pairs.begin() + 50, pairs.begin() + 120));
  for (size_t i = 0; i < pairs.size(); i += 17) {
    auto g = (*r)->Get(pairs[i].first);
    ASSERT_TRUE(g.ok());
    EXPECT_EQ(pairs[i].second, g->value_or("<absent>"));
    auto absent = (*r)->Get(pairs[i].first + std::string(1, '\0'));
    ASSERT_TRUE(absent.ok());
    if (i + 1 < pairs.size() &&
        pairs[i + 1].first != pairs[i].first + std::string(1, '\0')) {
      EXPECT_FALSE(absent->has_value());
    }
  }
  EXPECT_TRUE((*r)->Verify().ok());
  // The block-level path (the RocksDB bulk load) reads v2 full snapshots.
  SnapshotFile* file = AsSnapshotFile(r->get());
  ASSERT_NE(nullptr, file);
  StateDigest d;
  SnapshotBlock block;
  Pairs from_blocks;
  for (size_t i = 0; i < file->block_count(); ++i) {
    ASSERT_TRUE(file->ReadBlock(i, &block).ok());
    auto it = block.pairs();
    std::string_view k, v;
    while (it.Next(&k, &v)) from_blocks.emplace_back(k, v);
  }
  EXPECT_TRUE(from_blocks == pairs);
}

TEST_F(SnapshotV2Test, EmptyFullSnapshotIsTheSmallest) {
  auto written = WriteFull(3, {});
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(sf::kMinObjectSizeV2, written->size);
  EXPECT_TRUE(ReadAll(written->name).ok());
}

TEST_F(SnapshotV2Test, GenerationTimesAndSourcePositionAreRecorded) {
  SnapshotWriterOptions o = Options(0x77);
  o.generation = 3;
  o.max_commit_time = 5000;
  o.last_source_position = 0x1234567890;
  auto written = testing::WritePairs(storage_.get(), o, {{"k", "v"}});
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ("snap/00000002-0000000000000077-00000003.snap", written->name);
  auto r = SnapshotReader::Open(storage_.get(), written->name);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(3u, (*r)->info().generation);
  EXPECT_EQ(1000 + 0x77, (*r)->info().commit_time);
  EXPECT_EQ(5000, (*r)->info().max_commit_time);
  EXPECT_EQ(std::optional<uint64_t>(0x1234567890),
            (*r)->info().last_source_position);
}

TEST_F(SnapshotV2Test, VersionOneIsStillTheDefault) {
  SnapshotWriterOptions o = Options(9);
  o.format_version = SnapshotWriterOptions().format_version;
  auto written = testing::WritePairs(storage_.get(), o, {{"k", "v"}});
  ASSERT_TRUE(written.ok());
  const std::string bytes = Bytes(written->name);
  EXPECT_EQ(1u, Fixed32At(bytes, 8));
  EXPECT_FALSE(storage_->Stat(SnapshotFenceName(2)).ok());  // No fence.
}

TEST_F(SnapshotV2Test, DeltaRoundTrip) {
  const Pairs base_pairs = {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", "4"}};
  auto base_info = WriteFull(10, base_pairs);
  ASSERT_TRUE(base_info.ok()) << base_info.status();
  auto base = SnapshotReader::Open(storage_.get(), base_info->name);
  ASSERT_TRUE(base.ok());
  const Edits edits = {{"a", std::nullopt},
                       {"b", "two"},
                       {"bb", "new"},
                       {"d", std::nullopt},
                       {"e", ""}};
  auto delta = WriteDelta(base->get(), 20, edits);
  ASSERT_TRUE(delta.ok()) << delta.status();
  EXPECT_EQ("snap/00000002-0000000000000014.delta", delta->name);
  const Pairs result = {{"b", "two"}, {"bb", "new"}, {"c", "3"}, {"e", ""}};
  auto r = SnapshotReader::Open(storage_.get(), delta->name);
  ASSERT_TRUE(r.ok()) << r.status();
  const SnapshotInfo& info = (*r)->info();
  EXPECT_EQ(SnapshotKind::kDelta, info.kind);
  EXPECT_EQ(1u, info.chain_depth);
  ASSERT_TRUE(info.base.has_value());
  EXPECT_EQ(2u, info.base->timeline);
  EXPECT_EQ(10u, info.base->lsn);
  EXPECT_EQ(SnapshotKind::kFull, info.base->kind);
  EXPECT_EQ(0u, info.base->generation);
  EXPECT_EQ(IndependentDigest(base_pairs), info.base->digest);
  // pair_count and digest describe the resulting state.
  EXPECT_EQ(result.size(), info.pair_count);
  EXPECT_EQ(IndependentDigest(result), info.digest);
  EXPECT_EQ(delta->digest, info.digest);
  EXPECT_EQ(5u, info.entry_count);
  EXPECT_EQ(2u, info.delete_count);
  // A lone delta yields its entries, deletes marked.
  auto it = (*r)->NewIterator();
  std::string_view k, v;
  Edits got;
  while (it->Next(&k, &v)) {
    got.emplace_back(std::string(k), it->deleted()
                                         ? std::nullopt
                                         : std::optional<std::string>(v));
  }
  ASSERT_TRUE(it->status().ok()) << it->status();
  EXPECT_TRUE(got == edits);
  auto put = (*r)->Get("b");
  ASSERT_TRUE(put.ok());
  EXPECT_EQ(std::optional<std::string>("two"), *put);
  auto del = (*r)->Get("a");
  ASSERT_TRUE(del.ok());
  EXPECT_FALSE(del->has_value());
  EXPECT_TRUE((*r)->Verify().ok());
  // The block stream (bulk loads) refuses a lone delta.
  SnapshotBlockStream stream(AsSnapshotFile(r->get()));
  EXPECT_EQ(nullptr, stream.Next());
  EXPECT_EQ(absl::StatusCode::kFailedPrecondition, stream.status().code());
  // And the chain is the resulting state.
  Pairs merged;
  ASSERT_TRUE(testing::DrainChain(storage_.get(),
                                  {base_info->name, delta->name}, &merged)
                  .ok());
  EXPECT_TRUE(merged == result);
}

TEST_F(SnapshotV2Test, FenceIsCreatedOnceAndRefusedAsASnapshot) {
  ASSERT_TRUE(WriteFull(5, {{"k", "v"}}).ok());
  const std::string fence = SnapshotFenceName(2);
  const std::string first = Bytes(fence);
  ASSERT_EQ(sf::kMinObjectSizeV2, first.size());
  ASSERT_TRUE(WriteFull(6, {{"k", "w"}}).ok());  // Fence exists: kept.
  EXPECT_EQ(first, Bytes(fence));
  auto r = SnapshotReader::Open(storage_.get(), fence);
  EXPECT_EQ(absl::StatusCode::kFailedPrecondition, r.status().code())
      << r.status();
  auto f = SnapshotFile::Open(storage_.get(), fence);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_TRUE((*f)->info().fence);
  EXPECT_EQ(0u, (*f)->info().pair_count);
}

// The fence of V2.11, written by an independent script from the spec, is
// what the writer writes; a version-1 reader refuses it by its version.
TEST_F(SnapshotV2Test, WriterReproducesTheFenceGolden) {
  const std::string golden = ReadGolden("golden_v2_fence.snap");
  ASSERT_EQ(456u, golden.size());
  EXPECT_EQ(0x45808deau, Fixed32At(golden, 92));     // ea8d 8045
  EXPECT_EQ(0xe2f85cd0u, Fixed32At(golden, 156));    // d05c f8e2
  EXPECT_EQ(0xe6f804efu, Fixed32At(golden, 160));    // ef04 f8e6
  EXPECT_EQ(0x7950f269u, Fixed32At(golden, 164));    // 69f2 5079
  EXPECT_EQ(0x44b75570u, Fixed32At(golden, 0x1bc));  // 7055 b744
  auto s = NewMemoryStorage();
  testing::WriteIdentity(s.get());
  SnapshotWriterOptions o;
  o.format_version = 2;
  o.timeline = 1;
  o.lsn = 1;
  ASSERT_TRUE(testing::WritePairs(s.get(), o, {}).ok());
  auto fence = s->ReadAll(SnapshotFenceName(1));
  ASSERT_TRUE(fence.ok()) << fence.status();
  EXPECT_TRUE(*fence == golden);
  sf::Header h;
  std::string error;
  size_t offset;
  EXPECT_FALSE(sf::DecodeHeader(golden, &h, &error, &offset));
  EXPECT_EQ("unsupported snapshot format version 2 (this reader knows 1)",
            error);
  EXPECT_EQ(8u, offset);
}

// ---- Writer refusals ----

TEST_F(SnapshotV2Test, WriterRefusesBadOptions) {
  auto base_info = WriteFull(10, {{"a", "1"}});
  ASSERT_TRUE(base_info.ok());
  auto base = SnapshotReader::Open(storage_.get(), base_info->name);
  ASSERT_TRUE(base.ok());
  auto code = [&](SnapshotWriterOptions o) {
    return SnapshotWriter::Create(storage_.get(), o).status().code();
  };
  SnapshotWriterOptions o = Options(20);
  o.kind = SnapshotKind::kDelta;
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, code(o));  // No base.
  o.base = base->get();
  o.format_version = 1;
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, code(o));  // v1 delta.
  o.format_version = 3;
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, code(o));
  o = Options(20);
  o.base = base->get();
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, code(o));  // Full with base.
  o = Options(10);
  o.kind = SnapshotKind::kDelta;
  o.base = base->get();
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, code(o));  // Base not older.
  o = Options(kSnapshotFenceLsn);
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, code(o));
  o = Options(20);
  o.format_version = 1;
  o.generation = 1;
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, code(o));
  // Depth 64 is the deepest: a base at depth 64 takes no delta.
  SnapshotInfo deep = (*base)->info();
  deep.chain_depth = 64;
  testing::ClaimingReader fake(deep, base->get());
  o = Options(20);
  o.kind = SnapshotKind::kDelta;
  o.base = &fake;
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, code(o));
  deep.chain_depth = 63;
  testing::ClaimingReader ok_fake(deep, base->get());
  o.base = &ok_fake;
  EXPECT_EQ(absl::StatusCode::kOk, code(o));
}

TEST_F(SnapshotV2Test, VersionTwoNeedsTheRepositoryIdentity) {
  auto bare = NewMemoryStorage();
  SnapshotWriterOptions o = Options(5);
  EXPECT_EQ(absl::StatusCode::kFailedPrecondition,
            SnapshotWriter::Create(bare.get(), o).status().code());
  o.format_version = 1;
  EXPECT_TRUE(SnapshotWriter::Create(bare.get(), o).ok());
}

TEST_F(SnapshotV2Test, WriterRefusesEntriesThatDoNotFit) {
  auto base_info = WriteFull(10, {{"a", "1"}, {"c", "3"}, {"m", "13"}});
  ASSERT_TRUE(base_info.ok());
  auto base = SnapshotReader::Open(storage_.get(), base_info->name);
  ASSERT_TRUE(base.ok());
  SnapshotWriterOptions o = Options(20);
  o.kind = SnapshotKind::kDelta;
  o.base = base->get();
  auto w = SnapshotWriter::Create(storage_.get(), o);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ(absl::StatusCode::kInvalidArgument,
            (*w)->AddDelete("b").code());  // Absent from the base.
  EXPECT_EQ(absl::StatusCode::kInvalidArgument,
            (*w)->Add("m", "13").code());  // The base's own pair.
  // Refused calls leave the writer usable, even for a key before the one
  // refused last.
  ASSERT_TRUE((*w)->Add("a", "one").ok());
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, (*w)->AddDelete("a").code());
  ASSERT_TRUE((*w)->AddDelete("c").ok());
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, (*w)->Add("b", "x").code());
  ASSERT_TRUE((*w)->Add("z", "26").ok());
  auto done = (*w)->Finish();
  ASSERT_TRUE(done.ok()) << done.status();
  const Pairs result = {{"a", "one"}, {"m", "13"}, {"z", "26"}};
  EXPECT_EQ(IndependentDigest(result), done->digest);
  EXPECT_EQ(3u, done->pair_count);
  // Full snapshots hold no deletes, in either version.
  for (uint32_t version : {1u, 2u}) {
    SnapshotWriterOptions f = Options(30 + version);
    f.format_version = version;
    auto fw = SnapshotWriter::Create(storage_.get(), f);
    ASSERT_TRUE(fw.ok());
    EXPECT_EQ(absl::StatusCode::kInvalidArgument, (*fw)->AddDelete("a").code());
  }
}

// ---- V2.10: every check of the reader ----

class SnapshotV2CorruptionTest : public SnapshotV2Test {
 protected:
  void SetUp() override {
    SnapshotV2Test::SetUp();
    // Incompressible values: every block is stored as is (codec none), so
    // its entries can be edited in place.
    base_pairs_ = testing::RandomPairs(3, 40, 6, 0);
    std::mt19937_64 rng(5);
    for (auto& [k, v] : base_pairs_) {
      v.resize(8);
      for (char& c : v) c = static_cast<char>(rng());
    }
    auto full = WriteFull(0x10, base_pairs_);
    ASSERT_TRUE(full.ok()) << full.status();
    full_name_ = full->name;
    full_ = Bytes(full_name_);
    auto base = SnapshotReader::Open(storage_.get(), full_name_);
    ASSERT_TRUE(base.ok());
    Edits edits;
    for (size_t i = 0; i < base_pairs_.size(); i += 3) {
      edits.emplace_back(
          base_pairs_[i].first,
          i % 2 == 0 ? std::nullopt : std::optional<std::string>("\x01\x02"));
    }
    auto delta = WriteDelta(base->get(), 0x20, edits);
    ASSERT_TRUE(delta.ok()) << delta.status();
    delta_name_ = delta->name;
    delta_ = Bytes(delta_name_);
    ASSERT_TRUE(ReadAll(full_name_).ok());
    ASSERT_TRUE(ReadAll(delta_name_).ok());
    ASSERT_EQ(2, delta_[160 + 20]) << "the first block must be stored as is";
  }

  void ExpectFull(const std::string& bytes, std::string_view what) {
    Put(full_name_, bytes);
    ExpectCorruption(ReadAll(full_name_), full_name_, 0x10, what);
  }
  void ExpectDelta(const std::string& bytes, std::string_view what) {
    Put(delta_name_, bytes);
    ExpectCorruption(ReadAll(delta_name_), delta_name_, 0x20, what);
  }
  size_t FullFooter() const { return full_.size() - 192; }
  size_t DeltaFooter() const { return delta_.size() - 192; }

  Pairs base_pairs_;
  std::string full_name_, full_, delta_name_, delta_;
};

TEST_F(SnapshotV2CorruptionTest, TooSmallForVersionTwo) {
  std::string bad = full_.substr(0, 300);
  ExpectFull(bad, "at least 456");
}

TEST_F(SnapshotV2CorruptionTest, PrefixCrc) {
  std::string bad = full_;
  bad[20] ^= 1;
  ExpectFull(bad, "header checksum mismatch");
}

TEST_F(SnapshotV2CorruptionTest, HeaderCrc) {
  std::string bad = full_;
  bad[130] ^= 1;  // Generation: behind the prefix CRC, under the header CRC.
  ExpectFull(bad, "header checksum mismatch");
}

TEST_F(SnapshotV2CorruptionTest, UnknownVersion) {
  std::string bad = full_;
  SetFixed32(&bad, 8, 3);
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "unsupported snapshot format version 3");
}

TEST_F(SnapshotV2CorruptionTest, Timeline0) {
  std::string bad = full_;
  SetFixed32(&bad, 12, 0);
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "timeline 0");
}

TEST_F(SnapshotV2CorruptionTest, UnknownCodecKindAndFlags) {
  std::string bad = full_;
  bad[24] = 3;
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "unknown codec 3");
  bad = full_;
  bad[26] = 3;
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "unknown snapshot kind 3");
  bad = full_;
  bad[25] = 0x08;
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "unknown header flags 8");
}

TEST_F(SnapshotV2CorruptionTest, EncryptionAndHashChainRefused) {
  std::string bad = full_;
  bad[25] = sf::kFlagEncrypted;
  SetFixed32(&bad, 28, 1);
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "encryption is not supported");
  bad = full_;
  SetFixed32(&bad, 28, 7);  // A key id without the flag.
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "encryption is not supported");
  bad = full_;
  bad[25] = sf::kFlagChained;
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "hash chain is not supported");
}

TEST_F(SnapshotV2CorruptionTest, KeySaltAndReservedBytes) {
  std::string bad = full_;
  bad[120] = 1;
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "key salt");
  for (size_t at : {27, 40, 60, 85, 140}) {
    bad = full_;
    bad[at] = 1;
    FixHeaderCrcsV2(&bad);
    ExpectFull(bad, "reserved header bytes");
  }
}

TEST_F(SnapshotV2CorruptionTest, RepositoryId) {
  std::string bad = full_;
  std::fill(bad.begin() + 96, bad.begin() + 112, '\0');
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "repository id is zero");
  // Another repository's object.
  testing::WriteIdentity(storage_.get(), "ffeeddccbbaa99887766554433221100");
  Put(full_name_, full_);
  ExpectCorruption(ReadAll(full_name_), full_name_, 0x10,
                   "00112233445566778899aabbccddeeff is not this "
                   "repository's (ffeeddccbbaa99887766554433221100)");
  // A storage without an identity checks nothing.
  ASSERT_TRUE(storage_->Delete(kIdentityObjectName).ok());
  EXPECT_TRUE(ReadAll(full_name_).ok());
}

TEST_F(SnapshotV2CorruptionTest, NameMustMatchTheHeader) {
  // Timeline, LSN, kind, generation: each in its own copy.
  for (const std::string other :
       {"snap/00000003-0000000000000010.snap",
        "snap/00000002-0000000000000011.snap",
        "snap/00000002-0000000000000010.delta",
        "snap/00000002-0000000000000010-00000001.snap", "snap/garbage"}) {
    ASSERT_TRUE(storage_->WriteAll(other, full_).ok());
    auto r = SnapshotReader::Open(storage_.get(), other);
    EXPECT_EQ(absl::StatusCode::kDataLoss, r.status().code()) << other;
    EXPECT_NE(std::string::npos,
              std::string(r.status().message())
                  .find("header says snap/00000002-0000000000000010.snap"))
        << r.status();
  }
}

TEST_F(SnapshotV2CorruptionTest, FenceFlagAndNameGoTogether) {
  std::string bad = full_;
  bad[25] = sf::kFlagFence;
  FixHeaderCrcsV2(&bad);
  ExpectFull(bad, "FENCE flag on an object not named as the version fence");
  // The fence without its flag.
  const std::string fence_name = SnapshotFenceName(2);
  std::string fence = Bytes(fence_name);
  fence[25] = 0;
  FixHeaderCrcsV2(&fence);
  Put(fence_name, fence);
  auto f = SnapshotFile::Open(storage_.get(), fence_name);
  ExpectCorruption(f.status(), fence_name, kSnapshotFenceLsn,
                   "without the FENCE flag");
}

TEST_F(SnapshotV2CorruptionTest, FooterMagicVersionSizeCrc) {
  std::string bad = full_;
  bad[bad.size() - 1] ^= 1;
  ExpectFull(bad, "no footer magic");
  bad = full_;
  SetFixed32(&bad, FullFooter() + 164, 1);
  ExpectFull(bad, "footer says format version 1, the header 2");
  bad = full_;
  SetFixed32(&bad, FullFooter() + 168, 104);
  ExpectFull(bad, "footer size 104");
  bad = full_;
  bad[FullFooter() + 3] ^= 1;
  ExpectFull(bad, "footer checksum mismatch");
}

TEST_F(SnapshotV2CorruptionTest, FooterFlagsAndReservedBytes) {
  std::string bad = full_;
  SetFixed32(&bad, FullFooter() + 88, 2);
  FixFooterCrcV2(&bad);
  ExpectFull(bad, "unknown footer flags 2");
  for (size_t at : {113, 150, 175}) {
    bad = full_;
    bad[FullFooter() + at] = 1;
    FixFooterCrcV2(&bad);
    ExpectFull(bad, "reserved footer bytes");
  }
}

TEST_F(SnapshotV2CorruptionTest, FooterMustAgreeWithTheHeader) {
  std::string bad = full_;
  SetFixed64(&bad, FullFooter(), 0x11);
  FixFooterCrcV2(&bad);
  ExpectFull(bad, "footer says timeline 2 lsn 17");
}

TEST_F(SnapshotV2CorruptionTest, FullSnapshotWithDeltaFields) {
  for (size_t at : {32, 40, 92, 96, 100, 104, 112}) {
    std::string bad = full_;
    bad[FullFooter() + at] ^= 1;
    FixFooterCrcV2(&bad);
    ExpectFull(bad, "a full snapshot's footer with delta fields");
  }
}

TEST_F(SnapshotV2CorruptionTest, DeltaChainDepth) {
  for (uint32_t depth : {0u, 65u, 1000u}) {
    std::string bad = delta_;
    SetFixed32(&bad, DeltaFooter() + 92, depth);
    FixFooterCrcV2(&bad);
    ExpectDelta(bad, absl::StrCat("chain depth ", depth, " outside [1, 64]"));
  }
}

TEST_F(SnapshotV2CorruptionTest, DeltaBaseReference) {
  std::string bad = delta_;
  bad[DeltaFooter() + 112] = 3;  // base_kind
  FixFooterCrcV2(&bad);
  ExpectDelta(bad, "impossible base reference");
  bad = delta_;
  SetFixed64(&bad, DeltaFooter() + 104, 0x20);  // base_lsn = lsn
  FixFooterCrcV2(&bad);
  ExpectDelta(bad, "impossible base reference");
  bad = delta_;
  SetFixed32(&bad, DeltaFooter() + 96, 0);  // base_timeline
  FixFooterCrcV2(&bad);
  ExpectDelta(bad, "impossible base reference");
  bad = delta_;
  SetFixed64(&bad, DeltaFooter() + 40,
             Fixed64At(delta_, DeltaFooter() + 32) + 1);
  FixFooterCrcV2(&bad);
  ExpectDelta(bad, "deletes among");
}

TEST_F(SnapshotV2CorruptionTest, Placement) {
  std::string bad = full_;
  SetFixed64(&bad, FullFooter() + 56, IndexOffsetV2(full_) + 1);
  FixFooterCrcV2(&bad);
  ExpectFull(bad, "footer places the index at");
  bad = full_;
  SetFixed64(&bad, FullFooter() + 56, 100);
  FixFooterCrcV2(&bad);
  ExpectFull(bad, "footer places the index at");
}

TEST_F(SnapshotV2CorruptionTest, IndexFrame) {
  const size_t index = IndexOffsetV2(full_);
  std::string bad = full_;
  bad[index + 12] ^= 1;  // raw_size, under the frame's header CRC
  ExpectFull(bad, "block header checksum mismatch");
  bad = full_;
  bad[index + 21] = 0;  // frame flags: INDEX cleared
  FixFrameCrcs(&bad, index);
  ExpectFull(bad, "not an index frame");
  bad = full_;
  SetFixed32(&bad, index + 16, Fixed32At(full_, index + 16) + 1);  // items
  FixFrameCrcs(&bad, index);
  ExpectFull(bad, "index frame of");
  bad = full_;
  bad[index + 45] ^= 1;  // payload
  ExpectFull(bad, "block payload checksum mismatch");
}

TEST_F(SnapshotV2CorruptionTest, BlockFrame) {
  std::string bad = full_;
  bad[160 + 16] ^= 1;  // item_count under the header CRC
  ExpectFull(bad, "block header checksum mismatch");
  bad = full_;
  bad[160 + 40 + 3] ^= 1;  // payload
  ExpectFull(bad, "block payload checksum mismatch");
  bad = full_;
  bad[160 + 21] = 2;  // frame flag INDEX on a block
  FixFrameCrcs(&bad, 160);
  ExpectFull(bad, "frame flags");
  bad = full_;
  bad[160 + 21] = 1;  // ENCRYPTED
  FixFrameCrcs(&bad, 160);
  ExpectFull(bad, "encrypted block");
  bad = full_;
  SetFixed32(&bad, 160 + 16, Fixed32At(full_, 160 + 16) - 1);
  FixFrameCrcs(&bad, 160);
  ExpectFull(bad, "disagrees with its index entry");
}

TEST_F(SnapshotV2CorruptionTest, DeltaEntries) {
  // The first block (stored as is) starts with the first entry's type byte.
  std::string bad = delta_;
  bad[200] = 3;  // Range delete: refused in snapshots.
  FixFrameCrcs(&bad, 160);
  ExpectDelta(bad, "entry 0 is malformed");
  // A delete with a value: find the first delete and flip its type... to a
  // delete where a put stands, which has a value.
  bad = delta_;
  size_t at = 200;
  std::string_view rest(delta_.data() + 200, Fixed32At(delta_, 160 + 12));
  std::string_view k, v;
  bool deleted;
  size_t put_entry = SIZE_MAX;
  for (size_t i = 0; sf::GetEntry(&rest, &k, &v, &deleted); ++i) {
    if (!deleted) {
      put_entry = i;
      break;
    }
    at = 200 + (Fixed32At(delta_, 160 + 12) - rest.size());
  }
  ASSERT_NE(SIZE_MAX, put_entry);
  bad[at] = 2;
  FixFrameCrcs(&bad, 160);
  ExpectDelta(bad, absl::StrCat("entry ", put_entry, " is malformed"));
}

TEST_F(SnapshotV2CorruptionTest, Summary) {
  // The full snapshot's index is zstd-compressed; the fence's is stored as
  // is, so its summary can be edited in place.
  const std::string fence_name = SnapshotFenceName(2);
  const std::string fence = Bytes(fence_name);
  auto expect = [&](const std::string& bad, std::string_view what) {
    Put(fence_name, bad);
    ExpectCorruption(SnapshotFile::Open(storage_.get(), fence_name).status(),
                     fence_name, kSnapshotFenceLsn, what);
  };
  std::string bad = fence;
  bad[200 + 50] = 1;
  FixFrameCrcs(&bad, 160);
  expect(bad, "reserved summary bytes");
  bad = fence;
  bad[200 + 16] = 1;
  FixFrameCrcs(&bad, 160);
  expect(bad, "the summary's digest counts 1 pairs, the footer 0");
  bad = fence;
  bad[200 + 3] = 1;
  FixFrameCrcs(&bad, 160);
  expect(bad, "an empty state with a non-zero digest");
  bad = fence;
  bad[200 + 30] = 1;
  FixFrameCrcs(&bad, 160);
  expect(bad, "a full snapshot with a base digest");
}

TEST_F(SnapshotV2CorruptionTest, DigestMismatchEndsAFullIteration) {
  // A value rewritten, checksums recomputed: only the digest knows.
  ASSERT_EQ(2, full_[160 + 20]) << "the first block must be stored as is";
  std::string bad = full_;
  const size_t key_length = static_cast<uint8_t>(full_[200]);
  ASSERT_EQ(8, full_[201]);
  bad[202 + key_length + 7] ^= 0x20;  // The first value's last byte.
  FixFrameCrcs(&bad, 160);
  Put(full_name_, bad);
  auto r = SnapshotReader::Open(storage_.get(), full_name_);
  ASSERT_TRUE(r.ok()) << r.status();
  Pairs got;
  ExpectCorruption(Drain((*r)->NewIterator().get(), &got), full_name_, 0x10,
                   "state digest mismatch: the index summary records");
  EXPECT_EQ(base_pairs_.size(), got.size());
  ExpectCorruption((*r)->Verify(), full_name_, 0x10, "state digest mismatch");
}

TEST_F(SnapshotV2CorruptionTest, EveryTruncationIsDamage) {
  for (size_t n = 0; n < full_.size(); n += 7) {
    Put(full_name_, full_.substr(0, n));
    EXPECT_EQ(absl::StatusCode::kDataLoss, ReadAll(full_name_).code()) << n;
  }
}

}  // namespace
}  // namespace wayback
