// Copyright 2026 The Wayback Authors.
//
// kill -9 of `wayback compact` (the real binary) at random instants. A
// repository is written once with a two-record segment roll; each trial
// copies it (every fourth trial; the others continue from the state the
// previous trial's kill left, so they kill reruns), runs `wayback compact
// --grace 0s` with a small target size (so that one pass writes and verifies
// many replacements and deletes many originals), and SIGKILLs it at a random
// instant of its run. After each kill the repository must restore exactly the
// model at several targets and the log must hold every record (LSN k is event
// k: nothing lost, nothing doubled); the catalog may show stray temporaries and
// superseded segments, nothing else. Every fourth trial a rerun must then
// finish the job: exit 0, no superseded segment and no temporary left, and
// the same restores.
//
// Trials: WAYBACK_COMPACT_KILL9_TRIALS (default 200; 1000 with
// WAYBACK_FULL=1). Figures go to results/compact_kill9.json.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/reliability/reliability_util.h"
#include "tests/testutil/child_process.h"
#include "tests/testutil/state_model.h"
#include "tests/testutil/testutil.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

#ifndef WAYBACK_BINARY
#error "WAYBACK_BINARY must name the wayback executable"
#endif

namespace wayback::reliability {
namespace {

namespace fs = std::filesystem;

constexpr CommitTime kBase = 1767225600000000000;  // 2026-01-01T00:00:00Z
constexpr Lsn kRecords = 48;

// Event k (LSN k): deterministic. Every 29th is a restore point.
Transaction TxnAt(Lsn k) {
  Transaction t;
  t.commit_time = kBase + static_cast<CommitTime>(k) * 1000000;
  t.txid = k;
  t.source_position = 1000 + k;
  std::mt19937_64 r(k);
  const int n = 1 + static_cast<int>(r() % 3);
  for (int i = 0; i < n; ++i) {
    const std::string key = absl::StrCat("patient/", r() % 60);
    if (r() % 4 == 0) {
      t.Delete(key);
    } else {
      t.Put(key, std::string(30 + r() % 300, static_cast<char>('a' + k % 26)));
    }
  }
  return t;
}
bool IsRestorePoint(Lsn k) { return k % 29 == 0; }

// The model: the digest after each LSN (a restore point changes nothing).
std::vector<StateDigest> Model() {
  return testing::DigestsAfterEach(kRecords, [](Lsn k) {
    return IsRestorePoint(k) ? Transaction() : TxnAt(k);
  });
}

void WriteRepository(const std::string& dir) {
  auto repo = Repository::Create(dir);
  ASSERT_TRUE(repo.ok()) << repo.status();
  LogWriterOptions o;
  o.format_version = 2;
  o.durability = Durability::kBuffered;
  o.segment_max_age = absl::InfiniteDuration();
  auto w = LogWriter::Open((*repo)->storage(), o);
  ASSERT_TRUE(w.ok()) << w.status();
  for (Lsn k = 1; k <= kRecords; ++k) {
    const Transaction t = TxnAt(k);
    if (IsRestorePoint(k)) {
      ASSERT_TRUE((*w)->AppendRestorePoint(absl::StrCat("rp-", k),
                                           t.commit_time, t.source_position)
                      .ok());
    } else {
      ASSERT_TRUE((*w)->Append(t).ok());
    }
    if (k % 2 == 0 && k < kRecords) {
      ASSERT_TRUE((*w)->Roll().ok());
    }
  }
  ASSERT_TRUE((*w)->Close().ok());
}

// What a trial found in the repository.
struct Check {
  std::string error;  // Empty when the repository restores the model.
  size_t superseded = 0;
  size_t temporaries = 0;
};

Check CheckRepository(const std::string& dir,
                      const std::vector<StateDigest>& model,
                      std::mt19937_64& rng) {
  Check c;
  auto storage = OpenStorage(dir);
  if (!storage.ok())
    return {absl::StrCat("open: ", storage.status().message())};
  Storage* s = storage->get();
  auto catalog = Catalog::Open(s);
  if (!catalog.ok()) {
    return {absl::StrCat("catalog: ", catalog.status().message())};
  }
  for (const CatalogProblem& p : (*catalog)->problems()) {
    if (p.code == absl::StatusCode::kAborted) {
      ++c.temporaries;  // A replacement's write cut short.
      continue;
    }
    return {absl::StrCat("catalog problem ", p.object, ": ", p.message)};
  }
  c.superseded = (*catalog)->superseded().size();
  // Every record, exactly once, in order (nothing lost, nothing doubled).
  LogReaderOptions ro;
  auto reader = LogReader::Open(s, ro);
  if (!reader.ok())
    return {absl::StrCat("reader: ", reader.status().message())};
  Lsn expect = 1;
  while (true) {
    auto r = (*reader)->Next();
    if (!r.ok()) return {absl::StrCat("read: ", r.status().message())};
    if (*r == nullptr) break;
    const LogRecord& rec = **r;
    const Transaction t = TxnAt(expect);
    if (rec.lsn != expect || rec.commit_time != *t.commit_time ||
        rec.source_position.value_or(0) != *t.source_position ||
        (rec.type == RecordType::kRestorePoint) != IsRestorePoint(expect) ||
        (!IsRestorePoint(expect) &&
         rec.ToTransaction().mutations != t.mutations)) {
      return {
          absl::StrCat("record at LSN ", rec.lsn, " is not event ", expect)};
    }
    ++expect;
  }
  if (expect != kRecords + 1) {
    return {absl::StrCat("log ends at LSN ", expect - 1, ", not ", kRecords)};
  }
  // Restores at several targets: both ends and random LSNs between.
  std::vector<Lsn> targets = {1, kRecords};
  for (int i = 0; i < 3; ++i) targets.push_back(1 + rng() % kRecords);
  for (Lsn lsn : targets) {
    auto plan = PlanRecovery(**catalog, RecoveryTarget::AtLsn(lsn));
    if (!plan.ok()) {
      return {absl::StrCat("plan lsn ", lsn, ": ", plan.status().message())};
    }
    auto target = NewMemoryTarget();
    auto r = Restore(s, *plan, target.get());
    if (!r.ok()) {
      return {absl::StrCat("restore lsn ", lsn, ": ", r.status().message())};
    }
    if (!r->digest || r->digest->ToString() != model[lsn].ToString()) {
      return {absl::StrCat("restore lsn ", lsn,
                           ": digest differs from the "
                           "model")};
    }
  }
  return c;
}

std::vector<std::string> CompactArgs(const std::string& dir) {
  // About five segments (of ~1.5 KiB) per replacement.
  return {"compact", "--repo", dir, "--grace", "0s", "--target-size", "8K"};
}

TEST(CompactKill9Test, KilledAtRandomInstantsNeverLosesAndRerunsFinish) {
  signal(SIGPIPE, SIG_IGN);
  const int trials = static_cast<int>(
      EnvInt("WAYBACK_COMPACT_KILL9_TRIALS", FullMode() ? 1000 : 200));
  std::mt19937_64 rng(EnvInt("WAYBACK_COMPACT_KILL9_SEED", 11));
  testing::TempDir tmp;
  const std::string pristine = tmp.path() + "/pristine";
  const std::string repo = tmp.path() + "/repo";
  const std::string log = tmp.path() + "/compact.log";
  WriteRepository(pristine);
  const std::vector<StateDigest> model = Model();

  // One clean run, timed, bounds the instants at which trials kill.
  fs::copy(pristine, repo, fs::copy_options::recursive);
  const auto t0 = std::chrono::steady_clock::now();
  ASSERT_EQ(
      testing::WaitChild(
          testing::StartChild(WAYBACK_BINARY, CompactArgs(repo), log, false)
              .pid),
      0);
  const int64_t clean_us =
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::steady_clock::now() - t0)
          .count();
  {
    Check c = CheckRepository(repo, model, rng);
    ASSERT_EQ(c.error, "");
    ASSERT_EQ(c.superseded, 0u);
  }

  Results results("compact_kill9");
  results.Set("trials", trials);
  results.Set("clean_run_us", clean_us);
  int64_t killed = 0, finished_before_kill = 0, left_superseded = 0,
          left_temporaries = 0;
  for (int trial = 0; trial < trials; ++trial) {
    if (trial % 4 == 0) {
      fs::remove_all(repo);
      fs::copy(pristine, repo, fs::copy_options::recursive);
    }
    const auto kill_after =
        std::chrono::microseconds(rng() % (clean_us + clean_us / 5 + 1));
    testing::ChildProcess child =
        testing::StartChild(WAYBACK_BINARY, CompactArgs(repo), log, false);
    ASSERT_GT(child.pid, 0);
    std::this_thread::sleep_for(kill_after);
    kill(child.pid, SIGKILL);
    const int status = testing::WaitChild(child.pid);
    if (status == -SIGKILL) {
      ++killed;
    } else {
      ASSERT_EQ(status, 0) << "trial " << trial << ": see " << log;
      ++finished_before_kill;
    }
    Check after_kill = CheckRepository(repo, model, rng);
    ASSERT_EQ(after_kill.error, "") << "trial " << trial << " after the kill";
    if (after_kill.superseded > 0) ++left_superseded;
    if (after_kill.temporaries > 0) ++left_temporaries;
    // The next trial continues from here (it kills a rerun), except every
    // fourth, which runs to the end and checks the job is finished.
    if (trial % 4 != 3) continue;
    // A rerun finishes the job.
    ASSERT_EQ(
        testing::WaitChild(
            testing::StartChild(WAYBACK_BINARY, CompactArgs(repo), log, false)
                .pid),
        0)
        << "trial " << trial << ": rerun failed; see " << log;
    Check after_rerun = CheckRepository(repo, model, rng);
    ASSERT_EQ(after_rerun.error, "") << "trial " << trial << " after rerun";
    EXPECT_EQ(after_rerun.superseded, 0u) << "trial " << trial;
    EXPECT_EQ(after_rerun.temporaries, 0u) << "trial " << trial;
  }
  results.Set("killed", killed);
  results.Set("finished_before_kill", finished_before_kill);
  results.Set("left_superseded", left_superseded);
  results.Set("left_temporaries", left_temporaries);
  results.Write();
  // The kills must have landed inside the work, not only before or after
  // it: some trials left superseded originals behind (a replacement
  // published, its originals not yet all deleted).
  EXPECT_GT(left_superseded, 0);
  EXPECT_GT(killed, 0);
}

}  // namespace
}  // namespace wayback::reliability
