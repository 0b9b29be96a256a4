// Copyright 2026 The Wayback Authors.
//
// Small helpers shared by the benchmark harnesses: a monotonic stopwatch, the
// peak RSS, a scratch directory removed on destruction, percentiles and
// directory sizes.

#ifndef WAYBACK_SRC_BENCH_BENCH_UTIL_H_
#define WAYBACK_SRC_BENCH_BENCH_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace wayback::bench_internal {

// Seconds of the monotonic clock.
double NowSeconds();

// CPU seconds (user + system) used by this process so far, all threads.
double ProcessCpuSeconds();

// Peak resident set size of this process so far, in bytes.
uint64_t PeakRssBytes();

// A fresh directory "wayback-bench-XXXXXX" under `parent` (empty: $TMPDIR or
// /tmp), removed with everything in it when the object is destroyed.
class ScratchDir {
 public:
  static absl::StatusOr<std::unique_ptr<ScratchDir>> Create(
      std::string_view parent);
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::string& path() const { return path_; }
  // path() + "/" + name.
  std::string Sub(std::string_view name) const;

 private:
  explicit ScratchDir(std::string path) : path_(std::move(path)) {}
  std::string path_;
};

// Removes `path` and everything under it; errors are ignored (best effort).
void RemoveTree(const std::string& path);

// The q-quantile (0 <= q <= 1) of `values` by the nearest-rank method; sorts
// `values`. 0 for an empty vector.
double Percentile(std::vector<double>* values, double q);

// Calls progress(line) if progress is set.
inline void Say(const std::function<void(std::string_view)>& progress,
                const std::string& line) {
  if (progress) progress(line);
}

// Safe division for rates and ratios: 0 when the divisor is not positive.
inline double Ratio(double a, double b) { return b > 0 ? a / b : 0; }

}  // namespace wayback::bench_internal

#endif  // WAYBACK_SRC_BENCH_BENCH_UTIL_H_
