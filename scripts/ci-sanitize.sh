#!/usr/bin/env bash
# The test suite under sanitizers (clang):
#   asan  build-asan: AddressSanitizer + UndefinedBehaviorSanitizer, every
#         test (ctest; ASAN_TEST_FILTER / ASAN_TEST_EXCLUDE narrow it). With
#         ASAN_TARGETS="t1 t2 ..." only those test binaries are built and run
#         (to fit a CI budget).
#   tsan  build-tsan: ThreadSanitizer, the concurrent writer and replay tests
#         ($TSAN_TESTS: test binaries = ctest names).
# Usage: scripts/ci-sanitize.sh [asan|tsan|all] (default all). JOBS (default
# 2) sets build and ctest parallelism. RocksDB, Abseil and GoogleTest are the
# Debian builds, not instrumented: ASan runs with detect_container_overflow=0,
# and TSan can only see races in our own code.
# Prints the time of each phase.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
JOBS="${JOBS:-2}"
WHAT="${1:-all}"
TSAN_TESTS="${TSAN_TESTS:-wayback_log_test wayback_log_crash_test recovery_restore_test wayback_reliability_crash_test}"

configure() {  # dir sanitize
  cmake -S "$ROOT" -B "$1" -G Ninja \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWAYBACK_SANITIZE="$2" \
    -DWAYBACK_WERROR=OFF -DWAYBACK_BUILD_BENCHMARKS=OFF >/dev/null
}

run_asan() {
  local t0 t1 t2
  t0=$(date +%s)
  configure "$ROOT/build-asan" address,undefined
  if [ -n "${ASAN_TARGETS:-}" ]; then
    # shellcheck disable=SC2086
    ninja -C "$ROOT/build-asan" -j"$JOBS" $ASAN_TARGETS
    ASAN_TEST_FILTER="^($(echo $ASAN_TARGETS | tr ' ' '|'))\$"
  else
    ninja -C "$ROOT/build-asan" -j"$JOBS"
  fi
  t1=$(date +%s)
  echo "ci-sanitize: asan build $((t1 - t0)) s"
  (cd "$ROOT/build-asan" &&
   ASAN_OPTIONS="detect_leaks=1:detect_container_overflow=0:abort_on_error=1" \
   UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
   ctest --output-on-failure -j"$JOBS" --timeout 1500 \
     ${ASAN_TEST_FILTER:+-R "$ASAN_TEST_FILTER"} \
     ${ASAN_TEST_EXCLUDE:+-E "$ASAN_TEST_EXCLUDE"})
  t2=$(date +%s)
  echo "ci-sanitize: asan tests $((t2 - t1)) s (total $((t2 - t0)) s)"
}

run_tsan() {
  local t0 t1 t2
  t0=$(date +%s)
  configure "$ROOT/build-tsan" thread
  # shellcheck disable=SC2086
  ninja -C "$ROOT/build-tsan" -j"$JOBS" $TSAN_TESTS
  t1=$(date +%s)
  echo "ci-sanitize: tsan build $((t1 - t0)) s"
  (cd "$ROOT/build-tsan" &&
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
  *) echo "usage: $0 [asan|tsan|all]"; exit 2 ;;
esac
