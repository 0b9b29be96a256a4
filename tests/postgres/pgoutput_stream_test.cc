// Copyright 2026 The Wayback Authors.
//
// The pgoutput decoder on real replication streams of a private PostgreSQL
// 15: each test runs SQL, streams the slot from its start, and checks every
// decoded message against what the SQL did (inserts, updates with and
// without a key change, deletes, NULLs, bytea, numeric, text with quotes,
// newlines and non-ASCII, many changes in one transaction, restore-point
// messages, truncate, unchanged TOASTed values).

#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/postgres/protocol.h"
#include "src/postgres/replication_connection.h"
#include "tests/testutil/postgres_server.h"

namespace wayback::postgres {
namespace {

using testing::PostgresServer;

class PgoutputStreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pg = PostgresServer::Start();
    ASSERT_TRUE(pg.ok()) << pg.status();
    server_ = pg->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  // Runs `setup`, creates a publication of all tables and a slot, runs
  // `sql`, and returns the decoded messages: until `commits` Commit
  // messages came, then until the stream is quiet for 300 ms.
  std::vector<PgoutputMessage> Capture(const std::string& setup,
                                       const std::vector<std::string>& sql,
                                       size_t commits) {
    static int n = 0;
    const std::string slot = absl::StrCat("s", ++n);
    const std::string pub = absl::StrCat("p", n);
    EXPECT_TRUE(server_->Exec(setup).ok()) << setup;
    EXPECT_TRUE(
        server_
            ->Exec(absl::StrCat("CREATE PUBLICATION ", pub, " FOR ALL TABLES"))
            .ok());
    auto conn = ReplicationConnection::Connect(server_->Dsn());
    EXPECT_TRUE(conn.ok()) << conn.status();
    if (!conn.ok()) return {};
    auto created = (*conn)->CreateLogicalSlot(slot, false);
    EXPECT_TRUE(created.ok()) << created.status();
    size_t seen_commits = 0;
    for (const std::string& s : sql) {
      absl::Status st = server_->Exec(s);
      EXPECT_TRUE(st.ok()) << st;
    }
    absl::Status started = (*conn)->StartLogical(
        slot, 0,
        absl::StrCat("proto_version '1', publication_names '", pub,
                     "', messages 'true'"));
    EXPECT_TRUE(started.ok()) << started;
    std::vector<PgoutputMessage> out;
    const absl::Time deadline = absl::Now() + absl::Seconds(20);
    while (absl::Now() < deadline) {
      auto got = (*conn)->Receive(absl::Milliseconds(300));
      EXPECT_TRUE(got.ok()) << got.status();
      if (!got.ok()) break;
      if (!got->has_value()) {
        if (seen_commits >= commits) break;
        continue;
      }
      auto frame = DecodeFrame(**got);
      EXPECT_TRUE(frame.ok()) << frame.status();
      if (!frame.ok()) break;
      if (const auto* x = std::get_if<XLogData>(&*frame)) {
        auto m = DecodePgoutput(x->data, x->wal_start);
        EXPECT_TRUE(m.ok()) << m.status();
        if (!m.ok()) break;
        if (std::holds_alternative<CommitMessage>(*m)) ++seen_commits;
        out.push_back(*std::move(m));
      }
    }
    EXPECT_EQ(seen_commits, commits);
    EXPECT_TRUE((*conn)->Finish().ok());
    conn->reset();
    EXPECT_TRUE(server_
                    ->Exec(absl::StrCat("SELECT pg_drop_replication_slot('",
                                        slot, "')"))
                    .ok());
    return out;
  }

  static PostgresServer* server_;
};
PostgresServer* PgoutputStreamTest::server_ = nullptr;

template <typename T>
std::vector<T> All(const std::vector<PgoutputMessage>& ms) {
  std::vector<T> out;
  for (const auto& m : ms) {
    if (const T* t = std::get_if<T>(&m)) out.push_back(*t);
  }
  return out;
}

TupleColumn T(std::string v) {
  return {TupleColumn::Kind::kText, std::move(v)};
}
TupleColumn N() { return {TupleColumn::Kind::kNull, ""}; }

TEST_F(PgoutputStreamTest, InsertsUpdatesDeletesAndValues) {
  const std::string weird = "it's \"quoted\"\nsecond line\ttab é 日本 \\ end";
  auto ms = Capture(
      "CREATE TABLE a (id int PRIMARY KEY, t text, n numeric, b bytea, "
      "f float8)",
      {"INSERT INTO a VALUES (1, 'x', 1.50, '\\x00ff', 0.1)",
       "INSERT INTO a VALUES (2, NULL, NULL, NULL, NULL)",
       "INSERT INTO a VALUES (3, " +
           std::string("E'it''s \"quoted\"\\nsecond "
                       "line\\ttab é 日本 \\\\ end'") +
           ", 'NaN', '\\x', 'Infinity')",
       "UPDATE a SET t = 'y' WHERE id = 1", "UPDATE a SET id = 10 WHERE id = 2",
       "DELETE FROM a WHERE id = 3"},
      6);
  // 6 transactions, one change each: B, (R), change, C.
  const auto begins = All<BeginMessage>(ms);
  const auto commits = All<CommitMessage>(ms);
  ASSERT_EQ(begins.size(), 6u);
  ASSERT_EQ(commits.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(begins[i].final_lsn, commits[i].commit_lsn);
    EXPECT_EQ(begins[i].commit_time_us, commits[i].commit_time_us);
    EXPECT_GT(commits[i].end_lsn, commits[i].commit_lsn);
    if (i > 0) {
      EXPECT_GE(commits[i].commit_lsn, commits[i - 1].end_lsn);
      EXPECT_GT(begins[i].xid, begins[i - 1].xid);
    }
  }
  const auto rels = All<RelationMessage>(ms);
  ASSERT_EQ(rels.size(), 1u);  // Described once per session.
  EXPECT_EQ(rels[0].schema, "public");
  EXPECT_EQ(rels[0].name, "a");
  EXPECT_EQ(rels[0].replica_identity, 'd');
  ASSERT_EQ(rels[0].columns.size(), 5u);
  EXPECT_TRUE(rels[0].columns[0].key);
  EXPECT_FALSE(rels[0].columns[1].key);
  EXPECT_EQ(rels[0].columns[0].name, "id");
  EXPECT_EQ(rels[0].columns[0].type_oid, 23u);    // int4
  EXPECT_EQ(rels[0].columns[2].type_oid, 1700u);  // numeric
  EXPECT_EQ(rels[0].columns[3].type_oid, 17u);    // bytea

  const auto ins = All<InsertMessage>(ms);
  ASSERT_EQ(ins.size(), 3u);
  EXPECT_EQ(ins[0].relation, rels[0].oid);
  EXPECT_EQ(ins[0].new_tuple,
            (TupleData{T("1"), T("x"), T("1.50"), T("\\x00ff"), T("0.1")}));
  EXPECT_EQ(ins[1].new_tuple, (TupleData{T("2"), N(), N(), N(), N()}));
  EXPECT_EQ(ins[2].new_tuple,
            (TupleData{T("3"), T(weird), T("NaN"), T("\\x"), T("Infinity")}));

  const auto ups = All<UpdateMessage>(ms);
  ASSERT_EQ(ups.size(), 2u);
  EXPECT_EQ(ups[0].old_kind, 0);  // The key did not change: no old tuple.
  EXPECT_EQ(ups[0].new_tuple[1], T("y"));
  EXPECT_EQ(ups[1].old_kind, 'K');  // A key change sends the old key.
  EXPECT_EQ(ups[1].old_tuple, (TupleData{T("2"), N(), N(), N(), N()}));
  EXPECT_EQ(ups[1].new_tuple, (TupleData{T("10"), N(), N(), N(), N()}));

  const auto dels = All<DeleteMessage>(ms);
  ASSERT_EQ(dels.size(), 1u);
  EXPECT_EQ(dels[0].old_kind, 'K');
  EXPECT_EQ(dels[0].old_tuple, (TupleData{T("3"), N(), N(), N(), N()}));
}

TEST_F(PgoutputStreamTest, ManyChangesInOneTransactionAndRestorePoints) {
  auto ms = Capture(
      "CREATE TABLE m (k text PRIMARY KEY, v int)",
      {"BEGIN; INSERT INTO m SELECT 'k' || g, g FROM generate_series(1, 500) "
       "g; UPDATE m SET v = v + 1 WHERE v % 2 = 0; DELETE FROM m WHERE v % 7 "
       "= 0; COMMIT",
       "SELECT pg_logical_emit_message(true, 'wayback', "
       "'restore_point:before-migration')",
       "SELECT pg_logical_emit_message(false, 'other', 'not ours')"},
      2);
  EXPECT_EQ(All<BeginMessage>(ms).size(), 2u);
  EXPECT_EQ(All<InsertMessage>(ms).size(), 500u);
  EXPECT_EQ(All<UpdateMessage>(ms).size(), 250u);
  // After the update every v is odd except... count: multiples of 7 of the
  // new values.
  auto n = server_->Query("SELECT 500 - count(*) FROM m");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(std::to_string(All<DeleteMessage>(ms).size()), *(*n)[0][0]);
  const auto msgs = All<LogicalMessage>(ms);
  ASSERT_EQ(msgs.size(), 2u);
  EXPECT_TRUE(msgs[0].transactional);
  EXPECT_EQ(msgs[0].prefix, "wayback");
  EXPECT_EQ(msgs[0].content, "restore_point:before-migration");
  EXPECT_FALSE(msgs[1].transactional);
  EXPECT_EQ(msgs[1].prefix, "other");
  EXPECT_EQ(msgs[1].content, "not ours");
  // The transactional message lies inside its own Begin/Commit.
  size_t i = 0;
  while (!std::holds_alternative<LogicalMessage>(ms[i])) ++i;
  ASSERT_GT(i, 0u);
  EXPECT_TRUE(std::holds_alternative<BeginMessage>(ms[i - 1]));
  ASSERT_LT(i + 1, ms.size());
  EXPECT_TRUE(std::holds_alternative<CommitMessage>(ms[i + 1]));
}

TEST_F(PgoutputStreamTest, TruncateTypesAndUnchangedToast) {
  auto ms = Capture(
      "CREATE TYPE mood AS ENUM ('sad', 'happy'); "
      "CREATE TABLE big (id int PRIMARY KEY, doc text, m mood); "
      "ALTER TABLE big ALTER doc SET STORAGE EXTERNAL; "
      "CREATE TABLE tr (id int PRIMARY KEY)",
      {"INSERT INTO big VALUES (1, repeat('abcdefgh', 4000), 'happy')",
       "UPDATE big SET m = 'sad' WHERE id = 1", "INSERT INTO tr VALUES (1)",
       "TRUNCATE tr"},
      4);
  const auto types = All<TypeMessage>(ms);
  ASSERT_EQ(types.size(), 1u);
  EXPECT_EQ(types[0].schema, "public");
  EXPECT_EQ(types[0].name, "mood");
  const auto ups = All<UpdateMessage>(ms);
  ASSERT_EQ(ups.size(), 1u);
  ASSERT_EQ(ups[0].new_tuple.size(), 3u);
  EXPECT_EQ(ups[0].new_tuple[1].kind, TupleColumn::Kind::kUnchangedToast);
  EXPECT_EQ(ups[0].new_tuple[2], T("sad"));
  const auto trs = All<TruncateMessage>(ms);
  ASSERT_EQ(trs.size(), 1u);
  ASSERT_EQ(trs[0].relations.size(), 1u);
  EXPECT_EQ(trs[0].options, 0);
}

}  // namespace
}  // namespace wayback::postgres
