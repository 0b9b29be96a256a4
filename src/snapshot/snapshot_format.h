// Copyright 2026 The Wayback Authors.
//
// Snapshot format v1: constants and the codecs of its fixed parts (header,
// block header, index entries, footer). The byte-level specification, with
// the reasons for each choice, is src/snapshot/snapshot_format.md; this file
// and that one change together.
//
// Object layout (all integers little-endian):
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

}  // namespace wayback::snapshot_format

#endif  // WAYBACK_SRC_SNAPSHOT_SNAPSHOT_FORMAT_H_
