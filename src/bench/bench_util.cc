// Copyright 2026 The Wayback Authors.

#include "src/bench/bench_util.h"

#include <stdlib.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "absl/strings/str_cat.h"
#include "src/util/errors.h"

namespace wayback::bench_internal {

double NowSeconds() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

double ProcessCpuSeconds() {
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

uint64_t PeakRssBytes() {
  struct rusage u;
  if (getrusage(RUSAGE_SELF, &u) != 0) return 0;
  return static_cast<uint64_t>(u.ru_maxrss) * 1024;  // Linux: kilobytes.
}

absl::StatusOr<std::unique_ptr<ScratchDir>> ScratchDir::Create(
    std::string_view parent) {
  std::string base(parent);
  if (base.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
  }
  std::error_code ec;
  std::filesystem::create_directories(base, ec);
  if (ec) return IoError("create directory", base, ec.value());
  std::string templ = absl::StrCat(base, "/wayback-bench-XXXXXX");
  if (mkdtemp(templ.data()) == nullptr) {
    return IoError("mkdtemp", templ, errno);
  }
  return std::unique_ptr<ScratchDir>(new ScratchDir(std::move(templ)));
}

ScratchDir::~ScratchDir() { RemoveTree(path_); }

std::string ScratchDir::Sub(std::string_view name) const {
  return absl::StrCat(path_, "/", AV(name));
}

void RemoveTree(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

double Percentile(std::vector<double>* values, double q) {
  if (values->empty()) return 0;
  std::sort(values->begin(), values->end());
  const double rank = std::ceil(q * static_cast<double>(values->size()));
  const size_t i = rank < 1 ? 0 : static_cast<size_t>(rank) - 1;
  return (*values)[std::min(i, values->size() - 1)];
}

}  // namespace wayback::bench_internal
