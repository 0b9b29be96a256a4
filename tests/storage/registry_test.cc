// Copyright 2026 The Wayback Authors.
//
// OpenStorage(): URI forms, refusals, and RegisterStorageScheme().

#include <filesystem>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"
#include "wayback/storage.h"

namespace wayback::testing {
namespace {

TEST(OpenStorageTest, MemIsFreshEachTime) {
  auto a = OpenStorage("mem:");
  auto b = OpenStorage("mem:");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE((*a)->WriteAll("x", "1").ok());
  EXPECT_TRUE(absl::IsNotFound((*b)->Stat("x").status()));
  EXPECT_EQ((*a)->uri(), "mem:");
  EXPECT_TRUE((*a)->capabilities().append);
}

TEST(OpenStorageTest, PlainAbsolutePath) {
  TempDir tmp;
  auto s = OpenStorage(tmp.path() + "/r", /*create=*/true);
  ASSERT_TRUE(s.ok()) << s.status();
  ASSERT_TRUE((*s)->WriteAll("o", "v").ok());
  EXPECT_TRUE(std::filesystem::exists(tmp.path() + "/r/o"));
}

TEST(OpenStorageTest, FileUriWithPercentEscape) {
  TempDir tmp;
  auto s = OpenStorage("file://" + tmp.path() + "/with%20space", true);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_TRUE(std::filesystem::is_directory(tmp.path() + "/with space"));
}

TEST(OpenStorageTest, MissingDirectoryWithoutCreate) {
  TempDir tmp;
  EXPECT_TRUE(absl::IsNotFound(OpenStorage(tmp.path() + "/none").status()));
  EXPECT_TRUE(
      absl::IsNotFound(OpenStorage("file://" + tmp.path() + "/none").status()));
}

TEST(OpenStorageTest, RelativePath) {
  TempDir tmp;
  std::filesystem::path old = std::filesystem::current_path();
  std::filesystem::current_path(tmp.path());
  auto s = OpenStorage("rel/dir", true);
  std::filesystem::current_path(old);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ((*s)->uri(), tmp.path() + "/rel/dir");
}

TEST(OpenStorageTest, MalformedOrUnknownIsInvalidArgument) {
  for (std::string uri :
       {"", "bogus://x", "gs://bucket/x", "s3:/bucket", "file://host/x",
        "file:relative", "file:", "mem:x", "mem://", "file:///bad%zzescape",
        "file:///nul%00byte"}) {
    auto s = OpenStorage(uri, true);
    EXPECT_TRUE(absl::IsInvalidArgument(s.status()))
        << uri << " " << s.status();
  }
}

TEST(OpenStorageTest, RegisteredSchemeIsUsed) {
  std::string seen;
  RegisterStorageScheme("test-scheme", [&seen](std::string_view uri, bool) {
    seen = std::string(uri);
    return absl::StatusOr<std::unique_ptr<Storage>>(NewMemoryStorage());
  });
  auto s = OpenStorage("Test-Scheme://anything?x=1");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(seen, "Test-Scheme://anything?x=1");
  // A later registration replaces the earlier one.
  RegisterStorageScheme("test-scheme", [](std::string_view, bool) {
    return absl::StatusOr<std::unique_ptr<Storage>>(
        absl::UnavailableError("replaced"));
  });
  EXPECT_TRUE(absl::IsUnavailable(OpenStorage("test-scheme://x").status()));
}

}  // namespace
}  // namespace wayback::testing
