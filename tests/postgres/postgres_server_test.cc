// Copyright 2026 The Wayback Authors.
//
// The PostgreSQL test fixture: it starts a private server that accepts SQL
// over its socket and over TCP, is configured for logical replication, and
// is gone (process and directory) once destroyed.

#include "tests/testutil/postgres_server.h"

#include <filesystem>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace wayback::testing {
namespace {

// A process runs: it exists and is not a zombie (the postmaster is
// daemonized by pg_ctl, so whoever adopted it reaps it, maybe late).
bool Running(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string line;
  if (!std::getline(stat, line)) return false;
  const size_t paren = line.rfind(')');
  return paren != std::string::npos && paren + 2 < line.size() &&
         line[paren + 2] != 'Z';
}

TEST(PostgresServerTest, StartsQueriesAndStops) {
  auto pg = PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  ASSERT_TRUE((*pg)->Exec("CREATE TABLE t (id int PRIMARY KEY, v text)").ok());
  ASSERT_TRUE((*pg)->Exec("INSERT INTO t VALUES (1, 'a'), (2, NULL)").ok());
  auto rows = (*pg)->Query("SELECT id, v FROM t ORDER BY id");
  ASSERT_TRUE(rows.ok()) << rows.status();
  const SqlRows expected{{"1", "a"}, {"2", std::nullopt}};
  EXPECT_EQ(*rows, expected);
  auto wal = (*pg)->Query("SHOW wal_level");
  ASSERT_TRUE(wal.ok()) << wal.status();
  EXPECT_EQ(*wal, (SqlRows{{"logical"}}));
  // A SQL error carries the server's message.
  absl::Status bad = (*pg)->Exec("SELECT * FROM missing_table");
  EXPECT_TRUE(absl::IsInvalidArgument(bad)) << bad;
  EXPECT_NE(bad.message().find("missing_table"), std::string::npos) << bad;

  const std::string dir = (*pg)->data_dir();
  std::ifstream pidfile(dir + "/postmaster.pid");
  pid_t pid = 0;
  ASSERT_TRUE(pidfile >> pid);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(Running(pid));
  pg->reset();
  EXPECT_FALSE(std::filesystem::exists(dir));
  // The postmaster has exited (a fast shutdown waited for).
  EXPECT_FALSE(Running(pid));
}

TEST(PostgresServerTest, TcpDsnWorks) {
  auto pg = PostgresServer::Start();
  ASSERT_TRUE(pg.ok()) << pg.status();
  EXPECT_GT((*pg)->port(), 0);
  EXPECT_NE((*pg)->TcpDsn().find("127.0.0.1"), std::string::npos);
  auto tcp = SqlSession::Open((*pg)->TcpDsn());
  ASSERT_TRUE(tcp.ok()) << tcp.status();
  // Over TCP the server reports its address and port.
  auto r = (*tcp)->Query("SELECT inet_server_addr()::text, inet_server_port()");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(*r, (SqlRows{{"127.0.0.1/32", std::to_string((*pg)->port())}}));
}

TEST(PostgresServerTest, MissingBinariesFailClearly) {
  ::setenv("WAYBACK_PG_BIN", "/nonexistent/pg/bin", 1);
  auto pg = PostgresServer::Start();
  ::unsetenv("WAYBACK_PG_BIN");
  ASSERT_FALSE(pg.ok());
  EXPECT_TRUE(absl::IsFailedPrecondition(pg.status())) << pg.status();
  EXPECT_NE(pg.status().message().find("postgresql-15"), std::string::npos)
      << pg.status();
}

}  // namespace
}  // namespace wayback::testing
