// Copyright 2026 The Wayback Authors.
//
// A snapshot of a RocksDB database: one pass of an iterator over the default
// column family at a rocksdb::Snapshot. RocksDB's iterator already yields
// keys in bytewise order (for the default comparator, which is checked), so
// the pairs stream straight into the writer and memory stays one block.

#include <memory>

#include "absl/strings/str_cat.h"
#include "rocksdb/comparator.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"
#include "src/snapshot/snapshot_file.h"
#include "src/target/rocksdb/rocksdb_status.h"
#include "src/util/errors.h"
#include "wayback/rocksdb.h"
#include "wayback/status.h"

namespace wayback {
absl::StatusOr<SnapshotInfo> WriteSnapshotFromRocksDB(
    Storage* storage, const SnapshotWriterOptions& options, rocksdb::DB* db,
    const rocksdb::Snapshot* snapshot) {
  if (db == nullptr) return absl::InvalidArgumentError("null RocksDB");
  const rocksdb::Comparator* cmp =
      db->GetOptions(db->DefaultColumnFamily()).comparator;
  if (cmp != nullptr && cmp != rocksdb::BytewiseComparator()) {
    return absl::InvalidArgumentError(
        absl::StrCat("RocksDB default column family uses comparator ",
                     cmp->Name(), "; snapshots need bytewise order"));
  }
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<SnapshotFileWriter> w,
                           SnapshotFileWriter::Create(storage, options));
  rocksdb::ReadOptions ro;
  ro.snapshot = snapshot;  // Null: the iterator's own implicit snapshot.
  ro.fill_cache = false;   // A full scan would only evict the hot set.
  ro.verify_checksums = true;
  ro.readahead_size = 2 << 20;
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(ro, db->DefaultColumnFamily()));
  for (it->SeekToFirst(); it->Valid(); it->Next()) {
    rocksdb::Slice k = it->key(), v = it->value();
    WAYBACK_RETURN_IF_ERROR(w->Add(std::string_view(k.data(), k.size()),
                                   std::string_view(v.data(), v.size())));
  }
  if (!it->status().ok()) {
    return rocksdb_internal::FromRocksDB(it->status(),
                                         "iterating RocksDB for a snapshot");
  }
  return w->Finish();
}

}  // namespace wayback
