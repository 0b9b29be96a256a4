// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/rocksdb_status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "src/util/errors.h"

namespace wayback::rocksdb_internal {

absl::StatusCode RocksDBStatusCode(const rocksdb::Status& s) {
  if (s.ok()) return absl::StatusCode::kOk;
  if (s.IsCorruption()) return absl::StatusCode::kDataLoss;
  if (s.IsNotFound()) return absl::StatusCode::kNotFound;
  if (s.IsInvalidArgument()) return absl::StatusCode::kInvalidArgument;
  if (s.IsNotSupported()) return absl::StatusCode::kUnimplemented;
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete()) {
    return absl::StatusCode::kUnavailable;
  }
  return absl::StatusCode::kInternal;
}

absl::Status FromRocksDB(const rocksdb::Status& s, std::string_view context) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(RocksDBStatusCode(s),
                      absl::StrCat(AV(context), ": ", s.ToString()));
}

std::string TargetContext(std::string_view op, std::string_view db_path) {
  return absl::StrCat("rocksdb target: ", AV(op), " in ", AV(db_path));
}

}  // namespace wayback::rocksdb_internal
