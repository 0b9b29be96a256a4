// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/scratch_dir.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "src/util/errors.h"

namespace wayback::rocksdb_internal {

ScratchDir::ScratchDir(std::string_view db_path)
    : path_(absl::StrCat(AV(db_path), "/", kScratchDirName)) {}

absl::Status ScratchDir::Create() const {
  std::error_code ec;
  std::filesystem::create_directories(path_, ec);
  if (ec) return IoError("create directory", path_, ec.value());
  return absl::OkStatus();
}

void ScratchDir::Remove() const {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string ScratchDir::NewFile(std::string_view suffix) {
  return absl::StrCat(path_, "/", next_++, AV(suffix));
}

}  // namespace wayback::rocksdb_internal
