// Copyright 2026 The Wayback Authors.
//
// GenerateRepository() and ImportJsonl() read back through the public
// LogReader and SnapshotReader and compared with an independent model: the
// generator's own events (or the JSONL lines) applied to a std::map.

#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "src/workload/workload.h"
#include "wayback/log.h"
#include "wayback/recovery.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

using ::testing::HasSubstr;

struct Record {
  RecordType type;
  CommitTime time;
  std::optional<uint64_t> txid;
  std::string restore_point;
  std::vector<Mutation> mutations;
};

std::vector<Record> ReadLog(Storage* storage) {
  std::vector<Record> out;
  auto reader = LogReader::Open(storage, {});
  EXPECT_TRUE(reader.ok()) << reader.status();
  if (!reader.ok()) return out;
  for (;;) {
    auto r = (*reader)->Next();
    EXPECT_TRUE(r.ok()) << r.status();
    if (!r.ok() || *r == nullptr) break;
    const LogRecord& rec = **r;
    EXPECT_EQ(rec.lsn, out.size() + 1);
    Record x{rec.type,
             rec.commit_time,
             rec.txid,
             std::string(rec.restore_point_name),
             {}};
    if (rec.type == RecordType::kTransaction) {
      x.mutations = rec.ToTransaction().mutations;
    }
    out.push_back(std::move(x));
  }
  return out;
}

using State = std::map<std::string, std::string>;
void Apply(const std::vector<Mutation>& ms, State* s) {
  for (const Mutation& m : ms) {
    if (m.type == MutationType::kPut) {
      (*s)[m.key] = m.value;
    } else {
      s->erase(m.key);
    }
  }
}
StateDigest DigestOf(const State& s) {
  StateDigest d;
  for (auto& [k, v] : s) d.Add(k, v);
  return d;
}

TEST(GenerateRepository, LogAndSnapshotsMatchTheGenerator) {
  auto storage = NewMemoryStorage();
  GenerateOptions g;
  g.workload.rate = 0.05;
  g.workload.duration = absl::Hours(30);
  g.workload.initial_patients = 50;
  g.snapshot_every = absl::Hours(8);
  auto result = GenerateRepository(storage.get(), g);
  ASSERT_TRUE(result.ok()) << result.status();

  std::vector<WorkloadEvent> events;
  WorkloadGenerator gen(g.workload);
  for (WorkloadEvent e; gen.Next(&e);) events.push_back(e);
  auto log = ReadLog(storage.get());
  ASSERT_EQ(log.size(), events.size());
  EXPECT_EQ(result->last_lsn, events.size());

  // The state after each LSN, for the snapshots.
  std::map<Lsn, StateDigest> digest_at;
  State state;
  uint64_t txns = 0;
  for (size_t i = 0; i < events.size(); ++i) {
    const WorkloadEvent& e = events[i];
    EXPECT_EQ(log[i].time, e.commit_time);
    if (e.kind == WorkloadEvent::Kind::kRestorePoint) {
      EXPECT_EQ(log[i].type, RecordType::kRestorePoint);
      EXPECT_EQ(log[i].restore_point, e.restore_point);
    } else {
      ++txns;
      EXPECT_EQ(log[i].type, RecordType::kTransaction);
      EXPECT_EQ(log[i].txid, e.txn.txid);
      EXPECT_EQ(log[i].mutations, e.txn.mutations);
      Apply(e.txn.mutations, &state);
    }
    digest_at[i + 1] = DigestOf(state);
  }
  EXPECT_EQ(result->transactions, txns);
  EXPECT_EQ(result->final_digest, DigestOf(state));

  // Snapshots every 8 simulated hours of 30: at 8 h, 16 h and 24 h.
  auto snaps = storage->List("snap/");
  ASSERT_TRUE(snaps.ok());
  ASSERT_EQ(snaps->size(), 3u);
  EXPECT_EQ(result->snapshots, 3u);
  for (const ObjectInfo& o : *snaps) {
    auto reader = SnapshotReader::Open(storage.get(), o.name);
    ASSERT_TRUE(reader.ok()) << reader.status();
    const SnapshotInfo& info = (*reader)->info();
    EXPECT_EQ(info.digest, digest_at[info.lsn]) << o.name;
    EXPECT_EQ(info.commit_time, events[info.lsn - 1].commit_time);
    // The last record before the boundary, and nothing after it.
    int64_t boundary = 0;
    for (int64_t b = 8; b <= 24; b += 8) {
      CommitTime t = g.workload.start_time + b * 3600LL * 1000000000LL;
      if (events[info.lsn - 1].commit_time < t) {
        boundary = t;
        break;
      }
    }
    ASSERT_NE(boundary, 0);
    ASSERT_LT(info.lsn, events.size());
    EXPECT_GE(events[info.lsn].commit_time, boundary);
  }
}

TEST(GenerateRepository, RefusesAnExistingRepository) {
  auto storage = NewMemoryStorage();
  GenerateOptions g;
  g.workload.max_transactions = 10;
  ASSERT_TRUE(GenerateRepository(storage.get(), g).ok());
  auto again = GenerateRepository(storage.get(), g);
  EXPECT_EQ(again.status().code(), absl::StatusCode::kFailedPrecondition);
}

const char kGood[] =
    R"({"txid": 1, "time": "2026-11-25T10:00:00Z", "ops": [{"op": "put", "key": "a", "value": "1"}, {"op": "put", "key": "b", "value": "2"}]})"
    "\n\n"
    R"({"restore_point": "before-batch", "time": "2026-11-25T10:00:01Z"})"
    "\n"
    R"({"time": "2026-11-25T10:00:01Z", "ops": [{"op": "delete", "key": "a"}, {"op": "put", "key_b64": "/w==", "value_b64": "AA=="}]})"
    "\r\n"
    R"({"txid": 9, "time": "2026-11-25T10:00:02Z", "ops": [{"op": "put", "key": "b", "value": "3"}]})"
    "\n";

TEST(ImportJsonl, ImportsEveryLineInOrder) {
  auto storage = NewMemoryStorage();
  std::istringstream in(kGood);
  ImportOptions o;
  o.snapshot_every = 2;
  auto r = ImportJsonl(storage.get(), in, o);
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->lines, 5u);
  EXPECT_EQ(r->transactions, 3u);
  EXPECT_EQ(r->restore_points, 1u);
  EXPECT_EQ(r->mutations, 5u);
  EXPECT_EQ(r->snapshots, 1u);
  EXPECT_EQ(r->last_lsn, 4u);
  auto log = ReadLog(storage.get());
  ASSERT_EQ(log.size(), 4u);
  EXPECT_EQ(log[0].txid, 1u);
  EXPECT_EQ(log[1].restore_point, "before-batch");
  EXPECT_FALSE(log[2].txid.has_value());
  EXPECT_EQ(log[2].mutations[1].key, "\xff");
  EXPECT_EQ(log[2].mutations[1].value, std::string(1, '\0'));
  EXPECT_EQ(log[3].txid, 9u);
  EXPECT_EQ(log[3].time, *ParseCommitTime("2026-11-25T10:00:02Z"));
  State final_state{{"\xff", std::string(1, '\0')}, {"b", "3"}};
  EXPECT_EQ(r->final_digest, DigestOf(final_state));
  // The snapshot after the 2nd transaction (LSN 3): {b: 2, \xff: \0}.
  auto snaps = storage->List("snap/");
  ASSERT_TRUE(snaps.ok());
  ASSERT_EQ(snaps->size(), 1u);
  auto reader = SnapshotReader::Open(storage.get(), (*snaps)[0].name);
  ASSERT_TRUE(reader.ok());
  EXPECT_EQ((*reader)->info().lsn, 3u);
  EXPECT_EQ((*reader)->info().digest,
            DigestOf({{"\xff", std::string(1, '\0')}, {"b", "2"}}));
}

// A bad line N: the error names it, and the repository holds lines 1..N-1.
void ExpectStopsAt(const std::string& bad_line, const std::string& reason) {
  std::string input = std::string(kGood) + bad_line + "\n" +
                      R"({"time": "2026-11-26T00:00:00Z", "ops": []})" + "\n";
  auto storage = NewMemoryStorage();
  std::istringstream in(input);
  ImportResult partial;
  auto r = ImportJsonl(storage.get(), in, {}, &partial);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), HasSubstr("line 6: "));
  EXPECT_THAT(r.status().message(), HasSubstr(reason));
  EXPECT_THAT(r.status().message(), HasSubstr("lines 1-5 (LSN 1-4)"));
  EXPECT_EQ(partial.last_lsn, 4u);
  EXPECT_EQ(ReadLog(storage.get()).size(), 4u);
}

TEST(ImportJsonl, BadJsonStopsAtItsLine) {
  ExpectStopsAt(R"({"time": )", "bad JSON");
}
TEST(ImportJsonl, MissingFieldStopsAtItsLine) {
  ExpectStopsAt(R"({"ops": []})", "missing \"time\"");
}
TEST(ImportJsonl, DecreasingTimeStopsAtItsLine) {
  ExpectStopsAt(R"({"time": "2026-11-25T10:00:01.5Z", "ops": []})",
                "precedes the previous line's time 2026-11-25T10:00:02");
}
TEST(ImportJsonl, InvalidBase64StopsAtItsLine) {
  ExpectStopsAt(
      R"({"time": "2026-11-25T11:00:00Z", "ops": [{"op": "delete", "key_b64": "%%%%"}]})",
      "invalid base64");
}

TEST(ImportJsonl, BadFirstLineLeavesNothing) {
  auto storage = NewMemoryStorage();
  std::istringstream in("nope\n");
  auto r = ImportJsonl(storage.get(), in, {});
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(r.status().message(), HasSubstr("line 1: bad JSON"));
  EXPECT_THAT(r.status().message(), HasSubstr("holds nothing"));
  EXPECT_TRUE(ReadLog(storage.get()).empty());
}

TEST(ImportJsonl, RefusesAnExistingRepository) {
  auto storage = NewMemoryStorage();
  std::istringstream in(kGood);
  ASSERT_TRUE(ImportJsonl(storage.get(), in, {}).ok());
  std::istringstream again(kGood);
  EXPECT_EQ(ImportJsonl(storage.get(), again, {}).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace wayback
