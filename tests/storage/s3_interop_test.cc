// Copyright 2026 The Wayback Authors.
//
// Interoperability with a real S3 client (the AWS CLI) against Ceph RGW:
// objects Wayback writes are listed and downloaded intact by `aws s3 ls/cp`,
// a tree uploaded by `aws s3 cp --recursive` reads back through Wayback, and
// a local repository mirrors to S3 and back byte for byte.

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/storage/s3_test_server.h"
#include "tests/testutil/testutil.h"
#include "wayback/mirror.h"

namespace wayback::testing {
namespace {

namespace fs = std::filesystem;

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class S3InteropTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = S3TestServer::Get();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    ASSERT_TRUE(OnPath("aws"))
        << "the AWS CLI is not installed (scripts/install-deps.sh installs it)";
    options_ = server_->FreshOptions();
    auto s = s3::OpenS3Storage(options_);
    ASSERT_TRUE(s.ok());
    storage_ = std::move(*s);
  }

  // Runs the AWS CLI against RGW; returns its exit status and stdout.
  int Aws(const std::string& args, std::string* out = nullptr) {
    const std::string out_path = tmp_.path() + "/aws.out";
    const std::string cmd = absl::StrCat(
        "AWS_ACCESS_KEY_ID=", S3TestServer::kAccessKey,
        " AWS_SECRET_ACCESS_KEY=", S3TestServer::kSecretKey,
        " AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true"
        " aws --endpoint-url ",
        server_->endpoint(), " ", args, " > ", out_path, " 2>&1");
    int rc = std::system(cmd.c_str());
    if (out) *out = ReadFile(out_path);
    return rc;
  }
  std::string Url(std::string_view sub = "") {
    return absl::StrCat("s3://", S3TestServer::kBucket, "/", options_.prefix,
                        std::string(sub));
  }

  TempDir tmp_;
  S3TestServer* server_ = nullptr;
  s3::S3Options options_;
  std::unique_ptr<Storage> storage_;
};

TEST_F(S3InteropTest, AwsCliListsAndDownloadsWhatWaybackWrote) {
  std::map<std::string, std::string> model = {
      {"log/seg-000001", Pattern(1000, 1)},
      {"log/seg-000002", Pattern((3 << 20) + 11, 2)},  // Multipart.
      {"snap/with space/\xC3\xA9t\xC3\xA9", Pattern(10, 3)},
      {"empty", ""}};
  for (const auto& [name, data] : model) {
    ASSERT_TRUE(storage_->WriteAll(name, data).ok()) << name;
  }
  std::string listing;
  ASSERT_EQ(Aws("s3 ls --recursive " + Url(), &listing), 0) << listing;
  for (const auto& [name, data] : model) {
    // Each line: date time size key.
    const std::string want =
        absl::StrCat(" ", data.size(), " ", options_.prefix, name);
    EXPECT_NE(listing.find(want), std::string::npos) << want << " not in:\n"
                                                     << listing;
  }
  const std::string dir = tmp_.path() + "/download";
  std::string out;
  ASSERT_EQ(Aws(absl::StrCat("s3 cp --recursive ", Url(), " ", dir), &out), 0)
      << out;
  for (const auto& [name, data] : model) {
    EXPECT_TRUE(ReadFile(fs::path(dir) / name) == data) << name;
  }
}

TEST_F(S3InteropTest, WaybackReadsATreeUploadedByAwsCli) {
  const std::string dir = tmp_.path() + "/repo";
  std::map<std::string, std::string> model = {
      {"a/one", Pattern(5000, 4)},
      {"a/b/two", Pattern((2 << 20) + 1, 5)},
      {"three", "3"}};
  for (const auto& [name, data] : model) {
    fs::create_directories((fs::path(dir) / name).parent_path());
    std::ofstream(fs::path(dir) / name, std::ios::binary) << data;
  }
  std::string out;
  ASSERT_EQ(Aws(absl::StrCat("s3 cp --recursive ", dir, " ", Url()), &out), 0)
      << out;
  auto list = storage_->List("");
  ASSERT_TRUE(list.ok()) << list.status();
  ASSERT_EQ(list->size(), model.size());
  for (const ObjectInfo& info : *list) {
    ASSERT_TRUE(model.contains(info.name)) << info.name;
    EXPECT_EQ(info.size, model[info.name].size());
    auto back = storage_->ReadAll(info.name);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == model[info.name]) << info.name;
  }
}

TEST_F(S3InteropTest, MirrorLocalToS3AndBack) {
  auto local = OpenLocalStorage(tmp_.path() + "/src", true);
  ASSERT_TRUE(local.ok());
  std::map<std::string, std::string> model;
  for (int i = 0; i < 8; ++i) {
    std::string name = absl::StrCat("log/seg-", i);
    model[name] = Pattern(100000 + i * 1000, 10 + i);
    ASSERT_TRUE((*local)->WriteAll(name, model[name]).ok());
  }
  model["snap/big"] = Pattern((2 << 20) + 7, 20);
  ASSERT_TRUE((*local)->WriteAll("snap/big", model["snap/big"]).ok());
  auto r = MirrorRepository(local->get(), storage_.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->copied_objects, model.size());
  auto again = MirrorRepository(local->get(), storage_.get());
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->copied_objects, 0u);
  EXPECT_EQ(again->already_present, model.size());
  // And back into a fresh local directory.
  auto back = OpenLocalStorage(tmp_.path() + "/back", true);
  ASSERT_TRUE(back.ok());
  auto b = MirrorRepository(storage_.get(), back->get());
  ASSERT_TRUE(b.ok()) << b.status();
  for (const auto& [name, data] : model) {
    auto got = (*back)->ReadAll(name);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_TRUE(*got == data) << name;
  }
}

TEST_F(S3InteropTest, ObjectReplacedWhileOpenIsAnError) {
  ASSERT_TRUE(storage_->WriteAll("obj", Pattern(5000, 30)).ok());
  auto obj = storage_->OpenForRead("obj");
  ASSERT_TRUE(obj.ok());
  ASSERT_TRUE(storage_->Delete("obj").ok());
  ASSERT_TRUE(storage_->WriteAll("obj", Pattern(7000, 31)).ok());
  char buf[100];
  auto got = (*obj)->ReadAt(0, sizeof(buf), buf);
  EXPECT_TRUE(absl::IsFailedPrecondition(got.status())) << got.status();
  EXPECT_THAT(std::string(got.status().message()),
              ::testing::HasSubstr("changed"));
}

TEST_F(S3InteropTest, OpeningChecksTheBucket) {
  const std::string ep = server_->endpoint();
  StorageOpenOptions o;
  o.s3.access_key_id = S3TestServer::kAccessKey;
  o.s3.secret_access_key = S3TestServer::kSecretKey;
  auto missing = OpenStorage("s3://no-such-bucket/p?endpoint=" + ep, o);
  EXPECT_TRUE(absl::IsNotFound(missing.status())) << missing.status();
  EXPECT_THAT(std::string(missing.status().message()),
              ::testing::AllOf(
                  ::testing::HasSubstr("no such bucket \"no-such-bucket\""),
                  ::testing::HasSubstr(ep)));
  auto there = OpenStorage(Url() + "?endpoint=" + ep, o);
  ASSERT_TRUE(there.ok()) << there.status();
  EXPECT_TRUE((*there)->List("").ok());
  // The settings' endpoint is used when the URI gives none.
  StorageOpenOptions by_flag = o;
  by_flag.s3.endpoint = ep;
  EXPECT_TRUE(OpenStorage(Url(), by_flag).ok());
  // Credentials refused at open, naming bucket and endpoint.
  StorageOpenOptions bad = o;
  bad.s3.access_key_id = "NOT-A-KEY";
  auto denied = OpenStorage(Url() + "?endpoint=" + ep, bad);
  EXPECT_TRUE(absl::IsPermissionDenied(denied.status())) << denied.status();
  EXPECT_THAT(std::string(denied.status().message()),
              ::testing::HasSubstr(S3TestServer::kBucket));
}

// A wrong secret (SignatureDoesNotMatch) is in s3_rgw_test.cc.
TEST_F(S3InteropTest, UnknownAccessKeyIsPermissionDenied) {
  s3::S3Options bad = options_;
  bad.credentials.access_key_id = "NOT-A-KEY";
  auto s = s3::OpenS3Storage(bad);
  ASSERT_TRUE(s.ok());
  absl::Status w = (*s)->WriteAll("x", "y");
  EXPECT_TRUE(absl::IsPermissionDenied(w)) << w;
  auto list = (*s)->List("");
  EXPECT_TRUE(absl::IsPermissionDenied(list.status())) << list.status();
  EXPECT_THAT(std::string(list.status().message()),
              ::testing::HasSubstr("InvalidAccessKeyId"));
}

}  // namespace
}  // namespace wayback::testing
