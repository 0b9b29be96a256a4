// Copyright 2026 The Wayback Authors.
//
// Snapshots: the full state as of one LSN, sorted by key, in checksummed
// zstd-compressed blocks with an index by first key and a footer carrying the
// LSN, its commit time, the timeline, the pair count and the state digest.
// The byte format is specified in src/snapshot/snapshot_format.md.
//
// Objects: snap/TTTTTTTT-LLLLLLLLLLLLLLLL.snap (timeline and LSN, hex), so
// names sort by timeline, then LSN. A snapshot at LSN 0 is the state before
// any record (only useful for tests; the empty state is implicit).

#ifndef WAYBACK_SNAPSHOT_H_
#define WAYBACK_SNAPSHOT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback {

// What a snapshot's footer says of it.
struct SnapshotInfo {
  std::string name;
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;            // The state includes every record <= lsn.
  CommitTime commit_time = 0;  // Commit time of the record at lsn.
  uint64_t pair_count = 0;
  StateDigest digest;
  uint64_t raw_bytes = 0;  // Sum of the blocks' raw sizes.
  uint64_t size = 0;       // Bytes of the object.
  uint32_t block_count = 0;
};

std::string SnapshotObjectName(TimelineId timeline, Lsn lsn);
bool ParseSnapshotObjectName(std::string_view name, TimelineId* timeline,
                             Lsn* lsn);

struct SnapshotWriterOptions {
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  // Default: 3.
  int compression_level = 3;
  // Raw bytes per block. Default: 256 KiB.
  size_t block_size = 256 * 1024;
};

// Streams sorted pairs into a new snapshot object, which appears whole on
// Finish(). Memory use is bounded by one block plus the index. Not
// thread-safe. Destroying an unfinished writer abandons the snapshot.
class SnapshotWriter {
 public:
  static absl::StatusOr<std::unique_ptr<SnapshotWriter>> Create(
      Storage* storage, const SnapshotWriterOptions& options);
  virtual ~SnapshotWriter() = default;
  // Adds a pair. Keys must be strictly increasing (bytewise):
  // kInvalidArgument otherwise.
  virtual absl::Status Add(std::string_view key, std::string_view value) = 0;
  // Writes the index and footer and publishes the object.
  virtual absl::StatusOr<SnapshotInfo> Finish() = 0;
};

// Iterates a snapshot's pairs in key order, verifying each block.
// Next() returns true with a pair (views valid until the next call), or false
// at the end or on an error; status() tells which.
class SnapshotIterator {
 public:
  virtual ~SnapshotIterator() = default;
  virtual bool Next(std::string_view* key, std::string_view* value) = 0;
  virtual absl::Status status() const = 0;
};

// Reads a snapshot. Thread-safe after Open(): iterators are independent.
class SnapshotReader {
 public:
  // Reads and checks the footer and the index. kDataLoss naming the object
  // and offset if they are damaged.
  static absl::StatusOr<std::unique_ptr<SnapshotReader>> Open(
      Storage* storage, std::string_view name);
  virtual ~SnapshotReader() = default;
  virtual const SnapshotInfo& info() const = 0;
  // All pairs in key order.
  virtual std::unique_ptr<SnapshotIterator> NewIterator() = 0;
  // Pairs with begin <= key < end (end empty: no upper bound).
  virtual std::unique_ptr<SnapshotIterator> NewRangeIterator(
      std::string_view begin, std::string_view end) = 0;
  // The value of `key`, or nullopt. Reads one block.
  virtual absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) = 0;
  // Reads every block, recomputes the digest and count, and compares them with
  // the footer: kDataLoss if they differ.
  virtual absl::Status Verify() = 0;
};

// Writes a snapshot from any source of sorted pairs: `next` stores the next
// pair and returns true, or returns false at the end.
absl::StatusOr<SnapshotInfo> WriteSnapshot(
    Storage* storage, const SnapshotWriterOptions& options,
    const std::function<bool(std::string_view* key, std::string_view* value)>&
        next);

}  // namespace wayback

#endif  // WAYBACK_SNAPSHOT_H_
