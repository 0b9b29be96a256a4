// Copyright 2026 The Wayback Authors.
//
// Fuzz target: the PostgreSQL replication stream and pgoutput decoders, and
// the decoders of captured keys and rows. Any bytes give a value or an
// error, never a crash or a read out of bounds; a refused message is
// kDataLoss (kUnimplemented for the message types of later protocol
// versions); an accepted key or row encodes back to the same bytes.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "src/postgres/protocol.h"
#include "wayback/postgres.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  using namespace wayback;
  auto frame = postgres::DecodeFrame(in);
  if (!frame.ok() && frame.status().code() != absl::StatusCode::kDataLoss) {
    __builtin_trap();
  }
  auto m = postgres::DecodePgoutput(in, 0x1234);
  if (!m.ok() && m.status().code() != absl::StatusCode::kDataLoss &&
      m.status().code() != absl::StatusCode::kUnimplemented) {
    __builtin_trap();
  }
  auto row = DecodePostgresRow(in);
  if (row.ok() && EncodePostgresRow(*row) != in) __builtin_trap();
  auto key = DecodePostgresKey(in);
  if (key.ok()) {
    const std::string again =
        key->kind == PostgresKey::Kind::kRow
            ? PostgresRowKey(key->schema, key->table, key->key_values)
            : PostgresRelationKey(key->schema, key->table);
    if (again != in) __builtin_trap();
  }
  return 0;
}
