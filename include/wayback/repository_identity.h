// Copyright 2026 The Wayback Authors.
//
// The repository identity object (wayback.repository at the root of a
// repository's storage): what it holds, and reading it from a Storage. The
// byte format is specified in src/storage/repository_format.md. It lives
// below the log and snapshot layers because their version 2 objects carry
// the repository's id (src/log/segment_format.md, V2.1) and their writers
// and readers read it from the storage directly.

#ifndef WAYBACK_REPOSITORY_IDENTITY_H_
#define WAYBACK_REPOSITORY_IDENTITY_H_

#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "wayback/storage.h"
#include "wayback/types.h"

namespace wayback {

// The name of the identity object at the repository root.
inline constexpr std::string_view kIdentityObjectName = "wayback.repository";

// Who a repository is: written once, by Repository::Create(), and copied
// unchanged to every mirror. Encryption, drills and capture bind to `id`.
struct RepositoryIdentity {
  // 32 lowercase hex digits (128 random bits), unique per repository.
  std::string id;
  // When the repository was created (the creating clock's time).
  CommitTime created = 0;
  // What feeds the repository, as the creator named it ("import",
  // "gen", "jsonl:/var/log/app/events.jsonl", "postgres:dbname=ehr"...);
  // printable UTF-8, at most 1,024 bytes; may be empty.
  std::string source;

  friend bool operator==(const RepositoryIdentity&,
                         const RepositoryIdentity&) = default;
};

// Reads the identity object of the repository stored in `storage` (not
// owned). Outcomes:
//   - the identity: the object exists and is valid;
//   - nullopt: there is no identity object (a repository created before
//     identities existed, or no repository at all);
//   - kDataLoss naming the object (under the storage's URI) and the byte
//     offset: the object is damaged;
//   - kFailedPrecondition: it was written by a newer Wayback;
//   - any other error of the storage, as such (never as "absent").
absl::StatusOr<std::optional<RepositoryIdentity>> ReadRepositoryIdentity(
    Storage* storage);

}  // namespace wayback

#endif  // WAYBACK_REPOSITORY_IDENTITY_H_
