// Copyright 2026 The Wayback Authors.
//
// BuildSnapshot: a snapshot made from the repository itself. The log from
// the newest usable snapshot to the target is replayed through the restore
// path into a collector that keeps only the keys it changes (their final
// value or their removal), never the whole state; the new snapshot is then
// the base's pairs merged with those changes in one sorted pass. The
// expected digest is the base's digest adjusted by the changes, computed
// apart from the writer's, and the published object is read back and
// verified before it counts as made.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "src/recovery/internal.h"
#include "src/util/errors.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

// The state changes of a stretch of log: key -> final value (nullopt:
// removed). Sees every record through the batched apply, restore points
// included, so that it knows the last record's time and source position.
class ChangeCollector : public StateTarget {
 public:
  absl::StatusOr<bool> IsEmpty() override { return true; }
  absl::Status Clear() override { return absl::OkStatus(); }
  // The base is read later, by the merge; loading it here would hold it.
  absl::Status LoadSnapshot(SnapshotReader*) override {
    return absl::OkStatus();
  }
  absl::Status ApplyTransaction(const LogRecord& record) override {
    Note(record);
    auto it = record.mutations();
    MutationView m;
    while (it.Next(&m)) {
      if (m.type == MutationType::kPut) {
        changes_[AV(m.key)] = std::string(m.value);
      } else {
        changes_[AV(m.key)] = std::nullopt;
      }
    }
    return absl::OkStatus();
  }
  absl::Status ApplyTransactionBatch(
      std::span<const LogRecord> records) override {
    for (const LogRecord& r : records) {
      if (r.type == RecordType::kTransaction) {
        WAYBACK_RETURN_IF_ERROR(ApplyTransaction(r));
      } else {
        Note(r);
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<StateDigest> Digest() override {
    return absl::UnimplementedError("change collector");
  }
  absl::Status ForEach(
      const std::function<bool(std::string_view, std::string_view)>&) override {
    return absl::UnimplementedError("change collector");
  }
  absl::StatusOr<std::optional<std::string>> Get(std::string_view) override {
    return absl::UnimplementedError("change collector");
  }

  // The changes sorted by key.
  std::vector<std::pair<std::string, std::optional<std::string>>> Sorted() {
    std::vector<std::pair<std::string, std::optional<std::string>>> out(
        std::make_move_iterator(changes_.begin()),
        std::make_move_iterator(changes_.end()));
    changes_.clear();
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
  }

  std::optional<CommitTime> last_time;
  std::optional<CommitTime> max_time;
  std::optional<uint64_t> last_position;
  Lsn last_lsn = kNoLsn;
  uint64_t records = 0;

 private:
  void Note(const LogRecord& r) {
    ++records;
    last_lsn = r.lsn;
    last_time = r.commit_time;
    max_time = std::max(max_time.value_or(r.commit_time), r.commit_time);
    if (r.source_position) last_position = r.source_position;
  }

  absl::flat_hash_map<std::string, std::optional<std::string>> changes_;
};

}  // namespace

std::string BuildSnapshotResult::ToString() const {
  std::string s;
  if (!created) {
    absl::StrAppend(&s, "snapshot ", snapshot.name, " already exists (lsn ",
                    snapshot.lsn, ", ", snapshot.pair_count, " pairs)\n");
    return s;
  }
  if (snapshot.kind == SnapshotKind::kDelta) {
    absl::StrAppend(&s, "built delta snapshot ", snapshot.name, " (lsn ",
                    snapshot.lsn, ", ", snapshot.entry_count, " entries of ",
                    snapshot.pair_count, " pairs, ", snapshot.size,
                    " bytes, chain depth ", snapshot.chain_depth, ")\n");
  } else {
    absl::StrAppend(&s, "built snapshot ", snapshot.name, " (lsn ",
                    snapshot.lsn, ", ", snapshot.pair_count, " pairs, ",
                    snapshot.size, " bytes)\n");
  }
  absl::StrAppend(&s, "  from:     ",
                  base.empty() ? std::string("the empty state") : base.back(),
                  " + ", log_records, " log records (", changed_keys,
                  " keys changed)\n");
  absl::StrAppend(&s, "  digest:   ", snapshot.digest.ToString(),
                  " (verified after publishing)\n");
  absl::StrAppend(&s, "  took:     ", absl::FormatDuration(elapsed), "\n");
  return s;
}

absl::StatusOr<BuildSnapshotResult> BuildSnapshot(
    const Repository& repository, const BuildSnapshotOptions& options) {
  const absl::Time start = absl::Now();
  Storage* storage = repository.storage();
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                           repository.ReadCatalog());
  WAYBACK_ASSIGN_OR_RETURN(RecoveryPlan plan,
                           PlanRecovery(*catalog, options.target));
  if (options.kind != BuildSnapshotOptions::Kind::kFull && plan.snapshot &&
      plan.last_lsn != kNoLsn) {
    // A delta starts from the newest snapshot at or before the target, not
    // the one a restore would find cheapest to read: its changes are the
    // fewest, and the chain grows from its newest member.
    const SnapshotInfo* newest = nullptr;
    for (const SnapshotInfo& s : catalog->snapshots()) {
      if (s.timeline == plan.snapshot->timeline && s.lsn > plan.snapshot->lsn &&
          s.lsn <= plan.last_lsn && s.lsn >= plan.window.earliest_lsn &&
          (newest == nullptr || s.lsn > newest->lsn ||
           (s.lsn == newest->lsn && s.kind == SnapshotKind::kFull))) {
        newest = &s;
      }
    }
    if (newest != nullptr) {
      WAYBACK_ASSIGN_OR_RETURN(RecoveryPlan from_newest,
                               recovery_internal::PlanReplayBetween(
                                   *catalog, *newest, plan.last_lsn));
      from_newest.target = plan.target;
      from_newest.last_included = plan.last_included;
      from_newest.first_excluded = plan.first_excluded;
      plan = std::move(from_newest);
    }
  }
  BuildSnapshotResult result;
  auto cancelled = [&] {
    return options.cancel != nullptr && options.cancel->load();
  };
  if (plan.last_lsn == kNoLsn) {
    return absl::FailedPreconditionError(
        absl::StrCat("target ", plan.target.ToString(),
                     " is the empty state (lsn 0): nothing to snapshot"));
  }
  if (plan.snapshot && plan.snapshot->lsn == plan.last_lsn) {
    result.snapshot = *plan.snapshot;
    result.created = false;
    result.elapsed = absl::Now() - start;
    return result;
  }

  // What killed builds left behind (a live writer's temporary is locked and
  // stays).
  WAYBACK_ASSIGN_OR_RETURN(
      result.removed_temporaries,
      storage->RemoveStaleTemporaries("snap/", absl::ZeroDuration()));

  // The changes since the base, through the restore path (timelines, the
  // exact stop, every block verified).
  ChangeCollector changes;
  RestoreOptions ro;
  ro.threads = options.threads;
  WAYBACK_RETURN_IF_ERROR(Restore(storage, plan, &changes, ro).status());
  if (changes.last_lsn != plan.last_lsn || !changes.last_time) {
    return absl::InternalError(
        absl::StrCat("replay for the snapshot ended at lsn ", changes.last_lsn,
                     ", not at the planned lsn ", plan.last_lsn));
  }
  if (cancelled()) return absl::CancelledError("snapshot build cancelled");
  result.log_records = changes.records;
  std::vector<std::pair<std::string, std::optional<std::string>>> sorted =
      changes.Sorted();
  result.changed_keys = sorted.size();

  std::unique_ptr<SnapshotReader> base;
  StateDigest expected;
  if (plan.snapshot) {
    std::vector<std::string> names;
    for (const SnapshotInfo& m : plan.snapshot_chain) names.push_back(m.name);
    if (names.size() > 1) {
      WAYBACK_ASSIGN_OR_RETURN(base, OpenSnapshotChain(storage, names));
    } else {
      WAYBACK_ASSIGN_OR_RETURN(
          base, SnapshotReader::Open(storage, plan.snapshot->name));
    }
    if (base->info().digest != plan.snapshot->digest) {
      return absl::FailedPreconditionError(
          absl::StrCat("snapshot ", plan.snapshot->name,
                       " changed since the plan was made"));
    }
    expected = base->info().digest;
    result.base = std::move(names);
  }

  // Full or delta.
  const bool can_delta = base != nullptr && repository.identity().has_value();
  bool delta = options.kind == BuildSnapshotOptions::Kind::kDelta;
  if (delta && !can_delta) {
    return absl::FailedPreconditionError(
        base == nullptr
            ? absl::StrCat("a delta snapshot at lsn ", plan.last_lsn,
                           " needs a snapshot before it to be the base; "
                           "there is none (build a full one first)")
            : std::string("delta snapshots need snapshot format 2, which "
                          "needs the repository's identity object "
                          "(repositories created before it cannot hold "
                          "deltas)"));
  }
  if (options.kind == BuildSnapshotOptions::Kind::kAuto && can_delta) {
    // What a restore through the chain reads: every member's entries. A
    // delta is worth it while that stays within twice the state's pairs
    // (appends never pass it; rewriting the same keys over and over does).
    uint64_t chain_entries = sorted.size();
    for (const SnapshotInfo& m : plan.snapshot_chain) {
      chain_entries +=
          m.kind == SnapshotKind::kDelta ? m.entry_count : m.pair_count;
    }
    delta = plan.snapshot->chain_depth + 1 <=
                static_cast<uint32_t>(std::max(options.max_chain_depth, 0)) &&
            chain_entries <= 2 * base->info().pair_count;
  }

  SnapshotWriterOptions wo;
  wo.timeline = plan.target.timeline;
  wo.lsn = plan.last_lsn;
  wo.commit_time = *changes.last_time;
  if (options.block_size > 0) wo.block_size = options.block_size;
  if (delta) {
    wo.format_version = 2;
    wo.kind = SnapshotKind::kDelta;
    wo.base = base.get();
    wo.max_commit_time =
        std::max(*changes.max_time, plan.snapshot->max_commit_time);
    wo.last_source_position = changes.last_position
                                  ? changes.last_position
                                  : plan.snapshot->last_source_position;
  }
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotWriter> writer,
                           SnapshotWriter::Create(storage, wo));

  // One sorted merge of the base's pairs with the changes; the expected
  // digest follows the changes alone (old pair out, new pair in).
  std::unique_ptr<SnapshotIterator> it = base ? base->NewIterator() : nullptr;
  std::string_view bk, bv;
  bool have_base = it != nullptr && it->Next(&bk, &bv);
  size_t ci = 0;
  uint64_t steps = 0;
  while (have_base || ci < sorted.size()) {
    if (++steps % 4096 == 0 && cancelled()) {
      return absl::CancelledError("snapshot build cancelled");
    }
    const bool take_change =
        ci < sorted.size() && (!have_base || sorted[ci].first <= bk);
    if (!take_change) {
      if (!delta) WAYBACK_RETURN_IF_ERROR(writer->Add(bk, bv));
      have_base = it->Next(&bk, &bv);
      continue;
    }
    const auto& [key, value] = sorted[ci++];
    const bool in_base = have_base && key == bk;
    // A delta holds exactly the keys whose value differs from the base's.
    const bool changed = in_base ? (!value || *value != bv) : value.has_value();
    if (in_base) {
      if (changed) expected.Remove(bk, bv);
      if (delta && changed && !value) {
        WAYBACK_RETURN_IF_ERROR(writer->AddDelete(key));
      }
      if (!delta && !changed) WAYBACK_RETURN_IF_ERROR(writer->Add(bk, bv));
      have_base = it->Next(&bk, &bv);
      if (!changed) continue;
    }
    if (value) {
      expected.Add(key, *value);
      WAYBACK_RETURN_IF_ERROR(writer->Add(key, *value));
    }
  }
  if (it != nullptr) WAYBACK_RETURN_IF_ERROR(it->status());
  WAYBACK_ASSIGN_OR_RETURN(SnapshotInfo info, writer->Finish());
  // Read back what the storage holds (every block and the digest) and
  // compare with the digest the base and the log give. A snapshot that fails
  // is removed: no restore may start from it.
  absl::Status bad;
  if (info.digest != expected) {
    bad = absl::DataLossError(
        absl::StrCat("snapshot ", info.name, " was written with digest ",
                     info.digest.ToString(), " but the base and the log give ",
                     expected.ToString()));
  } else {
    // A delta is verified with its chain: every member, every step's base
    // digest and the state's digest.
    std::vector<std::string> chain = result.base;
    chain.push_back(info.name);
    absl::StatusOr<std::unique_ptr<SnapshotReader>> check =
        delta ? OpenSnapshotChain(storage, chain)
              : SnapshotReader::Open(storage, info.name);
    bad = check.ok() ? (*check)->Verify() : check.status();
    if (bad.ok() && delta) {
      absl::StatusOr<std::unique_ptr<SnapshotReader>> alone =
          SnapshotReader::Open(storage, info.name);
      bad = alone.status();
      if (bad.ok()) info = (*alone)->info();
    } else if (bad.ok()) {
      info = (*check)->info();
    }
  }
  if (!bad.ok()) {
    absl::Status removed = storage->Delete(info.name);
    return absl::Status(
        bad.code(),
        absl::StrCat(bad.message(), "; ",
                     removed.ok() ? std::string("the new snapshot was removed")
                                  : absl::StrCat("removing it failed too (",
                                                 removed.message(),
                                                 "): delete it by hand")));
  }
  result.snapshot = info;
  result.created = true;
  result.elapsed = absl::Now() - start;
  return result;
}

absl::StatusOr<std::unique_ptr<SnapshotReader>> OpenSnapshotState(
    const Repository& repository, std::string_view name) {
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                           repository.ReadCatalog());
  for (const SnapshotInfo& s : catalog->snapshots()) {
    if (s.name != name) continue;
    std::vector<std::string> names;
    for (const SnapshotInfo& m : catalog->SnapshotChain(s)) {
      names.push_back(m.name);
    }
    return OpenSnapshotChain(repository.storage(), names);
  }
  for (const CatalogProblem& p : catalog->problems()) {
    if (p.object == name) {
      return absl::NotFoundError(
          absl::StrCat(AV(name), " is not a usable snapshot: ", AV(p.message)));
    }
  }
  return absl::NotFoundError(
      absl::StrCat(AV(name), " is not a snapshot of the repository"));
}

}  // namespace wayback
