// Copyright 2026 The Wayback Authors.

#include "src/snapshot/snapshot_format.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/util/crc32c.h"
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

}  // namespace

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
  const char* b = in.data();
  if (std::memcmp(b, kHeaderMagic, kMagicSize) != 0) {
    return Fail(error, error_offset, 0, "bad header magic: not a snapshot");
  }
  // The CRC first: a damaged header is reported as such, not as whatever
  // field the damage happened to hit.
  uint32_t stored = DecodeFixed32(b + kHeaderCrcOffset);
  uint32_t actual = crc32c::Value(b, kHeaderCrcOffset);
  if (crc32c::Unmask(stored) != actual) {
    return Fail(error, error_offset, kHeaderCrcOffset,
                absl::StrFormat("header checksum mismatch (stored %08x, "
                                "computed %08x)",
                                crc32c::Unmask(stored), actual));
  }
  h->version = DecodeFixed32(b + 8);
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
  uint32_t stored = DecodeFixed32(b + kFooterCrcOffset);
  uint32_t actual = crc32c::Value(b, kFooterCrcOffset);
  if (crc32c::Unmask(stored) != actual) {
    return Fail(error, error_offset, kFooterCrcOffset,
                absl::StrFormat("footer checksum mismatch (stored %08x, "
                                "computed %08x)",
                                crc32c::Unmask(stored), actual));
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

}  // namespace snapshot_format

std::string SnapshotObjectName(TimelineId timeline, Lsn lsn) {
  return absl::StrFormat("snap/%08x-%016x.snap", timeline, lsn);
}

bool ParseSnapshotObjectName(std::string_view name, TimelineId* timeline,
                             Lsn* lsn) {
  // Exactly the form SnapshotObjectName() writes (lowercase hex), so that
  // one snapshot has one name.
  static constexpr std::string_view kPrefix = "snap/";
  static constexpr std::string_view kSuffix = ".snap";
  if (name.size() != kPrefix.size() + 8 + 1 + 16 + kSuffix.size() ||
      name.substr(0, kPrefix.size()) != kPrefix ||
      name.substr(name.size() - kSuffix.size()) != kSuffix ||
      name[kPrefix.size() + 8] != '-') {
    return false;
  }
  auto hex = [](std::string_view digits, uint64_t* out) {
    uint64_t v = 0;
    for (char c : digits) {
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else {
        return false;
      }
      v = (v << 4) | static_cast<uint64_t>(d);
    }
    *out = v;
    return true;
  };
  uint64_t t, l;
  if (!hex(name.substr(kPrefix.size(), 8), &t) ||
      !hex(name.substr(kPrefix.size() + 9, 16), &l)) {
    return false;
  }
  if (t == 0) return false;  // Timeline 0 is never valid.
  if (timeline != nullptr) *timeline = static_cast<TimelineId>(t);
  if (lsn != nullptr) *lsn = l;
  return true;
}

}  // namespace wayback
