#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, AddressSanitizer + UndefinedBehavior-
# Sanitizer), replays each committed corpus fuzz/corpus/<target>, then fuzzes
# each target for FUZZ_SECONDS (default 60), FUZZ_PARALLEL targets at a time
# (default 2: one per core). New inputs that increase coverage go to
# $BUILD/corpus/<target> (not committed); a crash leaves
# $BUILD/artifacts/<target>/crash-* and fails the script: copy it to
# fuzz/corpus/<target>/regression-<what> so that it becomes a test (the
# wayback_replay_<target> tests replay every file of the corpus).
#
# The build is the one of `scripts/ci-sanitize.sh asan` (same directory, same
# configuration): the library is compiled once, with coverage instrumentation,
# and only the fuzz executables are linked here.
#
# Environment: FUZZ_SECONDS (per target), FUZZ_TARGETS (space-separated
# subset), FUZZ_PARALLEL, JOBS (build parallelism, default 2), BUILD_DIR
# (default build-asan). Prints "FUZZ <target> runs=N ..." per target and
# writes $BUILD/results/fuzz.json.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${BUILD_DIR:-$ROOT/build-asan}"
SECONDS_PER_TARGET="${FUZZ_SECONDS:-60}"
PARALLEL="${FUZZ_PARALLEL:-2}"
JOBS="${JOBS:-2}"
TARGETS="${FUZZ_TARGETS:-fuzz_segment fuzz_snapshot fuzz_record_codec fuzz_import_line fuzz_commit_time fuzz_s3_list fuzz_pgoutput}"
start=$(date +%s)

# The one ASan+UBSan build the sanitized suite uses (scripts/ci-sanitize.sh).
ASAN_BUILD_DIR="$BUILD" bash "$ROOT/scripts/ci-sanitize.sh" configure-asan
# shellcheck disable=SC2086
ninja -C "$BUILD" -j"$JOBS" $TARGETS
built=$(date +%s)
echo "ci-fuzz: build took $((built - start)) s"

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:detect_container_overflow=0:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}"
mkdir -p "$BUILD/results"

# 1. Replay every committed corpus (regression inputs included).
status=0
for t in $TARGETS; do
  if ! "$BUILD/fuzz/$t" -runs=0 "$ROOT/fuzz/corpus/$t" \
       >"$BUILD/$t.replay.log" 2>&1; then
    echo "FUZZ $t: replay of fuzz/corpus/$t FAILED"
    tail -30 "$BUILD/$t.replay.log"
    status=1
  fi
done
replayed=$(date +%s)
echo "ci-fuzz: corpus replay took $((replayed - built)) s"

# 2. Fuzz, PARALLEL targets at a time. -rss_limit_mb bounds each input's
# memory like the bomb tests.
fuzz_one() {
  local t=$1 work="$BUILD/corpus/$1" art="$BUILD/artifacts/$1" rc=0
  mkdir -p "$work" "$art"
  "$BUILD/fuzz/$t" -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 \
    -max_len=65536 -timeout=25 -print_final_stats=1 \
    -artifact_prefix="$art/" "$work" "$ROOT/fuzz/corpus/$t" \
    >"$BUILD/$t.fuzz.log" 2>&1 || rc=$?
  echo "$rc" >"$BUILD/$t.fuzz.rc"
}
# Batches of PARALLEL targets (every run takes FUZZ_SECONDS, so batches keep
# the cores as busy as a pool would).
batch=()
for t in $TARGETS; do
  rm -f "$BUILD/$t.fuzz.rc"
  fuzz_one "$t" &
  batch+=("$!")
  if [ "${#batch[@]}" -ge "$PARALLEL" ]; then
    wait "${batch[@]}"
    batch=()
  fi
done
wait

json="{"
for t in $TARGETS; do
  log="$BUILD/$t.fuzz.log"
  if [ "$(cat "$BUILD/$t.fuzz.rc" 2>/dev/null)" = 0 ]; then
    result=ok
  else
    result=FAILED
    status=1
    tail -40 "$log"
  fi
  runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo 0)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | grep -o '[0-9]*' || echo 0)
  corpus=$(ls "$BUILD/corpus/$t" | wc -l)
  echo "FUZZ $t runs=${runs:-0} cov=${cov:-0} corpus=$corpus seconds=$SECONDS_PER_TARGET result=$result"
  json="$json\"$t\": {\"runs\": ${runs:-0}, \"cov\": ${cov:-0}, \"seconds\": $SECONDS_PER_TARGET, \"result\": \"$result\"}, "
done
end=$(date +%s)
json="$json\"parallel\": $PARALLEL, \"total_seconds\": $((end - start))}"
echo "$json" >"$BUILD/results/fuzz.json"
echo "ci-fuzz: fuzzing took $((end - replayed)) s; total $((end - start)) s -> $BUILD/results/fuzz.json"
exit $status
