// Copyright 2026 The Wayback Authors.
//
// wayback info: what a repository holds and which instants it can restore.
// Reads headers, footers and indexes only (the catalog).

#include <map>
#include <set>

#include "absl/strings/str_format.h"
#include "tools/common.h"
#include "wayback/clock.h"

namespace wayback::cli {
namespace {

struct Hole {
  TimelineId timeline;
  Lsn first_missing;
  Lsn last_missing;
};

class InfoCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "info",
        "Show snapshots, segments, timelines, sizes and the "
        "recoverable window(s) of a repository");
    flags_.Add(app);
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
    auto catalog = Catalog::Open(storage->get());
    if (!catalog.ok()) return Fail(io, "info", catalog.status());
    const Catalog& c = **catalog;

    uint64_t seg_bytes = 0, seg_raw = 0, live = 0, txns = 0, mutations = 0;
    uint64_t live_records = 0;  // Live segments carry no counts.
    std::set<TimelineId> timelines;
    std::vector<Hole> holes;
    const SegmentInfo* newest = nullptr;
    for (size_t i = 0; i < c.segments().size(); ++i) {
      const SegmentInfo& s = c.segments()[i];
      seg_bytes += s.size;
      seg_raw += s.raw_bytes;
      live += !s.sealed;
      if (!s.sealed) live_records += s.record_count;
      txns += s.transaction_count;
      mutations += s.mutation_count;
      timelines.insert(s.timeline);
      if (i > 0) {
        const SegmentInfo& p = c.segments()[i - 1];
        if (p.timeline == s.timeline && s.first_lsn > p.last_lsn + 1) {
          holes.push_back({s.timeline, p.last_lsn + 1, s.first_lsn - 1});
        }
      }
      if (s.last_lsn >= s.first_lsn &&
          (newest == nullptr || s.last_commit_time > newest->last_commit_time ||
           (s.last_commit_time == newest->last_commit_time &&
            s.last_lsn > newest->last_lsn))) {
        newest = &s;
      }
    }
    uint64_t snap_bytes = 0;
    for (const SnapshotInfo& s : c.snapshots()) {
      snap_bytes += s.size;
      timelines.insert(s.timeline);
    }
    CommitTime now = Clock::Real()->NowNanos();

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
      j["timelines"] =
          std::vector<TimelineId>(timelines.begin(), timelines.end());
      j["sizes"] = {{"segments_bytes", seg_bytes},
                    {"segments_raw_bytes", seg_raw},
                    {"snapshots_bytes", snap_bytes},
                    {"total_bytes", seg_bytes + snap_bytes}};
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
      for (const Hole& h : holes) {
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
      if (newest != nullptr) {
        j["newest_commit"] = {
            {"lsn", newest->last_lsn},
            {"timeline", newest->timeline},
            {"commit_time", FormatCommitTime(newest->last_commit_time)},
            {"age_seconds",
             static_cast<double>(now - newest->last_commit_time) / 1e9}};
      } else {
        j["newest_commit"] = nullptr;
      }
      io.out << j.dump(2) << "\n";
      return c.problems().empty() ? kExitOk : kExitProblem;
    }

    io.out << "Repository " << flags_.repo << "\n";
    io.out << absl::StrFormat(
        "  log          %d segments (%d live), %s transactions, %s mutations\n",
        c.segments().size(), live, FormatCount(txns), FormatCount(mutations));
    if (live > 0) {
      io.out << absl::StrFormat(
          "               (sealed segments; the live one holds %s more "
          "records, counted when sealed)\n",
          FormatCount(live_records));
    }
    if (seg_raw > 0) {
      io.out << absl::StrFormat(
          "               %s stored, %s raw (%.1fx compression)\n",
          FormatBytes(seg_bytes), FormatBytes(seg_raw),
          static_cast<double>(seg_raw) /
              static_cast<double>(std::max<uint64_t>(1, seg_bytes)));
    }
    io.out << "  snapshots    " << c.snapshots().size() << ", "
           << FormatBytes(snap_bytes) << "\n";
    for (const SnapshotInfo& s : c.snapshots()) {
      io.out << absl::StrFormat("    %-36s LSN %-9d %s  %s keys, %s\n", s.name,
                                s.lsn, FormatCommitTime(s.commit_time),
                                FormatCount(s.pair_count), FormatBytes(s.size));
    }
    io.out << "  timelines    ";
    bool first = true;
    for (TimelineId t : timelines) {
      io.out << (first ? "" : ", ") << t;
      first = false;
    }
    io.out << (timelines.empty() ? "none\n" : "\n");
    io.out << "  total size   " << FormatBytes(seg_bytes + snap_bytes) << "\n";
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
    io.out << "  holes        " << (holes.empty() ? "none" : "") << "\n";
    for (const Hole& h : holes) {
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
    if (newest != nullptr) {
      absl::Duration age = absl::Nanoseconds(now - newest->last_commit_time);
      io.out << "  newest commit LSN " << newest->last_lsn << " at "
             << FormatCommitTime(newest->last_commit_time) << " ("
             << FormatDurationWords(age)
             << (age < absl::ZeroDuration()
                     ? " in the future of this machine's clock"
                     : " ago")
             << ")\n";
    }
    return c.problems().empty() ? kExitOk : kExitProblem;
  }

 private:
  RepoFlags flags_;
};

}  // namespace

std::unique_ptr<Command> NewInfoCommand() {
  return std::make_unique<InfoCommand>();
}

}  // namespace wayback::cli
