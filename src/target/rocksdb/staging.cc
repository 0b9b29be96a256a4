// Copyright 2026 The Wayback Authors.

#include "src/target/rocksdb/staging.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <new>
#include <utility>

#include "wayback/status.h"

namespace wayback::rocksdb_internal {

void Arena::Rewind() {
  used_ = 0;
  next_ = nullptr;
  left_ = 0;
  bytes_ = 0;
}

void Arena::Release() {
  for (const Chunk& c : chunks_) std::free(c.data);
  chunks_.clear();
  Rewind();
}

std::vector<char*> Arena::TakeChunks() {
  std::vector<char*> chunks;
  chunks.reserve(chunks_.size());
  for (const Chunk& c : chunks_) chunks.push_back(c.data);
  chunks_.clear();
  Rewind();
  return chunks;
}

void Arena::NextChunk(size_t n) {
  while (used_ < chunks_.size()) {
    const Chunk& c = chunks_[used_++];
    bytes_ += c.size;
    if (c.size >= n) {
      next_ = c.data;
      left_ = c.size;
      return;
    }
  }
  const size_t size = std::max(n, chunk_);
  char* c = static_cast<char*>(std::malloc(size));
  if (c == nullptr) throw std::bad_alloc();
  internal::PopulatePages(c, size);
  chunks_.push_back({c, size});
  used_ = chunks_.size();
  next_ = c;
  left_ = size;
  bytes_ += size;
}

absl::Status StagePartition::SpillRun(bool base_empty, ScratchDir* scratch) {
  if (table.empty()) return absl::OkStatus();
  const std::vector<SortItem> entries = SortedEntries(table, common);
  WAYBACK_RETURN_IF_ERROR(scratch->Create());
  RunWriter w;
  WAYBACK_RETURN_IF_ERROR(w.Open(scratch->NewFile(".run")));
  const bool keep_tombstones = !base_empty || !runs.empty();
  for (const SortItem& item : entries) {
    const internal::Entry* e = item.e;
    if ((e->flags & kTombstone) && !keep_tombstones) continue;
    WAYBACK_RETURN_IF_ERROR(w.Add(e->flags, e->key(), e->value()));
  }
  WAYBACK_ASSIGN_OR_RETURN(Run run, w.Close());
  // The next run will hold about as many keys: size the table for them now
  // rather than grow it step by step.
  const size_t keys = table.size();
  internal::Table().swap(table);
  table.reserve(keys);
  free_blocks.clear();
  arena.Rewind();
  bytes = 0;
  runs.push_back(std::move(run));
  return absl::OkStatus();
}

void StagePartition::Reset() {
  internal::Table().swap(table);
  free_blocks.clear();
  arena.Release();
  bytes = 0;
  first_key.clear();
  common = 0;
  seen = false;
  for (const Run& r : runs) std::remove(r.path.c_str());
  runs.clear();
}

void BackgroundRelease::Release(std::deque<StagePartition>* parts) {
  Wait();
  std::vector<internal::Table> tables;
  std::vector<char*> chunks;
  for (StagePartition& p : *parts) {
    tables.emplace_back(std::move(p.table));
    p.table = internal::Table();
    std::vector<char*> c = p.arena.TakeChunks();
    chunks.insert(chunks.end(), c.begin(), c.end());
    p.Reset();
  }
  thread_ = std::thread(
      [tables = std::move(tables), chunks = std::move(chunks)]() mutable {
        tables.clear();
        for (char* c : chunks) std::free(c);
      });
}

}  // namespace wayback::rocksdb_internal
