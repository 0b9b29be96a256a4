#!/usr/bin/env bash
# Runs s3rver, the S3-compatible server pinned in package.json, for trying
# Wayback against S3 by hand without Ceph. No test uses it: they run against
# Ceph RGW (scripts/ceph-rgw.sh), which, unlike s3rver, checks signatures and
# enforces conditional writes, Object Lock and versioning.
#
#   scripts/s3rver.sh start DATA_DIR [PORT] [BUCKET]   # default 4568, wayback
#   scripts/s3rver.sh stop DATA_DIR
#
# `start` runs it in the background on 127.0.0.1, creates BUCKET, waits until
# it listens, and prints the environment and URI to use, e.g.
#   export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER
#   wayback ... --repo 's3://wayback/repo?endpoint=http://127.0.0.1:4568'
# s3rver accepts any SigV4 signature made with the key S3RVER (it does not
# verify V4 signatures); see tests/storage/sigv4_test.cc for how ours are
# checked.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  sed -n '2,16p' "$0" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile="$dir/s3rver.pid"

case "$cmd" in
  start)
    port=${3:-4568}
    bucket=${4:-wayback}
    s3rver="$root/node_modules/.bin/s3rver"
    [[ -x "$s3rver" ]] || { echo "s3rver: run 'npm ci' (or scripts/install-deps.sh) first" >&2; exit 1; }
    if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "s3rver: already running (pid $(cat "$pidfile"))" >&2
      exit 1
    fi
    # s3rver 3.7.1 makes list continuation tokens with DES, which Node >= 17
    # (OpenSSL 3) offers only through the legacy provider.
    node_flags=()
    if node --openssl-legacy-provider -e 0 >/dev/null 2>&1; then
      node_flags+=(--openssl-legacy-provider)
    fi
    mkdir -p "$dir/data"
    nohup node "${node_flags[@]}" "$s3rver" -d "$dir/data" -a 127.0.0.1 -p "$port" \
      --silent --configure-bucket "$bucket" >"$dir/s3rver.log" 2>&1 &
    echo $! >"$pidfile"
    for _ in $(seq 1 100); do
      grep -q "listening on" "$dir/s3rver.log" 2>/dev/null && break
      kill -0 "$(cat "$pidfile")" 2>/dev/null || { cat "$dir/s3rver.log" >&2; exit 1; }
      sleep 0.1
    done
    grep -q "listening on" "$dir/s3rver.log" || { echo "s3rver: did not start" >&2; exit 1; }
    echo "s3rver: pid $(cat "$pidfile"), bucket $bucket, endpoint http://127.0.0.1:$port"
    echo "export AWS_ACCESS_KEY_ID=S3RVER AWS_SECRET_ACCESS_KEY=S3RVER"
    echo "URI: s3://$bucket/<prefix>?endpoint=http://127.0.0.1:$port"
    ;;
  stop)
    if [[ -f "$pidfile" ]]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      rm -f "$pidfile"
      echo "s3rver: stopped"
    else
      echo "s3rver: not running" >&2
    fi
    ;;
  *)
    sed -n '2,16p' "$0" >&2
    exit 2
    ;;
esac
