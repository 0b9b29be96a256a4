// Copyright 2026 The Wayback Authors.
//
// The vocabulary types shared by every layer: LSNs, timelines, commit times,
// transactions and their mutations, log records as a reader returns them, and
// the state digest.

#ifndef WAYBACK_TYPES_H_
#define WAYBACK_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"

namespace wayback {

// Log sequence number: the position of a record in the log. Dense and strictly
// increasing from 1 on each timeline; 0 (kNoLsn) means "none".
using Lsn = uint64_t;
inline constexpr Lsn kNoLsn = 0;

// A history branch. Timeline 1 is the first; 0 is never a valid timeline.
using TimelineId = uint32_t;
inline constexpr TimelineId kFirstTimeline = 1;

// Commit timestamp: int64 nanoseconds since the Unix epoch, UTC.
using CommitTime = int64_t;

// Kinds of mutation. These numbers are written to disk: frozen; 0 is reserved.
enum class MutationType : uint8_t {
  kPut = 1,
  kDelete = 2,
};

// One owned mutation. For kDelete the value is empty.
struct Mutation {
  MutationType type = MutationType::kPut;
  std::string key;
  std::string value;

  friend bool operator==(const Mutation&, const Mutation&) = default;
};

// An atomic group of mutations, as an application hands it to LogWriter.
// Replay applies all of it or none.
struct Transaction {
  // The application's own transaction id, if it has one. Restores can stop at
  // it (RecoveryTarget::Txid).
  std::optional<uint64_t> txid;
  // The commit time. Absent: the writer assigns one from its clock, strictly
  // greater than every earlier commit time. Present: it may equal the previous
  // commit time but never precede it.
  std::optional<CommitTime> commit_time;
  // The transaction's position in the source it was captured from (a JSONL
  // line's "pos" or txid, a PostgreSQL commit's end LSN): totally ordered
  // within one source and strictly increasing along the log. Stored in the
  // log (segment format version 2 only) so that a capture process restarted
  // after a crash resumes exactly after the last position archived
  // (LogOpenReport::last_source_position). Absent: none.
  std::optional<uint64_t> source_position;
  std::vector<Mutation> mutations;

  void Put(std::string_view key, std::string_view value) {
    mutations.push_back(
        {MutationType::kPut, std::string(key), std::string(value)});
  }
  void Delete(std::string_view key) {
    mutations.push_back({MutationType::kDelete, std::string(key), {}});
  }
  friend bool operator==(const Transaction&, const Transaction&) = default;
};

// A mutation viewed in place inside a decoded block. The views stay valid as
// long as the LogRecord they came from.
struct MutationView {
  MutationType type = MutationType::kPut;
  std::string_view key;
  std::string_view value;
};

// Kinds of log record. Written to disk: frozen; 0 is reserved.
enum class RecordType : uint8_t {
  kTransaction = 1,
  kRestorePoint = 2,
};

// One decoded log record, viewed in place inside the reader's decompressed
// block (zero-copy). Views are valid until the reader moves to the next block
// or is destroyed; copy what must outlive that (ToTransaction()).
struct LogRecord {
  RecordType type = RecordType::kTransaction;
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  std::optional<uint64_t> txid;  // kTransaction only.
  // Transaction::source_position (either record type; v2 segments only).
  std::optional<uint64_t> source_position;
  std::string_view restore_point_name;  // kRestorePoint only.
  uint32_t mutation_count = 0;          // kTransaction only.
  // The encoded mutations (see src/log/segment_format.md, "Mutation").
  std::string_view encoded_mutations;
  // Total encoded size of the record, in bytes of raw (uncompressed) log.
  uint32_t encoded_size = 0;

  // Iterates the mutations without allocating. The encoding was verified when
  // the record was decoded, so Next() cannot fail on a record a reader
  // returned.
  class MutationIterator {
   public:
    explicit MutationIterator(std::string_view encoded, uint32_t count)
        : rest_(encoded), left_(count) {}
    // Stores the next mutation in *m and returns true, or returns false at the
    // end (or if the bytes are malformed; only possible for hand-made
    // records).
    bool Next(MutationView* m);

   private:
    std::string_view rest_;
    uint32_t left_;
  };
  MutationIterator mutations() const {
    return MutationIterator(encoded_mutations, mutation_count);
  }
  // An owned copy (for tests, callbacks and tools; allocates).
  Transaction ToTransaction() const;
};

// Order-independent digest of a state: the sum modulo 2^128 of
// XXH3-128(encoding of each live key/value pair), plus the pair count. Equal
// states have equal digests whatever order they were built in. The exact
// definition is in src/snapshot/snapshot_format.md ("State digest").
struct StateDigest {
  uint64_t sum_low = 0;
  uint64_t sum_high = 0;
  uint64_t count = 0;

  // Adds (Remove: subtracts) one pair's hash.
  void Add(std::string_view key, std::string_view value);
  void Remove(std::string_view key, std::string_view value);
  // Combines two digests of disjoint states (for partitioned apply).
  void Merge(const StateDigest& other);
  // 32 hex digits of the sum, a colon, and the count: "4f…9a:526536".
  std::string ToString() const;
  friend bool operator==(const StateDigest&, const StateDigest&) = default;
};

}  // namespace wayback

#endif  // WAYBACK_TYPES_H_
