// Copyright 2026 The Wayback Authors.
//
// Benchmarks a user can run on their own machine and repository (the
// `wayback bench` subcommands are thin wrappers around these functions).
// Not part of the installed contract: this header belongs to the support
// library beside the CLI (CMake target wayback_support, not installed).
//
//  - RunReplayBench(): races Wayback's replay against RocksDB's own WAL
//    recovery and against the apply and decompression ceilings, on one
//    generated clinical workload, in one run, with the same RocksDB library
//    on both sides. Every Wayback restore's digest is checked against the
//    state RocksDB recovered by itself: a fast wrong answer is an error.
//  - RunRtoBench(): measures snapshot load and replay rates on an existing
//    repository (read-only) and computes its worst-case recovery time.
//  - RunRpoBench(): drives a LogWriter in synced group-commit mode at a given
//    transaction rate, mirrors every sealed segment to a second repository,
//    and reports commit latency and archive lag (the RPO of the mirror).
//
//   ReplayBenchOptions o;
//   o.mutations = 1'000'000;
//   auto figures = RunReplayBench(o);
//   if (figures.ok()) std::cout << figures->ToJson() << "\n";
//
// Rates are per second of wall-clock time. The functions are not
// thread-safe with respect to each other (they use the whole machine) and
// write only inside their scratch directories.

#ifndef WAYBACK_SRC_BENCH_BENCH_H_
#define WAYBACK_SRC_BENCH_BENCH_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/workload/workload.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback {

// ---------------------------------------------------------------------------
// Replay: Wayback against RocksDB's own recovery.

// The shape of the clinical workload RunReplayBench() generates. Both come
// from WorkloadGenerator with the bench's seed; they differ in how many of the
// mutations create records and in how large the values are.
enum class ReplayWorkload {
  // Records mostly updated in place, short values: ~262 bytes of log per
  // mutation, and ~11 % of the mutations left as live keys at the end
  // (5 M mutations: 1.31 GB of log, 537,517 live keys). The workload issue
  // 7's targets were set on had 1.29 GB, ~258 bytes and 526,536 keys.
  // WorkloadOptions: in_place_update_fraction 0.835, value_size_exponent 2.9.
  kUpdates,
  // The generator's defaults: mostly new records (observations, orders),
  // values log-uniform in 100-2000 bytes: ~660 bytes of log per mutation,
  // ~70 % of the mutations left as live keys (5 M mutations: 3.3 GB of log,
  // 3.5 M live keys, a 2.4 GB state).
  kAppends,
};

// "updates" or "appends".
std::string_view ReplayWorkloadName(ReplayWorkload workload);
// The generator's options for `workload` and `seed` (the rest at their
// defaults).
WorkloadOptions ReplayWorkloadOptions(ReplayWorkload workload, uint64_t seed);

struct ReplayBenchOptions {
  // Mutations of the generated clinical workload (whole transactions: the
  // last one may overshoot a little). Default: 1,000,000.
  uint64_t mutations = 1'000'000;
  // Its shape (see ReplayWorkload). Default: kUpdates.
  ReplayWorkload workload = ReplayWorkload::kUpdates;
  // Worker threads and apply partitions for the multi-threaded runs. 0:
  // hardware threads. Default: 0.
  int threads = 0;
  // Seed of the workload. Default: 1.
  uint64_t seed = 1;
  // Directory for the RocksDB databases (created; each database is removed
  // after its measurement). Empty: a new directory under $TMPDIR (or /tmp),
  // removed at the end. Default: empty.
  std::string scratch_dir;
  // Run the RocksDB measurements: its WAL recovery, Wayback into RocksDB (both
  // apply modes) and the snapshot comparison. Default: true.
  bool rocksdb = true;
  // Memtable size of the "large memtable" WAL-recovery configurations (the
  // other one is RocksDB's default). Default: 4 GiB.
  uint64_t large_memtable_bytes = uint64_t{4} << 30;
  // Bound on the staged state of Wayback's restores into RocksDB
  // (RocksDBTargetOptions::stage_memory_limit). 0: AutoStageMemoryLimit(), as
  // `wayback restore`. Default: 0.
  uint64_t stage_memory_bytes = 0;
  // RocksDBTargetOptions::direct_writes for Wayback's restores into RocksDB
  // and for the SstFileWriter baseline, which writes as the target does.
  // Default: false (buffered, the target's default).
  bool direct_writes = false;
  // Runs of each measurement; the median is reported (every run's digest is
  // checked). RocksDB's WAL recoveries and Wayback's staged restore into
  // RocksDB run in rounds (one run of each per round), so that their ratio
  // compares runs made close together on a noisy machine. Default: 1.
  int repetitions = 1;
  // Called with one line of progress per step (may be null).
  std::function<void(std::string_view line)> progress;
};

struct ReplayBenchFigures {
  // The workload.
  ReplayWorkload workload = ReplayWorkload::kUpdates;
  uint64_t mutations = 0;
  uint64_t transactions = 0;
  uint64_t raw_bytes = 0;     // Uncompressed log records.
  uint64_t stored_bytes = 0;  // Segment objects.
  uint64_t blocks = 0;
  uint64_t live_keys = 0;  // Keys in the final state.
  int threads = 0;

  // Mutations per second (0 when not measured).
  // (1) RocksDB's own WAL recovery (DB::Open), the fastest of three
  // configurations: RocksDB's defaults (the memtable flushed to L0 files
  // whenever it fills, and at the end); a memtable of large_memtable_bytes
  // (flushed once, at the end); and that memtable with
  // avoid_flush_during_recovery (nothing flushed: the state stays in the
  // memtable and the WAL).
  double rocksdb_wal_recovery = 0;
  double rocksdb_wal_recovery_default = 0;
  double rocksdb_wal_recovery_large_memtable = 0;
  double rocksdb_wal_recovery_large_memtable_no_flush = 0;
  // The fastest: "default", "large_memtable" or "large_memtable_no_flush".
  std::string rocksdb_wal_recovery_config;
  // (2) Restore() into a fresh RocksDB target, staged in memory and
  // partitioned by key (RocksDBTargetOptions::stage_in_memory), `threads`
  // threads; and, for comparison, the direct WriteBatch path.
  double wayback_into_rocksdb = 0;
  double wayback_into_rocksdb_direct = 0;
  // (3) Restore() into the memory target with 1 worker thread and 1
  // partition, and with `threads` threads and partitions.
  double wayback_into_memory_1t = 0;
  double wayback_into_memory = 0;
  // (4) The already-decoded records applied to the memory target on one
  // thread (no I/O, no checksum, no decompression, no pipeline).
  double raw_apply_ceiling = 0;
  // (5) CRC32C + zstd decompression of every block on `threads` threads:
  // decompressed megabytes (1e6 bytes) per second.
  double decompress_ceiling_mb_per_s = 0;

  // Ratios: wayback_into_rocksdb / rocksdb_wal_recovery and
  // wayback_into_memory / raw_apply_ceiling.
  double rocksdb_speedup = 0;
  double memory_vs_raw_apply = 0;
  // wayback_into_rocksdb over the faster of the two recoveries that end, as
  // Wayback's restore does, with the state in SST files (default and
  // large_memtable); large_memtable_no_flush leaves it in the memtable and
  // the WAL, replayed again at the next open.
  double rocksdb_speedup_vs_flushed = 0;

  // Snapshot of the final state restored into a fresh RocksDB target
  // (Restore() of a snapshot-only plan), against writing the same sorted
  // pairs with SstFileWriter and ingesting them; pairs per second, and
  // snapshot / sst.
  double snapshot_restore_into_rocksdb = 0;
  double sst_writer_ingest = 0;
  double snapshot_vs_sst_ingest = 0;

  // Seconds of each measurement (same order as above).
  double seconds_rocksdb_wal_recovery = 0;
  double seconds_wayback_into_rocksdb = 0;
  double seconds_wayback_into_rocksdb_direct = 0;
  double seconds_wayback_into_memory_1t = 0;
  double seconds_wayback_into_memory = 0;
  double seconds_raw_apply_ceiling = 0;
  double seconds_decompress_ceiling = 0;
  double seconds_snapshot_restore_into_rocksdb = 0;
  double seconds_sst_writer_ingest = 0;
  // The same pairs and path without block compression (RocksDB's default
  // is Snappy): what compression costs the SST path. The baseline above now
  // writes uncompressed (the RocksDB target's SstFileWriter settings, see
  // sst_writer_settings), so this equals seconds_sst_writer_ingest.
  double seconds_sst_writer_ingest_uncompressed = 0;
  // The same pairs with RocksDB's default table options (Snappy, 4 KiB
  // blocks), for the profile.
  double seconds_sst_writer_ingest_rocksdb_defaults = 0;
  // The SstFileWriter settings of the sst_writer_ingest baseline: those the
  // RocksDB target writes with.
  std::string sst_writer_settings;

  // CPU seconds (user + system, every thread of the process) of each
  // measurement, by name ("raw_apply_ceiling", "wayback_into_memory", ...):
  // the work done, whatever else the machine was running.
  std::vector<std::pair<std::string, double>> cpu_seconds;
  // The fastest and the slowest of the repetitions of each measurement
  // (wall seconds), to show how noisy the machine was.
  std::vector<std::pair<std::string, std::pair<double, double>>> seconds_range;
  // Seconds of reading each restored state back with ForEach() (untimed
  // check, the last repetition), by the names above: about what a digest by
  // full scan adds to a restore.
  std::vector<std::pair<std::string, double>> read_back_seconds;

  // The state every restore had to reach: the raw apply's, which each of
  // RocksDB's own recoveries also matched. Every restore matched it, or
  // RunReplayBench() failed.
  StateDigest expected_digest;
  // Digest comparisons made: each restore by Digest() and by reading the
  // state back with ForEach(), each RocksDB recovery.
  int digests_checked = 0;
  // Peak resident set size of the process (getrusage), bytes.
  uint64_t peak_rss_bytes = 0;
  // The staged-state bound the restores into RocksDB ran with.
  uint64_t stage_memory_bytes = 0;
  // Whether they (and the SstFileWriter baseline) wrote with O_DIRECT.
  bool direct_writes = false;

  // One JSON object with every field above (digest as "sum:count").
  std::string ToJson() const;
  // A short human-readable table.
  std::string ToString() const;
};

// Generates the workload once and runs every measurement. kInvalidArgument
// for mutations == 0; kDataLoss if any restore's digest differs from the
// expected one (the message names the measurement and both digests); I/O and
// RocksDB errors as they come.
absl::StatusOr<ReplayBenchFigures> RunReplayBench(
    const ReplayBenchOptions& options);

// ---------------------------------------------------------------------------
// Compaction: a restore of a log written with a short segment roll, after
// CompactRepository, against the same history written with large segments.

struct CompactBenchOptions {
  // Simulated days of the clinical workload and its mean rate (transactions
  // per simulated second). Defaults: 0.25 days, 20 per second (~430,000
  // transactions).
  double days = 0.25;
  double rate = 20;
  // The short roll of the first repository (simulated time). Default: 1 s.
  absl::Duration short_roll = absl::Seconds(1);
  // The segment size of the second repository, and compact's target size.
  // Default: 64 MiB.
  uint64_t large_segment_bytes = 64ull << 20;
  // Restores of each repository, alternating; the ratio is reported per
  // pair (min, median, max). Default: 5.
  int repetitions = 5;
  // Threads of each restore (into memory). 0: hardware threads. Default: 0.
  int threads = 0;
  uint64_t seed = 1;
  // Where the two repositories go (removed at the end). Empty: a new
  // directory under $TMPDIR (or /tmp). Default: empty.
  std::string scratch_dir;
  std::function<void(std::string_view line)> progress;
};

struct CompactBenchFigures {
  uint64_t transactions = 0;
  uint64_t mutations = 0;
  int threads = 0;
  // Segments of the short-roll repository before and after compact, and of
  // the large-segment one.
  uint64_t segments_before = 0;
  uint64_t segments_after = 0;
  uint64_t segments_large = 0;
  double compact_seconds = 0;
  double compact_cpu_seconds = 0;
  // Latest-restore wall seconds of each run, and CPU seconds of the process
  // during each (user + system).
  std::vector<double> compacted_seconds, large_seconds;
  std::vector<double> compacted_cpu_seconds, large_cpu_seconds;
  // Restore speed of the compacted repository over the large-segment one,
  // per pair of runs: large_seconds[i] / compacted_seconds[i].
  double ratio_min = 0, ratio_median = 0, ratio_max = 0;
  // The digest every restore reached (checked equal across all of them).
  StateDigest digest;
  std::string ToJson() const;
  std::string ToString() const;
};

// Generates the same history twice (short roll, large segments), compacts
// the first, and times alternating restores of "latest" from both.
// kDataLoss if any restore's digest differs from the others.
absl::StatusOr<CompactBenchFigures> RunCompactBench(
    const CompactBenchOptions& options);

// ---------------------------------------------------------------------------
// RTO: how long would a restore of this repository take, at worst?

struct RtoBenchOptions {
  // Scratch target: "rocksdb" (a database under scratch_dir, staged apply, as
  // a production restore would use) or "memory". Default: "rocksdb".
  std::string into = "rocksdb";
  // Where the scratch database goes. Empty: a new directory under $TMPDIR
  // (or /tmp). Removed at the end either way. Default: empty.
  std::string scratch_dir;
  // Threads (and apply partitions). 0: hardware threads. Default: 0.
  int threads = 0;
  // The recovery time objective to check against (none: no verdict).
  std::optional<absl::Duration> rto;
  // Upper bound on the raw log bytes replayed to measure the replay rate
  // (a sample of the longest stretch). Default: 512 MiB.
  uint64_t max_sample_raw_bytes = uint64_t{512} << 20;
  std::function<void(std::string_view line)> progress;
};

struct RtoBenchFigures {
  std::string repository;
  uint64_t snapshots = 0;
  uint64_t segments = 0;
  // The largest snapshot (by raw bytes), loaded alone into the scratch
  // target: the snapshot load rate. Absent when the repository has none.
  std::string largest_snapshot;
  uint64_t largest_snapshot_raw_bytes = 0;
  uint64_t largest_snapshot_pairs = 0;
  double snapshot_load_seconds = 0;
  double snapshot_load_raw_mb_per_s = 0;  // 0 when no snapshot was loaded.
  // The longest stretch of log after a snapshot (or after the empty state at
  // the start of a log that starts at LSN 1) up to the next snapshot or the
  // end of its window.
  Lsn longest_stretch_from_lsn = kNoLsn;  // Exclusive (the snapshot's LSN).
  Lsn longest_stretch_to_lsn = kNoLsn;    // Inclusive.
  uint64_t longest_stretch_raw_bytes = 0;
  // The replay rate, measured by replaying (a sample of) that stretch.
  uint64_t replay_sample_raw_bytes = 0;
  uint64_t replay_sample_transactions = 0;
  double replay_seconds = 0;
  double replay_raw_mb_per_s = 0;
  double replay_txn_per_s = 0;
  // Largest snapshot at the load rate + longest stretch at the replay rate:
  // an upper bound on the restore time of any target in the window.
  double worst_case_rto_seconds = 0;
  // Against options.rto: pass when worst_case_rto <= rto; margin =
  // rto - worst_case_rto (negative when failing).
  std::optional<double> rto_seconds;
  bool pass = true;
  double margin_seconds = 0;

  std::string ToJson() const;
  std::string ToString() const;
};

// Measures on `storage` (only read). kFailedPrecondition if the repository
// has nothing recoverable; the restores' own errors otherwise.
absl::StatusOr<RtoBenchFigures> RunRtoBench(Storage* storage,
                                            const RtoBenchOptions& options);

// ---------------------------------------------------------------------------
// RPO: synced commits and the archive lag of a mirror.

struct RpoBenchOptions {
  // The primary repository: a local directory (a plain path) that holds no
  // log yet (created if missing). Required.
  std::string repo;
  // The mirror each sealed segment is copied to. Empty: `repo` + "-mirror".
  std::string mirror;
  // Offered load, transactions per second, and how long. Defaults: 50,000
  // and 10 s.
  double rate = 50'000;
  absl::Duration duration = absl::Seconds(10);
  // Bytes of value per transaction (one put). Default: 1024.
  size_t transaction_bytes = 1024;
  // Concurrent committers (each waits for its own commit; a synced commit
  // takes milliseconds, so the rate needs hundreds in flight). Default: 256.
  int clients = 256;
  // Segment rolling: by age (this bounds the archive lag) and by size.
  // Defaults: 250 ms and 64 MiB.
  absl::Duration segment_max_age = absl::Milliseconds(250);
  uint64_t segment_max_bytes = uint64_t{64} << 20;
  // The recovery point objective to check the archive lag p99 and max
  // against (none: no verdict).
  std::optional<absl::Duration> rpo;
  std::function<void(std::string_view line)> progress;
};

struct RpoBenchFigures {
  double offered_rate = 0;
  uint64_t transactions = 0;
  uint64_t bytes = 0;  // Value bytes committed.
  double seconds = 0;
  double txn_per_s = 0;  // Sustained: transactions / seconds.
  // Append() call to acknowledgement (durable), microseconds.
  double commit_latency_p50_us = 0;
  double commit_latency_p99_us = 0;
  double commit_latency_p999_us = 0;
  double commit_latency_max_us = 0;
  // Acknowledgement to the sealed segment holding the transaction being
  // whole in the mirror, milliseconds, over every transaction.
  double archive_lag_p50_ms = 0;
  double archive_lag_p99_ms = 0;
  double archive_lag_max_ms = 0;
  uint64_t segments_mirrored = 0;
  uint64_t bytes_mirrored = 0;
  // Against options.rpo: pass when archive_lag_max <= rpo (the worst
  // transaction would have been lost within the objective).
  std::optional<double> rpo_seconds;
  bool pass = true;
  double margin_seconds = 0;  // rpo - archive_lag_max.

  std::string ToJson() const;
  std::string ToString() const;
};

// Runs the writer and the mirror. kFailedPrecondition if `repo` already holds
// a log; the writer's and the mirror's errors as they come.
absl::StatusOr<RpoBenchFigures> RunRpoBench(const RpoBenchOptions& options);

// ---------------------------------------------------------------------------
// Ingest: JSONL parsing alone, and `wayback ingest` as a fresh process.

struct IngestBenchOptions {
  // The wayback executable to run (`wayback bench ingest` passes itself).
  std::string wayback_binary;
  // The repository directory (removed first, and after unless `keep`).
  std::string repo;
  bool keep = false;
  // Events (one put each) and bytes of value per event. Defaults: 200,000
  // and 900 (lines of about 1 KB).
  uint64_t events = 200'000;
  size_t value_bytes = 900;
  // The producer's rate, events per second; 0: as fast as the pipe takes
  // them. Default: 0.
  double rate = 0;
  // Mirrors given to the ingester (--mirror), and its --max-segment-age.
  std::vector<std::string> mirrors;
  absl::Duration segment_max_age = absl::Seconds(1);
  std::function<void(std::string_view line)> progress;
};

struct IngestBenchFigures {
  uint64_t events = 0;
  double line_bytes_mean = 0;
  // ParseImportLine alone, one thread.
  double parse_lines_per_s = 0;
  double parse_mb_per_s = 0;
  double parse_cpu_s = 0;
  // The ingest process: first write to last acknowledgement.
  double ingest_seconds = 0;
  double ingest_events_per_s = 0;
  double ingest_cpu_s = 0;  // User + system CPU of the ingest process.
  double ingest_events_per_cpu_s = 0;
  // Write of a line to the first acknowledgement covering it.
  uint64_t ack_lines = 0;
  double ack_p50_ms = 0;
  double ack_p99_ms = 0;
  double ack_max_ms = 0;
  double offered_rate = 0;
  // parse_cpu_s / ingest_cpu_s: how much of the ingester's CPU parsing costs.
  double parse_share = 0;
  // With mirrors: the worst mirror's lag, sampled every 100 ms from the
  // ingester's status file while it runs.
  uint64_t lag_samples = 0;
  double mirror_lag_p50_s = 0;
  double mirror_lag_p99_s = 0;
  double mirror_lag_max_s = 0;

  std::string ToJson() const;
  std::string ToString() const;
};

absl::StatusOr<IngestBenchFigures> RunIngestBench(
    const IngestBenchOptions& options);

}  // namespace wayback

#endif  // WAYBACK_SRC_BENCH_BENCH_H_
