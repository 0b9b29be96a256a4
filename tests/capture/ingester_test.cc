// Copyright 2026 The Wayback Authors.
//
// The capture layer: Ingester (acknowledgements, exactly-once resume, the
// duplicate check) and Archiver (mirrors, the lag definition), on real local
// directories.

#include <filesystem>
#include <fstream>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/fault_injection_storage.h"
#include "tests/testutil/testutil.h"
#include "wayback/capture.h"
#include "wayback/log.h"
#include "wayback/repository.h"

namespace wayback {
namespace {

using ::testing::HasSubstr;

constexpr CommitTime kT0 = 1767225600000000000;

CaptureEvent Txn(uint64_t pos, std::string key, std::string value,
                 std::optional<uint64_t> txid = {}) {
  CaptureEvent e;
  e.position = pos;
  e.txn.txid = txid;
  e.txn.commit_time = kT0 + static_cast<CommitTime>(pos) * 1000;
  e.txn.Put(key, value);
  return e;
}

CaptureEvent Rp(uint64_t pos, std::string name) {
  CaptureEvent e;
  e.kind = CaptureEvent::Kind::kRestorePoint;
  e.position = pos;
  e.restore_point = std::move(name);
  e.restore_point_time = kT0 + static_cast<CommitTime>(pos) * 1000;
  return e;
}

// The (position, LSN) of every record of the log.
std::vector<std::pair<uint64_t, Lsn>> Positions(Storage* storage) {
  std::vector<std::pair<uint64_t, Lsn>> out;
  auto r = LogReader::Open(storage, {});
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return out;
  while (true) {
    auto rec = (*r)->Next();
    EXPECT_TRUE(rec.ok()) << rec.status();
    if (!rec.ok() || *rec == nullptr) break;
    out.emplace_back((*rec)->source_position.value_or(UINT64_MAX), (*rec)->lsn);
  }
  return out;
}

class IngesterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto repo = Repository::Create(dir_.path() + "/repo");
    ASSERT_TRUE(repo.ok()) << repo.status();
    repo_ = *std::move(repo);
  }
  std::unique_ptr<Ingester> Open() {
    auto i = Ingester::Open(repo_.get(), {});
    EXPECT_TRUE(i.ok()) << i.status();
    return i.ok() ? *std::move(i) : nullptr;
  }

  testing::TempDir dir_;
  std::unique_ptr<Repository> repo_;
};

TEST_F(IngesterTest, CommitAcknowledgesTheNewestDurableEvent) {
  auto ing = Open();
  ASSERT_NE(ing, nullptr);
  EXPECT_FALSE(ing->durable_position().has_value());
  EXPECT_FALSE(ing->last_ack().has_value());
  ASSERT_EQ(*ing->Offer(Txn(10, "a", "1", 100)), OfferOutcome::kAppended);
  ASSERT_EQ(*ing->Offer(Txn(20, "b", "2", 200)), OfferOutcome::kAppended);
  auto ack = ing->Commit();
  ASSERT_TRUE(ack.ok()) << ack.status();
  ASSERT_TRUE(ack->has_value());
  EXPECT_EQ((*ack)->lsn, 2u);
  EXPECT_EQ((*ack)->source_position, 20u);
  EXPECT_EQ((*ack)->txid, 200u);
  EXPECT_EQ((*ack)->commit_time, kT0 + 20000);
  EXPECT_EQ(ing->durable_position(), 20u);
  // Nothing new: no acknowledgement.
  auto none = ing->Commit();
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->has_value());
  ASSERT_EQ(*ing->Offer(Rp(25, "before-batch")), OfferOutcome::kAppended);
  ack = ing->Commit();
  ASSERT_TRUE(ack.ok() && ack->has_value());
  EXPECT_EQ((*ack)->lsn, 3u);
  EXPECT_FALSE((*ack)->txid.has_value());
  ASSERT_TRUE(ing->Close().ok());
  EXPECT_EQ(Positions(repo_->storage()),
            (std::vector<std::pair<uint64_t, Lsn>>{{10, 1}, {20, 2}, {25, 3}}));
}

TEST_F(IngesterTest,
       ReopenResumesAfterTheArchivedPositionAndSkipsResentEvents) {
  {
    auto ing = Open();
    ASSERT_NE(ing, nullptr);
    for (uint64_t p = 1; p <= 50; ++p) {
      ASSERT_TRUE(ing->Offer(Txn(p, absl::StrCat("k", p), "v", p)).ok());
      if (p % 7 == 0) {
        ASSERT_TRUE(ing->Commit().ok());
      }
    }
    ASSERT_TRUE(ing->Offer(Rp(51, "rp")).ok());
    ASSERT_TRUE(ing->Close().ok());
  }
  auto ing = Open();
  ASSERT_NE(ing, nullptr);
  EXPECT_EQ(ing->durable_position(), 51u);
  ASSERT_TRUE(ing->last_ack().has_value());
  EXPECT_EQ(ing->last_ack()->lsn, 51u);
  EXPECT_EQ(ing->last_ack()->source_position, 51u);
  // The producer replays from position 30: all identical, all skipped.
  for (uint64_t p = 30; p <= 50; ++p) {
    auto o = ing->Offer(Txn(p, absl::StrCat("k", p), "v", p));
    ASSERT_TRUE(o.ok()) << o.status();
    EXPECT_EQ(*o, OfferOutcome::kDuplicate) << p;
  }
  EXPECT_EQ(*ing->Offer(Rp(51, "rp")), OfferOutcome::kDuplicate);
  EXPECT_EQ(*ing->Offer(Txn(52, "k52", "v", 52)), OfferOutcome::kAppended);
  ASSERT_TRUE(ing->Close().ok());
  EXPECT_EQ(ing->stats().duplicates, 22u);
  auto pos = Positions(repo_->storage());
  ASSERT_EQ(pos.size(), 52u);
  for (size_t i = 0; i < pos.size(); ++i) {
    EXPECT_EQ(pos[i].first, i + 1);
    EXPECT_EQ(pos[i].second, i + 1);
  }
}

// A resent stretch after a restart leaves the duplicate check's reader
// standing inside the log; events appended after that must still be found
// when the source resends them too (a copytruncate of a followed file).
TEST_F(IngesterTest, ResentEventsAppendedAfterAnEarlierResendAreRecognised) {
  {
    auto ing = Open();
    ASSERT_NE(ing, nullptr);
    for (uint64_t p = 1; p <= 10; ++p) {
      ASSERT_TRUE(ing->Offer(Txn(p, absl::StrCat("k", p), "v", p)).ok());
    }
    ASSERT_TRUE(ing->Close().ok());
  }
  auto ing = Open();
  ASSERT_NE(ing, nullptr);
  auto dup = ing->Offer(Txn(5, "k5", "v", 5));
  ASSERT_TRUE(dup.ok()) << dup.status();
  EXPECT_EQ(*dup, OfferOutcome::kDuplicate);
  for (uint64_t p = 11; p <= 20; ++p) {
    ASSERT_TRUE(ing->Offer(Txn(p, absl::StrCat("k", p), "v", p)).ok());
  }
  ASSERT_TRUE(ing->Commit().ok());
  for (uint64_t p = 15; p <= 20; ++p) {
    auto again = ing->Offer(Txn(p, absl::StrCat("k", p), "v", p));
    ASSERT_TRUE(again.ok()) << "position " << p << ": " << again.status();
    EXPECT_EQ(*again, OfferOutcome::kDuplicate);
  }
  ASSERT_TRUE(ing->Close().ok());
  EXPECT_EQ(Positions(repo_->storage()).size(), 20u);
}

TEST_F(IngesterTest, ResentEventWithDifferentContentIsRefusedNamingBoth) {
  {
    auto ing = Open();
    ASSERT_NE(ing, nullptr);
    ASSERT_TRUE(ing->Offer(Txn(5, "a", "1", 7)).ok());
    ASSERT_TRUE(ing->Offer(Txn(6, "b", "2", 8)).ok());
    ASSERT_TRUE(ing->Offer(Rp(9, "rp")).ok());
    ASSERT_TRUE(ing->Close().ok());
  }
  auto ing = Open();
  ASSERT_NE(ing, nullptr);
  auto o = ing->Offer(Txn(6, "b", "CHANGED", 8));
  ASSERT_TRUE(absl::IsFailedPrecondition(o.status())) << o.status();
  EXPECT_THAT(o.status().message(), HasSubstr("source position 6"));
  EXPECT_THAT(o.status().message(), HasSubstr("LSN 2"));
  EXPECT_THAT(o.status().message(), HasSubstr("mutation 0"));
  o = ing->Offer(Txn(5, "a", "1", 99));
  EXPECT_THAT(o.status().message(),
              HasSubstr("txid 99 differs from the archived 7"));
  o = ing->Offer(Rp(9, "other"));
  EXPECT_THAT(o.status().message(), HasSubstr("\"other\" differs"));
  // Position 7 lies below the archived 9 but was never archived.
  o = ing->Offer(Txn(7, "x", "y"));
  ASSERT_TRUE(absl::IsFailedPrecondition(o.status())) << o.status();
  EXPECT_THAT(o.status().message(), HasSubstr("no record of the archive"));
  // Nothing was appended by the refusals.
  ASSERT_TRUE(ing->Close().ok());
  EXPECT_EQ(Positions(repo_->storage()).size(), 3u);
}

TEST_F(IngesterTest, PositionsMustIncreaseWithinARun) {
  auto ing = Open();
  ASSERT_NE(ing, nullptr);
  ASSERT_TRUE(ing->Offer(Txn(10, "a", "1")).ok());
  auto o = ing->Offer(Txn(10, "a", "1"));
  ASSERT_TRUE(absl::IsInvalidArgument(o.status())) << o.status();
  EXPECT_THAT(o.status().message(), HasSubstr("position 10 does not follow"));
  o = ing->Offer(Txn(9, "a", "1"));
  EXPECT_TRUE(absl::IsInvalidArgument(o.status()));
  ASSERT_TRUE(ing->Close().ok());
  EXPECT_EQ(Positions(repo_->storage()).size(), 1u);
}

TEST_F(IngesterTest, AssignsAbsentCommitTimesAndAcknowledgesThem) {
  ManualClock clock(kT0);
  IngesterOptions o;
  o.clock = &clock;
  auto ing = Ingester::Open(repo_.get(), o);
  ASSERT_TRUE(ing.ok());
  CaptureEvent e;
  e.position = 1;
  e.txn.Put("k", "v");
  ASSERT_TRUE((*ing)->Offer(std::move(e)).ok());
  CaptureEvent f;
  f.position = 2;
  f.txn.Put("k", "w");
  ASSERT_TRUE((*ing)->Offer(std::move(f)).ok());  // Same clock reading.
  auto ack = (*ing)->Commit();
  ASSERT_TRUE(ack.ok() && ack->has_value());
  EXPECT_EQ((*ack)->commit_time, kT0 + 1) << "strictly after the previous";
}

TEST(IngesterOpen, RefusesARepositoryWithoutIdentity) {
  testing::TempDir dir;
  // A log written before identities existed.
  auto storage = OpenStorage(dir.path(), true);
  ASSERT_TRUE(storage.ok());
  {
    auto w = LogWriter::Open(storage->get(), {});
    ASSERT_TRUE(w.ok());
    Transaction t;
    t.Put("a", "b");
    ASSERT_TRUE((*w)->Append(t).ok());
  }
  auto repo = Repository::Open(dir.path());
  ASSERT_TRUE(repo.ok()) << repo.status();
  auto ing = Ingester::Open(repo->get(), {});
  ASSERT_TRUE(absl::IsFailedPrecondition(ing.status())) << ing.status();
  EXPECT_THAT(ing.status().message(), HasSubstr("no identity object"));
}

TEST_F(IngesterTest, ArchiverShipsSealedSegmentsAndMeasuresLagFromAcks) {
  auto mirror = Repository::OpenOrCreateMirror(dir_.path() + "/mirror", *repo_);
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  std::vector<std::unique_ptr<Repository>> mirrors;
  mirrors.push_back(*std::move(mirror));
  ArchiverOptions ao;
  ao.interval = absl::Milliseconds(20);
  auto archiver = Archiver::Start(repo_.get(), std::move(mirrors), ao);
  ASSERT_TRUE(archiver.ok()) << archiver.status();
  auto ing = Open();
  ASSERT_NE(ing, nullptr);
  ASSERT_TRUE(ing->Offer(Txn(1, "a", "1")).ok());
  auto ack = ing->Commit();
  ASSERT_TRUE(ack.ok() && ack->has_value());
  const absl::Time acked_at = absl::FromUnixSeconds(1000);
  (*archiver)->Acknowledged((*ack)->lsn, acked_at);
  // Still in the live segment: not shipped, so the lag is t - ack time.
  absl::SleepFor(absl::Milliseconds(100));
  auto states = (*archiver)->States(acked_at + absl::Seconds(7));
  ASSERT_EQ(states.size(), 1u);
  EXPECT_EQ(states[0].lag, absl::Seconds(7));
  EXPECT_GE(states[0].passes, 1u);
  EXPECT_TRUE(states[0].last_error.ok()) << states[0].last_error;
  // Sealed and shipped: the mirror holds everything acknowledged.
  ASSERT_TRUE(ing->Roll().ok());
  (*archiver)->Wake();
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    states = (*archiver)->States(acked_at + absl::Seconds(8));
    if (states[0].mirrored && states[0].mirrored->lsn == 1) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  ASSERT_TRUE(states[0].mirrored.has_value());
  EXPECT_EQ(states[0].mirrored->lsn, 1u);
  EXPECT_EQ(states[0].lag, absl::ZeroDuration());
  EXPECT_GE(states[0].copied_objects, 2u);  // The identity and the segment.
  ASSERT_TRUE((*archiver)->Stop(true).ok());
  EXPECT_TRUE(
      std::filesystem::exists(dir_.path() + "/mirror/wayback.repository"));
}

TEST_F(IngesterTest, ArchiverKeepsRetryingAMirrorThatIsDown) {
  // A mirror whose directory is replaced by a file: every pass fails.
  auto mirror = Repository::OpenOrCreateMirror(dir_.path() + "/mirror", *repo_);
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  std::vector<std::unique_ptr<Repository>> mirrors;
  mirrors.push_back(*std::move(mirror));
  std::filesystem::remove_all(dir_.path() + "/mirror");
  { std::ofstream(dir_.path() + "/mirror") << "not a directory"; }
  ArchiverOptions ao;
  ao.interval = absl::Milliseconds(10);
  auto archiver = Archiver::Start(repo_.get(), std::move(mirrors), ao);
  ASSERT_TRUE(archiver.ok());
  auto ing = Open();
  ASSERT_NE(ing, nullptr);
  ASSERT_TRUE(ing->Offer(Txn(1, "a", "1")).ok());
  auto ack = ing->Commit();
  ASSERT_TRUE(ack.ok() && ack->has_value()) << "ingestion goes on";
  ASSERT_TRUE(ing->Roll().ok());
  (*archiver)->Acknowledged(1, absl::FromUnixSeconds(50));
  absl::SleepFor(absl::Milliseconds(100));
  auto states = (*archiver)->States(absl::FromUnixSeconds(80));
  EXPECT_GE(states[0].failed_passes, 2u);
  EXPECT_FALSE(states[0].last_error.ok());
  EXPECT_EQ(states[0].lag, absl::Seconds(30));
  // It comes back: the next passes catch up.
  std::filesystem::remove(dir_.path() + "/mirror");
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    states = (*archiver)->States(absl::FromUnixSeconds(80));
    if (states[0].last_error.ok() && states[0].mirrored) break;
    absl::SleepFor(absl::Milliseconds(10));
  }
  EXPECT_TRUE(states[0].last_error.ok()) << states[0].last_error;
  ASSERT_TRUE(states[0].mirrored.has_value());
  EXPECT_EQ(states[0].lag, absl::ZeroDuration());
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

// The disk fills (ENOSPC on the n-th write from some point on, and every
// write after it): the ingester stops acknowledging, the error says why,
// and after space is freed a reopened ingester holds every acknowledged
// event, exactly once, and takes the producer's replay to the end.
TEST(IngesterFaults, DiskFullLosesNothingAcknowledged) {
  for (int n = 1; n <= 34; n += 3) {
    SCOPED_TRACE(absl::StrCat("ENOSPC from write ", n));
    auto mem = NewMemoryStorage();
    testing::FaultInjectionStorage fs(mem.get());
    auto repo = Repository::Attach(&fs, /*create=*/true);
    ASSERT_TRUE(repo.ok()) << repo.status();
    IngesterOptions o;
    o.segment_max_bytes = 4096;  // Seals (and new segments) under way.
    auto ing = Ingester::Open(repo->get(), o);
    ASSERT_TRUE(ing.ok()) << ing.status();
    fs.FailNth(testing::FaultOp::kWrite, n, testing::FaultKind::kEnospc,
               /*sticky=*/true);
    uint64_t acked = 0;
    absl::Status failure;
    for (uint64_t p = 1; p <= 300 && failure.ok(); ++p) {
      auto offered = (*ing)->Offer(
          Txn(p, absl::StrCat("k", p % 7), std::string(100, 'v'), p));
      if (!offered.ok()) {
        failure = offered.status();
        break;
      }
      if (p % 10 == 0) {
        auto a = (*ing)->Commit();
        if (!a.ok()) {
          failure = a.status();
          break;
        }
        acked = (*a)->source_position;
      }
    }
    ASSERT_FALSE(failure.ok()) << "the disk was full";
    EXPECT_THAT(failure.message(), HasSubstr("ENOSPC"));
    EXPECT_FALSE((*ing)->Commit().ok()) << "nothing more is acknowledged";
    ing->reset();
    fs.ClearFaults();
    auto again = Ingester::Open(repo->get(), o);
    ASSERT_TRUE(again.ok()) << again.status();
    const uint64_t durable = (*again)->durable_position().value_or(0);
    EXPECT_GE(durable, acked);
    // The producer replays from its last acknowledgement to the end.
    for (uint64_t p = acked + 1; p <= 300; ++p) {
      auto offered = (*again)->Offer(
          Txn(p, absl::StrCat("k", p % 7), std::string(100, 'v'), p));
      ASSERT_TRUE(offered.ok()) << offered.status();
      EXPECT_EQ(*offered, p <= durable ? OfferOutcome::kDuplicate
                                       : OfferOutcome::kAppended);
    }
    ASSERT_TRUE((*again)->Close().ok());
    auto pos = Positions(&fs);
    ASSERT_EQ(pos.size(), 300u);
    for (size_t i = 0; i < pos.size(); ++i) EXPECT_EQ(pos[i].first, i + 1);
  }
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

// Background snapshots while the ingester appends: each one equals the model
// of the history at its LSN, and the schedule's bounds are kept.
TEST_F(IngesterTest, SnapshotterBuildsVerifiedSnapshotsWhileIngesting) {
  SnapshotSchedule schedule;
  schedule.every_transactions = 40;
  auto sn = Snapshotter::Start(repo_.get(), schedule);
  ASSERT_TRUE(sn.ok()) << sn.status();
  IngesterOptions io;
  io.segment_max_age = absl::Milliseconds(5);  // Seals while snapshotting.
  auto ing = Ingester::Open(repo_.get(), io);
  ASSERT_TRUE(ing.ok()) << ing.status();
  std::vector<std::map<std::string, std::string>> states(1);
  for (uint64_t p = 1; p <= 400; ++p) {
    auto m = states.back();
    CaptureEvent e = Txn(p, absl::StrCat("k", p % 37), absl::StrCat("v", p));
    m[absl::StrCat("k", p % 37)] = absl::StrCat("v", p);
    if (p % 5 == 0) {
      e.txn.Delete(absl::StrCat("k", (p * 7) % 37));
      m.erase(absl::StrCat("k", (p * 7) % 37));
    }
    states.push_back(std::move(m));
    ASSERT_TRUE((*ing)->Offer(std::move(e)).ok());
    if (p % 10 == 0) {
      auto ack = (*ing)->Commit();
      ASSERT_TRUE(ack.ok() && ack->has_value()) << ack.status();
      (*sn)->Acknowledged(**ack, 100);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }
  // The last acknowledgement is due (400 - last snapshot >= 40, or the
  // builder is still on it): wait for it to settle.
  for (int i = 0;
       i < 500 && ((*sn)->state().building || !(*sn)->state().newest ||
                   (*sn)->state().newest->lsn + 40 <= 400);
       ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    auto st = (*sn)->state();
    if (!st.building && st.newest && st.newest->lsn + 40 <= 400) {
      (*sn)->Acknowledged(*(*ing)->last_ack(), 0);
    }
  }
  const SnapshotterState st = (*sn)->state();
  ASSERT_TRUE((*sn)->Stop().ok()) << st.last_error;
  ASSERT_TRUE((*ing)->Close().ok());
  EXPECT_GE(st.built, 2u);
  EXPECT_EQ(st.failed, 0u) << st.last_error;
  ASSERT_TRUE(st.newest.has_value());
  EXPECT_GT(st.newest->lsn, 360u);
  auto listed = repo_->storage()->List("snap/");
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->size(), st.built);
  Lsn previous = 0;
  for (const ObjectInfo& o : *listed) {
    auto r = SnapshotReader::Open(repo_->storage(), o.name);
    ASSERT_TRUE(r.ok()) << r.status();
    const Lsn lsn = (*r)->info().lsn;
    EXPECT_GE(lsn, previous + 40) << o.name << ": built before it was due";
    previous = lsn;
    std::map<std::string, std::string> got;
    auto it = (*r)->NewIterator();
    std::string_view k, v;
    while (it->Next(&k, &v)) got[std::string(k)] = std::string(v);
    ASSERT_TRUE(it->status().ok()) << it->status();
    EXPECT_EQ(got, states[lsn]) << o.name;
  }
}

TEST_F(IngesterTest, SnapshotterTimeBoundCountsCommitTimeFromTheNewest) {
  SnapshotSchedule schedule;
  schedule.every = absl::Microseconds(50);  // Txn(p) is p µs after kT0.
  auto sn = Snapshotter::Start(repo_.get(), schedule);
  ASSERT_TRUE(sn.ok()) << sn.status();
  auto ing = Open();
  ASSERT_NE(ing, nullptr);
  for (uint64_t p = 1; p <= 49; ++p) {
    ASSERT_TRUE(ing->Offer(Txn(p, "k", absl::StrCat(p))).ok());
  }
  auto ack = ing->Commit();
  ASSERT_TRUE(ack.ok() && ack->has_value());
  (*sn)->Acknowledged(**ack, 0);  // 48 µs after the first commit: not due.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ((*sn)->state().built, 0u);
  ASSERT_TRUE(ing->Offer(Txn(51, "k", "51")).ok());
  ack = ing->Commit();
  ASSERT_TRUE(ack.ok() && ack->has_value());
  (*sn)->Acknowledged(**ack, 0);  // 50 µs: due.
  for (int i = 0; i < 300 && (*sn)->state().built == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const SnapshotterState st = (*sn)->state();
  ASSERT_EQ(st.built, 1u) << st.last_error;
  EXPECT_EQ(st.newest->lsn, 50u);
  EXPECT_TRUE((*sn)->Stop().ok());
  ASSERT_TRUE(ing->Close().ok());
}

}  // namespace
}  // namespace wayback
