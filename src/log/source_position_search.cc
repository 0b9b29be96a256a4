// Copyright 2026 The Wayback Authors.
//
// FindBySourcePosition (segment_format.md, V2.8, last paragraph): choose the
// segment by its footer's (or live block headers') last source position,
// then the block by the index entries', then read that one block. Positions
// strictly increase along the log, but segments and blocks without any are
// holes in that order; the searches step over them.

#include <map>

#include "absl/strings/str_cat.h"
#include "src/log/block.h"
#include "src/log/segment.h"
#include "src/log/segment_set.h"
#include "src/util/errors.h"
#include "wayback/log.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using log_format::LoadedSegment;

// The first index in [lo, hi) whose "last position" is >= `position`, where
// last(i) may be absent (a hole in the order, skipped). `last` may do I/O.
// Returns hi if there is none.
template <typename LastFn>
absl::StatusOr<size_t> FirstAtOrAfter(size_t lo, size_t hi, uint64_t position,
                                      LastFn last) {
  size_t found = hi;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    // The first index at or after mid that carries a position.
    size_t j = mid;
    std::optional<uint64_t> p;
    for (; j < hi; ++j) {
      WAYBACK_ASSIGN_OR_RETURN(p, last(j));
      if (p) break;
    }
    if (j == hi) {
      hi = mid;  // Nothing in [mid, hi) carries a position.
    } else if (*p >= position) {
      found = j;
      hi = mid;  // [mid, j) carry none: the answer is j or before mid.
    } else {
      lo = j + 1;
    }
  }
  return found;
}

}  // namespace

absl::StatusOr<std::optional<ArchivedRecord>> FindBySourcePosition(
    Storage* storage, TimelineId timeline, uint64_t position) {
  if (timeline == 0) return absl::InvalidArgumentError("timeline 0");
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects,
                           storage->List(log_format::kLogPrefix));
  const std::string repository_id = log_format::RepositoryIdToCheck(storage);
  WAYBACK_ASSIGN_OR_RETURN(
      const std::vector<log_format::SegmentRef> segs,
      log_format::UsedTimelineSegments(storage, objects, timeline,
                                       /*drop_leftovers=*/true, repository_id));
  std::map<size_t, LoadedSegment> loaded;
  auto load = [&](size_t i) -> absl::StatusOr<LoadedSegment*> {
    auto it = loaded.find(i);
    if (it == loaded.end()) {
      LoadedSegment seg;
      WAYBACK_RETURN_IF_ERROR(log_format::LoadSegment(
          storage, segs[i].name, /*verify_live_payloads=*/!segs[i].sealed, &seg,
          repository_id));
      it = loaded.emplace(i, std::move(seg)).first;
    }
    return &it->second;
  };
  WAYBACK_ASSIGN_OR_RETURN(
      const size_t si,
      FirstAtOrAfter(0, segs.size(), position,
                     [&](size_t i) -> absl::StatusOr<std::optional<uint64_t>> {
                       WAYBACK_ASSIGN_OR_RETURN(LoadedSegment * s, load(i));
                       return s->info.last_source_position;
                     }));
  if (si == segs.size()) return std::nullopt;
  WAYBACK_ASSIGN_OR_RETURN(LoadedSegment * seg, load(si));
  const SegmentInfo& info = seg->info;
  if (info.first_source_position && position < *info.first_source_position) {
    return std::nullopt;  // Between two segments: never archived.
  }
  const std::vector<BlockInfo>& blocks = info.blocks;
  WAYBACK_ASSIGN_OR_RETURN(
      const size_t bi,
      FirstAtOrAfter(0, blocks.size(), position,
                     [&](size_t i) -> absl::StatusOr<std::optional<uint64_t>> {
                       return blocks[i].last_source_position;
                     }));
  if (bi == blocks.size()) {
    // The segment's last position is >= position, so some entry is.
    return CorruptionAt(info.name, 0, kNoLsn,
                        "no block holds the segment's last source position");
  }
  const BlockInfo& b = blocks[bi];
  std::string buf;
  log_format::BlockHeader h;
  std::string_view payload;
  WAYBACK_RETURN_IF_ERROR(
      log_format::ReadBlockAt(*seg->object, info.name, b, &buf, &h, &payload));
  ZstdDecompressor decompressor;
  log_format::DecodedBlock block;
  WAYBACK_RETURN_IF_ERROR(log_format::UnpackBlock(
      info.name, b.offset, h, payload, &decompressor, &block));
  for (const LogRecord& r : block.records) {
    if (!r.source_position || *r.source_position < position) continue;
    if (*r.source_position > position) break;
    ArchivedRecord out;
    out.lsn = r.lsn;
    out.type = r.type;
    out.transaction = r.ToTransaction();
    if (r.type == RecordType::kRestorePoint) {
      out.restore_point_name = std::string(r.restore_point_name);
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace wayback
