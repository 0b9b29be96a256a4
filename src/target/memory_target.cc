// Copyright 2026 The Wayback Authors.
//
// The memory target: one packed hash table (packed_table.h) per partition.
// The hot path does one probe per mutation; the only allocations are the
// blocks of new keys (and of values that outgrow their block).

#include "src/target/memory_target.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/target/packed_table.h"
#include "src/util/errors.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using internal::DigestMode;

using internal::AssignValue;
using internal::Entry;
using internal::FreeAll;
using internal::Table;

// One partition, padded to its own cache lines so that threads applying to
// neighbouring partitions do not share a line. Owns its entries.
struct alignas(64) Partition {
  Table table;
  StateDigest digest;  // kIncremental only.

  Partition() = default;
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;
  ~Partition() { Reset(); }
  void Reset() {
    FreeAll(&table);
    digest = StateDigest();
  }
};

class MemoryTarget final : public StateTarget {
 public:
  MemoryTarget(int partitions, DigestMode mode)
      : n_(std::max(partitions, 1)),
        parts_(std::make_unique<Partition[]>(n_)),
        mode_(mode) {}

  absl::StatusOr<bool> IsEmpty() override {
    if (marker_.has_value()) return false;
    for (int i = 0; i < n_; ++i) {
      if (!parts_[i].table.empty()) return false;
    }
    return true;
  }

  absl::Status Clear() override {
    for (int i = 0; i < n_; ++i) parts_[i].Reset();
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
    const uint64_t per_part = snapshot->info().pair_count / n_ + 1;
    for (int i = 0; i < n_; ++i) {
      parts_[i].table.reserve(parts_[i].table.size() + per_part);
    }
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
    if (n_ == 1) {
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

  int partitions() const override { return n_; }

  absl::Status ApplyMutation(int partition, const MutationView& m) override {
    if (partition < 0 || partition >= n_) {
      return absl::InvalidArgumentError(
          absl::StrCat("memory target: partition ", partition,
                       " out of range [0, ", n_, ")"));
    }
    Apply(parts_[partition], m);
    return absl::OkStatus();
  }

  absl::StatusOr<StateDigest> Digest() override {
    StateDigest total;
    for (int i = 0; i < n_; ++i) {
      const Partition& p = parts_[i];
      if (mode_ == DigestMode::kIncremental) {
        total.Merge(p.digest);
      } else {
        for (const Entry* e : p.table) total.Add(e->key(), e->value());
      }
    }
    return total;
  }

  absl::Status ForEach(
      const std::function<bool(std::string_view, std::string_view)>& fn)
      override {
    // Sorted on demand: pointers to the pairs, sorted by key.
    std::vector<const Table*> tables;
    for (int i = 0; i < n_; ++i) tables.push_back(&parts_[i].table);
    std::vector<const Entry*> entries =
        internal::SortedEntries(tables.data(), tables.size());
    for (const Entry* e : entries) {
      if (!fn(e->key(), e->value())) break;
    }
    return absl::OkStatus();
  }

  absl::StatusOr<std::optional<std::string>> Get(
      std::string_view key) override {
    const Partition& p = PartFor(key);
    auto it = p.table.find(AV(key));
    if (it == p.table.end()) return std::optional<std::string>();
    return std::optional<std::string>((*it)->value());
  }

 private:
  Partition& PartFor(std::string_view key) {
    return parts_[PartitionOf(key, n_)];
  }

  // The hot path: one probe for every case; lazy_emplace() allocates only
  // when the key is absent.
  void Apply(Partition& p, const MutationView& m) {
    const absl::string_view key = AV(m.key);
    if (m.type == MutationType::kDelete) {
      auto it = p.table.find(key);
      if (it == p.table.end()) return;
      Entry* e = *it;
      if (mode_ == DigestMode::kIncremental)
        p.digest.Remove(e->key(), e->value());
      p.table.erase(it);
      std::free(e);
      return;
    }
    bool inserted = false;
    auto it = p.table.lazy_emplace(key, [&](const auto& ctor) {
      inserted = true;
      ctor(Entry::New(m.key, m.value));
    });
    Entry* e = *it;
    if (!inserted) {
      if (mode_ == DigestMode::kIncremental)
        p.digest.Remove(e->key(), e->value());
      e = AssignValue(it, m.value);
    }
    if (mode_ == DigestMode::kIncremental) p.digest.Add(e->key(), e->value());
  }

  static absl::Status Malformed(const LogRecord& record) {
    return absl::InvalidArgumentError(
        absl::StrCat("memory target: malformed mutations in record at lsn ",
                     record.lsn, " (expected ", record.mutation_count, ")"));
  }

  const int n_;
  std::unique_ptr<Partition[]> parts_;
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
