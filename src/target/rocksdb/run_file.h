// Copyright 2026 The Wayback Authors.
//
// Sorted runs: a staged partition's state, spilled to a scratch file when it
// outgrows its share of the memory bound, and read back in key order when
// the SST files are written. Each entry is
//   flags (1 byte) | key size (fixed32) | value size (fixed32) | key | value
// in strictly increasing key order (rocksdb_target.md, "Scratch files"). A
// sparse index kept in memory (one key per kRunIndexEvery bytes) lets each
// range writer start reading a run near its first key.
//
// Runs are written and read with O_DIRECT where the file system allows it
// (some, such as older kernels' tmpfs, refuse it), through aligned buffers: the
// data is read once, soon, by the same process, so copying it through the page
// cache (fresh pages, each a fault) would be pure cost. Where O_DIRECT is
// refused, at open or at the first I/O, the file goes on buffered.

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_RUN_FILE_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_RUN_FILE_H_

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace wayback::rocksdb_internal {

// Flags of a run entry (and of a staged entry): the key is deleted, hiding
// any older value (in an older run or in the database). No other bit is set.
inline constexpr uint8_t kTombstone = 1;

// Bytes of an entry's header.
inline constexpr size_t kRunHeader = 9;
// Bytes between the entries of the sparse index.
inline constexpr uint64_t kRunIndexEvery = 256 << 10;
// Bytes of each I/O buffer.
inline constexpr size_t kRunBuffer = 1 << 20;
// O_DIRECT alignment of offsets, sizes and buffers.
inline constexpr size_t kRunAlign = 4096;

// A kRunBuffer-byte buffer aligned for O_DIRECT.
struct AlignedFree {
  void operator()(char* p) const { std::free(p); }
};
using RunBuffer = std::unique_ptr<char, AlignedFree>;
// Throws std::bad_alloc if the memory is not there.
RunBuffer NewRunBuffer();

// Opens `path` with O_DIRECT added to `flags` (mode 0600 if created), or
// without it where the file system refuses it (EINVAL); *direct says which.
// Returns the descriptor, or -1 with errno set.
int OpenMaybeDirect(const std::string& path, int flags, bool* direct);
// Clears O_DIRECT on `fd`; false if that fails.
bool DropDirect(int fd);

struct RunIndexEntry {
  std::string key;  // The first key at or after `offset`.
  uint64_t offset;  // Byte offset of that key's entry.
};
// A closed run: its file, the bytes of its entries and its sparse index.
struct Run {
  std::string path;
  uint64_t size = 0;
  uint64_t entries = 0;
  std::vector<RunIndexEntry> index;
};

// Writes a run. Call Open(), then Add() for each entry in increasing key
// order (not checked here; RunReader refuses disorder), then Close(). Errors
// name the file; a short O_DIRECT write is reported as ENOSPC.
class RunWriter {
 public:
  RunWriter() = default;
  RunWriter(const RunWriter&) = delete;
  RunWriter& operator=(const RunWriter&) = delete;
  ~RunWriter();

  // Creates (or truncates) the file at `path`.
  absl::Status Open(std::string path);
  // Appends one entry.
  absl::Status Add(uint8_t flags, std::string_view key, std::string_view value);
  // Writes what is buffered (the last O_DIRECT block zero-padded, then the
  // file cut back to the entries' end) and closes the file.
  absl::StatusOr<Run> Close();

 private:
  // Copies into the buffer, writing it out whenever it is full (so that
  // every write but the last is kRunBuffer bytes at an aligned offset).
  absl::Status Append(const char* p, size_t n);
  absl::Status Write(size_t n);

  int fd_ = -1;
  bool direct_ = false;
  Run run_;
  RunBuffer buf_;
  size_t used_ = 0;
  uint64_t next_index_at_ = 0;
};

// Reads a run in key order from a start key on. States: unpositioned, then
// SeekTo() positions it; each Next() sets *has and, if true, key(), value()
// and flags() describe the entry until the next call; once *has is false it
// stays false. A malformed run (a header or entry cut short, sizes past the
// file's recorded size, unknown flags, keys not strictly increasing) is
// kDataLoss naming the file and the byte offset; I/O errors are returned as
// they come (never as the end of the run).
class RunReader {
 public:
  // `run` must outlive the reader.
  explicit RunReader(const Run* run);
  RunReader(const RunReader&) = delete;
  RunReader& operator=(const RunReader&) = delete;
  ~RunReader();

  // Opens the file and positions the reader so that Next() returns the
  // first entry whose key is >= start.
  absl::Status SeekTo(std::string_view start);
  absl::Status Next(bool* has);
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  uint8_t flags() const { return flags_; }

 private:
  absl::Status Read(bool* has);
  // Makes `need` bytes available at pos_ (moving the unread tail to the
  // front, which invalidates key_/value_), or sets *eof.
  absl::Status Fill(uint64_t need, bool* eof);
  // Copies up to `n` bytes of the file from `off` on into `dst`; 0 at its
  // end. With O_DIRECT, through an aligned window of the file.
  absl::StatusOr<size_t> ReadAt(uint64_t off, char* dst, size_t n);
  absl::Status Damaged(std::string_view why) const;

  const Run* run_;
  int fd_ = -1;
  bool direct_ = false;
  RunBuffer win_;  // O_DIRECT: file bytes [win_off_, win_off_ + win_len_).
  uint64_t win_off_ = 0;
  size_t win_len_ = 0;
  std::string buf_;
  uint64_t file_off_ = 0;  // File offset of buf_[0].
  size_t pos_ = 0, end_ = 0;
  std::string_view key_, value_;
  uint8_t flags_ = 0;
  std::string prev_key_;
  bool have_prev_ = false;
  bool pending_ = false;
  bool at_end_ = false;
};

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_RUN_FILE_H_
