// Copyright 2026 The Wayback Authors.
//
// What the bulk loaders need from a chain reader (OpenSnapshotChain) beyond
// the public interface: where to split its key space so that several
// threads can each merge and load one key range.

#ifndef WAYBACK_SRC_SNAPSHOT_SNAPSHOT_CHAIN_H_
#define WAYBACK_SRC_SNAPSHOT_SNAPSHOT_CHAIN_H_

#include <cstddef>
#include <string>
#include <vector>

#include "wayback/snapshot.h"

namespace wayback {

// For a reader OpenSnapshotChain() returned: up to `ranges` - 1 increasing
// keys that cut its key space into ranges of about equal work, taken from
// the block indexes of all its members (each block weighed by its raw size
// at its first key). Empty for any other reader, or when one range is all
// there is.
std::vector<std::string> ChainSplitKeys(SnapshotReader* reader, size_t ranges);

}  // namespace wayback

#endif  // WAYBACK_SRC_SNAPSHOT_SNAPSHOT_CHAIN_H_
