// Copyright 2026 The Wayback Authors.
//
// RunRtoBench(): the worst-case restore time of a repository, measured on
// the repository itself (only read) and a scratch target.
//
// The worst case of any target in a recoverable window is bounded by the
// largest snapshot loaded plus the longest stretch of log replayed after a
// snapshot (a restore loads the newest snapshot at or before its target, so
// it never replays more than one stretch). Both rates are measured on this
// machine: the largest snapshot is loaded alone, and the longest stretch (or
// its first max_sample_raw_bytes) is replayed from its snapshot; the time of
// that second restore's snapshot load (up to the first progress report,
// which Restore() makes right after LoadSnapshot()) is subtracted so that
// the replay rate is the log's alone.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "src/bench/bench.h"
#include "src/bench/bench_util.h"
#include "src/recovery/internal.h"
#include "src/util/errors.h"
#include "wayback/recovery.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using bench_internal::NowSeconds;
using bench_internal::Ratio;
using bench_internal::Say;

// A stretch of log after an anchor (a snapshot, or the empty state).
struct Stretch {
  std::optional<SnapshotInfo> snapshot;  // nullopt: the empty state.
  TimelineId timeline = kFirstTimeline;
  Lsn from = kNoLsn;  // The anchor's LSN (exclusive).
  Lsn to = kNoLsn;    // Inclusive.
  uint64_t raw_bytes = 0;
};

// Raw bytes of the blocks holding any record in (from, to] on `timeline`
// (block granularity).
uint64_t RawBytesBetween(const Catalog& catalog, TimelineId timeline, Lsn from,
                         Lsn to) {
  uint64_t raw = 0;
  for (const SegmentInfo& s : catalog.segments()) {
    if (s.timeline != timeline || s.last_lsn <= from || s.first_lsn > to) {
      continue;
    }
    for (const BlockInfo& b : s.blocks) {
      if (b.last_lsn > from && b.first_lsn <= to) raw += b.raw_size;
    }
  }
  return raw;
}

// The LSN at which about `budget` raw bytes after `from` have been read
// (whole blocks; at least one), capped at `to`.
Lsn SampleStop(const Catalog& catalog, TimelineId timeline, Lsn from, Lsn to,
               uint64_t budget) {
  uint64_t raw = 0;
  for (const SegmentInfo& s : catalog.segments()) {
    if (s.timeline != timeline || s.last_lsn <= from || s.first_lsn > to) {
      continue;
    }
    for (const BlockInfo& b : s.blocks) {
      if (b.last_lsn <= from || b.first_lsn > to) continue;
      raw += b.raw_size;
      if (raw >= budget) return std::min(b.last_lsn, to);
    }
  }
  return to;
}

class RtoBench {
 public:
  RtoBench(Storage* storage, const RtoBenchOptions& o)
      : storage_(storage), o_(o) {
    threads_ =
        o.threads > 0
            ? o.threads
            : std::max(1,
                       static_cast<int>(std::thread::hardware_concurrency()));
  }

  absl::StatusOr<RtoBenchFigures> Run() {
    f_.repository = storage_->uri();
    WAYBACK_ASSIGN_OR_RETURN(catalog_, Catalog::Open(storage_));
    f_.snapshots = catalog_->snapshots().size();
    f_.segments = catalog_->segments().size();
    if (catalog_->windows().empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rto bench: ", storage_->uri(),
          " has nothing recoverable (no snapshot, and no log from lsn 1)"));
    }
    WAYBACK_ASSIGN_OR_RETURN(
        scratch_, bench_internal::ScratchDir::Create(o_.scratch_dir));
    FindStretches();

    // The largest snapshot in any window, loaded alone.
    std::optional<SnapshotInfo> largest;
    for (const Stretch& s : stretches_) {
      if (s.snapshot &&
          (!largest || s.snapshot->raw_bytes > largest->raw_bytes)) {
        largest = s.snapshot;
      }
    }
    if (largest) {
      f_.largest_snapshot = largest->name;
      f_.largest_snapshot_raw_bytes = largest->raw_bytes;
      f_.largest_snapshot_pairs = largest->pair_count;
      WAYBACK_ASSIGN_OR_RETURN(RecoveryPlan plan,
                               recovery_internal::PlanReplayBetween(
                                   *catalog_, *largest, largest->lsn));
      Say(o_.progress, absl::StrCat("loading the largest snapshot ",
                                    largest->name, " into ", o_.into));
      WAYBACK_ASSIGN_OR_RETURN(Timed t, TimedRestore(plan));
      f_.snapshot_load_seconds = t.total;
      f_.snapshot_load_raw_mb_per_s = Ratio(largest->raw_bytes / 1e6, t.total);
    }

    // The longest stretch, replayed (a sample of it) from its anchor.
    const Stretch* longest = nullptr;
    for (const Stretch& s : stretches_) {
      if (longest == nullptr || s.raw_bytes > longest->raw_bytes) longest = &s;
    }
    f_.longest_stretch_from_lsn = longest->from;
    f_.longest_stretch_to_lsn = longest->to;
    f_.longest_stretch_raw_bytes = longest->raw_bytes;
    if (longest->to > longest->from) {
      Lsn stop = SampleStop(*catalog_, longest->timeline, longest->from,
                            longest->to, o_.max_sample_raw_bytes);
      RecoveryPlan plan;
      if (longest->snapshot) {
        WAYBACK_ASSIGN_OR_RETURN(plan,
                                 recovery_internal::PlanReplayBetween(
                                     *catalog_, *longest->snapshot, stop));
      } else {
        // From the empty state: stop before the next snapshot so that the
        // planner does not start from it.
        if (stop == longest->to && longest->to > 1 && IsSnapshotLsn(stop)) {
          --stop;
        }
        RecoveryTarget t = RecoveryTarget::AtLsn(stop);
        t.timeline = longest->timeline;
        WAYBACK_ASSIGN_OR_RETURN(plan, PlanRecovery(*catalog_, t));
      }
      Say(o_.progress,
          absl::StrFormat("replaying lsn %d..%d (%.1f MB of raw log) into %s",
                          plan.first_lsn, plan.last_lsn,
                          RawBytesBetween(*catalog_, longest->timeline,
                                          plan.first_lsn - 1, plan.last_lsn) /
                              1e6,
                          o_.into));
      WAYBACK_ASSIGN_OR_RETURN(Timed t, TimedRestore(plan));
      f_.replay_sample_raw_bytes = t.result.raw_bytes_applied;
      f_.replay_sample_transactions = t.result.transactions_applied;
      f_.replay_seconds = t.total - t.snapshot;
      f_.replay_raw_mb_per_s =
          Ratio(f_.replay_sample_raw_bytes / 1e6, f_.replay_seconds);
      f_.replay_txn_per_s =
          Ratio(f_.replay_sample_transactions, f_.replay_seconds);
    }

    f_.worst_case_rto_seconds =
        Ratio(f_.largest_snapshot_raw_bytes / 1e6,
              f_.snapshot_load_raw_mb_per_s) +
        Ratio(f_.longest_stretch_raw_bytes / 1e6, f_.replay_raw_mb_per_s);
    if (o_.rto) {
      f_.rto_seconds = absl::ToDoubleSeconds(*o_.rto);
      f_.margin_seconds = *f_.rto_seconds - f_.worst_case_rto_seconds;
      f_.pass = f_.margin_seconds >= 0;
    }
    return f_;
  }

 private:
  struct Timed {
    RestoreResult result;
    double total = 0;     // Seconds of the whole Restore().
    double snapshot = 0;  // Seconds until the snapshot was loaded.
  };

  bool IsSnapshotLsn(Lsn lsn) const {
    for (const SnapshotInfo& s : catalog_->snapshots()) {
      if (s.lsn == lsn) return true;
    }
    return false;
  }

  // Anchors of each window: its start (a snapshot or the empty state) and
  // every snapshot inside it; each anchor's stretch runs to the next anchor
  // or the end of the window.
  void FindStretches() {
    for (const RecoverableWindow& w : catalog_->windows()) {
      std::vector<Stretch> anchors;
      if (w.earliest_lsn == kNoLsn) {
        Stretch s;
        s.timeline = w.timeline;
        s.from = kNoLsn;
        anchors.push_back(s);
      }
      for (const SnapshotInfo& snap : catalog_->snapshots()) {
        if (snap.timeline != w.timeline || snap.lsn < w.earliest_lsn ||
            snap.lsn > w.latest_lsn) {
          continue;
        }
        Stretch s;
        s.snapshot = snap;
        s.timeline = w.timeline;
        s.from = snap.lsn;
        anchors.push_back(s);
      }
      for (size_t i = 0; i < anchors.size(); ++i) {
        Stretch& s = anchors[i];
        s.to = i + 1 < anchors.size() ? anchors[i + 1].from : w.latest_lsn;
        s.raw_bytes = RawBytesBetween(*catalog_, s.timeline, s.from, s.to);
        stretches_.push_back(std::move(s));
      }
    }
  }

  absl::StatusOr<std::unique_ptr<StateTarget>> NewScratchTarget() {
    if (o_.into == "memory") return NewMemoryTarget(threads_);
    if (o_.into != "rocksdb") {
      return absl::InvalidArgumentError(
          absl::StrCat("rto bench: scratch target \"", o_.into,
                       "\" is neither rocksdb nor memory"));
    }
    // As `wayback restore` does.
    return OpenRocksDBTarget(scratch_->Sub(absl::StrCat("db-", ++dbs_)),
                             RocksDBTargetOptions::ForRestore(threads_));
  }

  absl::StatusOr<Timed> TimedRestore(const RecoveryPlan& plan) {
    WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<StateTarget> target,
                             NewScratchTarget());
    Timed t;
    RestoreOptions ro;
    ro.threads = threads_;
    const double t0 = NowSeconds();
    bool loaded = !plan.snapshot.has_value();
    ro.progress = [&](const RestoreProgress& p) {
      if (!loaded && p.snapshot_pairs_loaded > 0) {
        loaded = true;
        t.snapshot = NowSeconds() - t0;
      }
    };
    WAYBACK_ASSIGN_OR_RETURN(t.result,
                             Restore(storage_, plan, target.get(), ro));
    t.total = NowSeconds() - t0;
    if (!loaded) t.snapshot = 0;
    target.reset();
    bench_internal::RemoveTree(scratch_->Sub(absl::StrCat("db-", dbs_)));
    Say(o_.progress,
        absl::StrFormat("  %.2f s (snapshot %.2f s, %d transactions)", t.total,
                        t.snapshot, t.result.transactions_applied));
    return t;
  }

  Storage* storage_;
  const RtoBenchOptions& o_;
  int threads_ = 1;
  int dbs_ = 0;
  RtoBenchFigures f_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<bench_internal::ScratchDir> scratch_;
  std::vector<Stretch> stretches_;
};

}  // namespace

absl::StatusOr<RtoBenchFigures> RunRtoBench(Storage* storage,
                                            const RtoBenchOptions& options) {
  RtoBench bench(storage, options);
  return bench.Run();
}

std::string RtoBenchFigures::ToJson() const {
  nlohmann::ordered_json j;
  j["repository"] = repository;
  j["snapshots"] = snapshots;
  j["segments"] = segments;
  j["largest_snapshot"] = largest_snapshot;
  j["largest_snapshot_raw_bytes"] = largest_snapshot_raw_bytes;
  j["largest_snapshot_pairs"] = largest_snapshot_pairs;
  j["snapshot_load_seconds"] = snapshot_load_seconds;
  j["snapshot_load_raw_mb_per_s"] = snapshot_load_raw_mb_per_s;
  j["longest_stretch_from_lsn"] = longest_stretch_from_lsn;
  j["longest_stretch_to_lsn"] = longest_stretch_to_lsn;
  j["longest_stretch_raw_bytes"] = longest_stretch_raw_bytes;
  j["replay_sample_raw_bytes"] = replay_sample_raw_bytes;
  j["replay_sample_transactions"] = replay_sample_transactions;
  j["replay_seconds"] = replay_seconds;
  j["replay_raw_mb_per_s"] = replay_raw_mb_per_s;
  j["replay_txn_per_s"] = replay_txn_per_s;
  j["worst_case_rto_seconds"] = worst_case_rto_seconds;
  if (rto_seconds) {
    j["rto_seconds"] = *rto_seconds;
  } else {
    j["rto_seconds"] = nullptr;
  }
  j["pass"] = pass;
  j["margin_seconds"] = margin_seconds;
  return j.dump(2);
}

std::string RtoBenchFigures::ToString() const {
  std::string s = absl::StrFormat("RTO of %s (%d snapshots, %d segments)\n",
                                  repository, snapshots, segments);
  if (!largest_snapshot.empty()) {
    absl::StrAppend(
        &s, absl::StrFormat("  largest snapshot   %s: %.1f MB raw, %d pairs, "
                            "loaded in %.2f s (%.1f MB/s)\n",
                            largest_snapshot, largest_snapshot_raw_bytes / 1e6,
                            largest_snapshot_pairs, snapshot_load_seconds,
                            snapshot_load_raw_mb_per_s));
  } else {
    absl::StrAppend(&s,
                    "  no snapshot (restores replay from the empty "
                    "state)\n");
  }
  absl::StrAppend(
      &s,
      absl::StrFormat("  longest stretch    lsn %d..%d: %.1f MB of raw log\n",
                      longest_stretch_from_lsn + 1, longest_stretch_to_lsn,
                      longest_stretch_raw_bytes / 1e6),
      absl::StrFormat("  replay rate        %.1f MB/s of raw log, %.0f "
                      "txn/s (%.1f MB sample in %.2f s)\n",
                      replay_raw_mb_per_s, replay_txn_per_s,
                      replay_sample_raw_bytes / 1e6, replay_seconds),
      absl::StrFormat("  worst-case RTO     %.1f s (largest snapshot + "
                      "longest stretch)\n",
                      worst_case_rto_seconds));
  if (rto_seconds) {
    absl::StrAppend(
        &s,
        absl::StrFormat("  objective          %.0f s: %s, margin %.1f s\n",
                        *rto_seconds, pass ? "PASS" : "FAIL", margin_seconds));
  }
  return s;
}

}  // namespace wayback
