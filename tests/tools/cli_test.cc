// Copyright 2026 The Wayback Authors.
//
// Every `wayback` subcommand run in process on fixture repositories, with the
// output and exit code checked against an independent model: the generator's
// own events (or the JSONL lines) applied to a std::map.

#include "tools/cli.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "rocksdb/db.h"
#include "src/workload/workload.h"
#include "tests/testutil/testutil.h"
#include "tools/common.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

namespace fs = std::filesystem;
using ::nlohmann::json;
using ::testing::HasSubstr;
using ::testing::Not;
using State = std::map<std::string, std::string>;

struct Output {
  int code;
  std::string out;
  std::string err;
};

Output Wb(std::vector<std::string> args, bool tty = false) {
  std::ostringstream out, err;
  int code = cli::RunWayback(args, out, err, tty);
  return {code, out.str(), err.str()};
}

json Json(const Output& o) {
  auto j = json::parse(o.out, nullptr, false);
  EXPECT_FALSE(j.is_discarded()) << o.out << o.err;
  return j;
}

// A generated repository and the model of its log (LSN i is events[i-1]).
class Fixture {
 public:
  Fixture() {
    options_.workload.seed = 11;
    options_.workload.rate = 0.05;
    options_.workload.duration = absl::Hours(30);
    options_.workload.initial_patients = 100;
    options_.snapshot_every = absl::Hours(8);
    auto storage = OpenStorage(dir_.path(), true);
    EXPECT_TRUE(storage.ok());
    auto r = GenerateRepository(storage->get(), options_);
    EXPECT_TRUE(r.ok()) << r.status();
    WorkloadGenerator gen(options_.workload);
    for (WorkloadEvent e; gen.Next(&e);) events_.push_back(e);
  }
  const std::string& repo() const { return dir_.path(); }
  const std::vector<WorkloadEvent>& events() const { return events_; }
  State StateAtLsn(Lsn lsn) const {
    State s;
    for (Lsn i = 1; i <= lsn && i <= events_.size(); ++i) {
      for (const Mutation& m : events_[i - 1].txn.mutations) {
        if (m.type == MutationType::kPut) {
          s[m.key] = m.value;
        } else {
          s.erase(m.key);
        }
      }
    }
    return s;
  }
  // The last LSN with commit time <= t (< t if exclusive).
  Lsn LastLsnAt(CommitTime t, bool exclusive = false) const {
    Lsn last = 0;
    for (size_t i = 0; i < events_.size(); ++i) {
      if (exclusive ? events_[i].commit_time < t
                    : events_[i].commit_time <= t) {
        last = i + 1;
      }
    }
    return last;
  }
  CommitTime Hour(double h) const {
    return options_.workload.start_time + static_cast<int64_t>(h * 3600e9);
  }

 private:
  testing::TempDir dir_;
  GenerateOptions options_;
  std::vector<WorkloadEvent> events_;
};

const Fixture& F() {
  static Fixture* f = new Fixture;
  return *f;
}

StateDigest DigestOf(const State& s) {
  StateDigest d;
  for (auto& [k, v] : s) d.Add(k, v);
  return d;
}

// ---------------------------------------------------------------------------
// gen

TEST(GenCommand, WritesTheGeneratorsWorkload) {
  testing::TempDir dir;
  std::string repo = dir.path() + "/repo";
  auto o = Wb({"gen", "--repo", repo, "--days", "0.25", "--rate", "0.2",
               "--seed", "5", "--snapshot-every", "2h", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  WorkloadOptions w;
  w.seed = 5;
  w.rate = 0.2;
  w.duration = absl::Hours(6);
  WorkloadGenerator gen(w);
  uint64_t txns = 0, events = 0;
  State s;
  for (WorkloadEvent e; gen.Next(&e);) {
    ++events;
    txns += e.kind == WorkloadEvent::Kind::kTransaction;
    for (const Mutation& m : e.txn.mutations) {
      if (m.type == MutationType::kPut) {
        s[m.key] = m.value;
      } else {
        s.erase(m.key);
      }
    }
  }
  EXPECT_EQ(j["transactions"], txns);
  EXPECT_EQ(j["last_lsn"], events);
  EXPECT_EQ(j["restore_points"], 1);  // 02:00 on the first day.
  EXPECT_EQ(j["snapshots"], 2);       // At 2 h and 4 h.
  EXPECT_EQ(j["final_state"]["digest"], DigestOf(s).ToString());
  // The restore to "latest" agrees.
  auto r =
      Wb({"restore", "--repo", repo, "--latest", "--into", "memory", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(Json(r)["state"]["digest"], DigestOf(s).ToString());
}

// The workload shape flags reach the generator: the same options given to an
// independent generator give the digest gen reports (and not the default
// shape's).
TEST(GenCommand, ShapeFlagsReachTheGenerator) {
  testing::TempDir dir;
  auto o = Wb({"gen", "--repo", dir.path() + "/repo", "--days", "0.1", "--rate",
               "0.5", "--snapshot-every", "0", "--update-fraction", "0.835",
               "--value-size-exponent", "2.9", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  auto digest_of = [](double fraction, double exponent) {
    WorkloadOptions w;
    w.rate = 0.5;
    w.duration = absl::Seconds(0.1 * 86400);
    w.in_place_update_fraction = fraction;
    w.value_size_exponent = exponent;
    WorkloadGenerator gen(w);
    State s;
    for (WorkloadEvent e; gen.Next(&e);) {
      for (const Mutation& m : e.txn.mutations) {
        if (m.type == MutationType::kPut) {
          s[m.key] = m.value;
        } else {
          s.erase(m.key);
        }
      }
    }
    return DigestOf(s).ToString();
  };
  EXPECT_EQ(Json(o)["final_state"]["digest"], digest_of(0.835, 2.9));
  EXPECT_NE(Json(o)["final_state"]["digest"], digest_of(0, 1));
}

TEST(GenCommand, ShapeFlagsOutOfRangeAreRefused) {
  testing::TempDir dir;
  for (auto [flag, value] : std::vector<std::pair<std::string, std::string>>{
           {"--update-fraction", "1.5"}, {"--value-size-exponent", "-1"}}) {
    auto o = Wb({"gen", "--repo", dir.path() + "/r", flag, value});
    EXPECT_EQ(o.code, 2) << flag;
    EXPECT_THAT(o.err, HasSubstr(flag));
    EXPECT_FALSE(fs::exists(dir.path() + "/r")) << flag;
  }
}

TEST(GenCommand, RefusesAnExistingRepository) {
  auto o = Wb({"gen", "--repo", F().repo(), "--days", "0.01"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("already holds a repository"));
}

TEST(GenCommand, RefusesANonEmptyDirectoryThatIsNotARepository) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/precious.txt") << "keep me";
  auto o = Wb({"gen", "--repo", dir.path(), "--days", "0.01"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("is not empty and is not a Wayback repository"));
  EXPECT_TRUE(fs::exists(dir.path() + "/precious.txt"));
}

TEST(DurationFlags, AcceptDaysAndEveryAbslUnit) {
  struct Case {
    const char* text;
    absl::Duration want;
  } cases[] = {
      {"35d", absl::Hours(35 * 24)}, {"90d", absl::Hours(90 * 24)},
      {"1d12h", absl::Hours(36)},    {"1.5d", absl::Hours(36)},
      {"6h", absl::Hours(6)},        {"90m", absl::Minutes(90)},
      {"30s", absl::Seconds(30)},    {"250ms", absl::Milliseconds(250)},
      {"0", absl::ZeroDuration()},
  };
  for (const Case& c : cases) {
    auto d = cli::ParseDurationFlag("--keep", c.text);
    ASSERT_TRUE(d.ok()) << c.text << ": " << d.status();
    EXPECT_EQ(*d, c.want) << c.text;
  }
  for (const char* bad :
       {"", "d", "35", "5x", "-1h", "35 d", "1d-", "h1", "1dd", "often"}) {
    auto d = cli::ParseDurationFlag("--keep", bad);
    EXPECT_EQ(d.status().code(), absl::StatusCode::kInvalidArgument) << bad;
    EXPECT_THAT(d.status().message(), HasSubstr("--keep")) << bad;
  }
}

TEST(GenCommand, SnapshotEveryTakesDays) {
  testing::TempDir dir;
  auto o = Wb({"gen", "--repo", dir.path() + "/r", "--days", "2.5", "--rate",
               "0.01", "--snapshot-every", "1d", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Json(o)["snapshots"], 2);
}

// Snapshots built from the repository as deltas: verify --restore-test
// replays the log between every pair of snapshots (chains included) and
// compares the digests, and the newest chain restores the final state.
TEST(GenCommand, DeltaSnapshotsAreBuiltFromTheRepository) {
  testing::TempDir dir;
  const std::string repo = dir.path() + "/r";
  auto o = Wb({"gen", "--repo", repo, "--days", "0.25", "--rate", "0.3",
               "--snapshot-every", "1h", "--snapshot-kind", "delta", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  const json g = Json(o);
  EXPECT_EQ(g["snapshots"], 5);  // At 1 h … 5 h of the 6 simulated hours.
  int deltas = 0;
  for (const auto& e : std::filesystem::directory_iterator(repo + "/snap")) {
    deltas += e.path().extension() == ".delta";
  }
  EXPECT_EQ(deltas, 4) << "the first is full, the rest deltas";
  auto v = Wb({"verify", "--repo", repo, "--restore-test"});
  EXPECT_EQ(v.code, 0) << v.out << v.err;
  EXPECT_THAT(v.out, HasSubstr("4 restore tests"));
  auto r =
      Wb({"restore", "--repo", repo, "--latest", "--into", "memory", "--json"});
  ASSERT_EQ(r.code, 0) << r.err;
  const json rj = Json(r);
  EXPECT_EQ(rj["state"]["digest"], g["final_state"]["digest"]) << r.out;
  // plan names the chain it merges (the cheapest start, by bytes read),
  // base first, every member; --json gives the same chain.
  const std::string plan = Wb({"plan", "--repo", repo, "--latest"}).out;
  const json pj = Json(Wb({"plan", "--repo", repo, "--latest", "--json"}));
  const json& chain = pj["snapshot"]["chain"];
  ASSERT_GE(chain.size(), 2u) << pj.dump(2);
  EXPECT_THAT(plan,
              HasSubstr(absl::StrCat("Chain          a full snapshot and ",
                                     chain.size() - 1, " delta(s)")));
  size_t at = 0;
  for (const json& m : chain) {
    const size_t found =
        plan.find("    " + m["name"].get<std::string>() + "  LSN ", at);
    EXPECT_NE(found, std::string::npos) << m["name"] << " in order:\n" << plan;
    if (found != std::string::npos) at = found;
  }
}

TEST(GenCommand, BadDuration) {
  testing::TempDir dir;
  auto o =
      Wb({"gen", "--repo", dir.path() + "/r", "--snapshot-every", "often"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--snapshot-every"));
}

// ---------------------------------------------------------------------------
// info

TEST(InfoCommand, DescribesTheRepository) {
  auto o = Wb({"info", "--repo", F().repo(), "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  auto storage = OpenStorage(F().repo());
  ASSERT_TRUE(storage.ok());
  auto segs = (*storage)->List("log/");
  auto snaps = (*storage)->List("snap/");
  ASSERT_TRUE(segs.ok() && snaps.ok());
  uint64_t seg_bytes = 0, snap_bytes = 0;
  size_t seg_objects = 0;
  for (auto& s : *segs) {
    if (s.name.ends_with(".seg") || s.name.ends_with(".live")) {
      seg_bytes += s.size;
      ++seg_objects;
    }
  }
  for (auto& s : *snaps) snap_bytes += s.size;
  EXPECT_EQ(j["segments"].size(), seg_objects);
  EXPECT_EQ(j["snapshots"].size(), snaps->size());
  EXPECT_EQ(j["sizes"]["segments_bytes"], seg_bytes);
  EXPECT_EQ(j["sizes"]["snapshots_bytes"], snap_bytes);
  ASSERT_EQ(j["windows"].size(), 1u);
  EXPECT_EQ(j["windows"][0]["earliest_lsn"], 0);
  EXPECT_EQ(j["windows"][0]["latest_lsn"], F().events().size());
  EXPECT_EQ(j["holes"].size(), 0u);
  EXPECT_EQ(j["timelines"], json::array({1}));
  EXPECT_EQ(j["newest_commit"]["lsn"], F().events().size());
  EXPECT_EQ(j["newest_commit"]["commit_time"],
            FormatCommitTime(F().events().back().commit_time));

  auto text = Wb({"info", "--repo", F().repo()});
  ASSERT_EQ(text.code, 0);
  EXPECT_THAT(text.out, HasSubstr("holes        none"));
  EXPECT_THAT(text.out,
              HasSubstr(absl::StrCat("(LSN ", F().events().size(), ")")));
}

TEST(InfoCommand, ShowsAHoleInTheLog) {
  testing::TempDir dir;
  fs::copy(F().repo(), dir.path(), fs::copy_options::recursive);
  // Remove a middle segment: its LSN range becomes a hole.
  std::vector<std::string> segs;
  for (auto& e : fs::directory_iterator(dir.path() + "/log")) {
    if (e.path().extension() == ".seg") segs.push_back(e.path().string());
  }
  std::sort(segs.begin(), segs.end());
  ASSERT_GE(segs.size(), 3u);
  fs::remove(segs[1]);
  auto o = Wb({"info", "--repo", dir.path(), "--json"});
  json j = Json(o);
  ASSERT_EQ(j["holes"].size(), 1u) << o.out;
  EXPECT_GT(j["holes"][0]["last_missing_lsn"],
            j["holes"][0]["first_missing_lsn"]);
}

// ---------------------------------------------------------------------------
// plan

TEST(PlanCommand, ResolvesATimeToTheCommitsOnEitherSide) {
  CommitTime t = F().Hour(13.5);
  Lsn last = F().LastLsnAt(t);
  ASSERT_GT(last, 0u);
  ASSERT_LT(last, F().events().size());
  auto o =
      Wb({"plan", "--repo", F().repo(), "--to", FormatCommitTime(t), "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  EXPECT_EQ(j["last_included"]["lsn"], last);
  EXPECT_EQ(j["last_included"]["commit_time"],
            FormatCommitTime(F().events()[last - 1].commit_time));
  EXPECT_EQ(j["first_excluded"]["lsn"], last + 1);
  // The newest snapshot at or before: the one at 8 h.
  ASSERT_TRUE(j["snapshot"].is_object());
  EXPECT_EQ(j["snapshot"]["lsn"],
            F().LastLsnAt(F().Hour(8), /*exclusive=*/true));
  EXPECT_EQ(j["last_lsn"], last);

  auto text = Wb({"plan", "--repo", F().repo(), "--to", FormatCommitTime(t)});
  ASSERT_EQ(text.code, 0);
  EXPECT_THAT(text.out, HasSubstr("Instant (UTC)  " + FormatCommitTime(t)));
  EXPECT_THAT(text.out, HasSubstr(absl::StrCat("Last included  LSN ", last)));
}

TEST(PlanCommand, ExclusiveAtACommitTimeStopsBeforeIt) {
  Lsn lsn = F().LastLsnAt(F().Hour(20));
  CommitTime t = F().events()[lsn - 1].commit_time;
  auto o = Wb({"plan", "--repo", F().repo(), "--to", FormatCommitTime(t),
               "--exclusive", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(Json(o)["last_lsn"], lsn - 1);
}

TEST(PlanCommand, OffsetTimesAreResolvedToUtc) {
  // 14:30+01:00 is 13:30Z.
  auto a = Wb({"plan", "--repo", F().repo(), "--to",
               "2026-11-24T14:30:00+01:00", "--json"});
  auto b = Wb(
      {"plan", "--repo", F().repo(), "--to", "2026-11-24T13:30:00Z", "--json"});
  ASSERT_EQ(a.code, 0) << a.err;
  EXPECT_EQ(Json(a)["last_lsn"], Json(b)["last_lsn"]);
  EXPECT_EQ(Json(a)["target"], Json(b)["target"]);
}

TEST(PlanCommand, TargetBeyondTheLogIsRefusedUpFront) {
  auto o = Wb({"plan", "--repo", F().repo(), "--lsn", "999999999"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("wayback plan: error:"));
}

TEST(PlanCommand, UnknownRestorePoint) {
  auto o =
      Wb({"plan", "--repo", F().repo(), "--restore-point", "no-such-point"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("no-such-point"));
}

// ---------------------------------------------------------------------------
// restore

TEST(RestoreCommand, IntoMemoryMatchesTheModelAtEveryKindOfTarget) {
  const auto& ev = F().events();
  Lsn rp = 0;
  for (size_t i = 0; i < ev.size(); ++i) {
    if (ev[i].kind == WorkloadEvent::Kind::kRestorePoint) rp = i + 1;
  }
  ASSERT_GT(rp, 0u);
  Lsn tx_lsn = F().LastLsnAt(F().Hour(22));
  uint64_t txid = *ev[tx_lsn - 1].txn.txid;
  struct Case {
    std::vector<std::string> flags;
    Lsn lsn;
  } cases[] = {
      {{"--to", FormatCommitTime(F().Hour(13.5))},
       F().LastLsnAt(F().Hour(13.5))},
      {{"--lsn", "77"}, 77},
      {{"--lsn", "77", "--exclusive"}, 76},
      {{"--txid", absl::StrCat(txid)}, tx_lsn},
      {{"--txid", absl::StrCat(txid), "--exclusive"}, tx_lsn - 1},
      {{"--restore-point", ev[rp - 1].restore_point}, rp},
      {{"--latest"}, ev.size()},
      {{"--snapshot-only"}, F().LastLsnAt(F().Hour(24), true)},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = {"restore", "--repo", F().repo(),
                                     "--into",  "memory", "--json"};
    args.insert(args.end(), c.flags.begin(), c.flags.end());
    auto o = Wb(args);
    ASSERT_EQ(o.code, 0) << c.flags[0] << ": " << o.err;
    json j = Json(o);
    EXPECT_EQ(j["state"]["digest"], DigestOf(F().StateAtLsn(c.lsn)).ToString())
        << c.flags[0];
    EXPECT_EQ(j["plan"]["last_lsn"], c.lsn) << c.flags[0];
    EXPECT_EQ(j["first_not_applied_lsn"], c.lsn + 1) << c.flags[0];
  }
}

// Reads the database at `path` back with RocksDB's own API (read-only, as
// any tool of the user's would) and compares every pair of its default
// column family, in order, with `want`: the restored data itself, not only
// the digest the restore computed while it wrote.
void ExpectDatabaseHolds(const std::string& path, const State& want) {
  rocksdb::Options options;
  std::vector<std::string> families;
  ASSERT_TRUE(rocksdb::DB::ListColumnFamilies(options, path, &families).ok());
  std::sort(families.begin(), families.end());
  EXPECT_EQ(families, (std::vector<std::string>{"default", "wayback"}));
  rocksdb::DB* raw = nullptr;
  rocksdb::Status st = rocksdb::DB::OpenForReadOnly(options, path, &raw);
  ASSERT_TRUE(st.ok()) << st.ToString();
  std::unique_ptr<rocksdb::DB> db(raw);
  std::unique_ptr<rocksdb::Iterator> it(
      db->NewIterator(rocksdb::ReadOptions()));
  auto w = want.begin();
  size_t n = 0;
  for (it->SeekToFirst(); it->Valid(); it->Next(), ++w, ++n) {
    ASSERT_NE(w, want.end()) << "extra key " << it->key().ToString();
    ASSERT_EQ(it->key().ToString(), w->first) << "pair " << n;
    ASSERT_EQ(it->value().ToString(), w->second) << "key " << w->first;
  }
  ASSERT_TRUE(it->status().ok()) << it->status().ToString();
  EXPECT_EQ(n, want.size())
      << "missing keys from " << (w == want.end() ? "" : w->first);
}

TEST(RestoreCommand, IntoRocksDBWithSummaryAndRefusesToOverwrite) {
  testing::TempDir dir;
  std::string db = dir.path() + "/db";
  CommitTime t = F().Hour(25.25);
  Lsn last = F().LastLsnAt(t);
  auto o = Wb({"restore", "--repo", F().repo(), "--to", FormatCommitTime(t),
               "--into", "rocksdb:" + db, "--threads", "2"});
  ASSERT_EQ(o.code, 0) << o.err;
  State s = F().StateAtLsn(last);
  EXPECT_THAT(o.out, HasSubstr("instant (UTC)   " + FormatCommitTime(t)));
  EXPECT_THAT(o.out, HasSubstr(absl::StrCat("last applied    LSN ", last)));
  EXPECT_THAT(o.out, HasSubstr(absl::StrCat("first excluded  LSN ", last + 1)));
  EXPECT_THAT(o.out, HasSubstr("digest " + DigestOf(s).ToString()));
  EXPECT_THAT(o.err, Not(HasSubstr("restoring:")));  // Not a terminal.
  ExpectDatabaseHolds(db, s);

  auto again = Wb(
      {"restore", "--repo", F().repo(), "--latest", "--into", "rocksdb:" + db});
  EXPECT_EQ(again.code, 2);
  EXPECT_THAT(again.err, HasSubstr("not empty; add --force"));
  // With the SST files written through O_DIRECT this time: the same state.
  auto forced = Wb({"restore", "--repo", F().repo(), "--latest", "--into",
                    "rocksdb:" + db, "--force", "--json", "--direct-writes"});
  ASSERT_EQ(forced.code, 0) << forced.err;
  const State latest = F().StateAtLsn(F().events().size());
  EXPECT_EQ(Json(forced)["state"]["digest"], DigestOf(latest).ToString());
  ExpectDatabaseHolds(db, latest);
}

// On a terminal, restore shows its progress on standard error, one line
// rewritten in place: the bytes, then (once everything is read and applied)
// that the state is being written, and the line is erased at the end. The
// result on standard output is the same as without a terminal.
TEST(RestoreCommand, ProgressOnATerminalEndsWithTheWritePhaseAndIsErased) {
  testing::TempDir dir;
  const std::vector<std::string> args = {
      "restore",   "--repo", F().repo(),
      "--latest",  "--into", "rocksdb:" + dir.path() + "/db",
      "--threads", "2",      "--json"};
  auto o = Wb(args, /*tty=*/true);
  ASSERT_EQ(o.code, 0) << o.err;
  const std::string line = "\r\x1b[K  restoring: ";
  EXPECT_EQ(o.err.rfind(line, 0), 0u) << o.err;
  EXPECT_THAT(o.err, HasSubstr(" transactions, "));
  const json j = Json(o);
  const std::string finishing =
      absl::StrCat(line, "read ", cli::FormatBytes(j["bytes_read"]),
                   ", applied ", cli::FormatCount(j["transactions_applied"]),
                   " transactions; writing the state\r\x1b[K");
  EXPECT_TRUE(absl::EndsWith(o.err, finishing)) << o.err;
  // The same restore without a terminal: no progress, the same state.
  auto plain =
      Wb({"restore", "--repo", F().repo(), "--latest", "--into",
          "rocksdb:" + dir.path() + "/db2", "--threads", "2", "--json"});
  ASSERT_EQ(plain.code, 0) << plain.err;
  EXPECT_EQ(plain.err, "");
  EXPECT_EQ(j["state"], Json(plain)["state"]);
  EXPECT_GT(j["transactions_applied"].get<uint64_t>(), 0u);
  ExpectDatabaseHolds(dir.path() + "/db2", F().StateAtLsn(F().events().size()));
}

// ---------------------------------------------------------------------------
// export

TEST(ExportCommand, JsonlSortedByKeyEqualsTheModel) {
  CommitTime t = F().Hour(10);
  State s = F().StateAtLsn(F().LastLsnAt(t));
  auto o = Wb({"export", "--repo", F().repo(), "--to", FormatCommitTime(t)});
  ASSERT_EQ(o.code, 0) << o.err;
  std::string want;
  for (auto& [k, v] : s) want += json{{"key", k}, {"value", v}}.dump() + "\n";
  EXPECT_EQ(o.out, want);
}

TEST(ExportCommand, CsvToAFile) {
  testing::TempDir dir;
  std::string file = dir.path() + "/out.csv";
  auto o = Wb({"export", "--repo", F().repo(), "--lsn", "40", "--format", "csv",
               "-o", file});
  ASSERT_EQ(o.code, 0) << o.err;
  std::ifstream in(file);
  std::string header, line;
  std::getline(in, header);
  EXPECT_EQ(header, "key,value,key_b64,value_b64");
  State s = F().StateAtLsn(40);
  auto it = s.begin();
  // Values are JSON (with commas and quotes): RFC 4180 quoting.
  while (std::getline(in, line)) {
    ASSERT_NE(it, s.end());
    std::string q;
    for (char c : it->second)
      q += c == '"' ? std::string("\"\"") : std::string(1, c);
    EXPECT_EQ(line, it->first + ",\"" + q + "\",,");
    ++it;
  }
  EXPECT_EQ(it, s.end());
}

TEST(ExportCommand, UnwritableOutput) {
  auto o = Wb({"export", "--repo", F().repo(), "--latest", "-o",
               "/nonexistent-dir/x/out.jsonl"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("cannot write"));
}

// ---------------------------------------------------------------------------
// import (+ export of bytes that are not UTF-8)

TEST(ImportCommand, ImportsAndExportsBytesAsBase64) {
  testing::TempDir dir;
  std::string file = dir.path() + "/in.jsonl";
  std::ofstream(file)
      << R"({"txid": 1, "time": "2026-11-25T10:00:00Z", "ops": [{"op": "put", "key": "a", "value": "x"}, {"op": "put", "key_b64": "/wA=", "value_b64": "gA=="}]})"
      << "\n"
      << R"({"restore_point": "rp", "time": "2026-11-25T10:00:01Z"})"
      << "\n"
      << R"({"txid": 2, "time": "2026-11-25T10:00:02Z", "ops": [{"op": "delete", "key": "a"}, {"op": "put", "key": "b", "value": "y"}]})"
      << "\n";
  std::string repo = dir.path() + "/repo";
  auto o = Wb({"import", "--repo", repo, "--format", "jsonl", file, "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  EXPECT_EQ(j["transactions"], 2);
  EXPECT_EQ(j["restore_points"], 1);
  EXPECT_EQ(j["last_lsn"], 3);
  auto e = Wb({"export", "--repo", repo, "--restore-point", "rp"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(e.out,
            "{\"key\":\"a\",\"value\":\"x\"}\n"
            "{\"key_b64\":\"/wA=\",\"value_b64\":\"gA==\"}\n");
  auto latest = Wb({"export", "--repo", repo, "--latest"});
  EXPECT_EQ(latest.out,
            "{\"key\":\"b\",\"value\":\"y\"}\n"
            "{\"key_b64\":\"/wA=\",\"value_b64\":\"gA==\"}\n");
}

// A malformed line N: exit 2, the message names line N, and the repository
// holds exactly lines 1..N-1.
void ExpectImportStopsAtLine3(const std::string& bad,
                              const std::string& reason) {
  testing::TempDir dir;
  std::string file = dir.path() + "/in.jsonl";
  std::ofstream(file)
      << R"({"time": "2026-11-25T10:00:00Z", "ops": [{"op": "put", "key": "a", "value": "1"}]})"
      << "\n"
      << R"({"time": "2026-11-25T10:00:05Z", "ops": [{"op": "put", "key": "b", "value": "2"}]})"
      << "\n"
      << bad << "\n"
      << R"({"time": "2026-11-25T11:00:00Z", "ops": [{"op": "put", "key": "c", "value": "3"}]})"
      << "\n";
  std::string repo = dir.path() + "/repo";
  auto o = Wb({"import", "--repo", repo, file});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("wayback import: error: line 3: "));
  EXPECT_THAT(o.err, HasSubstr(reason));
  EXPECT_THAT(o.err, HasSubstr("lines 1-2 (LSN 1-2)"));
  auto e = Wb({"export", "--repo", repo, "--latest"});
  ASSERT_EQ(e.code, 0) << e.err;
  EXPECT_EQ(
      e.out,
      "{\"key\":\"a\",\"value\":\"1\"}\n{\"key\":\"b\",\"value\":\"2\"}\n");
}

TEST(ImportCommand, BadJson) {
  ExpectImportStopsAtLine3("{\"time\": ", "bad JSON");
}
TEST(ImportCommand, MissingTime) {
  ExpectImportStopsAtLine3(R"({"ops": []})", "missing \"time\"");
}
TEST(ImportCommand, MissingOps) {
  ExpectImportStopsAtLine3(R"({"time": "2026-11-25T10:30:00Z"})",
                           "missing \"ops\"");
}
TEST(ImportCommand, MissingKey) {
  ExpectImportStopsAtLine3(
      R"({"time": "2026-11-25T10:30:00Z", "ops": [{"op": "put", "value": "v"}]})",
      "missing \"key\"");
}
TEST(ImportCommand, DecreasingTime) {
  ExpectImportStopsAtLine3(R"({"time": "2026-11-25T10:00:01Z", "ops": []})",
                           "times must not decrease");
}
TEST(ImportCommand, InvalidBase64) {
  ExpectImportStopsAtLine3(
      R"({"time": "2026-11-25T10:30:00Z", "ops": [{"op": "delete", "key_b64": "ab"}]})",
      "invalid base64");
}
TEST(ImportCommand, TimeWithoutOffset) {
  ExpectImportStopsAtLine3(R"({"time": "2026-11-25T10:30:00", "ops": []})",
                           "accepted forms");
}

TEST(ImportCommand, MissingInputFile) {
  testing::TempDir dir;
  auto o =
      Wb({"import", "--repo", dir.path() + "/r", dir.path() + "/nope.jsonl"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("cannot open input file"));
}

TEST(ImportCommand, UnknownFormat) {
  testing::TempDir dir;
  auto o = Wb({"import", "--repo", dir.path() + "/r", "--format", "xml", "f"});
  EXPECT_EQ(o.code, 2);
}

// ---------------------------------------------------------------------------
// verify

TEST(VerifyCommand, CleanRepository) {
  auto o = Wb({"verify", "--repo", F().repo()});
  EXPECT_EQ(o.code, 0) << o.out << o.err;
  EXPECT_THAT(o.out, HasSubstr("No problems found"));
}

TEST(VerifyCommand, ListsADamagedSegment) {
  testing::TempDir dir;
  fs::copy(F().repo(), dir.path(), fs::copy_options::recursive);
  std::vector<std::string> segs;
  for (auto& e : fs::directory_iterator(dir.path() + "/log")) {
    if (e.path().extension() == ".seg") segs.push_back(e.path().string());
  }
  std::sort(segs.begin(), segs.end());
  ASSERT_FALSE(segs.empty());
  {
    std::fstream f(segs[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(200);
    char c;
    f.get(c);
    f.seekp(200);
    f.put(static_cast<char>(c ^ 0x40));
  }
  auto o = Wb({"verify", "--repo", dir.path(), "--json"});
  EXPECT_EQ(o.code, 1) << o.out << o.err;
  json j = Json(o);
  EXPECT_FALSE(j["ok"].get<bool>());
  ASSERT_GE(j["problems"].size(), 1u);
  EXPECT_EQ(j["problems"][0]["object"],
            "log/" + fs::path(segs[0]).filename().string());
}

// ---------------------------------------------------------------------------
// log

TEST(LogCommand, WhoDeletedAKeyAndWhen) {
  // The first key deleted in the workload; the model lists its mutations.
  std::string key;
  for (const auto& e : F().events()) {
    for (const auto& m : e.txn.mutations) {
      if (key.empty() && m.type == MutationType::kDelete) key = m.key;
    }
  }
  ASSERT_FALSE(key.empty());
  std::string want_all, want_deletes;
  for (size_t i = 0; i < F().events().size(); ++i) {
    const auto& e = F().events()[i];
    for (const auto& m : e.txn.mutations) {
      if (m.key != key) continue;
      bool put = m.type == MutationType::kPut;
      json j = {{"lsn", i + 1},
                {"commit_time", FormatCommitTime(e.commit_time)},
                {"op", put ? "put" : "delete"},
                {"txid", *e.txn.txid},
                {"key", key}};
      if (put) j["value"] = m.value;
      want_all += j.dump() + "\n";
      if (!put) want_deletes += j.dump() + "\n";
    }
  }
  auto all = Wb({"log", "--repo", F().repo(), "--key", key, "--json"});
  ASSERT_EQ(all.code, 0) << all.err;
  EXPECT_EQ(all.out, want_all);
  auto deletes = Wb(
      {"log", "--repo", F().repo(), "--key", key, "--op", "delete", "--json"});
  EXPECT_EQ(deletes.out, want_deletes);
  auto text = Wb({"log", "--repo", F().repo(), "--key", key, "--op", "delete"});
  EXPECT_THAT(text.out, HasSubstr("delete " + key));
  EXPECT_THAT(text.err, HasSubstr("1 matching mutation"));
}

TEST(LogCommand, PrefixAndTimeRange) {
  CommitTime from = F().Hour(9), until = F().Hour(10);
  std::string prefix = "patient/000000001/";
  uint64_t want = 0;
  for (const auto& e : F().events()) {
    if (e.commit_time < from || e.commit_time > until) continue;
    for (const auto& m : e.txn.mutations) want += m.key.starts_with(prefix);
  }
  auto o = Wb({"log", "--repo", F().repo(), "--prefix", prefix, "--from",
               FormatCommitTime(from), "--until", FormatCommitTime(until),
               "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  EXPECT_EQ(static_cast<uint64_t>(std::count(o.out.begin(), o.out.end(), '\n')),
            want);
  EXPECT_GT(want, 0u);
}

TEST(LogCommand, UntilBeforeFrom) {
  auto o = Wb({"log", "--repo", F().repo(), "--from", "2026-11-25T10:00:00Z",
               "--until", "2026-11-25T09:00:00Z"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--until is before --from"));
}

// ---------------------------------------------------------------------------
// diff

TEST(DiffCommand, AddedChangedRemovedEqualTheModel) {
  Lsn a = F().LastLsnAt(F().Hour(9)), b = F().LastLsnAt(F().Hour(15));
  std::string prefix = "patient/00000000";  // Patients 1-9.
  State sa = F().StateAtLsn(a), sb = F().StateAtLsn(b);
  std::vector<std::string> added, changed, removed;
  for (auto& [k, v] : sb) {
    if (!k.starts_with(prefix)) continue;
    auto it = sa.find(k);
    if (it == sa.end()) {
      added.push_back(k);
    } else if (it->second != v) {
      changed.push_back(k);
    }
  }
  for (auto& [k, v] : sa) {
    if (k.starts_with(prefix) && !sb.count(k)) removed.push_back(k);
  }
  auto o = Wb({"diff", "--repo", F().repo(), "--from", absl::StrCat("lsn:", a),
               "--until", FormatCommitTime(F().Hour(15)), "--prefix", prefix,
               "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  auto keys = [](const json& arr) {
    std::vector<std::string> k;
    for (auto& x : arr) k.push_back(x["key"]);
    return k;
  };
  EXPECT_EQ(keys(j["added"]), added);
  EXPECT_EQ(keys(j["changed"]), changed);
  EXPECT_EQ(keys(j["removed"]), removed);
  EXPECT_GT(added.size() + changed.size() + removed.size(), 0u);
  for (auto& x : j["removed"]) EXPECT_EQ(x["old_value"], sa[x["key"]]);
  for (auto& x : j["changed"]) {
    EXPECT_EQ(x["old_value"], sa[x["key"]]);
    EXPECT_EQ(x["new_value"], sb[x["key"]]);
  }
}

TEST(DiffCommand, BadTargetSpec) {
  auto o = Wb({"diff", "--repo", F().repo(), "--from", "yesterday", "--until",
               "latest"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--from"));
  EXPECT_THAT(o.err, HasSubstr("restore-point:NAME"));
}

// ---------------------------------------------------------------------------
// Bad input of every kind: a clear message on stderr and exit 2.

void ExpectUsageError(std::vector<std::string> args,
                      const std::string& message) {
  auto o = Wb(args);
  EXPECT_EQ(o.code, 2) << args[0] << " " << o.err;
  EXPECT_THAT(o.err, HasSubstr(message)) << args[0];
  EXPECT_THAT(o.err, HasSubstr("error")) << args[0];
  EXPECT_EQ(o.out, "") << args[0];
}

TEST(BadInput, UnknownFlag) {
  ExpectUsageError({"restore", "--repo", F().repo(), "--latest", "--into",
                    "memory", "--frobnicate"},
                   "--frobnicate");
}
TEST(BadInput, UnknownCommand) {
  ExpectUsageError({"frobnicate"}, "frobnicate");
}
TEST(BadInput, NoCommand) { ExpectUsageError({}, "subcommand"); }
TEST(BadInput, TwoTargets) {
  ExpectUsageError({"restore", "--repo", F().repo(), "--to",
                    "2026-11-24T10:00:00Z", "--lsn", "5", "--into", "memory"},
                   "two or more recovery targets given (--to, --lsn)");
}
TEST(BadInput, NoTarget) {
  ExpectUsageError({"plan", "--repo", F().repo()}, "no recovery target given");
}
TEST(BadInput, ExclusiveWithLatest) {
  ExpectUsageError({"plan", "--repo", F().repo(), "--latest", "--exclusive"},
                   "--exclusive applies only");
}
TEST(BadInput, TimeWithoutOffset) {
  auto o = Wb({"plan", "--repo", F().repo(), "--to", "2026-11-24T10:00:00"});
  EXPECT_EQ(o.code, 2);
  // The message shows both accepted forms.
  EXPECT_THAT(o.err, HasSubstr("2026-11-25T11:42:00+01:00"));
  EXPECT_THAT(o.err, HasSubstr("@<unix-nanoseconds>"));
}
TEST(BadInput, NonNumericLsn) {
  ExpectUsageError({"plan", "--repo", F().repo(), "--lsn", "ten"}, "--lsn");
}
TEST(BadInput, MissingRepoFlag) {
  ExpectUsageError({"info"}, "--repo is required");
}
TEST(BadInput, NonexistentRepository) {
  ExpectUsageError({"info", "--repo", "/nonexistent/wayback-repo"},
                   "the directory does not exist");
}
TEST(BadInput, NonRepositoryDirectory) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/notes.txt") << "hello";
  ExpectUsageError(
      {"restore", "--repo", dir.path(), "--latest", "--into", "memory"},
      "is not a Wayback repository");
}
TEST(BadInput, RepositoryIsAFile) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/file") << "x";
  ExpectUsageError({"verify", "--repo", dir.path() + "/file"},
                   "is not a directory");
}
TEST(BadInput, UnwritableTargetPathUnderAFile) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/file") << "x";
  ExpectUsageError({"restore", "--repo", F().repo(), "--latest", "--into",
                    "rocksdb:" + dir.path() + "/file/db"},
                   "is not a directory");
}
TEST(BadInput, UnwritableTargetPathMissingParent) {
  ExpectUsageError({"restore", "--repo", F().repo(), "--latest", "--into",
                    "rocksdb:/nonexistent-parent/db"},
                   "does not exist");
}
TEST(BadInput, TargetPathIsAFile) {
  testing::TempDir dir;
  std::ofstream(dir.path() + "/file") << "x";
  ExpectUsageError({"restore", "--repo", F().repo(), "--latest", "--into",
                    "rocksdb:" + dir.path() + "/file"},
                   "it is a file");
}
TEST(BadInput, BadIntoScheme) {
  ExpectUsageError(
      {"restore", "--repo", F().repo(), "--latest", "--into", "postgres:x"},
      "expected rocksdb:PATH or memory");
}
TEST(BadInput, MissingInto) {
  ExpectUsageError({"restore", "--repo", F().repo(), "--latest"},
                   "--into is required");
}
TEST(BadInput, BadOpFilter) {
  ExpectUsageError({"log", "--repo", F().repo(), "--op", "merge"}, "--op");
}
TEST(BadInput, KeyAndPrefixTogether) {
  ExpectUsageError({"log", "--repo", F().repo(), "--key", "a", "--prefix", "b"},
                   "excludes");
}

TEST(Help, EveryCommandExplainsItselfWithExamples) {
  auto top = Wb({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_THAT(top.out, HasSubstr("Examples:"));
  for (const char* cmd : {"gen", "import", "info", "plan", "restore", "export",
                          "verify", "log", "diff", "check", "drill"}) {
    EXPECT_THAT(top.out, HasSubstr(cmd));
    auto o = Wb({cmd, "--help"});
    EXPECT_EQ(o.code, 0) << cmd;
    EXPECT_THAT(o.out, HasSubstr("Examples:")) << cmd;
    EXPECT_THAT(o.out, HasSubstr(std::string("wayback ") + cmd)) << cmd;
    EXPECT_THAT(o.out, HasSubstr("--repo")) << cmd;
  }
}

// ---------------------------------------------------------------------------
// bench: flags, the shape of the JSON, bad input. The harnesses' figures are
// checked against models in tests/bench; here the command line is.

TEST(BenchCommand, ReplayJsonHasEveryFieldAndChecksDigests) {
  testing::TempDir dir;
  auto o = Wb({"bench", "replay", "--mutations", "20000", "--threads", "2",
               "--repetitions", "1", "--no-rocksdb", "--workload", "appends",
               "--scratch", dir.path(), "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  EXPECT_EQ(j["workload"], "appends");
  EXPECT_EQ(j["threads"], 2);
  EXPECT_GE(j["mutations"].get<uint64_t>(), 20000u);
  for (const char* field :
       {"transactions", "raw_bytes", "stored_bytes", "blocks", "live_keys",
        "wayback_into_memory", "wayback_into_memory_1t", "raw_apply_ceiling",
        "memory_vs_raw_apply", "expected_digest", "digests_checked",
        "peak_rss_bytes", "seconds", "cpu_seconds", "seconds_range"}) {
    EXPECT_TRUE(j.contains(field)) << field;
  }
  EXPECT_GT(j["wayback_into_memory"].get<double>(), 0);
  EXPECT_GT(j["digests_checked"].get<uint64_t>(), 0u);
  // Without RocksDB there is no RocksDB figure to invent.
  EXPECT_EQ(j["rocksdb_speedup"].get<double>(), 0);
}

TEST(BenchCommand, ReplayRefusesBadFlags) {
  auto o = Wb({"bench", "replay", "--workload", "bogus"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--workload"));
  o = Wb({"bench", "replay", "--threads", "2000"});  // 0 means every core.
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--threads"));
  o = Wb({"bench", "replay", "--mutations", "lots"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--mutations"));
}

TEST(BenchCommand, RtoCountsTheRepositorysSnapshotsAndJudgesTheObjective) {
  auto o = Wb({"bench", "rto", "--repo", F().repo(), "--rto", "4h", "--into",
               "memory", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  auto storage = OpenStorage(F().repo());
  ASSERT_TRUE(storage.ok());
  auto catalog = Catalog::Open(storage->get());
  ASSERT_TRUE(catalog.ok());
  EXPECT_EQ(j["snapshots"], (*catalog)->snapshots().size());
  EXPECT_EQ(j["segments"], (*catalog)->segments().size());
  EXPECT_EQ(j["rto_seconds"], 4 * 3600);
  EXPECT_EQ(j["pass"], j["worst_case_rto_seconds"].get<double>() <= 4 * 3600);
  EXPECT_NEAR(j["margin_seconds"].get<double>(),
              4 * 3600 - j["worst_case_rto_seconds"].get<double>(), 1e-6);
}

TEST(BenchCommand, RtoRefusesBadInput) {
  auto o = Wb({"bench", "rto", "--rto", "4h"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--repo"));
  o = Wb({"bench", "rto", "--repo", F().repo(), "--rto", "soon"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--rto"));
  o = Wb({"bench", "rto", "--repo", F().repo(), "--rto", "0s"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("positive"));
  o = Wb({"bench", "rto", "--repo", "/nonexistent/wayback-repo"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("does not exist"));
}

TEST(BenchCommand, RpoMirrorsThroughTheVerifiedMirrorAndReportsEveryField) {
  testing::TempDir dir;
  const std::string repo = dir.path() + "/r";
  auto o =
      Wb({"bench", "rpo", "--repo", repo, "--rate", "400", "--duration", "1",
          "--clients", "2", "--segment-age", "200ms", "--rpo", "1d", "--json"});
  ASSERT_EQ(o.code, 0) << o.err;
  json j = Json(o);
  EXPECT_EQ(j["transactions"], 400);
  EXPECT_GE(j["segments_mirrored"].get<uint64_t>(), 1u);
  EXPECT_EQ(j["rpo_seconds"], 86400);
  EXPECT_EQ(j["pass"], true);
  for (const char* field :
       {"commit_latency_p50_us", "commit_latency_p99_us", "archive_lag_p50_ms",
        "archive_lag_p99_ms", "archive_lag_max_ms", "bytes_mirrored"}) {
    EXPECT_TRUE(j.contains(field)) << field;
  }
  // The mirror is a verified mirror of the primary: same identity, and the
  // mirror command finds nothing left to copy but the live segment's data.
  auto primary = Repository::Open(repo);
  auto mirror = Repository::Open(repo + "-mirror");
  ASSERT_TRUE(primary.ok()) << primary.status();
  ASSERT_TRUE(mirror.ok()) << mirror.status();
  ASSERT_TRUE((*primary)->identity().has_value());
  EXPECT_EQ((*primary)->identity(), (*mirror)->identity());
  auto again =
      Wb({"mirror", "--from", repo, "--to", repo + "-mirror", "--json"});
  ASSERT_EQ(again.code, 0) << again.err;
  EXPECT_EQ(Json(again)["mirrors"][0]["copied_objects"], 0);
}

TEST(BenchCommand, RpoRefusesBadInputAndAnExistingRepository) {
  testing::TempDir dir;
  auto o =
      Wb({"bench", "rpo", "--repo", dir.path() + "/r", "--segment-age", "-1s"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--segment-age"));
  o = Wb({"bench", "rpo", "--repo", dir.path() + "/r", "--rpo", "never"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("--rpo"));
  o = Wb({"bench", "rpo", "--repo", F().repo(), "--rate", "10", "--duration",
          "1"});
  EXPECT_EQ(o.code, 2);
  EXPECT_THAT(o.err, HasSubstr("already holds"));
}

}  // namespace
}  // namespace wayback
