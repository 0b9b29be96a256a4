// Copyright 2026 The Wayback Authors.
//
// State targets: where a restore puts the state it rebuilds. Built-in targets
// are memory, RocksDB and a callback; applications may implement their own.
// Every target passes one conformance suite (tests/target/).
//
// A restore drives a target through these calls, in this order:
//   Begin()                    once; marks the target incomplete
//   LoadSnapshot()             at most once, before any transaction
//   ApplyTransaction()...      whole transactions in LSN order
//   Finish()                   durable, marked complete with the result
// Methods other than ApplyTransaction() have defaults so new operations do not
// break existing targets. Not thread-safe unless a method says otherwise.

#ifndef WAYBACK_STATE_TARGET_H_
#define WAYBACK_STATE_TARGET_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "wayback/snapshot.h"
#include "wayback/types.h"

namespace wayback {

// What a target records of the restore it holds.
struct RestoreMarker {
  std::string repository;  // URI of the repository.
  std::string target;      // The recovery target, as text.
  TimelineId timeline = kFirstTimeline;
  Lsn last_applied_lsn = kNoLsn;
  CommitTime last_applied_commit_time = 0;
  bool complete = false;
};

class StateTarget {
 public:
  virtual ~StateTarget() = default;

  // True if the target holds no key (and no restore marker).
  virtual absl::StatusOr<bool> IsEmpty() = 0;
  // Removes every key and marker (restoring over a non-empty target with
  // force).
  virtual absl::Status Clear() = 0;
  // Starts a restore; the target records `marker` with complete=false.
  virtual absl::Status Begin(const RestoreMarker& marker) {
    return absl::OkStatus();
  }
  // Bulk-loads a snapshot into an empty target. The default iterates the
  // reader and puts every pair.
  virtual absl::Status LoadSnapshot(SnapshotReader* snapshot);
  // Applies a whole transaction (record->type == kTransaction).
  virtual absl::Status ApplyTransaction(const LogRecord& record) = 0;
  // Makes the state durable and records `marker` (complete=true).
  virtual absl::Status Finish(const RestoreMarker& marker) {
    return absl::OkStatus();
  }
  // The restore marker the target holds, if any.
  virtual absl::StatusOr<std::optional<RestoreMarker>> ReadMarker() {
    return std::optional<RestoreMarker>();
  }

  // The state digest of the live pairs.
  virtual absl::StatusOr<StateDigest> Digest() = 0;
  // Visits every pair in key order (bytewise); stops early if fn returns
  // false.
  virtual absl::Status ForEach(
      const std::function<bool(std::string_view key, std::string_view value)>&
          fn) = 0;
  // The value of one key, or nullopt.
  virtual absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) = 0;

  // Key-partitioned apply (optional). If partitions() > 1, the replayer may
  // call ApplyMutation(p, ...) concurrently from several threads, one thread
  // per partition p, with every mutation of key k going to partition
  // PartitionOf(k); the final state is exact because it depends only on the
  // order of operations per key. Default: 1 partition (no partitioning).
  virtual int partitions() const { return 1; }
  virtual absl::Status ApplyMutation(int partition, const MutationView& m) {
    return absl::UnimplementedError("partitioned apply");
  }

  // Batched apply: what the replayer calls, one virtual call per block of
  // the log rather than one per transaction or mutation. Same contracts as
  // ApplyTransaction() and ApplyMutation(); override them to keep the
  // per-item work inline. The calls for one partition never overlap, but
  // successive calls may come from different threads (the replayer hands a
  // partition from thread to thread under a lock, which orders the calls).
  //
  // Applies `records` in LSN order: each record of type kTransaction whole,
  // records of other types (restore points) skipped. On error, the records
  // before the failing one stay applied. Default: ApplyTransaction() per
  // transaction, the error prefixed with "lsn N: ".
  virtual absl::Status ApplyTransactionBatch(
      std::span<const LogRecord> records);
  // Applies `mutations`, all of partition `partition`, in order. Default:
  // ApplyMutation() per mutation.
  virtual absl::Status ApplyMutationBatch(
      int partition, std::span<const MutationView> mutations);

  // A hint, before the log is applied: at most about `mutations` mutations
  // will follow (the plan's segments' counts, an upper bound). A target may
  // size its structures for them (the memory target reserves its tables, up
  // to a cap, rather than rehash as it grows). Default: ignored.
  virtual void ExpectMutations(uint64_t mutations) {}
};

// A stable partition function for key-partitioned apply.
int PartitionOf(std::string_view key, int partitions);

// A hash map in memory; sorted iteration on demand. `partitions` > 1 enables
// key-partitioned parallel apply.
std::unique_ptr<StateTarget> NewMemoryTarget(int partitions = 1);

struct RocksDBTargetOptions {
  // Create the database if missing. Default: true.
  bool create_if_missing = true;
  // Transactions per WriteBatch during replay. Default: 1024.
  int transactions_per_batch = 1024;

  // Staged replay. A restore needs only the final state, and a long stretch
  // of log overwrites the same keys many times (5 M mutations may leave 0.5 M
  // live keys), so instead of inserting every mutation into RocksDB's memtable
  // the target can accumulate the replayed state in memory (a hash map per
  // partition, deletes kept as tombstones) and, at Finish() (or before any
  // read of the database), write it as sorted, non-overlapping SST files
  // without compression, ingested together. The result is the same
  // database; the state digest is computed while the files are written.
  // Get() sees staged state. Default: false (one WriteBatch per
  // transactions_per_batch).
  bool stage_in_memory = false;
  // Bound on staged bytes (keys + value capacity + a per-entry overhead
  // estimate): each partition writes its state to a sorted scratch file (a
  // "run", in PATH/wayback-staging/) when it exceeds its share,
  // stage_memory_limit / partitions; the runs are merged when the SST files
  // are written. A state larger than memory therefore still restores, more
  // slowly. Default: 1 GiB.
  uint64_t stage_memory_limit = uint64_t{1} << 30;
  // Partitions for key-partitioned parallel apply (stage_in_memory only;
  // ignored otherwise). Default: 1.
  int partitions = 1;
  // Target size of each SST file written by LoadSnapshot() and by staged
  // writes. Default: 256 MiB.
  uint64_t sst_file_size = uint64_t{256} << 20;
  // Cores used to write SST files (staged state at Finish(), snapshot
  // loads). The key space is cut into 4 ranges per write thread, each
  // written by its own thread (at most 64), so that a thread blocked on a
  // direct write leaves its core to another. 0: the hardware's thread count.
  int write_threads = 0;
  // Write the SST files (staged state, snapshot loads) with O_DIRECT, going
  // on buffered where the file system refuses it (tmpfs). Direct writes
  // spare the kernel's copy into the page cache (~15 % of a staged restore's
  // CPU) but block the writing thread until the device has the data, so
  // they pay only where the disk takes large direct writes fast. They were
  // the default on a 2-vCPU VM where `dd oflag=direct` ran at 1.1-1.9 GB/s,
  // for the copy they spare. On one where it ran at ~0.45 GB/s, buffered
  // writes restored 7.4 M mutations (3.2 GB of SST files) in 19-21 s instead
  // of 33-34 s and loaded a 486 k-pair snapshot in 0.47-0.52 s instead of
  // 0.92-1.16 s. Buffered is RocksDB's own default; the data is synced before
  // ingestion either way. `wayback bench replay --direct-writes` against the
  // default measures this machine. Spilled runs (stage_memory_limit) use
  // O_DIRECT regardless. Default: false.
  bool direct_writes = false;
};
// A RocksDB database at `path`. The application's pairs live in the default
// column family and nothing else; the restore marker lives in the column
// family "wayback". Replay writes with the WAL disabled and ends with a flush
// and sync.
absl::StatusOr<std::unique_ptr<StateTarget>> OpenRocksDBTarget(
    std::string_view path, const RocksDBTargetOptions& options = {});

// A stage_memory_limit sized to this machine: a quarter of the memory the
// process may use (the lowest memory limit of its cgroup and their parents,
// v2 `memory.max` or v1 `memory.limit_in_bytes`, when lower than the
// physical memory; else the physical memory), at least 256 MiB. `wayback
// restore` uses it unless --stage-memory is given; on a 24 GiB machine it is 6
// GiB, enough to stage about 8 M live keys of ~700 bytes without spilling. The
// rest of a restore (sort keys, SST buffers, decompression) needs roughly
// another 60 bytes per live key.
uint64_t AutoStageMemoryLimit();

// Calls the application's function for every transaction. Keeps no state of
// its own: Digest(), ForEach() and Get() return kUnimplemented, IsEmpty()
// returns true, LoadSnapshot() calls `on_snapshot_pair` per pair (or fails
// with kUnimplemented if it is null).
std::unique_ptr<StateTarget> NewCallbackTarget(
    std::function<absl::Status(const LogRecord&)> on_transaction,
    std::function<absl::Status(std::string_view key, std::string_view value)>
        on_snapshot_pair = nullptr);

}  // namespace wayback

#endif  // WAYBACK_STATE_TARGET_H_
