// Copyright 2026 The Wayback Authors.
//
// Delta chains (snapshot_format.md, V2.7) against an independent model: a
// std::map per level, edited at random; the chain reader's merged
// iteration, range iteration and Get must equal the model's state, its
// digest the one computed from scratch, and every way a chain can be wrong
// (a member swapped, a delta written over other content than its base) must
// end in kDataLoss naming the delta.

#include "src/snapshot/snapshot_chain.h"

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "src/snapshot/snapshot_file.h"
#include "tests/snapshot/snapshot_test_util.h"
#include "wayback/snapshot.h"
#include "wayback/status.h"
#include "wayback/storage.h"

namespace wayback {
namespace {

using testing::Drain;
using testing::IndependentDigest;
using testing::Pairs;
using Model = std::map<std::string, std::string>;

Pairs ToPairs(const Model& m) { return Pairs(m.begin(), m.end()); }

class SnapshotChainTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage_ = NewMemoryStorage();
    testing::WriteIdentity(storage_.get());
  }

  SnapshotWriterOptions Options(Lsn lsn) const {
    SnapshotWriterOptions o;
    o.format_version = 2;
    o.timeline = 1;
    o.lsn = lsn;
    o.commit_time = static_cast<CommitTime>(lsn) * 10;
    o.block_size = 200;
    return o;
  }

  std::string RandomKey() {
    // A small key space, so that edits hit existing keys often.
    std::string k = "k" + std::to_string(rng_() % 600);
    if (rng_() % 4 == 0) k += std::string(1 + rng_() % 3, '\0');
    return k;
  }
  std::string RandomValue() {
    std::string v(rng_() % 12, '\0');
    for (char& c : v) c = static_cast<char>('a' + rng_() % 26);
    return v;
  }

  // Writes `model` as a full snapshot at `lsn`.
  std::string WriteFull(Lsn lsn, const Model& model) {
    auto info =
        testing::WritePairs(storage_.get(), Options(lsn), ToPairs(model));
    EXPECT_TRUE(info.ok()) << info.status();
    return info.ok() ? info->name : std::string();
  }

  // Edits *model at random (puts of new keys, changed values, deletes) and
  // writes the changes as a delta over `base`. Returns its name.
  std::string WriteRandomDelta(SnapshotReader* base, Lsn lsn, Model* model,
                               uint32_t generation = 0) {
    std::map<std::string, std::optional<std::string>> edits;
    const size_t n = 1 + rng_() % 60;
    for (size_t i = 0; i < n; ++i) {
      std::string k = RandomKey();
      auto it = model->find(k);
      if (it != model->end() && rng_() % 3 == 0) {
        edits[k] = std::nullopt;
      } else {
        std::string v = RandomValue();
        if (it != model->end() && it->second == v) v += "!";
        edits[k] = v;
      }
    }
    SnapshotWriterOptions o = Options(lsn);
    o.kind = SnapshotKind::kDelta;
    o.base = base;
    o.generation = generation;
    auto w = SnapshotWriter::Create(storage_.get(), o);
    EXPECT_TRUE(w.ok()) << w.status();
    if (!w.ok()) return std::string();
    for (const auto& [k, v] : edits) {
      absl::Status s = v ? (*w)->Add(k, *v) : (*w)->AddDelete(k);
      EXPECT_TRUE(s.ok()) << s;
      if (v) {
        (*model)[k] = *v;
      } else {
        model->erase(k);
      }
    }
    auto info = (*w)->Finish();
    EXPECT_TRUE(info.ok()) << info.status();
    if (!info.ok()) return std::string();
    EXPECT_EQ(IndependentDigest(ToPairs(*model)), info->digest);
    return info->name;
  }

  // Builds a chain of `depth` deltas over a random base; each delta is
  // written over the chain so far (a chain reader as the base).
  void BuildChain(size_t depth, std::vector<std::string>* names, Model* model) {
    const size_t n = rng_() % 400;
    for (size_t i = 0; i < n; ++i) (*model)[RandomKey()] = RandomValue();
    names->push_back(WriteFull(100, *model));
    for (size_t d = 1; d <= depth; ++d) {
      auto base = OpenSnapshotChain(storage_.get(), *names);
      ASSERT_TRUE(base.ok()) << base.status();
      names->push_back(WriteRandomDelta(base->get(), 100 + d, model));
    }
  }

  std::unique_ptr<Storage> storage_;
  std::mt19937_64 rng_{20261207};
};

TEST_F(SnapshotChainTest, MergedStateEqualsTheModel) {
  for (size_t depth = 0; depth <= 8; ++depth) {
    SCOPED_TRACE(::testing::Message() << "depth " << depth);
    storage_ = NewMemoryStorage();
    testing::WriteIdentity(storage_.get());
    std::vector<std::string> names;
    Model model;
    BuildChain(depth, &names, &model);
    auto chain = OpenSnapshotChain(storage_.get(), names);
    ASSERT_TRUE(chain.ok()) << chain.status();
    const SnapshotInfo& info = (*chain)->info();
    const Pairs expected = ToPairs(model);
    EXPECT_EQ(names.back(), info.name);
    EXPECT_EQ(100 + depth, info.lsn);
    EXPECT_EQ(depth, info.chain_depth);
    EXPECT_EQ(expected.size(), info.pair_count);
    EXPECT_EQ(IndependentDigest(expected), info.digest);
    uint64_t size = 0;
    for (const std::string& name : names) {
      auto stat = storage_->Stat(name);
      ASSERT_TRUE(stat.ok());
      size += stat->size;
    }
    EXPECT_EQ(size, info.size);
    Pairs got;
    ASSERT_TRUE(Drain((*chain)->NewIterator().get(), &got).ok());
    EXPECT_TRUE(got == expected);
    EXPECT_TRUE((*chain)->Verify().ok());
    // Ranges, with bounds on and between keys.
    for (int r = 0; r < 20; ++r) {
      std::string b = RandomKey(), e = r % 5 == 0 ? "" : RandomKey();
      if (!e.empty() && e < b) std::swap(b, e);
      Pairs range;
      ASSERT_TRUE(Drain((*chain)->NewRangeIterator(b, e).get(), &range).ok());
      Pairs want;
      for (auto it = model.lower_bound(b);
           it != model.end() && (e.empty() || it->first < e); ++it) {
        want.emplace_back(it->first, it->second);
      }
      EXPECT_TRUE(range == want) << "[" << b << ", " << e << ")";
    }
    // Lookups: present, deleted at some level, never present.
    for (int q = 0; q < 200; ++q) {
      const std::string k = RandomKey();
      auto g = (*chain)->Get(k);
      ASSERT_TRUE(g.ok()) << g.status();
      auto it = model.find(k);
      if (it == model.end()) {
        EXPECT_FALSE(g->has_value()) << k;
      } else {
        EXPECT_EQ(it->second, g->value_or("<absent>")) << k;
      }
    }
  }
}

// A chain whose deltas append keys past the base's whole key space (ids
// that only grow): split keys taken from the base alone would leave the
// last range nearly all the work. Each range must hold a fair share of the
// chain's entries, and the ranges together exactly the merged state.
TEST_F(SnapshotChainTest, SplitKeysBalanceDeltasOutsideTheBase) {
  Model model;
  auto key = [](int i) {
    std::string k = std::to_string(i);
    return "id" + std::string(6 - k.size(), '0') + k;
  };
  for (int i = 0; i < 100; ++i) model[key(i)] = RandomValue() + "v";
  std::vector<std::string> names = {WriteFull(100, model)};
  size_t entries = model.size();
  for (int d = 1; d <= 6; ++d) {
    auto base = OpenSnapshotChain(storage_.get(), names);
    ASSERT_TRUE(base.ok()) << base.status();
    SnapshotWriterOptions o = Options(100 + d);
    o.kind = SnapshotKind::kDelta;
    o.base = base->get();
    auto w = SnapshotWriter::Create(storage_.get(), o);
    ASSERT_TRUE(w.ok()) << w.status();
    for (int i = d * 300; i < d * 300 + 300; ++i) {
      const std::string v = RandomValue() + "v";
      ASSERT_TRUE((*w)->Add(key(i), v).ok());
      model[key(i)] = v;
      ++entries;
    }
    auto info = (*w)->Finish();
    ASSERT_TRUE(info.ok()) << info.status();
    names.push_back(info->name);
  }
  auto chain = OpenSnapshotChain(storage_.get(), names);
  ASSERT_TRUE(chain.ok()) << chain.status();
  for (size_t ranges : {2, 4, 8}) {
    SCOPED_TRACE(::testing::Message() << ranges << " ranges");
    const std::vector<std::string> splits =
        ChainSplitKeys(chain->get(), ranges);
    ASSERT_EQ(ranges - 1, splits.size());
    Pairs all;
    for (size_t r = 0; r < ranges; ++r) {
      Pairs part;
      ASSERT_TRUE(Drain((*chain)
                            ->NewRangeIterator(r == 0 ? "" : splits[r - 1],
                                               r + 1 == ranges ? "" : splits[r])
                            .get(),
                        &part)
                      .ok());
      // Fair: no range holds more than twice its share of the entries.
      EXPECT_LE(part.size(), 2 * entries / ranges) << "range " << r;
      all.insert(all.end(), part.begin(), part.end());
    }
    EXPECT_TRUE(all == ToPairs(model));
  }
}

TEST_F(SnapshotChainTest, DeleteInTheNewestHidesTheBase) {
  Model model = {{"a", "1"}, {"b", "2"}};
  std::vector<std::string> names = {WriteFull(1, model)};
  auto base = OpenSnapshotChain(storage_.get(), names);
  ASSERT_TRUE(base.ok());
  SnapshotWriterOptions o = Options(2);
  o.kind = SnapshotKind::kDelta;
  o.base = base->get();
  auto w = SnapshotWriter::Create(storage_.get(), o);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddDelete("a").ok());
  auto d = (*w)->Finish();
  ASSERT_TRUE(d.ok()) << d.status();
  names.push_back(d->name);
  auto chain = OpenSnapshotChain(storage_.get(), names);
  ASSERT_TRUE(chain.ok());
  auto g = (*chain)->Get("a");
  ASSERT_TRUE(g.ok());
  EXPECT_FALSE(g->has_value());
  Pairs got;
  ASSERT_TRUE(Drain((*chain)->NewIterator().get(), &got).ok());
  EXPECT_TRUE(got == Pairs({{"b", "2"}}));
}

TEST_F(SnapshotChainTest, RefusesMalformedChains) {
  std::vector<std::string> names;
  Model model;
  BuildChain(2, &names, &model);
  EXPECT_EQ(absl::StatusCode::kInvalidArgument,
            OpenSnapshotChain(storage_.get(), {}).status().code());
  EXPECT_EQ(absl::StatusCode::kInvalidArgument,
            OpenSnapshotChain(storage_.get(), {names[1], names[2]})
                .status()
                .code());  // A delta first.
  EXPECT_EQ(absl::StatusCode::kInvalidArgument,
            OpenSnapshotChain(storage_.get(), {names[0], names[0]})
                .status()
                .code());  // A full snapshot later.
  // A member left out: the next one's base is not the one before it.
  auto skipped = OpenSnapshotChain(storage_.get(), {names[0], names[2]});
  EXPECT_EQ(absl::StatusCode::kDataLoss, skipped.status().code());
  EXPECT_EQ(0u, std::string(skipped.status().message()).find(names[2]))
      << skipped.status();
  EXPECT_EQ(absl::StatusCode::kFailedPrecondition,
            OpenSnapshotChain(storage_.get(), {SnapshotFenceName(1)})
                .status()
                .code());
}

// A member replaced by another object of the same timeline, LSN and kind
// (a new generation) but another state: the next delta's base digest tells.
TEST_F(SnapshotChainTest, SwappedMemberIsRefused) {
  std::vector<std::string> names;
  Model model;
  BuildChain(2, &names, &model);
  // Another delta at the first delta's LSN, over the same base.
  auto base = OpenSnapshotChain(storage_.get(), {names[0]});
  ASSERT_TRUE(base.ok());
  Model other;
  {
    auto it = (*base)->NewIterator();
    std::string_view k, v;
    while (it->Next(&k, &v)) other[std::string(k)] = std::string(v);
  }
  const std::string swapped =
      WriteRandomDelta(base->get(), 101, &other, /*generation=*/1);
  ASSERT_EQ(names[1].substr(0, 30), swapped.substr(0, 30));
  auto chain = OpenSnapshotChain(storage_.get(), {names[0], swapped, names[2]});
  EXPECT_EQ(absl::StatusCode::kDataLoss, chain.status().code());
  EXPECT_NE(std::string::npos,
            std::string(chain.status().message()).find(names[2]))
      << chain.status();
  EXPECT_NE(std::string::npos,
            std::string(chain.status().message()).find("with digest"))
      << chain.status();
  // The same state under a new generation is an acceptable base.
  SnapshotWriterOptions o = Options(100);
  o.generation = 1;
  Model base_state;
  {
    auto it = (*base)->NewIterator();
    std::string_view k, v;
    while (it->Next(&k, &v)) base_state[std::string(k)] = std::string(v);
  }
  auto copy = testing::WritePairs(storage_.get(), o, ToPairs(base_state));
  ASSERT_TRUE(copy.ok()) << copy.status();
  Pairs got;
  ASSERT_TRUE(testing::DrainChain(storage_.get(),
                                  {copy->name, names[1], names[2]}, &got)
                  .ok());
  EXPECT_TRUE(got == ToPairs(model));
}

class SnapshotChainDigestTest : public SnapshotChainTest {
 protected:
  // Base B = {a, b, c}; other content O; delta D written over "B" reading
  // O with `edits`. Returns the full iteration's status of [B, D].
  absl::Status ChainOverOtherContent(
      const Model& other,
      const std::vector<std::pair<std::string, std::optional<std::string>>>&
          edits,
      std::string* delta_name) {
    const std::string b = WriteFull(10, {{"a", "1"}, {"b", "2"}, {"c", "3"}});
    SnapshotWriterOptions oo = Options(11);
    auto o_info = testing::WritePairs(storage_.get(), oo, ToPairs(other));
    EXPECT_TRUE(o_info.ok());
    auto real = SnapshotReader::Open(storage_.get(), b);
    auto content = SnapshotReader::Open(storage_.get(), o_info->name);
    EXPECT_TRUE(real.ok() && content.ok());
    testing::ClaimingReader lying((*real)->info(), content->get());
    SnapshotWriterOptions o = Options(20);
    o.kind = SnapshotKind::kDelta;
    o.base = &lying;
    auto w = SnapshotWriter::Create(storage_.get(), o);
    EXPECT_TRUE(w.ok());
    for (const auto& [k, v] : edits) {
      EXPECT_TRUE((v ? (*w)->Add(k, *v) : (*w)->AddDelete(k)).ok());
    }
    auto d = (*w)->Finish();
    EXPECT_TRUE(d.ok()) << d.status();
    *delta_name = d->name;
    auto chain = OpenSnapshotChain(storage_.get(), {b, d->name});
    EXPECT_TRUE(chain.ok()) << chain.status();  // The references agree.
    Pairs got;
    absl::Status s = Drain((*chain)->NewIterator().get(), &got);
    EXPECT_EQ(s.code(), (*chain)->Verify().code());
    return s;
  }
};

TEST_F(SnapshotChainDigestTest, DeleteOfAKeyTheBaseLacks) {
  std::string delta;
  absl::Status s = ChainOverOtherContent({{"a", "1"}, {"b", "2"}, {"x", "9"}},
                                         {{"x", std::nullopt}}, &delta);
  EXPECT_EQ(absl::StatusCode::kDataLoss, s.code()) << s;
  EXPECT_EQ(0u, std::string(s.message()).find(delta + " at offset 160 (")) << s;
  EXPECT_NE(std::string::npos,
            std::string(s.message())
                .find("delta does not fit its base "
                      "snap/00000001-000000000000000a.snap: it deletes key "
                      "\"x\", which its base state lacks"))
      << s;
}

TEST_F(SnapshotChainDigestTest, PutOfThePairTheBaseHolds) {
  std::string delta;
  absl::Status s = ChainOverOtherContent({{"a", "1"}, {"b", "old"}, {"c", "3"}},
                                         {{"b", "2"}}, &delta);
  EXPECT_EQ(absl::StatusCode::kDataLoss, s.code()) << s;
  EXPECT_NE(std::string::npos,
            std::string(s.message())
                .find("it puts key \"b\" with the value its base holds"))
      << s;
}

// A delta whose recorded state digest is forged (index rewritten, checksums
// recomputed): it opens, its references agree, and only the merge's digest
// catches it.
TEST_F(SnapshotChainTest, ForgedResultingDigest) {
  std::vector<std::string> names;
  Model model;
  BuildChain(3, &names, &model);
  std::string bytes = *storage_->ReadAll(names[3]);
  testing::ForgeIndexContent(&bytes, [](std::string* content) {
    const size_t summary = content->size() - 64;
    (*content)[summary] = static_cast<char>((*content)[summary] + 1);
  });
  testing::Overwrite(storage_.get(), names[3], bytes);
  auto chain = OpenSnapshotChain(storage_.get(), names);
  ASSERT_TRUE(chain.ok()) << chain.status();
  Pairs got;
  absl::Status s = Drain((*chain)->NewIterator().get(), &got);
  EXPECT_EQ(absl::StatusCode::kDataLoss, s.code()) << s;
  EXPECT_EQ(0u, std::string(s.message()).find(names[3] + " at offset ")) << s;
  EXPECT_NE(std::string::npos,
            std::string(s.message())
                .find("state digest mismatch: the delta records "))
      << s;
  EXPECT_TRUE(got == ToPairs(model));  // Every pair, then the error.
  EXPECT_EQ(absl::StatusCode::kDataLoss, (*chain)->Verify().code());
  // A range iteration cannot tell.
  Pairs range;
  EXPECT_TRUE(Drain((*chain)->NewRangeIterator("", "k5").get(), &range).ok());
}

TEST_F(SnapshotChainDigestTest, HonestChainPasses) {
  std::string delta;
  EXPECT_TRUE(ChainOverOtherContent({{"a", "1"}, {"b", "2"}, {"c", "3"}},
                                    {{"a", "one"}, {"c", std::nullopt}}, &delta)
                  .ok());
}

}  // namespace
}  // namespace wayback
