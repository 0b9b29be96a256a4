// Copyright 2026 The Wayback Authors.
//
// Fuzz target: a whole segment object through the public LogReader (header,
// block headers, payload CRCs, zstd, record decoding, footer and index). The
// first input byte chooses how the object is published: as the sealed .seg,
// as the live .live (torn tails allowed or not), or both a sealed segment
// and a live one made of the two halves of the input.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "wayback/log.h"
#include "wayback/storage.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wayback;
  if (size < 1) return 0;
  const uint8_t mode = data[0] % 4;
  std::string_view body(reinterpret_cast<const char*>(data + 1), size - 1);
  auto storage = NewMemoryStorage();
  if (mode == 3) {
    const size_t half = body.size() / 2;
    (void)storage->WriteAll(SegmentObjectName(1, 1, true),
                            body.substr(0, half));
    (void)storage->WriteAll(SegmentObjectName(1, 2, false), body.substr(half));
  } else {
    (void)storage->WriteAll(SegmentObjectName(1, 1, mode == 0), body);
  }
  LogReaderOptions ro;
  ro.allow_torn_tail = mode != 2;
  auto reader = LogReader::Open(storage.get(), ro);
  if (reader.ok()) {
    Lsn prev = 0;
    for (int i = 0; i < 100000; ++i) {
      auto rec = (*reader)->Next();
      if (!rec.ok() || *rec == nullptr) break;
      // A record handed out is dense, and its mutations always iterate.
      if ((*rec)->lsn != prev + 1 && prev != 0) __builtin_trap();
      prev = (*rec)->lsn;
      auto it = (*rec)->mutations();
      MutationView m;
      uint32_t n = 0;
      while (it.Next(&m)) ++n;
      if ((*rec)->type == RecordType::kTransaction &&
          n != (*rec)->mutation_count) {
        __builtin_trap();
      }
    }
  }
  for (const char* name : {"log/00000001-0000000000000001.seg",
                           "log/00000001-0000000000000001.live"}) {
    (void)ReadSegmentInfo(storage.get(), name);
  }
  return 0;
}
