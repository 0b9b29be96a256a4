// Copyright 2026 The Wayback Authors.
//
// wayback bench replay | rto | rpo | ingest | compact. Progress lines go to
// standard error when it is a terminal or with --verbose; results go to
// standard output (one JSON object with --json). The verdicts of rto and rpo
// set the exit code: 0 pass (or no objective given), 1 fail.

#include "tools/bench_command.h"

#include <filesystem>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "src/bench/bench.h"
#include "tools/common.h"

namespace wayback::cli {
namespace {

// Parses an objective such as "4h", "90s", "500ms". kInvalidArgument
// otherwise.
absl::StatusOr<std::optional<absl::Duration>> ParseObjective(
    const std::string& flag, const std::string& text) {
  if (text.empty()) return std::optional<absl::Duration>();
  absl::StatusOr<absl::Duration> d = ParseDurationFlag(flag, text);
  if (!d.ok()) return d.status();
  if (*d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad ", flag, " \"", text,
                     "\": expected a positive duration such as 4h, 15m, 90s "
                     "or 500ms"));
  }
  return std::optional<absl::Duration>(*d);
}

// This executable's path (the ingest bench runs `wayback ingest` from it).
std::string SelfExecutable() {
  std::error_code ec;
  std::filesystem::path p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::string("/proc/self/exe") : p.string();
}

class BenchCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "bench",
        "Measure replay speed against RocksDB, and your own RTO and RPO");
    app->require_subcommand(1);

    replay_ = app->add_subcommand(
        "replay",
        "Race Wayback's replay against RocksDB's own WAL recovery on a "
        "generated workload");
    replay_
        ->add_option("--mutations", replay_opts_.mutations,
                     "Mutations of the generated clinical workload")
        ->capture_default_str()
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 40));
    replay_
        ->add_option("--threads", replay_opts_.threads,
                     "Threads and apply partitions (0: all cores)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1024));
    replay_
        ->add_option("--workload", workload_name_,
                     "Shape of the generated workload: updates (records "
                     "mostly updated in place, ~262 B of log per mutation, "
                     "~11 % of the mutations left as live keys) or appends "
                     "(mostly new records, 100-2000 B values, ~660 B per "
                     "mutation, ~70 % left as live keys)")
        ->capture_default_str()
        ->check(CLI::IsMember({"updates", "appends"}));
    replay_->add_option("--seed", replay_opts_.seed, "Workload seed")
        ->capture_default_str();
    replay_
        ->add_option("--repetitions", replay_opts_.repetitions,
                     "Runs of each measurement (the median is reported)")
        ->capture_default_str()
        ->check(CLI::Range(1, 99));
    replay_
        ->add_option(
            "--stage-memory", stage_memory_mib_,
            "MiB of staged state for the restores into RocksDB (default: as "
            "wayback restore, a quarter of the memory available)")
        ->check(CLI::Range(1, 1 << 24));
    replay_->add_flag("--direct-writes", replay_opts_.direct_writes,
                      "Write the SST files of the restores into RocksDB and "
                      "of the SstFileWriter baseline with O_DIRECT (as "
                      "wayback restore --direct-writes)");
    replay_->add_option("--scratch", replay_opts_.scratch_dir,
                        "Directory for the temporary RocksDB databases "
                        "(default: $TMPDIR or /tmp)");
    replay_->add_flag("--no-rocksdb", no_rocksdb_,
                      "Skip the RocksDB measurements (memory only)");
    replay_->add_flag("--json", json_, "Print one JSON object");
    replay_->add_flag("--verbose", verbose_, "Print progress to stderr");
    replay_->footer(
        "Measures, on one workload and in one run: RocksDB recovering its "
        "own WAL\n(DB::Open), Wayback restoring into RocksDB and into memory, "
        "the raw apply\nceiling and the decompression ceiling. Every restored "
        "state is checked\nagainst the state RocksDB recovered.\n\n"
        "Examples:\n"
        "  wayback bench replay\n"
        "  wayback bench replay --mutations 5000000 --threads 2 --json\n"
        "  wayback bench replay --mutations 5000000 --workload appends");

    rto_ = app->add_subcommand(
        "rto", "Worst-case restore time of a repository (read-only)");
    rto_->add_option("--repo", repo_, "The repository (URI)")->required();
    rto_->add_option("--rto", rto_text_,
                     "Recovery time objective to check (e.g. 4h)");
    rto_->add_option("--into", rto_opts_.into,
                     "Scratch target: rocksdb (as a real restore) or memory")
        ->capture_default_str()
        ->check(CLI::IsMember({"rocksdb", "memory"}));
    rto_->add_option("--threads", rto_opts_.threads,
                     "Threads and apply partitions (0: all cores)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1024));
    rto_->add_option("--scratch", rto_opts_.scratch_dir,
                     "Directory for the scratch database (default: $TMPDIR "
                     "or /tmp)");
    rto_->add_flag("--json", json_, "Print one JSON object");
    rto_->add_flag("--verbose", verbose_, "Print progress to stderr");
    rto_->footer(
        "Loads the largest snapshot and replays the longest stretch of log "
        "after a\nsnapshot into a scratch target (the repository is only "
        "read), then\nestimates the worst-case RTO as largest snapshot + "
        "longest stretch.\nExit status 1 if it exceeds --rto.\n\n"
        "Examples:\n"
        "  wayback bench rto --repo ./demo-repo --rto 4h\n"
        "  wayback bench rto --repo ./demo-repo --into memory --json");

    rpo_ = app->add_subcommand(
        "rpo",
        "Synced commit rate and archive lag to a mirror, on a scratch "
        "repository");
    rpo_->add_option("--repo", rpo_opts_.repo,
                     "A local directory to write the test log into (must not "
                     "hold a log)")
        ->required();
    rpo_->add_option("--mirror", rpo_opts_.mirror,
                     "The mirror directory (default: REPO-mirror)");
    rpo_->add_option("--rate", rpo_opts_.rate,
                     "Offered transactions per second")
        ->capture_default_str()
        ->check(CLI::Range(1.0, 1e7));
    rpo_->add_option("--duration", duration_s_, "Seconds to run")
        ->capture_default_str()
        ->check(CLI::Range(0.1, 86400.0));
    rpo_->add_option("--size", rpo_opts_.transaction_bytes,
                     "Value bytes per transaction")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{1} << 20));
    rpo_->add_option("--clients", rpo_opts_.clients, "Concurrent committers")
        ->capture_default_str()
        ->check(CLI::Range(1, 4096));
    rpo_->add_option("--segment-age", segment_age_,
                     "Seal segments at this age (bounds the archive lag)")
        ->capture_default_str();
    rpo_->add_option("--rpo", rpo_text_,
                     "Recovery point objective to check (e.g. 5m, 1s)");
    rpo_->add_flag("--json", json_, "Print one JSON object");
    rpo_->add_flag("--verbose", verbose_, "Print progress to stderr");
    rpo_->footer(
        "Drives a LogWriter in synced (group-commit) mode at --rate, rolls "
        "segments\nby age, copies each sealed segment to the mirror, and "
        "reports the commit\nlatency and the archive lag (acknowledged commit "
        "to whole in the mirror).\nExit status 1 if the worst lag exceeds "
        "--rpo.\n\n"
        "Examples:\n"
        "  wayback bench rpo --repo /tmp/rpo-test --rate 50000 --duration 10 "
        "--rpo 1s\n"
        "  wayback bench rpo --repo /data/rpo-test --mirror /mnt/nfs/rpo "
        "--json");

    compact_ = app->add_subcommand(
        "compact",
        "Restore speed of a short-roll history after `compact` against the "
        "same history in large segments");
    compact_->add_option("--days", compact_opts_.days, "Simulated days")
        ->capture_default_str()
        ->check(CLI::Range(0.0001, 3650.0));
    compact_
        ->add_option("--rate", compact_opts_.rate,
                     "Transactions per simulated second")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 1e6));
    compact_
        ->add_option("--short-roll", short_roll_,
                     "Segment roll of the short-roll repository")
        ->capture_default_str();
    compact_
        ->add_option("--repetitions", compact_opts_.repetitions,
                     "Restores of each repository, alternating")
        ->capture_default_str()
        ->check(CLI::Range(1, 1000));
    compact_
        ->add_option("--threads", compact_opts_.threads,
                     "Restore threads (0: all cores)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1024));
    compact_->add_option("--scratch", compact_opts_.scratch_dir,
                         "Directory for the two repositories");
    compact_->add_flag("--json", json_, "Print one JSON object");
    compact_->add_flag("--verbose", verbose_, "Print progress to stderr");
    compact_->footer(
        "Examples:\n"
        "  wayback bench compact\n"
        "  wayback bench compact --days 1 --rate 5 --repetitions 9 --json");
    ingest_ = app->add_subcommand(
        "ingest",
        "JSONL parsing alone, then `wayback ingest` as a fresh process fed "
        "through a pipe: synced events per second and acknowledgement "
        "latency");
    ingest_
        ->add_option("--repo", ingest_opts_.repo,
                     "A scratch directory for the repository (removed "
                     "first and after)")
        ->required();
    ingest_
        ->add_option("--events", ingest_opts_.events, "Events (one put each)")
        ->capture_default_str()
        ->check(CLI::Range(uint64_t{1}, uint64_t{1} << 32));
    ingest_
        ->add_option("--value-bytes", ingest_opts_.value_bytes,
                     "Bytes of value per event")
        ->capture_default_str()
        ->check(CLI::Range(size_t{1}, size_t{1} << 20));
    ingest_
        ->add_option("--rate", ingest_opts_.rate,
                     "Producer rate, events per second (0: as fast as "
                     "the pipe takes them)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1e8));
    ingest_->add_option("--mirror", ingest_opts_.mirrors,
                        "Mirrors given to the ingester (repeatable)");
    ingest_
        ->add_option("--segment-age", segment_age_,
                     "With --mirror: the ingester's --max-segment-age")
        ->capture_default_str();
    ingest_->add_flag("--keep", ingest_opts_.keep,
                      "Keep the repository and the ack file");
    ingest_->add_flag("--json", json_, "Print one JSON object");
    ingest_->add_flag("--verbose", verbose_, "Print progress to stderr");
    ingest_->footer(
        "Examples:\n"
        "  wayback bench ingest --repo /tmp/ingest-bench\n"
        "  wayback bench ingest --repo /tmp/ingest-bench --rate 20000 "
        "--mirror /tmp/ingest-mirror --json");
    return app;
  }

  int Run(Io& io) override {
    const bool show = verbose_ || (io.tty && !json_);
    auto progress = [&io, show](std::string_view line) {
      if (show) io.err << "  " << line << "\n" << std::flush;
    };
    if (replay_->parsed()) {
      replay_opts_.rocksdb = !no_rocksdb_;
      replay_opts_.workload = workload_name_ == "appends"
                                  ? ReplayWorkload::kAppends
                                  : ReplayWorkload::kUpdates;
      replay_opts_.stage_memory_bytes = uint64_t{stage_memory_mib_} << 20;
      replay_opts_.progress = progress;
      auto f = RunReplayBench(replay_opts_);
      if (!f.ok()) return Fail(io, "bench replay", f.status());
      io.out << (json_ ? f->ToJson() : f->ToString()) << "\n";
      return kExitOk;
    }
    if (compact_->parsed()) {
      auto roll = ParseDurationFlag("--short-roll", short_roll_);
      if (!roll.ok() || *roll <= absl::ZeroDuration()) {
        return Usage(io, "bench compact",
                     absl::StrCat("bad --short-roll \"", short_roll_, "\""));
      }
      compact_opts_.short_roll = *roll;
      compact_opts_.progress = progress;
      auto f = RunCompactBench(compact_opts_);
      if (!f.ok()) return Fail(io, "bench compact", f.status());
      io.out << (json_ ? f->ToJson() : f->ToString()) << "\n";
      return kExitOk;
    }
    if (rto_->parsed()) {
      auto rto = ParseObjective("--rto", rto_text_);
      if (!rto.ok()) {
        return Usage(io, "bench rto", std::string(rto.status().message()));
      }
      rto_opts_.rto = *rto;
      rto_opts_.progress = progress;
      auto storage = OpenRepository(repo_);
      if (!storage.ok()) return Fail(io, "bench rto", storage.status());
      auto f = RunRtoBench((*storage)->storage(), rto_opts_);
      if (!f.ok()) return Fail(io, "bench rto", f.status());
      io.out << (json_ ? f->ToJson() : f->ToString()) << "\n";
      return f->pass ? kExitOk : kExitProblem;
    }
    if (ingest_->parsed()) {
      ingest_opts_.wayback_binary = SelfExecutable();
      auto age = ParseDurationFlag("--segment-age", segment_age_);
      if (!age.ok() || *age <= absl::ZeroDuration()) {
        return Usage(io, "bench ingest",
                     absl::StrCat("bad --segment-age \"", segment_age_, "\""));
      }
      ingest_opts_.segment_max_age = *age;
      ingest_opts_.progress = progress;
      auto f = RunIngestBench(ingest_opts_);
      if (!f.ok()) return Fail(io, "bench ingest", f.status());
      io.out << (json_ ? f->ToJson() : f->ToString()) << "\n";
      return kExitOk;
    }
    auto rpo = ParseObjective("--rpo", rpo_text_);
    if (!rpo.ok()) {
      return Usage(io, "bench rpo", std::string(rpo.status().message()));
    }
    auto age = ParseDurationFlag("--segment-age", segment_age_);
    if (!age.ok() || *age <= absl::ZeroDuration()) {
      return Usage(io, "bench rpo",
                   absl::StrCat("bad --segment-age \"", segment_age_,
                                "\": expected a duration such as 250ms"));
    }
    rpo_opts_.segment_max_age = *age;
    rpo_opts_.rpo = *rpo;
    rpo_opts_.duration = absl::Seconds(duration_s_);
    rpo_opts_.progress = progress;
    auto f = RunRpoBench(rpo_opts_);
    if (!f.ok()) return Fail(io, "bench rpo", f.status());
    io.out << (json_ ? f->ToJson() : f->ToString()) << "\n";
    return f->pass ? kExitOk : kExitProblem;
  }

 private:
  CLI::App* replay_ = nullptr;
  CLI::App* rto_ = nullptr;
  CLI::App* rpo_ = nullptr;
  CLI::App* ingest_ = nullptr;
  CLI::App* compact_ = nullptr;
  CompactBenchOptions compact_opts_;
  std::string short_roll_ = "1s";
  IngestBenchOptions ingest_opts_;
  bool json_ = false;
  std::string workload_name_ = "updates";
  bool verbose_ = false;
  ReplayBenchOptions replay_opts_;
  bool no_rocksdb_ = false;
  uint32_t stage_memory_mib_ = 0;  // 0: AutoStageMemoryLimit().
  std::string repo_;
  RtoBenchOptions rto_opts_;
  std::string rto_text_;
  RpoBenchOptions rpo_opts_;
  std::string rpo_text_;
  double duration_s_ = 10;
  std::string segment_age_ = "250ms";
};

}  // namespace

std::unique_ptr<Command> NewBenchCommand() {
  return std::make_unique<BenchCommand>();
}

}  // namespace wayback::cli
