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
#include "src/util/block_frame.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/repository_identity.h"
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
  const bool delta = options.kind == SnapshotKind::kDelta;
  if (options.format_version == sf::kFormatVersion) {
    if (delta || options.generation != 0 || options.max_commit_time ||
        options.last_source_position || options.base != nullptr) {
      return absl::InvalidArgumentError(
          "snapshot format version 1 has no delta, generation, maximum "
          "commit time, source position or base (format_version 2 has)");
    }
    return CreateObject(storage, options, false, std::string());
  }
  if (options.format_version != sf::kFormatVersion2) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot format version ", options.format_version,
                     " is unknown (this build writes 1 and 2)"));
  }
  if (options.kind != SnapshotKind::kFull && !delta) {
    return absl::InvalidArgumentError("unknown snapshot kind");
  }
  if (options.lsn == kSnapshotFenceLsn) {
    return absl::InvalidArgumentError(
        "LSN 0xffffffffffffffff is reserved for the snapshot version fence");
  }
  if (delta != (options.base != nullptr)) {
    return absl::InvalidArgumentError(
        delta ? "a delta snapshot needs its base (SnapshotWriterOptions::base)"
              : "a full snapshot has no base");
  }
  if (delta) {
    const SnapshotInfo& base = options.base->info();
    if (base.fence || base.lsn >= options.lsn) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the base of a delta at lsn ", options.lsn, " must be a snapshot at ",
          "a smaller LSN; ", AV(base.name), " is at ", base.lsn));
    }
    if (base.chain_depth >= kMaxSnapshotChainDepth) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a delta over ", AV(base.name), " (chain depth ", base.chain_depth,
          ") would exceed the maximum chain depth ", kMaxSnapshotChainDepth));
    }
  }
  // Version 2 records the repository's id: no identity, no v2 object.
  absl::StatusOr<std::optional<RepositoryIdentity>> identity =
      ReadRepositoryIdentity(storage);
  if (!identity.ok() && !absl::IsDataLoss(identity.status()) &&
      !absl::IsFailedPrecondition(identity.status())) {
    return identity.status();  // I/O: as such.
  }
  if (!identity.ok() || !identity->has_value()) {
    return absl::FailedPreconditionError(absl::StrCat(
        "snapshot format version 2 records the repository's id, but ",
        storage->uri(), " has no valid repository identity object (",
        AV(kIdentityObjectName), ")",
        identity.ok() ? "" : absl::StrCat(": ", identity.status().message())));
  }
  const std::string repository_id = absl::HexStringToBytes(AV((**identity).id));
  WAYBACK_RETURN_IF_ERROR(
      CreateFence(storage, options.timeline, repository_id));
  return CreateObject(storage, options, false, repository_id);
}

absl::Status SnapshotFileWriter::CreateFence(Storage* storage,
                                             TimelineId timeline,
                                             const std::string& repository_id) {
  const std::string name = SnapshotFenceName(timeline);
  absl::StatusOr<ObjectInfo> stat = storage->Stat(name);
  if (stat.ok()) return absl::OkStatus();
  if (!absl::IsNotFound(stat.status())) return stat.status();
  // An empty full snapshot at the reserved LSN, commit time 0 (V2.8).
  SnapshotWriterOptions o;
  o.timeline = timeline;
  o.lsn = kSnapshotFenceLsn;
  o.format_version = sf::kFormatVersion2;
  absl::StatusOr<std::unique_ptr<SnapshotFileWriter>> w =
      CreateObject(storage, o, true, repository_id);
  // Create-only: a fence another writer created meanwhile is as good.
  if (absl::IsAlreadyExists(w.status())) return absl::OkStatus();
  WAYBACK_RETURN_IF_ERROR(w.status());
  absl::StatusOr<SnapshotInfo> done = (*w)->Finish();
  if (absl::IsAlreadyExists(done.status())) return absl::OkStatus();
  return done.status();
}

absl::StatusOr<std::unique_ptr<SnapshotFileWriter>>
SnapshotFileWriter::CreateObject(Storage* storage,
                                 const SnapshotWriterOptions& options,
                                 bool fence, const std::string& repository_id) {
  std::string name = SnapshotObjectName(SnapshotName{
      options.timeline, options.lsn, options.kind, options.generation});
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> object,
                           storage->Create(name));
  std::unique_ptr<SnapshotFileWriter> w(
      new SnapshotFileWriter(options, std::move(name), std::move(object)));
  w->fence_ = fence;
  std::string header;
  if (options.format_version == sf::kFormatVersion) {
    sf::Header h;
    h.timeline = options.timeline;
    h.lsn = options.lsn;
    sf::EncodeHeader(h, &header);
  } else {
    sf::HeaderV2 h;
    h.timeline = options.timeline;
    h.lsn = options.lsn;
    h.codec = static_cast<uint8_t>(frame::Codec::kZstd);
    h.flags = fence ? sf::kFlagFence : 0;
    h.kind = static_cast<uint8_t>(options.kind);
    h.repository_id = repository_id;
    h.generation = options.generation;
    sf::EncodeHeaderV2(h, &header);
    if (w->delta_) w->digest_ = options.base->info().digest;
  }
  WAYBACK_RETURN_IF_ERROR(w->Append(header));
  return w;
}

SnapshotFileWriter::SnapshotFileWriter(const SnapshotWriterOptions& options,
                                       std::string name,
                                       std::unique_ptr<ObjectWriter> object)
    : options_(options),
      delta_(options.kind == SnapshotKind::kDelta),
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

absl::Status SnapshotFileWriter::CheckNext(std::string_view key) const {
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", AV(name_), " is already finished"));
  }
  WAYBACK_RETURN_IF_ERROR(status_);
  if (pair_count_ > 0 && key <= std::string_view(last_key_)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "snapshot ", AV(name_), ": key ", ShowKey(key),
        key == std::string_view(last_key_) ? " repeats the previous key"
                                           : " sorts before the previous key ",
        key == std::string_view(last_key_) ? "" : ShowKey(last_key_),
        " (keys must be strictly increasing, bytewise)"));
  }
  return absl::OkStatus();
}

absl::Status SnapshotFileWriter::LookUpBase(std::string_view key, bool* found,
                                            std::string_view* base_value) {
  // Keys come in increasing order, so the base is read forward, once; only a
  // key before the last one looked up (after a refused entry) starts over.
  if (base_it_ == nullptr || key < std::string_view(base_pos_)) {
    base_it_ = options_.base->NewRangeIterator(key, std::string_view());
    base_valid_ = base_it_->Next(&base_key_, &base_value_);
  }
  base_pos_.assign(key);
  while (base_valid_ && base_key_ < key) {
    base_valid_ = base_it_->Next(&base_key_, &base_value_);
  }
  if (!base_valid_ && !base_it_->status().ok()) {
    absl::Status s = base_it_->status();
    base_it_.reset();
    return absl::Status(
        s.code(),
        absl::StrCat("delta ", AV(name_), ": reading its base: ", s.message()));
  }
  *found = base_valid_ && base_key_ == key;
  if (*found) *base_value = base_value_;
  return absl::OkStatus();
}

absl::Status SnapshotFileWriter::Add(std::string_view key,
                                     std::string_view value) {
  // Order is checked before anything is buffered, so a rejected pair leaves
  // the writer usable: the caller may skip it and go on.
  WAYBACK_RETURN_IF_ERROR(CheckNext(key));
  if (delta_) {
    bool found;
    std::string_view old;
    WAYBACK_RETURN_IF_ERROR(LookUpBase(key, &found, &old));
    if (found && old == value) {
      return absl::InvalidArgumentError(absl::StrCat(
          "delta ", AV(name_), ": the base already holds key ", ShowKey(key),
          " with this value (a delta holds only changed keys)"));
    }
    if (found) digest_.Remove(key, old);
  }
  return Buffer(key, value, false);
}

absl::Status SnapshotFileWriter::AddDelete(std::string_view key) {
  if (!delta_) {
    return absl::InvalidArgumentError(
        absl::StrCat("snapshot ", AV(name_),
                     ": a full snapshot holds no deletes (only a delta, "
                     "format version 2, does)"));
  }
  WAYBACK_RETURN_IF_ERROR(CheckNext(key));
  bool found;
  std::string_view old;
  WAYBACK_RETURN_IF_ERROR(LookUpBase(key, &found, &old));
  if (!found) {
    return absl::InvalidArgumentError(
        absl::StrCat("delta ", AV(name_), ": delete of key ", ShowKey(key),
                     ", which the base does not hold"));
  }
  digest_.Remove(key, old);
  return Buffer(key, std::string_view(), true);
}

absl::Status SnapshotFileWriter::Buffer(std::string_view key,
                                        std::string_view value, bool deleted) {
  size_t size = delta_ ? sf::EntrySize(key, value) : sf::PairSize(key, value);
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
  if (!delta_) {
    sf::AppendPair(&block_, key, value);
  } else {
    sf::AppendEntry(&block_,
                    deleted ? sf::EntryType::kDelete : sf::EntryType::kPut, key,
                    value);
  }
  ++block_pairs_;
  ++pair_count_;
  delete_count_ += deleted;
  last_key_.assign(key.data(), key.size());
  if (!deleted) digest_.Add(key, value);
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
  // The block header (v1) or frame header (v2), and the stored payload.
  char header[std::max(sf::kBlockHeaderSize, sf::kFrameHeaderSize)];
  size_t header_size;
  std::string_view payload;
  if (options_.format_version == sf::kFormatVersion) {
    absl::Status s = compressor_.Compress(block_, &compressed_);
    if (!s.ok()) {
      status_ = s;
      return s;
    }
    if (compressed_.size() > sf::kMaxBlockCompressedSize) {
      // Cannot happen for a raw block within kMaxBlockRawSize (zstd's
      // bound), but a reader would refuse the block: never write it.
      status_ =
          absl::InternalError("compressed block exceeds the format bound");
      return status_;
    }
    sf::BlockHeader bh;
    bh.compressed_size = static_cast<uint32_t>(compressed_.size());
    bh.raw_size = static_cast<uint32_t>(block_.size());
    bh.pair_count = block_pairs_;
    sf::EncodeBlockHeader(bh, compressed_, header);
    header_size = sf::kBlockHeaderSize;
    payload = compressed_;
  } else {
    frame::FrameHeader fh;
    absl::Status s =
        frame::CompressFrame(&compressor_, block_, &compressed_, &fh, &payload);
    if (!s.ok()) {
      status_ = s;
      return s;
    }
    fh.item_count = block_pairs_;
    frame::EncodeFrameHeader(fh, header);
    frame::SealFrameHeader(header, sf::kFrameHeaderSize);
    header_size = sf::kFrameHeaderSize;
  }

  // The index entry needs the block's first key: it is the first pair (or
  // entry) of the raw block.
  std::string_view rest = block_, first_key, first_value;
  bool deleted;
  if (delta_) {
    sf::GetEntry(&rest, &first_key, &first_value, &deleted);
  } else {
    sf::GetPair(&rest, &first_key, &first_value);
  }
  sf::IndexEntry e;
  e.offset = offset_;
  e.compressed_size = payload.size();
  e.raw_size = block_.size();
  e.pair_count = block_pairs_;
  e.first_key = first_key;
  e.last_key = last_key_;
  sf::EncodeIndexEntry(e, &index_);

  WAYBACK_RETURN_IF_ERROR(Append(std::string_view(header, header_size)));
  WAYBACK_RETURN_IF_ERROR(Append(payload));
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

absl::Status SnapshotFileWriter::FinishV2() {
  // The index frame: the entries, then the summary.
  sf::Summary summary;
  summary.digest = digest_;
  if (delta_) summary.base_digest = options_.base->info().digest;
  sf::EncodeSummary(summary, &index_);
  frame::FrameHeader fh;
  std::string_view payload;
  if (block_count_ == 0) {
    // The summary alone is stored as is: the bytes of an empty snapshot (and
    // of the version fence, V2.11) do not depend on the zstd version.
    fh.codec = frame::Codec::kNone;
    fh.raw_size = fh.stored_size = static_cast<uint32_t>(index_.size());
    fh.payload_crc = crc32c::Mask(crc32c::Value(index_));
    payload = index_;
  } else {
    absl::Status s =
        frame::CompressFrame(&compressor_, index_, &compressed_, &fh, &payload);
    if (!s.ok()) {
      status_ = s;
      return s;
    }
  }
  fh.item_count = block_count_;
  fh.flags = frame::kFlagIndex;
  char header[sf::kFrameHeaderSize];
  frame::EncodeFrameHeader(fh, header);
  frame::SealFrameHeader(header, sf::kFrameHeaderSize);

  sf::FooterV2 f;
  f.lsn = options_.lsn;
  f.commit_time = options_.commit_time;
  f.timeline = options_.timeline;
  f.block_count = block_count_;
  f.pair_count = digest_.count;
  f.entry_count = pair_count_;
  f.delete_count = delete_count_;
  f.raw_bytes = raw_bytes_;
  f.index_offset = offset_;
  f.index_size = sf::kFrameHeaderSize + payload.size();
  f.max_commit_time = options_.max_commit_time.value_or(options_.commit_time);
  if (options_.last_source_position) {
    f.flags |= sf::kFooterHasSourcePosition;
    f.last_source_position = *options_.last_source_position;
  }
  if (delta_) {
    const SnapshotInfo& base = options_.base->info();
    f.chain_depth = base.chain_depth + 1;
    f.base_timeline = base.timeline;
    f.base_generation = base.generation;
    f.base_lsn = base.lsn;
    f.base_kind = static_cast<uint8_t>(base.kind);
  }
  WAYBACK_RETURN_IF_ERROR(Append(std::string_view(header, sizeof(header))));
  WAYBACK_RETURN_IF_ERROR(Append(payload));
  std::string footer;
  sf::EncodeFooterV2(f, &footer);
  return Append(footer);
}

absl::StatusOr<SnapshotInfo> SnapshotFileWriter::Finish() {
  if (finished_) {
    return absl::FailedPreconditionError(
        absl::StrCat("snapshot ", AV(name_), " is already finished"));
  }
  WAYBACK_RETURN_IF_ERROR(status_);
  WAYBACK_RETURN_IF_ERROR(FlushBlock());
  const bool v1 = options_.format_version == sf::kFormatVersion;
  if (!v1) {
    WAYBACK_RETURN_IF_ERROR(FinishV2());
  } else {
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
  }
  base_it_.reset();
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
  info.pair_count = digest_.count;
  info.digest = digest_;
  info.raw_bytes = raw_bytes_;
  info.size = offset_;
  info.block_count = block_count_;
  info.format_version = options_.format_version;
  info.kind = options_.kind;
  info.generation = options_.generation;
  info.entry_count = pair_count_;
  info.delete_count = delete_count_;
  info.max_commit_time =
      options_.max_commit_time.value_or(options_.commit_time);
  info.last_source_position = options_.last_source_position;
  info.fence = fence_;
  if (delta_) {
    const SnapshotInfo& base = options_.base->info();
    info.chain_depth = base.chain_depth + 1;
    info.base = SnapshotBaseRef{base.timeline, base.lsn, base.kind,
                                base.generation, base.digest};
  }
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
