// Copyright 2026 The Wayback Authors.
//
// The repository identity object: constants and codec. The format is
// specified in repository_format.md beside this file; the numbers here are
// its only encoding in code.

#ifndef WAYBACK_SRC_REPOSITORY_REPOSITORY_FORMAT_H_
#define WAYBACK_SRC_REPOSITORY_REPOSITORY_FORMAT_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "wayback/repository_identity.h"

namespace wayback::repository_format {

// The first line, up to and excluding the version number. Frozen.
inline constexpr std::string_view kMagicLine = "wayback-repository ";
// The version this code writes, and the highest it reads. Version 0 is
// reserved (never written).
inline constexpr int kVersion = 1;
// The longest identity object a reader accepts; a larger one is damage.
inline constexpr size_t kMaxObjectBytes = 4096;
// The longest source text.
inline constexpr size_t kMaxSourceBytes = 1024;
// Hex digits of the id (128 bits).
inline constexpr size_t kIdHexDigits = 32;

// The object's bytes for `identity` (which must satisfy Validate()).
std::string Encode(const RepositoryIdentity& identity);

// Parses an identity object read from `object` (named in messages).
// kDataLoss naming the object and the byte offset for any damage (bad
// checksum, missing or misordered field, bad value, oversize);
// kFailedPrecondition for a version newer than kVersion.
absl::StatusOr<RepositoryIdentity> Decode(std::string_view bytes,
                                          std::string_view object);

// kInvalidArgument if `identity` cannot be written (bad id, oversize or
// non-printable source).
absl::Status Validate(const RepositoryIdentity& identity);

}  // namespace wayback::repository_format

#endif  // WAYBACK_SRC_REPOSITORY_REPOSITORY_FORMAT_H_
