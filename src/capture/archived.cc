// Copyright 2026 The Wayback Authors.

#include "src/capture/archived.h"

#include "wayback/status.h"

namespace wayback {

absl::Status ArchivedRecords::Reset(uint64_t position) {
  current_ = nullptr;
  reader_.reset();
  // The index search finds the record (or where it would be) without a
  // scan; the reader then serves the resent stretch that usually follows.
  WAYBACK_ASSIGN_OR_RETURN(std::optional<ArchivedRecord> found,
                           FindBySourcePosition(storage_, timeline_, position));
  if (!found) return absl::OkStatus();
  LogReaderOptions o;
  o.timeline = timeline_;
  o.start_lsn = found->lsn;
  WAYBACK_ASSIGN_OR_RETURN(reader_, LogReader::Open(storage_, o));
  return absl::OkStatus();
}

absl::StatusOr<const LogRecord*> ArchivedRecords::Find(uint64_t position) {
  // A reader opened by an earlier question ends where the log ended then;
  // records appended since are only seen by a fresh one.
  bool fresh = false;
  if (reader_ == nullptr || (current_ != nullptr && current_->source_position &&
                             *current_->source_position > position)) {
    WAYBACK_RETURN_IF_ERROR(Reset(position));
    if (reader_ == nullptr) return nullptr;  // Not archived.
    fresh = true;
  }
  while (true) {
    if (current_ == nullptr) {
      WAYBACK_ASSIGN_OR_RETURN(current_, reader_->Next());
      if (current_ == nullptr) {
        reader_.reset();
        if (fresh) return nullptr;
        WAYBACK_RETURN_IF_ERROR(Reset(position));
        if (reader_ == nullptr) return nullptr;
        fresh = true;
        continue;
      }
    }
    if (current_->source_position && *current_->source_position >= position) {
      return *current_->source_position == position ? current_ : nullptr;
    }
    current_ = nullptr;
  }
}

}  // namespace wayback
