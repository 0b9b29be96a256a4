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
  // Digest() hashes every live pair when called (one pass; apply pays
  // nothing). What NewMemoryTarget() uses.
  kOnDemand,
  // Every mutation updates a running digest (Remove old pair, Add new), so
  // Digest() is O(partitions); apply pays two 128-bit hashes per overwrite.
  kIncremental,
};

std::unique_ptr<StateTarget> NewMemoryTargetWithDigestMode(int partitions,
                                                           DigestMode mode);

}  // namespace wayback::internal

#endif  // WAYBACK_SRC_TARGET_MEMORY_TARGET_H_
