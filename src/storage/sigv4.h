// Copyright 2026 The Wayback Authors.
//
// AWS Signature Version 4, header-based ("Authorization: AWS4-HMAC-SHA256
// ..."), as S3 uses it: the payload hash goes in x-amz-content-sha256, a
// session token in x-amz-security-token, and the path is encoded once (S3
// does not normalize or double-encode paths). Checked against botocore by
// tests/storage/sigv4_test.cc.

#ifndef WAYBACK_SRC_STORAGE_SIGV4_H_
#define WAYBACK_SRC_STORAGE_SIGV4_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/time/time.h"

namespace wayback::s3 {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct AwsCredentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // Empty: none.
  bool empty() const { return access_key_id.empty(); }
};

struct SigV4Request {
  std::string method = {};  // "GET", "PUT", ...
  std::string host = {};    // The Host header: "host" or "host:port".
  // The path exactly as sent, already URI-encoded (see UriEncode).
  std::string encoded_path = {};
  // Query parameters, not encoded; order does not matter.
  HeaderList query = {};
  // Headers to send and sign besides host, x-amz-date, x-amz-content-sha256
  // and x-amz-security-token (which SignV4 adds). Names in any case.
  HeaderList headers = {};
  // Hex SHA-256 of the body, or "UNSIGNED-PAYLOAD".
  std::string payload_sha256 = {};
};

struct SignedRequest {
  // Every header to send (host included), names lowercase, sorted.
  HeaderList headers;
  std::string canonical_request;  // For debugging signature mismatches.
  std::string string_to_sign;
  std::string authorization;  // The value of the Authorization header.
};

// Signs `request` at `amz_date` ("YYYYMMDDTHHMMSSZ").
SignedRequest SignV4(const SigV4Request& request,
                     const AwsCredentials& credentials, std::string_view region,
                     std::string_view service, std::string_view amz_date);

// "YYYYMMDDTHHMMSSZ" for `t` in UTC.
std::string AmzDate(absl::Time t);

// RFC 3986 percent-encoding of everything but unreserved characters
// (A-Z a-z 0-9 - . _ ~), and '/' unless `encode_slash`.
std::string UriEncode(std::string_view s, bool encode_slash);

// The SigV4 canonical query string: each key and value encoded, sorted by key
// then value, "k=v" joined by '&' (an empty value still gets its '=').
std::string CanonicalQueryString(const HeaderList& query);

std::string Sha256Hex(std::string_view data);
std::string HmacSha256(std::string_view key, std::string_view data);
std::string HexEncode(std::string_view bytes);
// Base64 of the MD5 digest (the Content-MD5 header) and its hex (an S3 ETag
// of a single-part object).
std::string Md5Base64(std::string_view data);
std::string Md5Hex(std::string_view data);

}  // namespace wayback::s3

#endif  // WAYBACK_SRC_STORAGE_SIGV4_H_
