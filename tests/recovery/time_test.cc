// Copyright 2026 The Wayback Authors.
//
// FormatCommitTime / ParseCommitTime. The oracle for valid instants is
// absl's civil-time conversion (an independent implementation); invalid
// inputs are each checked for kInvalidArgument and a message that shows the
// accepted forms.

#include "absl/time/time.h"

#include <cstdint>
#include <string>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "wayback/recovery.h"

namespace wayback {
namespace {

using ::testing::HasSubstr;

int64_t Oracle(int64_t y, int mo, int d, int h, int mi, int s, int64_t ns,
               int offset_minutes) {
  absl::Time t = absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                                 absl::UTCTimeZone()) -
                 absl::Minutes(offset_minutes);
  return absl::ToUnixNanos(t) + ns;
}

void ExpectRejected(const std::string& text, const std::string& why = "") {
  auto r = ParseCommitTime(text);
  ASSERT_FALSE(r.ok()) << text << " parsed as " << *r;
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << text;
  const std::string message(r.status().message());
  EXPECT_THAT(message, HasSubstr("2026-11-25T10:42:00.000001234Z"));
  EXPECT_THAT(message, HasSubstr("@<unix-nanoseconds>"));
  if (!why.empty()) {
    EXPECT_THAT(message, HasSubstr(why)) << text;
  }
}

TEST(CommitTimeTest, FormatsEpochAndExamples) {
  EXPECT_EQ(FormatCommitTime(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatCommitTime(1), "1970-01-01T00:00:00.000000001Z");
  EXPECT_EQ(FormatCommitTime(-1), "1969-12-31T23:59:59.999999999Z");
  EXPECT_EQ(FormatCommitTime(INT64_MAX), "2262-04-11T23:47:16.854775807Z");
  EXPECT_EQ(FormatCommitTime(INT64_MIN), "1677-09-21T00:12:43.145224192Z");
  EXPECT_EQ(FormatCommitTime(Oracle(2024, 2, 29, 12, 0, 0, 5, 0)),
            "2024-02-29T12:00:00.000000005Z");
}

TEST(CommitTimeTest, ParsesZuluAndOffsets) {
  EXPECT_EQ(*ParseCommitTime("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(*ParseCommitTime("1970-01-01T01:00:00+01:00"), 0);
  EXPECT_EQ(*ParseCommitTime("1969-12-31T19:00:00-05:00"), 0);
  EXPECT_EQ(*ParseCommitTime("2026-11-25T10:42:00.000001234Z"),
            Oracle(2026, 11, 25, 10, 42, 0, 1234, 0));
  EXPECT_EQ(*ParseCommitTime("2026-11-25T10:42:00.5+05:30"),
            Oracle(2026, 11, 25, 10, 42, 0, 500000000, 330));
  EXPECT_EQ(*ParseCommitTime("2026-11-25t10:42:00z"),
            Oracle(2026, 11, 25, 10, 42, 0, 0, 0));
  EXPECT_EQ(*ParseCommitTime("2026-11-25 10:42:00Z"),
            Oracle(2026, 11, 25, 10, 42, 0, 0, 0));
  EXPECT_EQ(*ParseCommitTime("2024-02-29T00:00:00Z"),
            Oracle(2024, 2, 29, 0, 0, 0, 0, 0));
  EXPECT_EQ(*ParseCommitTime("2000-02-29T00:00:00Z"),
            Oracle(2000, 2, 29, 0, 0, 0, 0, 0));
}

TEST(CommitTimeTest, ParsesUnixNanos) {
  EXPECT_EQ(*ParseCommitTime("@0"), 0);
  EXPECT_EQ(*ParseCommitTime("@1795602120000001234"), 1795602120000001234);
  EXPECT_EQ(*ParseCommitTime("@-1"), -1);
  EXPECT_EQ(*ParseCommitTime("@9223372036854775807"), INT64_MAX);
  EXPECT_EQ(*ParseCommitTime("@-9223372036854775808"), INT64_MIN);
  EXPECT_EQ(*ParseCommitTime("@000000000000000000000042"), 42)
      << "leading zeros are harmless";
}

TEST(CommitTimeTest, RejectsUnixNanosOutOfRangeOrMalformed) {
  ExpectRejected("@9223372036854775808", "range");
  ExpectRejected("@-9223372036854775809", "range");
  ExpectRejected("@99999999999999999999999", "range");
  ExpectRejected("@");
  ExpectRejected("@-");
  ExpectRejected("@12a");
  ExpectRejected("@+5");
  ExpectRejected("@ 5");
  ExpectRejected("@1.5");
}

TEST(CommitTimeTest, RangeEdgesRoundTripAndJustBeyondIsRejected) {
  EXPECT_EQ(*ParseCommitTime("2262-04-11T23:47:16.854775807Z"), INT64_MAX);
  EXPECT_EQ(*ParseCommitTime("1677-09-21T00:12:43.145224192Z"), INT64_MIN);
  ExpectRejected("2262-04-11T23:47:16.854775808Z", "range");
  ExpectRejected("1677-09-21T00:12:43.145224191Z", "range");
  ExpectRejected("9999-12-31T23:59:59Z", "range");
  ExpectRejected("0000-01-01T00:00:00Z", "range");
  EXPECT_EQ(*ParseCommitTime("2262-04-12T00:47:16.854775807+01:00"), INT64_MAX);
  ExpectRejected("2262-04-11T23:47:16.854775807-00:01", "range");
}

TEST(CommitTimeTest, TimeWithoutOffsetIsAmbiguous) {
  ExpectRejected("2026-11-25T10:42:00", "offset");
  ExpectRejected("2026-11-25T10:42:00.123", "offset");
}

TEST(CommitTimeTest, RejectsLeapSecond) {
  ExpectRejected("2016-12-31T23:59:60Z", "leap second");
}

TEST(CommitTimeTest, RejectsBadFields) {
  ExpectRejected("");
  ExpectRejected("2026-13-01T00:00:00Z", "month");
  ExpectRejected("2026-00-01T00:00:00Z", "month");
  ExpectRejected("2026-02-29T00:00:00Z", "day");
  ExpectRejected("1900-02-29T00:00:00Z", "day");
  ExpectRejected("2026-04-31T00:00:00Z", "day");
  ExpectRejected("2026-04-00T00:00:00Z", "day");
  ExpectRejected("2026-04-01T24:00:00Z", "hour");
  ExpectRejected("2026-04-01T00:60:00Z", "minute");
  ExpectRejected("2026-04-01T00:00:61Z", "second");
  ExpectRejected("2026-04-01T00:00:00+24:00", "offset");
  ExpectRejected("2026-04-01T00:00:00+01:60", "offset");
  ExpectRejected("2026-04-01T00:00:00+0100");
  ExpectRejected("2026-04-01T00:00:00+1");
  ExpectRejected("2026-04-01T00:00:00.Z", "decimal point");
  ExpectRejected("2026-04-01T00:00:00.1234567890Z", "9 fractional");
  ExpectRejected("2026-04-01T00:00:00ZZ", "after the offset");
  ExpectRejected("2026-04-01T00:00:00Z ");
  ExpectRejected(" 2026-04-01T00:00:00Z");
  ExpectRejected("2026-4-01T00:00:00Z");
  ExpectRejected("26-04-01T00:00:00Z");
  ExpectRejected("2026-04-01");
  ExpectRejected("2026-04-01T");
  ExpectRejected("2026-04-01X00:00:00Z");
  ExpectRejected("2026-04-01T00:00Z");
  ExpectRejected("２026-04-01T00:00:00Z");
  ExpectRejected(std::string("2026-04-01T00:00:00\0Z", 21));
}

TEST(CommitTimeTest, MessageTruncatesHugeInput) {
  std::string huge(100000, 'x');
  auto r = ParseCommitTime(huge);
  ASSERT_FALSE(r.ok());
  EXPECT_LT(r.status().message().size(), 1000u);
}

TEST(CommitTimeTest, RandomInstantsRoundTripAndMatchOracle) {
  absl::BitGen gen;
  for (int i = 0; i < 20000; ++i) {
    int64_t t = absl::Uniform<int64_t>(gen, INT64_MIN, INT64_MAX);
    if (i % 4 == 0)
      t = absl::Uniform<int64_t>(gen, -5, 5) * 1'000'000'000 +
          absl::Uniform<int64_t>(gen, -3, 3);
    std::string text = FormatCommitTime(t);
    auto back = ParseCommitTime(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status();
    ASSERT_EQ(*back, t) << text;
    ASSERT_EQ(text,
              absl::FormatTime("%Y-%m-%dT%H:%M:%E9SZ", absl::FromUnixNanos(t),
                               absl::UTCTimeZone()));
    auto at = ParseCommitTime(absl::StrFormat("@%d", t));
    ASSERT_TRUE(at.ok());
    ASSERT_EQ(*at, t);
  }
}

TEST(CommitTimeTest, RandomCivilFieldsWithOffsetsMatchOracle) {
  absl::BitGen gen;
  for (int i = 0; i < 20000; ++i) {
    int y = absl::Uniform<int>(gen, 1700, 2200);
    int mo = absl::Uniform<int>(gen, 1, 13);
    int d = absl::Uniform<int>(gen, 1, 29);
    int h = absl::Uniform<int>(gen, 0, 24);
    int mi = absl::Uniform<int>(gen, 0, 60);
    int s = absl::Uniform<int>(gen, 0, 60);
    int digits = absl::Uniform<int>(gen, 0, 10);
    int64_t frac = 0;
    std::string frac_text;
    if (digits > 0) {
      frac_text = ".";
      for (int k = 0; k < digits; ++k) {
        int digit = absl::Uniform<int>(gen, 0, 10);
        frac_text.push_back(static_cast<char>('0' + digit));
      }
      std::string padded = frac_text.substr(1) + std::string(9 - digits, '0');
      frac = std::stoll(padded);
    }
    int oh = absl::Uniform<int>(gen, 0, 24);
    int om = absl::Uniform<int>(gen, 0, 60);
    bool neg = absl::Bernoulli(gen, 0.5);
    bool zulu = absl::Bernoulli(gen, 0.2);
    std::string text = absl::StrFormat("%04d-%02d-%02dT%02d:%02d:%02d%s", y, mo,
                                       d, h, mi, s, frac_text);
    int offset_minutes = 0;
    if (zulu) {
      text += "Z";
    } else {
      text += absl::StrFormat("%c%02d:%02d", neg ? '-' : '+', oh, om);
      offset_minutes = (neg ? -1 : 1) * (oh * 60 + om);
    }
    auto r = ParseCommitTime(text);
    ASSERT_TRUE(r.ok()) << text << ": " << r.status();
    ASSERT_EQ(*r, Oracle(y, mo, d, h, mi, s, frac, offset_minutes)) << text;
  }
}

TEST(CommitTimeTest, RandomGarbageNeverCrashes) {
  absl::BitGen gen;
  const std::string alphabet = "0123456789-:.TZ+@ z\xff";
  for (int i = 0; i < 50000; ++i) {
    std::string s;
    int n = absl::Uniform<int>(gen, 0, 40);
    for (int k = 0; k < n; ++k) {
      s.push_back(alphabet[absl::Uniform<size_t>(gen, 0, alphabet.size())]);
    }
    auto r = ParseCommitTime(s);
    if (r.ok()) {
      // Whatever parses must print back to the same instant.
      ASSERT_EQ(*ParseCommitTime(FormatCommitTime(*r)), *r) << s;
    } else {
      ASSERT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument) << s;
    }
  }
}

TEST(RecoveryTargetTest, ToStringNamesKindAndInclusivity) {
  EXPECT_EQ(
      RecoveryTarget::Time(*ParseCommitTime("2026-11-25T10:42:00.000001234Z"))
          .ToString(),
      "time 2026-11-25T10:42:00.000001234Z inclusive");
  EXPECT_EQ(RecoveryTarget::Time(0, false).ToString(),
            "time 1970-01-01T00:00:00.000000000Z exclusive");
  EXPECT_EQ(RecoveryTarget::AtLsn(42, false).ToString(), "lsn 42 exclusive");
  EXPECT_EQ(RecoveryTarget::Txid(7).ToString(), "txid 7 inclusive");
  EXPECT_EQ(RecoveryTarget::RestorePoint("before-upgrade").ToString(),
            "restore point \"before-upgrade\"");
  EXPECT_EQ(RecoveryTarget::Latest().ToString(), "latest");
  EXPECT_EQ(RecoveryTarget::SnapshotOnly().ToString(), "snapshot");
  RecoveryTarget t = RecoveryTarget::Latest();
  t.timeline = 3;
  EXPECT_EQ(t.ToString(), "latest timeline 3");
  EXPECT_EQ(RecoveryTarget::Txid(9).kind, RecoveryTarget::Kind::kTxid);
  EXPECT_TRUE(RecoveryTarget::RestorePoint("x").inclusive);
}

}  // namespace
}  // namespace wayback
