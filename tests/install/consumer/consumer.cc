// Copyright 2026 The Wayback Authors.
//
// A recovery tool that uses only the installed core (wayback::wayback, no
// RocksDB): writes a log and a snapshot into a repository, then restores the
// state as of an instant into memory and checks it. Built with
// -DWITH_ROCKSDB (find_package(wayback COMPONENTS rocksdb)) it also restores
// into a RocksDB database and reads the pair back from it.

#include <cstdio>
#include <map>
#include <string>

#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"
#ifdef WITH_ROCKSDB
#include "wayback/rocksdb.h"
#endif

using namespace wayback;

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "consumer: %s\n", std::string(s.ToString()).c_str());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: consumer DIR\n"), 2;
  auto repo = Repository::Create(std::string(argv[1]) + "/repo");
  if (!repo.ok()) return Fail(repo.status());
  Storage* storage = (*repo)->storage();
  auto log = LogWriter::Open(storage, LogWriterOptions{});
  if (!log.ok()) return Fail(log.status());
  const CommitTime t0 = 1'764'067'320'000'000'000;
  for (int i = 0; i < 3; ++i) {
    Transaction txn;
    txn.commit_time = t0 + i * 60'000'000'000;
    txn.Put("patient/1", "v" + std::to_string(i));
    auto lsn = (*log)->Append(txn);
    if (!lsn.ok()) return Fail(lsn.status());
    if (i == 0) {
      std::map<std::string, std::string> state = {{"patient/1", "v0"}};
      auto it = state.begin();
      SnapshotWriterOptions so;
      so.lsn = *lsn;
      so.commit_time = *txn.commit_time;
      auto snap = WriteSnapshot(storage, so,
                                [&](std::string_view* k, std::string_view* v) {
                                  if (it == state.end()) return false;
                                  *k = it->first, *v = it->second, ++it;
                                  return true;
                                });
      if (!snap.ok()) return Fail(snap.status());
    }
  }
  if (auto s = (*log)->Close(); !s.ok()) return Fail(s);

  auto catalog = (*repo)->ReadCatalog();
  if (!catalog.ok()) return Fail(catalog.status());
  // As of one minute after the first commit: "v1".
  auto plan =
      PlanRecovery(**catalog, RecoveryTarget::Time(t0 + 60'000'000'000));
  if (!plan.ok()) return Fail(plan.status());
  std::unique_ptr<StateTarget> memory = NewMemoryTarget();
  auto result = Restore(storage, *plan, memory.get());
  if (!result.ok()) return Fail(result.status());
  auto value = memory->Get("patient/1");
  if (!value.ok()) return Fail(value.status());
  if (*value != std::optional<std::string>("v1")) {
    std::fprintf(stderr, "consumer: memory restore gave the wrong value\n");
    return 1;
  }
#ifdef WITH_ROCKSDB
  auto db = OpenRocksDBTarget(std::string(argv[1]) + "/db",
                              RocksDBTargetOptions::ForRestore());
  if (!db.ok()) return Fail(db.status());
  auto r2 = Restore(storage, *plan, db->get());
  if (!r2.ok()) return Fail(r2.status());
  auto v2 = (*db)->Get("patient/1");
  if (!v2.ok()) return Fail(v2.status());
  if (*v2 != std::optional<std::string>("v1") ||
      !(r2->digest == result->digest)) {
    std::fprintf(stderr, "consumer: RocksDB restore differs from memory\n");
    return 1;
  }
#endif
  std::printf("consumer ok: %s\n", result->ToString().c_str());
  return 0;
}
