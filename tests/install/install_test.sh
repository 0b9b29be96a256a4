#!/usr/bin/env bash
# Installs the built tree into a temporary prefix and builds two consumer
# projects against it with find_package(wayback): one of the core alone
# (wayback::wayback), which must carry no RocksDB at all (no RocksDB symbol in
# the binary, no RocksDB dependency in ldd's list), and one that asks for the
# rocksdb component. Both restore a small repository and check the result.
set -euo pipefail
BUILD_DIR=$1
SOURCE_DIR=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$BUILD_DIR" --prefix "$work/prefix" >/dev/null
test -f "$work/prefix/include/wayback/recovery.h"
test -f "$work/prefix/include/wayback/repository.h"
test -f "$work/prefix/include/wayback/rocksdb.h"
test -f "$work/prefix/lib/cmake/wayback/waybackConfig.cmake"
# The support library's headers are not part of the contract.
test ! -e "$work/prefix/include/wayback/workload.h"
test ! -e "$work/prefix/include/wayback/bench.h"

cmake -S "$SOURCE_DIR/tests/install/consumer" -B "$work/core" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$work/core" >/dev/null
echo "core consumer, ldd:"
ldd "$work/core/consumer" | sed 's/^/  /'
if ldd "$work/core/consumer" | grep -Eiq 'rocksdb|snappy|gflags|liblz4|libbz2'; then
  echo "install_test: the core consumer depends on RocksDB or its libraries" >&2
  exit 1
fi
rocks_symbols=$(nm -C "$work/core/consumer" | grep -c 'rocksdb::' || true)
echo "core consumer: ${rocks_symbols} rocksdb:: symbols"
if [ "$rocks_symbols" -ne 0 ]; then
  echo "install_test: the core consumer carries RocksDB code" >&2
  exit 1
fi
mkdir -p "$work/run-core"
"$work/core/consumer" "$work/run-core"

cmake -S "$SOURCE_DIR/tests/install/consumer" -B "$work/rocks" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" -DCMAKE_BUILD_TYPE=Release \
  -DWITH_ROCKSDB=ON >/dev/null
cmake --build "$work/rocks" >/dev/null
rocks_symbols=$(nm -C "$work/rocks/consumer_rocksdb" | grep -c 'rocksdb::' || true)
echo "rocksdb consumer: ${rocks_symbols} rocksdb:: symbols"
mkdir -p "$work/run-rocks"
"$work/rocks/consumer_rocksdb" "$work/run-rocks"
