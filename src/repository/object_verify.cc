// Copyright 2026 The Wayback Authors.
//
// Why a one-object view: a log reader opened on the storage itself would
// list the log and could read a sibling live segment or the segments around
// the one being checked; the view shows it exactly one object, so a damaged
// neighbour can never be blamed on (or hidden by) the object under test.

#include "src/repository/object_verify.h"

#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "src/repository/monitoring_records.h"
#include "src/repository/pins.h"
#include "src/snapshot/snapshot_file.h"
#include "src/storage/repository_format.h"
#include "wayback/log.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"
#include "wayback/status.h"

namespace wayback {
namespace {

absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

// Shows a reader one object of a storage and nothing else; read-only.
class OneObjectView : public StorageWrapper {
 public:
  OneObjectView(Storage* target, ObjectInfo object)
      : StorageWrapper(target), object_(std::move(object)) {}
  absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) override {
    if (absl::StartsWith(object_.name, A(prefix))) {
      return std::vector<ObjectInfo>{object_};
    }
    return std::vector<ObjectInfo>{};
  }
  absl::StatusOr<std::unique_ptr<ReadableObject>> OpenForRead(
      std::string_view name) override {
    if (name != object_.name) return NotHere(name);
    return target()->OpenForRead(name);
  }
  absl::StatusOr<ObjectInfo> Stat(std::string_view name) override {
    if (name != object_.name) return NotHere(name);
    return target()->Stat(name);
  }
  absl::StatusOr<std::unique_ptr<ObjectWriter>> Create(
      std::string_view name) override {
    return ReadOnly(name);
  }
  absl::Status Delete(std::string_view name) override { return ReadOnly(name); }
  absl::StatusOr<std::unique_ptr<AppendableObject>> OpenAppendable(
      std::string_view name, const AppendableOptions&) override {
    return ReadOnly(name);
  }
  absl::Status Rename(std::string_view from, std::string_view) override {
    return ReadOnly(from);
  }
  absl::StatusOr<std::unique_ptr<StorageLock>> Lock(
      std::string_view name) override {
    return ReadOnly(name);
  }

 private:
  absl::Status NotHere(std::string_view name) const {
    return absl::NotFoundError(
        absl::StrCat(A(name), ": not part of the object being verified"));
  }
  absl::Status ReadOnly(std::string_view name) const {
    return absl::PermissionDeniedError(
        absl::StrCat(A(name), ": read-only view for verification"));
  }
  const ObjectInfo object_;
};

bool IsIoError(const absl::Status& s) {
  switch (s.code()) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnauthenticated:
    case absl::StatusCode::kNotFound:
    case absl::StatusCode::kDeadlineExceeded:
      return true;
    default:
      return false;
  }
}

// Anything a format reader says about the bytes (bad checksum, hole, bad
// length, contradiction) is damage: kDataLoss naming the object. I/O errors
// stay what they are.
absl::Status AsDamage(const std::string& name, const absl::Status& s) {
  if (s.ok() || IsIoError(s) || absl::IsDataLoss(s)) return s;
  return absl::DataLossError(absl::StrCat(name, ": ", s.message()));
}

absl::Status VerifySegment(Storage* from, const ObjectInfo& object,
                           const ObjectName& parsed) {
  OneObjectView view(from, object);
  absl::StatusOr<SegmentInfo> info = ReadSegmentInfo(&view, object.name);
  if (!info.ok()) return AsDamage(object.name, info.status());
  if (info->timeline != parsed.timeline || info->first_lsn != parsed.lsn ||
      !info->sealed) {
    return absl::DataLossError(absl::StrCat(
        object.name, ": header says timeline ", info->timeline, " first LSN ",
        info->first_lsn, info->sealed ? "" : " (unsealed)",
        ", which contradicts its name"));
  }
  LogReaderOptions ro;
  ro.timeline = parsed.timeline;
  ro.start_lsn = parsed.lsn;
  ro.allow_torn_tail = false;
  absl::StatusOr<std::unique_ptr<LogReader>> reader =
      LogReader::Open(&view, ro);
  if (!reader.ok()) return AsDamage(object.name, reader.status());
  Lsn next = parsed.lsn;
  while (true) {
    absl::StatusOr<const LogRecord*> r = (*reader)->Next();
    if (!r.ok()) return AsDamage(object.name, r.status());
    if (*r == nullptr) break;
    if ((*r)->lsn != next) {
      return absl::DataLossError(absl::StrCat(object.name, ": record LSN ",
                                              (*r)->lsn, " where ", next,
                                              " was expected"));
    }
    ++next;
  }
  if (next - 1 != info->last_lsn) {
    return absl::DataLossError(
        absl::StrCat(object.name, ": records end at LSN ", next - 1,
                     " but the footer says ", info->last_lsn));
  }
  return absl::OkStatus();
}

absl::Status VerifySnapshot(Storage* from, const ObjectInfo& object) {
  OneObjectView view(from, object);
  // SnapshotFile::Open, not SnapshotReader::Open: a timeline's version
  // fence (an empty version-2 object that keeps version-1 programs from
  // using older snapshots) is checked whole on opening and is copied like
  // any snapshot; it holds no state to verify.
  absl::StatusOr<std::unique_ptr<SnapshotFile>> file =
      SnapshotFile::Open(&view, object.name);
  if (!file.ok()) return AsDamage(object.name, file.status());
  if ((*file)->info().fence) return absl::OkStatus();
  return AsDamage(object.name, (*file)->Verify());
}

absl::Status VerifyIdentity(Storage* from, const ObjectInfo& object) {
  WAYBACK_ASSIGN_OR_RETURN(std::string bytes, from->ReadAll(object.name));
  return repository_format::Decode(bytes, object.name).status();
}

}  // namespace

absl::Status VerifyRepositoryObject(Storage* storage,
                                    const ObjectInfo& object) {
  const ObjectName parsed = ClassifyObject(object.name);
  switch (parsed.kind) {
    case ObjectKind::kSegment:
      return VerifySegment(storage, object, parsed);
    case ObjectKind::kSnapshot:
      return VerifySnapshot(storage, object);
    case ObjectKind::kIdentity:
      return VerifyIdentity(storage, object);
    case ObjectKind::kPin: {
      WAYBACK_ASSIGN_OR_RETURN(std::string bytes,
                               storage->ReadAll(object.name));
      return DecodePin(bytes, object.name).status();
    }
    case ObjectKind::kDrill: {
      WAYBACK_ASSIGN_OR_RETURN(std::string bytes,
                               storage->ReadAll(object.name));
      return DecodeDrillRecord(bytes, object.name).status();
    }
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(object.name, ": a ", A(ObjectKindName(parsed.kind)),
                       " cannot be verified on its own"));
  }
}

}  // namespace wayback
