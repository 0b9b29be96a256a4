// Copyright 2026 The Wayback Authors.
//
// The replay comparison of issue 7 as a Google Benchmark: one iteration of
// RunReplayBench() per workload size and shape (appends:0 is
// ReplayWorkload::kUpdates, appends:1 kAppends), every figure reported as a
// counter (mutations/s, MB/s and the ratios). The harness generates its
// workload (fixed seed) and checks every restored digest; a failure is reported
// with SkipWithError. Build in Release:
//
//   cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release
//   ninja -C build-release replay_bench && build-release/bench/replay_bench
//
// WAYBACK_BENCH_THREADS sets the thread count (default: all cores).

#include <cstdlib>

#include "benchmark/benchmark.h"
#include "src/bench/bench.h"

namespace wayback {
namespace {

void BM_ReplayAgainstRocksDB(benchmark::State& state) {
  ReplayBenchOptions o;
  o.mutations = static_cast<uint64_t>(state.range(0));
  o.workload =
      state.range(1) == 0 ? ReplayWorkload::kUpdates : ReplayWorkload::kAppends;
  if (const char* t = std::getenv("WAYBACK_BENCH_THREADS")) {
    o.threads = std::atoi(t);
  }
  ReplayBenchFigures f;
  for (auto _ : state) {
    absl::StatusOr<ReplayBenchFigures> r = RunReplayBench(o);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    f = *r;
    // The run's own figures are the result; the iteration time is the whole
    // harness (generation included) and means little.
    state.SetIterationTime(f.seconds_wayback_into_rocksdb);
  }
  state.counters["rocksdb_wal_recovery"] = f.rocksdb_wal_recovery;
  state.counters["wayback_into_rocksdb"] = f.wayback_into_rocksdb;
  state.counters["wayback_into_memory_1t"] = f.wayback_into_memory_1t;
  state.counters["wayback_into_memory"] = f.wayback_into_memory;
  state.counters["raw_apply_ceiling"] = f.raw_apply_ceiling;
  state.counters["decompress_MB_per_s"] = f.decompress_ceiling_mb_per_s;
  state.counters["rocksdb_speedup"] = f.rocksdb_speedup;
  state.counters["memory_vs_raw_apply"] = f.memory_vs_raw_apply;
  state.counters["snapshot_vs_sst_ingest"] = f.snapshot_vs_sst_ingest;
  state.counters["threads"] = f.threads;
  for (const auto& [name, secs] : f.cpu_seconds) {
    state.counters["cpu_s_" + name] = secs;
  }
  state.SetItemsProcessed(static_cast<int64_t>(f.mutations));
  state.SetBytesProcessed(static_cast<int64_t>(f.raw_bytes));
}
BENCHMARK(BM_ReplayAgainstRocksDB)
    ->ArgsProduct({{100'000, 1'000'000}, {0, 1}})
    ->ArgNames({"mutations", "appends"})
    ->Iterations(1)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace wayback

BENCHMARK_MAIN();
