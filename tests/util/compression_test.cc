// Copyright 2026 The Wayback Authors.

#include "src/util/compression.h"

#include <zstd.h>

#include <string>

#include "gtest/gtest.h"

namespace wayback {
namespace {

TEST(CompressionTest, RoundTrip) {
  std::string in;
  for (int i = 0; i < 10000; ++i) in += "patient/" + std::to_string(i % 97) + ";";
  ZstdCompressor c(3);
  std::string z;
  ASSERT_TRUE(c.Compress(in, &z).ok());
  EXPECT_LT(z.size(), in.size() / 3);
  std::string out(in.size(), '\0');
  ZstdDecompressor d;
  ASSERT_TRUE(d.Decompress(z, out.data(), out.size()).ok());
  EXPECT_EQ(in, out);
}

TEST(CompressionTest, EmptyInput) {
  ZstdCompressor c(3);
  std::string z;
  ASSERT_TRUE(c.Compress("", &z).ok());
  ZstdDecompressor d;
  char dummy = 0;
  EXPECT_TRUE(d.Decompress(z, &dummy, 0).ok());
}

TEST(CompressionTest, WrongRecordedSizeIsDataLoss) {
  std::string in(100000, 'a');
  ZstdCompressor c(3);
  std::string z;
  ASSERT_TRUE(c.Compress(in, &z).ok());
  ZstdDecompressor d;
  std::string small(1000, '\0');
  absl::Status s = d.Decompress(z, small.data(), small.size());
  EXPECT_EQ(absl::StatusCode::kDataLoss, s.code());
  EXPECT_NE(std::string::npos, s.message().find("declares 100000")) << s;
  std::string big(200000, '\0');
  s = d.Decompress(z, big.data(), big.size());
  EXPECT_EQ(absl::StatusCode::kDataLoss, s.code());
}

TEST(CompressionTest, FrameWithoutContentSizeCannotOverflowOutput) {
  // A streamed frame (no content size in its header) of 1 MiB of zeros: a
  // bomb from the reader's point of view. Decompressing it into a 4 KiB
  // buffer must fail, not write past the buffer or allocate 1 MiB.
  std::string in(1 << 20, '\0');
  ZSTD_CCtx* cctx = ZSTD_createCCtx();
  ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
  std::string z(ZSTD_compressBound(in.size()), '\0');
  ZSTD_inBuffer ib{in.data(), in.size(), 0};
  ZSTD_outBuffer ob{z.data(), z.size(), 0};
  ASSERT_EQ(0u, ZSTD_compressStream2(cctx, &ob, &ib, ZSTD_e_end));
  ZSTD_freeCCtx(cctx);
  z.resize(ob.pos);
  ASSERT_EQ(ZSTD_CONTENTSIZE_UNKNOWN, ZSTD_getFrameContentSize(z.data(), z.size()));
  std::string out(4096 + 16, 'x');
  ZstdDecompressor d;
  absl::Status s = d.Decompress(z, out.data(), 4096);
  EXPECT_EQ(absl::StatusCode::kDataLoss, s.code());
  EXPECT_EQ(std::string(16, 'x'), out.substr(4096));  // Guard bytes intact.
}

TEST(CompressionTest, GarbageIsDataLoss) {
  ZstdDecompressor d;
  std::string out(100, '\0');
  EXPECT_EQ(absl::StatusCode::kDataLoss,
            d.Decompress("definitely not zstd", out.data(), out.size()).code());
  EXPECT_EQ(absl::StatusCode::kDataLoss, d.Decompress("", out.data(), out.size()).code());
}

TEST(CompressionTest, TruncatedFrameIsDataLoss) {
  std::string in(50000, 'q');
  for (size_t i = 0; i < in.size(); i += 7) in[i] = static_cast<char>(i);
  ZstdCompressor c(3);
  std::string z;
  ASSERT_TRUE(c.Compress(in, &z).ok());
  ZstdDecompressor d;
  std::string out(in.size(), '\0');
  for (size_t n : {z.size() - 1, z.size() / 2, size_t{5}}) {
    EXPECT_EQ(absl::StatusCode::kDataLoss,
              d.Decompress(std::string_view(z.data(), n), out.data(), out.size()).code())
        << n;
  }
}

}  // namespace
}  // namespace wayback
