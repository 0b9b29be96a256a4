// Copyright 2026 The Wayback Authors.
//
// What the commands that archive a live source share (wayback ingest,
// wayback capture postgres): the ingester's flags (--ack, --status-file,
// --mirror, segment age, mirror lag alarm, group commit, the background
// snapshot schedule, the retention schedule), and the run-time around an
// Ingester: the archiver to the mirrors, the snapshotter, the scheduled
// expiry, the acknowledgement file and the status file (docs/ingest.md
// describes both files; docs/expire.md the retention), and the heartbeat in
// the repository.

#ifndef WAYBACK_TOOLS_LIVE_CAPTURE_H_
#define WAYBACK_TOOLS_LIVE_CAPTURE_H_

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "tools/common.h"
#include "wayback/capture.h"

namespace wayback::cli {

// The flags, and their values once parsed.
struct LiveCaptureFlags {
  std::string ack_file;
  std::string status_file;
  std::vector<std::string> mirrors;
  std::string max_segment_age = "60s";
  std::string max_mirror_lag = "60s";
  std::string status_interval = "1s";
  std::string commit_interval = "5ms";
  size_t batch = 20000;
  std::string snapshot_every;
  uint64_t snapshot_every_tx = 0;
  std::string snapshot_every_bytes;
  std::string snapshot_kind = "auto";
  // Retention: `--keep 35d` runs ExpireRepository in the background.
  std::string keep;
  std::string expire_every = "10m";
  std::string expire_grace = "1h";

  // Set by Parse().
  absl::Duration segment_age;
  absl::Duration mirror_lag_alarm;
  absl::Duration status_every;
  absl::Duration commit_every;
  SnapshotSchedule snapshots;
  std::optional<absl::Duration> keep_window;  // Absent: no --keep.
  absl::Duration expire_interval;
  absl::Duration expire_grace_period;

  // `unit` names what is acknowledged ("event", "transaction").
  void Add(CLI::App* app, const std::string& unit);
  // kInvalidArgument naming the flag.
  absl::Status Parse();
};

// {"lsn":…,"source_position":…,"txid":…}
json AckJson(const CaptureAck& a);
// 2026-12-07T10:42:00.123Z
std::string StatusTimeText(absl::Time t);

// The repository a live capture appends to: the local directory `uri`
// (*local_dir), opened, or created recording `source` if `create` and it is
// missing or empty. `verb` ("ingest", "capture") names the command in the
// message refusing an object store. The caller checks the source of an
// existing repository.
absl::StatusOr<std::unique_ptr<Repository>> OpenLiveRepository(
    const std::string& uri, bool create, const std::string& source,
    const std::string& verb, std::string* local_dir);

// The ingester of a repository with its archiver, ack file and status file.
class LiveCapture {
 public:
  // `command` prefixes warnings ("ingest", "capture postgres").
  LiveCapture(const LiveCaptureFlags& flags, std::string command,
              std::string unit)
      : flags_(flags), command_(std::move(command)), unit_(std::move(unit)) {}
  ~LiveCapture();
  LiveCapture(const LiveCapture&) = delete;
  LiveCapture& operator=(const LiveCapture&) = delete;

  // Opens the ingester of `repo` (not owned; a local directory `local_dir`),
  // reports a torn tail it cut, starts the archiver for --mirror, opens the
  // --ack file and acknowledges what the repository already holds.
  // kInvalidArgument for a bad --ack path (a usage error).
  absl::Status Open(Repository* repo, const std::string& local_dir, Io& io);

  Ingester* ingester() const { return ingester_.get(); }

  // After a group commit: the --ack line, the archiver's record and the
  // snapshotter's (`bytes`: source bytes acknowledged since the last call).
  absl::Status Acknowledge(const CaptureAck& ack, uint64_t bytes = 0);

  // Rewrites the repository's heartbeat (capture/heartbeat.json, which
  // `wayback check` reads), the status file (and, on a terminal, the
  // progress line): the common fields, "duplicates" = `resent`, plus `extra`
  // (merged in). Warnings go to io.err.
  void WriteStatus(Io& io, bool final, uint64_t resent, const json& extra);
  bool StatusDue() const {
    return absl::Now() - last_status_ >= flags_.status_every;
  }

  // Stops the snapshotter (a build in progress is abandoned: the next run
  // builds it again), closes the ingester, then runs the archiver's last
  // pass. Returns the ingester's error in *closed and the archiver's as the
  // result.
  absl::Status Finish(absl::Status* closed);

 private:
  // The retention thread (--keep): an expiry now and then every
  // --expire-every, never holding up ingestion; state for the status file.
  struct ExpireState {
    uint64_t runs = 0;
    uint64_t failed = 0;
    uint64_t deleted_objects = 0;
    uint64_t deleted_bytes = 0;
    uint64_t deferred_objects = 0;
    std::optional<absl::Time> last_success;
    std::string last_error;
    std::string restorable_from;
  };
  void ExpireLoop();
  void StopExpiry();

  const LiveCaptureFlags& flags_;
  std::string command_;
  std::string unit_;
  Repository* repo_ = nullptr;
  std::string local_dir_;
  std::unique_ptr<Ingester> ingester_;
  std::unique_ptr<Archiver> archiver_;
  std::atomic<Archiver*> archiver_ptr_{nullptr};
  std::unique_ptr<Snapshotter> snapshotter_;
  int ack_fd_ = -1;
  absl::Time started_ = absl::Now();
  absl::Time last_status_ = absl::InfinitePast();
  uint64_t last_status_appended_ = 0;
  double rate_ = 0;
  std::thread expire_thread_;
  std::mutex expire_mu_;
  std::condition_variable expire_cv_;
  bool expire_stop_ = false;  // Guarded by expire_mu_.
  ExpireState expire_state_;  // Guarded by expire_mu_.
};

}  // namespace wayback::cli

#endif  // WAYBACK_TOOLS_LIVE_CAPTURE_H_
