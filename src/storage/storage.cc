// Copyright 2026 The Wayback Authors.
//
// The backend-independent parts of Storage: the defaults for optional
// capabilities, the whole-object conveniences and the object-name rules.

#include "wayback/storage.h"

#include <algorithm>
#include <string>
#include <string_view>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback {

absl::StatusOr<std::unique_ptr<AppendableObject>> Storage::OpenAppendable(
    std::string_view name, const AppendableOptions& options) {
  return absl::UnimplementedError(
      absl::StrCat(uri(), ": storage cannot append (opening ", AV(name), ")"));
}

absl::Status Storage::Purge(std::string_view name) { return Delete(name); }

absl::Status Storage::Rename(std::string_view from, std::string_view to) {
  return absl::UnimplementedError(absl::StrCat(
      uri(), ": storage cannot rename (", AV(from), " -> ", AV(to), ")"));
}

absl::StatusOr<std::unique_ptr<StorageLock>> Storage::Lock(
    std::string_view name) {
  return absl::UnimplementedError(
      absl::StrCat(uri(), ": storage has no locks (locking ", AV(name), ")"));
}

absl::StatusOr<std::vector<std::string>> Storage::RemoveStaleTemporaries(
    std::string_view, absl::Duration) {
  // Object stores publish whole objects or nothing: no temporaries to remove.
  return std::vector<std::string>{};
}

absl::StatusOr<std::string> Storage::ReadAll(std::string_view name) {
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<ReadableObject> object,
                           OpenForRead(name));
  const uint64_t size = object->size();
  std::string out(size, '\0');
  uint64_t done = 0;
  while (done < size) {
    WAYBACK_ASSIGN_OR_RETURN(
        std::string_view got,
        object->ReadAt(done, static_cast<size_t>(size - done),
                       out.data() + done));
    // ReadAt never reads short before the end, so an empty read here means the
    // object shrank under us: an error, never a silently short result.
    if (got.empty()) {
      return absl::InternalError(absl::StrCat(
          uri(), "/", AV(name), ": object shrank while read (expected ", size,
          " bytes, got ", done, ")"));
    }
    if (got.data() != out.data() + done) {
      std::copy(got.begin(), got.end(), out.begin() + done);
    }
    done += got.size();
  }
  return out;
}

absl::Status Storage::WriteAll(std::string_view name, std::string_view data) {
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> writer, Create(name));
  WAYBACK_RETURN_IF_ERROR(writer->Append(data));
  return writer->Close();
}

absl::Status ValidateObjectName(std::string_view name) {
  auto bad = [&](std::string_view why) {
    // The name may hold NULs or control bytes: quote it safely.
    return absl::InvalidArgumentError(absl::StrCat(
        "invalid object name \"", absl::CHexEscape(AV(name)), "\": ", AV(why)));
  };
  if (name.empty()) return bad("empty");
  if (name.front() == '/') return bad("leading '/'");
  if (name.find('\0') != std::string_view::npos) return bad("contains NUL");
  if (name.find('\\') != std::string_view::npos) return bad("contains '\\'");
  size_t start = 0;
  while (true) {
    size_t end = name.find('/', start);
    std::string_view component = name.substr(
        start,
        end == std::string_view::npos ? std::string_view::npos : end - start);
    if (component.empty()) return bad("empty component");
    if (component == "." || component == "..") {
      return bad("'.' or '..' component");
    }
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return absl::OkStatus();
}

}  // namespace wayback
