// Copyright 2026 The Wayback Authors.
//
// The little XML that S3 storage reads: ListObjectsV2 pages, the error body
// of a refused request (<Error><Code>SlowDown</Code><Message>...), and single
// elements of other responses (<UploadId>). Not a general XML parser: S3's
// responses are flat and machine-written, so finding an element by its tags
// and decoding the five named entities and character references is enough.
// Apart from the backend because it is the part that reads bytes a server
// (or a fuzzer, fuzz/fuzz_s3_list.cc) chooses: any input is safe.

#ifndef WAYBACK_SRC_STORAGE_S3_XML_H_
#define WAYBACK_SRC_STORAGE_S3_XML_H_

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "wayback/storage.h"

namespace wayback::s3 {

// One page of a ListObjectsV2 response.
struct ListPage {
  std::vector<ObjectInfo> objects;  // Full keys.
  bool truncated = false;
  std::string next_continuation_token;
};
// Parses a ListObjectsV2 response body. Any input is safe; malformed input is
// kInternal.
absl::StatusOr<ListPage> ParseListObjectsV2(std::string_view xml);

// One page of a ListObjectVersions response: every <Version> and
// <DeleteMarker> as (full key, version id).
struct VersionPage {
  std::vector<std::pair<std::string, std::string>> versions;
  bool truncated = false;
  std::string next_key_marker;
  std::string next_version_id_marker;
};
// Parses a ListObjectVersions response body. Any input is safe; malformed
// input is kInternal.
absl::StatusOr<VersionPage> ParseListObjectVersions(std::string_view xml);

// The text of the first <tag>...</tag> element, XML entities decoded; empty
// if absent. Reads an error body's <Code> and <Message>.
std::string XmlElementText(std::string_view xml, std::string_view tag);
// Decodes &amp; &lt; &gt; &quot; &apos; &#N; &#xN;. kInternal on a bad one.
absl::StatusOr<std::string> XmlUnescape(std::string_view text);

}  // namespace wayback::s3

#endif  // WAYBACK_SRC_STORAGE_S3_XML_H_
