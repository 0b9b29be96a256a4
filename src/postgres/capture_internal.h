// Copyright 2026 The Wayback Authors.
//
// The PostgresCapture behind PostgresCapture::Connect(), over any
// ReplicationConnection: tests give it a scripted stream to reach what a
// real server cannot be made to do on demand (commit times that go
// backwards, a keepalive at a chosen instant, a malformed message).

#ifndef WAYBACK_SRC_POSTGRES_CAPTURE_INTERNAL_H_
#define WAYBACK_SRC_POSTGRES_CAPTURE_INTERNAL_H_

#include <memory>

#include "absl/status/statusor.h"
#include "src/postgres/replication_connection.h"
#include "wayback/postgres.h"

namespace wayback::postgres {

// kInvalidArgument for a slot or publication name Wayback does not quote.
absl::Status CheckCaptureNames(const PostgresCaptureOptions& options);

// Pins the session settings and runs IDENTIFY_SYSTEM on `connection`, then
// returns the capture that streams from it.
absl::StatusOr<std::unique_ptr<PostgresCapture>> NewPostgresCapture(
    const PostgresCaptureOptions& options,
    std::unique_ptr<ReplicationConnection> connection);

}  // namespace wayback::postgres

#endif  // WAYBACK_SRC_POSTGRES_CAPTURE_INTERNAL_H_
