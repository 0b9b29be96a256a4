// Copyright 2026 The Wayback Authors.
//
// FaultInjectionStorage. Every handle it returns is a thin shell around the
// target's handle plus a shared "dead" flag, so that SimulateCrash() can kill
// handles the test still holds (like a process that died) by dropping the
// target's handles, which abandons writers and releases locks.
//
// The lock is a std::mutex, not an absl::Mutex: Debian's Abseil is not built
// with ThreadSanitizer, so TSan cannot see absl::Mutex's ordering and reported
// every handle call racing with SimulateCrash(); pthread mutexes it sees.

#include "tests/testutil/fault_injection_storage.h"

#include <algorithm>
#include <mutex>
#include <random>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::testing {

namespace {

const char* OpName(FaultOp op) {
  switch (op) {
    case FaultOp::kCreate:
      return "create";
    case FaultOp::kOpenAppendable:
      return "open-appendable";
    case FaultOp::kWrite:
      return "write";
    case FaultOp::kSync:
      return "sync";
    case FaultOp::kClose:
      return "close";
    case FaultOp::kRename:
      return "rename";
    case FaultOp::kDelete:
      return "delete";
    case FaultOp::kRead:
      return "read";
    case FaultOp::kList:
      return "list";
  }
  return "?";
}

absl::Status Dead(std::string_view name) {
  return absl::FailedPreconditionError(absl::StrCat(
      AV(name), ": handle opened before a simulated crash is dead"));
}

}  // namespace

// A handle the crash can kill. Kill() runs with the storage mutex held.
struct FaultInjectionStorage::Handle {
  virtual ~Handle() = default;
  virtual void Kill() = 0;
  bool dead = false;
};

namespace {

using Handle = FaultInjectionStorage::Handle;
using FileState = FaultInjectionStorage::FileState;

struct WriterHandle : Handle {
  std::unique_ptr<ObjectWriter> inner;
  void Kill() override {
    dead = true;
    inner.reset();  // Abandons the object.
  }
};

struct AppendableHandle : Handle {
  std::unique_ptr<AppendableObject> inner;
  std::shared_ptr<FileState> state;
  uint64_t last_size = 0;
  void Kill() override {
    dead = true;
    if (inner) last_size = inner->size();
    inner.reset();
  }
};

struct LockHandle : Handle {
  std::unique_ptr<StorageLock> inner;
  void Kill() override {
    dead = true;
    inner.reset();  // Releases the lock.
  }
};

class FaultWriter : public ObjectWriter {
 public:
  FaultWriter(FaultInjectionStorage* fs, std::string name,
              std::shared_ptr<WriterHandle> h)
      : fs_(fs), name_(std::move(name)), h_(std::move(h)) {}
  ~FaultWriter() override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    h_->inner.reset();
  }
  absl::Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (h_->dead) return Dead(name_);
    if (!h_->inner) return Closed();
    WAYBACK_RETURN_IF_ERROR(fs_->MaybeFail(FaultOp::kWrite, name_));
    return h_->inner->Append(data);
  }
  absl::Status Close() override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    if (h_->dead) return Dead(name_);
    if (!h_->inner) return Closed();
    absl::Status s = fs_->MaybeFail(FaultOp::kClose, name_);
    if (s.ok()) s = h_->inner->Close();
    h_->inner.reset();  // On failure: abandoned, nothing published.
    return s;
  }

 private:
  absl::Status Closed() const {
    return absl::FailedPreconditionError(
        absl::StrCat(name_, ": writer already closed"));
  }
  FaultInjectionStorage* const fs_;
  const std::string name_;
  const std::shared_ptr<WriterHandle> h_;
};

class FaultAppendable : public AppendableObject {
 public:
  FaultAppendable(FaultInjectionStorage* fs, std::string name,
                  std::shared_ptr<AppendableHandle> h)
      : fs_(fs), name_(std::move(name)), h_(std::move(h)) {}
  ~FaultAppendable() override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    h_->inner.reset();
  }
  absl::Status Append(std::string_view data) override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    WAYBACK_RETURN_IF_ERROR(Check());
    WAYBACK_RETURN_IF_ERROR(fs_->MaybeFail(FaultOp::kWrite, name_));
    return h_->inner->Append(data);
  }
  absl::Status Sync() override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    WAYBACK_RETURN_IF_ERROR(Check());
    WAYBACK_RETURN_IF_ERROR(fs_->MaybeFail(FaultOp::kSync, name_));
    WAYBACK_RETURN_IF_ERROR(h_->inner->Sync());
    MarkSynced();
    return absl::OkStatus();
  }
  uint64_t size() const override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    return h_->inner ? h_->inner->size() : h_->last_size;
  }
  absl::Status Close() override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    WAYBACK_RETURN_IF_ERROR(Check());
    h_->last_size = h_->inner->size();
    absl::Status s = fs_->MaybeFail(FaultOp::kClose, name_);
    if (s.ok()) {
      s = h_->inner->Close();
      if (s.ok()) MarkSynced();
    }
    h_->inner.reset();  // A failed close still closes (like close(2)).
    return s;
  }

 private:
  absl::Status Check() const {
    if (h_->dead) return Dead(name_);
    if (!h_->inner) {
      return absl::FailedPreconditionError(
          absl::StrCat(name_, ": appendable object already closed"));
    }
    return absl::OkStatus();
  }
  void MarkSynced() {
    h_->state->durable_size = h_->inner->size();
    h_->state->creation_durable = true;
  }
  FaultInjectionStorage* const fs_;
  const std::string name_;
  const std::shared_ptr<AppendableHandle> h_;
};

class FaultLock : public StorageLock {
 public:
  FaultLock(FaultInjectionStorage* fs, std::shared_ptr<LockHandle> h)
      : fs_(fs), h_(std::move(h)) {}
  ~FaultLock() override {
    std::lock_guard<std::mutex> lock(fs_->mu_);
    h_->inner.reset();
  }

 private:
  FaultInjectionStorage* const fs_;
  const std::shared_ptr<LockHandle> h_;
};

class FaultReadable : public ReadableObject {
 public:
  FaultReadable(FaultInjectionStorage* fs, std::string name,
                std::unique_ptr<ReadableObject> inner)
      : fs_(fs), name_(std::move(name)), inner_(std::move(inner)) {}
  uint64_t size() const override { return inner_->size(); }
  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n,
                                          char* scratch) const override {
    // Under the lock too: reads are ordered with the appends and the crash
    // rewrites of the same object as ThreadSanitizer can see.
    std::lock_guard<std::mutex> lock(fs_->mu_);
    WAYBACK_RETURN_IF_ERROR(fs_->MaybeFail(FaultOp::kRead, name_));
    return inner_->ReadAt(offset, n, scratch);
  }

 private:
  FaultInjectionStorage* const fs_;
  const std::string name_;
  const std::unique_ptr<ReadableObject> inner_;
};

}  // namespace

FaultInjectionStorage::FaultInjectionStorage(Storage* target)
    : StorageWrapper(target) {}
FaultInjectionStorage::FaultInjectionStorage(std::unique_ptr<Storage> target)
    : StorageWrapper(std::move(target)) {}
FaultInjectionStorage::~FaultInjectionStorage() = default;

absl::Status FaultInjectionStorage::MaybeFail(FaultOp op,
                                              std::string_view name) {
  ++counts_[static_cast<int>(op)];
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->op != op || !absl::StrContains(AV(name), it->name_substring)) {
      continue;
    }
    if (--it->remaining > 0) continue;
    const FaultKind kind = it->kind;
    if (!it->sticky) faults_.erase(it);
    ++injected_;
    std::string what = absl::StrCat(OpName(op), " ", AV(name), ": ");
    switch (kind) {
      case FaultKind::kEio:
        return absl::InternalError(what + "Input/output error (injected EIO)");
      case FaultKind::kEnospc:
        return absl::ResourceExhaustedError(
            what + "No space left on device (injected ENOSPC)");
      case FaultKind::kUnavailable:
        return absl::UnavailableError(what + "unavailable (injected)");
    }
  }
  return absl::OkStatus();
}

void FaultInjectionStorage::Register(const std::shared_ptr<Handle>& handle) {
  // Drop expired entries now and then so long tests do not grow the list.
  if (handles_.size() > 64 && handles_.size() % 64 == 0) {
    std::erase_if(handles_,
                  [](const std::weak_ptr<Handle>& w) { return w.expired(); });
  }
  handles_.push_back(handle);
}

void FaultInjectionStorage::FailNth(FaultOp op, int64_t n, FaultKind kind,
                                    bool sticky) {
  FailNthOn(op, "", n, kind, sticky);
}

void FaultInjectionStorage::FailNthOn(FaultOp op,
                                      std::string_view name_substring,
                                      int64_t n, FaultKind kind, bool sticky) {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.push_back(Fault{op, std::string(name_substring),
                          std::max<int64_t>(n, 1), kind, sticky});
}

void FaultInjectionStorage::ClearFaults() {
  std::lock_guard<std::mutex> lock(mu_);
  faults_.clear();
}

int64_t FaultInjectionStorage::count(FaultOp op) {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_[static_cast<int>(op)];
}

int64_t FaultInjectionStorage::injected_faults() {
  std::lock_guard<std::mutex> lock(mu_);
  return injected_;
}

void FaultInjectionStorage::ResetCounts() {
  std::lock_guard<std::mutex> lock(mu_);
  std::fill(std::begin(counts_), std::end(counts_), 0);
  injected_ = 0;
}

std::optional<uint64_t> FaultInjectionStorage::DurableSize(
    std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = files_.find(name);
  if (it == files_.end()) return std::nullopt;
  return it->second->durable_size;
}

absl::StatusOr<std::unique_ptr<ReadableObject>>
FaultInjectionStorage::OpenForRead(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  WAYBACK_RETURN_IF_ERROR(MaybeFail(FaultOp::kRead, name));
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<ReadableObject> inner,
                           target()->OpenForRead(name));
  return std::make_unique<FaultReadable>(this, std::string(name),
                                         std::move(inner));
}

absl::StatusOr<std::vector<ObjectInfo>> FaultInjectionStorage::List(
    std::string_view prefix) {
  std::lock_guard<std::mutex> lock(mu_);
  WAYBACK_RETURN_IF_ERROR(MaybeFail(FaultOp::kList, prefix));
  return target()->List(prefix);
}

absl::StatusOr<std::unique_ptr<ObjectWriter>> FaultInjectionStorage::Create(
    std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  WAYBACK_RETURN_IF_ERROR(MaybeFail(FaultOp::kCreate, name));
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<ObjectWriter> inner,
                           target()->Create(name));
  auto h = std::make_shared<WriterHandle>();
  h->inner = std::move(inner);
  Register(h);
  return std::make_unique<FaultWriter>(this, std::string(name), std::move(h));
}

absl::Status FaultInjectionStorage::Delete(std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  WAYBACK_RETURN_IF_ERROR(MaybeFail(FaultOp::kDelete, name));
  WAYBACK_RETURN_IF_ERROR(target()->Delete(name));
  auto it = files_.find(name);
  if (it != files_.end()) files_.erase(it);
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<AppendableObject>>
FaultInjectionStorage::OpenAppendable(std::string_view name,
                                      const AppendableOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  WAYBACK_RETURN_IF_ERROR(MaybeFail(FaultOp::kOpenAppendable, name));
  const bool existed = target()->Stat(name).ok();
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<AppendableObject> inner,
                           target()->OpenAppendable(name, options));
  auto it = files_.find(name);
  std::shared_ptr<FileState> state;
  if (!existed) {
    // A new object: nothing of it is durable yet, not even its name.
    state = std::make_shared<FileState>();
    files_[std::string(name)] = state;
  } else if (it == files_.end()) {
    // Existing and never tracked: everything in it is durable.
    state = std::make_shared<FileState>(
        FileState{.durable_size = inner->size(), .creation_durable = true});
    files_[std::string(name)] = state;
  } else {
    state = it->second;
    // Backends make truncate_to durable (ftruncate + fsync).
    if (options.truncate_to != UINT64_MAX) state->durable_size = inner->size();
  }
  auto h = std::make_shared<AppendableHandle>();
  h->inner = std::move(inner);
  h->state = state;
  Register(h);
  return std::make_unique<FaultAppendable>(this, std::string(name),
                                           std::move(h));
}

absl::Status FaultInjectionStorage::Rename(std::string_view from,
                                           std::string_view to) {
  std::lock_guard<std::mutex> lock(mu_);
  WAYBACK_RETURN_IF_ERROR(MaybeFail(FaultOp::kRename, from));
  WAYBACK_RETURN_IF_ERROR(target()->Rename(from, to));
  // A rename is durable when it returns (the directories are fsynced), which
  // also makes the new name of a never-synced object durable. Its unsynced
  // bytes stay unsynced.
  auto it = files_.find(from);
  if (it != files_.end()) {
    std::shared_ptr<FileState> state = it->second;
    files_.erase(it);
    state->creation_durable = true;
    files_[std::string(to)] = std::move(state);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<StorageLock>> FaultInjectionStorage::Lock(
    std::string_view name) {
  std::lock_guard<std::mutex> lock(mu_);
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<StorageLock> inner,
                           target()->Lock(name));
  auto h = std::make_shared<LockHandle>();
  h->inner = std::move(inner);
  Register(h);
  return std::make_unique<FaultLock>(this, std::move(h));
}

absl::StatusOr<CrashReport> FaultInjectionStorage::SimulateCrash(
    const CrashOptions& options) {
  std::lock_guard<std::mutex> lock(mu_);
  // The process dies first: its handles go, its locks are released.
  for (const std::weak_ptr<Handle>& w : handles_) {
    if (std::shared_ptr<Handle> h = w.lock()) h->Kill();
  }
  handles_.clear();

  std::mt19937_64 rng(options.seed);
  auto uniform = [&rng](uint64_t lo, uint64_t hi) {  // Inclusive.
    return std::uniform_int_distribution<uint64_t>(lo, hi)(rng);
  };
  CrashReport report;
  for (auto it = files_.begin(); it != files_.end();) {
    const std::string& name = it->first;
    FileState& state = *it->second;
    absl::StatusOr<ObjectInfo> info = target()->Stat(name);
    if (absl::IsNotFound(info.status())) {
      it = files_.erase(it);
      continue;
    }
    if (!info.ok()) return info.status();
    CrashReport::Object obj;
    obj.name = name;
    obj.size_before = info->size;
    obj.durable_size = std::min(state.durable_size, info->size);
    if (options.lose_unsynced_creations && !state.creation_durable) {
      WAYBACK_RETURN_IF_ERROR(target()->Delete(name));
      obj.vanished = true;
      report.objects.push_back(obj);
      it = files_.erase(it);
      continue;
    }
    const uint64_t unsynced = obj.size_before - obj.durable_size;
    uint64_t keep = 0;  // Unsynced bytes that survive intact.
    std::string garbage;
    switch (options.mode) {
      case CrashMode::kDropUnsynced:
        break;
      case CrashMode::kDropRandomSuffix:
        keep = uniform(0, unsynced);
        break;
      case CrashMode::kTornWrite:
        if (unsynced > 0) {
          keep = uniform(0, unsynced - 1);
          garbage.resize(uniform(1, unsynced - keep), '\0');
          if (uniform(0, 1) == 1) {
            for (char& c : garbage) c = static_cast<char>(uniform(0, 255));
          }
        } else {
          keep = 0;
        }
        break;
    }
    obj.garbage_bytes = garbage.size();
    obj.size_after = obj.durable_size + keep + garbage.size();
    if (obj.size_after != obj.size_before || !garbage.empty()) {
      WAYBACK_ASSIGN_OR_RETURN(
          std::unique_ptr<AppendableObject> rewrite,
          target()->OpenAppendable(
              name,
              {.must_create = false, .truncate_to = obj.durable_size + keep}));
      if (!garbage.empty()) WAYBACK_RETURN_IF_ERROR(rewrite->Append(garbage));
      WAYBACK_RETURN_IF_ERROR(rewrite->Close());
    }
    // Whatever survived a crash is on disk now.
    state.durable_size = obj.size_after;
    state.creation_durable = true;
    report.objects.push_back(obj);
    ++it;
  }
  return report;
}

}  // namespace wayback::testing
