// Copyright 2026 The Wayback Authors.
//
// What only the local directory backend promises: real files at the expected
// paths, temporaries beside their target, nothing outside the root, a lock
// that excludes another process, and error messages that name the path.

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"
#include "wayback/storage.h"

namespace wayback::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Every path under `dir`, relative to it.
std::set<std::string> Tree(const fs::path& dir) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    out.insert(fs::relative(e.path(), dir).string());
  }
  return out;
}

class LocalStorageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = tmp_.path() + "/repo";
    auto s = OpenLocalStorage(root_, /*create=*/true);
    ASSERT_TRUE(s.ok()) << s.status();
    storage_ = std::move(*s);
  }
  TempDir tmp_;
  std::string root_;
  std::unique_ptr<Storage> storage_;
};

TEST_F(LocalStorageTest, ObjectsAreFilesUnderTheRoot) {
  ASSERT_TRUE(storage_->WriteAll("a/b/c.seg", "hello").ok());
  EXPECT_EQ(ReadFile(root_ + "/a/b/c.seg"), "hello");
  // A file put there by someone else is an object.
  std::ofstream(root_ + "/a/external") << "ext";
  auto back = storage_->ReadAll("a/external");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, "ext");
  EXPECT_EQ(storage_->uri(), root_);
}

TEST_F(LocalStorageTest, WriterUsesTmpBesideTargetThenRenames) {
  auto w = storage_->Create("d/obj");
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Append("x").ok());
  std::set<std::string> during = Tree(root_ + "/d");
  ASSERT_EQ(during.size(), 1u);
  EXPECT_TRUE(absl::StartsWith(*during.begin(), "obj."));
  EXPECT_TRUE(absl::EndsWith(*during.begin(), ".tmp"));
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ(Tree(root_ + "/d"), std::set<std::string>{"obj"});
}

TEST_F(LocalStorageTest, DirectoryIsNotAnObject) {
  ASSERT_TRUE(storage_->WriteAll("dir/x", "1").ok());
  auto s = storage_->OpenForRead("dir");
  EXPECT_TRUE(absl::IsNotFound(s.status())) << s.status();
  EXPECT_THAT(std::string(s.status().message()), HasSubstr(root_ + "/dir"));
  EXPECT_TRUE(absl::IsNotFound(storage_->Stat("dir").status()));
}

TEST_F(LocalStorageTest, ErrorsNameThePath) {
  auto s = storage_->OpenForRead("missing/obj");
  EXPECT_TRUE(absl::IsNotFound(s.status()));
  EXPECT_THAT(std::string(s.status().message()),
              HasSubstr(root_ + "/missing/obj"));
  // A file where a directory is needed.
  ASSERT_TRUE(storage_->WriteAll("file", "1").ok());
  absl::Status w = storage_->WriteAll("file/child", "2");
  EXPECT_FALSE(w.ok());
  EXPECT_THAT(std::string(w.message()), HasSubstr(root_ + "/file"));
}

TEST_F(LocalStorageTest, NothingIsWrittenOutsideTheRoot) {
  const std::string bad[] = {"../escape", "a/../../escape", "/tmp/escape", "..",
                             "a\\..\\..\\escape"};
  for (const std::string& name : bad) {
    EXPECT_FALSE(storage_->WriteAll(name, "x").ok()) << name;
    EXPECT_FALSE(storage_->OpenAppendable(name, {}).ok()) << name;
    EXPECT_FALSE(storage_->Lock(name).ok()) << name;
  }
  EXPECT_EQ(Tree(tmp_.path()), std::set<std::string>{"repo"});
}

TEST_F(LocalStorageTest, SymlinksInsideTheRepositoryAreNotFollowed) {
  // A hostile repository: "log" points outside, "secret" is a link to a file
  // outside.
  const std::string outside = tmp_.path() + "/outside";
  fs::create_directories(outside);
  std::ofstream(outside + "/passwd") << "root:x:0:0";
  fs::create_directory_symlink(outside, root_ + "/log");
  fs::create_symlink(outside + "/passwd", root_ + "/secret");
  EXPECT_TRUE(absl::IsInvalidArgument(storage_->WriteAll("log/x", "evil")));
  EXPECT_TRUE(absl::IsInvalidArgument(
      storage_->OpenAppendable("log/y", {.must_create = false}).status()));
  EXPECT_TRUE(absl::IsInvalidArgument(storage_->Lock("log/LOCK").status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(storage_->OpenForRead("log/passwd").status()));
  EXPECT_TRUE(
      absl::IsInvalidArgument(storage_->OpenForRead("secret").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(storage_->Delete("log/passwd")));
  EXPECT_TRUE(absl::IsInvalidArgument(storage_->Rename("secret", "moved")));
  EXPECT_EQ(Tree(outside), std::set<std::string>{"passwd"});
  EXPECT_EQ(ReadFile(outside + "/passwd"), "root:x:0:0");
  // Links are not listed as objects either.
  auto list = storage_->List("");
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(LocalStorageTest, ListIgnoresPrefixDirectoryTricks) {
  ASSERT_TRUE(storage_->WriteAll("in", "1").ok());
  std::ofstream(tmp_.path() + "/outside") << "secret";
  for (std::string prefix : {"../", "../out", "/", "/tmp", "a//", "./"}) {
    auto list = storage_->List(prefix);
    ASSERT_TRUE(list.ok()) << prefix << list.status();
    EXPECT_TRUE(list->empty()) << prefix;
  }
}

TEST_F(LocalStorageTest, AppendableIsOnDiskBeforeClose) {
  auto a = storage_->OpenAppendable("seg/live", {});
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE((*a)->Append("abc").ok());
  ASSERT_TRUE((*a)->Sync().ok());
  EXPECT_EQ(ReadFile(root_ + "/seg/live"), "abc");
  // The file can be cut by someone else; reopening sees the real size.
  ASSERT_TRUE((*a)->Close().ok());
  fs::resize_file(root_ + "/seg/live", 1);
  auto b = storage_->OpenAppendable("seg/live", {.must_create = false});
  ASSERT_TRUE(b.ok());
  EXPECT_EQ((*b)->size(), 1u);
}

TEST_F(LocalStorageTest, OpenMissingWithoutCreateIsNotFound) {
  auto s = OpenLocalStorage(tmp_.path() + "/nope", /*create=*/false);
  EXPECT_TRUE(absl::IsNotFound(s.status())) << s.status();
  EXPECT_THAT(std::string(s.status().message()), HasSubstr("nope"));
  EXPECT_FALSE(fs::exists(tmp_.path() + "/nope"));
}

TEST_F(LocalStorageTest, CreateMakesNestedRoot) {
  auto s = OpenLocalStorage(tmp_.path() + "/x/y/z/", /*create=*/true);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(fs::is_directory(tmp_.path() + "/x/y/z"));
  EXPECT_EQ((*s)->uri(), tmp_.path() + "/x/y/z");
}

TEST_F(LocalStorageTest, RootThatIsAFileIsRefused) {
  std::ofstream(tmp_.path() + "/plain") << "x";
  auto s = OpenLocalStorage(tmp_.path() + "/plain", /*create=*/true);
  EXPECT_TRUE(absl::IsFailedPrecondition(s.status())) << s.status();
}

TEST_F(LocalStorageTest, StaleTemporaryIsListedButHarmless) {
  std::ofstream(root_ + "/obj.0123456789abcdef.tmp") << "partial";
  ASSERT_TRUE(storage_->WriteAll("obj", "whole").ok());
  auto list = storage_->List("obj");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].name, "obj");
  EXPECT_EQ((*list)[1].name, "obj.0123456789abcdef.tmp");
}

// Sets a file's modification time `seconds` into the past.
void Age(const std::string& path, int seconds) {
  struct timespec times[2];
  clock_gettime(CLOCK_REALTIME, &times[0]);
  times[0].tv_sec -= seconds;
  times[1] = times[0];
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0) << path;
}

TEST_F(LocalStorageTest, RemoveStaleTemporariesTakesOnlyDeadWritersOldFiles) {
  // A dead writer's temporary (nobody holds its lock), old.
  fs::create_directories(root_ + "/log");
  const std::string dead = "log/a.seg.0123456789abcdef.tmp";
  std::ofstream(root_ + "/" + dead) << "partial";
  Age(root_ + "/" + dead, 3600);
  // Another dead one, but fresh: it might belong to a writer between
  // creating and locking it.
  const std::string fresh = "log/b.seg.00000000000000ff.tmp";
  std::ofstream(root_ + "/" + fresh) << "partial";
  // A live writer's temporary, old too (a slow writer).
  auto live = storage_->Create("log/c.seg");
  ASSERT_TRUE(live.ok());
  ASSERT_TRUE((*live)->Append("being written").ok());
  std::string live_tmp;
  for (const std::string& p : Tree(root_ + "/log")) {
    if (absl::StartsWith(p, "c.seg.")) live_tmp = root_ + "/log/" + p;
  }
  ASSERT_FALSE(live_tmp.empty());
  Age(live_tmp, 3600);
  // Not temporaries at all.
  ASSERT_TRUE(storage_->WriteAll("log/d.seg", "whole").ok());
  Age(root_ + "/log/d.seg", 3600);
  ASSERT_TRUE(storage_->WriteAll("snap/e.tmp.snap", "whole").ok());
  Age(root_ + "/snap/e.tmp.snap", 3600);

  auto removed = storage_->RemoveStaleTemporaries("", absl::Seconds(60));
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_EQ(*removed, std::vector<std::string>{dead});
  EXPECT_FALSE(fs::exists(root_ + "/" + dead));
  EXPECT_TRUE(fs::exists(root_ + "/" + fresh));
  EXPECT_TRUE(fs::exists(live_tmp));
  // The live writer is undisturbed and publishes.
  ASSERT_TRUE((*live)->Close().ok());
  EXPECT_EQ(ReadFile(root_ + "/log/c.seg"), "being written");
  // With no minimum age the fresh dead one goes too; the prefix limits it.
  auto none = storage_->RemoveStaleTemporaries("snap/", absl::ZeroDuration());
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  auto rest = storage_->RemoveStaleTemporaries("log/", absl::ZeroDuration());
  ASSERT_TRUE(rest.ok());
  EXPECT_EQ(*rest, std::vector<std::string>{fresh});
  EXPECT_EQ(Tree(root_ + "/log"), (std::set<std::string>{"c.seg", "d.seg"}));
}

TEST_F(LocalStorageTest, RemoveStaleTemporariesSparesAnotherProcesssWriter) {
  int ready[2], done[2];
  ASSERT_EQ(pipe(ready), 0);
  ASSERT_EQ(pipe(done), 0);
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // A writer in another process, open until the parent says so.
    auto s = OpenLocalStorage(root_, false);
    if (!s.ok()) _exit(2);
    auto w = (*s)->Create("obj");
    if (!w.ok() || !(*w)->Append("x").ok()) _exit(3);
    char c = 0;
    if (write(ready[1], &c, 1) != 1) _exit(4);
    if (read(done[0], &c, 1) != 1) _exit(5);
    _exit((*w)->Close().ok() ? 0 : 6);
  }
  char c;
  ASSERT_EQ(read(ready[0], &c, 1), 1);
  auto removed = storage_->RemoveStaleTemporaries("", absl::ZeroDuration());
  ASSERT_TRUE(removed.ok()) << removed.status();
  EXPECT_TRUE(removed->empty());
  ASSERT_EQ(write(done[1], &c, 1), 1);
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  EXPECT_EQ(ReadFile(root_ + "/obj"), "x");
  for (int fd : {ready[0], ready[1], done[0], done[1]}) close(fd);
}

TEST(MemoryStorageTest, HasNoTemporariesToRemove) {
  auto mem = NewMemoryStorage();
  ASSERT_TRUE(mem->WriteAll("x.tmp", "an object like any other").ok());
  auto removed = mem->RemoveStaleTemporaries("", absl::ZeroDuration());
  ASSERT_TRUE(removed.ok());
  EXPECT_TRUE(removed->empty());
  EXPECT_TRUE(mem->Stat("x.tmp").ok());
}

TEST_F(LocalStorageTest, LockExcludesAnotherProcessAndNamesHolder) {
  auto held = storage_->Lock("LOCK");
  ASSERT_TRUE(held.ok()) << held.status();
  pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    // In the child: a second process must be refused, with our pid named.
    auto s = OpenLocalStorage(root_, false);
    if (!s.ok()) _exit(2);
    auto l = (*s)->Lock("LOCK");
    if (l.ok()) _exit(3);
    if (!absl::IsFailedPrecondition(l.status())) _exit(4);
    std::string want = "pid " + std::to_string(getppid());
    if (!absl::StrContains(l.status().message(), want)) _exit(5);
    _exit(0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  held->reset();
  // Released: another process now gets it.
  child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto s = OpenLocalStorage(root_, false);
    if (!s.ok()) _exit(2);
    _exit((*s)->Lock("LOCK").ok() ? 0 : 3);
  }
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST_F(LocalStorageTest, LockSurvivesAsFileAfterRelease) {
  {
    auto l = storage_->Lock("LOCK");
    ASSERT_TRUE(l.ok());
  }
  EXPECT_TRUE(fs::exists(root_ + "/LOCK"));
  auto again = storage_->Lock("LOCK");
  EXPECT_TRUE(again.ok()) << again.status();
}

}  // namespace
}  // namespace wayback::testing
