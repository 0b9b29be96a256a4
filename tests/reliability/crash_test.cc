// Copyright 2026 The Wayback Authors.
//
// Crash and durability in process, through FaultInjectionStorage:
//  - power loss (every CrashMode, with and without losing unsynced
//    creations) at a random moment while several threads commit in synced
//    mode with small blocks and segments (group commits, rolls);
//  - failing I/O: the n-th create / open / write / sync / rename / close
//    fails with EIO or ENOSPC, for every n of a reference workload;
//  - a restore abandoned half-way, then restored again.
// The oracle is what the test submitted and what the writer acknowledged.
// Figures go to results/power_loss.json, results/failing_io.json and
// results/restore_crash.json.

#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/reliability/reliability_util.h"
#include "tests/testutil/fault_injection_storage.h"
#include "tests/testutil/testutil.h"
#include "wayback/recovery.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"

namespace wayback::reliability {
namespace {

using ::wayback::testing::CrashMode;
using ::wayback::testing::CrashOptions;
using ::wayback::testing::FaultInjectionStorage;
using ::wayback::testing::FaultKind;
using ::wayback::testing::FaultOp;

bool ParseTag(const Rec& r, int* thread, int* seq) {
  if (r.mutations.empty()) return false;
  return std::sscanf(r.mutations[0].key.c_str(), "tag/%d/%d", thread, seq) == 2;
}

struct Oracle {
  std::mutex mu;
  std::map<Lsn, std::pair<int, int>> acked;  // LSN -> (thread, seq).
};

struct Verdict {
  int64_t acked = 0, lost = 0, holes = 0, phantom = 0, mismatched = 0;
};

// Reads the log back and compares it with the acknowledgements.
Verdict Check(Storage* s, uint64_t seed, const Oracle& o, std::string* why) {
  Verdict v;
  v.acked = static_cast<int64_t>(o.acked.size());
  LogReadout got = ReadLog(s);
  if (!got.status.ok()) {
    *why = got.status.ToString();
    ++v.lost;
    return v;
  }
  std::map<Lsn, const Rec*> by_lsn;
  Lsn expect = 1;
  for (const Rec& r : got.records) {
    if (r.lsn != expect) ++v.holes;
    expect = r.lsn + 1;
    by_lsn[r.lsn] = &r;
    int thread, seq;
    if (r.type != RecordType::kTransaction || !ParseTag(r, &thread, &seq)) {
      ++v.phantom;
      continue;
    }
    Transaction want = Tagged(seed, thread, seq);
    if (r.mutations != want.mutations || r.txid != want.txid) ++v.phantom;
  }
  for (const auto& [lsn, who] : o.acked) {
    auto it = by_lsn.find(lsn);
    if (it == by_lsn.end()) {
      ++v.lost;
      *why = absl::StrCat("acknowledged LSN ", lsn, " missing");
      continue;
    }
    int thread, seq;
    if (!ParseTag(*it->second, &thread, &seq) ||
        std::make_pair(thread, seq) != who) {
      ++v.mismatched;
      *why = absl::StrCat("LSN ", lsn, " holds another transaction");
    }
  }
  return v;
}

LogWriterOptions SmallSynced() {
  LogWriterOptions wo;
  wo.durability = Durability::kSync;
  wo.block_size = 300;
  wo.segment_max_bytes = 1500;
  wo.segment_max_age = absl::Hours(1000);
  return wo;
}

TEST(PowerLoss, NoAcknowledgedTransactionIsLost) {
  const int trials = static_cast<int>(
      EnvInt("WAYBACK_POWER_LOSS_TRIALS", FullMode() ? 6000 : 1200));
  Results fig("power_loss");
  Verdict total;
  int64_t crashes_simulated = 0, reopen_failures = 0, torn_cut = 0;
  const CrashMode modes[] = {CrashMode::kDropUnsynced,
                             CrashMode::kDropRandomSuffix,
                             CrashMode::kTornWrite};
  for (int trial = 0; trial < trials; ++trial) {
    std::mt19937_64 rng(trial);
    auto mem = NewMemoryStorage();
    FaultInjectionStorage fs(mem.get());
    Oracle oracle;
    const uint64_t seed = 1000 + trial;
    // Several lives: crash, reopen (recovery), write more, crash again.
    const int lives = 1 + static_cast<int>(rng() % 3);
    int seq_base = 0;
    for (int life = 0; life < lives; ++life) {
      // Half the lives buffer and Sync() now and then, so that a crash finds
      // unsynced bytes (torn tails); a buffered record is acknowledged once
      // a Sync() that began after its Append() returned succeeds.
      const bool buffered = rng() % 2 == 1;
      LogWriterOptions wo = SmallSynced();
      if (buffered) wo.durability = Durability::kBuffered;
      auto w = LogWriter::Open(&fs, wo);
      if (!w.ok()) {
        ++reopen_failures;
        ADD_FAILURE() << "trial " << trial << ": reopen: " << w.status();
        break;
      }
      if ((*w)->open_report().torn_bytes > 0) ++torn_cut;
      const int threads = 1 + static_cast<int>(rng() % 3);
      const int per_thread = 1 + static_cast<int>(rng() % 12);
      const int crash_after =
          static_cast<int>(rng() % (threads * per_thread + 1));
      std::atomic<int> done{0};
      std::vector<std::thread> pool;
      for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
          std::vector<std::pair<Lsn, int>> pending;
          for (int i = 0; i < per_thread; ++i) {
            const int seq = seq_base + i;
            auto lsn = (*w)->Append(Tagged(seed, t, seq));
            if (!lsn.ok()) return;
            if (buffered) {
              pending.emplace_back(*lsn, seq);
              if (i % 3 != 2) continue;
              if (!(*w)->Sync().ok()) return;
            } else {
              pending.emplace_back(*lsn, seq);
            }
            {
              std::lock_guard<std::mutex> l(oracle.mu);
              for (auto [l2, s2] : pending) oracle.acked[l2] = {t, s2};
            }
            done += static_cast<int>(pending.size());
            pending.clear();
          }
        });
      }
      // Crash while the committers run (or after they finish).
      if (buffered) {
        // Acknowledgements come in bursts: crash after a random pause, with
        // appends (synced or not) under way.
        for (int spin = static_cast<int>(rng() % 2000); spin > 0; --spin) {
          std::this_thread::yield();
        }
      } else {
        while (done.load() < crash_after) std::this_thread::yield();
      }
      CrashOptions co;
      co.mode = modes[(trial + life) % 3];
      co.lose_unsynced_creations = ((trial / 3 + life) % 2) == 1;
      co.seed = rng();
      auto report = fs.SimulateCrash(co);
      ASSERT_TRUE(report.ok()) << report.status();
      ++crashes_simulated;
      for (auto& th : pool) th.join();
      w->reset();
      seq_base += per_thread;
    }
    // Recovery by the writer, then a clean close, then the check.
    {
      auto w = LogWriter::Open(&fs, SmallSynced());
      ASSERT_TRUE(w.ok()) << w.status();
      ASSERT_TRUE((*w)->Close().ok());
    }
    std::string why;
    Verdict v = Check(&fs, seed, oracle, &why);
    total.acked += v.acked;
    total.lost += v.lost;
    total.holes += v.holes;
    total.phantom += v.phantom;
    total.mismatched += v.mismatched;
    if (v.lost + v.holes + v.phantom + v.mismatched > 0) {
      ADD_FAILURE() << "trial " << trial << ": " << why;
    }
  }
  fig.Set("trials", trials);
  fig.Set("crashes_simulated", crashes_simulated);
  fig.Set("acknowledged", total.acked);
  fig.Set("acknowledged_lost", total.lost);
  fig.Set("holes", total.holes);
  fig.Set("never_submitted", total.phantom);
  fig.Set("lsn_content_mismatch", total.mismatched);
  fig.Set("torn_tails_cut_on_reopen", torn_cut);
  fig.Set("reopen_failures", reopen_failures);
  fig.Set("crashes", 0);
  fig.Write();
  EXPECT_EQ(total.lost + total.holes + total.phantom + total.mismatched, 0);
}

// The reference workload for failing I/O: 40 transactions, one thread, a
// roll every 10, then Close. Returns the first error (if any) and fills the
// oracle with what was acknowledged before it.
struct WorkloadRun {
  absl::Status first_error;
  bool accepted_after_error = false;
  int acks_after_error = 0;
};
WorkloadRun RunWorkload(Storage* s, uint64_t seed, Oracle* o) {
  WorkloadRun run;
  auto w = LogWriter::Open(s, SmallSynced());
  if (!w.ok()) {
    run.first_error = w.status();
    return run;
  }
  for (int i = 0; i < 40; ++i) {
    auto lsn = (*w)->Append(Tagged(seed, 0, i));
    if (lsn.ok()) {
      if (!run.first_error.ok()) ++run.acks_after_error;
      o->acked[*lsn] = {0, i};
    } else if (run.first_error.ok()) {
      run.first_error = lsn.status();
    }
    if (i % 10 == 9) {
      absl::Status r = (*w)->Roll();
      if (!r.ok() && run.first_error.ok()) run.first_error = r;
    }
  }
  absl::Status c = (*w)->Close();
  if (!c.ok() && run.first_error.ok()) run.first_error = c;
  return run;
}

TEST(FailingIo, EveryStepFailsOnceThenRecovers) {
  Results fig("failing_io");
  // Count each kind of operation in a fault-free run.
  std::map<FaultOp, int64_t> counts;
  {
    auto mem = NewMemoryStorage();
    FaultInjectionStorage fs(mem.get());
    Oracle o;
    WorkloadRun run = RunWorkload(&fs, 1, &o);
    ASSERT_TRUE(run.first_error.ok()) << run.first_error;
    for (FaultOp op : {FaultOp::kCreate, FaultOp::kOpenAppendable,
                       FaultOp::kWrite, FaultOp::kSync, FaultOp::kRename,
                       FaultOp::kClose, FaultOp::kDelete}) {
      counts[op] = fs.count(op);
    }
  }
  const char* names[] = {"create", "open_appendable", "write", "sync", "close",
                         "rename", "delete",          "read",  "list"};
  int64_t trials = 0, failed_as_expected = 0, named_path = 0, acks_after = 0,
          accepted_after = 0, lost = 0, holes = 0, phantom = 0,
          recover_failures = 0, verify_problems = 0;
  for (const auto& [op, n] : counts) {
    fig.Set(absl::StrCat("ops_", names[static_cast<int>(op)]), n);
    for (int64_t k = 1; k <= n; ++k) {
      for (FaultKind kind : {FaultKind::kEio, FaultKind::kEnospc}) {
        ++trials;
        auto mem = NewMemoryStorage();
        FaultInjectionStorage fs(mem.get());
        fs.FailNth(op, k, kind);
        Oracle o;
        const uint64_t seed = 77;
        WorkloadRun run = RunWorkload(&fs, seed, &o);
        const std::string what =
            absl::StrCat(names[static_cast<int>(op)], " #", k,
                         kind == FaultKind::kEio ? " EIO" : " ENOSPC");
        if (fs.injected_faults() == 0) continue;  // Not reached this time.
        if (run.first_error.ok()) {
          // A failed Delete of a leftover may be harmless; anything else
          // must surface.
          if (op != FaultOp::kDelete) {
            ADD_FAILURE() << what << ": the injected fault was swallowed";
          }
        } else {
          ++failed_as_expected;
          if (std::string(run.first_error.message()).find("log/") !=
              std::string::npos) {
            ++named_path;
          } else {
            ADD_FAILURE() << what
                          << ": error names no object: " << run.first_error;
          }
        }
        if (run.acks_after_error > 0) {
          acks_after += run.acks_after_error;
          ADD_FAILURE() << what << ": " << run.acks_after_error
                        << " appends acknowledged after the error";
        }
        // The fault clears; a new writer recovers; verification and replay
        // are clean and hold every acknowledged transaction.
        fs.ClearFaults();
        auto w = LogWriter::Open(&fs, SmallSynced());
        if (!w.ok()) {
          ++recover_failures;
          ADD_FAILURE() << what << ": reopen: " << w.status();
          continue;
        }
        auto after = (*w)->Append(Tagged(seed, 1, 0));
        if (!after.ok()) {
          ++recover_failures;
          ADD_FAILURE() << what << ": append after reopen: " << after.status();
        } else {
          o.acked[*after] = {1, 0};
        }
        ASSERT_TRUE((*w)->Close().ok());
        auto report = VerifyRepository(&fs, {});
        if (!report.ok() || !report->ok()) {
          ++verify_problems;
          ADD_FAILURE() << what << ": verify: "
                        << (report.ok() ? report->ToString()
                                        : report.status().ToString());
        }
        std::string why;
        Verdict v = Check(&fs, seed, o, &why);
        lost += v.lost + v.mismatched;
        holes += v.holes;
        phantom += v.phantom;
        if (v.lost + v.holes + v.phantom + v.mismatched > 0) {
          ADD_FAILURE() << what << ": " << why;
        }
      }
    }
  }
  // After an error the writer refuses every call until reopened.
  {
    auto mem = NewMemoryStorage();
    FaultInjectionStorage fs(mem.get());
    auto w = LogWriter::Open(&fs, SmallSynced());
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(Tagged(5, 0, 0)).ok());
    fs.FailNth(FaultOp::kSync, 1, FaultKind::kEio);
    auto failed = (*w)->Append(Tagged(5, 0, 1));
    EXPECT_FALSE(failed.ok());
    auto next = (*w)->Append(Tagged(5, 0, 2));
    EXPECT_EQ(next.status().code(), absl::StatusCode::kFailedPrecondition)
        << next.status();
    if (next.ok()) ++accepted_after;
    EXPECT_FALSE((*w)->Sync().ok());
  }
  fig.Set("trials", trials);
  fig.Set("errors_reported", failed_as_expected);
  fig.Set("errors_naming_object", named_path);
  fig.Set("acks_after_error", acks_after);
  fig.Set("accepted_after_error", accepted_after);
  fig.Set("acknowledged_lost", lost);
  fig.Set("holes", holes);
  fig.Set("never_submitted", phantom);
  fig.Set("recovery_failures", recover_failures);
  fig.Set("verify_problems_after_recovery", verify_problems);
  fig.Set("crashes", 0);
  fig.Write();
}

// A restore abandoned half-way (the target fails after k transactions, as a
// process killed mid-restore would leave it), then restored again.
class FailingTarget : public StateTarget {
 public:
  FailingTarget(StateTarget* t, int fail_after) : t_(t), left_(fail_after) {}
  absl::StatusOr<bool> IsEmpty() override { return t_->IsEmpty(); }
  absl::Status Clear() override { return t_->Clear(); }
  absl::Status Begin(const RestoreMarker& m) override { return t_->Begin(m); }
  absl::Status LoadSnapshot(SnapshotReader* s) override {
    return t_->LoadSnapshot(s);
  }
  absl::Status ApplyTransaction(const LogRecord& r) override {
    if (left_-- <= 0) return absl::InternalError("killed (simulated)");
    return t_->ApplyTransaction(r);
  }
  absl::Status Finish(const RestoreMarker& m) override { return t_->Finish(m); }
  absl::StatusOr<std::optional<RestoreMarker>> ReadMarker() override {
    return t_->ReadMarker();
  }
  absl::StatusOr<StateDigest> Digest() override { return t_->Digest(); }
  absl::Status ForEach(
      const std::function<bool(std::string_view, std::string_view)>& fn)
      override {
    return t_->ForEach(fn);
  }
  absl::StatusOr<std::optional<std::string>> Get(std::string_view k) override {
    return t_->Get(k);
  }

 private:
  StateTarget* t_;
  int left_;
};

TEST(RestoreCrash, AbandonedRestoreIsIncompleteAndRestoresAgainExactly) {
  ReferenceOptions o;
  o.leave_live = false;
  o.transactions = 120;
  auto ref = BuildReferenceLog(o);
  ASSERT_TRUE(ref.ok()) << ref.status();
  std::map<std::string, std::string> state;
  for (const Rec& r : ref->records) {
    for (const Mutation& m : r.mutations) {
      if (m.type == MutationType::kPut) {
        state[m.key] = m.value;
      } else {
        state.erase(m.key);
      }
    }
  }
  StateDigest want;
  for (const auto& [k, v] : state) want.Add(k, v);
  auto s = Materialize(ref->image);
  auto catalog = Catalog::Open(s.get());
  ASSERT_TRUE(catalog.ok());
  auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
  ASSERT_TRUE(plan.ok()) << plan.status();
  Results fig("restore_crash");
  int64_t trials = 0, incomplete_marked = 0, same_digest = 0;
  for (int fail_after : {0, 1, 17, 60, 110}) {
    wayback::testing::TempDir dir;
    const std::string path = dir.path() + "/db";
    {
      auto target = OpenRocksDBTarget(path);
      ASSERT_TRUE(target.ok()) << target.status();
      FailingTarget failing(target->get(), fail_after);
      RestoreOptions ro;
      ro.threads = 1;
      auto result = Restore(s.get(), *plan, &failing, ro);
      EXPECT_FALSE(result.ok());
    }
    ++trials;
    {
      auto target = OpenRocksDBTarget(path);
      ASSERT_TRUE(target.ok()) << target.status();
      auto marker = (*target)->ReadMarker();
      ASSERT_TRUE(marker.ok()) << marker.status();
      ASSERT_TRUE(marker->has_value()) << "no restore marker after Begin";
      EXPECT_FALSE((*marker)->complete);
      if (!(*marker)->complete) ++incomplete_marked;
      // Restoring over it needs force, then yields the exact state.
      auto refused = Restore(s.get(), *plan, target->get(), {});
      EXPECT_EQ(refused.status().code(), absl::StatusCode::kFailedPrecondition)
          << refused.status();
      RestoreOptions ro;
      ro.force = true;
      auto again = Restore(s.get(), *plan, target->get(), ro);
      ASSERT_TRUE(again.ok()) << again.status();
      auto d = (*target)->Digest();
      ASSERT_TRUE(d.ok());
      EXPECT_EQ(*d, want);
      if (*d == want) ++same_digest;
      auto m2 = (*target)->ReadMarker();
      ASSERT_TRUE(m2.ok() && m2->has_value());
      EXPECT_TRUE((*m2)->complete);
    }
  }
  fig.Set("abandoned_trials", trials);
  fig.Set("marked_incomplete", incomplete_marked);
  fig.Set("restored_again_same_digest", same_digest);
  fig.Write();
}

}  // namespace
}  // namespace wayback::reliability
