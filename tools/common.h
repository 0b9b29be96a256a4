// Copyright 2026 The Wayback Authors.
//
// Flags and helpers shared by the subcommands: the repository flags, the
// recovery target flags, error reporting and human-readable formatting.

#ifndef WAYBACK_TOOLS_COMMON_H_
#define WAYBACK_TOOLS_COMMON_H_

#include <signal.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "tools/cli.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

namespace wayback::cli {

using nlohmann::json;

// --repo URI and --json, on every subcommand (Add() also adds the S3 flags
// below).
struct RepoFlags {
  std::string repo;
  bool json = false;
  void Add(CLI::App* app, bool required = true);
};

// --s3-endpoint, --s3-region, --aws-access-key-id, --aws-secret-access-key
// and --aws-session-token, in an "S3" group of the command's help. They apply
// to every s3:// URI the command opens (through OpenRepository,
// CreateRepository and OpenStorageForCli), above the environment and below
// the URI's own query parameters. The values live in one process-wide
// S3Settings, reset whenever the flags are registered (at the start of each
// RunWayback), so RunWayback must not run on two threads at once.
void AddS3Flags(CLI::App* app);
// The S3 settings the flags of the command being run gave.
const S3Settings& CliS3Settings();
// OpenStorage(uri, create) with CliS3Settings().
absl::StatusOr<std::unique_ptr<Storage>> OpenStorageForCli(
    const std::string& uri, bool create);

// Repository::Open(uri) with CliS3Settings(): kNotFound if a local path does
// not exist, kInvalidArgument if it holds no Wayback objects.
absl::StatusOr<std::unique_ptr<Repository>> OpenRepository(
    const std::string& uri);
// Repository::Create(uri) with CliS3Settings(), recording `source` in its
// identity: the location must be new or empty.
absl::StatusOr<std::unique_ptr<Repository>> CreateRepository(
    const std::string& uri, const std::string& source);

// --to TIME | --lsn N | --txid ID | --restore-point NAME | --latest |
// --snapshot-only, plus --exclusive.
struct TargetFlags {
  std::string to;
  uint64_t lsn = 0;
  uint64_t txid = 0;
  std::string restore_point;
  bool latest = false;
  bool snapshot_only = false;
  bool exclusive = false;
  CLI::Option* opts[6] = {};
  CLI::Option* exclusive_opt = nullptr;

  void Add(CLI::App* app);
  // Exactly one target kind must have been given.
  absl::StatusOr<RecoveryTarget> Resolve() const;
};

// A target written as one word (diff --from/--until): a TIME, "latest",
// "snapshot", "lsn:N", "txid:N" or "restore-point:NAME"; a trailing
// ",exclusive" makes time/lsn/txid targets exclusive.
absl::StatusOr<RecoveryTarget> ParseTargetSpec(const std::string& spec);
inline constexpr char kTargetSpecHelp[] =
    "TIME (RFC 3339 with offset, or @<unix-ns>), lsn:N, txid:N, "
    "restore-point:NAME, latest or snapshot; append ,exclusive to stop before "
    "a time, LSN or txid";

// Parses a duration flag: a sequence of decimal numbers each with a unit,
// d (24 h), h, m, s, ms, us or ns ("35d", "1d12h", "90m", "1.5h", "250ms"),
// or "0". `flag` names the flag in the message. kInvalidArgument for
// anything else, or for a negative duration.
absl::StatusOr<absl::Duration> ParseDurationFlag(const std::string& flag,
                                                 const std::string& text);

// Parses a size flag: a decimal number of bytes, optionally followed by a
// unit K, M, G (powers of 1024; "KiB", "MiB", "GiB" and "B" are accepted
// too): "64MiB", "512K", "1048576". kInvalidArgument naming `flag` for
// anything else or for zero.
absl::StatusOr<uint64_t> ParseSizeFlag(const std::string& flag,
                                       const std::string& text);

// The exit code for a failed status: 1 for damage found (kDataLoss), 2 for
// everything else (bad usage, unreachable target, I/O).
int ExitCodeFor(const absl::Status& s);
// Prints "wayback <command>: error: <message>" (plus a hint for some codes)
// and returns ExitCodeFor(s).
int Fail(Io& io, const std::string& command, const absl::Status& s);
int Usage(Io& io, const std::string& command, const std::string& message);

std::string FormatBytes(uint64_t bytes);
std::string FormatDurationWords(absl::Duration d);
std::string FormatCount(uint64_t n);  // 1234567 -> "1,234,567"
// "LSN 42 (txid 17) committed 2026-11-25T10:42:00.000000000Z"
std::string DescribeCommit(const std::optional<CommitRef>& c);
json CommitJson(const std::optional<CommitRef>& c);
json DigestJson(const StateDigest& d);
json PlanJson(const RecoveryPlan& plan);

// A key or value as JSON fields: {"key": "..."} if UTF-8, else
// {"key_b64": "..."}.
void PutBytesField(json* obj, const std::string& name, std::string_view bytes);
// For text output: the bytes if printable UTF-8, else "b64:<base64>".
std::string Printable(std::string_view bytes, size_t max_len = 0);

// Sets up a StateTarget from --into: "memory" or "rocksdb:PATH" (opened
// with `rocksdb_options`).
absl::StatusOr<std::unique_ptr<StateTarget>> OpenInto(
    const std::string& into, const RocksDBTargetOptions& rocksdb_options = {});

// SIGTERM and SIGINT for a long-running command (ingest, mirror --follow):
// while an object lives, the signals only set a flag (Received()), so the
// command stops reading, makes what it has durable and exits 0; the previous
// handlers come back when it is destroyed (commands also run in process in
// tests). Blocking reads are interrupted (no SA_RESTART).
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // The signal received since construction, 0 if none.
  static int Received();

 private:
  struct sigaction old_term_, old_int_;
};

// write(2) all of `data` to `fd`; `what` names the file in errors.
absl::Status WriteAllToFd(int fd, std::string_view data,
                          const std::string& what);
// Writes `text` to `path` through a temporary renamed over it, so readers
// see the old or the new contents, never a mix (not synced: for status
// files and other advisory state).
absl::Status ReplaceFileAtomically(const std::string& path,
                                   const std::string& text);

}  // namespace wayback::cli

#endif  // WAYBACK_TOOLS_COMMON_H_
