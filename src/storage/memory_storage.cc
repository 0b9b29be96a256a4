// Copyright 2026 The Wayback Authors.
//
// In-memory storage. Objects are blobs shared by the name table and by the
// handles that read or append them, so that (like POSIX files) a reader or an
// appender keeps working after the object is deleted or renamed.

#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "src/util/errors.h"
#include "wayback/status.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

struct Blob {
  mutable absl::Mutex mu;
  std::string data ABSL_GUARDED_BY(mu);
  absl::Time modified = absl::Now();  // Publication (or creation).
};

class MemoryReadable : public ReadableObject {
 public:
  MemoryReadable(std::string name, std::shared_ptr<Blob> blob, uint64_t size)
      : name_(std::move(name)), blob_(std::move(blob)), size_(size) {}
  uint64_t size() const override { return size_; }
  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n,
                                          char* scratch) const override {
    if (offset >= size_ || n == 0) return std::string_view(scratch, 0);
    const uint64_t want = std::min<uint64_t>(n, size_ - offset);
    absl::MutexLock lock(&blob_->mu);
    // The blob may have been truncated since open (an appendable object cut
    // back); report it rather than read short.
    if (blob_->data.size() < offset + want) {
      return absl::InternalError(
          absl::StrCat("mem:", name_, ": object shrank to ", blob_->data.size(),
                       " bytes while reading at offset ", offset));
    }
    std::copy_n(blob_->data.data() + offset, want, scratch);
    return std::string_view(scratch, want);
  }

 private:
  const std::string name_;
  const std::shared_ptr<Blob> blob_;
  const uint64_t size_;
};

class MemoryStorage;

class MemoryWriter : public ObjectWriter {
 public:
  MemoryWriter(MemoryStorage* storage, std::string name)
      : storage_(storage), name_(std::move(name)) {}
  absl::Status Append(std::string_view data) override {
    if (closed_) return Closed();
    buffer_.append(data);
    return absl::OkStatus();
  }
  absl::Status Close() override;

 private:
  absl::Status Closed() const {
    return absl::FailedPreconditionError(
        absl::StrCat("mem:", name_, ": writer already closed"));
  }
  MemoryStorage* const storage_;
  const std::string name_;
  std::string buffer_;
  bool closed_ = false;
};

class MemoryAppendable : public AppendableObject {
 public:
  MemoryAppendable(std::string name, std::shared_ptr<Blob> blob)
      : name_(std::move(name)), blob_(std::move(blob)) {}
  absl::Status Append(std::string_view data) override {
    if (closed_) return Closed();
    absl::MutexLock lock(&blob_->mu);
    blob_->data.append(data);
    return absl::OkStatus();
  }
  absl::Status Sync() override {
    if (closed_) return Closed();
    return absl::OkStatus();
  }
  uint64_t size() const override {
    absl::MutexLock lock(&blob_->mu);
    return blob_->data.size();
  }
  absl::Status Close() override {
    if (closed_) return Closed();
    closed_ = true;
    return absl::OkStatus();
  }

 private:
  absl::Status Closed() const {
    return absl::FailedPreconditionError(
        absl::StrCat("mem:", name_, ": appendable object already closed"));
  }
  const std::string name_;
  const std::shared_ptr<Blob> blob_;
  bool closed_ = false;
};

class MemoryLock : public StorageLock {
 public:
  MemoryLock(MemoryStorage* storage, std::string name)
      : storage_(storage), name_(std::move(name)) {}
  ~MemoryLock() override;

 private:
  MemoryStorage* const storage_;
  const std::string name_;
};

class MemoryStorage : public Storage {
 public:
  std::string uri() const override { return "mem:"; }
  StorageCapabilities capabilities() const override {
    return {.append = true, .rename = true, .lock = true};
  }

  absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
      std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(name);
    if (it == objects_.end()) return NotFound("open", name);
    uint64_t size;
    {
      absl::MutexLock blob_lock(&it->second->mu);
      size = it->second->data.size();
    }
    return std::make_unique<MemoryReadable>(std::string(name), it->second,
                                            size);
  }

  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(name);
    if (it == objects_.end()) return NotFound("stat", name);
    absl::MutexLock blob_lock(&it->second->mu);
    return ObjectInfo{std::string(name), it->second->data.size(),
                      it->second->modified};
  }

  absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) override {
    std::vector<ObjectInfo> out;
    absl::MutexLock lock(&mu_);
    for (auto it = objects_.lower_bound(prefix);
         it != objects_.end() &&
         std::string_view(it->first).substr(0, prefix.size()) == prefix;
         ++it) {
      absl::MutexLock blob_lock(&it->second->mu);
      out.push_back({it->first, it->second->data.size()});
    }
    return out;
  }

  absl::StatusOr<std::unique_ptr<ObjectWriter>> Create(
      std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    absl::MutexLock lock(&mu_);
    if (objects_.contains(name)) return Exists("create", name);
    return std::make_unique<MemoryWriter>(this, std::string(name));
  }

  absl::Status Delete(std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(name);
    if (it != objects_.end()) objects_.erase(it);
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<AppendableObject>> OpenAppendable(
      std::string_view name, const AppendableOptions& options) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(name);
    if (it == objects_.end()) {
      auto blob = std::make_shared<Blob>();
      objects_.emplace(std::string(name), blob);
      return std::make_unique<MemoryAppendable>(std::string(name), blob);
    }
    if (options.must_create) return Exists("open for append", name);
    std::shared_ptr<Blob> blob = it->second;
    if (options.truncate_to != UINT64_MAX) {
      absl::MutexLock blob_lock(&blob->mu);
      if (options.truncate_to > blob->data.size()) {
        return absl::InvalidArgumentError(absl::StrCat(
            "mem:", AV(name), ": cannot truncate to ", options.truncate_to,
            " bytes, the object has only ", blob->data.size()));
      }
      blob->data.resize(options.truncate_to);
    }
    return std::make_unique<MemoryAppendable>(std::string(name), blob);
  }

  absl::Status Rename(std::string_view from, std::string_view to) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(from));
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(to));
    absl::MutexLock lock(&mu_);
    auto it = objects_.find(from);
    if (it == objects_.end()) return NotFound("rename", from);
    if (objects_.contains(to)) return Exists("rename onto", to);
    std::shared_ptr<Blob> blob = it->second;
    objects_.erase(it);
    objects_.emplace(std::string(to), std::move(blob));
    return absl::OkStatus();
  }

  absl::StatusOr<std::unique_ptr<StorageLock>> Lock(
      std::string_view name) override {
    WAYBACK_RETURN_IF_ERROR(ValidateObjectName(name));
    absl::MutexLock lock(&mu_);
    if (locks_.contains(name)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "mem:", AV(name), ": lock is held by another owner in this process"));
    }
    // Like the local backend's lock file, the lock is also an (empty)
    // object, so listings look the same on every backend.
    if (!objects_.contains(name)) {
      objects_.emplace(std::string(name), std::make_shared<Blob>());
    }
    locks_.emplace(name);
    return std::make_unique<MemoryLock>(this, std::string(name));
  }

  // Publishes a closed writer's bytes (create-only).
  absl::Status Publish(const std::string& name, std::string data) {
    absl::MutexLock lock(&mu_);
    if (objects_.contains(name)) return Exists("close", name);
    auto blob = std::make_shared<Blob>();
    {
      absl::MutexLock blob_lock(&blob->mu);
      blob->data = std::move(data);
    }
    objects_.emplace(name, std::move(blob));
    return absl::OkStatus();
  }

  void Unlock(const std::string& name) {
    absl::MutexLock lock(&mu_);
    locks_.erase(name);
  }

 private:
  static absl::Status NotFound(std::string_view op, std::string_view name) {
    return absl::NotFoundError(
        absl::StrCat(AV(op), " mem:", AV(name), ": no such object"));
  }
  static absl::Status Exists(std::string_view op, std::string_view name) {
    return absl::AlreadyExistsError(
        absl::StrCat(AV(op), " mem:", AV(name), ": object already exists"));
  }

  absl::Mutex mu_;
  std::map<std::string, std::shared_ptr<Blob>, std::less<>> objects_
      ABSL_GUARDED_BY(mu_);
  std::set<std::string, std::less<>> locks_ ABSL_GUARDED_BY(mu_);
};

absl::Status MemoryWriter::Close() {
  if (closed_) return Closed();
  closed_ = true;
  return storage_->Publish(name_, std::move(buffer_));
}

MemoryLock::~MemoryLock() { storage_->Unlock(name_); }

}  // namespace

std::unique_ptr<Storage> NewMemoryStorage() {
  return std::make_unique<MemoryStorage>();
}

}  // namespace wayback
