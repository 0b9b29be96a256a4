// Copyright 2026 The Wayback Authors.
//
// The content of the golden segments tests/data/golden_v1_*.seg, defined in
// code: golden_gen writes it once with the format-v1 writer, and
// golden_test checks that the committed files still read back as exactly
// this. Never change this content; add new golden files instead.

#ifndef WAYBACK_TESTS_LOG_GOLDEN_H_
#define WAYBACK_TESTS_LOG_GOLDEN_H_

#include <string>
#include <vector>

#include "tests/log/log_test_util.h"

namespace wayback::testing {

inline constexpr CommitTime kGoldenT0 =
    1'767'225'600'000'000'000;  // 2026-01-01Z
// Records 1..kGoldenSealedLast are in the sealed segment, the rest in the
// live one.
inline constexpr Lsn kGoldenSealedLast = 30;
inline constexpr Lsn kGoldenLast = 40;

inline std::vector<OwnedRecord> GoldenRecords() {
  std::vector<OwnedRecord> out;
  for (Lsn lsn = 1; lsn <= kGoldenLast; ++lsn) {
    OwnedRecord r;
    r.lsn = lsn;
    // Ties every third record; strictly increasing otherwise.
    r.commit_time =
        kGoldenT0 + static_cast<CommitTime>((lsn - lsn / 3) * 1'000'003);
    if (lsn % 11 == 0) {
      r.type = RecordType::kRestorePoint;
      r.restore_point_name = "golden-rp-" + std::to_string(lsn);
      out.push_back(r);
      continue;
    }
    if (lsn % 2 == 0) r.txid = 1'000'000'000'000ull * lsn + 7;
    const int n = static_cast<int>(lsn % 5);  // 0 to 4 mutations.
    for (int i = 0; i < n; ++i) {
      std::string key = "patient/" + std::to_string(100000 + lsn) + "/enc/" +
                        std::to_string(i);
      if (i == 1) key += std::string("\0\xff\x01", 3);  // Binary key bytes.
      if ((lsn + i) % 4 == 0) {
        r.mutations.push_back({MutationType::kDelete, key, ""});
      } else {
        std::string value;
        if ((lsn + i) % 7 != 0) {  // Else an empty value.
          value = "{\"lsn\":" + std::to_string(lsn) +
                  ",\"i\":" + std::to_string(i) + ",\"note\":\"" +
                  std::string(static_cast<size_t>(lsn * 3 % 50), 'x') + "\"}";
        }
        r.mutations.push_back({MutationType::kPut, key, value});
      }
    }
    out.push_back(r);
  }
  return out;
}

// Format v2 (tests/data/golden_v2_sealed.seg, golden_v2_live.seg): the same
// records, most of them with a source position (gaps between positions, a
// run without any, restore points with and without), written by the v2
// writer into a repository whose id is kGoldenRepositoryId.
inline constexpr char kGoldenRepositoryId[] =
    "00112233445566778899aabbccddeeff";
inline std::vector<OwnedRecord> GoldenV2Records() {
  std::vector<OwnedRecord> out = GoldenRecords();
  for (OwnedRecord& r : out) {
    if (r.lsn % 4 == 3 || (r.lsn >= 13 && r.lsn <= 16)) continue;
    // Large enough for multi-byte varints; strictly increasing.
    r.source_position = 0x1234'5600ull + r.lsn * 37;
  }
  return out;
}

inline std::string GoldenSealedName() { return SegmentObjectName(1, 1, true); }
inline std::string GoldenLiveName() {
  return SegmentObjectName(1, kGoldenSealedLast + 1, false);
}

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_LOG_GOLDEN_H_
