// Copyright 2026 The Wayback Authors.
//
// Restore throughput on the clinical benchmark workload (src/workload): a
// figure-printing program, not a test (no timed assertion). It generates a
// repository in memory (fixed seed, no snapshots, so the whole log is
// replayed from the empty state), then restores "latest" into a memory
// target and into a RocksDB target with 1 and 2 verification/decompression
// threads, checks every digest against the generator's, and prints
// transactions/s and MB/s of raw log. Build in Release:
//
//   cmake -S . -B build-release -G Ninja -DCMAKE_BUILD_TYPE=Release
//   ninja -C build-release recovery_restore_throughput
//   build-release/tests/recovery/recovery_restore_throughput [transactions]
//
// The RocksDB database goes to $TMPDIR (default /tmp).

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "src/workload/workload.h"
#include "wayback/recovery.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

int Main(int argc, char** argv) {
  const uint64_t txns = argc > 1 ? std::strtoull(argv[1], nullptr, 10) : 200000;
  auto storage = NewMemoryStorage();
  GenerateOptions go;
  go.workload.max_transactions = txns;
  go.workload.duration = absl::Hours(24 * 365);
  go.workload.rate = 5;
  go.snapshot_every = absl::ZeroDuration();
  const absl::Time g0 = absl::Now();
  auto gen = GenerateRepository(storage.get(), go);
  if (!gen.ok()) {
    std::fprintf(stderr, "generate: %s\n", gen.status().ToString().c_str());
    return 1;
  }
  auto catalog = Catalog::Open(storage.get());
  if (!catalog.ok()) return 1;
  auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
  if (!plan.ok()) {
    std::fprintf(stderr, "plan: %s\n", plan.status().ToString().c_str());
    return 1;
  }
  uint64_t raw = 0, stored = 0;
  for (const SegmentInfo& s : plan->segments) {
    raw += s.raw_bytes;
    stored += s.size;
  }
  std::printf(
      "workload: %llu transactions, %llu mutations, %llu segments, %.1f MB raw "
      "log, %.1f MB stored (generated in %.1f s); %u hardware threads\n",
      static_cast<unsigned long long>(gen->transactions),
      static_cast<unsigned long long>(gen->mutations),
      static_cast<unsigned long long>(plan->segments.size()), raw / 1e6,
      stored / 1e6, absl::ToDoubleSeconds(absl::Now() - g0),
      std::thread::hardware_concurrency());
  const std::string dir =
      (std::filesystem::temp_directory_path() / "wayback-restore-throughput")
          .string();
  for (const char* kind : {"memory", "rocksdb"}) {
    for (int threads : {1, 2}) {
      std::unique_ptr<StateTarget> target;
      if (std::string(kind) == "memory") {
        target = NewMemoryTarget();
      } else {
        std::filesystem::remove_all(dir);
        auto t = OpenRocksDBTarget(dir);
        if (!t.ok()) return 1;
        target = std::move(*t);
      }
      RestoreOptions ro;
      ro.threads = threads;
      auto r = Restore(storage.get(), *plan, target.get(), ro);
      if (!r.ok()) {
        std::fprintf(stderr, "restore: %s\n", r.status().ToString().c_str());
        return 1;
      }
      const bool exact = r->digest && *r->digest == gen->final_digest;
      const double secs = absl::ToDoubleSeconds(r->elapsed);
      std::printf(
          "%-8s threads=%d: %8.0f txn/s  %7.1f MB/s raw log  (%llu txns, "
          "%.2f s incl. finish and digest) digest %s\n",
          kind, threads, r->transactions_applied / secs,
          r->raw_bytes_applied / secs / 1e6,
          static_cast<unsigned long long>(r->transactions_applied), secs,
          exact ? "matches" : "MISMATCH");
      if (!exact) return 1;
    }
  }
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace wayback

int main(int argc, char** argv) { return wayback::Main(argc, argv); }
