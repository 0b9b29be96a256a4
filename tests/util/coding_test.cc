// Copyright 2026 The Wayback Authors.

#include "src/util/coding.h"

#include <string>

#include "gtest/gtest.h"

namespace wayback {
namespace {

TEST(CodingTest, VarintRoundTrip) {
  std::string s;
  std::vector<uint64_t> values = {0, 1, 127, 128, 255, 300, 1ull << 32,
                                  UINT64_MAX - 1, UINT64_MAX};
  for (uint64_t v : values) PutVarint64(&s, v);
  std::string_view in = s;
  for (uint64_t v : values) {
    uint64_t got;
    ASSERT_TRUE(GetVarint64(&in, &got));
    EXPECT_EQ(v, got);
  }
  EXPECT_TRUE(in.empty());
}

TEST(CodingTest, VarintTruncatedIsRejected) {
  std::string s;
  PutVarint64(&s, UINT64_MAX);
  for (size_t n = 0; n < s.size(); ++n) {
    std::string_view in(s.data(), n);
    uint64_t v;
    EXPECT_FALSE(GetVarint64(&in, &v)) << n;
  }
}

TEST(CodingTest, VarintOverlongIsRejected) {
  std::string s(10, '\xff');
  s += '\x01';
  std::string_view in = s;
  uint64_t v;
  EXPECT_FALSE(GetVarint64(&in, &v));
  std::string t(9, '\x80');
  t += '\x02';  // 10th byte may carry only the top bit.
  in = t;
  EXPECT_FALSE(GetVarint64(&in, &v));
}

TEST(CodingTest, Varint32RejectsLargeValues) {
  std::string s;
  PutVarint64(&s, uint64_t{1} << 32);
  std::string_view in = s;
  uint32_t v;
  EXPECT_FALSE(GetVarint32(&in, &v));
  EXPECT_EQ(s.size(), in.size());
}

TEST(CodingTest, LengthPrefixedLongerThanInputIsRejected) {
  std::string s;
  PutVarint64(&s, 5);
  s += "abcd";
  std::string_view in = s, out;
  EXPECT_FALSE(GetLengthPrefixed(&in, &out));
  s += "e";
  in = s;
  ASSERT_TRUE(GetLengthPrefixed(&in, &out));
  EXPECT_EQ("abcde", out);
}

TEST(CodingTest, Fixed) {
  std::string s;
  PutFixed32(&s, 0xdeadbeef);
  PutFixed64(&s, 0x0123456789abcdefull);
  EXPECT_EQ(12u, s.size());
  EXPECT_EQ('\xef', s[0]);  // Little-endian.
  std::string_view in = s;
  uint32_t a;
  uint64_t b;
  ASSERT_TRUE(GetFixed32(&in, &a));
  ASSERT_TRUE(GetFixed64(&in, &b));
  EXPECT_EQ(0xdeadbeefu, a);
  EXPECT_EQ(0x0123456789abcdefull, b);
  EXPECT_FALSE(GetFixed32(&in, &a));
}

}  // namespace
}  // namespace wayback
