// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/sst_series.h"

#include <filesystem>
#include <system_error>
#include <utility>

#include "absl/strings/str_cat.h"
#include "rocksdb/table.h"
#include "src/target/rocksdb/rocksdb_status.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::rocksdb_internal {

rocksdb::Options SstWriterOptions(const rocksdb::Options& db_options) {
  rocksdb::Options o = db_options;
  o.compression = rocksdb::kNoCompression;
  o.bottommost_compression = rocksdb::kDisableCompressionOption;
  rocksdb::BlockBasedTableOptions t;
  t.block_size = 32 << 10;
  t.filter_policy.reset();
  o.table_factory.reset(rocksdb::NewBlockBasedTableFactory(t));
  return o;
}

rocksdb::EnvOptions SstWriterEnvOptions(bool direct) {
  rocksdb::EnvOptions e;
  e.writable_file_max_buffer_size = 4 << 20;
  e.use_direct_writes = direct;
  return e;
}

std::string SstWriterSettingsText(bool direct) {
  return absl::StrCat(
      "SstFileWriter: no compression, 32 KiB blocks, no filter, 4 MiB write "
      "buffer, ",
      direct ? "O_DIRECT writes (buffered where unsupported)"
             : "buffered writes",
      "; one IngestExternalFile call with move_files");
}

// SstSink --------------------------------------------------------------------

SstSink::SstSink(rocksdb::DB* db, rocksdb::ColumnFamilyHandle* cf,
                 const rocksdb::Options& db_options, uint64_t file_size,
                 bool direct, ScratchDir* scratch, std::string db_path)
    : db_(db),
      cf_(cf),
      options_(SstWriterOptions(db_options)),
      file_size_(file_size),
      scratch_(scratch),
      db_path_(std::move(db_path)),
      direct_(direct) {}

std::unique_ptr<SstSeries> SstSink::NewSeries() {
  return std::make_unique<SstSeries>(this);
}

absl::Status SstSink::Ingest(
    const std::vector<std::unique_ptr<SstSeries>>& series) {
  std::vector<std::string> files;
  for (const auto& s : series) {
    files.insert(files.end(), s->files().begin(), s->files().end());
  }
  if (files.empty()) return absl::OkStatus();
  rocksdb::IngestExternalFileOptions io;
  io.move_files = true;
  io.write_global_seqno = false;
  // The original names are removed with the series (RocksDB holds its own
  // links once this returns).
  return FromRocksDB(db_->IngestExternalFile(cf_, files, io),
                     Where("ingest SST files"));
}

std::string SstSink::Where(std::string_view op) const {
  return TargetContext(op, db_path_);
}

// SstSeries ------------------------------------------------------------------

SstSeries::~SstSeries() {
  writer_.reset();
  std::error_code ec;
  for (const std::string& f : files_) std::filesystem::remove(f, ec);
}

absl::Status SstSeries::Put(std::string_view key, std::string_view value) {
  WAYBACK_RETURN_IF_ERROR(Roll());
  rocksdb::Status s = writer_->Put(key, value);
  if (s.ok()) return absl::OkStatus();
  return FromRocksDB(s, sink_->Where("write SST"));
}

absl::Status SstSeries::Delete(std::string_view key) {
  WAYBACK_RETURN_IF_ERROR(Roll());
  rocksdb::Status s = writer_->Delete(key);
  if (s.ok()) return absl::OkStatus();
  return FromRocksDB(s, sink_->Where("write SST"));
}

absl::Status SstSeries::Close() {
  if (writer_ == nullptr) return absl::OkStatus();
  absl::Status s = FromRocksDB(writer_->Finish(), sink_->Where("finish SST"));
  writer_.reset();
  return s;
}

absl::Status SstSeries::Roll() {
  if (writer_ != nullptr && writer_->FileSize() < sink_->file_size_) {
    return absl::OkStatus();
  }
  WAYBACK_RETURN_IF_ERROR(Close());
  WAYBACK_RETURN_IF_ERROR(sink_->scratch_->Create());
  std::string file = sink_->scratch_->NewFile(".sst");
  // O_DIRECT if asked for and the file system takes it: the first refusal
  // switches the sink to buffered writes.
  for (;;) {
    const bool direct = sink_->direct_.load();
    writer_ = std::make_unique<rocksdb::SstFileWriter>(
        SstWriterEnvOptions(direct), sink_->options_, sink_->cf_,
        kSstInvalidatePageCache);
    rocksdb::Status s = writer_->Open(file);
    if (s.ok()) break;
    writer_.reset();
    if (!direct) return FromRocksDB(s, sink_->Where("create SST"));
    sink_->direct_ = false;
  }
  files_.push_back(std::move(file));
  return absl::OkStatus();
}

}  // namespace wayback::rocksdb_internal
