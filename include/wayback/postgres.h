// Copyright 2026 The Wayback Authors.
//
// Capture of a PostgreSQL database by logical replication (protocol
// pgoutput), archived exactly once through an Ingester, and the encoding of
// its rows as Wayback keys and values. docs/postgres.md is the full
// specification; this header is the contract.
//
//   PostgresCaptureOptions o;
//   o.dsn = "host=/run/postgresql dbname=ehr user=wayback";
//   o.publication = "wayback";
//   o.slot = "wayback_ehr";
//   auto capture = PostgresCapture::Connect(o);
//   // The repository belongs to (*capture)->identity().SourceName().
//   auto ingester = Ingester::Open(repo, {});
//   absl::Status s = (*capture)->Run(ingester->get(), stop_requested, {});
//   // s is OK after stop_requested() said true; everything offered is then
//   // durable and the server was told so.
//
// Mapping: one PostgreSQL transaction is one Wayback transaction whose
// commit time is the commit timestamp (microseconds, exact, in
// nanoseconds), whose txid is the xid and whose source position is the end
// LSN of its commit record. A transaction made only of
// pg_logical_emit_message(true, 'wayback', 'restore_point:NAME') is a
// restore point NAME at that position.
//
// Durability: the flush position reported to PostgreSQL is never beyond the
// Ingester's durable_position(), so the server keeps every WAL record that
// Wayback does not hold durably yet; a capture killed at any instant and
// started again resumes from the slot's confirmed position, and the
// transactions resent at or below the archived position are skipped by
// position.
//
// Thread-safety: one thread drives a PostgresCapture.

#ifndef WAYBACK_POSTGRES_H_
#define WAYBACK_POSTGRES_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "wayback/capture.h"

namespace wayback {

// --- Keys and values (docs/postgres.md, "Keys" and "Values") ---

// The key of a row: "r", then the schema, the table and each replica
// identity (primary key) column's text form, each as an order-preserving
// string (0x00 escaped as 0x00 0xFF, terminated by 0x00 0x01). Keys sort
// by (schema, table, key columns) compared bytewise; every key of a table
// starts with PostgresTablePrefix().
std::string PostgresRowKey(std::string_view schema, std::string_view table,
                           const std::vector<std::string>& key_values);
std::string PostgresTablePrefix(std::string_view schema,
                                std::string_view table);
// The key of a table's relation metadata: "m", the schema and the table.
std::string PostgresRelationKey(std::string_view schema,
                                std::string_view table);

// A key decoded.
struct PostgresKey {
  enum class Kind { kRow, kRelation };
  Kind kind = Kind::kRow;
  std::string schema;
  std::string table;
  std::vector<std::string> key_values;  // kRow only.
};
// kInvalidArgument if `key` is not one of the keys above.
absl::StatusOr<PostgresKey> DecodePostgresKey(std::string_view key);

// A row: every column in the table's column order, in PostgreSQL's text
// form, nullopt for NULL.
using PostgresRow = std::vector<std::optional<std::string>>;
// The value of a row key: the format byte 0x01, the column count (varint),
// then per column 0x00 (NULL) or 0x01, a varint length and the text.
std::string EncodePostgresRow(const PostgresRow& row);
// kInvalidArgument for anything EncodePostgresRow() does not produce.
absl::StatusOr<PostgresRow> DecodePostgresRow(std::string_view value);

// --- The capture ---

// PostgreSQL's text form of a WAL position: "16/B374D848".
std::string FormatPostgresLsn(uint64_t lsn);

// What a repository fed by a capture records as its source.
struct PostgresSourceIdentity {
  std::string system_identifier;  // IDENTIFY_SYSTEM's systemid.
  std::string database;
  std::string slot;
  // "postgresql:system=<id>;database=<db>;slot=<slot>".
  std::string SourceName() const;
};

struct PostgresCaptureOptions {
  // A libpq connection string; "replication=database" is added.
  std::string dsn;
  // The publication (CREATE PUBLICATION) whose tables are captured.
  std::string publication;
  // The logical replication slot (letters, digits and '_' only).
  std::string slot;
  // Create the slot (pgoutput) when Run() starts; kAlreadyExists if it
  // exists. Default: false (a missing slot is kFailedPrecondition).
  bool create_slot = false;
  // A transaction is assembled in memory before it is offered; one that
  // grows beyond this many bytes of keys and values stops the capture with
  // kResourceExhausted naming its xid and LSN. Default: 256 MiB.
  uint64_t max_transaction_bytes = 256ull << 20;
  // Group commit: the Ingester commits when no more data is waiting, after
  // this many transactions, or this long after the first uncommitted one.
  // Defaults: 20000, 5 ms.
  uint64_t batch = 20000;
  absl::Duration commit_interval = absl::Milliseconds(5);
  // How long Run() waits for a slot that another connection streams (the
  // walsender of a capture that just died holds it until it notices).
  // Default: 10 s.
  absl::Duration slot_busy_timeout = absl::Seconds(10);
  // A standby status update at least this often (the server drops a
  // client silent for wal_sender_timeout, 60 s by default). Default: 10 s.
  absl::Duration status_interval = absl::Seconds(10);
};

// Counters since Connect().
struct PostgresCaptureStats {
  uint64_t transactions = 0;    // Offered and appended.
  uint64_t restore_points = 0;  // Offered and appended.
  uint64_t resent = 0;          // At or below the archived position: skipped.
  uint64_t messages = 0;        // pgoutput messages decoded.
  uint64_t keepalives = 0;
  uint64_t status_updates = 0;
  uint64_t received_wal = 0;  // The newest WAL end the server reported.
  uint64_t flushed = 0;       // The newest flush position reported.
};

class PostgresCapture {
 public:
  // Connects (replication=database), runs IDENTIFY_SYSTEM, and pins the
  // session settings that make column text forms canonical (DateStyle ISO,
  // TimeZone UTC, extra_float_digits 3, bytea_output hex, IntervalStyle
  // postgres). kUnavailable if the server cannot be reached,
  // kInvalidArgument for a bad slot or publication name.
  static absl::StatusOr<std::unique_ptr<PostgresCapture>> Connect(
      const PostgresCaptureOptions& options);

  virtual ~PostgresCapture() = default;

  virtual const PostgresSourceIdentity& identity() const = 0;

  // Creates the slot if asked, checks it (its plugin is pgoutput, its
  // database ours, and it has not confirmed beyond what `ingester` holds:
  // kFailedPrecondition otherwise, since the changes between are gone),
  // starts streaming from the slot's confirmed position, and offers every
  // committed transaction to `ingester` (not owned) until `stop` returns
  // true (checked between messages and at least every 100 ms) or an error.
  // After each group commit, `on_ack` (may be empty) hears of it (an error
  // it returns ends the run) and the server is told the new flush position. On
  // return, everything offered is committed and the final flush position
  // reported, whatever the outcome. Errors: a malformed message (kDataLoss), a
  // change Wayback cannot represent yet (kUnimplemented: TRUNCATE, an unchanged
  // TOASTed value with no old row to carry it from, a restore point message
  // inside a transaction that changes rows, a table without a primary key or
  // usable replica identity) and a commit time earlier than the previous
  // one (kFailedPrecondition), each naming the table or xid, the LSNs and
  // times; the server's and the Ingester's errors.
  virtual absl::Status Run(
      Ingester* ingester, const std::function<bool()>& stop,
      const std::function<absl::Status(const CaptureAck&)>& on_ack) = 0;

  virtual PostgresCaptureStats stats() const = 0;
};

}  // namespace wayback

#endif  // WAYBACK_POSTGRES_H_
