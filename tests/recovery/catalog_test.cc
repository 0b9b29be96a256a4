// Copyright 2026 The Wayback Authors.
//
// The catalog (windows, holes, overlaps, strays, damaged objects) and the
// planner's refusals: every unreachable target is refused before anything is
// applied, with the right code and a message naming the reachable window.

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/recovery/history.h"
#include "wayback/recovery.h"

namespace wayback::testing {
namespace {

using ::testing::HasSubstr;

std::vector<Entry> History(int n, uint64_t seed = 3) {
  HistoryOptions ho;
  ho.entries = n;
  ho.seed = seed;
  return MakeHistory(ho);
}

// The segment holding `lsn`.
std::string SegmentOf(const Catalog& c, Lsn lsn) {
  for (const SegmentInfo& s : c.segments()) {
    if (s.first_lsn <= lsn && lsn <= s.last_lsn) return s.name;
  }
  return "";
}

const SegmentInfo* SegmentNamed(const Catalog& c, const std::string& name) {
  for (const SegmentInfo& s : c.segments()) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

bool HasProblem(const Catalog& c, const std::string& object,
                absl::StatusCode code, const std::string& text) {
  for (const CatalogProblem& p : c.problems()) {
    if (p.object == object && p.code == code &&
        p.message.find(text) != std::string::npos) {
      return true;
    }
  }
  return false;
}

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    history_ = History(600);
    auto starts = WriteHistory(storage_.get(), history_, WriteOptions());
    ASSERT_TRUE(starts.ok()) << starts.status();
  }
  std::unique_ptr<Catalog> Open() {
    auto c = Catalog::Open(storage_.get());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }
  CommitTime TimeOf(Lsn lsn) const { return history_[lsn - 1].time(); }

  std::unique_ptr<Storage> storage_;
  std::vector<Entry> history_;
};

TEST_F(CatalogTest, CompleteLogHasOneWindowFromEmptyState) {
  auto c = Open();
  EXPECT_TRUE(c->problems().empty());
  ASSERT_EQ(c->windows().size(), 1u);
  EXPECT_EQ(c->windows()[0].earliest_lsn, 0u);
  EXPECT_EQ(c->windows()[0].latest_lsn, 600u);
  EXPECT_EQ(c->windows()[0].latest_time, TimeOf(600));
  Lsn next = 1;
  for (const SegmentInfo& s : c->segments()) {
    EXPECT_EQ(s.first_lsn, next);
    next = s.last_lsn + 1;
  }
  EXPECT_EQ(next, 601u);
}

TEST_F(CatalogTest, HoleSplitsWindowsAndTargetsAcrossItAreRefused) {
  auto before = Open();
  const std::string hole_seg = SegmentOf(*before, 300);
  const SegmentInfo hole = *SegmentNamed(*before, hole_seg);
  ASSERT_TRUE(WriteModelSnapshot(storage_.get(), history_, 100).ok());
  const Lsn after_snap = hole.last_lsn + 40;
  ASSERT_TRUE(WriteModelSnapshot(storage_.get(), history_, after_snap).ok());
  ASSERT_TRUE(storage_->Delete(hole_seg).ok());

  auto c = Open();
  EXPECT_TRUE(HasProblem(
      *c, SegmentOf(*c, hole.last_lsn + 1),
      absl::StatusCode::kFailedPrecondition,
      absl::StrCat("lsn ", hole.first_lsn, "..", hole.last_lsn, " missing")));
  ASSERT_EQ(c->windows().size(), 2u);
  EXPECT_EQ(c->windows()[0].earliest_lsn, 0u);
  EXPECT_EQ(c->windows()[0].latest_lsn, hole.first_lsn - 1);
  EXPECT_EQ(c->windows()[1].earliest_lsn, after_snap);
  EXPECT_EQ(c->windows()[1].earliest_time, TimeOf(after_snap));
  EXPECT_EQ(c->windows()[1].latest_lsn, 600u);

  const std::string latest_text = absl::StrCat("latest reachable: lsn 600 at ",
                                               FormatCommitTime(TimeOf(600)));
  auto refused = [&](const RecoveryTarget& t, absl::StatusCode code,
                     const std::string& why) {
    auto p = PlanRecovery(*c, t);
    ASSERT_FALSE(p.ok()) << t.ToString() << "\n" << p->ToString();
    EXPECT_EQ(p.status().code(), code) << p.status();
    EXPECT_THAT(Msg(p.status()), HasSubstr("earliest reachable: lsn 0"));
    EXPECT_THAT(Msg(p.status()), HasSubstr(latest_text));
    EXPECT_THAT(Msg(p.status()), HasSubstr(why)) << p.status();
  };
  // LSNs inside the hole, and after it but before the next snapshot.
  refused(RecoveryTarget::AtLsn(hole.first_lsn),
          absl::StatusCode::kFailedPrecondition, "hole");
  refused(RecoveryTarget::AtLsn(after_snap - 1),
          absl::StatusCode::kFailedPrecondition, "hole");
  // A time after the first window's end and before the next snapshot.
  refused(RecoveryTarget::Time(TimeOf(hole.first_lsn - 1) + 1),
          absl::StatusCode::kFailedPrecondition, "hole");
  refused(RecoveryTarget::Time(TimeOf(after_snap), false),
          absl::StatusCode::kFailedPrecondition, "hole");
  // Beyond the end.
  refused(RecoveryTarget::Time(TimeOf(600) + 1),
          absl::StatusCode::kFailedPrecondition, "beyond the end");
  refused(RecoveryTarget::AtLsn(601), absl::StatusCode::kFailedPrecondition,
          "beyond the end");
  // A txid only in the missing segment is not found; one in the unreachable
  // stretch after the hole is found but cannot be reached.
  std::optional<uint64_t> in_hole, unreachable;
  for (const Entry& e : history_) {
    if (!e.txn.txid) continue;
    if (e.lsn >= hole.first_lsn && e.lsn <= hole.last_lsn) in_hole = e.txn.txid;
    if (e.lsn > hole.last_lsn + 1 && e.lsn < after_snap) {
      unreachable = e.txn.txid;
    }
  }
  ASSERT_TRUE(in_hole && unreachable);
  refused(RecoveryTarget::Txid(*in_hole), absl::StatusCode::kNotFound,
          "no transaction has this txid");
  refused(RecoveryTarget::Txid(*unreachable),
          absl::StatusCode::kFailedPrecondition, "hole");
  refused(RecoveryTarget::RestorePoint("never-made"),
          absl::StatusCode::kNotFound, "no restore point");

  // Reachable: both sides of the hole, and latest from the later snapshot.
  auto a = PlanRecovery(*c, RecoveryTarget::AtLsn(hole.first_lsn - 1));
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->snapshot->lsn, 100u);
  auto b = PlanRecovery(*c, RecoveryTarget::Latest());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(b->snapshot->lsn, after_snap);
  EXPECT_EQ(b->last_lsn, 600u);
  auto target = NewMemoryTarget();
  auto r = Restore(storage_.get(), *b, target.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->digest, DigestOf(StateAt(history_, 600)));
  // A target at the later snapshot's own time is reachable inclusively.
  auto d = PlanRecovery(*c, RecoveryTarget::Time(TimeOf(after_snap)));
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->snapshot->lsn, after_snap);
}

TEST_F(CatalogTest, LogWithoutItsStartIsReachableOnlyFromASnapshot) {
  auto before = Open();
  const SegmentInfo first = before->segments()[0];
  const Lsn snap = first.last_lsn + 50;
  ASSERT_TRUE(WriteModelSnapshot(storage_.get(), history_, snap).ok());
  ASSERT_TRUE(storage_->Delete(first.name).ok());
  auto c = Open();
  ASSERT_EQ(c->windows().size(), 1u);
  EXPECT_EQ(c->windows()[0].earliest_lsn, snap);
  const std::string earliest = absl::StrCat(
      "earliest reachable: lsn ", snap, " at ", FormatCommitTime(TimeOf(snap)));
  for (const RecoveryTarget& t :
       {RecoveryTarget::AtLsn(snap - 1), RecoveryTarget::AtLsn(0),
        RecoveryTarget::Time(TimeOf(1)),
        RecoveryTarget::Time(TimeOf(snap), /*inclusive=*/false)}) {
    auto p = PlanRecovery(*c, t);
    ASSERT_FALSE(p.ok()) << t.ToString();
    EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(Msg(p.status()), HasSubstr(earliest)) << p.status();
    EXPECT_THAT(Msg(p.status()), HasSubstr("latest reachable: lsn 600"));
  }
  auto ok = PlanRecovery(*c, RecoveryTarget::AtLsn(snap + 1));
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->snapshot->lsn, snap);
}

TEST_F(CatalogTest, NoStartingStateRefusesEverything) {
  auto before = Open();
  ASSERT_TRUE(storage_->Delete(before->segments()[0].name).ok());
  auto c = Open();
  EXPECT_TRUE(c->windows().empty());
  for (const RecoveryTarget& t :
       {RecoveryTarget::Latest(), RecoveryTarget::AtLsn(500),
        RecoveryTarget::Time(TimeOf(500))}) {
    auto p = PlanRecovery(*c, t);
    ASSERT_FALSE(p.ok());
    EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_THAT(Msg(p.status()), HasSubstr("nothing is reachable"));
  }
  auto s = PlanRecovery(*c, RecoveryTarget::SnapshotOnly());
  EXPECT_EQ(s.status().code(), absl::StatusCode::kNotFound);
}

TEST_F(CatalogTest, EmptyRepositoryRefusesLatest) {
  auto empty = NewMemoryStorage();
  auto c = Catalog::Open(empty.get());
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->windows().empty());
  auto p = PlanRecovery(**c, RecoveryTarget::Latest());
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CatalogTest, OtherTimelineHasNothing) {
  auto c = Open();
  RecoveryTarget t = RecoveryTarget::Latest();
  t.timeline = 2;
  auto p = PlanRecovery(*c, t);
  EXPECT_EQ(p.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(CatalogTest, StrayTemporariesAreReported) {
  ASSERT_TRUE(
      storage_->WriteAll("log/00000001-0000000000000999.seg.tmp", "x").ok());
  ASSERT_TRUE(
      storage_->WriteAll("snap/00000001-0000000000000010.snap.tmp", "y").ok());
  auto c = Open();
  EXPECT_TRUE(HasProblem(*c, "log/00000001-0000000000000999.seg.tmp",
                         absl::StatusCode::kAborted, "stray temporary"));
  EXPECT_TRUE(HasProblem(*c, "snap/00000001-0000000000000010.snap.tmp",
                         absl::StatusCode::kAborted, "stray temporary"));
  EXPECT_EQ(c->windows().size(), 1u);
}

TEST_F(CatalogTest, DamagedSegmentIsAProblemAndAHole) {
  auto before = Open();
  const SegmentInfo victim = before->segments()[4];
  auto bytes = storage_->ReadAll(victim.name);
  ASSERT_TRUE(bytes.ok());
  // Byte surgery: damage the footer's trailer magic.
  std::string damaged = *bytes;
  damaged[damaged.size() - 1] ^= 0x55;
  ASSERT_TRUE(storage_->Delete(victim.name).ok());
  ASSERT_TRUE(storage_->WriteAll(victim.name, damaged).ok());
  auto c = Open();
  bool found = false;
  for (const CatalogProblem& p : c->problems()) {
    if (p.object == victim.name && p.code == absl::StatusCode::kDataLoss) {
      found = true;
    }
  }
  EXPECT_TRUE(found);
  ASSERT_EQ(c->windows().size(), 1u);
  EXPECT_EQ(c->windows()[0].latest_lsn, victim.first_lsn - 1);
}

TEST_F(CatalogTest, DamagedSnapshotIsAProblem) {
  auto info = WriteModelSnapshot(storage_.get(), history_, 200);
  ASSERT_TRUE(info.ok());
  auto bytes = storage_->ReadAll(info->name);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(storage_->Delete(info->name).ok());
  ASSERT_TRUE(
      storage_->WriteAll(info->name, bytes->substr(0, bytes->size() - 3)).ok());
  auto c = Open();
  EXPECT_TRUE(c->snapshots().empty());
  bool found = false;
  for (const CatalogProblem& p : c->problems()) found |= p.object == info->name;
  EXPECT_TRUE(found);
}

TEST_F(CatalogTest, OverlappingSegmentIsReportedAndIgnored) {
  // The same history written with different segment boundaries: one of its
  // segments overlaps ours.
  auto other = NewMemoryStorage();
  WriteOptions wo;
  wo.segment_max_bytes = 9000;
  wo.seed = 99;
  ASSERT_TRUE(WriteHistory(other.get(), history_, wo).ok());
  auto oc = Catalog::Open(other.get());
  ASSERT_TRUE(oc.ok());
  auto mine = Open();
  std::set<std::string> names;
  for (const SegmentInfo& s : mine->segments()) names.insert(s.name);
  const SegmentInfo* pick = nullptr;
  for (const SegmentInfo& s : (*oc)->segments()) {
    if (!names.count(s.name) && s.first_lsn > 1) {
      pick = &s;
      break;
    }
  }
  ASSERT_NE(pick, nullptr);
  auto bytes = other->ReadAll(pick->name);
  ASSERT_TRUE(bytes.ok());
  ASSERT_TRUE(storage_->WriteAll(pick->name, *bytes).ok());
  auto c = Open();
  EXPECT_TRUE(
      HasProblem(*c, pick->name, absl::StatusCode::kDataLoss, "overlaps"));
  ASSERT_EQ(c->windows().size(), 1u);
  EXPECT_EQ(c->windows()[0].latest_lsn, 600u);
  // Replay still gives the exact state.
  auto plan = PlanRecovery(*c, RecoveryTarget::Latest());
  ASSERT_TRUE(plan.ok());
  auto t = NewMemoryTarget();
  auto r = Restore(storage_.get(), *plan, t.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r->digest, DigestOf(StateAt(history_, 600)));
}

TEST_F(CatalogTest, PlanToStringNamesInstantsInUtc) {
  auto c = Open();
  auto p = PlanRecovery(*c, RecoveryTarget::Time(TimeOf(300)));
  ASSERT_TRUE(p.ok());
  const std::string s = p->ToString();
  EXPECT_THAT(s, HasSubstr(FormatCommitTime(TimeOf(300))));
  EXPECT_THAT(s, HasSubstr("last included:  lsn "));
  EXPECT_THAT(s, HasSubstr("first excluded: lsn "));
  EXPECT_THAT(s, HasSubstr("the empty state"));
  EXPECT_GT(p->bytes_to_read, 0u);
}

}  // namespace
}  // namespace wayback::testing
