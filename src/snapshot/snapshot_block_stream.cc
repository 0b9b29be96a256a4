// Copyright 2026 The Wayback Authors.
//
// A bounded ring of `window` slots: a worker may claim block i only once
// block i - window has been handed back by the consumer, so memory stays at
// `window` decoded blocks however fast the workers are. Workers hash their
// block's pairs too, so the digest check costs the consumer one 128-bit add
// per block.

#include "src/snapshot/snapshot_block_stream.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "src/util/errors.h"

namespace wayback {

SnapshotBlockStream::SnapshotBlockStream(
    const SnapshotFile* file, const SnapshotBlockStreamOptions& options)
    : file_(file),
      options_(options),
      window_(std::max<size_t>(
          1, options.window != 0
                 ? options.window
                 : 2 * static_cast<size_t>(std::max(1, options.threads)))),
      count_(file->block_count()) {
  slots_.reserve(window_);
  for (size_t i = 0; i < window_; ++i)
    slots_.push_back(std::make_unique<Slot>());
  const size_t threads = std::min<size_t>(
      static_cast<size_t>(std::max(1, options.threads)), count_);
  for (size_t t = 0; t < threads; ++t)
    workers_.emplace_back([this] { Work(); });
}

SnapshotBlockStream::~SnapshotBlockStream() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
  }
  workers_cv_.notify_all();
  for (std::thread& t : workers_) t.join();
}

void SnapshotBlockStream::Work() {
  while (true) {
    size_t i;
    {
      std::unique_lock<std::mutex> lock(mu_);
      workers_cv_.wait(lock, [this] {
        return stop_ || next_claim_ >= count_ ||
               next_claim_ < consumed_ + window_;
      });
      if (stop_ || next_claim_ >= count_) return;
      i = next_claim_++;
    }
    Slot& slot = *slots_[i % window_];
    slot.digest = StateDigest();
    slot.status = file_->ReadBlock(i, &slot.block);
    if (slot.status.ok() && options_.verify_digest) {
      SnapshotBlock::Iterator it = slot.block.pairs();
      std::string_view k, v;
      while (it.Next(&k, &v)) slot.digest.Add(k, v);
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      slot.ready = true;
    }
    consumer_cv_.notify_one();
  }
}

const SnapshotBlock* SnapshotBlockStream::Next() {
  if (done_) return nullptr;
  if (file_->info().kind != SnapshotKind::kFull) {
    // A delta's entries are not the state: a loader takes it through its
    // chain (OpenSnapshotChain), never block by block.
    done_ = true;
    status_ = absl::FailedPreconditionError(
        absl::StrCat(AV(file_->info().name),
                     " is a delta snapshot: load it through its chain"));
    return nullptr;
  }
  if (holding_) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      slots_[(next_ - 1) % window_]->ready = false;
      ++consumed_;
    }
    holding_ = false;
    workers_cv_.notify_one();
  }
  if (next_ == count_) {
    done_ = true;
    if (options_.verify_digest) status_ = file_->CheckDigest(digest_);
    return nullptr;
  }
  Slot& slot = *slots_[next_ % window_];
  {
    std::unique_lock<std::mutex> lock(mu_);
    consumer_cv_.wait(lock, [&slot] { return slot.ready; });
    if (!slot.status.ok()) {
      status_ = slot.status;
      done_ = true;
      stop_ = true;  // Read no further: the consumer will not take it.
      lock.unlock();
      workers_cv_.notify_all();
      return nullptr;
    }
  }
  digest_.Merge(slot.digest);
  holding_ = true;
  ++next_;
  return &slot.block;
}

}  // namespace wayback
