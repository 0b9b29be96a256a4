// Copyright 2026 The Wayback Authors.
//
// S3's XML responses. See s3_xml.h for why a tag search is enough.

#include "src/storage/s3_xml.h"

#include <cstdint>
#include <optional>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::s3 {

absl::StatusOr<std::string> XmlUnescape(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '&') {
      out.push_back(text[i]);
      continue;
    }
    size_t semi = text.find(';', i);
    if (semi == std::string_view::npos || semi - i > 12) {
      return absl::InternalError("malformed XML entity");
    }
    std::string_view entity = text.substr(i + 1, semi - i - 1);
    if (entity == "amp") {
      out.push_back('&');
    } else if (entity == "lt") {
      out.push_back('<');
    } else if (entity == "gt") {
      out.push_back('>');
    } else if (entity == "quot") {
      out.push_back('"');
    } else if (entity == "apos") {
      out.push_back('\'');
    } else if (entity.size() >= 2 && entity[0] == '#') {
      uint32_t cp = 0;
      bool ok = entity[1] == 'x' || entity[1] == 'X'
                    ? absl::SimpleHexAtoi(AV(entity.substr(2)), &cp)
                    : absl::SimpleAtoi(AV(entity.substr(1)), &cp);
      if (!ok || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return absl::InternalError("malformed XML character reference");
      }
      // UTF-8 encode.
      if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
      } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
      }
    } else {
      return absl::InternalError("unknown XML entity");
    }
    i = semi;
  }
  return out;
}

namespace {

// The raw (escaped) text of the first <tag>...</tag> in `xml`, searching from
// `*pos` and leaving `*pos` after the closing tag; nullopt if absent.
std::optional<std::string_view> FindElement(std::string_view xml,
                                            std::string_view tag, size_t* pos) {
  const std::string open = absl::StrCat("<", AV(tag), ">");
  const std::string close = absl::StrCat("</", AV(tag), ">");
  size_t start = xml.find(open, *pos);
  if (start == std::string_view::npos) return std::nullopt;
  start += open.size();
  size_t end = xml.find(close, start);
  if (end == std::string_view::npos) return std::nullopt;
  *pos = end + close.size();
  return xml.substr(start, end - start);
}

}  // namespace

std::string XmlElementText(std::string_view xml, std::string_view tag) {
  size_t pos = 0;
  std::optional<std::string_view> raw = FindElement(xml, tag, &pos);
  if (!raw) return "";
  absl::StatusOr<std::string> text = XmlUnescape(*raw);
  return text.ok() ? *text : "";
}

absl::StatusOr<ListPage> ParseListObjectsV2(std::string_view xml) {
  if (xml.find("<ListBucketResult") == std::string_view::npos) {
    return absl::InternalError("not a ListBucketResult document");
  }
  ListPage page;
  size_t pos = 0;
  while (true) {
    std::optional<std::string_view> contents =
        FindElement(xml, "Contents", &pos);
    if (!contents) break;
    size_t inner = 0;
    std::optional<std::string_view> key = FindElement(*contents, "Key", &inner);
    inner = 0;
    std::optional<std::string_view> size =
        FindElement(*contents, "Size", &inner);
    if (!key || !size) {
      return absl::InternalError("a <Contents> entry lacks <Key> or <Size>");
    }
    ObjectInfo info;
    WAYBACK_ASSIGN_OR_RETURN(info.name, XmlUnescape(*key));
    if (!absl::SimpleAtoi(AV(*size), &info.size)) {
      return absl::InternalError(
          absl::StrCat("bad <Size> \"", AV(size->substr(0, 40)), "\""));
    }
    page.objects.push_back(std::move(info));
  }
  size_t p = 0;
  std::optional<std::string_view> truncated =
      FindElement(xml, "IsTruncated", &p);
  page.truncated = truncated && *truncated == "true";
  p = 0;
  if (auto token = FindElement(xml, "NextContinuationToken", &p)) {
    WAYBACK_ASSIGN_OR_RETURN(page.next_continuation_token, XmlUnescape(*token));
  }
  return page;
}

absl::StatusOr<VersionPage> ParseListObjectVersions(std::string_view xml) {
  if (xml.find("<ListVersionsResult") == std::string_view::npos) {
    return absl::InternalError("not a ListVersionsResult document");
  }
  VersionPage page;
  for (std::string_view tag : {"Version", "DeleteMarker"}) {
    size_t pos = 0;
    while (std::optional<std::string_view> entry =
               FindElement(xml, tag, &pos)) {
      size_t inner = 0;
      std::optional<std::string_view> key = FindElement(*entry, "Key", &inner);
      inner = 0;
      std::optional<std::string_view> id =
          FindElement(*entry, "VersionId", &inner);
      if (!key || !id) {
        return absl::InternalError(
            absl::StrCat("a <", AV(tag), "> entry lacks <Key> or <VersionId>"));
      }
      std::pair<std::string, std::string> v;
      WAYBACK_ASSIGN_OR_RETURN(v.first, XmlUnescape(*key));
      WAYBACK_ASSIGN_OR_RETURN(v.second, XmlUnescape(*id));
      page.versions.push_back(std::move(v));
    }
  }
  page.truncated = XmlElementText(xml, "IsTruncated") == "true";
  page.next_key_marker = XmlElementText(xml, "NextKeyMarker");
  page.next_version_id_marker = XmlElementText(xml, "NextVersionIdMarker");
  return page;
}

}  // namespace wayback::s3
