// Copyright 2026 The Wayback Authors.
//
// The planner and damaged objects (issue 6, bug 1). The catalog drops a
// segment it cannot read; a hole then splits the windows, but a damaged
// *newest* segment leaves none, and "latest" used to restore the log minus
// that segment and report success. Now a plan that needs a damaged segment
// (latest, or a time target ending at the last readable commit) fails with
// kDataLoss naming the object, the offset and the LSN; targets that stop
// before it are planned and restored exactly (checked against the model of
// tests/recovery/history.h); refusals name the damaged objects.

#include <memory>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/log/segment_format.h"
#include "tests/recovery/history.h"
#include "wayback/recovery.h"

namespace wayback::testing {
namespace {

using ::testing::HasSubstr;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

class DamagedObjectTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    HistoryOptions ho;
    ho.entries = 600;
    ho.seed = 11;
    history_ = MakeHistory(ho);
    ASSERT_TRUE(WriteHistory(storage_.get(), history_, WriteOptions()).ok());
    auto c = Catalog::Open(storage_.get());
    ASSERT_TRUE(c.ok()) << c.status();
    segments_ = (*c)->segments();
    ASSERT_GE(segments_.size(), 5u);
  }
  std::unique_ptr<Catalog> Open() {
    auto c = Catalog::Open(storage_.get());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }
  // Byte surgery: flips `mask` at `offset` (from the end if negative).
  void Flip(const std::string& name, int64_t offset, char mask) {
    auto bytes = storage_->ReadAll(name);
    ASSERT_TRUE(bytes.ok()) << bytes.status();
    std::string b = *bytes;
    b[offset >= 0 ? offset : b.size() + offset] ^= mask;
    ASSERT_TRUE(storage_->Delete(name).ok());
    ASSERT_TRUE(storage_->WriteAll(name, b).ok());
  }
  // Damages the footer (trailing magic) of a sealed segment.
  void DamageFooter(const SegmentInfo& s) { Flip(s.name, -1, 0x55); }
  // Restores `target` and compares with the model's state at `stop`.
  void ExpectExactRestore(const Catalog& c, const RecoveryTarget& target,
                          Lsn stop) {
    auto plan = PlanRecovery(c, target);
    ASSERT_TRUE(plan.ok()) << target.ToString() << ": " << plan.status();
    EXPECT_EQ(plan->last_lsn, stop) << target.ToString();
    auto t = NewMemoryTarget();
    auto r = Restore(storage_.get(), *plan, t.get());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r->digest, DigestOf(StateAt(history_, stop)));
  }
  CommitTime TimeOf(Lsn lsn) const { return history_[lsn - 1].time(); }

  std::unique_ptr<Storage> storage_;
  std::vector<Entry> history_;
  std::vector<SegmentInfo> segments_;
};

TEST_F(DamagedObjectTest, LatestFailsWhenTheNewestSegmentIsDamaged) {
  const SegmentInfo victim = segments_.back();
  DamageFooter(victim);
  auto c = Open();
  ASSERT_EQ(c->windows().size(), 1u);
  ASSERT_EQ(c->windows()[0].latest_lsn, victim.first_lsn - 1);
  auto plan = PlanRecovery(*c, RecoveryTarget::Latest());
  ASSERT_FALSE(plan.ok()) << plan->ToString();
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kDataLoss) << plan.status();
  // Object, offset and LSN.
  EXPECT_THAT(Msg(plan.status()), HasSubstr(victim.name + " at offset "));
  EXPECT_THAT(Msg(plan.status()),
              HasSubstr(absl::StrCat("lsn ", victim.first_lsn, " onwards")));
  EXPECT_THAT(Msg(plan.status()),
              HasSubstr(absl::StrCat("the readable log ends at lsn ",
                                     victim.first_lsn - 1)));
}

TEST_F(DamagedObjectTest, LatestFailsWhenTheNewestSegmentHeaderIsDamaged) {
  const SegmentInfo victim = segments_.back();
  Flip(victim.name, log_format::kHdrFirstLsn, 0x04);
  auto c = Open();
  auto plan = PlanRecovery(*c, RecoveryTarget::Latest());
  ASSERT_FALSE(plan.ok()) << plan->ToString();
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kDataLoss) << plan.status();
  EXPECT_THAT(Msg(plan.status()), HasSubstr(victim.name + " at offset "));
  EXPECT_THAT(Msg(plan.status()), HasSubstr("header checksum mismatch"));
  EXPECT_THAT(Msg(plan.status()),
              HasSubstr(absl::StrCat("lsn ", victim.first_lsn, " onwards")));
}

TEST_F(DamagedObjectTest, LatestFailsWhenTheLiveSegmentIsDamaged) {
  // A log whose newest segment is still live (the writer stays open).
  auto storage = NewMemoryStorage();
  std::unique_ptr<LogWriter> writer;
  ASSERT_TRUE(
      WriteHistory(storage.get(), history_, WriteOptions(), &writer).ok());
  auto before = Catalog::Open(storage.get());
  ASSERT_TRUE(before.ok());
  const SegmentInfo live = (*before)->segments().back();
  ASSERT_FALSE(live.sealed);
  ASSERT_GE(live.last_lsn, live.first_lsn);
  // A copy of the repository as the running writer left it (closing the
  // writer would seal the live segment), with the live segment damaged.
  auto copy = NewMemoryStorage();
  auto objects = storage->List("");
  ASSERT_TRUE(objects.ok());
  for (const ObjectInfo& o : *objects) {
    auto bytes = storage->ReadAll(o.name);
    ASSERT_TRUE(bytes.ok()) << o.name;
    std::string b = *bytes;
    if (o.name == live.name) b[log_format::kHdrFirstLsn] ^= 0x04;
    ASSERT_TRUE(copy->WriteAll(o.name, b).ok());
  }
  auto c = Catalog::Open(copy.get());
  ASSERT_TRUE(c.ok());
  auto plan = PlanRecovery(**c, RecoveryTarget::Latest());
  ASSERT_FALSE(plan.ok()) << plan->ToString();
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kDataLoss) << plan.status();
  EXPECT_THAT(Msg(plan.status()), HasSubstr(live.name + " at offset "));
  EXPECT_THAT(Msg(plan.status()),
              HasSubstr(absl::StrCat("lsn ", live.first_lsn, " onwards")));
}

TEST_F(DamagedObjectTest, TargetsBeforeTheDamagedSegmentAreExact) {
  const SegmentInfo victim = segments_.back();
  DamageFooter(victim);
  auto c = Open();
  const Lsn last_readable = victim.first_lsn - 1;
  ExpectExactRestore(*c, RecoveryTarget::AtLsn(last_readable), last_readable);
  ExpectExactRestore(*c, RecoveryTarget::AtLsn(last_readable, false),
                     last_readable - 1);
  // A time target whose stop the model puts before the last readable record
  // (the next commit is later): decided by the readable log alone.
  Lsn l = last_readable - 1;
  while (l > 1 && TimeOf(l) == TimeOf(l + 1)) --l;
  ASSERT_GT(l, 1u);
  const RecoveryTarget t = RecoveryTarget::Time(TimeOf(l));
  ASSERT_EQ(Resolve(history_, t).stop, l);
  ExpectExactRestore(*c, t, l);
}

TEST_F(DamagedObjectTest, TimeTargetAtTheLastReadableCommitFails) {
  // Commits in the damaged segment may share that instant: not decidable.
  const SegmentInfo victim = segments_.back();
  DamageFooter(victim);
  auto c = Open();
  auto plan =
      PlanRecovery(*c, RecoveryTarget::Time(TimeOf(victim.first_lsn - 1)));
  ASSERT_FALSE(plan.ok()) << plan->ToString();
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kDataLoss) << plan.status();
  EXPECT_THAT(Msg(plan.status()), HasSubstr(victim.name));
}

TEST_F(DamagedObjectTest, RefusalBeyondTheReadableLogNamesTheDamagedSegment) {
  const SegmentInfo victim = segments_.back();
  DamageFooter(victim);
  auto c = Open();
  for (const RecoveryTarget& t :
       {RecoveryTarget::AtLsn(600), RecoveryTarget::Time(TimeOf(600) + 1)}) {
    auto plan = PlanRecovery(*c, t);
    ASSERT_FALSE(plan.ok()) << plan->ToString();
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition)
        << plan.status();
    EXPECT_THAT(Msg(plan.status()), HasSubstr("unreachable"));
    EXPECT_THAT(Msg(plan.status()),
                HasSubstr("damaged or unreadable, not used: " + victim.name +
                          " at offset "));
  }
}

TEST_F(DamagedObjectTest, DamagedMiddleSegmentIsNamedOrNotNeeded) {
  const SegmentInfo victim = segments_[2];
  DamageFooter(victim);
  {
    // No snapshot after it: latest lies beyond a hole.
    auto c = Open();
    auto plan = PlanRecovery(*c, RecoveryTarget::Latest());
    ASSERT_FALSE(plan.ok()) << plan->ToString();
    EXPECT_EQ(plan.status().code(), absl::StatusCode::kFailedPrecondition)
        << plan.status();
    EXPECT_THAT(Msg(plan.status()), HasSubstr(victim.name + " at offset "));
    // Before it: exact.
    ExpectExactRestore(*c, RecoveryTarget::AtLsn(victim.first_lsn - 1),
                       victim.first_lsn - 1);
  }
  // A snapshot after it: the damaged segment is not needed for latest.
  const Lsn snap = victim.last_lsn + 5;
  ASSERT_TRUE(WriteModelSnapshot(storage_.get(), history_, snap).ok());
  auto c = Open();
  ExpectExactRestore(*c, RecoveryTarget::Latest(), 600);
}

TEST_F(DamagedObjectTest, DamagedLiveCopyBesideItsSealedSegmentIsIgnored) {
  // An interrupted seal leaves a live copy beside the sealed segment; a
  // damaged live copy holds nothing the sealed one lacks.
  const SegmentInfo sealed = segments_.back();
  auto bytes = storage_->ReadAll(sealed.name);
  ASSERT_TRUE(bytes.ok());
  std::string b = *bytes;
  b[log_format::kHdrFirstLsn] ^= 0x04;
  ASSERT_TRUE(
      storage_
          ->WriteAll(
              SegmentObjectName(sealed.timeline, sealed.first_lsn, false), b)
          .ok());
  auto c = Open();
  EXPECT_FALSE(c->problems().empty());
  ExpectExactRestore(*c, RecoveryTarget::Latest(), 600);
}

TEST_F(DamagedObjectTest, SnapshotOnlyFailsWhenTheNewestSnapshotIsDamaged) {
  auto older = WriteModelSnapshot(storage_.get(), history_, 100);
  auto newer = WriteModelSnapshot(storage_.get(), history_, 400);
  ASSERT_TRUE(older.ok() && newer.ok());
  Flip(newer->name, -1, 0x55);
  auto c = Open();
  auto plan = PlanRecovery(*c, RecoveryTarget::SnapshotOnly());
  ASSERT_FALSE(plan.ok()) << plan->ToString();
  EXPECT_EQ(plan.status().code(), absl::StatusCode::kDataLoss) << plan.status();
  EXPECT_THAT(Msg(plan.status()), HasSubstr(newer->name));
  EXPECT_THAT(Msg(plan.status()), HasSubstr(older->name));
  // Every other target replays the log from the readable snapshot.
  ExpectExactRestore(*c, RecoveryTarget::Latest(), 600);
  ExpectExactRestore(*c, RecoveryTarget::AtLsn(450), 450);
}

}  // namespace
}  // namespace wayback::testing
