// Copyright 2026 The Wayback Authors.
//
// The process that kill9_test.cc kills. Two modes:
//
//   crash_child write <dir> <seed> <run> <ack-file>
//     Opens (recovering) the log in <dir> in synced mode with small blocks
//     and segments, and runs 4 committer threads that append forever the
//     transactions Tagged(seed, run * 10 + thread, seq) (see kill9_test.cc),
//     plus a thread that publishes snapshots now and then. After each
//     Append() returns, the committer writes "lsn thread seq\n" to the
//     ack file with one write(2) (O_APPEND): the line is in the kernel once
//     write returns, so it survives the kill.
//
//   crash_child restore <repo> <db>
//     Restores "latest" from <repo> into a RocksDB database at <db>, then
//     prints "done".

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "tests/reliability/reliability_util.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/rocksdb.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

namespace wayback::reliability {

namespace {

int Write(const std::string& dir, uint64_t seed, int run,
          const std::string& ack_path) {
  auto storage = OpenLocalStorage(dir, true);
  if (!storage.ok()) {
    std::fprintf(stderr, "%s\n", storage.status().ToString().c_str());
    return 2;
  }
  LogWriterOptions wo;
  wo.durability = Durability::kSync;
  wo.block_size = 1024;
  wo.segment_max_bytes = 8 * 1024;
  auto w = LogWriter::Open(storage->get(), wo);
  if (!w.ok()) {
    std::fprintf(stderr, "open: %s\n", w.status().ToString().c_str());
    return 3;
  }
  const int ack = ::open(ack_path.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0644);
  if (ack < 0) return 4;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      const int who = run * 10 + t;
      for (int seq = 0;; ++seq) {
        auto lsn = (*w)->Append(Tagged(seed, who, seq));
        if (!lsn.ok()) {
          std::fprintf(stderr, "append: %s\n", lsn.status().ToString().c_str());
          std::_Exit(5);
        }
        const std::string line = absl::StrCat(*lsn, " ", who, " ", seq, "\n");
        if (::write(ack, line.data(), line.size()) !=
            static_cast<ssize_t>(line.size())) {
          std::_Exit(6);
        }
      }
    });
  }
  // Snapshots under way: a small synthetic state labelled with the durable
  // LSN, published through Storage::Create (atomic on close).
  threads.emplace_back([&] {
    for (int i = 0;; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(15));
      SnapshotWriterOptions so;
      so.lsn = (*w)->durable_lsn();
      so.block_size = 512;
      int k = 0;
      std::string key, value;
      (void)WriteSnapshot(storage->get(), so,
                          [&](std::string_view* kk, std::string_view* vv) {
                            if (k == 200) return false;
                            key = absl::StrCat("snapkey/", 1000 + k);
                            value = std::string(50 + k % 7, 'a' + k % 26);
                            ++k;
                            *kk = key;
                            *vv = value;
                            return true;
                          });
    }
  });
  for (auto& t : threads) t.join();
  return 0;
}

// `mode`: "direct" (the default options), "staged" (the options of `wayback
// restore`) or "staged-spill" (those under a bound small enough to spill
// sorted runs).
RocksDBTargetOptions RestoreOptionsFor(const std::string& mode) {
  if (mode == "direct") return RocksDBTargetOptions();
  RocksDBTargetOptions o = RocksDBTargetOptions::ForRestore(2);
  if (mode == "staged-spill") o.stage_memory_limit = 128 << 10;
  return o;
}

int RestoreTo(const std::string& repo, const std::string& db,
              const std::string& mode) {
  auto storage = OpenLocalStorage(repo, false);
  if (!storage.ok()) return 2;
  auto catalog = Catalog::Open(storage->get());
  if (!catalog.ok()) return 3;
  auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
  if (!plan.ok()) return 4;
  auto target = OpenRocksDBTarget(db, RestoreOptionsFor(mode));
  if (!target.ok()) return 5;
  RestoreOptions ro;
  ro.force = true;
  auto result = Restore(storage->get(), *plan, target->get(), ro);
  if (!result.ok()) {
    std::fprintf(stderr, "%s\n", result.status().ToString().c_str());
    return 6;
  }
  std::printf("done\n");
  return 0;
}

}  // namespace
}  // namespace wayback::reliability

int main(int argc, char** argv) {
  using namespace wayback::reliability;
  if (argc == 6 && std::string(argv[1]) == "write") {
    return Write(argv[2], std::strtoull(argv[3], nullptr, 10),
                 std::atoi(argv[4]), argv[5]);
  }
  if ((argc == 4 || argc == 5) && std::string(argv[1]) == "restore") {
    return RestoreTo(argv[2], argv[3], argc == 5 ? argv[4] : "direct");
  }
  std::fprintf(stderr,
               "usage: %s write <dir> <seed> <run> <ack-file>\n"
               "       %s restore <repo> <db> [direct|staged|staged-spill]\n",
               argv[0], argv[0]);
  return 1;
}
