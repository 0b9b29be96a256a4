// Copyright 2026 The Wayback Authors.
//
// The capture layer: taking committed changes from a source as they happen
// and archiving them, exactly once, into a repository (Ingester), and
// shipping what is archived to mirrors within seconds (Archiver).
//
//   auto repo = Repository::Open("/var/lib/wayback/ehr");
//   auto ingester = Ingester::Open(repo->get(), {});
//   // Resume: the source replays from its own checkpoint; events at or below
//   // (*ingester)->durable_position() are recognised as duplicates.
//   for (CaptureEvent& e : events_from_source) {
//     auto outcome = (*ingester)->Offer(std::move(e));  // buffered
//     if (batch_done) {
//       auto ack = (*ingester)->Commit();             // one fdatasync
//       if (ack.ok() && *ack) tell_source((*ack)->source_position);
//     }
//   }
//
// Exactly once. Every archived record carries its source position (segment
// format version 2); positions are strictly increasing along the log. On
// open, the ingester reads the last position the log holds durably
// (LogOpenReport::last_source_position); a source restarted from any earlier
// checkpoint offers events it already archived, and each of them is compared
// with the archived record at its position (an identical event is skipped, a
// different one is an error naming both), so a crash at any instant loses
// nothing acknowledged and duplicates nothing.
//
// Thread-safety: one thread drives an Ingester (Offer, Commit, Close). An
// Archiver runs its own thread; its methods may be called from any thread.

#ifndef WAYBACK_CAPTURE_H_
#define WAYBACK_CAPTURE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/repository.h"
#include "wayback/types.h"

namespace wayback {

// One committed change of a source: a transaction or a restore point, at a
// position of the source.
struct CaptureEvent {
  enum class Kind { kTransaction, kRestorePoint };
  Kind kind = Kind::kTransaction;
  // The position in the source: strictly increasing from one event to the
  // next (a JSONL line's "pos" or txid, a PostgreSQL commit's end LSN).
  uint64_t position = 0;
  // kTransaction: the transaction (its source_position is ignored: the
  // ingester stores `position`). Its commit_time, when absent, is assigned by
  // the log writer's clock.
  Transaction txn;
  // kRestorePoint: the name, and the time (absent: the writer's clock).
  std::string restore_point;
  std::optional<CommitTime> restore_point_time;
};

// What an Ingester says once events are durable: the newest durable record.
struct CaptureAck {
  Lsn lsn = kNoLsn;
  uint64_t source_position = 0;
  std::optional<uint64_t> txid;  // Of a transaction; absent otherwise.
  CommitTime commit_time = 0;
  // When it became durable (the ingester's wall clock).
  absl::Time acknowledged_at;
};

struct IngesterOptions {
  // The timeline appended to. Default: 1.
  TimelineId timeline = kFirstTimeline;
  // Log writer settings (see LogWriterOptions). Defaults: level 3, 64 MiB
  // segments sealed after 60 s at the latest.
  int compression_level = 3;
  uint64_t segment_max_bytes = 64ull << 20;
  absl::Duration segment_max_age = absl::Seconds(60);
  // Commit times and segment ages. Default (null): Clock::Real().
  Clock* clock = nullptr;
  // Called from the log writer's thread after a segment is sealed and
  // published (the Archiver's cue).
  std::function<void(const std::string& object_name)> on_segment_sealed;
};

// Counters of one Ingester since it was opened.
struct IngesterStats {
  uint64_t appended = 0;  // Events appended (transactions + restore points).
  uint64_t duplicates =
      0;                 // Events at or below the archived position, skipped.
  uint64_t commits = 0;  // Commit() calls that made something durable.
  uint64_t mutations = 0;
};

// Outcome of Ingester::Offer().
enum class OfferOutcome {
  kAppended,   // Appended; durable after the next Commit().
  kDuplicate,  // Already archived, identical: skipped.
};

// Appends a source's events to a repository's log with exactly-once resume
// (see the top of this file). The repository's storage must be able to
// append and lock (a local directory); object stores receive the log through
// an Archiver.
class Ingester {
 public:
  // Opens the log of `repository` (not owned; must outlive the ingester)
  // for appending in segment format version 2. kFailedPrecondition if the
  // repository has no identity object (format 2 records it in every segment),
  // if its storage cannot append, or if another writer holds the log's lock.
  static absl::StatusOr<std::unique_ptr<Ingester>> Open(
      Repository* repository, const IngesterOptions& options = {});

  virtual ~Ingester() = default;

  // The newest source position durable in the log (found on open, then
  // advanced by Commit()); absent while the log holds no position.
  virtual std::optional<uint64_t> durable_position() const = 0;
  // The acknowledgement for the newest durable record: on open, the one the
  // log already holds (absent for an empty log).
  virtual std::optional<CaptureAck> last_ack() const = 0;

  // Offers one event. A position at or below durable_position() is a resent
  // duplicate: it is compared with the archived record at that position
  // (kind, commit time, txid, mutations or restore point name); identical:
  // kDuplicate; different, or no record archived there:
  // kFailedPrecondition naming the position, the LSN and what differs.
  // Otherwise the position must exceed the previous offered one
  // (kInvalidArgument naming both) and the event is appended, buffered:
  // kAppended. Nothing of a refused event is appended. Takes the event by
  // value: move it in (its mutations are appended without a copy).
  virtual absl::StatusOr<OfferOutcome> Offer(CaptureEvent event) = 0;

  // Makes every appended event durable (one fdatasync for all of them) and
  // returns the acknowledgement of the newest; absent if nothing was appended
  // since the last Commit().
  virtual absl::StatusOr<std::optional<CaptureAck>> Commit() = 0;

  // Seals the live segment now (if it holds records), so that an Archiver
  // can ship it.
  virtual absl::Status Roll() = 0;

  // Commits, seals the live segment and releases the log. Later calls fail.
  virtual absl::Status Close() = 0;

  virtual IngesterStats stats() const = 0;
  virtual const LogOpenReport& open_report() const = 0;
};

// --- The archiver ---

struct ArchiverOptions {
  // A pass runs when a segment is sealed (Archiver::Wake) and at least this
  // often otherwise, and a failed pass is retried after it. Default: 1 s.
  absl::Duration interval = absl::Seconds(1);
  // Settings of each mirror pass (parallelism, ...).
  RepositoryMirrorOptions mirror;
};

// Where one mirror stands.
struct ArchiverMirrorState {
  std::string uri;
  // The newest commit a restore from the mirror reaches, from the mirror's
  // own catalog after the last successful pass.
  std::optional<CommitPoint> mirrored;
  // The lag (see Archiver::Lag): zero when the mirror holds everything
  // acknowledged.
  absl::Duration lag = absl::ZeroDuration();
  uint64_t passes = 0;
  uint64_t failed_passes = 0;
  uint64_t copied_objects = 0;
  uint64_t copied_bytes = 0;
  // The wall time of the last successful pass, and the last error (OK after
  // a successful pass). A mirror that is down does not stop anything: its
  // passes fail and are retried, and its lag grows.
  std::optional<absl::Time> last_success;
  absl::Status last_error;
  // Objects the last pass found damaged at the source or in conflict at the
  // mirror (not copied); non-empty means a human must look.
  std::vector<std::string> problems;
};

// Ships a repository's sealed segments and snapshots to mirrors as they
// appear, with the verified, create-only pass of MirrorRepository(), on its
// own thread.
//
// Mirror lag, the one definition used by every report: at instant t, t minus
// the acknowledgement time of the oldest transaction acknowledged at the
// source and not yet held by the mirror; zero when the mirror holds every
// acknowledged one. The ingester tells the archiver what it acknowledged
// (Acknowledged()); without such reports (wayback mirror --follow, a process
// of its own) the commit time of that oldest missing record stands in for
// its acknowledgement time, which can only overstate the lag (a transaction
// is acknowledged after its commit).
// A mirror of an Archiver: opened already, or opened by the archiver's
// thread when it can (a mirror that is unreachable when the archiver starts
// is retried like a failed pass).
struct ArchiverMirror {
  std::string uri;
  std::unique_ptr<Repository> repository;  // Null: call `open` first.
  std::function<absl::StatusOr<std::unique_ptr<Repository>>()> open;
};

class Archiver {
 public:
  // Starts the archiver thread for `source` (not owned; must outlive the
  // archiver) and the mirrors (opened with Repository::OpenOrCreateMirror).
  // The first pass runs at once.
  static absl::StatusOr<std::unique_ptr<Archiver>> Start(
      const Repository* source,
      std::vector<std::unique_ptr<Repository>> mirrors,
      const ArchiverOptions& options = {});
  static absl::StatusOr<std::unique_ptr<Archiver>> Start(
      const Repository* source, std::vector<ArchiverMirror> mirrors,
      const ArchiverOptions& options = {});

  // Stops the thread (Stop()).
  virtual ~Archiver() = default;

  // Asks for a pass soon (a segment was sealed).
  virtual void Wake() = 0;
  // Records that every record up to `lsn` was acknowledged at `at`.
  virtual void Acknowledged(Lsn lsn, absl::Time at) = 0;
  // The state of each mirror, in the order given, with the lag at `now`.
  virtual std::vector<ArchiverMirrorState> States(absl::Time now) const = 0;
  // Runs one last pass for every mirror (if `final_pass`) and stops the
  // thread. Returns the first error of that last pass.
  virtual absl::Status Stop(bool final_pass) = 0;
};

// When a capture takes a snapshot in the background (BuildSnapshot() from
// the repository itself), so that a restore never replays more than about
// one period of log. A snapshot is due when any bound is reached, counted
// from the newest snapshot of the timeline (or from the start of the log):
struct SnapshotSchedule {
  // Commit time between the newest snapshot and the newest acknowledged
  // commit. Default: none.
  std::optional<absl::Duration> every;
  // Transactions (LSNs) acknowledged since the newest snapshot. 0: none.
  uint64_t every_transactions = 0;
  // Bytes of source input acknowledged since the last snapshot of this run
  // (the capture says how many with each acknowledgement; `wayback ingest`
  // counts its input lines). 0: none.
  uint64_t every_bytes = 0;
  // What each build writes (BuildSnapshotOptions::kind). Default: kAuto, a
  // delta over the newest chain while the chain stays within 6 deltas and
  // twice the state's pairs, otherwise a full snapshot: a restore then reads
  // one full snapshot, at most 6 deltas and one period of log, and each
  // build writes only what changed (pgBackRest's full + incremental
  // schedule, made by one setting).
  BuildSnapshotOptions::Kind kind = BuildSnapshotOptions::Kind::kAuto;
  bool enabled() const {
    return every.has_value() || every_transactions > 0 || every_bytes > 0;
  }
};

// Where background snapshotting stands.
struct SnapshotterState {
  // The newest snapshot of the timeline (built by this run or found at the
  // start).
  std::optional<SnapshotInfo> newest;
  uint64_t built = 0;   // Snapshots built by this run.
  uint64_t failed = 0;  // Builds that failed (retried when due again).
  bool building = false;
  std::optional<absl::Time> last_success;
  absl::Duration last_duration = absl::ZeroDuration();
  absl::Status last_error;
};

// Builds snapshots of a repository on its own thread while a capture appends
// to it, as the schedule says; the capture reports what it acknowledged and
// never waits for a build. Each build is BuildSnapshot() at the acknowledged
// LSN: the changes since the newest snapshot are held in memory, never the
// whole state, and the new snapshot is verified before it counts. A failed
// build is tried again three times at once (the capture renames its live
// segment as it seals it, which a concurrent listing may miss), then
// reported (state().last_error) and retried at the next acknowledgement
// after a back-off of `retry_after`.
class Snapshotter {
 public:
  // Reads the repository's catalog for the newest snapshot of `timeline`
  // and starts the thread. `repository` is not owned and must outlive the
  // snapshotter.
  static absl::StatusOr<std::unique_ptr<Snapshotter>> Start(
      const Repository* repository, const SnapshotSchedule& schedule,
      TimelineId timeline = kFirstTimeline,
      absl::Duration retry_after = absl::Seconds(30));
  // Stops (Stop()).
  virtual ~Snapshotter() = default;
  // Records an acknowledgement: everything up to `ack.lsn` is durable, and
  // `bytes` more bytes of keys and values were acknowledged since the last
  // call. Starts a build if one is due and none runs.
  virtual void Acknowledged(const CaptureAck& ack, uint64_t bytes) = 0;
  virtual SnapshotterState state() const = 0;
  // Stops the thread. A build in progress is abandoned (nothing published;
  // its temporary is removed by the next build). Returns the last build's
  // error, if the last one failed.
  virtual absl::Status Stop() = 0;
};

}  // namespace wayback

#endif  // WAYBACK_CAPTURE_H_
