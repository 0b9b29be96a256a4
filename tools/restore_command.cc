// Copyright 2026 The Wayback Authors.
//
// wayback restore: rebuilds the state at a target into RocksDB or memory.
//
// Into RocksDB it uses the fastest exact path: the replayed state is staged
// in memory, one key partition per thread, and written at the end as sorted
// SST files ingested at once (RocksDBTargetOptions::ForRestore()), with
// the staged bytes bounded by --stage-memory (by default a quarter of the
// memory available; beyond it, sorted runs spill to scratch files and are
// merged at the end).

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/common.h"
#include "tools/plan_text.h"
#include "wayback/clock.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"

namespace wayback::cli {
namespace {

class RestoreCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "restore",
        "Rebuild the state at a target into a RocksDB database or memory");
    flags_.Add(app);
    target_.Add(app);
    app->add_option("--into", into_,
                    "Where the state goes: rocksdb:PATH (an embedded RocksDB "
                    "database, created if missing) or memory (digest only)")
        ->required();
    app->add_option("--threads", threads_,
                    "Threads for verification and decompression (0: all cores)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1024));
    app->add_option(
           "--stage-memory", stage_memory_mib_,
           absl::StrCat("RocksDB: MiB of replayed state held in memory before "
                        "sorted runs spill to scratch files (default: a "
                        "quarter of the memory available, here ",
                        AutoStageMemoryLimit() >> 20, ")"))
        ->check(CLI::Range(1, 1 << 24));
    app->add_flag("--direct-writes", direct_writes_,
                  "RocksDB: write the SST files with O_DIRECT instead of "
                  "through the page cache (faster only on disks that take "
                  "large direct writes at GB/s; compare with wayback bench "
                  "replay --direct-writes)");
    app->add_flag("--force", force_,
                  "Restore over a non-empty target, clearing it first");
    app->footer(
        "A progress display appears when standard error is a terminal.\n\n"
        "Examples:\n"
        "  wayback restore --repo ./demo-repo --to 2026-11-25T12:00:00Z "
        "--into rocksdb:./restored\n"
        "  wayback restore --repo ./demo-repo --restore-point "
        "before-nightly-batch-2026-11-25 --into memory\n"
        "  wayback restore --repo ./demo-repo --latest --into rocksdb:./db "
        "--force --json");
    return app;
  }

  int Run(Io& io) override {
    auto target = target_.Resolve();
    if (!target.ok())
      return Usage(io, "restore", std::string(target.status().message()));
    auto storage = OpenRepository(flags_.repo);
    if (!storage.ok()) return Fail(io, "restore", storage.status());
    auto catalog = Catalog::Open((*storage)->storage());
    if (!catalog.ok()) return Fail(io, "restore", catalog.status());
    auto plan = PlanRecovery(**catalog, *target);
    if (!plan.ok()) return Fail(io, "restore", plan.status());
    RocksDBTargetOptions rocksdb = RocksDBTargetOptions::ForRestore(threads_);
    rocksdb.direct_writes = direct_writes_;
    if (stage_memory_mib_ > 0) {
      rocksdb.stage_memory_limit = uint64_t{stage_memory_mib_} << 20;
    }
    auto state = OpenInto(into_, rocksdb);
    if (!state.ok()) return Fail(io, "restore", state.status());

    RestoreOptions options;
    options.threads = threads_;
    options.force = force_;
    Clock* clock = Clock::Real();
    const int64_t started = clock->MonotonicNanos();
    int64_t last_shown = 0;
    bool shown = false;
    if (io.tty) {
      options.progress = [&](const RestoreProgress& p) {
        int64_t now = clock->MonotonicNanos();
        const bool finishing = p.phase == RestoreProgress::Phase::kFinishing;
        if (!finishing && now - last_shown < 200'000'000) return;
        last_shown = now;
        shown = true;
        double secs = static_cast<double>(now - started) / 1e9;
        double rate = secs > 0 ? static_cast<double>(p.bytes_read) / secs : 0;
        if (finishing) {
          io.err << absl::StrFormat(
                        "\r\x1b[K  restoring: read %s, applied %s "
                        "transactions; writing the state",
                        FormatBytes(p.bytes_read),
                        FormatCount(p.transactions_applied))
                 << std::flush;
          return;
        }
        // The first moments' rate says little about the rest.
        std::string eta = "?";
        if (secs >= 1 && rate > 0 && p.bytes_total >= p.bytes_read) {
          eta = FormatDurationWords(absl::Seconds(
              static_cast<double>(p.bytes_total - p.bytes_read) / rate));
        }
        io.err << absl::StrFormat(
                      "\r\x1b[K  restoring: %s of %s, %s transactions, %s/s, "
                      "ETA %s",
                      FormatBytes(p.bytes_read), FormatBytes(p.bytes_total),
                      FormatCount(p.transactions_applied),
                      FormatBytes(static_cast<uint64_t>(rate)), eta)
               << std::flush;
      };
    }
    auto result = Restore((*storage)->storage(), *plan, state->get(), options);
    if (shown) io.err << "\r\x1b[K" << std::flush;
    if (!result.ok()) {
      if (result.status().code() == absl::StatusCode::kFailedPrecondition &&
          !force_) {
        auto empty = (*state)->IsEmpty();
        if (empty.ok() && !*empty) {
          return Usage(io, "restore",
                       absl::StrCat(into_,
                                    " is not empty; add --force to clear "
                                    "it and restore over it"));
        }
      }
      return Fail(io, "restore", result.status());
    }
    const RestoreResult& r = *result;
    if (flags_.json) {
      json j;
      j["ok"] = true;
      j["into"] = into_;
      j["plan"] = PlanJson(r.plan);
      j["last_applied"] = CommitJson(r.last_applied);
      j["first_excluded"] = CommitJson(r.plan.first_excluded);
      j["first_not_applied_lsn"] = r.first_not_applied;
      j["snapshot_pairs"] = r.snapshot_pairs;
      j["transactions_applied"] = r.transactions_applied;
      j["mutations_applied"] = r.mutations_applied;
      j["raw_bytes_applied"] = r.raw_bytes_applied;
      j["bytes_read"] = r.bytes_read;
      j["seconds"] = absl::ToDoubleSeconds(r.elapsed);
      j["state"] = r.digest ? DigestJson(*r.digest) : json(nullptr);
      io.out << j.dump(2) << "\n";
      return kExitOk;
    }
    io.out << "Restored " << flags_.repo << " into " << into_ << "\n"
           << "  target          " << r.plan.target.ToString() << "\n";
    if (r.plan.target.kind == RecoveryTarget::Kind::kTime) {
      io.out << "  instant (UTC)   " << FormatCommitTime(r.plan.target.time)
             << "\n";
    }
    io.out << "  last applied    " << DescribeCommit(r.last_applied) << "\n"
           << "  first excluded  " << DescribeCommit(r.plan.first_excluded)
           << (r.plan.first_excluded ? "" : " (nothing after the target)")
           << "\n"
           << "  from snapshot   "
           << (r.plan.snapshot
                   ? absl::StrCat(r.plan.snapshot->name, " (",
                                  FormatCount(r.snapshot_pairs), " keys)")
                   : std::string("none (started from the empty state)"))
           << "\n"
           << "  replayed        " << FormatCount(r.transactions_applied)
           << " transactions, " << FormatCount(r.mutations_applied)
           << " mutations, " << FormatBytes(r.bytes_read) << " read\n";
    if (r.digest) {
      io.out << "  result          " << FormatCount(r.digest->count)
             << " keys, digest " << r.digest->ToString() << "\n";
    }
    io.out << "  took            " << FormatDurationWords(r.elapsed) << "\n";
    return kExitOk;
  }

 private:
  RepoFlags flags_;
  TargetFlags target_;
  std::string into_;
  int threads_ = 0;
  uint32_t stage_memory_mib_ = 0;  // 0: AutoStageMemoryLimit().
  bool force_ = false;
  bool direct_writes_ = false;
};

}  // namespace

std::unique_ptr<Command> NewRestoreCommand() {
  return std::make_unique<RestoreCommand>();
}

}  // namespace wayback::cli
