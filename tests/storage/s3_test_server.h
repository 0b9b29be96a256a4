// Copyright 2026 The Wayback Authors.
//
// The S3 server of the S3 tests: a one-node Ceph cluster with the RADOS
// Gateway (scripts/ceph-rgw.sh), started once per test binary on first use
// under a fresh temporary directory on free ports of 127.0.0.1, with the
// bucket "wayback-test"; stopped when the binary exits (and by the script's
// watchdog if the binary dies without exiting). RGW checks SigV4 signatures,
// enforces "If-None-Match: *" on PUT, and has versioning and Object Lock, so
// the tests see the refusals a real object store gives.
//
// There is no skipping: when Ceph is not installed or the cluster does not
// come up, Get() returns an error and every S3 test fails with it (CI installs
// Ceph through scripts/install-deps.sh).

#ifndef WAYBACK_TESTS_STORAGE_S3_TEST_SERVER_H_
#define WAYBACK_TESTS_STORAGE_S3_TEST_SERVER_H_

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/storage/s3_client.h"
#include "src/storage/s3_storage.h"
#include "wayback/storage.h"

namespace wayback::testing {

// Starts `argv` (searched on PATH) with stdout on a pipe and stderr to
// /dev/null, and reads its stdout until a line containing `marker`. Returns
// the pid and the text after the marker on that line.
struct StartedProcess {
  pid_t pid = -1;
  std::string rest_of_line;
};
absl::StatusOr<StartedProcess> StartProcess(
    const std::vector<std::string>& argv, std::string_view marker);
// SIGTERM, then SIGKILL after a second; reaps the child.
void StopProcess(pid_t pid);

// Whether `tool` is an executable on PATH.
bool OnPath(const char* tool);

// `n` pseudo-random bytes, the same for the same seed.
std::string Pattern(size_t n, uint32_t seed);

class S3TestServer {
 public:
  static constexpr char kBucket[] = "wayback-test";
  // The S3 user scripts/ceph-rgw.sh creates.
  static constexpr char kAccessKey[] = "WAYBACKRGWTESTKEY001";
  static constexpr char kSecretKey[] =
      "wayback-rgw-test-secret-0123456789abcdef";

  // The shared server, started on first use.
  static absl::StatusOr<S3TestServer*> Get();

  // What a bucket made by CreateBucket() has besides the defaults.
  struct BucketFeatures {
    bool versioning = false;
    // Object Lock (implies versioning). With `default_retention_days` > 0,
    // every new object gets COMPLIANCE retention for that many days.
    bool object_lock = false;
    int default_retention_days = 0;
  };
  // Creates bucket `name` (at least 3 characters, as RGW requires) on the
  // first call for that name; later calls return the first one's outcome.
  absl::Status EnsureBucket(const std::string& name,
                            const BucketFeatures& features) const;
  // FreshOptions() in bucket `bucket` (made with EnsureBucket()).
  absl::StatusOr<std::unique_ptr<Storage>> OpenFreshIn(
      const std::string& bucket) const;

  // Sends one signed request to `bucket` with the test user's keys (or
  // `credentials` if given), for what the S3 backend itself never asks
  // (retention, versioning, version listings). No retries.
  s3::HttpResponse Send(const std::string& bucket, const s3::S3Call& call,
                        const s3::AwsCredentials* credentials = nullptr) const;

  // "http://127.0.0.1:PORT".
  const std::string& endpoint() const { return endpoint_; }

  // Options for a fresh, unique prefix in the test bucket, with fast retries
  // and small parts/pages so that tests exercise multipart and pagination.
  // `endpoint` overrides the server's (e.g. a fault-injecting proxy).
  s3::S3Options FreshOptions(const std::string& endpoint = "") const;
  absl::StatusOr<std::unique_ptr<Storage>> OpenFresh() const;

  ~S3TestServer();

 private:
  S3TestServer() = default;
  absl::Status CreateBucket(const std::string& name,
                            const BucketFeatures& features) const;

  std::string endpoint_;
  std::string cluster_dir_;
};

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_STORAGE_S3_TEST_SERVER_H_
