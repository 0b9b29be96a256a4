// Copyright 2026 The Wayback Authors.
//
// The RocksDB target's recommended settings, and the memory bound sized to
// the machine they use.

#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <string>
#include <thread>

#include "wayback/rocksdb.h"

namespace wayback {

RocksDBTargetOptions RocksDBTargetOptions::ForRestore(int threads) {
  const int n =
      threads > 0
          ? threads
          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  RocksDBTargetOptions o;
  o.stage_in_memory = true;
  o.partitions = n;
  o.write_threads = n;
  o.stage_memory_limit = AutoStageMemoryLimit();
  return o;
}

namespace {

// The lowest memory limit of this process's cgroup and its ancestors:
// cgroup v2 `memory.max`, or v1 `memory.limit_in_bytes` (UINT64_MAX if none
// is set or readable).
uint64_t CgroupMemoryLimit() {
  std::ifstream self("/proc/self/cgroup");
  std::string line;
  std::string v2, v1;  // Paths of the process's cgroups.
  while (std::getline(self, line)) {
    if (line.rfind("0::", 0) == 0) v2 = line.substr(3);
    const size_t m = line.find(":memory:");
    if (m != std::string::npos) v1 = line.substr(m + 8);
  }
  uint64_t limit = UINT64_MAX;
  auto walk = [&](std::string path, const std::string& root,
                  const std::string& file) {
    if (path.empty() || path[0] != '/') return;
    for (;;) {
      std::ifstream f(root + (path == "/" ? "" : path) + "/" + file);
      std::string v;
      if (f >> v && v != "max") {
        try {
          limit = std::min<uint64_t>(limit, std::stoull(v));
        } catch (const std::exception&) {
          // Unreadable: ignore this level.
        }
      }
      if (path == "/") break;
      const size_t slash = path.rfind('/');
      path = slash == 0 ? "/" : path.substr(0, slash);
    }
  };
  walk(v2, "/sys/fs/cgroup", "memory.max");
  walk(v1, "/sys/fs/cgroup/memory", "memory.limit_in_bytes");
  return limit;
}

}  // namespace

uint64_t AutoStageMemoryLimit() {
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page = ::sysconf(_SC_PAGE_SIZE);
  uint64_t memory = pages > 0 && page > 0 ? static_cast<uint64_t>(pages) *
                                                static_cast<uint64_t>(page)
                                          : uint64_t{4} << 30;
  memory = std::min(memory, CgroupMemoryLimit());
  return std::max<uint64_t>(memory / 4, uint64_t{256} << 20);
}

}  // namespace wayback
