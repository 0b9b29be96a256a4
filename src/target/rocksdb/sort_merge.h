// Copyright 2026 The Wayback Authors.
//
// Sorting staged entries by key, and the k-way merge that writes a key range
// from the partitions' sorted entries and their spilled runs.
//
// The sort is a radix sort over key slices: std::sort over Entry pointers
// would compare through two pointers per comparison, a cache miss each on a
// table much larger than the caches. Instead each entry's key is loaded as a
// 40-byte big-endian slice held inline (five 8-byte chunks), one slice
// position at a time, most significant first: each level touches each entry
// once, and only groups whose keys agree so far descend to the next slice.
// The first slice starts after the prefix every staged key shares (tracked
// as keys are staged, so finding it costs no pass), so that typical keys
// sort in one level. Why 40 bytes and not fewer: docs/performance.md.

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_SORT_MERGE_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_SORT_MERGE_H_

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "src/target/packed_table.h"
#include "src/target/rocksdb/run_file.h"
#include "wayback/status.h"

namespace wayback::rocksdb_internal {

using internal::Entry;
using internal::Table;

inline constexpr size_t kSliceBytes = 40;
inline constexpr int kChunks = kSliceBytes / 8;

// One entry to sort, with the slice of its key that the current level
// compares.
struct SortItem {
  uint64_t chunk[kChunks];  // Key bytes [from, from + 40), big-endian,
                            // 0-padded.
  uint32_t rest;   // Key bytes from `from` on, capped at 41 (41: continues
                   // past the slice).
  uint32_t range;  // Free for the caller (the staged writer's key range).
  const Entry* e;
};

inline uint64_t BigEndian64(const unsigned char* b) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | b[i];
  return v;
}

// Loads the slice of `key` that starts at byte `from` into `it`. Inline:
// called per entry.
inline void LoadSlice(std::string_view key, size_t from, SortItem* it) {
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

// Sorts [begin, end) by key, given that every key agrees on its first `from`
// bytes and the slices at `from` are loaded already.
void SortLoaded(SortItem* begin, SortItem* end, size_t from);
// Loads the slices at `from` of [begin, end), then sorts them.
void SortItems(SortItem* begin, SortItem* end, size_t from);
// The table's entries in key order; every key starts with the same `common`
// bytes.
std::vector<SortItem> SortedEntries(const Table& table, size_t common);

// The table's entries grouped by the 4 MiB block of the address space they
// are in (a counting sort on address bits 22-33), in the table's order
// within a block. A pass that reads every entry once goes faster in this
// order than in the table's (hash) order: the entries are scattered over
// many pages, and in hash order nearly every read also misses the TLB,
// whose page walk holds up the prefetches behind it.
std::vector<const Entry*> ByAddress(const Table& table);

// Bytes at the start of `a` and `b` that are equal.
size_t CommonPrefix(std::string_view a, std::string_view b);

// One input of a range merge: a slice of a partition's sorted entries, or a
// run read from its start key up to (not including) the range's end.
// Advance() before the first use; then valid() says whether key(), value()
// and flags() describe an entry (views valid until the next Advance()).
// Inline: the merge advances one source per entry written.
class MergeSource {
 public:
  MergeSource(const SortItem* begin, const SortItem* end)
      : it_(begin), end_(end) {}
  // `run` positioned already (RunReader::SeekTo()); nullopt `limit`: to the
  // run's end.
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

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_SORT_MERGE_H_
