// Copyright 2026 The Wayback Authors.
//
// Decoding of the replication stream and of pgoutput. A Reader consumes a
// message front to back; every getter checks the bytes left first, and the
// first failure names the field, so a malformed message becomes one precise
// error and never a read past its end.

#include "src/postgres/protocol.h"

#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace wayback::postgres {
namespace {

class Reader {
 public:
  Reader(std::string_view bytes, PgLsn at, char type)
      : rest_(bytes), size_(bytes.size()), at_(at), type_(type) {}

  absl::Status U8(const char* field, uint8_t* v) {
    if (rest_.empty()) return Short(field, 1);
    *v = static_cast<uint8_t>(rest_[0]);
    rest_.remove_prefix(1);
    return absl::OkStatus();
  }
  absl::Status U16(const char* field, uint16_t* v) {
    uint64_t x = 0;
    if (absl::Status s = Big(field, 2, &x); !s.ok()) return s;
    *v = static_cast<uint16_t>(x);
    return absl::OkStatus();
  }
  absl::Status U32(const char* field, uint32_t* v) {
    uint64_t x = 0;
    if (absl::Status s = Big(field, 4, &x); !s.ok()) return s;
    *v = static_cast<uint32_t>(x);
    return absl::OkStatus();
  }
  absl::Status I32(const char* field, int32_t* v) {
    uint32_t x = 0;
    if (absl::Status s = U32(field, &x); !s.ok()) return s;
    *v = static_cast<int32_t>(x);
    return absl::OkStatus();
  }
  absl::Status U64(const char* field, uint64_t* v) { return Big(field, 8, v); }
  absl::Status I64(const char* field, int64_t* v) {
    uint64_t x = 0;
    if (absl::Status s = Big(field, 8, &x); !s.ok()) return s;
    *v = static_cast<int64_t>(x);
    return absl::OkStatus();
  }
  // A NUL-terminated string.
  absl::Status CString(const char* field, std::string* v) {
    const size_t nul = rest_.find('\0');
    if (nul == std::string_view::npos) {
      return Bad(field, "has no terminating NUL byte");
    }
    v->assign(rest_.data(), nul);
    rest_.remove_prefix(nul + 1);
    return absl::OkStatus();
  }
  absl::Status Bytes(const char* field, size_t n, std::string* v) {
    if (rest_.size() < n) return Short(field, n);
    v->assign(rest_.data(), n);
    rest_.remove_prefix(n);
    return absl::OkStatus();
  }
  absl::Status End() {
    if (!rest_.empty()) {
      return Bad("message", absl::StrCat("has ", rest_.size(),
                                         " bytes after its last field"));
    }
    return absl::OkStatus();
  }
  size_t left() const { return rest_.size(); }

  absl::Status Bad(const std::string& field, const std::string& what) const {
    return absl::DataLossError(
        absl::StrCat("malformed pgoutput message ", PgoutputTypeName(type_),
                     " at WAL ", FormatPgLsn(at_), ": ", field, " (at byte ",
                     size_ - rest_.size(), " of ", size_, ") ", what));
  }

 private:
  absl::Status Short(const char* field, size_t need) const {
    return Bad(field,
               absl::StrCat("needs ", need, " bytes, ", rest_.size(), " left"));
  }
  absl::Status Big(const char* field, int n, uint64_t* v) {
    if (rest_.size() < static_cast<size_t>(n)) return Short(field, n);
    uint64_t x = 0;
    for (int i = 0; i < n; ++i) {
      x = (x << 8) | static_cast<uint8_t>(rest_[i]);
    }
    rest_.remove_prefix(n);
    *v = x;
    return absl::OkStatus();
  }

  std::string_view rest_;
  size_t size_;
  PgLsn at_;
  char type_;
};

#define RETURN_IF(expr)                \
  do {                                 \
    absl::Status status_ = (expr);     \
    if (!status_.ok()) return status_; \
  } while (0)

absl::Status ReadTuple(Reader& r, const char* which, TupleData* t) {
  uint16_t n = 0;
  RETURN_IF(r.U16(which, &n));
  // Each column takes at least its kind byte: a count beyond the bytes left
  // is malformed (and must not size an allocation).
  if (n > r.left()) {
    return r.Bad(
        which, absl::StrCat("claims ", n, " columns in ", r.left(), " bytes"));
  }
  t->clear();
  t->reserve(n);
  for (uint16_t i = 0; i < n; ++i) {
    uint8_t kind = 0;
    const std::string field = absl::StrCat(which, " column ", i);
    RETURN_IF(r.U8(field.c_str(), &kind));
    TupleColumn c;
    switch (kind) {
      case 'n':
        c.kind = TupleColumn::Kind::kNull;
        break;
      case 'u':
        c.kind = TupleColumn::Kind::kUnchangedToast;
        break;
      case 't':
      case 'b': {
        c.kind =
            kind == 't' ? TupleColumn::Kind::kText : TupleColumn::Kind::kBinary;
        int32_t len = 0;
        RETURN_IF(r.I32(field.c_str(), &len));
        if (len < 0) {
          return r.Bad(field, absl::StrCat("has a negative length ", len));
        }
        RETURN_IF(r.Bytes(field.c_str(), static_cast<size_t>(len), &c.value));
        break;
      }
      default:
        return r.Bad(field,
                     absl::StrFormat("has an unknown kind 0x%02x", kind));
    }
    t->push_back(std::move(c));
  }
  return absl::OkStatus();
}

// 'K' or 'O' then a tuple, or 'N' (no old tuple) — for Update and Delete.
absl::Status ReadOldAndNew(Reader& r, bool is_update, char* old_kind,
                           TupleData* old_tuple, TupleData* new_tuple) {
  uint8_t tag = 0;
  RETURN_IF(r.U8("tuple tag", &tag));
  *old_kind = 0;
  if (tag == 'K' || tag == 'O') {
    *old_kind = static_cast<char>(tag);
    RETURN_IF(ReadTuple(r, "old tuple", old_tuple));
    if (!is_update) return absl::OkStatus();
    RETURN_IF(r.U8("new tuple tag", &tag));
  } else if (!is_update) {
    return r.Bad("tuple tag",
                 absl::StrFormat("is 0x%02x, expected 'K' or 'O'", tag));
  }
  if (tag != 'N') {
    return r.Bad("new tuple tag",
                 absl::StrFormat("is 0x%02x, expected 'N'%s", tag,
                                 *old_kind ? "" : ", 'K' or 'O'"));
  }
  return ReadTuple(r, "new tuple", new_tuple);
}

}  // namespace

std::string FormatPgLsn(PgLsn lsn) {
  return absl::StrFormat("%X/%X", static_cast<uint32_t>(lsn >> 32),
                         static_cast<uint32_t>(lsn));
}

absl::StatusOr<PgLsn> ParsePgLsn(std::string_view text) {
  const size_t slash = text.find('/');
  auto hex = [](std::string_view s, uint32_t* v) {
    if (s.empty() || s.size() > 8) return false;
    uint32_t x = 0;
    for (char c : s) {
      int d;
      if (c >= '0' && c <= '9') {
        d = c - '0';
      } else if (c >= 'A' && c <= 'F') {
        d = c - 'A' + 10;
      } else if (c >= 'a' && c <= 'f') {
        d = c - 'a' + 10;
      } else {
        return false;
      }
      x = (x << 4) | static_cast<uint32_t>(d);
    }
    *v = x;
    return true;
  };
  uint32_t hi = 0, lo = 0;
  if (slash == std::string_view::npos || !hex(text.substr(0, slash), &hi) ||
      !hex(text.substr(slash + 1), &lo)) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", std::string(text),
                     "\" is not a PostgreSQL LSN (expected hex/hex, such as "
                     "16/B374D848)"));
  }
  return (uint64_t{hi} << 32) | lo;
}

std::string PgoutputTypeName(char type) {
  const char* name = nullptr;
  switch (type) {
    case 'B':
      name = "Begin";
      break;
    case 'C':
      name = "Commit";
      break;
    case 'O':
      name = "Origin";
      break;
    case 'R':
      name = "Relation";
      break;
    case 'Y':
      name = "Type";
      break;
    case 'I':
      name = "Insert";
      break;
    case 'U':
      name = "Update";
      break;
    case 'D':
      name = "Delete";
      break;
    case 'T':
      name = "Truncate";
      break;
    case 'M':
      name = "Message";
      break;
    case 'w':
      name = "XLogData";
      break;
    case 'k':
      name = "keepalive";
      break;
    default:
      break;
  }
  if (name == nullptr) {
    return absl::StrFormat("of unknown type 0x%02x",
                           static_cast<unsigned char>(type));
  }
  return absl::StrCat(name, " ('", std::string(1, type), "')");
}

absl::StatusOr<Frame> DecodeFrame(std::string_view bytes) {
  if (bytes.empty()) {
    return absl::DataLossError(
        "empty CopyData message in the replication stream");
  }
  const char type = bytes[0];
  Reader r(bytes.substr(1), 0, type);
  if (type == 'w') {
    XLogData x;
    RETURN_IF(r.U64("WAL start", &x.wal_start));
    RETURN_IF(r.U64("WAL end", &x.wal_end));
    RETURN_IF(r.I64("send time", &x.send_time_us));
    x.data = bytes.substr(1 + 24);
    return Frame(x);
  }
  if (type == 'k') {
    Keepalive k;
    uint8_t reply = 0;
    RETURN_IF(r.U64("WAL end", &k.wal_end));
    RETURN_IF(r.I64("send time", &k.send_time_us));
    RETURN_IF(r.U8("reply requested", &reply));
    RETURN_IF(r.End());
    k.reply_requested = reply != 0;
    return Frame(k);
  }
  return absl::DataLossError(absl::StrFormat(
      "replication stream message of unknown type 0x%02x (%d bytes)",
      static_cast<unsigned char>(type), bytes.size()));
}

std::string EncodeStandbyStatus(PgLsn written, PgLsn flushed, PgLsn applied,
                                int64_t now_us, bool reply_requested) {
  std::string out(1 + 8 * 4 + 1, '\0');
  out[0] = 'r';
  auto put = [&out](size_t at, uint64_t v) {
    for (int i = 7; i >= 0; --i, v >>= 8) out[at + i] = static_cast<char>(v);
  };
  put(1, written);
  put(9, flushed);
  put(17, applied);
  put(25, static_cast<uint64_t>(now_us));
  out[33] = reply_requested ? 1 : 0;
  return out;
}

absl::StatusOr<PgoutputMessage> DecodePgoutput(std::string_view bytes,
                                               PgLsn wal_start) {
  if (bytes.empty()) {
    return absl::DataLossError(
        absl::StrCat("empty pgoutput message at WAL ", FormatPgLsn(wal_start)));
  }
  const char type = bytes[0];
  Reader r(bytes.substr(1), wal_start, type);
  switch (type) {
    case 'B': {
      BeginMessage m;
      RETURN_IF(r.U64("final LSN", &m.final_lsn));
      RETURN_IF(r.I64("commit timestamp", &m.commit_time_us));
      RETURN_IF(r.U32("xid", &m.xid));
      RETURN_IF(r.End());
      return PgoutputMessage(m);
    }
    case 'C': {
      CommitMessage m;
      RETURN_IF(r.U8("flags", &m.flags));
      RETURN_IF(r.U64("commit LSN", &m.commit_lsn));
      RETURN_IF(r.U64("end LSN", &m.end_lsn));
      RETURN_IF(r.I64("commit timestamp", &m.commit_time_us));
      RETURN_IF(r.End());
      return PgoutputMessage(m);
    }
    case 'O': {
      OriginMessage m;
      RETURN_IF(r.U64("commit LSN", &m.commit_lsn));
      RETURN_IF(r.CString("origin name", &m.name));
      RETURN_IF(r.End());
      return PgoutputMessage(m);
    }
    case 'R': {
      RelationMessage m;
      uint8_t ident = 0;
      uint16_t n = 0;
      RETURN_IF(r.U32("relation OID", &m.oid));
      RETURN_IF(r.CString("namespace", &m.schema));
      RETURN_IF(r.CString("relation name", &m.name));
      RETURN_IF(r.U8("replica identity", &ident));
      if (ident != 'd' && ident != 'n' && ident != 'f' && ident != 'i') {
        return r.Bad("replica identity",
                     absl::StrFormat("is 0x%02x, not d, n, f or i", ident));
      }
      m.replica_identity = static_cast<char>(ident);
      RETURN_IF(r.U16("column count", &n));
      // A column takes at least 10 bytes (flags, empty name, OID, typmod).
      if (size_t{n} * 10 > r.left()) {
        return r.Bad("column count", absl::StrCat("claims ", n, " columns in ",
                                                  r.left(), " bytes"));
      }
      m.columns.reserve(n);
      for (uint16_t i = 0; i < n; ++i) {
        RelationColumn c;
        uint8_t flags = 0;
        const std::string f = absl::StrCat("column ", i);
        RETURN_IF(r.U8(f.c_str(), &flags));
        RETURN_IF(r.CString(f.c_str(), &c.name));
        RETURN_IF(r.U32(f.c_str(), &c.type_oid));
        RETURN_IF(r.I32(f.c_str(), &c.type_modifier));
        c.key = (flags & 1) != 0;
        m.columns.push_back(std::move(c));
      }
      RETURN_IF(r.End());
      return PgoutputMessage(std::move(m));
    }
    case 'Y': {
      TypeMessage m;
      RETURN_IF(r.U32("type OID", &m.oid));
      RETURN_IF(r.CString("namespace", &m.schema));
      RETURN_IF(r.CString("type name", &m.name));
      RETURN_IF(r.End());
      return PgoutputMessage(std::move(m));
    }
    case 'I': {
      InsertMessage m;
      uint8_t tag = 0;
      RETURN_IF(r.U32("relation OID", &m.relation));
      RETURN_IF(r.U8("tuple tag", &tag));
      if (tag != 'N') {
        return r.Bad("tuple tag",
                     absl::StrFormat("is 0x%02x, expected 'N'", tag));
      }
      RETURN_IF(ReadTuple(r, "new tuple", &m.new_tuple));
      RETURN_IF(r.End());
      return PgoutputMessage(std::move(m));
    }
    case 'U': {
      UpdateMessage m;
      RETURN_IF(r.U32("relation OID", &m.relation));
      RETURN_IF(
          ReadOldAndNew(r, true, &m.old_kind, &m.old_tuple, &m.new_tuple));
      RETURN_IF(r.End());
      return PgoutputMessage(std::move(m));
    }
    case 'D': {
      DeleteMessage m;
      TupleData unused;
      RETURN_IF(r.U32("relation OID", &m.relation));
      RETURN_IF(ReadOldAndNew(r, false, &m.old_kind, &m.old_tuple, &unused));
      RETURN_IF(r.End());
      return PgoutputMessage(std::move(m));
    }
    case 'T': {
      TruncateMessage m;
      uint32_t n = 0;
      RETURN_IF(r.U32("relation count", &n));
      RETURN_IF(r.U8("options", &m.options));
      if (size_t{n} * 4 != r.left()) {
        return r.Bad(
            "relation count",
            absl::StrCat("claims ", n, " relations in ", r.left(), " bytes"));
      }
      m.relations.resize(n);
      for (uint32_t i = 0; i < n; ++i) {
        RETURN_IF(r.U32("relation OID", &m.relations[i]));
      }
      return PgoutputMessage(std::move(m));
    }
    case 'M': {
      LogicalMessage m;
      uint8_t flags = 0;
      uint32_t len = 0;
      RETURN_IF(r.U8("flags", &flags));
      m.transactional = (flags & 1) != 0;
      RETURN_IF(r.U64("message LSN", &m.lsn));
      RETURN_IF(r.CString("prefix", &m.prefix));
      RETURN_IF(r.U32("content length", &len));
      RETURN_IF(r.Bytes("content", len, &m.content));
      RETURN_IF(r.End());
      return PgoutputMessage(std::move(m));
    }
    case 'S':
    case 'E':
    case 'c':
    case 'A':
    case 'b':
    case 'P':
    case 'K':
    case 'r':
    case 'p':
      return absl::UnimplementedError(absl::StrCat(
          "pgoutput message type '", std::string(1, type), "' at WAL ",
          FormatPgLsn(wal_start),
          " belongs to a later protocol version (streamed or two-phase "
          "transactions), which Wayback does not request"));
    default:
      return r.Bad("type byte", "is not a pgoutput message type");
  }
}

#undef RETURN_IF

}  // namespace wayback::postgres
