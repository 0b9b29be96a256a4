// Copyright 2026 The Wayback Authors.
//
// A snapshot of a RocksDB database: one pass of an iterator over the default
// column family at a rocksdb::Snapshot. RocksDB's iterator already yields
// keys in bytewise order (for the default comparator, which is checked), so
// the pairs stream straight into the writer and memory stays one block.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <memory>
#include <string>

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

absl::StatusOr<SnapshotInfo> WriteSnapshotFromRocksDBPath(
    Storage* storage, const SnapshotWriterOptions& options,
    const std::string& path) {
  const std::string lock = path + "/LOCK";
  struct stat st;
  if (::stat((path + "/CURRENT").c_str(), &st) != 0) {
    return absl::NotFoundError(
        absl::StrCat(path, " holds no RocksDB database (no CURRENT file)"));
  }
  // RocksDB locks LOCK with fcntl(F_SETLK) while a process has the database
  // open; F_GETLK reports such a lock without taking it.
  int fd = ::open(lock.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    const int rc = ::fcntl(fd, F_GETLK, &fl);
    ::close(fd);
    if (rc == 0 && fl.l_type != F_UNLCK) {
      return absl::FailedPreconditionError(absl::StrCat(
          "RocksDB database ", path, " is open in process ", fl.l_pid,
          ": its state changes while it is read and is no LSN's. Make a "
          "checkpoint at the LSN (rocksdb::Checkpoint, or `ldb "
          "--db=PATH checkpoint --checkpoint_dir=DIR`) and give that "
          "directory"));
    }
  }
  rocksdb::Options o;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s = rocksdb::DB::OpenForReadOnly(o, path, &raw);
  if (!s.ok()) {
    return rocksdb_internal::FromRocksDB(
        s, absl::StrCat("opening RocksDB ", path, " read-only"));
  }
  std::unique_ptr<rocksdb::DB> db(raw);
  const rocksdb::Snapshot* snap = db->GetSnapshot();
  absl::StatusOr<SnapshotInfo> info =
      WriteSnapshotFromRocksDB(storage, options, db.get(), snap);
  db->ReleaseSnapshot(snap);
  return info;
}

}  // namespace wayback
