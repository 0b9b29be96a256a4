// Copyright 2026 The Wayback Authors.
//
// wayback capture postgres end to end against a private PostgreSQL 15. A
// single-writer workload (inserts, updates with and without a primary key
// change, deletes, NULLs, bytea, numeric, floats, timestamps, text with
// quotes, newlines and non-ASCII, composite keys, several statements per
// transaction, restore points) runs through libpq; after each commit the
// test reads the tables back from PostgreSQL (the model: the state after
// the i-th transaction). The real command captures the stream into a
// repository; then restores at every LSN, at commit times (exactly, and one
// nanosecond before), at each txid and each restore point are compared row
// for row with the model, and each log record's commit time and txid with
// what PostgreSQL recorded for the transaction (track_commit_timestamp).
// The refusals (TRUNCATE, a table without a primary key, an unchanged
// TOASTed value, another database's repository) are checked to stop the
// capture with their message and to archive nothing of the refused
// transaction.

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gtest/gtest.h"
#include "tests/testutil/postgres_server.h"
#include "tests/testutil/testutil.h"
#include "tools/cli.h"
#include "wayback/log.h"
#include "wayback/postgres.h"
#include "wayback/recovery.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

using testing::PostgresServer;
using testing::SqlRows;
using testing::SqlSession;
using testing::TempDir;

// The settings the capture pins, so that text forms compare exactly.
constexpr char kCanonical[] =
    "SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; "
    "SET extra_float_digits = 3; SET bytea_output = 'hex'; "
    "SET IntervalStyle = 'postgres'; ";

// The captured state: key -> row, for row keys; relation keys apart.
struct State {
  std::map<std::string, PostgresRow> rows;
  std::map<std::string, std::string> relations;
  friend bool operator==(const State&, const State&) = default;
};

struct Table {
  std::string name;
  std::vector<int> key_columns;  // Positions of the primary key columns.
};
const std::vector<Table> kTables = {{"acct", {0}}, {"pair", {0, 1}}};

// PostgreSQL's tables now, keyed like the capture keys them.
State ReadPostgres(SqlSession& s) {
  State st;
  for (const Table& t : kTables) {
    auto rows = s.Query(absl::StrCat(kCanonical, "SELECT * FROM ", t.name));
    EXPECT_TRUE(rows.ok()) << rows.status();
    if (!rows.ok()) return st;
    for (auto& row : *rows) {
      std::vector<std::string> key;
      for (int k : t.key_columns) key.push_back(*row[k]);
      st.rows[PostgresRowKey("public", t.name, key)] = row;
    }
  }
  return st;
}

std::string Describe(const State& s) {
  std::ostringstream o;
  for (const auto& [k, row] : s.rows) {
    auto key = DecodePostgresKey(k);
    o << (key.ok() ? absl::StrCat(key->table, "(",
                                  absl::StrJoin(key->key_values, ","), ")")
                   : std::string("?"))
      << ":";
    for (const auto& c : row) o << " " << (c ? "'" + *c + "'" : "NULL");
    o << "\n";
  }
  return o.str();
}

absl::StatusOr<State> Restored(const std::string& repo,
                               const RecoveryTarget& target) {
  auto storage = OpenStorage(repo);
  if (!storage.ok()) return storage.status();
  auto catalog = Catalog::Open(storage->get());
  if (!catalog.ok()) return catalog.status();
  auto plan = PlanRecovery(**catalog, target);
  if (!plan.ok()) return plan.status();
  std::unique_ptr<StateTarget> mem = NewMemoryTarget();
  auto r = Restore(storage->get(), *plan, mem.get(), {});
  if (!r.ok()) return r.status();
  State st;
  absl::Status bad;
  absl::Status s = mem->ForEach([&](std::string_view k, std::string_view v) {
    auto key = DecodePostgresKey(k);
    if (!key.ok()) {
      bad = key.status();
      return false;
    }
    if (key->kind == PostgresKey::Kind::kRelation) {
      st.relations[std::string(k)] = std::string(v);
      return true;
    }
    auto row = DecodePostgresRow(v);
    if (!row.ok()) {
      bad = row.status();
      return false;
    }
    st.rows[std::string(k)] = *row;
    return true;
  });
  if (!s.ok()) return s;
  if (!bad.ok()) return bad;
  return st;
}

// Runs `wayback ARGS` in process on a thread (capture runs until SIGTERM).
class Command {
 public:
  explicit Command(std::vector<std::string> args)
      : thread_([this, args] { rc_ = cli::RunWayback(args, out_, err_); }) {}
  int Join() {
    thread_.join();
    return rc_;
  }
  std::string Output() const { return out_.str() + err_.str(); }

 private:
  std::ostringstream out_, err_;
  int rc_ = -1;
  std::thread thread_;
};

void IgnoreSignal(int) {}

class CaptureTest : public ::testing::Test {
 protected:
  // The capture command stops on SIGTERM (its handler, installed while it
  // runs, restores this one): a SIGTERM that arrives after the command
  // ended by itself must not end the test binary.
  static void SetUpTestSuite() { ::signal(SIGTERM, IgnoreSignal); }
  static void TearDownTestSuite() { ::signal(SIGTERM, SIG_DFL); }

  void SetUp() override {
    testing::PostgresServerOptions o;
    o.extra_config = {"track_commit_timestamp = on"};
    auto pg = PostgresServer::Start(o);
    ASSERT_TRUE(pg.ok()) << pg.status();
    pg_ = *std::move(pg);
    ASSERT_TRUE(pg_->Exec("CREATE TABLE acct (id int PRIMARY KEY, name text, "
                          "balance numeric(14,4), photo bytea, note text, "
                          "seen timestamptz, f float8); "
                          "CREATE TABLE pair (a text, b int, v text, "
                          "PRIMARY KEY (a, b)); "
                          "CREATE PUBLICATION pub FOR TABLE acct, pair")
                    .ok());
    repo_ = tmp_.path() + "/repo";
    ack_ = tmp_.path() + "/acks.jsonl";
    status_ = tmp_.path() + "/status.json";
  }

  std::vector<std::string> CaptureArgs(bool first) const {
    std::vector<std::string> a = {
        "capture", "postgres", "--dsn",  pg_->Dsn(), "--publication", "pub",
        "--slot",  "wb",       "--repo", repo_,      "--ack",         ack_};
    if (first) {
      a.push_back("--create-slot");
      a.push_back("--create");
    }
    a.push_back("--status-file");
    a.push_back(status_);
    return a;
  }

  // Runs the capture until `done` says so (polled every 20 ms, at most
  // 60 s), then stops it with SIGTERM; returns its exit code and output.
  int CaptureUntil(bool first, const std::function<bool()>& done,
                   std::string* output) {
    Command c(CaptureArgs(first));
    const auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(60);
    bool reached = false;
    while (!reached && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      reached = done();
    }
    // The command's handler (installed before it connects) takes it.
    ::kill(::getpid(), SIGTERM);
    const int rc = c.Join();
    *output = c.Output();
    EXPECT_TRUE(reached) << *output;
    return rc;
  }
  bool SlotActive() const {
    auto slot = pg_->Query(
        "SELECT active FROM pg_replication_slots WHERE slot_name = 'wb'");
    return slot.ok() && !slot->empty() && (*slot)[0][0] == "t";
  }
  // The --ack file's last line acknowledges LSN `lsn`.
  bool Acked(uint64_t lsn) const {
    std::ifstream in(ack_);
    std::string line, last;
    while (std::getline(in, line)) last = line;
    return last.find(absl::StrCat("\"lsn\":", lsn, ",")) != std::string::npos;
  }

  TempDir tmp_;
  std::unique_ptr<PostgresServer> pg_;
  std::string repo_, ack_, status_;
};

// One transaction of the single-writer workload: SQL statements.
struct Step {
  std::vector<std::string> sql;
  std::string restore_point;  // Non-empty: a restore point instead.
};

std::string Weird(std::mt19937_64& r) {
  static const std::vector<std::string> parts = {
      "it''s",         "\"q\"", "\\", "é", "日本", "\t", "\n",
      "line\r\nbreak", " ",     "%",  "_", "NULL", "",   "x"};
  std::string s;
  const int n = static_cast<int>(r() % 5);
  for (int i = 0; i < n; ++i) s += parts[r() % parts.size()];
  return s;
}

std::string Literal(std::mt19937_64& r) {
  if (r() % 6 == 0) return "NULL";
  return absl::StrCat(
      "E'",
      [&] {
        std::string w = Weird(r);
        std::string out;
        for (char c : w) {
          if (c == '\\') {
            out += "\\\\";
          } else if (c == '\n') {
            out += "\\n";
          } else if (c == '\t') {
            out += "\\t";
          } else if (c == '\r') {
            out += "\\r";
          } else {
            out.push_back(c);
          }
        }
        return out;
      }(),
      "'");
}

std::string AcctValues(std::mt19937_64& r, int id) {
  const std::vector<std::string> numerics = {
      "0", "-1.5", "12345678.9999", "'NaN'", "0.0001", "NULL", "-0"};
  const std::vector<std::string> floats = {
      "0.1",   "-0",    "'Infinity'", "'-Infinity'",
      "'NaN'", "1e300", "NULL",       "3.141592653589793"};
  std::string photo = "NULL";
  if (r() % 3 != 0) {
    std::string hex;
    const int n = static_cast<int>(r() % 9);
    for (int i = 0; i < n; ++i) {
      absl::StrAppend(&hex, absl::Hex(r() % 256, absl::kZeroPad2));
    }
    photo = absl::StrCat("'\\x", hex, "'::bytea");
  }
  return absl::StrCat(
      "(", id, ", ", Literal(r), ", ", numerics[r() % numerics.size()], ", ",
      photo, ", ", Literal(r), ", ",
      r() % 4 == 0 ? std::string("NULL")
                   : absl::StrCat("'2026-12-07 10:42:00.",
                                  100000 + r() % 900000, "+01'"),
      ", ", floats[r() % floats.size()], ")");
}

TEST_F(CaptureTest, RestoresEqualPostgresAtEveryLsnTimeTxidAndRestorePoint) {
  std::string out;
  // The slot first, so that the whole workload is captured.
  ASSERT_EQ(CaptureUntil(/*first=*/true, [&] { return SlotActive(); }, &out), 0)
      << out;

  auto session = SqlSession::Open(pg_->Dsn());
  ASSERT_TRUE(session.ok()) << session.status();
  SqlSession& s = **session;
  std::mt19937_64 r(20261207);
  std::vector<State> model{State()};  // model[i]: after transaction i.
  std::vector<uint64_t> xids{0};
  std::vector<CommitTime> times{0};
  std::vector<std::string> rps{""};
  std::vector<int> ids;  // acct ids present.
  std::vector<std::pair<std::string, int>> pairs;
  int next_id = 1;
  const int kTransactions = 120;
  for (int i = 1; i <= kTransactions; ++i) {
    std::vector<std::string> sql;
    std::string rp;
    const int kind = static_cast<int>(r() % 10);
    if (i % 17 == 0) {
      rp = absl::StrCat("rp-", i);
    } else if (kind <= 2 || ids.empty()) {
      const int n = 1 + static_cast<int>(r() % 3);
      for (int k = 0; k < n; ++k) {
        sql.push_back(
            absl::StrCat("INSERT INTO acct VALUES ", AcctValues(r, next_id)));
        ids.push_back(next_id++);
      }
    } else if (kind == 3) {
      const int id = ids[r() % ids.size()];
      sql.push_back(absl::StrCat("UPDATE acct SET name = ", Literal(r),
                                 ", balance = balance + 1 WHERE id = ", id));
    } else if (kind == 4) {
      // A primary key change, with another column.
      const size_t at = r() % ids.size();
      const int id = ids[at];
      sql.push_back(absl::StrCat("UPDATE acct SET id = ", next_id,
                                 ", note = ", Literal(r), " WHERE id = ", id));
      ids[at] = next_id++;
    } else if (kind == 5) {
      const size_t at = r() % ids.size();
      sql.push_back(absl::StrCat("DELETE FROM acct WHERE id = ", ids[at]));
      ids.erase(ids.begin() + at);
    } else if (kind == 6 || pairs.empty()) {
      // `a` as an SQL literal: a space, non-ASCII, a quote.
      static const std::vector<std::string> as = {"'a b'", "'日本'", "'x''y'",
                                                  "''"};
      const std::string a = as[r() % as.size()];
      const int b = static_cast<int>(r() % 1000);
      bool exists = false;
      for (auto& p : pairs) exists = exists || (p.first == a && p.second == b);
      if (!exists) {
        sql.push_back(absl::StrCat("INSERT INTO pair VALUES (", a, ", ", b,
                                   ", ", Literal(r), ")"));
        pairs.push_back({a, b});
      } else {
        sql.push_back(absl::StrCat("UPDATE pair SET v = ", Literal(r),
                                   " WHERE a = ", a, " AND b = ", b));
      }
    } else if (kind == 7) {
      // Several statements: a composite key change and an insert.
      const size_t at = r() % pairs.size();
      const int nb = 1000 + next_id++;
      sql.push_back(absl::StrCat("UPDATE pair SET b = ", nb,
                                 " WHERE b = ", pairs[at].second,
                                 " AND a = ", pairs[at].first));
      pairs[at].second = nb;
      sql.push_back(
          absl::StrCat("INSERT INTO acct VALUES ", AcctValues(r, next_id)));
      ids.push_back(next_id++);
    } else {
      // Many changes in one transaction.
      sql.push_back(absl::StrCat("UPDATE acct SET f = f + 1, seen = NULL"));
      sql.push_back(
          absl::StrCat("INSERT INTO acct VALUES ", AcctValues(r, next_id)));
      ids.push_back(next_id++);
    }
    if (!rp.empty()) {
      ASSERT_TRUE(s.Query("BEGIN").ok());
      ASSERT_TRUE(s.Query(absl::StrCat(
                              "SELECT pg_logical_emit_message(true, 'wayback', "
                              "'restore_point:",
                              rp, "')"))
                      .ok());
    } else {
      ASSERT_TRUE(s.Query("BEGIN").ok());
      for (const std::string& q : sql) {
        auto res = s.Query(q);
        ASSERT_TRUE(res.ok()) << res.status();
      }
    }
    auto xid = s.Query("SELECT txid_current()");
    ASSERT_TRUE(xid.ok()) << xid.status();
    ASSERT_TRUE(s.Query("COMMIT").ok());
    auto ts = s.Query(
        absl::StrCat("SELECT (extract(epoch FROM pg_xact_commit_timestamp('",
                     *(*xid)[0][0], "'::xid)) * 1000000)::bigint"));
    ASSERT_TRUE(ts.ok()) << ts.status();
    xids.push_back(std::stoull(*(*xid)[0][0]));
    times.push_back(std::stoll(*(*ts)[0][0]) * 1000);
    rps.push_back(rp);
    model.push_back(ReadPostgres(s));
  }
  auto end =
      pg_->Query("SELECT (pg_current_wal_lsn() - '0/0'::pg_lsn)::bigint");
  ASSERT_TRUE(end.ok());

  // The capture, until the last transaction is durable.
  ASSERT_EQ(CaptureUntil(
                false, [&] { return Acked(kTransactions); }, &out),
            0)
      << out;
  EXPECT_NE(out.find("Captured 113 transactions and 7 restore points"),
            std::string::npos)
      << out;

  // The log: one record per transaction, its time and txid PostgreSQL's.
  auto storage = OpenStorage(repo_);
  ASSERT_TRUE(storage.ok());
  {
    auto reader = LogReader::Open(storage->get(), {});
    ASSERT_TRUE(reader.ok()) << reader.status();
    uint64_t n = 0, prev_pos = 0;
    while (true) {
      auto rec = (*reader)->Next();
      ASSERT_TRUE(rec.ok()) << rec.status();
      if (*rec == nullptr) break;
      ++n;
      ASSERT_LE(n, static_cast<uint64_t>(kTransactions));
      EXPECT_EQ((*rec)->lsn, n);
      EXPECT_EQ((*rec)->commit_time, times[n]) << "LSN " << n;
      ASSERT_TRUE((*rec)->source_position.has_value());
      EXPECT_GT(*(*rec)->source_position, prev_pos);
      prev_pos = *(*rec)->source_position;
      if (rps[n].empty()) {
        EXPECT_EQ((*rec)->type, RecordType::kTransaction);
        EXPECT_EQ((*rec)->txid, xids[n]) << "LSN " << n;
      } else {
        EXPECT_EQ((*rec)->type, RecordType::kRestorePoint);
        EXPECT_EQ((*rec)->restore_point_name, rps[n]);
      }
    }
    EXPECT_EQ(n, static_cast<uint64_t>(kTransactions));
    // PostgreSQL was told exactly what is durable: the last record's end.
    auto slot = pg_->Query(
        "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM "
        "pg_replication_slots WHERE slot_name = 'wb'");
    ASSERT_TRUE(slot.ok());
    EXPECT_EQ(std::stoull(*(*slot)[0][0]), prev_pos);
    EXPECT_LE(prev_pos, std::stoull(*(*end)[0][0]));
    // The status file's last word: stopped, what is durable, what
    // PostgreSQL was told.
    std::ifstream in(status_);
    std::stringstream text;
    text << in.rdbuf();
    const std::string st = text.str();
    EXPECT_NE(st.find("\"running\": false"), std::string::npos) << st;
    EXPECT_NE(st.find(absl::StrCat("\"lsn\": ", kTransactions, ",")),
              std::string::npos)
        << st;
    EXPECT_NE(st.find(absl::StrCat("\"flushed\": \"",
                                   FormatPostgresLsn(prev_pos), "\"")),
              std::string::npos)
        << st;
    EXPECT_NE(st.find("\"source\": \"postgresql:system="), std::string::npos)
        << st;
  }

  // Every LSN, row for row.
  for (int i = 1; i <= kTransactions; ++i) {
    auto st = Restored(repo_, RecoveryTarget::AtLsn(i));
    ASSERT_TRUE(st.ok()) << st.status();
    ASSERT_EQ(st->rows, model[i].rows) << "LSN " << i << "\nWayback:\n"
                                       << Describe(*st) << "PostgreSQL:\n"
                                       << Describe(model[i]);
    // Both tables are described once a change of them is archived.
    for (const auto& [k, v] : st->relations) {
      EXPECT_NE(v.find("\"columns\""), std::string::npos);
    }
  }
  // Times: at each commit time, and one nanosecond before it (the single
  // writer's commit times increase strictly).
  for (int i = 1; i <= kTransactions; i += 7) {
    ASSERT_LT(times[i - 1], times[i]);
    auto at = Restored(repo_, RecoveryTarget::Time(times[i]));
    ASSERT_TRUE(at.ok()) << at.status();
    EXPECT_EQ(at->rows, model[i].rows) << "time of transaction " << i;
    if (i > 1) {
      auto before = Restored(repo_, RecoveryTarget::Time(times[i] - 1));
      ASSERT_TRUE(before.ok()) << before.status();
      EXPECT_EQ(before->rows, model[i - 1].rows)
          << "1 ns before transaction " << i;
    }
  }
  // Txids and restore points.
  for (int i = 1; i <= kTransactions; ++i) {
    if (!rps[i].empty()) {
      auto st = Restored(repo_, RecoveryTarget::RestorePoint(rps[i]));
      ASSERT_TRUE(st.ok()) << st.status();
      EXPECT_EQ(st->rows, model[i].rows) << rps[i];
    } else if (i % 5 == 0) {
      auto st = Restored(repo_, RecoveryTarget::Txid(xids[i]));
      ASSERT_TRUE(st.ok()) << st.status();
      EXPECT_EQ(st->rows, model[i].rows) << "txid " << xids[i];
    }
  }
  // The relation metadata names the columns, types and key.
  auto latest = Restored(repo_, RecoveryTarget::Latest());
  ASSERT_TRUE(latest.ok());
  const std::string meta =
      latest->relations[PostgresRelationKey("public", "pair")];
  EXPECT_NE(meta.find("\"name\":\"a\""), std::string::npos) << meta;
  EXPECT_NE(meta.find("\"type_oid\":25"), std::string::npos) << meta;
  EXPECT_NE(meta.find("\"key\":true"), std::string::npos) << meta;

  // A restart resends nothing new and archives nothing twice; one more
  // transaction is archived once.
  ASSERT_TRUE(pg_->Exec("INSERT INTO pair VALUES ('last', 1, 'v')").ok());
  model.push_back(ReadPostgres(s));
  ASSERT_EQ(CaptureUntil(
                false, [&] { return Acked(kTransactions + 1); }, &out),
            0)
      << out;
  EXPECT_NE(out.find("Captured 1 transactions and 0 restore points"),
            std::string::npos)
      << out;
  auto last = Restored(repo_, RecoveryTarget::Latest());
  ASSERT_TRUE(last.ok());
  EXPECT_EQ(last->rows, model.back().rows);
}

// The records of the repository's log: (position, txid or 0).
std::vector<std::pair<uint64_t, uint64_t>> Records(const std::string& repo) {
  std::vector<std::pair<uint64_t, uint64_t>> out;
  auto storage = OpenStorage(repo);
  EXPECT_TRUE(storage.ok());
  if (!storage.ok()) return out;
  auto reader = LogReader::Open(storage->get(), {});
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return out;
  while (true) {
    auto rec = (*reader)->Next();
    EXPECT_TRUE(rec.ok()) << rec.status();
    if (!rec.ok() || *rec == nullptr) break;
    out.push_back(
        {(*rec)->source_position.value_or(0), (*rec)->txid.value_or(0)});
  }
  return out;
}

// A change Wayback cannot archive exactly stops the capture with a message
// naming it; the transaction before it is archived and flushed, nothing of
// it or after it is.
struct Refusal {
  std::string name;
  std::string setup;    // Before the slot exists.
  std::string refused;  // The transaction refused.
  std::string says;     // Part of the error message.
};

class CaptureRefusalTest : public CaptureTest,
                           public ::testing::WithParamInterface<Refusal> {};

TEST_P(CaptureRefusalTest, StopsWithTheReasonAndArchivesNothingOfIt) {
  const Refusal& p = GetParam();
  if (!p.setup.empty()) {
    ASSERT_TRUE(pg_->Exec(p.setup).ok()) << p.setup;
  }
  std::string out;
  ASSERT_EQ(CaptureUntil(
                true, [&] { return SlotActive(); }, &out),
            0)
      << out;
  ASSERT_TRUE(pg_->Exec("INSERT INTO pair VALUES ('ok', 1, 'v')").ok());
  auto refused = pg_->Exec(p.refused);
  ASSERT_TRUE(refused.ok()) << refused;
  ASSERT_TRUE(pg_->Exec("INSERT INTO pair VALUES ('after', 2, 'v')").ok());

  Command c(CaptureArgs(false));
  EXPECT_EQ(c.Join(), 2) << c.Output();
  EXPECT_NE(c.Output().find(p.says), std::string::npos) << c.Output();
  const auto records = Records(repo_);
  ASSERT_EQ(records.size(), 1u) << c.Output();
  auto slot = pg_->Query(
      "SELECT (confirmed_flush_lsn - '0/0'::pg_lsn)::bigint FROM "
      "pg_replication_slots WHERE slot_name = 'wb'");
  ASSERT_TRUE(slot.ok());
  EXPECT_EQ(std::stoull(*(*slot)[0][0]), records[0].first);
  // Run again: the same refusal, nothing more archived.
  Command again(CaptureArgs(false));
  EXPECT_EQ(again.Join(), 2) << again.Output();
  EXPECT_NE(again.Output().find(p.says), std::string::npos) << again.Output();
  EXPECT_EQ(Records(repo_).size(), 1u);
}

INSTANTIATE_TEST_SUITE_P(
    Refusals, CaptureRefusalTest,
    ::testing::Values(
        Refusal{"Truncate", "", "TRUNCATE acct",
                "TRUNCATE of public.acct in xid"},
        Refusal{"NoPrimaryKey",
                "CREATE TABLE nopk (a int); "
                "ALTER PUBLICATION pub ADD TABLE nopk",
                "INSERT INTO nopk VALUES (1)",
                "table public.nopk (Insert at WAL"},
        Refusal{"ReplicaIdentityFull", "ALTER TABLE acct REPLICA IDENTITY FULL",
                "INSERT INTO acct (id) VALUES (1)", "REPLICA IDENTITY FULL"},
        Refusal{"UnchangedToast",
                "ALTER TABLE acct ALTER note SET STORAGE EXTERNAL; "
                "INSERT INTO acct (id, note) VALUES (1, repeat('x', 9000))",
                "UPDATE acct SET name = 'n' WHERE id = 1",
                "left column note unchanged and TOASTed"},
        Refusal{"RestorePointInsideATransaction", "",
                "BEGIN; INSERT INTO acct (id) VALUES (5); SELECT "
                "pg_logical_emit_message(true, 'wayback', "
                "'restore_point:x'); COMMIT",
                "both changes rows and sets the restore point \"x\""}),
    [](const ::testing::TestParamInfo<Refusal>& i) { return i.param.name; });

TEST_F(CaptureTest, RefusesARepositoryOfAnotherSlot) {
  std::string out;
  ASSERT_EQ(CaptureUntil(
                true, [&] { return SlotActive(); }, &out),
            0)
      << out;
  std::vector<std::string> args = CaptureArgs(false);
  for (size_t i = 0; i + 1 < args.size(); ++i) {
    if (args[i] == "--slot") args[i + 1] = "other";
  }
  args.push_back("--create-slot");
  Command c(args);
  EXPECT_EQ(c.Join(), 2) << c.Output();
  EXPECT_NE(c.Output().find(";slot=wb\", not \"postgresql:system="),
            std::string::npos)
      << c.Output();
  // A slot that exists is not created again.
  std::vector<std::string> create = CaptureArgs(false);
  create.push_back("--create-slot");
  Command c2(create);
  EXPECT_EQ(c2.Join(), 2) << c2.Output();
  EXPECT_NE(c2.Output().find("exists already"), std::string::npos)
      << c2.Output();
}

}  // namespace
}  // namespace wayback
