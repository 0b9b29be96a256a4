// Copyright 2026 The Wayback Authors.
//
// zstd bombs and hostile frames in log blocks and snapshot blocks: frames
// whose content is 10^3..10^5 times their size, a frame declaring 2^64-2
// bytes, a frame whose window is 2 GiB. Each is read through the public
// readers in a child process, which reports its peak resident memory
// (VmHWM, reset through /proc/self/clear_refs first); every one must be
// rejected with kDataLoss naming the object and peak at most 256 MiB.
// Figures go to results/bombs.json.

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zstd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include "gtest/gtest.h"
#include "src/log/segment_format.h"
#include "src/snapshot/snapshot_format.h"
#include "src/util/coding.h"
#include "src/util/crc32c.h"
#include "tests/reliability/reliability_util.h"

namespace wayback::reliability {
namespace {

namespace lf = ::wayback::log_format;
namespace sf = ::wayback::snapshot_format;

constexpr int64_t kLimitBytes = int64_t{256} << 20;

// Under AddressSanitizer the process starts at ~160 MiB (shadow memory,
// quarantine), so there the limit applies to what the read added to the
// peak; otherwise to the peak itself.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool kMeasureGrowth = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool kMeasureGrowth = true;
#else
constexpr bool kMeasureGrowth = false;
#endif
#else
constexpr bool kMeasureGrowth = false;
#endif

Results& Figures() {
  static Results* r = new Results("bombs");
  return *r;
}
class BombEnvironment : public ::testing::Environment {
 public:
  void TearDown() override { Figures().Write(); }
};
const auto* const kEnv =
    ::testing::AddGlobalTestEnvironment(new BombEnvironment);

int64_t PeakRssBytes() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) {
      return std::strtoll(line.c_str() + 6, nullptr, 10) * 1024;
    }
  }
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return int64_t{ru.ru_maxrss} * 1024;
}

struct ChildOutcome {
  bool exited_cleanly = false;
  int code = -1;  // absl::StatusCode of the read.
  int64_t peak = 0;
  int64_t baseline = 0;
  std::string message;
};

// Runs fn in a child; fn returns the status of the hostile read.
ChildOutcome InChild(const std::function<absl::Status()>& fn) {
  int fds[2];
  if (pipe(fds) != 0) return {};
  pid_t pid = fork();
  if (pid == 0) {
    close(fds[0]);
    // Forget the parent's peak: measure only what this read allocates.
    std::ofstream("/proc/self/clear_refs") << "5";
    const int64_t baseline = PeakRssBytes();
    absl::Status s = fn();
    const int64_t peak = PeakRssBytes();
    std::string msg = std::string(s.message()).substr(0, 400);
    std::string out = std::to_string(static_cast<int>(s.code())) + " " +
                      std::to_string(peak) + " " + std::to_string(baseline) +
                      " " + msg;
    ssize_t w = write(fds[1], out.data(), out.size());
    (void)w;
    _exit(0);
  }
  close(fds[1]);
  std::string buf;
  char tmp[512];
  ssize_t n;
  while ((n = read(fds[0], tmp, sizeof tmp)) > 0) buf.append(tmp, n);
  close(fds[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  ChildOutcome o;
  o.exited_cleanly = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  long long peak = 0, base = 0;
  int code = -1, consumed = 0;
  if (std::sscanf(buf.c_str(), "%d %lld %lld %n", &code, &peak, &base,
                  &consumed) >= 3) {
    o.code = code;
    o.peak = peak;
    o.baseline = base;
    o.message = buf.substr(consumed);
  }
  return o;
}

std::string Compress(const std::string& raw, int level = 19) {
  std::string out(ZSTD_compressBound(raw.size()), '\0');
  size_t n =
      ZSTD_compress(out.data(), out.size(), raw.data(), raw.size(), level);
  EXPECT_FALSE(ZSTD_isError(n));
  out.resize(n);
  return out;
}

// A frame header declaring `content_size` (8-byte field), then one raw
// block of `body`.
std::string FrameDeclaring(uint64_t content_size, const std::string& body) {
  std::string f("\x28\xb5\x2f\xfd", 4);
  f.push_back(static_cast<char>(0xC0));  // FCS 8 bytes, not single segment.
  f.push_back(static_cast<char>(0x00));  // Window descriptor: 1 KiB.
  PutFixed64(&f, content_size);
  const uint32_t bh =
      1u | (0u << 1) | (static_cast<uint32_t>(body.size()) << 3);
  f.push_back(static_cast<char>(bh & 0xff));
  f.push_back(static_cast<char>((bh >> 8) & 0xff));
  f.push_back(static_cast<char>((bh >> 16) & 0xff));
  return f + body;
}

// A frame without a content size whose window descriptor asks for 2^31.
std::string FrameWithHugeWindow(const std::string& body) {
  std::string f("\x28\xb5\x2f\xfd", 4);
  f.push_back(static_cast<char>(0x00));  // No FCS, not single segment.
  f.push_back(static_cast<char>((31 - 10) << 3));  // windowLog 31.
  const uint32_t bh = 1u | (static_cast<uint32_t>(body.size()) << 3);
  f.push_back(static_cast<char>(bh & 0xff));
  f.push_back(static_cast<char>((bh >> 8) & 0xff));
  f.push_back(static_cast<char>((bh >> 16) & 0xff));
  return f + body;
}

// The reference log with its live segment's last block replaced by
// `payload` (zstd codec) with header raw size `raw_size`.
Image LogWithBlock(const ReferenceLog& ref, const std::string& payload,
                   uint32_t raw_size) {
  Image img = ref.image;
  auto parts = SplitSegment(img, ref.live);
  EXPECT_TRUE(parts.ok());
  BlockEdit e = DecodeBlockForEdit(parts->blocks.back());
  lf::BlockHeader h;
  h.stored_size = static_cast<uint32_t>(payload.size());
  h.raw_size = raw_size;
  h.record_count = e.record_count;
  h.first_lsn = e.first_lsn;
  h.last_lsn = e.last_lsn;
  h.first_commit_time = e.first_time;
  h.last_commit_time = e.last_time;
  h.payload_crc = crc32c::Mask(crc32c::Value(payload));
  h.codec = lf::Codec::kZstd;
  std::string block(lf::kBlockHeaderSize, '\0');
  lf::EncodeBlockHeader(h, block.data());
  parts->blocks.back() = block + payload;
  img[ref.live] = JoinSegment(*parts);
  return img;
}

// The reference snapshot with block 0's payload replaced (sizes in the block
// header and the index entry follow it, and every checksum is fixed up).
Image SnapshotWithBlock(const ReferenceSnapshot& ref,
                        const std::string& payload, uint32_t raw_size) {
  // Rebuild the object: header, one block, index of one entry, footer.
  const std::string& old = ref.image.at(ref.name);
  std::string obj = old.substr(0, sf::kHeaderSize);
  sf::BlockHeader bh;
  bh.compressed_size = static_cast<uint32_t>(payload.size());
  bh.raw_size = raw_size;
  bh.pair_count = 1;
  std::string hdr(sf::kBlockHeaderSize, '\0');
  sf::EncodeBlockHeader(bh, payload, hdr.data());
  obj += hdr + payload;
  const uint64_t index_offset = obj.size();
  std::string index;
  sf::IndexEntry ie;
  ie.offset = sf::kHeaderSize;
  ie.compressed_size = payload.size();
  ie.raw_size = raw_size;
  ie.pair_count = 1;
  ie.first_key = "a";
  ie.last_key = "a";
  sf::EncodeIndexEntry(ie, &index);
  obj += index;
  std::string footer = old.substr(old.size() - sf::kFooterSize);
  char* f = footer.data();
  EncodeFixed32(f + 20, 1);             // block_count
  EncodeFixed64(f + 24, 1);             // pair_count
  EncodeFixed64(f + 48, raw_size);      // raw_bytes
  EncodeFixed64(f + 56, index_offset);  // index_offset
  EncodeFixed64(f + 64, index.size());  // index_size
  EncodeFixed32(f + 72, crc32c::Mask(crc32c::Value(index)));
  EncodeFixed32(f + 92, crc32c::Mask(crc32c::Value(f, 92)));
  obj += footer;
  Image img;
  img[ref.name] = obj;
  return img;
}

struct Bomb {
  std::string name;
  std::string payload;
  uint32_t raw_size;
};

std::vector<Bomb> Bombs() {
  std::vector<Bomb> v;
  for (uint64_t content :
       {uint64_t{1} << 20, uint64_t{16} << 20, uint64_t{128} << 20}) {
    std::string zeros(content, '\0');
    std::string frame = Compress(zeros);
    const uint64_t ratio = content / frame.size();
    // Header honest about the raw size (within the format's 256 MiB limit):
    // decoded, then refused because zeros are not records.
    v.push_back({"ratio_" + std::to_string(ratio) + "_honest_header", frame,
                 static_cast<uint32_t>(content)});
    // Header claiming a small raw size: the frame must not be expanded.
    v.push_back(
        {"ratio_" + std::to_string(ratio) + "_small_header", frame, 1000});
  }
  // Ratios 10^3..10^5 claimed by the header for a small real frame.
  std::string small = Compress(std::string(2000, 'x'));
  for (uint64_t ratio : {uint64_t{1000}, uint64_t{10000}, uint64_t{100000}}) {
    const uint64_t claimed =
        std::min<uint64_t>(small.size() * ratio, lf::kMaxBlockRawSize);
    v.push_back({"claimed_ratio_" + std::to_string(ratio), small,
                 static_cast<uint32_t>(claimed)});
  }
  v.push_back({"frame_declares_2e64m2", FrameDeclaring(~uint64_t{1}, "x"), 1});
  v.push_back({"frame_declares_2e64m2_large_header",
               FrameDeclaring(~uint64_t{1}, "x"), 200u << 20});
  // The largest raw size the format allows, claimed by a 18-byte frame.
  v.push_back({"frame_declares_2e64m2_max_header",
               FrameDeclaring(~uint64_t{1}, "x"),
               static_cast<uint32_t>(lf::kMaxBlockRawSize)});
  v.push_back({"huge_window_2GiB", FrameWithHugeWindow("x"), 1});
  v.push_back(
      {"huge_window_2GiB_large_header", FrameWithHugeWindow("x"), 200u << 20});
  return v;
}

TEST(ZstdBombs, RejectedWithBoundedMemory) {
  auto ref = BuildReferenceLog({});
  ASSERT_TRUE(ref.ok()) << ref.status();
  auto snap = BuildReferenceSnapshot(9, 10, 4096);
  ASSERT_TRUE(snap.ok()) << snap.status();
  int64_t trials = 0, rejected = 0, over_limit = 0, crashes = 0, max_peak = 0;
  for (const Bomb& b : Bombs()) {
    for (const bool in_snapshot : {false, true}) {
      const std::string what =
          std::string(in_snapshot ? "snapshot/" : "log/") + b.name;
      Image img = in_snapshot ? SnapshotWithBlock(*snap, b.payload, b.raw_size)
                              : LogWithBlock(*ref, b.payload, b.raw_size);
      const std::string object = in_snapshot ? snap->name : ref->live;
      ChildOutcome o = InChild([&] {
        auto s = Materialize(img);
        if (in_snapshot) return ReadSnapshot(s.get(), object).status;
        LogReadout r = ReadLog(s.get(), /*allow_torn_tail=*/false);
        return r.status;
      });
      ++trials;
      const int64_t grew = o.peak - o.baseline;
      const int64_t measured = kMeasureGrowth ? grew : o.peak;
      max_peak = std::max(max_peak, o.peak);
      std::printf(
          "BOMB %-45s payload %7zu raw %10u: code %d, peak %6.1f MiB "
          "(+%.1f): %s\n",
          what.c_str(), b.payload.size(), b.raw_size, o.code,
          o.peak / 1048576.0, grew / 1048576.0, o.message.c_str());
      if (!o.exited_cleanly) {
        ++crashes;
        ADD_FAILURE() << what << ": the reading child crashed";
        continue;
      }
      if (o.code == static_cast<int>(absl::StatusCode::kDataLoss) &&
          o.message.find(object) != std::string::npos) {
        ++rejected;
      } else {
        ADD_FAILURE() << what << ": not rejected as corruption: " << o.code
                      << " " << o.message;
      }
      // The log reader looks at the frame before sizing its buffer
      // (src/log/block.cc, UnpackBlock; it used to allocate the header's
      // raw_size first: 294 MiB for an 18-byte frame).
      if (measured > kLimitBytes) {
        ++over_limit;
        ADD_FAILURE() << what << ": peak RSS " << o.peak << " bytes";
      }
    }
  }
  Figures().Set("trials", trials);
  Figures().Set("rejected", rejected);
  Figures().Set("over_256MiB", over_limit);
  Figures().Set("crashes", crashes);
  Figures().Set("max_peak_rss_bytes", max_peak);
  Figures().Set("limit_applies_to", kMeasureGrowth ? "growth" : "peak");
  EXPECT_EQ(rejected, trials);
  EXPECT_EQ(over_limit, 0);
}

}  // namespace
}  // namespace wayback::reliability
