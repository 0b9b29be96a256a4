// Copyright 2026 The Wayback Authors.
//
// Constants and fixed layouts of the segment format, versions 1 and 2. The
// format is specified byte by byte in src/log/segment_format.md; this header
// is its only encoding in code. Every number here is written to disk: FROZEN.
// A change needs a new format version and a reader that still reads the
// older ones (tests/data/golden_v1_*.seg, tests/data/golden_v2_*.seg).

#ifndef WAYBACK_SRC_LOG_SEGMENT_FORMAT_H_
#define WAYBACK_SRC_LOG_SEGMENT_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/util/block_frame.h"
#include "wayback/types.h"

namespace wayback::log_format {

// The format versions this code writes and reads (LogWriterOptions chooses
// which one is written).
inline constexpr uint32_t kFormatVersion1 = 1;
inline constexpr uint32_t kFormatVersion2 = 2;
inline constexpr uint32_t kNewestFormatVersion = kFormatVersion2;

// Magic numbers (8 ASCII bytes each).
inline constexpr std::string_view kHeaderMagic = "WBKLOGHD";   // Offset 0.
inline constexpr std::string_view kFooterMagic = "WBKLOGIX";   // Footer start.
inline constexpr std::string_view kTrailerMagic = "WBKLOGND";  // Last 8 bytes.

// Compression codec of a segment (header) and of one block (block header):
// the frame's codec (kZstd = 1, kNone = 2). FROZEN; 0 is reserved.
using Codec = frame::Codec;

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
// Version 2 (V2.3): the v1 fields above keep their offsets (the CRC at 92 is
// the prefix CRC), then:
inline constexpr size_t kSegmentHeaderSizeV2 = 160;
inline constexpr size_t kRepositoryIdSize = 16;
inline constexpr size_t kKeySaltSize = 16;
inline constexpr size_t kHdrRepositoryId = 96;  // 16 bytes, never all zero
inline constexpr size_t kHdrKeySalt = 112;      // 16 bytes, zero: plaintext
inline constexpr size_t kHdrGeneration = 128;   // u32, equals the name's
inline constexpr size_t kHdrReservedV2 = 132;   // 24 zero bytes
inline constexpr size_t kHdrCrcV2 = 156;        // masked CRC32C of [0, 156)
// The largest header of any version: what a reader reads first.
inline constexpr size_t kMaxSegmentHeaderSize = kSegmentHeaderSizeV2;

// SegmentFlag bits (u32 at kHdrFlags; version 2 only, 0 in version 1).
// FROZEN. This build writes none of them and refuses every one (V2.15 rule 4).
inline constexpr uint32_t kSegEncrypted = 1u << 0;
inline constexpr uint32_t kSegChained = 1u << 1;
inline constexpr uint32_t kSegFence = 1u << 2;
inline constexpr uint32_t kSegTimesUnordered = 1u << 3;
// The first LSN of a version fence's name (V2.13); never a segment's.
inline constexpr Lsn kFenceLsn = ~Lsn{0};

struct SegmentHeader {
  uint32_t format_version = kFormatVersion1;
  TimelineId timeline = kFirstTimeline;
  Lsn first_lsn = 1;
  Codec codec = Codec::kZstd;
  uint32_t flags = 0;
  uint32_t encryption_key_id = 0;
  CommitTime create_time = 0;
  std::string prev_chain_hash = std::string(kChainHashSize, '\0');
  // Version 2 only.
  std::string repository_id = std::string(kRepositoryIdSize, '\0');
  uint32_t generation = 0;

  size_t size() const {
    return format_version == kFormatVersion1 ? kSegmentHeaderSize
                                             : kSegmentHeaderSizeV2;
  }
};

// Writes the header of h.format_version into dst[0, h.size()).
void EncodeSegmentHeader(const SegmentHeader& h, char* dst);

// How much of a header DecodeSegmentHeader could check.
enum class HeaderPrefix {
  kBad,    // Magic or prefix CRC wrong: nothing is known.
  kKnown,  // Magic, prefix CRC and a known version: *h has format_version.
};
// Parses and verifies a header, in the order of V2.1: magic, prefix CRC,
// version, (v2) header size and header CRC, then every other field (codec,
// flags, reserved bytes, key id, repository id, generation, LSN). `in` holds
// the object's first bytes (kMaxSegmentHeaderSize, or all of a shorter
// object). kDataLoss naming `object` and the field's offset on any mismatch;
// *prefix (if not null) says whether the version was known, which tells a
// torn v2 header (shorter than 160 bytes) from a damaged one.
absl::Status DecodeSegmentHeader(std::string_view object, std::string_view in,
                                 SegmentHeader* h,
                                 HeaderPrefix* prefix = nullptr);

// The repository id of a v2 header from the identity object's 32 hex digits
// (V2.1: byte i is hex digits 2i and 2i+1). kInvalidArgument if `hex` is not
// 32 lowercase hex digits or is all zero.
absl::StatusOr<std::string> RepositoryIdFromHex(std::string_view hex);
// The 32 lowercase hex digits of a 16-byte repository id (for messages).
std::string RepositoryIdToHex(std::string_view id);

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

// Version 2 (V2.4): the 40-byte frame (src/util/block_frame.h), then:
inline constexpr size_t kBlockHeaderSizeV2 = 96;
inline constexpr size_t kBlk2FirstLsn = 40;            // u64
inline constexpr size_t kBlk2LastLsn = 48;             // u64
inline constexpr size_t kBlk2FirstTime = 56;           // i64
inline constexpr size_t kBlk2LastTime = 64;            // i64
inline constexpr size_t kBlk2MinTime = 72;             // i64
inline constexpr size_t kBlk2MaxTime = 80;             // i64
inline constexpr size_t kBlk2LastSourcePosition = 88;  // u64
// The frame flags a segment block may carry.
inline constexpr uint8_t kSegmentFrameFlags = frame::kFlagHasSourcePosition;

inline constexpr size_t BlockHeaderSize(uint32_t format_version) {
  return format_version == kFormatVersion1 ? kBlockHeaderSize
                                           : kBlockHeaderSizeV2;
}

struct BlockHeader {
  uint32_t format_version = kFormatVersion1;
  uint32_t stored_size = 0;  // Payload bytes (after the header).
  uint32_t raw_size = 0;     // Bytes of records once decoded.
  uint32_t record_count = 0;
  Lsn first_lsn = kNoLsn;
  Lsn last_lsn = kNoLsn;
  CommitTime first_commit_time = 0;
  CommitTime last_commit_time = 0;
  uint32_t payload_crc = 0;  // Masked.
  Codec codec = Codec::kZstd;
  // Version 2 only (version 1: min = first, max = last, no positions).
  CommitTime min_commit_time = 0;
  CommitTime max_commit_time = 0;
  uint8_t frame_flags = 0;
  // Meaningful only with frame::kFlagHasSourcePosition in frame_flags.
  uint64_t last_source_position = 0;

  size_t size() const { return BlockHeaderSize(format_version); }
  bool has_source_position() const {
    return (frame_flags & frame::kFlagHasSourcePosition) != 0;
  }
  frame::FrameHeader frame() const {
    frame::FrameHeader f;
    f.payload_crc = payload_crc;
    f.stored_size = stored_size;
    f.raw_size = raw_size;
    f.item_count = record_count;
    f.codec = codec;
    f.flags = frame_flags;
    return f;
  }
  // The inverse of frame(): the frame's fields into this header.
  void set_frame(const frame::FrameHeader& f) {
    payload_crc = f.payload_crc;
    stored_size = f.stored_size;
    raw_size = f.raw_size;
    record_count = f.item_count;
    codec = f.codec;
    frame_flags = f.flags;
  }
};

// Writes the header of h.format_version into dst[0, h.size()).
void EncodeBlockHeader(const BlockHeader& h, char* dst);
// Decodes the block header of a segment of `format_version`. Verifies the
// header CRC first (on a mismatch no field is trusted), then the limits and
// internal consistency (record_count == last - first + 1, times ordered,
// sizes within limits; v2: frame flags, min <= first, last <= max and, as
// this build writes no TIMES_UNORDERED segment, min = first and max = last).
// kDataLoss naming object and offset.
absl::Status DecodeBlockHeader(std::string_view object, uint64_t offset,
                               std::string_view in, uint32_t format_version,
                               BlockHeader* h);

// ---- Records (inside a block's decoded payload). ----
// Flags byte of a transaction record. FROZEN.
inline constexpr uint8_t kTxnHasTxid = 0x01;
inline constexpr uint8_t kTxnKnownFlags = kTxnHasTxid;
// Version 2 (V2.5): the flags byte of every record, before the body.
inline constexpr uint8_t kRecHasTxid = 0x01;  // Transactions only.
inline constexpr uint8_t kRecHasSourcePosition = 0x02;
// The smallest record of each version (bounds record_count by raw_size).
inline constexpr size_t kMinRecordSizeV1 = 5;
inline constexpr size_t kMinRecordSizeV2 = 6;

// ---- Limits (enforced by writer and reader alike). ----
inline constexpr size_t kMaxKeySize = 1u << 20;      // 1 MiB
inline constexpr size_t kMaxValueSize = 128u << 20;  // 128 MiB
inline constexpr size_t kMaxRestorePointName = 1024;
// A block holds whole records; a single record larger than the writer's block
// size gets a block of its own, up to this raw size.
inline constexpr size_t kMaxBlockRawSize = frame::kMaxRawSize;  // 256 MiB
// zstd's worst-case expansion of kMaxBlockRawSize, rounded up.
inline constexpr size_t kMaxBlockStoredSize = frame::kMaxStoredSize;

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
// Version 2 (V2.6): the fixed part grows to 160 bytes, entries to 80.
inline constexpr size_t kFooterFixedSizeV2 = 160;
inline constexpr size_t kFtFlags = 12;                 // u32 (v1: reserved)
inline constexpr size_t kFtMinTime = 104;              // i64
inline constexpr size_t kFtMaxTime = 112;              // i64
inline constexpr size_t kFtFirstSourcePosition = 120;  // u64
inline constexpr size_t kFtLastSourcePosition = 128;   // u64
inline constexpr size_t kFtReservedV2 = 136;           // 24 zero bytes
// footer_flags bits. FROZEN.
inline constexpr uint32_t kFooterHasSourcePosition = 1u << 0;
inline constexpr size_t kIndexEntrySizeV2 = 80;
inline constexpr size_t kIxMinTime = 48;             // i64
inline constexpr size_t kIxMaxTime = 56;             // i64
inline constexpr size_t kIxLastSourcePosition = 64;  // u64
inline constexpr size_t kIxFrameFlags = 72;          // u8, then 7 zero bytes

inline constexpr size_t FooterFixedSize(uint32_t format_version) {
  return format_version == kFormatVersion1 ? kFooterFixedSize
                                           : kFooterFixedSizeV2;
}
inline constexpr size_t IndexEntrySize(uint32_t format_version) {
  return format_version == kFormatVersion1 ? kIndexEntrySize
                                           : kIndexEntrySizeV2;
}
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
