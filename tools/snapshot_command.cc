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
    app->add_option("--pin", pin_,
                    "Pin the snapshot under this name: retention keeps it "
                    "(and the chain it needs) for ever. An existing snapshot "
                    "at the point is pinned as it is");
    app->add_option("--note", note_, "Free text stored with --pin");
    app->add_flag("--list-pins", list_pins_, "List the pins and exit");
    app->add_option("--unpin", unpin_,
                    "Remove the pin of this name (the snapshot stays until "
                    "retention removes it) and exit");
    app->footer(
        "Examples:\n"
        "  wayback snapshot --repo ./demo-repo\n"
        "  wayback snapshot --repo ./demo-repo --at 2026-11-25T12:00:00Z\n"
        "  wayback snapshot --repo s3://dr/app --at 1200000 --json\n"
        "  wayback snapshot --repo ./demo-repo --at 2026-11-30T23:59:59Z "
        "--pin audit-2026-11 --note \"November close\"\n"
        "  wayback snapshot --repo ./demo-repo --list-pins");
    return app;
  }

  int Run(Io& io) override {
    if (list_pins_ || !unpin_.empty()) return Pins(io);
    if (!note_.empty() && pin_.empty()) {
      return Usage(io, "snapshot", "--note needs --pin");
    }
    if (!pin_.empty()) {
      if (absl::Status s = CheckPinName(pin_); !s.ok()) {
        return Usage(io, "snapshot", std::string(s.message()));
      }
    }
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
    std::optional<SnapshotPin> pinned;
    if (!pin_.empty()) {
      auto p = PinSnapshot(**repo, pin_, built->snapshot, note_);
      if (!p.ok()) return Fail(io, "snapshot", p.status());
      pinned = *p;
    }
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
                {"seconds", absl::ToDoubleSeconds(built->elapsed)},
                {"pin", pinned ? json(pinned->name) : json(nullptr)}};
      io.out << j.dump(2) << "\n";
    } else {
      io.out << built->ToString();
      if (pinned) {
        io.out << "pinned as \"" << pinned->name << "\" ("
               << PinObjectName(pinned->name) << ")\n";
      }
    }
    return kExitOk;
  }

  int Pins(Io& io) {
    if (list_pins_ && !unpin_.empty()) {
      return Usage(io, "snapshot",
                   "--list-pins and --unpin exclude each other");
    }
    auto repo = OpenRepository(flags_.repo);
    if (!repo.ok()) return Fail(io, "snapshot", repo.status());
    if (!unpin_.empty()) {
      absl::Status s = RemovePin(**repo, unpin_);
      if (!s.ok()) return Fail(io, "snapshot", s);
      io.out << "removed pin \"" << unpin_ << "\"\n";
      return kExitOk;
    }
    auto pins = ListPins(**repo);
    if (!pins.ok()) return Fail(io, "snapshot", pins.status());
    json arr = json::array();
    for (const SnapshotPin& p : *pins) {
      arr.push_back({{"name", p.name},
                     {"snapshot", p.snapshot},
                     {"lsn", p.lsn},
                     {"commit_time", FormatCommitTime(p.commit_time)},
                     {"digest", p.digest.ToString()},
                     {"created", absl::FormatTime(absl::RFC3339_full, p.created,
                                                  absl::UTCTimeZone())},
                     {"note", p.note}});
    }
    if (flags_.json) {
      io.out << arr.dump(2) << "\n";
      return kExitOk;
    }
    if (pins->empty()) io.out << "no pins\n";
    for (const SnapshotPin& p : *pins) {
      io.out << p.name << "  " << p.snapshot << "  lsn " << p.lsn << "  "
             << FormatCommitTime(p.commit_time) << (p.note.empty() ? "" : "  ")
             << p.note << "\n";
    }
    return kExitOk;
  }

 private:
  RepoFlags flags_;
  std::string at_ = "latest";
  int threads_ = 0;
  std::string pin_;
  std::string note_;
  bool list_pins_ = false;
  std::string unpin_;
};

}  // namespace

std::unique_ptr<Command> NewSnapshotCommand() {
  return std::make_unique<SnapshotCommand>();
}

}  // namespace wayback::cli
