// Copyright 2026 The Wayback Authors.
//
// The S3-compatible backend (AWS S3, MinIO, Ceph RGW, s3rver): objects map to
// keys "<prefix>/<name>" in one bucket. Capabilities: none of append, rename
// or lock (object stores have none of them); the log writer keeps its live
// segment elsewhere and uploads sealed segments.
//
// URI, options, credentials and their precedence: s3_uri.h. The backend is
// four units, each readable alone: s3_uri (URI and options), s3_xml (the
// XML of listings and error bodies), s3_client (building, signing, sending
// and retrying one request) and s3_storage (the semantics below, the
// readable and the writer).
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
//  - Every request is retried with exponential backoff and jitter on
//    transport failures (connection refused or reset, timeouts, stalls), 5xx,
//    429 and SlowDown (the policy is in s3_client.h); a ranged GET that
//    delivers a short body resumes from the first missing byte. The final
//    failure is kUnavailable and names the object.

#ifndef WAYBACK_SRC_STORAGE_S3_STORAGE_H_
#define WAYBACK_SRC_STORAGE_S3_STORAGE_H_

#include <memory>
#include <string_view>

#include "absl/status/statusor.h"
#include "src/storage/s3_uri.h"
#include "wayback/storage.h"

namespace wayback::s3 {

// S3 storage with `options` exactly as given: no bucket check.
absl::StatusOr<std::unique_ptr<Storage>> OpenS3Storage(S3Options options);

// The storage factory registered for "s3".
absl::StatusOr<std::unique_ptr<Storage>> OpenS3Uri(std::string_view uri,
                                                   bool create);
// The same with settings (see wayback/storage.h, S3Settings).
absl::StatusOr<std::unique_ptr<Storage>> OpenS3Uri(std::string_view uri,
                                                   bool create,
                                                   const S3Settings& settings);

}  // namespace wayback::s3

#endif  // WAYBACK_SRC_STORAGE_S3_STORAGE_H_
