// Copyright 2026 The Wayback Authors.
//
// wayback mirror: copies a repository's immutable objects (sealed segments
// and snapshots) into one or more other repositories, verified and never
// overwriting, and reports how far each mirror lags behind the source.
//
// What is copied, and why: only objects that can never change. A sealed
// segment (log/*.seg) and a snapshot (snap/*.snap) are immutable once
// published. The live segment (log/*.live) still grows; copying it would
// freeze a prefix at the mirror that create-only writes could never update,
// so it is left for the run after it is sealed (the writer seals by size and
// by age, LogWriterOptions::segment_max_age, which therefore bounds the lag).
// In-flight temporaries (*.tmp), the writer's lock and unknown objects are
// not copied either; unknown ones are listed so that nothing is skipped
// silently.
//
// How lag is counted: the source's newest commit includes the live segment's
// last one (that commit exists and a restore from the source reaches it),
// while the mirror holds only sealed data; so the lag reported is what a
// restore from the mirror would lose against one from the source, live
// segment included. It is measured from each mirror's own objects (its
// catalog) after the copy, not inferred from what was copied.
//
// The pass itself (which objects, the checks at the source, the create-only
// copy read back, the lag from the mirror's own catalog) is the library's
// MirrorRepository(Repository, ...) in wayback/repository.h; this file holds
// the flags and the printing.

#include <filesystem>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/common.h"
#include "wayback/capture.h"
#include "wayback/log.h"
#include "wayback/mirror.h"
#include "wayback/repository.h"

namespace wayback::cli {
namespace {

namespace fs = std::filesystem;

using Newest = CommitPoint;

json NewestJson(const std::optional<Newest>& n) {
  if (!n) return nullptr;
  json j = {{"timeline", n->timeline},
            {"lsn", n->lsn},
            {"commit_time", FormatCommitTime(n->commit_time)},
            {"commit_time_ns", n->commit_time}};
  if (!n->object.empty()) {
    j["object"] = n->object;
    j["live"] = n->live;
  }
  return j;
}

std::string NewestText(const std::optional<Newest>& n) {
  if (!n) return "none (no commits)";
  std::string s = absl::StrCat("LSN ", n->lsn, " committed ",
                               FormatCommitTime(n->commit_time));
  if (n->timeline != kFirstTimeline) {
    absl::StrAppend(&s, " on timeline ", n->timeline);
  }
  return s;
}

// The lag in words.
std::string LagText(const std::optional<Newest>& source, const MirrorLag& lag) {
  if (!source) return "none (the source holds no commits)";
  if (!lag.time) {
    return absl::StrCat(FormatCount(source->lsn),
                        " LSNs: the mirror holds no commits yet");
  }
  if (lag.caught_up()) {
    return "none: the mirror holds the source's newest commit";
  }
  return absl::StrCat(lag.lsns ? absl::StrCat(FormatCount(*lag.lsns), " LSNs, ")
                               : std::string("another timeline, "),
                      FormatDurationWords(*lag.time), " of commits");
}

json LagJson(const MirrorLag& lag, const std::string& text) {
  return {{"lsns", lag.lsns ? json(*lag.lsns) : json(nullptr)},
          {"seconds",
           lag.time ? json(absl::ToDoubleSeconds(*lag.time)) : json(nullptr)},
          {"text", text}};
}

bool SameLocation(const std::string& a, const std::string& b) {
  absl::StatusOr<std::optional<std::string>> pa = LocalPathOfUri(a),
                                             pb = LocalPathOfUri(b);
  if (pa.ok() && pb.ok() && *pa && *pb) {
    std::error_code ec1, ec2;
    fs::path ca = fs::weakly_canonical(**pa, ec1);
    fs::path cb = fs::weakly_canonical(**pb, ec2);
    return !ec1 && !ec2 && ca == cb;
  }
  return a == b;
}

struct MirrorOutcome {
  std::string uri;
  absl::Status status;  // The first failure (open, copy), if any.
  std::optional<RepositoryMirrorResult> result;
  const MirrorReport* report() const {
    return result ? &result->report : nullptr;
  }
  std::vector<std::pair<std::string, std::string>> conflicts;  // name, sizes
  std::optional<Newest> newest;
  std::optional<Newest> restorable;
  MirrorLag lag;
  std::string lag_text;
  bool measured = false;  // newest/restorable/lag were read from the mirror.
  int exit = kExitOk;
};

class MirrorCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "mirror",
        "Copy a repository's sealed segments and snapshots to one or more "
        "mirrors (verified, never overwriting) and report each mirror's lag");
    app->add_option("--from", from_,
                    "The source repository URI (a directory, "
                    "file:///abs/path or s3://bucket/prefix?endpoint=...)")
        ->required();
    app->add_option("--to", to_,
                    "A mirror URI; repeat for several mirrors. Created if "
                    "missing (a local directory must be new, empty or a "
                    "mirror already; an S3 bucket must exist)")
        ->required();
    app->add_flag("--json", json_, "Machine-readable JSON output");
    app->add_flag("--verify-existing", verify_existing_,
                  "Also compare the CRC32C of objects the mirror already "
                  "holds with the source's (reads both in full); by default "
                  "they are compared by size");
    app->add_flag("--dry-run", dry_run_,
                  "Report what would be copied; write nothing");
    app->add_option("--parallelism", parallelism_,
                    "Objects copied at once per mirror")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    app->add_flag("--follow", follow_,
                  "Keep mirroring: a pass every --interval until SIGTERM or "
                  "SIGINT (the archiver of docs/ingest.md, as its own "
                  "process)");
    app->add_option("--interval", interval_,
                    "With --follow: the time between passes")
        ->capture_default_str();
    app->add_option("--status-file", status_file_,
                    "With --follow: rewrite this JSON file atomically after "
                    "every pass (each mirror's lag, last success, last "
                    "error)");
    AddS3Flags(app);
    app->footer(
        "Copies only immutable objects: sealed segments and snapshots. The "
        "live\n"
        "segment is copied once the writer seals it (by size or age), so "
        "the lag\n"
        "reported - the source's newest commit, live segment included, "
        "against\n"
        "the mirror's newest - is what a restore from the mirror would miss. "
        "Each\n"
        "object is verified at the source (block checksums) before it is "
        "copied,\n"
        "and read back from the mirror after (CRC32C). An object present at\n"
        "both with a different size (with --verify-existing: a different\n"
        "CRC32C) is an error, never overwritten. Run again, it copies "
        "nothing.\n"
        "Exit status: 0 every mirror is complete and verified; 1 a conflict "
        "or a\n"
        "damaged object was found; 2 bad usage or could not run.\n\n"
        "Examples:\n"
        "  wayback mirror --from ./demo-repo --to /mnt/dr/demo-repo\n"
        "  wayback mirror --from ./demo-repo --to "
        "'s3://dr-bucket/demo?region=eu-west-1' --to /mnt/dr/demo-repo\n"
        "  wayback mirror --from ./demo-repo --to "
        "'s3://b/demo?endpoint=http://127.0.0.1:9000' --json");
    return app;
  }

  int Run(Io& io) override {
    for (const std::string& to : to_) {
      if (SameLocation(from_, to)) {
        return Usage(io, "mirror",
                     absl::StrCat("--to ", to, " is the source itself"));
      }
    }
    auto source = OpenRepository(from_);
    if (!source.ok()) return Fail(io, "mirror", source.status());
    if (follow_) return Follow(io, source->get());

    std::vector<MirrorOutcome> outcomes;
    for (const std::string& to : to_) {
      outcomes.push_back(MirrorOne(**source, to));
    }
    // The source's side, as the first pass that got that far saw it.
    RepositoryMirrorResult described;
    const RepositoryMirrorResult* seen = nullptr;
    for (const MirrorOutcome& m : outcomes) {
      if (m.result) {
        seen = &*m.result;
        break;
      }
    }
    if (seen == nullptr) {
      // No pass got as far as the source's catalog: describe it directly.
      auto d = (*source)->Describe();
      if (!d.ok()) return Fail(io, "mirror", d.status());
      described.source_newest = d->newest_commit;
      described.source_newest_sealed = d->newest_sealed_commit;
      seen = &described;
    }
    const std::optional<Newest>& source_newest = seen->source_newest;
    const std::optional<Newest>& source_sealed = seen->source_newest_sealed;

    int exit = kExitOk;
    for (const MirrorOutcome& m : outcomes) exit = std::max(exit, m.exit);
    if (json_) {
      json j;
      j["ok"] = exit == kExitOk;
      j["dry_run"] = dry_run_;
      j["source"] = {{"uri", from_},
                     {"objects", seen->source_objects},
                     {"bytes", seen->source_bytes},
                     {"newest_commit", NewestJson(source_newest)},
                     {"newest_sealed_commit", NewestJson(source_sealed)},
                     {"live_segments", seen->live},
                     {"not_mirrored", seen->unknown}};
      json mirrors = json::array();
      for (const MirrorOutcome& m : outcomes) mirrors.push_back(MirrorJson(m));
      j["mirrors"] = mirrors;
      io.out << j.dump(2) << "\n";
    } else {
      io.out << "Source " << from_ << ": " << FormatCount(seen->source_objects)
             << " sealed segments, snapshots and identity ("
             << FormatBytes(seen->source_bytes) << ")\n";
      io.out << "  newest commit   " << NewestText(source_newest);
      if (source_newest && source_newest->live) {
        io.out << "\n                  (in the live segment "
               << source_newest->object
               << ", mirrored once sealed; newest sealed: "
               << NewestText(source_sealed) << ")";
      }
      io.out << "\n";
      if (!seen->unknown.empty()) {
        io.out << "  not mirrored    " << seen->unknown.size()
               << " unknown objects: " << absl::StrJoin(seen->unknown, ", ")
               << "\n";
      }
      for (const MirrorOutcome& m : outcomes) PrintMirror(io, m);
    }
    for (const MirrorOutcome& m : outcomes) {
      if (!m.status.ok()) {
        io.err << "wayback mirror: error: " << m.status.message() << "\n";
      }
      for (const auto& [name, sizes] : m.conflicts) {
        io.err << "wayback mirror: error: " << m.uri << " holds " << name
               << " with different content than the source (" << sizes
               << "); not overwritten. Find out which copy is right before "
                  "removing either.\n";
      }
      if (m.report() != nullptr) {
        for (const MirrorRejection& r : m.report()->rejected) {
          io.err << "wayback mirror: error: " << r.name
                 << " is damaged at the source and was not copied to " << m.uri
                 << ": " << r.message << "\n";
        }
      }
    }
    if (exit == kExitProblem) {
      io.err << "  Run `wayback verify --repo ...` on the source and each "
                "mirror to list every problem.\n";
    }
    return exit;
  }

 private:
  // --follow: an Archiver over every mirror until a stop signal.
  int Follow(Io& io, const Repository* source) {
    auto interval = ParseDurationFlag("--interval", interval_);
    if (!interval.ok()) {
      return Usage(io, "mirror", std::string(interval.status().message()));
    }
    if (dry_run_) return Usage(io, "mirror", "--follow and --dry-run conflict");
    std::vector<std::unique_ptr<Repository>> mirrors;
    RepositoryOptions ro;
    ro.s3 = CliS3Settings();
    for (const std::string& to : to_) {
      auto m = Repository::OpenOrCreateMirror(to, *source, ro);
      if (!m.ok()) {
        return Fail(io, "mirror",
                    absl::Status(m.status().code(),
                                 absl::StrCat("mirror ", to, ": ",
                                              m.status().message())));
      }
      mirrors.push_back(*std::move(m));
    }
    StopSignals signals;
    ArchiverOptions ao;
    ao.interval = *interval;
    ao.mirror.parallelism = parallelism_;
    ao.mirror.verify_existing = verify_existing_;
    auto archiver = Archiver::Start(source, std::move(mirrors), ao);
    if (!archiver.ok()) return Fail(io, "mirror", archiver.status());
    auto states_json = [&](const std::vector<ArchiverMirrorState>& states) {
      json arr = json::array();
      for (const ArchiverMirrorState& m : states) {
        arr.push_back(
            {{"uri", m.uri},
             {"lag_seconds", absl::ToDoubleSeconds(m.lag)},
             {"mirrored", NewestJson(m.mirrored)},
             {"passes", m.passes},
             {"failed_passes", m.failed_passes},
             {"copied_objects", m.copied_objects},
             {"copied_bytes", m.copied_bytes},
             {"last_error", m.last_error.ok()
                                ? json(nullptr)
                                : json(std::string(m.last_error.message()))},
             {"problems", m.problems}});
      }
      return arr;
    };
    absl::Time last_report = absl::Now();
    while (StopSignals::Received() == 0) {
      absl::SleepFor(absl::Milliseconds(50));
      if (absl::Now() - last_report < absl::Seconds(1)) continue;
      last_report = absl::Now();
      const auto states = (*archiver)->States(last_report);
      if (!status_file_.empty()) {
        absl::Status s = ReplaceFileAtomically(
            status_file_,
            json{
                {"heartbeat", FormatCommitTime(absl::ToUnixNanos(last_report))},
                {"source", from_},
                {"mirrors", states_json(states)}}
                    .dump(2) +
                "\n");
        if (!s.ok())
          io.err << "wayback mirror: warning: " << s.message() << "\n";
      }
      if (io.tty) {
        io.err << "\r";
        for (const ArchiverMirrorState& m : states) {
          io.err << m.uri << ": lag " << FormatDurationWords(m.lag)
                 << (m.last_error.ok() ? "" : " (failing)") << "  ";
        }
        io.err << std::flush;
      }
    }
    absl::Status stopped = (*archiver)->Stop(/*final_pass=*/false);
    const auto states = (*archiver)->States(absl::Now());
    int exit = kExitOk;
    for (const ArchiverMirrorState& m : states) {
      if (!m.problems.empty()) exit = kExitProblem;
    }
    if (json_) {
      io.out << json{{"ok", exit == kExitOk}, {"mirrors", states_json(states)}}
                    .dump(2)
             << "\n";
    } else {
      if (io.tty) io.err << "\n";
      for (const ArchiverMirrorState& m : states) {
        io.out << "Mirror " << m.uri << ": " << m.passes << " passes ("
               << m.failed_passes << " failed), copied "
               << FormatCount(m.copied_objects) << " objects ("
               << FormatBytes(m.copied_bytes) << "); newest "
               << NewestText(m.mirrored) << "; lag "
               << (m.lag == absl::ZeroDuration() ? std::string("none")
                                                 : FormatDurationWords(m.lag))
               << "\n";
        for (const std::string& p : m.problems) {
          io.err << "wayback mirror: error: " << m.uri << ": " << p << "\n";
        }
      }
    }
    (void)stopped;
    return exit;
  }

  MirrorOutcome MirrorOne(const Repository& source, const std::string& to) {
    MirrorOutcome m;
    m.uri = to;
    auto fail = [&](absl::Status s) {
      m.status = std::move(s);
      m.exit = std::max(m.exit, ExitCodeFor(m.status));
    };
    RepositoryOptions ro;
    ro.s3 = CliS3Settings();
    // A dry run does not create the mirror: a missing local one is empty.
    std::unique_ptr<Storage> scratch;
    std::unique_ptr<Repository> dest;
    absl::StatusOr<std::optional<std::string>> local = LocalPathOfUri(to);
    std::error_code ec;
    if (dry_run_ && local.ok() && *local && !fs::exists(**local, ec)) {
      scratch = NewMemoryStorage();
    } else {
      auto opened = Repository::OpenOrCreateMirror(to, source, ro);
      if (!opened.ok()) {
        const absl::Status& st = opened.status();
        fail(absl::StrContains(st.message(), to)
                 ? st
                 : absl::Status(st.code(), absl::StrCat("mirror ", to, ": ",
                                                        st.message())));
        return m;
      }
      dest = std::move(*opened);
    }
    Storage* dest_storage = dest ? dest->storage() : scratch.get();
    RepositoryMirrorOptions options;
    options.parallelism = parallelism_;
    options.verify_existing = verify_existing_;
    options.dry_run = dry_run_;
    absl::StatusOr<RepositoryMirrorResult> result =
        MirrorRepository(source, dest_storage, options);
    if (!result.ok()) {
      fail(result.status());
      // The lag, from what the mirror itself holds despite the failure.
      auto catalog = Catalog::Open(dest_storage);
      if (catalog.ok()) {
        const RepositoryDescription d = DescribeCatalog(**catalog);
        m.newest = d.newest_commit;
        m.restorable = d.newest_restorable;
        auto src = source.Describe();
        if (src.ok()) {
          m.lag = LagBetween(src->newest_commit, m.newest);
          m.lag_text = LagText(src->newest_commit, m.lag);
          m.measured = true;
        }
      }
      return m;
    }
    m.result = std::move(*result);
    const MirrorReport& report = m.result->report;
    for (const std::string& name : report.conflicts) {
      auto a = source.storage()->Stat(name);
      auto b = dest_storage->Stat(name);
      std::string sizes =
          a.ok() && b.ok() && a->size == b->size
              ? absl::StrCat("both ", a->size, " bytes, CRC32C differs")
              : absl::StrCat("source ", a.ok() ? absl::StrCat(a->size) : "?",
                             " bytes, mirror ",
                             b.ok() ? absl::StrCat(b->size) : "?", " bytes");
      m.conflicts.emplace_back(name, sizes);
    }
    if (!report.conflicts.empty() || !report.rejected.empty()) {
      m.exit = std::max(m.exit, kExitProblem);
    }
    m.newest = m.result->mirror_newest;
    m.restorable = m.result->mirror_restorable;
    m.lag = m.result->lag;
    m.lag_text = LagText(m.result->source_newest, m.lag);
    m.measured = true;
    return m;
  }

  json MirrorJson(const MirrorOutcome& m) const {
    json j;
    j["uri"] = m.uri;
    j["ok"] = m.exit == kExitOk;
    j["error"] =
        m.status.ok() ? json(nullptr) : json(std::string(m.status.message()));
    if (m.report() != nullptr) {
      const MirrorReport& r = *m.report();
      j["copied"] = r.copied;
      j["copied_objects"] = r.copied_objects;
      j["copied_bytes"] = r.copied_bytes;
      j["already_present"] = r.already_present;
      json conflicts = json::array();
      for (const auto& [name, sizes] : m.conflicts) {
        conflicts.push_back({{"object", name}, {"detail", sizes}});
      }
      j["conflicts"] = conflicts;
      json rejected = json::array();
      for (const MirrorRejection& x : r.rejected) {
        rejected.push_back({{"object", x.name}, {"message", x.message}});
      }
      j["rejected"] = rejected;
      j["vanished"] = r.vanished;
      j["removed_temporaries"] = r.removed_temporaries;
    }
    if (m.measured) {
      j["newest_commit"] = NewestJson(m.newest);
      j["newest_restorable"] = NewestJson(m.restorable);
      j["lag"] = LagJson(m.lag, m.lag_text);
    } else {
      j["newest_commit"] = j["newest_restorable"] = j["lag"] = nullptr;
    }
    return j;
  }

  void PrintMirror(Io& io, const MirrorOutcome& m) const {
    io.out << "Mirror " << m.uri << (m.exit == kExitOk ? "" : " (FAILED)")
           << "\n";
    if (m.report() != nullptr) {
      const MirrorReport& r = *m.report();
      if (r.copied_objects == 0) {
        io.out << "  copied          nothing"
               << (r.conflicts.empty() && r.rejected.empty()
                       ? absl::StrCat(": the mirror already holds all ",
                                      FormatCount(r.already_present),
                                      " sealed segments, snapshots and "
                                      "identity")
                       : std::string())
               << "\n";
      } else {
        uint64_t segs = 0, ids = 0;
        for (const std::string& n : r.copied) {
          segs += ClassifyObject(n).kind == ObjectKind::kSegment;
          ids += ClassifyObject(n).kind == ObjectKind::kIdentity;
        }
        io.out << "  " << (dry_run_ ? "would copy      " : "copied          ")
               << FormatCount(r.copied_objects) << " objects (" << segs
               << " segments, " << r.copied_objects - segs - ids << " snapshots"
               << (ids > 0 ? ", the identity" : "") << "), "
               << FormatBytes(r.copied_bytes)
               << (dry_run_ ? ""
                            : "; each checked at the source, then read back "
                              "from the mirror with a matching CRC32C")
               << "\n";
        io.out << "  already there   " << FormatCount(r.already_present)
               << " objects\n";
      }
      if (!r.conflicts.empty()) {
        io.out << "  conflicts       " << r.conflicts.size()
               << " (not overwritten): " << absl::StrJoin(r.conflicts, ", ")
               << "\n";
      }
      if (!r.rejected.empty()) {
        io.out << "  damaged source  " << r.rejected.size() << " (not copied):";
        for (const MirrorRejection& x : r.rejected) io.out << " " << x.name;
        io.out << "\n";
      }
      if (!r.vanished.empty()) {
        io.out << "  vanished        " << r.vanished.size()
               << " deleted at the source while mirroring\n";
      }
      if (!r.removed_temporaries.empty()) {
        io.out << "  cleaned up      " << r.removed_temporaries.size()
               << " stale temporaries of earlier, interrupted copies: "
               << absl::StrJoin(r.removed_temporaries, ", ") << "\n";
      }
    }
    if (!m.status.ok()) {
      io.out << "  error           " << m.status.message() << "\n";
    }
    if (!m.measured) return;
    io.out << "  newest commit   " << NewestText(m.newest) << "\n";
    if (m.restorable && (!m.newest || m.restorable->lsn != m.newest->lsn ||
                         m.restorable->timeline != m.newest->timeline)) {
      io.out << "  restorable to   " << NewestText(m.restorable) << "\n";
    }
    io.out << "  lag             " << m.lag_text << "\n";
  }

  std::string from_;
  std::vector<std::string> to_;
  bool json_ = false;
  bool verify_existing_ = false;
  bool dry_run_ = false;
  int parallelism_ = 4;
  bool follow_ = false;
  std::string interval_ = "1s";
  std::string status_file_;
};

}  // namespace

std::unique_ptr<Command> NewMirrorCommand() {
  return std::make_unique<MirrorCommand>();
}

}  // namespace wayback::cli
