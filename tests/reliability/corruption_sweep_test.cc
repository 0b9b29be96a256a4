// Copyright 2026 The Wayback Authors.
//
// Corruption and truncation sweeps: every byte of reference segments (sealed
// and live) and of a snapshot flipped one at a time, and every truncation,
// read back through the public readers (LogReader, SnapshotReader, and
// Catalog + PlanRecovery + Restore). The oracle is the exact list of records
// (pairs) that was written. Each trial must end in one of:
//   - detected: an error (kDataLoss / kFailedPrecondition) naming the object
//     and a byte offset, with every record returned before it an exact prefix
//     of the original;
//   - a torn tail, only in the newest live segment, cut at a block boundary
//     at or before the damaged byte, with exactly the records before the cut;
//   - harmless: every record, exactly.
// Anything else is a "wrong state". Figures go to results/corruption.json.

#include <map>
#include <set>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "src/log/segment_format.h"
#include "tests/reliability/reliability_util.h"
#include "wayback/recovery.h"
#include "wayback/state_target.h"

namespace wayback::reliability {
namespace {

Results& Figures() {
  static Results* r = new Results("corruption");
  return *r;
}

class CorruptionEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { Figures().Write(); }
};
const auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new CorruptionEnvironment);

bool IsPrefix(const std::vector<Rec>& got, const std::vector<Rec>& all) {
  if (got.size() > all.size()) return false;
  for (size_t i = 0; i < got.size(); ++i) {
    if (!(got[i] == all[i])) return false;
  }
  return true;
}

bool IsDetectionCode(const absl::Status& s) {
  return s.code() == absl::StatusCode::kDataLoss ||
         s.code() == absl::StatusCode::kFailedPrecondition;
}

ReferenceLog Reference() {
  ReferenceOptions o;
  auto ref = BuildReferenceLog(o);
  EXPECT_TRUE(ref.ok()) << ref.status();
  return *ref;
}

// Tallies of one sweep.
struct Tally {
  int64_t trials = 0, detected = 0, torn = 0, harmless = 0, wrong = 0,
          unnamed = 0, lsn_named = 0;
  void Publish(const std::string& prefix) {
    Figures().Set(prefix + "_trials", trials);
    Figures().Set(prefix + "_detected", detected);
    Figures().Set(prefix + "_torn_tail", torn);
    Figures().Set(prefix + "_harmless", harmless);
    Figures().Set(prefix + "_wrong_state", wrong);
    Figures().Set(prefix + "_error_without_object_offset", unnamed);
    Figures().Set(prefix + "_error_naming_lsn", lsn_named);
    Figures().Add("total_trials", trials);
    Figures().Add("total_wrong_state", wrong);
    Figures().Set("crashes", 0);  // A crash would have ended this process.
  }
};

// Judges one damaged log against the reference. `damaged_from` is the first
// damaged byte of `object`; `live_boundaries` the block boundaries of the
// intact live segment (empty when `object` is not the newest live segment,
// so that no torn tail is acceptable).
void JudgeLog(const ReferenceLog& ref, const LogReadout& got,
              const std::string& object, uint64_t damaged_from,
              const std::map<uint64_t, Lsn>& live_boundaries, Tally* t,
              const std::string& what) {
  ++t->trials;
  if (!got.status.ok()) {
    ++t->detected;
    if (NamesLsn(got.status)) ++t->lsn_named;
    const bool named = got.status.message().find(object) != std::string::npos;
    if (!named || !IsDetectionCode(got.status)) {
      ++t->unnamed;
      ADD_FAILURE() << what << ": error does not name " << object << ": "
                    << got.status;
    }
    if (!IsPrefix(got.records, ref.records)) {
      ++t->wrong;
      ADD_FAILURE() << what << ": records before the error are wrong";
    }
    return;
  }
  if (got.records == ref.records && !got.torn) {
    ++t->harmless;
    return;
  }
  if (got.torn && !live_boundaries.empty() && got.torn->object == object &&
      got.torn->offset <= damaged_from) {
    auto it = live_boundaries.find(got.torn->offset);
    if (it != live_boundaries.end()) {
      std::vector<Rec> want;
      for (const Rec& r : ref.records) {
        if (r.lsn <= it->second) want.push_back(r);
      }
      if (got.records == want) {
        ++t->torn;
        return;
      }
    }
  }
  ++t->wrong;
  ADD_FAILURE() << what << ": wrong state: " << got.records.size()
                << " records, torn=" << (got.torn ? got.torn->offset : -1);
}

// Block boundary offset -> last LSN before it, for a live segment.
std::map<uint64_t, Lsn> Boundaries(const ReferenceLog& ref,
                                   const std::string& name) {
  auto parts = SplitSegment(ref.image, name);
  EXPECT_TRUE(parts.ok()) << parts.status();
  std::map<uint64_t, Lsn> b;
  b[log_format::kSegmentHeaderSize] = parts->info.first_lsn - 1;
  for (const BlockInfo& bi : parts->info.blocks) {
    b[bi.offset + bi.stored_size] = bi.last_lsn;
  }
  return b;
}

TEST(CorruptionSweep, ReferenceLogShape) {
  ReferenceLog ref = Reference();
  ASSERT_GE(ref.sealed.size(), 2u);
  ASSERT_FALSE(ref.live.empty());
  auto parts = SplitSegment(ref.image, ref.live);
  ASSERT_TRUE(parts.ok());
  EXPECT_GE(parts->blocks.size(), 2u);
  auto intact = Materialize(ref.image);
  LogReadout got = ReadLog(intact.get());
  ASSERT_TRUE(got.status.ok()) << got.status;
  EXPECT_EQ(got.records, ref.records);
  EXPECT_FALSE(got.torn);
}

TEST(CorruptionSweep, EveryByteOfASealedSegmentFlipped) {
  ReferenceLog ref = Reference();
  ASSERT_GE(ref.sealed.size(), 2u);
  Tally t;
  for (const std::string& name : {ref.sealed.front(), ref.sealed[1]}) {
    const std::string original = ref.image.at(name);
    for (size_t i = 0; i < original.size(); ++i) {
      for (uint8_t mask :
           {static_cast<uint8_t>(1u << (i % 8)), static_cast<uint8_t>(0xff)}) {
        Image img = ref.image;
        img[name][i] ^= static_cast<char>(mask);
        auto s = Materialize(img);
        JudgeLog(ref, ReadLog(s.get()), name, i, {}, &t,
                 name + " flip at " + std::to_string(i));
      }
    }
  }
  t.Publish("sealed_flip");
  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.unnamed, 0);
}

TEST(CorruptionSweep, EveryByteOfTheLiveSegmentFlipped) {
  ReferenceLog ref = Reference();
  const std::map<uint64_t, Lsn> bounds = Boundaries(ref, ref.live);
  const std::string original = ref.image.at(ref.live);
  Tally t;
  for (size_t i = 0; i < original.size(); ++i) {
    for (uint8_t mask :
         {static_cast<uint8_t>(1u << (i % 8)), static_cast<uint8_t>(0xff)}) {
      Image img = ref.image;
      img[ref.live][i] ^= static_cast<char>(mask);
      auto s = Materialize(img);
      JudgeLog(ref, ReadLog(s.get()), ref.live, i, bounds, &t,
               "live flip at " + std::to_string(i));
      // With torn tails disallowed, any damage must be an error.
      LogReadout strict = ReadLog(s.get(), /*allow_torn_tail=*/false);
      if (strict.status.ok() && strict.records != ref.records) {
        ++t.wrong;
        ADD_FAILURE() << "strict read of live flip at " << i
                      << " returned a short log without an error";
      }
    }
  }
  t.Publish("live_flip");
  EXPECT_EQ(t.wrong, 0);
  EXPECT_EQ(t.unnamed, 0);
}

TEST(CorruptionSweep, SealedSegmentTruncatedAtEveryOffset) {
  ReferenceLog ref = Reference();
  Tally t;
  const std::string name = ref.sealed[1];
  const std::string original = ref.image.at(name);
  for (size_t cut = 0; cut < original.size(); ++cut) {
    Image img = ref.image;
    img[name].resize(cut);
    auto s = Materialize(img);
    LogReadout got = ReadLog(s.get());
    JudgeLog(ref, got, name, cut, {}, &t,
             "sealed cut at " + std::to_string(cut));
    if (got.status.ok()) {
      ADD_FAILURE() << "a sealed segment cut at " << cut << " was accepted";
    }
  }
  t.Publish("sealed_truncate");
  EXPECT_EQ(t.detected, t.trials);
  EXPECT_EQ(t.wrong, 0);
}

TEST(CorruptionSweep, LiveSegmentTruncatedAtEveryOffset) {
  ReferenceLog ref = Reference();
  const std::map<uint64_t, Lsn> bounds = Boundaries(ref, ref.live);
  const std::string original = ref.image.at(ref.live);
  Tally t;
  for (size_t cut = 0; cut <= original.size(); ++cut) {
    Image img = ref.image;
    img[ref.live].resize(cut);
    auto s = Materialize(img);
    LogReadout got = ReadLog(s.get());
    ++t.trials;
    // Exactly the records of the blocks that end at or before the cut.
    auto it = bounds.upper_bound(cut);
    const Lsn last =
        it == bounds.begin() ? bounds.begin()->second : std::prev(it)->second;
    std::vector<Rec> want;
    for (const Rec& r : ref.records) {
      if (r.lsn <= last) want.push_back(r);
    }
    const uint64_t boundary = it == bounds.begin() ? 0 : std::prev(it)->first;
    bool ok = got.status.ok() && got.records == want;
    if (ok && cut != boundary && cut != 0) {
      ok = got.torn && got.torn->object == ref.live &&
           got.torn->offset == boundary && got.torn->bytes == cut - boundary;
    }
    if (ok && cut == boundary) ok = !got.torn;
    if (ok) {
      ++(cut == boundary ? t.harmless : t.torn);
    } else {
      ++t.wrong;
      ADD_FAILURE() << "live cut at " << cut << ": " << got.status << ", "
                    << got.records.size() << " records (want " << want.size()
                    << "), torn=" << (got.torn ? got.torn->offset : -1);
    }
  }
  t.Publish("live_truncate");
  EXPECT_EQ(t.wrong, 0);
}

TEST(CorruptionSweep, EveryByteOfASnapshotFlippedAndEveryTruncation) {
  auto ref = BuildReferenceSnapshot(3, 60, 300);
  ASSERT_TRUE(ref.ok()) << ref.status();
  {
    auto s = Materialize(ref->image);
    SnapshotReadout got = ReadSnapshot(s.get(), ref->name);
    ASSERT_TRUE(got.status.ok()) << got.status;
    ASSERT_EQ(got.pairs, ref->pairs);
    ASSERT_GE(ref->info.block_count, 3u);
  }
  const std::string original = ref->image.at(ref->name);
  Tally flips, cuts;
  for (size_t i = 0; i < original.size(); ++i) {
    Image img = ref->image;
    img[ref->name][i] ^= static_cast<char>(1u << (i % 8));
    auto s = Materialize(img);
    SnapshotReadout got = ReadSnapshot(s.get(), ref->name);
    ++flips.trials;
    if (!got.status.ok()) {
      ++flips.detected;
      if (!NamesObjectAndOffset(got.status, ref->name) ||
          got.status.code() != absl::StatusCode::kDataLoss) {
        ++flips.unnamed;
        ADD_FAILURE() << "flip at " << i << ": " << got.status;
      }
      bool prefix =
          got.pairs.size() <= ref->pairs.size() &&
          std::equal(got.pairs.begin(), got.pairs.end(), ref->pairs.begin());
      if (!prefix) {
        ++flips.wrong;
        ADD_FAILURE() << "flip at " << i << ": wrong pairs before the error";
      }
    } else if (got.pairs == ref->pairs) {
      ++flips.harmless;
    } else {
      ++flips.wrong;
      ADD_FAILURE() << "flip at " << i << ": wrong pairs, no error";
    }
  }
  for (size_t cut = 0; cut < original.size(); ++cut) {
    Image img = ref->image;
    img[ref->name].resize(cut);
    auto s = Materialize(img);
    SnapshotReadout got = ReadSnapshot(s.get(), ref->name);
    ++cuts.trials;
    if (got.status.ok()) {
      ++cuts.wrong;
      ADD_FAILURE() << "snapshot cut at " << cut << " accepted";
    } else {
      ++cuts.detected;
      if (!got.status.message().empty() &&
          got.status.message().find(ref->name) == std::string::npos) {
        ++cuts.unnamed;
        ADD_FAILURE() << "cut at " << cut << ": " << got.status;
      }
    }
  }
  flips.Publish("snapshot_flip");
  cuts.Publish("snapshot_truncate");
  EXPECT_EQ(flips.wrong, 0);
  EXPECT_EQ(flips.unnamed, 0);
  EXPECT_EQ(cuts.wrong, 0);
}

// The oracle state: apply records in order to a map.
StateDigest DigestOf(const std::vector<Rec>& records, Lsn upto,
                     std::map<std::string, std::string> state = {}) {
  for (const Rec& r : records) {
    if (r.lsn > upto) break;
    for (const Mutation& m : r.mutations) {
      if (m.type == MutationType::kPut) {
        state[m.key] = m.value;
      } else {
        state.erase(m.key);
      }
    }
  }
  StateDigest d;
  for (const auto& [k, v] : state) d.Add(k, v);
  return d;
}

// Through the whole recovery path: Catalog, PlanRecovery(latest), Restore
// into memory. A sealed-only repository with a snapshot in the middle: any
// result must be the exact final state, or an error.
TEST(CorruptionSweep, RestoreOverEveryDamagedByte) {
  ReferenceOptions o;
  o.leave_live = false;
  o.transactions = 40;
  auto log = BuildReferenceLog(o);
  ASSERT_TRUE(log.ok()) << log.status();
  // A snapshot of the state after LSN 20.
  std::map<std::string, std::string> state;
  for (const Rec& r : log->records) {
    if (r.lsn > 20) break;
    for (const Mutation& m : r.mutations) {
      if (m.type == MutationType::kPut)
        state[m.key] = m.value;
      else
        state.erase(m.key);
    }
  }
  Image image = log->image;
  {
    auto s = Materialize(image);
    SnapshotWriterOptions so;
    so.lsn = 20;
    so.commit_time = log->records[19].commit_time;
    so.block_size = 200;
    auto it = state.begin();
    auto info = WriteSnapshot(s.get(), so,
                              [&](std::string_view* k, std::string_view* v) {
                                if (it == state.end()) return false;
                                *k = it->first;
                                *v = it->second;
                                ++it;
                                return true;
                              });
    ASSERT_TRUE(info.ok()) << info.status();
    auto cap = Capture(s.get());
    ASSERT_TRUE(cap.ok());
    image = *cap;
  }
  const StateDigest want = DigestOf(log->records, UINT64_MAX);
  if (EnvInt("WAYBACK_DEBUG", 0)) {
    auto s = Materialize(image);
    for (const auto& [name, data] : image) {
      auto info = ReadSegmentInfo(s.get(), name);
      if (info.ok()) {
        std::printf("%s lsn %llu..%llu size %zu\n", name.c_str(),
                    (unsigned long long)info->first_lsn,
                    (unsigned long long)info->last_lsn, data.size());
      }
    }
  }
  auto restore = [](Storage* s) -> absl::StatusOr<StateDigest> {
    auto catalog = Catalog::Open(s);
    if (!catalog.ok()) return catalog.status();
    auto plan = PlanRecovery(**catalog, RecoveryTarget::Latest());
    if (!plan.ok()) return plan.status();
    auto target = NewMemoryTarget();
    RestoreOptions ro;
    ro.threads = 1;
    auto result = Restore(s, *plan, target.get(), ro);
    if (!result.ok()) return result.status();
    return target->Digest();
  };
  {
    auto s = Materialize(image);
    auto d = restore(s.get());
    ASSERT_TRUE(d.ok()) << d.status();
    ASSERT_EQ(*d, want);
  }
  const int stride =
      FullMode() ? 1 : static_cast<int>(EnvInt("WAYBACK_RESTORE_STRIDE", 3));
  Tally t;
  for (const auto& [name, data] : image) {
    TimelineId tl;
    Lsn l;
    bool sealed;
    if (!ParseSegmentObjectName(name, &tl, &l, &sealed) &&
        !ParseSnapshotObjectName(name, &tl, &l)) {
      continue;
    }
    for (size_t i = 0; i < data.size(); i += stride) {
      Image img = image;
      img[name][i] ^= static_cast<char>(1u << (i % 8));
      auto s = Materialize(img);
      auto d = restore(s.get());
      ++t.trials;
      if (!d.ok()) {
        ++t.detected;
        if (d.status().message().find(name) == std::string::npos) {
          if (++t.unnamed <= 5) {
            std::printf("unnamed: %s flip at %zu: %s\n", name.c_str(), i,
                        d.status().ToString().c_str());
          }
        }
      } else if (*d == want) {
        ++t.harmless;  // The damaged object was not needed, or not read.
      } else {
        ++t.wrong;
        ADD_FAILURE() << name << " flip at " << i << ": restore returned "
                      << d->ToString() << ", want " << want.ToString();
      }
    }
  }
  t.Publish("restore_flip");
  EXPECT_EQ(t.wrong, 0);
}

}  // namespace
}  // namespace wayback::reliability
