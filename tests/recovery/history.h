// Copyright 2026 The Wayback Authors.
//
// Test histories for the recovery layer, and the reference model they are
// checked against.
//
// A History is a list of log entries (transactions and restore points) with
// explicit commit times chosen to be awkward: long runs of one shared commit
// time, neighbours 1 ns apart, restore points between ties, transactions
// without mutations. WriteHistory() appends it through the real LogWriter
// with tiny blocks and segments (and extra Roll()s), so block and segment
// boundaries fall everywhere; WriteModelSnapshot() writes the model's state at
// an LSN through the real SnapshotWriter.
//
// The model is deliberately naive and independent of the code under test: a
// linear scan over the entries resolves a target to its stop LSN, and a
// std::map replay of entries 1..stop gives the expected state.

#ifndef WAYBACK_TESTS_RECOVERY_HISTORY_H_
#define WAYBACK_TESTS_RECOVERY_HISTORY_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/random/random.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback::testing {

struct Entry {
  Lsn lsn = kNoLsn;
  bool restore_point = false;
  std::string name;  // Restore point name.
  Transaction txn;   // commit_time always set.
  CommitTime time() const { return *txn.commit_time; }
};

struct HistoryOptions {
  int entries = 2000;
  int keys = 300;
  uint64_t seed = 1;
  CommitTime start_time = 1795600800000000000;  // 2026-11-25T10:00:00Z
};

std::vector<Entry> MakeHistory(const HistoryOptions& options);

struct WriteOptions {
  size_t block_size = 512;
  uint64_t segment_max_bytes = 4096;
  double roll_probability = 0.01;
  uint64_t seed = 7;
};
// Appends `history` (whose LSNs must be 1..n) to the log in `storage`, and
// closes the writer, or, if keep_open is not null, syncs it and hands it over
// (its last segment stays live). Returns the LSNs at which a segment starts.
absl::StatusOr<std::vector<Lsn>> WriteHistory(
    Storage* storage, const std::vector<Entry>& history,
    const WriteOptions& options,
    std::unique_ptr<LogWriter>* keep_open = nullptr);

using ModelState = std::map<std::string, std::string>;

// The state after entries 1..stop.
ModelState StateAt(const std::vector<Entry>& history, Lsn stop);

absl::StatusOr<SnapshotInfo> WriteModelSnapshot(
    Storage* storage, const std::vector<Entry>& history, Lsn lsn,
    size_t block_size = 300);

// The model's answer for a target on a history whose log is complete from
// LSN 1 (window: empty state .. last entry).
struct ModelResolution {
  absl::StatusCode code = absl::StatusCode::kOk;  // Unreachable: why.
  Lsn stop = kNoLsn;
  std::optional<CommitRef> last_included;
  std::optional<CommitRef> first_excluded;
};
ModelResolution Resolve(const std::vector<Entry>& history,
                        const RecoveryTarget& target);

// The model's state digest, computed from the map.
StateDigest DigestOf(const ModelState& state);

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_RECOVERY_HISTORY_H_
