// Copyright 2026 The Wayback Authors.
//
// The restore marker's JSON (format 1, rocksdb_target.md): the frozen
// encoding, the round trip, and one test per way a stored marker can be
// damaged.

#include "src/target/rocksdb/restore_marker.h"

#include <string>

#include "gtest/gtest.h"

namespace wayback::rocksdb_internal {
namespace {

RestoreMarker Example() {
  RestoreMarker m;
  m.repository = "file:///backup/repo";
  m.target = "lsn 526536";
  m.timeline = 1;
  m.last_applied_lsn = 526536;
  m.last_applied_commit_time = 1700000000000000000;
  m.complete = true;
  return m;
}

void ExpectDataLoss(const std::string& bytes) {
  auto m = DecodeMarker(bytes, "/restore/db");
  ASSERT_FALSE(m.ok()) << bytes;
  EXPECT_EQ(m.status().code(), absl::StatusCode::kDataLoss) << bytes;
  EXPECT_NE(m.status().message().find("/restore/db"), std::string::npos)
      << m.status();
}

TEST(RestoreMarkerTest, EncodingIsTheSpecsExample) {
  EXPECT_EQ(
      EncodeMarker(Example()),
      "{\"complete\":true,\"format\":1,\"last_applied_commit_time\":"
      "1700000000000000000,\"last_applied_lsn\":526536,\"repository\":"
      "\"file:///backup/repo\",\"target\":\"lsn 526536\",\"timeline\":1}");
}

TEST(RestoreMarkerTest, RoundTrips) {
  RestoreMarker m = Example();
  m.complete = false;
  m.timeline = UINT32_MAX;
  m.last_applied_commit_time = -5;  // Before the epoch.
  auto back = DecodeMarker(EncodeMarker(m), "db");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->repository, m.repository);
  EXPECT_EQ(back->target, m.target);
  EXPECT_EQ(back->timeline, m.timeline);
  EXPECT_EQ(back->last_applied_lsn, m.last_applied_lsn);
  EXPECT_EQ(back->last_applied_commit_time, m.last_applied_commit_time);
  EXPECT_FALSE(back->complete);
}

TEST(RestoreMarkerTest, BytesThatAreNotUtf8AreReplaced) {
  RestoreMarker m = Example();
  m.repository = "file:///x\xff";
  auto back = DecodeMarker(EncodeMarker(m), "db");
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->repository, "file:///x\xEF\xBF\xBD");  // U+FFFD.
}

TEST(RestoreMarkerTest, NotJson) { ExpectDataLoss("{\"format\":1,"); }
TEST(RestoreMarkerTest, NotAnObject) { ExpectDataLoss("[1,2]"); }
TEST(RestoreMarkerTest, Empty) { ExpectDataLoss(""); }

TEST(RestoreMarkerTest, UnknownFormat) {
  std::string s = EncodeMarker(Example());
  s.replace(s.find("\"format\":1"), 10, "\"format\":2");
  ExpectDataLoss(s);
}

TEST(RestoreMarkerTest, MissingField) {
  std::string s = EncodeMarker(Example());
  s.replace(s.find("\"complete\":true,"), 16, "");
  ExpectDataLoss(s);
}

TEST(RestoreMarkerTest, MistypedField) {
  std::string s = EncodeMarker(Example());
  s.replace(s.find("\"timeline\":1"), 12, "\"timeline\":\"1\"");
  ExpectDataLoss(s);
}

TEST(RestoreMarkerTest, NegativeLsn) {
  std::string s = EncodeMarker(Example());
  s.replace(s.find("526536,"), 6, "-1");
  ExpectDataLoss(s);
}

TEST(RestoreMarkerTest, TimelineBeyond32Bits) {
  std::string s = EncodeMarker(Example());
  s.replace(s.find("\"timeline\":1"), 12, "\"timeline\":4294967296");
  ExpectDataLoss(s);
}

}  // namespace
}  // namespace wayback::rocksdb_internal
