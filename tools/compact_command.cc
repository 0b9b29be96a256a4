// Copyright 2026 The Wayback Authors.
//
// wayback compact: merges small sealed segments into larger replacement
// segments and, after the grace period, deletes what they replace
// (include/wayback/compact.h).

#include "tools/common.h"
#include "wayback/compact.h"

namespace wayback::cli {
namespace {

class CompactCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "compact",
        "Merge small sealed segments into larger ones; delete the merged "
        "ones after a grace period");
    flags_.Add(app);
    app->add_option("--target-size", target_size_,
                    "Largest merged segment (sum of the merged segments' "
                    "sizes), e.g. 64MiB")
        ->capture_default_str();
    app->add_option("--grace", grace_,
                    "Delete merged segments only once their replacement is "
                    "this old; longer than any restore or mirror pass (e.g. "
                    "1h, 30m, 0s)")
        ->capture_default_str();
    app->add_flag("--dry-run", dry_run_,
                  "Say what would be merged and deleted; change nothing");
    app->footer(
        "A crash at any instant leaves a repository that restores the same; "
        "run it again\nto finish the job. Exit status: 0 done, 1 damage "
        "found, 2 other errors.\n\n"
        "Examples:\n"
        "  wayback compact --repo ./demo-repo --dry-run\n"
        "  wayback compact --repo s3://bucket/app --target-size 64MiB "
        "--grace 2h");
    return app;
  }

  int Run(Io& io) override {
    CompactOptions o;
    auto size = ParseSizeFlag("--target-size", target_size_);
    if (!size.ok()) {
      return Usage(io, "compact", std::string(size.status().message()));
    }
    o.target_size = *size;
    auto grace = ParseDurationFlag("--grace", grace_);
    if (!grace.ok()) {
      return Usage(io, "compact", std::string(grace.status().message()));
    }
    o.grace = *grace;
    o.dry_run = dry_run_;
    auto repo = OpenRepository(flags_.repo);
    if (!repo.ok()) return Fail(io, "compact", repo.status());
    auto r = CompactRepository(**repo, o);
    if (!r.ok()) return Fail(io, "compact", r.status());
    if (flags_.json) {
      json merged = json::array();
      for (const CompactedRun& run : r->merged) {
        merged.push_back({{"replacement", run.replacement},
                          {"replaced", run.replaced},
                          {"timeline", run.timeline},
                          {"first_lsn", run.first_lsn},
                          {"last_lsn", run.last_lsn},
                          {"bytes_before", run.bytes_before},
                          {"bytes_after", run.bytes_after}});
      }
      io.out << json{{"dry_run", dry_run_},
                     {"merged", merged},
                     {"deleted", r->deleted},
                     {"waiting", r->waiting},
                     {"removed_temporaries", r->removed_temporaries}}
                    .dump(2)
             << "\n";
      return kExitOk;
    }
    const char* would = dry_run_ ? " (would be)" : "";
    io.out << (dry_run_ ? "Dry run of compact on " : "Compacted ")
           << flags_.repo << ":\n";
    uint64_t before = 0, after = 0, segments = 0;
    for (const CompactedRun& run : r->merged) {
      before += run.bytes_before;
      after += run.bytes_after;
      segments += run.replaced.size();
      io.out << "  " << run.replacement << "  <- " << run.replaced.size()
             << " segments, LSN " << run.first_lsn << "-" << run.last_lsn
             << " (" << FormatBytes(run.bytes_before);
      if (!dry_run_) io.out << " -> " << FormatBytes(run.bytes_after);
      io.out << ")\n";
    }
    io.out << "  merged           " << FormatCount(segments)
           << " segments into " << r->merged.size() << " replacement(s)"
           << would;
    if (!dry_run_ && !r->merged.empty()) {
      io.out << ", " << FormatBytes(before) << " -> " << FormatBytes(after);
    }
    io.out << "\n"
           << "  deleted          " << FormatCount(r->deleted.size())
           << " superseded segments" << (dry_run_ ? " (would be)" : "") << "\n"
           << "  waiting          " << FormatCount(r->waiting.size())
           << " superseded segments (replacement younger than " << grace_
           << ")\n";
    if (!r->removed_temporaries.empty()) {
      io.out << "  temporaries      " << r->removed_temporaries.size()
             << " removed (an interrupted write)\n";
    }
    return kExitOk;
  }

 private:
  RepoFlags flags_;
  std::string target_size_ = "64MiB";
  std::string grace_ = "1h";
  bool dry_run_ = false;
};

}  // namespace

std::unique_ptr<Command> NewCompactCommand() {
  return std::make_unique<CompactCommand>();
}

}  // namespace wayback::cli
