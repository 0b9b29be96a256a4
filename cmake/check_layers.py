#!/usr/bin/env python3
"""Fails the build when a file includes a layer above its own.

The layers of DESIGN.md, bottom to top, and what each may include. A layer
is a directory under src/ (its .cc and internal .h files) plus the public
headers it implements (PUBLIC_HEADERS). Every "wayback/..." or "src/..."
include of every file is checked against the including layer's ALLOWED set;
third-party headers are checked against THIRD_PARTY (RocksDB only in the
RocksDB component and the support code that measures against it). Run by the
build (target wayback_layer_check, part of ALL) so that an upward include
fails the build, not a review.

Usage: check_layers.py SOURCE_DIR
"""
import os
import re
import sys

# Each layer and the layers it may include (itself always).
ALLOWED = {
    "util": [],
    "storage": ["util"],
    "log": ["storage", "util"],
    "snapshot": ["storage", "util"],
    "target": ["snapshot", "storage", "util"],
    "rocksdb": ["target", "snapshot", "storage", "util"],
    "recovery": ["target", "snapshot", "log", "storage", "util"],
    "repository": ["recovery", "target", "snapshot", "log", "storage", "util"],
    "capture": ["repository", "recovery", "target", "snapshot", "log",
                "storage", "util"],
    "postgres": ["capture", "repository", "recovery", "target", "snapshot",
                 "log", "storage", "util"],
    "workload": ["capture", "repository", "recovery", "target", "snapshot", "log",
                 "storage", "util"],
    "bench": ["workload", "capture", "repository", "recovery", "rocksdb", "target",
              "snapshot", "log", "storage", "util"],
}

# Public headers, by the layer that implements them.
PUBLIC_HEADERS = {
    "status.h": "util", "types.h": "util", "clock.h": "util",
    "storage.h": "storage", "mirror.h": "storage",
    "repository_identity.h": "storage",
    "log.h": "log",
    "snapshot.h": "snapshot",
    "state_target.h": "target",
    "rocksdb.h": "rocksdb",
    "recovery.h": "recovery",
    "repository.h": "repository", "compact.h": "repository",
    "expire.h": "repository",
    "capture.h": "capture",
    "postgres.h": "postgres",
}

# Third-party include prefixes and the layers that may use them.
THIRD_PARTY = {
    "rocksdb/": {"rocksdb", "bench"},
    "libpq-fe.h": {"postgres"},
}
# Public headers include none of these (the contract is free of them).
PUBLIC_FORBIDDEN = ("rocksdb/", "zstd", "boost/", "nlohmann/", "curl/",
                    "openssl/", "libpq-fe.h")

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
INCLUDE_ANY = re.compile(r'^\s*#\s*include\s+[<"]([^">]+)[">]', re.M)


def layer_of_source(rel):
    parts = rel.split(os.sep)
    if parts[0] != "src" or len(parts) < 3:
        return None
    if parts[1] == "target" and parts[2] == "rocksdb":
        return "rocksdb"
    return parts[1] if parts[1] in ALLOWED else None


def layer_of_include(inc):
    if inc.startswith("wayback/"):
        return PUBLIC_HEADERS.get(inc[len("wayback/"):], "?public")
    if inc.startswith("src/"):
        return layer_of_source(inc.replace("/", os.sep))
    return None


def main():
    root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else ".")
    problems = []
    files = []
    for base in ("src", os.path.join("include", "wayback")):
        for dirpath, _, names in os.walk(os.path.join(root, base)):
            for n in names:
                if n.endswith((".h", ".cc")):
                    files.append(os.path.relpath(os.path.join(dirpath, n), root))
    for rel in sorted(files):
        if rel.startswith("include"):
            layer = PUBLIC_HEADERS.get(os.path.basename(rel))
            if layer is None:
                problems.append(f"{rel}: a public header no layer owns; add it "
                                "to PUBLIC_HEADERS in cmake/check_layers.py")
                continue
        else:
            layer = layer_of_source(rel)
            if layer is None:
                continue
        text = open(os.path.join(root, rel), encoding="utf-8").read()
        for inc in INCLUDE_ANY.findall(text):
            if rel.startswith("include") and inc.startswith(PUBLIC_FORBIDDEN):
                problems.append(f"{rel}: public header includes <{inc}>")
            for prefix, layers in THIRD_PARTY.items():
                if inc.startswith(prefix) and layer not in layers:
                    problems.append(f"{rel} (layer {layer}) includes <{inc}>, "
                                    f"allowed only in {sorted(layers)}")
        for inc in INCLUDE.findall(text):
            target = layer_of_include(inc)
            if target is None or target == layer:
                continue
            if target == "?public":
                problems.append(f"{rel}: includes unknown public header {inc}")
            elif target not in ALLOWED[layer]:
                problems.append(f"{rel} (layer {layer}) includes {inc} "
                                f"(layer {target}): an upward or sideways "
                                "include")
    for p in problems:
        print(f"check_layers: {p}", file=sys.stderr)
    if problems:
        print(f"check_layers: {len(problems)} violations of the layering in "
              "DESIGN.md (cmake/check_layers.py lists what each layer may "
              "include)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
