// Copyright 2026 The Wayback Authors.
//
// The s3:// URI and the options it parses into: everything that decides where
// S3 storage sends its requests and how it tunes them, before any request is
// sent. Kept apart from the backend (s3_storage.h) so that the one place that
// reads the environment, and the precedence between URI, program settings and
// environment, can be read and tested on its own.
//
// URI: s3://bucket[/prefix][?param=value&...], parameters (all optional):
//   endpoint=http://127.0.0.1:9000   default $AWS_ENDPOINT_URL, else AWS
//                                    (https://s3.<region>.amazonaws.com)
//   region=us-east-1                 default $AWS_REGION, $AWS_DEFAULT_REGION,
//                                    else us-east-1
//   path_style=true|false            default true with a custom endpoint,
//                                    false (virtual-hosted) on AWS
//   verify_tls=true|false            default true
// and, for tests and tuning: part_size (bytes, default 8 MiB), max_keys (per
// list page, default 1000), max_attempts (default 6), retry_base_ms (default
// 100), stall_timeout_s (default 30), connect_timeout_ms (default 10000).
// Credentials come from $AWS_ACCESS_KEY_ID, $AWS_SECRET_ACCESS_KEY and
// $AWS_SESSION_TOKEN, or S3Settings (the CLI's flags), or S3Options; without
// them requests go unsigned. Endpoint and region may also come from
// S3Settings (between the environment and the URI in precedence).

#ifndef WAYBACK_SRC_STORAGE_S3_URI_H_
#define WAYBACK_SRC_STORAGE_S3_URI_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/storage/sigv4.h"
#include "wayback/storage.h"

namespace wayback::s3 {

struct S3Options {
  std::string bucket;
  std::string prefix;    // Key prefix, "" or ending in '/'.
  std::string endpoint;  // scheme://host[:port], no trailing '/'.
  std::string region = "us-east-1";
  bool path_style = false;
  bool verify_tls = true;
  AwsCredentials credentials;
  uint64_t part_size = 8 << 20;
  int max_keys = 1000;
  int max_attempts = 6;
  int retry_base_ms = 100;
  int retry_cap_ms = 5000;
  long stall_timeout_s = 30;
  long connect_timeout_ms = 10000;
  // How old (by the server's clock) a multipart claim whose object never
  // appeared must be before another writer may take it over (see
  // "Semantics" in s3_storage.h).
  int64_t claim_lease_s = 3600;
  std::string uri;  // For messages; built from the fields if empty.
};

// Parses an s3:// URI (see above) and fills in the environment's defaults.
// kInvalidArgument, naming the URI, for a malformed one or a bad parameter.
absl::StatusOr<S3Options> ParseS3Uri(std::string_view uri,
                                     const S3Settings& settings = {});

}  // namespace wayback::s3

#endif  // WAYBACK_SRC_STORAGE_S3_URI_H_
