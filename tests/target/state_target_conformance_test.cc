// Copyright 2026 The Wayback Authors.
//
// The one conformance suite every state target passes, instantiated for the
// memory target (1 and 4 partitions, ordered and threaded partitioned apply,
// one by one and batched, both digest modes) and the RocksDB target (direct and
// staged, with and without spills). Every check compares with an independent
// model: a std::map and a digest computed from scratch.

#include <algorithm>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "src/target/memory_target.h"
#include "tests/target/target_test_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

namespace wayback::testing {
namespace {

// How the records reach the target.
enum class ApplyMode {
  kTransactions,      // ApplyTransaction() per record.
  kTransactionBatch,  // ApplyTransactionBatch() over runs of records.
  kThreads,           // ApplyMutation() from one thread per partition.
  kThreadBatch,       // ApplyMutationBatch() from one thread per partition.
};

struct TargetKind {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<StateTarget>>(
      const std::string& dir)>
      open;
  ApplyMode mode = ApplyMode::kTransactions;
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
  const ApplyMode kBatch = ApplyMode::kTransactionBatch;
  const ApplyMode kThreads = ApplyMode::kThreads;
  const ApplyMode kThreadBatch = ApplyMode::kThreadBatch;
  return {
      {"Memory1", memory(1, DigestMode::kOnDemand)},
      {"Memory1Incremental", memory(1, DigestMode::kIncremental)},
      {"Memory1Batch", memory(1, DigestMode::kIncremental), kBatch},
      {"Memory4Ordered", memory(4, DigestMode::kOnDemand)},
      {"Memory4OrderedBatch", memory(4, DigestMode::kIncremental), kBatch},
      {"Memory4Threads", memory(4, DigestMode::kOnDemand), kThreads},
      {"Memory4ThreadsIncremental", memory(4, DigestMode::kIncremental),
       kThreads},
      {"Memory4ThreadBatch", memory(4, DigestMode::kIncremental), kThreadBatch},
      {"RocksDBDirect", rocks(direct)},
      {"RocksDBDirectTransactionBatch", rocks(direct), kBatch},
      {"RocksDBDirectBatch1", rocks(direct1)},
      {"RocksDBStaged", rocks(staged)},
      {"RocksDBStaged4Threads", rocks(staged4), kThreads},
      {"RocksDBStaged4ThreadBatch", rocks(staged4), kThreadBatch},
      {"RocksDBStagedSpilling", rocks(spilling)},
      {"RocksDBStagedSpilling4Threads", rocks(spilling4), kThreads},
      // Exactly what `wayback restore --threads 3` opens, applied as the
      // replayer applies it.
      {"RocksDBForRestore3ThreadBatch",
       rocks(RocksDBTargetOptions::ForRestore(3)), kThreadBatch},
  };
}

// Applies records to a target the way the replayer would: whole
// transactions in order (one by one, or in batches of up to 7 records, the
// batches' edges falling anywhere), or (threads) each partition's mutations,
// in log order, from its own thread (one by one, or in batches).
absl::Status ApplyAll(StateTarget* target, const std::vector<OwnedRecord>& recs,
                      ApplyMode mode) {
  const int n = target->partitions();
  if (mode == ApplyMode::kTransactions ||
      (mode == ApplyMode::kThreads && n <= 1)) {
    for (const OwnedRecord& r : recs) {
      absl::Status s = target->ApplyTransaction(r.record());
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  if (mode == ApplyMode::kTransactionBatch || n <= 1) {
    std::vector<LogRecord> records;
    for (const OwnedRecord& r : recs) records.push_back(r.record());
    for (size_t i = 0; i < records.size(); i += 1 + i % 7) {
      const size_t len = std::min(records.size() - i, 1 + i % 7);
      absl::Status s = target->ApplyTransactionBatch(
          std::span<const LogRecord>(records).subspan(i, len));
      if (!s.ok()) return s;
    }
    return absl::OkStatus();
  }
  const bool batch = mode == ApplyMode::kThreadBatch;
  std::vector<absl::Status> results(n);
  std::vector<std::thread> threads;
  for (int p = 0; p < n; ++p) {
    threads.emplace_back([&, p] {
      std::vector<MutationView> pending;
      for (const OwnedRecord& r : recs) {
        LogRecord rec = r.record();
        auto it = rec.mutations();
        MutationView m;
        while (it.Next(&m)) {
          if (PartitionOf(m.key, n) != p) continue;
          absl::Status s = batch ? (pending.push_back(m), absl::OkStatus())
                                 : target->ApplyMutation(p, m);
          if (!s.ok()) {
            results[p] = s;
            return;
          }
        }
        // Batches of a few records' worth (the views stay valid: `recs`
        // owns the bytes).
        if (batch && (pending.size() > 5 || &r == &recs.back())) {
          results[p] = target->ApplyMutationBatch(p, pending);
          pending.clear();
          if (!results[p].ok()) return;
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
    ASSERT_TRUE(ApplyAll(target_.get(), recs, GetParam().mode).ok());
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

// Pairs of every size class the targets treat differently: key lengths
// whose varint takes 1, 2 and 3 bytes; values around the memory target's
// one-shot hashing limit (4 KiB of varint + key + value) and its arena's
// largest size class (16 KiB per entry); values that grow (moving the entry)
// and shrink in place; deletes of each. The digest, iteration and Get()
// must match the model at each step.
TEST_P(StateTargetTest, PairsOfEverySizeMatchTheModel) {
  Model model;
  std::vector<OwnedRecord> recs;
  Lsn lsn = 1;
  const size_t key_sizes[] = {0, 1, 127, 128, 16383, 16384, 20000};
  const size_t value_sizes[] = {0,     1,     31,    32,    511,
                                512,   4000,  4095,  4096,  4097,
                                16300, 16384, 16400, 70000, 300000};
  for (size_t ks : key_sizes) {
    std::vector<Mutation> muts;
    for (size_t vs : value_sizes) {
      std::string key(ks, 'k');
      if (!key.empty()) key.back() = static_cast<char>('a' + vs % 26);
      key += std::to_string(vs);
      muts.push_back({MutationType::kPut, key, std::string(vs, 'v')});
    }
    recs.push_back(MakeRecord(lsn++, muts));
    // Grow every value past its block, then shrink it, then delete every
    // other key.
    std::vector<Mutation> grow, shrink, del;
    for (size_t i = 0; i < muts.size(); ++i) {
      grow.push_back({MutationType::kPut, muts[i].key,
                      std::string(muts[i].value.size() * 3 + 40, 'g')});
      shrink.push_back({MutationType::kPut, muts[i].key, "s"});
      if (i % 2 == 0) del.push_back({MutationType::kDelete, muts[i].key, ""});
    }
    recs.push_back(MakeRecord(lsn++, grow));
    recs.push_back(MakeRecord(lsn++, shrink));
    recs.push_back(MakeRecord(lsn++, del));
  }
  for (size_t i = 0; i < recs.size(); i += 4) {
    std::vector<OwnedRecord> step(recs.begin() + i, recs.begin() + i + 4);
    for (size_t j = 0; j < step.size(); ++j) {
      std::vector<OwnedRecord> one;
      one.push_back(step[j]);
      Apply(one, &model);
      ExpectState(model);
    }
  }
  // Re-put the deleted keys with large values: freed blocks are reused.
  std::vector<Mutation> again;
  for (const auto& [k, v] : Model(model)) {
    again.push_back({MutationType::kPut, k, std::string(5000, 'r')});
  }
  std::vector<OwnedRecord> last;
  last.push_back(MakeRecord(lsn++, again));
  Apply(last, &model);
  ExpectState(model);
}

// A malformed record in a batch: the records before it stay applied, and
// the error is kInvalidArgument naming its LSN.
TEST_P(StateTargetTest, MalformedRecordInABatchKeepsThoseBeforeIt) {
  std::vector<OwnedRecord> recs;
  recs.push_back(MakeRecord(1, {{MutationType::kPut, "a", "1"}}));
  recs.push_back(MakeRecord(2, {{MutationType::kPut, "b", "2"}}));
  recs.push_back(MakeRecord(3, {{MutationType::kPut, "c", "3"}}));
  recs[2].encoded[0] = 9;  // Not a mutation type.
  std::vector<LogRecord> records;
  for (const OwnedRecord& r : recs) records.push_back(r.record());
  absl::Status s = target_->ApplyTransactionBatch(records);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
  EXPECT_NE(s.message().find("lsn 3"), absl::string_view::npos) << s;
  Model model{{"a", "1"}, {"b", "2"}};
  ExpectState(model);
}

// Restore points in a batch are skipped.
TEST_P(StateTargetTest, TransactionBatchSkipsRestorePoints) {
  OwnedRecord a = MakeRecord(1, {{MutationType::kPut, "a", "1"}});
  OwnedRecord b = MakeRecord(3, {{MutationType::kPut, "b", "2"}});
  LogRecord point;
  point.type = RecordType::kRestorePoint;
  point.lsn = 2;
  point.restore_point_name = "before-b";
  std::vector<LogRecord> records = {a.record(), point, b.record()};
  absl::Status s = target_->ApplyTransactionBatch(records);
  ASSERT_TRUE(s.ok()) << s;
  ExpectState({{"a", "1"}, {"b", "2"}});
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
    ASSERT_TRUE(ApplyAll(t->get(), recs, kind.mode).ok());
    auto d = (*t)->Digest();
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->ToString(), want.ToString());
  }
}

}  // namespace
}  // namespace wayback::testing
