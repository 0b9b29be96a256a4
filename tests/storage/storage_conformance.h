// Copyright 2026 The Wayback Authors.
//
// The one conformance suite every Storage backend runs (memory, local, S3).
// A backend joins by instantiating it with a factory:
//
//   INSTANTIATE_TEST_SUITE_P(
//       Memory, StorageConformanceTest,
//       ::testing::Values(StorageBackend{"memory", [](const std::string&) {
//         return absl::StatusOr<std::unique_ptr<Storage>>(NewMemoryStorage());
//       }}),
//       [](const auto& info) { return info.param.name; });
//
// The factory gets a fresh empty temporary directory per test and must return
// an empty storage. An error from it fails the test (a backend whose server
// cannot run here is a failure, not a skip).

#ifndef WAYBACK_TESTS_STORAGE_STORAGE_CONFORMANCE_H_
#define WAYBACK_TESTS_STORAGE_STORAGE_CONFORMANCE_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "gtest/gtest.h"
#include "tests/testutil/testutil.h"
#include "wayback/storage.h"

namespace wayback::testing {

struct StorageBackend {
  std::string name;
  std::function<absl::StatusOr<std::unique_ptr<Storage>>(
      const std::string& temp_dir)>
      open;
};

// The fixture: `storage()` is a fresh empty storage of the backend under test.
// The TEST_Ps live in storage_conformance.cc; link it into the test binary
// that instantiates the suite.
class StorageConformanceTest : public ::testing::TestWithParam<StorageBackend> {
 protected:
  void SetUp() override;
  Storage* storage() { return storage_.get(); }
  const std::string& temp_dir() const { return temp_dir_->path(); }

 private:
  std::unique_ptr<TempDir> temp_dir_;
  std::unique_ptr<Storage> storage_;
};

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_STORAGE_STORAGE_CONFORMANCE_H_
