// Copyright 2026 The Wayback Authors.
//
// The RocksDB target (layout and write order: rocksdb_target.md). The
// default column family holds exactly the application's pairs; the restore
// marker (restore_marker.h) lives in the column family "wayback", so
// `ldb --db=PATH scan` shows the user's data and nothing else.
//
// This file orchestrates; the parts live beside it:
//   staging.h       the staged state: a hash table per key partition, its
//                   arena, spilling to sorted runs (run_file.h)
//   staged_write.h  the staged state into SST files at Finish(): key ranges,
//                   sort (sort_merge.h), merge with the runs, digest
//   snapshot_load.h snapshot blocks straight into SST files
//   sst_series.h    SST file writing and the one ingestion
//   rocksdb_status.h RocksDB's errors as absl::Status
//
// Two apply paths:
//  - direct: mutations go into a WriteBatch, written with the WAL disabled
//    every transactions_per_batch transactions. Simple, but every
//    intermediate write pays RocksDB's memtable insert.
//  - staged (stage_in_memory): only the final value of each key reaches
//    RocksDB. The replayed state accumulates in a StagePartition per key
//    partition (one apply thread each), which spills sorted runs when it
//    outgrows its share of stage_memory_limit; at Finish() (or before any
//    read of the database) WriteStagedState() writes it as sorted,
//    disjoint SST files ingested at once, folding the state digest from the
//    sorted streams, so Restore()'s Digest() costs nothing instead of a
//    full scan.
// Snapshot loads write SST files straight from the snapshot's blocks, the
// digest checked against the footer before the one ingestion.
// Either way Finish() flushes the memtables before it records the marker
// complete=true with a synced write, so a crash at any point leaves a marker
// that says "incomplete" or a database that is complete.

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <deque>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/write_batch.h"
#include "src/snapshot/snapshot_chain.h"
#include "src/snapshot/snapshot_file.h"
#include "src/target/packed_table.h"
#include "src/target/rocksdb/restore_marker.h"
#include "src/target/rocksdb/rocksdb_status.h"
#include "src/target/rocksdb/run_file.h"
#include "src/target/rocksdb/scratch_dir.h"
#include "src/target/rocksdb/snapshot_load.h"
#include "src/target/rocksdb/sst_series.h"
#include "src/target/rocksdb/staged_write.h"
#include "src/target/rocksdb/staging.h"
#include "src/util/errors.h"
#include "wayback/rocksdb.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using internal::Entry;
using rocksdb_internal::DecodeMarker;
using rocksdb_internal::EncodeMarker;
using rocksdb_internal::kMarkerColumnFamily;
using rocksdb_internal::kMarkerKey;
using rocksdb_internal::kTombstone;
using rocksdb_internal::StagePartition;

class RocksDBTarget final : public StateTarget {
 public:
  RocksDBTarget(std::string path, const RocksDBTargetOptions& options)
      : path_(std::move(path)), opts_(options), scratch_(path_) {
    opts_.transactions_per_batch = std::max(opts_.transactions_per_batch, 1);
    opts_.partitions =
        opts_.stage_in_memory ? std::max(opts_.partitions, 1) : 1;
    write_threads_ =
        opts_.write_threads > 0
            ? opts_.write_threads
            : std::max(1,
                       static_cast<int>(std::thread::hardware_concurrency()));
    // Arena chunks of at most an eighth of a partition's share, so that a
    // small bound is not exceeded by one chunk.
    const uint64_t share = opts_.stage_memory_limit / opts_.partitions;
    const size_t chunk =
        static_cast<size_t>(std::clamp<uint64_t>(share / 8, 4 << 10, 4 << 20));
    for (int i = 0; i < opts_.partitions; ++i) {
      stage_.emplace_back();
      stage_.back().limit = share;
      stage_.back().arena.set_chunk(chunk);
    }
    no_wal_.disableWAL = true;
    synced_.sync = true;
  }

  ~RocksDBTarget() override {
    // Without Finish() the staged state and the pending batch are dropped;
    // the marker still says incomplete.
    release_.Wait();
    stage_.clear();
    sink_.reset();
    if (db_ != nullptr) {
      for (rocksdb::ColumnFamilyHandle* h : handles_) {
        db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
      }
      db_->Close().PermitUncheckedError();
      delete db_;
    }
    scratch_.Remove();
  }

  absl::Status Open() {
    options_.create_if_missing = opts_.create_if_missing;
    options_.create_missing_column_families = true;
    // Replay is one bulk writer: big memtables, background work on both
    // cores, no per-write WAL (disabled per write).
    options_.max_background_jobs = 2;
    options_.write_buffer_size = 128 << 20;
    options_.max_write_buffer_number = 4;
    options_.target_file_size_base = 128 << 20;
    options_.max_bytes_for_level_base = 1024 << 20;
    if (!opts_.create_if_missing &&
        !std::filesystem::exists(std::filesystem::path(path_) / "CURRENT")) {
      return absl::NotFoundError(absl::StrCat("rocksdb target: no database at ",
                                              path_,
                                              " (create_if_missing is false)"));
    }
    // SST files and runs of a restore that a crash interrupted are garbage.
    scratch_.Remove();
    std::vector<std::string> names;
    rocksdb::Status ls =
        rocksdb::DB::ListColumnFamilies(options_, path_, &names);
    if (!ls.ok() || names.empty()) names = {rocksdb::kDefaultColumnFamilyName};
    if (std::find(names.begin(), names.end(), kMarkerColumnFamily) ==
        names.end()) {
      names.push_back(kMarkerColumnFamily);
    }
    std::vector<rocksdb::ColumnFamilyDescriptor> descs;
    for (const std::string& n : names) {
      descs.emplace_back(n, rocksdb::ColumnFamilyOptions(options_));
    }
    WAYBACK_RETURN_IF_ERROR(rocksdb_internal::FromRocksDB(
        rocksdb::DB::Open(options_, path_, descs, &handles_, &db_),
        absl::StrCat("rocksdb target: open ", path_)));
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == rocksdb::kDefaultColumnFamilyName) data_cf_ = handles_[i];
      if (names[i] == kMarkerColumnFamily) marker_cf_ = handles_[i];
    }
    sink_ = std::make_unique<rocksdb_internal::SstSink>(
        db_, data_cf_, options_, opts_.sst_file_size, opts_.direct_writes,
        &scratch_, path_);
    WAYBACK_ASSIGN_OR_RETURN(base_empty_, DataEmpty());
    // The digest of an empty database is known; of anything else, only a
    // scan tells.
    if (base_empty_) digest_ = StateDigest();
    return absl::OkStatus();
  }

  absl::StatusOr<bool> IsEmpty() override {
    for (const StagePartition& p : stage_) {
      if (!p.empty()) return false;
    }
    if (batch_.Count() > 0) return false;
    WAYBACK_ASSIGN_OR_RETURN(bool data_empty, DataEmpty());
    if (!data_empty) return false;
    WAYBACK_ASSIGN_OR_RETURN(std::optional<RestoreMarker> m, ReadMarker());
    return !m.has_value();
  }

  absl::Status Clear() override {
    batch_.Clear();
    batch_txns_ = 0;
    for (StagePartition& p : stage_) p.Reset();
    // Every key is < (last key + "\0"), and "" is the smallest key, so one
    // range deletion covers the whole column family whatever its bytes.
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), data_cf_));
    it->SeekToLast();
    WAYBACK_RETURN_IF_ERROR(Check(it->status(), "clear"));
    if (it->Valid()) {
      std::string end = it->key().ToString();
      end.push_back('\0');
      it.reset();
      WAYBACK_RETURN_IF_ERROR(Check(
          db_->DeleteRange(synced_, data_cf_, rocksdb::Slice(), end), "clear"));
      // Reclaim the space now rather than carrying the tombstone into the
      // restore that follows.
      rocksdb::CompactRangeOptions cro;
      cro.bottommost_level_compaction =
          rocksdb::BottommostLevelCompaction::kForce;
      WAYBACK_RETURN_IF_ERROR(
          Check(db_->CompactRange(cro, data_cf_, nullptr, nullptr), "clear"));
    }
    WAYBACK_RETURN_IF_ERROR(
        Check(db_->Delete(synced_, marker_cf_, kMarkerKey), "clear marker"));
    base_empty_ = true;
    digest_ = StateDigest();
    return absl::OkStatus();
  }

  absl::Status Begin(const RestoreMarker& marker) override {
    RestoreMarker m = marker;
    m.complete = false;
    // Synced through the WAL: a crash from here on leaves "incomplete".
    return Check(db_->Put(synced_, marker_cf_, kMarkerKey, EncodeMarker(m)),
                 "write restore marker");
  }

  absl::Status Finish(const RestoreMarker& marker) override {
    WAYBACK_RETURN_IF_ERROR(WritePending());
    rocksdb::FlushOptions fo;
    fo.wait = true;
    WAYBACK_RETURN_IF_ERROR(Check(db_->Flush(fo, data_cf_), "flush"));
    RestoreMarker m = marker;
    m.complete = true;
    WAYBACK_RETURN_IF_ERROR(
        Check(db_->Put(synced_, marker_cf_, kMarkerKey, EncodeMarker(m)),
              "write restore marker"));
    WAYBACK_RETURN_IF_ERROR(Check(db_->Flush(fo, marker_cf_), "flush marker"));
    return Check(db_->SyncWAL(), "sync WAL");
  }

  absl::StatusOr<std::optional<RestoreMarker>> ReadMarker() override {
    std::string bytes;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), marker_cf_, kMarkerKey, &bytes);
    if (s.IsNotFound()) return std::optional<RestoreMarker>();
    WAYBACK_RETURN_IF_ERROR(Check(s, "read restore marker"));
    WAYBACK_ASSIGN_OR_RETURN(RestoreMarker m, DecodeMarker(bytes, path_));
    return std::optional<RestoreMarker>(std::move(m));
  }

  absl::Status LoadSnapshot(SnapshotReader* snapshot) override {
    // Write anything applied before, so the ingested files (newer sequence
    // numbers) and older data cannot be confused.
    WAYBACK_RETURN_IF_ERROR(WritePending());
    const bool was_empty = base_empty_;
    SnapshotFile* file = AsSnapshotFile(snapshot);
    if (file != nullptr) {
      WAYBACK_RETURN_IF_ERROR(rocksdb_internal::LoadSnapshotBlocks(
          file, WriterRanges(), sink_.get()));
    } else if (std::vector<std::string> splits =
                   ChainSplitKeys(snapshot, WriterRanges());
               !splits.empty()) {
      WAYBACK_RETURN_IF_ERROR(
          rocksdb_internal::LoadSnapshotRanges(snapshot, splits, sink_.get()));
    } else {
      WAYBACK_RETURN_IF_ERROR(
          rocksdb_internal::LoadSnapshotPairs(snapshot, sink_.get()));
    }
    // The pairs were checked against the footer's digest before anything
    // was ingested: loaded into an empty database, that is the state's.
    if (snapshot->info().pair_count > 0) base_empty_ = false;
    if (was_empty) {
      digest_ = snapshot->info().digest;
    } else {
      digest_.reset();
    }
    return absl::OkStatus();
  }

  absl::Status ApplyTransaction(const LogRecord& record) override {
    auto it = record.mutations();
    MutationView m;
    uint32_t applied = 0;
    if (opts_.stage_in_memory) {
      const int n = static_cast<int>(stage_.size());
      while (it.Next(&m)) {
        WAYBACK_RETURN_IF_ERROR(
            stage_[n == 1 ? 0 : PartitionOf(m.key, n)].Stage(m, base_empty_,
                                                             &scratch_));
        ++applied;
      }
    } else {
      while (it.Next(&m)) {
        rocksdb::Status s = m.type == MutationType::kDelete
                                ? batch_.Delete(data_cf_, rocksdb::Slice(m.key))
                                : batch_.Put(data_cf_, rocksdb::Slice(m.key),
                                             rocksdb::Slice(m.value));
        WAYBACK_RETURN_IF_ERROR(Check(s, "batch"));
        ++applied;
      }
      if (++batch_txns_ >= opts_.transactions_per_batch) {
        WAYBACK_RETURN_IF_ERROR(WritePending());
      }
    }
    if (applied != record.mutation_count) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rocksdb target: malformed mutations in record at lsn ", record.lsn));
    }
    return absl::OkStatus();
  }

  int partitions() const override { return static_cast<int>(stage_.size()); }

  // Partitioned apply needs the staged mode and a partition in range.
  absl::Status CheckPartition(int partition) const {
    if (!opts_.stage_in_memory) {
      return absl::UnimplementedError(
          "rocksdb target: partitioned apply needs stage_in_memory");
    }
    if (partition < 0 || partition >= static_cast<int>(stage_.size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rocksdb target: partition ", partition, " out of range"));
    }
    return absl::OkStatus();
  }

  absl::Status ApplyMutation(int partition, const MutationView& m) override {
    WAYBACK_RETURN_IF_ERROR(CheckPartition(partition));
    return stage_[partition].Stage(m, base_empty_, &scratch_);
  }

  // The replayer's per-block call: the loop stays inline and hides the two
  // cache misses of a probe (the table is much larger than the caches, and
  // the entries gigabytes). Each key is hashed once, kSlotAhead mutations
  // ahead, and its table slot prefetched; kEntryAhead mutations ahead, with
  // the slot in cache by then, the entry whose slot matches the hash (an
  // overwrite or delete; found without reading an entry) is prefetched: its
  // header and key for the compare, and the lines the new value goes to.
  // Without these prefetches the read of the entry's header in the probe
  // dominates Stage() (docs/performance.md).
  absl::Status ApplyMutationBatch(
      int partition, std::span<const MutationView> mutations) override {
    WAYBACK_RETURN_IF_ERROR(CheckPartition(partition));
    StagePartition& p = stage_[partition];
    constexpr size_t kSlotAhead = 16;
    constexpr size_t kEntryAhead = 8;
    constexpr size_t kRing = 32;  // Hashes of the mutations in flight.
    static_assert(kRing > kSlotAhead && (kRing & (kRing - 1)) == 0);
    size_t hashes[kRing];
    const size_t n = mutations.size();
    const internal::EntryHash hash;
    auto key_of = [&](size_t j) {
      return internal::HashedKey{AV(mutations[j].key), hashes[j % kRing]};
    };
    for (size_t j = 0; j < std::min(n, kSlotAhead); ++j) {
      hashes[j] = hash(AV(mutations[j].key));
    }
    for (size_t i = 0; i < n; ++i) {
      if (i + kSlotAhead < n) {
        const size_t j = i + kSlotAhead;
        hashes[j % kRing] = hash(AV(mutations[j].key));
        p.table.prefetch(key_of(j));
      }
      if (i + kEntryAhead < n) {
        const size_t j = i + kEntryAhead;
        auto it = p.table.find(internal::HashOnly{hashes[j % kRing]});
        if (it != p.table.end()) {
          const char* e = reinterpret_cast<const char*>(*it);
          const size_t bytes = sizeof(Entry) + mutations[j].key.size() +
                               mutations[j].value.size();
          for (size_t off = 0; off < bytes; off += 64) {
            __builtin_prefetch(e + off, 1);
          }
        }
      }
      WAYBACK_RETURN_IF_ERROR(
          p.Stage(mutations[i], key_of(i), base_empty_, &scratch_));
    }
    return absl::OkStatus();
  }

  // Reserves the staging tables for the mutations to come (an upper bound
  // on the keys), within the memory bound, so they do not rehash as they
  // grow.
  void ExpectMutations(uint64_t mutations) override {
    if (!opts_.stage_in_memory) return;
    const uint64_t n = stage_.size();
    const uint64_t by_memory = opts_.stage_memory_limit / n / 64;
    const uint64_t per_part =
        std::min({mutations / n + 1, by_memory, uint64_t{8} << 20});
    for (StagePartition& p : stage_) {
      p.table.reserve(p.table.size() + per_part);
    }
  }

  absl::StatusOr<StateDigest> Digest() override {
    WAYBACK_RETURN_IF_ERROR(WritePending());
    // Known when every write since an empty database went through
    // WriteStaged() or a snapshot load, which fold it from the sorted
    // streams they write.
    if (digest_) return *digest_;
    StateDigest d;
    WAYBACK_RETURN_IF_ERROR(
        ForEach([&](std::string_view k, std::string_view v) {
          d.Add(k, v);
          return true;
        }));
    digest_ = d;
    return d;
  }

  absl::Status ForEach(
      const std::function<bool(std::string_view, std::string_view)>& fn)
      override {
    WAYBACK_RETURN_IF_ERROR(WritePending());
    rocksdb::ReadOptions ro;
    ro.fill_cache = false;
    ro.readahead_size = 2 << 20;
    std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, data_cf_));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
      if (!fn(it->key().ToStringView(), it->value().ToStringView())) break;
    }
    return Check(it->status(), "iterate");
  }

  absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) override {
    if (opts_.stage_in_memory) {
      const StagePartition& p =
          stage_[PartitionOf(key, static_cast<int>(stage_.size()))];
      if (!p.runs.empty()) {
        // The key may sit in a run on disk: publish everything first.
        WAYBACK_RETURN_IF_ERROR(WritePending());
      } else {
        auto sit = p.table.find(AV(key));
        if (sit != p.table.end()) {
          if ((*sit)->flags & kTombstone) return std::optional<std::string>();
          return std::optional<std::string>((*sit)->value());
        }
      }
    } else if (batch_.Count() > 0) {
      WAYBACK_RETURN_IF_ERROR(WritePending());
    }
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), data_cf_, rocksdb::Slice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    WAYBACK_RETURN_IF_ERROR(Check(s, "get"));
    return std::optional<std::string>(std::move(value));
  }

 private:
  // Key ranges, and threads, for writing SST files: more than the write
  // threads, so that a thread blocked on a write (O_DIRECT, or a full page
  // cache) leaves its core to another range's sort or write. A snapshot
  // load writes each range on its own thread; the staged state is cut finer
  // and its ranges taken in key order by a pool that sorts one range while
  // it writes another (staged_write.h). docs/performance.md has the
  // measurements behind the factors.
  static constexpr int kSnapshotRangesPerWriteThread = 4;
  static constexpr int kStagedRangesPerWriteThread = 8;
  static constexpr int kStagedWritersPerWriteThread = 4;
  size_t WriterRanges() const {
    return static_cast<size_t>(
        std::min(64, write_threads_ * kSnapshotRangesPerWriteThread));
  }
  size_t StagedRanges() const {
    return static_cast<size_t>(
        std::min(128, write_threads_ * kStagedRangesPerWriteThread));
  }
  size_t StagedWriters() const {
    return static_cast<size_t>(
        std::min(64, write_threads_ * kStagedWritersPerWriteThread));
  }

  // `s` at the edge, named by the operation and the database path. Builds
  // the message only on error (called per mutation on the direct path).
  absl::Status Check(const rocksdb::Status& s, std::string_view op) const {
    if (s.ok()) return absl::OkStatus();
    return rocksdb_internal::FromRocksDB(
        s, rocksdb_internal::TargetContext(op, path_));
  }

  absl::StatusOr<bool> DataEmpty() {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), data_cf_));
    it->SeekToFirst();
    WAYBACK_RETURN_IF_ERROR(Check(it->status(), "iterate"));
    return !it->Valid();
  }

  // Publishes the staged state (staged_write.h) and frees it. The digest
  // stays known if it was: the ranges' deltas are folded in.
  absl::Status WriteStaged() {
    bool any = false;
    for (const StagePartition& p : stage_) any = any || !p.empty();
    if (!any) return absl::OkStatus();
    rocksdb_internal::StagedWriteOptions o;
    o.ranges = StagedRanges();
    o.writers = StagedWriters();
    o.keep_tombstones = !base_empty_;
    if (digest_.has_value() && !base_empty_) {
      o.base = db_;
      o.base_cf = data_cf_;
    }
    WAYBACK_ASSIGN_OR_RETURN(
        std::vector<StateDigest> digests,
        rocksdb_internal::WriteStagedState(stage_, o, sink_.get()));
    for (const StateDigest& d : digests) {
      if (digest_) digest_->Merge(d);
    }
    if (base_empty_) {
      // Only puts reach the files of an empty database; any pair written
      // makes it non-empty.
      for (const StateDigest& d : digests) {
        if (d.count != 0) base_empty_ = false;
      }
    }
    release_.Release(&stage_);
    return absl::OkStatus();
  }

  // Writes the pending batch (direct) or the staged state.
  absl::Status WritePending() {
    if (batch_.Count() > 0) {
      WAYBACK_RETURN_IF_ERROR(
          Check(db_->Write(no_wal_, &batch_), "write batch"));
      batch_.Clear();
      // Written without reading what it replaced: only a scan knows the
      // digest now.
      digest_.reset();
      base_empty_ = false;
    }
    batch_txns_ = 0;
    return WriteStaged();
  }

  const std::string path_;
  RocksDBTargetOptions opts_;
  // PATH/wayback-staging: SST files before ingestion, spilled runs.
  rocksdb_internal::ScratchDir scratch_;
  int write_threads_ = 1;
  rocksdb::Options options_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* data_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* marker_cf_ = nullptr;
  rocksdb::WriteOptions no_wal_;
  rocksdb::WriteOptions synced_;
  rocksdb::WriteBatch batch_;
  int batch_txns_ = 0;
  // True while the database is known to hold no pair: deletes then need no
  // tombstone. Read by the partition threads while they apply (never
  // written then).
  bool base_empty_ = false;
  // The digest of the database's pairs, when known without a scan.
  std::optional<StateDigest> digest_;
  // A deque: partitions are neither copied nor moved once built.
  std::deque<StagePartition> stage_;
  rocksdb_internal::BackgroundRelease release_;
  // SST files of staged writes and snapshot loads (set by Open()).
  std::unique_ptr<rocksdb_internal::SstSink> sink_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<StateTarget>> OpenRocksDBTarget(
    std::string_view path, const RocksDBTargetOptions& options) {
  auto target = std::make_unique<RocksDBTarget>(std::string(path), options);
  WAYBACK_RETURN_IF_ERROR(target->Open());
  return std::unique_ptr<StateTarget>(std::move(target));
}

}  // namespace wayback
