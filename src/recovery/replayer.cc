// Copyright 2026 The Wayback Authors.
//
// Restore(): loads the plan's snapshot, then rolls the log forward through a
// pipeline:
//
//   reader thread   ranged reads of the plan's blocks, in order, ahead of
//                   need, adjacent blocks coalesced into reads of up to 1 MiB
//                   (bounded: max_blocks_in_flight slots and
//                   max_bytes_in_flight bytes); started before the snapshot
//                   load, so the log is read (and unpacked) while the
//                   snapshot loads
//        │ unpack queue (sequence order)
//   lanes           options.threads threads, the calling thread among them.
//                   Each lane loops over two kinds of task:
//                     unpack  block header check, CRC32C, zstd, record
//                             validation (log_format::UnpackBlock), then the
//                             block's share of the plan (records within
//                             first_lsn..last_lsn, their counts) and, for a
//                             partitioned target, its mutations split into
//                             one list of views per partition;
//                     apply   one partition's next admitted blocks, in order,
//                             one ApplyMutationBatch() (or, unpartitioned,
//                             ApplyTransactionBatch()) per block.
//                   Apply tasks come first (they free memory), then unpack.
//   admission       in sequence order, under the lock, by whichever lane
//                   finishes an unpack: the error of a block (reported in
//                   order), block continuity (LSN, time), the stop at
//                   plan.last_lsn, and the counters.
//
// Why lanes rather than a thread per stage: a profile of the stage design
// (workers, an ordered thread splitting mutations, a thread per partition)
// found it doing twice the CPU work of the apply itself, in per-mutation
// hand-offs and copies, and 6 threads on 2 cores waking each other. Here the
// hand-off unit is a block (~100 mutations) or a run of blocks, a lane only
// sleeps when there is nothing at all to do, and the total number of busy
// threads is options.threads (the reader waits on I/O).
//
// Which thread applies: partition p by lane p % lanes only (cache affinity,
// see LaneLoop), and an unpartitioned target on the calling thread only, so
// that a callback target sees every transaction on the thread that called
// Restore(). Under load, lanes share the process's CPU share (the kernel's
// autogroup scheduling), so what counts there is CPU per mutation, not
// parallelism; on an idle machine the lanes run in parallel.
//
// Slots (stored bytes + decoded block + per-partition view lists) are
// recycled, and their buffers keep their capacity, so the hot path allocates
// nothing per mutation: records and mutations are views into the slot's
// decompressed buffer. A slot returns to the free list once every partition
// has passed it; as partitions pass blocks in order, slots are released in
// sequence order and a ring of max_blocks_in_flight entries indexes them.
//
// Atomicity at the stop: only blocks admitted in order are applied, and of
// those only the records with lsn <= plan.last_lsn, so the state at the end
// contains exactly the admitted transactions, whichever lane applied each
// mutation. On any error the target is left as it is, marked incomplete by
// Begin(), and Finish() is never called.

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
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

// Default bound on bytes in flight (stored + raw bytes of the blocks held).
constexpr uint64_t kDefaultBytesInFlight = 64ull << 20;

struct Task {
  size_t segment;  // Index into plan.segments.
  BlockInfo block;
};

// Bytes of consecutive blocks of one segment fetched by one ranged read.
// Object stores charge per request, so the reader asks for up to kChunkBytes
// at a time rather than one block at a time; slots share the chunk.
constexpr uint64_t kChunkBytes = 1ull << 20;
struct Chunk {
  std::unique_ptr<char[]> buffer;  // Not zero-filled.
  size_t capacity = 0;
  std::string_view bytes;  // Into buffer, or into memory the object owns.
  uint64_t offset = 0;     // Of bytes[0] in the object.
};

// Chunks are recycled: a fresh 1 MiB buffer per read cost a zero-fill and,
// on memory the process had not touched yet, 256 page faults (6 % of a
// staged restore's page faults, profiled). Shared by the pipeline and the
// deleters of the chunks it hands out, which may outlive it.
class ChunkPool : public std::enable_shared_from_this<ChunkPool> {
 public:
  // A chunk with room for `length` bytes; back to the pool when released.
  std::shared_ptr<Chunk> Get(size_t length) {
    std::unique_ptr<Chunk> c;
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!free_.empty()) {
        c = std::move(free_.back());
        free_.pop_back();
      }
    }
    if (c == nullptr) c = std::make_unique<Chunk>();
    if (c->capacity < length) {
      c->capacity = std::max<size_t>(length, kChunkBytes);
      c->buffer.reset(new char[c->capacity]);
    }
    c->bytes = {};
    c->offset = 0;
    return std::shared_ptr<Chunk>(
        c.release(), [pool = shared_from_this()](Chunk* c) { pool->Put(c); });
  }

 private:
  // Chunks beyond the bound, or larger than a usual read (a single block
  // bigger than kChunkBytes), are freed.
  static constexpr size_t kMaxFree = 128;
  void Put(Chunk* c) {
    std::unique_ptr<Chunk> owned(c);
    if (owned->capacity > kChunkBytes) return;
    std::lock_guard<std::mutex> l(mu_);
    if (free_.size() < kMaxFree) free_.push_back(std::move(owned));
  }

  std::mutex mu_;
  std::vector<std::unique_ptr<Chunk>> free_;
};

struct Slot {
  uint64_t seq = 0;
  const Task* task = nullptr;
  uint64_t cost = 0;
  std::shared_ptr<const Chunk> chunk;
  std::string_view bytes;  // The block (header + payload), inside chunk.
  log_format::DecodedBlock decoded;
  absl::Status status;
  bool unpacked = false;  // Unpacked (or failed): ready for admission.
  int pending = 0;        // Partitions yet to pass this block (admitted).

  // The block's share of the plan, computed by the unpacking lane:
  // decoded.records[lo, hi) have first_lsn <= lsn <= last_lsn.
  size_t lo = 0, hi = 0;
  bool past_stop = false;  // Holds a record after plan.last_lsn.
  uint64_t transactions = 0, mutations = 0, raw_bytes = 0;
  std::optional<CommitRef> last_transaction;
  // Partitioned apply: this block's mutations for each partition.
  std::vector<std::vector<MutationView>> parts;
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

  // Starts the reader and the helper lanes, which read and unpack ahead
  // while the caller loads the snapshot; nothing is applied before Run().
  absl::Status Start();
  // Applies the log: the calling thread becomes a lane. Returns when every
  // admitted block is applied, or at the first error.
  absl::Status Run();
  // The last transaction the pipeline applied, if any.
  const std::optional<CommitRef>& last_applied() const { return last_applied_; }
  // Progress counters continue from the snapshot load's.
  RestoreProgress progress() {
    std::lock_guard<std::mutex> l(mu_);
    return progress_;
  }
  void set_progress(const RestoreProgress& p) {
    std::lock_guard<std::mutex> l(mu_);
    progress_.bytes_total = p.bytes_total;
    progress_.snapshot_pairs_loaded = p.snapshot_pairs_loaded;
    progress_.bytes_read += p.bytes_read;
  }

 private:
  void ReaderLoop();
  // Reads tasks_[seq] and the adjacent blocks after it in one ranged read;
  // *end becomes one past the last task read.
  absl::Status ReadChunk(uint64_t seq, std::shared_ptr<const Chunk>* out,
                         uint64_t* end);
  absl::Status Unpack(Slot* s, ZstdDecompressor* decompressor);
  // The block's share of the plan and its per-partition lists.
  void Prepare(Slot* s);
  // One lane; lane 0 is the calling thread (which alone applies an
  // unpartitioned target and reports progress).
  absl::Status LaneLoop(int lane);
  absl::Status ApplyBlock(Slot* s, int partition);
  // Under mu_: admits unpacked blocks in sequence order.
  void AdmitLocked();
  void ReleaseLocked(Slot* s);
  void FailLocked(absl::Status s);
  void Stop();
  bool AllAppliedLocked() const;
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
  int lanes_ = 1;
  uint64_t max_bytes_in_flight_ = kDefaultBytesInFlight;
  bool started_ = false;

  std::mutex mu_;
  std::condition_variable free_cv_;  // The reader waits for a free slot.
  std::condition_variable lane_cv_;  // Lanes wait for a task.
  std::vector<Slot*> free_;
  std::deque<Slot*> work_;   // Read, waiting for an unpack.
  std::vector<Slot*> ring_;  // Slot of seq at seq % size, until released.
  uint64_t bytes_in_flight_ = 0;
  uint64_t peak_bytes_in_flight_ = 0;
  bool reader_awake_ = true;  // False while the reader waits for slots.
  size_t refill_ = 1;         // Free slots that wake a waiting reader.
  bool apply_open_ = false;   // Run() has begun: apply tasks may run.
  bool cancel_ = false;       // An error: every thread stops.
  bool finished_ = false;     // Stop(): threads exit.
  absl::Status error_;        // First error.
  std::vector<std::thread> threads_;
  int idle_lanes_ = 0;

  // Admission state (under mu_).
  uint64_t admitted_ = 0;  // Blocks [0, admitted_) are admitted.
  bool done_ = false;      // The stop is admitted: admit nothing more.
  Lsn prev_last_lsn_ = kNoLsn;
  CommitTime prev_last_time_ = 0;
  std::optional<uint64_t> prev_source_position_;
  Lsn last_seen_ = kNoLsn;
  std::optional<CommitRef> last_applied_;
  // Counters of the admitted records, added to *result_ at the end (the
  // caller writes *result_ during the snapshot load).
  uint64_t transactions_ = 0, mutations_ = 0, raw_bytes_ = 0, bytes_read_ = 0;
  RestoreProgress progress_;
  std::shared_ptr<ChunkPool> chunk_pool_ = std::make_shared<ChunkPool>();
  // Per partition (under mu_): the next block to apply, and whether a lane
  // is applying it.
  std::vector<uint64_t> next_;
  std::vector<char> busy_;

  absl::Time last_progress_ = absl::InfinitePast();
};

void Pipeline::FailLocked(absl::Status s) {
  if (error_.ok()) error_ = std::move(s);
  cancel_ = true;
  free_cv_.notify_all();
  lane_cv_.notify_all();
}

void Pipeline::Stop() {
  {
    std::lock_guard<std::mutex> l(mu_);
    finished_ = true;
    free_cv_.notify_all();
    lane_cv_.notify_all();
  }
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void Pipeline::ReleaseLocked(Slot* s) {
  s->chunk.reset();
  s->bytes = {};
  ring_[s->seq % ring_.size()] = nullptr;
  bytes_in_flight_ -= s->cost;
  free_.push_back(s);
  if (!reader_awake_ && free_.size() >= refill_) free_cv_.notify_one();
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
    if (!seg.sealed && absl::IsNotFound(o.status())) {
      // The writer sealed it since the plan was made: the sealed object is
      // the live one's bytes plus a footer, so the planned blocks are at the
      // same offsets.
      o = storage_->OpenForRead(
          SegmentObjectName(seg.timeline, seg.first_lsn, /*sealed=*/true));
    }
    if (!o.ok()) {
      if (o.status().code() != absl::StatusCode::kNotFound) return o.status();
      return absl::DataLossError(absl::StrCat(
          "segment ", seg.name, " (lsn ", seg.first_lsn, "..", seg.last_lsn,
          ") disappeared during the restore: ", o.status().message()));
    }
    object = std::move(*o);
  }
  std::shared_ptr<Chunk> chunk = chunk_pool_->Get(length);
  chunk->offset = first.block.offset;
  WAYBACK_ASSIGN_OR_RETURN(
      chunk->bytes,
      object->ReadAt(first.block.offset, length, chunk->buffer.get()));
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
      // Hysteresis: once it had to wait, the reader sleeps until half the
      // slots are free rather than waking for every slot released (a
      // context switch per block, profiled), then reads a batch.
      auto may_take = [&] {
        return !free_.empty() && (reader_awake_ || free_.size() >= refill_) &&
               (bytes_in_flight_ == 0 ||
                bytes_in_flight_ + cost <= max_bytes_in_flight_);
      };
      if (!may_take()) {
        reader_awake_ = false;
        free_cv_.wait(
            l, [&] { return cancel_ || finished_ || done_ || may_take(); });
        reader_awake_ = true;
      }
      if (cancel_ || finished_ || done_) return;
      s = free_.back();
      free_.pop_back();
      bytes_in_flight_ += cost;
      peak_bytes_in_flight_ = std::max(peak_bytes_in_flight_, bytes_in_flight_);
    }
    s->seq = seq;
    s->task = &task;
    s->cost = cost;
    s->unpacked = false;
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
      work_.push_back(s);
      if (idle_lanes_ > 0) lane_cv_.notify_one();
    } else {
      // Reported when admission reaches it, in order.
      s->unpacked = true;
      AdmitLocked();
    }
  }
}

absl::Status Pipeline::Unpack(Slot* s, ZstdDecompressor* decompressor) {
  const SegmentInfo& seg = plan_.segments[s->task->segment];
  const BlockInfo& b = s->task->block;
  log_format::BlockHeader header;
  WAYBACK_RETURN_IF_ERROR(log_format::DecodeBlockHeader(
      seg.name, b.offset, s->bytes, b.format_version, &header));
  WAYBACK_RETURN_IF_ERROR(
      recovery_internal::CheckHeaderMatchesIndex(seg.name, b, header));
  return log_format::UnpackBlock(seg.name, b.offset, header,
                                 s->bytes.substr(header.size()), decompressor,
                                 &s->decoded);
}

void Pipeline::Prepare(Slot* s) {
  const std::vector<LogRecord>& records = s->decoded.records;
  s->lo = records.size();
  s->hi = records.size();
  s->past_stop = false;
  s->transactions = s->mutations = s->raw_bytes = 0;
  s->last_transaction.reset();
  const bool partitioned = partitions_ > 1;
  if (partitioned) {
    for (auto& v : s->parts) v.clear();
  }
  for (size_t i = 0; i < records.size(); ++i) {
    const LogRecord& r = records[i];
    if (r.lsn < plan_.first_lsn) continue;
    if (r.lsn > plan_.last_lsn) {
      s->hi = i;
      s->past_stop = true;
      break;
    }
    if (s->lo == records.size()) s->lo = i;
    s->raw_bytes += r.encoded_size;
    if (r.type != RecordType::kTransaction) continue;
    ++s->transactions;
    s->mutations += r.mutation_count;
    s->last_transaction = CommitRef{r.lsn, r.commit_time, r.txid};
    if (partitioned) {
      auto it = r.mutations();
      MutationView m;
      while (it.Next(&m)) {
        s->parts[PartitionOf(m.key, partitions_)].push_back(m);
      }
    }
  }
  if (s->lo > s->hi) s->lo = s->hi;
}

void Pipeline::AdmitLocked() {
  const uint64_t before = admitted_;
  while (!cancel_ && !done_ && admitted_ < tasks_.size()) {
    Slot* s = ring_[admitted_ % ring_.size()];
    if (s == nullptr || s->seq != admitted_ || !s->unpacked) break;
    if (!s->status.ok()) {
      FailLocked(s->status);
      return;
    }
    const SegmentInfo& seg = plan_.segments[s->task->segment];
    const log_format::DecodedBlock& d = s->decoded;
    if (admitted_ == 0) {
      if (d.header.first_lsn > plan_.first_lsn) {
        FailLocked(CorruptionAt(
            seg.name, d.offset, d.header.first_lsn,
            absl::StrCat("the log starts after lsn ", plan_.first_lsn,
                         ", which the plan needs")));
        return;
      }
    } else {
      absl::Status st = log_format::CheckBlockFollows(
          seg.name, d.offset, d.header, prev_last_lsn_, prev_last_time_);
      if (st.ok()) {
        st = log_format::CheckSourcePositionsFollow(seg.name, d.offset, d,
                                                    prev_source_position_);
      }
      if (!st.ok()) {
        FailLocked(std::move(st));
        return;
      }
    }
    prev_last_lsn_ = d.header.last_lsn;
    prev_last_time_ = d.header.last_commit_time;
    if (d.last_source_position) prev_source_position_ = d.last_source_position;
    if (s->hi > s->lo) last_seen_ = d.records[s->hi - 1].lsn;
    raw_bytes_ += s->raw_bytes;
    transactions_ += s->transactions;
    mutations_ += s->mutations;
    bytes_read_ += s->task->block.stored_size;
    if (s->last_transaction) last_applied_ = s->last_transaction;
    progress_.bytes_read += s->task->block.stored_size;
    progress_.transactions_applied = transactions_;
    if (s->past_stop || last_seen_ == plan_.last_lsn) done_ = true;
    s->pending = partitions_;
    ++admitted_;
  }
  if (admitted_ != before) {
    lane_cv_.notify_all();
    if (done_) free_cv_.notify_all();  // The reader may stop.
  }
}

bool Pipeline::AllAppliedLocked() const {
  if (!done_ && admitted_ < tasks_.size()) return false;
  for (int p = 0; p < partitions_; ++p) {
    if (next_[p] < admitted_ || busy_[p]) return false;
  }
  return true;
}

absl::Status Pipeline::ApplyBlock(Slot* s, int partition) {
  absl::Status st;
  if (partitions_ > 1) {
    const std::vector<MutationView>& v = s->parts[partition];
    if (v.empty()) return absl::OkStatus();
    st = target_->ApplyMutationBatch(partition, v);
  } else {
    if (s->hi == s->lo) return absl::OkStatus();
    st = target_->ApplyTransactionBatch(
        std::span<const LogRecord>(s->decoded.records)
            .subspan(s->lo, s->hi - s->lo));
  }
  if (st.ok()) return st;
  const log_format::DecodedBlock& d = s->decoded;
  return absl::Status(
      st.code(),
      absl::StrCat("applying the block of lsn ", d.records[s->lo].lsn, "..",
                   d.records[s->hi - 1].lsn, " of ",
                   plan_.segments[s->task->segment].name,
                   " to the target: ", st.message()));
}

void Pipeline::ReportProgress(bool force) {
  if (!options_.progress) return;
  absl::Time now = absl::Now();
  if (!force && now - last_progress_ < absl::Milliseconds(100)) return;
  last_progress_ = now;
  RestoreProgress p;
  {
    std::lock_guard<std::mutex> l(mu_);
    p = progress_;
  }
  options_.progress(p);
}

absl::Status Pipeline::LaneLoop(int lane) {
  const bool caller = lane == 0;
  ZstdDecompressor decompressor;
  std::unique_lock<std::mutex> l(mu_);
  for (;;) {
    if (cancel_) return error_;
    if (finished_) return absl::OkStatus();
    if (apply_open_ && AllAppliedLocked()) {
      lane_cv_.notify_all();  // Let the other lanes see it too.
      return absl::OkStatus();
    }
    // 1. Apply: the next admitted blocks of a partition nobody is applying.
    if (apply_open_ && (partitions_ > 1 || lane == 0)) {
      // A lane applies only its own partitions (p % lanes == lane): each
      // partition's table stays in one core's cache (its control bytes, the
      // first read of every probe, fit in L2), which a profile found worth
      // more than never letting a lane wait while another partition has
      // work. Partition 0, and an unpartitioned target, are lane 0's: the
      // calling thread's.
      int p = -1;
      for (int q = lane; q < partitions_; q += lanes_) {
        if (!busy_[q] && next_[q] < admitted_) {
          p = q;
          break;
        }
      }
      if (p >= 0) {
        busy_[p] = 1;
        const uint64_t from = next_[p];
        const uint64_t to = admitted_;
        l.unlock();
        absl::Status st;
        uint64_t seq = from;
        for (; seq < to && st.ok(); ++seq) {
          // Admitted slots stay in the ring until every partition passed.
          st = ApplyBlock(ring_[seq % ring_.size()], p);
        }
        l.lock();
        busy_[p] = 0;
        if (!st.ok()) {
          FailLocked(std::move(st));
          return error_;
        }
        next_[p] = to;
        for (uint64_t q = from; q < to; ++q) {
          Slot* s = ring_[q % ring_.size()];
          if (--s->pending == 0) ReleaseLocked(s);
        }
        if (caller) {
          l.unlock();
          ReportProgress(false);
          l.lock();
        }
        continue;
      }
    }
    // 2. Unpack the oldest block read.
    if (!work_.empty()) {
      Slot* s = work_.front();
      work_.pop_front();
      l.unlock();
      absl::Status st = Unpack(s, &decompressor);
      if (st.ok()) Prepare(s);
      l.lock();
      s->status = std::move(st);
      s->unpacked = true;
      AdmitLocked();
      continue;
    }
    // 3. Nothing to do.
    ++idle_lanes_;
    if (caller && options_.progress) {
      lane_cv_.wait_for(l, std::chrono::milliseconds(100));
      --idle_lanes_;
      l.unlock();
      ReportProgress(false);
      l.lock();
    } else {
      lane_cv_.wait(l);
      --idle_lanes_;
    }
  }
}

absl::Status Pipeline::Start() {
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
  lanes_ = std::clamp(threads, 1, 256);
  partitions_ = std::max(1, target_->partitions());
  if (options_.max_bytes_in_flight > 0) {
    max_bytes_in_flight_ = options_.max_bytes_in_flight;
  }
  const size_t nslots = static_cast<size_t>(options_.max_blocks_in_flight > 0
                                                ? options_.max_blocks_in_flight
                                                : 8 * lanes_ + 16);
  for (size_t i = 0; i < nslots; ++i) {
    slots_.push_back(std::make_unique<Slot>());
    slots_.back()->parts.resize(partitions_);
    free_.push_back(slots_.back().get());
  }
  ring_.assign(nslots, nullptr);
  refill_ = std::max<size_t>(1, nslots / 2);
  next_.assign(partitions_, 0);
  busy_.assign(partitions_, 0);
  started_ = true;

  threads_.emplace_back([this] { ReaderLoop(); });
  for (int i = 1; i < lanes_; ++i) {
    // A helper lane's error is in error_ (FailLocked), which Run() returns.
    threads_.emplace_back([this, i] { LaneLoop(i).IgnoreError(); });
  }
  return absl::OkStatus();
}

absl::Status Pipeline::Run() {
  if (!started_) return absl::OkStatus();  // Nothing to replay.
  {
    std::lock_guard<std::mutex> l(mu_);
    apply_open_ = true;
    lane_cv_.notify_all();
  }
  absl::Status st = LaneLoop(/*lane=*/0);
  // The helper lanes return once everything is applied (or on an error).
  Stop();
  if (!st.ok()) return st;
  {
    std::lock_guard<std::mutex> l(mu_);
    if (!error_.ok()) return error_;
  }
  result_->transactions_applied += transactions_;
  result_->mutations_applied += mutations_;
  result_->raw_bytes_applied += raw_bytes_;
  result_->bytes_read += bytes_read_;
  result_->peak_bytes_in_flight = peak_bytes_in_flight_;
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
  // The log is read and unpacked (not applied) while the snapshot loads.
  Pipeline pipeline(storage, plan, target, options, &result);
  WAYBACK_RETURN_IF_ERROR(pipeline.Start());
  if (plan.snapshot) {
    if (plan.snapshot_chain.size() > 1) {
      for (const SnapshotInfo& m : plan.snapshot_chain) {
        progress.bytes_total += m.size;
      }
    } else {
      progress.bytes_total += plan.snapshot->size;
    }
    std::unique_ptr<SnapshotReader> reader;
    if (plan.snapshot_chain.size() > 1) {
      std::vector<std::string> names;
      for (const SnapshotInfo& m : plan.snapshot_chain) names.push_back(m.name);
      WAYBACK_ASSIGN_OR_RETURN(reader, OpenSnapshotChain(storage, names));
    } else {
      WAYBACK_ASSIGN_OR_RETURN(
          reader, SnapshotReader::Open(storage, plan.snapshot->name));
    }
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

  uint64_t expected_mutations = 0;
  for (const SegmentInfo& s : plan.segments) {
    expected_mutations += s.mutation_count;
  }
  if (plan.last_lsn >= plan.first_lsn) {
    target->ExpectMutations(expected_mutations);
  }
  pipeline.set_progress(progress);
  WAYBACK_RETURN_IF_ERROR(pipeline.Run());
  // The last commit applied: from the log if replay applied one, else the
  // plan's last included commit (the one the snapshot ends with).
  result.last_applied =
      pipeline.last_applied() ? pipeline.last_applied() : plan.last_included;
  result.first_not_applied = plan.last_lsn + 1;

  marker.complete = true;
  marker.last_applied_lsn = plan.last_lsn;
  if (result.last_applied) {
    marker.last_applied_commit_time = result.last_applied->commit_time;
  }
  if (options.progress) {
    RestoreProgress p = pipeline.progress();
    p.phase = RestoreProgress::Phase::kFinishing;
    options.progress(p);
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
