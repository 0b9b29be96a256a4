// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/sort_merge.h"

#include <cstdint>

namespace wayback::rocksdb_internal {

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

std::vector<SortItem> SortedEntries(const Table& table, size_t common) {
  std::vector<SortItem> items;
  items.reserve(table.size());
  for (const Entry* e : table) items.push_back({{}, 0, 0, e});
  SortItems(items.data(), items.data() + items.size(), common);
  return items;
}

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

size_t CommonPrefix(std::string_view a, std::string_view b) {
  const size_t n = std::min(a.size(), b.size());
  size_t i = 0;
  while (i < n && a[i] == b[i]) ++i;
  return i;
}

}  // namespace wayback::rocksdb_internal
