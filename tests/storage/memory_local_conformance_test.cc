// Copyright 2026 The Wayback Authors.
//
// Runs the Storage conformance suite against the memory and local backends,
// and against both through the fault-injecting wrapper (with no faults armed
// it must be transparent).

#include "tests/storage/storage_conformance.h"
#include "tests/testutil/fault_injection_storage.h"

namespace wayback::testing {
namespace {

absl::StatusOr<std::unique_ptr<Storage>> OpenMemory(const std::string&) {
  return NewMemoryStorage();
}

absl::StatusOr<std::unique_ptr<Storage>> OpenLocal(const std::string& dir) {
  return OpenLocalStorage(dir + "/repo", /*create=*/true);
}

absl::StatusOr<std::unique_ptr<Storage>> OpenFaultyMemory(const std::string&) {
  return std::unique_ptr<Storage>(
      std::make_unique<FaultInjectionStorage>(NewMemoryStorage()));
}

absl::StatusOr<std::unique_ptr<Storage>> OpenFaultyLocal(
    const std::string& dir) {
  auto local = OpenLocalStorage(dir + "/repo", /*create=*/true);
  if (!local.ok()) return local.status();
  return std::unique_ptr<Storage>(
      std::make_unique<FaultInjectionStorage>(std::move(*local)));
}

INSTANTIATE_TEST_SUITE_P(
    Backends, StorageConformanceTest,
    ::testing::Values(
        StorageBackend{"Memory", &OpenMemory},
        StorageBackend{"Local", &OpenLocal},
        StorageBackend{"FaultInjectionOverMemory", &OpenFaultyMemory},
        StorageBackend{"FaultInjectionOverLocal", &OpenFaultyLocal}),
    [](const ::testing::TestParamInfo<StorageBackend>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace wayback::testing
