// Copyright 2026 The Wayback Authors.
//
// LogWriter. Appenders encode their record into the open block under mu_
// (cheap), then one thread at a time holds the "I/O token" (io_busy_) and
// compresses, appends, seals and syncs outside the lock. In kSync mode a
// committer that finds no I/O in progress becomes the leader: it cuts the
// open block (so every record encoded so far rides along), writes it, syncs
// once and wakes everyone whose LSN that sync covered. Committers arriving
// meanwhile encode into the next block and wait; one of them leads the next
// round. That is group commit: one fdatasync per round, whatever the number
// of committers.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/log/block.h"
#include "src/log/segment.h"
#include "src/log/segment_set.h"
#include "src/util/errors.h"
#include "wayback/log.h"
#include "wayback/repository_identity.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using log_format::BlockBuilder;

absl::Status Annotate(const absl::Status& s, std::string_view object,
                      std::string_view op) {
  if (s.ok()) return s;
  return absl::Status(s.code(),
                      absl::StrCat(AV(op), " ", AV(object), ": ", s.message()));
}

// Bytes of the footer and trailer of a segment of `blocks` blocks: the
// segment size bound counts them, so a sealed segment never exceeds it
// (unless a single block does).
uint64_t FooterSize(uint32_t version, size_t blocks) {
  return log_format::FooterFixedSize(version) +
         log_format::IndexEntrySize(version) * blocks +
         log_format::kTrailerSize;
}

class LogWriterImpl : public LogWriter {
 public:
  LogWriterImpl(Storage* storage, const LogWriterOptions& options)
      : storage_(storage),
        opt_(options),
        clock_(options.clock ? options.clock : Clock::Real()),
        builder_(options.format_version),
        compressor_(options.compression_level) {}

  ~LogWriterImpl() override { Close().IgnoreError(); }

  absl::Status Init();

  absl::StatusOr<Lsn> Append(const Transaction& txn) override {
    WAYBACK_RETURN_IF_ERROR(log_format::ValidateTransaction(txn));
    return AppendRecord(&txn, {}, txn.commit_time, txn.source_position);
  }

  absl::StatusOr<Lsn> AppendAsync(
      const Transaction& txn,
      std::function<void(absl::StatusOr<Lsn>)> done) override {
    WAYBACK_RETURN_IF_ERROR(log_format::ValidateTransaction(txn));
    return AppendRecord(&txn, {}, txn.commit_time, txn.source_position, &done);
  }

  absl::StatusOr<Lsn> AppendRestorePoint(
      std::string_view name, std::optional<CommitTime> commit_time,
      std::optional<uint64_t> source_position) override {
    if (name.empty() || name.size() > log_format::kMaxRestorePointName) {
      return absl::InvalidArgumentError(absl::StrCat(
          "restore point name must have 1 to ",
          log_format::kMaxRestorePointName, " bytes, not ", name.size()));
    }
    return AppendRecord(nullptr, name, commit_time, source_position);
  }

  std::optional<uint64_t> last_source_position() const override {
    std::lock_guard<std::mutex> l(mu_);
    return last_pos_;
  }

  absl::Status Sync() override {
    std::unique_lock<std::mutex> l(mu_);
    WAYBACK_RETURN_IF_ERROR(CheckUsable());
    return WaitDurable(l, next_lsn_ - 1).status();
  }

  absl::Status Roll() override {
    std::unique_lock<std::mutex> l(mu_);
    WAYBACK_RETURN_IF_ERROR(CheckUsable());
    return RollLocked(l);
  }

  absl::Status Close() override;

  Lsn last_lsn() const override { return last_lsn_.load(); }
  Lsn durable_lsn() const override { return durable_lsn_.load(); }
  const LogOpenReport& open_report() const override { return report_; }

 private:
  // One unit of work for the I/O token holder: a block to write, then
  // possibly a seal of the live segment.
  struct Item {
    std::optional<BlockBuilder> block;
    int64_t first_mono = 0;
    bool seal_after = false;
  };

  // With `done` (AppendAsync), returns without waiting and hands `done` to
  // the flusher.
  absl::StatusOr<Lsn> AppendRecord(
      const Transaction* txn, std::string_view rp_name,
      std::optional<CommitTime> commit_time,
      std::optional<uint64_t> source_position,
      std::function<void(absl::StatusOr<Lsn>)>* done = nullptr);
  // The flusher of AppendAsync: syncs what asynchronous appends are waiting
  // for (group-committed with every other committer) and calls their
  // callbacks in LSN order, outside mu_.
  void FlusherLoop();
  // Under mu_: source positions are stored by segment format version 2
  // only, and strictly increase along the timeline's log.
  absl::Status CheckSourcePositionLocked(std::optional<uint64_t> pos) const {
    if (!pos) return absl::OkStatus();
    if (opt_.format_version == log_format::kFormatVersion1) {
      return absl::InvalidArgumentError(absl::StrCat(
          "source position ", *pos,
          " given, but segment format version 1 cannot store source positions "
          "(LogWriterOptions::format_version 2 can)"));
    }
    if (last_pos_ && *pos <= *last_pos_) {
      return absl::InvalidArgumentError(
          absl::StrCat("source position ", *pos,
                       " does not follow the last one in the log of "
                       "timeline ",
                       opt_.timeline, ", ", *last_pos_,
                       " (source positions must strictly increase)"));
    }
    return absl::OkStatus();
  }
  absl::Status CheckUsable() const {
    if (closed_) return absl::FailedPreconditionError("log writer is closed");
    if (!error_.ok()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "log writer stopped after an I/O error: ", error_.ToString()));
    }
    return absl::OkStatus();
  }
  void CutBlockLocked() {
    if (builder_.empty()) return;
    pending_.push_back(Item{std::move(builder_), builder_first_mono_, false});
    builder_ = BlockBuilder(opt_.format_version);
  }
  void RequestSealLocked() {
    CutBlockLocked();
    if (!pending_.empty()) {
      pending_.back().seal_after = true;
    } else {
      pending_.push_back(Item{std::nullopt, 0, true});
    }
    seg_start_mono_.reset();
  }
  absl::Status RollLocked(std::unique_lock<std::mutex>& l) {
    cv_.wait(l, [&] { return !io_busy_; });
    WAYBACK_RETURN_IF_ERROR(CheckUsable());
    RequestSealLocked();
    return DoIo(l, /*sync=*/false);
  }
  // Returns once `lsn` is durable (then possibly with `l` unlocked) or on
  // an error (with `l` locked).
  absl::StatusOr<Lsn> WaitDurable(std::unique_lock<std::mutex>& l, Lsn lsn);
  // Ends an I/O round (requires io_busy_): releases the token, wakes one
  // waiting committer to lead the next round (none while closing: Close()
  // runs the last one; all of them after an error), then the committers
  // whose LSN is now durable, unlocking mu_ meanwhile: another round may
  // have started when it returns.
  void ReleaseIoToken(std::unique_lock<std::mutex>& l);
  // Under mu_: wakes every waiting committer to look again.
  void WakeAllWaiters();
  struct Waiter;
  static void Signal(Waiter* w, int state);
  // Runs the I/O for everything pending; requires !io_busy_.
  absl::Status DoIo(std::unique_lock<std::mutex>& l, bool sync);
  // I/O token holder only.
  absl::Status WriteItem(Item& item);
  absl::Status CreateLive(Lsn first_lsn);
  absl::Status SealLive();
  absl::Status Publish(const std::string& live, const std::string& sealed);
  absl::Status RecoverLive(log_format::LoadedSegment& seg);
  // The newest source position of the timeline's log before segs[end]
  // (V2.8): from the footers of the sealed segments, newest first, stopping
  // at a version 1 segment (none older can carry one: see Init()).
  absl::StatusOr<std::optional<uint64_t>> PositionBefore(
      const std::vector<log_format::SegmentRef>& segs, size_t end);
  // kFailedPrecondition if the log holds segments of a newer version than
  // this writer's (`name` is the newest).
  absl::Status CheckNotDowngrade(uint32_t version, std::string_view name) const;
  void TimerLoop();

  Storage* const storage_;
  const LogWriterOptions opt_;
  Clock* const clock_;
  std::unique_ptr<StorageLock> lock_;
  LogOpenReport report_;

  // A committer waiting for durability, on its own stack. Committers wait
  // on their own condition variables, so that an I/O round wakes only the
  // ones it made durable (plus one to lead the next round) instead of all
  // of them: with hundreds of committers, waking everyone per round cost
  // more CPU than the round itself.
  struct Waiter {
    static constexpr int kWaiting = 0;
    static constexpr int kDurable = 1;  // Return; mu_ is not retaken.
    static constexpr int kRecheck = 2;  // Retake mu_ and look again.
    Lsn lsn = 0;
    std::mutex mu;
    std::condition_variable cv;
    int state = kWaiting;  // Guarded by mu.
  };

  mutable std::mutex mu_;
  std::condition_variable cv_;    // The I/O token was released.
  std::vector<Waiter*> waiters_;  // Guarded by mu_.
  // Guarded by mu_.
  Lsn next_lsn_ = 1;
  bool have_time_ = false;
  CommitTime last_time_ = 0;
  std::optional<uint64_t> last_pos_;
  BlockBuilder builder_;
  int64_t builder_first_mono_ = 0;
  std::deque<Item> pending_;
  std::optional<int64_t> seg_start_mono_;
  bool io_busy_ = false;
  bool closed_ = false;
  bool final_round_done_ = false;  // Close() ran its last round.
  absl::Status error_;
  Lsn written_lsn_ = 0;
  std::atomic<Lsn> last_lsn_{0};
  std::atomic<Lsn> durable_lsn_{0};

  // Owned by the I/O token holder.
  ZstdCompressor compressor_;
  std::unique_ptr<AppendableObject> live_;
  SegmentInfo live_info_;
  // The repository id written into v2 headers (16 bytes; empty for v1).
  std::string repository_id_;
  std::string block_buf_;

  // AppendAsync: the callbacks waiting for durability, in LSN order, and the
  // flusher thread (started by the first AppendAsync). Guarded by mu_.
  struct AsyncDone {
    Lsn lsn;
    std::function<void(absl::StatusOr<Lsn>)> done;
  };
  std::deque<AsyncDone> async_;
  std::condition_variable flush_cv_;
  bool flusher_stop_ = false;
  std::thread flusher_;

  // Background age check.
  std::thread timer_;
  std::mutex timer_mu_;
  std::condition_variable timer_cv_;
  bool timer_stop_ = false;
};

absl::StatusOr<Lsn> LogWriterImpl::AppendRecord(
    const Transaction* txn, std::string_view rp_name,
    std::optional<CommitTime> commit_time,
    std::optional<uint64_t> source_position,
    std::function<void(absl::StatusOr<Lsn>)>* done) {
  std::unique_lock<std::mutex> l(mu_);
  WAYBACK_RETURN_IF_ERROR(CheckUsable());
  WAYBACK_RETURN_IF_ERROR(CheckSourcePositionLocked(source_position));
  CommitTime time;
  if (commit_time) {
    if (have_time_ && *commit_time < last_time_) {
      return absl::InvalidArgumentError(
          absl::StrCat("commit time ", *commit_time,
                       " precedes the previous record's ", last_time_));
    }
    time = *commit_time;
  } else {
    time = clock_->NowNanos();
    if (have_time_ && time <= last_time_) {
      if (last_time_ == INT64_MAX) {
        return absl::InvalidArgumentError(
            "no commit time can follow the previous record's (INT64_MAX)");
      }
      time = last_time_ + 1;
    }
  }
  const int64_t mono = clock_->MonotonicNanos();
  if (seg_start_mono_ && mono - *seg_start_mono_ >=
                             absl::ToInt64Nanoseconds(opt_.segment_max_age)) {
    // The segment's first record is old enough: this record starts the next.
    RequestSealLocked();
  }
  size_t estimate = 64 + rp_name.size();
  if (txn) {
    for (const Mutation& m : txn->mutations) {
      estimate += m.key.size() + m.value.size() + 12;
    }
  }
  // A record of a block's size or more gets a block of its own.
  if (builder_.WouldOverflow(estimate) || estimate >= opt_.block_size) {
    CutBlockLocked();
  }
  const Lsn lsn = next_lsn_++;
  if (builder_.empty()) builder_first_mono_ = mono;
  if (txn) {
    builder_.AddTransaction(lsn, time, *txn);
  } else {
    builder_.AddRestorePoint(lsn, time, rp_name, source_position);
  }
  if (source_position) last_pos_ = source_position;
  last_time_ = time;
  have_time_ = true;
  last_lsn_.store(lsn);
  if (!seg_start_mono_) seg_start_mono_ = mono;
  if (builder_.raw_size() >= opt_.block_size) CutBlockLocked();

  if (done != nullptr) {
    async_.push_back({lsn, std::move(*done)});
    if (!flusher_.joinable()) flusher_ = std::thread([this] { FlusherLoop(); });
    flush_cv_.notify_one();
    return lsn;
  }
  if (opt_.durability == Durability::kSync) return WaitDurable(l, lsn);
  if (!pending_.empty() && !io_busy_) {
    WAYBACK_RETURN_IF_ERROR(DoIo(l, /*sync=*/false));
  }
  return lsn;
}

absl::StatusOr<Lsn> LogWriterImpl::WaitDurable(std::unique_lock<std::mutex>& l,
                                               Lsn lsn) {
  while (durable_lsn_.load() < lsn) {
    if (!error_.ok() || final_round_done_) {
      // Stopped, or closed and the last round did not cover `lsn`: nobody
      // will run another round, so release every other waiter too.
      absl::Status u = CheckUsable();
      WakeAllWaiters();
      return u;
    }
    if (!io_busy_ && !closed_) {
      WAYBACK_RETURN_IF_ERROR(DoIo(l, /*sync=*/true));
      continue;
    }
    // Closing: Close() runs the last round, which covers every append it
    // accepted, and wakes this committer.
    // Someone else holds the I/O token: wait on this thread's own condition
    // variable until the holder says the LSN is durable (return without
    // touching mu_ again) or asks it to look again (lead the next group, or
    // see the error).
    Waiter w;
    w.lsn = lsn;
    waiters_.push_back(&w);
    l.unlock();
    int state;
    {
      std::unique_lock<std::mutex> wl(w.mu);
      w.cv.wait(wl, [&] { return w.state != Waiter::kWaiting; });
      state = w.state;
    }
    if (state == Waiter::kDurable) return lsn;
    l.lock();
  }
  return lsn;
}

void LogWriterImpl::ReleaseIoToken(std::unique_lock<std::mutex>& l) {
  io_busy_ = false;
  // Roll() and Close() wait on cv_ for the token; committers on their own.
  cv_.notify_all();
  if (waiters_.empty()) return;
  if (!error_.ok()) {
    WakeAllWaiters();
    return;
  }
  const Lsn durable = durable_lsn_.load();
  std::vector<Waiter*> done;
  Waiter* lead = nullptr;
  size_t kept = 0;
  for (Waiter* w : waiters_) {
    if (w->lsn <= durable) {
      done.push_back(w);
    } else {
      waiters_[kept++] = w;
      if (lead == nullptr || w->lsn < lead->lsn) lead = w;
    }
  }
  waiters_.resize(kept);
  if (lead != nullptr && !closed_) {
    // The oldest committer still waiting leads the next round at once (it
    // finds the token free, or waits again behind whoever took it first).
    waiters_.erase(std::find(waiters_.begin(), waiters_.end(), lead));
    Signal(lead, Waiter::kRecheck);
  }
  if (done.empty()) return;
  // The committers this round made durable return without retaking mu_;
  // they are signalled outside it, so that neither appenders nor the next
  // round wait for these wakeups. Each waiter's state is set under its own
  // mutex, which the waiter takes before it returns, so it outlives the
  // notify.
  l.unlock();
  for (Waiter* w : done) Signal(w, Waiter::kDurable);
  l.lock();
}

void LogWriterImpl::WakeAllWaiters() {
  for (Waiter* w : waiters_) Signal(w, Waiter::kRecheck);
  waiters_.clear();
}

void LogWriterImpl::Signal(Waiter* w, int state) {
  std::lock_guard<std::mutex> g(w->mu);
  w->state = state;
  w->cv.notify_one();
}

absl::Status LogWriterImpl::DoIo(std::unique_lock<std::mutex>& l, bool sync) {
  io_busy_ = true;
  absl::Status status;
  while (status.ok()) {
    if (sync) CutBlockLocked();
    if (pending_.empty() && !sync) break;
    std::deque<Item> items;
    items.swap(pending_);
    Lsn target = written_lsn_;
    for (const Item& it : items) {
      if (it.block) target = it.block->last_lsn();
    }
    l.unlock();
    for (Item& it : items) {
      status = WriteItem(it);
      if (!status.ok()) break;
    }
    if (status.ok() && sync && live_ != nullptr) {
      status = Annotate(live_->Sync(), live_info_.name, "sync");
    }
    l.lock();
    if (!status.ok()) break;
    written_lsn_ = target;
    // A sync (or a seal, which syncs, with nothing written after it) makes
    // everything written durable.
    if (sync || live_ == nullptr) durable_lsn_.store(written_lsn_);
    if (sync) break;
  }
  if (!status.ok() && error_.ok()) error_ = status;
  ReleaseIoToken(l);
  return status;
}

absl::Status LogWriterImpl::WriteItem(Item& item) {
  if (item.block) {
    BlockInfo info;
    const uint64_t txns = item.block->transaction_count();
    const uint64_t mutations = item.block->mutation_count();
    const std::optional<uint64_t> first_pos =
        item.block->first_source_position();
    WAYBACK_RETURN_IF_ERROR(
        item.block->Finish(&compressor_, &block_buf_, &info));
    if (live_ != nullptr && !live_info_.blocks.empty() &&
        live_->size() + block_buf_.size() +
                FooterSize(live_info_.format_version,
                           live_info_.blocks.size() + 1) >
            opt_.segment_max_bytes) {
      WAYBACK_RETURN_IF_ERROR(SealLive());
      std::lock_guard<std::mutex> g(mu_);
      if (seg_start_mono_) seg_start_mono_ = item.first_mono;
    }
    if (live_ == nullptr) WAYBACK_RETURN_IF_ERROR(CreateLive(info.first_lsn));
    info.offset = live_->size();
    WAYBACK_RETURN_IF_ERROR(
        Annotate(live_->Append(block_buf_), live_info_.name, "append to"));
    if (live_info_.blocks.empty()) {
      live_info_.first_commit_time = info.first_commit_time;
      live_info_.min_commit_time = info.min_commit_time;
      live_info_.max_commit_time = info.max_commit_time;
    }
    if (first_pos && !live_info_.first_source_position) {
      live_info_.first_source_position = first_pos;
    }
    if (info.last_source_position) {
      live_info_.last_source_position = info.last_source_position;
    }
    live_info_.min_commit_time =
        std::min(live_info_.min_commit_time, info.min_commit_time);
    live_info_.max_commit_time =
        std::max(live_info_.max_commit_time, info.max_commit_time);
    live_info_.blocks.push_back(info);
    live_info_.last_lsn = info.last_lsn;
    live_info_.last_commit_time = info.last_commit_time;
    live_info_.record_count += info.record_count;
    live_info_.transaction_count += txns;
    live_info_.mutation_count += mutations;
    live_info_.raw_bytes += info.raw_size;
  }
  if (item.seal_after) WAYBACK_RETURN_IF_ERROR(SealLive());
  return absl::OkStatus();
}

absl::Status LogWriterImpl::CreateLive(Lsn first_lsn) {
  const std::string name = SegmentObjectName(opt_.timeline, first_lsn, false);
  AppendableOptions ao;
  ao.must_create = true;
  auto obj = storage_->OpenAppendable(name, ao);
  WAYBACK_RETURN_IF_ERROR(Annotate(obj.status(), name, "create"));
  live_ = std::move(*obj);
  log_format::SegmentHeader h;
  h.format_version = opt_.format_version;
  h.timeline = opt_.timeline;
  h.first_lsn = first_lsn;
  h.create_time = clock_->NowNanos();
  if (h.format_version != log_format::kFormatVersion1) {
    h.repository_id = repository_id_;
  }
  char buf[log_format::kMaxSegmentHeaderSize];
  log_format::EncodeSegmentHeader(h, buf);
  WAYBACK_RETURN_IF_ERROR(Annotate(
      live_->Append(std::string_view(buf, h.size())), name, "append to"));
  // The header is made durable before any block: after a crash, a live
  // segment whose header is short or damaged with nothing after it never
  // acknowledged anything (torn creation); a damaged header with blocks after
  // it is corruption.
  WAYBACK_RETURN_IF_ERROR(Annotate(live_->Sync(), name, "sync"));
  live_info_ = SegmentInfo{};
  live_info_.name = name;
  live_info_.format_version = opt_.format_version;
  live_info_.timeline = opt_.timeline;
  live_info_.first_lsn = first_lsn;
  live_info_.last_lsn = first_lsn - 1;
  return absl::OkStatus();
}

absl::Status LogWriterImpl::SealLive() {
  if (live_ == nullptr) return absl::OkStatus();
  const std::string live_name = live_info_.name;
  if (live_info_.blocks.empty()) {
    // Nothing in it (a recovered live segment whose every block was torn).
    WAYBACK_RETURN_IF_ERROR(Annotate(live_->Close(), live_name, "close"));
    live_.reset();
    return Annotate(storage_->Delete(live_name), live_name, "delete");
  }
  std::string footer;
  log_format::EncodeFooter(live_info_, &footer);
  WAYBACK_RETURN_IF_ERROR(
      Annotate(live_->Append(footer), live_name, "append footer to"));
  WAYBACK_RETURN_IF_ERROR(Annotate(live_->Sync(), live_name, "sync"));
  WAYBACK_RETURN_IF_ERROR(Annotate(live_->Close(), live_name, "close"));
  live_.reset();
  return Publish(live_name,
                 SegmentObjectName(opt_.timeline, live_info_.first_lsn, true));
}

absl::Status LogWriterImpl::Publish(const std::string& live,
                                    const std::string& sealed) {
  if (storage_->capabilities().rename) {
    WAYBACK_RETURN_IF_ERROR(
        Annotate(storage_->Rename(live, sealed), live, "rename"));
  } else {
    // No atomic rename: the sealed object appears whole on Close(); only then
    // is the live one deleted (a crash in between leaves both, and Open()
    // deletes the live one).
    auto data = storage_->ReadAll(live);
    WAYBACK_RETURN_IF_ERROR(Annotate(data.status(), live, "read"));
    auto w = storage_->Create(sealed);
    WAYBACK_RETURN_IF_ERROR(Annotate(w.status(), sealed, "create"));
    WAYBACK_RETURN_IF_ERROR(Annotate((*w)->Append(*data), sealed, "write"));
    WAYBACK_RETURN_IF_ERROR(Annotate((*w)->Close(), sealed, "close"));
    WAYBACK_RETURN_IF_ERROR(Annotate(storage_->Delete(live), live, "delete"));
  }
  if (opt_.on_segment_sealed) opt_.on_segment_sealed(sealed);
  return absl::OkStatus();
}

absl::Status LogWriterImpl::RecoverLive(log_format::LoadedSegment& seg) {
  SegmentInfo& info = seg.info;
  if (info.torn_bytes > 0) {
    report_.torn_object = info.name;
    report_.torn_offset = seg.header_torn ? 0 : seg.valid_end;
    report_.torn_bytes = info.torn_bytes;
  }
  if (seg.header_torn) {
    return Annotate(storage_->Delete(info.name), info.name, "delete");
  }
  // Decode every kept block: this verifies them fully and recovers the
  // transaction and mutation counts the footer will carry.
  ZstdDecompressor dec;
  log_format::DecodedBlock block;
  std::string buf;
  std::optional<uint64_t> prev_pos;
  for (const BlockInfo& b : info.blocks) {
    log_format::BlockHeader h;
    std::string_view payload;
    WAYBACK_RETURN_IF_ERROR(
        log_format::ReadBlockAt(*seg.object, info.name, b, &buf, &h, &payload));
    WAYBACK_RETURN_IF_ERROR(
        log_format::UnpackBlock(info.name, b.offset, h, payload, &dec, &block));
    WAYBACK_RETURN_IF_ERROR(log_format::CheckSourcePositionsFollow(
        info.name, b.offset, block, prev_pos));
    if (block.last_source_position) prev_pos = block.last_source_position;
    info.transaction_count += block.transaction_count;
    info.mutation_count += block.mutation_count;
    if (!info.first_source_position) {
      info.first_source_position = block.first_source_position;
    }
  }
  AppendableOptions ao;
  ao.must_create = false;
  ao.truncate_to = seg.valid_end;
  auto obj = storage_->OpenAppendable(info.name, ao);
  WAYBACK_RETURN_IF_ERROR(Annotate(obj.status(), info.name, "reopen"));
  live_ = std::move(*obj);
  if (info.torn_bytes > 0) {
    // Make the cut durable before anything is appended after it.
    WAYBACK_RETURN_IF_ERROR(Annotate(live_->Sync(), info.name, "sync"));
  }
  info.size = seg.valid_end;
  info.torn_bytes = 0;
  live_info_ = info;
  return absl::OkStatus();
}

absl::StatusOr<std::optional<uint64_t>> LogWriterImpl::PositionBefore(
    const std::vector<log_format::SegmentRef>& segs, size_t end) {
  for (size_t i = end; i-- > 0;) {
    if (!segs[i].sealed) continue;  // Only the newest may be live.
    log_format::LoadedSegment seg;
    WAYBACK_RETURN_IF_ERROR(log_format::LoadSegment(
        storage_, segs[i].name, false, &seg, repository_id_));
    if (seg.info.last_source_position) return seg.info.last_source_position;
    if (seg.info.format_version == log_format::kFormatVersion1) break;
  }
  return std::nullopt;
}

absl::Status LogWriterImpl::CheckNotDowngrade(uint32_t version,
                                              std::string_view name) const {
  if (version <= opt_.format_version) return absl::OkStatus();
  // Writing v1 after v2 would leave records without the positions a
  // resuming capture relies on, and v1 programs cannot read the v2 part
  // anyway: refuse rather than downgrade.
  return absl::FailedPreconditionError(absl::StrCat(
      "the log of timeline ", opt_.timeline, " is in segment format version ",
      version, " (", AV(name), "); a writer of version ", opt_.format_version,
      " does not continue it (open it with format_version ", version, ")"));
}

absl::Status LogWriterImpl::Init() {
  if (opt_.format_version != log_format::kFormatVersion1 &&
      opt_.format_version != log_format::kFormatVersion2) {
    return absl::InvalidArgumentError(
        absl::StrCat("log writer: segment format version ", opt_.format_version,
                     " is unknown (this build writes 1 and 2)"));
  }
  const StorageCapabilities caps = storage_->capabilities();
  if (!caps.append) {
    return absl::FailedPreconditionError(
        absl::StrCat("log writer needs a storage with appends; ",
                     storage_->uri(), " has none"));
  }
  // The repository's id: v2 headers carry it, and a v2 segment of another
  // repository found here is refused below (a v1 writer checks too, when it
  // can read the identity).
  if (opt_.format_version == log_format::kFormatVersion1) {
    repository_id_ = log_format::RepositoryIdToCheck(storage_);
  } else {
    absl::StatusOr<std::optional<RepositoryIdentity>> identity =
        ReadRepositoryIdentity(storage_);
    if (!identity.ok() && !absl::IsDataLoss(identity.status()) &&
        !absl::IsFailedPrecondition(identity.status())) {
      return identity.status();  // I/O: as such.
    }
    if (!identity.ok() || !identity->has_value()) {
      return absl::FailedPreconditionError(absl::StrCat(
          "segment format version 2 records the repository's id, but ",
          storage_->uri(), " has no valid repository identity object (",
          AV(kIdentityObjectName), ")",
          identity.ok() ? ""
                        : absl::StrCat(": ", identity.status().message())));
    }
    WAYBACK_ASSIGN_OR_RETURN(repository_id_,
                             log_format::RepositoryIdFromHex((**identity).id));
  }
  if (caps.lock) {
    WAYBACK_ASSIGN_OR_RETURN(lock_, storage_->Lock(log_format::kLockName));
  }
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects,
                           storage_->List(log_format::kLogPrefix));
  // Replacement segments take the place of what they replace (V2.11), so
  // the newest segment and the search for the last source position see the
  // log as readers do.
  WAYBACK_ASSIGN_OR_RETURN(std::vector<log_format::SegmentRef> segs,
                           log_format::UsedTimelineSegments(
                               storage_, objects, opt_.timeline,
                               /*drop_leftovers=*/false, repository_id_));
  // A .live beside a .seg of the same first LSN: the copy fallback of
  // Publish() crashed before deleting the live one.
  for (size_t i = 0; i + 1 < segs.size();) {
    if (segs[i].first_lsn == segs[i + 1].first_lsn && segs[i].sealed &&
        !segs[i + 1].sealed) {
      WAYBACK_RETURN_IF_ERROR(storage_->Delete(segs[i + 1].name));
      segs.erase(segs.begin() + i + 1);
    } else {
      ++i;
    }
  }
  Lsn last = kNoLsn;
  CommitTime last_time = 0;
  std::string last_name;
  // The newest segment's format version and source position, and how many
  // segments (from the start) the search for an older position may look at.
  uint32_t newest_version = 0;
  std::optional<uint64_t> last_pos;
  size_t older_end = 0;
  for (size_t i = 0; i < segs.size(); ++i) {
    const bool newest = i + 1 == segs.size();
    if (segs[i].sealed) {
      // Only the last sealed segment before the live one matters for the
      // LSN sequence; reading earlier footers would be wasted I/O.
      if (!newest && segs[i + 1].sealed) continue;
      log_format::LoadedSegment seg;
      WAYBACK_RETURN_IF_ERROR(log_format::LoadSegment(
          storage_, segs[i].name, false, &seg, repository_id_));
      last = seg.info.last_lsn;
      last_time = seg.info.last_commit_time;
      last_name = segs[i].name;
      newest_version = seg.info.format_version;
      last_pos = seg.info.last_source_position;
      older_end = i;
      continue;
    }
    log_format::LoadedSegment seg;
    WAYBACK_RETURN_IF_ERROR(log_format::LoadSegment(
        storage_, segs[i].name, true, &seg, repository_id_));
    if (!seg.header_torn) {
      // Refused before anything (a torn tail) is cut.
      WAYBACK_RETURN_IF_ERROR(
          CheckNotDowngrade(seg.info.format_version, segs[i].name));
    }
    if (last != kNoLsn && seg.info.first_lsn != last + 1) {
      return absl::FailedPreconditionError(
          absl::StrCat("log hole: ", last_name, " ends at LSN ", last, " but ",
                       segs[i].name, " starts at LSN ", seg.info.first_lsn));
    }
    if (seg.info.sealed) {
      // Crashed between writing the footer and the rename: finish the job.
      seg.object.reset();
      WAYBACK_RETURN_IF_ERROR(
          Publish(segs[i].name,
                  SegmentObjectName(opt_.timeline, seg.info.first_lsn, true)));
    } else if (!newest) {
      return CorruptionAt(
          segs[i].name, seg.valid_end, seg.info.last_lsn + 1,
          absl::StrCat("unsealed segment is followed by ", segs[i + 1].name));
    } else {
      WAYBACK_RETURN_IF_ERROR(RecoverLive(seg));
      if (seg.header_torn) {
        // Deleted; the sequence continues from the sealed segments.
        if (last == kNoLsn) last = seg.info.first_lsn - 1;
        continue;
      }
    }
    newest_version = seg.info.format_version;
    if (seg.info.last_source_position) last_pos = seg.info.last_source_position;
    older_end = i;
    if (seg.info.blocks.empty()) {
      last = seg.info.first_lsn - 1;
    } else {
      last = seg.info.last_lsn;
      last_time = seg.info.last_commit_time;
    }
    last_name = segs[i].name;
  }
  if (newest_version != 0) {
    WAYBACK_RETURN_IF_ERROR(CheckNotDowngrade(newest_version, last_name));
  }
  if (live_ != nullptr && live_info_.format_version != opt_.format_version) {
    // Never two versions in one segment: the older live segment is sealed as
    // it is, and the next record starts a segment of this writer's version.
    WAYBACK_RETURN_IF_ERROR(SealLive());
  }
  if (!last_pos && newest_version == log_format::kFormatVersion2) {
    // The newest segments carry no position: look further back (V2.8).
    WAYBACK_ASSIGN_OR_RETURN(last_pos, PositionBefore(segs, older_end));
  }
  next_lsn_ = last + 1;
  have_time_ = last != kNoLsn;
  last_time_ = last_time;
  last_pos_ = last_pos;
  last_lsn_.store(last);
  written_lsn_ = last;
  durable_lsn_.store(last);
  report_.last_lsn = last;
  report_.last_commit_time = last_time;
  report_.last_source_position = last_pos;
  if (live_ != nullptr && !live_info_.blocks.empty()) {
    // Its age runs from now: the age of its first record is unknown after a
    // restart, and sealing at once would make a tiny segment per restart.
    seg_start_mono_ = clock_->MonotonicNanos();
  }
  if (opt_.segment_max_age < absl::InfiniteDuration() &&
      opt_.segment_max_age > absl::ZeroDuration()) {
    timer_ = std::thread([this] { TimerLoop(); });
  }
  return absl::OkStatus();
}

void LogWriterImpl::TimerLoop() {
  const absl::Duration tick = std::clamp(
      opt_.segment_max_age / 4, absl::Milliseconds(5), absl::Seconds(1));
  const auto wait = std::chrono::nanoseconds(absl::ToInt64Nanoseconds(tick));
  std::unique_lock<std::mutex> tl(timer_mu_);
  while (!timer_cv_.wait_for(tl, wait, [&] { return timer_stop_; })) {
    std::unique_lock<std::mutex> l(mu_);
    if (closed_ || !error_.ok() || !seg_start_mono_) continue;
    if (clock_->MonotonicNanos() - *seg_start_mono_ <
        absl::ToInt64Nanoseconds(opt_.segment_max_age)) {
      continue;
    }
    // An error here is sticky and reported by the next call.
    RollLocked(l).IgnoreError();
  }
}

void LogWriterImpl::FlusherLoop() {
  std::unique_lock<std::mutex> l(mu_);
  while (true) {
    flush_cv_.wait(l, [&] { return !async_.empty() || flusher_stop_; });
    if (async_.empty()) return;  // Stopped, nothing left.
    const Lsn target = async_.back().lsn;
    absl::Status s;
    if (durable_lsn_.load() < target) {
      s = WaitDurable(l, target).status();
      if (!l.owns_lock()) l.lock();
    }
    std::deque<AsyncDone> ready;
    const Lsn durable = durable_lsn_.load();
    while (!async_.empty() && (async_.front().lsn <= durable || !s.ok())) {
      ready.push_back(std::move(async_.front()));
      async_.pop_front();
    }
    l.unlock();
    for (AsyncDone& d : ready) {
      if (d.lsn <= durable) {
        d.done(d.lsn);
      } else {
        d.done(s);
      }
    }
    l.lock();
  }
}

absl::Status LogWriterImpl::Close() {
  {
    std::lock_guard<std::mutex> tl(timer_mu_);
    timer_stop_ = true;
  }
  timer_cv_.notify_all();
  if (timer_.joinable()) timer_.join();
  std::unique_lock<std::mutex> l(mu_);
  if (closed_) return absl::OkStatus();
  absl::Status s = CheckUsable();
  // From here no append is accepted and no round starts; a round in flight
  // finishes, then the last one seals what was accepted before.
  closed_ = true;
  cv_.wait(l, [&] { return !io_busy_; });
  if (s.ok() && !error_.ok()) {
    s = absl::FailedPreconditionError(absl::StrCat(
        "log writer stopped after an I/O error: ", error_.ToString()));
  }
  if (s.ok()) {
    RequestSealLocked();
    s = DoIo(l, /*sync=*/false);
  }
  // Committers still waiting were not covered by the last round (it
  // failed): they see the error.
  final_round_done_ = true;
  WakeAllWaiters();
  if (flusher_.joinable()) {
    // The last round covered every accepted append (or failed): the flusher
    // calls the remaining callbacks, then ends.
    flusher_stop_ = true;
    flush_cv_.notify_all();
    l.unlock();
    flusher_.join();
    l.lock();
  }
  if (live_ != nullptr) {
    // Only after an error: leave the live segment for the next Open().
    live_->Close().IgnoreError();
    live_.reset();
  }
  lock_.reset();
  return s;
}

}  // namespace

absl::StatusOr<std::unique_ptr<LogWriter>> LogWriter::Open(
    Storage* storage, const LogWriterOptions& options) {
  if (options.timeline == 0) {
    return absl::InvalidArgumentError("timeline 0 is not valid");
  }
  if (options.block_size == 0 || options.segment_max_bytes == 0) {
    return absl::InvalidArgumentError("block and segment sizes must be > 0");
  }
  auto w = std::make_unique<LogWriterImpl>(storage, options);
  WAYBACK_RETURN_IF_ERROR(w->Init());
  return std::unique_ptr<LogWriter>(std::move(w));
}

}  // namespace wayback
