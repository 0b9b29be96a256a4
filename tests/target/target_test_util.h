// Copyright 2026 The Wayback Authors.
//
// Helpers for the state-target tests: hand-made log records (the mutation
// encoding of src/util/records.cc), an in-memory fake SnapshotReader, random
// histories and an independent model of the state they produce.

#ifndef WAYBACK_TESTS_TARGET_TARGET_TEST_UTIL_H_
#define WAYBACK_TESTS_TARGET_TARGET_TEST_UTIL_H_

#include <map>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "src/util/coding.h"
#include "wayback/snapshot.h"
#include "wayback/state_target.h"
#include "wayback/types.h"

namespace wayback::testing {

// Encodes mutations as a transaction record carries them: type byte, varint
// key length, key, and for puts varint value length and value.
inline std::string EncodeMutations(const std::vector<Mutation>& mutations) {
  std::string out;
  for (const Mutation& m : mutations) {
    out.push_back(static_cast<char>(m.type));
    PutLengthPrefixed(&out, m.key);
    if (m.type == MutationType::kPut) PutLengthPrefixed(&out, m.value);
  }
  return out;
}

// A transaction record that owns its bytes. Not movable once record() has
// been taken (the views point into `encoded`).
struct OwnedRecord {
  Lsn lsn = kNoLsn;
  CommitTime commit_time = 0;
  std::vector<Mutation> mutations;
  std::string encoded;

  LogRecord record() const {
    LogRecord r;
    r.type = RecordType::kTransaction;
    r.lsn = lsn;
    r.commit_time = commit_time;
    r.mutation_count = static_cast<uint32_t>(mutations.size());
    r.encoded_mutations = encoded;
    r.encoded_size = static_cast<uint32_t>(encoded.size());
    return r;
  }
};

inline OwnedRecord MakeRecord(Lsn lsn, std::vector<Mutation> mutations) {
  OwnedRecord r;
  r.lsn = lsn;
  r.commit_time = static_cast<CommitTime>(lsn) * 1000;
  r.mutations = std::move(mutations);
  r.encoded = EncodeMutations(r.mutations);
  return r;
}

using Model = std::map<std::string, std::string>;

inline void ApplyToModel(const OwnedRecord& r, Model* model) {
  for (const Mutation& m : r.mutations) {
    if (m.type == MutationType::kPut) {
      (*model)[m.key] = m.value;
    } else {
      model->erase(m.key);
    }
  }
}

// The digest of a model, computed from scratch.
inline StateDigest ModelDigest(const Model& model) {
  StateDigest d;
  for (const auto& [k, v] : model) d.Add(k, v);
  return d;
}

// A random history over a small key space (so keys are overwritten and
// deleted often), with binary keys, the empty key and empty values.
inline std::vector<OwnedRecord> RandomHistory(uint32_t seed, int transactions,
                                              Lsn first_lsn = 1,
                                              int key_space = 200) {
  std::mt19937_64 rng(seed);
  std::vector<OwnedRecord> out;
  out.reserve(transactions);
  for (int t = 0; t < transactions; ++t) {
    std::vector<Mutation> ms;
    int n = 1 + static_cast<int>(rng() % 8);
    for (int i = 0; i < n; ++i) {
      uint64_t k = rng() % key_space;
      std::string key;
      switch (k % 5) {
        case 0:  // Binary, with NUL and 0xff bytes.
          key = std::string("\0bin", 4) + static_cast<char>(k & 0xff) +
                std::string(1, '\xff');
          break;
        case 1:
          key = k == 1 ? std::string() : "key" + std::to_string(k);
          break;
        default:
          key = "user/" + std::to_string(k * 7919);
      }
      Mutation m;
      m.key = std::move(key);
      if (rng() % 4 == 0) {
        m.type = MutationType::kDelete;
      } else {
        m.type = MutationType::kPut;
        size_t len = rng() % 5 == 0 ? 0 : rng() % 300;
        m.value.resize(len);
        for (char& c : m.value) c = static_cast<char>(rng());
      }
      ms.push_back(std::move(m));
    }
    out.push_back(MakeRecord(first_lsn + t, std::move(ms)));
  }
  return out;
}

// A SnapshotReader over pairs held in memory (sorted by the caller).
class FakeSnapshotReader : public SnapshotReader {
 public:
  explicit FakeSnapshotReader(Model pairs, Lsn lsn = 0)
      : pairs_(std::move(pairs)) {
    info_.name = "snap/fake.snap";
    info_.lsn = lsn;
    info_.pair_count = pairs_.size();
    info_.digest = ModelDigest(pairs_);
  }
  SnapshotInfo& mutable_info() { return info_; }
  const SnapshotInfo& info() const override { return info_; }
  std::unique_ptr<SnapshotIterator> NewIterator() override {
    return std::make_unique<Iter>(pairs_.begin(), pairs_.end(), fail_after_);
  }
  std::unique_ptr<SnapshotIterator> NewRangeIterator(
      std::string_view begin, std::string_view end) override {
    auto lo = pairs_.lower_bound(std::string(begin));
    auto hi = end.empty() ? pairs_.end() : pairs_.lower_bound(std::string(end));
    return std::make_unique<Iter>(lo, hi, fail_after_);
  }
  absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) override {
    auto it = pairs_.find(std::string(key));
    if (it == pairs_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }
  absl::Status Verify() override { return absl::OkStatus(); }
  // Iterators stop with kDataLoss after n pairs (-1: never).
  void FailAfter(int n) { fail_after_ = n; }

 private:
  class Iter : public SnapshotIterator {
   public:
    Iter(Model::const_iterator it, Model::const_iterator end, int fail_after)
        : it_(it), end_(end), fail_after_(fail_after) {}
    bool Next(std::string_view* key, std::string_view* value) override {
      if (fail_after_ == 0) {
        status_ = absl::DataLossError("snap/fake.snap at offset 42: bad block");
        return false;
      }
      if (it_ == end_) return false;
      if (fail_after_ > 0) --fail_after_;
      *key = it_->first;
      *value = it_->second;
      ++it_;
      return true;
    }
    absl::Status status() const override { return status_; }

   private:
    Model::const_iterator it_, end_;
    int fail_after_;
    absl::Status status_;
  };

  Model pairs_;
  SnapshotInfo info_;
  int fail_after_ = -1;
};

}  // namespace wayback::testing

#endif  // WAYBACK_TESTS_TARGET_TARGET_TEST_UTIL_H_
