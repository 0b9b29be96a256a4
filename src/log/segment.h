// Copyright 2026 The Wayback Authors.
//
// Whole segments: object names, the footer, and loading a segment's
// description (header + footer for a sealed one; a walk of the block headers
// for a live one, with the torn-tail rule of segment_format.md).

#ifndef WAYBACK_SRC_LOG_SEGMENT_H_
#define WAYBACK_SRC_LOG_SEGMENT_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "src/log/segment_format.h"
#include "wayback/log.h"
#include "wayback/storage.h"

namespace wayback::log_format {

// The prefix of every log object, and the writer's lock.
inline constexpr std::string_view kLogPrefix = "log/";
inline constexpr std::string_view kLockName = "log/LOCK";

// Appends the footer and trailer (of info.format_version) for a segment whose
// blocks and counts are in `info` (blocks non-empty, contiguous from the end
// of the header).
void EncodeFooter(const SegmentInfo& info, std::string* dst);

// A segment as loaded for reading or for the writer's recovery.
struct LoadedSegment {
  SegmentInfo info;  // info.sealed: the object carries a valid footer.
  SegmentHeader header;
  // The header itself was torn (a live object shorter than the header).
  bool header_torn = false;
  // End of the last complete, valid block (or of the header).
  uint64_t valid_end = 0;
  // Why the tail was judged torn (empty if not).
  std::string torn_reason;
  std::unique_ptr<ReadableObject> object;
};

// Loads `name`. For a .seg: header and footer (kDataLoss if the footer is
// missing or bad, naming the expected size when it can be known). For a
// .live: a valid footer if there is one (crash between footer and rename),
// otherwise a walk of the blocks; `verify_live_payloads` also checks every
// payload CRC on that walk. A damaged block that no valid block follows is a
// torn tail (info.torn_bytes, torn_reason); one that a valid block follows is
// kDataLoss. The header must match the name (timeline, first LSN). If
// `repository_id` (16 bytes) is given, a v2 segment of another repository is
// kDataLoss naming both ids (v1 segments carry no id and are accepted).
absl::Status LoadSegment(Storage* storage, std::string_view name,
                         bool verify_live_payloads, LoadedSegment* out,
                         std::string_view repository_id = {});

// The segments of `timeline` among `objects` (a listing of kLogPrefix), in
// LSN order, a sealed one before a live one of the same first LSN. With
// `drop_leftovers`, such a live one (a leftover of a non-atomic publish; the
// sealed one is whole) is left out.
struct SegmentRef {
  Lsn first_lsn;
  bool sealed;
  std::string name;
};
std::vector<SegmentRef> TimelineSegments(const std::vector<ObjectInfo>& objects,
                                         TimelineId timeline,
                                         bool drop_leftovers);

// The repository id (16 bytes) to check v2 segments against: that of the
// storage's identity object, or empty (no check) if it has none or it cannot
// be read (Repository::Open() reports a damaged one).
std::string RepositoryIdToCheck(Storage* storage);

// A replacement segment's name, log/T-F-G.seg with G >= 1 (V2.2): its
// timeline and generation. False for any other name.
bool ParseReplacementSegmentName(std::string_view name, TimelineId* timeline,
                                 uint32_t* generation);
// kDataLoss unless the decoded header `h` says what index entry `b` says.
absl::Status CheckBlockMatchesIndex(std::string_view name, const BlockInfo& b,
                                    const BlockHeader& h);

// Reads exactly n bytes at offset (kDataLoss naming the object if the object
// is shorter). `scratch` is resized as needed; the view may point into it.
absl::StatusOr<std::string_view> ReadExact(const ReadableObject& obj,
                                           std::string_view name,
                                           uint64_t offset, size_t n,
                                           std::string* scratch);

// Step 1 of reading a block (see block.h) for a replay pipeline's read-ahead:
// one ranged read of block `b` (as an index or a live walk describes it)
// into *buf, its header decoded and checked against `b`. On success
// *payload views the stored payload inside *buf; hand header + payload to
// UnpackBlock() on any thread. kDataLoss naming object, offset and LSN.
absl::Status ReadBlockAt(const ReadableObject& object, std::string_view name,
                         const BlockInfo& b, std::string* buf,
                         BlockHeader* header, std::string_view* payload);

}  // namespace wayback::log_format

#endif  // WAYBACK_SRC_LOG_SEGMENT_H_
