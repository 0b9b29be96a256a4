// Copyright 2026 The Wayback Authors.
//
// The memory target: one absl::flat_hash_map per partition. The hot path
// (Put/Delete of one MutationView) does one hash probe and, for an overwrite,
// reuses the existing value's storage; the only allocations are the map's own
// nodes and strings for new keys.

#include "src/target/memory_target.h"

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "src/util/errors.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using internal::DigestMode;

// One partition, padded to its own cache lines so that threads applying to
// neighbouring partitions do not share a line.
struct alignas(64) Partition {
  absl::flat_hash_map<std::string, std::string> map;
  StateDigest digest;  // kIncremental only.
};

class MemoryTarget final : public StateTarget {
 public:
  MemoryTarget(int partitions, DigestMode mode)
      : parts_(std::max(partitions, 1)), mode_(mode) {}

  absl::StatusOr<bool> IsEmpty() override {
    if (marker_.has_value()) return false;
    for (const Partition& p : parts_) {
      if (!p.map.empty()) return false;
    }
    return true;
  }

  absl::Status Clear() override {
    for (Partition& p : parts_) {
      // Swap with an empty map: clear() would keep the (possibly huge)
      // backing array.
      absl::flat_hash_map<std::string, std::string>().swap(p.map);
      p.digest = StateDigest();
    }
    marker_.reset();
    return absl::OkStatus();
  }

  absl::Status Begin(const RestoreMarker& marker) override {
    marker_ = marker;
    marker_->complete = false;
    return absl::OkStatus();
  }

  absl::Status Finish(const RestoreMarker& marker) override {
    marker_ = marker;
    marker_->complete = true;
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<RestoreMarker>> ReadMarker() override {
    return marker_;
  }

  absl::Status LoadSnapshot(SnapshotReader* snapshot) override {
    // Reserve the final size up front: no rehash while loading.
    const uint64_t per_part = snapshot->info().pair_count / parts_.size() + 1;
    for (Partition& p : parts_) p.map.reserve(p.map.size() + per_part);
    std::unique_ptr<SnapshotIterator> it = snapshot->NewIterator();
    std::string_view key, value;
    MutationView m;
    m.type = MutationType::kPut;
    // The pairs are checked against the snapshot's digest as they go by (a
    // hash per pair, cheap next to the insert).
    StateDigest digest;
    while (it->Next(&key, &value)) {
      digest.Add(key, value);
      m.key = key;
      m.value = value;
      Apply(PartFor(key), m);
    }
    WAYBACK_RETURN_IF_ERROR(it->status());
    if (!(digest == snapshot->info().digest)) {
      return absl::DataLossError(absl::StrCat(
          "snapshot ", AV(snapshot->info().name), ": pairs digest to ",
          digest.ToString(), " but the footer says ",
          snapshot->info().digest.ToString()));
    }
    return absl::OkStatus();
  }

  absl::Status ApplyTransaction(const LogRecord& record) override {
    auto it = record.mutations();
    MutationView m;
    uint32_t applied = 0;
    if (parts_.size() == 1) {
      Partition& p = parts_[0];
      while (it.Next(&m)) {
        Apply(p, m);
        ++applied;
      }
    } else {
      while (it.Next(&m)) {
        Apply(PartFor(m.key), m);
        ++applied;
      }
    }
    if (applied != record.mutation_count) return Malformed(record);
    return absl::OkStatus();
  }

  int partitions() const override { return static_cast<int>(parts_.size()); }

  absl::Status ApplyMutation(int partition, const MutationView& m) override {
    if (partition < 0 || partition >= static_cast<int>(parts_.size())) {
      return absl::InvalidArgumentError(
          absl::StrCat("memory target: partition ", partition,
                       " out of range [0, ", parts_.size(), ")"));
    }
    Apply(parts_[partition], m);
    return absl::OkStatus();
  }

  absl::StatusOr<StateDigest> Digest() override {
    StateDigest total;
    for (const Partition& p : parts_) {
      if (mode_ == DigestMode::kIncremental) {
        total.Merge(p.digest);
      } else {
        for (const auto& [k, v] : p.map) total.Add(k, v);
      }
    }
    return total;
  }

  absl::Status ForEach(
      const std::function<bool(std::string_view, std::string_view)>& fn)
      override {
    // Sorted on demand: pointers to the pairs, sorted by key.
    std::vector<const std::pair<const std::string, std::string>*> pairs;
    size_t n = 0;
    for (const Partition& p : parts_) n += p.map.size();
    pairs.reserve(n);
    for (const Partition& p : parts_) {
      for (const auto& kv : p.map) pairs.push_back(&kv);
    }
    std::sort(pairs.begin(), pairs.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    for (const auto* kv : pairs) {
      if (!fn(kv->first, kv->second)) break;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) override {
    const Partition& p = PartFor(key);
    auto it = p.map.find(AV(key));
    if (it == p.map.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second);
  }

 private:
  Partition& PartFor(std::string_view key) {
    return parts_[PartitionOf(key, static_cast<int>(parts_.size()))];
  }

  // The hot path. One probe for every case: find() then erase/assign, or
  // lazy_emplace() which constructs the node only when the key is absent.
  void Apply(Partition& p, const MutationView& m) {
    const absl::string_view key = AV(m.key);
    if (m.type == MutationType::kDelete) {
      auto it = p.map.find(key);
      if (it == p.map.end()) return;
      if (mode_ == DigestMode::kIncremental) {
        p.digest.Remove(it->first, it->second);
      }
      p.map.erase(it);
      return;
    }
    bool inserted = false;
    auto it = p.map.lazy_emplace(key, [&](const auto& ctor) {
      inserted = true;
      ctor(std::piecewise_construct, std::forward_as_tuple(m.key),
           std::forward_as_tuple(m.value));
    });
    if (!inserted) {
      if (mode_ == DigestMode::kIncremental) {
        p.digest.Remove(it->first, it->second);
      }
      // assign() reuses the old value's buffer when it is large enough.
      it->second.assign(m.value.data(), m.value.size());
    }
    if (mode_ == DigestMode::kIncremental) p.digest.Add(it->first, it->second);
  }

  static absl::Status Malformed(const LogRecord& record) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory target: malformed mutations in record at lsn ",
                     record.lsn, " (expected ", record.mutation_count, ")"));
  }

  std::vector<Partition> parts_;
  const DigestMode mode_;
  std::optional<RestoreMarker> marker_;
};

}  // namespace

namespace internal {
std::unique_ptr<StateTarget> NewMemoryTargetWithDigestMode(int partitions,
                                                           DigestMode mode) {
  return std::make_unique<MemoryTarget>(partitions, mode);
}
}  // namespace internal

std::unique_ptr<StateTarget> NewMemoryTarget(int partitions) {
  return internal::NewMemoryTargetWithDigestMode(partitions,
                                                 DigestMode::kOnDemand);
}

}  // namespace wayback
