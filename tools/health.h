// Copyright 2026 The Wayback Authors.
//
// What `wayback check` alarms on and `wayback drill` judges the RPO by, from
// one reading of a repository (docs/check.md gives the definitions): how
// fresh its newest data is (commits and the live capture's heartbeat), its
// newest snapshot, the recoverable span on its newest timeline and the gaps
// in it, damaged objects, the last drill; and a mirror's lag.

#ifndef WAYBACK_TOOLS_HEALTH_H_
#define WAYBACK_TOOLS_HEALTH_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tools/common.h"

namespace wayback::cli {

// Commit time in which nothing can be restored: [from, to].
struct RestoreGap {
  CommitTime from = 0;  // The last restorable commit before it.
  CommitTime to = 0;    // The first restorable instant after it (a snapshot),
                        // or the newest commit if nothing after it is.
  Lsn first_missing = kNoLsn;
  Lsn last_missing = kNoLsn;  // kNoLsn: up to the end of the log.
  absl::Duration length() const { return absl::Nanoseconds(to - from); }
};

struct RepositoryHealth {
  CommitTime now = 0;
  TimelineId timeline = kFirstTimeline;  // The newest timeline.
  std::optional<CommitPoint> newest;     // The latest commit time.
  std::optional<CaptureHeartbeat> heartbeat;
  // max(newest commit time, heartbeat time): the data is known current as of
  // then. 0 when there is neither.
  CommitTime current_as_of = 0;
  // The newest snapshot of the timeline, and the instant its state is
  // current as of: its commit time, or current_as_of when nothing was
  // committed after it.
  std::optional<SnapshotInfo> snapshot;
  CommitTime snapshot_current_as_of = 0;
  // The recoverable span of the timeline: its earliest restorable instant
  // (a snapshot's commit time, or the first commit when the log starts at
  // LSN 1) and its newest restorable commit. Absent if nothing is
  // restorable.
  std::optional<CommitTime> window_start;
  std::optional<CommitTime> window_end;
  // The newest restorable commit, and the instant it is current as of (the
  // heartbeat counts only when it is also the newest commit).
  CommitTime restorable_current_as_of = 0;
  std::vector<RestoreGap> gaps;  // Oldest first.
  uint64_t holes = 0;            // Log holes on every timeline.
  // kDataLoss problems of the catalog, a damaged heartbeat or drill record.
  std::vector<CatalogProblem> damage;
  std::optional<DrillRecord> last_drill;
};

// Reads `repository` once (catalog, heartbeat, drill records) at `now`.
absl::StatusOr<RepositoryHealth> AssessRepository(const Repository& repository,
                                                  const Catalog& catalog,
                                                  CommitTime now);

// One mirror's lag at `now` (docs/ingest.md, "Mirror lag", with commit times
// for acknowledgement times): measured by a dry-run mirror pass, nothing
// written.
struct MirrorLagReading {
  std::string uri;
  absl::Status status;  // Why it could not be measured.
  std::optional<CommitPoint> restorable;
  absl::Duration lag;
};
MirrorLagReading ReadMirrorLag(const Repository& source, const std::string& uri,
                               CommitTime now);

// A Unix time in seconds, for metrics and JSON.
inline double UnixSeconds(CommitTime t) { return static_cast<double>(t) / 1e9; }

}  // namespace wayback::cli

#endif  // WAYBACK_TOOLS_HEALTH_H_
