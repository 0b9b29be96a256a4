// Copyright 2026 The Wayback Authors.

#include "src/util/crc32c.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"

namespace wayback::crc32c {
namespace {

// RFC 3720, appendix B.4.
TEST(Crc32cTest, Rfc3720Vectors) {
  char buf[32];
  std::memset(buf, 0, sizeof(buf));
  EXPECT_EQ(0x8a9136aau, Value(buf, sizeof(buf)));
  EXPECT_EQ(0x8a9136aau, ExtendPortable(0, buf, sizeof(buf)));
  std::memset(buf, 0xff, sizeof(buf));
  EXPECT_EQ(0x62a8ab43u, Value(buf, sizeof(buf)));
  EXPECT_EQ(0x62a8ab43u, ExtendPortable(0, buf, sizeof(buf)));
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(i);
  EXPECT_EQ(0x46dd794eu, Value(buf, sizeof(buf)));
  EXPECT_EQ(0x46dd794eu, ExtendPortable(0, buf, sizeof(buf)));
  for (int i = 0; i < 32; ++i) buf[i] = static_cast<char>(31 - i);
  EXPECT_EQ(0x113fdb5cu, Value(buf, sizeof(buf)));
  EXPECT_EQ(0x113fdb5cu, ExtendPortable(0, buf, sizeof(buf)));
  unsigned char data[48] = {
      0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
      0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
      0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  };
  EXPECT_EQ(0xd9963a56u, Value(reinterpret_cast<char*>(data), sizeof(data)));
  EXPECT_EQ(0xd9963a56u,
            ExtendPortable(0, reinterpret_cast<char*>(data), sizeof(data)));
}

TEST(Crc32cTest, ExtendEqualsWhole) {
  std::string s = "hello world, this is a longer string to cross 8-byte words";
  for (size_t cut = 0; cut <= s.size(); ++cut) {
    uint32_t a = Extend(Value(s.data(), cut), s.data() + cut, s.size() - cut);
    EXPECT_EQ(Value(s), a) << cut;
    EXPECT_EQ(ExtendPortable(ExtendPortable(0, s.data(), cut), s.data() + cut,
                             s.size() - cut),
              a);
  }
}

TEST(Crc32cTest, HardwareMatchesPortableOnUnalignedData) {
  std::string s(1000, '\0');
  for (size_t i = 0; i < s.size(); ++i) s[i] = static_cast<char>(i * 7 + 3);
  for (size_t off = 0; off < 9; ++off) {
    EXPECT_EQ(ExtendPortable(0, s.data() + off, s.size() - off),
              Extend(0, s.data() + off, s.size() - off));
  }
}

TEST(Crc32cTest, Mask) {
  uint32_t crc = Value("foo");
  EXPECT_NE(crc, Mask(crc));
  EXPECT_NE(crc, Mask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Mask(crc)));
  EXPECT_EQ(crc, Unmask(Unmask(Mask(Mask(crc)))));
}

}  // namespace
}  // namespace wayback::crc32c
