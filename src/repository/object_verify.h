// Copyright 2026 The Wayback Authors.
//
// Verifies one repository object through its format, reading nothing but
// that object (Repository::VerifyObject).

#ifndef WAYBACK_SRC_REPOSITORY_OBJECT_VERIFY_H_
#define WAYBACK_SRC_REPOSITORY_OBJECT_VERIFY_H_

#include "absl/status/status.h"
#include "wayback/storage.h"

namespace wayback {

// See Repository::VerifyObject() for what is checked and the error codes.
absl::Status VerifyRepositoryObject(Storage* storage, const ObjectInfo& object);

}  // namespace wayback

#endif  // WAYBACK_SRC_REPOSITORY_OBJECT_VERIFY_H_
