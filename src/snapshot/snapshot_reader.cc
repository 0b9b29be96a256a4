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
#include "src/util/crc32c.h"
#include "src/util/errors.h"
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
    Storage* storage, std::string_view name) {
  std::unique_ptr<SnapshotFile> f(new SnapshotFile);
  f->name_ = std::string(name);
  SnapshotInfo& info = f->info_;
  info.name = f->name_;
  // Until the header is read, messages carry the LSN the name claims.
  TimelineId name_timeline = 0;
  Lsn name_lsn = kNoLsn;
  bool named = ParseSnapshotObjectName(name, &name_timeline, &name_lsn);
  info.lsn = named ? name_lsn : kNoLsn;

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

  std::string header_scratch(sf::kHeaderSize, '\0');
  std::string_view header_bytes;
  if (tail_offset == 0) {
    header_bytes = tail.substr(0, sf::kHeaderSize);
  } else {
    WAYBACK_ASSIGN_OR_RETURN(
        header_bytes, ReadExactly(object, name, info.lsn, 0, sf::kHeaderSize,
                                  header_scratch.data()));
  }
  sf::Header header;
  std::string error;
  size_t error_offset = 0;
  if (!sf::DecodeHeader(header_bytes, &header, &error, &error_offset)) {
    return f->Corruption(error_offset, error);
  }
  info.lsn = header.lsn;
  info.timeline = header.timeline;
  if (named && (name_lsn != header.lsn || name_timeline != header.timeline)) {
    return f->Corruption(
        12, absl::StrCat("header says timeline ", header.timeline, " lsn ",
                         header.lsn, " but the name says timeline ",
                         name_timeline, " lsn ", name_lsn));
  }

  const uint64_t footer_offset = size - sf::kFooterSize;
  sf::Footer footer;
  if (!sf::DecodeFooter(tail.substr(tail_len - sf::kFooterSize), &footer,
                        &error, &error_offset)) {
    return f->Corruption(footer_offset + error_offset,
                         absl::StrCat(error, " (object is ", size, " bytes)"));
  }
  if (footer.lsn != header.lsn || footer.timeline != header.timeline) {
    return f->Corruption(
        footer_offset,
        absl::StrCat("footer says timeline ", footer.timeline, " lsn ",
                     footer.lsn, " but the header says timeline ",
                     header.timeline, " lsn ", header.lsn));
  }
  // Where the index must be, from the footer, checked against the real size
  // before anything is read or allocated from it.
  if (footer.index_offset < sf::kHeaderSize ||
      footer.index_offset > footer_offset ||
      footer.index_size != footer_offset - footer.index_offset) {
    uint64_t expected =
        footer.index_offset + footer.index_size + sf::kFooterSize;
    return f->Corruption(
        footer_offset + 56,
        absl::StrCat("footer places the index at [", footer.index_offset, ", +",
                     footer.index_size, ") so the object should be ", expected,
                     " bytes; it is ", size));
  }
  if (footer.index_size > sf::kMaxIndexSize) {
    return f->Corruption(footer_offset + 64,
                         absl::StrCat("index of ", footer.index_size,
                                      " bytes exceeds the format bound"));
  }
  if (footer.index_offset >= tail_offset) {
    f->index_bytes_.assign(
        tail.substr(footer.index_offset - tail_offset, footer.index_size));
  } else {
    f->index_bytes_.assign(footer.index_size, '\0');
    WAYBACK_ASSIGN_OR_RETURN(
        std::string_view got,
        ReadExactly(object, name, info.lsn, footer.index_offset,
                    footer.index_size, f->index_bytes_.data()));
    if (got.data() != f->index_bytes_.data()) f->index_bytes_.assign(got);
  }
  if (crc32c::Unmask(footer.index_crc) != crc32c::Value(f->index_bytes_)) {
    return f->Corruption(footer.index_offset,
                         absl::StrFormat("index checksum mismatch (footer "
                                         "records %08x, index hashes to %08x)",
                                         crc32c::Unmask(footer.index_crc),
                                         crc32c::Value(f->index_bytes_)));
  }

  // Decode and cross-check the index. Each entry takes at least 6 bytes, so
  // the reservation is bounded by the (already size-checked) index.
  f->index_.reserve(
      std::min<uint64_t>(footer.block_count, f->index_bytes_.size() / 6));
  std::string_view in = f->index_bytes_;
  uint64_t expect_offset = sf::kHeaderSize;
  uint64_t pairs = 0, raw = 0;
  for (uint32_t i = 0; i < footer.block_count; ++i) {
    const uint64_t entry_offset =
        footer.index_offset + (f->index_bytes_.size() - in.size());
    sf::IndexEntry e;
    if (!sf::DecodeIndexEntry(&in, &e)) {
      return f->Corruption(entry_offset,
                           absl::StrCat("index entry ", i, " of ",
                                        footer.block_count, " is malformed"));
    }
    auto bad = [&](std::string_view what) {
      return f->Corruption(entry_offset,
                           absl::StrCat("index entry ", i, ": ", AV(what)));
    };
    if (e.offset != expect_offset) {
      return bad(absl::StrCat("block at offset ", e.offset,
                              ", expected the next block at ", expect_offset));
    }
    if (e.compressed_size == 0 ||
        e.compressed_size > sf::kMaxBlockCompressedSize) {
      return bad(absl::StrCat("compressed size ", e.compressed_size,
                              " out of bounds"));
    }
    if (e.raw_size == 0 || e.raw_size > sf::kMaxBlockRawSize) {
      return bad(absl::StrCat("raw size ", e.raw_size, " out of bounds"));
    }
    // Each pair takes at least two bytes (two one-byte varints).
    if (e.pair_count == 0 || e.pair_count > e.raw_size / 2) {
      return bad(absl::StrCat("pair count ", e.pair_count, " impossible for ",
                              e.raw_size, " raw bytes"));
    }
    if (e.last_key < e.first_key ||
        (e.pair_count == 1 && e.first_key != e.last_key)) {
      return bad("first and last keys out of order");
    }
    if (i > 0 && e.first_key <= f->index_.back().last_key) {
      return bad(absl::StrCat("first key ", ShowKey(e.first_key),
                              " does not follow the previous block's last key ",
                              ShowKey(f->index_.back().last_key)));
    }
    expect_offset += sf::kBlockHeaderSize + e.compressed_size;
    if (expect_offset > footer.index_offset) {
      return bad(absl::StrCat("block ends at ", expect_offset,
                              ", past the index at ", footer.index_offset));
    }
    pairs += e.pair_count;
    raw += e.raw_size;
    f->index_.push_back(e);
  }
  if (!in.empty()) {
    return f->Corruption(
        footer.index_offset + (f->index_bytes_.size() - in.size()),
        absl::StrCat(in.size(), " bytes after the last of ", footer.block_count,
                     " index entries"));
  }
  if (expect_offset != footer.index_offset) {
    return f->Corruption(
        expect_offset,
        absl::StrCat("blocks end at ", expect_offset,
                     " but the index starts at ", footer.index_offset));
  }
  if (pairs != footer.pair_count || raw != footer.raw_bytes) {
    return f->Corruption(
        footer_offset + 24,
        absl::StrCat("footer says ", footer.pair_count, " pairs and ",
                     footer.raw_bytes, " raw bytes; the index adds up to ",
                     pairs, " and ", raw));
  }
  if (footer.pair_count == 0 &&
      (footer.digest_low != 0 || footer.digest_high != 0)) {
    return f->Corruption(footer_offset + 32,
                         "an empty snapshot with a non-zero digest");
  }
  info.commit_time = footer.commit_time;
  info.pair_count = footer.pair_count;
  info.digest.sum_low = footer.digest_low;
  info.digest.sum_high = footer.digest_high;
  info.digest.count = footer.pair_count;
  info.raw_bytes = footer.raw_bytes;
  info.block_count = footer.block_count;
  return f;
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
  if (i >= index_.size()) {
    return absl::OutOfRangeError(
        absl::StrCat("snapshot ", AV(name_), " has no block ", i));
  }
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
  if (h.compressed_size != e.compressed_size || h.raw_size != e.raw_size ||
      h.pair_count != e.pair_count) {
    return Corruption(
        e.offset,
        absl::StrCat("block ", i, " header (", h.compressed_size, ", ",
                     h.raw_size, ", ", h.pair_count,
                     ") disagrees with its index entry (", e.compressed_size,
                     ", ", e.raw_size, ", ", e.pair_count, ")"));
  }
  char* out = block->raw_buffer_.Reserve(e.raw_size);
  absl::Status s = block->zstd_.Decompress(payload, out, e.raw_size);
  if (!s.ok()) {
    return Corruption(e.offset + sf::kBlockHeaderSize,
                      absl::StrCat("block ", i, ": ", s.message()));
  }
  // Check the pairs once here so that iteration has no error case: exact
  // count, exact length, keys strictly increasing, ends equal to the index.
  std::string_view raw(out, e.raw_size), rest = raw, key, value, prev;
  for (uint64_t p = 0; p < e.pair_count; ++p) {
    if (!sf::GetPair(&rest, &key, &value)) {
      return Corruption(
          e.offset, absl::StrCat("block ", i, ": pair ", p, " is malformed"));
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
  block->index_ = i;
  block->raw_ = raw;
  block->pair_count_ = static_cast<uint32_t>(e.pair_count);
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
        full_(begin.empty() && end.empty()),
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
      if (pairs_.Next(key, value)) {
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

 private:
  bool Stop() {
    next_block_ = end_block_;
    pairs_ = SnapshotBlock::Iterator(std::string_view());
    return false;
  }

  const SnapshotFile* file_;
  std::string begin_;
  std::string end_;
  const bool full_;
  bool checked_ = false;
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

absl::StatusOr<std::optional<std::string>> SnapshotFile::Get(
    std::string_view key) {
  size_t i = FindBlock(key);
  if (i == index_.size() || key < index_[i].first_key) {
    return std::optional<std::string>();  // Between blocks: no read needed.
  }
  std::unique_ptr<SnapshotBlock> block = TakeBlock();
  absl::Status s = ReadBlock(i, block.get());
  std::optional<std::string> found;
  if (s.ok()) {
    SnapshotBlock::Iterator it = block->pairs();
    std::string_view k, v;
    while (it.Next(&k, &v)) {
      if (k >= key) {
        if (k == key) found.emplace(v);
        break;
      }
    }
  }
  ReturnBlock(std::move(block));
  if (!s.ok()) return s;
  return found;
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
  SnapshotBlock block;
  for (size_t i = 0; i < index_.size(); ++i) {
    WAYBACK_RETURN_IF_ERROR(ReadBlock(i, &block));
    SnapshotBlock::Iterator it = block.pairs();
    std::string_view k, v;
    while (it.Next(&k, &v)) digest.Add(k, v);
  }
  return CheckDigest(digest);
}

absl::Status SnapshotFile::CheckDigest(const StateDigest& computed) const {
  if (computed == info_.digest) return absl::OkStatus();
  // The footer's pair count and digest fields start 24 bytes into it.
  return Corruption(info_.size - sf::kFooterSize + 24,
                    absl::StrCat("state digest mismatch: the footer records ",
                                 info_.digest.ToString(),
                                 ", the pairs hash to ", computed.ToString()));
}

absl::StatusOr<std::unique_ptr<SnapshotReader>> SnapshotReader::Open(
    Storage* storage, std::string_view name) {
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotFile> f,
                           SnapshotFile::Open(storage, name));
  return std::unique_ptr<SnapshotReader>(std::move(f));
}

}  // namespace wayback
