// Copyright 2026 The Wayback Authors.
//
// Sorted run files: what is written reads back, seeks start at the right
// key, the O_DIRECT padding is cut off, and every kind of damage is
// kDataLoss naming the file (never a short read taken for the end).

#include "src/target/rocksdb/run_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_format.h"
#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"

namespace wayback::rocksdb_internal {
namespace {

using wayback::testing::TempDir;
// Not `Run` inside a test body, where that names testing::Test::Run().
using RunFile = Run;

struct Item {
  uint8_t flags;
  std::string key, value;
};

// Sorted entries; values of many sizes, some past one I/O buffer, and
// tombstones.
std::vector<Item> Items(int n) {
  std::vector<Item> v;
  for (int i = 0; i < n; ++i) {
    const size_t size = i % 97 == 0 ? kRunBuffer + 123 : (i * 37) % 900;
    v.push_back({static_cast<uint8_t>(i % 5 == 0 ? kTombstone : 0),
                 absl::StrFormat("key%08d", i),
                 std::string(size, static_cast<char>('a' + i % 26))});
  }
  return v;
}

RunFile Write(const std::string& path, const std::vector<Item>& items) {
  RunWriter w;
  EXPECT_TRUE(w.Open(path).ok());
  for (const Item& it : items) {
    EXPECT_TRUE(w.Add(it.flags, it.key, it.value).ok());
  }
  auto run = w.Close();
  EXPECT_TRUE(run.ok()) << run.status();
  return run.ok() ? std::move(run).value() : RunFile();
}

// Every entry from `start` on.
absl::Status ReadAll(const RunFile& run, std::string_view start,
                     std::vector<Item>* out) {
  RunReader r(&run);
  absl::Status s = r.SeekTo(start);
  if (!s.ok()) return s;
  for (;;) {
    bool has = false;
    s = r.Next(&has);
    if (!s.ok() || !has) return s;
    out->push_back({r.flags(), std::string(r.key()), std::string(r.value())});
  }
}

void ExpectSame(const std::vector<Item>& got, const std::vector<Item>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].flags, want[i].flags) << i;
    EXPECT_EQ(got[i].key, want[i].key) << i;
    EXPECT_EQ(got[i].value, want[i].value) << i;
  }
}

TEST(RunFileTest, ReadsBackWhatWasWritten) {
  TempDir dir;
  const std::vector<Item> items = Items(3000);
  const RunFile run = Write(dir.path() + "/0.run", items);
  EXPECT_EQ(run.entries, items.size());
  // The padding of the last O_DIRECT block is cut off.
  EXPECT_EQ(std::filesystem::file_size(run.path), run.size);
  EXPECT_GT(run.index.size(), 1u);
  std::vector<Item> got;
  ASSERT_TRUE(ReadAll(run, "", &got).ok());
  ExpectSame(got, items);
}

TEST(RunFileTest, SeekStartsAtTheFirstKeyAtOrAfter) {
  TempDir dir;
  const std::vector<Item> items = Items(3000);
  const RunFile run = Write(dir.path() + "/0.run", items);
  for (size_t from : {size_t{0}, size_t{1}, size_t{1500}, size_t{2999}}) {
    std::vector<Item> got;
    ASSERT_TRUE(ReadAll(run, items[from].key, &got).ok());
    ExpectSame(got, std::vector<Item>(items.begin() + from, items.end()));
    // A key between two entries starts at the next one.
    got.clear();
    ASSERT_TRUE(ReadAll(run, items[from].key + "!", &got).ok());
    EXPECT_EQ(got.size(), items.size() - from - 1);
  }
  std::vector<Item> got;
  ASSERT_TRUE(ReadAll(run, "zzz", &got).ok());
  EXPECT_TRUE(got.empty());
}

TEST(RunFileTest, EmptyRun) {
  TempDir dir;
  const RunFile run = Write(dir.path() + "/0.run", {});
  EXPECT_EQ(run.size, 0u);
  std::vector<Item> got;
  ASSERT_TRUE(ReadAll(run, "", &got).ok());
  EXPECT_TRUE(got.empty());
}

// OpenMaybeDirect() says whether the descriptor has O_DIRECT (file systems
// differ: some refuse it), and DropDirect() clears it.
TEST(RunFileTest, OpenMaybeDirectSaysWhatItDid) {
  TempDir dir;
  bool direct = false;
  int fd = OpenMaybeDirect(dir.path() + "/f", O_WRONLY | O_CREAT, &direct);
  ASSERT_GE(fd, 0);
  EXPECT_EQ((::fcntl(fd, F_GETFL) & O_DIRECT) != 0, direct);
  EXPECT_TRUE(DropDirect(fd));
  EXPECT_EQ(::fcntl(fd, F_GETFL) & O_DIRECT, 0);
  ::close(fd);
}

// Damage: one test per check of RunReader.

absl::Status ReadDamaged(const RunFile& run) {
  std::vector<Item> got;
  return ReadAll(run, "", &got);
}

void ExpectDataLoss(const absl::Status& s, const RunFile& run,
                    const char* why) {
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find(run.path), std::string::npos) << s;
  EXPECT_NE(s.message().find(why), std::string::npos) << s;
}

TEST(RunFileTest, FileCutShortIsDataLoss) {
  TempDir dir;
  const RunFile run = Write(dir.path() + "/0.run", Items(200));
  std::filesystem::resize_file(run.path, run.size - 5);
  ExpectDataLoss(ReadDamaged(run), run, "cut short");
}

TEST(RunFileTest, FileCutInAHeaderIsDataLoss) {
  TempDir dir;
  std::vector<Item> items = {{0, "a", "1"}, {0, "b", "2"}};
  const RunFile run = Write(dir.path() + "/0.run", items);
  std::filesystem::resize_file(run.path, kRunHeader + 2 + 4);
  ExpectDataLoss(ReadDamaged(run), run, "entry header cut short");
}

TEST(RunFileTest, SizePastTheEndIsDataLoss) {
  TempDir dir;
  const RunFile run = Write(dir.path() + "/0.run", {{0, "a", "1"}});
  {
    std::fstream f(run.path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(5);  // The value size.
    f.put('\x7f');
  }
  ExpectDataLoss(ReadDamaged(run), run, "malformed entry header");
}

TEST(RunFileTest, UnknownFlagsAreDataLoss) {
  TempDir dir;
  const RunFile run =
      Write(dir.path() + "/0.run", {{0, "a", "1"}, {2, "b", "2"}});
  ExpectDataLoss(ReadDamaged(run), run, "malformed entry header");
}

TEST(RunFileTest, KeysOutOfOrderAreDataLoss) {
  TempDir dir;
  const RunFile run =
      Write(dir.path() + "/0.run", {{0, "b", "1"}, {0, "a", "2"}});
  ExpectDataLoss(ReadDamaged(run), run, "keys out of order");
}

TEST(RunFileTest, DuplicateKeysAreDataLoss) {
  TempDir dir;
  const RunFile run =
      Write(dir.path() + "/0.run", {{0, "a", "1"}, {0, "a", "2"}});
  ExpectDataLoss(ReadDamaged(run), run, "keys out of order");
}

TEST(RunFileTest, MissingFileIsAnIoErrorNotTheEnd) {
  TempDir dir;
  const RunFile run = Write(dir.path() + "/0.run", {{0, "a", "1"}});
  std::filesystem::remove(run.path);
  absl::Status s = ReadDamaged(run);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.code(), absl::StatusCode::kDataLoss) << s;
  EXPECT_NE(s.message().find(run.path), std::string::npos) << s;
}

TEST(RunFileTest, CreateInAMissingDirectoryFails) {
  TempDir dir;
  RunWriter w;
  absl::Status s = w.Open(dir.path() + "/no/such/0.run");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("/no/such/0.run"), std::string::npos) << s;
}

}  // namespace
}  // namespace wayback::rocksdb_internal
