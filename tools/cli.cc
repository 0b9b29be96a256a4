// Copyright 2026 The Wayback Authors.

#include "tools/cli.h"

#include <exception>
#include <utility>

#include "CLI/CLI.hpp"
#include "tools/bench_command.h"

namespace wayback::cli {
namespace {

constexpr char kDescription[] =
    "wayback: point-in-time recovery for key-value state.\n"
    "A repository holds a log of committed transactions and snapshots; "
    "wayback\n"
    "rebuilds the exact state as of any instant, LSN, transaction or restore "
    "point.";

constexpr char kFooter[] =
    "Every command takes --repo URI (a directory, file:///abs/path or\n"
    "s3://bucket/prefix?endpoint=...) and --json; s3:// credentials come from\n"
    "$AWS_ACCESS_KEY_ID/$AWS_SECRET_ACCESS_KEY or --aws-access-key-id and\n"
    "--aws-secret-access-key (see docs/mirror.md). Times are RFC 3339 with an\n"
    "explicit offset (2026-11-25T10:42:00Z, 2026-11-25T11:42:00+01:00) or\n"
    "@<unix-nanoseconds>. Exit status: 0 success, 1 a problem was found in "
    "the\n"
    "repository, 2 bad usage or could not run.\n\n"
    "Examples:\n"
    "  wayback gen --repo ./demo-repo --days 2\n"
    "  wayback info --repo ./demo-repo\n"
    "  wayback plan --repo ./demo-repo --to 2026-11-25T12:00:00Z\n"
    "  wayback restore --repo ./demo-repo --to 2026-11-25T12:00:00Z --into "
    "rocksdb:./restored\n"
    "  wayback log --repo ./demo-repo --key patient/000000042 --op delete\n"
    "  wayback verify --repo ./demo-repo\n"
    "  wayback check --repo ./demo-repo --min-window 35d\n"
    "  wayback drill --repo ./demo-repo --report ./drills\n"
    "  wayback mirror --from ./demo-repo --to /mnt/dr/demo-repo\n"
    "Run `wayback COMMAND --help` for each command's flags and examples.";

}  // namespace

int RunWayback(const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err, bool tty) {
  Io io{out, err, tty};
  try {
    CLI::App app(kDescription, "wayback");
    app.require_subcommand(1);
    app.footer(kFooter);
    std::vector<std::pair<CLI::App*, std::unique_ptr<Command>>> commands;
    for (auto make :
         {NewGenCommand, NewImportCommand, NewIngestCommand, NewCaptureCommand,
          NewInfoCommand, NewPlanCommand, NewRestoreCommand, NewExportCommand,
          NewVerifyCommand, NewLogCommand, NewDiffCommand, NewMirrorCommand,
          NewSnapshotCommand, NewCompactCommand, NewExpireCommand,
          NewCheckCommand, NewDrillCommand, NewBenchCommand}) {
      std::unique_ptr<Command> c = make();
      CLI::App* sub = c->Register(&app);
      commands.emplace_back(sub, std::move(c));
    }
    // CLI11 would call an unknown word "extra"; name it for what it is.
    if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
      bool known = false;
      for (auto& [sub, c] : commands)
        known = known || sub->get_name() == args[0];
      if (!known) {
        err << "wayback: error: unknown command \"" << args[0]
            << "\"; the commands are gen, import, ingest, capture, info, plan, "
               "restore, export, verify, log, diff, mirror, snapshot, "
               "compact, expire, check, drill and bench\n  Run `wayback "
               "--help`.\n";
        return kExitUsage;
      }
    }
    try {
      app.parse(std::vector<std::string>(args.rbegin(), args.rend()));
    } catch (const CLI::ParseError& e) {
      if (e.get_exit_code() == static_cast<int>(CLI::ExitCodes::Success)) {
        app.exit(e, out, err);  // --help
        return kExitOk;
      }
      std::string where = "wayback";
      std::string help = "wayback --help";
      for (auto& [sub, c] : commands) {
        if (sub->parsed()) {
          where = "wayback " + sub->get_name();
          help = where + " --help";
        }
      }
      err << where << ": error: " << e.what() << "\n  Run `" << help
          << "` for the flags and examples.\n";
      return kExitUsage;
    }
    for (auto& [sub, c] : commands) {
      if (sub->parsed()) return c->Run(io);
    }
    err << "wayback: error: no command given\n  Run `wayback --help`.\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    // Nothing should throw past a command; if something does, say so plainly
    // rather than abort with a stack trace.
    err << "wayback: internal error: " << e.what() << "\n";
    return kExitUsage;
  }
}

}  // namespace wayback::cli
