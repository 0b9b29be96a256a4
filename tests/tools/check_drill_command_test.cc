// Copyright 2026 The Wayback Authors.
//
// wayback check and wayback drill, run in process on repositories built for
// each case with known commit times (one commit a minute), so that every
// figure has an exact expected value: each check made to fail alone, the
// heartbeat keeping an idle repository healthy, the Nagios and Prometheus
// outputs (the textfile validated by promtool), and drills whose reports are
// parsed and compared with report.json, over a sound repository, one with a
// damaged segment and one with a snapshot that holds another state.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/testutil.h"
#include "tools/cli.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"

namespace wayback {
namespace {

namespace fs = std::filesystem;
using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using State = std::map<std::string, std::string>;

constexpr int64_t kMinute = 60'000'000'000;

CommitTime T0() {
  static const CommitTime t = *ParseCommitTime("2026-12-01T00:00:00Z");
  return t;
}
// Commit time of LSN `lsn` (every transaction is one minute after the last).
CommitTime At(Lsn lsn) { return T0() + static_cast<int64_t>(lsn) * kMinute; }
std::string Rfc(CommitTime t) { return FormatCommitTime(t); }

struct Output {
  int code;
  std::string out;
  std::string err;
};

Output Wb(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = cli::RunWayback(args, out, err);
  return {code, out.str(), err.str()};
}

json Json(const Output& o) {
  json j = json::parse(o.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << o.out << o.err;
  return j;
}

// The transaction at `lsn`: a patient row rewritten, a visit added, and
// every 7th a patient removed.
Transaction Txn(Lsn lsn) {
  Transaction t;
  t.commit_time = At(lsn);
  t.mutations.push_back({MutationType::kPut, absl::StrCat("patient/", lsn % 30),
                         absl::StrCat("v", lsn)});
  t.mutations.push_back({MutationType::kPut, absl::StrCat("visit/", lsn), "x"});
  if (lsn % 7 == 0) {
    t.mutations.push_back(
        {MutationType::kDelete, absl::StrCat("patient/", (lsn + 3) % 30), ""});
  }
  return t;
}

State ModelAt(Lsn lsn) {
  State s;
  for (Lsn i = 1; i <= lsn; ++i) {
    for (const Mutation& m : Txn(i).mutations) {
      if (m.type == MutationType::kPut) {
        s[m.key] = m.value;
      } else {
        s.erase(m.key);
      }
    }
  }
  return s;
}

// A repository at dir: LSNs 1..`lsns`, a segment per `per_segment`
// transactions, snapshots built from the repository at `snapshots`.
void Build(const std::string& dir, Lsn lsns, Lsn per_segment,
           const std::vector<Lsn>& snapshots) {
  auto repo = Repository::OpenOrCreate(dir);
  ASSERT_TRUE(repo.ok()) << repo.status();
  LogWriterOptions o;
  o.durability = Durability::kBuffered;
  o.segment_max_age = absl::Hours(100000);
  auto w = LogWriter::Open((*repo)->storage(), o);
  ASSERT_TRUE(w.ok()) << w.status();
  const Lsn first = (*w)->last_lsn() + 1;
  for (Lsn i = first; i <= lsns; ++i) {
    ASSERT_TRUE((*w)->Append(Txn(i)).ok());
    if (i % per_segment == 0) {
      ASSERT_TRUE((*w)->Roll().ok());
    }
  }
  ASSERT_TRUE((*w)->Close().ok());
  for (Lsn s : snapshots) {
    BuildSnapshotOptions b;
    b.target = RecoveryTarget::AtLsn(s);
    auto r = BuildSnapshot(**repo, b);
    ASSERT_TRUE(r.ok()) << r.status();
  }
}

std::vector<std::string> Segments(const std::string& dir) {
  std::vector<std::string> segs;
  for (auto& e : fs::directory_iterator(dir + "/log")) {
    if (e.path().extension() == ".seg") segs.push_back(e.path().string());
  }
  std::sort(segs.begin(), segs.end());
  return segs;
}

void Heartbeat(const std::string& dir, CommitTime t) {
  auto repo = Repository::Open(dir);
  ASSERT_TRUE(repo.ok());
  CaptureHeartbeat h;
  h.time = absl::FromUnixNanos(t);
  h.writer = "ingest";
  h.pid = 4242;
  h.host = "db1";
  h.last_durable_lsn = 120;
  ASSERT_TRUE(WriteHeartbeat(**repo, h).ok());
}

// 120 commits (LSN n at T0 + n min), six segments, snapshots at 60 and 120.
class CheckTest : public ::testing::Test {
 protected:
  void SetUp() override { Build(repo(), 120, 20, {60, 120}); }
  const std::string& repo() const { return dir_.path(); }
  // check --repo R --now (newest commit + `after`) ARGS...
  Output Check(int64_t after_minutes, std::vector<std::string> args) {
    std::vector<std::string> all = {"check", "--repo", repo(), "--now",
                                    Rfc(At(120) + after_minutes * kMinute)};
    all.insert(all.end(), args.begin(), args.end());
    return Wb(all);
  }
  testing::TempDir dir_;
};

// Lines starting with FAIL.
std::vector<std::string> Failing(const std::string& out) {
  std::vector<std::string> f;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("FAIL ")) f.push_back(line);
  }
  return f;
}

TEST_F(CheckTest, AHealthyRepositoryPassesEveryCheck) {
  Output o = Check(1, {"--min-window", "110m"});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_THAT(Failing(o.out), ::testing::IsEmpty()) << o.out;
  // One line per check: commit age, snapshot age, gap, window, damage.
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 5) << o.out;
  EXPECT_THAT(o.out, HasSubstr("ok   commit age 1 min 0 s (limit 5 min 0 s): "
                               "newest commit LSN 120 at " +
                               Rfc(At(120))));
  EXPECT_THAT(o.out, HasSubstr("ok   window 2 h 0 min (limit at least 1 h "
                               "50 min): restorable from " +
                               Rfc(At(1))));
}

TEST_F(CheckTest, AnOldCommitFailsAloneAndAHeartbeatMakesAnIdleSourcePass) {
  Output o = Check(10, {});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  ASSERT_EQ(Failing(o.out).size(), 1u) << o.out;
  EXPECT_EQ(Failing(o.out)[0],
            "FAIL commit age 10 min 0 s (limit 5 min 0 s): newest commit LSN "
            "120 at " +
                Rfc(At(120)) + ", no heartbeat");
  // The capture is alive, the source idle: the heartbeat is two minutes old.
  Heartbeat(repo(), At(120) + 8 * kMinute);
  o = Check(10, {"--json"});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  json j = Json(o);
  EXPECT_TRUE(j["ok"].get<bool>());
  EXPECT_EQ(j["checks"][0]["name"], "commit_age");
  EXPECT_DOUBLE_EQ(j["checks"][0]["value"].get<double>(), 120.0);
  EXPECT_EQ(j["heartbeat"]["writer"], "ingest");
  EXPECT_EQ(j["heartbeat"]["time"], Rfc(At(120) + 8 * kMinute));
  // The newest snapshot holds the newest commit: its state is as current as
  // the heartbeat says, so an idle source needs no new snapshot either.
  EXPECT_EQ(j["checks"][1]["name"], "snapshot_age");
  EXPECT_DOUBLE_EQ(j["checks"][1]["value"].get<double>(), 120.0);
  // A dead capture: the heartbeat ages too.
  o = Check(20, {});
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_THAT(o.out, HasSubstr("FAIL commit age 12 min 0 s"));
}

TEST_F(CheckTest, AnOldSnapshotFailsAlone) {
  // Twenty more commits after the newest snapshot (LSN 120).
  Build(repo(), 140, 20, {});
  Output o = Wb({"check", "--repo", repo(), "--now", Rfc(At(140)),
                 "--max-snapshot-age", "19m", "--json"});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  json j = Json(o);
  int failing = 0;
  for (const json& c : j["checks"]) {
    if (c["ok"].get<bool>()) continue;
    ++failing;
    EXPECT_EQ(c["name"], "snapshot_age");
    EXPECT_DOUBLE_EQ(c["value"].get<double>(), 20 * 60.0);
    EXPECT_DOUBLE_EQ(c["limit"].get<double>(), 19 * 60.0);
    EXPECT_THAT(c["message"].get<std::string>(),
                HasSubstr("newest snapshot snap/"));
  }
  EXPECT_EQ(failing, 1) << o.out;
}

TEST_F(CheckTest, AHoleFailsTheGapCheckNamingItsLsns) {
  // Segment 41-60 goes; the snapshot at 60 starts a new window.
  std::vector<std::string> segs = Segments(repo());
  ASSERT_EQ(segs.size(), 6u);
  fs::remove(segs[2]);
  Output o = Check(1, {});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  ASSERT_EQ(Failing(o.out).size(), 1u) << o.out;
  // Nothing between LSN 40 (restorable) and the snapshot at 60.
  EXPECT_EQ(Failing(o.out)[0],
            "FAIL longest gap 20 min 0 s (limit 10 min 0 s): LSN 41-60 "
            "missing, nothing restorable from " +
                Rfc(At(40)) + " to " + Rfc(At(60)));
  // Outside the window asked for, the same hole is no alarm.
  o = Check(1, {"--min-window", "30m"});
  EXPECT_EQ(o.code, 0) << o.out;
  // A hole of 20 minutes is within a 25-minute limit.
  o = Check(1, {"--max-gap", "25m"});
  EXPECT_EQ(o.code, 0) << o.out;
}

TEST_F(CheckTest, AShortWindowFailsAlone) {
  Output o = Check(1, {"--min-window", "35d"});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  ASSERT_EQ(Failing(o.out).size(), 1u) << o.out;
  EXPECT_EQ(Failing(o.out)[0],
            "FAIL window 2 h 0 min (limit at least 35 d 0 h): restorable "
            "from " +
                Rfc(At(1)) + " to " + Rfc(At(120)));
}

TEST_F(CheckTest, AMirrorBehindFailsAloneUntilMirrored) {
  testing::TempDir mirror;
  auto source = Repository::Open(repo());
  ASSERT_TRUE(source.ok());
  {
    auto m = Repository::OpenOrCreateMirror(mirror.path(), **source);
    ASSERT_TRUE(m.ok()) << m.status();
    ASSERT_TRUE(MirrorRepository(**source, (*m)->storage()).ok());
  }
  Output o = Check(1, {"--mirror", mirror.path()});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_THAT(o.out, HasSubstr("ok   mirror " + mirror.path() +
                               " lag none (limit 5 min 0 s): restorable to "
                               "LSN 120"));
  // Ten more commits at the source; the mirror lacks LSN 121 (committed at
  // At(121)), so at At(130) + 1 min it lags 10 minutes.
  Build(repo(), 130, 20, {});
  o = Wb({"check", "--repo", repo(), "--now", Rfc(At(130) + kMinute),
          "--mirror", mirror.path(), "--max-mirror-lag", "5m"});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  ASSERT_EQ(Failing(o.out).size(), 1u) << o.out;
  EXPECT_EQ(Failing(o.out)[0], "FAIL mirror " + mirror.path() +
                                   " lag 10 min 0 s (limit 5 min 0 s): "
                                   "restorable to LSN 120");
  {
    auto m = Repository::OpenOrCreateMirror(mirror.path(), **source);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(MirrorRepository(**source, (*m)->storage()).ok());
  }
  o = Wb({"check", "--repo", repo(), "--now", Rfc(At(130) + kMinute),
          "--mirror", mirror.path()});
  // The live segment (121-130) is not mirrored until sealed: Build closed
  // the writer, which seals it, so the mirror now holds everything.
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  // A mirror that cannot be read fails the check.
  o = Check(1, {"--mirror", mirror.path() + "/nonexistent"});
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_THAT(o.out, HasSubstr("FAIL mirror " + mirror.path() +
                               "/nonexistent: cannot measure its lag"));
}

TEST_F(CheckTest, ADamagedHeartbeatIsDamageNotAReasonToStop) {
  fs::create_directories(repo() + "/capture");
  std::ofstream(repo() + "/capture/heartbeat.json") << "{}\n";
  Output o = Check(1, {});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  ASSERT_EQ(Failing(o.out).size(), 1u) << o.out;
  EXPECT_EQ(Failing(o.out)[0],
            "FAIL damaged objects: 1 (run `wayback verify`): "
            "capture/heartbeat.json: heartbeat capture/heartbeat.json: has 0 "
            "members, not 8");
}

TEST_F(CheckTest, CannotRunIsExitTwo) {
  Output o = Wb({"check", "--repo", repo() + "/missing"});
  EXPECT_EQ(o.code, 2) << o.out;
  EXPECT_THAT(o.err, HasSubstr("could not check"));
  o = Check(1, {"--max-gap", "ten minutes"});
  EXPECT_EQ(o.code, 2) << o.out;
  EXPECT_THAT(o.err, HasSubstr("bad --max-gap \"ten minutes\""));
  o = Check(1, {"--mirror", "a", "--mirror", "b", "--max-mirror-lag", "1m",
                "--max-mirror-lag", "2m", "--max-mirror-lag", "3m"});
  EXPECT_EQ(o.code, 2) << o.out;
}

TEST_F(CheckTest, NagiosLevelsAndPerfdata) {
  Output o = Check(1, {"--nagios", "--min-window", "1h"});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_EQ(o.out,
            "WAYBACK OK - 5 checks hold on " + repo() +
                " | commit_age=60.000s;300.000;;0; "
                "snapshot_age=60.000s;90000.000;;0; "
                "longest_gap=0.000s;600.000;;0; "
                "window=7200.000s;3600.000:;;0; damaged=0.000;;0.000;0;\n");
  o = Check(10, {"--nagios"});
  EXPECT_EQ(o.code, 1) << o.out;
  EXPECT_THAT(o.out, ::testing::StartsWith("WAYBACK WARNING - commit age 10 "
                                           "min 0 s"));
  o = Check(10, {"--nagios", "--critical-max-commit-age", "8m"});
  EXPECT_EQ(o.code, 2) << o.out;
  EXPECT_THAT(o.out, ::testing::StartsWith("WAYBACK CRITICAL - commit age"));
  EXPECT_THAT(o.out, HasSubstr("commit_age=600.000s;300.000;480.000;0;"));
  o = Wb({"check", "--repo", repo() + "/missing", "--nagios"});
  EXPECT_EQ(o.code, 3) << o.out;
  EXPECT_THAT(o.out, ::testing::StartsWith("WAYBACK UNKNOWN - "));
  // One line only, as Nagios reads it.
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1);
}

// promtool's verdict on a textfile: its exit code and output.
std::pair<int, std::string> Promtool(const std::string& file) {
  std::string cmd = "promtool check metrics < '" + file + "' 2>&1";
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return {-1, "popen failed"};
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The samples of a textfile: "name{labels}" -> value.
std::map<std::string, double> Samples(const std::string& file) {
  std::map<std::string, double> m;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const size_t sp = line.rfind(' ');
    m[line.substr(0, sp)] = std::stod(line.substr(sp + 1));
  }
  return m;
}

TEST_F(CheckTest, PrometheusTextfileIsValidAndExact) {
  // promtool comes with Debian's prometheus package (scripts/install-deps.sh);
  // a missing one is a failure, not a skip.
  ASSERT_EQ(std::system("command -v promtool >/dev/null"), 0)
      << "promtool is not installed (apt-get install prometheus)";
  testing::TempDir mirror;
  {
    auto source = Repository::Open(repo());
    ASSERT_TRUE(source.ok());
    auto m = Repository::OpenOrCreateMirror(mirror.path(), **source);
    ASSERT_TRUE(m.ok());
    ASSERT_TRUE(MirrorRepository(**source, (*m)->storage()).ok());
  }
  Heartbeat(repo(), At(120) + 30'000'000'000);
  const std::string file = dir_.path() + "/../" +
                           fs::path(dir_.path()).filename().string() +
                           "-wayback.prom";
  Output o = Check(10, {"--prometheus", file, "--mirror", mirror.path(),
                        "--min-window", "1h"});
  ASSERT_EQ(o.code, 1) << o.out << o.err;  // The commit age fails.
  auto [rc, out] = Promtool(file);
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "") << out;
  EXPECT_FALSE(fs::exists(file + ".tmp"));
  const std::string r = "{repository=\"" + repo() + "\"";
  std::map<std::string, double> s = Samples(file);
  fs::remove(file);
  auto at = [&](const std::string& name, const std::string& extra = "") {
    auto it = s.find(name + r + extra + "}");
    EXPECT_NE(it, s.end()) << name << extra;
    return it == s.end() ? -1.0 : it->second;
  };
  const double now = static_cast<double>(At(120) + 10 * kMinute) / 1e9;
  EXPECT_EQ(at("wayback_up"), 1);
  EXPECT_DOUBLE_EQ(at("wayback_check_timestamp_seconds"), now);
  EXPECT_DOUBLE_EQ(at("wayback_last_commit_timestamp_seconds"),
                   static_cast<double>(At(120)) / 1e9);
  EXPECT_DOUBLE_EQ(at("wayback_heartbeat_timestamp_seconds"),
                   static_cast<double>(At(120)) / 1e9 + 30);
  EXPECT_DOUBLE_EQ(at("wayback_commit_age_seconds"), 570);
  EXPECT_DOUBLE_EQ(at("wayback_last_snapshot_timestamp_seconds"),
                   static_cast<double>(At(120)) / 1e9);
  EXPECT_DOUBLE_EQ(at("wayback_snapshot_age_seconds"), 570);
  EXPECT_DOUBLE_EQ(at("wayback_window_start_timestamp_seconds"),
                   static_cast<double>(At(1)) / 1e9);
  EXPECT_DOUBLE_EQ(at("wayback_window_end_timestamp_seconds"),
                   static_cast<double>(At(120)) / 1e9);
  EXPECT_EQ(at("wayback_holes"), 0);
  EXPECT_EQ(at("wayback_longest_gap_seconds"), 0);
  EXPECT_EQ(at("wayback_damaged_objects"), 0);
  const std::string m = ",mirror=\"" + mirror.path() + "\"";
  EXPECT_EQ(at("wayback_mirror_up", m), 1);
  EXPECT_EQ(at("wayback_mirror_lag_seconds", m), 0);
  EXPECT_EQ(at("wayback_check_ok", ",check=\"commit_age\",mirror=\"\""), 0);
  EXPECT_EQ(at("wayback_check_ok", ",check=\"window\",mirror=\"\""), 1);
  EXPECT_EQ(at("wayback_check_ok", ",check=\"mirror_lag\"" + m), 1);
  // No drill yet: the drill families have no sample.
  EXPECT_EQ(s.count("wayback_last_drill_success" + r + "}"), 0u);

  // A repository that cannot be read still gets a file that says so.
  o = Wb({"check", "--repo", repo() + "/missing", "--prometheus", file});
  EXPECT_EQ(o.code, 2);
  auto [rc2, out2] = Promtool(file);
  EXPECT_EQ(rc2, 0) << out2;
  s = Samples(file);
  fs::remove(file);
  EXPECT_EQ(s["wayback_up{repository=\"" + repo() + "/missing\"}"], 0);
}

// ---------------------------------------------------------------------------
// drill

// Runs check_drill_report.py on a report directory; "" if it agrees.
std::string CheckReportPage(const std::string& dir) {
  std::string cmd =
      absl::StrCat("python3 '", WAYBACK_SOURCE_DIR,
                   "/tests/tools/check_drill_report.py' '", dir, "' 2>&1");
  FILE* p = ::popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    return out.empty() ? "checker failed" : out;
  }
  return "";
}

// The one report directory under `reports`.
std::string ReportDir(const std::string& reports) {
  std::vector<std::string> dirs;
  for (auto& e : fs::directory_iterator(reports)) {
    dirs.push_back(e.path().string());
  }
  EXPECT_EQ(dirs.size(), 1u);
  return dirs.empty() ? "" : dirs[0];
}

json ReadJson(const std::string& path) {
  std::ifstream in(path);
  return json::parse(in, nullptr, false);
}

TEST(DrillCommand, ASoundRepositoryPassesAndTheEvidenceAgrees) {
  testing::TempDir dir, reports, scratch;
  Build(dir.path(), 120, 20, {60, 100});
  Output o = Wb({"drill", "--repo", dir.path(), "--targets", "6", "--seed", "7",
                 "--into", "rocksdb:" + scratch.path() + "/s", "--rto", "1h",
                 "--report", reports.path()});
  ASSERT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_THAT(o.out, HasSubstr("PASS 7 of 7 restores exact"));
  const std::string rd = ReportDir(reports.path());
  json r = ReadJson(rd + "/report.json");
  ASSERT_FALSE(r.is_discarded());
  EXPECT_TRUE(r["passed"].get<bool>());
  EXPECT_EQ(r["seed"], 7);
  ASSERT_EQ(r["results"].size(), 7u);
  auto repo = Repository::Open(dir.path());
  ASSERT_TRUE(repo.ok());
  EXPECT_EQ(r["repository"]["identity"], (*repo)->identity()->id);
  int independent = 0;
  for (const json& x : r["results"]) {
    SCOPED_TRACE(x.dump());
    EXPECT_TRUE(x["passed"].get<bool>());
    // The model's state at the LSN the plan stopped at.
    const Lsn lsn = x["lsn"].get<Lsn>();
    if (x["kind"] == "random") {
      const CommitTime t = *ParseCommitTime(x["instant"].get<std::string>());
      EXPECT_EQ(lsn, static_cast<Lsn>((t - T0()) / kMinute));
      EXPECT_GE(t, At(1));
      EXPECT_LE(t, At(120));
    } else {
      EXPECT_EQ(lsn, 120u);
    }
    const State model = ModelAt(lsn);
    StateDigest d;
    std::map<std::string, uint64_t> groups;
    for (const auto& [k, v] : model) {
      d.Add(k, v);
      ++groups[k.substr(0, k.find('/'))];
    }
    EXPECT_EQ(x["digest"], d.ToString());
    EXPECT_EQ(x["keys"], model.size());
    EXPECT_EQ(x["key_groups"]["patient"], groups["patient"]);
    EXPECT_EQ(x["key_groups"]["visit"], groups["visit"]);
    // From a snapshot, the check starts from the empty state; from the empty
    // state, it starts from a snapshot if one is at or before the instant.
    if (x["independent"]["path"].is_string()) {
      ++independent;
      EXPECT_NE(x["independent"]["path"], x["planned_from"]);
      EXPECT_TRUE(x["independent"]["digest_equal"].get<bool>());
    } else {
      EXPECT_LT(lsn, 60u) << "only instants before the first snapshot have "
                             "a single path";
    }
    EXPECT_TRUE(x["rto_ok"].get<bool>());
  }
  EXPECT_GE(independent, 1);
  EXPECT_EQ(CheckReportPage(rd), "");
  // The scratch target is left as it was found: nothing.
  EXPECT_FALSE(fs::exists(scratch.path() + "/s"));

  // The record in the repository, and what check makes of it.
  auto drills = ListDrills(**repo);
  ASSERT_TRUE(drills.ok()) << drills.status();
  ASSERT_EQ(drills->size(), 1u);
  EXPECT_TRUE((*drills)[0].passed);
  EXPECT_EQ((*drills)[0].restores, 7u);
  EXPECT_EQ(DrillObjectName((*drills)[0].started), r["record"]);
  o = Wb({"check", "--repo", dir.path(), "--max-commit-age", "off",
          "--max-snapshot-age", "off", "--max-drill-age", "1h"});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_THAT(o.out, HasSubstr("ok   last drill passed"));
  // Mirrored with the rest.
  testing::TempDir mirror;
  auto m = Repository::OpenOrCreateMirror(mirror.path(), **repo);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(MirrorRepository(**repo, (*m)->storage()).ok());
  EXPECT_TRUE(fs::exists(mirror.path() + "/" + r["record"].get<std::string>()));
}

TEST(DrillCommand, ADamagedSegmentFailsNamingTheInstant) {
  testing::TempDir dir, reports;
  Build(dir.path(), 120, 20, {60});
  // Damage the last segment's first block payload: every restore past LSN
  // 100 reads it, the latest always does.
  std::vector<std::string> segs = Segments(dir.path());
  ASSERT_EQ(segs.size(), 6u);
  {
    std::fstream f(segs[5], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char c;
    f.get(c);
    f.seekp(100);
    f.put(static_cast<char>(c ^ 0x40));
  }
  Output o = Wb({"drill", "--repo", dir.path(), "--targets", "3", "--seed", "1",
                 "--report", reports.path()});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  EXPECT_THAT(o.out, HasSubstr("FAIL #4 latest: "));
  EXPECT_THAT(o.out, HasSubstr(fs::path(segs[5]).filename().string()));
  const std::string rd = ReportDir(reports.path());
  json r = ReadJson(rd + "/report.json");
  EXPECT_FALSE(r["passed"].get<bool>());
  EXPECT_FALSE(r["results"][3]["passed"].get<bool>());
  EXPECT_EQ(CheckReportPage(rd), "");
  auto repo = Repository::Open(dir.path());
  ASSERT_TRUE(repo.ok());
  auto drills = ListDrills(**repo);
  ASSERT_TRUE(drills.ok());
  ASSERT_EQ(drills->size(), 1u);
  EXPECT_FALSE((*drills)[0].passed);
  o = Wb({"check", "--repo", dir.path(), "--max-commit-age", "off",
          "--max-snapshot-age", "off", "--max-drill-age", "1h"});
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.out, HasSubstr("FAIL last drill FAILED"));
}

TEST(DrillCommand, ASnapshotHoldingAnotherStateFailsNamingTheInstant) {
  testing::TempDir dir, reports;
  Build(dir.path(), 120, 20, {});
  // A snapshot at LSN 110 that is internally sound (its digest matches its
  // pairs) but lacks one key the log says exists.
  {
    auto storage = OpenStorage(dir.path());
    ASSERT_TRUE(storage.ok());
    SnapshotWriterOptions o;
    o.lsn = 110;
    o.commit_time = At(110);
    auto w = SnapshotWriter::Create(storage->get(), o);
    ASSERT_TRUE(w.ok()) << w.status();
    State s = ModelAt(110);
    s.erase("visit/50");
    for (const auto& [k, v] : s) ASSERT_TRUE((*w)->Add(k, v).ok());
    ASSERT_TRUE((*w)->Finish().ok());
  }
  Output o = Wb({"drill", "--repo", dir.path(), "--targets", "0", "--report",
                 reports.path(), "--json"});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  json j = Json(o);
  ASSERT_EQ(j["results"].size(), 1u);
  const json& x = j["results"][0];
  EXPECT_EQ(x["target"], "latest");
  EXPECT_FALSE(x["passed"].get<bool>());
  EXPECT_THAT(x["planned_from"].get<std::string>(), HasSubstr("snap/"));
  EXPECT_EQ(x["independent"]["path"], "the empty state");
  EXPECT_FALSE(x["independent"]["digest_equal"].get<bool>());
  EXPECT_EQ(x["key_groups"]["visit"], 119);
  EXPECT_THAT(x["problems"].dump(),
              HasSubstr("keys of visit: 119 restored, 120 by the independent "
                        "path"));
  EXPECT_EQ(CheckReportPage(ReportDir(reports.path())), "");
}

TEST(DrillCommand, MissedObjectivesFailTheDrill) {
  testing::TempDir dir, reports;
  Build(dir.path(), 20, 10, {});
  // Commits of 2026-12-01 against this machine's clock: the recovery point
  // is days old; and no restore takes under a nanosecond.
  Output o = Wb({"drill", "--repo", dir.path(), "--targets", "1", "--rto",
                 "1ns", "--rpo", "5m", "--report", reports.path()});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  EXPECT_THAT(o.out, HasSubstr("(RTO 1ns, MISSED)"));
  EXPECT_THAT(o.out, HasSubstr("(RPO 5m, MISSED)"));
  EXPECT_THAT(o.out, HasSubstr("FAIL recovery time: the slowest restore "
                               "took "));
  EXPECT_THAT(o.out, HasSubstr("FAIL recovery point: the newest restorable "
                               "instant, " +
                               Rfc(At(20))));
  json r = ReadJson(ReportDir(reports.path()) + "/report.json");
  EXPECT_FALSE(r["objectives"]["rto_ok"].get<bool>());
  EXPECT_FALSE(r["objectives"]["rpo_ok"].get<bool>());
  EXPECT_FALSE(r["results"][0]["rto_ok"].get<bool>());
  EXPECT_EQ(CheckReportPage(ReportDir(reports.path())), "");
}

TEST(DrillCommand, BadFlags) {
  testing::TempDir dir, reports;
  Build(dir.path(), 20, 10, {});
  Output o = Wb({"drill", "--repo", dir.path(), "--into", "disk", "--report",
                 reports.path()});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("bad --into \"disk\""));
  o = Wb({"drill", "--repo", dir.path(), "--rto", "soon", "--report",
          reports.path()});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("bad --rto \"soon\""));
  o = Wb({"drill", "--repo", dir.path()});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--report"));
}

}  // namespace
}  // namespace wayback
