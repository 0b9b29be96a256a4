// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/restore_marker.h"

#include <cstdint>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "src/util/errors.h"

namespace wayback::rocksdb_internal {

std::string EncodeMarker(const RestoreMarker& m) {
  nlohmann::json j = {
      {"format", 1},
      {"repository", m.repository},
      {"target", m.target},
      {"timeline", m.timeline},
      {"last_applied_lsn", m.last_applied_lsn},
      {"last_applied_commit_time", m.last_applied_commit_time},
      {"complete", m.complete},
  };
  // JSON cannot carry bytes that are not UTF-8: replace them rather than
  // throw (see rocksdb_target.md).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<RestoreMarker> DecodeMarker(std::string_view bytes,
                                           std::string_view where) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr,
                                           /*allow_exceptions=*/false);
  auto bad = [&](std::string_view why) {
    return absl::DataLossError(absl::StrCat(
        "rocksdb target: restore marker in ", AV(where), ": ", AV(why)));
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("format") || !j["format"].is_number_integer() ||
      j["format"].get<int64_t>() != 1) {
    return bad("unknown format");
  }
  RestoreMarker m;
  auto str = [&](const char* k, std::string* out) {
    if (!j.contains(k) || !j[k].is_string()) return false;
    *out = j[k].get<std::string>();
    return true;
  };
  auto uint = [&](const char* k, uint64_t* out) {
    if (!j.contains(k) || !j[k].is_number_unsigned()) return false;
    *out = j[k].get<uint64_t>();
    return true;
  };
  uint64_t timeline = 0, lsn = 0;
  if (!str("repository", &m.repository) || !str("target", &m.target) ||
      !uint("timeline", &timeline) || timeline > UINT32_MAX ||
      !uint("last_applied_lsn", &lsn) ||
      !j.contains("last_applied_commit_time") ||
      !j["last_applied_commit_time"].is_number_integer() ||
      !j.contains("complete") || !j["complete"].is_boolean()) {
    return bad("missing or mistyped field");
  }
  m.timeline = static_cast<TimelineId>(timeline);
  m.last_applied_lsn = lsn;
  m.last_applied_commit_time = j["last_applied_commit_time"].get<int64_t>();
  m.complete = j["complete"].get<bool>();
  return m;
}

}  // namespace wayback::rocksdb_internal
