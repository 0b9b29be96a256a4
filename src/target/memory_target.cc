// Copyright 2026 The Wayback Authors.
//
// The memory target: one packed hash table (packed_table.h) per partition.
// The hot path does one probe per mutation; the only allocations are the
// blocks of new keys (and of values that outgrow their block).
//
// The digest. A restore ends with Digest(), and hashing every live pair then
// is a second pass over the whole state with a cache miss per entry (0.45 s
// of a 1.9 s restore of 1 M mutations, profiled). In the incremental mode
// (the default) each entry keeps its pair's 128-bit digest term, computed
// when the pair is written, while its bytes are in cache; an overwrite or a
// delete subtracts the stored term, so nothing is ever rehashed, each
// partition's running sum is updated only by the thread applying that
// partition, and Digest() adds up one sum per partition.

#include "src/target/memory_target.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/target/packed_table.h"
#include "src/util/coding.h"
#include "src/util/digest.h"
#include "src/util/errors.h"
#include "wayback/state_target.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using internal::DigestMode;

using internal::Entry;
using internal::Table;

unsigned __int128 Sum(const StateDigest& d) {
  return (static_cast<unsigned __int128>(d.sum_high) << 64) | d.sum_low;
}
void SetSum(StateDigest* d, unsigned __int128 sum) {
  d->sum_low = static_cast<uint64_t>(sum);
  d->sum_high = static_cast<uint64_t>(sum >> 64);
}
unsigned __int128 TermOf(const Entry* e) {
  return (static_cast<unsigned __int128>(e->hash_high) << 64) | e->hash_low;
}
// Stores the pair's term in `e` and adds it to `d` (count unchanged).
void AddTerm(Entry* e, StateDigest* d) {
  const DigestTerm h = PairDigestTerm(e->key(), e->value());
  e->hash_low = h.low;
  e->hash_high = h.high;
  SetSum(d, Sum(*d) + TermOf(e));
}
void SubTerm(const Entry* e, StateDigest* d) { SetSum(d, Sum(*d) - TermOf(e)); }

// The entries of one partition come from an arena rather than malloc. A
// profile of partitioned replay showed glibc's malloc costing more than the
// hash table: a thread other than the main one allocates from a secondary
// arena, which grows its heap with an mprotect() system call every few
// entries, and every free() coalesces. Here blocks are carved from slabs
// (64 KiB doubling to 2 MiB, on ordinary pages: on a VM that hands free
// memory back to its host, huge pages for gigabytes of entries cost more to
// fault in than they save; the table's arrays are on huge pages, see
// packed_table.h); a freed block goes to the free list of its size class
// (multiples of kGrain up to kMaxSmall) for the next block of that size;
// larger entries use malloc.
// Dropping the target frees the slabs, not each entry.
class EntryArena {
 public:
  static constexpr size_t kGrain = 32;
  static constexpr size_t kMaxSmall = 16384;
  static constexpr size_t kMinSlab = 64 << 10;
  static constexpr size_t kMaxSlab = 2 << 20;

  EntryArena() = default;
  EntryArena(const EntryArena&) = delete;
  EntryArena& operator=(const EntryArena&) = delete;
  ~EntryArena() { ReleaseSlabs(); }

  // Like Entry::New: value capacity is whatever fills the block.
  Entry* New(std::string_view key, std::string_view value) {
    const size_t bytes = BlockBytes(key.size(), value.size());
    auto* e = static_cast<Entry*>(Allocate(bytes));
    e->key_size = static_cast<uint32_t>(key.size());
    e->value_size = static_cast<uint32_t>(value.size());
    e->value_capacity =
        static_cast<uint32_t>(bytes - sizeof(Entry) - key.size());
    e->flags = 0;
    e->hash_low = 0;
    e->hash_high = 0;
    std::memcpy(e->data(), key.data(), key.size());
    if (!value.empty()) {
      std::memcpy(e->data() + key.size(), value.data(), value.size());
    }
    return e;
  }

  // Like Entry::Assign: stores a new value, moving the entry (header and key
  // copied, old block freed) only if the value outgrows it, by at least half.
  Entry* Assign(Entry* e, std::string_view value) {
    if (value.size() > e->value_capacity) {
      const size_t want = std::max<size_t>(
          value.size(), e->value_capacity + e->value_capacity / 2);
      const size_t bytes = BlockBytes(e->key_size, want);
      auto* moved = static_cast<Entry*>(Allocate(bytes));
      std::memcpy(moved, e, sizeof(Entry) + e->key_size);
      moved->value_capacity =
          static_cast<uint32_t>(bytes - sizeof(Entry) - e->key_size);
      Free(e);
      e = moved;
    }
    e->value_size = static_cast<uint32_t>(value.size());
    if (!value.empty()) {
      std::memcpy(e->data() + e->key_size, value.data(), value.size());
    }
    return e;
  }

  void Free(Entry* e) {
    const size_t bytes = sizeof(Entry) + e->key_size + e->value_capacity;
    if (bytes > kMaxSmall) {
      --large_;
      std::free(e);
      return;
    }
    void** head = &free_[bytes / kGrain];
    *reinterpret_cast<void**>(e) = *head;
    *head = e;
  }

  // Frees everything: the slabs, and the large entries of `table` (the only
  // walk over entries, done only if there are large ones).
  void Reset(Table* table) {
    if (large_ > 0) {
      for (Entry* e : *table) {
        if (sizeof(Entry) + e->key_size + e->value_capacity > kMaxSmall) {
          std::free(e);
        }
      }
      large_ = 0;
    }
    Table().swap(*table);
    ReleaseSlabs();
  }

 private:
  static size_t BlockBytes(size_t key_size, size_t value_size) {
    return (sizeof(Entry) + key_size + value_size + kGrain - 1) & ~(kGrain - 1);
  }

  void* Allocate(size_t bytes) {
    if (bytes > kMaxSmall) {
      void* p = std::malloc(bytes);
      if (p == nullptr) throw std::bad_alloc();
      ++large_;
      return p;
    }
    void** head = &free_[bytes / kGrain];
    if (*head != nullptr) {
      void* p = *head;
      *head = *reinterpret_cast<void**>(p);
      return p;
    }
    if (static_cast<size_t>(end_ - cur_) < bytes) NewSlab();
    void* p = cur_;
    cur_ += bytes;
    return p;
  }

  void NewSlab() {
    // The tail of the old slab is not wasted: it goes to its size class.
    const size_t tail = static_cast<size_t>(end_ - cur_) & ~(kGrain - 1);
    if (tail >= kGrain) {
      void** head = &free_[tail / kGrain];
      *reinterpret_cast<void**>(cur_) = *head;
      *head = cur_;
    }
    const size_t size = next_slab_;
    next_slab_ = std::min(kMaxSlab, next_slab_ * 2);
    void* p = internal::MapPages(size);
    slabs_.push_back({p, size});
    cur_ = static_cast<char*>(p);
    end_ = cur_ + size;
  }

  void ReleaseSlabs() {
    for (const auto& [p, size] : slabs_) internal::UnmapPages(p, size);
    slabs_.clear();
    cur_ = end_ = nullptr;
    next_slab_ = kMinSlab;
    std::fill(std::begin(free_), std::end(free_), nullptr);
  }

  std::vector<std::pair<void*, size_t>> slabs_;  // Address, bytes.
  char* cur_ = nullptr;
  char* end_ = nullptr;
  size_t next_slab_ = kMinSlab;
  size_t large_ = 0;  // Live entries from malloc.
  void* free_[kMaxSmall / kGrain + 1] = {};
};

// One partition, padded to its own cache lines so that threads applying to
// neighbouring partitions do not share a line. Owns its entries.
struct alignas(64) Partition {
  Table table;
  EntryArena arena;
  StateDigest digest;  // kIncremental only.

  Partition() = default;
  Partition(const Partition&) = delete;
  Partition& operator=(const Partition&) = delete;
  ~Partition() { Reset(); }
  void Reset() {
    arena.Reset(&table);
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
    bool was_empty = true;
    for (int i = 0; i < n_; ++i) {
      was_empty = was_empty && parts_[i].table.empty();
      parts_[i].table.reserve(parts_[i].table.size() + per_part);
    }
    std::unique_ptr<SnapshotIterator> it = snapshot->NewIterator();
    std::string_view key, value;
    MutationView m;
    m.type = MutationType::kPut;
    // The pairs are checked against the snapshot's digest as they go by (a
    // hash per pair, cheap next to the insert). In the incremental mode the
    // entries' terms already are those hashes: loaded into an empty target,
    // the partitions' running digests add up to the pairs' digest.
    const bool from_terms = mode_ == DigestMode::kIncremental && was_empty;
    StateDigest digest;
    while (it->Next(&key, &value)) {
      if (!from_terms) digest.Add(key, value);
      m.key = key;
      m.value = value;
      Apply(PartFor(key), m);
    }
    WAYBACK_RETURN_IF_ERROR(it->status());
    if (from_terms) {
      for (int i = 0; i < n_; ++i) digest.Merge(parts_[i].digest);
    }
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

  // The replayer's calls: one virtual call per block, the loop inline, and
  // the table slots of the mutation kPrefetch ahead prefetched (the probes
  // are random reads of a table much larger than the caches).
  absl::Status ApplyTransactionBatch(
      std::span<const LogRecord> records) override {
    if (n_ != 1) return StateTarget::ApplyTransactionBatch(records);
    // Calls without partitions are serialized, so one scratch list serves.
    std::vector<MutationView>& v = batch_;
    v.clear();
    for (const LogRecord& r : records) {
      if (r.type != RecordType::kTransaction) continue;
      const size_t before = v.size();
      auto it = r.mutations();
      MutationView m;
      while (it.Next(&m)) v.push_back(m);
      if (v.size() - before != r.mutation_count) {
        // The records before it stay applied, as the contract says.
        v.resize(before);
        ApplyAll(parts_[0], v);
        return Malformed(r);
      }
    }
    ApplyAll(parts_[0], v);
    return absl::OkStatus();
  }

  int partitions() const override { return n_; }

  absl::Status ApplyMutation(int partition, const MutationView& m) override {
    WAYBACK_RETURN_IF_ERROR(CheckPartition(partition));
    Apply(parts_[partition], m);
    return absl::OkStatus();
  }

  absl::Status ApplyMutationBatch(
      int partition, std::span<const MutationView> mutations) override {
    WAYBACK_RETURN_IF_ERROR(CheckPartition(partition));
    ApplyAll(parts_[partition], mutations);
    return absl::OkStatus();
  }

  // Reserves the tables for the mutations to come (as if each were a new
  // key, up to kMaxExpected in all): growing a table rehashes every key, 10%
  // of a partitioned replay's time in a profile. The slots are 8-byte
  // pointers, so even the cap costs only ~100 MB.
  void ExpectMutations(uint64_t mutations) override {
    constexpr uint64_t kMaxExpected = uint64_t{8} << 20;
    const uint64_t per_part = std::min(mutations, kMaxExpected) / n_ + 1;
    for (int i = 0; i < n_; ++i) {
      parts_[i].table.reserve(parts_[i].table.size() + per_part);
    }
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

  absl::Status CheckPartition(int partition) const {
    if (partition < 0 || partition >= n_) {
      return absl::InvalidArgumentError(
          absl::StrCat("memory target: partition ", partition,
                       " out of range [0, ", n_, ")"));
    }
    return absl::OkStatus();
  }

  // The hot path: one probe for every case; lazy_emplace() allocates only
  // when the key is absent. In the incremental mode one hash of the new pair
  // (in cache: just copied) per put, none per delete.
  void Apply(Partition& p, const MutationView& m) {
    const absl::string_view key = AV(m.key);
    const bool incremental = mode_ == DigestMode::kIncremental;
    if (m.type == MutationType::kDelete) {
      auto it = p.table.find(key);
      if (it == p.table.end()) return;
      Entry* e = *it;
      if (incremental) {
        SubTerm(e, &p.digest);
        --p.digest.count;
      }
      p.table.erase(it);
      p.arena.Free(e);
      return;
    }
    bool inserted = false;
    auto it = p.table.lazy_emplace(key, [&](const auto& ctor) {
      inserted = true;
      ctor(p.arena.New(m.key, m.value));
    });
    Entry* e = *it;
    if (!inserted) {
      if (incremental) SubTerm(e, &p.digest);
      Entry* moved = p.arena.Assign(e, m.value);
      if (moved != e) {
        // Same key bytes, so the same hash and slot (see AssignValue).
        const_cast<Entry*&>(*it) = moved;
        e = moved;
      }
    } else if (incremental) {
      ++p.digest.count;
    }
    if (incremental) AddTerm(e, &p.digest);
  }

  static constexpr size_t kPrefetch = 8;
  void ApplyAll(Partition& p, std::span<const MutationView> ms) {
    const size_t n = ms.size();
    for (size_t i = 0; i < n; ++i) {
      if (i + kPrefetch < n) p.table.prefetch(AV(ms[i + kPrefetch].key));
      Apply(p, ms[i]);
    }
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
  std::vector<MutationView> batch_;  // ApplyTransactionBatch's scratch.
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
                                                 DigestMode::kIncremental);
}

}  // namespace wayback
