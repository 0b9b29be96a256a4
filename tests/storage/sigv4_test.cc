// Copyright 2026 The Wayback Authors.
//
// SigV4 signing of the requests S3 storage sends, checked (1) against the
// worked example in the AWS S3 documentation and (2) against botocore, an
// independent implementation that also encodes the key and the query itself
// (tests/storage/sigv4_oracle.py).

#include "src/storage/sigv4.h"

#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/storage/s3_client.h"
#include "tests/testutil/testutil.h"

namespace wayback::s3 {
namespace {

std::string HeaderOf(const HttpRequest& r, std::string_view name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

// From "Signature Calculations for the Authorization Header: Transferring
// Payload in a Single Chunk", AWS S3 API reference: GET /test.txt with
// Range: bytes=0-9 on examplebucket.
TEST(SigV4Test, AwsDocumentationExampleGetObject) {
  S3Options o;
  o.bucket = "examplebucket";
  o.endpoint = "https://s3.amazonaws.com";
  o.region = "us-east-1";
  o.path_style = false;
  o.credentials = {"AKIAIOSFODNN7EXAMPLE",
                   "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
  S3Call call{.method = "GET", .key = "test.txt"};
  call.headers = {{"Range", "bytes=0-9"}};
  HttpRequest r = BuildS3Request(o, call, "20130524T000000Z");
  EXPECT_EQ(r.url, "https://examplebucket.s3.amazonaws.com/test.txt");
  EXPECT_EQ(HeaderOf(r, "authorization"),
            "AWS4-HMAC-SHA256 "
            "Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/"
            "aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature="
            "f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
}

TEST(SigV4Test, UriEncodeAndCanonicalQuery) {
  EXPECT_EQ(UriEncode("a b/c~d_e-f.g", false), "a%20b/c~d_e-f.g");
  EXPECT_EQ(UriEncode("a b/c", true), "a%20b%2Fc");
  EXPECT_EQ(UriEncode("\xC3\xBC+=&", false), "%C3%BC%2B%3D%26");
  EXPECT_EQ(CanonicalQueryString({{"uploads", ""}}), "uploads=");
  EXPECT_EQ(CanonicalQueryString({{"b", "2"}, {"a", "x y"}, {"a", "1"}}),
            "a=1&a=x%20y&b=2");
}

struct OracleCase {
  std::string name = {};
  std::string method = {};
  std::string key = {};
  bool path_style = true;
  HeaderList query = {};
  HeaderList headers = {};
  std::string body = {};
  std::string token = {};
};

std::vector<OracleCase> AllCases() {
  return {
      OracleCase{.name = "Get", .method = "GET", .key = "log/seg-000001"},
      OracleCase{.name = "Head", .method = "HEAD", .key = "snap/1"},
      OracleCase{.name = "RangedGet",
                 .method = "GET",
                 .key = "log/seg-000002",
                 .headers = {{"range", "bytes=1048576-2097151"}}},
      OracleCase{.name = "PutWithBody",
                 .method = "PUT",
                 .key = "snap/000042.snap",
                 .headers = {{"content-md5", "rL0Y20zC+Fzt72VPzMSk2A=="},
                             {"if-none-match", "*"}},
                 .body = std::string("binary\0body\xff bytes", 18)},
      OracleCase{.name = "ListWithQuery",
                 .method = "GET",
                 .key = "",
                 .query = {{"list-type", "2"},
                           {"prefix", "repo/log/seg-"},
                           {"max-keys", "1000"},
                           {"continuation-token",
                            "1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="}}},
      OracleCase{.name = "ListPrefixWithSpacesAndUnicode",
                 .method = "GET",
                 .key = "",
                 .query = {{"list-type", "2"},
                           {"prefix", "r\xC3\xA9po s/\xE2\x82\xAC x"}}},
      OracleCase{.name = "KeyWithSpaces",
                 .method = "GET",
                 .key = "dir with spaces/obj name+plus=eq&amp"},
      OracleCase{
          .name = "KeyNonAscii",
          .method = "PUT",
          .key = "patient/M\xC3\xBCller/\xE2\x82\xAC/\xE6\x97\xA5\xE6\x9C\xAC",
          .body = "x"},
      OracleCase{.name = "SessionToken",
                 .method = "GET",
                 .key = "log/seg-000003",
                 .token = "FwoGZXIvYXdzEBYaDH+session/token=="},
      OracleCase{.name = "MultipartInitiate",
                 .method = "POST",
                 .key = "big object",
                 .query = {{"uploads", ""}}},
      OracleCase{.name = "UploadPart",
                 .method = "PUT",
                 .key = "big object",
                 .query = {{"partNumber", "7"}, {"uploadId", "a+b/c=="}},
                 .body = "part bytes"},
      OracleCase{.name = "VirtualHosted",
                 .method = "GET",
                 .key = "vh/key",
                 .path_style = false},
      OracleCase{.name = "HeaderWhitespace",
                 .method = "GET",
                 .key = "k",
                 .headers = {{"X-Amz-Meta-Note", "  two   spaces  "}}}};
}

S3Options OracleOptions(const OracleCase& c) {
  S3Options o;
  o.bucket = "wayback-bucket";
  o.endpoint = "http://127.0.0.1:9000";
  o.region = "eu-west-3";
  o.path_style = c.path_style;
  o.credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                   c.token};
  return o;
}

constexpr char kDate[] = "20260102T030405Z";

// botocore's answers for every case, computed by one python3 run (importing
// botocore is slow); nullopt with a reason when python3 or botocore is absent.
struct OracleAnswers {
  bool skip = false;
  std::string error;
  nlohmann::json answers;
};

const OracleAnswers& Answers() {
  static const OracleAnswers* answers = [] {
    auto* a = new OracleAnswers();
    nlohmann::json in = nlohmann::json::array();
    for (const OracleCase& c : AllCases()) {
      S3Options o = OracleOptions(c);
      nlohmann::json r = {{"method", c.method},
                          {"endpoint", o.endpoint},
                          {"bucket", o.bucket},
                          {"key", c.key},
                          {"path_style", c.path_style},
                          {"query", nlohmann::json::array()},
                          {"headers", nlohmann::json::array()},
                          {"body_hex", HexEncode(c.body)},
                          {"amz_date", kDate},
                          {"access_key", o.credentials.access_key_id},
                          {"secret_key", o.credentials.secret_access_key},
                          {"token", c.token},
                          {"region", o.region}};
      for (const auto& [k, v] : c.query) r["query"].push_back({k, v});
      for (const auto& [k, v] : c.headers) r["headers"].push_back({k, v});
      in.push_back(r);
    }
    testing::TempDir tmp;
    const std::string in_path = tmp.path() + "/in.json";
    const std::string out_path = tmp.path() + "/out.json";
    std::ofstream(in_path) << in.dump();
    const std::string cmd = absl::StrCat("python3 " WAYBACK_SOURCE_DIR
                                         "/tests/storage/sigv4_oracle.py < ",
                                         in_path, " > ", out_path, " 2>&1");
    int rc = std::system(cmd.c_str());
    std::ifstream out_file(out_path);
    std::string out_text((std::istreambuf_iterator<char>(out_file)),
                         std::istreambuf_iterator<char>());
    if (rc != 0 && (WEXITSTATUS(rc) == 127 || WEXITSTATUS(rc) == 3)) {
      a->skip = true;
    } else if (rc != 0) {
      a->error = out_text;
    } else {
      a->answers = nlohmann::json::parse(out_text);
    }
    return a;
  }();
  return *answers;
}

class SigV4BotocoreTest : public ::testing::TestWithParam<size_t> {};

TEST_P(SigV4BotocoreTest, MatchesBotocore) {
  const OracleCase c = AllCases()[GetParam()];
  const OracleAnswers& answers = Answers();
  if (answers.skip) GTEST_SKIP() << "python3 or botocore is not installed";
  ASSERT_TRUE(answers.error.empty()) << answers.error;
  ASSERT_EQ(answers.answers.size(), AllCases().size());
  const nlohmann::json& out = answers.answers[GetParam()];
  S3Call call{.method = c.method,
              .key = c.key,
              .query = c.query,
              .headers = c.headers,
              .body = c.body};
  HttpRequest ours = BuildS3Request(OracleOptions(c), call, kDate);
  // The same URL path (botocore encodes the key itself) ...
  std::string our_path = ours.url.substr(0, ours.url.find('?'));
  EXPECT_EQ(our_path, out["url"].get<std::string>());
  // ... and the same signature.
  EXPECT_EQ(HeaderOf(ours, "authorization"),
            out["authorization"].get<std::string>())
      << "botocore's canonical request:\n"
      << out["canonical_request"].get<std::string>();
  if (!c.token.empty()) {
    EXPECT_EQ(HeaderOf(ours, "x-amz-security-token"), c.token);
  }
}

INSTANTIATE_TEST_SUITE_P(Cases, SigV4BotocoreTest,
                         ::testing::Range<size_t>(0, AllCases().size()),
                         [](const ::testing::TestParamInfo<size_t>& info) {
                           return AllCases()[info.param].name;
                         });

}  // namespace
}  // namespace wayback::s3
