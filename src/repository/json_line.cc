// Copyright 2026 The Wayback Authors.

#include "src/repository/json_line.h"

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"

namespace wayback {

using nlohmann::json;

uint32_t JsonLineCrc(json object) {
  object.erase("crc32c");
  const std::string body = object.dump();  // Sorted keys, no whitespace.
  return crc32c::Mask(crc32c::Value(body));
}

std::string EncodeJsonLine(json object) {
  object["crc32c"] = JsonLineCrc(object);
  return object.dump() + "\n";
}

absl::StatusOr<json> DecodeJsonLine(std::string_view bytes,
                                    std::string_view object,
                                    std::string_view what,
                                    std::string_view format,
                                    std::initializer_list<JsonMember> members) {
  auto bad = [&](std::string_view problem) {
    return absl::DataLossError(
        absl::StrCat(AV(what), " ", AV(object), ": ", AV(problem)));
  };
  if (bytes.empty() || bytes.back() != '\n' ||
      bytes.find('\n') != bytes.size() - 1) {
    return bad("not one line of JSON ending in a newline");
  }
  json j = json::parse(bytes.substr(0, bytes.size() - 1), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return bad("not JSON");
  // format, version and crc32c come with every such object.
  if (j.size() != members.size() + 3) {
    return bad(
        absl::StrCat("has ", j.size(), " members, not ", members.size() + 3));
  }
  for (const char* m : {"format", "version", "crc32c"}) {
    if (!j.contains(m)) return bad(absl::StrCat("lacks \"", m, "\""));
  }
  for (const JsonMember& m : members) {
    if (!j.contains(m.name)) {
      return bad(absl::StrCat("lacks \"", m.name, "\""));
    }
    const json& v = j[m.name];
    bool ok = false;
    const char* want = "";
    switch (m.type) {
      case JsonMember::Type::kString:
        ok = v.is_string();
        want = "a string";
        break;
      case JsonMember::Type::kUnsigned:
        ok = v.is_number_unsigned();
        want = "a whole number";
        break;
      case JsonMember::Type::kInteger:
        ok = v.is_number_integer();
        want = "an integer";
        break;
      case JsonMember::Type::kNumber:
        ok = v.is_number();
        want = "a number";
        break;
      case JsonMember::Type::kBool:
        ok = v.is_boolean();
        want = "true or false";
        break;
      case JsonMember::Type::kArray:
        ok = v.is_array();
        want = "an array";
        break;
    }
    if (!ok) return bad(absl::StrCat("\"", m.name, "\" is not ", want));
  }
  if (!j["format"].is_string() || j["format"] != std::string(format)) {
    return bad(absl::StrCat("format is not ", AV(format)));
  }
  if (!j["crc32c"].is_number_unsigned()) {
    return bad("\"crc32c\" is not a whole number");
  }
  if (j["version"] != 1) {
    return bad(absl::StrCat("version ", j["version"].dump(),
                            " (this reader knows 1)"));
  }
  if (j["crc32c"].get<uint64_t>() != JsonLineCrc(j)) {
    return bad("checksum mismatch (edited or damaged)");
  }
  return j;
}

std::string JsonLineTime(absl::Time t) {
  return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E*SZ", t, absl::UTCTimeZone());
}

bool ParseJsonLineTime(const std::string& text, absl::Time* t) {
  std::string err;
  return absl::ParseTime(absl::RFC3339_full, text, t, &err);
}

}  // namespace wayback
