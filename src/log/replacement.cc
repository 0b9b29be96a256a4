// Copyright 2026 The Wayback Authors.

#include "src/log/replacement.h"

#include <algorithm>
#include <memory>
#include <optional>

#include "absl/strings/str_cat.h"
#include "src/log/block.h"
#include "src/log/segment.h"
#include "src/util/compression.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::log_format {
namespace {

// The records of one segment, pulled one at a time (so that two segments can
// be compared in lockstep), every block verified as a reader verifies it.
class SegmentCursor {
 public:
  absl::Status Open(Storage* storage, std::string_view name,
                    std::string_view repository_id) {
    return LoadSegment(storage, name, /*verify_live_payloads=*/true, &seg_,
                       repository_id);
  }
  const SegmentInfo& info() const { return seg_.info; }

  // The next record, or nullptr at the end of the segment.
  absl::StatusOr<const LogRecord*> Next() {
    while (rec_ >= block_.records.size()) {
      if (next_block_ >= seg_.info.blocks.size()) return nullptr;
      const BlockInfo& b = seg_.info.blocks[next_block_++];
      BlockHeader h;
      std::string_view payload;
      WAYBACK_RETURN_IF_ERROR(
          ReadBlockAt(*seg_.object, seg_.info.name, b, &buf_, &h, &payload));
      if (have_prev_) {
        WAYBACK_RETURN_IF_ERROR(CheckBlockFollows(seg_.info.name, b.offset, h,
                                                  prev_lsn_, prev_time_));
      } else if (h.first_lsn != seg_.info.first_lsn) {
        return CorruptionAt(seg_.info.name, b.offset, h.first_lsn,
                            "first block does not start at the segment's "
                            "first LSN");
      }
      WAYBACK_RETURN_IF_ERROR(
          UnpackBlock(seg_.info.name, b.offset, h, payload, &dec_, &block_));
      WAYBACK_RETURN_IF_ERROR(CheckSourcePositionsFollow(
          seg_.info.name, b.offset, block_, prev_pos_));
      if (block_.last_source_position) prev_pos_ = block_.last_source_position;
      prev_lsn_ = h.last_lsn;
      prev_time_ = h.last_commit_time;
      have_prev_ = true;
      offset_ = b.offset;
      rec_ = 0;
    }
    return &block_.records[rec_++];
  }
  // The offset of the block of the record Next() returned last.
  uint64_t offset() const { return offset_; }

 private:
  LoadedSegment seg_;
  ZstdDecompressor dec_;
  std::string buf_;
  DecodedBlock block_;
  size_t rec_ = 0;
  size_t next_block_ = 0;
  uint64_t offset_ = 0;
  bool have_prev_ = false;
  Lsn prev_lsn_ = kNoLsn;
  CommitTime prev_time_ = 0;
  std::optional<uint64_t> prev_pos_;
};

bool SameOptional(const std::optional<uint64_t>& a,
                  const std::optional<uint64_t>& b) {
  // (Compared by hand: g++ 12 warns on optional's operator== here.)
  return a.has_value() == b.has_value() && (!a.has_value() || *a == *b);
}

// What differs between two records, or empty.
std::string RecordDifference(const LogRecord& a, const LogRecord& b) {
  if (a.lsn != b.lsn) return absl::StrCat("LSN ", a.lsn, " vs ", b.lsn);
  if (a.type != b.type) return "record type differs";
  if (a.commit_time != b.commit_time) {
    return absl::StrCat("commit time ", a.commit_time, " vs ", b.commit_time);
  }
  if (!SameOptional(a.txid, b.txid)) return "txid differs";
  if (!SameOptional(a.source_position, b.source_position)) {
    return "source position differs";
  }
  if (a.restore_point_name != b.restore_point_name) {
    return "restore point name differs";
  }
  if (a.mutation_count != b.mutation_count ||
      a.encoded_mutations != b.encoded_mutations) {
    return "mutations differ";
  }
  return std::string();
}

}  // namespace

absl::Status ForEachSegmentRecord(
    Storage* storage, std::string_view name, std::string_view repository_id,
    const std::function<absl::Status(const LogRecord&)>& fn) {
  SegmentCursor c;
  WAYBACK_RETURN_IF_ERROR(c.Open(storage, name, repository_id));
  while (true) {
    WAYBACK_ASSIGN_OR_RETURN(const LogRecord* r, c.Next());
    if (r == nullptr) return absl::OkStatus();
    WAYBACK_RETURN_IF_ERROR(fn(*r));
  }
}

absl::StatusOr<SegmentInfo> WriteReplacementSegment(
    Storage* storage, const std::vector<SegmentInfo>& sources,
    const ReplacementOptions& options) {
  if (sources.empty() || options.generation == 0 ||
      options.repository_id.size() != kRepositoryIdSize) {
    return absl::InvalidArgumentError(
        "replacement segment: no sources, generation 0 or no repository id");
  }
  const SegmentInfo& first = sources.front();
  SegmentInfo out;
  out.format_version = kFormatVersion2;
  out.timeline = first.timeline;
  out.generation = options.generation;
  out.first_lsn = first.first_lsn;
  out.last_lsn = first.first_lsn - 1;
  out.name =
      ReplacementSegmentObjectName(out.timeline, out.first_lsn, out.generation);
  out.sealed = true;

  SegmentHeader h;
  h.format_version = kFormatVersion2;
  h.timeline = out.timeline;
  h.first_lsn = out.first_lsn;
  h.create_time = options.create_time;
  h.repository_id = options.repository_id;
  h.generation = out.generation;
  char hbuf[kMaxSegmentHeaderSize];
  EncodeSegmentHeader(h, hbuf);

  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> w,
                           storage->Create(out.name));
  auto annotate = [&](absl::Status s) {
    if (s.ok()) return s;
    return absl::Status(s.code(), absl::StrCat(out.name, ": ", s.message()));
  };
  WAYBACK_RETURN_IF_ERROR(
      annotate(w->Append(std::string_view(hbuf, h.size()))));
  uint64_t offset = h.size();

  ZstdCompressor compressor(options.compression_level);
  BlockBuilder builder(kFormatVersion2);
  std::string block_buf;
  auto cut = [&]() -> absl::Status {
    if (builder.empty()) return absl::OkStatus();
    const uint64_t txns = builder.transaction_count();
    const uint64_t mutations = builder.mutation_count();
    const std::optional<uint64_t> first_pos = builder.first_source_position();
    BlockInfo b;
    WAYBACK_RETURN_IF_ERROR(builder.Finish(&compressor, &block_buf, &b));
    b.offset = offset;
    WAYBACK_RETURN_IF_ERROR(annotate(w->Append(block_buf)));
    offset += block_buf.size();
    if (out.blocks.empty()) {
      out.first_commit_time = b.first_commit_time;
      out.min_commit_time = b.min_commit_time;
      out.max_commit_time = b.max_commit_time;
    }
    if (first_pos && !out.first_source_position) {
      out.first_source_position = first_pos;
    }
    if (b.last_source_position)
      out.last_source_position = b.last_source_position;
    out.min_commit_time = std::min(out.min_commit_time, b.min_commit_time);
    out.max_commit_time = std::max(out.max_commit_time, b.max_commit_time);
    out.last_lsn = b.last_lsn;
    out.last_commit_time = b.last_commit_time;
    out.record_count += b.record_count;
    out.transaction_count += txns;
    out.mutation_count += mutations;
    out.raw_bytes += b.raw_size;
    out.blocks.push_back(b);
    return absl::OkStatus();
  };

  Lsn expect = first.first_lsn;
  for (const SegmentInfo& src : sources) {
    if (src.timeline != out.timeline || src.first_lsn != expect ||
        !src.sealed) {
      return absl::InvalidArgumentError(
          absl::StrCat("replacement segment: ", src.name,
                       " does not continue the run at LSN ", expect,
                       " of timeline ", out.timeline, " as a sealed segment"));
    }
    WAYBACK_RETURN_IF_ERROR(ForEachSegmentRecord(
        storage, src.name, options.repository_id,
        [&](const LogRecord& r) -> absl::Status {
          if (r.lsn != expect) {
            return CorruptionAt(src.name, 0, r.lsn,
                                absl::StrCat("expected LSN ", expect));
          }
          ++expect;
          const size_t estimate = r.encoded_size + 16;
          if (builder.WouldOverflow(estimate) ||
              builder.raw_size() >= options.block_size) {
            WAYBACK_RETURN_IF_ERROR(cut());
          }
          if (r.type == RecordType::kRestorePoint) {
            builder.AddRestorePoint(r.lsn, r.commit_time, r.restore_point_name,
                                    r.source_position);
          } else {
            builder.AddTransaction(r.lsn, r.commit_time, r.ToTransaction());
          }
          return absl::OkStatus();
        }));
    if (expect != src.last_lsn + 1) {
      return CorruptionAt(src.name, 0, expect,
                          absl::StrCat("records end before the footer's last "
                                       "LSN ",
                                       src.last_lsn));
    }
  }
  WAYBACK_RETURN_IF_ERROR(cut());
  std::string footer;
  EncodeFooter(out, &footer);
  WAYBACK_RETURN_IF_ERROR(annotate(w->Append(footer)));
  offset += footer.size();
  WAYBACK_RETURN_IF_ERROR(annotate(w->Close()));
  out.size = offset;
  return out;
}

absl::Status VerifyReplacementSegment(Storage* storage,
                                      std::string_view replacement,
                                      const std::vector<std::string>& sources,
                                      std::string_view repository_id) {
  SegmentCursor y;
  WAYBACK_RETURN_IF_ERROR(y.Open(storage, replacement, repository_id));
  for (const std::string& name : sources) {
    SegmentCursor x;
    WAYBACK_RETURN_IF_ERROR(x.Open(storage, name, repository_id));
    while (true) {
      WAYBACK_ASSIGN_OR_RETURN(const LogRecord* a, x.Next());
      if (a == nullptr) break;
      WAYBACK_ASSIGN_OR_RETURN(const LogRecord* b, y.Next());
      if (b == nullptr) {
        return CorruptionAt(
            replacement, y.info().size, a->lsn,
            absl::StrCat("replacement ends before LSN ", a->lsn, " of ", name));
      }
      const std::string diff = RecordDifference(*a, *b);
      if (!diff.empty()) {
        return CorruptionAt(
            replacement, y.offset(), b->lsn,
            absl::StrCat("differs from ", name, " (block at offset ",
                         x.offset(), "): ", diff));
      }
    }
  }
  WAYBACK_ASSIGN_OR_RETURN(const LogRecord* extra, y.Next());
  if (extra != nullptr) {
    return CorruptionAt(replacement, y.offset(), extra->lsn,
                        "replacement holds records after the last replaced "
                        "segment's");
  }
  return absl::OkStatus();
}

}  // namespace wayback::log_format
