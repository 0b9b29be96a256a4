// Copyright 2026 The Wayback Authors.
//
// A minimal blocking HTTP client over libcurl for the S3 backend: one request
// in, status + headers + body out. Transport failures are reported in the
// response (with whatever part of the body arrived), so that callers can
// resume a short body with a Range request instead of starting over.

#ifndef WAYBACK_SRC_STORAGE_HTTP_CLIENT_H_
#define WAYBACK_SRC_STORAGE_HTTP_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "src/storage/sigv4.h"

namespace wayback::s3 {

struct HttpOptions {
  // Connection set-up bound. Default: 10 s.
  long connect_timeout_ms = 10000;
  // A transfer that moves no byte for this long is aborted as a stall
  // (retryable). Default: 30 s.
  long stall_timeout_s = 30;
  // Verify the server's TLS certificate and host name. Default: true.
  bool verify_tls = true;
};

struct HttpRequest {
  std::string method = {};  // GET, HEAD, PUT, POST, DELETE.
  std::string url = {};     // Fully encoded.
  HeaderList headers = {};  // Sent as given.
  std::string_view body = {};
};

struct HttpResponse {
  // OK if a complete HTTP response arrived (whatever its status code);
  // kUnavailable for a connection failure, reset, timeout, stall or short
  // body; kInternal for a local failure (bad URL, TLS set-up).
  absl::Status transport;
  long status = 0;     // HTTP status code; 0 if none arrived.
  HeaderList headers;  // Names lowercase.
  std::string body;    // Possibly partial when !transport.ok().
  // The first header named `name` (lowercase), or empty.
  std::string Header(std::string_view name) const;
};

// Thread-safe; keeps a small pool of curl handles so that connections are
// reused across requests.
class HttpClient {
 public:
  explicit HttpClient(HttpOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  HttpResponse Send(const HttpRequest& request);

 private:
  void* Acquire();
  void Release(void* handle);

  const HttpOptions options_;
  absl::Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);
};

}  // namespace wayback::s3

#endif  // WAYBACK_SRC_STORAGE_HTTP_CLIENT_H_
