// Copyright 2026 The Wayback Authors.
//
// The event log: LogWriter appends committed transactions and restore points
// to segments in a Storage; LogReader iterates them back, verifying every
// block. The byte format is specified in src/log/segment_format.md.
//
// Objects (names sort in LSN order and carry the timeline; hex, zero-padded):
//   log/TTTTTTTT-LLLLLLLLLLLLLLLL.seg    a sealed segment (immutable, footer)
//   log/TTTTTTTT-LLLLLLLLLLLLLLLL.live   the live (unsealed) segment
//   log/TTTTTTTT-LLLLLLLLLLLLLLLL-GGGGGGGG.seg
//                                        a replacement segment (generation
//                                        G >= 1, e.g. written by compaction)
// where T is the timeline and L the first LSN of the segment. Where a
// replacement and the segments it replaces are both present, every reader
// uses the replacement (segment_format.md, V2.11: the overlap rule).

#ifndef WAYBACK_LOG_H_
#define WAYBACK_LOG_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wayback/clock.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback {

// When LogWriter::Append() returns.
enum class Durability {
  // Returns once the record is in the writer's buffer. A crash may lose it.
  // Use case: bulk imports that can be redone.
  kBuffered,
  // Returns once the record is durable (fdatasync). Concurrent committers
  // share one sync (group commit). Use case: the production write path.
  kSync,
};

struct LogWriterOptions {
  // Default: kSync.
  Durability durability = Durability::kSync;
  // The segment format version written: 1, or 2 (src/log/segment_format.md,
  // "Version 2"), which stores source positions and the repository's id and
  // so needs the repository identity object (wayback.repository) in the
  // storage. Reading handles both whatever this says. A version 2 writer
  // that finds a version 1 live segment seals it and starts a version 2
  // segment (no segment mixes versions); a version 1 writer refuses a log
  // whose newest segment is version 2. Default: 1.
  uint32_t format_version = 1;
  // The timeline written. Default: 1.
  TimelineId timeline = kFirstTimeline;
  // zstd level for blocks. Default: 3.
  int compression_level = 3;
  // A block is cut when its raw (uncompressed) records reach this size, and at
  // every group commit in kSync mode. Default: 64 KiB.
  size_t block_size = 64 * 1024;
  // The live segment is sealed and a new one started when it reaches this
  // many bytes ... Default: 64 MiB.
  uint64_t segment_max_bytes = 64ull << 20;
  // ... or when its first record is this old (this bounds the RPO of archived
  // copies). Checked on every append and by the background timer. Default: 60
  // s.
  absl::Duration segment_max_age = absl::Seconds(60);
  // Source of commit times and segment ages. Default (null): Clock::Real().
  Clock* clock = nullptr;
  // Called (from the writer's thread) after a segment is sealed and published
  // under its final name. Used by mirroring.
  std::function<void(const std::string& object_name)> on_segment_sealed;
};

// What LogWriter::Open() found in the log.
struct LogOpenReport {
  // The last LSN in the log when opened (0 for an empty log).
  Lsn last_lsn = kNoLsn;
  CommitTime last_commit_time = 0;
  // The source position of the last record of the timeline that carries one
  // (segment format v2, "Source positions and exactly-once resume"), found
  // from footers and block headers without decoding records. Absent when no
  // record of the timeline carries one.
  std::optional<uint64_t> last_source_position;
  // A torn tail cut from the newest unsealed segment: its name, the offset of
  // the cut, and the bytes removed. Empty name if nothing was cut.
  std::string torn_object;
  uint64_t torn_offset = 0;
  uint64_t torn_bytes = 0;
};

// Appends to the log of one timeline. Thread-safe: any number of threads may
// call Append() concurrently; LSNs are assigned in the order the writer
// serialises them. After any I/O error the writer stops: every later call
// fails with kFailedPrecondition naming the first error, and nothing more is
// acknowledged, until the log is reopened.
class LogWriter {
 public:
  // Opens (or creates) the log in `storage` (not owned; must outlive the
  // writer), which needs the `append` capability. Takes the log's lock: a
  // second writer gets kFailedPrecondition. After a crash, keeps every complete
  // block of the newest unsealed segment, cuts the torn tail (see report()),
  // and continues the LSN sequence, and finds the last source position of the
  // timeline from footers and block headers (open_report()).
  // kFailedPrecondition also when format_version is 2 and the storage has no
  // valid identity object (naming the storage), or when the log's newest
  // segment is of a newer version than format_version; kInvalidArgument for
  // an unknown format_version; kDataLoss for damage, including a v2 segment
  // of another repository. Replacement segments (generation >= 1) take the
  // place of the segments they replace (the overlap rule, V2.11).
  static absl::StatusOr<std::unique_ptr<LogWriter>> Open(
      Storage* storage, const LogWriterOptions& options);

  virtual ~LogWriter() = default;

  // Appends a transaction and returns its LSN once it is as durable as
  // options.durability says. kInvalidArgument if its commit_time precedes the
  // previous record's, it has a mutation with an invalid type, or it carries a
  // source_position that is not greater than every earlier one in the log (or
  // any source_position while format_version is 1).
  virtual absl::StatusOr<Lsn> Append(const Transaction& txn) = 0;
  // Appends a transaction without waiting for it: the same checks as
  // Append(), and the LSN is returned as soon as the record is serialised.
  // `done` is called once the record is durable (fdatasync), with its LSN,
  // or, if the writer stops before that, with the error; in kBuffered mode
  // too (the writer syncs for it). Callbacks run on one flusher thread of
  // the writer (started by the first AppendAsync), in LSN order, with no
  // lock of the writer held; a callback must not call Close(). Durability is
  // group-committed with every other committer. Close() makes every accepted
  // append durable and calls every pending callback before it returns. So
  // one producer thread can keep thousands of commits in flight without a
  // thread per committer.
  virtual absl::StatusOr<Lsn> AppendAsync(
      const Transaction& txn,
      std::function<void(absl::StatusOr<Lsn>)> done) = 0;
  // Appends a restore point marker named `name` (non-empty, at most 1024
  // bytes). Its commit time and source position follow the same rules as a
  // transaction's.
  virtual absl::StatusOr<Lsn> AppendRestorePoint(
      std::string_view name, std::optional<CommitTime> commit_time = {},
      std::optional<uint64_t> source_position = {}) = 0;
  // Makes every appended record durable (even in kBuffered mode).
  virtual absl::Status Sync() = 0;
  // Seals the live segment now (if it holds records) and starts a new one on
  // the next append.
  virtual absl::Status Roll() = 0;
  // Syncs and seals the live segment, and releases the lock. Further calls
  // fail. The destructor calls Close() if it was not called.
  virtual absl::Status Close() = 0;

  // The last LSN assigned (0 before the first record).
  virtual Lsn last_lsn() const = 0;
  // The last LSN known durable.
  virtual Lsn durable_lsn() const = 0;
  // The source position of the last record appended (or found on open) that
  // carries one.
  virtual std::optional<uint64_t> last_source_position() const = 0;
  virtual const LogOpenReport& open_report() const = 0;
};

// One block of a segment, as its index describes it.
struct BlockInfo {
  // The segment format version of the segment holding the block (1 or 2):
  // it decides the block header's layout and size.
  uint32_t format_version = 1;
  uint64_t offset = 0;  // Of the block header, from the start of the object.
  uint32_t stored_size = 0;  // Header + compressed payload.
  uint32_t raw_size = 0;     // Uncompressed records.
  Lsn first_lsn = kNoLsn;
  Lsn last_lsn = kNoLsn;
  CommitTime first_commit_time = 0;
  CommitTime last_commit_time = 0;
  // The smallest and largest commit time of the block's records (version 1:
  // the first and the last).
  CommitTime min_commit_time = 0;
  CommitTime max_commit_time = 0;
  uint32_t record_count = 0;
  // The source position of the block's last record that carries one; absent
  // when none does (always in version 1).
  std::optional<uint64_t> last_source_position;
};

// What a segment's header and footer (or, for a live segment, a scan of its
// block headers) say of it.
struct SegmentInfo {
  std::string name;
  // The segment format version of the object's header (1 or 2).
  uint32_t format_version = 1;
  TimelineId timeline = kFirstTimeline;
  // 0 for what a LogWriter writes; >= 1 for a replacement segment, which
  // holds exactly the records of the lower-generation segments whose LSN
  // ranges it covers (segment_format.md, V2.2 and V2.11).
  uint32_t generation = 0;
  Lsn first_lsn = kNoLsn;
  Lsn last_lsn = kNoLsn;  // first_lsn - 1 for an empty live segment.
  CommitTime first_commit_time = 0;
  CommitTime last_commit_time = 0;
  // The smallest and largest commit time of any record (version 1: the first
  // and the last).
  CommitTime min_commit_time = 0;
  CommitTime max_commit_time = 0;
  // The source positions of the first and last records that carry one
  // (version 2); absent when no record does. A live segment's first position
  // is known only once its blocks are decoded (LogWriter::Open() does; a walk
  // of the block headers leaves it absent), its last one from the block
  // headers.
  std::optional<uint64_t> first_source_position;
  std::optional<uint64_t> last_source_position;
  // Records (transactions and restore points), from the footer or the
  // block headers.
  uint64_t record_count = 0;
  // From the footer: 0 for a live segment (counting them would mean
  // decompressing its blocks; they are counted when it is sealed).
  uint64_t transaction_count = 0;
  uint64_t mutation_count = 0;
  uint64_t raw_bytes = 0;  // Sum of the blocks' raw sizes.
  uint64_t size = 0;       // Bytes of the object.
  bool sealed = false;
  // Bytes after the last complete block of a live segment (a torn tail).
  uint64_t torn_bytes = 0;
  std::vector<BlockInfo> blocks;
};

// Reads a segment's header and index. For a sealed segment this reads the
// header and the footer only; for a live one it walks the block headers.
// kDataLoss naming the object and offset on any inconsistency.
absl::StatusOr<SegmentInfo> ReadSegmentInfo(Storage* storage,
                                            std::string_view name);

// Names of segment objects (see the top of this file).
std::string SegmentObjectName(TimelineId timeline, Lsn first_lsn, bool sealed);
// The name of a sealed replacement segment of `generation` (>= 1):
// log/TTTTTTTT-LLLLLLLLLLLLLLLL-GGGGGGGG.seg.
std::string ReplacementSegmentObjectName(TimelineId timeline, Lsn first_lsn,
                                         uint32_t generation);
// Parses a generation-0 segment object name (.seg or .live). False if `name`
// is not one (a replacement's name included).
bool ParseSegmentObjectName(std::string_view name, TimelineId* timeline,
                            Lsn* first_lsn, bool* sealed);
// Parses any segment object name, generation 0 or a replacement's (which is
// always sealed). False if `name` is not one.
bool ParseSegmentObjectName(std::string_view name, TimelineId* timeline,
                            Lsn* first_lsn, bool* sealed, uint32_t* generation);

// A record of the log found by its source position (FindBySourcePosition).
struct ArchivedRecord {
  Lsn lsn = kNoLsn;
  RecordType type = RecordType::kTransaction;
  // The record as archived: commit_time and source_position always; txid and
  // mutations for a transaction (a restore point has none).
  Transaction transaction;
  std::string restore_point_name;  // kRestorePoint only.
};

// Finds the record of timeline `timeline` archived at source position
// `position` (segment format v2, V2.8), for a capture process that must
// compare a transaction its source resent with what was archived. Reads the
// segment footers (and the live segment's block headers) to choose a
// segment, its index to choose a block, and then that one block: O(log n)
// footer reads, never a scan of the log.
//
// Outcomes:
//   - the record: a transaction or restore point with exactly that position;
//   - nullopt: no record of the timeline carries it (never archived, or
//     between two archived positions, or the log holds no positions at all);
//   - kDataLoss naming object and offset: a segment or block on the way is
//     damaged (including a v2 segment of another repository, when the
//     storage holds a readable identity object);
//   - an I/O error of the storage, as such.
// Thread-safety: any number of calls may run concurrently, also beside a
// LogWriter appending to the same timeline (a block being written may be
// reported as a torn tail and ignored: its records are not acknowledged).
absl::StatusOr<std::optional<ArchivedRecord>> FindBySourcePosition(
    Storage* storage, TimelineId timeline, uint64_t position);

struct LogReaderOptions {
  TimelineId timeline = kFirstTimeline;
  // Start at this LSN (the first record returned has lsn >= start_lsn) ...
  Lsn start_lsn = 1;
  // ... or, if set, at the first record with commit_time >= start_time.
  std::optional<CommitTime> start_time;
  // Stop after this LSN (inclusive). Default: the end of the log.
  Lsn stop_lsn = UINT64_MAX;
  // Treat a torn tail of the newest live segment as the end of the log
  // (reported by torn_tail()). If false, a torn tail is kDataLoss.
  bool allow_torn_tail = true;
};

// Iterates the records of one timeline in LSN order, across segments, seeking
// with the sealed segments' block indexes.
//
// States and outcomes of Next():
//   - a record: returns a pointer to it, valid until the next call;
//   - the end of the log: returns nullptr; torn_tail() says whether a torn
//     tail of the live segment was cut there;
//   - damage (bad checksum or length, an LSN hole, a missing segment, a commit
//     time going backwards, a segment from another timeline): returns
//     kDataLoss or kFailedPrecondition naming the object, the byte offset and
//     the LSN. The error is sticky. An I/O error is returned as such, never as
//     the end of the log.
class LogReader {
 public:
  // `storage` is not owned and must outlive the reader.
  static absl::StatusOr<std::unique_ptr<LogReader>> Open(
      Storage* storage, const LogReaderOptions& options);
  virtual ~LogReader() = default;

  virtual absl::StatusOr<const LogRecord*> Next() = 0;

  struct TornTail {
    std::string object;
    uint64_t offset = 0;
    uint64_t bytes = 0;
  };
  // Set once Next() returned nullptr because of a torn tail.
  virtual std::optional<TornTail> torn_tail() const = 0;
};

}  // namespace wayback

#endif  // WAYBACK_LOG_H_
