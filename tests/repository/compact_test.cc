// Copyright 2026 The Wayback Authors.
//
// Compaction and the overlap rule (segment_format.md, V2.11): restores
// through merged, unmerged and partially deleted states equal an
// independent model (a std::map applied record by record) at every LSN; the
// catalog's rules 1-3 (superseded, footers that do not add up, remaining
// overlaps); LogReader re-listing when a segment it listed is deleted; and
// mirrors receiving replacements and dropping what they supersede.

#include "wayback/compact.h"

#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/log/replacement.h"
#include "src/log/segment_format.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/repository_identity.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

constexpr CommitTime kBase = 1767225600000000000;  // 2026-01-01T00:00:00Z

// Record i (LSN i): deterministic, so that two repositories can hold the
// same history cut into segments differently. `variant` changes the
// mutations (not LSNs, times or positions) for the footer-mismatch test.
struct Event {
  bool restore_point = false;
  Transaction txn;
  std::string name;
};

Event EventAt(Lsn i, int variant = 0) {
  Event e;
  e.txn.commit_time = kBase + static_cast<CommitTime>(i / 2) * 1000;
  if (i % 11 == 0) {
    e.restore_point = true;
    e.name = absl::StrCat("rp-", i);
    return e;
  }
  e.txn.txid = i * 3;
  const std::string key = absl::StrCat("k", i % 7);
  if (i % 5 == 0) {
    e.txn.Delete(key);
  } else {
    e.txn.Put(key, absl::StrCat("v", i, std::string(i % 13, 'x')));
  }
  if (variant == 1) e.txn.Put("extra", "y");
  // Variant 2: the same counts, other bytes (no footer can tell).
  if (variant == 2 && !e.txn.mutations.empty()) {
    e.txn.mutations[0].key += "!";
  }
  return e;
}

// The model: the state digest after each LSN (index = LSN).
std::vector<StateDigest> ModelDigests(Lsn n) {
  std::map<std::string, std::string> state;
  std::vector<StateDigest> out(1);
  for (Lsn i = 1; i <= n; ++i) {
    const Event e = EventAt(i);
    for (const Mutation& m : e.txn.mutations) {
      if (m.type == MutationType::kPut) {
        state[m.key] = m.value;
      } else {
        state.erase(m.key);
      }
    }
    StateDigest d;
    for (const auto& [k, v] : state) d.Add(k, v);
    out.push_back(d);
  }
  return out;
}

// Writes records 1..n, rolling a segment after every record whose LSN is
// in `cuts`, the last one left sealed (Close()).
void WriteLog(Storage* storage, Lsn n, const std::set<Lsn>& cuts,
              uint32_t format_version, int variant = 0) {
  LogWriterOptions o;
  o.format_version = format_version;
  o.durability = Durability::kBuffered;
  o.segment_max_age = absl::InfiniteDuration();
  auto w = LogWriter::Open(storage, o);
  ASSERT_TRUE(w.ok()) << w.status();
  for (Lsn i = 1; i <= n; ++i) {
    Event e = EventAt(i, variant);
    if (format_version == 2) e.txn.source_position = 100 + i;
    if (e.restore_point) {
      std::optional<uint64_t> pos;
      if (format_version == 2) pos = 100 + i;
      ASSERT_TRUE(
          (*w)->AppendRestorePoint(e.name, e.txn.commit_time, pos).ok());
    } else {
      auto lsn = (*w)->Append(e.txn);
      ASSERT_TRUE(lsn.ok()) << lsn.status();
      ASSERT_EQ(*lsn, i);
    }
    if (cuts.count(i)) {
      ASSERT_TRUE((*w)->Roll().ok());
    }
  }
  ASSERT_TRUE((*w)->Close().ok());
}

std::set<Lsn> EveryK(Lsn n, Lsn k) {
  std::set<Lsn> cuts;
  for (Lsn i = k; i < n; i += k) cuts.insert(i);
  return cuts;
}

// Restores at every LSN 0..n and compares with the model; also reads the
// whole log with a LogReader.
void ExpectRestoresEqualModel(Storage* storage, Lsn n,
                              const std::string& state) {
  const std::vector<StateDigest> model = ModelDigests(n);
  auto catalog = Catalog::Open(storage);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  for (const CatalogProblem& p : (*catalog)->problems()) {
    ADD_FAILURE() << state << ": problem " << p.object << ": " << p.message;
  }
  for (Lsn lsn = 1; lsn <= n; ++lsn) {
    auto plan = PlanRecovery(**catalog, RecoveryTarget::AtLsn(lsn));
    ASSERT_TRUE(plan.ok()) << state << " lsn " << lsn << ": " << plan.status();
    auto target = NewMemoryTarget();
    auto r = Restore(storage, *plan, target.get());
    ASSERT_TRUE(r.ok()) << state << " lsn " << lsn << ": " << r.status();
    ASSERT_TRUE(r->digest.has_value());
    EXPECT_EQ(r->digest->ToString(), model[lsn].ToString())
        << state << " lsn " << lsn;
    EXPECT_EQ(r->first_not_applied, lsn + 1) << state;
  }
  LogReaderOptions ro;
  auto reader = LogReader::Open(storage, ro);
  ASSERT_TRUE(reader.ok()) << reader.status();
  Lsn expect = 1;
  while (true) {
    auto rec = (*reader)->Next();
    ASSERT_TRUE(rec.ok()) << state << ": " << rec.status();
    if (*rec == nullptr) break;
    ASSERT_EQ((*rec)->lsn, expect) << state;
    const Event e = EventAt(expect);
    EXPECT_EQ((*rec)->commit_time, *e.txn.commit_time) << state;
    if (!e.restore_point) {
      EXPECT_EQ((*rec)->ToTransaction().mutations, e.txn.mutations) << state;
    } else {
      EXPECT_EQ((*rec)->restore_point_name, e.name) << state;
    }
    ++expect;
  }
  EXPECT_EQ(expect, n + 1) << state;
}

std::vector<std::string> Names(Storage* storage) {
  std::vector<std::string> names;
  auto listed = storage->List("log/");
  EXPECT_TRUE(listed.ok());
  for (const ObjectInfo& o : *listed) {
    if (o.name != "log/LOCK") names.push_back(o.name);
  }
  return names;
}

// A new storage holding only `storage`'s identity object: segments written
// there carry the same repository id, so a replacement written there can be
// copied here as if written here.
std::unique_ptr<Storage> SameIdentity(Storage* storage) {
  auto other = NewMemoryStorage();
  auto identity = storage->ReadAll(kIdentityObjectName);
  EXPECT_TRUE(identity.ok());
  EXPECT_TRUE(other->WriteAll(kIdentityObjectName, *identity).ok());
  return other;
}

class CompactTest : public ::testing::TestWithParam<uint32_t> {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    auto repo = Repository::Attach(storage_.get(), /*create=*/true);
    ASSERT_TRUE(repo.ok()) << repo.status();
    repo_ = std::move(*repo);
  }
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<Repository> repo_;
};

TEST_P(CompactTest, RestoresEqualModelThroughEveryState) {
  constexpr Lsn kN = 40;
  WriteLog(storage_.get(), kN, EveryK(kN, 3), GetParam());
  ExpectRestoresEqualModel(storage_.get(), kN, "unmerged");

  // Merged, every original kept (within the grace period).
  CompactOptions keep;
  keep.grace = absl::Hours(1);
  keep.target_size = 1 << 20;
  auto r = CompactRepository(*repo_, keep);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->merged.size(), 1u);
  // 14 segments; the newest sealed one stays as written.
  EXPECT_EQ(r->merged[0].replaced.size(), 13u);
  EXPECT_EQ(r->merged[0].replacement,
            "log/00000001-0000000000000001-00000001.seg");
  EXPECT_EQ(r->merged[0].first_lsn, 1u);
  EXPECT_EQ(r->merged[0].last_lsn, 39u);
  EXPECT_TRUE(r->deleted.empty());
  EXPECT_EQ(r->waiting, r->merged[0].replaced);
  auto catalog = Catalog::Open(storage_.get());
  ASSERT_TRUE(catalog.ok());
  ASSERT_EQ((*catalog)->segments().size(), 2u);
  EXPECT_EQ((*catalog)->segments()[0].generation, 1u);
  EXPECT_EQ((*catalog)->superseded().size(), 13u);
  ExpectRestoresEqualModel(storage_.get(), kN, "merged, originals kept");

  // A rerun within the grace period rewrites nothing and deletes nothing.
  auto again = CompactRepository(*repo_, keep);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->merged.empty());
  EXPECT_TRUE(again->deleted.empty());
  EXPECT_EQ(again->waiting.size(), 13u);

  // Partially deleted (as a crash between two deletes leaves it).
  for (size_t i = 0; i < 13; i += 2) {
    ASSERT_TRUE(storage_->Delete(r->merged[0].replaced[i]).ok());
  }
  ExpectRestoresEqualModel(storage_.get(), kN, "partially deleted");

  // Past the grace period: the rest goes.
  CompactOptions now = keep;
  now.grace = absl::ZeroDuration();
  auto done = CompactRepository(*repo_, now);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_TRUE(done->merged.empty());
  EXPECT_EQ(done->deleted.size(), 6u);
  EXPECT_EQ(
      Names(storage_.get()),
      (std::vector<std::string>{"log/00000001-0000000000000001-00000001.seg",
                                "log/00000001-0000000000000028.seg"}));
  ExpectRestoresEqualModel(storage_.get(), kN, "merged, originals deleted");
}

TEST_P(CompactTest, RespectsTargetSizeAndMergesReplacementsAgain) {
  constexpr Lsn kN = 60;
  WriteLog(storage_.get(), kN, EveryK(kN, 2), GetParam());
  auto catalog = Catalog::Open(storage_.get());
  ASSERT_TRUE(catalog.ok());
  const uint64_t one = (*catalog)->segments()[0].size;
  CompactOptions o;
  o.grace = absl::ZeroDuration();
  o.target_size = one * 5;  // About five segments per run.
  auto r = CompactRepository(*repo_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_GE(r->merged.size(), 4u);
  for (const CompactedRun& run : r->merged) {
    EXPECT_LE(run.bytes_before, o.target_size);
    EXPECT_GE(run.replaced.size(), 2u);
  }
  ExpectRestoresEqualModel(storage_.get(), kN, "first pass");
  // Then with a larger target the replacements merge again (generation 2).
  o.target_size = 1 << 20;
  auto r2 = CompactRepository(*repo_, o);
  ASSERT_TRUE(r2.ok()) << r2.status();
  ASSERT_EQ(r2->merged.size(), 1u);
  EXPECT_EQ(r2->merged[0].replacement,
            "log/00000001-0000000000000001-00000002.seg");
  EXPECT_EQ(Names(storage_.get()).size(), 2u);
  ExpectRestoresEqualModel(storage_.get(), kN, "second pass");
}

TEST_P(CompactTest, DryRunChangesNothing) {
  constexpr Lsn kN = 20;
  WriteLog(storage_.get(), kN, EveryK(kN, 2), GetParam());
  const std::vector<std::string> before = Names(storage_.get());
  CompactOptions o;
  o.dry_run = true;
  o.grace = absl::ZeroDuration();
  auto r = CompactRepository(*repo_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->merged.size(), 1u);
  EXPECT_EQ(r->merged[0].replaced.size(), 9u);
  EXPECT_EQ(r->deleted.size(), 9u);
  EXPECT_EQ(Names(storage_.get()), before);
}

TEST_P(CompactTest, ReaderThatListedOriginalsRelistsWhenTheyAreDeleted) {
  constexpr Lsn kN = 30;
  WriteLog(storage_.get(), kN, EveryK(kN, 3), GetParam());
  LogReaderOptions ro;
  auto reader = LogReader::Open(storage_.get(), ro);
  ASSERT_TRUE(reader.ok());
  // Read into the first segment, then compact with no grace under it.
  for (Lsn i = 1; i <= 2; ++i) {
    auto rec = (*reader)->Next();
    ASSERT_TRUE(rec.ok() && *rec != nullptr);
    EXPECT_EQ((*rec)->lsn, i);
  }
  CompactOptions o;
  o.grace = absl::ZeroDuration();
  auto r = CompactRepository(*repo_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->deleted.size(), 9u);
  for (Lsn i = 3; i <= kN; ++i) {
    auto rec = (*reader)->Next();
    ASSERT_TRUE(rec.ok()) << "lsn " << i << ": " << rec.status();
    ASSERT_NE(*rec, nullptr) << i;
    EXPECT_EQ((*rec)->lsn, i);
    EXPECT_EQ((*rec)->commit_time, *EventAt(i).txn.commit_time);
  }
  auto end = (*reader)->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_EQ(*end, nullptr);
}

TEST_P(CompactTest, WriterContinuesAfterCompaction) {
  constexpr Lsn kN = 20;
  WriteLog(storage_.get(), kN, EveryK(kN, 2), GetParam());
  CompactOptions o;
  o.grace = absl::ZeroDuration();
  ASSERT_TRUE(CompactRepository(*repo_, o).ok());
  LogWriterOptions wo;
  wo.format_version = GetParam();
  wo.durability = Durability::kBuffered;
  auto w = LogWriter::Open(storage_.get(), wo);
  ASSERT_TRUE(w.ok()) << w.status();
  EXPECT_EQ((*w)->open_report().last_lsn, kN);
  if (GetParam() == 2) {
    ASSERT_TRUE((*w)->open_report().last_source_position.has_value());
    EXPECT_EQ(*(*w)->open_report().last_source_position, 100 + kN);
  }
}

// A storage whose first listing of log/ is one taken earlier (before a
// compaction deleted the originals): what a reader that listed just before
// the deletes sees.
class StaleListingStorage : public StorageWrapper {
 public:
  StaleListingStorage(Storage* target, std::vector<ObjectInfo> stale)
      : StorageWrapper(target), stale_(std::move(stale)) {}
  absl::StatusOr<std::vector<ObjectInfo>> List(
      std::string_view prefix) override {
    if (prefix == "log/" && !used_) {
      used_ = true;
      return stale_;
    }
    return StorageWrapper::List(prefix);
  }

 private:
  std::vector<ObjectInfo> stale_;
  bool used_ = false;
};

TEST_P(CompactTest, CatalogThatListedDeletedOriginalsListsAgain) {
  constexpr Lsn kN = 20;
  WriteLog(storage_.get(), kN, EveryK(kN, 2), GetParam());
  CompactOptions o;
  o.grace = absl::Hours(1);
  ASSERT_TRUE(CompactRepository(*repo_, o).ok());
  auto before = storage_->List("log/");  // Replacement and originals.
  ASSERT_TRUE(before.ok());
  o.grace = absl::ZeroDuration();
  auto r = CompactRepository(*repo_, o);
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_EQ(r->deleted.size(), 9u);
  StaleListingStorage stale(storage_.get(), *before);
  auto catalog = Catalog::Open(&stale);
  ASSERT_TRUE(catalog.ok()) << catalog.status();
  EXPECT_TRUE((*catalog)->problems().empty())
      << (*catalog)->problems()[0].object << ": "
      << (*catalog)->problems()[0].message;
  EXPECT_TRUE((*catalog)->superseded().empty());
  ASSERT_EQ((*catalog)->segments().size(), 2u);
  EXPECT_EQ((*catalog)->segments()[0].generation, 1u);
}

INSTANTIATE_TEST_SUITE_P(Versions, CompactTest, ::testing::Values(1u, 2u));

// Writes records 1..n of `variant` cut at `cuts` into a storage sharing
// `storage`'s identity, merges its first `segments` segments there into a
// generation-1 replacement, and copies that here: a replacement of this
// repository's segments holding what the test wants. Returns its name.
std::string ForeignReplacement(Storage* storage, Lsn n,
                               const std::set<Lsn>& cuts, int variant,
                               size_t segments) {
  std::unique_ptr<Storage> other = SameIdentity(storage);
  WriteLog(other.get(), n, cuts, 2, variant);
  auto catalog = Catalog::Open(other.get());
  EXPECT_TRUE(catalog.ok());
  std::vector<SegmentInfo> run((*catalog)->segments().begin(),
                               (*catalog)->segments().begin() + segments);
  auto identity = ReadRepositoryIdentity(storage);
  EXPECT_TRUE(identity.ok() && identity->has_value());
  log_format::ReplacementOptions ro;
  ro.repository_id = *log_format::RepositoryIdFromHex((**identity).id);
  auto y = log_format::WriteReplacementSegment(other.get(), run, ro);
  EXPECT_TRUE(y.ok()) << y.status();
  auto bytes = other->ReadAll(y->name);
  EXPECT_TRUE(bytes.ok());
  EXPECT_TRUE(storage->WriteAll(y->name, *bytes).ok());
  return y->name;
}

// Rule 2: a replacement whose footer does not add up to the segments it
// replaces is DataLoss naming it, and the replaced segments are used.
TEST(OverlapRuleTest, FooterMismatchFallsBackToReplacedSegments) {
  constexpr Lsn kN = 12;
  auto storage = NewMemoryStorage();
  auto repo = Repository::Attach(storage.get(), true);
  ASSERT_TRUE(repo.ok());
  WriteLog(storage.get(), kN, EveryK(kN, 3), 2);
  // The same LSNs, times and positions with other mutations.
  const std::string y =
      ForeignReplacement(storage.get(), kN, EveryK(kN, 3), /*variant=*/1, 3);

  auto catalog = Catalog::Open(storage.get());
  ASSERT_TRUE(catalog.ok());
  ASSERT_EQ((*catalog)->problems().size(), 1u);
  const CatalogProblem& p = (*catalog)->problems()[0];
  EXPECT_EQ(p.object, y);
  EXPECT_EQ(p.code, absl::StatusCode::kDataLoss);
  EXPECT_NE(p.message.find("mutation count"), std::string::npos) << p.message;
  EXPECT_TRUE((*catalog)->superseded().empty());
  for (const SegmentInfo& s : (*catalog)->segments()) {
    EXPECT_EQ(s.generation, 0u) << s.name;
  }
  // Restores use the replaced segments: the model, not the variant.
  const std::vector<StateDigest> model = ModelDigests(kN);
  auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
  ASSERT_TRUE(plan.ok()) << plan.status();
  auto target = NewMemoryTarget();
  auto r = Restore(storage.get(), *plan, target.get());
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->digest->ToString(), model[kN].ToString());
  // And compaction refuses to delete anything on its strength: the
  // replacement is not used, so nothing is superseded.
  CompactOptions o;
  o.grace = absl::ZeroDuration();
  o.target_size = 1;  // Merge nothing new.
  auto c = CompactRepository(**repo, o);
  ASSERT_TRUE(c.ok()) << c.status();
  EXPECT_TRUE(c->deleted.empty());
}

// A replacement whose footer adds up but whose records differ (only a
// record-by-record comparison can tell): compaction refuses to delete the
// originals on its strength, naming it.
TEST(OverlapRuleTest, ReplacementWithOtherRecordsIsNotTrustedForDeletion) {
  constexpr Lsn kN = 12;
  auto storage = NewMemoryStorage();
  auto repo = Repository::Attach(storage.get(), true);
  ASSERT_TRUE(repo.ok());
  WriteLog(storage.get(), kN, EveryK(kN, 3), 2);
  const std::string y =
      ForeignReplacement(storage.get(), kN, EveryK(kN, 3), /*variant=*/2, 3);
  const std::vector<std::string> before = Names(storage.get());
  CompactOptions o;
  o.grace = absl::ZeroDuration();
  o.target_size = 1;  // Merge nothing new.
  auto c = CompactRepository(**repo, o);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(absl::IsDataLoss(c.status())) << c.status();
  EXPECT_NE(c.status().message().find(y), std::string::npos) << c.status();
  EXPECT_NE(c.status().message().find("mutations differ"), std::string::npos)
      << c.status();
  EXPECT_EQ(Names(storage.get()), before);
}

// Rule 3: an overlap no replacement explains stays DataLoss naming both.
TEST(OverlapRuleTest, PartialOverlapIsStillDataLoss) {
  constexpr Lsn kN = 8;
  auto storage = NewMemoryStorage();
  auto repo = Repository::Attach(storage.get(), true);
  ASSERT_TRUE(repo.ok());
  WriteLog(storage.get(), kN, {4}, 2);  // [1..4] [5..8]
  // A replacement of [1..6] of the same records cut [1..6] [7..8].
  const std::string y = ForeignReplacement(storage.get(), kN, {6}, 0, 1);

  auto catalog = Catalog::Open(storage.get());
  ASSERT_TRUE(catalog.ok());
  ASSERT_EQ((*catalog)->superseded().size(), 1u);
  EXPECT_EQ((*catalog)->superseded()[0].segment.name,
            "log/00000001-0000000000000001.seg");
  ASSERT_EQ((*catalog)->problems().size(), 1u);
  const CatalogProblem& p = (*catalog)->problems()[0];
  EXPECT_EQ(p.object, "log/00000001-0000000000000005.seg");
  EXPECT_EQ(p.code, absl::StatusCode::kDataLoss);
  EXPECT_NE(p.message.find(y), std::string::npos) << p.message;
  ASSERT_EQ((*catalog)->segments().size(), 1u);
  EXPECT_EQ((*catalog)->segments()[0].name, y);
}

// Rule 4: a generation in the name needs the same generation in a v2 header.
TEST(OverlapRuleTest, ReplacementNameWithWrongHeaderIsDataLoss) {
  auto storage = NewMemoryStorage();
  ASSERT_TRUE(Repository::Attach(storage.get(), true).ok());
  WriteLog(storage.get(), 6, {3}, 1);
  // A v1 segment's bytes under a replacement's name.
  auto bytes = storage->ReadAll("log/00000001-0000000000000001.seg");
  ASSERT_TRUE(bytes.ok());
  const std::string name = "log/00000001-0000000000000001-00000001.seg";
  ASSERT_TRUE(storage->WriteAll(name, *bytes).ok());
  auto catalog = Catalog::Open(storage.get());
  ASSERT_TRUE(catalog.ok());
  ASSERT_EQ((*catalog)->problems().size(), 1u);
  EXPECT_EQ((*catalog)->problems()[0].object, name);
  EXPECT_EQ((*catalog)->problems()[0].code, absl::StatusCode::kDataLoss);
  EXPECT_TRUE((*catalog)->superseded().empty());
  EXPECT_EQ((*catalog)->segments().size(), 2u);
}

TEST(CompactMirrorTest, MirrorGetsReplacementAndDropsSuperseded) {
  constexpr Lsn kN = 30;
  auto source = NewMemoryStorage();
  auto repo = Repository::Attach(source.get(), true);
  ASSERT_TRUE(repo.ok());
  WriteLog(source.get(), kN, EveryK(kN, 3), 2);
  auto mirror = NewMemoryStorage();
  // A first mirror pass copies the small segments.
  RepositoryMirrorOptions mo;
  mo.superseded_grace = absl::ZeroDuration();
  auto m1 = MirrorRepository(**repo, mirror.get(), mo);
  ASSERT_TRUE(m1.ok()) << m1.status();
  EXPECT_EQ(m1->report.copied_objects, 11u);  // 10 segments + identity.
  // Compaction at the source keeps its originals (grace); the mirror gets
  // the replacement and, with no grace of its own, drops the originals.
  CompactOptions co;
  co.grace = absl::Hours(1);
  auto c = CompactRepository(**repo, co);
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->merged.size(), 1u);
  auto m2 = MirrorRepository(**repo, mirror.get(), mo);
  ASSERT_TRUE(m2.ok()) << m2.status();
  EXPECT_EQ(m2->report.copied,
            std::vector<std::string>{c->merged[0].replacement});
  EXPECT_EQ(m2->superseded_deleted, c->merged[0].replaced);
  EXPECT_EQ(Names(mirror.get()),
            (std::vector<std::string>{c->merged[0].replacement,
                                      "log/00000001-000000000000001c.seg"}));
  ExpectRestoresEqualModel(mirror.get(), kN, "mirror");
  // A further pass copies none of the originals back.
  auto m3 = MirrorRepository(**repo, mirror.get(), mo);
  ASSERT_TRUE(m3.ok()) << m3.status();
  EXPECT_TRUE(m3->report.copied.empty());
  EXPECT_TRUE(m3->superseded_deleted.empty());
  // With a grace of its own, a mirror keeps the originals for now.
  auto mirror2 = NewMemoryStorage();
  RepositoryMirrorOptions keep;
  auto m4 = MirrorRepository(**repo, mirror2.get(), keep);
  ASSERT_TRUE(m4.ok()) << m4.status();
  EXPECT_EQ(m4->superseded_waiting, c->merged[0].replaced);
  ExpectRestoresEqualModel(mirror2.get(), kN, "mirror within grace");
}

}  // namespace
}  // namespace wayback
