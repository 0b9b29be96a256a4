// Copyright 2026 The Wayback Authors.
//
// SnapshotWriter / SnapshotReader: round trips against a model, range scans
// and lookups at block edges, the writer's input checks, and bounded memory.

#include "wayback/snapshot.h"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/snapshot/snapshot_file.h"
#include "src/snapshot/snapshot_format.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

using testing::Drain;
using testing::IndependentDigest;
using testing::Pairs;
using testing::RandomPairs;
using testing::WritePairs;

SnapshotWriterOptions Options(Lsn lsn, size_t block_size = 256 * 1024) {
  SnapshotWriterOptions o;
  o.timeline = 3;
  o.lsn = lsn;
  o.commit_time = 1'700'000'000'123'456'789 + static_cast<int64_t>(lsn);
  o.block_size = block_size;
  return o;
}

// Writes `pairs`, reopens, and checks everything the reader says against the
// model.
void RoundTrip(const Pairs& pairs, size_t block_size) {
  auto storage = NewMemoryStorage();
  SnapshotWriterOptions o = Options(42, block_size);
  absl::StatusOr<SnapshotInfo> written = WritePairs(storage.get(), o, pairs);
  ASSERT_TRUE(written.ok()) << written.status();
  EXPECT_EQ(SnapshotObjectName(3, 42), written->name);
  EXPECT_EQ(pairs.size(), written->pair_count);
  EXPECT_EQ(IndependentDigest(pairs), written->digest);

  auto reader = SnapshotReader::Open(storage.get(), written->name);
  ASSERT_TRUE(reader.ok()) << reader.status();
  const SnapshotInfo& info = (*reader)->info();
  EXPECT_EQ(written->name, info.name);
  EXPECT_EQ(3u, info.timeline);
  EXPECT_EQ(42u, info.lsn);
  EXPECT_EQ(o.commit_time, info.commit_time);
  EXPECT_EQ(pairs.size(), info.pair_count);
  EXPECT_EQ(IndependentDigest(pairs), info.digest);
  EXPECT_EQ(written->raw_bytes, info.raw_bytes);
  EXPECT_EQ(written->block_count, info.block_count);
  auto stat = storage->Stat(written->name);
  ASSERT_TRUE(stat.ok());
  EXPECT_EQ(stat->size, info.size);
  EXPECT_EQ(written->size, info.size);

  Pairs got;
  auto it = (*reader)->NewIterator();
  ASSERT_TRUE(Drain(it.get(), &got).ok()) << it->status();
  EXPECT_TRUE(got == pairs);
  // After the end, Next() keeps returning false with an OK status.
  std::string_view k, v;
  EXPECT_FALSE(it->Next(&k, &v));
  EXPECT_TRUE(it->status().ok());
  EXPECT_TRUE((*reader)->Verify().ok());
}

TEST(SnapshotTest, EmptySnapshot) {
  RoundTrip({}, 4096);
  auto storage = NewMemoryStorage();
  auto info = WritePairs(storage.get(), Options(0), {});
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(0u, info->block_count);
  EXPECT_EQ(snapshot_format::kMinObjectSize, info->size);
  EXPECT_EQ(StateDigest(), info->digest);
}

TEST(SnapshotTest, OnePair) { RoundTrip({{"key", "value"}}, 4096); }

TEST(SnapshotTest, BinaryKeysAndEmptyValues) {
  Pairs pairs = {{std::string(), "empty key"},
                 {std::string(1, '\0'), ""},
                 {std::string("\0\0", 2), "two nuls"},
                 {std::string("a\0b", 3), ""},
                 {"a\xff", std::string("\0\x01\x02", 3)},
                 {"\x80", ""},
                 {"\xff\xff\xff", "last"}};
  RoundTrip(pairs, 4096);
  RoundTrip(pairs, 1);  // One pair per block.
}

TEST(SnapshotTest, LargeValueOfSeveralMiB) {
  std::string big(5 << 20, '\0');
  std::mt19937_64 rng(7);
  for (char& c : big) c = static_cast<char>(rng() % 7);  // Compressible-ish.
  RoundTrip({{"a", "small"}, {"big", big}, {"c", "after"}}, 64 * 1024);
}

TEST(SnapshotTest, ManyBlocks) {
  Pairs pairs = RandomPairs(1, 20000, 24, 100);
  RoundTrip(pairs, 4096);
}

TEST(SnapshotTest, BlocksRespectTheTargetSize) {
  auto storage = NewMemoryStorage();
  Pairs pairs = RandomPairs(2, 3000, 16, 60);
  pairs.insert(pairs.begin() + 1500,
               {pairs[1499].first + std::string(1, '\0'),
                std::string(10000, 'x')});  // Larger than a block.
  const size_t kBlock = 2048;
  ASSERT_TRUE(WritePairs(storage.get(), Options(9, kBlock), pairs).ok());
  auto reader = SnapshotFile::Open(storage.get(), SnapshotObjectName(3, 9));
  ASSERT_TRUE(reader.ok()) << reader.status();
  SnapshotFile& file = **reader;
  Pairs got;
  SnapshotBlock block;
  for (size_t i = 0; i < file.block_count(); ++i) {
    ASSERT_TRUE(file.ReadBlock(i, &block).ok());
    EXPECT_EQ(i, block.index());
    EXPECT_EQ(file.block(i).pair_count, block.pair_count());
    // Over the target size only when a single pair is.
    if (block.pair_count() > 1) {
      EXPECT_LE(block.raw().size(), kBlock);
    }
    auto it = block.pairs();
    std::string_view k, v;
    uint32_t n = 0;
    while (it.Next(&k, &v)) {
      got.emplace_back(std::string(k), std::string(v));
      ++n;
    }
    EXPECT_EQ(block.pair_count(), n);
  }
  EXPECT_TRUE(got == pairs);
  EXPECT_FALSE(file.ReadBlock(file.block_count(), &block).ok());
}

// Keys a range or lookup can hit awkwardly: each key, just after it, just
// before it (a prefix), and both extremes.
std::vector<std::string> ProbeKeys(const Pairs& pairs) {
  std::vector<std::string> probes = {"", std::string(1, '\0'),
                                     "\xff\xff\xff\xff"};
  for (const auto& [k, v] : pairs) {
    probes.push_back(k);
    probes.push_back(k + std::string(1, '\0'));
    if (!k.empty()) probes.push_back(k.substr(0, k.size() - 1));
  }
  std::sort(probes.begin(), probes.end());
  probes.erase(std::unique(probes.begin(), probes.end()), probes.end());
  return probes;
}

TEST(SnapshotTest, RangeScansAtBlockEdges) {
  auto storage = NewMemoryStorage();
  // Small blocks (a few pairs each) so that most probes sit at an edge.
  Pairs pairs = RandomPairs(3, 40, 3, 20);
  ASSERT_TRUE(WritePairs(storage.get(), Options(1, 64), pairs).ok());
  auto reader = SnapshotReader::Open(storage.get(), SnapshotObjectName(3, 1));
  ASSERT_TRUE(reader.ok());
  ASSERT_GT((*reader)->info().block_count, 8u);
  std::map<std::string, std::string> model(pairs.begin(), pairs.end());
  std::vector<std::string> probes = ProbeKeys(pairs);
  int ranges = 0;
  for (const std::string& begin : probes) {
    for (const std::string& end : probes) {
      Pairs expected;
      for (auto it = model.lower_bound(begin);
           it != model.end() && (end.empty() || it->first < end); ++it) {
        expected.push_back(*it);
      }
      Pairs got;
      auto it = (*reader)->NewRangeIterator(begin, end);
      ASSERT_TRUE(Drain(it.get(), &got).ok());
      ASSERT_TRUE(got == expected) << "range [" << begin << ", " << end << ")";
      ++ranges;
    }
  }
  EXPECT_GT(ranges, 1000);
}

TEST(SnapshotTest, GetHitsAndMisses) {
  auto storage = NewMemoryStorage();
  Pairs pairs = RandomPairs(4, 300, 4, 30);
  ASSERT_TRUE(WritePairs(storage.get(), Options(1, 256), pairs).ok());
  auto reader = SnapshotReader::Open(storage.get(), SnapshotObjectName(3, 1));
  ASSERT_TRUE(reader.ok());
  std::map<std::string, std::string> model(pairs.begin(), pairs.end());
  int hits = 0, misses = 0;
  for (const std::string& probe : ProbeKeys(pairs)) {
    auto got = (*reader)->Get(probe);
    ASSERT_TRUE(got.ok()) << got.status();
    auto want = model.find(probe);
    if (want == model.end()) {
      EXPECT_FALSE(got->has_value()) << probe;
      ++misses;
    } else {
      ASSERT_TRUE(got->has_value()) << probe;
      EXPECT_EQ(want->second, **got);
      ++hits;
    }
  }
  EXPECT_EQ(300, hits);
  EXPECT_GT(misses, 300);
}

TEST(SnapshotTest, UnsortedKeyRejected) {
  auto storage = NewMemoryStorage();
  auto w = SnapshotWriter::Create(storage.get(), Options(1));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("b", "1").ok());
  absl::Status s = (*w)->Add("a", "2");
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, s.code()) << s;
  // The rejected pair is not in the snapshot; the writer goes on.
  ASSERT_TRUE((*w)->Add("c", "3").ok());
  auto info = (*w)->Finish();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ(IndependentDigest({{"b", "1"}, {"c", "3"}}), info->digest);
}

TEST(SnapshotTest, DuplicateKeyRejected) {
  auto storage = NewMemoryStorage();
  auto w = SnapshotWriter::Create(storage.get(), Options(1));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("k", "1").ok());
  absl::Status s = (*w)->Add("k", "2");
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, s.code()) << s;
  EXPECT_NE(std::string::npos, std::string(s.message()).find("repeats"));
}

TEST(SnapshotTest, EmptyKeyAfterAnotherKeyRejected) {
  auto storage = NewMemoryStorage();
  auto w = SnapshotWriter::Create(storage.get(), Options(1));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("a", "1").ok());
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, (*w)->Add("", "2").code());
}

TEST(SnapshotTest, BadOptionsRejected) {
  auto storage = NewMemoryStorage();
  SnapshotWriterOptions o = Options(1);
  o.timeline = 0;
  EXPECT_EQ(absl::StatusCode::kInvalidArgument,
            SnapshotWriter::Create(storage.get(), o).status().code());
  o = Options(1, 0);
  EXPECT_EQ(absl::StatusCode::kInvalidArgument,
            SnapshotWriter::Create(storage.get(), o).status().code());
  o = Options(1, size_t{snapshot_format::kMaxBlockRawSize} + 1);
  EXPECT_EQ(absl::StatusCode::kInvalidArgument,
            SnapshotWriter::Create(storage.get(), o).status().code());
}

TEST(SnapshotTest, FinishTwiceAndAddAfterFinishRefused) {
  auto storage = NewMemoryStorage();
  auto w = SnapshotWriter::Create(storage.get(), Options(1));
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Finish().ok());
  EXPECT_EQ(absl::StatusCode::kFailedPrecondition,
            (*w)->Finish().status().code());
  EXPECT_EQ(absl::StatusCode::kFailedPrecondition, (*w)->Add("a", "").code());
}

TEST(SnapshotTest, ExistingSnapshotIsNotOverwritten) {
  auto storage = NewMemoryStorage();
  ASSERT_TRUE(WritePairs(storage.get(), Options(5), {{"a", "1"}}).ok());
  auto again = WritePairs(storage.get(), Options(5), {{"b", "2"}});
  EXPECT_EQ(absl::StatusCode::kAlreadyExists, again.status().code())
      << again.status();
  auto reader = SnapshotReader::Open(storage.get(), SnapshotObjectName(3, 5));
  ASSERT_TRUE(reader.ok());
  auto got = (*reader)->Get("a");
  ASSERT_TRUE(got.ok() && got->has_value());
}

TEST(SnapshotTest, AbandonedWriterPublishesNothing) {
  auto storage = NewMemoryStorage();
  {
    auto w = SnapshotWriter::Create(storage.get(), Options(8, 16));
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < 100; ++i) {
      ASSERT_TRUE((*w)->Add(absl::StrCat("k", 1000 + i), "v").ok());
    }
  }
  auto stat = storage->Stat(SnapshotObjectName(3, 8));
  EXPECT_EQ(absl::StatusCode::kNotFound, stat.status().code());
  auto listed = storage->List("snap/");
  ASSERT_TRUE(listed.ok());
  for (const ObjectInfo& o : *listed) {
    EXPECT_TRUE(o.name.ends_with(".tmp")) << o.name;
  }
}

TEST(SnapshotTest, ObjectNames) {
  EXPECT_EQ("snap/00000001-0000000000000000.snap", SnapshotObjectName(1, 0));
  EXPECT_EQ("snap/0000abcd-00000000deadbeef.snap",
            SnapshotObjectName(0xabcd, 0xdeadbeef));
  EXPECT_EQ("snap/ffffffff-ffffffffffffffff.snap",
            SnapshotObjectName(0xffffffff, ~0ull));
  for (auto [t, l] : std::vector<std::pair<TimelineId, Lsn>>{
           {1, 0}, {1, 1}, {7, 123456789}, {0xffffffff, ~0ull}}) {
    TimelineId pt = 0;
    Lsn pl = 0;
    ASSERT_TRUE(ParseSnapshotObjectName(SnapshotObjectName(t, l), &pt, &pl));
    EXPECT_EQ(t, pt);
    EXPECT_EQ(l, pl);
  }
  // Names sort by timeline, then LSN.
  EXPECT_LT(SnapshotObjectName(1, 0xffff), SnapshotObjectName(2, 0));
  EXPECT_LT(SnapshotObjectName(1, 0xf), SnapshotObjectName(1, 0x10));
  TimelineId t;
  Lsn l;
  for (const char* bad :
       {"", "snap/", "snap/00000001-0000000000000000.sna",
        "snap/00000001-0000000000000000.snapx",
        "snap/00000001_0000000000000000.snap",
        "snap/0000001-00000000000000000.snap",
        "snap/00000001-000000000000000G.snap",
        "snap/00000001-000000000000000A.snap",  // Uppercase: not canonical.
        "snap/00000000-0000000000000001.snap",  // Timeline 0.
        "log/00000001-0000000000000000.snap",
        "xsnap/00000001-0000000000000000.snap"}) {
    EXPECT_FALSE(ParseSnapshotObjectName(bad, &t, &l)) << bad;
  }
}

// Bounded memory: the writer's buffers stay near one block plus the index,
// however much it writes. WAYBACK_SNAPSHOT_BIG_MB=200 writes that many MiB
// (to a local directory) instead of the default 24.
TEST(SnapshotTest, WriterMemoryIsBounded) {
  const char* env = std::getenv("WAYBACK_SNAPSHOT_BIG_MB");
  const uint64_t total = uint64_t{env ? std::strtoull(env, nullptr, 10) : 24}
                         << 20;
  testing::TempDir dir;
  std::unique_ptr<Storage> storage;
  if (env != nullptr) {
    auto local = OpenLocalStorage(dir.path(), false);
    ASSERT_TRUE(local.ok()) << local.status();
    storage = std::move(local).value();
  } else {
    storage = NewMemoryStorage();
  }
  const size_t kBlock = 64 * 1024;
  SnapshotWriterOptions o = Options(77, kBlock);
  o.compression_level = 1;
  auto w = SnapshotFileWriter::Create(storage.get(), o);
  ASSERT_TRUE(w.ok());
  std::mt19937_64 rng(5);
  std::string value(1000, '\0');
  StateDigest expected;
  uint64_t written = 0;
  char key[17];
  for (uint64_t i = 0; written < total; ++i) {
    snprintf(key, sizeof(key), "%016llx", static_cast<unsigned long long>(i));
    for (size_t j = 0; j < value.size(); j += 8) {
      uint64_t r = rng();
      std::memcpy(value.data() + j, &r, std::min<size_t>(8, value.size() - j));
    }
    ASSERT_TRUE((*w)->Add(key, value).ok());
    expected.Add(key, value);
    written += 16 + value.size();
  }
  auto info = (*w)->Finish();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(expected, info->digest);
  // One block, its compressed form, the index (~40 bytes per block here),
  // allowing for std::string's growth by doubling.
  const size_t index_estimate = info->block_count * 64;
  const size_t bound = 4 * kBlock + 2 * index_estimate + 64 * 1024;
  EXPECT_LE((*w)->peak_buffered_bytes(), bound);
  RecordProperty("peak_buffered_bytes", (*w)->peak_buffered_bytes());
  RecordProperty("raw_bytes", info->raw_bytes);
  RecordProperty("blocks", info->block_count);
  EXPECT_GT(info->raw_bytes, 20 * bound);  // The point: written >> held.
  auto reader = SnapshotReader::Open(storage.get(), info->name);
  ASSERT_TRUE(reader.ok()) << reader.status();
  EXPECT_EQ(expected, (*reader)->info().digest);
  EXPECT_TRUE((*reader)->Verify().ok());
}

}  // namespace
}  // namespace wayback
