// Copyright 2026 The Wayback Authors.
//
// Writes the seed corpora of the fuzz targets (fuzz/corpus/<target>/seed-*)
// from small reference objects built with the real writers, so the fuzzers
// start from valid inputs. Usage: wayback_make_fuzz_seeds <fuzz/corpus>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "src/log/segment_format.h"
#include "src/storage/repository_format.h"
#include "src/util/coding.h"
#include "tests/reliability/reliability_util.h"
#include "wayback/repository_identity.h"
#include "wayback/snapshot.h"
#include "wayback/storage.h"

namespace wayback::reliability {
namespace {

void Put(const std::string& dir, const std::string& name,
         const std::string& data) {
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/" + name, std::ios::binary) << data;
}

// Snapshot format v2, as fuzz_snapshot opens it: a full snapshot of
// timeline 1 at LSN 7, a delta at LSN 7 over the empty snapshot at LSN 1,
// and the version fence.
bool PutSnapshotV2Seeds(const std::string& dir) {
  auto s = NewMemoryStorage();
  SnapshotWriterOptions o;
  o.timeline = 1;
  o.lsn = 1;
  auto empty = WriteSnapshot(
      s.get(), o, [](std::string_view*, std::string_view*) { return false; });
  RepositoryIdentity id;
  id.id = "00112233445566778899aabbccddeeff";
  if (!empty.ok() ||
      !s->WriteAll(kIdentityObjectName, repository_format::Encode(id)).ok()) {
    return false;
  }
  o.format_version = 2;
  o.lsn = 7;
  o.block_size = 16;
  const std::vector<std::pair<std::string, std::string>> pairs = {
      {"a", "1"}, {"bb", ""}, {"c", "33"}, {"d", std::string(40, 'd')}};
  size_t i = 0;
  auto full =
      WriteSnapshot(s.get(), o, [&](std::string_view* k, std::string_view* v) {
        if (i == pairs.size()) return false;
        *k = pairs[i].first;
        *v = pairs[i++].second;
        return true;
      });
  auto base = SnapshotReader::Open(s.get(), empty->name);
  if (!full.ok() || !base.ok()) return false;
  o.kind = SnapshotKind::kDelta;
  o.base = base->get();
  auto w = SnapshotWriter::Create(s.get(), o);
  if (!w.ok() || !(*w)->Add("a", "1").ok() || !(*w)->Add("b", "2").ok() ||
      !(*w)->Add("c", std::string(30, 'c')).ok()) {
    return false;
  }
  auto delta = (*w)->Finish();
  if (!delta.ok()) return false;
  for (const auto& [name, seed] :
       {std::make_pair(full->name, "seed-v2-full"),
        std::make_pair(delta->name, "seed-v2-delta"),
        std::make_pair(SnapshotFenceName(1), "seed-v2-fence")}) {
    auto bytes = s->ReadAll(name);
    if (!bytes.ok()) return false;
    Put(dir, seed, *bytes);
  }
  return true;
}

int Main(const std::string& root) {
  ReferenceOptions o;
  o.transactions = 25;
  o.segment_max_bytes = 1200;
  o.block_size = 250;
  auto log = BuildReferenceLog(o);
  if (!log.ok()) return 1;
  const std::string seg = root + "/fuzz_segment";
  int n = 0;
  for (const std::string& name : log->sealed) {
    Put(seg, "seed-sealed-" + std::to_string(n++),
        std::string(1, '\0') + log->image.at(name));
  }
  Put(seg, "seed-live", std::string(1, '\1') + log->image.at(log->live));
  Put(seg, "seed-live-strict", std::string(1, '\2') + log->image.at(log->live));
  // Mode 3 splits the body in two halves: a sealed segment of first LSN 1
  // and a live one of first LSN 2.
  Put(seg, "seed-empty", std::string(1, '\1'));
  // Segment format v2 (source positions in records, blocks and footers).
  o.format_version = log_format::kFormatVersion2;
  auto log2 = BuildReferenceLog(o);
  if (!log2.ok()) return 5;
  Put(seg, "seed-v2-sealed",
      std::string(1, '\0') + log2->image.at(log2->sealed[0]));
  Put(seg, "seed-v2-live", std::string(1, '\1') + log2->image.at(log2->live));
  // Record codec: each block's decoded records with its header fields.
  const std::string rec = root + "/fuzz_record_codec";
  n = 0;
  for (const std::string& name : {log->sealed[0], log->live}) {
    auto parts = SplitSegment(log->image, name);
    if (!parts.ok()) return 2;
    for (const std::string& b : parts->blocks) {
      BlockEdit e = DecodeBlockForEdit(b);
      std::string in;
      PutFixed32(&in, e.record_count);
      PutFixed64(&in, e.first_lsn - 1);
      PutFixed64(&in, static_cast<uint64_t>(e.first_time));
      PutFixed64(&in, static_cast<uint64_t>(e.last_time));
      Put(rec, "seed-block-" + std::to_string(n++), in + e.raw);
    }
  }
  // A v2 record (flags byte before the body; no source position, which the
  // target's block header does not announce): the example of
  // segment_format.md V2.14 without its position.
  {
    std::string in;
    const uint64_t t = 1'767'225'600'000'000'000;
    PutFixed32(&in, 1);
    PutFixed64(&in, 0);
    PutFixed64(&in, t);
    PutFixed64(&in, t);
    const char record[] =
        "\x01\x00\x00\x01\x07\x02\x0a\x01\x01k\x01v\x02\x03old";
    Put(rec, "seed-v2", in + std::string(record, sizeof(record) - 1));
  }
  auto snap = BuildReferenceSnapshot(11, 40, 300);
  if (!snap.ok()) return 3;
  Put(root + "/fuzz_snapshot", "seed-small", snap->image.at(snap->name));
  auto empty = BuildReferenceSnapshot(12, 0, 300);
  if (!empty.ok()) return 4;
  Put(root + "/fuzz_snapshot", "seed-empty", empty->image.at(empty->name));
  if (!PutSnapshotV2Seeds(root + "/fuzz_snapshot")) return 6;
  const std::string imp = root + "/fuzz_import_line";
  const std::vector<std::string> lines = {
      R"({"txid": 17, "time": "2026-11-25T10:42:00.000001234Z", "ops": [{"op": "put", "key": "patient/42", "value": "{\"a\":1}"}, {"op": "delete", "key": "patient/43"}]})",
      R"({"time": "@1000", "ops": []})",
      R"({"restore_point": "before-batch", "time": "2026-11-25T11:42:01+01:00"})",
      R"({"time": "@5", "ops": [{"op": "put", "key_b64": "AP8=", "value_b64": ""}, {"op": "delete", "key_b64": "gA=="}]})",
      R"({"time": "@5", "ops": [)",
      "",
  };
  n = 0;
  for (const std::string& l : lines) Put(imp, "seed-" + std::to_string(n++), l);
  const std::string ct = root + "/fuzz_commit_time";
  const std::vector<std::string> times = {"2026-11-25T10:42:00Z",
                                          "2026-11-25T10:42:00.000001234Z",
                                          "2026-11-25T11:42:00+01:00",
                                          "1969-12-31T23:59:59.999999999-00:30",
                                          "@0",
                                          "@-1",
                                          "@9223372036854775807",
                                          "2026-11-25T10:42:00",
                                          "2026-02-30T00:00:00Z",
                                          "9999-12-31T23:59:59.999999999Z"};
  n = 0;
  for (const std::string& t : times) Put(ct, "seed-" + std::to_string(n++), t);
  const std::string s3 = root + "/fuzz_s3_list";
  Put(s3, "seed-page",
      R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><Prefix>p/log/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><IsTruncated>true</IsTruncated><NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken><Contents><Key>p/log/00000001-0000000000000001.seg</Key><LastModified>2026-11-25T10:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>1234</Size><StorageClass>STANDARD</StorageClass></Contents><Contents><Key>p/log/a&amp;b&#x41;&#66;</Key><Size>0</Size></Contents></ListBucketResult>)");
  Put(s3, "seed-empty",
      R"(<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>)");
  std::printf("seeds written under %s\n", root.c_str());
  return 0;
}

}  // namespace
}  // namespace wayback::reliability

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <fuzz/corpus>\n", argv[0]);
    return 1;
  }
  return wayback::reliability::Main(argv[1]);
}
