// Copyright 2026 The Wayback Authors.
//
// wayback mirror: copies a repository's immutable objects (sealed segments
// and snapshots) into one or more other repositories, verified and never
// overwriting, and reports how far each mirror lags behind the source.
//
// What is copied, and why: only objects that can never change. A sealed
// segment (log/*.seg) and a snapshot (snap/*.snap) are immutable once
// published. The live segment (log/*.live) still grows; copying it would
// freeze a prefix at the mirror that create-only writes could never update,
// so it is left for the run after it is sealed (the writer seals by size and
// by age, LogWriterOptions::segment_max_age, which therefore bounds the lag).
// In-flight temporaries (*.tmp), the writer's lock and unknown objects are
// not copied either; unknown ones are listed so that nothing is skipped
// silently.
//
// How lag is counted: the source's newest commit includes the live segment's
// last one (that commit exists and a restore from the source reaches it),
// while the mirror holds only sealed data; so the lag reported is what a
// restore from the mirror would lose against one from the source, live
// segment included. It is measured from each mirror's own objects (its
// catalog) after the copy, not inferred from what was copied.
//
// Checks, per object copied: the source's bytes are first verified through
// their format (every block checksum and the LSN sequence of a segment; every
// block and the digest of a snapshot), so a damaged object is never
// published at a mirror; then the copy is streamed with its CRC32C and, once
// published, read back from the mirror and compared (MirrorRepository).

#include <filesystem>
#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "tools/common.h"
#include "wayback/log.h"
#include "wayback/mirror.h"
#include "wayback/snapshot.h"

namespace wayback::cli {
namespace {

namespace fs = std::filesystem;

// std::string_view -> absl::string_view (Debian's Abseil keeps its own).
absl::string_view A(std::string_view s) { return {s.data(), s.size()}; }

// What a source object is, by name.
enum class Kind { kSegment, kSnapshot, kLive, kTemporary, kLock, kOther };

Kind KindOf(const std::string& name) {
  if (absl::EndsWith(name, ".tmp")) return Kind::kTemporary;
  TimelineId t;
  Lsn lsn;
  bool sealed;
  if (ParseSegmentObjectName(name, &t, &lsn, &sealed)) {
    return sealed ? Kind::kSegment : Kind::kLive;
  }
  if (ParseSnapshotObjectName(name, &t, &lsn)) return Kind::kSnapshot;
  if (name == "log/LOCK") return Kind::kLock;
  return Kind::kOther;
}

// Shows a reader one object of a storage and nothing else, so that a log
// reader started on it reads exactly that segment (not a sibling .live or
// the segments around it).
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

absl::Status VerifySegment(Storage* from, const ObjectInfo& object) {
  TimelineId timeline;
  Lsn first;
  bool sealed;
  if (!ParseSegmentObjectName(object.name, &timeline, &first, &sealed)) {
    return absl::InvalidArgumentError(
        absl::StrCat(object.name, ": not a segment name"));
  }
  OneObjectView view(from, object);
  absl::StatusOr<SegmentInfo> info = ReadSegmentInfo(&view, object.name);
  if (!info.ok()) return AsDamage(object.name, info.status());
  if (info->timeline != timeline || info->first_lsn != first || !info->sealed) {
    return absl::DataLossError(absl::StrCat(
        object.name, ": header says timeline ", info->timeline, " first LSN ",
        info->first_lsn, info->sealed ? "" : " (unsealed)",
        ", which contradicts its name"));
  }
  LogReaderOptions ro;
  ro.timeline = timeline;
  ro.start_lsn = first;
  ro.allow_torn_tail = false;
  absl::StatusOr<std::unique_ptr<LogReader>> reader =
      LogReader::Open(&view, ro);
  if (!reader.ok()) return AsDamage(object.name, reader.status());
  Lsn next = first;
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
  absl::StatusOr<std::unique_ptr<SnapshotReader>> reader =
      SnapshotReader::Open(&view, object.name);
  if (!reader.ok()) return AsDamage(object.name, reader.status());
  return AsDamage(object.name, (*reader)->Verify());
}

absl::Status VerifySourceObject(Storage* from, const ObjectInfo& object) {
  switch (KindOf(object.name)) {
    case Kind::kSegment:
      return VerifySegment(from, object);
    case Kind::kSnapshot:
      return VerifySnapshot(from, object);
    default:
      return absl::InvalidArgumentError(
          absl::StrCat(object.name, ": not a mirrored kind of object"));
  }
}

// The newest commit a repository holds: the highest (timeline, LSN) among
// its segments' last records and its snapshots.
struct Newest {
  TimelineId timeline = kFirstTimeline;
  Lsn lsn = kNoLsn;
  CommitTime time = 0;
  std::string object;
  bool live = false;
};

std::optional<Newest> NewestCommit(const Catalog& c, bool sealed_only) {
  std::optional<Newest> best;
  auto consider = [&](const Newest& n) {
    if (!best ||
        std::tie(n.timeline, n.lsn) > std::tie(best->timeline, best->lsn)) {
      best = n;
    }
  };
  for (const SegmentInfo& s : c.segments()) {
    if (s.last_lsn < s.first_lsn || (sealed_only && !s.sealed)) continue;
    consider({s.timeline, s.last_lsn, s.last_commit_time, s.name, !s.sealed});
  }
  for (const SnapshotInfo& s : c.snapshots()) {
    if (s.lsn == kNoLsn) continue;
    consider({s.timeline, s.lsn, s.commit_time, s.name, false});
  }
  return best;
}

// The newest commit a restore from the repository can reach.
std::optional<Newest> NewestRestorable(const Catalog& c) {
  std::optional<Newest> best;
  for (const RecoverableWindow& w : c.windows()) {
    if (w.latest_lsn == kNoLsn) continue;
    if (!best || std::tie(w.timeline, w.latest_lsn) >
                     std::tie(best->timeline, best->lsn)) {
      best = Newest{w.timeline, w.latest_lsn, w.latest_time, "", false};
    }
  }
  return best;
}

json NewestJson(const std::optional<Newest>& n) {
  if (!n) return nullptr;
  json j = {{"timeline", n->timeline},
            {"lsn", n->lsn},
            {"commit_time", FormatCommitTime(n->time)},
            {"commit_time_ns", n->time}};
  if (!n->object.empty()) {
    j["object"] = n->object;
    j["live"] = n->live;
  }
  return j;
}

std::string NewestText(const std::optional<Newest>& n) {
  if (!n) return "none (no commits)";
  std::string s =
      absl::StrCat("LSN ", n->lsn, " committed ", FormatCommitTime(n->time));
  if (n->timeline != kFirstTimeline) {
    absl::StrAppend(&s, " on timeline ", n->timeline);
  }
  return s;
}

// The mirror's lag behind the source.
struct Lag {
  std::optional<uint64_t> lsns;  // Absent across timelines.
  std::optional<absl::Duration> time;
  std::string text;
};

Lag LagOf(const std::optional<Newest>& source,
          const std::optional<Newest>& mirror) {
  Lag lag;
  if (!source) {
    lag.lsns = 0;
    lag.time = absl::ZeroDuration();
    lag.text = "none (the source holds no commits)";
    return lag;
  }
  if (!mirror) {
    lag.lsns = source->lsn;
    lag.text = absl::StrCat(FormatCount(source->lsn),
                            " LSNs: the mirror holds no commits yet");
    return lag;
  }
  if (mirror->timeline == source->timeline) {
    lag.lsns = source->lsn >= mirror->lsn ? source->lsn - mirror->lsn : 0;
  }
  lag.time =
      absl::Nanoseconds(std::max<int64_t>(0, source->time - mirror->time));
  if (lag.lsns && *lag.lsns == 0) {
    lag.text = "none: the mirror holds the source's newest commit";
  } else {
    lag.text =
        absl::StrCat(lag.lsns ? absl::StrCat(FormatCount(*lag.lsns), " LSNs, ")
                              : std::string("another timeline, "),
                     FormatDurationWords(*lag.time), " of commits");
  }
  return lag;
}

json LagJson(const Lag& lag) {
  return {{"lsns", lag.lsns ? json(*lag.lsns) : json(nullptr)},
          {"seconds",
           lag.time ? json(absl::ToDoubleSeconds(*lag.time)) : json(nullptr)},
          {"text", lag.text}};
}

std::optional<std::string> LocalPathOf(const std::string& uri) {
  if (absl::StartsWith(uri, "file://")) return uri.substr(7);
  if (uri.find(':') != std::string::npos && uri.find('/') > uri.find(':')) {
    return std::nullopt;  // Some scheme (s3:, mem:, ...).
  }
  return uri;
}

// A local destination must be a directory that is new, empty, or already a
// repository: mirroring into, say, a home directory is a mistake.
absl::Status CheckLocalDestination(const std::string& uri) {
  std::optional<std::string> path = LocalPathOf(uri);
  if (!path) return absl::OkStatus();
  std::error_code ec;
  auto st = fs::status(*path, ec);
  if (!fs::exists(st)) return absl::OkStatus();
  if (!fs::is_directory(st)) {
    return absl::InvalidArgumentError(
        absl::StrCat("mirror ", *path, " exists and is not a directory"));
  }
  for (const auto& entry : fs::directory_iterator(*path, ec)) {
    std::string name = entry.path().filename().string();
    if (name != "log" && name != "snap") {
      return absl::FailedPreconditionError(absl::StrCat(
          "mirror ", *path,
          " is not empty and is not a Wayback repository (it holds ", name,
          "); choose a new or empty directory or an existing mirror"));
    }
  }
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("mirror ", *path, ": ", ec.message()));
  }
  return absl::OkStatus();
}

bool SameLocation(const std::string& a, const std::string& b) {
  std::optional<std::string> pa = LocalPathOf(a), pb = LocalPathOf(b);
  if (pa && pb) {
    std::error_code ec1, ec2;
    fs::path ca = fs::weakly_canonical(*pa, ec1);
    fs::path cb = fs::weakly_canonical(*pb, ec2);
    return !ec1 && !ec2 && ca == cb;
  }
  return a == b;
}

struct MirrorOutcome {
  std::string uri;
  absl::Status status;  // The first failure (open, copy), if any.
  std::optional<MirrorReport> report;
  std::vector<std::pair<std::string, std::string>> conflicts;  // name, sizes
  std::optional<Newest> newest;
  std::optional<Newest> restorable;
  Lag lag;
  bool measured = false;  // newest/restorable/lag were read from the mirror.
  int exit = kExitOk;
};

class MirrorCommand : public Command {
 public:
  CLI::App* Register(CLI::App* parent) override {
    CLI::App* app = parent->add_subcommand(
        "mirror",
        "Copy a repository's sealed segments and snapshots to one or more "
        "mirrors (verified, never overwriting) and report each mirror's lag");
    app->add_option("--from", from_,
                    "The source repository URI (a directory, "
                    "file:///abs/path or s3://bucket/prefix?endpoint=...)")
        ->required();
    app->add_option("--to", to_,
                    "A mirror URI; repeat for several mirrors. Created if "
                    "missing (a local directory must be new, empty or a "
                    "mirror already; an S3 bucket must exist)")
        ->required();
    app->add_flag("--json", json_, "Machine-readable JSON output");
    app->add_flag("--verify-existing", verify_existing_,
                  "Also compare the CRC32C of objects the mirror already "
                  "holds with the source's (reads both in full); by default "
                  "they are compared by size");
    app->add_flag("--dry-run", dry_run_,
                  "Report what would be copied; write nothing");
    app->add_option("--parallelism", parallelism_,
                    "Objects copied at once per mirror")
        ->capture_default_str()
        ->check(CLI::Range(1, 64));
    AddS3Flags(app);
    app->footer(
        "Copies only immutable objects: sealed segments and snapshots. The "
        "live\n"
        "segment is copied once the writer seals it (by size or age), so "
        "the lag\n"
        "reported - the source's newest commit, live segment included, "
        "against\n"
        "the mirror's newest - is what a restore from the mirror would miss. "
        "Each\n"
        "object is verified at the source (block checksums) before it is "
        "copied,\n"
        "and read back from the mirror after (CRC32C). An object present at\n"
        "both with a different size (with --verify-existing: a different\n"
        "CRC32C) is an error, never overwritten. Run again, it copies "
        "nothing.\n"
        "Exit status: 0 every mirror is complete and verified; 1 a conflict "
        "or a\n"
        "damaged object was found; 2 bad usage or could not run.\n\n"
        "Examples:\n"
        "  wayback mirror --from ./demo-repo --to /mnt/dr/demo-repo\n"
        "  wayback mirror --from ./demo-repo --to "
        "'s3://dr-bucket/demo?region=eu-west-1' --to /mnt/dr/demo-repo\n"
        "  wayback mirror --from ./demo-repo --to "
        "'s3://b/demo?endpoint=http://127.0.0.1:9000' --json");
    return app;
  }

  int Run(Io& io) override {
    for (const std::string& to : to_) {
      if (SameLocation(from_, to)) {
        return Usage(io, "mirror",
                     absl::StrCat("--to ", to, " is the source itself"));
      }
    }
    auto source = OpenRepository(from_);
    if (!source.ok()) return Fail(io, "mirror", source.status());
    auto catalog = Catalog::Open(source->get());
    if (!catalog.ok()) return Fail(io, "mirror", catalog.status());
    auto listed = (*source)->List("");
    if (!listed.ok()) return Fail(io, "mirror", listed.status());

    uint64_t mirrorable = 0, mirrorable_bytes = 0;
    std::vector<std::string> live, other;
    for (const ObjectInfo& o : *listed) {
      switch (KindOf(o.name)) {
        case Kind::kSegment:
        case Kind::kSnapshot:
          ++mirrorable;
          mirrorable_bytes += o.size;
          break;
        case Kind::kLive:
          live.push_back(o.name);
          break;
        case Kind::kOther:
          other.push_back(o.name);
          break;
        default:
          break;
      }
    }
    const std::optional<Newest> source_newest = NewestCommit(**catalog, false);
    const std::optional<Newest> source_sealed = NewestCommit(**catalog, true);

    std::vector<MirrorOutcome> outcomes;
    for (const std::string& to : to_) {
      outcomes.push_back(MirrorOne(source->get(), to, source_newest));
    }

    int exit = kExitOk;
    for (const MirrorOutcome& m : outcomes) exit = std::max(exit, m.exit);
    if (json_) {
      json j;
      j["ok"] = exit == kExitOk;
      j["dry_run"] = dry_run_;
      j["source"] = {{"uri", from_},
                     {"objects", mirrorable},
                     {"bytes", mirrorable_bytes},
                     {"newest_commit", NewestJson(source_newest)},
                     {"newest_sealed_commit", NewestJson(source_sealed)},
                     {"live_segments", live},
                     {"not_mirrored", other}};
      json mirrors = json::array();
      for (const MirrorOutcome& m : outcomes) mirrors.push_back(MirrorJson(m));
      j["mirrors"] = mirrors;
      io.out << j.dump(2) << "\n";
    } else {
      io.out << "Source " << from_ << ": " << FormatCount(mirrorable)
             << " sealed segments and snapshots ("
             << FormatBytes(mirrorable_bytes) << ")\n";
      io.out << "  newest commit   " << NewestText(source_newest);
      if (source_newest && source_newest->live) {
        io.out << "\n                  (in the live segment "
               << source_newest->object
               << ", mirrored once sealed; newest sealed: "
               << NewestText(source_sealed) << ")";
      }
      io.out << "\n";
      if (!other.empty()) {
        io.out << "  not mirrored    " << other.size()
               << " unknown objects: " << absl::StrJoin(other, ", ") << "\n";
      }
      for (const MirrorOutcome& m : outcomes) PrintMirror(io, m);
    }
    for (const MirrorOutcome& m : outcomes) {
      if (!m.status.ok()) {
        io.err << "wayback mirror: error: " << m.status.message() << "\n";
      }
      for (const auto& [name, sizes] : m.conflicts) {
        io.err << "wayback mirror: error: " << m.uri << " holds " << name
               << " with different content than the source (" << sizes
               << "); not overwritten. Find out which copy is right before "
                  "removing either.\n";
      }
      if (m.report) {
        for (const MirrorRejection& r : m.report->rejected) {
          io.err << "wayback mirror: error: " << r.name
                 << " is damaged at the source and was not copied to " << m.uri
                 << ": " << r.message << "\n";
        }
      }
    }
    if (exit == kExitProblem) {
      io.err << "  Run `wayback verify --repo ...` on the source and each "
                "mirror to list every problem.\n";
    }
    return exit;
  }

 private:
  MirrorOutcome MirrorOne(Storage* source, const std::string& to,
                          const std::optional<Newest>& source_newest) {
    MirrorOutcome m;
    m.uri = to;
    auto fail = [&](absl::Status s) {
      m.status = std::move(s);
      m.exit = std::max(m.exit, ExitCodeFor(m.status));
    };
    if (absl::Status s = CheckLocalDestination(to); !s.ok()) {
      fail(s);
      return m;
    }
    auto dest = OpenStorageForCli(to, /*create=*/!dry_run_);
    if (!dest.ok()) {
      // A dry run does not create the mirror: a missing local one is empty.
      if (dry_run_ && absl::IsNotFound(dest.status()) && LocalPathOf(to)) {
        dest = NewMemoryStorage();
      } else {
        fail(absl::Status(
            dest.status().code(),
            absl::StrCat("mirror ", to, ": ", dest.status().message())));
        return m;
      }
    }
    MirrorOptions options;
    options.filter = [](const ObjectInfo& o) {
      Kind k = KindOf(o.name);
      return k == Kind::kSegment || k == Kind::kSnapshot;
    };
    options.parallelism = parallelism_;
    options.verify = true;
    options.verify_existing = verify_existing_;
    options.dry_run = dry_run_;
    options.verify_source = &VerifySourceObject;
    absl::StatusOr<MirrorReport> report =
        MirrorRepository(source, dest->get(), options);
    if (!report.ok()) {
      fail(report.status());
    } else {
      m.report = std::move(*report);
      for (const std::string& name : m.report->conflicts) {
        auto a = source->Stat(name);
        auto b = (*dest)->Stat(name);
        std::string sizes =
            a.ok() && b.ok() && a->size == b->size
                ? absl::StrCat("both ", a->size, " bytes, CRC32C differs")
                : absl::StrCat("source ", a.ok() ? absl::StrCat(a->size) : "?",
                               " bytes, mirror ",
                               b.ok() ? absl::StrCat(b->size) : "?", " bytes");
        m.conflicts.emplace_back(name, sizes);
      }
      if (!m.report->conflicts.empty() || !m.report->rejected.empty()) {
        m.exit = std::max(m.exit, kExitProblem);
      }
    }
    // The lag, from what the mirror itself now holds.
    auto mirror_catalog = Catalog::Open(dest->get());
    if (!mirror_catalog.ok()) {
      if (m.status.ok()) fail(mirror_catalog.status());
      return m;
    }
    m.newest = NewestCommit(**mirror_catalog, false);
    m.restorable = NewestRestorable(**mirror_catalog);
    m.lag = LagOf(source_newest, m.newest);
    m.measured = true;
    return m;
  }

  json MirrorJson(const MirrorOutcome& m) const {
    json j;
    j["uri"] = m.uri;
    j["ok"] = m.exit == kExitOk;
    j["error"] =
        m.status.ok() ? json(nullptr) : json(std::string(m.status.message()));
    if (m.report) {
      const MirrorReport& r = *m.report;
      j["copied"] = r.copied;
      j["copied_objects"] = r.copied_objects;
      j["copied_bytes"] = r.copied_bytes;
      j["already_present"] = r.already_present;
      json conflicts = json::array();
      for (const auto& [name, sizes] : m.conflicts) {
        conflicts.push_back({{"object", name}, {"detail", sizes}});
      }
      j["conflicts"] = conflicts;
      json rejected = json::array();
      for (const MirrorRejection& x : r.rejected) {
        rejected.push_back({{"object", x.name}, {"message", x.message}});
      }
      j["rejected"] = rejected;
      j["vanished"] = r.vanished;
      j["removed_temporaries"] = r.removed_temporaries;
    }
    if (m.measured) {
      j["newest_commit"] = NewestJson(m.newest);
      j["newest_restorable"] = NewestJson(m.restorable);
      j["lag"] = LagJson(m.lag);
    } else {
      j["newest_commit"] = j["newest_restorable"] = j["lag"] = nullptr;
    }
    return j;
  }

  void PrintMirror(Io& io, const MirrorOutcome& m) const {
    io.out << "Mirror " << m.uri << (m.exit == kExitOk ? "" : " (FAILED)")
           << "\n";
    if (m.report) {
      const MirrorReport& r = *m.report;
      if (r.copied_objects == 0) {
        io.out << "  copied          nothing"
               << (r.conflicts.empty() && r.rejected.empty()
                       ? absl::StrCat(": the mirror already holds all ",
                                      FormatCount(r.already_present),
                                      " sealed segments and snapshots")
                       : std::string())
               << "\n";
      } else {
        uint64_t segs = 0;
        for (const std::string& n : r.copied) {
          segs += KindOf(n) == Kind::kSegment;
        }
        io.out << "  " << (dry_run_ ? "would copy      " : "copied          ")
               << FormatCount(r.copied_objects) << " objects (" << segs
               << " segments, " << r.copied_objects - segs << " snapshots), "
               << FormatBytes(r.copied_bytes)
               << (dry_run_ ? ""
                            : "; each checked at the source, then read back "
                              "from the mirror with a matching CRC32C")
               << "\n";
        io.out << "  already there   " << FormatCount(r.already_present)
               << " objects\n";
      }
      if (!r.conflicts.empty()) {
        io.out << "  conflicts       " << r.conflicts.size()
               << " (not overwritten): " << absl::StrJoin(r.conflicts, ", ")
               << "\n";
      }
      if (!r.rejected.empty()) {
        io.out << "  damaged source  " << r.rejected.size() << " (not copied):";
        for (const MirrorRejection& x : r.rejected) io.out << " " << x.name;
        io.out << "\n";
      }
      if (!r.vanished.empty()) {
        io.out << "  vanished        " << r.vanished.size()
               << " deleted at the source while mirroring\n";
      }
      if (!r.removed_temporaries.empty()) {
        io.out << "  cleaned up      " << r.removed_temporaries.size()
               << " stale temporaries of earlier, interrupted copies: "
               << absl::StrJoin(r.removed_temporaries, ", ") << "\n";
      }
    }
    if (!m.status.ok()) {
      io.out << "  error           " << m.status.message() << "\n";
    }
    if (!m.measured) return;
    io.out << "  newest commit   " << NewestText(m.newest) << "\n";
    if (m.restorable && (!m.newest || m.restorable->lsn != m.newest->lsn ||
                         m.restorable->timeline != m.newest->timeline)) {
      io.out << "  restorable to   " << NewestText(m.restorable) << "\n";
    }
    io.out << "  lag             " << m.lag.text << "\n";
  }

  std::string from_;
  std::vector<std::string> to_;
  bool json_ = false;
  bool verify_existing_ = false;
  bool dry_run_ = false;
  int parallelism_ = 4;
};

}  // namespace

std::unique_ptr<Command> NewMirrorCommand() {
  return std::make_unique<MirrorCommand>();
}

}  // namespace wayback::cli
