// Copyright 2026 The Wayback Authors.
//
// BuildSnapshot: snapshots made from the repository's own log and snapshots,
// compared pair by pair with an independent model of the history (a
// std::map applied record by record), at many LSNs, each one built on the
// one before; and the refusals.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"
#include "wayback/clock.h"
#include "wayback/compact.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/rocksdb.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"

namespace wayback {
namespace {

using ::testing::HasSubstr;
using Model = std::map<std::string, std::string>;
namespace fs = std::filesystem;

// The pairs a target holds, in key order.
template <typename Target>
Model Contents(Target& target) {
  Model out;
  EXPECT_TRUE(target
                  .ForEach([&](std::string_view k, std::string_view v) {
                    out[std::string(k)] = std::string(v);
                    return true;
                  })
                  .ok());
  return out;
}

class BuildSnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto repo = Repository::Create(dir_.path() + "/repo");
    ASSERT_TRUE(repo.ok()) << repo.status();
    repo_ = *std::move(repo);
  }

  // Appends `n` random transactions (puts, overwrites, deletes of present
  // and absent keys, empty values) and restore points; the model after each
  // LSN is kept in states_[lsn].
  void Write(int n, uint64_t seed) {
    std::mt19937_64 rng(seed);
    LogWriterOptions o;
    o.durability = Durability::kBuffered;
    o.clock = &clock_;
    o.block_size = 700;
    o.segment_max_bytes = 4096;
    auto w = LogWriter::Open(repo_->storage(), o);
    ASSERT_TRUE(w.ok()) << w.status();
    if (states_.empty()) states_.push_back(Model());
    Model m = states_.back();
    for (int i = 0; i < n; ++i) {
      clock_.Advance(1000);
      if (rng() % 13 == 0) {
        auto lsn = (*w)->AppendRestorePoint(absl::StrCat("rp", states_.size()),
                                            clock_.NowNanos());
        ASSERT_TRUE(lsn.ok()) << lsn.status();
      } else {
        Transaction t;
        const int muts = 1 + rng() % 4;
        for (int j = 0; j < muts; ++j) {
          std::string k = absl::StrCat("k", rng() % 60);
          if (rng() % 4 == 0) {
            t.Delete(k);
            m.erase(k);
          } else {
            std::string v(rng() % 3 == 0 ? 0 : 1 + rng() % 90,
                          static_cast<char>('a' + rng() % 26));
            t.Put(k, v);
            m[k] = v;
          }
        }
        auto lsn = (*w)->Append(t);
        ASSERT_TRUE(lsn.ok()) << lsn.status();
      }
      states_.push_back(m);
    }
    ASSERT_TRUE((*w)->Close().ok());
  }

  Model Read(const std::string& name) {
    Model out;
    auto r = SnapshotReader::Open(repo_->storage(), name);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return out;
    auto it = (*r)->NewIterator();
    std::string_view k, v;
    while (it->Next(&k, &v)) out[std::string(k)] = std::string(v);
    EXPECT_TRUE(it->status().ok()) << it->status();
    return out;
  }

  testing::TempDir dir_;
  ManualClock clock_{1'700'000'000'000'000'000};
  std::unique_ptr<Repository> repo_;
  std::vector<Model> states_;  // states_[lsn]: the model after lsn.
};

TEST_F(BuildSnapshotTest, EachSnapshotEqualsTheModelAndTheNextBuildsOnIt) {
  Write(400, 7);
  std::mt19937_64 rng(11);
  std::vector<Lsn> points;
  for (Lsn l = 1; l < states_.size(); l += 1 + rng() % 60) points.push_back(l);
  points.push_back(states_.size() - 1);
  std::string previous;
  std::vector<std::string> built_names;
  for (Lsn l : points) {
    BuildSnapshotOptions o;
    o.target = RecoveryTarget::AtLsn(l);
    o.block_size = 256;  // Many blocks, so the merge crosses block edges.
    auto built = BuildSnapshot(*repo_, o);
    ASSERT_TRUE(built.ok()) << "lsn " << l << ": " << built.status();
    ASSERT_TRUE(built->created);
    EXPECT_EQ(built->snapshot.lsn, l);
    // The plan starts from the snapshot that reads the fewest bytes: one
    // built before (usually the previous one), or the empty state.
    if (previous.empty()) {
      EXPECT_TRUE(built->base.empty());
    } else {
      ASSERT_EQ(built->base.size(), 1u);
      EXPECT_TRUE(std::find(built_names.begin(), built_names.end(),
                            built->base[0]) != built_names.end())
          << built->base[0];
    }
    built_names.push_back(built->snapshot.name);
    EXPECT_EQ(Read(built->snapshot.name), states_[l]) << "lsn " << l;
    EXPECT_EQ(built->snapshot.pair_count, states_[l].size());
    previous = built->snapshot.name;
  }
  // The same point again: nothing written.
  BuildSnapshotOptions o;
  o.target = RecoveryTarget::AtLsn(points.back());
  auto again = BuildSnapshot(*repo_, o);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(again->created);
  EXPECT_EQ(again->snapshot.name, previous);
  // A restore starts from the newest snapshot and equals the model.
  auto catalog = repo_->ReadCatalog();
  ASSERT_TRUE(catalog.ok());
  auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_TRUE(plan->snapshot.has_value());
  EXPECT_EQ(plan->snapshot->name, previous);
}

TEST_F(BuildSnapshotTest, LatestAndTimeTargetsAndTheCommitTimeOfTheLsn) {
  Write(50, 3);
  auto built = BuildSnapshot(*repo_, {});
  ASSERT_TRUE(built.ok()) << built.status();
  EXPECT_EQ(built->snapshot.lsn, states_.size() - 1);
  EXPECT_EQ(built->snapshot.commit_time, clock_.NowNanos());
  Write(50, 4);
  BuildSnapshotOptions o;
  // Every record is 1000 ns after the previous: the time of LSN 70.
  const CommitTime t70 = built->snapshot.commit_time + 20 * 1000;
  o.target = RecoveryTarget::Time(t70);
  auto at = BuildSnapshot(*repo_, o);
  ASSERT_TRUE(at.ok()) << at.status();
  EXPECT_EQ(at->snapshot.lsn, 70u);
  EXPECT_EQ(at->snapshot.commit_time, t70);
  EXPECT_EQ(Read(at->snapshot.name), states_[70]);
}

TEST_F(BuildSnapshotTest, RefusesTheEmptyStateAndTargetsBeyondTheLog) {
  Write(10, 5);
  BuildSnapshotOptions o;
  o.target = RecoveryTarget::AtLsn(0);
  auto empty = BuildSnapshot(*repo_, o);
  EXPECT_EQ(empty.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(empty.status().message(), HasSubstr("empty state"));
  o.target = RecoveryTarget::AtLsn(11);
  auto beyond = BuildSnapshot(*repo_, o);
  EXPECT_EQ(beyond.status().code(), absl::StatusCode::kFailedPrecondition);
  auto listed = repo_->storage()->List("snap/");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

TEST_F(BuildSnapshotTest, DamagedLogIsAnErrorAndPublishesNothing) {
  Write(200, 9);
  auto segs = repo_->storage()->List("log/");
  ASSERT_TRUE(segs.ok());
  ASSERT_GE(segs->size(), 3u);
  // Flip one byte in the middle of the second segment.
  const std::string path = dir_.path() + "/repo/" + (*segs)[1].name;
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(0, std::ios::end);
  const std::streamoff mid = f.tellg() / 2;
  f.seekg(mid);
  char c = 0;
  f.read(&c, 1);
  c ^= 0x40;
  f.seekp(mid);
  f.write(&c, 1);
  f.close();
  auto built = BuildSnapshot(*repo_, {});
  ASSERT_FALSE(built.ok());
  EXPECT_EQ(built.status().code(), absl::StatusCode::kDataLoss)
      << built.status();
  EXPECT_THAT(built.status().message(), HasSubstr((*segs)[1].name));
  auto listed = repo_->storage()->List("snap/");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->empty());
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

TEST_F(BuildSnapshotTest, PinsHoldASnapshotByNameLsnAndDigestAndAreMirrored) {
  Write(60, 21);
  auto built = BuildSnapshot(*repo_, {});
  ASSERT_TRUE(built.ok()) << built.status();
  auto pin = PinSnapshot(*repo_, "audit-2026-11", built->snapshot, "close");
  ASSERT_TRUE(pin.ok()) << pin.status();
  EXPECT_EQ(pin->snapshot, built->snapshot.name);
  // Names are checked; a taken name is never moved.
  EXPECT_TRUE(absl::IsInvalidArgument(
      PinSnapshot(*repo_, "../x", built->snapshot).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(
      PinSnapshot(*repo_, ".hidden", built->snapshot).status()));
  auto taken = PinSnapshot(*repo_, "audit-2026-11", built->snapshot);
  EXPECT_TRUE(absl::IsAlreadyExists(taken.status())) << taken.status();
  EXPECT_THAT(taken.status().message(), HasSubstr(built->snapshot.name));
  ASSERT_TRUE(PinSnapshot(*repo_, "b", built->snapshot).ok());
  auto pins = ListPins(*repo_);
  ASSERT_TRUE(pins.ok()) << pins.status();
  ASSERT_EQ(pins->size(), 2u);
  EXPECT_EQ((*pins)[0].name, "audit-2026-11");
  EXPECT_EQ((*pins)[0].lsn, built->snapshot.lsn);
  EXPECT_EQ((*pins)[0].digest, built->snapshot.digest);
  EXPECT_EQ((*pins)[0].commit_time, built->snapshot.commit_time);
  EXPECT_EQ((*pins)[0].note, "close");
  // Mirrored like a snapshot, and verified through its format.
  auto mirror = Repository::OpenOrCreateMirror(dir_.path() + "/mirror", *repo_);
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  auto m = MirrorRepository(*repo_, (*mirror)->storage());
  ASSERT_TRUE(m.ok()) << m.status();
  auto mirrored = ListPins(**mirror);
  ASSERT_TRUE(mirrored.ok()) << mirrored.status();
  EXPECT_EQ(mirrored->size(), 2u);
  // An edited pin is damage, named.
  const std::string path = dir_.path() + "/repo/pins/b.pin";
  std::string text;
  {
    std::ifstream in(path);
    std::getline(in, text);
  }
  const size_t at = text.find("\"lsn\":") + 6;
  text[at] = text[at] == '1' ? '2' : '1';
  ASSERT_TRUE(fs::remove(path));
  std::ofstream(path) << text << "\n";
  auto damaged = ListPins(*repo_);
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(damaged.status().message(), HasSubstr("pins/b.pin"));
  EXPECT_FALSE(repo_->VerifyObject(*repo_->storage()->Stat("pins/b.pin")).ok());
  EXPECT_TRUE(
      repo_->VerifyObject(*repo_->storage()->Stat("pins/audit-2026-11.pin"))
          .ok());
  ASSERT_TRUE(RemovePin(*repo_, "b").ok());
  EXPECT_TRUE(absl::IsNotFound(RemovePin(*repo_, "b")));
  pins = ListPins(*repo_);
  ASSERT_TRUE(pins.ok()) << pins.status();
  EXPECT_EQ(pins->size(), 1u);
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

// Delta snapshots built from the repository: each chain's state equals the
// model at its LSN; restores from every chain (the planner picking the
// cheapest start) equal the model at many boundaries; auto starts a new
// full snapshot past the depth bound; plan names the chain.
TEST_F(BuildSnapshotTest, DeltaChainsEqualTheModelAndRestoresThroughThem) {
  Write(600, 13);
  BuildSnapshotOptions o;
  o.target = RecoveryTarget::AtLsn(100);
  o.block_size = 200;  // Many blocks: a RocksDB load splits the chain.
  auto full = BuildSnapshot(*repo_, o);
  ASSERT_TRUE(full.ok()) << full.status();
  std::vector<std::string> names = {full->snapshot.name};
  Lsn prev_lsn = 100;
  for (Lsn l = 170; l <= 590; l += 70) {
    o.target = RecoveryTarget::AtLsn(l);
    o.kind = BuildSnapshotOptions::Kind::kDelta;
    auto d = BuildSnapshot(*repo_, o);
    ASSERT_TRUE(d.ok()) << "lsn " << l << ": " << d.status();
    EXPECT_EQ(d->snapshot.kind, SnapshotKind::kDelta);
    EXPECT_EQ(d->base, names);
    EXPECT_EQ(d->snapshot.chain_depth, names.size());
    EXPECT_EQ(d->snapshot.pair_count, states_[l].size());
    names.push_back(d->snapshot.name);
    auto chain = OpenSnapshotChain(repo_->storage(), names);
    ASSERT_TRUE(chain.ok()) << chain.status();
    Model got;
    auto it = (*chain)->NewIterator();
    std::string_view k, v;
    while (it->Next(&k, &v)) got[std::string(k)] = std::string(v);
    ASSERT_TRUE(it->status().ok()) << it->status();
    EXPECT_EQ(got, states_[l]) << "lsn " << l;
    // A delta holds exactly the keys whose value differs from its base's.
    const Model& before = states_[prev_lsn];
    const Model& after = states_[l];
    uint64_t puts = 0, deletes = 0;
    for (const auto& [key, value] : after) {
      auto b = before.find(key);
      if (b == before.end() || b->second != value) ++puts;
    }
    for (const auto& [key, value] : before) deletes += !after.count(key);
    EXPECT_EQ(d->snapshot.entry_count, puts + deletes) << "lsn " << l;
    EXPECT_EQ(d->snapshot.delete_count, deletes) << "lsn " << l;
    prev_lsn = l;
  }
  auto catalog = repo_->ReadCatalog();
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  for (const CatalogProblem& p : (*catalog)->problems()) {
    ADD_FAILURE() << p.object << ": " << p.message;
  }
  // Restores through the chains at every 9th LSN and at each snapshot.
  for (Lsn l = 1; l < states_.size(); l += (l % 70 == 30 ? 1 : 9)) {
    auto plan = PlanRecovery(**catalog, RecoveryTarget::AtLsn(l));
    ASSERT_TRUE(plan.ok()) << plan.status();
    if (plan->snapshot) {
      EXPECT_EQ(plan->snapshot_chain.back().name, plan->snapshot->name);
      EXPECT_EQ(plan->snapshot_chain.size(), plan->snapshot->chain_depth + 1);
    }
    auto target = NewMemoryTarget();
    auto r = Restore(repo_->storage(), *plan, target.get());
    ASSERT_TRUE(r.ok()) << "lsn " << l << ": " << r.status();
    const Model got = Contents(*target);
    EXPECT_EQ(got, states_[l]) << "lsn " << l;
  }
  // A mirror receives the chain and the version fence (verified through
  // their format) and restores through the same chain.
  {
    auto mirror =
        Repository::OpenOrCreateMirror(dir_.path() + "/mirror", *repo_);
    ASSERT_TRUE(mirror.ok()) << mirror.status();
    auto m = MirrorRepository(*repo_, (*mirror)->storage());
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_TRUE((*mirror)->storage()->Stat(SnapshotFenceName(1)).ok());
    auto mc = (*mirror)->ReadCatalog();
    ASSERT_TRUE(mc.ok()) << mc.status();
    EXPECT_TRUE((*mc)->problems().empty());
    auto plan = PlanRecovery(**mc, RecoveryTarget::AtLsn(590));
    ASSERT_TRUE(plan.ok()) << plan.status();
    EXPECT_EQ(plan->snapshot_chain.size(), names.size());
    auto target = NewMemoryTarget();
    auto r = Restore((*mirror)->storage(), *plan, target.get());
    ASSERT_TRUE(r.ok()) << r.status();
    const Model got = Contents(*target);
    EXPECT_EQ(got, states_[590]);
  }
  auto latest = PlanRecovery(**catalog, RecoveryTarget::AtLsn(590));
  ASSERT_TRUE(latest.ok());
  EXPECT_EQ(latest->snapshot_chain.size(), names.size());
  EXPECT_THAT(latest->ToString(), HasSubstr("chain:"));
  // Into RocksDB: the chain is merged by key range on several threads.
  {
    auto db = OpenRocksDBTarget(dir_.path() + "/restored",
                                RocksDBTargetOptions::ForRestore(2));
    ASSERT_TRUE(db.ok()) << db.status();
    auto r = Restore(repo_->storage(), *latest, db->get());
    ASSERT_TRUE(r.ok()) << r.status();
    const Model got = Contents(**db);
    EXPECT_EQ(got, states_[590]);
  }
  // Auto: the chain is at depth 6 (the bound): the next one is full.
  o.target = RecoveryTarget::Latest();
  o.kind = BuildSnapshotOptions::Kind::kAuto;
  auto next = BuildSnapshot(*repo_, o);
  ASSERT_TRUE(next.ok()) << next.status();
  EXPECT_EQ(next->snapshot.kind, SnapshotKind::kFull);
}

// Every kind of path together: a full snapshot, deltas over it, and a log
// whose small segments are merged by compact (first with the originals
// still present beside their replacements, then with them deleted), and a
// delta built after the merge from the merged segments. Restores at every
// LSN, into memory and (at each snapshot boundary) into RocksDB, equal the
// model.
TEST_F(BuildSnapshotTest, RestoresThroughChainsAndMergedSegmentsEqualTheModel) {
  Write(1500, 29);
  BuildSnapshotOptions o;
  o.block_size = 300;
  std::vector<Lsn> snapshots = {270, 540, 810, 1080};
  for (Lsn l : snapshots) {
    o.target = RecoveryTarget::AtLsn(l);
    o.kind = l == 270 ? BuildSnapshotOptions::Kind::kFull
                      : BuildSnapshotOptions::Kind::kDelta;
    auto b = BuildSnapshot(*repo_, o);
    ASSERT_TRUE(b.ok()) << "lsn " << l << ": " << b.status();
  }
  auto check_all = [&](const std::string& stage) {
    SCOPED_TRACE(stage);
    auto catalog = repo_->ReadCatalog();
    ASSERT_TRUE(catalog.ok()) << catalog.status();
    for (const CatalogProblem& p : (*catalog)->problems()) {
      ADD_FAILURE() << p.object << ": " << p.message;
    }
    for (Lsn l = 1; l < states_.size(); ++l) {
      auto plan = PlanRecovery(**catalog, RecoveryTarget::AtLsn(l));
      ASSERT_TRUE(plan.ok()) << "lsn " << l << ": " << plan.status();
      auto target = NewMemoryTarget();
      auto r = Restore(repo_->storage(), *plan, target.get());
      ASSERT_TRUE(r.ok()) << "lsn " << l << ": " << r.status();
      const Model got = Contents(*target);
      ASSERT_EQ(got, states_[l]) << "lsn " << l;
      const bool boundary =
          std::find(snapshots.begin(), snapshots.end(), l) != snapshots.end();
      // RocksDB (slower to open) at the snapshot boundaries and the end,
      // once the log is merged (the unmerged case is tested above).
      if (stage == "unmerged" || (!boundary && l + 1 != states_.size())) {
        continue;
      }
      const std::string path = absl::StrCat(dir_.path(), "/rocks-", stage, l);
      auto db = OpenRocksDBTarget(path, RocksDBTargetOptions::ForRestore(2));
      ASSERT_TRUE(db.ok()) << db.status();
      auto rr = Restore(repo_->storage(), *plan, db->get());
      ASSERT_TRUE(rr.ok()) << "lsn " << l << ": " << rr.status();
      const Model in_db = Contents(**db);
      EXPECT_EQ(in_db, states_[l]) << "rocksdb, lsn " << l;
    }
  };
  check_all("unmerged");
  CompactOptions c;
  c.target_size = 10 * 1024;
  c.grace = absl::Hours(1);  // The originals stay beside the replacements.
  auto merged = CompactRepository(*repo_, c);
  ASSERT_TRUE(merged.ok()) << merged.status();
  ASSERT_GE(merged->merged.size(), 2u);
  EXPECT_FALSE(merged->waiting.empty());
  check_all("merged-and-originals");
  // A delta built after the merge reads the merged segments.
  o.target = RecoveryTarget::AtLsn(1350);
  o.kind = BuildSnapshotOptions::Kind::kDelta;
  auto late = BuildSnapshot(*repo_, o);
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->snapshot.chain_depth, 4u);
  snapshots.push_back(1350);
  c.grace = absl::ZeroDuration();
  auto pruned = CompactRepository(*repo_, c);
  ASSERT_TRUE(pruned.ok()) << pruned.status();
  EXPECT_FALSE(pruned->deleted.empty());
  check_all("merged");
}

// kAuto: appends (new keys only) give deltas up to the chain's depth bound,
// then a full snapshot; rewriting the same keys gives a full snapshot as
// soon as the chain would hold more than twice the state's pairs.
TEST_F(BuildSnapshotTest, AutoKeepsTheChainWithinTwiceTheState) {
  LogWriterOptions lo;
  lo.durability = Durability::kBuffered;
  lo.clock = &clock_;
  auto append = [&](int first, int n, const std::string& value) {
    auto w = LogWriter::Open(repo_->storage(), lo);
    ASSERT_TRUE(w.ok()) << w.status();
    for (int i = first; i < first + n; ++i) {
      clock_.Advance(1000);
      Transaction t;
      t.Put(absl::StrCat("key", 1000 + i), value);
      ASSERT_TRUE((*w)->Append(t).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
  };
  auto build = [&]() -> std::optional<BuildSnapshotResult> {
    BuildSnapshotOptions o;
    o.kind = BuildSnapshotOptions::Kind::kAuto;
    auto r = BuildSnapshot(*repo_, o);
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok()) return std::nullopt;
    return *r;
  };
  // Appends: 100 new keys per period.
  std::vector<SnapshotKind> kinds;
  for (int period = 0; period < 9; ++period) {
    append(period * 100, 100, "v");
    auto r = build();
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r->snapshot.pair_count, (period + 1) * 100u);
    kinds.push_back(r->snapshot.kind);
  }
  const auto F = SnapshotKind::kFull, D = SnapshotKind::kDelta;
  EXPECT_EQ(kinds, (std::vector<SnapshotKind>{F, D, D, D, D, D, D, F, D}));
  // Rewrites of all 900 keys: the chain would hold the full's 800 pairs,
  // the last delta's 100 entries and 900 changes, 1800 <= 2 * 900: a delta.
  // Once more, 2700 > 1800: full.
  append(0, 900, "w");
  auto r1 = build();
  ASSERT_TRUE(r1.has_value());
  EXPECT_EQ(r1->snapshot.kind, D);
  append(0, 900, "x");
  auto r2 = build();
  ASSERT_TRUE(r2.has_value());
  EXPECT_EQ(r2->snapshot.kind, F);  // 1800 + 900 > 1800.
}

TEST_F(BuildSnapshotTest, ADeltaNeedsABase) {
  Write(20, 2);
  BuildSnapshotOptions o;
  o.kind = BuildSnapshotOptions::Kind::kDelta;
  auto d = BuildSnapshot(*repo_, o);
  EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(d.status().message(), HasSubstr("build a full one first"));
}

}  // namespace
}  // namespace wayback
