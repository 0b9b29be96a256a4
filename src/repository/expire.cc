// Copyright 2026 The Wayback Authors.
//
// ExpireRepository (include/wayback/expire.h). Two catalogs are read: one
// that includes the objects pending in intents (what exists: retention
// decides on it) and the ordinary one (what readers use: the window before
// and after is reported from it). The decision is made once per run, from
// the window alone; carrying out an intent re-checks each listed object
// against that decision, so an intent never deletes what has become needed.
// The horizon is written before the first intent or deletion, so a mirror
// pass never copies back an object whose deletion has begun.

#include "wayback/expire.h"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/storage/expire_format.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback {
namespace {

// The start of the timeline's last window: from there to its newest commit
// every instant restores (older windows, such as a pinned snapshot alone,
// are not part of it).
std::optional<RestorableStart> FirstRestorable(const Catalog& catalog,
                                               TimelineId timeline) {
  std::optional<RestorableStart> out;
  for (const RecoverableWindow& w : catalog.windows()) {
    if (w.timeline == timeline) {
      out = RestorableStart{w.timeline, w.earliest_lsn, w.earliest_time};
    }
  }
  return out;
}

absl::Status Refuse(std::string_view what) {
  return absl::FailedPreconditionError(
      absl::StrCat("expire: refusing, nothing deleted: ", AV(what)));
}

// Catalog problems that say nothing about the window: a writer's stray
// temporary, the torn tail cut from a live segment, a live segment left
// beside its sealed copy.
bool Tolerated(absl::StatusCode code) {
  return code == absl::StatusCode::kAborted ||
         code == absl::StatusCode::kOutOfRange ||
         code == absl::StatusCode::kAlreadyExists;
}

std::string HolesText(const RepositoryDescription& d, TimelineId timeline) {
  std::vector<std::string> holes;
  for (const LogHole& h : d.holes) {
    if (h.timeline == timeline) {
      holes.push_back(absl::StrCat("lsn ", h.first_missing, "..",
                                   h.last_missing, " missing"));
    }
  }
  return holes.empty() ? ""
                       : absl::StrCat(" (", absl::StrJoin(holes, ", "), ")");
}

}  // namespace

std::vector<PathPiece> ExpirePath(const Catalog& catalog) {
  const RepositoryDescription d = DescribeCatalog(catalog);
  if (!d.newest_commit) return {};
  return {PathPiece{d.newest_commit->timeline, 1, d.newest_commit->lsn}};
}

std::vector<std::string> ExpendableObjects(
    const Catalog& catalog, TimelineId timeline, Lsn base_lsn,
    const std::vector<std::string>& pinned) {
  const std::set<std::string> pins(pinned.begin(), pinned.end());
  // Snapshots kept: everything off the path or at/above the base, and pinned
  // ones, each with its whole chain.
  std::set<std::string> keep;
  for (const SnapshotInfo& s : catalog.snapshots()) {
    if (s.timeline != timeline || s.lsn >= base_lsn || pins.count(s.name)) {
      keep.insert(s.name);
      for (const SnapshotInfo& m : catalog.SnapshotChain(s))
        keep.insert(m.name);
    }
  }
  // Ordered items: (key LSN, rank, name). Superseded originals (rank 0) go
  // before their replacement (rank 1); snapshots (rank 2) after the segments
  // that end where they stand.
  std::vector<std::tuple<Lsn, int, std::string>> items;
  std::map<std::string, const SnapshotInfo*> snapshots;
  for (const SnapshotInfo& s : catalog.snapshots()) {
    if (s.timeline == timeline && !keep.count(s.name)) {
      snapshots[s.name] = &s;
      items.emplace_back(s.lsn, 2, s.name);
    }
  }
  // The segment holding the timeline's newest LSN always stays: a writer
  // reopening the log continues after it.
  const SegmentInfo* newest = nullptr;
  for (const SegmentInfo& s : catalog.segments()) {
    if (s.timeline == timeline) newest = &s;
  }
  std::map<std::string, Lsn> replacements;
  for (const SegmentInfo& s : catalog.segments()) {
    if (s.timeline == timeline && s.sealed && &s != newest &&
        s.last_lsn <= base_lsn) {
      items.emplace_back(s.last_lsn, 1, s.name);
      replacements[s.name] = s.last_lsn;
    }
  }
  for (const SupersededSegment& s : catalog.superseded()) {
    auto r = replacements.find(s.replaced_by);
    if (r != replacements.end())
      items.emplace_back(r->second, 0, s.segment.name);
  }
  std::sort(items.begin(), items.end());
  // A delta goes before its base: before a snapshot, every expendable
  // snapshot whose chain holds it, newest first.
  std::map<std::string, std::vector<const SnapshotInfo*>> dependants;
  for (const auto& [name, s] : snapshots) {
    for (const SnapshotInfo& m : catalog.SnapshotChain(*s)) {
      if (m.name != name) dependants[m.name].push_back(s);
    }
  }
  std::vector<std::string> out;
  std::set<std::string> emitted;
  for (const auto& item : items) {
    const std::string& name = std::get<2>(item);
    if (emitted.count(name)) continue;
    if (std::get<1>(item) == 2) {
      std::vector<const SnapshotInfo*> d = dependants[name];
      std::sort(d.begin(), d.end(),
                [](const SnapshotInfo* a, const SnapshotInfo* b) {
                  return a->lsn > b->lsn;
                });
      for (const SnapshotInfo* s : d) {
        if (emitted.insert(s->name).second) out.push_back(s->name);
      }
    }
    if (emitted.insert(name).second) out.push_back(name);
  }
  return out;
}

namespace {

absl::StatusOr<ExpireResult> ExpireOnce(const Repository& repository,
                                        const ExpireOptions& options) {
  if (options.keep <= absl::ZeroDuration() || options.keep_snapshots < 0 ||
      options.grace < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "expire: the window (keep) must be positive, and keep_snapshots and "
        "the grace period not negative");
  }
  Clock* clock = options.clock != nullptr ? options.clock : Clock::Real();
  Storage* storage = repository.storage();
  ExpireResult result;
  result.now = options.now ? *options.now : clock->NowNanos();
  result.window_start = result.now - absl::ToInt64Nanoseconds(options.keep);

  CatalogOptions everything;
  everything.include_expiring = true;
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                           Catalog::Open(storage, everything));
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> readers,
                           repository.ReadCatalog());
  const std::vector<PathPiece> path = ExpirePath(*catalog);
  if (path.empty()) {
    result.note = "the repository holds no history yet";
    return result;
  }
  const TimelineId tl = path.back().timeline;
  const Lsn newest = path.back().last_lsn;
  result.timeline = tl;
  result.restorable_before = FirstRestorable(*readers, tl);
  result.restorable_after = result.restorable_before;

  // The window must run, hole-free, from its start to the newest commit.
  const RepositoryDescription description = DescribeCatalog(*catalog);
  std::vector<const RecoverableWindow*> windows;
  for (const RecoverableWindow& w : catalog->windows()) {
    if (w.timeline == tl) windows.push_back(&w);
  }
  if (windows.empty() || windows.back()->latest_lsn < newest) {
    return Refuse(absl::StrCat(
        "a hole in the window: the newest commit (timeline ", tl, " lsn ",
        newest, ") cannot be restored", HolesText(description, tl),
        "; see `wayback info` and `wayback verify`"));
  }
  const RecoverableWindow& last = *windows.back();
  if (result.window_start < last.earliest_time) {
    if (windows.size() > 1 || !HolesText(description, tl).empty()) {
      return Refuse(absl::StrCat(
          "a hole in the window: ", FormatCommitTime(result.window_start),
          " (the window's start) "
          "to ",
          FormatCommitTime(last.earliest_time), " cannot be restored",
          HolesText(description, tl)));
    }
    result.note = absl::StrCat(
        "the repository's history starts inside the window (its earliest "
        "restorable state is ",
        last.earliest_lsn == 0 ? "the empty state"
                               : FormatCommitTime(last.earliest_time),
        "); nothing to expire");
    return result;
  }

  // The stop of a restore to the window's start.
  Lsn stop = last.latest_lsn;
  if (result.window_start < last.latest_time) {
    RecoveryTarget at = RecoveryTarget::Time(result.window_start);
    at.timeline = tl;
    WAYBACK_ASSIGN_OR_RETURN(RecoveryPlan plan, PlanRecovery(*catalog, at));
    stop = plan.last_lsn;
  }
  // The base: the newest snapshot of the last window at or before the stop
  // (of several at one LSN, the one with the shortest chain).
  std::vector<const SnapshotInfo*> in_window;
  for (const SnapshotInfo& s : catalog->snapshots()) {
    if (s.timeline == tl && s.lsn >= last.earliest_lsn &&
        s.lsn <= last.latest_lsn) {
      in_window.push_back(&s);
    }
  }
  const SnapshotInfo* base = nullptr;
  for (const SnapshotInfo* s : in_window) {
    if (s->lsn > stop) continue;
    if (base == nullptr || s->lsn > base->lsn ||
        (s->lsn == base->lsn && s->chain_depth < base->chain_depth)) {
      base = s;
    }
  }
  if (base == nullptr) {
    result.note =
        "the window starts before the first snapshot and the log runs from "
        "LSN 1 (the empty state): everything is needed; nothing to expire";
    return result;
  }
  // keep_snapshots: at least N snapshots (distinct LSNs) newer than the
  // base; each step back makes the old base one of them.
  {
    std::set<Lsn> newer;
    for (const SnapshotInfo* s : in_window) {
      if (s->lsn > base->lsn) newer.insert(s->lsn);
    }
    while (static_cast<int>(newer.size()) < options.keep_snapshots) {
      const SnapshotInfo* older = nullptr;
      for (const SnapshotInfo* s : in_window) {
        if (s->lsn < base->lsn &&
            (older == nullptr || s->lsn > older->lsn ||
             (s->lsn == older->lsn && s->chain_depth < older->chain_depth))) {
          older = s;
        }
      }
      if (older == nullptr) break;
      newer.insert(base->lsn);
      base = older;
    }
  }
  result.base = *base;
  const Lsn b = base->lsn;

  // Problems at or above the base (or of no object we can place) could
  // break the window: refuse.
  std::vector<std::string> problems;
  for (const CatalogProblem& p : catalog->problems()) {
    if (Tolerated(p.code)) continue;
    const ObjectName o = ClassifyObject(p.object);
    if ((o.kind == ObjectKind::kSegment || o.kind == ObjectKind::kSnapshot) &&
        o.timeline == tl && o.lsn <= b) {
      continue;  // Before the window's base: expiry's to remove, not ours.
    }
    problems.push_back(absl::StrCat(p.object, ": ", p.message));
  }
  std::vector<std::pair<std::string, absl::Status>> damaged_intents;
  using Intents = std::map<std::string, expire_format::Intent>;
  WAYBACK_ASSIGN_OR_RETURN(
      Intents intents, expire_format::ReadIntents(storage, &damaged_intents));
  for (const auto& d : damaged_intents) {
    problems.push_back(std::string(d.second.message()));
  }
  if (!problems.empty()) {
    return Refuse(
        absl::StrCat("the repository has problems that could break "
                     "the window (run `wayback verify`): ",
                     absl::StrJoin(problems, "; ")));
  }

  WAYBACK_ASSIGN_OR_RETURN(std::vector<SnapshotPin> pin_list,
                           ListPins(repository));
  std::vector<std::string> pinned;
  for (const SnapshotPin& p : pin_list) pinned.push_back(p.snapshot);
  const std::vector<std::string> expendable =
      ExpendableObjects(*catalog, tl, b, pinned);
  {
    const std::vector<std::string> unpinned =
        ExpendableObjects(*catalog, tl, b, {});
    const std::set<std::string> e(expendable.begin(), expendable.end());
    for (const std::string& n : unpinned) {
      if (!e.count(n)) result.pinned.push_back(n);
    }
    std::sort(result.pinned.begin(), result.pinned.end());
  }
  if (expendable.empty() && intents.empty()) {
    result.restorable_after = result.restorable_before;
    return result;
  }

  // The base chain must restore: read every block and the digest.
  {
    std::vector<std::string> chain;
    for (const SnapshotInfo& m : catalog->SnapshotChain(*base)) {
      chain.push_back(m.name);
    }
    absl::StatusOr<std::unique_ptr<SnapshotReader>> reader =
        OpenSnapshotChain(storage, chain);
    absl::Status v = reader.ok() ? (*reader)->Verify() : reader.status();
    if (!v.ok()) {
      return absl::Status(
          v.code(),
          absl::StrCat("expire: refusing, nothing deleted: the "
                       "window's base snapshot ",
                       base->name, " (chain ", absl::StrJoin(chain, ", "),
                       ") does not verify: ", v.message()));
    }
  }

  // Sizes, and what is still there.
  std::map<std::string, uint64_t> present;
  for (std::string_view prefix : {"log/", "snap/"}) {
    WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed,
                             storage->List(prefix));
    for (const ObjectInfo& o : listed) present[o.name] = o.size;
  }
  auto object = [&present](const std::string& name) {
    auto it = present.find(name);
    return ExpireObject{name, it == present.end() ? 0 : it->second};
  };

  // Intents: carried out when past the grace period, cancelled when they
  // list an object the window needs now (its expendable objects are listed
  // again, so their grace starts over), pending otherwise.
  const std::set<std::string> expendable_set(expendable.begin(),
                                             expendable.end());
  const absl::Time wall_now = absl::FromUnixNanos(clock->NowNanos());
  std::set<std::string> due, listed_pending;
  std::vector<std::string> intents_due, intents_cancelled;
  for (const auto& [name, intent] : intents) {
    bool needed = false;
    for (const expire_format::IntentEntry& e : intent.objects) {
      if (present.count(e.name) && !expendable_set.count(e.name)) {
        needed = true;
        result.reprieved.push_back(e.name);
      }
    }
    if (needed) {
      intents_cancelled.push_back(name);
      continue;
    }
    bool past_grace = options.grace <= absl::ZeroDuration();
    if (!past_grace) {
      absl::StatusOr<ObjectInfo> stat = storage->Stat(name);
      if (absl::IsNotFound(stat.status())) continue;  // Done meanwhile.
      WAYBACK_RETURN_IF_ERROR(stat.status());
      past_grace =
          stat->modified && wall_now - *stat->modified >= options.grace;
    }
    for (const expire_format::IntentEntry& e : intent.objects) {
      (past_grace ? due : listed_pending).insert(e.name);
    }
    if (past_grace) intents_due.push_back(name);
  }
  std::sort(result.reprieved.begin(), result.reprieved.end());
  std::vector<std::string> to_list;  // For a new intent, in order.
  for (const std::string& n : expendable) {
    if (due.count(n) || listed_pending.count(n)) continue;
    if (options.grace <= absl::ZeroDuration()) {
      due.insert(n);
    } else {
      to_list.push_back(n);
    }
  }
  std::vector<std::string> order;  // The deletions, in expendable order.
  for (const std::string& n : expendable) {
    if (due.count(n) && present.count(n)) {
      order.push_back(n);
    } else if (!due.count(n)) {
      result.deferred.push_back(object(n));
      result.deferred_bytes += object(n).size;
    }
  }

  if (options.dry_run) {
    for (const std::string& n : order) {
      result.deleted.push_back(object(n));
      result.deleted_bytes += object(n).size;
    }
    if (!expendable.empty()) {
      result.restorable_after =
          RestorableStart{tl, base->lsn, base->commit_time};
    }
    return result;
  }

  if (!expendable.empty()) {
    result.horizon = expire_format::HorizonObjectName(tl, b);
    absl::Status h = storage->WriteAll(result.horizon, "");
    if (!h.ok() && !absl::IsAlreadyExists(h)) {
      return absl::Status(
          h.code(),
          absl::StrCat("expire: writing ", result.horizon, ": ", h.message()));
    }
  }
  if (!to_list.empty()) {
    expire_format::Intent intent;
    intent.created = clock->NowNanos();
    for (const std::string& n : to_list) {
      intent.objects.push_back({n, object(n).size});
    }
    WAYBACK_ASSIGN_OR_RETURN(std::string bytes,
                             expire_format::EncodeIntent(intent));
    const std::string name = expire_format::IntentObjectName(
        intent.created, absl::Uniform<uint32_t>(absl::BitGen()));
    WAYBACK_RETURN_IF_ERROR(storage->WriteAll(name, bytes));
    result.intents_written.push_back(name);
  }
  // Cancelled intents go once their objects are listed again (above).
  for (const std::string& name : intents_cancelled) {
    WAYBACK_RETURN_IF_ERROR(storage->Delete(name));
  }
  for (const std::string& n : order) {
    absl::Status d = storage->Purge(n);
    if (absl::IsFailedPrecondition(d)) {  // Object Lock: kept, reported.
      result.locked.push_back(object(n));
      continue;
    }
    if (!d.ok()) {
      return absl::Status(
          d.code(), absl::StrCat("expire: deleting ", n, ": ", d.message()));
    }
    result.deleted.push_back(object(n));
    result.deleted_bytes += object(n).size;
    if (options.after_delete) {
      WAYBACK_RETURN_IF_ERROR(options.after_delete(n));
    }
  }
  for (const std::string& name : intents_due) {
    WAYBACK_RETURN_IF_ERROR(storage->Delete(name));
    result.intents_done.push_back(name);
  }
  // Older horizons of the timeline are implied by the new one.
  if (!result.horizon.empty()) {
    WAYBACK_ASSIGN_OR_RETURN(
        std::vector<ObjectInfo> horizons,
        storage->List(std::string(expire_format::kPrefix) + "horizon-"));
    for (const ObjectInfo& o : horizons) {
      TimelineId t;
      Lsn l;
      if (expire_format::ParseHorizonObjectName(o.name, &t, &l) && t == tl &&
          l < b) {
        WAYBACK_RETURN_IF_ERROR(storage->Delete(o.name));
      }
    }
  }
  WAYBACK_ASSIGN_OR_RETURN(readers, repository.ReadCatalog());
  result.restorable_after = FirstRestorable(*readers, tl);
  return result;
}

}  // namespace

absl::StatusOr<ExpireResult> ExpireRepository(const Repository& repository,
                                              const ExpireOptions& options) {
  // An object listed and then gone before it was read (a live segment a
  // writer sealed, an object another expire or compaction deleted) is not
  // damage: decide again from a fresh listing, a few times.
  absl::StatusOr<ExpireResult> r;
  for (int attempt = 0; attempt < 4; ++attempt) {
    r = ExpireOnce(repository, options);
    if (!absl::IsNotFound(r.status())) break;
  }
  return r;
}

}  // namespace wayback
