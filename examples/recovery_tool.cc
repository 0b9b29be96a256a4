// Copyright 2026 The Wayback Authors.
//
// Linking Wayback into an application's own recovery tool: append committed
// transactions to the log, take a snapshot, then restore the state as of an
// instant. Usage: recovery_tool_example REPOSITORY_DIR (a new directory).

#include <cstdio>
#include <map>
#include <string>

#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

using namespace wayback;

int Fail(const absl::Status& s) {
  std::fprintf(stderr, "error: %s\n", std::string(s.ToString()).c_str());
  return 1;
}

int main(int argc, char** argv) {
  if (argc != 2) return std::fprintf(stderr, "usage: %s DIR\n", argv[0]), 2;
  auto storage = OpenStorage(argv[1], /*create=*/true);
  if (!storage.ok()) return Fail(storage.status());

  // 1. The write path: every committed transaction goes to the log (kSync:
  //    Append returns once it is durable).
  auto log = LogWriter::Open(storage->get(), LogWriterOptions{});
  if (!log.ok()) return Fail(log.status());
  const CommitTime t0 = *ParseCommitTime("2026-11-25T10:00:00Z");
  const CommitTime minute = 60'000'000'000;
  std::map<std::string, std::string> app_state;  // The application's own state.
  const char* versions[] = {"{\"bp\":\"120/80\"}", "{\"bp\":\"135/85\"}"};
  for (int i = 0; i < 2; ++i) {
    Transaction txn;
    txn.txid = 100 + i;
    txn.commit_time = t0 + i * 5 * minute;  // 10:00 and 10:05
    txn.Put("patient/42", versions[i]);
    app_state["patient/42"] = versions[i];
    auto lsn = (*log)->Append(txn);
    if (!lsn.ok()) return Fail(lsn.status());

    // 2. Now and then, a snapshot of the state as of the last LSN.
    if (i == 0) {
      SnapshotWriterOptions so;
      so.lsn = *lsn;
      so.commit_time = *txn.commit_time;
      auto it = app_state.begin();
      auto snap = WriteSnapshot(storage->get(), so,
                                [&](std::string_view* k, std::string_view* v) {
                                  if (it == app_state.end()) return false;
                                  *k = it->first, *v = it->second, ++it;
                                  return true;
                                });
      if (!snap.ok()) return Fail(snap.status());
    }
  }
  Transaction mistake;  // 10:10: a record deleted by mistake.
  mistake.commit_time = t0 + 10 * minute;
  mistake.Delete("patient/42");
  if (auto s = (*log)->Append(mistake); !s.ok()) return Fail(s.status());
  if (auto s = (*log)->Close(); !s.ok()) return Fail(s);

  // 3. The recovery tool: the state as of 10:07, just before the mistake.
  auto catalog = Catalog::Open(storage->get());
  if (!catalog.ok()) return Fail(catalog.status());
  auto plan = PlanRecovery(
      **catalog,
      RecoveryTarget::Time(*ParseCommitTime("2026-11-25T10:07:00Z")));
  if (!plan.ok()) return Fail(plan.status());
  std::unique_ptr<StateTarget> target =
      NewMemoryTarget();  // or OpenRocksDBTarget(path): wayback::rocksdb
  auto result = Restore(storage->get(), *plan, target.get());
  if (!result.ok()) return Fail(result.status());
  auto value = target->Get("patient/42");
  if (!value.ok()) return Fail(value.status());

  std::printf("%s\npatient/42 = %s\n", result->ToString().c_str(),
              value->value_or("(absent)").c_str());
  return *value == std::optional<std::string>(versions[1]) ? 0 : 1;
}
