// Copyright 2026 The Wayback Authors.
//
// LogReader: walks the segments of one timeline in LSN order. Sealed segments
// are opened through their footer (header + footer reads only) and entered at
// the block the index names; the newest live segment is walked block by block
// with every payload checksum verified up front, so that the torn-tail rule
// (segment_format.md, "Reader rules") is decided before any record of it is
// returned.
//
// Which segments: the overlap rule (V2.11, src/log/segment_set.h). A segment
// listed but gone when opened was deleted by compaction after its
// replacement's grace period (or is missing): the reader lists once more
// and, if a replacement now holds the next record, continues inside it.

#include <algorithm>

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

class LogReaderImpl : public LogReader {
 public:
  LogReaderImpl(Storage* storage, const LogReaderOptions& options)
      : storage_(storage), opt_(options) {}

  absl::Status Init() {
    absl::Status s = InitOnce();
    if (!absl::IsNotFound(s)) return s;
    relisted_ = true;
    return InitOnce();
  }
  absl::StatusOr<const LogRecord*> Next() override {
    if (!error_.ok()) return error_;
    auto r = NextImpl();
    if (!r.ok()) error_ = r.status();
    return r;
  }
  std::optional<TornTail> torn_tail() const override { return torn_; }

 private:
  using Seg = log_format::SegmentRef;
  absl::Status InitOnce();
  // Lists the log and applies the overlap rule into segs_.
  absl::Status List();
  // The segment after the current one was gone: list again and enter the
  // segment holding `next_lsn` (possibly in its middle).
  absl::Status Relist(Lsn next_lsn, std::string_view gone);
  absl::StatusOr<const LogRecord*> NextImpl();
  // Loads segs_[i] into *out (verifying a live segment's payloads).
  absl::Status Load(size_t i, LoadedSegment* out);
  // Makes segs_[i] the current segment, entering it at block `block`.
  absl::Status Enter(size_t i, size_t block);
  absl::Status ReadBlock();

  Storage* const storage_;
  const LogReaderOptions opt_;
  std::vector<Seg> segs_;
  absl::Status error_;
  std::optional<TornTail> torn_;
  bool done_ = false;
  bool relisted_ = false;  // Lists again at most once.
  // After Relist() entered a segment in its middle: the last LSN already
  // returned, so the next block read starts with its successor.
  Lsn resume_after_ = kNoLsn;

  size_t seg_ = 0;  // Index of the current segment in segs_.
  LoadedSegment cur_;
  bool have_cur_ = false;
  size_t block_ = 0;  // Next block of cur_ to read.
  // The last record handed out or skipped (continuity checks).
  Lsn prev_lsn_ = kNoLsn;
  CommitTime prev_time_ = 0;
  bool have_prev_ = false;
  // The last source position read (the strictly-increasing check).
  std::optional<uint64_t> prev_pos_;
  // The repository's id (16 bytes) if its identity object could be read:
  // v2 segments of another repository are refused.
  std::string repository_id_;

  ZstdDecompressor dec_;
  std::string read_buf_;
  log_format::DecodedBlock block_data_;
  size_t rec_ = 0;  // Next record of block_data_.
};

absl::Status LogReaderImpl::Load(size_t i, LoadedSegment* out) {
  const bool newest = i + 1 == segs_.size();
  return log_format::LoadSegment(
      storage_, segs_[i].name,
      /*verify_live_payloads=*/!segs_[i].sealed && newest, out, repository_id_);
}

absl::Status LogReaderImpl::List() {
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects,
                           storage_->List(log_format::kLogPrefix));
  WAYBACK_ASSIGN_OR_RETURN(segs_, log_format::UsedTimelineSegments(
                                      storage_, objects, opt_.timeline,
                                      /*drop_leftovers=*/true, repository_id_));
  return absl::OkStatus();
}

absl::Status LogReaderImpl::Relist(Lsn next_lsn, std::string_view gone) {
  WAYBACK_RETURN_IF_ERROR(List());
  // The last segment starting at or before next_lsn.
  size_t i =
      std::upper_bound(segs_.begin(), segs_.end(), next_lsn,
                       [](Lsn l, const Seg& s) { return l < s.first_lsn; }) -
      segs_.begin();
  if (i == 0) {
    return absl::FailedPreconditionError(
        absl::StrCat("log hole: ", AV(gone),
                     " was listed but is gone, and no "
                     "segment holds LSN ",
                     next_lsn, " (a missing segment?)"));
  }
  --i;
  LoadedSegment next;
  WAYBACK_RETURN_IF_ERROR(Load(i, &next));
  if (next.info.first_lsn != next_lsn) {
    if (next.info.last_lsn < next_lsn) {
      return absl::FailedPreconditionError(
          absl::StrCat("log hole: ", AV(gone),
                       " was listed but is gone, and no segment "
                       "holds LSN ",
                       next_lsn, " (", next.info.name, " ends at LSN ",
                       next.info.last_lsn, ")"));
    }
    resume_after_ = next_lsn - 1;
  }
  const auto& blocks = next.info.blocks;
  block_ = std::lower_bound(
               blocks.begin(), blocks.end(), next_lsn,
               [](const BlockInfo& b, Lsn l) { return b.last_lsn < l; }) -
           blocks.begin();
  cur_ = std::move(next);
  seg_ = i;
  return absl::OkStatus();
}

absl::Status LogReaderImpl::InitOnce() {
  if (opt_.timeline == 0) return absl::InvalidArgumentError("timeline 0");
  repository_id_ = log_format::RepositoryIdToCheck(storage_);
  WAYBACK_RETURN_IF_ERROR(List());
  if (segs_.empty()) {
    done_ = true;
    return absl::OkStatus();
  }
  if (opt_.start_time) {
    // Commit times never go back along the log, so "the segment's last
    // commit time >= start" is monotone in the segment index: binary search,
    // reading headers and footers only.
    size_t lo = 0, hi = segs_.size();
    while (lo < hi) {
      size_t mid = lo + (hi - lo) / 2;
      LoadedSegment s;
      WAYBACK_RETURN_IF_ERROR(Load(mid, &s));
      if (!s.info.blocks.empty() &&
          s.info.last_commit_time >= *opt_.start_time) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    if (lo == segs_.size()) lo = segs_.size() - 1;  // Ends the log there.
    WAYBACK_RETURN_IF_ERROR(Load(lo, &cur_));
    have_cur_ = true;
    seg_ = lo;
    const auto& blocks = cur_.info.blocks;
    block_ = std::lower_bound(blocks.begin(), blocks.end(), *opt_.start_time,
                              [](const BlockInfo& b, CommitTime t) {
                                return b.last_commit_time < t;
                              }) -
             blocks.begin();
    return absl::OkStatus();
  }
  if (opt_.start_lsn < segs_[0].first_lsn) {
    return absl::FailedPreconditionError(
        absl::StrCat("log of timeline ", opt_.timeline, " starts at LSN ",
                     segs_[0].first_lsn, " (", segs_[0].name, "); LSN ",
                     opt_.start_lsn, " is not in the repository"));
  }
  size_t i =
      std::upper_bound(segs_.begin(), segs_.end(), opt_.start_lsn,
                       [](Lsn l, const Seg& s) { return l < s.first_lsn; }) -
      segs_.begin() - 1;
  WAYBACK_RETURN_IF_ERROR(Load(i, &cur_));
  have_cur_ = true;
  seg_ = i;
  const auto& blocks = cur_.info.blocks;
  block_ = std::lower_bound(
               blocks.begin(), blocks.end(), opt_.start_lsn,
               [](const BlockInfo& b, Lsn l) { return b.last_lsn < l; }) -
           blocks.begin();
  return absl::OkStatus();
}

absl::Status LogReaderImpl::ReadBlock() {
  const SegmentInfo& info = cur_.info;
  const BlockInfo& b = info.blocks[block_];
  log_format::BlockHeader h;
  std::string_view payload;
  WAYBACK_RETURN_IF_ERROR(log_format::ReadBlockAt(*cur_.object, info.name, b,
                                                  &read_buf_, &h, &payload));
  const Lsn resume_after = resume_after_;
  resume_after_ = kNoLsn;
  if (resume_after != kNoLsn) {
    // Entered in the middle of a replacement: this block must hold the next
    // LSN; the records before it were returned from the replaced segment.
    if (h.first_lsn > resume_after + 1 || h.last_lsn <= resume_after) {
      return CorruptionAt(
          info.name, b.offset, h.first_lsn,
          absl::StrCat("block does not hold LSN ", resume_after + 1,
                       " where its index says it does"));
    }
  } else if (have_prev_) {
    WAYBACK_RETURN_IF_ERROR(log_format::CheckBlockFollows(
        info.name, b.offset, h, prev_lsn_, prev_time_));
  }
  WAYBACK_RETURN_IF_ERROR(log_format::UnpackBlock(
      info.name, b.offset, h, payload, &dec_, &block_data_));
  if (resume_after != kNoLsn) {
    rec_ = static_cast<size_t>(resume_after + 1 - h.first_lsn);
    const LogRecord& r = block_data_.records[rec_];
    if (have_prev_ && r.commit_time < prev_time_) {
      return CorruptionAt(info.name, b.offset, r.lsn,
                          "commit time goes back across segments");
    }
    if (block_data_.last_source_position) {
      prev_pos_ = block_data_.last_source_position;
    }
    ++block_;
    return absl::OkStatus();
  }
  if (have_prev_) {
    WAYBACK_RETURN_IF_ERROR(log_format::CheckSourcePositionsFollow(
        info.name, b.offset, block_data_, prev_pos_));
  }
  if (block_data_.last_source_position) {
    prev_pos_ = block_data_.last_source_position;
  }
  ++block_;
  rec_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<const LogRecord*> LogReaderImpl::NextImpl() {
  while (!done_) {
    if (rec_ < block_data_.records.size()) {
      const LogRecord& r = block_data_.records[rec_++];
      prev_lsn_ = r.lsn;
      prev_time_ = r.commit_time;
      have_prev_ = true;
      if (r.lsn > opt_.stop_lsn) {
        done_ = true;
        break;
      }
      if (r.lsn < opt_.start_lsn) continue;
      if (opt_.start_time && r.commit_time < *opt_.start_time) continue;
      return &r;
    }
    if (block_ < cur_.info.blocks.size()) {
      WAYBACK_RETURN_IF_ERROR(ReadBlock());
      continue;
    }
    // The end of the current segment.
    const SegmentInfo& info = cur_.info;
    const bool newest = seg_ + 1 == segs_.size();
    if (info.torn_bytes > 0) {
      const uint64_t off = cur_.header_torn ? 0 : cur_.valid_end;
      if (!newest || !opt_.allow_torn_tail) {
        return CorruptionAt(info.name, off, info.last_lsn + 1,
                            absl::StrCat(cur_.torn_reason, " (",
                                         info.torn_bytes, " bytes cut off",
                                         newest ? "; torn tails are not allowed"
                                                : "; not the newest segment",
                                         ")"));
      }
      torn_ = TornTail{info.name, off, info.torn_bytes};
    }
    if (newest) {
      done_ = true;
      break;
    }
    const Lsn last = cur_.header_torn ? info.first_lsn - 1 : info.last_lsn;
    const std::string prev_name = info.name;
    LoadedSegment next;
    absl::Status ls = Load(seg_ + 1, &next);
    if (absl::IsNotFound(ls) && !relisted_) {
      relisted_ = true;
      WAYBACK_RETURN_IF_ERROR(Relist(last + 1, segs_[seg_ + 1].name));
      continue;
    }
    WAYBACK_RETURN_IF_ERROR(ls);
    if (next.info.first_lsn != last + 1) {
      return absl::FailedPreconditionError(absl::StrCat(
          "log hole: ", prev_name, " ends at LSN ", last,
          " but the next segment ", next.info.name, " starts at LSN ",
          next.info.first_lsn, " (a missing segment?)"));
    }
    cur_ = std::move(next);
    ++seg_;
    block_ = 0;
  }
  return nullptr;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LogReader>> LogReader::Open(
    Storage* storage, const LogReaderOptions& options) {
  auto r = std::make_unique<LogReaderImpl>(storage, options);
  WAYBACK_RETURN_IF_ERROR(r->Init());
  return std::unique_ptr<LogReader>(std::move(r));
}

}  // namespace wayback
