// Copyright 2026 The Wayback Authors.
//
// Snapshot formats v1 and v2: constants and the codecs of their fixed parts
// (headers, v1 block header, index entries, footers, the v2 summary and delta
// entries). The byte-level specification, with
// the reasons for each choice, is src/snapshot/snapshot_format.md; this file
// and that one change together.
//
// Object layout of version 1 (all integers little-endian; version 2 below):
//
//   header        kHeaderSize bytes, magic first
//   block 0       kBlockHeaderSize bytes + compressed payload
//   ...
//   block N-1
//   index         one entry per block (varints and keys)
//   footer        kFooterSize bytes, magic last
//
// Every number and enum value below is written to disk: frozen. A change that
// alters any of them is a new format version.

#ifndef WAYBACK_SRC_SNAPSHOT_SNAPSHOT_FORMAT_H_
#define WAYBACK_SRC_SNAPSHOT_SNAPSHOT_FORMAT_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/util/coding.h"
#include "wayback/types.h"

namespace wayback::snapshot_format {

// The first 8 bytes of every snapshot. The leading 0x89 byte is not ASCII (so
// a text file never looks like a snapshot) and the trailing "\r\n" breaks
// under newline translation, as PNG's signature does.
inline constexpr char kHeaderMagic[8] = {'\x89', 'W', 'B',  'S',
                                         'N',    'P', '\r', '\n'};
// The last 8 bytes of every complete snapshot.
inline constexpr char kFooterMagic[8] = {'\x89', 'W', 'B',  'E',
                                         'N',    'D', '\r', '\n'};
inline constexpr size_t kMagicSize = 8;

// The format version in the header and the footer.
inline constexpr uint32_t kFormatVersion = 1;

// Block compression. Written to disk: frozen; 0 is reserved.
enum class Codec : uint8_t {
  kZstd = 1,
};

// Header flag bits. Written to disk: frozen. v1 writers write 0 and v1
// readers refuse any set bit (a later version will use bit 0 for encryption).
inline constexpr uint8_t kFlagEncrypted = 0x01;  // Reserved; not in v1.
inline constexpr uint8_t kKnownFlags = 0x00;

inline constexpr size_t kHeaderSize = 96;
inline constexpr size_t kBlockHeaderSize = 16;
inline constexpr size_t kFooterSize = 104;
inline constexpr size_t kEncryptionKeyIdSize = 16;
inline constexpr size_t kChainHashSize = 32;
// The smallest complete snapshot: header, no blocks, empty index, footer.
inline constexpr size_t kMinObjectSize = kHeaderSize + kFooterSize;

// The largest raw (uncompressed) block a v1 reader accepts, and so the
// largest key + value a writer accepts (a pair never spans blocks). A hostile
// block can make a reader allocate at most this much.
inline constexpr uint32_t kMaxBlockRawSize = 256u << 20;
// A block's raw bytes never exceed the zstd bound of this, so the compressed
// size is also bounded: ZSTD_compressBound(256 MiB) < 257 MiB.
inline constexpr uint32_t kMaxBlockCompressedSize = 257u << 20;
// Index larger than this is refused (about 2 million blocks of 128-byte keys).
inline constexpr uint64_t kMaxIndexSize = 1ull << 30;

// The header (kHeaderSize bytes).
//
//   off size field
//     0    8 magic            kHeaderMagic
//     8    4 version          kFormatVersion
//    12    4 timeline         != 0
//    16    8 lsn
//    24    1 codec            Codec
//    25    1 flags            0 in v1
//    26    6 reserved         0
//    32   16 encryption key id (reserved, 0 in v1)
//    48   32 chain hash       (reserved, 0 in v1)
//    80   12 reserved         0
//    92    4 masked CRC32C of bytes [0, 92)
struct Header {
  uint32_t version = kFormatVersion;
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;
  Codec codec = Codec::kZstd;
  uint8_t flags = 0;
};
// Appends exactly kHeaderSize bytes.
void EncodeHeader(const Header& h, std::string* dst);
// Decodes and checks kHeaderSize bytes. On failure returns false and sets
// *error to the reason and *error_offset to the offset within the header.
bool DecodeHeader(std::string_view in, Header* h, std::string* error,
                  size_t* error_offset);

// A block header (kBlockHeaderSize bytes), followed by compressed_size bytes
// of zstd frame.
//
//   off size field
//     0    4 masked CRC32C of bytes [4, 16) and the compressed payload
//     4    4 compressed_size
//     8    4 raw_size
//    12    4 pair_count       >= 1
struct BlockHeader {
  uint32_t compressed_size = 0;
  uint32_t raw_size = 0;
  uint32_t pair_count = 0;
};
// Writes kBlockHeaderSize bytes at dst; the CRC covers the sizes and
// `payload`.
void EncodeBlockHeader(const BlockHeader& h, std::string_view payload,
                       char* dst);
// Reads the sizes of a block header (no checking).
BlockHeader DecodeBlockHeader(const char* src);
// True if the stored CRC matches the header's sizes and `payload`.
bool BlockCrcMatches(const char* header, std::string_view payload);

// The raw bytes of a block: pair_count pairs, each
//   varint64 key_length, varint64 value_length, key, value
// with keys strictly increasing (bytewise) across the block and the object.
// Appends one pair.
inline void AppendPair(std::string* dst, std::string_view key,
                       std::string_view value) {
  char lens[20];
  char* p = EncodeVarint64(lens, key.size());
  p = EncodeVarint64(p, value.size());
  dst->append(lens, p - lens);
  dst->append(key.data(), key.size());
  dst->append(value.data(), value.size());
}
// The encoded size of one pair.
inline size_t PairSize(std::string_view key, std::string_view value) {
  return VarintLength(key.size()) + VarintLength(value.size()) + key.size() +
         value.size();
}
// Decodes the pair at the front of *in into views of *in's bytes. Returns
// false if the bytes end early or a varint is malformed.
inline bool GetPair(std::string_view* in, std::string_view* key,
                    std::string_view* value) {
  uint64_t klen, vlen;
  std::string_view save = *in;
  if (!GetVarint64(in, &klen) || !GetVarint64(in, &vlen) || klen > in->size() ||
      vlen > in->size() - klen) {
    *in = save;
    return false;
  }
  *key = in->substr(0, klen);
  *value = in->substr(klen, vlen);
  in->remove_prefix(klen + vlen);
  return true;
}

// One index entry (one per block, in block order):
//   varint64 offset            of the block header in the object
//   varint64 compressed_size
//   varint64 raw_size
//   varint64 pair_count
//   varint64 first_key_length, first_key
//   varint64 last_key_length,  last_key
struct IndexEntry {
  uint64_t offset = 0;
  uint64_t compressed_size = 0;
  uint64_t raw_size = 0;
  uint64_t pair_count = 0;
  std::string_view first_key;
  std::string_view last_key;
};
void EncodeIndexEntry(const IndexEntry& e, std::string* dst);
// Consumes one entry from the front of *in; the keys view *in's bytes.
// Returns false if the bytes end early or a varint is malformed.
bool DecodeIndexEntry(std::string_view* in, IndexEntry* e);

// The footer (kFooterSize bytes), the last bytes of the object.
//
//   off size field
//     0    8 lsn              equals the header's
//     8    8 commit_time      int64 ns since the epoch (UTC)
//    16    4 timeline         equals the header's
//    20    4 block_count
//    24    8 pair_count       also the state digest's count
//    32    8 digest_low       state digest sum, low 64 bits
//    40    8 digest_high      state digest sum, high 64 bits
//    48    8 raw_bytes        sum of the blocks' raw sizes
//    56    8 index_offset
//    64    8 index_size
//    72    4 masked CRC32C of the index bytes
//    76    4 version          kFormatVersion
//    80   12 reserved         0
//    92    4 masked CRC32C of bytes [0, 92)
//    96    8 magic            kFooterMagic
struct Footer {
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  TimelineId timeline = kFirstTimeline;
  uint32_t block_count = 0;
  uint64_t pair_count = 0;
  uint64_t digest_low = 0;
  uint64_t digest_high = 0;
  uint64_t raw_bytes = 0;
  uint64_t index_offset = 0;
  uint64_t index_size = 0;
  uint32_t index_crc = 0;  // Masked.
  uint32_t version = kFormatVersion;
};
// Appends exactly kFooterSize bytes.
void EncodeFooter(const Footer& f, std::string* dst);
// Decodes and checks kFooterSize bytes (magic, CRC, version, reserved bytes).
// On failure returns false, sets *error and *error_offset (within the
// footer).
bool DecodeFooter(std::string_view in, Footer* f, std::string* error,
                  size_t* error_offset);

// Byte offsets inside the header and footer (for messages and tests).
inline constexpr size_t kHeaderCrcOffset = 92;
inline constexpr size_t kFooterCrcOffset = 92;
inline constexpr size_t kFooterMagicOffset = 96;

// ---------------------------------------------------------------------------
// Version 2 (snapshot_format.md, "Version 2"). Blocks and the index are
// frames of the shared block frame (src/util/block_frame.h).
//
//   header        kHeaderSizeV2 bytes
//   block 0       kFrameHeaderSize bytes + stored payload
//   ...
//   index frame   kFrameHeaderSize bytes (frame flag INDEX) + payload:
//                 entries, then kSummarySize bytes of summary
//   footer        kFooterSizeV2 bytes, magic last
//
// Every number below is written to disk: frozen.

inline constexpr uint32_t kFormatVersion2 = 2;

inline constexpr size_t kHeaderSizeV2 = 160;
inline constexpr size_t kFrameHeaderSize = 40;
inline constexpr size_t kSummarySize = 64;
inline constexpr size_t kFooterSizeV2 = 192;
inline constexpr size_t kRepositoryIdSize = 16;
// The smallest v2 snapshot: an empty full snapshot (header, an index frame
// holding only the summary, footer).
inline constexpr size_t kMinObjectSizeV2 =
    kHeaderSizeV2 + kFrameHeaderSize + kSummarySize + kFooterSizeV2;

// The tail shape shared by every version: the u32 28 bytes before the end is
// the version, and from version 2 on the u32 24 bytes before the end is the
// footer size.
inline constexpr size_t kTailVersionFromEnd = 28;

// Header v2 flag bits (u8 at 25). kFlagEncrypted (above) is bit 0.
inline constexpr uint8_t kFlagChained = 0x02;  // Not implemented: refused.
inline constexpr uint8_t kFlagFence = 0x04;
inline constexpr uint8_t kKnownFlagsV2 =
    kFlagEncrypted | kFlagChained | kFlagFence;

// Footer v2 flag bits (u32 at 88).
inline constexpr uint32_t kFooterHasSourcePosition = 0x01;

// Delta entry types: the log's MutationType numbers (frozen); 3 (range
// delete) is refused in snapshots.
enum class EntryType : uint8_t {
  kPut = 1,
  kDelete = 2,
};

// Header v2 (kHeaderSizeV2 bytes).
//
//   off size field
//     0    8 magic            kHeaderMagic
//     8    4 version          kFormatVersion2
//    12    4 timeline         != 0
//    16    8 lsn
//    24    1 codec            informative: the default frame codec
//    25    1 flags            kFlagEncrypted, kFlagChained, kFlagFence
//    26    1 kind             SnapshotKind
//    27    1 reserved         0
//    28    4 key_id           0: plaintext
//    32   16 reserved         0
//    48   32 chain_hash       0 unless kFlagChained
//    80   12 reserved         0
//    92    4 prefix_crc       masked CRC32C of [0, 92)
//    96   16 repository_id    never all zero
//   112   16 key_salt         0 when plaintext
//   128    4 generation
//   132   24 reserved         0
//   156    4 header_crc       masked CRC32C of [0, 156)
struct HeaderV2 {
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;
  uint8_t codec = 1;
  uint8_t flags = 0;
  uint8_t kind = 1;
  uint32_t key_id = 0;
  std::string repository_id = std::string(kRepositoryIdSize, '\0');
  uint32_t generation = 0;
};
inline constexpr size_t kHeaderV2CrcOffset = 156;
void EncodeHeaderV2(const HeaderV2& h, std::string* dst);

// The identification prefix every version shares: magic, then the CRC at 92
// over [0, 92), then the version. `in` must hold at least kHeaderSize bytes.
// On failure returns false, sets *error and *error_offset.
bool DecodeHeaderPrefix(std::string_view in, uint32_t* version,
                        std::string* error, size_t* error_offset);
// Decodes and checks a v2 header (kHeaderSizeV2 bytes) whose prefix
// DecodeHeaderPrefix() accepted: header_crc, timeline, codec, kind, flags
// (ENCRYPTED and CHAINED are refused: not implemented), key id and salt,
// reserved bytes, repository id not zero.
bool DecodeHeaderV2(std::string_view in, HeaderV2* h, std::string* error,
                    size_t* error_offset);

// Footer v2 (kFooterSizeV2 bytes), the last bytes of the object.
//
//   off size field
//     0    8 lsn                   equals the header's
//     8    8 commit_time
//    16    4 timeline              equals the header's
//    20    4 block_count
//    24    8 pair_count            of the resulting state
//    32    8 entry_count           pairs or entries in the blocks
//    40    8 delete_count
//    48    8 raw_bytes
//    56    8 index_offset          of the index frame header
//    64    8 index_size            kFrameHeaderSize + its stored size
//    72    8 max_commit_time
//    80    8 last_source_position  meaningful with kFooterHasSourcePosition
//    88    4 footer_flags
//    92    4 chain_depth
//    96    4 base_timeline
//   100    4 base_generation
//   104    8 base_lsn
//   112    1 base_kind
//   113   51 reserved              0
//   164    4 version               kFormatVersion2
//   168    4 footer_size           kFooterSizeV2
//   172    8 reserved              0
//   180    4 footer_crc            masked CRC32C of [0, 180)
//   184    8 magic                 kFooterMagic
struct FooterV2 {
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  TimelineId timeline = kFirstTimeline;
  uint32_t block_count = 0;
  uint64_t pair_count = 0;
  uint64_t entry_count = 0;
  uint64_t delete_count = 0;
  uint64_t raw_bytes = 0;
  uint64_t index_offset = 0;
  uint64_t index_size = 0;
  CommitTime max_commit_time = 0;
  uint64_t last_source_position = 0;
  uint32_t flags = 0;
  uint32_t chain_depth = 0;
  TimelineId base_timeline = 0;
  uint32_t base_generation = 0;
  Lsn base_lsn = 0;
  uint8_t base_kind = 0;
};
void EncodeFooterV2(const FooterV2& f, std::string* dst);
// Decodes and checks kFooterSizeV2 bytes: magic, version, footer size, CRC,
// flags, reserved bytes. (The kind-dependent rules are the reader's.)
bool DecodeFooterV2(std::string_view in, FooterV2* f, std::string* error,
                    size_t* error_offset);
// Offsets inside the v2 footer (for messages and tests).
inline constexpr size_t kFooterV2PairCount = 24;
inline constexpr size_t kFooterV2IndexOffset = 56;
inline constexpr size_t kFooterV2Flags = 88;
inline constexpr size_t kFooterV2ChainDepth = 92;
inline constexpr size_t kFooterV2BaseTimeline = 96;
inline constexpr size_t kFooterV2Version = 164;
inline constexpr size_t kFooterV2CrcOffset = 180;

// The summary: the last kSummarySize bytes of the index frame's content.
//   0 digest_low, 8 digest_high, 16 digest_count: the state as of lsn
//  24 base_digest_low, 32 base_digest_high, 40 base_digest_count: a delta's
//     base state (zero for a full snapshot)
//  48 16 reserved bytes, zero
struct Summary {
  StateDigest digest;
  StateDigest base_digest;
};
void EncodeSummary(const Summary& s, std::string* dst);
// False if the reserved bytes are not zero. `in` is kSummarySize bytes.
bool DecodeSummary(std::string_view in, Summary* s);

// A delta block's raw bytes: entries, each
//   u8 EntryType, varint64 key_length, varint64 value_length, key, value
// (value_length 0 for a delete), keys strictly increasing.
inline void AppendEntry(std::string* dst, EntryType type, std::string_view key,
                        std::string_view value) {
  dst->push_back(static_cast<char>(type));
  AppendPair(dst, key, value);
}
inline size_t EntrySize(std::string_view key, std::string_view value) {
  return 1 + PairSize(key, value);
}
// Decodes the entry at the front of *in. Returns false if the bytes end
// early, a varint is malformed, the type is unknown, or a delete has a value.
inline bool GetEntry(std::string_view* in, std::string_view* key,
                     std::string_view* value, bool* deleted) {
  if (in->empty()) return false;
  const uint8_t type = static_cast<uint8_t>((*in)[0]);
  if (type != static_cast<uint8_t>(EntryType::kPut) &&
      type != static_cast<uint8_t>(EntryType::kDelete)) {
    return false;
  }
  std::string_view rest = in->substr(1);
  if (!GetPair(&rest, key, value)) return false;
  *deleted = type == static_cast<uint8_t>(EntryType::kDelete);
  if (*deleted && !value->empty()) return false;
  *in = rest;
  return true;
}

}  // namespace wayback::snapshot_format

#endif  // WAYBACK_SRC_SNAPSHOT_SNAPSHOT_FORMAT_H_
