// Copyright 2026 The Wayback Authors.
//
// The repository layer: the identity object (golden file, every byte flipped,
// every truncation, a newer version), creating, opening and recognising
// repositories (memory and local directories, a create race between
// threads), object classification, the description of a repository (holes
// and newest commits against an independent computation) and the
// format-aware mirror pass (identity first, damage refused, lag).

#include "wayback/repository.h"

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/storage/repository_format.h"
#include "src/util/crc32c.h"
#include "tests/testutil/testutil.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/snapshot.h"

namespace wayback::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// The identity the golden file holds (see repository_format.md).
RepositoryIdentity GoldenIdentity() {
  RepositoryIdentity id;
  id.id = "000102030405060708090a0b0c0d0e0f";
  id.created = 1764067320000000000;
  id.source = "import";
  return id;
}

// Re-seals `body` (everything before the checksum line) with a valid
// checksum, so that a test reaches the rules after the checksum.
std::string Reseal(const std::string& body) {
  char hex[9];
  snprintf(hex, sizeof(hex), "%08x", crc32c::Mask(crc32c::Value(body)));
  return absl::StrCat(body, "crc32c ", hex, "\n");
}

TEST(IdentityFormat, GoldenFileDecodesAndReencodesByteForByte) {
  const std::string golden = ReadFile(TestDataDir() + "/golden_v1.repository");
  ASSERT_FALSE(golden.empty());
  auto id = repository_format::Decode(golden, "golden_v1.repository");
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(*id, GoldenIdentity());
  EXPECT_EQ(repository_format::Encode(GoldenIdentity()), golden);
}

TEST(IdentityFormat, EveryFlippedByteIsDamageNamingTheObject) {
  const std::string good = repository_format::Encode(GoldenIdentity());
  for (size_t i = 0; i < good.size(); ++i) {
    for (unsigned char flip : {0x01, 0x80}) {
      std::string bad = good;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      auto id = repository_format::Decode(bad, "r/wayback.repository");
      ASSERT_FALSE(id.ok()) << "byte " << i;
      EXPECT_EQ(id.status().code(), absl::StatusCode::kDataLoss)
          << "byte " << i << ": " << id.status();
      EXPECT_THAT(id.status().message(), HasSubstr("r/wayback.repository"));
      EXPECT_THAT(id.status().message(), HasSubstr("byte offset"));
    }
  }
}

TEST(IdentityFormat, EveryTruncationIsDamage) {
  const std::string good = repository_format::Encode(GoldenIdentity());
  for (size_t n = 0; n < good.size(); ++n) {
    auto id = repository_format::Decode(good.substr(0, n), "x");
    ASSERT_FALSE(id.ok()) << n;
    EXPECT_EQ(id.status().code(), absl::StatusCode::kDataLoss) << n;
  }
}

TEST(IdentityFormat, NewerVersionIsRefusedAsNewerNotAsDamage) {
  std::string body = repository_format::Encode(GoldenIdentity());
  body.resize(body.size() - 16);
  body.replace(body.find(" 1\n"), 3, " 2\n");
  auto id = repository_format::Decode(Reseal(body), "x");
  ASSERT_FALSE(id.ok());
  EXPECT_EQ(id.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(id.status().message(), HasSubstr("newer Wayback"));
}

TEST(IdentityFormat, ValidChecksumButBadContentIsDamageAtItsOffset) {
  const std::string prefix = "wayback-repository 1\n";
  struct Case {
    std::string body;
    size_t offset;
  } cases[] = {
      // Version 0 is reserved.
      {"wayback-repository 0\nid 000102030405060708090a0b0c0d0e0f\n"
       "created 1\nsource \n",
       19},
      // An id of the wrong length.
      {prefix + "id 0001\ncreated 1\nsource \n", prefix.size() + 3},
      // Lines out of order.
      {prefix + "created 1\nid 000102030405060708090a0b0c0d0e0f\nsource \n",
       prefix.size()},
      // A control character in the source.
      {prefix + "id 000102030405060708090a0b0c0d0e0f\ncreated 1\nsource a\tb\n",
       prefix.size() + 36 + 10 + 7},
      // Bytes between the source and the checksum.
      {prefix + "id 000102030405060708090a0b0c0d0e0f\ncreated 1\nsource \nx\n",
       prefix.size() + 36 + 10 + 8},
  };
  for (const Case& c : cases) {
    auto id = repository_format::Decode(Reseal(c.body), "x");
    ASSERT_FALSE(id.ok()) << c.body;
    EXPECT_EQ(id.status().code(), absl::StatusCode::kDataLoss) << c.body;
    EXPECT_THAT(id.status().message(),
                HasSubstr(absl::StrCat("byte offset ", c.offset)))
        << id.status();
  }
}

TEST(IdentityFormat, OversizeObjectIsDamage) {
  auto id = repository_format::Decode(std::string(5000, 'a'), "x");
  EXPECT_EQ(id.status().code(), absl::StatusCode::kDataLoss);
}

TEST(IdentityFormat, ValidateRefusesWhatCouldNotBeRead) {
  RepositoryIdentity id = GoldenIdentity();
  id.source = "two\nlines";
  EXPECT_EQ(repository_format::Validate(id).code(),
            absl::StatusCode::kInvalidArgument);
  id = GoldenIdentity();
  id.id = "XYZ";
  EXPECT_EQ(repository_format::Validate(id).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(ClassifyObject, EveryKind) {
  EXPECT_EQ(ClassifyObject("wayback.repository").kind, ObjectKind::kIdentity);
  EXPECT_EQ(ClassifyObject("log/LOCK").kind, ObjectKind::kLock);
  EXPECT_EQ(ClassifyObject("log/x.seg.tmp").kind, ObjectKind::kTemporary);
  ObjectName seg = ClassifyObject(SegmentObjectName(3, 42, true));
  EXPECT_EQ(seg.kind, ObjectKind::kSegment);
  EXPECT_EQ(seg.timeline, 3u);
  EXPECT_EQ(seg.lsn, 42u);
  EXPECT_EQ(ClassifyObject(SegmentObjectName(1, 7, false)).kind,
            ObjectKind::kLiveSegment);
  ObjectName snap = ClassifyObject(SnapshotObjectName(2, 99));
  EXPECT_EQ(snap.kind, ObjectKind::kSnapshot);
  EXPECT_EQ(snap.lsn, 99u);
  EXPECT_EQ(ClassifyObject("notes.txt").kind, ObjectKind::kUnknown);
  EXPECT_EQ(ClassifyObject("log/00000001-zz.seg").kind, ObjectKind::kUnknown);
  EXPECT_TRUE(IsImmutable(ObjectKind::kSegment));
  EXPECT_TRUE(IsImmutable(ObjectKind::kSnapshot));
  EXPECT_TRUE(IsImmutable(ObjectKind::kIdentity));
  EXPECT_FALSE(IsImmutable(ObjectKind::kLiveSegment));
  EXPECT_FALSE(IsImmutable(ObjectKind::kTemporary));
  EXPECT_EQ(ClassifyObject("drills/20261207T221503.120Z.json").kind,
            ObjectKind::kDrill);
  EXPECT_TRUE(IsImmutable(ObjectKind::kDrill));
  // The heartbeat is capture state: rewritten, never mirrored.
  EXPECT_EQ(ClassifyObject(kHeartbeatObjectName).kind,
            ObjectKind::kCaptureState);
  EXPECT_FALSE(IsImmutable(ObjectKind::kCaptureState));
  EXPECT_EQ(ClassifyObject("capture/heartbeat.json.42.tmp").kind,
            ObjectKind::kTemporary);
}

// Writes `n` one-put transactions in segments of about `segment_bytes`,
// sealed at the end; returns the commit time of the last.
CommitTime WriteLog(Storage* storage, int n, uint64_t segment_bytes = 2048,
                    CommitTime start = 1'000'000'000) {
  ManualClock clock(start);
  LogWriterOptions o;
  o.durability = Durability::kBuffered;
  o.clock = &clock;
  o.block_size = 512;
  o.segment_max_bytes = segment_bytes;
  auto w = LogWriter::Open(storage, o);
  EXPECT_TRUE(w.ok()) << w.status();
  for (int i = 0; i < n; ++i) {
    clock.Advance(1000);
    Transaction t;
    t.txid = i + 1;
    t.Put(absl::StrCat("key", i % 17), std::string(40, 'a' + i % 26));
    EXPECT_TRUE((*w)->Append(t).ok());
  }
  EXPECT_TRUE((*w)->Roll().ok());
  EXPECT_TRUE((*w)->Close().ok());
  return clock.NowNanos();
}

TEST(Repository, CreateWritesAnIdentityAndOpenReadsIt) {
  auto storage = NewMemoryStorage();
  ManualClock clock(123456789);
  RepositoryOptions o;
  o.source = "jsonl:/var/log/app.jsonl";
  o.clock = &clock;
  auto created = Repository::Attach(storage.get(), /*create=*/true, o);
  ASSERT_TRUE(created.ok()) << created.status();
  ASSERT_TRUE((*created)->identity().has_value());
  EXPECT_EQ((*created)->identity()->created, 123456789);
  EXPECT_EQ((*created)->identity()->source, o.source);
  EXPECT_EQ((*created)->identity()->id.size(), 32u);
  EXPECT_EQ(*(*created)->HasHistory(), false);

  auto opened = Repository::Attach(storage.get(), /*create=*/false);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_EQ((*opened)->identity(), (*created)->identity());
  EXPECT_TRUE(*Repository::Holds(storage.get()));
}

TEST(Repository, TwoRepositoriesNeverShareAnId) {
  auto a = NewMemoryStorage(), b = NewMemoryStorage();
  auto ra = Repository::Attach(a.get(), true);
  auto rb = Repository::Attach(b.get(), true);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_NE((*ra)->identity()->id, (*rb)->identity()->id);
}

TEST(Repository, CreateRefusesARepository) {
  auto storage = NewMemoryStorage();
  WriteLog(storage.get(), 3);  // A repository from before identities.
  auto created = Repository::Attach(storage.get(), true);
  EXPECT_EQ(created.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(created.status().message(), HasSubstr("already holds"));
}

TEST(Repository, ARepositoryWithoutIdentityOpensWithNone) {
  auto storage = NewMemoryStorage();
  WriteLog(storage.get(), 3);
  auto opened = Repository::Attach(storage.get(), false);
  ASSERT_TRUE(opened.ok()) << opened.status();
  EXPECT_FALSE((*opened)->identity().has_value());
  EXPECT_TRUE(*(*opened)->HasHistory());
}

TEST(Repository, OpenRefusesStorageWithoutWaybackObjects) {
  auto storage = NewMemoryStorage();
  ASSERT_TRUE(storage->WriteAll("notes.txt", "x").ok());
  auto opened = Repository::Attach(storage.get(), false);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(opened.status().message(),
              HasSubstr("is not a Wayback repository"));
  EXPECT_FALSE(*Repository::Holds(storage.get()));
}

TEST(Repository, OpenRefusesADamagedIdentity) {
  auto storage = NewMemoryStorage();
  ASSERT_TRUE(Repository::Attach(storage.get(), true).ok());
  std::string bytes = *storage->ReadAll(kIdentityObjectName);
  bytes[25] ^= 1;
  ASSERT_TRUE(storage->Delete(kIdentityObjectName).ok());
  ASSERT_TRUE(storage->WriteAll(kIdentityObjectName, bytes).ok());
  auto opened = Repository::Attach(storage.get(), false);
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(opened.status().message(), HasSubstr("wayback.repository"));
}

TEST(Repository, LocalCreateOpenAndOpenOrCreate) {
  TempDir dir;
  const std::string uri = dir.path() + "/r";
  auto missing = Repository::Open(uri);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kNotFound);
  EXPECT_THAT(missing.status().message(), HasSubstr("does not exist"));
  EXPECT_FALSE(fs::exists(uri));

  auto created = Repository::OpenOrCreate(uri);
  ASSERT_TRUE(created.ok()) << created.status();
  EXPECT_TRUE(fs::exists(uri + "/wayback.repository"));
  auto again = Repository::OpenOrCreate("file://" + uri);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ((*again)->identity(), (*created)->identity());
  EXPECT_EQ(Repository::Create(uri).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Repository, LocalCreateRefusesSomeoneElsesDirectoryAndWritesNothing) {
  TempDir dir;
  std::ofstream(dir.path() + "/precious.txt") << "keep";
  auto created = Repository::Create(dir.path());
  EXPECT_EQ(created.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(created.status().message(),
              HasSubstr("is not empty and is not a Wayback repository"));
  EXPECT_FALSE(fs::exists(dir.path() + "/wayback.repository"));
  auto opened = Repository::Open(dir.path());
  EXPECT_EQ(opened.status().code(), absl::StatusCode::kInvalidArgument);
  std::ofstream(dir.path() + "/file") << "x";
  EXPECT_THAT(Repository::Open(dir.path() + "/file").status().message(),
              HasSubstr("is not a directory"));
}

// A process killed while writing the identity (creating a repository, or
// copying the identity into a new mirror) leaves only its temporary: the
// location is still new, for Create() and for OpenOrCreateMirror(). (Found
// by the ingest kill -9 trial: a restarted ingester refused its mirror.)
TEST(Repository, AnIdentityTemporaryLeftByACrashIsStillANewLocation) {
  TempDir dir;
  auto source = Repository::Create(dir.path() + "/src");
  ASSERT_TRUE(source.ok()) << source.status();
  for (const std::string name : {"r", "m"}) {
    fs::create_directories(dir.path() + "/" + name);
    std::ofstream(dir.path() + "/" + name + "/wayback.repository.75eabb5a.tmp")
        << "partial";
  }
  auto created = Repository::Create(dir.path() + "/r");
  EXPECT_TRUE(created.ok()) << created.status();
  auto mirror = Repository::OpenOrCreateMirror(dir.path() + "/m", **source);
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  auto pass = MirrorRepository(**source, (*mirror)->storage());
  ASSERT_TRUE(pass.ok()) << pass.status();
  EXPECT_TRUE(fs::exists(dir.path() + "/m/wayback.repository"));
  // Anything else is still someone else's.
  std::ofstream(dir.path() + "/x.tmp") << "not ours";
  fs::create_directories(dir.path() + "/o");
  std::ofstream(dir.path() + "/o/wayback.repositoryX.tmp") << "not ours";
  EXPECT_EQ(Repository::Create(dir.path() + "/o").status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(Repository, ConcurrentCreatorsExactlyOneWins) {
  for (int round = 0; round < 20; ++round) {
    TempDir dir;
    std::atomic<int> wins{0}, refusals{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&] {
        auto r = Repository::Create(dir.path() + "/r");
        if (r.ok()) {
          ++wins;
        } else if (absl::IsFailedPrecondition(r.status())) {
          ++refusals;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wins.load(), 1) << "round " << round;
    EXPECT_EQ(refusals.load(), 3) << "round " << round;
  }
}

TEST(Repository, DescribeMatchesAnIndependentCount) {
  auto storage = NewMemoryStorage();
  const CommitTime last = WriteLog(storage.get(), 200, /*segment_bytes=*/700);
  auto repo = Repository::Attach(storage.get(), false);
  ASSERT_TRUE(repo.ok());
  auto catalog = (*repo)->ReadCatalog();
  ASSERT_TRUE(catalog.ok());
  ASSERT_GE((*catalog)->segments().size(), 4u);
  // Punch a hole: remove the second segment.
  const SegmentInfo removed = (*catalog)->segments()[1];
  ASSERT_TRUE(storage->Delete(removed.name).ok());

  auto d = (*repo)->Describe();
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->holes.size(), 1u);
  EXPECT_EQ(d->holes[0].first_missing, removed.first_lsn);
  EXPECT_EQ(d->holes[0].last_missing, removed.last_lsn);
  ASSERT_TRUE(d->newest_commit.has_value());
  EXPECT_EQ(d->newest_commit->lsn, 200u);
  EXPECT_EQ(d->newest_commit->commit_time, last);
  EXPECT_FALSE(d->newest_commit->live);
  // Only the stretch before the hole is restorable.
  ASSERT_TRUE(d->newest_restorable.has_value());
  EXPECT_EQ(d->newest_restorable->lsn, removed.first_lsn - 1);
  EXPECT_EQ(d->transaction_count,
            200 - (removed.last_lsn - removed.first_lsn + 1));
  EXPECT_EQ(d->segment_count, (*catalog)->segments().size() - 1);
  EXPECT_EQ(d->timelines, std::vector<TimelineId>{1});
}

TEST(Repository, VerifyObjectCatchesAFlippedByteInEachKind) {
  auto storage = NewMemoryStorage();
  ASSERT_TRUE(Repository::Attach(storage.get(), true).ok());
  WriteLog(storage.get(), 50);
  std::vector<std::pair<std::string, std::string>> pairs = {{"a", "1"},
                                                            {"b", "2"}};
  size_t i = 0;
  SnapshotWriterOptions so;
  so.lsn = 50;
  so.commit_time = 1;
  ASSERT_TRUE(WriteSnapshot(storage.get(), so,
                            [&](std::string_view* k, std::string_view* v) {
                              if (i == pairs.size()) return false;
                              *k = pairs[i].first;
                              *v = pairs[i].second;
                              ++i;
                              return true;
                            })
                  .ok());
  auto repo = Repository::Attach(storage.get(), false);
  ASSERT_TRUE(repo.ok());
  auto listed = storage->List("");
  ASSERT_TRUE(listed.ok());
  int checked = 0;
  for (const ObjectInfo& o : *listed) {
    if (!IsImmutable(ClassifyObject(o.name).kind)) continue;
    ASSERT_TRUE((*repo)->VerifyObject(o).ok()) << o.name;
    std::string bytes = *storage->ReadAll(o.name);
    bytes[bytes.size() / 2] ^= 0x20;
    ASSERT_TRUE(storage->Delete(o.name).ok());
    ASSERT_TRUE(storage->WriteAll(o.name, bytes).ok());
    absl::Status s = (*repo)->VerifyObject(o);
    EXPECT_EQ(s.code(), absl::StatusCode::kDataLoss) << o.name << ": " << s;
    EXPECT_THAT(s.message(), HasSubstr(o.name));
    ++checked;
  }
  EXPECT_GE(checked, 3);  // Segments, the snapshot, the identity.
  ObjectInfo lock{"log/LOCK", 0};
  EXPECT_EQ((*repo)->VerifyObject(lock).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(RepositoryMirror, CopiesTheIdentityAndMeasuresLag) {
  TempDir dir;
  auto source = Repository::Create(dir.path() + "/src");
  ASSERT_TRUE(source.ok()) << source.status();
  WriteLog((*source)->storage(), 120);
  auto mirror = Repository::OpenOrCreateMirror(dir.path() + "/m", **source);
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  auto r = MirrorRepository(**source, (*mirror)->storage());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_TRUE(r->report.conflicts.empty());
  EXPECT_TRUE(r->report.rejected.empty());
  EXPECT_TRUE(r->lag.caught_up());
  EXPECT_EQ(r->mirror_newest->lsn, 120u);
  EXPECT_THAT(r->report.copied, ::testing::Contains("wayback.repository"));

  // The mirror is now that repository's mirror: reopening it works, and it
  // carries the source's identity.
  auto reopened = Repository::OpenOrCreateMirror(dir.path() + "/m", **source);
  ASSERT_TRUE(reopened.ok()) << reopened.status();
  EXPECT_EQ((*reopened)->identity(), (*source)->identity());
  auto again = MirrorRepository(**source, (*reopened)->storage());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->report.copied_objects, 0u);
}

TEST(RepositoryMirror, RefusesAnotherRepositorysMirror) {
  TempDir dir;
  auto a = Repository::Create(dir.path() + "/a");
  auto b = Repository::Create(dir.path() + "/b");
  ASSERT_TRUE(a.ok() && b.ok());
  WriteLog((*b)->storage(), 5);
  auto m = Repository::OpenOrCreateMirror(dir.path() + "/b", **a);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(m.status().message(), HasSubstr((*b)->identity()->id));
  EXPECT_THAT(m.status().message(), HasSubstr((*a)->identity()->id));

  // A mirror holding segments but no identity is not the mirror of a
  // repository that has one.
  TempDir old;
  {
    auto s = OpenLocalStorage(old.path(), true);
    ASSERT_TRUE(s.ok());
    WriteLog(s->get(), 5);
  }
  auto m2 = Repository::OpenOrCreateMirror(old.path(), **a);
  EXPECT_EQ(m2.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(m2.status().message(), HasSubstr("without an identity"));
}

TEST(RepositoryMirror, DamagedSourceSegmentIsNotCopied) {
  TempDir dir;
  auto source = Repository::Create(dir.path() + "/src");
  ASSERT_TRUE(source.ok());
  WriteLog((*source)->storage(), 60);
  auto catalog = (*source)->ReadCatalog();
  ASSERT_TRUE(catalog.ok());
  const std::string victim = (*catalog)->segments().back().name;
  const std::string path = dir.path() + "/src/" + victim;
  std::string bytes = ReadFile(path);
  bytes[200] ^= 0x01;
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;

  auto mirror = Repository::OpenOrCreateMirror(dir.path() + "/m", **source);
  ASSERT_TRUE(mirror.ok());
  auto r = MirrorRepository(**source, (*mirror)->storage());
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->report.rejected.size(), 1u);
  EXPECT_EQ(r->report.rejected[0].name, victim);
  EXPECT_FALSE(fs::exists(dir.path() + "/m/" + victim));
  EXPECT_FALSE(r->lag.caught_up());
  ASSERT_TRUE(r->lag.lsns.has_value());
  EXPECT_EQ(*r->lag.lsns, 60 - (*catalog)->segments().back().first_lsn + 1);
}

TEST(MirrorLag, Definitions) {
  CommitPoint s{1, 100, 5'000'000'000, "x", false};
  CommitPoint m{1, 90, 2'000'000'000, "y", false};
  MirrorLag lag = LagBetween(s, m);
  EXPECT_EQ(*lag.lsns, 10u);
  EXPECT_EQ(*lag.time, absl::Seconds(3));
  EXPECT_FALSE(lag.caught_up());
  EXPECT_TRUE(LagBetween(std::nullopt, std::nullopt).caught_up());
  MirrorLag empty = LagBetween(s, std::nullopt);
  EXPECT_EQ(*empty.lsns, 100u);
  EXPECT_FALSE(empty.time.has_value());
  CommitPoint other{2, 5, 6'000'000'000, "z", false};
  EXPECT_FALSE(LagBetween(other, m).lsns.has_value());
}

// The example of src/repository/drill_format.md, byte for byte: the encoding
// (key order, units, checksum) is frozen.
DrillRecord ExampleDrill() {
  DrillRecord r;
  r.started = absl::FromUnixMillis(1796681703120);  // 2026-12-07T22:15:03.120Z
  r.elapsed = absl::Milliseconds(812);
  r.passed = true;
  r.restores = 6;
  r.slowest_restore = absl::Milliseconds(95);
  r.rto = absl::Hours(2);
  r.rpo = absl::Minutes(5);
  r.achieved_rpo = absl::Minutes(1);
  r.repository = "/var/lib/wayback/ehr";
  r.tool_version = "0.1.0";
  r.summary =
      "6 of 6 restores exact; slowest 95 ms (RTO 2h, met); recovery point 1 "
      "min 0 s old (RPO 5m, met)";
  return r;
}

TEST(DrillRecords, AreRecordedOnceListedInOrderMirroredAndChecked) {
  TempDir dir;
  auto repo = Repository::Create(dir.path() + "/repo");
  ASSERT_TRUE(repo.ok()) << repo.status();
  DrillRecord first = ExampleDrill();
  ASSERT_TRUE(RecordDrill(**repo, first).ok());
  const std::string object = "drills/20261207T221503.120Z.json";
  EXPECT_EQ(DrillObjectName(first.started), object);
  auto bytes = (*repo)->storage()->ReadAll(object);
  ASSERT_TRUE(bytes.ok());
  std::string line;
  {
    std::ifstream in(WAYBACK_SOURCE_DIR "/src/repository/drill_format.md");
    for (std::string l; std::getline(in, l);) {
      if (l.starts_with("{\"achieved_rpo_ms\"")) line = l;
    }
  }
  EXPECT_EQ(*bytes, line + "\n") << "the format document's example";
  // Create-only.
  EXPECT_TRUE(absl::IsAlreadyExists(RecordDrill(**repo, first)));
  DrillRecord second = ExampleDrill();
  second.started += absl::Hours(24 * 7);
  second.passed = false;
  second.failed = 2;
  ASSERT_TRUE(RecordDrill(**repo, second).ok());
  auto drills = ListDrills(**repo);
  ASSERT_TRUE(drills.ok()) << drills.status();
  ASSERT_EQ(drills->size(), 2u);
  EXPECT_EQ((*drills)[0].started, first.started);
  EXPECT_EQ((*drills)[0].summary, first.summary);
  EXPECT_EQ((*drills)[0].rto, absl::Hours(2));
  EXPECT_EQ((*drills)[0].achieved_rpo, absl::Minutes(1));
  EXPECT_FALSE((*drills)[1].passed);
  EXPECT_EQ((*drills)[1].failed, 2u);
  // Mirrored.
  auto mirror = Repository::OpenOrCreateMirror(dir.path() + "/m", **repo);
  ASSERT_TRUE(mirror.ok());
  ASSERT_TRUE(MirrorRepository(**repo, (*mirror)->storage()).ok());
  auto mirrored = ListDrills(**mirror);
  ASSERT_TRUE(mirrored.ok());
  EXPECT_EQ(mirrored->size(), 2u);
  // A record turned from a failure into a pass is damage, named.
  const std::string second_object = DrillObjectName(second.started);
  const std::string path = dir.path() + "/repo/" + second_object;
  std::string text;
  {
    std::ifstream in(path);
    std::getline(in, text);
  }
  const size_t at = text.find("\"passed\":false");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, std::string("\"passed\":false").size(), "\"passed\":true");
  ASSERT_TRUE(fs::remove(path));
  std::ofstream(path) << text << "\n";
  auto damaged = ListDrills(**repo);
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(
      std::string(damaged.status().message()),
      HasSubstr("drill record " + second_object + ": checksum mismatch"));
  EXPECT_FALSE(
      (*repo)->VerifyObject(*(*repo)->storage()->Stat(second_object)).ok());
  EXPECT_TRUE((*repo)->VerifyObject(*(*repo)->storage()->Stat(object)).ok());
  // A record copied under another time's name contradicts it.
  ASSERT_TRUE(fs::remove(path));
  fs::copy_file(dir.path() + "/repo/" + object, path);
  damaged = ListDrills(**repo);
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(damaged.status().message()),
              HasSubstr("contradicts its object name"));
}

TEST(Heartbeat, IsRewrittenReadBackAndRefusedWhenDamaged) {
  TempDir dir;
  auto repo = Repository::Create(dir.path());
  ASSERT_TRUE(repo.ok()) << repo.status();
  auto none = ReadHeartbeat(**repo);
  ASSERT_TRUE(none.ok()) << none.status();
  EXPECT_FALSE(none->has_value());
  CaptureHeartbeat h;
  h.time = absl::FromUnixNanos(1796681703123456789);
  h.writer = "capture postgres";
  h.pid = 77;
  h.host = "db1";
  h.last_durable_lsn = 5120;
  ASSERT_TRUE(WriteHeartbeat(**repo, h).ok());
  h.time += absl::Seconds(1);
  ASSERT_TRUE(WriteHeartbeat(**repo, h).ok());  // Replaced.
  auto read = ReadHeartbeat(**repo);
  ASSERT_TRUE(read.ok()) << read.status();
  ASSERT_TRUE(read->has_value());
  EXPECT_EQ((*read)->time, h.time);
  EXPECT_EQ((*read)->writer, "capture postgres");
  EXPECT_EQ((*read)->pid, 77);
  EXPECT_EQ((*read)->host, "db1");
  EXPECT_EQ((*read)->last_durable_lsn, 5120u);
  // No temporary is left behind.
  std::vector<std::string> names;
  for (auto& e : fs::directory_iterator(dir.path() + "/capture")) {
    names.push_back(e.path().filename().string());
  }
  EXPECT_EQ(names, std::vector<std::string>{"heartbeat.json"});
  // Damage is named.
  std::ofstream(dir.path() + "/capture/heartbeat.json") << "{}\n";
  auto damaged = ReadHeartbeat(**repo);
  EXPECT_EQ(damaged.status().code(), absl::StatusCode::kDataLoss);
  EXPECT_THAT(std::string(damaged.status().message()),
              HasSubstr("heartbeat capture/heartbeat.json"));
  // Only a local directory takes one (live captures append to nothing else).
  auto mem = Repository::Create("mem:");
  ASSERT_TRUE(mem.ok()) << mem.status();
  EXPECT_EQ(WriteHeartbeat(**mem, h).code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace wayback::testing
