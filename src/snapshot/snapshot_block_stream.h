// Copyright 2026 The Wayback Authors.
//
// SnapshotBlockStream: the bulk-load path. Worker threads read, verify,
// decompress and hash the blocks of a snapshot ahead of the consumer, which
// receives whole blocks of sorted pairs in order. A loader turns each block
// into SST input (RocksDB) or reserves and fills a table (memory) while the
// next blocks are being decoded.
//
//   SnapshotBlockStream stream(file, {.threads = 2});
//   while (const SnapshotBlock* b = stream.Next()) {
//     auto it = b->pairs();
//     while (it.Next(&k, &v)) ...;          // views valid until Next()
//   }
//   if (!stream.status().ok()) ...;         // I/O error, damage, or a digest
//                                           // mismatch found at the end
//
// State machine: Next() returns blocks 0, 1, ..., block_count()-1 in order,
// then nullptr with status() OK if the digest of every pair equals the
// footer's. On the first failure (a block that cannot be read or is damaged,
// or the digest at the end), Next() returns nullptr and status() holds the
// error, with every block before the failing one already delivered; it then
// keeps returning nullptr. Errors of blocks read ahead but not yet reached are
// reported only when reached, so the consumer sees exactly the prefix of good
// blocks.
//
// Memory: `window` decoded blocks (raw and compressed). Not thread-safe: one
// consumer. Destroying the stream early stops the workers and waits for them.

#ifndef WAYBACK_SRC_SNAPSHOT_SNAPSHOT_BLOCK_STREAM_H_
#define WAYBACK_SRC_SNAPSHOT_SNAPSHOT_BLOCK_STREAM_H_

#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "src/snapshot/snapshot_file.h"
#include "wayback/types.h"

namespace wayback {

struct SnapshotBlockStreamOptions {
  // Worker threads reading and decoding blocks. Default: 2.
  int threads = 2;
  // Blocks decoded ahead of the consumer, at least 1. 0: 2 * threads.
  size_t window = 0;
  // Hash every pair and compare with the footer's digest at the end.
  // Default: true.
  bool verify_digest = true;
};

class SnapshotBlockStream {
 public:
  // `file` must outlive the stream.
  SnapshotBlockStream(const SnapshotFile* file,
                      const SnapshotBlockStreamOptions& options = {});
  ~SnapshotBlockStream();
  SnapshotBlockStream(const SnapshotBlockStream&) = delete;
  SnapshotBlockStream& operator=(const SnapshotBlockStream&) = delete;

  // The next block in order (valid until the next call), or nullptr at the
  // end or on an error.
  const SnapshotBlock* Next();
  absl::Status status() const { return status_; }

 private:
  struct Slot {
    SnapshotBlock block;
    StateDigest digest;  // Of this block's pairs.
    absl::Status status;
    bool ready = false;  // Guarded by mu_.
  };
  void Work();

  const SnapshotFile* const file_;
  const SnapshotBlockStreamOptions options_;
  const size_t window_;
  const size_t count_;
  std::vector<std::unique_ptr<Slot>> slots_;
  std::vector<std::thread> workers_;

  // std::mutex rather than absl::Mutex: the system Abseil is not built for
  // ThreadSanitizer, which then cannot see its synchronization.
  std::mutex mu_;
  std::condition_variable workers_cv_;   // next_claim_, consumed_, stop_.
  std::condition_variable consumer_cv_;  // A slot became ready.
  // Guarded by mu_ (and each Slot's `ready`):
  size_t next_claim_ = 0;  // Next block a worker takes.
  size_t consumed_ = 0;    // Blocks released by Next().
  bool stop_ = false;

  // Consumer side only.
  size_t next_ = 0;
  bool holding_ = false;  // Block next_-1 is out with the consumer.
  bool done_ = false;
  StateDigest digest_;
  absl::Status status_;
};

}  // namespace wayback

#endif  // WAYBACK_SRC_SNAPSHOT_SNAPSHOT_BLOCK_STREAM_H_
