// Copyright 2026 The Wayback Authors.
//
// Regression tests for UnpackBlock's allocation (issue 6, zstd bombs): the
// decompression buffer used to be resized to the block header's raw_size
// before the zstd frame was looked at, so an 18-byte frame under a header
// claiming the format's largest raw size cost 256 MiB (294 MiB peak) before
// being refused. Now the frame's declared content size must equal raw_size
// (or be absent) and raw_size must be within what the frame's bytes could
// produce, both checked before anything is allocated.
//
// The oracle is the reusable DecodedBlock's buffer capacity after the call:
// exact, and independent of the machine (no memory or time measurement). A
// fresh std::string has a small capacity; a resize to raw_size would leave
// at least raw_size.

#include <zstd.h>

#include <string>

#include "gtest/gtest.h"
#include "src/log/block.h"
#include "src/log/segment_format.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "tests/log/log_test_util.h"

namespace wayback::log_format {
namespace {

using ::wayback::testing::FromTxn;
using ::wayback::testing::Own;

constexpr size_t kSmall = 1 << 20;  // Any resize to a bomb's size exceeds it.

// A block of `payload` (zstd codec) under a header claiming `raw_size`, for
// one record at LSN 7.
std::string BlockOf(const std::string& payload, uint32_t raw_size) {
  BlockHeader h;
  h.stored_size = static_cast<uint32_t>(payload.size());
  h.raw_size = raw_size;
  h.record_count = 1;
  h.first_lsn = h.last_lsn = 7;
  h.first_commit_time = h.last_commit_time = 1000;
  h.payload_crc = crc32c::Mask(crc32c::Value(payload));
  h.codec = Codec::kZstd;
  std::string block(kBlockHeaderSize, '\0');
  EncodeBlockHeader(h, block.data());
  return block + payload;
}

absl::Status Unpack(const std::string& block, DecodedBlock* out) {
  BlockHeader h;
  absl::Status s = DecodeBlockHeader("log/obj", 96, block, kFormatVersion1, &h);
  if (!s.ok()) return s;
  ZstdDecompressor d;
  return UnpackBlock("log/obj", 96, h,
                     std::string_view(block).substr(kBlockHeaderSize), &d, out);
}

// A frame header declaring `content_size` (8-byte field) followed by one raw
// block holding `body`: 18 bytes for a one-byte body.
std::string FrameDeclaring(uint64_t content_size, const std::string& body) {
  std::string f("\x28\xb5\x2f\xfd", 4);
  f.push_back(static_cast<char>(0xC0));  // 8-byte content size, windowed.
  f.push_back(static_cast<char>(0x00));  // Window descriptor: 1 KiB.
  PutFixed64(&f, content_size);
  const uint32_t bh = 1u | (static_cast<uint32_t>(body.size()) << 3);
  f.push_back(static_cast<char>(bh & 0xff));
  f.push_back(static_cast<char>((bh >> 8) & 0xff));
  f.push_back(static_cast<char>((bh >> 16) & 0xff));
  return f + body;
}

// `raw` compressed into one frame that does not record its content size.
std::string FrameWithoutContentSize(const std::string& raw) {
  ZSTD_CCtx* c = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  const size_t n =
      ZSTD_compress2(c, out.data(), out.size(), raw.data(), raw.size());
  ZSTD_freeCCtx(c);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(ZSTD_isError(n) ? 0 : n);
  EXPECT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()),
            ZSTD_CONTENTSIZE_UNKNOWN);
  return out;
}

void ExpectRefusedWithoutAllocating(const std::string& block,
                                    const std::string& why) {
  DecodedBlock d;
  absl::Status s = Unpack(block, &d);
  EXPECT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("log/obj at offset 96 (lsn 7)"),
            absl::string_view::npos)
      << s;
  EXPECT_NE(s.message().find(why), absl::string_view::npos) << s;
  EXPECT_LT(d.buffer.capacity(), kSmall);
}

TEST(BlockBombTest, EighteenByteFrameDeclaring2e64m2UnderMaxRawSize) {
  // The bomb of the reliability suite (294 MiB peak before the fix). zstd
  // reports a declared 2^64-2 as ZSTD_CONTENTSIZE_ERROR.
  const std::string frame = FrameDeclaring(~uint64_t{1}, "x");
  ASSERT_EQ(frame.size(), 18u);
  ExpectRefusedWithoutAllocating(
      BlockOf(frame, static_cast<uint32_t>(kMaxBlockRawSize)),
      "does not start with a valid zstd frame header");
}

TEST(BlockBombTest, FrameDeclaringMoreThanTheMaxRawSize) {
  ExpectRefusedWithoutAllocating(
      BlockOf(FrameDeclaring(uint64_t{1} << 40, "x"),
              static_cast<uint32_t>(kMaxBlockRawSize)),
      "zstd frame declares 1099511627776 bytes, block header says "
      "268435456");
}

TEST(BlockBombTest, TinyFrameDeclaringExactlyTheHeadersRawSize) {
  // Frame and header agree on 256 MiB, but 18 bytes cannot produce it.
  const std::string frame = FrameDeclaring(kMaxBlockRawSize, "x");
  ExpectRefusedWithoutAllocating(
      BlockOf(frame, static_cast<uint32_t>(kMaxBlockRawSize)),
      "a zstd frame of 18 bytes cannot decode to the 268435456 bytes");
}

TEST(BlockBombTest, FrameWithoutContentSizeUnderLargeRawSize) {
  const std::string frame = FrameWithoutContentSize("just a few bytes");
  ExpectRefusedWithoutAllocating(BlockOf(frame, 200u << 20),
                                 "cannot decode to the 209715200 bytes");
}

TEST(BlockBombTest, PayloadThatIsNotAFrame) {
  ExpectRefusedWithoutAllocating(
      BlockOf("this is not zstd", static_cast<uint32_t>(kMaxBlockRawSize)),
      "does not start with a valid zstd frame header");
}

// The checks refuse only what cannot be valid: a genuine block whose frame
// omits its content size (allowed: the size is then enforced by decoding
// into exactly raw_size bytes) and a highly compressible genuine block both
// decode exactly.
TEST(BlockBombTest, GenuineFramesStillDecode) {
  for (const size_t value_size : {size_t{100}, size_t{4} << 20}) {
    BlockBuilder b;
    Transaction t;
    t.txid = 9;
    t.Put("key", std::string(value_size, 'v'));
    b.AddTransaction(7, 1000, t);
    ZstdCompressor c(3);
    std::string block;
    BlockInfo info;
    ASSERT_TRUE(b.Finish(&c, &block, &info).ok());
    ASSERT_EQ(block[kBlkCodec], static_cast<char>(Codec::kZstd));
    DecodedBlock d;
    ASSERT_TRUE(Unpack(block, &d).ok()) << value_size;
    ASSERT_EQ(d.records.size(), 1u);
    EXPECT_EQ(Own(d.records[0]), FromTxn(7, 1000, t));

    // The same records in a frame without a content size.
    const std::string raw(d.raw);
    const std::string frame = FrameWithoutContentSize(raw);
    std::string unknown = BlockOf(frame, static_cast<uint32_t>(raw.size()));
    DecodedBlock u;
    ASSERT_TRUE(Unpack(unknown, &u).ok()) << value_size;
    ASSERT_EQ(u.records.size(), 1u);
    EXPECT_EQ(Own(u.records[0]), FromTxn(7, 1000, t));
    // One byte more claimed than the frame holds: refused by decoding.
    DecodedBlock v;
    EXPECT_TRUE(absl::IsDataLoss(
        Unpack(BlockOf(frame, static_cast<uint32_t>(raw.size() + 1)), &v)));
  }
}

}  // namespace
}  // namespace wayback::log_format
