#!/usr/bin/env bash
# Installs the Debian and npm packages Wayback needs. Does nothing (and asks
# no registry) when they are already there.
#   scripts/install-deps.sh          everything the build, tests and CI need
#   scripts/install-deps.sh --main   only what building the wayback tool needs
#                                    (scripts/demo.sh, the README's main job)
set -euo pipefail
cd "$(dirname "$0")/.."
MAIN_ONLY=0
[[ "${1:-}" == "--main" ]] && MAIN_ONLY=1

# The tool: compilers, CMake, the libraries it links, and python3 (the build
# checks the layering with cmake/check_layers.py).
PACKAGES=(build-essential cmake ninja-build pkg-config python3
  librocksdb-dev libgflags-dev libsnappy-dev liblz4-dev zlib1g-dev libbz2-dev
  libzstd-dev libabsl-dev libboost-all-dev
  nlohmann-json3-dev libssl-dev libcurl4-openssl-dev libcli11-dev libxxhash-dev
  libpq-dev)
if ((!MAIN_ONLY)); then
  # Tests, benchmarks, sanitizers and fuzzers; RocksDB's own tools (ldb,
  # sst_dump) read restored databases back; Node.js for the s3rver kept for
  # use by hand.
  PACKAGES+=(clang clang-format libbenchmark-dev libgtest-dev libgmock-dev
    rocksdb-tools nodejs npm
    ceph-mon ceph-osd radosgw ceph-common python3-botocore curl uuid-runtime
    postgresql-15 prometheus)
  # Ceph (mon, OSD, RGW, and the ceph/radosgw-admin tools) runs the S3 tests'
  # object store (scripts/ceph-rgw.sh; nothing starts at install). botocore
  # checks signatures in the fault proxy; the interop tests need an AWS CLI,
  # Debian's `awscli` unless one is on PATH already. PostgreSQL 15: the
  # capture tests start private servers of their own (the package's cluster
  # is not used; tests/testutil/postgres_server.h). prometheus: its promtool
  # validates the textfile `wayback check --prometheus` writes (the server
  # is not used).
  command -v aws >/dev/null || PACKAGES+=(awscli)
fi

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
if ((!MAIN_ONLY)) && [[ -f package.json && ! -d node_modules/s3rver ]]; then
  echo "install-deps: npm ci (s3rver)"
  npm ci --no-audit --no-fund --loglevel=error
fi
