// Copyright 2026 The Wayback Authors.
//
// Crash simulation: committers append in synced mode while the "machine"
// loses power (FaultInjectionStorage drops or tears every unsynced byte);
// then a new writer recovers and a reader checks, against an exact model,
// that no acknowledged transaction was lost, the log has no hole, and
// nothing that was never submitted appears. Many randomized trials on one
// repository, so recovery also runs over previously recovered logs.
//
// WAYBACK_LOG_CRASH_TRIALS overrides the number of trials (default 200).

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <shared_mutex>
#include <thread>

#include "gtest/gtest.h"
#include "tests/log/log_test_util.h"
#include "tests/testutil/fault_injection_storage.h"
#include "wayback/log.h"

namespace wayback {
namespace {

using testing::CrashMode;
using testing::CrashOptions;
using testing::FaultInjectionStorage;

// Makes a killed process really stop: once `dead`, every storage call of the
// old writer fails. The crash is taken under the exclusive lock, so no call
// of the old writer straddles it. (Handles opened before the crash are
// killed by FaultInjectionStorage itself.)
class KillableStorage : public StorageWrapper {
 public:
  using StorageWrapper::StorageWrapper;
  template <typename F>
  void Kill(F crash) {
    std::unique_lock<std::shared_mutex> l(mu_);
    dead_ = true;
    crash();
  }

#define WAYBACK_FORWARD_(ret, name, params, args)         \
  ret name params override {                              \
    std::shared_lock<std::shared_mutex> l(mu_);           \
    if (dead_) return absl::AbortedError("process dead"); \
    return target()->name args;                           \
  }
  WAYBACK_FORWARD_(absl::StatusOr<std::unique_ptr<ReadableObject>>, OpenForRead,
                   (std::string_view n), (n))
  WAYBACK_FORWARD_(absl::StatusOr<ObjectInfo>, Stat, (std::string_view n), (n))
  WAYBACK_FORWARD_(absl::StatusOr<std::vector<ObjectInfo>>, List,
                   (std::string_view p), (p))
  WAYBACK_FORWARD_(absl::StatusOr<std::unique_ptr<ObjectWriter>>, Create,
                   (std::string_view n), (n))
  WAYBACK_FORWARD_(absl::Status, Delete, (std::string_view n), (n))
  WAYBACK_FORWARD_(absl::StatusOr<std::unique_ptr<AppendableObject>>,
                   OpenAppendable,
                   (std::string_view n, const AppendableOptions& o), (n, o))
  WAYBACK_FORWARD_(absl::Status, Rename,
                   (std::string_view a, std::string_view b), (a, b))
  WAYBACK_FORWARD_(absl::StatusOr<std::unique_ptr<StorageLock>>, Lock,
                   (std::string_view n), (n))
#undef WAYBACK_FORWARD_

 private:
  std::shared_mutex mu_;
  bool dead_ = false;
};

int Trials() {
  const char* e = std::getenv("WAYBACK_LOG_CRASH_TRIALS");
  return e ? std::atoi(e) : 200;
}

TEST(CrashTest, NoAcknowledgedTransactionIsLost) {
  std::unique_ptr<FaultInjectionStorage> fsp;
  // Every transaction ever submitted, by txid (unique), and the LSN of each
  // acknowledged one.
  std::map<uint64_t, Transaction> submitted;
  std::map<Lsn, uint64_t> acked;
  std::mutex model_mu;
  uint64_t next_txid = 1;
  Lsn last_durable = 0;
  uint64_t torn_cuts = 0;
  const int trials = Trials();
  uint64_t survived = 0;
  for (int trial = 0; trial < trials; ++trial) {
    SCOPED_TRACE("trial " + std::to_string(trial));
    if (trial % 10 == 0) {
      // A fresh repository now and then keeps the log (which every trial
      // reads whole) small; within a run of ten, recovery runs over
      // recovered logs.
      survived += acked.size();
      fsp = std::make_unique<FaultInjectionStorage>(NewMemoryStorage());
      acked.clear();
      last_durable = 0;
    }
    FaultInjectionStorage& fs = *fsp;
    std::mt19937_64 rng(1000 + trial);
    KillableStorage proc(&fs);
    LogWriterOptions o;
    o.durability = Durability::kSync;
    o.block_size = 64 + rng() % 512;
    o.segment_max_bytes = 1024 + rng() % 4096;
    o.segment_max_age = absl::InfiniteDuration();
    auto w = LogWriter::Open(&proc, o);
    ASSERT_TRUE(w.ok()) << w.status();
    const LogOpenReport& rep = (*w)->open_report();
    ASSERT_GE(rep.last_lsn, last_durable) << "recovery lost durable records";

    const int threads = 1 + static_cast<int>(rng() % 4);
    std::atomic<bool> stop{false};
    std::vector<std::thread> committers;
    for (int th = 0; th < threads; ++th) {
      const uint64_t seed = rng();
      committers.emplace_back([&, seed] {
        std::mt19937_64 r(seed);
        while (!stop.load()) {
          Transaction t = testing::RandomTxn(r);
          {
            std::lock_guard<std::mutex> g(model_mu);
            t.txid = next_txid++;
            submitted[*t.txid] = t;
          }
          auto lsn = (*w)->Append(t);
          if (!lsn.ok()) return;  // The process died under us.
          std::lock_guard<std::mutex> g(model_mu);
          acked[*lsn] = *t.txid;
        }
      });
    }
    // Let them commit a while, then cut the power.
    std::this_thread::sleep_for(std::chrono::microseconds(rng() % 3000));
    CrashOptions crash;
    crash.mode = static_cast<CrashMode>(trial % 3);
    crash.lose_unsynced_creations = true;
    crash.seed = trial;
    proc.Kill([&] { ASSERT_TRUE(fs.SimulateCrash(crash).ok()); });
    stop = true;
    for (auto& t : committers) t.join();
    w->reset();

    // The restarted process: recover, then read everything back.
    {
      LogWriterOptions ro = o;
      auto w2 = LogWriter::Open(&fs, ro);
      ASSERT_TRUE(w2.ok()) << w2.status();
      if (!(*w2)->open_report().torn_object.empty()) ++torn_cuts;
      ASSERT_TRUE((*w2)->Close().ok());
    }
    auto got = testing::ReadLog(&fs);
    ASSERT_TRUE(got.ok()) << got.status();
    EXPECT_FALSE(got->torn) << "recovery cut every torn tail";
    std::map<Lsn, uint64_t> txid_at;
    std::set<uint64_t> seen;
    Lsn expect = 1;
    for (const auto& r : got->records) {
      ASSERT_EQ(r.lsn, expect++) << "hole";
      ASSERT_TRUE(r.txid.has_value());
      ASSERT_TRUE(seen.insert(*r.txid).second) << "duplicate txid " << *r.txid;
      auto it = submitted.find(*r.txid);
      ASSERT_NE(it, submitted.end()) << "never submitted: txid " << *r.txid;
      ASSERT_EQ(r.mutations, it->second.mutations) << "lsn " << r.lsn;
      txid_at[r.lsn] = *r.txid;
    }
    for (const auto& [lsn, txid] : acked) {
      auto it = txid_at.find(lsn);
      ASSERT_NE(it, txid_at.end()) << "acknowledged LSN " << lsn << " lost";
      ASSERT_EQ(it->second, txid) << "acknowledged LSN " << lsn << " changed";
    }
    // What survived is now durable (recovery synced its cut) and becomes
    // acknowledged history for the next trials.
    acked = txid_at;
    last_durable = got->records.empty() ? 0 : got->records.back().lsn;
  }
  survived += acked.size();
  std::printf("%d trials, %llu records survived, %llu torn tails cut\n", trials,
              static_cast<unsigned long long>(survived),
              static_cast<unsigned long long>(torn_cuts));
  EXPECT_GT(survived, 0u);
}

}  // namespace
}  // namespace wayback
