// Copyright 2026 The Wayback Authors.
//
// Pins (src/repository/pin_format.md): the codec, and pinning, listing and
// removing through a repository's storage.

#include "src/repository/pins.h"

#include <algorithm>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "src/repository/json_line.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using nlohmann::json;

constexpr std::string_view kPrefix = "pins/";
constexpr std::string_view kSuffix = ".pin";

absl::Status Bad(std::string_view object, std::string_view what) {
  return absl::DataLossError(absl::StrCat("pin ", AV(object), ": ", AV(what)));
}

// Parses StateDigest::ToString(): 32 hex digits (high half first), ':', count.
bool ParseDigest(const std::string& text, StateDigest* out) {
  const size_t colon = text.find(':');
  if (colon != 32) return false;
  for (size_t i = 0; i < 32; ++i) {
    if (!absl::ascii_isxdigit(text[i]) || absl::ascii_isupper(text[i])) {
      return false;
    }
  }
  uint64_t high = 0, low = 0, count = 0;
  if (!absl::SimpleHexAtoi(text.substr(0, 16), &high) ||
      !absl::SimpleHexAtoi(text.substr(16, 16), &low) ||
      !absl::SimpleAtoi(text.substr(33), &count) ||
      absl::StrCat(count) != text.substr(33)) {
    return false;
  }
  out->sum_high = high;
  out->sum_low = low;
  out->count = count;
  return true;
}

}  // namespace

absl::Status CheckPinName(std::string_view name) {
  if (name.empty() || name.size() > 100 || name[0] == '.') {
    return absl::InvalidArgumentError(
        absl::StrCat("pin name \"", AV(name),
                     "\" must be 1 to 100 characters and not start with '.'"));
  }
  for (char c : name) {
    if (!absl::ascii_isalnum(c) && c != '.' && c != '_' && c != '-') {
      return absl::InvalidArgumentError(
          absl::StrCat("pin name \"", AV(name),
                       "\" may hold only letters, digits, '.', '_' and '-'"));
    }
  }
  return absl::OkStatus();
}

std::string PinObjectName(std::string_view name) {
  return absl::StrCat(AV(kPrefix), AV(name), AV(kSuffix));
}

std::string EncodePin(const SnapshotPin& pin) {
  return EncodeJsonLine(json{{"format", "wayback-pin"},
                             {"version", 1},
                             {"name", pin.name},
                             {"snapshot", pin.snapshot},
                             {"timeline", pin.timeline},
                             {"lsn", pin.lsn},
                             {"commit_time", pin.commit_time},
                             {"digest", pin.digest.ToString()},
                             {"created", JsonLineTime(pin.created)},
                             {"note", pin.note}});
}

absl::StatusOr<SnapshotPin> DecodePin(std::string_view bytes,
                                      std::string_view object) {
  using T = JsonMember::Type;
  WAYBACK_ASSIGN_OR_RETURN(json j,
                           DecodeJsonLine(bytes, object, "pin", "wayback-pin",
                                          {{"name", T::kString},
                                           {"snapshot", T::kString},
                                           {"timeline", T::kUnsigned},
                                           {"lsn", T::kUnsigned},
                                           {"commit_time", T::kInteger},
                                           {"digest", T::kString},
                                           {"created", T::kString},
                                           {"note", T::kString}}));
  SnapshotPin pin;
  pin.name = j["name"].get<std::string>();
  if (PinObjectName(pin.name) != object) {
    return Bad(object, absl::StrCat("names pin \"", pin.name,
                                    "\", which contradicts its object name"));
  }
  pin.snapshot = j["snapshot"].get<std::string>();
  pin.timeline = j["timeline"].get<TimelineId>();
  pin.lsn = j["lsn"].get<Lsn>();
  pin.commit_time = j["commit_time"].get<CommitTime>();
  if (!ParseDigest(j["digest"].get<std::string>(), &pin.digest)) {
    return Bad(object, "malformed digest");
  }
  if (!ParseJsonLineTime(j["created"].get<std::string>(), &pin.created)) {
    return Bad(object, "malformed creation time");
  }
  pin.note = j["note"].get<std::string>();
  return pin;
}

absl::StatusOr<SnapshotPin> PinSnapshot(const Repository& repository,
                                        std::string_view name,
                                        const SnapshotInfo& snapshot,
                                        std::string_view note) {
  WAYBACK_RETURN_IF_ERROR(CheckPinName(name));
  SnapshotPin pin;
  pin.name = std::string(name);
  pin.snapshot = snapshot.name;
  pin.timeline = snapshot.timeline;
  pin.lsn = snapshot.lsn;
  pin.commit_time = snapshot.commit_time;
  pin.digest = snapshot.digest;
  pin.created = absl::Now();
  pin.note = std::string(note);
  Storage* storage = repository.storage();
  const std::string object = PinObjectName(name);
  absl::Status s = storage->WriteAll(object, EncodePin(pin));
  if (absl::IsAlreadyExists(s)) {
    absl::StatusOr<std::string> bytes = storage->ReadAll(object);
    std::string holds = "another snapshot";
    if (bytes.ok()) {
      absl::StatusOr<SnapshotPin> old = DecodePin(*bytes, object);
      if (old.ok()) holds = old->snapshot;
    }
    return absl::AlreadyExistsError(
        absl::StrCat("pin \"", AV(name), "\" already exists and holds ", holds,
                     " (pins are never moved; remove it first)"));
  }
  WAYBACK_RETURN_IF_ERROR(s);
  return pin;
}

absl::StatusOr<std::vector<SnapshotPin>> ListPins(
    const Repository& repository) {
  Storage* storage = repository.storage();
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed,
                           storage->List(std::string(kPrefix)));
  std::vector<SnapshotPin> pins;
  for (const ObjectInfo& o : listed) {
    if (ClassifyObject(o.name).kind != ObjectKind::kPin) continue;
    WAYBACK_ASSIGN_OR_RETURN(std::string bytes, storage->ReadAll(o.name));
    WAYBACK_ASSIGN_OR_RETURN(SnapshotPin pin, DecodePin(bytes, o.name));
    pins.push_back(std::move(pin));
  }
  std::sort(pins.begin(), pins.end(),
            [](const SnapshotPin& a, const SnapshotPin& b) {
              return a.name < b.name;
            });
  return pins;
}

absl::Status RemovePin(const Repository& repository, std::string_view name) {
  WAYBACK_RETURN_IF_ERROR(CheckPinName(name));
  Storage* storage = repository.storage();
  const std::string object = PinObjectName(name);
  absl::Status exists = storage->Stat(object).status();
  if (absl::IsNotFound(exists)) {
    return absl::NotFoundError(absl::StrCat("no pin \"", AV(name), "\""));
  }
  WAYBACK_RETURN_IF_ERROR(exists);
  return storage->Delete(object);
}

}  // namespace wayback
