// Copyright 2026 The Wayback Authors.
//
// Regression tests for defects the fuzzers found (fuzz/corpus/*/regression-*
// are replayed by the wayback_replay_* tests; these state the expected
// outcome exactly).

#include <cstdint>
#include <limits>
#include <string>

#include "gtest/gtest.h"
#include "src/log/block.h"
#include "src/util/coding.h"

namespace wayback::reliability {
namespace {

namespace lf = ::wayback::log_format;

// fuzz_record_codec: a block whose commit times span more than INT64_MAX
// (first INT64_MIN, last INT64_MAX) made DecodeRecords compute
// last_commit_time - time in signed arithmetic (undefined behaviour,
// flagged by UBSan in src/log/block.cc). Fixed by computing in uint64_t.
TEST(CodecRegression, CommitTimeSpanBeyondInt64Max) {
  std::string raw;
  raw += std::string(
      "\x02\x00\x00\x01"
      "a",
      5);                           // Restore point "a".
  raw.push_back(2);                 // Restore point "b",
  PutVarint64(&raw, 1);             // next LSN,
  PutVarint64(&raw, ~uint64_t{0});  // 2^64-1 ns later.
  PutLengthPrefixed(&raw, "b");
  lf::BlockHeader h;
  h.record_count = 2;
  h.first_lsn = 1;
  h.last_lsn = 2;
  h.first_commit_time = std::numeric_limits<int64_t>::min();
  h.last_commit_time = std::numeric_limits<int64_t>::max();
  h.raw_size = static_cast<uint32_t>(raw.size());
  lf::DecodedBlock out;
  absl::Status s = lf::DecodeRecords("obj", 0, h, raw, &out);
  ASSERT_TRUE(s.ok()) << s;
  ASSERT_EQ(out.records.size(), 2u);
  EXPECT_EQ(out.records[0].commit_time, std::numeric_limits<int64_t>::min());
  EXPECT_EQ(out.records[1].commit_time, std::numeric_limits<int64_t>::max());
  // One nanosecond more than the span is refused.
  std::string over = raw;
  h.last_commit_time -= 1;
  s = lf::DecodeRecords("obj", 0, h, over, &out);
  EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << s;
}

}  // namespace
}  // namespace wayback::reliability
