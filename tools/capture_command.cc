// Copyright 2026 The Wayback Authors.
//
// wayback capture postgres: archives a PostgreSQL database's committed
// transactions as they happen, by logical replication (pgoutput), through
// the same ingester, acknowledgements, mirrors and status file as wayback
// ingest (docs/postgres.md, docs/ingest.md).

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "tools/common.h"
#include "tools/live_capture.h"
#include "wayback/capture.h"
#include "wayback/postgres.h"

namespace wayback::cli {
namespace {

class CaptureCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "capture", "Archive a database's committed changes as they happen");
    app->require_subcommand(1);
    CLI::App* pg = app->add_subcommand(
        "postgres",
        "Capture a PostgreSQL database by logical replication (pgoutput), "
        "exactly once");
    flags_.Add(pg);
    pg->add_option("--dsn", options_.dsn,
                   "libpq connection string of the database, e.g. "
                   "\"host=/run/postgresql dbname=ehr user=wayback\"")
        ->required();
    pg->add_option("--publication", options_.publication,
                   "The publication whose tables are captured")
        ->required();
    pg->add_option("--slot", options_.slot,
                   "The logical replication slot (pgoutput) to stream from")
        ->required();
    pg->add_flag("--create-slot", options_.create_slot,
                 "Create the slot first (an error if it exists)");
    pg->add_flag("--create", create_,
                 "Create the repository if it is missing (open it if it "
                 "belongs to the same database and slot)");
    pg->add_option("--max-transaction-bytes", options_.max_transaction_bytes,
                   "Refuse a transaction whose changes exceed this many bytes "
                   "(it is held in memory until its commit)")
        ->capture_default_str();
    live_flags_.Add(pg, "transaction");
    pg->footer(
        "Each PostgreSQL transaction becomes one Wayback transaction (commit "
        "time, xid, and\nthe commit's end LSN as its source position); "
        "SELECT pg_logical_emit_message(true,\n'wayback', "
        "'restore_point:NAME') becomes a restore point. The flush position "
        "reported\nto PostgreSQL never passes what the repository holds "
        "durably, so a restart after\nany crash resumes from the slot "
        "without loss or duplicates. SIGTERM/SIGINT: make\neverything "
        "durable, report the flush position, exit 0.\n\n"
        "Example:\n"
        "  psql -c \"CREATE PUBLICATION wayback FOR ALL TABLES\"\n"
        "  wayback capture postgres --dsn \"dbname=ehr\" --publication "
        "wayback --slot wayback_ehr \\\n"
        "      --create-slot --repo /var/lib/wayback/ehr --create --mirror "
        "s3://dr-bucket/ehr");
    return app;
  }

  int Run(Io& io) override;

 private:
  absl::StatusOr<std::unique_ptr<Repository>> OpenRepo(
      const std::string& source);

  RepoFlags flags_;
  PostgresCaptureOptions options_;
  bool create_ = false;
  LiveCaptureFlags live_flags_;
  std::string local_dir_;
};

constexpr char kName[] = "capture postgres";

absl::StatusOr<std::unique_ptr<Repository>> CaptureCommand::OpenRepo(
    const std::string& source) {
  absl::StatusOr<std::unique_ptr<Repository>> repo =
      OpenLiveRepository(flags_.repo, create_, source, "capture", &local_dir_);
  if (!repo.ok()) return repo.status();
  const auto& id = (*repo)->identity();
  if (id && id->source != source) {
    return absl::FailedPreconditionError(absl::StrCat(
        "repository ", flags_.repo, " belongs to source \"", id->source,
        "\", not \"", source,
        "\": one repository archives one database through one slot"));
  }
  return repo;
}

int CaptureCommand::Run(Io& io) {
  if (absl::Status f = live_flags_.Parse(); !f.ok()) {
    return Usage(io, kName, std::string(f.message()));
  }
  options_.batch = live_flags_.batch;
  options_.commit_interval = live_flags_.commit_every;
  auto capture = PostgresCapture::Connect(options_);
  if (!capture.ok()) return Fail(io, kName, capture.status());
  const std::string source = (*capture)->identity().SourceName();

  auto repo = OpenRepo(source);
  if (!repo.ok()) return Fail(io, kName, repo.status());
  LiveCapture live(live_flags_, kName, "transaction");
  if (absl::Status s = live.Open(repo->get(), local_dir_, io); !s.ok()) {
    return Fail(io, kName, s);
  }

  auto extra = [&]() {
    const PostgresCaptureStats st = (*capture)->stats();
    return json{
        {"repository", flags_.repo},
        {"source", source},
        {"postgres",
         json{{"received_wal", FormatPostgresLsn(st.received_wal)},
              {"flushed", FormatPostgresLsn(st.flushed)},
              // WAL the server holds for the slot beyond what
              // is durable here (an upper bound: it counts WAL
              // of unpublished tables too).
              {"lag_bytes",
               st.received_wal > st.flushed ? st.received_wal - st.flushed : 0},
              {"transactions", st.transactions},
              {"restore_points", st.restore_points},
              {"keepalives", st.keepalives}}}};
  };
  StopSignals signals;
  live.WriteStatus(io, false, 0, extra());
  absl::Status failure = (*capture)->Run(
      live.ingester(),
      [&]() {
        // Checked at least every 100 ms: also the status file's clock.
        if (live.StatusDue()) {
          live.WriteStatus(io, false, (*capture)->stats().resent, extra());
        }
        return StopSignals::Received() != 0;
      },
      [&](const CaptureAck& ack) { return live.Acknowledge(ack); });
  if (io.tty) io.err << "\n";
  absl::Status closed;
  absl::Status mirrored = live.Finish(&closed);
  if (failure.ok()) failure = closed;
  const PostgresCaptureStats st = (*capture)->stats();
  live.WriteStatus(io, true, st.resent, extra());
  const std::optional<CaptureAck> ack = live.ingester()->last_ack();
  if (flags_.json) {
    io.out << json{{"ok", failure.ok() && mirrored.ok()},
                   {"error", failure.ok()
                                 ? json(nullptr)
                                 : json(std::string(failure.message()))},
                   {"transactions", st.transactions},
                   {"restore_points", st.restore_points},
                   {"resent", st.resent},
                   {"last_durable", ack ? AckJson(*ack) : json(nullptr)},
                   {"flushed", FormatPostgresLsn(st.flushed)},
                   {"stopped_by_signal", StopSignals::Received() != 0}}
                  .dump(2)
           << "\n";
  } else {
    io.out << "Captured " << FormatCount(st.transactions)
           << " transactions and " << FormatCount(st.restore_points)
           << " restore points; " << FormatCount(st.resent)
           << " resent ones skipped; "
           << (ack ? absl::StrCat("last durable LSN ", ack->lsn,
                                  " (PostgreSQL ",
                                  FormatPostgresLsn(ack->source_position), ")")
                   : std::string("the log is empty"))
           << "; flush position reported to PostgreSQL: "
           << FormatPostgresLsn(st.flushed) << ".\n";
  }
  if (!failure.ok()) return Fail(io, kName, failure);
  if (!mirrored.ok()) {
    io.err << "wayback " << kName << ": error: " << mirrored.message() << "\n";
    return kExitProblem;
  }
  return kExitOk;
}

}  // namespace

std::unique_ptr<Command> NewCaptureCommand() {
  return std::make_unique<CaptureCommand>();
}

}  // namespace wayback::cli
