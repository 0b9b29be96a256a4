#!/usr/bin/env bash
# Installs every Debian package and npm package Wayback's build and tests need.
# Does nothing (and asks no registry) when they are already there.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(build-essential cmake ninja-build pkg-config clang clang-format
  librocksdb-dev libgflags-dev libsnappy-dev liblz4-dev zlib1g-dev libbz2-dev
  libzstd-dev libabsl-dev libboost-all-dev libbenchmark-dev libgtest-dev libgmock-dev
  nlohmann-json3-dev libssl-dev libcurl4-openssl-dev libcli11-dev libxxhash-dev
  rocksdb-tools nodejs npm
  ceph-mon ceph-osd radosgw ceph-common python3-botocore curl uuid-runtime)
# Ceph (mon, OSD, RGW, and the ceph/radosgw-admin tools) runs the S3 tests'
# object store (scripts/ceph-rgw.sh; nothing starts at install). botocore
# checks signatures in the fault proxy; the interop tests need an AWS CLI,
# Debian's `awscli` unless one is on PATH already.
command -v aws >/dev/null || PACKAGES+=(awscli)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
# Node.js may come from outside Debian (a preinstalled node); accept any working one.
if command -v node >/dev/null && command -v npm >/dev/null; then
  filtered=()
  for p in "${missing[@]}"; do [[ "$p" == nodejs || "$p" == npm ]] || filtered+=("$p"); done
  missing=("${filtered[@]+"${filtered[@]}"}")
fi
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [[ $(id -u) -ne 0 ]] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The S3-compatible test server (pinned in package.json / package-lock.json).
if [[ -f package.json && ! -d node_modules/s3rver ]]; then
  echo "install-deps: npm ci (s3rver)"
  npm ci --no-audit --no-fund --loglevel=error
fi
