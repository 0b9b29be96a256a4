// Copyright 2026 The Wayback Authors.
//
// The drill report page. Laid out to be read at a glance: the verdict first
// (a coloured banner), then the objectives, the timeline of the window with
// the drilled instants, and the table of results; every figure is taken
// from the report's JSON, in the same text, so a test can compare them.

#include "tools/drill_report.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "tools/common.h"
#include "wayback/recovery.h"

namespace wayback::cli {
namespace {

using nlohmann::json;

std::string Esc(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

// The text of a JSON value as the page shows it: strings as they are,
// numbers as JSON writes them, null as "–".
std::string Text(const json& v) {
  if (v.is_null()) return "–";
  if (v.is_string()) return v.get<std::string>();
  return v.dump();
}

std::string Seconds(const json& v) {
  if (!v.is_number()) return "–";
  return absl::StrFormat("%.3f s", v.get<double>());
}

// A duration for people: "2.173 s", "12 d 22 h".
std::string Duration(const json& v) {
  if (!v.is_number()) return "–";
  return FormatDurationWords(absl::Seconds(v.get<double>()));
}

// `text` with a line-break opportunity after each of `after` (the text
// content is unchanged: <wbr> holds none).
std::string Breakable(const std::string& text, std::string_view after) {
  std::string out;
  for (char c : Esc(text)) {
    out += c;
    if (after.find(c) != std::string_view::npos) out += "<wbr>";
  }
  return out;
}

std::string Verdict(const json& ok) {
  if (ok.is_null()) return "<span class=\"na\">not set</span>";
  return ok.get<bool>() ? "<span class=\"pass\">PASS</span>"
                        : "<span class=\"fail\">FAIL</span>";
}

CommitTime Parse(const json& v) {
  if (!v.is_string()) return 0;
  absl::StatusOr<CommitTime> t = ParseCommitTime(v.get<std::string>());
  return t.ok() ? *t : 0;
}

// The timeline: windows and gaps, segments, snapshots, drilled instants.
std::string Svg(const json& report) {
  const json& tl = report["timeline"];
  CommitTime t0 = Parse(tl["window_start"]), t1 = Parse(tl["window_end"]);
  auto widen = [&](CommitTime t) {
    if (t == 0) return;
    if (t0 == 0 || t < t0) t0 = t;
    t1 = std::max(t1, t);
  };
  for (const json& s : tl["segments"]) {
    widen(Parse(s["first_commit_time"]));
    widen(Parse(s["last_commit_time"]));
  }
  for (const json& r : report["results"]) {
    widen(Parse(r["instant"]));
    if (r["last_included"].is_object()) {
      widen(Parse(r["last_included"]["commit_time"]));
    }
  }
  if (t1 <= t0) t1 = t0 + 1'000'000'000;
  constexpr double kLeft = 130, kRight = 1150;
  auto x = [&](CommitTime t) {
    return kLeft + (kRight - kLeft) * static_cast<double>(t - t0) /
                       static_cast<double>(t1 - t0);
  };
  std::string svg = absl::StrCat(
      "<svg class=\"timeline\" viewBox=\"0 0 1180 230\" "
      "xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" "
      "aria-label=\"recoverable window\">\n");
  auto label = [&](double y, const char* text) {
    absl::StrAppend(&svg, "<text x=\"8\" y=\"", y, "\" class=\"row\">", text,
                    "</text>\n");
  };
  label(42, "recoverable");
  label(82, "log segments");
  label(122, "snapshots");
  label(168, "drilled");
  // Windows (green) and gaps (red, over every row).
  for (const json& w : tl["windows"]) {
    const double a = x(Parse(w["earliest_time"])),
                 b = x(Parse(w["latest_time"]));
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%.1f\" y=\"28\" width=\"%.1f\" "
                          "height=\"20\" class=\"win\"><title>restorable "
                          "from %s to %s</title></rect>\n",
                          a, std::max(2.0, b - a),
                          Esc(Text(w["earliest_time"])),
                          Esc(Text(w["latest_time"])));
  }
  for (const json& g : tl["gaps"]) {
    const double a = x(Parse(g["from"])), b = x(Parse(g["to"]));
    absl::StrAppendFormat(&svg,
                          "<rect x=\"%.1f\" y=\"22\" width=\"%.1f\" "
                          "height=\"170\" class=\"gap\"><title>not "
                          "restorable: %s to %s (LSN %s missing)</title>"
                          "</rect>\n",
                          a, std::max(3.0, b - a), Esc(Text(g["from"])),
                          Esc(Text(g["to"])),
                          Esc(Text(g["first_missing_lsn"])));
  }
  int i = 0;
  for (const json& s : tl["segments"]) {
    const double a = x(Parse(s["first_commit_time"])),
                 b = x(Parse(s["last_commit_time"]));
    absl::StrAppendFormat(
        &svg,
        "<rect x=\"%.1f\" y=\"68\" width=\"%.1f\" height=\"20\" "
        "class=\"seg%d\"><title>%s: LSN %s-%s</title></rect>\n",
        a, std::max(1.0, b - a), i++ % 2, Esc(Text(s["name"])),
        Esc(Text(s["first_lsn"])), Esc(Text(s["last_lsn"])));
  }
  for (const json& s : tl["snapshots"]) {
    const double a = x(Parse(s["commit_time"]));
    absl::StrAppendFormat(
        &svg,
        "<path d=\"M%.1f 106 L%.1f 117 L%.1f 128 L%.1f 117 Z\" "
        "class=\"snap-%s\"><title>%s (%s): LSN %s, %s</title></path>\n",
        a, a + 8, a, a - 8, Esc(Text(s["kind"])), Esc(Text(s["name"])),
        Esc(Text(s["kind"])), Esc(Text(s["lsn"])), Esc(Text(s["commit_time"])));
  }
  int n = 0;
  for (const json& r : report["results"]) {
    CommitTime t = Parse(r["instant"]);
    if (t == 0 && r["last_included"].is_object()) {
      t = Parse(r["last_included"]["commit_time"]);
    }
    const double a = x(t);
    const double y = n++ % 2 == 0 ? 160 : 182;  // Neighbours alternate.
    const bool ok = r["passed"].get<bool>();
    absl::StrAppendFormat(
        &svg,
        "<line x1=\"%.1f\" y1=\"28\" x2=\"%.1f\" y2=\"%.0f\" "
        "class=\"mark\"/>\n<circle cx=\"%.1f\" cy=\"%.0f\" r=\"10\" "
        "class=\"%s\"><title>#%s %s</title></circle>\n<text x=\"%.1f\" "
        "y=\"%.0f\" class=\"num\">%s</text>\n",
        a, a, y - 10, a, y, ok ? "dpass" : "dfail", Esc(Text(r["index"])),
        Esc(Text(r["target"])), a, y + 4,
        r["kind"] == "latest" ? std::string("L") : Esc(Text(r["index"])));
  }
  // Axis: five ticks, UTC.
  for (int k = 0; k <= 4; ++k) {
    const CommitTime t = t0 + (t1 - t0) / 4 * k;
    const double a = x(t);
    const std::string when = absl::FormatTime(
        "%Y-%m-%d %H:%M", absl::FromUnixNanos(t), absl::UTCTimeZone());
    absl::StrAppendFormat(&svg,
                          "<line x1=\"%.1f\" y1=\"198\" x2=\"%.1f\" "
                          "y2=\"204\" class=\"tick\"/><text x=\"%.1f\" "
                          "y=\"220\" class=\"axis\" text-anchor=\"%s\">%s"
                          "</text>\n",
                          a, a, a,
                          k == 0   ? "start"
                          : k == 4 ? "end"
                                   : "middle",
                          when);
  }
  absl::StrAppend(&svg,
                  "<line x1=\"130\" y1=\"198\" x2=\"1150\" y2=\"198\" "
                  "class=\"tick\"/>\n</svg>\n");
  return svg;
}

constexpr char kStyle[] = R"(
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
 margin:0;color:#1b1f24;background:#f6f7f9}
main{max-width:1180px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:24px;margin:0 0 4px} h2{font-size:18px;margin:28px 0 8px}
.banner{padding:18px 22px;border-radius:8px;color:#fff;margin:12px 0 18px}
.banner.ok{background:#1a7f37} .banner.bad{background:#cf222e}
.banner .big{font-size:34px;font-weight:700;letter-spacing:1px}
.banner .sub{font-size:17px}
.facts{display:grid;grid-template-columns:170px 1fr;gap:2px 14px;
 background:#fff;border:1px solid #d0d7de;border-radius:8px;padding:12px 16px}
.facts dt{color:#57606a} .facts dd{margin:0;font-family:ui-monospace,
 SFMono-Regular,Menlo,monospace;font-size:13.5px;overflow-wrap:anywhere}
.objectives{display:flex;gap:14px}
.obj{flex:1;background:#fff;border:1px solid #d0d7de;border-radius:8px;
 padding:12px 16px} .obj .k{color:#57606a;font-size:13px}
.obj .v{font-size:22px;font-weight:600}
.pass{color:#1a7f37;font-weight:700} .fail{color:#cf222e;font-weight:700}
.na{color:#57606a}
svg.timeline{width:100%;height:auto;background:#fff;border:1px solid #d0d7de;
 border-radius:8px}
svg .row{font-size:13px;fill:#57606a} svg .axis{font-size:12px;fill:#57606a}
svg .win{fill:#2da44e;opacity:.85} svg .gap{fill:#cf222e;opacity:.35}
svg .seg0{fill:#0969da} svg .seg1{fill:#54aeff}
svg .snap-full{fill:#8250df} svg .snap-delta{fill:#c297ff}
svg .mark{stroke:#57606a;stroke-dasharray:3 3}
svg .dpass{fill:#1a7f37} svg .dfail{fill:#cf222e}
svg .num{font-size:11px;font-weight:700;fill:#fff;text-anchor:middle}
svg .tick{stroke:#8c959f}
.legend{font-size:13px;color:#57606a;margin:6px 0 0}
.legend i{display:inline-block;width:12px;height:12px;margin:0 4px -1px 12px;
 border-radius:2px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13.5px;
 border:1px solid #d0d7de}
th,td{padding:6px 8px;border-bottom:1px solid #d8dee4;text-align:left;
 vertical-align:top}
th{background:#eaeef2;font-weight:600}
td.mono{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;
 font-size:12.5px;overflow-wrap:anywhere}
td.num{text-align:right;white-space:nowrap}
td[data-field=instant]{min-width:11.5em}
tr.failed{background:#ffebe9}
.problems{color:#cf222e;margin:4px 0 0;padding-left:18px}
.small{font-size:12.5px;color:#57606a}
)";

}  // namespace

std::string DrillReportHtml(const json& report) {
  const bool passed = report["passed"].get<bool>();
  const json& obj = report["objectives"];
  const json& results = report["results"];
  std::string h = absl::StrCat(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>Restore drill ",
      Esc(Text(report["started"])), " – ", passed ? "PASS" : "FAIL",
      "</title>\n<style>", kStyle, "</style>\n</head>\n<body>\n<main>\n",
      "<h1>Restore drill of ", Esc(Text(report["repository"]["uri"])),
      "</h1>\n<div class=\"small\">", Esc(Text(report["started"])),
      "</div>\n<div id=\"verdict\" class=\"banner ", passed ? "ok" : "bad",
      "\"><div class=\"big\">", passed ? "PASS" : "FAIL",
      "</div><div class=\"sub\">", Esc(Text(report["summary"])),
      "</div></div>\n");

  // Objectives.
  absl::StrAppend(
      &h, "<div class=\"objectives\">\n<div class=\"obj\" id=\"rto\">",
      "<div class=\"k\">Recovery time objective: ",
      obj["rto_seconds"].is_null() ? std::string("not set")
                                   : Duration(obj["rto_seconds"]),
      "</div><div class=\"v\">slowest restore ",
      Duration(obj["slowest_restore_seconds"]), " ", Verdict(obj["rto_ok"]),
      "</div></div>\n<div class=\"obj\" id=\"rpo\"><div class=\"k\">"
      "Recovery point objective: ",
      obj["rpo_seconds"].is_null() ? std::string("not set")
                                   : Duration(obj["rpo_seconds"]),
      "</div><div class=\"v\">", Duration(obj["achieved_rpo_seconds"]),
      " of data at risk ", Verdict(obj["rpo_ok"]),
      "</div><div class=\"k\">newest "
      "restorable: ",
      Esc(Text(obj["recovery_point"])),
      "</div></div>\n<div class=\"obj\"><div class=\"k\">Restores</div>"
      "<div class=\"v\">",
      results.size() - report["failed"].get<size_t>(), " of ", results.size(),
      " exact</div><div class=\"k\">", report["targets"].get<int>(),
      " random instants + the latest</div></div>\n</div>\n");

  // Timeline.
  absl::StrAppend(
      &h, "<h2>Recoverable window, timeline ",
      Esc(Text(report["timeline"]["id"])), "</h2>\n", Svg(report),
      "<div class=\"legend\"><i style=\"background:#2da44e\"></i>restorable"
      "<i style=\"background:#cf222e;opacity:.5\"></i>not restorable (hole)"
      "<i style=\"background:#0969da\"></i>log segment"
      "<i style=\"background:#8250df\"></i>full snapshot"
      "<i style=\"background:#c297ff\"></i>delta snapshot"
      "<i style=\"background:#1a7f37;border-radius:6px\"></i>drill passed"
      "<i style=\"background:#cf222e;border-radius:6px\"></i>drill failed "
      "(L: the latest)</div>\n");

  // Results.
  absl::StrAppend(
      &h,
      "<h2>Results</h2>\n<table id=\"results\">\n<thead><tr><th>#</th>"
      "<th>instant (UTC)</th><th>LSN</th><th>restored from</th>"
      "<th>checked against</th><th>digest</th><th>keys</th>"
      "<th>restore time</th><th>result</th></tr></thead>\n<tbody>\n");
  for (const json& r : results) {
    const bool ok = r["passed"].get<bool>();
    std::vector<std::string> groups;
    if (r["key_groups"].is_object()) {
      for (auto it = r["key_groups"].begin(); it != r["key_groups"].end();
           ++it) {
        groups.push_back(absl::StrCat(Esc(it.key()), " ", it->dump()));
      }
    }
    const json& ind = r["independent"];
    std::string against = "–";
    if (ind.is_object()) {
      if (ind["path"].is_null()) {
        against = absl::StrCat("<span class=\"na\">",
                               Esc(Text(ind.value("note", json()))), "</span>");
      } else {
        against = absl::StrCat(
            Breakable(Text(ind["path"]), "/-"), "<br>",
            ind.contains("digest_equal")
                ? absl::StrCat("digest ", Verdict(ind["digest_equal"]),
                               ", keys per "
                               "group ",
                               Verdict(ind["key_groups_equal"]))
                : std::string());
      }
    }
    if (r["snapshot_check"].is_object()) {
      absl::StrAppend(&against, "<br>snapshot ",
                      Esc(Text(r["snapshot_check"]["snapshot"])), " ",
                      Verdict(r["snapshot_check"]["digest_equal"]));
    }
    std::string problems;
    for (const json& p : r["problems"]) {
      absl::StrAppend(&problems, "<li>", Esc(p.get<std::string>()), "</li>");
    }
    absl::StrAppend(
        &h, "<tr class=\"result", ok ? "" : " failed", "\" data-index=\"",
        Text(r["index"]), "\"><td data-field=\"index\">", Text(r["index"]),
        "</td><td class=\"mono\" data-field=\"instant\">",
        r["kind"] == "latest" ? std::string("latest")
                              : Breakable(Text(r["instant"]), "T"),
        "</td><td class=\"num\" data-field=\"lsn\">", Esc(Text(r["lsn"])),
        "</td><td class=\"mono\" data-field=\"planned_from\">",
        Breakable(Text(r["planned_from"]), "/-"), "</td><td>", against,
        "</td><td class=\"mono\" data-field=\"digest\">",
        Breakable(Text(r["digest"]), ":"),
        "</td><td class=\"num\"><span data-field=\"keys\">",
        Esc(Text(r["keys"])), "</span><div class=\"small\">",
        absl::StrJoin(groups, "<br>"),
        "</div></td><td class=\"num\" data-field=\"restore_seconds\">",
        Seconds(r["restore_seconds"]), "</td><td data-field=\"result\">",
        ok ? "<span class=\"pass\">PASS</span>"
           : "<span class=\"fail\">FAIL</span>",
        problems.empty()
            ? std::string()
            : absl::StrCat("<ul class=\"problems\">", problems, "</ul>"),
        "</td></tr>\n");
  }
  absl::StrAppend(&h, "</tbody>\n</table>\n");

  // Identity and method.
  const json& repo = report["repository"];
  absl::StrAppend(
      &h, "<h2>Evidence</h2>\n<dl class=\"facts\">\n",
      "<dt>repository</dt><dd id=\"repository\">", Esc(Text(repo["uri"])),
      "</dd>\n<dt>identity</dt><dd id=\"identity\">",
      Esc(Text(repo["identity"])), "</dd>\n<dt>source</dt><dd>",
      Esc(Text(repo["source"])), "</dd>\n<dt>tool</dt><dd id=\"tool\">wayback ",
      Esc(Text(report["tool_version"])), "</dd>\n<dt>started</dt><dd>",
      Esc(Text(report["started"])), "</dd>\n<dt>took</dt><dd>",
      Duration(report["elapsed_seconds"]),
      "</dd>\n<dt>seed</dt><dd id=\"seed\">", Esc(Text(report["seed"])),
      "</dd>\n<dt>scratch target</dt><dd>", Esc(Text(report["into"])),
      "</dd>\n<dt>recorded as</dt><dd>", Esc(Text(report["record"])),
      "</dd>\n</dl>\n<p class=\"small\">Each instant is restored along the "
      "path the planner chooses, into the scratch target, and timed. It is "
      "then restored again into memory from a snapshot chain that shares no "
      "object with the first (the empty state when the log reaches back to "
      "LSN 1); the state digests and the keys per group (a PostgreSQL table, "
      "or the key up to its first '/') must be equal, and a snapshot taken "
      "at exactly that LSN must hold the same digest. Both paths read the "
      "same log segments after their starting points, whose blocks are "
      "checked by CRC32C and LSN continuity. Repeat this drill with "
      "<code>--seed ",
      Esc(Text(report["seed"])), "</code>.</p>\n</main>\n</body>\n</html>\n");
  return h;
}

}  // namespace wayback::cli
