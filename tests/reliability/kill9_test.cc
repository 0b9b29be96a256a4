// Copyright 2026 The Wayback Authors.
//
// kill -9. A child process (crash_child write) commits transactions from 4
// threads in synced mode, with segment rolls and snapshots under way, and
// reports every acknowledged LSN through a file; it is killed with SIGKILL at
// a random moment. The log is then read back (the next child's
// LogWriter::Open recovers it; at the end of each group of lives the test
// recovers it itself) and compared with the acknowledgements and with what
// each committer deterministically submits. Must be 0: acknowledged missing,
// holes, transactions never submitted; every published snapshot verifies.
//
// Also: a child restoring into RocksDB is killed; the target then reads as
// incomplete (or complete with the exact digest), and restoring again gives
// the exact digest. The trials take turns between the direct path, the
// staged path `wayback restore` uses (RocksDBTargetOptions::ForRestore()),
// and the staged path under a memory bound that spills sorted runs.
//
// Trials: WAYBACK_KILL9_TRIALS (default 100; 1000 with WAYBACK_FULL=1).
// Figures go to results/kill9.json and results/restore_kill9.json.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/reliability/reliability_util.h"
#include "tests/testutil/testutil.h"
#include "wayback/recovery.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"

#ifndef WAYBACK_CRASH_CHILD
#error "WAYBACK_CRASH_CHILD must name the crash_child executable"
#endif

namespace wayback::reliability {
namespace {

pid_t Spawn(const std::vector<std::string>& args, const std::string& out) {
  pid_t pid = fork();
  if (pid == 0) {
    std::vector<char*> argv;
    for (const std::string& a : args)
      argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    FILE* f = std::freopen(out.c_str(), "w", stdout);
    (void)f;
    execv(WAYBACK_CRASH_CHILD, argv.data());
    _exit(127);
  }
  return pid;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Ack {
  int who, seq;
};

TEST(Kill9, AcknowledgedTransactionsSurvive) {
  const int trials =
      static_cast<int>(EnvInt("WAYBACK_KILL9_TRIALS", FullMode() ? 1000 : 100));
  const int lives_per_dir = 4;
  const uint64_t seed = 42;
  std::mt19937_64 rng(EnvInt("WAYBACK_KILL9_SEED", 1));
  int64_t acked = 0, lost = 0, holes = 0, phantom = 0, mismatched = 0,
          child_failures = 0, snapshots_checked = 0, snapshot_failures = 0,
          records_read = 0, torn_tails = 0;
  std::unique_ptr<wayback::testing::TempDir> dir;
  std::map<Lsn, Ack> acks;
  for (int trial = 0; trial < trials; ++trial) {
    const int life = trial % lives_per_dir;
    if (life == 0) {
      dir = std::make_unique<wayback::testing::TempDir>();
      acks.clear();
    }
    const std::string repo = dir->path() + "/repo";
    const std::string ack_file = dir->path() + "/acks";
    pid_t pid = Spawn({WAYBACK_CRASH_CHILD, "write", repo, std::to_string(seed),
                       std::to_string(life), ack_file},
                      dir->path() + "/out");
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(
        std::chrono::microseconds(20000 + rng() % 230000));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
      ++child_failures;
      ADD_FAILURE() << "trial " << trial << ": child ended by itself, status "
                    << status;
    }
    // Every acknowledgement so far (earlier lives of this directory too).
    {
      std::istringstream in(ReadFile(ack_file));
      std::string line;
      while (std::getline(in, line)) {
        unsigned long long lsn;
        int who, seq;
        if (std::sscanf(line.c_str(), "%llu %d %d", &lsn, &who, &seq) == 3) {
          acks[lsn] = {who, seq};
        }
        // A partial last line cannot happen (one write per line), and would
        // only lose an acknowledgement from the oracle, never add one.
      }
    }
    auto storage = OpenLocalStorage(repo, false);
    if (!storage.ok()) {
      // Killed before the directory existed.
      EXPECT_TRUE(acks.empty());
      continue;
    }
    const bool last_life = life == lives_per_dir - 1 || trial == trials - 1;
    if (last_life) {
      // Recovery by the writer itself, then a clean close.
      auto w = LogWriter::Open(storage->get(), {});
      ASSERT_TRUE(w.ok()) << w.status();
      if ((*w)->open_report().torn_bytes > 0) ++torn_tails;
      ASSERT_TRUE((*w)->Close().ok());
    }
    LogReadout got = ReadLog(storage->get());
    if (!got.status.ok()) {
      ++lost;
      ADD_FAILURE() << "trial " << trial << ": " << got.status;
      continue;
    }
    if (got.torn) ++torn_tails;
    records_read += static_cast<int64_t>(got.records.size());
    std::map<Lsn, const Rec*> by_lsn;
    Lsn expect = 1;
    for (const Rec& r : got.records) {
      if (r.lsn != expect) ++holes;
      expect = r.lsn + 1;
      by_lsn[r.lsn] = &r;
      int who, seq;
      if (r.mutations.empty() || std::sscanf(r.mutations[0].key.c_str(),
                                             "tag/%d/%d", &who, &seq) != 2) {
        ++phantom;
        continue;
      }
      const Transaction want = Tagged(seed, who, seq);
      if (r.mutations != want.mutations || r.txid != want.txid) ++phantom;
    }
    int64_t trial_lost = 0;
    for (const auto& [lsn, a] : acks) {
      auto it = by_lsn.find(lsn);
      if (it == by_lsn.end()) {
        ++trial_lost;
        continue;
      }
      if (it->second->mutations[0].key !=
          absl::StrCat("tag/", a.who, "/", a.seq)) {
        ++mismatched;
      }
    }
    lost += trial_lost;
    if (trial_lost > 0) {
      ADD_FAILURE() << "trial " << trial << ": " << trial_lost
                    << " acknowledged transactions missing of " << acks.size();
    }
    // Every snapshot that was published whole verifies.
    auto snaps = (*storage)->List("snap/");
    ASSERT_TRUE(snaps.ok());
    for (const ObjectInfo& o : *snaps) {
      TimelineId t;
      Lsn l;
      if (!ParseSnapshotObjectName(o.name, &t, &l)) continue;
      ++snapshots_checked;
      SnapshotReadout s = ReadSnapshot(storage->get(), o.name);
      if (!s.status.ok() || s.pairs.size() != 200) {
        ++snapshot_failures;
        ADD_FAILURE() << o.name << ": " << s.status;
      }
    }
  }
  acked = 0;
  (void)acked;
  Results fig("kill9");
  fig.Set("trials", trials);
  fig.Set("records_read", records_read);
  fig.Set("acknowledged_lost", lost);
  fig.Set("holes", holes);
  fig.Set("never_submitted", phantom);
  fig.Set("lsn_content_mismatch", mismatched);
  fig.Set("torn_tails_seen", torn_tails);
  fig.Set("snapshots_checked", snapshots_checked);
  fig.Set("snapshot_failures", snapshot_failures);
  fig.Set("child_failures", child_failures);
  fig.Set("crashes", child_failures);
  fig.Write();
  EXPECT_EQ(lost + holes + phantom + mismatched, 0);
}

TEST(Kill9, RestoreKilledThenRestoredAgain) {
  const int trials = static_cast<int>(
      EnvInt("WAYBACK_RESTORE_KILL9_TRIALS", FullMode() ? 50 : 8));
  wayback::testing::TempDir dir;
  const std::string repo = dir.path() + "/repo";
  // A repository big enough that a restore takes a while: 20,000
  // transactions in synced-off mode.
  StateDigest want;
  {
    auto storage = OpenLocalStorage(repo, true);
    ASSERT_TRUE(storage.ok());
    LogWriterOptions wo;
    wo.durability = Durability::kBuffered;
    auto w = LogWriter::Open(storage->get(), wo);
    ASSERT_TRUE(w.ok());
    std::map<std::string, std::string> state;
    for (int i = 0; i < 20000; ++i) {
      Transaction t = Tagged(9, 0, i);
      t.Put(absl::StrCat("big/", i % 3000), std::string(200, 'a' + i % 26));
      for (const Mutation& m : t.mutations) {
        if (m.type == MutationType::kPut) {
          state[m.key] = m.value;
        } else {
          state.erase(m.key);
        }
      }
      ASSERT_TRUE((*w)->Append(t).ok());
    }
    ASSERT_TRUE((*w)->Close().ok());
    for (const auto& [k, v] : state) want.Add(k, v);
  }
  std::mt19937_64 rng(7);
  int64_t killed_incomplete = 0, finished_before_kill = 0, wrong = 0,
          restored_again = 0, staged_trials = 0;
  for (int trial = 0; trial < trials; ++trial) {
    const std::string db = dir.path() + "/db" + std::to_string(trial);
    const std::string out = dir.path() + "/restore.out";
    const char* const kModes[] = {"direct", "staged", "staged-spill"};
    const std::string mode = kModes[trial % 3];
    RocksDBTargetOptions options;  // As the child opens it (crash_child.cc).
    if (mode != "direct") {
      ++staged_trials;
      options = RocksDBTargetOptions::ForRestore(2);
      if (mode == "staged-spill") options.stage_memory_limit = 128 << 10;
    }
    SCOPED_TRACE(mode);
    pid_t pid = Spawn({WAYBACK_CRASH_CHILD, "restore", repo, db, mode}, out);
    ASSERT_GT(pid, 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 500));
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    auto target = OpenRocksDBTarget(db, options);
    ASSERT_TRUE(target.ok()) << target.status();
    auto marker = (*target)->ReadMarker();
    ASSERT_TRUE(marker.ok()) << marker.status();
    if (marker->has_value() && (*marker)->complete) {
      ++finished_before_kill;
      auto d = (*target)->Digest();
      ASSERT_TRUE(d.ok());
      if (!(*d == want)) {
        ++wrong;
        ADD_FAILURE() << "a target marked complete has the wrong state";
      }
    } else {
      ++killed_incomplete;
    }
    auto storage = OpenLocalStorage(repo, false);
    ASSERT_TRUE(storage.ok());
    auto catalog = Catalog::Open(storage->get());
    ASSERT_TRUE(catalog.ok());
    auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
    ASSERT_TRUE(plan.ok());
    RestoreOptions ro;
    ro.force = true;
    auto again = Restore(storage->get(), *plan, target->get(), ro);
    ASSERT_TRUE(again.ok()) << again.status();
    auto d = (*target)->Digest();
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(*d, want);
    if (*d == want) ++restored_again;
  }
  Results fig("restore_kill9");
  fig.Set("trials", trials);
  fig.Set("killed_mid_restore_marked_incomplete", killed_incomplete);
  fig.Set("finished_before_kill", finished_before_kill);
  fig.Set("complete_but_wrong", wrong);
  fig.Set("restored_again_same_digest", restored_again);
  fig.Set("staged_trials", staged_trials);
  fig.Write();
}

}  // namespace
}  // namespace wayback::reliability
