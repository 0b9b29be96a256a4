// Copyright 2026 The Wayback Authors.
//
// Helpers for the snapshot tests: a model of a snapshot's contents, an
// independent implementation of the state digest (straight from the spec,
// sharing no code with src/util/digest.cc), and byte surgery.

#ifndef WAYBACK_TESTS_SNAPSHOT_SNAPSHOT_TEST_UTIL_H_
#define WAYBACK_TESTS_SNAPSHOT_SNAPSHOT_TEST_UTIL_H_

#include <xxhash.h>

#include <cstdint>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "gtest/gtest.h"
#include "src/storage/repository_format.h"
#include "src/util/compression.h"
#include "src/util/crc32c.h"
#include "wayback/repository_identity.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"

namespace wayback::testing {

using Pairs = std::vector<std::pair<std::string, std::string>>;

// The state digest as snapshot_format.md defines it, computed from scratch:
// sum mod 2^128 of XXH3-128(varint64(len(key)) || key || value), plus count.
inline StateDigest IndependentDigest(const Pairs& pairs) {
  unsigned __int128 sum = 0;
  for (const auto& [k, v] : pairs) {
    std::string buf;
    uint64_t n = k.size();
    do {
      unsigned char byte = n & 0x7f;
      n >>= 7;
      if (n != 0) byte |= 0x80;
      buf.push_back(static_cast<char>(byte));
    } while (n != 0);
    buf += k;
    buf += v;
    XXH128_hash_t h = XXH3_128bits(buf.data(), buf.size());
    sum += (static_cast<unsigned __int128>(h.high64) << 64) | h.low64;
  }
  StateDigest d;
  d.sum_low = static_cast<uint64_t>(sum);
  d.sum_high = static_cast<uint64_t>(sum >> 64);
  d.count = pairs.size();
  return d;
}

// Writes `pairs` (already sorted) as a snapshot.
inline absl::StatusOr<SnapshotInfo> WritePairs(
    Storage* storage, const SnapshotWriterOptions& options,
    const Pairs& pairs) {
  size_t i = 0;
  return WriteSnapshot(storage, options,
                       [&](std::string_view* k, std::string_view* v) {
                         if (i == pairs.size()) return false;
                         *k = pairs[i].first;
                         *v = pairs[i].second;
                         ++i;
                         return true;
                       });
}

// Drains an iterator into owned pairs; returns its final status.
inline absl::Status Drain(SnapshotIterator* it, Pairs* out) {
  std::string_view k, v;
  while (it->Next(&k, &v)) out->emplace_back(std::string(k), std::string(v));
  return it->status();
}

// Random sorted unique pairs with binary keys of 1..max_key bytes.
inline Pairs RandomPairs(uint32_t seed, size_t n, size_t max_key,
                         size_t max_value) {
  std::mt19937_64 rng(seed);
  std::map<std::string, std::string> m;
  while (m.size() < n) {
    std::string k(1 + rng() % max_key, '\0');
    for (char& c : k) c = static_cast<char>(rng());
    std::string v(rng() % (max_value + 1), '\0');
    for (char& c : v) c = static_cast<char>('a' + rng() % 26);
    m[k] = v;
  }
  return Pairs(m.begin(), m.end());
}

// Replaces an object's bytes (byte surgery).
inline void Overwrite(Storage* storage, const std::string& name,
                      std::string_view bytes) {
  ASSERT_TRUE(storage->Delete(name).ok());
  ASSERT_TRUE(storage->WriteAll(name, bytes).ok());
}

inline uint32_t Fixed32At(const std::string& s, size_t off) {
  uint32_t v;
  std::memcpy(&v, s.data() + off, 4);
  return v;
}
inline uint64_t Fixed64At(const std::string& s, size_t off) {
  uint64_t v;
  std::memcpy(&v, s.data() + off, 8);
  return v;
}
inline void SetFixed32(std::string* s, size_t off, uint32_t v) {
  std::memcpy(s->data() + off, &v, 4);
}
inline void SetFixed64(std::string* s, size_t off, uint64_t v) {
  std::memcpy(s->data() + off, &v, 8);
}

// Recomputes the header / footer CRC after an edit (to reach the checks
// behind the CRC).
inline void FixHeaderCrc(std::string* s) {
  SetFixed32(s, 92, crc32c::Mask(crc32c::Value(s->data(), 92)));
}
inline void FixFooterCrc(std::string* s) {
  size_t f = s->size() - 104;
  SetFixed32(s, f + 92, crc32c::Mask(crc32c::Value(s->data() + f, 92)));
}
// Recomputes the CRC of the block whose header is at `off`.
inline void FixBlockCrc(std::string* s, size_t off) {
  uint32_t compressed = Fixed32At(*s, off + 4);
  uint32_t crc = crc32c::Value(s->data() + off + 4, 12 + compressed);
  SetFixed32(s, off, crc32c::Mask(crc));
}

// ---- Version 2 ----

// The repository id of the V2.11 worked example and of the v2 golden files.
inline constexpr char kTestRepositoryIdHex[] =
    "00112233445566778899aabbccddeeff";

// Gives `storage` a repository identity object (version 2 needs one).
inline void WriteIdentity(Storage* storage,
                          const std::string& hex = kTestRepositoryIdHex) {
  RepositoryIdentity id;
  id.id = hex;
  id.created = 1;
  (void)storage->Delete(kIdentityObjectName);
  ASSERT_TRUE(
      storage->WriteAll(kIdentityObjectName, repository_format::Encode(id))
          .ok());
}

inline uint32_t MaskedCrc(const std::string& s, size_t from, size_t n) {
  return crc32c::Mask(crc32c::Value(s.data() + from, n));
}
// Recomputes both v2 header CRCs (the prefix CRC first: the header CRC
// covers it).
inline void FixHeaderCrcsV2(std::string* s) {
  SetFixed32(s, 92, MaskedCrc(*s, 0, 92));
  SetFixed32(s, 156, MaskedCrc(*s, 0, 156));
}
inline void FixFooterCrcV2(std::string* s) {
  const size_t f = s->size() - 192;
  SetFixed32(s, f + 180, MaskedCrc(*s, f, 180));
}
// Recomputes the payload CRC, then the header CRC, of the 40-byte frame at
// `off`.
inline void FixFrameCrcs(std::string* s, size_t off) {
  const uint32_t stored = Fixed32At(*s, off + 8);
  SetFixed32(s, off + 4, MaskedCrc(*s, off + 40, stored));
  SetFixed32(s, off, MaskedCrc(*s, off + 4, 36));
}
// The v2 footer's index offset.
inline size_t IndexOffsetV2(const std::string& s) {
  return static_cast<size_t>(Fixed64At(s, s.size() - 192 + 56));
}

// Rewrites the v2 index frame of `*s` with its content edited by `edit`
// (stored as is, codec none), and fixes the frame's CRCs, the footer's index
// size and its CRC: a forgery only the digests can catch.
template <typename Edit>
void ForgeIndexContent(std::string* s, Edit edit) {
  const size_t footer = s->size() - 192;
  const size_t index = IndexOffsetV2(*s);
  const uint32_t stored = Fixed32At(*s, index + 8);
  const uint32_t raw = Fixed32At(*s, index + 12);
  std::string content(raw, '\0');
  if ((*s)[index + 20] == 1) {
    ZstdDecompressor zstd;
    ASSERT_TRUE(
        zstd.Decompress(std::string_view(s->data() + index + 40, stored),
                        content.data(), raw)
            .ok());
  } else {
    content.assign(*s, index + 40, raw);
  }
  edit(&content);
  std::string out = s->substr(0, index + 40) + content + s->substr(footer);
  out[index + 20] = 2;
  SetFixed32(&out, index + 8, raw);
  FixFrameCrcs(&out, index);
  const size_t new_footer = out.size() - 192;
  SetFixed64(&out, new_footer + 64, 40 + raw);
  FixFooterCrcV2(&out);
  *s = std::move(out);
}

// A reader that reports `info` but reads `content` (not owned): a base that
// claims another depth, or another object's identity, for a delta writer.
class ClaimingReader : public SnapshotReader {
 public:
  ClaimingReader(SnapshotInfo info, SnapshotReader* content)
      : info_(std::move(info)), content_(content) {}
  const SnapshotInfo& info() const override { return info_; }
  std::unique_ptr<SnapshotIterator> NewIterator() override {
    return content_->NewIterator();
  }
  std::unique_ptr<SnapshotIterator> NewRangeIterator(
      std::string_view b, std::string_view e) override {
    return content_->NewRangeIterator(b, e);
  }
  absl::StatusOr<std::optional<std::string>> Get(std::string_view k) override {
    return content_->Get(k);
  }
  absl::Status Verify() override { return content_->Verify(); }

 private:
  SnapshotInfo info_;
  SnapshotReader* content_;
};

// Opens `names` as a chain and drains a full iteration.
inline absl::Status DrainChain(Storage* storage,
                               const std::vector<std::string>& names,
                               Pairs* out) {
  auto chain = OpenSnapshotChain(storage, names);
  if (!chain.ok()) return chain.status();
  return Drain((*chain)->NewIterator().get(), out);
}

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_SNAPSHOT_SNAPSHOT_TEST_UTIL_H_
