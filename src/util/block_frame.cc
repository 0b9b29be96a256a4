// Copyright 2026 The Wayback Authors.

#include "src/util/block_frame.h"

#include <zstd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::frame {
namespace {

// zstd's largest block output (ZSTD_BLOCKSIZE_MAX) and the fewest stored
// bytes that can produce any output: a 3-byte block header plus at least one
// byte (an RLE block). So a frame of n bytes never decodes to more than
// n / 4 * 128 KiB, whatever its header declares.
constexpr uint64_t kZstdMaxBlockOutput = uint64_t{1} << 17;
constexpr uint64_t kZstdMinBytesPerBlock = 4;

bool AllZero(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

// Checks, without decoding, that the stored zstd frame can decode to exactly
// raw_size bytes: its declared content size, if recorded, must equal
// raw_size (the formats always record it), and raw_size must not exceed what
// the frame's bytes could physically produce. Only then is raw_size worth
// allocating.
absl::Status CheckZstdFits(std::string_view object, uint64_t offset, Lsn lsn,
                           uint32_t raw_size, std::string_view payload) {
  // (A frame declaring 2^64-2 bytes reads as ZSTD_CONTENTSIZE_ERROR too.)
  const unsigned long long declared =
      ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return CorruptionAt(object, offset, lsn,
                        "block payload does not start with a valid zstd "
                        "frame header");
  }
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != raw_size) {
    return CorruptionAt(object, offset, lsn,
                        absl::StrCat("zstd frame declares ", declared,
                                     " bytes, block header says ", raw_size));
  }
  const uint64_t most =
      payload.size() / kZstdMinBytesPerBlock * kZstdMaxBlockOutput;
  if (raw_size > most) {
    return CorruptionAt(
        object, offset, lsn,
        absl::StrCat("a zstd frame of ", payload.size(),
                     " bytes cannot decode to the ", raw_size,
                     " bytes the block header says (at most ", most, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status CompressFrame(ZstdCompressor* compressor, std::string_view content,
                           std::string* scratch, FrameHeader* h,
                           std::string_view* payload) {
  if (content.size() > kMaxRawSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "block content of ", content.size(), " bytes exceeds ", kMaxRawSize));
  }
  WAYBACK_RETURN_IF_ERROR(compressor->Compress(content, scratch));
  h->raw_size = static_cast<uint32_t>(content.size());
  if (scratch->size() < content.size()) {
    *payload = *scratch;
    h->codec = Codec::kZstd;
  } else {
    // Incompressible (or tiny): store as is, so a block never grows.
    *payload = content;
    h->codec = Codec::kNone;
  }
  h->stored_size = static_cast<uint32_t>(payload->size());
  h->payload_crc = crc32c::Mask(crc32c::Value(*payload));
  return absl::OkStatus();
}

void EncodeFrameHeader(const FrameHeader& h, char* dst) {
  std::memset(dst + 4, 0, kCommonSize - 4);
  EncodeFixed32(dst + kPayloadCrc, h.payload_crc);
  EncodeFixed32(dst + kStoredSize, h.stored_size);
  EncodeFixed32(dst + kRawSize, h.raw_size);
  EncodeFixed32(dst + kItemCount, h.item_count);
  dst[kCodec] = static_cast<char>(h.codec);
  dst[kFlags] = static_cast<char>(h.flags);
}

void SealFrameHeader(char* dst, size_t header_size) {
  EncodeFixed32(dst + kHeaderCrc,
                crc32c::Mask(crc32c::Value(dst + 4, header_size - 4)));
}

absl::Status DecodeFrameHeader(std::string_view object, uint64_t offset,
                               std::string_view in, size_t header_size,
                               uint8_t allowed_flags, FrameHeader* h) {
  if (in.size() < header_size) {
    return CorruptionAt(object, offset, kNoLsn,
                        absl::StrCat("block header truncated: ", in.size(),
                                     " of ", header_size, " bytes"));
  }
  const char* p = in.data();
  if (crc32c::Unmask(DecodeFixed32(p + kHeaderCrc)) !=
      crc32c::Value(p + 4, header_size - 4)) {
    // No field of a header that fails its checksum is trusted, the length
    // least of all.
    return CorruptionAt(object, offset, kNoLsn,
                        "block header checksum mismatch");
  }
  h->payload_crc = DecodeFixed32(p + kPayloadCrc);
  h->stored_size = DecodeFixed32(p + kStoredSize);
  h->raw_size = DecodeFixed32(p + kRawSize);
  h->item_count = DecodeFixed32(p + kItemCount);
  const uint8_t codec = static_cast<uint8_t>(p[kCodec]);
  h->flags = static_cast<uint8_t>(p[kFlags]);
  if (codec != static_cast<uint8_t>(Codec::kZstd) &&
      codec != static_cast<uint8_t>(Codec::kNone)) {
    return CorruptionAt(object, offset + kCodec, kNoLsn,
                        absl::StrCat("unknown block codec ", codec));
  }
  h->codec = static_cast<Codec>(codec);
  if ((h->flags & kFlagEncrypted) != 0) {
    return CorruptionAt(object, offset + kFlags, kNoLsn,
                        "encrypted block (frame flag ENCRYPTED): encryption "
                        "is not supported by this build");
  }
  if ((h->flags & ~allowed_flags) != 0) {
    return CorruptionAt(
        object, offset + kFlags, kNoLsn,
        absl::StrCat("unknown or misplaced frame flags ", h->flags));
  }
  if (!AllZero(p + kReserved1, 2) || !AllZero(p + kReserved2, 4)) {
    return CorruptionAt(object, offset + kReserved1, kNoLsn,
                        "reserved block header bytes set");
  }
  if (!AllZero(p + kNonce, kNonceSize)) {
    return CorruptionAt(object, offset + kNonce, kNoLsn,
                        "nonce set in a plaintext block");
  }
  if (h->raw_size > kMaxRawSize || h->stored_size > kMaxStoredSize) {
    return CorruptionAt(object, offset + kStoredSize, kNoLsn,
                        absl::StrCat("block sizes out of range: stored ",
                                     h->stored_size, ", raw ", h->raw_size));
  }
  if (h->codec == Codec::kNone && h->stored_size != h->raw_size) {
    return CorruptionAt(object, offset + kStoredSize, kNoLsn,
                        "uncompressed block with stored size != raw size");
  }
  return absl::OkStatus();
}

absl::Status UnpackFramePayload(std::string_view object, uint64_t offset,
                                Lsn lsn, const FrameHeader& h,
                                std::string_view payload,
                                ZstdDecompressor* decompressor,
                                std::string* buffer,
                                std::string_view* content) {
  if (payload.size() != h.stored_size) {
    return CorruptionAt(object, offset, lsn,
                        absl::StrCat("block payload is ", payload.size(),
                                     " bytes, header says ", h.stored_size));
  }
  if (crc32c::Unmask(h.payload_crc) != crc32c::Value(payload)) {
    return CorruptionAt(object, offset, lsn, "block payload checksum mismatch");
  }
  if (h.codec == Codec::kNone) {
    *content = payload;
    return absl::OkStatus();
  }
  // Look at the frame before allocating for it: resize() touches every page,
  // so a tiny frame under a header claiming the format's largest raw size
  // would otherwise cost that much memory before being refused.
  WAYBACK_RETURN_IF_ERROR(
      CheckZstdFits(object, offset, lsn, h.raw_size, payload));
  // The buffer is exactly raw_size bytes: decompression cannot exceed the
  // recorded size, whatever the frame claims.
  buffer->resize(h.raw_size);
  absl::Status s =
      decompressor->Decompress(payload, buffer->data(), h.raw_size);
  if (!s.ok()) {
    return CorruptionAt(object, offset, lsn, std::string(s.message()));
  }
  *content = *buffer;
  return absl::OkStatus();
}

}  // namespace wayback::frame
