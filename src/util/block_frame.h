// Copyright 2026 The Wayback Authors.
//
// The block frame of format version 2 (src/log/segment_format.md, V2.4),
// shared by segment blocks and, later, snapshot blocks: the 40 bytes at the
// start of every frame header that carry the sizes, the item count, the
// codec, the flags, the nonce and the two CRCs, and the one place where a
// payload is compressed, checksummed and (on the way back) checked and
// decompressed under the output cap. Each object kind appends its own fields
// after these 40 bytes; its frame header size is fixed per kind.
//
// Every number here is written to disk: FROZEN once a golden file holds it.
//
// Thread-safety: the functions are reentrant; a compressor or decompressor
// is used by one thread at a time.

#ifndef WAYBACK_SRC_UTIL_BLOCK_FRAME_H_
#define WAYBACK_SRC_UTIL_BLOCK_FRAME_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "src/util/compression.h"
#include "wayback/types.h"

namespace wayback::frame {

// How a payload is stored. FROZEN; 0 is reserved. (The same numbers as the
// v1 segment and snapshot codecs.)
enum class Codec : uint8_t {
  kZstd = 1,  // One zstd frame with its content size recorded.
  kNone = 2,  // Stored as is (used when zstd would not shrink the content).
};

// The common part: kCommonSize bytes at the start of every frame header.
inline constexpr size_t kCommonSize = 40;
inline constexpr size_t kHeaderCrc = 0;   // masked CRC32C of [4, header_size)
inline constexpr size_t kPayloadCrc = 4;  // masked CRC32C of the stored payload
inline constexpr size_t kStoredSize = 8;  // u32 payload bytes after the header
inline constexpr size_t kRawSize = 12;    // u32 decoded content bytes
inline constexpr size_t kItemCount = 16;  // u32 records / pairs / entries
inline constexpr size_t kCodec = 20;      // u8 Codec
inline constexpr size_t kFlags = 21;      // u8 FrameFlag bits
inline constexpr size_t kReserved1 = 22;  // 2 zero bytes
inline constexpr size_t kNonce = 24;      // 12 bytes, zero when plaintext
inline constexpr size_t kNonceSize = 12;
inline constexpr size_t kReserved2 = 36;  // 4 zero bytes

// FrameFlag bits (u8). FROZEN once implemented.
inline constexpr uint8_t kFlagEncrypted = 0x01;          // Not written yet.
inline constexpr uint8_t kFlagIndex = 0x02;              // Snapshots only.
inline constexpr uint8_t kFlagHasSourcePosition = 0x04;  // Segments only.

// Limits. A frame's content is at most kMaxRawSize bytes; its stored zstd
// payload at most zstd's worst-case expansion of that, rounded up.
inline constexpr size_t kMaxRawSize = 256u << 20;  // 256 MiB
inline constexpr size_t kMaxStoredSize =
    kMaxRawSize + (kMaxRawSize >> 7) + (1u << 17);

struct FrameHeader {
  uint32_t payload_crc = 0;  // Masked.
  uint32_t stored_size = 0;
  uint32_t raw_size = 0;
  uint32_t item_count = 0;
  Codec codec = Codec::kZstd;
  uint8_t flags = 0;
};

// Compresses `content` (at most kMaxRawSize bytes) into *scratch and fills
// the sizes, codec and payload CRC of *h. *payload views the stored payload:
// *scratch when zstd shrinks the content, else `content` itself (stored as
// is, so a frame never grows), so both must outlive its use.
absl::Status CompressFrame(ZstdCompressor* compressor, std::string_view content,
                           std::string* scratch, FrameHeader* h,
                           std::string_view* payload);

// Writes the common fields of `h` into dst[4, kCommonSize) (nonce and
// reserved bytes zero). The kind writes its own fields after them, then
// calls SealFrameHeader().
void EncodeFrameHeader(const FrameHeader& h, char* dst);
// Writes the header CRC: masked CRC32C of dst[4, header_size).
void SealFrameHeader(char* dst, size_t header_size);

// Checks the header CRC over in[4, header_size) first (on a mismatch no field
// is believed, a length least of all), then decodes the common fields and
// checks them: codec known, flags within `allowed_flags` and not ENCRYPTED
// (not implemented: refused), reserved bytes and nonce zero, sizes within the
// limits, stored_size == raw_size for kNone. kDataLoss naming object and
// offset otherwise.
absl::Status DecodeFrameHeader(std::string_view object, uint64_t offset,
                               std::string_view in, size_t header_size,
                               uint8_t allowed_flags, FrameHeader* h);

// Checks the stored payload of a frame whose header decoded as `h`: its size
// and CRC; then, for zstd, that the frame can produce exactly h.raw_size bytes
// (before allocating them), and decompresses into *buffer (exactly raw_size
// bytes). *content views the decoded bytes: *buffer, or `payload` itself for
// kNone. kDataLoss naming object, offset and `lsn` (kNoLsn if none).
absl::Status UnpackFramePayload(std::string_view object, uint64_t offset,
                                Lsn lsn, const FrameHeader& h,
                                std::string_view payload,
                                ZstdDecompressor* decompressor,
                                std::string* buffer, std::string_view* content);

}  // namespace wayback::frame

#endif  // WAYBACK_SRC_UTIL_BLOCK_FRAME_H_
