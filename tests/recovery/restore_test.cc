// Copyright 2026 The Wayback Authors.
//
// Restore() error paths and options, and VerifyRepository(). Corruption is
// made by byte surgery on the stored objects.

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/log/segment_format.h"
#include "tests/recovery/history.h"
#include "tests/testutil/fault_injection_storage.h"
#include "tests/testutil/testutil.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"

namespace wayback::testing {
namespace {

using ::testing::HasSubstr;

std::string Msg(const absl::Status& s) { return std::string(s.message()); }

// Flips one bit of byte `offset` of object `name`.
void FlipByte(Storage* storage, const std::string& name, uint64_t offset) {
  auto bytes = storage->ReadAll(name);
  ASSERT_TRUE(bytes.ok()) << bytes.status();
  ASSERT_LT(offset, bytes->size());
  (*bytes)[offset] ^= 0x20;
  ASSERT_TRUE(storage->Delete(name).ok());
  ASSERT_TRUE(storage->WriteAll(name, *bytes).ok());
}

class RestoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    HistoryOptions ho;
    ho.entries = 800;
    ho.seed = 17;
    history_ = MakeHistory(ho);
    ASSERT_TRUE(WriteHistory(storage_.get(), history_, WriteOptions()).ok());
  }
  std::unique_ptr<Catalog> Open() {
    auto c = Catalog::Open(storage_.get());
    EXPECT_TRUE(c.ok()) << c.status();
    return c.ok() ? std::move(*c) : nullptr;
  }
  RecoveryPlan Plan(const RecoveryTarget& t) {
    auto c = Open();
    auto p = PlanRecovery(*c, t);
    EXPECT_TRUE(p.ok()) << p.status();
    return p.ok() ? *p : RecoveryPlan();
  }

  std::unique_ptr<Storage> storage_;
  std::vector<Entry> history_;
};

TEST_F(RestoreTest, CorruptBlockStopsReplayAndLeavesTargetIncomplete) {
  auto c = Open();
  SegmentInfo seg;
  for (const SegmentInfo& s : c->segments()) {
    if (s.blocks.size() >= 2 && s.first_lsn > 100) {
      seg = s;
      break;
    }
  }
  ASSERT_GE(seg.blocks.size(), 2u);
  ASSERT_LT(seg.last_lsn, 650u);
  const BlockInfo block = seg.blocks[1];
  // Plan first (planning an LSN target reads only the blocks at its end),
  // then damage a block the replay must read.
  RecoveryPlan plan = Plan(RecoveryTarget::AtLsn(700));
  FlipByte(storage_.get(), seg.name,
           block.offset + log_format::kBlockHeaderSize + 5);
  for (int partitions : {1, 3}) {
    auto target = NewMemoryTarget(partitions);
    auto r = Restore(storage_.get(), plan, target.get());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
    EXPECT_THAT(Msg(r.status()), HasSubstr(seg.name));
    EXPECT_THAT(Msg(r.status()),
                HasSubstr(absl::StrCat("offset ", block.offset)));
    EXPECT_THAT(Msg(r.status()), HasSubstr("lsn "));
    auto marker = target->ReadMarker();
    ASSERT_TRUE(marker.ok());
    ASSERT_TRUE(marker->has_value());
    EXPECT_FALSE((*marker)->complete);
  }
}

TEST_F(RestoreTest, CorruptBlockHeaderIsDataLoss) {
  auto c = Open();
  const SegmentInfo seg = c->segments()[2];
  RecoveryPlan plan = Plan(RecoveryTarget::AtLsn(700));
  FlipByte(storage_.get(), seg.name, seg.blocks[0].offset + 9);
  auto target = NewMemoryTarget();
  auto r = Restore(storage_.get(), plan, target.get());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  EXPECT_THAT(Msg(r.status()), HasSubstr(seg.name));
}

TEST_F(RestoreTest, CorruptionIntoRocksDBLeavesItMarkedIncomplete) {
  TempDir dir;
  auto c = Open();
  const SegmentInfo seg = c->segments()[4];
  RecoveryPlan plan = Plan(RecoveryTarget::Latest());
  FlipByte(storage_.get(), seg.name,
           seg.blocks[0].offset + log_format::kBlockHeaderSize + 1);
  {
    auto target = OpenRocksDBTarget(dir.path() + "/db");
    ASSERT_TRUE(target.ok());
    auto r = Restore(storage_.get(), plan, target->get());
    EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss) << r.status();
  }
  auto reopened = OpenRocksDBTarget(dir.path() + "/db");
  ASSERT_TRUE(reopened.ok());
  auto marker = (*reopened)->ReadMarker();
  ASSERT_TRUE(marker.ok());
  ASSERT_TRUE(marker->has_value());
  EXPECT_FALSE((*marker)->complete);
}

TEST_F(RestoreTest, SegmentVanishingAfterPlanningIsAnError) {
  RecoveryPlan plan = Plan(RecoveryTarget::Latest());
  ASSERT_GT(plan.segments.size(), 3u);
  ASSERT_TRUE(storage_->Delete(plan.segments[2].name).ok());
  auto target = NewMemoryTarget();
  auto r = Restore(storage_.get(), plan, target.get());
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(Msg(r.status()), HasSubstr(plan.segments[2].name));
  EXPECT_FALSE((*target->ReadMarker())->complete);
}

// A live segment the writer seals between the plan and the read is read
// under its sealed name (same bytes plus a footer): restores of a repository
// that is being written do not fail on the race.
TEST(RestoreLive, ALiveSegmentSealedAfterPlanningIsReadUnderItsSealedName) {
  auto storage = NewMemoryStorage();
  LogWriterOptions o;
  o.durability = Durability::kBuffered;
  auto w = LogWriter::Open(storage.get(), o);
  ASSERT_TRUE(w.ok()) << w.status();
  for (int i = 0; i < 50; ++i) {
    Transaction t;
    t.Put(absl::StrCat("k", i % 7), absl::StrCat("v", i));
    ASSERT_TRUE((*w)->Append(t).ok());
  }
  ASSERT_TRUE((*w)->Sync().ok());
  auto catalog = Catalog::Open(storage.get());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
  ASSERT_TRUE(plan.ok()) << plan.status();
  ASSERT_EQ(plan->segments.size(), 1u);
  ASSERT_FALSE(plan->segments[0].sealed);
  ASSERT_TRUE((*w)->Close().ok());  // Seals: the .live object is gone.
  ASSERT_FALSE(storage->Stat(plan->segments[0].name).ok());
  auto target = NewMemoryTarget();
  auto r = Restore(storage.get(), *plan, target.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->transactions_applied, 50u);
  EXPECT_EQ(*target->Get("k0"), std::optional<std::string>("v49"));
}

TEST_F(RestoreTest, NonEmptyTargetNeedsForce) {
  RecoveryPlan plan = Plan(RecoveryTarget::AtLsn(300));
  auto target = NewMemoryTarget();
  ASSERT_TRUE(Restore(storage_.get(), plan, target.get()).ok());
  auto again =
      Restore(storage_.get(), Plan(RecoveryTarget::AtLsn(500)), target.get());
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
  // Nothing was applied by the refused restore.
  EXPECT_EQ(*target->Digest(), DigestOf(StateAt(history_, 300)));
  RestoreOptions force;
  force.force = true;
  auto forced = Restore(storage_.get(), Plan(RecoveryTarget::AtLsn(500)),
                        target.get(), force);
  ASSERT_TRUE(forced.ok()) << forced.status();
  EXPECT_EQ(*forced->digest, DigestOf(StateAt(history_, 500)));
  EXPECT_EQ(*target->Digest(), DigestOf(StateAt(history_, 500)));
}

TEST_F(RestoreTest, ProgressReportsEveryByte) {
  ASSERT_TRUE(WriteModelSnapshot(storage_.get(), history_, 100).ok());
  RecoveryPlan plan = Plan(RecoveryTarget::Latest());
  ASSERT_TRUE(plan.snapshot.has_value());
  std::vector<RestoreProgress> seen;
  RestoreOptions ro;
  ro.threads = 2;
  ro.progress = [&](const RestoreProgress& p) { seen.push_back(p); };
  auto target = NewMemoryTarget();
  auto r = Restore(storage_.get(), plan, target.get(), ro);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_FALSE(seen.empty());
  // The last report, and only that one, says the target is writing the
  // state out (Finish()): everything is read and applied by then.
  EXPECT_EQ(seen.back().phase, RestoreProgress::Phase::kFinishing);
  for (size_t i = 0; i + 1 < seen.size(); ++i) {
    EXPECT_EQ(seen[i].phase, RestoreProgress::Phase::kApplying) << i;
  }
  EXPECT_EQ(seen.back().bytes_read, seen.back().bytes_total);
  EXPECT_EQ(seen.back().bytes_total, plan.bytes_to_read);
  EXPECT_EQ(seen.back().transactions_applied, r->transactions_applied);
  EXPECT_EQ(seen.back().snapshot_pairs_loaded, plan.snapshot->pair_count);
  for (size_t i = 1; i < seen.size(); ++i) {
    EXPECT_GE(seen[i].bytes_read, seen[i - 1].bytes_read);
  }
  EXPECT_EQ(r->bytes_read, plan.bytes_to_read);
  EXPECT_THAT(r->ToString(), HasSubstr("txn/s"));
  EXPECT_THAT(r->ToString(), HasSubstr(r->digest->ToString()));
}

TEST_F(RestoreTest, CallbackTargetSeesExactlyTheAdmittedTransactions) {
  RecoveryPlan plan = Plan(RecoveryTarget::AtLsn(650, false));
  std::vector<Lsn> lsns;
  auto target = NewCallbackTarget([&](const LogRecord& r) {
    lsns.push_back(r.lsn);
    return absl::OkStatus();
  });
  auto r = Restore(storage_.get(), plan, target.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->digest.has_value());
  std::vector<Lsn> want;
  for (const Entry& e : history_) {
    if (!e.restore_point && e.lsn < 650) want.push_back(e.lsn);
  }
  EXPECT_EQ(lsns, want);
}

TEST_F(RestoreTest, CallbackErrorStopsTheRestore) {
  RecoveryPlan plan = Plan(RecoveryTarget::Latest());
  int calls = 0;
  auto target = NewCallbackTarget([&](const LogRecord&) {
    return ++calls == 10 ? absl::InternalError("disk full") : absl::OkStatus();
  });
  auto r = Restore(storage_.get(), plan, target.get());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(Msg(r.status()), HasSubstr("disk full"));
  EXPECT_EQ(calls, 10);
}

TEST_F(RestoreTest, LiveSegmentIsReplayed) {
  auto storage = NewMemoryStorage();
  std::unique_ptr<LogWriter> writer;
  ASSERT_TRUE(
      WriteHistory(storage.get(), history_, WriteOptions(), &writer).ok());
  auto c = Catalog::Open(storage.get());
  ASSERT_TRUE(c.ok());
  ASSERT_FALSE((*c)->segments().back().sealed);
  EXPECT_EQ((*c)->windows()[0].latest_lsn, 800u);
  for (const RecoveryTarget& t :
       {RecoveryTarget::Latest(), RecoveryTarget::Time(history_[790].time()),
        RecoveryTarget::AtLsn(799, false)}) {
    auto plan = PlanRecovery(**c, t);
    ASSERT_TRUE(plan.ok()) << plan.status();
    ModelResolution m = Resolve(history_, t);
    EXPECT_EQ(plan->last_lsn, m.stop);
    auto target = NewMemoryTarget();
    auto r = Restore(storage.get(), *plan, target.get());
    ASSERT_TRUE(r.ok()) << r.status();
    EXPECT_EQ(*r->digest, DigestOf(StateAt(history_, m.stop)));
  }
}

TEST_F(RestoreTest, MalformedPlanIsRefusedBeforeAnythingIsApplied) {
  RecoveryPlan plan = Plan(RecoveryTarget::AtLsn(300));
  plan.first_lsn = 5;
  auto target = NewMemoryTarget();
  auto r = Restore(storage_.get(), plan, target.get());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(*target->IsEmpty());
}

TEST_F(RestoreTest, ReadErrorIsReturnedAsSuchNotAsTheEndOfTheLog) {
  FaultInjectionStorage fs(storage_.get());
  auto c = Catalog::Open(&fs);
  ASSERT_TRUE(c.ok());
  auto plan = PlanRecovery(**c, RecoveryTarget::AtLsn(700));
  ASSERT_TRUE(plan.ok());
  for (FaultKind kind : {FaultKind::kUnavailable, FaultKind::kEio}) {
    // The 6th block read of the log fails.
    fs.FailNthOn(FaultOp::kRead, "log/", 6, kind);
    auto target = NewMemoryTarget();
    auto r = Restore(&fs, *plan, target.get());
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), kind == FaultKind::kUnavailable
                                     ? absl::StatusCode::kUnavailable
                                     : absl::StatusCode::kInternal)
        << r.status();
    EXPECT_FALSE((*target->ReadMarker())->complete);
    fs.ClearFaults();
  }
}

TEST_F(RestoreTest, ListingErrorFailsCatalogOpen) {
  FaultInjectionStorage fs(storage_.get());
  fs.FailNth(FaultOp::kList, 1, FaultKind::kUnavailable);
  auto c = Catalog::Open(&fs);
  EXPECT_EQ(c.status().code(), absl::StatusCode::kUnavailable);
}

TEST_F(RestoreTest, ReadErrorWhileVerifyingIsAnErrorNotAProblem) {
  FaultInjectionStorage fs(storage_.get());
  auto c = Catalog::Open(&fs);
  ASSERT_TRUE(c.ok());
  // Let the catalog's reads pass, then fail one block read.
  const int64_t reads = fs.count(FaultOp::kRead);
  fs.FailNthOn(FaultOp::kRead, "log/", reads + 3, FaultKind::kEio);
  VerifyOptions vo;
  vo.threads = 1;
  auto report = VerifyRepository(&fs, vo);
  EXPECT_EQ(report.status().code(), absl::StatusCode::kInternal);
}

class VerifyTest : public RestoreTest {};

TEST_F(VerifyTest, CleanRepositoryPassesWithRestoreTests) {
  for (Lsn lsn : {50, 300, 301, 800}) {
    ASSERT_TRUE(WriteModelSnapshot(storage_.get(), history_, lsn).ok());
  }
  VerifyOptions vo;
  vo.restore_test = true;
  vo.threads = 2;
  auto report = VerifyRepository(storage_.get(), vo);
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->ToString();
  auto c = Open();
  uint64_t blocks = 0;
  for (const SegmentInfo& s : c->segments()) blocks += s.blocks.size();
  EXPECT_EQ(report->segments_checked, c->segments().size());
  EXPECT_EQ(report->blocks_checked, blocks);
  EXPECT_EQ(report->snapshots_checked, 4u);
  EXPECT_EQ(report->restore_tests, 3u);
  EXPECT_THAT(report->ToString(), HasSubstr("OK"));
}

TEST_F(VerifyTest, ListsEveryProblemNotOnlyTheFirst) {
  auto snap = WriteModelSnapshot(storage_.get(), history_, 400);
  ASSERT_TRUE(snap.ok());
  auto c = Open();
  const SegmentInfo a = c->segments()[1];
  const SegmentInfo b = c->segments()[6];
  FlipByte(storage_.get(), a.name,
           a.blocks[0].offset + log_format::kBlockHeaderSize + 2);
  FlipByte(storage_.get(), b.name,
           b.blocks.back().offset + log_format::kBlockHeaderSize + 2);
  // Damage the snapshot's first block payload (past its header).
  FlipByte(storage_.get(), snap->name, 60);
  ASSERT_TRUE(storage_->WriteAll("log/junk.seg.tmp", "x").ok());
  auto report = VerifyRepository(storage_.get());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_FALSE(report->ok());
  auto has = [&](const std::string& object, const std::string& text) {
    for (const CatalogProblem& p : report->problems) {
      if (p.object == object && p.message.find(text) != std::string::npos) {
        return true;
      }
    }
    return false;
  };
  EXPECT_TRUE(has(a.name, absl::StrCat("offset ", a.blocks[0].offset)))
      << report->ToString();
  EXPECT_TRUE(has(b.name, absl::StrCat("offset ", b.blocks.back().offset)))
      << report->ToString();
  EXPECT_TRUE(has(snap->name, "")) << report->ToString();
  EXPECT_TRUE(has("log/junk.seg.tmp", "stray")) << report->ToString();
  EXPECT_EQ(report->problems.size(), 4u) << report->ToString();
}

TEST_F(VerifyTest, RestoreTestCatchesASnapshotThatDisagreesWithTheLog) {
  ASSERT_TRUE(WriteModelSnapshot(storage_.get(), history_, 100).ok());
  // A self-consistent snapshot labelled lsn 400 holding the state of lsn 390:
  // its own checksums and digest verify, only the restore test can tell.
  ModelState wrong = StateAt(history_, 390);
  ASSERT_NE(DigestOf(wrong), DigestOf(StateAt(history_, 400)));
  SnapshotWriterOptions so;
  so.lsn = 400;
  so.commit_time = history_[399].time();
  auto w = SnapshotWriter::Create(storage_.get(), so);
  ASSERT_TRUE(w.ok());
  for (const auto& [k, v] : wrong) ASSERT_TRUE((*w)->Add(k, v).ok());
  auto liar = (*w)->Finish();
  ASSERT_TRUE(liar.ok());
  VerifyOptions vo;
  auto plain = VerifyRepository(storage_.get(), vo);
  ASSERT_TRUE(plain.ok());
  EXPECT_TRUE(plain->ok()) << plain->ToString();
  vo.restore_test = true;
  auto report = VerifyRepository(storage_.get(), vo);
  ASSERT_TRUE(report.ok());
  ASSERT_EQ(report->problems.size(), 1u) << report->ToString();
  EXPECT_EQ(report->problems[0].object, liar->name);
  EXPECT_EQ(report->problems[0].code, absl::StatusCode::kDataLoss);
  EXPECT_THAT(report->problems[0].message, HasSubstr("restore test"));
}

}  // namespace
}  // namespace wayback::testing
