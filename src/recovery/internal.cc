// Copyright 2026 The Wayback Authors.

#include "src/recovery/internal.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "src/log/segment.h"
#include "src/log/segment_format.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::recovery_internal {

std::vector<LogRun> ComputeRuns(const std::vector<SegmentInfo>& segments) {
  std::vector<LogRun> runs;
  for (size_t i = 0; i < segments.size(); ++i) {
    const SegmentInfo& s = segments[i];
    if (s.last_lsn < s.first_lsn) continue;  // Empty live segment.
    if (!runs.empty() && runs.back().timeline == s.timeline &&
        runs.back().last_lsn + 1 == s.first_lsn) {
      runs.back().last_lsn = s.last_lsn;
      runs.back().last_commit_time = s.last_commit_time;
      runs.back().last_segment = i;
      continue;
    }
    LogRun r;
    r.timeline = s.timeline;
    r.first_lsn = s.first_lsn;
    r.last_lsn = s.last_lsn;
    r.first_commit_time = s.first_commit_time;
    r.last_commit_time = s.last_commit_time;
    r.first_segment = r.last_segment = i;
    runs.push_back(r);
  }
  return runs;
}

absl::Status CheckHeaderMatchesIndex(std::string_view name,
                                     const BlockInfo& block,
                                     const log_format::BlockHeader& header) {
  if (!log_format::CheckBlockMatchesIndex(name, block, header).ok()) {
    return CorruptionAt(
        name, block.offset, block.first_lsn,
        absl::StrCat("block header disagrees with the segment index (header "
                     "lsn ",
                     header.first_lsn, "..", header.last_lsn, ", ",
                     header.stored_size + header.size(),
                     " stored bytes; index lsn ", block.first_lsn, "..",
                     block.last_lsn, ", ", block.stored_size, ")"));
  }
  return absl::OkStatus();
}

absl::Status ReadBlock(const ReadableObject& object, std::string_view name,
                       const BlockInfo& block, ZstdDecompressor* decompressor,
                       std::string* scratch, log_format::DecodedBlock* out) {
  const size_t header_size = log_format::BlockHeaderSize(block.format_version);
  if (block.stored_size < header_size ||
      block.stored_size > log_format::kMaxBlockStoredSize + header_size) {
    return CorruptionAt(name, block.offset, block.first_lsn,
                        absl::StrCat("index gives an impossible block size ",
                                     block.stored_size));
  }
  scratch->resize(block.stored_size);
  WAYBACK_ASSIGN_OR_RETURN(
      std::string_view bytes,
      object.ReadAt(block.offset, block.stored_size, scratch->data()));
  if (bytes.size() != block.stored_size) {
    return CorruptionAt(name, block.offset, block.first_lsn,
                        absl::StrCat("block truncated: ", bytes.size(), " of ",
                                     block.stored_size, " bytes present"));
  }
  log_format::BlockHeader header;
  WAYBACK_RETURN_IF_ERROR(log_format::DecodeBlockHeader(
      name, block.offset, bytes, block.format_version, &header));
  WAYBACK_RETURN_IF_ERROR(CheckHeaderMatchesIndex(name, block, header));
  return log_format::UnpackBlock(name, block.offset, header,
                                 bytes.substr(header_size), decompressor, out);
}

std::string FormatWindow(const RecoverableWindow& w) {
  std::string start =
      w.earliest_lsn == kNoLsn
          ? std::string("lsn 0 (the empty state before the first record)")
          : absl::StrCat("lsn ", w.earliest_lsn, " (",
                         FormatCommitTime(w.earliest_time), ")");
  return absl::StrCat("timeline ", w.timeline, ": earliest ", start,
                      ", latest lsn ", w.latest_lsn, " (",
                      w.latest_lsn == kNoLsn ? std::string("empty state")
                                             : FormatCommitTime(w.latest_time),
                      ")");
}

std::string FormatWindows(const std::vector<RecoverableWindow>& windows,
                          TimelineId timeline) {
  std::string out;
  for (const RecoverableWindow& w : windows) {
    if (w.timeline != timeline) continue;
    if (!out.empty()) out += "; ";
    out += FormatWindow(w);
  }
  return out.empty() ? absl::StrCat("none on timeline ", timeline) : out;
}

}  // namespace wayback::recovery_internal
