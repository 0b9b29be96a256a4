// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/parallel_for.h"

#include <thread>
#include <vector>

#include "wayback/status.h"

namespace wayback::rocksdb_internal {

absl::Status ParallelFor(size_t n,
                         const std::function<absl::Status(size_t)>& fn) {
  if (n == 1) return fn(0);
  std::vector<absl::Status> results(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] { results[i] = fn(i); });
  }
  for (std::thread& t : threads) t.join();
  for (absl::Status& s : results) WAYBACK_RETURN_IF_ERROR(s);
  return absl::OkStatus();
}

}  // namespace wayback::rocksdb_internal
