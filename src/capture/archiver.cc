// Copyright 2026 The Wayback Authors.
//
// The Archiver (include/wayback/capture.h): one thread that runs the
// verified mirror pass for each mirror when a segment is sealed and at a
// fixed interval otherwise, and the lag by the definition in capture.h.

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"
#include "wayback/capture.h"
#include "wayback/status.h"

namespace wayback {
namespace {

class ArchiverImpl : public Archiver {
 public:
  ArchiverImpl(const Repository* source, std::vector<ArchiverMirror> mirrors,
               const ArchiverOptions& options)
      : source_(source), mirrors_(std::move(mirrors)), opt_(options) {
    for (const auto& m : mirrors_) {
      ArchiverMirrorState s;
      s.uri = m.uri;
      states_.push_back(std::move(s));
      first_missing_.push_back(std::nullopt);
    }
  }

  ~ArchiverImpl() override { Stop(/*final_pass=*/false).IgnoreError(); }

  void Begin() {
    thread_ = std::thread([this] { Run(); });
  }

  void Wake() override {
    std::lock_guard<std::mutex> l(mu_);
    wake_ = true;
    cv_.notify_all();
  }

  void Acknowledged(Lsn lsn, absl::Time at) override {
    std::lock_guard<std::mutex> l(mu_);
    if (!acks_.empty() && acks_.back().first >= lsn) return;
    acks_.emplace_back(lsn, at);
    have_acks_ = true;
  }

  std::vector<ArchiverMirrorState> States(absl::Time now) const override {
    std::lock_guard<std::mutex> l(mu_);
    std::vector<ArchiverMirrorState> out = states_;
    for (size_t i = 0; i < out.size(); ++i) {
      out[i].lag = LagLocked(i, now);
    }
    return out;
  }

  absl::Status Stop(bool final_pass) override {
    {
      std::lock_guard<std::mutex> l(mu_);
      if (stopped_) return absl::OkStatus();
      stopped_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
    if (!final_pass) return absl::OkStatus();
    absl::Status first;
    for (size_t i = 0; i < mirrors_.size(); ++i) {
      absl::Status s = Pass(i);
      if (first.ok() && !s.ok()) {
        first = absl::Status(s.code(), absl::StrCat("mirror ", mirrors_[i].uri,
                                                    ": ", s.message()));
      }
    }
    return first;
  }

 private:
  // The lag of mirror i at `now` (capture.h, "Mirror lag").
  absl::Duration LagLocked(size_t i, absl::Time now) const {
    const ArchiverMirrorState& s = states_[i];
    const Lsn held = s.mirrored ? s.mirrored->lsn : kNoLsn;
    if (have_acks_) {
      // The oldest acknowledged record the mirror lacks is held + 1; it was
      // acknowledged with the first report that covers it.
      for (const auto& [lsn, at] : acks_) {
        if (lsn > held) return std::max(absl::ZeroDuration(), now - at);
      }
      return absl::ZeroDuration();
    }
    if (!first_missing_[i]) return absl::ZeroDuration();
    return std::max(absl::ZeroDuration(),
                    now - absl::FromUnixNanos(*first_missing_[i]));
  }

  absl::Status Pass(size_t i) {
    ArchiverMirror& m = mirrors_[i];
    if (m.repository == nullptr) {
      absl::StatusOr<std::unique_ptr<Repository>> opened =
          m.open ? m.open()
                 : absl::StatusOr<std::unique_ptr<Repository>>(
                       absl::FailedPreconditionError("no way to open it"));
      if (!opened.ok()) {
        std::lock_guard<std::mutex> l(mu_);
        ++states_[i].passes;
        ++states_[i].failed_passes;
        states_[i].last_error = opened.status();
        return opened.status();
      }
      m.repository = *std::move(opened);
    }
    absl::StatusOr<RepositoryMirrorResult> r =
        MirrorRepository(*source_, m.repository->storage(), opt_.mirror);
    std::lock_guard<std::mutex> l(mu_);
    ArchiverMirrorState& s = states_[i];
    ++s.passes;
    if (!r.ok()) {
      ++s.failed_passes;
      s.last_error = r.status();
      return r.status();
    }
    s.last_error = absl::OkStatus();
    s.last_success = absl::Now();
    s.copied_objects += r->report.copied_objects;
    s.copied_bytes += r->report.copied_bytes;
    s.mirrored = r->mirror_restorable;
    first_missing_[i] = r->first_missing_commit_time;
    s.problems.clear();
    for (const std::string& c : r->report.conflicts) {
      s.problems.push_back(
          absl::StrCat(c, ": differs at the mirror (conflict)"));
    }
    for (const MirrorRejection& j : r->report.rejected) {
      s.problems.push_back(
          absl::StrCat(j.name, ": damaged at the source: ", j.message));
    }
    PruneAcksLocked();
    return absl::OkStatus();
  }

  // Forgets acknowledgements every mirror already holds.
  void PruneAcksLocked() {
    Lsn min_held = UINT64_MAX;
    for (const ArchiverMirrorState& s : states_) {
      min_held = std::min(min_held, s.mirrored ? s.mirrored->lsn : kNoLsn);
    }
    while (acks_.size() > 1 && acks_.front().first <= min_held) {
      acks_.pop_front();
    }
  }

  void Run() {
    while (true) {
      for (size_t i = 0; i < mirrors_.size(); ++i) {
        Pass(i).IgnoreError();  // Recorded in the state; retried next round.
      }
      std::unique_lock<std::mutex> l(mu_);
      cv_.wait_for(l, absl::ToChronoNanoseconds(opt_.interval),
                   [&] { return wake_ || stopped_; });
      if (stopped_) return;
      wake_ = false;
    }
  }

  const Repository* source_;
  std::vector<ArchiverMirror> mirrors_;  // Used by the thread (then Stop).
  ArchiverOptions opt_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool wake_ = false;
  bool stopped_ = false;
  std::vector<ArchiverMirrorState> states_;
  std::vector<std::optional<CommitTime>> first_missing_;
  // (last LSN acknowledged, when), oldest first.
  std::deque<std::pair<Lsn, absl::Time>> acks_;
  bool have_acks_ = false;
  std::thread thread_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<Archiver>> Archiver::Start(
    const Repository* source, std::vector<std::unique_ptr<Repository>> mirrors,
    const ArchiverOptions& options) {
  std::vector<ArchiverMirror> ms;
  for (auto& m : mirrors) {
    ArchiverMirror a;
    a.uri = m->uri();
    a.repository = std::move(m);
    ms.push_back(std::move(a));
  }
  return Start(source, std::move(ms), options);
}

absl::StatusOr<std::unique_ptr<Archiver>> Archiver::Start(
    const Repository* source, std::vector<ArchiverMirror> mirrors,
    const ArchiverOptions& options) {
  if (options.interval <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("archiver interval must be positive");
  }
  auto a = std::make_unique<ArchiverImpl>(source, std::move(mirrors), options);
  a->Begin();
  return std::unique_ptr<Archiver>(std::move(a));
}

}  // namespace wayback
