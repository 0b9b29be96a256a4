// Copyright 2026 The Wayback Authors.
//
// Repository: a Storage seen as a Wayback repository. It is the one place
// that knows the repository's layout: which object names are segments, live
// segments, snapshots, the identity object, the writer's lock, temporaries;
// whether a storage already holds a repository; how one object is verified
// through its format; and what the repository can restore (holes, newest
// commit, windows) as typed data. Commands, importers, generators, mirrors
// and benchmarks go through it instead of listing prefixes themselves.
//
//   auto repo = Repository::Open("/var/lib/app/wayback");
//   auto status = (*repo)->Describe();       // holes, newest commit, windows
//   auto mirror = Repository::OpenOrCreateMirror("s3://dr/app", **repo);
//   auto result = MirrorRepository(**repo, (*mirror)->storage());
//
// Layout (the object names are specified with their formats):
//   wayback.repository    the identity object (src/storage/
//                         repository_format.md); written by Create()
//   log/LOCK              the writer's lock (local directories)
//   log/<timeline>-<lsn>.seg / .live    sealed and live segments
//                         (src/log/segment_format.md)
//   snap/<timeline>-<lsn>.snap          snapshots
//                         (src/snapshot/snapshot_format.md)
//   pins/<name>.pin       pins on snapshots (src/repository/pin_format.md)
//   expire/...            expire intents and the expiry horizon
//                         (src/storage/expire_format.md, wayback/expire.h)
//   drills/<time>.json    results of restore drills
//                         (src/repository/drill_format.md)
//   capture/...           a live capture's own state, heartbeat included
//                         (src/repository/heartbeat_format.md)
//   *.tmp                 temporaries of writers that have not closed
//
// Repositories created before the identity object existed hold no
// `wayback.repository`; they open and restore unchanged (identity() is then
// absent), and a mirror of one holds none either.
//
// Thread-safety: a Repository is immutable after it is opened and safe for
// concurrent use; Describe() and VerifyObject() read the storage each time.

#ifndef WAYBACK_REPOSITORY_H_
#define WAYBACK_REPOSITORY_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wayback/clock.h"
#include "wayback/mirror.h"
#include "wayback/recovery.h"
#include "wayback/repository_identity.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback {

// What an object of a repository is, by its name alone.
enum class ObjectKind {
  kSegment,      // A sealed segment: immutable.
  kLiveSegment,  // The live segment: still growing.
  kSnapshot,     // A snapshot: immutable.
  kIdentity,     // The identity object: immutable.
  kLock,         // The writer's lock.
  kTemporary,    // A writer's temporary (".tmp"), not yet published.
  // A capture process's own bookkeeping under capture/ (where it stands in
  // its input, e.g. the file and offset `wayback ingest --follow` tails):
  // rewritten in place, local to the repository, never mirrored. What was
  // archived is decided by the log alone (source positions).
  kCaptureState,
  // A pin (pins/<name>.pin): a named, permanent hold on one snapshot that
  // retention never removes. Immutable; mirrored.
  kPin,
  // Retention's bookkeeping under expire/ (expire intents and the expiry
  // horizon, src/storage/expire_format.md): each repository's own, never
  // mirrored.
  kExpireRecord,
  // A drill record (drills/<time>.json): the outcome of one restore drill
  // (`wayback drill`), so that monitoring can report the last one.
  // Immutable; mirrored.
  kDrill,
  kUnknown,  // Anything else; never written by Wayback.
};

// The parsed name of a repository object.
struct ObjectName {
  ObjectKind kind = ObjectKind::kUnknown;
  // For segments and snapshots: the timeline and the LSN in the name (a
  // segment's first LSN, a snapshot's LSN). Zero otherwise.
  TimelineId timeline = 0;
  Lsn lsn = kNoLsn;
};

// The prefix of capture state objects (ObjectKind::kCaptureState).
inline constexpr std::string_view kCaptureStatePrefix = "capture/";

// Classifies `name` (never fails: a name Wayback does not write is kUnknown).
ObjectName ClassifyObject(std::string_view name);

// True for the kinds that never change once published, and so may be copied
// to a mirror: sealed segments, snapshots, pins, drill records and the
// identity object.
bool IsImmutable(ObjectKind kind);

// "sealed segment", "live segment", "snapshot", ... for messages.
std::string_view ObjectKindName(ObjectKind kind);

struct RepositoryOptions {
  // Settings for s3:// URIs (see storage.h). Default: none beyond the URI
  // and the environment.
  S3Settings s3;
  // Create(): the source recorded in the identity object. Default: empty.
  std::string source;
  // Create(): the clock whose time is recorded as the creation time.
  // Default (null): Clock::Real().
  Clock* clock = nullptr;
};

// A gap in a timeline's log between two segments: LSNs first..last are in
// no segment, so nothing after it can be restored without a later snapshot.
struct LogHole {
  TimelineId timeline = kFirstTimeline;
  Lsn first_missing = kNoLsn;
  Lsn last_missing = kNoLsn;
};

// One commit a repository holds, located.
struct CommitPoint {
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  // The object holding it (a segment or a snapshot).
  std::string object;
  // True if that object is the live segment.
  bool live = false;
};

// What a repository holds and can restore, from its catalog.
struct RepositoryDescription {
  // Every log hole, by (timeline, LSN).
  std::vector<LogHole> holes;
  // The highest (timeline, LSN) any segment or snapshot holds, the live
  // segment included: what a restore with --latest reaches when no hole
  // stands in the way.
  std::optional<CommitPoint> newest_commit;
  // The same among sealed segments and snapshots only (what a mirror can
  // hold, since live segments are not mirrored).
  std::optional<CommitPoint> newest_sealed_commit;
  // The newest instant inside a recoverable window (object left empty).
  std::optional<CommitPoint> newest_restorable;
  // The commit with the latest commit time (ties: the highest LSN); what
  // "how old is my newest data" is measured against.
  std::optional<CommitPoint> latest_commit_time;
  // Sizes and counts. Transactions and mutations are counted in sealed
  // segments only (a live segment's are counted when it is sealed).
  uint64_t segment_count = 0;
  uint64_t live_segment_count = 0;
  uint64_t live_records = 0;
  uint64_t transaction_count = 0;
  uint64_t mutation_count = 0;
  uint64_t segment_bytes = 0;
  uint64_t segment_raw_bytes = 0;
  uint64_t snapshot_bytes = 0;
  // Timelines with at least one segment or snapshot, ascending.
  std::vector<TimelineId> timelines;
};

class Repository {
 public:
  // Opens an existing repository for reading and writing. kNotFound if a
  // local directory does not exist; kInvalidArgument if the storage holds no
  // Wayback objects (neither an identity, nor log/ or snap/ objects); kDataLoss
  // naming the object and offset if the identity object is damaged;
  // kFailedPrecondition if it was written by a newer version of Wayback.
  static absl::StatusOr<std::unique_ptr<Repository>> Open(
      std::string_view uri, const RepositoryOptions& options = {});

  // Creates a new repository: the location must be new, empty, or (for a
  // local directory) hold nothing but empty log/ and snap/ directories.
  // Writes the identity object create-only, so two concurrent creators never
  // both succeed. kFailedPrecondition naming what the location holds
  // otherwise (another repository, or files that are not Wayback's).
  static absl::StatusOr<std::unique_ptr<Repository>> Create(
      std::string_view uri, const RepositoryOptions& options = {});

  // Open() if `uri` holds a repository, Create() if it is new or empty.
  static absl::StatusOr<std::unique_ptr<Repository>> OpenOrCreate(
      std::string_view uri, const RepositoryOptions& options = {});

  // The destination of a mirror of `source`: opened if it is already a
  // mirror of the same repository (same identity, or both without one),
  // created as an empty location otherwise (its identity arrives with the
  // first mirror pass). kFailedPrecondition if it holds another repository
  // (a different identity) or files that are not Wayback's.
  static absl::StatusOr<std::unique_ptr<Repository>> OpenOrCreateMirror(
      std::string_view uri, const Repository& source,
      const RepositoryOptions& options = {});

  // A repository over storage the caller already opened (not owned; it must
  // outlive the Repository). With `create`, as Create(); otherwise as Open().
  static absl::StatusOr<std::unique_ptr<Repository>> Attach(
      Storage* storage, bool create, const RepositoryOptions& options = {});

  // True if `storage` holds any Wayback object (identity, segment, snapshot).
  static absl::StatusOr<bool> Holds(Storage* storage);

  virtual ~Repository() = default;
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  // The storage underneath; owned by the repository unless it was attached.
  virtual Storage* storage() const = 0;
  // The URI it was opened with.
  virtual std::string uri() const = 0;
  // The identity; absent for a repository created before identities existed
  // (and for a mirror that has not received its source's yet).
  virtual const std::optional<RepositoryIdentity>& identity() const = 0;

  // True if any segment or snapshot exists: the repository has a history
  // (a new one holds only its identity).
  virtual absl::StatusOr<bool> HasHistory() const = 0;

  // Reads the catalog (names, headers, footers) afresh.
  virtual absl::StatusOr<std::unique_ptr<Catalog>> ReadCatalog() const = 0;
  // Describes the repository from a fresh catalog, or from `catalog` if
  // given (which must be this repository's).
  virtual absl::StatusOr<RepositoryDescription> Describe(
      const Catalog* catalog = nullptr) const = 0;

  // Verifies one immutable object through its format: for a sealed segment,
  // every block checksum, the LSN sequence and the footer's last LSN; for a
  // snapshot, every block and its digest; for the identity object, its
  // checksum. kDataLoss naming the object (and offset and LSN where the
  // format reader gives them) for damage; I/O errors as the storage gave
  // them; kInvalidArgument for a kind that cannot be verified alone.
  virtual absl::Status VerifyObject(const ObjectInfo& object) const = 0;

 protected:
  Repository() = default;
};

// Describes a catalog (what Repository::Describe() does with its own).
RepositoryDescription DescribeCatalog(const Catalog& catalog);

// How far a mirror is behind its source: what a restore from the mirror would
// lose against one from the source, live segment included.
struct MirrorLag {
  // LSNs the mirror lacks; absent when the newest commits are on different
  // timelines.
  std::optional<uint64_t> lsns;
  // Commit time between the source's newest commit and the mirror's; absent
  // when the mirror holds no commit yet.
  std::optional<absl::Duration> time;
  // True if the mirror holds the source's newest commit.
  bool caught_up() const { return lsns.has_value() && *lsns == 0; }
};

// The lag of a mirror whose newest commit is `mirror` behind a source whose
// newest commit is `source`.
MirrorLag LagBetween(const std::optional<CommitPoint>& source,
                     const std::optional<CommitPoint>& mirror);

struct RepositoryMirrorOptions {
  // Objects copied at once. Default: 4.
  int parallelism = 4;
  // Compare the CRC32C of objects the mirror already holds (reads both in
  // full); otherwise only sizes. Default: false.
  bool verify_existing = false;
  // Report what would be copied; write nothing. Default: false.
  bool dry_run = false;
  // Segments that a replacement segment supersedes in the mirror (after
  // CompactRepository ran at the source) are deleted from the mirror once
  // the mirror's copy of the replacement is this old, as CompactRepository
  // does at the source (include/wayback/compact.h). Default: 1 hour.
  absl::Duration superseded_grace = absl::Hours(1);
};

// What one mirror pass did, and where the mirror stands after it.
struct RepositoryMirrorResult {
  // The copy itself (see mirror.h): copied, already present, conflicts,
  // objects damaged at the source (not copied), vanished, cleaned up.
  MirrorReport report;
  // The source's newest commits, from the catalog read before copying.
  std::optional<CommitPoint> source_newest;
  std::optional<CommitPoint> source_newest_sealed;
  // The mirror's, from its own catalog read after copying.
  std::optional<CommitPoint> mirror_newest;
  std::optional<CommitPoint> mirror_restorable;
  MirrorLag lag;
  // The commit time of the first source record (on the timeline of the
  // source's newest commit) that a restore from the mirror cannot reach, from
  // the source's segment and block indexes (the time of the block holding it
  // when it is not a block's first record: never later than its own); absent
  // when the mirror reaches the source's newest commit. Archiver uses it as
  // the acknowledgement time it lacks (capture.h, "Mirror lag").
  std::optional<CommitTime> first_missing_commit_time;
  // Source objects not mirrored because they can still change (live
  // segments) or are not Wayback's (unknown names; listed so that nothing is
  // skipped silently). Sorted.
  std::vector<std::string> live;
  std::vector<std::string> unknown;
  // Immutable source objects considered, and their bytes.
  uint64_t source_objects = 0;
  uint64_t source_bytes = 0;
  // Segments superseded in the mirror by a replacement it holds: deleted
  // from the mirror (its replacement older than superseded_grace; dry run:
  // would be), and kept for now. Sorted.
  std::vector<std::string> superseded_deleted;
  std::vector<std::string> superseded_waiting;
  // Source objects not copied because the mirror's own expiry removed them
  // (they are expendable under the mirror's expiry horizon, expire.h).
  // Sorted.
  std::vector<std::string> expired_skipped;
};

// One mirror pass from `from` to `to`: copies the immutable objects `to`
// lacks (sealed segments, snapshots, the identity), each verified through its
// format at the source first (damaged ones are not copied and are listed in
// report.rejected), written create-only, read back and compared; never
// overwrites (a differing object is a conflict in report.conflicts); then
// measures the lag from the mirror's own objects. Conflicts and rejections
// are not errors of the call: the caller decides (the CLI exits 1). Errors:
// the first I/O failure, naming the object.
//
// Objects the mirror's own expiry (ExpireRepository on the mirror) made
// expendable are not copied again: see expire.h, "The expiry horizon".
//
// Segments the source's catalog lists as superseded are not copied when the
// mirror already holds their replacement; superseded segments in the mirror
// are deleted there after the grace period (RepositoryMirrorOptions), never
// before the replacement that covers them is in the mirror.
//
// The identity object, when the source has one, is copied first, before any
// segment or snapshot, so that a mirror interrupted at any point already says
// whose mirror it is (Repository::OpenOrCreateMirror checks it).
//
// `to` is the mirror's storage: Repository::OpenOrCreateMirror(...)->storage()
// normally, or any empty storage for a dry run.
absl::StatusOr<RepositoryMirrorResult> MirrorRepository(
    const Repository& from, Storage* to,
    const RepositoryMirrorOptions& options = {});

// A pin: a name that keeps one snapshot (and, for a delta snapshot, the
// chain it needs) for ever, whatever retention says; as Welkin keeps its
// nightly snapshots. Stored as pins/<name>.pin (src/repository/
// pin_format.md), written create-only and mirrored like snapshots. A pin
// names its snapshot by object name, LSN and digest: a pin whose snapshot is
// gone, or holds another state, is reported, never silently dropped.
struct SnapshotPin {
  std::string name;      // [A-Za-z0-9._-], 1..100 characters.
  std::string snapshot;  // The snapshot's object name.
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  StateDigest digest;
  absl::Time created;
  std::string note;  // Free text ("monthly audit hold", a ticket number).
};

// kInvalidArgument naming the problem if `name` is not a valid pin name.
absl::Status CheckPinName(std::string_view name);
// The object name of pin `name`: "pins/<name>.pin".
std::string PinObjectName(std::string_view name);

// Pins `snapshot` under `name` (create-only). kInvalidArgument for a bad
// name; kAlreadyExists naming the snapshot the existing pin holds if `name`
// is taken (pins are never moved: remove it first).
absl::StatusOr<SnapshotPin> PinSnapshot(const Repository& repository,
                                        std::string_view name,
                                        const SnapshotInfo& snapshot,
                                        std::string_view note = "");
// Every pin, sorted by name. kDataLoss naming the object for a damaged pin.
absl::StatusOr<std::vector<SnapshotPin>> ListPins(const Repository& repository);
// Removes pin `name` (the snapshot itself stays until retention removes it).
// kNotFound if there is no such pin.
absl::Status RemovePin(const Repository& repository, std::string_view name);

// Snapshots made from the repository itself, for archives fed by `wayback
// ingest` or another capture with no application at hand to hand over its
// state.
struct BuildSnapshotOptions {
  // The state to snapshot: any target PlanRecovery() resolves (the snapshot
  // is at the plan's last LSN). Default: the latest state.
  RecoveryTarget target = RecoveryTarget::Latest();
  // Threads of the log replay (as RestoreOptions::threads). 0: hardware.
  int threads = 0;
  // Raw bytes per block of the new snapshot. 0: the writer's default.
  size_t block_size = 0;
  // What to write. kFull: the whole state, built from whichever snapshot
  // chain and log the planner finds cheapest to read. kDelta: only the keys
  // changed and removed since the newest snapshot at or before the target
  // (snapshot format v2; needs that snapshot and the repository's identity
  // object); the new delta extends that snapshot's chain. kAuto: built from
  // the newest snapshot as kDelta is; a
  // delta when one is possible, the chain stays within max_chain_depth and
  // the chain's entries (every member's, the new delta's changed keys
  // included) stay within twice the pairs of the state it starts from, so
  // that a restore through it reads at most about twice what one full
  // snapshot holds; a full snapshot otherwise. Default: kFull.
  enum class Kind { kFull, kDelta, kAuto };
  Kind kind = Kind::kFull;
  // kAuto: the deepest chain it makes (a full snapshot then this many
  // deltas). Default: 6.
  int max_chain_depth = 6;
  // If set and true, the build stops at its next check (after the log
  // replay, and every few thousand pairs of the merge) with kCancelled,
  // publishing nothing.
  const std::atomic<bool>* cancel = nullptr;
};

struct BuildSnapshotResult {
  // The new snapshot, or the one that already stood at that LSN.
  SnapshotInfo snapshot;
  // False if a snapshot of the same timeline and LSN already existed
  // (nothing was written).
  bool created = false;
  // The snapshot chain the new one was built from, base first (empty: from
  // the empty state). A new delta snapshot needs all of it.
  std::vector<std::string> base;
  uint64_t log_records = 0;   // Records replayed from the log.
  uint64_t changed_keys = 0;  // Keys they put or removed (held in memory).
  // Temporaries of earlier builds that were killed, removed first.
  std::vector<std::string> removed_temporaries;
  absl::Duration elapsed;
  std::string ToString() const;
};

// Builds a snapshot of the state at `options.target` from the repository:
// the newest snapshot the plan starts from (or the empty state), then the
// log up to the target, replayed through the restore path. Memory: the keys
// the replayed stretch of log changes, with their final values (never the
// whole state); the base is streamed. The snapshot is written create-only,
// read back, verified (every block and the digest) and compared with the
// digest the base and the log give; one that fails is removed and the call
// returns kDataLoss naming it. A crash leaves at most a temporary object: the
// next build removes the snapshot temporaries no live writer holds
// (Storage::RemoveStaleTemporaries) and builds the snapshot again. Safe while a
// writer appends: the plan fixes the LSN.
//
// Errors: the planner's refusals (see PlanRecovery); kFailedPrecondition for
// the empty state (lsn 0); damage met while reading, naming the object,
// offset and LSN.
absl::StatusOr<BuildSnapshotResult> BuildSnapshot(
    const Repository& repository, const BuildSnapshotOptions& options = {});

// Opens the snapshot object `name` as the state it records: a full snapshot
// alone, a delta with the whole chain the catalog resolves for it (its full
// base first). A full iteration or Verify() of the reader checks every
// member and each step's digest (OpenSnapshotChain()).
//
// Errors: kNotFound if `name` is not one of the catalog's snapshots, with
// the catalog's problem for it when there is one (a missing base, a base
// holding another state); errors of reading the catalog or the members.
absl::StatusOr<std::unique_ptr<SnapshotReader>> OpenSnapshotState(
    const Repository& repository, std::string_view name);
// The heartbeat of a live capture (`wayback ingest`, `wayback capture`):
// capture/heartbeat.json (src/repository/heartbeat_format.md), rewritten by
// the capture every few seconds while it runs, whether or not its source
// has anything to archive. It is how a reader on another machine tells an
// idle source (heartbeat recent, commits old) from a dead capture (both
// old). Capture state (ObjectKind::kCaptureState): local, never mirrored.
inline constexpr std::string_view kHeartbeatObjectName =
    "capture/heartbeat.json";

struct CaptureHeartbeat {
  // When the capture wrote it, by the capture's clock. It says the capture
  // was running then: reading its source and committing what arrived (a
  // capture that cannot commit, e.g. on a full disk, stops and its heartbeat
  // with it). It does not prove that the source had nothing more to give.
  absl::Time time;
  std::string writer;  // The command: "ingest", "capture postgres".
  int64_t pid = 0;
  std::string host;  // gethostname() of the capture's machine.
  // The newest LSN durable in the log then; kNoLsn if none yet.
  Lsn last_durable_lsn = kNoLsn;
};

// Replaces the heartbeat of `repository`, which must be a local directory
// (kFailedPrecondition otherwise: live captures append only to local
// directories): written to a temporary, renamed over the old one, so
// readers see one or the other whole. Not synced (a lost heartbeat only
// makes a capture look older).
absl::Status WriteHeartbeat(const Repository& repository,
                            const CaptureHeartbeat& heartbeat);
// The heartbeat, or nullopt if the repository holds none (no live capture
// ever wrote one, or a mirror). kDataLoss naming the object if damaged.
absl::StatusOr<std::optional<CaptureHeartbeat>> ReadHeartbeat(
    const Repository& repository);

// The record a restore drill leaves in the repository: drills/<time>.json
// (src/repository/drill_format.md), written create-only once the drill has
// finished, and mirrored. The full evidence (every instant, the HTML page)
// is in the drill's report directory; the record carries what monitoring
// needs: when, whether it passed, and the worst figures.
struct DrillRecord {
  absl::Time started;  // The drill's start; also names the object.
  absl::Duration elapsed;
  bool passed = false;    // Every restore exact and every objective met.
  uint64_t restores = 0;  // Instants drilled (the latest included).
  uint64_t failed = 0;    // Restores that failed a check.
  // The slowest restore and the objectives (zero: none was given).
  absl::Duration slowest_restore;
  absl::Duration rto;
  absl::Duration rpo;
  // The recovery point reached at the drill: its start minus the newest
  // instant it could restore (see docs/drill.md).
  absl::Duration achieved_rpo;
  std::string repository;    // The URI drilled.
  std::string tool_version;  // The `wayback` that ran it.
  std::string summary;       // One line for people ("6 of 6 restores ...").
};

// "drills/<UTC start, YYYYMMDDTHHMMSS.mmmZ>.json": sorts by time.
std::string DrillObjectName(absl::Time started);
// Writes `record` under DrillObjectName(record.started), create-only
// (kAlreadyExists if a drill started in the same millisecond).
absl::Status RecordDrill(const Repository& repository,
                         const DrillRecord& record);
// Every drill record, oldest first. kDataLoss naming the object for a damaged
// one.
absl::StatusOr<std::vector<DrillRecord>> ListDrills(
    const Repository& repository);

}  // namespace wayback

#endif  // WAYBACK_REPOSITORY_H_
