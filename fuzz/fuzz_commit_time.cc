// Copyright 2026 The Wayback Authors.
//
// Fuzz target: ParseCommitTime. Accepted text must format back to a string
// that parses to the same instant; refused text is kInvalidArgument.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "wayback/recovery.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto t = wayback::ParseCommitTime(
      std::string_view(reinterpret_cast<const char*>(data), size));
  if (!t.ok()) {
    if (t.status().code() != absl::StatusCode::kInvalidArgument)
      __builtin_trap();
    return 0;
  }
  auto again = wayback::ParseCommitTime(wayback::FormatCommitTime(*t));
  if (!again.ok() || *again != *t) __builtin_trap();
  return 0;
}
