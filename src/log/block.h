// Copyright 2026 The Wayback Authors.
//
// Blocks of a segment: encoding records into a block (BlockBuilder), and the
// three steps of reading one back, split so that a replay pipeline can run
// the expensive ones on worker threads:
//
//   1. DecodeBlockHeader (segment_format.h): 56 bytes (v1) or 96 bytes (v2)
//      -> BlockHeader.
//   2. UnpackBlock (any thread): verify the payload CRC and decompress into a
//      caller-owned buffer capped at the header's raw size (the shared frame
//      code, src/util/block_frame.h), then validate every record
//      (DecodeRecords); the result is a DecodedBlock whose LogRecords view
//      the buffer (zero-copy, no allocation per mutation).
//   3. CheckBlockFollows and CheckSourcePositionsFollow (ordered): LSN,
//      commit-time and source-position continuity with the previous block;
//      then hand the records out in order.
//
// Thread-safety: the functions are reentrant; a ZstdCompressor /
// ZstdDecompressor / DecodedBlock is used by one thread at a time.

#ifndef WAYBACK_SRC_LOG_BLOCK_H_
#define WAYBACK_SRC_LOG_BLOCK_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "src/log/segment_format.h"
#include "src/util/compression.h"
#include "wayback/log.h"
#include "wayback/types.h"

namespace wayback::log_format {

// Checks a transaction against the format's limits (mutation types, key and
// value sizes). kInvalidArgument otherwise.
absl::Status ValidateTransaction(const Transaction& txn);

// Appends the encoding of one record to *dst (see segment_format.md,
// "Records"). `prev_time` is the commit time of the previous record of the
// same block (or the record's own time for the first record of a block).
void EncodeTransactionRecord(Lsn lsn_delta, CommitTime time_delta,
                             const Transaction& txn, std::string* dst);
void EncodeRestorePointRecord(Lsn lsn_delta, CommitTime time_delta,
                              std::string_view name, std::string* dst);
// The version 2 records (V2.5): the flags byte before the body, a signed
// (zigzag) time delta and the optional source position.
void EncodeTransactionRecordV2(Lsn lsn_delta, CommitTime time_delta,
                               const Transaction& txn, std::string* dst);
void EncodeRestorePointRecordV2(Lsn lsn_delta, CommitTime time_delta,
                                std::string_view name,
                                std::optional<uint64_t> source_position,
                                std::string* dst);

// Accumulates records for one block of a segment of `format_version`.
class BlockBuilder {
 public:
  explicit BlockBuilder(uint32_t format_version = kFormatVersion1)
      : version_(format_version) {}
  uint32_t format_version() const { return version_; }
  bool empty() const { return count_ == 0; }
  size_t raw_size() const { return raw_.size(); }
  uint32_t record_count() const { return count_; }
  Lsn first_lsn() const { return first_lsn_; }
  Lsn last_lsn() const { return last_lsn_; }
  CommitTime first_commit_time() const { return first_time_; }
  CommitTime last_commit_time() const { return last_time_; }
  uint64_t transaction_count() const { return txns_; }
  uint64_t mutation_count() const { return mutations_; }
  // The source positions of the first and last records carrying one (v2).
  std::optional<uint64_t> first_source_position() const { return first_pos_; }
  std::optional<uint64_t> last_source_position() const { return last_pos_; }
  // Whether adding a record of about `bytes` raw bytes would pass the format's
  // block limit (the caller then finishes this block first).
  bool WouldOverflow(size_t bytes) const {
    return !empty() && raw_.size() + bytes > kMaxBlockRawSize;
  }

  // The caller guarantees lsn == last_lsn() + 1 (any lsn for the first
  // record), time >= last_commit_time(), a validated transaction, and (v2) a
  // source position greater than every earlier one (v1: none). The
  // transaction's own commit_time is ignored: `time` is the record's.
  void AddTransaction(Lsn lsn, CommitTime time, const Transaction& txn);
  void AddRestorePoint(Lsn lsn, CommitTime time, std::string_view name,
                       std::optional<uint64_t> source_position = {});

  // Compresses the records and replaces *out with the stored block (header +
  // payload); `info` gets its index entry (offset left 0). Resets the builder.
  absl::Status Finish(ZstdCompressor* compressor, std::string* out,
                      BlockInfo* info);
  void Reset();

 private:
  void Begin(Lsn lsn, CommitTime time);
  void NotePosition(std::optional<uint64_t> pos);
  uint32_t version_;
  std::string raw_;
  std::string scratch_;
  uint32_t count_ = 0;
  Lsn first_lsn_ = kNoLsn;
  Lsn last_lsn_ = kNoLsn;
  CommitTime first_time_ = 0;
  CommitTime last_time_ = 0;
  uint64_t txns_ = 0;
  uint64_t mutations_ = 0;
  std::optional<uint64_t> first_pos_;
  std::optional<uint64_t> last_pos_;
};

// The index entry of the block at `offset` whose header is `h`.
BlockInfo BlockInfoFromHeader(uint64_t offset, const BlockHeader& h);

// A verified, decompressed and decoded block. Reuse one across blocks: its
// buffers keep their capacity.
struct DecodedBlock {
  uint64_t offset = 0;
  BlockHeader header;
  std::string buffer;    // Decompressed bytes (when compressed).
  std::string_view raw;  // The records' bytes (into buffer or payload).
  std::vector<LogRecord> records;
  uint64_t transaction_count = 0;
  uint64_t mutation_count = 0;
  // The source positions of the first and last records carrying one.
  std::optional<uint64_t> first_source_position;
  std::optional<uint64_t> last_source_position;
};

// Step 2. `payload` is the stored payload (header.stored_size bytes) read
// at offset + header.size(); for Codec::kNone the records view it, so it
// must outlive `out`. Verifies the payload CRC, decompresses (never more than
// header.raw_size bytes), and decodes every record. kDataLoss naming object,
// offset and LSN on any mismatch.
absl::Status UnpackBlock(std::string_view object, uint64_t offset,
                         const BlockHeader& header, std::string_view payload,
                         ZstdDecompressor* decompressor, DecodedBlock* out);

// Validates and splits `raw` into records of header.format_version: each
// record's type, LSN (dense from header.first_lsn), commit time
// (non-decreasing, within the header's range), flags, mutation bytes, (v2)
// source position (strictly increasing); and that the count, last LSN, last
// time (v2: min and max), last source position, HAS_SOURCE_POSITION and
// length match the header exactly.
absl::Status DecodeRecords(std::string_view object, uint64_t offset,
                           const BlockHeader& header, std::string_view raw,
                           DecodedBlock* out);

// Step 3: the block must start at prev_last_lsn + 1 and not go back in time.
// kDataLoss otherwise (naming object, offset and LSN).
absl::Status CheckBlockFollows(std::string_view object, uint64_t offset,
                               const BlockHeader& header, Lsn prev_last_lsn,
                               CommitTime prev_last_time);

// Step 3, after step 2: the block's first source position must exceed
// `prev`, the last one before the block on the timeline (none: no check).
// kDataLoss naming both positions otherwise.
absl::Status CheckSourcePositionsFollow(std::string_view object,
                                        uint64_t offset,
                                        const DecodedBlock& block,
                                        std::optional<uint64_t> prev);

}  // namespace wayback::log_format

#endif  // WAYBACK_SRC_LOG_BLOCK_H_
