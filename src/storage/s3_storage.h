// Copyright 2026 The Wayback Authors.
//
// The S3-compatible backend (AWS S3, MinIO, Ceph RGW, s3rver): objects map to
// keys "<prefix>/<name>" in one bucket. Capabilities: none of append, rename
// or lock (object stores have none of them); the log writer keeps its live
// segment elsewhere and uploads sealed segments.
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
//
// Opening through a URI (OpenS3Uri, OpenStorage) checks with one HEAD request
// that the bucket exists, so that a mistyped bucket or endpoint is an error
// naming both, up front. OpenS3Storage() does not (tests, tuned callers).
//
// Semantics on top of plain S3:
//  - Create() is create-only: the writer checks with HEAD before uploading.
//    A single-part PUT carries "If-None-Match: *", which AWS S3 and Ceph RGW
//    enforce atomically: of two writers racing on one name exactly one wins,
//    the other gets kAlreadyExists. A multipart object is first claimed by a
//    create-only PUT of the small object ".wayback-claims/<key>" and
//    completed only by the claim's winner, because RGW ignores the header on
//    CompleteMultipartUpload (claims are never listed; a claim whose writer
//    died is taken over after claim_lease_s). Servers that ignore the header
//    (s3rver) close neither race. A name written single-part by one writer
//    and multipart by another (different part sizes) is not covered.
//  - Delete() refuses (kFailedPrecondition, nothing deleted) an object under
//    Object Lock retention or legal hold, where a plain DELETE would only
//    hide it behind a delete marker; it removes a multipart object's claim.
//  - Objects up to part_size go up in one PUT with Content-MD5; larger ones
//    by multipart upload, aborted if the writer is abandoned.
//  - Every request is retried with exponential backoff and full jitter on
//    transport failures (connection refused or reset, timeouts, stalls), 5xx,
//    429 and SlowDown; a ranged GET that delivers a short body resumes from
//    the first missing byte. The final failure is kUnavailable and names the
//    object.

#ifndef WAYBACK_SRC_STORAGE_S3_STORAGE_H_
#define WAYBACK_SRC_STORAGE_S3_STORAGE_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "src/storage/http_client.h"
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
  // appeared must be before another writer may take it over (see "Semantics"
  // above).
  int64_t claim_lease_s = 3600;
  std::string uri;  // For messages; built from the fields if empty.
};

// Parses an s3:// URI (see above) and fills in the environment's defaults.
absl::StatusOr<S3Options> ParseS3Uri(std::string_view uri,
                                     const S3Settings& settings = {});

absl::StatusOr<std::unique_ptr<Storage>> OpenS3Storage(S3Options options);

// The storage factory registered for "s3".
absl::StatusOr<std::unique_ptr<Storage>> OpenS3Uri(std::string_view uri,
                                                   bool create);
// The same with settings (see wayback/storage.h, S3Settings).
absl::StatusOr<std::unique_ptr<Storage>> OpenS3Uri(std::string_view uri,
                                                   bool create,
                                                   const S3Settings& settings);

// One S3 request, before signing.
struct S3Call {
  std::string method = {};
  std::string key = {};   // Full key; empty for bucket-level requests.
  HeaderList query = {};  // Not encoded.
  HeaderList headers = {};
  std::string_view body = {};
};

// The HTTP request S3 storage sends for `call`: the URL (path-style or
// virtual-hosted, key encoded once), and the signed headers at `amz_date`
// (unsigned when the options carry no credentials).
HttpRequest BuildS3Request(const S3Options& options, const S3Call& call,
                           std::string_view amz_date);

// One page of a ListObjectsV2 response.
struct ListPage {
  std::vector<ObjectInfo> objects;  // Full keys.
  bool truncated = false;
  std::string next_continuation_token;
};
// Parses a ListObjectsV2 response body. Any input is safe; malformed input is
// kInternal.
absl::StatusOr<ListPage> ParseListObjectsV2(std::string_view xml);

// The text of the first <tag>...</tag> element, XML entities decoded; empty
// if absent.
std::string XmlElementText(std::string_view xml, std::string_view tag);
// Decodes &amp; &lt; &gt; &quot; &apos; &#N; &#xN;. kInternal on a bad one.
absl::StatusOr<std::string> XmlUnescape(std::string_view text);

}  // namespace wayback::s3

#endif  // WAYBACK_SRC_STORAGE_S3_STORAGE_H_
