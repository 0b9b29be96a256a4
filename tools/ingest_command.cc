// Copyright 2026 The Wayback Authors.
//
// wayback ingest: appends JSONL change events (docs/import_format.md) to a
// repository as they arrive, group-committed, with acknowledgements,
// exactly-once resume, an optional archiver to mirrors and a status file
// (docs/ingest.md).

#include <fcntl.h>
#include <signal.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "src/workload/workload.h"
#include "tools/common.h"
#include "tools/line_input.h"
#include "wayback/capture.h"
#include "wayback/status.h"

namespace wayback::cli {
namespace {

namespace fs = std::filesystem;

// The name of the follow state object of the capture/ prefix.
constexpr char kFollowState[] = "capture/ingest-follow.json";

std::string TimeText(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", t, absl::UTCTimeZone());
}

json AckJson(const CaptureAck& a) {
  return json{{"lsn", a.lsn},
              {"source_position", a.source_position},
              {"txid", a.txid ? json(*a.txid) : json(nullptr)}};
}

class IngestCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "ingest",
        "Append JSONL change events to a repository as they arrive, exactly "
        "once");
    flags_.Add(app);
    app->add_flag("--create", create_,
                  "Create the repository if it is missing (open it if it "
                  "belongs to the same --source)");
    app->add_option("--source", source_,
                    "The source's name, recorded in a new repository's "
                    "identity and checked on reopening (default: "
                    "jsonl:<absolute input path>, or jsonl:stdin)");
    app->add_flag("--follow", follow_,
                  "Follow FILE as it grows and is rotated (like tail -F); "
                  "run until SIGTERM/SIGINT");
    app->add_option("--ack", ack_file_,
                    "Append one JSON line per group commit for the newest "
                    "durable transaction: {\"lsn\":…,\"source_position\":…,"
                    "\"txid\":…}");
    app->add_option(
        "--status-file", status_file_,
        "Rewrite this JSON file atomically every --status-interval (last "
        "durable LSN, position and time, rates, mirror lag, "
        "alarms, heartbeat)");
    app->add_option("--status-interval", status_interval_,
                    "How often the status file is rewritten")
        ->capture_default_str();
    app->add_option("--mirror", mirrors_,
                    "Ship sealed segments to this mirror as they appear "
                    "(repeatable; any repository URI, s3:// included)");
    app->add_option("--max-segment-age", max_segment_age_,
                    "Seal the live segment once its first record is this "
                    "old, bounding the mirrors' lag (1s … 5m)")
        ->capture_default_str();
    app->add_option("--max-mirror-lag", max_mirror_lag_,
                    "Alarm in the status file when a mirror lags more")
        ->capture_default_str();
    app->add_option("--snapshot-every", snapshot_every_,
                    "Build a snapshot from the repository in the background "
                    "once the newest one is this much commit time behind "
                    "(e.g. 6h); restores then replay at most about this much "
                    "log");
    app->add_option("--snapshot-every-tx", snapshot_every_tx_,
                    "... or once this many transactions were acknowledged "
                    "since the newest snapshot");
    app->add_option("--snapshot-every-bytes", snapshot_every_bytes_,
                    "... or once this much input (e.g. 1GiB) was "
                    "acknowledged since the last snapshot of this run");
    app->add_option("--commit-interval", commit_interval_,
                    "Group-commit at least this often while events arrive "
                    "(bounds the acknowledgement latency)")
        ->capture_default_str();
    app->add_option("--batch", batch_,
                    "At most this many events per group commit")
        ->capture_default_str()
        ->check(CLI::Range(1, 10000000));
    app->add_option("FILE", file_,
                    "The JSONL input; - (the default) for standard input")
        ->capture_default_str();
    app->footer(
        "Each line is one event of docs/import_format.md with its source "
        "position \"pos\"\n(or its \"txid\", then required and increasing). "
        "Lines at or below the archived\nposition are recognised as resent "
        "and skipped after comparison, so a producer may\nreplay from its "
        "last acknowledged position after any crash.\n\n"
        "Examples:\n"
        "  producer | wayback ingest --repo ./repo --create --ack acks.jsonl\n"
        "  wayback ingest --repo /var/lib/wayback/ehr --follow "
        "/var/log/ehr/changes.jsonl \\\n"
        "      --mirror s3://dr-bucket/ehr --max-segment-age 5s "
        "--status-file /run/wayback/ehr.json");
    return app;
  }

  int Run(Io& io) override;

 private:
  absl::StatusOr<std::unique_ptr<Repository>> OpenRepo();
  absl::Status WriteAck(const CaptureAck& ack);
  absl::Status SaveFollowState();
  void WriteStatus(Io& io, bool final);
  json SnapshotterJson(absl::Time now, json* alarms) const;

  RepoFlags flags_;
  bool create_ = false;
  std::string source_;
  bool follow_ = false;
  std::string ack_file_;
  std::string status_file_;
  std::vector<std::string> mirrors_;
  std::string max_segment_age_ = "60s";
  std::string max_mirror_lag_ = "60s";
  std::string status_interval_ = "1s";
  absl::Duration status_every_ = absl::Seconds(1);
  size_t batch_ = 20000;
  std::string commit_interval_ = "5ms";
  std::string file_ = "-";
  std::string snapshot_every_;
  uint64_t snapshot_every_tx_ = 0;
  std::string snapshot_every_bytes_;

  // Run state.
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<Ingester> ingester_;
  std::unique_ptr<Archiver> archiver_;
  std::unique_ptr<Snapshotter> snapshotter_;
  uint64_t unacked_bytes_ = 0;  // Input bytes appended, not yet committed.
  std::optional<LineInput> input_;
  int ack_fd_ = -1;
  std::optional<InputPosition> resume_before_;
  std::optional<InputPosition> saved_;  // The follow state last written.
  std::string local_dir_;               // The repository's directory.
  absl::Duration mirror_lag_alarm_;
  uint64_t lines_ = 0;
  absl::Time started_;
  absl::Time last_status_ = absl::InfinitePast();
  uint64_t last_status_appended_ = 0;
  double rate_ = 0;
};

absl::StatusOr<std::unique_ptr<Repository>> IngestCommand::OpenRepo() {
  std::string source = source_;
  if (source.empty()) {
    source = file_ == "-"
                 ? "jsonl:stdin"
                 : absl::StrCat("jsonl:", fs::absolute(file_).string());
  }
  absl::StatusOr<std::optional<std::string>> local =
      LocalPathOfUri(flags_.repo);
  if (!local.ok()) return local.status();
  if (!local->has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--repo ", flags_.repo,
        " is not a local directory: ingest appends and locks, which object "
        "stores cannot; ingest into a local directory and give the object "
        "store as --mirror (docs/ingest.md)"));
  }
  local_dir_ = **local;
  absl::StatusOr<std::unique_ptr<Repository>> repo =
      OpenRepository(flags_.repo);
  if (!repo.ok() && create_ &&
      (absl::IsNotFound(repo.status()) ||
       absl::IsInvalidArgument(repo.status()))) {
    return CreateRepository(flags_.repo, source);
  }
  if (!repo.ok()) {
    if (absl::IsNotFound(repo.status())) {
      return absl::NotFoundError(
          absl::StrCat(repo.status().message(),
                       " (give --create to create a new repository)"));
    }
    return repo.status();
  }
  const auto& id = (*repo)->identity();
  if (id && !source_.empty() && id->source != source_) {
    return absl::FailedPreconditionError(
        absl::StrCat("repository ", flags_.repo, " belongs to source \"",
                     id->source, "\", not \"", source_, "\""));
  }
  if (id && source_.empty() && create_ && id->source != source) {
    return absl::FailedPreconditionError(absl::StrCat(
        "repository ", flags_.repo, " belongs to source \"", id->source,
        "\", not \"", source, "\" (name the source with --source)"));
  }
  return repo;
}

absl::Status IngestCommand::WriteAck(const CaptureAck& ack) {
  if (ack_fd_ < 0) return absl::OkStatus();
  return WriteAllToFd(ack_fd_, AckJson(ack).dump() + "\n", ack_file_);
}

absl::Status IngestCommand::SaveFollowState() {
  if (!follow_ || !input_) return absl::OkStatus();
  // After a refused line, the position before it: a restart must meet that
  // line again, never skip it.
  const InputPosition p = resume_before_ ? *resume_before_ : input_->position();
  // Idle rounds commit nothing new: no rewrite then.
  if (saved_ && saved_->device == p.device && saved_->inode == p.inode &&
      saved_->offset == p.offset) {
    return absl::OkStatus();
  }
  const fs::path path = fs::path(local_dir_) / kFollowState;
  std::error_code ec;
  fs::create_directories(path.parent_path(), ec);
  json j{{"path", fs::absolute(file_).string()},
         {"device", p.device},
         {"inode", p.inode},
         {"offset", p.offset}};
  WAYBACK_RETURN_IF_ERROR(
      ReplaceFileAtomically(path.string(), j.dump() + "\n"));
  saved_ = p;
  return absl::OkStatus();
}

json IngestCommand::SnapshotterJson(absl::Time now, json* alarms) const {
  if (!snapshotter_) return nullptr;
  const SnapshotterState st = snapshotter_->state();
  if (!st.last_error.ok() &&
      st.last_error.code() != absl::StatusCode::kCancelled) {
    alarms->push_back(
        absl::StrCat("background snapshot failed: ", st.last_error.message()));
  }
  return json{
      {"newest", st.newest ? json(st.newest->name) : json(nullptr)},
      {"newest_lsn", st.newest ? json(st.newest->lsn) : json(nullptr)},
      {"built", st.built},
      {"failed", st.failed},
      {"building", st.building},
      {"last_success",
       st.last_success ? json(TimeText(*st.last_success)) : json(nullptr)},
      {"last_seconds", absl::ToDoubleSeconds(st.last_duration)},
      {"last_error", st.last_error.ok()
                         ? json(nullptr)
                         : json(std::string(st.last_error.message()))}};
}

void IngestCommand::WriteStatus(Io& io, bool final) {
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
    if (m.lag > mirror_lag_alarm_) {
      alarms.push_back(
          absl::StrCat("mirror ", m.uri, " lags ", FormatDurationWords(m.lag),
                       " (over ", FormatDurationWords(mirror_lag_alarm_), ")"));
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
        {"last_success",
         m.last_success ? json(TimeText(*m.last_success)) : json(nullptr)},
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
    last["acknowledged_at"] = TimeText(ack->acknowledged_at);
  }
  json j{{"heartbeat", TimeText(now)},
         {"pid", static_cast<int64_t>(::getpid())},
         {"repository", flags_.repo},
         {"input", file_},
         {"running", !final},
         {"last_durable", last},
         {"lines", lines_},
         {"appended", st.appended},
         {"duplicates", st.duplicates},
         {"commits", st.commits},
         {"events_per_second", rate_},
         {"uptime_seconds", absl::ToDoubleSeconds(now - started_)},
         {"mirrors", mj},
         {"snapshots", SnapshotterJson(now, &alarms)},
         {"disk", disk},
         {"alarms", alarms}};
  if (!status_file_.empty()) {
    absl::Status s = ReplaceFileAtomically(status_file_, j.dump(2) + "\n");
    if (!s.ok()) io.err << "wayback ingest: warning: " << s.message() << "\n";
  }
  if (io.tty && !final) {
    std::string lag;
    for (const ArchiverMirrorState& m : mirrors) {
      absl::StrAppend(&lag, ", lag ", FormatDurationWords(m.lag));
    }
    io.err << "\r" << FormatCount(st.appended) << " events ("
           << static_cast<uint64_t>(rate_) << "/s), "
           << FormatCount(st.duplicates) << " resent, last LSN "
           << (ack ? ack->lsn : 0) << lag << "   " << std::flush;
  }
}

int IngestCommand::Run(Io& io) {
  auto age = ParseDurationFlag("--max-segment-age", max_segment_age_);
  if (!age.ok())
    return Usage(io, "ingest", std::string(age.status().message()));
  auto lag = ParseDurationFlag("--max-mirror-lag", max_mirror_lag_);
  if (!lag.ok())
    return Usage(io, "ingest", std::string(lag.status().message()));
  mirror_lag_alarm_ = *lag;
  auto every = ParseDurationFlag("--status-interval", status_interval_);
  if (!every.ok() || *every <= absl::ZeroDuration()) {
    return Usage(io, "ingest",
                 absl::StrCat("bad --status-interval \"", status_interval_,
                              "\": expected a positive duration such as 1s"));
  }
  status_every_ = *every;
  auto ci = ParseDurationFlag("--commit-interval", commit_interval_);
  if (!ci.ok() || *ci <= absl::ZeroDuration()) {
    return Usage(io, "ingest",
                 absl::StrCat("bad --commit-interval \"", commit_interval_,
                              "\": expected a positive duration such as 5ms"));
  }
  const absl::Duration commit_every = *ci;
  SnapshotSchedule schedule;
  if (!snapshot_every_.empty()) {
    auto se = ParseDurationFlag("--snapshot-every", snapshot_every_);
    if (!se.ok() || *se <= absl::ZeroDuration()) {
      return Usage(io, "ingest",
                   absl::StrCat("bad --snapshot-every \"", snapshot_every_,
                                "\": expected a positive duration such as 6h"));
    }
    schedule.every = *se;
  }
  schedule.every_transactions = snapshot_every_tx_;
  if (!snapshot_every_bytes_.empty()) {
    auto sb = ParseSizeFlag("--snapshot-every-bytes", snapshot_every_bytes_);
    if (!sb.ok())
      return Usage(io, "ingest", std::string(sb.status().message()));
    schedule.every_bytes = *sb;
  }
  if (follow_ && file_ == "-") {
    return Usage(io, "ingest", "--follow needs a FILE, not standard input");
  }
  started_ = absl::Now();

  auto repo = OpenRepo();
  if (!repo.ok()) return Fail(io, "ingest", repo.status());
  repo_ = *std::move(repo);

  // The archiver, if any, hears of every sealed segment.
  std::atomic<Archiver*> archiver_ptr{nullptr};
  IngesterOptions io_opts;
  io_opts.segment_max_age = *age;
  io_opts.on_segment_sealed = [&archiver_ptr](const std::string&) {
    if (Archiver* a = archiver_ptr.load()) a->Wake();
  };
  auto ingester = Ingester::Open(repo_.get(), io_opts);
  if (!ingester.ok()) return Fail(io, "ingest", ingester.status());
  ingester_ = *std::move(ingester);
  if (!ingester_->open_report().torn_object.empty()) {
    const LogOpenReport& r = ingester_->open_report();
    io.err << "wayback ingest: cut a torn tail of " << r.torn_bytes
           << " bytes from " << r.torn_object << " at offset " << r.torn_offset
           << " (never acknowledged)\n";
  }

  if (schedule.enabled()) {
    auto sn = Snapshotter::Start(repo_.get(), schedule);
    if (!sn.ok()) return Fail(io, "ingest", sn.status());
    snapshotter_ = *std::move(sn);
  }

  if (!mirrors_.empty()) {
    std::vector<ArchiverMirror> ms;
    for (const std::string& uri : mirrors_) {
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
        io.err << "wayback ingest: warning: mirror " << uri
               << " is unreachable now (" << m.status().message()
               << "); ingesting anyway, retrying it every second\n";
      } else {
        // Refused for good (another repository's mirror, not a
        // repository, bad credentials...): a setup error.
        return Fail(io, "ingest",
                    absl::Status(m.status().code(),
                                 absl::StrCat("mirror ", uri, ": ",
                                              m.status().message())));
      }
      ms.push_back(std::move(am));
    }
    auto a = Archiver::Start(repo_.get(), std::move(ms));
    if (!a.ok()) return Fail(io, "ingest", a.status());
    archiver_ = *std::move(a);
    archiver_ptr.store(archiver_.get());
  }

  if (!ack_file_.empty()) {
    ack_fd_ = ::open(ack_file_.c_str(),
                     O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (ack_fd_ < 0) {
      return Usage(io, "ingest",
                   absl::StrCat("cannot open --ack file ", ack_file_, ": ",
                                std::strerror(errno)));
    }
  }
  auto close_ack = absl::Cleanup([&] {
    if (ack_fd_ >= 0) ::close(ack_fd_);
    ack_fd_ = -1;
  });
  // The archived position first, so that a producer learns where to resume.
  if (std::optional<CaptureAck> a = ingester_->last_ack()) {
    if (absl::Status s = WriteAck(*a); !s.ok()) return Fail(io, "ingest", s);
    if (archiver_) archiver_->Acknowledged(a->lsn, a->acknowledged_at);
  }

  // The input.
  if (follow_) {
    std::optional<InputPosition> resume;
    const fs::path state = fs::path(local_dir_) / kFollowState;
    std::ifstream sf(state);
    if (sf) {
      try {
        json j = json::parse(sf);
        if (j.value("path", "") == fs::absolute(file_).string()) {
          resume = InputPosition{j.at("device").get<uint64_t>(),
                                 j.at("inode").get<uint64_t>(),
                                 j.at("offset").get<uint64_t>()};
        }
      } catch (const json::exception& e) {
        io.err << "wayback ingest: warning: ignoring " << state.string() << ": "
               << e.what() << "\n";
      }
    }
    std::string note;
    auto in = LineInput::Follow(file_, resume, &note);
    if (!in.ok())
      return Usage(io, "ingest", std::string(in.status().message()));
    if (!note.empty()) io.err << "wayback ingest: " << note << "\n";
    input_.emplace(*std::move(in));
  } else {
    auto in = LineInput::Open(file_);
    if (!in.ok())
      return Usage(io, "ingest", std::string(in.status().message()));
    input_.emplace(*std::move(in));
  }

  // "line N" (of this run's input), and where it starts in a file.
  auto LineName = [&](const InputPosition& at) {
    return file_ == "-" ? absl::StrCat("line ", lines_)
                        : absl::StrCat("line ", lines_, " (", file_, " byte ",
                                       at.offset, ")");
  };
  StopSignals signals;
  uint64_t batch = 0;
  absl::Time batch_started;  // When the first uncommitted event was read.
  absl::Status failure;      // Ends the run: exit 2 after committing the rest.
  std::string bad_line;      // The line-numbered reason, for a bad line.
  auto commit = [&]() -> absl::Status {
    auto ack = ingester_->Commit();
    if (!ack.ok()) return ack.status();
    batch = 0;
    if (*ack) {
      WAYBACK_RETURN_IF_ERROR(WriteAck(**ack));
      if (archiver_)
        archiver_->Acknowledged((*ack)->lsn, (*ack)->acknowledged_at);
      if (snapshotter_) snapshotter_->Acknowledged(**ack, unacked_bytes_);
      unacked_bytes_ = 0;
    }
    return SaveFollowState();
  };

  WriteStatus(io, false);
  while (failure.ok() && StopSignals::Received() == 0) {
    std::string_view line;
    const InputPosition before = input_->position();
    auto r = input_->Next(&line, absl::Milliseconds(batch > 0 ? 2 : 200));
    if (!r.ok()) {
      failure = r.status();
      break;
    }
    if (std::string notes = input_->TakeNotes(); !notes.empty()) {
      io.err << "\nwayback ingest: " << notes;
    }
    if (*r == LineInput::Result::kLine) {
      ++lines_;
      if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
      auto e = ParseImportLine(line);
      if (e.ok() && !e->position &&
          e->kind == ImportEvent::Kind::kTransaction) {
        if (!e->txn.txid) {
          e = absl::InvalidArgumentError(
              "no \"pos\" and no \"txid\": ingest needs a source position");
        } else {
          e->position = *e->txn.txid;
        }
      } else if (e.ok() && !e->position) {
        e = absl::InvalidArgumentError(
            "a restore point needs a \"pos\" when ingested");
      }
      if (!e.ok()) {
        bad_line = absl::StrCat(LineName(before), ": ", e.status().message());
        failure = absl::InvalidArgumentError(bad_line);
        resume_before_ = before;
        break;
      }
      CaptureEvent ce;
      ce.position = *e->position;
      if (e->kind == ImportEvent::Kind::kRestorePoint) {
        ce.kind = CaptureEvent::Kind::kRestorePoint;
        ce.restore_point = std::move(e->restore_point);
        ce.restore_point_time = e->commit_time;
      } else {
        ce.txn = std::move(e->txn);
      }
      auto o = ingester_->Offer(std::move(ce));
      if (!o.ok()) {
        bad_line = absl::StrCat(LineName(before), ": ", o.status().message());
        failure = absl::Status(o.status().code(), bad_line);
        resume_before_ = before;
        break;
      }
      if (*o == OfferOutcome::kAppended) {
        unacked_bytes_ += line.size() + 1;
        if (batch++ == 0) batch_started = absl::Now();
        // A group commit per --batch events, and at least every
        // --commit-interval while events keep coming.
        if (batch >= batch_ || ((batch & 63) == 0 &&
                                absl::Now() - batch_started >= commit_every)) {
          failure = commit();
        }
      }
    } else {
      // Idle (or the end): commit what was read.
      failure = commit();
      if (*r == LineInput::Result::kEnd) break;
    }
    if (absl::Now() - last_status_ >= status_every_) WriteStatus(io, false);
  }
  // Whatever happened, what was accepted is made durable and acknowledged.
  absl::Status last = commit();
  if (failure.ok()) failure = last;
  if (io.tty) io.err << "\n";
  absl::Status closed = ingester_->Close();
  if (failure.ok()) failure = closed;
  if (snapshotter_) {
    // A build in progress is abandoned: ingestion must stop promptly, and
    // the next run builds it again.
    absl::Status sn = snapshotter_->Stop();
    if (!sn.ok()) {
      io.err << "wayback ingest: warning: the last background snapshot "
                "failed: "
             << sn.message() << "\n";
    }
  }
  absl::Status mirrored;
  if (archiver_) {
    archiver_ptr.store(nullptr);
    mirrored = archiver_->Stop(/*final_pass=*/true);
  }
  WriteStatus(io, true);
  const IngesterStats st = ingester_->stats();
  const std::optional<CaptureAck> ack = ingester_->last_ack();
  if (flags_.json) {
    io.out << json{{"ok", failure.ok() && mirrored.ok()},
                   {"error", failure.ok()
                                 ? json(nullptr)
                                 : json(std::string(failure.message()))},
                   {"lines", lines_},
                   {"appended", st.appended},
                   {"duplicates", st.duplicates},
                   {"commits", st.commits},
                   {"last_durable", ack ? AckJson(*ack) : json(nullptr)},
                   {"stopped_by_signal", StopSignals::Received() != 0}}
                  .dump(2)
           << "\n";
  } else {
    io.out << "Ingested " << FormatCount(st.appended) << " events ("
           << FormatCount(st.mutations) << " mutations) from "
           << FormatCount(lines_) << " lines; " << FormatCount(st.duplicates)
           << " already archived; "
           << (ack ? absl::StrCat("last durable LSN ", ack->lsn,
                                  ", source position ", ack->source_position)
                   : std::string("the log is empty"))
           << ".\n";
  }
  if (!failure.ok()) {
    io.err << "wayback ingest: error: " << failure.message();
    if (!bad_line.empty()) {
      io.err << "; the repository holds every event before line " << lines_
             << " (durable, acknowledged), nothing from it on";
    }
    io.err << "\n";
    return kExitUsage;
  }
  if (!mirrored.ok()) {
    io.err << "wayback ingest: error: " << mirrored.message() << "\n";
    return kExitProblem;
  }
  return kExitOk;
}

}  // namespace

std::unique_ptr<Command> NewIngestCommand() {
  return std::make_unique<IngestCommand>();
}

}  // namespace wayback::cli
