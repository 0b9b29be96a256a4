// Copyright 2026 The Wayback Authors.

#include "src/storage/http_client.h"

#include <curl/curl.h>

#include <mutex>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace wayback::s3 {
namespace {

constexpr size_t kMaxPooledHandles = 16;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  static_cast<HttpResponse*>(user)->body.append(data, size * n);
  return size * n;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* response = static_cast<HttpResponse*>(user);
  absl::string_view line(data, size * n);
  if (absl::StartsWith(line, "HTTP/")) {
    // A new status line (after 100 Continue or a redirect): start over.
    response->headers.clear();
    return size * n;
  }
  size_t colon = line.find(':');
  if (colon != absl::string_view::npos) {
    std::string name = absl::AsciiStrToLower(line.substr(0, colon));
    std::string value(absl::StripAsciiWhitespace(line.substr(colon + 1)));
    response->headers.emplace_back(std::move(name), std::move(value));
  }
  return size * n;
}

// Aborts a transfer that has moved no byte (either way) for the stall
// timeout. curl's own LOW_SPEED check averages over a 5 s window, so after a
// burst it notices a stall only seconds late.
struct StallWatch {
  absl::Duration limit;
  absl::Time last_progress;
  curl_off_t last_bytes = -1;
  bool stalled = false;
};

int OnProgress(void* user, curl_off_t dltotal, curl_off_t dlnow,
               curl_off_t ultotal, curl_off_t ulnow) {
  auto* w = static_cast<StallWatch*>(user);
  const absl::Time now = absl::Now();
  if (dlnow + ulnow != w->last_bytes) {
    w->last_bytes = dlnow + ulnow;
    w->last_progress = now;
    return 0;
  }
  if (now - w->last_progress > w->limit) {
    w->stalled = true;
    return 1;  // Abort: CURLE_ABORTED_BY_CALLBACK.
  }
  return 0;
}

bool Retryable(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_WEIRD_SERVER_REPLY:
      return true;
    default:
      return false;
  }
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return "";
}

HttpClient::HttpClient(HttpOptions options) : options_(options) {
  GlobalInit();
}

HttpClient::~HttpClient() {
  absl::MutexLock lock(&mu_);
  for (void* h : idle_) curl_easy_cleanup(static_cast<CURL*>(h));
}

void* HttpClient::Acquire() {
  {
    absl::MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* h = idle_.back();
      idle_.pop_back();
      return h;
    }
  }
  return curl_easy_init();
}

void HttpClient::Release(void* handle) {
  absl::MutexLock lock(&mu_);
  if (idle_.size() < kMaxPooledHandles) {
    idle_.push_back(handle);
  } else {
    curl_easy_cleanup(static_cast<CURL*>(handle));
  }
}

HttpResponse HttpClient::Send(const HttpRequest& request) {
  HttpResponse response;
  CURL* curl = static_cast<CURL*>(Acquire());
  if (curl == nullptr) {
    response.transport = absl::InternalError("curl_easy_init failed");
    return response;
  }
  // Reset options but keep the handle's connection cache.
  curl_easy_reset(curl);
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_URL, request.url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   options_.connect_timeout_ms);
  StallWatch watch{.limit = absl::Seconds(options_.stall_timeout_s),
                   .last_progress = absl::Now()};
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, &OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &watch);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, options_.verify_tls ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, options_.verify_tls ? 2L : 0L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response);
  if (request.method == "GET") {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (request.method == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    if (request.method == "PUT" || request.method == "POST") {
      // The body goes as-is (POSTFIELDS with a custom verb); an empty body
      // still sends "Content-Length: 0".
      curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                       static_cast<curl_off_t>(request.body.size()));
      curl_easy_setopt(curl, CURLOPT_POSTFIELDS,
                       request.body.empty() ? "" : request.body.data());
    }
  }
  curl_slist* headers = nullptr;
  for (const auto& [name, value] : request.headers) {
    headers =
        curl_slist_append(headers, absl::StrCat(name, ": ", value).c_str());
  }
  // No "Expect: 100-continue" round trip and no form Content-Type.
  headers = curl_slist_append(headers, "Expect:");
  headers = curl_slist_append(headers, "Content-Type:");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);

  CURLcode code = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  curl_slist_free_all(headers);
  if (code != CURLE_OK) {
    std::string msg =
        watch.stalled
            ? absl::StrCat(request.method, " ", request.url,
                           ": stalled, no byte moved for ",
                           options_.stall_timeout_s, " s")
            : absl::StrCat(request.method, " ", request.url, ": ",
                           error[0] ? error : curl_easy_strerror(code));
    response.transport = Retryable(code) || watch.stalled
                             ? absl::UnavailableError(msg)
                             : absl::InternalError(msg);
    // A failed connection may be in a bad state: do not pool the handle.
    curl_easy_cleanup(curl);
    return response;
  }
  Release(curl);
  return response;
}

}  // namespace wayback::s3
