// Copyright 2026 The Wayback Authors.
//
// PostgresCapture over a scripted replication stream: what a real server
// cannot be made to do on demand. Commit times that go backwards along the
// WAL stop the capture naming both LSNs and times; every standby status
// update reports a flush position at or below what the Ingester holds
// durably at that instant (keepalives asking for a reply included); resent
// transactions are skipped; relation metadata is archived once per
// description; a malformed message stops the capture with everything before
// it durable.

#include <deque>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/postgres/capture_internal.h"
#include "src/postgres/protocol.h"
#include "src/postgres/replication_connection.h"
#include "tests/postgres/message_builder.h"
#include "tests/testutil/testutil.h"
#include "wayback/capture.h"
#include "wayback/log.h"
#include "wayback/postgres.h"
#include "wayback/repository.h"

namespace wayback::postgres {
namespace {

std::string XLog(PgLsn at, const std::string& payload) {
  return Msg().C('w').U64(at).U64(at).U64(0).b + payload;
}
std::string Keepalive(PgLsn end, bool reply) {
  return Msg().C('k').U64(end).U64(0).C(reply ? 1 : 0).b;
}

// One transaction inserting (id, v) into public.t (OID 16384), with the
// Relation message first if `describe`.
std::vector<std::string> Txn(uint32_t xid, PgLsn commit, int64_t time_us,
                             const std::string& id, bool describe,
                             const std::string& column = "v") {
  std::vector<std::string> out;
  out.push_back(
      XLog(commit - 0x40, Msg().C('B').U64(commit).U64(time_us).U32(xid).b));
  if (describe) {
    out.push_back(XLog(commit - 0x30, Msg()
                                          .C('R')
                                          .U32(16384)
                                          .S("public")
                                          .S("t")
                                          .C('d')
                                          .U16(2)
                                          .C(1)
                                          .S("id")
                                          .U32(23)
                                          .U32(0xFFFFFFFF)
                                          .C(0)
                                          .S(column)
                                          .U32(25)
                                          .U32(0xFFFFFFFF)
                                          .b));
  }
  out.push_back(
      XLog(commit - 0x20,
           Msg().C('I').U32(16384).C('N').U16(2).Text(id).Text("x").b));
  out.push_back(XLog(
      commit, Msg().C('C').C(0).U64(commit).U64(commit + 0x10).U64(time_us).b));
  return out;
}

// A server that answers the capture's queries and streams `frames`.
class ScriptedConnection : public ReplicationConnection {
 public:
  ScriptedConnection(std::deque<std::string> frames, Ingester** ingester,
                     std::vector<std::string>* problems,
                     std::vector<PgLsn>* flushes)
      : frames_(std::move(frames)),
        ingester_(ingester),
        problems_(problems),
        flushes_(flushes) {}

  absl::StatusOr<ResultRows> Query(const std::string& sql) override {
    if (sql == "IDENTIFY_SYSTEM") {
      return ResultRows{{"7000000000000000001", "1", "0/1000", "db"}};
    }
    if (sql.find("pg_replication_slots") != std::string::npos) {
      return ResultRows{{"pgoutput", "db", "0/100"}};
    }
    return ResultRows{};
  }
  absl::Status StartLogical(const std::string&, PgLsn,
                            const std::string&) override {
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<std::string_view>> Receive(
      absl::Duration) override {
    if (frames_.empty()) return std::optional<std::string_view>();
    current_ = frames_.front();
    frames_.pop_front();
    return std::optional<std::string_view>(current_);
  }
  absl::Status Send(const std::string& bytes) override {
    // 'r', written, flushed, applied, clock, reply.
    if (bytes.size() != 34 || bytes[0] != 'r') {
      problems_->push_back("a message that is not a status update");
      return absl::OkStatus();
    }
    PgLsn flushed = 0;
    for (int i = 9; i < 17; ++i) {
      flushed = (flushed << 8) | static_cast<uint8_t>(bytes[i]);
    }
    const PgLsn durable = (*ingester_)->durable_position().value_or(0);
    if (flushed > durable) {
      problems_->push_back(absl::StrCat("flushed ", FormatPgLsn(flushed),
                                        " beyond durable ",
                                        FormatPgLsn(durable)));
    }
    flushes_->push_back(flushed);
    return absl::OkStatus();
  }
  absl::Status Finish() override { return absl::OkStatus(); }
  bool drained() const { return frames_.empty(); }

 private:
  std::deque<std::string> frames_;
  std::string current_;
  Ingester** ingester_;
  std::vector<std::string>* problems_;
  std::vector<PgLsn>* flushes_;
};

class CaptureStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto repo = Repository::Create(dir_.path() + "/repo");
    ASSERT_TRUE(repo.ok()) << repo.status();
    repo_ = *std::move(repo);
  }

  // Runs a capture over `frames` until they are all consumed.
  absl::Status RunOver(std::deque<std::string> frames,
                       PostgresCaptureStats* stats = nullptr) {
    auto ingester = Ingester::Open(repo_.get(), {});
    if (!ingester.ok()) return ingester.status();
    Ingester* ing = ingester->get();
    auto conn = std::make_unique<ScriptedConnection>(std::move(frames), &ing,
                                                     &problems_, &flushes_);
    ScriptedConnection* raw = conn.get();
    PostgresCaptureOptions o;
    o.dsn = "scripted";
    o.publication = "pub";
    o.slot = "wb";
    auto capture = NewPostgresCapture(o, std::move(conn));
    if (!capture.ok()) return capture.status();
    int idle = 0;
    absl::Status s =
        (*capture)->Run(ing, [&] { return raw->drained() && ++idle > 2; }, {});
    if (stats != nullptr) *stats = (*capture)->stats();
    absl::Status closed = (*ingester)->Close();
    return s.ok() ? closed : s;
  }

  std::vector<LogRecord> Log(std::vector<Transaction>* txns) {
    std::vector<LogRecord> out;
    auto reader = LogReader::Open(repo_->storage(), {});
    EXPECT_TRUE(reader.ok()) << reader.status();
    while (reader.ok()) {
      auto r = (*reader)->Next();
      EXPECT_TRUE(r.ok()) << r.status();
      if (!r.ok() || *r == nullptr) break;
      out.push_back(**r);
      // The record's views point into the reader's buffers: keep owned
      // copies (a deque does not move its strings).
      names_.emplace_back((*r)->restore_point_name);
      out.back().restore_point_name = names_.back();
      out.back().encoded_mutations = {};
      txns->push_back((*r)->ToTransaction());
    }
    return out;
  }

  std::deque<std::string> names_;

  testing::TempDir dir_;
  std::unique_ptr<Repository> repo_;
  std::vector<std::string> problems_;
  std::vector<PgLsn> flushes_;
};

std::deque<std::string> Join(std::vector<std::vector<std::string>> parts) {
  std::deque<std::string> out;
  for (auto& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

TEST_F(CaptureStreamTest, DecreasingCommitTimeStopsNamingBothLsnsAndTimes) {
  absl::Status s = RunOver(Join({Txn(700, 0x1000, 1000000, "1", true),
                                 Txn(701, 0x2000, 999999, "2", false),
                                 Txn(702, 0x3000, 2000000, "3", false)}));
  ASSERT_TRUE(absl::IsFailedPrecondition(s)) << s;
  EXPECT_NE(s.message().find("xid 701 committed at 0/2010"), std::string::npos)
      << s;
  EXPECT_NE(s.message().find("after the transaction at 0/1010"),
            std::string::npos)
      << s;
  // 2000-01-01T00:00:00.999999Z and 2000-01-01T00:00:01Z, to the ns.
  EXPECT_NE(s.message().find("2000-01-01T00:00:00.999999000Z"),
            std::string::npos)
      << s;
  EXPECT_NE(s.message().find("2000-01-01T00:00:01.000000000Z"),
            std::string::npos)
      << s;
  std::vector<Transaction> txns;
  const auto log = Log(&txns);
  ASSERT_EQ(log.size(), 1u);  // The first only, durable.
  EXPECT_EQ(log[0].source_position, 0x1010u);
  EXPECT_EQ(log[0].commit_time, (946684800000000 + 1000000) * 1000);
  EXPECT_TRUE(problems_.empty()) << problems_[0];
  ASSERT_FALSE(flushes_.empty());
  EXPECT_EQ(flushes_.back(), 0x1010u);  // Reported on the way out.
}

TEST_F(CaptureStreamTest, EqualCommitTimesAreAccepted) {
  ASSERT_TRUE(RunOver(Join({Txn(700, 0x1000, 5, "1", true),
                            Txn(701, 0x2000, 5, "2", false)}))
                  .ok());
  std::vector<Transaction> txns;
  EXPECT_EQ(Log(&txns).size(), 2u);
}

TEST_F(CaptureStreamTest, FlushNeverPassesDurableAndKeepalivesAreAnswered) {
  auto frames = Join({Txn(700, 0x1000, 10, "1", true)});
  // The server asks for a reply while a transaction is offered and not yet
  // committed, and reports a WAL end far ahead: the answer is what is
  // durable after a commit, never the WAL end.
  frames.push_back(Keepalive(0x900000, true));
  for (auto& f : Txn(701, 0x2000, 11, "2", false)) frames.push_back(f);
  frames.push_back(Keepalive(0x900000, false));
  PostgresCaptureStats st;
  ASSERT_TRUE(RunOver(frames, &st).ok());
  EXPECT_TRUE(problems_.empty()) << problems_[0];
  ASSERT_GE(flushes_.size(), 2u);
  EXPECT_EQ(flushes_.front(), 0x1010u);  // The reply to the keepalive.
  EXPECT_EQ(flushes_.back(), 0x2010u);
  EXPECT_EQ(st.keepalives, 2u);
  EXPECT_EQ(st.received_wal, 0x900000u);
  EXPECT_EQ(st.flushed, 0x2010u);
}

TEST_F(CaptureStreamTest, ResentTransactionsAreSkippedAndMetadataFollowsDdl) {
  ASSERT_TRUE(RunOver(Join({Txn(700, 0x1000, 10, "1", true),
                            Txn(701, 0x2000, 11, "2", false)}))
                  .ok());
  // A restart: the server resends from before the archive's end (with the
  // Relation message again, as a new session does), then a new transaction,
  // then DDL (a renamed column) and one more.
  PostgresCaptureStats st;
  ASSERT_TRUE(RunOver(Join({Txn(701, 0x2000, 11, "2", true),
                            Txn(702, 0x3000, 12, "3", false),
                            Txn(703, 0x4000, 13, "4", true, "renamed")}),
                      &st)
                  .ok());
  EXPECT_EQ(st.resent, 1u);
  EXPECT_EQ(st.transactions, 2u);
  std::vector<Transaction> txns;
  const auto log = Log(&txns);
  ASSERT_EQ(log.size(), 4u);
  const std::string meta = PostgresRelationKey("public", "t");
  auto count_meta = [&](const Transaction& t) {
    int n = 0;
    for (const Mutation& m : t.mutations) n += m.key == meta;
    return n;
  };
  EXPECT_EQ(count_meta(txns[0]), 1);  // First described.
  EXPECT_EQ(count_meta(txns[1]), 0);
  EXPECT_EQ(count_meta(txns[2]), 0);  // Described again, unchanged, resent.
  EXPECT_EQ(count_meta(txns[3]), 1);  // Changed.
  EXPECT_NE(txns[3].mutations[0].value.find("renamed"), std::string::npos);
  ASSERT_EQ(txns[3].mutations.size(), 2u);
  EXPECT_EQ(txns[3].mutations[1].key, PostgresRowKey("public", "t", {"4"}));
  EXPECT_EQ(*DecodePostgresRow(txns[3].mutations[1].value),
            (PostgresRow{"4", "x"}));
  EXPECT_EQ(txns[3].txid, 703u);
}

TEST_F(CaptureStreamTest, MalformedMessageStopsWithEverythingBeforeDurable) {
  auto frames = Join({Txn(700, 0x1000, 10, "1", true)});
  frames.push_back(XLog(0x1500, Msg().C('B').U64(0x2000).b));  // Short.
  absl::Status s = RunOver(frames);
  ASSERT_TRUE(absl::IsDataLoss(s)) << s;
  EXPECT_NE(s.message().find("Begin ('B') at WAL 0/1500"), std::string::npos)
      << s;
  std::vector<Transaction> txns;
  EXPECT_EQ(Log(&txns).size(), 1u);
  EXPECT_EQ(flushes_.back(), 0x1010u);
}

TEST_F(CaptureStreamTest, RestorePointsAndMessages) {
  auto frames = Join({Txn(700, 0x1000, 10, "1", true)});
  const std::string rp = "restore_point:before";
  frames.push_back(XLog(0x1f00, Msg().C('B').U64(0x2000).U64(11).U32(701).b));
  frames.push_back(
      XLog(0x1f10, Msg().C('M').C(1).U64(0x1f10).S("other").U32(3).b + "abc"));
  frames.push_back(XLog(0x1f20, Msg().C('M')
                                        .C(1)
                                        .U64(0x1f20)
                                        .S("wayback")
                                        .U32(static_cast<uint32_t>(rp.size()))
                                        .b +
                                    rp));
  frames.push_back(
      XLog(0x2000, Msg().C('C').C(0).U64(0x2000).U64(0x2010).U64(11).b));
  ASSERT_TRUE(RunOver(frames).ok());
  std::vector<Transaction> txns;
  const auto log = Log(&txns);
  ASSERT_EQ(log.size(), 2u);
  EXPECT_EQ(log[1].type, RecordType::kRestorePoint);
  EXPECT_EQ(log[1].restore_point_name, "before");
  EXPECT_EQ(log[1].source_position, 0x2010u);
  EXPECT_EQ(log[1].commit_time, (946684800000000 + 11) * 1000);

  // A non-transactional 'wayback' message is refused.
  auto bad = Join({});
  bad.push_back(XLog(0x3000, Msg().C('M')
                                     .C(0)
                                     .U64(0x3000)
                                     .S("wayback")
                                     .U32(static_cast<uint32_t>(rp.size()))
                                     .b +
                                 rp));
  absl::Status s = RunOver(bad);
  EXPECT_TRUE(absl::IsUnimplemented(s)) << s;
  EXPECT_NE(s.message().find("non-transactional"), std::string::npos) << s;
}

}  // namespace
}  // namespace wayback::postgres
