// Copyright 2026 The Wayback Authors.
//
// Runs s3rver (the pinned S3-compatible server from package.json) for the S3
// tests: started once per test binary on 127.0.0.1 with a port the kernel
// picks, in a fresh data directory, with the bucket "wayback-test"; stopped
// (SIGTERM, then SIGKILL) when the binary exits.
//
// s3rver is found at $WAYBACK_S3RVER, else <source>/node_modules/.bin/s3rver.
// When node or s3rver is absent, Get() returns kUnavailable with a message
// starting "SKIP:", and tests skip (CI installs both, so they run there).

#ifndef WAYBACK_TESTS_STORAGE_S3_TEST_SERVER_H_
#define WAYBACK_TESTS_STORAGE_S3_TEST_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
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

class S3TestServer {
 public:
  static constexpr char kBucket[] = "wayback-test";
  static constexpr char kAccessKey[] = "S3RVER";  // s3rver's fixed account.
  static constexpr char kSecretKey[] = "S3RVER";

  // The shared server, started on first use.
  static absl::StatusOr<S3TestServer*> Get();

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
  pid_t pid_ = -1;
  std::string endpoint_;
  std::string data_dir_;
};

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_STORAGE_S3_TEST_SERVER_H_
