// Copyright 2026 The Wayback Authors.
//
// The RocksDB target (layout and write order: rocksdb_target.md). The
// default column family holds exactly the application's pairs; the restore
// marker lives in the column family "wayback", so `ldb --db=PATH scan` shows
// the user's data and nothing else.
//
// Two apply paths:
//  - direct: mutations go into a WriteBatch, written with the WAL disabled
//    every transactions_per_batch transactions. Simple, but every
//    intermediate write pays RocksDB's memtable insert.
//  - staged (stage_in_memory): the replayed state accumulates in a hash map
//    per partition (tombstones for deletes when older data may exist) and is
//    written as sorted SST files and ingested, at Finish() or when the memory
//    bound is reached. Only the final value of each key reaches RocksDB.
// Either way Finish() flushes the memtables before it records the marker
// complete=true with a synced write, so a crash at any point leaves a marker
// that says "incomplete" or a database that is complete.

#include <algorithm>
#include <atomic>
#include <deque>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "rocksdb/sst_file_writer.h"
#include "rocksdb/write_batch.h"
#include "src/target/packed_table.h"
#include "src/util/errors.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

constexpr char kMarkerColumnFamily[] = "wayback";
constexpr char kMarkerKey[] = "restore_marker";
// Scratch directory for SST files before ingestion, inside the database
// directory so that ingestion can hard-link (move) them. RocksDB ignores
// names it did not create.
constexpr char kStagingDir[] = "wayback-staging";
// Per-entry bookkeeping of a staged pair beyond its block (table slot,
// control byte, malloc header, load factor), used only to bound memory.
constexpr uint64_t kEntryOverhead = 32;

rocksdb::Slice ToSlice(std::string_view s) { return {s.data(), s.size()}; }
std::string_view ToView(const rocksdb::Slice& s) {
  return {s.data(), s.size()};
}

// Converts a rocksdb::Status at the edge. `what` names the operation and the
// database path.
absl::Status FromRocks(const rocksdb::Status& s, std::string_view what) {
  if (s.ok()) return absl::OkStatus();
  std::string msg =
      absl::StrCat("rocksdb target: ", AV(what), ": ", s.ToString());
  if (s.IsCorruption()) return absl::DataLossError(msg);
  if (s.IsNotFound()) return absl::NotFoundError(msg);
  if (s.IsInvalidArgument()) return absl::InvalidArgumentError(msg);
  if (s.IsNotSupported()) return absl::UnimplementedError(msg);
  if (s.IsBusy() || s.IsTimedOut() || s.IsTryAgain() || s.IsIncomplete()) {
    return absl::UnavailableError(msg);
  }
  if (s.IsIOError() && (s.IsNoSpace() || s.IsPathNotFound())) {
    return absl::InternalError(msg);
  }
  // Other I/O errors (EIO and the like) are not known to be retryable.
  return absl::InternalError(msg);
}

std::string EncodeMarker(const RestoreMarker& m) {
  nlohmann::json j = {
      {"format", 1},
      {"repository", m.repository},
      {"target", m.target},
      {"timeline", m.timeline},
      {"last_applied_lsn", m.last_applied_lsn},
      {"last_applied_commit_time", m.last_applied_commit_time},
      {"complete", m.complete},
  };
  // JSON cannot carry bytes that are not UTF-8: replace them rather than
  // throw (see rocksdb_target.md).
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<RestoreMarker> DecodeMarker(std::string_view bytes,
                                           std::string_view where) {
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr,
                                           /*allow_exceptions=*/false);
  auto bad = [&](std::string_view why) {
    return absl::DataLossError(absl::StrCat(
        "rocksdb target: restore marker in ", AV(where), ": ", AV(why)));
  };
  if (j.is_discarded() || !j.is_object()) return bad("not a JSON object");
  if (!j.contains("format") || !j["format"].is_number_integer() ||
      j["format"].get<int64_t>() != 1) {
    return bad("unknown format");
  }
  RestoreMarker m;
  auto str = [&](const char* k, std::string* out) {
    if (!j.contains(k) || !j[k].is_string()) return false;
    *out = j[k].get<std::string>();
    return true;
  };
  auto uint = [&](const char* k, uint64_t* out) {
    if (!j.contains(k) || !j[k].is_number_unsigned()) return false;
    *out = j[k].get<uint64_t>();
    return true;
  };
  uint64_t timeline = 0, lsn = 0;
  if (!str("repository", &m.repository) || !str("target", &m.target) ||
      !uint("timeline", &timeline) || timeline > UINT32_MAX ||
      !uint("last_applied_lsn", &lsn) ||
      !j.contains("last_applied_commit_time") ||
      !j["last_applied_commit_time"].is_number_integer() ||
      !j.contains("complete") || !j["complete"].is_boolean()) {
    return bad("missing or mistyped field");
  }
  m.timeline = static_cast<TimelineId>(timeline);
  m.last_applied_lsn = lsn;
  m.last_applied_commit_time = j["last_applied_commit_time"].get<int64_t>();
  m.complete = j["complete"].get<bool>();
  return m;
}

using internal::Entry;
using internal::Table;
// Entry::flags of a tombstone: the key is deleted, hiding any older value in
// RocksDB.
constexpr uint8_t kTombstone = 1;

struct alignas(64) StagePartition {
  Table table;  // Owns its entries (packed_table.h).
  uint64_t bytes = 0;
  // False while RocksDB is known to hold no key of this partition (an empty
  // database, nothing spilled or loaded): deletes then simply erase.
  bool base_may_have_keys = true;

  StagePartition() = default;
  StagePartition(const StagePartition&) = delete;
  StagePartition& operator=(const StagePartition&) = delete;
  ~StagePartition() { internal::FreeAll(&table); }
};

class RocksDBTarget final : public StateTarget {
 public:
  RocksDBTarget(std::string path, const RocksDBTargetOptions& options)
      : path_(std::move(path)), opts_(options) {
    opts_.transactions_per_batch = std::max(opts_.transactions_per_batch, 1);
    opts_.partitions =
        opts_.stage_in_memory ? std::max(opts_.partitions, 1) : 1;
    // A deque: partitions are neither copied nor moved once built.
    for (int i = 0; i < opts_.partitions; ++i) stage_.emplace_back();
    no_wal_.disableWAL = true;
    synced_.sync = true;
  }

  ~RocksDBTarget() override {
    // Without Finish() the staged state and the pending batch are dropped;
    // the marker still says incomplete.
    if (db_ != nullptr) {
      for (rocksdb::ColumnFamilyHandle* h : handles_) {
        db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
      }
      db_->Close().PermitUncheckedError();
      delete db_;
    }
    std::error_code ec;
    std::filesystem::remove_all(StagingDir(), ec);
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
    // SST files of a spill that a crash interrupted are garbage.
    std::error_code ec;
    std::filesystem::remove_all(StagingDir(), ec);
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
    WAYBACK_RETURN_IF_ERROR(
        FromRocks(rocksdb::DB::Open(options_, path_, descs, &handles_, &db_),
                  absl::StrCat("open ", path_)));
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == rocksdb::kDefaultColumnFamilyName) data_cf_ = handles_[i];
      if (names[i] == kMarkerColumnFamily) marker_cf_ = handles_[i];
    }
    WAYBACK_ASSIGN_OR_RETURN(bool data_empty, DataEmpty());
    for (StagePartition& p : stage_) p.base_may_have_keys = !data_empty;
    return absl::OkStatus();
  }

  absl::StatusOr<bool> IsEmpty() override {
    for (const StagePartition& p : stage_) {
      if (!p.table.empty()) return false;
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
    for (StagePartition& p : stage_) {
      internal::FreeAll(&p.table);
      p.bytes = 0;
    }
    // Every key is < (last key + "\0"), and "" is the smallest key, so one
    // range deletion covers the whole column family whatever its bytes.
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), data_cf_));
    it->SeekToLast();
    WAYBACK_RETURN_IF_ERROR(FromRocks(it->status(), Where("clear")));
    if (it->Valid()) {
      std::string end = it->key().ToString();
      end.push_back('\0');
      it.reset();
      WAYBACK_RETURN_IF_ERROR(
          FromRocks(db_->DeleteRange(synced_, data_cf_, rocksdb::Slice(), end),
                    Where("clear")));
      // Reclaim the space now rather than carrying the tombstone into the
      // restore that follows.
      rocksdb::CompactRangeOptions cro;
      cro.bottommost_level_compaction =
          rocksdb::BottommostLevelCompaction::kForce;
      WAYBACK_RETURN_IF_ERROR(FromRocks(
          db_->CompactRange(cro, data_cf_, nullptr, nullptr), Where("clear")));
    }
    WAYBACK_RETURN_IF_ERROR(FromRocks(
        db_->Delete(synced_, marker_cf_, kMarkerKey), Where("clear marker")));
    for (StagePartition& p : stage_) p.base_may_have_keys = false;
    return absl::OkStatus();
  }

  absl::Status Begin(const RestoreMarker& marker) override {
    RestoreMarker m = marker;
    m.complete = false;
    // Synced through the WAL: a crash from here on leaves "incomplete".
    return FromRocks(db_->Put(synced_, marker_cf_, kMarkerKey, EncodeMarker(m)),
                     Where("write restore marker"));
  }

  absl::Status Finish(const RestoreMarker& marker) override {
    WAYBACK_RETURN_IF_ERROR(WritePending());
    rocksdb::FlushOptions fo;
    fo.wait = true;
    WAYBACK_RETURN_IF_ERROR(
        FromRocks(db_->Flush(fo, data_cf_), Where("flush")));
    RestoreMarker m = marker;
    m.complete = true;
    WAYBACK_RETURN_IF_ERROR(
        FromRocks(db_->Put(synced_, marker_cf_, kMarkerKey, EncodeMarker(m)),
                  Where("write restore marker")));
    WAYBACK_RETURN_IF_ERROR(
        FromRocks(db_->Flush(fo, marker_cf_), Where("flush marker")));
    return FromRocks(db_->SyncWAL(), Where("sync WAL"));
  }

  absl::StatusOr<std::optional<RestoreMarker>> ReadMarker() override {
    std::string bytes;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), marker_cf_, kMarkerKey, &bytes);
    if (s.IsNotFound()) return std::optional<RestoreMarker>();
    WAYBACK_RETURN_IF_ERROR(FromRocks(s, Where("read restore marker")));
    WAYBACK_ASSIGN_OR_RETURN(RestoreMarker m, DecodeMarker(bytes, path_));
    return std::optional<RestoreMarker>(std::move(m));
  }

  absl::Status LoadSnapshot(SnapshotReader* snapshot) override {
    // Flush anything applied before, so the ingested files (newer sequence
    // numbers) and older data cannot be confused.
    WAYBACK_RETURN_IF_ERROR(WritePending());
    std::unique_ptr<SnapshotIterator> it = snapshot->NewIterator();
    const std::string& name = snapshot->info().name;
    // The pairs arrive sorted: straight into SST files, checked against the
    // snapshot's digest before anything is ingested.
    StateDigest digest;
    SstSeries series(this);
    std::string_view key, value;
    while (it->Next(&key, &value)) {
      digest.Add(key, value);
      absl::Status s = series.Put(key, value);
      if (!s.ok()) {
        if (absl::IsInvalidArgument(s)) {
          return absl::DataLossError(absl::StrCat(
              "snapshot ", AV(name), ": keys out of order at pair ",
              digest.count, ": ", s.message()));
        }
        return s;
      }
    }
    WAYBACK_RETURN_IF_ERROR(it->status());
    if (!(digest == snapshot->info().digest)) {
      return absl::DataLossError(absl::StrCat(
          "snapshot ", AV(name), ": pairs digest to ", digest.ToString(),
          " but the footer says ", snapshot->info().digest.ToString()));
    }
    WAYBACK_RETURN_IF_ERROR(series.FinishAndIngest());
    for (StagePartition& p : stage_) p.base_may_have_keys = true;
    return absl::OkStatus();
  }

  absl::Status ApplyTransaction(const LogRecord& record) override {
    auto it = record.mutations();
    MutationView m;
    uint32_t applied = 0;
    if (opts_.stage_in_memory) {
      const int n = static_cast<int>(stage_.size());
      while (it.Next(&m)) {
        WAYBACK_RETURN_IF_ERROR(Stage(stage_[PartitionOf(m.key, n)], m));
        ++applied;
      }
    } else {
      while (it.Next(&m)) {
        rocksdb::Status s =
            m.type == MutationType::kDelete
                ? batch_.Delete(data_cf_, ToSlice(m.key))
                : batch_.Put(data_cf_, ToSlice(m.key), ToSlice(m.value));
        WAYBACK_RETURN_IF_ERROR(FromRocks(s, Where("batch")));
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

  absl::Status ApplyMutation(int partition, const MutationView& m) override {
    if (!opts_.stage_in_memory) {
      return absl::UnimplementedError(
          "rocksdb target: partitioned apply needs stage_in_memory");
    }
    if (partition < 0 || partition >= static_cast<int>(stage_.size())) {
      return absl::InvalidArgumentError(absl::StrCat(
          "rocksdb target: partition ", partition, " out of range"));
    }
    return Stage(stage_[partition], m);
  }

  absl::StatusOr<StateDigest> Digest() override {
    StateDigest d;
    WAYBACK_RETURN_IF_ERROR(
        ForEach([&](std::string_view k, std::string_view v) {
          d.Add(k, v);
          return true;
        }));
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
      if (!fn(ToView(it->key()), ToView(it->value()))) break;
    }
    return FromRocks(it->status(), Where("iterate"));
  }

  absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) override {
    if (opts_.stage_in_memory) {
      const StagePartition& p =
          stage_[PartitionOf(key, static_cast<int>(stage_.size()))];
      auto sit = p.table.find(AV(key));
      if (sit != p.table.end()) {
        if ((*sit)->flags & kTombstone) return std::optional<std::string>();
        return std::optional<std::string>((*sit)->value());
      }
    } else if (batch_.Count() > 0) {
      WAYBACK_RETURN_IF_ERROR(WritePending());
    }
    std::string value;
    rocksdb::Status s =
        db_->Get(rocksdb::ReadOptions(), data_cf_, ToSlice(key), &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    WAYBACK_RETURN_IF_ERROR(FromRocks(s, Where("get")));
    return std::optional<std::string>(std::move(value));
  }

 private:
  // Writes sorted entries into a series of SST files of about
  // sst_file_size bytes each, then ingests them all at once (their key ranges
  // do not overlap, so one ingestion places them together).
  class SstSeries {
   public:
    explicit SstSeries(RocksDBTarget* t) : t_(t) {}
    ~SstSeries() {
      std::error_code ec;
      for (const std::string& f : files_) std::filesystem::remove(f, ec);
    }
    absl::Status Put(std::string_view key, std::string_view value) {
      WAYBACK_RETURN_IF_ERROR(Roll());
      return FromRocks(writer_->Put(ToSlice(key), ToSlice(value)),
                       t_->Where("write SST"));
    }
    absl::Status Delete(std::string_view key) {
      WAYBACK_RETURN_IF_ERROR(Roll());
      return FromRocks(writer_->Delete(ToSlice(key)), t_->Where("write SST"));
    }
    absl::Status FinishAndIngest() {
      WAYBACK_RETURN_IF_ERROR(CloseFile());
      if (files_.empty()) return absl::OkStatus();
      rocksdb::IngestExternalFileOptions io;
      io.move_files = true;
      io.write_global_seqno = false;
      WAYBACK_RETURN_IF_ERROR(
          FromRocks(t_->db_->IngestExternalFile(t_->data_cf_, files_, io),
                    t_->Where("ingest SST files")));
      return absl::OkStatus();
    }

   private:
    absl::Status Roll() {
      if (writer_ != nullptr && writer_->FileSize() < t_->opts_.sst_file_size) {
        return absl::OkStatus();
      }
      WAYBACK_RETURN_IF_ERROR(CloseFile());
      std::error_code ec;
      std::filesystem::create_directories(t_->StagingDir(), ec);
      if (ec) {
        return IoError("create directory", t_->StagingDir(), ec.value());
      }
      std::string file =
          absl::StrCat(t_->StagingDir(), "/", t_->next_file_++, ".sst");
      writer_ = std::make_unique<rocksdb::SstFileWriter>(
          rocksdb::EnvOptions(), t_->options_, t_->data_cf_);
      WAYBACK_RETURN_IF_ERROR(
          FromRocks(writer_->Open(file), t_->Where("create SST")));
      files_.push_back(std::move(file));
      return absl::OkStatus();
    }
    absl::Status CloseFile() {
      if (writer_ == nullptr) return absl::OkStatus();
      absl::Status s = FromRocks(writer_->Finish(), t_->Where("finish SST"));
      writer_.reset();
      return s;
    }

    RocksDBTarget* t_;
    std::unique_ptr<rocksdb::SstFileWriter> writer_;
    std::vector<std::string> files_;
  };

  std::string Where(std::string_view op) const {
    return absl::StrCat(AV(op), " in ", path_);
  }
  std::string StagingDir() const {
    return absl::StrCat(path_, "/", kStagingDir);
  }

  absl::StatusOr<bool> DataEmpty() {
    std::unique_ptr<rocksdb::Iterator> it(
        db_->NewIterator(rocksdb::ReadOptions(), data_cf_));
    it->SeekToFirst();
    WAYBACK_RETURN_IF_ERROR(FromRocks(it->status(), Where("iterate")));
    return !it->Valid();
  }

  // The staged hot path: one probe per mutation, value storage reused.
  absl::Status Stage(StagePartition& p, const MutationView& m) {
    const absl::string_view key = AV(m.key);
    if (m.type == MutationType::kDelete && !p.base_may_have_keys) {
      // Nothing older to hide: forget the key.
      auto it = p.table.find(key);
      if (it != p.table.end()) {
        Entry* e = *it;
        p.bytes -= EntryBytes(e);
        p.table.erase(it);
        std::free(e);
      }
      return absl::OkStatus();
    }
    const std::string_view value =
        m.type == MutationType::kDelete ? std::string_view() : m.value;
    bool inserted = false;
    auto it = p.table.lazy_emplace(key, [&](const auto& ctor) {
      inserted = true;
      ctor(Entry::New(m.key, value));
    });
    Entry* e = *it;
    if (!inserted) {
      p.bytes -= EntryBytes(e);
      e = internal::AssignValue(it, value);
    }
    e->flags = m.type == MutationType::kDelete ? kTombstone : 0;
    p.bytes += EntryBytes(e);
    if (p.bytes > opts_.stage_memory_limit / stage_.size()) return Spill(p);
    return absl::OkStatus();
  }

  static uint64_t EntryBytes(const Entry* e) {
    return sizeof(Entry) + e->key_size + e->value_capacity + kEntryOverhead;
  }

  // Writes one partition's staged state as sorted SST files and ingests
  // them. Partitions hold disjoint keys, so partitions may spill
  // concurrently, in any order.
  absl::Status Spill(StagePartition& p) {
    if (p.table.empty()) return absl::OkStatus();
    const Table* tables[] = {&p.table};
    std::vector<const Entry*> entries = internal::SortedEntries(tables, 1);
    SstSeries series(this);
    for (const Entry* e : entries) {
      if (e->flags & kTombstone) {
        // With nothing older in RocksDB a tombstone hides nothing.
        if (p.base_may_have_keys) {
          WAYBACK_RETURN_IF_ERROR(series.Delete(e->key()));
        }
      } else {
        WAYBACK_RETURN_IF_ERROR(series.Put(e->key(), e->value()));
      }
    }
    WAYBACK_RETURN_IF_ERROR(series.FinishAndIngest());
    internal::FreeAll(&p.table);
    p.bytes = 0;
    p.base_may_have_keys = true;
    return absl::OkStatus();
  }

  // Writes the pending batch (direct) or spills every partition (staged).
  absl::Status WritePending() {
    if (batch_.Count() > 0) {
      WAYBACK_RETURN_IF_ERROR(
          FromRocks(db_->Write(no_wal_, &batch_), Where("write batch")));
      batch_.Clear();
    }
    batch_txns_ = 0;
    if (stage_.size() == 1) return Spill(stage_[0]);
    // Partitions hold disjoint keys: sort and write them in parallel (the
    // sort and SST encoding are most of Finish()), one thread each.
    std::vector<absl::Status> results(stage_.size());
    std::vector<std::thread> threads;
    threads.reserve(stage_.size());
    for (size_t i = 0; i < stage_.size(); ++i) {
      threads.emplace_back(
          [this, &results, i] { results[i] = Spill(stage_[i]); });
    }
    for (std::thread& t : threads) t.join();
    for (absl::Status& st : results) WAYBACK_RETURN_IF_ERROR(st);
    return absl::OkStatus();
  }

  const std::string path_;
  RocksDBTargetOptions opts_;
  rocksdb::Options options_;
  rocksdb::DB* db_ = nullptr;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
  rocksdb::ColumnFamilyHandle* data_cf_ = nullptr;
  rocksdb::ColumnFamilyHandle* marker_cf_ = nullptr;
  rocksdb::WriteOptions no_wal_;
  rocksdb::WriteOptions synced_;
  rocksdb::WriteBatch batch_;
  int batch_txns_ = 0;
  std::deque<StagePartition> stage_;
  std::atomic<uint64_t> next_file_{0};
};

}  // namespace

absl::StatusOr<std::unique_ptr<StateTarget>> OpenRocksDBTarget(
    std::string_view path, const RocksDBTargetOptions& options) {
  auto target = std::make_unique<RocksDBTarget>(std::string(path), options);
  WAYBACK_RETURN_IF_ERROR(target->Open());
  return std::unique_ptr<StateTarget>(std::move(target));
}

}  // namespace wayback
