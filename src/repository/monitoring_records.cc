// Copyright 2026 The Wayback Authors.
//
// Drill records and the heartbeat: their codecs, and writing and reading
// them through a repository.

#include "src/repository/monitoring_records.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "src/repository/json_line.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using nlohmann::json;
using T = JsonMember::Type;

constexpr std::string_view kDrillPrefix = "drills/";

int64_t Ms(absl::Duration d) { return absl::ToInt64Milliseconds(d); }

}  // namespace

std::string DrillObjectName(absl::Time started) {
  return absl::StrCat(
      AV(kDrillPrefix),
      absl::FormatTime("%Y%m%dT%H%M%E3SZ", started, absl::UTCTimeZone()),
      ".json");
}

std::string EncodeDrillRecord(const DrillRecord& r) {
  return EncodeJsonLine(json{{"format", "wayback-drill"},
                             {"version", 1},
                             {"started", JsonLineTime(r.started)},
                             {"elapsed_ms", Ms(r.elapsed)},
                             {"passed", r.passed},
                             {"restores", r.restores},
                             {"failed", r.failed},
                             {"slowest_restore_ms", Ms(r.slowest_restore)},
                             {"rto_ms", Ms(r.rto)},
                             {"rpo_ms", Ms(r.rpo)},
                             {"achieved_rpo_ms", Ms(r.achieved_rpo)},
                             {"repository", r.repository},
                             {"tool_version", r.tool_version},
                             {"summary", r.summary}});
}

absl::StatusOr<DrillRecord> DecodeDrillRecord(std::string_view bytes,
                                              std::string_view object) {
  WAYBACK_ASSIGN_OR_RETURN(
      json j, DecodeJsonLine(bytes, object, "drill record", "wayback-drill",
                             {{"started", T::kString},
                              {"elapsed_ms", T::kUnsigned},
                              {"passed", T::kBool},
                              {"restores", T::kUnsigned},
                              {"failed", T::kUnsigned},
                              {"slowest_restore_ms", T::kUnsigned},
                              {"rto_ms", T::kUnsigned},
                              {"rpo_ms", T::kUnsigned},
                              {"achieved_rpo_ms", T::kInteger},
                              {"repository", T::kString},
                              {"tool_version", T::kString},
                              {"summary", T::kString}}));
  DrillRecord r;
  if (!ParseJsonLineTime(j["started"].get<std::string>(), &r.started)) {
    return absl::DataLossError(
        absl::StrCat("drill record ", AV(object), ": malformed start time"));
  }
  if (DrillObjectName(r.started) != object) {
    return absl::DataLossError(
        absl::StrCat("drill record ", AV(object), ": started ",
                     j["started"].get<std::string>(),
                     ", which contradicts its object name"));
  }
  auto ms = [&j](const char* m) {
    return absl::Milliseconds(j[m].get<int64_t>());
  };
  r.elapsed = ms("elapsed_ms");
  r.passed = j["passed"].get<bool>();
  r.restores = j["restores"].get<uint64_t>();
  r.failed = j["failed"].get<uint64_t>();
  r.slowest_restore = ms("slowest_restore_ms");
  r.rto = ms("rto_ms");
  r.rpo = ms("rpo_ms");
  r.achieved_rpo = ms("achieved_rpo_ms");
  r.repository = j["repository"].get<std::string>();
  r.tool_version = j["tool_version"].get<std::string>();
  r.summary = j["summary"].get<std::string>();
  return r;
}

absl::Status RecordDrill(const Repository& repository,
                         const DrillRecord& record) {
  const std::string object = DrillObjectName(record.started);
  absl::Status s =
      repository.storage()->WriteAll(object, EncodeDrillRecord(record));
  if (absl::IsAlreadyExists(s)) {
    return absl::AlreadyExistsError(
        absl::StrCat(object,
                     " already exists: another drill started in the same "
                     "millisecond"));
  }
  return s;
}

absl::StatusOr<std::vector<DrillRecord>> ListDrills(
    const Repository& repository) {
  Storage* storage = repository.storage();
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> listed,
                           storage->List(kDrillPrefix));
  std::vector<DrillRecord> drills;
  for (const ObjectInfo& o : listed) {  // Sorted by name, hence by time.
    if (ClassifyObject(o.name).kind != ObjectKind::kDrill) continue;
    WAYBACK_ASSIGN_OR_RETURN(std::string bytes, storage->ReadAll(o.name));
    WAYBACK_ASSIGN_OR_RETURN(DrillRecord r, DecodeDrillRecord(bytes, o.name));
    drills.push_back(std::move(r));
  }
  return drills;
}

std::string EncodeHeartbeat(const CaptureHeartbeat& h) {
  return EncodeJsonLine(json{{"format", "wayback-heartbeat"},
                             {"version", 1},
                             {"time", JsonLineTime(h.time)},
                             {"writer", h.writer},
                             {"pid", h.pid},
                             {"host", h.host},
                             {"last_durable_lsn", h.last_durable_lsn}});
}

absl::StatusOr<CaptureHeartbeat> DecodeHeartbeat(std::string_view bytes,
                                                 std::string_view object) {
  WAYBACK_ASSIGN_OR_RETURN(
      json j, DecodeJsonLine(bytes, object, "heartbeat", "wayback-heartbeat",
                             {{"time", T::kString},
                              {"writer", T::kString},
                              {"pid", T::kInteger},
                              {"host", T::kString},
                              {"last_durable_lsn", T::kUnsigned}}));
  CaptureHeartbeat h;
  if (!ParseJsonLineTime(j["time"].get<std::string>(), &h.time)) {
    return absl::DataLossError(
        absl::StrCat("heartbeat ", AV(object), ": malformed time"));
  }
  h.writer = j["writer"].get<std::string>();
  h.pid = j["pid"].get<int64_t>();
  h.host = j["host"].get<std::string>();
  h.last_durable_lsn = j["last_durable_lsn"].get<Lsn>();
  return h;
}

absl::Status WriteHeartbeat(const Repository& repository,
                            const CaptureHeartbeat& heartbeat) {
  WAYBACK_ASSIGN_OR_RETURN(std::optional<std::string> local,
                           LocalPathOfUri(repository.uri()));
  if (!local) {
    return absl::FailedPreconditionError(
        absl::StrCat(repository.uri(),
                     " is not a local directory: a heartbeat is written only "
                     "by a live capture, into its local repository"));
  }
  namespace fs = std::filesystem;
  const fs::path path = fs::path(*local) / std::string(kHeartbeatObjectName);
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  if (ec) return IoError("mkdir", path.parent_path().string(), ec.value());
  // A temporary per process, renamed over the heartbeat: readers see the old
  // or the new one whole.
  const std::string tmp = absl::StrCat(path.string(), ".", ::getpid(), ".tmp");
  const int fd =
      ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("open", tmp, errno);
  const std::string bytes = EncodeHeartbeat(heartbeat);
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return IoError("write", tmp, err);
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return IoError("rename", tmp, err);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<CaptureHeartbeat>> ReadHeartbeat(
    const Repository& repository) {
  absl::StatusOr<std::string> bytes =
      repository.storage()->ReadAll(kHeartbeatObjectName);
  if (absl::IsNotFound(bytes.status())) return std::nullopt;
  if (!bytes.ok()) return bytes.status();
  WAYBACK_ASSIGN_OR_RETURN(CaptureHeartbeat h,
                           DecodeHeartbeat(*bytes, kHeartbeatObjectName));
  return h;
}

}  // namespace wayback
