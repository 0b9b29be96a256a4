// Copyright 2026 The Wayback Authors.
//
// CompactRepository (include/wayback/compact.h). The order of the steps is
// what makes a crash harmless: a replacement is published whole
// (create-only) before anything is deleted, readers prefer it from the
// moment it exists (the overlap rule, src/log/segment_set.h), and the
// originals go only after the grace period, each delete on its own. So
// every state a crash can leave is "originals", "replacement + all or some
// originals" or "replacement", and all of them restore the same. Deletion
// runs first in each call, so a rerun finishes what a killed one left.

#include "wayback/compact.h"

#include <algorithm>
#include <map>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "src/log/replacement.h"
#include "src/log/segment.h"
#include "src/repository/compact_internal.h"
#include "wayback/status.h"

namespace wayback {
namespace compact_internal {

absl::Status DeleteSuperseded(Storage* storage, const Catalog& catalog,
                              absl::Duration grace, absl::Time now,
                              bool dry_run, std::string_view repository_id,
                              const std::set<std::string>& verified,
                              SupersededOutcome* out) {
  std::map<std::string, std::vector<const SegmentInfo*>> by_replacement;
  for (const SupersededSegment& s : catalog.superseded()) {
    by_replacement[s.replaced_by].push_back(&s.segment);
  }
  for (auto& [replacement, originals] : by_replacement) {
    // A named copy: lambdas cannot capture structured bindings in C++20
    // as clang 14 implements it.
    const std::string& name = replacement;
    const auto used =
        std::find_if(catalog.segments().begin(), catalog.segments().end(),
                     [&name](const SegmentInfo& s) { return s.name == name; });
    if (used == catalog.segments().end()) continue;  // Not a used segment.
    const SegmentInfo& y = *used;
    bool past_grace = grace <= absl::ZeroDuration();
    if (!past_grace) {
      absl::StatusOr<ObjectInfo> stat = storage->Stat(name);
      if (absl::IsNotFound(stat.status())) continue;  // Gone meanwhile.
      WAYBACK_RETURN_IF_ERROR(stat.status());
      past_grace = stat->modified && now - *stat->modified >= grace;
    }
    if (!past_grace) {
      for (const SegmentInfo* x : originals) out->waiting.push_back(x->name);
      continue;
    }
    // While the originals still cover the replacement end to end, compare
    // it with them record by record first: it may have been published by a
    // run killed before its own check. (Once one of them was deleted, a run
    // had checked it.) The chain takes, at each LSN, the highest generation.
    std::vector<const SegmentInfo*> sorted = originals;
    std::sort(sorted.begin(), sorted.end(),
              [](const SegmentInfo* a, const SegmentInfo* b) {
                return std::make_tuple(a->first_lsn,
                                       -static_cast<int64_t>(a->generation),
                                       !a->sealed) <
                       std::make_tuple(b->first_lsn,
                                       -static_cast<int64_t>(b->generation),
                                       !b->sealed);
              });
    std::vector<std::string> chain;
    Lsn expect = y.first_lsn;
    for (const SegmentInfo* x : sorted) {
      if (x->sealed && x->first_lsn == expect && x->last_lsn >= x->first_lsn) {
        chain.push_back(x->name);
        expect = x->last_lsn + 1;
      }
    }
    if (!dry_run && !chain.empty() && expect == y.last_lsn + 1 &&
        !verified.count(name)) {
      WAYBACK_RETURN_IF_ERROR(log_format::VerifyReplacementSegment(
          storage, name, chain, repository_id));
    }
    for (const SegmentInfo* x : sorted) {
      if (!dry_run) {
        absl::Status d = storage->Delete(x->name);
        if (!d.ok()) {
          return absl::Status(
              d.code(), absl::StrCat("deleting ", x->name, " (superseded by ",
                                     name, "): ", d.message()));
        }
      }
      out->deleted.push_back(x->name);
    }
  }
  std::sort(out->deleted.begin(), out->deleted.end());
  std::sort(out->waiting.begin(), out->waiting.end());
  return absl::OkStatus();
}

}  // namespace compact_internal

namespace {

// Runs of consecutive small sealed segments (see CompactOptions).
std::vector<std::vector<const SegmentInfo*>> ChooseRuns(
    const std::vector<SegmentInfo>& segments, uint64_t target) {
  std::vector<std::vector<const SegmentInfo*>> runs;
  std::vector<const SegmentInfo*> run;
  uint64_t bytes = 0;
  auto flush = [&] {
    if (run.size() >= 2) runs.push_back(run);
    run.clear();
    bytes = 0;
  };
  // The newest sealed segment of each timeline stays as written: a writer
  // reopening the log continues after it, and a version 1 writer refuses a
  // log whose newest segment is version 2 (replacements always are).
  std::map<TimelineId, const SegmentInfo*> newest;
  for (const SegmentInfo& s : segments) {
    if (s.sealed) newest[s.timeline] = &s;
  }
  for (const SegmentInfo& s : segments) {
    const bool joins = !run.empty() && run.back()->timeline == s.timeline &&
                       run.back()->last_lsn + 1 == s.first_lsn &&
                       bytes + s.size <= target;
    if (!joins) flush();
    // Never the live segment, an empty one, or one already large enough.
    if (!s.sealed || s.last_lsn < s.first_lsn || s.size >= target ||
        newest[s.timeline] == &s) {
      flush();
      continue;
    }
    run.push_back(&s);
    bytes += s.size;
  }
  flush();
  return runs;
}

}  // namespace

absl::StatusOr<CompactResult> CompactRepository(const Repository& repository,
                                                const CompactOptions& options) {
  if (options.target_size == 0 || options.grace < absl::ZeroDuration() ||
      options.block_size == 0) {
    return absl::InvalidArgumentError(
        "compact: target size and block size must be positive and the grace "
        "period not negative");
  }
  if (!repository.identity()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "compact: ", repository.uri(),
        " has no repository identity; replacement segments (format version "
        "2) record the repository's id"));
  }
  WAYBACK_ASSIGN_OR_RETURN(
      const std::string repository_id,
      log_format::RepositoryIdFromHex(repository.identity()->id));
  Clock* clock = options.clock != nullptr ? options.clock : Clock::Real();
  Storage* storage = repository.storage();
  CompactResult result;

  // A replacement whose write was cut short left (on a local directory) a
  // temporary nobody holds any more.
  if (!options.dry_run) {
    WAYBACK_ASSIGN_OR_RETURN(
        result.removed_temporaries,
        storage->RemoveStaleTemporaries(
            log_format::kLogPrefix, std::min(options.grace, absl::Minutes(1))));
  }

  // First finish what earlier runs started.
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                           repository.ReadCatalog());
  compact_internal::SupersededOutcome outcome;
  WAYBACK_RETURN_IF_ERROR(compact_internal::DeleteSuperseded(
      storage, *catalog, options.grace, absl::FromUnixNanos(clock->NowNanos()),
      options.dry_run, repository_id, {}, &outcome));

  // Then merge. The generation must exceed that of every segment of the
  // timeline intersecting the run, used or superseded, and of any other
  // replacement named in the run's range (one the catalog refused).
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed,
                           storage->List(log_format::kLogPrefix));
  std::set<std::string> written;
  for (const std::vector<const SegmentInfo*>& run :
       ChooseRuns(catalog->segments(), options.target_size)) {
    CompactedRun r;
    r.timeline = run.front()->timeline;
    r.first_lsn = run.front()->first_lsn;
    r.last_lsn = run.back()->last_lsn;
    std::vector<SegmentInfo> sources;
    for (const SegmentInfo* s : run) {
      r.replaced.push_back(s->name);
      r.bytes_before += s->size;
      sources.push_back(*s);
    }
    uint32_t top = 0;
    auto consider = [&](TimelineId t, uint32_t g, Lsn first, Lsn last) {
      if (t == r.timeline && first <= r.last_lsn && last >= r.first_lsn) {
        top = std::max(top, g);
      }
    };
    for (const SegmentInfo& s : catalog->segments()) {
      consider(s.timeline, s.generation, s.first_lsn, s.last_lsn);
    }
    for (const SupersededSegment& s : catalog->superseded()) {
      consider(s.segment.timeline, s.segment.generation, s.segment.first_lsn,
               s.segment.last_lsn);
    }
    for (const ObjectInfo& o : listed) {
      TimelineId t;
      Lsn first;
      bool sealed;
      uint32_t g;
      if (ParseSegmentObjectName(o.name, &t, &first, &sealed, &g) && g > 0) {
        consider(t, g, first, first);
      }
    }
    log_format::ReplacementOptions ro;
    ro.generation = top + 1;
    ro.repository_id = repository_id;
    ro.compression_level = options.compression_level;
    ro.block_size = options.block_size;
    ro.create_time = clock->NowNanos();
    r.replacement =
        ReplacementSegmentObjectName(r.timeline, r.first_lsn, ro.generation);
    if (options.dry_run) {
      result.merged.push_back(std::move(r));
      continue;
    }
    absl::StatusOr<SegmentInfo> y =
        log_format::WriteReplacementSegment(storage, sources, ro);
    if (absl::IsAlreadyExists(y.status())) continue;  // Another compaction.
    WAYBACK_RETURN_IF_ERROR(y.status());
    absl::Status check = log_format::VerifyReplacementSegment(
        storage, r.replacement, r.replaced, repository_id);
    if (!check.ok()) {
      // Our own bad copy: readers must not keep preferring it.
      absl::Status d = storage->Delete(r.replacement);
      return absl::Status(check.code(),
                          absl::StrCat(check.message(),
                                       d.ok() ? "; replacement deleted"
                                              : "; deleting it failed too: ",
                                       d.ok() ? "" : d.message()));
    }
    r.bytes_after = y->size;
    written.insert(r.replacement);
    result.merged.push_back(std::move(r));
  }

  // With a short grace the runs just written may already be due.
  if (!options.dry_run && !written.empty()) {
    WAYBACK_ASSIGN_OR_RETURN(catalog, repository.ReadCatalog());
    compact_internal::SupersededOutcome now_due;
    WAYBACK_RETURN_IF_ERROR(compact_internal::DeleteSuperseded(
        storage, *catalog, options.grace,
        absl::FromUnixNanos(clock->NowNanos()), false, repository_id, written,
        &now_due));
    outcome.deleted.insert(outcome.deleted.end(), now_due.deleted.begin(),
                           now_due.deleted.end());
    outcome.waiting = std::move(now_due.waiting);
  }
  std::sort(outcome.deleted.begin(), outcome.deleted.end());
  result.deleted = std::move(outcome.deleted);
  result.waiting = std::move(outcome.waiting);
  if (options.dry_run) {
    // The originals of the runs would wait for the grace period (or, with
    // none, be deleted at once).
    for (const CompactedRun& r : result.merged) {
      auto& into = options.grace <= absl::ZeroDuration() ? result.deleted
                                                         : result.waiting;
      into.insert(into.end(), r.replaced.begin(), r.replaced.end());
    }
    std::sort(result.deleted.begin(), result.deleted.end());
    std::sort(result.waiting.begin(), result.waiting.end());
  }
  return result;
}

}  // namespace wayback
