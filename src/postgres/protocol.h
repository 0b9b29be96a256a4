// Copyright 2026 The Wayback Authors.
//
// The bytes PostgreSQL sends a logical replication client, decoded into
// structs, and the one message the client sends back.
//
// Two levels (PostgreSQL's "Streaming Replication Protocol" and "Logical
// Streaming Replication Protocol", protocol version 1):
//
//  - Frames of the COPY BOTH stream (DecodeFrame): XLogData 'w' (a pgoutput
//    message at a WAL position) and primary keepalive 'k'; and the client's
//    standby status update 'r' (EncodeStandbyStatus).
//  - pgoutput messages, the payload of an XLogData (DecodePgoutput): Begin,
//    Commit, Origin, Relation, Type, Insert, Update, Delete, Truncate and
//    Message. All integers are big-endian; strings are NUL-terminated.
//
// Every decoder is bounds-checked: a short, overlong or malformed message is
// kDataLoss naming the WAL position, the message type and the field, never
// a read past the end. Allocation is bounded by the message's size.

#ifndef WAYBACK_SRC_POSTGRES_PROTOCOL_H_
#define WAYBACK_SRC_POSTGRES_PROTOCOL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace wayback::postgres {

// A position in PostgreSQL's WAL (XLogRecPtr); 0 is InvalidXLogRecPtr.
using PgLsn = uint64_t;
// PostgreSQL's text form: "16/B374D848" (high and low 32 bits in hex).
std::string FormatPgLsn(PgLsn lsn);
// Parses that form; kInvalidArgument otherwise.
absl::StatusOr<PgLsn> ParsePgLsn(std::string_view text);

// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC).
inline constexpr int64_t kPostgresEpochUnixMicros = 946684800000000;

// --- Frames of the replication stream ---

// XLogData ('w'): WAL data from `wal_start` on.
struct XLogData {
  PgLsn wal_start = 0;
  PgLsn wal_end = 0;         // The server's current end of WAL.
  int64_t send_time_us = 0;  // Microseconds since 2000-01-01.
  std::string_view data;     // A pgoutput message; a view into the frame.
};
// Primary keepalive ('k').
struct Keepalive {
  PgLsn wal_end = 0;
  int64_t send_time_us = 0;
  bool reply_requested = false;
};
using Frame = std::variant<XLogData, Keepalive>;

// Decodes one CopyData payload of the stream. kDataLoss for an unknown
// frame type or a wrong length.
absl::StatusOr<Frame> DecodeFrame(std::string_view bytes);

// The standby status update ('r'): written, flushed and applied positions,
// the client's clock (microseconds since 2000-01-01), and whether the
// server should reply at once.
std::string EncodeStandbyStatus(PgLsn written, PgLsn flushed, PgLsn applied,
                                int64_t now_us, bool reply_requested);

// --- pgoutput messages (protocol version 1) ---

// One column of a TupleData.
struct TupleColumn {
  // These are the protocol's bytes.
  enum class Kind : char {
    kNull = 'n',
    kUnchangedToast = 'u',  // A TOASTed value the UPDATE did not change.
    kText = 't',
    kBinary = 'b',  // Only with the `binary` option (not requested).
  };
  Kind kind = Kind::kNull;
  std::string value;  // kText/kBinary only.
  friend bool operator==(const TupleColumn&, const TupleColumn&) = default;
};
using TupleData = std::vector<TupleColumn>;

struct BeginMessage {
  PgLsn final_lsn = 0;  // The LSN of the transaction's commit record.
  int64_t commit_time_us = 0;
  uint32_t xid = 0;
};
struct CommitMessage {
  uint8_t flags = 0;
  PgLsn commit_lsn = 0;  // Where the commit record starts.
  PgLsn end_lsn = 0;     // Where it ends: the transaction's position.
  int64_t commit_time_us = 0;
};
struct OriginMessage {
  PgLsn commit_lsn = 0;  // On the origin server.
  std::string name;
};
struct RelationColumn {
  bool key = false;  // Part of the replica identity.
  std::string name;
  uint32_t type_oid = 0;
  int32_t type_modifier = -1;
  friend bool operator==(const RelationColumn&,
                         const RelationColumn&) = default;
};
struct RelationMessage {
  uint32_t oid = 0;
  std::string schema;  // Empty for pg_catalog.
  std::string name;
  // REPLICA IDENTITY: 'd' default (primary key), 'n' nothing, 'f' full,
  // 'i' index.
  char replica_identity = 'd';
  std::vector<RelationColumn> columns;
  friend bool operator==(const RelationMessage&,
                         const RelationMessage&) = default;
};
struct TypeMessage {
  uint32_t oid = 0;
  std::string schema;
  std::string name;
};
struct InsertMessage {
  uint32_t relation = 0;
  TupleData new_tuple;
};
struct UpdateMessage {
  uint32_t relation = 0;
  // 0: no old tuple; 'K': the old key (replica identity columns, others
  // null); 'O': the whole old row (REPLICA IDENTITY FULL).
  char old_kind = 0;
  TupleData old_tuple;
  TupleData new_tuple;
};
struct DeleteMessage {
  uint32_t relation = 0;
  char old_kind = 'K';  // 'K' or 'O', as in UpdateMessage.
  TupleData old_tuple;
};
struct TruncateMessage {
  // Bit 1: CASCADE; bit 2: RESTART IDENTITY.
  uint8_t options = 0;
  std::vector<uint32_t> relations;
};
// pg_logical_emit_message().
struct LogicalMessage {
  bool transactional = false;
  PgLsn lsn = 0;
  std::string prefix;
  std::string content;
};

using PgoutputMessage =
    std::variant<BeginMessage, CommitMessage, OriginMessage, RelationMessage,
                 TypeMessage, InsertMessage, UpdateMessage, DeleteMessage,
                 TruncateMessage, LogicalMessage>;

// Decodes one pgoutput message that XLogData carried at `wal_start` (named
// in errors). kDataLoss for a malformed message (the message says which
// type, which field and where), kUnimplemented for a message type of a later
// protocol version (streamed transactions, two-phase commit).
absl::StatusOr<PgoutputMessage> DecodePgoutput(std::string_view bytes,
                                               PgLsn wal_start);

// "Insert ('I')": the name of a message type byte, for messages.
std::string PgoutputTypeName(char type);

}  // namespace wayback::postgres

#endif  // WAYBACK_SRC_POSTGRES_PROTOCOL_H_
