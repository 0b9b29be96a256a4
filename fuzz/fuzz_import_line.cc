// Copyright 2026 The Wayback Authors.
//
// Fuzz target: one line of a JSONL import (ParseImportLine). Any input is
// either an event or kInvalidArgument; never a crash or another code.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/workload/workload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto r = wayback::ParseImportLine(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (!r.ok() && r.status().code() != absl::StatusCode::kInvalidArgument) {
    __builtin_trap();
  }
  return 0;
}
