// Copyright 2026 The Wayback Authors.
//
// RunRpoBench() at a small rate: every committed transaction is counted and
// mirrored, the mirror holds byte-identical sealed segments covering every
// LSN, the percentiles are ordered and the verdict follows the objective.

#include <filesystem>
#include <string>

#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/bench/bench.h"
#include "tests/testutil/testutil.h"
#include "wayback/log.h"

namespace wayback {
namespace {

RpoBenchOptions Small(const std::string& dir) {
  RpoBenchOptions o;
  o.repo = dir + "/primary";
  o.rate = 2000;
  o.duration = absl::Milliseconds(500);
  o.clients = 4;
  o.transaction_bytes = 300;
  o.segment_max_age = absl::Milliseconds(50);
  return o;
}

TEST(RpoBenchTest, EveryTransactionIsCommittedAndMirrored) {
  wayback::testing::TempDir dir;
  RpoBenchOptions o = Small(dir.path());
  o.rpo = absl::Hours(1);
  auto f = RunRpoBench(o);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_EQ(f->transactions, 1000u);
  EXPECT_EQ(f->bytes, 1000u * 300);
  EXPECT_GE(f->segments_mirrored, 1u);
  EXPECT_DOUBLE_EQ(f->txn_per_s, f->transactions / f->seconds);
  EXPECT_LE(f->commit_latency_p50_us, f->commit_latency_p99_us);
  EXPECT_LE(f->commit_latency_p99_us, f->commit_latency_p999_us);
  EXPECT_LE(f->commit_latency_p999_us, f->commit_latency_max_us);
  EXPECT_LE(f->archive_lag_p50_ms, f->archive_lag_p99_ms);
  EXPECT_LE(f->archive_lag_p99_ms, f->archive_lag_max_ms);
  EXPECT_TRUE(f->pass);
  EXPECT_DOUBLE_EQ(f->margin_seconds, 3600 - f->archive_lag_max_ms / 1e3);

  // The mirror: the primary's sealed segments, byte for byte, LSN 1..1000.
  auto primary = OpenStorage(o.repo);
  auto mirror = OpenStorage(o.repo + "-mirror");
  ASSERT_TRUE(primary.ok() && mirror.ok());
  auto names = (*mirror)->List("log/");
  ASSERT_TRUE(names.ok());
  uint64_t segments = 0, records = 0, bytes = 0;
  Lsn next = 1;
  for (const ObjectInfo& obj : *names) {
    TimelineId tl;
    Lsn first;
    bool sealed;
    if (!ParseSegmentObjectName(obj.name, &tl, &first, &sealed)) continue;
    ++segments;
    EXPECT_TRUE(sealed) << obj.name;
    auto a = (*mirror)->ReadAll(obj.name);
    auto b = (*primary)->ReadAll(obj.name);
    ASSERT_TRUE(a.ok() && b.ok()) << obj.name;
    EXPECT_EQ(*a, *b) << obj.name;
    bytes += a->size();
    auto info = ReadSegmentInfo(mirror->get(), obj.name);
    ASSERT_TRUE(info.ok()) << info.status();
    EXPECT_EQ(info->first_lsn, next);
    next = info->last_lsn + 1;
    records += info->record_count;
  }
  EXPECT_EQ(segments, f->segments_mirrored);
  EXPECT_EQ(bytes, f->bytes_mirrored);
  EXPECT_EQ(records, 1000u);
  EXPECT_EQ(next, 1001u);
  nlohmann::json j = nlohmann::json::parse(f->ToJson());
  EXPECT_EQ(j["transactions"].get<uint64_t>(), 1000u);
}

TEST(RpoBenchTest, FailsAnObjectiveShorterThanTheLag) {
  wayback::testing::TempDir dir;
  RpoBenchOptions o = Small(dir.path());
  o.duration = absl::Milliseconds(100);
  o.rpo = absl::Nanoseconds(1);
  auto f = RunRpoBench(o);
  ASSERT_TRUE(f.ok()) << f.status();
  EXPECT_FALSE(f->pass);
  EXPECT_LT(f->margin_seconds, 0);
}

TEST(RpoBenchTest, RepositoryThatHoldsALogIsRefused) {
  wayback::testing::TempDir dir;
  RpoBenchOptions o = Small(dir.path());
  o.duration = absl::Milliseconds(50);
  ASSERT_TRUE(RunRpoBench(o).ok());
  auto again = RunRpoBench(o);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST(RpoBenchTest, MissingRepositoryIsInvalid) {
  RpoBenchOptions o;
  auto f = RunRpoBench(o);
  EXPECT_EQ(f.status().code(), absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace wayback
