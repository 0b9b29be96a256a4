// Copyright 2026 The Wayback Authors.
//
// Segment format version 2 through the recovery layer: the catalog, the
// planner, the replay pipeline and verify read a log whose older segments
// are v1 and newer ones v2 exactly; the catalog refuses v2 segments of
// another repository and reports replacement segments it cannot use.

#include <map>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/repository_format.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository_identity.h"
#include "wayback/state_target.h"

namespace wayback::testing {
namespace {

using ::testing::HasSubstr;

constexpr char kRepoId[] = "00112233445566778899aabbccddeeff";
constexpr char kOtherId[] = "ffeeddccbbaa99887766554433221100";

void WriteIdentity(Storage* s, const std::string& id) {
  RepositoryIdentity identity;
  identity.id = id;
  ASSERT_TRUE(
      s->WriteAll(kIdentityObjectName, repository_format::Encode(identity))
          .ok());
}

class FormatV2RecoveryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    WriteIdentity(storage_.get(), kRepoId);
    // 40 records in v1 segments, then 60 in v2 segments (positions on most),
    // several blocks and segments of each.
    for (uint32_t version : {1u, 2u}) {
      LogWriterOptions o;
      o.format_version = version;
      o.durability = Durability::kBuffered;
      o.segment_max_age = absl::InfiniteDuration();
      o.clock = &clock_;
      o.block_size = 60;
      o.segment_max_bytes = 700;
      auto w = LogWriter::Open(storage_.get(), o);
      ASSERT_TRUE(w.ok()) << w.status();
      for (int i = 0; i < (version == 1 ? 40 : 60); ++i) {
        Transaction t;
        const std::string key = absl::StrCat("k", next_ % 13);
        if (next_ % 5 == 4) {
          t.Delete(key);
        } else {
          t.Put(key, absl::StrCat("v", next_));
        }
        if (version == 2 && i % 6 != 5) t.source_position = 7000 + 2 * next_;
        clock_.Advance(1000);
        ASSERT_TRUE((*w)->Append(t).ok());
        log_.push_back(t);
        ++next_;
      }
      ASSERT_TRUE((*w)->Close().ok());
    }
  }

  // The digest of the state after records 1..lsn.
  StateDigest DigestAt(Lsn lsn) const {
    std::map<std::string, std::string> state;
    for (Lsn l = 1; l <= lsn; ++l) {
      for (const Mutation& m : log_[l - 1].mutations) {
        if (m.type == MutationType::kPut) {
          state[m.key] = m.value;
        } else {
          state.erase(m.key);
        }
      }
    }
    StateDigest d;
    for (const auto& [k, v] : state) d.Add(k, v);
    return d;
  }

  std::unique_ptr<Storage> storage_;
  ManualClock clock_{1'767'225'600'000'000'000};
  std::vector<Transaction> log_;
  int next_ = 0;
};

TEST_F(FormatV2RecoveryTest, CatalogPlanRestoreAndVerifyReadBothVersions) {
  auto catalog = Catalog::Open(storage_.get());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_TRUE((*catalog)->problems().empty());
  int v1 = 0, v2 = 0;
  for (const SegmentInfo& s : (*catalog)->segments()) {
    (s.format_version == 1 ? v1 : v2)++;
  }
  EXPECT_GT(v1, 1);
  EXPECT_GT(v2, 1);
  for (Lsn lsn : {Lsn{1}, Lsn{39}, Lsn{40}, Lsn{41}, Lsn{77}, Lsn{100}}) {
    SCOPED_TRACE(lsn);
    auto plan = PlanRecovery(**catalog, RecoveryTarget::AtLsn(lsn));
    ASSERT_TRUE(plan.ok()) << plan.status();
    auto target = NewMemoryTarget(lsn % 2 == 0 ? 1 : 4);
    RestoreOptions ro;
    ro.threads = 2;
    auto result = Restore(storage_.get(), *plan, target.get(), ro);
    ASSERT_TRUE(result.ok()) << result.status();
    ASSERT_TRUE(result->digest.has_value());
    EXPECT_EQ(*result->digest, DigestAt(lsn));
  }
  auto report = VerifyRepository(storage_.get());
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok()) << report->ToString();
  EXPECT_GT(report->blocks_checked, 10u);
}

TEST_F(FormatV2RecoveryTest, CatalogRefusesASegmentOfAnotherRepository) {
  ASSERT_TRUE(storage_->Delete(std::string(kIdentityObjectName)).ok());
  WriteIdentity(storage_.get(), kOtherId);
  auto catalog = Catalog::Open(storage_.get());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  int foreign = 0;
  for (const CatalogProblem& p : (*catalog)->problems()) {
    EXPECT_EQ(p.code, absl::StatusCode::kDataLoss) << p.message;
    EXPECT_THAT(p.message, HasSubstr(kRepoId));
    EXPECT_THAT(p.message, HasSubstr(kOtherId));
    ++foreign;
  }
  // Every v2 segment, and no v1 segment (they carry no id).
  int v2 = 0;
  auto list = storage_->List("log/");
  ASSERT_TRUE(list.ok());
  for (const ObjectInfo& o : *list) {
    auto info = ReadSegmentInfo(storage_.get(), o.name);
    if (info.ok() && info->format_version == 2) ++v2;
  }
  EXPECT_GT(v2, 0);
  EXPECT_EQ(foreign, v2);
  // No plan reads a foreign segment: the latest state is out of reach.
  auto plan = PlanRecovery(**catalog, RecoveryTarget::AtLsn(41));
  EXPECT_FALSE(plan.ok());
}

TEST_F(FormatV2RecoveryTest, CatalogReportsDamagedReplacementSegments) {
  auto list = storage_->List("log/");
  ASSERT_TRUE(list.ok());
  const std::string replacement = "log/00000001-0000000000000001-00000001.seg";
  ASSERT_TRUE(storage_->WriteAll(replacement, "anything").ok());
  auto catalog = Catalog::Open(storage_.get());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  bool reported = false;
  for (const CatalogProblem& p : (*catalog)->problems()) {
    if (p.object == replacement) {
      EXPECT_EQ(p.code, absl::StatusCode::kDataLoss);
      EXPECT_THAT(p.message, HasSubstr("truncated"));
      reported = true;
    }
  }
  EXPECT_TRUE(reported);
}

}  // namespace
}  // namespace wayback::testing
