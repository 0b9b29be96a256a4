// Copyright 2026 The Wayback Authors.
//
// Restore(): loads the plan's snapshot, then rolls the log forward through a
// pipeline:
//
//   reader thread        ranged reads of the plan's blocks, in order, ahead
//                        of need, adjacent blocks coalesced into reads of up
//                        to 1 MiB (bounded: a fixed number of slots and
//                        kMaxBytesInFlight bytes)
//        │ work queue
//   worker pool          block header check, CRC32C, zstd decompression and
//   (options.threads)    record validation (log_format::UnpackBlock)
//        │ ring of slots, consumed in sequence order
//   ordered stage        block continuity (LSN, time), the exact stop at
//   (calling thread)     plan.last_lsn, and apply: either ApplyTransaction()
//                        inline, or, for a partitioned target, mutation views
//                        dispatched per PartitionOf(key) to one apply thread
//                        per partition.
//
// Slots (stored bytes + decoded block + per-partition view lists) are
// recycled, and their buffers keep their capacity, so the hot path allocates
// nothing per mutation: records and mutations are views into the slot's
// decompressed buffer. A slot returns to the free list only once every stage
// is done with it (for partitioned apply, when the last partition thread has
// applied its share).
//
// Atomicity at the stop: the ordered stage only ever hands out whole
// transactions with lsn <= plan.last_lsn, so the state at the end contains
// exactly the admitted transactions, whichever thread applied each mutation.
// On any error the target is left as it is, marked incomplete by Begin(), and
// Finish() is never called.

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "src/log/block.h"
#include "src/log/segment_format.h"
#include "src/recovery/internal.h"
#include "src/util/compression.h"
#include "src/util/errors.h"
#include "wayback/recovery.h"
#include "wayback/status.h"

namespace wayback {
namespace {

// In-flight bounds. The byte bound counts stored + raw bytes of the blocks
// held; one block is always admitted so a block larger than the bound still
// makes progress.
constexpr uint64_t kMaxBytesInFlight = 64ull << 20;

struct Task {
  size_t segment;  // Index into plan.segments.
  BlockInfo block;
};

// Bytes of consecutive blocks of one segment fetched by one ranged read.
// Object stores charge per request, so the reader asks for up to kChunkBytes
// at a time rather than one block at a time; slots share the chunk.
constexpr uint64_t kChunkBytes = 1ull << 20;
struct Chunk {
  std::string buffer;
  std::string_view bytes;  // Into buffer, or into memory the object owns.
  uint64_t offset = 0;     // Of bytes[0] in the object.
};

struct Slot {
  uint64_t seq = 0;
  const Task* task = nullptr;
  uint64_t cost = 0;
  std::shared_ptr<const Chunk> chunk;
  std::string_view bytes;  // The block (header + payload), inside chunk.
  log_format::DecodedBlock decoded;
  absl::Status status;
  bool ready = false;
  bool queued = false;  // In the work queue, not yet taken by a worker.
  // Partitioned apply: this block's mutations for each partition.
  std::vector<std::vector<MutationView>> parts;
  std::atomic<int> pending{0};
};

class Pipeline {
 public:
  Pipeline(Storage* storage, const RecoveryPlan& plan, StateTarget* target,
           const RestoreOptions& options, RestoreResult* result)
      : storage_(storage),
        plan_(plan),
        target_(target),
        options_(options),
        result_(result) {}
  ~Pipeline() { Stop(); }

  absl::Status Run();
  // The last transaction the pipeline applied, if any.
  const std::optional<CommitRef>& last_applied() const { return last_applied_; }
  // Progress counters continue from the snapshot load's.
  void set_progress(const RestoreProgress& p) { progress_ = p; }

 private:
  void ReaderLoop();
  // Reads tasks_[seq] and the adjacent blocks after it in one ranged read;
  // *end becomes one past the last task read.
  absl::Status ReadChunk(uint64_t seq, std::shared_ptr<const Chunk>* out,
                         uint64_t* end);
  absl::Status Unpack(Slot* s, ZstdDecompressor* decompressor);
  void WorkerLoop();
  void PartitionLoop(int p);
  void Release(Slot* s);
  void Fail(absl::Status s);
  void Stop();
  absl::Status Consume(Slot* s, bool* done);
  void ReportProgress(bool force);

  Storage* storage_;
  const RecoveryPlan& plan_;
  StateTarget* target_;
  const RestoreOptions& options_;
  RestoreResult* result_;

  std::vector<Task> tasks_;
  std::vector<std::unique_ptr<ReadableObject>> objects_;  // Per segment.
  std::vector<std::unique_ptr<Slot>> slots_;
  int partitions_ = 1;

  std::mutex mu_;
  std::condition_variable free_cv_, work_cv_, ready_cv_, part_cv_;
  std::vector<Slot*> free_;
  std::deque<Slot*> work_;
  std::vector<Slot*> ring_;
  std::vector<std::deque<Slot*>> part_queues_;
  uint64_t bytes_in_flight_ = 0;
  bool cancel_ = false;    // An error: every thread stops.
  bool finished_ = false;  // The ordered stage is done: threads drain, exit.
  absl::Status error_;     // First error of a background thread.
  std::vector<std::thread> threads_;

  // Ordered-stage state.
  Lsn prev_last_lsn_ = kNoLsn;
  CommitTime prev_last_time_ = 0;
  bool first_block_ = true;
  Lsn last_seen_ = kNoLsn;
  std::optional<CommitRef> last_applied_;
  absl::Time last_progress_ = absl::InfinitePast();
  RestoreProgress progress_;
};

void Pipeline::Fail(absl::Status s) {
  std::lock_guard<std::mutex> l(mu_);
  if (error_.ok()) error_ = std::move(s);
  cancel_ = true;
  free_cv_.notify_all();
  work_cv_.notify_all();
  ready_cv_.notify_all();
  part_cv_.notify_all();
}

void Pipeline::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    finished_ = true;
    free_cv_.notify_all();
    work_cv_.notify_all();
    ready_cv_.notify_all();
    part_cv_.notify_all();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Pipeline::Release(Slot* s) {
  s->chunk.reset();
  s->bytes = {};
  std::lock_guard<std::mutex> l(mu_);
  bytes_in_flight_ -= s->cost;
  free_.push_back(s);
  free_cv_.notify_one();
}

absl::Status Pipeline::ReadChunk(uint64_t seq,
                                 std::shared_ptr<const Chunk>* out,
                                 uint64_t* end) {
  const Task& first = tasks_[seq];
  const SegmentInfo& seg = plan_.segments[first.segment];
  // Extend over the following blocks of the same segment while they are
  // adjacent and the chunk stays within kChunkBytes.
  uint64_t length = first.block.stored_size;
  uint64_t next = seq + 1;
  while (next < tasks_.size() && tasks_[next].segment == first.segment &&
         tasks_[next].block.offset == first.block.offset + length &&
         length + tasks_[next].block.stored_size <= kChunkBytes) {
    length += tasks_[next].block.stored_size;
    ++next;
  }
  auto& object = objects_[first.segment];
  if (object == nullptr) {
    absl::StatusOr<std::unique_ptr<ReadableObject>> o =
        storage_->OpenForRead(seg.name);
    if (!o.ok()) {
      if (o.status().code() != absl::StatusCode::kNotFound) return o.status();
      return absl::DataLossError(absl::StrCat(
          "segment ", seg.name, " (lsn ", seg.first_lsn, "..", seg.last_lsn,
          ") disappeared during the restore: ", o.status().message()));
    }
    object = std::move(*o);
  }
  auto chunk = std::make_shared<Chunk>();
  chunk->offset = first.block.offset;
  chunk->buffer.resize(length);
  WAYBACK_ASSIGN_OR_RETURN(
      chunk->bytes,
      object->ReadAt(first.block.offset, length, chunk->buffer.data()));
  *out = std::move(chunk);
  *end = next;
  return absl::OkStatus();
}

void Pipeline::ReaderLoop() {
  std::shared_ptr<const Chunk> chunk;
  uint64_t chunk_end = 0;  // Tasks [.., chunk_end) are in `chunk`.
  for (uint64_t seq = 0; seq < tasks_.size(); ++seq) {
    const Task& task = tasks_[seq];
    const uint64_t cost =
        uint64_t{task.block.stored_size} + task.block.raw_size;
    Slot* s;
    {
      std::unique_lock<std::mutex> l(mu_);
      free_cv_.wait(l, [&] {
        return cancel_ || finished_ ||
               (!free_.empty() &&
                (bytes_in_flight_ == 0 ||
                 bytes_in_flight_ + cost <= kMaxBytesInFlight));
      });
      if (cancel_ || finished_) return;
      s = free_.back();
      free_.pop_back();
      bytes_in_flight_ += cost;
    }
    s->seq = seq;
    s->task = &task;
    s->cost = cost;
    s->ready = false;
    s->status = absl::OkStatus();
    const SegmentInfo& seg = plan_.segments[task.segment];
    if (seq >= chunk_end) {
      chunk.reset();
      chunk_end = seq + 1;
      absl::Status st = ReadChunk(seq, &chunk, &chunk_end);
      if (!st.ok()) s->status = std::move(st);
    }
    if (s->status.ok()) {
      const uint64_t at = task.block.offset - chunk->offset;
      if (at + task.block.stored_size > chunk->bytes.size()) {
        s->status = CorruptionAt(
            seg.name, task.block.offset, task.block.first_lsn,
            absl::StrCat(
                "block truncated: the object ends ",
                chunk->bytes.size() > at ? chunk->bytes.size() - at : 0,
                " bytes into its ", task.block.stored_size, " bytes"));
      } else {
        s->chunk = chunk;
        s->bytes = chunk->bytes.substr(at, task.block.stored_size);
      }
    }
    std::lock_guard<std::mutex> l(mu_);
    ring_[seq % ring_.size()] = s;
    if (s->status.ok()) {
      s->queued = true;
      work_.push_back(s);
      work_cv_.notify_one();
    } else {
      s->ready = true;
      ready_cv_.notify_all();
    }
  }
}

absl::Status Pipeline::Unpack(Slot* s, ZstdDecompressor* decompressor) {
  const SegmentInfo& seg = plan_.segments[s->task->segment];
  const BlockInfo& b = s->task->block;
  log_format::BlockHeader header;
  WAYBACK_RETURN_IF_ERROR(log_format::DecodeBlockHeader(
      seg.name, b.offset, s->bytes.substr(0, log_format::kBlockHeaderSize),
      &header));
  WAYBACK_RETURN_IF_ERROR(
      recovery_internal::CheckHeaderMatchesIndex(seg.name, b, header));
  return log_format::UnpackBlock(seg.name, b.offset, header,
                                 s->bytes.substr(log_format::kBlockHeaderSize),
                                 decompressor, &s->decoded);
}

void Pipeline::WorkerLoop() {
  ZstdDecompressor decompressor;
  for (;;) {
    Slot* s;
    {
      std::unique_lock<std::mutex> l(mu_);
      work_cv_.wait(l, [&] { return cancel_ || finished_ || !work_.empty(); });
      if (cancel_ || finished_) return;
      s = work_.front();
      work_.pop_front();
      s->queued = false;
    }
    absl::Status st = Unpack(s, &decompressor);
    std::lock_guard<std::mutex> l(mu_);
    s->status = std::move(st);
    s->ready = true;
    ready_cv_.notify_all();
  }
}

void Pipeline::PartitionLoop(int p) {
  for (;;) {
    Slot* s;
    {
      std::unique_lock<std::mutex> l(mu_);
      part_cv_.wait(
          l, [&] { return cancel_ || finished_ || !part_queues_[p].empty(); });
      if (part_queues_[p].empty()) return;  // Finished (or cancelled).
      s = part_queues_[p].front();
      part_queues_[p].pop_front();
    }
    bool skip;
    {
      std::lock_guard<std::mutex> l(mu_);
      skip = cancel_;
    }
    if (!skip) {
      for (const MutationView& m : s->parts[p]) {
        absl::Status st = target_->ApplyMutation(p, m);
        if (!st.ok()) {
          Fail(std::move(st));
          break;
        }
      }
    }
    if (s->pending.fetch_sub(1, std::memory_order_acq_rel) == 1) Release(s);
  }
}

void Pipeline::ReportProgress(bool force) {
  if (!options_.progress) return;
  absl::Time now = absl::Now();
  if (!force && now - last_progress_ < absl::Milliseconds(100)) return;
  last_progress_ = now;
  options_.progress(progress_);
}

absl::Status Pipeline::Consume(Slot* s, bool* done) {
  const SegmentInfo& seg = plan_.segments[s->task->segment];
  const log_format::DecodedBlock& d = s->decoded;
  if (first_block_) {
    if (d.header.first_lsn > plan_.first_lsn) {
      return CorruptionAt(
          seg.name, d.offset, d.header.first_lsn,
          absl::StrCat("the log starts after lsn ", plan_.first_lsn,
                       ", which the plan "
                       "needs"));
    }
    first_block_ = false;
  } else {
    WAYBACK_RETURN_IF_ERROR(log_format::CheckBlockFollows(
        seg.name, d.offset, d.header, prev_last_lsn_, prev_last_time_));
  }
  prev_last_lsn_ = d.header.last_lsn;
  prev_last_time_ = d.header.last_commit_time;

  const bool partitioned = partitions_ > 1;
  if (partitioned) {
    for (auto& v : s->parts) v.clear();
  }
  for (const LogRecord& r : d.records) {
    if (r.lsn < plan_.first_lsn) continue;
    if (r.lsn > plan_.last_lsn) {
      *done = true;
      break;
    }
    last_seen_ = r.lsn;
    result_->raw_bytes_applied += r.encoded_size;
    if (r.type != RecordType::kTransaction) continue;
    if (partitioned) {
      auto it = r.mutations();
      MutationView m;
      while (it.Next(&m)) {
        s->parts[PartitionOf(m.key, partitions_)].push_back(m);
      }
    } else {
      absl::Status st = target_->ApplyTransaction(r);
      if (!st.ok()) {
        return absl::Status(st.code(),
                            absl::StrCat("applying lsn ", r.lsn,
                                         " to the target: ", st.message()));
      }
    }
    ++result_->transactions_applied;
    result_->mutations_applied += r.mutation_count;
    last_applied_ = CommitRef{r.lsn, r.commit_time, r.txid};
  }
  if (last_seen_ == plan_.last_lsn) *done = true;
  progress_.bytes_read += s->task->block.stored_size;
  progress_.transactions_applied = result_->transactions_applied;
  result_->bytes_read += s->task->block.stored_size;

  if (!partitioned) {
    Release(s);
    return absl::OkStatus();
  }
  int nonempty = 0;
  for (const auto& v : s->parts) nonempty += v.empty() ? 0 : 1;
  if (nonempty == 0) {
    Release(s);
    return absl::OkStatus();
  }
  s->pending.store(nonempty, std::memory_order_release);
  std::lock_guard<std::mutex> l(mu_);
  for (int p = 0; p < partitions_; ++p) {
    if (!s->parts[p].empty()) part_queues_[p].push_back(s);
  }
  part_cv_.notify_all();
  return absl::OkStatus();
}

absl::Status Pipeline::Run() {
  if (plan_.last_lsn < plan_.first_lsn) return absl::OkStatus();
  for (size_t i = 0; i < plan_.segments.size(); ++i) {
    for (const BlockInfo& b : plan_.segments[i].blocks) {
      if (b.last_lsn >= plan_.first_lsn && b.first_lsn <= plan_.last_lsn) {
        tasks_.push_back({i, b});
      }
    }
  }
  if (tasks_.empty()) {
    return absl::FailedPreconditionError(
        absl::StrCat("the plan names no block holding lsn ", plan_.first_lsn,
                     "..", plan_.last_lsn));
  }
  objects_.resize(plan_.segments.size());
  int threads = options_.threads > 0
                    ? options_.threads
                    : static_cast<int>(std::thread::hardware_concurrency());
  threads = std::clamp(threads, 1, 256);
  partitions_ = std::max(1, target_->partitions());
  const size_t nslots = static_cast<size_t>(2 * threads + 2 + partitions_);
  for (size_t i = 0; i < nslots; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->parts.resize(partitions_);
    free_.push_back(slots_.back().get());
  }
  ring_.assign(nslots, nullptr);
  part_queues_.resize(partitions_);

  threads_.emplace_back([this] { ReaderLoop(); });
  for (int i = 0; i < threads; ++i) {
    threads_.emplace_back([this] { WorkerLoop(); });
  }
  if (partitions_ > 1) {
    for (int p = 0; p < partitions_; ++p) {
      threads_.emplace_back([this, p] { PartitionLoop(p); });
    }
  }

  ZstdDecompressor decompressor;
  bool done = false;
  for (uint64_t seq = 0; seq < tasks_.size() && !done; ++seq) {
    Slot* s;
    {
      std::unique_lock<std::mutex> l(mu_);
      const size_t i = seq % ring_.size();
      // Wait until the block is unpacked, or still queued: then the
      // ordered stage unpacks it itself rather than wait for a worker to
      // wake up (which, on a busy machine, costs a scheduling delay per
      // block).
      ready_cv_.wait(l, [&] {
        return cancel_ || (ring_[i] != nullptr && ring_[i]->seq == seq &&
                           (ring_[i]->ready || ring_[i]->queued));
      });
      if (cancel_) return error_;
      s = ring_[i];
      ring_[i] = nullptr;
      if (!s->ready) {
        work_.erase(std::find(work_.begin(), work_.end(), s));
        s->queued = false;
        l.unlock();
        s->status = Unpack(s, &decompressor);
        s->ready = true;
      }
    }
    if (!s->status.ok()) {
      Fail(s->status);
      return s->status;
    }
    absl::Status st = Consume(s, &done);
    if (!st.ok()) {
      Fail(st);
      return st;
    }
    ReportProgress(false);
  }
  // Let the partition threads drain their queues, then collect any error.
  Stop();
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!error_.ok()) return error_;
  }
  if (last_seen_ != plan_.last_lsn) {
    const SegmentInfo& seg = plan_.segments[tasks_.back().segment];
    return absl::FailedPreconditionError(
        absl::StrCat("the log ends at lsn ", last_seen_, " in ", seg.name,
                     " but the plan needs lsn ", plan_.last_lsn,
                     " (a hole or a segment that shrank)"));
  }
  ReportProgress(true);
  return absl::OkStatus();
}

std::string FormatRef(const std::optional<CommitRef>& r) {
  if (!r) return "none";
  std::string s = absl::StrCat("lsn ", r->lsn, " committed at ",
                               FormatCommitTime(r->commit_time));
  if (r->txid) absl::StrAppend(&s, " (txid ", *r->txid, ")");
  return s;
}

}  // namespace

absl::StatusOr<RestoreResult> Restore(Storage* storage,
                                      const RecoveryPlan& plan,
                                      StateTarget* target,
                                      const RestoreOptions& options) {
  const absl::Time start = absl::Now();
  RestoreResult result;
  result.plan = plan;
  if (plan.snapshot && plan.snapshot->lsn + 1 != plan.first_lsn) {
    return absl::InvalidArgumentError(
        "malformed plan: first_lsn does not follow the snapshot");
  }
  if (!plan.snapshot && plan.first_lsn != 1) {
    return absl::InvalidArgumentError(
        "malformed plan: without a snapshot replay must start at lsn 1");
  }
  WAYBACK_ASSIGN_OR_RETURN(bool empty, target->IsEmpty());
  if (!empty) {
    if (!options.force) {
      return absl::FailedPreconditionError(
          "the restore target is not empty; restore with force to clear it");
    }
    WAYBACK_RETURN_IF_ERROR(target->Clear());
  }
  RestoreMarker marker;
  marker.repository = plan.repository;
  marker.target = plan.target.ToString();
  marker.timeline = plan.target.timeline;
  marker.last_applied_lsn = kNoLsn;  // Nothing applied yet.
  marker.complete = false;
  WAYBACK_RETURN_IF_ERROR(target->Begin(marker));

  RestoreProgress progress;
  for (const SegmentInfo& s : plan.segments) {
    for (const BlockInfo& b : s.blocks) {
      if (b.last_lsn >= plan.first_lsn && b.first_lsn <= plan.last_lsn) {
        progress.bytes_total += b.stored_size;
      }
    }
  }
  if (plan.snapshot) {
    progress.bytes_total += plan.snapshot->size;
    WAYBACK_ASSIGN_OR_RETURN(
        std::unique_ptr<SnapshotReader> reader,
        SnapshotReader::Open(storage, plan.snapshot->name));
    const SnapshotInfo& info = reader->info();
    if (info.lsn != plan.snapshot->lsn ||
        info.timeline != plan.snapshot->timeline ||
        info.digest != plan.snapshot->digest) {
      return absl::FailedPreconditionError(absl::StrCat(
          "snapshot ", plan.snapshot->name,
          " changed since the plan was made (footer lsn ", info.lsn, ")"));
    }
    WAYBACK_RETURN_IF_ERROR(target->LoadSnapshot(reader.get()));
    result.snapshot_pairs = info.pair_count;
    result.bytes_read += info.size;
    progress.bytes_read += info.size;
    progress.snapshot_pairs_loaded = info.pair_count;
    if (options.progress) options.progress(progress);
  }

  {
    Pipeline pipeline(storage, plan, target, options, &result);
    pipeline.set_progress(progress);
    WAYBACK_RETURN_IF_ERROR(pipeline.Run());
    // The last commit applied: from the log if replay applied one, else the
    // plan's last included commit (the one the snapshot ends with).
    result.last_applied =
        pipeline.last_applied() ? pipeline.last_applied() : plan.last_included;
  }
  result.first_not_applied = plan.last_lsn + 1;

  marker.complete = true;
  marker.last_applied_lsn = plan.last_lsn;
  if (result.last_applied) {
    marker.last_applied_commit_time = result.last_applied->commit_time;
  }
  WAYBACK_RETURN_IF_ERROR(target->Finish(marker));
  absl::StatusOr<StateDigest> digest = target->Digest();
  if (digest.ok()) {
    result.digest = *digest;
    if (plan.snapshot && plan.last_lsn == plan.snapshot->lsn &&
        *digest != plan.snapshot->digest) {
      return absl::DataLossError(absl::StrCat(
          "restored state digest ", digest->ToString(),
          " differs from the digest recorded in snapshot ", plan.snapshot->name,
          " (", plan.snapshot->digest.ToString(), ")"));
    }
  } else if (digest.status().code() != absl::StatusCode::kUnimplemented) {
    return digest.status();
  }
  result.elapsed = absl::Now() - start;
  return result;
}

std::string RestoreResult::ToString() const {
  std::string s = absl::StrCat("restored ", plan.target.ToString(), " from ",
                               plan.repository, "\n");
  if (plan.snapshot) {
    absl::StrAppend(&s, "  snapshot:          ", plan.snapshot->name, " (",
                    snapshot_pairs, " pairs)\n");
  }
  absl::StrAppend(&s, "  last applied:      ", FormatRef(last_applied), "\n");
  absl::StrAppend(&s, "  first not applied: lsn ", first_not_applied, "\n");
  absl::StrAppend(&s, "  first excluded:    ", FormatRef(plan.first_excluded),
                  "\n");
  const double secs = std::max(absl::ToDoubleSeconds(elapsed), 1e-9);
  absl::StrAppend(
      &s, "  applied:           ", transactions_applied, " transactions, ",
      mutations_applied, " mutations, ", raw_bytes_applied, " raw log bytes\n",
      "  read:              ", bytes_read, " bytes in ",
      absl::FormatDuration(elapsed), " (",
      static_cast<uint64_t>(transactions_applied / secs), " txn/s, ",
      absl::StrFormat("%.1f", raw_bytes_applied / secs / 1e6),
      " MB/s of raw log)\n");
  absl::StrAppend(&s, "  digest:            ",
                  digest ? digest->ToString() : std::string("n/a"), "\n");
  return s;
}

}  // namespace wayback
