// Copyright 2026 The Wayback Authors.
//
// Retention (include/wayback/expire.h) against an independent model: a
// repository of one record per minute, cut into small segments, with full
// and delta snapshots, a pin and compacted segments (replacements with their
// originals still present), expired with a window that starts in the middle.
// Oracles:
//  - restores at many random instants inside the window, before and after,
//    equal the model's digest at the last record at or before the instant
//    (and instants before the window that stay restorable equal it too);
//  - after every single deletion (ExpireOptions::after_delete) the window
//    still plans and restores its start and its end exactly, the catalog
//    shows no problem, and the earliest restorable state never moves back;
//  - exactly the expendable objects go: nothing remains below the base
//    except pinned chains, the base chain and the newest segment, and every
//    segment above the base remains;
//  - refusals for a hole in the window and a damaged base snapshot delete
//    nothing; a repository younger than the window is left alone;
//  - deferred deletion: an intent hides its objects from readers at once and
//    is carried out after the grace period; a pin made meanwhile reprieves;
//  - a mirror's own expiry is not undone by the next mirror pass.

#include "wayback/expire.h"

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/testutil/state_model.h"
#include "tests/testutil/testutil.h"
#include "wayback/clock.h"
#include "wayback/compact.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

constexpr CommitTime kBase = 1767225600000000000;  // 2026-01-01T00:00:00Z
constexpr CommitTime kMinute = 60'000'000'000;
constexpr Lsn kRecords = 240;  // Four hours, one record a minute.

CommitTime TimeOf(Lsn lsn) {
  return kBase + static_cast<CommitTime>(lsn) * kMinute;
}

Transaction TxnAt(Lsn k) {
  Transaction t;
  t.commit_time = TimeOf(k);
  t.txid = k;
  t.source_position = 100 + k;
  std::mt19937_64 r(k * 7919);
  const int n = 1 + static_cast<int>(r() % 3);
  for (int i = 0; i < n; ++i) {
    const std::string key = absl::StrCat("patient/", r() % 40);
    if (r() % 5 == 0) {
      t.Delete(key);
    } else {
      t.Put(key, std::string(20 + r() % 120, static_cast<char>('a' + k % 26)));
    }
  }
  return t;
}

// The model: the digest after each LSN (index = LSN).
std::vector<StateDigest> Model(Lsn n = kRecords) {
  return testing::DigestsAfterEach(n, TxnAt);
}

// The LSN a restore to time T stops at: the last record at or before T.
Lsn StopAt(CommitTime t) {
  if (t < TimeOf(1)) return 0;
  return std::min<Lsn>(kRecords, static_cast<Lsn>((t - kBase) / kMinute));
}

class ExpireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto repo = Repository::Create(dir_.path() + "/repo");
    ASSERT_TRUE(repo.ok()) << repo.status();
    repo_ = *std::move(repo);
    model_ = Model();
  }

  // Records 1..kRecords, a segment every 8 records; snapshots (full every
  // 60 records, deltas between); segments 1..64 compacted with the originals
  // kept (a long grace), so replacements and originals coexist.
  void WriteHistory() {
    LogWriterOptions o;
    o.format_version = 2;
    o.durability = Durability::kBuffered;
    o.segment_max_age = absl::InfiniteDuration();
    auto w = LogWriter::Open(repo_->storage(), o);
    ASSERT_TRUE(w.ok()) << w.status();
    for (Lsn k = 1; k <= kRecords; ++k) {
      ASSERT_TRUE((*w)->Append(TxnAt(k)).ok());
      if (k % 7 == 0 && k < kRecords) {
        ASSERT_TRUE((*w)->Roll().ok());
      }
    }
    ASSERT_TRUE((*w)->Close().ok());
    for (Lsn lsn = 20; lsn < kRecords; lsn += 20) {
      BuildSnapshotOptions b;
      b.target = RecoveryTarget::AtLsn(lsn);
      b.kind = lsn % 60 == 0 ? BuildSnapshotOptions::Kind::kFull
                             : BuildSnapshotOptions::Kind::kDelta;
      if (lsn == 20) b.kind = BuildSnapshotOptions::Kind::kFull;
      auto s = BuildSnapshot(*repo_, b);
      ASSERT_TRUE(s.ok()) << lsn << ": " << s.status();
      snapshots_[lsn] = s->snapshot;
    }
    CompactOptions c;
    c.target_size = 8 * 1024;
    c.grace = absl::Hours(100);
    auto compacted = CompactRepository(*repo_, c);
    ASSERT_TRUE(compacted.ok()) << compacted.status();
    ASSERT_FALSE(compacted->merged.empty());
  }

  std::unique_ptr<Catalog> ReadCatalog() {
    auto c = repo_->ReadCatalog();
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? *std::move(c) : nullptr;
  }

  // Restores to time `t`: the digest, or an error.
  absl::StatusOr<StateDigest> RestoreAt(const Catalog& catalog, CommitTime t) {
    WAYBACK_ASSIGN_OR_RETURN(RecoveryPlan plan,
                             PlanRecovery(catalog, RecoveryTarget::Time(t)));
    auto target = NewMemoryTarget();
    WAYBACK_ASSIGN_OR_RETURN(RestoreResult r,
                             Restore(repo_->storage(), plan, target.get()));
    if (!r.digest) return absl::InternalError("no digest");
    return *r.digest;
  }

  std::vector<std::string> Names() {
    std::vector<std::string> out;
    for (const char* prefix : {"log/", "snap/"}) {
      auto listed = repo_->storage()->List(prefix);
      EXPECT_TRUE(listed.ok());
      for (const ObjectInfo& o : *listed) out.push_back(o.name);
    }
    return out;
  }

  ExpireOptions Options(CommitTime window_start) {
    ExpireOptions o;
    o.now = TimeOf(kRecords) + kMinute / 2;
    o.keep = absl::Nanoseconds(*o.now - window_start);
    o.grace = absl::ZeroDuration();
    return o;
  }

  testing::TempDir dir_;
  std::unique_ptr<Repository> repo_;
  std::vector<StateDigest> model_;
  std::map<Lsn, SnapshotInfo> snapshots_;
};

TEST_F(ExpireTest, DeletesExactlyWhatTheWindowDoesNotNeedAndRestoresMatch) {
  WriteHistory();
  // Pin the delta at LSN 40 (its chain: the full snapshot at 20).
  ASSERT_TRUE(PinSnapshot(*repo_, "audit", snapshots_[40]).ok());
  // The window starts at minute 130.5: the base is the snapshot at 120.
  const CommitTime start = TimeOf(130) + kMinute / 2;
  std::mt19937_64 rng(5);
  std::vector<CommitTime> inside, before;
  inside.push_back(start);
  inside.push_back(TimeOf(kRecords));
  before.push_back(TimeOf(125));
  for (int i = 0; i < 40; ++i) {
    inside.push_back(
        start + static_cast<CommitTime>(
                    rng() % static_cast<uint64_t>(TimeOf(kRecords) - start)));
    before.push_back(TimeOf(1) +
                     static_cast<CommitTime>(
                         rng() % static_cast<uint64_t>(start - TimeOf(1))));
  }
  {
    auto catalog = ReadCatalog();
    for (CommitTime t : inside) {
      auto d = RestoreAt(*catalog, t);
      ASSERT_TRUE(d.ok()) << d.status();
      ASSERT_EQ(d->ToString(), model_[StopAt(t)].ToString());
    }
  }

  ExpireOptions o = Options(start);
  Lsn restorable = 0;
  int deletions = 0;
  o.after_delete = [&](const std::string& name) -> absl::Status {
    ++deletions;
    auto catalog = repo_->ReadCatalog();
    if (!catalog.ok()) return catalog.status();
    for (const CatalogProblem& p : (*catalog)->problems()) {
      ADD_FAILURE() << "after deleting " << name << ": problem " << p.object
                    << ": " << p.message;
    }
    for (CommitTime t : {start, TimeOf(kRecords)}) {
      auto d = RestoreAt(**catalog, t);
      if (!d.ok()) {
        ADD_FAILURE() << "after deleting " << name << ": " << d.status();
      } else {
        EXPECT_EQ(d->ToString(), model_[StopAt(t)].ToString())
            << "after deleting " << name;
      }
    }
    const Lsn now_from = (*catalog)->windows().front().earliest_lsn;
    EXPECT_GE(now_from, restorable) << "after deleting " << name;
    restorable = now_from;
    return absl::OkStatus();
  };
  auto r = ExpireRepository(*repo_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->base.has_value());
  EXPECT_EQ(r->base->lsn, 120u);
  EXPECT_EQ(deletions, static_cast<int>(r->deleted.size()));
  EXPECT_GT(r->deleted.size(), 10u);
  EXPECT_TRUE(r->deferred.empty());
  ASSERT_TRUE(r->restorable_before.has_value());
  EXPECT_EQ(r->restorable_before->lsn, 0u);
  ASSERT_TRUE(r->restorable_after.has_value());
  EXPECT_EQ(r->restorable_after->lsn, 120u);
  EXPECT_EQ(r->restorable_after->commit_time, TimeOf(120));
  EXPECT_FALSE(r->horizon.empty());

  // Exactly the expendable objects: below the base only the pinned chain
  // (20 full, 40 delta) remains; the segments (or replacements) holding an
  // LSN above 120 remain, the first of them straddling the base or starting
  // right after it; superseded originals remain only under a kept
  // replacement (compaction deletes those).
  auto catalog = ReadCatalog();
  std::set<Lsn> snapshot_lsns;
  for (const SnapshotInfo& s : catalog->snapshots())
    snapshot_lsns.insert(s.lsn);
  EXPECT_EQ(snapshot_lsns,
            (std::set<Lsn>{20, 40, 120, 140, 160, 180, 200, 220}));
  ASSERT_FALSE(catalog->segments().empty());
  Lsn next = catalog->segments().front().first_lsn;
  EXPECT_LE(next, 121u);
  for (const SegmentInfo& s : catalog->segments()) {
    EXPECT_GT(s.last_lsn, 120u) << s.name << " should have been deleted";
    EXPECT_EQ(s.first_lsn, next) << s.name;
    next = s.last_lsn + 1;
  }
  EXPECT_EQ(next, kRecords + 1);
  for (const SupersededSegment& s : catalog->superseded()) {
    bool kept = false;
    for (const SegmentInfo& u : catalog->segments()) {
      kept = kept || u.name == s.replaced_by;
    }
    EXPECT_TRUE(kept) << s.segment.name;
  }
  uint64_t bytes = 0;
  for (const ExpireObject& e : r->deleted) bytes += e.size;
  EXPECT_EQ(bytes, r->deleted_bytes);
  // Deletion order: a superseded original before its replacement, a delta
  // before its base.
  std::map<std::string, size_t> position;
  for (size_t i = 0; i < r->deleted.size(); ++i)
    position[r->deleted[i].name] = i;
  for (const auto& [lsn, s] : snapshots_) {
    if (s.base && position.count(s.name)) {
      for (const auto& [blsn, b] : snapshots_) {
        if (blsn == s.base->lsn && position.count(b.name)) {
          EXPECT_LT(position[s.name], position[b.name]) << s.name;
        }
      }
    }
  }

  // The same instants: inside the window all restore, to the model; before
  // it, whatever still restores restores the model.
  for (CommitTime t : inside) {
    auto d = RestoreAt(*catalog, t);
    ASSERT_TRUE(d.ok()) << FormatCommitTime(t) << ": " << d.status();
    EXPECT_EQ(d->ToString(), model_[StopAt(t)].ToString());
  }
  int still = 0;
  for (CommitTime t : before) {
    auto d = RestoreAt(*catalog, t);
    if (!d.ok()) {
      EXPECT_EQ(d.status().code(), absl::StatusCode::kFailedPrecondition);
      continue;
    }
    ++still;
    EXPECT_EQ(d->ToString(), model_[StopAt(t)].ToString());
  }
  EXPECT_GT(still, 0);  // [120, 130.5] min is before the window, still there.

  // A second run finds nothing more.
  o.after_delete = nullptr;
  auto again = ExpireRepository(*repo_, o);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->deleted.empty());
}

TEST_F(ExpireTest, KeepSnapshotsMovesTheBaseBack) {
  WriteHistory();
  ExpireOptions o = Options(TimeOf(200) + 1);  // Base 200: 220 is newer.
  o.keep_snapshots = 3;                        // 160, 180, 200 newer.
  o.dry_run = true;
  auto r = ExpireRepository(*repo_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->base.has_value());
  EXPECT_EQ(r->base->lsn, 160u);
  ASSERT_TRUE(r->restorable_after.has_value());
  EXPECT_EQ(r->restorable_after->lsn, 160u);
}

TEST_F(ExpireTest, DryRunDeletesNothing) {
  WriteHistory();
  const std::vector<std::string> names = Names();
  ExpireOptions o = Options(TimeOf(130));
  o.dry_run = true;
  auto r = ExpireRepository(*repo_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_GT(r->deleted.size(), 10u);
  EXPECT_EQ(Names(), names);
  auto e = repo_->storage()->List("expire/");
  ASSERT_TRUE(e.ok());
  EXPECT_TRUE(e->empty());
}

TEST_F(ExpireTest, RefusesAHoleInTheWindow) {
  WriteHistory();
  // Remove a used segment after the window's start.
  auto catalog = ReadCatalog();
  std::string victim;
  for (const SegmentInfo& s : catalog->segments()) {
    if (s.first_lsn > 180 && s.last_lsn < kRecords) victim = s.name;
  }
  ASSERT_FALSE(victim.empty());
  ASSERT_TRUE(repo_->storage()->Delete(victim).ok());
  const std::vector<std::string> names = Names();
  auto r = ExpireRepository(*repo_, Options(TimeOf(130)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(r.status().message(), "hole in the window"))
      << r.status();
  EXPECT_EQ(Names(), names);
}

TEST_F(ExpireTest, RefusesADamagedBaseSnapshot) {
  WriteHistory();
  // The base for a window starting at minute 150 is the delta at 140; its
  // full base is at 120. Damage a byte in the middle of the full one.
  const std::string victim = snapshots_[120].name;
  auto bytes = repo_->storage()->ReadAll(victim);
  ASSERT_TRUE(bytes.ok());
  std::string b = *bytes;
  b[b.size() / 3] ^= 0x40;
  ASSERT_TRUE(repo_->storage()->Delete(victim).ok());
  ASSERT_TRUE(repo_->storage()->WriteAll(victim, b).ok());
  const std::vector<std::string> names = Names();
  auto r = ExpireRepository(*repo_, Options(TimeOf(150)));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_TRUE(absl::StrContains(r.status().message(), victim)) << r.status();
  EXPECT_EQ(Names(), names);
}

TEST_F(ExpireTest, YoungerThanTheWindowIsLeftAlone) {
  WriteHistory();
  const std::vector<std::string> names = Names();
  ExpireOptions o = Options(TimeOf(1) - kMinute);
  auto r = ExpireRepository(*repo_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_FALSE(r->note.empty());
  EXPECT_EQ(Names(), names);
}

TEST_F(ExpireTest, GraceDefersThroughAnIntentThatReadersHonour) {
  WriteHistory();
  ManualClock clock(absl::ToUnixNanos(absl::Now()));
  ExpireOptions o = Options(TimeOf(130));
  o.clock = &clock;
  o.grace = absl::Hours(1);
  auto first = ExpireRepository(*repo_, o);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_TRUE(first->deleted.empty());
  ASSERT_EQ(first->intents_written.size(), 1u);
  EXPECT_GT(first->deferred.size(), 10u);
  // Readers no longer use the listed objects: the window starts at the base.
  auto catalog = ReadCatalog();
  EXPECT_EQ(catalog->expiring().size(), first->deferred.size());
  EXPECT_EQ(catalog->windows().front().earliest_lsn, 120u);
  auto d = RestoreAt(*catalog, TimeOf(130));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->ToString(), model_[130].ToString());
  // Not yet past the grace: nothing deleted, no second intent.
  clock.Advance(absl::ToInt64Nanoseconds(absl::Minutes(30)));
  auto second = ExpireRepository(*repo_, o);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_TRUE(second->deleted.empty());
  EXPECT_TRUE(second->intents_written.empty());
  // Past it: carried out, the intent removed.
  clock.Advance(absl::ToInt64Nanoseconds(absl::Minutes(31)));
  auto third = ExpireRepository(*repo_, o);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_EQ(third->deleted.size(), first->deferred.size());
  EXPECT_EQ(third->intents_done, first->intents_written);
  auto left = repo_->storage()->List("expire/intent-");
  ASSERT_TRUE(left.ok());
  EXPECT_TRUE(left->empty());
}

TEST_F(ExpireTest, APinMadeWhileAnIntentIsPendingReprieves) {
  WriteHistory();
  ManualClock clock(absl::ToUnixNanos(absl::Now()));
  ExpireOptions o = Options(TimeOf(130));
  o.clock = &clock;
  o.grace = absl::Hours(1);
  auto first = ExpireRepository(*repo_, o);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(PinSnapshot(*repo_, "late", snapshots_[60]).ok());
  clock.Advance(absl::ToInt64Nanoseconds(absl::Hours(2)));
  auto second = ExpireRepository(*repo_, o);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->reprieved, std::vector<std::string>{snapshots_[60].name});
  // The intent was cancelled and its other objects listed again.
  EXPECT_TRUE(second->deleted.empty());
  EXPECT_EQ(second->intents_written.size(), 1u);
  auto catalog = ReadCatalog();
  bool found = false;
  for (const SnapshotInfo& s : catalog->snapshots()) {
    found = found || s.name == snapshots_[60].name;
  }
  EXPECT_TRUE(found);
  clock.Advance(absl::ToInt64Nanoseconds(absl::Hours(2)));
  auto third = ExpireRepository(*repo_, o);
  ASSERT_TRUE(third.ok()) << third.status();
  EXPECT_FALSE(third->deleted.empty());
  EXPECT_TRUE(repo_->storage()->Stat(snapshots_[60].name).ok());
}

TEST_F(ExpireTest, AMirrorsOwnExpiryIsNotUndoneAndAMirrorMayKeepLonger) {
  WriteHistory();
  testing::TempDir mirror_dir;
  auto mirror =
      Repository::OpenOrCreateMirror(mirror_dir.path() + "/m", *repo_);
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  ASSERT_TRUE(MirrorRepository(*repo_, (*mirror)->storage()).ok());
  // The mirror keeps a shorter window than the source's history.
  ExpireOptions o = Options(TimeOf(130));
  auto r = ExpireRepository(**mirror, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(r->deleted.empty());
  auto pass = MirrorRepository(*repo_, (*mirror)->storage());
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_EQ(pass->report.copied_objects, 0u);
  EXPECT_EQ(pass->expired_skipped.size(), r->deleted.size());
  // The mirror still restores its whole window exactly.
  auto catalog = (*mirror)->ReadCatalog();
  ASSERT_TRUE(catalog.ok());
  for (CommitTime t = TimeOf(130); t <= TimeOf(kRecords); t += 7 * kMinute) {
    auto plan = PlanRecovery(**catalog, RecoveryTarget::Time(t));
    ASSERT_TRUE(plan.ok()) << plan.status();
    auto target = NewMemoryTarget();
    auto res = Restore((*mirror)->storage(), *plan, target.get());
    ASSERT_TRUE(res.ok()) << res.status();
    EXPECT_EQ(res->digest->ToString(), model_[StopAt(t)].ToString());
  }
  // The source, expired with a short window, does not take the mirror's
  // longer history away: the mirror still restores minute 130.
  ExpireOptions shorter = Options(TimeOf(210));
  ASSERT_TRUE(ExpireRepository(*repo_, shorter).ok());
  ASSERT_TRUE(MirrorRepository(*repo_, (*mirror)->storage()).ok());
  auto after = (*mirror)->ReadCatalog();
  ASSERT_TRUE(after.ok());
  EXPECT_EQ((*after)->windows().front().earliest_lsn, 120u);
}

// Expiry of a repository and of its mirror racing a writer that appends,
// seals segments and builds snapshots, and a mirror pass running
// continuously (what `wayback ingest --keep --mirror` and `wayback mirror
// --follow` do): nothing of either window is lost.
TEST(ExpireRaceTest, ExpiryRacingAWriterAndAMirrorLosesNothing) {
  constexpr Lsn kTotal = 600;
  testing::TempDir dir;
  auto created = Repository::Create(dir.path() + "/source");
  ASSERT_TRUE(created.ok()) << created.status();
  std::unique_ptr<Repository> source = *std::move(created);
  auto mirror = Repository::OpenOrCreateMirror(dir.path() + "/mirror", *source);
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  // The model over kTotal records (TxnAt with LSNs past kRecords).
  const std::vector<StateDigest> model = Model(kTotal);

  std::atomic<Lsn> written{0};
  std::atomic<bool> done{false};
  auto write = [&] {
    LogWriterOptions o;
    o.format_version = 2;
    o.durability = Durability::kBuffered;
    o.segment_max_age = absl::InfiniteDuration();
    auto w = LogWriter::Open(source->storage(), o);
    ASSERT_TRUE(w.ok()) << w.status();
    for (Lsn k = 1; k <= kTotal; ++k) {
      ASSERT_TRUE((*w)->Append(TxnAt(k)).ok());
      // Sealed every 3 records, and before each snapshot (built from what
      // the repository holds).
      if (k % 3 == 0 || k % 50 == 0) {
        ASSERT_TRUE((*w)->Roll().ok());
      }
      written = k;
      if (k % 50 == 0) {
        BuildSnapshotOptions b;
        b.target = RecoveryTarget::AtLsn(k);
        b.kind = BuildSnapshotOptions::Kind::kAuto;
        auto s = BuildSnapshot(*source, b);
        ASSERT_TRUE(s.ok()) << k << ": " << s.status();
      }
      absl::SleepFor(absl::Microseconds(300));
    }
    ASSERT_TRUE((*w)->Close().ok());
  };
  // `done` is set however the writer ends (a failed ASSERT returns early).
  std::thread writer([&] {
    write();
    done = true;
  });
  int mirror_passes = 0;
  std::thread mirrorer([&] {
    while (true) {
      const bool last = done.load();
      auto m = MirrorRepository(*source, (*mirror)->storage());
      ASSERT_TRUE(m.ok()) << m.status();
      EXPECT_TRUE(m->report.conflicts.empty());
      ++mirror_passes;
      if (last) break;
    }
  });
  int source_runs = 0, mirror_runs = 0, deleted = 0, refused = 0;
  std::thread expirer([&] {
    while (!done.load()) {
      for (int which = 0; which < 2; ++which) {
        ExpireOptions o;
        o.now = TimeOf(written.load());
        o.keep = absl::Minutes(which == 0 ? 100 : 200);
        o.grace = absl::ZeroDuration();
        auto r = ExpireRepository(which == 0 ? *source : **mirror, o);
        // Transient refusals are allowed mid-race (a segment sealed between
        // listing and reading); errors of any other kind are not.
        if (!r.ok()) {
          EXPECT_EQ(r.status().code(), absl::StatusCode::kFailedPrecondition)
              << r.status();
          ++refused;
          continue;
        }
        deleted += static_cast<int>(r->deleted.size());
        ++(which == 0 ? source_runs : mirror_runs);
      }
    }
  });
  writer.join();
  mirrorer.join();
  expirer.join();
  EXPECT_GT(deleted, 0);
  EXPECT_GT(mirror_passes, 1);
  EXPECT_GT(source_runs, 1);
  EXPECT_GT(mirror_runs, 1);
  ::testing::Test::RecordProperty("expire_runs", source_runs + mirror_runs);
  ::testing::Test::RecordProperty("refused", refused);
  ::testing::Test::RecordProperty("deleted", deleted);
  ::testing::Test::RecordProperty("mirror_passes", mirror_passes);

  // Final expiries, then both windows restore the model exactly.
  for (int which = 0; which < 2; ++which) {
    const Repository& repo = which == 0 ? *source : **mirror;
    const absl::Duration keep = absl::Minutes(which == 0 ? 100 : 200);
    ExpireOptions o;
    o.now = TimeOf(kTotal);
    o.keep = keep;
    o.grace = absl::ZeroDuration();
    auto r = ExpireRepository(repo, o);
    ASSERT_TRUE(r.ok()) << r.status();
    auto catalog = repo.ReadCatalog();
    ASSERT_TRUE(catalog.ok());
    const CommitTime start = TimeOf(kTotal) - absl::ToInt64Nanoseconds(keep);
    for (CommitTime t = start; t <= TimeOf(kTotal); t += 3 * kMinute + 7) {
      auto plan = PlanRecovery(**catalog, RecoveryTarget::Time(t));
      ASSERT_TRUE(plan.ok())
          << which << " " << FormatCommitTime(t) << ": " << plan.status();
      auto target = NewMemoryTarget();
      auto res = Restore(repo.storage(), *plan, target.get());
      ASSERT_TRUE(res.ok()) << res.status();
      const Lsn stop = static_cast<Lsn>((t - kBase) / kMinute);
      EXPECT_EQ(res->digest->ToString(), model[stop].ToString())
          << (which == 0 ? "source" : "mirror") << " at "
          << FormatCommitTime(t);
    }
  }
}

}  // namespace
}  // namespace wayback
