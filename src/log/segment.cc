// Copyright 2026 The Wayback Authors.

#include "src/log/segment.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/log/block.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/repository_identity.h"
#include "wayback/status.h"

namespace wayback {

std::string SegmentObjectName(TimelineId timeline, Lsn first_lsn, bool sealed) {
  return absl::StrFormat("log/%08x-%016x.%s", timeline, first_lsn,
                         sealed ? "seg" : "live");
}

std::string ReplacementSegmentObjectName(TimelineId timeline, Lsn first_lsn,
                                         uint32_t generation) {
  return absl::StrFormat("log/%08x-%016x-%08x.seg", timeline, first_lsn,
                         generation);
}

bool ParseSegmentObjectName(std::string_view name, TimelineId* timeline,
                            Lsn* first_lsn, bool* sealed) {
  // log/ + 8 hex + '-' + 16 hex + ".seg" | ".live"
  constexpr size_t kStem = 4 + 8 + 1 + 16;
  if (name.size() < kStem || name.substr(0, 4) != "log/" || name[12] != '-') {
    return false;
  }
  std::string_view ext = name.substr(kStem);
  bool is_sealed;
  if (ext == ".seg") {
    is_sealed = true;
  } else if (ext == ".live") {
    is_sealed = false;
  } else {
    return false;
  }
  uint64_t t, l;
  if (!ParseLowerHex(name.substr(4, 8), &t) ||
      !ParseLowerHex(name.substr(13, 16), &l) || t == 0 || l == 0) {
    return false;
  }
  *timeline = static_cast<TimelineId>(t);
  *first_lsn = l;
  *sealed = is_sealed;
  return true;
}

bool ParseSegmentObjectName(std::string_view name, TimelineId* timeline,
                            Lsn* first_lsn, bool* sealed,
                            uint32_t* generation) {
  if (ParseSegmentObjectName(name, timeline, first_lsn, sealed)) {
    *generation = 0;
    return true;
  }
  if (!log_format::ParseReplacementSegmentName(name, timeline, generation)) {
    return false;
  }
  uint64_t l = 0;
  ParseLowerHex(name.substr(13, 16), &l);
  *first_lsn = l;
  *sealed = true;
  return true;
}

namespace log_format {

bool ParseReplacementSegmentName(std::string_view name, TimelineId* timeline,
                                 uint32_t* generation) {
  // log/ + 8 hex + '-' + 16 hex + '-' + 8 hex + ".seg"
  constexpr size_t kSize = 4 + 8 + 1 + 16 + 1 + 8 + 4;
  uint64_t t, l, g;
  if (name.size() != kSize || name.substr(0, 4) != "log/" || name[12] != '-' ||
      name[29] != '-' || name.substr(38) != ".seg" ||
      !ParseLowerHex(name.substr(4, 8), &t) ||
      !ParseLowerHex(name.substr(13, 16), &l) ||
      !ParseLowerHex(name.substr(30, 8), &g) || t == 0 || l == 0 || g == 0) {
    return false;
  }
  *timeline = static_cast<TimelineId>(t);
  *generation = static_cast<uint32_t>(g);
  return true;
}

std::vector<SegmentRef> TimelineSegments(const std::vector<ObjectInfo>& objects,
                                         TimelineId timeline,
                                         bool drop_leftovers) {
  std::vector<SegmentRef> segs;
  for (const ObjectInfo& o : objects) {
    TimelineId t;
    Lsn first;
    bool sealed;
    if (ParseSegmentObjectName(o.name, &t, &first, &sealed) && t == timeline) {
      segs.push_back({first, sealed, o.name});
    }
  }
  std::sort(segs.begin(), segs.end(),
            [](const SegmentRef& a, const SegmentRef& b) {
              return a.first_lsn != b.first_lsn ? a.first_lsn < b.first_lsn
                                                : a.sealed > b.sealed;
            });
  if (drop_leftovers) {
    segs.erase(std::unique(segs.begin(), segs.end(),
                           [](const SegmentRef& a, const SegmentRef& b) {
                             return a.first_lsn == b.first_lsn;
                           }),
               segs.end());
  }
  return segs;
}

std::string RepositoryIdToCheck(Storage* storage) {
  auto identity = ReadRepositoryIdentity(storage);
  if (!identity.ok() || !identity->has_value()) return std::string();
  return RepositoryIdFromHex((**identity).id).value_or(std::string());
}

absl::StatusOr<std::string_view> ReadExact(const ReadableObject& obj,
                                           std::string_view name,
                                           uint64_t offset, size_t n,
                                           std::string* scratch) {
  if (scratch->size() < n) scratch->resize(n);
  auto r = obj.ReadAt(offset, n, scratch->data());
  if (!r.ok()) {
    return absl::Status(
        r.status().code(),
        absl::StrCat(Where(name, offset), ": ", r.status().message()));
  }
  if (r->size() != n) {
    return CorruptionAt(name, offset, kNoLsn,
                        absl::StrCat("short read: ", r->size(), " of ", n,
                                     " bytes (object is ", obj.size(), ")"));
  }
  return *r;
}

absl::Status CheckBlockMatchesIndex(std::string_view name, const BlockInfo& b,
                                    const BlockHeader& h) {
  // (Compared by hand: g++ 12 warns on optional's operator!= here.)
  const bool pos_differs =
      h.has_source_position() != b.last_source_position.has_value() ||
      (h.has_source_position() &&
       h.last_source_position != *b.last_source_position);
  if (h.format_version != b.format_version || h.first_lsn != b.first_lsn ||
      h.last_lsn != b.last_lsn || h.stored_size + h.size() != b.stored_size ||
      h.raw_size != b.raw_size || h.first_commit_time != b.first_commit_time ||
      h.last_commit_time != b.last_commit_time ||
      h.min_commit_time != b.min_commit_time ||
      h.max_commit_time != b.max_commit_time || pos_differs) {
    return CorruptionAt(name, b.offset, h.first_lsn,
                        "block header disagrees with the segment index");
  }
  return absl::OkStatus();
}

absl::Status ReadBlockAt(const ReadableObject& object, std::string_view name,
                         const BlockInfo& b, std::string* buf, BlockHeader* h,
                         std::string_view* payload) {
  const size_t header_size = BlockHeaderSize(b.format_version);
  if (b.stored_size < header_size) {
    return CorruptionAt(name, b.offset, b.first_lsn,
                        "block shorter than a header");
  }
  WAYBACK_ASSIGN_OR_RETURN(
      std::string_view bytes,
      ReadExact(object, name, b.offset, b.stored_size, buf));
  WAYBACK_RETURN_IF_ERROR(
      DecodeBlockHeader(name, b.offset, bytes, b.format_version, h));
  WAYBACK_RETURN_IF_ERROR(CheckBlockMatchesIndex(name, b, *h));
  *payload = bytes.substr(header_size);
  return absl::OkStatus();
}

void EncodeFooter(const SegmentInfo& info, std::string* dst) {
  const uint32_t version = info.format_version;
  const bool v2 = version != kFormatVersion1;
  const size_t entry_size = IndexEntrySize(version);
  const size_t start = dst->size();
  const size_t len = FooterFixedSize(version) + entry_size * info.blocks.size();
  dst->resize(start + len + kTrailerSize);
  char* p = dst->data() + start;
  std::memset(p, 0, len + kTrailerSize);
  std::memcpy(p + kFtMagic, kFooterMagic.data(), 8);
  EncodeFixed32(p + kFtBlockCount, static_cast<uint32_t>(info.blocks.size()));
  EncodeFixed64(p + kFtLastLsn, info.last_lsn);
  EncodeFixed64(p + kFtFirstTime,
                static_cast<uint64_t>(info.first_commit_time));
  EncodeFixed64(p + kFtLastTime, static_cast<uint64_t>(info.last_commit_time));
  EncodeFixed64(p + kFtRecordCount, info.record_count);
  EncodeFixed64(p + kFtTxnCount, info.transaction_count);
  EncodeFixed64(p + kFtMutationCount, info.mutation_count);
  EncodeFixed64(p + kFtRawBytes, info.raw_bytes);
  if (v2) {
    EncodeFixed64(p + kFtMinTime, static_cast<uint64_t>(info.min_commit_time));
    EncodeFixed64(p + kFtMaxTime, static_cast<uint64_t>(info.max_commit_time));
    if (info.last_source_position) {
      EncodeFixed32(p + kFtFlags, kFooterHasSourcePosition);
      EncodeFixed64(p + kFtFirstSourcePosition,
                    info.first_source_position.value_or(0));
      EncodeFixed64(p + kFtLastSourcePosition, *info.last_source_position);
    }
  }
  char* e = p + FooterFixedSize(version);
  for (const BlockInfo& b : info.blocks) {
    EncodeFixed64(e + kIxOffset, b.offset);
    EncodeFixed32(e + kIxStoredSize, b.stored_size);
    EncodeFixed32(e + kIxRawSize, b.raw_size);
    EncodeFixed64(e + kIxFirstLsn, b.first_lsn);
    EncodeFixed64(e + kIxLastLsn, b.last_lsn);
    EncodeFixed64(e + kIxFirstTime, static_cast<uint64_t>(b.first_commit_time));
    EncodeFixed64(e + kIxLastTime, static_cast<uint64_t>(b.last_commit_time));
    if (v2) {
      EncodeFixed64(e + kIxMinTime, static_cast<uint64_t>(b.min_commit_time));
      EncodeFixed64(e + kIxMaxTime, static_cast<uint64_t>(b.max_commit_time));
      if (b.last_source_position) {
        EncodeFixed64(e + kIxLastSourcePosition, *b.last_source_position);
        e[kIxFrameFlags] = static_cast<char>(frame::kFlagHasSourcePosition);
      }
    }
    e += entry_size;
  }
  char* t = p + len;
  EncodeFixed32(t + kTrFooterLength, static_cast<uint32_t>(len));
  uint32_t crc = crc32c::Value(p, len);
  crc = crc32c::Extend(crc, t + kTrFooterLength, 4);
  EncodeFixed32(t + kTrFooterCrc, crc32c::Mask(crc));
  std::memcpy(t + kTrMagic, kTrailerMagic.data(), 8);
}

namespace {

// Result of looking for a footer at the end of an object.
enum class FooterState { kValid, kAbsent };

// Reads and fully validates the footer. kAbsent if the last 8 bytes are not
// the trailer magic; kDataLoss if they are but anything else is wrong.
absl::StatusOr<FooterState> ReadFooter(const ReadableObject& obj,
                                       std::string_view name,
                                       const SegmentHeader& header,
                                       SegmentInfo* info) {
  const uint32_t version = header.format_version;
  const bool v2 = version != kFormatVersion1;
  const size_t header_size = header.size();
  const size_t fixed_size = FooterFixedSize(version);
  const size_t entry_size = IndexEntrySize(version);
  const uint64_t size = obj.size();
  if (size < header_size + kTrailerSize) return FooterState::kAbsent;
  std::string scratch;
  WAYBACK_ASSIGN_OR_RETURN(
      std::string_view tr,
      ReadExact(obj, name, size - kTrailerSize, kTrailerSize, &scratch));
  if (tr.substr(kTrMagic, 8) != kTrailerMagic) return FooterState::kAbsent;
  const uint64_t tr_off = size - kTrailerSize;
  const uint32_t len = DecodeFixed32(tr.data() + kTrFooterLength);
  const uint32_t stored_crc =
      crc32c::Unmask(DecodeFixed32(tr.data() + kTrFooterCrc));
  char len_bytes[4];
  std::memcpy(len_bytes, tr.data() + kTrFooterLength, 4);
  if (len < fixed_size || len > kMaxFooterSize ||
      len > size - header_size - kTrailerSize ||
      (len - fixed_size) % entry_size != 0) {
    return CorruptionAt(name, tr_off, kNoLsn,
                        absl::StrCat("bad footer length ", len));
  }
  const uint64_t ft_off = tr_off - len;
  std::string body_buf;
  WAYBACK_ASSIGN_OR_RETURN(std::string_view body,
                           ReadExact(obj, name, ft_off, len, &body_buf));
  uint32_t crc = crc32c::Extend(crc32c::Value(body), len_bytes, 4);
  if (crc != stored_crc) {
    return CorruptionAt(name, ft_off, kNoLsn, "footer checksum mismatch");
  }
  const char* p = body.data();
  auto bad = [&](std::string_view what) {
    return CorruptionAt(name, ft_off, kNoLsn,
                        absl::StrCat("footer: ", AV(what)));
  };
  if (std::string_view(p, 8) != kFooterMagic) return bad("bad magic");
  const uint32_t count = DecodeFixed32(p + kFtBlockCount);
  if (fixed_size + uint64_t{count} * entry_size != len) {
    return bad("block count does not match its length");
  }
  if (count == 0) return bad("no blocks");
  const uint32_t footer_flags = DecodeFixed32(p + kFtFlags);
  if (!v2 && footer_flags != 0) return bad("reserved bytes set");
  if (v2 && (footer_flags & ~kFooterHasSourcePosition) != 0) {
    return bad(absl::StrCat("unknown footer flags ", footer_flags));
  }
  if (v2 && !std::all_of(p + kFtReservedV2, p + kFooterFixedSizeV2,
                         [](char c) { return c == 0; })) {
    return bad("reserved bytes set");
  }
  if (v2 && !std::all_of(p + kFtChainHash, p + kFtChainHash + kChainHashSize,
                         [](char c) { return c == 0; })) {
    return bad("chain hash set without the CHAINED flag");
  }
  info->last_lsn = DecodeFixed64(p + kFtLastLsn);
  info->first_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kFtFirstTime));
  info->last_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kFtLastTime));
  info->record_count = DecodeFixed64(p + kFtRecordCount);
  info->transaction_count = DecodeFixed64(p + kFtTxnCount);
  info->mutation_count = DecodeFixed64(p + kFtMutationCount);
  info->raw_bytes = DecodeFixed64(p + kFtRawBytes);
  info->first_source_position.reset();
  info->last_source_position.reset();
  if (v2) {
    info->min_commit_time =
        static_cast<CommitTime>(DecodeFixed64(p + kFtMinTime));
    info->max_commit_time =
        static_cast<CommitTime>(DecodeFixed64(p + kFtMaxTime));
    const uint64_t first_pos = DecodeFixed64(p + kFtFirstSourcePosition);
    const uint64_t last_pos = DecodeFixed64(p + kFtLastSourcePosition);
    if (footer_flags & kFooterHasSourcePosition) {
      if (last_pos < first_pos) {
        return bad("first source position after the last");
      }
      info->first_source_position = first_pos;
      info->last_source_position = last_pos;
    } else if (first_pos != 0 || last_pos != 0) {
      return bad("source positions set without HAS_SOURCE_POSITION");
    }
  } else {
    info->min_commit_time = info->first_commit_time;
    info->max_commit_time = info->last_commit_time;
  }
  info->blocks.clear();
  info->blocks.reserve(count);
  uint64_t expect_off = header_size;
  Lsn expect_lsn = header.first_lsn;
  CommitTime prev_time = info->first_commit_time;
  std::optional<uint64_t> prev_pos;
  uint64_t records = 0, raw = 0;
  CommitTime min_time = INT64_MAX, max_time = INT64_MIN;
  const size_t block_header_size = BlockHeaderSize(version);
  const char* e = p + fixed_size;
  for (uint32_t i = 0; i < count; ++i, e += entry_size) {
    BlockInfo b;
    b.format_version = version;
    b.offset = DecodeFixed64(e + kIxOffset);
    b.stored_size = DecodeFixed32(e + kIxStoredSize);
    b.raw_size = DecodeFixed32(e + kIxRawSize);
    b.first_lsn = DecodeFixed64(e + kIxFirstLsn);
    b.last_lsn = DecodeFixed64(e + kIxLastLsn);
    b.first_commit_time =
        static_cast<CommitTime>(DecodeFixed64(e + kIxFirstTime));
    b.last_commit_time =
        static_cast<CommitTime>(DecodeFixed64(e + kIxLastTime));
    bool entry_ok = true;
    if (v2) {
      b.min_commit_time =
          static_cast<CommitTime>(DecodeFixed64(e + kIxMinTime));
      b.max_commit_time =
          static_cast<CommitTime>(DecodeFixed64(e + kIxMaxTime));
      const uint64_t pos = DecodeFixed64(e + kIxLastSourcePosition);
      const uint8_t flags = static_cast<uint8_t>(e[kIxFrameFlags]);
      entry_ok = (flags & ~kSegmentFrameFlags) == 0 &&
                 std::all_of(e + kIxFrameFlags + 1, e + kIndexEntrySizeV2,
                             [](char c) { return c == 0; });
      if (flags & frame::kFlagHasSourcePosition) {
        b.last_source_position = pos;
        entry_ok = entry_ok && (!prev_pos || pos > *prev_pos);
        prev_pos = pos;
      } else {
        entry_ok = entry_ok && pos == 0;
      }
      // Without TIMES_UNORDERED (refused with the header), min is the first
      // time and max the last.
      entry_ok = entry_ok && b.min_commit_time == b.first_commit_time &&
                 b.max_commit_time == b.last_commit_time;
    } else {
      b.min_commit_time = b.first_commit_time;
      b.max_commit_time = b.last_commit_time;
    }
    if (!entry_ok || b.offset != expect_off ||
        b.stored_size < block_header_size ||
        b.stored_size - block_header_size > kMaxBlockStoredSize ||
        b.raw_size > kMaxBlockRawSize || b.first_lsn != expect_lsn ||
        b.last_lsn < b.first_lsn || b.first_commit_time < prev_time ||
        b.last_commit_time < b.first_commit_time) {
      return bad(absl::StrCat("index entry ", i, " is inconsistent"));
    }
    b.record_count = static_cast<uint32_t>(b.last_lsn - b.first_lsn + 1);
    expect_off += b.stored_size;
    expect_lsn = b.last_lsn + 1;
    prev_time = b.last_commit_time;
    records += b.record_count;
    raw += b.raw_size;
    min_time = std::min(min_time, b.min_commit_time);
    max_time = std::max(max_time, b.max_commit_time);
    info->blocks.push_back(b);
  }
  if (expect_off != ft_off) return bad("blocks do not end where it starts");
  if (info->last_lsn != expect_lsn - 1 || records != info->record_count ||
      raw != info->raw_bytes ||
      info->first_commit_time != info->blocks.front().first_commit_time ||
      info->last_commit_time != info->blocks.back().last_commit_time ||
      info->transaction_count > records) {
    return bad("summary disagrees with the index");
  }
  if (v2) {
    // The footer's first position is not in any entry (entries carry the
    // last one of their block): it must lie in (the last position before the
    // first block that has one, that block's last], i.e. here at most the
    // first such entry's.
    const auto first_with = std::find_if(
        info->blocks.begin(), info->blocks.end(),
        [](const BlockInfo& x) { return x.last_source_position.has_value(); });
    if (info->min_commit_time != min_time ||
        info->max_commit_time != max_time ||
        info->last_source_position != prev_pos ||
        (first_with != info->blocks.end() &&
         *info->first_source_position > *first_with->last_source_position)) {
      return bad("summary disagrees with the index");
    }
  }
  return FooterState::kValid;
}

// Whether a valid block (header and payload checksums, LSN after
// `after_lsn`) starts anywhere in (from, size). Used to tell a torn tail
// (nothing valid follows the damage) from damage in the middle.
absl::StatusOr<uint64_t> FindValidBlockAfter(const ReadableObject& obj,
                                             std::string_view name,
                                             uint32_t version, uint64_t from,
                                             Lsn after_lsn) {
  const size_t header_size = BlockHeaderSize(version);
  const uint64_t size = obj.size();
  constexpr size_t kChunk = 1 << 20;
  std::string buf, payload_buf;
  for (uint64_t base = from + 1; base + header_size <= size; base += kChunk) {
    size_t n = static_cast<size_t>(
        std::min<uint64_t>(kChunk + header_size, size - base));
    WAYBACK_ASSIGN_OR_RETURN(std::string_view chunk,
                             ReadExact(obj, name, base, n, &buf));
    for (size_t i = 0; i < kChunk && i + header_size <= chunk.size(); ++i) {
      const char* p = chunk.data() + i;
      if (crc32c::Unmask(DecodeFixed32(p)) !=
          crc32c::Value(p + 4, header_size - 4)) {
        continue;
      }
      BlockHeader h;
      if (!DecodeBlockHeader(name, base + i, chunk.substr(i), version, &h)
               .ok()) {
        continue;
      }
      const uint64_t at = base + i;
      if (h.first_lsn <= after_lsn) continue;
      if (at + header_size + h.stored_size > size) continue;
      auto payload =
          ReadExact(obj, name, at + header_size, h.stored_size, &payload_buf);
      if (!payload.ok()) return payload.status();
      if (crc32c::Unmask(h.payload_crc) == crc32c::Value(*payload)) return at;
    }
  }
  return uint64_t{0};
}

// Walks the blocks of a segment without (a valid) footer.
absl::Status WalkBlocks(const ReadableObject& obj, std::string_view name,
                        const SegmentHeader& header, bool verify_payloads,
                        LoadedSegment* out) {
  SegmentInfo& info = out->info;
  const uint32_t version = header.format_version;
  const size_t header_size = BlockHeaderSize(version);
  const uint64_t size = obj.size();
  uint64_t off = header.size();
  Lsn last = header.first_lsn - 1;
  CommitTime last_time = INT64_MIN;
  std::string scratch, payload_buf;
  while (off < size) {
    std::string reason;
    BlockHeader h;
    if (size - off < header_size) {
      reason = absl::StrCat("incomplete block header (", size - off, " bytes)");
    } else {
      WAYBACK_ASSIGN_OR_RETURN(
          std::string_view hb,
          ReadExact(obj, name, off, header_size, &scratch));
      absl::Status s = DecodeBlockHeader(name, off, hb, version, &h);
      if (!s.ok()) {
        reason = std::string(s.message());
      } else if (h.stored_size > size - off - header_size) {
        reason =
            absl::StrCat("block of ", header_size + h.stored_size,
                         " bytes extends past the end (", size - off, " left)");
      } else if (verify_payloads) {
        WAYBACK_ASSIGN_OR_RETURN(std::string_view pl,
                                 ReadExact(obj, name, off + header_size,
                                           h.stored_size, &payload_buf));
        if (crc32c::Unmask(h.payload_crc) != crc32c::Value(pl)) {
          reason = "block payload checksum mismatch";
        }
      }
    }
    if (!reason.empty()) {
      WAYBACK_ASSIGN_OR_RETURN(
          uint64_t next, FindValidBlockAfter(obj, name, version, off, last));
      if (next != 0) {
        return CorruptionAt(
            name, off, last + 1,
            absl::StrCat(reason, "; a valid block follows at offset ", next,
                         ", so this is not a torn tail"));
      }
      info.torn_bytes = size - off;
      out->torn_reason = std::move(reason);
      break;
    }
    // A block that passes its checksum but does not continue the sequence is
    // damage, never a torn tail.
    WAYBACK_RETURN_IF_ERROR(CheckBlockFollows(
        name, off, h, last,
        last_time == INT64_MIN ? h.first_commit_time : last_time));
    if (h.has_source_position() && info.last_source_position &&
        h.last_source_position <= *info.last_source_position) {
      return CorruptionAt(
          name, off, h.first_lsn,
          absl::StrCat("block's last source position ", h.last_source_position,
                       " does not follow the previous block's ",
                       *info.last_source_position));
    }
    BlockInfo b = BlockInfoFromHeader(off, h);
    if (info.blocks.empty()) {
      info.first_commit_time = h.first_commit_time;
      info.min_commit_time = h.min_commit_time;
      info.max_commit_time = h.max_commit_time;
    }
    info.blocks.push_back(b);
    info.last_commit_time = h.last_commit_time;
    info.min_commit_time = std::min(info.min_commit_time, h.min_commit_time);
    info.max_commit_time = std::max(info.max_commit_time, h.max_commit_time);
    if (b.last_source_position)
      info.last_source_position = b.last_source_position;
    info.record_count += h.record_count;
    info.raw_bytes += h.raw_size;
    last = h.last_lsn;
    last_time = h.last_commit_time;
    off += b.stored_size;
  }
  info.last_lsn = last;
  out->valid_end = off;
  return absl::OkStatus();
}

// A sealed segment without a valid trailer: say how it was cut.
absl::Status DiagnoseMissingFooter(const ReadableObject& obj,
                                   std::string_view name,
                                   const SegmentHeader& header) {
  const uint64_t size = obj.size();
  const uint32_t version = header.format_version;
  const size_t block_header_size = BlockHeaderSize(version);
  const size_t fixed_size = FooterFixedSize(version);
  const size_t entry_size = IndexEntrySize(version);
  uint64_t off = header.size();
  std::string scratch;
  while (off + block_header_size <= size) {
    WAYBACK_ASSIGN_OR_RETURN(
        std::string_view hb,
        ReadExact(obj, name, off, block_header_size, &scratch));
    if (hb.substr(0, 8) == kFooterMagic) {
      if (size - off >= fixed_size) {
        uint32_t count = DecodeFixed32(hb.data() + kFtBlockCount);
        uint64_t expect =
            off + fixed_size + uint64_t{count} * entry_size + kTrailerSize;
        if (expect == size) {
          return CorruptionAt(name, size - kTrailerSize, kNoLsn,
                              "sealed segment's trailer magic is damaged");
        }
        return CorruptionAt(name, size, kNoLsn,
                            absl::StrCat("sealed segment truncated: expected ",
                                         expect, " bytes, found ", size));
      }
      break;
    }
    BlockHeader h;
    if (!DecodeBlockHeader(name, off, hb, version, &h).ok()) break;
    uint64_t end = off + block_header_size + h.stored_size;
    if (end > size) {
      return CorruptionAt(
          name, off, h.first_lsn,
          absl::StrCat("sealed segment truncated: block needs bytes up to ",
                       end, " (expected at least ",
                       end + fixed_size + entry_size + kTrailerSize,
                       " bytes), found ", size));
    }
    off = end;
  }
  return CorruptionAt(
      name, size, kNoLsn,
      absl::StrCat("sealed segment has no valid footer (truncated or damaged ",
                   "near offset ", off, "; expected at least ",
                   off + fixed_size + entry_size + kTrailerSize,
                   " bytes, found ", size, ")"));
}

}  // namespace

absl::Status LoadSegment(Storage* storage, std::string_view name,
                         bool verify_live_payloads, LoadedSegment* out,
                         std::string_view repository_id) {
  TimelineId timeline;
  Lsn first_lsn;
  bool sealed_name;
  uint32_t generation;
  if (!ParseSegmentObjectName(name, &timeline, &first_lsn, &sealed_name,
                              &generation)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a segment object name: ", AV(name)));
  }
  WAYBACK_ASSIGN_OR_RETURN(out->object, storage->OpenForRead(name));
  const ReadableObject& obj = *out->object;
  SegmentInfo& info = out->info;
  info = SegmentInfo{};
  info.name = std::string(name);
  info.timeline = timeline;
  info.generation = generation;
  info.first_lsn = first_lsn;
  info.last_lsn = first_lsn - 1;
  info.size = obj.size();
  out->header_torn = false;
  out->torn_reason.clear();
  out->valid_end = 0;
  if (!sealed_name && obj.size() < kSegmentHeaderSize) {
    // Created but never synced whole: nothing in it was ever acknowledged.
    out->header_torn = true;
    info.torn_bytes = obj.size();
    out->torn_reason = "segment header incomplete";
    return absl::OkStatus();
  }
  std::string scratch;
  WAYBACK_ASSIGN_OR_RETURN(
      std::string_view hb,
      ReadExact(obj, name, 0,
                std::min<uint64_t>(obj.size(), kMaxSegmentHeaderSize),
                &scratch));
  HeaderPrefix prefix;
  absl::Status hs = DecodeSegmentHeader(name, hb, &out->header, &prefix);
  // The header's size, as far as it can be known: a v1 reader's 96 bytes
  // unless the identification prefix says otherwise.
  const size_t header_size =
      prefix == HeaderPrefix::kKnown ? out->header.size() : kSegmentHeaderSize;
  if (!hs.ok() && !sealed_name && obj.size() <= header_size &&
      (obj.size() == header_size || prefix == HeaderPrefix::kKnown) &&
      absl::IsDataLoss(hs)) {
    // The writer syncs a live segment's header before it appends any block,
    // so a damaged or short header with nothing after it is a creation torn
    // by a crash before that sync: nothing in it was ever acknowledged. (A
    // damaged header with blocks after it was synced, so it is corruption.)
    out->header_torn = true;
    info.torn_bytes = obj.size();
    out->torn_reason = absl::StrCat("segment header torn (", hs.message(), ")");
    return absl::OkStatus();
  }
  WAYBACK_RETURN_IF_ERROR(hs);
  info.format_version = out->header.format_version;
  if (out->header.format_version != kFormatVersion1 && !repository_id.empty() &&
      out->header.repository_id != repository_id) {
    return CorruptionAt(
        name, kHdrRepositoryId, kNoLsn,
        absl::StrCat("segment belongs to repository ",
                     RepositoryIdToHex(out->header.repository_id),
                     ", not to this repository (",
                     RepositoryIdToHex(repository_id),
                     "): it was copied from another repository"));
  }
  // V2.11 rule 4: a replacement is a v2 object (only v2 headers have a
  // generation), and its generation is its name's.
  if (generation != 0 && out->header.format_version == kFormatVersion1) {
    return CorruptionAt(
        name, kHdrVersion, kNoLsn,
        absl::StrCat("replacement segment (generation ", generation,
                     ") with a version 1 header; "
                     "replacements are always version 2"));
  }
  if (out->header.generation != generation) {
    return CorruptionAt(
        name, kHdrGeneration, kNoLsn,
        absl::StrCat("header says generation ", out->header.generation,
                     ", but the object name says generation ", generation));
  }
  if (out->header.timeline != timeline || out->header.first_lsn != first_lsn) {
    return CorruptionAt(
        name, 0, out->header.first_lsn,
        absl::StrCat("header says timeline ", out->header.timeline,
                     " first LSN ", out->header.first_lsn,
                     ", but the object name says timeline ", timeline,
                     " first LSN ", first_lsn));
  }
  auto fs = ReadFooter(obj, name, out->header, &info);
  if (!fs.ok() && (sealed_name || absl::IsUnavailable(fs.status()) ||
                   !absl::IsDataLoss(fs.status()))) {
    return fs.status();
  }
  // A live object's damaged footer is a footer torn while being written: the
  // walk below treats its bytes as a torn tail.
  if (fs.ok() && *fs == FooterState::kValid) {
    info.sealed = true;
    out->valid_end = info.blocks.back().offset + info.blocks.back().stored_size;
    return absl::OkStatus();
  }
  if (sealed_name) return DiagnoseMissingFooter(obj, name, out->header);
  info.blocks.clear();
  info.record_count = info.transaction_count = info.mutation_count = 0;
  info.raw_bytes = 0;
  info.last_lsn = first_lsn - 1;
  info.first_commit_time = info.last_commit_time = 0;
  info.min_commit_time = info.max_commit_time = 0;
  info.first_source_position.reset();
  info.last_source_position.reset();
  return WalkBlocks(obj, name, out->header, verify_live_payloads, out);
}

}  // namespace log_format

absl::StatusOr<SegmentInfo> ReadSegmentInfo(Storage* storage,
                                            std::string_view name) {
  log_format::LoadedSegment seg;
  WAYBACK_RETURN_IF_ERROR(log_format::LoadSegment(storage, name, false, &seg));
  return std::move(seg.info);
}

}  // namespace wayback
