// Copyright 2026 The Wayback Authors.
//
// A libpq connection in replication mode (replication=database): the
// replication commands Wayback uses (IDENTIFY_SYSTEM, CREATE_REPLICATION_SLOT,
// START_REPLICATION ... LOGICAL), plain SQL before streaming, and the COPY
// BOTH stream after it. libpq's errors become absl::Status here.
//
// States: Connect() → commands and SQL (Query) → StartLogical() →
// streaming (Receive, Send) → Finish(). A connection that failed is not
// reused. The class is abstract so that tests can script a stream (a server
// behaving in ways a real one cannot be made to on demand); Connect() gives
// the libpq one.

#ifndef WAYBACK_SRC_POSTGRES_REPLICATION_CONNECTION_H_
#define WAYBACK_SRC_POSTGRES_REPLICATION_CONNECTION_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "src/postgres/protocol.h"

namespace wayback::postgres {

// Rows of a result in text form, nullopt for NULL.
using ResultRows = std::vector<std::vector<std::optional<std::string>>>;

struct SystemIdentity {
  std::string system_identifier;
  uint32_t timeline = 0;
  PgLsn xlogpos = 0;
  std::string database;
};

struct CreatedSlot {
  PgLsn consistent_point = 0;
  std::string snapshot_name;  // Empty unless exported.
};

class ReplicationConnection {
 public:
  // `dsn` plus replication=database. kUnavailable if it cannot connect.
  static absl::StatusOr<std::unique_ptr<ReplicationConnection>> Connect(
      const std::string& dsn);
  virtual ~ReplicationConnection() = default;

  // A command or SQL statement (simple query protocol) and its rows.
  // kFailedPrecondition with the server's message if it fails
  // (kAlreadyExists for SQLSTATE 42710, duplicate object).
  virtual absl::StatusOr<ResultRows> Query(const std::string& sql) = 0;

  absl::StatusOr<SystemIdentity> IdentifySystem();
  // CREATE_REPLICATION_SLOT name LOGICAL pgoutput, exporting a snapshot or
  // not. kAlreadyExists if the slot exists.
  absl::StatusOr<CreatedSlot> CreateLogicalSlot(const std::string& slot,
                                                bool export_snapshot);
  // START_REPLICATION SLOT slot LOGICAL start (options); `options` is the
  // plugin's option list already formatted: proto_version '1', ...
  // kUnavailable if the slot is in use by another connection (a client that
  // died a moment ago keeps it until its walsender notices), else
  // kFailedPrecondition with the server's message.
  virtual absl::Status StartLogical(const std::string& slot, PgLsn start,
                                    const std::string& options) = 0;

  // The next CopyData message of the stream, waiting at most `timeout`;
  // nullopt if none came (or a signal interrupted the wait). kUnavailable
  // if the connection broke or the server ended the stream (its message
  // quoted). The view is valid until the next call.
  virtual absl::StatusOr<std::optional<std::string_view>> Receive(
      absl::Duration timeout) = 0;
  // Sends one CopyData message and flushes it.
  virtual absl::Status Send(const std::string& bytes) = 0;
  // Ends the stream (CopyDone) and reads the server's final results.
  virtual absl::Status Finish() = 0;
};

// `name` quoted as an identifier for a replication command ("a""b").
std::string QuoteIdentifier(const std::string& name);
// `text` quoted as a string literal ('it''s').
std::string QuoteLiteral(const std::string& text);

}  // namespace wayback::postgres

#endif  // WAYBACK_SRC_POSTGRES_REPLICATION_CONNECTION_H_
