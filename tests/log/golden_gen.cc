// Copyright 2026 The Wayback Authors.
//
// Writes tests/data/golden_v1_sealed.seg and golden_v1_live.seg (run once,
// then commit the files; they must never be regenerated for a released
// format):  golden_gen <output dir>

#include <cstdio>
#include <fstream>

#include "tests/log/golden.h"
#include "wayback/log.h"

namespace wayback::testing {
namespace {

int Main(const std::string& dir) {
  auto mem = NewMemoryStorage();
  ManualClock clock(kGoldenT0);
  LogWriterOptions o;
  o.durability = Durability::kBuffered;
  o.block_size = 256;
  o.segment_max_age = absl::InfiniteDuration();
  o.clock = &clock;
  auto w = LogWriter::Open(mem.get(), o);
  if (!w.ok()) return 1;
  for (const OwnedRecord& r : GoldenRecords()) {
    absl::StatusOr<Lsn> lsn;
    if (r.type == RecordType::kRestorePoint) {
      lsn = (*w)->AppendRestorePoint(r.restore_point_name, r.commit_time);
    } else {
      Transaction t;
      t.txid = r.txid;
      t.commit_time = r.commit_time;
      t.mutations = r.mutations;
      lsn = (*w)->Append(t);
    }
    if (!lsn.ok() || *lsn != r.lsn) return 2;
    if (r.lsn == kGoldenSealedLast && !(*w)->Roll().ok()) return 3;
  }
  if (!(*w)->Sync().ok()) return 4;
  for (auto [name, file] :
       {std::pair{GoldenSealedName(), "golden_v1_sealed.seg"},
        std::pair{GoldenLiveName(), "golden_v1_live.seg"}}) {
    auto data = mem->ReadAll(name);
    if (!data.ok()) return 5;
    std::ofstream out(dir + "/" + file, std::ios::binary);
    out.write(data->data(), static_cast<std::streamsize>(data->size()));
    if (!out) return 6;
    std::printf("%s: %zu bytes\n", file, data->size());
  }
  return 0;
}

}  // namespace
}  // namespace wayback::testing

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "--example") {
    // The worked example of segment_format.md: one transaction, sealed.
    auto mem = wayback::NewMemoryStorage();
    wayback::ManualClock clock(1'767'225'600'000'000'000);
    wayback::LogWriterOptions o;
    o.clock = &clock;
    o.segment_max_age = absl::InfiniteDuration();
    auto w = wayback::LogWriter::Open(mem.get(), o);
    wayback::Transaction t;
    t.txid = 7;
    t.Put("k", "v");
    t.Delete("old");
    if (!w.ok() || !(*w)->Append(t).ok() || !(*w)->Close().ok()) return 1;
    auto data = mem->ReadAll(wayback::SegmentObjectName(1, 1, true));
    if (!data.ok()) return 1;
    std::ofstream(argv[2], std::ios::binary) << *data;
    return 0;
  }
  if (argc != 2) {
    std::fprintf(stderr, "usage: golden_gen <output dir>\n");
    return 64;
  }
  return wayback::testing::Main(argv[1]);
}
