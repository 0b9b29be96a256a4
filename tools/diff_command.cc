// Copyright 2026 The Wayback Authors.
//
// wayback diff: keys added, changed and removed between two targets, with old
// and new values (what an engineer needs to put back records deleted by
// mistake). Both states are rebuilt in memory and merged in key order.

#include <map>

#include "absl/strings/match.h"
#include "tools/common.h"
#include "wayback/state_target.h"

namespace wayback::cli {
namespace {

using Pairs = std::map<std::string, std::string>;

class DiffCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "diff", "Keys added, changed and removed between two targets");
    flags_.Add(app);
    app->add_option("--from", from_,
                    std::string("The earlier target: ") + kTargetSpecHelp)
        ->required();
    app->add_option("--until", until_,
                    std::string("The later target: ") + kTargetSpecHelp)
        ->required();
    app->add_option("--prefix", prefix_, "Only keys starting with this");
    app->footer(
        "Examples:\n"
        "  wayback diff --repo ./demo-repo "
        "--from restore-point:before-nightly-batch-2026-11-25 --until latest\n"
        "  wayback diff --repo ./demo-repo --from 2026-11-25T09:00:00Z "
        "--until 2026-11-25T10:00:00Z --prefix patient/000000042/ --json");
    return app;
  }

  int Run(Io& io) override {
    auto from = ParseTargetSpec(from_);
    if (!from.ok())
      return Usage(io, "diff",
                   absl::StrCat("--from: ", from.status().message()));
    auto until = ParseTargetSpec(until_);
    if (!until.ok())
      return Usage(io, "diff",
                   absl::StrCat("--until: ", until.status().message()));
    auto storage = OpenRepository(flags_.repo);
    if (!storage.ok()) return Fail(io, "diff", storage.status());
    auto catalog = Catalog::Open((*storage)->storage());
    if (!catalog.ok()) return Fail(io, "diff", catalog.status());
    Pairs a, b;
    std::optional<RestoreResult> ra, rb;
    if (int rc = Load(io, **catalog, *from, &a, &ra); rc != kExitOk) return rc;
    if (int rc = Load(io, **catalog, *until, &b, &rb); rc != kExitOk) return rc;

    json added = json::array(), changed = json::array(),
         removed = json::array();
    auto ia = a.begin();
    auto ib = b.begin();
    while (ia != a.end() || ib != b.end()) {
      if (ib == b.end() || (ia != a.end() && ia->first < ib->first)) {
        json j;
        PutBytesField(&j, "key", ia->first);
        PutBytesField(&j, "old_value", ia->second);
        removed.push_back(j);
        ++ia;
      } else if (ia == a.end() || ib->first < ia->first) {
        json j;
        PutBytesField(&j, "key", ib->first);
        PutBytesField(&j, "new_value", ib->second);
        added.push_back(j);
        ++ib;
      } else {
        if (ia->second != ib->second) {
          json j;
          PutBytesField(&j, "key", ia->first);
          PutBytesField(&j, "old_value", ia->second);
          PutBytesField(&j, "new_value", ib->second);
          changed.push_back(j);
        }
        ++ia;
        ++ib;
      }
    }
    if (flags_.json) {
      io.out << json{{"from",
                      {{"target", ra->plan.target.ToString()},
                       {"last_applied", CommitJson(ra->last_applied)}}},
                     {"until",
                      {{"target", rb->plan.target.ToString()},
                       {"last_applied", CommitJson(rb->last_applied)}}},
                     {"prefix", prefix_},
                     {"added", added},
                     {"changed", changed},
                     {"removed", removed}}
                    .dump(2)
             << "\n";
      return kExitOk;
    }
    io.out << "From  " << ra->plan.target.ToString() << " (last applied "
           << DescribeCommit(ra->last_applied) << ")\n"
           << "Until " << rb->plan.target.ToString() << " (last applied "
           << DescribeCommit(rb->last_applied) << ")\n"
           << added.size() << " added, " << changed.size() << " changed, "
           << removed.size() << " removed"
           << (prefix_.empty() ? "" : absl::StrCat(" under \"", prefix_, "\""))
           << "\n";
    auto text = [](const json& j, const char* name) {
      std::string n = name;
      if (j.contains(n)) return Printable(j[n].get<std::string>(), 100);
      return "b64:" + j[n + "_b64"].get<std::string>();
    };
    for (const json& j : removed) {
      io.out << "- " << text(j, "key") << "\n    was " << text(j, "old_value")
             << "\n";
    }
    for (const json& j : changed) {
      io.out << "~ " << text(j, "key") << "\n    was " << text(j, "old_value")
             << "\n    now " << text(j, "new_value") << "\n";
    }
    for (const json& j : added) {
      io.out << "+ " << text(j, "key") << "\n    now " << text(j, "new_value")
             << "\n";
    }
    return kExitOk;
  }

 private:
  int Load(Io& io, const Catalog& catalog, const RecoveryTarget& target,
           Pairs* pairs, std::optional<RestoreResult>* result) {
    auto plan = PlanRecovery(catalog, target);
    if (!plan.ok()) return Fail(io, "diff", plan.status());
    auto state = NewMemoryTarget();
    auto r = Restore(catalog.storage(), *plan, state.get(), {});
    if (!r.ok()) return Fail(io, "diff", r.status());
    *result = *std::move(r);
    absl::Status s = state->ForEach([&](std::string_view k,
                                        std::string_view v) {
      if (absl::StartsWith(absl::string_view(k.data(), k.size()), prefix_)) {
        pairs->emplace(std::string(k), std::string(v));
      }
      return true;
    });
    if (!s.ok()) return Fail(io, "diff", s);
    return kExitOk;
  }

  RepoFlags flags_;
  std::string from_, until_, prefix_;
};

}  // namespace

std::unique_ptr<Command> NewDiffCommand() {
  return std::make_unique<DiffCommand>();
}

}  // namespace wayback::cli
