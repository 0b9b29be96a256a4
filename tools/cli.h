// Copyright 2026 The Wayback Authors.
//
// The `wayback` command-line tool, as a library so that every subcommand can
// be run in process by tests: RunWayback() parses the arguments, runs one
// subcommand and returns its exit code; nothing is written to std::cout or
// std::cerr directly and no exception escapes.
//
// Exit codes: 0 success; 1 the check or restore found a problem (a damaged
// repository); 2 bad usage, or the command could not run.

#ifndef WAYBACK_TOOLS_CLI_H_
#define WAYBACK_TOOLS_CLI_H_

#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace CLI {
class App;
}  // namespace CLI

namespace wayback::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitProblem = 1;
inline constexpr int kExitUsage = 2;

// Where a command writes. `tty` says that `err` is a terminal (progress
// displays are shown only then).
struct Io {
  std::ostream& out;
  std::ostream& err;
  bool tty = false;
};

// One subcommand. Register() declares it and its flags on the parent app
// (binding them to members); Run() executes it after a successful parse.
class Command {
 public:
  virtual ~Command() = default;
  virtual CLI::App* Register(CLI::App* parent) = 0;
  virtual int Run(Io& io) = 0;
};

std::unique_ptr<Command> NewGenCommand();
std::unique_ptr<Command> NewImportCommand();
std::unique_ptr<Command> NewIngestCommand();
std::unique_ptr<Command> NewCaptureCommand();
std::unique_ptr<Command> NewInfoCommand();
std::unique_ptr<Command> NewPlanCommand();
std::unique_ptr<Command> NewSnapshotCommand();
std::unique_ptr<Command> NewRestoreCommand();
std::unique_ptr<Command> NewExportCommand();
std::unique_ptr<Command> NewVerifyCommand();
std::unique_ptr<Command> NewLogCommand();
std::unique_ptr<Command> NewDiffCommand();
std::unique_ptr<Command> NewMirrorCommand();
std::unique_ptr<Command> NewCompactCommand();
std::unique_ptr<Command> NewExpireCommand();
std::unique_ptr<Command> NewCheckCommand();
std::unique_ptr<Command> NewDrillCommand();

// Runs `wayback ARGS...` (args excludes the program name).
int RunWayback(const std::vector<std::string>& args, std::ostream& out,
               std::ostream& err, bool tty = false);

}  // namespace wayback::cli

#endif  // WAYBACK_TOOLS_CLI_H_
