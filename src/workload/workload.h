// Copyright 2026 The Wayback Authors.
//
// Workloads: a deterministic clinical workload on a simulated clock (for
// demos, tests and benchmarks), and the JSONL import of change events
// (specified in docs/import_format.md).
//
// Not part of the installed contract: this header belongs to the support
// library beside the CLI (CMake target wayback_support, not installed), which
// the `wayback` tool, the benchmarks and the tests link.
//
//   WorkloadOptions w;              // two days from 2026-11-24T00:00:00Z
//   w.seed = 7;
//   WorkloadGenerator gen(w);
//   WorkloadEvent e;
//   while (gen.Next(&e)) { ... e.txn / e.restore_point at e.commit_time ... }
//
//   GenerateOptions g;              // the same, written to a repository
//   g.workload = w;
//   auto result = GenerateRepository(storage.get(), g);

#ifndef WAYBACK_SRC_WORKLOAD_WORKLOAD_H_
#define WAYBACK_SRC_WORKLOAD_WORKLOAD_H_

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wayback/repository.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback {

// 2026-11-24T00:00:00Z, the default start of generated workloads.
inline constexpr CommitTime kDefaultWorkloadStart = 1795478400LL * 1000000000LL;

// The shape of a generated clinical workload. Every field has a default; the
// same options (seed included) always give the same events, byte for byte.
struct WorkloadOptions {
  // Seed of the pseudo-random generator. Default: 1.
  uint64_t seed = 1;
  // Simulated time of the first possible commit. Default: 2026-11-24T00:00Z.
  CommitTime start_time = kDefaultWorkloadStart;
  // Simulated time covered; the generator stops at start_time + duration.
  // Default: 2 days.
  absl::Duration duration = absl::Hours(48);
  // Mean transactions per second over a whole day. The hour of day modulates
  // it: busy from 08:00 to 18:00 UTC, quiet at night (about 0.15x). Default: 1.
  double rate = 1.0;
  // Stop after this many transactions (0: no limit). Default: 0.
  uint64_t max_transactions = 0;
  // Patients admitted before the first event (their records are inserted by
  // the first transactions). Default: 1000.
  uint64_t initial_patients = 1000;
  // Zipf exponent of patient activity (1.0: a patient of rank k is k times
  // less active than the most active one). Half of the activity ranks
  // patients by admission order (a stable hot set of long stays), half by
  // recency (new admissions are busy). Default: 1.0.
  double zipf_exponent = 1.0;
  // Fraction of transactions that delete (observations entered in error,
  // discontinued medication orders). Default: 0.10.
  double delete_fraction = 0.10;
  // Size bounds of JSON values, in bytes. Default: 100 and 2000.
  size_t min_value_size = 100;
  size_t max_value_size = 2000;
  // Shape of the value sizes between those bounds: the density of a size s is
  // proportional to s^-value_size_exponent. 1.0 is log-uniform (as many values
  // of 100-200 bytes as of 1000-2000); larger exponents make most values short
  // with a long tail of large ones (2.5: a mean target of ~235 bytes within
  // 100-2000). A value is never shorter than its JSON fields (~120-230 bytes
  // by resource type), whatever the target. Default: 1.0.
  double value_size_exponent = 1.0;
  // Fraction of the transactions that are not deletes which update one
  // existing record in place (a patient, an encounter's status, an amended
  // observation), drawn before the regular mix (whose own updates are ~28 %
  // of it). Raising it shrinks the live state relative to the log: at 5 M
  // mutations, 0.835 leaves ~11 % of them as live keys, against ~70 % with 0.
  // Default: 0.
  double in_place_update_fraction = 0.0;
  // Every simulated day at this UTC hour a restore point
  // "before-nightly-batch-YYYY-MM-DD" is written, followed by a burst of
  // batch transactions (medication order reconciliation). -1 disables the
  // batch. Default: 2.
  int nightly_batch_hour = 2;
  // Transactions in each nightly batch. Default: 200.
  int nightly_batch_transactions = 200;
};

// One generated event: a transaction or a restore point.
struct WorkloadEvent {
  enum class Kind { kTransaction, kRestorePoint };
  Kind kind = Kind::kTransaction;
  // The commit time (also in txn.commit_time for transactions). Non-decreasing
  // from one event to the next.
  CommitTime commit_time = 0;
  // kTransaction: its mutations and txid (1, 2, 3 ... in generation order).
  Transaction txn;
  // kRestorePoint: its name.
  std::string restore_point;
};

// Generates a clinical workload: patients (patient/000000042), encounters
// (patient/000000042/encounter/0003), observations
// (patient/000000042/encounter/0003/observation/0012) and medication orders
// (patient/000000042/medication/0005), with JSON values. Inserts, updates and
// deletes; deletes and updates always name a key that exists at that point.
// Not thread-safe.
class WorkloadGenerator {
 public:
  explicit WorkloadGenerator(const WorkloadOptions& options);
  ~WorkloadGenerator();
  WorkloadGenerator(const WorkloadGenerator&) = delete;
  WorkloadGenerator& operator=(const WorkloadGenerator&) = delete;

  // Stores the next event in *event and returns true, or returns false once
  // the simulated duration (or max_transactions) is exhausted.
  bool Next(WorkloadEvent* event);

  const WorkloadOptions& options() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// How GenerateRepository() writes the workload.
struct GenerateOptions {
  WorkloadOptions workload;
  // A snapshot is written whenever this much simulated time has passed since
  // the previous one (or the start); zero disables snapshots. Default: 6 h.
  absl::Duration snapshot_every = absl::Hours(6);
  // Log segments roll at this size or simulated age. Defaults: 16 MiB, 1 h.
  uint64_t segment_max_bytes = 16ull << 20;
  absl::Duration segment_max_age = absl::Hours(1);
  // Called now and then with the simulated time reached (may be null).
  std::function<void(CommitTime now, uint64_t transactions)> progress;
};

struct GenerateResult {
  uint64_t transactions = 0;
  uint64_t mutations = 0;
  uint64_t deletes = 0;
  uint64_t restore_points = 0;
  uint64_t snapshots = 0;
  Lsn last_lsn = kNoLsn;
  CommitTime first_commit_time = 0;
  CommitTime last_commit_time = 0;
  // The state after every event (what a restore to "latest" must rebuild).
  StateDigest final_digest;
};

// Writes the workload into `repository` (which must have no history yet:
// else kFailedPrecondition) with a LogWriter in kBuffered mode driven by a
// ManualClock set to each event's time, and writes a snapshot of the state
// every options.snapshot_every of simulated time. Syncs and closes the log
// before returning.
absl::StatusOr<GenerateResult> GenerateRepository(
    Repository* repository, const GenerateOptions& options);
// The same into a repository created in `storage` (Repository::Attach with
// create, source "gen"): kFailedPrecondition if it already holds one.
absl::StatusOr<GenerateResult> GenerateRepository(
    Storage* storage, const GenerateOptions& options);

// kFailedPrecondition naming the repository if it has a history (segments or
// snapshots); the generator and the importer write only new repositories.
absl::Status RequireNewRepository(const Repository& repository);

// ---------------------------------------------------------------------------
// JSONL import (docs/import_format.md).

// One parsed line of a JSONL import.
struct ImportEvent {
  enum class Kind { kTransaction, kRestorePoint };
  Kind kind = Kind::kTransaction;
  CommitTime commit_time = 0;
  Transaction txn;            // kTransaction (commit_time and txid set).
  std::string restore_point;  // kRestorePoint.
  // The line's "pos" (its position in the source), if it has one.
  std::optional<uint64_t> position;
};

// Parses one line (without its newline). A pure function: no I/O, no state.
// kInvalidArgument with the reason (bad JSON, a missing or unknown field, a
// bad time, invalid base64, ...); the caller adds the line number.
absl::StatusOr<ImportEvent> ParseImportLine(std::string_view line);

struct ImportOptions {
  // Cut a snapshot after every N transactions (0: none). Default: 0.
  uint64_t snapshot_every = 0;
};

struct ImportResult {
  uint64_t lines = 0;  // Lines consumed (blank lines included).
  uint64_t transactions = 0;
  uint64_t mutations = 0;
  uint64_t restore_points = 0;
  uint64_t snapshots = 0;
  Lsn last_lsn = kNoLsn;
  CommitTime last_commit_time = 0;
  StateDigest final_digest;
};

// Imports JSONL change events from `in` into `repository`, which must have no
// history yet (kFailedPrecondition). Blank lines are skipped. Commit times must
// not decrease. On a bad line, stops with kInvalidArgument "line N: reason;
// ..."; the repository then holds exactly the events of the lines before N
// (synced before returning), and *partial (if not null) says what was imported.
absl::StatusOr<ImportResult> ImportJsonl(Repository* repository,
                                         std::istream& in,
                                         const ImportOptions& options,
                                         ImportResult* partial = nullptr);
// The same into a repository created in `storage` (Repository::Attach with
// create, source "import").
absl::StatusOr<ImportResult> ImportJsonl(Storage* storage, std::istream& in,
                                         const ImportOptions& options,
                                         ImportResult* partial = nullptr);

// Text helpers shared by import and export.
// Standard base64 (RFC 4648, with padding).
std::string Base64Encode(std::string_view bytes);
// Strict: the length is a multiple of 4, padding only at the end, nothing but
// the alphabet. kInvalidArgument otherwise.
absl::StatusOr<std::string> Base64Decode(std::string_view text);
// True if `s` is well-formed UTF-8 (no overlongs, no surrogates).
bool IsValidUtf8(std::string_view s);

}  // namespace wayback

#endif  // WAYBACK_SRC_WORKLOAD_WORKLOAD_H_
