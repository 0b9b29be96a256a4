// Copyright 2026 The Wayback Authors.
//
// Storage: where a repository's objects live. The interface is shaped for
// object stores (S3 and the like): immutable named objects, ranged reads,
// prefix listing, and writers whose object appears whole when closed. Backends
// that can do more (the local directory: real appends and fsync for the live
// segment, atomic rename, a lock) say so through capabilities(); callers query
// them and never assume.
//
// Object names are relative, '/'-separated, non-empty, and contain no "."
// or ".." component, no empty component ("a//b"), no leading '/', no NUL and
// no backslash. Every backend refuses other names with kInvalidArgument, so a
// name read from a repository can never reach outside the repository root.
//
// Thread-safety: a Storage is safe for concurrent use by many threads. A
// ReadableObject is safe for concurrent ReadAt() calls. ObjectWriter and
// AppendableObject are used by one thread at a time.
//
// Durability: an object created through Create() is durable and visible, whole,
// once Close() returns OK; before that it is invisible, and abandoned writers
// leave nothing behind (at most a temporary the backend cleans up, named with
// the ".tmp" suffix). For an AppendableObject, bytes are durable once Sync()
// returns OK; a crash may lose any suffix of the bytes appended since.

#ifndef WAYBACK_STORAGE_H_
#define WAYBACK_STORAGE_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace wayback {

// What a listing says of one object.
struct ObjectInfo {
  std::string name;
  uint64_t size = 0;
  // When the object was last written (for a create-only object: when it
  // was published), as Stat() reports it: a local file's mtime, S3's
  // Last-Modified, the moment the memory backend published it. Absent when
  // the backend does not say (List() need not fill it in). Used to measure
  // grace periods (CompactRepository), never to order events.
  std::optional<absl::Time> modified = std::nullopt;
};

// What a backend can do beyond the object-store core.
struct StorageCapabilities {
  bool append = false;  // OpenAppendable() works (live segments).
  bool rename = false;  // Rename() works and is atomic.
  bool lock = false;    // Lock() gives mutual exclusion between processes.
};

// A readable object of fixed size.
class ReadableObject {
 public:
  virtual ~ReadableObject() = default;
  // The size of the object when it was opened.
  virtual uint64_t size() const = 0;
  // Reads min(n, size() - offset) bytes at `offset` into `scratch` (which must
  // hold n bytes) and returns a view of them; the view may point into scratch
  // or into memory the object owns for its lifetime. Returns fewer than n
  // bytes only at the end of the object. kUnavailable on a retryable failure,
  // kInternal on any other I/O error; never a silent short read.
  virtual absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n,
                                                  char* scratch) const = 0;
};

// Writes a new object that appears whole on Close(). Destroying a writer
// without a successful Close() abandons the object.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  virtual absl::Status Append(std::string_view data) = 0;
  // Makes the object durable and visible under its name. kAlreadyExists if an
  // object of that name appeared meanwhile (create-only: never overwrites).
  virtual absl::Status Close() = 0;
};

// An object that grows by appends (capability `append`). Used for the live
// segment of the log.
class AppendableObject {
 public:
  virtual ~AppendableObject() = default;
  // Appends data. Not durable until Sync().
  virtual absl::Status Append(std::string_view data) = 0;
  // Makes every appended byte durable (fdatasync on a local file).
  virtual absl::Status Sync() = 0;
  // Bytes in the object, synced or not.
  virtual uint64_t size() const = 0;
  // Syncs and closes. Further calls fail.
  virtual absl::Status Close() = 0;
};

// Held while a writer owns a log; released when destroyed.
class StorageLock {
 public:
  virtual ~StorageLock() = default;
};

struct AppendableOptions {
  // Fail with kAlreadyExists if the object exists.
  bool must_create = true;
  // For an existing object: cut it to this many bytes before appending (to
  // drop a torn tail). UINT64_MAX keeps every byte.
  uint64_t truncate_to = UINT64_MAX;
};

class Storage {
 public:
  virtual ~Storage() = default;
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  // The URI this storage was opened with (for messages).
  virtual std::string uri() const = 0;
  virtual StorageCapabilities capabilities() const = 0;

  // Opens an object for ranged reads. kNotFound if absent.
  virtual absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
      std::string_view name) = 0;
  // Size of one object. kNotFound if absent.
  virtual absl::StatusOr<ObjectInfo> Stat(std::string_view name) = 0;
  // Every object whose name starts with `prefix`, sorted by name (bytewise).
  // Backends page through the listing internally. Temporaries of in-flight
  // writers may be listed; they end with ".tmp".
  virtual absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) = 0;
  // Starts a create-only write (see ObjectWriter).
  virtual absl::StatusOr<std::unique_ptr<ObjectWriter>> Create(
      std::string_view name) = 0;
  // Deletes an object. OK if it was already absent.
  virtual absl::Status Delete(std::string_view name) = 0;
  // Deletes an object so that its bytes are gone: as Delete(), and where the
  // backend keeps earlier versions of a name (a versioned S3 bucket, where a
  // plain DELETE only adds a delete marker), every version of it too. The
  // default is Delete(). kFailedPrecondition, deleting nothing more, for a
  // version the backend must keep (S3 Object Lock). OK if absent.
  virtual absl::Status Purge(std::string_view name);

  // Capability `append`. kUnimplemented otherwise.
  virtual absl::StatusOr<std::unique_ptr<AppendableObject>> OpenAppendable(
      std::string_view name, const AppendableOptions& options);
  // Capability `rename`: atomically renames `from` to `to` (which must not
  // exist: kAlreadyExists) and makes the rename durable. kUnimplemented
  // otherwise.
  virtual absl::Status Rename(std::string_view from, std::string_view to);
  // Capability `lock`: takes the exclusive lock `name` (non-blocking).
  // kFailedPrecondition naming the holder if another owner has it.
  virtual absl::StatusOr<std::unique_ptr<StorageLock>> Lock(
      std::string_view name);

  // Removes the temporaries (names ending in ".tmp", under `prefix`) that
  // writers left behind when they died before Close(), and returns their
  // names, sorted. Never removes the temporary of a writer that is still
  // open, in this process or another: the local backend holds an flock() on
  // each temporary for the writer's lifetime, and removes only temporaries
  // nobody holds that were last modified at least `min_age` ago (the age
  // closes the instant between a writer creating its temporary and locking
  // it; a minute is ample). Nothing calls this implicitly: a repository's owner
  // (a tool, the application at start-up) calls it when it wants the space
  // back; until then the catalog reports each temporary as a stray object and
  // readers ignore it. Backends whose writers leave no temporaries (memory, S3:
  // an unfinished upload is never listed) return an empty list.
  virtual absl::StatusOr<std::vector<std::string>> RemoveStaleTemporaries(
      std::string_view prefix, absl::Duration min_age);

  // Convenience: reads a whole object.
  absl::StatusOr<std::string> ReadAll(std::string_view name);
  // Convenience: creates an object with the given contents.
  absl::Status WriteAll(std::string_view name, std::string_view data);
};

// Checks an object name against the rules at the top of this file.
absl::Status ValidateObjectName(std::string_view name);

// Forwards every call to a target storage; derive from it to build decorators
// (fault injection, latency, counting). Does not own the target unless given
// ownership.
class StorageWrapper : public Storage {
 public:
  explicit StorageWrapper(Storage* target) : target_(target) {}
  explicit StorageWrapper(std::unique_ptr<Storage> target)
      : owned_(std::move(target)), target_(owned_.get()) {}
  Storage* target() const { return target_; }

  std::string uri() const override { return target_->uri(); }
  StorageCapabilities capabilities() const override {
    return target_->capabilities();
  }
  absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
      std::string_view name) override {
    return target_->OpenForRead(name);
  }
  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    return target_->Stat(name);
  }
  absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) override {
    return target_->List(prefix);
  }
  absl::StatusOr<std::unique_ptr<ObjectWriter>> Create(
      std::string_view name) override {
    return target_->Create(name);
  }
  absl::Status Delete(std::string_view name) override {
    return target_->Delete(name);
  }
  absl::Status Purge(std::string_view name) override {
    return target_->Purge(name);
  }
  absl::StatusOr<std::unique_ptr<AppendableObject>> OpenAppendable(
      std::string_view name, const AppendableOptions& options) override {
    return target_->OpenAppendable(name, options);
  }
  absl::Status Rename(std::string_view from, std::string_view to) override {
    return target_->Rename(from, to);
  }
  absl::StatusOr<std::unique_ptr<StorageLock>> Lock(
      std::string_view name) override {
    return target_->Lock(name);
  }
  absl::StatusOr<std::vector<std::string>> RemoveStaleTemporaries(
      std::string_view prefix, absl::Duration min_age) override {
    return target_->RemoveStaleTemporaries(prefix, min_age);
  }

 private:
  std::unique_ptr<Storage> owned_;
  Storage* target_;
};

// In-memory storage (capabilities: append, rename, lock). For tests and
// benchmarks; every instance is independent.
std::unique_ptr<Storage> NewMemoryStorage();

// A local directory (capabilities: append, rename, lock). Creates the
// directory if `create` and it is absent; kNotFound otherwise.
absl::StatusOr<std::unique_ptr<Storage>> OpenLocalStorage(
    std::string_view root_dir, bool create);

// Opens storage from a URI:
//   /abs/path, rel/path, file:///abs/path   a local directory
//   mem:                                    a new in-memory storage
//   s3://bucket/prefix?endpoint=…&region=…&path_style=true
// `create` lets a local directory be created (an S3 bucket is never
// created: opening checks that it exists, see the overload below).
// kInvalidArgument for an unknown scheme or malformed URI.
absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(std::string_view uri,
                                                     bool create = false);

// Settings for s3:// storage that a program supplies instead of the
// environment (the CLI's --s3-endpoint, --aws-access-key-id, ... flags).
// Empty fields are unset. Precedence, highest first: the URI's own query
// parameters (endpoint=, region=), these, the environment ($AWS_ENDPOINT_URL,
// $AWS_REGION, $AWS_ACCESS_KEY_ID, ...), the AWS defaults. Credentials are
// never taken from the URI, which appears in messages and listings.
struct S3Settings {
  std::string endpoint;  // http(s)://host[:port]
  std::string region;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  bool empty() const {
    return endpoint.empty() && region.empty() && access_key_id.empty() &&
           secret_access_key.empty() && session_token.empty();
  }
};

struct StorageOpenOptions {
  // Let a local directory be created. Default: false.
  bool create = false;
  // Applied to s3:// URIs (see S3Settings). When empty, or for other
  // schemes, this is OpenStorage(uri, create).
  S3Settings s3;
};

// OpenStorage() with settings. Opening s3:// storage checks that the bucket
// exists (one HEAD request): kNotFound naming the bucket and the endpoint if
// it does not, kPermissionDenied if the credentials are refused, kUnavailable
// if the endpoint cannot be reached.
absl::StatusOr<std::unique_ptr<Storage>> OpenStorage(
    std::string_view uri, const StorageOpenOptions& options);

// The local directory a URI names: the path itself for a plain path, the
// decoded path of a file:/// URI, nullopt for every other scheme (s3:, mem:,
// registered ones). The one parser of local URIs: OpenStorage() and every
// caller that must treat local repositories specially use it.
// kInvalidArgument for an empty or malformed file URI.
absl::StatusOr<std::optional<std::string>> LocalPathOfUri(std::string_view uri);

// Registers a factory for a URI scheme ("s3"); later registrations replace
// earlier ones. Thread-safe.
using StorageFactory = std::function<absl::StatusOr<std::unique_ptr<Storage>>(
    std::string_view uri, bool create)>;
void RegisterStorageScheme(std::string_view scheme, StorageFactory factory);

}  // namespace wayback

#endif  // WAYBACK_STORAGE_H_
