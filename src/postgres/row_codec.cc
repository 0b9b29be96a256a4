// Copyright 2026 The Wayback Authors.
//
// The keys and values of captured PostgreSQL tables (include/wayback/
// postgres.h, docs/postgres.md). The string encoding is the usual
// order-preserving one (FoundationDB's tuple layer, CockroachDB's bytes
// keys): escaping 0x00 as 0x00 0xFF and ending with 0x00 0x01 makes a
// string's end sort before any continuation, so tuples compare as their
// components do.

#include <string>

#include "src/util/coding.h"
#include "wayback/postgres.h"

namespace wayback {
namespace {

constexpr char kRowTag = 'r';
constexpr char kRelationTag = 'm';
constexpr char kRowFormat = 0x01;

void PutOrdered(std::string* out, std::string_view s) {
  for (char c : s) {
    out->push_back(c);
    if (c == '\0') out->push_back('\xff');
  }
  out->push_back('\0');
  out->push_back('\x01');
}

bool GetOrdered(std::string_view* in, std::string* s) {
  s->clear();
  while (!in->empty()) {
    const char c = in->front();
    in->remove_prefix(1);
    if (c != '\0') {
      s->push_back(c);
      continue;
    }
    if (in->empty()) return false;
    const char next = in->front();
    in->remove_prefix(1);
    if (next == '\x01') return true;
    if (next != '\xff') return false;
    s->push_back('\0');
  }
  return false;
}

}  // namespace

std::string PostgresTablePrefix(std::string_view schema,
                                std::string_view table) {
  std::string k(1, kRowTag);
  PutOrdered(&k, schema);
  PutOrdered(&k, table);
  return k;
}

std::string PostgresRowKey(std::string_view schema, std::string_view table,
                           const std::vector<std::string>& key_values) {
  std::string k = PostgresTablePrefix(schema, table);
  for (const std::string& v : key_values) PutOrdered(&k, v);
  return k;
}

std::string PostgresRelationKey(std::string_view schema,
                                std::string_view table) {
  std::string k(1, kRelationTag);
  PutOrdered(&k, schema);
  PutOrdered(&k, table);
  return k;
}

absl::StatusOr<PostgresKey> DecodePostgresKey(std::string_view key) {
  PostgresKey out;
  auto bad = [&] {
    return absl::InvalidArgumentError(
        "not the key of a captured PostgreSQL row or relation");
  };
  if (key.empty()) return bad();
  const char tag = key.front();
  if (tag != kRowTag && tag != kRelationTag) return bad();
  key.remove_prefix(1);
  out.kind =
      tag == kRowTag ? PostgresKey::Kind::kRow : PostgresKey::Kind::kRelation;
  if (!GetOrdered(&key, &out.schema) || !GetOrdered(&key, &out.table)) {
    return bad();
  }
  while (!key.empty()) {
    if (tag == kRelationTag) return bad();
    std::string v;
    if (!GetOrdered(&key, &v)) return bad();
    out.key_values.push_back(std::move(v));
  }
  if (tag == kRowTag && out.key_values.empty()) return bad();
  return out;
}

std::string EncodePostgresRow(const PostgresRow& row) {
  std::string v(1, kRowFormat);
  PutVarint64(&v, row.size());
  for (const std::optional<std::string>& c : row) {
    if (!c) {
      v.push_back('\0');
    } else {
      v.push_back('\x01');
      PutLengthPrefixed(&v, *c);
    }
  }
  return v;
}

absl::StatusOr<PostgresRow> DecodePostgresRow(std::string_view value) {
  const std::string_view whole = value;
  auto bad = [](const char* what) {
    return absl::InvalidArgumentError(
        std::string("not a captured PostgreSQL row: ") + what);
  };
  if (value.empty() || value.front() != kRowFormat) {
    return bad("unknown format byte");
  }
  value.remove_prefix(1);
  uint64_t n = 0;
  if (!GetVarint64(&value, &n)) return bad("bad column count");
  if (n > value.size()) return bad("column count beyond the value");
  PostgresRow row;
  row.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    if (value.empty()) return bad("truncated");
    const char tag = value.front();
    value.remove_prefix(1);
    if (tag == '\0') {
      row.push_back(std::nullopt);
    } else if (tag == '\x01') {
      std::string_view s;
      if (!GetLengthPrefixed(&value, &s)) return bad("bad column length");
      row.push_back(std::string(s));
    } else {
      return bad("bad column tag");
    }
  }
  if (!value.empty()) return bad("bytes after the last column");
  // One row, one value: a length written in more bytes than needed is not
  // what the encoder writes.
  if (EncodePostgresRow(row) != whole) return bad("a non-minimal varint");
  return row;
}

}  // namespace wayback
