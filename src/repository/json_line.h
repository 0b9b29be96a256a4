// Copyright 2026 The Wayback Authors.
//
// Small repository objects stored as one line of JSON with a checksum (pins,
// drill records, the heartbeat): the checksum rule and the envelope checks
// their formats share. Each format's own document specifies its members.

#ifndef WAYBACK_SRC_REPOSITORY_JSON_LINE_H_
#define WAYBACK_SRC_REPOSITORY_JSON_LINE_H_

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"

namespace wayback {

// mask(crc32c(B)), where B is `object` without its "crc32c" member,
// serialised with members in lexicographic order and no whitespace.
uint32_t JsonLineCrc(nlohmann::json object);

// `object` with its "crc32c" member set, as one line ending in '\n'.
std::string EncodeJsonLine(nlohmann::json object);

// The members of a format: each name with the JSON type it must have.
struct JsonMember {
  enum class Type { kString, kUnsigned, kInteger, kNumber, kBool, kArray };
  const char* name;
  Type type;
};

// Parses `bytes` read from `object` as one line of JSON ending in '\n' that
// is an object with exactly `members` plus "crc32c" (each of its type), the
// given "format" string, a "version" of 1 and a correct checksum. kDataLoss
// "<what> <object>: <problem>" otherwise.
absl::StatusOr<nlohmann::json> DecodeJsonLine(
    std::string_view bytes, std::string_view object, std::string_view what,
    std::string_view format, std::initializer_list<JsonMember> members);

// Formats `t` as RFC 3339 UTC with as many fractional digits as it needs;
// parses it back (false on any other text).
std::string JsonLineTime(absl::Time t);
bool ParseJsonLineTime(const std::string& text, absl::Time* t);

}  // namespace wayback

#endif  // WAYBACK_SRC_REPOSITORY_JSON_LINE_H_
