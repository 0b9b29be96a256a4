// Copyright 2026 The Wayback Authors.

#include "wayback/clock.h"

#include <time.h>

namespace wayback {
namespace {

class RealClock : public Clock {
 public:
  int64_t NowNanos() override { return Read(CLOCK_REALTIME); }
  int64_t MonotonicNanos() override { return Read(CLOCK_MONOTONIC); }

 private:
  static int64_t Read(clockid_t id) {
    timespec ts;
    clock_gettime(id, &ts);
    return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
  }
};

}  // namespace

Clock* Clock::Real() {
  static RealClock* clock = new RealClock;
  return clock;
}

}  // namespace wayback
