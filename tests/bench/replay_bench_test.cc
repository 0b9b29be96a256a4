// Copyright 2026 The Wayback Authors.
//
// RunReplayBench() on small workloads: the expected digest equals an
// independent model of the same generated workload, every field is filled,
// and the ratios are the quotients of the fields they name.

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/bench/bench.h"
#include "src/workload/workload.h"
#include "tests/testutil/testutil.h"

namespace wayback {
namespace {

struct Model {
  StateDigest digest;
  uint64_t transactions = 0;
  uint64_t mutations = 0;
};

// The workload the harness generates (same seed and shape, whole
// transactions until at least `mutations`), applied to a std::map. The
// shape's parameters are written out here as bench.h documents them.
Model ModelOf(ReplayWorkload workload, uint64_t seed, uint64_t mutations) {
  WorkloadOptions w;
  w.seed = seed;
  if (workload == ReplayWorkload::kUpdates) {
    w.in_place_update_fraction = 0.835;
    w.value_size_exponent = 2.9;
  }
  w.rate = 100;
  w.duration = absl::Hours(24 * 365 * 10);
  WorkloadGenerator gen(w);
  WorkloadEvent e;
  std::map<std::string, std::string> state;
  Model m;
  while (m.mutations < mutations && gen.Next(&e)) {
    if (e.kind != WorkloadEvent::Kind::kTransaction) continue;
    ++m.transactions;
    for (const Mutation& mu : e.txn.mutations) {
      ++m.mutations;
      if (mu.type == MutationType::kDelete) {
        state.erase(mu.key);
      } else {
        state[mu.key] = mu.value;
      }
    }
  }
  for (const auto& [k, v] : state) m.digest.Add(k, v);
  return m;
}

TEST(ReplayBenchTest, MemoryOnlyMatchesModelAndRatiosFollowFields) {
  wayback::testing::TempDir dir;
  ReplayBenchOptions o;
  o.mutations = 3000;
  o.threads = 2;
  o.seed = 5;
  o.workload = ReplayWorkload::kAppends;
  o.rocksdb = false;
  o.repetitions = 3;
  o.scratch_dir = dir.path();
  auto f = RunReplayBench(o);
  ASSERT_TRUE(f.ok()) << f.status();
  const Model m = ModelOf(ReplayWorkload::kAppends, 5, 3000);
  EXPECT_EQ(f->workload, ReplayWorkload::kAppends);
  EXPECT_EQ(f->mutations, m.mutations);
  EXPECT_EQ(f->transactions, m.transactions);
  EXPECT_EQ(f->expected_digest, m.digest);
  EXPECT_EQ(f->live_keys, m.digest.count);
  EXPECT_EQ(f->threads, 2);
  // Memory with 1 and with 2 threads, each by Digest() and read back, in
  // each of the 3 repetitions.
  EXPECT_EQ(f->digests_checked, 12);
  EXPECT_GT(f->raw_bytes, 0u);
  EXPECT_GT(f->stored_bytes, 0u);
  EXPECT_GT(f->blocks, 0u);
  EXPECT_GT(f->raw_apply_ceiling, 0);
  EXPECT_GT(f->wayback_into_memory_1t, 0);
  EXPECT_GT(f->wayback_into_memory, 0);
  EXPECT_GT(f->decompress_ceiling_mb_per_s, 0);
  EXPECT_EQ(f->rocksdb_wal_recovery, 0);
  EXPECT_EQ(f->wayback_into_rocksdb, 0);
  EXPECT_EQ(f->rocksdb_speedup, 0);
  EXPECT_DOUBLE_EQ(f->memory_vs_raw_apply,
                   f->wayback_into_memory / f->raw_apply_ceiling);
  EXPECT_DOUBLE_EQ(f->wayback_into_memory,
                   f->mutations / f->seconds_wayback_into_memory);
  EXPECT_GT(f->peak_rss_bytes, 0u);
  std::vector<std::string> names;
  for (const auto& [name, secs] : f->cpu_seconds) {
    names.push_back(name);
    EXPECT_GE(secs, 0) << name;
  }
  EXPECT_EQ(names, (std::vector<std::string>{
                       "raw_apply_ceiling", "decompress_ceiling",
                       "wayback_into_memory_1t", "wayback_into_memory"}));
  // The fastest and slowest repetition of each median measurement bracket
  // the median that was reported.
  std::map<std::string, std::pair<double, double>> range(
      f->seconds_range.begin(), f->seconds_range.end());
  ASSERT_EQ(range.size(), 3u);
  for (const auto& [name, secs] : std::vector<std::pair<std::string, double>>{
           {"raw_apply_ceiling", f->seconds_raw_apply_ceiling},
           {"wayback_into_memory_1t", f->seconds_wayback_into_memory_1t},
           {"wayback_into_memory", f->seconds_wayback_into_memory}}) {
    ASSERT_TRUE(range.count(name)) << name;
    EXPECT_LE(range[name].first, secs) << name;
    EXPECT_GE(range[name].second, secs) << name;
    EXPECT_GT(range[name].first, 0) << name;
  }
  // The scratch directory is removed.
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

TEST(ReplayBenchTest, WithRocksDBEveryDigestMatchesTheModel) {
  wayback::testing::TempDir dir;
  ReplayBenchOptions o;
  o.mutations = 4000;
  o.threads = 2;
  o.seed = 9;
  o.scratch_dir = dir.path();
  o.large_memtable_bytes = 64 << 20;
  auto f = RunReplayBench(o);
  ASSERT_TRUE(f.ok()) << f.status();
  const Model m = ModelOf(ReplayWorkload::kUpdates, 9, 4000);
  EXPECT_EQ(f->workload, ReplayWorkload::kUpdates);  // The default.
  // The expected state (every RocksDB recovery matched it) equals the model.
  EXPECT_EQ(f->expected_digest, m.digest);
  // RocksDB's three configurations, SstFileWriter +
  // ingest (compressed and not), and by Digest() and read back: memory x2,
  // RocksDB staged and direct, snapshot restore.
  EXPECT_EQ(f->digests_checked, 15);
  for (double v :
       {f->rocksdb_wal_recovery_default, f->rocksdb_wal_recovery_large_memtable,
        f->rocksdb_wal_recovery_large_memtable_no_flush,
        f->wayback_into_rocksdb, f->wayback_into_rocksdb_direct,
        f->snapshot_restore_into_rocksdb, f->sst_writer_ingest}) {
    EXPECT_GT(v, 0);
  }
  EXPECT_EQ(f->rocksdb_wal_recovery,
            std::max({f->rocksdb_wal_recovery_default,
                      f->rocksdb_wal_recovery_large_memtable,
                      f->rocksdb_wal_recovery_large_memtable_no_flush}));
  EXPECT_EQ(f->rocksdb_wal_recovery_config,
            f->rocksdb_wal_recovery == f->rocksdb_wal_recovery_default
                ? "default"
            : f->rocksdb_wal_recovery == f->rocksdb_wal_recovery_large_memtable
                ? "large_memtable"
                : "large_memtable_no_flush");
  EXPECT_DOUBLE_EQ(f->rocksdb_speedup_vs_flushed,
                   f->wayback_into_rocksdb /
                       std::max(f->rocksdb_wal_recovery_default,
                                f->rocksdb_wal_recovery_large_memtable));
  EXPECT_DOUBLE_EQ(f->rocksdb_speedup,
                   f->wayback_into_rocksdb / f->rocksdb_wal_recovery);
  EXPECT_DOUBLE_EQ(f->snapshot_vs_sst_ingest,
                   f->snapshot_restore_into_rocksdb / f->sst_writer_ingest);
  EXPECT_GT(f->seconds_sst_writer_ingest_uncompressed, 0);
  EXPECT_GT(f->seconds_sst_writer_ingest_rocksdb_defaults, 0);
  // The baseline names the SstFileWriter settings it shares with the target,
  // buffered by default.
  EXPECT_NE(f->sst_writer_settings.find("no compression"), std::string::npos);
  EXPECT_NE(f->sst_writer_settings.find("buffered writes"), std::string::npos);
  EXPECT_EQ(f->sst_writer_settings.find("O_DIRECT"), std::string::npos);
  EXPECT_FALSE(f->direct_writes);
  EXPECT_EQ(f->read_back_seconds.size(), 5u);  // One per restore measured.
  EXPECT_DOUBLE_EQ(f->snapshot_restore_into_rocksdb,
                   m.digest.count / f->seconds_snapshot_restore_into_rocksdb);

  nlohmann::json j = nlohmann::json::parse(f->ToJson());
  for (const char* k :
       {"rocksdb_wal_recovery", "wayback_into_rocksdb",
        "wayback_into_memory_1t", "wayback_into_memory", "raw_apply_ceiling",
        "decompress_ceiling_mb_per_s", "threads", "mutations",
        "rocksdb_speedup", "memory_vs_raw_apply", "snapshot_vs_sst_ingest",
        "sst_writer_settings", "peak_rss_bytes"}) {
    EXPECT_TRUE(j.contains(k)) << k;
  }
  EXPECT_EQ(j["mutations"].get<uint64_t>(), f->mutations);
  EXPECT_EQ(j["workload"].get<std::string>(), "updates");
  EXPECT_FALSE(j["direct_writes"].get<bool>());
  EXPECT_DOUBLE_EQ(j["rocksdb_speedup"].get<double>(), f->rocksdb_speedup);
  EXPECT_EQ(j["expected_digest"].get<std::string>(), m.digest.ToString());
  EXPECT_TRUE(std::filesystem::is_empty(dir.path()));
}

// The two shapes differ as bench.h says: with updates, fewer live keys per
// mutation and fewer log bytes per mutation. Counted on the generator's
// output for 200,000 mutations (seed 1), independently of the harness.
TEST(ReplayBenchTest, WorkloadShapesHaveTheirDocumentedProportions) {
  for (ReplayWorkload shape :
       {ReplayWorkload::kUpdates, ReplayWorkload::kAppends}) {
    WorkloadOptions w = ReplayWorkloadOptions(shape, 1);
    w.rate = 100;
    w.duration = absl::Hours(24 * 365 * 10);
    WorkloadGenerator gen(w);
    WorkloadEvent e;
    std::map<std::string, std::string> state;
    uint64_t mutations = 0, bytes = 0;
    while (mutations < 200'000 && gen.Next(&e)) {
      if (e.kind != WorkloadEvent::Kind::kTransaction) continue;
      for (const Mutation& mu : e.txn.mutations) {
        ++mutations;
        bytes += mu.key.size() + mu.value.size();
        if (mu.type == MutationType::kDelete) {
          state.erase(mu.key);
        } else {
          state[mu.key] = mu.value;
        }
      }
    }
    const double live = static_cast<double>(state.size()) / mutations;
    const double per_mutation = static_cast<double>(bytes) / mutations;
    SCOPED_TRACE(std::string(ReplayWorkloadName(shape)));
    if (shape == ReplayWorkload::kUpdates) {
      // ~11 % live at 5 M; more at this scale (the patients admitted first
      // are a larger share), still well under the appends shape.
      EXPECT_LT(live, 0.2);
      EXPECT_GT(per_mutation, 200);  // Keys and values alone: ~247 at 5 M.
      EXPECT_LT(per_mutation, 300);
    } else {
      EXPECT_GT(live, 0.6);
      EXPECT_GT(per_mutation, 550);  // ~650 at 5 M.
    }
  }
}

TEST(ReplayBenchTest, ZeroMutationsIsInvalid) {
  ReplayBenchOptions o;
  o.mutations = 0;
  auto f = RunReplayBench(o);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace wayback
