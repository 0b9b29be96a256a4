// Copyright 2026 The Wayback Authors.
//
// Internal knobs of the memory target, for tests and benchmarks.

#ifndef WAYBACK_SRC_TARGET_MEMORY_TARGET_H_
#define WAYBACK_SRC_TARGET_MEMORY_TARGET_H_

#include <memory>

#include "wayback/state_target.h"

namespace wayback::internal {

// How the memory target knows its digest.
enum class DigestMode {
  // Digest() hashes every live pair when called (one pass over the whole
  // state, a cache miss per entry; apply pays nothing).
  kOnDemand,
  // Each entry keeps its pair's digest term, computed when the pair is
  // written; every mutation updates its partition's running digest (an
  // overwrite or delete subtracts the stored term: no rehash), so Digest()
  // is O(partitions). Apply pays one 128-bit hash of the new pair per put.
  // What NewMemoryTarget() uses.
  kIncremental,
};

std::unique_ptr<StateTarget> NewMemoryTargetWithDigestMode(int partitions,
                                                           DigestMode mode);

}  // namespace wayback::internal

#endif  // WAYBACK_SRC_TARGET_MEMORY_TARGET_H_
