// Copyright 2026 The Wayback Authors.
//
// RunReplayBench(): one generated workload, every measurement of issue 7 in
// one run, the same RocksDB library on both sides.
//
// Order (the untimed preparation is interleaved so that the process holds as
// little as possible at once):
//   1. generate the workload into segments in a local directory repository
//      under the scratch directory (LogWriter, kBuffered, a ManualClock at
//      each commit time): restores read files, as RocksDB reads its WAL;
//   2. read and decode every block once (kept in memory: the "uncompressed
//      in-memory buffer" of the raw apply ceiling);
//   3. raw apply ceiling: ApplyTransaction() of every decoded record into a
//      one-partition memory target, one thread (after an untimed warm-up
//      run); its digest is the expected
//      digest every other state must match (RocksDB's recoveries included,
//      an answer independent of Wayback's restore path);
//   4. RocksDB WAL: the same transactions written to a database with its WAL
//      on and a memtable big enough that nothing is flushed, closed with
//      avoid_flush_during_shutdown;
//   5. decompression ceiling: CRC32C + zstd of every block on T threads;
//   6. Restore() of the log into memory (1 thread, then T threads and T
//      partitions); then, in rounds, copies of the WAL database opened with
//      three configurations (defaults; a large memtable; a large memtable
//      with avoid_flush_during_recovery), timing DB::Open (which replays the
//      WAL), and Restore() into RocksDB staged (T); then direct; every
//      digest checked;
//   7. a snapshot of the final state is written, then restored into a fresh
//      RocksDB target, against SstFileWriter + ingestion of the same sorted
//      pairs.
// Times are wall clock around the calls a user would make: opening the target
// (for RocksDB, creating the database) and Restore(), which includes Finish()
// and the final digest; the WAL baseline is DB::Open alone. Both read files
// the page cache holds (the segments were just written, the WAL just copied).

#include <atomic>
#include <deque>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/write_batch.h"
#include "src/bench/bench.h"
#include "src/bench/bench_util.h"
#include "src/log/block.h"
#include "src/log/segment_format.h"
#include "src/target/rocksdb/rocksdb_status.h"
#include "src/target/rocksdb/sst_series.h"
#include "src/util/compression.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "src/workload/workload.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/rocksdb.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using bench_internal::NowSeconds;
using bench_internal::Ratio;
using bench_internal::Say;

// One block, its stored bytes and its decoded records (which view `d.buffer`).
struct RawBlock {
  std::string stored;
  log_format::DecodedBlock d;
};

// RocksDB's errors mapped as everywhere (rocksdb_status.h), named as the
// bench's.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  return rocksdb_internal::FromRocksDB(
      s, absl::StrCat("replay bench: rocksdb: ", AV(what)));
}

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }

absl::StatusOr<StateDigest> DigestOfDb(rocksdb::DB* db) {
  StateDigest d;
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  std::unique_ptr<rocksdb::Iterator> it(db->NewIterator(ro));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    d.Add(std::string_view(it->key().data(), it->key().size()),
          std::string_view(it->value().data(), it->value().size()));
  }
  WAYBACK_RETURN_IF_ERROR(FromRocks(it->status(), "iterate"));
  return d;
}

absl::Status CheckDigest(std::string_view what, const StateDigest& got,
                         const StateDigest& want, int* checked) {
  ++*checked;
  if (got == want) return absl::OkStatus();
  return absl::DataLossError(absl::StrCat(
      "replay bench: ", AV(what), " produced digest ", got.ToString(),
      " but the expected state is ", want.ToString()));
}

// One timed run of a measurement: its seconds (it also sets the CPU
// seconds it used).
using TimedRun = std::function<absl::StatusOr<double>()>;
struct Timing {
  double seconds = 0;               // The median run.
  double cpu = 0;                   // Its CPU seconds.
  std::pair<double, double> range;  // Fastest and slowest run.
};

class Bench {
 public:
  explicit Bench(const ReplayBenchOptions& o) : o_(o) {
    threads_ =
        o.threads > 0
            ? o.threads
            : std::max(1,
                       static_cast<int>(std::thread::hardware_concurrency()));
    f_.threads = threads_;
    f_.stage_memory_bytes = o.stage_memory_bytes > 0 ? o.stage_memory_bytes
                                                     : AutoStageMemoryLimit();
    f_.direct_writes = o.direct_writes;
  }

  absl::StatusOr<ReplayBenchFigures> Run() {
    if (o_.mutations == 0) {
      return absl::InvalidArgumentError("replay bench: mutations must be > 0");
    }
    WAYBACK_ASSIGN_OR_RETURN(
        scratch_, bench_internal::ScratchDir::Create(o_.scratch_dir));
    WAYBACK_RETURN_IF_ERROR(Generate());
    WAYBACK_RETURN_IF_ERROR(DecodeAll());
    WAYBACK_RETURN_IF_ERROR(RawApply());
    // Every restored state must equal the raw apply's (RocksDB's recoveries
    // included).
    f_.expected_digest = raw_digest_;
    if (o_.rocksdb) WAYBACK_RETURN_IF_ERROR(WriteWalDb());
    // The decoded records are no longer needed: the decompression ceiling
    // uses only the stored bytes.
    for (RawBlock& b : blocks_) {
      std::string().swap(b.d.buffer);
      std::vector<LogRecord>().swap(b.d.records);
    }
    f_.live_keys = f_.expected_digest.count;
    WAYBACK_RETURN_IF_ERROR(DecompressCeiling());
    blocks_.clear();
    blocks_.shrink_to_fit();

    WAYBACK_ASSIGN_OR_RETURN(auto catalog, Catalog::Open(storage_.get()));
    WAYBACK_ASSIGN_OR_RETURN(RecoveryPlan plan,
                             PlanRecovery(*catalog, RecoveryTarget::Latest()));
    WAYBACK_ASSIGN_OR_RETURN(
        f_.seconds_wayback_into_memory_1t,
        TimedRestore("Wayback into memory (1 thread)", plan, 1, MemoryOf(1),
                     "wayback_into_memory_1t"));
    f_.wayback_into_memory_1t =
        Ratio(f_.mutations, f_.seconds_wayback_into_memory_1t);
    WAYBACK_ASSIGN_OR_RETURN(
        f_.seconds_wayback_into_memory,
        TimedRestore(
            absl::StrCat("Wayback into memory (", threads_, " threads)"), plan,
            threads_, MemoryOf(threads_), "wayback_into_memory",
            // The final state, sorted, for the snapshot comparison.
            [&](StateTarget* t) {
              return o_.rocksdb ? CollectPairs(t) : absl::OkStatus();
            }));
    f_.wayback_into_memory =
        Ratio(f_.mutations, f_.seconds_wayback_into_memory);
    if (o_.rocksdb) {
      WAYBACK_RETURN_IF_ERROR(IntoRocksDB(plan));
      WAYBACK_RETURN_IF_ERROR(SnapshotComparison());
    }
    f_.rocksdb_speedup =
        Ratio(f_.wayback_into_rocksdb, f_.rocksdb_wal_recovery);
    f_.rocksdb_speedup_vs_flushed =
        Ratio(f_.wayback_into_rocksdb,
              std::max(f_.rocksdb_wal_recovery_default,
                       f_.rocksdb_wal_recovery_large_memtable));
    f_.memory_vs_raw_apply =
        Ratio(f_.wayback_into_memory, f_.raw_apply_ceiling);
    f_.snapshot_vs_sst_ingest =
        Ratio(f_.snapshot_restore_into_rocksdb, f_.sst_writer_ingest);
    f_.peak_rss_bytes = bench_internal::PeakRssBytes();
    return f_;
  }

 private:
  // 1. The workload, written as segments. The generator runs on simulated
  // time; the rate only spaces the commit times.
  absl::Status Generate() {
    Say(o_.progress,
        absl::StrFormat("generating %d mutations of the clinical workload (%s)",
                        o_.mutations, ReplayWorkloadName(o_.workload)));
    WAYBACK_ASSIGN_OR_RETURN(
        storage_, OpenLocalStorage(scratch_->Sub("repository"), true));
    WorkloadOptions w = ReplayWorkloadOptions(o_.workload, o_.seed);
    f_.workload = o_.workload;
    w.rate = 100;
    w.duration = absl::Hours(24 * 365 * 10);
    ManualClock clock(w.start_time);
    LogWriterOptions lw;
    lw.durability = Durability::kBuffered;
    lw.clock = &clock;
    lw.segment_max_age = absl::InfiniteDuration();
    WAYBACK_ASSIGN_OR_RETURN(auto writer, LogWriter::Open(storage_.get(), lw));
    WorkloadGenerator gen(w);
    WorkloadEvent e;
    while (f_.mutations < o_.mutations && gen.Next(&e)) {
      clock.Set(e.commit_time);
      if (e.kind == WorkloadEvent::Kind::kRestorePoint) {
        WAYBACK_RETURN_IF_ERROR(
            writer->AppendRestorePoint(e.restore_point, e.commit_time)
                .status());
        continue;
      }
      WAYBACK_RETURN_IF_ERROR(writer->Append(e.txn).status());
      ++f_.transactions;
      f_.mutations += e.txn.mutations.size();
    }
    WAYBACK_RETURN_IF_ERROR(writer->Close());
    return absl::OkStatus();
  }

  // 2. Every block read and decoded once, kept.
  absl::Status DecodeAll() {
    WAYBACK_ASSIGN_OR_RETURN(auto catalog, Catalog::Open(storage_.get()));
    ZstdDecompressor dec;
    for (const SegmentInfo& seg : catalog->segments()) {
      f_.stored_bytes += seg.size;
      WAYBACK_ASSIGN_OR_RETURN(auto obj, storage_->OpenForRead(seg.name));
      for (const BlockInfo& b : seg.blocks) {
        RawBlock& rb = blocks_.emplace_back();
        rb.stored.resize(b.stored_size);
        WAYBACK_ASSIGN_OR_RETURN(
            std::string_view bytes,
            obj->ReadAt(b.offset, b.stored_size, rb.stored.data()));
        if (bytes.size() != b.stored_size) {
          return CorruptionAt(seg.name, b.offset, b.first_lsn,
                              "block truncated");
        }
        if (bytes.data() != rb.stored.data()) {
          rb.stored.assign(bytes.data(), bytes.size());
        }
        log_format::BlockHeader h;
        WAYBACK_RETURN_IF_ERROR(log_format::DecodeBlockHeader(
            seg.name, b.offset, rb.stored, b.format_version, &h));
        WAYBACK_RETURN_IF_ERROR(log_format::UnpackBlock(
            seg.name, b.offset, h, std::string_view(rb.stored).substr(h.size()),
            &dec, &rb.d));
        f_.raw_bytes += h.raw_size;
      }
    }
    f_.blocks = blocks_.size();
    Say(o_.progress,
        absl::StrFormat("  %d transactions, %.1f MB raw, %.1f MB stored in "
                        "%d blocks",
                        f_.transactions, f_.raw_bytes / 1e6,
                        f_.stored_bytes / 1e6, f_.blocks));
    return absl::OkStatus();
  }

  // 3. The apply ceiling: decoded records straight into the memory target.
  absl::Status RawApply() {
    auto run = [&]() -> absl::StatusOr<double> {
      // The same fast path the replay core gets: a sizing hint, then one
      // batched call per block (not one virtual call per transaction), so
      // the ratio against it measures only what replay adds.
      auto target = NewMemoryTarget(1);
      const double t0 = NowSeconds();
      const double c0 = bench_internal::ProcessCpuSeconds();
      target->ExpectMutations(f_.mutations);
      for (const RawBlock& b : blocks_) {
        WAYBACK_RETURN_IF_ERROR(target->ApplyTransactionBatch(b.d.records));
      }
      const double secs = NowSeconds() - t0;
      last_cpu_ = bench_internal::ProcessCpuSeconds() - c0;
      WAYBACK_ASSIGN_OR_RETURN(raw_digest_, target->Digest());
      return secs;
    };
    // One untimed run first: the first process-wide use of that much memory
    // pays its page faults (on a VM, the host's too), which every later
    // measurement, on memory the allocator reuses, does not. (With one
    // repetition of 5 M mutations the ceiling came out at half the speed of
    // the 1-thread replay that does the same apply plus decompression.)
    WAYBACK_RETURN_IF_ERROR(run().status());
    WAYBACK_ASSIGN_OR_RETURN(f_.seconds_raw_apply_ceiling, Median(run));
    f_.cpu_seconds.emplace_back("raw_apply_ceiling", median_cpu_);
    f_.seconds_range.emplace_back("raw_apply_ceiling", median_range_);
    f_.raw_apply_ceiling = Ratio(f_.mutations, f_.seconds_raw_apply_ceiling);
    Say(o_.progress,
        absl::StrFormat("raw apply ceiling: %.0f mutations/s "
                        "(%.2f s)",
                        f_.raw_apply_ceiling, f_.seconds_raw_apply_ceiling));
    return absl::OkStatus();
  }

  // 4a. The database RocksDB will recover: every transaction in its WAL, no
  // SST file.
  absl::Status WriteWalDb() {
    Say(o_.progress, "writing the RocksDB WAL database");
    wal_src_ = scratch_->Sub("wal-source");
    rocksdb::Options opts;
    opts.create_if_missing = true;
    opts.write_buffer_size = std::max<uint64_t>(o_.large_memtable_bytes,
                                                4 * f_.raw_bytes + (64 << 20));
    opts.max_write_buffer_number = 2;
    opts.avoid_flush_during_shutdown = true;
    rocksdb::DB* raw_db = nullptr;
    WAYBACK_RETURN_IF_ERROR(
        FromRocks(rocksdb::DB::Open(opts, wal_src_, &raw_db), "open"));
    std::unique_ptr<rocksdb::DB> db(raw_db);
    rocksdb::WriteOptions wo;  // WAL on, not synced per write.
    rocksdb::WriteBatch batch;
    for (const RawBlock& b : blocks_) {
      for (const LogRecord& r : b.d.records) {
        if (r.type != RecordType::kTransaction) continue;
        batch.Clear();
        auto it = r.mutations();
        MutationView m;
        while (it.Next(&m)) {
          rocksdb::Status s = m.type == MutationType::kDelete
                                  ? batch.Delete(ToSlice(m.key))
                                  : batch.Put(ToSlice(m.key), ToSlice(m.value));
          WAYBACK_RETURN_IF_ERROR(FromRocks(s, "batch"));
        }
        WAYBACK_RETURN_IF_ERROR(FromRocks(db->Write(wo, &batch), "write"));
      }
    }
    WAYBACK_RETURN_IF_ERROR(FromRocks(db->FlushWAL(true), "sync WAL"));
    WAYBACK_RETURN_IF_ERROR(FromRocks(db->Close(), "close"));
    db.reset();
    for (const auto& entry : std::filesystem::directory_iterator(wal_src_)) {
      if (entry.path().extension() == ".sst") {
        return absl::InternalError(absl::StrCat(
            "replay bench: RocksDB flushed ", entry.path().string(),
            " while the WAL database was written; its recovery would not "
            "replay every mutation"));
      }
    }
    return absl::OkStatus();
  }

  // 4b. Timed DB::Open of a copy of the WAL database, per configuration: one
  // run of each (run in rounds with Wayback's restore into RocksDB, see
  // IntoRocksDB()), and what to do with their timings.
  struct WalConfig {
    const char* name;
    uint64_t write_buffer_size;  // 0: RocksDB's default.
    bool avoid_flush;            // avoid_flush_during_recovery
    double* rate;
  };
  std::vector<WalConfig> WalConfigs() {
    return {
        {"default", 0, false, &f_.rocksdb_wal_recovery_default},
        {"large_memtable", o_.large_memtable_bytes, false,
         &f_.rocksdb_wal_recovery_large_memtable},
        // The recovered state stays in the memtable (and the WAL) instead of
        // being flushed to L0 files during DB::Open: the fastest way RocksDB
        // gives the state back, though its next open replays the WAL again.
        {"large_memtable_no_flush", o_.large_memtable_bytes, true,
         &f_.rocksdb_wal_recovery_large_memtable_no_flush},
    };
  }
  std::vector<TimedRun> WalRecoveryRuns() {
    std::vector<TimedRun> runs;
    for (const WalConfig& c : WalConfigs()) {
      const std::string path = scratch_->Sub(absl::StrCat("wal-", c.name));
      runs.push_back([this, c, path]() -> absl::StatusOr<double> {
        bench_internal::RemoveTree(path);
        std::error_code ec;
        std::filesystem::copy(wal_src_, path,
                              std::filesystem::copy_options::recursive, ec);
        if (ec) return IoError("copy", wal_src_, ec.value());
        rocksdb::Options opts;
        opts.create_if_missing = false;
        if (c.write_buffer_size > 0) {
          opts.write_buffer_size = c.write_buffer_size;
          opts.max_write_buffer_number = 2;
        }
        opts.avoid_flush_during_recovery = c.avoid_flush;
        rocksdb::DB* raw_db = nullptr;
        const double t0 = NowSeconds();
        const double c0 = bench_internal::ProcessCpuSeconds();
        WAYBACK_RETURN_IF_ERROR(
            FromRocks(rocksdb::DB::Open(opts, path, &raw_db), "recover"));
        const double secs = NowSeconds() - t0;
        last_cpu_ = bench_internal::ProcessCpuSeconds() - c0;
        std::unique_ptr<rocksdb::DB> db(raw_db);
        WAYBACK_ASSIGN_OR_RETURN(StateDigest d, DigestOfDb(db.get()));
        WAYBACK_RETURN_IF_ERROR(
            CheckDigest(absl::StrCat("RocksDB's recovery (", c.name, ")"), d,
                        f_.expected_digest, &f_.digests_checked));
        WAYBACK_RETURN_IF_ERROR(FromRocks(db->Close(), "close"));
        db.reset();
        bench_internal::RemoveTree(path);
        return secs;
      });
    }
    return runs;
  }
  void RecordWalRecovery(const std::vector<Timing>& timings) {
    const std::vector<WalConfig> configs = WalConfigs();
    for (size_t i = 0; i < configs.size(); ++i) {
      const WalConfig& c = configs[i];
      const double secs = timings[i].seconds;
      f_.cpu_seconds.emplace_back(absl::StrCat("rocksdb_wal_recovery_", c.name),
                                  timings[i].cpu);
      f_.seconds_range.emplace_back(
          absl::StrCat("rocksdb_wal_recovery_", c.name), timings[i].range);
      *c.rate = Ratio(f_.mutations, secs);
      Say(o_.progress,
          absl::StrFormat("RocksDB WAL recovery (%s): %.0f mutations/s "
                          "(%.2f s)",
                          c.name, *c.rate, secs));
      if (*c.rate > f_.rocksdb_wal_recovery) {
        f_.rocksdb_wal_recovery = *c.rate;
        f_.rocksdb_wal_recovery_config = c.name;
        f_.seconds_rocksdb_wal_recovery = secs;
      }
    }
  }

  // 5. CRC32C + decompression of every block on T threads, nothing else.
  absl::Status DecompressCeiling() {
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    std::vector<std::thread> pool;
    const double t0 = NowSeconds();
    const double c0 = bench_internal::ProcessCpuSeconds();
    for (int t = 0; t < threads_; ++t) {
      pool.emplace_back([&] {
        ZstdDecompressor dec;
        std::string out;
        for (size_t i = next.fetch_add(1); i < blocks_.size();
             i = next.fetch_add(1)) {
          const std::string_view stored = blocks_[i].stored;
          const log_format::BlockHeader& h = blocks_[i].d.header;
          const std::string_view payload = stored.substr(h.size());
          if (crc32c::Unmask(h.payload_crc) != crc32c::Value(payload)) {
            failed = true;
            return;
          }
          if (h.codec == log_format::Codec::kNone) continue;
          out.resize(h.raw_size);
          if (!dec.Decompress(payload, out.data(), h.raw_size).ok()) {
            failed = true;
            return;
          }
        }
      });
    }
    for (std::thread& t : pool) t.join();
    f_.seconds_decompress_ceiling = NowSeconds() - t0;
    last_cpu_ = bench_internal::ProcessCpuSeconds() - c0;
    f_.cpu_seconds.emplace_back("decompress_ceiling", last_cpu_);
    if (failed) {
      return absl::DataLossError(
          "replay bench: a block failed its checksum or decompression in the "
          "decompression ceiling");
    }
    f_.decompress_ceiling_mb_per_s =
        Ratio(f_.raw_bytes / 1e6, f_.seconds_decompress_ceiling);
    Say(o_.progress,
        absl::StrFormat("decompression ceiling (%d threads): %.0f MB/s",
                        threads_, f_.decompress_ceiling_mb_per_s));
    return absl::OkStatus();
  }

  // Opens a fresh target for each run; `path` (if any) is where it keeps
  // its files, removed before the run and after it, outside the timed part.
  struct TargetFactory {
    std::function<absl::StatusOr<std::unique_ptr<StateTarget>>()> open;
    std::string path;
  };
  using AfterFn = std::function<absl::Status(StateTarget*)>;

  static TargetFactory MemoryOf(int partitions) {
    return {[partitions]() -> absl::StatusOr<std::unique_ptr<StateTarget>> {
              return NewMemoryTarget(partitions);
            },
            ""};
  }
  // A new database at `path` for each run (creating it is timed, as
  // RocksDB's DB::Open is).
  static TargetFactory RocksDBAt(std::string path, RocksDBTargetOptions ro) {
    return {[path, ro]() -> absl::StatusOr<std::unique_ptr<StateTarget>> {
              return OpenRocksDBTarget(path, ro);
            },
            path};
  }

  // Runs each of `runs` o_.repetitions times in rounds (every run once per
  // round, in order), so that the slow and the fast minutes of a shared
  // machine fall on the measurements of a ratio alike, and returns each
  // one's median (with its CPU seconds) and fastest and slowest run.
  absl::StatusOr<std::vector<Timing>> Interleaved(
      const std::vector<TimedRun>& runs) {
    // (seconds, CPU seconds) of each run of each.
    std::vector<std::vector<std::pair<double, double>>> all(runs.size());
    for (int i = 0; i < std::max(1, o_.repetitions); ++i) {
      for (size_t j = 0; j < runs.size(); ++j) {
        WAYBACK_ASSIGN_OR_RETURN(double s, runs[j]());
        all[j].emplace_back(s, last_cpu_);
      }
    }
    std::vector<Timing> out;
    for (auto& r : all) {
      std::sort(r.begin(), r.end());
      const auto& median = r[(r.size() - 1) / 2];
      out.push_back(
          {median.first, median.second, {r.front().first, r.back().first}});
    }
    return out;
  }
  // The median of o_.repetitions runs of `run` (seconds).
  absl::StatusOr<double> Median(const TimedRun& run) {
    WAYBACK_ASSIGN_OR_RETURN(std::vector<Timing> t, Interleaved({run}));
    median_cpu_ = t[0].cpu;
    median_range_ = t[0].range;
    return t[0].seconds;
  }

  // Restore() of `plan` into fresh targets from `make`, timed (the median of
  // the repetitions), every digest checked; `after` (if set) sees the last
  // target before it is destroyed. The `alongside` runs (if any) take turns
  // with it, each round running them first; their timings go to
  // `alongside_timings`.
  absl::StatusOr<double> TimedRestore(
      const std::string& what, const RecoveryPlan& plan, int threads,
      const TargetFactory& make, const std::string& key,
      const AfterFn& after = nullptr,
      const std::vector<TimedRun>& alongside = {},
      std::vector<Timing>* alongside_timings = nullptr) {
    RestoreOptions ro;
    ro.threads = threads;
    uint64_t items = 0;
    bool pairs = false;
    int left = std::max(1, o_.repetitions);
    double read_back = 0;
    auto run = [&]() -> absl::StatusOr<double> {
      if (!make.path.empty()) bench_internal::RemoveTree(make.path);
      const double t0 = NowSeconds();
      const double c0 = bench_internal::ProcessCpuSeconds();
      WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<StateTarget> target,
                               make.open());
      WAYBACK_ASSIGN_OR_RETURN(RestoreResult r,
                               Restore(storage_.get(), plan, target.get(), ro));
      const double secs = NowSeconds() - t0;
      last_cpu_ = bench_internal::ProcessCpuSeconds() - c0;
      if (!r.digest) {
        return absl::InternalError(
            absl::StrCat("replay bench: ", what, " reported no digest"));
      }
      WAYBACK_RETURN_IF_ERROR(CheckDigest(what, *r.digest, f_.expected_digest,
                                          &f_.digests_checked));
      // Also read the state back through ForEach(), outside the timed part:
      // a target that tracks its digest must still hold exactly that state.
      StateDigest scanned;
      const double r0 = NowSeconds();
      WAYBACK_RETURN_IF_ERROR(
          target->ForEach([&](std::string_view k, std::string_view v) {
            scanned.Add(k, v);
            return true;
          }));
      read_back = NowSeconds() - r0;
      WAYBACK_RETURN_IF_ERROR(CheckDigest(absl::StrCat(what, ", read back"),
                                          scanned, f_.expected_digest,
                                          &f_.digests_checked));
      pairs = r.mutations_applied == 0;
      items = pairs ? r.snapshot_pairs : r.mutations_applied;
      if (--left == 0 && after) WAYBACK_RETURN_IF_ERROR(after(target.get()));
      target.reset();
      if (!make.path.empty()) bench_internal::RemoveTree(make.path);
      return secs;
    };
    std::vector<TimedRun> runs = alongside;
    runs.push_back(run);
    WAYBACK_ASSIGN_OR_RETURN(std::vector<Timing> timings, Interleaved(runs));
    const double secs = timings.back().seconds;
    f_.cpu_seconds.emplace_back(key, timings.back().cpu);
    f_.seconds_range.emplace_back(key, timings.back().range);
    if (alongside_timings != nullptr) {
      timings.pop_back();
      *alongside_timings = std::move(timings);
    }
    f_.read_back_seconds.emplace_back(key, read_back);
    Say(o_.progress,
        absl::StrFormat("%s: %.0f %s/s (%.2f s)", what, Ratio(items, secs),
                        pairs ? "pairs" : "mutations", secs));
    return secs;
  }

  // 6b. Into RocksDB: staged (the fast path) and direct.
  absl::Status IntoRocksDB(const RecoveryPlan& plan) {
    RocksDBTargetOptions staged = RocksDBTargetOptions::ForRestore(threads_);
    staged.stage_memory_limit = f_.stage_memory_bytes;
    staged.direct_writes = f_.direct_writes;
    const std::string path = scratch_->Sub("wayback-rocksdb");
    // In rounds with RocksDB's own recoveries, so that rocksdb_speedup
    // compares runs made minutes apart at most.
    std::vector<Timing> wal;
    WAYBACK_ASSIGN_OR_RETURN(
        f_.seconds_wayback_into_rocksdb,
        TimedRestore(absl::StrCat("Wayback into RocksDB (staged, ", threads_,
                                  " threads)"),
                     plan, threads_, RocksDBAt(path, staged),
                     "wayback_into_rocksdb", nullptr, WalRecoveryRuns(), &wal));
    RecordWalRecovery(wal);
    bench_internal::RemoveTree(wal_src_);
    f_.wayback_into_rocksdb =
        Ratio(f_.mutations, f_.seconds_wayback_into_rocksdb);
    WAYBACK_ASSIGN_OR_RETURN(
        f_.seconds_wayback_into_rocksdb_direct,
        TimedRestore(absl::StrCat("Wayback into RocksDB (direct, ", threads_,
                                  " threads)"),
                     plan, threads_, RocksDBAt(path, RocksDBTargetOptions()),
                     "wayback_into_rocksdb_direct"));
    f_.wayback_into_rocksdb_direct =
        Ratio(f_.mutations, f_.seconds_wayback_into_rocksdb_direct);
    bench_internal::RemoveTree(path);
    return absl::OkStatus();
  }

  // The final state in key order, flat: keys and values in one buffer.
  absl::Status CollectPairs(StateTarget* target) {
    pair_bytes_.clear();
    pair_offsets_.clear();
    WAYBACK_RETURN_IF_ERROR(
        target->ForEach([&](std::string_view k, std::string_view v) {
          pair_offsets_.push_back({pair_bytes_.size(), k.size(), v.size()});
          pair_bytes_.append(k);
          pair_bytes_.append(v);
          return true;
        }));
    return absl::OkStatus();
  }
  std::string_view PairKey(size_t i) const {
    return std::string_view(pair_bytes_)
        .substr(pair_offsets_[i].offset, pair_offsets_[i].key_size);
  }
  std::string_view PairValue(size_t i) const {
    return std::string_view(pair_bytes_)
        .substr(pair_offsets_[i].offset + pair_offsets_[i].key_size,
                pair_offsets_[i].value_size);
  }

  // 7. Snapshot restore into RocksDB against SstFileWriter + ingest.
  absl::Status SnapshotComparison() {
    Say(o_.progress, "writing a snapshot of the final state");
    WAYBACK_ASSIGN_OR_RETURN(auto catalog, Catalog::Open(storage_.get()));
    const SegmentInfo& last = catalog->segments().back();
    SnapshotWriterOptions so;
    so.lsn = last.last_lsn;
    so.commit_time = last.last_commit_time;
    size_t i = 0;
    WAYBACK_ASSIGN_OR_RETURN(
        SnapshotInfo info,
        WriteSnapshot(storage_.get(), so,
                      [&](std::string_view* k, std::string_view* v) {
                        if (i == pair_offsets_.size()) return false;
                        *k = PairKey(i);
                        *v = PairValue(i);
                        ++i;
                        return true;
                      }));
    const double pairs = static_cast<double>(info.pair_count);

    // SstFileWriter + ingestion of the same sorted pairs, one file, with the
    // SstFileWriter settings the RocksDB target uses (sst_series.h); then,
    // for the profile, with RocksDB's default table options (Snappy, 4 KiB
    // blocks).
    const std::string path = scratch_->Sub("sst-ingest");
    bool target_settings = true;
    auto run = [&]() -> absl::StatusOr<double> {
      bench_internal::RemoveTree(path);
      // Timed from the database's creation, as the snapshot restore is.
      const double t0 = NowSeconds();
      const double c0 = bench_internal::ProcessCpuSeconds();
      rocksdb::Options opts;
      opts.create_if_missing = true;
      rocksdb::DB* raw_db = nullptr;
      WAYBACK_RETURN_IF_ERROR(
          FromRocks(rocksdb::DB::Open(opts, path, &raw_db), "open"));
      std::unique_ptr<rocksdb::DB> db(raw_db);
      const std::string file = scratch_->Sub("pairs.sst");
      std::unique_ptr<rocksdb::SstFileWriter> writer;
      if (target_settings) {
        // As the target: O_DIRECT if it writes so, buffered where the file
        // system refuses.
        for (bool direct : {f_.direct_writes, false}) {
          writer = std::make_unique<rocksdb::SstFileWriter>(
              rocksdb_internal::SstWriterEnvOptions(direct),
              rocksdb_internal::SstWriterOptions(opts), nullptr,
              rocksdb_internal::kSstInvalidatePageCache);
          rocksdb::Status s = writer->Open(file);
          if (s.ok()) break;
          if (!direct) return FromRocks(s, "SST open");
        }
      } else {
        writer = std::make_unique<rocksdb::SstFileWriter>(rocksdb::EnvOptions(),
                                                          opts);
        WAYBACK_RETURN_IF_ERROR(FromRocks(writer->Open(file), "SST open"));
      }
      for (size_t p = 0; p < pair_offsets_.size(); ++p) {
        WAYBACK_RETURN_IF_ERROR(
            FromRocks(writer->Put(ToSlice(PairKey(p)), ToSlice(PairValue(p))),
                      "SST put"));
      }
      WAYBACK_RETURN_IF_ERROR(FromRocks(writer->Finish(), "SST finish"));
      writer.reset();
      rocksdb::IngestExternalFileOptions io;
      io.move_files = true;
      WAYBACK_RETURN_IF_ERROR(
          FromRocks(db->IngestExternalFile({file}, io), "ingest"));
      const double secs = NowSeconds() - t0;
      last_cpu_ = bench_internal::ProcessCpuSeconds() - c0;
      WAYBACK_ASSIGN_OR_RETURN(StateDigest d, DigestOfDb(db.get()));
      WAYBACK_RETURN_IF_ERROR(CheckDigest("SstFileWriter + ingest", d,
                                          f_.expected_digest,
                                          &f_.digests_checked));
      WAYBACK_RETURN_IF_ERROR(FromRocks(db->Close(), "close"));
      db.reset();
      bench_internal::RemoveTree(path);
      return secs;
    };
    f_.sst_writer_settings =
        rocksdb_internal::SstWriterSettingsText(f_.direct_writes);
    WAYBACK_ASSIGN_OR_RETURN(f_.seconds_sst_writer_ingest, Median(run));
    f_.seconds_sst_writer_ingest_uncompressed = f_.seconds_sst_writer_ingest;
    f_.cpu_seconds.emplace_back("sst_writer_ingest", median_cpu_);
    f_.seconds_range.emplace_back("sst_writer_ingest", median_range_);
    f_.sst_writer_ingest = Ratio(pairs, f_.seconds_sst_writer_ingest);
    Say(o_.progress,
        absl::StrFormat("SstFileWriter + ingest (%s): %.0f pairs/s (%.2f s)",
                        f_.sst_writer_settings, f_.sst_writer_ingest,
                        f_.seconds_sst_writer_ingest));
    target_settings = false;
    WAYBACK_ASSIGN_OR_RETURN(f_.seconds_sst_writer_ingest_rocksdb_defaults,
                             Median(run));
    f_.cpu_seconds.emplace_back("sst_writer_ingest_rocksdb_defaults",
                                median_cpu_);
    f_.seconds_range.emplace_back("sst_writer_ingest_rocksdb_defaults",
                                  median_range_);
    std::string().swap(pair_bytes_);
    std::vector<PairOffset>().swap(pair_offsets_);

    // Restore() of the snapshot alone into a fresh RocksDB target.
    {
      WAYBACK_ASSIGN_OR_RETURN(auto with_snap, Catalog::Open(storage_.get()));
      WAYBACK_ASSIGN_OR_RETURN(
          RecoveryPlan plan,
          PlanRecovery(*with_snap, RecoveryTarget::SnapshotOnly()));
      RocksDBTargetOptions ro = RocksDBTargetOptions::ForRestore(threads_);
      ro.stage_memory_limit = f_.stage_memory_bytes;
      ro.direct_writes = f_.direct_writes;
      const std::string path = scratch_->Sub("snapshot-restore");
      WAYBACK_ASSIGN_OR_RETURN(
          f_.seconds_snapshot_restore_into_rocksdb,
          TimedRestore("snapshot restore into RocksDB", plan, threads_,
                       RocksDBAt(path, ro), "snapshot_restore_into_rocksdb"));
      f_.snapshot_restore_into_rocksdb =
          Ratio(pairs, f_.seconds_snapshot_restore_into_rocksdb);
      bench_internal::RemoveTree(path);
    }
    return absl::OkStatus();
  }

  struct PairOffset {
    size_t offset;
    size_t key_size;
    size_t value_size;
  };

  const ReplayBenchOptions& o_;
  int threads_ = 1;
  ReplayBenchFigures f_;
  std::unique_ptr<bench_internal::ScratchDir> scratch_;
  std::unique_ptr<Storage> storage_;
  std::deque<RawBlock> blocks_;
  StateDigest raw_digest_;
  double last_cpu_ = 0;    // CPU seconds of the last timed section.
  double median_cpu_ = 0;  // ... of the run Median() picked.
  std::pair<double, double> median_range_;  // Fastest and slowest run.
  std::string wal_src_;
  std::string pair_bytes_;
  std::vector<PairOffset> pair_offsets_;
};

}  // namespace

std::string_view ReplayWorkloadName(ReplayWorkload workload) {
  switch (workload) {
    case ReplayWorkload::kUpdates:
      return "updates";
    case ReplayWorkload::kAppends:
      return "appends";
  }
  return "unknown";
}

WorkloadOptions ReplayWorkloadOptions(ReplayWorkload workload, uint64_t seed) {
  WorkloadOptions w;
  w.seed = seed;
  if (workload == ReplayWorkload::kUpdates) {
    // Calibrated on seed 1 at 5 M mutations to issue 7's figures: 258 bytes
    // of log per mutation, 526,536 live keys.
    w.in_place_update_fraction = 0.835;
    w.value_size_exponent = 2.9;
  }
  return w;
}

absl::StatusOr<ReplayBenchFigures> RunReplayBench(
    const ReplayBenchOptions& options) {
  Bench bench(options);
  return bench.Run();
}

std::string ReplayBenchFigures::ToJson() const {
  nlohmann::ordered_json j;
  j["workload"] = ReplayWorkloadName(workload);
  j["mutations"] = mutations;
  j["transactions"] = transactions;
  j["threads"] = threads;
  j["raw_bytes"] = raw_bytes;
  j["stored_bytes"] = stored_bytes;
  j["blocks"] = blocks;
  j["live_keys"] = live_keys;
  j["rocksdb_wal_recovery"] = rocksdb_wal_recovery;
  j["rocksdb_wal_recovery_config"] = rocksdb_wal_recovery_config;
  j["rocksdb_wal_recovery_default"] = rocksdb_wal_recovery_default;
  j["rocksdb_wal_recovery_large_memtable"] =
      rocksdb_wal_recovery_large_memtable;
  j["rocksdb_wal_recovery_large_memtable_no_flush"] =
      rocksdb_wal_recovery_large_memtable_no_flush;
  j["wayback_into_rocksdb"] = wayback_into_rocksdb;
  j["wayback_into_rocksdb_direct"] = wayback_into_rocksdb_direct;
  j["wayback_into_memory_1t"] = wayback_into_memory_1t;
  j["wayback_into_memory"] = wayback_into_memory;
  j["raw_apply_ceiling"] = raw_apply_ceiling;
  j["decompress_ceiling_mb_per_s"] = decompress_ceiling_mb_per_s;
  j["rocksdb_speedup"] = rocksdb_speedup;
  j["rocksdb_speedup_vs_flushed"] = rocksdb_speedup_vs_flushed;
  j["memory_vs_raw_apply"] = memory_vs_raw_apply;
  j["snapshot_restore_into_rocksdb"] = snapshot_restore_into_rocksdb;
  j["sst_writer_ingest"] = sst_writer_ingest;
  j["snapshot_vs_sst_ingest"] = snapshot_vs_sst_ingest;
  j["seconds"] = {
      {"rocksdb_wal_recovery", seconds_rocksdb_wal_recovery},
      {"wayback_into_rocksdb", seconds_wayback_into_rocksdb},
      {"wayback_into_rocksdb_direct", seconds_wayback_into_rocksdb_direct},
      {"wayback_into_memory_1t", seconds_wayback_into_memory_1t},
      {"wayback_into_memory", seconds_wayback_into_memory},
      {"raw_apply_ceiling", seconds_raw_apply_ceiling},
      {"decompress_ceiling", seconds_decompress_ceiling},
      {"snapshot_restore_into_rocksdb", seconds_snapshot_restore_into_rocksdb},
      {"sst_writer_ingest", seconds_sst_writer_ingest},
      {"sst_writer_ingest_uncompressed",
       seconds_sst_writer_ingest_uncompressed},
      {"sst_writer_ingest_rocksdb_defaults",
       seconds_sst_writer_ingest_rocksdb_defaults},
  };
  j["sst_writer_settings"] = sst_writer_settings;
  j["read_back_seconds"] = nlohmann::ordered_json::object();
  for (const auto& [name, secs] : read_back_seconds) {
    j["read_back_seconds"][name] = secs;
  }
  j["cpu_seconds"] = nlohmann::ordered_json::object();
  for (const auto& [name, secs] : cpu_seconds) j["cpu_seconds"][name] = secs;
  j["seconds_range"] = nlohmann::ordered_json::object();
  for (const auto& [name, range] : seconds_range) {
    j["seconds_range"][name] = {range.first, range.second};
  }
  j["expected_digest"] = expected_digest.ToString();
  j["digests_checked"] = digests_checked;
  j["peak_rss_bytes"] = peak_rss_bytes;
  j["stage_memory_bytes"] = stage_memory_bytes;
  j["direct_writes"] = direct_writes;
  return j.dump(2);
}

std::string ReplayBenchFigures::ToString() const {
  std::string s = absl::StrFormat(
      "replay benchmark: %d mutations in %d transactions of the %s workload "
      "(%.1f MB raw, %.1f MB stored), %d live keys, %d threads\n",
      mutations, transactions, ReplayWorkloadName(workload), raw_bytes / 1e6,
      stored_bytes / 1e6, live_keys, threads);
  auto row = [&](const char* name, double rate, double secs, const char* unit) {
    absl::StrAppend(&s, absl::StrFormat("  %-34s %12.0f %s/s  %8.2f s\n", name,
                                        rate, unit, secs));
  };
  row("(1) RocksDB WAL recovery", rocksdb_wal_recovery,
      seconds_rocksdb_wal_recovery, "mutations");
  row("(2) Wayback into RocksDB", wayback_into_rocksdb,
      seconds_wayback_into_rocksdb, "mutations");
  row("    ... direct WriteBatch path", wayback_into_rocksdb_direct,
      seconds_wayback_into_rocksdb_direct, "mutations");
  row("(3) Wayback into memory, 1 thread", wayback_into_memory_1t,
      seconds_wayback_into_memory_1t, "mutations");
  row("    ... all threads", wayback_into_memory, seconds_wayback_into_memory,
      "mutations");
  row("(4) raw apply ceiling", raw_apply_ceiling, seconds_raw_apply_ceiling,
      "mutations");
  row("(5) decompression ceiling (MB)", decompress_ceiling_mb_per_s,
      seconds_decompress_ceiling, "MB");
  row("snapshot restore into RocksDB", snapshot_restore_into_rocksdb,
      seconds_snapshot_restore_into_rocksdb, "pairs");
  row("SstFileWriter + ingest", sst_writer_ingest, seconds_sst_writer_ingest,
      "pairs");
  absl::StrAppend(
      &s,
      absl::StrFormat("  rocksdb_speedup %.2f (target >= 5.0; %.2f against "
                      "the recoveries that flush), "
                      "memory_vs_raw_apply %.2f (target >= 1.0), "
                      "snapshot_vs_sst_ingest %.2f (target >= 0.8)\n",
                      rocksdb_speedup, rocksdb_speedup_vs_flushed,
                      memory_vs_raw_apply, snapshot_vs_sst_ingest),
      absl::StrFormat("  every digest equal (%d checked): %s; peak RSS %.0f "
                      "MB\n",
                      digests_checked, expected_digest.ToString(),
                      peak_rss_bytes / 1e6));
  return s;
}

}  // namespace wayback
