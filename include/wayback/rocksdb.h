// Copyright 2026 The Wayback Authors.
//
// Wayback and RocksDB: a state target that restores into a RocksDB database,
// and a snapshot writer that reads one. This header is the whole RocksDB
// contract; the core headers (state_target.h, snapshot.h) never mention
// RocksDB, so a program that includes only them links without librocksdb.
//
// A restore into RocksDB, with the settings `wayback restore` uses:
//
//   auto target = OpenRocksDBTarget("/restore/db",
//                                    RocksDBTargetOptions::ForRestore());
//   if (!target.ok()) return target.status();
//   auto result = Restore(storage, *plan, target->get(), RestoreOptions());
//
// The database layout (the application's pairs in the default column
// family, the restore marker in the column family "wayback") and the order of
// writes that keeps a crash from ever looking complete are specified in
// src/target/rocksdb/rocksdb_target.md.

#ifndef WAYBACK_ROCKSDB_H_
#define WAYBACK_ROCKSDB_H_

#include <cstdint>
#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

// Declared, not included: RocksDB's headers stay out of Wayback's public
// headers. Callers of WriteSnapshotFromRocksDB() include "rocksdb/db.h"
// themselves.
namespace rocksdb {
class DB;
class Snapshot;
}  // namespace rocksdb

namespace wayback {

// How OpenRocksDBTarget() applies and writes the restored state. The default
// value is the plain path (every mutation through a WriteBatch); restores
// that only need the final state should start from ForRestore().
struct RocksDBTargetOptions {
  // The settings of `wayback restore`: staged in memory (stage_in_memory),
  // `threads` partitions and as many write threads (0: the hardware's thread
  // count), and stage_memory_limit = AutoStageMemoryLimit(). Every other
  // field keeps its default; callers override what their flags set.
  static RocksDBTargetOptions ForRestore(int threads = 0);

  // Create the database if missing.
  // Default: true.
  bool create_if_missing = true;
  // Transactions per WriteBatch when not staged (direct apply).
  // Default: 1024.
  int transactions_per_batch = 1024;

  // Staged replay. A restore needs only the final state, and a long stretch
  // of log overwrites the same keys many times, so instead of inserting
  // every mutation into RocksDB's memtable the target accumulates the
  // replayed state in memory (a hash table per partition; deletes kept as
  // tombstones only where something older may hold the key) and, at
  // Finish() (or before any read of the database), writes it as sorted,
  // non-overlapping, uncompressed SST files ingested together. The result
  // is the same database; the state digest is computed while the files are
  // written. Get() sees staged state. Required for partitioned apply.
  // Default: false (one WriteBatch per transactions_per_batch).
  bool stage_in_memory = false;
  // Bound on staged bytes (keys + value capacity + a per-entry overhead
  // estimate). Each partition may hold stage_memory_limit / partitions; a
  // partition that exceeds its share writes its state to a sorted scratch
  // file (a "run", in PATH/wayback-staging/), and the runs are merged when
  // the SST files are written. A state larger than memory therefore still
  // restores, more slowly.
  // Default: 1 GiB (ForRestore(): AutoStageMemoryLimit()).
  uint64_t stage_memory_limit = uint64_t{1} << 30;
  // Partitions for key-partitioned parallel apply (stage_in_memory only;
  // ignored otherwise).
  // Default: 1 (ForRestore(): the thread count).
  int partitions = 1;
  // Target size of each SST file written by LoadSnapshot() and by staged
  // writes.
  // Default: 256 MiB.
  uint64_t sst_file_size = uint64_t{256} << 20;
  // Threads' worth of cores used to write SST files. Staged state is cut
  // into 8 key ranges per write thread (at most 128), sorted and written by
  // 4 threads per write thread (at most 64); a snapshot load cuts its blocks
  // into 4 ranges per write thread (at most 64), one thread each. More
  // threads than cores, so that a thread blocked on a write leaves its core
  // to another's sort or write.
  // Default: 0 (the hardware's thread count; ForRestore(): the thread count).
  int write_threads = 0;
  // Write the SST files (staged state, snapshot loads) with O_DIRECT, going
  // on buffered where the file system refuses it. Direct writes
  // spare the kernel's copy into the page cache but block the writing
  // thread until the device has the data, so they pay only where the disk
  // takes large direct writes fast; docs/performance.md has figures of
  // both, and `wayback bench replay --direct-writes` against the default
  // measures a machine. The data is synced before ingestion either way.
  // Spilled runs (stage_memory_limit) use O_DIRECT regardless.
  // Default: false (buffered, as RocksDB's own default).
  bool direct_writes = false;
};

// Opens (or creates) the RocksDB database at `path` as a state target. The
// application's pairs live in the default column family and nothing else;
// the restore marker lives in the column family "wayback". Replay writes
// with the WAL disabled and Finish() ends with a flush and a synced marker.
// Scratch files go to PATH/wayback-staging/, removed on open and on close.
// Returns kNotFound if the database is missing and create_if_missing is
// false; RocksDB's errors as mapped by src/target/rocksdb/rocksdb_status.h
// (corruption: kDataLoss; busy or retryable: kUnavailable). The target is
// not thread-safe except for partitioned apply (StateTarget's contract).
absl::StatusOr<std::unique_ptr<StateTarget>> OpenRocksDBTarget(
    std::string_view path, const RocksDBTargetOptions& options = {});

// A stage_memory_limit sized to this machine: a quarter of the memory the
// process may use (the lowest memory limit of its cgroup and their parents,
// v2 `memory.max` or v1 `memory.limit_in_bytes`, when lower than the
// physical memory; else the physical memory), at least 256 MiB. The rest of
// a restore (sort keys, SST buffers, decompression) needs roughly another
// 60 bytes per live key. Reads /proc and /sys on each call.
uint64_t AutoStageMemoryLimit();

// Writes a snapshot of a RocksDB database's default column family as seen by
// `snapshot` (null: the current state), labelled with options.lsn: the
// application guarantees that state is the one after that LSN. The column
// family must use the bytewise comparator (else kInvalidArgument). Reads
// with checksums verified; memory stays one block. Returns the new
// snapshot's info; RocksDB errors are mapped as for OpenRocksDBTarget(),
// storage errors pass through.
absl::StatusOr<SnapshotInfo> WriteSnapshotFromRocksDB(
    Storage* storage, const SnapshotWriterOptions& options, rocksdb::DB* db,
    const rocksdb::Snapshot* snapshot = nullptr);

// The same for a database on disk that no process has open: a checkpoint
// the application made at options.lsn (rocksdb::Checkpoint, `ldb
// checkpoint`), or a stopped application's database. It is opened read-only
// (nothing in `path` changes) and read at one rocksdb::Snapshot.
// kFailedPrecondition if a process holds the database's LOCK (a live
// database changes under the reader and its state is no LSN's: make a
// checkpoint at the LSN and give its directory); kNotFound if `path` holds
// no database.
absl::StatusOr<SnapshotInfo> WriteSnapshotFromRocksDBPath(
    Storage* storage, const SnapshotWriterOptions& options,
    const std::string& path);

}  // namespace wayback

#endif  // WAYBACK_ROCKSDB_H_
