// Copyright 2026 The Wayback Authors.
//
// Retention: deletes exactly the objects that no instant of the recovery
// window needs, and never one that it does.
//
//   auto repo = Repository::Open("s3://bucket/app?region=eu-west-1");
//   ExpireOptions options;
//   options.keep = absl::Hours(24 * 35);       // a 35-day window
//   auto result = ExpireRepository(**repo, options);
//
// The window is [now - keep, now] by the clock (ExpireOptions::clock), on
// the latest timeline's path (ExpirePath(), below). To restore every instant
// in it, a restore needs a snapshot at or before the window's start (the
// *base*) and the log from there on. Kept:
//   - the base: the newest snapshot at or before the window's start (its
//     LSN at or before the stop of a restore to "time now - keep") from
//     which the log runs without a hole to the newest commit, with its whole
//     delta chain. With keep_snapshots = N, the base moves back until at
//     least N other snapshots are newer than it, so N snapshots stay
//     restorable with the log after them.
//   - everything after the base: every segment holding an LSN above it (the
//     segment that straddles the base included; the live segment always),
//     every snapshot above it with its whole chain.
//   - pinned snapshots (pins/, repository.h) and their chains.
//   - objects under S3 Object Lock (retention or legal hold): the deletion
//     is refused by the storage; they are reported in `locked`, not errors.
//   - objects on other timelines, superseded segments whose replacement is
//     kept (CompactRepository deletes those), snapshot fences, pins, the
//     identity, temporaries and anything not Wayback's.
// Deleted (the *expendable* objects): sealed segments of the path whose
// last LSN is at or below the base, snapshots below the base not kept
// above, and the segments a compaction replacement supersedes when the
// replacement itself is expendable (the originals go first, so readers
// never switch back to them).
//
// Order: oldest first (by the LSN up to which an object reaches), a delta
// snapshot before its base, so that the restorable history before the
// window only ever shrinks from its oldest end and a catalog never sees a
// delta without its base. Every object the window needs is kept from
// beginning to end, so after each single deletion the window is still fully
// restorable (the tests check this after every deletion).
//
// Deferred deletion (grace > 0). Object stores have no locks: a restore or
// mirror pass that listed the repository before the expire may still be
// reading an expendable object (the planner may start a restore from an old
// snapshot whose chain reads fewer bytes). So a run does not delete what it
// finds expendable; it publishes an *expire intent* (expire/…intent,
// src/storage/expire_format.md) listing those objects, create-only. From
// that moment every catalog leaves the listed objects out (Catalog::Open),
// so no new restore or mirror plan uses them. A later run deletes them once
// the intent is at least `grace` old (its modification time in the storage,
// as CompactRepository measures its grace), keeping any that has become
// needed meanwhile (a new pin), then deletes the intent. With grace zero the
// objects are deleted at once and no intent is written. The rule is the same
// on every backend: a local directory would keep an *open* file readable
// after unlink(2), but a restore opens the segments of its plan one after
// the other, so a file it has not opened yet would be gone.
//
// The expiry horizon. Before its first deletion or intent a run records
// how far expiry went (expire/horizon-T-L: every object of timeline T that
// no state at or after LSN L needs). A mirror pass (MirrorRepository) does
// not copy into a mirror the source objects the mirror's own horizon makes
// expendable, so that `wayback expire --repo MIRROR` is not undone by the
// next mirror pass; it still copies everything the mirror's window needs.
// Intents and horizons are the repository's own (ObjectKind::kExpireRecord)
// and are never mirrored: each repository has its own retention.
//
// Versioned buckets: objects are removed with Storage::Purge(), which in a
// versioned S3 bucket deletes every version of the name, not only the
// current one (a plain DELETE there leaves the bytes as a noncurrent
// version).
//
// Refusals (kFailedPrecondition, nothing deleted, naming the problem): the
// window is not fully restorable (a hole between the window's start and the
// newest commit, or no restorable state at its start while older history
// exists), a snapshot of the base chain fails verification (every block and
// the digest are read before anything is deleted), a delta whose chain base
// is missing at or above the base, a damaged object or an unreadable intent.
// A repository whose history starts inside the window (younger than the
// window) is not an error: nothing is deleted.
//
// A crash at any instant leaves a repository whose window is intact; running
// ExpireRepository again finishes the job (intents are carried out by
// whichever run finds them past the grace period).
//
// Thread-safety: may run while a LogWriter appends (the live segment and
// the newest segments are never expendable), while snapshots are built
// (new snapshots are above the base) and while restores and mirror passes
// read the repository. A pin made while an intent is pending is honoured if
// it is listed before the deletion. Two runs at once are safe but wasteful.

#ifndef WAYBACK_EXPIRE_H_
#define WAYBACK_EXPIRE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wayback/clock.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/types.h"

namespace wayback {

struct ExpireOptions {
  // The window's length: every instant in [now - keep, now] stays
  // restorable. Must be positive. Default: 35 days.
  absl::Duration keep = absl::Hours(24 * 35);
  // Keep at least this many snapshots newer than the base, restorable with
  // the log after them (the base moves back if the window holds fewer).
  // Default: 0.
  int keep_snapshots = 0;
  // Deletions happen only once the objects were found expendable at least
  // this long ago (see the top of this file). Must exceed the longest
  // restore or mirror pass that may read the repository. Zero deletes at
  // once. Default: 1 hour.
  absl::Duration grace = absl::Hours(1);
  // Report what would be deleted; write and delete nothing. Default: false.
  bool dry_run = false;
  // The window's "now", if given (demos and tests of old histories: the
  // window is [now - keep, now] whatever the clock says; the grace period
  // is still measured by `clock`). Default: the clock's now.
  std::optional<CommitTime> now;
  // "Now", for the window (unless `now` is set) and the grace period. The
  // storage's modification times are wall-clock times, so a test clock must be
  // one too for grace periods. Default (null): Clock::Real().
  Clock* clock = nullptr;
  // Called after each single deletion with the object's name (tests use it
  // to check the window in between). A non-OK return stops the run with
  // that status. Default: none.
  std::function<absl::Status(const std::string& deleted)> after_delete;
};

// One object, as the result names it.
struct ExpireObject {
  std::string name;
  uint64_t size = 0;
};

// Where the restorable window of the path begins: the start of the last
// recoverable window of the timeline (from there to the newest commit every
// instant restores; a pinned snapshot standing alone before it is not part
// of it).
struct RestorableStart {
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;            // A snapshot's LSN, or 0: the empty state.
  CommitTime commit_time = 0;  // Its commit time (0 for the empty state).
};

struct ExpireResult {
  // The window: [window_start, now].
  CommitTime now = 0;
  CommitTime window_start = 0;
  // The timeline whose window this is (the latest; see ExpirePath()).
  TimelineId timeline = kFirstTimeline;
  // The base kept at (or before) the window's start; absent when nothing
  // could be expired (history starts inside the window, or at LSN 1).
  std::optional<SnapshotInfo> base;
  // Why nothing was expendable, when so ("the repository's history starts
  // inside the window ..."); empty otherwise.
  std::string note;
  // Deleted by this call (dry run: would be deleted now), in deletion order.
  std::vector<ExpireObject> deleted;
  // Found expendable and waiting for the grace period in an intent (written
  // by this call or pending from an earlier one).
  std::vector<ExpireObject> deferred;
  // Expendable, but the storage refused the deletion under Object Lock.
  std::vector<ExpireObject> locked;
  // Snapshots that would be expendable but are kept for a pin (with the
  // chain members they need), sorted.
  std::vector<std::string> pinned;
  // Objects an earlier intent listed that are needed again (a new pin)
  // and were kept, sorted.
  std::vector<std::string> reprieved;
  // Intents written and intents carried out (deleted) by this call.
  std::vector<std::string> intents_written;
  std::vector<std::string> intents_done;
  // The expiry horizon recorded (expire/horizon-…), if any was written.
  std::string horizon;
  uint64_t deleted_bytes = 0;
  uint64_t deferred_bytes = 0;
  // Where the window readers can restore begins, before and after the call
  // (dry run: after the deletions it would make now).
  std::optional<RestorableStart> restorable_before;
  std::optional<RestorableStart> restorable_after;
};

// Expires `repository` (see the top of this file). kInvalidArgument for a
// non-positive keep, a negative keep_snapshots or grace. kFailedPrecondition
// naming the problem for the refusals above; kDataLoss naming the object for
// a damaged base snapshot. I/O errors as the storage gave them, naming the
// object. On an error, the deletions made before it stay made and the window
// is intact; a rerun continues.
absl::StatusOr<ExpireResult> ExpireRepository(const Repository& repository,
                                              const ExpireOptions& options);

// One stretch of the path the latest state is reached by.
struct PathPiece {
  TimelineId timeline = kFirstTimeline;
  Lsn first_lsn = kNoLsn;  // Inclusive.
  Lsn last_lsn = kNoLsn;   // Inclusive; the timeline's newest LSN last.
};

// The path of the latest timeline through `catalog`: the timelines (and the
// LSNs of each) a restore of the newest state reads, oldest first. Today a
// repository has one timeline per path, so this is one piece: the timeline
// of the newest commit, from LSN 1 to its newest LSN (empty for a
// repository without history). The one place retention asks which history
// the window follows; timeline branches extend it with the pieces of the
// parents up to each branch point.
std::vector<PathPiece> ExpirePath(const Catalog& catalog);

// The objects of `catalog` that retention with its base at LSN `base_lsn` on
// `timeline` may delete (see the top of this file for the rule), in deletion
// order; `pinned` names pinned snapshots, whose chains are kept. Superseded
// segments are included only when their replacement is. Reads nothing. Used
// by ExpireRepository and by the mirror pass (with a mirror's horizon).
std::vector<std::string> ExpendableObjects(
    const Catalog& catalog, TimelineId timeline, Lsn base_lsn,
    const std::vector<std::string>& pinned);

}  // namespace wayback

#endif  // WAYBACK_EXPIRE_H_
