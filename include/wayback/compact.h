// Copyright 2026 The Wayback Authors.
//
// Compaction: merges runs of small sealed segments into larger replacement
// segments, so that a log written with a short segment roll (a small RPO
// for the archived copy) does not leave thousands of tiny objects for every
// restore to open.
//
//   auto repo = Repository::Open("s3://bucket/app?region=eu-west-1");
//   CompactOptions options;             // 64 MiB targets, one hour of grace
//   auto result = CompactRepository(**repo, options);
//
// How (segment_format.md, V2.11; docs/compact.md):
//  1. Each run of consecutive small sealed segments of one timeline (no
//     hole; never the live segment, nor the newest sealed one: a writer
//     reopening the log continues after it as it was written) becomes one
//     segment of generation G (log/T-F-GGGGGGGG.seg, G = 1 + the highest
//     generation of any segment of the timeline intersecting the run), written
//     create-only from the originals' records through the log writer's block
//     encoder, then read back and compared record by record with the originals.
//     A replacement that does not match is deleted and the run fails with
//     kDataLoss.
//  2. From the moment it is published, every reader (Catalog, LogReader,
//     LogWriter::Open, mirrors) uses the replacement and ignores what it
//     supersedes: no reader sees both or neither.
//  3. The superseded originals are deleted, one by one, only once the
//     replacement is older than `grace` (its modification time in the
//     storage): object stores have no locks, so a restore or mirror pass
//     that listed the originals before the replacement appeared must be
//     able to finish reading them. Before the first of them is deleted the
//     replacement is verified against them once more (a crash may have come
//     between publishing and verifying).
//  4. Every step is idempotent and a crash at any instant leaves a
//     repository that restores the same: the originals alone, or the
//     replacement with all, some or none of them. Running CompactRepository
//     again finishes the job: it deletes superseded originals whose
//     replacement is past grace, rewrites nothing already replaced, and
//     removes the temporaries of a replacement whose write was cut short.
//
// Thread-safety: may run while a LogWriter appends to the same repository
// (the live segment is never touched) and while restores and mirror passes
// read it. Two compactions of one repository at once are safe (create-only
// names: the second writer of a replacement gets kAlreadyExists and skips
// the run) but wasteful.

#ifndef WAYBACK_COMPACT_H_
#define WAYBACK_COMPACT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wayback/clock.h"
#include "wayback/repository.h"
#include "wayback/types.h"

namespace wayback {

struct CompactOptions {
  // A run is merged while the sum of its segments' sizes stays within this;
  // a segment of this size or more is left alone. Default: 64 MiB.
  uint64_t target_size = 64ull << 20;
  // Superseded segments are deleted only once their replacement's
  // modification time is at least this far in the past. Must exceed the
  // longest restore or mirror pass that may read the repository. Zero
  // deletes them as soon as the replacement is verified. Default: 1 hour.
  absl::Duration grace = absl::Hours(1);
  // Report what would be merged and deleted; write and delete nothing.
  // Default: false.
  bool dry_run = false;
  // As LogWriterOptions, for the replacement's blocks. Defaults: 3, 64 KiB.
  int compression_level = 3;
  size_t block_size = 64 * 1024;
  // "Now", for the grace period and the replacement's header. Default
  // (null): Clock::Real(). The storage's modification times are wall-clock
  // times, so a test clock must be one too.
  Clock* clock = nullptr;
};

// One run merged into a replacement segment.
struct CompactedRun {
  std::string replacement;            // The replacement's object name.
  std::vector<std::string> replaced;  // Its originals, in LSN order.
  TimelineId timeline = kFirstTimeline;
  Lsn first_lsn = kNoLsn;
  Lsn last_lsn = kNoLsn;
  uint64_t bytes_before = 0;  // Sum of the originals' sizes.
  uint64_t bytes_after = 0;   // The replacement's size (0 in a dry run).
};

struct CompactResult {
  // Runs merged, written and verified by this call (dry run: that would
  // be), in (timeline, LSN) order.
  std::vector<CompactedRun> merged;
  // Superseded segments deleted by this call (dry run: that would be
  // deleted now), sorted.
  std::vector<std::string> deleted;
  // Superseded segments kept because their replacement is younger than the
  // grace period, sorted. A later call deletes them.
  std::vector<std::string> waiting;
  // Temporaries under log/ left by an interrupted write and removed.
  std::vector<std::string> removed_temporaries;
};

// Compacts `repository` (see the top of this file). The repository needs an
// identity (replacements are segment format version 2, which records the
// repository's id): kFailedPrecondition otherwise. kInvalidArgument for a
// zero target_size or a negative grace. kDataLoss naming the replacement,
// the original and the LSN when a replacement does not hold exactly its
// originals' records (the replacement, if this call wrote it, is deleted),
// or when an original is damaged (nothing is merged across it). I/O errors
// as the storage gave them, naming the object. On an error, what was done
// before it stays done and is consistent; a rerun continues.
absl::StatusOr<CompactResult> CompactRepository(
    const Repository& repository, const CompactOptions& options = {});

}  // namespace wayback

#endif  // WAYBACK_COMPACT_H_
