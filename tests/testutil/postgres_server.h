// Copyright 2026 The Wayback Authors.
//
// A private PostgreSQL server for the tests that capture from a real one:
// initdb in a fresh temporary directory, started with pg_ctl on a free TCP
// port of 127.0.0.1 and a unix socket in that directory, configured for
// logical replication (wal_level=logical), stopped (fast shutdown) and
// removed when the object is destroyed.
//
// PostgreSQL refuses to run as root, and CI runs as root: the server's
// programs then run as the unprivileged user "postgres" (or "nobody" when
// there is none), which owns the directory. Run as any other user, they run
// as that user.
//
// The binaries come from WAYBACK_PG_BIN (default
// /usr/lib/postgresql/15/bin, Debian's postgresql-15). Missing binaries are
// a failure with the command that installs them, never a skip: a test that
// needs the server and cannot have it has not tested anything.
//
//   auto pg = PostgresServer::Start();
//   ASSERT_TRUE(pg.ok()) << pg.status();
//   ASSERT_TRUE((*pg)->Exec("CREATE TABLE t (id int PRIMARY KEY)").ok());
//   std::string dsn = (*pg)->Dsn();  // "host=/tmp/... port=... user=..."

#ifndef WAYBACK_TESTS_TESTUTIL_POSTGRES_SERVER_H_
#define WAYBACK_TESTS_TESTUTIL_POSTGRES_SERVER_H_

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace wayback::testing {

struct PostgresServerOptions {
  // Lines appended to postgresql.conf after the fixture's own (which set
  // wal_level=logical, 10 replication slots and WAL senders, the port, the
  // socket directory, and fsync=off: the tests never crash the server).
  std::vector<std::string> extra_config;
};

// A query's result: rows of columns in text form, nullopt for NULL.
using SqlRows = std::vector<std::vector<std::optional<std::string>>>;

// One connection kept open (for transactions over several statements).
class SqlSession {
 public:
  // kUnavailable if it cannot connect.
  static absl::StatusOr<std::unique_ptr<SqlSession>> Open(
      const std::string& dsn);
  ~SqlSession();
  SqlSession(const SqlSession&) = delete;
  SqlSession& operator=(const SqlSession&) = delete;
  // Runs `sql` (several statements: the last one's rows).
  // kInvalidArgument with the server's message if it fails.
  absl::StatusOr<SqlRows> Query(const std::string& sql);

 private:
  explicit SqlSession(void* conn) : conn_(conn) {}
  void* conn_;  // PGconn (libpq stays out of this header).
};

class PostgresServer {
 public:
  // initdb + pg_ctl start (waits until the server accepts connections).
  // kFailedPrecondition when the binaries are missing or the server cannot
  // start (the message quotes the end of its log).
  static absl::StatusOr<std::unique_ptr<PostgresServer>> Start(
      const PostgresServerOptions& options = {});

  // Stops the server (fast shutdown) if it runs, and removes its directory.
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A libpq connection string for database `dbname` as the superuser
  // "wayback", through the private unix socket.
  std::string Dsn(const std::string& dbname = "postgres") const;
  // The same over TCP (127.0.0.1:port()).
  std::string TcpDsn(const std::string& dbname = "postgres") const;
  int port() const { return port_; }
  // The server's data directory and log file.
  std::string data_dir() const;
  std::string log_file() const;

  // Runs `sql` (one or more statements, simple query protocol) in database
  // `dbname` on a fresh connection. Errors carry the server's message.
  absl::Status Exec(const std::string& sql,
                    const std::string& dbname = "postgres") const;
  // Runs one query and returns its rows.
  absl::StatusOr<SqlRows> Query(const std::string& sql,
                                const std::string& dbname = "postgres") const;

  // pg_ctl stop -m fast. Later calls do nothing.
  absl::Status Stop();

 private:
  PostgresServer() = default;
  // Runs bin_/program with args as the server's user; its output goes to
  // `log`. Returns its exit status or an error naming it.
  absl::Status RunAsServerUser(const std::string& program,
                               const std::vector<std::string>& args,
                               const std::string& log) const;

  std::string bin_;
  std::string dir_;  // Owned by the server's user: data/, the socket, logs.
  int port_ = 0;
  uid_t uid_ = 0;
  gid_t gid_ = 0;
  bool running_ = false;
};

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_TESTUTIL_POSTGRES_SERVER_H_
