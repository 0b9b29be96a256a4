// Copyright 2026 The Wayback Authors.
//
// zstd block compression. Decompression never produces more than the caller's
// recorded raw length: a hostile block cannot make us allocate without bound.

#ifndef WAYBACK_SRC_UTIL_COMPRESSION_H_
#define WAYBACK_SRC_UTIL_COMPRESSION_H_

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace wayback {

// Reusable compression context (one per thread). Not thread-safe.
class ZstdCompressor {
 public:
  explicit ZstdCompressor(int level);
  ~ZstdCompressor();
  ZstdCompressor(const ZstdCompressor&) = delete;
  ZstdCompressor& operator=(const ZstdCompressor&) = delete;
  // Replaces *out with the compressed form of `in` (one zstd frame, content
  // size recorded).
  absl::Status Compress(std::string_view in, std::string* out);

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

// Reusable decompression context (one per thread). Not thread-safe.
class ZstdDecompressor {
 public:
  ZstdDecompressor();
  ~ZstdDecompressor();
  ZstdDecompressor(const ZstdDecompressor&) = delete;
  ZstdDecompressor& operator=(const ZstdDecompressor&) = delete;
  // Decompresses `in`, which must decode to exactly `raw_size` bytes, into
  // out[0, raw_size). The frame's window is limited (see kMaxWindowLog) and
  // output is never written past raw_size. Returns kDataLoss with a short
  // reason (no object name: callers add it) on any mismatch.
  absl::Status Decompress(std::string_view in, char* out, size_t raw_size);

  // Largest zstd window accepted: 2^kMaxWindowLog bytes.
  static constexpr int kMaxWindowLog = 27;

 private:
  struct Rep;
  std::unique_ptr<Rep> rep_;
};

}  // namespace wayback

#endif  // WAYBACK_SRC_UTIL_COMPRESSION_H_
