// Copyright 2026 The Wayback Authors.
//
// State targets: where a restore puts the state it rebuilds. Built-in targets
// are memory, RocksDB (wayback/rocksdb.h) and a callback; applications may
// implement their own.
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
