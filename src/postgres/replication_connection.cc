// Copyright 2026 The Wayback Authors.

#include "src/postgres/replication_connection.h"

#include <libpq-fe.h>
#include <poll.h>

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace wayback::postgres {
namespace {

std::string Trimmed(const char* message) {
  std::string s = message ? message : "";
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

class LibpqConnection : public ReplicationConnection {
 public:
  explicit LibpqConnection(PGconn* conn) : conn_(conn) {}
  ~LibpqConnection() override;
  LibpqConnection(const LibpqConnection&) = delete;
  LibpqConnection& operator=(const LibpqConnection&) = delete;

  absl::StatusOr<ResultRows> Query(const std::string& sql) override;
  absl::Status StartLogical(const std::string& slot, PgLsn start,
                            const std::string& options) override;
  absl::StatusOr<std::optional<std::string_view>> Receive(
      absl::Duration timeout) override;
  absl::Status Send(const std::string& bytes) override;
  absl::Status Finish() override;

 private:
  absl::Status Error(const std::string& what) const;

  PGconn* conn_;
  char* buffer_ = nullptr;  // The last message PQgetCopyData returned.
  bool streaming_ = false;
};

}  // namespace

std::string QuoteIdentifier(const std::string& name) {
  std::string out = "\"";
  for (char c : name) {
    if (c == '"') out.push_back('"');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string QuoteLiteral(const std::string& text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out.push_back('\'');
    out.push_back(c);
  }
  out.push_back('\'');
  return out;
}

absl::StatusOr<std::unique_ptr<ReplicationConnection>>
ReplicationConnection::Connect(const std::string& dsn) {
  const char* keys[] = {"dbname", "replication", "application_name", nullptr};
  const char* values[] = {dsn.c_str(), "database", "wayback", nullptr};
  PGconn* c = PQconnectdbParams(keys, values, /*expand_dbname=*/1);
  if (c == nullptr) return absl::ResourceExhaustedError("libpq: out of memory");
  if (PQstatus(c) != CONNECTION_OK) {
    // Not the connection string: it may hold a password.
    absl::Status s = absl::UnavailableError(
        absl::StrCat("cannot connect to PostgreSQL for logical replication: ",
                     Trimmed(PQerrorMessage(c))));
    PQfinish(c);
    return s;
  }
  return std::unique_ptr<ReplicationConnection>(new LibpqConnection(c));
}

LibpqConnection::~LibpqConnection() {
  if (buffer_ != nullptr) PQfreemem(buffer_);
  PQfinish(conn_);
}

absl::Status LibpqConnection::Error(const std::string& what) const {
  const std::string m = Trimmed(PQerrorMessage(conn_));
  if (PQstatus(conn_) == CONNECTION_BAD) {
    return absl::UnavailableError(
        absl::StrCat(what, ": the connection to PostgreSQL broke: ", m));
  }
  return absl::FailedPreconditionError(absl::StrCat(what, ": ", m));
}

absl::StatusOr<ResultRows> LibpqConnection::Query(const std::string& sql) {
  PGresult* r = PQexec(conn_, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
    const std::string code = state ? state : "";
    std::string message = Trimmed(PQresultErrorMessage(r));
    if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
    PQclear(r);
    const std::string text =
        absl::StrCat("PostgreSQL refused \"", sql, "\": ", message);
    if (code == "42710") return absl::AlreadyExistsError(text);
    if (PQstatus(conn_) == CONNECTION_BAD) return absl::UnavailableError(text);
    return absl::FailedPreconditionError(text);
  }
  ResultRows rows;
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
  PQclear(r);
  return rows;
}

absl::StatusOr<SystemIdentity> ReplicationConnection::IdentifySystem() {
  absl::StatusOr<ResultRows> rows = Query("IDENTIFY_SYSTEM");
  if (!rows.ok()) return rows.status();
  if (rows->size() != 1 || (*rows)[0].size() < 4 || !(*rows)[0][0] ||
      !(*rows)[0][1] || !(*rows)[0][2]) {
    return absl::DataLossError("IDENTIFY_SYSTEM returned an unexpected row");
  }
  const auto& row = (*rows)[0];
  SystemIdentity id;
  id.system_identifier = *row[0];
  id.timeline =
      static_cast<uint32_t>(std::strtoul(row[1]->c_str(), nullptr, 10));
  absl::StatusOr<PgLsn> pos = ParsePgLsn(*row[2]);
  if (!pos.ok()) return pos.status();
  id.xlogpos = *pos;
  if (!row[3]) {
    return absl::InvalidArgumentError(
        "the connection names no database (IDENTIFY_SYSTEM's dbname is null): "
        "give dbname=... in the connection string");
  }
  id.database = *row[3];
  return id;
}

absl::StatusOr<CreatedSlot> ReplicationConnection::CreateLogicalSlot(
    const std::string& slot, bool export_snapshot) {
  absl::StatusOr<ResultRows> rows = Query(absl::StrCat(
      "CREATE_REPLICATION_SLOT ", QuoteIdentifier(slot), " LOGICAL pgoutput ",
      export_snapshot ? "EXPORT_SNAPSHOT" : "NOEXPORT_SNAPSHOT"));
  if (!rows.ok()) return rows.status();
  if (rows->size() != 1 || (*rows)[0].size() < 3 || !(*rows)[0][1]) {
    return absl::DataLossError(
        "CREATE_REPLICATION_SLOT returned an unexpected row");
  }
  CreatedSlot out;
  absl::StatusOr<PgLsn> p = ParsePgLsn(*(*rows)[0][1]);
  if (!p.ok()) return p.status();
  out.consistent_point = *p;
  if ((*rows)[0][2]) out.snapshot_name = *(*rows)[0][2];
  return out;
}

absl::Status LibpqConnection::StartLogical(const std::string& slot, PgLsn start,
                                           const std::string& options) {
  const std::string cmd =
      absl::StrCat("START_REPLICATION SLOT ", QuoteIdentifier(slot),
                   " LOGICAL ", FormatPgLsn(start), " (", options, ")");
  PGresult* r = PQexec(conn_, cmd.c_str());
  const ExecStatusType st = PQresultStatus(r);
  std::string message = Trimmed(PQresultErrorMessage(r));
  const char* state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
  const std::string code = state ? state : "";
  PQclear(r);
  if (st != PGRES_COPY_BOTH) {
    if (message.empty()) message = Trimmed(PQerrorMessage(conn_));
    const std::string text =
        absl::StrCat("PostgreSQL refused \"", cmd, "\": ", message);
    // 55006 object_in_use: another walsender still streams the slot.
    if (code == "55006") return absl::UnavailableError(text);
    return absl::FailedPreconditionError(text);
  }
  streaming_ = true;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<std::string_view>> LibpqConnection::Receive(
    absl::Duration timeout) {
  if (buffer_ != nullptr) {
    PQfreemem(buffer_);
    buffer_ = nullptr;
  }
  const absl::Time deadline = absl::Now() + timeout;
  while (true) {
    const int n = PQgetCopyData(conn_, &buffer_, /*async=*/1);
    if (n > 0)
      return std::optional<std::string_view>(std::string_view(buffer_, n));
    if (n == -2) return Error("reading the replication stream");
    if (n == -1) {
      // The server ended the stream: its reason is in the final result.
      streaming_ = false;
      std::string why;
      while (PGresult* r = PQgetResult(conn_)) {
        if (PQresultStatus(r) != PGRES_COMMAND_OK) {
          why = Trimmed(PQresultErrorMessage(r));
        }
        PQclear(r);
      }
      return absl::UnavailableError(
          absl::StrCat("PostgreSQL ended the replication stream",
                       why.empty() ? std::string() : absl::StrCat(": ", why)));
    }
    // Nothing complete buffered: wait for the socket.
    const absl::Duration left = deadline - absl::Now();
    if (left <= absl::ZeroDuration()) return std::optional<std::string_view>();
    pollfd p{PQsocket(conn_), POLLIN, 0};
    const int ms = static_cast<int>(absl::ToInt64Milliseconds(left)) + 1;
    const int rc = ::poll(&p, 1, ms);
    if (rc < 0) {
      if (errno == EINTR) return std::optional<std::string_view>();
      return absl::UnavailableError(absl::StrCat(
          "poll on the replication connection: ", std::strerror(errno)));
    }
    if (rc == 0) return std::optional<std::string_view>();
    if (PQconsumeInput(conn_) == 0) {
      return Error("reading the replication stream");
    }
  }
}

absl::Status LibpqConnection::Send(const std::string& bytes) {
  if (PQputCopyData(conn_, bytes.data(), static_cast<int>(bytes.size())) != 1 ||
      PQflush(conn_) != 0) {
    return Error("sending to the replication stream");
  }
  return absl::OkStatus();
}

absl::Status LibpqConnection::Finish() {
  if (!streaming_) return absl::OkStatus();
  streaming_ = false;
  if (PQputCopyEnd(conn_, nullptr) != 1 || PQflush(conn_) != 0) {
    return Error("ending the replication stream");
  }
  // The server answers CopyDone with its own CopyDone and CommandComplete;
  // messages still in flight before them are discarded.
  while (true) {
    char* buf = nullptr;
    const int n = PQgetCopyData(conn_, &buf, /*async=*/0);
    if (buf != nullptr) PQfreemem(buf);
    if (n < 0) break;
  }
  while (PGresult* r = PQgetResult(conn_)) PQclear(r);
  return absl::OkStatus();
}

}  // namespace wayback::postgres
