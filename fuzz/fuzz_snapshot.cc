// Copyright 2026 The Wayback Authors.
//
// Fuzz target: a snapshot object (in memory storage) through the public
// SnapshotReader: Open, full iteration (keys must come out strictly
// increasing), a range iteration, point lookups and Verify.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wayback/snapshot.h"
#include "wayback/storage.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wayback;
  auto storage = NewMemoryStorage();
  const std::string name = SnapshotObjectName(1, 7);
  (void)storage->WriteAll(
      name, std::string_view(reinterpret_cast<const char*>(data), size));
  auto reader = SnapshotReader::Open(storage.get(), name);
  if (!reader.ok()) return 0;
  std::string prev, first;
  bool have_prev = false;
  auto it = (*reader)->NewIterator();
  std::string_view k, v;
  for (int i = 0; i < 1000000 && it->Next(&k, &v); ++i) {
    if (have_prev && !(prev < std::string(k))) __builtin_trap();
    prev = std::string(k);
    if (!have_prev) first = prev;
    have_prev = true;
  }
  (void)it->status();
  auto range = (*reader)->NewRangeIterator(first, prev);
  while (range->Next(&k, &v)) {
  }
  (void)(*reader)->Get(first);
  (void)(*reader)->Get(prev + "x");
  (void)(*reader)->Verify();
  return 0;
}
