// Copyright 2026 The Wayback Authors.
//
// Error vocabulary. Every fallible Wayback call returns absl::Status or
// absl::StatusOr<T>; no exception crosses the public API. The codes mean:
//
//   kOk                  success.
//   kDataLoss            corruption: a bad checksum, a bad length, a digest
//                        mismatch. The message names the object, the byte
//                        offset and the LSN.
//   kUnavailable         a retryable I/O failure (a network error, a 503).
//   kFailedPrecondition  a hole in the log, an unreachable target, a non-empty
//                        restore target without force, a writer already owns
//                        the log, or a writer that stopped after an I/O error.
//   kInvalidArgument     bad input from the caller (a malformed URI, a
//                        decreasing commit time, an unsorted snapshot key).
//   kNotFound            a named object, restore point or txid is absent.
//   kAlreadyExists       a create-only write found the object present.
//   kInternal            an I/O error that is not retryable (EIO, ENOSPC).
//
// An I/O error is never reported as "end of log".

#ifndef WAYBACK_STATUS_H_
#define WAYBACK_STATUS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define WAYBACK_STATUS_CONCAT_INNER_(x, y) x##y
#define WAYBACK_STATUS_CONCAT_(x, y) WAYBACK_STATUS_CONCAT_INNER_(x, y)

// Evaluates `expr` (an absl::Status) and returns it from the enclosing
// function if it is not OK.
#define WAYBACK_RETURN_IF_ERROR(expr)                  \
  do {                                                 \
    ::absl::Status wayback_status_ = (expr);           \
    if (!wayback_status_.ok()) return wayback_status_; \
  } while (0)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status from
// the enclosing function, otherwise moves the value into `lhs`, which may be a
// declaration (`auto x`) or an existing variable.
#define WAYBACK_ASSIGN_OR_RETURN(lhs, rexpr)                                  \
  WAYBACK_ASSIGN_OR_RETURN_IMPL_(                                             \
      WAYBACK_STATUS_CONCAT_(wayback_statusor_, __LINE__), lhs, rexpr)
#define WAYBACK_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();   \
  lhs = std::move(statusor).value()

#endif  // WAYBACK_STATUS_H_
