// Copyright 2026 The Wayback Authors.
//
// Point-in-time recovery: the catalog of a repository, recovery targets,
// plans, restore and verification. Semantics follow PostgreSQL's
// recovery_target_* settings (see shared/DESIGN.md, "Guarantees").
//
//   auto storage = OpenStorage("/var/lib/app/wayback");
//   auto catalog = Catalog::Open(storage->get());
//   auto plan = PlanRecovery(**catalog, RecoveryTarget::Time(t));
//   auto target = OpenRocksDBTarget(            // wayback/rocksdb.h
//       "/restore/db", RocksDBTargetOptions::ForRestore());
//   auto result = Restore(storage->get(), *plan, target->get(), {});

#ifndef WAYBACK_RECOVERY_H_
#define WAYBACK_RECOVERY_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wayback/log.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback {

// Where replay stops. Exactly one kind per request.
struct RecoveryTarget {
  enum class Kind {
    kTime,  // every transaction with commit_time <= time (< if exclusive)
    kLsn,   // every record with lsn <= lsn (< if exclusive)
    kTxid,  // up to and including the transaction with txid (before it if
            // exclusive)
    kRestorePoint,  // up to and including the named restore point
    kLatest,        // everything in the log
    kSnapshotOnly,  // the newest snapshot alone, no log
  };
  Kind kind = Kind::kLatest;
  CommitTime time = 0;
  Lsn lsn = kNoLsn;
  uint64_t txid = 0;
  std::string restore_point;
  bool inclusive = true;
  TimelineId timeline = kFirstTimeline;

  static RecoveryTarget Time(CommitTime t, bool inclusive = true);
  static RecoveryTarget AtLsn(Lsn lsn, bool inclusive = true);
  static RecoveryTarget Txid(uint64_t txid, bool inclusive = true);
  static RecoveryTarget RestorePoint(std::string name);
  static RecoveryTarget Latest();
  static RecoveryTarget SnapshotOnly();
  // "time 2026-11-25T10:42:00.000001234Z inclusive", "lsn 42 exclusive", ...
  std::string ToString() const;
};

// One commit, as plans and results name it.
struct CommitRef {
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  std::optional<uint64_t> txid;
};

// A contiguous stretch of recoverable history on one timeline: every state
// from earliest_lsn to latest_lsn can be rebuilt exactly. It starts at a
// snapshot or at the empty state (timeline 1, log from LSN 1) and extends as
// far as the log runs without a hole; a snapshot after a hole starts a new
// window.
struct RecoverableWindow {
  TimelineId timeline = kFirstTimeline;
  // The earliest state reachable: a snapshot's LSN, or 0 (the empty state)
  // when the log starts at LSN 1.
  Lsn earliest_lsn = kNoLsn;
  CommitTime earliest_time = 0;  // Commit time at earliest_lsn (0 for empty).
  Lsn latest_lsn = kNoLsn;
  CommitTime latest_time = 0;
};

// Something the catalog noticed. Codes: kFailedPrecondition a hole between
// segments (or a live segment followed by another); kDataLoss an unreadable
// or damaged object, an overlap, or a header contradicting its name;
// kAborted a stray temporary (".tmp"); kAlreadyExists a live segment left
// next to its sealed copy; kOutOfRange a torn tail cut from a live segment
// (tolerated: the replay ends at the last complete block); kInvalidArgument a
// malformed object name.
struct CatalogProblem {
  std::string object;
  std::string message;
  absl::StatusCode code = absl::StatusCode::kDataLoss;
};

// A segment that a replacement segment (generation >= 1, e.g. written by
// CompactRepository) covers: it stays until the replacement is older than
// the grace period, and is not used (segment_format.md, V2.11).
struct SupersededSegment {
  SegmentInfo segment;
  std::string replaced_by;  // The replacement's object name.
};

struct CatalogOptions {
  // Objects listed in an expire intent (include/wayback/expire.h) are about
  // to be deleted, and are normally left out so that no new restore or
  // mirror pass starts using them. True reads them like any other (what
  // retention itself decides on). Default: false.
  bool include_expiring = false;
};

// A repository as its objects describe it (names, headers, footers,
// indexes). Immutable after Open(); thread-safe.
class Catalog {
 public:
  // Lists the repository and reads every segment's and snapshot's header and
  // footer. Damaged objects are recorded in problems(), not fatal; so is a
  // damaged expire intent (whose objects are then used).
  static absl::StatusOr<std::unique_ptr<Catalog>> Open(
      Storage* storage, const CatalogOptions& options = {});
  virtual ~Catalog() = default;

  virtual Storage* storage() const = 0;
  // The segments restores use, sorted by (timeline, first_lsn): where a
  // replacement segment supersedes others (V2.11), the replacement.
  virtual const std::vector<SegmentInfo>& segments() const = 0;
  // Segments present but superseded by one in segments(), sorted by name:
  // information, not problems (they are not in problems()).
  virtual const std::vector<SupersededSegment>& superseded() const = 0;
  // Sorted by (timeline, lsn): full snapshots and the delta snapshots whose
  // whole chain is present (a delta whose base is missing or holds another
  // state is a problem, not listed).
  virtual const std::vector<SnapshotInfo>& snapshots() const = 0;
  // The chain that rebuilds `snapshot` (one of snapshots()): its full base
  // first, then each delta in LSN order, `snapshot` last; just `snapshot`
  // for a full one. Empty if it is not one of this catalog's.
  virtual std::vector<SnapshotInfo> SnapshotChain(
      const SnapshotInfo& snapshot) const = 0;
  virtual const std::vector<RecoverableWindow>& windows() const = 0;
  virtual const std::vector<CatalogProblem>& problems() const = 0;
  // Segments and snapshots left out because an expire intent lists them,
  // sorted (empty with CatalogOptions::include_expiring).
  virtual const std::vector<std::string>& expiring() const = 0;
};

// The resolved instant and the work a restore will do.
struct RecoveryPlan {
  RecoveryTarget target;
  std::string repository;
  // The snapshot loaded first; nullopt means the empty state before LSN 1.
  // For a delta snapshot, its pair_count and digest are the state's.
  std::optional<SnapshotInfo> snapshot;
  // The objects that rebuild it, base first (just `snapshot` if it is a
  // full snapshot; empty without one). The planner picks, among the
  // snapshots the log connects to the stop, the one that reads the fewest
  // bytes: the chain's objects plus the log blocks after it.
  std::vector<SnapshotInfo> snapshot_chain;
  // Records first_lsn..last_lsn are applied (none if last_lsn < first_lsn).
  Lsn first_lsn = kNoLsn;
  Lsn last_lsn = kNoLsn;
  // The last commit included and the first excluded (absent at the ends).
  std::optional<CommitRef> last_included;
  std::optional<CommitRef> first_excluded;
  // Segments read, in order.
  std::vector<SegmentInfo> segments;
  uint64_t bytes_to_read = 0;  // Snapshot plus the blocks of the log read.
  RecoverableWindow window;    // The window the target lies in.
  // Human-readable plan; every instant printed in UTC.
  std::string ToString() const;
};

// Resolves `target` against the catalog and returns the plan, or refuses the
// target before anything is applied.
//
// Resolution (the plan's last_lsn, "the stop"):
//   time T    the last record with commit_time <= T (< T if exclusive); since
//             commit times never decrease, the admitted records are a prefix
//             of the log, however many commits share one timestamp.
//   lsn N     N (N - 1 if exclusive). "lsn 0" is the empty state.
//   txid X    the first transaction (in LSN order) with txid X (the record
//             before it if exclusive).
//   restore point NAME   the first restore point so named (always inclusive).
//   latest    the last record of the timeline.
//   snapshot  the newest snapshot of the timeline, no log.
// The plan loads the newest snapshot at or before the stop that the log
// connects to it (or the empty state), and names last_included /
// first_excluded: the transactions either side of the stop.
//
// What is read: time and LSN targets use the segment and block indexes, then
// read the one block in which the boundary falls (and, only when the stop is
// at a block edge or next to restore points, the neighbouring block) to name
// the exact commits. Txid and restore point targets are not indexed: they read
// the blocks of the timeline's log in order until the record is found, the
// one case in which planning reads record data in bulk.
//
// Refusals (each message states the earliest and latest reachable instants
// and every window of the timeline):
//   kFailedPrecondition  the stop is beyond the end of the log, before the
//                        earliest reachable state, or in (or after) a hole
//                        with no snapshot past it; a time target that would
//                        admit commits later than the window's last known
//                        commit (T > latest_time, or exclusive T >
//                        latest_time + 1) is "beyond the end" too, since later
//                        commits may exist but are not archived.
//   kNotFound            no such txid or restore point in the readable log,
//                        or no snapshot for a snapshot-only target.
//   kInvalidArgument     "lsn 0 exclusive", an exclusive restore point, or
//                        timeline 0.
//   Errors reading the blocks it needs (kDataLoss, kUnavailable, ...) are
//   returned as such.
absl::StatusOr<RecoveryPlan> PlanRecovery(const Catalog& catalog,
                                          const RecoveryTarget& target);

struct RestoreProgress {
  enum class Phase {
    // Loading the snapshot and reading and applying the log.
    kApplying,
    // Every byte is read and applied; the target is writing the state out
    // (StateTarget::Finish(): a staged RocksDB target sorts the state and
    // builds and ingests its SST files, a large part of a restore that the
    // byte counts do not show). Reported once, when it begins.
    kFinishing,
  };
  Phase phase = Phase::kApplying;
  uint64_t bytes_read = 0;
  uint64_t bytes_total = 0;
  uint64_t transactions_applied = 0;
  uint64_t snapshot_pairs_loaded = 0;
};

struct RestoreOptions {
  // Threads that verify, decompress and apply the log (the calling thread
  // among them; a reader thread is added). 0: hardware threads.
  int threads = 0;
  // Restore into a non-empty target (clearing it first).
  bool force = false;
  // Called now and then from the restoring thread.
  std::function<void(const RestoreProgress&)> progress;
  // Bound on the log held in memory ahead of apply: the stored plus the
  // decompressed bytes of the blocks read and not yet applied (one block is
  // always admitted, so a block larger than the bound still makes progress).
  // 0: 64 MiB.
  uint64_t max_bytes_in_flight = 0;
  // Bound on the number of blocks in flight. 0: 8 * threads + 16.
  int max_blocks_in_flight = 0;
};

struct RestoreResult {
  RecoveryPlan plan;
  std::optional<CommitRef> last_applied;
  Lsn first_not_applied = kNoLsn;  // plan.last_lsn + 1
  uint64_t snapshot_pairs = 0;
  uint64_t transactions_applied = 0;
  uint64_t mutations_applied = 0;
  uint64_t raw_bytes_applied = 0;  // Raw log bytes decoded and applied.
  uint64_t bytes_read = 0;
  // The most log bytes (stored + decompressed) held in flight at once; at
  // most max(max_bytes_in_flight, one block).
  uint64_t peak_bytes_in_flight = 0;
  absl::Duration elapsed;
  // Digest of the target after Finish() (absent for callback targets).
  std::optional<StateDigest> digest;
  std::string ToString() const;
};

// Executes `plan` into `target`: loads the snapshot, rolls the log forward
// and stops exactly. kFailedPrecondition if the target is not empty and
// !options.force. Corruption stops the restore with an error naming the
// object, offset and LSN; the target is then left marked incomplete.
//
// The roll-forward is a pipeline: one thread reads blocks ahead of need
// (ranged reads; at most max_blocks_in_flight blocks and max_bytes_in_flight
// bytes in flight), starting while the snapshot loads; options.threads lanes
// (the calling thread among them) verify and decompress blocks and apply
// them. Blocks are admitted in order (LSN continuity, the stop at
// plan.last_lsn), and only whole transactions up to the stop are ever
// applied: in LSN order on the calling thread, or, if target->partitions() >
// 1, each key's mutations to partition PartitionOf(key) in log order (exact,
// as the order per key is kept), one lane at a time per partition. When the
// plan ends at its snapshot, the restored digest is also compared with the
// snapshot's (kDataLoss if they differ).
absl::StatusOr<RestoreResult> Restore(Storage* storage,
                                      const RecoveryPlan& plan,
                                      StateTarget* target,
                                      const RestoreOptions& options = {});

struct VerifyOptions {
  // Also replay each snapshot forward to the next and compare digests.
  bool restore_test = false;
  int threads = 0;
};

struct VerifyReport {
  std::vector<CatalogProblem> problems;  // Every problem, not only the first.
  uint64_t segments_checked = 0;
  uint64_t blocks_checked = 0;
  uint64_t snapshots_checked = 0;
  uint64_t restore_tests = 0;
  bool ok() const { return problems.empty(); }
  std::string ToString() const;
};

// Checks every block and snapshot checksum, LSN continuity, and each
// snapshot's digest. Returns a report listing every problem; an error status
// only when the check itself could not run.
absl::StatusOr<VerifyReport> VerifyRepository(
    Storage* storage, const VerifyOptions& options = {});

// Formats a commit time as RFC 3339 UTC with nanoseconds:
// "2026-11-25T10:42:00.000001234Z".
std::string FormatCommitTime(CommitTime t);
// Parses RFC 3339 with a mandatory offset ("Z" or "+01:00") and up to 9
// fractional digits, or "@<unix-nanoseconds>". kInvalidArgument, showing both
// accepted forms, otherwise.
absl::StatusOr<CommitTime> ParseCommitTime(std::string_view text);

}  // namespace wayback

#endif  // WAYBACK_RECOVERY_H_
