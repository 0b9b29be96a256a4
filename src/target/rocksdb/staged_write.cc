// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/staged_write.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "src/target/rocksdb/parallel_for.h"
#include "src/target/rocksdb/rocksdb_status.h"
#include "src/target/rocksdb/sort_merge.h"
#include "wayback/status.h"

namespace wayback::rocksdb_internal {
namespace {

// Finds the values RocksDB holds for increasing keys (the old value of each
// key a range writer replaces, for the digest): one iterator that walks
// forward a few steps and seeks when the next key is further away.
class BaseCursor {
 public:
  explicit BaseCursor(rocksdb::Iterator* it) : it_(it) {}
  absl::StatusOr<std::optional<std::string_view>> Find(std::string_view key) {
    const rocksdb::Slice k(key);
    if (!started_) {
      it_->Seek(k);
      started_ = true;
    } else {
      int steps = 0;
      while (it_->Valid() && it_->key().compare(k) < 0) {
        if (++steps > 8) {
          it_->Seek(k);
          break;
        }
        it_->Next();
      }
    }
    if (!it_->status().ok()) {
      return FromRocksDB(it_->status(),
                         "rocksdb target: reading the existing state");
    }
    if (it_->Valid() && it_->key() == k) {
      return std::optional<std::string_view>(it_->value().ToStringView());
    }
    return std::optional<std::string_view>();
  }

 private:
  rocksdb::Iterator* it_;
  bool started_ = false;
};

}  // namespace

absl::StatusOr<std::vector<StateDigest>> WriteStagedState(
    const std::deque<StagePartition>& stage, const StagedWriteOptions& options,
    SstSink* sink) {
  const size_t parts = stage.size();

  // Bytes every staged key starts with.
  size_t from = 0;
  {
    const std::string* ref = nullptr;
    for (const StagePartition& p : stage) {
      if (!p.seen) continue;
      if (ref == nullptr) {
        from = p.common;
        ref = &p.first_key;
      } else {
        from = std::min({from, p.common, CommonPrefix(*ref, p.first_key)});
      }
    }
  }

  // Range boundaries from a sample of the keys (the tables iterate in
  // hash order: a sample without a sort).
  uint64_t total = 0;
  for (const StagePartition& p : stage) {
    total += p.table.size();
    for (const Run& r : p.runs) total += r.entries;
  }
  std::vector<std::string> cuts;
  const size_t k = options.ranges;
  if (k > 1 && total >= 4096) {
    std::vector<std::string_view> sample;
    for (const StagePartition& p : stage) {
      const size_t step = std::max<size_t>(1, p.table.size() / (64 * k));
      size_t j = 0;
      for (const Entry* e : p.table) {
        if (j++ % step == 0) sample.push_back(e->key());
      }
      for (const Run& r : p.runs) {
        for (const RunIndexEntry& e : r.index) sample.push_back(e.key);
      }
    }
    std::sort(sample.begin(), sample.end());
    for (size_t j = 1; j < k; ++j) {
      std::string_view c = sample[j * sample.size() / k];
      if (c.empty() || (!cuts.empty() && c <= cuts.back())) continue;
      cuts.emplace_back(c);
    }
  }
  const size_t ranges = cuts.size() + 1;
  std::vector<SortItem> cut_slices(cuts.size());
  for (size_t c = 0; c < cuts.size(); ++c) {
    LoadSlice(cuts[c], from, &cut_slices[c]);
  }
  // Whether the item's key sorts before cut c.
  auto before_cut = [&](const SortItem& it, size_t c) {
    const int cmp = CompareSlices(it, cut_slices[c]);
    if (cmp != 0 || it.rest <= kSliceBytes) return cmp < 0;
    const size_t past = from + kSliceBytes;
    return it.e->key().substr(past) < std::string_view(cuts[c]).substr(past);
  };

  // Each partition's entries, their first slice loaded, grouped by range:
  // range r of partition i is items[i][bounds[i][r], bounds[i][r + 1]).
  std::vector<std::vector<SortItem>> items(parts);
  std::vector<std::vector<size_t>> bounds(parts);
  WAYBACK_RETURN_IF_ERROR(ParallelFor(parts, [&](size_t i) {
    std::vector<SortItem>& v = items[i];
    v.reserve(stage[i].table.size());
    for (const Entry* e : ByAddress(stage[i].table)) {
      v.push_back({{}, 0, 0, e});
    }
    std::vector<size_t> count(ranges + 1, 0);
    constexpr size_t kAhead = 12;
    for (size_t j = 0; j < v.size(); ++j) {
      if (j + kAhead < v.size()) {
        __builtin_prefetch(v[j + kAhead].e->data() + from);
      }
      SortItem& it = v[j];
      LoadSlice(it.e->key(), from, &it);
      size_t lo = 0, hi = cuts.size();
      while (lo < hi) {
        const size_t mid = (lo + hi) / 2;
        if (before_cut(it, mid)) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
      it.range = static_cast<uint32_t>(lo);
      ++count[lo];
    }
    // Group by range in place (each item moves at most once).
    std::vector<size_t>& b = bounds[i];
    b.assign(ranges + 1, 0);
    for (size_t r = 0; r < ranges; ++r) b[r + 1] = b[r] + count[r];
    std::vector<size_t> head(b.begin(), b.end() - 1);
    for (size_t r = 0; r < ranges; ++r) {
      while (head[r] < b[r + 1]) {
        SortItem& it = v[head[r]];
        if (it.range == r) {
          ++head[r];
        } else {
          std::swap(it, v[head[it.range]++]);
        }
      }
    }
    return absl::OkStatus();
  }));

  std::vector<std::unique_ptr<SstSeries>> series;
  for (size_t r = 0; r < ranges; ++r) {
    series.push_back(sink->NewSeries());
  }
  std::vector<StateDigest> digests(ranges);
  const bool track_old = options.base != nullptr;
  const bool keep_tombstones = options.keep_tombstones;
  // Iterators over the database as it is before this ingestion.
  const rocksdb::Snapshot* before =
      track_old ? options.base->GetSnapshot() : nullptr;
  auto write_range = [&](size_t r) -> absl::Status {
    std::optional<std::string> lo, hi;
    if (r > 0) lo = cuts[r - 1];
    if (r + 1 < ranges) hi = cuts[r];
    std::vector<MergeSource> sources;
    for (size_t i = 0; i < parts; ++i) {
      sources.emplace_back(items[i].data() + bounds[i][r],
                           items[i].data() + bounds[i][r + 1]);
      const std::vector<Run>& runs = stage[i].runs;
      for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
        auto reader = std::make_unique<RunReader>(&*it);
        WAYBACK_RETURN_IF_ERROR(reader->SeekTo(lo ? *lo : ""));
        sources.emplace_back(std::move(reader), hi);
      }
    }
    for (MergeSource& s : sources) WAYBACK_RETURN_IF_ERROR(s.Advance());
    std::unique_ptr<rocksdb::Iterator> base_it;
    std::optional<BaseCursor> base;
    if (track_old) {
      rocksdb::ReadOptions ro;
      ro.snapshot = before;
      base_it.reset(options.base->NewIterator(ro, options.base_cf));
      base.emplace(base_it.get());
    }
    SstSeries& out = *series[r];
    StateDigest& d = digests[r];
    for (;;) {
      // The smallest key; on a tie the earlier source (newer) wins.
      MergeSource* best = nullptr;
      for (MergeSource& s : sources) {
        if (s.valid() && (best == nullptr || s.key() < best->key())) {
          best = &s;
        }
      }
      if (best == nullptr) break;
      const std::string_view key = best->key();
      const bool tombstone = best->flags() & kTombstone;
      if (base) {
        WAYBACK_ASSIGN_OR_RETURN(std::optional<std::string_view> old,
                                 base->Find(key));
        if (old) d.Remove(key, *old);
      }
      if (!tombstone) {
        WAYBACK_RETURN_IF_ERROR(out.Put(key, best->value()));
        d.Add(key, best->value());
      } else if (keep_tombstones) {
        WAYBACK_RETURN_IF_ERROR(out.Delete(key));
      }
      // Older versions of the same key are superseded; advance `best`
      // last, as its key view dies with it.
      for (MergeSource& s : sources) {
        if (&s != best && s.valid() && s.key() == key) {
          WAYBACK_RETURN_IF_ERROR(s.Advance());
        }
      }
      WAYBACK_RETURN_IF_ERROR(best->Advance());
    }
    return out.Close();
  };
  // Tasks in the order sort 0, sort 1, write 0, sort 2, write 1, ...: the
  // threads that take them are staggered, some sorting while others wait
  // for the device (taken in turn, sorts and writes of every range at
  // once left the cores idle while all writes waited).
  std::vector<std::pair<bool, size_t>> tasks;  // (write?, range)
  for (size_t r = 0; r < ranges; ++r) {
    tasks.emplace_back(false, r);
    if (r > 0) tasks.emplace_back(true, r - 1);
  }
  tasks.emplace_back(true, ranges - 1);
  std::mutex mu;
  std::condition_variable sorted_cv;
  std::vector<char> sorted(ranges, 0);
  std::atomic<size_t> next_task{0};
  std::atomic<bool> failed{false};  // Set under `mu`.
  absl::Status st = ParallelFor(
      std::min(ranges, options.writers), [&](size_t) -> absl::Status {
        for (size_t t = next_task++; t < tasks.size(); t = next_task++) {
          // Not a structured binding: clang 14 cannot capture one in the
          // lambda below.
          const bool write = tasks[t].first;
          const size_t r = tasks[t].second;
          if (!write) {
            if (!failed) {
              for (size_t i = 0; i < parts; ++i) {
                SortLoaded(items[i].data() + bounds[i][r],
                           items[i].data() + bounds[i][r + 1], from);
              }
            }
            std::lock_guard<std::mutex> l(mu);
            sorted[r] = 1;
            sorted_cv.notify_all();
            continue;
          }
          {
            // A failed write wakes the writers waiting for a sort that
            // was taken, and then skipped, after the failure.
            std::unique_lock<std::mutex> l(mu);
            sorted_cv.wait(l, [&] { return failed || sorted[r] != 0; });
            if (failed) return absl::OkStatus();
          }
          absl::Status s = write_range(r);
          if (!s.ok()) {
            std::lock_guard<std::mutex> l(mu);
            failed = true;
            sorted_cv.notify_all();
            return s;
          }
        }
        return absl::OkStatus();
      });
  if (before != nullptr) options.base->ReleaseSnapshot(before);
  WAYBACK_RETURN_IF_ERROR(st);
  WAYBACK_RETURN_IF_ERROR(sink->Ingest(series));
  return digests;
}

}  // namespace wayback::rocksdb_internal
