// Copyright 2026 The Wayback Authors.
//
// The memory target: one hash table per partition. Apply speed is the point
// (it is the "raw apply ceiling" of issue 7), and a profile of a
// flat_hash_map<std::string, std::string> showed the time going to cache
// misses: the slot, then the key's heap buffer (memcmp), then the value's.
// So each pair is one heap block, [sizes | key | value with spare capacity],
// and the table is an absl::flat_hash_set of pointers to blocks: a lookup
// touches the 8-byte slot and one block, and an overwrite rewrites the value
// in place unless it outgrows the block's capacity.

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

#include "absl/container/flat_hash_set.h"
#include "absl/hash/hash.h"
#include "src/util/errors.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using internal::DigestMode;

// One key/value pair in one allocation. Capacity for the value is rounded up
// so that overwrites with values of similar size reuse the block.
struct Entry {
  uint32_t key_size;
  uint32_t value_size;
  uint32_t value_capacity;

  char* data() { return reinterpret_cast<char*>(this + 1); }
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }
  std::string_view key() const { return {data(), key_size}; }
  std::string_view value() const { return {data() + key_size, value_size}; }

  static size_t Capacity(size_t value_size) {
    return (value_size + 31) & ~size_t{31};
  }
  static Entry* New(std::string_view key, std::string_view value) {
    const size_t cap = Capacity(value.size());
    auto* e =
        static_cast<Entry*>(std::malloc(sizeof(Entry) + key.size() + cap));
    if (e == nullptr) throw std::bad_alloc();
    e->key_size = static_cast<uint32_t>(key.size());
    e->value_size = static_cast<uint32_t>(value.size());
    e->value_capacity = static_cast<uint32_t>(cap);
    std::memcpy(e->data(), key.data(), key.size());
    if (!value.empty())
      std::memcpy(e->data() + key.size(), value.data(), value.size());
    return e;
  }
  // Stores a new value; returns the (possibly moved) block.
  static Entry* Assign(Entry* e, std::string_view value) {
    if (value.size() > e->value_capacity) {
      // Grow by at least half, so a value that keeps growing is not
      // reallocated every time.
      const size_t cap = Capacity(std::max<size_t>(
          value.size(), e->value_capacity + e->value_capacity / 2));
      e = static_cast<Entry*>(
          std::realloc(e, sizeof(Entry) + e->key_size + cap));
      if (e == nullptr) throw std::bad_alloc();
      e->value_capacity = static_cast<uint32_t>(cap);
    }
    e->value_size = static_cast<uint32_t>(value.size());
    if (!value.empty())
      std::memcpy(e->data() + e->key_size, value.data(), value.size());
    return e;
  }
};

// Transparent hash and equality: look up by key bytes, store Entry*.
struct EntryHash {
  using is_transparent = void;
  size_t operator()(absl::string_view key) const {
    return absl::Hash<absl::string_view>()(key);
  }
  size_t operator()(const Entry* e) const { return (*this)(AV(e->key())); }
};
struct EntryEq {
  using is_transparent = void;
  static absl::string_view K(absl::string_view k) { return k; }
  static absl::string_view K(const Entry* e) { return AV(e->key()); }
  template <typename A, typename B>
  bool operator()(const A& a, const B& b) const {
    return K(a) == K(b);
  }
};
using Table = absl::flat_hash_set<Entry*, EntryHash, EntryEq>;

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
    for (Entry* e : table) std::free(e);
    Table().swap(table);
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
    std::vector<const Entry*> entries;
    size_t n = 0;
    for (int i = 0; i < n_; ++i) n += parts_[i].table.size();
    entries.reserve(n);
    for (int i = 0; i < n_; ++i) {
      for (const Entry* e : parts_[i].table) entries.push_back(e);
    }
    std::sort(
        entries.begin(), entries.end(),
        [](const Entry* a, const Entry* b) { return a->key() < b->key(); });
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
      Entry* moved = Entry::Assign(e, m.value);
      if (moved != e) {
        // Same key bytes, so the same hash and slot: replacing the pointer in
        // place keeps the table's invariants (the slot is not a const
        // object; the set merely does not offer mutation).
        const_cast<Entry*&>(*it) = moved;
        e = moved;
      }
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
