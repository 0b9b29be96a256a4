// Copyright 2026 The Wayback Authors.
//
// wayback bench: `replay` (Wayback against RocksDB's own recovery on a
// generated workload), `rto` (worst-case restore time of a repository) and
// `rpo` (synced commit rate and mirror archive lag). The measurements are
// RunReplayBench(), RunRtoBench() and RunRpoBench() of
// src/bench/bench.h; this command parses flags and prints.

#ifndef WAYBACK_TOOLS_BENCH_COMMAND_H_
#define WAYBACK_TOOLS_BENCH_COMMAND_H_

#include <memory>

#include "tools/cli.h"

namespace wayback::cli {

std::unique_ptr<Command> NewBenchCommand();

}  // namespace wayback::cli

#endif  // WAYBACK_TOOLS_BENCH_COMMAND_H_
