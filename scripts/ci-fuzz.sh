#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer + UndefinedBehavior-
# Sanitizer) in build-fuzz, replays each committed corpus fuzz/corpus/<target>,
# then fuzzes each target for FUZZ_SECONDS (default 60). New inputs that
# increase coverage go to build-fuzz/corpus/<target> (not committed); a crash
# leaves build-fuzz/artifacts/<target>/crash-* and fails the script: copy it
# to fuzz/corpus/<target>/regression-<what> so that it becomes a test (the
# wayback_replay_<target> tests replay every file of the corpus).
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TARGETS (space-separated
# subset), JOBS (build parallelism, default 2), BUILD_DIR (default build-fuzz).
# Prints "FUZZ <target> runs=N ..." per target and writes
# build-fuzz/results/fuzz.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build-fuzz}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
JOBS="${JOBS:-2}"
TARGETS="${FUZZ_TARGETS:-fuzz_segment fuzz_snapshot fuzz_record_codec fuzz_import_line fuzz_commit_time fuzz_s3_list}"
start=$(date +%s)

cmake -S "$ROOT" -B "$BUILD" -G Ninja \
  -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DWAYBACK_BUILD_FUZZERS=ON \
  -DWAYBACK_SANITIZE=address,undefined -DWAYBACK_WERROR=OFF \
  -DWAYBACK_BUILD_TESTS=OFF -DWAYBACK_BUILD_BENCHMARKS=OFF \
  -DWAYBACK_BUILD_TOOLS=OFF >/dev/null
# shellcheck disable=SC2086
ninja -C "$BUILD" -j"$JOBS" $TARGETS
built=$(date +%s)
echo "ci-fuzz: build took $((built - start)) s"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_container_overflow=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
mkdir -p "$BUILD/results"
json="{"
status=0
for t in $TARGETS; do
  seeds="$ROOT/fuzz/corpus/$t"
  work="$BUILD/corpus/$t"
  art="$BUILD/artifacts/$t"
  mkdir -p "$work" "$art"
  # 1. Replay the committed corpus (regression inputs included).
  if ! "$BUILD/fuzz/$t" -runs=0 "$seeds" >"$BUILD/$t.replay.log" 2>&1; then
    echo "FUZZ $t: replay of $seeds FAILED"; tail -30 "$BUILD/$t.replay.log"
    status=1
    continue
  fi
  # 2. Fuzz. -rss_limit_mb bounds each input's memory like the bomb tests.
  log="$BUILD/$t.fuzz.log"
  if "$BUILD/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
       -max_len=65536 -timeout=25 -print_final_stats=1 \
       -artifact_prefix="$art/" "$work" "$seeds" >"$log" 2>&1; then
    result=ok
  else
    result=FAILED
    status=1
    tail -40 "$log"
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  corpus=$(ls "$work" | wc -l)
  echo "FUZZ $t runs=${runs:-0} cov=${cov:-0} corpus=$corpus seconds=$SECONDS_PER_TARGET result=$result"
  json="$json\"$t\": {\"runs\": ${runs:-0}, \"cov\": ${cov:-0}, \"seconds\": $SECONDS_PER_TARGET, \"result\": \"$result\"}, "
done
end=$(date +%s)
json="$json\"total_seconds\": $((end - start))}"
echo "$json" >"$BUILD/results/fuzz.json"
echo "ci-fuzz: total $((end - start)) s -> $BUILD/results/fuzz.json"
exit $status
