// Copyright 2026 The Wayback Authors.
//
// The fixed parts of format v1 against snapshot_format.md: field offsets,
// the worked example's bytes, and the codecs' refusals.

#include "src/snapshot/snapshot_format.h"

#include <cstring>
#include <string>

#include "gtest/gtest.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

namespace sf = snapshot_format;
using testing::Fixed32At;
using testing::Fixed64At;

std::string Hex(std::string_view s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

TEST(SnapshotFormatTest, HeaderFieldsAtSpecOffsets) {
  sf::Header h;
  h.timeline = 0x01020304;
  h.lsn = 0x1112131415161718;
  std::string b;
  sf::EncodeHeader(h, &b);
  ASSERT_EQ(96u, b.size());
  EXPECT_EQ("895742534e500d0a", Hex(b.substr(0, 8)));
  EXPECT_EQ(1u, Fixed32At(b, 8));
  EXPECT_EQ(0x01020304u, Fixed32At(b, 12));
  EXPECT_EQ(0x1112131415161718u, Fixed64At(b, 16));
  EXPECT_EQ(1, b[24]);
  EXPECT_EQ(0, b[25]);
  EXPECT_EQ(std::string(92 - 26, '\0'), b.substr(26, 92 - 26));
  EXPECT_EQ(crc32c::Mask(crc32c::Value(b.data(), 92)), Fixed32At(b, 92));
  sf::Header d;
  std::string error;
  size_t at = 0;
  ASSERT_TRUE(sf::DecodeHeader(b, &d, &error, &at)) << error;
  EXPECT_EQ(h.timeline, d.timeline);
  EXPECT_EQ(h.lsn, d.lsn);
}

TEST(SnapshotFormatTest, FooterFieldsAtSpecOffsets) {
  sf::Footer f;
  f.lsn = 1;
  f.commit_time = -2;  // Signed: before the epoch is representable.
  f.timeline = 3;
  f.block_count = 4;
  f.pair_count = 5;
  f.digest_low = 6;
  f.digest_high = 7;
  f.raw_bytes = 8;
  f.index_offset = 9;
  f.index_size = 10;
  f.index_crc = 11;
  std::string b;
  sf::EncodeFooter(f, &b);
  ASSERT_EQ(104u, b.size());
  EXPECT_EQ(1u, Fixed64At(b, 0));
  EXPECT_EQ(static_cast<uint64_t>(-2), Fixed64At(b, 8));
  EXPECT_EQ(3u, Fixed32At(b, 16));
  EXPECT_EQ(4u, Fixed32At(b, 20));
  EXPECT_EQ(5u, Fixed64At(b, 24));
  EXPECT_EQ(6u, Fixed64At(b, 32));
  EXPECT_EQ(7u, Fixed64At(b, 40));
  EXPECT_EQ(8u, Fixed64At(b, 48));
  EXPECT_EQ(9u, Fixed64At(b, 56));
  EXPECT_EQ(10u, Fixed64At(b, 64));
  EXPECT_EQ(11u, Fixed32At(b, 72));
  EXPECT_EQ(1u, Fixed32At(b, 76));
  EXPECT_EQ(std::string(12, '\0'), b.substr(80, 12));
  EXPECT_EQ(crc32c::Mask(crc32c::Value(b.data(), 92)), Fixed32At(b, 92));
  EXPECT_EQ(std::string("\x89WBEND\r\n", 8), b.substr(96));
  sf::Footer d;
  std::string error;
  size_t at = 0;
  ASSERT_TRUE(sf::DecodeFooter(b, &d, &error, &at)) << error;
  EXPECT_EQ(-2, d.commit_time);
  EXPECT_EQ(11u, d.index_crc);
}

TEST(SnapshotFormatTest, IndexEntryRoundTripAndTruncation) {
  sf::IndexEntry e;
  e.offset = 96;
  e.compressed_size = 300;
  e.raw_size = 1 << 20;
  e.pair_count = 7;
  std::string first("a\0b", 3), last = "zz";
  e.first_key = first;
  e.last_key = last;
  std::string b;
  sf::EncodeIndexEntry(e, &b);
  for (size_t n = 0; n < b.size(); ++n) {
    std::string_view in(b.data(), n);
    sf::IndexEntry d;
    EXPECT_FALSE(sf::DecodeIndexEntry(&in, &d)) << n;
    EXPECT_EQ(n, in.size()) << "a failed decode consumes nothing";
  }
  std::string_view in = b;
  sf::IndexEntry d;
  ASSERT_TRUE(sf::DecodeIndexEntry(&in, &d));
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(96u, d.offset);
  EXPECT_EQ(300u, d.compressed_size);
  EXPECT_EQ(1u << 20, d.raw_size);
  EXPECT_EQ(7u, d.pair_count);
  EXPECT_EQ(first, d.first_key);
  EXPECT_EQ(last, d.last_key);
}

TEST(SnapshotFormatTest, PairEncoding) {
  std::string b;
  sf::AppendPair(&b, "apple", "red");
  sf::AppendPair(&b, std::string(200, 'k'), "");
  EXPECT_EQ("0503", Hex(b.substr(0, 2)));
  EXPECT_EQ(
      sf::PairSize("apple", "red") + sf::PairSize(std::string(200, 'k'), ""),
      b.size());
  EXPECT_EQ("c80100", Hex(b.substr(10, 3)));  // varint 200, varint 0.
  std::string_view in = b, k, v;
  ASSERT_TRUE(sf::GetPair(&in, &k, &v));
  EXPECT_EQ("apple", k);
  EXPECT_EQ("red", v);
  ASSERT_TRUE(sf::GetPair(&in, &k, &v));
  EXPECT_EQ(200u, k.size());
  EXPECT_TRUE(v.empty());
  EXPECT_FALSE(sf::GetPair(&in, &k, &v));
  // A value length past the end is refused, not read.
  std::string bad = "\x01\x05k";
  std::string_view bin = bad;
  EXPECT_FALSE(sf::GetPair(&bin, &k, &v));
}

// The worked example of snapshot_format.md, byte for byte outside the zstd
// frame.
TEST(SnapshotFormatTest, WorkedExample) {
  auto storage = NewMemoryStorage();
  SnapshotWriterOptions o;
  o.timeline = 1;
  o.lsn = 5;
  o.commit_time = 1764072000000000000;
  auto w = SnapshotWriter::Create(storage.get(), o);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Add("apple", "red").ok());
  ASSERT_TRUE((*w)->Add("fig", "").ok());
  auto info = (*w)->Finish();
  ASSERT_TRUE(info.ok());
  EXPECT_EQ("snap/00000001-0000000000000005.snap", info->name);
  EXPECT_EQ("561104e73529264473d8d95cc69baf1f:2", info->digest.ToString());
  auto bytes = storage->ReadAll(info->name);
  ASSERT_TRUE(bytes.ok());
  const std::string& b = *bytes;
  const uint32_t compressed = Fixed32At(b, 100);
  EXPECT_EQ(254u - 24u + compressed, b.size());
  EXPECT_EQ(
      "89574253"
      "4e500d0a"
      "01000000"
      "01000000"
      "0500000000000000"
      "01",
      Hex(b.substr(0, 25)));
  EXPECT_EQ("f8214ac9", Hex(b.substr(92, 4)));
  EXPECT_EQ("0f00000002000000", Hex(b.substr(104, 8)));
  const size_t index = 112 + compressed;
  EXPECT_EQ("60" + Hex(b.substr(index + 1, 1)) +
                "0f02"
                "056170706c65"
                "03666967",
            Hex(b.substr(index, 14)));
  EXPECT_EQ(static_cast<uint8_t>(compressed),
            static_cast<uint8_t>(b[index + 1]));
  const size_t footer = index + 14;
  EXPECT_EQ(b.size() - 104, footer);
  EXPECT_EQ(
      "0500000000000000"   // lsn 5
      "00803636233e7b18"   // commit time 1764072000000000000
      "01000000"           // timeline 1
      "01000000"           // 1 block
      "0200000000000000"   // 2 pairs
      "1faf9bc65cd9d873"   // digest_low
      "44262935e7041156"   // digest_high
      "0f00000000000000",  // 15 raw bytes
      Hex(b.substr(footer, 56)));
  EXPECT_EQ(index, Fixed64At(b, footer + 56));
  EXPECT_EQ(14u, Fixed64At(b, footer + 64));
}

TEST(SnapshotFormatTest, FrozenNumbers) {
  EXPECT_EQ(1, static_cast<int>(sf::Codec::kZstd));
  EXPECT_EQ(1u, sf::kFormatVersion);
  EXPECT_EQ(96u, sf::kHeaderSize);
  EXPECT_EQ(16u, sf::kBlockHeaderSize);
  EXPECT_EQ(104u, sf::kFooterSize);
  EXPECT_EQ(256u << 20, sf::kMaxBlockRawSize);
}

}  // namespace
}  // namespace wayback
