// Copyright 2026 The Wayback Authors.
//
// `wayback bench ingest`: JSONL parsing alone, then `wayback ingest` as users
// run it (a fresh process reading a pipe, synced group commits, an --ack
// file), with the producer and the acknowledgement reader in this process.
// The acknowledgement latency of each event is the time from the producer's
// write of its line to the appearance of the first acknowledgement line
// covering its position.

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "src/bench/bench.h"
#include "src/bench/bench_util.h"
#include "src/workload/workload.h"

namespace wayback {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using Steady = std::chrono::steady_clock;

constexpr int64_t kT0 = 1767225600000000000;

std::string MakeLine(uint64_t pos, size_t value_bytes) {
  // Printable, varied values (zstd must not make the log free).
  std::string value(value_bytes, ' ');
  uint64_t x = pos * 0x9E3779B97F4A7C15ull + 1;
  for (char& c : value) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    c = static_cast<char>('a' + x % 26);
  }
  return json{{"pos", pos},
              {"txid", pos},
              {"time",
               absl::StrCat("@", kT0 + static_cast<int64_t>(pos) * 1000)},
              {"ops",
               {{{"op", "put"},
                 {"key", absl::StrFormat("patient/%08d", pos % 100000)},
                 {"value", value}}}}}
             .dump() +
         "\n";
}

double CpuSeconds(const struct rusage& r) {
  return static_cast<double>(r.ru_utime.tv_sec + r.ru_stime.tv_sec) +
         static_cast<double>(r.ru_utime.tv_usec + r.ru_stime.tv_usec) / 1e6;
}

double Percentile(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1));
  std::nth_element(v.begin(), v.begin() + static_cast<ptrdiff_t>(i), v.end());
  return v[i];
}

}  // namespace

std::string IngestBenchFigures::ToJson() const {
  return json{{"events", events},
              {"line_bytes_mean", line_bytes_mean},
              {"parse_lines_per_s", parse_lines_per_s},
              {"parse_mb_per_s", parse_mb_per_s},
              {"parse_cpu_s", parse_cpu_s},
              {"ingest_seconds", ingest_seconds},
              {"ingest_events_per_s", ingest_events_per_s},
              {"ingest_cpu_s", ingest_cpu_s},
              {"ingest_events_per_cpu_s", ingest_events_per_cpu_s},
              {"ack_lines", ack_lines},
              {"ack_latency_p50_ms", ack_p50_ms},
              {"ack_latency_p99_ms", ack_p99_ms},
              {"ack_latency_max_ms", ack_max_ms},
              {"offered_rate", offered_rate},
              {"parse_share_of_ingest_cpu", parse_share},
              {"mirror_lag_samples", lag_samples},
              {"mirror_lag_p50_s", mirror_lag_p50_s},
              {"mirror_lag_p99_s", mirror_lag_p99_s},
              {"mirror_lag_max_s", mirror_lag_max_s}}
      .dump(2);
}

std::string IngestBenchFigures::ToString() const {
  return absl::StrFormat(
      "JSONL ingest, %d events of ~%.0f B per line\n"
      "  parsing alone      %.0f lines/s (%.1f MB/s), %.2f CPU s, 1 thread\n"
      "  wayback ingest     %.0f events/s synced (%.2f s wall, %.2f CPU s of "
      "the ingest process: %.0f events per CPU s)%s\n"
      "  acknowledgements   %d lines; latency p50 %.2f ms, p99 %.2f ms, max "
      "%.2f ms\n"
      "  parsing is %.0f%% of the ingest process's CPU time%s",
      events, line_bytes_mean, parse_lines_per_s, parse_mb_per_s, parse_cpu_s,
      ingest_events_per_s, ingest_seconds, ingest_cpu_s,
      ingest_events_per_cpu_s,
      offered_rate > 0 ? absl::StrFormat(" at an offered %.0f/s", offered_rate)
                       : std::string(" (producer unthrottled)"),
      ack_lines, ack_p50_ms, ack_p99_ms, ack_max_ms, parse_share * 100,
      lag_samples == 0
          ? std::string()
          : absl::StrFormat("\n  mirror lag         p50 %.2f s, p99 %.2f s, "
                            "max %.2f s (%d samples, every 100 ms)",
                            mirror_lag_p50_s, mirror_lag_p99_s,
                            mirror_lag_max_s, lag_samples));
}

absl::StatusOr<IngestBenchFigures> RunIngestBench(
    const IngestBenchOptions& options) {
  if (options.wayback_binary.empty()) {
    return absl::InvalidArgumentError("ingest bench: no wayback binary given");
  }
  IngestBenchFigures f;
  f.events = options.events;
  f.offered_rate = options.rate;
  std::vector<std::string> lines;
  lines.reserve(options.events);
  uint64_t total_bytes = 0;
  for (uint64_t p = 1; p <= options.events; ++p) {
    lines.push_back(MakeLine(p, options.value_bytes));
    total_bytes += lines.back().size();
  }
  f.line_bytes_mean =
      static_cast<double>(total_bytes) /
      static_cast<double>(std::max<uint64_t>(1, options.events));
  if (options.progress) options.progress("parsing alone ...");

  // 1. Parsing alone, on this thread.
  {
    struct rusage r0, r1;
    getrusage(RUSAGE_THREAD, &r0);
    const auto t0 = Steady::now();
    uint64_t mutations = 0;
    for (const std::string& l : lines) {
      auto e = ParseImportLine(std::string_view(l).substr(0, l.size() - 1));
      if (!e.ok()) return e.status();
      mutations += e->txn.mutations.size();
    }
    const double s = std::chrono::duration<double>(Steady::now() - t0).count();
    getrusage(RUSAGE_THREAD, &r1);
    f.parse_cpu_s = CpuSeconds(r1) - CpuSeconds(r0);
    f.parse_lines_per_s = static_cast<double>(lines.size()) / s;
    f.parse_mb_per_s = static_cast<double>(total_bytes) / s / 1e6;
    if (mutations != options.events) {
      return absl::InternalError("ingest bench: parsed a wrong mutation count");
    }
  }

  // 2. wayback ingest, a fresh process fed through a pipe.
  std::error_code ec;
  fs::remove_all(options.repo, ec);
  const std::string acks = options.repo + ".acks.jsonl";
  fs::remove(acks, ec);
  {
    int fd = ::open(acks.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) ::close(fd);
  }
  int fds[2];
  if (pipe(fds) != 0) return absl::InternalError("ingest bench: pipe failed");
  std::vector<std::string> args = {options.wayback_binary,
                                   "ingest",
                                   "--repo",
                                   options.repo,
                                   "--create",
                                   "--ack",
                                   acks};
  const std::string status = options.repo + ".status.json";
  for (const std::string& m : options.mirrors) {
    args.push_back("--mirror");
    args.push_back(m);
  }
  if (!options.mirrors.empty()) {
    args.insert(
        args.end(),
        {"--status-file", status, "--status-interval", "100ms",
         "--max-segment-age",
         absl::StrCat(absl::ToInt64Milliseconds(options.segment_max_age),
                      "ms")});
  }
  args.push_back("-");
  if (options.progress) {
    options.progress(absl::StrCat("running ", options.wayback_binary,
                                  " ingest --repo ", options.repo, " ..."));
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[0], 0);
    close(fds[0]);
    close(fds[1]);
    int null = ::open("/dev/null", O_WRONLY);
    dup2(null, 1);
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(fds[0]);
  std::vector<Steady::time_point> sent(options.events + 1);
  std::atomic<uint64_t> sent_upto{0};
  std::atomic<bool> producer_done{false};
  const auto start = Steady::now();
  std::thread producer([&] {
    std::string chunk;
    for (uint64_t p = 1; p <= options.events; ++p) {
      if (options.rate > 0) {
        const auto due =
            start + std::chrono::duration_cast<Steady::duration>(
                        std::chrono::duration<double>(
                            static_cast<double>(p - 1) / options.rate));
        if (Steady::now() < due) {
          if (!chunk.empty()) {
            if (write(fds[1], chunk.data(), chunk.size()) < 0) break;
            chunk.clear();
          }
          std::this_thread::sleep_until(due);
        }
      }
      chunk += lines[p - 1];
      if (chunk.size() >= 64 * 1024 || p == options.events) {
        const auto now = Steady::now();
        for (uint64_t q = sent_upto.load() + 1; q <= p; ++q) sent[q] = now;
        sent_upto.store(p);
        if (write(fds[1], chunk.data(), chunk.size()) < 0) break;
        chunk.clear();
      } else if (options.rate > 0) {
        sent[p] = Steady::now();
        // Written at the next flush; its clock starts now (conservative).
      }
    }
    close(fds[1]);
    producer_done.store(true);
  });
  // The lag sampler: the ingester's own status file, every 100 ms (the lag
  // at an instant, by the definition of capture.h).
  std::vector<double> lag_s;
  std::atomic<bool> sampling{!options.mirrors.empty()};
  std::thread sampler([&] {
    while (sampling.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      std::ifstream in(status);
      json j = json::parse(in, nullptr, false);
      if (j.is_discarded() || !j.contains("mirrors")) continue;
      double worst = 0;
      for (const json& m : j["mirrors"]) {
        worst = std::max(worst, m.value("lag_seconds", 0.0));
      }
      if (!j["mirrors"].empty()) lag_s.push_back(worst);
    }
  });
  // The acknowledgement reader: tails the ack file.
  std::vector<double> latency_ms;
  latency_ms.reserve(options.events);
  uint64_t acked = 0;
  Steady::time_point last_ack_time = start;
  {
    int afd = ::open(acks.c_str(), O_RDONLY);
    std::string buf;
    char tmp[65536];
    while (acked < options.events) {
      ssize_t n = afd >= 0 ? ::read(afd, tmp, sizeof tmp) : -1;
      if (n > 0) {
        buf.append(tmp, static_cast<size_t>(n));
        size_t nl;
        const auto now = Steady::now();
        while ((nl = buf.find('\n')) != std::string::npos) {
          json j = json::parse(buf.substr(0, nl), nullptr, false);
          buf.erase(0, nl + 1);
          ++f.ack_lines;
          if (j.is_discarded() || !j.contains("source_position")) continue;
          const uint64_t p = j["source_position"].get<uint64_t>();
          for (uint64_t q = acked + 1; q <= p && q <= options.events; ++q) {
            latency_ms.push_back(
                std::chrono::duration<double, std::milli>(now - sent[q])
                    .count());
          }
          acked = std::max(acked, p);
          last_ack_time = now;
        }
        continue;
      }
      int status;
      if (waitpid(pid, &status, WNOHANG) == pid) {
        producer.join();
        sampling.store(false);
        sampler.join();
        if (afd >= 0) ::close(afd);
        return absl::InternalError(absl::StrCat(
            "ingest bench: wayback ingest exited (status ", status,
            ") after acknowledging ", acked, " of ", options.events));
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
    if (afd >= 0) ::close(afd);
  }
  producer.join();
  sampling.store(false);
  sampler.join();
  int status_code = 0;
  struct rusage usage;
  wait4(pid, &status_code, 0, &usage);
  if (!WIFEXITED(status_code) || WEXITSTATUS(status_code) != 0) {
    return absl::InternalError(absl::StrCat(
        "ingest bench: wayback ingest failed, status ", status_code));
  }
  f.lag_samples = lag_s.size();
  if (!lag_s.empty()) {
    f.mirror_lag_max_s = *std::max_element(lag_s.begin(), lag_s.end());
    f.mirror_lag_p50_s = Percentile(lag_s, 0.50);
    f.mirror_lag_p99_s = Percentile(lag_s, 0.99);
  }
  f.ingest_seconds =
      std::chrono::duration<double>(last_ack_time - start).count();
  f.ingest_events_per_s =
      static_cast<double>(options.events) / f.ingest_seconds;
  f.ingest_cpu_s = CpuSeconds(usage);
  f.ingest_events_per_cpu_s =
      static_cast<double>(options.events) / f.ingest_cpu_s;
  f.ack_p50_ms = Percentile(latency_ms, 0.50);
  f.ack_p99_ms = Percentile(latency_ms, 0.99);
  f.ack_max_ms = latency_ms.empty()
                     ? 0
                     : *std::max_element(latency_ms.begin(), latency_ms.end());
  f.parse_share = f.ingest_cpu_s > 0 ? f.parse_cpu_s / f.ingest_cpu_s : 0;
  if (!options.keep) {
    fs::remove_all(options.repo, ec);
    fs::remove(acks, ec);
    fs::remove(status, ec);
  }
  return f;
}

}  // namespace wayback
