// Copyright 2026 The Wayback Authors.
//
// wayback drill: restores seeded random instants of the recoverable window
// and the latest state into a scratch target, checks each against a restore
// of the same instant by an independent path, times it against the RTO,
// writes report.json and report.html, and records the outcome in the
// repository (docs/drill.md).
//
// Independence: the check restore of an instant starts from a snapshot
// chain that shares no object with the chain the planner chose (the empty
// state when the log reaches back to LSN 1), found by planning over a view
// of the catalog that shows only that chain. Both read the same log
// segments after their starting points; what the log holds is checked by
// its block checksums and LSN continuity, and what a snapshot holds by the
// other path's replay.

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/common.h"
#include "tools/drill_report.h"
#include "tools/health.h"
#include "wayback/clock.h"
#include "wayback/postgres.h"

namespace wayback::cli {
namespace {

namespace fs = std::filesystem;

// A catalog that shows only `visible` of the snapshots of `base`; the rest
// (segments, windows, problems) as `base` has them.
class SnapshotView final : public Catalog {
 public:
  SnapshotView(const Catalog& base, std::vector<SnapshotInfo> visible)
      : base_(base), visible_(std::move(visible)) {}
  Storage* storage() const override { return base_.storage(); }
  const std::vector<SegmentInfo>& segments() const override {
    return base_.segments();
  }
  const std::vector<SupersededSegment>& superseded() const override {
    return base_.superseded();
  }
  const std::vector<SnapshotInfo>& snapshots() const override {
    return visible_;
  }
  std::vector<SnapshotInfo> SnapshotChain(
      const SnapshotInfo& snapshot) const override {
    return base_.SnapshotChain(snapshot);
  }
  const std::vector<RecoverableWindow>& windows() const override {
    return base_.windows();
  }
  const std::vector<CatalogProblem>& problems() const override {
    return base_.problems();
  }
  const std::vector<std::string>& expiring() const override {
    return base_.expiring();
  }

 private:
  const Catalog& base_;
  std::vector<SnapshotInfo> visible_;
};

// The group a key is counted in: a PostgreSQL table ("public.acct") or its
// relation metadata, else the key up to its first '/' (or ':'), else
// "(no separator)".
std::string KeyGroup(std::string_view key) {
  absl::StatusOr<PostgresKey> pg = DecodePostgresKey(key);
  if (pg.ok()) {
    return absl::StrCat(
        pg->kind == PostgresKey::Kind::kRow ? "table " : "metadata ",
        Printable(pg->schema), ".", Printable(pg->table));
  }
  const size_t sep = key.find_first_of("/:");
  if (sep == std::string_view::npos) return "(no separator)";
  return Printable(key.substr(0, sep));
}

// Keys per group, and the digest, of a restored target.
struct Contents {
  StateDigest digest;
  std::map<std::string, uint64_t> groups;
};
absl::StatusOr<Contents> Count(StateTarget* target) {
  Contents c;
  auto d = target->Digest();
  if (!d.ok()) return d.status();
  c.digest = *d;
  absl::Status s = target->ForEach([&c](std::string_view k, std::string_view) {
    ++c.groups[KeyGroup(k)];
    return true;
  });
  if (!s.ok()) return s;
  return c;
}

json GroupsJson(const std::map<std::string, uint64_t>& g) {
  json j = json::object();
  for (const auto& [k, n] : g) j[k] = n;
  return j;
}

std::string ChainText(const std::vector<SnapshotInfo>& chain) {
  if (chain.empty()) return "the empty state";
  std::string s;
  for (const SnapshotInfo& c : chain) {
    absl::StrAppend(&s, s.empty() ? "" : " + ", c.name);
  }
  return s;
}

class DrillCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "drill",
        "Restore random instants and the latest state into a scratch "
        "target, check each exactly, and write an evidence report");
    flags_.Add(app);
    app->add_option("--targets", targets_,
                    "Random instants inside the recoverable window (the "
                    "latest state is drilled as well)")
        ->capture_default_str()
        ->check(CLI::Range(0, 10000));
    seed_opt_ = app->add_option("--seed", seed_,
                                "Seed of the instants (default: from the "
                                "clock; the report gives it, to repeat a "
                                "drill)");
    app->add_option("--into", into_,
                    "Scratch target: memory, or rocksdb:DIR (a new or empty "
                    "directory; each restore goes to a subdirectory, removed "
                    "after its check)")
        ->capture_default_str();
    app->add_option("--rto", rto_text_,
                    "Recovery time objective: every restore must be faster, "
                    "e.g. 2h");
    app->add_option("--rpo", rpo_text_,
                    "Recovery point objective: the newest restorable instant "
                    "(or the heartbeat) must be at most this old, e.g. 5m");
    app->add_option("--report", report_dir_,
                    "Write report.json and report.html under "
                    "DIR/<UTC time of the drill>/")
        ->required();
    app->add_option("--threads", threads_, "Restore threads (0: all cores)")
        ->capture_default_str()
        ->check(CLI::Range(0, 1024));
    app->footer(
        "Exit status: 0 every restore exact and every objective met, 1 "
        "something failed (the report names it), 2 could not run. The "
        "outcome is also recorded in the repository as drills/<time>.json, "
        "which `wayback check --max-drill-age` and its Prometheus metrics "
        "read.\n\n"
        "Examples:\n"
        "  wayback drill --repo /var/lib/wayback/ehr --report /srv/drills\n"
        "  wayback drill --repo s3://dr/ehr --targets 10 --seed 7 --into "
        "rocksdb:/scratch/drill --rto 2h --rpo 5m --report /srv/drills");
    return app;
  }

  int Run(Io& io) override {
    absl::Duration rto, rpo;
    for (auto [flag, text, out] : {std::tuple{"--rto", &rto_text_, &rto},
                                   std::tuple{"--rpo", &rpo_text_, &rpo}}) {
      if (text->empty()) continue;
      auto d = ParseDurationFlag(flag, *text);
      if (!d.ok()) return Usage(io, "drill", std::string(d.status().message()));
      *out = *d;
    }
    std::string scratch;
    if (into_ != "memory") {
      if (!into_.starts_with("rocksdb:") || into_.size() == 8) {
        return Usage(io, "drill",
                     absl::StrCat("bad --into \"", into_,
                                  "\": expected memory or rocksdb:DIR"));
      }
      scratch = into_.substr(8);
      std::error_code ec;
      if (fs::exists(scratch, ec) && !fs::is_empty(scratch, ec)) {
        return Usage(io, "drill",
                     absl::StrCat("--into ", into_,
                                  ": the scratch directory is not empty"));
      }
      fs::create_directories(scratch, ec);
      if (ec) {
        return Usage(
            io, "drill",
            absl::StrCat("cannot create ", scratch, ": ", ec.message()));
      }
    }
    const CommitTime started = Clock::Real()->NowNanos();
    const int64_t started_mono = Clock::Real()->MonotonicNanos();
    const uint64_t seed =
        seed_opt_->count() > 0 ? seed_ : static_cast<uint64_t>(started);

    auto repo = OpenRepository(flags_.repo);
    if (!repo.ok()) return Fail(io, "drill", repo.status());
    auto catalog = (*repo)->ReadCatalog();
    if (!catalog.ok()) return Fail(io, "drill", catalog.status());
    const Catalog& c = **catalog;
    auto health = AssessRepository(**repo, c, started);
    if (!health.ok()) return Fail(io, "drill", health.status());
    const RepositoryHealth& h = *health;
    std::vector<RecoverableWindow> windows;
    for (const RecoverableWindow& w : c.windows()) {
      if (w.timeline == h.timeline) windows.push_back(w);
    }
    if (windows.empty()) {
      return Fail(io, "drill",
                  absl::FailedPreconditionError(absl::StrCat(
                      flags_.repo, " has nothing restorable to drill")));
    }

    // The instants: uniform over the windows' commit time, then the latest.
    std::vector<RecoveryTarget> targets;
    {
      std::vector<std::pair<CommitTime, CommitTime>> spans;
      int64_t total = 0;
      for (const RecoverableWindow& w : windows) {
        CommitTime from = w.earliest_time;
        if (w.earliest_lsn == kNoLsn && h.window_start &&
            w.earliest_lsn == windows.front().earliest_lsn) {
          from = *h.window_start;  // The first commit, not time zero.
        }
        if (w.latest_time < from) continue;
        spans.emplace_back(from, w.latest_time);
        total += w.latest_time - from;
      }
      std::mt19937_64 rng(seed);
      std::vector<CommitTime> instants;
      for (int i = 0; i < targets_ && !spans.empty(); ++i) {
        int64_t x = total > 0
                        ? std::uniform_int_distribution<int64_t>(0, total)(rng)
                        : 0;
        for (const auto& [from, to] : spans) {
          if (x <= to - from) {
            instants.push_back(from + x);
            break;
          }
          x -= to - from + 1;
        }
        if (instants.size() < static_cast<size_t>(i + 1)) {
          instants.push_back(spans.back().second);
        }
      }
      std::sort(instants.begin(), instants.end());
      for (CommitTime t : instants) {
        RecoveryTarget t2 = RecoveryTarget::Time(t);
        t2.timeline = h.timeline;
        targets.push_back(t2);
      }
      RecoveryTarget latest = RecoveryTarget::Latest();
      latest.timeline = h.timeline;
      targets.push_back(latest);
    }

    json results = json::array();
    uint64_t failed = 0;
    absl::Duration slowest;
    for (size_t i = 0; i < targets.size(); ++i) {
      json r = DrillOne(c, targets[i], i + 1, scratch, rto);
      if (!r["passed"].get<bool>()) ++failed;
      slowest = std::max(slowest,
                         absl::Seconds(r["restore_seconds"].is_number()
                                           ? r["restore_seconds"].get<double>()
                                           : 0.0));
      if (io.tty) {
        io.err << "\r\x1b[K  drilled " << (i + 1) << " of " << targets.size()
               << std::flush;
      }
      results.push_back(std::move(r));
    }
    if (io.tty) io.err << "\r\x1b[K" << std::flush;
    if (!scratch.empty()) {
      std::error_code ec;
      fs::remove(scratch, ec);  // Only if empty: never a user's files.
    }

    const absl::Duration achieved_rpo =
        absl::Nanoseconds(started - h.restorable_current_as_of);
    const bool rpo_ok = rpo_text_.empty() || achieved_rpo <= rpo;
    const bool rto_ok = rto_text_.empty() || slowest <= rto;
    const bool passed = failed == 0 && rpo_ok && rto_ok;
    const absl::Duration elapsed =
        absl::Nanoseconds(Clock::Real()->MonotonicNanos() - started_mono);

    const std::optional<RepositoryIdentity>& identity = (*repo)->identity();
    const std::string stamp = absl::FormatTime(
        "%Y%m%dT%H%M%E3SZ", absl::FromUnixNanos(started), absl::UTCTimeZone());
    DrillRecord record;
    record.started = absl::FromUnixNanos(started);
    record.elapsed = elapsed;
    record.passed = passed;
    record.restores = targets.size();
    record.failed = failed;
    record.slowest_restore = slowest;
    record.rto = rto;
    record.rpo = rpo;
    record.achieved_rpo = achieved_rpo;
    record.repository = flags_.repo;
    record.tool_version = WAYBACK_VERSION_STRING;
    record.summary = absl::StrCat(
        targets.size() - failed, " of ", targets.size(),
        " restores exact; slowest ", FormatDurationWords(slowest),
        rto_text_.empty() ? std::string()
                          : absl::StrCat(" (RTO ", rto_text_,
                                         rto_ok ? ", met)" : ", MISSED)"),
        "; recovery point ", FormatDurationWords(achieved_rpo), " old",
        rpo_text_.empty() ? std::string()
                          : absl::StrCat(" (RPO ", rpo_text_,
                                         rpo_ok ? ", met)" : ", MISSED)"));

    json report = Timeline(c, h);
    report["format"] = "wayback-drill-report";
    report["version"] = 1;
    report["tool_version"] = WAYBACK_VERSION_STRING;
    report["repository"] = {
        {"uri", flags_.repo},
        {"identity", identity ? json(identity->id) : json(nullptr)},
        {"source", identity ? json(identity->source) : json(nullptr)}};
    report["started"] = FormatCommitTime(started);
    report["elapsed_seconds"] = absl::ToDoubleSeconds(elapsed);
    report["seed"] = seed;
    report["targets"] = targets_;
    report["into"] = into_;
    report["objectives"] = {
        {"rto_seconds",
         rto_text_.empty() ? json(nullptr) : json(absl::ToDoubleSeconds(rto))},
        {"rpo_seconds",
         rpo_text_.empty() ? json(nullptr) : json(absl::ToDoubleSeconds(rpo))},
        {"slowest_restore_seconds", absl::ToDoubleSeconds(slowest)},
        {"achieved_rpo_seconds", absl::ToDoubleSeconds(achieved_rpo)},
        {"recovery_point", FormatCommitTime(h.restorable_current_as_of)},
        {"rto_ok", rto_text_.empty() ? json(nullptr) : json(rto_ok)},
        {"rpo_ok", rpo_text_.empty() ? json(nullptr) : json(rpo_ok)}};
    report["results"] = results;
    report["failed"] = failed;
    report["passed"] = passed;
    report["summary"] = record.summary;
    report["record"] = DrillObjectName(record.started);

    const fs::path dir = fs::path(report_dir_) / stamp;
    std::error_code ec;
    if (fs::exists(dir, ec)) {
      return Fail(io, "drill",
                  absl::AlreadyExistsError(
                      absl::StrCat(dir.string(), " already exists")));
    }
    fs::create_directories(dir, ec);
    if (ec) {
      return Fail(io, "drill",
                  absl::InvalidArgumentError(absl::StrCat(
                      "cannot create ", dir.string(), ": ", ec.message())));
    }
    for (auto [name, text] :
         {std::pair{"report.json", report.dump(2) + "\n"},
          std::pair{"report.html", DrillReportHtml(report)}}) {
      absl::Status s = ReplaceFileAtomically((dir / name).string(), text);
      if (!s.ok()) return Fail(io, "drill", s);
    }
    absl::Status recorded = RecordDrill(**repo, record);
    if (!recorded.ok()) {
      io.err << "wayback drill: error: the report is in " << dir.string()
             << " but the drill could not be recorded in the repository: "
             << recorded.message() << "\n";
      return kExitUsage;
    }

    if (flags_.json) {
      io.out << json{{"passed", passed},
                     {"report", dir.string()},
                     {"record", DrillObjectName(record.started)},
                     {"summary", record.summary},
                     {"results", results}}
                    .dump(2)
             << "\n";
    } else {
      io.out << (passed ? "PASS " : "FAIL ") << record.summary << "\n";
      if (!rto_ok) {
        io.out << "  FAIL recovery time: the slowest restore took "
               << FormatDurationWords(slowest) << ", over the RTO of "
               << rto_text_ << "\n";
      }
      if (!rpo_ok) {
        io.out << "  FAIL recovery point: the newest restorable instant, "
               << FormatCommitTime(h.restorable_current_as_of) << ", is "
               << FormatDurationWords(achieved_rpo) << " old, over the RPO of "
               << rpo_text_ << "\n";
      }
      for (const json& r : results) {
        if (r["passed"].get<bool>()) continue;
        io.out << "  FAIL #" << r["index"].get<int>() << " "
               << r["target"].get<std::string>() << ": ";
        bool first = true;
        for (const json& p : r["problems"]) {
          io.out << (first ? "" : "; ") << p.get<std::string>();
          first = false;
        }
        io.out << "\n";
      }
      io.out << "  report " << (dir / "report.html").string() << "\n"
             << "  recorded as " << DrillObjectName(record.started) << "\n";
    }
    return passed ? kExitOk : kExitProblem;
  }

 private:
  // Restores one target twice (planner's path into the scratch target, an
  // independent path into memory) and compares.
  json DrillOne(const Catalog& c, const RecoveryTarget& target, size_t index,
                const std::string& scratch, absl::Duration rto) {
    json r{{"index", index},
           {"kind",
            target.kind == RecoveryTarget::Kind::kLatest ? "latest" : "random"},
           {"target", target.ToString()},
           {"instant", target.kind == RecoveryTarget::Kind::kTime
                           ? json(FormatCommitTime(target.time))
                           : json(nullptr)},
           {"lsn", nullptr},
           {"planned_from", nullptr},
           {"restore_seconds", nullptr},
           {"rto_ok", nullptr},
           {"digest", nullptr},
           {"keys", nullptr},
           {"key_groups", nullptr},
           {"independent", nullptr},
           {"snapshot_check", nullptr}};
    std::vector<std::string> problems;
    auto finish = [&]() {
      r["problems"] = problems;
      r["passed"] = problems.empty();
      return r;
    };
    absl::StatusOr<RecoveryPlan> plan = PlanRecovery(c, target);
    if (!plan.ok()) {
      problems.push_back(absl::StrCat("plan: ", plan.status().message()));
      return finish();
    }
    r["lsn"] = plan->last_lsn;
    r["last_included"] = CommitJson(plan->last_included);
    r["planned_from"] = ChainText(plan->snapshot_chain);

    // The planner's path, timed: the scratch target is opened, restored and
    // closed within the measured time, as a restore in an incident would be.
    const std::string path =
        scratch.empty()
            ? std::string()
            : (fs::path(scratch) / absl::StrCat("drill-", index)).string();
    std::optional<Contents> primary;
    {
      const int64_t t0 = Clock::Real()->MonotonicNanos();
      absl::StatusOr<std::unique_ptr<StateTarget>> state =
          scratch.empty()
              ? absl::StatusOr<std::unique_ptr<StateTarget>>(NewMemoryTarget())
              : OpenInto(absl::StrCat("rocksdb:", path),
                         RocksDBTargetOptions::ForRestore(threads_));
      absl::StatusOr<RestoreResult> restored =
          state.ok() ? Restore(c.storage(), *plan, state->get(), Options())
                     : absl::StatusOr<RestoreResult>(state.status());
      const absl::Duration took =
          absl::Nanoseconds(Clock::Real()->MonotonicNanos() - t0);
      r["restore_seconds"] = absl::ToDoubleSeconds(took);
      if (!rto_text_.empty()) {
        r["rto_ok"] = took <= rto;
        if (took > rto) {
          problems.push_back(absl::StrCat("restore took ",
                                          FormatDurationWords(took),
                                          ", over the RTO of ", rto_text_));
        }
      }
      if (!restored.ok()) {
        problems.push_back(
            absl::StrCat("restore: ", restored.status().message()));
      } else {
        absl::StatusOr<Contents> counted = Count(state->get());
        if (!counted.ok()) {
          problems.push_back(absl::StrCat("reading the restored state: ",
                                          counted.status().message()));
        } else {
          primary = *counted;
          r["digest"] = primary->digest.ToString();
          r["keys"] = primary->digest.count;
          r["key_groups"] = GroupsJson(primary->groups);
        }
      }
      state = absl::StatusOr<std::unique_ptr<StateTarget>>(nullptr);
      if (!path.empty()) {
        std::error_code ec;
        fs::remove_all(path, ec);
      }
    }

    // The independent path.
    std::set<std::string> used;
    for (const SnapshotInfo& s : plan->snapshot_chain) used.insert(s.name);
    std::optional<std::vector<SnapshotInfo>> other;
    if (plan->snapshot && plan->window.earliest_lsn == kNoLsn &&
        plan->window.timeline == kFirstTimeline) {
      other.emplace();  // The empty state: no snapshot at all.
    } else {
      for (const SnapshotInfo& s : c.snapshots()) {
        if (s.timeline != plan->window.timeline ||
            s.lsn < plan->window.earliest_lsn || s.lsn > plan->last_lsn) {
          continue;
        }
        std::vector<SnapshotInfo> chain = c.SnapshotChain(s);
        bool disjoint = true;
        for (const SnapshotInfo& m : chain) {
          disjoint = disjoint && !used.count(m.name);
        }
        if (disjoint) other = std::move(chain);  // The newest such chain.
      }
    }
    if (!other) {
      r["independent"] = {
          {"path", nullptr},
          {"note",
           "single path: no snapshot chain disjoint from the "
           "planner's starts in this window before this instant"}};
    } else {
      SnapshotView view(c, *other);
      json ind{{"path", ChainText(*other)}};
      absl::StatusOr<RecoveryPlan> alt = PlanRecovery(view, target);
      if (alt.ok() && alt->last_lsn != plan->last_lsn) {
        alt = absl::InternalError(absl::StrCat(
            "it stops at LSN ", alt->last_lsn, ", not ", plan->last_lsn));
      }
      std::unique_ptr<StateTarget> mem = NewMemoryTarget();
      absl::StatusOr<RestoreResult> restored =
          alt.ok() ? Restore(c.storage(), *alt, mem.get(), Options())
                   : absl::StatusOr<RestoreResult>(alt.status());
      absl::StatusOr<Contents> counted =
          restored.ok() ? Count(mem.get())
                        : absl::StatusOr<Contents>(restored.status());
      if (!counted.ok()) {
        problems.push_back(absl::StrCat("independent restore from ",
                                        ChainText(*other), ": ",
                                        counted.status().message()));
      } else {
        ind["path"] = ChainText(alt->snapshot_chain);
        ind["digest"] = counted->digest.ToString();
        ind["seconds"] = absl::ToDoubleSeconds(restored->elapsed);
        if (primary) {
          const bool digest_equal = counted->digest == primary->digest;
          const bool groups_equal = counted->groups == primary->groups;
          ind["digest_equal"] = digest_equal;
          ind["key_groups_equal"] = groups_equal;
          if (!digest_equal) {
            problems.push_back(
                absl::StrCat("digest ", primary->digest.ToString(), " from ",
                             r["planned_from"].get<std::string>(),
                             " differs from ", counted->digest.ToString(),
                             " from ", ChainText(alt->snapshot_chain)));
          }
          for (const auto& [group, n] : counted->groups) {
            auto it = primary->groups.find(group);
            const uint64_t mine = it == primary->groups.end() ? 0 : it->second;
            if (mine != n) {
              problems.push_back(absl::StrCat("keys of ", group, ": ", mine,
                                              " restored, ", n,
                                              " by the independent path"));
            }
          }
          for (const auto& [group, n] : primary->groups) {
            if (!counted->groups.count(group)) {
              problems.push_back(absl::StrCat("keys of ", group, ": ", n,
                                              " restored, 0 by the "
                                              "independent path"));
            }
          }
        }
        // A snapshot at exactly this LSN must hold what the replay gives.
        for (const SnapshotInfo& s : c.snapshots()) {
          if (s.timeline != plan->window.timeline || s.lsn != plan->last_lsn) {
            continue;
          }
          const bool equal = s.digest == counted->digest;
          r["snapshot_check"] = {{"snapshot", s.name},
                                 {"digest", s.digest.ToString()},
                                 {"digest_equal", equal}};
          if (!equal) {
            problems.push_back(
                absl::StrCat("snapshot ", s.name, " says ", s.digest.ToString(),
                             " but the independent replay gives ",
                             counted->digest.ToString()));
          }
        }
      }
      r["independent"] = ind;
    }
    return finish();
  }

  RestoreOptions Options() const {
    RestoreOptions o;
    o.threads = threads_;
    return o;
  }

  // The window, segments, snapshots and gaps of the drilled timeline, as the
  // report's timeline shows them.
  static json Timeline(const Catalog& c, const RepositoryHealth& h) {
    json segs = json::array(), snaps = json::array(), wins = json::array(),
         gaps = json::array();
    for (const SegmentInfo& s : c.segments()) {
      if (s.timeline != h.timeline) continue;
      segs.push_back(
          {{"name", s.name},
           {"first_lsn", s.first_lsn},
           {"last_lsn", s.last_lsn},
           {"first_commit_time", FormatCommitTime(s.first_commit_time)},
           {"last_commit_time", FormatCommitTime(s.last_commit_time)},
           {"sealed", s.sealed}});
    }
    for (const SnapshotInfo& s : c.snapshots()) {
      if (s.timeline != h.timeline) continue;
      snaps.push_back(
          {{"name", s.name},
           {"lsn", s.lsn},
           {"commit_time", FormatCommitTime(s.commit_time)},
           {"kind", s.kind == SnapshotKind::kFull ? "full" : "delta"},
           {"keys", s.pair_count}});
    }
    for (const RecoverableWindow& w : c.windows()) {
      if (w.timeline != h.timeline) continue;
      const bool empty_start = w.earliest_lsn == kNoLsn;
      wins.push_back(
          {{"earliest_lsn", w.earliest_lsn},
           {"earliest_time",
            FormatCommitTime(empty_start && h.window_start ? *h.window_start
                                                           : w.earliest_time)},
           {"latest_lsn", w.latest_lsn},
           {"latest_time", FormatCommitTime(w.latest_time)}});
    }
    for (const RestoreGap& g : h.gaps) {
      gaps.push_back(
          {{"from", FormatCommitTime(g.from)},
           {"to", FormatCommitTime(g.to)},
           {"first_missing_lsn", g.first_missing},
           {"last_missing_lsn",
            g.last_missing == kNoLsn ? json(nullptr) : json(g.last_missing)}});
    }
    return json{
        {"timeline",
         {{"id", h.timeline},
          {"window_start", h.window_start
                               ? json(FormatCommitTime(*h.window_start))
                               : json(nullptr)},
          {"window_end", h.window_end ? json(FormatCommitTime(*h.window_end))
                                      : json(nullptr)},
          {"windows", wins},
          {"gaps", gaps},
          {"segments", segs},
          {"snapshots", snaps}}}};
  }

  RepoFlags flags_;
  int targets_ = 5;
  uint64_t seed_ = 0;
  CLI::Option* seed_opt_ = nullptr;
  std::string into_ = "memory";
  std::string rto_text_, rpo_text_;
  std::string report_dir_;
  int threads_ = 0;
};

}  // namespace

std::unique_ptr<Command> NewDrillCommand() {
  return std::make_unique<DrillCommand>();
}

}  // namespace wayback::cli
