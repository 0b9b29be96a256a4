// Copyright 2026 The Wayback Authors.
//
// What only the local directory backend promises: real files at the expected
// paths, temporaries beside their target, nothing outside the root, a lock
// that excludes another process, and error messages that name the path.

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>

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
