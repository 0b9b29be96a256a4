// Copyright 2026 The Wayback Authors.
//
// The Storage conformance suite against the S3 backend talking to a real
// s3rver (small parts and list pages, so multipart upload and continuation
// tokens are exercised).

#include "tests/storage/s3_test_server.h"
#include "tests/storage/storage_conformance.h"

namespace wayback::testing {
namespace {

absl::StatusOr<std::unique_ptr<Storage>> OpenS3(const std::string&) {
  absl::StatusOr<S3TestServer*> server = S3TestServer::Get();
  if (!server.ok()) return server.status();
  return (*server)->OpenFresh();
}

INSTANTIATE_TEST_SUITE_P(
    S3, StorageConformanceTest,
    ::testing::Values(StorageBackend{"S3rver", &OpenS3}),
    [](const ::testing::TestParamInfo<StorageBackend>& info) {
      return info.param.name;
    });

}  // namespace
}  // namespace wayback::testing
