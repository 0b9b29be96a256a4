// Copyright 2026 The Wayback Authors.

#include "src/log/segment_format.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::log_format {
namespace {

bool AllZero(const char* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    if (p[i] != 0) return false;
  }
  return true;
}

bool KnownCodec(uint8_t codec) {
  return codec == static_cast<uint8_t>(Codec::kZstd) ||
         codec == static_cast<uint8_t>(Codec::kNone);
}

// The v2-only header fields (V2.3), after the header CRC matched.
absl::Status DecodeHeaderV2(std::string_view object, const char* p,
                            SegmentHeader* h) {
  // The flags this build does not implement yet: refused by name.
  static constexpr struct {
    uint32_t flag;
    std::string_view what;
  } kUnsupported[] = {
      {kSegEncrypted, "encrypted segment (flag ENCRYPTED)"},
      {kSegChained, "chained segment (flag CHAINED)"},
      {kSegFence, "version fence (flag FENCE)"},
      {kSegTimesUnordered,
       "segment with unordered commit times (flag TIMES_UNORDERED)"},
  };
  for (const auto& u : kUnsupported) {
    if (h->flags & u.flag) {
      return CorruptionAt(
          object, kHdrFlags, kNoLsn,
          absl::StrCat(AV(u.what), ": not supported by this build"));
    }
  }
  if (h->flags != 0) {
    return CorruptionAt(object, kHdrFlags, kNoLsn,
                        absl::StrCat("unknown segment flags ", h->flags));
  }
  if (h->encryption_key_id != 0) {
    return CorruptionAt(object, kHdrKeyId, kNoLsn,
                        absl::StrCat("key id ", h->encryption_key_id,
                                     " without the ENCRYPTED flag"));
  }
  if (!AllZero(p + kHdrKeySalt, kKeySaltSize)) {
    return CorruptionAt(object, kHdrKeySalt, kNoLsn,
                        "key salt set in a plaintext segment");
  }
  if (!AllZero(p + kHdrPrevChainHash, kChainHashSize)) {
    return CorruptionAt(object, kHdrPrevChainHash, kNoLsn,
                        "chain hash set without the CHAINED flag");
  }
  h->repository_id.assign(p + kHdrRepositoryId, kRepositoryIdSize);
  if (AllZero(p + kHdrRepositoryId, kRepositoryIdSize)) {
    return CorruptionAt(object, kHdrRepositoryId, kNoLsn,
                        "repository id is zero");
  }
  // Whether the generation matches the object's name is LoadSegment's check
  // (the header does not know its name).
  h->generation = DecodeFixed32(p + kHdrGeneration);
  if (!AllZero(p + kHdrReservedV2, kHdrCrcV2 - kHdrReservedV2)) {
    return CorruptionAt(object, kHdrReservedV2, kNoLsn,
                        "reserved header bytes are not zero");
  }
  return absl::OkStatus();
}

}  // namespace

void EncodeSegmentHeader(const SegmentHeader& h, char* dst) {
  const size_t size = h.size();
  std::memset(dst, 0, size);
  std::memcpy(dst + kHdrMagic, kHeaderMagic.data(), 8);
  EncodeFixed32(dst + kHdrVersion, h.format_version);
  EncodeFixed32(dst + kHdrHeaderSize, static_cast<uint32_t>(size));
  EncodeFixed32(dst + kHdrTimeline, h.timeline);
  dst[kHdrCodec] = static_cast<char>(h.codec);
  EncodeFixed32(dst + kHdrFlags, h.flags);
  EncodeFixed32(dst + kHdrKeyId, h.encryption_key_id);
  EncodeFixed64(dst + kHdrFirstLsn, h.first_lsn);
  EncodeFixed64(dst + kHdrCreateTime, static_cast<uint64_t>(h.create_time));
  std::memcpy(dst + kHdrPrevChainHash, h.prev_chain_hash.data(),
              std::min(h.prev_chain_hash.size(), kChainHashSize));
  EncodeFixed32(dst + kHdrCrc, crc32c::Mask(crc32c::Value(dst, kHdrCrc)));
  if (h.format_version == kFormatVersion1) return;
  std::memcpy(dst + kHdrRepositoryId, h.repository_id.data(),
              std::min(h.repository_id.size(), kRepositoryIdSize));
  EncodeFixed32(dst + kHdrGeneration, h.generation);
  EncodeFixed32(dst + kHdrCrcV2, crc32c::Mask(crc32c::Value(dst, kHdrCrcV2)));
}

absl::Status DecodeSegmentHeader(std::string_view object, std::string_view in,
                                 SegmentHeader* h, HeaderPrefix* prefix) {
  if (prefix != nullptr) *prefix = HeaderPrefix::kBad;
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
  const uint32_t version = DecodeFixed32(p + kHdrVersion);
  if (version != kFormatVersion1 && version != kFormatVersion2) {
    return CorruptionAt(object, kHdrVersion, kNoLsn,
                        absl::StrCat("unsupported segment format version ",
                                     version, " (this build reads 1 and 2)"));
  }
  h->format_version = version;
  if (prefix != nullptr) *prefix = HeaderPrefix::kKnown;
  if (DecodeFixed32(p + kHdrHeaderSize) != h->size()) {
    return CorruptionAt(object, kHdrHeaderSize, kNoLsn, "bad header size");
  }
  if (version == kFormatVersion2) {
    if (in.size() < kSegmentHeaderSizeV2) {
      return CorruptionAt(object, 0, kNoLsn,
                          absl::StrCat("segment header truncated: ", in.size(),
                                       " of ", kSegmentHeaderSizeV2, " bytes"));
    }
    if (crc32c::Unmask(DecodeFixed32(p + kHdrCrcV2)) !=
        crc32c::Value(p, kHdrCrcV2)) {
      return CorruptionAt(object, kHdrCrcV2, kNoLsn,
                          "segment header checksum mismatch");
    }
  }
  h->timeline = DecodeFixed32(p + kHdrTimeline);
  if (h->timeline == 0) {
    return CorruptionAt(object, kHdrTimeline, kNoLsn, "timeline 0");
  }
  const uint8_t codec = static_cast<uint8_t>(p[kHdrCodec]);
  if (!KnownCodec(codec)) {
    return CorruptionAt(object, kHdrCodec, kNoLsn,
                        absl::StrCat("unknown codec ", codec));
  }
  h->codec = static_cast<Codec>(codec);
  h->flags = DecodeFixed32(p + kHdrFlags);
  h->encryption_key_id = DecodeFixed32(p + kHdrKeyId);
  if (version == kFormatVersion1) {
    if (h->flags != 0) {
      return CorruptionAt(object, kHdrFlags, kNoLsn,
                          absl::StrCat("unknown segment flags ", h->flags));
    }
    if (h->encryption_key_id != 0) {
      return CorruptionAt(object, kHdrKeyId, kNoLsn,
                          "encrypted segments are not supported by this build");
    }
  }
  if (!AllZero(p + kHdrCodec + 1, 3) || !AllZero(p + kHdrReserved, 12)) {
    return CorruptionAt(object, kHdrReserved, kNoLsn,
                        "reserved header bytes are not zero");
  }
  if (version == kFormatVersion2) {
    WAYBACK_RETURN_IF_ERROR(DecodeHeaderV2(object, p, h));
  } else {
    h->repository_id.assign(kRepositoryIdSize, '\0');
    h->generation = 0;
  }
  h->first_lsn = DecodeFixed64(p + kHdrFirstLsn);
  if (h->first_lsn == kNoLsn) {
    return CorruptionAt(object, kHdrFirstLsn, kNoLsn, "first LSN 0");
  }
  if (h->first_lsn == kFenceLsn) {
    return CorruptionAt(object, kHdrFirstLsn, kNoLsn,
                        "first LSN 0xffffffffffffffff is reserved for fences");
  }
  h->create_time = static_cast<CommitTime>(DecodeFixed64(p + kHdrCreateTime));
  h->prev_chain_hash.assign(p + kHdrPrevChainHash, kChainHashSize);
  return absl::OkStatus();
}

absl::StatusOr<std::string> RepositoryIdFromHex(std::string_view hex) {
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  std::string id(kRepositoryIdSize, '\0');
  bool valid = hex.size() == 2 * kRepositoryIdSize;
  for (size_t i = 0; valid && i < id.size(); ++i) {
    const int hi = digit(hex[2 * i]), lo = digit(hex[2 * i + 1]);
    valid = hi >= 0 && lo >= 0;
    id[i] = static_cast<char>(hi << 4 | lo);
  }
  if (!valid || AllZero(id.data(), id.size())) {
    return absl::InvalidArgumentError(
        absl::StrCat("repository id \"", AV(hex),
                     "\" is not 32 lowercase hex digits, not all zero"));
  }
  return id;
}

std::string RepositoryIdToHex(std::string_view id) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (char c : id) {
    out.push_back(kDigits[(static_cast<uint8_t>(c) >> 4) & 0xf]);
    out.push_back(kDigits[static_cast<uint8_t>(c) & 0xf]);
  }
  return out;
}

void EncodeBlockHeader(const BlockHeader& h, char* dst) {
  if (h.format_version == kFormatVersion1) {
    std::memset(dst, 0, kBlockHeaderSize);
    EncodeFixed32(dst + kBlkStoredSize, h.stored_size);
    EncodeFixed32(dst + kBlkRawSize, h.raw_size);
    EncodeFixed32(dst + kBlkRecordCount, h.record_count);
    EncodeFixed64(dst + kBlkFirstLsn, h.first_lsn);
    EncodeFixed64(dst + kBlkLastLsn, h.last_lsn);
    EncodeFixed64(dst + kBlkFirstTime,
                  static_cast<uint64_t>(h.first_commit_time));
    EncodeFixed64(dst + kBlkLastTime,
                  static_cast<uint64_t>(h.last_commit_time));
    EncodeFixed32(dst + kBlkPayloadCrc, h.payload_crc);
    dst[kBlkCodec] = static_cast<char>(h.codec);
    EncodeFixed32(dst + kBlkHeaderCrc,
                  crc32c::Mask(crc32c::Value(dst + 4, kBlockHeaderSize - 4)));
    return;
  }
  frame::EncodeFrameHeader(h.frame(), dst);
  EncodeFixed64(dst + kBlk2FirstLsn, h.first_lsn);
  EncodeFixed64(dst + kBlk2LastLsn, h.last_lsn);
  EncodeFixed64(dst + kBlk2FirstTime,
                static_cast<uint64_t>(h.first_commit_time));
  EncodeFixed64(dst + kBlk2LastTime, static_cast<uint64_t>(h.last_commit_time));
  EncodeFixed64(dst + kBlk2MinTime, static_cast<uint64_t>(h.min_commit_time));
  EncodeFixed64(dst + kBlk2MaxTime, static_cast<uint64_t>(h.max_commit_time));
  EncodeFixed64(dst + kBlk2LastSourcePosition,
                h.has_source_position() ? h.last_source_position : 0);
  frame::SealFrameHeader(dst, kBlockHeaderSizeV2);
}

namespace {

absl::Status DecodeBlockHeaderV1(std::string_view object, uint64_t offset,
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
  h->format_version = kFormatVersion1;
  h->stored_size = DecodeFixed32(p + kBlkStoredSize);
  h->raw_size = DecodeFixed32(p + kBlkRawSize);
  h->record_count = DecodeFixed32(p + kBlkRecordCount);
  h->first_lsn = DecodeFixed64(p + kBlkFirstLsn);
  h->last_lsn = DecodeFixed64(p + kBlkLastLsn);
  h->first_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kBlkFirstTime));
  h->last_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kBlkLastTime));
  h->min_commit_time = h->first_commit_time;
  h->max_commit_time = h->last_commit_time;
  h->frame_flags = 0;
  h->last_source_position = 0;
  h->payload_crc = DecodeFixed32(p + kBlkPayloadCrc);
  uint8_t codec = static_cast<uint8_t>(p[kBlkCodec]);
  Lsn lsn = h->first_lsn;
  if (!KnownCodec(codec)) {
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
  return absl::OkStatus();
}

absl::Status DecodeBlockHeaderV2(std::string_view object, uint64_t offset,
                                 std::string_view in, BlockHeader* h) {
  frame::FrameHeader f;
  WAYBACK_RETURN_IF_ERROR(frame::DecodeFrameHeader(
      object, offset, in, kBlockHeaderSizeV2, kSegmentFrameFlags, &f));
  const char* p = in.data();
  h->format_version = kFormatVersion2;
  h->set_frame(f);
  h->first_lsn = DecodeFixed64(p + kBlk2FirstLsn);
  h->last_lsn = DecodeFixed64(p + kBlk2LastLsn);
  h->first_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kBlk2FirstTime));
  h->last_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kBlk2LastTime));
  h->min_commit_time = static_cast<CommitTime>(DecodeFixed64(p + kBlk2MinTime));
  h->max_commit_time = static_cast<CommitTime>(DecodeFixed64(p + kBlk2MaxTime));
  h->last_source_position = DecodeFixed64(p + kBlk2LastSourcePosition);
  if (!h->has_source_position() && h->last_source_position != 0) {
    return CorruptionAt(object, offset + kBlk2LastSourcePosition, h->first_lsn,
                        "source position set without HAS_SOURCE_POSITION");
  }
  // This build writes and reads no TIMES_UNORDERED segment: times are
  // non-decreasing, so the minimum is the first and the maximum the last.
  if (h->min_commit_time != h->first_commit_time ||
      h->max_commit_time != h->last_commit_time) {
    return CorruptionAt(
        object, offset + kBlk2MinTime, h->first_lsn,
        absl::StrCat("block min/max commit times ", h->min_commit_time, "/",
                     h->max_commit_time,
                     " are not its first/"
                     "last ",
                     h->first_commit_time, "/", h->last_commit_time));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status DecodeBlockHeader(std::string_view object, uint64_t offset,
                               std::string_view in, uint32_t format_version,
                               BlockHeader* h) {
  WAYBACK_RETURN_IF_ERROR(format_version == kFormatVersion1
                              ? DecodeBlockHeaderV1(object, offset, in, h)
                              : DecodeBlockHeaderV2(object, offset, in, h));
  const Lsn lsn = h->first_lsn;
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
