// Copyright 2026 The Wayback Authors.

#include "src/log/block.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::log_format {
namespace {

// zigzag (V2.5): the difference taken modulo 2^64, read as an i64.
uint64_t ZigZag(CommitTime from, CommitTime to) {
  const int64_t d = static_cast<int64_t>(static_cast<uint64_t>(to) -
                                         static_cast<uint64_t>(from));
  return (static_cast<uint64_t>(d) << 1) ^ static_cast<uint64_t>(d >> 63);
}
int64_t UnZigZag(uint64_t z) {
  return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
}

// The body of a transaction record (both versions): mutation count, bytes,
// mutations.
void EncodeMutations(const Transaction& txn, std::string* dst) {
  size_t body = 0;
  for (const Mutation& m : txn.mutations) {
    body += 1 + VarintLength(m.key.size()) + m.key.size();
    if (m.type == MutationType::kPut) {
      body += VarintLength(m.value.size()) + m.value.size();
    }
  }
  dst->reserve(dst->size() + body + 20);
  PutVarint64(dst, txn.mutations.size());
  PutVarint64(dst, body);
  for (const Mutation& m : txn.mutations) {
    dst->push_back(static_cast<char>(m.type));
    PutLengthPrefixed(dst, m.key);
    if (m.type == MutationType::kPut) PutLengthPrefixed(dst, m.value);
  }
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
  dst->push_back(static_cast<char>(RecordType::kTransaction));
  PutVarint64(dst, lsn_delta);
  PutVarint64(dst, static_cast<uint64_t>(time_delta));
  dst->push_back(static_cast<char>(txn.txid ? kTxnHasTxid : 0));
  if (txn.txid) PutVarint64(dst, *txn.txid);
  EncodeMutations(txn, dst);
}

void EncodeRestorePointRecord(Lsn lsn_delta, CommitTime time_delta,
                              std::string_view name, std::string* dst) {
  dst->push_back(static_cast<char>(RecordType::kRestorePoint));
  PutVarint64(dst, lsn_delta);
  PutVarint64(dst, static_cast<uint64_t>(time_delta));
  PutLengthPrefixed(dst, name);
}

void EncodeTransactionRecordV2(Lsn lsn_delta, CommitTime time_delta,
                               const Transaction& txn, std::string* dst) {
  dst->push_back(static_cast<char>(RecordType::kTransaction));
  PutVarint64(dst, lsn_delta);
  PutVarint64(dst, ZigZag(0, time_delta));
  dst->push_back(
      static_cast<char>((txn.txid ? kRecHasTxid : 0) |
                        (txn.source_position ? kRecHasSourcePosition : 0)));
  if (txn.txid) PutVarint64(dst, *txn.txid);
  if (txn.source_position) PutVarint64(dst, *txn.source_position);
  EncodeMutations(txn, dst);
}

void EncodeRestorePointRecordV2(Lsn lsn_delta, CommitTime time_delta,
                                std::string_view name,
                                std::optional<uint64_t> source_position,
                                std::string* dst) {
  dst->push_back(static_cast<char>(RecordType::kRestorePoint));
  PutVarint64(dst, lsn_delta);
  PutVarint64(dst, ZigZag(0, time_delta));
  dst->push_back(
      static_cast<char>(source_position ? kRecHasSourcePosition : 0));
  if (source_position) PutVarint64(dst, *source_position);
  PutLengthPrefixed(dst, name);
}

void BlockBuilder::Begin(Lsn lsn, CommitTime time) {
  if (count_ == 0) {
    first_lsn_ = lsn;
    first_time_ = time;
    last_time_ = time;
  }
}

void BlockBuilder::NotePosition(std::optional<uint64_t> pos) {
  if (!pos) return;
  if (!first_pos_) first_pos_ = pos;
  last_pos_ = pos;
}

void BlockBuilder::AddTransaction(Lsn lsn, CommitTime time,
                                  const Transaction& txn) {
  Begin(lsn, time);
  const Lsn lsn_delta = count_ == 0 ? 0 : lsn - last_lsn_;
  if (version_ == kFormatVersion1) {
    EncodeTransactionRecord(lsn_delta, time - last_time_, txn, &raw_);
  } else {
    EncodeTransactionRecordV2(lsn_delta, time - last_time_, txn, &raw_);
    NotePosition(txn.source_position);
  }
  last_lsn_ = lsn;
  last_time_ = time;
  ++count_;
  ++txns_;
  mutations_ += txn.mutations.size();
}

void BlockBuilder::AddRestorePoint(Lsn lsn, CommitTime time,
                                   std::string_view name,
                                   std::optional<uint64_t> source_position) {
  Begin(lsn, time);
  const Lsn lsn_delta = count_ == 0 ? 0 : lsn - last_lsn_;
  if (version_ == kFormatVersion1) {
    EncodeRestorePointRecord(lsn_delta, time - last_time_, name, &raw_);
  } else {
    EncodeRestorePointRecordV2(lsn_delta, time - last_time_, name,
                               source_position, &raw_);
    NotePosition(source_position);
  }
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
  first_pos_.reset();
  last_pos_.reset();
}

absl::Status BlockBuilder::Finish(ZstdCompressor* compressor, std::string* out,
                                  BlockInfo* info) {
  BlockHeader h;
  h.format_version = version_;
  h.record_count = count_;
  h.first_lsn = first_lsn_;
  h.last_lsn = last_lsn_;
  h.first_commit_time = first_time_;
  h.last_commit_time = last_time_;
  // Times are non-decreasing (the writer's rule): min is the first, max the
  // last.
  h.min_commit_time = first_time_;
  h.max_commit_time = last_time_;
  if (last_pos_) {
    h.frame_flags |= frame::kFlagHasSourcePosition;
    h.last_source_position = *last_pos_;
  }
  frame::FrameHeader f = h.frame();
  std::string_view payload;
  WAYBACK_RETURN_IF_ERROR(
      frame::CompressFrame(compressor, raw_, &scratch_, &f, &payload));
  h.set_frame(f);
  const size_t header_size = h.size();
  out->resize(header_size + payload.size());
  EncodeBlockHeader(h, out->data());
  std::memcpy(out->data() + header_size, payload.data(), payload.size());
  *info = BlockInfoFromHeader(0, h);
  Reset();
  return absl::OkStatus();
}

BlockInfo BlockInfoFromHeader(uint64_t offset, const BlockHeader& h) {
  BlockInfo b;
  b.format_version = h.format_version;
  b.offset = offset;
  b.stored_size = static_cast<uint32_t>(h.size() + h.stored_size);
  b.raw_size = h.raw_size;
  b.first_lsn = h.first_lsn;
  b.last_lsn = h.last_lsn;
  b.first_commit_time = h.first_commit_time;
  b.last_commit_time = h.last_commit_time;
  b.min_commit_time = h.min_commit_time;
  b.max_commit_time = h.max_commit_time;
  b.record_count = h.record_count;
  if (h.has_source_position()) b.last_source_position = h.last_source_position;
  return b;
}

absl::Status UnpackBlock(std::string_view object, uint64_t offset,
                         const BlockHeader& header, std::string_view payload,
                         ZstdDecompressor* decompressor, DecodedBlock* out) {
  out->offset = offset;
  out->header = header;
  out->records.clear();
  WAYBACK_RETURN_IF_ERROR(frame::UnpackFramePayload(
      object, offset, header.first_lsn, header.frame(), payload, decompressor,
      &out->buffer, &out->raw));
  return DecodeRecords(object, offset, header, out->raw, out);
}

absl::Status DecodeRecords(std::string_view object, uint64_t offset,
                           const BlockHeader& h, std::string_view raw,
                           DecodedBlock* out) {
  out->records.clear();
  out->transaction_count = 0;
  out->mutation_count = 0;
  out->first_source_position.reset();
  out->last_source_position.reset();
  const bool v2 = h.format_version != kFormatVersion1;
  if (raw.size() != h.raw_size) {
    return CorruptionAt(object, offset, h.first_lsn, "raw size mismatch");
  }
  const size_t min_record = v2 ? kMinRecordSizeV2 : kMinRecordSizeV1;
  if (h.record_count > raw.size() / min_record) {
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
    if (v2) {
      // Modulo 2^64 (V2.5), then within [min, max]; without TIMES_UNORDERED
      // (refused before any block is read) no delta is negative.
      const int64_t d = UnZigZag(time_delta);
      if (i == 0 && d != 0) return bad("first record's time delta is not 0");
      if (d < 0) return bad("commit time goes backwards");
      time = static_cast<CommitTime>(static_cast<uint64_t>(time) +
                                     static_cast<uint64_t>(d));
      if (time < h.min_commit_time || time > h.max_commit_time) {
        return bad("commit time outside the block's range");
      }
    } else {
      // Unsigned arithmetic: the block's time span may exceed INT64_MAX
      // (found by fuzz_record_codec; signed overflow is undefined).
      if (time_delta > static_cast<uint64_t>(h.last_commit_time) -
                           static_cast<uint64_t>(time)) {
        return bad("commit time outside the block's range");
      }
      time = static_cast<CommitTime>(static_cast<uint64_t>(time) + time_delta);
    }
    LogRecord rec;
    rec.lsn = lsn;
    rec.commit_time = time;
    uint8_t flags = 0;
    if (v2 || type == static_cast<uint8_t>(RecordType::kTransaction)) {
      if (in.empty()) return bad("truncated flags");
      flags = static_cast<uint8_t>(in[0]);
      in.remove_prefix(1);
      const uint8_t known =
          !v2 ? kTxnKnownFlags
          : type == static_cast<uint8_t>(RecordType::kTransaction)
              ? kRecHasTxid | kRecHasSourcePosition
              : kRecHasSourcePosition;
      if ((flags & ~known) != 0) {
        return bad(absl::StrCat("unknown flags ", flags));
      }
      if (flags & kRecHasTxid) {
        uint64_t txid;
        if (!GetVarint64(&in, &txid)) return bad("truncated txid");
        rec.txid = txid;
      }
      if (v2 && (flags & kRecHasSourcePosition)) {
        uint64_t pos;
        if (!GetVarint64(&in, &pos)) return bad("truncated source position");
        if (out->last_source_position && pos <= *out->last_source_position) {
          return bad(absl::StrCat("source position ", pos,
                                  " does not follow the previous record's ",
                                  *out->last_source_position));
        }
        rec.source_position = pos;
        if (!out->first_source_position) out->first_source_position = pos;
        out->last_source_position = pos;
      }
    }
    if (type == static_cast<uint8_t>(RecordType::kTransaction)) {
      rec.type = RecordType::kTransaction;
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
  if (v2) {
    // Times are non-decreasing, so the first and last are the min and max;
    // the header's min/max were checked equal to them when it was decoded.
    if (out->last_source_position.has_value() != h.has_source_position() ||
        (h.has_source_position() &&
         *out->last_source_position != h.last_source_position)) {
      return CorruptionAt(
          object, offset, h.last_lsn,
          "the records' last source position differs from the block header");
    }
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

absl::Status CheckSourcePositionsFollow(std::string_view object,
                                        uint64_t offset,
                                        const DecodedBlock& block,
                                        std::optional<uint64_t> prev) {
  if (prev && block.first_source_position &&
      *block.first_source_position <= *prev) {
    return CorruptionAt(
        object, offset, block.header.first_lsn,
        absl::StrCat("source position ", *block.first_source_position,
                     " does not follow the previous record's ", *prev));
  }
  return absl::OkStatus();
}

}  // namespace wayback::log_format
