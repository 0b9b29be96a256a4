// Copyright 2026 The Wayback Authors.
//
// Apply throughput of the state targets (not a test: prints figures). A
// synthetic clinical-style workload is encoded once into one buffer of
// transaction records, then applied to each target:
//   memory (1 partition; on-demand and incremental digest), memory with P
//   partitions applied from P threads (mutations pre-routed per partition,
//   as the replayer does), RocksDB direct (WriteBatch, WAL off) and RocksDB
//   staged (memory map, sorted SSTs ingested at Finish), plus LoadSnapshot of
//   the final state vs a bare SstFileWriter + ingest.
// Build in Release. Environment: WAYBACK_BENCH_MUTATIONS (default 2,000,000),
// WAYBACK_BENCH_KEYS (distinct keys; default mutations / 9.5, the issue's
// 5 M -> 526 k ratio), WAYBACK_BENCH_DIR (scratch dir; default /tmp),
// WAYBACK_BENCH_FILTER (run only the cases whose name contains it).

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "rocksdb/db.h"
#include "rocksdb/sst_file_writer.h"
#include "src/target/memory_target.h"
#include "src/util/coding.h"
#include "tests/target/target_test_util.h"
#include "wayback/rocksdb.h"
#include "wayback/state_target.h"

namespace wayback::testing {
namespace {

using Clock = std::chrono::steady_clock;
double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}
// CPU seconds of the whole process (all threads, RocksDB's background
// threads included): on a shared machine wall time mostly measures the
// neighbours, so both are printed.
double CpuNow() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}
double g_cpu_start = 0;

uint64_t EnvOr(const char* name, uint64_t def) {
  const char* v = std::getenv(name);
  return v ? std::strtoull(v, nullptr, 10) : def;
}

struct Workload {
  std::string buffer;
  std::vector<LogRecord> records;
  uint64_t mutations = 0;
};

// ~258 B per mutation: 24-byte keys, ~230-byte values, 5% deletes, 1-9
// mutations per transaction.
Workload Generate(uint64_t mutations, uint64_t keys) {
  Workload w;
  std::mt19937_64 rng(42);
  std::vector<std::pair<size_t, uint32_t>> spans;  // offset, count
  w.buffer.reserve(mutations * 262);
  std::string value(400, 'v');
  for (char& c : value) c = static_cast<char>('a' + rng() % 26);
  uint64_t done = 0;
  while (done < mutations) {
    uint32_t n = static_cast<uint32_t>(
        std::min<uint64_t>(1 + rng() % 9, mutations - done));
    size_t off = w.buffer.size();
    for (uint32_t i = 0; i < n; ++i) {
      char key[32];
      int klen = std::snprintf(key, sizeof(key), "patient/%08llu/obs%04llu",
                               static_cast<unsigned long long>(rng() % keys),
                               static_cast<unsigned long long>(rng() % 1));
      if (rng() % 20 == 0) {
        w.buffer.push_back(static_cast<char>(MutationType::kDelete));
        PutLengthPrefixed(&w.buffer, std::string_view(key, klen));
      } else {
        w.buffer.push_back(static_cast<char>(MutationType::kPut));
        PutLengthPrefixed(&w.buffer, std::string_view(key, klen));
        size_t vlen = 180 + rng() % 100;
        PutLengthPrefixed(&w.buffer,
                          std::string_view(value).substr(rng() % 100, vlen));
      }
    }
    spans.emplace_back(off, n);
    done += n;
  }
  w.mutations = done;
  for (size_t i = 0; i < spans.size(); ++i) {
    size_t end = i + 1 < spans.size() ? spans[i + 1].first : w.buffer.size();
    LogRecord r;
    r.lsn = i + 1;
    r.commit_time = static_cast<CommitTime>(i + 1);
    r.mutation_count = spans[i].second;
    r.encoded_mutations =
        std::string_view(w.buffer).substr(spans[i].first, end - spans[i].first);
    r.encoded_size = static_cast<uint32_t>(end - spans[i].first);
    w.records.push_back(r);
  }
  return w;
}

bool Selected(const char* name) {
  const char* f = std::getenv("WAYBACK_BENCH_FILTER");
  return f == nullptr || std::string(name).find(f) != std::string::npos;
}

void Report(const char* name, uint64_t mutations, double apply_s,
            double finish_s, const StateDigest& d, double cpu = -1) {
  if (cpu < 0) cpu = CpuNow() - g_cpu_start;
  std::printf(
      "%-32s wall: apply %6.3f s finish %6.3f s = %6.3f M mut/s | "
      "cpu %6.3f s = %6.3f M mut/cpu-s | %s\n",
      name, apply_s, finish_s, mutations / (apply_s + finish_s) / 1e6, cpu,
      mutations / cpu / 1e6, d.ToString().c_str());
  std::fflush(stdout);
}

// Applies ordered (ApplyTransaction), or pre-routed per partition from one
// thread each.
double ApplyTimed(StateTarget* t, const Workload& w, bool threaded) {
  const int n = t->partitions();
  if (!threaded || n <= 1) {
    g_cpu_start = CpuNow();
    auto start = Clock::now();
    for (const LogRecord& r : w.records) {
      if (!t->ApplyTransaction(r).ok()) std::abort();
    }
    return Seconds(start);
  }
  std::vector<std::vector<MutationView>> routed(n);
  for (const LogRecord& r : w.records) {
    auto it = r.mutations();
    MutationView m;
    while (it.Next(&m)) routed[PartitionOf(m.key, n)].push_back(m);
  }
  g_cpu_start = CpuNow();
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < n; ++p) {
    threads.emplace_back([&, p] {
      for (const MutationView& m : routed[p]) {
        if (!t->ApplyMutation(p, m).ok()) std::abort();
      }
    });
  }
  for (auto& th : threads) th.join();
  return Seconds(start);
}

void RunMemory(const char* name, const Workload& w, int parts,
               internal::DigestMode mode, bool threaded) {
  if (!Selected(name)) return;
  auto t = internal::NewMemoryTargetWithDigestMode(parts, mode);
  double a = ApplyTimed(t.get(), w, threaded);
  auto start = Clock::now();
  auto d = t->Digest();
  double f = Seconds(start);
  Report(name, w.mutations, a, f, *d);
}

void RunRocks(const char* name, const Workload& w, const std::string& dir,
              RocksDBTargetOptions o, bool threaded) {
  if (!Selected(name)) return;
  std::filesystem::remove_all(dir);
  auto t = OpenRocksDBTarget(dir, o);
  if (!t.ok()) {
    std::printf("%s: %s\n", name, t.status().ToString().c_str());
    return;
  }
  RestoreMarker m{"mem:", "latest", 1, 0, 0, false};
  if (!(*t)->Begin(m).ok()) std::abort();
  double a = ApplyTimed(t->get(), w, threaded);
  auto start = Clock::now();
  if (!(*t)->Finish(m).ok()) std::abort();
  double f = Seconds(start);
  const double cpu = CpuNow() - g_cpu_start;
  auto d = (*t)->Digest();
  Report(name, w.mutations, a, f, *d, cpu);
  t->reset();
  std::filesystem::remove_all(dir);
}

void RunSnapshotLoad(const Workload& w, const std::string& dir) {
  if (!Selected("snapshot load")) return;
  // The final state, as a snapshot would hold it.
  auto mem = NewMemoryTarget(1);
  for (const LogRecord& r : w.records) (void)mem->ApplyTransaction(r);
  Model model;
  (void)mem->ForEach([&](std::string_view k, std::string_view v) {
    model.emplace(std::string(k), std::string(v));
    return true;
  });
  mem.reset();
  FakeSnapshotReader snap(std::move(model), w.records.size());

  std::filesystem::remove_all(dir);
  auto t = OpenRocksDBTarget(dir);
  double cpu0 = CpuNow();
  auto start = Clock::now();
  if (!(*t)->LoadSnapshot(&snap).ok()) std::abort();
  double load = Seconds(start);
  double load_cpu = CpuNow() - cpu0;
  start = Clock::now();
  if (!(*t)->Finish({}).ok()) std::abort();
  double finish = Seconds(start);
  t->reset();
  std::filesystem::remove_all(dir);

  // Baseline: the same pairs through a bare SstFileWriter and one ingest.
  rocksdb::Options options;
  options.create_if_missing = true;
  rocksdb::DB* db = nullptr;
  if (!rocksdb::DB::Open(options, dir, &db).ok()) std::abort();
  cpu0 = CpuNow();
  start = Clock::now();
  {
    rocksdb::SstFileWriter writer(rocksdb::EnvOptions(), options);
    std::string file = dir + "/bulk.sst";
    if (!writer.Open(file).ok()) std::abort();
    auto it = snap.NewIterator();
    std::string_view k, v;
    while (it->Next(&k, &v)) {
      if (!writer
               .Put(rocksdb::Slice(k.data(), k.size()),
                    rocksdb::Slice(v.data(), v.size()))
               .ok()) {
        std::abort();
      }
    }
    if (!writer.Finish().ok()) std::abort();
    rocksdb::IngestExternalFileOptions io;
    io.move_files = true;
    if (!db->IngestExternalFile({file}, io).ok()) std::abort();
  }
  double raw = Seconds(start);
  double raw_cpu = CpuNow() - cpu0;
  delete db;
  std::filesystem::remove_all(dir);
  std::printf(
      "snapshot load of %llu pairs: LoadSnapshot %.3f s (cpu %.3f s) + "
      "Finish %.3f s; bare SstFileWriter+ingest %.3f s (cpu %.3f s); "
      "speed ratio wall %.2f, cpu %.2f\n",
      static_cast<unsigned long long>(snap.info().pair_count), load, load_cpu,
      finish, raw, raw_cpu, raw / load, raw_cpu / load_cpu);
}

int Main() {
  const uint64_t mutations = EnvOr("WAYBACK_BENCH_MUTATIONS", 2000000);
  const uint64_t keys = EnvOr("WAYBACK_BENCH_KEYS", mutations * 2 / 19 + 1);
  const char* base = std::getenv("WAYBACK_BENCH_DIR");
  const std::string dir =
      std::string(base ? base : "/tmp") + "/wayback-target-bench";
  auto gen = Clock::now();
  Workload w = Generate(mutations, keys);
  std::printf(
      "workload: %llu mutations, %zu transactions, %.1f MB raw, "
      "%llu key space, generated in %.2f s; %u hardware threads\n",
      static_cast<unsigned long long>(w.mutations), w.records.size(),
      w.buffer.size() / 1e6, static_cast<unsigned long long>(keys),
      Seconds(gen), std::thread::hardware_concurrency());
  using internal::DigestMode;
  RunMemory("memory 1p on-demand digest", w, 1, DigestMode::kOnDemand, false);
  RunMemory("memory 1p incremental digest", w, 1, DigestMode::kIncremental,
            false);
  RunMemory("memory 2p 2 threads", w, 2, DigestMode::kOnDemand, true);
  RunMemory("memory 4p 4 threads", w, 4, DigestMode::kOnDemand, true);
  RocksDBTargetOptions direct;
  RunRocks("rocksdb direct (1024 txn/batch)", w, dir, direct, false);
  RocksDBTargetOptions staged;
  staged.stage_in_memory = true;
  RunRocks("rocksdb staged 1p", w, dir, staged, false);
  staged.partitions = 2;
  RunRocks("rocksdb staged 2p 2 threads", w, dir, staged, true);
  staged.partitions = 1;
  staged.stage_memory_limit = 32 << 20;
  RunRocks("rocksdb staged 1p 32 MiB bound", w, dir, staged, false);
  RunSnapshotLoad(w, dir);
  return 0;
}

}  // namespace
}  // namespace wayback::testing

int main() { return wayback::testing::Main(); }
