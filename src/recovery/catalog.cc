// Copyright 2026 The Wayback Authors.
//
// Catalog::Open: the repository as its objects describe it. Only names,
// segment headers/footers (or, for a live segment, its block headers) and
// snapshot footers are read, so opening a catalog costs a listing plus a few
// small reads per object, whatever the size of the log.
//
// Windows. A state at LSN n is reachable if some starting state at LSN s <= n
// exists and the log holds every record s+1..n. Starting states are the
// snapshots and, on timeline 1 when the log starts at LSN 1, the empty state
// (LSN 0). Within one run of hole-free log the reachable LSNs from every
// starting state in it form one interval; intervals that overlap merge into a
// window. A hole therefore ends a window, and a snapshot after a hole starts a
// new one.

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/log/segment.h"
#include "src/log/segment_set.h"
#include "src/recovery/internal.h"
#include "src/storage/expire_format.h"
#include "src/util/errors.h"
#include "wayback/recovery.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using recovery_internal::LogRun;

class CatalogImpl : public Catalog {
 public:
  CatalogImpl(Storage* storage, const CatalogOptions& options)
      : storage_(storage), options_(options) {}

  Storage* storage() const override { return storage_; }
  const std::vector<SegmentInfo>& segments() const override {
    return segments_;
  }
  const std::vector<SupersededSegment>& superseded() const override {
    return superseded_;
  }
  const std::vector<SnapshotInfo>& snapshots() const override {
    return snapshots_;
  }
  const std::vector<RecoverableWindow>& windows() const override {
    return windows_;
  }
  const std::vector<CatalogProblem>& problems() const override {
    return problems_;
  }
  const std::vector<std::string>& expiring() const override {
    return expiring_list_;
  }
  std::vector<SnapshotInfo> SnapshotChain(
      const SnapshotInfo& snapshot) const override {
    std::vector<SnapshotInfo> chain;
    const SnapshotInfo* s =
        Find(snapshot.timeline, snapshot.lsn, snapshot.kind, snapshot.digest);
    while (s != nullptr) {
      chain.push_back(*s);
      if (!s->base) break;
      s = Find(s->base->timeline, s->base->lsn, s->base->kind, s->base->digest);
      if (s == nullptr || chain.size() > kMaxSnapshotChainDepth + 1) {
        return {};  // Not reachable for a listed snapshot (resolved below).
      }
    }
    std::reverse(chain.begin(), chain.end());
    return chain;
  }

  absl::Status Load();
  // True if an object was listed and gone when it was read.
  bool vanished() const { return vanished_; }

 private:
  // The listed snapshot of that timeline, LSN and kind holding `digest`.
  const SnapshotInfo* Find(TimelineId timeline, Lsn lsn, SnapshotKind kind,
                           const StateDigest& digest) const {
    for (const SnapshotInfo& s : snapshots_) {
      if (s.timeline == timeline && s.lsn == lsn && s.kind == kind &&
          s.digest == digest) {
        return &s;
      }
    }
    return nullptr;
  }
  void Problem(std::string object, std::string message, absl::StatusCode code) {
    problems_.push_back({std::move(object), std::move(message), code});
  }
  // `relisted`: this is the second listing (a listed segment was gone
  // when read the first time); what is gone now is reported.
  absl::Status LoadSegments(bool relisted = false);
  absl::Status LoadSnapshots();
  // The objects pending in expire intents (src/storage/expire_format.md).
  absl::Status LoadIntents();
  void CheckSegmentSequence();
  void ComputeWindows();

  Storage* storage_;
  const CatalogOptions options_;
  std::set<std::string> expiring_;
  std::set<std::string> left_out_;
  std::vector<std::string> expiring_list_;
  std::vector<SegmentInfo> segments_;
  std::vector<SupersededSegment> superseded_;
  std::vector<SnapshotInfo> snapshots_;
  std::vector<RecoverableWindow> windows_;
  std::vector<CatalogProblem> problems_;
  bool vanished_ = false;
};

bool IsTemporary(std::string_view name) {
  return absl::EndsWith(AV(name), ".tmp");
}

// An error of the storage itself (not of the object's bytes) aborts Open:
// a repository we could not read is not a repository with a missing object.
bool IsIoError(const absl::Status& s) {
  return s.code() == absl::StatusCode::kUnavailable ||
         s.code() == absl::StatusCode::kInternal ||
         s.code() == absl::StatusCode::kPermissionDenied ||
         s.code() == absl::StatusCode::kUnauthenticated;
}

absl::Status CatalogImpl::LoadSegments(bool relisted) {
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects,
                           storage_->List("log/"));
  bool vanished = false;
  // Version 2 segments carry the repository's id: one copied from another
  // repository is damage here (V2.1). Without a readable identity object
  // (older repositories; a damaged one is Repository::Open()'s to report)
  // nothing is compared.
  const std::string repository_id = log_format::RepositoryIdToCheck(storage_);
  std::vector<SegmentInfo> found;
  for (const ObjectInfo& o : objects) {
    if (IsTemporary(o.name)) {
      Problem(o.name,
              "stray temporary object (an abandoned or in-flight write); not "
              "part of the log",
              absl::StatusCode::kAborted);
      continue;
    }
    if (expiring_.count(o.name)) {
      left_out_.insert(o.name);
      continue;
    }
    TimelineId timeline;
    Lsn first_lsn;
    bool sealed;
    uint32_t generation;
    if (!ParseSegmentObjectName(o.name, &timeline, &first_lsn, &sealed,
                                &generation)) {
      // The writer's lock and other bookkeeping objects live here too; only
      // names that look like segments but are not are worth reporting.
      if (absl::EndsWith(AV(o.name), ".seg") ||
          absl::EndsWith(AV(o.name), ".live")) {
        Problem(o.name, "malformed segment object name",
                absl::StatusCode::kInvalidArgument);
      }
      continue;
    }
    log_format::LoadedSegment loaded;
    absl::Status ls = log_format::LoadSegment(storage_, o.name, false, &loaded,
                                              repository_id);
    absl::StatusOr<SegmentInfo> info =
        ls.ok() ? absl::StatusOr<SegmentInfo>(std::move(loaded.info)) : ls;
    if (!info.ok()) {
      if (IsIoError(info.status())) return info.status();
      if (absl::IsNotFound(info.status()) && !relisted) {
        // Listed but gone: compaction deletes superseded segments once
        // their replacement is past its grace period. List once more.
        vanished = true;
        continue;
      }
      // Listed, then gone: a live segment sealed (renamed) meanwhile.
      if (absl::IsNotFound(info.status())) vanished_ = true;
      Problem(o.name, std::string(info.status().message()),
              info.status().code());
      continue;
    }
    if (info->timeline != timeline || info->first_lsn != first_lsn) {
      Problem(o.name,
              absl::StrCat("segment header says timeline ", info->timeline,
                           " first lsn ", info->first_lsn,
                           ", which contradicts its name"),
              absl::StatusCode::kDataLoss);
      continue;
    }
    if (info->torn_bytes > 0) {
      Problem(o.name,
              absl::StrCat("torn tail: ", info->torn_bytes,
                           " bytes after the last complete block (at offset ",
                           info->size - info->torn_bytes,
                           ") are ignored; they were never acknowledged "
                           "durable if this is the newest segment"),
              absl::StatusCode::kOutOfRange);
    }
    found.push_back(std::move(*info));
  }
  if (vanished) {
    problems_.clear();
    return LoadSegments(/*relisted=*/true);
  }
  // Replacement segments (V2.11 rules 1 and 2): what they supersede is
  // information, not a problem, and is not used; one whose footer does not
  // add up to the segments it replaces is damage, and those are used.
  log_format::ResolvedSegments resolved =
      log_format::ApplyOverlapRule(std::move(found));
  for (log_format::SupersededBy& s : resolved.superseded) {
    superseded_.push_back({std::move(s.info), std::move(s.by)});
  }
  for (log_format::OverlapFinding& f : resolved.findings) {
    Problem(std::move(f.object), std::move(f.message), f.code);
  }
  // The rest as before replacements existed (rule 3), in the order
  // resolved.used has: by first LSN, the higher generation first, and sealed
  // before live for the same start: a crash between publishing the sealed
  // copy and deleting the live one leaves both, and the sealed one is the
  // complete, indexed version.
  for (SegmentInfo& s : resolved.used) {
    if (!segments_.empty()) {
      const SegmentInfo& prev = segments_.back();
      if (prev.timeline == s.timeline && s.last_lsn >= s.first_lsn &&
          s.first_lsn <= prev.last_lsn) {
        if (prev.first_lsn == s.first_lsn && prev.sealed && !s.sealed &&
            s.last_lsn <= prev.last_lsn) {
          Problem(s.name,
                  absl::StrCat("live segment superseded by sealed ", prev.name,
                               " (left over from an interrupted seal); "
                               "ignored"),
                  absl::StatusCode::kAlreadyExists);
        } else {
          Problem(s.name,
                  absl::StrCat("overlaps ", prev.name, ": lsn ", s.first_lsn,
                               "..", s.last_lsn, " against ", prev.first_lsn,
                               "..", prev.last_lsn, "; ignored"),
                  absl::StatusCode::kDataLoss);
        }
        continue;
      }
    }
    segments_.push_back(std::move(s));
  }
  return absl::OkStatus();
}

absl::Status CatalogImpl::LoadSnapshots() {
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects,
                           storage_->List("snap/"));
  for (const ObjectInfo& o : objects) {
    if (IsTemporary(o.name)) {
      Problem(o.name,
              "stray temporary object (an abandoned or in-flight snapshot "
              "write); not a snapshot",
              absl::StatusCode::kAborted);
      continue;
    }
    if (expiring_.count(o.name)) {
      left_out_.insert(o.name);
      continue;
    }
    const std::optional<SnapshotName> parsed = ParseSnapshotName(o.name);
    if (!parsed) {
      if (absl::EndsWith(AV(o.name), ".snap") ||
          absl::EndsWith(AV(o.name), ".delta")) {
        Problem(o.name, "malformed snapshot object name",
                absl::StatusCode::kInvalidArgument);
      }
      continue;
    }
    if (parsed->fence()) continue;  // The v1 readers' fence; no state.
    const TimelineId timeline = parsed->timeline;
    const Lsn lsn = parsed->lsn;
    absl::StatusOr<std::unique_ptr<SnapshotReader>> reader =
        SnapshotReader::Open(storage_, o.name);
    if (!reader.ok()) {
      if (IsIoError(reader.status())) return reader.status();
      if (absl::IsNotFound(reader.status())) vanished_ = true;
      Problem(o.name, std::string(reader.status().message()),
              reader.status().code());
      continue;
    }
    const SnapshotInfo& info = (*reader)->info();
    if (info.timeline != timeline || info.lsn != lsn) {
      Problem(o.name,
              absl::StrCat("snapshot footer says timeline ", info.timeline,
                           " lsn ", info.lsn, ", which contradicts its name"),
              absl::StatusCode::kDataLoss);
      continue;
    }
    snapshots_.push_back(info);
  }
  std::sort(snapshots_.begin(), snapshots_.end(),
            [](const SnapshotInfo& a, const SnapshotInfo& b) {
              return std::make_tuple(a.timeline, a.lsn, a.kind, a.generation) <
                     std::make_tuple(b.timeline, b.lsn, b.kind, b.generation);
            });
  // A delta is usable only over a usable base (lower LSNs come first, so
  // one pass resolves every chain): the base's timeline, LSN and kind, and
  // its state digest (any generation).
  std::vector<SnapshotInfo> usable;
  for (SnapshotInfo& s : snapshots_) {
    if (s.kind == SnapshotKind::kDelta) {
      const SnapshotBaseRef& b = *s.base;
      bool found = false;
      bool other_state = false;
      for (const SnapshotInfo& u : usable) {
        if (u.timeline == b.timeline && u.lsn == b.lsn && u.kind == b.kind) {
          (u.digest == b.digest ? found : other_state) = true;
        }
      }
      if (!found) {
        Problem(s.name,
                absl::StrCat(
                    "delta snapshot's base (timeline ", b.timeline, " lsn ",
                    b.lsn, b.kind == SnapshotKind::kDelta ? " delta" : " full",
                    other_state ? ") holds another state" : ") is missing",
                    "; not used"),
                other_state ? absl::StatusCode::kDataLoss
                            : absl::StatusCode::kFailedPrecondition);
        continue;
      }
    }
    usable.push_back(std::move(s));
  }
  snapshots_ = std::move(usable);
  return absl::OkStatus();
}

void CatalogImpl::CheckSegmentSequence() {
  for (size_t i = 1; i < segments_.size(); ++i) {
    const SegmentInfo& prev = segments_[i - 1];
    const SegmentInfo& s = segments_[i];
    if (prev.timeline != s.timeline) continue;
    if (s.first_lsn > prev.last_lsn + 1) {
      Problem(s.name,
              absl::StrCat("hole in the log: lsn ", prev.last_lsn + 1, "..",
                           s.first_lsn - 1, " missing between ", prev.name,
                           " and ", s.name),
              absl::StatusCode::kFailedPrecondition);
    }
    if (!prev.sealed && prev.last_lsn >= prev.first_lsn) {
      Problem(prev.name,
              "live (unsealed) segment followed by a later segment; the "
              "writer did not seal it",
              absl::StatusCode::kFailedPrecondition);
    }
    if (s.first_commit_time < prev.last_commit_time &&
        s.last_lsn >= s.first_lsn && prev.last_lsn >= prev.first_lsn) {
      Problem(s.name,
              absl::StrCat("commit time goes backwards from ", prev.name),
              absl::StatusCode::kDataLoss);
    }
  }
}

void CatalogImpl::ComputeWindows() {
  const std::vector<LogRun> runs = recovery_internal::ComputeRuns(segments_);
  // Candidate intervals [start, end], each with the commit times at its ends.
  struct Interval {
    TimelineId timeline;
    Lsn start, end;
    CommitTime start_time, end_time;
  };
  std::vector<Interval> intervals;
  for (const LogRun& r : runs) {
    if (r.timeline == kFirstTimeline && r.first_lsn == 1) {
      intervals.push_back({r.timeline, 0, r.last_lsn, 0, r.last_commit_time});
    }
  }
  for (const SnapshotInfo& s : snapshots_) {
    Interval iv{s.timeline, s.lsn, s.lsn, s.commit_time, s.commit_time};
    for (const LogRun& r : runs) {
      if (r.timeline == s.timeline && r.first_lsn <= s.lsn + 1 &&
          s.lsn + 1 <= r.last_lsn) {
        iv.end = r.last_lsn;
        iv.end_time = r.last_commit_time;
        break;
      }
    }
    intervals.push_back(iv);
  }
  std::sort(intervals.begin(), intervals.end(),
            [](const Interval& a, const Interval& b) {
              return std::make_tuple(a.timeline, a.start, a.end) <
                     std::make_tuple(b.timeline, b.start, b.end);
            });
  for (const Interval& iv : intervals) {
    if (!windows_.empty()) {
      RecoverableWindow& w = windows_.back();
      if (w.timeline == iv.timeline && iv.start <= w.latest_lsn) {
        if (iv.end > w.latest_lsn) {
          w.latest_lsn = iv.end;
          w.latest_time = iv.end_time;
        }
        continue;
      }
    }
    RecoverableWindow w;
    w.timeline = iv.timeline;
    w.earliest_lsn = iv.start;
    w.earliest_time = iv.start_time;
    w.latest_lsn = iv.end;
    w.latest_time = iv.end_time;
    windows_.push_back(w);
  }
}

absl::Status CatalogImpl::LoadIntents() {
  if (options_.include_expiring) return absl::OkStatus();
  std::vector<std::pair<std::string, absl::Status>> damaged;
  WAYBACK_ASSIGN_OR_RETURN(auto intents,
                           expire_format::ReadIntents(storage_, &damaged));
  for (auto& [object, status] : damaged) {
    Problem(object, std::string(status.message()), absl::StatusCode::kDataLoss);
  }
  for (const auto& [name, intent] : intents) {
    for (const expire_format::IntentEntry& e : intent.objects) {
      expiring_.insert(e.name);
    }
  }
  return absl::OkStatus();
}

absl::Status CatalogImpl::Load() {
  WAYBACK_RETURN_IF_ERROR(LoadIntents());
  WAYBACK_RETURN_IF_ERROR(LoadSegments());
  WAYBACK_RETURN_IF_ERROR(LoadSnapshots());
  CheckSegmentSequence();
  ComputeWindows();
  // Only what was left out (an intent may list objects already deleted).
  for (const std::string& name : expiring_) {
    if (left_out_.count(name)) expiring_list_.push_back(name);
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Catalog>> Catalog::Open(
    Storage* storage, const CatalogOptions& options) {
  // An object listed and then gone before it was read (a writer sealing its
  // live segment, a mirror or compaction replacing objects) is not damage:
  // list again, a few times, before reporting it.
  std::unique_ptr<CatalogImpl> catalog;
  for (int attempt = 0; attempt < 4; ++attempt) {
    catalog = std::make_unique<CatalogImpl>(storage, options);
    WAYBACK_RETURN_IF_ERROR(catalog->Load());
    if (!catalog->vanished()) break;
  }
  return std::unique_ptr<Catalog>(std::move(catalog));
}

}  // namespace wayback
