// Copyright 2026 The Wayback Authors.
//
// The S3 backend under network faults: a fault-injecting proxy
// (fault_proxy.py) between the client and Ceph RGW answers 500 or 503 SlowDown,
// resets the connection mid-body, sends a short body, stalls, or drops the
// connection. For each fault the operation either completes with exactly the
// right bytes or fails with kUnavailable naming the object — never a wrong
// result.

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/storage/http_client.h"
#include "src/storage/s3_storage.h"
#include "src/util/errors.h"
#include "tests/storage/fault_proxy.h"
#include "tests/storage/s3_test_server.h"

namespace wayback::testing {
namespace {

using ::testing::HasSubstr;

class S3FaultTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = S3TestServer::Get();
    ASSERT_TRUE(server.ok()) << server.status();
    auto proxy = FaultProxy::Get((*server)->endpoint());
    ASSERT_TRUE(proxy.ok()) << proxy.status();
    proxy_ = *proxy;
    proxy_->Clear();
    options_ = (*server)->FreshOptions(proxy_->endpoint());
    options_.stall_timeout_s = 1;
    auto s = s3::OpenS3Storage(options_);
    ASSERT_TRUE(s.ok());
    storage_ = std::move(*s);
  }
  void TearDown() override {
    if (proxy_) proxy_->Clear();
  }
  // The object's full name as error messages give it.
  std::string Described(std::string_view name) {
    return absl::StrCat("s3://", options_.bucket, "/", options_.prefix,
                        AV(name));
  }
  static absl::string_view AV(std::string_view s) {
    return {s.data(), s.size()};
  }

  FaultProxy* proxy_ = nullptr;
  s3::S3Options options_;
  std::unique_ptr<Storage> storage_;
};

// --- Reads ------------------------------------------------------------------

TEST_F(S3FaultTest, Get500ThenSuccess) {
  const std::string data = Pattern(300000, 1);
  ASSERT_TRUE(storage_->WriteAll("obj", data).ok());
  proxy_->Arm("500", 2, "GET");
  auto back = storage_->ReadAll("obj");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == data);
  EXPECT_EQ(proxy_->Fired("500"), 2);
}

TEST_F(S3FaultTest, SlowDown503ThenSuccess) {
  const std::string data = Pattern(1000, 2);
  ASSERT_TRUE(storage_->WriteAll("obj", data).ok());
  proxy_->Arm("503", 3);  // HEAD and GET alike.
  auto back = storage_->ReadAll("obj");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, data);
  EXPECT_EQ(proxy_->Fired("503"), 3);
}

TEST_F(S3FaultTest, ResetMidBodyResumesWithRange) {
  const std::string data = Pattern(2 << 20, 3);
  ASSERT_TRUE(storage_->WriteAll("big", data).ok());
  proxy_->Arm("reset", 2, "GET");
  auto back = storage_->ReadAll("big");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == data);
  EXPECT_EQ(proxy_->Fired("reset"), 2);
  // Each retry asked only for what was missing: the later ranges start
  // after the first byte (the resumed tail), not at 0 again.
  nlohmann::json ranges = proxy_->Stats()["ranges"];
  ASSERT_GE(ranges.size(), 3u);
  const std::string last = ranges[ranges.size() - 1].get<std::string>();
  EXPECT_FALSE(absl::StartsWith(last, "bytes=0-")) << last;
}

TEST_F(S3FaultTest, ShortBodyResumes) {
  const std::string data = Pattern(500000, 4);
  ASSERT_TRUE(storage_->WriteAll("obj", data).ok());
  proxy_->Arm("short", 3, "GET");
  auto obj = storage_->OpenForRead("obj");
  ASSERT_TRUE(obj.ok());
  std::string scratch(200000, '\0');
  auto got = (*obj)->ReadAt(123456, scratch.size(), scratch.data());
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_TRUE(*got == std::string_view(data).substr(123456, 200000));
  EXPECT_EQ(proxy_->Fired("short"), 3);
}

TEST_F(S3FaultTest, StallIsAbortedAndRetried) {
  const std::string data = Pattern(100000, 5);
  ASSERT_TRUE(storage_->WriteAll("obj", data).ok());
  // The proxy would hold the connection for 20 s; the client's 1 s stall
  // timeout aborts it and retries long before.
  proxy_->Arm("stall", 1, "GET", "", 20);
  auto back = storage_->ReadAll("obj");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == data);
  EXPECT_EQ(proxy_->Fired("stall"), 1);
}

TEST_F(S3FaultTest, DroppedConnectionIsRetried) {
  ASSERT_TRUE(storage_->WriteAll("obj", "small").ok());
  proxy_->Arm("drop", 2);
  auto back = storage_->ReadAll("obj");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, "small");
}

TEST_F(S3FaultTest, Persistent500FailsNamingTheObject) {
  ASSERT_TRUE(storage_->WriteAll("doomed", "bytes").ok());
  auto obj = storage_->OpenForRead("doomed");
  ASSERT_TRUE(obj.ok());
  proxy_->Arm("500", 1000, "GET");
  char buf[5];
  auto got = (*obj)->ReadAt(0, 5, buf);
  EXPECT_TRUE(absl::IsUnavailable(got.status())) << got.status();
  EXPECT_THAT(std::string(got.status().message()),
              HasSubstr(Described("doomed")));
  EXPECT_THAT(std::string(got.status().message()), HasSubstr("attempts"));
  EXPECT_EQ(proxy_->Fired("500"), options_.max_attempts);
}

TEST_F(S3FaultTest, PersistentResetFailsNamingTheObject) {
  ASSERT_TRUE(storage_->WriteAll("doomed", Pattern(10000, 6)).ok());
  proxy_->Arm("drop", 1000);
  auto back = storage_->ReadAll("doomed");
  EXPECT_TRUE(absl::IsUnavailable(back.status())) << back.status();
  EXPECT_THAT(std::string(back.status().message()),
              HasSubstr(Described("doomed")));
}

TEST_F(S3FaultTest, EveryFaultOnEveryRangeOfARestoreLikeScan) {
  // Many ranged reads of one object, each kind of fault sprinkled in: every
  // read returns the exact bytes.
  const std::string data = Pattern(1 << 20, 7);
  ASSERT_TRUE(storage_->WriteAll("seg", data).ok());
  auto obj = storage_->OpenForRead("seg");
  ASSERT_TRUE(obj.ok());
  const char* kinds[] = {"500", "503", "reset", "short", "drop"};
  std::string scratch(65536, '\0');
  for (int i = 0; i < 16; ++i) {
    proxy_->Arm(kinds[i % 5], 1, "GET");
    const uint64_t off = static_cast<uint64_t>(i) * 65536;
    auto got = (*obj)->ReadAt(off, scratch.size(), scratch.data());
    ASSERT_TRUE(got.ok()) << kinds[i % 5] << ": " << got.status();
    ASSERT_TRUE(*got == std::string_view(data).substr(off, 65536)) << i;
  }
}

// --- Read-ahead
// ---------------------------------------------------------------

TEST_F(S3FaultTest, SequentialSmallReadsShareFewRequests) {
  const std::string data = Pattern(2 << 20, 50);
  ASSERT_TRUE(storage_->WriteAll("seq", data).ok());
  auto obj = storage_->OpenForRead("seq");
  ASSERT_TRUE(obj.ok());
  proxy_->Clear();
  std::string scratch(16384, '\0');
  for (uint64_t off = 0; off < data.size(); off += scratch.size()) {
    auto got = (*obj)->ReadAt(off, scratch.size(), scratch.data());
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(*got == std::string_view(data).substr(off, scratch.size()));
  }
  // 128 reads; read-ahead windows of 256 KiB doubling to 4 MiB need far fewer
  // GETs (1 + 256K + 512K + 1M + the rest).
  const size_t gets = proxy_->Stats()["ranges"].size();
  EXPECT_LE(gets, 8u);
  EXPECT_GE(gets, 2u);
}

TEST_F(S3FaultTest, FirstAndJumpingReadsFetchOnlyWhatIsAsked) {
  // Planning reads a header and a footer of many objects: no read-ahead.
  const std::string data = Pattern(3 << 20, 51);
  ASSERT_TRUE(storage_->WriteAll("o", data).ok());
  auto obj = storage_->OpenForRead("o");
  ASSERT_TRUE(obj.ok());
  proxy_->Clear();
  char buf[64];
  ASSERT_TRUE((*obj)->ReadAt(0, 64, buf).ok());
  EXPECT_EQ(std::string_view(buf, 64), std::string_view(data).substr(0, 64));
  auto tail = (*obj)->ReadAt(data.size() - 64, 64, buf);
  ASSERT_TRUE(tail.ok());
  EXPECT_EQ(*tail, std::string_view(data).substr(data.size() - 64));
  nlohmann::json ranges = proxy_->Stats()["ranges"];
  ASSERT_EQ(ranges.size(), 2u);
  EXPECT_EQ(ranges[0].get<std::string>(), "bytes=0-63");
  EXPECT_EQ(ranges[1].get<std::string>(),
            absl::StrCat("bytes=", data.size() - 64, "-", data.size() - 1));
}

TEST_F(S3FaultTest, ReadAheadUnderFaultsStillExact) {
  const std::string data = Pattern(3 << 20, 52);
  ASSERT_TRUE(storage_->WriteAll("seq", data).ok());
  auto obj = storage_->OpenForRead("seq");
  ASSERT_TRUE(obj.ok());
  proxy_->Arm("reset", 2, "GET");
  proxy_->Arm("short", 2, "GET");
  std::string scratch(10000, '\0');
  for (uint64_t off = 0; off < data.size(); off += scratch.size()) {
    auto got = (*obj)->ReadAt(off, scratch.size(), scratch.data());
    ASSERT_TRUE(got.ok()) << got.status();
    ASSERT_TRUE(*got == std::string_view(data).substr(off, scratch.size()))
        << off;
  }
  EXPECT_EQ(proxy_->Fired("reset") + proxy_->Fired("short"), 4);
}

// --- Signatures on the wire -------------------------------------------------

// RGW checks SigV4 signatures itself; the proxy also re-verifies each request
// exactly as curl sent it, with botocore, so that a bad signature is reported
// with the request it was on: every kind of request the backend makes, keys
// with spaces and non-ASCII bytes, list continuation tokens and multipart
// uploads included.
TEST_F(S3FaultTest, EveryRequestOnTheWireIsCorrectlySigned) {
  ASSERT_EQ(std::system("python3 -c 'import botocore' >/dev/null 2>&1"), 0)
      << "botocore is not installed (scripts/install-deps.sh installs it)";
  const std::string big = Pattern((2 << 20) + 3, 40);
  const std::string names[] = {"plain", "with space/and+plus=eq&amp",
                               "non-ascii/\xC3\xA9t\xC3\xA9 \xE2\x82\xAC",
                               "tilde~under_score-dash.dot"};
  for (const std::string& name : names) {
    ASSERT_TRUE(storage_->WriteAll(name, name).ok()) << name;
  }
  ASSERT_TRUE(storage_->WriteAll("multi part", big).ok());
  for (const std::string& name : names) {
    auto back = storage_->ReadAll(name);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, name);
  }
  auto obj = storage_->OpenForRead("multi part");
  ASSERT_TRUE(obj.ok());
  char buf[10];
  ASSERT_TRUE((*obj)->ReadAt(1000000, 10, buf).ok());
  auto list = storage_->List("");  // Pages of 3: continuation tokens.
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 5u);
  ASSERT_TRUE(storage_->Delete("plain").ok());
  {
    auto w = storage_->Create("abandoned multipart");
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Append(big).ok());  // Starts a multipart upload.
  }                                       // Aborted (DELETE ?uploadId=).
  nlohmann::json stats = proxy_->Stats();
  EXPECT_GE(stats["sig_checked"].get<int>(), 25);
  EXPECT_TRUE(stats["sig_bad"].empty()) << stats["sig_bad"].dump(2);
}

// --- Writes and listing -----------------------------------------------------

TEST_F(S3FaultTest, PutRetriedAfter500AndAfterLostResponse) {
  const std::string data = Pattern(4000, 8);
  proxy_->Arm("500", 1, "PUT");
  ASSERT_TRUE(storage_->WriteAll("a", data).ok());
  // The PUT lands, its response is lost: the retry must not report failure
  // or leave different bytes.
  proxy_->Arm("reset", 1, "PUT");
  ASSERT_TRUE(storage_->WriteAll("b", data).ok());
  for (const char* name : {"a", "b"}) {
    auto back = storage_->ReadAll(name);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_EQ(*back, data);
  }
}

TEST_F(S3FaultTest, MultipartUploadSurvivesPartFaults) {
  const std::string data = Pattern((3 << 20) + 5, 9);  // 4 parts of 1 MiB.
  proxy_->Arm("503", 1, "PUT", "partNumber=2");
  proxy_->Arm("reset", 1, "PUT", "partNumber=3");
  proxy_->Arm("500", 1, "POST", "uploadId");
  ASSERT_TRUE(storage_->WriteAll("multi", data).ok());
  auto back = storage_->ReadAll("multi");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == data);
  EXPECT_EQ(
      proxy_->Fired("503") + proxy_->Fired("reset") + proxy_->Fired("500"), 3);
}

TEST_F(S3FaultTest, ListSurvivesFaultsAcrossPages) {
  std::vector<std::string> names;
  for (int i = 0; i < 10; ++i) {
    names.push_back(absl::StrCat("seg-", i));
    ASSERT_TRUE(storage_->WriteAll(names.back(), "x").ok());
  }
  std::sort(names.begin(), names.end());
  // Pages of 3: faults on several of the 4 page requests.
  proxy_->Arm("503", 2, "GET", "list-type");
  proxy_->Arm("short", 1, "GET", "continuation-token");
  auto list = storage_->List("seg-");
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<std::string> got;
  for (const ObjectInfo& o : *list) got.push_back(o.name);
  EXPECT_EQ(got, names);
}

TEST_F(S3FaultTest, PersistentListFailureIsAnError) {
  ASSERT_TRUE(storage_->WriteAll("x", "1").ok());
  proxy_->Arm("500", 1000, "GET", "list-type");
  auto list = storage_->List("");
  EXPECT_TRUE(absl::IsUnavailable(list.status())) << list.status();
}

}  // namespace
}  // namespace wayback::testing
