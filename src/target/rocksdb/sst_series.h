// Copyright 2026 The Wayback Authors.
//
// Writing a RocksDB target's SST files and ingesting them. Staged state and
// snapshot loads reach the database only this way: each writer thread fills
// an SstSeries (files of about sst_file_size bytes, keys strictly
// increasing) in the scratch directory, and SstSink::Ingest() moves the files
// of every series into the database with one IngestExternalFile call, so
// the key ranges of the series must be disjoint and given in increasing
// order.
//
// The writer settings are shared with the replay benchmark, so that its
// "SstFileWriter + ingest" baseline writes exactly as the target does: no
// block compression (a restore writes each byte once, and the user's
// compactions may compress later), 32 KiB blocks (fewer index entries and
// block trailers per byte), no filter, a 4 MiB write buffer, and O_DIRECT
// only if asked for (RocksDBTargetOptions::direct_writes says when that
// pays). The page cache is not invalidated as files are written: with
// buffered writes, dropping the pages costs system time.

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_SST_SERIES_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_SST_SERIES_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "rocksdb/db.h"
#include "rocksdb/env.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_writer.h"
#include "src/target/rocksdb/scratch_dir.h"

namespace wayback::rocksdb_internal {

// Options for a rocksdb::SstFileWriter, derived from the database's options.
rocksdb::Options SstWriterOptions(const rocksdb::Options& db_options);
// Environment options for the writer; O_DIRECT writes if `direct`. Some
// file systems refuse O_DIRECT: open the writer again with direct = false.
rocksdb::EnvOptions SstWriterEnvOptions(bool direct);
// Pass as SstFileWriter's invalidate_page_cache.
inline constexpr bool kSstInvalidatePageCache = false;
// A short description of the above, for benchmark reports.
std::string SstWriterSettingsText(bool direct);

class SstSeries;

// What every SST file of one target is written with, and where it goes.
// Thread-safe: series on several threads share one sink.
class SstSink {
 public:
  // Files for column family `cf` of `db` (both must outlive the sink), of
  // about `file_size` bytes, in `scratch`; O_DIRECT if `direct` until the
  // file system refuses it. `db_path` names the database in errors.
  SstSink(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
          const rocksdb::Options& db_options, uint64_t file_size, bool direct,
          ScratchDir* scratch, std::string db_path);
  SstSink(const SstSink&) = delete;
  SstSink& operator=(const SstSink&) = delete;

  // A new, empty series writing through this sink.
  std::unique_ptr<SstSeries> NewSeries();
  // Ingests the files of `series`, in this order, with one
  // IngestExternalFile call (move_files; no global sequence number written).
  // Call after each series' Close(). Their key ranges must be increasing
  // and disjoint: the callers make sure of it (RocksDB does not refuse
  // overlapping files in one call).
  absl::Status Ingest(const std::vector<std::unique_ptr<SstSeries>>& series);
  // Whether files are still written with O_DIRECT.
  bool direct() const { return direct_.load(); }

 private:
  friend class SstSeries;
  // The error context of an operation: "rocksdb target: <op> in <path>".
  std::string Where(std::string_view op) const;

  rocksdb::DB* const db_;
  rocksdb::ColumnFamilyHandle* const cf_;
  const rocksdb::Options options_;
  const uint64_t file_size_;
  ScratchDir* const scratch_;
  const std::string db_path_;
  // RocksDBTargetOptions::direct_writes, until the file system refuses it.
  std::atomic<bool> direct_;
};

// Sorted pairs and tombstones into a series of SST files. Put() and Delete()
// in strictly increasing key order (else RocksDB's kInvalidArgument), then
// Close(). The files are removed when the series is destroyed, unless
// SstSink::Ingest() moved them into the database (RocksDB then holds its own
// links). Not thread-safe; one series per writer thread.
class SstSeries {
 public:
  explicit SstSeries(SstSink* sink) : sink_(sink) {}
  SstSeries(const SstSeries&) = delete;
  SstSeries& operator=(const SstSeries&) = delete;
  ~SstSeries();

  absl::Status Put(std::string_view key, std::string_view value);
  absl::Status Delete(std::string_view key);
  // Finishes the open file, if any.
  absl::Status Close();
  // The files written, in key order.
  const std::vector<std::string>& files() const { return files_; }

 private:
  // Opens the next file when none is open or the open one is full.
  absl::Status Roll();

  SstSink* const sink_;
  std::unique_ptr<rocksdb::SstFileWriter> writer_;
  std::vector<std::string> files_;
};

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_SST_SERIES_H_
