#!/usr/bin/env bash
# Installs the built tree into a temporary prefix, builds a consumer project
# against it with find_package(wayback), and runs it.
set -euo pipefail
BUILD_DIR=$1
SOURCE_DIR=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$BUILD_DIR" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/wayback/recovery.h"
test -f "$work/prefix/lib/cmake/wayback/waybackConfig.cmake"
cmake -S "$SOURCE_DIR/tests/install/consumer" -B "$work/build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer"
