// Copyright 2026 The Wayback Authors.
//
// wayback verify: checks every checksum, the LSN continuity and every
// snapshot digest, listing every problem.

#include "tools/common.h"

namespace wayback::cli {
namespace {

class VerifyCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "verify",
        "Check every block, snapshot and digest of a repository and "
        "list every problem");
    flags_.Add(app);
    app->add_flag(
        "--restore-test", restore_test_,
        "Also replay each snapshot forward to the next and compare digests");
    app->add_option("--threads", threads_, "Threads (0: all cores)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1024));
    app->footer(
        "Exit status: 0 clean, 1 problems found, 2 could not check.\n\n"
        "Examples:\n"
        "  wayback verify --repo ./demo-repo\n"
        "  wayback verify --repo ./demo-repo --restore-test --json");
    return app;
  }

  int Run(Io& io) override {
    auto storage = OpenRepository(flags_.repo);
    if (!storage.ok()) return Fail(io, "verify", storage.status());
    VerifyOptions o;
    o.restore_test = restore_test_;
    o.threads = threads_;
    auto report = VerifyRepository((*storage)->storage(), o);
    if (!report.ok()) {
      io.err << "wayback verify: error: could not check: "
             << report.status().message() << "\n";
      return kExitUsage;
    }
    const VerifyReport& r = *report;
    if (flags_.json) {
      json problems = json::array();
      for (const CatalogProblem& p : r.problems) {
        problems.push_back({{"object", p.object},
                            {"message", p.message},
                            {"code", absl::StatusCodeToString(p.code)}});
      }
      io.out << json{{"ok", r.ok()},
                     {"problems", problems},
                     {"segments_checked", r.segments_checked},
                     {"blocks_checked", r.blocks_checked},
                     {"snapshots_checked", r.snapshots_checked},
                     {"restore_tests", r.restore_tests}}
                    .dump(2)
             << "\n";
      return r.ok() ? kExitOk : kExitProblem;
    }
    io.out << "Checked " << flags_.repo << ": "
           << FormatCount(r.segments_checked) << " segments ("
           << FormatCount(r.blocks_checked) << " blocks), "
           << r.snapshots_checked << " snapshots";
    if (restore_test_) io.out << ", " << r.restore_tests << " restore tests";
    io.out << "\n";
    if (r.ok()) {
      io.out << "No problems found: every checksum, the LSN sequence and every "
                "snapshot digest are correct.\n";
      return kExitOk;
    }
    io.out << r.problems.size() << " problem(s):\n";
    for (const CatalogProblem& p : r.problems) {
      io.out << "  " << p.object << ": " << p.message << "\n";
    }
    return kExitProblem;
  }

 private:
  RepoFlags flags_;
  bool restore_test_ = false;
  int threads_ = 0;
};

}  // namespace

std::unique_ptr<Command> NewVerifyCommand() {
  return std::make_unique<VerifyCommand>();
}

}  // namespace wayback::cli
