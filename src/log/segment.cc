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
#include "wayback/status.h"

namespace wayback {

std::string SegmentObjectName(TimelineId timeline, Lsn first_lsn, bool sealed) {
  return absl::StrFormat("log/%08x-%016x.%s", timeline, first_lsn,
                         sealed ? "seg" : "live");
}

namespace {

bool ParseHex(std::string_view s, uint64_t* v) {
  uint64_t r = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return false;
    }
    r = (r << 4) | static_cast<uint64_t>(d);
  }
  *v = r;
  return true;
}

}  // namespace

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
  if (!ParseHex(name.substr(4, 8), &t) || !ParseHex(name.substr(13, 16), &l) ||
      t == 0 || l == 0) {
    return false;
  }
  *timeline = static_cast<TimelineId>(t);
  *first_lsn = l;
  *sealed = is_sealed;
  return true;
}

namespace log_format {

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

absl::Status ReadBlockAt(const ReadableObject& object, std::string_view name,
                         const BlockInfo& b, std::string* buf, BlockHeader* h,
                         std::string_view* payload) {
  if (b.stored_size < kBlockHeaderSize) {
    return CorruptionAt(name, b.offset, b.first_lsn,
                        "block shorter than a header");
  }
  WAYBACK_ASSIGN_OR_RETURN(
      std::string_view bytes,
      ReadExact(object, name, b.offset, b.stored_size, buf));
  WAYBACK_RETURN_IF_ERROR(DecodeBlockHeader(name, b.offset, bytes, h));
  if (h->first_lsn != b.first_lsn || h->last_lsn != b.last_lsn ||
      h->stored_size + kBlockHeaderSize != b.stored_size ||
      h->raw_size != b.raw_size ||
      h->first_commit_time != b.first_commit_time ||
      h->last_commit_time != b.last_commit_time) {
    return CorruptionAt(name, b.offset, h->first_lsn,
                        "block header disagrees with the segment index");
  }
  *payload = bytes.substr(kBlockHeaderSize);
  return absl::OkStatus();
}

void EncodeFooter(const SegmentInfo& info, std::string* dst) {
  const size_t start = dst->size();
  const size_t len = kFooterFixedSize + kIndexEntrySize * info.blocks.size();
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
  char* e = p + kFooterFixedSize;
  for (const BlockInfo& b : info.blocks) {
    EncodeFixed64(e + kIxOffset, b.offset);
    EncodeFixed32(e + kIxStoredSize, b.stored_size);
    EncodeFixed32(e + kIxRawSize, b.raw_size);
    EncodeFixed64(e + kIxFirstLsn, b.first_lsn);
    EncodeFixed64(e + kIxLastLsn, b.last_lsn);
    EncodeFixed64(e + kIxFirstTime, static_cast<uint64_t>(b.first_commit_time));
    EncodeFixed64(e + kIxLastTime, static_cast<uint64_t>(b.last_commit_time));
    e += kIndexEntrySize;
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
  const uint64_t size = obj.size();
  if (size < kSegmentHeaderSize + kTrailerSize) return FooterState::kAbsent;
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
  if (len < kFooterFixedSize || len > kMaxFooterSize ||
      len > size - kSegmentHeaderSize - kTrailerSize ||
      (len - kFooterFixedSize) % kIndexEntrySize != 0) {
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
  if (kFooterFixedSize + uint64_t{count} * kIndexEntrySize != len) {
    return bad("block count does not match its length");
  }
  if (count == 0) return bad("no blocks");
  if (DecodeFixed32(p + kFtReserved) != 0) return bad("reserved bytes set");
  info->last_lsn = DecodeFixed64(p + kFtLastLsn);
  info->first_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kFtFirstTime));
  info->last_commit_time =
      static_cast<CommitTime>(DecodeFixed64(p + kFtLastTime));
  info->record_count = DecodeFixed64(p + kFtRecordCount);
  info->transaction_count = DecodeFixed64(p + kFtTxnCount);
  info->mutation_count = DecodeFixed64(p + kFtMutationCount);
  info->raw_bytes = DecodeFixed64(p + kFtRawBytes);
  info->blocks.clear();
  info->blocks.reserve(count);
  uint64_t expect_off = kSegmentHeaderSize;
  Lsn expect_lsn = header.first_lsn;
  CommitTime prev_time = info->first_commit_time;
  uint64_t records = 0, raw = 0;
  const char* e = p + kFooterFixedSize;
  for (uint32_t i = 0; i < count; ++i, e += kIndexEntrySize) {
    BlockInfo b;
    b.offset = DecodeFixed64(e + kIxOffset);
    b.stored_size = DecodeFixed32(e + kIxStoredSize);
    b.raw_size = DecodeFixed32(e + kIxRawSize);
    b.first_lsn = DecodeFixed64(e + kIxFirstLsn);
    b.last_lsn = DecodeFixed64(e + kIxLastLsn);
    b.first_commit_time =
        static_cast<CommitTime>(DecodeFixed64(e + kIxFirstTime));
    b.last_commit_time =
        static_cast<CommitTime>(DecodeFixed64(e + kIxLastTime));
    if (b.offset != expect_off || b.stored_size < kBlockHeaderSize ||
        b.stored_size - kBlockHeaderSize > kMaxBlockStoredSize ||
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
  return FooterState::kValid;
}

// Whether a valid block (header and payload checksums, LSN after
// `after_lsn`) starts anywhere in (from, size). Used to tell a torn tail
// (nothing valid follows the damage) from damage in the middle.
absl::StatusOr<uint64_t> FindValidBlockAfter(const ReadableObject& obj,
                                             std::string_view name,
                                             uint64_t from, Lsn after_lsn) {
  const uint64_t size = obj.size();
  constexpr size_t kChunk = 1 << 20;
  std::string buf, payload_buf;
  for (uint64_t base = from + 1; base + kBlockHeaderSize <= size;
       base += kChunk) {
    size_t n = static_cast<size_t>(
        std::min<uint64_t>(kChunk + kBlockHeaderSize, size - base));
    WAYBACK_ASSIGN_OR_RETURN(std::string_view chunk,
                             ReadExact(obj, name, base, n, &buf));
    for (size_t i = 0; i < kChunk && i + kBlockHeaderSize <= chunk.size();
         ++i) {
      const char* p = chunk.data() + i;
      if (crc32c::Unmask(DecodeFixed32(p)) !=
          crc32c::Value(p + 4, kBlockHeaderSize - 4)) {
        continue;
      }
      BlockHeader h;
      if (!DecodeBlockHeader(name, base + i, chunk.substr(i), &h).ok())
        continue;
      const uint64_t at = base + i;
      if (h.first_lsn <= after_lsn) continue;
      if (at + kBlockHeaderSize + h.stored_size > size) continue;
      std::string pb;
      auto payload =
          ReadExact(obj, name, at + kBlockHeaderSize, h.stored_size, &pb);
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
  const uint64_t size = obj.size();
  uint64_t off = kSegmentHeaderSize;
  Lsn last = header.first_lsn - 1;
  CommitTime last_time = INT64_MIN;
  std::string scratch, payload_buf;
  while (off < size) {
    std::string reason;
    BlockHeader h;
    if (size - off < kBlockHeaderSize) {
      reason = absl::StrCat("incomplete block header (", size - off, " bytes)");
    } else {
      WAYBACK_ASSIGN_OR_RETURN(
          std::string_view hb,
          ReadExact(obj, name, off, kBlockHeaderSize, &scratch));
      absl::Status s = DecodeBlockHeader(name, off, hb, &h);
      if (!s.ok()) {
        reason = std::string(s.message());
      } else if (h.stored_size > size - off - kBlockHeaderSize) {
        reason =
            absl::StrCat("block of ", kBlockHeaderSize + h.stored_size,
                         " bytes extends past the end (", size - off, " left)");
      } else if (verify_payloads) {
        WAYBACK_ASSIGN_OR_RETURN(std::string_view pl,
                                 ReadExact(obj, name, off + kBlockHeaderSize,
                                           h.stored_size, &payload_buf));
        if (crc32c::Unmask(h.payload_crc) != crc32c::Value(pl)) {
          reason = "block payload checksum mismatch";
        }
      }
    }
    if (!reason.empty()) {
      WAYBACK_ASSIGN_OR_RETURN(uint64_t next,
                               FindValidBlockAfter(obj, name, off, last));
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
    BlockInfo b;
    b.offset = off;
    b.stored_size = static_cast<uint32_t>(kBlockHeaderSize + h.stored_size);
    b.raw_size = h.raw_size;
    b.first_lsn = h.first_lsn;
    b.last_lsn = h.last_lsn;
    b.first_commit_time = h.first_commit_time;
    b.last_commit_time = h.last_commit_time;
    b.record_count = h.record_count;
    if (info.blocks.empty()) info.first_commit_time = h.first_commit_time;
    info.blocks.push_back(b);
    info.last_commit_time = h.last_commit_time;
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
  uint64_t off = kSegmentHeaderSize;
  std::string scratch;
  while (off + kBlockHeaderSize <= size) {
    WAYBACK_ASSIGN_OR_RETURN(
        std::string_view hb,
        ReadExact(obj, name, off, kBlockHeaderSize, &scratch));
    if (hb.substr(0, 8) == kFooterMagic) {
      if (size - off >= kFooterFixedSize) {
        uint32_t count = DecodeFixed32(hb.data() + kFtBlockCount);
        uint64_t expect = off + kFooterFixedSize +
                          uint64_t{count} * kIndexEntrySize + kTrailerSize;
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
    if (!DecodeBlockHeader(name, off, hb, &h).ok()) break;
    uint64_t end = off + kBlockHeaderSize + h.stored_size;
    if (end > size) {
      return CorruptionAt(
          name, off, h.first_lsn,
          absl::StrCat("sealed segment truncated: block needs bytes up to ",
                       end, " (expected at least ",
                       end + kFooterFixedSize + kIndexEntrySize + kTrailerSize,
                       " bytes), found ", size));
    }
    off = end;
  }
  return CorruptionAt(
      name, size, kNoLsn,
      absl::StrCat("sealed segment has no valid footer (truncated or damaged ",
                   "near offset ", off, "; expected at least ",
                   off + kFooterFixedSize + kIndexEntrySize + kTrailerSize,
                   " bytes, found ", size, ")"));
}

}  // namespace

absl::Status LoadSegment(Storage* storage, std::string_view name,
                         bool verify_live_payloads, LoadedSegment* out) {
  TimelineId timeline;
  Lsn first_lsn;
  bool sealed_name;
  if (!ParseSegmentObjectName(name, &timeline, &first_lsn, &sealed_name)) {
    return absl::InvalidArgumentError(
        absl::StrCat("not a segment object name: ", AV(name)));
  }
  WAYBACK_ASSIGN_OR_RETURN(out->object, storage->OpenForRead(name));
  const ReadableObject& obj = *out->object;
  SegmentInfo& info = out->info;
  info = SegmentInfo{};
  info.name = std::string(name);
  info.timeline = timeline;
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
      ReadExact(obj, name, 0, kSegmentHeaderSize, &scratch));
  absl::Status hs = DecodeSegmentHeader(name, hb, &out->header);
  if (!hs.ok() && !sealed_name && obj.size() == kSegmentHeaderSize &&
      absl::IsDataLoss(hs)) {
    // The writer syncs a live segment's header before it appends any block,
    // so a damaged header with nothing after it is a creation torn by a crash
    // before that sync: nothing in it was ever acknowledged. (A damaged
    // header with blocks after it was synced, so it is corruption.)
    out->header_torn = true;
    info.torn_bytes = obj.size();
    out->torn_reason = absl::StrCat("segment header torn (", hs.message(), ")");
    return absl::OkStatus();
  }
  WAYBACK_RETURN_IF_ERROR(hs);
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
