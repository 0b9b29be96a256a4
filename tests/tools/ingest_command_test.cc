// Copyright 2026 The Wayback Authors.
//
// `wayback ingest` and `wayback mirror --follow` as real processes: input
// from files, pipes and followed files (growth, rotation, truncation, a crash
// in between), acknowledgements, the status file, signals, bad lines and
// refusals. Every log is compared record by record with the events written.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testutil/child_process.h"
#include "tests/testutil/testutil.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/repository.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/storage.h"

#ifndef WAYBACK_BINARY
#error "WAYBACK_BINARY must name the wayback executable"
#endif

namespace wayback {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using ::testing::HasSubstr;

constexpr CommitTime kT0 = 1767225600000000000;

std::string Line(uint64_t pos, const std::string& value = "v") {
  return json{{"pos", pos},
              {"txid", pos + 1000},
              {"time", absl::StrCat("@", kT0 + static_cast<CommitTime>(pos))},
              {"ops",
               {{{"op", "put"},
                 {"key", absl::StrCat("k", pos % 17)},
                 {"value", absl::StrCat(value, pos)}}}}}
             .dump() +
         "\n";
}

std::string Lines(uint64_t from, uint64_t to, const std::string& value = "v") {
  std::string s;
  for (uint64_t p = from; p <= to; ++p) s += Line(p, value);
  return s;
}

void Append(const std::string& path, const std::string& text) {
  std::ofstream(path, std::ios::app) << text;
}

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Outcome {
  int exit = -1;
  std::string out;  // stdout and stderr.
};

struct Proc {
  pid_t pid = -1;
  int in = -1;
};

// Starts the wayback binary; its output replaces `log`.
Proc Start(const std::vector<std::string>& args, const std::string& log,
           bool pipe_in = false) {
  std::remove(log.c_str());
  testing::ChildProcess c =
      testing::StartChild(WAYBACK_BINARY, args, log, pipe_in);
  return {c.pid, c.stdin_fd};
}

int Wait(const Proc& p) { return testing::WaitChild(p.pid); }

// Runs the binary to completion with `stdin_text` on its standard input.
Outcome Wayback(const std::vector<std::string>& args, const std::string& log,
                const std::string& stdin_text = "") {
  Proc p = Start(args, log, true);
  if (!stdin_text.empty()) {
    EXPECT_EQ(write(p.in, stdin_text.data(), stdin_text.size()),
              static_cast<ssize_t>(stdin_text.size()));
  }
  close(p.in);
  Outcome r;
  r.exit = Wait(p);
  r.out = Read(log);
  return r;
}

// The source positions of the log's records, in LSN order.
std::vector<uint64_t> LogPositions(const std::string& repo) {
  std::vector<uint64_t> out;
  auto storage = OpenStorage(repo, false);
  EXPECT_TRUE(storage.ok()) << storage.status();
  if (!storage.ok()) return out;
  auto r = LogReader::Open(storage->get(), {});
  EXPECT_TRUE(r.ok()) << r.status();
  if (!r.ok()) return out;
  while (true) {
    auto rec = (*r)->Next();
    EXPECT_TRUE(rec.ok()) << rec.status();
    if (!rec.ok() || *rec == nullptr) break;
    out.push_back((*rec)->source_position.value_or(0));
    // The content is the line's.
    Transaction t = (*rec)->ToTransaction();
    const uint64_t p = out.back();
    EXPECT_EQ(t.txid, p + 1000);
    EXPECT_EQ((*rec)->commit_time, kT0 + static_cast<CommitTime>(p));
  }
  return out;
}

std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t p = from; p <= to; ++p) v.push_back(p);
  return v;
}

// The last complete acknowledgement line's source position (0 if none).
uint64_t LastAck(const std::string& path) {
  const std::string text = Read(path);
  uint64_t last = 0;
  size_t start = 0, nl;
  while ((nl = text.find('\n', start)) != std::string::npos) {
    json j = json::parse(text.substr(start, nl - start));
    last = j["source_position"].get<uint64_t>();
    EXPECT_EQ(j["lsn"].get<uint64_t>(), last);  // One event per position.
    start = nl + 1;
  }
  return last;
}

bool WaitFor(const std::function<bool()>& done, int seconds = 20) {
  const auto end =
      std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

class IngestCommandTest : public ::testing::Test {
 protected:
  std::string P(const std::string& name) const {
    return dir_.path() + "/" + name;
  }
  testing::TempDir dir_;
};

TEST_F(IngestCommandTest, IngestsAFileAcknowledgesAndResumesExactlyOnce) {
  Append(P("in.jsonl"), Lines(1, 100));
  Outcome r = Wayback({"ingest", "--repo", P("repo"), "--create", "--ack",
                       P("acks"), P("in.jsonl")},
                      P("log"));
  ASSERT_EQ(r.exit, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("Ingested 100 events"));
  EXPECT_EQ(LastAck(P("acks")), 100u);
  EXPECT_EQ(LogPositions(P("repo")), Range(1, 100));
  // The producer replays from 61 and goes on to 150: 40 recognised, 50 new.
  Outcome again = Wayback({"ingest", "--repo", P("repo"), "--ack", P("acks"),
                           "--source", "jsonl:" + P("in.jsonl"), "--json", "-"},
                          P("log2"), Lines(61, 150));
  ASSERT_EQ(again.exit, 0) << again.out;
  EXPECT_THAT(again.out, HasSubstr("\"duplicates\": 40"));
  EXPECT_THAT(again.out, HasSubstr("\"appended\": 50"));
  EXPECT_EQ(LogPositions(P("repo")), Range(1, 150));
  // The first line of the second run acknowledged the archived position.
  EXPECT_THAT(Read(P("acks")),
              HasSubstr("{\"lsn\":100,\"source_position\":100,\"txid\":1100}\n"
                        "{\"lsn\":150"));
}

TEST_F(IngestCommandTest, AResentLineThatDiffersStopsWithoutAppending) {
  ASSERT_EQ(Wayback({"ingest", "--repo", P("repo"), "--create", "-"}, P("log"),
                    Lines(1, 10))
                .exit,
            0);
  Outcome r = Wayback({"ingest", "--repo", P("repo"), "-"}, P("log2"),
                      Lines(8, 8, "CHANGED") + Lines(11, 12));
  EXPECT_EQ(r.exit, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("line 1: the event at source position 8 was "
                               "already archived at LSN 8"));
  EXPECT_EQ(LogPositions(P("repo")), Range(1, 10));
}

TEST_F(IngestCommandTest, ABadLineStopsWithItsNumberAndKeepsEverythingBefore) {
  std::string in = Lines(1, 3) +
                   "{\"pos\": 4, \"time\": \"@5\", \"ops\": [}\n" + Lines(5, 6);
  Outcome r = Wayback(
      {"ingest", "--repo", P("repo"), "--create", "--ack", P("acks"), "-"},
      P("log"), in);
  EXPECT_EQ(r.exit, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("line 4: bad JSON"));
  EXPECT_THAT(r.out, HasSubstr("holds every event before line 4"));
  EXPECT_EQ(LogPositions(P("repo")), Range(1, 3));
  EXPECT_EQ(LastAck(P("acks")), 3u);
  // No position at all.
  Outcome n = Wayback({"ingest", "--repo", P("repo"), "-"}, P("log2"),
                      "{\"time\": \"@5\", \"ops\": []}\n");
  EXPECT_EQ(n.exit, 2);
  EXPECT_THAT(n.out, HasSubstr("line 1: no \"pos\" and no \"txid\""));
  // Positions going backwards within the input.
  Outcome b = Wayback({"ingest", "--repo", P("repo"), "-"}, P("log3"),
                      Line(9) + Line(8));
  EXPECT_EQ(b.exit, 2);
  EXPECT_THAT(b.out, HasSubstr("line 2: source position 8 does not follow"));
  EXPECT_EQ(LogPositions(P("repo")), (std::vector<uint64_t>{1, 2, 3, 9}));
}

TEST_F(IngestCommandTest, RepositoryRules) {
  Outcome missing =
      Wayback({"ingest", "--repo", P("nope"), "-"}, P("log"), Line(1));
  EXPECT_EQ(missing.exit, 2);
  EXPECT_THAT(missing.out, HasSubstr("--create"));
  EXPECT_FALSE(fs::exists(P("nope")));
  ASSERT_EQ(
      Wayback({"ingest", "--repo", P("repo"), "--create", "--source", "a", "-"},
              P("log"), Line(1))
          .exit,
      0);
  Outcome other =
      Wayback({"ingest", "--repo", P("repo"), "--create", "--source", "b", "-"},
              P("log"), Line(2));
  EXPECT_EQ(other.exit, 2);
  EXPECT_THAT(other.out, HasSubstr("belongs to source \"a\", not \"b\""));
  Outcome s3 =
      Wayback({"ingest", "--repo", "s3://bucket/x", "-"}, P("log"), Line(1));
  EXPECT_EQ(s3.exit, 2);
  EXPECT_THAT(s3.out, HasSubstr("not a local directory"));
  EXPECT_EQ(LogPositions(P("repo")), Range(1, 1));
}

TEST_F(IngestCommandTest, SigtermMakesEverythingReadDurableAndExitsZero) {
  Proc p = Start({"ingest", "--repo", P("repo"), "--create", "--ack", P("acks"),
                  "--status-file", P("status.json"), "-"},
                 P("log"), true);
  const std::string in = Lines(1, 50);
  ASSERT_EQ(write(p.in, in.data(), in.size()), static_cast<ssize_t>(in.size()));
  ASSERT_TRUE(WaitFor([&] { return LastAck(P("acks")) == 50; }))
      << Read(P("log"));
  kill(p.pid, SIGTERM);
  EXPECT_EQ(Wait(p), 0) << Read(P("log"));
  close(p.in);
  EXPECT_EQ(LogPositions(P("repo")), Range(1, 50));
  json status = json::parse(Read(P("status.json")));
  EXPECT_EQ(status["running"], false);
  EXPECT_EQ(status["last_durable"]["lsn"], 50);
  EXPECT_EQ(status["appended"], 50);
  EXPECT_TRUE(status["heartbeat"].is_string());
  // The same heartbeat is in the repository, for `wayback check` elsewhere.
  auto repo = Repository::Open(P("repo"));
  ASSERT_TRUE(repo.ok()) << repo.status();
  auto hb = ReadHeartbeat(**repo);
  ASSERT_TRUE(hb.ok()) << hb.status();
  ASSERT_TRUE(hb->has_value());
  EXPECT_EQ((*hb)->writer, "ingest");
  EXPECT_EQ((*hb)->pid, p.pid);
  EXPECT_EQ((*hb)->last_durable_lsn, 50u);
  EXPECT_EQ(absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", (*hb)->time,
                             absl::UTCTimeZone()),
            status["heartbeat"].get<std::string>());
  // The live segment was sealed on the way out.
  bool live = false;
  for (const auto& e : fs::directory_iterator(P("repo") + "/log")) {
    live = live || e.path().extension() == ".live";
  }
  EXPECT_FALSE(live);
}

TEST_F(IngestCommandTest, FollowSurvivesRotationTruncationAndACrash) {
  const std::string in = P("changes.jsonl");
  Append(in, Lines(1, 20));
  auto start = [&] {
    return Start({"ingest", "--repo", P("repo"), "--create", "--follow",
                  "--ack", P("acks"), in},
                 P("log"));
  };
  Proc p = start();
  ASSERT_TRUE(WaitFor([&] { return LastAck(P("acks")) == 20; }))
      << Read(P("log"));
  Append(in, Lines(21, 30));
  ASSERT_TRUE(WaitFor([&] { return LastAck(P("acks")) == 30; }))
      << Read(P("log"));
  // Rotation: renamed away, a late write to the old file, then a new file.
  fs::rename(in, in + ".1");
  Append(in + ".1", Lines(31, 35));
  Append(in, Lines(36, 40));
  ASSERT_TRUE(WaitFor([&] { return LastAck(P("acks")) == 40; }))
      << Read(P("log"));
  // A crash, then a rotation while the ingester is down: the restart finds
  // the rest of the old file by its inode, then reads the new one.
  kill(p.pid, SIGKILL);
  Wait(p);
  Append(in, Lines(41, 45));
  fs::rename(in, in + ".2");
  Append(in, Lines(46, 50));
  p = start();
  ASSERT_TRUE(WaitFor([&] { return LastAck(P("acks")) == 50; }))
      << Read(P("log"));
  // Truncation in place (copytruncate): read again from the start; the
  // lines already archived are recognised by position.
  { std::ofstream(in, std::ios::trunc) << Lines(46, 55); }
  ASSERT_TRUE(WaitFor([&] { return LastAck(P("acks")) == 55; }))
      << Read(P("log"));
  kill(p.pid, SIGTERM);
  EXPECT_EQ(Wait(p), 0) << Read(P("log"));
  EXPECT_EQ(LogPositions(P("repo")), Range(1, 55));
  EXPECT_THAT(Read(P("log")), HasSubstr("was rotated to"));
}

TEST_F(IngestCommandTest, MirrorsWithinTheSegmentAgeAndReportsLag) {
  Proc p = Start({"ingest", "--repo", P("repo"), "--create", "--ack", P("acks"),
                  "--mirror", P("mirror"), "--max-segment-age", "100ms",
                  "--status-file", P("status.json"), "-"},
                 P("log"), true);
  const std::string in = Lines(1, 200);
  ASSERT_EQ(write(p.in, in.data(), in.size()), static_cast<ssize_t>(in.size()));
  ASSERT_TRUE(WaitFor([&] { return LastAck(P("acks")) == 200; }));
  // The mirror catches up without the ingester stopping.
  ASSERT_TRUE(WaitFor([&] {
    std::string s = Read(P("status.json"));
    if (s.empty()) return false;
    json j = json::parse(s, nullptr, false);
    return !j.is_discarded() && j["mirrors"].size() == 1 &&
           j["mirrors"][0]["mirrored_lsn"] == 200 &&
           j["mirrors"][0]["lag_seconds"] == 0.0;
  })) << Read(P("status.json"));
  kill(p.pid, SIGTERM);
  EXPECT_EQ(Wait(p), 0);
  close(p.in);
  EXPECT_EQ(LogPositions(P("mirror")), Range(1, 200));
}

TEST_F(IngestCommandTest, MirrorFollowShipsUntilSigterm) {
  ASSERT_EQ(Wayback({"ingest", "--repo", P("repo"), "--create", "-"}, P("log"),
                    Lines(1, 30))
                .exit,
            0);
  Proc m = Start({"mirror", "--from", P("repo"), "--to", P("m"), "--follow",
                  "--interval", "50ms", "--status-file", P("mstatus.json")},
                 P("mlog"));
  ASSERT_TRUE(WaitFor([&] {
    return fs::exists(P("m") + "/log") && LogPositions(P("m")).size() == 30;
  })) << Read(P("mlog"));
  ASSERT_EQ(
      Wayback({"ingest", "--repo", P("repo"), "-"}, P("log"), Lines(31, 40))
          .exit,
      0);
  ASSERT_TRUE(WaitFor([&] { return LogPositions(P("m")).size() == 40; }));
  ASSERT_TRUE(WaitFor([&] { return fs::exists(P("mstatus.json")); }));
  kill(m.pid, SIGTERM);
  EXPECT_EQ(Wait(m), 0) << Read(P("mlog"));
  EXPECT_THAT(Read(P("mlog")), HasSubstr("lag none"));
  EXPECT_EQ(LogPositions(P("m")), Range(1, 40));
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

// A refused line is never skipped: the follower's saved position stays
// before it, so every restart stops at the same line until it is fixed.
TEST_F(IngestCommandTest, FollowNeverSkipsARefusedLine) {
  const std::string in = P("changes.jsonl");
  const std::string good = Lines(1, 5);
  Append(in,
         good + "{\"pos\": 6, \"time\": \"@1\", \"ops\": 3}\n" + Lines(7, 8));
  for (int run = 0; run < 2; ++run) {
    Proc p = Start({"ingest", "--repo", P("repo"), "--create", "--follow", in},
                   P("log"));
    EXPECT_EQ(Wait(p), 2) << Read(P("log"));
    EXPECT_THAT(Read(P("log")),
                HasSubstr(absl::StrCat("(", in, " byte ", good.size(),
                                       "): \"ops\" must be an array")));
    EXPECT_EQ(LogPositions(P("repo")), Range(1, 5));
  }
}

}  // namespace
}  // namespace wayback

namespace wayback {
namespace {

// --snapshot-every-tx: snapshots appear while ingestion goes on, each equal
// to a restore of the log at its LSN, and the status file reports them.
TEST_F(IngestCommandTest, BuildsSnapshotsInTheBackground) {
  Proc p = Start(
      {"ingest", "--repo", P("repo"), "--create", "--ack", P("acks"),
       "--snapshot-every-tx", "300", "--max-segment-age", "50ms",
       "--status-file", P("status.json"), "--status-interval", "50ms", "-"},
      P("log"), true);
  for (uint64_t from = 1; from <= 1500; from += 100) {
    const std::string in = Lines(from, from + 99);
    ASSERT_EQ(write(p.in, in.data(), in.size()),
              static_cast<ssize_t>(in.size()));
    ASSERT_TRUE(WaitFor([&] { return LastAck(P("acks")) == from + 99; }))
        << Read(P("log"));
  }
  ASSERT_TRUE(WaitFor([&] {
    std::string s = Read(P("status.json"));
    if (s.empty()) return false;
    json j = json::parse(s, nullptr, false);
    return !j.is_discarded() && j["snapshots"].is_object() &&
           j["snapshots"]["newest_lsn"].is_number() &&
           j["snapshots"]["newest_lsn"].get<uint64_t>() >= 1200;
  })) << Read(P("status.json"));
  kill(p.pid, SIGTERM);
  EXPECT_EQ(Wait(p), 0) << Read(P("log"));
  close(p.in);
  EXPECT_EQ(LogPositions(P("repo")), Range(1, 1500));
  json status = json::parse(Read(P("status.json")));
  EXPECT_EQ(status["snapshots"]["failed"], 0) << status.dump(2);
  EXPECT_TRUE(status["alarms"].empty()) << status.dump(2);
  // Each snapshot equals the state the log gives at its LSN.
  auto repo = Repository::Open(P("repo"));
  ASSERT_TRUE(repo.ok()) << repo.status();
  auto listed = (*repo)->ReadCatalog();
  ASSERT_TRUE(listed.ok()) << listed.status();
  for (const CatalogProblem& p : (*listed)->problems()) {
    ADD_FAILURE() << p.object << ": " << p.message;
  }
  ASSERT_GE((*listed)->snapshots().size(), 2u);
  size_t deltas = 0;
  for (const SnapshotInfo& o : (*listed)->snapshots()) {
    // A delta (the default kind is auto) with its whole chain.
    auto r = OpenSnapshotState(**repo, o.name);
    ASSERT_TRUE(r.ok()) << r.status();
    deltas += (*r)->info().kind == SnapshotKind::kDelta;
    auto catalog = (*repo)->ReadCatalog();
    ASSERT_TRUE(catalog.ok());
    // A restore from the log alone (empty state) to the snapshot's LSN.
    auto plan =
        PlanRecovery(**catalog, RecoveryTarget::AtLsn((*r)->info().lsn));
    ASSERT_TRUE(plan.ok()) << plan.status();
    plan->snapshot.reset();
    plan->first_lsn = 1;
    plan->segments.clear();
    for (const SegmentInfo& s : (*catalog)->segments()) {
      if (s.first_lsn <= plan->last_lsn) plan->segments.push_back(s);
    }
    auto target = NewMemoryTarget();
    auto restored = Restore((*repo)->storage(), *plan, target.get());
    ASSERT_TRUE(restored.ok()) << restored.status();
    EXPECT_EQ(*target->Digest(), (*r)->info().digest) << o.name;
    EXPECT_TRUE((*r)->Verify().ok()) << o.name;
  }
  // Auto: after the first full snapshot, deltas (the workload changes few
  // keys per period).
  EXPECT_GE(deltas, 1u);
}

}  // namespace
}  // namespace wayback
