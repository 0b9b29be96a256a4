#!/usr/bin/env python3
"""Checks a drill report page against its report.json (docs/drill.md).

Usage: check_drill_report.py DIR   (DIR holds report.json and report.html)

Parses report.html with html.parser and checks that it is self-contained (no
script, no external reference), that it has one results row per drill, in
order, and that each row shows the JSON's values: index, instant (or
"latest"), LSN, the path restored from, digest, keys, restore time and
PASS/FAIL; that the verdict banner, identity, tool version and seed are the
JSON's; and that the timeline SVG marks every drill. Prints each mismatch and
exits 1 if there is any.
"""
import json
import sys
from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows = []          # [{field: text}]
        self.ids = {}           # element id -> text
        self.external = []      # src/href attributes pointing elsewhere
        self.scripts = 0
        self.circles = 0
        self._stack = []        # (tag, field or id key, buffer index)
        self._row = None
        self._buffers = []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs, closed=True)

    def handle_starttag(self, tag, attrs, closed=False):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
        for k in ("src", "href"):
            if k in a and not a[k].startswith("#"):
                self.external.append(a[k])
        if tag == "link":
            self.external.append(a.get("href", "link"))
        if tag == "circle":
            self.circles += 1
        if tag == "tr" and "result" in a.get("class", "").split():
            self._row = {"data-index": a.get("data-index")}
            self.rows.append(self._row)
        key = None
        if "data-field" in a and self._row is not None:
            key = ("field", a["data-field"])
        elif "id" in a:
            key = ("id", a["id"])
        if self._buffers and tag in ("br", "div", "li", "p", "span", "ul"):
            self._buffers[-1][1] += " "  # Separates words as a browser does.
        if closed or tag in ("br", "meta", "link", "img", "hr", "input",
                             "wbr"):
            return  # No end tag follows.
        if key is not None:
            self._buffers.append([key, ""])
        self._stack.append((tag, key is not None))

    def handle_endtag(self, tag):
        if tag == "tr":
            self._row = None
        while self._stack:
            t, has_key = self._stack.pop()
            if has_key:
                (kind, name), text = self._buffers.pop()
                text = " ".join(text.split())
                if kind == "field" and self._row is not None:
                    self._row[name] = text
                elif kind == "id":
                    self.ids[name] = text
                for b in self._buffers:
                    b[1] += " " + text
            if t == tag:
                break

    def handle_data(self, data):
        if self._buffers:
            self._buffers[-1][1] += data


def text(v):
    if v is None:
        return "–"
    if isinstance(v, str):
        return v
    return json.dumps(v)


def main():
    d = sys.argv[1]
    report = json.load(open(f"{d}/report.json"))
    page = Page()
    page.feed(open(f"{d}/report.html", encoding="utf-8").read())
    errors = []
    if page.scripts:
        errors.append(f"{page.scripts} script elements")
    bad = [e for e in page.external
           if not e.startswith("http://www.w3.org/2000/svg")]
    if bad:
        errors.append(f"external references: {bad}")
    results = report["results"]
    if len(page.rows) != len(results):
        errors.append(f"{len(page.rows)} result rows, {len(results)} drills")
    for row, r in zip(page.rows, results):
        want = {
            "index": text(r["index"]),
            "instant": "latest" if r["kind"] == "latest" else text(r["instant"]),
            "lsn": text(r["lsn"]),
            "planned_from": text(r["planned_from"]),
            "digest": text(r["digest"]),
            "keys": text(r["keys"]),
            "restore_seconds": ("–" if r["restore_seconds"] is None else
                                "%.3f s" % r["restore_seconds"]),
        }
        for k, v in want.items():
            if row.get(k) != v:
                errors.append(f"row {r['index']} {k}: page {row.get(k)!r}, "
                              f"json {v!r}")
        verdict = row.get("result", "").split(" ")[0]
        if verdict != ("PASS" if r["passed"] else "FAIL"):
            errors.append(f"row {r['index']} result: page {verdict!r}, "
                          f"json passed={r['passed']}")
        for p in r["problems"]:
            if p not in row.get("result", ""):
                errors.append(f"row {r['index']}: problem {p!r} not shown")
    verdict = page.ids.get("verdict", "")
    if not verdict.startswith("PASS" if report["passed"] else "FAIL"):
        errors.append(f"banner {verdict!r}, json passed={report['passed']}")
    if report["summary"] not in verdict:
        errors.append(f"banner lacks the summary {report['summary']!r}")
    for key, want in (("identity", text(report["repository"]["identity"])),
                      ("repository", report["repository"]["uri"]),
                      ("tool", "wayback " + report["tool_version"]),
                      ("seed", text(report["seed"]))):
        if page.ids.get(key) != want:
            errors.append(f"{key}: page {page.ids.get(key)!r}, json {want!r}")
    if page.circles != len(results):
        errors.append(f"{page.circles} drill marks on the timeline, "
                      f"{len(results)} drills")
    for e in errors:
        print(e)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
