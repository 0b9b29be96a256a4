// Copyright 2026 The Wayback Authors.
//
// CRC32C (Castagnoli), with the SSE4.2 instruction where the CPU has it and a
// portable table-driven fallback. Masked as leveldb does, so that a CRC stored
// next to the data it covers does not checksum to a trivial value.

#ifndef WAYBACK_SRC_UTIL_CRC32C_H_
#define WAYBACK_SRC_UTIL_CRC32C_H_

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace wayback::crc32c {

// Returns the CRC32C of concat(A, data[0,n)) where init_crc is the CRC32C of A.
uint32_t Extend(uint32_t init_crc, const char* data, size_t n);
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view s) { return Extend(0, s.data(), s.size()); }

// The portable implementation (exposed for tests and benchmarks).
uint32_t ExtendPortable(uint32_t init_crc, const char* data, size_t n);
// True if Extend() uses the SSE4.2 instruction on this CPU.
bool HardwareAccelerated();

inline constexpr uint32_t kMaskDelta = 0xa282ead8ul;
inline uint32_t Mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return ((rot >> 17) | (rot << 15));
}

}  // namespace wayback::crc32c

#endif  // WAYBACK_SRC_UTIL_CRC32C_H_
