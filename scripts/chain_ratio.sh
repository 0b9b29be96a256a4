#!/usr/bin/env bash
# Restore speed from a full snapshot + 6 deltas against one full snapshot of
# the same state (docs/snapshots.md, "Whole restores, chain against full").
# Usage: scripts/chain_ratio.sh [memory|rocksdb] (default both). Environment:
# W (the wayback binary, default build/tools/wayback), DAYS (2), RATE (5),
# PAIRS (7), D (work directory, default /tmp/chain-ratio; deleted first).
set -euo pipefail
W=${W:-$(cd "$(dirname "$0")/.." && pwd)/build/tools/wayback}
D=${D:-/tmp/chain-ratio}
rm -rf "$D"; mkdir -p "$D"
"$W" gen --repo "$D/a" --days "${DAYS:-2}" --rate "${RATE:-5}" --snapshot-every 0 >/dev/null
cp -r "$D/a" "$D/b"
LAST=$("$W" plan --repo "$D/a" --latest --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["last_lsn"])')
STEP=$((LAST / 7))
"$W" snapshot --repo "$D/a" --at "lsn:$STEP" --kind full >/dev/null
for i in 2 3 4 5 6; do
  "$W" snapshot --repo "$D/a" --at "lsn:$((STEP * i))" --kind delta >/dev/null
done
"$W" snapshot --repo "$D/a" --at "lsn:$LAST" --kind delta >/dev/null
"$W" snapshot --repo "$D/b" --at "lsn:$LAST" --kind full >/dev/null
"$W" plan --repo "$D/a" --lsn "$LAST"
for into in ${1:-memory rocksdb}; do
  python3 - "$W" "$D" "$LAST" "${PAIRS:-7}" "$into" <<'PY'
import resource, shutil, statistics, subprocess, sys, time
w, d, lsn, pairs, into = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
runs = {"a": [], "b": []}
for _ in range(pairs):
    for x in "ab":  # alternating: chain, then full
        shutil.rmtree(d + "/out", ignore_errors=True)
        target = "memory" if into == "memory" else "rocksdb:" + d + "/out"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.time()
        subprocess.run([w, "restore", "--repo", f"{d}/{x}", "--lsn", lsn, "--into", target],
                       stdout=subprocess.DEVNULL, check=True)
        wall = time.time() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
        runs[x].append((wall, cpu))
med = statistics.median
ratio = [b[0] / a[0] for a, b in zip(runs["a"], runs["b"])]
cpu = [b[1] / a[1] for a, b in zip(runs["a"], runs["b"])]
print(f"{into}: chain wall median {med([r[0] for r in runs['a']]):.2f} s (cpu {med([r[1] for r in runs['a']]):.2f} s); "
      f"full wall median {med([r[0] for r in runs['b']]):.2f} s (cpu {med([r[1] for r in runs['b']]):.2f} s)")
print(f"  speed chain/full per pair: median {med(ratio):.2f} ({min(ratio):.2f}-{max(ratio):.2f}); "
      f"cpu ratio median {med(cpu):.2f} ({min(cpu):.2f}-{max(cpu):.2f})")
PY
done
