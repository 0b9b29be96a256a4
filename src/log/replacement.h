// Copyright 2026 The Wayback Authors.
//
// Replacement segments (segment_format.md, V2.2 and V2.11): one sealed v2
// segment of generation G >= 1 holding exactly the records of a run of
// consecutive segments, re-encoded through the writer's BlockBuilder (same
// LSNs, commit times, txids, source positions and mutations; new block
// boundaries), published create-only. Used by compaction; a re-encrypting
// rekey would be a second caller.

#ifndef WAYBACK_SRC_LOG_REPLACEMENT_H_
#define WAYBACK_SRC_LOG_REPLACEMENT_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wayback/log.h"
#include "wayback/storage.h"

namespace wayback::log_format {

struct ReplacementOptions {
  // The replacement's generation: 1 + the highest generation of any segment
  // of the timeline whose range intersects the run (V2.2). Must be >= 1.
  uint32_t generation = 1;
  // The repository's id (16 bytes), written into the v2 header.
  std::string repository_id;
  // As LogWriterOptions. Defaults: 3, 64 KiB.
  int compression_level = 3;
  size_t block_size = 64 * 1024;
  // The header's informative create time.
  CommitTime create_time = 0;
};

// Calls `fn` with every record of the segment `name`, in LSN order, after
// verifying each block (index entry, CRCs, decoding) and the continuity of
// LSNs and commit times. The record is valid only during the call. kDataLoss
// naming object, offset and LSN; an I/O error as such.
absl::Status ForEachSegmentRecord(
    Storage* storage, std::string_view name, std::string_view repository_id,
    const std::function<absl::Status(const LogRecord&)>& fn);

// Writes log/T-F-G.seg (T, F from sources.front(), G from `options`) holding
// every record of `sources` (sealed segments of one timeline, contiguous, in
// LSN order), create-only: kAlreadyExists if that name exists. The object
// appears whole on the writer's Close() or not at all. Returns the footer's
// description of what was written (name, blocks, counts).
absl::StatusOr<SegmentInfo> WriteReplacementSegment(
    Storage* storage, const std::vector<SegmentInfo>& sources,
    const ReplacementOptions& options);

// Reads the replacement `replacement` back and compares it, record by
// record, with the segments `sources` (in LSN order): the same LSNs, types,
// commit times, txids, source positions, restore point names and mutation
// bytes, nothing more and nothing less. kDataLoss naming the replacement,
// the offending source and the LSN on any difference.
absl::Status VerifyReplacementSegment(Storage* storage,
                                      std::string_view replacement,
                                      const std::vector<std::string>& sources,
                                      std::string_view repository_id);

}  // namespace wayback::log_format

#endif  // WAYBACK_SRC_LOG_REPLACEMENT_H_
