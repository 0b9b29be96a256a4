// Copyright 2026 The Wayback Authors.
//
// The fork-join the RocksDB target's writers use: one thread per task, so
// that a task blocked on a write leaves its core to another.

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_PARALLEL_FOR_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_PARALLEL_FOR_H_

#include <cstddef>
#include <functional>

#include "absl/status/status.h"

namespace wayback::rocksdb_internal {

// Runs fn(0), ..., fn(n - 1), each on its own thread (on the caller's when
// n is 1), waits for all, and returns the first error by index.
absl::Status ParallelFor(size_t n,
                         const std::function<absl::Status(size_t)>& fn);

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_PARALLEL_FOR_H_
