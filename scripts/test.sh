#!/usr/bin/env bash
# Installs what is missing, builds Wayback with tests, and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD=${WAYBACK_BUILD_DIR:-build}
cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DWAYBACK_BUILD_TESTS=ON -DWAYBACK_BUILD_BENCHMARKS=ON -DWAYBACK_BUILD_TOOLS=ON
cmake --build "$BUILD" -j2
# Results of this run only: check-skips reads every XML file there.
rm -rf "$BUILD/test-results"
(cd "$BUILD" && ctest --output-on-failure -j2 "$@")
# A test that skipped is a test that did not test: fail unless documented.
python3 scripts/check-skips.py "$BUILD/test-results"
