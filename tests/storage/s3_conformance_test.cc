// Copyright 2026 The Wayback Authors.
//
// The Storage conformance suite against the S3 backend talking to Ceph RGW
// (small parts and list pages, so multipart upload and continuation tokens
// are exercised), in a plain bucket and in a versioned one, where deleted
// objects linger as noncurrent versions behind delete markers and must still
// look deleted.

#include "tests/storage/s3_test_server.h"
#include "tests/storage/storage_conformance.h"
#include "wayback/status.h"

namespace wayback::testing {
namespace {

absl::StatusOr<std::unique_ptr<Storage>> OpenS3(const std::string&) {
  absl::StatusOr<S3TestServer*> server = S3TestServer::Get();
  if (!server.ok()) return server.status();
  return (*server)->OpenFresh();
}

absl::StatusOr<std::unique_ptr<Storage>> OpenS3Versioned(const std::string&) {
  absl::StatusOr<S3TestServer*> server = S3TestServer::Get();
  if (!server.ok()) return server.status();
  WAYBACK_RETURN_IF_ERROR(
      (*server)->EnsureBucket("wayback-versioned", {.versioning = true}));
  return (*server)->OpenFreshIn("wayback-versioned");
}

INSTANTIATE_TEST_SUITE_P(
    S3, StorageConformanceTest,
    ::testing::Values(StorageBackend{"Rgw", &OpenS3},
                      StorageBackend{"RgwVersioned", &OpenS3Versioned}),
    [](const ::testing::TestParamInfo<StorageBackend>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace wayback::testing
