// Copyright 2026 The Wayback Authors.

#include "tools/live_capture.h"

#include <fcntl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <iostream>

#include "absl/strings/str_cat.h"
#include "wayback/expire.h"

namespace wayback::cli {

void LiveCaptureFlags::Add(CLI::App* app, const std::string& unit) {
  app->add_option("--ack", ack_file,
                  absl::StrCat("Append one JSON line per group commit for the "
                               "newest durable ",
                               unit,
                               ": {\"lsn\":…,\"source_position\":…,"
                               "\"txid\":…}"));
  app->add_option(
      "--status-file", status_file,
      "Rewrite this JSON file atomically every --status-interval (last "
      "durable LSN, position and time, rates, mirror lag, "
      "alarms, heartbeat)");
  app->add_option("--status-interval", status_interval,
                  "How often the status file is rewritten")
      ->capture_default_str();
  app->add_option("--mirror", mirrors,
                  "Ship sealed segments to this mirror as they appear "
                  "(repeatable; any repository URI, s3:// included)");
  app->add_option("--max-segment-age", max_segment_age,
                  "Seal the live segment once its first record is this "
                  "old, bounding the mirrors' lag (1s … 5m)")
      ->capture_default_str();
  app->add_option("--max-mirror-lag", max_mirror_lag,
                  "Alarm in the status file when a mirror lags more")
      ->capture_default_str();
  app->add_option("--commit-interval", commit_interval,
                  absl::StrCat("Group-commit at least this often while ", unit,
                               "s arrive (bounds the acknowledgement "
                               "latency)"))
      ->capture_default_str();
  app->add_option(
         "--batch", batch,
         absl::StrCat("At most this many ", unit, "s per group commit"))
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  app->add_option("--snapshot-every", snapshot_every,
                  "Build a snapshot from the repository in the background "
                  "once the newest one is this much commit time behind "
                  "(e.g. 6h); restores then replay at most about this much "
                  "log");
  app->add_option("--snapshot-every-tx", snapshot_every_tx,
                  "... or once this many transactions were acknowledged "
                  "since the newest snapshot");
  app->add_option("--snapshot-every-bytes", snapshot_every_bytes,
                  "... or once this much source input (e.g. 1GiB) was "
                  "acknowledged since the last snapshot of this run");
  app->add_option("--snapshot-kind", snapshot_kind,
                  "What a background snapshot is: auto, a delta (only what "
                  "changed since the newest snapshot) while the chain stays "
                  "within 6 deltas and twice the state's pairs, else a full "
                  "one; or full, always the whole state (docs/snapshots.md)")
      ->check(CLI::IsMember({"full", "auto"}))
      ->capture_default_str();
  app->add_option("--keep", keep,
                  "Expire in the background what no instant of this recovery "
                  "window needs (e.g. 35d; as `wayback expire --keep`)");
  app->add_option("--expire-every", expire_every,
                  "With --keep: run the expiry at most this often")
      ->capture_default_str();
  app->add_option("--expire-grace", expire_grace,
                  "With --keep: as `wayback expire --grace`")
      ->capture_default_str();
}

absl::Status LiveCaptureFlags::Parse() {
  if (!keep.empty()) {
    auto k = ParseDurationFlag("--keep", keep);
    if (!k.ok()) return k.status();
    if (*k <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--keep must be positive, e.g. 35d");
    }
    keep_window = *k;
  }
  auto ee = ParseDurationFlag("--expire-every", expire_every);
  if (!ee.ok()) return ee.status();
  if (*ee <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("--expire-every must be positive");
  }
  expire_interval = *ee;
  auto eg = ParseDurationFlag("--expire-grace", expire_grace);
  if (!eg.ok()) return eg.status();
  expire_grace_period = *eg;
  auto age = ParseDurationFlag("--max-segment-age", max_segment_age);
  if (!age.ok()) return age.status();
  segment_age = *age;
  auto lag = ParseDurationFlag("--max-mirror-lag", max_mirror_lag);
  if (!lag.ok()) return lag.status();
  mirror_lag_alarm = *lag;
  auto every = ParseDurationFlag("--status-interval", status_interval);
  if (!every.ok() || *every <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad --status-interval \"", status_interval,
                     "\": expected a positive duration such as 1s"));
  }
  status_every = *every;
  auto ci = ParseDurationFlag("--commit-interval", commit_interval);
  if (!ci.ok() || *ci <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("bad --commit-interval \"", commit_interval,
                     "\": expected a positive duration such as 5ms"));
  }
  commit_every = *ci;
  snapshots = SnapshotSchedule();
  if (!snapshot_every.empty()) {
    auto se = ParseDurationFlag("--snapshot-every", snapshot_every);
    if (!se.ok() || *se <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad --snapshot-every \"", snapshot_every,
                       "\": expected a positive duration such as 6h"));
    }
    snapshots.every = *se;
  }
  snapshots.every_transactions = snapshot_every_tx;
  snapshots.kind = snapshot_kind == "full" ? BuildSnapshotOptions::Kind::kFull
                                           : BuildSnapshotOptions::Kind::kAuto;
  if (!snapshot_every_bytes.empty()) {
    auto sb = ParseSizeFlag("--snapshot-every-bytes", snapshot_every_bytes);
    if (!sb.ok()) return sb.status();
    snapshots.every_bytes = *sb;
  }
  return absl::OkStatus();
}

std::string StatusTimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

json AckJson(const CaptureAck& a) {
  return json{{"lsn", a.lsn},
              {"source_position", a.source_position},
              {"txid", a.txid ? json(*a.txid) : json(nullptr)}};
}

absl::StatusOr<std::unique_ptr<Repository>> OpenLiveRepository(
    const std::string& uri, bool create, const std::string& source,
    const std::string& verb, std::string* local_dir) {
  absl::StatusOr<std::optional<std::string>> local = LocalPathOfUri(uri);
  if (!local.ok()) return local.status();
  if (!local->has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--repo ", uri, " is not a local directory: ", verb,
        " appends and locks, which object stores cannot; ", verb,
        " into a local directory and give the object store as --mirror "
        "(docs/ingest.md)"));
  }
  *local_dir = **local;
  absl::StatusOr<std::unique_ptr<Repository>> repo = OpenRepository(uri);
  if (!repo.ok() && create &&
      (absl::IsNotFound(repo.status()) ||
       absl::IsInvalidArgument(repo.status()))) {
    return CreateRepository(uri, source);
  }
  if (!repo.ok() && absl::IsNotFound(repo.status())) {
    return absl::NotFoundError(
        absl::StrCat(repo.status().message(),
                     " (give --create to create a new repository)"));
  }
  return repo;
}

LiveCapture::~LiveCapture() {
  StopExpiry();
  if (ack_fd_ >= 0) ::close(ack_fd_);
}

void LiveCapture::ExpireLoop() {
  std::unique_lock<std::mutex> lock(expire_mu_);
  while (!expire_stop_) {
    lock.unlock();
    ExpireOptions o;
    o.keep = *flags_.keep_window;
    o.grace = flags_.expire_grace_period;
    // Stop promptly: between two deletions, once Finish() asks.
    o.after_delete = [this](const std::string&) {
      std::lock_guard<std::mutex> g(expire_mu_);
      return expire_stop_ ? absl::CancelledError("stopping") : absl::OkStatus();
    };
    absl::StatusOr<ExpireResult> r = ExpireRepository(*repo_, o);
    lock.lock();
    ExpireState& s = expire_state_;
    ++s.runs;
    if (r.ok()) {
      s.deleted_objects += r->deleted.size();
      s.deleted_bytes += r->deleted_bytes;
      s.deferred_objects = r->deferred.size();
      s.last_success = absl::Now();
      s.last_error.clear();
      if (r->restorable_after && r->restorable_after->lsn > 0) {
        s.restorable_from = FormatCommitTime(r->restorable_after->commit_time);
      }
    } else if (!absl::IsCancelled(r.status())) {
      ++s.failed;
      s.last_error = std::string(r.status().message());
    }
    expire_cv_.wait_for(lock, absl::ToChronoNanoseconds(flags_.expire_interval),
                        [this] { return expire_stop_; });
  }
}

void LiveCapture::StopExpiry() {
  {
    std::lock_guard<std::mutex> g(expire_mu_);
    expire_stop_ = true;
  }
  expire_cv_.notify_all();
  if (expire_thread_.joinable()) expire_thread_.join();
}

absl::Status LiveCapture::Open(Repository* repo, const std::string& local_dir,
                               Io& io) {
  repo_ = repo;
  local_dir_ = local_dir;
  started_ = absl::Now();
  // The archiver, if any, hears of every sealed segment.
  IngesterOptions io_opts;
  io_opts.segment_max_age = flags_.segment_age;
  io_opts.on_segment_sealed = [this](const std::string&) {
    if (Archiver* a = archiver_ptr_.load()) a->Wake();
  };
  auto ingester = Ingester::Open(repo_, io_opts);
  if (!ingester.ok()) return ingester.status();
  ingester_ = *std::move(ingester);
  if (!ingester_->open_report().torn_object.empty()) {
    const LogOpenReport& r = ingester_->open_report();
    io.err << "wayback " << command_ << ": cut a torn tail of " << r.torn_bytes
           << " bytes from " << r.torn_object << " at offset " << r.torn_offset
           << " (never acknowledged)\n";
  }

  if (flags_.snapshots.enabled()) {
    auto sn = Snapshotter::Start(repo_, flags_.snapshots);
    if (!sn.ok()) return sn.status();
    snapshotter_ = *std::move(sn);
  }

  if (flags_.keep_window) {
    expire_thread_ = std::thread([this] { ExpireLoop(); });
  }

  if (!flags_.mirrors.empty()) {
    std::vector<ArchiverMirror> ms;
    for (const std::string& uri : flags_.mirrors) {
      RepositoryOptions ro;
      ro.s3 = CliS3Settings();
      ArchiverMirror am;
      am.uri = uri;
      am.open = [uri, ro, this]() {
        return Repository::OpenOrCreateMirror(uri, *repo_, ro);
      };
      auto m = am.open();
      if (m.ok()) {
        am.repository = *std::move(m);
      } else if (absl::IsUnavailable(m.status()) ||
                 absl::IsDeadlineExceeded(m.status())) {
        // Unreachable now: ingestion does not wait for it; the archiver
        // retries every pass and the status file says so meanwhile.
        io.err << "wayback " << command_ << ": warning: mirror " << uri
               << " is unreachable now (" << m.status().message()
               << "); ingesting anyway, retrying it every second\n";
      } else {
        // Refused for good (another repository's mirror, not a
        // repository, bad credentials...): a setup error.
        return absl::Status(
            m.status().code(),
            absl::StrCat("mirror ", uri, ": ", m.status().message()));
      }
      ms.push_back(std::move(am));
    }
    auto a = Archiver::Start(repo_, std::move(ms));
    if (!a.ok()) return a.status();
    archiver_ = *std::move(a);
    archiver_ptr_.store(archiver_.get());
  }

  if (!flags_.ack_file.empty()) {
    ack_fd_ = ::open(flags_.ack_file.c_str(),
                     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (ack_fd_ < 0) {
      return absl::InvalidArgumentError(absl::StrCat("cannot open --ack file ",
                                                     flags_.ack_file, ": ",
                                                     std::strerror(errno)));
    }
  }
  // The archived position first, so that a producer learns where to resume.
  if (std::optional<CaptureAck> a = ingester_->last_ack()) {
    return Acknowledge(*a);
  }
  return absl::OkStatus();
}

absl::Status LiveCapture::Acknowledge(const CaptureAck& ack, uint64_t bytes) {
  if (archiver_) archiver_->Acknowledged(ack.lsn, ack.acknowledged_at);
  if (snapshotter_) snapshotter_->Acknowledged(ack, bytes);
  if (ack_fd_ < 0) return absl::OkStatus();
  return WriteAllToFd(ack_fd_, AckJson(ack).dump() + "\n", flags_.ack_file);
}

void LiveCapture::WriteStatus(Io& io, bool final, uint64_t resent,
                              const json& extra) {
  const absl::Time now = absl::Now();
  const IngesterStats st = ingester_->stats();
  const double secs = absl::ToDoubleSeconds(now - last_status_);
  if (last_status_ != absl::InfinitePast() && secs > 0) {
    rate_ = static_cast<double>(st.appended - last_status_appended_) / secs;
  }
  last_status_ = now;
  last_status_appended_ = st.appended;
  std::vector<ArchiverMirrorState> mirrors;
  if (archiver_) mirrors = archiver_->States(now);
  json alarms = json::array();
  json mj = json::array();
  for (const ArchiverMirrorState& m : mirrors) {
    if (m.lag > flags_.mirror_lag_alarm) {
      alarms.push_back(absl::StrCat(
          "mirror ", m.uri, " lags ", FormatDurationWords(m.lag), " (over ",
          FormatDurationWords(flags_.mirror_lag_alarm), ")"));
    }
    for (const std::string& p : m.problems) {
      alarms.push_back(absl::StrCat("mirror ", m.uri, ": ", p));
    }
    mj.push_back(json{
        {"uri", m.uri},
        {"lag_seconds", absl::ToDoubleSeconds(m.lag)},
        {"mirrored_lsn", m.mirrored ? json(m.mirrored->lsn) : json(nullptr)},
        {"passes", m.passes},
        {"failed_passes", m.failed_passes},
        {"copied_objects", m.copied_objects},
        {"copied_bytes", m.copied_bytes},
        {"last_success", m.last_success ? json(StatusTimeText(*m.last_success))
                                        : json(nullptr)},
        {"last_error", m.last_error.ok()
                           ? json(nullptr)
                           : json(std::string(m.last_error.message()))},
        {"problems", m.problems}});
  }
  // Back-pressure: the local disk holds everything until the mirrors have
  // it; say so before it fills.
  json disk = nullptr;
  struct statvfs vfs;
  if (::statvfs(local_dir_.c_str(), &vfs) == 0) {
    const uint64_t free_bytes = uint64_t{vfs.f_bavail} * vfs.f_frsize;
    const uint64_t total = uint64_t{vfs.f_blocks} * vfs.f_frsize;
    disk = json{{"free_bytes", free_bytes}, {"total_bytes", total}};
    if (total > 0 && free_bytes * 20 < total) {
      alarms.push_back(absl::StrCat(
          "repository disk has ", FormatBytes(free_bytes), " free (under 5%)"));
    }
  }
  const std::optional<CaptureAck> ack = ingester_->last_ack();
  json last = nullptr;
  if (ack) {
    last = AckJson(*ack);
    last["commit_time"] = FormatCommitTime(ack->commit_time);
    last["acknowledged_at"] = StatusTimeText(ack->acknowledged_at);
  }
  json snapshots = nullptr;
  if (snapshotter_) {
    const SnapshotterState sn = snapshotter_->state();
    if (!sn.last_error.ok() &&
        sn.last_error.code() != absl::StatusCode::kCancelled) {
      alarms.push_back(absl::StrCat("background snapshot failed: ",
                                    sn.last_error.message()));
    }
    snapshots =
        json{{"newest", sn.newest ? json(sn.newest->name) : json(nullptr)},
             {"newest_lsn", sn.newest ? json(sn.newest->lsn) : json(nullptr)},
             {"newest_chain_depth",
              sn.newest ? json(sn.newest->chain_depth) : json(nullptr)},
             {"built", sn.built},
             {"failed", sn.failed},
             {"building", sn.building},
             {"last_success", sn.last_success
                                  ? json(StatusTimeText(*sn.last_success))
                                  : json(nullptr)},
             {"last_seconds", absl::ToDoubleSeconds(sn.last_duration)},
             {"last_error", sn.last_error.ok()
                                ? json(nullptr)
                                : json(std::string(sn.last_error.message()))}};
  }
  json expiry = nullptr;
  if (flags_.keep_window) {
    std::lock_guard<std::mutex> g(expire_mu_);
    const ExpireState& e = expire_state_;
    if (!e.last_error.empty()) {
      alarms.push_back(
          absl::StrCat("background expire failed: ", e.last_error));
    }
    expiry = json{
        {"keep", flags_.keep},
        {"runs", e.runs},
        {"failed", e.failed},
        {"deleted_objects", e.deleted_objects},
        {"deleted_bytes", e.deleted_bytes},
        {"deferred_objects", e.deferred_objects},
        {"restorable_from",
         e.restorable_from.empty() ? json(nullptr) : json(e.restorable_from)},
        {"last_success", e.last_success ? json(StatusTimeText(*e.last_success))
                                        : json(nullptr)},
        {"last_error",
         e.last_error.empty() ? json(nullptr) : json(e.last_error)}};
  }
  json j{{"heartbeat", StatusTimeText(now)},
         {"pid", static_cast<int64_t>(::getpid())},
         {"repository", repo_->uri()},
         {"running", !final},
         {"last_durable", last},
         {"appended", st.appended},
         {"duplicates", resent},
         {"commits", st.commits},
         {"events_per_second", rate_},
         {"uptime_seconds", absl::ToDoubleSeconds(now - started_)},
         {"mirrors", mj},
         {"snapshots", snapshots},
         {"expire", expiry},
         {"disk", disk},
         {"alarms", alarms}};
  if (extra.is_object()) {
    for (auto it = extra.begin(); it != extra.end(); ++it) j[it.key()] = *it;
  }
  // The heartbeat in the repository, for `wayback check` on any machine
  // that reads it (src/repository/heartbeat_format.md).
  {
    CaptureHeartbeat hb;
    hb.time = now;
    hb.writer = command_;
    hb.pid = static_cast<int64_t>(::getpid());
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) == 0) hb.host = host;
    hb.last_durable_lsn = ack ? ack->lsn : kNoLsn;
    absl::Status s = WriteHeartbeat(*repo_, hb);
    if (!s.ok()) {
      io.err << "wayback " << command_
             << ": warning: heartbeat: " << s.message() << "\n";
    }
  }
  if (!flags_.status_file.empty()) {
    absl::Status s =
        ReplaceFileAtomically(flags_.status_file, j.dump(2) + "\n");
    if (!s.ok()) {
      io.err << "wayback " << command_ << ": warning: " << s.message() << "\n";
    }
  }
  if (io.tty && !final) {
    std::string lag;
    for (const ArchiverMirrorState& m : mirrors) {
      absl::StrAppend(&lag, ", lag ", FormatDurationWords(m.lag));
    }
    io.err << "\r" << FormatCount(st.appended) << " " << unit_ << "s ("
           << static_cast<uint64_t>(rate_) << "/s), " << FormatCount(resent)
           << " resent, last LSN " << (ack ? ack->lsn : 0) << lag << "   "
           << std::flush;
  }
}

absl::Status LiveCapture::Finish(absl::Status* closed) {
  StopExpiry();
  if (snapshotter_) {
    absl::Status sn = snapshotter_->Stop();  // Its state stays readable.
    if (!sn.ok()) {
      std::cerr << "wayback " << command_
                << ": warning: the last background snapshot failed: "
                << sn.message() << "\n";
    }
  }
  *closed = ingester_ ? ingester_->Close() : absl::OkStatus();
  if (!archiver_) return absl::OkStatus();
  archiver_ptr_.store(nullptr);
  return archiver_->Stop(/*final_pass=*/true);
}

}  // namespace wayback::cli
