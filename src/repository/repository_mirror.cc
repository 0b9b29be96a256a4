// Copyright 2026 The Wayback Authors.
//
// The format-aware mirror pass: which objects may be copied (only immutable
// ones: a live segment copied now would freeze a prefix at the mirror that
// create-only writes could never update), each checked through its format at
// the source before the byte copier (storage/mirror.cc) copies, reads back
// and compares it; then the superseded segments dropped from the mirror as
// compaction drops them at the source (grace measured in the mirror); then
// the lag, measured from the mirror's own catalog rather than inferred from
// what was copied.

#include <algorithm>
#include <iterator>
#include <set>
#include <type_traits>

#include "absl/strings/str_cat.h"
#include "src/log/segment_format.h"
#include "src/repository/compact_internal.h"
#include "src/repository/object_verify.h"
#include "src/storage/expire_format.h"
#include "wayback/expire.h"
#include "wayback/mirror.h"
#include "wayback/repository.h"
#include "wayback/status.h"

namespace wayback {
namespace {

// The commit time of the block of `timeline` holding `lsn` (its first
// record's: at or before the record's own), from the segments' indexes.
std::optional<CommitTime> FirstCommitTimeAtOrBefore(
    const std::vector<SegmentInfo>& segments, TimelineId timeline, Lsn lsn) {
  for (const SegmentInfo& s : segments) {
    if (s.timeline != timeline || lsn < s.first_lsn || lsn > s.last_lsn) {
      continue;
    }
    for (const BlockInfo& b : s.blocks) {
      if (lsn >= b.first_lsn && lsn <= b.last_lsn) return b.first_commit_time;
    }
    return s.first_commit_time;
  }
  return std::nullopt;
}

}  // namespace

absl::StatusOr<RepositoryMirrorResult> MirrorRepository(
    const Repository& from, Storage* to,
    const RepositoryMirrorOptions& options) {
  RepositoryMirrorResult r;
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> source_catalog,
                           from.ReadCatalog());
  const RepositoryDescription source = DescribeCatalog(*source_catalog);
  r.source_newest = source.newest_commit;
  r.source_newest_sealed = source.newest_sealed_commit;

  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed,
                           from.storage()->List(""));
  for (const ObjectInfo& o : listed) {
    const ObjectKind kind = ClassifyObject(o.name).kind;
    if (IsImmutable(kind)) {
      ++r.source_objects;
      r.source_bytes += o.size;
    } else if (kind == ObjectKind::kLiveSegment) {
      r.live.push_back(o.name);
    } else if (kind == ObjectKind::kUnknown) {
      r.unknown.push_back(o.name);
    }
  }

  MirrorOptions m;
  m.parallelism = options.parallelism;
  m.verify = true;
  m.verify_existing = options.verify_existing;
  m.dry_run = options.dry_run;
  m.verify_source = &VerifyRepositoryObject;
  if (from.identity()) {
    // The identity first, alone: see the header.
    MirrorOptions first = m;
    first.prefix = std::string(kIdentityObjectName);
    first.filter = [](const ObjectInfo& o) {
      return o.name == kIdentityObjectName;
    };
    WAYBACK_ASSIGN_OR_RETURN(r.report,
                             MirrorRepository(from.storage(), to, first));
  }
  // A segment superseded at the source is not worth copying once the
  // mirror holds its replacement (the mirror would only drop it again).
  std::set<std::string> skip;
  {
    WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> held, to->List("log/"));
    std::set<std::string> present;
    for (const ObjectInfo& o : held) present.insert(o.name);
    for (const SupersededSegment& s : source_catalog->superseded()) {
      if (present.count(s.replaced_by)) skip.insert(s.segment.name);
    }
  }
  // What the mirror's own expiry removed (its horizon, expire.h) is not
  // copied back; the source's pending intents do not matter here (a mirror
  // may keep longer than its source).
  {
    WAYBACK_ASSIGN_OR_RETURN(auto horizons, expire_format::ReadHorizons(to));
    if (!horizons.empty()) {
      CatalogOptions all;
      all.include_expiring = true;
      WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> everything,
                               Catalog::Open(from.storage(), all));
      WAYBACK_ASSIGN_OR_RETURN(std::vector<SnapshotPin> pins, ListPins(from));
      std::vector<std::string> pinned;
      for (const SnapshotPin& p : pins) pinned.push_back(p.snapshot);
      for (const auto& [timeline, lsn] : horizons) {
        for (std::string& name :
             ExpendableObjects(*everything, timeline, lsn, pinned)) {
          r.expired_skipped.push_back(name);
          skip.insert(std::move(name));
        }
      }
      std::sort(r.expired_skipped.begin(), r.expired_skipped.end());
    }
  }
  m.filter = [&skip](const ObjectInfo& o) {
    const ObjectKind kind = ClassifyObject(o.name).kind;
    return IsImmutable(kind) && kind != ObjectKind::kIdentity &&
           !skip.count(o.name);
  };
  WAYBACK_ASSIGN_OR_RETURN(MirrorReport rest,
                           MirrorRepository(from.storage(), to, m));
  // Merge the identity pass (at most one object) into the report.
  MirrorReport& out = r.report;
  out.source_objects += rest.source_objects;
  out.already_present += rest.already_present;
  out.copied_objects += rest.copied_objects;
  out.copied_bytes += rest.copied_bytes;
  auto append = [](auto& into, auto& from_items) {
    into.insert(into.end(), std::make_move_iterator(from_items.begin()),
                std::make_move_iterator(from_items.end()));
    std::sort(into.begin(), into.end(), [](const auto& a, const auto& b) {
      if constexpr (std::is_same_v<std::decay_t<decltype(a)>,
                                   MirrorRejection>) {
        return a.name < b.name;
      } else {
        return a < b;
      }
    });
  };
  append(out.copied, rest.copied);
  append(out.conflicts, rest.conflicts);
  append(out.vanished, rest.vanished);
  append(out.rejected, rest.rejected);
  append(out.removed_temporaries, rest.removed_temporaries);

  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> mirror_catalog,
                           Catalog::Open(to));
  if (!mirror_catalog->superseded().empty()) {
    std::string repository_id;
    if (from.identity()) {
      WAYBACK_ASSIGN_OR_RETURN(
          repository_id, log_format::RepositoryIdFromHex(from.identity()->id));
    }
    compact_internal::SupersededOutcome dropped;
    WAYBACK_RETURN_IF_ERROR(compact_internal::DeleteSuperseded(
        to, *mirror_catalog, options.superseded_grace, absl::Now(),
        options.dry_run, repository_id, {}, &dropped));
    r.superseded_deleted = std::move(dropped.deleted);
    r.superseded_waiting = std::move(dropped.waiting);
    if (!r.superseded_deleted.empty() && !options.dry_run) {
      WAYBACK_ASSIGN_OR_RETURN(mirror_catalog, Catalog::Open(to));
    }
  }
  const RepositoryDescription mirror = DescribeCatalog(*mirror_catalog);
  r.mirror_newest = mirror.newest_commit;
  r.mirror_restorable = mirror.newest_restorable;
  r.lag = LagBetween(r.source_newest, r.mirror_newest);
  if (r.source_newest) {
    const TimelineId tl = r.source_newest->timeline;
    const Lsn held = r.mirror_restorable && r.mirror_restorable->timeline == tl
                         ? r.mirror_restorable->lsn
                         : kNoLsn;
    if (held < r.source_newest->lsn) {
      r.first_missing_commit_time =
          FirstCommitTimeAtOrBefore(source_catalog->segments(), tl, held + 1);
    }
  }
  return r;
}

}  // namespace wayback
