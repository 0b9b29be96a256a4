// Copyright 2026 The Wayback Authors.

#include "src/log/block.h"

#include <zstd.h>

#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::log_format {
namespace {

// The smallest possible record: a restore point with a one-byte name
// (type, LSN delta, time delta, name length, name). Bounds record_count
// before anything is allocated for it.
constexpr size_t kMinRecordSize = 5;

// zstd's largest block output (ZSTD_BLOCKSIZE_MAX) and the fewest stored
// bytes that can produce any output: a 3-byte block header plus at least one
// byte (an RLE block). So a frame of n bytes never decodes to more than
// n / 4 * 128 KiB, whatever its header declares.
constexpr uint64_t kZstdMaxBlockOutput = uint64_t{1} << 17;
constexpr uint64_t kZstdMinBytesPerBlock = 4;

// Checks, without decoding, that the stored zstd frame can decode to exactly
// header.raw_size bytes: its declared content size, if recorded, must equal
// raw_size (the format always records it), and raw_size must not exceed what
// the frame's bytes could physically produce. Only then is raw_size worth
// allocating.
absl::Status CheckFrameFits(std::string_view object, uint64_t offset,
                            const BlockHeader& header,
                            std::string_view payload) {
  // (A frame declaring 2^64-2 bytes reads as ZSTD_CONTENTSIZE_ERROR too.)
  const unsigned long long declared =
      ZSTD_getFrameContentSize(payload.data(), payload.size());
  if (declared == ZSTD_CONTENTSIZE_ERROR) {
    return CorruptionAt(object, offset, header.first_lsn,
                        "block payload does not start with a valid zstd "
                        "frame header");
  }
  if (declared != ZSTD_CONTENTSIZE_UNKNOWN && declared != header.raw_size) {
    return CorruptionAt(
        object, offset, header.first_lsn,
        absl::StrCat("zstd frame declares ", declared,
                     " bytes, block header says ", header.raw_size));
  }
  const uint64_t most =
      payload.size() / kZstdMinBytesPerBlock * kZstdMaxBlockOutput;
  if (header.raw_size > most) {
    return CorruptionAt(
        object, offset, header.first_lsn,
        absl::StrCat("a zstd frame of ", payload.size(),
                     " bytes cannot decode to the ", header.raw_size,
                     " bytes the block header says (at most ", most, ")"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTransaction(const Transaction& txn) {
  for (size_t i = 0; i < txn.mutations.size(); ++i) {
    const Mutation& m = txn.mutations[i];
    if (m.type != MutationType::kPut && m.type != MutationType::kDelete) {
      return absl::InvalidArgumentError(absl::StrCat(
          "mutation ", i, " has invalid type ", static_cast<int>(m.type)));
    }
    if (m.key.size() > kMaxKeySize) {
      return absl::InvalidArgumentError(
          absl::StrCat("mutation ", i, ": key of ", m.key.size(),
                       " bytes exceeds ", kMaxKeySize));
    }
    if (m.value.size() > kMaxValueSize) {
      return absl::InvalidArgumentError(
          absl::StrCat("mutation ", i, ": value of ", m.value.size(),
                       " bytes exceeds ", kMaxValueSize));
    }
    if (m.type == MutationType::kDelete && !m.value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("mutation ", i, ": a delete carries a value"));
    }
  }
  return absl::OkStatus();
}

void EncodeTransactionRecord(Lsn lsn_delta, CommitTime time_delta,
                             const Transaction& txn, std::string* dst) {
  size_t body = 0;
  for (const Mutation& m : txn.mutations) {
    body += 1 + VarintLength(m.key.size()) + m.key.size();
    if (m.type == MutationType::kPut) {
      body += VarintLength(m.value.size()) + m.value.size();
    }
  }
  dst->reserve(dst->size() + body + 40);
  dst->push_back(static_cast<char>(RecordType::kTransaction));
  PutVarint64(dst, lsn_delta);
  PutVarint64(dst, static_cast<uint64_t>(time_delta));
  dst->push_back(static_cast<char>(txn.txid ? kTxnHasTxid : 0));
  if (txn.txid) PutVarint64(dst, *txn.txid);
  PutVarint64(dst, txn.mutations.size());
  PutVarint64(dst, body);
  for (const Mutation& m : txn.mutations) {
    dst->push_back(static_cast<char>(m.type));
    PutLengthPrefixed(dst, m.key);
    if (m.type == MutationType::kPut) PutLengthPrefixed(dst, m.value);
  }
}

void EncodeRestorePointRecord(Lsn lsn_delta, CommitTime time_delta,
                              std::string_view name, std::string* dst) {
  dst->push_back(static_cast<char>(RecordType::kRestorePoint));
  PutVarint64(dst, lsn_delta);
  PutVarint64(dst, static_cast<uint64_t>(time_delta));
  PutLengthPrefixed(dst, name);
}

void BlockBuilder::Begin(Lsn lsn, CommitTime time) {
  if (count_ == 0) {
    first_lsn_ = lsn;
    first_time_ = time;
    last_time_ = time;
  }
}

void BlockBuilder::AddTransaction(Lsn lsn, CommitTime time,
                                  const Transaction& txn) {
  Begin(lsn, time);
  EncodeTransactionRecord(count_ == 0 ? 0 : lsn - last_lsn_, time - last_time_,
                          txn, &raw_);
  last_lsn_ = lsn;
  last_time_ = time;
  ++count_;
  ++txns_;
  mutations_ += txn.mutations.size();
}

void BlockBuilder::AddRestorePoint(Lsn lsn, CommitTime time,
                                   std::string_view name) {
  Begin(lsn, time);
  EncodeRestorePointRecord(count_ == 0 ? 0 : lsn - last_lsn_, time - last_time_,
                           name, &raw_);
  last_lsn_ = lsn;
  last_time_ = time;
  ++count_;
}

void BlockBuilder::Reset() {
  raw_.clear();
  count_ = 0;
  first_lsn_ = last_lsn_ = kNoLsn;
  first_time_ = last_time_ = 0;
  txns_ = mutations_ = 0;
}

absl::Status BlockBuilder::Finish(ZstdCompressor* compressor, std::string* out,
                                  BlockInfo* info) {
  BlockHeader h;
  h.raw_size = static_cast<uint32_t>(raw_.size());
  h.record_count = count_;
  h.first_lsn = first_lsn_;
  h.last_lsn = last_lsn_;
  h.first_commit_time = first_time_;
  h.last_commit_time = last_time_;
  absl::Status s = compressor->Compress(raw_, &scratch_);
  if (!s.ok()) return s;
  std::string_view payload = scratch_;
  h.codec = Codec::kZstd;
  if (scratch_.size() >= raw_.size()) {
    // Incompressible (or tiny): store as is, so a block never grows.
    payload = raw_;
    h.codec = Codec::kNone;
  }
  h.stored_size = static_cast<uint32_t>(payload.size());
  h.payload_crc = crc32c::Mask(crc32c::Value(payload));
  out->resize(kBlockHeaderSize + payload.size());
  EncodeBlockHeader(h, out->data());
  std::memcpy(out->data() + kBlockHeaderSize, payload.data(), payload.size());
  *info = BlockInfo{};
  info->stored_size = static_cast<uint32_t>(out->size());
  info->raw_size = h.raw_size;
  info->first_lsn = h.first_lsn;
  info->last_lsn = h.last_lsn;
  info->first_commit_time = h.first_commit_time;
  info->last_commit_time = h.last_commit_time;
  info->record_count = h.record_count;
  Reset();
  return absl::OkStatus();
}

absl::Status UnpackBlock(std::string_view object, uint64_t offset,
                         const BlockHeader& header, std::string_view payload,
                         ZstdDecompressor* decompressor, DecodedBlock* out) {
  out->offset = offset;
  out->header = header;
  out->records.clear();
  if (payload.size() != header.stored_size) {
    return CorruptionAt(
        object, offset, header.first_lsn,
        absl::StrCat("block payload is ", payload.size(),
                     " bytes, header says ", header.stored_size));
  }
  if (crc32c::Unmask(header.payload_crc) != crc32c::Value(payload)) {
    return CorruptionAt(object, offset, header.first_lsn,
                        "block payload checksum mismatch");
  }
  if (header.codec == Codec::kNone) {
    out->raw = payload;
  } else {
    // Look at the frame before allocating for it: resize() touches every
    // page, so a tiny frame under a header claiming the format's largest
    // raw size would otherwise cost that much memory before being refused.
    WAYBACK_RETURN_IF_ERROR(CheckFrameFits(object, offset, header, payload));
    // The buffer is exactly raw_size bytes: decompression cannot exceed the
    // recorded size, whatever the frame claims.
    out->buffer.resize(header.raw_size);
    absl::Status s =
        decompressor->Decompress(payload, out->buffer.data(), header.raw_size);
    if (!s.ok()) {
      return CorruptionAt(object, offset, header.first_lsn,
                          std::string(s.message()));
    }
    out->raw = out->buffer;
  }
  return DecodeRecords(object, offset, header, out->raw, out);
}

absl::Status DecodeRecords(std::string_view object, uint64_t offset,
                           const BlockHeader& h, std::string_view raw,
                           DecodedBlock* out) {
  out->records.clear();
  out->transaction_count = 0;
  out->mutation_count = 0;
  if (raw.size() != h.raw_size) {
    return CorruptionAt(object, offset, h.first_lsn, "raw size mismatch");
  }
  if (h.record_count > raw.size() / kMinRecordSize) {
    return CorruptionAt(object, offset, h.first_lsn,
                        absl::StrCat(h.record_count, " records cannot fit in ",
                                     raw.size(), " bytes"));
  }
  std::string_view in = raw;
  Lsn lsn = h.first_lsn;
  CommitTime time = h.first_commit_time;
  for (uint32_t i = 0; i < h.record_count; ++i, ++lsn) {
    const size_t at = raw.size() - in.size();
    auto bad = [&](std::string_view what) {
      return CorruptionAt(
          object, offset, lsn,
          absl::StrCat("record ", i, " at raw byte ", at, ": ", AV(what)));
    };
    if (in.empty()) return bad("missing (block ends early)");
    uint8_t type = static_cast<uint8_t>(in[0]);
    in.remove_prefix(1);
    uint64_t lsn_delta, time_delta;
    if (!GetVarint64(&in, &lsn_delta) || !GetVarint64(&in, &time_delta)) {
      return bad("truncated record prefix");
    }
    if (lsn_delta != (i == 0 ? 0u : 1u)) return bad("LSN is not dense");
    // Unsigned arithmetic: the block's time span may exceed INT64_MAX
    // (found by fuzz_record_codec; signed overflow is undefined).
    if (time_delta > static_cast<uint64_t>(h.last_commit_time) -
                         static_cast<uint64_t>(time)) {
      return bad("commit time outside the block's range");
    }
    time = static_cast<CommitTime>(static_cast<uint64_t>(time) + time_delta);
    LogRecord rec;
    rec.lsn = lsn;
    rec.commit_time = time;
    if (type == static_cast<uint8_t>(RecordType::kTransaction)) {
      rec.type = RecordType::kTransaction;
      if (in.empty()) return bad("truncated flags");
      uint8_t flags = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      if ((flags & ~kTxnKnownFlags) != 0) return bad("unknown flags");
      if (flags & kTxnHasTxid) {
        uint64_t txid;
        if (!GetVarint64(&in, &txid)) return bad("truncated txid");
        rec.txid = txid;
      }
      uint64_t count, len;
      if (!GetVarint64(&in, &count) || !GetVarint64(&in, &len)) {
        return bad("truncated mutation count");
      }
      if (len > in.size()) return bad("mutations extend past the block");
      if (count > len / 2) return bad("mutation count does not fit");
      std::string_view muts = in.substr(0, len);
      in.remove_prefix(len);
      // Walk the mutations once so that MutationIterator can never fail on a
      // record we hand out.
      std::string_view m = muts;
      for (uint64_t k = 0; k < count; ++k) {
        if (m.empty()) return bad("mutations end early");
        uint8_t mt = static_cast<uint8_t>(m[0]);
        m.remove_prefix(1);
        std::string_view key, value;
        if (mt != static_cast<uint8_t>(MutationType::kPut) &&
            mt != static_cast<uint8_t>(MutationType::kDelete)) {
          return bad(absl::StrCat("mutation ", k, ": bad type ", mt));
        }
        if (!GetLengthPrefixed(&m, &key) || key.size() > kMaxKeySize) {
          return bad(absl::StrCat("mutation ", k, ": bad key length"));
        }
        if (mt == static_cast<uint8_t>(MutationType::kPut) &&
            (!GetLengthPrefixed(&m, &value) || value.size() > kMaxValueSize)) {
          return bad(absl::StrCat("mutation ", k, ": bad value length"));
        }
      }
      if (!m.empty()) return bad("bytes left after the mutations");
      rec.mutation_count = static_cast<uint32_t>(count);
      rec.encoded_mutations = muts;
      ++out->transaction_count;
      out->mutation_count += count;
    } else if (type == static_cast<uint8_t>(RecordType::kRestorePoint)) {
      rec.type = RecordType::kRestorePoint;
      std::string_view name;
      if (!GetLengthPrefixed(&in, &name)) return bad("truncated name");
      if (name.empty() || name.size() > kMaxRestorePointName) {
        return bad("bad restore point name length");
      }
      rec.restore_point_name = name;
    } else {
      return bad(absl::StrCat("unknown record type ", type));
    }
    rec.encoded_size = static_cast<uint32_t>(raw.size() - in.size() - at);
    out->records.push_back(rec);
  }
  if (!in.empty()) {
    return CorruptionAt(
        object, offset, h.last_lsn,
        absl::StrCat(in.size(), " bytes after the last record"));
  }
  if (time != h.last_commit_time) {
    return CorruptionAt(object, offset, h.last_lsn,
                        "last commit time differs from the block header");
  }
  return absl::OkStatus();
}

absl::Status CheckBlockFollows(std::string_view object, uint64_t offset,
                               const BlockHeader& h, Lsn prev_last_lsn,
                               CommitTime prev_last_time) {
  if (h.first_lsn != prev_last_lsn + 1) {
    return CorruptionAt(object, offset, h.first_lsn,
                        absl::StrCat("block starts at LSN ", h.first_lsn,
                                     ", expected ", prev_last_lsn + 1));
  }
  if (h.first_commit_time < prev_last_time) {
    return CorruptionAt(
        object, offset, h.first_lsn,
        absl::StrCat("commit time ", h.first_commit_time,
                     " precedes the previous record's ", prev_last_time));
  }
  return absl::OkStatus();
}

}  // namespace wayback::log_format
