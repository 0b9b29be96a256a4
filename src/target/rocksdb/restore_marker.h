// Copyright 2026 The Wayback Authors.
//
// The restore marker a RocksDB target keeps: where it lives in the database
// and its JSON encoding (format 1, specified in rocksdb_target.md, frozen).

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_RESTORE_MARKER_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_RESTORE_MARKER_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "wayback/state_target.h"

namespace wayback::rocksdb_internal {

// The column family that holds the marker, and its one key.
inline constexpr char kMarkerColumnFamily[] = "wayback";
inline constexpr char kMarkerKey[] = "restore_marker";

// The marker as a JSON object, format 1. Strings that are not valid UTF-8
// are stored with U+FFFD replacements (JSON cannot carry them).
std::string EncodeMarker(const RestoreMarker& marker);

// Parses EncodeMarker()'s output. kDataLoss, naming `where` (the database
// path), if it is not a JSON object, has another format, or lacks a field or
// has one of the wrong type (a timeline above 2^32-1 included).
absl::StatusOr<RestoreMarker> DecodeMarker(std::string_view bytes,
                                           std::string_view where);

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_RESTORE_MARKER_H_
