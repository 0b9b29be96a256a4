// Copyright 2026 The Wayback Authors.
//
// Retention on Ceph RGW (the shared fixture): Storage::Purge removes every
// version of a key in a versioned bucket and refuses a version under Object
// Lock; ExpireRepository on a repository in a versioned bucket defers its
// deletions through an intent, then removes every version of what it
// deletes; in an Object Lock bucket it keeps and reports the locked objects.
// The window's restores are compared with the same restores from the local
// repository the bucket was mirrored from (which keeps everything).

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/s3_storage.h"
#include "tests/storage/s3_test_server.h"
#include "tests/testutil/testutil.h"
#include "wayback/clock.h"
#include "wayback/expire.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/state_target.h"

namespace wayback::testing {
namespace {

using ::testing::HasSubstr;

constexpr CommitTime kBase = 1767225600000000000;  // 2026-01-01T00:00:00Z
constexpr CommitTime kMinute = 60'000'000'000;
constexpr Lsn kRecords = 90;

CommitTime TimeOf(Lsn k) {
  return kBase + static_cast<CommitTime>(k) * kMinute;
}

class S3ExpireTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = S3TestServer::Get();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
  }

  // A local repository: one record a minute, a segment every 5 records,
  // full snapshots at 30 and 60.
  void WriteSource() {
    auto repo = Repository::Create(dir_.path() + "/source");
    ASSERT_TRUE(repo.ok()) << repo.status();
    source_ = *std::move(repo);
    LogWriterOptions o;
    o.format_version = 2;
    o.durability = Durability::kBuffered;
    o.segment_max_age = absl::InfiniteDuration();
    auto w = LogWriter::Open(source_->storage(), o);
    ASSERT_TRUE(w.ok()) << w.status();
    for (Lsn k = 1; k <= kRecords; ++k) {
      Transaction t;
      t.commit_time = TimeOf(k);
      t.Put(absl::StrCat("k", k % 13), absl::StrCat("v", k));
      if (k % 4 == 0) t.Delete(absl::StrCat("k", (k + 5) % 13));
      ASSERT_TRUE((*w)->Append(t).ok());
      if (k % 5 == 0 && k < kRecords) {
        ASSERT_TRUE((*w)->Roll().ok());
      }
    }
    ASSERT_TRUE((*w)->Close().ok());
    for (Lsn lsn : {30, 60}) {
      BuildSnapshotOptions b;
      b.target = RecoveryTarget::AtLsn(lsn);
      ASSERT_TRUE(BuildSnapshot(*source_, b).ok());
    }
  }

  // A fresh prefix of `bucket` (its key prefix in prefix_).
  std::unique_ptr<Storage> Fresh(const std::string& bucket) {
    s3::S3Options o = server_->FreshOptions();
    o.bucket = bucket;
    prefix_ = o.prefix;
    auto s = s3::OpenS3Storage(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? *std::move(s) : nullptr;
  }

  // The source mirrored into a fresh prefix of `bucket`.
  std::unique_ptr<Repository> MirrorInto(const std::string& bucket) {
    s3_ = Fresh(bucket);
    if (s3_ == nullptr) return nullptr;
    auto m = MirrorRepository(*source_, s3_.get());
    EXPECT_TRUE(m.ok()) << m.status();
    auto repo = Repository::Attach(s3_.get(), false);
    EXPECT_TRUE(repo.ok()) << repo.status();
    return repo.ok() ? *std::move(repo) : nullptr;
  }

  static std::string DigestAt(const Repository& repo, CommitTime t) {
    auto catalog = repo.ReadCatalog();
    if (!catalog.ok()) return std::string(catalog.status().message());
    auto plan = PlanRecovery(**catalog, RecoveryTarget::Time(t));
    if (!plan.ok()) return std::string(plan.status().message());
    auto target = NewMemoryTarget();
    auto r = Restore(repo.storage(), *plan, target.get());
    if (!r.ok()) return std::string(r.status().message());
    return r->digest->ToString();
  }

  // Restores at the window's instants equal the source's.
  void ExpectWindowLikeSource(const Repository& repo, const std::string& when) {
    for (Lsn k = 65; k <= kRecords; k += 5) {
      EXPECT_EQ(DigestAt(repo, TimeOf(k)), DigestAt(*source_, TimeOf(k)))
          << when << ", minute " << k;
    }
  }

  ExpireOptions Options() {
    ExpireOptions o;
    o.now = TimeOf(kRecords);
    o.keep = absl::Minutes(kRecords - 65);  // Window from minute 65: base 60.
    return o;
  }

  // The version listing (versions and delete markers) of `bucket` under
  // prefix_.
  std::string VersionListing(const std::string& bucket) {
    s3::HttpResponse r = server_->Send(
        bucket, s3::S3Call{.method = "GET",
                           .query = {{"versions", ""}, {"prefix", prefix_}}});
    EXPECT_EQ(r.status, 200) << r.body;
    return r.body;
  }

  S3TestServer* server_ = nullptr;
  TempDir dir_;
  std::unique_ptr<Repository> source_;
  std::unique_ptr<Storage> s3_;
  std::string prefix_;
};

TEST_F(S3ExpireTest, PurgeRemovesEveryVersionOfAKey) {
  ASSERT_TRUE(
      server_->EnsureBucket("wayback-versioned", {.versioning = true}).ok());
  std::unique_ptr<Storage> storage = Fresh("wayback-versioned");
  ASSERT_NE(storage, nullptr);
  Storage* s = storage.get();
  ASSERT_TRUE(s->WriteAll("x", "one").ok());
  ASSERT_TRUE(s->Delete("x").ok());  // A noncurrent version and a marker.
  ASSERT_TRUE(s->WriteAll("x", "two").ok());
  ASSERT_TRUE(s->WriteAll("xy", "neighbour").ok());
  auto listed = s->List("");
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  ASSERT_TRUE(s->Purge("x").ok());
  EXPECT_TRUE(absl::IsNotFound(s->Stat("x").status()));
  auto neighbour = s->ReadAll("xy");
  ASSERT_TRUE(neighbour.ok()) << neighbour.status();
  EXPECT_EQ(*neighbour, "neighbour");
  // No version or delete marker of "x" is left; "xy" keeps its one.
  const std::string body = VersionListing("wayback-versioned");
  EXPECT_THAT(body, HasSubstr(absl::StrCat("<Key>", prefix_, "xy</Key>")));
  EXPECT_FALSE(
      absl::StrContains(body, absl::StrCat("<Key>", prefix_, "x</Key>")))
      << body;
}

TEST_F(S3ExpireTest, PurgeRefusesAnObjectUnderObjectLock) {
  ASSERT_TRUE(
      server_
          ->EnsureBucket("wayback-locked",
                         {.object_lock = true, .default_retention_days = 1})
          .ok());
  std::unique_ptr<Storage> storage = Fresh("wayback-locked");
  ASSERT_NE(storage, nullptr);
  ASSERT_TRUE(storage->WriteAll("held", "bytes").ok());
  absl::Status p = storage->Purge("held");
  EXPECT_TRUE(absl::IsFailedPrecondition(p)) << p;
  auto back = storage->ReadAll("held");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "bytes");
}

TEST_F(S3ExpireTest, VersionedBucketDefersThenRemovesEveryVersion) {
  ASSERT_TRUE(
      server_->EnsureBucket("wayback-versioned", {.versioning = true}).ok());
  WriteSource();
  std::unique_ptr<Repository> repo = MirrorInto("wayback-versioned");
  ASSERT_NE(repo, nullptr);
  ExpectWindowLikeSource(*repo, "before");
  ManualClock clock(absl::ToUnixNanos(absl::Now()));
  ExpireOptions o = Options();
  o.clock = &clock;
  o.grace = absl::Hours(1);
  auto first = ExpireRepository(*repo, o);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(first->base.has_value());
  EXPECT_EQ(first->base->lsn, 60u);
  EXPECT_TRUE(first->deleted.empty());
  ASSERT_GT(first->deferred.size(), 5u);
  ASSERT_EQ(first->intents_written.size(), 1u);
  ExpectWindowLikeSource(*repo, "intent written");
  for (const ExpireObject& e : first->deferred) {
    EXPECT_TRUE(repo->storage()->Stat(e.name).ok()) << e.name;
  }
  clock.Advance(absl::ToInt64Nanoseconds(absl::Hours(2)));
  auto second = ExpireRepository(*repo, o);
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->deleted.size(), first->deferred.size());
  EXPECT_TRUE(second->locked.empty());
  ExpectWindowLikeSource(*repo, "after");
  // Every version of every deleted object is gone from the bucket.
  const std::string body = VersionListing("wayback-versioned");
  for (const ExpireObject& e : second->deleted) {
    EXPECT_FALSE(absl::StrContains(
        body, absl::StrCat("<Key>", prefix_, e.name, "</Key>")))
        << e.name;
  }
  EXPECT_THAT(body, HasSubstr("<Key>"));  // What the window needs stays.
}

TEST_F(S3ExpireTest, ObjectLockedObjectsAreKeptAndReported) {
  ASSERT_TRUE(
      server_
          ->EnsureBucket("wayback-locked",
                         {.object_lock = true, .default_retention_days = 1})
          .ok());
  WriteSource();
  std::unique_ptr<Repository> repo = MirrorInto("wayback-locked");
  ASSERT_NE(repo, nullptr);
  ExpireOptions o = Options();
  o.grace = absl::ZeroDuration();
  auto r = ExpireRepository(*repo, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_GT(r->locked.size(), 5u);
  for (const ExpireObject& e : r->locked) {
    EXPECT_TRUE(repo->storage()->Stat(e.name).ok()) << e.name;
  }
  ExpectWindowLikeSource(*repo, "after");
}

}  // namespace
}  // namespace wayback::testing
