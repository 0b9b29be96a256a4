// Copyright 2026 The Wayback Authors.
//
// SST series and their one ingestion, against a real database: what is
// written is what the database holds, files roll at the size bound, scratch
// files never outlive their series, disorder is refused, and O_DIRECT
// writes give the same database.

#include "src/target/rocksdb/sst_series.h"

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/target/rocksdb/db_contents.h"
#include "tests/testutil/testutil.h"

namespace wayback::rocksdb_internal {
namespace {

using wayback::testing::TempDir;

class SstSeriesTest : public ::testing::Test {
 protected:
  void SetUp() override { OpenDb(dir_.path() + "/db"); }
  void TearDown() override { CloseDb(); }

  void OpenDb(const std::string& path) {
    path_ = path;
    options_.create_if_missing = true;
    ASSERT_TRUE(rocksdb::DB::Open(options_, path_, &db_).ok());
    scratch_ = std::make_unique<ScratchDir>(path_);
  }
  void CloseDb() {
    delete db_;
    db_ = nullptr;
  }
  std::unique_ptr<SstSink> Sink(uint64_t file_size, bool direct = false) {
    return std::make_unique<SstSink>(db_, db_->DefaultColumnFamily(), options_,
                                     file_size, direct, scratch_.get(), path_);
  }
  std::map<std::string, std::string> Contents() { return DbContents(db_); }
  size_t ScratchFiles() {
    if (!std::filesystem::exists(scratch_->path())) return 0;
    size_t n = 0;
    for (const auto& e :
         std::filesystem::directory_iterator(scratch_->path())) {
      (void)e;
      ++n;
    }
    return n;
  }

  TempDir dir_;
  std::string path_;
  rocksdb::Options options_;
  rocksdb::DB* db_ = nullptr;
  std::unique_ptr<ScratchDir> scratch_;
};

TEST_F(SstSeriesTest, DisjointSeriesIngestTogether) {
  auto sink = Sink(4096);
  std::vector<std::unique_ptr<SstSeries>> series;
  std::map<std::string, std::string> want;
  for (int r = 0; r < 3; ++r) {
    series.push_back(sink->NewSeries());
    for (int i = 0; i < 400; ++i) {
      const std::string k = absl::StrFormat("%d/%05d", r, i);
      const std::string v(100, static_cast<char>('a' + r));
      ASSERT_TRUE(series.back()->Put(k, v).ok());
      want[k] = v;
    }
    ASSERT_TRUE(series.back()->Close().ok());
    EXPECT_GT(series.back()->files().size(), 1u);  // Rolled at 4 KiB.
  }
  ASSERT_TRUE(sink->Ingest(series).ok());
  EXPECT_EQ(Contents(), want);
  series.clear();
  EXPECT_EQ(ScratchFiles(), 0u);
}

TEST_F(SstSeriesTest, TombstonesHideOlderValues) {
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), "a", "old").ok());
  ASSERT_TRUE(db_->Put(rocksdb::WriteOptions(), "b", "old").ok());
  auto sink = Sink(1 << 20);
  std::vector<std::unique_ptr<SstSeries>> series;
  series.push_back(sink->NewSeries());
  ASSERT_TRUE(series[0]->Delete("a").ok());
  ASSERT_TRUE(series[0]->Put("b", "new").ok());
  ASSERT_TRUE(series[0]->Close().ok());
  ASSERT_TRUE(sink->Ingest(series).ok());
  EXPECT_EQ(Contents(), (std::map<std::string, std::string>{{"b", "new"}}));
}

TEST_F(SstSeriesTest, KeysOutOfOrderAreInvalidArgument) {
  auto sink = Sink(1 << 20);
  auto s = sink->NewSeries();
  ASSERT_TRUE(s->Put("b", "1").ok());
  absl::Status st = s->Put("a", "2");
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument) << st;
  EXPECT_NE(st.message().find("rocksdb target: write SST in " + path_),
            std::string::npos)
      << st;
}

TEST_F(SstSeriesTest, UnclosedSeriesLeavesNoFile) {
  auto sink = Sink(1 << 20);
  {
    auto s = sink->NewSeries();
    ASSERT_TRUE(s->Put("a", "1").ok());
  }
  EXPECT_EQ(ScratchFiles(), 0u);
}

// O_DIRECT where the file system takes it, buffered where it refuses: the
// same database either way. (Which one happens depends on the file system.)
TEST_F(SstSeriesTest, DirectWritesGiveTheSameDatabase) {
  auto sink = Sink(4096, /*direct=*/true);
  std::vector<std::unique_ptr<SstSeries>> series;
  series.push_back(sink->NewSeries());
  std::map<std::string, std::string> want;
  for (int i = 0; i < 300; ++i) {
    const std::string k = absl::StrFormat("k%05d", i);
    ASSERT_TRUE(series[0]->Put(k, std::string(i, 'v')).ok());
    want[k] = std::string(i, 'v');
  }
  ASSERT_TRUE(series[0]->Close().ok());
  ASSERT_TRUE(sink->Ingest(series).ok());
  EXPECT_EQ(Contents(), want);
}

TEST(SstWriterSettingsTest, NoCompressionAndTheTextSaysSo) {
  rocksdb::Options db;
  rocksdb::Options o = SstWriterOptions(db);
  EXPECT_EQ(o.compression, rocksdb::kNoCompression);
  EXPECT_TRUE(SstWriterEnvOptions(true).use_direct_writes);
  EXPECT_FALSE(SstWriterEnvOptions(false).use_direct_writes);
  EXPECT_NE(SstWriterSettingsText(false).find("no compression"),
            std::string::npos);
}

}  // namespace
}  // namespace wayback::rocksdb_internal
