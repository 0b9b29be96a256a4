// Copyright 2026 The Wayback Authors.
//
// What only the RocksDB target promises: the default column family holds
// exactly the application's pairs (checked with RocksDB's own API and with
// `ldb`), the marker survives a crash as "incomplete", a finished restore
// reopens intact, bulk snapshot loads and spills leave no scratch files, and
// RocksDB errors are converted at the edge.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "tests/target/target_test_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/rocksdb.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

namespace wayback::testing {
namespace {

std::vector<std::pair<std::string, std::string>> Pairs(const Model& m) {
  return {m.begin(), m.end()};
}

// Every pair of the default column family, read with RocksDB's own API from
// a read-only open, and the names of the column families.
void ReadRaw(const std::string& path,
             std::vector<std::pair<std::string, std::string>>* pairs,
             std::vector<std::string>* families) {
  rocksdb::Options options;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, families).ok());
  rocksdb::DB* db = nullptr;
  ASSERT_TRUE(rocksdb::DB::OpenForReadOnly(options, path, &db).ok());
  std::unique_ptr<rocksdb::DB> owned(db);
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    pairs->emplace_back(it->key().ToString(), it->value().ToString());
  }
  ASSERT_TRUE(it->status().ok());
}

class RocksDBTargetTest : public ::testing::TestWithParam<bool> {
 protected:
  std::string db_path() const { return dir_.path() + "/db"; }
  RocksDBTargetOptions options() const {
    RocksDBTargetOptions o;
    o.stage_in_memory = GetParam();
    return o;
  }
  std::unique_ptr<StateTarget> Open() {
    auto t = OpenRocksDBTarget(db_path(), options());
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? std::move(t).value() : nullptr;
  }
  // Begin, a random history, Finish; returns the model.
  Model Restore(StateTarget* t, uint32_t seed) {
    Model model;
    EXPECT_TRUE(t->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
    for (const OwnedRecord& r : RandomHistory(seed, 800)) {
      EXPECT_TRUE(t->ApplyTransaction(r.record()).ok());
      ApplyToModel(r, &model);
    }
    EXPECT_TRUE(t->Finish({"mem:", "latest", 1, 800, 800000, true}).ok());
    return model;
  }

  TempDir dir_;
};

TEST_P(RocksDBTargetTest, DefaultColumnFamilyHoldsOnlyTheUserPairs) {
  Model model;
  {
    auto t = Open();
    ASSERT_NE(t, nullptr);
    model = Restore(t.get(), 1);
  }
  std::vector<std::pair<std::string, std::string>> raw;
  std::vector<std::string> families;
  ReadRaw(db_path(), &raw, &families);
  EXPECT_TRUE(raw == Pairs(model));
  std::sort(families.begin(), families.end());
  EXPECT_EQ(families, (std::vector<std::string>{"default", "wayback"}));
  // No scratch files left behind in the database directory.
  EXPECT_FALSE(std::filesystem::exists(db_path() + "/wayback-staging"));
}

TEST_P(RocksDBTargetTest, LdbScanShowsExactlyTheUserPairs) {
  if (std::system("ldb --version >/dev/null 2>&1") != 0 &&
      !std::filesystem::exists("/usr/bin/ldb")) {
    GTEST_SKIP() << "ldb not installed";
  }
  Model model;
  {
    auto t = Open();
    ASSERT_NE(t, nullptr);
    model = Restore(t.get(), 2);
  }
  std::string cmd = "ldb --db=" + db_path() + " scan --hex 2>&1";
  FILE* f = popen(cmd.c_str(), "r");
  ASSERT_NE(f, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), f)) > 0) out.append(buf, n);
  ASSERT_EQ(pclose(f), 0) << out;
  // One "0xKEY : 0xVALUE" line per pair, in key order.
  std::vector<std::pair<std::string, std::string>> scanned;
  size_t pos = 0;
  while (pos < out.size()) {
    size_t eol = out.find('\n', pos);
    if (eol == std::string::npos) eol = out.size();
    std::string line = out.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.empty()) continue;
    size_t sep = line.find(" : ");
    ASSERT_NE(sep, std::string::npos) << line;
    ASSERT_EQ(line.substr(0, 2), "0x") << line;
    ASSERT_EQ(line.substr(sep + 3, 2), "0x") << line;
    scanned.emplace_back(absl::HexStringToBytes(line.substr(2, sep - 2)),
                         absl::HexStringToBytes(line.substr(sep + 5)));
  }
  EXPECT_EQ(scanned.size(), model.size());
  EXPECT_TRUE(scanned == Pairs(model));
}

TEST_P(RocksDBTargetTest, CrashBeforeFinishLeavesMarkerIncomplete) {
  {
    auto t = Open();
    ASSERT_NE(t, nullptr);
    ASSERT_TRUE(t->Begin({"file:///r", "lsn 9", 1, 0, 0, true}).ok());
    for (const OwnedRecord& r : RandomHistory(3, 300)) {
      ASSERT_TRUE(t->ApplyTransaction(r.record()).ok());
    }
    // Destroyed without Finish().
  }
  auto t = Open();
  ASSERT_NE(t, nullptr);
  auto m = t->ReadMarker();
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->has_value());
  EXPECT_FALSE((*m)->complete);
  EXPECT_EQ((*m)->target, "lsn 9");
  auto empty = t->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_FALSE(*empty);
}

TEST_P(RocksDBTargetTest, ReopenedFinishedRestoreIsIntact) {
  Model model;
  {
    auto t = Open();
    ASSERT_NE(t, nullptr);
    model = Restore(t.get(), 4);
  }
  auto t = Open();
  ASSERT_NE(t, nullptr);
  auto d = t->Digest();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, ModelDigest(model));
  auto m = t->ReadMarker();
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->has_value());
  EXPECT_TRUE((*m)->complete);
  EXPECT_EQ((*m)->last_applied_lsn, 800u);
  EXPECT_EQ((*m)->last_applied_commit_time, 800000);
  // Transactions on top of a reopened database (deletes of stored keys).
  for (const OwnedRecord& r : RandomHistory(5, 300, 801)) {
    ASSERT_TRUE(t->ApplyTransaction(r.record()).ok());
    ApplyToModel(r, &model);
  }
  d = t->Digest();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, ModelDigest(model));
}

TEST_P(RocksDBTargetTest, BulkSnapshotLoadAcrossManySstFiles) {
  Model model;
  for (int i = 0; i < 3000; ++i) {
    model["k" + std::to_string(i * 37 % 100000)] = std::string(i % 50, 'v');
  }
  FakeSnapshotReader snap(model, 77);
  RocksDBTargetOptions o = options();
  o.sst_file_size = 8192;  // Dozens of files in one ingestion.
  auto t = OpenRocksDBTarget(db_path(), o);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->LoadSnapshot(&snap).ok());
  ASSERT_TRUE((*t)->Finish({"mem:", "snapshot", 1, 77, 0, true}).ok());
  t->reset();
  std::vector<std::pair<std::string, std::string>> raw;
  std::vector<std::string> families;
  ReadRaw(db_path(), &raw, &families);
  EXPECT_TRUE(raw == Pairs(model));
  EXPECT_FALSE(std::filesystem::exists(db_path() + "/wayback-staging"));
}

TEST_P(RocksDBTargetTest, ClearKeepsOtherColumnFamiliesWorking) {
  auto t = Open();
  ASSERT_NE(t, nullptr);
  Restore(t.get(), 6);
  ASSERT_TRUE(t->Clear().ok());
  auto empty = t->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(*empty);
  t.reset();
  std::vector<std::pair<std::string, std::string>> raw;
  std::vector<std::string> families;
  ReadRaw(db_path(), &raw, &families);
  EXPECT_TRUE(raw.empty());
}

// A real crash: the restore runs in a child process (gtest's "threadsafe"
// death-test style re-executes this binary) that calls _exit() without
// closing RocksDB, so nothing is flushed on the way out. The child re-runs
// the test body, so the database path is handed down in the environment.
std::string CrashDbPath(const TempDir& dir) {
  const char* inherited = std::getenv("WAYBACK_TARGET_CRASH_DB");
  std::string path = inherited ? inherited : dir.path() + "/db";
  setenv("WAYBACK_TARGET_CRASH_DB", path.c_str(), 1);
  return path;
}

TEST_P(RocksDBTargetTest, ProcessExitBeforeFinishLeavesMarkerIncomplete) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string path = CrashDbPath(dir_);
  RocksDBTargetOptions o = options();
  EXPECT_EXIT(
      {
        auto t = OpenRocksDBTarget(path, o);
        if (!t.ok()) _exit(2);
        if (!(*t)->Begin({"file:///r", "lsn 300", 1, 0, 0, false}).ok()) {
          _exit(3);
        }
        for (const OwnedRecord& r : RandomHistory(9, 300)) {
          if (!(*t)->ApplyTransaction(r.record()).ok()) _exit(4);
        }
        _exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  unsetenv("WAYBACK_TARGET_CRASH_DB");
  auto t = OpenRocksDBTarget(path, o);
  ASSERT_TRUE(t.ok()) << t.status();
  auto m = (*t)->ReadMarker();
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->has_value());
  EXPECT_FALSE((*m)->complete);
  EXPECT_EQ((*m)->target, "lsn 300");
}

TEST_P(RocksDBTargetTest, ProcessExitAfterFinishKeepsEverything) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  const std::string path = CrashDbPath(dir_);
  RocksDBTargetOptions o = options();
  EXPECT_EXIT(
      {
        auto t = OpenRocksDBTarget(path, o);
        if (!t.ok()) _exit(2);
        if (!(*t)->Begin({"file:///r", "lsn 300", 1, 0, 0, false}).ok()) {
          _exit(3);
        }
        for (const OwnedRecord& r : RandomHistory(9, 300)) {
          if (!(*t)->ApplyTransaction(r.record()).ok()) _exit(4);
        }
        if (!(*t)->Finish({"file:///r", "lsn 300", 1, 300, 300000, true})
                 .ok()) {
          _exit(5);
        }
        _exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  unsetenv("WAYBACK_TARGET_CRASH_DB");
  Model model;
  for (const OwnedRecord& r : RandomHistory(9, 300)) ApplyToModel(r, &model);
  auto t = OpenRocksDBTarget(path, o);
  ASSERT_TRUE(t.ok()) << t.status();
  auto m = (*t)->ReadMarker();
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->has_value());
  EXPECT_TRUE((*m)->complete);
  EXPECT_EQ((*m)->last_applied_lsn, 300u);
  auto d = (*t)->Digest();
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, ModelDigest(model));
}

INSTANTIATE_TEST_SUITE_P(Modes, RocksDBTargetTest, ::testing::Bool(),
                         [](const auto& info) {
                           return info.param ? "Staged" : "Direct";
                         });

TEST(RocksDBTargetErrorTest, MissingDatabaseWithoutCreateIsNotFound) {
  TempDir dir;
  RocksDBTargetOptions o;
  o.create_if_missing = false;
  auto t = OpenRocksDBTarget(dir.path() + "/nothing", o);
  EXPECT_EQ(t.status().code(), absl::StatusCode::kNotFound) << t.status();
  EXPECT_NE(t.status().message().find("/nothing"), absl::string_view::npos);
}

TEST(RocksDBTargetErrorTest, DamagedMarkerIsDataLoss) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  {
    auto t = OpenRocksDBTarget(path);
    ASSERT_TRUE(t.ok());
  }
  {
    // Overwrite the marker with bytes that are not a marker.
    rocksdb::Options options;
    std::vector<rocksdb::ColumnFamilyDescriptor> descs = {
        {rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions()},
        {"wayback", rocksdb::ColumnFamilyOptions()}};
    std::vector<rocksdb::ColumnFamilyHandle*> handles;
    rocksdb::DB* db = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(options, path, descs, &handles, &db).ok());
    ASSERT_TRUE(
        db->Put(rocksdb::WriteOptions(), handles[1], "restore_marker", "{\"fo")
            .ok());
    for (auto* h : handles) ASSERT_TRUE(db->DestroyColumnFamilyHandle(h).ok());
    delete db;
  }
  auto t = OpenRocksDBTarget(path);
  ASSERT_TRUE(t.ok());
  auto m = (*t)->ReadMarker();
  EXPECT_EQ(m.status().code(), absl::StatusCode::kDataLoss) << m.status();
  EXPECT_NE(m.status().message().find(path), absl::string_view::npos);
}

// Partitioned apply is refused, with what is wrong, outside the staged mode
// and for a partition out of range; nothing is applied.
TEST(RocksDBTargetErrorTest, PartitionedApplyChecksModeAndPartition) {
  TempDir dir;
  MutationView m;
  m.key = "k";
  m.value = "v";
  const std::vector<MutationView> batch = {m};
  auto direct = OpenRocksDBTarget(dir.path() + "/direct");
  ASSERT_TRUE(direct.ok());
  for (const absl::Status& s : {(*direct)->ApplyMutation(0, m),
                                (*direct)->ApplyMutationBatch(0, batch)}) {
    EXPECT_TRUE(absl::IsUnimplemented(s)) << s;
    EXPECT_NE(s.message().find("stage_in_memory"), absl::string_view::npos);
  }
  RocksDBTargetOptions o;
  o.stage_in_memory = true;
  o.partitions = 2;
  auto staged = OpenRocksDBTarget(dir.path() + "/staged", o);
  ASSERT_TRUE(staged.ok());
  for (int bad : {-1, 2}) {
    for (const absl::Status& s : {(*staged)->ApplyMutation(bad, m),
                                  (*staged)->ApplyMutationBatch(bad, batch)}) {
      EXPECT_TRUE(absl::IsInvalidArgument(s)) << s;
      EXPECT_NE(s.message().find(absl::StrCat("partition ", bad)),
                absl::string_view::npos)
          << s;
    }
  }
  auto empty = (*staged)->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(*empty);
}

TEST(RocksDBTargetErrorTest, MarkerWithBytesThatAreNotUtf8IsStoredNotThrown) {
  TempDir dir;
  auto t = OpenRocksDBTarget(dir.path() + "/db");
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE(
      (*t)->Begin({"file:///r\xff", "restore point \xc3", 1, 0, 0, false})
          .ok());
  auto m = (*t)->ReadMarker();
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_TRUE(m->has_value());
  EXPECT_EQ((*m)->repository.substr(0, 9), "file:///r");
  EXPECT_FALSE((*m)->complete);
}

TEST(RocksDBTargetErrorTest, DatabaseLockedByAnotherOpenIsAnError) {
  TempDir dir;
  auto first = OpenRocksDBTarget(dir.path() + "/db");
  ASSERT_TRUE(first.ok());
  auto second = OpenRocksDBTarget(dir.path() + "/db");
  EXPECT_FALSE(second.ok());
  EXPECT_NE(second.status().message().find(dir.path()),
            absl::string_view::npos);
}

TEST(RocksDBTargetErrorTest, UnsortedSnapshotIsDataLossAndIngestsNothing) {
  // A reader that yields keys out of order (a damaged snapshot).
  class Unsorted : public FakeSnapshotReader {
   public:
    Unsorted() : FakeSnapshotReader(Model{}) {}
    std::unique_ptr<SnapshotIterator> NewIterator() override {
      class It : public SnapshotIterator {
       public:
        bool Next(std::string_view* k, std::string_view* v) override {
          static const char* keys[] = {"b", "a"};
          if (i_ == 2) return false;
          *k = keys[i_++];
          *v = "x";
          return true;
        }
        absl::Status status() const override { return absl::OkStatus(); }

       private:
        int i_ = 0;
      };
      return std::make_unique<It>();
    }
  } snap;
  TempDir dir;
  auto t = OpenRocksDBTarget(dir.path() + "/db");
  ASSERT_TRUE(t.ok());
  absl::Status s = (*t)->LoadSnapshot(&snap);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  auto empty = (*t)->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(*empty);
}

// ---------------------------------------------------------------------------
// The staged path at scale: several partitions applied from their own
// threads, a memory bound so small that every partition spills dozens of
// sorted runs, and enough keys that the final write is cut into several key
// ranges written in parallel and merged from memory and runs. The database
// (read with RocksDB's own API) and the digest the target folded while
// writing both equal the model.

// Applies `recs` from one thread per partition, as the replayer does:
// ApplyMutationBatch() with up to 300 mutations at a time (and, for
// partition 0, single ApplyMutation() calls in between, the other entry).
void ApplyPartitioned(StateTarget* t, const std::vector<OwnedRecord>& recs) {
  const int n = t->partitions();
  std::vector<absl::Status> results(n);
  std::vector<std::thread> threads;
  for (int p = 0; p < n; ++p) {
    threads.emplace_back([&, p] {
      std::vector<MutationView> batch;
      auto flush = [&] {
        absl::Status s = t->ApplyMutationBatch(p, batch);
        batch.clear();
        return s;
      };
      int records = 0;
      for (const OwnedRecord& r : recs) {
        LogRecord rec = r.record();
        auto it = rec.mutations();
        MutationView m;
        while (it.Next(&m)) {
          if (PartitionOf(m.key, n) != p) continue;
          if (p == 0 && records % 7 == 0) {
            results[p] = flush();
            if (results[p].ok()) results[p] = t->ApplyMutation(p, m);
          } else {
            batch.push_back(m);
            if (batch.size() == 300) results[p] = flush();
          }
          if (!results[p].ok()) return;
        }
        ++records;
      }
      results[p] = flush();
    });
  }
  for (std::thread& th : threads) th.join();
  for (const absl::Status& s : results) ASSERT_TRUE(s.ok()) << s;
}

size_t CountFiles(const std::string& dir, const std::string& ext) {
  size_t n = 0;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
    if (e.path().extension() == ext) ++n;
  }
  return n;
}

// After Finish(): the digest the target folded, and the database read with
// RocksDB's own API after the target is closed, both equal the model.
void ExpectFinishedEqualsModel(std::unique_ptr<StateTarget>* t,
                               const std::string& path, const Model& model) {
  auto d = (*t)->Digest();
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, ModelDigest(model));
  t->reset();
  std::vector<std::pair<std::string, std::string>> raw;
  std::vector<std::string> families;
  ReadRaw(path, &raw, &families);
  EXPECT_EQ(raw.size(), model.size());
  EXPECT_TRUE(raw == Pairs(model));
}

struct StagedCase {
  int partitions;
  int write_threads;
  uint64_t memory_limit;
  // SST files written with O_DIRECT (where the scratch file system takes
  // it) instead of the default buffered writes.
  bool direct_writes = false;
};

class RocksDBStagedScaleTest : public ::testing::TestWithParam<StagedCase> {
 protected:
  RocksDBTargetOptions options() const {
    RocksDBTargetOptions o;
    o.stage_in_memory = true;
    o.partitions = GetParam().partitions;
    o.write_threads = GetParam().write_threads;
    o.stage_memory_limit = GetParam().memory_limit;
    o.direct_writes = GetParam().direct_writes;
    o.sst_file_size = 64 << 10;
    return o;
  }
  std::string db_path() const { return dir_.path() + "/db"; }
  TempDir dir_;
};

TEST_P(RocksDBStagedScaleTest, ReplayWithRunsEqualsModel) {
  // 12,000 transactions over 9,000 keys: ~6,000 live keys at the end.
  const auto recs = RandomHistory(41, 12000, 1, 9000);
  Model model;
  for (const OwnedRecord& r : recs) ApplyToModel(r, &model);
  auto t = OpenRocksDBTarget(db_path(), options());
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE((*t)->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
  ApplyPartitioned(t->get(), recs);
  const size_t runs = CountFiles(db_path() + "/wayback-staging", ".run");
  if (GetParam().memory_limit < (1 << 20)) {
    EXPECT_GT(runs, static_cast<size_t>(GetParam().partitions)) << "no spill";
  } else {
    EXPECT_EQ(runs, 0u);
  }
  ASSERT_TRUE((*t)->Finish({"mem:", "latest", 1, 12000, 1, true}).ok());
  ExpectFinishedEqualsModel(&*t, db_path(), model);
  EXPECT_FALSE(std::filesystem::exists(db_path() + "/wayback-staging"));
}

// The staged sort compares 40-byte slices of keys held inline and descends
// only into groups that agree: keys that share prefixes longer than several
// slices, end exactly at a slice boundary, are prefixes of one another, or
// hold 0x00 and 0xff bytes must still come out in RocksDB's bytewise order.
TEST_P(RocksDBStagedScaleTest, KeysSharingLongPrefixesSortExactly) {
  std::mt19937_64 rng(9);
  const std::string alphabet("\0a\xff", 3);
  Model model;
  std::vector<std::pair<std::string, std::string>> puts;
  for (int i = 0; i < 5000; ++i) {
    const size_t len = 1 + rng() % 80;
    std::string k;
    for (size_t j = 0; j < len; ++j) {
      k.push_back(j < 60 && rng() % 16 != 0 ? 'p' : alphabet[rng() % 3]);
    }
    std::string v = "v" + std::to_string(i);
    puts.emplace_back(k, v);
    model[k] = v;
  }
  // Keys shaped like the clinical workload's: most need two or three
  // slices, and many end where others go on ("…/encounter/0003").
  for (int i = 0; i < 3000; ++i) {
    char k[80];
    const int patient = static_cast<int>(rng() % 40);
    const int encounter = static_cast<int>(rng() % 12);
    switch (rng() % 3) {
      case 0:
        std::snprintf(k, sizeof(k), "patient/%09d/encounter/%04d", patient,
                      encounter);
        break;
      case 1:
        std::snprintf(k, sizeof(k),
                      "patient/%09d/encounter/%04d/observation/%04d", patient,
                      encounter, static_cast<int>(rng() % 150));
        break;
      default:
        std::snprintf(k, sizeof(k), "patient/%09d/medication/%04d", patient,
                      static_cast<int>(rng() % 20));
    }
    std::string v = "c" + std::to_string(i);
    puts.emplace_back(k, v);
    model[k] = v;
  }
  auto t = OpenRocksDBTarget(db_path(), options());
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE((*t)->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
  const int n = (*t)->partitions();
  for (const auto& [k, v] : puts) {
    MutationView m;
    m.key = k;
    m.value = v;
    ASSERT_TRUE((*t)->ApplyMutation(PartitionOf(k, n), m).ok());
  }
  ASSERT_TRUE((*t)->Finish({"mem:", "latest", 1, 8000, 1, true}).ok());
  ExpectFinishedEqualsModel(&*t, db_path(), model);
}

// The sort's first slice starts after the prefix shared by every staged key
// (tracked per partition, then across partitions), and entries are grouped
// into the write ranges by comparing slices with the range boundaries. Keys
// that all start with a long prefix, including the prefix itself, the
// prefix followed by 0x00, keys that agree with a boundary over the whole
// first slice, and overwrites and deletes, must come out in bytewise order,
// and each exactly once. (Computing the shared prefix one byte too long
// makes the writer reject keys out of order; checked.)
TEST_P(RocksDBStagedScaleTest, KeysWithALongCommonPrefixSortExactly) {
  std::mt19937_64 rng(17);
  const std::string prefix = "hospital/north/ward-07/patient/";
  const std::string alphabet("\0a\xff", 3);
  Model model;
  std::vector<std::pair<std::string, std::optional<std::string>>> ops;
  auto put = [&](const std::string& k, const std::string& v) {
    ops.emplace_back(k, v);
    model[k] = v;
  };
  put(prefix, "the prefix itself");
  put(prefix + std::string(1, '\0'), "prefix and 0x00");
  std::vector<std::string> keys;
  for (int i = 0; i < 7000; ++i) {
    const size_t len = rng() % 100;
    std::string k = prefix;
    for (size_t j = 0; j < len; ++j) {
      k.push_back(j < 70 && rng() % 16 != 0 ? 'p' : alphabet[rng() % 3]);
    }
    keys.push_back(k);
    put(k, "v" + std::to_string(i));
  }
  // Overwrite and delete some of them.
  for (int i = 0; i < 2000; ++i) {
    const std::string& k = keys[rng() % keys.size()];
    if (rng() % 3 == 0) {
      ops.emplace_back(k, std::nullopt);
      model.erase(k);
    } else {
      put(k, "w" + std::to_string(i));
    }
  }
  auto t = OpenRocksDBTarget(db_path(), options());
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE((*t)->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
  const int n = (*t)->partitions();
  for (const auto& [k, v] : ops) {
    MutationView m;
    m.key = k;
    if (v) {
      m.value = *v;
    } else {
      m.type = MutationType::kDelete;
    }
    ASSERT_TRUE((*t)->ApplyMutation(PartitionOf(k, n), m).ok());
  }
  ASSERT_TRUE((*t)->Finish({"mem:", "latest", 1, 9000, 1, true}).ok());
  ExpectFinishedEqualsModel(&*t, db_path(), model);
}

// Spilled runs are written and read through aligned 1 MiB buffers (with
// O_DIRECT where the file system allows it): pairs larger than the buffer,
// runs whose size is not a multiple of the block size, and range readers
// that start in the middle of a run must all come back exactly. The memory
// bound makes the arena rewind and refill its chunks after every spill.
TEST(RocksDBTargetRunTest, LargeAndUnalignedPairsSurviveSpilledRuns) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  RocksDBTargetOptions o;
  o.stage_in_memory = true;
  o.partitions = 2;
  o.write_threads = 3;
  o.stage_memory_limit = 8 << 20;
  std::mt19937_64 rng(29);
  Model model;
  auto t = OpenRocksDBTarget(path, o);
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE((*t)->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
  const int n = (*t)->partitions();
  for (int i = 0; i < 6000; ++i) {
    char key[24];
    std::snprintf(key, sizeof(key), "k%07d", static_cast<int>(rng() % 3000));
    MutationView m;
    m.key = key;
    std::string value;
    if (rng() % 7 == 0) {
      m.type = MutationType::kDelete;
      model.erase(key);
    } else {
      // Mostly odd small sizes; now and then 1-3 MiB, past the buffer.
      const size_t size =
          rng() % 50 == 0 ? (1 << 20) + rng() % (2 << 20) : 1 + rng() % 3000;
      value.resize(size);
      for (size_t j = 0; j < size; ++j) {
        value[j] = static_cast<char>('a' + (i + j * 7) % 26);
      }
      m.value = value;
      model[key] = value;
    }
    ASSERT_TRUE((*t)->ApplyMutation(PartitionOf(m.key, n), m).ok());
  }
  EXPECT_GT(CountFiles(path + "/wayback-staging", ".run"), 4u);
  ASSERT_TRUE((*t)->Finish({"mem:", "latest", 1, 6000, 1, true}).ok());
  ExpectFinishedEqualsModel(&*t, path, model);
}

// Staged entries that leave the table (a value outgrowing its block, a key
// deleted while the database is empty) give their blocks to new entries of
// the same size: with keys of one length and values of a few sizes, most
// new entries take such a block, and every pair must still be exactly the
// last one written.
TEST_P(RocksDBStagedScaleTest, ReusedBlocksOfReplacedAndDeletedEntries) {
  std::mt19937_64 rng(17);
  const size_t sizes[] = {1, 20, 40, 70, 100};
  Model model;
  auto t = OpenRocksDBTarget(db_path(), options());
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE((*t)->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
  const int n = (*t)->partitions();
  for (int i = 0; i < 20000; ++i) {
    char key[16];
    std::snprintf(key, sizeof(key), "key%06d", static_cast<int>(rng() % 500));
    MutationView m;
    m.key = key;
    std::string value;
    if (rng() % 5 == 0) {
      m.type = MutationType::kDelete;
      model.erase(key);
    } else {
      // Distinct bytes per write, so a stale or shared block would show.
      const std::string tag = std::to_string(i) + ":";
      const size_t size = sizes[rng() % 5];
      while (value.size() < size) value += tag;
      value.resize(size);
      m.value = value;
      model[key] = value;
    }
    ASSERT_TRUE((*t)->ApplyMutation(PartitionOf(m.key, n), m).ok());
  }
  ASSERT_TRUE((*t)->Finish({"mem:", "latest", 1, 20000, 1, true}).ok());
  ExpectFinishedEqualsModel(&*t, db_path(), model);
}

// A real snapshot (many blocks, loaded by several threads), then a log that
// overwrites and deletes its keys with spills: the digest folded at the end
// subtracts the replaced pairs it looks up in the database.
TEST_P(RocksDBStagedScaleTest, SnapshotThenReplayEqualsModel) {
  Model model;
  for (const OwnedRecord& r : RandomHistory(51, 9000, 1, 9000)) {
    ApplyToModel(r, &model);
  }
  std::unique_ptr<Storage> storage = NewMemoryStorage();
  SnapshotWriterOptions wo;
  wo.lsn = 9000;
  wo.commit_time = 9000;
  wo.block_size = 4096;
  auto writer = SnapshotWriter::Create(storage.get(), wo);
  ASSERT_TRUE(writer.ok()) << writer.status();
  for (const auto& [k, v] : model) ASSERT_TRUE((*writer)->Add(k, v).ok());
  auto info = (*writer)->Finish();
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_GT(info->block_count, 20u);
  auto reader = SnapshotReader::Open(storage.get(), info->name);
  ASSERT_TRUE(reader.ok()) << reader.status();

  auto t = OpenRocksDBTarget(db_path(), options());
  ASSERT_TRUE(t.ok()) << t.status();
  ASSERT_TRUE((*t)->LoadSnapshot(reader->get()).ok());
  auto d = (*t)->Digest();
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, ModelDigest(model));
  const auto recs = RandomHistory(52, 6000, 9001, 9000);
  for (const OwnedRecord& r : recs) ApplyToModel(r, &model);
  ApplyPartitioned(t->get(), recs);
  ASSERT_TRUE((*t)->Finish({"mem:", "latest", 1, 15000, 1, true}).ok());
  d = (*t)->Digest();
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, ModelDigest(model));
  t->reset();
  std::vector<std::pair<std::string, std::string>> raw;
  std::vector<std::string> families;
  ReadRaw(db_path(), &raw, &families);
  EXPECT_EQ(raw.size(), model.size());
  EXPECT_TRUE(raw == Pairs(model));
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, RocksDBStagedScaleTest,
    ::testing::Values(StagedCase{1, 1, 1 << 30}, StagedCase{2, 2, 1 << 30},
                      StagedCase{3, 4, 1 << 30}, StagedCase{1, 1, 32 << 10},
                      StagedCase{2, 3, 64 << 10}, StagedCase{4, 2, 96 << 10},
                      StagedCase{2, 2, 1 << 30, true},
                      StagedCase{2, 3, 64 << 10, true}),
    [](const auto& info) {
      return absl::StrCat("P", info.param.partitions, "W",
                          info.param.write_threads, "Mem",
                          info.param.memory_limit >> 10, "K",
                          info.param.direct_writes ? "Direct" : "");
    });

TEST(RocksDBTargetErrorTest, DamagedRunIsDataLossAtFinish) {
  TempDir dir;
  const std::string path = dir.path() + "/db";
  RocksDBTargetOptions o;
  o.stage_in_memory = true;
  o.stage_memory_limit = 16 << 10;
  auto t = OpenRocksDBTarget(path, o);
  ASSERT_TRUE(t.ok());
  ASSERT_TRUE((*t)->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
  for (const OwnedRecord& r : RandomHistory(61, 2000, 1, 3000)) {
    ASSERT_TRUE((*t)->ApplyTransaction(r.record()).ok());
  }
  // Byte surgery: the first entry's key size of one run becomes huge.
  std::string run;
  for (const auto& e :
       std::filesystem::directory_iterator(path + "/wayback-staging")) {
    if (e.path().extension() == ".run") run = e.path().string();
  }
  ASSERT_FALSE(run.empty());
  {
    FILE* f = std::fopen(run.c_str(), "r+b");
    ASSERT_NE(f, nullptr);
    ASSERT_EQ(std::fseek(f, 1, SEEK_SET), 0);
    const char big[4] = {'\xff', '\xff', '\xff', '\x7f'};
    ASSERT_EQ(std::fwrite(big, 1, 4, f), 4u);
    std::fclose(f);
  }
  absl::Status s = (*t)->Finish({"mem:", "latest", 1, 2000, 1, true});
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find(run), absl::string_view::npos) << s;
  // Nothing was ingested and the marker still says incomplete.
  auto m = (*t)->ReadMarker();
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(m->has_value());
  EXPECT_FALSE((*m)->complete);
}

TEST(RocksDBTargetErrorTest, DamagedSnapshotBlockIsDataLossAndIngestsNothing) {
  Model model;
  for (int i = 0; i < 5000; ++i) {
    model["key" + std::to_string(i)] = std::string(40, 'a' + i % 26);
  }
  std::unique_ptr<Storage> storage = NewMemoryStorage();
  SnapshotWriterOptions wo;
  wo.lsn = 7;
  wo.block_size = 4096;
  auto writer = SnapshotWriter::Create(storage.get(), wo);
  ASSERT_TRUE(writer.ok());
  for (const auto& [k, v] : model) ASSERT_TRUE((*writer)->Add(k, v).ok());
  auto info = (*writer)->Finish();
  ASSERT_TRUE(info.ok()) << info.status();
  // Byte surgery: flip one byte in the middle of the object (a block's
  // payload), rewrite the object.
  std::string bytes;
  {
    auto obj = storage->OpenForRead(info->name);
    ASSERT_TRUE(obj.ok());
    bytes.resize((*obj)->size());
    auto got = (*obj)->ReadAt(0, bytes.size(), bytes.data());
    ASSERT_TRUE(got.ok());
    bytes.assign(got->data(), got->size());
  }
  bytes[bytes.size() / 3] ^= 0x40;
  ASSERT_TRUE(storage->Delete(info->name).ok());
  {
    auto w = storage->Create(info->name);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(bytes).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
  auto reader = SnapshotReader::Open(storage.get(), info->name);
  ASSERT_TRUE(reader.ok()) << reader.status();
  TempDir dir;
  RocksDBTargetOptions o;
  o.stage_in_memory = true;
  o.write_threads = 2;
  auto t = OpenRocksDBTarget(dir.path() + "/db", o);
  ASSERT_TRUE(t.ok());
  absl::Status s = (*t)->LoadSnapshot(reader->get());
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find(info->name), absl::string_view::npos) << s;
  auto empty = (*t)->IsEmpty();
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(*empty);
}

// tmpfs refuses O_DIRECT: the SST writer and the spilled runs fall back to
// buffered writes and reads, and the restore is the same.
TEST(RocksDBTargetErrorTest, StagedRestoreOnTmpfsFallsBackToBufferedWrites) {
  if (!std::filesystem::is_directory("/dev/shm")) {
    GTEST_SKIP() << "no /dev/shm";
  }
  char tmpl[] = "/dev/shm/wayback-rocksdb-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl;
  Model model;
  {
    RocksDBTargetOptions o;
    o.stage_in_memory = true;
    o.partitions = 2;
    o.stage_memory_limit = 64 << 10;  // Runs spill every few hundred pairs.
    o.direct_writes = true;           // Refused here: buffered instead.
    auto t = OpenRocksDBTarget(dir + "/db", o);
    ASSERT_TRUE(t.ok()) << t.status();
    ASSERT_TRUE((*t)->Begin({"mem:", "latest", 1, 0, 0, false}).ok());
    for (const OwnedRecord& r : RandomHistory(71, 3000, 1, 5000)) {
      ASSERT_TRUE((*t)->ApplyTransaction(r.record()).ok());
      ApplyToModel(r, &model);
    }
    EXPECT_GT(CountFiles(dir + "/db/wayback-staging", ".run"), 2u);
    absl::Status s = (*t)->Finish({"mem:", "latest", 1, 3000, 1, true});
    ASSERT_TRUE(s.ok()) << s;
    auto d = (*t)->Digest();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, ModelDigest(model));
  }
  std::vector<std::pair<std::string, std::string>> raw;
  std::vector<std::string> families;
  ReadRaw(dir + "/db", &raw, &families);
  EXPECT_TRUE(raw == Pairs(model));
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

// The automatic staging bound is a quarter of the memory (MemTotal in
// /proc/meminfo, read independently here) or of a lower cgroup limit, and
// never below 256 MiB.
TEST(RocksDBTargetOptionsTest, AutoStageMemoryLimitIsAQuarterOfMemory) {
  std::ifstream meminfo("/proc/meminfo");
  std::string name;
  uint64_t kib = 0;
  while (meminfo >> name) {
    if (name == "MemTotal:") {
      meminfo >> kib;
      break;
    }
    meminfo.ignore(1 << 10, '\n');
  }
  ASSERT_GT(kib, 0u) << "no MemTotal in /proc/meminfo";
  const uint64_t floor = uint64_t{256} << 20;
  const uint64_t limit = AutoStageMemoryLimit();
  EXPECT_GE(limit, floor);
  EXPECT_LE(limit, std::max(floor, kib * 1024 / 4));
}

// The settings of `wayback restore`: staged, one partition and one write
// thread per thread (0: per core), the machine's staging bound; the rest as
// the defaults.
TEST(RocksDBTargetOptionsTest, ForRestoreIsStagedWithAPartitionPerThread) {
  const RocksDBTargetOptions defaults;
  const RocksDBTargetOptions o = RocksDBTargetOptions::ForRestore(3);
  EXPECT_TRUE(o.stage_in_memory);
  EXPECT_EQ(o.partitions, 3);
  EXPECT_EQ(o.write_threads, 3);
  EXPECT_EQ(o.stage_memory_limit, AutoStageMemoryLimit());
  EXPECT_EQ(o.create_if_missing, defaults.create_if_missing);
  EXPECT_EQ(o.sst_file_size, defaults.sst_file_size);
  EXPECT_EQ(o.direct_writes, defaults.direct_writes);
  const int cores =
      std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  EXPECT_EQ(RocksDBTargetOptions::ForRestore(0).partitions, cores);
  EXPECT_EQ(RocksDBTargetOptions::ForRestore(0).write_threads, cores);
}

}  // namespace
}  // namespace wayback::testing
