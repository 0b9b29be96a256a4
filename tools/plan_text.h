// Copyright 2026 The Wayback Authors.
//
// Plans in words, shared by `plan` and `restore`.

#ifndef WAYBACK_TOOLS_PLAN_TEXT_H_
#define WAYBACK_TOOLS_PLAN_TEXT_H_

#include <string>

#include "absl/time/time.h"
#include "wayback/recovery.h"

namespace wayback::cli {

struct PlanEstimate {
  uint64_t log_raw_bytes = 0;  // Raw bytes of the log blocks in range.
  uint64_t mutations = 0;      // Approximate mutations to apply.
  absl::Duration duration;
};

// A rough estimate from the plan's sizes and conservative rates measured on a
// 2-core machine into Debian's RocksDB (`wayback bench rto` measures a
// repository on its own hardware).
PlanEstimate EstimateRestore(const RecoveryPlan& plan);

// The plan as a newcomer reads it: the target, the instant in UTC, the
// commits on either side, the snapshot, the segments and the bytes.
std::string DescribePlan(const RecoveryPlan& plan, const PlanEstimate& est);

}  // namespace wayback::cli

#endif  // WAYBACK_TOOLS_PLAN_TEXT_H_
