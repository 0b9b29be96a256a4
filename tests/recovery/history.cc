// Copyright 2026 The Wayback Authors.

#include "tests/recovery/history.h"

#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "wayback/clock.h"
#include "wayback/status.h"

namespace wayback::testing {

std::vector<Entry> MakeHistory(const HistoryOptions& options) {
  std::mt19937_64 gen(options.seed);
  auto uniform = [&](uint64_t n) { return gen() % n; };
  std::vector<Entry> out;
  CommitTime t = options.start_time;
  uint64_t next_txid = 1000;
  int tie_run = 0;
  for (int i = 0; i < options.entries; ++i) {
    Entry e;
    e.lsn = static_cast<Lsn>(i + 1);
    if (i > 0) {
      if (tie_run > 0) {
        --tie_run;  // Same commit time as the previous entry.
      } else {
        uint64_t r = uniform(100);
        if (r < 8) {
          tie_run = static_cast<int>(uniform(25));  // A long run of ties.
        } else if (r < 25) {
          // A single tie.
        } else if (r < 45) {
          t += 1;  // Neighbours 1 ns apart.
        } else if (r < 90) {
          t += 1 + static_cast<CommitTime>(uniform(2'000'000));
        } else {
          t += static_cast<CommitTime>(uniform(30)) * 1'000'000'000 + 7;
        }
      }
    }
    e.txn.commit_time = t;
    if (uniform(100) < 4) {
      e.restore_point = true;
      // A few names repeat: the first occurrence is the target.
      e.name = absl::StrCat("rp-", uniform(100) < 20 ? uniform(3) : i);
    } else {
      if (uniform(100) < 70) e.txn.txid = next_txid += 1 + uniform(3);
      int n = uniform(100) < 3 ? 0 : 1 + static_cast<int>(uniform(5));
      for (int m = 0; m < n; ++m) {
        std::string key = absl::StrFormat(
            "key-%04d", static_cast<int>(uniform(options.keys)));
        if (uniform(100) < 25) {
          e.txn.Delete(key);
        } else {
          std::string value = absl::StrCat("v", i, "-", m, "-");
          value.append(uniform(40), static_cast<char>('a' + uniform(26)));
          if (uniform(100) < 3) value.clear();
          e.txn.Put(key, value);
        }
      }
    }
    out.push_back(std::move(e));
  }
  return out;
}

absl::StatusOr<std::vector<Lsn>> WriteHistory(
    Storage* storage, const std::vector<Entry>& history,
    const WriteOptions& options, std::unique_ptr<LogWriter>* keep_open) {
  ManualClock clock(history.empty() ? 0 : history.front().time());
  LogWriterOptions wo;
  wo.durability = Durability::kBuffered;
  wo.block_size = options.block_size;
  wo.segment_max_bytes = options.segment_max_bytes;
  wo.segment_max_age = absl::Hours(24 * 365);
  wo.clock = &clock;
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<LogWriter> writer,
                           LogWriter::Open(storage, wo));
  std::mt19937_64 gen(options.seed);
  std::uniform_real_distribution<double> coin(0, 1);
  for (const Entry& e : history) {
    clock.Set(e.time());
    Lsn lsn;
    if (e.restore_point) {
      WAYBACK_ASSIGN_OR_RETURN(lsn,
                               writer->AppendRestorePoint(e.name, e.time()));
    } else {
      WAYBACK_ASSIGN_OR_RETURN(lsn, writer->Append(e.txn));
    }
    if (lsn != e.lsn) {
      return absl::InternalError(
          absl::StrCat("writer gave lsn ", lsn, " for entry ", e.lsn));
    }
    if (coin(gen) < options.roll_probability) {
      WAYBACK_RETURN_IF_ERROR(writer->Roll());
    }
  }
  if (keep_open != nullptr) {
    // The last segment stays live, as a running writer leaves it.
    WAYBACK_RETURN_IF_ERROR(writer->Sync());
    *keep_open = std::move(writer);
  } else {
    WAYBACK_RETURN_IF_ERROR(writer->Close());
  }
  std::vector<Lsn> starts;
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects,
                           storage->List("log/"));
  for (const ObjectInfo& o : objects) {
    TimelineId tl;
    Lsn first;
    bool sealed;
    if (ParseSegmentObjectName(o.name, &tl, &first, &sealed)) {
      starts.push_back(first);
    }
  }
  return starts;
}

ModelState StateAt(const std::vector<Entry>& history, Lsn stop) {
  ModelState state;
  for (const Entry& e : history) {
    if (e.lsn > stop) break;
    for (const Mutation& m : e.txn.mutations) {
      if (m.type == MutationType::kPut) {
        state[m.key] = m.value;
      } else {
        state.erase(m.key);
      }
    }
  }
  return state;
}

absl::StatusOr<SnapshotInfo> WriteModelSnapshot(
    Storage* storage, const std::vector<Entry>& history, Lsn lsn,
    size_t block_size) {
  ModelState state = StateAt(history, lsn);
  SnapshotWriterOptions so;
  so.lsn = lsn;
  so.commit_time = lsn == kNoLsn ? 0 : history[lsn - 1].time();
  so.block_size = block_size;
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotWriter> w,
                           SnapshotWriter::Create(storage, so));
  for (const auto& [k, v] : state) WAYBACK_RETURN_IF_ERROR(w->Add(k, v));
  return w->Finish();
}

ModelResolution Resolve(const std::vector<Entry>& history,
                        const RecoveryTarget& target) {
  using Kind = RecoveryTarget::Kind;
  ModelResolution r;
  const Lsn last = history.empty() ? kNoLsn : history.back().lsn;
  auto admits = [&](CommitTime t) {
    return target.inclusive ? t <= target.time : t < target.time;
  };
  switch (target.kind) {
    case Kind::kLatest:
      r.stop = last;
      break;
    case Kind::kSnapshotOnly:
      r.code = absl::StatusCode::kUnimplemented;  // Not modelled here.
      return r;
    case Kind::kLsn:
      r.stop = target.inclusive ? target.lsn : target.lsn - 1;
      if (r.stop > last) r.code = absl::StatusCode::kFailedPrecondition;
      break;
    case Kind::kTime: {
      // Everything admitted up to the last known commit, and nothing after
      // it may be admitted (later commits are unknown).
      if (!history.empty() && admits(history.back().time() + 1)) {
        r.code = absl::StatusCode::kFailedPrecondition;
        return r;
      }
      r.stop = kNoLsn;
      for (const Entry& e : history) {
        if (admits(e.time())) r.stop = e.lsn;
      }
      break;
    }
    case Kind::kTxid:
    case Kind::kRestorePoint: {
      std::optional<Lsn> found;
      for (const Entry& e : history) {
        bool match = target.kind == Kind::kTxid
                         ? (!e.restore_point && e.txn.txid == target.txid)
                         : (e.restore_point && e.name == target.restore_point);
        if (match) {
          found = e.lsn;
          break;
        }
      }
      if (!found) {
        r.code = absl::StatusCode::kNotFound;
        return r;
      }
      r.stop = (target.kind == Kind::kTxid && !target.inclusive) ? *found - 1
                                                                 : *found;
      break;
    }
  }
  if (r.code != absl::StatusCode::kOk) return r;
  for (const Entry& e : history) {
    if (e.restore_point) continue;
    CommitRef ref{e.lsn, e.time(), e.txn.txid};
    if (e.lsn <= r.stop) {
      r.last_included = ref;
    } else if (!r.first_excluded) {
      r.first_excluded = ref;
    }
  }
  return r;
}

StateDigest DigestOf(const ModelState& state) {
  StateDigest d;
  for (const auto& [k, v] : state) d.Add(k, v);
  return d;
}

}  // namespace wayback::testing
