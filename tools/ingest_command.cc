// Copyright 2026 The Wayback Authors.
//
// wayback ingest: appends JSONL change events (docs/import_format.md) to a
// repository as they arrive, group-committed, with acknowledgements,
// exactly-once resume, an optional archiver to mirrors and a status file
// (docs/ingest.md).

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/workload/workload.h"
#include "tools/common.h"
#include "tools/line_input.h"
#include "tools/live_capture.h"
#include "wayback/capture.h"
#include "wayback/status.h"

namespace wayback::cli {
namespace {

namespace fs = std::filesystem;

// The name of the follow state object of the capture/ prefix.
constexpr char kFollowState[] = "capture/ingest-follow.json";

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
    live_flags_.Add(app, "event");
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
  absl::Status SaveFollowState();
  void WriteStatus(Io& io, bool final);

  RepoFlags flags_;
  bool create_ = false;
  std::string source_;
  bool follow_ = false;
  LiveCaptureFlags live_flags_;
  std::string file_ = "-";

  // Run state.
  std::unique_ptr<Repository> repo_;
  std::unique_ptr<LiveCapture> live_;
  Ingester* ingester_ = nullptr;
  std::optional<LineInput> input_;
  std::optional<InputPosition> resume_before_;
  std::optional<InputPosition> saved_;  // The follow state last written.
  std::string local_dir_;               // The repository's directory.
  uint64_t lines_ = 0;
};

absl::StatusOr<std::unique_ptr<Repository>> IngestCommand::OpenRepo() {
  std::string source = source_;
  if (source.empty()) {
    source = file_ == "-"
                 ? "jsonl:stdin"
                 : absl::StrCat("jsonl:", fs::absolute(file_).string());
  }
  absl::StatusOr<std::unique_ptr<Repository>> repo =
      OpenLiveRepository(flags_.repo, create_, source, "ingest", &local_dir_);
  if (!repo.ok()) return repo.status();
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

void IngestCommand::WriteStatus(Io& io, bool final) {
  live_->WriteStatus(
      io, final, ingester_->stats().duplicates,
      json{{"repository", flags_.repo}, {"input", file_}, {"lines", lines_}});
}

int IngestCommand::Run(Io& io) {
  if (absl::Status f = live_flags_.Parse(); !f.ok()) {
    return Usage(io, "ingest", std::string(f.message()));
  }
  const absl::Duration commit_every = live_flags_.commit_every;
  if (follow_ && file_ == "-") {
    return Usage(io, "ingest", "--follow needs a FILE, not standard input");
  }
  auto repo = OpenRepo();
  if (!repo.ok()) return Fail(io, "ingest", repo.status());
  repo_ = *std::move(repo);

  live_ = std::make_unique<LiveCapture>(live_flags_, "ingest", "event");
  if (absl::Status s = live_->Open(repo_.get(), local_dir_, io); !s.ok()) {
    if (absl::IsInvalidArgument(s)) {
      return Usage(io, "ingest", std::string(s.message()));
    }
    return Fail(io, "ingest", s);
  }
  ingester_ = live_->ingester();

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
  uint64_t unacked_bytes = 0;  // Input bytes appended, not yet acknowledged.
  absl::Time batch_started;    // When the first uncommitted event was read.
  absl::Status failure;  // Ends the run: exit 2 after committing the rest.
  std::string bad_line;  // The line-numbered reason, for a bad line.
  auto commit = [&]() -> absl::Status {
    auto ack = ingester_->Commit();
    if (!ack.ok()) return ack.status();
    batch = 0;
    if (*ack) {
      WAYBACK_RETURN_IF_ERROR(live_->Acknowledge(**ack, unacked_bytes));
      unacked_bytes = 0;
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
        unacked_bytes += line.size() + 1;
        if (batch++ == 0) batch_started = absl::Now();
        // A group commit per --batch events, and at least every
        // --commit-interval while events keep coming.
        if (batch >= live_flags_.batch ||
            ((batch & 63) == 0 &&
             absl::Now() - batch_started >= commit_every)) {
          failure = commit();
        }
      }
    } else {
      // Idle (or the end): commit what was read.
      failure = commit();
      if (*r == LineInput::Result::kEnd) break;
    }
    if (live_->StatusDue()) WriteStatus(io, false);
  }
  // Whatever happened, what was accepted is made durable and acknowledged.
  absl::Status last = commit();
  if (failure.ok()) failure = last;
  if (io.tty) io.err << "\n";
  absl::Status closed;
  absl::Status mirrored = live_->Finish(&closed);
  if (failure.ok()) failure = closed;
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
