// Copyright 2026 The Wayback Authors.
//
// The `wayback` command-line tool. Everything happens in RunWayback()
// (tools/cli.h) so that tests can run each subcommand in process.

#include <unistd.h>

#include <iostream>
#include <string>
#include <vector>

#include "tools/cli.h"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return wayback::cli::RunWayback(args, std::cout, std::cerr,
                                  isatty(STDERR_FILENO) == 1);
}
