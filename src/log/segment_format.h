// Copyright 2026 The Wayback Authors.
//
// Constants and fixed layouts of the segment format, version 1. The format is
// specified byte by byte in src/log/segment_format.md; this header is its
// only encoding in code. Every number here is written to disk: FROZEN. A
// change needs a new format version and a reader that still reads version 1
// (tests/data/golden_v1_*.seg).

#ifndef WAYBACK_SRC_LOG_SEGMENT_FORMAT_H_
#define WAYBACK_SRC_LOG_SEGMENT_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "wayback/types.h"

namespace wayback::log_format {

// The format version this code writes, and the only one it reads.
inline constexpr uint32_t kFormatVersion = 1;

// Magic numbers (8 ASCII bytes each).
inline constexpr std::string_view kHeaderMagic = "WBKLOGHD";   // Offset 0.
inline constexpr std::string_view kFooterMagic = "WBKLOGIX";   // Footer start.
inline constexpr std::string_view kTrailerMagic = "WBKLOGND";  // Last 8 bytes.

// Compression codec of a segment (header) and of one block (block header).
// FROZEN; 0 is reserved.
enum class Codec : uint8_t {
  kZstd = 1,  // One zstd frame with its content size recorded.
  kNone = 2,  // Stored as is (used when zstd would not shrink the block).
};

// ---- Segment header: kSegmentHeaderSize bytes at offset 0. ----
inline constexpr size_t kSegmentHeaderSize = 96;
inline constexpr size_t kChainHashSize = 32;
// Field offsets.
inline constexpr size_t kHdrMagic = 0;           // 8 bytes
inline constexpr size_t kHdrVersion = 8;         // u32
inline constexpr size_t kHdrHeaderSize = 12;     // u32 (= 96)
inline constexpr size_t kHdrTimeline = 16;       // u32
inline constexpr size_t kHdrCodec = 20;          // u8, then 3 zero bytes
inline constexpr size_t kHdrFlags = 24;          // u32 (0 in v1)
inline constexpr size_t kHdrKeyId = 28;          // u32 (0: not encrypted)
inline constexpr size_t kHdrFirstLsn = 32;       // u64
inline constexpr size_t kHdrCreateTime = 40;     // i64 (informative)
inline constexpr size_t kHdrPrevChainHash = 48;  // 32 bytes (zero in v1)
inline constexpr size_t kHdrReserved = 80;       // 12 zero bytes
inline constexpr size_t kHdrCrc = 92;            // masked CRC32C of [0, 92)

struct SegmentHeader {
  TimelineId timeline = kFirstTimeline;
  Lsn first_lsn = 1;
  Codec codec = Codec::kZstd;
  uint32_t flags = 0;
  uint32_t encryption_key_id = 0;
  CommitTime create_time = 0;
  std::string prev_chain_hash = std::string(kChainHashSize, '\0');
};

// Writes the header into dst[0, kSegmentHeaderSize).
void EncodeSegmentHeader(const SegmentHeader& h, char* dst);
// Parses and verifies a header (magic, CRC, version, codec, flags, reserved
// bytes, key id, LSN). kDataLoss naming `object` on any mismatch.
absl::Status DecodeSegmentHeader(std::string_view object, std::string_view in,
                                 SegmentHeader* h);

// ---- Block header: kBlockHeaderSize bytes before each block's payload. ----
inline constexpr size_t kBlockHeaderSize = 56;
inline constexpr size_t kBlkHeaderCrc = 0;     // masked CRC32C of [4, 56)
inline constexpr size_t kBlkStoredSize = 4;    // u32 payload bytes
inline constexpr size_t kBlkRawSize = 8;       // u32 decoded record bytes
inline constexpr size_t kBlkRecordCount = 12;  // u32
inline constexpr size_t kBlkFirstLsn = 16;     // u64
inline constexpr size_t kBlkLastLsn = 24;      // u64
inline constexpr size_t kBlkFirstTime = 32;    // i64
inline constexpr size_t kBlkLastTime = 40;     // i64
inline constexpr size_t kBlkPayloadCrc = 48;   // masked CRC32C of payload
inline constexpr size_t kBlkCodec = 52;        // u8, then 3 zero bytes

struct BlockHeader {
  uint32_t stored_size = 0;  // Payload bytes (after the header).
  uint32_t raw_size = 0;     // Bytes of records once decoded.
  uint32_t record_count = 0;
  Lsn first_lsn = kNoLsn;
  Lsn last_lsn = kNoLsn;
  CommitTime first_commit_time = 0;
  CommitTime last_commit_time = 0;
  uint32_t payload_crc = 0;  // Masked.
  Codec codec = Codec::kZstd;
};

void EncodeBlockHeader(const BlockHeader& h, char* dst);
// Verifies the header CRC first (on a mismatch no field is trusted), then the
// limits and internal consistency (record_count == last - first + 1, times
// ordered, sizes within limits). kDataLoss naming object and offset.
absl::Status DecodeBlockHeader(std::string_view object, uint64_t offset,
                               std::string_view in, BlockHeader* h);

// ---- Records (inside a block's decoded payload). ----
// Flags byte of a transaction record. FROZEN.
inline constexpr uint8_t kTxnHasTxid = 0x01;
inline constexpr uint8_t kTxnKnownFlags = kTxnHasTxid;

// ---- Limits (enforced by writer and reader alike). ----
inline constexpr size_t kMaxKeySize = 1u << 20;      // 1 MiB
inline constexpr size_t kMaxValueSize = 128u << 20;  // 128 MiB
inline constexpr size_t kMaxRestorePointName = 1024;
// A block holds whole records; a single record larger than the writer's block
// size gets a block of its own, up to this raw size.
inline constexpr size_t kMaxBlockRawSize = 256u << 20;  // 256 MiB
// zstd's worst-case expansion of kMaxBlockRawSize, rounded up.
inline constexpr size_t kMaxBlockStoredSize =
    kMaxBlockRawSize + (kMaxBlockRawSize >> 7) + (1u << 17);

// ---- Footer (sealed segments only). ----
// Fixed part, then block_count index entries, then the trailer.
inline constexpr size_t kFooterFixedSize = 104;
inline constexpr size_t kFtMagic = 0;           // 8 bytes kFooterMagic
inline constexpr size_t kFtBlockCount = 8;      // u32
inline constexpr size_t kFtReserved = 12;       // u32 zero
inline constexpr size_t kFtLastLsn = 16;        // u64
inline constexpr size_t kFtFirstTime = 24;      // i64
inline constexpr size_t kFtLastTime = 32;       // i64
inline constexpr size_t kFtRecordCount = 40;    // u64
inline constexpr size_t kFtTxnCount = 48;       // u64
inline constexpr size_t kFtMutationCount = 56;  // u64
inline constexpr size_t kFtRawBytes = 64;       // u64
inline constexpr size_t kFtChainHash = 72;      // 32 bytes (zero in v1)
// One index entry per block.
inline constexpr size_t kIndexEntrySize = 48;
inline constexpr size_t kIxOffset = 0;      // u64
inline constexpr size_t kIxStoredSize = 8;  // u32 header + payload
inline constexpr size_t kIxRawSize = 12;    // u32
inline constexpr size_t kIxFirstLsn = 16;   // u64
inline constexpr size_t kIxLastLsn = 24;    // u64
inline constexpr size_t kIxFirstTime = 32;  // i64
inline constexpr size_t kIxLastTime = 40;   // i64
// Trailer: the last kTrailerSize bytes of a sealed segment.
inline constexpr size_t kTrailerSize = 16;
inline constexpr size_t kTrFooterLength = 0;  // u32: fixed part + index
inline constexpr size_t kTrFooterCrc = 4;     // masked CRC32C of footer
                                              // and kTrFooterLength field
inline constexpr size_t kTrMagic = 8;         // 8 bytes kTrailerMagic
// Largest footer a reader accepts (about 1.4 M blocks).
inline constexpr size_t kMaxFooterSize = 64u << 20;

}  // namespace wayback::log_format

#endif  // WAYBACK_SRC_LOG_SEGMENT_FORMAT_H_
