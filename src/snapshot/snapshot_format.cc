// Copyright 2026 The Wayback Authors.

#include "src/snapshot/snapshot_format.h"

#include <algorithm>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/snapshot.h"

namespace wayback {
namespace snapshot_format {
namespace {

bool AllZero(std::string_view bytes) {
  for (char c : bytes) {
    if (c != 0) return false;
  }
  return true;
}

bool Fail(std::string* error, size_t* error_offset, size_t offset,
          std::string what) {
  *error = std::move(what);
  *error_offset = offset;
  return false;
}

// Checks the masked CRC32C stored at b[crc_offset] over b[0, crc_offset).
// On a mismatch returns false with *error naming `what`.
bool CrcMatches(const char* b, size_t crc_offset, std::string_view what,
                std::string* error, size_t* error_offset) {
  const uint32_t stored = crc32c::Unmask(DecodeFixed32(b + crc_offset));
  const uint32_t actual = crc32c::Value(b, crc_offset);
  if (stored == actual) return true;
  return Fail(error, error_offset, crc_offset,
              absl::StrFormat("%s checksum mismatch (stored %08x, computed "
                              "%08x)",
                              AV(what), stored, actual));
}

}  // namespace

bool DecodeHeaderPrefix(std::string_view in, uint32_t* version,
                        std::string* error, size_t* error_offset) {
  const char* b = in.data();
  if (std::memcmp(b, kHeaderMagic, kMagicSize) != 0) {
    return Fail(error, error_offset, 0, "bad header magic: not a snapshot");
  }
  if (!CrcMatches(b, kHeaderCrcOffset, "header", error, error_offset)) {
    return false;
  }
  *version = DecodeFixed32(b + 8);
  return true;
}

void EncodeHeader(const Header& h, std::string* dst) {
  char b[kHeaderSize] = {};
  std::memcpy(b, kHeaderMagic, kMagicSize);
  EncodeFixed32(b + 8, h.version);
  EncodeFixed32(b + 12, h.timeline);
  EncodeFixed64(b + 16, h.lsn);
  b[24] = static_cast<char>(h.codec);
  b[25] = static_cast<char>(h.flags);
  // [26, 92) reserved: zero.
  EncodeFixed32(b + kHeaderCrcOffset,
                crc32c::Mask(crc32c::Value(b, kHeaderCrcOffset)));
  dst->append(b, kHeaderSize);
}

bool DecodeHeader(std::string_view in, Header* h, std::string* error,
                  size_t* error_offset) {
  if (in.size() < kHeaderSize) {
    return Fail(error, error_offset, in.size(),
                absl::StrCat("header needs ", kHeaderSize,
                             " bytes, object has ", in.size()));
  }
  // Magic, then the CRC: a damaged header is reported as such, not as
  // whatever field the damage happened to hit.
  if (!DecodeHeaderPrefix(in, &h->version, error, error_offset)) return false;
  const char* b = in.data();
  h->timeline = DecodeFixed32(b + 12);
  h->lsn = DecodeFixed64(b + 16);
  h->codec = static_cast<Codec>(static_cast<uint8_t>(b[24]));
  h->flags = static_cast<uint8_t>(b[25]);
  if (h->version != kFormatVersion) {
    return Fail(error, error_offset, 8,
                absl::StrCat("unsupported snapshot format version ", h->version,
                             " (this reader knows ", kFormatVersion, ")"));
  }
  if (h->timeline == 0) {
    return Fail(error, error_offset, 12, "timeline 0 is invalid");
  }
  if (h->codec != Codec::kZstd) {
    return Fail(error, error_offset, 24,
                absl::StrCat("unknown codec ", static_cast<int>(h->codec)));
  }
  if ((h->flags & ~kKnownFlags) != 0) {
    return Fail(
        error, error_offset, 25,
        absl::StrCat("unsupported header flags ", static_cast<int>(h->flags)));
  }
  if (!AllZero(in.substr(26, kHeaderCrcOffset - 26))) {
    return Fail(error, error_offset, 26,
                "reserved header bytes are not zero (a later format?)");
  }
  return true;
}

void EncodeBlockHeader(const BlockHeader& h, std::string_view payload,
                       char* dst) {
  EncodeFixed32(dst + 4, h.compressed_size);
  EncodeFixed32(dst + 8, h.raw_size);
  EncodeFixed32(dst + 12, h.pair_count);
  uint32_t crc = crc32c::Value(dst + 4, kBlockHeaderSize - 4);
  crc = crc32c::Extend(crc, payload.data(), payload.size());
  EncodeFixed32(dst, crc32c::Mask(crc));
}

BlockHeader DecodeBlockHeader(const char* src) {
  BlockHeader h;
  h.compressed_size = DecodeFixed32(src + 4);
  h.raw_size = DecodeFixed32(src + 8);
  h.pair_count = DecodeFixed32(src + 12);
  return h;
}

bool BlockCrcMatches(const char* header, std::string_view payload) {
  uint32_t crc = crc32c::Value(header + 4, kBlockHeaderSize - 4);
  crc = crc32c::Extend(crc, payload.data(), payload.size());
  return crc32c::Unmask(DecodeFixed32(header)) == crc;
}

void EncodeIndexEntry(const IndexEntry& e, std::string* dst) {
  PutVarint64(dst, e.offset);
  PutVarint64(dst, e.compressed_size);
  PutVarint64(dst, e.raw_size);
  PutVarint64(dst, e.pair_count);
  PutLengthPrefixed(dst, e.first_key);
  PutLengthPrefixed(dst, e.last_key);
}

bool DecodeIndexEntry(std::string_view* in, IndexEntry* e) {
  std::string_view save = *in;
  if (GetVarint64(in, &e->offset) && GetVarint64(in, &e->compressed_size) &&
      GetVarint64(in, &e->raw_size) && GetVarint64(in, &e->pair_count) &&
      GetLengthPrefixed(in, &e->first_key) &&
      GetLengthPrefixed(in, &e->last_key)) {
    return true;
  }
  *in = save;
  return false;
}

void EncodeFooter(const Footer& f, std::string* dst) {
  char b[kFooterSize] = {};
  EncodeFixed64(b + 0, f.lsn);
  EncodeFixed64(b + 8, static_cast<uint64_t>(f.commit_time));
  EncodeFixed32(b + 16, f.timeline);
  EncodeFixed32(b + 20, f.block_count);
  EncodeFixed64(b + 24, f.pair_count);
  EncodeFixed64(b + 32, f.digest_low);
  EncodeFixed64(b + 40, f.digest_high);
  EncodeFixed64(b + 48, f.raw_bytes);
  EncodeFixed64(b + 56, f.index_offset);
  EncodeFixed64(b + 64, f.index_size);
  EncodeFixed32(b + 72, f.index_crc);
  EncodeFixed32(b + 76, f.version);
  // [80, 92) reserved: zero.
  EncodeFixed32(b + kFooterCrcOffset,
                crc32c::Mask(crc32c::Value(b, kFooterCrcOffset)));
  std::memcpy(b + kFooterMagicOffset, kFooterMagic, kMagicSize);
  dst->append(b, kFooterSize);
}

bool DecodeFooter(std::string_view in, Footer* f, std::string* error,
                  size_t* error_offset) {
  if (in.size() != kFooterSize) {
    return Fail(
        error, error_offset, 0,
        absl::StrCat("footer needs ", kFooterSize, " bytes, got ", in.size()));
  }
  const char* b = in.data();
  if (std::memcmp(b + kFooterMagicOffset, kFooterMagic, kMagicSize) != 0) {
    return Fail(error, error_offset, kFooterMagicOffset,
                "no footer magic in the last 8 bytes: the snapshot is "
                "truncated, unfinished or not a snapshot");
  }
  if (!CrcMatches(b, kFooterCrcOffset, "footer", error, error_offset)) {
    return false;
  }
  f->lsn = DecodeFixed64(b + 0);
  f->commit_time = static_cast<CommitTime>(DecodeFixed64(b + 8));
  f->timeline = DecodeFixed32(b + 16);
  f->block_count = DecodeFixed32(b + 20);
  f->pair_count = DecodeFixed64(b + 24);
  f->digest_low = DecodeFixed64(b + 32);
  f->digest_high = DecodeFixed64(b + 40);
  f->raw_bytes = DecodeFixed64(b + 48);
  f->index_offset = DecodeFixed64(b + 56);
  f->index_size = DecodeFixed64(b + 64);
  f->index_crc = DecodeFixed32(b + 72);
  f->version = DecodeFixed32(b + 76);
  if (f->version != kFormatVersion) {
    return Fail(
        error, error_offset, 76,
        absl::StrCat("unsupported snapshot format version ", f->version,
                     " in footer (this reader knows ", kFormatVersion, ")"));
  }
  if (!AllZero(in.substr(80, kFooterCrcOffset - 80))) {
    return Fail(error, error_offset, 80,
                "reserved footer bytes are not zero (a later format?)");
  }
  return true;
}

void EncodeHeaderV2(const HeaderV2& h, std::string* dst) {
  char b[kHeaderSizeV2] = {};
  std::memcpy(b, kHeaderMagic, kMagicSize);
  EncodeFixed32(b + 8, kFormatVersion2);
  EncodeFixed32(b + 12, h.timeline);
  EncodeFixed64(b + 16, h.lsn);
  b[24] = static_cast<char>(h.codec);
  b[25] = static_cast<char>(h.flags);
  b[26] = static_cast<char>(h.kind);
  EncodeFixed32(b + 28, h.key_id);
  EncodeFixed32(b + kHeaderCrcOffset,
                crc32c::Mask(crc32c::Value(b, kHeaderCrcOffset)));
  std::memcpy(b + 96, h.repository_id.data(),
              std::min(h.repository_id.size(), kRepositoryIdSize));
  EncodeFixed32(b + 128, h.generation);
  EncodeFixed32(b + kHeaderV2CrcOffset,
                crc32c::Mask(crc32c::Value(b, kHeaderV2CrcOffset)));
  dst->append(b, kHeaderSizeV2);
}

bool DecodeHeaderV2(std::string_view in, HeaderV2* h, std::string* error,
                    size_t* error_offset) {
  if (in.size() < kHeaderSizeV2) {
    return Fail(error, error_offset, in.size(),
                absl::StrCat("a version 2 header needs ", kHeaderSizeV2,
                             " bytes, object has ", in.size()));
  }
  const char* b = in.data();
  if (!CrcMatches(b, kHeaderV2CrcOffset, "header", error, error_offset)) {
    return false;
  }
  h->timeline = DecodeFixed32(b + 12);
  h->lsn = DecodeFixed64(b + 16);
  h->codec = static_cast<uint8_t>(b[24]);
  h->flags = static_cast<uint8_t>(b[25]);
  h->kind = static_cast<uint8_t>(b[26]);
  h->key_id = DecodeFixed32(b + 28);
  h->repository_id.assign(b + 96, kRepositoryIdSize);
  h->generation = DecodeFixed32(b + 128);
  if (h->timeline == 0) {
    return Fail(error, error_offset, 12, "timeline 0 is invalid");
  }
  if (h->codec != 1 && h->codec != 2) {
    return Fail(error, error_offset, 24,
                absl::StrCat("unknown codec ", static_cast<int>(h->codec)));
  }
  if (h->kind != static_cast<uint8_t>(SnapshotKind::kFull) &&
      h->kind != static_cast<uint8_t>(SnapshotKind::kDelta)) {
    return Fail(error, error_offset, 26,
                absl::StrCat("unknown snapshot kind ",
                             static_cast<int>(h->kind), " (1 full, 2 delta)"));
  }
  if ((h->flags & ~kKnownFlagsV2) != 0) {
    return Fail(
        error, error_offset, 25,
        absl::StrCat("unknown header flags ", static_cast<int>(h->flags)));
  }
  if ((h->flags & kFlagEncrypted) != 0 || h->key_id != 0) {
    return Fail(error, error_offset, (h->flags & kFlagEncrypted) ? 25 : 28,
                absl::StrCat("encrypted snapshot (flags ",
                             static_cast<int>(h->flags), ", key id ", h->key_id,
                             "): encryption is not supported by this build"));
  }
  if ((h->flags & kFlagChained) != 0) {
    return Fail(error, error_offset, 25,
                "chained snapshot (flag CHAINED): the hash chain is not "
                "supported by this build");
  }
  if (!AllZero(in.substr(112, 16))) {
    return Fail(error, error_offset, 112,
                "key salt set in a plaintext snapshot");
  }
  if (b[27] != 0 || !AllZero(in.substr(32, kHeaderCrcOffset - 32)) ||
      !AllZero(in.substr(132, 24))) {
    return Fail(error, error_offset, 27,
                "reserved header bytes are not zero (a later format?)");
  }
  if (AllZero(h->repository_id)) {
    return Fail(error, error_offset, 96, "repository id is zero");
  }
  return true;
}

void EncodeFooterV2(const FooterV2& f, std::string* dst) {
  char b[kFooterSizeV2] = {};
  EncodeFixed64(b + 0, f.lsn);
  EncodeFixed64(b + 8, static_cast<uint64_t>(f.commit_time));
  EncodeFixed32(b + 16, f.timeline);
  EncodeFixed32(b + 20, f.block_count);
  EncodeFixed64(b + 24, f.pair_count);
  EncodeFixed64(b + 32, f.entry_count);
  EncodeFixed64(b + 40, f.delete_count);
  EncodeFixed64(b + 48, f.raw_bytes);
  EncodeFixed64(b + 56, f.index_offset);
  EncodeFixed64(b + 64, f.index_size);
  EncodeFixed64(b + 72, static_cast<uint64_t>(f.max_commit_time));
  EncodeFixed64(b + 80, f.last_source_position);
  EncodeFixed32(b + 88, f.flags);
  EncodeFixed32(b + 92, f.chain_depth);
  EncodeFixed32(b + 96, f.base_timeline);
  EncodeFixed32(b + 100, f.base_generation);
  EncodeFixed64(b + 104, f.base_lsn);
  b[112] = static_cast<char>(f.base_kind);
  EncodeFixed32(b + kFooterV2Version, kFormatVersion2);
  EncodeFixed32(b + 168, kFooterSizeV2);
  EncodeFixed32(b + kFooterV2CrcOffset,
                crc32c::Mask(crc32c::Value(b, kFooterV2CrcOffset)));
  std::memcpy(b + kFooterSizeV2 - kMagicSize, kFooterMagic, kMagicSize);
  dst->append(b, kFooterSizeV2);
}

bool DecodeFooterV2(std::string_view in, FooterV2* f, std::string* error,
                    size_t* error_offset) {
  if (in.size() != kFooterSizeV2) {
    return Fail(error, error_offset, 0,
                absl::StrCat("footer needs ", kFooterSizeV2, " bytes, got ",
                             in.size()));
  }
  const char* b = in.data();
  if (std::memcmp(b + kFooterSizeV2 - kMagicSize, kFooterMagic, kMagicSize) !=
      0) {
    return Fail(error, error_offset, kFooterSizeV2 - kMagicSize,
                "no footer magic in the last 8 bytes: the snapshot is "
                "truncated, unfinished or not a snapshot");
  }
  const uint32_t version = DecodeFixed32(b + kFooterV2Version);
  if (version != kFormatVersion2) {
    return Fail(error, error_offset, kFooterV2Version,
                absl::StrCat("footer says format version ", version,
                             ", the header ", kFormatVersion2));
  }
  const uint32_t footer_size = DecodeFixed32(b + 168);
  if (footer_size != kFooterSizeV2) {
    return Fail(error, error_offset, 168,
                absl::StrCat("footer size ", footer_size, ", expected ",
                             kFooterSizeV2));
  }
  if (!CrcMatches(b, kFooterV2CrcOffset, "footer", error, error_offset)) {
    return false;
  }
  f->lsn = DecodeFixed64(b + 0);
  f->commit_time = static_cast<CommitTime>(DecodeFixed64(b + 8));
  f->timeline = DecodeFixed32(b + 16);
  f->block_count = DecodeFixed32(b + 20);
  f->pair_count = DecodeFixed64(b + 24);
  f->entry_count = DecodeFixed64(b + 32);
  f->delete_count = DecodeFixed64(b + 40);
  f->raw_bytes = DecodeFixed64(b + 48);
  f->index_offset = DecodeFixed64(b + 56);
  f->index_size = DecodeFixed64(b + 64);
  f->max_commit_time = static_cast<CommitTime>(DecodeFixed64(b + 72));
  f->last_source_position = DecodeFixed64(b + 80);
  f->flags = DecodeFixed32(b + 88);
  f->chain_depth = DecodeFixed32(b + 92);
  f->base_timeline = DecodeFixed32(b + 96);
  f->base_generation = DecodeFixed32(b + 100);
  f->base_lsn = DecodeFixed64(b + 104);
  f->base_kind = static_cast<uint8_t>(b[112]);
  if ((f->flags & ~kFooterHasSourcePosition) != 0) {
    return Fail(error, error_offset, kFooterV2Flags,
                absl::StrCat("unknown footer flags ", f->flags));
  }
  if (!AllZero(in.substr(113, kFooterV2Version - 113)) ||
      !AllZero(in.substr(172, 8))) {
    return Fail(error, error_offset, 113,
                "reserved footer bytes are not zero (a later format?)");
  }
  return true;
}

void EncodeSummary(const Summary& s, std::string* dst) {
  char b[kSummarySize] = {};
  EncodeFixed64(b + 0, s.digest.sum_low);
  EncodeFixed64(b + 8, s.digest.sum_high);
  EncodeFixed64(b + 16, s.digest.count);
  EncodeFixed64(b + 24, s.base_digest.sum_low);
  EncodeFixed64(b + 32, s.base_digest.sum_high);
  EncodeFixed64(b + 40, s.base_digest.count);
  dst->append(b, kSummarySize);
}

bool DecodeSummary(std::string_view in, Summary* s) {
  const char* b = in.data();
  s->digest.sum_low = DecodeFixed64(b + 0);
  s->digest.sum_high = DecodeFixed64(b + 8);
  s->digest.count = DecodeFixed64(b + 16);
  s->base_digest.sum_low = DecodeFixed64(b + 24);
  s->base_digest.sum_high = DecodeFixed64(b + 32);
  s->base_digest.count = DecodeFixed64(b + 40);
  return AllZero(in.substr(48, 16));
}

}  // namespace snapshot_format

std::string SnapshotObjectName(const SnapshotName& n) {
  const char* suffix = n.kind == SnapshotKind::kDelta ? "delta" : "snap";
  if (n.generation == 0) {
    return absl::StrFormat("snap/%08x-%016x.%s", n.timeline, n.lsn, suffix);
  }
  return absl::StrFormat("snap/%08x-%016x-%08x.%s", n.timeline, n.lsn,
                         n.generation, suffix);
}

std::string SnapshotFenceName(TimelineId timeline) {
  return SnapshotObjectName(timeline, kSnapshotFenceLsn);
}

std::optional<SnapshotName> ParseSnapshotName(std::string_view name) {
  // Exactly the forms SnapshotObjectName() writes, so that one object has
  // one name.
  static constexpr std::string_view kPrefix = "snap/";
  if (name.substr(0, kPrefix.size()) != kPrefix) return std::nullopt;
  std::string_view rest = name.substr(kPrefix.size());
  SnapshotName n;
  if (rest.size() > 5 && rest.substr(rest.size() - 5) == ".snap") {
    n.kind = SnapshotKind::kFull;
    rest.remove_suffix(5);
  } else if (rest.size() > 6 && rest.substr(rest.size() - 6) == ".delta") {
    n.kind = SnapshotKind::kDelta;
    rest.remove_suffix(6);
  } else {
    return std::nullopt;
  }
  uint64_t t, l, g = 0;
  if ((rest.size() != 25 && rest.size() != 34) || rest[8] != '-' ||
      !ParseLowerHex(rest.substr(0, 8), &t) ||
      !ParseLowerHex(rest.substr(9, 16), &l)) {
    return std::nullopt;
  }
  if (rest.size() == 34 &&
      (rest[25] != '-' || !ParseLowerHex(rest.substr(26, 8), &g) || g == 0)) {
    return std::nullopt;  // Generation 0 is never written out.
  }
  if (t == 0) return std::nullopt;  // Timeline 0 is never valid.
  n.timeline = static_cast<TimelineId>(t);
  n.lsn = l;
  n.generation = static_cast<uint32_t>(g);
  return n;
}

std::string SnapshotObjectName(TimelineId timeline, Lsn lsn) {
  return absl::StrFormat("snap/%08x-%016x.snap", timeline, lsn);
}

bool ParseSnapshotObjectName(std::string_view name, TimelineId* timeline,
                             Lsn* lsn) {
  // Only the version-1 form: a delta or a generation >= 1 is not a name a
  // version-1 program knows.
  std::optional<SnapshotName> n = ParseSnapshotName(name);
  if (!n || n->kind != SnapshotKind::kFull || n->generation != 0) {
    return false;
  }
  if (timeline != nullptr) *timeline = n->timeline;
  if (lsn != nullptr) *lsn = n->lsn;
  return true;
}

}  // namespace wayback
