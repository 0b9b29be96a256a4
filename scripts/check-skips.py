#!/usr/bin/env python3
"""Fails when a test skipped that is not on the documented list.

Every GoogleTest binary registered by wayback_add_test() writes its results as
XML into the build's test-results/ directory (GTEST_OUTPUT). A test that skips
in CI is a test that silently stopped testing, so after ctest this script
reads every XML file and fails (exit 1), naming each skipped test, unless the
test matches a pattern in tests/skips/allowed.txt, where each pattern carries
the reason it may skip.

Usage: scripts/check-skips.py RESULTS_DIR [ALLOWED_FILE]
"""
import fnmatch
import glob
import os
import sys
import xml.etree.ElementTree as ET


def load_allowed(path):
    allowed = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            pattern, sep, reason = line.partition(" ")
            if not sep or not reason.strip():
                sys.exit(f"{path}:{number}: a pattern needs a reason after it")
            allowed.append((pattern, reason.strip()))
    return allowed


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    results = sys.argv[1]
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    allowed_file = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        root, "tests", "skips", "allowed.txt")
    allowed = load_allowed(allowed_file)
    files = sorted(glob.glob(os.path.join(results, "*.xml")))
    if not files:
        print(f"check-skips: no test results in {results}", file=sys.stderr)
        return 1
    unexpected, expected, total = [], [], 0
    for path in files:
        binary = os.path.splitext(os.path.basename(path))[0]
        try:
            tree = ET.parse(path)
        except ET.ParseError as e:
            # A binary killed mid-write (a crash) has already failed ctest.
            print(f"check-skips: {path}: unreadable ({e})", file=sys.stderr)
            continue
        for case in tree.iter("testcase"):
            total += 1
            skipped = case.get("result") == "skipped" or case.find(
                "skipped") is not None
            if not skipped:
                continue
            name = f"{binary}:{case.get('classname')}.{case.get('name')}"
            reason = next((r for p, r in allowed if fnmatch.fnmatchcase(name, p)),
                          None)
            (expected if reason else unexpected).append((name, reason))
    for name, reason in expected:
        print(f"check-skips: allowed skip {name} ({reason})")
    for name, _ in unexpected:
        print(f"check-skips: UNEXPECTED SKIP {name}", file=sys.stderr)
    print(f"check-skips: {total} test cases in {len(files)} binaries, "
          f"{len(expected)} allowed skips, {len(unexpected)} unexpected")
    if unexpected:
        print("check-skips: a test that skips in CI tests nothing; install what "
              "it needs (scripts/install-deps.sh) or, if it truly cannot run "
              "here, add it with its reason to tests/skips/allowed.txt",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
