// Copyright 2026 The Wayback Authors.
//
// Log benchmarks on a realistic workload: keys like
// patient/000123456/encounter/0042 drawn Zipf-skewed, JSON-like values of
// 100-2000 bytes, 1-20 mutations per transaction, ~10 % deletes, fixed seeds.
//
//   BM_Write/<level>        buffered LogWriter into memory: MB/s of raw log,
//                           txns/s, and the compression ratio per zstd level
//   BM_Read                 LogReader (read + verify + decompress + decode +
//                           walk every mutation): raw MB/s and mutations/s
//   BM_UnpackBlocks         the same blocks already in memory through the
//                           block codec (verify + decompress + decode)
//   BM_ZstdCeiling          plain ZSTD_decompressDCtx of the same payloads
//   BM_SyncedAppend/<n>     n concurrent committers, kSync, a real local
//                           directory (fdatasync): txns/s, p50/p99 latency
//
// Run in a Release build: build-log-release/bench/log_bench.
// The read benchmarks use the internal block codec (src/log/block.h) and zstd
// directly: the ceiling needs the raw frames.

#include <zstd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "benchmark/benchmark.h"
#include "src/log/block.h"
#include "src/log/segment_format.h"
#include "wayback/log.h"

namespace wayback {
namespace {

constexpr CommitTime kT0 = 1'767'225'600'000'000'000;

// Zipf(s) over [0, n) by inverse CDF.
class Zipf {
 public:
  Zipf(size_t n, double s) : cdf_(n) {
    double sum = 0;
    for (size_t i = 0; i < n; ++i)
      cdf_[i] = (sum += 1.0 / std::pow(i + 1.0, s));
    for (double& c : cdf_) c /= sum;
  }
  size_t operator()(std::mt19937_64& rng) {
    double u = std::uniform_real_distribution<double>(0, 1)(rng);
    return std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
  }

 private:
  std::vector<double> cdf_;
};

const char* const kWords[] = {
    "patient",  "reports",    "mild",       "pain",       "follow-up",
    "in",       "two",        "weeks",      "blood",      "pressure",
    "normal",   "prescribed", "metformin",  "500mg",      "daily",
    "allergy",  "penicillin", "denies",     "fever",      "cough",
    "history",  "of",         "type",       "2",          "diabetes",
    "referred", "to",         "cardiology", "labs",       "ordered",
    "HbA1c",    "7.2%",       "stable",     "discharged", "home",
    "with"};

std::string JsonValue(std::mt19937_64& rng, uint64_t patient, int enc) {
  const size_t target = 100 + rng() % 1901;
  std::string v =
      "{\"patient\":\"" + std::to_string(patient) +
      "\",\"encounter\":" + std::to_string(enc) +
      ",\"ts\":" + std::to_string(kT0 / 1000000000 + rng() % 10000000) +
      ",\"codes\":[\"E11." + std::to_string(rng() % 10) +
      "\",\"I10\"],\"vitals\":{\"bp\":\"" + std::to_string(100 + rng() % 60) +
      "/" + std::to_string(60 + rng() % 40) +
      "\",\"hr\":" + std::to_string(50 + rng() % 70) + "},\"note\":\"";
  while (v.size() + 2 < target) {
    v += kWords[rng() % (sizeof(kWords) / sizeof(kWords[0]))];
    v += ' ';
  }
  v += "\"}";
  return v;
}

// The workload: a fixed list of transactions (seed 42).
const std::vector<Transaction>& Workload(size_t n = 20000) {
  static std::vector<Transaction>* w = [n] {
    auto* out = new std::vector<Transaction>;
    std::mt19937_64 rng(42);
    Zipf zipf(200000, 1.1);
    char key[64];
    for (size_t i = 0; i < n; ++i) {
      Transaction t;
      t.txid = i + 1;
      const int muts = 1 + static_cast<int>(rng() % 20);
      for (int m = 0; m < muts; ++m) {
        const uint64_t patient = 100000000 + zipf(rng);
        const int enc = static_cast<int>(rng() % 100);
        std::snprintf(key, sizeof(key), "patient/%09llu/encounter/%04d",
                      static_cast<unsigned long long>(patient), enc);
        if (rng() % 10 == 0) {
          t.Delete(key);
        } else {
          t.Put(key, JsonValue(rng, patient, enc));
        }
      }
      out->push_back(std::move(t));
    }
    return out;
  }();
  return *w;
}

// Writes the workload to `s` at `level`; returns the stored bytes.
uint64_t WriteLog(Storage* s, int level, benchmark::State* state) {
  ManualClock clock(kT0);
  LogWriterOptions o;
  o.durability = Durability::kBuffered;
  o.compression_level = level;
  o.segment_max_age = absl::InfiniteDuration();
  o.clock = &clock;
  auto w = LogWriter::Open(s, o);
  if (!w.ok()) {
    if (state) state->SkipWithError(w.status().ToString().c_str());
    return 0;
  }
  for (const Transaction& t : Workload()) {
    clock.Advance(1000);
    if (!(*w)->Append(t).ok()) {
      if (state) state->SkipWithError("append failed");
      return 0;
    }
  }
  if (!(*w)->Close().ok() && state) state->SkipWithError("close failed");
  uint64_t stored = 0;
  auto list = s->List("log/");
  if (list.ok()) {
    for (const auto& o : *list) stored += o.size;
  }
  return stored;
}

void BM_Write(benchmark::State& state) {
  const int level = static_cast<int>(state.range(0));
  const auto& w = Workload();
  uint64_t stored = 0, raw_log = 0;
  for (auto _ : state) {
    state.PauseTiming();
    auto s = NewMemoryStorage();
    state.ResumeTiming();
    stored = WriteLog(s.get(), level, &state);
    state.PauseTiming();
    raw_log = 0;
    auto list = s->List("log/");
    for (const auto& o : *list) {
      if (auto info = ReadSegmentInfo(s.get(), o.name); info.ok()) {
        raw_log += info->raw_bytes;
      }
    }
    state.ResumeTiming();
  }
  state.SetBytesProcessed(state.iterations() * raw_log);
  state.SetItemsProcessed(state.iterations() * w.size());
  state.counters["ratio"] = static_cast<double>(raw_log) / stored;
  state.counters["raw_MB"] = raw_log / 1e6;
  state.counters["stored_MB"] = stored / 1e6;
}
BENCHMARK(BM_Write)->Arg(1)->Arg(3)->Arg(6)->Arg(9)->Unit(
    benchmark::kMillisecond);

Storage* ReadFixture() {
  static Storage* s = [] {
    auto* st = NewMemoryStorage().release();
    WriteLog(st, 3, nullptr);
    return st;
  }();
  return s;
}

void BM_Read(benchmark::State& state) {
  Storage* s = ReadFixture();
  uint64_t raw = 0, mutations = 0;
  for (auto _ : state) {
    raw = mutations = 0;
    auto r = LogReader::Open(s, {});
    if (!r.ok()) {
      state.SkipWithError(r.status().ToString().c_str());
      return;
    }
    while (true) {
      auto rec = (*r)->Next();
      if (!rec.ok()) {
        state.SkipWithError(rec.status().ToString().c_str());
        return;
      }
      if (*rec == nullptr) break;
      raw += (*rec)->encoded_size;
      auto it = (*rec)->mutations();
      MutationView m;
      while (it.Next(&m)) {
        benchmark::DoNotOptimize(m.value.data());
        ++mutations;
      }
    }
  }
  state.SetBytesProcessed(state.iterations() * raw);
  state.SetItemsProcessed(state.iterations() * mutations);
}
BENCHMARK(BM_Read)->Unit(benchmark::kMillisecond);

struct StoredBlock {
  log_format::BlockHeader header;
  std::string bytes;  // Header + payload.
};

const std::vector<StoredBlock>& Blocks() {
  static std::vector<StoredBlock>* blocks = [] {
    auto* out = new std::vector<StoredBlock>;
    Storage* s = ReadFixture();
    auto list = s->List("log/");
    for (const auto& o : *list) {
      auto info = ReadSegmentInfo(s, o.name);
      auto data = s->ReadAll(o.name);
      if (!info.ok() || !data.ok()) continue;
      for (const BlockInfo& b : info->blocks) {
        StoredBlock sb;
        sb.bytes = data->substr(b.offset, b.stored_size);
        if (log_format::DecodeBlockHeader(o.name, b.offset, sb.bytes,
                                          b.format_version, &sb.header)
                .ok()) {
          out->push_back(std::move(sb));
        }
      }
    }
    return out;
  }();
  return *blocks;
}

void BM_UnpackBlocks(benchmark::State& state) {
  const auto& blocks = Blocks();
  ZstdDecompressor dec;
  log_format::DecodedBlock d;
  uint64_t raw = 0, mutations = 0;
  for (auto _ : state) {
    raw = mutations = 0;
    for (const StoredBlock& b : blocks) {
      absl::Status s = log_format::UnpackBlock(
          "bench", 0, b.header,
          std::string_view(b.bytes).substr(b.header.size()), &dec, &d);
      if (!s.ok()) {
        state.SkipWithError(s.ToString().c_str());
        return;
      }
      raw += b.header.raw_size;
      mutations += d.mutation_count;
    }
  }
  state.SetBytesProcessed(state.iterations() * raw);
  state.SetItemsProcessed(state.iterations() * mutations);
  state.counters["blocks"] = static_cast<double>(blocks.size());
}
BENCHMARK(BM_UnpackBlocks)->Unit(benchmark::kMillisecond);

void BM_ZstdCeiling(benchmark::State& state) {
  const auto& blocks = Blocks();
  ZSTD_DCtx* ctx = ZSTD_createDCtx();
  std::string out;
  uint64_t raw = 0;
  for (auto _ : state) {
    raw = 0;
    for (const StoredBlock& b : blocks) {
      std::string_view payload =
          std::string_view(b.bytes).substr(b.header.size());
      out.resize(b.header.raw_size);
      if (b.header.codec == log_format::Codec::kZstd) {
        size_t n = ZSTD_decompressDCtx(ctx, out.data(), out.size(),
                                       payload.data(), payload.size());
        if (ZSTD_isError(n)) {
          state.SkipWithError("zstd");
          break;
        }
      } else {
        std::memcpy(out.data(), payload.data(), payload.size());
      }
      benchmark::DoNotOptimize(out.data());
      raw += b.header.raw_size;
    }
  }
  ZSTD_freeDCtx(ctx);
  state.SetBytesProcessed(state.iterations() * raw);
}
BENCHMARK(BM_ZstdCeiling)->Unit(benchmark::kMillisecond);

// n committers, each appending its share of 2000 transactions (the first
// 2000 of the workload) in synced mode to a real local directory.
void BM_SyncedAppend(benchmark::State& state) {
  const int threads = static_cast<int>(state.range(0));
  const int total = 2000;
  const auto& w = Workload();
  std::vector<double> lat;
  uint64_t raw = 0;
  for (auto _ : state) {
    state.PauseTiming();
    const std::string dir =
        (std::filesystem::temp_directory_path() /
         ("wayback-log-bench-" + std::to_string(::getpid())))
            .string();
    std::filesystem::remove_all(dir);
    auto s = OpenLocalStorage(dir, true);
    if (!s.ok()) {
      state.SkipWithError(s.status().ToString().c_str());
      return;
    }
    LogWriterOptions o;
    o.durability = Durability::kSync;
    o.segment_max_age = absl::InfiniteDuration();
    auto writer = LogWriter::Open(s->get(), o);
    if (!writer.ok()) {
      state.SkipWithError(writer.status().ToString().c_str());
      return;
    }
    std::vector<std::vector<double>> per(threads);
    state.ResumeTiming();
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t) {
      ts.emplace_back([&, t] {
        for (int i = t; i < total; i += threads) {
          auto start = std::chrono::steady_clock::now();
          auto lsn = (*writer)->Append(w[i]);
          auto end = std::chrono::steady_clock::now();
          if (!lsn.ok()) return;
          per[t].push_back(
              std::chrono::duration<double, std::micro>(end - start).count());
        }
      });
    }
    for (auto& t : ts) t.join();
    state.PauseTiming();
    (*writer)->Close().IgnoreError();
    writer->reset();
    s->reset();
    std::filesystem::remove_all(dir);
    lat.clear();
    for (auto& p : per) lat.insert(lat.end(), p.begin(), p.end());
    state.ResumeTiming();
  }
  if (lat.size() != static_cast<size_t>(total)) {
    state.SkipWithError("some appends failed");
    return;
  }
  for (int i = 0; i < total; ++i) {
    for (const auto& m : w[i].mutations) raw += m.key.size() + m.value.size();
  }
  std::sort(lat.begin(), lat.end());
  state.counters["p50_us"] = lat[lat.size() / 2];
  state.counters["p99_us"] = lat[lat.size() * 99 / 100];
  state.SetItemsProcessed(state.iterations() * total);
  state.SetBytesProcessed(state.iterations() * raw);
}
BENCHMARK(BM_SyncedAppend)
    ->Arg(1)
    ->Arg(4)
    ->Arg(16)
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

}  // namespace
}  // namespace wayback

BENCHMARK_MAIN();
