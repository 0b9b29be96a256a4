// Copyright 2026 The Wayback Authors.
//
// Uniform error messages. Every corruption message names the object, the byte
// offset and (when known) the LSN, in this form:
//   "<object> at offset <n> (lsn <l>): <what>"

#ifndef WAYBACK_SRC_UTIL_ERRORS_H_
#define WAYBACK_SRC_UTIL_ERRORS_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "wayback/types.h"

namespace wayback {

// Debian's Abseil is built with its own absl::string_view (not an alias of
// std::string_view), so std::string_view must be converted at the boundary.
inline absl::string_view AV(std::string_view s) { return {s.data(), s.size()}; }

inline std::string Where(std::string_view object, uint64_t offset,
                         Lsn lsn = kNoLsn) {
  if (lsn == kNoLsn) return absl::StrCat(AV(object), " at offset ", offset);
  return absl::StrCat(AV(object), " at offset ", offset, " (lsn ", lsn, ")");
}

inline absl::Status CorruptionAt(std::string_view object, uint64_t offset,
                                 Lsn lsn, std::string_view what) {
  return absl::DataLossError(
      absl::StrCat(Where(object, offset, lsn), ": ", AV(what)));
}

// Converts errno from a failed system call on `path` into a Status:
// kNotFound (ENOENT), kAlreadyExists (EEXIST), kUnavailable (EINTR, EAGAIN),
// kPermissionDenied (EACCES, EPERM), kResourceExhausted (ENOSPC), kInternal
// otherwise.
absl::Status IoError(std::string_view op, std::string_view path, int err);

}  // namespace wayback

#endif  // WAYBACK_SRC_UTIL_ERRORS_H_
