// Copyright 2026 The Wayback Authors.
//
// wayback snapshot: builds a snapshot from the repository itself (the newest
// snapshot chain plus the log up to the point), verifies it and publishes it.

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "tools/common.h"

namespace wayback::cli {
namespace {

class SnapshotCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "snapshot",
        "Build a snapshot from the repository itself (no application needed): "
        "the newest snapshot plus the log up to the point, verified, then "
        "published");
    flags_.Add(app);
    app->add_option("--at", at_,
                    std::string("The state to snapshot: an LSN, or ") +
                        kTargetSpecHelp + ". Default: latest");
    app->add_option("--threads", threads_,
                    "Threads replaying the log (0: all cores)");
    app->footer(
        "Examples:\n"
        "  wayback snapshot --repo ./demo-repo\n"
        "  wayback snapshot --repo ./demo-repo --at 2026-11-25T12:00:00Z\n"
        "  wayback snapshot --repo s3://dr/app --at 1200000 --json");
    return app;
  }

  int Run(Io& io) override {
    BuildSnapshotOptions o;
    o.threads = threads_;
    uint64_t lsn = 0;
    if (absl::SimpleAtoi(at_, &lsn)) {
      o.target = RecoveryTarget::AtLsn(lsn);
    } else {
      auto target = ParseTargetSpec(at_);
      if (!target.ok()) {
        return Usage(
            io, "snapshot",
            absl::StrCat("--at ", at_, ": ", target.status().message()));
      }
      o.target = *target;
    }
    auto repo = OpenRepository(flags_.repo);
    if (!repo.ok()) return Fail(io, "snapshot", repo.status());
    auto built = BuildSnapshot(**repo, o);
    if (!built.ok()) return Fail(io, "snapshot", built.status());
    if (flags_.json) {
      json j = {{"snapshot", built->snapshot.name},
                {"created", built->created},
                {"timeline", built->snapshot.timeline},
                {"lsn", built->snapshot.lsn},
                {"commit_time", FormatCommitTime(built->snapshot.commit_time)},
                {"pairs", built->snapshot.pair_count},
                {"bytes", built->snapshot.size},
                {"digest", built->snapshot.digest.ToString()},
                {"base", built->base},
                {"log_records", built->log_records},
                {"changed_keys", built->changed_keys},
                {"seconds", absl::ToDoubleSeconds(built->elapsed)}};
      io.out << j.dump(2) << "\n";
    } else {
      io.out << built->ToString();
    }
    return kExitOk;
  }

 private:
  RepoFlags flags_;
  std::string at_ = "latest";
  int threads_ = 0;
};

}  // namespace

std::unique_ptr<Command> NewSnapshotCommand() {
  return std::make_unique<SnapshotCommand>();
}

}  // namespace wayback::cli
