// Copyright 2026 The Wayback Authors.

#include "src/capture/archived.h"

#include "wayback/status.h"

namespace wayback {

absl::Status ArchivedRecords::Reset(uint64_t position) {
  (void)position;
  current_ = nullptr;
  LogReaderOptions o;
  o.timeline = timeline_;
  o.start_lsn = 1;
  WAYBACK_ASSIGN_OR_RETURN(reader_, LogReader::Open(storage_, o));
  return absl::OkStatus();
}

absl::StatusOr<const LogRecord*> ArchivedRecords::Find(uint64_t position) {
  if (reader_ == nullptr || (current_ != nullptr && current_->source_position &&
                             *current_->source_position > position)) {
    WAYBACK_RETURN_IF_ERROR(Reset(position));
  }
  while (true) {
    if (current_ == nullptr) {
      WAYBACK_ASSIGN_OR_RETURN(current_, reader_->Next());
      if (current_ == nullptr) {
        // The end of the log: the next question starts afresh (the log
        // grows meanwhile).
        reader_.reset();
        return nullptr;
      }
    }
    if (current_->source_position && *current_->source_position >= position) {
      return *current_->source_position == position ? current_ : nullptr;
    }
    current_ = nullptr;
  }
}

}  // namespace wayback
