// Copyright 2026 The Wayback Authors.
//
// Fuzz target: the transaction record codec (DecodeRecords over a block's
// decoded bytes). Input: 4 bytes record count, 8 bytes first LSN, 8 bytes
// first commit time, 8 bytes last commit time, then the raw records, decoded
// as segment format v1 and as v2 (records without the block's source
// position flag). Every record the decoder accepts must iterate its
// mutations exactly, and must re-encode to the same bytes.

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "src/log/block.h"
#include "src/util/coding.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace wayback;
  namespace lf = wayback::log_format;
  if (size < 28) return 0;
  const char* p = reinterpret_cast<const char*>(data);
  lf::BlockHeader h;
  h.record_count = DecodeFixed32(p) % 4096;
  h.first_lsn = DecodeFixed64(p + 4) % (uint64_t{1} << 40) + 1;
  h.last_lsn = h.first_lsn + (h.record_count == 0 ? 0 : h.record_count - 1);
  h.first_commit_time = static_cast<CommitTime>(DecodeFixed64(p + 12));
  h.last_commit_time = static_cast<CommitTime>(DecodeFixed64(p + 20));
  // DecodeBlockHeader guarantees this before DecodeRecords runs.
  if (h.last_commit_time < h.first_commit_time) return 0;
  std::string_view raw(p + 28, size - 28);
  h.raw_size = static_cast<uint32_t>(raw.size());
  for (uint32_t version : {lf::kFormatVersion1, lf::kFormatVersion2}) {
    h.format_version = version;
    // What DecodeBlockHeader checks for v2 blocks of ordered segments.
    h.min_commit_time = h.first_commit_time;
    h.max_commit_time = h.last_commit_time;
    lf::DecodedBlock out;
    if (!lf::DecodeRecords("fuzz", 0, h, raw, &out).ok()) continue;
    if (out.records.size() != h.record_count) __builtin_trap();
    std::string again;
    Lsn prev_lsn = 0;
    CommitTime prev_time = h.first_commit_time;
    for (size_t i = 0; i < out.records.size(); ++i) {
      const LogRecord& r = out.records[i];
      const Lsn dl = i == 0 ? 0 : r.lsn - prev_lsn;
      const CommitTime dt =
          static_cast<CommitTime>(static_cast<uint64_t>(r.commit_time) -
                                  static_cast<uint64_t>(prev_time));
      if (version == lf::kFormatVersion1 && r.source_position) {
        __builtin_trap();
      }
      if (r.type == RecordType::kTransaction) {
        Transaction t = r.ToTransaction();
        if (t.mutations.size() != r.mutation_count) __builtin_trap();
        if (version == lf::kFormatVersion1) {
          lf::EncodeTransactionRecord(dl, dt, t, &again);
        } else {
          lf::EncodeTransactionRecordV2(dl, dt, t, &again);
        }
      } else if (version == lf::kFormatVersion1) {
        lf::EncodeRestorePointRecord(dl, dt, r.restore_point_name, &again);
      } else {
        lf::EncodeRestorePointRecordV2(dl, dt, r.restore_point_name,
                                       r.source_position, &again);
      }
      prev_lsn = r.lsn;
      prev_time = r.commit_time;
    }
    // Varints have one canonical form in the writer; the reader may accept
    // non-minimal ones, so only a same-length re-encoding must match.
    if (again.size() == raw.size() && again != raw) __builtin_trap();
  }
  return 0;
}
