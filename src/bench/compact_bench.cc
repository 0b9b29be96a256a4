// Copyright 2026 The Wayback Authors.
//
// RunCompactBench: the same generated history written twice (a short
// segment roll, as a small RPO needs, and large segments), the first
// compacted, then restores of "latest" from both, alternating so that each
// pair of runs sees the same machine. Restores go into memory: the
// difference between the two is in opening and reading segments, which a
// slower target would only dilute.

#include <algorithm>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "src/bench/bench.h"
#include "src/bench/bench_util.h"
#include "wayback/compact.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using bench_internal::NowSeconds;
using bench_internal::ProcessCpuSeconds;
using bench_internal::Say;

struct TimedRestore {
  double seconds = 0;
  double cpu_seconds = 0;
  StateDigest digest;
};

absl::StatusOr<TimedRestore> RestoreLatest(Storage* storage, int threads) {
  TimedRestore t;
  const double t0 = NowSeconds();
  const double c0 = ProcessCpuSeconds();
  // Planning (the catalog: one footer per segment) is part of what a
  // short roll costs, so it is inside the timed span.
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                           Catalog::Open(storage));
  WAYBACK_ASSIGN_OR_RETURN(RecoveryPlan plan,
                           PlanRecovery(*catalog, RecoveryTarget::Latest()));
  std::unique_ptr<StateTarget> target = NewMemoryTarget(threads);
  RestoreOptions ro;
  ro.threads = threads;
  WAYBACK_ASSIGN_OR_RETURN(RestoreResult r,
                           Restore(storage, plan, target.get(), ro));
  t.seconds = NowSeconds() - t0;
  t.cpu_seconds = ProcessCpuSeconds() - c0;
  if (!r.digest) return absl::InternalError("restore gave no digest");
  t.digest = *r.digest;
  return t;
}

uint64_t CountSegments(const Catalog& c) { return c.segments().size(); }

}  // namespace

absl::StatusOr<CompactBenchFigures> RunCompactBench(
    const CompactBenchOptions& o) {
  if (o.repetitions < 1 || o.days <= 0 || o.rate <= 0) {
    return absl::InvalidArgumentError(
        "bench compact: repetitions, days and rate must be positive");
  }
  CompactBenchFigures f;
  f.threads =
      o.threads > 0
          ? o.threads
          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  WAYBACK_ASSIGN_OR_RETURN(auto scratch,
                           bench_internal::ScratchDir::Create(o.scratch_dir));
  GenerateOptions g;
  g.workload.seed = o.seed;
  g.workload.rate = o.rate;
  g.workload.duration = absl::Seconds(o.days * 86400.0);
  g.snapshot_every = absl::ZeroDuration();  // The whole log is replayed.

  std::unique_ptr<Repository> repos[2];
  const std::string dirs[2] = {scratch->Sub("short-roll"),
                               scratch->Sub("large-segments")};
  for (int i = 0; i < 2; ++i) {
    g.segment_max_age = i == 0 ? o.short_roll : absl::InfiniteDuration();
    g.segment_max_bytes = o.large_segment_bytes;
    Say(o.progress, absl::StrCat("generating ", dirs[i]));
    WAYBACK_ASSIGN_OR_RETURN(repos[i], Repository::Create(dirs[i]));
    WAYBACK_ASSIGN_OR_RETURN(GenerateResult gr,
                             GenerateRepository(repos[i].get(), g));
    f.transactions = gr.transactions;
    f.mutations = gr.mutations;
  }
  {
    WAYBACK_ASSIGN_OR_RETURN(auto c, repos[0]->ReadCatalog());
    f.segments_before = CountSegments(*c);
    WAYBACK_ASSIGN_OR_RETURN(auto l, repos[1]->ReadCatalog());
    f.segments_large = CountSegments(*l);
  }
  Say(o.progress, absl::StrCat("compacting ", f.segments_before, " segments"));
  CompactOptions co;
  co.target_size = o.large_segment_bytes;
  co.grace = absl::ZeroDuration();
  const double t0 = NowSeconds();
  const double c0 = ProcessCpuSeconds();
  WAYBACK_RETURN_IF_ERROR(CompactRepository(*repos[0], co).status());
  f.compact_seconds = NowSeconds() - t0;
  f.compact_cpu_seconds = ProcessCpuSeconds() - c0;
  {
    WAYBACK_ASSIGN_OR_RETURN(auto c, repos[0]->ReadCatalog());
    f.segments_after = CountSegments(*c);
  }
  std::vector<double> ratios;
  bool have_digest = false;
  for (int run = 0; run < o.repetitions; ++run) {
    TimedRestore t[2];
    for (int i = 0; i < 2; ++i) {
      WAYBACK_ASSIGN_OR_RETURN(t[i],
                               RestoreLatest(repos[i]->storage(), f.threads));
      if (have_digest && !(t[i].digest == f.digest)) {
        return absl::DataLossError(absl::StrCat(
            "bench compact: restore of ", dirs[i], " reached digest ",
            t[i].digest.ToString(), ", not ", f.digest.ToString()));
      }
      f.digest = t[i].digest;
      have_digest = true;
    }
    f.compacted_seconds.push_back(t[0].seconds);
    f.large_seconds.push_back(t[1].seconds);
    f.compacted_cpu_seconds.push_back(t[0].cpu_seconds);
    f.large_cpu_seconds.push_back(t[1].cpu_seconds);
    ratios.push_back(t[1].seconds / std::max(t[0].seconds, 1e-9));
    Say(o.progress, absl::StrFormat("run %d: compacted %.3f s, large %.3f s",
                                    run + 1, t[0].seconds, t[1].seconds));
  }
  std::sort(ratios.begin(), ratios.end());
  f.ratio_min = ratios.front();
  f.ratio_max = ratios.back();
  f.ratio_median = bench_internal::Percentile(&ratios, 0.5);
  return f;
}

std::string CompactBenchFigures::ToJson() const {
  nlohmann::ordered_json j;
  j["transactions"] = transactions;
  j["mutations"] = mutations;
  j["threads"] = threads;
  j["segments_before"] = segments_before;
  j["segments_after"] = segments_after;
  j["segments_large"] = segments_large;
  j["compact_seconds"] = compact_seconds;
  j["compact_cpu_seconds"] = compact_cpu_seconds;
  j["compacted_restore_seconds"] = compacted_seconds;
  j["large_restore_seconds"] = large_seconds;
  j["compacted_restore_cpu_seconds"] = compacted_cpu_seconds;
  j["large_restore_cpu_seconds"] = large_cpu_seconds;
  j["ratio_min"] = ratio_min;
  j["ratio_median"] = ratio_median;
  j["ratio_max"] = ratio_max;
  j["digest"] = digest.ToString();
  return j.dump(2);
}

std::string CompactBenchFigures::ToString() const {
  auto list = [](const std::vector<double>& v) {
    std::string s;
    for (double x : v)
      absl::StrAppend(&s, s.empty() ? "" : " ", absl::StrFormat("%.3f", x));
    return s;
  };
  return absl::StrFormat(
      "history          %d transactions, %d mutations\n"
      "segments         %d (short roll) -> %d after compact; %d (large)\n"
      "compact          %.2f s (%.2f CPU s)\n"
      "restore latest   compacted: %s s (CPU %s)\n"
      "                 large:     %s s (CPU %s)\n"
      "threads          %d\n"
      "speed ratio      %.3f median (min %.3f, max %.3f) compacted / large\n"
      "digest           %s (every restore)",
      transactions, mutations, segments_before, segments_after, segments_large,
      compact_seconds, compact_cpu_seconds, list(compacted_seconds),
      list(compacted_cpu_seconds), list(large_seconds), list(large_cpu_seconds),
      threads, ratio_median, ratio_min, ratio_max, digest.ToString());
}

}  // namespace wayback
