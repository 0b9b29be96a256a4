// Copyright 2026 The Wayback Authors.
//
// Repository: open, create and recognise repositories; classify their
// objects; describe what they can restore. The identity object's format is in
// repository_format.md; object verification and mirroring are in
// object_verify.cc and repository_mirror.cc.

#include "wayback/repository.h"

#include <algorithm>
#include <filesystem>
#include <set>
#include <tuple>

#include "absl/random/random.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "src/repository/object_verify.h"
#include "src/storage/expire_format.h"
#include "src/storage/repository_format.h"
#include "src/util/errors.h"
#include "wayback/log.h"
#include "wayback/snapshot.h"
#include "wayback/status.h"

namespace wayback {
namespace {

namespace fs = std::filesystem;

absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

// Any segment or snapshot under log/ or snap/ (defined below).
absl::StatusOr<bool> HoldsHistory(Storage* storage);

class RepositoryImpl final : public Repository {
 public:
  RepositoryImpl(std::unique_ptr<Storage> owned, Storage* storage,
                 std::optional<RepositoryIdentity> identity)
      : owned_(std::move(owned)),
        storage_(storage),
        identity_(std::move(identity)) {}

  Storage* storage() const override { return storage_; }
  std::string uri() const override { return storage_->uri(); }
  const std::optional<RepositoryIdentity>& identity() const override {
    return identity_;
  }
  absl::StatusOr<bool> HasHistory() const override {
    return HoldsHistory(storage_);
  }
  absl::StatusOr<std::unique_ptr<Catalog>> ReadCatalog() const override {
    return Catalog::Open(storage_);
  }
  absl::StatusOr<RepositoryDescription> Describe(
      const Catalog* catalog) const override {
    if (catalog != nullptr) return DescribeCatalog(*catalog);
    WAYBACK_ASSIGN_OR_RETURN(auto fresh, ReadCatalog());
    return DescribeCatalog(*fresh);
  }
  absl::Status VerifyObject(const ObjectInfo& object) const override {
    return VerifyRepositoryObject(storage_, object);
  }

 private:
  std::unique_ptr<Storage> owned_;
  Storage* const storage_;
  const std::optional<RepositoryIdentity> identity_;
};

std::string NewRepositoryId() {
  absl::BitGen gen;
  return absl::StrFormat("%016x%016x", absl::Uniform<uint64_t>(gen),
                         absl::Uniform<uint64_t>(gen));
}

// Before a local directory is opened: it must exist and be a directory (the
// storage backend would otherwise create it or fail less clearly).
absl::Status CheckLocalExisting(const std::string& path) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (!fs::exists(st)) {
    return absl::NotFoundError(absl::StrCat("no repository at ", path,
                                            ": the directory does not exist"));
  }
  if (!fs::is_directory(st)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " is not a directory, so not a Wayback repository"));
  }
  return absl::OkStatus();
}

// Before a repository is created in a local directory: it must be new, or
// hold nothing but Wayback's own entries. Anything else (a home directory,
// another program's data) is refused before a single file is written there.
absl::Status CheckLocalCreatable(const std::string& path) {
  std::error_code ec;
  auto st = fs::status(path, ec);
  if (!fs::exists(st)) return absl::OkStatus();
  if (!fs::is_directory(st)) {
    return absl::InvalidArgumentError(
        absl::StrCat(path, " exists and is not a directory"));
  }
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    std::string name = entry.path().filename().string();
    // A temporary of the identity object is what a process killed while
    // creating the repository (or copying the identity into a mirror)
    // leaves behind: the location is still new.
    const bool identity_temporary =
        absl::StartsWith(name, absl::StrCat(A(kIdentityObjectName), ".")) &&
        absl::EndsWith(name, ".tmp");
    if (name != "log" && name != "snap" && name != kIdentityObjectName &&
        !identity_temporary) {
      return absl::FailedPreconditionError(absl::StrCat(
          path, " is not empty and is not a Wayback repository (it holds ",
          name, "); choose a new or empty directory"));
    }
  }
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Storage>> OpenUri(
    std::string_view uri, bool create, const RepositoryOptions& options) {
  StorageOpenOptions o;
  o.create = create;
  o.s3 = options.s3;
  return OpenStorage(uri, o);
}

absl::StatusOr<std::unique_ptr<Repository>> OpenAttached(
    std::unique_ptr<Storage> owned, Storage* storage) {
  WAYBACK_ASSIGN_OR_RETURN(std::optional<RepositoryIdentity> identity,
                           ReadRepositoryIdentity(storage));
  if (!identity) {
    WAYBACK_ASSIGN_OR_RETURN(bool holds, Repository::Holds(storage));
    if (!holds) {
      return absl::InvalidArgumentError(absl::StrCat(
          storage->uri(),
          " is not a Wayback repository: it holds no identity, log/ or "
          "snap/ objects (create one with `wayback gen`, `wayback import` or "
          "`wayback ingest --create`)"));
    }
  }
  return std::unique_ptr<Repository>(
      new RepositoryImpl(std::move(owned), storage, std::move(identity)));
}

absl::StatusOr<std::unique_ptr<Repository>> CreateAttached(
    std::unique_ptr<Storage> owned, Storage* storage,
    const RepositoryOptions& options) {
  WAYBACK_ASSIGN_OR_RETURN(bool holds, Repository::Holds(storage));
  if (holds) {
    return absl::FailedPreconditionError(
        absl::StrCat(storage->uri(),
                     " already holds a repository; choose a new or empty "
                     "location"));
  }
  RepositoryIdentity identity;
  identity.id = NewRepositoryId();
  identity.created =
      (options.clock != nullptr ? options.clock : Clock::Real())->NowNanos();
  identity.source = options.source;
  WAYBACK_RETURN_IF_ERROR(repository_format::Validate(identity));
  absl::Status written = storage->WriteAll(kIdentityObjectName,
                                           repository_format::Encode(identity));
  if (absl::IsAlreadyExists(written)) {
    return absl::FailedPreconditionError(absl::StrCat(
        storage->uri(),
        " was created as a repository by another process meanwhile"));
  }
  WAYBACK_RETURN_IF_ERROR(written);
  return std::unique_ptr<Repository>(
      new RepositoryImpl(std::move(owned), storage, std::move(identity)));
}

std::string DescribeIdentity(const std::optional<RepositoryIdentity>& id) {
  return id ? absl::StrCat("repository ", id->id)
            : "a repository without an "
              "identity object";
}

}  // namespace

ObjectName ClassifyObject(std::string_view name) {
  ObjectName out;
  if (absl::EndsWith(A(name), ".tmp")) {
    out.kind = ObjectKind::kTemporary;
    return out;
  }
  if (name == kIdentityObjectName) {
    out.kind = ObjectKind::kIdentity;
    return out;
  }
  if (name == "log/LOCK") {
    out.kind = ObjectKind::kLock;
    return out;
  }
  if (absl::StartsWith(A(name), A(kCaptureStatePrefix))) {
    out.kind = ObjectKind::kCaptureState;
    return out;
  }
  if (absl::StartsWith(A(name), AV(expire_format::kPrefix))) {
    out.kind = ObjectKind::kExpireRecord;
    return out;
  }
  if (absl::StartsWith(A(name), "pins/") && absl::EndsWith(A(name), ".pin")) {
    out.kind = ObjectKind::kPin;
    return out;
  }
  if (absl::StartsWith(A(name), "drills/") &&
      absl::EndsWith(A(name), ".json")) {
    out.kind = ObjectKind::kDrill;
    return out;
  }
  TimelineId timeline;
  Lsn lsn;
  bool sealed;
  uint32_t generation;
  if (ParseSegmentObjectName(name, &timeline, &lsn, &sealed, &generation)) {
    out.kind = sealed ? ObjectKind::kSegment : ObjectKind::kLiveSegment;
    out.timeline = timeline;
    out.lsn = lsn;
    return out;
  }
  // Every snapshot name: full or delta, any generation (and the fence).
  if (const std::optional<SnapshotName> s = ParseSnapshotName(name)) {
    out.kind = ObjectKind::kSnapshot;
    out.timeline = s->timeline;
    out.lsn = s->lsn;
  }
  return out;
}

bool IsImmutable(ObjectKind kind) {
  return kind == ObjectKind::kSegment || kind == ObjectKind::kSnapshot ||
         kind == ObjectKind::kIdentity || kind == ObjectKind::kPin ||
         kind == ObjectKind::kDrill;
}

std::string_view ObjectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kSegment:
      return "sealed segment";
    case ObjectKind::kLiveSegment:
      return "live segment";
    case ObjectKind::kSnapshot:
      return "snapshot";
    case ObjectKind::kIdentity:
      return "identity object";
    case ObjectKind::kLock:
      return "lock";
    case ObjectKind::kTemporary:
      return "temporary";
    case ObjectKind::kCaptureState:
      return "capture state";
    case ObjectKind::kPin:
      return "pin";
    case ObjectKind::kExpireRecord:
      return "expire record";
    case ObjectKind::kDrill:
      return "drill record";
    case ObjectKind::kUnknown:
      break;
  }
  return "unknown object";
}

namespace {
absl::StatusOr<bool> HoldsHistory(Storage* storage) {
  for (std::string_view prefix : {"log/", "snap/"}) {
    WAYBACK_ASSIGN_OR_RETURN(std::vector<ObjectInfo> objects,
                             storage->List(prefix));
    for (const ObjectInfo& o : objects) {
      ObjectKind kind = ClassifyObject(o.name).kind;
      if (kind == ObjectKind::kSegment || kind == ObjectKind::kLiveSegment ||
          kind == ObjectKind::kSnapshot) {
        return true;
      }
    }
  }
  return false;
}
}  // namespace

absl::StatusOr<bool> Repository::Holds(Storage* storage) {
  absl::StatusOr<ObjectInfo> id = storage->Stat(kIdentityObjectName);
  if (id.ok()) return true;
  if (!absl::IsNotFound(id.status())) return id.status();
  return HoldsHistory(storage);
}

absl::StatusOr<std::unique_ptr<Repository>> Repository::Open(
    std::string_view uri, const RepositoryOptions& options) {
  WAYBACK_ASSIGN_OR_RETURN(std::optional<std::string> path,
                           LocalPathOfUri(uri));
  if (path) WAYBACK_RETURN_IF_ERROR(CheckLocalExisting(*path));
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                           OpenUri(uri, /*create=*/false, options));
  Storage* s = storage.get();
  return OpenAttached(std::move(storage), s);
}

absl::StatusOr<std::unique_ptr<Repository>> Repository::Create(
    std::string_view uri, const RepositoryOptions& options) {
  WAYBACK_ASSIGN_OR_RETURN(std::optional<std::string> path,
                           LocalPathOfUri(uri));
  if (path) WAYBACK_RETURN_IF_ERROR(CheckLocalCreatable(*path));
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                           OpenUri(uri, /*create=*/true, options));
  Storage* s = storage.get();
  return CreateAttached(std::move(storage), s, options);
}

absl::StatusOr<std::unique_ptr<Repository>> Repository::OpenOrCreate(
    std::string_view uri, const RepositoryOptions& options) {
  WAYBACK_ASSIGN_OR_RETURN(std::optional<std::string> path,
                           LocalPathOfUri(uri));
  if (path) {
    std::error_code ec;
    if (!fs::exists(*path, ec)) return Create(uri, options);
    WAYBACK_RETURN_IF_ERROR(CheckLocalExisting(*path));
  }
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                           OpenUri(uri, /*create=*/path.has_value(), options));
  Storage* s = storage.get();
  WAYBACK_ASSIGN_OR_RETURN(bool holds, Holds(s));
  if (holds) return OpenAttached(std::move(storage), s);
  if (path) WAYBACK_RETURN_IF_ERROR(CheckLocalCreatable(*path));
  return CreateAttached(std::move(storage), s, options);
}

absl::StatusOr<std::unique_ptr<Repository>> Repository::OpenOrCreateMirror(
    std::string_view uri, const Repository& source,
    const RepositoryOptions& options) {
  WAYBACK_ASSIGN_OR_RETURN(std::optional<std::string> path,
                           LocalPathOfUri(uri));
  if (path) {
    absl::Status creatable = CheckLocalCreatable(*path);
    if (!creatable.ok()) {
      return absl::Status(creatable.code(),
                          absl::StrCat("mirror ", creatable.message(),
                                       absl::IsFailedPrecondition(creatable)
                                           ? " or an existing mirror"
                                           : ""));
    }
  }
  WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<Storage> storage,
                           OpenUri(uri, /*create=*/true, options));
  Storage* s = storage.get();
  WAYBACK_ASSIGN_OR_RETURN(std::optional<RepositoryIdentity> identity,
                           ReadRepositoryIdentity(s));
  WAYBACK_ASSIGN_OR_RETURN(bool holds, Holds(s));
  if (holds && identity != source.identity()) {
    // Both with identities that differ, or exactly one with an identity:
    // either way the destination's history is not the source's.
    return absl::FailedPreconditionError(absl::StrCat(
        "mirror ", A(uri), " holds ", DescribeIdentity(identity), ", not ",
        DescribeIdentity(source.identity()), " of the source ", source.uri(),
        "; choose a new or empty location or that repository's own mirror"));
  }
  // An empty destination gets its identity from the first mirror pass (it
  // is copied like any immutable object), so that source and mirror carry
  // the same one.
  return std::unique_ptr<Repository>(
      new RepositoryImpl(std::move(storage), s, std::move(identity)));
}

absl::StatusOr<std::unique_ptr<Repository>> Repository::Attach(
    Storage* storage, bool create, const RepositoryOptions& options) {
  if (create) return CreateAttached(nullptr, storage, options);
  return OpenAttached(nullptr, storage);
}

RepositoryDescription DescribeCatalog(const Catalog& c) {
  RepositoryDescription d;
  std::set<TimelineId> timelines;
  auto newer = [](const std::optional<CommitPoint>& best,
                  const CommitPoint& p) {
    return !best ||
           std::tie(p.timeline, p.lsn) > std::tie(best->timeline, best->lsn);
  };
  for (size_t i = 0; i < c.segments().size(); ++i) {
    const SegmentInfo& s = c.segments()[i];
    timelines.insert(s.timeline);
    d.segment_bytes += s.size;
    d.segment_raw_bytes += s.raw_bytes;
    ++d.segment_count;
    if (!s.sealed) {
      ++d.live_segment_count;
      d.live_records += s.record_count;
    }
    d.transaction_count += s.transaction_count;
    d.mutation_count += s.mutation_count;
    if (i > 0) {
      const SegmentInfo& p = c.segments()[i - 1];
      if (p.timeline == s.timeline && s.first_lsn > p.last_lsn + 1) {
        d.holes.push_back({s.timeline, p.last_lsn + 1, s.first_lsn - 1});
      }
    }
    if (s.last_lsn < s.first_lsn) continue;  // An empty live segment.
    CommitPoint p{s.timeline, s.last_lsn, s.last_commit_time, s.name,
                  !s.sealed};
    if (newer(d.newest_commit, p)) d.newest_commit = p;
    if (s.sealed && newer(d.newest_sealed_commit, p)) {
      d.newest_sealed_commit = p;
    }
    if (!d.latest_commit_time || std::tie(p.commit_time, p.lsn) >
                                     std::tie(d.latest_commit_time->commit_time,
                                              d.latest_commit_time->lsn)) {
      d.latest_commit_time = p;
    }
  }
  for (const SnapshotInfo& s : c.snapshots()) {
    timelines.insert(s.timeline);
    d.snapshot_bytes += s.size;
    if (s.lsn == kNoLsn) continue;
    CommitPoint p{s.timeline, s.lsn, s.commit_time, s.name, false};
    if (newer(d.newest_commit, p)) d.newest_commit = p;
    if (newer(d.newest_sealed_commit, p)) d.newest_sealed_commit = p;
  }
  for (const RecoverableWindow& w : c.windows()) {
    if (w.latest_lsn == kNoLsn) continue;
    CommitPoint p{w.timeline, w.latest_lsn, w.latest_time, "", false};
    if (newer(d.newest_restorable, p)) d.newest_restorable = p;
  }
  d.timelines.assign(timelines.begin(), timelines.end());
  return d;
}

MirrorLag LagBetween(const std::optional<CommitPoint>& source,
                     const std::optional<CommitPoint>& mirror) {
  MirrorLag lag;
  if (!source) {
    lag.lsns = 0;
    lag.time = absl::ZeroDuration();
    return lag;
  }
  if (!mirror) {
    lag.lsns = source->lsn;
    return lag;
  }
  if (mirror->timeline == source->timeline) {
    lag.lsns = source->lsn >= mirror->lsn ? source->lsn - mirror->lsn : 0;
  }
  lag.time = absl::Nanoseconds(
      std::max<int64_t>(0, source->commit_time - mirror->commit_time));
  return lag;
}

}  // namespace wayback
