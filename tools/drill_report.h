// Copyright 2026 The Wayback Authors.
//
// The drill report as a self-contained HTML page (inline CSS and SVG, no
// script, nothing fetched): rendered from report.json's document alone, so
// the page cannot say anything the JSON does not (docs/drill.md).

#ifndef WAYBACK_TOOLS_DRILL_REPORT_H_
#define WAYBACK_TOOLS_DRILL_REPORT_H_

#include <string>

#include "nlohmann/json.hpp"

namespace wayback::cli {

std::string DrillReportHtml(const nlohmann::json& report);

}  // namespace wayback::cli

#endif  // WAYBACK_TOOLS_DRILL_REPORT_H_
