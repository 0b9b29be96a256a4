// Copyright 2026 The Wayback Authors.
//
// kill -9 of `wayback capture postgres` (the real binary) at random instants
// while writers change a PostgreSQL 15 table concurrently; after every kill
// the capture starts again from the slot. Checked after every kill: the
// slot's confirmed flush position never passes the newest position the
// repository holds durably (the durability contract), and the log reads
// back whole. At the end, after a last clean run: the archived transactions
// are exactly the committed ones (the set of xids each writer saw commit,
// each once: 0 lost, 0 duplicated), and the state Wayback restores as of its
// latest commit equals the table PostgreSQL holds, row for row.
//
// The writers' transactions interleave freely, but their COMMIT statements
// are serialized by the test: commit timestamps then follow the WAL's order,
// which the Wayback log requires today (a capture meeting decreasing commit
// times stops with an error; docs/postgres.md).
//
// Trials: WAYBACK_PG_KILL9_TRIALS (default 100; 300 with WAYBACK_FULL=1).

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/testutil/child_process.h"
#include "tests/testutil/postgres_server.h"
#include "tests/testutil/testutil.h"
#include "wayback/log.h"
#include "wayback/postgres.h"
#include "wayback/recovery.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

#ifndef WAYBACK_BINARY
#error "WAYBACK_BINARY must name the wayback executable"
#endif

namespace wayback {
namespace {

using testing::PostgresServer;
using testing::SqlSession;
using testing::TempDir;

int Trials() {
  if (const char* t = std::getenv("WAYBACK_PG_KILL9_TRIALS")) {
    return std::atoi(t);
  }
  const char* full = std::getenv("WAYBACK_FULL");
  return full && std::string(full) == "1" ? 300 : 100;
}

uint64_t SlotConfirmed(PostgresServer& pg) {
  auto r = pg.Query(
      "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM "
      "pg_replication_slots WHERE slot_name = 'wb'");
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok() || r->empty() || !(*r)[0][0]) return 0;
  return std::stoull(*(*r)[0][0]);
}

struct LogSummary {
  uint64_t records = 0;
  uint64_t last_position = 0;
  std::multiset<uint64_t> txids;
  uint64_t restore_points = 0;
};

absl::StatusOr<LogSummary> ReadLog(const std::string& repo) {
  auto storage = OpenStorage(repo);
  if (!storage.ok()) return storage.status();
  LogSummary s;
  auto reader = LogReader::Open(storage->get(), {});
  if (!reader.ok()) {
    // An empty repository has no log yet.
    if (absl::IsNotFound(reader.status())) return s;
    return reader.status();
  }
  while (true) {
    auto rec = (*reader)->Next();
    if (!rec.ok()) return rec.status();
    if (*rec == nullptr) break;
    ++s.records;
    const uint64_t pos = (*rec)->source_position.value_or(0);
    if (pos <= s.last_position) {
      return absl::DataLossError(absl::StrCat(
          "LSN ", (*rec)->lsn, ": position ", pos, " does not increase"));
    }
    s.last_position = pos;
    if ((*rec)->type == RecordType::kRestorePoint) {
      ++s.restore_points;
    } else {
      s.txids.insert((*rec)->txid.value_or(0));
    }
  }
  return s;
}

TEST(PostgresKill9Test, NothingLostNothingDuplicated) {
  const int trials = Trials();
  ASSERT_GT(trials, 0);
  auto pg = PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  PostgresServer& server = **pg;
  ASSERT_TRUE(
      server
          .Exec("CREATE TABLE kv (k bigint PRIMARY KEY, v text, n int); "
                "CREATE PUBLICATION pub FOR TABLE kv")
          .ok());
  TempDir tmp;
  const std::string repo = tmp.path() + "/repo";
  const std::string log = tmp.path() + "/capture.log";
  const std::string ack = tmp.path() + "/acks.jsonl";
  auto args = [&](bool first) {
    std::vector<std::string> a = {"capture",
                                  "postgres",
                                  "--dsn",
                                  server.Dsn(),
                                  "--publication",
                                  "pub",
                                  "--slot",
                                  "wb",
                                  "--repo",
                                  repo,
                                  "--ack",
                                  ack,
                                  "--commit-interval",
                                  "1ms"};
    if (first) {
      a.push_back("--create-slot");
      a.push_back("--create");
    }
    return a;
  };
  auto slot_active = [&] {
    auto r = server.Query(
        "SELECT active FROM pg_replication_slots WHERE slot_name = 'wb'");
    return r.ok() && !r->empty() && (*r)[0][0] == "t";
  };
  // The slot and the repository.
  {
    testing::ChildProcess c =
        testing::StartChild(WAYBACK_BINARY, args(true), log, false);
    ASSERT_GT(c.pid, 0);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (!slot_active() && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(c.pid, SIGTERM);
    ASSERT_EQ(testing::WaitChild(c.pid), 0);
  }
  // Where the slot starts: its consistent point, confirmed at creation.
  const uint64_t created_at = SlotConfirmed(server);
  ASSERT_GT(created_at, 0u);

  // The writers: each owns its keys; transactions of one to three changes
  // (insert, update, primary key change, delete); COMMITs serialized.
  std::atomic<bool> stop{false};
  std::mutex commit_mu;
  std::mutex xids_mu;
  std::set<uint64_t> committed;
  std::atomic<int> failures{0};
  std::string first_failure;
  auto writer = [&](int w) {
    auto s = SqlSession::Open(server.Dsn());
    if (!s.ok()) {
      ++failures;
      return;
    }
    std::mt19937_64 r(1000 + w);
    std::vector<int64_t> keys;
    int64_t next = int64_t{w} * 1000000000;
    auto q = [&](const std::string& sql) -> absl::StatusOr<testing::SqlRows> {
      auto res = (*s)->Query(sql);
      if (!res.ok() && failures++ == 0) {
        std::lock_guard<std::mutex> l(xids_mu);
        first_failure = std::string(res.status().message());
      }
      return res;
    };
    while (!stop.load()) {
      if (!q("BEGIN").ok()) return;
      const int n = 1 + static_cast<int>(r() % 3);
      for (int i = 0; i < n; ++i) {
        const int op = static_cast<int>(r() % 6);
        std::string sql;
        if (op <= 2 || keys.empty()) {
          sql = absl::StrCat("INSERT INTO kv VALUES (", ++next, ", 'v",
                             r() % 1000, "', 0)");
          keys.push_back(next);
        } else if (op == 3) {
          sql = absl::StrCat("UPDATE kv SET n = n + 1, v = v || 'x' WHERE k = ",
                             keys[r() % keys.size()]);
        } else if (op == 4) {
          const size_t at = r() % keys.size();
          sql = absl::StrCat("UPDATE kv SET k = ", ++next,
                             " WHERE k = ", keys[at]);
          keys[at] = next;
        } else {
          const size_t at = r() % keys.size();
          sql = absl::StrCat("DELETE FROM kv WHERE k = ", keys[at]);
          keys.erase(keys.begin() + at);
        }
        if (!q(sql).ok()) return;
      }
      auto xid = q("SELECT txid_current()");
      if (!xid.ok()) return;
      {
        std::lock_guard<std::mutex> l(commit_mu);
        if (!q("COMMIT").ok()) return;
      }
      {
        std::lock_guard<std::mutex> l(xids_mu);
        committed.insert(std::stoull(*(*xid)[0][0]));
      }
      // A pace (some 250 transactions/s in all) that a capture restarted
      // twice a second keeps up with on a loaded 2-core machine, so that
      // kills fall in steady streaming as well as in catching up.
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  std::vector<std::thread> writers;
  for (int w = 1; w <= 3; ++w) writers.emplace_back(writer, w);
  // A failed assertion returns early: the writers stop with it.
  auto join = absl::MakeCleanup([&] {
    stop = true;
    for (std::thread& w : writers) {
      if (w.joinable()) w.join();
    }
  });

  std::mt19937_64 rng(20261207);
  const auto started = std::chrono::steady_clock::now();
  uint64_t max_records = 0;
  int trials_with_progress = 0;
  for (int t = 0; t < trials; ++t) {
    testing::ChildProcess c =
        testing::StartChild(WAYBACK_BINARY, args(false), log, false);
    ASSERT_GT(c.pid, 0);
    // Four kills in five fall while the capture streams (a random instant
    // after the server shows the slot in use); the fifth at a random
    // instant from the start (connecting, opening the log, waiting for the
    // slot the previous walsender still holds).
    if (rng() % 5 != 0) {
      const auto until =
          std::chrono::steady_clock::now() + std::chrono::seconds(10);
      while (!slot_active() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 300));
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(rng() % 200));
    }
    ::kill(c.pid, SIGKILL);
    const int rc = testing::WaitChild(c.pid);
    ASSERT_EQ(rc, -SIGKILL)
        << "trial " << t << ": the capture exited by itself (" << rc
        << "); see " << log;
    auto summary = ReadLog(repo);
    ASSERT_TRUE(summary.ok()) << "trial " << t << ": " << summary.status();
    // The contract: PostgreSQL was never told more than is durable.
    const uint64_t confirmed = SlotConfirmed(server);
    ASSERT_LE(confirmed, std::max(created_at, summary->last_position))
        << "trial " << t << ": the slot confirmed "
        << FormatPostgresLsn(confirmed) << " but the repository holds only "
        << FormatPostgresLsn(summary->last_position);
    ASSERT_GE(summary->records, max_records) << "trial " << t;
    if (summary->records > max_records) ++trials_with_progress;
    max_records = summary->records;
    ASSERT_EQ(failures.load(), 0) << first_failure;
  }
  // The kills fell while the capture was archiving, not only before it
  // started: the trials themselves archived transactions.
  const uint64_t archived_in_trials = max_records;
  EXPECT_GT(archived_in_trials, 0u);
  // Many kills fell after the capture had archived something in that run
  // (after a restart the server decodes again from the slot's restart
  // point, which under constant load lies well before its confirmed one).
  EXPECT_GE(trials_with_progress, trials / 4);
  const double trial_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  std::move(join).Invoke();
  ASSERT_EQ(failures.load(), 0) << first_failure;
  // A marker after the last write, then a clean run until it is durable.
  ASSERT_TRUE(server
                  .Exec("SELECT pg_logical_emit_message(true, 'wayback', "
                        "'restore_point:final')")
                  .ok());
  {
    testing::ChildProcess c =
        testing::StartChild(WAYBACK_BINARY, args(false), log, false);
    ASSERT_GT(c.pid, 0);
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(120);
    bool done = false;
    while (!done && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      std::ifstream in(ack);
      std::string line;
      while (std::getline(in, line)) {
        done = done || line.find("\"txid\":null") != std::string::npos;
      }
    }
    ::kill(c.pid, SIGTERM);
    ASSERT_EQ(testing::WaitChild(c.pid), 0) << "see " << log;
    ASSERT_TRUE(done) << "the final restore point was not acknowledged";
  }
  auto summary = ReadLog(repo);
  ASSERT_TRUE(summary.ok()) << summary.status();
  EXPECT_EQ(summary->restore_points, 1u);
  // Every committed transaction once, nothing else.
  std::set<uint64_t> archived(summary->txids.begin(), summary->txids.end());
  EXPECT_EQ(archived.size(), summary->txids.size()) << "duplicated txids";
  std::vector<uint64_t> lost, extra;
  for (uint64_t x : committed) {
    if (!archived.count(x)) lost.push_back(x);
  }
  for (uint64_t x : archived) {
    if (!committed.count(x)) extra.push_back(x);
  }
  EXPECT_TRUE(lost.empty()) << lost.size() << " lost, first xid " << lost[0];
  EXPECT_TRUE(extra.empty())
      << extra.size() << " never committed, first xid " << extra[0];
  EXPECT_EQ(SlotConfirmed(server), summary->last_position);

  // Wayback's latest state is PostgreSQL's table.
  std::map<std::string, PostgresRow> expected, restored;
  auto rows = server.Query("SELECT k::text, v, n::text FROM kv");
  ASSERT_TRUE(rows.ok()) << rows.status();
  for (auto& row : *rows) {
    expected[PostgresRowKey("public", "kv", {*row[0]})] = row;
  }
  auto storage = OpenStorage(repo);
  ASSERT_TRUE(storage.ok());
  auto catalog = Catalog::Open(storage->get());
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto mem = NewMemoryTarget();
  auto result = Restore(storage->get(), *plan, mem.get(), {});
  ASSERT_TRUE(result.ok()) << result.status();
  ASSERT_TRUE(mem->ForEach([&](std::string_view k, std::string_view v) {
                   auto key = DecodePostgresKey(k);
                   if (key.ok() && key->kind == PostgresKey::Kind::kRow) {
                     restored[std::string(k)] = *DecodePostgresRow(v);
                   }
                   return true;
                 })
                  .ok());
  EXPECT_EQ(restored.size(), expected.size());
  EXPECT_TRUE(restored == expected) << "the restored table differs";
  std::printf(
      "RESULT postgres_kill9 trials=%d seconds=%.1f committed=%zu "
      "archived=%zu (%llu during the trials, in %d of them) lost=%zu "
      "duplicated=%zu rows=%zu\n",
      trials, trial_seconds, committed.size(), archived.size(),
      static_cast<unsigned long long>(archived_in_trials), trials_with_progress,
      lost.size(), summary->txids.size() - archived.size(), expected.size());
}

}  // namespace
}  // namespace wayback
