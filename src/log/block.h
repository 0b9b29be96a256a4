// Copyright 2026 The Wayback Authors.
//
// Blocks of a segment: encoding records into a block (BlockBuilder), and the
// three steps of reading one back, split so that a replay pipeline can run
// the expensive ones on worker threads:
//
//   1. DecodeBlockHeader (segment_format.h): 56 bytes -> BlockHeader.
//   2. UnpackBlock (any thread): verify the payload CRC and decompress into a
//      caller-owned buffer capped at the header's raw size, then validate
//      every record (DecodeRecords); the result is a DecodedBlock whose
//      LogRecords view the buffer (zero-copy, no allocation per mutation).
//   3. CheckBlockFollows (ordered): LSN and commit-time continuity with the
//      previous block; then hand the records out in order.
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

// Accumulates records for one block.
class BlockBuilder {
 public:
  bool empty() const { return count_ == 0; }
  size_t raw_size() const { return raw_.size(); }
  uint32_t record_count() const { return count_; }
  Lsn first_lsn() const { return first_lsn_; }
  Lsn last_lsn() const { return last_lsn_; }
  CommitTime first_commit_time() const { return first_time_; }
  CommitTime last_commit_time() const { return last_time_; }
  uint64_t transaction_count() const { return txns_; }
  uint64_t mutation_count() const { return mutations_; }
  // Whether adding a record of about `bytes` raw bytes would pass the format's
  // block limit (the caller then finishes this block first).
  bool WouldOverflow(size_t bytes) const {
    return !empty() && raw_.size() + bytes > kMaxBlockRawSize;
  }

  // The caller guarantees lsn == last_lsn() + 1 (any lsn for the first
  // record) and time >= last_commit_time(), and a validated transaction.
  void AddTransaction(Lsn lsn, CommitTime time, const Transaction& txn);
  void AddRestorePoint(Lsn lsn, CommitTime time, std::string_view name);

  // Compresses the records and replaces *out with the stored block (header +
  // payload); `info` gets its index entry (offset left 0). Resets the builder.
  absl::Status Finish(ZstdCompressor* compressor, std::string* out,
                      BlockInfo* info);
  void Reset();

 private:
  void Begin(Lsn lsn, CommitTime time);
  std::string raw_;
  std::string scratch_;
  uint32_t count_ = 0;
  Lsn first_lsn_ = kNoLsn;
  Lsn last_lsn_ = kNoLsn;
  CommitTime first_time_ = 0;
  CommitTime last_time_ = 0;
  uint64_t txns_ = 0;
  uint64_t mutations_ = 0;
};

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
};

// Step 2. `payload` is the stored payload (header.stored_size bytes) read
// at offset + kBlockHeaderSize; for Codec::kNone the records view it, so it
// must outlive `out`. Verifies the payload CRC, decompresses (never more than
// header.raw_size bytes), and decodes every record. kDataLoss naming object,
// offset and LSN on any mismatch.
absl::Status UnpackBlock(std::string_view object, uint64_t offset,
                         const BlockHeader& header, std::string_view payload,
                         ZstdDecompressor* decompressor, DecodedBlock* out);

// Validates and splits `raw` into records: each record's type, LSN (dense
// from header.first_lsn), commit time (non-decreasing, within the header's
// range), flags, mutation bytes; and that the count, last LSN, last time and
// length match the header exactly.
absl::Status DecodeRecords(std::string_view object, uint64_t offset,
                           const BlockHeader& header, std::string_view raw,
                           DecodedBlock* out);

// Step 3: the block must start at prev_last_lsn + 1 and not go back in time.
// kDataLoss otherwise (naming object, offset and LSN).
absl::Status CheckBlockFollows(std::string_view object, uint64_t offset,
                               const BlockHeader& header, Lsn prev_last_lsn,
                               CommitTime prev_last_time);

}  // namespace wayback::log_format

#endif  // WAYBACK_SRC_LOG_BLOCK_H_
