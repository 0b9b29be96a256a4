// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/snapshot_load.h"

#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "src/target/rocksdb/parallel_for.h"
#include "src/util/errors.h"
#include "wayback/status.h"

namespace wayback::rocksdb_internal {

absl::Status LoadSnapshotBlocks(SnapshotFile* file, size_t max_ranges,
                                SstSink* sink) {
  const size_t blocks = file->block_count();
  if (blocks == 0) {
    return file->CheckDigest(StateDigest());
  }
  const size_t k = std::min<size_t>(max_ranges, blocks);
  uint64_t total = 0;
  for (size_t i = 0; i < blocks; ++i) total += file->block(i).raw_size + 1;
  std::vector<size_t> bounds = {0};
  uint64_t acc = 0;
  for (size_t i = 0; i < blocks && bounds.size() < k; ++i) {
    acc += file->block(i).raw_size + 1;
    if (acc * k >= total * bounds.size()) bounds.push_back(i + 1);
  }
  if (bounds.back() != blocks) bounds.push_back(blocks);
  const size_t ranges = bounds.size() - 1;
  std::vector<std::unique_ptr<SstSeries>> series;
  std::vector<StateDigest> digests(ranges);
  std::vector<std::string> first(ranges), last(ranges);
  for (size_t r = 0; r < ranges; ++r) series.push_back(sink->NewSeries());
  const std::string& name = file->info().name;
  WAYBACK_RETURN_IF_ERROR(ParallelFor(ranges, [&](size_t r) -> absl::Status {
    SnapshotBlock block;
    std::string_view key, value;
    bool any = false;
    for (size_t i = bounds[r]; i < bounds[r + 1]; ++i) {
      WAYBACK_RETURN_IF_ERROR(file->ReadBlock(i, &block));
      auto it = block.pairs();
      while (it.Next(&key, &value)) {
        digests[r].Add(key, value);
        if (!any) {
          first[r].assign(key);
          any = true;
        }
        absl::Status s = series[r]->Put(key, value);
        if (!s.ok()) {
          if (absl::IsInvalidArgument(s)) {
            return absl::DataLossError(absl::StrCat("snapshot ", AV(name),
                                                    ": keys out of order in "
                                                    "block ",
                                                    i, ": ", s.message()));
          }
          return s;
        }
      }
      if (any && i + 1 == bounds[r + 1]) last[r].assign(key);
    }
    return series[r]->Close();
  }));
  StateDigest sum;
  for (const StateDigest& d : digests) sum.Merge(d);
  WAYBACK_RETURN_IF_ERROR(file->CheckDigest(sum));
  // Ranges must follow each other in key order for one ingestion.
  std::string prev_last;
  bool have_prev = false;
  for (size_t r = 0; r < ranges; ++r) {
    if (series[r]->files().empty()) continue;
    if (have_prev && !(prev_last < first[r])) {
      return absl::DataLossError(absl::StrCat(
          "snapshot ", AV(name), ": keys out of order at block ", bounds[r]));
    }
    prev_last = last[r];
    have_prev = true;
  }
  return sink->Ingest(series);
}

absl::Status LoadSnapshotRanges(SnapshotReader* snapshot,
                                const std::vector<std::string>& splits,
                                SstSink* sink) {
  const size_t ranges = splits.size() + 1;
  std::vector<std::unique_ptr<SstSeries>> series;
  std::vector<StateDigest> digests(ranges);
  for (size_t r = 0; r < ranges; ++r) series.push_back(sink->NewSeries());
  const std::string& name = snapshot->info().name;
  WAYBACK_RETURN_IF_ERROR(ParallelFor(ranges, [&](size_t r) -> absl::Status {
    std::unique_ptr<SnapshotIterator> it = snapshot->NewRangeIterator(
        r == 0 ? std::string_view() : std::string_view(splits[r - 1]),
        r + 1 == ranges ? std::string_view() : std::string_view(splits[r]));
    std::string_view key, value;
    while (it->Next(&key, &value)) {
      digests[r].Add(key, value);
      absl::Status s = series[r]->Put(key, value);
      if (!s.ok()) {
        if (absl::IsInvalidArgument(s)) {
          return absl::DataLossError(absl::StrCat("snapshot ", AV(name),
                                                  ": keys out of order in "
                                                  "range ",
                                                  r, ": ", s.message()));
        }
        return s;
      }
    }
    WAYBACK_RETURN_IF_ERROR(it->status());
    return series[r]->Close();
  }));
  // The ranges' digests add up to the state's; the chain records it.
  StateDigest sum;
  for (const StateDigest& d : digests) sum.Merge(d);
  if (!(sum == snapshot->info().digest)) {
    return absl::DataLossError(absl::StrCat(
        "snapshot ", AV(name), ": pairs digest to ", sum.ToString(),
        " but the chain records ", snapshot->info().digest.ToString()));
  }
  return sink->Ingest(series);
}

absl::Status LoadSnapshotPairs(SnapshotReader* snapshot, SstSink* sink) {
  std::unique_ptr<SnapshotIterator> it = snapshot->NewIterator();
  const std::string& name = snapshot->info().name;
  StateDigest digest;
  std::vector<std::unique_ptr<SstSeries>> series;
  series.push_back(sink->NewSeries());
  std::string_view key, value;
  while (it->Next(&key, &value)) {
    digest.Add(key, value);
    absl::Status s = series[0]->Put(key, value);
    if (!s.ok()) {
      if (absl::IsInvalidArgument(s)) {
        return absl::DataLossError(
            absl::StrCat("snapshot ", AV(name), ": keys out of order at pair ",
                         digest.count, ": ", s.message()));
      }
      return s;
    }
  }
  WAYBACK_RETURN_IF_ERROR(it->status());
  WAYBACK_RETURN_IF_ERROR(series[0]->Close());
  if (!(digest == snapshot->info().digest)) {
    return absl::DataLossError(absl::StrCat(
        "snapshot ", AV(name), ": pairs digest to ", digest.ToString(),
        " but the footer says ", snapshot->info().digest.ToString()));
  }
  return sink->Ingest(series);
}

}  // namespace wayback::rocksdb_internal
