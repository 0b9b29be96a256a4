// Copyright 2026 The Wayback Authors.
//
// The one conformance suite every state target passes, instantiated for the
// memory target (1 and 4 partitions, ordered and threaded partitioned apply,
// both digest modes) and the RocksDB target (direct and staged, with and
// without spills). Every check compares with an independent model: a std::map
// and a digest computed from scratch.

#include <functional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "src/target/memory_target.h"
#include "tests/target/target_test_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

namespace wayback::testing {
namespace {

struct TargetKind {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<StateTarget>>(
      const std::string& dir)>
      open;
  // Apply through ApplyMutation() from one thread per partition.
  bool threaded = false;
};
void PrintTo(const TargetKind& kind, std::ostream* os) { *os << kind.name; }

std::vector<TargetKind> AllKinds() {
  using internal::DigestMode;
  auto memory = [](int parts, DigestMode mode) {
    return [=](const std::string&)
               -> absl::StatusOr<std::unique_ptr<StateTarget>> {
      return internal::NewMemoryTargetWithDigestMode(parts, mode);
    };
  };
  auto rocks = [](RocksDBTargetOptions o) {
    return [=](const std::string& dir) {
      return OpenRocksDBTarget(dir + "/db", o);
    };
  };
  RocksDBTargetOptions direct;
  RocksDBTargetOptions direct1;
  direct1.transactions_per_batch = 1;
  RocksDBTargetOptions staged;
  staged.stage_in_memory = true;
  RocksDBTargetOptions staged4 = staged;
  staged4.partitions = 4;
  // A bound of a few KiB: spills every few transactions, so tombstones over
  // spilled data and several ingestions per restore are exercised.
  RocksDBTargetOptions spilling = staged;
  spilling.stage_memory_limit = 16384;
  spilling.sst_file_size = 2048;
  RocksDBTargetOptions spilling4 = spilling;
  spilling4.partitions = 4;
  spilling4.stage_memory_limit = 65536;
  return {
      {"Memory1", memory(1, DigestMode::kOnDemand)},
      {"Memory1Incremental", memory(1, DigestMode::kIncremental)},
      {"Memory4Ordered", memory(4, DigestMode::kOnDemand)},
      {"Memory4Threads", memory(4, DigestMode::kOnDemand), true},
      {"Memory4ThreadsIncremental", memory(4, DigestMode::kIncremental), true},
      {"RocksDBDirect", rocks(direct)},
      {"RocksDBDirectBatch1", rocks(direct1)},
      {"RocksDBStaged", rocks(staged)},
      {"RocksDBStaged4Threads", rocks(staged4), true},
      {"RocksDBStagedSpilling", rocks(spilling)},
      {"RocksDBStagedSpilling4Threads", rocks(spilling4), true},
  };
}

// Applies records to a target the way the replayer would: whole
// transactions in order, or (threaded) each partition's mutations, in log
// order, from its own thread.
absl::Status ApplyAll(StateTarget* target, const std::vector<OwnedRecord>& recs,
                      bool threaded) {
  const int n = target->partitions();
  if (!threaded || n <= 1) {
    for (const OwnedRecord& r : recs) {
      absl::Status s = target->ApplyTransaction(r.record());
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  std::vector<absl::Status> results(n);
  std::vector<std::thread> threads;
  for (int p = 0; p < n; ++p) {
    threads.emplace_back([&, p] {
      for (const OwnedRecord& r : recs) {
        LogRecord rec = r.record();
        auto it = rec.mutations();
        MutationView m;
        while (it.Next(&m)) {
          if (PartitionOf(m.key, n) != p) continue;
          absl::Status s = target->ApplyMutation(p, m);
          if (!s.ok()) {
            results[p] = s;
            return;
          }
        }
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (const absl::Status& s : results) {
    if (!s.ok()) return s;
  }
  return absl::OkStatus();
}

class StateTargetTest : public ::testing::TestWithParam<TargetKind> {
 protected:
  void SetUp() override {
    auto t = GetParam().open(dir_.path());
    ASSERT_TRUE(t.ok()) << t.status();
    target_ = std::move(t).value();
  }

  void Apply(const std::vector<OwnedRecord>& recs, Model* model) {
    ASSERT_TRUE(ApplyAll(target_.get(), recs, GetParam().threaded).ok());
    for (const OwnedRecord& r : recs) ApplyToModel(r, model);
  }

  // Digest, ForEach, Get and IsEmpty all agree with the model.
  void ExpectState(const Model& model) {
    auto digest = target_->Digest();
    ASSERT_TRUE(digest.ok()) << digest.status();
    EXPECT_EQ(*digest, ModelDigest(model));
    std::vector<std::pair<std::string, std::string>> seen;
    ASSERT_TRUE(target_
                    ->ForEach([&](std::string_view k, std::string_view v) {
                      seen.emplace_back(std::string(k), std::string(v));
                      return true;
                    })
                    .ok());
    std::vector<std::pair<std::string, std::string>> want(model.begin(),
                                                          model.end());
    EXPECT_EQ(seen.size(), want.size());
    EXPECT_TRUE(seen == want) << "ForEach differs from the model";
    for (const auto& [k, v] : model) {
      auto got = target_->Get(k);
      ASSERT_TRUE(got.ok()) << got.status();
      ASSERT_TRUE(got->has_value()) << "missing key of size " << k.size();
      EXPECT_EQ(**got, v);
    }
    for (const char* absent : {"absent", "user/1", "key", "\xff\xff"}) {
      if (model.count(absent)) continue;
      auto got = target_->Get(absent);
      ASSERT_TRUE(got.ok());
      EXPECT_FALSE(got->has_value()) << absent;
    }
  }

  TempDir dir_;
  std::unique_ptr<StateTarget> target_;
};

TEST_P(StateTargetTest, NewTargetIsEmpty) {
  auto empty = target_->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(*empty);
  auto marker = target_->ReadMarker();
  ASSERT_TRUE(marker.ok());
  EXPECT_FALSE(marker->has_value());
  ExpectState({});
}

TEST_P(StateTargetTest, PutsDeletesOverwritesBinaryKeysEmptyValues) {
  Model model;
  std::vector<OwnedRecord> recs;
  recs.push_back(
      MakeRecord(1, {{MutationType::kPut, "a", "1"},
                     {MutationType::kPut, "b", ""},
                     {MutationType::kPut, std::string("\0\xff", 2), "bin"},
                     {MutationType::kPut, "", "empty key"}}));
  recs.push_back(
      MakeRecord(2, {{MutationType::kPut, "a", "overwritten, longer"},
                     {MutationType::kDelete, "b", ""},
                     {MutationType::kDelete, "never-existed", ""}}));
  recs.push_back(
      MakeRecord(3, {{MutationType::kPut, "b", "back"},
                     {MutationType::kPut, "a", "s"},
                     {MutationType::kDelete, "b", ""},
                     {MutationType::kPut, "b", std::string(1000, 'x')}}));
  Apply(recs, &model);
  ExpectState(model);
  auto empty = target_->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(*empty);
}

TEST_P(StateTargetTest, RandomHistoryMatchesModelAtEveryCheckpoint) {
  Model model;
  auto recs = RandomHistory(/*seed=*/7, /*transactions=*/1200);
  // Check in stages: digests and iteration in the middle of a restore must
  // not disturb what follows.
  for (size_t begin = 0; begin < recs.size(); begin += 400) {
    std::vector<OwnedRecord> chunk;
    for (size_t i = begin; i < std::min(recs.size(), begin + 400); ++i) {
      chunk.push_back(recs[i]);
    }
    Apply(chunk, &model);
    ExpectState(model);
  }
  EXPECT_GT(model.size(), 50u);  // The history is not trivially empty.
}

TEST_P(StateTargetTest, ForEachStopsWhenToldTo) {
  Model model;
  Apply(RandomHistory(3, 200), &model);
  ASSERT_GE(model.size(), 3u);
  std::vector<std::string> keys;
  ASSERT_TRUE(target_
                  ->ForEach([&](std::string_view k, std::string_view) {
                    keys.emplace_back(k);
                    return keys.size() < 3;
                  })
                  .ok());
  std::vector<std::string> want;
  for (auto it = model.begin(); want.size() < 3; ++it)
    want.push_back(it->first);
  EXPECT_EQ(keys, want);
}

TEST_P(StateTargetTest, ClearRemovesKeysAndMarker) {
  Model model;
  ASSERT_TRUE(target_->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
  Apply(RandomHistory(11, 300), &model);
  ASSERT_TRUE(target_->Clear().ok());
  auto empty = target_->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(*empty);
  auto marker = target_->ReadMarker();
  ASSERT_TRUE(marker.ok());
  EXPECT_FALSE(marker->has_value());
  ExpectState({});
  // The target is usable afterwards, deletes of old keys included.
  Model fresh;
  Apply(RandomHistory(12, 300), &fresh);
  ExpectState(fresh);
}

TEST_P(StateTargetTest, MarkerRoundTrip) {
  RestoreMarker begin{"file:///repo", "lsn 42", 3, 0, 0, true};
  ASSERT_TRUE(target_->Begin(begin).ok());
  auto m = target_->ReadMarker();
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->repository, "file:///repo");
  EXPECT_EQ((*m)->target, "lsn 42");
  EXPECT_EQ((*m)->timeline, 3u);
  EXPECT_FALSE((*m)->complete);  // Begin always records "incomplete".
  auto empty = target_->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(*empty);  // A marker alone makes the target non-empty.

  Model model;
  Apply(RandomHistory(5, 100), &model);
  RestoreMarker done{"file:///repo",       "lsn 42", 3, 42,
                     -1234567890123456789, false};
  ASSERT_TRUE(target_->Finish(done).ok());
  m = target_->ReadMarker();
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->last_applied_lsn, 42u);
  EXPECT_EQ((*m)->last_applied_commit_time, -1234567890123456789);
  EXPECT_TRUE((*m)->complete);  // Finish always records "complete".
  ExpectState(model);
}

TEST_P(StateTargetTest, LoadSnapshotThenTransactions) {
  Model model;
  for (const OwnedRecord& r : RandomHistory(21, 500)) ApplyToModel(r, &model);
  FakeSnapshotReader snap(model, 500);
  ASSERT_TRUE(target_->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
  absl::Status s = target_->LoadSnapshot(&snap);
  ASSERT_TRUE(s.ok()) << s;
  ExpectState(model);
  // Transactions on top overwrite and delete snapshot keys.
  Apply(RandomHistory(22, 500, 501), &model);
  ExpectState(model);
}

// The same through a real snapshot object (SnapshotWriter, SnapshotReader
// over memory storage, several blocks).
TEST_P(StateTargetTest, LoadRealSnapshotThenTransactions) {
  Model model;
  for (const OwnedRecord& r : RandomHistory(31, 800)) ApplyToModel(r, &model);
  std::unique_ptr<Storage> storage = NewMemoryStorage();
  SnapshotWriterOptions wo;
  wo.lsn = 800;
  wo.commit_time = 800000;
  wo.block_size = 4096;
  auto writer = SnapshotWriter::Create(storage.get(), wo);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (const auto& [k, v] : model) ASSERT_TRUE((*writer)->Add(k, v).ok());
  auto info = (*writer)->Finish();
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->digest, ModelDigest(model));
  EXPECT_GT(info->block_count, 1u);
  auto reader = SnapshotReader::Open(storage.get(), info->name);
  ASSERT_TRUE(reader.ok()) << reader.status();
  ASSERT_TRUE(target_->Begin({"mem:", "lsn 1300", 1, 0, 0, false}).ok());
  absl::Status s = target_->LoadSnapshot(reader->get());
  ASSERT_TRUE(s.ok()) << s;
  ExpectState(model);
  Apply(RandomHistory(32, 500, 801), &model);
  ExpectState(model);
}

TEST_P(StateTargetTest, LoadSnapshotWhoseDigestDisagreesIsDataLoss) {
  Model pairs{{"a", "1"}, {"b", "2"}};
  FakeSnapshotReader snap(pairs, 9);
  snap.mutable_info().digest.sum_low ^= 1;
  absl::Status s = target_->LoadSnapshot(&snap);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("snap/fake.snap"), absl::string_view::npos) << s;
}

TEST_P(StateTargetTest, LoadSnapshotReadErrorIsReturned) {
  Model pairs{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  FakeSnapshotReader snap(pairs, 9);
  snap.FailAfter(2);
  absl::Status s = target_->LoadSnapshot(&snap);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find("offset 42"), absl::string_view::npos) << s;
}

TEST_P(StateTargetTest, MalformedRecordIsInvalidArgument) {
  OwnedRecord r = MakeRecord(1, {{MutationType::kPut, "a", "1"}});
  r.encoded[0] = 9;  // Not a mutation type.
  absl::Status s = target_->ApplyTransaction(r.record());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
}

INSTANTIATE_TEST_SUITE_P(AllTargets, StateTargetTest,
                         ::testing::ValuesIn(AllKinds()),
                         [](const auto& info) { return info.param.name; });

// The same random history gives the same digest in every target.
TEST(StateTargetAgreementTest, EveryTargetReachesTheSameDigest) {
  auto recs = RandomHistory(99, 2000, 1, 500);
  Model model;
  for (const OwnedRecord& r : recs) ApplyToModel(r, &model);
  const StateDigest want = ModelDigest(model);
  for (const TargetKind& kind : AllKinds()) {
    SCOPED_TRACE(kind.name);
    TempDir dir;
    auto t = kind.open(dir.path());
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_TRUE(ApplyAll(t->get(), recs, kind.threaded).ok());
    auto d = (*t)->Digest();
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->ToString(), want.ToString());
  }
}

}  // namespace
}  // namespace wayback::testing
