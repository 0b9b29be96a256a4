// Copyright 2026 The Wayback Authors.
//
// RunRtoBench() on generated repositories: the figures describe the
// repository exactly (snapshot chosen, stretch bounds), the estimate is the
// sum its fields say, the verdict follows the objective, and the repository
// is only read.

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/bench/bench.h"
#include "src/workload/workload.h"
#include "wayback/recovery.h"

namespace wayback {
namespace {

std::unique_ptr<Storage> Generate(absl::Duration snapshot_every,
                                  GenerateResult* result) {
  auto storage = NewMemoryStorage();
  GenerateOptions g;
  g.workload.seed = 3;
  g.workload.duration = absl::Hours(3);
  g.workload.rate = 0.5;
  g.snapshot_every = snapshot_every;
  g.segment_max_age = absl::Minutes(20);
  auto r = GenerateRepository(storage.get(), g);
  EXPECT_TRUE(r.ok()) << r.status();
  if (r.ok()) *result = *r;
  return storage;
}

std::vector<ObjectInfo> Objects(Storage* s) {
  auto l = s->List("");
  EXPECT_TRUE(l.ok()) << l.status();
  return l.ok() ? *l : std::vector<ObjectInfo>();
}

TEST(RtoBenchTest, WithoutSnapshotsTheStretchIsTheWholeLog) {
  GenerateResult gen;
  auto storage = Generate(absl::ZeroDuration(), &gen);
  auto catalog = Catalog::Open(storage.get());
  ASSERT_TRUE(catalog.ok());
  uint64_t raw = 0;
  for (const SegmentInfo& s : (*catalog)->segments()) raw += s.raw_bytes;

  RtoBenchOptions o;
  o.into = "memory";
  o.threads = 2;
  auto f = RunRtoBench(storage.get(), o);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->snapshots, 0u);
  EXPECT_EQ(f->segments, (*catalog)->segments().size());
  EXPECT_TRUE(f->largest_snapshot.empty());
  EXPECT_EQ(f->snapshot_load_raw_mb_per_s, 0);
  EXPECT_EQ(f->longest_stretch_from_lsn, 0u);
  EXPECT_EQ(f->longest_stretch_to_lsn, gen.last_lsn);
  EXPECT_EQ(f->longest_stretch_raw_bytes, raw);
  // The whole log was the sample.
  EXPECT_EQ(f->replay_sample_transactions, gen.transactions);
  EXPECT_EQ(f->replay_sample_raw_bytes, raw);
  EXPECT_GT(f->replay_raw_mb_per_s, 0);
  EXPECT_DOUBLE_EQ(f->worst_case_rto_seconds,
                   raw / 1e6 / f->replay_raw_mb_per_s);
  EXPECT_FALSE(f->rto_seconds.has_value());
  EXPECT_TRUE(f->pass);
}

TEST(RtoBenchTest, LargestSnapshotAndStretchBoundsAreTheRepositorys) {
  GenerateResult gen;
  auto storage = Generate(absl::Minutes(45), &gen);
  const std::vector<ObjectInfo> before = Objects(storage.get());
  auto catalog = Catalog::Open(storage.get());
  ASSERT_TRUE(catalog.ok());
  const auto& snaps = (*catalog)->snapshots();
  ASSERT_GE(snaps.size(), 2u);
  const SnapshotInfo& largest = *std::max_element(
      snaps.begin(), snaps.end(),
      [](const auto& a, const auto& b) { return a.raw_bytes < b.raw_bytes; });

  RtoBenchOptions o;
  o.into = "rocksdb";
  o.threads = 2;
  o.rto = absl::Hours(1000);
  auto f = RunRtoBench(storage.get(), o);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->snapshots, snaps.size());
  EXPECT_EQ(f->largest_snapshot, largest.name);
  EXPECT_EQ(f->largest_snapshot_raw_bytes, largest.raw_bytes);
  EXPECT_EQ(f->largest_snapshot_pairs, largest.pair_count);
  EXPECT_GT(f->snapshot_load_raw_mb_per_s, 0);
  // A stretch starts at a snapshot (or the empty state) and ends at the
  // next snapshot or the end of the log.
  auto is_snap = [&](Lsn l) {
    return std::any_of(snaps.begin(), snaps.end(),
                       [&](const auto& s) { return s.lsn == l; });
  };
  EXPECT_TRUE(f->longest_stretch_from_lsn == 0 ||
              is_snap(f->longest_stretch_from_lsn));
  EXPECT_TRUE(f->longest_stretch_to_lsn == gen.last_lsn ||
              is_snap(f->longest_stretch_to_lsn));
  EXPECT_GT(f->longest_stretch_to_lsn, f->longest_stretch_from_lsn);
  EXPECT_GT(f->replay_raw_mb_per_s, 0);
  EXPECT_DOUBLE_EQ(
      f->worst_case_rto_seconds,
      f->largest_snapshot_raw_bytes / 1e6 / f->snapshot_load_raw_mb_per_s +
          f->longest_stretch_raw_bytes / 1e6 / f->replay_raw_mb_per_s);
  EXPECT_TRUE(f->pass);
  EXPECT_DOUBLE_EQ(f->margin_seconds, 1000 * 3600 - f->worst_case_rto_seconds);
  // Read-only: the same objects, the same sizes.
  const std::vector<ObjectInfo> after = Objects(storage.get());
  ASSERT_EQ(before.size(), after.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].name, after[i].name);
    EXPECT_EQ(before[i].size, after[i].size);
  }
  nlohmann::json j = nlohmann::json::parse(f->ToJson());
  EXPECT_EQ(j["pass"].get<bool>(), true);
  EXPECT_DOUBLE_EQ(j["worst_case_rto_seconds"].get<double>(),
                   f->worst_case_rto_seconds);
}

TEST(RtoBenchTest, FailsAnObjectiveShorterThanTheEstimate) {
  GenerateResult gen;
  auto storage = Generate(absl::Hours(1), &gen);
  RtoBenchOptions o;
  o.into = "memory";
  o.rto = absl::Nanoseconds(1);
  o.max_sample_raw_bytes = 1;  // One block is enough to measure a rate.
  auto f = RunRtoBench(storage.get(), o);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->pass);
  EXPECT_LT(f->margin_seconds, 0);
  EXPECT_LT(f->replay_sample_transactions, gen.transactions);
  EXPECT_GT(f->replay_sample_transactions, 0u);
}

TEST(RtoBenchTest, EmptyRepositoryIsRefused) {
  auto storage = NewMemoryStorage();
  auto f = RunRtoBench(storage.get(), RtoBenchOptions());
  EXPECT_EQ(f.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RtoBenchTest, UnknownScratchTargetIsRefused) {
  GenerateResult gen;
  auto storage = Generate(absl::Hours(1), &gen);
  RtoBenchOptions o;
  o.into = "floppy";
  auto f = RunRtoBench(storage.get(), o);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace wayback
