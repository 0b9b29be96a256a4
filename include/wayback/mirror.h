// Copyright 2026 The Wayback Authors.
//
// Mirroring: copies a repository's objects into another repository (another
// region, another backend), so that a copy survives the loss of the first.
//
//   auto from = OpenStorage("/var/lib/app/wayback");
//   auto to = OpenStorage("s3://dr-bucket/app?region=eu-west-1");
//   auto report = MirrorRepository(from->get(), to->get(), {});
//
// The rules:
//  - Only objects the destination lacks are copied; an object present at the
//    destination is never overwritten. If its size (or, with
//    verify_existing, its checksum) differs from the source's, it is left
//    alone and reported as a conflict: the caller must treat conflicts as a
//    failure that needs a human.
//  - Every copied object is verified: its CRC32C is computed while it is
//    read from the source, and (with `verify`) the destination copy is read
//    back and must have the same size and CRC32C; a mismatch deletes the bad
//    copy and fails with kDataLoss naming the object.
//  - Objects still being written at the source must not be mirrored: they
//    would be copied half-written and never updated (never overwritten).
//    In-flight temporaries (".tmp") are skipped by default; the caller's
//    `filter` must also skip anything else that can still grow (the log's
//    live, unsealed segment).
//  - Run again, it copies nothing (everything is already present).
//  - A copy interrupted by a crash leaves a temporary at the destination,
//    never a partial object; the next run removes such temporaries once
//    they are stale (remove_temporaries_older_than) and copies again.
//
// Thread-safety: MirrorRepository may run concurrently with writers of the
// source (it copies what the listing showed) but not with another mirror to
// the same destination.

#ifndef WAYBACK_MIRROR_H_
#define WAYBACK_MIRROR_H_

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wayback/storage.h"

namespace wayback {

struct MirrorOptions {
  // Only objects whose name starts with this are considered. Default: all.
  std::string prefix;
  // Which listed source objects to copy; objects it refuses are not counted
  // anywhere. Default (empty): every object except ".tmp" temporaries.
  std::function<bool(const ObjectInfo&)> filter;
  // Objects copied concurrently (object stores reward parallelism).
  // Default: 4.
  int parallelism = 4;
  // Read every copied object back from the destination and compare size and
  // CRC32C. Default: true.
  bool verify = true;
  // Also compare the CRC32C of objects already present at the destination
  // (reads both copies in full); otherwise only their sizes are compared.
  // Default: false.
  bool verify_existing = false;
  // Report what would be copied without writing anything. Default: false.
  bool dry_run = false;
  // Before copying, remove the destination's stale temporaries under
  // `prefix` (Storage::RemoveStaleTemporaries: left by a copy that died
  // before Close(), nobody holds them, and they are at least this old), so
  // that crashed mirror runs do not leave their partial copies behind
  // forever. A writer that is still open is never disturbed. Not done in a
  // dry run. absl::InfiniteDuration() keeps them. Default: one minute.
  absl::Duration remove_temporaries_older_than = absl::Minutes(1);
  // Checks a source object's contents before it is copied (e.g. every block
  // checksum of a segment); called from the copying threads. kDataLoss
  // means "damaged at the source": the object is not copied and is listed in
  // MirrorReport::rejected, and mirroring goes on with the others; any other
  // error stops the mirror. Default (empty): no check beyond the CRC32C
  // comparison of the copy.
  //
  // `from` is the source, or (see read_once_max_bytes) a view of it that
  // serves this object from memory.
  std::function<absl::Status(Storage* from, const ObjectInfo& object)>
      verify_source;
  // With verify_source, an object of at most this many bytes is read from
  // the source once, held in memory while it is checked and copied, instead
  // of being read once by the check and again by the copy; larger objects
  // are streamed twice. Each copying thread holds at most one such object,
  // so this bounds the memory to parallelism * read_once_max_bytes. Default:
  // 128 MiB (a sealed segment, 64 MiB by default, fits).
  uint64_t read_once_max_bytes = 128ull << 20;
};

// A source object that verify_source refused.
struct MirrorRejection {
  std::string name;
  std::string message;
};

struct MirrorReport {
  uint64_t source_objects = 0;   // Listed at the source and accepted by filter.
  uint64_t already_present = 0;  // Present and matching at the destination.
  uint64_t copied_objects = 0;   // Copied (or, in a dry run, to be copied).
  uint64_t copied_bytes = 0;
  // Names copied (or to be copied), sorted.
  std::vector<std::string> copied;
  // Present at the destination but different: left alone. Sorted.
  std::vector<std::string> conflicts;
  // Listed at the source but gone when copied (deleted meanwhile). Sorted.
  std::vector<std::string> vanished;
  // Damaged at the source (see verify_source): not copied. Sorted by name.
  std::vector<MirrorRejection> rejected;
  // Stale temporaries removed from the destination. Sorted.
  std::vector<std::string> removed_temporaries;
};

// Copies into `to` every object of `from` that `to` lacks (see above). On
// error returns the first failure (naming the object); objects copied before
// it stay, verified, so a rerun continues where it stopped.
absl::StatusOr<MirrorReport> MirrorRepository(
    Storage* from, Storage* to, const MirrorOptions& options = {});

}  // namespace wayback

#endif  // WAYBACK_MIRROR_H_
