// Copyright 2026 The Wayback Authors.
//
// Helpers shared by the recovery layer's catalog, planner, replayer and
// verifier. Not part of the public API.

#ifndef WAYBACK_SRC_RECOVERY_INTERNAL_H_
#define WAYBACK_SRC_RECOVERY_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "src/log/block.h"
#include "src/util/compression.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/storage.h"

namespace wayback::recovery_internal {

// A maximal stretch of log with no hole: segments[first_segment ..
// last_segment] of one timeline (indexes into Catalog::segments()), holding
// every record first_lsn..last_lsn. Empty live segments are skipped.
struct LogRun {
  TimelineId timeline = kFirstTimeline;
  Lsn first_lsn = kNoLsn;
  Lsn last_lsn = kNoLsn;
  CommitTime first_commit_time = 0;
  CommitTime last_commit_time = 0;
  size_t first_segment = 0;
  size_t last_segment = 0;
};

// Splits sorted, non-overlapping segments into runs.
std::vector<LogRun> ComputeRuns(const std::vector<SegmentInfo>& segments);

// Reads one block (header + payload) described by `block` from `object`
// (named `name` for messages), checks that its header agrees with the index,
// verifies its CRC, decompresses and decodes it into *out. `scratch` holds the
// stored bytes and must outlive *out (uncompressed blocks view it).
absl::Status ReadBlock(const ReadableObject& object, std::string_view name,
                       const BlockInfo& block, ZstdDecompressor* decompressor,
                       std::string* scratch, log_format::DecodedBlock* out);

// Checks a block header read from storage against the index entry that led
// to it. kDataLoss naming the object, offset and LSN on any difference.
absl::Status CheckHeaderMatchesIndex(std::string_view name,
                                     const BlockInfo& block,
                                     const log_format::BlockHeader& header);

// A plan that loads `from` and replays the log up to `stop` (>= from.lsn),
// for restore tests (PlanRecovery would pick the newest snapshot instead).
// kFailedPrecondition if the log from `from` to `stop` is not complete.
absl::StatusOr<RecoveryPlan> PlanReplayBetween(const Catalog& catalog,
                                               const SnapshotInfo& from,
                                               Lsn stop);

// "lsn 0 (empty state) .. lsn 812 (2026-11-25T10:42:00.000001234Z)".
std::string FormatWindow(const RecoverableWindow& w);
// Every window of `timeline`, "; "-separated, or "none".
std::string FormatWindows(const std::vector<RecoverableWindow>& windows,
                          TimelineId timeline);

}  // namespace wayback::recovery_internal

#endif  // WAYBACK_SRC_RECOVERY_INTERNAL_H_
