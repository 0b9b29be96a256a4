#!/usr/bin/env bash
# The test suite under sanitizers (clang):
#   asan  $ASAN_BUILD_DIR (default build-asan): AddressSanitizer +
#         UndefinedBehaviorSanitizer at -O1, every test of the suite at its
#         default counts (ctest; ASAN_TEST_FILTER / ASAN_TEST_EXCLUDE narrow
#         it, ASAN_TARGETS="t1 t2 ..." builds and runs only those binaries).
#         The same build carries libFuzzer's coverage instrumentation
#         (-fsanitize=fuzzer-no-link on the library), so scripts/ci-fuzz.sh
#         links the fuzz targets from it without compiling the library again.
#         The kill -9 trials run fewer trials here than in the plain stage
#         (writer 40 of 100, ingest 40 of 300, snapshot and compact 30 of 200, PostgreSQL
#         capture 15 of 100): each trial starts instrumented processes.
#         Not built: benchmarks. Not run: wayback_install_test (it links an
#         uninstrumented consumer against the instrumented library; the plain
#         build runs it) and recovery_oracle_test (about 106 s here: thousands
#         of restores over the same replay and catalog code that restore_test,
#         the replay pipeline, conformance and snapshot-build tests run under
#         ASan too; the plain build runs it at full count).
#   tsan  $TSAN_BUILD_DIR (default build-tsan): ThreadSanitizer, only the
#         concurrent writer, replay and staged RocksDB target tests
#         ($TSAN_TESTS: test binaries = ctest names; the staged target's
#         partition threads, parallel sort and write pool and background
#         release run in rocksdb_target_test, state_target_conformance_test
#         and wayback_rocksdb_staging_test).
# Usage: scripts/ci-sanitize.sh [asan|tsan|all] (default all). JOBS (default
# 2) sets build and ctest parallelism. RocksDB, Abseil and GoogleTest are the
# Debian builds, not instrumented: ASan runs with detect_container_overflow=0,
# and TSan only sees races in our own code and test helpers (which therefore
# use std::mutex, not absl::Mutex, wherever threads meet).
# Prints the time of each phase.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JOBS="${JOBS:-2}"
WHAT="${1:-all}"
ASAN_BUILD_DIR="${ASAN_BUILD_DIR:-$ROOT/build-asan}"
TSAN_BUILD_DIR="${TSAN_BUILD_DIR:-$ROOT/build-tsan}"
TSAN_TESTS="${TSAN_TESTS:-wayback_capture_test wayback_log_test wayback_log_crash_test recovery_restore_test recovery_replay_pipeline_test wayback_reliability_crash_test rocksdb_target_test state_target_conformance_test wayback_rocksdb_staging_test}"

# Also run by scripts/ci-fuzz.sh (`configure-asan`): one instrumented build
# for the sanitized suite and the fuzzers.
configure_asan() {
  cmake -S "$ROOT" -B "$ASAN_BUILD_DIR" -G Ninja \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
    -DWAYBACK_SANITIZE=address,undefined -DWAYBACK_BUILD_FUZZERS=ON \
    -DWAYBACK_WERROR=OFF -DWAYBACK_BUILD_TESTS=ON \
    -DWAYBACK_BUILD_BENCHMARKS=OFF -DWAYBACK_BUILD_TOOLS=ON >/dev/null
}

run_asan() {
  local t0 t1 t2
  t0=$(date +%s)
  configure_asan
  if [ -n "${ASAN_TARGETS:-}" ]; then
    # shellcheck disable=SC2086
    ninja -C "$ASAN_BUILD_DIR" -j"$JOBS" $ASAN_TARGETS
    ASAN_TEST_FILTER="^($(echo $ASAN_TARGETS | tr ' ' '|'))\$"
  else
    ninja -C "$ASAN_BUILD_DIR" -j"$JOBS"
  fi
  t1=$(date +%s)
  echo "ci-sanitize: asan build $((t1 - t0)) s"
  (cd "$ASAN_BUILD_DIR" &&
   WAYBACK_KILL9_TRIALS="${WAYBACK_KILL9_TRIALS:-40}" \
   WAYBACK_INGEST_KILL9_TRIALS="${WAYBACK_INGEST_KILL9_TRIALS:-40}" \
   WAYBACK_SNAPSHOT_KILL9_TRIALS="${WAYBACK_SNAPSHOT_KILL9_TRIALS:-30}" \
   WAYBACK_PG_KILL9_TRIALS="${WAYBACK_PG_KILL9_TRIALS:-15}" \
   WAYBACK_COMPACT_KILL9_TRIALS="${WAYBACK_COMPACT_KILL9_TRIALS:-30}" \
   WAYBACK_EXPIRE_KILL9_TRIALS="${WAYBACK_EXPIRE_KILL9_TRIALS:-12}" \
   WAYBACK_EXPIRE_KILL9_MIDWAY_MIN="${WAYBACK_EXPIRE_KILL9_MIDWAY_MIN:-0}" \
   ASAN_OPTIONS="detect_leaks=1:detect_container_overflow=0:abort_on_error=1" \
   UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
   ctest --output-on-failure -j"$JOBS" --timeout 1500 \
     ${ASAN_TEST_FILTER:+-R "$ASAN_TEST_FILTER"} \
     -E "^(wayback_install_test|recovery_oracle_test)\$${ASAN_TEST_EXCLUDE:+|$ASAN_TEST_EXCLUDE}")
  t2=$(date +%s)
  echo "ci-sanitize: asan tests $((t2 - t1)) s (total $((t2 - t0)) s)"
}

run_tsan() {
  local t0 t1 t2
  t0=$(date +%s)
  cmake -S "$ROOT" -B "$TSAN_BUILD_DIR" -G Ninja \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    "-DCMAKE_C_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
    "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -gline-tables-only -DNDEBUG" \
    -DWAYBACK_SANITIZE=thread -DWAYBACK_WERROR=OFF \
    -DWAYBACK_BUILD_BENCHMARKS=OFF -DWAYBACK_BUILD_TOOLS=OFF >/dev/null
  # shellcheck disable=SC2086
  ninja -C "$TSAN_BUILD_DIR" -j"$JOBS" $TSAN_TESTS
  t1=$(date +%s)
  echo "ci-sanitize: tsan build $((t1 - t0)) s"
  (cd "$TSAN_BUILD_DIR" &&
   TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/scripts/tsan.supp" \
   WAYBACK_POWER_LOSS_TRIALS="${WAYBACK_POWER_LOSS_TRIALS:-300}" \
   ctest --output-on-failure -j"$JOBS" --timeout 1500 \
     -R "^($(echo $TSAN_TESTS | tr ' ' '|'))\$")
  t2=$(date +%s)
  echo "ci-sanitize: tsan tests $((t2 - t1)) s (total $((t2 - t0)) s)"
}

case "$WHAT" in
  asan) run_asan ;;
  tsan) run_tsan ;;
  all) run_asan; run_tsan ;;
  configure-asan) configure_asan ;;
  *) echo "usage: $0 [asan|tsan|all]"; exit 2 ;;
esac
