// Copyright 2026 The Wayback Authors.
//
// Tests of the crash and fault model of FaultInjectionStorage, which the log
// and snapshot crash tests rely on: each property is checked against the
// bytes the test itself wrote.

#include "tests/testutil/fault_injection_storage.h"

#include <random>
#include <set>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"

namespace wayback::testing {
namespace {

using ::testing::HasSubstr;

class FaultInjectionTest : public ::testing::Test {
 protected:
  std::unique_ptr<Storage> mem_ = NewMemoryStorage();
  FaultInjectionStorage fs_{mem_.get()};

  std::string Read(std::string_view name) {
    auto r = mem_->ReadAll(name);
    return r.ok() ? *r : "<" + r.status().ToString() + ">";
  }
  // Appends `synced` then syncs, then appends `unsynced`; returns the handle.
  std::unique_ptr<AppendableObject> Write(std::string_view name,
                                          std::string_view synced,
                                          std::string_view unsynced) {
    auto a = fs_.OpenAppendable(name, {});
    EXPECT_TRUE(a.ok()) << a.status();
    EXPECT_TRUE((*a)->Append(synced).ok());
    EXPECT_TRUE((*a)->Sync().ok());
    EXPECT_TRUE((*a)->Append(unsynced).ok());
    return std::move(*a);
  }
};

TEST_F(FaultInjectionTest, DropUnsyncedKeepsExactlyTheSyncedPrefix) {
  auto a = Write("seg", "durable-", "volatile");
  EXPECT_EQ(fs_.DurableSize("seg"), 8u);
  auto report = fs_.SimulateCrash({.mode = CrashMode::kDropUnsynced});
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_EQ(Read("seg"), "durable-");
  ASSERT_EQ(report->objects.size(), 1u);
  EXPECT_EQ(report->objects[0].size_before, 16u);
  EXPECT_EQ(report->objects[0].size_after, 8u);
}

TEST_F(FaultInjectionTest, HandlesAreDeadAfterCrash) {
  auto a = Write("seg", "a", "b");
  auto w = fs_.Create("pending");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("never published").ok());
  ASSERT_TRUE(fs_.SimulateCrash({}).ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(a->Append("x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(a->Sync()));
  EXPECT_TRUE(absl::IsFailedPrecondition((*w)->Close()));
  EXPECT_TRUE(absl::IsNotFound(fs_.Stat("pending").status()));
  EXPECT_EQ(Read("seg"), "a");
  // The storage keeps working after the "restart".
  auto b = fs_.OpenAppendable("seg", {.must_create = false});
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Append("c").ok());
  ASSERT_TRUE((*b)->Close().ok());
  EXPECT_EQ(Read("seg"), "ac");
}

TEST_F(FaultInjectionTest, ClosedObjectsAndPreexistingObjectsSurvive) {
  ASSERT_TRUE(mem_->WriteAll("old", "old bytes").ok());
  ASSERT_TRUE(fs_.WriteAll("sealed", "sealed bytes").ok());
  {
    auto a = fs_.OpenAppendable("closed-seg", {});
    ASSERT_TRUE((*a)->Append("closed").ok());
    ASSERT_TRUE((*a)->Close().ok());  // Close syncs.
  }
  // An existing object reopened for append: its old bytes are durable.
  auto b = fs_.OpenAppendable("old", {.must_create = false});
  ASSERT_TRUE((*b)->Append(" + new").ok());
  ASSERT_TRUE(fs_.SimulateCrash({}).ok());
  EXPECT_EQ(Read("old"), "old bytes");
  EXPECT_EQ(Read("sealed"), "sealed bytes");
  EXPECT_EQ(Read("closed-seg"), "closed");
}

TEST_F(FaultInjectionTest, UnsyncedCreationVanishesOnlyWhenAsked) {
  {
    auto a = fs_.OpenAppendable("never-synced", {});
    ASSERT_TRUE((*a)->Append("x").ok());
    auto b = fs_.OpenAppendable("synced-once", {});
    ASSERT_TRUE((*b)->Sync().ok());
    ASSERT_TRUE((*b)->Append("y").ok());
    ASSERT_TRUE(fs_.SimulateCrash({.lose_unsynced_creations = false}).ok());
  }
  EXPECT_EQ(Read("never-synced"), "");  // Kept, empty.
  EXPECT_EQ(Read("synced-once"), "");
  ASSERT_TRUE(fs_.Delete("never-synced").ok());
  ASSERT_TRUE(fs_.Delete("synced-once").ok());
  {
    auto a = fs_.OpenAppendable("never-synced", {});
    ASSERT_TRUE((*a)->Append("x").ok());
    auto b = fs_.OpenAppendable("synced-once", {});
    ASSERT_TRUE((*b)->Sync().ok());
    ASSERT_TRUE((*b)->Append("y").ok());
    auto report = fs_.SimulateCrash({.lose_unsynced_creations = true});
    ASSERT_TRUE(report.ok());
  }
  EXPECT_TRUE(absl::IsNotFound(mem_->Stat("never-synced").status()));
  EXPECT_EQ(Read("synced-once"), "");
}

TEST_F(FaultInjectionTest, DropRandomSuffixKeepsAPrefixBetweenDurableAndAll) {
  const std::string synced = "0123456789";
  const std::string unsynced = "abcdefghijklmnopqrstuvwxyz";
  std::set<size_t> sizes;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    ASSERT_TRUE(fs_.Delete("seg").ok());
    auto a = Write("seg", synced, unsynced);
    auto report =
        fs_.SimulateCrash({.mode = CrashMode::kDropRandomSuffix, .seed = seed});
    ASSERT_TRUE(report.ok());
    const std::string after = Read("seg");
    ASSERT_GE(after.size(), synced.size());
    ASSERT_LE(after.size(), synced.size() + unsynced.size());
    EXPECT_EQ(after, (synced + unsynced).substr(0, after.size()));
    sizes.insert(after.size());
  }
  // The suffix really is random (64 seeds over 27 possible lengths).
  EXPECT_GT(sizes.size(), 5u);
}

TEST_F(FaultInjectionTest, TornWriteKeepsDurableBytesAndEndsInGarbage) {
  const std::string synced = "synced-part|";
  const std::string unsynced(100, 'U');
  int torn = 0;
  for (uint64_t seed = 0; seed < 64; ++seed) {
    ASSERT_TRUE(fs_.Delete("seg").ok());
    auto a = Write("seg", synced, unsynced);
    auto report =
        fs_.SimulateCrash({.mode = CrashMode::kTornWrite, .seed = seed});
    ASSERT_TRUE(report.ok());
    ASSERT_EQ(report->objects.size(), 1u);
    const CrashReport::Object& o = report->objects[0];
    const std::string after = Read("seg");
    ASSERT_EQ(after.size(), o.size_after);
    ASSERT_GE(o.garbage_bytes, 1u);
    ASSERT_LE(after.size(), synced.size() + unsynced.size());
    // Everything before the garbage is exactly what was written.
    const size_t intact = after.size() - o.garbage_bytes;
    ASSERT_GE(intact, synced.size());
    EXPECT_EQ(after.substr(0, intact), (synced + unsynced).substr(0, intact));
    // The garbage is never the data that was written there ('U').
    if (after.substr(intact).find_first_not_of('U') != std::string::npos)
      ++torn;
  }
  EXPECT_GT(torn, 50);
}

TEST_F(FaultInjectionTest, TornWriteLeavesFullySyncedObjectsAlone) {
  auto a = Write("seg", "all synced", "");
  auto report = fs_.SimulateCrash({.mode = CrashMode::kTornWrite, .seed = 3});
  ASSERT_TRUE(report.ok());
  EXPECT_EQ(Read("seg"), "all synced");
}

TEST_F(FaultInjectionTest, RenameCarriesDurabilityAndIsDurable) {
  auto a = Write("live.tmp", "0123456789", "unsynced");
  ASSERT_TRUE(fs_.Rename("live.tmp", "sealed").ok());
  ASSERT_TRUE(fs_.SimulateCrash({.lose_unsynced_creations = true}).ok());
  EXPECT_TRUE(absl::IsNotFound(mem_->Stat("live.tmp").status()));
  EXPECT_EQ(Read("sealed"), "0123456789");
}

TEST_F(FaultInjectionTest, RenameMakesAnUnsyncedCreationDurable) {
  auto a = fs_.OpenAppendable("new", {});
  ASSERT_TRUE((*a)->Append("data").ok());
  ASSERT_TRUE(fs_.Rename("new", "renamed").ok());
  ASSERT_TRUE(fs_.SimulateCrash({.lose_unsynced_creations = true}).ok());
  EXPECT_EQ(Read("renamed"), "");
}

TEST_F(FaultInjectionTest, TruncateToIsDurable) {
  auto a = Write("seg", "0123456789", "");
  a.reset();
  auto b = fs_.OpenAppendable("seg", {.must_create = false, .truncate_to = 4});
  ASSERT_TRUE(b.ok());
  ASSERT_TRUE((*b)->Append("xyz").ok());
  EXPECT_EQ(fs_.DurableSize("seg"), 4u);
  ASSERT_TRUE(fs_.SimulateCrash({}).ok());
  EXPECT_EQ(Read("seg"), "0123");
}

TEST_F(FaultInjectionTest, LocksAreReleasedByCrash) {
  auto l = fs_.Lock("LOCK");
  ASSERT_TRUE(l.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(fs_.Lock("LOCK").status()));
  ASSERT_TRUE(fs_.SimulateCrash({}).ok());
  EXPECT_TRUE(fs_.Lock("LOCK").ok());
}

TEST_F(FaultInjectionTest, FailNthSyncWithEio) {
  auto a = fs_.OpenAppendable("seg", {});
  ASSERT_TRUE(a.ok());
  fs_.FailNth(FaultOp::kSync, 2, FaultKind::kEio);
  ASSERT_TRUE((*a)->Append("one").ok());
  EXPECT_TRUE((*a)->Sync().ok());
  ASSERT_TRUE((*a)->Append("two").ok());
  absl::Status s = (*a)->Sync();
  EXPECT_TRUE(absl::IsInternal(s)) << s;
  EXPECT_THAT(std::string(s.message()), HasSubstr("seg"));
  EXPECT_THAT(std::string(s.message()), HasSubstr("EIO"));
  // The failed sync left "two" unsynced; the next sync works again.
  EXPECT_EQ(fs_.DurableSize("seg"), 3u);
  EXPECT_TRUE((*a)->Sync().ok());
  EXPECT_EQ(fs_.count(FaultOp::kSync), 3);
  EXPECT_EQ(fs_.injected_faults(), 1);
}

TEST_F(FaultInjectionTest, FailedSyncDataIsLostInCrash) {
  auto a = fs_.OpenAppendable("seg", {});
  ASSERT_TRUE((*a)->Append("acked").ok());
  ASSERT_TRUE((*a)->Sync().ok());
  fs_.FailNth(FaultOp::kSync, 1, FaultKind::kEio);
  ASSERT_TRUE((*a)->Append("not acked").ok());
  EXPECT_FALSE((*a)->Sync().ok());
  ASSERT_TRUE(fs_.SimulateCrash({}).ok());
  EXPECT_EQ(Read("seg"), "acked");
}

TEST_F(FaultInjectionTest, StickyEnospcOnWrites) {
  auto a = fs_.OpenAppendable("seg", {});
  fs_.FailNth(FaultOp::kWrite, 3, FaultKind::kEnospc, /*sticky=*/true);
  EXPECT_TRUE((*a)->Append("1").ok());
  EXPECT_TRUE((*a)->Append("2").ok());
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(absl::IsResourceExhausted((*a)->Append("x")));
  }
  // A failed write writes nothing.
  EXPECT_EQ((*a)->size(), 2u);
  EXPECT_EQ(Read("seg"), "12");
  EXPECT_TRUE(absl::IsResourceExhausted(fs_.WriteAll("other", "y")));
  fs_.ClearFaults();
  EXPECT_TRUE((*a)->Append("3").ok());
  EXPECT_EQ(fs_.count(FaultOp::kWrite), 9);
  EXPECT_EQ(fs_.injected_faults(), 6);
}

TEST_F(FaultInjectionTest, FailedWriterClosePublishesNothing) {
  fs_.FailNth(FaultOp::kClose, 1, FaultKind::kEio);
  absl::Status s = fs_.WriteAll("snap", "bytes");
  EXPECT_TRUE(absl::IsInternal(s)) << s;
  EXPECT_TRUE(absl::IsNotFound(fs_.Stat("snap").status()));
  EXPECT_TRUE(fs_.WriteAll("snap", "bytes").ok());
}

TEST_F(FaultInjectionTest, FailedRenameCreateAndDeleteChangeNothing) {
  ASSERT_TRUE(fs_.WriteAll("a", "1").ok());
  fs_.FailNth(FaultOp::kRename, 1, FaultKind::kEio);
  fs_.FailNth(FaultOp::kCreate, 1, FaultKind::kEnospc);
  fs_.FailNth(FaultOp::kDelete, 1, FaultKind::kEio);
  EXPECT_TRUE(absl::IsInternal(fs_.Rename("a", "b")));
  EXPECT_TRUE(absl::IsResourceExhausted(fs_.Create("c").status()));
  EXPECT_TRUE(absl::IsInternal(fs_.Delete("a")));
  auto list = mem_->List("");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].name, "a");
}

TEST_F(FaultInjectionTest, FailNthOnMatchesNames) {
  fs_.FailNthOn(FaultOp::kRead, "snapshot", 1, FaultKind::kUnavailable);
  ASSERT_TRUE(fs_.WriteAll("log/seg", "log").ok());
  ASSERT_TRUE(fs_.WriteAll("snapshot/1", "snap").ok());
  EXPECT_TRUE(fs_.ReadAll("log/seg").ok());
  auto r = fs_.ReadAll("snapshot/1");
  EXPECT_TRUE(absl::IsUnavailable(r.status())) << r.status();
  EXPECT_TRUE(fs_.ReadAll("snapshot/1").ok());
}

TEST_F(FaultInjectionTest, FailedReadAtOnOpenObject) {
  ASSERT_TRUE(fs_.WriteAll("obj", "0123456789").ok());
  auto r = fs_.OpenForRead("obj");
  ASSERT_TRUE(r.ok());
  fs_.FailNth(FaultOp::kRead, 2, FaultKind::kEio);
  char buf[4];
  EXPECT_TRUE((*r)->ReadAt(0, 4, buf).ok());
  EXPECT_TRUE(absl::IsInternal((*r)->ReadAt(4, 4, buf).status()));
  auto ok = (*r)->ReadAt(4, 4, buf);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(std::string(*ok), "4567");
}

TEST(FaultInjectionLocalTest, CrashOverLocalDirectory) {
  TempDir tmp;
  auto local = OpenLocalStorage(tmp.path() + "/r", true);
  ASSERT_TRUE(local.ok());
  FaultInjectionStorage fs(local->get());
  auto a = fs.OpenAppendable("seg", {});
  ASSERT_TRUE((*a)->Append("keep").ok());
  ASSERT_TRUE((*a)->Sync().ok());
  ASSERT_TRUE((*a)->Append("drop").ok());
  ASSERT_TRUE(fs.SimulateCrash({}).ok());
  auto back = (*local)->ReadAll("seg");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "keep");
}

}  // namespace
}  // namespace wayback::testing
