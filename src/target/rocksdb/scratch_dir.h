// Copyright 2026 The Wayback Authors.
//
// A RocksDB target's scratch directory, PATH/wayback-staging: SST files
// waiting for ingestion and spilled runs. It sits inside the database
// directory so that ingestion can hard-link (move) the files; RocksDB
// ignores names it did not create. Whatever it holds when a target opens is
// the garbage of an interrupted restore.

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_SCRATCH_DIR_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_SCRATCH_DIR_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace wayback::rocksdb_internal {

// The directory's name inside the database directory.
inline constexpr char kScratchDirName[] = "wayback-staging";

class ScratchDir {
 public:
  explicit ScratchDir(std::string_view db_path);
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // Creates the directory (and its parents) if missing.
  absl::Status Create() const;
  // Removes the directory and everything in it; errors are ignored (what
  // is left is removed on the next open).
  void Remove() const;
  // A path in the directory, "<path>/<n><suffix>", n counting from 0 over
  // every call on this object. Thread-safe.
  std::string NewFile(std::string_view suffix);

 private:
  const std::string path_;
  std::atomic<uint64_t> next_{0};
};

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_SCRATCH_DIR_H_
