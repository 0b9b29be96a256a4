// Copyright 2026 The Wayback Authors.
//
// The pure parts of the JSONL format: ParseImportLine(), base64, UTF-8.
// One short test per error path.

#include <random>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/workload/workload.h"
#include "wayback/recovery.h"

namespace wayback {
namespace {

using ::testing::HasSubstr;

std::string ErrorOf(std::string_view line) {
  auto r = ParseImportLine(line);
  EXPECT_FALSE(r.ok()) << line;
  if (r.ok()) return "";
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  return std::string(r.status().message());
}

TEST(ParseImportLine, Transaction) {
  auto r = ParseImportLine(
      R"({"txid": 17, "time": "2026-11-25T10:42:00.000001234Z", "ops": [)"
      R"({"op": "put", "key": "patient/42", "value": "{\"a\":1}"},)"
      R"({"op": "delete", "key": "patient/43"}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, ImportEvent::Kind::kTransaction);
  auto t = ParseCommitTime("2026-11-25T10:42:00.000001234Z");
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(r->commit_time, *t);
  Transaction want;
  want.txid = 17;
  want.commit_time = *t;
  want.Put("patient/42", "{\"a\":1}");
  want.Delete("patient/43");
  EXPECT_EQ(r->txn, want);
}

TEST(ParseImportLine, TxidIsOptionalAndOpsMayBeEmpty) {
  auto r = ParseImportLine(R"({"time": "@1000", "ops": []})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_FALSE(r->txn.txid.has_value());
  EXPECT_EQ(r->commit_time, 1000);
  EXPECT_TRUE(r->txn.mutations.empty());
}

TEST(ParseImportLine, RestorePoint) {
  auto r = ParseImportLine(
      R"({"restore_point": "before-batch", "time": "2026-11-25T11:42:01+01:00"})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->kind, ImportEvent::Kind::kRestorePoint);
  EXPECT_EQ(r->restore_point, "before-batch");
  EXPECT_EQ(r->commit_time, *ParseCommitTime("2026-11-25T10:42:01Z"));
}

TEST(ParseImportLine, Base64KeysAndValuesCarryAnyBytes) {
  auto r = ParseImportLine(
      R"({"time": "@5", "ops": [{"op": "put", "key_b64": "AP8=", "value_b64": ""},)"
      R"({"op": "delete", "key_b64": "gA=="}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->txn.mutations.size(), 2u);
  EXPECT_EQ(r->txn.mutations[0].key, std::string("\x00\xff", 2));
  EXPECT_EQ(r->txn.mutations[0].value, "");
  EXPECT_EQ(r->txn.mutations[1].key, "\x80");
}

TEST(ParseImportLine, BadJson) {
  EXPECT_THAT(ErrorOf(R"({"time": "@5", "ops": [)"), HasSubstr("bad JSON"));
  EXPECT_THAT(ErrorOf("not json"), HasSubstr("bad JSON"));
}
TEST(ParseImportLine, NotAnObject) {
  EXPECT_THAT(ErrorOf("[1,2]"), HasSubstr("one JSON object"));
}
TEST(ParseImportLine, MissingTime) {
  EXPECT_THAT(ErrorOf(R"({"ops": []})"), HasSubstr("missing \"time\""));
}
TEST(ParseImportLine, MissingOps) {
  EXPECT_THAT(ErrorOf(R"({"time": "@5"})"), HasSubstr("missing \"ops\""));
}
TEST(ParseImportLine, MissingKey) {
  EXPECT_THAT(ErrorOf(R"({"time": "@5", "ops": [{"op": "delete"}]})"),
              HasSubstr("ops[0]: missing \"key\""));
}
TEST(ParseImportLine, MissingValue) {
  EXPECT_THAT(ErrorOf(R"({"time": "@5", "ops": [{"op": "put", "key": "k"}]})"),
              HasSubstr("ops[0]: missing \"value\""));
}
TEST(ParseImportLine, MissingOp) {
  EXPECT_THAT(ErrorOf(R"({"time": "@5", "ops": [{"key": "k"}]})"),
              HasSubstr("missing \"op\""));
}
TEST(ParseImportLine, UnknownOp) {
  EXPECT_THAT(
      ErrorOf(R"({"time": "@5", "ops": [{"op": "merge", "key": "k"}]})"),
      HasSubstr("unknown op \"merge\""));
}
TEST(ParseImportLine, UnknownField) {
  EXPECT_THAT(ErrorOf(R"({"time": "@5", "ops": [], "tixd": 3})"),
              HasSubstr("unknown field \"tixd\""));
}
TEST(ParseImportLine, DeleteWithValue) {
  EXPECT_THAT(
      ErrorOf(
          R"({"time": "@5", "ops": [{"op": "delete", "key": "k", "value": "v"}]})"),
      HasSubstr("unknown field \"value\""));
}
TEST(ParseImportLine, TimeWithoutOffset) {
  EXPECT_THAT(ErrorOf(R"({"time": "2026-11-25T10:42:00", "ops": []})"),
              HasSubstr("\"time\""));
}
TEST(ParseImportLine, TimeNotAString) {
  EXPECT_THAT(ErrorOf(R"({"time": 12, "ops": []})"),
              HasSubstr("\"time\" must be a string"));
}
TEST(ParseImportLine, NegativeTxid) {
  EXPECT_THAT(ErrorOf(R"({"txid": -1, "time": "@5", "ops": []})"),
              HasSubstr("\"txid\" must be a non-negative integer"));
}
TEST(ParseImportLine, InvalidBase64) {
  EXPECT_THAT(
      ErrorOf(
          R"({"time": "@5", "ops": [{"op": "delete", "key_b64": "a$=="}]})"),
      HasSubstr("invalid base64"));
}
TEST(ParseImportLine, BothTextAndBase64) {
  EXPECT_THAT(
      ErrorOf(
          R"({"time": "@5", "ops": [{"op": "delete", "key": "a", "key_b64": "YQ=="}]})"),
      HasSubstr("both"));
}
TEST(ParseImportLine, EmptyRestorePointName) {
  EXPECT_THAT(ErrorOf(R"({"restore_point": "", "time": "@5"})"),
              HasSubstr("non-empty"));
}
TEST(ParseImportLine, InvalidUtf8InJsonString) {
  EXPECT_THAT(ErrorOf("{\"time\": \"@5\", \"ops\": [{\"op\": \"delete\", "
                      "\"key\": \"\xff\"}]}"),
              HasSubstr("bad JSON"));
}

// A cheap fuzz pass: every truncation and many random byte edits of valid
// lines parse or fail with kInvalidArgument; nothing crashes or throws.
TEST(ParseImportLine, SurvivesMangledLines) {
  const std::string seeds[] = {
      R"({"txid": 17, "time": "2026-11-25T10:42:00.000001234Z", "ops": [{"op": "put", "key": "p/42", "value": "v"}, {"op": "delete", "key_b64": "AP8="}]})",
      R"({"restore_point": "before-batch", "time": "2026-11-25T11:42:01+01:00"})"};
  std::mt19937_64 rng(1);
  for (const std::string& seed : seeds) {
    for (size_t n = 0; n <= seed.size(); ++n) {
      auto r = ParseImportLine(std::string_view(seed).substr(0, n));
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
      }
    }
    for (int i = 0; i < 5000; ++i) {
      std::string line = seed;
      int edits = 1 + static_cast<int>(rng() % 4);
      for (int e = 0; e < edits; ++e) {
        line[rng() % line.size()] = static_cast<char>(rng() % 256);
      }
      auto r = ParseImportLine(line);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument)
            << line;
      }
    }
  }
}

TEST(Base64, RoundTripsEveryLength) {
  std::string bytes;
  for (int n = 0; n < 40; ++n) {
    std::string enc = Base64Encode(bytes);
    EXPECT_EQ(enc.size() % 4, 0u);
    auto dec = Base64Decode(enc);
    ASSERT_TRUE(dec.ok()) << enc;
    EXPECT_EQ(*dec, bytes);
    bytes.push_back(static_cast<char>(n * 37 + 200));
  }
  EXPECT_EQ(Base64Encode("foobar"), "Zm9vYmFy");  // RFC 4648 vectors.
  EXPECT_EQ(Base64Encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(Base64Encode("foob"), "Zm9vYg==");
}

TEST(Base64, RefusesWhatIsNotStrictBase64) {
  for (const char* bad :
       {"Zm9", "Zm9vY", "Zm=v", "Zm9v\n", "Zh==", "Zm9=Zm9v", "====", "Zm9-"}) {
    EXPECT_FALSE(Base64Decode(bad).ok()) << bad;
  }
}

TEST(Utf8, AcceptsWellFormedAndRefusesMalformed) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("patient/42"));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xff"));
  EXPECT_FALSE(IsValidUtf8("\xc3"));              // Truncated.
  EXPECT_FALSE(IsValidUtf8("\xe2\x82"));          // Truncated.
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));          // Overlong '/'.
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));      // Surrogate.
  EXPECT_FALSE(IsValidUtf8("\xf4\x90\x80\x80"));  // Beyond U+10FFFF.
  EXPECT_FALSE(IsValidUtf8(std::string("a\x80", 2)));
}

}  // namespace
}  // namespace wayback
