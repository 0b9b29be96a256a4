// Copyright 2026 The Wayback Authors.

#include "src/log/segment_format.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"

namespace wayback::log_format {
namespace {

bool AllZero(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

}  // namespace

void EncodeSegmentHeader(const SegmentHeader& h, char* dst) {
  std::memset(dst, 0, kSegmentHeaderSize);
  std::memcpy(dst + kHdrMagic, kHeaderMagic.data(), 8);
  EncodeFixed32(dst + kHdrVersion, kFormatVersion);
  EncodeFixed32(dst + kHdrHeaderSize, kSegmentHeaderSize);
  EncodeFixed32(dst + kHdrTimeline, h.timeline);
  dst[kHdrCodec] = static_cast<char>(h.codec);
  EncodeFixed32(dst + kHdrFlags, h.flags);
  EncodeFixed32(dst + kHdrKeyId, h.encryption_key_id);
  EncodeFixed64(dst + kHdrFirstLsn, h.first_lsn);
  EncodeFixed64(dst + kHdrCreateTime, static_cast<uint64_t>(h.create_time));
  std::memcpy(dst + kHdrPrevChainHash, h.prev_chain_hash.data(),
              std::min(h.prev_chain_hash.size(), kChainHashSize));
  EncodeFixed32(dst + kHdrCrc, crc32c::Mask(crc32c::Value(dst, kHdrCrc)));
}

absl::Status DecodeSegmentHeader(std::string_view object, std::string_view in,
                                 SegmentHeader* h) {
  if (in.size() < kSegmentHeaderSize) {
    return CorruptionAt(object, 0, kNoLsn,
                        absl::StrCat("segment header truncated: ", in.size(),
                                     " of ", kSegmentHeaderSize, " bytes"));
  }
  const char* p = in.data();
  if (std::string_view(p, 8) != kHeaderMagic) {
    return CorruptionAt(object, 0, kNoLsn, "bad segment header magic");
  }
  uint32_t crc = crc32c::Unmask(DecodeFixed32(p + kHdrCrc));
  if (crc != crc32c::Value(p, kHdrCrc)) {
    return CorruptionAt(object, kHdrCrc, kNoLsn,
                        "segment header checksum mismatch");
  }
  uint32_t version = DecodeFixed32(p + kHdrVersion);
  if (version != kFormatVersion) {
    return CorruptionAt(
        object, kHdrVersion, kNoLsn,
        absl::StrCat("unsupported segment format version ", version,
                     " (this build reads ", kFormatVersion, ")"));
  }
  if (DecodeFixed32(p + kHdrHeaderSize) != kSegmentHeaderSize) {
    return CorruptionAt(object, kHdrHeaderSize, kNoLsn, "bad header size");
  }
  h->timeline = DecodeFixed32(p + kHdrTimeline);
  if (h->timeline == 0) {
    return CorruptionAt(object, kHdrTimeline, kNoLsn, "timeline 0");
  }
  uint8_t codec = static_cast<uint8_t>(p[kHdrCodec]);
  if (codec != static_cast<uint8_t>(Codec::kZstd) &&
      codec != static_cast<uint8_t>(Codec::kNone)) {
    return CorruptionAt(object, kHdrCodec, kNoLsn,
                        absl::StrCat("unknown codec ", codec));
  }
  h->codec = static_cast<Codec>(codec);
  h->flags = DecodeFixed32(p + kHdrFlags);
  if (h->flags != 0) {
    return CorruptionAt(object, kHdrFlags, kNoLsn,
                        absl::StrCat("unknown segment flags ", h->flags));
  }
  h->encryption_key_id = DecodeFixed32(p + kHdrKeyId);
  if (h->encryption_key_id != 0) {
    return CorruptionAt(object, kHdrKeyId, kNoLsn,
                        "encrypted segments are not supported by this build");
  }
  if (!AllZero(p + kHdrCodec + 1, 3) || !AllZero(p + kHdrReserved, 12)) {
    return CorruptionAt(object, kHdrReserved, kNoLsn,
                        "reserved header bytes are not zero");
  }
  h->first_lsn = DecodeFixed64(p + kHdrFirstLsn);
  if (h->first_lsn == kNoLsn) {
    return CorruptionAt(object, kHdrFirstLsn, kNoLsn, "first LSN 0");
  }
  h->create_time = static_cast<CommitTime>(DecodeFixed64(p + kHdrCreateTime));
  h->prev_chain_hash.assign(p + kHdrPrevChainHash, kChainHashSize);
  return absl::OkStatus();
}

void EncodeBlockHeader(const BlockHeader& h, char* dst) {
  std::memset(dst, 0, kBlockHeaderSize);
  EncodeFixed32(dst + kBlkStoredSize, h.stored_size);
  EncodeFixed32(dst + kBlkRawSize, h.raw_size);
  EncodeFixed32(dst + kBlkRecordCount, h.record_count);
  EncodeFixed64(dst + kBlkFirstLsn, h.first_lsn);
  EncodeFixed64(dst + kBlkLastLsn, h.last_lsn);
  EncodeFixed64(dst + kBlkFirstTime,
                static_cast<uint64_t>(h.first_commit_time));
  EncodeFixed64(dst + kBlkLastTime, static_cast<uint64_t>(h.last_commit_time));
  EncodeFixed32(dst + kBlkPayloadCrc, h.payload_crc);
  dst[kBlkCodec] = static_cast<char>(h.codec);
  EncodeFixed32(dst + kBlkHeaderCrc,
                crc32c::Mask(crc32c::Value(dst + 4, kBlockHeaderSize - 4)));
}

absl::Status DecodeBlockHeader(std::string_view object, uint64_t offset,
                               std::string_view in, BlockHeader* h) {
  if (in.size() < kBlockHeaderSize) {
    return CorruptionAt(object, offset, kNoLsn,
                        absl::StrCat("block header truncated: ", in.size(),
                                     " of ", kBlockHeaderSize, " bytes"));
  }
  const char* p = in.data();
  uint32_t crc = crc32c::Unmask(DecodeFixed32(p + kBlkHeaderCrc));
  if (crc != crc32c::Value(p + 4, kBlockHeaderSize - 4)) {
    // No field of a header that fails its checksum is trusted, the length
    // least of all.
    return CorruptionAt(object, offset, kNoLsn,
                        "block header checksum mismatch");
  }
  h->stored_size = DecodeFixed32(p + kBlkStoredSize);
  h->raw_size = DecodeFixed32(p + kBlkRawSize);
  h->record_count = DecodeFixed32(p + kBlkRecordCount);
  h->first_lsn = DecodeFixed64(p + kBlkFirstLsn);
  h->last_lsn = DecodeFixed64(p + kBlkLastLsn);
  h->first_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kBlkFirstTime));
  h->last_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kBlkLastTime));
  h->payload_crc = DecodeFixed32(p + kBlkPayloadCrc);
  uint8_t codec = static_cast<uint8_t>(p[kBlkCodec]);
  Lsn lsn = h->first_lsn;
  if (codec != static_cast<uint8_t>(Codec::kZstd) &&
      codec != static_cast<uint8_t>(Codec::kNone)) {
    return CorruptionAt(object, offset, lsn,
                        absl::StrCat("unknown block codec ", codec));
  }
  h->codec = static_cast<Codec>(codec);
  if (!AllZero(p + kBlkCodec + 1, 3)) {
    return CorruptionAt(object, offset, lsn, "reserved block header bytes set");
  }
  if (h->raw_size > kMaxBlockRawSize || h->stored_size > kMaxBlockStoredSize) {
    return CorruptionAt(object, offset, lsn,
                        absl::StrCat("block sizes out of range: stored ",
                                     h->stored_size, ", raw ", h->raw_size));
  }
  if (h->codec == Codec::kNone && h->stored_size != h->raw_size) {
    return CorruptionAt(object, offset, lsn,
                        "uncompressed block with stored size != raw size");
  }
  if (h->record_count == 0 || h->first_lsn == kNoLsn ||
      h->last_lsn < h->first_lsn ||
      h->last_lsn - h->first_lsn != h->record_count - 1) {
    return CorruptionAt(
        object, offset, lsn,
        absl::StrCat("block LSN range ", h->first_lsn, "..", h->last_lsn,
                     " does not hold ", h->record_count, " records"));
  }
  if (h->last_commit_time < h->first_commit_time) {
    return CorruptionAt(object, offset, lsn, "block commit times go backwards");
  }
  return absl::OkStatus();
}

}  // namespace wayback::log_format
