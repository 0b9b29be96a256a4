// Copyright 2026 The Wayback Authors.
//
// Which segments of a timeline readers use: the overlap rule of
// segment_format.md, V2.11 ("Replacement segments and the catalog's overlap
// rule"), written once for the catalog, LogReader, LogWriter::Open,
// FindBySourcePosition, compaction and the mirror, so that they all choose
// the same objects whatever happens to be listed.

#ifndef WAYBACK_SRC_LOG_SEGMENT_SET_H_
#define WAYBACK_SRC_LOG_SEGMENT_SET_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "src/log/segment.h"
#include "wayback/log.h"
#include "wayback/storage.h"

namespace wayback::log_format {

// A segment not used because a replacement covers it (rule 1).
struct SupersededBy {
  SegmentInfo info;
  std::string by;  // The replacement's name.
};

// A finding of the rule worth reporting (rule 2: kDataLoss naming the
// replacement whose footer does not add up to the segments it replaces).
struct OverlapFinding {
  std::string object;
  std::string message;
  absl::StatusCode code;
};

struct ResolvedSegments {
  // What readers use, sorted by (timeline, first LSN, higher generation
  // first, sealed first). Overlaps that no replacement explains (rule 3)
  // are left in for the caller to judge, as before replacements existed.
  std::vector<SegmentInfo> used;
  // Sorted by name.
  std::vector<SupersededBy> superseded;
  std::vector<OverlapFinding> findings;
};

// Rules 1 and 2 over segments whose header and footer (or live block walk)
// were valid, of any timelines. Reads nothing: the footers' summaries are
// in `segments`. Replacements are considered from the highest generation
// down, so a replacement of replacements supersedes everything below it.
// A replacement whose footer does not add up to the segments it would
// supersede, all of which are still present, is not used (a finding) and
// those segments are used instead.
ResolvedSegments ApplyOverlapRule(std::vector<SegmentInfo> segments);

// The segments of `timeline` among `objects` (a listing of kLogPrefix) that
// a reader uses, in LSN order, as TimelineSegments() gives them but with the
// overlap rule applied. Without replacement segments on the timeline this
// reads nothing; with them, it reads the footers of the replacements and of
// the segments whose first LSN lies in a replacement's range (the others
// cannot be superseded). A replacement that cannot be loaded for damage is
// not used (the catalog reports it); an I/O error is returned as such.
// `repository_id` as for LoadSegment().
absl::StatusOr<std::vector<SegmentRef>> UsedTimelineSegments(
    Storage* storage, const std::vector<ObjectInfo>& objects,
    TimelineId timeline, bool drop_leftovers, std::string_view repository_id);

}  // namespace wayback::log_format

#endif  // WAYBACK_SRC_LOG_SEGMENT_SET_H_
