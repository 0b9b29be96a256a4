// Copyright 2026 The Wayback Authors.
//
// MirrorRepository: list both sides once, then copy what is missing with a
// small pool of threads, streaming each object through a fixed-size buffer
// (objects may be far larger than memory) and checksumming on the way. An
// object the source check must read first is, up to read_once_max_bytes,
// read once into memory and both checked and copied from there.

#include "wayback/mirror.h"

#include <algorithm>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "src/util/crc32c.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback {
namespace {

constexpr size_t kChunk = 8 << 20;

struct Summary {
  uint64_t size = 0;
  uint32_t crc = 0;
};

// Streams a whole object, returning its size and CRC32C; `sink` (if any)
// receives every chunk. Fails if the object's length differs from `expected`
// (when given), so a copy never silently truncates.
using Sink = std::function<absl::Status(std::string_view chunk)>;
absl::StatusOr<Summary> Stream(Storage* storage, const std::string& name,
                               std::optional<uint64_t> expected,
                               const Sink& sink) {
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<ReadableObject> in,
                           storage->OpenForRead(name));
  const uint64_t size = in->size();
  if (expected && *expected != size) {
    return absl::DataLossError(absl::StrCat(
        storage->uri(), " ", name, ": size ", size, ", listed as ", *expected));
  }
  std::string buffer(static_cast<size_t>(std::min<uint64_t>(kChunk, size)),
                     '\0');
  Summary s;
  while (s.size < size) {
    const size_t n =
        static_cast<size_t>(std::min<uint64_t>(kChunk, size - s.size));
    WAYBACK_ASSIGN_OR_RETURN(std::string_view got,
                             in->ReadAt(s.size, n, buffer.data()));
    if (got.size() != n) {
      return absl::DataLossError(absl::StrCat(
          storage->uri(), " ", name, ": short read at offset ", s.size));
    }
    s.crc = crc32c::Extend(s.crc, got.data(), got.size());
    if (sink) WAYBACK_RETURN_IF_ERROR(sink(got));
    s.size += n;
  }
  return s;
}

// Bytes held in memory, read as an object.
class BufferObject : public ReadableObject {
 public:
  explicit BufferObject(const std::string* data) : data_(data) {}
  uint64_t size() const override { return data_->size(); }
  absl::StatusOr<std::string_view> ReadAt(uint64_t offset, size_t n,
                                          char* /*scratch*/) const override {
    if (offset >= data_->size()) return std::string_view();
    return std::string_view(*data_).substr(offset, n);
  }

 private:
  const std::string* data_;
};

// The source as the source check sees an object read once: that object
// from memory, everything else from the source itself.
class ReadOnceStorage : public StorageWrapper {
 public:
  ReadOnceStorage(Storage* source, const std::string* name,
                  const std::string* data)
      : StorageWrapper(source), name_(name), data_(data) {}
  absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
      std::string_view name) override {
    if (name != *name_) return StorageWrapper::OpenForRead(name);
    return std::unique_ptr<ReadableObject>(new BufferObject(data_));
  }
  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    if (name != *name_) return StorageWrapper::Stat(name);
    return ObjectInfo{*name_, data_->size()};
  }

 private:
  const std::string* name_;
  const std::string* data_;
};

bool DefaultFilter(const ObjectInfo& info) {
  return !absl::EndsWith(info.name, ".tmp");
}

}  // namespace

absl::StatusOr<MirrorReport> MirrorRepository(Storage* from, Storage* to,
                                              const MirrorOptions& options) {
  MirrorReport report;
  if (!options.dry_run &&
      options.remove_temporaries_older_than < absl::InfiniteDuration()) {
    absl::StatusOr<std::vector<std::string>> removed =
        to->RemoveStaleTemporaries(options.prefix,
                                   options.remove_temporaries_older_than);
    if (!removed.ok()) {
      return absl::Status(
          removed.status().code(),
          absl::StrCat("removing stale temporaries at ", to->uri(), ": ",
                       removed.status().message()));
    }
    report.removed_temporaries = std::move(*removed);
  }
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> source,
                           from->List(options.prefix));
  WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> dest,
                           to->List(options.prefix));
  std::map<std::string, uint64_t> present;
  for (const ObjectInfo& d : dest) present[d.name] = d.size;

  std::vector<ObjectInfo> todo;
  for (const ObjectInfo& s : source) {
    if (!(options.filter ? options.filter(s) : DefaultFilter(s))) continue;
    ++report.source_objects;
    auto it = present.find(s.name);
    if (it == present.end()) {
      todo.push_back(s);
      continue;
    }
    bool same = it->second == s.size;
    if (same && options.verify_existing) {
      WAYBACK_ASSIGN_OR_RETURN(Summary a,
                               Stream(from, s.name, s.size, nullptr));
      WAYBACK_ASSIGN_OR_RETURN(Summary b,
                               Stream(to, s.name, it->second, nullptr));
      same = a.crc == b.crc;
    }
    if (same) {
      ++report.already_present;
    } else {
      report.conflicts.push_back(s.name);
    }
  }
  if (options.dry_run) {
    for (const ObjectInfo& s : todo) {
      report.copied.push_back(s.name);
      report.copied_bytes += s.size;
    }
    report.copied_objects = todo.size();
    return report;
  }

  absl::Mutex mu;
  absl::Status first_error;
  std::atomic<size_t> next{0};
  auto copy_one = [&](const ObjectInfo& s) -> absl::Status {
    // With a source check, an object small enough is read once: checked and
    // copied from memory (half the reads of the source, which may be in
    // another region).
    std::optional<std::string> held;
    absl::StatusOr<Summary> sent;  // Of the bytes read from the source.
    if (options.verify_source && s.size <= options.read_once_max_bytes) {
      held.emplace();
      held->reserve(s.size);
      sent = Stream(from, s.name, std::nullopt, [&](std::string_view chunk) {
        held->append(chunk);
        return absl::OkStatus();
      });
      if (absl::IsNotFound(sent.status())) {
        absl::MutexLock lock(&mu);
        report.vanished.push_back(s.name);
        return absl::OkStatus();
      }
      WAYBACK_RETURN_IF_ERROR(sent.status());
    }
    if (options.verify_source) {
      // Checked before anything is written, so a damaged object never
      // appears at the destination, not even briefly.
      ReadOnceStorage once(from, &s.name, held ? &*held : nullptr);
      absl::Status check = options.verify_source(held ? &once : from, s);
      if (absl::IsDataLoss(check)) {
        absl::MutexLock lock(&mu);
        report.rejected.push_back({s.name, std::string(check.message())});
        return absl::OkStatus();
      }
      if (absl::IsNotFound(check)) {
        absl::MutexLock lock(&mu);
        report.vanished.push_back(s.name);
        return absl::OkStatus();
      }
      WAYBACK_RETURN_IF_ERROR(check);
    }
    absl::StatusOr<std::unique_ptr<ObjectWriter>> writer = to->Create(s.name);
    if (absl::IsAlreadyExists(writer.status())) {
      // Appeared at the destination since we listed it (another mirror):
      // judge it like any present object, by size.
      absl::StatusOr<ObjectInfo> info = to->Stat(s.name);
      absl::MutexLock lock(&mu);
      if (info.ok() && info->size == s.size) {
        ++report.already_present;
      } else {
        report.conflicts.push_back(s.name);
      }
      return absl::OkStatus();
    }
    WAYBACK_RETURN_IF_ERROR(writer.status());
    if (held) {
      for (size_t off = 0; off < held->size(); off += kChunk) {
        WAYBACK_RETURN_IF_ERROR(
            (*writer)->Append(std::string_view(*held).substr(off, kChunk)));
      }
    } else {
      sent = Stream(from, s.name, std::nullopt, [&](std::string_view chunk) {
        return (*writer)->Append(chunk);
      });
    }
    if (absl::IsNotFound(sent.status())) {
      absl::MutexLock lock(&mu);
      report.vanished.push_back(s.name);
      return absl::OkStatus();  // Deleted at the source; writer abandoned.
    }
    WAYBACK_RETURN_IF_ERROR(sent.status());
    WAYBACK_RETURN_IF_ERROR((*writer)->Close());
    if (options.verify) {
      absl::StatusOr<Summary> landed = Stream(to, s.name, sent->size, nullptr);
      if (!landed.ok() || landed->crc != sent->crc) {
        // Our own bad copy: remove it so a rerun copies again.
        (void)to->Delete(s.name);
        return absl::DataLossError(absl::StrCat(
            "mirror ", s.name, ": the copy at ", to->uri(),
            " does not match the source (",
            landed.ok()
                ? absl::StrCat("crc32c ", landed->crc, " vs ", sent->crc)
                : std::string(landed.status().message()),
            "); copy removed"));
      }
    }
    absl::MutexLock lock(&mu);
    report.copied.push_back(s.name);
    report.copied_bytes += sent->size;
    ++report.copied_objects;
    return absl::OkStatus();
  };
  auto worker = [&] {
    while (true) {
      {
        absl::MutexLock lock(&mu);
        if (!first_error.ok()) return;
      }
      size_t i = next.fetch_add(1);
      if (i >= todo.size()) return;
      absl::Status s = copy_one(todo[i]);
      if (!s.ok()) {
        absl::MutexLock lock(&mu);
        if (first_error.ok()) first_error = s;
      }
    }
  };
  const int threads = std::max(
      1, std::min<int>(options.parallelism, static_cast<int>(todo.size())));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (std::thread& t : pool) t.join();
  if (!first_error.ok()) return first_error;
  std::sort(report.copied.begin(), report.copied.end());
  std::sort(report.conflicts.begin(), report.conflicts.end());
  std::sort(report.vanished.begin(), report.vanished.end());
  std::sort(report.rejected.begin(), report.rejected.end(),
            [](const MirrorRejection& a, const MirrorRejection& b) {
              return a.name < b.name;
            });
  return report;
}

}  // namespace wayback
