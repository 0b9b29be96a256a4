// Copyright 2026 The Wayback Authors.
//
// The archived record at a source position, for the ingester's duplicate
// check. A cursor: a resent stretch of a source asks for increasing
// positions, which it serves by reading on from where it stands.

#ifndef WAYBACK_SRC_CAPTURE_ARCHIVED_H_
#define WAYBACK_SRC_CAPTURE_ARCHIVED_H_

#include <cstdint>
#include <memory>
#include <optional>

#include "absl/status/statusor.h"
#include "wayback/log.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback {

class ArchivedRecords {
 public:
  // `storage` is not owned and must outlive this.
  ArchivedRecords(Storage* storage, TimelineId timeline)
      : storage_(storage), timeline_(timeline) {}

  // The durable record of the timeline whose source position is `position`,
  // or nullptr if none carries it. The pointer is valid until the next call.
  // Errors: the log reader's (damage names the object, offset and LSN).
  absl::StatusOr<const LogRecord*> Find(uint64_t position);

 private:
  absl::Status Reset(uint64_t position);

  Storage* storage_;
  TimelineId timeline_;
  std::unique_ptr<LogReader> reader_;
  const LogRecord* current_ = nullptr;
};

}  // namespace wayback

#endif  // WAYBACK_SRC_CAPTURE_ARCHIVED_H_
