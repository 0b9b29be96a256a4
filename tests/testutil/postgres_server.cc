// Copyright 2026 The Wayback Authors.

#include "tests/testutil/postgres_server.h"

#include <fcntl.h>
#include <grp.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace wayback::testing {
namespace {

namespace fs = std::filesystem;

// A TCP port of 127.0.0.1 free right now (the kernel's choice). Another
// process may take it before the server binds it: Start() retries.
absl::StatusOr<int> FreePort() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::InternalError(std::strerror(errno));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof(a);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    const int e = errno;
    ::close(fd);
    return absl::InternalError(absl::StrCat("bind: ", std::strerror(e)));
  }
  ::close(fd);
  return static_cast<int>(ntohs(a.sin_port));
}

std::string Tail(const std::string& path, size_t max_bytes = 2000) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  return s.size() > max_bytes ? s.substr(s.size() - max_bytes) : s;
}

}  // namespace

absl::Status PostgresServer::RunAsServerUser(
    const std::string& program, const std::vector<std::string>& args,
    const std::string& log) const {
  const std::string path = bin_ + "/" + program;
  std::vector<std::string> argv_s{path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  pid_t pid = ::fork();
  if (pid < 0) return absl::InternalError(std::strerror(errno));
  if (pid == 0) {
    if (::getuid() == 0) {
      if (::setgroups(0, nullptr) != 0 || ::setgid(gid_) != 0 ||
          ::setuid(uid_) != 0) {
        _exit(126);
      }
    }
    int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    int in = ::open("/dev/null", O_RDONLY);
    if (out < 0 || in < 0) _exit(125);
    ::dup2(in, 0);
    ::dup2(out, 1);
    ::dup2(out, 2);
    // Not the test's working directory, which the server's user may not
    // be able to enter.
    if (::chdir(dir_.c_str()) != 0) _exit(124);
    std::vector<char*> argv;
    for (std::string& a : argv_s) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    _exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      absl::StrJoin(argv_s, " "), " failed (",
      WIFEXITED(status) ? absl::StrCat("exit ", WEXITSTATUS(status))
                        : absl::StrCat("signal ", WTERMSIG(status)),
      "); end of ", log, ":\n", Tail(log)));
}

absl::StatusOr<std::unique_ptr<PostgresServer>> PostgresServer::Start(
    const PostgresServerOptions& options) {
  std::unique_ptr<PostgresServer> s(new PostgresServer());
  const char* env = std::getenv("WAYBACK_PG_BIN");
  s->bin_ = env && *env ? env : "/usr/lib/postgresql/15/bin";
  for (const char* p : {"initdb", "pg_ctl", "postgres"}) {
    if (::access((s->bin_ + "/" + p).c_str(), X_OK) != 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "PostgreSQL 15 is not installed: no executable ", s->bin_, "/", p,
          " (apt-get install postgresql-15 libpq-dev, as "
          "scripts/install-deps.sh does; or point WAYBACK_PG_BIN at the "
          "directory of initdb and pg_ctl)"));
    }
  }
  s->uid_ = ::getuid();
  s->gid_ = ::getgid();
  if (s->uid_ == 0) {
    const passwd* pw = ::getpwnam("postgres");
    if (pw == nullptr) pw = ::getpwnam("nobody");
    if (pw == nullptr) {
      return absl::FailedPreconditionError(
          "running as root, and there is neither a \"postgres\" nor a "
          "\"nobody\" user to run PostgreSQL as (it refuses root)");
    }
    s->uid_ = pw->pw_uid;
    s->gid_ = pw->pw_gid;
  }
  // Under /tmp, not the test's temporary directory: every component of the
  // path must be searchable by the server's user.
  std::string tmpl = "/tmp/wayback-pg-XXXXXX";
  if (::mkdtemp(tmpl.data()) == nullptr) {
    return absl::InternalError(absl::StrCat("mkdtemp: ", std::strerror(errno)));
  }
  s->dir_ = tmpl;
  if (::chmod(s->dir_.c_str(), 0755) != 0 ||
      ::chown(s->dir_.c_str(), s->uid_, s->gid_) != 0) {
    return absl::InternalError(
        absl::StrCat("chown ", s->dir_, ": ", std::strerror(errno)));
  }
  const std::string setup_log = s->dir_ + "/initdb.log";
  if (absl::Status st = s->RunAsServerUser(
          "initdb",
          {"-D", s->data_dir(), "-U", "wayback", "--auth=trust",
           "--encoding=UTF8", "--locale=C", "--no-sync"},
          setup_log);
      !st.ok()) {
    return st;
  }
  // A port may be taken between FreePort() and the server's bind: retry.
  absl::Status started;
  for (int attempt = 0; attempt < 5; ++attempt) {
    absl::StatusOr<int> port = FreePort();
    if (!port.ok()) return port.status();
    s->port_ = *port;
    {
      std::ofstream conf(s->data_dir() + "/postgresql.auto.conf",
                         std::ios::trunc);
      conf << "listen_addresses = '127.0.0.1'\n"
           << "port = " << s->port_ << "\n"
           << "unix_socket_directories = '" << s->dir_ << "'\n"
           << "wal_level = logical\n"
           << "max_replication_slots = 10\n"
           << "max_wal_senders = 10\n"
           << "max_connections = 40\n"
           << "shared_buffers = 32MB\n"
           << "fsync = off\n"
           << "full_page_writes = off\n";
      for (const std::string& line : options.extra_config) conf << line << "\n";
      if (!conf) {
        return absl::InternalError(absl::StrCat("cannot write ", s->data_dir(),
                                                "/postgresql.auto.conf"));
      }
    }
    ::chown((s->data_dir() + "/postgresql.auto.conf").c_str(), s->uid_,
            s->gid_);
    started = s->RunAsServerUser(
        "pg_ctl",
        {"start", "-w", "-t", "60", "-D", s->data_dir(), "-l", s->log_file()},
        setup_log);
    if (started.ok()) {
      s->running_ = true;
      return s;
    }
    if (Tail(s->log_file()).find("could not bind") == std::string::npos) break;
  }
  return absl::FailedPreconditionError(
      absl::StrCat(started.message(), "\nend of the server log ", s->log_file(),
                   ":\n", Tail(s->log_file())));
}

PostgresServer::~PostgresServer() {
  Stop().IgnoreError();
  if (!dir_.empty()) {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
}

std::string PostgresServer::data_dir() const { return dir_ + "/data"; }
std::string PostgresServer::log_file() const { return dir_ + "/server.log"; }

std::string PostgresServer::Dsn(const std::string& dbname) const {
  return absl::StrCat("host=", dir_, " port=", port_,
                      " user=wayback dbname=", dbname);
}

std::string PostgresServer::TcpDsn(const std::string& dbname) const {
  return absl::StrCat("host=127.0.0.1 port=", port_,
                      " user=wayback dbname=", dbname);
}

absl::Status PostgresServer::Stop() {
  if (!running_) return absl::OkStatus();
  running_ = false;
  return RunAsServerUser(
      "pg_ctl", {"stop", "-w", "-t", "60", "-m", "fast", "-D", data_dir()},
      dir_ + "/initdb.log");
}

absl::StatusOr<std::unique_ptr<SqlSession>> SqlSession::Open(
    const std::string& dsn) {
  PGconn* c = PQconnectdb(dsn.c_str());
  if (PQstatus(c) != CONNECTION_OK) {
    absl::Status s = absl::UnavailableError(
        absl::StrCat("connect to ", dsn, ": ", PQerrorMessage(c)));
    PQfinish(c);
    return s;
  }
  return std::unique_ptr<SqlSession>(new SqlSession(c));
}

SqlSession::~SqlSession() { PQfinish(static_cast<PGconn*>(conn_)); }

absl::StatusOr<SqlRows> SqlSession::Query(const std::string& sql) {
  PGconn* c = static_cast<PGconn*>(conn_);
  PGresult* r = PQexec(c, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  absl::StatusOr<SqlRows> out;
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    out = absl::InvalidArgumentError(absl::StrCat(
        "\"", sql, "\": ", PQresultErrorMessage(r), PQerrorMessage(c)));
  } else {
    SqlRows rows;
    for (int i = 0; i < PQntuples(r); ++i) {
      std::vector<std::optional<std::string>> row;
      for (int j = 0; j < PQnfields(r); ++j) {
        if (PQgetisnull(r, i, j)) {
          row.push_back(std::nullopt);
        } else {
          row.push_back(std::string(PQgetvalue(r, i, j), PQgetlength(r, i, j)));
        }
      }
      rows.push_back(std::move(row));
    }
    out = std::move(rows);
  }
  PQclear(r);
  return out;
}

absl::StatusOr<SqlRows> PostgresServer::Query(const std::string& sql,
                                              const std::string& dbname) const {
  absl::StatusOr<std::unique_ptr<SqlSession>> s = SqlSession::Open(Dsn(dbname));
  if (!s.ok()) return s.status();
  return (*s)->Query(sql);
}

absl::Status PostgresServer::Exec(const std::string& sql,
                                  const std::string& dbname) const {
  return Query(sql, dbname).status();
}

}  // namespace wayback::testing
