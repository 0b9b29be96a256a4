// Copyright 2026 The Wayback Authors.
//
// The staged state of a RocksDB target: one StagePartition per key
// partition, each a packed hash table (packed_table.h) of the final value of
// every key its apply thread has seen, its entries in an arena, and the
// sorted runs it spilled when it outgrew its share of the memory bound.
//
// Memory: entries are bump-allocated from the partition's arena, released
// all at once; an overwrite that outgrows its block takes a new one, and the
// old block waits in the partition's free blocks for a new entry of its size
// (every new arena page costs a page fault). The arena's bytes, all counted
// in the memory bound, never shrink; a partition that spills a run rewinds
// its arena and fills the same chunks again rather than return them to the
// kernel and fault fresh pages in. At the end, BackgroundRelease frees the
// memory on a thread of its own, off the restore's critical path.
//
// Thread-safety: a partition is used by one thread at a time.

#ifndef WAYBACK_SRC_TARGET_ROCKSDB_STAGING_H_
#define WAYBACK_SRC_TARGET_ROCKSDB_STAGING_H_

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "src/target/packed_table.h"
#include "src/target/rocksdb/run_file.h"
#include "src/target/rocksdb/scratch_dir.h"
#include "src/target/rocksdb/sort_merge.h"
#include "src/util/errors.h"
#include "wayback/types.h"

namespace wayback::rocksdb_internal {

// Bump allocation from chunks, released all at once.
class Arena {
 public:
  Arena() = default;
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;
  ~Arena() { Release(); }
  // Chunks of `chunk` bytes (small bounds want small chunks). Default:
  // 4 MiB.
  void set_chunk(size_t chunk) { chunk_ = chunk; }
  // `n` bytes (rounded up to 8), 8-aligned. Throws std::bad_alloc if the
  // memory is not there.
  void* Allocate(size_t n) {
    n = (n + 7) & ~size_t{7};
    if (n > left_) NextChunk(n);
    void* p = next_;
    next_ += n;
    left_ -= n;
    return p;
  }
  // Forgets every allocation but keeps the chunks for the next ones.
  void Rewind();
  // Forgets every allocation and frees the chunks.
  void Release();
  // Hands over the chunks (to be std::free()d by the caller) and empties
  // the arena.
  std::vector<char*> TakeChunks();
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
  void NextChunk(size_t n);

  size_t chunk_ = 4 << 20;
  std::vector<Chunk> chunks_;
  size_t used_ = 0;  // chunks_[0, used_) have been handed out from.
  char* next_ = nullptr;
  size_t left_ = 0;
  uint64_t bytes_ = 0;
};

// Bytes of an entry's block (the arena rounds to 8).
inline size_t EntryBlockSize(size_t key_size, size_t value_capacity) {
  return (sizeof(internal::Entry) + key_size + value_capacity + 7) & ~size_t{7};
}

// Fills `block` (at least EntryBlockSize(key, Capacity(value)) bytes) with
// the pair.
inline internal::Entry* InitEntry(void* block, std::string_view key,
                                  std::string_view value, uint8_t flags) {
  const size_t cap = internal::Entry::Capacity(value.size());
  auto* e = static_cast<internal::Entry*>(block);
  e->key_size = static_cast<uint32_t>(key.size());
  e->value_size = static_cast<uint32_t>(value.size());
  e->value_capacity = static_cast<uint32_t>(cap);
  e->flags = flags;
  std::memcpy(e->data(), key.data(), key.size());
  if (!value.empty()) {
    std::memcpy(e->data() + key.size(), value.data(), value.size());
  }
  return e;
}

// One key partition's staged state.
struct alignas(64) StagePartition {
  internal::Table table;  // Entries live in `arena`.
  Arena arena;
  uint64_t bytes = 0;     // Arena bytes + table slots.
  uint64_t limit = 0;     // `bytes` beyond which Stage() spills a run.
  std::vector<Run> runs;  // Spilled sorted runs, oldest first.
  // Blocks of entries that left the table (replaced by a larger value, or
  // erased), by size in 8-byte units: a new entry of exactly that size
  // reuses one instead of fresh arena memory.
  static constexpr size_t kFreeClasses = 512;  // Blocks up to 4 KiB.
  std::vector<std::vector<void*>> free_blocks;
  // The prefix shared by every key staged since Reset() (in the table or in
  // a run): first_key[0, common). The sort skips it.
  std::string first_key;
  size_t common = 0;
  bool seen = false;

  StagePartition() = default;
  StagePartition(const StagePartition&) = delete;
  StagePartition& operator=(const StagePartition&) = delete;
  ~StagePartition() { Reset(); }

  // Stages one mutation: the key's entry now holds the put value, or is a
  // tombstone, or (a delete when nothing older may hold the key:
  // `base_empty` and no run) is gone. Spills a run into `scratch` when the
  // partition exceeds `limit`. `key` is m.key with its table hash. Inline:
  // the hot path of a staged restore, one call per mutation.
  absl::Status Stage(const MutationView& m, const internal::HashedKey& key,
                     bool base_empty, ScratchDir* scratch) {
    const bool del = m.type == MutationType::kDelete;
    if (del && base_empty && runs.empty()) {
      // Nothing older to hide: forget the key (its block goes to the free
      // blocks).
      auto it = table.find(key);
      if (it != table.end()) {
        internal::Entry* e = *it;
        table.erase(it);
        FreeEntry(e);
      }
      return absl::OkStatus();
    }
    const std::string_view value = del ? std::string_view() : m.value;
    const uint8_t flags = del ? kTombstone : 0;
    bool inserted = false;
    auto it = table.lazy_emplace(key, [&](const auto& ctor) {
      inserted = true;
      NoteKey(m.key);
      ctor(NewEntry(m.key, value, flags));
    });
    if (!inserted) {
      internal::Entry* e = *it;
      if (value.size() <= e->value_capacity) {
        e->value_size = static_cast<uint32_t>(value.size());
        if (!value.empty()) {
          std::memcpy(e->data() + e->key_size, value.data(), value.size());
        }
        e->flags = flags;
      } else {
        // Same key bytes, so the same hash and slot: replacing the pointer
        // in place keeps the table's invariants.
        const_cast<internal::Entry*&>(*it) = NewEntry(m.key, value, flags);
        FreeEntry(e);
      }
    }
    bytes = arena.bytes() + table.capacity() * (sizeof(internal::Entry*) + 1);
    if (bytes > limit) return SpillRun(base_empty, scratch);
    return absl::OkStatus();
  }
  // Stage() with the key hashed here.
  absl::Status Stage(const MutationView& m, bool base_empty,
                     ScratchDir* scratch) {
    return Stage(
        m, internal::HashedKey{AV(m.key), table.hash_function()(AV(m.key))},
        base_empty, scratch);
  }

  // Writes the table as a sorted run file in `scratch` and empties it
  // (tombstones are dropped when nothing older may hold their keys:
  // `base_empty` and no earlier run). Keeps the arena's chunks and sizes
  // the table for as many keys again.
  absl::Status SpillRun(bool base_empty, ScratchDir* scratch);

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
  internal::Entry* NewEntry(std::string_view key, std::string_view value,
                            uint8_t flags) {
    const size_t n =
        EntryBlockSize(key.size(), internal::Entry::Capacity(value.size()));
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
  void FreeEntry(internal::Entry* e) {
    const size_t n = EntryBlockSize(e->key_size, e->value_capacity);
    if (n / 8 >= kFreeClasses) return;
    if (free_blocks.empty()) free_blocks.resize(kFreeClasses);
    free_blocks[n / 8].push_back(e);
  }

  // Drops everything: table, memory, run files.
  void Reset();
  bool empty() const { return table.empty() && runs.empty(); }
};

// Frees the memory of staged partitions on a thread of its own (unmapping a
// large staged state is slow, and a restore need not wait for it).
class BackgroundRelease {
 public:
  BackgroundRelease() = default;
  BackgroundRelease(const BackgroundRelease&) = delete;
  BackgroundRelease& operator=(const BackgroundRelease&) = delete;
  ~BackgroundRelease() { Wait(); }

  // Empties the partitions now (their run files are removed at once) and
  // frees their memory in the background.
  void Release(std::deque<StagePartition>* parts);
  // Returns once the memory of the last Release() is freed.
  void Wait() {
    if (thread_.joinable()) thread_.join();
  }

 private:
  std::thread thread_;
};

}  // namespace wayback::rocksdb_internal

#endif  // WAYBACK_SRC_TARGET_ROCKSDB_STAGING_H_
