// Copyright 2026 The Wayback Authors.
//
// wayback expire: deletes what no instant of the recovery window needs
// (include/wayback/expire.h, docs/expire.md).

#include "tools/common.h"
#include "wayback/expire.h"

namespace wayback::cli {
namespace {

// Objects listed in human output before "… and N more".
constexpr size_t kListed = 20;

json StartJson(const std::optional<RestorableStart>& s) {
  if (!s) return nullptr;
  return json{
      {"timeline", s->timeline},
      {"lsn", s->lsn},
      {"commit_time",
       s->lsn == 0 ? json(nullptr) : json(FormatCommitTime(s->commit_time))}};
}

json ObjectsJson(const std::vector<ExpireObject>& objects) {
  json a = json::array();
  for (const ExpireObject& o : objects) {
    a.push_back({{"name", o.name}, {"size", o.size}});
  }
  return a;
}

std::string StartText(const std::optional<RestorableStart>& s) {
  if (!s) return "nothing restorable";
  if (s->lsn == 0) return "the empty state (LSN 0)";
  return absl::StrCat(FormatCommitTime(s->commit_time), " (LSN ", s->lsn, ")");
}

uint64_t Bytes(const std::vector<ExpireObject>& objects) {
  uint64_t n = 0;
  for (const ExpireObject& o : objects) n += o.size;
  return n;
}

void ListObjects(Io& io, const std::vector<ExpireObject>& objects) {
  for (size_t i = 0; i < objects.size() && i < kListed; ++i) {
    io.out << "      " << objects[i].name << "  "
           << FormatBytes(objects[i].size) << "\n";
  }
  if (objects.size() > kListed) {
    io.out << "      ... and " << FormatCount(objects.size() - kListed)
           << " more (--json lists every one)\n";
  }
}

class ExpireCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "expire",
        "Delete what no instant of the recovery window [now - keep, now] "
        "needs; never what it does");
    flags_.Add(app);
    app->add_option("--keep", keep_,
                    "The recovery window to keep, e.g. 35d, 90d, 12h")
        ->required();
    app->add_option("--keep-snapshots", keep_snapshots_,
                    "Also keep at least N snapshots newer than the window's "
                    "base, with the log after them")
        ->capture_default_str();
    app->add_option("--grace", grace_,
                    "Delete only what was found expendable at least this long "
                    "ago (an expire intent written by an earlier run); longer "
                    "than any restore or mirror pass (0s: at once)")
        ->capture_default_str();
    app->add_flag("--dry-run", dry_run_,
                  "Say what would be deleted now; change nothing");
    // For demos and tests of generated histories whose instants lie in the
    // past: the window's "now" (docs/expire.md). Hidden from --help.
    app->add_option("--now", now_, "")->group("");
    app->footer(
        "Kept: the newest snapshot at or before the window's start with its "
        "delta chain,\neverything after it, pinned snapshots, objects under "
        "Object Lock (reported).\nA crash at any instant leaves the window "
        "intact; run it again to finish.\nExit status: 0 done (also when the "
        "repository is younger than the window),\n1 refused (a hole in the "
        "window, a damaged snapshot: the problem is named),\n2 bad usage or "
        "could not run.\n\n"
        "Examples:\n"
        "  wayback expire --repo ./demo-repo --keep 35d --dry-run\n"
        "  wayback expire --repo s3://bucket/app --keep 35d --grace 2h\n"
        "  wayback expire --repo s3://dr/app --keep 90d    # a mirror keeps "
        "longer");
    return app;
  }

  int Run(Io& io) override {
    ExpireOptions o;
    auto keep = ParseDurationFlag("--keep", keep_);
    if (!keep.ok())
      return Usage(io, "expire", std::string(keep.status().message()));
    if (*keep <= absl::ZeroDuration()) {
      return Usage(io, "expire", "--keep must be positive, e.g. 35d");
    }
    o.keep = *keep;
    auto grace = ParseDurationFlag("--grace", grace_);
    if (!grace.ok()) {
      return Usage(io, "expire", std::string(grace.status().message()));
    }
    o.grace = *grace;
    if (keep_snapshots_ < 0) {
      return Usage(io, "expire", "--keep-snapshots must not be negative");
    }
    o.keep_snapshots = keep_snapshots_;
    o.dry_run = dry_run_;
    if (!now_.empty()) {
      auto t = ParseCommitTime(now_);
      if (!t.ok())
        return Usage(io, "expire", std::string(t.status().message()));
      o.now = *t;
    }
    auto repo = OpenRepository(flags_.repo);
    if (!repo.ok()) return Fail(io, "expire", repo.status());
    auto r = ExpireRepository(**repo, o);
    if (!r.ok()) {
      Fail(io, "expire", r.status());
      return absl::IsFailedPrecondition(r.status()) ||
                     absl::IsDataLoss(r.status())
                 ? kExitProblem
                 : kExitUsage;
    }
    if (flags_.json) {
      io.out << json{{"dry_run", dry_run_},
                     {"repository", flags_.repo},
                     {"now", FormatCommitTime(r->now)},
                     {"window_start", FormatCommitTime(r->window_start)},
                     {"timeline", r->timeline},
                     {"base", r->base ? json(r->base->name) : json(nullptr)},
                     {"base_lsn", r->base ? json(r->base->lsn) : json(nullptr)},
                     {"note", r->note},
                     {"deleted", ObjectsJson(r->deleted)},
                     {"deleted_bytes", r->deleted_bytes},
                     {"deferred", ObjectsJson(r->deferred)},
                     {"deferred_bytes", r->deferred_bytes},
                     {"locked", ObjectsJson(r->locked)},
                     {"pinned", r->pinned},
                     {"reprieved", r->reprieved},
                     {"intents_written", r->intents_written},
                     {"intents_done", r->intents_done},
                     {"horizon", r->horizon},
                     {"restorable_before", StartJson(r->restorable_before)},
                     {"restorable_after", StartJson(r->restorable_after)}}
                    .dump(2)
             << "\n";
      return kExitOk;
    }
    const char* would = dry_run_ ? " (would be)" : "";
    io.out << (dry_run_ ? "Dry run of expire on " : "Expired ") << flags_.repo
           << ":\n"
           << "  window           " << FormatCommitTime(r->window_start)
           << " .. " << FormatCommitTime(r->now) << " (" << keep_
           << ", timeline " << r->timeline << ")\n";
    if (!r->note.empty()) io.out << "  note             " << r->note << "\n";
    if (r->base) {
      io.out << "  base kept        " << r->base->name << " (LSN "
             << r->base->lsn << ", " << FormatCommitTime(r->base->commit_time)
             << ")\n";
    }
    io.out << "  deleted          " << FormatCount(r->deleted.size())
           << " objects, " << FormatBytes(r->deleted_bytes) << would << "\n";
    ListObjects(io, r->deleted);
    io.out << "  deferred         " << FormatCount(r->deferred.size())
           << " objects, " << FormatBytes(r->deferred_bytes)
           << " (in an expire intent; deleted by a run after the grace of "
           << grace_ << ")\n";
    ListObjects(io, r->deferred);
    if (!r->locked.empty()) {
      io.out << "  locked           " << FormatCount(r->locked.size())
             << " objects, " << FormatBytes(Bytes(r->locked))
             << " kept: under Object Lock\n";
      ListObjects(io, r->locked);
    }
    if (!r->pinned.empty()) {
      io.out << "  pinned           " << FormatCount(r->pinned.size())
             << " snapshots kept for pins\n";
    }
    if (!r->reprieved.empty()) {
      io.out << "  reprieved        " << FormatCount(r->reprieved.size())
             << " objects an earlier intent listed are needed again; kept\n";
    }
    io.out << "  restorable from  " << StartText(r->restorable_before)
           << " before, " << StartText(r->restorable_after)
           << (dry_run_ ? " after (would be)" : " after") << "\n";
    return kExitOk;
  }

 private:
  RepoFlags flags_;
  std::string keep_;
  int keep_snapshots_ = 0;
  std::string grace_ = "1h";
  bool dry_run_ = false;
  std::string now_;
};

}  // namespace

std::unique_ptr<Command> NewExpireCommand() {
  return std::make_unique<ExpireCommand>();
}

}  // namespace wayback::cli
