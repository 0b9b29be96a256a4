// Copyright 2026 The Wayback Authors.
//
// Fuzz target: a snapshot object (in memory storage) through the public
// SnapshotReader: Open, full iteration (keys must come out strictly
// increasing), a range iteration, point lookups and Verify. The same bytes
// are also opened under a delta's name (format v2: deltas, with deletes)
// and as a chain over an empty full snapshot.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wayback/snapshot.h"
#include "wayback/storage.h"

namespace {

// Everything a reader can be asked; traps if keys come out of order.
void Exercise(wayback::SnapshotReader* reader) {
  std::string prev, first;
  bool have_prev = false;
  auto it = reader->NewIterator();
  std::string_view k, v;
  for (int i = 0; i < 1000000 && it->Next(&k, &v); ++i) {
    if (have_prev && !(prev < std::string(k))) __builtin_trap();
    if (it->deleted() && !v.empty()) __builtin_trap();
    prev = std::string(k);
    if (!have_prev) first = prev;
    have_prev = true;
  }
  (void)it->status();
  auto range = reader->NewRangeIterator(first, prev);
  while (range->Next(&k, &v)) {
  }
  (void)reader->Get(first);
  (void)reader->Get(prev + "x");
  (void)reader->Verify();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wayback;
  auto storage = NewMemoryStorage();
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const std::string name = SnapshotObjectName(1, 7);
  (void)storage->WriteAll(name, bytes);
  if (auto reader = SnapshotReader::Open(storage.get(), name); reader.ok()) {
    Exercise(reader->get());
  }
  // As a delta of timeline 1 at LSN 7, alone and over an empty base at LSN 1
  // (the chain refuses it unless its base reference names that base).
  const std::string delta =
      SnapshotObjectName(SnapshotName{1, 7, SnapshotKind::kDelta, 0});
  (void)storage->WriteAll(delta, bytes);
  if (auto reader = SnapshotReader::Open(storage.get(), delta); reader.ok()) {
    Exercise(reader->get());
  }
  SnapshotWriterOptions empty;
  empty.timeline = 1;
  empty.lsn = 1;
  auto base =
      WriteSnapshot(storage.get(), empty,
                    [](std::string_view*, std::string_view*) { return false; });
  if (!base.ok()) __builtin_trap();
  if (auto chain = OpenSnapshotChain(storage.get(), {base->name, delta});
      chain.ok()) {
    Exercise(chain->get());
  }
  return 0;
}
