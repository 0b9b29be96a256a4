// Copyright 2026 The Wayback Authors.
//
// The RocksDB target (layout and write order: rocksdb_target.md). The
// default column family holds exactly the application's pairs; the restore
// marker lives in the column family "wayback", so `ldb --db=PATH scan` shows
// the user's data and nothing else.
//
// Two apply paths:
//  - direct: mutations go into a WriteBatch, written with the WAL disabled
//    every transactions_per_batch transactions. Simple, but every
//    intermediate write pays RocksDB's memtable insert.
//  - staged (stage_in_memory): only the final value of each key reaches
//    RocksDB. The replayed state accumulates in a hash map per key partition
//    (one apply thread each; tombstones for deletes only when something
//    older may hold the key). A partition that outgrows its share of
//    stage_memory_limit is sorted and written to a scratch "run" file. At
//    Finish() (or before any read of the database) the key space is cut into
//    ranges, each partition's entries are grouped by range, and a pool of
//    threads sorts each range and writes it as uncompressed SST files from a
//    merge of the partitions' entries and runs (WriteStaged()). The ranges do
//    not overlap, so one IngestExternalFile call moves every file in. The state
//    digest is folded from those sorted streams as they are written, so
//    Restore()'s Digest() costs nothing instead of a full scan.
// Snapshot loads write SST files straight from the snapshot's blocks (the
// pairs are sorted already), one thread per contiguous range of blocks,
// hashing as they go; the digest is checked against the footer before the
// one ingestion.
// Either way Finish() flushes the memtables before it records the marker
// complete=true with a synced write, so a crash at any point leaves a marker
// that says "incomplete" or a database that is complete.

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/table.h"
#include "rocksdb/write_batch.h"
#include "src/snapshot/snapshot_file.h"
#include "src/target/packed_table.h"
#include "src/target/rocksdb_sst.h"
#include "src/util/coding.h"
#include "src/util/errors.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

constexpr char kMarkerColumnFamily[] = "wayback";
constexpr char kMarkerKey[] = "restore_marker";
// Scratch directory for SST files before ingestion, inside the database
// directory so that ingestion can hard-link (move) them. RocksDB ignores
// names it did not create.
constexpr char kStagingDir[] = "wayback-staging";

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view ToView(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

// Converts a rocksdb::Status at the edge. `what` names the operation and the
// database path.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg =
      absl::StrCat("rocksdb target: ", AV(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsNotSupported()) return absl::UnimplementedError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete()) {
    return absl::UnavailableError(msg);
  }
  if (s.IsIOError() && (s.IsNoSpace() || s.IsPathNotFound())) {
    return absl::InternalError(msg);
  }
  // Other I/O errors (EIO and the like) are not known to be retryable.
  return absl::InternalError(msg);
}

std::string EncodeMarker(const RestoreMarker& m) {
  nlohmann::json j = {
      {"format", 1},
      {"repository", m.repository},
      {"target", m.target},
      {"timeline", m.timeline},
      {"last_applied_lsn", m.last_applied_lsn},
      {"last_applied_commit_time", m.last_applied_commit_time},
      {"complete", m.complete},
  };
  // JSON cannot carry bytes that are not UTF-8: replace them rather than
  // throw (see rocksdb_target.md).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<RestoreMarker> DecodeMarker(std::string_view bytes,
                                           std::string_view where) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr,
                                           /*allow_exceptions=*/false);
  auto bad = [&](std::string_view why) {
    return absl::DataLossError(absl::StrCat(
        "rocksdb target: restore marker in ", AV(where), ": ", AV(why)));
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("format") || !j["format"].is_number_integer() ||
      j["format"].get<int64_t>() != 1) {
    return bad("unknown format");
  }
  RestoreMarker m;
  auto str = [&](const char* k, std::string* out) {
    if (!j.contains(k) || !j[k].is_string()) return false;
    *out = j[k].get<std::string>();
    return true;
  };
  auto uint = [&](const char* k, uint64_t* out) {
    if (!j.contains(k) || !j[k].is_number_unsigned()) return false;
    *out = j[k].get<uint64_t>();
    return true;
  };
  uint64_t timeline = 0, lsn = 0;
  if (!str("repository", &m.repository) || !str("target", &m.target) ||
      !uint("timeline", &timeline) || timeline > UINT32_MAX ||
      !uint("last_applied_lsn", &lsn) ||
      !j.contains("last_applied_commit_time") ||
      !j["last_applied_commit_time"].is_number_integer() ||
      !j.contains("complete") || !j["complete"].is_boolean()) {
    return bad("missing or mistyped field");
  }
  m.timeline = static_cast<TimelineId>(timeline);
  m.last_applied_lsn = lsn;
  m.last_applied_commit_time = j["last_applied_commit_time"].get<int64_t>();
  m.complete = j["complete"].get<bool>();
  return m;
}

using internal::Entry;
using internal::Table;
// Entry::flags of a tombstone: the key is deleted, hiding any older value (in
// an older run or in RocksDB).
constexpr uint8_t kTombstone = 1;

// ---------------------------------------------------------------------------
// Sorted runs: a partition's staged state, spilled to a scratch file when it
// outgrows its share of stage_memory_limit. Each entry is
//   flags (1 byte) | key size (fixed32) | value size (fixed32) | key | value
// in key order. A sparse in-memory index (one key per kRunIndexEvery bytes)
// lets each range writer start reading a run near its first key.
//
// Runs are written and read with O_DIRECT where the file system allows it
// (not tmpfs), through aligned 1 MiB buffers: copying gigabytes of runs into
// the page cache (fresh pages, each a fault) was 25 % of the CPU of a
// restore that spilled, and the data is read once, soon, by the same
// process.
constexpr size_t kRunHeader = 9;
constexpr uint64_t kRunIndexEvery = 256 << 10;
constexpr size_t kRunBuffer = 1 << 20;
constexpr size_t kRunAlign = 4096;  // O_DIRECT offsets, sizes and buffers.

// A kRunBuffer-byte buffer aligned for O_DIRECT.
struct AlignedFree {
  void operator()(char* p) const { std::free(p); }
};
using RunBuffer = std::unique_ptr<char, AlignedFree>;
RunBuffer NewRunBuffer() {
  char* p = static_cast<char*>(std::aligned_alloc(kRunAlign, kRunBuffer));
  if (p == nullptr) throw std::bad_alloc();
  return RunBuffer(p);
}

// Clears O_DIRECT on `fd`; false if that fails.
bool DropDirect(int fd) {
  const int flags = ::fcntl(fd, F_GETFL);
  return flags >= 0 && ::fcntl(fd, F_SETFL, flags & ~O_DIRECT) == 0;
}

// Opens `path` with O_DIRECT added to `flags`, or without it where the file
// system refuses it (EINVAL); *direct says which.
int OpenMaybeDirect(const std::string& path, int flags, bool* direct) {
  int fd = ::open(path.c_str(), flags | O_DIRECT, 0600);
  *direct = fd >= 0;
  if (fd < 0 && errno == EINVAL) fd = ::open(path.c_str(), flags, 0600);
  return fd;
}

struct RunIndexEntry {
  std::string key;
  uint64_t offset;
};
struct Run {
  std::string path;
  uint64_t size = 0;
  uint64_t entries = 0;
  std::vector<RunIndexEntry> index;
};

class RunWriter {
 public:
  ~RunWriter() {
    if (fd_ >= 0) ::close(fd_);
  }
  absl::Status Open(std::string path) {
    run_.path = std::move(path);
    fd_ = OpenMaybeDirect(run_.path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                          &direct_);
    if (fd_ < 0) return IoError("create run", run_.path, errno);
    buf_ = NewRunBuffer();
    return absl::OkStatus();
  }
  absl::Status Add(uint8_t flags, std::string_view key,
                   std::string_view value) {
    if (run_.size >= next_index_at_) {
      run_.index.push_back({std::string(key), run_.size});
      next_index_at_ = run_.size + kRunIndexEvery;
    }
    char h[kRunHeader];
    h[0] = static_cast<char>(flags);
    EncodeFixed32(h + 1, static_cast<uint32_t>(key.size()));
    EncodeFixed32(h + 5, static_cast<uint32_t>(value.size()));
    WAYBACK_RETURN_IF_ERROR(Append(h, kRunHeader));
    WAYBACK_RETURN_IF_ERROR(Append(key.data(), key.size()));
    WAYBACK_RETURN_IF_ERROR(Append(value.data(), value.size()));
    run_.size += kRunHeader + key.size() + value.size();
    ++run_.entries;
    return absl::OkStatus();
  }
  absl::StatusOr<Run> Close() {
    if (used_ > 0) {
      // O_DIRECT writes whole aligned blocks: pad the tail with zeros, then
      // cut the file back to the entries' end.
      const size_t n =
          direct_ ? (used_ + kRunAlign - 1) / kRunAlign * kRunAlign : used_;
      const bool padded = n != used_;
      std::memset(buf_.get() + used_, 0, n - used_);
      WAYBACK_RETURN_IF_ERROR(Write(n));
      if (padded && ::ftruncate(fd_, static_cast<off_t>(run_.size)) != 0) {
        return IoError("truncate run", run_.path, errno);
      }
    }
    const int fd = fd_;
    fd_ = -1;
    if (::close(fd) != 0) return IoError("close run", run_.path, errno);
    return std::move(run_);
  }

 private:
  // Copies into the buffer, writing it out whenever it is full (so that
  // every write but the last is kRunBuffer bytes at an aligned offset).
  absl::Status Append(const char* p, size_t n) {
    while (n > 0) {
      const size_t k = std::min(n, kRunBuffer - used_);
      std::memcpy(buf_.get() + used_, p, k);
      used_ += k;
      p += k;
      n -= k;
      if (used_ == kRunBuffer) WAYBACK_RETURN_IF_ERROR(Write(kRunBuffer));
    }
    return absl::OkStatus();
  }
  absl::Status Write(size_t n) {
    size_t done = 0;
    while (done < n) {
      ssize_t w = ::write(fd_, buf_.get() + done, n - done);
      if (w < 0 && errno == EINTR) continue;
      if (w < 0 && errno == EINVAL && direct_ && done == 0 && DropDirect(fd_)) {
        // Accepted at open, refused at the first write (some file systems):
        // buffered from here on.
        direct_ = false;
        continue;
      }
      if (w < 0) return IoError("write run", run_.path, errno);
      if (w == 0 || (direct_ && static_cast<size_t>(w) % kRunAlign != 0)) {
        // A short O_DIRECT write leaves the next one unaligned: the disk is
        // most likely full.
        return IoError("write run", run_.path, w == 0 ? EIO : ENOSPC);
      }
      done += static_cast<size_t>(w);
    }
    used_ = 0;
    return absl::OkStatus();
  }

  int fd_ = -1;
  bool direct_ = false;
  Run run_;
  RunBuffer buf_;
  size_t used_ = 0;
  uint64_t next_index_at_ = 0;
};

class RunReader {
 public:
  explicit RunReader(const Run* run) : run_(run) {}
  ~RunReader() {
    if (fd_ >= 0) ::close(fd_);
  }
  // Positions the reader so that Next() returns the first entry whose key
  // is >= start.
  absl::Status SeekTo(std::string_view start) {
    fd_ = OpenMaybeDirect(run_->path, O_RDONLY | O_CLOEXEC, &direct_);
    if (fd_ < 0) return IoError("open run", run_->path, errno);
    auto it = std::upper_bound(
        run_->index.begin(), run_->index.end(), start,
        [](std::string_view k, const RunIndexEntry& e) { return k < e.key; });
    file_off_ = it == run_->index.begin() ? 0 : std::prev(it)->offset;
    pos_ = end_ = 0;
    bool has = false;
    for (;;) {
      WAYBACK_RETURN_IF_ERROR(Read(&has));
      if (!has || key_ >= start) break;
    }
    pending_ = has;
    at_end_ = !has;
    return absl::OkStatus();
  }
  absl::Status Next(bool* has) {
    if (pending_) {
      pending_ = false;
      *has = true;
      return absl::OkStatus();
    }
    if (at_end_) {
      *has = false;
      return absl::OkStatus();
    }
    WAYBACK_RETURN_IF_ERROR(Read(has));
    at_end_ = !*has;
    return absl::OkStatus();
  }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  uint8_t flags() const { return flags_; }

 private:
  absl::Status Read(bool* has) {
    bool eof = false;
    WAYBACK_RETURN_IF_ERROR(Fill(kRunHeader, &eof));
    if (eof && end_ == pos_) {
      *has = false;
      return absl::OkStatus();
    }
    if (eof) return Damaged("entry header cut short");
    const char* h = buf_.data() + pos_;
    const uint8_t flags = static_cast<uint8_t>(h[0]);
    const uint32_t ks = DecodeFixed32(h + 1), vs = DecodeFixed32(h + 5);
    const uint64_t need = kRunHeader + uint64_t{ks} + vs;
    if ((flags & ~kTombstone) != 0 || file_off_ + pos_ + need > run_->size) {
      return Damaged("malformed entry header");
    }
    WAYBACK_RETURN_IF_ERROR(Fill(need, &eof));
    if (eof) return Damaged("entry cut short");
    const char* p = buf_.data() + pos_ + kRunHeader;
    std::string_view key(p, ks);
    if (have_prev_ && !(prev_key_ < key)) return Damaged("keys out of order");
    flags_ = flags;
    key_ = key;
    value_ = std::string_view(p + ks, vs);
    prev_key_.assign(key_.data(), key_.size());
    have_prev_ = true;
    pos_ += need;
    *has = true;
    return absl::OkStatus();
  }
  // Makes `need` bytes available at pos_ (moving the unread tail to the
  // front, which invalidates key_/value_), or sets *eof.
  absl::Status Fill(uint64_t need, bool* eof) {
    *eof = false;
    if (end_ - pos_ >= need) return absl::OkStatus();
    std::memmove(buf_.data(), buf_.data() + pos_, end_ - pos_);
    file_off_ += pos_;
    end_ -= pos_;
    pos_ = 0;
    if (buf_.size() < std::max<uint64_t>(need, kRunBuffer)) {
      buf_.resize(std::max<uint64_t>(need, kRunBuffer));
    }
    while (end_ < need) {
      WAYBACK_ASSIGN_OR_RETURN(
          size_t n,
          ReadAt(file_off_ + end_, buf_.data() + end_, buf_.size() - end_));
      if (n == 0) {
        *eof = true;
        return absl::OkStatus();
      }
      end_ += n;
    }
    return absl::OkStatus();
  }
  // Copies up to `n` bytes of the file from `off` on into `dst`; 0 at its
  // end. With O_DIRECT, through an aligned window of the file.
  absl::StatusOr<size_t> ReadAt(uint64_t off, char* dst, size_t n) {
    if (!direct_) {
      for (;;) {
        ssize_t r = ::pread(fd_, dst, n, static_cast<off_t>(off));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return IoError("read run", run_->path, errno);
        return static_cast<size_t>(r);
      }
    }
    if (off < win_off_ || off >= win_off_ + win_len_) {
      if (win_ == nullptr) win_ = NewRunBuffer();
      win_off_ = off / kRunAlign * kRunAlign;
      win_len_ = 0;
      for (;;) {
        ssize_t r =
            ::pread(fd_, win_.get(), kRunBuffer, static_cast<off_t>(win_off_));
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && errno == EINVAL && DropDirect(fd_)) {
          // Accepted at open, refused at the read: buffered from here on.
          direct_ = false;
          return ReadAt(off, dst, n);
        }
        if (r < 0) return IoError("read run", run_->path, errno);
        win_len_ = static_cast<size_t>(r);
        break;
      }
      if (off >= win_off_ + win_len_) return size_t{0};
    }
    const size_t k = std::min<uint64_t>(n, win_off_ + win_len_ - off);
    std::memcpy(dst, win_.get() + (off - win_off_), k);
    return k;
  }
  absl::Status Damaged(std::string_view why) const {
    return absl::DataLossError(absl::StrCat("rocksdb target: scratch run ",
                                            run_->path, " at byte ",
                                            file_off_ + pos_, ": ", AV(why)));
  }

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

// Sorting entries by key: std::sort over Entry pointers compares through two
// pointers per comparison, a cache miss each on a table of 350 k entries
// (0.8 s of a 1 M-mutation restore). Instead, sort 40-byte big-endian slices
// of the keys held inline (five 8-byte chunks), one slice position at a
// time (most significant first): each level touches each entry once, and
// only groups whose keys agree so far descend to the next slice. The first
// slice starts after the prefix every staged key shares (tracked as keys are
// staged, so it costs no pass over the entries), so that keys of up to 40
// bytes past it sort in one level: each level is a cache miss per entry on
// a state of gigabytes. On the clinical workload ("patient/000" shared,
// "012345/encounter/0001/observation/0001" past it) the finish of a
// 5 M-mutation restore took 3.35-3.62 CPU seconds with 40-byte slices after
// the prefix, 3.61-4.09 with 24-byte slices (two levels for most keys; three
// runs each, alternated).
constexpr size_t kSliceBytes = 40;
constexpr int kChunks = kSliceBytes / 8;
struct SortItem {
  uint64_t chunk[kChunks];  // Key bytes [from, from + 40), big-endian,
                            // 0-padded.
  uint32_t rest;   // Key bytes from `from` on, capped at 41 (41: continues
                   // past the slice).
  uint32_t range;  // WriteStaged(): the key range of the entry.
  const Entry* e;
};

inline uint64_t BigEndian64(const unsigned char* b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

// Loads the slice of `key` that starts at byte `from`.
void LoadSlice(std::string_view key, size_t from, SortItem* it) {
  const size_t left = key.size() > from ? key.size() - from : 0;
  const size_t n = std::min(kSliceBytes, left);
  unsigned char b[kSliceBytes] = {};
  if (n > 0) std::memcpy(b, key.data() + from, n);
  for (int i = 0; i < kChunks; ++i) it->chunk[i] = BigEndian64(b + 8 * i);
  it->rest = static_cast<uint32_t>(std::min(kSliceBytes + 1, left));
}

// Compares the loaded slices: <0, 0 or >0. Equal slices: a key that ends
// within them (rest <= 40) is a prefix of one that continues, so shorter
// sorts first; equal slices with rest 41 say nothing about the bytes after.
inline int CompareSlices(const SortItem& a, const SortItem& b) {
  for (int i = 0; i < kChunks; ++i) {
    if (a.chunk[i] != b.chunk[i]) return a.chunk[i] < b.chunk[i] ? -1 : 1;
  }
  if (a.rest != b.rest) return a.rest < b.rest ? -1 : 1;
  return 0;
}

void SortItems(SortItem* begin, SortItem* end, size_t from);

// Sorts items whose slice at `from` is loaded.
void SortLoaded(SortItem* begin, SortItem* end, size_t from) {
  std::sort(begin, end, [](const SortItem& a, const SortItem& b) {
    return CompareSlices(a, b) < 0;
  });
  for (SortItem* g = begin; g != end;) {
    SortItem* h = g + 1;
    while (h != end && CompareSlices(*h, *g) == 0) ++h;
    if (h - g > 1 && g->rest == kSliceBytes + 1) {
      SortItems(g, h, from + kSliceBytes);
    }
    g = h;
  }
}

// Loads the slices at `from`, then sorts.
void SortItems(SortItem* begin, SortItem* end, size_t from) {
  // The loads are independent cache misses (entries are scattered):
  // prefetch a few items ahead so that they overlap.
  constexpr ptrdiff_t kAhead = 12;
  for (SortItem* it = begin; it != end; ++it) {
    if (end - it > kAhead) {
      __builtin_prefetch((it + kAhead)->e->data() + from);
    }
    LoadSlice(it->e->key(), from, it);
  }
  SortLoaded(begin, end, from);
}

// The table's entries in key order; every key starts with `common` bytes
// that are the same for all.
std::vector<SortItem> SortedEntries(const Table& table, size_t common) {
  std::vector<SortItem> items;
  items.reserve(table.size());
  for (const Entry* e : table) items.push_back({{}, 0, 0, e});
  SortItems(items.data(), items.data() + items.size(), common);
  return items;
}

// The table's entries grouped by the 4 MiB block of the address space they
// are in (a counting sort on address bits 22-33). A pass that reads every
// entry once goes faster in this order than in the table's (hash) order: the
// entries are scattered over gigabytes of 4 KiB pages, and in hash order
// nearly every read also missed the TLB, whose page walk held up the
// prefetches behind it. Within a block the order stays the table's. The
// grouping pass of WriteStaged() on a 5 M-mutation restore (3.5 M entries,
// 2.4 GB) took 0.18-0.19 s in this order, 0.26-0.35 s in hash order.
std::vector<const Entry*> ByAddress(const Table& table) {
  constexpr int kShift = 22;
  constexpr size_t kBlocks = 4096;
  auto block = [](const Entry* e) {
    return (reinterpret_cast<uintptr_t>(e) >> kShift) % kBlocks;
  };
  std::vector<uint32_t> start(kBlocks + 1, 0);
  for (const Entry* e : table) ++start[block(e) + 1];
  for (size_t b = 0; b < kBlocks; ++b) start[b + 1] += start[b];
  std::vector<const Entry*> out(table.size());
  for (const Entry* e : table) out[start[block(e)]++] = e;
  return out;
}

// Bytes at the start of `a` and `b` that are equal.
size_t CommonPrefix(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

// One input of a range merge: a slice of a partition's sorted entries, or a
// run read from its start key up to (not including) the range's end.
class MergeSource {
 public:
  MergeSource(const SortItem* begin, const SortItem* end)
      : it_(begin), end_(end) {}
  MergeSource(std::unique_ptr<RunReader> run, std::optional<std::string> limit)
      : run_(std::move(run)), limit_(std::move(limit)) {}

  absl::Status Advance() {
    if (run_ == nullptr) {
      valid_ = it_ != end_;
      if (valid_) {
        // Entries are scattered in the arena, in insertion order, and are
        // read here in key order: fetch ahead of the SST writer, first the
        // header of the entry 32 ahead, then (its size known by now) every
        // line of the entry 16 ahead. Reading cold entries was most of the
        // difference between this merge and SstFileWriter fed from a buffer.
        if (end_ - it_ > 32) __builtin_prefetch(it_[32].e);
        if (end_ - it_ > 16) {
          const Entry* a = it_[16].e;
          const char* b = reinterpret_cast<const char*>(a);
          const size_t n = sizeof(Entry) + a->key_size + a->value_size;
          for (size_t off = 64; off < n; off += 64) __builtin_prefetch(b + off);
        }
        const Entry* e = (it_++)->e;
        key_ = e->key();
        value_ = e->value();
        flags_ = e->flags;
      }
      return absl::OkStatus();
    }
    bool has = false;
    WAYBACK_RETURN_IF_ERROR(run_->Next(&has));
    valid_ = has && (!limit_ || run_->key() < *limit_);
    if (valid_) {
      key_ = run_->key();
      value_ = run_->value();
      flags_ = run_->flags();
    }
    return absl::OkStatus();
  }
  bool valid() const { return valid_; }
  std::string_view key() const { return key_; }
  std::string_view value() const { return value_; }
  uint8_t flags() const { return flags_; }

 private:
  const SortItem* it_ = nullptr;
  const SortItem* end_ = nullptr;
  std::unique_ptr<RunReader> run_;
  std::optional<std::string> limit_;
  bool valid_ = false;
  std::string_view key_, value_;
  uint8_t flags_ = 0;
};

// Entries of a partition come from an arena: 4 MiB chunks, bump-allocated,
// released all at once. A profile of the malloc'd entries showed 5% of a
// restore in free() of 700 k blocks at the end, plus malloc per new key. An
// overwrite that outgrows its block takes a new one; the old one waits in
// the partition's free blocks for a new entry of its size (the arena's
// bytes, all of them counted in the memory bound, never shrink). A partition
// that spills a run rewinds its arena and fills the same chunks again:
// freeing them and faulting fresh pages in was most of the system time of a
// restore that spills (a 5 M-mutation log under a 1 GiB bound).
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { Release(); }
  // Chunks of `chunk` bytes (small bounds want small chunks).
  void set_chunk(size_t chunk) { chunk_ = chunk; }
  void* Allocate(size_t n) {
    n = (n + 7) & ~size_t{7};
    if (n > left_) NextChunk(n);
    void* p = next_;
    next_ += n;
    left_ -= n;
    return p;
  }
  // Forgets every allocation but keeps the chunks for the next ones.
  void Rewind() {
    used_ = 0;
    next_ = nullptr;
    left_ = 0;
    bytes_ = 0;
  }
  void Release() {
    for (const Chunk& c : chunks_) std::free(c.data);
    chunks_.clear();
    Rewind();
  }
  // Hands over the chunks (to be std::free()d by the caller) and empties
  // the arena.
  std::vector<char*> TakeChunks() {
    std::vector<char*> chunks;
    chunks.reserve(chunks_.size());
    for (const Chunk& c : chunks_) chunks.push_back(c.data);
    chunks_.clear();
    Rewind();
    return chunks;
  }
  // Bytes of the chunks in use since the last Rewind() (whole chunks; kept
  // chunks not reached yet are not counted: they hold no entry, and the
  // memory bound they were filled under still holds).
  uint64_t bytes() const { return bytes_; }

 private:
  struct Chunk {
    char* data;
    size_t size;
  };
  // Moves to the next kept chunk that fits `n` bytes (skipped ones count as
  // used), or a new one.
  void NextChunk(size_t n) {
    while (used_ < chunks_.size()) {
      const Chunk& c = chunks_[used_++];
      bytes_ += c.size;
      if (c.size >= n) {
        next_ = c.data;
        left_ = c.size;
        return;
      }
    }
    const size_t size = std::max(n, chunk_);
    char* c = static_cast<char*>(std::malloc(size));
    if (c == nullptr) throw std::bad_alloc();
    internal::PopulatePages(c, size);
    chunks_.push_back({c, size});
    used_ = chunks_.size();
    next_ = c;
    left_ = size;
    bytes_ += size;
  }

  size_t chunk_ = 4 << 20;
  std::vector<Chunk> chunks_;
  size_t used_ = 0;  // chunks_[0, used_) have been handed out from.
  char* next_ = nullptr;
  size_t left_ = 0;
  uint64_t bytes_ = 0;
};

// Bytes of an entry's block (the arena rounds to 8).
size_t EntryBlockSize(size_t key_size, size_t value_capacity) {
  return (sizeof(Entry) + key_size + value_capacity + 7) & ~size_t{7};
}

// Fills `block` (at least EntryBlockSize(key, Capacity(value)) bytes) with
// the pair.
Entry* InitEntry(void* block, std::string_view key, std::string_view value,
                 uint8_t flags) {
  const size_t cap = Entry::Capacity(value.size());
  auto* e = static_cast<Entry*>(block);
  e->key_size = static_cast<uint32_t>(key.size());
  e->value_size = static_cast<uint32_t>(value.size());
  e->value_capacity = static_cast<uint32_t>(cap);
  e->flags = flags;
  std::memcpy(e->data(), key.data(), key.size());
  if (!value.empty())
    std::memcpy(e->data() + key.size(), value.data(), value.size());
  return e;
}

struct alignas(64) StagePartition {
  Table table;  // Entries live in `arena`.
  Arena arena;
  uint64_t bytes = 0;     // Arena bytes + table slots.
  std::vector<Run> runs;  // Spilled sorted runs, oldest first.
  // Blocks of entries that left the table (replaced by a larger value, or
  // erased), by size in 8-byte units: a new entry of exactly that size
  // reuses one instead of fresh arena memory, whose every new page costs a
  // page fault (such dead blocks were 13 % of the arena of a 1 M-mutation
  // restore).
  static constexpr size_t kFreeClasses = 512;  // Blocks up to 4 KiB.
  std::vector<std::vector<void*>> free_blocks;
  // The prefix shared by every key staged since Reset() (in the table or in
  // a run): first_key[0, common). The sort skips it.
  std::string first_key;
  size_t common = 0;
  bool seen = false;

  // `key` is new to the table.
  void NoteKey(std::string_view key) {
    if (!seen) {
      first_key.assign(key);
      common = key.size();
      seen = true;
    } else if (common > 0) {
      common = CommonPrefix(std::string_view(first_key).substr(0, common), key);
    }
  }

  Entry* NewEntry(std::string_view key, std::string_view value, uint8_t flags) {
    const size_t n = EntryBlockSize(key.size(), Entry::Capacity(value.size()));
    void* block = nullptr;
    if (n / 8 < free_blocks.size() && !free_blocks[n / 8].empty()) {
      block = free_blocks[n / 8].back();
      free_blocks[n / 8].pop_back();
    } else {
      block = arena.Allocate(n);
    }
    return InitEntry(block, key, value, flags);
  }
  // `e` left the table: its block may be reused.
  void FreeEntry(Entry* e) {
    const size_t n = EntryBlockSize(e->key_size, e->value_capacity);
    if (n / 8 >= kFreeClasses) return;
    if (free_blocks.empty()) free_blocks.resize(kFreeClasses);
    free_blocks[n / 8].push_back(e);
  }

  StagePartition() = default;
  StagePartition(const StagePartition&) = delete;
  StagePartition& operator=(const StagePartition&) = delete;
  ~StagePartition() { Reset(); }
  void Reset() {
    Table().swap(table);
    free_blocks.clear();
    arena.Release();
    bytes = 0;
    first_key.clear();
    common = 0;
    seen = false;
    for (const Run& r : runs) std::remove(r.path.c_str());
    runs.clear();
  }
  bool empty() const { return table.empty() && runs.empty(); }
};

// Memory of staged partitions, freed by a thread of its own: unmapping a
// restore's staged state (hundreds of MiB) took 3 % of a restore on the
// critical path, at the end of Finish().
class BackgroundRelease {
 public:
  BackgroundRelease() = default;
  BackgroundRelease(const BackgroundRelease&) = delete;
  BackgroundRelease& operator=(const BackgroundRelease&) = delete;
  ~BackgroundRelease() { Wait(); }

  // Empties the partitions now (their run files are removed at once) and
  // frees their memory in the background.
  void Release(std::deque<StagePartition>* parts) {
    Wait();
    std::vector<Table> tables;
    std::vector<char*> chunks;
    for (StagePartition& p : *parts) {
      tables.emplace_back(std::move(p.table));
      p.table = Table();
      std::vector<char*> c = p.arena.TakeChunks();
      chunks.insert(chunks.end(), c.begin(), c.end());
      p.Reset();
    }
    thread_ = std::thread(
        [tables = std::move(tables), chunks = std::move(chunks)]() mutable {
          tables.clear();
          for (char* c : chunks) std::free(c);
        });
  }
  // Returns once the memory of the last Release() is freed.
  void Wait() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

// Runs fn(0..n-1), each on its own thread (the caller's for one), and
// returns the first error.
absl::Status ParallelFor(size_t n,
                         const std::function<absl::Status(size_t)>& fn) {
  if (n == 1) return fn(0);
  std::vector<absl::Status> results(n);
  std::vector<std::thread> threads;
  threads.reserve(n);
  for (size_t i = 0; i < n; ++i) {
    threads.emplace_back([&, i] { results[i] = fn(i); });
  }
  for (std::thread& t : threads) t.join();
  for (absl::Status& s : results) WAYBACK_RETURN_IF_ERROR(s);
  return absl::OkStatus();
}

// Finds the values RocksDB holds for increasing keys (the old value of each
// key a range writer replaces, for the digest): one iterator that walks
// forward a few steps and seeks when the next key is further away.
class BaseCursor {
 public:
  explicit BaseCursor(rocksdb::Iterator* it) : it_(it) {}
  absl::StatusOr<std::optional<std::string_view>> Find(std::string_view key) {
    const rocksdb::Slice k = ToSlice(key);
    if (!started_) {
      it_->Seek(k);
      started_ = true;
    } else {
      int steps = 0;
      while (it_->Valid() && it_->key().compare(k) < 0) {
        if (++steps > 8) {
          it_->Seek(k);
          break;
        }
        it_->Next();
      }
    }
    if (!it_->status().ok()) {
      return absl::InternalError(
          absl::StrCat("rocksdb target: reading the existing state: ",
                       it_->status().ToString()));
    }
    if (it_->Valid() && it_->key() == k) {
      return std::optional<std::string_view>(ToView(it_->value()));
    }
    return std::optional<std::string_view>();
  }

 private:
  rocksdb::Iterator* it_;
  bool started_ = false;
};

class RocksDBTarget final : public StateTarget {
 public:
  RocksDBTarget(std::string path, const RocksDBTargetOptions& options)
      : path_(std::move(path)), opts_(options) {
    direct_writes_ = opts_.direct_writes;
    opts_.transactions_per_batch = std::max(opts_.transactions_per_batch, 1);
    opts_.partitions =
        opts_.stage_in_memory ? std::max(opts_.partitions, 1) : 1;
    write_threads_ =
        opts_.write_threads > 0
            ? opts_.write_threads
            : std::max(1,
                       static_cast<int>(std::thread::hardware_concurrency()));
    // A deque: partitions are neither copied nor moved once built.
    // Arena chunks of at most an eighth of a partition's share, so that a
    // small bound is not exceeded by one chunk.
    const uint64_t share = opts_.stage_memory_limit / opts_.partitions;
    partition_limit_ = share;
    const size_t chunk =
        static_cast<size_t>(std::clamp<uint64_t>(share / 8, 4 << 10, 4 << 20));
    for (int i = 0; i < opts_.partitions; ++i) {
      stage_.emplace_back();
      stage_.back().arena.set_chunk(chunk);
    }
    no_wal_.disableWAL = true;
    synced_.sync = true;
  }

  ~RocksDBTarget() override {
    // Without Finish() the staged state and the pending batch are dropped;
    // the marker still says incomplete.
    release_.Wait();
    stage_.clear();
    if (db_ != nullptr) {
      for (rocksdb::ColumnFamilyHandle* h : handles_) {
        db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
      }
      db_->Close().PermitUncheckedError();
      delete db_;
    }
    std::error_code ec;
    std::filesystem::remove_all(StagingDir(), ec);
  }

  absl::Status Open() {
    options_.create_if_missing = opts_.create_if_missing;
    options_.create_missing_column_families = true;
    // Replay is one bulk writer: big memtables, background work on both
    // cores, no per-write WAL (disabled per write).
    options_.max_background_jobs = 2;
    options_.write_buffer_size = 128 << 20;
    options_.max_write_buffer_number = 4;
    options_.target_file_size_base = 128 << 20;
    options_.max_bytes_for_level_base = 1024 << 20;
    sst_options_ = internal::SstWriterOptions(options_);
    if (!opts_.create_if_missing &&
        !std::filesystem::exists(std::filesystem::path(path_) / "CURRENT")) {
      return absl::NotFoundError(absl::StrCat("rocksdb target: no database at ",
                                              path_,
                                              " (create_if_missing is false)"));
    }
    // SST files and runs of a restore that a crash interrupted are garbage.
    std::error_code ec;
    std::filesystem::remove_all(StagingDir(), ec);
    std::vector<std::string> names;
    rocksdb::Status ls =
        rocksdb::DB::ListColumnFamilies(options_, path_, &names);
    if (!ls.ok() || names.empty()) names = {rocksdb::kDefaultColumnFamilyName};
    if (std::find(names.begin(), names.end(), kMarkerColumnFamily) ==
        names.end()) {
      names.push_back(kMarkerColumnFamily);
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const std::string& n : names) {
      descs.emplace_back(n, rocksdb::ColumnFamilyOptions(options_));
    }
    WAYBACK_RETURN_IF_ERROR(
        FromRocks(rocksdb::DB::Open(options_, path_, descs, &handles_, &db_),
                  absl::StrCat("open ", path_)));
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == rocksdb::kDefaultColumnFamilyName) data_cf_ = handles_[i];
      if (names[i] == kMarkerColumnFamily) marker_cf_ = handles_[i];
    }
    WAYBACK_ASSIGN_OR_RETURN(base_empty_, DataEmpty());
    // The digest of an empty database is known; of anything else, only a
    // scan tells.
    if (base_empty_) digest_ = StateDigest();
    return absl::OkStatus();
  }

  absl::StatusOr<bool> IsEmpty() override {
    for (const StagePartition& p : stage_) {
      if (!p.empty()) return false;
    }
    if (batch_.Count() > 0) return false;
    WAYBACK_ASSIGN_OR_RETURN(bool data_empty, DataEmpty());
    if (!data_empty) return false;
    WAYBACK_ASSIGN_OR_RETURN(std::optional<RestoreMarker> m, ReadMarker());
    return !m.has_value();
  }

  absl::Status Clear() override {
    batch_.Clear();
    batch_txns_ = 0;
    for (StagePartition& p : stage_) p.Reset();
    // Every key is < (last key + "\0"), and "" is the smallest key, so one
    // range deletion covers the whole column family whatever its bytes.
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), data_cf_));
    it->SeekToLast();
    WAYBACK_RETURN_IF_ERROR(FromRocks(it->status(), Where("clear")));
    if (it->Valid()) {
      std::string end = it->key().ToString();
      end.push_back('\0');
      it.reset();
      WAYBACK_RETURN_IF_ERROR(
          FromRocks(db_->DeleteRange(synced_, data_cf_, rocksdb::Slice(), end),
                    Where("clear")));
      // Reclaim the space now rather than carrying the tombstone into the
      // restore that follows.
      rocksdb::CompactRangeOptions cro;
      cro.bottommost_level_compaction =
          rocksdb::BottommostLevelCompaction::kForce;
      WAYBACK_RETURN_IF_ERROR(FromRocks(
          db_->CompactRange(cro, data_cf_, nullptr, nullptr), Where("clear")));
    }
    WAYBACK_RETURN_IF_ERROR(FromRocks(
        db_->Delete(synced_, marker_cf_, kMarkerKey), Where("clear marker")));
    base_empty_ = true;
    digest_ = StateDigest();
    return absl::OkStatus();
  }

  absl::Status Begin(const RestoreMarker& marker) override {
    RestoreMarker m = marker;
    m.complete = false;
    // Synced through the WAL: a crash from here on leaves "incomplete".
    return FromRocks(db_->Put(synced_, marker_cf_, kMarkerKey, EncodeMarker(m)),
                     Where("write restore marker"));
  }

  absl::Status Finish(const RestoreMarker& marker) override {
    WAYBACK_RETURN_IF_ERROR(WritePending());
    rocksdb::FlushOptions fo;
    fo.wait = true;
    WAYBACK_RETURN_IF_ERROR(
        FromRocks(db_->Flush(fo, data_cf_), Where("flush")));
    RestoreMarker m = marker;
    m.complete = true;
    WAYBACK_RETURN_IF_ERROR(
        FromRocks(db_->Put(synced_, marker_cf_, kMarkerKey, EncodeMarker(m)),
                  Where("write restore marker")));
    WAYBACK_RETURN_IF_ERROR(
        FromRocks(db_->Flush(fo, marker_cf_), Where("flush marker")));
    return FromRocks(db_->SyncWAL(), Where("sync WAL"));
  }

  absl::StatusOr<std::optional<RestoreMarker>> ReadMarker() override {
    std::string bytes;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), marker_cf_, kMarkerKey, &bytes);
    if (s.IsNotFound()) return std::optional<RestoreMarker>();
    WAYBACK_RETURN_IF_ERROR(FromRocks(s, Where("read restore marker")));
    WAYBACK_ASSIGN_OR_RETURN(RestoreMarker m, DecodeMarker(bytes, path_));
    return std::optional<RestoreMarker>(std::move(m));
  }

  absl::Status LoadSnapshot(SnapshotReader* snapshot) override {
    // Write anything applied before, so the ingested files (newer sequence
    // numbers) and older data cannot be confused.
    WAYBACK_RETURN_IF_ERROR(WritePending());
    const bool was_empty = base_empty_;
    SnapshotFile* file = AsSnapshotFile(snapshot);
    if (file != nullptr) {
      WAYBACK_RETURN_IF_ERROR(LoadSnapshotBlocks(file));
    } else {
      WAYBACK_RETURN_IF_ERROR(LoadSnapshotPairs(snapshot));
    }
    // The pairs were checked against the footer's digest before anything
    // was ingested: loaded into an empty database, that is the state's.
    if (snapshot->info().pair_count > 0) base_empty_ = false;
    if (was_empty) {
      digest_ = snapshot->info().digest;
    } else {
      digest_.reset();
    }
    return absl::OkStatus();
  }

  absl::Status ApplyTransaction(const LogRecord& record) override {
    auto it = record.mutations();
    MutationView m;
    uint32_t applied = 0;
    if (opts_.stage_in_memory) {
      const int n = static_cast<int>(stage_.size());
      while (it.Next(&m)) {
        WAYBACK_RETURN_IF_ERROR(
            Stage(stage_[n == 1 ? 0 : PartitionOf(m.key, n)], m));
        ++applied;
      }
    } else {
      while (it.Next(&m)) {
        rocksdb::Status s =
            m.type == MutationType::kDelete
                ? batch_.Delete(data_cf_, ToSlice(m.key))
                : batch_.Put(data_cf_, ToSlice(m.key), ToSlice(m.value));
        WAYBACK_RETURN_IF_ERROR(FromRocks(s, Where("batch")));
        ++applied;
      }
      if (++batch_txns_ >= opts_.transactions_per_batch) {
        WAYBACK_RETURN_IF_ERROR(WritePending());
      }
    }
    if (applied != record.mutation_count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rocksdb target: malformed mutations in record at lsn ", record.lsn));
    }
    return absl::OkStatus();
  }

  int partitions() const override { return static_cast<int>(stage_.size()); }

  // Partitioned apply needs the staged mode and a partition in range.
  absl::Status CheckPartition(int partition) const {
    if (!opts_.stage_in_memory) {
      return absl::UnimplementedError(
          "rocksdb target: partitioned apply needs stage_in_memory");
    }
    if (partition < 0 || partition >= static_cast<int>(stage_.size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rocksdb target: partition ", partition, " out of range"));
    }
    return absl::OkStatus();
  }

  absl::Status ApplyMutation(int partition, const MutationView& m) override {
    WAYBACK_RETURN_IF_ERROR(CheckPartition(partition));
    return Stage(stage_[partition], m);
  }

  // The replayer's per-block call: the loop stays inline and hides the two
  // cache misses of a probe (the table is much larger than the caches, and
  // the entries gigabytes). Each key is hashed once, kSlotAhead mutations
  // ahead, and its table slot prefetched; kEntryAhead mutations ahead, with
  // the slot in cache by then, the entry whose slot matches the hash (an
  // overwrite or delete; found without reading an entry) is prefetched: its
  // header and key for the compare, and the lines the new value goes to.
  // Before, the read of the entry's header in the probe took over half of
  // Stage()'s time; the replay of a 5 M-mutation restore into RocksDB now
  // takes ~0.1 s (~4 %) less wall time (medians of 4 alternated runs).
  absl::Status ApplyMutationBatch(
      int partition, std::span<const MutationView> mutations) override {
    WAYBACK_RETURN_IF_ERROR(CheckPartition(partition));
    StagePartition& p = stage_[partition];
    constexpr size_t kSlotAhead = 16;
    constexpr size_t kEntryAhead = 8;
    constexpr size_t kRing = 32;  // Hashes of the mutations in flight.
    static_assert(kRing > kSlotAhead && (kRing & (kRing - 1)) == 0);
    size_t hashes[kRing];
    const size_t n = mutations.size();
    const internal::EntryHash hash;
    auto key_of = [&](size_t j) {
      return internal::HashedKey{AV(mutations[j].key), hashes[j % kRing]};
    };
    for (size_t j = 0; j < std::min(n, kSlotAhead); ++j) {
      hashes[j] = hash(AV(mutations[j].key));
    }
    for (size_t i = 0; i < n; ++i) {
      if (i + kSlotAhead < n) {
        const size_t j = i + kSlotAhead;
        hashes[j % kRing] = hash(AV(mutations[j].key));
        p.table.prefetch(key_of(j));
      }
      if (i + kEntryAhead < n) {
        const size_t j = i + kEntryAhead;
        auto it = p.table.find(internal::HashOnly{hashes[j % kRing]});
        if (it != p.table.end()) {
          const char* e = reinterpret_cast<const char*>(*it);
          const size_t bytes = sizeof(Entry) + mutations[j].key.size() +
                               mutations[j].value.size();
          for (size_t off = 0; off < bytes; off += 64) {
            __builtin_prefetch(e + off, 1);
          }
        }
      }
      WAYBACK_RETURN_IF_ERROR(Stage(p, mutations[i], key_of(i)));
    }
    return absl::OkStatus();
  }

  // Reserves the staging tables for the mutations to come (an upper bound
  // on the keys), within the memory bound, so they do not rehash as they
  // grow.
  void ExpectMutations(uint64_t mutations) override {
    if (!opts_.stage_in_memory) return;
    const uint64_t n = stage_.size();
    const uint64_t by_memory = opts_.stage_memory_limit / n / 64;
    const uint64_t per_part =
        std::min({mutations / n + 1, by_memory, uint64_t{8} << 20});
    for (StagePartition& p : stage_) {
      p.table.reserve(p.table.size() + per_part);
    }
  }

  absl::StatusOr<StateDigest> Digest() override {
    WAYBACK_RETURN_IF_ERROR(WritePending());
    // Known when every write since an empty database went through
    // WriteStaged() or a snapshot load, which fold it from the sorted
    // streams they write.
    if (digest_) return *digest_;
    StateDigest d;
    WAYBACK_RETURN_IF_ERROR(
        ForEach([&](std::string_view k, std::string_view v) {
          d.Add(k, v);
          return true;
        }));
    digest_ = d;
    return d;
  }

  absl::Status ForEach(
      const std::function<bool(std::string_view, std::string_view)>& fn)
      override {
    WAYBACK_RETURN_IF_ERROR(WritePending());
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, data_cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!fn(ToView(it->key()), ToView(it->value()))) break;
    }
    return FromRocks(it->status(), Where("iterate"));
  }

  absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) override {
    if (opts_.stage_in_memory) {
      const StagePartition& p =
          stage_[PartitionOf(key, static_cast<int>(stage_.size()))];
      if (!p.runs.empty()) {
        // The key may sit in a run on disk: publish everything first.
        WAYBACK_RETURN_IF_ERROR(WritePending());
      } else {
        auto sit = p.table.find(AV(key));
        if (sit != p.table.end()) {
          if ((*sit)->flags & kTombstone) return std::optional<std::string>();
          return std::optional<std::string>((*sit)->value());
        }
      }
    } else if (batch_.Count() > 0) {
      WAYBACK_RETURN_IF_ERROR(WritePending());
    }
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), data_cf_, ToSlice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    WAYBACK_RETURN_IF_ERROR(FromRocks(s, Where("get")));
    return std::optional<std::string>(std::move(value));
  }

 private:
  // Writes sorted entries into a series of SST files of about
  // sst_file_size bytes each. Files are removed when the series is
  // destroyed unless Ingest() moved them into the database.
  class SstSeries {
   public:
    explicit SstSeries(RocksDBTarget* t) : t_(t) {}
    SstSeries(const SstSeries&) = delete;
    SstSeries& operator=(const SstSeries&) = delete;
    ~SstSeries() {
      writer_.reset();
      std::error_code ec;
      for (const std::string& f : files_) std::filesystem::remove(f, ec);
    }
    absl::Status Put(std::string_view key, std::string_view value) {
      WAYBACK_RETURN_IF_ERROR(Roll());
      return FromRocks(writer_->Put(ToSlice(key), ToSlice(value)),
                       t_->Where("write SST"));
    }
    absl::Status Delete(std::string_view key) {
      WAYBACK_RETURN_IF_ERROR(Roll());
      return FromRocks(writer_->Delete(ToSlice(key)), t_->Where("write SST"));
    }
    absl::Status Close() {
      if (writer_ == nullptr) return absl::OkStatus();
      absl::Status s = FromRocks(writer_->Finish(), t_->Where("finish SST"));
      writer_.reset();
      return s;
    }
    const std::vector<std::string>& files() const { return files_; }
    // Ingests the files of `series` (in this order: their key ranges must
    // be increasing and disjoint) with one IngestExternalFile call.
    static absl::Status Ingest(
        RocksDBTarget* t,
        const std::vector<std::unique_ptr<SstSeries>>& series) {
      std::vector<std::string> files;
      for (const auto& s : series) {
        files.insert(files.end(), s->files_.begin(), s->files_.end());
      }
      if (files.empty()) return absl::OkStatus();
      rocksdb::IngestExternalFileOptions io;
      io.move_files = true;
      io.write_global_seqno = false;
      WAYBACK_RETURN_IF_ERROR(
          FromRocks(t->db_->IngestExternalFile(t->data_cf_, files, io),
                    t->Where("ingest SST files")));
      // The original names are removed with the series (RocksDB holds its
      // own links now).
      return absl::OkStatus();
    }

   private:
    absl::Status Roll() {
      if (writer_ != nullptr && writer_->FileSize() < t_->opts_.sst_file_size) {
        return absl::OkStatus();
      }
      WAYBACK_RETURN_IF_ERROR(Close());
      WAYBACK_RETURN_IF_ERROR(t_->MakeStagingDir());
      std::string file =
          absl::StrCat(t_->StagingDir(), "/", t_->next_file_++, ".sst");
      // O_DIRECT if asked for and the file system takes it (not tmpfs): the
      // first refusal switches the target to buffered writes.
      for (;;) {
        const bool direct = t_->direct_writes_.load();
        writer_ = std::make_unique<rocksdb::SstFileWriter>(
            internal::SstWriterEnvOptions(direct), t_->sst_options_,
            t_->data_cf_, internal::kSstInvalidatePageCache);
        rocksdb::Status s = writer_->Open(file);
        if (s.ok()) break;
        writer_.reset();
        if (!direct) return FromRocks(s, t_->Where("create SST"));
        t_->direct_writes_ = false;
      }
      files_.push_back(std::move(file));
      return absl::OkStatus();
    }

    RocksDBTarget* t_;
    std::unique_ptr<rocksdb::SstFileWriter> writer_;
    std::vector<std::string> files_;
  };

  // Key ranges written concurrently (one thread each) when SST files are
  // built: more ranges than write threads, because SstFileWriter's direct
  // writes block the writing thread until the device has the data, and an
  // oversubscribed core runs another range meanwhile. With one range per
  // thread a 2-thread restore kept its cores ~60 % busy while writing; with
  // four per thread ~95 % (a 690 k-pair snapshot loaded in 370-383 ms
  // instead of 440-485 ms; a 1 M-mutation replay 1.00-1.07 s instead of
  // 1.09-1.26 s).
  static constexpr int kRangesPerWriteThread = 4;
  size_t WriterRanges() const {
    return static_cast<size_t>(
        std::min(64, write_threads_ * kRangesPerWriteThread));
  }
  // The staged state's key ranges, and the threads that sort and write
  // them (taking the ranges in order). Measured on a 5 M-mutation restore
  // with 2 write threads, 16 ranges, two runs each: 4 threads wrote the
  // 2.4 GB of SST files in 1.63-1.78 s (cores 1.6 busy), 6 in 1.55-1.59 s,
  // 8 in 1.50-1.54 s (1.8 busy); the device takes ~1.3 s at best.
  size_t StagedRanges() const {
    return static_cast<size_t>(std::min(128, write_threads_ * 8));
  }
  size_t StagedWriters() const {
    return static_cast<size_t>(std::min(64, write_threads_ * 4));
  }

  std::string Where(std::string_view op) const {
    return absl::StrCat(AV(op), " in ", path_);
  }
  std::string StagingDir() const {
    return absl::StrCat(path_, "/", kStagingDir);
  }
  absl::Status MakeStagingDir() {
    std::error_code ec;
    std::filesystem::create_directories(StagingDir(), ec);
    if (ec) return IoError("create directory", StagingDir(), ec.value());
    return absl::OkStatus();
  }

  absl::StatusOr<bool> DataEmpty() {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), data_cf_));
    it->SeekToFirst();
    WAYBACK_RETURN_IF_ERROR(FromRocks(it->status(), Where("iterate")));
    return !it->Valid();
  }

  // A snapshot's blocks straight into SST files: the pairs are sorted
  // already, so write_threads_ threads each take a contiguous range of
  // blocks (balanced by raw bytes), read, verify and decompress them and
  // write their pairs, hashing as they go. The digest is checked against
  // the footer before anything is ingested; the files of all ranges go in
  // with one ingestion.
  absl::Status LoadSnapshotBlocks(SnapshotFile* file) {
    const size_t blocks = file->block_count();
    if (blocks == 0) {
      return file->CheckDigest(StateDigest());
    }
    const size_t k = std::min<size_t>(WriterRanges(), blocks);
    uint64_t total = 0;
    for (size_t i = 0; i < blocks; ++i) total += file->block(i).raw_size + 1;
    std::vector<size_t> bounds = {0};
    uint64_t acc = 0;
    for (size_t i = 0; i < blocks && bounds.size() < k; ++i) {
      acc += file->block(i).raw_size + 1;
      if (acc * k >= total * bounds.size()) bounds.push_back(i + 1);
    }
    if (bounds.back() != blocks) bounds.push_back(blocks);
    const size_t ranges = bounds.size() - 1;
    std::vector<std::unique_ptr<SstSeries>> series;
    std::vector<StateDigest> digests(ranges);
    std::vector<std::string> first(ranges), last(ranges);
    for (size_t r = 0; r < ranges; ++r) {
      series.push_back(std::make_unique<SstSeries>(this));
    }
    const std::string& name = file->info().name;
    WAYBACK_RETURN_IF_ERROR(ParallelFor(ranges, [&](size_t r) -> absl::Status {
      SnapshotBlock block;
      std::string_view key, value;
      bool any = false;
      for (size_t i = bounds[r]; i < bounds[r + 1]; ++i) {
        WAYBACK_RETURN_IF_ERROR(file->ReadBlock(i, &block));
        auto it = block.pairs();
        while (it.Next(&key, &value)) {
          digests[r].Add(key, value);
          if (!any) {
            first[r].assign(key);
            any = true;
          }
          absl::Status s = series[r]->Put(key, value);
          if (!s.ok()) {
            if (absl::IsInvalidArgument(s)) {
              return absl::DataLossError(absl::StrCat("snapshot ", AV(name),
                                                      ": keys out of order in "
                                                      "block ",
                                                      i, ": ", s.message()));
            }
            return s;
          }
        }
        if (any && i + 1 == bounds[r + 1]) last[r].assign(key);
      }
      return series[r]->Close();
    }));
    StateDigest sum;
    for (const StateDigest& d : digests) sum.Merge(d);
    WAYBACK_RETURN_IF_ERROR(file->CheckDigest(sum));
    // Ranges must follow each other in key order for one ingestion.
    std::string prev_last;
    bool have_prev = false;
    for (size_t r = 0; r < ranges; ++r) {
      if (series[r]->files().empty()) continue;
      if (have_prev && !(prev_last < first[r])) {
        return absl::DataLossError(absl::StrCat(
            "snapshot ", AV(name), ": keys out of order at block ", bounds[r]));
      }
      prev_last = last[r];
      have_prev = true;
    }
    return SstSeries::Ingest(this, series);
  }

  // Any other SnapshotReader: one pass of its iterator.
  absl::Status LoadSnapshotPairs(SnapshotReader* snapshot) {
    std::unique_ptr<SnapshotIterator> it = snapshot->NewIterator();
    const std::string& name = snapshot->info().name;
    StateDigest digest;
    std::vector<std::unique_ptr<SstSeries>> series;
    series.push_back(std::make_unique<SstSeries>(this));
    std::string_view key, value;
    while (it->Next(&key, &value)) {
      digest.Add(key, value);
      absl::Status s = series[0]->Put(key, value);
      if (!s.ok()) {
        if (absl::IsInvalidArgument(s)) {
          return absl::DataLossError(absl::StrCat(
              "snapshot ", AV(name), ": keys out of order at pair ",
              digest.count, ": ", s.message()));
        }
        return s;
      }
    }
    WAYBACK_RETURN_IF_ERROR(it->status());
    WAYBACK_RETURN_IF_ERROR(series[0]->Close());
    if (!(digest == snapshot->info().digest)) {
      return absl::DataLossError(absl::StrCat(
          "snapshot ", AV(name), ": pairs digest to ", digest.ToString(),
          " but the footer says ", snapshot->info().digest.ToString()));
    }
    return SstSeries::Ingest(this, series);
  }

  // The staged hot path: one probe per mutation, value storage reused.
  absl::Status Stage(StagePartition& p, const MutationView& m) {
    return Stage(
        p, m,
        internal::HashedKey{AV(m.key), p.table.hash_function()(AV(m.key))});
  }
  // `key` is m.key with its table hash.
  absl::Status Stage(StagePartition& p, const MutationView& m,
                     const internal::HashedKey& key) {
    const bool del = m.type == MutationType::kDelete;
    if (del && base_empty_ && p.runs.empty()) {
      // Nothing older to hide: forget the key (its block goes to the
      // partition's free blocks).
      auto it = p.table.find(key);
      if (it != p.table.end()) {
        Entry* e = *it;
        p.table.erase(it);
        p.FreeEntry(e);
      }
      return absl::OkStatus();
    }
    const std::string_view value = del ? std::string_view() : m.value;
    const uint8_t flags = del ? kTombstone : 0;
    bool inserted = false;
    auto it = p.table.lazy_emplace(key, [&](const auto& ctor) {
      inserted = true;
      p.NoteKey(m.key);
      ctor(p.NewEntry(m.key, value, flags));
    });
    if (!inserted) {
      Entry* e = *it;
      if (value.size() <= e->value_capacity) {
        e->value_size = static_cast<uint32_t>(value.size());
        if (!value.empty()) {
          std::memcpy(e->data() + e->key_size, value.data(), value.size());
        }
        e->flags = flags;
      } else {
        // Same key bytes, so the same hash and slot: replacing the pointer
        // in place keeps the table's invariants.
        const_cast<Entry*&>(*it) = p.NewEntry(m.key, value, flags);
        p.FreeEntry(e);
      }
    }
    p.bytes = p.arena.bytes() + p.table.capacity() * (sizeof(Entry*) + 1);
    if (p.bytes > partition_limit_) return SpillRun(p);
    return absl::OkStatus();
  }

  // Writes one partition's staged state as a sorted run file and frees it.
  // Called from the partition's own apply thread; partitions spill
  // independently.
  absl::Status SpillRun(StagePartition& p) {
    if (p.table.empty()) return absl::OkStatus();
    const std::vector<SortItem> entries = SortedEntries(p.table, p.common);
    WAYBACK_RETURN_IF_ERROR(MakeStagingDir());
    RunWriter w;
    WAYBACK_RETURN_IF_ERROR(
        w.Open(absl::StrCat(StagingDir(), "/", next_file_++, ".run")));
    const bool keep_tombstones = !base_empty_ || !p.runs.empty();
    for (const SortItem& item : entries) {
      const Entry* e = item.e;
      if ((e->flags & kTombstone) && !keep_tombstones) continue;
      WAYBACK_RETURN_IF_ERROR(w.Add(e->flags, e->key(), e->value()));
    }
    WAYBACK_ASSIGN_OR_RETURN(Run run, w.Close());
    // The next run will hold about as many keys: size the table for them
    // now rather than grow it step by step.
    const size_t keys = p.table.size();
    Table().swap(p.table);
    p.table.reserve(keys);
    p.free_blocks.clear();
    p.arena.Rewind();
    p.bytes = 0;
    p.runs.push_back(std::move(run));
    return absl::OkStatus();
  }

  // Publishes the staged state. The key space is cut into ranges (from a
  // sample of the keys); each partition's entries are loaded for the sort
  // and grouped by range (one pass per partition, in parallel); then a pool
  // of write threads takes the ranges in key order, and for each sorts the
  // range's group of every partition and writes the range as SST files from
  // a merge of those and of the partitions' runs (newest wins; partitions
  // hold disjoint keys). Sorting a range while other ranges wait for their
  // writes to reach the device keeps the cores busy: the SST files of a
  // 5 M-mutation state (2.4 GB) take the device ~1.3 s at best. The ranges
  // are disjoint and increasing, so one ingestion places every file. The
  // digest is folded from the merged streams: added pairs, minus the pairs
  // they replace or delete (looked up in the database when it was not
  // empty).
  absl::Status WriteStaged() {
    bool any = false;
    for (const StagePartition& p : stage_) any = any || !p.empty();
    if (!any) return absl::OkStatus();
    const size_t parts = stage_.size();

    // Bytes every staged key starts with.
    size_t from = 0;
    {
      const std::string* ref = nullptr;
      for (const StagePartition& p : stage_) {
        if (!p.seen) continue;
        if (ref == nullptr) {
          from = p.common;
          ref = &p.first_key;
        } else {
          from = std::min({from, p.common, CommonPrefix(*ref, p.first_key)});
        }
      }
    }

    // Range boundaries from a sample of the keys (the tables iterate in
    // hash order: a sample without a sort).
    uint64_t total = 0;
    for (const StagePartition& p : stage_) {
      total += p.table.size();
      for (const Run& r : p.runs) total += r.entries;
    }
    std::vector<std::string> cuts;
    const size_t k = StagedRanges();
    if (k > 1 && total >= 4096) {
      std::vector<std::string_view> sample;
      for (const StagePartition& p : stage_) {
        const size_t step = std::max<size_t>(1, p.table.size() / (64 * k));
        size_t j = 0;
        for (const Entry* e : p.table) {
          if (j++ % step == 0) sample.push_back(e->key());
        }
        for (const Run& r : p.runs) {
          for (const RunIndexEntry& e : r.index) sample.push_back(e.key);
        }
      }
      std::sort(sample.begin(), sample.end());
      for (size_t j = 1; j < k; ++j) {
        std::string_view c = sample[j * sample.size() / k];
        if (c.empty() || (!cuts.empty() && c <= cuts.back())) continue;
        cuts.emplace_back(c);
      }
    }
    const size_t ranges = cuts.size() + 1;
    std::vector<SortItem> cut_slices(cuts.size());
    for (size_t c = 0; c < cuts.size(); ++c) {
      LoadSlice(cuts[c], from, &cut_slices[c]);
    }
    // Whether the item's key sorts before cut c.
    auto before_cut = [&](const SortItem& it, size_t c) {
      const int cmp = CompareSlices(it, cut_slices[c]);
      if (cmp != 0 || it.rest <= kSliceBytes) return cmp < 0;
      const size_t past = from + kSliceBytes;
      return it.e->key().substr(past) < std::string_view(cuts[c]).substr(past);
    };

    // Each partition's entries, their first slice loaded, grouped by range:
    // range r of partition i is items[i][bounds[i][r], bounds[i][r + 1]).
    std::vector<std::vector<SortItem>> items(parts);
    std::vector<std::vector<size_t>> bounds(parts);
    WAYBACK_RETURN_IF_ERROR(ParallelFor(parts, [&](size_t i) {
      std::vector<SortItem>& v = items[i];
      v.reserve(stage_[i].table.size());
      for (const Entry* e : ByAddress(stage_[i].table)) {
        v.push_back({{}, 0, 0, e});
      }
      std::vector<size_t> count(ranges + 1, 0);
      constexpr size_t kAhead = 12;
      for (size_t j = 0; j < v.size(); ++j) {
        if (j + kAhead < v.size()) {
          __builtin_prefetch(v[j + kAhead].e->data() + from);
        }
        SortItem& it = v[j];
        LoadSlice(it.e->key(), from, &it);
        size_t lo = 0, hi = cuts.size();
        while (lo < hi) {
          const size_t mid = (lo + hi) / 2;
          if (before_cut(it, mid)) {
            hi = mid;
          } else {
            lo = mid + 1;
          }
        }
        it.range = static_cast<uint32_t>(lo);
        ++count[lo];
      }
      // Group by range in place (each item moves at most once).
      std::vector<size_t>& b = bounds[i];
      b.assign(ranges + 1, 0);
      for (size_t r = 0; r < ranges; ++r) b[r + 1] = b[r] + count[r];
      std::vector<size_t> head(b.begin(), b.end() - 1);
      for (size_t r = 0; r < ranges; ++r) {
        while (head[r] < b[r + 1]) {
          SortItem& it = v[head[r]];
          if (it.range == r) {
            ++head[r];
          } else {
            std::swap(it, v[head[it.range]++]);
          }
        }
      }
      return absl::OkStatus();
    }));

    std::vector<std::unique_ptr<SstSeries>> series;
    for (size_t r = 0; r < ranges; ++r) {
      series.push_back(std::make_unique<SstSeries>(this));
    }
    std::vector<StateDigest> digests(ranges);
    const bool track_old = digest_.has_value() && !base_empty_;
    const bool keep_tombstones = !base_empty_;
    // Iterators over the database as it is before this ingestion.
    const rocksdb::Snapshot* before = track_old ? db_->GetSnapshot() : nullptr;
    auto write_range = [&](size_t r) -> absl::Status {
      std::optional<std::string> lo, hi;
      if (r > 0) lo = cuts[r - 1];
      if (r + 1 < ranges) hi = cuts[r];
      std::vector<MergeSource> sources;
      for (size_t i = 0; i < parts; ++i) {
        sources.emplace_back(items[i].data() + bounds[i][r],
                             items[i].data() + bounds[i][r + 1]);
        const std::vector<Run>& runs = stage_[i].runs;
        for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
          auto reader = std::make_unique<RunReader>(&*it);
          WAYBACK_RETURN_IF_ERROR(reader->SeekTo(lo ? *lo : ""));
          sources.emplace_back(std::move(reader), hi);
        }
      }
      for (MergeSource& s : sources) WAYBACK_RETURN_IF_ERROR(s.Advance());
      std::unique_ptr<rocksdb::Iterator> base_it;
      std::optional<BaseCursor> base;
      if (track_old) {
        rocksdb::ReadOptions ro;
        ro.snapshot = before;
        base_it.reset(db_->NewIterator(ro, data_cf_));
        base.emplace(base_it.get());
      }
      SstSeries& out = *series[r];
      StateDigest& d = digests[r];
      for (;;) {
        // The smallest key; on a tie the earlier source (newer) wins.
        MergeSource* best = nullptr;
        for (MergeSource& s : sources) {
          if (s.valid() && (best == nullptr || s.key() < best->key())) {
            best = &s;
          }
        }
        if (best == nullptr) break;
        const std::string_view key = best->key();
        const bool tombstone = best->flags() & kTombstone;
        if (base) {
          WAYBACK_ASSIGN_OR_RETURN(std::optional<std::string_view> old,
                                   base->Find(key));
          if (old) d.Remove(key, *old);
        }
        if (!tombstone) {
          WAYBACK_RETURN_IF_ERROR(out.Put(key, best->value()));
          d.Add(key, best->value());
        } else if (keep_tombstones) {
          WAYBACK_RETURN_IF_ERROR(out.Delete(key));
        }
        // Older versions of the same key are superseded; advance `best`
        // last, as its key view dies with it.
        for (MergeSource& s : sources) {
          if (&s != best && s.valid() && s.key() == key) {
            WAYBACK_RETURN_IF_ERROR(s.Advance());
          }
        }
        WAYBACK_RETURN_IF_ERROR(best->Advance());
      }
      return out.Close();
    };
    // Tasks in the order sort 0, sort 1, write 0, sort 2, write 1, ...: the
    // threads that take them are staggered, some sorting while others wait
    // for the device (taken in turn, sorts and writes of every range at
    // once left the cores idle while all writes waited).
    std::vector<std::pair<bool, size_t>> tasks;  // (write?, range)
    for (size_t r = 0; r < ranges; ++r) {
      tasks.emplace_back(false, r);
      if (r > 0) tasks.emplace_back(true, r - 1);
    }
    tasks.emplace_back(true, ranges - 1);
    std::mutex mu;
    std::condition_variable sorted_cv;
    std::vector<char> sorted(ranges, 0);
    std::atomic<size_t> next_task{0};
    std::atomic<bool> failed{false};  // Set under `mu`.
    absl::Status st = ParallelFor(
        std::min(ranges, StagedWriters()), [&](size_t) -> absl::Status {
          for (size_t t = next_task++; t < tasks.size(); t = next_task++) {
            // Not a structured binding: clang 14 cannot capture one in the
            // lambda below.
            const bool write = tasks[t].first;
            const size_t r = tasks[t].second;
            if (!write) {
              if (!failed) {
                for (size_t i = 0; i < parts; ++i) {
                  SortLoaded(items[i].data() + bounds[i][r],
                             items[i].data() + bounds[i][r + 1], from);
                }
              }
              std::lock_guard<std::mutex> l(mu);
              sorted[r] = 1;
              sorted_cv.notify_all();
              continue;
            }
            {
              // A failed write wakes the writers waiting for a sort that
              // was taken, and then skipped, after the failure.
              std::unique_lock<std::mutex> l(mu);
              sorted_cv.wait(l, [&] { return failed || sorted[r] != 0; });
              if (failed) return absl::OkStatus();
            }
            absl::Status s = write_range(r);
            if (!s.ok()) {
              std::lock_guard<std::mutex> l(mu);
              failed = true;
              sorted_cv.notify_all();
              return s;
            }
          }
          return absl::OkStatus();
        });
    if (before != nullptr) db_->ReleaseSnapshot(before);
    WAYBACK_RETURN_IF_ERROR(st);
    WAYBACK_RETURN_IF_ERROR(SstSeries::Ingest(this, series));
    for (size_t r = 0; r < ranges; ++r) {
      if (digest_) digest_->Merge(digests[r]);
    }
    if (base_empty_) {
      // Only puts reach the files of an empty database; any pair written
      // makes it non-empty.
      for (const StateDigest& dg : digests) {
        if (dg.count != 0) base_empty_ = false;
      }
    }
    items.clear();
    release_.Release(&stage_);
    return absl::OkStatus();
  }

  // Writes the pending batch (direct) or the staged state.
  absl::Status WritePending() {
    if (batch_.Count() > 0) {
      WAYBACK_RETURN_IF_ERROR(
          FromRocks(db_->Write(no_wal_, &batch_), Where("write batch")));
      batch_.Clear();
      // Written without reading what it replaced: only a scan knows the
      // digest now.
      digest_.reset();
      base_empty_ = false;
    }
    batch_txns_ = 0;
    return WriteStaged();
  }

  const std::string path_;
  RocksDBTargetOptions opts_;
  int write_threads_ = 1;
  rocksdb::Options options_;
  rocksdb::Options sst_options_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* data_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* marker_cf_ = nullptr;
  rocksdb::WriteOptions no_wal_;
  rocksdb::WriteOptions synced_;
  rocksdb::WriteBatch batch_;
  int batch_txns_ = 0;
  // True while the database is known to hold no pair: deletes then need no
  // tombstone. Read by the partition threads while they apply (never
  // written then).
  bool base_empty_ = false;
  // The digest of the database's pairs, when known without a scan.
  std::optional<StateDigest> digest_;
  std::deque<StagePartition> stage_;
  // Staged bytes a partition may hold before it spills a run.
  uint64_t partition_limit_ = 0;
  BackgroundRelease release_;
  std::atomic<uint64_t> next_file_{0};
  // RocksDBTargetOptions::direct_writes, until the file system refuses it.
  std::atomic<bool> direct_writes_{false};
};

}  // namespace

namespace internal {

rocksdb::Options SstWriterOptions(const rocksdb::Options& db_options) {
  rocksdb::Options o = db_options;
  o.compression = rocksdb::kNoCompression;
  o.bottommost_compression = rocksdb::kDisableCompressionOption;
  rocksdb::BlockBasedTableOptions t;
  t.block_size = 32 << 10;
  t.filter_policy.reset();
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

rocksdb::EnvOptions SstWriterEnvOptions(bool direct) {
  rocksdb::EnvOptions e;
  e.writable_file_max_buffer_size = 4 << 20;
  e.use_direct_writes = direct;
  return e;
}

std::string SstWriterSettingsText(bool direct) {
  return absl::StrCat(
      "SstFileWriter: no compression, 32 KiB blocks, no filter, 4 MiB write "
      "buffer, ",
      direct ? "O_DIRECT writes (buffered where unsupported)"
             : "buffered writes",
      "; one IngestExternalFile call with move_files");
}

}  // namespace internal

absl::StatusOr<std::unique_ptr<StateTarget>> OpenRocksDBTarget(
    std::string_view path, const RocksDBTargetOptions& options) {
  auto target = std::make_unique<RocksDBTarget>(std::string(path), options);
  WAYBACK_RETURN_IF_ERROR(target->Open());
  return std::unique_ptr<StateTarget>(std::move(target));
}

}  // namespace wayback
