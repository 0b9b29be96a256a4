// Copyright 2026 The Wayback Authors.
//
// GenerateRepository(): the workload generator written through the public
// LogWriter and snapshot APIs, exactly as an application would, with the state
// kept in a std::map so that snapshots can be cut from it in key order.

#include <map>
#include <string>

#include "absl/strings/str_cat.h"
#include "src/workload/workload.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"
#include "wayback/status.h"

namespace wayback {
namespace {

class Model {
 public:
  void Apply(const Transaction& t, StateDigest* digest, uint64_t* deletes) {
    for (const Mutation& m : t.mutations) {
      auto it = state_.find(m.key);
      if (m.type == MutationType::kDelete) ++*deletes;
      if (it != state_.end()) {
        digest->Remove(it->first, it->second);
        if (m.type == MutationType::kDelete) {
          state_.erase(it);
          continue;
        }
        it->second = m.value;
        digest->Add(m.key, m.value);
      } else if (m.type == MutationType::kPut) {
        state_.emplace(m.key, m.value);
        digest->Add(m.key, m.value);
      }
    }
  }
  const std::map<std::string, std::string>& state() const { return state_; }

 private:
  std::map<std::string, std::string> state_;
};

}  // namespace

absl::Status RequireNewRepository(const Repository& repository) {
  WAYBACK_ASSIGN_OR_RETURN(bool history, repository.HasHistory());
  if (history) {
    return absl::FailedPreconditionError(
        absl::StrCat(repository.uri(),
                     " already holds a repository; choose a new or empty "
                     "location"));
  }
  return absl::OkStatus();
}

absl::StatusOr<GenerateResult> GenerateRepository(
    Storage* storage, const GenerateOptions& options) {
  RepositoryOptions ro;
  ro.source = "gen";
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Repository> repository,
                           Repository::Attach(storage, /*create=*/true, ro));
  return GenerateRepository(repository.get(), options);
}

absl::StatusOr<GenerateResult> GenerateRepository(
    Repository* repository, const GenerateOptions& options) {
  WAYBACK_RETURN_IF_ERROR(RequireNewRepository(*repository));
  Storage* storage = repository->storage();
  ManualClock clock(options.workload.start_time);
  LogWriterOptions w;
  w.durability = Durability::kBuffered;
  w.clock = &clock;
  w.segment_max_bytes = options.segment_max_bytes;
  w.segment_max_age = options.segment_max_age;
  WAYBACK_ASSIGN_OR_RETURN(auto writer, LogWriter::Open(storage, w));

  GenerateResult r;
  Model model;
  const int64_t every = absl::ToInt64Nanoseconds(options.snapshot_every);
  CommitTime next_snapshot =
      every > 0 ? options.workload.start_time + every : INT64_MAX;
  Lsn snapshot_lsn = kNoLsn;
  WorkloadGenerator gen(options.workload);
  WorkloadEvent e;
  while (gen.Next(&e)) {
    // A snapshot is cut from the state before the first event at or past the
    // boundary, labelled with the last LSN written so far.
    if (e.commit_time >= next_snapshot) {
      while (next_snapshot <= e.commit_time) next_snapshot += every;
      if (r.last_lsn != kNoLsn && r.last_lsn != snapshot_lsn) {
        WAYBACK_RETURN_IF_ERROR(writer->Sync());
        SnapshotWriterOptions so;
        so.lsn = r.last_lsn;
        so.commit_time = r.last_commit_time;
        auto it = model.state().begin();
        WAYBACK_RETURN_IF_ERROR(
            WriteSnapshot(storage, so,
                          [&](std::string_view* k, std::string_view* v) {
                            if (it == model.state().end()) return false;
                            *k = it->first;
                            *v = it->second;
                            ++it;
                            return true;
                          })
                .status());
        snapshot_lsn = r.last_lsn;
        ++r.snapshots;
      }
    }
    clock.Set(e.commit_time);
    if (e.kind == WorkloadEvent::Kind::kRestorePoint) {
      WAYBACK_ASSIGN_OR_RETURN(r.last_lsn, writer->AppendRestorePoint(
                                               e.restore_point, e.commit_time));
      ++r.restore_points;
    } else {
      WAYBACK_ASSIGN_OR_RETURN(r.last_lsn, writer->Append(e.txn));
      ++r.transactions;
      r.mutations += e.txn.mutations.size();
      model.Apply(e.txn, &r.final_digest, &r.deletes);
    }
    if (r.first_commit_time == 0) r.first_commit_time = e.commit_time;
    r.last_commit_time = e.commit_time;
    if (options.progress && r.transactions % 4096 == 0) {
      options.progress(e.commit_time, r.transactions);
    }
  }
  WAYBACK_RETURN_IF_ERROR(writer->Sync());
  WAYBACK_RETURN_IF_ERROR(writer->Close());
  return r;
}

}  // namespace wayback
