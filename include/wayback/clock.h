// Copyright 2026 The Wayback Authors.
//
// An injectable source of time, so that tests and simulated workloads control
// commit timestamps and segment ages.

#ifndef WAYBACK_CLOCK_H_
#define WAYBACK_CLOCK_H_

#include <atomic>
#include <cstdint>

namespace wayback {

// Thread-safe: NowNanos() may be called from any thread.
class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since the Unix epoch, UTC.
  virtual int64_t NowNanos() = 0;
  // Nanoseconds of a monotonic clock (for durations only).
  virtual int64_t MonotonicNanos() { return NowNanos(); }
  // The real clock (CLOCK_REALTIME / CLOCK_MONOTONIC). Never null; not owned.
  static Clock* Real();
};

// A clock that only moves when told to; for tests and generators.
class ManualClock : public Clock {
 public:
  explicit ManualClock(int64_t now_nanos = 0) : now_(now_nanos) {}
  int64_t NowNanos() override { return now_.load(std::memory_order_relaxed); }
  void Set(int64_t now_nanos) { now_.store(now_nanos, std::memory_order_relaxed); }
  void Advance(int64_t nanos) { now_.fetch_add(nanos, std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> now_;
};

}  // namespace wayback

#endif  // WAYBACK_CLOCK_H_
