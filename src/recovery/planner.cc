// Copyright 2026 The Wayback Authors.
//
// PlanRecovery: resolves a target to the exact last LSN applied (the "stop"
// LSN), proves it reachable, and names the commits on either side.
//
// Semantics (PostgreSQL's recovery_target_*): a time target admits every
// record with commit_time <= T (inclusive) or < T (exclusive); since commit
// times never decrease along the log, the admitted records are a prefix and
// the stop LSN is the last admitted one. An LSN target stops at N (or N-1
// when exclusive), a txid or restore point at its record (before it when
// exclusive).
//
// What is read: time and LSN targets use the segment and block indexes the
// catalog already holds, then read the one block in which the boundary falls
// (and, to name the neighbouring commits, at most the blocks next to it when
// the boundary sits at a block edge or next to restore points). Txid and
// restore point targets are not indexed, so they scan the blocks of the log
// on the timeline until the record is found: the one case in which planning
// reads record data in bulk.
//
// Reachability: the stop LSN must lie in one recoverable window, and a time
// target must be decided by the log we have: records after a window's end
// have commit times >= its latest time, so T must not admit latest_time + 1
// (otherwise later commits, in a hole or not yet archived, could be
// admitted), and it must admit the commit at the window's starting snapshot.
//
// Damaged objects. The catalog drops a segment it cannot read (and records a
// problem), so the log it describes simply ends, or has a hole, where that
// segment was. A hole splits the windows and targets across it are refused;
// but a damaged *newest* segment leaves no hole, and "latest" would silently
// end before it. So the planner looks at the dropped segments itself: one
// holding LSNs that no readable segment covers, at or after the plan's first
// LSN, makes "latest" (and a time target ending at the window's last commit,
// which could admit more commits of the same instant) an error naming it.
// A target that stops before such a segment's LSNs does not need it and is
// planned as usual. Refusals name the damaged objects of the timeline.

#include <algorithm>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/log/block.h"
#include "src/recovery/internal.h"
#include "src/util/compression.h"
#include "src/util/errors.h"
#include "wayback/recovery.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using recovery_internal::FormatWindow;
using recovery_internal::FormatWindows;
using recovery_internal::LogRun;

// What the planner keeps of a record it read.
struct RecordSummary {
  Lsn lsn = kNoLsn;
  RecordType type = RecordType::kTransaction;
  CommitTime commit_time = 0;
  std::optional<uint64_t> txid;
  std::string restore_point;
};

// An object of the target's timeline that the catalog dropped (damaged or
// unreadable): a segment or a snapshot, placed by the LSN in its name.
struct DamagedObject {
  std::string name;
  Lsn lsn = kNoLsn;  // Segment: first LSN; snapshot: its LSN.
  bool segment = true;
  std::string problem;  // The catalog's message (object, offset, LSN).
};

class Planner {
 public:
  Planner(const Catalog& catalog, const RecoveryTarget& target)
      : catalog_(catalog),
        target_(target),
        runs_(recovery_internal::ComputeRuns(catalog.segments())) {
    for (const RecoverableWindow& w : catalog.windows()) {
      if (w.timeline == target.timeline) windows_.push_back(w);
    }
    FindDamaged();
  }

  absl::StatusOr<RecoveryPlan> Plan();
  absl::StatusOr<RecoveryPlan> PlanBetween(const SnapshotInfo& from, Lsn stop);

 private:
  bool Admits(CommitTime t) const {
    return target_.inclusive ? t <= target_.time : t < target_.time;
  }
  absl::Status Refuse(absl::StatusCode code, std::string_view why) const;
  void FindDamaged();
  // The first LSN of the damaged segment `d` that no readable segment holds,
  // or nullopt if readable segments hold all of it.
  std::optional<Lsn> FirstUncovered(const DamagedObject& d) const;
  // kDataLoss naming the object if `plan` needs a damaged object.
  absl::Status CheckDamaged(const RecoveryPlan& plan) const;
  // The window holding `stop`, or null.
  const RecoverableWindow* WindowOf(Lsn stop) const;
  // The run holding `lsn` on the target's timeline, or null.
  const LogRun* RunOf(Lsn lsn) const;
  // Stored bytes of the log blocks holding first..last (0 if first > last).
  uint64_t LogBytesBetween(Lsn first, Lsn last) const;
  // The segment and block of `run` holding `lsn`.
  bool Locate(const LogRun& run, Lsn lsn, size_t* seg, size_t* blk) const;
  absl::StatusOr<const std::vector<RecordSummary>*> Records(size_t seg,
                                                            size_t blk);
  absl::StatusOr<Lsn> ResolveTime(const RecoverableWindow& w);
  absl::StatusOr<std::optional<Lsn>> Search();
  absl::StatusOr<std::optional<CommitRef>> LastCommitAtOrBefore(Lsn lsn);
  absl::StatusOr<std::optional<CommitRef>> FirstCommitAfter(Lsn lsn);
  absl::Status Fill(Lsn stop, const RecoverableWindow& w,
                    std::optional<SnapshotInfo> forced_snapshot,
                    RecoveryPlan* plan);

  const Catalog& catalog_;
  const RecoveryTarget& target_;
  const std::vector<LogRun> runs_;
  std::vector<RecoverableWindow> windows_;
  std::vector<DamagedObject> damaged_;
  std::map<std::string, std::unique_ptr<ReadableObject>> objects_;
  std::map<std::pair<size_t, size_t>, std::vector<RecordSummary>> cache_;
  ZstdDecompressor decompressor_;
  std::string scratch_;
  log_format::DecodedBlock block_;
};

absl::Status Planner::Refuse(absl::StatusCode code,
                             std::string_view why) const {
  std::string reach;
  if (windows_.empty()) {
    reach = absl::StrCat("nothing is reachable on timeline ", target_.timeline);
  } else {
    const RecoverableWindow& first = windows_.front();
    const RecoverableWindow& last = windows_.back();
    reach = absl::StrCat(
        "earliest reachable: ",
        first.earliest_lsn == kNoLsn
            ? std::string("lsn 0, the empty state")
            : absl::StrCat("lsn ", first.earliest_lsn, " at ",
                           FormatCommitTime(first.earliest_time)),
        "; latest reachable: lsn ", last.latest_lsn, " at ",
        last.latest_lsn == kNoLsn ? std::string("(empty)")
                                  : FormatCommitTime(last.latest_time),
        "; windows: ", FormatWindows(windows_, target_.timeline));
  }
  if (!damaged_.empty()) {
    absl::StrAppend(&reach, "; damaged or unreadable, not used: ");
    for (size_t i = 0; i < damaged_.size(); ++i) {
      if (i == 3) {
        absl::StrAppend(&reach, "; and ", damaged_.size() - 3, " more");
        break;
      }
      absl::StrAppend(&reach, i == 0 ? "" : "; ", damaged_[i].problem);
    }
  }
  return absl::Status(
      code, absl::StrCat("recovery target ", target_.ToString(),
                         " is unreachable: ", AV(why), " (", reach, ")"));
}

void Planner::FindDamaged() {
  std::set<std::string_view> used;
  for (const SegmentInfo& s : catalog_.segments()) used.insert(s.name);
  for (const SnapshotInfo& s : catalog_.snapshots()) used.insert(s.name);
  std::set<std::string_view> seen;
  for (const CatalogProblem& p : catalog_.problems()) {
    // A live segment left beside its sealed copy holds nothing more.
    if (p.code == absl::StatusCode::kAlreadyExists) continue;
    if (used.count(p.object) || !seen.insert(p.object).second) continue;
    DamagedObject d;
    TimelineId timeline;
    bool sealed;
    if (ParseSegmentObjectName(p.object, &timeline, &d.lsn, &sealed)) {
      d.segment = true;
      // A damaged live copy beside its sealed one (an interrupted seal)
      // holds nothing the sealed one does not.
      const bool superseded =
          !sealed &&
          std::any_of(catalog_.segments().begin(), catalog_.segments().end(),
                      [&](const SegmentInfo& s) {
                        return s.sealed && s.timeline == timeline &&
                               s.first_lsn == d.lsn;
                      });
      if (superseded) continue;
    } else if (ParseSnapshotObjectName(p.object, &timeline, &d.lsn)) {
      d.segment = false;
    } else {
      continue;  // Temporaries, malformed names: not part of any history.
    }
    if (timeline != target_.timeline) continue;
    d.name = p.object;
    // The catalog's messages come from the readers and usually start with
    // the object's name already.
    d.problem = absl::StartsWith(AV(p.message), AV(p.object))
                    ? p.message
                    : absl::StrCat(AV(p.object), ": ", AV(p.message));
    damaged_.push_back(std::move(d));
  }
}

std::optional<Lsn> Planner::FirstUncovered(const DamagedObject& d) const {
  // How far the damaged segment reaches: read again if it can be (a segment
  // dropped for overlapping another is readable), else up to the next
  // readable segment (segments of one timeline never overlap), else without
  // bound.
  Lsn last = std::numeric_limits<Lsn>::max();
  absl::StatusOr<SegmentInfo> info =
      ReadSegmentInfo(catalog_.storage(), d.name);
  if (info.ok()) {
    last = info->last_lsn;
  } else {
    for (const SegmentInfo& s : catalog_.segments()) {
      if (s.timeline == target_.timeline && s.first_lsn > d.lsn) {
        last = std::min(last, s.first_lsn - 1);
      }
    }
  }
  Lsn lsn = d.lsn;
  while (lsn <= last) {
    const LogRun* run = RunOf(lsn);
    if (run == nullptr) return lsn;
    if (run->last_lsn == std::numeric_limits<Lsn>::max()) break;
    lsn = run->last_lsn + 1;
  }
  return std::nullopt;
}

absl::Status Planner::CheckDamaged(const RecoveryPlan& plan) const {
  using Kind = RecoveryTarget::Kind;
  for (const DamagedObject& d : damaged_) {
    if (!d.segment) {
      // Only "the newest snapshot" depends on which snapshots exist; other
      // targets are exact from any snapshot the log connects.
      if (target_.kind == Kind::kSnapshotOnly && plan.snapshot &&
          d.lsn > plan.snapshot->lsn) {
        return absl::DataLossError(absl::StrCat(
            "recovery target ", target_.ToString(),
            " cannot be restored exactly: the newest snapshot is damaged or "
            "unreadable (",
            d.problem, "); the newest readable one is ", plan.snapshot->name,
            " at lsn ", plan.snapshot->lsn));
      }
      continue;
    }
    if (target_.kind == Kind::kSnapshotOnly) continue;
    std::optional<Lsn> lost = FirstUncovered(d);
    if (!lost || *lost < plan.first_lsn) continue;
    bool needed = *lost <= plan.last_lsn;
    if (target_.kind == Kind::kLatest) needed = true;
    if (target_.kind == Kind::kTime && *lost == plan.last_lsn + 1 &&
        plan.last_lsn == plan.window.latest_lsn) {
      needed = true;  // Its first commits may share the target's instant.
    }
    if (!needed) continue;
    return absl::DataLossError(absl::StrCat(
        "recovery target ", target_.ToString(),
        " cannot be restored exactly: lsn ", *lost, " onwards should be in ",
        d.name, ", which is damaged or unreadable (", d.problem,
        "); the readable log ends at lsn ", std::min(*lost - 1, plan.last_lsn),
        " (restore to that lsn explicitly to accept the loss)"));
  }
  return absl::OkStatus();
}

const RecoverableWindow* Planner::WindowOf(Lsn stop) const {
  for (const RecoverableWindow& w : windows_) {
    if (w.earliest_lsn <= stop && stop <= w.latest_lsn) return &w;
  }
  return nullptr;
}

const LogRun* Planner::RunOf(Lsn lsn) const {
  for (const LogRun& r : runs_) {
    if (r.timeline == target_.timeline && r.first_lsn <= lsn &&
        lsn <= r.last_lsn) {
      return &r;
    }
  }
  return nullptr;
}

uint64_t Planner::LogBytesBetween(Lsn first, Lsn last) const {
  if (first > last) return 0;
  const LogRun* run = RunOf(last);
  if (run == nullptr) return 0;
  uint64_t bytes = 0;
  for (size_t i = run->first_segment; i <= run->last_segment; ++i) {
    const SegmentInfo& s = catalog_.segments()[i];
    if (s.last_lsn < first || s.first_lsn > last) continue;
    for (const BlockInfo& b : s.blocks) {
      if (b.last_lsn >= first && b.first_lsn <= last) bytes += b.stored_size;
    }
  }
  return bytes;
}

bool Planner::Locate(const LogRun& run, Lsn lsn, size_t* seg,
                     size_t* blk) const {
  const auto& segs = catalog_.segments();
  for (size_t i = run.first_segment; i <= run.last_segment; ++i) {
    const SegmentInfo& s = segs[i];
    if (s.last_lsn < lsn || s.first_lsn > lsn) continue;
    auto it = std::partition_point(
        s.blocks.begin(), s.blocks.end(),
        [lsn](const BlockInfo& b) { return b.last_lsn < lsn; });
    if (it == s.blocks.end() || it->first_lsn > lsn) return false;
    *seg = i;
    *blk = static_cast<size_t>(it - s.blocks.begin());
    return true;
  }
  return false;
}

absl::StatusOr<const std::vector<RecordSummary>*> Planner::Records(size_t seg,
                                                                   size_t blk) {
  auto key = std::make_pair(seg, blk);
  auto it = cache_.find(key);
  if (it != cache_.end()) return &it->second;
  const SegmentInfo& s = catalog_.segments()[seg];
  auto& object = objects_[s.name];
  if (object == nullptr) {
    WAYBACK_ASSIGN_OR_RETURN(object, catalog_.storage()->OpenForRead(s.name));
  }
  WAYBACK_RETURN_IF_ERROR(recovery_internal::ReadBlock(
      *object, s.name, s.blocks[blk], &decompressor_, &scratch_, &block_));
  std::vector<RecordSummary> out;
  out.reserve(block_.records.size());
  for (const LogRecord& r : block_.records) {
    RecordSummary rs;
    rs.lsn = r.lsn;
    rs.type = r.type;
    rs.commit_time = r.commit_time;
    rs.txid = r.txid;
    rs.restore_point = std::string(r.restore_point_name);
    out.push_back(std::move(rs));
  }
  return &cache_.emplace(key, std::move(out)).first->second;
}

absl::StatusOr<std::optional<CommitRef>> Planner::LastCommitAtOrBefore(
    Lsn lsn) {
  while (lsn >= 1) {
    const LogRun* run = RunOf(lsn);
    size_t seg, blk;
    if (run == nullptr || !Locate(*run, lsn, &seg, &blk)) break;
    WAYBACK_ASSIGN_OR_RETURN(const auto* records, Records(seg, blk));
    for (auto it = records->rbegin(); it != records->rend(); ++it) {
      if (it->lsn <= lsn && it->type == RecordType::kTransaction) {
        return CommitRef{it->lsn, it->commit_time, it->txid};
      }
    }
    lsn = records->front().lsn - 1;
  }
  // The log does not reach back to it: the snapshot at `lsn`, if any, still
  // names the record's LSN and time (its txid is not recorded).
  for (const SnapshotInfo& s : catalog_.snapshots()) {
    if (s.timeline == target_.timeline && s.lsn == lsn && lsn != kNoLsn) {
      return CommitRef{s.lsn, s.commit_time, std::nullopt};
    }
  }
  return std::optional<CommitRef>();
}

absl::StatusOr<std::optional<CommitRef>> Planner::FirstCommitAfter(Lsn lsn) {
  Lsn next = lsn + 1;
  for (;;) {
    const LogRun* run = RunOf(next);
    size_t seg, blk;
    if (run == nullptr || !Locate(*run, next, &seg, &blk)) break;
    WAYBACK_ASSIGN_OR_RETURN(const auto* records, Records(seg, blk));
    for (const RecordSummary& r : *records) {
      if (r.lsn >= next && r.type == RecordType::kTransaction) {
        return CommitRef{r.lsn, r.commit_time, r.txid};
      }
    }
    next = records->back().lsn + 1;
  }
  return std::optional<CommitRef>();
}

absl::StatusOr<Lsn> Planner::ResolveTime(const RecoverableWindow& w) {
  const LogRun* run = RunOf(w.latest_lsn);
  if (run == nullptr || w.latest_lsn == w.earliest_lsn) {
    return w.earliest_lsn;  // A snapshot alone.
  }
  // Commit times never decrease, so the records not admitted are a suffix:
  // find the first block (after the window's start) holding one.
  const auto& segs = catalog_.segments();
  for (size_t i = run->first_segment; i <= run->last_segment; ++i) {
    const SegmentInfo& s = segs[i];
    if (s.last_lsn <= w.earliest_lsn || Admits(s.last_commit_time)) continue;
    auto it = std::partition_point(
        s.blocks.begin(), s.blocks.end(), [&](const BlockInfo& b) {
          return b.last_lsn <= w.earliest_lsn || Admits(b.last_commit_time);
        });
    if (it == s.blocks.end()) {
      return CorruptionAt(s.name, s.size, s.last_lsn,
                          "segment index disagrees with its block index "
                          "about the last commit time");
    }
    if (!Admits(it->first_commit_time)) {
      return std::max(w.earliest_lsn, it->first_lsn - 1);
    }
    WAYBACK_ASSIGN_OR_RETURN(
        const auto* records,
        Records(i, static_cast<size_t>(it - s.blocks.begin())));
    Lsn stop = std::max(w.earliest_lsn, it->first_lsn - 1);
    for (const RecordSummary& r : *records) {
      if (!Admits(r.commit_time)) break;
      stop = std::max(stop, r.lsn);
    }
    return stop;
  }
  return w.latest_lsn;
}

// Finds the txid or restore point record: the first one in LSN order.
absl::StatusOr<std::optional<Lsn>> Planner::Search() {
  const auto& segs = catalog_.segments();
  for (const LogRun& run : runs_) {
    if (run.timeline != target_.timeline) continue;
    for (size_t i = run.first_segment; i <= run.last_segment; ++i) {
      for (size_t b = 0; b < segs[i].blocks.size(); ++b) {
        WAYBACK_ASSIGN_OR_RETURN(const auto* records, Records(i, b));
        for (const RecordSummary& r : *records) {
          if (target_.kind == RecoveryTarget::Kind::kTxid
                  ? (r.type == RecordType::kTransaction &&
                     r.txid == target_.txid)
                  : (r.type == RecordType::kRestorePoint &&
                     r.restore_point == target_.restore_point)) {
            return std::optional<Lsn>(r.lsn);
          }
        }
        // Searched blocks are not needed again (except around the stop,
        // which is read again if needed): keep memory flat.
        cache_.clear();
      }
    }
  }
  return std::optional<Lsn>();
}

absl::Status Planner::Fill(Lsn stop, const RecoverableWindow& w,
                           std::optional<SnapshotInfo> forced_snapshot,
                           RecoveryPlan* plan) {
  plan->target = target_;
  plan->repository = catalog_.storage()->uri();
  plan->window = w;
  if (forced_snapshot) {
    plan->snapshot = std::move(forced_snapshot);
    plan->snapshot_chain = catalog_.SnapshotChain(*plan->snapshot);
  } else {
    // The cheapest start by bytes read: a snapshot's chain plus the log
    // blocks from it to the stop. Ties go to the later snapshot (less to
    // apply), then to a full one (fewer objects).
    uint64_t best = 0;
    for (const SnapshotInfo& s : catalog_.snapshots()) {
      if (s.timeline != target_.timeline || s.lsn < w.earliest_lsn ||
          s.lsn > stop) {
        continue;
      }
      std::vector<SnapshotInfo> chain = catalog_.SnapshotChain(s);
      if (chain.empty()) continue;
      uint64_t cost = LogBytesBetween(s.lsn + 1, stop);
      for (const SnapshotInfo& m : chain) cost += m.size;
      if (!plan->snapshot || cost < best ||
          (cost == best &&
           (s.lsn > plan->snapshot->lsn ||
            (s.lsn == plan->snapshot->lsn && s.kind == SnapshotKind::kFull)))) {
        best = cost;
        plan->snapshot = s;
        plan->snapshot_chain = std::move(chain);
      }
    }
  }
  const Lsn start = plan->snapshot ? plan->snapshot->lsn : kNoLsn;
  if (!plan->snapshot && w.earliest_lsn != kNoLsn) {
    return absl::InternalError("planner: window without a starting state");
  }
  plan->first_lsn = start + 1;
  plan->last_lsn = stop;
  plan->bytes_to_read = 0;
  for (const SnapshotInfo& m : plan->snapshot_chain) {
    plan->bytes_to_read += m.size;
  }
  if (stop > start) {
    const LogRun* run = RunOf(stop);
    if (run == nullptr || run->first_lsn > start + 1) {
      return absl::InternalError("planner: stop outside the window's log");
    }
    for (size_t i = run->first_segment; i <= run->last_segment; ++i) {
      const SegmentInfo& s = catalog_.segments()[i];
      if (s.last_lsn < plan->first_lsn || s.first_lsn > stop) continue;
      plan->segments.push_back(s);
      for (const BlockInfo& b : s.blocks) {
        if (b.last_lsn >= plan->first_lsn && b.first_lsn <= stop) {
          plan->bytes_to_read += b.stored_size;
        }
      }
    }
  }
  WAYBACK_ASSIGN_OR_RETURN(plan->last_included, LastCommitAtOrBefore(stop));
  WAYBACK_ASSIGN_OR_RETURN(plan->first_excluded, FirstCommitAfter(stop));
  return CheckDamaged(*plan);
}

absl::StatusOr<RecoveryPlan> Planner::Plan() {
  using Kind = RecoveryTarget::Kind;
  RecoveryPlan plan;
  if (target_.timeline == 0) {
    return absl::InvalidArgumentError("timeline 0 is not a valid timeline");
  }
  Lsn max_lsn = kNoLsn;  // The end of everything known on the timeline.
  bool any = false;
  for (const LogRun& r : runs_) {
    if (r.timeline == target_.timeline) {
      max_lsn = std::max(max_lsn, r.last_lsn);
      any = true;
    }
  }
  for (const SnapshotInfo& s : catalog_.snapshots()) {
    if (s.timeline == target_.timeline) {
      max_lsn = std::max(max_lsn, s.lsn);
      any = true;
    }
  }

  Lsn stop = kNoLsn;
  switch (target_.kind) {
    case Kind::kSnapshotOnly: {
      std::optional<SnapshotInfo> newest;
      for (const SnapshotInfo& s : catalog_.snapshots()) {
        if (s.timeline == target_.timeline) newest = s;
      }
      if (!newest) {
        return Refuse(
            absl::StatusCode::kNotFound,
            absl::StrCat("no snapshot on timeline ", target_.timeline));
      }
      const RecoverableWindow* w = WindowOf(newest->lsn);
      if (w == nullptr) return absl::InternalError("snapshot outside windows");
      WAYBACK_RETURN_IF_ERROR(Fill(newest->lsn, *w, newest, &plan));
      return plan;
    }
    case Kind::kLatest:
      if (!any) {
        return Refuse(absl::StatusCode::kFailedPrecondition,
                      "the repository holds no log and no snapshot");
      }
      stop = max_lsn;
      if (WindowOf(stop) == nullptr) {
        return Refuse(absl::StatusCode::kFailedPrecondition,
                      absl::StrCat("the end of the log (lsn ", stop,
                                   ") cannot be reached from any snapshot "
                                   "(a hole lies before it)"));
      }
      break;
    case Kind::kLsn:
      if (!target_.inclusive && target_.lsn == kNoLsn) {
        return absl::InvalidArgumentError(
            "lsn 0 exclusive: there is no state before the empty state");
      }
      stop = target_.inclusive ? target_.lsn : target_.lsn - 1;
      break;
    case Kind::kTxid:
    case Kind::kRestorePoint: {
      if (target_.kind == Kind::kRestorePoint && !target_.inclusive) {
        return absl::InvalidArgumentError(
            "a restore point target is always inclusive");
      }
      WAYBACK_ASSIGN_OR_RETURN(std::optional<Lsn> found, Search());
      if (!found) {
        return Refuse(
            absl::StatusCode::kNotFound,
            absl::StrCat(target_.kind == Kind::kTxid ? "no transaction has "
                                                       "this txid"
                                                     : "no restore point has "
                                                       "this name",
                         " in the readable log of timeline ", target_.timeline,
                         runs_.size() > 1 ? " (holes in the log were not "
                                            "searched)"
                                          : ""));
      }
      stop = (target_.kind == Kind::kTxid && !target_.inclusive) ? *found - 1
                                                                 : *found;
      break;
    }
    case Kind::kTime: {
      // The last window whose start the target admits.
      const RecoverableWindow* w = nullptr;
      for (const RecoverableWindow& cand : windows_) {
        if (cand.earliest_lsn == kNoLsn || Admits(cand.earliest_time)) {
          w = &cand;
        }
      }
      if (w == nullptr) {
        return Refuse(absl::StatusCode::kFailedPrecondition,
                      windows_.empty()
                          ? std::string_view("no recoverable window")
                          : std::string_view("it lies before the earliest "
                                             "reachable state"));
      }
      if (w->latest_time != INT64_MAX && Admits(w->latest_time + 1)) {
        return Refuse(
            absl::StatusCode::kFailedPrecondition,
            &windows_.back() == w
                ? absl::StrCat("it lies beyond the end of the log (the last "
                               "reachable commit is at ",
                               FormatCommitTime(w->latest_time), ")")
                : absl::StrCat("it lies in a hole of the log after ",
                               FormatWindow(*w)));
      }
      WAYBACK_ASSIGN_OR_RETURN(stop, ResolveTime(*w));
      WAYBACK_RETURN_IF_ERROR(Fill(stop, *w, std::nullopt, &plan));
      return plan;
    }
  }

  const RecoverableWindow* w = WindowOf(stop);
  if (w == nullptr) {
    std::string why;
    if (windows_.empty()) {
      why = "no recoverable window";
    } else if (stop > windows_.back().latest_lsn) {
      why = absl::StrCat("lsn ", stop, " lies beyond the end of the log",
                         stop > max_lsn ? "" : " that can be reached");
    } else if (stop < windows_.front().earliest_lsn) {
      why = absl::StrCat("lsn ", stop,
                         " lies before the earliest reachable state");
    } else {
      why = absl::StrCat("lsn ", stop, " lies in a hole of the log");
    }
    return Refuse(absl::StatusCode::kFailedPrecondition, why);
  }
  WAYBACK_RETURN_IF_ERROR(Fill(stop, *w, std::nullopt, &plan));
  return plan;
}

absl::StatusOr<RecoveryPlan> Planner::PlanBetween(const SnapshotInfo& from,
                                                  Lsn stop) {
  const RecoverableWindow* w = WindowOf(from.lsn);
  if (w == nullptr || stop < from.lsn || stop > w->latest_lsn) {
    return Refuse(
        absl::StatusCode::kFailedPrecondition,
        absl::StrCat("lsn ", stop, " cannot be reached from ", from.name));
  }
  RecoveryPlan plan;
  WAYBACK_RETURN_IF_ERROR(Fill(stop, *w, from, &plan));
  return plan;
}

std::string FormatRef(const std::optional<CommitRef>& r,
                      std::string_view none) {
  if (!r) return std::string(none);
  std::string s = absl::StrCat("lsn ", r->lsn, " committed at ",
                               FormatCommitTime(r->commit_time));
  if (r->txid) absl::StrAppend(&s, " (txid ", *r->txid, ")");
  return s;
}

}  // namespace

absl::StatusOr<RecoveryPlan> PlanRecovery(const Catalog& catalog,
                                          const RecoveryTarget& target) {
  Planner planner(catalog, target);
  return planner.Plan();
}

namespace recovery_internal {

absl::StatusOr<RecoveryPlan> PlanReplayBetween(const Catalog& catalog,
                                               const SnapshotInfo& from,
                                               Lsn stop) {
  RecoveryTarget target = RecoveryTarget::AtLsn(stop);
  target.timeline = from.timeline;
  Planner planner(catalog, target);
  return planner.PlanBetween(from, stop);
}

}  // namespace recovery_internal

std::string RecoveryPlan::ToString() const {
  std::string s = absl::StrCat("recovery plan for ", target.ToString(), "\n");
  absl::StrAppend(&s, "  repository:     ", repository, "\n");
  if (target.kind == RecoveryTarget::Kind::kTime) {
    absl::StrAppend(&s, "  resolved time:  ", FormatCommitTime(target.time),
                    target.inclusive ? " (commits at or before it)"
                                     : " (commits strictly before it)",
                    "\n");
  }
  if (snapshot) {
    absl::StrAppend(&s, "  start from:     snapshot ", snapshot->name, " (lsn ",
                    snapshot->lsn, ", ",
                    FormatCommitTime(snapshot->commit_time), ", ",
                    snapshot->pair_count, " pairs)\n");
    if (snapshot_chain.size() > 1) {
      absl::StrAppend(&s, "  chain:          ", snapshot_chain.size(),
                      " objects, base first\n");
      for (const SnapshotInfo& m : snapshot_chain) {
        absl::StrAppend(&s, "                  ", m.name, " (lsn ", m.lsn, ", ",
                        m.kind == SnapshotKind::kDelta
                            ? absl::StrCat(m.entry_count, " entries, ",
                                           m.delete_count, " deletes")
                            : absl::StrCat(m.pair_count, " pairs"),
                        ", ", m.size, " bytes)\n");
      }
    }
  } else {
    absl::StrAppend(&s, "  start from:     the empty state (before lsn 1)\n");
  }
  if (last_lsn >= first_lsn) {
    absl::StrAppend(&s, "  replay:         lsn ", first_lsn, "..", last_lsn,
                    " from ", segments.size(), " segment(s)\n");
  } else {
    absl::StrAppend(&s, "  replay:         nothing (the state is the ",
                    snapshot ? "snapshot" : "empty state", ")\n");
  }
  absl::StrAppend(&s, "  last included:  ",
                  FormatRef(last_included, "none (no commit)"), "\n");
  absl::StrAppend(&s, "  first excluded: ",
                  FormatRef(first_excluded, "none (end of the log)"), "\n");
  absl::StrAppend(&s, "  first lsn not applied: ", last_lsn + 1, "\n");
  absl::StrAppend(&s, "  bytes to read:  ", bytes_to_read, "\n");
  absl::StrAppend(
      &s, "  window:         ", recovery_internal::FormatWindow(window), "\n");
  return s;
}

}  // namespace wayback
