// Copyright 2026 The Wayback Authors.
//
// Helpers shared by the reliability suites (tests/reliability): repository
// images (a name -> bytes map that can be copied, damaged and loaded into a
// fresh in-memory storage for every trial), a deterministic reference log
// with its exact expected records (the oracle), readers that collect whole
// logs and snapshots, byte surgery that re-encodes blocks and fixes every
// checksum so that a deeper check is reached, and the results files every
// family writes its figures to.
//
// Results: each family writes <dir>/<family>.json, where <dir> is
// $WAYBACK_RESULTS_DIR if set, else <build dir>/results; and prints one
// line "RESULT <family> key=value ...". WAYBACK_FULL=1 selects full counts.

#ifndef WAYBACK_TESTS_RELIABILITY_RELIABILITY_UTIL_H_
#define WAYBACK_TESTS_RELIABILITY_RELIABILITY_UTIL_H_

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wayback/log.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback::reliability {

// True when WAYBACK_FULL=1: run every family at its full count.
bool FullMode();
// An integer from the environment, or `def`.
int64_t EnvInt(const char* name, int64_t def);

// Figures of one family, written as a flat JSON object.
class Results {
 public:
  explicit Results(std::string family) : family_(std::move(family)) {}
  void Set(const std::string& key, int64_t value);
  void Set(const std::string& key, const std::string& value);
  void Add(const std::string& key, int64_t delta);
  int64_t Get(const std::string& key) const;
  // Writes the JSON file and prints the summary line. Returns the path.
  std::string Write() const;

 private:
  std::string family_;
  std::vector<std::pair<std::string, std::string>> fields_;  // Insertion order.
  std::map<std::string, int64_t> ints_;
};

// The directory results go to (created if needed).
std::string ResultsDir();

// ---------------------------------------------------------------------------
// Repository images.

using Image = std::map<std::string, std::string>;

// Every object of `storage` (all prefixes).
absl::StatusOr<Image> Capture(Storage* storage);
// A fresh in-memory storage holding exactly `image`.
std::unique_ptr<Storage> Materialize(const Image& image);

// A record as the oracle knows it (owned).
struct Rec {
  RecordType type = RecordType::kTransaction;
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  std::optional<uint64_t> txid;
  std::string name;  // Restore point.
  std::vector<Mutation> mutations;
  friend bool operator==(const Rec&, const Rec&) = default;
};
Rec Own(const LogRecord& r);

// A deterministic transaction from (seed, index): 0..4 mutations, binary
// keys, some empty values, some deletes.
Transaction MakeTxn(uint64_t seed, uint64_t index);
// MakeTxn with a first key "tag/<who>/<seq>", so that any record read back
// names the committer and submission it came from (crash tests).
Transaction Tagged(uint64_t seed, int who, int seq);
// A short digest of a transaction's content (for acknowledgement logs).
uint64_t TxnHash(const Transaction& txn);

struct ReferenceLog {
  Image image;
  std::vector<Rec> records;         // Every record, LSN 1..N.
  std::vector<std::string> sealed;  // Sealed segment names, in LSN order.
  std::string live;                 // The live segment ("" if none).
};
struct ReferenceOptions {
  uint64_t seed = 1;
  int transactions = 60;
  size_t block_size = 400;
  uint64_t segment_max_bytes = 2500;
  bool leave_live = true;  // Keep the last segment unsealed.
  TimelineId timeline = kFirstTimeline;
  // Segment format version 2 writes an identity object first and gives
  // three transactions in four a source position.
  uint32_t format_version = 1;
};
// Writes a small log (restore points every 17 records, several blocks per
// segment, several segments) and captures it.
absl::StatusOr<ReferenceLog> BuildReferenceLog(const ReferenceOptions& o);

// Reads a whole log: every record until the end or the first error.
struct LogReadout {
  std::vector<Rec> records;
  absl::Status status;  // OK at a clean end.
  std::optional<LogReader::TornTail> torn;
};
LogReadout ReadLog(Storage* storage, bool allow_torn_tail = true,
                   TimelineId timeline = kFirstTimeline);

// A reference snapshot: `pairs` sorted pairs in small blocks.
struct ReferenceSnapshot {
  Image image;
  std::string name;
  std::vector<std::pair<std::string, std::string>> pairs;
  SnapshotInfo info;
};
absl::StatusOr<ReferenceSnapshot> BuildReferenceSnapshot(uint64_t seed,
                                                         int pairs,
                                                         size_t block_size,
                                                         Lsn lsn = 7);
// Opens, verifies and iterates a snapshot fully.
struct SnapshotReadout {
  std::vector<std::pair<std::string, std::string>> pairs;
  absl::Status status;
};
SnapshotReadout ReadSnapshot(Storage* storage, const std::string& name);

// True if `s` is a corruption error that names `object` and an offset in
// the form of src/util/errors.h.
bool NamesObjectAndOffset(const absl::Status& s, const std::string& object);
// True if the message also names an LSN ("(lsn N)").
bool NamesLsn(const absl::Status& s);

// ---------------------------------------------------------------------------
// Segment surgery: a segment split into its parts, editable, and encoded back
// with every checksum (block headers, footer) recomputed.

struct SegmentParts {
  std::string header;               // 96 bytes, as stored.
  std::vector<std::string> blocks;  // Each: 56-byte header + payload.
  bool sealed = false;
  SegmentInfo info;  // As read (counts for the footer).
};
absl::StatusOr<SegmentParts> SplitSegment(const Image& image,
                                          const std::string& name);
// Encodes the parts back. Block headers are taken as they are (use the
// helpers below to change them with a valid CRC); for a sealed segment the
// footer is rebuilt from the block headers, so the index agrees.
// `tweak_footer`, if set, edits the footer's description before encoding.
std::string JoinSegment(
    const SegmentParts& parts,
    const std::function<void(SegmentInfo*)>& tweak_footer = nullptr);

// Decoded view of one block for editing.
struct BlockEdit {
  uint32_t stored_size, raw_size, record_count;
  Lsn first_lsn, last_lsn;
  CommitTime first_time, last_time;
  uint8_t codec;
  std::string raw;  // Decompressed records.
};
BlockEdit DecodeBlockForEdit(const std::string& block);
// Re-encodes: compresses `raw` (zstd, or stored as is if codec == 2), sets
// the sizes from it unless keep_sizes, recomputes the payload and header CRCs.
std::string EncodeBlockFromEdit(const BlockEdit& e, bool keep_sizes = false);
// Rewrites a block header field (u32 at `field_offset` of the 56 bytes, or
// u64 if wide) and fixes the header CRC.
void PatchBlockHeader32(std::string* block, size_t field_offset, uint32_t v);
void PatchBlockHeader64(std::string* block, size_t field_offset, uint64_t v);
// Recomputes the segment header CRC after an edit.
void FixSegmentHeaderCrc(std::string* header);

}  // namespace wayback::reliability

#endif  // WAYBACK_TESTS_RELIABILITY_RELIABILITY_UTIL_H_
