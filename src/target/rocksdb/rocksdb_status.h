// Copyright 2026 The Wayback Authors.
//
// The one conversion of rocksdb::Status into absl::Status, used wherever
// Wayback calls RocksDB (the target, the snapshot writer, the benchmarks).
//
// The mapping follows the error vocabulary of wayback/status.h:
//
//   RocksDB                                   absl
//   ok                                        kOk
//   Corruption                                kDataLoss (the data is bad)
//   NotFound (incl. PathNotFound)             kNotFound
//   InvalidArgument                           kInvalidArgument
//   NotSupported                              kUnimplemented
//   Busy, TimedOut, TryAgain, Incomplete      kUnavailable (retrying may work)
//   IOError (EIO, NoSpace, ...) and the rest  kInternal
//
// I/O errors are not kUnavailable: RocksDB reports a failed read or write of
// its own files as IOError whether or not the cause is transient (a full
// disk, a dead device), and a caller that retries an operation on a
// database whose background work already failed would loop. RocksDB's own
// "retry this" outcomes are the Busy family above.

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_ROCKSDB_STATUS_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_ROCKSDB_STATUS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "rocksdb/status.h"

namespace wayback::rocksdb_internal {

// The absl code `s` maps to (see the table above); kOk for an ok status.
absl::StatusCode RocksDBStatusCode(const rocksdb::Status& s);

// `s` as an absl::Status with that code and the message
// "<context>: <s.ToString()>"; OkStatus() if s is ok. `context` names the
// operation and the object (e.g. "rocksdb target: flush in /restore/db").
absl::Status FromRocksDB(const rocksdb::Status& s, std::string_view context);

// The context of the RocksDB target's errors: "rocksdb target: <op> in
// <path>".
std::string TargetContext(std::string_view op, std::string_view db_path);

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_ROCKSDB_STATUS_H_
