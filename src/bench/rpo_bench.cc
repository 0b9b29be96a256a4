// Copyright 2026 The Wayback Authors.
//
// RunRpoBench(): synced commits at a paced rate, segments rolled by age,
// every sealed segment copied to a mirror repository by the verified mirror
// pass users run (MirrorRepository in wayback/repository.h), and for every
// transaction the time from its acknowledgement to the moment the segment
// holding it is whole in the mirror (the archive lag: what a loss of the
// primary at that instant would lose).
//
// Committers are paced, not flooding: committer c sends transactions c,
// c + C, c + 2C, ... each at start + k / rate (or at once when late), so the
// offered load is the rate and the sustained rate shows whether the writer
// keeps up. The LogWriter's sealed-segment callback runs on the writer's
// thread, so it only queues the name; a mirror thread copies.

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"
#include "src/bench/bench.h"
#include "src/bench/bench_util.h"
#include "src/util/errors.h"
#include "wayback/clock.h"
#include "wayback/log.h"
#include "wayback/repository.h"
#include "wayback/status.h"

namespace wayback {
namespace {

using bench_internal::Percentile;
using bench_internal::Ratio;
using bench_internal::Say;

int64_t MonoNanos() { return Clock::Real()->MonotonicNanos(); }

// Word text: compresses about as well as the clinical workload's JSON.
std::string TextPool(size_t n, uint64_t seed) {
  static constexpr const char* kWords[] = {
      "patient", "stable",  "reports", "mild", "pain",   "no",
      "acute",   "vitals",  "normal",  "plan", "follow", "clinic",
      "diet",    "wound",   "clean",   "labs", "family", "imaging",
      "consult", "morning", "dose",    "mg",   "oral",   "daily"};
  std::string s;
  s.reserve(n + 16);
  uint64_t x = seed * 0x9e3779b97f4a7c15ull + 1;
  while (s.size() < n) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    s += kWords[x % (sizeof(kWords) / sizeof(kWords[0]))];
    s += (x >> 32) % 7 == 0 ? ", " : " ";
    if ((x >> 40) % 11 == 0) s += std::to_string((x >> 20) % 1000);
  }
  s.resize(n);
  return s;
}

class RpoBench {
 public:
  explicit RpoBench(const RpoBenchOptions& o) : o_(o) {}

  absl::StatusOr<RpoBenchFigures> Run() {
    if (o_.repo.empty()) {
      return absl::InvalidArgumentError("rpo bench: no repository given");
    }
    const double seconds = absl::ToDoubleSeconds(o_.duration);
    if (!(o_.rate > 0) || !(seconds > 0) || o_.clients < 1 ||
        o_.transaction_bytes == 0) {
      return absl::InvalidArgumentError(
          "rpo bench: rate, duration, clients and transaction bytes must be "
          "positive");
    }
    const double want = o_.rate * seconds;
    if (want > 2e8) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "rpo bench: %.0f transactions (rate x duration) is too many; at "
          "most 200,000,000",
          want));
    }
    total_ = std::max<uint64_t>(1, static_cast<uint64_t>(want));
    const std::string mirror_uri =
        o_.mirror.empty() ? absl::StrCat(o_.repo, "-mirror") : o_.mirror;
    // The benchmark writes its own log, so both must be new or empty; the
    // mirror is opened the way `wayback mirror` opens one.
    RepositoryOptions ro;
    ro.source = "bench rpo";
    WAYBACK_ASSIGN_OR_RETURN(primary_, Repository::Create(o_.repo, ro));
    WAYBACK_ASSIGN_OR_RETURN(
        mirror_, Repository::OpenOrCreateMirror(mirror_uri, *primary_, ro));
    WAYBACK_ASSIGN_OR_RETURN(bool mirror_history, mirror_->HasHistory());
    if (mirror_history) {
      return absl::FailedPreconditionError(absl::StrCat(
          "rpo bench: ", mirror_uri,
          " already holds a log; the benchmark writes its own, so give it an "
          "empty or new mirror"));
    }

    LogWriterOptions w;
    w.durability = Durability::kSync;
    w.segment_max_age = o_.segment_max_age;
    w.segment_max_bytes = o_.segment_max_bytes;
    w.on_segment_sealed = [this](const std::string& name) {
      std::lock_guard<std::mutex> l(mu_);
      queue_.push_back(name);
      cv_.notify_one();
    };
    WAYBACK_ASSIGN_OR_RETURN(std::unique_ptr<LogWriter> writer,
                             LogWriter::Open(primary_->storage(), w));
    base_lsn_ = writer->last_lsn();
    ack_ns_.assign(total_, 0);
    latency_us_.assign(total_, 0);
    std::thread mirror([this] { MirrorLoop(); });

    Say(o_.progress,
        absl::StrFormat("committing %d transactions of %d bytes at %.0f/s "
                        "with %d committers",
                        total_, o_.transaction_bytes, o_.rate, o_.clients));
    const int64_t t0 = MonoNanos();
    std::vector<std::thread> clients;
    for (int c = 0; c < o_.clients; ++c) {
      clients.emplace_back(
          [this, c, t0, &writer] { Client(c, t0, writer.get()); });
    }
    for (std::thread& t : clients) t.join();
    const int64_t t1 = MonoNanos();
    absl::Status closed = writer->Close();
    writer.reset();
    {
      std::lock_guard<std::mutex> l(mu_);
      closing_ = true;
      cv_.notify_all();
    }
    mirror.join();
    {
      std::lock_guard<std::mutex> l(mu_);
      if (!error_.ok()) return error_;
    }
    WAYBACK_RETURN_IF_ERROR(closed);

    f_.offered_rate = o_.rate;
    f_.transactions = committed_.load();
    f_.bytes = f_.transactions * o_.transaction_bytes;
    f_.seconds = (t1 - t0) / 1e9;
    f_.txn_per_s = Ratio(f_.transactions, f_.seconds);
    std::vector<double> lat(latency_us_.begin(), latency_us_.end());
    f_.commit_latency_p50_us = Percentile(&lat, 0.50);
    f_.commit_latency_p99_us = Percentile(&lat, 0.99);
    f_.commit_latency_p999_us = Percentile(&lat, 0.999);
    f_.commit_latency_max_us = lat.empty() ? 0 : lat.back();

    // Archive lag per transaction, from the mirror's completion times.
    std::vector<double> lag;
    lag.reserve(total_);
    uint64_t unmirrored = 0;
    for (const Mirrored& m : mirrored_) {
      for (Lsn lsn = m.first; lsn <= m.last; ++lsn) {
        if (lsn <= base_lsn_ || lsn - base_lsn_ > total_) continue;
        const int64_t ack = ack_ns_[lsn - base_lsn_ - 1];
        if (ack == 0) continue;
        lag.push_back(std::max<int64_t>(0, m.done_ns - ack) / 1e6);
      }
    }
    if (lag.size() < f_.transactions) unmirrored = f_.transactions - lag.size();
    if (unmirrored > 0) {
      return absl::InternalError(
          absl::StrCat("rpo bench: ", unmirrored,
                       " acknowledged transactions never reached the mirror"));
    }
    f_.archive_lag_p50_ms = Percentile(&lag, 0.50);
    f_.archive_lag_p99_ms = Percentile(&lag, 0.99);
    f_.archive_lag_max_ms = lag.empty() ? 0 : lag.back();
    if (o_.rpo) {
      f_.rpo_seconds = absl::ToDoubleSeconds(*o_.rpo);
      f_.margin_seconds = *f_.rpo_seconds - f_.archive_lag_max_ms / 1e3;
      f_.pass = f_.margin_seconds >= 0;
    }
    return f_;
  }

 private:
  struct Mirrored {
    Lsn first = kNoLsn;
    Lsn last = kNoLsn;
    int64_t done_ns = 0;
  };

  void Fail(absl::Status s) {
    std::lock_guard<std::mutex> l(mu_);
    if (error_.ok()) error_ = std::move(s);
    stop_ = true;
  }
  bool Stopped() {
    std::lock_guard<std::mutex> l(mu_);
    return stop_;
  }

  void Client(int c, int64_t t0, LogWriter* writer) {
    const std::string pool = TextPool(64 * 1024 + o_.transaction_bytes, c + 1);
    const size_t span = pool.size() - o_.transaction_bytes;
    const double ns_per_txn = 1e9 / o_.rate;
    Transaction txn;
    txn.mutations.resize(1);
    Mutation& m = txn.mutations[0];
    m.type = MutationType::kPut;
    for (uint64_t k = c; k < total_; k += o_.clients) {
      if ((k / o_.clients) % 256 == 0 && Stopped()) return;
      const int64_t due = t0 + static_cast<int64_t>(k * ns_per_txn);
      const int64_t now = MonoNanos();
      if (due > now) {
        std::this_thread::sleep_for(std::chrono::nanoseconds(due - now));
      }
      m.key = absl::StrCat("rpo/", c, "/", k % 4096);
      m.value.assign(pool, (k * 131) % span, o_.transaction_bytes);
      const int64_t start = MonoNanos();
      absl::StatusOr<Lsn> lsn = writer->Append(txn);
      const int64_t end = MonoNanos();
      if (!lsn.ok()) {
        Fail(lsn.status());
        return;
      }
      latency_us_[k] = static_cast<float>((end - start) / 1e3);
      if (*lsn > base_lsn_ && *lsn - base_lsn_ <= total_) {
        ack_ns_[*lsn - base_lsn_ - 1] = end;
      }
      committed_.fetch_add(1, std::memory_order_relaxed);
    }
  }

  void MirrorLoop() {
    for (;;) {
      std::string name;
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return closing_ || !queue_.empty(); });
        if (queue_.empty()) return;
        name = std::move(queue_.front());
        queue_.pop_front();
      }
      absl::Status s = Copy(name);
      if (!s.ok()) {
        Fail(std::move(s));
        return;
      }
    }
  }

  // One pass of the verified mirror `wayback mirror` runs (each segment
  // checked at the source, copied create-only, read back), after each seal.
  // A pass may copy several segments when seals come faster than passes.
  absl::Status Copy(const std::string& sealed) {
    WAYBACK_ASSIGN_OR_RETURN(RepositoryMirrorResult r,
                             MirrorRepository(*primary_, mirror_->storage()));
    const int64_t done = MonoNanos();
    if (!r.report.conflicts.empty() || !r.report.rejected.empty()) {
      return absl::DataLossError(
          absl::StrCat("rpo bench: the mirror pass after ", sealed, " found ",
                       r.report.conflicts.size(), " conflicts and ",
                       r.report.rejected.size(), " damaged objects"));
    }
    for (const std::string& name : r.report.copied) {
      if (ClassifyObject(name).kind != ObjectKind::kSegment) continue;
      WAYBACK_ASSIGN_OR_RETURN(SegmentInfo info,
                               ReadSegmentInfo(mirror_->storage(), name));
      ++f_.segments_mirrored;
      f_.bytes_mirrored += info.size;
      mirrored_.push_back({info.first_lsn, info.last_lsn, done});
    }
    return absl::OkStatus();
  }

  const RpoBenchOptions& o_;
  RpoBenchFigures f_;
  uint64_t total_ = 0;
  Lsn base_lsn_ = kNoLsn;
  std::unique_ptr<Repository> primary_;
  std::unique_ptr<Repository> mirror_;
  // Indexed by k (latency) and by lsn - base - 1 (ack time); each slot is
  // written by one committer and read after they are joined.
  std::vector<float> latency_us_;
  std::vector<int64_t> ack_ns_;
  std::atomic<uint64_t> committed_{0};

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::string> queue_;
  bool closing_ = false;
  bool stop_ = false;
  absl::Status error_;
  std::vector<Mirrored> mirrored_;  // Mirror thread only, until joined.
};

}  // namespace

absl::StatusOr<RpoBenchFigures> RunRpoBench(const RpoBenchOptions& options) {
  RpoBench bench(options);
  return bench.Run();
}

std::string RpoBenchFigures::ToJson() const {
  nlohmann::ordered_json j;
  j["offered_rate"] = offered_rate;
  j["transactions"] = transactions;
  j["bytes"] = bytes;
  j["seconds"] = seconds;
  j["txn_per_s"] = txn_per_s;
  j["commit_latency_p50_us"] = commit_latency_p50_us;
  j["commit_latency_p99_us"] = commit_latency_p99_us;
  j["commit_latency_p999_us"] = commit_latency_p999_us;
  j["commit_latency_max_us"] = commit_latency_max_us;
  j["archive_lag_p50_ms"] = archive_lag_p50_ms;
  j["archive_lag_p99_ms"] = archive_lag_p99_ms;
  j["archive_lag_max_ms"] = archive_lag_max_ms;
  j["segments_mirrored"] = segments_mirrored;
  j["bytes_mirrored"] = bytes_mirrored;
  if (rpo_seconds) {
    j["rpo_seconds"] = *rpo_seconds;
  } else {
    j["rpo_seconds"] = nullptr;
  }
  j["pass"] = pass;
  j["margin_seconds"] = margin_seconds;
  return j.dump(2);
}

std::string RpoBenchFigures::ToString() const {
  std::string s = absl::StrFormat(
      "RPO benchmark: %d synced transactions in %.2f s = %.0f txn/s "
      "(offered %.0f/s, %.1f MB/s)\n",
      transactions, seconds, txn_per_s, offered_rate,
      Ratio(bytes / 1e6, seconds));
  absl::StrAppend(
      &s,
      absl::StrFormat("  commit latency   p50 %.0f us, p99 %.0f us, p99.9 "
                      "%.0f us, max %.0f us\n",
                      commit_latency_p50_us, commit_latency_p99_us,
                      commit_latency_p999_us, commit_latency_max_us),
      absl::StrFormat("  archive lag      p50 %.0f ms, p99 %.0f ms, max %.0f "
                      "ms (%d segments, %.1f MB mirrored)\n",
                      archive_lag_p50_ms, archive_lag_p99_ms,
                      archive_lag_max_ms, segments_mirrored,
                      bytes_mirrored / 1e6));
  if (rpo_seconds) {
    absl::StrAppend(
        &s,
        absl::StrFormat("  objective        %.3f s: %s, margin %.3f s\n",
                        *rpo_seconds, pass ? "PASS" : "FAIL", margin_seconds));
  }
  return s;
}

}  // namespace wayback
