// Copyright 2026 The Wayback Authors.
//
// Snapshots: the state as of one LSN, sorted by key, in checksummed
// compressed blocks with an index by first key and a footer carrying the
// LSN, its commit time, the timeline, the pair count and the state digest.
// The byte format is specified in src/snapshot/snapshot_format.md.
//
// Two format versions are read; the writer writes version 1 unless told
// otherwise (SnapshotWriterOptions::format_version):
//   - version 1: full snapshots only.
//   - version 2: full snapshots and delta snapshots (the keys put or deleted
//     since a base snapshot), a generation, the repository's id, the largest
//     commit time and the source position of the state. A delta is restored
//     through its chain: the full base, then each delta in LSN order
//     (OpenSnapshotChain()). Encryption and the hash chain of version 2 are
//     not implemented: objects using them are refused.
//
// Objects (SnapshotName):
//   snap/TTTTTTTT-LLLLLLLLLLLLLLLL.snap            full, generation 0
//   snap/TTTTTTTT-LLLLLLLLLLLLLLLL-GGGGGGGG.snap   full, generation G >= 1
//   snap/TTTTTTTT-LLLLLLLLLLLLLLLL.delta           delta, generation 0
//   snap/TTTTTTTT-LLLLLLLLLLLLLLLL-GGGGGGGG.delta  delta, generation G >= 1
//   snap/TTTTTTTT-ffffffffffffffff.snap            version fence of timeline T
// (timeline, LSN and generation in lowercase hex), so names sort by timeline,
// then LSN. A snapshot at LSN 0 is the state before any record (only useful
// for tests; the empty state is implicit).

#ifndef WAYBACK_SNAPSHOT_H_
#define WAYBACK_SNAPSHOT_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback {

// What a snapshot is: its kind. Written to disk (version 2 headers and base
// references): frozen; 0 is reserved.
enum class SnapshotKind : uint8_t {
  kFull = 1,   // The whole state as of its LSN.
  kDelta = 2,  // The keys put or deleted between its base's LSN and its own.
};

// The deepest delta chain: a full snapshot has depth 0, a delta over a base
// of depth d has depth d + 1, at most this. Writers and readers refuse
// deeper chains.
inline constexpr uint32_t kMaxSnapshotChainDepth = 64;

// The LSN in the name and header of a snapshot version fence (never a
// snapshot's LSN).
inline constexpr Lsn kSnapshotFenceLsn = ~Lsn{0};

// What a delta names as its base: the object (its name is rebuilt from the
// first four fields by SnapshotObjectName()) and the base state's digest,
// which binds the content (an object of the same timeline, LSN and kind with
// this digest, under another generation, is an acceptable base too).
struct SnapshotBaseRef {
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;
  SnapshotKind kind = SnapshotKind::kFull;
  uint32_t generation = 0;
  StateDigest digest;  // The base state's digest.
};

// What a snapshot's header, footer and index say of it.
struct SnapshotInfo {
  // The object's name.
  std::string name;
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;            // The state includes every record <= lsn.
  CommitTime commit_time = 0;  // Commit time of the record at lsn.
  // Pairs in the state as of lsn and its state digest. For a delta: the
  // state that results from applying the delta to its base (the delta holds
  // only entry_count entries of it; the digest needs the chain to check).
  uint64_t pair_count = 0;
  StateDigest digest;
  uint64_t raw_bytes = 0;  // Sum of the blocks' raw sizes.
  // Bytes of the object (a chain reader: of every member together, which is
  // what a restore through the chain reads).
  uint64_t size = 0;
  uint32_t block_count = 0;

  // The format version, 1 or 2.
  uint32_t format_version = 1;
  // Full or delta (always full in version 1).
  SnapshotKind kind = SnapshotKind::kFull;
  // Generation of the name (0 for version 1 and for the first object of a
  // timeline, LSN and kind).
  uint32_t generation = 0;
  // 0 for a full snapshot; 1 + the base's depth for a delta (<= 64).
  uint32_t chain_depth = 0;
  // The base of a delta; nullopt for a full snapshot.
  std::optional<SnapshotBaseRef> base;
  // Pairs (full: = pair_count) or entries, puts and deletes (delta), stored
  // in the blocks, and how many of those entries are deletes (0 if full).
  uint64_t entry_count = 0;
  uint64_t delete_count = 0;
  // The largest commit time of any record <= lsn on the restore path; equals
  // commit_time when commit times are ordered (always in version 1).
  CommitTime max_commit_time = 0;
  // The source position up to which the state includes the source, if the
  // writer recorded one (never in version 1).
  std::optional<uint64_t> last_source_position;
  // True for a snapshot version fence (an empty version-2 object that keeps
  // version-1 programs from using older snapshots); SnapshotReader::Open()
  // refuses fences, so only internal readers see this set.
  bool fence = false;
};

// A parsed snapshot object name (see the table at the top of this file).
struct SnapshotName {
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;
  SnapshotKind kind = SnapshotKind::kFull;
  uint32_t generation = 0;
  // The version fence's name: full, generation 0, LSN kSnapshotFenceLsn.
  bool fence() const {
    return lsn == kSnapshotFenceLsn && kind == SnapshotKind::kFull &&
           generation == 0;
  }
  friend bool operator==(const SnapshotName&, const SnapshotName&) = default;
};
// The name of a snapshot object. Generation 0 is never written out, so one
// object has one name.
std::string SnapshotObjectName(const SnapshotName& name);
// The name's fields, or nullopt if `name` is not exactly a snapshot name of
// either version (uppercase digits, other widths, timeline 0 or a generation
// 0 written out are not).
std::optional<SnapshotName> ParseSnapshotName(std::string_view name);
// The name of the version fence of `timeline`.
std::string SnapshotFenceName(TimelineId timeline);

// The version-1 form: snap/TTTTTTTT-LLLLLLLLLLLLLLLL.snap, that is a full
// snapshot of generation 0 (or the fence, whose name has this form).
// ParseSnapshotObjectName() accepts only this form: false for a delta or a
// generation >= 1.
std::string SnapshotObjectName(TimelineId timeline, Lsn lsn);
bool ParseSnapshotObjectName(std::string_view name, TimelineId* timeline,
                             Lsn* lsn);

class SnapshotReader;

struct SnapshotWriterOptions {
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  // The format version to write: 1 or 2. Default: 1. Version 2 records the
  // repository's id, so the storage must hold a valid identity object
  // (wayback.repository; kFailedPrecondition otherwise), and the writer
  // creates the timeline's version fence first if it does not exist.
  uint32_t format_version = 1;
  // Version 2 only (kInvalidArgument in version 1 for anything but the
  // defaults):
  // Full or delta. Default: full.
  SnapshotKind kind = SnapshotKind::kFull;
  // The name's generation (0: the first object of this timeline, LSN and
  // kind). Default: 0.
  uint32_t generation = 0;
  // The largest commit time of any record <= lsn. Default (nullopt):
  // commit_time, right when commit times are ordered.
  std::optional<CommitTime> max_commit_time;
  // The source position up to which the state includes the source.
  // Default: none.
  std::optional<uint64_t> last_source_position;
  // A delta's base, required for a delta (and refused for a full snapshot):
  // the base snapshot or a chain ending in it (OpenSnapshotChain()); not
  // owned, used until Finish(). Its lsn must be < lsn, its depth < 64. The
  // writer reads the base from the first entry's key on, to compute the
  // resulting state's digest and to refuse entries that change nothing.
  SnapshotReader* base = nullptr;
  // Default: 3.
  int compression_level = 3;
  // Raw bytes per block. Default: 256 KiB.
  size_t block_size = 256 * 1024;
};

// Streams sorted pairs into a new snapshot object, which appears whole on
// Finish(). Memory use is bounded by one block plus the index. Not
// thread-safe. Destroying an unfinished writer abandons the snapshot.
class SnapshotWriter {
 public:
  static absl::StatusOr<std::unique_ptr<SnapshotWriter>> Create(
      Storage* storage, const SnapshotWriterOptions& options);
  virtual ~SnapshotWriter() = default;
  // Adds a pair (a delta: a put, the key has this value now). Keys must be
  // strictly increasing (bytewise) across Add() and AddDelete():
  // kInvalidArgument otherwise, and for a delta also if the base already
  // holds this pair. A refused call leaves the writer usable.
  virtual absl::Status Add(std::string_view key, std::string_view value) = 0;
  // Adds a delete (the key is absent now) to a delta. kInvalidArgument for a
  // full snapshot, for a key out of order, or a key the base does not hold.
  virtual absl::Status AddDelete(std::string_view key) = 0;
  // Writes the index and footer and publishes the object.
  virtual absl::StatusOr<SnapshotInfo> Finish() = 0;
};

// Iterates a snapshot's pairs in key order, verifying each block.
// Next() returns true with a pair (views valid until the next call), or false
// at the end or on an error; status() tells which.
//
// Iterating a lone delta snapshot yields its entries: after Next() returned
// true, deleted() says whether the entry is a delete (its value is empty)
// rather than a put. Iterators of full snapshots and of chains never yield
// deletes.
class SnapshotIterator {
 public:
  virtual ~SnapshotIterator() = default;
  virtual bool Next(std::string_view* key, std::string_view* value) = 0;
  virtual absl::Status status() const = 0;
  // Whether the entry Next() last returned is a delete (lone deltas only).
  virtual bool deleted() const { return false; }
};

// Reads a snapshot (or, from OpenSnapshotChain(), a chain). Thread-safe
// after Open(): iterators are independent.
class SnapshotReader {
 public:
  // Reads and checks the header, the footer and the index (version 1 or 2;
  // for version 2 also the repository id against the storage's identity
  // object, when it has one). kDataLoss naming the object, the offset and
  // the LSN if they are damaged or the name disagrees with the header;
  // kFailedPrecondition for a version fence (not a snapshot); the storage's
  // own code on an I/O error.
  static absl::StatusOr<std::unique_ptr<SnapshotReader>> Open(
      Storage* storage, std::string_view name);
  virtual ~SnapshotReader() = default;
  virtual const SnapshotInfo& info() const = 0;
  // All pairs in key order. A full iteration of a full snapshot or of a chain
  // recomputes the state digest as it goes and ends with kDataLoss instead
  // of "end" if it differs from the recorded one. (A lone delta's entries,
  // with deleted(), are checked structurally only: its digest needs its
  // chain.)
  virtual std::unique_ptr<SnapshotIterator> NewIterator() = 0;
  // Pairs with begin <= key < end (end empty: no upper bound).
  virtual std::unique_ptr<SnapshotIterator> NewRangeIterator(
      std::string_view begin, std::string_view end) = 0;
  // The value of `key`, or nullopt. Reads one block (a chain: one per member
  // until a member mentions the key, newest first). A lone delta: the value
  // of a put, nullopt for a delete or a key it does not mention.
  virtual absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) = 0;
  // Reads every block, recomputes the digest and count, and compares them with
  // the recorded ones: kDataLoss if they differ. A lone delta: every block,
  // structurally; a chain: every member, and the digests of the merge.
  virtual absl::Status Verify() = 0;
};

// Opens a delta chain as one reader of its newest state. `names`: a full
// snapshot first, then each delta in LSN order, each based on the one
// before it (timeline, LSN and kind of its base reference equal to the
// previous member's, its base digest equal to that member's state digest; the
// generation may differ); at most kMaxSnapshotChainDepth deltas. A single
// name opens that snapshot alone (it must be full).
//
// info() is the newest member's, except `size` and `raw_bytes` (sums over
// the members). Iterators yield the merged state: for each key the newest
// member mentioning it wins, and a delete drops the key. A full iteration
// checks, as it goes, that each delta fits its base (no delete of an absent
// key, no put of the pair the base holds) and every member's digests, and
// ends with kDataLoss naming the first delta that fails. Errors: kDataLoss
// (a member damaged or not the next one's base), kInvalidArgument (no
// names, a delta first, a full snapshot later), I/O errors as such.
absl::StatusOr<std::unique_ptr<SnapshotReader>> OpenSnapshotChain(
    Storage* storage, const std::vector<std::string>& names);

// Writes a snapshot from any source of sorted pairs: `next` stores the next
// pair and returns true, or returns false at the end.
absl::StatusOr<SnapshotInfo> WriteSnapshot(
    Storage* storage, const SnapshotWriterOptions& options,
    const std::function<bool(std::string_view* key, std::string_view* value)>&
        next);

}  // namespace wayback

#endif  // WAYBACK_SNAPSHOT_H_
