// Copyright 2026 The Wayback Authors.
//
// The snapshot reader. Open() trusts nothing it has not checked: every length
// it later uses to size a read or an allocation is tied to the real object
// size or to a format bound before use (DESIGN.md, guarantee 6), and a block's
// bytes are CRC-checked before a single length inside them is believed.

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/snapshot/snapshot_file.h"
#include "src/util/block_frame.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/repository_identity.h"
#include "wayback/status.h"

namespace wayback {
namespace {

namespace sf = snapshot_format;

// How much of the object's end Open() reads at once: the footer and, for
// most snapshots (up to ~500 blocks), the whole index, in one ranged read.
constexpr size_t kTailRead = 64 * 1024;

// Prefixes an I/O error with where it happened, keeping its code (so that
// kUnavailable stays retryable and is never mistaken for corruption).
absl::Status IoContext(const absl::Status& s, std::string_view name,
                       uint64_t offset) {
  return absl::Status(s.code(),
                      absl::StrCat("reading snapshot ", AV(name), " at offset ",
                                   offset, ": ", s.message()));
}

// Reads exactly n bytes at offset, or fails: a short read of a range the
// object's size says exists is corruption of the storage, not "the end".
absl::StatusOr<std::string_view> ReadExactly(const ReadableObject& object,
                                             std::string_view name, Lsn lsn,
                                             uint64_t offset, size_t n,
                                             char* scratch) {
  absl::StatusOr<std::string_view> r = object.ReadAt(offset, n, scratch);
  if (!r.ok()) return IoContext(r.status(), name, offset);
  if (r->size() != n) {
    return CorruptionAt(
        name, offset + r->size(), lsn,
        absl::StrCat("short read: wanted ", n, " bytes, got ", r->size()));
  }
  return *r;
}

std::string ShowKey(std::string_view key) {
  constexpr size_t kMax = 64;
  std::string shown = absl::CHexEscape(AV(key.substr(0, kMax)));
  if (key.size() > kMax) absl::StrAppend(&shown, "...");
  return absl::StrCat("\"", shown, "\"");
}

}  // namespace

absl::Status SnapshotFile::Corruption(uint64_t offset,
                                      std::string_view what) const {
  return CorruptionAt(name_, offset, info_.lsn, what);
}

absl::StatusOr<std::unique_ptr<SnapshotFile>> SnapshotFile::Open(
    Storage* storage, std::string_view name,
    std::optional<std::string> repository_id) {
  std::unique_ptr<SnapshotFile> f(new SnapshotFile);
  f->name_ = std::string(name);
  SnapshotInfo& info = f->info_;
  info.name = f->name_;
  // Until the header is read, messages carry the LSN the name claims.
  std::optional<SnapshotName> named = ParseSnapshotName(name);
  info.lsn = named ? named->lsn : kNoLsn;

  absl::StatusOr<std::unique_ptr<ReadableObject>> opened =
      storage->OpenForRead(name);
  if (!opened.ok()) return IoContext(opened.status(), name, 0);
  f->object_ = std::move(opened).value();
  const ReadableObject& object = *f->object_;
  const uint64_t size = object.size();
  info.size = size;
  if (size < sf::kMinObjectSize) {
    return f->Corruption(
        size, absl::StrCat("object is ", size,
                           " bytes; a complete snapshot has at least ",
                           sf::kMinObjectSize, " (", sf::kHeaderSize,
                           "-byte header and ", sf::kFooterSize,
                           "-byte footer): truncated or not a snapshot"));
  }

  // The tail: footer and, usually, the index. If the object is small the
  // tail covers the header as well.
  const size_t tail_len =
      static_cast<size_t>(std::min<uint64_t>(size, kTailRead));
  const uint64_t tail_offset = size - tail_len;
  std::string tail_scratch(tail_len, '\0');
  WAYBACK_ASSIGN_OR_RETURN(std::string_view tail,
                           ReadExactly(object, name, info.lsn, tail_offset,
                                       tail_len, tail_scratch.data()));

  // The largest header of any version (or all of a smaller object).
  const size_t header_len =
      static_cast<size_t>(std::min<uint64_t>(size, sf::kHeaderSizeV2));
  std::string header_scratch(header_len, '\0');
  std::string_view header_bytes;
  if (tail_offset == 0) {
    header_bytes = tail.substr(0, header_len);
  } else {
    WAYBACK_ASSIGN_OR_RETURN(header_bytes,
                             ReadExactly(object, name, info.lsn, 0, header_len,
                                         header_scratch.data()));
  }
  // The identification prefix every version shares, before any field.
  uint32_t version = 0;
  std::string error;
  size_t error_offset = 0;
  if (!sf::DecodeHeaderPrefix(header_bytes, &version, &error, &error_offset)) {
    return f->Corruption(error_offset, error);
  }
  if (version == sf::kFormatVersion) {
    WAYBACK_RETURN_IF_ERROR(f->OpenV1(header_bytes, tail, tail_offset));
  } else if (version == sf::kFormatVersion2) {
    WAYBACK_RETURN_IF_ERROR(f->OpenV2(storage, header_bytes, tail, tail_offset,
                                      std::move(repository_id)));
  } else {
    return f->Corruption(
        8, absl::StrCat("unsupported snapshot format version ", version,
                        " (this reader knows ", sf::kFormatVersion, " and ",
                        sf::kFormatVersion2, ")"));
  }
  return f;
}

absl::Status SnapshotFile::ReadIndexBytes(uint64_t offset, uint64_t size,
                                          std::string_view tail,
                                          uint64_t tail_offset,
                                          std::string* out) const {
  if (offset >= tail_offset) {
    out->assign(tail.substr(offset - tail_offset, size));
    return absl::OkStatus();
  }
  out->assign(size, '\0');
  WAYBACK_ASSIGN_OR_RETURN(
      std::string_view got,
      ReadExactly(*object_, name_, info_.lsn, offset, size, out->data()));
  if (got.data() != out->data()) out->assign(got);
  return absl::OkStatus();
}

absl::Status SnapshotFile::CheckFooterPlacement(
    Lsn lsn, TimelineId timeline, uint64_t index_offset, uint64_t index_size,
    size_t header_size, size_t footer_size, uint64_t max_index_size) const {
  const uint64_t size = info_.size;
  const uint64_t footer_offset = size - footer_size;
  if (lsn != info_.lsn || timeline != info_.timeline) {
    return Corruption(footer_offset,
                      absl::StrCat("footer says timeline ", timeline, " lsn ",
                                   lsn, " but the header says timeline ",
                                   info_.timeline, " lsn ", info_.lsn));
  }
  // Where the index must be, from the footer, checked against the real size
  // before anything is read or allocated from it. (The index offset and
  // size are at the same footer offsets in both versions.)
  if (index_offset < header_size || index_offset > footer_offset ||
      index_size != footer_offset - index_offset) {
    uint64_t expected = index_offset + index_size + footer_size;
    return Corruption(
        footer_offset + 56,
        absl::StrCat("footer places the index at [", index_offset, ", +",
                     index_size, ") so the object should be ", expected,
                     " bytes; it is ", size));
  }
  if (index_size > max_index_size) {
    return Corruption(footer_offset + 64,
                      absl::StrCat("index of ", index_size,
                                   " bytes exceeds the format bound"));
  }
  return absl::OkStatus();
}

absl::Status SnapshotFile::OpenV1(std::string_view header_bytes,
                                  std::string_view tail, uint64_t tail_offset) {
  SnapshotInfo& info = info_;
  const uint64_t size = info.size;
  const size_t tail_len = tail.size();
  sf::Header header;
  std::string error;
  size_t error_offset = 0;
  if (!sf::DecodeHeader(header_bytes.substr(0, sf::kHeaderSize), &header,
                        &error, &error_offset)) {
    return Corruption(error_offset, error);
  }
  info.lsn = header.lsn;
  info.timeline = header.timeline;
  // A version-1 object is a full snapshot of generation 0.
  std::optional<SnapshotName> named = ParseSnapshotName(name_);
  if (named &&
      (named->lsn != header.lsn || named->timeline != header.timeline ||
       named->kind != SnapshotKind::kFull || named->generation != 0)) {
    return Corruption(
        12, absl::StrCat(
                "header says timeline ", header.timeline, " lsn ", header.lsn,
                " but the name says timeline ", named->timeline, " lsn ",
                named->lsn,
                named->kind == SnapshotKind::kFull && named->generation == 0
                    ? ""
                    : " (and a kind or generation version 1 lacks)"));
  }

  const uint64_t footer_offset = size - sf::kFooterSize;
  sf::Footer footer;
  if (!sf::DecodeFooter(tail.substr(tail_len - sf::kFooterSize), &footer,
                        &error, &error_offset)) {
    return Corruption(footer_offset + error_offset,
                      absl::StrCat(error, " (object is ", size, " bytes)"));
  }
  WAYBACK_RETURN_IF_ERROR(CheckFooterPlacement(
      footer.lsn, footer.timeline, footer.index_offset, footer.index_size,
      sf::kHeaderSize, sf::kFooterSize, sf::kMaxIndexSize));
  WAYBACK_RETURN_IF_ERROR(ReadIndexBytes(footer.index_offset, footer.index_size,
                                         tail, tail_offset, &index_bytes_));
  if (crc32c::Unmask(footer.index_crc) != crc32c::Value(index_bytes_)) {
    return Corruption(footer.index_offset,
                      absl::StrFormat("index checksum mismatch (footer "
                                      "records %08x, index hashes to %08x)",
                                      crc32c::Unmask(footer.index_crc),
                                      crc32c::Value(index_bytes_)));
  }
  uint64_t pairs = 0, raw = 0;
  WAYBACK_RETURN_IF_ERROR(DecodeIndex(index_bytes_, footer.index_offset,
                                      footer.block_count, &pairs, &raw));
  if (pairs != footer.pair_count || raw != footer.raw_bytes) {
    return Corruption(
        footer_offset + 24,
        absl::StrCat("footer says ", footer.pair_count, " pairs and ",
                     footer.raw_bytes, " raw bytes; the index adds up to ",
                     pairs, " and ", raw));
  }
  if (footer.pair_count == 0 &&
      (footer.digest_low != 0 || footer.digest_high != 0)) {
    return Corruption(footer_offset + 32,
                      "an empty snapshot with a non-zero digest");
  }
  info.commit_time = footer.commit_time;
  info.pair_count = footer.pair_count;
  info.digest.sum_low = footer.digest_low;
  info.digest.sum_high = footer.digest_high;
  info.digest.count = footer.pair_count;
  info.raw_bytes = footer.raw_bytes;
  info.block_count = footer.block_count;
  // What version 2 records and version 1 implies (V2.12).
  info.format_version = sf::kFormatVersion;
  info.entry_count = footer.pair_count;
  info.max_commit_time = footer.commit_time;
  digest_offset_ = footer_offset + 24;
  return absl::OkStatus();
}

absl::Status SnapshotFile::DecodeIndex(std::string_view entries,
                                       uint64_t index_offset,
                                       uint32_t block_count, uint64_t* items,
                                       uint64_t* raw) {
  // Each entry takes at least 6 bytes, so the reservation is bounded by the
  // (already size-checked) index.
  index_.reserve(std::min<uint64_t>(block_count, entries.size() / 6));
  const bool delta = info_.kind == SnapshotKind::kDelta;
  const uint64_t max_stored = info_.format_version == sf::kFormatVersion
                                  ? sf::kMaxBlockCompressedSize
                                  : frame::kMaxStoredSize;
  // Each pair takes at least two bytes (two one-byte varints), each delta
  // entry three (and a type byte).
  const uint64_t min_item_bytes = delta ? 3 : 2;
  // Offsets in the messages are the object's: the v1 index starts at
  // index_offset, the v2 entries after the index frame header.
  const uint64_t base = info_.format_version == sf::kFormatVersion
                            ? index_offset
                            : index_offset + sf::kFrameHeaderSize;
  std::string_view in = entries;
  uint64_t expect_offset = first_block_offset_;
  *items = 0;
  *raw = 0;
  for (uint32_t i = 0; i < block_count; ++i) {
    const uint64_t entry_offset = base + (entries.size() - in.size());
    sf::IndexEntry e;
    if (!sf::DecodeIndexEntry(&in, &e)) {
      return Corruption(entry_offset,
                        absl::StrCat("index entry ", i, " of ", block_count,
                                     " is malformed"));
    }
    auto bad = [&](std::string_view what) {
      return Corruption(entry_offset,
                        absl::StrCat("index entry ", i, ": ", AV(what)));
    };
    if (e.offset != expect_offset) {
      return bad(absl::StrCat("block at offset ", e.offset,
                              ", expected the next block at ", expect_offset));
    }
    if (e.compressed_size == 0 || e.compressed_size > max_stored) {
      return bad(absl::StrCat("compressed size ", e.compressed_size,
                              " out of bounds"));
    }
    if (e.raw_size == 0 || e.raw_size > sf::kMaxBlockRawSize) {
      return bad(absl::StrCat("raw size ", e.raw_size, " out of bounds"));
    }
    if (e.pair_count == 0 || e.pair_count > e.raw_size / min_item_bytes) {
      return bad(absl::StrCat("pair count ", e.pair_count, " impossible for ",
                              e.raw_size, " raw bytes"));
    }
    if (e.last_key < e.first_key ||
        (e.pair_count == 1 && e.first_key != e.last_key)) {
      return bad("first and last keys out of order");
    }
    if (i > 0 && e.first_key <= index_.back().last_key) {
      return bad(absl::StrCat("first key ", ShowKey(e.first_key),
                              " does not follow the previous block's last key ",
                              ShowKey(index_.back().last_key)));
    }
    expect_offset += block_header_size_ + e.compressed_size;
    if (expect_offset > index_offset) {
      return bad(absl::StrCat("block ends at ", expect_offset,
                              ", past the index at ", index_offset));
    }
    *items += e.pair_count;
    *raw += e.raw_size;
    index_.push_back(e);
  }
  if (!in.empty()) {
    return Corruption(base + (entries.size() - in.size()),
                      absl::StrCat(in.size(), " bytes after the last of ",
                                   block_count, " index entries"));
  }
  if (expect_offset != index_offset) {
    return Corruption(expect_offset,
                      absl::StrCat("blocks end at ", expect_offset,
                                   " but the index starts at ", index_offset));
  }
  return absl::OkStatus();
}

absl::Status SnapshotFile::WithLsn(absl::Status s) const {
  // The shared frame codec names the object and the offset but knows no
  // LSN; every snapshot message carries the header's.
  if (s.ok() || info_.lsn == kNoLsn) return s;
  std::string msg(s.message());
  const std::string prefix = absl::StrCat(AV(name_), " at offset ");
  const size_t colon = msg.find(": ", prefix.size());
  if (msg.compare(0, prefix.size(), prefix) != 0 ||
      colon == std::string::npos) {
    return s;
  }
  msg.insert(colon, absl::StrCat(" (lsn ", info_.lsn, ")"));
  return absl::Status(s.code(), msg);
}

absl::Status SnapshotFile::OpenV2(Storage* storage,
                                  std::string_view header_bytes,
                                  std::string_view tail, uint64_t tail_offset,
                                  std::optional<std::string> repository_id) {
  SnapshotInfo& info = info_;
  const uint64_t size = info.size;
  if (size < sf::kMinObjectSizeV2) {
    return Corruption(
        size, absl::StrCat("object is ", size,
                           " bytes; a complete version 2 snapshot has at "
                           "least ",
                           sf::kMinObjectSizeV2, ": truncated"));
  }
  sf::HeaderV2 header;
  std::string error;
  size_t error_offset = 0;
  if (!sf::DecodeHeaderV2(header_bytes, &header, &error, &error_offset)) {
    return Corruption(error_offset, error);
  }
  info.format_version = sf::kFormatVersion2;
  info.lsn = header.lsn;
  info.timeline = header.timeline;
  info.kind = static_cast<SnapshotKind>(header.kind);
  info.generation = header.generation;
  info.fence = (header.flags & sf::kFlagFence) != 0;
  first_block_offset_ = sf::kHeaderSizeV2;
  block_header_size_ = sf::kFrameHeaderSize;
  SnapshotName from_header{header.timeline, header.lsn, info.kind,
                           header.generation};
  std::optional<SnapshotName> named = ParseSnapshotName(name_);
  if (!named || *named != from_header) {
    return Corruption(
        12, absl::StrCat("header says ", SnapshotObjectName(from_header),
                         " but the object is named ", AV(name_)));
  }
  if (info.fence != named->fence()) {
    return Corruption(25, info.fence
                              ? "FENCE flag on an object not named as the "
                                "version fence"
                              : "the version fence's name on an object "
                                "without the FENCE flag");
  }
  if (!repository_id) {
    absl::StatusOr<std::optional<RepositoryIdentity>> identity =
        ReadRepositoryIdentity(storage);
    if (!identity.ok() && !absl::IsDataLoss(identity.status()) &&
        !absl::IsFailedPrecondition(identity.status())) {
      return identity.status();  // I/O: as such, never as "no identity".
    }
    // No identity (or a damaged one, which Repository::Open() reports): no
    // check.
    if (identity.ok() && identity->has_value()) {
      repository_id = absl::HexStringToBytes(AV((**identity).id));
    }
  }
  if (repository_id && *repository_id != header.repository_id) {
    return Corruption(
        96, absl::StrCat("repository id ",
                         absl::BytesToHexString(AV(header.repository_id)),
                         " is not this repository's (",
                         absl::BytesToHexString(AV(*repository_id)),
                         "): the object was copied from another repository"));
  }

  const uint64_t footer_offset = size - sf::kFooterSizeV2;
  sf::FooterV2 footer;
  if (!sf::DecodeFooterV2(tail.substr(tail.size() - sf::kFooterSizeV2), &footer,
                          &error, &error_offset)) {
    return Corruption(footer_offset + error_offset,
                      absl::StrCat(error, " (object is ", size, " bytes)"));
  }
  WAYBACK_RETURN_IF_ERROR(CheckFooterPlacement(
      footer.lsn, footer.timeline, footer.index_offset, footer.index_size,
      sf::kHeaderSizeV2, sf::kFooterSizeV2,
      sf::kMaxIndexSize + sf::kFrameHeaderSize));
  const bool delta = info.kind == SnapshotKind::kDelta;
  if (!delta) {
    if (footer.entry_count != footer.pair_count || footer.delete_count != 0 ||
        footer.chain_depth != 0 || footer.base_timeline != 0 ||
        footer.base_generation != 0 || footer.base_lsn != 0 ||
        footer.base_kind != 0) {
      return Corruption(
          footer_offset + 32,
          "a full snapshot's footer with delta fields (entry count other "
          "than the pair count, deletes, a chain depth or a base)");
    }
  } else {
    if (footer.chain_depth < 1 || footer.chain_depth > kMaxSnapshotChainDepth) {
      return Corruption(
          footer_offset + sf::kFooterV2ChainDepth,
          absl::StrCat("chain depth ", footer.chain_depth, " outside [1, ",
                       kMaxSnapshotChainDepth, "]"));
    }
    if ((footer.base_kind != static_cast<uint8_t>(SnapshotKind::kFull) &&
         footer.base_kind != static_cast<uint8_t>(SnapshotKind::kDelta)) ||
        footer.base_timeline == 0 || footer.base_lsn >= footer.lsn) {
      return Corruption(
          footer_offset + sf::kFooterV2BaseTimeline,
          absl::StrCat("impossible base reference: timeline ",
                       footer.base_timeline, " lsn ", footer.base_lsn, " kind ",
                       static_cast<int>(footer.base_kind),
                       " (the base precedes lsn ", footer.lsn, ")"));
    }
    if (footer.delete_count > footer.entry_count) {
      return Corruption(footer_offset + 40,
                        absl::StrCat(footer.delete_count, " deletes among ",
                                     footer.entry_count, " entries"));
    }
  }
  // (An index shorter than its frame header is refused by the decoder.)
  std::string frame_bytes;
  WAYBACK_RETURN_IF_ERROR(ReadIndexBytes(footer.index_offset, footer.index_size,
                                         tail, tail_offset, &frame_bytes));
  frame::FrameHeader fh;
  WAYBACK_RETURN_IF_ERROR(WithLsn(
      frame::DecodeFrameHeader(name_, footer.index_offset, frame_bytes,
                               sf::kFrameHeaderSize, frame::kFlagIndex, &fh)));
  if ((fh.flags & frame::kFlagIndex) == 0) {
    return Corruption(footer.index_offset + frame::kFlags,
                      "the frame at the index offset is not an index frame "
                      "(frame flag INDEX not set)");
  }
  if (fh.item_count != footer.block_count ||
      sf::kFrameHeaderSize + uint64_t{fh.stored_size} != footer.index_size) {
    return Corruption(
        footer.index_offset,
        absl::StrCat("index frame of ", fh.item_count, " entries and ",
                     fh.stored_size, " stored bytes; the footer says ",
                     footer.block_count, " blocks and an index of ",
                     footer.index_size, " bytes"));
  }
  std::string_view content;
  ZstdDecompressor zstd;
  WAYBACK_RETURN_IF_ERROR(frame::UnpackFramePayload(
      name_, footer.index_offset, info.lsn, fh,
      std::string_view(frame_bytes).substr(sf::kFrameHeaderSize), &zstd,
      &index_bytes_, &content));
  if (content.data() != index_bytes_.data()) index_bytes_.assign(content);
  if (index_bytes_.size() < sf::kSummarySize) {
    return Corruption(footer.index_offset,
                      absl::StrCat("index content of ", index_bytes_.size(),
                                   " bytes cannot hold the ", sf::kSummarySize,
                                   "-byte summary"));
  }
  const std::string_view index_content = index_bytes_;
  const size_t entries_size = index_content.size() - sf::kSummarySize;
  uint64_t items = 0, raw = 0;
  WAYBACK_RETURN_IF_ERROR(DecodeIndex(index_content.substr(0, entries_size),
                                      footer.index_offset, footer.block_count,
                                      &items, &raw));
  if (items != footer.entry_count || raw != footer.raw_bytes) {
    return Corruption(
        footer_offset + 32,
        absl::StrCat("footer says ", footer.entry_count, " entries and ",
                     footer.raw_bytes, " raw bytes; the index adds up to ",
                     items, " and ", raw));
  }
  sf::Summary summary;
  const uint64_t summary_offset =
      footer.index_offset + sf::kFrameHeaderSize + entries_size;
  if (!sf::DecodeSummary(index_content.substr(entries_size), &summary)) {
    return Corruption(summary_offset + 48,
                      "reserved summary bytes are not zero (a later format?)");
  }
  if (summary.digest.count != footer.pair_count) {
    return Corruption(
        summary_offset + 16,
        absl::StrCat("the summary's digest counts ", summary.digest.count,
                     " pairs, the footer ", footer.pair_count));
  }
  if (footer.pair_count == 0 && summary.digest != StateDigest()) {
    return Corruption(summary_offset, "an empty state with a non-zero digest");
  }
  if (!delta && summary.base_digest != StateDigest()) {
    return Corruption(summary_offset + 24,
                      "a full snapshot with a base digest");
  }
  info.commit_time = footer.commit_time;
  info.pair_count = footer.pair_count;
  info.digest = summary.digest;
  info.raw_bytes = footer.raw_bytes;
  info.block_count = footer.block_count;
  info.entry_count = footer.entry_count;
  info.delete_count = footer.delete_count;
  info.max_commit_time = footer.max_commit_time;
  if ((footer.flags & sf::kFooterHasSourcePosition) != 0) {
    info.last_source_position = footer.last_source_position;
  }
  info.chain_depth = footer.chain_depth;
  if (delta) {
    SnapshotBaseRef base;
    base.timeline = footer.base_timeline;
    base.lsn = footer.base_lsn;
    base.kind = static_cast<SnapshotKind>(footer.base_kind);
    base.generation = footer.base_generation;
    base.digest = summary.base_digest;
    info.base = base;
  }
  digest_offset_ = summary_offset;
  return absl::OkStatus();
}

size_t SnapshotFile::FindBlock(std::string_view key) const {
  auto it = std::partition_point(
      index_.begin(), index_.end(),
      [key](const sf::IndexEntry& e) { return e.last_key < key; });
  return static_cast<size_t>(it - index_.begin());
}

absl::Status SnapshotFile::ReadBlock(size_t i, SnapshotBlock* block) const {
  block->index_ = SIZE_MAX;
  block->raw_ = {};
  block->pair_count_ = 0;
  block->delta_ = info_.kind == SnapshotKind::kDelta;
  if (i >= index_.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("snapshot ", AV(name_), " has no block ", i));
  }
  if (info_.format_version != sf::kFormatVersion) return ReadBlockV2(i, block);
  const sf::IndexEntry& e = index_[i];
  const size_t n = sf::kBlockHeaderSize + e.compressed_size;
  char* scratch = block->compressed_.Reserve(n);
  WAYBACK_ASSIGN_OR_RETURN(
      std::string_view bytes,
      ReadExactly(*object_, name_, info_.lsn, e.offset, n, scratch));
  std::string_view payload = bytes.substr(sf::kBlockHeaderSize);
  // The checksum before any field: on a mismatch no length is trusted.
  if (!sf::BlockCrcMatches(bytes.data(), payload)) {
    return Corruption(e.offset,
                      absl::StrCat("block ", i, " checksum mismatch"));
  }
  sf::BlockHeader h = sf::DecodeBlockHeader(bytes.data());
  WAYBACK_RETURN_IF_ERROR(CheckBlockHeader(i, "header", h.compressed_size,
                                           h.raw_size, h.pair_count));
  char* out = block->raw_buffer_.Reserve(e.raw_size);
  absl::Status s = block->zstd_.Decompress(payload, out, e.raw_size);
  if (!s.ok()) {
    return Corruption(e.offset + sf::kBlockHeaderSize,
                      absl::StrCat("block ", i, ": ", s.message()));
  }
  std::string_view raw(out, e.raw_size);
  WAYBACK_RETURN_IF_ERROR(CheckBlockContent(i, raw, false));
  block->index_ = i;
  block->raw_ = raw;
  block->pair_count_ = static_cast<uint32_t>(e.pair_count);
  return absl::OkStatus();
}

absl::Status SnapshotFile::ReadBlockV2(size_t i, SnapshotBlock* block) const {
  const sf::IndexEntry& e = index_[i];
  const size_t n = sf::kFrameHeaderSize + e.compressed_size;
  char* scratch = block->compressed_.Reserve(n);
  WAYBACK_ASSIGN_OR_RETURN(
      std::string_view bytes,
      ReadExactly(*object_, name_, info_.lsn, e.offset, n, scratch));
  // The header CRC before any field (inside DecodeFrameHeader).
  frame::FrameHeader h;
  WAYBACK_RETURN_IF_ERROR(WithLsn(frame::DecodeFrameHeader(
      name_, e.offset, bytes, sf::kFrameHeaderSize, /*allowed_flags=*/0, &h)));
  WAYBACK_RETURN_IF_ERROR(CheckBlockHeader(i, "frame header", h.stored_size,
                                           h.raw_size, h.item_count));
  std::string_view raw;
  WAYBACK_RETURN_IF_ERROR(frame::UnpackFramePayload(
      name_, e.offset + sf::kFrameHeaderSize, info_.lsn, h,
      bytes.substr(sf::kFrameHeaderSize), &block->zstd_, &block->frame_buffer_,
      &raw));
  WAYBACK_RETURN_IF_ERROR(CheckBlockContent(i, raw, block->delta_));
  block->index_ = i;
  block->raw_ = raw;
  block->pair_count_ = static_cast<uint32_t>(e.pair_count);
  return absl::OkStatus();
}

absl::Status SnapshotFile::CheckBlockHeader(size_t i, std::string_view what,
                                            uint64_t stored, uint64_t raw,
                                            uint64_t items) const {
  const sf::IndexEntry& e = index_[i];
  if (stored == e.compressed_size && raw == e.raw_size &&
      items == e.pair_count) {
    return absl::OkStatus();
  }
  return Corruption(e.offset, absl::StrCat("block ", i, " ", AV(what), " (",
                                           stored, ", ", raw, ", ", items,
                                           ") disagrees with its index entry (",
                                           e.compressed_size, ", ", e.raw_size,
                                           ", ", e.pair_count, ")"));
}

absl::Status SnapshotFile::CheckBlockContent(size_t i, std::string_view raw,
                                             bool delta) const {
  // Check the pairs once here so that iteration has no error case: exact
  // count, exact length, keys strictly increasing, ends equal to the index.
  const sf::IndexEntry& e = index_[i];
  std::string_view rest = raw, key, value, prev;
  bool deleted;
  for (uint64_t p = 0; p < e.pair_count; ++p) {
    if (delta ? !sf::GetEntry(&rest, &key, &value, &deleted)
              : !sf::GetPair(&rest, &key, &value)) {
      return Corruption(
          e.offset, absl::StrCat("block ", i, ": ", delta ? "entry " : "pair ",
                                 p, " is malformed"));
    }
    if (p == 0 ? key != e.first_key : key <= prev) {
      return Corruption(e.offset, absl::StrCat("block ", i, ": key ",
                                               ShowKey(key), " out of order"));
    }
    prev = key;
  }
  if (!rest.empty() || prev != e.last_key) {
    return Corruption(e.offset, absl::StrCat("block ", i,
                                             ": pairs do not end where the "
                                             "index says"));
  }
  return absl::OkStatus();
}

namespace {

// Iterates blocks [block, end_block) and, within them, pairs with
// begin <= key < end (end empty: unbounded).
class FileIterator final : public SnapshotIterator {
 public:
  FileIterator(const SnapshotFile* file, std::string_view begin,
               std::string_view end)
      : file_(file),
        begin_(begin),
        end_(end),
        full_(begin.empty() && end.empty() &&
              file->info().kind == SnapshotKind::kFull),
        pairs_(std::string_view()) {
    next_block_ = begin_.empty() ? 0 : file_->FindBlock(begin_);
    end_block_ = file_->block_count();
    if (!end_.empty()) {
      // Blocks whose first key is >= end hold nothing in range.
      auto first = [this](size_t i) { return file_->block(i).first_key; };
      size_t lo = next_block_, hi = end_block_;
      while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (first(mid) < end_) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      end_block_ = lo;
    }
  }

  bool Next(std::string_view* key, std::string_view* value) override {
    while (true) {
      if (pairs_.Next(key, value, &deleted_)) {
        if (!end_.empty() && *key >= end_) return Stop();
        if (full_) digest_.Add(*key, *value);
        return true;
      }
      if (!status_.ok()) return Stop();
      if (next_block_ >= end_block_) {
        if (full_ && !checked_) {
          checked_ = true;
          status_ = file_->CheckDigest(digest_);
        }
        return Stop();
      }
      status_ = file_->ReadBlock(next_block_, &block_);
      if (!status_.ok()) return Stop();
      pairs_ = block_.pairs();
      if (!begin_.empty()) {
        // Skip to the first key >= begin; only the first block read can hold
        // smaller keys.
        std::string_view k, v;
        while (true) {
          SnapshotBlock::Iterator here = pairs_;
          if (!pairs_.Next(&k, &v)) break;
          if (k >= begin_) {
            pairs_ = here;
            break;
          }
        }
        begin_.clear();
      }
      ++next_block_;
    }
  }
  absl::Status status() const override { return status_; }
  bool deleted() const override { return deleted_; }

 private:
  bool Stop() {
    next_block_ = end_block_;
    pairs_ = SnapshotBlock::Iterator(std::string_view());
    return false;
  }

  const SnapshotFile* file_;
  std::string begin_;
  std::string end_;
  // A full iteration of a full snapshot: the digest is checked at the end.
  const bool full_;
  bool checked_ = false;
  bool deleted_ = false;
  StateDigest digest_;
  size_t next_block_ = 0;
  size_t end_block_ = 0;
  SnapshotBlock block_;
  SnapshotBlock::Iterator pairs_;
  absl::Status status_;
};

}  // namespace

std::unique_ptr<SnapshotIterator> SnapshotFile::NewIterator() {
  return std::make_unique<FileIterator>(this, std::string_view(),
                                        std::string_view());
}

std::unique_ptr<SnapshotIterator> SnapshotFile::NewRangeIterator(
    std::string_view begin, std::string_view end) {
  return std::make_unique<FileIterator>(this, begin, end);
}

absl::StatusOr<EntryState> SnapshotFile::Find(std::string_view key,
                                              std::string* value) const {
  size_t i = FindBlock(key);
  if (i == index_.size() || key < index_[i].first_key) {
    return EntryState::kAbsent;  // Between blocks: no read needed.
  }
  std::unique_ptr<SnapshotBlock> block = TakeBlock();
  absl::Status s = ReadBlock(i, block.get());
  EntryState found = EntryState::kAbsent;
  if (s.ok()) {
    SnapshotBlock::Iterator it = block->pairs();
    std::string_view k, v;
    bool deleted;
    while (it.Next(&k, &v, &deleted)) {
      if (k >= key) {
        if (k == key) {
          found = deleted ? EntryState::kDeleted : EntryState::kPut;
          value->assign(v);
        }
        break;
      }
    }
  }
  ReturnBlock(std::move(block));
  if (!s.ok()) return s;
  return found;
}

absl::StatusOr<std::optional<std::string>> SnapshotFile::Get(
    std::string_view key) {
  std::string value;
  WAYBACK_ASSIGN_OR_RETURN(EntryState state, Find(key, &value));
  if (state != EntryState::kPut) return std::optional<std::string>();
  return std::optional<std::string>(std::move(value));
}

std::unique_ptr<SnapshotBlock> SnapshotFile::TakeBlock() const {
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (pool_.empty()) return std::make_unique<SnapshotBlock>();
  std::unique_ptr<SnapshotBlock> b = std::move(pool_.back());
  pool_.pop_back();
  return b;
}

void SnapshotFile::ReturnBlock(std::unique_ptr<SnapshotBlock> block) const {
  // Keep a few (one per concurrent caller, roughly), and never pin a buffer
  // grown for an outsized block.
  constexpr size_t kMaxPooled = 8;
  constexpr size_t kMaxPooledBytes = 8 << 20;
  if (block->buffered_bytes() > kMaxPooledBytes) return;
  std::lock_guard<std::mutex> lock(pool_mu_);
  if (pool_.size() < kMaxPooled) pool_.push_back(std::move(block));
}

absl::Status SnapshotFile::Verify() {
  StateDigest digest;
  uint64_t deletes = 0;
  SnapshotBlock block;
  for (size_t i = 0; i < index_.size(); ++i) {
    WAYBACK_RETURN_IF_ERROR(ReadBlock(i, &block));
    SnapshotBlock::Iterator it = block.pairs();
    std::string_view k, v;
    bool deleted;
    while (it.Next(&k, &v, &deleted)) {
      digest.Add(k, v);
      deletes += deleted;
    }
  }
  if (info_.kind == SnapshotKind::kFull) return CheckDigest(digest);
  // A delta's digests need its chain (OpenSnapshotChain); alone, its blocks
  // and its delete count are all that can be checked.
  if (deletes != info_.delete_count) {
    return Corruption(info_.size - snapshot_format::kFooterSizeV2 + 40,
                      absl::StrCat("the footer counts ", info_.delete_count,
                                   " deletes, the blocks hold ", deletes));
  }
  return absl::OkStatus();
}

absl::Status SnapshotFile::CheckDigest(const StateDigest& computed) const {
  if (computed == info_.digest) return absl::OkStatus();
  return Corruption(
      digest_offset_,
      absl::StrCat("state digest mismatch: the ",
                   info_.format_version == sf::kFormatVersion ? "footer"
                                                              : "index summary",
                   " records ", info_.digest.ToString(), ", the pairs hash to ",
                   computed.ToString()));
}

absl::StatusOr<std::unique_ptr<SnapshotReader>> SnapshotReader::Open(
    Storage* storage, std::string_view name) {
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotFile> f,
                           SnapshotFile::Open(storage, name));
  if (f->info().fence) {
    // Checked whole (damage is kDataLoss above), but not a state.
    return absl::FailedPreconditionError(absl::StrCat(
        AV(name), " is the snapshot version fence of timeline ",
        f->info().timeline, " (format version 2), not a snapshot"));
  }
  return std::unique_ptr<SnapshotReader>(std::move(f));
}

}  // namespace wayback
