// Copyright 2026 The Wayback Authors.
//
// `wayback mirror` in process: local -> local, local -> S3 (Ceph RGW),
// several mirrors, the rerun that copies nothing, conflicts, a damaged
// source object, the live segment and the lag it causes (against the
// generator's own figures and the commit times the test appended), restores
// from a mirror, and every kind of bad input.

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/workload/workload.h"
#include "tests/storage/fault_proxy.h"
#include "tests/storage/s3_test_server.h"
#include "tests/testutil/testutil.h"
#include "tools/cli.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

namespace fs = std::filesystem;
using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;

struct Output {
  int code;
  std::string out;
  std::string err;
};

Output Wb(std::vector<std::string> args) {
  std::ostringstream out, err;
  int code = cli::RunWayback(args, out, err);
  return {code, out.str(), err.str()};
}

json Json(const Output& o) {
  auto j = json::parse(o.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << o.out << o.err;
  return j;
}

std::string ReadFile(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Every regular file under `dir`, as object names -> contents.
std::map<std::string, std::string> Files(const std::string& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (!e.is_regular_file()) continue;
    out[fs::relative(e.path(), dir).string()] = ReadFile(e.path());
  }
  return out;
}

// The identity object every repository created now carries.
constexpr char kIdentity[] = "wayback.repository";

// The objects a mirror must receive: the identity, sealed segments and
// snapshots, judged by file name alone (an oracle independent of the tool's
// classification).
std::map<std::string, std::string> Mirrorable(const std::string& dir) {
  std::map<std::string, std::string> out;
  for (auto& [name, data] : Files(dir)) {
    if ((name.starts_with("log/") && name.ends_with(".seg")) ||
        (name.starts_with("snap/") && name.ends_with(".snap")) ||
        name == kIdentity) {
      out[name] = data;
    }
  }
  return out;
}

// A small generated repository: several segments and snapshots.
class MirrorCommandTest : public ::testing::Test {
 protected:
  void SetUp() override {
    src_ = dir_.path() + "/src";
    GenerateOptions o;
    o.workload.seed = 7;
    o.workload.rate = 0.2;
    o.workload.duration = absl::Hours(10);
    o.workload.initial_patients = 50;
    o.snapshot_every = absl::Hours(4);
    o.segment_max_age = absl::Hours(1);
    auto storage = OpenStorage(src_, true);
    ASSERT_TRUE(storage.ok());
    auto r = GenerateRepository(storage->get(), o);
    ASSERT_TRUE(r.ok()) << r.status();
    gen_ = *r;
    ASSERT_GE(Mirrorable(src_).size(), 8u);
  }

  std::string Dest(const std::string& name) const {
    return dir_.path() + "/" + name;
  }

  // Appends `n` one-put transactions 90 s apart after the generated log,
  // synced, into one live segment that stays unsealed (the writer is kept
  // open in writer_); returns the last commit time.
  CommitTime AppendLive(int n) {
    auto storage = OpenStorage(src_);
    EXPECT_TRUE(storage.ok());
    storage_ = std::move(*storage);
    clock_ = std::make_unique<ManualClock>(gen_.last_commit_time);
    LogWriterOptions wo;
    wo.clock = clock_.get();
    wo.durability = Durability::kSync;
    wo.segment_max_age = absl::Hours(24);  // One live segment throughout.
    auto writer = LogWriter::Open(storage_.get(), wo);
    EXPECT_TRUE(writer.ok()) << writer.status();
    writer_ = std::move(*writer);
    const int64_t kStep = 90'000'000'000;
    CommitTime last_time = 0;
    for (int i = 1; i <= n; ++i) {
      Transaction t;
      last_time = gen_.last_commit_time + i * kStep;
      clock_->Set(last_time);
      t.commit_time = last_time;
      t.Put(absl::StrCat("late/", i), "value");
      EXPECT_TRUE(writer_->Append(t).ok());
    }
    EXPECT_TRUE(writer_->Sync().ok());
    bool has_live = false;
    for (auto& [name, data] : Files(src_)) has_live |= name.ends_with(".live");
    EXPECT_TRUE(has_live);
    return last_time;
  }

  // The digest of a restore to `target` (e.g. "--latest") from `repo`.
  std::string RestoreDigest(const std::string& repo,
                            std::vector<std::string> target,
                            std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"restore", "--repo", repo,
                                     "--into",  "memory", "--json"};
    args.insert(args.end(), target.begin(), target.end());
    args.insert(args.end(), extra.begin(), extra.end());
    Output o = Wb(args);
    EXPECT_EQ(o.code, 0) << o.err;
    if (o.code != 0) return "restore failed: " + o.err;
    return Json(o)["state"]["digest"].get<std::string>();
  }

  testing::TempDir dir_;
  std::string src_;
  GenerateResult gen_;
  // AppendLive()'s open writer (and what it needs).
  std::unique_ptr<Storage> storage_;
  std::unique_ptr<ManualClock> clock_;
  std::unique_ptr<LogWriter> writer_;
};

TEST_F(MirrorCommandTest, LocalToLocalCopiesEverySealedObjectThenNothing) {
  const std::string dst = Dest("dst");
  const auto want = Mirrorable(src_);
  Output o = Wb({"mirror", "--from", src_, "--to", dst, "--json"});
  ASSERT_EQ(o.code, 0) << o.err << o.out;
  json j = Json(o);
  ASSERT_EQ(j["mirrors"].size(), 1u);
  const json& m = j["mirrors"][0];
  EXPECT_EQ(m["copied_objects"], want.size());
  uint64_t bytes = 0;
  for (auto& [name, data] : want) bytes += data.size();
  EXPECT_EQ(m["copied_bytes"], bytes);
  EXPECT_EQ(j["source"]["objects"], want.size());
  // Byte for byte, and nothing else (no lock, no temporaries).
  EXPECT_TRUE(Files(dst) == want);
  // Lag against the generator's own record of its last commit.
  EXPECT_EQ(m["newest_commit"]["lsn"], gen_.last_lsn);
  EXPECT_EQ(m["newest_commit"]["commit_time_ns"], gen_.last_commit_time);
  EXPECT_EQ(m["lag"]["lsns"], 0);
  EXPECT_EQ(m["lag"]["seconds"], 0.0);

  Output again = Wb({"mirror", "--from", src_, "--to", dst});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out,
              HasSubstr(absl::StrCat("copied          nothing: the mirror "
                                     "already holds all ",
                                     want.size())));
  EXPECT_TRUE(Files(dst) == want);
  Output json_again = Wb({"mirror", "--from", src_, "--to", dst, "--json"});
  ASSERT_EQ(json_again.code, 0);
  EXPECT_EQ(Json(json_again)["mirrors"][0]["copied_objects"], 0);
  EXPECT_EQ(Json(json_again)["mirrors"][0]["already_present"], want.size());
}

TEST_F(MirrorCommandTest, CopiesOnlyWhatTheMirrorLacks) {
  const std::string dst = Dest("dst");
  auto want = Mirrorable(src_);
  // The mirror already holds the identity (a pass copies it first) and the
  // first three segments: an interrupted earlier pass.
  fs::create_directories(dst);
  std::ofstream(fs::path(dst) / kIdentity, std::ios::binary) << want[kIdentity];
  int n = 0;
  for (auto& [name, data] : want) {
    if (name == kIdentity) continue;
    if (n++ == 3) break;
    fs::create_directories(fs::path(dst) / fs::path(name).parent_path());
    std::ofstream(fs::path(dst) / name, std::ios::binary) << data;
  }
  Output o = Wb({"mirror", "--from", src_, "--to", dst, "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Json(o)["mirrors"][0]["copied_objects"], want.size() - 4);
  EXPECT_EQ(Json(o)["mirrors"][0]["already_present"], 4);
  EXPECT_TRUE(Files(dst) == want);
}

TEST_F(MirrorCommandTest, SeveralMirrorsEachWithItsOwnLag) {
  const std::string a = Dest("a"), b = Dest("b");
  // b already holds everything but the newest segment: it lags until this run.
  auto want = Mirrorable(src_);
  std::string newest_segment;
  for (auto& [name, data] : want) {
    if (name.starts_with("log/")) newest_segment = name;
  }
  Output first = Wb({"mirror", "--from", src_, "--to", b});
  ASSERT_EQ(first.code, 0) << first.err;
  fs::remove(fs::path(b) / newest_segment);
  Output o = Wb({"mirror", "--from", src_, "--to", a, "--to", b, "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  ASSERT_EQ(j["mirrors"].size(), 2u);
  EXPECT_EQ(j["mirrors"][0]["uri"], a);
  EXPECT_EQ(j["mirrors"][0]["copied_objects"], want.size());
  EXPECT_EQ(j["mirrors"][1]["uri"], b);
  EXPECT_EQ(j["mirrors"][1]["copied"], json::array({newest_segment}));
  for (const json& m : j["mirrors"]) EXPECT_EQ(m["lag"]["lsns"], 0);
  EXPECT_TRUE(Files(a) == want);
  EXPECT_TRUE(Files(b) == want);
}

TEST_F(MirrorCommandTest, DryRunReportsAndWritesNothing) {
  const std::string dst = Dest("dst");
  Output o = Wb({"mirror", "--from", src_, "--to", dst, "--dry-run", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Json(o)["mirrors"][0]["copied_objects"], Mirrorable(src_).size());
  EXPECT_FALSE(fs::exists(dst));
}

// `info` on a log whose newest segment is live: the sealed segments' counts
// (the generator's), and the live segment's records apart, its transaction
// and mutation counts unknown (null) rather than 0.
TEST_F(MirrorCommandTest, InfoCountsTheLiveSegmentsRecordsApart) {
  const int kAppended = 7;
  AppendLive(kAppended);
  ASSERT_FALSE(HasFailure());
  Output o = Wb({"info", "--repo", src_, "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  uint64_t txns = 0, mutations = 0, records = 0;
  int live = 0;
  for (const json& s : j["segments"]) {
    records += s["records"].get<uint64_t>();
    if (s["sealed"]) {
      txns += s["transactions"].get<uint64_t>();
      mutations += s["mutations"].get<uint64_t>();
    } else {
      ++live;
      EXPECT_EQ(s["records"], kAppended);
      EXPECT_TRUE(s["transactions"].is_null());
      EXPECT_TRUE(s["mutations"].is_null());
    }
  }
  EXPECT_EQ(live, 1);
  EXPECT_EQ(txns, gen_.transactions);
  EXPECT_EQ(mutations, gen_.mutations);
  EXPECT_EQ(records, gen_.last_lsn + kAppended);
  Output text = Wb({"info", "--repo", src_});
  ASSERT_EQ(text.code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("(1 live)"));
  EXPECT_THAT(text.out, HasSubstr(absl::StrCat("the live one holds ", kAppended,
                                               " more records")));
  // Sealed, its transactions and mutations are counted (one put each).
  ASSERT_TRUE(writer_->Roll().ok());
  json sealed = Json(Wb({"info", "--repo", src_, "--json"}));
  txns = mutations = 0;
  for (const json& s : sealed["segments"]) {
    ASSERT_TRUE(s["sealed"].get<bool>()) << s.dump();
    txns += s["transactions"].get<uint64_t>();
    mutations += s["mutations"].get<uint64_t>();
  }
  EXPECT_EQ(txns, gen_.transactions + kAppended);
  EXPECT_EQ(mutations, gen_.mutations + kAppended);
  ASSERT_TRUE(writer_->Close().ok());
}

// The live segment is not copied; the lag counts it. Oracle: the generator's
// last commit (all sealed) and the commits this test appends after it.
TEST_F(MirrorCommandTest, LiveSegmentIsNotCopiedAndCountsInTheLag) {
  const std::string dst = Dest("dst");
  const int kAppended = 5;
  const CommitTime last_time = AppendLive(kAppended);
  ASSERT_FALSE(HasFailure());

  Output o = Wb({"mirror", "--from", src_, "--to", dst, "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  EXPECT_EQ(j["source"]["newest_commit"]["lsn"], gen_.last_lsn + kAppended);
  EXPECT_EQ(j["source"]["newest_commit"]["commit_time_ns"], last_time);
  EXPECT_EQ(j["source"]["newest_commit"]["live"], true);
  EXPECT_EQ(j["source"]["newest_sealed_commit"]["lsn"], gen_.last_lsn);
  const json& m = j["mirrors"][0];
  EXPECT_EQ(m["newest_commit"]["lsn"], gen_.last_lsn);
  EXPECT_EQ(m["lag"]["lsns"], kAppended);
  EXPECT_DOUBLE_EQ(
      m["lag"]["seconds"].get<double>(),
      static_cast<double>(last_time - gen_.last_commit_time) / 1e9);
  for (auto& [name, data] : Files(dst)) {
    EXPECT_FALSE(name.ends_with(".live")) << name;
  }
  Output text = Wb({"mirror", "--from", src_, "--to", dst});
  EXPECT_THAT(text.out, HasSubstr("in the live segment"));
  EXPECT_THAT(text.out, HasSubstr(absl::StrCat("lag             ", kAppended,
                                               " LSNs, 7 min 30 s")));

  // Sealed, it is mirrored and the lag is gone.
  ASSERT_TRUE(writer_->Roll().ok());
  Output after = Wb({"mirror", "--from", src_, "--to", dst, "--json"});
  ASSERT_EQ(after.code, 0) << after.err;
  json a = Json(after);
  EXPECT_EQ(a["mirrors"][0]["copied_objects"], 1);
  EXPECT_EQ(a["mirrors"][0]["lag"]["lsns"], 0);
  EXPECT_EQ(a["mirrors"][0]["newest_commit"]["commit_time_ns"], last_time);
  ASSERT_TRUE(writer_->Close().ok());
}

// Segments of a later timeline are checked and copied like the first's.
TEST_F(MirrorCommandTest, SecondTimelineIsMirroredAndIsTheNewest) {
  const std::string dst = Dest("dst");
  auto storage = OpenStorage(src_);
  ASSERT_TRUE(storage.ok());
  ManualClock clock(gen_.last_commit_time);
  LogWriterOptions wo;
  wo.clock = &clock;
  wo.timeline = 2;
  auto writer = LogWriter::Open(storage->get(), wo);
  ASSERT_TRUE(writer.ok()) << writer.status();
  Lsn last = 0;
  for (int i = 1; i <= 3; ++i) {
    Transaction t;
    clock.Set(gen_.last_commit_time + i);
    t.commit_time = gen_.last_commit_time + i;
    t.Put(absl::StrCat("t2/", i), "v");
    auto lsn = (*writer)->Append(t);
    ASSERT_TRUE(lsn.ok()) << lsn.status();
    last = *lsn;
  }
  ASSERT_TRUE((*writer)->Close().ok());
  Output o = Wb({"mirror", "--from", src_, "--to", dst, "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  EXPECT_EQ(j["mirrors"][0]["rejected"].size(), 0u);
  EXPECT_TRUE(Files(dst) == Mirrorable(src_));
  EXPECT_EQ(j["source"]["newest_commit"]["timeline"], 2);
  EXPECT_EQ(j["source"]["newest_commit"]["lsn"], last);
  EXPECT_EQ(j["mirrors"][0]["newest_commit"]["timeline"], 2);
  EXPECT_EQ(j["mirrors"][0]["lag"]["lsns"], 0);
}

TEST_F(MirrorCommandTest, ObjectWithDifferentSizeIsAConflictNotOverwritten) {
  const std::string dst = Dest("dst");
  auto want = Mirrorable(src_);
  const std::string victim = want.begin()->first;
  fs::create_directories(fs::path(dst) / fs::path(victim).parent_path());
  std::ofstream(fs::path(dst) / kIdentity, std::ios::binary) << want[kIdentity];
  std::ofstream(fs::path(dst) / victim, std::ios::binary) << "not the same";
  Output o = Wb({"mirror", "--from", src_, "--to", dst});
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_THAT(o.err, HasSubstr(victim));
  EXPECT_THAT(o.err, HasSubstr("not overwritten"));
  EXPECT_EQ(ReadFile(fs::path(dst) / victim), "not the same");
  // Everything else was still mirrored.
  auto got = Files(dst);
  for (auto& [name, data] : want) {
    if (name != victim) {
      EXPECT_TRUE(got[name] == data) << name;
    }
  }
}

TEST_F(MirrorCommandTest, MirrorOfAnotherRepositoryIsRefusedBeforeCopying) {
  // Another repository's mirror: a different identity.
  const std::string other = Dest("other");
  ASSERT_EQ(Wb({"gen", "--repo", other, "--days", "0.01"}).code, 0);
  const auto before = Files(other);
  Output o = Wb({"mirror", "--from", src_, "--to", other});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("not repository"));
  EXPECT_THAT(o.err, HasSubstr(other));
  EXPECT_TRUE(Files(other) == before);
  // Segments without an identity (an older repository's mirror, or a copy
  // made by hand) are not this repository's mirror either.
  const std::string bare = Dest("bare");
  fs::create_directories(fs::path(bare) / "log");
  const auto want = Mirrorable(src_);
  const std::string seg = want.begin()->first;
  std::ofstream(fs::path(bare) / seg, std::ios::binary) << want.at(seg);
  o = Wb({"mirror", "--from", src_, "--to", bare});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("without an identity"));
  EXPECT_EQ(Files(bare).size(), 1u);
}

TEST_F(MirrorCommandTest, DamagedIdentityAtTheMirrorIsDamageNotOverwritten) {
  const std::string dst = Dest("dst");
  ASSERT_EQ(Wb({"mirror", "--from", src_, "--to", dst}).code, 0);
  std::string id = ReadFile(fs::path(dst) / kIdentity);
  id[30] ^= 0x01;
  std::ofstream(fs::path(dst) / kIdentity, std::ios::binary | std::ios::trunc)
      << id;
  Output o = Wb({"mirror", "--from", src_, "--to", dst});
  EXPECT_EQ(o.code, 1) << o.err;
  EXPECT_THAT(o.err, HasSubstr("wayback.repository"));
  EXPECT_THAT(o.err, HasSubstr("checksum mismatch"));
  EXPECT_EQ(ReadFile(fs::path(dst) / kIdentity), id);
}

TEST_F(MirrorCommandTest, SameSizeDifferentContentFoundWithVerifyExisting) {
  const std::string dst = Dest("dst");
  ASSERT_EQ(Wb({"mirror", "--from", src_, "--to", dst}).code, 0);
  auto want = Mirrorable(src_);
  want.erase(kIdentity);
  const std::string victim = std::prev(want.end())->first;
  std::string changed = want[victim];
  changed[changed.size() / 2] ^= 0x01;
  {
    std::ofstream(fs::path(dst) / victim, std::ios::binary | std::ios::trunc)
        << changed;
  }
  // By size alone it looks present (documented); read in full it is not.
  EXPECT_EQ(Wb({"mirror", "--from", src_, "--to", dst}).code, 0);
  Output o = Wb(
      {"mirror", "--from", src_, "--to", dst, "--verify-existing", "--json"});
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr(victim));
  EXPECT_THAT(o.err, HasSubstr("CRC32C differs"));
  json j = Json(o);
  EXPECT_EQ(j["ok"], false);
  EXPECT_EQ(j["mirrors"][0]["conflicts"][0]["object"], victim);
  EXPECT_TRUE(ReadFile(fs::path(dst) / victim) == changed);
}

// Flips one byte of a block's payload at the source (its checksum then fails).
void FlipInFirstBlock(const std::string& repo, const std::string& segment) {
  auto storage = OpenStorage(repo);
  ASSERT_TRUE(storage.ok());
  auto info = ReadSegmentInfo(storage->get(), segment);
  ASSERT_TRUE(info.ok()) << info.status();
  ASSERT_FALSE(info->blocks.empty());
  const BlockInfo& b = info->blocks[0];
  const fs::path path = fs::path(repo) / segment;
  std::string data = ReadFile(path);
  data[b.offset + b.stored_size - 1] ^= 0x40;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
}

TEST_F(MirrorCommandTest, DamagedSourceSegmentIsDetectedAndNotMirrored) {
  const std::string dst = Dest("dst");
  auto want = Mirrorable(src_);
  std::vector<std::string> segments;
  for (auto& [name, data] : want) {
    if (name.starts_with("log/")) segments.push_back(name);
  }
  ASSERT_GE(segments.size(), 3u);
  const std::string victim = segments[1];
  FlipInFirstBlock(src_, victim);
  Output o = Wb({"mirror", "--from", src_, "--to", dst, "--json"});
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr(victim));
  EXPECT_THAT(o.err, HasSubstr("damaged at the source"));
  json j = Json(o);
  EXPECT_EQ(j["mirrors"][0]["rejected"][0]["object"], victim);
  auto got = Files(dst);
  EXPECT_FALSE(got.contains(victim));
  EXPECT_EQ(got.size(), want.size() - 1);
}

TEST_F(MirrorCommandTest, DamagedSourceSnapshotIsDetectedAndNotMirrored) {
  const std::string dst = Dest("dst");
  std::string victim;
  for (auto& [name, data] : Mirrorable(src_)) {
    if (name.starts_with("snap/")) victim = name;
  }
  ASSERT_FALSE(victim.empty());
  const fs::path path = fs::path(src_) / victim;
  std::string data = ReadFile(path);
  data[data.size() / 3] ^= 0x08;  // Inside a block, well before the index.
  std::ofstream(path, std::ios::binary | std::ios::trunc) << data;
  Output o = Wb({"mirror", "--from", src_, "--to", dst});
  EXPECT_EQ(o.code, 1);
  EXPECT_THAT(o.err, HasSubstr(victim));
  EXPECT_FALSE(fs::exists(fs::path(dst) / victim));
}

TEST_F(MirrorCommandTest, RestoreFromTheMirrorEqualsRestoreFromTheSource) {
  const std::string dst = Dest("dst");
  ASSERT_EQ(Wb({"mirror", "--from", src_, "--to", dst}).code, 0);
  const std::string latest = RestoreDigest(dst, {"--latest"});
  EXPECT_EQ(latest, gen_.final_digest.ToString());
  EXPECT_EQ(latest, RestoreDigest(src_, {"--latest"}));
  const std::string mid =
      FormatCommitTime(gen_.first_commit_time +
                       (gen_.last_commit_time - gen_.first_commit_time) / 2);
  EXPECT_EQ(RestoreDigest(dst, {"--to", mid}),
            RestoreDigest(src_, {"--to", mid}));
}

// ---------------------------------------------------------------------------
// Bad input: each a clear message naming the culprit, exit 2.

TEST_F(MirrorCommandTest, MissingSource) {
  Output o = Wb({"mirror", "--from", Dest("nothing"), "--to", Dest("d")});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr(Dest("nothing")));
  EXPECT_FALSE(fs::exists(Dest("d")));
}

TEST_F(MirrorCommandTest, SourceNotARepository) {
  fs::create_directories(Dest("plain"));
  std::ofstream(Dest("plain") + "/notes.txt") << "hello";
  Output o = Wb({"mirror", "--from", Dest("plain"), "--to", Dest("d")});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("is not a Wayback repository"));
}

TEST_F(MirrorCommandTest, DestinationIsAFile) {
  std::ofstream(Dest("file")) << "x";
  Output o = Wb({"mirror", "--from", src_, "--to", Dest("file")});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr(Dest("file")));
  EXPECT_THAT(o.err, HasSubstr("not a directory"));
}

TEST_F(MirrorCommandTest, DestinationIsSomeOtherNonEmptyDirectory) {
  fs::create_directories(Dest("home"));
  std::ofstream(Dest("home") + "/.bashrc") << "x";
  Output o = Wb({"mirror", "--from", src_, "--to", Dest("home")});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("not a Wayback repository"));
  EXPECT_FALSE(fs::exists(Dest("home") + "/log"));
}

TEST_F(MirrorCommandTest, DestinationIsTheSource) {
  Output o = Wb({"mirror", "--from", src_, "--to", src_ + "/"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("is the source itself"));
}

TEST_F(MirrorCommandTest, NoDestination) {
  Output o = Wb({"mirror", "--from", src_});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--to"));
}

TEST_F(MirrorCommandTest, OneBadMirrorDoesNotStopTheOthers) {
  std::ofstream(Dest("file")) << "x";
  Output o = Wb(
      {"mirror", "--from", src_, "--to", Dest("file"), "--to", Dest("good")});
  EXPECT_EQ(o.code, 2);
  EXPECT_TRUE(Files(Dest("good")) == Mirrorable(src_));
}

// ---------------------------------------------------------------------------
// S3 (Ceph RGW, started by the shared test fixture).

class MirrorS3Test : public MirrorCommandTest {
 protected:
  void SetUp() override {
    auto server = testing::S3TestServer::Get();
    ASSERT_TRUE(server.ok()) << server.status().message();
    server_ = *server;
    MirrorCommandTest::SetUp();
  }
  // A fresh prefix; credentials are given by flags (Creds()).
  std::string Url(const std::string& bucket = testing::S3TestServer::kBucket) {
    static int n = 0;
    return absl::StrCat("s3://", bucket, "/mirror-", ::getpid(), "-", n++,
                        "?endpoint=", server_->endpoint());
  }
  static std::vector<std::string> Creds() {
    return {"--aws-access-key-id", testing::S3TestServer::kAccessKey,
            "--aws-secret-access-key", testing::S3TestServer::kSecretKey};
  }
  static std::vector<std::string> With(std::vector<std::string> a,
                                       const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
  }
  testing::S3TestServer* server_ = nullptr;
};

TEST_F(MirrorS3Test, LocalToS3ThenRestoreFromS3) {
  const std::string url = Url();
  const auto want = Mirrorable(src_);
  Output o =
      Wb(With({"mirror", "--from", src_, "--to", url, "--json"}, Creds()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Json(o)["mirrors"][0]["copied_objects"], want.size());
  EXPECT_EQ(Json(o)["mirrors"][0]["lag"]["lsns"], 0);
  // What landed, read back through the S3 backend.
  StorageOpenOptions so;
  so.s3.access_key_id = testing::S3TestServer::kAccessKey;
  so.s3.secret_access_key = testing::S3TestServer::kSecretKey;
  auto s3 = OpenStorage(url, so);
  ASSERT_TRUE(s3.ok()) << s3.status();
  auto listed = (*s3)->List("");
  ASSERT_TRUE(listed.ok());
  std::set<std::string> names;
  for (const ObjectInfo& i : *listed) names.insert(i.name);
  std::set<std::string> want_names;
  for (auto& [name, data] : want) want_names.insert(name);
  EXPECT_EQ(names, want_names);
  for (auto& [name, data] : want) {
    auto back = (*s3)->ReadAll(name);
    ASSERT_TRUE(back.ok()) << back.status();
    EXPECT_TRUE(*back == data) << name;
  }
  Output again = Wb(With({"mirror", "--from", src_, "--to", url}, Creds()));
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_THAT(again.out, HasSubstr("copied          nothing"));
  // Restore through s3:// (credentials by flag) gives the source's digest.
  EXPECT_EQ(RestoreDigest(url, {"--latest"}, Creds()),
            gen_.final_digest.ToString());
}

TEST_F(MirrorS3Test, S3ToLocalAndToAnotherPrefix) {
  const std::string primary = Url();
  ASSERT_EQ(Wb(With({"mirror", "--from", src_, "--to", primary}, Creds())).code,
            0);
  const std::string local = Dest("from-s3");
  const std::string other = Url();
  Output o = Wb(With(
      {"mirror", "--from", primary, "--to", local, "--to", other, "--json"},
      Creds()));
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_TRUE(Files(local) == Mirrorable(src_));
  EXPECT_EQ(RestoreDigest(other, {"--latest"}, Creds()),
            gen_.final_digest.ToString());
}

TEST_F(MirrorS3Test, NoSuchBucketNamesBucketAndEndpoint) {
  const std::string url = Url("no-such-bucket");
  Output o = Wb(With({"mirror", "--from", src_, "--to", url}, Creds()));
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("no such bucket \"no-such-bucket\""));
  EXPECT_THAT(o.err, HasSubstr(server_->endpoint()));
  // The same for any command opening the repository.
  Output info = Wb(With({"info", "--repo", url}, Creds()));
  EXPECT_EQ(info.code, 2);
  EXPECT_THAT(info.err, HasSubstr("no such bucket \"no-such-bucket\""));
}

TEST_F(MirrorS3Test, WrongCredentialsByFlagAreRefused) {
  const std::string url = Url();
  Output o = Wb({"mirror", "--from", src_, "--to", url, "--aws-access-key-id",
                 "NOBODY", "--aws-secret-access-key", "wrong"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("access denied"));
  // A known key with a wrong secret: RGW checks the signature.
  Output sig = Wb({"mirror", "--from", src_, "--to", url, "--aws-access-key-id",
                   testing::S3TestServer::kAccessKey, "--aws-secret-access-key",
                   "wrong"});
  EXPECT_EQ(sig.code, 2);
  EXPECT_THAT(sig.err, HasSubstr("access denied"));
  EXPECT_THAT(sig.err, HasSubstr(server_->endpoint()));
}

// In a versioned bucket deleted objects stay as noncurrent versions behind
// delete markers; the repository must still read as the objects it has now.
TEST_F(MirrorS3Test, RepositoryInVersionedBucketRestoresTheSame) {
  ASSERT_TRUE(
      server_->EnsureBucket("wayback-versioned-repo", {.versioning = true})
          .ok());
  const std::string url = Url("wayback-versioned-repo");
  ASSERT_EQ(Wb(With({"mirror", "--from", src_, "--to", url}, Creds())).code, 0);
  // An object that came and went: a delete marker over a segment-like name.
  StorageOpenOptions so;
  so.s3.access_key_id = testing::S3TestServer::kAccessKey;
  so.s3.secret_access_key = testing::S3TestServer::kSecretKey;
  auto s3 = OpenStorage(url, so);
  ASSERT_TRUE(s3.ok()) << s3.status();
  ASSERT_TRUE((*s3)->WriteAll("log/stray", "not a segment").ok());
  ASSERT_TRUE((*s3)->Delete("log/stray").ok());
  auto listed = (*s3)->List("");
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_EQ(listed->size(), Mirrorable(src_).size());
  EXPECT_EQ(RestoreDigest(url, {"--latest"}, Creds()),
            gen_.final_digest.ToString());
  // And mirrored back out, byte for byte.
  const std::string local = Dest("from-versioned");
  ASSERT_EQ(Wb(With({"mirror", "--from", url, "--to", local}, Creds())).code,
            0);
  EXPECT_TRUE(Files(local) == Mirrorable(src_));
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

// wayback ingest --mirror s3://… while the object store refuses every request
// (the fault proxy answers 503 to all of them): ingestion goes on and
// acknowledges everything; the mirror's passes fail and the run exits 1
// naming the mirror. Once the store answers again, the next run's passes ship
// everything, and the mirror holds exactly the log.
TEST_F(MirrorS3Test, IngestGoesOnWhileTheS3MirrorIsDownAndCatchesUp) {
  auto proxy = testing::FaultProxy::Get(server_->endpoint());
  ASSERT_TRUE(proxy.ok()) << proxy.status();
  (*proxy)->Clear();
  const std::string url =
      absl::StrCat("s3://", testing::S3TestServer::kBucket, "/ingest-down-",
                   ::getpid(), "?endpoint=", (*proxy)->endpoint());
  const std::string repo = (fs::path(dir_.path()) / "ingested").string();
  const std::string in = (fs::path(dir_.path()) / "in.jsonl").string();
  {
    std::ofstream f(in);
    for (int p = 1; p <= 300; ++p) {
      f << "{\"pos\":" << p << ",\"time\":\"@" << 1767225600000000000 + p
        << "\",\"ops\":[{\"op\":\"put\",\"key\":\"k" << p % 13
        << "\",\"value\":\"v" << p << "\"}]}\n";
    }
  }
  (*proxy)->Arm("503", 1000000);
  Output down = Wb(With({"ingest", "--repo", repo, "--create", "--mirror", url,
                         "--max-segment-age", "50ms", "--json", in},
                        Creds()));
  EXPECT_EQ(down.code, 1) << down.out << down.err;
  EXPECT_EQ(Json(down)["appended"], 300);
  EXPECT_EQ(Json(down)["last_durable"]["lsn"], 300);
  EXPECT_THAT(down.err, HasSubstr("mirror s3://"));
  EXPECT_GT((*proxy)->Fired("503"), 0);
  (*proxy)->Clear();
  // The store is back: a run with nothing new to ingest ships it all.
  const std::string empty = (fs::path(dir_.path()) / "empty.jsonl").string();
  { std::ofstream f(empty); }
  Output up = Wb(With({"ingest", "--repo", repo, "--mirror", url, "--source",
                       "jsonl:" + in, empty},
                      Creds()));
  ASSERT_EQ(up.code, 0) << up.out << up.err;
  Output check =
      Wb(With({"mirror", "--from", repo, "--to", url, "--json"}, Creds()));
  ASSERT_EQ(check.code, 0) << check.err;
  EXPECT_EQ(Json(check)["mirrors"][0]["copied_objects"], 0);
  EXPECT_EQ(Json(check)["mirrors"][0]["lag"]["lsns"], 0);
  EXPECT_EQ(Json(check)["mirrors"][0]["newest_commit"]["lsn"], 300);
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

// wayback info --mirror: the lag by the one definition, measured offline
// (now minus the commit time of the first record the mirror lacks), and
// "none" once the mirror holds everything.
TEST_F(MirrorCommandTest, InfoGivesEachMirrorsLag) {
  const std::string m = Dest("m");
  ASSERT_EQ(Wb({"mirror", "--from", src_, "--to", m}).code, 0);
  Output caught_up = Wb({"info", "--repo", src_, "--mirror", m, "--json"});
  ASSERT_EQ(caught_up.code, 0) << caught_up.err;
  EXPECT_EQ(Json(caught_up)["mirrors"][0]["lag_seconds"], 0.0);
  // Five commits after the mirror pass, left in the live segment.
  CommitTime first_missing = 0;
  {
    auto storage = OpenStorage(src_, false);
    ASSERT_TRUE(storage.ok());
    auto w = LogWriter::Open(storage->get(), {});
    ASSERT_TRUE(w.ok()) << w.status();
    for (int i = 0; i < 5; ++i) {
      Transaction t;
      t.Put("late", std::to_string(i));
      t.commit_time = gen_.last_commit_time + (i + 1) * 1000000000LL;
      if (i == 0) first_missing = *t.commit_time;
      ASSERT_TRUE((*w)->Append(t).ok());
    }
  }
  const CommitTime before = Clock::Real()->NowNanos();
  Output behind = Wb({"info", "--repo", src_, "--mirror", m, "--json"});
  const CommitTime after = Clock::Real()->NowNanos();
  ASSERT_EQ(behind.code, 0) << behind.err;
  const double lag = Json(behind)["mirrors"][0]["lag_seconds"].get<double>();
  EXPECT_GE(lag, static_cast<double>(before - first_missing) / 1e9 - 1e-6);
  EXPECT_LE(lag, static_cast<double>(after - first_missing) / 1e9 + 1e-6);
  EXPECT_EQ(Json(behind)["mirrors"][0]["restorable_lsn"], gen_.last_lsn);
  Output text = Wb({"info", "--repo", src_, "--mirror", m});
  EXPECT_THAT(text.out,
              HasSubstr(absl::StrCat("restorable to LSN ", gen_.last_lsn)));
  Output missing = Wb({"info", "--repo", src_, "--mirror", Dest("nope")});
  EXPECT_EQ(missing.code, 1);
  EXPECT_THAT(missing.out, HasSubstr("cannot measure"));
}

}  // namespace
}  // namespace wayback
