// Copyright 2026 The Wayback Authors.
//
// Fuzz target: the S3 ListObjectsV2 response parser and the XML entity
// decoder. Any input is a page or an error; object names it returns are
// then checked by ValidateObjectName by the caller, so here only "no crash,
// no unbounded allocation".

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "src/storage/s3_xml.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view xml(reinterpret_cast<const char*>(data), size);
  auto page = wayback::s3::ParseListObjectsV2(xml);
  if (page.ok() && page->truncated &&
      page->next_continuation_token.size() > size) {
    __builtin_trap();
  }
  (void)wayback::s3::XmlElementText(xml, "Key");
  return 0;
}
