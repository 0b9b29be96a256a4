// Copyright 2026 The Wayback Authors.
//
// The exact-recovery oracle: for boundary and random targets of every kind,
// the plan's stop and neighbouring commits, and the restored state (digest
// and every key/value) into memory, partitioned-memory and RocksDB targets
// (direct, and staged with the settings `wayback restore` uses,
// RocksDBTargetOptions::ForRestore(), sometimes under a memory bound small
// enough to spill sorted runs), must equal the reference model of
// tests/recovery/history.h. Unreachable targets must be refused with the right
// code before anything is applied.
//
// WAYBACK_FULL=1 runs bigger histories and more random targets.

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/recovery/internal.h"
#include "tests/recovery/history.h"
#include "tests/testutil/testutil.h"
#include "wayback/recovery.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"

namespace wayback::testing {
namespace {

using ::testing::HasSubstr;

bool Full() {
  const char* f = std::getenv("WAYBACK_FULL");
  return f != nullptr && std::string(f) == "1";
}

std::string RefString(const std::optional<CommitRef>& r) {
  if (!r) return "none";
  return absl::StrCat(r->lsn, "@", r->commit_time, "/",
                      r->txid ? absl::StrCat(*r->txid) : "-");
}

// Hides the snapshots of a repository: its catalog sees only the log, so
// every plan starts from the empty state.
class NoSnapshots : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) override {
    if (prefix.substr(0, 5) == "snap/") return std::vector<ObjectInfo>();
    return StorageWrapper::List(prefix);
  }
};

enum class TargetKind { kMemory, kPartitioned, kRocksDB, kRocksDBStaged };

struct Counts {
  int planned = 0;
  int refused = 0;
  int memory = 0;
  int partitioned = 0;
  int rocksdb = 0;
  int rocksdb_staged = 0;
};

class OracleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    HistoryOptions ho;
    ho.entries = Full() ? 8000 : 2000;
    ho.seed = 20261125;
    history_ = new std::vector<Entry>(MakeHistory(ho));
    storage_ = NewMemoryStorage().release();
    WriteOptions wo;
    auto starts = WriteHistory(storage_, *history_, wo);
    ASSERT_TRUE(starts.ok()) << starts.status();
    segment_starts_ = new std::vector<Lsn>(*starts);
    ASSERT_GT(segment_starts_->size(), 10u);
    // Snapshots in awkward places: the first LSN, both sides of segment
    // boundaries, a restore point, inside a run of ties, the last LSN.
    std::set<Lsn> at = {1, history_->back().lsn};
    at.insert((*segment_starts_)[3]);
    at.insert((*segment_starts_)[5] - 1);
    for (const Entry& e : *history_) {
      if (e.restore_point && e.lsn > 100) {
        at.insert(e.lsn);
        break;
      }
    }
    for (size_t i = 600; i + 2 < history_->size(); ++i) {
      const auto& h = *history_;
      if (h[i - 1].time() == h[i].time() && h[i].time() == h[i + 1].time()) {
        at.insert(h[i].lsn);
        break;
      }
    }
    at.insert(history_->size() / 2 + 3);
    snapshots_ = new std::vector<SnapshotInfo>();
    for (Lsn lsn : at) {
      auto info = WriteModelSnapshot(storage_, *history_, lsn);
      ASSERT_TRUE(info.ok()) << info.status();
      snapshots_->push_back(*info);
    }
    auto catalog = Catalog::Open(storage_);
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    catalog_ = catalog->release();
    ASSERT_TRUE(catalog_->problems().empty())
        << catalog_->problems()[0].object << ": "
        << catalog_->problems()[0].message;
    // RocksDB's flush + sync per restore dominates on a disk; a tmpfs keeps
    // hundreds of RocksDB restores affordable (the behaviour is the same).
    if (std::getenv("TMPDIR") == nullptr &&
        std::filesystem::is_directory("/dev/shm")) {
      setenv("TMPDIR", "/dev/shm", 0);
    }
    rocks_dir_ = new TempDir();
    auto rocks = OpenRocksDBTarget(rocks_dir_->path() + "/db");
    ASSERT_TRUE(rocks.ok()) << rocks.status();
    rocks_ = rocks->release();
    auto staged = OpenRocksDBTarget(rocks_dir_->path() + "/staged",
                                    RocksDBTargetOptions::ForRestore(2));
    ASSERT_TRUE(staged.ok()) << staged.status();
    rocks_staged_ = staged->release();
    counts_ = new Counts();
  }
  static void TearDownTestSuite() {
    std::printf(
        "oracle cases: %d planned and restored (%d memory, %d partitioned "
        "memory, %d RocksDB direct, %d RocksDB staged restores), %d refused "
        "as unreachable\n",
        counts_->planned, counts_->memory, counts_->partitioned,
        counts_->rocksdb, counts_->rocksdb_staged, counts_->refused);
    delete rocks_staged_;
    delete rocks_;
    delete rocks_dir_;
    delete catalog_;
    delete snapshots_;
    delete segment_starts_;
    delete storage_;
    delete history_;
    delete counts_;
  }

  static const std::vector<Entry>& history() { return *history_; }
  static CommitTime FirstTime() { return history_->front().time(); }
  static CommitTime LastTime() { return history_->back().time(); }
  static Lsn LastLsn() { return history_->back().lsn; }

  // Compares a restored target with the model's state at `stop`.
  static void ExpectState(StateTarget* target, Lsn stop,
                          const std::string& what) {
    ModelState model = StateAt(*history_, stop);
    auto digest = target->Digest();
    ASSERT_TRUE(digest.ok()) << digest.status();
    EXPECT_EQ(*digest, DigestOf(model)) << what;
    std::vector<std::pair<std::string, std::string>> got;
    ASSERT_TRUE(target
                    ->ForEach([&](std::string_view k, std::string_view v) {
                      got.emplace_back(std::string(k), std::string(v));
                      return true;
                    })
                    .ok());
    std::vector<std::pair<std::string, std::string>> want(model.begin(),
                                                          model.end());
    ASSERT_EQ(got.size(), want.size()) << what;
    for (size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(got[i], want[i]) << what << " pair " << i;
    }
  }

  // Plans and restores `target`, checking everything against the model.
  static void Check(const RecoveryTarget& target, TargetKind kind,
                    int threads) {
    const std::string what =
        absl::StrCat(target.ToString(), " into ", static_cast<int>(kind),
                     " threads ", threads);
    ModelResolution m = Resolve(*history_, target);
    absl::StatusOr<RecoveryPlan> plan = PlanRecovery(*catalog_, target);
    if (m.code != absl::StatusCode::kOk) {
      ASSERT_FALSE(plan.ok()) << what << " should be refused, got plan\n"
                              << plan->ToString();
      EXPECT_EQ(plan.status().code(), m.code) << what << plan.status();
      const std::string msg(plan.status().message());
      EXPECT_THAT(msg, HasSubstr("earliest reachable: lsn 0")) << what;
      EXPECT_THAT(msg,
                  HasSubstr(absl::StrCat("latest reachable: lsn ", LastLsn(),
                                         " at ", FormatCommitTime(LastTime()))))
          << what;
      ++counts_->refused;
      return;
    }
    ASSERT_TRUE(plan.ok()) << what << ": " << plan.status();
    EXPECT_EQ(plan->last_lsn, m.stop) << what;
    EXPECT_EQ(RefString(plan->last_included), RefString(m.last_included))
        << what;
    EXPECT_EQ(RefString(plan->first_excluded), RefString(m.first_excluded))
        << what;
    // The newest snapshot at or before the stop.
    std::optional<SnapshotInfo> want_snap;
    for (const SnapshotInfo& s : *snapshots_) {
      if (s.lsn <= m.stop) want_snap = s;
    }
    ASSERT_EQ(plan->snapshot.has_value(), want_snap.has_value()) << what;
    if (want_snap) {
      EXPECT_EQ(plan->snapshot->lsn, want_snap->lsn) << what;
    }
    EXPECT_EQ(plan->first_lsn, (want_snap ? want_snap->lsn : 0) + 1) << what;

    std::unique_ptr<StateTarget> owned;
    StateTarget* t = nullptr;
    RestoreOptions ro;
    ro.threads = threads;
    switch (kind) {
      case TargetKind::kMemory:
        owned = NewMemoryTarget();
        ++counts_->memory;
        break;
      case TargetKind::kPartitioned:
        owned = NewMemoryTarget(3);
        ++counts_->partitioned;
        break;
      case TargetKind::kRocksDB: {
        // Alternate between a fresh database and reusing one with force
        // (Clear() first), which exercises both paths.
        if (counts_->rocksdb % 2 == 0) {
          t = rocks_;
          ro.force = true;
        } else {
          auto fresh = OpenRocksDBTarget(
              absl::StrCat(rocks_dir_->path(), "/fresh", counts_->rocksdb));
          ASSERT_TRUE(fresh.ok()) << fresh.status();
          owned = std::move(*fresh);
        }
        ++counts_->rocksdb;
        break;
      }
      case TargetKind::kRocksDBStaged: {
        // As `wayback restore` opens it, one partition per thread. In turn:
        // a reused database (force), a fresh one, and a fresh one whose
        // memory bound is small enough that partitions spill sorted runs
        // (merged with the tables when the SST files are written).
        const int turn = counts_->rocksdb_staged % 3;
        if (turn == 0) {
          t = rocks_staged_;
          ro.force = true;
        } else {
          RocksDBTargetOptions o = RocksDBTargetOptions::ForRestore(threads);
          if (turn == 2) o.stage_memory_limit = 64 << 10;
          auto fresh =
              OpenRocksDBTarget(absl::StrCat(rocks_dir_->path(), "/staged",
                                             counts_->rocksdb_staged),
                                o);
          ASSERT_TRUE(fresh.ok()) << fresh.status();
          owned = std::move(*fresh);
        }
        ++counts_->rocksdb_staged;
        break;
      }
    }
    if (t == nullptr) t = owned.get();
    absl::StatusOr<RestoreResult> r = Restore(storage_, *plan, t, ro);
    ASSERT_TRUE(r.ok()) << what << ": " << r.status();
    EXPECT_EQ(r->first_not_applied, m.stop + 1) << what;
    EXPECT_EQ(RefString(r->last_applied), RefString(m.last_included)) << what;
    ModelState model = StateAt(*history_, m.stop);
    ASSERT_TRUE(r->digest.has_value());
    EXPECT_EQ(*r->digest, DigestOf(model)) << what;
    // Transactions applied: exactly those after the snapshot.
    uint64_t txns = 0;
    for (const Entry& e : *history_) {
      if (!e.restore_point && e.lsn >= plan->first_lsn && e.lsn <= m.stop) {
        ++txns;
      }
    }
    EXPECT_EQ(r->transactions_applied, txns) << what;
    ExpectState(t, m.stop, what);
    auto marker = t->ReadMarker();
    ASSERT_TRUE(marker.ok());
    if (marker->has_value()) {
      EXPECT_TRUE((*marker)->complete) << what;
      EXPECT_EQ((*marker)->last_applied_lsn, m.stop) << what;
    }
    ++counts_->planned;
  }

  static void CheckAllTargets(const RecoveryTarget& target, int threads) {
    Check(target, TargetKind::kMemory, threads);
    Check(target, TargetKind::kPartitioned, threads);
    Check(target, TargetKind::kRocksDB, threads);
    Check(target, TargetKind::kRocksDBStaged, threads);
  }

  static std::vector<Entry>* history_;
  static std::vector<Lsn>* segment_starts_;
  static std::vector<SnapshotInfo>* snapshots_;
  static Storage* storage_;
  static Catalog* catalog_;
  static TempDir* rocks_dir_;
  static StateTarget* rocks_;
  static StateTarget* rocks_staged_;
  static Counts* counts_;
};

std::vector<Entry>* OracleTest::history_;
std::vector<Lsn>* OracleTest::segment_starts_;
std::vector<SnapshotInfo>* OracleTest::snapshots_;
Storage* OracleTest::storage_;
Catalog* OracleTest::catalog_;
TempDir* OracleTest::rocks_dir_;
StateTarget* OracleTest::rocks_;
StateTarget* OracleTest::rocks_staged_;
Counts* OracleTest::counts_;

TEST_F(OracleTest, CatalogSeesOneWindowFromTheEmptyState) {
  ASSERT_EQ(catalog_->windows().size(), 1u);
  const RecoverableWindow& w = catalog_->windows()[0];
  EXPECT_EQ(w.earliest_lsn, kNoLsn);
  EXPECT_EQ(w.latest_lsn, LastLsn());
  EXPECT_EQ(w.latest_time, LastTime());
  EXPECT_EQ(catalog_->segments().size(), segment_starts_->size());
  EXPECT_EQ(catalog_->snapshots().size(), snapshots_->size());
}

TEST_F(OracleTest, TimeBoundaries) {
  std::set<CommitTime> times = {FirstTime() - 1, FirstTime(), FirstTime() + 1,
                                LastTime() - 1,  LastTime(),  LastTime() + 1,
                                LastTime() + 2};
  const auto& h = history();
  // Every run of ties and every 1 ns neighbour pair, with their sides.
  for (size_t i = 1; i < h.size(); ++i) {
    if (h[i].time() == h[i - 1].time() || h[i].time() == h[i - 1].time() + 1) {
      times.insert(h[i].time() - 1);
      times.insert(h[i].time());
      times.insert(h[i].time() + 1);
    }
  }
  for (const SnapshotInfo& s : *snapshots_) {
    times.insert(s.commit_time - 1);
    times.insert(s.commit_time);
    times.insert(s.commit_time + 1);
  }
  for (Lsn start : *segment_starts_) {
    for (Lsn lsn : {start - 1, start}) {
      if (lsn < 1 || lsn > LastLsn()) continue;
      times.insert(h[lsn - 1].time() - 1);
      times.insert(h[lsn - 1].time());
      times.insert(h[lsn - 1].time() + 1);
    }
  }
  // Keep the explicit ends; sample the (many) tie and neighbour boundaries
  // unless WAYBACK_FULL=1.
  std::vector<CommitTime> list(times.begin(), times.end());
  if (!Full() && list.size() > 240) {
    std::mt19937_64 gen(11);
    std::shuffle(list.begin(), list.end(), gen);
    list.resize(240);
    for (CommitTime t :
         {FirstTime() - 1, FirstTime(), FirstTime() + 1, LastTime() - 1,
          LastTime(), LastTime() + 1, LastTime() + 2}) {
      list.push_back(t);
    }
    for (const SnapshotInfo& s : *snapshots_) list.push_back(s.commit_time);
  }
  int i = 0;
  for (CommitTime t : list) {
    for (bool inclusive : {true, false}) {
      ++i;
      // Every boundary into memory; some also into the partitioned memory
      // target and RocksDB (all of them with WAYBACK_FULL=1).
      if (Full() || i % 8 == 0) {
        CheckAllTargets(RecoveryTarget::Time(t, inclusive), 1 + i % 3);
      } else {
        Check(RecoveryTarget::Time(t, inclusive), TargetKind::kMemory,
              1 + i % 3);
      }
      if (HasFatalFailure()) return;
    }
  }
}

TEST_F(OracleTest, LsnBoundaries) {
  std::set<Lsn> lsns = {
      1, 2, LastLsn() - 1, LastLsn(), LastLsn() + 1, LastLsn() + 1000};
  for (const SnapshotInfo& s : *snapshots_) {
    lsns.insert(s.lsn - 1);
    lsns.insert(s.lsn);
    lsns.insert(s.lsn + 1);
  }
  for (Lsn start : *segment_starts_) {
    lsns.insert(start - 1);
    lsns.insert(start);
  }
  lsns.erase(0);
  int i = 0;
  for (Lsn lsn : lsns) {
    for (bool inclusive : {true, false}) {
      ++i;
      if (Full() || i % 6 == 0) {
        CheckAllTargets(RecoveryTarget::AtLsn(lsn, inclusive), 1 + i % 2);
      } else {
        Check(RecoveryTarget::AtLsn(lsn, inclusive), TargetKind::kMemory,
              1 + i % 2);
      }
      if (HasFatalFailure()) return;
    }
  }
  // LSN 0 inclusive is the empty state; exclusive is meaningless.
  CheckAllTargets(RecoveryTarget::AtLsn(0, true), 2);
  auto bad = PlanRecovery(*catalog_, RecoveryTarget::AtLsn(0, false));
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(OracleTest, TxidsAndRestorePoints) {
  std::vector<uint64_t> txids;
  std::set<std::string> names;
  for (const Entry& e : history()) {
    if (e.restore_point) names.insert(e.name);
    if (e.txn.txid) txids.push_back(*e.txn.txid);
  }
  ASSERT_GT(names.size(), 5u);
  std::vector<uint64_t> pick = {txids.front(), txids.back(), txids[1],
                                txids[txids.size() / 2]};
  std::mt19937_64 gen(5);
  for (int i = 0; i < 12; ++i) pick.push_back(txids[gen() % txids.size()]);
  pick.push_back(1);                   // Below every txid: absent.
  pick.push_back(txids.back() + 100);  // Absent.
  int i = 0;
  for (uint64_t txid : pick) {
    for (bool inclusive : {true, false}) {
      ++i;
      Check(RecoveryTarget::Txid(txid, inclusive),
            i % 4 == 0   ? TargetKind::kRocksDB
            : i % 4 == 2 ? TargetKind::kRocksDBStaged
                         : TargetKind::kMemory,
            2);
      if (HasFatalFailure()) return;
    }
  }
  for (const std::string& name : names) {
    Check(RecoveryTarget::RestorePoint(name), TargetKind::kMemory, 2);
    if (HasFatalFailure()) return;
  }
  Check(RecoveryTarget::RestorePoint("no-such-point"), TargetKind::kMemory, 2);
}

TEST_F(OracleTest, LatestAndSnapshotOnly) {
  CheckAllTargets(RecoveryTarget::Latest(), 2);
  auto plan = PlanRecovery(*catalog_, RecoveryTarget::SnapshotOnly());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(plan->snapshot.has_value());
  EXPECT_EQ(plan->snapshot->lsn, snapshots_->back().lsn);
  EXPECT_EQ(plan->last_lsn, snapshots_->back().lsn);
  EXPECT_TRUE(plan->segments.empty());
  auto target = NewMemoryTarget();
  auto r = Restore(storage_, *plan, target.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->transactions_applied, 0u);
  ExpectState(target.get(), snapshots_->back().lsn, "snapshot only");
}

TEST_F(OracleTest, RandomTargets) {
  const int n = Full() ? 10000 : 1000;
  std::mt19937_64 gen(42);
  const auto& h = history();
  auto pick = [&](uint64_t k) { return gen() % k; };
  for (int i = 0; i < n; ++i) {
    RecoveryTarget t;
    const bool inclusive = pick(2) == 0;
    switch (pick(6)) {
      case 0:
      case 1:
      case 2: {  // A time: near a commit, or anywhere in (or around) range.
        CommitTime base = h[pick(h.size())].time();
        CommitTime time =
            pick(2) == 0
                ? base + static_cast<CommitTime>(pick(3)) - 1
                : FirstTime() - 5 +
                      static_cast<CommitTime>(pick(static_cast<uint64_t>(
                          LastTime() - FirstTime() + 10)));
        t = RecoveryTarget::Time(time, inclusive);
        break;
      }
      case 3:
        t = RecoveryTarget::AtLsn(1 + pick(LastLsn() + 3), inclusive);
        break;
      case 4: {
        const Entry& e = h[pick(h.size())];
        t = RecoveryTarget::Txid(e.txn.txid ? *e.txn.txid : 7, inclusive);
        break;
      }
      default: {
        const Entry& e = h[pick(h.size())];
        t = e.restore_point ? RecoveryTarget::RestorePoint(e.name)
                            : RecoveryTarget::AtLsn(e.lsn, inclusive);
        break;
      }
    }
    const int every = Full() ? 10 : 40;
    TargetKind kind = i % every == 9    ? TargetKind::kRocksDB
                      : i % every == 29 ? TargetKind::kRocksDBStaged
                      : i % 10 >= 7     ? TargetKind::kPartitioned
                                        : TargetKind::kMemory;
    Check(t, kind, 1 + static_cast<int>(pick(3)));
    if (HasFatalFailure()) return;
  }
}

// Restoring from any snapshot S to a target at or after it gives the state
// that replay from the empty state gives (snapshots and log agree).
TEST_F(OracleTest, EverySnapshotAgreesWithReplayFromEmpty) {
  NoSnapshots log_only(storage_);
  auto empty_catalog = Catalog::Open(&log_only);
  ASSERT_TRUE(empty_catalog.ok());
  std::mt19937_64 gen(99);
  for (const SnapshotInfo& s : *snapshots_) {
    for (int i = 0; i < (Full() ? 60 : 12); ++i) {
      Lsn stop = s.lsn + (i == 0 ? 0 : gen() % (LastLsn() - s.lsn + 1));
      auto from_s = recovery_internal::PlanReplayBetween(*catalog_, s, stop);
      ASSERT_TRUE(from_s.ok()) << from_s.status();
      ASSERT_EQ(from_s->snapshot->lsn, s.lsn);
      auto from_empty =
          PlanRecovery(**empty_catalog, RecoveryTarget::AtLsn(stop));
      ASSERT_TRUE(from_empty.ok()) << from_empty.status();
      ASSERT_FALSE(from_empty->snapshot.has_value());
      auto a = NewMemoryTarget();
      auto b = NewMemoryTarget(2);
      auto ra = Restore(storage_, *from_s, a.get());
      auto rb = Restore(&log_only, *from_empty, b.get());
      ASSERT_TRUE(ra.ok()) << ra.status();
      ASSERT_TRUE(rb.ok()) << rb.status();
      EXPECT_EQ(*ra->digest, *rb->digest) << s.name << " to lsn " << stop;
      ExpectState(a.get(), stop, absl::StrCat(s.name, " to ", stop));
    }
  }
}

}  // namespace
}  // namespace wayback::testing
