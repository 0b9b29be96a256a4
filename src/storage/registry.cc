// Copyright 2026 The Wayback Authors.
//
// OpenStorage(): URI -> backend. A plain scheme -> factory map, filled with
// the built-in backends on first use; RegisterStorageScheme() adds or replaces
// entries (tests use it to interpose decorators).

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "src/storage/s3_storage.h"
#include "src/util/errors.h"
#include "wayback/status.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

// Decodes %XX escapes (file:///a%20b); kInvalidArgument on a bad escape.
absl::StatusOr<std::string> PercentDecode(std::string_view in,
                                          std::string_view uri) {
  std::string out;
  for (size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      out.push_back(in[i]);
      continue;
    }
    if (i + 2 >= in.size() || !absl::ascii_isxdigit(in[i + 1]) ||
        !absl::ascii_isxdigit(in[i + 2])) {
      return absl::InvalidArgumentError(
          absl::StrCat("malformed URI \"", AV(uri), "\": bad % escape"));
    }
    auto hex = [](char c) {
      return absl::ascii_isdigit(c) ? c - '0'
                                    : absl::ascii_tolower(c) - 'a' + 10;
    };
    out.push_back(static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2])));
    i += 2;
  }
  if (out.find('\0') != std::string::npos) {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed URI \"", AV(uri), "\": NUL in path"));
  }
  return out;
}

absl::StatusOr<std::string> FileUriPath(std::string_view uri) {
  constexpr std::string_view kPrefix = "file://";
  std::string_view rest;
  if (absl::StartsWithIgnoreCase(AV(uri), AV(kPrefix))) {
    rest = uri.substr(kPrefix.size());
  }
  if (rest.empty() || rest.front() != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed URI \"", AV(uri),
                     "\": expected file:///absolute/path (no host)"));
  }
  return PercentDecode(rest, uri);
}

absl::StatusOr<std::unique_ptr<Storage>> OpenFileUri(std::string_view uri,
                                                     bool create) {
  WAYBACK_ASSIGN_OR_RETURN(std::string path, FileUriPath(uri));
  return OpenLocalStorage(path, create);
}

absl::StatusOr<std::unique_ptr<Storage>> OpenMemUri(std::string_view uri,
                                                    bool create) {
  if (uri != "mem:") {
    return absl::InvalidArgumentError(
        absl::StrCat("malformed URI \"", AV(uri), "\": expected \"mem:\""));
  }
  return NewMemoryStorage();
}

class Registry {
 public:
  Registry() {
    factories_["file"] = &OpenFileUri;
    factories_["mem"] = &OpenMemUri;
    factories_["s3"] = [](std::string_view uri, bool create) {
      return s3::OpenS3Uri(uri, create);
    };
  }
  void Register(std::string_view scheme, StorageFactory factory) {
    absl::MutexLock lock(&mu_);
    factories_[absl::AsciiStrToLower(AV(scheme))] = std::move(factory);
  }
  absl::StatusOr<StorageFactory> Find(std::string_view scheme) {
    absl::MutexLock lock(&mu_);
    auto it = factories_.find(absl::AsciiStrToLower(AV(scheme)));
    if (it == factories_.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown storage scheme \"", AV(scheme), "\""));
    }
    return it->second;
  }

 private:
  absl::Mutex mu_;
  std::map<std::string, StorageFactory> factories_ ABSL_GUARDED_BY(mu_);
};

Registry& GetRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

// The scheme of `uri` per RFC 3986 (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
// followed by ':'), or empty if it has none, i.e. it is a plain path. Note the
// scheme match is case-insensitive ("FILE:///x").
std::string_view SchemeOf(std::string_view uri) {
  size_t colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return {};
  if (!absl::ascii_isalpha(uri[0])) return {};
  for (size_t i = 1; i < colon; ++i) {
    char c = uri[i];
    if (!absl::ascii_isalnum(c) && c != '+' && c != '-' && c != '.') return {};
  }
  // Anything that looks like a scheme is one, so that a mistyped URI
  // ("s3:/bucket") is refused rather than created as a local directory; a
  // local path containing ':' in its first component can be written "./x:y".
  return uri.substr(0, colon);
}

}  // namespace

void RegisterStorageScheme(std::string_view scheme, StorageFactory factory) {
  GetRegistry().Register(scheme, std::move(factory));
}

absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(std::string_view uri,
                                                     bool create) {
  if (uri.empty()) return absl::InvalidArgumentError("empty storage URI");
  if (uri.find('\0') != std::string_view::npos) {
    return absl::InvalidArgumentError("storage URI contains NUL");
  }
  std::string_view scheme = SchemeOf(uri);
  if (scheme.empty()) return OpenLocalStorage(uri, create);
  WAYBACK_ASSIGN_OR_RETURN(StorageFactory factory, GetRegistry().Find(scheme));
  return factory(uri, create);
}

absl::StatusOr<std::optional<std::string>> LocalPathOfUri(
    std::string_view uri) {
  if (uri.empty()) return absl::InvalidArgumentError("empty storage URI");
  std::string_view scheme = SchemeOf(uri);
  if (scheme.empty()) return std::optional<std::string>(std::string(uri));
  if (absl::AsciiStrToLower(AV(scheme)) != "file") return std::nullopt;
  WAYBACK_ASSIGN_OR_RETURN(std::string path, FileUriPath(uri));
  return std::optional<std::string>(std::move(path));
}

absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(
    std::string_view uri, const StorageOpenOptions& options) {
  // Settings reach only the built-in S3 backend (a factory registered for
  // "s3" by a test is bypassed when settings are given: it could not take
  // them).
  if (!options.s3.empty() && !uri.empty() &&
      absl::AsciiStrToLower(AV(SchemeOf(uri))) == "s3") {
    return s3::OpenS3Uri(uri, options.create, options.s3);
  }
  return OpenStorage(uri, options.create);
}

}  // namespace wayback
