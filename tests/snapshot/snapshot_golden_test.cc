// Copyright 2026 The Wayback Authors.
//
// tests/data/golden_v1.snap: a format-v1 snapshot committed to the repository
// that every later version must still read, pair for pair. It was made by the
// deterministic generator below:
//
//   WAYBACK_WRITE_GOLDEN=/work/main/tests/data/golden_v1.snap
//     build/tests/snapshot/wayback_snapshot_test --gtest_filter='*Golden*'
//
// tests/data/golden_v2_full.snap and golden_v2_delta.snap (format v2, a full
// snapshot and a delta of generation 1 over it, in the repository whose id is
// that of the V2.11 example) were made the same way:
//
//   WAYBACK_WRITE_GOLDEN_V2=/work/main/tests/data
//     build/tests/snapshot/wayback_snapshot_test --gtest_filter='*Golden*'
//
// Never regenerate them to make a test pass: a failure here means the reader
// no longer reads what an earlier version wrote.

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <sstream>
#include <string>
#include <utility>

#include "gtest/gtest.h"
#include "src/snapshot/snapshot_format.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/snapshot.h"
#include "wayback/status.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

using testing::Pairs;

constexpr TimelineId kGoldenTimeline = 2;
constexpr Lsn kGoldenLsn = 0x1234;
constexpr CommitTime kGoldenCommitTime = 1764000000123456789;

// The golden pairs. std::mt19937_64's output sequence is fixed by the C++
// standard (unlike the distributions), so this is the same everywhere.
Pairs GoldenPairs() {
  std::mt19937_64 rng(20261125);
  std::map<std::string, std::string> m;
  m[""] = "the empty key";
  m[std::string(1, '\0')] = "";
  m["big"] = std::string(3000, 'B');  // Larger than a block.
  for (int i = 0; i < 200; ++i) {
    std::string key(1 + rng() % 10, '\0');
    for (char& c : key) c = static_cast<char>(rng() & 0xff);
    std::string value(rng() % 40, '\0');
    for (char& c : value) c = static_cast<char>(' ' + rng() % 95);
    m[key] = value;
  }
  return Pairs(m.begin(), m.end());
}

SnapshotWriterOptions GoldenOptions() {
  SnapshotWriterOptions o;
  o.timeline = kGoldenTimeline;
  o.lsn = kGoldenLsn;
  o.commit_time = kGoldenCommitTime;
  o.block_size = 512;
  o.compression_level = 3;
  return o;
}

TEST(SnapshotGoldenTest, WriteGoldenFileWhenAsked) {
  const char* out = std::getenv("WAYBACK_WRITE_GOLDEN");
  if (out == nullptr) GTEST_SKIP() << "set WAYBACK_WRITE_GOLDEN=path to write";
  auto storage = NewMemoryStorage();
  auto info =
      testing::WritePairs(storage.get(), GoldenOptions(), GoldenPairs());
  ASSERT_TRUE(info.ok()) << info.status();
  auto bytes = storage->ReadAll(info->name);
  ASSERT_TRUE(bytes.ok());
  std::ofstream f(out, std::ios::binary);
  f.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
  ASSERT_TRUE(f.good());
}

TEST(SnapshotGoldenTest, ReadsGoldenV1) {
  std::ifstream f(testing::TestDataDir() + "/golden_v1.snap", std::ios::binary);
  ASSERT_TRUE(f.good()) << "missing " << testing::TestDataDir()
                        << "/golden_v1.snap";
  std::stringstream ss;
  ss << f.rdbuf();
  const std::string bytes = ss.str();
  // The fixed parts, as snapshot_format.md lays them out.
  ASSERT_GE(bytes.size(), snapshot_format::kMinObjectSize);
  EXPECT_EQ(std::string("\x89WBSNP\r\n", 8), bytes.substr(0, 8));
  EXPECT_EQ(std::string("\x89WBEND\r\n", 8), bytes.substr(bytes.size() - 8));
  EXPECT_EQ(1u, testing::Fixed32At(bytes, 8));
  EXPECT_EQ(kGoldenTimeline, testing::Fixed32At(bytes, 12));
  EXPECT_EQ(kGoldenLsn, testing::Fixed64At(bytes, 16));

  auto storage = NewMemoryStorage();
  const std::string name = SnapshotObjectName(kGoldenTimeline, kGoldenLsn);
  ASSERT_TRUE(storage->WriteAll(name, bytes).ok());
  auto reader = SnapshotReader::Open(storage.get(), name);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const Pairs expected = GoldenPairs();
  const SnapshotInfo& info = (*reader)->info();
  EXPECT_EQ(kGoldenTimeline, info.timeline);
  EXPECT_EQ(kGoldenLsn, info.lsn);
  EXPECT_EQ(kGoldenCommitTime, info.commit_time);
  EXPECT_EQ(expected.size(), info.pair_count);
  EXPECT_GT(info.block_count, 5u);
  EXPECT_EQ(testing::IndependentDigest(expected), info.digest);
  Pairs got;
  ASSERT_TRUE(testing::Drain((*reader)->NewIterator().get(), &got).ok());
  EXPECT_TRUE(got == expected);
  EXPECT_TRUE((*reader)->Verify().ok());
}

// ---- Version 2 ----

constexpr Lsn kGoldenDeltaLsn = 0x2345;
constexpr uint32_t kGoldenDeltaGeneration = 1;
constexpr uint64_t kGoldenSourcePosition = 0xabcdef;

SnapshotWriterOptions GoldenV2Options() {
  SnapshotWriterOptions o = GoldenOptions();
  o.format_version = 2;
  o.max_commit_time = kGoldenCommitTime + 7;
  o.last_source_position = kGoldenSourcePosition;
  return o;
}

// The delta's entries: every 7th key deleted, every 5th other value changed,
// and 20 new keys (a put or a delete each; nullopt: delete).
std::map<std::string, std::optional<std::string>> GoldenEdits() {
  const Pairs base = GoldenPairs();
  std::map<std::string, std::optional<std::string>> edits;
  for (size_t i = 0; i < base.size(); ++i) {
    if (i % 7 == 0) {
      edits[base[i].first] = std::nullopt;
    } else if (i % 5 == 0) {
      edits[base[i].first] = base[i].second + " changed";
    }
  }
  std::mt19937_64 rng(20261207);
  while (edits.size() < 80) {
    std::string key = "new" + std::to_string(rng() % 1000);
    edits.emplace(key, std::string(rng() % 30, 'n'));
  }
  return edits;
}

Pairs GoldenDeltaState() {
  const Pairs base = GoldenPairs();
  std::map<std::string, std::string> m(base.begin(), base.end());
  for (const auto& [k, v] : GoldenEdits()) {
    if (v) {
      m[k] = *v;
    } else {
      m.erase(k);
    }
  }
  return Pairs(m.begin(), m.end());
}

// Writes both golden v2 objects into `storage` (which has the identity).
absl::StatusOr<std::pair<SnapshotInfo, SnapshotInfo>> WriteGoldenV2(
    Storage* storage) {
  WAYBACK_ASSIGN_OR_RETURN(
      SnapshotInfo full,
      testing::WritePairs(storage, GoldenV2Options(), GoldenPairs()));
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotReader> base,
                           SnapshotReader::Open(storage, full.name));
  SnapshotWriterOptions o = GoldenV2Options();
  o.lsn = kGoldenDeltaLsn;
  o.commit_time = kGoldenCommitTime + 1000;
  o.max_commit_time.reset();
  o.kind = SnapshotKind::kDelta;
  o.generation = kGoldenDeltaGeneration;
  o.base = base.get();
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotWriter> w,
                           SnapshotWriter::Create(storage, o));
  for (const auto& [k, v] : GoldenEdits()) {
    WAYBACK_RETURN_IF_ERROR(v ? w->Add(k, *v) : w->AddDelete(k));
  }
  WAYBACK_ASSIGN_OR_RETURN(SnapshotInfo delta, w->Finish());
  return std::make_pair(full, delta);
}

TEST(SnapshotGoldenTest, WriteGoldenV2FilesWhenAsked) {
  const char* dir = std::getenv("WAYBACK_WRITE_GOLDEN_V2");
  if (dir == nullptr) {
    GTEST_SKIP() << "set WAYBACK_WRITE_GOLDEN_V2=directory to write";
  }
  auto storage = NewMemoryStorage();
  testing::WriteIdentity(storage.get());
  auto written = WriteGoldenV2(storage.get());
  ASSERT_TRUE(written.ok()) << written.status();
  for (const auto& [name, file] :
       {std::make_pair(written->first.name, "golden_v2_full.snap"),
        std::make_pair(written->second.name, "golden_v2_delta.snap")}) {
    auto bytes = storage->ReadAll(name);
    ASSERT_TRUE(bytes.ok());
    std::ofstream f(std::string(dir) + "/" + file, std::ios::binary);
    f.write(bytes->data(), static_cast<std::streamsize>(bytes->size()));
    ASSERT_TRUE(f.good());
  }
}

std::string ReadTestData(const std::string& file) {
  std::ifstream f(testing::TestDataDir() + "/" + file, std::ios::binary);
  EXPECT_TRUE(f.good()) << "missing " << testing::TestDataDir() << "/" << file;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

TEST(SnapshotGoldenTest, ReadsGoldenV2FullAndDelta) {
  const std::string full_bytes = ReadTestData("golden_v2_full.snap");
  const std::string delta_bytes = ReadTestData("golden_v2_delta.snap");
  ASSERT_GE(full_bytes.size(), snapshot_format::kMinObjectSizeV2);
  ASSERT_GE(delta_bytes.size(), snapshot_format::kMinObjectSizeV2);
  // The fixed parts, as the spec lays them out.
  EXPECT_EQ(2u, testing::Fixed32At(full_bytes, 8));
  EXPECT_EQ(1, full_bytes[26]);
  EXPECT_EQ(2, delta_bytes[26]);
  EXPECT_EQ(kGoldenDeltaGeneration, testing::Fixed32At(delta_bytes, 128));
  EXPECT_EQ(std::string("\x00\x11\x22\x33", 4), full_bytes.substr(96, 4));
  EXPECT_EQ(2u, testing::Fixed32At(full_bytes, full_bytes.size() - 28));
  EXPECT_EQ(192u, testing::Fixed32At(full_bytes, full_bytes.size() - 24));

  auto storage = NewMemoryStorage();
  testing::WriteIdentity(storage.get());
  const std::string full_name =
      SnapshotObjectName(SnapshotName{kGoldenTimeline, kGoldenLsn});
  const std::string delta_name = SnapshotObjectName(
      SnapshotName{kGoldenTimeline, kGoldenDeltaLsn, SnapshotKind::kDelta,
                   kGoldenDeltaGeneration});
  EXPECT_EQ("snap/00000002-0000000000002345-00000001.delta", delta_name);
  ASSERT_TRUE(storage->WriteAll(full_name, full_bytes).ok());
  ASSERT_TRUE(storage->WriteAll(delta_name, delta_bytes).ok());

  auto full = SnapshotReader::Open(storage.get(), full_name);
  ASSERT_TRUE(full.ok()) << full.status();
  const SnapshotInfo& fi = (*full)->info();
  const Pairs pairs = GoldenPairs();
  EXPECT_EQ(2u, fi.format_version);
  EXPECT_EQ(SnapshotKind::kFull, fi.kind);
  EXPECT_EQ(kGoldenCommitTime, fi.commit_time);
  EXPECT_EQ(kGoldenCommitTime + 7, fi.max_commit_time);
  EXPECT_EQ(std::optional<uint64_t>(kGoldenSourcePosition),
            fi.last_source_position);
  EXPECT_EQ(pairs.size(), fi.pair_count);
  EXPECT_GT(fi.block_count, 5u);
  EXPECT_EQ(testing::IndependentDigest(pairs), fi.digest);
  Pairs got;
  ASSERT_TRUE(testing::Drain((*full)->NewIterator().get(), &got).ok());
  EXPECT_TRUE(got == pairs);

  auto delta = SnapshotReader::Open(storage.get(), delta_name);
  ASSERT_TRUE(delta.ok()) << delta.status();
  const SnapshotInfo& di = (*delta)->info();
  const Pairs state = GoldenDeltaState();
  EXPECT_EQ(SnapshotKind::kDelta, di.kind);
  EXPECT_EQ(kGoldenDeltaGeneration, di.generation);
  EXPECT_EQ(1u, di.chain_depth);
  ASSERT_TRUE(di.base.has_value());
  EXPECT_EQ(kGoldenLsn, di.base->lsn);
  EXPECT_EQ(fi.digest, di.base->digest);
  EXPECT_EQ(GoldenEdits().size(), di.entry_count);
  EXPECT_EQ(state.size(), di.pair_count);
  EXPECT_EQ(testing::IndependentDigest(state), di.digest);
  EXPECT_EQ(kGoldenCommitTime + 1000, di.max_commit_time);
  EXPECT_TRUE((*delta)->Verify().ok());

  auto chain = OpenSnapshotChain(storage.get(), {full_name, delta_name});
  ASSERT_TRUE(chain.ok()) << chain.status();
  Pairs merged;
  ASSERT_TRUE(testing::Drain((*chain)->NewIterator().get(), &merged).ok());
  EXPECT_TRUE(merged == state);
  EXPECT_TRUE((*chain)->Verify().ok());
}

// What the golden generator writes today still reads back as the goldens do
// (the bytes may differ only where zstd's output does).
TEST(SnapshotGoldenTest, GoldenV2GeneratorRoundTrips) {
  auto storage = NewMemoryStorage();
  testing::WriteIdentity(storage.get());
  auto written = WriteGoldenV2(storage.get());
  ASSERT_TRUE(written.ok()) << written.status();
  Pairs merged;
  ASSERT_TRUE(testing::DrainChain(storage.get(),
                                  {written->first.name, written->second.name},
                                  &merged)
                  .ok());
  EXPECT_TRUE(merged == GoldenDeltaState());
}

}  // namespace
}  // namespace wayback
