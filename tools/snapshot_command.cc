// Copyright 2026 The Wayback Authors.
//
// wayback snapshot: builds a snapshot from the repository itself (the newest
// snapshot chain plus the log up to the point), verifies it and publishes it.

#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
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
    app->add_option("--kind", kind_,
                    "full: the whole state; delta: only what changed since "
                    "the snapshot the log starts from (restores read the "
                    "chain); auto: a delta while the chain stays within 6 "
                    "deltas and twice the state's pairs, else full")
        ->check(CLI::IsMember({"full", "delta", "auto"}))
        ->capture_default_str();
    app->add_option("--threads", threads_,
                    "Threads replaying the log (0: all cores)");
    app->add_option("--pin", pin_,
                    "Pin the snapshot under this name: retention keeps it "
                    "(and the chain it needs) for ever. An existing snapshot "
                    "at the point is pinned as it is");
    app->add_option("--note", note_, "Free text stored with --pin");
    app->add_option("--from", from_,
                    "rocksdb:PATH: snapshot a RocksDB database instead of "
                    "building from the log: a checkpoint the application "
                    "made at --lsn (or a stopped application's database; one "
                    "open in a process is refused)");
    app->add_option("--lsn", from_lsn_,
                    "With --from: the LSN whose state the database holds "
                    "(the application's guarantee)");
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
    if (!from_.empty()) return FromRocksDB(io);
    if (from_lsn_ != 0) return Usage(io, "snapshot", "--lsn needs --from");
    BuildSnapshotOptions o;
    o.threads = threads_;
    o.kind = kind_ == "delta"  ? BuildSnapshotOptions::Kind::kDelta
             : kind_ == "auto" ? BuildSnapshotOptions::Kind::kAuto
                               : BuildSnapshotOptions::Kind::kFull;
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
                {"kind", built->snapshot.kind == SnapshotKind::kDelta ? "delta"
                                                                      : "full"},
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

  // wayback snapshot --from rocksdb:PATH --lsn N.
  int FromRocksDB(Io& io) {
    if (!absl::StartsWith(from_, "rocksdb:") || from_.size() == 8) {
      return Usage(
          io, "snapshot",
          absl::StrCat("bad --from \"", from_, "\": expected rocksdb:PATH"));
    }
    if (from_lsn_ == 0) {
      return Usage(io, "snapshot",
                   "--from needs --lsn N: the LSN whose state the database "
                   "holds");
    }
    if (at_ != "latest") {
      return Usage(io, "snapshot", "--at and --from exclude each other");
    }
    const std::string path = from_.substr(8);
    auto repo = OpenRepository(flags_.repo);
    if (!repo.ok()) return Fail(io, "snapshot", repo.status());
    auto catalog = (*repo)->ReadCatalog();
    if (!catalog.ok()) return Fail(io, "snapshot", catalog.status());
    // The LSN must be one the repository holds: its commit time labels the
    // snapshot, and a restore continues with the log after it.
    auto plan = PlanRecovery(**catalog, RecoveryTarget::AtLsn(from_lsn_));
    if (!plan.ok()) return Fail(io, "snapshot", plan.status());
    SnapshotWriterOptions wo;
    wo.timeline = plan->target.timeline;
    wo.lsn = from_lsn_;
    wo.commit_time = plan->last_included ? plan->last_included->commit_time : 0;
    auto info = WriteSnapshotFromRocksDBPath((*repo)->storage(), wo, path);
    if (absl::IsAlreadyExists(info.status())) {
      return Fail(io, "snapshot",
                  absl::AlreadyExistsError(absl::StrCat(
                      "the repository already holds a snapshot at lsn ",
                      from_lsn_, " (", info.status().message(),
                      "); snapshots are never replaced")));
    }
    if (!info.ok()) return Fail(io, "snapshot", info.status());
    auto reader = SnapshotReader::Open((*repo)->storage(), info->name);
    absl::Status verified = reader.ok() ? (*reader)->Verify() : reader.status();
    if (!verified.ok()) {
      (*repo)->storage()->Delete(info->name).IgnoreError();
      return Fail(io, "snapshot", verified);
    }
    if (!pin_.empty()) {
      auto p = PinSnapshot(**repo, pin_, *info, note_);
      if (!p.ok()) return Fail(io, "snapshot", p.status());
    }
    if (flags_.json) {
      io.out << json{{"snapshot", info->name},
                     {"lsn", info->lsn},
                     {"pairs", info->pair_count},
                     {"bytes", info->size},
                     {"digest", info->digest.ToString()},
                     {"from", from_}}
                    .dump(2)
             << "\n";
    } else {
      io.out << "wrote snapshot " << info->name << " (lsn " << info->lsn << ", "
             << info->pair_count << " pairs, " << info->size
             << " bytes) from RocksDB " << path
             << "\n  digest:   " << info->digest.ToString()
             << " (verified after publishing)\n";
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
  std::string kind_ = "full";
  int threads_ = 0;
  std::string pin_;
  std::string note_;
  bool list_pins_ = false;
  std::string unpin_;
  std::string from_;
  uint64_t from_lsn_ = 0;
};

}  // namespace

std::unique_ptr<Command> NewSnapshotCommand() {
  return std::make_unique<SnapshotCommand>();
}

}  // namespace wayback::cli
