// Copyright 2026 The Wayback Authors.

#include "tools/plan_text.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/common.h"

namespace wayback::cli {

PlanEstimate EstimateRestore(const RecoveryPlan& plan) {
  PlanEstimate e;
  for (const SegmentInfo& s : plan.segments) {
    for (const BlockInfo& b : s.blocks) {
      if (b.last_lsn < plan.first_lsn || b.first_lsn > plan.last_lsn) continue;
      e.log_raw_bytes += b.raw_size;
    }
    if (s.blocks.empty() && s.last_lsn >= plan.first_lsn &&
        s.first_lsn <= plan.last_lsn) {
      e.log_raw_bytes += s.raw_bytes;
    }
    if (s.raw_bytes > 0) {
      uint64_t lo = std::max(s.first_lsn, plan.first_lsn);
      uint64_t hi = std::min(s.last_lsn, plan.last_lsn);
      if (hi >= lo && s.last_lsn >= s.first_lsn) {
        e.mutations +=
            s.mutation_count * (hi - lo + 1) / (s.last_lsn - s.first_lsn + 1);
      }
    }
  }
  // Conservative fixed rates, well below what docs/performance.md measures
  // on a 2-core machine with Debian's RocksDB build: 150k mutations/s of log
  // replay, 1M snapshot pairs/s. A plan promises no more than an order of
  // magnitude; `wayback bench rto` measures the real figure.
  double seconds = static_cast<double>(e.mutations) / 150e3;
  if (plan.snapshot)
    seconds += static_cast<double>(plan.snapshot->pair_count) / 1e6;
  e.duration = absl::Seconds(seconds);
  return e;
}

std::string DescribePlan(const RecoveryPlan& plan, const PlanEstimate& est) {
  std::string s;
  absl::StrAppend(&s, "Target         ", plan.target.ToString(), "\n");
  if (plan.target.kind == RecoveryTarget::Kind::kTime) {
    absl::StrAppend(&s, "Instant (UTC)  ", FormatCommitTime(plan.target.time),
                    "\n");
  }
  absl::StrAppend(&s, "Timeline       ", plan.window.timeline, "\n");
  absl::StrAppend(&s, "Last included  ", DescribeCommit(plan.last_included),
                  "\n");
  absl::StrAppend(
      &s, "First excluded ", DescribeCommit(plan.first_excluded),
      plan.first_excluded ? "" : " (the target is the end of the log)", "\n");
  if (plan.snapshot) {
    absl::StrAppend(&s, "Snapshot       ", plan.snapshot->name, " (LSN ",
                    plan.snapshot->lsn, ", ",
                    FormatCommitTime(plan.snapshot->commit_time), ", ",
                    FormatCount(plan.snapshot->pair_count), " keys, ",
                    FormatBytes(plan.snapshot->size), ")\n");
    if (plan.snapshot_chain.size() > 1) {
      // A delta: the chain a restore merges, base first.
      uint64_t chain_bytes = 0;
      for (const SnapshotInfo& m : plan.snapshot_chain) chain_bytes += m.size;
      absl::StrAppend(&s, "Chain          a full snapshot and ",
                      plan.snapshot_chain.size() - 1, " delta(s), ",
                      FormatBytes(chain_bytes), ", merged in one pass\n");
      for (const SnapshotInfo& m : plan.snapshot_chain) {
        const bool delta = m.kind == SnapshotKind::kDelta;
        absl::StrAppend(
            &s, "    ", m.name, "  LSN ", m.lsn, "  ", delta ? "delta" : "full",
            "  ", FormatCount(delta ? m.entry_count : m.pair_count),
            delta ? " entries  " : " pairs  ", FormatBytes(m.size), "\n");
      }
    }
  } else {
    absl::StrAppend(
        &s, "Snapshot       none: replay starts from the empty state\n");
  }
  if (plan.last_lsn >= plan.first_lsn && plan.last_lsn != kNoLsn) {
    absl::StrAppend(&s, "Log replay     LSN ", plan.first_lsn, "-",
                    plan.last_lsn, " (",
                    FormatCount(plan.last_lsn - plan.first_lsn + 1),
                    " records, ~", FormatCount(est.mutations),
                    " mutations) from ", plan.segments.size(), " segment(s)\n");
  } else {
    absl::StrAppend(&s, "Log replay     nothing\n");
  }
  for (const SegmentInfo& seg : plan.segments) {
    absl::StrAppend(&s, "    ", seg.name, "  LSN ", seg.first_lsn, "-",
                    seg.last_lsn, "  ", FormatBytes(seg.size),
                    seg.sealed ? "" : "  (live)", "\n");
  }
  absl::StrAppend(&s, "Bytes to read  ", FormatBytes(plan.bytes_to_read), "\n");
  absl::StrAppend(
      &s, "Estimate       about ", FormatDurationWords(est.duration),
      " into RocksDB on a small machine (`wayback bench rto` measures "
      "yours)\n");
  return s;
}

}  // namespace wayback::cli
