// Copyright 2026 The Wayback Authors.
//
// The Snapshotter (include/wayback/capture.h): one thread that runs
// BuildSnapshot() at the acknowledged LSN whenever the schedule says a
// snapshot is due, while the capture goes on appending.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/strings/str_cat.h"
#include "wayback/capture.h"
#include "wayback/status.h"

namespace wayback {
namespace {

class SnapshotterImpl : public Snapshotter {
 public:
  SnapshotterImpl(const Repository* repo, const SnapshotSchedule& schedule,
                  TimelineId timeline, absl::Duration retry_after)
      : repo_(repo),
        schedule_(schedule),
        timeline_(timeline),
        retry_after_(retry_after) {}

  ~SnapshotterImpl() override { Stop().IgnoreError(); }

  absl::Status Init() {
    WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Catalog> catalog,
                             repo_->ReadCatalog());
    for (const SnapshotInfo& s : catalog->snapshots()) {
      if (s.timeline == timeline_) state_.newest = s;  // Sorted by LSN.
    }
    if (state_.newest) {
      since_lsn_ = state_.newest->lsn;
      since_time_ = state_.newest->commit_time;
    } else {
      since_time_ = FirstCommitTime(*catalog);
    }
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }

  // The commit time of the timeline's first record, if the log has one.
  std::optional<CommitTime> FirstCommitTime(const Catalog& catalog) const {
    for (const SegmentInfo& seg : catalog.segments()) {
      if (seg.timeline == timeline_ && seg.last_lsn >= seg.first_lsn) {
        return seg.first_commit_time;
      }
    }
    return std::nullopt;
  }

  void Acknowledged(const CaptureAck& ack, uint64_t bytes) override {
    std::lock_guard<std::mutex> l(mu_);
    acked_ = ack;
    bytes_since_ += bytes;
    if (!state_.building && (Due() || (schedule_.every && !since_time_))) {
      due_ = true;  // Due, or the log's first commit time must be read.
      cv_.notify_all();
    }
  }

  SnapshotterState state() const override {
    std::lock_guard<std::mutex> l(mu_);
    return state_;
  }

  absl::Status Stop() override {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
      cancel_.store(true);
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    std::lock_guard<std::mutex> l(mu_);
    if (state_.last_error.ok() ||
        state_.last_error.code() == absl::StatusCode::kCancelled) {
      return absl::OkStatus();
    }
    return state_.last_error;
  }

 private:
  // Under mu_.
  bool Due() const {
    if (!acked_ || acked_->lsn <= since_lsn_) return false;
    if (retry_at_ && absl::Now() < *retry_at_) return false;
    if (schedule_.every_transactions > 0 &&
        acked_->lsn - since_lsn_ >= schedule_.every_transactions) {
      return true;
    }
    if (schedule_.every_bytes > 0 && bytes_since_ >= schedule_.every_bytes) {
      return true;
    }
    if (schedule_.every && since_time_ &&
        absl::Nanoseconds(acked_->commit_time - *since_time_) >=
            *schedule_.every) {
      return true;
    }
    return false;
  }

  void Run() {
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      cv_.wait(l, [&] { return stop_ || due_; });
      if (stop_) return;
      due_ = false;
      if (schedule_.every && !since_time_ && since_lsn_ == kNoLsn) {
        // A new log: time counts from its first commit.
        l.unlock();
        absl::StatusOr<std::unique_ptr<Catalog>> catalog = repo_->ReadCatalog();
        l.lock();
        if (catalog.ok()) since_time_ = FirstCommitTime(**catalog);
        if (!Due()) continue;
      }
      const Lsn lsn = acked_->lsn;
      const uint64_t bytes_at_start = bytes_since_;
      state_.building = true;
      l.unlock();
      BuildSnapshotOptions o;
      o.target = RecoveryTarget::AtLsn(lsn);
      o.target.timeline = timeline_;
      o.kind = schedule_.kind;
      o.threads = 1;  // The capture keeps the other core.
      o.cancel = &cancel_;
      const absl::Time t0 = absl::Now();
      absl::StatusOr<BuildSnapshotResult> r = BuildSnapshot(*repo_, o);
      // The capture seals and renames its live segment while the build lists
      // and reads the log; a directory listing taken during a rename may
      // miss the segment under both names (POSIX leaves readdir unspecified
      // then), and the build fails on a log that is whole. Such failures do
      // not persist: try again a few times before reporting one.
      for (int again = 0; again < 3 && !r.ok() &&
                          !absl::IsCancelled(r.status()) && !cancel_.load();
           ++again) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        r = BuildSnapshot(*repo_, o);
      }
      l.lock();
      state_.building = false;
      state_.last_duration = absl::Now() - t0;
      if (r.ok()) {
        state_.newest = r->snapshot;
        if (r->created) ++state_.built;
        state_.last_success = absl::Now();
        state_.last_error = absl::OkStatus();
        since_lsn_ = r->snapshot.lsn;
        since_time_ = r->snapshot.commit_time;
        bytes_since_ -= bytes_at_start;
        retry_at_.reset();
      } else {
        state_.last_error = r.status();
        if (r.status().code() != absl::StatusCode::kCancelled) {
          ++state_.failed;
        }
        retry_at_ = absl::Now() + retry_after_;
      }
      due_ = !stop_ && Due();
    }
  }

  const Repository* repo_;
  const SnapshotSchedule schedule_;
  const TimelineId timeline_;
  const absl::Duration retry_after_;
  std::thread thread_;
  std::atomic<bool> cancel_{false};

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool due_ = false;
  std::optional<CaptureAck> acked_;
  Lsn since_lsn_ = kNoLsn;
  std::optional<CommitTime> since_time_;
  uint64_t bytes_since_ = 0;
  std::optional<absl::Time> retry_at_;
  SnapshotterState state_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Snapshotter>> Snapshotter::Start(
    const Repository* repository, const SnapshotSchedule& schedule,
    TimelineId timeline, absl::Duration retry_after) {
  if (!schedule.enabled()) {
    return absl::InvalidArgumentError("snapshot schedule has no bound");
  }
  auto s = std::make_unique<SnapshotterImpl>(repository, schedule, timeline,
                                             retry_after);
  WAYBACK_RETURN_IF_ERROR(s->Init());
  return std::unique_ptr<Snapshotter>(std::move(s));
}

}  // namespace wayback
