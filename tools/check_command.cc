// Copyright 2026 The Wayback Authors.
//
// wayback check: the alarms of a repository, for cron, Nagios/Icinga and
// Prometheus (docs/check.md). Each check compares one figure of
// AssessRepository() (tools/health.h) or of a mirror with its limit; the
// output is one line per check, a JSON document, one Nagios plugin line with
// perfdata, and optionally a node_exporter textfile.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/common.h"
#include "tools/health.h"
#include "wayback/clock.h"

namespace wayback::cli {
namespace {

// Nagios plugin exit codes (Nagios Plugin Development Guidelines).
enum class Level { kOk = 0, kWarning = 1, kCritical = 2 };
constexpr int kNagiosUnknown = 3;

const char* LevelWord(Level l) {
  switch (l) {
    case Level::kOk:
      return "ok";
    case Level::kWarning:
      return "warning";
    case Level::kCritical:
      return "critical";
  }
  return "?";
}

// A limit flag: a duration, or "off" to skip the check.
absl::StatusOr<std::optional<absl::Duration>> ParseLimit(
    const std::string& flag, const std::string& text) {
  if (text.empty() || text == "off") return std::nullopt;
  auto d = ParseDurationFlag(flag, text);
  if (!d.ok()) return d.status();
  return *d;
}

// One check's outcome.
struct CheckResult {
  std::string name;    // commit_age, snapshot_age, gap, window, damage, ...
  std::string mirror;  // The mirror's URI for mirror_lag.
  Level level = Level::kOk;
  std::string message;  // One line for people.
  // The figure, its limits (WARNING and CRITICAL) and whether the limits
  // are minimums (window) rather than maximums.
  std::optional<double> value;
  bool seconds = true;
  std::optional<double> warn, crit;
  bool minimum = false;
  std::string perf_label;
};

CheckResult NewCheck(std::string name, std::string perf_label) {
  CheckResult c;
  c.name = std::move(name);
  c.perf_label = std::move(perf_label);
  return c;
}

// The level of `value` against the limits.
Level Judge(double value, std::optional<double> warn,
            std::optional<double> crit, bool minimum) {
  auto beyond = [&](std::optional<double> limit) {
    return limit && (minimum ? value < *limit : value > *limit);
  };
  if (beyond(crit)) return Level::kCritical;
  if (beyond(warn)) return Level::kWarning;
  return Level::kOk;
}

std::optional<double> Secs(std::optional<absl::Duration> d) {
  if (!d) return std::nullopt;
  return absl::ToDoubleSeconds(*d);
}

std::string Words(double seconds) {
  return FormatDurationWords(absl::Seconds(seconds));
}

// "(limit 5 min 0 s)" or "(limits 5 min 0 s / 10 min 0 s)".
std::string LimitText(const CheckResult& c) {
  const char* rel = c.minimum ? "at least " : "";
  if (c.warn && c.crit) {
    return absl::StrCat("(", rel, Words(*c.warn), ", critical ", rel,
                        Words(*c.crit), ")");
  }
  if (c.warn || c.crit) {
    return absl::StrCat("(limit ", rel, Words(c.warn ? *c.warn : *c.crit), ")");
  }
  return "";
}

// Prometheus text format: label values escape \, " and newline.
std::string PromLabel(const std::string& v) {
  std::string out;
  for (char ch : v) {
    if (ch == '\\') {
      out += "\\\\";
    } else if (ch == '"') {
      out += "\\\"";
    } else if (ch == '\n') {
      out += "\\n";
    } else {
      out += ch;
    }
  }
  return out;
}

// Writes the node_exporter textfile. Every family has HELP and TYPE lines
// (all gauges); a figure that does not exist (no snapshot yet) has no sample.
class PromWriter {
 public:
  explicit PromWriter(std::string repository)
      : repository_(PromLabel(repository)) {}
  void Family(const std::string& name, const std::string& help) {
    absl::StrAppend(&text_, "# HELP ", name, " ", help, "\n# TYPE ", name,
                    " gauge\n");
    name_ = name;
  }
  void Sample(double value, const std::string& extra_labels = "") {
    absl::StrAppend(&text_, name_, "{repository=\"", repository_, "\"",
                    extra_labels, "} ", absl::StrFormat("%.3f", value), "\n");
  }
  const std::string& text() const { return text_; }

 private:
  std::string repository_;
  std::string name_;
  std::string text_;
};

class CheckCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "check",
        "Alarm on a repository: commit age, snapshot age, gaps, window, "
        "damage, mirror lag, last drill (plain, JSON, Nagios, Prometheus)");
    flags_.Add(app);
    const std::string off = " (\"off\": not checked)";
    app->add_option("--max-commit-age", max_commit_age_,
                    "Fail when the newer of the newest commit and the live "
                    "capture's heartbeat is older" +
                        off)
        ->capture_default_str();
    app->add_option("--max-snapshot-age", max_snapshot_age_,
                    "Fail when the newest snapshot's state is older" + off)
        ->capture_default_str();
    app->add_option("--max-gap", max_gap_,
                    "Fail when commit time that cannot be restored (a hole "
                    "in the log) lasts longer, inside the window" +
                        off)
        ->capture_default_str();
    app->add_option("--min-window", min_window_,
                    "Fail unless everything from this long ago on is "
                    "restorable, e.g. 35d (and --max-gap then looks only "
                    "inside it)" +
                        off)
        ->capture_default_str();
    app->add_option("--mirror", mirrors_,
                    "Also check this mirror's lag (repeatable)");
    app->add_option("--max-mirror-lag", max_mirror_lag_,
                    "Fail when a mirror lags more: once for every mirror, or "
                    "once per --mirror in the same order (default 5m)");
    app->add_option("--max-drill-age", max_drill_age_,
                    "Fail unless the last `wayback drill` passed and is "
                    "younger, e.g. 8d" +
                        off)
        ->capture_default_str();
    app->add_option("--now", now_text_,
                    "Judge as of this instant instead of the clock (RFC 3339 "
                    "with offset, or @<unix-ns>)");
    app->add_flag("--nagios", nagios_,
                  "Print one Nagios plugin line with perfdata and exit 0 OK, "
                  "1 WARNING, 2 CRITICAL, 3 UNKNOWN; the limits above are "
                  "WARNING, the --critical-... ones CRITICAL");
    for (auto& [flag, value] :
         {std::pair{"--critical-max-commit-age", &crit_commit_age_},
          std::pair{"--critical-max-snapshot-age", &crit_snapshot_age_},
          std::pair{"--critical-max-gap", &crit_gap_},
          std::pair{"--critical-min-window", &crit_window_},
          std::pair{"--critical-max-mirror-lag", &crit_mirror_lag_},
          std::pair{"--critical-max-drill-age", &crit_drill_age_}}) {
      app->add_option(flag, *value,
                      "CRITICAL limit of the same check (--nagios); without "
                      "--nagios any limit passed fails the check");
    }
    app->add_option("--prometheus", prometheus_,
                    "Also write the figures to FILE in the node_exporter "
                    "textfile format (a temporary renamed over FILE)");
    app->footer(
        "Exit status: 0 every check holds, 1 a check failed (one line each), "
        "2 could not check; with --nagios 0/1/2/3 = OK/WARNING/CRITICAL/"
        "UNKNOWN. docs/check.md defines each check and metric.\n\n"
        "Examples:\n"
        "  wayback check --repo /var/lib/wayback/ehr --min-window 35d\n"
        "  wayback check --repo /var/lib/wayback/ehr --mirror s3://dr/ehr "
        "--max-mirror-lag 5m --json\n"
        "  wayback check --repo /var/lib/wayback/ehr --nagios "
        "--critical-max-commit-age 15m\n"
        "  wayback check --repo /var/lib/wayback/ehr --prometheus "
        "/var/lib/node_exporter/textfile/wayback_ehr.prom");
    return app;
  }

  int Run(Io& io) override {
    std::vector<CheckResult> results;
    absl::Status s = Measure(&results);
    if (!prometheus_.empty()) {
      absl::Status w = ReplaceFileAtomically(prometheus_, Metrics(s, results));
      if (!w.ok() && s.ok()) s = w;
    }
    if (!s.ok()) {
      if (nagios_) {
        io.out << "WAYBACK UNKNOWN - " << flags_.repo << ": " << s.message()
               << "\n";
        return kNagiosUnknown;
      }
      if (flags_.json) {
        io.out << json{{"repository", flags_.repo},
                       {"ok", false},
                       {"error", std::string(s.message())}}
                      .dump(2)
               << "\n";
      }
      io.err << "wayback check: error: could not check: " << s.message()
             << "\n";
      return kExitUsage;
    }
    Level worst = Level::kOk;
    for (const CheckResult& c : results) worst = std::max(worst, c.level);
    if (nagios_) {
      PrintNagios(io, results, worst);
      return static_cast<int>(worst);
    }
    if (flags_.json) {
      PrintJson(io, results, worst);
    } else {
      for (const CheckResult& c : results) {
        io.out << (c.level == Level::kOk ? "ok   " : "FAIL ") << c.message
               << "\n";
      }
    }
    return worst == Level::kOk ? kExitOk : kExitProblem;
  }

 private:
  // Reads the repository and runs every check into *results.
  absl::Status Measure(std::vector<CheckResult>* results) {
    struct Limit {
      const char* flag;
      const std::string* text;
      std::optional<absl::Duration>* out;
    };
    std::optional<absl::Duration> commit_age, snapshot_age, gap, window,
        drill_age, c_commit_age, c_snapshot_age, c_gap, c_window, c_drill_age,
        c_mirror_lag;
    for (const Limit& l :
         {Limit{"--max-commit-age", &max_commit_age_, &commit_age},
          Limit{"--max-snapshot-age", &max_snapshot_age_, &snapshot_age},
          Limit{"--max-gap", &max_gap_, &gap},
          Limit{"--min-window", &min_window_, &window},
          Limit{"--max-drill-age", &max_drill_age_, &drill_age},
          Limit{"--critical-max-commit-age", &crit_commit_age_, &c_commit_age},
          Limit{"--critical-max-snapshot-age", &crit_snapshot_age_,
                &c_snapshot_age},
          Limit{"--critical-max-gap", &crit_gap_, &c_gap},
          Limit{"--critical-min-window", &crit_window_, &c_window},
          Limit{"--critical-max-drill-age", &crit_drill_age_, &c_drill_age},
          Limit{"--critical-max-mirror-lag", &crit_mirror_lag_,
                &c_mirror_lag}}) {
      auto v = ParseLimit(l.flag, *l.text);
      if (!v.ok()) return v.status();
      *l.out = *v;
    }
    std::vector<std::optional<absl::Duration>> mirror_limits;
    for (const std::string& t : max_mirror_lag_) {
      auto v = ParseLimit("--max-mirror-lag", t);
      if (!v.ok()) return v.status();
      mirror_limits.push_back(*v);
    }
    if (mirror_limits.empty()) mirror_limits.push_back(absl::Minutes(5));
    if (mirror_limits.size() != 1 && mirror_limits.size() != mirrors_.size()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "give --max-mirror-lag once, or once per --mirror (", mirrors_.size(),
          " mirrors, ", mirror_limits.size(), " limits)"));
    }
    now_ = Clock::Real()->NowNanos();
    if (!now_text_.empty()) {
      auto t = ParseCommitTime(now_text_);
      if (!t.ok()) {
        return absl::InvalidArgumentError(
            absl::StrCat("bad --now: ", t.status().message()));
      }
      now_ = *t;
    }

    auto repo = OpenRepository(flags_.repo);
    if (!repo.ok()) return repo.status();
    auto catalog = (*repo)->ReadCatalog();
    if (!catalog.ok()) return catalog.status();
    auto health = AssessRepository(**repo, **catalog, now_);
    if (!health.ok()) return health.status();
    h_ = *health;
    identity_ = (*repo)->identity();
    const RepositoryHealth& h = h_;
    auto age = [&](CommitTime t) {
      return static_cast<double>(std::max<CommitTime>(0, now_ - t)) / 1e9;
    };

    if (commit_age || c_commit_age) {
      CheckResult c = NewCheck("commit_age", "commit_age");
      c.warn = Secs(commit_age);
      c.crit = Secs(c_commit_age);
      if (h.current_as_of == 0) {
        c.level = c.crit ? Level::kCritical : Level::kWarning;
        c.message =
            "commit age: the repository holds no commit and no "
            "heartbeat";
      } else {
        c.value = age(h.current_as_of);
        c.level = Judge(*c.value, c.warn, c.crit, false);
        c.message = absl::StrCat(
            "commit age ", Words(*c.value), " ", LimitText(c), ": ",
            h.newest ? absl::StrCat("newest commit LSN ", h.newest->lsn, " at ",
                                    FormatCommitTime(h.newest->commit_time))
                     : std::string("no commit"),
            h.heartbeat
                ? absl::StrCat(
                      ", heartbeat of ", h.heartbeat->writer, " (pid ",
                      h.heartbeat->pid, " on ", h.heartbeat->host, ") at ",
                      FormatCommitTime(absl::ToUnixNanos(h.heartbeat->time)))
                : std::string(", no heartbeat"));
      }
      results->push_back(std::move(c));
    }

    if (snapshot_age || c_snapshot_age) {
      CheckResult c = NewCheck("snapshot_age", "snapshot_age");
      c.warn = Secs(snapshot_age);
      c.crit = Secs(c_snapshot_age);
      if (!h.snapshot) {
        c.level = c.crit ? Level::kCritical : Level::kWarning;
        c.message = absl::StrCat("snapshot age: timeline ", h.timeline,
                                 " has no snapshot");
      } else {
        c.value = age(h.snapshot_current_as_of);
        c.level = Judge(*c.value, c.warn, c.crit, false);
        c.message = absl::StrCat(
            "snapshot age ", Words(*c.value), " ", LimitText(c),
            ": newest snapshot ", h.snapshot->name, " (LSN ", h.snapshot->lsn,
            ", ", FormatCommitTime(h.snapshot->commit_time), ")");
      }
      results->push_back(std::move(c));
    }

    // Gaps, clipped to the window the operator asked for.
    const CommitTime span_start =
        window ? now_ - absl::ToInt64Nanoseconds(*window) : 0;
    if (gap || c_gap) {
      CheckResult c = NewCheck("gap", "longest_gap");
      c.warn = Secs(gap);
      c.crit = Secs(c_gap);
      double longest = 0;
      std::vector<std::string> parts;
      for (const RestoreGap& g : h.gaps) {
        const CommitTime from = std::max(g.from, span_start);
        if (g.to < from) continue;
        const double len = static_cast<double>(g.to - from) / 1e9;
        longest = std::max(longest, len);
        parts.push_back(absl::StrCat(
            "LSN ", g.first_missing, "-",
            g.last_missing == kNoLsn ? std::string("end")
                                     : absl::StrCat(g.last_missing),
            " missing, nothing restorable from ", FormatCommitTime(from),
            " to ", FormatCommitTime(g.to)));
      }
      c.value = longest;
      c.level = Judge(longest, c.warn, c.crit, false);
      c.message = absl::StrCat(
          "longest gap ", parts.empty() ? std::string("none") : Words(longest),
          " ", LimitText(c),
          parts.empty() ? std::string()
                        : absl::StrCat(": ", absl::StrJoin(parts, "; ")));
      results->push_back(std::move(c));
    }

    if (window || c_window) {
      CheckResult c = NewCheck("window", "window");
      c.minimum = true;
      c.warn = Secs(window);
      c.crit = Secs(c_window);
      c.value = h.window_start ? age(*h.window_start) : 0.0;
      c.level = Judge(*c.value, c.warn, c.crit, true);
      c.message =
          h.window_start
              ? absl::StrCat("window ", Words(*c.value), " ", LimitText(c),
                             ": restorable from ",
                             FormatCommitTime(*h.window_start), " to ",
                             FormatCommitTime(*h.window_end))
              : absl::StrCat("window: nothing is restorable ", LimitText(c));
      results->push_back(std::move(c));
    }

    {
      CheckResult c = NewCheck("damage", "damaged");
      c.seconds = false;
      c.value = static_cast<double>(h.damage.size());
      c.crit = 0;
      c.level = h.damage.empty() ? Level::kOk : Level::kCritical;
      std::vector<std::string> parts;
      for (const CatalogProblem& p : h.damage) {
        parts.push_back(absl::StrCat(p.object, ": ", p.message));
      }
      c.message = h.damage.empty()
                      ? std::string("damaged objects: none")
                      : absl::StrCat("damaged objects: ", h.damage.size(),
                                     " (run "
                                     "`wayback verify`): ",
                                     absl::StrJoin(parts, "; "));
      results->push_back(std::move(c));
    }

    for (size_t i = 0; i < mirrors_.size(); ++i) {
      const std::optional<absl::Duration>& limit =
          mirror_limits[mirror_limits.size() == 1 ? 0 : i];
      CheckResult c =
          NewCheck("mirror_lag", absl::StrCat("mirror_lag_", i + 1));
      c.mirror = mirrors_[i];
      c.warn = Secs(limit);
      c.crit = Secs(c_mirror_lag);
      MirrorLagReading l = ReadMirrorLag(**repo, mirrors_[i], now_);
      if (!l.status.ok()) {
        c.level = Level::kCritical;
        c.message =
            absl::StrCat("mirror ", mirrors_[i],
                         ": cannot measure its lag: ", l.status.message());
      } else {
        c.value = absl::ToDoubleSeconds(l.lag);
        c.level = Judge(*c.value, c.warn, c.crit, false);
        c.message =
            absl::StrCat("mirror ", mirrors_[i], " lag ",
                         l.lag == absl::ZeroDuration() ? std::string("none")
                                                       : Words(*c.value),
                         " ", LimitText(c), ": restorable to ",
                         l.restorable ? absl::StrCat("LSN ", l.restorable->lsn)
                                      : std::string("nothing"));
      }
      lags_.push_back(std::move(l));
      results->push_back(std::move(c));
    }

    if (drill_age || c_drill_age) {
      CheckResult c = NewCheck("drill", "drill_age");
      c.warn = Secs(drill_age);
      c.crit = Secs(c_drill_age);
      const Level bad = c.crit ? Level::kCritical : Level::kWarning;
      if (!h.last_drill) {
        c.level = bad;
        c.message = "last drill: none recorded (run `wayback drill`)";
      } else {
        const DrillRecord& d = *h.last_drill;
        c.value = age(absl::ToUnixNanos(d.started));
        c.level = Judge(*c.value, c.warn, c.crit, false);
        if (!d.passed) c.level = bad;
        c.message = absl::StrCat("last drill ", d.passed ? "passed" : "FAILED",
                                 ", ", Words(*c.value), " ago ", LimitText(c),
                                 ": ", d.summary);
      }
      results->push_back(std::move(c));
    }
    return absl::OkStatus();
  }

  void PrintNagios(Io& io, const std::vector<CheckResult>& results,
                   Level worst) {
    static const char* kWord[] = {"OK", "WARNING", "CRITICAL"};
    std::vector<std::string> failing, perf;
    for (const CheckResult& c : results) {
      if (c.level != Level::kOk) failing.push_back(c.message);
      if (!c.value) continue;
      auto limit = [&](std::optional<double> v) {
        if (!v) return std::string();
        return absl::StrCat(absl::StrFormat("%.3f", *v), c.minimum ? ":" : "");
      };
      perf.push_back(absl::StrCat(
          c.perf_label, "=", absl::StrFormat("%.3f", *c.value),
          c.seconds ? "s" : "", ";", limit(c.warn), ";", limit(c.crit), ";0;"));
    }
    std::string summary =
        failing.empty()
            ? absl::StrCat(results.size(), " checks hold on ", flags_.repo)
            : absl::StrJoin(failing, "; ");
    // Perfdata starts at the first '|': keep it out of the text.
    std::replace(summary.begin(), summary.end(), '|', '/');
    io.out << "WAYBACK " << kWord[static_cast<int>(worst)] << " - " << summary
           << " | " << absl::StrJoin(perf, " ") << "\n";
  }

  void PrintJson(Io& io, const std::vector<CheckResult>& results, Level worst) {
    const RepositoryHealth& h = h_;
    auto time = [](std::optional<CommitTime> t) {
      return t ? json(FormatCommitTime(*t)) : json(nullptr);
    };
    auto opt = [](std::optional<double> v) {
      return v ? json(*v) : json(nullptr);
    };
    json checks = json::array();
    for (const CheckResult& c : results) {
      json j{{"name", c.name},
             {"ok", c.level == Level::kOk},
             {"level", LevelWord(c.level)},
             {"value", opt(c.value)},
             {"unit", c.seconds ? "seconds" : "count"},
             {"limit", opt(c.warn)},
             {"critical_limit", opt(c.crit)},
             {"limit_is_minimum", c.minimum},
             {"message", c.message}};
      if (!c.mirror.empty()) j["mirror"] = c.mirror;
      checks.push_back(std::move(j));
    }
    json gaps = json::array();
    for (const RestoreGap& g : h.gaps) {
      gaps.push_back(
          {{"from", FormatCommitTime(g.from)},
           {"to", FormatCommitTime(g.to)},
           {"seconds", absl::ToDoubleSeconds(g.length())},
           {"first_missing_lsn", g.first_missing},
           {"last_missing_lsn",
            g.last_missing == kNoLsn ? json(nullptr) : json(g.last_missing)}});
    }
    json j{
        {"repository", flags_.repo},
        {"identity", identity_ ? json(identity_->id) : json(nullptr)},
        {"ok", worst == Level::kOk},
        {"now", FormatCommitTime(now_)},
        {"checks", checks},
        {"timeline", h.timeline},
        {"newest_commit",
         h.newest
             ? json{{"lsn", h.newest->lsn},
                    {"commit_time", FormatCommitTime(h.newest->commit_time)}}
             : json(nullptr)},
        {"heartbeat",
         h.heartbeat ? json{{"time", FormatCommitTime(
                                         absl::ToUnixNanos(h.heartbeat->time))},
                            {"writer", h.heartbeat->writer},
                            {"pid", h.heartbeat->pid},
                            {"host", h.heartbeat->host},
                            {"last_durable_lsn", h.heartbeat->last_durable_lsn}}
                     : json(nullptr)},
        {"snapshot",
         h.snapshot
             ? json{{"name", h.snapshot->name},
                    {"lsn", h.snapshot->lsn},
                    {"commit_time", FormatCommitTime(h.snapshot->commit_time)}}
             : json(nullptr)},
        {"window",
         {{"start", time(h.window_start)}, {"end", time(h.window_end)}}},
        {"gaps", gaps},
        {"holes", h.holes},
        {"last_drill",
         h.last_drill ? json{{"started", FormatCommitTime(absl::ToUnixNanos(
                                             h.last_drill->started))},
                             {"passed", h.last_drill->passed},
                             {"summary", h.last_drill->summary}}
                      : json(nullptr)}};
    io.out << j.dump(2) << "\n";
  }

  // The textfile (docs/check.md, "Prometheus").
  std::string Metrics(const absl::Status& s,
                      const std::vector<CheckResult>& results) {
    PromWriter w(flags_.repo);
    w.Family("wayback_up",
             "1 if wayback check could read the repository, 0 if it could "
             "not run.");
    w.Sample(s.ok() ? 1 : 0);
    w.Family("wayback_check_timestamp_seconds",
             "When wayback check measured, Unix time.");
    w.Sample(UnixSeconds(now_ != 0 ? now_ : Clock::Real()->NowNanos()));
    if (!s.ok()) return w.text();
    const RepositoryHealth& h = h_;
    w.Family("wayback_check_ok",
             "1 if the check held at the last run, 0 if it failed.");
    for (const CheckResult& c : results) {
      w.Sample(c.level == Level::kOk ? 1 : 0,
               absl::StrCat(",check=\"", c.name, "\",mirror=\"",
                            PromLabel(c.mirror), "\""));
    }
    auto time_family = [&](const std::string& name, const std::string& help,
                           std::optional<CommitTime> t) {
      w.Family(name, help);
      if (t) w.Sample(UnixSeconds(*t));
    };
    time_family("wayback_last_commit_timestamp_seconds",
                "Commit time of the newest commit, Unix time.",
                h.newest ? std::optional(h.newest->commit_time) : std::nullopt);
    time_family("wayback_heartbeat_timestamp_seconds",
                "Time of the live capture's last heartbeat, Unix time.",
                h.heartbeat
                    ? std::optional(absl::ToUnixNanos(h.heartbeat->time))
                    : std::nullopt);
    w.Family("wayback_commit_age_seconds",
             "Now minus the newer of the newest commit and the heartbeat.");
    if (h.current_as_of != 0) w.Sample(UnixSeconds(now_ - h.current_as_of));
    time_family(
        "wayback_last_snapshot_timestamp_seconds",
        "Commit time of the newest snapshot's state, Unix time.",
        h.snapshot ? std::optional(h.snapshot->commit_time) : std::nullopt);
    w.Family("wayback_snapshot_age_seconds",
             "Now minus the instant the newest snapshot's state is current "
             "as of.");
    if (h.snapshot) w.Sample(UnixSeconds(now_ - h.snapshot_current_as_of));
    time_family("wayback_window_start_timestamp_seconds",
                "Earliest restorable instant of the newest timeline, Unix "
                "time.",
                h.window_start);
    time_family("wayback_window_end_timestamp_seconds",
                "Newest restorable commit of the newest timeline, Unix time.",
                h.window_end);
    w.Family("wayback_holes", "Holes in the log (LSN ranges in no segment).");
    w.Sample(static_cast<double>(h.holes));
    w.Family("wayback_longest_gap_seconds",
             "Longest stretch of commit time that cannot be restored.");
    double longest = 0;
    for (const RestoreGap& g : h.gaps) {
      longest = std::max(longest, absl::ToDoubleSeconds(g.length()));
    }
    w.Sample(longest);
    w.Family("wayback_damaged_objects",
             "Objects the catalog found damaged (run wayback verify).");
    w.Sample(static_cast<double>(h.damage.size()));
    w.Family("wayback_mirror_up",
             "1 if the mirror's lag could be measured, 0 if not.");
    for (const MirrorLagReading& l : lags_) {
      w.Sample(l.status.ok() ? 1 : 0,
               absl::StrCat(",mirror=\"", PromLabel(l.uri), "\""));
    }
    w.Family("wayback_mirror_lag_seconds",
             "Now minus the commit time of the oldest record the mirror "
             "lacks; 0 when it holds everything.");
    for (const MirrorLagReading& l : lags_) {
      if (!l.status.ok()) continue;
      w.Sample(absl::ToDoubleSeconds(l.lag),
               absl::StrCat(",mirror=\"", PromLabel(l.uri), "\""));
    }
    const std::optional<DrillRecord>& d = h.last_drill;
    time_family(
        "wayback_last_drill_timestamp_seconds",
        "Start of the last restore drill, Unix time.",
        d ? std::optional(absl::ToUnixNanos(d->started)) : std::nullopt);
    w.Family("wayback_last_drill_success",
             "1 if the last restore drill passed, 0 if it failed.");
    if (d) w.Sample(d->passed ? 1 : 0);
    w.Family("wayback_last_drill_slowest_restore_seconds",
             "The slowest restore of the last drill.");
    if (d) w.Sample(absl::ToDoubleSeconds(d->slowest_restore));
    return w.text();
  }

  RepoFlags flags_;
  std::string max_commit_age_ = "5m";
  std::string max_snapshot_age_ = "25h";
  std::string max_gap_ = "10m";
  std::string min_window_ = "off";
  std::string max_drill_age_ = "off";
  std::string crit_commit_age_, crit_snapshot_age_, crit_gap_, crit_window_,
      crit_mirror_lag_, crit_drill_age_;
  std::vector<std::string> mirrors_;
  std::vector<std::string> max_mirror_lag_;
  std::string now_text_;
  bool nagios_ = false;
  std::string prometheus_;

  CommitTime now_ = 0;
  RepositoryHealth h_;
  std::optional<RepositoryIdentity> identity_;
  std::vector<MirrorLagReading> lags_;
};

}  // namespace

std::unique_ptr<Command> NewCheckCommand() {
  return std::make_unique<CheckCommand>();
}

}  // namespace wayback::cli
