// Copyright 2026 The Wayback Authors.
//
// The hash table behind the memory target and the staged RocksDB target.
// Apply speed is the point (the "raw apply ceiling" of `wayback bench
// replay`), and a profile of flat_hash_map<std::string, std::string> showed
// the time going to cache misses: the slot, then the key's heap buffer
// (memcmp), then the value's. So each pair is one heap block, [sizes | key |
// value with spare capacity], and the table is an absl::flat_hash_set of
// pointers to blocks: a lookup touches an 8-byte slot and one block, and an
// overwrite rewrites the value in place unless it outgrows the block (faster
// and smaller than the map of strings: docs/performance.md). The table owns
// its entries: call FreeAll() before dropping it.

#ifndef WAYBACK_SRC_TARGET_PACKED_TABLE_H_
#define WAYBACK_SRC_TARGET_PACKED_TABLE_H_

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "src/util/errors.h"

namespace wayback::internal {

// madvise(MADV_HUGEPAGE) on [p, p + n); does nothing where transparent huge
// pages are off.
inline void AdviseHugePages(void* p, size_t n) {
#ifdef MADV_HUGEPAGE
  madvise(p, n, MADV_HUGEPAGE);
#endif
}

// Faults in every whole page of [p, p + n) with one madvise call
// (MADV_POPULATE_WRITE, Linux 5.14) instead of one page fault per 4 KiB
// page as they are first written: for memory that is about to be filled
// anyway, one call costs less system time than a fault per page
// (docs/performance.md). Does nothing where the kernel lacks it (the pages
// then fault in as before).
inline void PopulatePages(void* p, size_t n) {
#ifndef MADV_POPULATE_WRITE
  constexpr int MADV_POPULATE_WRITE = 23;
#endif
  constexpr uintptr_t kPage = 4096;
  const uintptr_t begin =
      (reinterpret_cast<uintptr_t>(p) + kPage - 1) & ~(kPage - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + n) & ~(kPage - 1);
  if (end > begin) {
    madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_WRITE);
  }
}

// Memory for the memory target's slabs: whole pages from the kernel (mmap),
// faulted in by one call (MAP_POPULATE, as PopulatePages()). Not malloc:
// once glibc has freed a large block it raises its mmap threshold and serves
// the next ones from per-thread heaps, grown with mprotect() and trimmed
// with MADV_DONTNEED, which made a second restore into memory in the same
// process (the benchmark's repetitions) markedly slower. (The staged RocksDB
// target keeps malloc for its 4 MiB chunks: there glibc's reuse of the
// chunks of the previous restore in the process pays, since pages returned
// to the kernel must be faulted in again; figures in docs/performance.md.)
// Throws std::bad_alloc if the kernel refuses.
inline void* MapPages(size_t n) {
  void* p = mmap(nullptr, n, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (p == MAP_FAILED) throw std::bad_alloc();
  return p;
}
// Returns the pages of MapPages(n).
inline void UnmapPages(void* p, size_t n) { munmap(p, n); }

// One key/value pair in one allocation. Capacity for the value is rounded up
// so that overwrites with values of similar size reuse the block.
struct Entry {
  uint32_t key_size;
  uint32_t value_size;
  uint32_t value_capacity;
  // Free for the user of the table (the staged RocksDB target marks
  // tombstones); New() sets it to 0.
  uint8_t flags;
  // Free for the user of the table too: the memory target keeps the pair's
  // state-digest term here (so that an overwrite or delete subtracts it
  // without rehashing the old pair). New() sets it to 0.
  uint64_t hash_low;
  uint64_t hash_high;

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view key() const { return {data(), key_size}; }
  std::string_view value() const { return {data() + key_size, value_size}; }

  static size_t Capacity(size_t value_size) {
    return (value_size + 31) & ~size_t{31};
  }
  static Entry* New(std::string_view key, std::string_view value) {
    const size_t cap = Capacity(value.size());
    auto* e =
        static_cast<Entry*>(std::malloc(sizeof(Entry) + key.size() + cap));
    if (e == nullptr) throw std::bad_alloc();
    e->key_size = static_cast<uint32_t>(key.size());
    e->value_size = static_cast<uint32_t>(value.size());
    e->value_capacity = static_cast<uint32_t>(cap);
    e->flags = 0;
    e->hash_low = 0;
    e->hash_high = 0;
    std::memcpy(e->data(), key.data(), key.size());
    if (!value.empty())
      std::memcpy(e->data() + key.size(), value.data(), value.size());
    return e;
  }
  // Stores a new value; returns the (possibly moved) block.
  static Entry* Assign(Entry* e, std::string_view value) {
    if (value.size() > e->value_capacity) {
      // Grow by at least half, so a value that keeps growing is not
      // reallocated every time.
      const size_t cap = Capacity(std::max<size_t>(
          value.size(), e->value_capacity + e->value_capacity / 2));
      e = static_cast<Entry*>(
          std::realloc(e, sizeof(Entry) + e->key_size + cap));
      if (e == nullptr) throw std::bad_alloc();
      e->value_capacity = static_cast<uint32_t>(cap);
    }
    e->value_size = static_cast<uint32_t>(value.size());
    if (!value.empty())
      std::memcpy(e->data() + e->key_size, value.data(), value.size());
    return e;
  }
};

// A key and its table hash (EntryHash()(key)), for loops that look a key up
// more than once: the staging loops prefetch the probe of a mutation ahead
// and then look its entry up before they apply it, hashing the key once.
struct HashedKey {
  absl::string_view key;
  size_t hash;
};

// A hash alone. It equals every entry, so find() with it returns the first
// slot on the key's probe path whose stored hash bits (7 of them) match,
// without reading an entry: the entry to prefetch for a key about to be
// looked up. For a key in the table that is nearly always its own entry; for
// a new key usually none (about 1 slot in 128 matches by chance). Only for
// prefetching: never to find a key.
struct HashOnly {
  size_t hash;
};

// Transparent hash and equality: look up by key bytes, store Entry*.
struct EntryHash {
  using is_transparent = void;
  size_t operator()(absl::string_view key) const {
    return absl::Hash<absl::string_view>()(key);
  }
  size_t operator()(const Entry* e) const { return (*this)(AV(e->key())); }
  size_t operator()(const HashedKey& k) const { return k.hash; }
  size_t operator()(const HashOnly& k) const { return k.hash; }
};
struct EntryEq {
  using is_transparent = void;
  static absl::string_view K(absl::string_view k) { return k; }
  static absl::string_view K(const Entry* e) { return AV(e->key()); }
  static absl::string_view K(const HashedKey& k) { return k.key; }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return K(a) == K(b);
  }
  template <typename A>
  bool operator()(const A&, const HashOnly&) const {
    return true;
  }
};
// The table's backing array (control bytes and slots) in transparent huge
// pages where it is large: every probe reads it at a random place, and on
// 4 KiB pages that is a TLB miss per probe, on which the prefetches of the
// probes ahead stall (docs/performance.md, "Where the time goes"). The
// array is small next to the entries, so the cost of huge pages the host
// must back first stays small. Smaller arrays use malloc.
template <typename T>
struct TableAllocator {
  using value_type = T;
  static constexpr size_t kHugePage = 2 << 20;
  TableAllocator() = default;
  template <typename U>
  TableAllocator(const TableAllocator<U>&) {}  // NOLINT: rebinding.
  T* allocate(size_t n) {
    const size_t bytes = n * sizeof(T);
    void* p = nullptr;
    if (bytes >= 2 * kHugePage && alignof(T) <= kHugePage) {
      const size_t rounded = (bytes + kHugePage - 1) & ~(kHugePage - 1);
      p = std::aligned_alloc(kHugePage, rounded);
      if (p != nullptr) AdviseHugePages(p, rounded);
    } else {
      p = std::malloc(bytes);
    }
    if (p == nullptr) throw std::bad_alloc();
    return static_cast<T*>(p);
  }
  void deallocate(T* p, size_t) { std::free(p); }
  template <typename U>
  bool operator==(const TableAllocator<U>&) const {
    return true;
  }
  template <typename U>
  bool operator!=(const TableAllocator<U>&) const {
    return false;
  }
};

using Table =
    absl::flat_hash_set<Entry*, EntryHash, EntryEq, TableAllocator<Entry*>>;

// Stores `value` in the entry at `it`, moving the block if it must grow.
inline Entry* AssignValue(Table::iterator it, std::string_view value) {
  Entry* e = *it;
  Entry* moved = Entry::Assign(e, value);
  if (moved != e) {
    // Same key bytes, so the same hash and slot: replacing the pointer in
    // place keeps the table's invariants (the slot is not a const object;
    // the set merely does not offer mutation).
    const_cast<Entry*&>(*it) = moved;
  }
  return moved;
}

// Frees every entry and the table's storage.
inline void FreeAll(Table* table) {
  for (Entry* e : *table) std::free(e);
  Table().swap(*table);
}

// Entries sorted by key (for ForEach and SST writing).
inline std::vector<const Entry*> SortedEntries(const Table* const* tables,
                                               size_t n) {
  std::vector<const Entry*> out;
  size_t total = 0;
  for (size_t i = 0; i < n; ++i) total += tables[i]->size();
  out.reserve(total);
  for (size_t i = 0; i < n; ++i) {
    for (const Entry* e : *tables[i]) out.push_back(e);
  }
  std::sort(out.begin(), out.end(),
            [](const Entry* a, const Entry* b) { return a->key() < b->key(); });
  return out;
}

}  // namespace wayback::internal

#endif  // WAYBACK_SRC_TARGET_PACKED_TABLE_H_
