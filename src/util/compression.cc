// Copyright 2026 The Wayback Authors.

#include "src/util/compression.h"

#include <zstd.h>

#include "absl/strings/str_cat.h"

namespace wayback {

struct ZstdCompressor::Rep {
  ZSTD_CCtx* ctx = nullptr;
  int level = 3;
};

ZstdCompressor::ZstdCompressor(int level) : rep_(new Rep) {
  rep_->ctx = ZSTD_createCCtx();
  rep_->level = level;
}
ZstdCompressor::~ZstdCompressor() { ZSTD_freeCCtx(rep_->ctx); }

absl::Status ZstdCompressor::Compress(std::string_view in, std::string* out) {
  if (rep_->ctx == nullptr) return absl::ResourceExhaustedError("ZSTD_createCCtx failed");
  out->resize(ZSTD_compressBound(in.size()));
  size_t n = ZSTD_compressCCtx(rep_->ctx, out->data(), out->size(), in.data(),
                               in.size(), rep_->level);
  if (ZSTD_isError(n)) {
    return absl::InternalError(absl::StrCat("zstd compress: ", ZSTD_getErrorName(n)));
  }
  out->resize(n);
  return absl::OkStatus();
}

struct ZstdDecompressor::Rep {
  ZSTD_DCtx* ctx = nullptr;
};

ZstdDecompressor::ZstdDecompressor() : rep_(new Rep) {
  rep_->ctx = ZSTD_createDCtx();
  if (rep_->ctx != nullptr) {
    ZSTD_DCtx_setParameter(rep_->ctx, ZSTD_d_windowLogMax, kMaxWindowLog);
  }
}
ZstdDecompressor::~ZstdDecompressor() { ZSTD_freeDCtx(rep_->ctx); }

absl::Status ZstdDecompressor::Decompress(std::string_view in, char* out,
                                          size_t raw_size) {
  if (rep_->ctx == nullptr) return absl::ResourceExhaustedError("ZSTD_createDCtx failed");
  // The frame header's content size, when present, must match what the block
  // header recorded; checking it first rejects bombs without decoding.
  unsigned long long declared = ZSTD_getFrameContentSize(in.data(), in.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return absl::DataLossError("not a zstd frame");
  }
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_size) {
    return absl::DataLossError(absl::StrCat("zstd frame declares ", declared,
                                            " bytes, block header says ", raw_size));
  }
  // The output buffer has exactly raw_size bytes: zstd never writes past it.
  size_t n = ZSTD_decompressDCtx(rep_->ctx, out, raw_size, in.data(), in.size());
  if (ZSTD_isError(n)) {
    return absl::DataLossError(absl::StrCat("zstd: ", ZSTD_getErrorName(n)));
  }
  if (n != raw_size) {
    return absl::DataLossError(absl::StrCat("zstd frame decodes to ", n,
                                            " bytes, block header says ", raw_size));
  }
  return absl::OkStatus();
}

}  // namespace wayback
