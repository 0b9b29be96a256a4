// Copyright 2026 The Wayback Authors.
//
// The pin codec (src/repository/pin_format.md). The API is in
// include/wayback/repository.h.

#ifndef WAYBACK_SRC_REPOSITORY_PINS_H_
#define WAYBACK_SRC_REPOSITORY_PINS_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "wayback/repository.h"

namespace wayback {

// The object's bytes.
std::string EncodePin(const SnapshotPin& pin);
// Parses and checks `bytes` read from `object`; kDataLoss naming it.
absl::StatusOr<SnapshotPin> DecodePin(std::string_view bytes,
                                      std::string_view object);

}  // namespace wayback

#endif  // WAYBACK_SRC_REPOSITORY_PINS_H_
