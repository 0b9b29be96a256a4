// Copyright 2026 The Wayback Authors.

#include "src/log/segment_set.h"

#include <algorithm>
#include <optional>
#include <tuple>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::log_format {
namespace {

bool SamePosition(const std::optional<uint64_t>& a,
                  const std::optional<uint64_t>& b) {
  // (Compared by hand: g++ 12 warns on optional's operator== here.)
  return a.has_value() == b.has_value() && (!a.has_value() || *a == *b);
}

// What in Y's footer differs from the sums of the chain's footers (rule 2);
// empty when they add up. raw_bytes is not compared: time deltas restart at
// each block, so re-blocked records encode to slightly different sizes.
std::vector<std::string> FooterDifferences(
    const SegmentInfo& y, const std::vector<const SegmentInfo*>& chain) {
  uint64_t records = 0, txns = 0, mutations = 0;
  CommitTime min_time = chain.front()->min_commit_time;
  CommitTime max_time = chain.front()->max_commit_time;
  std::optional<uint64_t> first_pos, last_pos;
  for (const SegmentInfo* x : chain) {
    records += x->record_count;
    txns += x->transaction_count;
    mutations += x->mutation_count;
    min_time = std::min(min_time, x->min_commit_time);
    max_time = std::max(max_time, x->max_commit_time);
    if (!first_pos) first_pos = x->first_source_position;
    if (x->last_source_position) last_pos = x->last_source_position;
  }
  std::vector<std::string> diffs;
  auto compare = [&diffs](std::string_view what, auto theirs, auto ours) {
    if (theirs != ours) {
      diffs.push_back(absl::StrCat(AV(what), " ", ours, " vs ", theirs));
    }
  };
  compare("record count", records, y.record_count);
  compare("transaction count", txns, y.transaction_count);
  compare("mutation count", mutations, y.mutation_count);
  compare("first commit time", chain.front()->first_commit_time,
          y.first_commit_time);
  compare("last commit time", chain.back()->last_commit_time,
          y.last_commit_time);
  compare("min commit time", min_time, y.min_commit_time);
  compare("max commit time", max_time, y.max_commit_time);
  if (!SamePosition(first_pos, y.first_source_position) ||
      !SamePosition(last_pos, y.last_source_position)) {
    diffs.push_back("source positions differ");
  }
  return diffs;
}

}  // namespace

ResolvedSegments ApplyOverlapRule(std::vector<SegmentInfo> segs) {
  const size_t n = segs.size();
  constexpr size_t kNone = SIZE_MAX;
  std::vector<size_t> superseded_by(n, kNone);
  std::vector<bool> rejected(n, false);
  ResolvedSegments r;

  std::vector<size_t> ys;
  for (size_t i = 0; i < n; ++i) {
    if (segs[i].generation > 0 && segs[i].sealed) ys.push_back(i);
  }
  // The highest generation first: it supersedes whatever lies below it,
  // lower replacements included.
  std::sort(ys.begin(), ys.end(), [&](size_t a, size_t b) {
    return std::make_tuple(-static_cast<int64_t>(segs[a].generation),
                           segs[a].timeline, segs[a].first_lsn) <
           std::make_tuple(-static_cast<int64_t>(segs[b].generation),
                           segs[b].timeline, segs[b].first_lsn);
  });
  for (size_t y : ys) {
    if (superseded_by[y] != kNone) continue;
    const SegmentInfo& Y = segs[y];
    std::vector<size_t> xs;
    for (size_t i = 0; i < n; ++i) {
      const SegmentInfo& x = segs[i];
      // Rule 1; an empty live segment starting right after Y is not
      // "inside" it, so the first LSN must also lie in Y's range.
      if (i != y && superseded_by[i] == kNone && !rejected[i] &&
          x.timeline == Y.timeline && x.generation < Y.generation &&
          Y.first_lsn <= x.first_lsn && x.first_lsn <= Y.last_lsn &&
          x.last_lsn <= Y.last_lsn) {
        xs.push_back(i);
      }
    }
    // Rule 2: if the superseded segments still cover Y's range end to end,
    // their footers must add up to Y's. The chain takes, at each LSN, the
    // sealed segment of the highest generation starting there.
    std::sort(xs.begin(), xs.end(), [&](size_t a, size_t b) {
      return std::make_tuple(segs[a].first_lsn,
                             -static_cast<int64_t>(segs[a].generation),
                             !segs[a].sealed) <
             std::make_tuple(segs[b].first_lsn,
                             -static_cast<int64_t>(segs[b].generation),
                             !segs[b].sealed);
    });
    std::vector<const SegmentInfo*> chain;
    Lsn expect = Y.first_lsn;
    for (size_t i : xs) {
      const SegmentInfo& x = segs[i];
      if (x.first_lsn == expect && x.sealed && x.last_lsn >= x.first_lsn) {
        chain.push_back(&x);
        expect = x.last_lsn + 1;
      }
    }
    if (!chain.empty() && expect == Y.last_lsn + 1) {
      std::vector<std::string> diffs = FooterDifferences(Y, chain);
      if (!diffs.empty()) {
        rejected[y] = true;
        r.findings.push_back(
            {Y.name,
             absl::StrCat("replacement segment does not add up to the ",
                          chain.size(), " segments it replaces (",
                          chain.front()->name, " .. ", chain.back()->name,
                          "): ", absl::StrJoin(diffs, ", "),
                          "; not used, the replaced segments are"),
             absl::StatusCode::kDataLoss});
        continue;
      }
    }
    for (size_t i : xs) superseded_by[i] = y;
  }
  for (size_t i = 0; i < n; ++i) {
    if (superseded_by[i] != kNone) {
      r.superseded.push_back({segs[i], segs[superseded_by[i]].name});
    }
  }
  for (size_t i = 0; i < n; ++i) {
    if (superseded_by[i] == kNone && !rejected[i]) {
      r.used.push_back(std::move(segs[i]));
    }
  }
  std::sort(
      r.used.begin(), r.used.end(),
      [](const SegmentInfo& a, const SegmentInfo& b) {
        return std::make_tuple(a.timeline, a.first_lsn,
                               -static_cast<int64_t>(a.generation), !a.sealed) <
               std::make_tuple(b.timeline, b.first_lsn,
                               -static_cast<int64_t>(b.generation), !b.sealed);
      });
  std::sort(r.superseded.begin(), r.superseded.end(),
            [](const SupersededBy& a, const SupersededBy& b) {
              return a.info.name < b.info.name;
            });
  return r;
}

absl::StatusOr<std::vector<SegmentRef>> UsedTimelineSegments(
    Storage* storage, const std::vector<ObjectInfo>& objects,
    TimelineId timeline, bool drop_leftovers, std::string_view repository_id) {
  std::vector<SegmentRef> refs =
      TimelineSegments(objects, timeline, drop_leftovers);
  std::vector<SegmentInfo> loaded;
  for (const ObjectInfo& o : objects) {
    TimelineId t;
    uint32_t generation;
    if (!ParseReplacementSegmentName(o.name, &t, &generation) ||
        t != timeline) {
      continue;
    }
    LoadedSegment seg;
    absl::Status s = LoadSegment(storage, o.name, false, &seg, repository_id);
    // Damaged: not used (the catalog names it); gone: deleted since the
    // listing by a newer compaction.
    if (absl::IsDataLoss(s) || absl::IsNotFound(s)) continue;
    WAYBACK_RETURN_IF_ERROR(s);
    loaded.push_back(std::move(seg.info));
  }
  if (loaded.empty()) return refs;
  const size_t replacements = loaded.size();
  std::vector<SegmentRef> out;
  for (const SegmentRef& ref : refs) {
    bool inside = false;
    for (size_t i = 0; i < replacements && !inside; ++i) {
      inside = loaded[i].first_lsn <= ref.first_lsn &&
               ref.first_lsn <= loaded[i].last_lsn;
    }
    if (!inside) {
      out.push_back(ref);
      continue;
    }
    LoadedSegment seg;
    absl::Status s = LoadSegment(storage, ref.name, false, &seg, repository_id);
    // Gone: a superseded segment deleted since the listing. Damaged while a
    // valid replacement covers its start: superseded or an overlap, and in
    // neither case the segment a reader would use.
    if (absl::IsDataLoss(s) || absl::IsNotFound(s)) continue;
    WAYBACK_RETURN_IF_ERROR(s);
    loaded.push_back(std::move(seg.info));
  }
  ResolvedSegments resolved = ApplyOverlapRule(std::move(loaded));
  for (const SegmentInfo& s : resolved.used) {
    out.push_back({s.first_lsn, s.sealed, s.name});
  }
  std::stable_sort(
      out.begin(), out.end(), [](const SegmentRef& a, const SegmentRef& b) {
        return a.first_lsn != b.first_lsn ? a.first_lsn < b.first_lsn
                                          : a.sealed > b.sealed;
      });
  if (drop_leftovers) {
    out.erase(std::unique(out.begin(), out.end(),
                          [](const SegmentRef& a, const SegmentRef& b) {
                            return a.first_lsn == b.first_lsn;
                          }),
              out.end());
  }
  return out;
}

}  // namespace wayback::log_format
