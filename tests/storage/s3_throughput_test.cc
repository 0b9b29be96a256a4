// Copyright 2026 The Wayback Authors.
//
// Not a test but a measurement, disabled by default: ranged-read throughput
// of one object from Ceph RGW against the same object in a local directory,
// in the same run. Run with
//   wayback_s3_test --gtest_also_run_disabled_tests
//     --gtest_filter='*Throughput*'
// It asserts only that the bytes are right; the figures are printed.

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "tests/storage/s3_test_server.h"
#include "tests/testutil/testutil.h"

namespace wayback::testing {
namespace {

double ReadAllRanges(Storage* storage, const std::string& name,
                     const std::string& expected, size_t range, int threads) {
  auto obj = storage->OpenForRead(name);
  EXPECT_TRUE(obj.ok()) << obj.status();
  if (!obj.ok()) return 0;
  const size_t ranges = (expected.size() + range - 1) / range;
  std::atomic<size_t> next{0};
  std::atomic<int> bad{0};
  auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      std::string scratch(range, '\0');
      for (size_t i = next++; i < ranges; i = next++) {
        auto got = (*obj)->ReadAt(i * range, range, scratch.data());
        if (!got.ok() ||
            *got != std::string_view(expected).substr(i * range, range)) {
          ++bad;
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start)
          .count();
  EXPECT_EQ(bad.load(), 0);
  return expected.size() / secs / 1e6;
}

TEST(S3ThroughputTest, DISABLED_RangedReadsRgwVsLocal) {
  auto server = S3TestServer::Get();
  ASSERT_TRUE(server.ok()) << server.status();
  auto s3 = (*server)->OpenFresh();
  ASSERT_TRUE(s3.ok());
  TempDir tmp;
  auto local = OpenLocalStorage(tmp.path() + "/repo", true);
  ASSERT_TRUE(local.ok());
  std::string data(64 << 20, '\0');
  std::mt19937_64 rng(1);
  for (size_t i = 0; i + 8 <= data.size(); i += 8) {
    uint64_t v = rng();
    memcpy(&data[i], &v, 8);
  }
  ASSERT_TRUE((*s3)->WriteAll("obj", data).ok());
  ASSERT_TRUE((*local)->WriteAll("obj", data).ok());
  for (int threads : {1, 4}) {
    for (size_t range : {size_t{1} << 20, size_t{4} << 20}) {
      double s3_mbs = ReadAllRanges(s3->get(), "obj", data, range, threads);
      double local_mbs =
          ReadAllRanges(local->get(), "obj", data, range, threads);
      std::printf(
          "64 MiB object, %zu KiB ranges, %d threads: RGW %.1f MB/s, "
          "local %.1f MB/s\n",
          range >> 10, threads, s3_mbs, local_mbs);
    }
  }
}

}  // namespace
}  // namespace wayback::testing
