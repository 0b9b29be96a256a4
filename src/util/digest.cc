// Copyright 2026 The Wayback Authors.
//
// The state digest (specified in src/snapshot/snapshot_format.md): the sum mod
// 2^128 of XXH3-128 over varint64(key length) || key || value, for every live
// pair, with the pair count.

#define XXH_STATIC_LINKING_ONLY  // XXH3_state_t on the stack.
#include "src/util/digest.h"

#include <xxhash.h>

#include <cstring>

#include "absl/strings/str_format.h"
#include "src/util/coding.h"
#include "wayback/types.h"

namespace wayback {

namespace {
constexpr size_t kStackHash = 4096;
}  // namespace

DigestTerm PairDigestTerm(std::string_view key, std::string_view value) {
  char len[10];
  const size_t n = EncodeVarint64(len, key.size()) - len;
  const size_t total = n + key.size() + value.size();
  XXH128_hash_t h;
  if (total <= kStackHash) {
    char buf[kStackHash];
    std::memcpy(buf, len, n);
    std::memcpy(buf + n, key.data(), key.size());
    if (!value.empty()) {
      std::memcpy(buf + n + key.size(), value.data(), value.size());
    }
    h = XXH3_128bits(buf, total);
  } else {
    XXH3_state_t state;
    XXH3_128bits_reset(&state);
    XXH3_128bits_update(&state, len, n);
    XXH3_128bits_update(&state, key.data(), key.size());
    XXH3_128bits_update(&state, value.data(), value.size());
    h = XXH3_128bits_digest(&state);
  }
  return DigestTerm{h.low64, h.high64};
}

void StateDigest::Add(std::string_view key, std::string_view value) {
  const DigestTerm h = PairDigestTerm(key, value);
  unsigned __int128 sum =
      (static_cast<unsigned __int128>(sum_high) << 64) | sum_low;
  sum += (static_cast<unsigned __int128>(h.high) << 64) | h.low;
  sum_low = static_cast<uint64_t>(sum);
  sum_high = static_cast<uint64_t>(sum >> 64);
  ++count;
}

void StateDigest::Remove(std::string_view key, std::string_view value) {
  const DigestTerm h = PairDigestTerm(key, value);
  unsigned __int128 sum =
      (static_cast<unsigned __int128>(sum_high) << 64) | sum_low;
  sum -= (static_cast<unsigned __int128>(h.high) << 64) | h.low;
  sum_low = static_cast<uint64_t>(sum);
  sum_high = static_cast<uint64_t>(sum >> 64);
  --count;
}

void StateDigest::Merge(const StateDigest& other) {
  unsigned __int128 a =
      (static_cast<unsigned __int128>(sum_high) << 64) | sum_low;
  unsigned __int128 b =
      (static_cast<unsigned __int128>(other.sum_high) << 64) | other.sum_low;
  a += b;
  sum_low = static_cast<uint64_t>(a);
  sum_high = static_cast<uint64_t>(a >> 64);
  count += other.count;
}

std::string StateDigest::ToString() const {
  return absl::StrFormat("%016x%016x:%d", sum_high, sum_low, count);
}

}  // namespace wayback
