// Copyright 2026 The Wayback Authors.
//
// Loading a snapshot into a RocksDB target: its pairs are sorted already, so
// they go straight into SST files, hashed as they are written, and the
// digest is checked against the snapshot's footer before anything is
// ingested (one ingestion for the whole snapshot).

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_SNAPSHOT_LOAD_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_SNAPSHOT_LOAD_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "src/snapshot/snapshot_file.h"
#include "src/target/rocksdb/sst_series.h"
#include "wayback/snapshot.h"

namespace wayback::rocksdb_internal {

// Wayback's own snapshot file, block by block: up to `ranges` threads each
// take a contiguous range of blocks (balanced by raw bytes), read, verify
// and decompress them and write their pairs into a series of `sink`.
// kDataLoss naming the snapshot if the digest differs from the footer's or
// keys are out of order (within a block or across ranges); nothing is
// ingested then.
absl::Status LoadSnapshotBlocks(SnapshotFile* file, size_t ranges,
                                SstSink* sink);

// Any other SnapshotReader: one pass of its iterator, one series. Same
// checks and errors.
absl::Status LoadSnapshotPairs(SnapshotReader* snapshot, SstSink* sink);
// The same on one thread per key range: [begin, splits[0]), [splits[0],
// splits[1]), ..., [splits.back(), end), each merged through the reader's
// range iterator into its own SST series; the ranges' digests must add up to
// the reader's. For delta chains, whose merge is the costly part.
absl::Status LoadSnapshotRanges(SnapshotReader* snapshot,
                                const std::vector<std::string>& splits,
                                SstSink* sink);

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_SNAPSHOT_LOAD_H_
