// Copyright 2026 The Wayback Authors.
//
// The decoders by byte surgery: hand-built messages of every type decode to
// what was built; every truncation, an extra byte and each malformed field is
// kDataLoss naming the message type and the WAL position. And the keys and
// values of captured rows: round trips, order, and refusals.

#include <algorithm>
#include <random>
#include <string>
#include <variant>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "src/postgres/protocol.h"
#include "tests/postgres/message_builder.h"
#include "wayback/postgres.h"

namespace wayback::postgres {
namespace {

constexpr PgLsn kAt = 0x16B374D848;

std::vector<std::pair<std::string, std::string>> Samples() {
  return {
      {"Begin", Msg().C('B').U64(0x100).U64(1234).U32(77).b},
      {"Commit", Msg().C('C').C(0).U64(0x100).U64(0x130).U64(1234).b},
      {"Origin", Msg().C('O').U64(0x55).S("node1").b},
      {"Relation", Msg()
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
                       .S("v")
                       .U32(25)
                       .U32(0xFFFFFFFF)
                       .b},
      {"Type", Msg().C('Y').U32(99999).S("public").S("mood").b},
      {"Insert",
       Msg().C('I').U32(16384).C('N').U16(3).Text("1").C('n').C('u').b},
      {"Update", Msg()
                     .C('U')
                     .U32(16384)
                     .C('K')
                     .U16(2)
                     .Text("1")
                     .C('n')
                     .C('N')
                     .U16(2)
                     .Text("2")
                     .Text("x")
                     .b},
      {"Delete", Msg().C('D').U32(16384).C('O').U16(1).Text("1").b},
      {"Truncate", Msg().C('T').U32(2).C(3).U32(1).U32(2).b},
      {"Message", Msg()
                      .C('M')
                      .C(1)
                      .U64(0x99)
                      .S("wayback")
                      .U32(3)
                      .Raw(std::string("a\0b", 3))
                      .b},
  };
}

TEST(PgoutputProtocolTest, DecodesEveryMessageType) {
  auto s = Samples();
  auto m = DecodePgoutput(s[0].second, kAt);
  ASSERT_TRUE(m.ok()) << m.status();
  auto& b = std::get<BeginMessage>(*m);
  EXPECT_EQ(b.final_lsn, 0x100u);
  EXPECT_EQ(b.commit_time_us, 1234);
  EXPECT_EQ(b.xid, 77u);

  m = DecodePgoutput(s[1].second, kAt);
  ASSERT_TRUE(m.ok());
  auto& c = std::get<CommitMessage>(*m);
  EXPECT_EQ(c.commit_lsn, 0x100u);
  EXPECT_EQ(c.end_lsn, 0x130u);

  m = DecodePgoutput(s[2].second, kAt);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<OriginMessage>(*m).name, "node1");

  m = DecodePgoutput(s[3].second, kAt);
  ASSERT_TRUE(m.ok());
  auto& r = std::get<RelationMessage>(*m);
  EXPECT_EQ(r.oid, 16384u);
  EXPECT_EQ(r.schema, "public");
  ASSERT_EQ(r.columns.size(), 2u);
  EXPECT_TRUE(r.columns[0].key);
  EXPECT_EQ(r.columns[0].type_modifier, -1);
  EXPECT_EQ(r.columns[1].type_oid, 25u);

  m = DecodePgoutput(s[4].second, kAt);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<TypeMessage>(*m).name, "mood");

  m = DecodePgoutput(s[5].second, kAt);
  ASSERT_TRUE(m.ok());
  auto& ins = std::get<InsertMessage>(*m);
  ASSERT_EQ(ins.new_tuple.size(), 3u);
  EXPECT_EQ(ins.new_tuple[0].value, "1");
  EXPECT_EQ(ins.new_tuple[1].kind, TupleColumn::Kind::kNull);
  EXPECT_EQ(ins.new_tuple[2].kind, TupleColumn::Kind::kUnchangedToast);

  m = DecodePgoutput(s[6].second, kAt);
  ASSERT_TRUE(m.ok()) << m.status();
  auto& up = std::get<UpdateMessage>(*m);
  EXPECT_EQ(up.old_kind, 'K');
  EXPECT_EQ(up.new_tuple[1].value, "x");

  m = DecodePgoutput(s[7].second, kAt);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(std::get<DeleteMessage>(*m).old_kind, 'O');

  m = DecodePgoutput(s[8].second, kAt);
  ASSERT_TRUE(m.ok());
  auto& tr = std::get<TruncateMessage>(*m);
  EXPECT_EQ(tr.options, 3);
  EXPECT_EQ(tr.relations, (std::vector<uint32_t>{1, 2}));

  m = DecodePgoutput(s[9].second, kAt);
  ASSERT_TRUE(m.ok());
  auto& lm = std::get<LogicalMessage>(*m);
  EXPECT_TRUE(lm.transactional);
  EXPECT_EQ(lm.content, std::string("a\0b", 3));
}

TEST(PgoutputProtocolTest, UpdateWithoutOldTuple) {
  auto m = DecodePgoutput(Msg().C('U').U32(1).C('N').U16(1).Text("v").b, kAt);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(std::get<UpdateMessage>(*m).old_kind, 0);
}

TEST(PgoutputProtocolTest, EveryTruncationIsDataLossNamingTypeAndLsn) {
  for (const auto& [name, bytes] : Samples()) {
    for (size_t len = 1; len < bytes.size(); ++len) {
      auto m = DecodePgoutput(bytes.substr(0, len), kAt);
      ASSERT_FALSE(m.ok()) << name << " cut to " << len;
      EXPECT_TRUE(absl::IsDataLoss(m.status())) << m.status();
      EXPECT_NE(m.status().message().find(name), std::string::npos)
          << m.status();
      EXPECT_NE(m.status().message().find("16/B374D848"), std::string::npos)
          << m.status();
    }
    auto longer = DecodePgoutput(bytes + "x", kAt);
    // The truncate's count must match its bytes; the rest reject a byte
    // after their last field.
    ASSERT_FALSE(longer.ok()) << name;
    EXPECT_TRUE(absl::IsDataLoss(longer.status())) << longer.status();
  }
}

TEST(PgoutputProtocolTest, MalformedFields) {
  auto expect_bad = [](const std::string& bytes, const std::string& says) {
    auto m = DecodePgoutput(bytes, kAt);
    ASSERT_FALSE(m.ok());
    EXPECT_TRUE(absl::IsDataLoss(m.status())) << m.status();
    EXPECT_NE(m.status().message().find(says), std::string::npos) << m.status();
  };
  expect_bad("", "empty");
  expect_bad("Z", "not a pgoutput message type");
  // A column count far beyond the bytes: no allocation, an error.
  expect_bad(Msg().C('I').U32(1).C('N').U16(65535).C('n').b, "claims 65535");
  expect_bad(Msg().C('I').U32(1).C('N').U16(1).C('x').b, "unknown kind");
  expect_bad(Msg().C('I').U32(1).C('N').U16(1).C('t').U32(0x80000000).b,
             "negative length");
  expect_bad(Msg().C('I').U32(1).C('N').U16(1).C('t').U32(100).Raw("ab").b,
             "needs 100 bytes");
  expect_bad(Msg().C('I').U32(1).C('K').U16(0).b, "expected 'N'");
  expect_bad(Msg().C('D').U32(1).C('N').U16(0).b, "expected 'K' or 'O'");
  expect_bad(Msg().C('R').U32(1).S("s").S("t").C('x').U16(0).b,
             "replica identity");
  expect_bad(Msg().C('R').U32(1).S("s").S("t").C('d').U16(1000).b,
             "claims 1000 columns");
  expect_bad(Msg().C('Y').U32(1).Raw("no-nul").b, "no terminating NUL");
  expect_bad(Msg().C('T').U32(0x40000000).C(0).b, "claims 1073741824");
  // Streaming and two-phase messages are refused as such.
  auto s = DecodePgoutput("S", kAt);
  EXPECT_TRUE(absl::IsUnimplemented(s.status())) << s.status();
}

TEST(PgoutputProtocolTest, FramesAndStatusUpdates) {
  // The decoded frame views its bytes: they must outlive it.
  const std::string frame = Msg().C('w').U64(10).U64(20).U64(30).Raw("Bxyz").b;
  auto w = DecodeFrame(frame);
  ASSERT_TRUE(w.ok()) << w.status();
  auto& x = std::get<XLogData>(*w);
  EXPECT_EQ(x.wal_start, 10u);
  EXPECT_EQ(x.wal_end, 20u);
  EXPECT_EQ(x.send_time_us, 30);
  EXPECT_EQ(x.data, "Bxyz");
  auto k = DecodeFrame(Msg().C('k').U64(42).U64(7).C(1).b);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(std::get<Keepalive>(*k).wal_end, 42u);
  EXPECT_TRUE(std::get<Keepalive>(*k).reply_requested);
  EXPECT_TRUE(absl::IsDataLoss(DecodeFrame("").status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeFrame("q").status()));
  EXPECT_TRUE(absl::IsDataLoss(DecodeFrame(Msg().C('w').U64(1).b).status()));
  EXPECT_TRUE(absl::IsDataLoss(
      DecodeFrame(Msg().C('k').U64(42).U64(7).C(1).C(0).b).status()));
  EXPECT_EQ(EncodeStandbyStatus(1, 2, 3, 4, true),
            Msg().C('r').U64(1).U64(2).U64(3).U64(4).C(1).b);
}

TEST(PgoutputProtocolTest, LsnText) {
  EXPECT_EQ(FormatPgLsn(kAt), "16/B374D848");
  EXPECT_EQ(FormatPgLsn(0), "0/0");
  EXPECT_EQ(*ParsePgLsn("16/B374D848"), kAt);
  EXPECT_EQ(*ParsePgLsn("0/0"), 0u);
  EXPECT_EQ(*ParsePgLsn("FFFFFFFF/ffffffff"), ~uint64_t{0});
  for (const char* bad : {"", "/", "1/", "/1", "1", "g/1", "123456789/1"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParsePgLsn(bad).status())) << bad;
  }
}

// --- Keys and values ---

TEST(PostgresRowCodecTest, KeysRoundTripAndKeepTupleOrder) {
  // Tuples in order; their keys must sort the same way.
  const std::vector<std::vector<std::string>> tuples = {
      {"", ""},
      {"", "a"},
      {std::string("\0", 1), ""},
      {"a", ""},
      {"a", std::string("\0", 1)},
      {"a", "b"},
      {std::string("a\0", 2), "z"},
      {"a\x01", ""},
      {"ab", ""},
      {"b", ""},
      {"\xff", ""}};
  std::vector<std::string> keys;
  for (const auto& t : tuples) {
    keys.push_back(PostgresRowKey("public", "t", t));
    auto d = DecodePostgresKey(keys.back());
    ASSERT_TRUE(d.ok()) << d.status();
    EXPECT_EQ(d->kind, PostgresKey::Kind::kRow);
    EXPECT_EQ(d->schema, "public");
    EXPECT_EQ(d->table, "t");
    EXPECT_EQ(d->key_values, t);
    EXPECT_EQ(keys.back().rfind(PostgresTablePrefix("public", "t"), 0), 0u);
  }
  EXPECT_TRUE(std::is_sorted(keys.begin(), keys.end()));
  // A table's prefix is not a prefix of another table's keys.
  EXPECT_NE(PostgresRowKey("public", "tt", {"1"})
                .rfind(PostgresTablePrefix("public", "t"), 0),
            0u);
  EXPECT_NE(PostgresRowKey("publi", "ct", {"1"})
                .rfind(PostgresTablePrefix("public", "t"), 0),
            0u);
  auto rel = DecodePostgresKey(PostgresRelationKey("s", "t"));
  ASSERT_TRUE(rel.ok());
  EXPECT_EQ(rel->kind, PostgresKey::Kind::kRelation);
  for (const std::string& bad :
       {std::string(""), std::string("x"), std::string("r"),
        PostgresTablePrefix("s", "t"), PostgresRelationKey("s", "t") + "a",
        std::string("rs\0", 3), std::string("rs\0\x02", 4)}) {
    EXPECT_TRUE(absl::IsInvalidArgument(DecodePostgresKey(bad).status()));
  }
}

TEST(PostgresRowCodecTest, RowsRoundTripExactly) {
  const PostgresRow row{std::nullopt, std::string(""), std::string("a\0b", 3),
                        std::string(300, 'x'), std::string("é\n'\"")};
  const std::string v = EncodePostgresRow(row);
  auto d = DecodePostgresRow(v);
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(*d, row);
  // NULL and the empty string differ.
  EXPECT_NE(EncodePostgresRow({std::nullopt}), EncodePostgresRow({""}));
  for (size_t len = 0; len < v.size(); ++len) {
    EXPECT_FALSE(DecodePostgresRow(v.substr(0, len)).ok()) << len;
  }
  EXPECT_FALSE(DecodePostgresRow(v + "x").ok());
  EXPECT_FALSE(DecodePostgresRow("\x02\x00").ok());
  // A non-minimal varint is not the encoder's.
  EXPECT_FALSE(DecodePostgresRow(std::string("\x01\x81\x00\x00", 4)).ok());
  EXPECT_TRUE(DecodePostgresRow(std::string("\x01\x01\x00", 3)).ok());
}

}  // namespace
}  // namespace wayback::postgres
