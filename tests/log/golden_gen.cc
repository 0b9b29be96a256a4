// Copyright 2026 The Wayback Authors.
//
// Writes the golden segments (run once, then commit the files; they must
// never be regenerated for a released format):
//   golden_gen <output dir>               golden_v1_sealed.seg,
//   golden_v1_live.seg golden_gen --v2 <output dir> golden_v2_sealed.seg,
//   golden_v2_live.seg golden_gen --example <file>           the worked example
//   of version 1 golden_gen --example-v2 <file>        the worked example of
//   version 2 (V2.14)

#include <cstdio>
#include <fstream>

#include "src/storage/repository_format.h"
#include "tests/log/golden.h"
#include "wayback/log.h"
#include "wayback/repository_identity.h"

namespace wayback::testing {
namespace {

// The identity object of the repository the v2 golden files come from.
bool WriteGoldenIdentity(Storage* s) {
  RepositoryIdentity id;
  id.id = kGoldenRepositoryId;
  id.created = kGoldenT0;
  id.source = "golden";
  return s->WriteAll(kIdentityObjectName, repository_format::Encode(id)).ok();
}

int Main(const std::string& dir, uint32_t version) {
  auto mem = NewMemoryStorage();
  if (version == 2 && !WriteGoldenIdentity(mem.get())) return 7;
  ManualClock clock(kGoldenT0);
  LogWriterOptions o;
  o.format_version = version;
  o.durability = Durability::kBuffered;
  o.block_size = 256;
  o.segment_max_age = absl::InfiniteDuration();
  o.clock = &clock;
  auto w = LogWriter::Open(mem.get(), o);
  if (!w.ok()) return 1;
  for (const OwnedRecord& r :
       version == 1 ? GoldenRecords() : GoldenV2Records()) {
    absl::StatusOr<Lsn> lsn;
    if (r.type == RecordType::kRestorePoint) {
      lsn = (*w)->AppendRestorePoint(r.restore_point_name, r.commit_time,
                                     r.source_position);
    } else {
      Transaction t;
      t.txid = r.txid;
      t.source_position = r.source_position;
      t.commit_time = r.commit_time;
      t.mutations = r.mutations;
      lsn = (*w)->Append(t);
    }
    if (!lsn.ok() || *lsn != r.lsn) return 2;
    if (r.lsn == kGoldenSealedLast && !(*w)->Roll().ok()) return 3;
  }
  if (!(*w)->Sync().ok()) return 4;
  const bool v1 = version == 1;
  for (auto [name, file] :
       {std::pair{GoldenSealedName(),
                  v1 ? "golden_v1_sealed.seg" : "golden_v2_sealed.seg"},
        std::pair{GoldenLiveName(),
                  v1 ? "golden_v1_live.seg" : "golden_v2_live.seg"}}) {
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
  const std::string mode = argc == 3 ? argv[1] : "";
  if (mode == "--example" || mode == "--example-v2") {
    // The worked example of segment_format.md: one transaction, sealed (v2:
    // with source position 4096, in the repository of kGoldenRepositoryId).
    const bool v2 = mode == "--example-v2";
    auto mem = wayback::NewMemoryStorage();
    if (v2 && !wayback::testing::WriteGoldenIdentity(mem.get())) return 1;
    wayback::ManualClock clock(1'767'225'600'000'000'000);
    wayback::LogWriterOptions o;
    o.format_version = v2 ? 2 : 1;
    o.clock = &clock;
    o.segment_max_age = absl::InfiniteDuration();
    auto w = wayback::LogWriter::Open(mem.get(), o);
    wayback::Transaction t;
    t.txid = 7;
    if (v2) t.source_position = 4096;
    t.Put("k", "v");
    t.Delete("old");
    if (!w.ok() || !(*w)->Append(t).ok() || !(*w)->Close().ok()) return 1;
    auto data = mem->ReadAll(wayback::SegmentObjectName(1, 1, true));
    if (!data.ok()) return 1;
    std::ofstream(argv[2], std::ios::binary) << *data;
    return 0;
  }
  if (mode == "--v2") return wayback::testing::Main(argv[2], 2);
  if (argc != 2) {
    std::fprintf(stderr,
                 "usage: golden_gen [--v2] <output dir> | --example <file> | "
                 "--example-v2 <file>\n");
    return 64;
  }
  return wayback::testing::Main(argv[1], 1);
}
