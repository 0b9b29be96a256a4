// Copyright 2026 The Wayback Authors.
//
// FaultInjectionStorage: a Storage decorator for crash and I/O-error tests, in
// the spirit of RocksDB's FaultInjectionTestFS. It wraps any Storage (usually
// NewMemoryStorage()) and
//
//  1. tracks what a real machine would still have after a power loss, and
//     makes SimulateCrash() throw away the rest;
//  2. fails chosen operations (the N-th append, sync, rename, close, create,
//     ...) with an EIO-like kInternal or an ENOSPC-like kResourceExhausted;
//  3. counts every operation.
//
// What is durable (the model of storage.h's contract, matching the local
// backend's fsync discipline):
//  - An object made by Create() + ObjectWriter::Close() is durable whole when
//    Close() returns OK; a writer still open at the crash leaves nothing.
//  - An object opened with OpenAppendable() has a durable length: the size at
//    its last successful Sync() (or Close()), or the length it had when
//    opened if it already existed (after truncate_to: that length). Bytes
//    beyond it are "unsynced".
//  - A new appendable object's *creation* is durable once it has been synced
//    once (the local backend fsyncs the directory then). Until that, a crash
//    with `lose_unsynced_creations` makes the object vanish entirely.
//  - Rename() and Delete() are durable when they return OK.
//  - Objects that existed before the wrapper saw them are durable.
//
// SimulateCrash() then rewrites the target so that only a possible post-crash
// state remains (see CrashMode), and "kills the process": every handle opened
// before the crash (ObjectWriter, AppendableObject, StorageLock) turns dead —
// its calls fail with kFailedPrecondition, its locks are released — so a test
// must reopen everything, as a restarted process would. ReadableObjects stay
// usable (they are harmless), but tests should reopen them too.
//
// Typical crash test (the log's "no acknowledged transaction is lost"):
//
//   auto mem = NewMemoryStorage();
//   FaultInjectionStorage fs(mem.get());
//   for (int trial = 0; trial < 200; ++trial) {
//     ... open a LogWriter on &fs in synced mode, append, remember every LSN
//         the writer acknowledged ...
//     fs.SimulateCrash({.mode = CrashMode::kTornWrite,
//                       .lose_unsynced_creations = true, .seed = trial});
//     ... writer.reset(); reopen on &fs; every acknowledged LSN must be there
//   }
//
// Typical I/O-error test:
//
//   fs.FailNth(FaultOp::kSync, 3, FaultKind::kEio);  // the 3rd Sync from now
//   ... the writer must report kInternal and refuse further appends ...
//
// Thread-safety: every method may be called from any thread; the wrapper
// serializes all operations (including SimulateCrash) on one mutex, so a
// crash never lands in the middle of an append. That also makes it slow for
// benchmarks: use it only in tests.

#ifndef WAYBACK_TESTS_TESTUTIL_FAULT_INJECTION_STORAGE_H_
#define WAYBACK_TESTS_TESTUTIL_FAULT_INJECTION_STORAGE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "wayback/storage.h"

namespace wayback::testing {

// What happens to the unsynced bytes of each appendable object at a crash.
enum class CrashMode {
  // Every unsynced byte is lost: each object is cut to its durable length.
  kDropUnsynced,
  // A random-length suffix of the unsynced bytes is lost (possibly none of
  // them, possibly all): the page cache wrote back a prefix.
  kDropRandomSuffix,
  // A torn last write: a random prefix of the unsynced bytes survives, then a
  // random number (>= 1) of the following bytes survives as garbage (all
  // zeros or random bytes, chosen at random), the rest is lost. Objects with
  // no unsynced bytes are left alone.
  kTornWrite,
};

struct CrashOptions {
  CrashMode mode = CrashMode::kDropUnsynced;
  // Also make appendable objects whose creation was never synced vanish
  // entirely (a file created after the last directory fsync).
  bool lose_unsynced_creations = false;
  // Seeds the random choices of kDropRandomSuffix and kTornWrite, so that a
  // failing trial can be replayed.
  uint64_t seed = 0;
};

// The kinds of operation that can be counted and failed.
enum class FaultOp {
  kCreate,          // Storage::Create()
  kOpenAppendable,  // Storage::OpenAppendable()
  kWrite,           // ObjectWriter::Append() and AppendableObject::Append()
  kSync,            // AppendableObject::Sync()
  kClose,           // ObjectWriter::Close() and AppendableObject::Close()
  kRename,          // Storage::Rename()
  kDelete,          // Storage::Delete()
  kRead,            // ReadableObject::ReadAt() (and OpenForRead())
  kList,            // Storage::List()
};
inline constexpr int kNumFaultOps = 9;

// How an injected fault fails.
enum class FaultKind {
  kEio,          // kInternal, "EIO (injected)": an I/O error, not retryable.
  kEnospc,       // kResourceExhausted, "ENOSPC (injected)": the disk is full.
  kUnavailable,  // kUnavailable: a retryable error (a network hiccup).
};

// Where the crash left each appendable object (for assertions and logs).
struct CrashReport {
  struct Object {
    std::string name;
    uint64_t size_before = 0;    // Bytes before the crash.
    uint64_t durable_size = 0;   // Bytes known durable.
    uint64_t size_after = 0;     // Bytes after (garbage included).
    uint64_t garbage_bytes = 0;  // Trailing bytes replaced by garbage.
    bool vanished = false;       // Removed (unsynced creation).
  };
  std::vector<Object> objects;
};

class FaultInjectionStorage : public StorageWrapper {
 public:
  // Wraps `target`, which is not owned and must outlive this object.
  explicit FaultInjectionStorage(Storage* target);
  // Wraps and owns `target`.
  explicit FaultInjectionStorage(std::unique_ptr<Storage> target);
  ~FaultInjectionStorage() override;

  // --- Crash simulation -----------------------------------------------------

  // Drops what a power loss could drop (see CrashMode), kills every handle
  // opened so far, and releases every lock. kInternal if rewriting the target
  // failed. The storage stays usable afterwards (the "restarted machine").
  absl::StatusOr<CrashReport> SimulateCrash(const CrashOptions& options);

  // The durable length of an appendable object this wrapper tracks, or
  // nullopt if it does not track it (then all of it is durable).
  std::optional<uint64_t> DurableSize(std::string_view name);

  // --- Fault injection ------------------------------------------------------

  // The n-th operation of kind `op` from now (n = 1: the next one) fails with
  // `kind`; with `sticky`, that one and every later one fail (a disk that
  // stays full). A failed write writes nothing; a failed sync leaves the
  // bytes unsynced; a failed ObjectWriter::Close() publishes nothing; a failed
  // rename, delete or create changes nothing.
  void FailNth(FaultOp op, int64_t n, FaultKind kind, bool sticky = false);
  // Like FailNth, but only for operations on objects whose name contains
  // `name_substring`.
  void FailNthOn(FaultOp op, std::string_view name_substring, int64_t n,
                 FaultKind kind, bool sticky = false);
  // Removes every pending fault.
  void ClearFaults();

  // Operations of kind `op` attempted so far (failed ones included).
  int64_t count(FaultOp op);
  // Faults injected so far.
  int64_t injected_faults();
  void ResetCounts();

  // --- Storage --------------------------------------------------------------

  absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
      std::string_view name) override;
  absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) override;
  absl::StatusOr<std::unique_ptr<ObjectWriter>> Create(
      std::string_view name) override;
  absl::Status Delete(std::string_view name) override;
  absl::StatusOr<std::unique_ptr<AppendableObject>> OpenAppendable(
      std::string_view name, const AppendableOptions& options) override;
  absl::Status Rename(std::string_view from, std::string_view to) override;
  absl::StatusOr<std::unique_ptr<StorageLock>> Lock(
      std::string_view name) override;

  // Implementation details shared with the handle classes in the .cc file.
  struct FileState {
    uint64_t durable_size = 0;
    bool creation_durable = false;
  };
  struct Handle;
  // Counts an operation and returns the injected failure, if any. Requires
  // mu_ held.
  absl::Status MaybeFail(FaultOp op, std::string_view name);
  // Serializes every operation, crash included. A std::mutex (not
  // absl::Mutex) so that ThreadSanitizer sees the ordering: Debian's Abseil
  // is not instrumented.
  std::mutex mu_;

 private:
  struct Fault {
    FaultOp op;
    std::string name_substring;
    int64_t remaining;  // Matching operations until it fires (1 = next).
    FaultKind kind;
    bool sticky;
  };
  // Requires mu_ held.
  void Register(const std::shared_ptr<Handle>& handle);

  // Everything below is guarded by mu_.

  std::map<std::string, std::shared_ptr<FileState>, std::less<>> files_;
  std::vector<std::weak_ptr<Handle>> handles_;
  std::vector<Fault> faults_;
  int64_t counts_[kNumFaultOps] = {};
  int64_t injected_ = 0;
};

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_TESTUTIL_FAULT_INJECTION_STORAGE_H_
