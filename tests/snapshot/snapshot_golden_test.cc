// Copyright 2026 The Wayback Authors.
//
// tests/data/golden_v1.snap: a format-v1 snapshot committed to the repository
// that every later version must still read, pair for pair. It was made by the
// deterministic generator below:
//
//   WAYBACK_WRITE_GOLDEN=/work/main/tests/data/golden_v1.snap
//     build/tests/snapshot/wayback_snapshot_test --gtest_filter='*Golden*'
//
// Never regenerate it to make a test pass: a failure here means the reader no
// longer reads what an earlier version wrote.

#include <cstdlib>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>

#include "gtest/gtest.h"
#include "src/snapshot/snapshot_format.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/snapshot.h"
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

}  // namespace
}  // namespace wayback
