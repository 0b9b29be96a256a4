// Copyright 2026 The Wayback Authors.
//
// Shared test helpers.

#ifndef WAYBACK_TESTS_TESTUTIL_TESTUTIL_H_
#define WAYBACK_TESTS_TESTUTIL_TESTUTIL_H_

#include <cstdlib>
#include <filesystem>
#include <string>

#include "gtest/gtest.h"

namespace wayback::testing {

// A fresh empty directory under the test's temporary directory; removed when
// the object is destroyed.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "wayback-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    if (!path_.empty()) std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Where golden files live (tests/data).
inline std::string TestDataDir() {
  const char* d = std::getenv("WAYBACK_TEST_DATA");
  return d ? d : "tests/data";
}

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_TESTUTIL_TESTUTIL_H_
