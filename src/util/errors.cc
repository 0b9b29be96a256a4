// Copyright 2026 The Wayback Authors.

#include "src/util/errors.h"

#include <cerrno>
#include <cstring>

namespace wayback {

absl::Status IoError(std::string_view op, std::string_view path, int err) {
  std::string msg = absl::StrCat(AV(op), " ", AV(path), ": ", std::strerror(err));
  switch (err) {
    case ENOENT:
      return absl::NotFoundError(msg);
    case EEXIST:
      return absl::AlreadyExistsError(msg);
    case EINTR:
    case EAGAIN:
      return absl::UnavailableError(msg);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(msg);
    case ENOSPC:
      return absl::ResourceExhaustedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

}  // namespace wayback
