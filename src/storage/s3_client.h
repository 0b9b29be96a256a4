// Copyright 2026 The Wayback Authors.
//
// One S3 request, from call to response: BuildS3Request turns an S3Call into
// the HTTP request (the URL path-style or virtual-hosted, the headers signed
// with SigV4), and S3Client sends it, retries what may be retried and maps an
// unexpected response to a Status that names the object. The storage
// semantics built from these requests (create-only, claims, Object Lock,
// ranged reads) are in s3_storage.cc; this unit knows nothing of them, so
// that the wire and the retry policy can be read, and changed, in one place.
//
// Retry policy: a transport failure (connection refused or reset, timeout,
// stall), HTTP 500, 502, 503, 504 or 429, or the error codes SlowDown,
// RequestTimeout, InternalError and ServiceUnavailable are retried, up to
// max_attempts in all, after an exponential backoff (retry_base_ms doubling,
// at most retry_cap_ms) with jitter. Anything else is the caller's to map.

#ifndef WAYBACK_SRC_STORAGE_S3_CLIENT_H_
#define WAYBACK_SRC_STORAGE_S3_CLIENT_H_

#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "src/storage/http_client.h"
#include "src/storage/s3_uri.h"
#include "src/storage/sigv4.h"

namespace wayback::s3 {

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

// Whether a complete response with HTTP `status` and error code `code` (the
// <Code> of its body, possibly empty) is worth another attempt.
bool RetryableStatus(long status, std::string_view code);

// Sends the calls of one S3 storage to its bucket. Thread-safe: the HTTP
// client pools connections and the backoff's random source is locked.
class S3Client {
 public:
  explicit S3Client(S3Options options);
  S3Client(const S3Client&) = delete;
  S3Client& operator=(const S3Client&) = delete;

  const S3Options& options() const { return o_; }

  // "s3://bucket/key", for messages.
  std::string Describe(std::string_view key) const;

  // One attempt, signed now. Transport failures are in the response.
  HttpResponse SendOnce(const S3Call& c);

  // Sleeps before the retry that follows failed attempt number `attempt`
  // (0 for the first failure).
  void Backoff(int attempt);

  // Sends with retries. Returns the first non-retryable response (which may
  // be an HTTP error the caller maps), or kUnavailable naming the object
  // after the last attempt. `transport_failures` counts attempts whose
  // outcome is unknown (the request may have been applied). `what` names
  // the operation in messages.
  absl::StatusOr<HttpResponse> Execute(std::string_view what, const S3Call& c,
                                       int* transport_failures = nullptr);

  // Maps an unexpected HTTP response to a Status naming the object: 404
  // kNotFound, 401 and 403 kPermissionDenied (naming bucket and endpoint),
  // 412 kAlreadyExists, anything else kInternal.
  absl::Status HttpError(std::string_view what, std::string_view key,
                         const HttpResponse& r) const;

 private:
  const S3Options o_;
  HttpClient http_;
  absl::Mutex rng_mu_;
  absl::BitGen rng_ ABSL_GUARDED_BY(rng_mu_);
};

}  // namespace wayback::s3

#endif  // WAYBACK_SRC_STORAGE_S3_CLIENT_H_
