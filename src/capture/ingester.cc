// Copyright 2026 The Wayback Authors.
//
// The Ingester (include/wayback/capture.h): a log writer in segment format
// version 2, buffered appends and one sync per Commit() (group commit driven
// by the caller), and the duplicate check that makes a restarted source's
// replay harmless.

#include <algorithm>
#include <memory>
#include <optional>
#include <string>

#include "absl/strings/str_cat.h"
#include "src/capture/archived.h"
#include "src/util/errors.h"
#include "wayback/capture.h"
#include "wayback/status.h"

namespace wayback {
namespace {

std::string Describe(const LogRecord& r) {
  if (r.type == RecordType::kRestorePoint) {
    return absl::StrCat("restore point \"", AV(r.restore_point_name), "\"");
  }
  return absl::StrCat("transaction",
                      r.txid ? absl::StrCat(" txid ", *r.txid) : "", " of ",
                      r.mutation_count, " mutations");
}

// Why `e` is not the archived record `r` (empty if it is).
std::string Difference(const CaptureEvent& e, const LogRecord& r) {
  const bool rp = e.kind == CaptureEvent::Kind::kRestorePoint;
  if (rp != (r.type == RecordType::kRestorePoint)) {
    return absl::StrCat("the archive holds a ", Describe(r),
                        ", the resent line a ",
                        rp ? "restore point" : "transaction");
  }
  const std::optional<CommitTime> t =
      rp ? e.restore_point_time : e.txn.commit_time;
  if (t && *t != r.commit_time) {
    return absl::StrCat("commit time ", FormatCommitTime(*t),
                        " differs from the archived ",
                        FormatCommitTime(r.commit_time));
  }
  if (rp) {
    if (e.restore_point != r.restore_point_name) {
      return absl::StrCat("restore point name \"", e.restore_point,
                          "\" differs from the archived \"",
                          AV(r.restore_point_name), "\"");
    }
    return "";
  }
  if (e.txn.txid != r.txid) {
    auto show = [](std::optional<uint64_t> x) {
      return x ? absl::StrCat(*x) : std::string("none");
    };
    return absl::StrCat("txid ", show(e.txn.txid),
                        " differs from the archived ", show(r.txid));
  }
  if (e.txn.mutations.size() != r.mutation_count) {
    return absl::StrCat(e.txn.mutations.size(),
                        " mutations differ from the archived ",
                        r.mutation_count);
  }
  auto it = r.mutations();
  MutationView m;
  for (size_t i = 0; i < e.txn.mutations.size(); ++i) {
    const Mutation& mine = e.txn.mutations[i];
    if (!it.Next(&m) || m.type != mine.type || m.key != mine.key ||
        m.value != mine.value) {
      return absl::StrCat("mutation ", i, " differs from the archived one");
    }
  }
  return "";
}

class IngesterImpl : public Ingester {
 public:
  IngesterImpl(Repository* repo, const IngesterOptions& options)
      : repo_(repo),
        opt_(options),
        clock_(options.clock ? options.clock : Clock::Real()),
        archived_(repo->storage(), options.timeline) {}

  ~IngesterImpl() override { Close().IgnoreError(); }

  absl::Status Init() {
    if (!repo_->identity()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "repository ", repo_->uri(),
          " has no identity object (wayback.repository); ingest writes "
          "segment format version 2, which records it in every segment"));
    }
    LogWriterOptions w;
    w.format_version = 2;
    w.durability = Durability::kBuffered;
    w.timeline = opt_.timeline;
    w.compression_level = opt_.compression_level;
    w.segment_max_bytes = opt_.segment_max_bytes;
    w.segment_max_age = opt_.segment_max_age;
    w.clock = clock_;
    w.on_segment_sealed = opt_.on_segment_sealed;
    WAYBACK_ASSIGN_OR_RETURN(writer_, LogWriter::Open(repo_->storage(), w));
    const LogOpenReport& report = writer_->open_report();
    durable_position_ = report.last_source_position;
    last_time_ = report.last_commit_time;
    if (report.last_lsn != kNoLsn) {
      CaptureAck ack;
      ack.lsn = report.last_lsn;
      ack.commit_time = report.last_commit_time;
      ack.acknowledged_at = absl::FromUnixNanos(clock_->NowNanos());
      if (durable_position_) {
        ack.source_position = *durable_position_;
        // The txid of the newest record, when it is the positioned one.
        WAYBACK_ASSIGN_OR_RETURN(const LogRecord* r,
                                 archived_.Find(*durable_position_));
        if (r != nullptr && r->lsn == report.last_lsn) ack.txid = r->txid;
      }
      last_ack_ = ack;
    }
    return absl::OkStatus();
  }

  std::optional<uint64_t> durable_position() const override {
    return durable_position_;
  }
  std::optional<CaptureAck> last_ack() const override { return last_ack_; }

  absl::StatusOr<OfferOutcome> Offer(CaptureEvent e) override {
    WAYBACK_RETURN_IF_ERROR(Usable());
    if (durable_position_ && e.position <= *durable_position_) {
      WAYBACK_RETURN_IF_ERROR(CheckDuplicate(e));
      ++stats_.duplicates;
      return OfferOutcome::kDuplicate;
    }
    if (last_offered_ && e.position <= *last_offered_) {
      return absl::InvalidArgumentError(
          absl::StrCat("source position ", e.position,
                       " does not follow the previous event's position ",
                       *last_offered_, " (positions must increase)"));
    }
    // The ingester assigns absent commit times itself so that it can
    // acknowledge them: the writer's rule (after every earlier time).
    std::optional<CommitTime> given =
        e.kind == CaptureEvent::Kind::kRestorePoint ? e.restore_point_time
                                                    : e.txn.commit_time;
    CommitTime time;
    if (given) {
      time = *given;
    } else {
      time = std::max<CommitTime>(clock_->NowNanos(),
                                  have_time() ? last_time_ + 1 : 0);
    }
    absl::StatusOr<Lsn> lsn;
    if (e.kind == CaptureEvent::Kind::kRestorePoint) {
      lsn = writer_->AppendRestorePoint(e.restore_point, time, e.position);
    } else {
      e.txn.commit_time = time;
      e.txn.source_position = e.position;
      lsn = writer_->Append(e.txn);
      if (lsn.ok()) stats_.mutations += e.txn.mutations.size();
    }
    if (!lsn.ok()) return lsn.status();
    last_offered_ = e.position;
    last_time_ = time;
    pending_ = CaptureAck{
        *lsn, e.position,
        e.kind == CaptureEvent::Kind::kRestorePoint ? std::nullopt : e.txn.txid,
        time, absl::InfinitePast()};
    ++stats_.appended;
    return OfferOutcome::kAppended;
  }

  absl::StatusOr<std::optional<CaptureAck>> Commit() override {
    WAYBACK_RETURN_IF_ERROR(Usable());
    if (!pending_) return std::optional<CaptureAck>();
    WAYBACK_RETURN_IF_ERROR(writer_->Sync());
    CaptureAck ack = *pending_;
    pending_.reset();
    ack.acknowledged_at = absl::FromUnixNanos(clock_->NowNanos());
    durable_position_ = ack.source_position;
    last_ack_ = ack;
    ++stats_.commits;
    return std::optional<CaptureAck>(ack);
  }

  absl::Status Roll() override {
    WAYBACK_RETURN_IF_ERROR(Usable());
    WAYBACK_RETURN_IF_ERROR(Commit().status());
    return writer_->Roll();
  }

  absl::Status Close() override {
    if (closed_ || writer_ == nullptr) return absl::OkStatus();
    absl::Status s = Commit().status();
    closed_ = true;
    absl::Status c = writer_->Close();
    return s.ok() ? c : s;
  }

  IngesterStats stats() const override { return stats_; }
  const LogOpenReport& open_report() const override {
    return writer_->open_report();
  }

 private:
  bool have_time() const {
    return last_ack_.has_value() || pending_.has_value();
  }

  absl::Status Usable() const {
    if (closed_) return absl::FailedPreconditionError("ingester is closed");
    return absl::OkStatus();
  }

  absl::Status CheckDuplicate(const CaptureEvent& e) {
    WAYBACK_ASSIGN_OR_RETURN(const LogRecord* r, archived_.Find(e.position));
    if (r == nullptr) {
      return absl::FailedPreconditionError(absl::StrCat(
          "source position ", e.position,
          " lies at or below the archived position ", *durable_position_,
          " but no record of the archive carries it: the source's positions "
          "differ from those it sent before (or it went back past the "
          "archive)"));
    }
    std::string diff = Difference(e, *r);
    if (!diff.empty()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "the event at source position ", e.position,
          " was already archived at LSN ", r->lsn,
          " with different content: ", diff,
          "; the source resent something other than what it sent before"));
    }
    return absl::OkStatus();
  }

  Repository* repo_;
  IngesterOptions opt_;
  Clock* clock_;
  ArchivedRecords archived_;
  std::unique_ptr<LogWriter> writer_;
  std::optional<uint64_t> durable_position_;
  std::optional<uint64_t> last_offered_;
  std::optional<CaptureAck> last_ack_;
  std::optional<CaptureAck> pending_;
  CommitTime last_time_ = 0;
  IngesterStats stats_;
  bool closed_ = false;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Ingester>> Ingester::Open(
    Repository* repository, const IngesterOptions& options) {
  auto ingester = std::make_unique<IngesterImpl>(repository, options);
  WAYBACK_RETURN_IF_ERROR(ingester->Init());
  return std::unique_ptr<Ingester>(std::move(ingester));
}

}  // namespace wayback
