// Copyright 2026 The Wayback Authors.
//
// The retention objects (expire_format.md): codec and readers.

#include "src/storage/expire_format.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::expire_format {
namespace {

constexpr std::string_view kIntentStem = "expire/intent-";
constexpr std::string_view kIntentSuffix = ".intent";
constexpr std::string_view kHorizonStem = "expire/horizon-";

bool HexField(std::string_view text, size_t digits, uint64_t* out) {
  return text.size() == digits && ParseLowerHex(text, out);
}

absl::Status Bad(std::string_view object, size_t offset,
                 std::string_view what) {
  return absl::DataLossError(absl::StrCat(
      "expire intent ", AV(object), " at offset ", offset, ": ", AV(what)));
}

}  // namespace

std::string IntentObjectName(int64_t created, uint32_t nonce) {
  return absl::StrFormat("%s%016x-%08x%s", AV(kIntentStem),
                         static_cast<uint64_t>(created), nonce,
                         AV(kIntentSuffix));
}

bool IsIntentObjectName(std::string_view name) {
  if (name.size() != kIntentStem.size() + 16 + 1 + 8 + kIntentSuffix.size() ||
      name.substr(0, kIntentStem.size()) != kIntentStem ||
      name.substr(name.size() - kIntentSuffix.size()) != kIntentSuffix) {
    return false;
  }
  std::string_view rest = name.substr(kIntentStem.size());
  uint64_t v;
  return HexField(rest.substr(0, 16), 16, &v) && rest[16] == '-' &&
         HexField(rest.substr(17, 8), 8, &v);
}

absl::StatusOr<std::string> EncodeIntent(const Intent& intent) {
  std::string out = absl::StrCat(AV(kIntentMagicLine), kIntentVersion, "\n",
                                 "created ", intent.created, "\n");
  for (const IntentEntry& e : intent.objects) {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(e.name));
    if (e.name.find_first_of("\r\n") != std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "expire intent: object name \"", e.name, "\" holds a line break"));
    }
    absl::StrAppend(&out, "object ", e.size, " ", e.name, "\n");
  }
  absl::StrAppendFormat(&out, "crc32c %08x\n",
                        crc32c::Mask(crc32c::Value(out)));
  return out;
}

absl::StatusOr<Intent> DecodeIntent(std::string_view bytes,
                                    std::string_view object) {
  if (bytes.size() > kMaxIntentBytes) {
    return Bad(object, kMaxIntentBytes,
               absl::StrCat("larger than ", kMaxIntentBytes, " bytes"));
  }
  Intent intent;
  size_t offset = 0;
  bool have_created = false;
  bool version_seen = false;
  while (offset < bytes.size()) {
    const size_t eol = bytes.find('\n', offset);
    if (eol == std::string_view::npos) {
      return Bad(object, offset, "last line does not end with a line break");
    }
    const std::string_view line = bytes.substr(offset, eol - offset);
    if (!version_seen) {
      if (line.substr(0, kIntentMagicLine.size()) != kIntentMagicLine) {
        return Bad(object, offset, "not an expire intent (bad first line)");
      }
      int version = 0;
      if (!absl::SimpleAtoi(AV(line.substr(kIntentMagicLine.size())),
                            &version) ||
          version < 1) {
        return Bad(object, offset, "bad version");
      }
      if (version > kIntentVersion) {
        return absl::FailedPreconditionError(absl::StrCat(
            "expire intent ", AV(object), " is version ", version,
            ", written by a newer Wayback; this one reads up to version ",
            kIntentVersion));
      }
      version_seen = true;
    } else if (line.substr(0, 7) == "crc32c ") {
      uint64_t crc = 0;
      if (!HexField(line.substr(7), 8, &crc)) {
        return Bad(object, offset, "malformed crc32c line");
      }
      if (crc != crc32c::Mask(crc32c::Value(bytes.substr(0, offset)))) {
        return Bad(object, offset, "crc32c does not match the contents");
      }
      if (eol + 1 != bytes.size()) {
        return Bad(object, eol + 1, "bytes after the crc32c line");
      }
      if (!have_created) return Bad(object, offset, "no created line");
      return intent;
    } else if (!have_created) {
      if (line.substr(0, 8) != "created " ||
          !absl::SimpleAtoi(AV(line.substr(8)), &intent.created)) {
        return Bad(object, offset, "expected \"created <nanoseconds>\"");
      }
      have_created = true;
    } else {
      const size_t space = line.find(' ', 7);
      IntentEntry e;
      if (line.substr(0, 7) != "object " || space == std::string_view::npos ||
          !absl::SimpleAtoi(AV(line.substr(7, space - 7)), &e.size)) {
        return Bad(object, offset, "expected \"object <size> <name>\"");
      }
      e.name = std::string(line.substr(space + 1));
      if (!ValidateObjectName(e.name).ok()) {
        return Bad(object, offset,
                   absl::StrCat("invalid object name \"", e.name, "\""));
      }
      intent.objects.push_back(std::move(e));
    }
    offset = eol + 1;
  }
  return Bad(object, offset, "truncated: no crc32c line");
}

std::string HorizonObjectName(TimelineId timeline, Lsn lsn) {
  return absl::StrFormat("%s%08x-%016x", AV(kHorizonStem), timeline, lsn);
}

bool ParseHorizonObjectName(std::string_view name, TimelineId* timeline,
                            Lsn* lsn) {
  if (name.size() != kHorizonStem.size() + 8 + 1 + 16 ||
      name.substr(0, kHorizonStem.size()) != kHorizonStem) {
    return false;
  }
  const std::string_view rest = name.substr(kHorizonStem.size());
  uint64_t t = 0, l = 0;
  if (!HexField(rest.substr(0, 8), 8, &t) || rest[8] != '-' ||
      !HexField(rest.substr(9), 16, &l) || t == 0) {
    return false;
  }
  *timeline = static_cast<TimelineId>(t);
  *lsn = l;
  return true;
}

absl::StatusOr<std::map<std::string, Intent>> ReadIntents(
    Storage* storage,
    std::vector<std::pair<std::string, absl::Status>>* damaged) {
  std::map<std::string, Intent> out;
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed,
                           storage->List(kPrefix));
  for (const ObjectInfo& o : listed) {
    if (!IsIntentObjectName(o.name)) continue;
    if (o.size > kMaxIntentBytes) {
      if (damaged != nullptr) {
        damaged->emplace_back(
            o.name, Bad(o.name, kMaxIntentBytes, "larger than the limit"));
      }
      continue;
    }
    absl::StatusOr<std::string> bytes = storage->ReadAll(o.name);
    if (absl::IsNotFound(bytes.status())) continue;  // Carried out meanwhile.
    WAYBACK_RETURN_IF_ERROR(bytes.status());
    absl::StatusOr<Intent> intent = DecodeIntent(*bytes, o.name);
    if (!intent.ok()) {
      if (damaged != nullptr) damaged->emplace_back(o.name, intent.status());
      continue;
    }
    out.emplace(o.name, *std::move(intent));
  }
  return out;
}

absl::StatusOr<std::map<TimelineId, Lsn>> ReadHorizons(Storage* storage) {
  std::map<TimelineId, Lsn> out;
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed,
                           storage->List(kHorizonStem));
  for (const ObjectInfo& o : listed) {
    TimelineId t;
    Lsn lsn;
    if (!ParseHorizonObjectName(o.name, &t, &lsn)) continue;
    out[t] = std::max(out[t], lsn);
  }
  return out;
}

}  // namespace wayback::expire_format
