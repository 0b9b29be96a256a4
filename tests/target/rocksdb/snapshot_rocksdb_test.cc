// Copyright 2026 The Wayback Authors.
//
// WriteSnapshotFromRocksDB against a real database in a temporary directory:
// the snapshot holds exactly the state at the rocksdb::Snapshot, whatever is
// written after it, and its digest equals one computed independently from a
// model of that state.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <memory>
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/comparator.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/rocksdb.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

using testing::Drain;
using testing::IndependentDigest;
using testing::Pairs;

class SnapshotRocksDBTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(Open(rocksdb::Options()).ok()); }
  void TearDown() override { delete db_; }

  rocksdb::Status Open(rocksdb::Options options) {
    delete db_;
    db_ = nullptr;
    options.create_if_missing = true;
    return rocksdb::DB::Open(options, dir_.path() + "/db", &db_);
  }

  // Random puts and deletes, mirrored into `model`; flushes now and then so
  // that the state spans memtable and SST files.
  void Churn(uint32_t seed, int ops,
             std::map<std::string, std::string>* model) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < ops; ++i) {
      std::string key(1 + rng() % 12, '\0');
      for (char& c : key) c = static_cast<char>(rng() % 40);  // Collisions.
      if (rng() % 4 == 0) {
        ASSERT_TRUE(db_->Delete(rocksdb::WriteOptions(), key).ok());
        model->erase(key);
      } else {
        std::string value(rng() % 200, static_cast<char>('a' + rng() % 26));
        ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), key, value).ok());
        (*model)[key] = value;
      }
      if (i % 5000 == 4999) {
        ASSERT_TRUE(db_->Flush(rocksdb::FlushOptions()).ok());
      }
    }
  }

  void ExpectSnapshotEquals(const SnapshotInfo& info,
                            const std::map<std::string, std::string>& model) {
    Pairs expected(model.begin(), model.end());
    EXPECT_EQ(IndependentDigest(expected), info.digest);
    auto reader = SnapshotReader::Open(storage_.get(), info.name);
    ASSERT_TRUE(reader.ok()) << reader.status();
    Pairs got;
    ASSERT_TRUE(Drain((*reader)->NewIterator().get(), &got).ok());
    EXPECT_TRUE(got == expected);
    EXPECT_TRUE((*reader)->Verify().ok());
  }

  testing::TempDir dir_;
  rocksdb::DB* db_ = nullptr;
  std::unique_ptr<Storage> storage_ = NewMemoryStorage();
};

TEST_F(SnapshotRocksDBTest, SnapshotIsTheStateAtTheRocksDBSnapshot) {
  std::map<std::string, std::string> model;
  Churn(1, 20000, &model);
  const rocksdb::Snapshot* snap = db_->GetSnapshot();
  std::map<std::string, std::string> at_snapshot = model;
  Churn(2, 5000, &model);  // After the snapshot: must not show.
  ASSERT_NE(at_snapshot, model);

  SnapshotWriterOptions o;
  o.lsn = 1000;
  o.commit_time = 99;
  o.block_size = 4096;
  auto info = WriteSnapshotFromRocksDB(storage_.get(), o, db_, snap);
  db_->ReleaseSnapshot(snap);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(at_snapshot.size(), info->pair_count);
  EXPECT_GT(info->block_count, 10u);
  ExpectSnapshotEquals(*info, at_snapshot);
}

TEST_F(SnapshotRocksDBTest, NullSnapshotTakesTheCurrentState) {
  std::map<std::string, std::string> model;
  Churn(3, 3000, &model);
  SnapshotWriterOptions o;
  o.lsn = 7;
  auto info = WriteSnapshotFromRocksDB(storage_.get(), o, db_);
  ASSERT_TRUE(info.ok()) << info.status();
  ExpectSnapshotEquals(*info, model);
}

TEST_F(SnapshotRocksDBTest, EmptyDatabase) {
  SnapshotWriterOptions o;
  o.lsn = 1;
  auto info = WriteSnapshotFromRocksDB(storage_.get(), o, db_);
  ASSERT_TRUE(info.ok()) << info.status();
  ExpectSnapshotEquals(*info, {});
}

TEST_F(SnapshotRocksDBTest, NonBytewiseComparatorRefused) {
  rocksdb::Options options;
  options.comparator = rocksdb::ReverseBytewiseComparator();
  delete db_;
  db_ = nullptr;
  testing::TempDir other;
  options.create_if_missing = true;
  ASSERT_TRUE(rocksdb::DB::Open(options, other.path() + "/db", &db_).ok());
  SnapshotWriterOptions o;
  o.lsn = 1;
  auto info = WriteSnapshotFromRocksDB(storage_.get(), o, db_);
  EXPECT_EQ(absl::StatusCode::kInvalidArgument, info.status().code());
  delete db_;
  db_ = nullptr;
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

// A database on disk, read-only: a checkpoint or a closed database is read
// whole (memtable contents recovered from its WAL included); one that a
// process holds open (RocksDB's fcntl lock on LOCK) is refused.
TEST_F(SnapshotRocksDBTest, FromPathReadsAClosedDatabaseAndRefusesAnOpenOne) {
  std::map<std::string, std::string> model;
  Churn(5, 12000, &model);  // The last few thousand stay in the WAL.
  delete db_;
  db_ = nullptr;
  SnapshotWriterOptions o;
  o.lsn = 77;
  auto info =
      WriteSnapshotFromRocksDBPath(storage_.get(), o, dir_.path() + "/db");
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->lsn, 77u);
  ExpectSnapshotEquals(*info, model);

  auto none =
      WriteSnapshotFromRocksDBPath(storage_.get(), o, dir_.path() + "/nothing");
  EXPECT_TRUE(absl::IsNotFound(none.status())) << none.status();

  // Another process holds the database's lock as RocksDB does.
  int ready[2];
  ASSERT_EQ(pipe(ready), 0);
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    int fd = ::open((dir_.path() + "/db/LOCK").c_str(), O_RDWR);
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const char ok = (fd >= 0 && ::fcntl(fd, F_SETLK, &fl) == 0) ? 'y' : 'n';
    if (::write(ready[1], &ok, 1) != 1) _exit(1);
    ::pause();
    _exit(0);
  }
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y');
  o.lsn = 78;
  auto open =
      WriteSnapshotFromRocksDBPath(storage_.get(), o, dir_.path() + "/db");
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  ::close(ready[0]);
  ::close(ready[1]);
  EXPECT_TRUE(absl::IsFailedPrecondition(open.status())) << open.status();
  EXPECT_NE(open.status().message().find("checkpoint"), std::string::npos);
  EXPECT_NE(open.status().message().find(absl::StrCat(child)),
            std::string::npos);
}

}  // namespace
}  // namespace wayback
