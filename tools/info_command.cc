// Copyright 2026 The Wayback Authors.
//
// wayback info: what a repository holds and which instants it can restore.
// Reads headers, footers and indexes only (the catalog).

#include <algorithm>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/common.h"
#include "tools/health.h"
#include "wayback/clock.h"

namespace wayback::cli {
namespace {

class InfoCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "info",
        "Show snapshots, segments, timelines, sizes and the "
        "recoverable window(s) of a repository");
    flags_.Add(app);
    app->add_option("--mirror", mirrors_,
                    "Also give this mirror's lag (repeatable): now minus the "
                    "commit time of the oldest record the mirror lacks "
                    "(docs/ingest.md, \"Mirror lag\")");
    app->footer(
        "Reads only object headers, footers and indexes.\n\n"
        "Examples:\n"
        "  wayback info --repo ./demo-repo\n"
        "  wayback info --repo ./demo-repo --json | jq .windows");
    return app;
  }

  int Run(Io& io) override {
    auto storage = OpenRepository(flags_.repo);
    if (!storage.ok()) return Fail(io, "info", storage.status());
    auto catalog = (*storage)->ReadCatalog();
    if (!catalog.ok()) return Fail(io, "info", catalog.status());
    const Catalog& c = **catalog;
    const RepositoryDescription d = DescribeCatalog(c);
    const std::optional<RepositoryIdentity>& identity = (*storage)->identity();
    const std::optional<CommitPoint>& newest = d.latest_commit_time;
    CommitTime now = Clock::Real()->NowNanos();
    // Each --mirror's lag: a dry-run pass (nothing written) measures what
    // the mirror can restore and the first record it lacks.
    std::vector<MirrorLagReading> lags;
    for (const std::string& uri : mirrors_) {
      lags.push_back(ReadMirrorLag(**storage, uri, now));
    }
    bool mirror_failed = false;
    for (const MirrorLagReading& l : lags)
      mirror_failed = mirror_failed || !l.status.ok();

    if (flags_.json) {
      json j;
      j["repository"] = flags_.repo;
      json snaps = json::array();
      for (const SnapshotInfo& s : c.snapshots()) {
        snaps.push_back({{"name", s.name},
                         {"timeline", s.timeline},
                         {"lsn", s.lsn},
                         {"commit_time", FormatCommitTime(s.commit_time)},
                         {"pairs", s.pair_count},
                         {"bytes", s.size},
                         {"raw_bytes", s.raw_bytes},
                         {"digest", s.digest.ToString()}});
      }
      j["snapshots"] = snaps;
      json segs = json::array();
      for (const SegmentInfo& s : c.segments()) {
        segs.push_back(
            {{"name", s.name},
             {"timeline", s.timeline},
             {"first_lsn", s.first_lsn},
             {"last_lsn", s.last_lsn},
             {"first_commit_time", FormatCommitTime(s.first_commit_time)},
             {"last_commit_time", FormatCommitTime(s.last_commit_time)},
             {"records", s.record_count},
             // Counted when the segment is sealed.
             {"transactions",
              s.sealed ? json(s.transaction_count) : json(nullptr)},
             {"mutations", s.sealed ? json(s.mutation_count) : json(nullptr)},
             {"bytes", s.size},
             {"raw_bytes", s.raw_bytes},
             {"sealed", s.sealed},
             {"torn_bytes", s.torn_bytes}});
      }
      j["segments"] = segs;
      j["timelines"] = d.timelines;
      j["sizes"] = {{"segments_bytes", d.segment_bytes},
                    {"segments_raw_bytes", d.segment_raw_bytes},
                    {"snapshots_bytes", d.snapshot_bytes},
                    {"total_bytes", d.segment_bytes + d.snapshot_bytes}};
      json windows = json::array();
      for (const RecoverableWindow& w : c.windows()) {
        windows.push_back({{"timeline", w.timeline},
                           {"earliest_lsn", w.earliest_lsn},
                           {"earliest_time", FormatCommitTime(w.earliest_time)},
                           {"latest_lsn", w.latest_lsn},
                           {"latest_time", FormatCommitTime(w.latest_time)}});
      }
      j["windows"] = windows;
      json hs = json::array();
      for (const LogHole& h : d.holes) {
        hs.push_back({{"timeline", h.timeline},
                      {"first_missing_lsn", h.first_missing},
                      {"last_missing_lsn", h.last_missing}});
      }
      j["holes"] = hs;
      json problems = json::array();
      for (const CatalogProblem& p : c.problems()) {
        problems.push_back({{"object", p.object}, {"message", p.message}});
      }
      j["problems"] = problems;
      if (identity) {
        j["identity"] = {{"id", identity->id},
                         {"created", FormatCommitTime(identity->created)},
                         {"source", identity->source}};
      } else {
        j["identity"] = nullptr;
      }
      if (newest) {
        j["newest_commit"] = {
            {"lsn", newest->lsn},
            {"timeline", newest->timeline},
            {"commit_time", FormatCommitTime(newest->commit_time)},
            {"age_seconds",
             static_cast<double>(now - newest->commit_time) / 1e9}};
      } else {
        j["newest_commit"] = nullptr;
      }
      if (!lags.empty()) {
        json ms = json::array();
        for (const MirrorLagReading& l : lags) {
          ms.push_back(
              {{"uri", l.uri},
               {"error", l.status.ok() ? json(nullptr)
                                       : json(std::string(l.status.message()))},
               {"restorable_lsn",
                l.restorable ? json(l.restorable->lsn) : json(nullptr)},
               {"lag_seconds", l.status.ok()
                                   ? json(absl::ToDoubleSeconds(l.lag))
                                   : json(nullptr)}});
        }
        j["mirrors"] = ms;
      }
      io.out << j.dump(2) << "\n";
      return c.problems().empty() && !mirror_failed ? kExitOk : kExitProblem;
    }

    io.out << "Repository " << flags_.repo << "\n";
    if (identity) {
      io.out << "  identity     " << identity->id << ", created "
             << FormatCommitTime(identity->created)
             << (identity->source.empty()
                     ? std::string()
                     : absl::StrCat(", source ", identity->source))
             << "\n";
    } else {
      io.out << "  identity     none (made before repositories carried one)\n";
    }
    io.out << absl::StrFormat(
        "  log          %d segments (%d live), %s transactions, %s mutations\n",
        d.segment_count, d.live_segment_count, FormatCount(d.transaction_count),
        FormatCount(d.mutation_count));
    if (d.live_segment_count > 0) {
      io.out << absl::StrFormat(
          "               (sealed segments; the live one holds %s more "
          "records, counted when sealed)\n",
          FormatCount(d.live_records));
    }
    if (d.segment_raw_bytes > 0) {
      io.out << absl::StrFormat(
          "               %s stored, %s raw (%.1fx compression)\n",
          FormatBytes(d.segment_bytes), FormatBytes(d.segment_raw_bytes),
          static_cast<double>(d.segment_raw_bytes) /
              static_cast<double>(std::max<uint64_t>(1, d.segment_bytes)));
    }
    io.out << "  snapshots    " << c.snapshots().size() << ", "
           << FormatBytes(d.snapshot_bytes) << "\n";
    for (const SnapshotInfo& s : c.snapshots()) {
      io.out << absl::StrFormat("    %-36s LSN %-9d %s  %s keys, %s\n", s.name,
                                s.lsn, FormatCommitTime(s.commit_time),
                                FormatCount(s.pair_count), FormatBytes(s.size));
    }
    io.out << "  timelines    ";
    bool first = true;
    for (TimelineId t : d.timelines) {
      io.out << (first ? "" : ", ") << t;
      first = false;
    }
    io.out << (d.timelines.empty() ? "none\n" : "\n");
    io.out << "  total size   "
           << FormatBytes(d.segment_bytes + d.snapshot_bytes) << "\n";
    io.out << "  recoverable  ";
    if (c.windows().empty()) io.out << "nothing\n";
    for (size_t i = 0; i < c.windows().size(); ++i) {
      const RecoverableWindow& w = c.windows()[i];
      io.out << (i == 0 ? "" : "               ") << "timeline " << w.timeline
             << ": from "
             << (w.earliest_lsn == kNoLsn
                     ? std::string("the empty state (before LSN 1)")
                     : absl::StrCat(FormatCommitTime(w.earliest_time), " (LSN ",
                                    w.earliest_lsn, ")"))
             << " to " << FormatCommitTime(w.latest_time) << " (LSN "
             << w.latest_lsn << ")\n";
    }
    io.out << "  holes        " << (d.holes.empty() ? "none" : "") << "\n";
    for (const LogHole& h : d.holes) {
      io.out << "    timeline " << h.timeline << ": LSN " << h.first_missing
             << "-" << h.last_missing << " missing (nothing can be restored "
             << "across it without a later snapshot)\n";
    }
    if (!c.problems().empty()) {
      io.out << "  problems     " << c.problems().size() << "\n";
      for (const CatalogProblem& p : c.problems()) {
        io.out << "    " << p.object << ": " << p.message << "\n";
      }
    }
    if (newest) {
      absl::Duration age = absl::Nanoseconds(now - newest->commit_time);
      io.out << "  newest commit LSN " << newest->lsn << " at "
             << FormatCommitTime(newest->commit_time) << " ("
             << FormatDurationWords(age)
             << (age < absl::ZeroDuration()
                     ? " in the future of this machine's clock"
                     : " ago")
             << ")\n";
    }
    for (const MirrorLagReading& l : lags) {
      io.out << "  mirror       " << l.uri << ": ";
      if (!l.status.ok()) {
        io.out << "cannot measure: " << l.status.message() << "\n";
      } else {
        io.out << "restorable to "
               << (l.restorable ? absl::StrCat("LSN ", l.restorable->lsn)
                                : std::string("nothing"))
               << ", lag "
               << (l.lag == absl::ZeroDuration() ? std::string("none")
                                                 : FormatDurationWords(l.lag))
               << "\n";
      }
    }
    return c.problems().empty() && !mirror_failed ? kExitOk : kExitProblem;
  }

 private:
  RepoFlags flags_;
  std::vector<std::string> mirrors_;
};

}  // namespace

std::unique_ptr<Command> NewInfoCommand() {
  return std::make_unique<InfoCommand>();
}

}  // namespace wayback::cli
