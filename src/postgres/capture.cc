// Copyright 2026 The Wayback Authors.
//
// PostgresCapture (include/wayback/postgres.h): pgoutput messages in,
// CaptureEvents out. A design note on the two decisions everything else
// follows from:
//
//  - Resent transactions are skipped by position, not compared. After a
//    restart the server resends from the slot's confirmed position, and
//    pgoutput describes each relation (Relation message) again before its
//    first change in the new session. The relation metadata Wayback archives
//    is emitted when a description differs from the one this process emitted
//    last, so a resent transaction need not carry the same mutations as the
//    original one; the Ingester's content comparison would call that a
//    conflict. The commit's end LSN identifies a PostgreSQL transaction, so
//    "at or below the archived position" is exactly "already archived".
//  - The flush position told to the server is the Ingester's durable
//    position and nothing else: never a keepalive's WAL end, never a
//    position merely received.

#include <algorithm>
#include <memory>
#include <string>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "nlohmann/json.hpp"
#include "src/postgres/capture_internal.h"
#include "src/postgres/protocol.h"
#include "src/postgres/replication_connection.h"
#include "wayback/postgres.h"
#include "wayback/recovery.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using postgres::FormatPgLsn;
using postgres::PgLsn;
using postgres::TupleColumn;
using postgres::TupleData;

// The prefix and content that make a restore point.
constexpr char kMessagePrefix[] = "wayback";
constexpr char kRestorePointPrefix[] = "restore_point:";

CommitTime CommitTimeOf(int64_t pg_micros) {
  return (pg_micros + postgres::kPostgresEpochUnixMicros) * 1000;
}

bool ValidSlotName(const std::string& s) {
  if (s.empty() || s.size() > 63) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
      return false;
    }
  }
  return true;
}

// What a Relation message tells, and what was last archived for it.
struct Relation {
  postgres::RelationMessage message;
  std::string qualified;  // "schema.table", for messages.
  // The metadata value not yet put into a transaction (set when the
  // description changes).
  bool metadata_pending = true;
};

class PostgresCaptureImpl : public PostgresCapture {
 public:
  PostgresCaptureImpl(PostgresCaptureOptions options,
                      std::unique_ptr<postgres::ReplicationConnection> conn,
                      PostgresSourceIdentity identity)
      : opt_(std::move(options)),
        conn_(std::move(conn)),
        identity_(std::move(identity)) {}

  const PostgresSourceIdentity& identity() const override { return identity_; }
  PostgresCaptureStats stats() const override { return stats_; }

  absl::Status Run(
      Ingester* ingester, const std::function<bool()>& stop,
      const std::function<absl::Status(const CaptureAck&)>& on_ack) override {
    if (started_) {
      return absl::FailedPreconditionError(
          "PostgresCapture::Run was called twice (connect again)");
    }
    started_ = true;
    ingester_ = ingester;
    on_ack_ = on_ack;
    if (std::optional<CaptureAck> a = ingester->last_ack()) {
      last_time_ = a->commit_time;
      last_time_position_ = a->source_position;
    }
    WAYBACK_RETURN_IF_ERROR(PrepareSlot());
    WAYBACK_RETURN_IF_ERROR(conn_->StartLogical(
        opt_.slot, 0,
        absl::StrCat(
            "proto_version '1', publication_names ",
            postgres::QuoteLiteral(postgres::QuoteIdentifier(opt_.publication)),
            ", messages 'true'")));
    absl::Status failure = Stream(stop);
    // Whatever ended the stream, what was offered becomes durable and the
    // server hears of it.
    absl::Status committed = CommitNow();
    if (failure.ok()) failure = committed;
    if (conn_ok_) {
      absl::Status sent = SendStatus(false);
      absl::Status fin = sent.ok() ? conn_->Finish() : sent;
      if (failure.ok()) failure = fin;
    }
    return failure;
  }

 private:
  absl::Status PrepareSlot() {
    WAYBACK_ASSIGN_OR_RETURN(
        postgres::ResultRows rows,
        conn_->Query(
            absl::StrCat("SELECT plugin, database, confirmed_flush_lsn FROM "
                         "pg_catalog.pg_replication_slots WHERE slot_name = ",
                         postgres::QuoteLiteral(opt_.slot))));
    if (rows.empty()) {
      if (!opt_.create_slot) {
        return absl::FailedPreconditionError(absl::StrCat(
            "replication slot \"", opt_.slot,
            "\" does not exist (give --create-slot to create it)"));
      }
      WAYBACK_ASSIGN_OR_RETURN(postgres::CreatedSlot created,
                               conn_->CreateLogicalSlot(opt_.slot, false));
      slot_created_at_ = created.consistent_point;
      return absl::OkStatus();
    }
    if (opt_.create_slot) {
      return absl::AlreadyExistsError(absl::StrCat(
          "replication slot \"", opt_.slot,
          "\" exists already (drop --create-slot to resume from it)"));
    }
    const auto& row = rows[0];
    if (!row[0] || *row[0] != "pgoutput") {
      return absl::FailedPreconditionError(absl::StrCat(
          "replication slot \"", opt_.slot, "\" uses the plugin ",
          row[0] ? *row[0] : "(none: a physical slot)", ", not pgoutput"));
    }
    if (!row[1] || *row[1] != identity_.database) {
      return absl::FailedPreconditionError(absl::StrCat(
          "replication slot \"", opt_.slot, "\" belongs to database ",
          row[1] ? *row[1] : "(none)", ", not ", identity_.database));
    }
    if (row[2]) {
      WAYBACK_ASSIGN_OR_RETURN(PgLsn confirmed, postgres::ParsePgLsn(*row[2]));
      const std::optional<uint64_t> durable = ingester_->durable_position();
      if (durable && confirmed > *durable) {
        return absl::FailedPreconditionError(absl::StrCat(
            "replication slot \"", opt_.slot, "\" has confirmed WAL up to ",
            FormatPgLsn(confirmed),
            " but the repository holds changes only "
            "up to ",
            FormatPgLsn(*durable),
            ": the transactions between are gone from the server (was the "
            "slot advanced by another client, or the repository replaced by "
            "an older copy?)"));
      }
    }
    return absl::OkStatus();
  }

  absl::Status Stream(const std::function<bool()>& stop) {
    last_status_ = absl::Now();
    while (!stop()) {
      // Everything buffered first; an empty read means the server has
      // nothing more right now: the moment to group-commit.
      const absl::Duration wait =
          uncommitted_ > 0 ? absl::ZeroDuration() : absl::Milliseconds(100);
      absl::StatusOr<std::optional<std::string_view>> got =
          conn_->Receive(wait);
      if (!got.ok()) {
        conn_ok_ = false;
        return got.status();
      }
      if (got->has_value()) {
        WAYBACK_RETURN_IF_ERROR(HandleFrame(**got));
      }
      const absl::Time now = absl::Now();
      if (uncommitted_ > 0 &&
          (!got->has_value() || uncommitted_ >= opt_.batch ||
           now - first_uncommitted_ >= opt_.commit_interval)) {
        WAYBACK_RETURN_IF_ERROR(CommitNow());
        WAYBACK_RETURN_IF_ERROR(SendStatus(false));
      }
      if (now - last_status_ >= opt_.status_interval) {
        WAYBACK_RETURN_IF_ERROR(SendStatus(false));
      }
    }
    return absl::OkStatus();
  }

  absl::Status CommitNow() {
    if (ingester_ == nullptr || uncommitted_ == 0) return absl::OkStatus();
    WAYBACK_ASSIGN_OR_RETURN(std::optional<CaptureAck> ack,
                             ingester_->Commit());
    uncommitted_ = 0;
    if (ack && on_ack_) return on_ack_(*ack);
    return absl::OkStatus();
  }

  absl::Status SendStatus(bool reply_requested) {
    // The one rule of the durability contract: flushed = durable.
    const PgLsn flushed = ingester_->durable_position().value_or(0);
    const PgLsn written = std::max<PgLsn>(flushed, stats_.received_wal);
    const int64_t now_us =
        absl::ToUnixMicros(absl::Now()) - postgres::kPostgresEpochUnixMicros;
    absl::Status s = conn_->Send(postgres::EncodeStandbyStatus(
        written, flushed, flushed, now_us, reply_requested));
    if (!s.ok()) {
      conn_ok_ = false;
      return s;
    }
    stats_.flushed = flushed;
    ++stats_.status_updates;
    last_status_ = absl::Now();
    return absl::OkStatus();
  }

  absl::Status HandleFrame(std::string_view bytes) {
    WAYBACK_ASSIGN_OR_RETURN(postgres::Frame frame,
                             postgres::DecodeFrame(bytes));
    if (const auto* k = std::get_if<postgres::Keepalive>(&frame)) {
      ++stats_.keepalives;
      stats_.received_wal = std::max<uint64_t>(stats_.received_wal, k->wal_end);
      if (k->reply_requested) {
        // Answer at once, with what is durable now: commit first.
        WAYBACK_RETURN_IF_ERROR(CommitNow());
        return SendStatus(false);
      }
      return absl::OkStatus();
    }
    const auto& x = std::get<postgres::XLogData>(frame);
    stats_.received_wal = std::max<uint64_t>(stats_.received_wal, x.wal_end);
    WAYBACK_ASSIGN_OR_RETURN(postgres::PgoutputMessage m,
                             postgres::DecodePgoutput(x.data, x.wal_start));
    ++stats_.messages;
    return std::visit([&](auto& msg) { return Handle(msg, x.wal_start); }, m);
  }

  // --- pgoutput messages ---

  absl::Status NotInTransaction(const char* what, PgLsn at) {
    return absl::DataLossError(
        absl::StrCat("pgoutput sent ", what, " at WAL ", FormatPgLsn(at),
                     in_txn_ ? " inside a transaction that already began"
                             : " outside a transaction"));
  }

  absl::Status Handle(postgres::BeginMessage& m, PgLsn at) {
    if (in_txn_) return NotInTransaction("Begin ('B')", at);
    in_txn_ = true;
    begin_ = m;
    txn_ = Transaction();
    txn_bytes_ = 0;
    restore_point_.reset();
    return absl::OkStatus();
  }

  absl::Status Handle(postgres::CommitMessage& m, PgLsn at) {
    if (!in_txn_) return NotInTransaction("Commit ('C')", at);
    in_txn_ = false;
    const uint32_t xid = begin_.xid;
    if (m.commit_lsn != begin_.final_lsn ||
        m.commit_time_us != begin_.commit_time_us) {
      return absl::DataLossError(absl::StrCat(
          "pgoutput Commit at WAL ", FormatPgLsn(at), " of xid ", xid,
          " does not match its Begin (commit LSN ", FormatPgLsn(m.commit_lsn),
          " vs ", FormatPgLsn(begin_.final_lsn), ")"));
    }
    const CommitTime time = CommitTimeOf(m.commit_time_us);
    CaptureEvent e;
    e.position = m.end_lsn;
    if (restore_point_) {
      if (!txn_.mutations.empty()) {
        return absl::UnimplementedError(absl::StrCat(
            "xid ", xid, " (commit ", FormatPgLsn(m.end_lsn),
            ") both changes rows and sets the restore point \"",
            *restore_point_,
            "\": Wayback takes a restore point only from a transaction of "
            "its own (run SELECT pg_logical_emit_message(true, 'wayback', "
            "'restore_point:NAME') outside the transaction)"));
      }
      e.kind = CaptureEvent::Kind::kRestorePoint;
      e.restore_point = *restore_point_;
      e.restore_point_time = time;
    } else {
      // pgoutput skips empty transactions; one whose changes Wayback drops
      // entirely has nothing to archive either.
      if (txn_.mutations.empty()) return absl::OkStatus();
      txn_.txid = xid;
      txn_.commit_time = time;
      e.txn = std::move(txn_);
    }
    txn_ = Transaction();
    const std::optional<uint64_t> durable = ingester_->durable_position();
    if (durable && e.position <= *durable) {
      ++stats_.resent;
      return absl::OkStatus();
    }
    if (last_time_ && time < *last_time_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "commit times go backwards along the WAL: xid ", xid,
          " committed at ", FormatPgLsn(m.end_lsn), " with time ",
          FormatCommitTime(time), ", after the transaction at ",
          FormatPgLsn(last_time_position_), " with time ",
          FormatCommitTime(*last_time_),
          "; the Wayback log does not hold decreasing commit times yet, and "
          "Wayback neither reorders nor clamps them (nothing from ",
          FormatPgLsn(m.end_lsn), " on was archived)"));
    }
    const bool rp = e.kind == CaptureEvent::Kind::kRestorePoint;
    WAYBACK_RETURN_IF_ERROR(ingester_->Offer(std::move(e)).status());
    last_time_ = time;
    last_time_position_ = m.end_lsn;
    ++(rp ? stats_.restore_points : stats_.transactions);
    if (uncommitted_++ == 0) first_uncommitted_ = absl::Now();
    return absl::OkStatus();
  }

  absl::Status Handle(postgres::OriginMessage&, PgLsn) {
    // Changes replicated into this server from another: archived like the
    // rest (the origin does not change what the table holds).
    return absl::OkStatus();
  }

  absl::Status Handle(postgres::TypeMessage& m, PgLsn) {
    types_[m.oid] = m;
    return absl::OkStatus();
  }

  absl::Status Handle(postgres::RelationMessage& m, PgLsn) {
    auto it = relations_.find(m.oid);
    if (it != relations_.end()) {
      if (it->second.message == m) return absl::OkStatus();
      it->second.message = m;
      it->second.metadata_pending = true;
    } else {
      Relation r;
      r.message = m;
      it = relations_.emplace(m.oid, std::move(r)).first;
    }
    it->second.qualified =
        absl::StrCat(it->second.message.schema, ".", it->second.message.name);
    return absl::OkStatus();
  }

  absl::Status Handle(postgres::LogicalMessage& m, PgLsn at) {
    if (m.prefix != kMessagePrefix) return absl::OkStatus();
    if (!m.transactional || !in_txn_) {
      return absl::UnimplementedError(absl::StrCat(
          "a non-transactional message with prefix 'wayback' at WAL ",
          FormatPgLsn(m.lsn),
          ": restore points are taken from transactional messages only "
          "(pg_logical_emit_message(true, 'wayback', 'restore_point:NAME'))"));
    }
    if (m.content.rfind(kRestorePointPrefix, 0) != 0) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the 'wayback' message at WAL ", FormatPgLsn(m.lsn), " says \"",
          m.content,
          "\"; the only message Wayback knows is restore_point:NAME"));
    }
    std::string name = m.content.substr(sizeof(kRestorePointPrefix) - 1);
    if (name.empty() || restore_point_) {
      return absl::InvalidArgumentError(
          absl::StrCat("xid ", begin_.xid, ": ",
                       name.empty() ? "an empty restore point name"
                                    : "two restore points in one transaction",
                       " at WAL ", FormatPgLsn(m.lsn)));
    }
    restore_point_ = std::move(name);
    (void)at;
    return absl::OkStatus();
  }

  absl::Status Handle(postgres::TruncateMessage& m, PgLsn at) {
    std::vector<std::string> names;
    for (uint32_t oid : m.relations) {
      auto it = relations_.find(oid);
      names.push_back(it == relations_.end() ? absl::StrCat("OID ", oid)
                                             : it->second.qualified);
    }
    return absl::UnimplementedError(absl::StrCat(
        "TRUNCATE of ", absl::StrJoin(names, ", "), " in xid ", begin_.xid,
        " at WAL ", FormatPgLsn(at),
        ": the Wayback log has no range delete yet, so a truncate cannot be "
        "archived exactly; nothing from this transaction on was archived "
        "(publish without truncate: ALTER PUBLICATION ... SET (publish = "
        "'insert, update, delete'), or delete the rows instead)"));
  }

  absl::Status Handle(postgres::InsertMessage& m, PgLsn at) {
    WAYBACK_ASSIGN_OR_RETURN(Relation * r, Change(m.relation, "Insert", at));
    WAYBACK_ASSIGN_OR_RETURN(std::vector<std::string> key,
                             Key(*r, m.new_tuple, "new", at));
    WAYBACK_ASSIGN_OR_RETURN(std::string value,
                             Row(*r, m.new_tuple, nullptr, at));
    return Put(PostgresRowKey(r->message.schema, r->message.name, key),
               std::move(value), at);
  }

  absl::Status Handle(postgres::UpdateMessage& m, PgLsn at) {
    WAYBACK_ASSIGN_OR_RETURN(Relation * r, Change(m.relation, "Update", at));
    const TupleData* old = m.old_kind != 0 ? &m.old_tuple : nullptr;
    WAYBACK_ASSIGN_OR_RETURN(std::vector<std::string> new_key,
                             Key(*r, m.new_tuple, "new", at));
    WAYBACK_ASSIGN_OR_RETURN(std::string value, Row(*r, m.new_tuple, old, at));
    if (old != nullptr) {
      WAYBACK_ASSIGN_OR_RETURN(std::vector<std::string> old_key,
                               Key(*r, *old, "old", at));
      if (old_key != new_key) {
        // A changed primary key: the row moves.
        WAYBACK_RETURN_IF_ERROR(Delete(
            PostgresRowKey(r->message.schema, r->message.name, old_key), at));
      }
    }
    return Put(PostgresRowKey(r->message.schema, r->message.name, new_key),
               std::move(value), at);
  }

  absl::Status Handle(postgres::DeleteMessage& m, PgLsn at) {
    WAYBACK_ASSIGN_OR_RETURN(Relation * r, Change(m.relation, "Delete", at));
    WAYBACK_ASSIGN_OR_RETURN(std::vector<std::string> key,
                             Key(*r, m.old_tuple, "old", at));
    return Delete(PostgresRowKey(r->message.schema, r->message.name, key), at);
  }

  // --- Changes ---

  // The relation a change names, checked, its metadata put first if it
  // changed.
  absl::StatusOr<Relation*> Change(uint32_t oid, const char* what, PgLsn at) {
    if (!in_txn_) {
      return NotInTransaction(what, at);
    }
    auto it = relations_.find(oid);
    if (it == relations_.end()) {
      return absl::DataLossError(
          absl::StrCat("pgoutput ", what, " at WAL ", FormatPgLsn(at),
                       " names relation OID ", oid,
                       ", which no Relation message described"));
    }
    Relation& r = it->second;
    const char ident = r.message.replica_identity;
    const bool has_key =
        std::any_of(r.message.columns.begin(), r.message.columns.end(),
                    [](const postgres::RelationColumn& c) { return c.key; });
    if ((ident != 'd' && ident != 'i') || !has_key) {
      return absl::UnimplementedError(absl::StrCat(
          "table ", r.qualified, " (", what, " at WAL ", FormatPgLsn(at),
          ", xid ", begin_.xid, ") has ",
          ident == 'f'   ? "REPLICA IDENTITY FULL"
          : ident == 'n' ? "REPLICA IDENTITY NOTHING"
                         : "no primary key",
          ": Wayback keys each row by its primary key (or a REPLICA IDENTITY "
          "USING INDEX), and tables without one are refused for now"));
    }
    if (r.metadata_pending) {
      r.metadata_pending = false;
      WAYBACK_RETURN_IF_ERROR(
          Put(PostgresRelationKey(r.message.schema, r.message.name),
              Metadata(r), at));
    }
    return &r;
  }

  // The relation metadata value: canonical JSON (docs/postgres.md).
  std::string Metadata(const Relation& r) const {
    nlohmann::json cols = nlohmann::json::array();
    for (const postgres::RelationColumn& c : r.message.columns) {
      nlohmann::json j{{"name", c.name},
                       {"type_oid", c.type_oid},
                       {"type_modifier", c.type_modifier},
                       {"key", c.key}};
      auto t = types_.find(c.type_oid);
      if (t != types_.end()) {
        j["type_schema"] = t->second.schema;
        j["type_name"] = t->second.name;
      }
      cols.push_back(std::move(j));
    }
    nlohmann::json j{
        {"format", 1},
        {"oid", r.message.oid},
        {"schema", r.message.schema},
        {"table", r.message.name},
        {"replica_identity", std::string(1, r.message.replica_identity)},
        {"columns", std::move(cols)}};
    return j.dump();
  }

  absl::Status ColumnCount(const Relation& r, const TupleData& t,
                           const char* which, PgLsn at) const {
    if (t.size() != r.message.columns.size()) {
      return absl::DataLossError(absl::StrCat(
          "pgoutput change of ", r.qualified, " at WAL ", FormatPgLsn(at),
          ": the ", which, " tuple has ", t.size(), " columns, the relation ",
          r.message.columns.size()));
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::vector<std::string>> Key(const Relation& r,
                                               const TupleData& t,
                                               const char* which, PgLsn at) {
    WAYBACK_RETURN_IF_ERROR(ColumnCount(r, t, which, at));
    std::vector<std::string> key;
    for (size_t i = 0; i < t.size(); ++i) {
      if (!r.message.columns[i].key) continue;
      if (t[i].kind != TupleColumn::Kind::kText) {
        return absl::UnimplementedError(absl::StrCat(
            "table ", r.qualified, " at WAL ", FormatPgLsn(at), ", xid ",
            begin_.xid, ": key column ", r.message.columns[i].name, " of the ",
            which, " row is ",
            t[i].kind == TupleColumn::Kind::kNull ? "NULL"
            : t[i].kind == TupleColumn::Kind::kUnchangedToast
                ? "an unchanged TOASTed value (not sent)"
                : "binary",
            ": the row's key cannot be formed"));
      }
      key.push_back(t[i].value);
    }
    return key;
  }

  absl::StatusOr<std::string> Row(const Relation& r, const TupleData& t,
                                  const TupleData* old, PgLsn at) {
    PostgresRow row;
    row.reserve(t.size());
    for (size_t i = 0; i < t.size(); ++i) {
      switch (t[i].kind) {
        case TupleColumn::Kind::kNull:
          row.push_back(std::nullopt);
          break;
        case TupleColumn::Kind::kText:
          row.push_back(t[i].value);
          break;
        case TupleColumn::Kind::kUnchangedToast:
          // The value did not change: carry it from the old row when the
          // server sent one (REPLICA IDENTITY FULL sends it whole).
          if (old != nullptr && i < old->size() &&
              (*old)[i].kind == TupleColumn::Kind::kText) {
            row.push_back((*old)[i].value);
            break;
          }
          return absl::UnimplementedError(absl::StrCat(
              "table ", r.qualified, " at WAL ", FormatPgLsn(at), ", xid ",
              begin_.xid, ": an UPDATE left column ", r.message.columns[i].name,
              " unchanged and TOASTed, so PostgreSQL did not send its value; "
              "Wayback does not read the previous row from its archive yet "
              "and refuses rather than archive a wrong row"));
        case TupleColumn::Kind::kBinary:
          return absl::DataLossError(absl::StrCat(
              "table ", r.qualified, " at WAL ", FormatPgLsn(at),
              ": a binary column value, which Wayback never asks for"));
      }
    }
    return EncodePostgresRow(row);
  }

  absl::Status Grow(size_t bytes, PgLsn at) {
    txn_bytes_ += bytes;
    if (txn_bytes_ > opt_.max_transaction_bytes) {
      return absl::ResourceExhaustedError(absl::StrCat(
          "xid ", begin_.xid, " (commit at ", FormatPgLsn(begin_.final_lsn),
          ") exceeds ", opt_.max_transaction_bytes, " bytes of changes at WAL ",
          FormatPgLsn(at),
          "; Wayback holds a transaction in memory until its commit (raise "
          "the limit if memory allows)"));
    }
    return absl::OkStatus();
  }

  absl::Status Put(std::string key, std::string value, PgLsn at) {
    WAYBACK_RETURN_IF_ERROR(Grow(key.size() + value.size() + 16, at));
    txn_.mutations.push_back(
        {MutationType::kPut, std::move(key), std::move(value)});
    return absl::OkStatus();
  }

  absl::Status Delete(std::string key, PgLsn at) {
    WAYBACK_RETURN_IF_ERROR(Grow(key.size() + 16, at));
    txn_.mutations.push_back({MutationType::kDelete, std::move(key), {}});
    return absl::OkStatus();
  }

  PostgresCaptureOptions opt_;
  std::unique_ptr<postgres::ReplicationConnection> conn_;
  PostgresSourceIdentity identity_;
  PostgresCaptureStats stats_;
  bool started_ = false;
  bool conn_ok_ = true;
  Ingester* ingester_ = nullptr;
  std::function<absl::Status(const CaptureAck&)> on_ack_;
  std::optional<PgLsn> slot_created_at_;

  absl::flat_hash_map<uint32_t, Relation> relations_;
  absl::flat_hash_map<uint32_t, postgres::TypeMessage> types_;

  // The transaction being assembled.
  bool in_txn_ = false;
  postgres::BeginMessage begin_;
  Transaction txn_;
  uint64_t txn_bytes_ = 0;
  std::optional<std::string> restore_point_;

  // The newest commit time offered (or archived), and its position.
  std::optional<CommitTime> last_time_;
  uint64_t last_time_position_ = 0;

  uint64_t uncommitted_ = 0;
  absl::Time first_uncommitted_;
  absl::Time last_status_;
};

}  // namespace

std::string FormatPostgresLsn(uint64_t lsn) { return FormatPgLsn(lsn); }

std::string PostgresSourceIdentity::SourceName() const {
  return absl::StrCat("postgresql:system=", system_identifier,
                      ";database=", database, ";slot=", slot);
}

absl::StatusOr<std::unique_ptr<PostgresCapture>> PostgresCapture::Connect(
    const PostgresCaptureOptions& options) {
  WAYBACK_RETURN_IF_ERROR(postgres::CheckCaptureNames(options));
  WAYBACK_ASSIGN_OR_RETURN(
      std::unique_ptr<postgres::ReplicationConnection> c,
      postgres::ReplicationConnection::Connect(options.dsn));
  return postgres::NewPostgresCapture(options, std::move(c));
}

namespace postgres {

absl::Status CheckCaptureNames(const PostgresCaptureOptions& options) {
  if (!ValidSlotName(options.slot)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "bad slot name \"", options.slot,
        "\": PostgreSQL allows lower-case letters, digits and '_' (at most "
        "63)"));
  }
  if (options.publication.empty() ||
      options.publication.find_first_of(std::string("\0'\\\"", 4)) !=
          std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad publication name \"", options.publication,
                     "\" (empty, or holding a quote, backslash or NUL)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PostgresCapture>> NewPostgresCapture(
    const PostgresCaptureOptions& options,
    std::unique_ptr<ReplicationConnection> c) {
  WAYBACK_RETURN_IF_ERROR(CheckCaptureNames(options));
  // Canonical text forms: these settings decide how the walsender prints
  // dates, times, floats, bytea and intervals (docs/postgres.md, "Values").
  WAYBACK_RETURN_IF_ERROR(
      c->Query("SET DateStyle = 'ISO, YMD'; SET TimeZone = 'UTC'; "
               "SET extra_float_digits = 3; SET bytea_output = 'hex'; "
               "SET IntervalStyle = 'postgres'")
          .status());
  WAYBACK_ASSIGN_OR_RETURN(SystemIdentity id, c->IdentifySystem());
  PostgresSourceIdentity identity{id.system_identifier, id.database,
                                  options.slot};
  return std::unique_ptr<PostgresCapture>(
      new PostgresCaptureImpl(options, std::move(c), std::move(identity)));
}

}  // namespace postgres
}  // namespace wayback
