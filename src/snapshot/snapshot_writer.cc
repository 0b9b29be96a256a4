// Copyright 2026 The Wayback Authors.
//
// The snapshot writer. Memory is one block (raw and compressed) plus the
// index: each block goes to the ObjectWriter as soon as it is full, and the
// object only appears, whole, when Finish() closes it, so a crash or an
// abandoned writer never leaves a visible half snapshot.

#include <algorithm>
#include <cstring>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "src/snapshot/snapshot_file.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback {
namespace {

namespace sf = snapshot_format;

// A key for an error message: escaped and cut to a readable length.
std::string ShowKey(std::string_view key) {
  constexpr size_t kMax = 64;
  std::string shown = absl::CHexEscape(AV(key.substr(0, kMax)));
  if (key.size() > kMax)
    absl::StrAppend(&shown, "... (", key.size(), " bytes)");
  return absl::StrCat("\"", shown, "\"");
}

}  // namespace

absl::StatusOr<std::unique_ptr<SnapshotFileWriter>> SnapshotFileWriter::Create(
    Storage* storage, const SnapshotWriterOptions& options) {
  if (options.timeline == 0) {
    return absl::InvalidArgumentError("snapshot timeline 0 is invalid");
  }
  if (options.block_size == 0 || options.block_size > sf::kMaxBlockRawSize) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot block_size ", options.block_size,
                     " is outside [1, ", sf::kMaxBlockRawSize, "]"));
  }
  std::string name = SnapshotObjectName(options.timeline, options.lsn);
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> object,
                           storage->Create(name));
  std::unique_ptr<SnapshotFileWriter> w(
      new SnapshotFileWriter(options, std::move(name), std::move(object)));
  std::string header;
  sf::Header h;
  h.timeline = options.timeline;
  h.lsn = options.lsn;
  sf::EncodeHeader(h, &header);
  WAYBACK_RETURN_IF_ERROR(w->Append(header));
  return w;
}

SnapshotFileWriter::SnapshotFileWriter(const SnapshotWriterOptions& options,
                                       std::string name,
                                       std::unique_ptr<ObjectWriter> object)
    : options_(options),
      name_(std::move(name)),
      object_(std::move(object)),
      compressor_(options.compression_level) {
  block_.reserve(std::min<size_t>(options.block_size, 1 << 20) + 64);
}

SnapshotFileWriter::~SnapshotFileWriter() = default;

absl::Status SnapshotFileWriter::Append(std::string_view data) {
  absl::Status s = object_->Append(data);
  if (!s.ok()) {
    status_ = absl::Status(
        s.code(), absl::StrCat("writing snapshot ", AV(name_), " at offset ",
                               offset_, ": ", s.message()));
    return status_;
  }
  offset_ += data.size();
  return absl::OkStatus();
}

absl::Status SnapshotFileWriter::Add(std::string_view key,
                                     std::string_view value) {
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", AV(name_), " is already finished"));
  }
  WAYBACK_RETURN_IF_ERROR(status_);
  // Order is checked before anything is buffered, so a rejected pair leaves
  // the writer usable: the caller may skip it and go on.
  if (pair_count_ > 0 && key <= std::string_view(last_key_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot ", AV(name_), ": key ", ShowKey(key),
        key == std::string_view(last_key_) ? " repeats the previous key"
                                           : " sorts before the previous key ",
        key == std::string_view(last_key_) ? "" : ShowKey(last_key_),
        " (keys must be strictly increasing, bytewise)"));
  }
  size_t size = sf::PairSize(key, value);
  if (size > sf::kMaxBlockRawSize) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot ", AV(name_), ": pair with key ", ShowKey(key), " is ", size,
        " bytes encoded; the format allows at most ", sf::kMaxBlockRawSize));
  }
  // A pair never spans blocks: close the current block first if the pair
  // would push it past the target size (a pair larger than the target size
  // gets a block of its own).
  if (block_pairs_ > 0 && block_.size() + size > options_.block_size) {
    WAYBACK_RETURN_IF_ERROR(FlushBlock());
  }
  sf::AppendPair(&block_, key, value);
  ++block_pairs_;
  ++pair_count_;
  last_key_.assign(key.data(), key.size());
  digest_.Add(key, value);
  if (block_.size() >= options_.block_size) {
    WAYBACK_RETURN_IF_ERROR(FlushBlock());
  }
  return absl::OkStatus();
}

absl::Status SnapshotFileWriter::FlushBlock() {
  if (block_pairs_ == 0) return absl::OkStatus();
  if (block_count_ == UINT32_MAX) {
    status_ = absl::InvalidArgumentError(absl::StrCat(
        "snapshot ", AV(name_), ": more blocks than the format can count"));
    return status_;
  }
  peak_buffered_ = std::max(peak_buffered_, buffered_bytes());
  absl::Status s = compressor_.Compress(block_, &compressed_);
  if (!s.ok()) {
    status_ = s;
    return s;
  }
  if (compressed_.size() > sf::kMaxBlockCompressedSize) {
    // Cannot happen for a raw block within kMaxBlockRawSize (zstd's bound),
    // but a reader would refuse the block: never write it.
    status_ = absl::InternalError("compressed block exceeds the format bound");
    return status_;
  }
  sf::BlockHeader bh;
  bh.compressed_size = static_cast<uint32_t>(compressed_.size());
  bh.raw_size = static_cast<uint32_t>(block_.size());
  bh.pair_count = block_pairs_;
  char header[sf::kBlockHeaderSize];
  sf::EncodeBlockHeader(bh, compressed_, header);

  // The index entry needs the block's first key: it is the first pair of
  // the raw block.
  std::string_view rest = block_, first_key, first_value;
  sf::GetPair(&rest, &first_key, &first_value);
  sf::IndexEntry e;
  e.offset = offset_;
  e.compressed_size = bh.compressed_size;
  e.raw_size = bh.raw_size;
  e.pair_count = bh.pair_count;
  e.first_key = first_key;
  e.last_key = last_key_;
  sf::EncodeIndexEntry(e, &index_);

  WAYBACK_RETURN_IF_ERROR(Append(std::string_view(header, sizeof(header))));
  WAYBACK_RETURN_IF_ERROR(Append(compressed_));
  raw_bytes_ += block_.size();
  ++block_count_;
  block_.clear();
  block_pairs_ = 0;
  // A block far above the target size (one huge pair) must not pin its
  // memory for the rest of the snapshot.
  if (block_.capacity() > 2 * options_.block_size + 4096) {
    std::string().swap(block_);
  }
  if (compressed_.capacity() > 2 * options_.block_size + 4096) {
    std::string().swap(compressed_);
  }
  return absl::OkStatus();
}

absl::StatusOr<SnapshotInfo> SnapshotFileWriter::Finish() {
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", AV(name_), " is already finished"));
  }
  WAYBACK_RETURN_IF_ERROR(status_);
  WAYBACK_RETURN_IF_ERROR(FlushBlock());
  sf::Footer f;
  f.lsn = options_.lsn;
  f.commit_time = options_.commit_time;
  f.timeline = options_.timeline;
  f.block_count = block_count_;
  f.pair_count = pair_count_;
  f.digest_low = digest_.sum_low;
  f.digest_high = digest_.sum_high;
  f.raw_bytes = raw_bytes_;
  f.index_offset = offset_;
  f.index_size = index_.size();
  f.index_crc = crc32c::Mask(crc32c::Value(index_));
  WAYBACK_RETURN_IF_ERROR(Append(index_));
  std::string footer;
  sf::EncodeFooter(f, &footer);
  WAYBACK_RETURN_IF_ERROR(Append(footer));
  absl::Status s = object_->Close();
  if (!s.ok()) {
    status_ = absl::Status(
        s.code(),
        absl::StrCat("publishing snapshot ", AV(name_), ": ", s.message()));
    return status_;
  }
  finished_ = true;
  SnapshotInfo info;
  info.name = name_;
  info.timeline = options_.timeline;
  info.lsn = options_.lsn;
  info.commit_time = options_.commit_time;
  info.pair_count = pair_count_;
  info.digest = digest_;
  info.raw_bytes = raw_bytes_;
  info.size = offset_;
  info.block_count = block_count_;
  return info;
}

size_t SnapshotFileWriter::buffered_bytes() const {
  return block_.capacity() + compressed_.capacity() + index_.capacity() +
         last_key_.capacity();
}

absl::StatusOr<std::unique_ptr<SnapshotWriter>> SnapshotWriter::Create(
    Storage* storage, const SnapshotWriterOptions& options) {
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotFileWriter> w,
                           SnapshotFileWriter::Create(storage, options));
  return std::unique_ptr<SnapshotWriter>(std::move(w));
}

absl::StatusOr<SnapshotInfo> WriteSnapshot(
    Storage* storage, const SnapshotWriterOptions& options,
    const std::function<bool(std::string_view* key, std::string_view* value)>&
        next) {
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotWriter> w,
                           SnapshotWriter::Create(storage, options));
  std::string_view key, value;
  while (next(&key, &value)) {
    WAYBACK_RETURN_IF_ERROR(w->Add(key, value));
  }
  return w->Finish();
}

}  // namespace wayback
