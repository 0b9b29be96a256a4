// Copyright 2026 The Wayback Authors.
//
// wayback plan: resolves a target and shows the work a restore would do,
// touching nothing.

#include "absl/strings/str_format.h"
#include "tools/common.h"
#include "tools/plan_text.h"

namespace wayback::cli {
namespace {

class PlanCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "plan",
        "Show what a restore to a target would do (reads headers and "
        "indexes only, changes nothing)");
    flags_.Add(app);
    target_.Add(app);
    app->footer(
        "Examples:\n"
        "  wayback plan --repo ./demo-repo --to 2026-11-25T12:00:00Z\n"
        "  wayback plan --repo ./demo-repo --restore-point "
        "before-nightly-batch-2026-11-25\n"
        "  wayback plan --repo ./demo-repo --txid 4242 --exclusive --json");
    return app;
  }

  int Run(Io& io) override {
    auto target = target_.Resolve();
    if (!target.ok())
      return Usage(io, "plan", std::string(target.status().message()));
    auto storage = OpenRepository(flags_.repo);
    if (!storage.ok()) return Fail(io, "plan", storage.status());
    auto catalog = Catalog::Open((*storage)->storage());
    if (!catalog.ok()) return Fail(io, "plan", catalog.status());
    auto plan = PlanRecovery(**catalog, *target);
    if (!plan.ok()) return Fail(io, "plan", plan.status());
    PlanEstimate est = EstimateRestore(*plan);
    if (flags_.json) {
      json j = PlanJson(*plan);
      j["estimated_seconds"] = absl::ToDoubleSeconds(est.duration);
      j["log_raw_bytes"] = est.log_raw_bytes;
      io.out << j.dump(2) << "\n";
      return kExitOk;
    }
    io.out << DescribePlan(*plan, est);
    return kExitOk;
  }

 private:
  RepoFlags flags_;
  TargetFlags target_;
};

}  // namespace

std::unique_ptr<Command> NewPlanCommand() {
  return std::make_unique<PlanCommand>();
}

}  // namespace wayback::cli
