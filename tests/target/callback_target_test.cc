// Copyright 2026 The Wayback Authors.
//
// The callback target, the default LoadSnapshot() and PartitionOf().

#include <map>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "tests/target/target_test_util.h"
#include "wayback/state_target.h"

namespace wayback::testing {
namespace {

TEST(CallbackTargetTest, HandsEveryTransactionToTheApplication) {
  std::vector<Transaction> seen;
  std::vector<Lsn> lsns;
  auto t = NewCallbackTarget([&](const LogRecord& r) {
    seen.push_back(r.ToTransaction());
    lsns.push_back(r.lsn);
    return absl::OkStatus();
  });
  auto recs = RandomHistory(1, 50);
  for (const OwnedRecord& r : recs)
    ASSERT_TRUE(t->ApplyTransaction(r.record()).ok());
  ASSERT_EQ(seen.size(), recs.size());
  for (size_t i = 0; i < recs.size(); ++i) {
    EXPECT_EQ(seen[i].mutations, recs[i].mutations);
    EXPECT_EQ(lsns[i], recs[i].lsn);
  }
}

TEST(CallbackTargetTest, CallbackErrorStopsTheRestore) {
  auto t = NewCallbackTarget(
      [](const LogRecord&) { return absl::InternalError("app says no"); });
  OwnedRecord r = MakeRecord(1, {{MutationType::kPut, "a", "1"}});
  absl::Status s = t->ApplyTransaction(r.record());
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal);
  EXPECT_EQ(s.message(), "app says no");
}

TEST(CallbackTargetTest, KeepsNoState) {
  auto t = NewCallbackTarget([](const LogRecord&) { return absl::OkStatus(); });
  auto empty = t->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(*empty);
  EXPECT_EQ(t->Digest().status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(t->Get("a").status().code(), absl::StatusCode::kUnimplemented);
  EXPECT_EQ(t->ForEach([](auto, auto) { return true; }).code(),
            absl::StatusCode::kUnimplemented);
}

TEST(CallbackTargetTest, MarkerRoundTrip) {
  auto t = NewCallbackTarget([](const LogRecord&) { return absl::OkStatus(); });
  ASSERT_TRUE(t->Begin({"mem:", "latest", 1, 0, 0, true}).ok());
  auto m = t->ReadMarker();
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_FALSE((*m)->complete);
  ASSERT_TRUE(t->Finish({"mem:", "latest", 1, 5, 6, false}).ok());
  m = t->ReadMarker();
  ASSERT_TRUE(m.ok() && m->has_value());
  EXPECT_TRUE((*m)->complete);
  EXPECT_EQ((*m)->last_applied_lsn, 5u);
}

TEST(CallbackTargetTest, SnapshotWithoutPairCallbackIsUnimplemented) {
  auto t = NewCallbackTarget([](const LogRecord&) { return absl::OkStatus(); });
  FakeSnapshotReader snap(Model{{"a", "1"}});
  EXPECT_EQ(t->LoadSnapshot(&snap).code(), absl::StatusCode::kUnimplemented);
}

TEST(CallbackTargetTest, SnapshotPairsGoToThePairCallbackInOrder) {
  Model pairs{{"a", "1"}, {std::string("\0", 1), ""}, {"zz", "3"}};
  Model got;
  std::vector<std::string> order;
  auto t = NewCallbackTarget([](const LogRecord&) { return absl::OkStatus(); },
                             [&](std::string_view k, std::string_view v) {
                               got[std::string(k)] = std::string(v);
                               order.emplace_back(k);
                               return absl::OkStatus();
                             });
  FakeSnapshotReader snap(pairs);
  ASSERT_TRUE(t->LoadSnapshot(&snap).ok());
  EXPECT_EQ(got, pairs);
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
}

TEST(CallbackTargetTest, SnapshotReadErrorIsReturned) {
  auto t = NewCallbackTarget([](const LogRecord&) { return absl::OkStatus(); },
                             [](auto, auto) { return absl::OkStatus(); });
  FakeSnapshotReader snap(Model{{"a", "1"}, {"b", "2"}});
  snap.FailAfter(1);
  EXPECT_EQ(t->LoadSnapshot(&snap).code(), absl::StatusCode::kDataLoss);
}

// A minimal application target: only ApplyTransaction(), so LoadSnapshot()
// is the default one.
class MapTarget : public StateTarget {
 public:
  absl::StatusOr<bool> IsEmpty() override { return map.empty(); }
  absl::Status Clear() override {
    map.clear();
    return absl::OkStatus();
  }
  absl::Status ApplyTransaction(const LogRecord& r) override {
    auto it = r.mutations();
    MutationView m;
    while (it.Next(&m)) {
      if (m.type == MutationType::kPut) {
        map[std::string(m.key)] = std::string(m.value);
      } else {
        map.erase(std::string(m.key));
      }
    }
    return absl::OkStatus();
  }
  absl::StatusOr<StateDigest> Digest() override { return ModelDigest(map); }
  absl::Status ForEach(
      const std::function<bool(std::string_view, std::string_view)>&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<std::string>> Get(std::string_view) override {
    return std::optional<std::string>();
  }
  Model map;
};

TEST(DefaultLoadSnapshotTest, PutsEveryPair) {
  Model pairs;
  for (const OwnedRecord& r : RandomHistory(8, 300)) ApplyToModel(r, &pairs);
  FakeSnapshotReader snap(pairs, 300);
  MapTarget t;
  ASSERT_TRUE(t.LoadSnapshot(&snap).ok());
  EXPECT_EQ(t.map, pairs);
}

TEST(DefaultLoadSnapshotTest, ReadErrorIsReturned) {
  FakeSnapshotReader snap(Model{{"a", "1"}, {"b", "2"}});
  snap.FailAfter(1);
  MapTarget t;
  EXPECT_EQ(t.LoadSnapshot(&snap).code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(t.map.size(), 1u);
}

TEST(PartitionOfTest, InRangeDeterministicAndSpread) {
  for (int n : {1, 2, 3, 4, 7, 16}) {
    std::vector<int> counts(n);
    for (int i = 0; i < 20000; ++i) {
      std::string key = "user/" + std::to_string(i);
      int p = PartitionOf(key, n);
      ASSERT_GE(p, 0);
      ASSERT_LT(p, n);
      ASSERT_EQ(p, PartitionOf(std::string(key), n));  // Same bytes, same p.
      ++counts[p];
    }
    // A hash spreads 20,000 keys within 20% of even.
    for (int c : counts) {
      EXPECT_GT(c, 20000 / n * 8 / 10) << "n=" << n;
      EXPECT_LT(c, 20000 / n * 12 / 10) << "n=" << n;
    }
  }
  EXPECT_EQ(PartitionOf("anything", 0), 0);
  EXPECT_EQ(PartitionOf("", 1), 0);
}

}  // namespace
}  // namespace wayback::testing
