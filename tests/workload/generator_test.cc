// Copyright 2026 The Wayback Authors.
//
// The workload generator against an independent model of the state it
// describes: every delete and update names a live key, values are JSON of the
// promised sizes, and the same seed gives the same bytes.

#include <cmath>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "src/workload/workload.h"

namespace wayback {
namespace {

constexpr int64_t kHourNs = 3600LL * 1000000000LL;

std::vector<WorkloadEvent> All(const WorkloadOptions& o) {
  WorkloadGenerator g(o);
  std::vector<WorkloadEvent> out;
  WorkloadEvent e;
  while (g.Next(&e)) out.push_back(e);
  return out;
}

WorkloadOptions TwoQuietDays() {
  WorkloadOptions o;
  o.seed = 42;
  o.rate = 0.1;  // ~17,000 transactions over two days.
  o.initial_patients = 200;
  return o;
}

TEST(WorkloadGenerator, SameSeedSameEventsOtherSeedOtherEvents) {
  WorkloadOptions o = TwoQuietDays();
  o.duration = absl::Hours(6);
  auto a = All(o);
  auto b = All(o);
  ASSERT_FALSE(a.empty());
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].commit_time, b[i].commit_time);
    EXPECT_EQ(a[i].txn, b[i].txn);
    EXPECT_EQ(a[i].restore_point, b[i].restore_point);
  }
  o.seed = 43;
  auto c = All(o);
  bool differ = c.size() != a.size();
  for (size_t i = 0; !differ && i < a.size(); ++i)
    differ = !(a[i].txn == c[i].txn);
  EXPECT_TRUE(differ);
}

TEST(WorkloadGenerator, EventsAreConsistentWithTheStateTheyDescribe) {
  WorkloadOptions o = TwoQuietDays();
  auto events = All(o);
  const std::regex key_re(
      "patient/[0-9]{9}(/encounter/[0-9]{4}(/observation/[0-9]{4})?|/"
      "medication/[0-9]{4})?");
  std::set<std::string> live;
  CommitTime prev = INT64_MIN;
  uint64_t txid = 0, delete_txns = 0, txns = 0, puts = 0, updates = 0;
  std::vector<std::string> restore_points;
  for (const WorkloadEvent& e : events) {
    EXPECT_GT(e.commit_time, prev);
    prev = e.commit_time;
    EXPECT_GE(e.commit_time, o.start_time);
    EXPECT_LT(e.commit_time, o.start_time + 48 * kHourNs);
    if (e.kind == WorkloadEvent::Kind::kRestorePoint) {
      restore_points.push_back(e.restore_point);
      continue;
    }
    ++txns;
    ASSERT_TRUE(e.txn.txid.has_value());
    EXPECT_EQ(*e.txn.txid, ++txid);
    EXPECT_EQ(e.txn.commit_time, e.commit_time);
    ASSERT_FALSE(e.txn.mutations.empty());
    bool has_delete = false;
    for (const Mutation& m : e.txn.mutations) {
      EXPECT_TRUE(std::regex_match(m.key, key_re)) << m.key;
      if (m.type == MutationType::kDelete) {
        has_delete = true;
        EXPECT_EQ(live.erase(m.key), 1u) << "delete of absent " << m.key;
      } else {
        ++puts;
        if (!live.insert(m.key).second) ++updates;
        EXPECT_GE(m.value.size(), o.min_value_size);
        EXPECT_LE(m.value.size(), o.max_value_size);
        auto j = nlohmann::json::parse(m.value, nullptr, false);
        EXPECT_FALSE(j.is_discarded()) << m.value;
      }
    }
    delete_txns += has_delete;
  }
  // Two nights, each announced by a restore point at 02:00 UTC.
  EXPECT_EQ(restore_points,
            (std::vector<std::string>{"before-nightly-batch-2026-11-24",
                                      "before-nightly-batch-2026-11-25"}));
  double delete_share = static_cast<double>(delete_txns) / txns;
  EXPECT_GT(delete_share, 0.07);
  EXPECT_LT(delete_share, 0.12);
  EXPECT_GT(updates, puts / 10);  // Updates happen, not only inserts.
}

// P(target size >= y) of the truncated power law the options describe: the
// continuous distribution, written out independently of the generator.
double TailAbove(const WorkloadOptions& o, double y) {
  const double lo = static_cast<double>(o.min_value_size);
  const double hi = static_cast<double>(o.max_value_size);
  const double a = o.value_size_exponent;
  if (a == 1.0) return std::log(hi / y) / std::log(hi / lo);
  return (std::pow(y, 1 - a) - std::pow(hi, 1 - a)) /
         (std::pow(lo, 1 - a) - std::pow(hi, 1 - a));
}

// Value sizes follow value_size_exponent, and in_place_update_fraction of the
// transactions that are not deletes update one live record. Values longer
// than their JSON fields (all above 300 bytes) have exactly the drawn size, so
// the share of puts above 300 and above 1000 bytes can be compared with the
// distribution; the share of one-put transactions naming a live key is the
// in-place fraction plus the regular mix's updates (28 % of the rest).
TEST(WorkloadGenerator, ValueSizesAndInPlaceUpdatesFollowTheirOptions) {
  for (auto [exponent, fraction] : std::vector<std::pair<double, double>>{
           {1.0, 0.0}, {2.9, 0.835}, {2.0, 0.5}}) {
    SCOPED_TRACE(testing::Message()
                 << "exponent " << exponent << " fraction " << fraction);
    WorkloadOptions o;
    o.seed = 3;
    o.rate = 100;
    o.duration = absl::Hours(24 * 365);
    o.max_transactions = 60'000;
    o.initial_patients = 100;
    o.nightly_batch_hour = -1;
    o.value_size_exponent = exponent;
    o.in_place_update_fraction = fraction;
    WorkloadGenerator g(o);
    WorkloadEvent e;
    std::set<std::string> live;
    uint64_t txns = 0, puts = 0, above_300 = 0, above_1000 = 0, in_place = 0;
    while (g.Next(&e)) {
      ASSERT_EQ(e.kind, WorkloadEvent::Kind::kTransaction);
      ++txns;
      const auto& ms = e.txn.mutations;
      if (ms.size() == 1 && ms[0].type == MutationType::kPut &&
          live.count(ms[0].key)) {
        ++in_place;
      }
      for (const Mutation& m : ms) {
        if (m.type == MutationType::kDelete) {
          ASSERT_EQ(live.erase(m.key), 1u) << m.key;
          continue;
        }
        live.insert(m.key);
        ++puts;
        EXPECT_GE(m.value.size(), o.min_value_size);
        EXPECT_LE(m.value.size(), o.max_value_size);
        above_300 += m.value.size() > 300;
        above_1000 += m.value.size() > 1000;
      }
    }
    ASSERT_EQ(txns, 60'000u);
    // Within 5 standard deviations of a binomial count (and 0.2 %).
    auto expect_share = [](uint64_t count, uint64_t n, double p) {
      const double sd = std::sqrt(p * (1 - p) / n);
      EXPECT_NEAR(static_cast<double>(count) / n, p, 5 * sd + 0.002)
          << count << " of " << n;
    };
    expect_share(above_300, puts, TailAbove(o, 301));
    expect_share(above_1000, puts, TailAbove(o, 1001));
    // The first 100 transactions admit patients; the rest are 10 % deletes.
    expect_share(in_place, txns,
                 (1 - o.delete_fraction) * (fraction + (1 - fraction) * 0.28));
  }
}

TEST(WorkloadGenerator, RestorePointPrecedesTheNightlyBatch) {
  auto events = All(TwoQuietDays());
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].kind != WorkloadEvent::Kind::kRestorePoint) continue;
    EXPECT_EQ((events[i].commit_time - kDefaultWorkloadStart) % (24 * kHourNs),
              2 * kHourNs);
    // The batch: 200 transactions within the next 5 seconds.
    ASSERT_GT(events.size(), i + 200);
    EXPECT_LT(events[i + 200].commit_time - events[i].commit_time,
              5LL * 1000000000LL);
    for (size_t j = i + 1; j <= i + 200; ++j) {
      EXPECT_EQ(events[j].kind, WorkloadEvent::Kind::kTransaction);
    }
  }
}

TEST(WorkloadGenerator, DaysAreBusierThanNights) {
  auto events = All(TwoQuietDays());
  uint64_t day = 0, night = 0;  // Per hour: 08-18 (10 h) vs 00-05 (5 h).
  for (const WorkloadEvent& e : events) {
    int64_t hour = ((e.commit_time - kDefaultWorkloadStart) / kHourNs) % 24;
    if (hour >= 8 && hour < 18) ++day;
    // Nights without the 02:00 batch, which is not the organic rhythm.
    if (hour < 5 && hour != 2) ++night;
  }
  EXPECT_GT(static_cast<double>(day) / 10,
            5.0 * static_cast<double>(night) / 4);
}

TEST(WorkloadGenerator, AccessIsSkewedTowardsFewPatients) {
  auto events = All(TwoQuietDays());
  std::map<std::string, uint64_t> per_patient;
  uint64_t total = 0;
  for (const WorkloadEvent& e : events) {
    if (e.kind != WorkloadEvent::Kind::kTransaction) continue;
    ++per_patient[e.txn.mutations[0].key.substr(0, 17)];
    ++total;
  }
  std::vector<uint64_t> counts;
  for (auto& [k, n] : per_patient) counts.push_back(n);
  std::sort(counts.rbegin(), counts.rend());
  ASSERT_GT(counts.size(), 500u);
  uint64_t top10 = 0;
  for (int i = 0; i < 10; ++i) top10 += counts[i];
  // Uniform access would give the top 10 of >500 patients under 2%.
  EXPECT_GT(static_cast<double>(top10) / total, 0.10);
}

TEST(WorkloadGenerator, MaxTransactionsStopsEarly) {
  WorkloadOptions o = TwoQuietDays();
  o.max_transactions = 321;
  auto events = All(o);
  uint64_t txns = 0;
  for (auto& e : events) txns += e.kind == WorkloadEvent::Kind::kTransaction;
  EXPECT_EQ(txns, 321u);
}

}  // namespace
}  // namespace wayback
