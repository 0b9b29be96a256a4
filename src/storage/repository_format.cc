// Copyright 2026 The Wayback Authors.

#include "src/storage/repository_format.h"

#include <cstdint>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/util/crc32c.h"
#include "wayback/status.h"

namespace wayback::repository_format {
namespace {

absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

// "crc32c " + 8 hex digits + "\n": the fixed-size last line.
constexpr std::string_view kCrcPrefix = "crc32c ";
constexpr size_t kCrcLineBytes = 16;

bool IsLowerHex(std::string_view s) {
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

bool IsPrintableText(std::string_view s) {
  for (char c : s) {
    // Control characters (a newline above all) would break the line format;
    // bytes >= 0x80 are allowed (UTF-8).
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
  }
  return true;
}

absl::Status Damage(std::string_view object, size_t offset,
                    std::string_view what) {
  return absl::DataLossError(absl::StrCat(
      A(object), ": damaged repository identity object at byte offset ", offset,
      ": ", A(what)));
}

}  // namespace

absl::Status Validate(const RepositoryIdentity& identity) {
  if (identity.id.size() != kIdHexDigits || !IsLowerHex(identity.id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("repository id \"", identity.id, "\" is not ",
                     kIdHexDigits, " lowercase hex digits"));
  }
  if (identity.source.size() > kMaxSourceBytes ||
      !IsPrintableText(identity.source)) {
    return absl::InvalidArgumentError(absl::StrCat(
        "repository source must be printable text of at most ", kMaxSourceBytes,
        " bytes (", identity.source.size(), " given)"));
  }
  return absl::OkStatus();
}

std::string Encode(const RepositoryIdentity& identity) {
  std::string out = absl::StrCat(
      A(kMagicLine), kVersion, "\n", "id ", identity.id, "\n", "created ",
      identity.created, "\n", "source ", identity.source, "\n");
  const uint32_t crc = crc32c::Mask(crc32c::Value(out));
  absl::StrAppend(&out, A(kCrcPrefix), absl::StrFormat("%08x", crc), "\n");
  return out;
}

absl::StatusOr<RepositoryIdentity> Decode(std::string_view bytes,
                                          std::string_view object) {
  if (bytes.size() > kMaxObjectBytes) {
    return Damage(object, kMaxObjectBytes,
                  absl::StrCat(bytes.size(), " bytes, more than the ",
                               kMaxObjectBytes, " an identity may hold"));
  }
  // The checksum line first: nothing else is trusted before it matches.
  if (bytes.size() < kCrcLineBytes) {
    return Damage(object, 0,
                  absl::StrCat("only ", bytes.size(),
                               " bytes, too short for the checksum line"));
  }
  const size_t crc_at = bytes.size() - kCrcLineBytes;
  std::string_view crc_line = bytes.substr(crc_at);
  uint32_t stored = 0;
  if (crc_line.substr(0, kCrcPrefix.size()) != kCrcPrefix ||
      crc_line.back() != '\n' ||
      !IsLowerHex(crc_line.substr(kCrcPrefix.size(), 8)) ||
      !absl::SimpleHexAtoi(A(crc_line.substr(kCrcPrefix.size(), 8)), &stored)) {
    return Damage(object, crc_at, "the last line is not \"crc32c <8 hex>\"");
  }
  const uint32_t actual = crc32c::Mask(crc32c::Value(bytes.substr(0, crc_at)));
  if (stored != actual) {
    return Damage(object, crc_at,
                  absl::StrFormat("checksum mismatch (stored %08x, computed "
                                  "%08x over bytes 0-%d)",
                                  stored, actual, crc_at));
  }

  // Then the lines, in their fixed order.
  std::string_view body = bytes.substr(0, crc_at);
  size_t pos = 0;
  auto next_line = [&](std::string_view field,
                       std::string_view* value) -> absl::Status {
    const size_t end = body.find('\n', pos);
    if (end == std::string_view::npos) {
      return Damage(object, pos,
                    absl::StrCat("missing line \"", A(field), "\""));
    }
    std::string_view line = body.substr(pos, end - pos);
    if (line.substr(0, field.size()) != field) {
      return Damage(object, pos,
                    absl::StrCat("expected \"", A(field), "\" here"));
    }
    *value = line.substr(field.size());
    pos = end + 1;
    return absl::OkStatus();
  };

  std::string_view version_text;
  WAYBACK_RETURN_IF_ERROR(next_line(kMagicLine, &version_text));
  int version = 0;
  if (!absl::SimpleAtoi(A(version_text), &version) || version <= 0) {
    return Damage(object, kMagicLine.size(),
                  absl::StrCat("bad version \"", A(version_text), "\""));
  }
  if (version > kVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        A(object), ": repository identity version ", version,
        " was written by a newer Wayback (this one reads up to version ",
        kVersion, "); upgrade Wayback to use this repository"));
  }

  RepositoryIdentity identity;
  std::string_view v;
  size_t at = pos;
  WAYBACK_RETURN_IF_ERROR(next_line("id ", &v));
  if (v.size() != kIdHexDigits || !IsLowerHex(v)) {
    return Damage(object, at + 3, "the id is not 32 lowercase hex digits");
  }
  identity.id = std::string(v);
  at = pos;
  WAYBACK_RETURN_IF_ERROR(next_line("created ", &v));
  if (!absl::SimpleAtoi(A(v), &identity.created)) {
    return Damage(object, at + 8, "the creation time is not an integer");
  }
  at = pos;
  WAYBACK_RETURN_IF_ERROR(next_line("source ", &v));
  if (v.size() > kMaxSourceBytes || !IsPrintableText(v)) {
    return Damage(object, at + 7, "the source is not printable text");
  }
  identity.source = std::string(v);
  if (pos != body.size()) {
    return Damage(object, pos, "unexpected bytes before the checksum line");
  }
  return identity;
}

}  // namespace wayback::repository_format

namespace wayback {
absl::StatusOr<std::optional<RepositoryIdentity>> ReadRepositoryIdentity(
    Storage* storage) {
  absl::StatusOr<std::string> bytes = storage->ReadAll(kIdentityObjectName);
  if (absl::IsNotFound(bytes.status())) return std::nullopt;
  if (!bytes.ok()) return bytes.status();
  WAYBACK_ASSIGN_OR_RETURN(
      RepositoryIdentity identity,
      repository_format::Decode(
          *bytes, absl::StrCat(storage->uri(), "/",
                               absl::string_view(kIdentityObjectName.data(),
                                                 kIdentityObjectName.size()))));
  return std::optional<RepositoryIdentity>(std::move(identity));
}

}  // namespace wayback
