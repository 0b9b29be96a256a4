// Copyright 2026 The Wayback Authors.
//
// The S3 backend's parsers: s3:// URIs, ListObjectsV2 pages, XML escapes.
// The XML parser also gets random and mutated input (it reads what a server
// sends, so it must survive anything).

#include <cstdlib>
#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/s3_uri.h"
#include "src/storage/s3_xml.h"

namespace wayback::s3 {
namespace {

TEST(ParseS3UriTest, FullForm) {
  auto o = ParseS3Uri(
      "s3://my-bucket/some/prefix/?endpoint=http%3A%2F%2F127.0.0.1%3A9000&"
      "region=eu-west-1&path_style=false&part_size=6000000&max_keys=7");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->bucket, "my-bucket");
  EXPECT_EQ(o->prefix, "some/prefix/");
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(o->region, "eu-west-1");
  EXPECT_FALSE(o->path_style);
  EXPECT_EQ(o->part_size, 6000000u);
  EXPECT_EQ(o->max_keys, 7);
}

TEST(ParseS3UriTest, UnescapedEndpointAndDefaults) {
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_ENDPOINT_URL_S3");
  unsetenv("AWS_REGION");
  unsetenv("AWS_DEFAULT_REGION");
  auto o = ParseS3Uri("s3://b?endpoint=http://127.0.0.1:9000/");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->prefix, "");
  EXPECT_EQ(o->endpoint, "http://127.0.0.1:9000");
  EXPECT_EQ(o->region, "us-east-1");
  EXPECT_TRUE(o->path_style);  // Custom endpoint: path-style by default.
  auto aws = ParseS3Uri("s3://b/p");
  ASSERT_TRUE(aws.ok());
  EXPECT_EQ(aws->endpoint, "https://s3.us-east-1.amazonaws.com");
  EXPECT_FALSE(aws->path_style);
  EXPECT_TRUE(aws->verify_tls);
}

TEST(ParseS3UriTest, Environment) {
  setenv("AWS_ENDPOINT_URL", "http://env-host:1234", 1);
  setenv("AWS_REGION", "ap-south-1", 1);
  setenv("AWS_ACCESS_KEY_ID", "AK", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SK", 1);
  setenv("AWS_SESSION_TOKEN", "TOK", 1);
  auto o = ParseS3Uri("s3://b/p");
  unsetenv("AWS_ENDPOINT_URL");
  unsetenv("AWS_REGION");
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("AWS_SESSION_TOKEN");
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoint, "http://env-host:1234");
  EXPECT_EQ(o->region, "ap-south-1");
  EXPECT_EQ(o->credentials.access_key_id, "AK");
  EXPECT_EQ(o->credentials.secret_access_key, "SK");
  EXPECT_EQ(o->credentials.session_token, "TOK");
}

TEST(ParseS3UriTest, Refusals) {
  for (std::string uri :
       {"s3://", "s3:///prefix", "s3://Bad_Upper", "s3://b/../x", "s3://b/a//b",
        "s3://b?endpoint=ftp://x", "s3://b?endpoint=http://h/path",
        "s3://b?unknown=1", "s3://b?path_style=maybe", "s3://b?part_size=12",
        "s3://b?max_keys=0", "s3://b?endpoint=%zz", "http://b"}) {
    auto o = ParseS3Uri(uri);
    EXPECT_TRUE(absl::IsInvalidArgument(o.status()))
        << uri << " " << o.status();
  }
  // Through the registry too.
  EXPECT_TRUE(absl::IsInvalidArgument(OpenStorage("s3://b?bogus=1").status()));
  // Opening checks the bucket: an endpoint nobody listens on is kUnavailable
  // naming the bucket and the endpoint (one attempt, to keep this quick).
  auto unreachable =
      OpenStorage("s3://b/p?endpoint=http://127.0.0.1:1&max_attempts=1");
  EXPECT_TRUE(absl::IsUnavailable(unreachable.status()))
      << unreachable.status();
  EXPECT_THAT(std::string(unreachable.status().message()),
              ::testing::AllOf(::testing::HasSubstr("bucket \"b\""),
                               ::testing::HasSubstr("http://127.0.0.1:1")));
}

TEST(S3ParseTest, SettingsSitBetweenTheEnvironmentAndTheUri) {
  S3Settings flags{.endpoint = "http://flags:1",
                   .region = "eu-west-1",
                   .access_key_id = "AK",
                   .secret_access_key = "SK",
                   .session_token = ""};
  auto o = ParseS3Uri("s3://b/p", flags);
  ASSERT_TRUE(o.ok()) << o.status();
  EXPECT_EQ(o->endpoint, "http://flags:1");
  EXPECT_EQ(o->region, "eu-west-1");
  EXPECT_EQ(o->credentials.access_key_id, "AK");
  EXPECT_EQ(o->credentials.secret_access_key, "SK");
  EXPECT_EQ(o->credentials.session_token, "");
  auto u =
      ParseS3Uri("s3://b/p?endpoint=http://uri:2&region=ap-south-1", flags);
  ASSERT_TRUE(u.ok()) << u.status();
  EXPECT_EQ(u->endpoint, "http://uri:2");
  EXPECT_EQ(u->region, "ap-south-1");
  // Credentials never come from the URI.
  EXPECT_TRUE(absl::IsInvalidArgument(
      ParseS3Uri("s3://b?aws_access_key_id=AK").status()));
}

TEST(ListObjectsV2Test, ParsesPage) {
  const std::string xml =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
      "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
      "<Name>b</Name><Prefix>p/</Prefix><KeyCount>2</KeyCount>"
      "<IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>tok+/=&amp;</NextContinuationToken>"
      "<Contents><Key>p/a &amp; b&lt;&gt;&quot;&apos;</Key>"
      "<LastModified>2026-01-01T00:00:00.000Z</LastModified>"
      "<ETag>&quot;abc&quot;</ETag><Size>12</Size></Contents>"
      "<Contents><Key>p/caf&#233;&#x20AC;</Key><Size>0</Size></Contents>"
      "</ListBucketResult>";
  auto page = ParseListObjectsV2(xml);
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_EQ(page->objects.size(), 2u);
  EXPECT_EQ(page->objects[0].name, "p/a & b<>\"'");
  EXPECT_EQ(page->objects[0].size, 12u);
  EXPECT_EQ(page->objects[1].name, "p/caf\xC3\xA9\xE2\x82\xAC");
  EXPECT_EQ(page->objects[1].size, 0u);
  EXPECT_TRUE(page->truncated);
  EXPECT_EQ(page->next_continuation_token, "tok+/=&");
}

TEST(ListObjectsV2Test, EmptyAndLastPage) {
  auto page = ParseListObjectsV2(
      "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ASSERT_TRUE(page.ok());
  EXPECT_TRUE(page->objects.empty());
  EXPECT_FALSE(page->truncated);
}

TEST(ListObjectsV2Test, MalformedIsInternal) {
  for (std::string xml :
       {"", "<Error><Code>AccessDenied</Code></Error>",
        "<ListBucketResult><Contents><Key>a</Key></Contents></"
        "ListBucketResult>",
        "<ListBucketResult><Contents><Key>a</Key><Size>-1</Size></Contents>",
        "<ListBucketResult><Contents><Key>a</Key><Size>99999999999999999999999"
        "</Size></Contents>",
        "<ListBucketResult><Contents><Key>a&bogus;</Key><Size>1</Size>"
        "</Contents>",
        "<ListBucketResult><Contents><Key>a&#0;</Key><Size>1</Size></Contents>",
        "<ListBucketResult><Contents><Key>&#xD800;</Key><Size>1</Size>"
        "</Contents>",
        "<ListBucketResult><Contents><Key>a&amp</Key><Size>1</Size></"
        "Contents>"}) {
    auto page = ParseListObjectsV2(xml);
    EXPECT_TRUE(absl::IsInternal(page.status())) << xml;
  }
}

TEST(ListObjectsV2Test, SurvivesRandomAndMutatedInput) {
  const std::string seed_doc =
      "<ListBucketResult><IsTruncated>true</IsTruncated>"
      "<NextContinuationToken>t</NextContinuationToken>"
      "<Contents><Key>p/a&amp;b</Key><Size>12</Size></Contents>"
      "<Contents><Key>p/&#x41;</Key><Size>3</Size></Contents>"
      "</ListBucketResult>";
  std::mt19937 rng(42);
  int parsed = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string doc = seed_doc;
    const int edits = 1 + rng() % 4;
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (doc.size() + 1);
      switch (rng() % 3) {
        case 0:
          if (pos < doc.size()) doc[pos] = static_cast<char>(rng());
          break;
        case 1:
          doc.erase(pos, rng() % 16);
          break;
        case 2:
          doc.insert(pos, std::string(1 + rng() % 3, "<>&;/#x"[rng() % 7]));
          break;
      }
    }
    auto page = ParseListObjectsV2(doc);
    if (page.ok()) {
      ++parsed;
      EXPECT_LE(page->objects.size(), 2u + doc.size() / 20);
    }
  }
  EXPECT_GT(parsed, 0);
}

}  // namespace
}  // namespace wayback::s3
