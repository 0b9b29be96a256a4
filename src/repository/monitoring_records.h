// Copyright 2026 The Wayback Authors.
//
// The codecs of the records monitoring reads from a repository: drill records
// (src/repository/drill_format.md) and the live capture's heartbeat
// (src/repository/heartbeat_format.md). The API is in
// include/wayback/repository.h.

#ifndef WAYBACK_SRC_REPOSITORY_MONITORING_RECORDS_H_
#define WAYBACK_SRC_REPOSITORY_MONITORING_RECORDS_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "wayback/repository.h"

namespace wayback {

std::string EncodeDrillRecord(const DrillRecord& record);
// Parses and checks `bytes` read from `object`; kDataLoss naming it.
absl::StatusOr<DrillRecord> DecodeDrillRecord(std::string_view bytes,
                                              std::string_view object);

std::string EncodeHeartbeat(const CaptureHeartbeat& heartbeat);
absl::StatusOr<CaptureHeartbeat> DecodeHeartbeat(std::string_view bytes,
                                                 std::string_view object);

}  // namespace wayback

#endif  // WAYBACK_SRC_REPOSITORY_MONITORING_RECORDS_H_
