// Copyright 2026 The Wayback Authors.
//
// wayback gen: writes a generated clinical workload into a new repository.

#include "absl/strings/str_format.h"
#include "src/workload/workload.h"
#include "tools/common.h"
#include "wayback/clock.h"

namespace wayback::cli {
namespace {

class GenCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "gen", "Generate a realistic clinical workload into a new repository");
    flags_.Add(app);
    app->add_option("--seed", seed_,
                    "Seed; the same seed gives the same repository")
        ->capture_default_str();
    app->add_option("--days", days_, "Simulated days to generate")
        ->capture_default_str()
        ->check(CLI::Range(0.001, 3650.0));
    app->add_option("--rate", rate_,
                    "Mean transactions per simulated second (busier by day, "
                    "quiet at night)")
        ->capture_default_str()
        ->check(CLI::Range(0.0001, 100000.0));
    app->add_option(
           "--snapshot-every", snapshot_every_,
           "Simulated time between snapshots (e.g. 6h, 90m; 0 for none)")
        ->capture_default_str();
    app->add_option(
           "--snapshot-kind", snapshot_kind_,
           "full: the generator hands over the whole state every "
           "--snapshot-every; delta or auto: the snapshots are built from the "
           "repository afterwards (wayback snapshot): delta, the first full "
           "and then deltas; auto, deltas while the chain stays within 6 and "
           "its entries within twice the state's pairs (docs/snapshots.md)")
        ->check(CLI::IsMember({"full", "delta", "auto"}))
        ->capture_default_str();
    app->add_option("--update-fraction", update_fraction_,
                    "Share of the non-delete transactions that update one "
                    "existing record in place, on top of the regular mix "
                    "(0.835: the live state is ~10% of the mutations)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 1.0));
    app->add_option("--value-size-exponent", value_size_exponent_,
                    "Value sizes between 100 and 2000 bytes have a density "
                    "~ size^-X (1: log-uniform; 2.9: mostly short values)")
        ->capture_default_str()
        ->check(CLI::Range(0.0, 10.0));
    app->add_option("--segment-bytes", segment_bytes_,
                    "Roll log segments at this size (e.g. 16MiB)")
        ->capture_default_str();
    app->add_option("--segment-age", segment_age_,
                    "Roll log segments at this simulated age (e.g. 1h, 1s: a "
                    "short roll leaves many small segments for compact)")
        ->capture_default_str();
    app->add_option("--start", start_,
                    "Simulated time of the start (RFC 3339 with offset)")
        ->capture_default_str();
    app->footer(
        "The workload: patients, encounters, observations and medication "
        "orders\nwith JSON values (100-2000 bytes), Zipf-skewed access, about "
        "10% deletes,\na daily rhythm and a nightly batch at 02:00 UTC "
        "preceded "
        "by a restore point\nnamed before-nightly-batch-YYYY-MM-DD.\n\n"
        "Examples:\n"
        "  wayback gen --repo ./demo-repo --days 2 --rate 2\n"
        "  wayback gen --repo ./small --days 0.25 --seed 7 --snapshot-every "
        "1h");
    return app;
  }

  int Run(Io& io) override {
    GenerateOptions g;
    g.workload.seed = seed_;
    g.workload.rate = rate_;
    g.workload.duration = absl::Seconds(days_ * 86400.0);
    g.workload.in_place_update_fraction = update_fraction_;
    g.workload.value_size_exponent = value_size_exponent_;
    auto start = ParseCommitTime(start_);
    if (!start.ok())
      return Usage(io, "gen",
                   absl::StrCat("--start: ", start.status().message()));
    g.workload.start_time = *start;
    auto every = ParseDurationFlag("--snapshot-every", snapshot_every_);
    if (!every.ok()) {
      return Usage(io, "gen", std::string(every.status().message()));
    }
    g.snapshot_every = *every;
    // Deltas are built from the repository after the log is written.
    const bool built_snapshots =
        snapshot_kind_ != "full" && *every > absl::ZeroDuration();
    if (built_snapshots) g.snapshot_every = absl::ZeroDuration();
    auto bytes = ParseSizeFlag("--segment-bytes", segment_bytes_);
    if (!bytes.ok()) {
      return Usage(io, "gen", std::string(bytes.status().message()));
    }
    g.segment_max_bytes = *bytes;
    auto age = ParseDurationFlag("--segment-age", segment_age_);
    if (!age.ok() || *age <= absl::ZeroDuration()) {
      return Usage(io, "gen",
                   age.ok() ? "--segment-age: must be positive"
                            : std::string(age.status().message()));
    }
    g.segment_max_age = *age;
    auto storage = CreateRepository(flags_.repo, "gen");
    if (!storage.ok()) return Fail(io, "gen", storage.status());
    int64_t started = Clock::Real()->MonotonicNanos();
    if (io.tty && !flags_.json) {
      CommitTime end =
          g.workload.start_time + absl::ToInt64Nanoseconds(g.workload.duration);
      g.progress = [&io, start = g.workload.start_time, end](CommitTime now,
                                                             uint64_t n) {
        io.err << absl::StrFormat(
                      "\r  generating: %5.1f%% of simulated time, %s "
                      "transactions ",
                      100.0 * (now - start) / std::max<int64_t>(1, end - start),
                      FormatCount(n))
               << std::flush;
      };
    }
    auto r = GenerateRepository(storage->get(), g);
    if (io.tty && !flags_.json) io.err << "\r" << std::string(70, ' ') << "\r";
    if (!r.ok()) return Fail(io, "gen", r.status());
    if (built_snapshots) {
      int depth = 0;
      for (CommitTime t =
               g.workload.start_time + absl::ToInt64Nanoseconds(*every);
           t <= r->last_commit_time; t += absl::ToInt64Nanoseconds(*every)) {
        BuildSnapshotOptions o;
        o.target = RecoveryTarget::Time(t);
        if (snapshot_kind_ == "auto") {
          o.kind = BuildSnapshotOptions::Kind::kAuto;
        } else {
          o.kind =
              depth == 0 || depth >= static_cast<int>(kMaxSnapshotChainDepth)
                  ? BuildSnapshotOptions::Kind::kFull
                  : BuildSnapshotOptions::Kind::kDelta;
        }
        auto built = BuildSnapshot(**storage, o);
        if (!built.ok()) return Fail(io, "gen", built.status());
        if (built->created) ++r->snapshots;
        depth = built->snapshot.kind == SnapshotKind::kDelta
                    ? static_cast<int>(built->snapshot.chain_depth)
                    : 0;
        if (o.kind == BuildSnapshotOptions::Kind::kFull) depth = 1;
      }
    }
    absl::Duration took =
        absl::Nanoseconds(Clock::Real()->MonotonicNanos() - started);
    if (flags_.json) {
      json j = {{"repository", flags_.repo},
                {"seed", seed_},
                {"transactions", r->transactions},
                {"mutations", r->mutations},
                {"deletes", r->deletes},
                {"restore_points", r->restore_points},
                {"snapshots", r->snapshots},
                {"last_lsn", r->last_lsn},
                {"first_commit_time", FormatCommitTime(r->first_commit_time)},
                {"last_commit_time", FormatCommitTime(r->last_commit_time)},
                {"final_state", DigestJson(r->final_digest)},
                {"seconds", absl::ToDoubleSeconds(took)}};
      io.out << j.dump(2) << "\n";
      return kExitOk;
    }
    io.out << "Generated a clinical workload into " << flags_.repo << " (seed "
           << seed_ << ", " << FormatDurationWords(took) << "):\n"
           << "  simulated time   " << FormatCommitTime(r->first_commit_time)
           << " .. " << FormatCommitTime(r->last_commit_time) << "\n"
           << "  transactions     " << FormatCount(r->transactions) << " ("
           << FormatCount(r->mutations) << " mutations, "
           << FormatCount(r->deletes) << " deletes), LSN 1-" << r->last_lsn
           << "\n"
           << "  restore points   " << r->restore_points << "\n"
           << "  snapshots        " << r->snapshots << "\n"
           << "  final state      " << FormatCount(r->final_digest.count)
           << " keys, digest " << r->final_digest.ToString() << "\n";
    return kExitOk;
  }

 private:
  RepoFlags flags_;
  uint64_t seed_ = 1;
  double days_ = 2;
  double rate_ = 1;
  double update_fraction_ = 0;
  double value_size_exponent_ = 1;
  std::string snapshot_every_ = "6h";
  std::string snapshot_kind_ = "full";
  std::string start_ = "2026-11-24T00:00:00Z";
  std::string segment_bytes_ = "16MiB";
  std::string segment_age_ = "1h";
};

}  // namespace

std::unique_ptr<Command> NewGenCommand() {
  return std::make_unique<GenCommand>();
}

}  // namespace wayback::cli
