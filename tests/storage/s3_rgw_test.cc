// Copyright 2026 The Wayback Authors.
//
// What only a server that enforces S3's rules can show (Ceph RGW, from the
// shared fixture): refused credentials are one clear, unretried error;
// create-only writes let exactly one of several racing writers win, for
// single-part and multipart objects; Object Lock retention makes Delete an
// error instead of a delete marker; versioned buckets list what a plain one
// does. Each test also checks the server behaviour it relies on with a raw
// request, so that a server that stops enforcing it fails here, by name.

#include <barrier>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/s3_client.h"
#include "src/storage/s3_storage.h"
#include "src/storage/s3_xml.h"
#include "tests/storage/s3_test_server.h"

namespace wayback::testing {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;

class S3RgwTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = S3TestServer::Get();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *server;
    options_ = server_->FreshOptions();
  }
  std::unique_ptr<Storage> Open(const s3::S3Options& o) {
    auto s = s3::OpenS3Storage(o);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  // A raw signed request for `name` under options_'s prefix.
  s3::HttpResponse Raw(const std::string& method, const std::string& name,
                       s3::HeaderList headers = {}, s3::HeaderList query = {},
                       std::string_view body = {}) {
    return server_->Send(options_.bucket,
                         s3::S3Call{.method = method,
                                    .key = options_.prefix + name,
                                    .query = std::move(query),
                                    .headers = std::move(headers),
                                    .body = body});
  }

  // Writers, each with its own storage (own connection), create `name` with
  // their own bytes and close at the same instant. Returns each writer's
  // status; `datas` gets each writer's bytes.
  std::vector<absl::Status> Race(const std::string& name, int writers,
                                 size_t size, std::vector<std::string>* datas) {
    std::vector<std::unique_ptr<Storage>> stores;
    std::vector<std::unique_ptr<ObjectWriter>> ws;
    for (int i = 0; i < writers; ++i) {
      stores.push_back(Open(options_));
      datas->push_back(Pattern(size, 100 + i));
      auto w = stores.back()->Create(name);
      EXPECT_TRUE(w.ok()) << w.status();
      if (!w.ok()) return {};
      // Past the HEAD check of Create(), and past uploading every part
      // (Append uploads all but the last), so that Close() races.
      EXPECT_TRUE((*w)->Append(datas->back()).ok());
      ws.push_back(std::move(*w));
    }
    std::vector<absl::Status> out(writers);
    std::barrier sync(writers);
    std::vector<std::thread> threads;
    for (int i = 0; i < writers; ++i) {
      threads.emplace_back([&, i] {
        sync.arrive_and_wait();
        out[i] = ws[i]->Close();
      });
    }
    for (auto& t : threads) t.join();
    return out;
  }

  // Exactly one winner, the others kAlreadyExists, and the object holds the
  // winner's bytes. Returns how many losers the server itself refused (412)
  // rather than the writer's HEAD check.
  int ExpectOneWinner(const std::string& name,
                      const std::vector<absl::Status>& results,
                      const std::vector<std::string>& datas) {
    int winners = 0, refused_by_server = 0, winner = -1;
    for (size_t i = 0; i < results.size(); ++i) {
      if (results[i].ok()) {
        ++winners;
        winner = static_cast<int>(i);
      } else {
        EXPECT_TRUE(absl::IsAlreadyExists(results[i])) << results[i];
        if (absl::StrContains(results[i].message(), "412") ||
            absl::StrContains(results[i].message(), "held by another")) {
          ++refused_by_server;
        }
      }
    }
    EXPECT_EQ(winners, 1);
    if (winner < 0) return 0;
    auto s = Open(options_);
    auto back = s->ReadAll(name);
    EXPECT_TRUE(back.ok()) << back.status();
    if (back.ok()) {
      EXPECT_TRUE(*back == datas[winner]);
    }
    return refused_by_server;
  }

  void ExpectRefused(s3::S3Options bad, const std::string& code);

  S3TestServer* server_ = nullptr;
  s3::S3Options options_;
};

// --- Credentials -------------------------------------------------------------

// Storage with `bad` credentials: writing, listing and reading are each one
// kPermissionDenied naming the server's `code`, the bucket and the endpoint,
// and none is retried.
void S3RgwTest::ExpectRefused(s3::S3Options bad, const std::string& code) {
  // Retrying would take at least a second per attempt.
  bad.retry_base_ms = bad.retry_cap_ms = 1000;
  auto s = Open(bad);
  const absl::Time t0 = absl::Now();
  absl::Status w = s->WriteAll("x", "y");
  auto list = s->List("");
  auto read = s->ReadAll("x");
  EXPECT_LT(absl::Now() - t0, absl::Seconds(1));
  for (const absl::Status& st : {w, list.status(), read.status()}) {
    EXPECT_TRUE(absl::IsPermissionDenied(st)) << st;
    EXPECT_THAT(std::string(st.message()),
                AllOf(HasSubstr(code), HasSubstr(S3TestServer::kBucket),
                      HasSubstr(server_->endpoint())));
  }
}

TEST_F(S3RgwTest, WrongSecretIsSignatureDoesNotMatchNamedAndNotRetried) {
  s3::S3Options bad = options_;
  bad.credentials.secret_access_key = "not-the-secret";
  ExpectRefused(bad, "SignatureDoesNotMatch");
  // Opening through a URI checks the bucket first: refused up front.
  StorageOpenOptions o;
  o.s3.access_key_id = S3TestServer::kAccessKey;
  o.s3.secret_access_key = "not-the-secret";
  auto opened = OpenStorage(absl::StrCat("s3://", S3TestServer::kBucket,
                                         "/p?endpoint=", server_->endpoint()),
                            o);
  EXPECT_TRUE(absl::IsPermissionDenied(opened.status())) << opened.status();
  EXPECT_THAT(
      std::string(opened.status().message()),
      AllOf(HasSubstr(S3TestServer::kBucket), HasSubstr(server_->endpoint())));
}

TEST_F(S3RgwTest, UnknownKeyIsInvalidAccessKeyIdNamedAndNotRetried) {
  s3::S3Options bad = options_;
  bad.credentials.access_key_id = "NOSUCHKEY0000000000";
  ExpectRefused(bad, "InvalidAccessKeyId");
}

// --- Create-only writes ------------------------------------------------------

TEST_F(S3RgwTest, ServerRefusesPutIfNoneMatchOnExistingObject) {
  ASSERT_TRUE(Open(options_)->WriteAll("taken", "first").ok());
  s3::HttpResponse r =
      Raw("PUT", "taken", {{"if-none-match", "*"}}, {}, "second");
  EXPECT_EQ(r.status, 412) << r.body;
}

TEST_F(S3RgwTest, RacingSinglePartWritersExactlyOneWins) {
  int refused_by_server = 0;
  for (int round = 0; round < 5; ++round) {
    const std::string name = absl::StrCat("single-", round);
    std::vector<std::string> datas;
    std::vector<absl::Status> results = Race(name, 4, 5000, &datas);
    ASSERT_EQ(results.size(), 4u);
    refused_by_server += ExpectOneWinner(name, results, datas);
  }
  RecordProperty("losers_refused_by_server_412", refused_by_server);
}

TEST_F(S3RgwTest, RacingMultipartWritersExactlyOneWins) {
  int refused_by_claim = 0;
  for (int round = 0; round < 3; ++round) {
    const std::string name = absl::StrCat("multi-", round);
    std::vector<std::string> datas;
    // Three parts of 1 MiB and a bit.
    std::vector<absl::Status> results =
        Race(name, 3, (3 << 20) + 17 * round + 1, &datas);
    ASSERT_EQ(results.size(), 3u);
    refused_by_claim += ExpectOneWinner(name, results, datas);
  }
  RecordProperty("losers_refused_by_claim", refused_by_claim);
  // The losers' uploads were aborted: no parts linger.
  s3::HttpResponse uploads = server_->Send(
      options_.bucket,
      s3::S3Call{.method = "GET",
                 .query = {{"uploads", ""}, {"prefix", options_.prefix}}});
  ASSERT_EQ(uploads.status, 200) << uploads.body;
  EXPECT_THAT(uploads.body, ::testing::Not(HasSubstr("<Upload>")));
  // Claims are never listed.
  auto list = Open(options_)->List("");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 3u);
}

// Why multipart objects need the claim: RGW completes a multipart upload
// over an existing object even with "If-None-Match: *".
TEST_F(S3RgwTest, ServerIgnoresIfNoneMatchOnCompleteMultipartUpload) {
  ASSERT_TRUE(Open(options_)->WriteAll("over", "original").ok());
  s3::HttpResponse create = Raw("POST", "over", {}, {{"uploads", ""}});
  ASSERT_EQ(create.status, 200) << create.body;
  const std::string id = s3::XmlElementText(create.body, "UploadId");
  s3::HttpResponse part =
      Raw("PUT", "over", {}, {{"partNumber", "1"}, {"uploadId", id}}, "new");
  ASSERT_EQ(part.status, 200) << part.body;
  const std::string xml = absl::StrCat(
      "<CompleteMultipartUpload><Part><PartNumber>1</PartNumber>"
      "<ETag>",
      part.Header("etag"), "</ETag></Part></CompleteMultipartUpload>");
  s3::HttpResponse done =
      Raw("POST", "over", {{"if-none-match", "*"}}, {{"uploadId", id}}, xml);
  EXPECT_EQ(done.status, 200)
      << "RGW now refuses (HTTP " << done.status
      << "): the claim could be dropped for such servers";
}

TEST_F(S3RgwTest, StaleMultipartClaimIsTakenOverOnlyAfterTheLease) {
  const std::string data = Pattern((2 << 20) + 5, 7);
  // A claim left by a writer that died before completing.
  s3::HttpResponse claim = server_->Send(
      options_.bucket, s3::S3Call{.method = "PUT",
                                  .key = absl::StrCat(".wayback-claims/",
                                                      options_.prefix, "big"),
                                  .body = "left behind"});
  ASSERT_EQ(claim.status, 200) << claim.body;
  absl::Status blocked = Open(options_)->WriteAll("big", data);
  EXPECT_TRUE(absl::IsAlreadyExists(blocked)) << blocked;
  EXPECT_THAT(std::string(blocked.message()), HasSubstr("held by another"));
  // Small objects need no claim.
  EXPECT_TRUE(Open(options_)->WriteAll("small", "s").ok());
  s3::S3Options lease0 = options_;
  lease0.claim_lease_s = 0;
  ASSERT_TRUE(Open(lease0)->WriteAll("big", data).ok());
  auto back = Open(options_)->ReadAll("big");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == data);
  // Deleted with its claim: the name can be created again at once.
  ASSERT_TRUE(Open(options_)->Delete("big").ok());
  EXPECT_TRUE(Open(options_)->WriteAll("big", data).ok());
}

// RGW compares If-Match on PUT byte for byte with the ETag it stored, which
// has no quotes: the quoted form that servers return and SDKs send gets 412.
// The claim takeover therefore sends it unquoted.
TEST_F(S3RgwTest, IfMatchOnPutWantsTheUnquotedEtag) {
  ASSERT_TRUE(Open(options_)->WriteAll("etag", "v1").ok());
  s3::HttpResponse head = Raw("HEAD", "etag");
  ASSERT_EQ(head.status, 200);
  std::string quoted = head.Header("etag");
  ASSERT_GE(quoted.size(), 2u);
  ASSERT_EQ(quoted.front(), '"');
  EXPECT_EQ(Raw("PUT", "etag", {{"if-match", quoted}}, {}, "v2").status, 412);
  EXPECT_EQ(Raw("PUT", "etag",
                {{"if-match", quoted.substr(1, quoted.size() - 2)}}, {}, "v2")
                .status,
            200);
}

// --- Object Lock -------------------------------------------------------------

TEST_F(S3RgwTest, ObjectUnderComplianceRetentionRefusesDelete) {
  const std::string bucket = "wayback-locked";
  ASSERT_TRUE(server_
                  ->EnsureBucket(bucket, {.object_lock = true,
                                          .default_retention_days = 1})
                  .ok());
  options_.bucket = bucket;
  auto s = Open(options_);
  const std::string big = Pattern((2 << 20) + 3, 9);
  ASSERT_TRUE(s->WriteAll("seg", "locked bytes").ok());
  ASSERT_TRUE(s->WriteAll("big", big).ok());
  for (const char* name : {"seg", "big"}) {
    absl::Status d = s->Delete(name);
    EXPECT_TRUE(absl::IsFailedPrecondition(d)) << name << ": " << d;
    EXPECT_THAT(std::string(d.message()),
                AllOf(HasSubstr(name), HasSubstr("COMPLIANCE"),
                      HasSubstr("retention until"), HasSubstr("not deleted")));
  }
  // Still there, whole, and listed.
  auto back = s->ReadAll("big");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_TRUE(*back == big);
  auto list = s->List("");
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->size(), 2u);
  // The server's side: shortening the retention is refused, and so is
  // deleting the version itself.
  s3::HttpResponse head = Raw("HEAD", "seg");
  ASSERT_EQ(head.status, 200);
  EXPECT_EQ(head.Header("x-amz-object-lock-mode"), "COMPLIANCE");
  const std::string version = head.Header("x-amz-version-id");
  ASSERT_FALSE(version.empty());
  const std::string sooner = absl::FormatTime(
      "%Y-%m-%dT%H:%M:%SZ", absl::Now() + absl::Hours(1), absl::UTCTimeZone());
  s3::HttpResponse shorten =
      Raw("PUT", "seg", {}, {{"retention", ""}},
          absl::StrCat("<Retention><Mode>COMPLIANCE</Mode><RetainUntilDate>",
                       sooner, "</RetainUntilDate></Retention>"));
  EXPECT_EQ(shorten.status, 403) << shorten.body;
  EXPECT_EQ(Raw("DELETE", "seg", {}, {{"versionId", version}}).status, 403);
  // A plain DELETE would have "succeeded" with a delete marker (hiding the
  // object); Delete did not send one, so the object is still current.
  EXPECT_EQ(Raw("HEAD", "seg").status, 200);
}

// --- Versioned buckets
// ---------------------------------------------------------

TEST_F(S3RgwTest, VersionedBucketListsLikeAPlainOne) {
  ASSERT_TRUE(
      server_->EnsureBucket("wayback-versioned", {.versioning = true}).ok());
  options_.bucket = "wayback-versioned";
  auto s = Open(options_);
  for (const char* name : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(s->WriteAll(name, name).ok());
  }
  ASSERT_TRUE(s->Delete("b").ok());
  ASSERT_TRUE(s->Delete("d").ok());
  ASSERT_TRUE(s->WriteAll("d", "d again").ok());  // Over a delete marker.
  auto list = s->List("");
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<std::string> names;
  for (const ObjectInfo& i : *list) names.push_back(i.name);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "c", "d"}));
  EXPECT_TRUE(absl::IsNotFound(s->Stat("b").status()));
  auto d = s->ReadAll("d");
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, "d again");
  // The bucket does keep the history: delete markers and old versions.
  s3::HttpResponse versions = server_->Send(
      options_.bucket,
      s3::S3Call{.method = "GET",
                 .query = {{"versions", ""}, {"prefix", options_.prefix}}});
  ASSERT_EQ(versions.status, 200);
  EXPECT_THAT(versions.body, HasSubstr("<DeleteMarker>"));
}

}  // namespace
}  // namespace wayback::testing
