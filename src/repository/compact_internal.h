// Copyright 2026 The Wayback Authors.
//
// The deletion half of compaction, shared with the mirror pass: superseded
// segments are removed the same way in a repository and in its mirror.

#ifndef WAYBACK_SRC_REPOSITORY_COMPACT_INTERNAL_H_
#define WAYBACK_SRC_REPOSITORY_COMPACT_INTERNAL_H_

#include <set>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "wayback/recovery.h"
#include "wayback/storage.h"

namespace wayback::compact_internal {

struct SupersededOutcome {
  std::vector<std::string> deleted;  // Sorted.
  std::vector<std::string> waiting;  // Sorted.
};

// Deletes, from `storage`, the segments `catalog` (of that storage) lists
// as superseded whose replacement is used and at least `grace` old at `now`
// (its Stat() modification time; a backend that gives none never reaches
// the grace unless it is zero). While the superseded segments still cover
// the replacement's whole range, the replacement is first compared record
// by record with them (unless its name is in `verified`): a mismatch is
// kDataLoss and nothing of it is deleted. With `dry_run`, reports what it
// would delete and deletes nothing. `repository_id` (16 bytes, or empty)
// as for reading segments.
absl::Status DeleteSuperseded(Storage* storage, const Catalog& catalog,
                              absl::Duration grace, absl::Time now,
                              bool dry_run, std::string_view repository_id,
                              const std::set<std::string>& verified,
                              SupersededOutcome* out);

}  // namespace wayback::compact_internal

#endif  // WAYBACK_SRC_REPOSITORY_COMPACT_INTERNAL_H_
