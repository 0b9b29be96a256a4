// Copyright 2026 The Wayback Authors.
//
// Publishing a RocksDB target's staged state: the partitions' tables and
// runs become sorted SST files with disjoint key ranges, ingested at once.
//
// The key space is cut into ranges (from a sample of the keys); each
// partition's entries are loaded for the sort and grouped by range (one
// pass per partition, in parallel); then a pool of writer threads takes
// tasks in the order sort 0, sort 1, write 0, sort 2, write 1, ...: a sort
// sorts the range's group of every partition, a write merges those groups
// and the partitions' runs (newest wins; partitions hold disjoint keys) into
// a series of SST files. With more threads than cores, some sort while
// others wait for the device. The ranges are disjoint and increasing, so one
// ingestion places every file.
//
// The digest is folded from the merged streams as they are written: added
// pairs, minus the pairs they replace or delete (read from the database as
// it was before the ingestion, when it was not empty).

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_STAGED_WRITE_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_STAGED_WRITE_H_

#include <cstddef>
#include <deque>
#include <vector>

#include "absl/status/statusor.h"
#include "rocksdb/db.h"
#include "src/target/rocksdb/sst_series.h"
#include "src/target/rocksdb/staging.h"
#include "wayback/types.h"

namespace wayback::rocksdb_internal {

struct StagedWriteOptions {
  // Key ranges to cut the state into (fewer for a small state).
  size_t ranges = 1;
  // Threads that sort and write the ranges.
  size_t writers = 1;
  // Write tombstones: the database may hold older values of their keys.
  bool keep_tombstones = false;
  // Non-null: the database (column family `base_cf`) whose pairs the staged
  // ones replace; the returned digests then subtract each replaced or
  // deleted pair.
  rocksdb::DB* base = nullptr;
  rocksdb::ColumnFamilyHandle* base_cf = nullptr;
};

// Writes the staged state of `stage` through `sink` and ingests it. Returns
// each range's digest delta (their Merge() is the state's change). The
// partitions are left as they are (their runs, memory and tables): the
// caller releases them. On error nothing was ingested. Reads the partitions
// from several threads: no apply may run meanwhile.
absl::StatusOr<std::vector<StateDigest>> WriteStagedState(
    const std::deque<StagePartition>& stage, const StagedWriteOptions& options,
    SstSink* sink);

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_STAGED_WRITE_H_
