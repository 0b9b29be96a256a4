#!/usr/bin/env bash
# A throwaway one-node Ceph cluster with the RADOS Gateway (S3), for the S3
# tests and for trying Wayback against a server that checks signatures and
# honours conditional writes, Object Lock and versioning.
#
#   scripts/ceph-rgw.sh start DIR [--owner PID]
#   scripts/ceph-rgw.sh stop DIR
#
# `start` bootstraps everything under DIR (which must not exist or be empty):
# its own ceph.conf (every command gets `-c DIR/ceph.conf`), keyrings, monmap,
# daemon data, run and log directories; nothing is read from or written to
# /etc/ceph, /var/lib/ceph or /var/log/ceph. One monitor (msgr2 only) and one
# RGW on free ports of 127.0.0.1, one OSD on the in-memory `memstore` object
# store (it picks its own port in 6800-7300), no manager. It creates an S3 user
# with known keys, waits until a signed S3 request succeeds and writes
# DIR/env, shell assignments a test or a person can source:
#   WAYBACK_RGW_ENDPOINT=http://127.0.0.1:PORT
#   AWS_ACCESS_KEY_ID=...  AWS_SECRET_ACCESS_KEY=...  AWS_DEFAULT_REGION=...
# With --owner PID, a watchdog stops the cluster once process PID is gone (a
# test binary that crashes before it can call `stop`).
#
# `stop` kills (SIGKILL) exactly the daemons `start` started (by their pid
# files in DIR/run), waits for them to exit, and removes DIR.
#
# Exit status: 0 on success; 1 when Ceph is not installed or the cluster did
# not come up (the daemons' logs are printed); 2 on bad usage.
set -euo pipefail

usage() { sed -n '2,26p' "$0" >&2; exit 2; }

cmd=${1:-}
dir=${2:-}
[[ -n "$cmd" && -n "$dir" ]] || usage
shift 2

readonly ACCESS_KEY=WAYBACKRGWTESTKEY001
readonly SECRET_KEY=wayback-rgw-test-secret-0123456789abcdef
readonly REGION=us-east-1

# A TCP port nobody listens on now (the kernel's choice for port 0).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Every daemon `start` may have started, by pid file.
pid_files() {
  local f
  for f in "$dir"/run/*.pid; do [[ -f "$f" ]] && echo "$f"; done
  return 0
}

stop_cluster() {
  local f pid pids=()
  [[ -d "$dir" ]] || return 0
  # The watchdog first, so that it does not race us.
  if [[ -f "$dir/run/watchdog.pid" ]]; then
    pid=$(cat "$dir/run/watchdog.pid")
    [[ "$pid" != "$$" ]] && kill "$pid" 2>/dev/null || true
    rm -f "$dir/run/watchdog.pid"
  fi
  # SIGKILL, not SIGTERM: the cluster's data lives in memory and in DIR, both
  # about to go, so an orderly shutdown saves nothing, and it is slow (the OSD
  # waits for the monitor to mark it down; seconds per daemon). A pid is only
  # killed if that process still runs with this cluster's ceph.conf, so a pid
  # file left by a daemon that died cannot hit a stranger that reused its pid.
  for f in $(pid_files); do
    pid=$(cat "$f" 2>/dev/null || true)
    [[ "$pid" =~ ^[0-9]+$ ]] || continue
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "$dir/ceph.conf"; then
      kill -9 "$pid" 2>/dev/null && pids+=("$pid")
    fi
  done
  local i
  for i in $(seq 1 100); do
    local alive=()
    for pid in "${pids[@]+"${pids[@]}"}"; do
      kill -0 "$pid" 2>/dev/null && alive+=("$pid")
    done
    pids=("${alive[@]+"${alive[@]}"}")
    ((${#pids[@]})) || break
    sleep 0.05
  done
  rm -rf "$dir"
}

fail() {
  echo "ceph-rgw: $*" >&2
  local f
  for f in "$dir"/log/*.log; do
    [[ -f "$f" ]] || continue
    echo "---- ${f#"$dir"/} (last 20 lines)" >&2
    tail -n 20 "$f" >&2
  done
  stop_cluster
  exit 1
}

start_cluster() {
  local owner=""
  while (($#)); do
    case "$1" in
      --owner) owner=${2:?}; shift 2 ;;
      *) usage ;;
    esac
  done
  local tool
  for tool in ceph-mon ceph-osd radosgw radosgw-admin ceph ceph-authtool monmaptool python3 curl; do
    command -v "$tool" >/dev/null ||
      { echo "ceph-rgw: $tool is not installed (run scripts/install-deps.sh)" >&2; exit 1; }
  done
  if [[ -e "$dir" && -n "$(ls -A "$dir" 2>/dev/null)" ]]; then
    echo "ceph-rgw: $dir exists and is not empty" >&2
    exit 1
  fi
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  mkdir -p "$dir"/{run,log,mon,osd/0,rgw}
  if [[ -n "$owner" ]]; then
    # Watches `owner` and stops the cluster when it is gone, from before the
    # first daemon starts (a start that hangs and is killed leaves none
    # behind). setsid: not in the caller's process group, so a signal to that
    # group does not stop the watchdog before it has cleaned up.
    setsid bash "$0" watch "$dir" "$owner" </dev/null >/dev/null 2>&1 &
    echo $! >"$dir/run/watchdog.pid"
  fi
  local conf=$dir/ceph.conf fsid mon_port rgw_port
  fsid=$(uuidgen 2>/dev/null || cat /proc/sys/kernel/random/uuid)
  mon_port=$(free_port)
  rgw_port=$(free_port)
  while [[ "$rgw_port" == "$mon_port" ]]; do rgw_port=$(free_port); done

  # Why each setting: paxos_propose_interval 0.05 (default 1 s) because each
  # pool RGW creates needs two monitor map updates, which otherwise make the
  # start take 12-14 s; pools of size 1 with 8 placement groups and no
  # autoscaler (there is one OSD and no manager); no msgr1 port.
  cat >"$conf" <<EOF
[global]
fsid = $fsid
mon host = [v2:127.0.0.1:$mon_port]
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind msgr2 = true
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $dir/\$name.keyring
run dir = $dir/run
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
log file = $dir/log/\$name.log
mon cluster log file = $dir/log/cluster.log
crash dir = $dir/crash
paxos propose interval = 0.05
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd crush chooseleaf type = 0
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
mon max pg per osd = 1000
auth allow insecure global id reclaim = false
mon data = $dir/mon/\$name
osd data = $dir/osd/\$id
osd objectstore = memstore
memstore device bytes = 8589934592
osd max object name len = 460
osd max object namespace len = 64

[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1
rgw data = $dir/rgw
rgw thread pool size = 64
# Parts down to 1 MiB (AWS and RGW's default: 5 MiB), so that tests exercise
# multipart uploads with small objects.
rgw multipart min part size = 1048576
EOF
  local c=(-c "$conf")
  # The ceph tool waits for a monitor forever by default.
  local ceph=(ceph -c "$conf" --connect-timeout 30)

  # Keys: the monitors' own, the admin's (imported into the monitor's keyring
  # so that the first `ceph` command is authorized).
  ceph-authtool --create-keyring "$dir/mon.a.keyring" --gen-key -n mon. \
    --cap mon 'allow *' >/dev/null
  ceph-authtool --create-keyring "$dir/client.admin.keyring" --gen-key \
    -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' \
    >/dev/null
  ceph-authtool "$dir/mon.a.keyring" --import-keyring "$dir/client.admin.keyring" \
    >/dev/null
  monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" \
    "$dir/monmap" >/dev/null
  ceph-mon "${c[@]}" --mkfs -i a --monmap "$dir/monmap" \
    --keyring "$dir/mon.a.keyring" >/dev/null 2>&1 || fail "ceph-mon --mkfs failed"
  ceph-mon "${c[@]}" -i a 2>>"$dir/log/mon.a.stderr" || fail "ceph-mon did not start"

  # The OSD: registered with its key, then its memstore made and started.
  local osd_uuid osd_key
  osd_uuid=$(uuidgen 2>/dev/null || cat /proc/sys/kernel/random/uuid)
  osd_key=$(ceph-authtool --gen-print-key)
  printf '[osd.0]\n\tkey = %s\n' "$osd_key" >"$dir/osd.0.keyring"
  echo "{\"cephx_secret\": \"$osd_key\"}" |
    "${ceph[@]}" osd new "$osd_uuid" -i - >/dev/null 2>&1 || fail "ceph osd new failed"
  ceph-osd "${c[@]}" -i 0 --mkfs --osd-uuid "$osd_uuid" >/dev/null 2>&1 ||
    fail "ceph-osd --mkfs failed"
  ceph-osd "${c[@]}" -i 0 2>>"$dir/log/osd.0.stderr" || fail "ceph-osd did not start"

  # The gateway.
  "${ceph[@]}" auth get-or-create client.rgw.a mon 'allow rw' osd 'allow rwx' \
    -o "$dir/client.rgw.a.keyring" >/dev/null 2>&1 || fail "rgw key failed"
  radosgw "${c[@]}" -n client.rgw.a 2>>"$dir/log/rgw.stderr" || fail "radosgw did not start"
  radosgw-admin "${c[@]}" user create --uid=wayback --display-name=Wayback \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null 2>"$dir/log/user.log" ||
    fail "radosgw-admin user create failed"

  # Ready when a signed request (ListBuckets with our keys) succeeds.
  local endpoint=http://127.0.0.1:$rgw_port code=""
  local i
  for i in $(seq 1 300); do
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
      --aws-sigv4 "aws:amz:$REGION:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
      -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$endpoint/" || true)
    [[ "$code" == 200 ]] && break
    sleep 0.1
  done
  [[ "$code" == 200 ]] || fail "no signed request succeeded at $endpoint (last HTTP $code)"
  cat >"$dir/env" <<EOF
WAYBACK_RGW_ENDPOINT=$endpoint
AWS_ACCESS_KEY_ID=$ACCESS_KEY
AWS_SECRET_ACCESS_KEY=$SECRET_KEY
AWS_DEFAULT_REGION=$REGION
EOF
  echo "ceph-rgw: cluster in $dir, S3 endpoint $endpoint (env in $dir/env)"
}

watch_owner() {
  local owner=${1:?}
  while kill -0 "$owner" 2>/dev/null; do sleep 1; done
  [[ -d "$dir" ]] || exit 0
  rm -f "$dir/run/watchdog.pid"
  stop_cluster
}

case "$cmd" in
  start) start_cluster "$@" ;;
  stop)
    [[ -d "$dir" ]] || { echo "ceph-rgw: $dir does not exist" >&2; exit 0; }
    dir=$(cd "$dir" && pwd)
    [[ -f "$dir/ceph.conf" ]] || { echo "ceph-rgw: $dir holds no cluster" >&2; exit 1; }
    stop_cluster
    ;;
  watch) dir=$(cd "$dir" && pwd); watch_owner "$@" ;;
  *) usage ;;
esac
