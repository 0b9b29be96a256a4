// Copyright 2026 The Wayback Authors.

#include "tools/health.h"

#include <algorithm>

namespace wayback::cli {

absl::StatusOr<RepositoryHealth> AssessRepository(const Repository& repository,
                                                  const Catalog& catalog,
                                                  CommitTime now) {
  RepositoryHealth h;
  h.now = now;
  const RepositoryDescription d = DescribeCatalog(catalog);
  h.newest = d.latest_commit_time;
  if (d.newest_commit) h.timeline = d.newest_commit->timeline;
  h.holes = d.holes.size();
  for (const CatalogProblem& p : catalog.problems()) {
    if (p.code == absl::StatusCode::kDataLoss) h.damage.push_back(p);
  }
  // A damaged heartbeat or drill record is damage to report, not a reason
  // the check cannot run.
  auto damaged = [&h](const absl::Status& s, std::string_view object) {
    h.damage.push_back(CatalogProblem{std::string(object),
                                      std::string(s.message()), s.code()});
  };
  absl::StatusOr<std::optional<CaptureHeartbeat>> hb =
      ReadHeartbeat(repository);
  if (absl::IsDataLoss(hb.status())) {
    damaged(hb.status(), kHeartbeatObjectName);
  } else if (!hb.ok()) {
    return hb.status();
  } else {
    h.heartbeat = *hb;
  }
  if (h.newest) h.current_as_of = h.newest->commit_time;
  if (h.heartbeat) {
    h.current_as_of =
        std::max(h.current_as_of, absl::ToUnixNanos(h.heartbeat->time));
  }
  const Lsn newest_lsn =
      d.newest_commit && d.newest_commit->timeline == h.timeline
          ? d.newest_commit->lsn
          : kNoLsn;

  for (const SnapshotInfo& s : catalog.snapshots()) {
    if (s.timeline == h.timeline && (!h.snapshot || s.lsn >= h.snapshot->lsn)) {
      h.snapshot = s;
    }
  }
  if (h.snapshot) {
    h.snapshot_current_as_of =
        h.snapshot->lsn >= newest_lsn
            ? std::max(h.snapshot->commit_time, h.current_as_of)
            : h.snapshot->commit_time;
  }

  // The windows of the timeline, oldest first, and the gaps between them.
  std::vector<RecoverableWindow> windows;
  for (const RecoverableWindow& w : catalog.windows()) {
    if (w.timeline == h.timeline) windows.push_back(w);
  }
  std::sort(windows.begin(), windows.end(),
            [](const RecoverableWindow& a, const RecoverableWindow& b) {
              return a.earliest_lsn < b.earliest_lsn;
            });
  CommitTime first_commit = 0;
  for (const SegmentInfo& s : catalog.segments()) {
    if (s.timeline == h.timeline && s.first_lsn == 1) {
      first_commit = s.first_commit_time;
    }
  }
  for (size_t i = 0; i < windows.size(); ++i) {
    const RecoverableWindow& w = windows[i];
    if (i == 0) {
      h.window_start =
          w.earliest_lsn == kNoLsn ? first_commit : w.earliest_time;
    } else {
      const RecoverableWindow& prev = windows[i - 1];
      h.gaps.push_back(RestoreGap{prev.latest_time, w.earliest_time,
                                  prev.latest_lsn + 1, w.earliest_lsn});
    }
  }
  if (!windows.empty()) {
    const RecoverableWindow& last = windows.back();
    h.window_end = last.latest_time;
    h.restorable_current_as_of = last.latest_time;
    if (newest_lsn != kNoLsn && last.latest_lsn < newest_lsn) {
      // Archived but not restorable: a hole with no snapshot after it.
      const CommitTime newest_time =
          h.newest && h.newest->timeline == h.timeline ? h.newest->commit_time
                                                       : last.latest_time;
      h.gaps.push_back(RestoreGap{last.latest_time,
                                  std::max(newest_time, last.latest_time),
                                  last.latest_lsn + 1, kNoLsn});
    } else {
      h.restorable_current_as_of = std::max(last.latest_time, h.current_as_of);
    }
  }

  absl::StatusOr<std::vector<DrillRecord>> drills = ListDrills(repository);
  if (absl::IsDataLoss(drills.status())) {
    damaged(drills.status(), "drills/");
  } else if (!drills.ok()) {
    return drills.status();
  } else if (!drills->empty()) {
    h.last_drill = drills->back();
  }
  return h;
}

MirrorLagReading ReadMirrorLag(const Repository& source, const std::string& uri,
                               CommitTime now) {
  MirrorLagReading l{uri, absl::OkStatus(), std::nullopt, absl::ZeroDuration()};
  auto m = OpenRepository(uri);
  absl::StatusOr<RepositoryMirrorResult> r =
      m.ok() ? MirrorRepository(source, (*m)->storage(),
                                {.parallelism = 1, .dry_run = true})
             : absl::StatusOr<RepositoryMirrorResult>(m.status());
  if (!r.ok()) {
    l.status = r.status();
    return l;
  }
  l.restorable = r->mirror_restorable;
  if (r->first_missing_commit_time) {
    l.lag = std::max(absl::ZeroDuration(),
                     absl::Nanoseconds(now - *r->first_missing_commit_time));
  }
  return l;
}

}  // namespace wayback::cli
