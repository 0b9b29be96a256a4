// Copyright 2026 The Wayback Authors.
//
// kill -9 of `wayback snapshot` (the real binary) at random instants while
// it replays the log, merges and writes. After every kill: every published
// snapshot verifies and equals an independent model of the history at its
// LSN (never a wrong state), no segment and no earlier snapshot is gone
// (never a lost object), and anything else under snap/ is a temporary. Then
// the same command is run again and must finish the job: the snapshot is
// there, equal to the model, and the killed run's temporary is removed.
//
// Trials: WAYBACK_SNAPSHOT_KILL9_TRIALS (default 200; 1000 with
// WAYBACK_FULL=1). Figures go to results/snapshot_kill9.json.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/reliability/reliability_util.h"
#include "tests/testutil/child_process.h"
#include "tests/testutil/testutil.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"

#ifndef WAYBACK_BINARY
#error "WAYBACK_BINARY must name the wayback executable"
#endif

namespace wayback::reliability {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

// Writes `n` random transactions; returns the state digest after each LSN.
std::vector<StateDigest> WriteHistory(Repository* repo, int n) {
  std::vector<StateDigest> digests(1);
  std::map<std::string, std::string> model;
  StateDigest d;
  std::mt19937_64 rng(99);
  ManualClock clock(1'767'225'600'000'000'000);
  LogWriterOptions o;
  o.durability = Durability::kBuffered;
  o.clock = &clock;
  o.segment_max_bytes = 256 << 10;
  auto w = LogWriter::Open(repo->storage(), o);
  EXPECT_TRUE(w.ok()) << w.status();
  if (!w.ok()) return digests;
  for (int i = 0; i < n; ++i) {
    clock.Advance(1000);
    Transaction t;
    const int muts = 1 + rng() % 4;
    for (int j = 0; j < muts; ++j) {
      std::string k = absl::StrCat("patient/", rng() % 6000);
      auto it = model.find(k);
      if (it != model.end()) d.Remove(it->first, it->second);
      if (rng() % 5 == 0) {
        t.Delete(k);
        model.erase(k);
      } else {
        std::string v(40 + rng() % 300, static_cast<char>('a' + rng() % 26));
        t.Put(k, v);
        model[k] = v;
        d.Add(k, v);
      }
    }
    EXPECT_TRUE((*w)->Append(t).ok());
    digests.push_back(d);
  }
  EXPECT_TRUE((*w)->Close().ok());
  return digests;
}

std::set<std::string> Names(Storage* storage, const std::string& prefix) {
  std::set<std::string> out;
  auto listed = storage->List(prefix);
  EXPECT_TRUE(listed.ok()) << listed.status();
  if (listed.ok()) {
    for (const ObjectInfo& o : *listed) out.insert(o.name);
  }
  return out;
}

TEST(SnapshotKill9, NeverAWrongStateNeverALostObjectRerunsFinish) {
  const int trials = static_cast<int>(
      EnvInt("WAYBACK_SNAPSHOT_KILL9_TRIALS", FullMode() ? 1000 : 200));
  std::mt19937_64 rng(EnvInt("WAYBACK_SNAPSHOT_KILL9_SEED", 5));
  testing::TempDir tmp;
  const std::string dir = tmp.path() + "/repo";
  const std::string log = tmp.path() + "/snapshot.log";
  auto repo = Repository::Create(dir);
  ASSERT_TRUE(repo.ok()) << repo.status();
  const int n = 20000;
  const std::vector<StateDigest> digests = WriteHistory(repo->get(), n);
  ASSERT_EQ(digests.size(), static_cast<size_t>(n + 1));
  Storage* storage = (*repo)->storage();
  const std::set<std::string> segments = Names(storage, "log/");

  // How long one run takes (process start included).
  auto run = [&](const std::vector<std::string>& args) {
    return testing::StartChild(WAYBACK_BINARY, args, log, false);
  };
  const auto c0 = std::chrono::steady_clock::now();
  testing::ChildProcess probe =
      run({"snapshot", "--repo", dir, "--at", "lsn:100", "--threads", "1"});
  ASSERT_EQ(testing::WaitChild(probe.pid), 0);
  const int64_t probe_us =
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - c0)
          .count();
  // Kills land in [0, 1.2x) of a run as the reruns measure it (a moving
  // average: later builds start from nearer snapshots and get shorter).
  double run_us = static_cast<double>(probe_us);

  std::set<std::string> snapshots = Names(storage, "snap/");
  int killed = 0, finished_anyway = 0, temporaries_seen = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const Lsn target = 1 + rng() % n;
    const std::vector<std::string> args = {
        "snapshot",  "--repo", dir, "--at", absl::StrCat("lsn:", target),
        "--threads", "1"};
    testing::ChildProcess c = run(args);
    ASSERT_GT(c.pid, 0);
    const int64_t span = std::max<int64_t>(2000, run_us * 1.2);
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % span));
    kill(c.pid, SIGKILL);
    const int rc = testing::WaitChild(c.pid);
    ASSERT_TRUE(rc == -SIGKILL || rc == 0) << "exit " << rc;
    if (rc == 0) ++finished_anyway;
    if (rc == -SIGKILL) ++killed;

    // Never a lost object: every segment and every earlier snapshot stays.
    ASSERT_EQ(Names(storage, "log/"), segments) << "trial " << trial;
    const std::set<std::string> now = Names(storage, "snap/");
    for (const std::string& s : snapshots) {
      ASSERT_TRUE(now.count(s)) << "trial " << trial << ": " << s << " gone";
    }
    // Never a wrong state: whatever was published verifies and is exact.
    for (const std::string& s : now) {
      if (s.ends_with(".tmp")) {
        ++temporaries_seen;
        continue;
      }
      if (snapshots.count(s)) continue;  // Checked before; immutable.
      auto r = SnapshotReader::Open(storage, s);
      ASSERT_TRUE(r.ok()) << "trial " << trial << ": " << r.status();
      ASSERT_TRUE((*r)->Verify().ok()) << "trial " << trial << ": " << s;
      ASSERT_EQ((*r)->info().digest, digests[(*r)->info().lsn])
          << "trial " << trial << ": " << s;
      snapshots.insert(s);
    }
    // The rerun finishes the job and leaves no temporary behind.
    const auto r0 = std::chrono::steady_clock::now();
    testing::ChildProcess again = run(args);
    ASSERT_EQ(testing::WaitChild(again.pid), 0)
        << "trial " << trial << ": the rerun failed";
    run_us = 0.8 * run_us +
             0.2 * std::chrono::duration_cast<std::chrono::microseconds>(
                       std::chrono::steady_clock::now() - r0)
                       .count();
    bool found = false;
    for (const std::string& s : Names(storage, "snap/")) {
      ASSERT_FALSE(s.ends_with(".tmp"))
          << "trial " << trial << ": " << s << " left after the rerun";
      if (snapshots.count(s)) continue;
      auto r = SnapshotReader::Open(storage, s);
      ASSERT_TRUE(r.ok()) << r.status();
      ASSERT_TRUE((*r)->Verify().ok()) << s;
      ASSERT_EQ((*r)->info().digest, digests[(*r)->info().lsn]) << s;
      snapshots.insert(s);
    }
    for (const std::string& s : snapshots) {
      Lsn lsn = 0;
      TimelineId tl = 0;
      if (ParseSnapshotObjectName(s, &tl, &lsn) && lsn == target) found = true;
    }
    ASSERT_TRUE(found) << "trial " << trial << ": no snapshot at lsn " << target
                       << " after the rerun";
  }
  // Most kills must land before the run ends, or the trial tests little.
  EXPECT_GT(killed, trials / 3) << "kills should mostly land mid-run";

  std::error_code ec;
  fs::create_directories("results", ec);
  std::ofstream("results/snapshot_kill9.json")
      << json{{"trials", trials},
              {"killed", killed},
              {"finished_before_the_kill", finished_anyway},
              {"temporaries_seen_after_kills", temporaries_seen},
              {"snapshots_checked", snapshots.size()},
              {"wrong_states", 0},
              {"lost_objects", 0}}
             .dump(2)
      << "\n";
  std::cout << "snapshot kill -9: " << trials << " trials (" << killed
            << " killed mid-build, " << finished_anyway << " finished first), "
            << temporaries_seen
            << " temporaries left by kills and removed by reruns, "
            << snapshots.size() << " snapshots checked exact\n";
}

}  // namespace
}  // namespace wayback::reliability
