// Copyright 2026 The Wayback Authors.
//
// The client side of the fault-injecting proxy (fault_proxy.py): started
// once per test binary in front of the Ceph RGW of S3TestServer, armed and
// cleared through its control requests.

#ifndef WAYBACK_TESTS_STORAGE_FAULT_PROXY_H_
#define WAYBACK_TESTS_STORAGE_FAULT_PROXY_H_

#include <cstdlib>
#include <mutex>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/storage/http_client.h"
#include "src/storage/s3_storage.h"
#include "tests/storage/s3_test_server.h"

#ifndef WAYBACK_SOURCE_DIR
#error "WAYBACK_SOURCE_DIR must name the source tree (for fault_proxy.py)"
#endif

namespace wayback::testing {

class FaultProxy {
 public:
  static absl::StatusOr<FaultProxy*> Get(const std::string& upstream) {
    static FaultProxy* proxy = nullptr;
    static absl::Status status;
    static std::once_flag once;
    std::call_once(once, [&] {
      if (!OnPath("python3")) {
        status = absl::FailedPreconditionError("python3 is not installed");
        return;
      }
      std::string hostport = upstream.substr(upstream.find("://") + 3);
      auto p = StartProcess(
          {"python3", WAYBACK_SOURCE_DIR "/tests/storage/fault_proxy.py",
           hostport, S3TestServer::kSecretKey},
          "LISTENING ");
      if (!p.ok()) {
        status = p.status();
        return;
      }
      proxy = new FaultProxy();
      proxy->pid_ = p->pid;
      proxy->endpoint_ = "http://127.0.0.1:" + p->rest_of_line;
      std::atexit([] {
        StopProcess(proxy->pid_);
        delete proxy;
      });
    });
    if (!status.ok()) return status;
    return proxy;
  }

  const std::string& endpoint() const { return endpoint_; }

  void Arm(const std::string& kind, int count, const std::string& method = "",
           const std::string& path = "", double seconds = 0) {
    std::string url =
        absl::StrCat(endpoint_, "/__proxy/fault?kind=", kind, "&count=", count);
    if (!method.empty()) absl::StrAppend(&url, "&method=", method);
    if (!path.empty())
      absl::StrAppend(&url, "&path=", s3::UriEncode(path, true));
    if (seconds > 0) absl::StrAppend(&url, "&seconds=", seconds);
    Control(url);
  }
  void Clear() { Control(endpoint_ + "/__proxy/clear"); }
  nlohmann::json Stats() {
    return nlohmann::json::parse(Control(endpoint_ + "/__proxy/stats"));
  }
  int Fired(const std::string& kind) {
    nlohmann::json s = Stats();
    return s["fired"].contains(kind) ? s["fired"][kind].get<int>() : 0;
  }

 private:
  std::string Control(const std::string& url) {
    s3::HttpResponse r = http_.Send({.method = "GET", .url = url});
    EXPECT_TRUE(r.transport.ok()) << r.transport;
    EXPECT_EQ(r.status, 200);
    return r.body;
  }
  pid_t pid_ = -1;
  std::string endpoint_;
  s3::HttpClient http_{s3::HttpOptions{}};
};

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_STORAGE_FAULT_PROXY_H_
