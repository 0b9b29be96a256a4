// Copyright 2026 The Wayback Authors.
//
// Building, sending and retrying S3 requests. See s3_client.h for the retry
// policy.

#include "src/storage/s3_client.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "src/storage/s3_xml.h"
#include "src/util/errors.h"

namespace wayback::s3 {

HttpRequest BuildS3Request(const S3Options& o, const S3Call& c,
                           std::string_view amz_date) {
  const size_t sep = o.endpoint.find("://");
  const std::string scheme = o.endpoint.substr(0, sep);
  const std::string hostport = o.endpoint.substr(sep + 3);
  std::string host =
      o.path_style ? hostport : absl::StrCat(o.bucket, ".", hostport);
  std::string path = o.path_style ? absl::StrCat("/", o.bucket) : "";
  if (!c.key.empty() || !o.path_style) {
    absl::StrAppend(&path, "/", UriEncode(c.key, /*encode_slash=*/false));
  }
  std::string url = absl::StrCat(scheme, "://", host, path);
  if (!c.query.empty()) {
    absl::StrAppend(&url, "?", CanonicalQueryString(c.query));
  }
  HttpRequest request{.method = c.method, .url = url, .body = c.body};
  const std::string payload = Sha256Hex(c.body);
  if (o.credentials.empty()) {
    request.headers = c.headers;
    request.headers.emplace_back("x-amz-content-sha256", payload);
    return request;
  }
  SignedRequest signed_request =
      SignV4(SigV4Request{.method = c.method,
                          .host = host,
                          .encoded_path = path,
                          .query = c.query,
                          .headers = c.headers,
                          .payload_sha256 = payload},
             o.credentials, o.region, "s3", amz_date);
  request.headers = std::move(signed_request.headers);
  // curl sends its own Host header from the URL (the same value).
  std::erase_if(request.headers,
                [](const auto& h) { return h.first == "host"; });
  request.headers.emplace_back("authorization",
                               std::move(signed_request.authorization));
  return request;
}

bool RetryableStatus(long status, std::string_view code) {
  return status == 500 || status == 502 || status == 503 || status == 504 ||
         status == 429 || code == "SlowDown" || code == "RequestTimeout" ||
         code == "InternalError" || code == "ServiceUnavailable";
}

S3Client::S3Client(S3Options options)
    : o_(std::move(options)),
      http_(HttpOptions{.connect_timeout_ms = o_.connect_timeout_ms,
                        .stall_timeout_s = o_.stall_timeout_s,
                        .verify_tls = o_.verify_tls}) {}

std::string S3Client::Describe(std::string_view key) const {
  return absl::StrCat("s3://", o_.bucket, "/", AV(key));
}

HttpResponse S3Client::SendOnce(const S3Call& c) {
  return http_.Send(BuildS3Request(o_, c, AmzDate(absl::Now())));
}

void S3Client::Backoff(int attempt) {
  int64_t cap =
      std::min<int64_t>(o_.retry_cap_ms, static_cast<int64_t>(o_.retry_base_ms)
                                             << std::min(attempt, 20));
  int64_t ms;
  {
    absl::MutexLock lock(&rng_mu_);
    ms = absl::Uniform<int64_t>(absl::IntervalClosed, rng_, cap / 2, cap);
  }
  absl::SleepFor(absl::Milliseconds(ms));
}

absl::StatusOr<HttpResponse> S3Client::Execute(std::string_view what,
                                               const S3Call& c,
                                               int* transport_failures) {
  std::string last;
  for (int attempt = 0; attempt < o_.max_attempts; ++attempt) {
    if (attempt > 0) Backoff(attempt - 1);
    HttpResponse r = SendOnce(c);
    if (!r.transport.ok()) {
      if (!absl::IsUnavailable(r.transport)) {
        return absl::Status(r.transport.code(),
                            absl::StrCat(Describe(c.key), ": ", AV(what), ": ",
                                         r.transport.message()));
      }
      if (transport_failures) ++*transport_failures;
      last = std::string(r.transport.message());
      continue;
    }
    std::string code = XmlElementText(r.body, "Code");
    if (RetryableStatus(r.status, code)) {
      last = absl::StrCat("HTTP ", r.status, " ", code);
      continue;
    }
    return r;
  }
  return absl::UnavailableError(absl::StrCat(Describe(c.key), ": ", AV(what),
                                             " failed after ", o_.max_attempts,
                                             " attempts; last error: ", last));
}

absl::Status S3Client::HttpError(std::string_view what, std::string_view key,
                                 const HttpResponse& r) const {
  std::string code = XmlElementText(r.body, "Code");
  std::string message = XmlElementText(r.body, "Message");
  std::string msg = absl::StrCat(Describe(key), ": ", AV(what), ": HTTP ",
                                 r.status, code.empty() ? "" : " ", code,
                                 message.empty() ? "" : ": ", message);
  switch (r.status) {
    case 404:
      return absl::NotFoundError(msg);
    case 403:
    case 401:
      // Refused credentials (InvalidAccessKeyId, SignatureDoesNotMatch) or
      // a refused operation (AccessDenied): never retried, and the message
      // names where the request went.
      return absl::PermissionDeniedError(absl::StrCat(
          msg, " (bucket \"", o_.bucket, "\" at endpoint ", o_.endpoint,
          "; check the credentials and the bucket's policy)"));
    case 412:
      return absl::AlreadyExistsError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace wayback::s3
