// Copyright 2026 The Wayback Authors.
//
// How the RocksDB target writes SST files, shared with the replay benchmark
// so that its "SstFileWriter + ingest" baseline writes with exactly the same
// settings (issue 7 compares the two).

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_SST_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_SST_H_

#include <string>

#include "rocksdb/env.h"
#include "rocksdb/options.h"

namespace wayback::internal {

// Options for a rocksdb::SstFileWriter, derived from the database's options:
// no block compression (a restore writes each byte once and the user's
// compactions may compress later; Snappy was 11-23% of a staged restore's
// CPU), 32 KiB blocks (fewer index entries and block trailers per byte), no
// filter.
rocksdb::Options SstWriterOptions(const rocksdb::Options& db_options);
// Environment options for the writer: 4 MiB write buffer, and O_DIRECT
// writes if `direct` (RocksDBTargetOptions::direct_writes says when that
// pays). Some file systems (tmpfs) refuse O_DIRECT: open the writer again
// with direct = false.
rocksdb::EnvOptions SstWriterEnvOptions(bool direct);
// Pass as SstFileWriter's invalidate_page_cache: false (with buffered
// writes, dropping the pages as they are written costs system time).
inline constexpr bool kSstInvalidatePageCache = false;
// A short description of the above, for benchmark reports.
std::string SstWriterSettingsText(bool direct);

}  // namespace wayback::internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_SST_H_
